//! The guest test cases of `tests/guests/cases.txt` (its header documents the format), and a
//! runner that executes one under an emulator the way `tests/guests/build.sh` ran it under
//! qemu-riscv64 when it recorded the golden files.

// Each test file uses its own subset of these helpers.
#![allow(dead_code)]

use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The sysroot dynamically linked guests need (Debian's libc6-riscv64-cross).
pub const SYSROOT: &str = "/usr/riscv64-linux-gnu";

pub fn guests_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/guests")
}

/// Runs `mimic run <args>` with an empty environment; returns (status, stdout, stderr).
pub fn mimic_run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mimic"))
        .arg("run")
        .args(args)
        .env_clear()
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `mimic run <options> <guest> <guest_args>` for the guest `name` of tests/guests/bin.
pub fn mimic_guest(options: &[&str], name: &str, guest_args: &[&str]) -> (i32, String, String) {
    let path = guests_dir().join("bin").join(name);
    let mut args = options.to_vec();
    args.push(path.to_str().unwrap());
    args.extend_from_slice(guest_args);
    mimic_run(&args)
}

/// One line of the manifest.
#[derive(Clone, Debug)]
pub struct Case {
    pub name: String,
    pub binary: String,
    pub args: Vec<String>,
    pub stdin: Option<String>,
    pub env: Vec<(String, String)>,
    pub exact_stderr: bool,
}

impl Case {
    /// Dynamically linked: needs the riscv64 sysroot.
    pub fn is_dynamic(&self) -> bool {
        self.binary.ends_with("-dyn")
    }
}

/// What a run produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// The exit code, or 128+N for death by signal N.
    pub status: i32,
}

/// `%XX` is the byte 0xXX.
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap_or_else(|_| panic!("bad escape in {s:?}")));
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("escapes make UTF-8")
}

pub fn cases() -> Vec<Case> {
    let text =
        std::fs::read_to_string(guests_dir().join("cases.txt")).expect("tests/guests/cases.txt");
    let mut cases = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = line.split('|').map(str::trim).collect();
        assert_eq!(f.len(), 6, "cases.txt: six fields in {line:?}");
        let dash = |s: &str| (s != "-").then(|| s.to_string());
        cases.push(Case {
            name: f[0].to_string(),
            binary: f[1].to_string(),
            args: dash(f[2])
                .map(|a| {
                    a.split_whitespace()
                        .map(|w| {
                            if w == "\"\"" {
                                String::new()
                            } else {
                                unescape(w)
                            }
                        })
                        .collect()
                })
                .unwrap_or_default(),
            stdin: dash(f[3]),
            env: dash(f[4])
                .map(|e| {
                    e.split(',')
                        .map(|kv| {
                            let (k, v) = kv.split_once('=').expect("env is NAME=VALUE");
                            (k.to_string(), unescape(v))
                        })
                        .collect()
                })
                .unwrap_or_default(),
            exact_stderr: match f[5] {
                "exact" => true,
                "ignore" => false,
                other => panic!("cases.txt: stderr is exact or ignore, not {other:?}"),
            },
        });
    }
    cases
}

/// A fresh scratch directory, removed on drop.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(tag: &str) -> Scratch {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "mimic-test-{}-{}-{tag}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("scratch dir");
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `case` with `emulator` (its leading arguments, then `-L` for a dynamic binary, then
/// the binary and the case's arguments), in a scratch directory with the case's environment
/// only, stdin from the case's file, and no core dumps.
pub fn run(case: &Case, emulator: &[&str]) -> Outcome {
    let mut cmd = Command::new(emulator[0]);
    cmd.args(&emulator[1..]);
    if case.is_dynamic() {
        cmd.args(["-L", SYSROOT]);
    }
    cmd.arg(guests_dir().join("bin").join(&case.binary));
    run_command(case, cmd)
}

/// Runs `case` with a host program in place of the riscv64 binary (tests/oracle.rs: the
/// program built for the host), in the same scratch directory, environment and stdin.
pub fn run_native(case: &Case, program: &Path) -> Outcome {
    run_command(case, Command::new(program))
}

/// Adds the case's arguments to `cmd` (the program and what precedes the arguments) and runs
/// it the way the manifest says.
fn run_command(case: &Case, mut cmd: Command) -> Outcome {
    let scratch = Scratch::new(&case.name);
    let dir = scratch.0.to_str().unwrap().to_string();
    let program = cmd.get_program().to_string_lossy().into_owned();
    cmd.args(case.args.iter().map(|a| a.replace("$TMPDIR", &dir)));
    cmd.env_clear()
        .envs(case.env.iter().cloned())
        .current_dir(&scratch.0);
    cmd.stdin(match &case.stdin {
        Some(f) => Stdio::from(std::fs::File::open(guests_dir().join(f)).expect("stdin file")),
        None => Stdio::null(),
    });
    // SAFETY: setrlimit is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            let zero = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            libc::setrlimit(libc::RLIMIT_CORE, &zero);
            Ok(())
        });
    }
    let out = cmd.output().unwrap_or_else(|e| panic!("{program}: {e}"));
    let status = match (out.status.code(), out.status.signal()) {
        (Some(code), _) => code,
        (None, Some(sig)) => 128 + sig,
        _ => unreachable!("a process exits or is killed"),
    };
    Outcome {
        stdout: out.stdout,
        stderr: out.stderr,
        status,
    }
}

/// Whether `case` has a golden: not when tests/guests/oracle.txt lists it as `qemu-differs`
/// (qemu-riscv64 differs from Linux there, and tests/oracle.rs holds mimic to a native run).
pub fn has_golden(case: &Case) -> bool {
    let text =
        std::fs::read_to_string(guests_dir().join("oracle.txt")).expect("tests/guests/oracle.txt");
    !text.lines().any(|line| {
        let f: Vec<&str> = line.split('|').map(str::trim).collect();
        f.len() == 4 && f[0] == case.name && f[1] == "qemu-differs"
    })
}

/// The golden outcome recorded from qemu-riscv64.
pub fn expected(case: &Case) -> Outcome {
    let read = |ext: &str| {
        std::fs::read(
            guests_dir()
                .join("expected")
                .join(format!("{}.{ext}", case.name)),
        )
        .unwrap_or_else(|e| panic!("expected/{}.{ext}: {e}", case.name))
    };
    let status = String::from_utf8(read("status"))
        .unwrap()
        .trim()
        .parse()
        .expect("status is a number");
    Outcome {
        stdout: read("stdout"),
        stderr: read("stderr"),
        status,
    }
}

/// Differences between what a case gave and what it should, as readable lines.
pub fn compare(case: &Case, got: &Outcome, want: &Outcome) -> Vec<String> {
    let mut diffs = Vec::new();
    if got.status != want.status {
        diffs.push(format!(
            "{}: status {} (want {})",
            case.name, got.status, want.status
        ));
    }
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    if got.stdout != want.stdout {
        diffs.push(format!(
            "{}: stdout differs\n--- got\n{}\n--- want\n{}",
            case.name,
            text(&got.stdout),
            text(&want.stdout)
        ));
    }
    if case.exact_stderr && got.stderr != want.stderr {
        diffs.push(format!(
            "{}: stderr differs\n--- got\n{}\n--- want\n{}",
            case.name,
            text(&got.stderr),
            text(&want.stderr)
        ));
    }
    diffs
}

/// Runs `cases` two at a time (the machines have two cores) and collects every difference.
pub fn run_all(cases: Vec<Case>, check: impl Fn(&Case) -> Vec<String> + Sync) -> Vec<String> {
    let next = AtomicUsize::new(0);
    let diffs = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(case) = cases.get(i) else { break };
                let d = check(case);
                diffs.lock().unwrap().extend(d);
            });
        }
    });
    diffs.into_inner().unwrap()
}

/// Runs each of `cases` under `mimic run --deterministic` with every engine (the default tiers,
/// the interpreter, the translator) against its golden, and collects every difference.
pub fn deterministic_diffs(cases: Vec<Case>) -> Vec<String> {
    run_all(cases, |case| {
        let mut diffs = Vec::new();
        for engine in [
            &["--deterministic"][..],
            &["--deterministic", "--interp"],
            &["--deterministic", "--jit"],
        ] {
            let mut cmd = vec![env!("CARGO_BIN_EXE_mimic"), "run"];
            cmd.extend_from_slice(engine);
            diffs.extend(
                compare(case, &run(case, &cmd), &expected(case))
                    .into_iter()
                    .map(|d| format!("{engine:?}: {d}")),
            );
        }
        diffs
    })
}
