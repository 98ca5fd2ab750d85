//! setsockopt and getsockopt. Each option mimic passes is declared with what its value is:
//! an int, or one of the declared structures (converted by its layout), or bytes whose
//! meaning is the same on both sides (a device or algorithm name). Any other option is
//! ENOPROTOOPT rather than a guess at its value's layout.
//!
//! The level and option numbers are riscv64's (asm-generic/socket.h, netinet/in.h,
//! netinet/tcp.h), which x86-64 shares, so they reach the host unchanged.

use super::{sys, Errno, SysResult, Task};
use crate::abi::layout::{Field, Layout};
use crate::abi::net::{Linger, Ucred};
use crate::abi::time::Timeval;

/// What an option's value is.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Value {
    /// A C `int` (some IP options also take a single byte: the host sees the guest's length).
    Int,
    Linger,
    Timeval,
    /// Read only.
    Ucred,
    /// Up to this many bytes with no layout (a NUL-terminated name).
    Bytes(usize),
}

fn value(level: i32, name: i32) -> Option<Value> {
    use Value::*;
    Some(match (level, name) {
        (libc::SOL_SOCKET, libc::SO_LINGER) => Linger,
        (libc::SOL_SOCKET, libc::SO_RCVTIMEO | libc::SO_SNDTIMEO) => Timeval,
        (libc::SOL_SOCKET, libc::SO_PEERCRED) => Ucred,
        (libc::SOL_SOCKET, libc::SO_BINDTODEVICE) => Bytes(libc::IFNAMSIZ),
        (
            libc::SOL_SOCKET,
            libc::SO_DEBUG
            | libc::SO_REUSEADDR
            | libc::SO_TYPE
            | libc::SO_ERROR
            | libc::SO_DONTROUTE
            | libc::SO_BROADCAST
            | libc::SO_SNDBUF
            | libc::SO_RCVBUF
            | libc::SO_SNDBUFFORCE
            | libc::SO_RCVBUFFORCE
            | libc::SO_KEEPALIVE
            | libc::SO_OOBINLINE
            | libc::SO_NO_CHECK
            | libc::SO_PRIORITY
            | libc::SO_REUSEPORT
            | libc::SO_PASSCRED
            | libc::SO_RCVLOWAT
            | libc::SO_SNDLOWAT
            | libc::SO_TIMESTAMP
            | libc::SO_TIMESTAMPNS
            | libc::SO_ACCEPTCONN
            | libc::SO_MARK
            | libc::SO_PROTOCOL
            | libc::SO_DOMAIN
            | libc::SO_RXQ_OVFL
            | libc::SO_BUSY_POLL,
        ) => Int,
        (libc::IPPROTO_TCP, libc::TCP_CONGESTION) => Bytes(16),
        (
            libc::IPPROTO_TCP,
            libc::TCP_NODELAY
            | libc::TCP_MAXSEG
            | libc::TCP_CORK
            | libc::TCP_KEEPIDLE
            | libc::TCP_KEEPINTVL
            | libc::TCP_KEEPCNT
            | libc::TCP_SYNCNT
            | libc::TCP_LINGER2
            | libc::TCP_DEFER_ACCEPT
            | libc::TCP_WINDOW_CLAMP
            | libc::TCP_QUICKACK
            | libc::TCP_USER_TIMEOUT
            | libc::TCP_FASTOPEN,
        ) => Int,
        (
            libc::IPPROTO_IP,
            libc::IP_TOS
            | libc::IP_TTL
            | libc::IP_HDRINCL
            | libc::IP_PKTINFO
            | libc::IP_MTU_DISCOVER
            | libc::IP_RECVERR
            | libc::IP_RECVTTL
            | libc::IP_RECVTOS
            | libc::IP_MTU
            | libc::IP_FREEBIND
            | libc::IP_MULTICAST_TTL
            | libc::IP_MULTICAST_LOOP,
        ) => Int,
        (
            libc::IPPROTO_IPV6,
            libc::IPV6_UNICAST_HOPS
            | libc::IPV6_MULTICAST_HOPS
            | libc::IPV6_MULTICAST_LOOP
            | libc::IPV6_MTU_DISCOVER
            | libc::IPV6_RECVERR
            | libc::IPV6_V6ONLY
            | libc::IPV6_RECVPKTINFO
            | libc::IPV6_TCLASS,
        ) => Int,
        _ => return None,
    })
}

impl Value {
    /// The most bytes of the value the host call reads or writes.
    fn size(self) -> usize {
        match self {
            Value::Int => 4,
            Value::Linger => Linger::SIZE,
            Value::Timeval => Timeval::SIZE,
            Value::Ucred => Ucred::SIZE,
            Value::Bytes(n) => n,
        }
    }

    /// `len` guest bytes of the value as the host type's bytes.
    fn to_host(self, p: &Task, addr: u64, len: usize) -> Result<Vec<u8>, Errno> {
        let bytes = p.get(addr, len.min(self.size()) as u64)?;
        Ok(match self {
            Value::Linger => host_bytes::<Linger, libc::linger>(&bytes, |v| libc::linger {
                l_onoff: v.l_onoff,
                l_linger: v.l_linger,
            }),
            Value::Timeval => host_bytes::<Timeval, libc::timeval>(&bytes, |v| libc::timeval {
                tv_sec: v.tv_sec,
                tv_usec: v.tv_usec,
            }),
            _ => bytes,
        })
    }

    /// The host's bytes of the value as the guest's.
    fn to_guest(self, host: &[u8]) -> Vec<u8> {
        fn guest<T: Layout, H: Copy>(host: &[u8], f: impl Fn(&H) -> T) -> Vec<u8> {
            if host.len() < std::mem::size_of::<H>() {
                return host.to_vec();
            }
            // SAFETY: `host` holds at least one H, which is plain C data (any bytes are a
            // valid value); read_unaligned needs no alignment.
            let h: H = unsafe { std::ptr::read_unaligned(host.as_ptr().cast()) };
            f(&h).to_bytes()
        }
        match self {
            Value::Linger => guest(host, |h: &libc::linger| Linger {
                l_onoff: h.l_onoff,
                l_linger: h.l_linger,
            }),
            Value::Timeval => guest(host, |h: &libc::timeval| Timeval {
                tv_sec: h.tv_sec,
                tv_usec: h.tv_usec,
            }),
            Value::Ucred => guest(host, |h: &libc::ucred| Ucred {
                pid: h.pid,
                uid: h.uid,
                gid: h.gid,
            }),
            _ => host.to_vec(),
        }
    }
}

/// A whole guest structure as the host type's bytes; a short one stays as it is (the host
/// call then refuses it as Linux would, EINVAL).
fn host_bytes<T: Layout, H: Copy>(bytes: &[u8], f: impl Fn(T) -> H) -> Vec<u8> {
    let Some(v) = T::from_bytes(bytes) else {
        return bytes.to_vec();
    };
    let h = f(v);
    // SAFETY: `h` is plain C data; the slice covers exactly its bytes while it lives.
    unsafe { std::slice::from_raw_parts((&h as *const H).cast::<u8>(), std::mem::size_of::<H>()) }
        .to_vec()
}

pub fn setsockopt(p: &mut Task, a: [u64; 6]) -> SysResult {
    let (level, name, len) = (a[1] as i32, a[2] as i32, a[4] as i32);
    let v = value(level, name).ok_or(Errno(libc::ENOPROTOOPT))?;
    if len < 0 || v == Value::Ucred {
        return Err(Errno::EINVAL);
    }
    let bytes = v.to_host(p, a[3], len as usize)?;
    sys(
        libc::SYS_setsockopt,
        [
            a[0],
            a[1],
            a[2],
            bytes.as_ptr() as u64,
            bytes.len() as u64,
            0,
        ],
    )
}

pub fn getsockopt(p: &mut Task, a: [u64; 6]) -> SysResult {
    let (level, name) = (a[1] as i32, a[2] as i32);
    let v = value(level, name).ok_or(Errno(libc::ENOPROTOOPT))?;
    let room = i32::from_le_bytes(p.get_array::<4>(a[4])?);
    if room < 0 {
        return Err(Errno::EINVAL);
    }
    let mut buf = vec![0u8; v.size()];
    let mut len = (room as usize).min(buf.len()) as u32;
    sys(
        libc::SYS_getsockopt,
        [
            a[0],
            a[1],
            a[2],
            buf.as_mut_ptr() as u64,
            &mut len as *mut u32 as u64,
            0,
        ],
    )?;
    let n = (len as usize).min(buf.len());
    let mut out = v.to_guest(&buf);
    out.truncate(n);
    p.put(a[3], &out)?;
    p.put(a[4], &(n as u32).to_le_bytes())?;
    Ok(0)
}
