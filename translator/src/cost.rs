//! What translation costs, summed over the process: blocks translated, the guest
//! instructions in them, the host code bytes they became and the time spent lowering and
//! assembling them. `-d cost` reports it at exit, as time per block and host bytes per guest
//! instruction, the two figures that say whether translating pays on a big, mostly cold
//! program.
//!
//! The counts are process-wide atomics rather than a code cache's: every cache of the process
//! (one per `fork`ed child's address space, a fresh one after `execve`) adds to the same
//! totals, which is what the report is about.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

static BLOCKS: AtomicU64 = AtomicU64::new(0);
static INSNS: AtomicU64 = AtomicU64::new(0);
static HOST_BYTES: AtomicU64 = AtomicU64::new(0);
static NANOS: AtomicU64 = AtomicU64::new(0);
/// Whether translations are timed: reading the thread's CPU clock is a system call, so it
/// is done only when the report is asked for.
static TIMED: AtomicBool = AtomicBool::new(false);

/// Has translations timed from now on (`-d cost`).
pub fn time_translations() {
    TIMED.store(true, Ordering::Relaxed);
}

/// The totals so far.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Cost {
    pub blocks: u64,
    /// Guest instructions translated (counted again when a block is translated again).
    pub insns: u64,
    /// Host code bytes emitted for them.
    pub host_bytes: u64,
    /// CPU time the translating threads spent on them (lowering, assembling and committing;
    /// not decoding): thread CPU time, so that other processes on a busy machine do not
    /// count.
    pub nanos: u64,
}

impl Cost {
    /// Host bytes per guest instruction.
    pub fn bytes_per_insn(&self) -> f64 {
        self.host_bytes as f64 / self.insns.max(1) as f64
    }

    /// Microseconds per block.
    pub fn micros_per_block(&self) -> f64 {
        self.nanos as f64 / 1000.0 / self.blocks.max(1) as f64
    }
}

impl std::fmt::Display for Cost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} blocks translated ({} guest instructions, {} host bytes: {:.1} a guest \
             instruction) in {:.1} ms ({:.1} us a block)",
            self.blocks,
            self.insns,
            self.host_bytes,
            self.bytes_per_insn(),
            self.nanos as f64 / 1e6,
            self.micros_per_block()
        )
    }
}

/// The totals so far, for every code cache of the process.
pub fn totals() -> Cost {
    Cost {
        blocks: BLOCKS.load(Ordering::Relaxed),
        insns: INSNS.load(Ordering::Relaxed),
        host_bytes: HOST_BYTES.load(Ordering::Relaxed),
        nanos: NANOS.load(Ordering::Relaxed),
    }
}

/// The calling thread's CPU time, in nanoseconds, where a translation starts (0 when
/// translations are not timed).
pub(crate) fn start() -> u64 {
    if !TIMED.load(Ordering::Relaxed) {
        return 0;
    }
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: writes only `t`, which lives on this frame.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64
}

/// Adds one block of `insns` guest instructions that became `host_bytes` bytes, translated
/// since `start` (a [`start`] of the same thread).
pub(crate) fn record(insns: usize, host_bytes: usize, start: u64) {
    let nanos = if start == 0 {
        0
    } else {
        self::start().saturating_sub(start)
    };
    BLOCKS.fetch_add(1, Ordering::Relaxed);
    INSNS.fetch_add(insns as u64, Ordering::Relaxed);
    HOST_BYTES.fetch_add(host_bytes as u64, Ordering::Relaxed);
    NANOS.fetch_add(nanos, Ordering::Relaxed);
}
