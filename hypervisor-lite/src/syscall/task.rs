//! [`Task`]: a guest thread as the system calls see it: its registers, its signal state and
//! the process it belongs to, without the execution engine that runs it (the vCPU floor
//! above holds that). Every handler takes a `&mut Task`.

use super::{Wait, NR_RT_SIGSUSPEND};
use crate::memory::GuestMem;
use crate::signal::{self, Disposition, Signals};
use crate::state::{lock, Shared, ThreadCtl};
use isa_a::Cpu;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// One guest thread's state outside its engine.
pub struct Task {
    pub shared: Arc<Shared>,
    pub ctl: Arc<ThreadCtl>,
    pub mem: GuestMem,
    pub cpu: Cpu,
    pub tid: i32,
    pub sig: Signals,
    /// set_tid_address / CLONE_CHILD_CLEARTID: zeroed and futex-woken when the thread exits.
    pub clear_child_tid: u64,
    /// set_robust_list: (head, len).
    pub robust_list: (u64, u64),
    /// What the parked system call waits for (deterministic mode only): the scheduler's.
    pub wait: Option<Wait>,
    /// Set in the child of a fork: the other threads did not come along.
    pub forked: bool,
    /// rt_sigsuspend's caller's mask, which the signal frame saves and sigreturn restores.
    pub saved_mask: Option<u64>,
    /// The `--strace` text of a parked call, shown when the scheduler completes it.
    pub parked_call: Option<String>,
    /// Set when a parked ppoll/pselect6 reached its timeout: it runs once more and returns
    /// what a non-blocking poll finds (nothing), as the timed-out call would.
    pub poll_expired: bool,
    /// The virtual end of a parked rt_sigtimedwait's timeout, kept across its reruns.
    pub sigwait_end: Option<u64>,
    /// prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT) was called: every system call but read,
    /// write, exit and rt_sigreturn kills (seccomp_strict). Never cleared, as on Linux.
    pub seccomp_strict: bool,
    /// riscv_flush_icache's range, for the vCPU to sync its code with once the call is done
    /// (the engine is the vCPU's, not the call's).
    pub icache_flush: Option<(u64, u64)>,
}

impl Task {
    /// A thread of `shared` with registers `cpu` and no signal state yet.
    pub fn new(shared: Arc<Shared>, ctl: Arc<ThreadCtl>, cpu: Cpu) -> Task {
        Task {
            mem: shared.mem.clone(),
            tid: ctl.tid,
            shared,
            ctl,
            cpu,
            sig: Signals::default(),
            clear_child_tid: 0,
            robust_list: (0, 0),
            wait: None,
            forked: false,
            saved_mask: None,
            parked_call: None,
            poll_expired: false,
            sigwait_end: None,
            seccomp_strict: false,
            icache_flush: None,
        }
    }

    /// Queues the host signals forwarded since the last look (see `hostsig`) for this thread.
    pub fn take_host_signals(&self) {
        let mut bits = crate::hostsig::take();
        while bits != 0 {
            let sig = bits.trailing_zeros() as usize + 1;
            bits &= bits - 1;
            self.raise_process(sig, signal::sender_info(sig, signal::SI_USER, 0, 0));
        }
    }

    /// Finishes the system call at pc with result `r`.
    pub fn complete(&mut self, r: u64) {
        self.cpu.x[10] = r;
        self.cpu.pc = self.cpu.pc.wrapping_add(4);
        self.cpu.instret += 1;
    }

    /// Completes a parked call (or a clone that made a thread) with `r`, showing its
    /// `--strace` line.
    pub fn finish_parked(&mut self, r: u64) {
        if let Some(call) = self.parked_call.take() {
            super::strace_result(self, &call, r);
        }
        self.complete(r);
    }

    /// A host call interrupted by mimic's own wake-up (no guest signal for this thread) is
    /// restarted; one interrupted by a signal whose handler has SA_RESTART is too, unless
    /// it is a call Linux never restarts.
    pub fn restart_interrupted(&self, nr: u64) -> bool {
        match self.next_signal() {
            None => nr != NR_RT_SIGSUSPEND,
            Some(sig) => {
                matches!(
                    lock(&self.shared.actions).disposition(sig),
                    Disposition::Handle(_)
                ) && self.shared.restarts(sig)
                    && !super::never_restarted(nr)
            }
        }
    }

    /// Whether a deliverable signal is pending as the thread is about to make a system call
    /// (signals raised after this look interrupt the call).
    pub(crate) fn signal_before_call(&self) -> bool {
        self.ctl.looking(self.sig.mask);
        self.take_host_signals();
        self.next_signal().is_some()
    }

    /// The signal that would be delivered next, if any.
    pub fn next_signal(&self) -> Option<usize> {
        if !self.ctl.has_pending.load(Ordering::SeqCst) {
            return None;
        }
        let ready = lock(&self.ctl.pending).bits & !self.sig.mask;
        (ready != 0).then(|| ready.trailing_zeros() as usize + 1)
    }

    /// Runs `call`, a wait given a signal mask (ppoll, pselect6, epoll_pwait), with the
    /// thread's mask replaced by `mask` for its duration, as the kernel does: a signal that
    /// `mask` lets through ends the wait with EINTR and is delivered while `mask` is still in
    /// force, its handler's frame saving the thread's own mask for sigreturn. Any other end
    /// puts the own mask back at once. A deterministic park keeps `mask` (the scheduler wakes
    /// the wait for the signals it lets through) and the own mask in `saved_mask`, where the
    /// call finds it when it runs again.
    pub fn with_sigmask(
        &mut self,
        mask: Option<u64>,
        call: impl FnOnce(&mut Task) -> Result<super::Outcome, super::Errno>,
    ) -> Result<super::Outcome, super::Errno> {
        use super::{Errno, Outcome};
        let Some(mask) = mask else {
            return call(self);
        };
        let own = self.saved_mask.take().unwrap_or(self.sig.mask);
        self.sig.mask = mask & !signal::unblockable();
        self.ctl.looking(self.sig.mask);
        self.take_host_signals();
        let r = match self.next_signal() {
            Some(_) => Err(Errno::EINTR),
            None => call(self),
        };
        let keep = match r {
            Ok(Outcome::Park(_)) => true,
            Err(Errno::EINTR) | Ok(Outcome::Done(Err(Errno::EINTR))) => {
                self.next_signal().is_some()
            }
            _ => false,
        };
        if keep {
            self.saved_mask = Some(own);
        } else {
            self.sig.mask = own;
        }
        r
    }

    /// Queues a signal sent to the whole process (kill, a host signal) for the thread that
    /// takes it (see [`Shared::process_target`](crate::state::Shared::process_target)).
    pub fn raise_process(&self, sig: usize, info: signal::SigInfo) {
        match self.shared.process_target(sig, self.tid) {
            Some(t) if t.tid != self.tid => t.raise(sig, info),
            _ => self.raise_self(sig, info),
        }
    }

    /// Queues a signal for this thread.
    pub fn raise_self(&self, sig: usize, info: signal::SigInfo) {
        lock(&self.ctl.pending).queue(sig, info);
        self.ctl.has_pending.store(true, Ordering::Release);
    }

    /// The thread ends: CLONE_CHILD_CLEARTID's word is zeroed and woken (pthread_join waits
    /// on it), and the thread leaves the live set. Returns whether it was the last one.
    pub fn leave(&mut self) -> bool {
        if self.clear_child_tid != 0 {
            let addr = self.clear_child_tid;
            // An atomic store: a joiner may be reading the word on another host thread.
            if addr.is_multiple_of(4)
                && isa_a::Bus::amo(&mut self.mem, addr, isa_a::AmoOp::Swap, 0, 32).is_ok()
            {
                crate::syscall::futex_wake(self, addr, 1);
            }
        }
        self.shared
            .retired
            .fetch_add(self.cpu.instret, Ordering::Relaxed);
        let mut threads = lock(&self.shared.threads);
        threads.remove(&self.tid);
        threads.is_empty()
    }
}
