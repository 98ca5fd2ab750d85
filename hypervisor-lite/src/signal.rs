//! Guest signals: the emulated signal state, the riscv64 signal frame and default actions.
//!
//! The frame is the kernel's `struct rt_sigframe { siginfo_t info; struct ucontext uc; }`,
//! declared in [`crate::abi::signal`]; [`frame`] fills it from the interrupted registers and
//! [`restore`] takes them back from it, as the guest's handler may have edited it.

use crate::abi::layout::Field;
use crate::abi::signal::{
    DExtState, FpState, RtSigframe, SigContext, SigInfoFault, SigInfoSender, StackT, UContext,
};
use isa_a::Cpu;

pub use crate::abi::signal::SigAction;

pub const NSIG: usize = 64;
pub const SIGILL: usize = 4;
pub const SIGTRAP: usize = 5;
pub const SIGABRT: usize = 6;
pub const SIGBUS: usize = 7;
pub const SIGKILL: usize = 9;
pub const SIGSEGV: usize = 11;
pub const SIGSTOP: usize = 19;

const SIG_DFL: u64 = 0;
const SIG_IGN: u64 = 1;
pub const SA_RESTART: u64 = 0x1000_0000;
pub const SA_ONSTACK: u64 = 0x0800_0000;
pub const SA_NODEFER: u64 = 0x4000_0000;
pub const SA_RESETHAND: u64 = 0x8000_0000;
/// stack_t's ss_flags (asm-generic/signal-defs.h).
pub const SS_ONSTACK: i32 = 1;
pub const SS_DISABLE: i32 = 2;
pub const SS_AUTODISARM: i32 = 1 << 31;

/// The kernel's signal frame size: `sizeof(struct rt_sigframe)`, a multiple of 16 already,
/// so the sp alignment the kernel applies below it (`& ~0xf`) is all the rounding there is.
pub const FRAME_SIZE: u64 = RtSigframe::SIZE as u64;

/// What each signal does: shared by the threads of a process (CLONE_SIGHAND).
#[derive(Clone, Debug)]
pub struct Actions(pub [SigAction; NSIG + 1]);

impl Default for Actions {
    fn default() -> Self {
        Actions([SigAction::ZERO; NSIG + 1])
    }
}

/// A thread's own signal state: the blocked mask and the alternate stack.
#[derive(Clone, Debug, Default)]
pub struct Signals {
    pub mask: u64,
    /// sigaltstack: (ss_sp, ss_size); size 0 when disabled.
    pub altstack: (u64, u64),
}

/// Signals raised for one thread and not yet delivered, with the siginfo each is delivered
/// with (index = signal number). Standard signals do not queue: a second raise while
/// pending keeps the first one's info.
#[derive(Clone, Debug)]
pub struct Pending {
    pub bits: u64,
    pub info: Vec<SigInfo>,
}

impl Default for Pending {
    fn default() -> Self {
        Pending {
            bits: 0,
            info: vec![[0; SIGINFO_SIZE]; NSIG + 1],
        }
    }
}

/// A riscv64 `siginfo_t` as the guest sees it: raw bytes, since rt_sigqueueinfo hands over
/// whatever union member the sender filled. [`fault_info`] and [`sender_info`] fill the
/// members mimic itself uses.
pub type SigInfo = [u8; SIGINFO_SIZE];
pub const SIGINFO_SIZE: usize = SigInfoFault::SIZE;

/// si_code values (asm-generic/siginfo.h).
pub const SI_USER: i32 = 0;
pub const SI_KERNEL: i32 = 0x80;
pub const SI_QUEUE: i32 = -1;
pub const SI_TKILL: i32 = -6;

/// A siginfo with signo, code and, for faults, the address.
pub fn fault_info(sig: usize, code: i32, addr: u64) -> SigInfo {
    let mut b = [0u8; SIGINFO_SIZE];
    SigInfoFault {
        signo: sig as i32,
        errno: 0,
        code,
        addr,
    }
    .write(&mut b);
    b
}

/// A siginfo for a signal sent by a process (kill, tkill, tgkill): si_pid and si_uid.
pub fn sender_info(sig: usize, code: i32, pid: i32, uid: u32) -> SigInfo {
    let mut b = [0u8; SIGINFO_SIZE];
    SigInfoSender {
        signo: sig as i32,
        errno: 0,
        code,
        pid,
        uid,
        value: 0,
    }
    .write(&mut b);
    b
}

/// The frame a handler gets: `info`, the interrupted registers (pc in sc_regs[0], where x0
/// would be), the interrupted `mask`, and the alternate stack as uc_stack.
pub fn frame(info: &SigInfo, cpu: &Cpu, mask: u64, stack: StackT) -> RtSigframe {
    let mut regs = cpu.x;
    regs[0] = cpu.pc;
    RtSigframe {
        info: *info,
        uc: UContext {
            uc_flags: 0,
            uc_link: 0,
            uc_stack: stack,
            uc_sigmask: mask,
            uc_mcontext: SigContext {
                sc_regs: regs,
                sc_fpregs: FpState {
                    d: DExtState {
                        f: cpu.f,
                        fcsr: cpu.fcsr,
                    },
                },
            },
        },
    }
}

/// rt_sigreturn: the registers of `f` (as the handler left them: a new pc, edited x, f,
/// frm and fflags) go back into `cpu`; returns the signal mask to restore.
pub fn restore(f: &RtSigframe, cpu: &mut Cpu) -> u64 {
    let m = &f.uc.uc_mcontext;
    cpu.pc = m.sc_regs[0];
    cpu.x[1..].copy_from_slice(&m.sc_regs[1..]);
    cpu.f = m.sc_fpregs.d.f;
    // fcsr is frm (bits 7:5) and fflags (4:0); the rest reads as zero.
    cpu.fcsr = m.sc_fpregs.d.fcsr & 0xff;
    f.uc.uc_sigmask & !unblockable()
}

impl Pending {
    /// Marks `sig` pending with `info`, unless it already is (standard signals do not queue).
    pub fn queue(&mut self, sig: usize, info: SigInfo) {
        if self.bits & bit(sig) == 0 {
            self.bits |= bit(sig);
            self.info[sig] = info;
        }
    }

    /// Takes the lowest pending signal not in `mask`.
    pub fn take(&mut self, mask: u64) -> Option<(usize, SigInfo)> {
        let ready = self.bits & !mask;
        if ready == 0 {
            return None;
        }
        let sig = ready.trailing_zeros() as usize + 1;
        self.bits &= !bit(sig);
        Some((sig, self.info[sig]))
    }
}

pub fn bit(sig: usize) -> u64 {
    1 << (sig - 1)
}

/// SIGKILL and SIGSTOP can never be blocked.
pub fn unblockable() -> u64 {
    bit(SIGKILL) | bit(SIGSTOP)
}

/// What happens to a signal nobody handles.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Disposition {
    Ignore,
    Terminate,
    Handle(SigAction),
}

impl Actions {
    pub fn disposition(&self, sig: usize) -> Disposition {
        let a = self.0[sig];
        match a.handler {
            SIG_IGN => Disposition::Ignore,
            SIG_DFL if default_ignored(sig) => Disposition::Ignore,
            SIG_DFL => Disposition::Terminate,
            _ => Disposition::Handle(a),
        }
    }
}

/// Signals whose default action is to be ignored (SIGCHLD, SIGCONT, SIGURG, SIGWINCH) or to
/// stop, which a lone emulated process treats the same way.
fn default_ignored(sig: usize) -> bool {
    matches!(sig, 17 | 18 | 19 | 20 | 21 | 22 | 23 | 28)
}

/// Signals whose default action dumps core (signal(7)): a death by one is reported.
pub fn dumps_core(sig: usize) -> bool {
    matches!(sig, 3 | 4 | 5 | 6 | 7 | 8 | 11 | 24 | 25 | 31)
}

/// The signal's name as the report shows it.
pub fn name(sig: usize) -> String {
    const NAMES: [&str; 32] = [
        "0",
        "SIGHUP",
        "SIGINT",
        "SIGQUIT",
        "SIGILL",
        "SIGTRAP",
        "SIGABRT",
        "SIGBUS",
        "SIGFPE",
        "SIGKILL",
        "SIGUSR1",
        "SIGSEGV",
        "SIGUSR2",
        "SIGPIPE",
        "SIGALRM",
        "SIGTERM",
        "SIGSTKFLT",
        "SIGCHLD",
        "SIGCONT",
        "SIGSTOP",
        "SIGTSTP",
        "SIGTTIN",
        "SIGTTOU",
        "SIGURG",
        "SIGXCPU",
        "SIGXFSZ",
        "SIGVTALRM",
        "SIGPROF",
        "SIGWINCH",
        "SIGIO",
        "SIGPWR",
        "SIGSYS",
    ];
    NAMES
        .get(sig)
        .map(|s| s.to_string())
        .unwrap_or_else(|| format!("SIGRT{}", sig - 32))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::layout::Layout;

    #[test]
    fn frame_round_trips_and_restore_takes_the_handlers_edits() {
        let mut cpu = Cpu::default();
        for r in 0..32 {
            cpu.x[r] = 0x100 + r as u64;
            cpu.f[r] = 0x200 + r as u64;
        }
        cpu.x[0] = 0;
        cpu.pc = 0x1_0000;
        cpu.fcsr = 0x41;
        let stack = StackT {
            ss_sp: 0,
            ss_flags: SS_DISABLE,
            ss_size: 0,
        };
        let f = frame(&fault_info(SIGSEGV, 1, 0x10), &cpu, 0x5, stack);
        let bytes = f.to_bytes();
        assert_eq!(bytes.len() as u64, FRAME_SIZE);
        let mut back = RtSigframe::from_bytes(&bytes).unwrap();
        assert_eq!(back, f);
        assert_eq!(back.uc.uc_mcontext.sc_regs[0], 0x1_0000);
        assert_eq!(back.uc.uc_mcontext.sc_regs[10], 0x10a);
        assert_eq!(back.uc.uc_mcontext.sc_fpregs.d.f[3], 0x203);
        assert_eq!(SigInfoFault::read(&back.info).addr, 0x10);

        let m = &mut back.uc.uc_mcontext;
        m.sc_regs[0] += 4;
        m.sc_regs[10] = 7;
        m.sc_fpregs.d.f[31] = 9;
        m.sc_fpregs.d.fcsr = 0xfff;
        back.uc.uc_sigmask = u64::MAX;
        let mut after = cpu.clone();
        let mask = restore(&back, &mut after);
        assert_eq!((after.pc, after.x[10], after.f[31]), (0x1_0004, 7, 9));
        assert_eq!(after.x[0], 0, "x0 stays zero: its slot is the pc");
        assert_eq!(after.fcsr, 0xff, "frm and fflags only");
        assert_eq!(mask, !unblockable());
    }
}
