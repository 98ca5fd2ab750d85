//! Signal delivery to a [`Task`]: synchronous traps become their signals, pending signals
//! enter their handlers on a riscv64 rt_sigframe (declared in [`crate::abi::signal`]),
//! sigreturn restores what the frame holds, and an unhandled fatal signal is reported.

use super::Task;
use crate::abi::layout::{Field, Layout};
use crate::abi::signal::{RtSigframe, StackT};
use crate::memory::perm;
use crate::signal::{self, Disposition};
use crate::state::lock;
use isa_a::{Access, Trap};
use std::sync::atomic::Ordering;

impl Task {
    /// A synchronous trap becomes its signal: delivered to a handler or fatal.
    pub(crate) fn fault(&mut self, trap: Trap) -> Option<i32> {
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
        if let Trap::Illegal(ill) = trap {
            let bits = match ill.len {
                2 => format!("{:04x}", ill.bits),
                _ => format!("{:08x}", ill.bits),
            };
            self.shared.log(
                |f| f.unimp,
                || format!("Illegal instruction 0x{bits} at pc 0x{pc:016x}\n"),
            );
        }
        let blocked = self.sig.mask & signal::bit(sig) != 0;
        let disposition = lock(&self.shared.actions).disposition(sig);
        let fatal = blocked || !matches!(disposition, Disposition::Handle(_));
        let info = signal::fault_info(sig, code, addr);
        self.log_signal(sig, &info, &disposition, fatal);
        match disposition {
            Disposition::Handle(act) if !blocked => self.enter_handler(sig, act, &info).err(),
            // A blocked or ignored synchronous signal cannot be ignored: the kernel kills.
            _ => Some(self.die(sig, Some(trap))),
        }
    }

    /// Whether delivering `sig` now ends the process: no handler takes it, or (`synchronous`:
    /// an instruction raised it) it is blocked or ignored, which the kernel does not allow.
    pub fn kills(&self, sig: usize, synchronous: bool) -> bool {
        let blocked = self.sig.mask & signal::bit(sig) != 0;
        match lock(&self.shared.actions).disposition(sig) {
            Disposition::Handle(_) => synchronous && blocked,
            Disposition::Terminate => true,
            Disposition::Ignore => synchronous,
        }
    }

    /// Takes the lowest pending signal the thread does not block, if any.
    pub(crate) fn take_pending(&self) -> Option<(usize, signal::SigInfo)> {
        if !self.ctl.has_pending.load(Ordering::Acquire) {
            return None;
        }
        let mut p = lock(&self.ctl.pending);
        let next = p.take(self.sig.mask);
        if p.bits == 0 {
            self.ctl.has_pending.store(false, Ordering::Release);
        }
        next
    }

    /// Delivers the lowest pending unblocked signal, if any.
    pub(crate) fn deliver_pending(&mut self) -> Option<i32> {
        while let Some((sig, info)) = self.take_pending() {
            super::timer::taken(&self.shared, &info);
            let disposition = lock(&self.shared.actions).disposition(sig);
            self.log_signal(sig, &info, &disposition, false);
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

    /// `-d int`: signal `sig` taken at the current pc, and what it does (`fatal`: a
    /// synchronous signal that cannot be handled now, which kills); `--strace`: qemu's line
    /// for it, with its `info`.
    fn log_signal(&self, sig: usize, info: &signal::SigInfo, d: &Disposition, fatal: bool) {
        if self.shared.cfg.strace {
            self.shared.strace(&super::strace::taken_signal(sig, info));
        }
        let pc = self.cpu.pc;
        let action = match d {
            _ if fatal => "kills".to_string(),
            Disposition::Handle(act) => format!("handler 0x{:016x}", act.handler),
            Disposition::Ignore => "ignored".into(),
            Disposition::Terminate => "default action".into(),
        };
        self.shared.log(
            |f| f.int,
            || {
                format!(
                    "Signal {sig} ({}) at pc 0x{pc:016x}: {action}\n",
                    signal::name(sig)
                )
            },
        );
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
}
