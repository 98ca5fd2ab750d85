//! Signal syscalls over the emulated per-process signal state (see `crate::signal`).

use super::fs::host;
use super::{Errno, SysResult};
use crate::process::lock;
use crate::signal::{sender_info, SigAction, SigInfo, NSIG, SIGKILL, SIGSTOP, SI_TKILL, SI_USER};
use crate::vcpu::Vcpu;

/// riscv64 has no sa_restorer: `struct sigaction` is handler, flags, mask (asm-generic).
const SIGACTION_SIZE: u64 = 24;
const SIGSET_SIZE: u64 = 8;
/// `stack_t`: ss_sp, ss_flags (int, padded), ss_size.
const STACK_T_SIZE: u64 = 24;
const SS_DISABLE: u32 = 2;

fn word(b: &[u8], i: usize) -> u64 {
    u64::from_le_bytes(b[i * 8..i * 8 + 8].try_into().expect("8 bytes"))
}

pub fn rt_sigaction(p: &mut Vcpu, a: [u64; 6]) -> SysResult {
    let sig = a[0] as usize;
    if a[3] != SIGSET_SIZE || sig == 0 || sig > NSIG {
        return Err(Errno::EINVAL);
    }
    let new = if a[1] != 0 {
        if sig == SIGKILL || sig == SIGSTOP {
            return Err(Errno::EINVAL);
        }
        let b = p.get(a[1], SIGACTION_SIZE)?;
        Some(SigAction {
            handler: word(&b, 0),
            flags: word(&b, 1),
            mask: word(&b, 2),
        })
    } else {
        None
    };
    if a[2] != 0 {
        let old = lock(&p.shared.actions).0[sig];
        let mut b = [0u8; SIGACTION_SIZE as usize];
        b[..8].copy_from_slice(&old.handler.to_le_bytes());
        b[8..16].copy_from_slice(&old.flags.to_le_bytes());
        b[16..].copy_from_slice(&old.mask.to_le_bytes());
        p.put(a[2], &b)?;
    }
    if let Some(n) = new {
        lock(&p.shared.actions).0[sig] = n;
        crate::hostsig::mirror(sig, &n);
    }
    Ok(0)
}

pub fn rt_sigprocmask(p: &mut Vcpu, a: [u64; 6]) -> SysResult {
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

pub fn sigaltstack(p: &mut Vcpu, a: [u64; 6]) -> SysResult {
    let new = if a[0] != 0 {
        let b = p.get(a[0], STACK_T_SIZE)?;
        Some((word(&b, 0), word(&b, 1) as u32, word(&b, 2)))
    } else {
        None
    };
    if a[1] != 0 {
        let (sp, size) = p.sig.altstack;
        let flags = if size == 0 { SS_DISABLE } else { 0 };
        let mut b = [0u8; STACK_T_SIZE as usize];
        b[..8].copy_from_slice(&sp.to_le_bytes());
        b[8..12].copy_from_slice(&flags.to_le_bytes());
        b[16..].copy_from_slice(&size.to_le_bytes());
        p.put(a[1], &b)?;
    }
    if let Some((sp, flags, size)) = new {
        if flags & SS_DISABLE != 0 {
            p.sig.altstack = (0, 0);
        } else if size < crate::loader::MINSIGSTKSZ {
            return Err(Errno(libc::ENOMEM));
        } else {
            p.sig.altstack = (sp, size);
        }
    }
    Ok(0)
}

/// Queues `sig` for this process (kill, tkill, tgkill, rt_sigqueueinfo to self) with the
/// siginfo made by `info` for it.
fn raise(p: &mut Vcpu, sig: u64, info: impl FnOnce(usize) -> SigInfo) -> SysResult {
    if sig as usize > NSIG {
        return Err(Errno::EINVAL);
    }
    if sig != 0 {
        p.raise_self(sig as usize, info(sig as usize));
    }
    Ok(0)
}

/// si_pid and si_uid of a signal the guest sends itself.
fn from_self(p: &Vcpu, code: i32) -> impl FnOnce(usize) -> SigInfo {
    let (pid, uid) = (p.shared.pid(), unsafe { libc::getuid() });
    move |sig| sender_info(sig, code, pid, uid)
}

/// A signal to the process is taken by the calling thread (Linux picks any thread that does
/// not block it; the caller is one when it does not).
pub fn kill(p: &mut Vcpu, a: [u64; 6]) -> SysResult {
    let pid = a[0] as i32;
    if pid == p.shared.pid() || pid == 0 {
        let info = from_self(p, SI_USER);
        return raise(p, a[1], info);
    }
    host(unsafe { libc::kill(pid, a[1] as i32) } as i64)
}
pub fn tkill(p: &mut Vcpu, a: [u64; 6]) -> SysResult {
    to_thread(p, a[0] as i32, a[1])
}
pub fn tgkill(p: &mut Vcpu, a: [u64; 6]) -> SysResult {
    if a[0] as i32 != p.shared.pid() {
        return Err(Errno::ESRCH);
    }
    to_thread(p, a[1] as i32, a[2])
}

/// tkill/tgkill: queues `sig` for thread `tid` of this process, interrupting its blocking
/// host call.
fn to_thread(p: &mut Vcpu, tid: i32, sig: u64) -> SysResult {
    if tid <= 0 || sig as usize > NSIG {
        return Err(Errno::EINVAL);
    }
    if tid == p.tid {
        let info = from_self(p, SI_TKILL);
        return raise(p, sig, info);
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

/// rt_sigqueueinfo(pid, sig, info): the caller's siginfo is delivered as given, except
/// si_signo (the kernel sets it). Only the process itself is a target for now.
pub fn rt_sigqueueinfo(p: &mut Vcpu, a: [u64; 6]) -> SysResult {
    let mut info: SigInfo = p.get_array(a[2])?;
    if a[0] as i32 != p.shared.pid() {
        return Err(Errno::ESRCH);
    }
    // The kernel refuses forged kernel or tkill codes (EPERM) only for other processes.
    raise(p, a[1], move |sig| {
        info[..4].copy_from_slice(&(sig as u32).to_le_bytes());
        info
    })
}

/// rt_sigpending(set, size): the signals raised while blocked.
pub fn rt_sigpending(p: &mut Vcpu, a: [u64; 6]) -> SysResult {
    if a[1] > SIGSET_SIZE {
        return Err(Errno::EINVAL);
    }
    let bytes = lock(&p.ctl.pending).bits.to_le_bytes();
    p.put(a[0], &bytes[..a[1] as usize])?;
    Ok(0)
}

pub fn rt_sigreturn(p: &mut Vcpu, _: [u64; 6]) -> SysResult {
    p.sigreturn()?;
    Ok(0)
}

/// rt_sigsuspend(mask, size): waits with `mask` until a signal is delivered; always EINTR.
pub fn rt_sigsuspend(p: &mut Vcpu, a: [u64; 6]) -> SysResult {
    if a[1] != SIGSET_SIZE {
        return Err(Errno::EINVAL);
    }
    let set = u64::from_le_bytes(p.get_array(a[0])?) & !crate::signal::unblockable();
    p.saved_mask = Some(p.sig.mask);
    p.sig.mask = set;
    if p.shared.deterministic() {
        p.wait = Some(crate::sched::Wait::Signal);
        return Ok(0);
    }
    loop {
        p.take_host_signals();
        if p.next_signal().is_some() {
            return Err(Errno::EINTR);
        }
        crate::hostsig::wait_for_signal(|| p.next_signal().is_some());
    }
}
