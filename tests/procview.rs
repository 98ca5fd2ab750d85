//! /proc/self as the guest sees it (tests/guests/src/procview.c), under every engine.
//!
//! qemu-riscv64 is not the reference here: it passes /proc/self/mem, /proc/thread-self, and
//! every spelling but "/proc/self/X" and "/proc/<pid>/X" (openat from a /proc dirfd, a
//! symlink, chdir) to the host, so a guest reads and writes qemu's own memory through them;
//! it puts the guest stack at 1 << 38, outside Sv39; and its /proc/self/environ is its
//! own. The part qemu does get right is the golden case `procview-basic` in cases.txt.
//! Here the guest checks each fact against Linux's behaviour itself and prints yes/no.

#[path = "guest_cases/mod.rs"]
mod guest_cases;

use guest_cases::{guests_dir, Scratch};
use std::process::Command;

/// Every check the full run must report (a check that vanished is a failure too).
const CHECKS: &[&str] = &[
    "maps only guest addresses",
    "readlink exe",
    "maps text r-xp",
    "maps text names the program",
    "maps stack",
    "exe is riscv",
    "cmdline is argv",
    "environ is the initial environment",
    "auxv AT_PAGESZ 4096",
    "auxv AT_PHDR",
    "stat pid comm state ppid",
    "stat code and stack are the guest's",
    "status name pid",
    "comm",
    "maps heap",
    "maps anonymous r--p",
    "maps split by mprotect",
    "mmap exe is riscv",
    "maps file mapping",
    "maps forgets munmap",
    "stat exe is the program",
    "mem read",
    "mem write",
    "mem lseek read",
    "mem writes a read-only page",
    "mem reaches a no-access page",
    "mem unmapped is EIO",
    "mem write unmapped is EIO",
    "mem short read at a hole",
    "mem patches code",
    "mem read-only fd refuses writes",
    "mem fd link",
    "mem and maps have no mmap",
    "mem dup",
    "spelling /proc/./self/maps",
    "spelling /proc//self/mem",
    "spelling /proc/thread-self/mem",
    "spelling openat(/proc/self, mem)",
    "spelling openat(/proc/self, maps)",
    "spelling openat(/proc, self/mem)",
    "spelling /proc/pid/task/tid/mem",
    "spelling /proc/pid/maps",
    "spelling symlink to /proc/self/mem",
    "spelling chdir(/proc/self) maps",
    "spelling readlink self/task/../exe",
    "host layout entries refused",
    "mem reaches no host address",
    "child process layout refused",
    "thread views",
    "exec child",
    "execve /proc/self/exe runs the program",
];

fn run_procview(engine: &[&str]) {
    let scratch = Scratch::new("procview");
    let bin = guests_dir().join("bin/procview");
    let out = Command::new(env!("CARGO_BIN_EXE_mimic"))
        .arg("run")
        .args(engine)
        .arg(&bin)
        .arg(&scratch.0)
        .env_clear()
        .env("MIMIC_TEST_A", "one")
        .env("PATH", "/bin:/usr/bin")
        .current_dir(&scratch.0)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let context = format!("{engine:?}\n{stdout}\n{stderr}");
    let answers: Vec<(&str, &str)> = stdout
        .lines()
        .map(|l| l.rsplit_once(": ").unwrap_or((l, "?")))
        .collect();
    for (name, answer) in &answers {
        assert_eq!(*answer, "yes", "{name}: {context}");
    }
    for check in CHECKS {
        assert!(
            answers.iter().any(|(n, _)| n == check),
            "{check} not reported: {context}"
        );
    }
    assert_eq!(out.status.code(), Some(0), "{context}");
}

#[test]
fn proc_self_is_the_guest_interpreted() {
    run_procview(&["--interp"]);
}

#[test]
fn proc_self_is_the_guest_translated() {
    run_procview(&["--jit"]);
}

#[test]
fn proc_self_is_the_guest_tiered() {
    run_procview(&[]);
}

#[test]
fn proc_self_is_the_guest_deterministic() {
    run_procview(&["--deterministic"]);
}
