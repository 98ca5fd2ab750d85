//! Files, directories, descriptors and terminals. Guest descriptors are host descriptors.

use super::Task;
use super::{Errno, Outcome, SysResult, Wait};
use crate::abi::file::{Flock, Iovec, Pollfd, Stat, Statfs, Statx};
use crate::abi::layout::Field;
use crate::abi::proc::{Termios, Winsize};
use crate::abi::time::Timespec;
use isa_a::Access;
use std::ffi::CString;

/// Turns a raw host syscall result into a guest result.
pub(super) fn host(r: i64) -> SysResult {
    if r < 0 {
        Err(Errno::last())
    } else {
        Ok(r as u64)
    }
}

fn sys(nr: libc::c_long, a: [u64; 6]) -> SysResult {
    // SAFETY: the callers pass scalars, host paths that outlive the call, or host addresses
    // of guest buffers checked for the size the call reads or writes.
    host(unsafe { libc::syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]) })
}

impl Task {
    /// The host address of a readable guest buffer.
    pub fn rd(&self, addr: u64, len: u64) -> Result<u64, Errno> {
        Ok(self
            .mem
            .check_range(addr, len, crate::memory::perm::R, Access::Read)? as u64)
    }

    /// The host address of a writable guest buffer.
    pub fn wr(&self, addr: u64, len: u64) -> Result<u64, Errno> {
        Ok(self.mem.host_out(addr, len)? as u64)
    }

    /// Like [`Task::rd`] / [`Task::wr`] but NULL stays NULL.
    pub fn rd_opt(&self, addr: u64, len: u64) -> Result<u64, Errno> {
        if addr == 0 {
            Ok(0)
        } else {
            self.rd(addr, len)
        }
    }

    pub fn wr_opt(&self, addr: u64, len: u64) -> Result<u64, Errno> {
        if addr == 0 {
            Ok(0)
        } else {
            self.wr(addr, len)
        }
    }

    /// Copies `len` guest bytes in (EFAULT where any is not readable).
    pub fn get(&self, addr: u64, len: u64) -> Result<Vec<u8>, Errno> {
        let mut out = vec![0; usize::try_from(len).map_err(|_| Errno::EFAULT)?];
        self.mem.read(addr, &mut out)?;
        Ok(out)
    }

    /// Copies `N` guest bytes in: the fixed-size structures and words the ABI passes.
    pub fn get_array<const N: usize>(&self, addr: u64) -> Result<[u8; N], Errno> {
        let mut out = [0u8; N];
        self.mem.read(addr, &mut out)?;
        Ok(out)
    }

    /// Copies `bytes` out to the guest.
    pub fn put(&self, addr: u64, bytes: &[u8]) -> Result<(), Errno> {
        Ok(self.mem.write(addr, bytes)?)
    }

    /// A guest path as a host path: absolute paths resolve under the sysroot first if
    /// something exists there, as qemu-user's `-L` does.
    pub fn path(&self, addr: u64) -> Result<CString, Errno> {
        let raw = self.mem.cstr(addr, libc::PATH_MAX as usize)?;
        if raw.len() >= libc::PATH_MAX as usize {
            return Err(Errno(libc::ENAMETOOLONG));
        }
        if let (Some(root), Some(b'/')) = (&self.shared.cfg.sysroot, raw.first()) {
            let mut full = root.as_os_str().as_encoded_bytes().to_vec();
            full.extend_from_slice(&raw);
            if let Ok(c) = CString::new(full) {
                // SAFETY: struct stat is plain data, for which all zeroes is a valid value.
                let mut st: libc::stat = unsafe { std::mem::zeroed() };
                // SAFETY: `c` is NUL-terminated; lstat writes one struct stat into `st`.
                if unsafe { libc::lstat(c.as_ptr(), &mut st) } == 0 {
                    return Ok(c);
                }
            }
        }
        CString::new(raw).map_err(|_| Errno::EINVAL)
    }

    /// A path for a syscall that may take NULL (utimensat).
    fn path_opt(&self, addr: u64) -> Result<Option<CString>, Errno> {
        if addr == 0 {
            Ok(None)
        } else {
            self.path(addr).map(Some)
        }
    }
}

/// Deterministic mode: the wait to park a read or write on, for a blocking fd not ready.
fn would_block(p: &Task, fd: u64, events: i16) -> Option<Wait> {
    if !super::thread::blocking_fd(p, fd) {
        return None;
    }
    super::thread::park_until_ready(p, &[(fd as i32, events)], None)
}

fn cptr(c: &CString) -> u64 {
    c.as_ptr() as u64
}

pub fn getcwd(p: &mut Task, a: [u64; 6]) -> SysResult {
    // Linux writes only the path, and caps the size at a page: a bigger size is not EFAULT.
    let size = a[1].min(PAGE_SIZE);
    sys(libc::SYS_getcwd, [p.wr(a[0], size)?, size, 0, 0, 0, 0])
}
const PAGE_SIZE: u64 = 4096;
pub fn dup(_: &mut Task, a: [u64; 6]) -> SysResult {
    sys(libc::SYS_dup, a)
}
pub fn dup3(_: &mut Task, a: [u64; 6]) -> SysResult {
    sys(libc::SYS_dup3, a)
}

pub fn fcntl(p: &mut Task, a: [u64; 6]) -> SysResult {
    // struct flock is the same on riscv64 and x86-64 (abi::host's tests hold it to libc's).
    let flock = Flock::SIZE as u64;
    let arg = match a[1] as i32 {
        libc::F_GETLK | libc::F_OFD_GETLK => p.wr(a[2], flock)?,
        libc::F_SETLK | libc::F_SETLKW | libc::F_OFD_SETLK | libc::F_OFD_SETLKW => {
            p.rd(a[2], flock)?
        }
        libc::F_DUPFD
        | libc::F_DUPFD_CLOEXEC
        | libc::F_GETFD
        | libc::F_SETFD
        | libc::F_GETFL
        | libc::F_SETFL
        | libc::F_GETPIPE_SZ
        | libc::F_SETPIPE_SZ
        | libc::F_ADD_SEALS
        | libc::F_GET_SEALS => a[2],
        _ => return Err(Errno::EINVAL),
    };
    sys(libc::SYS_fcntl, [a[0], a[1], arg, 0, 0, 0])
}

/// ioctl request numbers (asm-generic/ioctls.h; the same values on x86-64).
mod ioc {
    pub const TCGETS: u64 = 0x5401;
    pub const TCSETS: u64 = 0x5402;
    pub const TCSETSW: u64 = 0x5403;
    pub const TCSETSF: u64 = 0x5404;
    pub const TIOCGPGRP: u64 = 0x540f;
    pub const TIOCSPGRP: u64 = 0x5410;
    pub const TIOCGWINSZ: u64 = 0x5413;
    pub const TIOCSWINSZ: u64 = 0x5414;
    pub const FIONREAD: u64 = 0x541b;
    pub const FIONBIO: u64 = 0x5421;
    pub const FIONCLEX: u64 = 0x5450;
    pub const FIOCLEX: u64 = 0x5451;
    pub const TIOCSCTTY: u64 = 0x540e;
    pub const TIOCNOTTY: u64 = 0x5422;
    pub const TIOCGSID: u64 = 0x5429;
    pub const TIOCGPTN: u64 = 0x8004_5430;
    pub const TIOCSPTLCK: u64 = 0x4004_5431;
    pub const TIOCGPTPEER: u64 = 0x5441;
}
pub fn ioctl(p: &mut Task, a: [u64; 6]) -> SysResult {
    // The kernel's termios and winsize are the host kernel's too (see abi::host's tests).
    let (termios, winsize) = (Termios::SIZE as u64, Winsize::SIZE as u64);
    let arg = match a[1] & 0xffff_ffff {
        ioc::TCGETS => p.wr(a[2], termios)?,
        ioc::TCSETS | ioc::TCSETSW | ioc::TCSETSF => p.rd(a[2], termios)?,
        ioc::TIOCGWINSZ => p.wr(a[2], winsize)?,
        ioc::TIOCSWINSZ => p.rd(a[2], winsize)?,
        ioc::FIONREAD | ioc::TIOCGPGRP => p.wr(a[2], 4)?,
        ioc::FIONBIO | ioc::TIOCSPGRP => p.rd(a[2], 4)?,
        ioc::FIOCLEX | ioc::FIONCLEX | ioc::TIOCNOTTY => 0,
        ioc::TIOCGPTN | ioc::TIOCGSID => p.wr(a[2], 4)?,
        ioc::TIOCSPTLCK => p.rd(a[2], 4)?,
        // The argument is a value: TIOCSCTTY's "steal" flag, TIOCGPTPEER's open flags (the
        // same O_* bits on both sides).
        ioc::TIOCSCTTY | ioc::TIOCGPTPEER => a[2],
        req => {
            if crate::state::lock(&p.shared.reported).insert(1 << 32 | req) {
                crate::diag!("mimic: unsupported ioctl 0x{req:x}");
            }
            return Err(Errno::ENOTTY);
        }
    };
    sys(libc::SYS_ioctl, [a[0], a[1] & 0xffff_ffff, arg, 0, 0, 0])
}

pub fn mkdirat(p: &mut Task, a: [u64; 6]) -> SysResult {
    let path = p.path(a[1])?;
    sys(libc::SYS_mkdirat, [a[0], cptr(&path), a[2], 0, 0, 0])
}
pub fn unlinkat(p: &mut Task, a: [u64; 6]) -> SysResult {
    let path = p.path(a[1])?;
    sys(libc::SYS_unlinkat, [a[0], cptr(&path), a[2], 0, 0, 0])
}
pub fn symlinkat(p: &mut Task, a: [u64; 6]) -> SysResult {
    // The link's content is stored as the guest wrote it, not resolved.
    let target =
        CString::new(p.mem.cstr(a[0], libc::PATH_MAX as usize)?).map_err(|_| Errno::EINVAL)?;
    let path = p.path(a[2])?;
    sys(
        libc::SYS_symlinkat,
        [cptr(&target), a[1], cptr(&path), 0, 0, 0],
    )
}
pub fn linkat(p: &mut Task, a: [u64; 6]) -> SysResult {
    let old = p.path(a[1])?;
    let new = match p.path(a[3]) {
        Ok(new) => new,
        Err(e) => return Err(lookup_error(a[0], &old, a[4]).unwrap_or(e)),
    };
    sys(
        libc::SYS_linkat,
        [a[0], cptr(&old), a[2], cptr(&new), a[4], 0],
    )
}
/// Why Linux's linkat would fail looking up the existing path, which it does before it reads
/// the new one: that error wins over an unreadable new path.
fn lookup_error(dirfd: u64, old: &CString, flags: u64) -> Option<Errno> {
    const AT_SYMLINK_FOLLOW: u64 = 0x400;
    const AT_EMPTY_PATH: u64 = 0x1000;
    if flags & !(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH) != 0 {
        return Some(Errno::EINVAL);
    }
    let mut how = flags & AT_EMPTY_PATH;
    if flags & AT_SYMLINK_FOLLOW == 0 {
        how |= libc::AT_SYMLINK_NOFOLLOW as u64;
    }
    // SAFETY: struct stat is plain data, for which all zeroes is a valid value.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    let st_ptr = &mut st as *mut libc::stat as u64;
    sys(libc::SYS_newfstatat, [dirfd, cptr(old), st_ptr, how, 0, 0]).err()
}
pub fn renameat2(p: &mut Task, a: [u64; 6]) -> SysResult {
    let (old, new) = (p.path(a[1])?, p.path(a[3])?);
    sys(
        libc::SYS_renameat2,
        [a[0], cptr(&old), a[2], cptr(&new), a[4], 0],
    )
}
/// `struct statfs` is asm-generic's on both sides (see abi::host's tests).
const STATFS_SIZE: u64 = Statfs::SIZE as u64;
pub fn statfs(p: &mut Task, a: [u64; 6]) -> SysResult {
    let path = p.path(a[0])?;
    sys(
        libc::SYS_statfs,
        [cptr(&path), p.wr(a[1], STATFS_SIZE)?, 0, 0, 0, 0],
    )
}
pub fn fstatfs(p: &mut Task, a: [u64; 6]) -> SysResult {
    sys(
        libc::SYS_fstatfs,
        [a[0], p.wr(a[1], STATFS_SIZE)?, 0, 0, 0, 0],
    )
}
pub fn truncate(p: &mut Task, a: [u64; 6]) -> SysResult {
    let path = p.path(a[0])?;
    sys(libc::SYS_truncate, [cptr(&path), a[1], 0, 0, 0, 0])
}
pub fn ftruncate(_: &mut Task, a: [u64; 6]) -> SysResult {
    sys(libc::SYS_ftruncate, a)
}
pub fn faccessat(p: &mut Task, a: [u64; 6]) -> SysResult {
    faccessat2(p, [a[0], a[1], a[2], 0, 0, 0])
}
pub fn faccessat2(p: &mut Task, a: [u64; 6]) -> SysResult {
    let path = p.path(a[1])?;
    sys(libc::SYS_faccessat2, [a[0], cptr(&path), a[2], a[3], 0, 0])
}
pub fn chdir(p: &mut Task, a: [u64; 6]) -> SysResult {
    let path = p.path(a[0])?;
    sys(libc::SYS_chdir, [cptr(&path), 0, 0, 0, 0, 0])
}
pub fn fchdir(_: &mut Task, a: [u64; 6]) -> SysResult {
    sys(libc::SYS_fchdir, a)
}
pub fn fchmod(_: &mut Task, a: [u64; 6]) -> SysResult {
    sys(libc::SYS_fchmod, a)
}
pub fn fchmodat(p: &mut Task, a: [u64; 6]) -> SysResult {
    let path = p.path(a[1])?;
    sys(libc::SYS_fchmodat, [a[0], cptr(&path), a[2], 0, 0, 0])
}
pub fn openat(p: &mut Task, a: [u64; 6]) -> SysResult {
    // O_* flags are asm-generic's on riscv64 and the same bits on x86-64.
    let path = p.path(a[1])?;
    super::procfs::openat(p, a[0], &path, a[2], a[3])
}
pub fn close(p: &mut Task, a: [u64; 6]) -> SysResult {
    super::vtimerfd::forget(p, a[0]);
    sys(libc::SYS_close, a)
}
pub fn pipe2(p: &mut Task, a: [u64; 6]) -> SysResult {
    sys(libc::SYS_pipe2, [p.wr(a[0], 8)?, a[1], 0, 0, 0, 0])
}
pub fn getdents64(p: &mut Task, a: [u64; 6]) -> SysResult {
    // struct linux_dirent64 is architecture independent (abi::file::Dirent64, held to the
    // host's by abi::host's tests).
    sys(
        libc::SYS_getdents64,
        [a[0], p.wr(a[1], a[2])?, a[2], 0, 0, 0],
    )
}
pub fn lseek(_: &mut Task, a: [u64; 6]) -> SysResult {
    sys(libc::SYS_lseek, a)
}
pub fn read(p: &mut Task, a: [u64; 6]) -> Result<Outcome, Errno> {
    if let Some(r) = super::sigfd::read(p, a[0], a[1], a[2]) {
        return r;
    }
    if let Some(r) = super::vtimerfd::read(p, a[0], a[1], a[2]) {
        return r;
    }
    if let Some(w) = would_block(p, a[0], libc::POLLIN) {
        return Ok(Outcome::Park(w));
    }
    if let Some(r) = super::procfs::read_hook(p, a[0], a[1], a[2], None) {
        return Ok(Outcome::Done(r));
    }
    Ok(Outcome::Done(sys(
        libc::SYS_read,
        [a[0], p.wr(a[1], a[2])?, a[2], 0, 0, 0],
    )))
}
pub fn write(p: &mut Task, a: [u64; 6]) -> Result<Outcome, Errno> {
    if let Some(w) = would_block(p, a[0], libc::POLLOUT) {
        return Ok(Outcome::Park(w));
    }
    if let Some(r) = super::procfs::write_hook(p, a[0], a[1], a[2], None) {
        return Ok(Outcome::Done(r));
    }
    let len = det_pipe_clamp(p, a[0], a[2]);
    let r = sys(libc::SYS_write, [a[0], p.rd(a[1], a[2])?, len, 0, 0, 0]);
    Ok(Outcome::Done(sigpipe(p, r)))
}

/// Deterministic mode: a write to a pipe is cut to PIPE_BUF bytes, which a writable pipe
/// (one free buffer at least) takes without blocking. A longer blocking write could wait for
/// a reader that is another vCPU of this very host thread; the guest sees a partial write
/// instead, which write loops (stdio's among them) continue.
fn det_pipe_clamp(p: &Task, fd: u64, len: u64) -> u64 {
    const PIPE_BUF: u64 = 4096;
    if len <= PIPE_BUF || !p.shared.deterministic() {
        return len;
    }
    // SAFETY: struct stat is plain data, for which all zeroes is a valid value.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: fstat writes one struct stat into `st`.
    let fifo = unsafe { libc::fstat(fd as i32, &mut st) } == 0
        && st.st_mode & libc::S_IFMT == libc::S_IFIFO;
    if fifo {
        PIPE_BUF
    } else {
        len
    }
}

/// A write to a pipe or socket nobody reads also raises SIGPIPE, as the kernel does (mimic's
/// own host SIGPIPE is ignored, so only the EPIPE arrives).
pub(super) fn sigpipe(p: &Task, r: SysResult) -> SysResult {
    if r == Err(Errno(libc::EPIPE)) {
        const SIGPIPE: usize = 13;
        // SAFETY: getuid has no preconditions.
        let uid = unsafe { libc::getuid() };
        let info = crate::signal::sender_info(SIGPIPE, crate::signal::SI_USER, p.shared.pid(), uid);
        p.raise_self(SIGPIPE, info);
    }
    r
}
pub fn pread64(p: &mut Task, a: [u64; 6]) -> SysResult {
    if let Some(r) = super::procfs::read_hook(p, a[0], a[1], a[2], Some(a[3])) {
        return r;
    }
    sys(
        libc::SYS_pread64,
        [a[0], p.wr(a[1], a[2])?, a[2], a[3], 0, 0],
    )
}
pub fn pwrite64(p: &mut Task, a: [u64; 6]) -> SysResult {
    if let Some(r) = super::procfs::write_hook(p, a[0], a[1], a[2], Some(a[3])) {
        return r;
    }
    let r = sys(
        libc::SYS_pwrite64,
        [a[0], p.rd(a[1], a[2])?, a[2], a[3], 0, 0],
    );
    sigpipe(p, r)
}

/// The guest's `struct iovec` array as host iovecs, each buffer checked for `writable`.
pub(super) fn iovecs(
    p: &Task,
    addr: u64,
    count: u64,
    writable: bool,
) -> Result<Vec<libc::iovec>, Errno> {
    if count > 1024 {
        return Err(Errno::EINVAL);
    }
    p.load_array::<Iovec>(addr, count)?
        .into_iter()
        .map(|v| {
            // An iov_len that is negative as an ssize_t is EINVAL before any access.
            if v.iov_len > isize::MAX as u64 {
                return Err(Errno::EINVAL);
            }
            let host = if writable {
                p.wr(v.iov_base, v.iov_len)?
            } else {
                p.rd(v.iov_base, v.iov_len)?
            };
            Ok(libc::iovec {
                iov_base: host as *mut libc::c_void,
                iov_len: v.iov_len as usize,
            })
        })
        .collect()
}

/// Linux's most bytes one read or write moves (MAX_RW_COUNT).
const MAX_RW_COUNT: u64 = 0x7fff_f000;

/// writev's iovecs as Linux uses them: the lengths capped to [`MAX_RW_COUNT`] in all, then
/// cut at the first unreadable byte, where the kernel's copy would stop with a short write.
/// EFAULT only when not one byte can be read (with bytes to write).
fn write_iovecs(p: &Task, addr: u64, count: u64) -> Result<Vec<libc::iovec>, Errno> {
    if count > 1024 {
        return Err(Errno::EINVAL);
    }
    let given = p.load_array::<Iovec>(addr, count)?;
    if given.iter().any(|v| v.iov_len > isize::MAX as u64) {
        return Err(Errno::EINVAL);
    }
    let (mut out, mut room) = (Vec::new(), MAX_RW_COUNT);
    for v in given {
        let len = v.iov_len.min(room);
        room -= len;
        if len == 0 {
            continue; // nothing of it is touched
        }
        let (host, readable) = match p.rd(v.iov_base, len) {
            Ok(host) => (host, len),
            Err(e) => match readable_prefix(p, v.iov_base, len) {
                0 if out.is_empty() => return Err(e),
                0 => break,
                n => (p.rd(v.iov_base, n)?, n),
            },
        };
        out.push(libc::iovec {
            iov_base: host as *mut libc::c_void,
            iov_len: readable as usize,
        });
        if readable < len {
            break;
        }
    }
    Ok(out)
}

/// How many bytes from `addr` on, up to `len`, are readable: whole pages up to the first
/// page that is not.
fn readable_prefix(p: &Task, addr: u64, len: u64) -> u64 {
    let page = crate::memory::PAGE;
    let mut n = 0;
    while n < len && p.rd(addr + n, 1).is_ok() {
        n += page - ((addr + n) & (page - 1));
    }
    n.min(len)
}

pub fn readv(p: &mut Task, a: [u64; 6]) -> Result<Outcome, Errno> {
    if let Some(w) = would_block(p, a[0], libc::POLLIN) {
        return Ok(Outcome::Park(w));
    }
    if let Some(r) = super::procfs::vec_hook(p, a[0], a[1], a[2], false) {
        return Ok(Outcome::Done(r));
    }
    let v = iovecs(p, a[1], a[2], true)?;
    Ok(Outcome::Done(sys(
        libc::SYS_readv,
        [a[0], v.as_ptr() as u64, v.len() as u64, 0, 0, 0],
    )))
}
pub fn writev(p: &mut Task, a: [u64; 6]) -> Result<Outcome, Errno> {
    if let Some(w) = would_block(p, a[0], libc::POLLOUT) {
        return Ok(Outcome::Park(w));
    }
    if let Some(r) = super::procfs::vec_hook(p, a[0], a[1], a[2], true) {
        return Ok(Outcome::Done(r));
    }
    let mut v = write_iovecs(p, a[1], a[2])?;
    let total: u64 = v.iter().map(|i| i.iov_len as u64).sum();
    let mut room = det_pipe_clamp(p, a[0], total);
    for i in v.iter_mut() {
        i.iov_len = i.iov_len.min(room as usize);
        room -= i.iov_len as u64;
    }
    let r = sys(
        libc::SYS_writev,
        [a[0], v.as_ptr() as u64, v.len() as u64, 0, 0, 0],
    );
    Ok(Outcome::Done(sigpipe(p, r)))
}

pub fn pselect6(p: &mut Task, a: [u64; 6]) -> Result<Outcome, Errno> {
    let n = a[0].min(1024);
    let set = n.div_ceil(64) * 8;
    let (r, w, e) = (
        p.wr_opt(a[1], set)?,
        p.wr_opt(a[2], set)?,
        p.wr_opt(a[3], set)?,
    );
    let timeout = p.wr_opt(a[4], Timespec::SIZE as u64)?;
    let mut mask = None;
    if a[5] != 0 {
        // { const sigset_t *ss; size_t ss_len; }
        let d: [u8; 16] = p.get_array(a[5])?;
        let word = |i: usize| u64::from_le_bytes(d[i..i + 8].try_into().expect("8 bytes"));
        mask = sigmask_arg(p, word(0), word(8))?;
    }
    p.with_sigmask(mask, |p| {
        if p.shared.deterministic() {
            return det_pselect6(p, n, set, a);
        }
        // The guest's signal mask is emulated (see `Task::with_sigmask`); the host call runs
        // with mimic's own.
        Ok(Outcome::Done(sys(
            libc::SYS_pselect6,
            [n, r, w, e, timeout, 0],
        )))
    })
}

/// The signal mask ppoll, pselect6 and epoll_pwait take, checked as Linux checks it before
/// waiting: a size other than the 8-byte sigset_t is EINVAL, an unreadable mask EFAULT.
pub(super) fn sigmask_arg(p: &Task, addr: u64, size: u64) -> Result<Option<u64>, Errno> {
    if addr == 0 {
        return Ok(None);
    }
    if size != 8 {
        return Err(Errno::EINVAL);
    }
    p.get_array::<8>(addr).map(|m| Some(u64::from_le_bytes(m)))
}

/// A guest timeout (timespec) in nanoseconds; None for NULL.
fn timeout_ns(p: &Task, addr: u64) -> Result<Option<u64>, Errno> {
    match p.load_opt::<Timespec>(addr)? {
        None => Ok(None),
        Some(t) => t.nanos().map(Some).ok_or(Errno::EINVAL),
    }
}

/// Deterministic pselect6: select without waiting on copies of the guest's sets; when nothing
/// is ready, park until one of the fds is or the (virtual) timeout passes.
fn det_pselect6(p: &mut Task, n: u64, set: u64, a: [u64; 6]) -> Result<Outcome, Errno> {
    let mut sets: Vec<Option<Vec<u8>>> = Vec::new();
    for &addr in &a[1..4] {
        sets.push(if addr == 0 {
            None
        } else {
            Some(p.get(addr, set)?)
        });
    }
    let original = sets.clone();
    let zero = [0u64; 2];
    let mut ptrs = [0u64; 3];
    for (ptr, s) in ptrs.iter_mut().zip(sets.iter_mut()) {
        *ptr = s.as_mut().map_or(0, |v| v.as_mut_ptr() as u64);
    }
    let r = sys(
        libc::SYS_pselect6,
        [n, ptrs[0], ptrs[1], ptrs[2], zero.as_ptr() as u64, 0],
    )?;
    let rel = timeout_ns(p, a[4])?;
    let expired = std::mem::take(&mut p.poll_expired);
    if r > 0 || rel == Some(0) || expired {
        for (&addr, s) in a[1..4].iter().zip(&sets) {
            if let Some(s) = s {
                p.put(addr, s)?;
            }
        }
        return Outcome::value(r);
    }
    let mut fds = Vec::new();
    for (s, events) in original
        .iter()
        .zip([libc::POLLIN, libc::POLLOUT, libc::POLLPRI])
    {
        if let Some(s) = s {
            for fd in 0..n as usize {
                if s[fd / 8] & (1 << (fd % 8)) != 0 {
                    fds.push((fd as i32, events));
                }
            }
        }
    }
    let deadline = rel.map(|r| super::thread::deadline(p, r));
    Ok(Outcome::Park(Wait::Io { fds, deadline }))
}
pub fn ppoll(p: &mut Task, a: [u64; 6]) -> Result<Outcome, Errno> {
    if a[1] > 65536 {
        return Err(Errno::EINVAL);
    }
    // struct pollfd and timespec are the same on both sides (see abi::host's tests).
    let fds = p.wr(a[0], a[1] * Pollfd::SIZE as u64)?;
    let timeout = p.rd_opt(a[2], Timespec::SIZE as u64)?;
    let mask = sigmask_arg(p, a[3], a[4])?;
    p.with_sigmask(mask, |p| poll_with(p, a, fds, timeout))
}

/// ppoll once its arguments are checked, under the mask it was given.
fn poll_with(p: &mut Task, a: [u64; 6], fds: u64, timeout: u64) -> Result<Outcome, Errno> {
    if p.shared.deterministic() {
        // Poll without waiting; when nothing is ready, park until something is or the
        // (virtual) timeout passes.
        let zero = [0u64; 2];
        let n = sys(libc::SYS_ppoll, [fds, a[1], zero.as_ptr() as u64, 0, 0, 0])?;
        let rel = timeout_ns(p, a[2])?;
        let expired = std::mem::take(&mut p.poll_expired);
        if n > 0 || rel == Some(0) || expired {
            return Outcome::value(n);
        }
        let list: Vec<(i32, i16)> = p
            .load_array::<Pollfd>(a[0], a[1])?
            .iter()
            .map(|f| (f.fd, f.events))
            .collect();
        let deadline = rel.map(|r| super::thread::deadline(p, r));
        return Ok(Outcome::Park(Wait::Io {
            fds: list,
            deadline,
        }));
    }
    Ok(Outcome::Done(sys(
        libc::SYS_ppoll,
        [fds, a[1], timeout, 0, 0, 0],
    )))
}

pub fn readlinkat(p: &mut Task, a: [u64; 6]) -> SysResult {
    if a[3] as i32 <= 0 {
        return Err(Errno::EINVAL);
    }
    // As Linux: the path is resolved first, and only the link's bytes are copied out, so an
    // error of the lookup wins over a bad buffer, and a buffer need only hold the link.
    let path = p.path(a[1])?;
    let target = match super::procfs::readlink(p, a[0], &path) {
        Some(target) => target?,
        None => {
            // A link's content is at most a page (PATH_MAX) long.
            let mut buf = vec![0u8; (a[3] as i32 as usize).min(libc::PATH_MAX as usize)];
            let n = sys(
                libc::SYS_readlinkat,
                [
                    a[0],
                    cptr(&path),
                    buf.as_mut_ptr() as u64,
                    buf.len() as u64,
                    0,
                    0,
                ],
            )?;
            buf.truncate(n as usize);
            buf
        }
    };
    // The size is an int.
    let n = target.len().min(a[3] as i32 as usize);
    p.put(a[2], &target[..n])?;
    Ok(n as u64)
}

/// riscv64's `struct stat` from the host's (x86-64 orders and sizes the fields differently).
fn guest_stat(st: &libc::stat) -> Stat {
    Stat {
        st_dev: st.st_dev,
        st_ino: st.st_ino,
        st_mode: st.st_mode,
        st_nlink: st.st_nlink as u32,
        st_uid: st.st_uid,
        st_gid: st.st_gid,
        st_rdev: st.st_rdev,
        st_size: st.st_size,
        st_blksize: st.st_blksize as i32,
        st_blocks: st.st_blocks,
        st_atime: st.st_atime,
        st_atime_nsec: st.st_atime_nsec as u64,
        st_mtime: st.st_mtime,
        st_mtime_nsec: st.st_mtime_nsec as u64,
        st_ctime: st.st_ctime,
        st_ctime_nsec: st.st_ctime_nsec as u64,
    }
}

pub fn newfstatat(p: &mut Task, a: [u64; 6]) -> SysResult {
    p.wr(a[2], Stat::SIZE as u64)?;
    let path = p.path(a[1])?;
    // SAFETY: struct stat is plain data, for which all zeroes is a valid value.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    sys(
        libc::SYS_newfstatat,
        [a[0], cptr(&path), &mut st as *mut _ as u64, a[3], 0, 0],
    )?;
    let st = super::procfs::stat_as_guest(p, st);
    p.store(a[2], &guest_stat(&st))?;
    Ok(0)
}
pub fn fstat(p: &mut Task, a: [u64; 6]) -> SysResult {
    p.wr(a[1], Stat::SIZE as u64)?;
    // SAFETY: struct stat is plain data, for which all zeroes is a valid value.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    sys(
        libc::SYS_fstat,
        [a[0], &mut st as *mut _ as u64, 0, 0, 0, 0],
    )?;
    p.store(a[1], &guest_stat(&st))?;
    Ok(0)
}
pub fn statx(p: &mut Task, a: [u64; 6]) -> SysResult {
    // struct statx is architecture independent (see abi::host's tests).
    let path = p.path(a[1])?;
    sys(
        libc::SYS_statx,
        [
            a[0],
            cptr(&path),
            a[2],
            a[3],
            p.wr(a[4], Statx::SIZE as u64)?,
            0,
        ],
    )
}
pub fn fsync(_: &mut Task, a: [u64; 6]) -> SysResult {
    sys(libc::SYS_fsync, a)
}
pub fn fdatasync(_: &mut Task, a: [u64; 6]) -> SysResult {
    sys(libc::SYS_fdatasync, a)
}
pub fn utimensat(p: &mut Task, a: [u64; 6]) -> SysResult {
    let path = p.path_opt(a[1])?;
    let path_ptr = path.as_ref().map(cptr).unwrap_or(0);
    sys(
        libc::SYS_utimensat,
        [
            a[0],
            path_ptr,
            p.rd_opt(a[2], 2 * Timespec::SIZE as u64)?,
            a[3],
            0,
            0,
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_converts_field_by_field() {
        // SAFETY: libc::stat is plain C data, valid when all zero.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        st.st_mode = 0o100644;
        st.st_nlink = 3;
        st.st_size = 0x1234;
        st.st_blksize = 4096;
        st.st_mtime = 77;
        st.st_ctime_nsec = 5;
        let g = guest_stat(&st);
        assert_eq!(
            (
                g.st_mode,
                g.st_nlink,
                g.st_size,
                g.st_blksize,
                g.st_mtime,
                g.st_ctime_nsec
            ),
            (0o100644, 3, 0x1234, 4096, 77, 5)
        );
    }
}
