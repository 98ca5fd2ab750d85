//! Hostile guests: wild syscall pointers, mappings at the end of the guest space, corrupted
//! signal frames, signal and thread storms, self-modifying code raced by threads, random
//! instruction words. Every run has a timeout, and every outcome is held to what Linux gives
//! and to mimic's own promises: no "internal error", no panic, no SIGABRT of mimic itself,
//! no host signal death but the guest's own fatal signal re-raised.
//!
//! The guests are `tests/guests/src/hostile_*.c`. Their modes where qemu-riscv64 agrees with
//! Linux have goldens (`hostile_*` cases of cases.txt, which tests/guests.rs leaves to this
//! file); the others are asserted here, each with why qemu cannot be the reference.

#[path = "guest_cases/mod.rs"]
mod guest_cases;

use guest_cases::{cases, compare, expected, guests_dir, Case, Outcome, Scratch};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const INTERP: &[&str] = &["--interp"];
const JIT: &[&str] = &["--jit"];
const TIERED: &[&str] = &[];
const DETERMINISTIC: &[&str] = &["--deterministic"];

/// Longest a hostile run may take before it counts as a hang (debug build, loaded machine).
const TIMEOUT: Duration = Duration::from_secs(60);

/// Runs `mimic run <engine> <guest> <args>` in a scratch directory with an empty environment,
/// stdin from /dev/null and no core dumps; kills it and fails after [`TIMEOUT`].
fn run(engine: &[&str], binary: &str, args: &[&str]) -> Outcome {
    let scratch = Scratch::new(binary);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mimic"));
    cmd.arg("run")
        .args(engine)
        .arg(guests_dir().join("bin").join(binary))
        .args(args)
        .env_clear()
        .current_dir(&scratch.0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
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
    let mut child = cmd.spawn().expect("mimic starts");
    // Pipes drain on their own threads so a chatty guest cannot block on a full pipe.
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut b = Vec::new();
        std::io::Read::read_to_end(&mut out, &mut b).ok();
        b
    });
    let err = std::thread::spawn(move || {
        let mut b = Vec::new();
        std::io::Read::read_to_end(&mut err, &mut b).ok();
        b
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait for mimic") {
            break s;
        }
        if start.elapsed() > TIMEOUT {
            child.kill().ok();
            child.wait().ok();
            panic!("{binary} {args:?} under {engine:?}: no end after {TIMEOUT:?} (a hang)");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let status = match (status.code(), status.signal()) {
        (Some(code), _) => code,
        (None, Some(sig)) => 128 + sig,
        _ => unreachable!("a process exits or is killed"),
    };
    Outcome {
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
        status,
    }
}

/// What mimic must never do, whatever the guest: crash, panic or abort itself. A death by
/// signal is only one of the guest's fatal signals re-raised (SIGILL, SIGTRAP, SIGBUS, SIGFPE,
/// SIGSEGV), never SIGABRT (134): no hostile guest here calls abort().
fn sane(what: &str, o: &Outcome) -> Vec<String> {
    let err = String::from_utf8_lossy(&o.stderr);
    let mut bad = Vec::new();
    for sign in ["internal error", "panicked", "RUST_BACKTRACE"] {
        if err.contains(sign) {
            bad.push(format!("{what}: mimic itself failed ({sign}):\n{err}"));
        }
    }
    if o.status > 128 && ![132, 133, 135, 136, 139].contains(&o.status) {
        bad.push(format!(
            "{what}: died of host signal {}:\n{err}",
            o.status - 128
        ));
    }
    // A guest's fatal fault is reported as the guest's before mimic re-raises it; a death
    // without that line is mimic's own crash with the same signal.
    if o.status > 128 && !err.contains("mimic: guest SIG") {
        bad.push(format!(
            "{what}: died of signal {} without a guest fault report:\n{err}",
            o.status - 128
        ));
    }
    bad
}

/// The golden cases whose names start with `prefix`, each run under `engine` with the
/// timeout and held to its golden and to [`sane`].
fn goldens(prefix: &str, engine: &[&str]) -> Vec<String> {
    let picked: Vec<Case> = cases()
        .into_iter()
        .filter(|c| c.name.starts_with(prefix))
        .collect();
    assert!(!picked.is_empty(), "no cases named {prefix}*");
    let mut diffs = Vec::new();
    for case in &picked {
        let args: Vec<&str> = case.args.iter().map(String::as_str).collect();
        let got = run(engine, &case.binary, &args);
        let what = format!("{} under {engine:?}", case.name);
        diffs.extend(sane(&what, &got));
        diffs.extend(
            compare(case, &got, &expected(case))
                .into_iter()
                .map(|d| format!("{d} (under {engine:?})")),
        );
    }
    diffs
}

/// Runs a guest mode and holds its stdout to `want`, line by line.
fn lines(engine: &[&str], binary: &str, args: &[&str], want: &str, status: i32) -> Vec<String> {
    let got = run(engine, binary, args);
    let what = format!("{binary} {args:?} under {engine:?}");
    let mut diffs = sane(&what, &got);
    if got.status != status {
        diffs.push(format!(
            "{what}: status {} (want {status})\n{}",
            got.status,
            String::from_utf8_lossy(&got.stderr)
        ));
    }
    let text = String::from_utf8_lossy(&got.stdout);
    let (g, w): (Vec<&str>, Vec<&str>) = (text.lines().collect(), want.lines().collect());
    for i in 0..g.len().max(w.len()) {
        let (gl, wl) = (g.get(i).copied(), w.get(i).copied());
        if gl.map(squash) != wl.map(squash) {
            diffs.push(format!("{what}: line {}: got {gl:?}, want {wl:?}", i + 1));
        }
    }
    diffs
}

/// Column padding does not matter in the expected texts below.
fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn assert_none(diffs: Vec<String>) {
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
}

// ---- 1. wild syscall pointers ----------------------------------------------------------

/// `hostile_ptrs linux`: where qemu-riscv64 is not Linux. qemu checks a whole buffer length
/// before the call and fails what Linux completes or fails differently: getcwd with a huge
/// size copies only the path; clock_getres and sysinfo write their result (EFAULT on a wild
/// pointer, qemu succeeds); an unreadable nanosleep request is EFAULT (qemu: EINVAL); riscv64
/// has no renameat (qemu 7.2 and Linux: ENOSYS); riscv64's struct sigaction is 24 bytes
/// (qemu reads 32); qemu 7.2 lacks set_robust_list. A nanosleep `rem` is written only when
/// the sleep is interrupted, so a wild one does not matter.
const PTRS_LINUX: &str = "\
getcwd len ~0 ok
getcwd len 1<<62 ok
getcwd 0 EFAULT
getcwd 1 EFAULT
getcwd ~0-7 EFAULT
getcwd 1<<38 EFAULT
getcwd 1<<63 EFAULT
getcwd prot_none EFAULT
getcwd read_only EFAULT
getcwd straddle efault-or-short
read 0 EFAULT
read 1 EFAULT
read ~0-7 EFAULT
read 1<<38 EFAULT
read 1<<63 EFAULT
read prot_none EFAULT
read read_only EFAULT
read straddle efault-or-short
pread64 0 EFAULT
pread64 1 EFAULT
pread64 ~0-7 EFAULT
pread64 1<<38 EFAULT
pread64 1<<63 EFAULT
pread64 prot_none EFAULT
pread64 read_only EFAULT
pread64 straddle efault-or-short
getrandom 0 EFAULT
getrandom 1 EFAULT
getrandom ~0-7 EFAULT
getrandom 1<<38 EFAULT
getrandom 1<<63 EFAULT
getrandom prot_none EFAULT
getrandom read_only EFAULT
getrandom straddle efault-or-short
getrandom 1<<62 straddle efault-or-short
renameat - ENOSYS
nanosleep req 0 EFAULT
nanosleep req 1 EFAULT
nanosleep req ~0-7 EFAULT
nanosleep req 1<<38 EFAULT
nanosleep req 1<<63 EFAULT
nanosleep req prot_none EFAULT
nanosleep req straddle efault-or-short
sysinfo NULL EFAULT
rt_sigaction act 24 fit ok
rt_sigaction old 24 fit ok
set_robust_list 1<<63 ok
set_robust_list len 23 EINVAL
clock_getres NULL ok
clock_getres 1<<38 EFAULT
nanosleep rem 1<<63 ok
riscv_flush_icache 0..~0 ok
riscv_flush_icache ~0..0 ok
riscv_flush_icache 1<<63.. ok
rt_sigqueueinfo 1<<38 EFAULT
SIGUSR1 delivered - 0
done
";

/// `hostile_ptrs lookupfirst`: Linux 6.x, where qemu-riscv64 checks every pointer before the
/// call (the guest's comment says how). tests/oracle.rs holds the case to the native run
/// under the other engines; these lines are that run's, for deterministic mode too.
const PTRS_LOOKUP_FIRST: &str = "\
linkat new 0 ENOENT
linkat new 1 ENOENT
linkat new ~0-7 ENOENT
linkat new 1<<38 ENOENT
linkat new 1<<63 ENOENT
linkat new prot_none ENOENT
linkat new read_only ENOENT
linkat new straddle ENOENT
readlinkat buf 0 ENOENT
readlinkat buf 1 ENOENT
readlinkat buf ~0-7 ENOENT
readlinkat buf 1<<38 ENOENT
readlinkat buf 1<<63 ENOENT
readlinkat buf prot_none ENOENT
readlinkat buf read_only ENOENT
readlinkat buf straddle ENOENT
clone3 0 EFAULT
clone3 1 EFAULT
clone3 ~0-7 EFAULT
clone3 1<<38 EFAULT
clone3 1<<63 EFAULT
clone3 prot_none EFAULT
clone3 straddle efault-or-short
writev len 1<<62 ok
rt_sigqueueinfo unknown EFAULT
rt_sigqueueinfo SI_QUEUE ok
rt_sigqueueinfo unknown E2BIG
rt_sigqueueinfo unknown 0 ok
SIGUSR1 delivered - 2
done
";

fn wild_pointers(engine: &[&str]) {
    let mut diffs = goldens("hostile_ptrs-efault", engine);
    diffs.extend(goldens("hostile_ptrs-exitptrs", engine));
    diffs.extend(lines(engine, "hostile_ptrs", &["linux"], PTRS_LINUX, 0));
    diffs.extend(lines(
        engine,
        "hostile_ptrs",
        &["lookupfirst"],
        PTRS_LOOKUP_FIRST,
        0,
    ));
    assert_none(diffs);
}

#[test]
fn wild_pointers_interpreted() {
    wild_pointers(INTERP);
}
#[test]
fn wild_pointers_translated() {
    wild_pointers(JIT);
}
#[test]
fn wild_pointers_tiered() {
    wild_pointers(TIERED);
}
/// Deterministic mode has its own paths for the calls that wait (futex, ppoll, pselect6,
/// nanosleep, wait4): the same answers.
#[test]
fn wild_pointers_deterministic() {
    wild_pointers(DETERMINISTIC);
}

/// A zero-length buffer past the end of the user address space is still EFAULT (Linux's
/// access_ok); mimic accepts it. The range check is `memory/` (memfloor's).
#[test]
fn zero_length_buffers_past_the_end_are_efault() {
    assert_none(goldens("hostile_ptrs-zerolen", TIERED));
}

// ---- 2. mappings at and past the end of the guest space --------------------------------

/// `hostile_mmap`, held to a riscv64 Linux kernel with Sv39 (user space ends at 1<<38, as
/// mimic's). qemu-riscv64 on x86-64 gives the guest 47 bits, and qemu 7.2 treats
/// MAP_FIXED_NOREPLACE as a hint, so it cannot be the reference here.
const MMAP_SV39: &str = "\
fixed last page ok at hint
last byte written and read 42
fixed_noreplace over last page EEXIST
fixed last page + 1 past end ENOMEM
fixed at end ENOMEM
fixed_noreplace at end ENOMEM
fixed at 1<<47 ENOMEM
fixed at 1<<63 ENOMEM
fixed wrapping 2^64 ENOMEM
fixed_noreplace wrapping 2^64 ENOMEM
fixed at 0 len 1<<62 ENOMEM
hint at end ok elsewhere
hint at last page, 2 pages ok elsewhere
hint at 1<<47 ok elsewhere
hint at 1<<63 ok elsewhere
len 0 EINVAL
len ~0 ENOMEM
len ~0-4095 ENOMEM
len 1<<62 ENOMEM
len 1<<38 ENOMEM
fixed unaligned EINVAL
mremap last page grow in place ENOMEM
mremap last page grow, may move ok
moved page keeps its byte 42
a page to move ok elsewhere
mremap to fixed past end EINVAL
mremap to fixed at 1<<47 EINVAL
mremap from past end EFAULT
mremap to len 1<<62 ENOMEM
fixed last page again ok at hint
mprotect last page ok
mprotect across end ENOMEM
mprotect at end ENOMEM
mprotect wrapping ENOMEM
madvise across end ENOMEM
madvise wrapping EINVAL
munmap across end EINVAL
munmap at end EINVAL
munmap at 1<<63 EINVAL
munmap wrapping EINVAL
munmap len ~0 EINVAL
munmap last page ok
brk to end refused
brk to ~0 refused
fresh mapping works 7
";

/// `hostile_mmap` held to [`MMAP_SV39`], and accesses at and past the end of the space.
fn mappings(engine: &[&str]) {
    let mut diffs = lines(engine, "hostile_mmap", &[], MMAP_SV39, 0);
    // Accesses in the last page, and across the end (a golden: qemu agrees there).
    diffs.extend(goldens("hostile_edge", engine));
    // A page and more past the end (past mimic's guard page): SIGSEGV, no host byte
    // touched. qemu's space goes on there, so it is no reference.
    diffs.extend(lines(
        engine,
        "hostile_edge",
        &["beyond"],
        "ld END--4096 SIGSEGV\nsd END--4104 SIGSEGV\namoadd.d END--8192 SIGSEGV\nfld END--1048576 SIGSEGV\n",
        0,
    ));
    assert_none(diffs);
}

#[test]
fn mappings_at_the_end_interpreted() {
    mappings(INTERP);
}
#[test]
fn mappings_at_the_end_translated() {
    mappings(JIT);
}
#[test]
fn mappings_at_the_end_tiered() {
    mappings(TIERED);
}
// ---- 3. corrupted signal frames --------------------------------------------------------

/// A handler that fills its ucontext with garbage, rt_sigreturn over a frame of zeros,
/// handlers at wild or non-executable addresses, frames that cannot be written on a wild or
/// exhausted sigaltstack: SIGSEGV, whatever the frame layout.
fn corrupted_frames(engine: &[&str]) {
    let mut diffs = Vec::new();
    for mode in [
        "garbage",
        "noframe",
        "wildhandler",
        "datahandler",
        "altwild",
    ] {
        diffs.extend(goldens(&format!("hostile_sigframe-{mode}"), engine));
    }
    // Frames that run off the bottom of a sigaltstack into a PROT_NONE page: SIGSEGV
    // (qemu-riscv64 7.2 loops forever instead).
    diffs.extend(lines(
        engine,
        "hostile_sigframe",
        &["altoverflow"],
        "sigaltstack: 0\n",
        139,
    ));
    // Linux drops SIGKILL and SIGSTOP from the mask a frame restores; qemu 7.2 keeps them.
    diffs.extend(lines(
        engine,
        "hostile_sigframe",
        &["mask"],
        "returned from the handler\nSIGUSR2 blocked: 1, SIGKILL blocked: 0, SIGSTOP blocked: 0\n",
        0,
    ));
    assert_none(diffs);
}

#[test]
fn corrupted_frames_interpreted() {
    corrupted_frames(INTERP);
}
#[test]
fn corrupted_frames_translated() {
    corrupted_frames(JIT);
}
#[test]
fn corrupted_frames_tiered() {
    corrupted_frames(TIERED);
}

/// A handler that sets the frame's pc to 0 or 1<<63, or its sp to 1<<38 - 8, must see the
/// return go there (SIGSEGV). mimic restores a pc the handler did not write: the gregs the
/// handler sees are not where rt_sigreturn reads them. An odd pc is SIGBUS on Linux
/// (misaligned fetch), SIGILL under qemu. And rt_sigreturn whose frame cannot be read (sp
/// at a PROT_NONE page, at 1<<63) is a SIGSEGV in Linux (force_sig); mimic returns -EFAULT
/// to the guest, which runs on past the ecall. Both in signal.rs / vcpu.rs (layouts').
#[test]
fn frames_a_handler_rewrites_are_honoured() {
    let mut diffs = Vec::new();
    for engine in [INTERP, JIT, TIERED] {
        for mode in ["pc0", "pcwild", "spwild", "spnone", "spwildret"] {
            diffs.extend(goldens(&format!("hostile_sigframe-{mode}"), engine));
        }
        let odd = run(engine, "hostile_sigframe", &["pcodd"]);
        diffs.extend(sane("hostile_sigframe pcodd", &odd));
        if ![132, 135, 139].contains(&odd.status) {
            diffs.push(format!(
                "hostile_sigframe pcodd under {engine:?}: status {}, want a SIGBUS, SIGILL or SIGSEGV death",
                odd.status
            ));
        }
    }
    assert_none(diffs);
}

// ---- 4. signal and thread storms -------------------------------------------------------

/// `hostile_storm clobber`: no golden, because qemu-riscv64 7.2 is no reference there: about
/// half of its runs compute a wrong value inside the handler ("handler saw nothing right").
/// Before mimic woke a thread once per look at its signals rather than once per signal, the
/// flood kept the main host thread taking wake-ups and the run never ended.
const CLOBBER: &str = "clobber: integer same, FP sum same, FP divisions same, rounding mode kept, \
                       handler saw signals";

fn storms(engine: &[&str]) -> Vec<String> {
    let mut diffs = goldens("hostile_storm-", engine);
    diffs.extend(lines(engine, "hostile_storm", &["clobber"], CLOBBER, 0));
    diffs
}

#[test]
fn signal_storms_interpreted() {
    assert_none(storms(INTERP));
}
#[test]
fn signal_storms_translated() {
    assert_none(storms(JIT));
}
#[test]
fn signal_storms_tiered() {
    assert_none(storms(TIERED));
}
#[test]
fn signal_storms_deterministic() {
    assert_none(storms(DETERMINISTIC));
}

// ---- 5. self-modifying code raced by threads -------------------------------------------

#[test]
fn smc_race_interpreted() {
    assert_none(goldens("hostile_smc_race", INTERP));
}
#[test]
fn code_changed_without_a_store_interpreted() {
    assert_none(goldens("hostile_codechange-", INTERP));
}
#[test]
fn smc_race_translated() {
    assert_none(goldens("hostile_smc_race", JIT));
}
#[test]
fn code_changed_without_a_store_translated() {
    assert_none(goldens("hostile_codechange-", JIT));
}
#[test]
fn smc_race_tiered() {
    assert_none(goldens("hostile_smc_race", TIERED));
}
#[test]
fn code_changed_without_a_store_tiered() {
    assert_none(goldens("hostile_codechange-", TIERED));
}
#[test]
fn smc_race_deterministic() {
    assert_none(goldens("hostile_smc_race", DETERMINISTIC));
}
#[test]
fn code_changed_without_a_store_deterministic() {
    assert_none(goldens("hostile_codechange-", DETERMINISTIC));
}

/// A JIT's double mapping: one file mapped MAP_SHARED twice, written through the RW alias,
/// the RX alias flushed. Linux runs each new version; qemu-riscv64 7.2 keeps the first
/// (41 three times), so the answer is held here. mimic maps a shared writable file as a
/// private copy (it says so on stderr), so the RX alias never sees the writes: mm.rs's.
#[test]
fn code_written_through_a_shared_alias_runs() {
    let mut diffs = Vec::new();
    for engine in [INTERP, JIT, TIERED] {
        diffs.extend(lines(
            engine,
            "hostile_codechange",
            &["alias"],
            "alias pass 1: 41\nalias pass 2: 42\nalias pass 3: 43\n",
            0,
        ));
    }
    assert_none(diffs);
}

// ---- 6. loops without a system call ---------------------------------------------------

/// `hostile_spin`: loops that only a timer's signal handler ends, whatever the engine and
/// wherever translated code checks its budget (at back edges outside `--deterministic`).
fn spins(engine: &[&str]) {
    assert_none(goldens("hostile_spin", engine));
}

#[test]
fn spinning_loops_end_by_signal_interpreted() {
    spins(INTERP);
}
#[test]
fn spinning_loops_end_by_signal_translated() {
    spins(JIT);
}
#[test]
fn spinning_loops_end_by_signal_tiered() {
    spins(TIERED);
}
#[test]
fn spinning_loops_end_by_signal_deterministic() {
    spins(DETERMINISTIC);
}

// ---- 7. random instruction words -------------------------------------------------------

/// How each trial of the `hostile_random` case ended (its "trace" lines on stderr), under
/// `engine`, with the run held to the case's golden stdout and to [`sane`].
fn random_trace(engine: &[&str]) -> (Vec<String>, Vec<String>) {
    let case = cases()
        .into_iter()
        .find(|c| c.name == "hostile_random")
        .expect("the hostile_random case");
    let mut args: Vec<&str> = case.args.iter().map(String::as_str).collect();
    args.push("trace");
    let got = run(engine, &case.binary, &args);
    let mut diffs = sane(&format!("hostile_random under {engine:?}"), &got);
    diffs.extend(compare(&case, &got, &expected(&case)));
    let trace = String::from_utf8_lossy(&got.stderr)
        .lines()
        .filter(|l| l.starts_with("trial "))
        .map(str::to_string)
        .collect();
    (diffs, trace)
}

/// Every trial comes back under every engine (and in deterministic mode, where the watchdog
/// thread's sleeps are virtual), and translated code ends each trial the way the interpreter
/// does: the same signal, si_code and si_addr. A trial the watchdog ended
/// (SIGALRM: a loop, or an engine slow enough to look like one) is not compared.
#[test]
fn random_instruction_words_in_every_engine() {
    let (mut diffs, interp) = random_trace(INTERP);
    assert!(interp.len() >= 200, "{} trials traced", interp.len());
    for engine in [JIT, TIERED, DETERMINISTIC] {
        let (d, trace) = random_trace(engine);
        diffs.extend(d);
        if trace.len() != interp.len() {
            diffs.push(format!(
                "{} trials traced under {engine:?}, {} interpreted",
                trace.len(),
                interp.len()
            ));
        }
        for (t, i) in trace.iter().zip(&interp) {
            if t != i && !t.ends_with("SIGALRM") && !i.ends_with("SIGALRM") {
                diffs.push(format!("under {engine:?}: {t}; interpreted: {i}"));
            }
        }
    }
    assert_none(diffs);
}
