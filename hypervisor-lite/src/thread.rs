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
//! ([`kick`](crate::state::kick)): the call returns EINTR and the vCPU delivers the guest
//! signal, or restarts the call.

use crate::state::{host_tid, install_kick_handler};
use crate::syscall::{self, Errno};
use crate::vcpu::{End, Spawn, Step, Vcpu};
use std::sync::atomic::Ordering;

/// Instructions run between checks for pending signals and code changes.
pub(crate) const BUDGET: u64 = 100_000;

/// Runs the first vCPU on the calling (main) host thread; returns the process's status.
pub fn run_main(mut v: Vcpu) -> i32 {
    install_kick_handler();
    v.ctl.host_tid.store(host_tid(), Ordering::Release);
    let end = run_vcpu(&mut v);
    if let Some(c) = &v.control {
        let (End::Process(code) | End::Thread(code)) = end;
        c.exited(v.tid, &v.cpu, &v.mem, code);
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
            Step::Snapshot => crate::snapshot::stop_here(&v.task),
            Step::Spawn(s) => {
                let r = spawn(s).map_err(|e| Errno::from_io(&e));
                v.finish_parked(syscall::a0(&r.map(|tid| tid as u64)));
            }
            Step::End(e) => return e,
        }
    }
}

/// Starts a new vCPU on its own host thread, whose host tid becomes its guest tid; returns
/// it. The vCPU is adopted as that thread first, on the new thread, before any guest
/// instruction and before this call returns.
fn spawn(mut s: Box<Spawn>) -> std::io::Result<i32> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("vcpu".into())
        .stack_size(256 << 10)
        .spawn(move || {
            let tid = host_tid();
            s.adopt(tid);
            let v = s.child;
            v.ctl.host_tid.store(tid, Ordering::Release);
            let _ = tx.send(tid);
            run_thread(v)
        })?;
    rx.recv()
        .map_err(|_| std::io::Error::from_raw_os_error(libc::EAGAIN))
}

/// Runs a thread that is not the main host thread's to its end.
fn run_thread(mut v: Vcpu) {
    let end = run_vcpu(&mut v);
    if let Some(c) = &v.control {
        let (End::Process(code) | End::Thread(code)) = end;
        c.exited(v.tid, &v.cpu, &v.mem, code);
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
}

/// Runs resumed threads: `first` on the calling (main) host thread, each of `others` on a
/// host thread of its own, each keeping the guest tid it had; returns the process's status.
pub fn run_resumed(first: Vcpu, others: Vec<Vcpu>) -> std::io::Result<i32> {
    install_kick_handler();
    for v in others {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("vcpu".into())
            .stack_size(256 << 10)
            .spawn(move || {
                v.ctl.host_tid.store(host_tid(), Ordering::Release);
                let _ = tx.send(());
                run_thread(v)
            })?;
        let _ = rx.recv();
    }
    Ok(run_main(first))
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
