//! Calls on open files' data, locks and ownership, and on whole file systems, that pass
//! straight through to the host: their arguments are descriptors, offsets, ids and flags
//! (and a path, resolved as every guest path is).

use super::fs::host;
use super::Task;
use super::{Errno, SysResult};

fn sys(nr: libc::c_long, a: [u64; 6]) -> SysResult {
    // SAFETY: the callers pass scalars, or a host path that lives across the call.
    host(unsafe { libc::syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]) })
}

pub fn flock(_: &mut Task, a: [u64; 6]) -> SysResult {
    sys(libc::SYS_flock, a)
}
pub fn fallocate(_: &mut Task, a: [u64; 6]) -> SysResult {
    sys(libc::SYS_fallocate, a)
}
/// fadvise64(fd, offset, len, advice): riscv64 passes the 64-bit values in one register each,
/// as x86-64 does, and the POSIX_FADV_* numbers are the same.
pub fn fadvise64(_: &mut Task, a: [u64; 6]) -> SysResult {
    sys(libc::SYS_fadvise64, a)
}
pub fn fchown(_: &mut Task, a: [u64; 6]) -> SysResult {
    sys(libc::SYS_fchown, a)
}
pub fn fchownat(p: &mut Task, a: [u64; 6]) -> SysResult {
    let path = p.path(a[1])?;
    sys(
        libc::SYS_fchownat,
        [a[0], path.as_ptr() as u64, a[2], a[3], a[4], 0],
    )
}
pub fn sync(_: &mut Task, _: [u64; 6]) -> SysResult {
    sys(libc::SYS_sync, [0; 6])
}
pub fn syncfs(_: &mut Task, a: [u64; 6]) -> SysResult {
    sys(libc::SYS_syncfs, a)
}
/// close_range(first, last, flags): CLOSE_RANGE_UNSHARE (2) and CLOSE_RANGE_CLOEXEC (4) are the
/// same on both sides. Unknown flags are EINVAL from the host.
pub fn close_range(_: &mut Task, a: [u64; 6]) -> SysResult {
    if a[0] as u32 > a[1] as u32 {
        return Err(Errno::EINVAL);
    }
    sys(libc::SYS_close_range, a)
}
