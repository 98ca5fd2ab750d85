//! Deterministic mode's clocks: every clock a guest can read is virtual and on the same
//! time line as its sleeps and timeouts.
//!
//! ```text
//!   virtual now = the scheduler's time at the start of this turn (instructions retired by
//!                 every thread, plus the jumps made while all waited)
//!               + what the calling thread retired since its turn began
//!   MONOTONIC, MONOTONIC_RAW/COARSE, BOOTTIME(_ALARM)  = virtual now
//!   REALTIME(_COARSE/_ALARM), TAI                      = EPOCH + virtual now
//!   PROCESS_CPUTIME_ID / THREAD_CPUTIME_ID             = instructions retired (1 ns each)
//! ```
//!
//! A sleep's deadline is taken from the same reading (`thread::deadline`), so a thread that
//! reads a clock, sleeps d and reads it again sees at least d pass, and a run gives the same
//! readings every time. Outside deterministic mode every reading is the host's.

use super::{Errno, Task};
use crate::state::lock;
use std::sync::atomic::Ordering;

/// What CLOCK_REALTIME reads at virtual time 0: 2024-01-01 00:00:00 UTC, in seconds.
pub const EPOCH_SECS: u64 = 1_704_067_200;
const NSEC: u64 = 1_000_000_000;

/// Virtual time now as the calling thread sees it (deterministic mode only).
pub fn now(p: &Task) -> Option<u64> {
    let det = lock(p.shared.det.as_ref()?);
    let in_turn = p.cpu.instret.saturating_sub(det.turn_instret);
    Some(det.vnow.saturating_add(in_turn))
}

/// Instructions retired by every thread of the process, the caller's up to now.
fn process_cpu(p: &Task) -> u64 {
    let published = p.ctl.instret.load(Ordering::Relaxed);
    p.shared
        .retired()
        .saturating_sub(published)
        .saturating_add(p.cpu.instret)
}

/// Clock `id`'s reading in nanoseconds: Ok(None) outside deterministic mode (the host's clock
/// answers), EINVAL for a clock Linux does not have.
pub fn read(p: &Task, id: i32) -> Result<Option<u64>, Errno> {
    let Some(now) = now(p) else {
        return Ok(None);
    };
    let t = match id {
        0 | 5 | 8 | 11 => now.saturating_add(EPOCH_SECS * NSEC),
        1 | 4 | 6 | 7 | 9 => now,
        2 => process_cpu(p),
        3 => p.cpu.instret,
        // A CPU-time clock by id (clock_getcpuclockid, pthread_getcpuclockid): the pid or
        // tid is !(id >> 3), bit 2 says thread; the type in bits 0-1 (PROF, VIRT, SCHED) is
        // the same count here. 3 in bits 0-1 is no type.
        id if id < 0 && id & 3 != 3 => {
            let who = !(id >> 3);
            if id & 4 != 0 {
                if who == 0 || who == p.tid {
                    p.cpu.instret
                } else {
                    let threads = lock(&p.shared.threads);
                    let t = threads.get(&who).ok_or(Errno::EINVAL)?;
                    t.instret.load(Ordering::Relaxed)
                }
            } else if who == 0 || who == p.shared.pid() {
                process_cpu(p)
            } else {
                // Another process runs on its own (host) time.
                return Ok(None);
            }
        }
        _ => return Err(Errno::EINVAL),
    };
    Ok(Some(t))
}

/// `ns` as a riscv64 timespec's two words.
pub fn timespec(ns: u64) -> crate::abi::time::Timespec {
    crate::abi::time::Timespec {
        tv_sec: (ns / NSEC) as i64,
        tv_nsec: (ns % NSEC) as i64,
    }
}
