//! A guest process and its run loop: the interpreter in budgets, system calls, signals.
//!
//! ```text
//!   BlockCache::run(cpu, GuestMem, budget)
//!        │ None ─────────────▶ deliver pending signals, go on
//!        │ Ecall ────────────▶ syscall::dispatch ─▶ a0, pc += 4
//!        │ Fault/Illegal/… ──▶ guest signal: handler frame, or report and exit 128+sig
//! ```

use crate::control::Control;
use crate::loader::{self, LoadError, StartInfo};
use crate::memory::{perm, AddressSpace, GuestMem, PAGE};
use crate::signal::{self, Disposition, Signals};
use crate::syscall::{self, Errno};
use isa_a::format::{Nullary, I};
use isa_a::{Access, BlockCache, Cpu, Insn, Trap, XReg};
use std::collections::HashSet;
use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::Arc;

/// Instructions run between checks for pending signals.
pub(crate) const BUDGET: u64 = 100_000;

/// How to start a guest.
#[derive(Clone, Debug)]
pub struct Config {
    pub program: PathBuf,
    /// argv, including argv[0].
    pub args: Vec<OsString>,
    /// The environment as `VAR=VALUE` strings.
    pub env: Vec<OsString>,
    pub sysroot: Option<PathBuf>,
    pub stack_size: u64,
    pub strace: bool,
}

pub struct Process {
    pub space: AddressSpace,
    pub mem: GuestMem,
    pub cpu: Cpu,
    pub cache: BlockCache,
    pub sysroot: Option<PathBuf>,
    /// What /proc/self/exe reads as.
    pub exe: PathBuf,
    pub strace: bool,
    pub pid: i32,
    pub tid: i32,
    /// Set by exit/exit_group.
    pub exit: Option<i32>,
    /// Set by rt_sigreturn: the registers were restored, a0 and pc must stay.
    pub restored: bool,
    pub sig: Signals,
    /// Syscalls (and other things) already reported as unsupported.
    pub reported: HashSet<u64>,
    pub clear_child_tid: u64,
    /// Code that returns from a signal handler: `li a7,139 ; ecall`.
    sigreturn_tramp: u64,
    /// [control hook] A front end (the TUI) watching and steering this process, if any.
    pub control: Option<Arc<Control>>,
}

impl Process {
    /// Loads the program and prepares its first vCPU.
    pub fn new(cfg: &Config) -> Result<Process, LoadError> {
        let err = |reason: String| LoadError {
            file: cfg.program.clone(),
            reason,
        };
        let mut space =
            AddressSpace::new().map_err(|e| err(format!("cannot reserve guest memory: {e}")))?;
        let bytes = |s: &OsString| s.as_encoded_bytes().to_vec();
        let start = StartInfo {
            args: cfg.args.iter().map(bytes).collect(),
            env: cfg.env.iter().map(bytes).collect(),
            execfn: cfg.program.as_os_str().as_encoded_bytes().to_vec(),
            stack_size: cfg.stack_size,
            sysroot: cfg.sysroot.clone(),
        };
        let loaded = loader::load(&mut space, &cfg.program, &start)?;
        let tramp = space
            .find_free(PAGE, PAGE)
            .ok_or_else(|| err("no room for the signal trampoline".into()))?;
        space
            .map_fixed(tramp, PAGE, (libc::PROT_READ | libc::PROT_EXEC) as u32)
            .map_err(|e| err(e.to_string()))?;
        let code = [
            Insn::Addi(I {
                rd: XReg::new(17),
                rs1: XReg::new(0),
                imm: 139,
            })
            .encode(),
            Insn::Ecall(Nullary {}).encode(),
        ];
        let code: Vec<u8> = code.iter().flat_map(|w| w.to_le_bytes()).collect();
        space.write_raw(tramp, &code);

        let mut cpu = Cpu::new(loaded.pc);
        cpu.x[2] = loaded.sp;
        let pid = std::process::id() as i32;
        let exe = std::fs::canonicalize(&cfg.program).unwrap_or_else(|_| cfg.program.clone());
        Ok(Process {
            mem: space.handle(),
            space,
            cpu,
            cache: BlockCache::new(),
            sysroot: cfg.sysroot.clone(),
            exe,
            strace: cfg.strace,
            pid,
            tid: pid,
            exit: None,
            restored: false,
            sig: Signals::default(),
            reported: HashSet::new(),
            clear_child_tid: 0,
            sigreturn_tramp: tramp,
            control: None,
        })
    }

    /// Runs the guest to its end; returns the exit status (128+signal for a fatal signal).
    pub fn run(&mut self) -> i32 {
        loop {
            if self.space.code_changed {
                self.cache.clear();
                self.space.code_changed = false;
            }
            let mut bus = self.mem;
            // [control hook] the front end decides how far the engine may run.
            let trap = match &self.control {
                Some(c) => c.slice(self.tid, &mut self.cpu, &mut bus, &mut self.cache),
                None => self.cache.run(&mut self.cpu, &mut bus, BUDGET),
            };
            match trap {
                None => {}
                Some(Trap::Ecall) => {
                    let x = &self.cpu.x;
                    let (nr, args) = (x[17], [x[10], x[11], x[12], x[13], x[14], x[15]]);
                    // [control hook] logged, and stopped before when asked to.
                    let r = match self.control.clone() {
                        Some(c) => c.syscall(self, nr, args),
                        None => syscall::dispatch(self, nr, args),
                    };
                    if let Some(code) = self.exit {
                        return code;
                    }
                    if self.restored {
                        self.restored = false;
                    } else {
                        self.cpu.x[10] = r;
                        self.cpu.pc = self.cpu.pc.wrapping_add(4);
                        self.cpu.instret += 1;
                    }
                }
                Some(trap) => {
                    if let Some(status) = self.fault(trap) {
                        return status;
                    }
                }
            }
            if let Some(status) = self.deliver_pending() {
                return status;
            }
        }
    }

    /// A synchronous trap becomes its signal: delivered to a handler or fatal.
    fn fault(&mut self, trap: Trap) -> Option<i32> {
        let pc = self.cpu.pc;
        let (sig, code, addr) = match trap {
            Trap::Fault(m) => {
                let mapped = self.space.perm_at(m.addr) & perm::MAPPED != 0;
                (signal::SIGSEGV, if mapped { 2 } else { 1 }, m.addr)
            }
            Trap::Illegal(_) => (signal::SIGILL, 1, pc),
            Trap::Ebreak => (signal::SIGTRAP, 1, pc),
            Trap::Misaligned { addr, .. } => (signal::SIGBUS, 1, addr),
            Trap::Ecall => unreachable!("ecall is a syscall"),
        };
        let blocked = self.sig.mask & signal::bit(sig) != 0;
        match self.sig.disposition(sig) {
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
        while self.sig.pending & !self.sig.mask != 0 {
            let sig = (self.sig.pending & !self.sig.mask).trailing_zeros() as usize + 1;
            self.sig.pending &= !signal::bit(sig);
            match self.sig.disposition(sig) {
                Disposition::Ignore => {}
                Disposition::Terminate => return Some(self.die(sig, None)),
                Disposition::Handle(act) => {
                    let info = self.sig.info[sig];
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
        info: &[u8; 128],
    ) -> Result<(), i32> {
        let (ss_sp, ss_size) = self.sig.altstack;
        let sp = self.cpu.x[2];
        let on_alt = ss_size != 0 && sp.wrapping_sub(ss_sp) < ss_size;
        let top = if act.flags & signal::SA_ONSTACK != 0 && ss_size != 0 && !on_alt {
            ss_sp + ss_size
        } else {
            sp
        };
        let frame = top.wrapping_sub(signal::FRAME_SIZE) & !15;
        let mut f = vec![0u8; signal::FRAME_SIZE as usize];
        f[..128].copy_from_slice(info);
        let uc = signal::SIGINFO_SIZE as usize;
        f[uc + 16..uc + 24].copy_from_slice(&ss_sp.to_le_bytes());
        f[uc + 24..uc + 28]
            .copy_from_slice(&(if ss_size == 0 { 2u32 } else { on_alt as u32 }).to_le_bytes());
        f[uc + 32..uc + 40].copy_from_slice(&ss_size.to_le_bytes());
        let m = uc + signal::UC_SIGMASK as usize;
        f[m..m + 8].copy_from_slice(&self.sig.mask.to_le_bytes());
        let mc = uc + signal::UC_MCONTEXT as usize;
        f[mc..mc + 8].copy_from_slice(&self.cpu.pc.to_le_bytes());
        for r in 1..32 {
            f[mc + r * 8..mc + r * 8 + 8].copy_from_slice(&self.cpu.x[r].to_le_bytes());
        }
        let fp = mc + 256;
        for r in 0..32 {
            f[fp + r * 8..fp + r * 8 + 8].copy_from_slice(&self.cpu.f[r].to_le_bytes());
        }
        f[fp + 256..fp + 260].copy_from_slice(&self.cpu.fcsr.to_le_bytes());
        if self.put(frame, &f).is_err() {
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
            self.sig.actions[sig] = signal::SigAction::default();
        }
        self.cpu.x[10] = sig as u64;
        self.cpu.x[11] = frame;
        self.cpu.x[12] = frame + signal::SIGINFO_SIZE;
        self.cpu.x[2] = frame;
        self.cpu.x[1] = self.sigreturn_tramp;
        self.cpu.pc = act.handler;
        Ok(())
    }

    /// rt_sigreturn: restores the registers and mask saved in the frame at sp.
    pub fn sigreturn(&mut self) -> Result<(), Errno> {
        let frame = self.cpu.x[2];
        let f = self.mem.slice(frame, signal::FRAME_SIZE)?.to_vec();
        let word = |o: usize| u64::from_le_bytes(f[o..o + 8].try_into().expect("8 bytes"));
        let uc = signal::SIGINFO_SIZE as usize;
        let mc = uc + signal::UC_MCONTEXT as usize;
        self.sig.mask = word(uc + signal::UC_SIGMASK as usize) & !signal::unblockable();
        self.cpu.pc = word(mc);
        for r in 1..32 {
            self.cpu.x[r] = word(mc + r * 8);
        }
        for r in 0..32 {
            self.cpu.f[r] = word(mc + 256 + r * 8);
        }
        self.cpu.fcsr =
            u32::from_le_bytes(f[mc + 512..mc + 516].try_into().expect("4 bytes")) & 0xff;
        self.restored = true;
        Ok(())
    }

    /// The default action of a fatal signal: one report line, status 128+sig.
    fn die(&mut self, sig: usize, trap: Option<Trap>) -> i32 {
        let pc = self.cpu.pc;
        let mut bus = self.mem;
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
        eprintln!(
            "mimic: guest {} at pc=0x{pc:x} ({insn}){what}",
            signal::name(sig)
        );
        128 + sig as i32
    }
}
