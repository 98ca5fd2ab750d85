//! sendmsg, recvmsg, sendmmsg, recvmmsg: the guest's `struct msghdr` read by its declaration,
//! rebuilt as a host msghdr over copies of the name and control data and over the guest's
//! own data buffers (each checked, so a bad pointer is EFAULT before the host call).
//!
//! Control messages cross as bytes: `struct cmsghdr` and the payloads Linux defines for
//! AF_UNIX (SCM_RIGHTS' descriptors, which are the same numbers on the host, and
//! SCM_CREDENTIALS' `struct ucred`, whose pid is the host's) have the same layout on riscv64
//! and x86-64, which abi::host's tests hold.

use super::super::fs::iovecs;
use super::{addr_in, sent, sys, timed, Io, SOCKADDR_MAX};
use super::{Errno, Outcome, SysResult, Task};
use crate::abi::layout::Field;
use crate::abi::net::{Mmsghdr, Msghdr};
use crate::abi::time::Timespec;

/// UIO_MAXIOV: more iovecs than this is EMSGSIZE.
const MAX_IOV: u64 = 1024;
/// The most control data copied: the kernel's own cap (net.core.optmem_max) is near this,
/// and a larger msg_controllen from a guest only bounds what it may receive.
const MAX_CONTROL: u64 = 1 << 16;
/// The most messages one sendmmsg / recvmmsg moves (UIO_MAXIOV, as the kernel caps vlen).
const MAX_VLEN: u64 = 1024;

/// One guest message as the host sees it: the host msghdr points into the buffers it owns.
struct HostMsg {
    guest: Msghdr,
    name: Vec<u8>,
    control: Vec<u8>,
    iov: Vec<libc::iovec>,
}

impl HostMsg {
    /// The message `m` to send (`recv`: false) or to receive into.
    fn new(p: &Task, m: Msghdr, recv: bool) -> Result<HostMsg, Errno> {
        if m.msg_iovlen > MAX_IOV {
            return Err(Errno(libc::EMSGSIZE));
        }
        let name = match (m.msg_name, recv) {
            (0, _) => Vec::new(),
            (_, true) => vec![0; SOCKADDR_MAX],
            (addr, false) => addr_in(p, addr, m.msg_namelen as u64)?,
        };
        let control = match (m.msg_control, recv) {
            (0, _) => Vec::new(),
            (_, true) => vec![0; m.msg_controllen.min(MAX_CONTROL) as usize],
            (addr, false) if m.msg_controllen > MAX_CONTROL => {
                p.rd(addr, 1)?;
                return Err(Errno(libc::ENOBUFS));
            }
            (addr, false) => p.get(addr, m.msg_controllen)?,
        };
        Ok(HostMsg {
            guest: m,
            name,
            control,
            iov: iovecs(p, m.msg_iov, m.msg_iovlen, recv)?,
        })
    }

    /// The host msghdr; valid while `self` is neither moved nor changed.
    fn host(&mut self) -> libc::msghdr {
        // SAFETY: msghdr is plain C data (pointers and integers), valid when all zero.
        let mut h: libc::msghdr = unsafe { std::mem::zeroed() };
        if !self.name.is_empty() {
            h.msg_name = self.name.as_mut_ptr().cast();
            h.msg_namelen = self.name.len() as u32;
        }
        if !self.control.is_empty() {
            h.msg_control = self.control.as_mut_ptr().cast();
            h.msg_controllen = self.control.len();
        }
        h.msg_iov = self.iov.as_mut_ptr();
        h.msg_iovlen = self.iov.len();
        h
    }

    /// After a receive into `h`: the name and control data the host wrote go to the guest's
    /// buffers (no more than they hold); returns the guest's msghdr with the lengths and
    /// flags the receive set.
    fn received(&self, p: &Task, h: &libc::msghdr) -> Result<Msghdr, Errno> {
        let mut g = self.guest;
        if g.msg_name != 0 {
            let n = (h.msg_namelen as usize).min(g.msg_namelen as usize);
            p.put(g.msg_name, &self.name[..n.min(SOCKADDR_MAX)])?;
            g.msg_namelen = h.msg_namelen;
        }
        let c = h.msg_controllen.min(self.control.len());
        if c > 0 {
            p.put(g.msg_control, &self.control[..c])?;
        }
        g.msg_controllen = c as u64;
        g.msg_flags = h.msg_flags;
        Ok(g)
    }
}

pub fn sendmsg(p: &mut Task, a: [u64; 6]) -> Result<Outcome, Errno> {
    let extra = match timed(p, a[0], libc::POLLOUT, a[2]) {
        Io::Park(w) => return Ok(Outcome::Park(w)),
        Io::Call(extra) => extra,
    };
    let mut m = HostMsg::new(p, p.load(a[1])?, false)?;
    let h = m.host();
    let r = sys(
        libc::SYS_sendmsg,
        [a[0], &h as *const _ as u64, a[2] | extra, 0, 0, 0],
    );
    Ok(Outcome::Done(sent(p, r, a[2])))
}

pub fn recvmsg(p: &mut Task, a: [u64; 6]) -> Result<Outcome, Errno> {
    let extra = match timed(p, a[0], libc::POLLIN, a[2]) {
        Io::Park(w) => return Ok(Outcome::Park(w)),
        Io::Call(extra) => extra,
    };
    let mut m = HostMsg::new(p, p.load(a[1])?, true)?;
    let mut h = m.host();
    let n = sys(
        libc::SYS_recvmsg,
        [a[0], &mut h as *mut _ as u64, a[2] | extra, 0, 0, 0],
    )?;
    p.store(a[1], &m.received(p, &h)?)?;
    Outcome::value(n)
}

/// The guest's mmsghdr array at `addr`, `vlen` of them (capped as the kernel caps it).
fn messages(p: &Task, addr: u64, vlen: u64, recv: bool) -> Result<Vec<HostMsg>, Errno> {
    p.load_array::<Mmsghdr>(addr, vlen.min(MAX_VLEN))?
        .into_iter()
        .map(|m| HostMsg::new(p, m.msg_hdr, recv))
        .collect()
}

fn host_vec(ms: &mut [HostMsg]) -> Vec<libc::mmsghdr> {
    ms.iter_mut()
        .map(|m| libc::mmsghdr {
            msg_hdr: m.host(),
            msg_len: 0,
        })
        .collect()
}

/// Each moved message's msg_len (and for a receive its msghdr) back to the guest.
fn moved(
    p: &Task,
    addr: u64,
    ms: &[HostMsg],
    hs: &[libc::mmsghdr],
    n: u64,
    recv: bool,
) -> SysResult {
    for (i, (m, h)) in ms.iter().zip(hs).take(n as usize).enumerate() {
        let msg_hdr = if recv {
            m.received(p, &h.msg_hdr)?
        } else {
            m.guest
        };
        let at = addr + (i * Mmsghdr::SIZE) as u64;
        p.store(
            at,
            &Mmsghdr {
                msg_hdr,
                msg_len: h.msg_len,
            },
        )?;
    }
    Ok(n)
}

pub fn sendmmsg(p: &mut Task, a: [u64; 6]) -> Result<Outcome, Errno> {
    let extra = match timed(p, a[0], libc::POLLOUT, a[3]) {
        Io::Park(w) => return Ok(Outcome::Park(w)),
        Io::Call(extra) => extra,
    };
    let mut ms = messages(p, a[1], a[2], false)?;
    let mut hs = host_vec(&mut ms);
    let r = sys(
        libc::SYS_sendmmsg,
        [
            a[0],
            hs.as_mut_ptr() as u64,
            hs.len() as u64,
            a[3] | extra,
            0,
            0,
        ],
    );
    let r = sent(p, r, a[3])?;
    Ok(Outcome::Done(moved(p, a[1], &ms, &hs, r, false)))
}

pub fn recvmmsg(p: &mut Task, a: [u64; 6]) -> Result<Outcome, Errno> {
    let extra = match timed(p, a[0], libc::POLLIN, a[3]) {
        Io::Park(w) => return Ok(Outcome::Park(w)),
        Io::Call(extra) => extra,
    };
    let mut ms = messages(p, a[1], a[2], true)?;
    let mut timeout = p.load_opt::<Timespec>(a[4])?.map(|t| libc::timespec {
        tv_sec: t.tv_sec,
        tv_nsec: t.tv_nsec,
    });
    let tp = timeout
        .as_mut()
        .map_or(0, |t| t as *mut libc::timespec as u64);
    let mut hs = host_vec(&mut ms);
    let n = sys(
        libc::SYS_recvmmsg,
        [
            a[0],
            hs.as_mut_ptr() as u64,
            hs.len() as u64,
            a[3] | extra,
            tp,
            0,
        ],
    )?;
    if let Some(t) = timeout {
        p.store(
            a[4],
            &Timespec {
                tv_sec: t.tv_sec,
                tv_nsec: t.tv_nsec,
            },
        )?;
    }
    Ok(Outcome::Done(moved(p, a[1], &ms, &hs, n, true)))
}
