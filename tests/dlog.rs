//! qemu's `-d` log items on the small `dlog` guest (tests/guests/src/dlog.c, kept with its
//! symbols), in every engine an item applies to: the log compared with a golden file in
//! tests/guests/dlog/ (`MIMIC_BLESS=1` rewrites them), after replacing what differs from
//! run to run (host code addresses, the pid). `out_asm`, all host code, is checked for its
//! structure instead.

use std::path::{Path, PathBuf};
use std::process::Command;

const ENGINES: [(&str, &str); 3] = [("interp", "--interp"), ("jit", "--jit"), ("tiered", "")];

fn guests() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/guests")
}

/// Runs `./dlog <arg>` (a fixed path, so the initial stack is the same everywhere) with
/// `-d items -D file`; returns the guest's status and the log with the variable parts
/// replaced.
fn log(engine: &str, items: &str, arg: &str) -> (i32, String) {
    let dir = std::env::temp_dir().join(format!(
        "mimic-dlog-{}-{engine}-{}",
        std::process::id(),
        items.replace(',', "+")
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("log");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mimic"));
    cmd.arg("run");
    if !engine.is_empty() {
        cmd.arg(engine);
    }
    cmd.args(["-d", items, "-D"])
        .arg(&file)
        .arg("./dlog")
        .args((!arg.is_empty()).then_some(arg))
        .current_dir(guests().join("bin"))
        .env_clear();
    let child = cmd.output().unwrap();
    let status = std::os::unix::process::ExitStatusExt::signal(&child.status)
        .map_or(child.status.code().unwrap_or(-1), |s| 128 + s);
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    std::fs::remove_dir_all(&dir).unwrap();
    let pid = pid_of(&text);
    (status, normalize(&text, pid))
}

/// The guest's pid, from its `getpid() = N` strace line, if the log has one.
fn pid_of(text: &str) -> Option<u32> {
    text.lines()
        .find_map(|l| l.split_once(" getpid() = "))
        .map(|(_, pid)| pid.trim().parse().unwrap())
}

/// The log with host addresses in `Trace` lines as `HOST`, the pid as `PID` and the uid as
/// `UID`.
fn normalize(text: &str, pid: Option<u32>) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let mut line = line.to_string();
        if let Some(rest) = line.strip_prefix("Trace ") {
            let (cpu, after) = rest.split_once(": 0x").expect("Trace N: 0x…");
            let (_, tail) = after.split_once(' ').expect("Trace N: 0xHOST [pc]");
            line = format!("Trace {cpu}: HOST {tail}");
        }
        // The uid is whoever runs the test.
        if let Some((head, tail)) = line.split_once("si_uid=") {
            let rest = tail.trim_start_matches(|c: char| c.is_ascii_digit());
            line = format!("{head}si_uid=UID{rest}");
        }
        if let Some(pid) = pid {
            line = line
                .split_inclusive(|c: char| !c.is_ascii_alphanumeric())
                .map(|w| {
                    let word = w.trim_end_matches(|c: char| !c.is_ascii_alphanumeric());
                    if word == pid.to_string() {
                        w.replacen(word, "PID", 1)
                    } else if word == format!("{pid:016x}") {
                        w.replacen(word, "PID_HEX_16DIGITS", 1)
                    } else {
                        w.to_string()
                    }
                })
                .collect();
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// Compares `got` with the golden `name`, or writes it under MIMIC_BLESS=1.
fn golden(name: &str, got: &str) {
    let path = guests().join("dlog").join(name);
    if std::env::var_os("MIMIC_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (MIMIC_BLESS=1 cargo test --test dlog writes it)",
            path.display()
        )
    });
    if want != got {
        let at = want
            .lines()
            .zip(got.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(want.lines().count().min(got.lines().count()));
        panic!(
            "{name}: the log differs from the golden at line {}:\n  want: {:?}\n  got:  {:?}",
            at + 1,
            want.lines().nth(at),
            got.lines().nth(at)
        );
    }
}

/// One item (plus `extra` items) in every engine, each against its engine's golden, or one
/// golden for all when the item does not depend on the engine.
fn check(item: &str, extra: &str, arg: &str, per_engine: bool, status: i32) {
    let items = if extra.is_empty() {
        item.to_string()
    } else {
        format!("{item},{extra}")
    };
    for (name, flag) in ENGINES {
        let (got_status, text) = log(flag, &items, arg);
        assert_eq!(got_status, status, "{items} {name}");
        assert!(!text.is_empty(), "-d {items} {name}: empty log");
        let file = if per_engine {
            format!("{}.{name}.log", items.replace(',', "+"))
        } else {
            format!("{}.log", items.replace(',', "+"))
        };
        golden(&file, &text);
    }
}

#[test]
fn in_asm_shows_every_block_at_its_first_execution_named() {
    check("in_asm", "", "", true, 0);
    let (_, text) = log("--interp", "in_asm", "");
    // Interpreted blocks too, headed with their function, bytes as the guest holds them.
    assert!(
        text.starts_with("----------------\nIN: _start\n0x"),
        "{text}"
    );
    assert!(text.contains("\nIN: step\n"), "{text}");
    assert!(text.contains("\nIN: on_usr1\n"), "{text}");
}

#[test]
fn exec_shows_each_block_entered_and_nochain_shows_them_all() {
    check("exec", "", "", true, 0);
    check("exec", "nochain", "", true, 0);
    // Without chaining, every run of the loop's call to step passes the dispatcher.
    for (name, flag) in ENGINES {
        let (_, text) = log(flag, "exec,nochain", "");
        let steps = text.lines().filter(|l| l.ends_with("] step")).count();
        assert_eq!(steps, 60, "{name}: {text}");
    }
}

/// `-d cost`: one line at exit with the translation totals, none translated by the
/// interpreter, some by the translating engines, each with host code and time, and the
/// limit checks of guest accesses translated and left out (lower/checked.rs).
#[test]
fn cost_reports_what_translation_cost_at_exit() {
    for (name, flag) in ENGINES {
        let (status, text) = log(flag, "cost", "");
        assert_eq!(status, 0, "{name}: {text}");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1, "{name}: {text}");
        let rest = lines[0].strip_prefix("translation cost: ").expect(lines[0]);
        let number = |after: &str| -> f64 {
            let (before, _) = rest
                .split_once(after)
                .unwrap_or_else(|| panic!("{after}: {rest}"));
            before.rsplit([' ', '(']).next().unwrap().parse().unwrap()
        };
        let (blocks, insns, bytes) = (number(" blocks"), number(" guest"), number(" host bytes"));
        let (per_insn, ms) = (number(" a guest instruction"), number(" ms"));
        let (checked, unchecked) = (number(" translated,"), number(" left out"));
        if name == "interp" {
            assert_eq!((blocks, insns, bytes, ms), (0.0, 0.0, 0.0, 0.0), "{rest}");
            assert_eq!((checked, unchecked), (0.0, 0.0), "{rest}");
        } else {
            assert!(
                blocks > 0.0 && insns >= blocks && ms > 0.0 && checked > 0.0,
                "{name}: {rest}"
            );
            assert!((per_insn - bytes / insns).abs() < 0.1, "{name}: {rest}");
        }
    }
}

#[test]
fn cpu_shows_the_registers_before_each_block() {
    check("cpu", "exec,nochain", "quick", true, 0);
}

#[test]
fn int_shows_each_signal_delivered() {
    check("int", "", "ill", false, 132);
}

#[test]
fn page_shows_the_mappings_at_start_and_after_each_change() {
    check("page", "", "", false, 0);
}

#[test]
fn unimp_shows_unsupported_calls_and_illegal_instructions() {
    check("unimp", "", "ill", false, 132);
}

#[test]
fn strace_item_is_strace_to_the_log() {
    check("strace", "", "", false, 0);
}

/// Host code: each translated block's guest code, then `OUT: [size=N bytes, M host
/// instructions]` and M instruction lines; nothing for the interpreter, which translates
/// nothing.
#[test]
fn out_asm_shows_the_host_code_of_translated_blocks() {
    let (_, text) = log("--interp", "out_asm", "");
    assert!(text.is_empty(), "{text}");
    for (name, flag) in &ENGINES[1..] {
        let (status, text) = log(flag, "in_asm,out_asm", "");
        assert_eq!(status, 0);
        let lines: Vec<&str> = text.lines().collect();
        let mut blocks = 0;
        let mut i = 0;
        while i < lines.len() {
            let Some(head) = lines[i].strip_prefix("OUT: [size=") else {
                i += 1;
                continue;
            };
            let (bytes, rest) = head.split_once(" bytes, ").unwrap();
            let n: usize = rest
                .strip_suffix(" host instructions]")
                .unwrap()
                .parse()
                .unwrap();
            assert!(bytes.parse::<usize>().unwrap() > 0, "{}", lines[i]);
            let body = &lines[i + 1..i + 1 + n];
            assert!(
                body.iter()
                    .all(|l| l.starts_with("0x") && l.contains(":  ")),
                "{name}: {body:?}"
            );
            assert_eq!(lines[i + 1 + n], "", "{name}: a blank line ends the block");
            // The guest code of the same block precedes it.
            assert!(lines[..i].iter().rev().any(|l| l.starts_with("IN: ")));
            blocks += 1;
            i += n + 1;
        }
        assert!(blocks >= 3, "{name}: {blocks} translated blocks in {text}");
        // In tiered mode only the hot loop is translated.
        if *name == "tiered" {
            assert!(blocks < 10, "{name}: {blocks}");
        }
    }
}

#[test]
fn d_help_lists_every_item() {
    let out = Command::new(env!("CARGO_BIN_EXE_mimic"))
        .args(["-d", "help"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{text}");
    let items = [
        "in_asm", "out_asm", "exec", "cpu", "int", "page", "unimp", "strace", "nochain", "cost",
    ];
    for item in items {
        assert!(
            text.lines()
                .any(|l| l.split_whitespace().next() == Some(item)),
            "{item} missing from: {text}"
        );
    }
}

/// As with qemu, -D takes --strace's lines too, and stderr keeps only mimic's own.
#[test]
fn strace_goes_to_the_d_file() {
    let dir = std::env::temp_dir().join(format!("mimic-dlog-strace-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("log");
    let out = Command::new(env!("CARGO_BIN_EXE_mimic"))
        .args(["run", "--strace", "-D"])
        .arg(&file)
        .args(["./dlog", "quick"])
        .current_dir(guests().join("bin"))
        .env_clear()
        .output()
        .unwrap();
    let log = std::fs::read_to_string(&file).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(log.ends_with(" exit_group(0)\n"), "{log}");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}
