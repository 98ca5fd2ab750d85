//! Linux itself as the oracle. The guest programs are plain C and C++, so each also builds for
//! the host; run natively with the arguments, stdin, environment and scratch directory that
//! `tests/guests/cases.txt` gives a case, the real kernel answers what the riscv64 build should
//! print wherever the answer does not depend on the architecture. That run is the reference
//! for mimic under every engine and for the golden recorded from qemu-riscv64.
//!
//! `tests/guests/oracle.txt` is the opt-out list (its header documents it): cases that are
//! riscv64 code or print architecture facts, lines that do, cases where qemu-riscv64 differs
//! from Linux (held to the native run only) and where mimic follows qemu-user on purpose. Any
//! other case, including one added later, is compared, and a program that does not build for
//! the host fails the test until it is listed.
//!
//! The host builds go to `target/tmp/oracle/`, remade when their source is newer. They need
//! only the C compiler that every machine building mimic has (`cc`, `c++`, the static libc).

#[path = "guest_cases/mod.rs"]
mod guest_cases;

use guest_cases::{cases, compare, expected, guests_dir, run, run_all, run_native, Case, Outcome};
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// One line of oracle.txt.
struct Entry {
    key: String,
    verdict: Verdict,
    reason: String,
}

#[derive(Clone, Debug, PartialEq)]
enum Verdict {
    Arch,
    ArchLines(String),
    QemuDiffers,
    Emulator,
}

/// The program a case runs: its binary's name without the link-mode suffix.
fn program(case: &Case) -> &str {
    let b = case.binary.as_str();
    b.strip_suffix("-dyn")
        .or_else(|| b.strip_suffix("-static-pie"))
        .unwrap_or(b)
}

impl Entry {
    fn matches(&self, case: &Case) -> bool {
        let hit = |name: &str| match self.key.strip_suffix('*') {
            Some(prefix) => name.starts_with(prefix),
            None => name == self.key,
        };
        hit(&case.name) || hit(program(case))
    }
}

fn entries() -> Vec<Entry> {
    let path = guests_dir().join("oracle.txt");
    let text = std::fs::read_to_string(&path).expect("tests/guests/oracle.txt");
    let mut out = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = line.split('|').map(str::trim).collect();
        assert_eq!(f.len(), 4, "oracle.txt: four fields in {line:?}");
        let verdict = match (f[1], f[2]) {
            ("arch", "-") => Verdict::Arch,
            ("arch-lines", prefix) if prefix != "-" => Verdict::ArchLines(prefix.to_string()),
            ("qemu-differs", "-") => Verdict::QemuDiffers,
            ("emulator", "-") => Verdict::Emulator,
            _ => panic!("oracle.txt: bad verdict or lines field in {line:?}"),
        };
        assert!(!f[3].is_empty(), "oracle.txt: no reason in {line:?}");
        out.push(Entry {
            key: f[0].to_string(),
            verdict,
            reason: f[3].to_string(),
        });
    }
    out
}

/// What oracle.txt says about one case.
#[derive(Default)]
struct Plan {
    arch: bool,
    arch_lines: Vec<String>,
    qemu_differs: bool,
    emulator: bool,
}

fn plan(case: &Case, entries: &[Entry]) -> Plan {
    let mut p = Plan::default();
    for e in entries.iter().filter(|e| e.matches(case)) {
        match &e.verdict {
            Verdict::Arch => p.arch = true,
            Verdict::ArchLines(prefix) => p.arch_lines.push(prefix.clone()),
            Verdict::QemuDiffers => p.qemu_differs = true,
            Verdict::Emulator => p.emulator = true,
        }
    }
    p
}

/// `outcome` without the stdout lines that begin with one of `prefixes`.
fn masked(outcome: &Outcome, prefixes: &[String]) -> Outcome {
    let mut out = outcome.clone();
    if !prefixes.is_empty() {
        out.stdout = outcome
            .stdout
            .split_inclusive(|&b| b == b'\n')
            .filter(|line| !prefixes.iter().any(|p| line.starts_with(p.as_bytes())))
            .flatten()
            .copied()
            .collect();
    }
    out
}

/// Builds `src/<program>.c` (or `.cpp`) for the host, unless the build is newer than the source.
fn build_native(program: &str) -> Result<PathBuf, String> {
    let src_dir = guests_dir().join("src");
    let (source, compiler) = if src_dir.join(format!("{program}.c")).exists() {
        (src_dir.join(format!("{program}.c")), "cc")
    } else if src_dir.join(format!("{program}.cpp")).exists() {
        (src_dir.join(format!("{program}.cpp")), "c++")
    } else {
        return Err(format!(
            "{program}: no tests/guests/src/{program}.c or .cpp to build for the host"
        ));
    };
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("oracle");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let out = dir.join(program);
    let mtime = |p: &PathBuf| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    if matches!((mtime(&out), mtime(&source)), (Some(b), Some(s)) if b > s) {
        return Ok(out);
    }
    let tmp = dir.join(format!("{program}.{}.building", std::process::id()));
    let result = Command::new(compiler)
        .args(["-O2", "-g0", "-w", "-static", "-o"])
        .arg(&tmp)
        .arg(&source)
        .args(["-pthread", "-lm"])
        .output()
        .map_err(|e| {
            format!(
                "`{compiler}` cannot run ({e}): the native oracle builds the guests for the \
                 host; install it with `apt-get install gcc g++`"
            )
        })?;
    if !result.status.success() {
        return Err(format!(
            "{program}: `{compiler} -static {}` failed (a riscv64-only program belongs in \
             tests/guests/oracle.txt as `arch`, with why; a missing static libc is \
             `apt-get install libc6-dev libstdc++-12-dev`):\n{}",
            source.display(),
            String::from_utf8_lossy(&result.stderr)
        ));
    }
    std::fs::rename(&tmp, &out).map_err(|e| format!("{}: {e}", out.display()))?;
    Ok(out)
}

/// The cases the oracle runs, with their plan.
fn oracle_cases() -> Vec<(Case, Plan)> {
    let entries = entries();
    cases()
        .into_iter()
        .map(|c| {
            let p = plan(&c, &entries);
            (c, p)
        })
        .filter(|(_, p)| !p.arch)
        .collect()
}

/// Every oracle case's native outcome, built and run once per test process; each case runs
/// twice and must agree with itself, or the guest is not deterministic and cannot be a
/// reference.
fn native_outcomes() -> &'static HashMap<String, Outcome> {
    static NATIVE: OnceLock<Result<HashMap<String, Outcome>, String>> = OnceLock::new();
    let result = NATIVE.get_or_init(|| {
        let cases: Vec<Case> = oracle_cases().into_iter().map(|(c, _)| c).collect();
        let mut programs: Vec<String> = cases.iter().map(|c| program(c).to_string()).collect();
        programs.sort();
        programs.dedup();
        // Two compilers at a time, as the cases run two at a time.
        let built: Vec<Result<(String, PathBuf), String>> = std::thread::scope(|s| {
            let half = programs.len().div_ceil(2).max(1);
            let jobs: Vec<_> = programs
                .chunks(half)
                .map(|chunk| {
                    s.spawn(move || {
                        chunk
                            .iter()
                            .map(|p| build_native(p).map(|exe| (p.clone(), exe)))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            jobs.into_iter()
                .flat_map(|j| j.join().expect("a build thread"))
                .collect()
        });
        let build_errors: Vec<String> = built.iter().filter_map(|r| r.clone().err()).collect();
        if !build_errors.is_empty() {
            return Err(build_errors.join("\n"));
        }
        let built: HashMap<String, PathBuf> = built.into_iter().filter_map(Result::ok).collect();
        let outcomes = std::sync::Mutex::new(HashMap::new());
        let errors = run_all(cases, |case| {
            let exe = &built[program(case)];
            let (a, b) = (run_native(case, exe), run_native(case, exe));
            let diffs = compare(case, &b, &a);
            outcomes.lock().unwrap().insert(case.name.clone(), a);
            diffs
                .into_iter()
                .map(|d| format!("native run not deterministic: {d}"))
                .collect()
        });
        if !errors.is_empty() {
            return Err(errors.join("\n"));
        }
        Ok(outcomes.into_inner().unwrap())
    });
    match result {
        Ok(map) => map,
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn oracle_list_names_existing_cases_with_reasons() {
    let cases = cases();
    for e in entries() {
        assert!(
            cases.iter().any(|c| e.matches(c)),
            "oracle.txt: {:?} matches no case of cases.txt ({})",
            e.key,
            e.reason
        );
        if e.verdict == Verdict::QemuDiffers {
            assert!(
                cases.iter().any(|c| c.name == e.key),
                "oracle.txt: qemu-differs takes a case name, not {:?}",
                e.key
            );
        }
    }
}

/// The qemu-riscv64 goldens agree with Linux, but where oracle.txt says they may not.
#[test]
fn qemu_goldens_agree_with_native_linux() {
    let native = native_outcomes();
    let mut diffs = Vec::new();
    for (case, plan) in oracle_cases() {
        let golden_file = guests_dir()
            .join("expected")
            .join(format!("{}.stdout", case.name));
        if plan.qemu_differs {
            if golden_file.exists() {
                diffs.push(format!(
                    "{}: qemu-differs in oracle.txt, yet expected/{0}.stdout exists (build.sh \
                     records none for it)",
                    case.name
                ));
            }
            continue;
        }
        let (want, golden) = (
            masked(&native[&case.name], &plan.arch_lines),
            masked(&expected(&case), &plan.arch_lines),
        );
        let d = compare(&case, &golden, &want);
        if plan.emulator {
            if d.is_empty() {
                diffs.push(format!(
                    "{}: `emulator` in oracle.txt, but Linux now gives the qemu golden: drop the line",
                    case.name
                ));
            }
        } else {
            diffs.extend(d.into_iter().map(|d| format!("qemu golden vs Linux: {d}")));
        }
    }
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
}

/// mimic under `engine` gives what Linux gave, on every oracle case linked the way `dynamic`
/// says (most hostile guests are riscv64 code, in oracle.txt; the `emulator` ones follow
/// qemu-user and are held to their goldens by tests/guests.rs).
fn guests_match_native_linux(engine: &[&str], dynamic: bool, at_least: usize) {
    let native = native_outcomes();
    let cases: Vec<_> = oracle_cases()
        .into_iter()
        .filter(|(c, p)| c.is_dynamic() == dynamic && !p.emulator)
        .collect();
    assert!(cases.len() >= at_least, "only {} oracle cases", cases.len());
    let masks: HashMap<String, Vec<String>> = cases
        .iter()
        .map(|(c, p)| (c.name.clone(), p.arch_lines.clone()))
        .collect();
    let mut cmd = vec![env!("CARGO_BIN_EXE_mimic"), "run"];
    cmd.extend_from_slice(engine);
    let diffs = run_all(cases.into_iter().map(|(c, _)| c).collect(), |case| {
        let mask = &masks[&case.name];
        compare(
            case,
            &masked(&run(case, &cmd), mask),
            &masked(&native[&case.name], mask),
        )
    });
    assert!(
        diffs.is_empty(),
        "{engine:?}: {} differences from Linux:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}

#[test]
fn static_guests_match_native_linux_interpreted() {
    guests_match_native_linux(&["--interp"], false, 40);
}

#[test]
fn static_guests_match_native_linux_translated() {
    guests_match_native_linux(&["--jit"], false, 40);
}

#[test]
fn static_guests_match_native_linux_tiered() {
    guests_match_native_linux(&[], false, 40);
}

/// The dynamically linked cases need the riscv64 sysroot, as in tests/external.rs.
#[test]
#[ignore = "needs the riscv64 sysroot (libc6-riscv64-cross); run by scripts/test-external"]
fn dynamic_guests_match_native_linux() {
    assert!(
        std::path::Path::new(guest_cases::SYSROOT)
            .join("lib/ld-linux-riscv64-lp64d.so.1")
            .exists(),
        "no riscv64 sysroot at {}: apt-get install libc6-riscv64-cross",
        guest_cases::SYSROOT
    );
    for engine in [&["--interp"][..], &["--jit"], &[]] {
        guests_match_native_linux(engine, true, 5);
    }
}
