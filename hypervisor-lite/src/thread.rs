//! Parallel mode: every vCPU on its own host thread, blocking calls blocking the host thread.
//!
//! ```text
//!   main host thread: run_main(first vCPU) ── returns the status when the process ends
//!   clone(CLONE_VM):  spawn(vCPU) ── host thread ── ends the host process when the guest
//!                     process ends on it (exit_group, fatal signal, last thread's exit)
//! ```
//!
//! A thread blocked in a host system call (futex wait, read, …) is interrupted for a guest
//! signal by a host real-time signal with an empty handler installed without SA_RESTART
//! ([`kick`]): the call returns EINTR and the vCPU delivers the guest signal, or restarts
//! the call.

use crate::process::ThreadCtl;
use crate::vcpu::{End, Step, Vcpu};
use std::sync::atomic::Ordering;
use std::sync::Once;

/// Instructions run between checks for pending signals and code changes.
pub(crate) const BUDGET: u64 = 100_000;

/// The host signal that interrupts a vCPU's blocking host call.
fn kick_signal() -> i32 {
    libc::SIGRTMIN() + 4
}

extern "C" fn on_kick(_: i32) {}

fn install_kick_handler() {
    static ONCE: Once = Once::new();
    // SAFETY: installs an empty handler for a signal only mimic sends; the sigaction is plain
    // data on this frame.
    ONCE.call_once(|| unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_kick as *const () as usize;
        sa.sa_flags = 0; // no SA_RESTART: the blocking call must return EINTR
        libc::sigemptyset(&mut sa.sa_mask);
        libc::sigaction(kick_signal(), &sa, std::ptr::null_mut());
    });
}

/// Interrupts the host system call `t`'s thread may be blocked in.
pub fn kick(t: &ThreadCtl) {
    let host = t.host_tid.load(Ordering::Acquire);
    if host != 0 && host != host_tid() {
        // SAFETY: tgkill takes integers; the target is a thread of this process.
        unsafe {
            libc::syscall(
                libc::SYS_tgkill,
                libc::getpid(),
                host,
                kick_signal() as libc::c_long,
            )
        };
    }
}

fn host_tid() -> i32 {
    // SAFETY: gettid has no preconditions.
    unsafe { libc::gettid() }
}

/// Runs the first vCPU on the calling (main) host thread; returns the process's status.
pub fn run_main(mut v: Vcpu) -> i32 {
    install_kick_handler();
    v.ctl.host_tid.store(host_tid(), Ordering::Release);
    let end = run_vcpu(&mut v);
    if let Some(c) = &v.control {
        let (End::Process(code) | End::Thread(code)) = end;
        c.exited(v.tid, &v.cpu, code);
    }
    match end {
        End::Process(status) => status,
        End::Thread(code) => {
            if v.leave() {
                return code;
            }
            // Other threads run on: the last one to end ends the process.
            loop {
                if let Some(&status) = v.shared.ended.get() {
                    return status;
                }
                std::thread::park_timeout(std::time::Duration::from_millis(20));
            }
        }
    }
}

/// Steps `v` until its thread or process ends.
fn run_vcpu(v: &mut Vcpu) -> End {
    loop {
        match v.step(BUDGET) {
            Step::Go => {}
            Step::Park => unreachable!("only the deterministic scheduler parks"),
            Step::End(e) => return e,
        }
    }
}

/// Starts a new vCPU on its own host thread, whose host tid becomes its guest tid; returns
/// it. `adopt(vcpu, tid)` runs first on the new thread, before any guest instruction and
/// before this call returns (CLONE_PARENT_SETTID and CLONE_CHILD_SETTID are written there).
pub fn spawn(
    mut v: Vcpu,
    adopt: impl FnOnce(&mut Vcpu, i32) + Send + 'static,
) -> std::io::Result<i32> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("vcpu".into())
        .stack_size(256 << 10)
        .spawn(move || {
            let tid = host_tid();
            adopt(&mut v, tid);
            v.ctl.host_tid.store(tid, Ordering::Release);
            let _ = tx.send(tid);
            let end = run_vcpu(&mut v);
            if let Some(c) = &v.control {
                let (End::Process(code) | End::Thread(code)) = end;
                c.exited(v.tid, &v.cpu, code);
            }
            let status = match end {
                End::Process(status) => status,
                End::Thread(code) => {
                    if !v.leave() {
                        return;
                    }
                    code
                }
            };
            end_process(&v, status)
        })?;
    rx.recv()
        .map_err(|_| std::io::Error::from_raw_os_error(libc::EAGAIN))
}

/// Ends the host process from a thread other than the main one: Linux's exit_group ends every
/// thread where it stands, as the host's does.
/// Under a front end the host process goes on: the others see the end at their next step.
fn end_process(v: &Vcpu, status: i32) {
    if v.control.is_some() {
        v.shared.finish(status);
    } else {
        v.shared.exit_host(status)
    }
}
