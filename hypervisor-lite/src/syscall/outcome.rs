//! What a system call handler says happens next. Handlers *return* it; the vCPU's step is the
//! one place that acts on it (sets a0 and moves pc, parks the thread, ends it, or leaves the
//! restored context alone), so no handler sets flags for its caller to poll.
//!
//! ```text
//!   handler ─▶ Done(Ok(v) | Err(e)) ─▶ a0 = v or -e, pc += 4 (or the call restarts: EINTR)
//!           ─▶ Park(wait)           ─▶ deterministic scheduler: runs it again, or completes it
//!           ─▶ End(thread/process)  ─▶ the thread, or every thread, stops
//!           ─▶ Restored             ─▶ rt_sigreturn put every register back: nothing to do
//!           ─▶ Spawn(new thread)    ─▶ the vCPU floor builds it, its runner starts it: a0 = tid
//!           ─▶ ForkChild            ─▶ (in a fork's child) an engine of its own: a0 = 0
//! ```

use super::{Errno, SysResult};

/// How a thread or its process ends.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum End {
    /// `exit`: this thread ends with the code; the process goes on if others are live.
    Thread(i32),
    /// `exit_group` or a fatal signal: every thread ends, the process's status.
    Process(i32),
}

/// What a parked vCPU waits for (deterministic mode: blocking calls become waits the
/// scheduler multiplexes on one host thread).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Wait {
    /// FUTEX_WAIT: completes with 0 when woken, ETIMEDOUT at the deadline.
    Futex { deadline: Option<u64> },
    /// The call runs again when one of the fds is ready, and once more at the deadline with
    /// `Task::poll_expired` set.
    Io {
        fds: Vec<(i32, i16)>,
        deadline: Option<u64>,
    },
    /// Completes with 0 at the deadline.
    Sleep { deadline: u64 },
    /// The call (wait4, waitid) runs again when a child changes state.
    Child,
    /// rt_sigsuspend: ends with EINTR when a signal is deliverable.
    Signal,
}

/// What happens after a system call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The call is complete: a0 is the value, or -errno.
    Done(SysResult),
    /// The thread waits (deterministic mode only); the call has not completed.
    Park(Wait),
    /// The thread or the process ends.
    End(End),
    /// rt_sigreturn restored every register, pc and a0 included.
    Restored,
    /// The call did not begin (a front end's stop before it gave way to a snapshot): the
    /// ecall runs again.
    Again,
    /// clone made a thread: the vCPU floor copies this one into it and the runner (a host
    /// thread, or the deterministic scheduler) starts it and completes the call with its tid.
    Spawn(NewThread),
    /// This is the child of a fork, returning 0: it needs a code cache of its own (the
    /// parent's translated code lives in memory both now map) and leaves the front end to
    /// the parent.
    ForkChild,
}

/// What clone asked of a new thread beyond a copy of its parent's registers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewThread {
    pub flags: u64,
    /// The new stack pointer (0: the parent's).
    pub stack: u64,
    pub ptid: u64,
    /// `tp`, if CLONE_SETTLS.
    pub tls: Option<u64>,
    pub ctid: u64,
}

impl Outcome {
    /// A completed call's value, for the handlers that may also park or end.
    pub fn value(v: u64) -> Result<Outcome, Errno> {
        Ok(Outcome::Done(Ok(v)))
    }
}

/// What a handler returns, as an [`Outcome`]: most handlers return a [`SysResult`]; those
/// that may park, end the thread or restore a context return `Result<Outcome, Errno>` (the
/// `Err` side keeps `?` on guest pointers and errnos working).
pub trait IntoOutcome {
    fn into_outcome(self) -> Outcome;
}

impl IntoOutcome for SysResult {
    fn into_outcome(self) -> Outcome {
        Outcome::Done(self)
    }
}

impl IntoOutcome for Result<Outcome, Errno> {
    fn into_outcome(self) -> Outcome {
        self.unwrap_or_else(|e| Outcome::Done(Err(e)))
    }
}

/// The a0 value of a completed call: the value, or -errno.
pub fn a0(r: &SysResult) -> u64 {
    match r {
        Ok(v) => *v,
        Err(e) => e.a0(),
    }
}
