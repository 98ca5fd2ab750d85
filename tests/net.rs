//! Sockets beyond the golden cases: the socket cases again in deterministic mode under every
//! engine (blocking accept, recv and connect there park instead of blocking the one host
//! thread), what Linux does where qemu-riscv64 differs, and `--strace` lines of the calls.

#[path = "guest_cases/mod.rs"]
mod guest_cases;

use guest_cases::{cases, deterministic_diffs, guests_dir, mimic_run};

fn sockets() -> String {
    guests_dir().join("bin/sockets").to_str().unwrap().into()
}

#[test]
fn socket_cases_match_qemu_in_deterministic_mode_under_every_engine() {
    let cases: Vec<_> = cases()
        .into_iter()
        .filter(|c| c.binary.starts_with("sockets"))
        .collect();
    assert!(cases.len() >= 3, "only {} socket cases", cases.len());
    let diffs = deterministic_diffs(cases);
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
}

/// A control buffer too small for one descriptor: Linux sets MSG_CTRUNC and returns no
/// control data (this is the native run's output). qemu-riscv64 receives into a larger host
/// buffer and reports the cut header without MSG_CTRUNC, so it has no golden.
#[test]
fn a_short_control_buffer_is_truncated_as_linux_does() {
    let want = "rights: short control buffer: MSG_CTRUNC 1, controllen 0\n";
    for engine in ["--interp", "--jit", "--deterministic"] {
        let (status, out, err) = mimic_run(&[engine, &sockets(), "ctrunc"]);
        assert_eq!((status, out.as_str()), (0, want), "{engine}: {err}");
    }
}

/// `--strace` shows the socket calls by name with their families, types, flags and
/// addresses decoded.
#[test]
fn strace_decodes_socket_calls() {
    let (status, _, err) = mimic_run(&["--strace", &sockets(), "udp"]);
    assert_eq!(status, 0, "{err}");
    for want in [
        "socket(AF_INET,SOCK_DGRAM,0) = 3",
        "bind(3,{sin_family=AF_INET,sin_port=htons(0),sin_addr=inet_addr(\"127.0.0.1\")},16) = 0",
        "recvmsg(3,0x",
    ] {
        assert!(err.contains(want), "no {want:?} in\n{err}");
    }
    let (status, _, err) = mimic_run(&["--strace", &sockets(), "pair"]);
    assert_eq!(status, 0, "{err}");
    for want in [
        "socketpair(AF_UNIX,SOCK_SEQPACKET|SOCK_NONBLOCK,0,0x",
        "sendto(0,0x",
        "= -1 errno=88 (Socket operation on non-socket)",
        "bind(3,0x10,16) = -1 errno=14 (Bad address)",
    ] {
        assert!(err.contains(want), "no {want:?} in\n{err}");
    }
    let (status, _, err) = mimic_run(&["--strace", &sockets(), "pipe"]);
    assert_eq!(status, 0, "{err}");
    assert!(
        err.contains(",1,MSG_NOSIGNAL,NULL,0) = -1 errno=32"),
        "{err}"
    );
}
