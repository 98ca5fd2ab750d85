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
            if raw_text.starts_with(".insn") || raw_text.contains("unimp") {
                // objdump's words for what it cannot decode (data, padding) are checked below.
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
        .filter(|c| c.is_dynamic())
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
    let diffs = guest_cases::run_all(guest_cases::cases(), |case| {
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
