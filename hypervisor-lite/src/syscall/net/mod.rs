//! Sockets: AF_UNIX, AF_INET, AF_INET6 and AF_NETLINK, as host sockets (guest descriptors are
//! host descriptors).
//!
//! ```text
//!   guest sockaddr ──copy in (≤ 128 bytes)──▶ host call ──▶ host sockaddr ──copy out──▶ guest
//!   guest msghdr ──Msghdr, Iovec──▶ host msghdr (buffers checked) ──▶ sendmsg / recvmsg (msg.rs)
//!   guest option ──by its declared layout (opt.rs)──▶ setsockopt / getsockopt
//! ```
//!
//! The sockaddr structures are the same bytes on riscv64 and x86-64 (abi::host's tests hold
//! every one to the host's), so an address is copied, never converted. In deterministic mode
//! a call that would block on a blocking socket parks as a [`Wait::Io`] on the socket.

mod msg;
mod opt;
pub(super) mod show;

pub use msg::{recvmmsg, recvmsg, sendmmsg, sendmsg};
pub use opt::{getsockopt, setsockopt};

use super::fs::{host, sigpipe};
use super::thread::{blocking_fd, park_until_ready};
use super::{Errno, Outcome, SysResult, Task, Wait};

/// `sizeof(struct sockaddr_storage)`: the longest address Linux takes (EINVAL beyond).
const SOCKADDR_MAX: usize = 128;
const MSG_DONTWAIT: u64 = 0x40;
const MSG_NOSIGNAL: u64 = 0x4000;

fn sys(nr: libc::c_long, a: [u64; 6]) -> SysResult {
    // SAFETY: the callers pass scalars and host addresses of buffers they own or of guest
    // buffers checked for the size the call reads or writes.
    host(unsafe { libc::syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]) })
}

/// A guest address argument copied in: `len` bytes at `addr` (EINVAL past 128 or negative,
/// as move_addr_to_kernel; EFAULT where unreadable).
fn addr_in(p: &Task, addr: u64, len: u64) -> Result<Vec<u8>, Errno> {
    if len as i32 as usize > SOCKADDR_MAX || (len as i32) < 0 {
        return Err(Errno::EINVAL);
    }
    p.get(addr, len as u32 as u64)
}

/// A call that writes an address and its length (`accept`, `getsockname`, `recvfrom`): `call`
/// gets host pointers to a `sockaddr_storage` and its length (NULL, NULL when `addr` is),
/// and on success the guest gets at most its `*lenp` bytes of the address and the full
/// length, as the kernel's move_addr_to_user does.
fn addr_out(p: &Task, addr: u64, lenp: u64, call: impl FnOnce(u64, u64) -> SysResult) -> SysResult {
    if addr == 0 {
        return call(0, 0);
    }
    let room = i32::from_le_bytes(p.get_array::<4>(lenp)?);
    if room < 0 {
        return Err(Errno::EINVAL);
    }
    // Checked before the call, so a bad pointer does not cost an accepted connection.
    p.wr(lenp, 4)?;
    p.wr(addr, room as u64)?;
    let mut buf = [0u8; SOCKADDR_MAX];
    let mut len = SOCKADDR_MAX as u32;
    let r = call(buf.as_mut_ptr() as u64, &mut len as *mut u32 as u64)?;
    let n = (len as usize).min(room as usize).min(SOCKADDR_MAX);
    p.put(addr, &buf[..n])?;
    p.put(lenp, &len.to_le_bytes())?;
    Ok(r)
}

/// Deterministic mode: the wait for a call on a blocking socket that is not ready for
/// `events` (none where the call's flags ask for no wait).
fn would_block(p: &Task, fd: u64, events: i16, flags: u64) -> Option<Wait> {
    if flags & MSG_DONTWAIT != 0 || !blocking_fd(p, fd) {
        return None;
    }
    park_until_ready(p, &[(fd as i32, events)], None)
}

/// What a send or receive does first in deterministic mode.
enum Io {
    /// Park on the socket.
    Park(Wait),
    /// Make the host call, with these MSG_* flags added.
    Call(u64),
}

/// Like [`would_block`] for the calls SO_RCVTIMEO / SO_SNDTIMEO bound: the wait ends at the
/// socket's timeout, and the call then runs once more without waiting (EAGAIN if nothing
/// came, as the timed-out call gives).
fn timed(p: &mut Task, fd: u64, events: i16, flags: u64) -> Io {
    if std::mem::take(&mut p.poll_expired) {
        return Io::Call(MSG_DONTWAIT);
    }
    if flags & MSG_DONTWAIT != 0 || !blocking_fd(p, fd) {
        return Io::Call(0);
    }
    let name = if events == libc::POLLIN {
        libc::SO_RCVTIMEO
    } else {
        libc::SO_SNDTIMEO
    };
    let mut tv = libc::timeval {
        tv_sec: 0,
        tv_usec: 0,
    };
    let mut len = std::mem::size_of::<libc::timeval>() as u32;
    // SAFETY: getsockopt writes at most `len` bytes into `tv`, a timeval of that size.
    let r = unsafe {
        libc::getsockopt(
            fd as i32,
            libc::SOL_SOCKET,
            name,
            (&mut tv as *mut libc::timeval).cast(),
            &mut len,
        )
    };
    let ns = (tv.tv_sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(tv.tv_usec as u64 * 1000);
    let deadline = (r == 0 && ns > 0).then(|| super::thread::deadline(p, ns));
    match park_until_ready(p, &[(fd as i32, events)], deadline) {
        Some(w) => Io::Park(w),
        None => Io::Call(0),
    }
}

/// A send that found the peer gone raises SIGPIPE unless the call said MSG_NOSIGNAL.
fn sent(p: &Task, r: SysResult, flags: u64) -> SysResult {
    if flags & MSG_NOSIGNAL != 0 {
        r
    } else {
        sigpipe(p, r)
    }
}

pub fn socket(_: &mut Task, a: [u64; 6]) -> SysResult {
    sys(libc::SYS_socket, [a[0], a[1], a[2], 0, 0, 0])
}

pub fn socketpair(p: &mut Task, a: [u64; 6]) -> SysResult {
    let mut fds = [0i32; 2];
    sys(
        libc::SYS_socketpair,
        [a[0], a[1], a[2], fds.as_mut_ptr() as u64, 0, 0],
    )?;
    let bytes = [fds[0].to_le_bytes(), fds[1].to_le_bytes()].concat();
    if let Err(e) = p.put(a[3], &bytes) {
        // Linux hands out the descriptors only once they are copied out.
        for fd in fds {
            // SAFETY: closes the two descriptors just made, which nothing else holds yet.
            unsafe { libc::close(fd) };
        }
        return Err(e);
    }
    Ok(0)
}

pub fn bind(p: &mut Task, a: [u64; 6]) -> SysResult {
    let sa = addr_in(p, a[1], a[2])?;
    sys(
        libc::SYS_bind,
        [a[0], sa.as_ptr() as u64, sa.len() as u64, 0, 0, 0],
    )
}

pub fn listen(_: &mut Task, a: [u64; 6]) -> SysResult {
    sys(libc::SYS_listen, [a[0], a[1], 0, 0, 0, 0])
}

pub fn accept(p: &mut Task, a: [u64; 6]) -> Result<Outcome, Errno> {
    accept4(p, [a[0], a[1], a[2], 0, 0, 0])
}

pub fn accept4(p: &mut Task, a: [u64; 6]) -> Result<Outcome, Errno> {
    if let Some(w) = would_block(p, a[0], libc::POLLIN, 0) {
        return Ok(Outcome::Park(w));
    }
    Ok(Outcome::Done(addr_out(p, a[1], a[2], |sa, len| {
        sys(libc::SYS_accept4, [a[0], sa, len, a[3], 0, 0])
    })))
}

pub fn connect(p: &mut Task, a: [u64; 6]) -> Result<Outcome, Errno> {
    let sa = addr_in(p, a[1], a[2])?;
    let call = || {
        sys(
            libc::SYS_connect,
            [a[0], sa.as_ptr() as u64, sa.len() as u64, 0, 0, 0],
        )
    };
    if !blocking_fd(p, a[0]) {
        return Ok(Outcome::Done(call()));
    }
    // Deterministic mode: the connect runs non-blocking; one that has to wait parks until the
    // socket is writable and then runs again, which completes it (0, or the error the
    // attempt ended with) as the blocking call would have.
    let fd = a[0] as i32;
    // SAFETY: F_GETFL and F_SETFL read and set a descriptor's flags and touch no memory.
    let r = unsafe {
        let fl = libc::fcntl(fd, libc::F_GETFL);
        libc::fcntl(fd, libc::F_SETFL, fl | libc::O_NONBLOCK);
        let r = call();
        libc::fcntl(fd, libc::F_SETFL, fl);
        r
    };
    match r {
        Err(Errno(libc::EINPROGRESS | libc::EALREADY | libc::EAGAIN)) => {
            Ok(Outcome::Park(Wait::Io {
                fds: vec![(fd, libc::POLLOUT)],
                deadline: None,
            }))
        }
        r => Ok(Outcome::Done(r)),
    }
}

pub fn getsockname(p: &mut Task, a: [u64; 6]) -> SysResult {
    addr_out(p, a[1], a[2], |sa, len| {
        sys(libc::SYS_getsockname, [a[0], sa, len, 0, 0, 0])
    })
}

pub fn getpeername(p: &mut Task, a: [u64; 6]) -> SysResult {
    addr_out(p, a[1], a[2], |sa, len| {
        sys(libc::SYS_getpeername, [a[0], sa, len, 0, 0, 0])
    })
}

pub fn sendto(p: &mut Task, a: [u64; 6]) -> Result<Outcome, Errno> {
    let extra = match timed(p, a[0], libc::POLLOUT, a[3]) {
        Io::Park(w) => return Ok(Outcome::Park(w)),
        Io::Call(extra) => extra,
    };
    let buf = p.rd(a[1], a[2])?;
    let sa = match a[4] {
        0 => Vec::new(),
        addr => addr_in(p, addr, a[5])?,
    };
    let sa_ptr = if a[4] == 0 { 0 } else { sa.as_ptr() as u64 };
    let r = sys(
        libc::SYS_sendto,
        [a[0], buf, a[2], a[3] | extra, sa_ptr, sa.len() as u64],
    );
    Ok(Outcome::Done(sent(p, r, a[3])))
}

pub fn recvfrom(p: &mut Task, a: [u64; 6]) -> Result<Outcome, Errno> {
    let extra = match timed(p, a[0], libc::POLLIN, a[3]) {
        Io::Park(w) => return Ok(Outcome::Park(w)),
        Io::Call(extra) => extra,
    };
    let buf = p.wr(a[1], a[2])?;
    Ok(Outcome::Done(addr_out(p, a[4], a[5], |sa, len| {
        sys(libc::SYS_recvfrom, [a[0], buf, a[2], a[3] | extra, sa, len])
    })))
}

pub fn shutdown(_: &mut Task, a: [u64; 6]) -> SysResult {
    sys(libc::SYS_shutdown, [a[0], a[1], 0, 0, 0, 0])
}
