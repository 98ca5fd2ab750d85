//! `--strace` shows the structures a call reads or writes the way qemu-user's strace does,
//! rendered from the structure's declaration (hypervisor-lite's abi module). qemu prints
//! timespecs in nanosleep and clock_nanosleep calls and after clock_gettime's and
//! clock_getres' results:
//!
//! ```text
//! clock_nanosleep(CLOCK_REALTIME,0,{tv_sec = 0,tv_nsec = 10000000},{tv_sec = 0,tv_nsec = 0}) = 0
//! clock_getres(CLOCK_MONOTONIC,0x0000004000800528) = 0 ({tv_sec = 0,tv_nsec = 1})
//! ```
//!
//! (recorded from qemu-riscv64 7.2 running tests/guests/bin/clock). Timing values differ
//! between runs, so these are checked here rather than as a golden file.

use std::path::Path;
use std::process::Command;

/// The `--strace` lines of a run of guest `name`, which must succeed.
fn strace_of(name: &str) -> String {
    let bin = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/guests/bin")
        .join(name);
    let out = Command::new(env!("CARGO_BIN_EXE_mimic"))
        .args(["run", "--strace"])
        .arg(&bin)
        .env_clear()
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{name}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn strace_shows_timespecs_as_qemu_does() {
    let err = strace_of("clock");
    let line = |call: &str| {
        err.lines()
            .find(|l| l.contains(&format!(" {call}(")))
            .unwrap_or_else(|| panic!("no {call} line in:\n{err}"))
            .to_string()
    };
    // The request is the guest's nanosleep(10 ms); rem is shown as it is before the call
    // (whatever the guest's stack held).
    let sleep = line("clock_nanosleep");
    assert!(
        sleep.contains(",0,{tv_sec = 0,tv_nsec = 10000000},{tv_sec = "),
        "{sleep}"
    );
    let res = line("clock_getres");
    assert!(res.ends_with(" = 0 ({tv_sec = 0,tv_nsec = 1})"), "{res}");
    let now = line("clock_gettime");
    assert!(
        now.contains(" = 0 ({tv_sec = ") && now.ends_with("})"),
        "{now}"
    );
}

/// rt_sigaction and rt_sigprocmask show three arguments, as qemu-riscv64's strace does (it
/// leaves out the sigset size), recorded from qemu-riscv64 7.2 running
/// tests/guests/bin/sighandler:
///
/// ```text
/// rt_sigaction(SIGUSR1,0x00000040008000b8,NULL) = 0
/// rt_sigprocmask(SIG_BLOCK,NULL,0x00000040007ffd70) = 0
/// ```
#[test]
fn strace_shows_signal_calls_without_the_sigset_size() {
    let err = strace_of("sighandler");
    for call in ["rt_sigaction(", "rt_sigprocmask("] {
        let lines: Vec<&str> = err.lines().filter(|l| l.contains(call)).collect();
        assert!(!lines.is_empty(), "no {call} line in:\n{err}");
        for l in lines {
            let args = &l[l.find(call).unwrap() + call.len()..l.find(") = ").unwrap()];
            assert_eq!(args.split(',').count(), 3, "{l}");
        }
    }
}
