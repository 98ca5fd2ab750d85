//! One virtual processor: a guest thread's registers, block cache and signal state, and the
//! step that runs it for a slice and handles what the slice ended with.
//!
//! ```text
//!   run_slice(budget) ── engine (interpreter / translated code) ──┐
//!        │ None ─────────────▶ deliver pending signals, go on
//!        │ Ecall ────────────▶ syscall::dispatch ─▶ a0, pc += 4   (or: parked, restarted, ended)
//!        │ Fault/Illegal/… ──▶ guest signal: handler frame, or report and exit 128+sig
//! ```

use crate::abi::layout::{Field, Layout};
use crate::abi::signal::{RtSigframe, StackT};
use crate::memory::{perm, GuestMem};
use crate::process::{lock, Shared, ThreadCtl};
use crate::signal::{self, Disposition, Signals};
pub use crate::syscall::End;
use crate::syscall::{self, Errno, Outcome, Wait};
use isa_a::{Access, Cpu, Trap};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use translator::{CodeCache, Engine};

/// A front end watching and steering vCPUs (the TUI's `control::Control`): the run loop calls
/// it around the engine and the system call dispatch, and when the thread ends. The vCPU floor
/// knows the front end only through this trait.
pub trait Hook: Send + Sync {
    /// Runs the engine for as far as the front end lets it (pauses, steps, breakpoints).
    fn slice(
        &self,
        tid: i32,
        cpu: &mut Cpu,
        bus: &mut GuestMem,
        engine: &mut Engine,
    ) -> Option<Trap>;
    /// Performs the system call the vCPU stopped at (through `syscall::dispatch`).
    fn syscall(&self, v: &mut Vcpu, nr: u64, args: [u64; 6]) -> Outcome;
    /// The vCPU's thread ended with `status`.
    fn exited(&self, tid: i32, cpu: &Cpu, status: i32);
}

/// What a step left the vCPU in.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Go,
    /// (Deterministic mode) a system call is parked in `Vcpu::wait`.
    Park,
    End(End),
}

pub struct Vcpu {
    pub shared: Arc<Shared>,
    pub ctl: Arc<ThreadCtl>,
    pub mem: GuestMem,
    pub cpu: Cpu,
    /// This vCPU's execution engine (interpreter, translator or both); its code cache is
    /// the process's, shared with the other vCPUs.
    pub engine: Engine,
    /// A front end (the TUI) watching and steering this vCPU, if any.
    pub control: Option<Arc<dyn Hook>>,
    pub tid: i32,
    pub sig: Signals,
    /// set_tid_address / CLONE_CHILD_CLEARTID: zeroed and futex-woken when the thread exits.
    pub clear_child_tid: u64,
    /// set_robust_list: (head, len).
    pub robust_list: (u64, u64),
    /// The address space's code generation the engine holds code of.
    code_gen: u64,
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
}

impl Vcpu {
    /// A vCPU whose engine shares `cache`, or has a code cache of its own (the first vCPU
    /// of a process); fails if no code space can be reserved.
    pub fn new(
        shared: Arc<Shared>,
        ctl: Arc<ThreadCtl>,
        cpu: Cpu,
        cache: Option<Arc<Mutex<CodeCache>>>,
    ) -> std::io::Result<Vcpu> {
        let engine = crate::process::engine(&shared, cache)?;
        Ok(Vcpu {
            mem: shared.mem.clone(),
            code_gen: shared.code_gen.load(Ordering::Acquire),
            tid: ctl.tid,
            shared,
            ctl,
            cpu,
            engine,
            control: None,
            sig: Signals::default(),
            clear_child_tid: 0,
            robust_list: (0, 0),
            wait: None,
            forked: false,
            saved_mask: None,
            parked_call: None,
            poll_expired: false,
        })
    }

    /// A new thread of this process (clone with CLONE_VM): the caller's registers, returning
    /// 0 from the clone, on `stack` if non-zero, with `tp` = `tls` if given. Its signal mask
    /// is the caller's; no alternate stack.
    pub fn new_thread(
        &self,
        ctl: Arc<ThreadCtl>,
        stack: u64,
        tls: Option<u64>,
    ) -> std::io::Result<Vcpu> {
        let mut cpu = self.cpu.clone();
        cpu.x[10] = 0;
        if stack != 0 {
            cpu.x[2] = stack;
        }
        if let Some(tp) = tls {
            cpu.x[4] = tp;
        }
        cpu.pc = cpu.pc.wrapping_add(4);
        cpu.instret = 0;
        cpu.reservation = isa_a::cpu::NO_RESERVATION;
        let mut v = Vcpu::new(self.shared.clone(), ctl, cpu, Some(self.engine.cache()))?;
        // The shared code is as current as this vCPU's view of it: a change this vCPU has
        // not caught up with yet is the new one's to catch up with too.
        v.code_gen = self.code_gen;
        v.sig.mask = self.sig.mask;
        v.control = self.control.clone();
        Ok(v)
    }

    /// Runs the execution engine for about `budget` instructions. The one place the engine
    /// is called; a `fence.i` on this vCPU makes every vCPU forget its decoded blocks (the
    /// translated code, which they share, is gone already).
    fn run_slice(&mut self, budget: u64) -> Option<Trap> {
        let bus = &mut self.mem;
        let flushes = self.engine.flushes();
        let trap = match &self.control {
            // The front end decides how far the engine may run (pauses, steps, breakpoints).
            Some(c) => c.slice(self.tid, &mut self.cpu, bus, &mut self.engine),
            None => self.engine.run(&mut self.cpu, bus, budget),
        };
        if self.engine.flushes() != flushes {
            self.code_gen = self.shared.code_gen.fetch_add(1, Ordering::AcqRel) + 1;
            self.engine.flushed_for(self.code_gen);
        }
        trap
    }

    /// Runs one slice of at most about `budget` instructions and handles how it ended.
    pub fn step(&mut self, budget: u64) -> Step {
        if let Some(&status) = self.shared.ended.get() {
            return Step::End(End::Process(status));
        }
        // A signal raised while the thread waited (or by another thread) goes first.
        self.ctl.looking();
        self.take_host_signals();
        if let Some(status) = self.deliver_pending() {
            return Step::End(End::Process(status));
        }
        let gen = self.shared.code_gen.load(Ordering::Acquire);
        if gen != self.code_gen {
            self.engine.code_changed(gen);
            self.code_gen = gen;
        }
        let trap = self.run_slice(budget);
        self.ctl.instret.store(self.cpu.instret, Ordering::Relaxed);
        match trap {
            None => {}
            // A signal that arrived while the slice ran goes before the call, which runs
            // again when the handler returns: the call may block, and the wake-up for that
            // signal has come and gone.
            Some(Trap::Ecall) if self.signal_before_call() => {}
            Some(Trap::Ecall) => {
                let x = &self.cpu.x;
                let (nr, args) = (x[17], [x[10], x[11], x[12], x[13], x[14], x[15]]);
                let out = match self.control.clone() {
                    // Logged for the front end, and stopped before when it asks.
                    Some(c) => c.syscall(self, nr, args),
                    None => syscall::dispatch(self, nr, args),
                };
                match out {
                    Outcome::End(end) => return Step::End(end),
                    Outcome::Park(wait) => {
                        self.wait = Some(wait);
                        return Step::Park;
                    }
                    Outcome::Restored => self.take_host_signals(),
                    Outcome::Done(r) => {
                        self.take_host_signals();
                        if r == Err(Errno::EINTR) && self.restart_interrupted(nr) {
                            // The ecall runs again (after the handler, if a signal is pending).
                        } else {
                            self.complete(syscall::a0(&r));
                        }
                    }
                }
            }
            Some(trap) => {
                if let Some(status) = self.fault(trap) {
                    return Step::End(End::Process(status));
                }
            }
        }
        let delivered = self.deliver_pending();
        if let Some(mask) = self.saved_mask.take() {
            // rt_sigsuspend's signal was not handled (ignored): its caller's mask is back.
            self.sig.mask = mask;
        }
        match delivered {
            Some(status) => Step::End(End::Process(status)),
            None => Step::Go,
        }
    }

    /// Queues the host signals forwarded since the last look (see `hostsig`) for this thread.
    pub fn take_host_signals(&self) {
        let mut bits = crate::hostsig::take();
        while bits != 0 {
            let sig = bits.trailing_zeros() as usize + 1;
            bits &= bits - 1;
            self.raise_self(sig, signal::sender_info(sig, signal::SI_USER, 0, 0));
        }
    }

    /// Finishes the system call at pc with result `r`.
    pub fn complete(&mut self, r: u64) {
        self.cpu.x[10] = r;
        self.cpu.pc = self.cpu.pc.wrapping_add(4);
        self.cpu.instret += 1;
    }

    /// A host call interrupted by mimic's own wake-up (no guest signal for this thread) is
    /// restarted; one interrupted by a signal whose handler has SA_RESTART is too, unless
    /// it is a call Linux never restarts.
    pub fn restart_interrupted(&self, nr: u64) -> bool {
        match self.next_signal() {
            None => nr != syscall::NR_RT_SIGSUSPEND,
            Some(sig) => {
                matches!(
                    lock(&self.shared.actions).disposition(sig),
                    Disposition::Handle(_)
                ) && self.shared.restarts(sig)
                    && !syscall::never_restarted(nr)
            }
        }
    }

    /// Whether a deliverable signal is pending as the thread is about to make a system call
    /// (signals raised after this look interrupt the call).
    fn signal_before_call(&self) -> bool {
        self.ctl.looking();
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

    /// Queues a signal for this thread.
    pub fn raise_self(&self, sig: usize, info: signal::SigInfo) {
        lock(&self.ctl.pending).queue(sig, info);
        self.ctl.has_pending.store(true, Ordering::Release);
    }

    /// A synchronous trap becomes its signal: delivered to a handler or fatal.
    fn fault(&mut self, trap: Trap) -> Option<i32> {
        let pc = self.cpu.pc;
        let (sig, code, addr) = match trap {
            // Past the end of a mapped file: SIGBUS/BUS_ADRERR, whichever engine saw it.
            Trap::Fault(m)
                if crate::memory::take_bus_error() | translator::fault::take_bus_error() =>
            {
                (signal::SIGBUS, 2, m.addr)
            }
            Trap::Fault(m) => {
                let mapped = self.shared.space().perm_at(m.addr) & perm::MAPPED != 0;
                (signal::SIGSEGV, if mapped { 2 } else { 1 }, m.addr)
            }
            Trap::Illegal(_) => (signal::SIGILL, 1, pc),
            Trap::Ebreak => (signal::SIGTRAP, 1, pc),
            Trap::Misaligned { addr, .. } => (signal::SIGBUS, 1, addr),
            Trap::Ecall => unreachable!("ecall is a syscall"),
        };
        let blocked = self.sig.mask & signal::bit(sig) != 0;
        let disposition = lock(&self.shared.actions).disposition(sig);
        match disposition {
            Disposition::Handle(act) if !blocked => {
                let info = signal::fault_info(sig, code, addr);
                self.enter_handler(sig, act, &info).err()
            }
            // A blocked or ignored synchronous signal cannot be ignored: the kernel kills.
            _ => Some(self.die(sig, Some(trap))),
        }
    }

    /// Delivers the lowest pending unblocked signal, if any.
    fn deliver_pending(&mut self) -> Option<i32> {
        while self.ctl.has_pending.load(Ordering::Acquire) {
            let next = {
                let mut p = lock(&self.ctl.pending);
                let next = p.take(self.sig.mask);
                if p.bits == 0 {
                    self.ctl.has_pending.store(false, Ordering::Release);
                }
                next
            };
            let (sig, info) = next?;
            let disposition = lock(&self.shared.actions).disposition(sig);
            match disposition {
                Disposition::Ignore => {}
                Disposition::Terminate => return Some(self.die(sig, None)),
                Disposition::Handle(act) => {
                    if let Err(status) = self.enter_handler(sig, act, &info) {
                        return Some(status);
                    }
                }
            }
        }
        None
    }

    /// Pushes the riscv64 rt_sigframe and jumps to the handler. Err is the exit status when
    /// the frame cannot be written (the kernel then kills with SIGSEGV).
    fn enter_handler(
        &mut self,
        sig: usize,
        act: signal::SigAction,
        info: &signal::SigInfo,
    ) -> Result<(), i32> {
        let (ss_sp, ss_size) = self.sig.altstack;
        let sp = self.cpu.x[2];
        let on_alt = ss_size != 0 && sp.wrapping_sub(ss_sp) < ss_size;
        let top = if act.flags & signal::SA_ONSTACK != 0 && ss_size != 0 && !on_alt {
            ss_sp + ss_size
        } else {
            sp
        };
        let stack = StackT {
            ss_sp,
            ss_flags: match (ss_size, on_alt) {
                (0, _) => signal::SS_DISABLE,
                (_, true) => signal::SS_ONSTACK,
                (_, false) => 0,
            },
            ss_size,
        };
        let frame = top.wrapping_sub(signal::FRAME_SIZE) & !15;
        let saved = self.saved_mask.take().unwrap_or(self.sig.mask);
        let f = signal::frame(info, &self.cpu, saved, stack);
        if self.store(frame, &f).is_err() {
            return Err(self.die(
                signal::SIGSEGV,
                Some(Trap::Fault(isa_a::MemFault {
                    addr: frame,
                    access: Access::Write,
                })),
            ));
        }
        self.sig.mask |= act.mask;
        if act.flags & signal::SA_NODEFER == 0 {
            self.sig.mask |= signal::bit(sig);
        }
        self.sig.mask &= !signal::unblockable();
        if act.flags & signal::SA_RESETHAND != 0 {
            lock(&self.shared.actions).0[sig] = signal::SigAction::ZERO;
        }
        self.cpu.x[10] = sig as u64;
        self.cpu.x[11] = frame;
        self.cpu.x[12] = frame + RtSigframe::DESC.fields[1].offset as u64;
        self.cpu.x[2] = frame;
        self.cpu.x[1] = self.shared.sigreturn_tramp;
        self.cpu.pc = act.handler;
        // A trap clears the LR reservation, as the kernel's return to user space does.
        self.cpu.reservation = isa_a::cpu::NO_RESERVATION;
        Ok(())
    }

    /// rt_sigreturn: restores the registers and mask saved in the frame at sp. A frame that
    /// cannot be read is the guest's SIGSEGV, forced as the kernel forces it.
    /// Returns whether the registers were restored.
    pub fn sigreturn(&mut self) -> bool {
        match self.load::<RtSigframe>(self.cpu.x[2]) {
            Ok(f) => {
                self.sig.mask = signal::restore(&f, &mut self.cpu);
                self.restore_altstack(&f.uc.uc_stack);
                self.cpu.reservation = isa_a::cpu::NO_RESERVATION;
                true
            }
            Err(_) => {
                self.force_signal(
                    signal::SIGSEGV,
                    signal::fault_info(signal::SIGSEGV, signal::SI_KERNEL, 0),
                );
                false
            }
        }
    }

    /// sigreturn applies uc_stack as a sigaltstack call from the interrupted sp would (the
    /// kernel's restore_altstack): a handler may install or disable the alternate stack
    /// there. Its errors (EPERM while on the stack, EINVAL, ENOMEM) are ignored, as there.
    fn restore_altstack(&mut self, ss: &StackT) {
        let (sp, size) = self.sig.altstack;
        if size != 0 && self.cpu.x[2].wrapping_sub(sp) < size {
            return;
        }
        match ss.ss_flags & !signal::SS_AUTODISARM {
            signal::SS_DISABLE => self.sig.altstack = (0, 0),
            0 | signal::SS_ONSTACK if ss.ss_size >= crate::loader::MINSIGSTKSZ => {
                self.sig.altstack = (ss.ss_sp, ss.ss_size)
            }
            _ => {}
        }
    }

    /// The kernel's force_sig: `sig` is queued and can be neither blocked nor ignored (a
    /// blocked or ignored one gets its default action back, and is unblocked).
    pub fn force_signal(&mut self, sig: usize, info: signal::SigInfo) {
        let blocked = self.sig.mask & signal::bit(sig) != 0;
        let mut actions = lock(&self.shared.actions);
        if blocked || actions.disposition(sig) == Disposition::Ignore {
            actions.0[sig] = signal::SigAction::ZERO;
            self.sig.mask &= !signal::bit(sig);
        }
        drop(actions);
        self.raise_self(sig, info);
    }

    /// The default action of a fatal signal: status 128+sig, and one report line for a fault
    /// or a signal whose default action dumps core (a kill by SIGKILL or SIGTERM is silent,
    /// as under Linux and qemu-user).
    fn die(&mut self, sig: usize, trap: Option<Trap>) -> i32 {
        self.shared.fatal.store(sig as i32, Ordering::Relaxed);
        if trap.is_none() && !signal::dumps_core(sig) {
            return 128 + sig as i32;
        }
        let mut pc = self.cpu.pc;
        let mut bus = self.mem.clone();
        // A signal no instruction raised came from a system call (abort's tgkill): the ecall
        // just before pc is where the guest asked for it.
        let before = pc.wrapping_sub(4);
        if trap.is_none()
            && isa_a::fetch(&mut bus, before).is_ok_and(|d| d.insn.opcode() == isa_a::Opcode::Ecall)
        {
            pc = before;
        }
        let insn = match isa_a::fetch(&mut bus, pc) {
            Ok(d) => d.insn.to_string(),
            Err(Trap::Illegal(i)) => i.to_string(),
            Err(_) => "unreadable".into(),
        };
        let what = match trap {
            Some(Trap::Fault(m)) => format!(" accessing 0x{:x}", m.addr),
            Some(Trap::Misaligned { addr, .. }) => {
                format!(" accessing 0x{addr:x} (misaligned atomic)")
            }
            _ => String::new(),
        };
        crate::diag!(
            "mimic: guest {} at pc=0x{pc:x} ({insn}){what}",
            signal::name(sig)
        );
        128 + sig as i32
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
