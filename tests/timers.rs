//! Timers, signalfds and pidfds beyond the golden cases (tests/guests.rs runs `itimer` and
//! `signalfd` under --interp, --jit and the tiered engine): the same goldens in
//! deterministic mode, where timers run on virtual time; and si_timerid, which qemu-riscv64
//! 7.2 gets wrong (it delivers the id of its own host timer, not the guest's), so the
//! `itimer timerid` mode has no golden and is held to what x86-64 Linux prints for it.

#[path = "guest_cases/mod.rs"]
mod guest_cases;

use guest_cases::{guests_dir, mimic_guest};

fn golden(name: &str) -> String {
    std::fs::read_to_string(guests_dir().join("expected").join(format!("{name}.stdout"))).unwrap()
}

#[test]
fn timers_and_signalfds_match_qemu_in_deterministic_mode() {
    for name in ["itimer", "signalfd"] {
        let (status, out, err) = mimic_guest(&["--deterministic"], name, &[]);
        assert_eq!((status, out), (0, golden(name)), "{name}: {err}");
    }
}

/// Deterministic mode gives the same run twice: timers fire at the same virtual times.
#[test]
fn deterministic_timers_retire_the_same_instructions_twice() {
    let run = || mimic_guest(&["--deterministic", "--stats"], "itimer", &["timerid"]);
    let (a, b) = (run(), run());
    assert_eq!(a.0, 0, "{}", a.2);
    let stats = |err: &str| {
        err.lines()
            .find(|l| l.contains("instructions retired"))
            .map(str::to_owned)
    };
    assert!(stats(&a.2).is_some(), "{}", a.2);
    assert_eq!(stats(&a.2), stats(&b.2));
}

const TIMERID: &str = "\
timer_create MONOTONIC: 0
timer_settime: 0
SIGEV_SIGNAL: si_value 42, SI_TIMER yes
si_timerid is the timer's: yes
";

#[test]
fn si_timerid_is_the_guests_timer_id_in_every_engine() {
    for engine in [&[][..], &["--interp"], &["--jit"], &["--deterministic"]] {
        let (status, out, err) = mimic_guest(engine, "itimer", &["timerid"]);
        assert_eq!((status, out.as_str()), (0, TIMERID), "{engine:?}: {err}");
    }
}

#[test]
fn strace_names_the_timer_calls() {
    let (status, _, err) = mimic_guest(&["--strace"], "itimer", &["timerid"]);
    assert_eq!(status, 0, "{err}");
    for call in ["timer_create(", "timer_settime("] {
        assert!(err.contains(call), "no {call} in:\n{err}");
    }
    assert!(!err.contains("unknown_syscall"), "{err}");
}
