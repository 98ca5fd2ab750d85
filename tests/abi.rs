//! The less common ABI families (`tests/guests/src/abicalls.c`) beyond their golden cases:
//! the cases again in deterministic mode under every engine; the `beyond` part, where
//! qemu-riscv64 7.2 lacks the call (openat2, fchmodat2), refuses it (the child-subreaper
//! prctls, PR_SET_THP_DISABLE, …) or answers as the host (TIOCGSID, membarrier's rseq commands, unshare), held to
//! the answers Linux gives a riscv64 process under mimic; deterministic mode's virtual
//! clocks; and `--strace` naming the calls.

#[path = "guest_cases/mod.rs"]
mod guest_cases;

use guest_cases::{cases, deterministic_diffs, run, Case};

fn mimic() -> &'static str {
    env!("CARGO_BIN_EXE_mimic")
}

fn abi_cases() -> Vec<Case> {
    let cases: Vec<_> = cases()
        .into_iter()
        .filter(|c| c.binary == "abicalls")
        .collect();
    assert!(cases.len() >= 4, "only {} abicalls cases", cases.len());
    cases
}

/// A case running abicalls with `args` (`$TMPDIR` is its scratch directory).
fn part(args: &[&str]) -> Case {
    let mut c = abi_cases().remove(0);
    c.name = format!("abi-{}", args[0]);
    c.args = args.iter().map(|a| a.to_string()).collect();
    c
}

#[test]
fn abi_cases_match_qemu_in_deterministic_mode_under_every_engine() {
    let diffs = deterministic_diffs(abi_cases());
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
}

const BEYOND: &str = "\
openat2 of a file                                                  yes
openat2 RESOLVE_BENEATH inside                                     yes
openat2 RESOLVE_BENEATH escaping is EXDEV                          yes
openat2 RESOLVE_NO_SYMLINKS through a symlink is ELOOP             yes
openat2 with a short open_how is EINVAL                            yes
openat2 with a bigger zero-tailed open_how                         yes
openat2 with a non-zero tail is E2BIG                              yes
openat2 with a mode but no O_CREAT is EINVAL                       yes
openat2 with unknown flags is EINVAL                               yes
openat2 O_CREAT makes the file with its mode                       yes
openat2 to an unmapped open_how is EFAULT                          yes
fchmodat2 of a file                                                yes
fchmodat2 AT_SYMLINK_NOFOLLOW of a file                            yes
fchmodat2 AT_SYMLINK_NOFOLLOW of a symlink is EOPNOTSUPP           yes
fchmodat2 with unknown flags is EINVAL                             yes
membarrier QUERY offers no rseq commands (no rseq)                 yes
membarrier REGISTER_PRIVATE_EXPEDITED_RSEQ is EINVAL               yes
unshare(CLONE_VM|CLONE_SIGHAND|CLONE_THREAD) in a lone thread      yes
unshare(CLONE_NEWUTS) unprivileged-style is refused                yes
unshare(CLONE_VM) with two threads is EINVAL                       yes
unshare(CLONE_SYSVSEM) with two threads                            yes
TIOCGPTPEER opens the slave                                        yes
TIOCGSID of a controlling terminal is its session                  yes
PR_GET_CHILD_SUBREAPER is 0                                        yes
PR_SET_CHILD_SUBREAPER                                             yes
PR_GET_CHILD_SUBREAPER is 1                                        yes
the middle child exits                                             yes
the subreaper reaps the orphaned grandchild                        yes
the grandchild died of its PR_SET_PDEATHSIG signal                 yes
no child is left                                                   yes
PR_GET_THP_DISABLE is 0                                            yes
PR_SET_THP_DISABLE                                                 yes
PR_GET_THP_DISABLE is 1                                            yes
PR_TASK_PERF_EVENTS_DISABLE and ENABLE                             yes
PR_GET_SPECULATION_CTRL of an unknown control is ENODEV            yes
";

/// The subreaper is the host's (a guest process is a host process), so the orphaned
/// grandchild comes back to the guest that asked, and its parent-death signal is delivered.
#[test]
fn beyond_qemu_the_calls_answer_as_linux_in_every_engine() {
    let case = part(&["beyond", "$TMPDIR"]);
    for engine in [&[][..], &["--interp"], &["--jit"], &["--deterministic"]] {
        let mut cmd = vec![mimic(), "run"];
        cmd.extend_from_slice(engine);
        let out = run(&case, &cmd);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!((out.status, &*stdout), (0, BEYOND), "{engine:?}: {stderr}");
    }
}

/// The value after `prefix` on the line that starts with it.
fn value(out: &str, prefix: &str) -> String {
    out.lines()
        .find_map(|l| l.strip_prefix(prefix))
        .unwrap_or_else(|| panic!("no {prefix:?} in:\n{out}"))
        .trim()
        .to_string()
}

/// Deterministic mode reads the clocks on the virtual time line: the same values on every
/// run, REALTIME from 2024-01-01 00:00:00 UTC, a 5 ms sleep seen to take 5 ms.
#[test]
fn deterministic_clocks_are_virtual_and_the_same_on_every_run() {
    let case = part(&["rawclock"]);
    let cmd = [mimic(), "run", "--deterministic"];
    let (a, b) = (run(&case, &cmd), run(&case, &cmd));
    let out = String::from_utf8_lossy(&a.stdout).into_owned();
    assert_eq!(a.status, 0, "{}", String::from_utf8_lossy(&a.stderr));
    assert_eq!(out, String::from_utf8_lossy(&b.stdout), "two runs differ");
    let epoch_ns = 1_704_067_200_000_000_000u64;
    let real: u64 = value(&out, "clock 0:").parse().unwrap();
    let mono: u64 = value(&out, "clock 1:").parse().unwrap();
    assert!(real >= epoch_ns && real - epoch_ns < 1_000_000_000, "{out}");
    assert!(mono < 1_000_000_000, "{out}");
    assert_eq!(value(&out, "time:"), "1704067200", "{out}");
    assert!(
        value(&out, "gettimeofday:").starts_with("1704067200.00"),
        "{out}"
    );
    let after: u64 = value(&out, "monotonic after 5 ms:").parse().unwrap();
    assert!(after >= mono + 5_000_000, "{out}");
    // The CPU times of getrusage and times count retired instructions too: microseconds here.
    let ru = value(&out, "getrusage self: utime");
    assert!(
        ru.starts_with("0.00") && ru.ends_with("stime 0.000000"),
        "{out}"
    );
    assert!(value(&out, "times:").starts_with("0 utime 0"), "{out}");
}

/// `--strace` shows each new call by name with its arguments decoded.
#[test]
fn strace_names_the_new_calls() {
    let mut err = String::new();
    for args in [
        &["files", "$TMPDIR"][..],
        &["tty"],
        &["proc"],
        &["beyond", "$TMPDIR"],
    ] {
        let out = run(&part(args), &[mimic(), "run", "--strace"]);
        assert_eq!(out.status, 0, "{args:?}");
        err.push_str(&String::from_utf8_lossy(&out.stderr));
    }
    for call in [
        "sendfile(5,3,",
        "splice(",
        "tee(",
        "vmsplice(",
        "copy_file_range(",
        "readahead(",
        "sync_file_range(",
        "mknodat(AT_FDCWD,\"fifo\",010600,0) = 0",
        "name_to_handle_at(AT_FDCWD,\"src\",",
        "open_by_handle_at(",
        "ioctl(3,TIOCGPTN,",
        "TIOCSPTLCK",
        "TIOCSCTTY",
        "TIOCNOTTY",
        "capget(",
        "capset(",
        "getcpu(",
        "membarrier(",
        "unshare(",
        "waitid(",
        "openat2(AT_FDCWD,\"inside\",",
        "fchmodat2(AT_FDCWD,\"inside\",0600,0) = 0",
    ] {
        assert!(err.contains(call), "no {call} in:\n{err}");
    }
    assert!(!err.contains("unknown_syscall"), "{err}");
    assert!(!err.contains("unsupported"), "{err}");
}
