//! /proc/self/mem as the guest sees it: its file position is a guest address, and reads and
//! writes reach the guest's mapped pages only.
//!
//! The guest's descriptor holds an empty memfd named `mimic-proc:mem` (so dup, fork and
//! close need no bookkeeping, and lseek keeps the position in the open file). read, write
//! and their p/v forms on it come here. Linux lets a process read and write its own pages
//! whatever their protections (as gdb does to plant breakpoints); the bytes go through
//! mimic's host /proc/self/mem at the reservation's base + the guest address, which does the
//! same, after every page was checked to be a mapped guest page, so nothing outside the
//! guest's mappings is ever reached. A write to executable pages invalidates translations.

use super::super::{Errno, SysResult};
use super::which;
use super::Task;
use crate::memory::{perm, GUEST_LIMIT, PAGE};
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once the process has opened a mem view: until then reads and writes skip the check.
static OPENED: AtomicBool = AtomicBool::new(false);

/// The largest transfer of one call; like any file, a shorter count is a valid answer.
const MAX_IO: u64 = 16 << 20;

/// A new guest memory view with the guest's access mode.
pub fn open(flags: u64) -> Result<i32, Errno> {
    let m = super::memfd("mem", &[])?;
    OPENED.store(true, Ordering::Relaxed);
    let r = super::reopen(format!("/proc/self/fd/{m}").as_bytes(), flags);
    super::close(m);
    r
}

fn is_mem(fd: u64) -> bool {
    OPENED.load(Ordering::Relaxed)
        && i32::try_from(fd).is_ok_and(|fd| {
            which::fd_name(fd).is_some_and(|n| which::memfd_entry(&n) == Some("mem"))
        })
}

/// read, pread64, readv on a mem view (`at` for the p forms; `iov` the guest iovec array for
/// the v forms): None when `fd` is not one.
pub fn read_hook(p: &Task, fd: u64, buf: u64, len: u64, at: Option<u64>) -> Option<SysResult> {
    is_mem(fd).then(|| transfer(p, fd, &[(buf, len)], false, at))
}

/// write, pwrite64: as [`read_hook`].
pub fn write_hook(p: &Task, fd: u64, buf: u64, len: u64, at: Option<u64>) -> Option<SysResult> {
    is_mem(fd).then(|| transfer(p, fd, &[(buf, len)], true, at))
}

/// readv / writev on a mem view: None when `fd` is not one.
pub fn vec_hook(p: &Task, fd: u64, iov: u64, count: u64, write: bool) -> Option<SysResult> {
    if !is_mem(fd) {
        return None;
    }
    Some(iovec(p, iov, count).and_then(|bufs| transfer(p, fd, &bufs, write, None)))
}

fn iovec(p: &Task, addr: u64, count: u64) -> Result<Vec<(u64, u64)>, Errno> {
    if count > 1024 {
        return Err(Errno::EINVAL);
    }
    let raw = p.get(addr, count * 16)?;
    Ok(raw
        .chunks_exact(16)
        .map(|c| {
            let word = |b: &[u8]| u64::from_le_bytes(b.try_into().expect("8 bytes"));
            (word(&c[..8]), word(&c[8..]))
        })
        .collect())
}

fn transfer(p: &Task, fd: u64, bufs: &[(u64, u64)], write: bool, at: Option<u64>) -> SysResult {
    let fd = fd as i32;
    // SAFETY: fcntl and lseek on a descriptor; no memory is passed.
    let mode = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if mode < 0 {
        return Err(Errno::last());
    }
    let wanted = if write {
        libc::O_RDONLY
    } else {
        libc::O_WRONLY
    };
    if mode & libc::O_ACCMODE == wanted {
        return Err(Errno(libc::EBADF));
    }
    let mut pos = match at {
        Some(a) => a,
        // SAFETY: as above.
        None => match unsafe { libc::lseek(fd, 0, libc::SEEK_CUR) } {
            r if r < 0 => return Err(Errno::last()),
            r => r as u64,
        },
    };
    let (mut done, mut total) = (0u64, 0u64);
    'bufs: for &(buf, len) in bufs {
        let mut off = 0;
        while off < len && done < MAX_IO {
            let chunk = (len - off).min(MAX_IO - done).min(1 << 20);
            total += chunk;
            let n = if write {
                let data = p.get(buf + off, chunk)?;
                poke(p, pos, &data)
            } else {
                let data = peek(p, pos, chunk);
                p.put(buf + off, &data)?;
                data.len() as u64
            };
            (pos, done, off) = (pos.wrapping_add(n), done + n, off + n);
            if n < chunk {
                break 'bufs;
            }
        }
    }
    if done == 0 && total > 0 {
        return Err(Errno(libc::EIO));
    }
    if at.is_none() {
        // SAFETY: as above.
        unsafe { libc::lseek(fd, pos as i64, libc::SEEK_SET) };
    }
    Ok(done)
}

/// How many bytes from guest `addr` (up to `len`) lie in mapped pages, whatever their
/// protections; and whether any of those pages is executable.
fn mapped_run(space: &crate::memory::AddressSpace, addr: u64, len: u64) -> (u64, bool) {
    let (mut n, mut exec) = (0, false);
    while n < len {
        let at = addr.wrapping_add(n);
        if at >= GUEST_LIMIT {
            break;
        }
        let bits = space.perm_at(at);
        if bits & perm::MAPPED == 0 {
            break;
        }
        exec |= bits & perm::X != 0;
        n += (PAGE - at % PAGE).min(len - n);
    }
    (n, exec)
}

/// mimic's own /proc/self/mem, through which the guest's pages are reached with the
/// kernel's FOLL_FORCE semantics (read-only and no-access pages included).
fn host_mem(flags: i32) -> Result<i32, Errno> {
    // SAFETY: opening a path; the descriptor is closed by the caller.
    let fd = unsafe { libc::open(c"/proc/self/mem".as_ptr(), flags | libc::O_CLOEXEC) };
    if fd < 0 {
        Err(Errno::last())
    } else {
        Ok(fd)
    }
}

/// The guest bytes at `addr..addr+len`, stopping at the first unmapped page.
fn peek(p: &Task, addr: u64, len: u64) -> Vec<u8> {
    let space = p.shared.space();
    let (n, _) = mapped_run(&space, addr, len);
    let mut out = vec![0u8; n as usize];
    if n == 0 {
        return out;
    }
    let Ok(fd) = host_mem(libc::O_RDONLY) else {
        return Vec::new();
    };
    let host = space.layout().base as u64 + addr;
    // SAFETY: `out` has `n` bytes; the kernel reads the host range base+addr..base+addr+n,
    // which lies inside the guest reservation (checked mapped, below GUEST_LIMIT), into it.
    let r = unsafe { libc::pread(fd, out.as_mut_ptr().cast(), n as usize, host as i64) };
    super::close(fd);
    out.truncate(r.max(0) as usize);
    out
}

/// Writes `data` at guest `addr`, stopping at the first unmapped page; returns the count.
fn poke(p: &Task, addr: u64, data: &[u8]) -> u64 {
    let space = p.shared.space();
    let (n, exec) = mapped_run(&space, addr, data.len() as u64);
    if n == 0 {
        return 0;
    }
    let Ok(fd) = host_mem(libc::O_WRONLY) else {
        return 0;
    };
    let host = space.layout().base as u64 + addr;
    // SAFETY: the kernel writes the first `n` bytes of `data` to base+addr..base+addr+n,
    // inside the guest reservation (every page checked mapped, below GUEST_LIMIT).
    let r = unsafe { libc::pwrite(fd, data.as_ptr().cast(), n as usize, host as i64) };
    super::close(fd);
    if exec && r > 0 {
        // The host writes through its own page protections: the change is reported as a
        // change of mappings is, and every vCPU syncs its code.
        space.code_written(addr, addr + r as u64);
    }
    r.max(0) as u64
}
