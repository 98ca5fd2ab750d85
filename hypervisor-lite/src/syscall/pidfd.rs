//! Process descriptors: pidfd_open and pidfd_send_signal. A pidfd is the host's (children
//! are host processes, and the guest's pid is mimic's); a signal sent through one to the
//! guest itself becomes a guest signal, as kill(getpid()) does.

use super::fs::host;
use super::{Errno, SysResult, Task};
use crate::abi::layout::Field;
use crate::abi::signal::SigInfoSender;
use crate::signal::{sender_info, SigInfo, NSIG, SI_USER};

/// PIDFD_NONBLOCK is O_NONBLOCK on both sides.
const PIDFD_NONBLOCK: u64 = libc::O_NONBLOCK as u64;

/// pidfd_open(pid, flags).
pub fn pidfd_open(_: &mut Task, a: [u64; 6]) -> SysResult {
    if a[1] & !PIDFD_NONBLOCK != 0 {
        return Err(Errno::EINVAL);
    }
    // SAFETY: pidfd_open takes two integers.
    host(unsafe { libc::syscall(libc::SYS_pidfd_open, a[0] as i32, a[1] as u32) })
}

/// The pid a pidfd refers to, from /proc/self/fdinfo (None when `fd` is not a pidfd).
fn pidfd_pid(fd: u64) -> Option<i32> {
    let text = std::fs::read_to_string(format!("/proc/self/fdinfo/{}", fd as i32)).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("Pid:"))
        .and_then(|v| v.trim().parse().ok())
}

/// pidfd_send_signal(pidfd, sig, info, flags).
pub fn pidfd_send_signal(p: &mut Task, a: [u64; 6]) -> SysResult {
    let sig = a[1] as usize;
    if a[3] != 0 || sig > NSIG {
        return Err(Errno::EINVAL);
    }
    let info: Option<SigInfo> = match a[2] {
        0 => None,
        addr => Some(super::signal::user_siginfo(p, addr)?),
    };
    if pidfd_pid(a[0]) == Some(p.shared.pid()) {
        if sig != 0 {
            let info = match info {
                Some(mut given) => {
                    // Only si_signo changes, as for rt_sigqueueinfo.
                    let mut fields = SigInfoSender::read(&given);
                    fields.signo = sig as i32;
                    fields.write(&mut given);
                    given
                }
                // SAFETY: getuid has no preconditions.
                None => sender_info(sig, SI_USER, p.shared.pid(), unsafe { libc::getuid() }),
            };
            p.raise_process(sig, info);
        }
        return Ok(0);
    }
    // The union members a sender fills (_kill, _rt) sit where x86-64's do: the bytes pass.
    let ptr = info.as_ref().map_or(0, |i| i.as_ptr() as u64);
    // SAFETY: integers, and a 128-byte siginfo that lives across the call (or NULL).
    host(unsafe { libc::syscall(libc::SYS_pidfd_send_signal, a[0] as i32, sig as i32, ptr, 0) })
}
