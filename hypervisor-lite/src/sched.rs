//! Deterministic mode: every vCPU of the process on one host thread, switched round-robin
//! after a fixed instruction quantum, with blocking system calls turned into waits.
//!
//! ```text
//!   loop: resolve the waits of parked vCPUs (futex woken? fd ready? deadline passed?)
//!         next runnable vCPU after the last one ─▶ step it until QUANTUM instructions retired,
//!                                                  it parks, or it ends
//!         none runnable ─▶ poll the union of the waited fds, or jump virtual time to the
//!                          earliest deadline
//! ```
//!
//! A call that would block (futex wait, read of an empty pipe, nanosleep, wait4, ppoll) sets
//! [`Task::wait`](crate::syscall::Task::wait) and leaves pc on its ecall. The wait resolves
//! either by completing the call with a value (futex woken, sleep over) or by letting the ecall
//! run again, non-blocking this time (an fd became ready, a child changed state). Time for sleeps and timeouts is virtual:
//! one nanosecond per retired instruction plus the jumps made while every vCPU waited, so
//! the same program and input give the same interleaving, output and instruction counts.
//! Readiness of fds written by other processes and child exits are inputs: they are seen at
//! the next scheduling point after they happen.

use crate::state::{lock, poll_ready, pollfds, DetState};
use crate::syscall::Errno;
pub use crate::syscall::Wait;
use crate::vcpu::{End, Step, Vcpu};
use std::sync::atomic::Ordering;

/// Instructions a vCPU runs before the next one gets its turn.
pub const QUANTUM: u64 = 10_000;

fn det(v: &Vcpu) -> std::sync::MutexGuard<'_, DetState> {
    lock(v.shared.det.as_ref().expect("deterministic mode"))
}

/// Virtual time now: retired instructions of every thread, plus time skipped while all waited.
fn vnow(vcpus: &[Vcpu], skipped: u64) -> u64 {
    let Some(v) = vcpus.first() else {
        return skipped;
    };
    let live: u64 = vcpus.iter().map(|v| v.cpu.instret).sum();
    v.shared.retired.load(Ordering::Relaxed) + live + skipped
}

fn child_changed() -> bool {
    // SAFETY: siginfo_t is plain data, for which all zeroes is a valid value.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    // SAFETY: waitid writes one siginfo_t into `info`.
    let r = unsafe {
        libc::waitid(
            libc::P_ALL,
            0,
            &mut info,
            libc::WEXITED | libc::WSTOPPED | libc::WCONTINUED | libc::WNOHANG | libc::WNOWAIT,
        )
    };
    // SAFETY: after a successful waitid the siginfo is a SIGCHLD one, whose si_pid is set (0
    // when no child changed state).
    r < 0 || unsafe { info.si_pid() } != 0
}

/// Whether the parked `v` can run again; completes its call when the wait says so.
fn resolve(v: &mut Vcpu, now: u64) -> bool {
    let Some(wait) = v.wait.clone() else {
        return true;
    };
    v.take_host_signals();
    if v.next_signal().is_some() {
        // A signal interrupts the wait: the call restarts after the handler if it has
        // SA_RESTART (and is a call Linux restarts), else fails with EINTR.
        det(v).forget(v.tid);
        v.wait = None;
        if !v.restart_interrupted(v.cpu.x[17]) {
            v.finish_parked(Errno::EINTR.a0());
        } else {
            v.parked_call = None;
        }
        return true;
    }
    let due = |d: Option<u64>| d.is_some_and(|d| d <= now);
    let done = match wait {
        Wait::Futex { deadline } => {
            let mut d = det(v);
            if let Some(i) = d.woken.iter().position(|&t| t == v.tid) {
                d.woken.remove(i);
                Some(0)
            } else if due(deadline) {
                d.forget(v.tid);
                Some(Errno::ETIMEDOUT.a0())
            } else {
                None
            }
        }
        Wait::Io { fds, deadline } => {
            let expired = due(deadline);
            if expired || poll_ready(&fds) {
                v.poll_expired = expired;
                v.wait = None;
                v.parked_call = None;
                return true;
            }
            None
        }
        Wait::Sleep { deadline } => due(Some(deadline)).then_some(0),
        Wait::Child => {
            if child_changed() {
                v.wait = None;
                v.parked_call = None;
                return true;
            }
            None
        }
        Wait::Signal => None,
    };
    match done {
        Some(r) => {
            v.wait = None;
            v.finish_parked(r);
            true
        }
        None => false,
    }
}

/// Every vCPU waits: block on what can wake one, or jump virtual time to the next deadline.
/// Returns the virtual nanoseconds skipped.
fn idle(vcpus: &[Vcpu], now: u64) -> u64 {
    let mut fds = Vec::new();
    let mut deadline: Option<u64> = None;
    let mut child = false;
    if let Some(v) = vcpus.first() {
        deadline = crate::syscall::next_timer(&v.shared);
    }
    for v in vcpus {
        let d = match &v.wait {
            Some(Wait::Futex { deadline }) => *deadline,
            Some(Wait::Io { fds: f, deadline }) => {
                fds.extend_from_slice(f);
                *deadline
            }
            Some(Wait::Sleep { deadline }) => Some(*deadline),
            Some(Wait::Child) => {
                child = true;
                None
            }
            Some(Wait::Signal) | None => None,
        };
        deadline = match (deadline, d) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    if !fds.is_empty() || child {
        let timeout = if deadline.is_some() {
            0
        } else if child {
            1
        } else {
            -1
        };
        let mut p = pollfds(&fds);
        // SAFETY: `p` is a live array of p.len() pollfds.
        let n = unsafe { libc::poll(p.as_mut_ptr(), p.len() as libc::nfds_t, timeout) };
        if n != 0 || deadline.is_none() {
            return 0;
        }
    }
    match deadline {
        Some(d) => d.saturating_sub(now),
        None => {
            // Every thread waits for a futex or a signal: only a host signal can change
            // that (a guest deadlock hangs on Linux too; SIGINT and SIGTERM still end it).
            crate::hostsig::wait_for_signal(|| false);
            0
        }
    }
}

/// Runs every vCPU of the process on this host thread; returns the process's status.
pub fn run(first: Vcpu) -> i32 {
    run_from(vec![first], 0, 0)
}

/// Runs `vcpus` (a resumed process's, in the scheduler's order) from scheduling position
/// `next` with `skipped` virtual time already jumped; returns the process's status.
pub fn run_from(mut vcpus: Vec<Vcpu>, mut next: usize, mut skipped: u64) -> i32 {
    let mut last_code = 0;
    let mut snapshot_at = vcpus
        .first()
        .and_then(|v| v.shared.cfg.snapshot.as_ref())
        .and_then(|p| p.at);
    while !vcpus.is_empty() {
        let now = vnow(&vcpus, skipped);
        // A snapshot is taken here, between turns: every vCPU stands between instructions,
        // and the resumed scheduler starts from this very point.
        if snapshot_at.is_some_and(|n| now >= n) {
            snapshot_at = None;
            crate::hostsig::ask_snapshot();
        }
        if crate::hostsig::snapshot_asked() {
            let tasks: Vec<&crate::syscall::Task> = vcpus.iter().map(|v| &v.task).collect();
            crate::snapshot::take_all(&tasks, next % vcpus.len(), skipped);
        }
        crate::syscall::fire_timers(&vcpus[0].shared, now);
        let n = vcpus.len();
        let pick = (0..n)
            .map(|k| (next + k) % n)
            .find(|&i| resolve(&mut vcpus[i], now));
        let Some(i) = pick else {
            skipped += idle(&vcpus, now);
            continue;
        };
        let v = &mut vcpus[i];
        {
            let mut d = det(v);
            d.vnow = now;
            d.turn_instret = v.cpu.instret;
        }
        let end_at = v.cpu.instret + QUANTUM;
        let mut ended = None;
        // Threads created by clone join the run queue after this turn.
        let mut spawned = Vec::new();
        while v.cpu.instret < end_at {
            match v.step(end_at - v.cpu.instret) {
                Step::Go => {}
                Step::Park => break,
                // Taken at the top of the loop, where the turn ends.
                Step::Snapshot => break,
                Step::End(e) => {
                    ended = Some(e);
                    break;
                }
                Step::Spawn(mut s) => {
                    let tid = {
                        let mut d = det(v);
                        d.next_tid += 1;
                        d.next_tid - 1
                    };
                    s.adopt(tid);
                    if let Some(c) = &s.child.control {
                        c.spawned(tid, &s.child.cpu);
                    }
                    spawned.push(s.child);
                    v.finish_parked(tid as u64);
                }
            }
        }
        next = i + 1;
        match ended {
            Some(End::Process(status)) => return status,
            Some(End::Thread(code)) => {
                let mut v = vcpus.remove(i);
                if let Some(c) = &v.control {
                    c.exited(v.tid, &v.cpu, &v.mem, code);
                }
                det(&v).forget(v.tid);
                v.leave();
                last_code = code;
                next = i;
            }
            None => {}
        }
        vcpus.extend(spawned);
        if let Some(k) = vcpus.iter().position(|v| v.forked) {
            // The child of a fork: only the thread that forked came along.
            let mut me = vcpus.swap_remove(k);
            me.forked = false;
            let mut d = det(&me);
            d.futex.clear();
            d.woken.clear();
            drop(d);
            vcpus = vec![me];
            next = 0;
        }
    }
    last_code
}
