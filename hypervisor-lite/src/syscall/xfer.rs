//! Data moved between descriptors inside the kernel, and hints about a file's data:
//! sendfile, splice, tee, vmsplice, copy_file_range, readahead, sync_file_range.
//!
//! Guest descriptors are host descriptors, so the host kernel moves the bytes; what is
//! translated is the guest's `loff_t *` offsets (read and written in place: the host sees
//! the guest's own memory) and vmsplice's iovecs. In deterministic mode a call that would
//! block on a blocking descriptor parks until the descriptor is ready, as read and write do.

use super::fs::{host, iovecs, sigpipe};
use super::thread::{blocking_fd, park_until_ready};
use super::{Errno, Outcome, SysResult, Task};

fn sys(nr: libc::c_long, a: [u64; 6]) -> SysResult {
    // SAFETY: the callers pass scalars or host addresses of guest buffers checked for the
    // size the call reads or writes.
    host(unsafe { libc::syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]) })
}

/// A guest `loff_t *` (NULL: the descriptor's own offset), read and written by the call.
fn offset(p: &Task, addr: u64) -> Result<u64, Errno> {
    p.wr_opt(addr, 8)
}

/// Deterministic mode: the wait for one of `fds` (descriptor, POLLIN or POLLOUT) that is a
/// blocking descriptor and not ready, if there is one.
fn would_block(p: &Task, fds: &[(u64, i16)]) -> Option<super::Wait> {
    fds.iter()
        .filter(|&&(fd, _)| blocking_fd(p, fd))
        .find_map(|&(fd, ev)| park_until_ready(p, &[(fd as i32, ev)], None))
}

/// SPLICE_F_NONBLOCK: the pipe side of the call does not wait.
const SPLICE_F_NONBLOCK: u64 = 2;

/// A splice-family call (`run` with the flags to use) on `fds` (descriptor, the readiness
/// it waits for). Deterministic mode runs it with SPLICE_F_NONBLOCK, so its argument errors
/// come first as they would, and parks on the blocking pipes and sockets among `fds` when
/// it would have waited.
fn spliced(
    p: &Task,
    fds: &[(u64, i16)],
    flags: u64,
    run: impl Fn(u64) -> SysResult,
) -> Result<Outcome, Errno> {
    if !p.shared.deterministic() || flags & SPLICE_F_NONBLOCK != 0 {
        return Ok(Outcome::Done(sigpipe(p, run(flags))));
    }
    let r = run(flags | SPLICE_F_NONBLOCK);
    if r == Err(Errno::EAGAIN) {
        let waits: Vec<(i32, i16)> = fds
            .iter()
            .filter(|&&(fd, _)| blocking_fd(p, fd) && waitable(fd))
            .map(|&(fd, ev)| (fd as i32, ev))
            .collect();
        if !waits.is_empty() {
            return Ok(Outcome::Park(super::Wait::Io {
                fds: waits,
                deadline: None,
            }));
        }
    }
    Ok(Outcome::Done(sigpipe(p, r)))
}

/// Whether `fd` is one a call can wait on (a pipe, socket or device, not a regular file,
/// which poll always calls ready).
fn waitable(fd: u64) -> bool {
    // SAFETY: struct stat is plain data, for which all zeroes is a valid value.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: fstat writes one struct stat into `st`.
    let ok = unsafe { libc::fstat(fd as i32, &mut st) } == 0;
    ok && !matches!(st.st_mode & libc::S_IFMT, libc::S_IFREG | libc::S_IFDIR)
}

/// sendfile(out_fd, in_fd, offset, count).
pub fn sendfile(p: &mut Task, a: [u64; 6]) -> Result<Outcome, Errno> {
    if let Some(w) = would_block(p, &[(a[1], libc::POLLIN), (a[0], libc::POLLOUT)]) {
        return Ok(Outcome::Park(w));
    }
    let off = offset(p, a[2])?;
    let r = sys(libc::SYS_sendfile, [a[0], a[1], off, a[3], 0, 0]);
    Ok(Outcome::Done(sigpipe(p, r)))
}

/// splice(fd_in, off_in, fd_out, off_out, len, flags).
pub fn splice(p: &mut Task, a: [u64; 6]) -> Result<Outcome, Errno> {
    let (off_in, off_out) = (offset(p, a[1])?, offset(p, a[3])?);
    let fds = [(a[0], libc::POLLIN), (a[2], libc::POLLOUT)];
    spliced(p, &fds, a[5], |flags| {
        sys(libc::SYS_splice, [a[0], off_in, a[2], off_out, a[4], flags])
    })
}

/// tee(fd_in, fd_out, len, flags): both are pipes.
pub fn tee(p: &mut Task, a: [u64; 6]) -> Result<Outcome, Errno> {
    let fds = [(a[0], libc::POLLIN), (a[1], libc::POLLOUT)];
    spliced(p, &fds, a[3], |flags| {
        sys(libc::SYS_tee, [a[0], a[1], a[2], flags, 0, 0])
    })
}

/// vmsplice(fd, iov, nr_segs, flags): into a pipe open for writing (O_WRONLY or O_RDWR) the
/// iovecs are read, out of one open only for reading they are written.
pub fn vmsplice(p: &mut Task, a: [u64; 6]) -> Result<Outcome, Errno> {
    // SAFETY: F_GETFL takes no argument.
    let fl = unsafe { libc::fcntl(a[0] as i32, libc::F_GETFL) };
    if fl < 0 {
        return Err(Errno::last());
    }
    let into_pipe = fl & libc::O_ACCMODE != libc::O_RDONLY;
    let v = iovecs(p, a[1], a[2], !into_pipe)?;
    let ev = if into_pipe {
        libc::POLLOUT
    } else {
        libc::POLLIN
    };
    spliced(p, &[(a[0], ev)], a[3], |flags| {
        sys(
            libc::SYS_vmsplice,
            [a[0], v.as_ptr() as u64, v.len() as u64, flags, 0, 0],
        )
    })
}

/// copy_file_range(fd_in, off_in, fd_out, off_out, len, flags): regular files, never blocks.
pub fn copy_file_range(p: &mut Task, a: [u64; 6]) -> SysResult {
    let (off_in, off_out) = (offset(p, a[1])?, offset(p, a[3])?);
    sys(
        libc::SYS_copy_file_range,
        [a[0], off_in, a[2], off_out, a[4], a[5]],
    )
}

/// readahead(fd, offset, count): riscv64 passes each 64-bit value in one register.
pub fn readahead(_: &mut Task, a: [u64; 6]) -> SysResult {
    sys(libc::SYS_readahead, [a[0], a[1], a[2], 0, 0, 0])
}

/// sync_file_range(fd, offset, nbytes, flags): the generic argument order, x86-64's too.
pub fn sync_file_range(_: &mut Task, a: [u64; 6]) -> SysResult {
    sys(libc::SYS_sync_file_range, [a[0], a[1], a[2], a[3], 0, 0])
}
