//! Signal syscalls over the emulated per-process signal state (see `crate::signal`).

use super::fs::host;
use super::Task;
use super::{Errno, Outcome, SysResult, Wait};
use crate::abi::layout::Field;
use crate::abi::signal::{SigInfoSender, StackT};
use crate::signal::{
    sender_info, SigAction, SigInfo, NSIG, SIGKILL, SIGSTOP, SI_TKILL, SI_USER, SS_DISABLE,
};
use crate::state::lock;

/// The kernel's sigset_t: one 64-bit word of signal bits.
const SIGSET_SIZE: u64 = 8;

pub fn rt_sigaction(p: &mut Task, a: [u64; 6]) -> SysResult {
    let sig = a[0] as usize;
    if a[3] != SIGSET_SIZE || sig == 0 || sig > NSIG {
        return Err(Errno::EINVAL);
    }
    let new = if a[1] != 0 {
        if sig == SIGKILL || sig == SIGSTOP {
            return Err(Errno::EINVAL);
        }
        Some(p.load::<SigAction>(a[1])?)
    } else {
        None
    };
    if a[2] != 0 {
        let old = lock(&p.shared.actions).0[sig];
        p.store(a[2], &old)?;
    }
    if let Some(n) = new {
        lock(&p.shared.actions).0[sig] = n;
        crate::hostsig::mirror(sig, &n);
    }
    Ok(0)
}

pub fn rt_sigprocmask(p: &mut Task, a: [u64; 6]) -> SysResult {
    if a[3] != SIGSET_SIZE {
        return Err(Errno::EINVAL);
    }
    let old = p.sig.mask;
    if a[1] != 0 {
        let set = u64::from_le_bytes(p.get_array(a[1])?);
        p.sig.mask = match a[0] {
            0 => old | set,
            1 => old & !set,
            2 => set,
            _ => return Err(Errno::EINVAL),
        };
        p.sig.mask &= !crate::signal::unblockable();
    }
    if a[2] != 0 {
        p.put(a[2], &old.to_le_bytes())?;
    }
    Ok(0)
}

pub fn sigaltstack(p: &mut Task, a: [u64; 6]) -> SysResult {
    let new = p.load_opt::<StackT>(a[0])?;
    if a[1] != 0 {
        let (ss_sp, ss_size) = p.sig.altstack;
        let ss_flags = if ss_size == 0 { SS_DISABLE } else { 0 };
        p.store(
            a[1],
            &StackT {
                ss_sp,
                ss_flags,
                ss_size,
            },
        )?;
    }
    if let Some(ss) = new {
        if ss.ss_flags & SS_DISABLE != 0 {
            p.sig.altstack = (0, 0);
        } else if ss.ss_size < crate::loader::MINSIGSTKSZ {
            return Err(Errno(libc::ENOMEM));
        } else {
            p.sig.altstack = (ss.ss_sp, ss.ss_size);
        }
    }
    Ok(0)
}

/// Who a signal a process sends itself is for.
enum To {
    /// kill, rt_sigqueueinfo: any thread that does not block it.
    Process,
    /// tkill, tgkill: the caller.
    Caller,
}

/// Queues `sig`, sent by this process to itself, with the siginfo made by `info` for it.
fn raise(p: &mut Task, to: To, sig: u64, info: impl FnOnce(usize) -> SigInfo) -> SysResult {
    if sig as usize > NSIG {
        return Err(Errno::EINVAL);
    }
    if sig != 0 {
        let (sig, info) = (sig as usize, info(sig as usize));
        match to {
            To::Process => p.raise_process(sig, info),
            To::Caller => p.raise_self(sig, info),
        }
    }
    Ok(0)
}

/// si_pid and si_uid of a signal the guest sends itself.
fn from_self(p: &Task, code: i32) -> impl FnOnce(usize) -> SigInfo {
    // SAFETY: getuid has no preconditions.
    let (pid, uid) = (p.shared.pid(), unsafe { libc::getuid() });
    move |sig| sender_info(sig, code, pid, uid)
}

/// A signal to the process is taken by the caller unless it blocks it, as on Linux.
pub fn kill(p: &mut Task, a: [u64; 6]) -> SysResult {
    let pid = a[0] as i32;
    if pid == p.shared.pid() || pid == 0 {
        let info = from_self(p, SI_USER);
        return raise(p, To::Process, a[1], info);
    }
    // SAFETY: kill takes two integers.
    host(unsafe { libc::kill(pid, a[1] as i32) } as i64)
}
pub fn tkill(p: &mut Task, a: [u64; 6]) -> SysResult {
    to_thread(p, a[0] as i32, a[1])
}
pub fn tgkill(p: &mut Task, a: [u64; 6]) -> SysResult {
    if a[0] as i32 != p.shared.pid() {
        return Err(Errno::ESRCH);
    }
    to_thread(p, a[1] as i32, a[2])
}

/// tkill/tgkill: queues `sig` for thread `tid` of this process, interrupting its blocking
/// host call.
fn to_thread(p: &mut Task, tid: i32, sig: u64) -> SysResult {
    if tid <= 0 || sig as usize > NSIG {
        return Err(Errno::EINVAL);
    }
    if tid == p.tid {
        let info = from_self(p, SI_TKILL);
        return raise(p, To::Caller, sig, info);
    }
    let target = lock(&p.shared.threads).get(&tid).cloned();
    let Some(t) = target else {
        return Err(Errno::ESRCH);
    };
    if sig != 0 {
        let info = from_self(p, SI_TKILL)(sig as usize);
        t.raise(sig as usize, info);
    }
    Ok(0)
}

/// The part of a siginfo the kernel holds (kernel_siginfo_t: the preamble and the union's
/// largest member); only these bytes are read from a sender, and the rest of the 128 a
/// handler gets is zero.
const KERNEL_SIGINFO: usize = 48;

/// A sender's siginfo at `addr`, read as Linux's copy_siginfo_from_user does: the kernel's
/// part, and the rest only for an si_code whose layout the kernel does not know, which must
/// leave the rest zero (E2BIG) so that a handler gets back exactly what was sent.
pub(super) fn user_siginfo(p: &Task, addr: u64) -> Result<SigInfo, Errno> {
    let mut info = [0u8; crate::signal::SIGINFO_SIZE];
    info[..KERNEL_SIGINFO].copy_from_slice(&p.get_array::<KERNEL_SIGINFO>(addr)?);
    let word = |i: usize| i32::from_le_bytes(info[i..i + 4].try_into().expect("4 bytes"));
    if !known_layout(word(0), word(8)) {
        let rest = p.get(
            addr + KERNEL_SIGINFO as u64,
            (info.len() - KERNEL_SIGINFO) as u64,
        )?;
        if rest.iter().any(|&b| b != 0) {
            return Err(Errno(libc::E2BIG));
        }
    }
    Ok(info)
}

/// Whether the kernel knows the siginfo layout of (`signo`, `code`) (known_siginfo_layout):
/// the codes a user may send, the kernel's, and each fault signal's own codes up to its last.
fn known_layout(signo: i32, code: i32) -> bool {
    const SI_KERNEL: i32 = 0x80;
    const SI_DETHREAD: i32 = -7;
    const SI_ASYNCNL: i32 = -60;
    // NSIGILL, NSIGFPE, NSIGSEGV, NSIGBUS, NSIGTRAP, NSIGCHLD, NSIGSYS; other signals' codes
    // are SIGPOLL's (NSIGPOLL).
    let last = match signo {
        4 => 11,
        8 => 15,
        11 => 10,
        7 => 5,
        5 => 6,
        17 => 6,
        31 => 2,
        _ => 6,
    };
    code == SI_KERNEL
        || (code > 0 && code <= last)
        || (SI_DETHREAD..=0).contains(&code)
        || code == SI_ASYNCNL
}

/// rt_sigqueueinfo(pid, sig, info): the caller's siginfo is delivered as given, except
/// si_signo (the kernel sets it). Only the process itself is a target for now.
pub fn rt_sigqueueinfo(p: &mut Task, a: [u64; 6]) -> SysResult {
    let mut info = user_siginfo(p, a[2])?;
    if a[0] as i32 != p.shared.pid() {
        return Err(Errno::ESRCH);
    }
    // The kernel refuses forged kernel or tkill codes (EPERM) only for other processes.
    raise(p, To::Process, a[1], move |sig| {
        // Only si_signo changes: the union bytes stay as the caller wrote them.
        let mut fields = SigInfoSender::read(&info);
        fields.signo = sig as i32;
        fields.write(&mut info);
        info
    })
}

/// rt_sigpending(set, size): the signals raised while blocked.
pub fn rt_sigpending(p: &mut Task, a: [u64; 6]) -> SysResult {
    if a[1] > SIGSET_SIZE {
        return Err(Errno::EINVAL);
    }
    let bytes = lock(&p.ctl.pending).bits.to_le_bytes();
    p.put(a[0], &bytes[..a[1] as usize])?;
    Ok(0)
}

pub fn rt_sigreturn(p: &mut Task, _: [u64; 6]) -> Result<Outcome, Errno> {
    if p.sigreturn() {
        Ok(Outcome::Restored)
    } else {
        // The frame was unreadable: a forced SIGSEGV is pending, as after the kernel's
        // sigreturn, which returns into it.
        Outcome::value(0)
    }
}

/// rt_sigsuspend(mask, size): waits with `mask` until a signal is delivered; always EINTR.
pub fn rt_sigsuspend(p: &mut Task, a: [u64; 6]) -> Result<Outcome, Errno> {
    if a[1] != SIGSET_SIZE {
        return Err(Errno::EINVAL);
    }
    let set = u64::from_le_bytes(p.get_array(a[0])?) & !crate::signal::unblockable();
    p.saved_mask = Some(p.sig.mask);
    p.sig.mask = set;
    if p.shared.deterministic() {
        return Ok(Outcome::Park(Wait::Signal));
    }
    loop {
        p.ctl.looking(p.sig.mask);
        p.take_host_signals();
        if p.next_signal().is_some() {
            return Err(Errno::EINTR);
        }
        crate::hostsig::wait_for_signal(|| p.next_signal().is_some());
    }
}
