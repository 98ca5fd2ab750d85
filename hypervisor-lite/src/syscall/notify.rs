//! memfd_create and inotify: host objects behind host descriptors, so fork, dup, poll,
//! epoll and (in deterministic mode) a parked blocking read treat them as any other fd.
//! What crosses the boundary is a guest string (the memfd's name, the watched path) and,
//! from inotify's read, `struct inotify_event` records ([`crate::abi::file::InotifyEvent`]),
//! whose layout is the same on riscv64 and x86-64, so read passes them through.

use super::fs::host;
use super::Task;
use super::{Errno, SysResult};
use crate::memory::PAGE;

/// The longest memfd name Linux takes: NAME_MAX less the "memfd:" it puts in front.
const MFD_NAME_MAX_LEN: usize = 255 - 6;

/// memfd_create(name, flags). The flags (MFD_CLOEXEC, MFD_ALLOW_SEALING, …) are the same
/// bits on both architectures; the host checks them.
pub fn memfd_create(p: &mut Task, a: [u64; 6]) -> SysResult {
    let name = short_cstr(p, a[0], MFD_NAME_MAX_LEN)?.ok_or(Errno::EINVAL)?;
    // SAFETY: `name` is NUL-terminated and lives across the call.
    host(unsafe { libc::syscall(libc::SYS_memfd_create, name.as_ptr(), a[1]) })
}

/// The guest string at `addr` with its NUL if that comes within `max` bytes, `None` if not.
/// Like Linux's strnlen_user it reads no further than `max + 1` bytes, so an unreadable
/// byte past them does not turn a too-long name (EINVAL) into EFAULT.
fn short_cstr(p: &Task, addr: u64, max: usize) -> Result<Option<Vec<u8>>, Errno> {
    let mut out = Vec::new();
    let mut at = addr;
    while out.len() <= max {
        // Up to the next page boundary: a string may end just before a hole.
        let room = (PAGE - at % PAGE).min((max + 1 - out.len()) as u64);
        let chunk = p.get(at, room)?;
        if let Some(n) = chunk.iter().position(|&b| b == 0) {
            out.extend_from_slice(&chunk[..=n]);
            return Ok(Some(out));
        }
        out.extend_from_slice(&chunk);
        at = at.wrapping_add(room);
    }
    Ok(None)
}

/// inotify_init1(flags): IN_NONBLOCK and IN_CLOEXEC are O_NONBLOCK and O_CLOEXEC, the same
/// bits on both architectures.
pub fn inotify_init1(_: &mut Task, a: [u64; 6]) -> SysResult {
    // SAFETY: a scalar argument.
    host(unsafe { libc::syscall(libc::SYS_inotify_init1, a[0]) })
}

/// inotify_add_watch(fd, path, mask): the path resolves as openat's does (under the sysroot
/// first where something is there, as qemu-user's path() does for this call too).
pub fn inotify_add_watch(p: &mut Task, a: [u64; 6]) -> SysResult {
    let path = p.path(a[1])?;
    // SAFETY: `path` is NUL-terminated and lives across the call.
    host(unsafe { libc::syscall(libc::SYS_inotify_add_watch, a[0], path.as_ptr(), a[2]) })
}

pub fn inotify_rm_watch(_: &mut Task, a: [u64; 6]) -> SysResult {
    // SAFETY: scalar arguments.
    host(unsafe { libc::syscall(libc::SYS_inotify_rm_watch, a[0], a[1]) })
}
