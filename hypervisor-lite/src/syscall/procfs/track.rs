//! The mm calls as the guest makes them, each followed by the name of what it mapped, so
//! /proc/self/maps can say which file (and offset) each mapping holds.

use super::super::{mm, Errno, SysResult};
use super::which;
use super::Task;
use crate::memory::page_up;
use crate::regions::{Name, Region};
use crate::state::lock;

const MAP_SHARED: u64 = 0x01;
const MAP_ANONYMOUS: u64 = 0x20;

/// The name of the file open on host fd `fd`.
fn file_name(fd: u64) -> Name {
    let Ok(fd) = i32::try_from(fd) else {
        return Name::Anon;
    };
    // SAFETY: `st` is a plain C struct, all zeroes valid.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: the kernel fills `st`.
    if unsafe { libc::fstat(fd, &mut st) } < 0 {
        return Name::Anon;
    }
    Name::File {
        path: which::fd_name(fd).unwrap_or_default(),
        dev: st.st_dev,
        ino: st.st_ino,
    }
}

pub fn mmap(p: &mut Task, a: [u64; 6]) -> SysResult {
    let anon = a[3] & MAP_ANONYMOUS != 0;
    let name = if anon { Name::Anon } else { file_name(a[4]) };
    if matches!(&name, Name::File { path, .. } if which::memfd_entry(path).is_some()) {
        // Linux has no mmap for the /proc views (seq files, mem).
        return Err(Errno(libc::ENODEV));
    }
    let at = mm::mmap(p, a)?;
    lock(&p.shared.regions).insert(Region {
        start: at,
        end: at + page_up(a[1]).unwrap_or(0),
        offset: if anon { 0 } else { a[5] },
        name,
        shared: a[3] & MAP_SHARED != 0,
    });
    Ok(at)
}

pub fn munmap(p: &mut Task, a: [u64; 6]) -> SysResult {
    let r = mm::munmap(p, a)?;
    let end = a[0] + page_up(a[1]).unwrap_or(0);
    lock(&p.shared.regions).remove(a[0], end);
    Ok(r)
}

pub fn mremap(p: &mut Task, a: [u64; 6]) -> SysResult {
    let [old, old_len, new_len, ..] = a;
    let to = mm::mremap(p, a)?;
    let (ol, nl) = (page_up(old_len).unwrap_or(0), page_up(new_len).unwrap_or(0));
    let mut regions = lock(&p.shared.regions);
    let source = regions.at(old).cloned();
    let keep = ol.min(nl);
    if to != old {
        regions.relocate(old, to, keep);
    }
    regions.remove(old + keep, old + ol);
    if nl > keep {
        // The grown part continues the mapping (and its file offset) at its end.
        let base = source.unwrap_or(Region::anon(old, old + ol));
        let offset = match base.name {
            Name::File { .. } => base.offset + (old + keep - base.start),
            _ => 0,
        };
        regions.insert(Region {
            start: to + keep,
            end: to + nl,
            offset,
            ..base
        });
    }
    Ok(to)
}

pub fn brk(p: &mut Task, a: [u64; 6]) -> SysResult {
    let old = page_up(p.shared.space().brk).unwrap_or(0);
    let now = mm::brk(p, a)?;
    let new = page_up(now).unwrap_or(0);
    let mut regions = lock(&p.shared.regions);
    if new > old {
        regions.insert(Region::anon(old, new));
    } else {
        regions.remove(new, old);
    }
    Ok(now)
}
