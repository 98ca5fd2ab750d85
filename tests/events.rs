//! Event loops beyond the golden cases: epoll_pwait2, which qemu-riscv64 answers with ENOSYS
//! (so tests/guests/build.sh records no golden for it; the expected text is what x86-64 Linux
//! prints for the same C program), in every engine and in deterministic mode; and the
//! `--strace` names of the event calls.

#[path = "guest_cases/mod.rs"]
mod guest_cases;

use guest_cases::mimic_guest;

const PWAIT2: &str = "\
5ms, nothing ready: 0
ready, no timeout: 1 {0x1, 0x8877665544332211}
ready, timeout 0: 1 {0x1, 0x8877665544332211}
bad timespec (EINVAL): -1 Invalid argument
bad timespec pointer (EFAULT): -1 Bad address
maxevents 0 (EINVAL): -1 Invalid argument
";

#[test]
fn epoll_pwait2_waits_and_fails_as_linux_in_every_engine() {
    for engine in [&[][..], &["--interp"], &["--jit"], &["--deterministic"]] {
        let (status, out, err) = mimic_guest(engine, "epoll2", &[]);
        assert_eq!((status, out.as_str()), (0, PWAIT2), "{engine:?}: {err}");
    }
}

#[test]
fn strace_names_the_event_calls() {
    let (status, _, err) = mimic_guest(&["--strace"], "epoll", &[]);
    assert_eq!(status, 0, "{err}");
    for call in [
        "epoll_create1(",
        "epoll_ctl(",
        "epoll_pwait(",
        "eventfd2(",
        "timerfd_create(",
        "timerfd_settime(",
        "timerfd_gettime(",
    ] {
        assert!(err.contains(call), "no {call} in:\n{err}");
    }
    // A call mimic lacks shows as `name(0x…) = -1 errno=38 (Function not implemented)`.
    assert!(!err.contains("errno=38"), "{err}");
}
