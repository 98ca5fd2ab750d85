//! Making and opening file-system nodes beyond openat: mknodat, fchmodat2, openat2 and the
//! file handles of name_to_handle_at / open_by_handle_at.
//!
//! Paths resolve as every guest path does; the host kernel makes the node and checks the
//! caller's privilege (a device node needs CAP_MKNOD, opening by handle CAP_DAC_READ_SEARCH:
//! mimic has what the user running it has). openat2's `struct open_how` is read by its
//! declared layout and its RESOLVE_* flags reach the host unchanged; a file handle is opaque
//! data the guest only carries between the two calls.

use super::fs::host;
use super::{Errno, SysResult, Task};
use crate::abi::file::{FileHandle, OpenHow};
use crate::abi::layout::Field;

/// fchmodat2's number, the same on both sides (the unified numbering from 424 on); libc
/// does not name it yet.
const SYS_FCHMODAT2: libc::c_long = 452;
/// MAX_HANDLE_SZ: the largest handle a guest may ask for.
const MAX_HANDLE_SZ: u32 = 128;
/// openat2 reads at most a page of `struct open_how` (the kernel's limit for extensible
/// structures).
const OPEN_HOW_MAX: u64 = 4096;

fn sys(nr: libc::c_long, a: [u64; 6]) -> SysResult {
    // SAFETY: the callers pass scalars, host paths that outlive the call, or host addresses
    // of guest buffers checked for the size the call reads or writes.
    host(unsafe { libc::syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]) })
}

/// mknodat(dirfd, path, mode, dev): dev_t is the kernel's encoding on both sides.
pub fn mknodat(p: &mut Task, a: [u64; 6]) -> SysResult {
    let path = p.path(a[1])?;
    sys(
        libc::SYS_mknodat,
        [a[0], path.as_ptr() as u64, a[2], a[3], 0, 0],
    )
}

/// fchmodat2(dirfd, path, mode, flags): fchmodat with AT_SYMLINK_NOFOLLOW and AT_EMPTY_PATH.
pub fn fchmodat2(p: &mut Task, a: [u64; 6]) -> SysResult {
    let path = p.path(a[1])?;
    sys(
        SYS_FCHMODAT2,
        [a[0], path.as_ptr() as u64, a[2], a[3], 0, 0],
    )
}

/// openat2(dirfd, path, how, size): `size` is the guest's idea of `struct open_how`; a
/// smaller one is EINVAL, a bigger one E2BIG unless the bytes past the known fields are zero,
/// as the kernel's copy_struct_from_user checks.
pub fn openat2(p: &mut Task, a: [u64; 6]) -> SysResult {
    let size = a[3];
    if size < OpenHow::SIZE as u64 {
        return Err(Errno::EINVAL);
    }
    if size > OPEN_HOW_MAX {
        return Err(Errno(libc::E2BIG));
    }
    let bytes = p.get(a[2], size)?;
    if bytes[OpenHow::SIZE..].iter().any(|&b| b != 0) {
        return Err(Errno(libc::E2BIG));
    }
    let how = OpenHow::read(&bytes[..OpenHow::SIZE]);
    let path = p.path(a[1])?;
    super::procfs::openat2(p, a[0], &path, [how.flags, how.mode, how.resolve])
}

/// name_to_handle_at(dirfd, path, handle, mount_id, flags): the kernel reads handle_bytes
/// and writes the header and up to that many bytes of handle.
pub fn name_to_handle_at(p: &mut Task, a: [u64; 6]) -> SysResult {
    let head: FileHandle = p.load(a[2])?;
    let room = head.handle_bytes.min(MAX_HANDLE_SZ) as u64;
    let handle = p.wr(a[2], FileHandle::SIZE as u64 + room)?;
    // AT_HANDLE_MNT_ID_UNIQUE asks for the 64-bit mount id.
    let mount_id = p.wr(a[3], if a[4] & 1 != 0 { 8 } else { 4 })?;
    let path = p.path(a[1])?;
    sys(
        libc::SYS_name_to_handle_at,
        [a[0], path.as_ptr() as u64, handle, mount_id, a[4], 0],
    )
}

/// open_by_handle_at(mount_fd, handle, flags).
pub fn open_by_handle_at(p: &mut Task, a: [u64; 6]) -> SysResult {
    let head: FileHandle = p.load(a[1])?;
    if head.handle_bytes == 0 || head.handle_bytes > MAX_HANDLE_SZ {
        return Err(Errno::EINVAL);
    }
    let handle = p.rd(a[1], FileHandle::SIZE as u64 + head.handle_bytes as u64)?;
    sys(libc::SYS_open_by_handle_at, [a[0], handle, a[2], 0, 0, 0])
}
