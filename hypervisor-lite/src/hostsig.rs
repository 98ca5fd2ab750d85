//! Host signals that reach the guest: SIGINT from the terminal, SIGCHLD from a child, SIGTERM
//! or SIGUSR1 from `kill` in another process.
//!
//! ```text
//!   guest rt_sigaction(sig, handler) ─▶ host handler `forward` for sig (no SA_RESTART)
//!   guest SIG_IGN / SIG_DFL          ─▶ the same on the host (SIGCHLD's SIG_IGN reaps, as it should)
//!   host signal ─▶ forward: PENDING |= bit ─▶ a vCPU takes it at its next step, or when its
//!                  blocking host call returns EINTR ─▶ queued as a guest signal
//! ```
//!
//! Synchronous signals (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP) stay mimic's own: a guest
//! fault is found by the interpreter, never by a host fault. SIGKILL and SIGSTOP cannot be
//! caught. Real-time signals are left to the host's glibc, mimic's wake-up signal and its migration
//! request signal.

use crate::signal::{bit, SigAction};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::sync::OnceLock;

static PENDING: AtomicU64 = AtomicU64::new(0);

extern "C" fn forward(sig: i32) {
    PENDING.fetch_or(bit(sig as usize), Ordering::SeqCst);
}

/// Whether guest dispositions of `sig` are mirrored on the host (not the snapshot signal,
/// which is mimic's).
fn mirrored(sig: usize) -> bool {
    (1..32).contains(&sig)
        && !matches!(sig, 4 | 5 | 7 | 8 | 9 | 11 | 19)
        && sig as i32 != SNAPSHOT_SIG.load(Ordering::Relaxed)
}

/// The host signal that asks for a snapshot (`--snapshot-on`), 0 for none.
static SNAPSHOT_SIG: AtomicI32 = AtomicI32::new(0);
/// A snapshot was asked for and not taken yet: every vCPU stops at its next safe point.
static SNAPSHOT_ASKED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_snapshot(_: i32) {
    SNAPSHOT_ASKED.store(true, Ordering::SeqCst);
}

/// Makes host signal `sig` ask for a snapshot instead of reaching the guest. Installed
/// without SA_RESTART, so a blocking host call it lands in returns (and is rolled back to
/// its ecall).
pub fn arm_snapshot(sig: i32) {
    SNAPSHOT_SIG.store(sig, Ordering::Relaxed);
    // SAFETY: `on_snapshot` only stores to an atomic; the sigaction is plain data here.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_snapshot as *const () as usize;
        libc::sigemptyset(&mut sa.sa_mask);
        libc::sigaction(sig, &sa, std::ptr::null_mut());
    }
}

/// Asks for a snapshot from inside mimic (a front end, an instruction count).
pub fn ask_snapshot() {
    SNAPSHOT_ASKED.store(true, Ordering::SeqCst);
}

/// Whether a snapshot is asked for.
pub fn snapshot_asked() -> bool {
    SNAPSHOT_ASKED.load(Ordering::Relaxed)
}

/// The snapshot asked for was taken (or refused).
pub fn snapshot_taken() {
    SNAPSHOT_ASKED.store(false, Ordering::SeqCst);
}

/// `mimic migrate` left a request for this process (see snapshot::request).
static REQUESTED: AtomicBool = AtomicBool::new(false);
type OnRequest = Box<dyn Fn() + Send + Sync>;
static ON_REQUEST: OnceLock<OnRequest> = OnceLock::new();

extern "C" fn on_request(_: i32) {
    REQUESTED.store(true, Ordering::SeqCst);
}

/// The host signal `mimic migrate` sends after leaving its request: one of mimic's own,
/// after the wake-up signal.
pub fn request_signal() -> i32 {
    libc::SIGRTMIN() + 5
}

/// Arms the request signal: the next vCPU step after it calls `f` (on the vCPU's thread,
/// outside the handler). Installed without SA_RESTART, so a blocked vCPU steps.
pub fn arm_requests(f: impl Fn() + Send + Sync + 'static) {
    if ON_REQUEST.set(Box::new(f)).is_err() {
        return;
    }
    // SAFETY: `on_request` only stores to an atomic; the sigaction is plain data here.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_request as *const () as usize;
        libc::sigemptyset(&mut sa.sa_mask);
        libc::sigaction(request_signal(), &sa, std::ptr::null_mut());
    }
}

/// Runs the request handler if a request signal came since the last call.
pub fn serve_request() {
    if REQUESTED.load(Ordering::Relaxed) && REQUESTED.swap(false, Ordering::SeqCst) {
        if let Some(f) = ON_REQUEST.get() {
            f();
        }
    }
}

/// Makes the host disposition of `sig` follow the guest's new action.
pub fn mirror(sig: usize, act: &SigAction) {
    if !mirrored(sig) {
        return;
    }
    // SAFETY: `forward` only sets a bit in an atomic (async-signal-safe); the sigaction is
    // plain data on this frame, for which zeroes are valid.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = match act.handler {
            0 => libc::SIG_DFL,
            1 => libc::SIG_IGN,
            _ => forward as *const () as usize,
        };
        libc::sigemptyset(&mut sa.sa_mask);
        libc::sigaction(sig as i32, &sa, std::ptr::null_mut());
    }
}

/// Signals that arrived on the host since the last call.
pub fn take() -> u64 {
    if PENDING.load(Ordering::Relaxed) == 0 {
        return 0;
    }
    PENDING.swap(0, Ordering::SeqCst)
}

/// Blocks this host thread until a host signal handler runs (a forwarded signal or mimic's
/// wake-up), unless `ready()` says there is something to deliver already. The check and the
/// wait are atomic with respect to signals: they are blocked during the check and unblocked
/// by ppoll itself.
pub fn wait_for_signal(ready: impl Fn() -> bool) {
    wait_for_signal_until(ready, None)
}

/// Like [`wait_for_signal`], for at most `timeout` when there is one.
pub fn wait_for_signal_until(ready: impl Fn() -> bool, timeout: Option<std::time::Duration>) {
    let ts = timeout.map(|t| libc::timespec {
        tv_sec: t.as_secs() as libc::time_t,
        tv_nsec: t.subsec_nanos() as libc::c_long,
    });
    let ts_ptr = ts
        .as_ref()
        .map_or(std::ptr::null(), |t| t as *const libc::timespec);
    // SAFETY: signal-mask calls and a ppoll of no descriptors on sets and a timeout that live
    // on this frame.
    unsafe {
        let mut all: libc::sigset_t = std::mem::zeroed();
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_BLOCK, &all, &mut old);
        if PENDING.load(Ordering::SeqCst) == 0 && !ready() {
            libc::ppoll(std::ptr::null_mut(), 0, ts_ptr, &old);
        }
        libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut());
    }
}
