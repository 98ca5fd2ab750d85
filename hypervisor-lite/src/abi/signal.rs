//! Signals: sigaction, siginfo, stack_t, and the frame the kernel pushes for a handler:
//! `struct rt_sigframe { siginfo_t info; struct ucontext uc; }` (arch/riscv/kernel/signal.c),
//! whose ucontext ends with `struct sigcontext` (asm/sigcontext.h): the pc and x1..x31, then
//! the F/D state. sigcontext is 16-byte aligned (its Q view holds 16-byte aligned words), so
//! uc_mcontext is at 176, not right after the 128 bytes reserved for uc_sigmask (168).
//!
//! ```text
//!   rt_sigframe (1088)
//!   0    info        siginfo_t (128)
//!   128  uc          ucontext (960)
//!          +0   uc_flags, +8 uc_link
//!          +16  uc_stack     stack_t (24)
//!          +40  uc_sigmask   (8, then 120 reserved)
//!          +176 uc_mcontext  sigcontext (784)
//!                 +0   sc_regs    [pc, x1..x31]
//!                 +256 sc_fpregs  __riscv_fp_state (528): d = f0..f31, fcsr
//! ```

use super::layout::layout;

layout! {
    /// The kernel's riscv64 `struct sigaction` (asm-generic/signal.h): no sa_restorer, the
    /// mask last. What rt_sigaction passes, and what each signal's action is.
    pub struct SigAction = "sigaction", size 24, align 8 {
        0 handler "sa_handler": u64,
        8 flags "sa_flags": u64,
        16 mask "sa_mask": u64,
    }

    /// `siginfo_t` as mimic fills it for a signal a process sent (kill, tkill, sigqueue):
    /// the `_kill` / `_rt` members of the union.
    pub struct SigInfoSender = "siginfo_t", size 128, align 8 {
        0 signo "si_signo": i32,
        4 errno "si_errno": i32,
        8 code "si_code": i32,
        16 pid "si_pid": i32,
        20 uid "si_uid": u32,
        24 value "si_value": u64,
    }

    /// `siginfo_t` as mimic fills it for a fault (SIGSEGV, SIGILL, SIGBUS, SIGTRAP): the
    /// `_sigfault` member of the union.
    pub struct SigInfoFault = "siginfo_t", size 128, align 8 {
        0 signo "si_signo": i32,
        4 errno "si_errno": i32,
        8 code "si_code": i32,
        16 addr "si_addr": u64,
    }

    /// `siginfo_t` of a POSIX timer's expiry (SI_TIMER): the `_timer` member of the union.
    pub struct SigInfoTimer = "siginfo_t", size 128, align 8 {
        0 signo "si_signo": i32,
        4 errno "si_errno": i32,
        8 code "si_code": i32,
        16 timerid "si_timerid": i32,
        20 overrun "si_overrun": i32,
        24 value "si_value": u64,
    }

    /// `struct sigevent` (timer_create): how an expiry is notified; the thread id of
    /// SIGEV_THREAD_ID sits in the union glibc names `_sigev_un`.
    pub struct SigEvent = "sigevent", size 64, align 8 {
        0 value "sigev_value": u64,
        8 signo "sigev_signo": i32,
        12 notify "sigev_notify": i32,
        16 tid "_sigev_un._tid": i32,
    }

    /// `struct signalfd_siginfo` (sys/signalfd.h): what a read of a signalfd returns per signal.
    pub struct SignalfdSiginfo = "signalfd_siginfo", size 128, align 8 {
        0 ssi_signo: u32,
        4 ssi_errno: i32,
        8 ssi_code: i32,
        12 ssi_pid: u32,
        16 ssi_uid: u32,
        20 ssi_fd: i32,
        24 ssi_tid: u32,
        28 ssi_band: u32,
        32 ssi_overrun: u32,
        36 ssi_trapno: u32,
        40 ssi_status: i32,
        44 ssi_int: i32,
        48 ssi_ptr: u64,
        56 ssi_utime: u64,
        64 ssi_stime: u64,
        72 ssi_addr: u64,
    }

    /// `stack_t` (sigaltstack, uc_stack).
    pub struct StackT = "stack_t", size 24, align 8 {
        0 ss_sp: u64,
        8 ss_flags: i32,
        16 ss_size: u64,
    }

    /// `struct __riscv_d_ext_state`: f0..f31 as 64-bit words, and fcsr.
    pub struct DExtState = "__riscv_d_ext_state", size 264, align 8 {
        0 f: [u64; 32],
        256 fcsr: u32,
    }

    /// `union __riscv_fp_state` through its D member, the one the kernel fills for an
    /// RV64GC process; the union is as large as its Q member.
    pub struct FpState = "__riscv_fp_state", size 528, align 16 {
        0 d: DExtState,
    }

    /// The kernel's `struct sigcontext`: sc_regs is user_regs_struct (pc, then x1..x31).
    pub struct SigContext = "sigcontext", size 784, align 16 {
        0 sc_regs: [u64; 32],
        256 sc_fpregs: FpState,
    }

    /// The kernel's `struct ucontext` (asm/ucontext.h).
    pub struct UContext = "ucontext", size 960, align 16 {
        0 uc_flags: u64,
        8 uc_link: u64,
        16 uc_stack: StackT,
        40 uc_sigmask: u64,
        176 uc_mcontext: SigContext,
    }

    /// What a handler's sp points at: the siginfo (a1 = &info) and the context (a2 = &uc).
    pub struct RtSigframe = "rt_sigframe", size 1088, align 16 {
        0 info: [u8; 128],
        128 uc: UContext,
    }
}
