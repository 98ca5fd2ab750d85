//! Comparisons with host tools, run by `scripts/test-external` (`cargo test --test external --
//! --ignored`). Each test fails, naming the Debian package, when its tool is missing.

use isa_a::{decode, Decoded};
use std::path::{Path, PathBuf};
use std::process::Command;

fn guests_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/guests")
}

/// Runs a host tool, failing the test with what to install when it is missing.
fn tool_output(tool: &str, package: &str, args: &[&str]) -> String {
    let out = Command::new(tool)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{tool}: {e}; install it with `apt-get install {package}`"));
    assert!(
        out.status.success(),
        "{tool} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("tool output is UTF-8")
}

/// One instruction line of `objdump -d`: address, encoding, text without trailing comment.
fn parse_objdump(text: &str) -> Vec<(u64, u32, u8, String)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let mut cols = line.split('\t');
        let (Some(addr), Some(hex), Some(mnemonic)) = (cols.next(), cols.next(), cols.next())
        else {
            continue;
        };
        let Some(addr) = addr.trim().strip_suffix(':') else {
            continue;
        };
        let (Ok(addr), hex) = (u64::from_str_radix(addr, 16), hex.trim()) else {
            continue;
        };
        let len = match hex.len() {
            4 => 2,
            8 => 4,
            _ => continue,
        };
        let Ok(word) = u32::from_str_radix(hex, 16) else {
            continue;
        };
        let operands = cols.next().unwrap_or("");
        let mut operands = operands.split(" #").next().unwrap_or("").trim().to_string();
        // With symbols, objdump writes a target as `2390 <memcpy@plt>`; mimic as `0x2390`.
        if let Some(cut) = operands.find(" <") {
            operands.truncate(cut);
            let at = operands.rfind(',').map_or(0, |c| c + 1);
            operands.insert_str(at, "0x");
        }
        let text = if operands.is_empty() {
            mnemonic.trim().to_string()
        } else {
            format!("{} {}", mnemonic.trim(), operands)
        };
        out.push((addr, word, len, text));
    }
    out
}

/// Where objdump's default (alias) text for a compressed instruction is known to differ from
/// mimic's, by design: objdump 2.40 names compressed immediate forms after the register
/// instruction (`srl a1,a1,0x20` for `c.srli`, `addw s3,s3,1` for `c.addiw`) where mimic keeps
/// the expansion's own name, and once decoded a `c.mv` is the `add rd,zero,rs` it stands for,
/// which mimic has no reason to call `mv`.
fn known_alias_difference(ours: &str, theirs: &str) -> bool {
    let split = |s: &str| {
        s.split_once(' ')
            .map(|(m, o)| (m.to_string(), o.to_string()))
    };
    match (split(ours), split(theirs)) {
        (Some((m1, o1)), Some((m2, o2))) => {
            (m1.replacen('i', "", 1) == m2 && o1 == o2)
                || (m1 == "add" && m2 == "mv" && o1.replace(",zero,", ",") == o2)
        }
        _ => false,
    }
}

/// Every instruction GNU objdump finds in the guest programs' code decodes in mimic to the same
/// instruction: the same text with `-M no-aliases` for 32-bit encodings, and the same text as
/// objdump's default for compressed ones (whose no-aliases text is the `c.` name).
#[test]
#[ignore = "needs riscv64-linux-gnu-objdump; run scripts/test-external"]
fn objdump_agrees_on_guest_code() {
    let bins = std::fs::read_dir(guests_dir().join("bin")).expect("tests/guests/bin");
    let (mut compared, mut mismatches) = (0usize, Vec::new());
    for bin in bins {
        let path = bin.unwrap().path();
        let p = path.to_str().unwrap();
        let pkg = "binutils-riscv64-linux-gnu";
        let raw = parse_objdump(&tool_output(
            "riscv64-linux-gnu-objdump",
            pkg,
            &["-d", "-M", "no-aliases", p],
        ));
        let alias = parse_objdump(&tool_output("riscv64-linux-gnu-objdump", pkg, &["-d", p]));
        assert_eq!(
            raw.len(),
            alias.len(),
            "{p}: the two listings differ in length"
        );
        for ((addr, word, len, raw_text), (_, _, _, alias_text)) in raw.iter().zip(&alias) {
            if raw_text.starts_with(".insn")
                || raw_text.starts_with(".word")
                || raw_text.contains("unimp")
            {
                // objdump's words for what it cannot decode (data, padding, the dlog guest's
                // `.word 0`) must not decode in mimic either.
                assert!(
                    decode(*word).is_err() || raw_text == "unimp",
                    "{p}: {addr:x}"
                );
                continue;
            }
            let d: Decoded = match decode(*word) {
                Ok(d) => d,
                Err(e) => {
                    mismatches.push(format!("{p} {addr:x}: objdump `{raw_text}`, mimic {e}"));
                    continue;
                }
            };
            assert_eq!(d.len, *len, "{p} {addr:x}: length");
            let (ours, theirs) = if *len == 4 {
                let mut s = String::new();
                d.insn.disasm_no_aliases(Some(*addr), &mut s).unwrap();
                (s, raw_text.clone())
            } else {
                let mut s = String::new();
                d.insn.disasm(Some(*addr), &mut s).unwrap();
                (s, alias_text.clone())
            };
            compared += 1;
            if ours != theirs && !(*len == 2 && known_alias_difference(&ours, &theirs)) {
                mismatches.push(format!(
                    "{p} {addr:x} {word:08x}: objdump `{theirs}`, mimic `{ours}`"
                ));
            }
        }
    }
    println!("compared {compared} instructions with objdump");
    assert!(compared > 100_000, "only {compared} instructions compared");
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches[..mismatches.len().min(40)].join("\n")
    );
}

#[path = "guest_cases/mod.rs"]
mod guest_cases;

/// The dynamically linked guests, which need the riscv64 sysroot, against their goldens.
#[test]
#[ignore = "needs the riscv64 sysroot (libc6-riscv64-cross); run scripts/test-external"]
fn dynamic_guests_match_qemu_goldens() {
    assert!(
        Path::new(guest_cases::SYSROOT)
            .join("lib/ld-linux-riscv64-lp64d.so.1")
            .exists(),
        "no riscv64 sysroot at {}: apt-get install libc6-riscv64-cross",
        guest_cases::SYSROOT
    );
    let cases: Vec<_> = guest_cases::cases()
        .into_iter()
        .filter(|c| c.is_dynamic() && guest_cases::has_golden(c))
        .collect();
    assert!(!cases.is_empty());
    let mimic = env!("CARGO_BIN_EXE_mimic");
    let diffs = guest_cases::run_all(cases, |case| {
        guest_cases::compare(
            case,
            &guest_cases::run(case, &[mimic, "run"]),
            &guest_cases::expected(case),
        )
    });
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}

/// Every guest case under mimic and under the installed qemu-riscv64, side by side in this run
/// (the goldens were recorded by one qemu; this checks the one installed here agrees).
#[test]
#[ignore = "needs qemu-riscv64 (qemu-user); run scripts/test-external"]
fn guests_match_live_qemu() {
    let version = tool_output("qemu-riscv64", "qemu-user", &["--version"]);
    println!("{}", version.lines().next().unwrap_or(""));
    let mimic = env!("CARGO_BIN_EXE_mimic");
    // A case without a golden is one where qemu differs from Linux (tests/oracle.rs).
    let cases = guest_cases::cases()
        .into_iter()
        .filter(guest_cases::has_golden)
        .collect();
    let diffs = guest_cases::run_all(cases, |case| {
        let qemu = guest_cases::run(case, &["qemu-riscv64"]);
        guest_cases::compare(case, &guest_cases::run(case, &[mimic, "run"]), &qemu)
    });
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}

/// A private tmux server (its own socket) holding `mimic tui` in a 200×50 window (or another
/// size); killed on drop, whatever the test's outcome.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(name: &str, command: &str) -> Tmux {
        Tmux::start_sized(name, command, 200, 50)
    }

    fn start_sized(name: &str, command: &str, width: u16, height: u16) -> Tmux {
        let t = Tmux {
            socket: format!("mimic-{name}-{}", std::process::id()),
        };
        let (w, h) = (width.to_string(), height.to_string());
        t.run(&[
            "new-session",
            "-d",
            "-s",
            "e2e",
            "-x",
            &w,
            "-y",
            &h,
            command,
        ]);
        t
    }

    fn run(&self, args: &[&str]) -> String {
        let mut all = vec!["-L", &self.socket];
        all.extend_from_slice(args);
        tool_output("tmux", "tmux (install tmux)", &all)
    }

    fn keys(&self, keys: &[&str]) {
        for k in keys {
            self.run(&["send-keys", "-t", "e2e", k]);
        }
    }

    /// Types `text` literally.
    fn type_text(&self, text: &str) {
        self.run(&["send-keys", "-t", "e2e", "-l", text]);
    }

    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "e2e"])
    }

    /// Waits until the screen shows `what`; the screen it saw otherwise.
    fn wait_for(&self, what: &str, secs: u64) -> String {
        let end = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        loop {
            let s = self.screen();
            if s.contains(what) {
                return s;
            }
            assert!(
                std::time::Instant::now() < end,
                "waited {secs} s for {what:?}; the screen:\n{s}"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

/// `mimic tui` driven as a person would, in tmux: start paused on the embedded demo, step,
/// break on a symbol, run to it, inspect a register, let the guest finish (its output in its
/// pane, not over the screen), quit, and find the shell's terminal back.
#[test]
#[ignore = "needs tmux; run scripts/test-external"]
fn tui_in_tmux_as_a_person_would() {
    let version = Command::new("tmux")
        .arg("-V")
        .output()
        .unwrap_or_else(|e| panic!("tmux: {e}; install tmux (apt-get install tmux)"));
    assert!(
        version.status.success(),
        "install tmux (apt-get install tmux)"
    );
    let mimic = env!("CARGO_BIN_EXE_mimic");
    let t = Tmux::start(
        "e2e",
        &format!("{mimic} tui --paused; echo MIMIC-EXIT=$?; sleep 120"),
    );
    let s = t.wait_for("PAUSED", 20);
    assert!(s.contains("Layers") && s.contains("Disassembly"), "{s}");
    t.wait_for("<_start>", 10); // the entry point, by name, once the vCPU publishes

    t.keys(&["s"]);
    let s = t.wait_for("stepped one instruction", 10);
    assert!(s.contains("instret 1"), "one instruction retired:\n{s}");

    t.keys(&["b"]);
    t.type_text("render");
    t.keys(&["Enter"]);
    t.wait_for("breakpoint set at 0x", 10);
    t.keys(&["Space"]);
    let s = t.wait_for("PAUSED: breakpoint at 0x", 20);
    assert!(s.contains("<render>"), "stopped in render:\n{s}");
    t.wait_for("●▶", 10); // pc on the breakpoint, marked in the disassembly

    t.keys(&["i"]);
    t.type_text("a0");
    t.keys(&["Enter"]);
    let s = t.wait_for("a0 (x10) = 0x", 10);
    // a0 is render's job pointer: a stack address.
    assert!(s.contains("a0 (x10) = 0x0000003f"), "{s}");

    // Remove the breakpoint, run to the end: the output stays in its pane.
    t.keys(&["b"]);
    t.type_text("render");
    t.keys(&["Enter"]);
    t.wait_for("breakpoint removed", 10);
    t.keys(&["Space"]);
    let s = t.wait_for("exited with status 0", 60);
    assert!(
        s.lines().any(|l| l.starts_with("│|") || l.contains("││|")),
        "the rendered frames, inside the output pane:\n{s}"
    );

    t.keys(&["q"]);
    let s = t.wait_for("MIMIC-EXIT=0", 10);
    assert!(
        !s.contains("Disassembly"),
        "the terminal is back from the UI's screen:\n{s}"
    );
}

/// At 80x24, as a person would: the segfaulting tuidbg guest stops before it dies with the
/// faulting state on screen (its source line, its backtrace), a zoomed pane shows what the
/// small layout leaves out, `c` lets it die, the last state stays until `q`, and the exit
/// status is the guest's.
#[test]
#[ignore = "needs tmux; run scripts/test-external"]
fn tui_post_mortem_at_80x24_in_tmux() {
    let version = Command::new("tmux")
        .arg("-V")
        .output()
        .unwrap_or_else(|e| panic!("tmux: {e}; install tmux (apt-get install tmux)"));
    assert!(
        version.status.success(),
        "install tmux (apt-get install tmux)"
    );
    let mimic = env!("CARGO_BIN_EXE_mimic");
    let guest = guest_cases::guests_dir().join("bin/tuidbg");
    let t = Tmux::start_sized(
        "postmortem",
        &format!(
            "{mimic} tui {} segv; echo MIMIC-EXIT=$?; sleep 120",
            guest.display()
        ),
        80,
        24,
    );
    t.wait_for("SIGSEGV at pc 0x", 20);
    // The source line of the fault, once the vCPU copied the code out.
    t.wait_for("*p = v;", 10);
    let s = t.wait_for("<crash+", 10);
    assert!(
        s.contains("#0") && s.contains("<poke+"),
        "the backtrace:\n{s}"
    );
    // The zoomed registers pane has room for all of x1-x31 and the float state.
    t.keys(&["8", "z"]);
    let s = t.wait_for("fcsr", 10);
    assert!(s.contains("t6") && s.contains("f0-f31 all 0"), "{s}");
    t.keys(&["z", "c"]);
    let s = t.wait_for("killed by SIGSEGV", 20);
    assert!(s.contains("<poke+"), "the last state stays:\n{s}");
    t.keys(&["q"]);
    t.wait_for("MIMIC-EXIT=139", 10);
}

/// `mimic tui --attach` against `mimic run --inspect` in another process, in tmux as a
/// person would: attach, pause, step, inspect a register, detach (the guest runs on and
/// finishes normally), attach again while it runs.
#[test]
#[ignore = "needs tmux; run scripts/test-external"]
fn tui_attaches_to_a_guest_another_mimic_runs() {
    tool_output("tmux", "tmux (install tmux)", &["-V"]);
    let mimic = env!("CARGO_BIN_EXE_mimic");
    let demo = guests_dir().join("bin/demo");
    let sock = std::env::temp_dir().join(format!("mimic-attach-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&sock);
    let sock = sock.display().to_string();
    // 200 frames 50 ms apart: about ten seconds of running after the detach.
    let guest = Tmux::start(
        "inspect",
        &format!(
            "{mimic} run --inspect {sock} {} 200 50; echo GUEST-EXIT=$?; sleep 120",
            demo.display()
        ),
    );
    guest.wait_for("frame ", 20);
    let attach = format!("{mimic} tui --attach {sock}; echo ATTACH-EXIT=$?; sleep 120");
    let ui = Tmux::start("attach", &attach);
    let s = ui.wait_for("RUNNING", 20);
    assert!(s.contains(&format!("attached to {sock}")), "{s}");

    ui.keys(&["Space"]);
    ui.wait_for("PAUSED", 10);
    let frames = guest.screen();
    ui.keys(&["s"]);
    let s = ui.wait_for("stepped one instruction", 10);
    assert!(s.contains("paused"), "the vCPU parked:\n{s}");
    ui.keys(&["i"]);
    ui.type_text("a0");
    ui.keys(&["Enter"]);
    ui.wait_for("a0 (x10) = 0x", 10);
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert_eq!(guest.screen(), frames, "the guest printed while paused");

    ui.keys(&["q"]);
    let s = ui.wait_for("ATTACH-EXIT=0", 10);
    assert!(
        s.contains(&format!("detached from {sock}; the guest runs on")),
        "{s}"
    );
    assert!(!s.contains("Disassembly"), "the terminal is back:\n{s}");
    // The guest runs on: new frames.
    let end = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while guest.screen() == frames {
        assert!(std::time::Instant::now() < end, "the guest did not run on");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }

    // Attach again, to the same running guest, and leave again.
    drop(ui);
    let ui = Tmux::start("attach2", &attach);
    ui.wait_for("RUNNING", 20);
    ui.wait_for("write(1,", 10); // its syscalls, over the socket
    ui.keys(&["q"]);
    ui.wait_for("ATTACH-EXIT=0", 10);

    let s = guest.wait_for("GUEST-EXIT=", 60);
    assert!(s.contains("GUEST-EXIT=0"), "{s}");
    assert!(
        !std::path::Path::new(&sock).exists(),
        "the socket is removed when the guest ends"
    );
}

/// SIGTERM to `mimic tui` ends it with 128+15, as the default action would, but with the
/// terminal given back.
#[test]
#[ignore = "needs tmux; run scripts/test-external"]
fn tui_restores_the_terminal_on_sigterm() {
    let mimic = env!("CARGO_BIN_EXE_mimic");
    let t = Tmux::start(
        "sigterm",
        &format!("{mimic} tui --paused; echo MIMIC-EXIT=$?; sleep 120"),
    );
    t.wait_for("<_start>", 20);
    // The pane's shell runs mimic as its only child.
    let shell = t.run(&["list-panes", "-t", "e2e", "-F", "#{pane_pid}"]);
    let shell = shell.trim();
    let children = std::fs::read_to_string(format!("/proc/{shell}/task/{shell}/children"))
        .expect("the shell's children");
    let pid: i32 = children
        .split_whitespace()
        .next()
        .expect("mimic")
        .parse()
        .unwrap();
    // SAFETY: signalling the one process this test started.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let s = t.wait_for("MIMIC-EXIT=143", 10);
    assert!(!s.contains("Disassembly"), "the terminal is back:\n{s}");
}

/// `-d in_asm` of a dynamic guest names the functions of the libraries ld.so maps (libc's
/// `puts`), not only those of the program and ld.so.
#[test]
#[ignore = "needs the riscv64 sysroot (libc6-riscv64-cross); run scripts/test-external"]
fn d_in_asm_names_functions_of_mapped_libraries() {
    assert!(
        Path::new(guest_cases::SYSROOT)
            .join("lib/libc.so.6")
            .exists(),
        "no riscv64 sysroot at {}: apt-get install libc6-riscv64-cross",
        guest_cases::SYSROOT
    );
    let log = std::env::temp_dir().join(format!("mimic-dlog-dyn-{}", std::process::id()));
    let guest = guest_cases::guests_dir().join("bin/hello_dyn-dyn");
    let out = Command::new(env!("CARGO_BIN_EXE_mimic"))
        .args(["run", "-L", guest_cases::SYSROOT, "-d", "in_asm", "-D"])
        .arg(&log)
        .arg(&guest)
        .output()
        .unwrap();
    let text = std::fs::read_to_string(&log).unwrap();
    std::fs::remove_file(&log).unwrap();
    assert!(out.status.success());
    for name in ["main", "puts"] {
        assert!(
            text.lines().any(|l| l == format!("IN: {name}")),
            "no block of {name} named"
        );
    }
}

/// `-d exec,nochain` under `--interp` enters the same blocks in the same order as
/// qemu-riscv64, named alike: the interpreter's blocks end where qemu's translation blocks
/// do on this guest. Each emulator's signal-return trampoline (outside the program, at an
/// address of its own) counts as one entry.
#[test]
#[ignore = "needs qemu-riscv64 (qemu-user); run scripts/test-external"]
fn d_exec_enters_the_blocks_qemu_enters() {
    tool_output("qemu-riscv64", "qemu-user", &["--version"]);
    let bin = guest_cases::guests_dir().join("bin");
    let trace = |emulator: &[&str]| -> Vec<(String, String)> {
        let log = std::env::temp_dir().join(format!(
            "mimic-dexec-{}-{}",
            std::process::id(),
            emulator.len()
        ));
        let out = Command::new(emulator[0])
            .args(&emulator[1..])
            .args(["-d", "exec,nochain", "-D"])
            .arg(&log)
            .arg("./dlog")
            .current_dir(&bin)
            .env_clear()
            .output()
            .unwrap();
        assert!(out.status.success(), "{emulator:?}");
        let text = std::fs::read_to_string(&log).unwrap();
        std::fs::remove_file(&log).unwrap();
        // qemu: `Trace 0: 0xHOST [cs_base/pc/flags/cflags] name`; mimic: `[pc] name`.
        text.lines()
            .filter_map(|l| l.strip_prefix("Trace 0: "))
            .map(|l| {
                let (fields, name) = l.split_once("] ").unwrap_or((l, ""));
                let pc = fields.rsplit('[').next().unwrap();
                let pc = pc.split('/').nth(1).unwrap_or(pc).to_string();
                let outside = u64::from_str_radix(&pc, 16).unwrap() >= 1 << 36;
                match outside {
                    true => ("trampoline".to_string(), String::new()),
                    false => (pc, name.to_string()),
                }
            })
            .collect()
    };
    let qemu = trace(&["qemu-riscv64"]);
    let mimic = trace(&[env!("CARGO_BIN_EXE_mimic"), "run", "--interp"]);
    assert!(qemu.len() > 300, "{} entries", qemu.len());
    assert_eq!(mimic, qemu);
}
