//! /proc as the guest sees it: its own process's entries describe the guest, never mimic.
//!
//! ```text
//!   openat ─▶ host open, as the guest asked (any spelling, dirfd, cwd, symlink)
//!              │ identify what was opened (which.rs): fstat + readlink(/proc/self/fd/N)
//!              ├─ mimic's own executable ─────────▶ the guest's ELF, reopened on that fd
//!              ├─ /proc/<us>[/task/<t>]/maps, cmdline, environ, auxv, stat, status, comm
//!              │        ─▶ a snapshot in a memfd, put on that fd (files.rs, maps.rs)
//!              ├─ …/mem ─▶ a memfd named as the guest memory view: read/write on it
//!              │          reach guest addresses only (mem.rs)
//!              ├─ …/smaps, pagemap, map_files, syscall, stack… ─▶ EACCES
//!              └─ anything else ─▶ the host's file
//!   readlinkat, execve: the same identification on an O_PATH open
//!   mmap, munmap, mremap, brk ─▶ the mm call, then the mapping's name (track.rs)
//! ```
//!
//! Identifying the opened file rather than the path's spelling is what makes `/proc/./self`,
//! `openat(open("/proc/self"), "mem")`, `chdir("/proc/self")` and a symlink to
//! /proc/self/mem all reach the same view.

mod files;
pub(crate) mod maps;
mod mem;
mod track;
mod vtid;
mod which;

pub use files::startup;
pub use mem::{read_hook, vec_hook, write_hook};
pub use track::{brk, mmap, mremap, munmap};

use super::fs::host;
use super::Task;
use super::{Errno, SysResult};
use std::ffi::CString;
use which::View;

/// openat as the guest asked it; when what opened is one of its own /proc entries, the fd
/// holds the guest's view of it instead.
pub fn openat(p: &Task, dirfd: u64, path: &CString, flags: u64, mode: u64) -> SysResult {
    let open = |path: &CString| {
        // SAFETY: `path` is NUL-terminated; the kernel checks everything else.
        host(unsafe { libc::openat(dirfd as i32, path.as_ptr(), flags as i32, mode as u32) } as i64)
    };
    match vtid::to_host(p, path) {
        Some((host_path, vtid)) => opened(p, open(&host_path)?, flags, Some(vtid)),
        None => opened(p, open(path)?, flags, None),
    }
}

/// openat2 with `how` (flags, mode, resolve): [`openat`] through the host's openat2, so
/// the RESOLVE_* restrictions apply to the path as the host resolves it.
pub fn openat2(p: &Task, dirfd: u64, path: &CString, how: [u64; 3]) -> SysResult {
    let open = |path: &CString| {
        // SAFETY: `path` is NUL-terminated and `how` a struct open_how (three u64s) that
        // outlives the call.
        host(unsafe {
            libc::syscall(
                libc::SYS_openat2,
                dirfd as i32,
                path.as_ptr(),
                how.as_ptr(),
                24usize,
            )
        })
    };
    match vtid::to_host(p, path) {
        Some((host_path, vtid)) => opened(p, open(&host_path)?, how[0], Some(vtid)),
        None => opened(p, open(path)?, how[0], None),
    }
}

/// Host fd `fd` was opened for the guest with `flags` (through `vtid`'s task directory, in
/// deterministic mode): puts the guest's view on it when it is one of its own entries.
fn opened(p: &Task, fd: u64, flags: u64, vtid: Option<i32>) -> SysResult {
    let fd = fd as i32;
    let view = which::identify(fd).map(|v| match v {
        View::File(e, Some(t)) => View::File(e, Some(vtid.unwrap_or(t))),
        v => v,
    });
    let replacement = match view {
        None => return Ok(fd as u64),
        Some(View::Refused) => Err(Errno(libc::EACCES)),
        Some(View::Exe) => reopen(p.shared.exe.as_os_str().as_encoded_bytes(), flags),
        Some(View::Mem) => mem::open(flags),
        Some(View::File(entry, tid)) => files::generate(p, entry, tid)
            .and_then(|bytes| memfd(entry.name(), &bytes))
            .and_then(|m| {
                let r = reopen(
                    format!("/proc/self/fd/{m}").as_bytes(),
                    libc::O_RDONLY as u64,
                );
                close(m);
                r
            }),
    };
    match replacement {
        Ok(new) => {
            let cloexec = flags & libc::O_CLOEXEC as u64;
            // SAFETY: descriptors only: `new` replaces the guest's `fd`, both ours to give.
            let r = host(unsafe { libc::dup3(new, fd, cloexec as i32) } as i64);
            close(new);
            r.inspect_err(|_| close(fd))
        }
        Err(e) => {
            close(fd);
            Err(e)
        }
    }
}

/// readlinkat's answer when `(dirfd, path)` is one of the guest's own /proc links, else None.
pub fn readlink(p: &Task, dirfd: u64, path: &CString) -> Option<Result<Vec<u8>, Errno>> {
    let flags = libc::O_PATH | libc::O_NOFOLLOW | libc::O_CLOEXEC;
    // SAFETY: `path` is NUL-terminated; the kernel checks the rest.
    let fd = unsafe { libc::openat(dirfd as i32, path.as_ptr(), flags) };
    if fd < 0 {
        return None;
    }
    let answer = which::link(p, fd);
    close(fd);
    answer
}

/// The program execve runs for `path`: the guest's own ELF for /proc/self/exe (mimic's own
/// executable, however reached), else `path`.
pub fn exec_path(p: &Task, path: CString) -> CString {
    // SAFETY: `path` is NUL-terminated.
    let fd = unsafe { libc::open(path.as_ptr(), libc::O_PATH | libc::O_CLOEXEC) };
    if fd < 0 {
        return path;
    }
    let exe = which::is_mimic(fd);
    close(fd);
    if !exe {
        return path;
    }
    CString::new(p.shared.exe.as_os_str().as_encoded_bytes()).unwrap_or(path)
}

/// What the guest sees for a stat result: mimic's own executable (/proc/self/exe followed)
/// is the guest's program.
pub fn stat_as_guest(p: &Task, st: libc::stat) -> libc::stat {
    if !which::is_mimic_stat(&st) {
        return st;
    }
    let Ok(exe) = CString::new(p.shared.exe.as_os_str().as_encoded_bytes()) else {
        return st;
    };
    // SAFETY: `guest` is a plain C struct, all zeroes valid.
    let mut guest: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: the kernel fills `guest`; `exe` is NUL-terminated.
    if unsafe { libc::stat(exe.as_ptr(), &mut guest) } == 0 {
        guest
    } else {
        st
    }
}

/// Opens `path` anew with the guest's access mode and status flags (never creating or
/// truncating: the file exists and is the guest's own).
fn reopen(path: &[u8], flags: u64) -> Result<i32, Errno> {
    let keep = libc::O_ACCMODE | libc::O_NONBLOCK | libc::O_PATH | libc::O_NOATIME;
    let c = CString::new(path).map_err(|_| Errno::EINVAL)?;
    // SAFETY: `c` is NUL-terminated.
    let fd = unsafe { libc::open(c.as_ptr(), (flags as i32 & keep) | libc::O_CLOEXEC) };
    if fd < 0 {
        Err(Errno::last())
    } else {
        Ok(fd)
    }
}

/// Prefix of the memfds holding the guest's views: `mimic-proc:<entry>`.
const MEMFD_PREFIX: &str = "mimic-proc:";

/// A memfd named `mimic-proc:<entry>` holding `bytes`, positioned at 0.
fn memfd(entry: &str, bytes: &[u8]) -> Result<i32, Errno> {
    let name = CString::new(format!("{MEMFD_PREFIX}{entry}")).expect("no NUL");
    // SAFETY: `name` is NUL-terminated.
    let fd = unsafe { libc::memfd_create(name.as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        return Err(Errno::last());
    }
    let mut done = 0;
    while done < bytes.len() {
        // SAFETY: the pointer and length are within `bytes`.
        let n = unsafe { libc::write(fd, bytes[done..].as_ptr().cast(), bytes.len() - done) };
        if n <= 0 {
            let e = Errno::last();
            close(fd);
            return Err(e);
        }
        done += n as usize;
    }
    Ok(fd)
}

fn close(fd: i32) {
    // SAFETY: closing a descriptor this module opened (or opened for the guest and now
    // refuses): nothing else holds it.
    unsafe { libc::close(fd) };
}
