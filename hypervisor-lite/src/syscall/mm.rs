//! brk, mmap, munmap, mprotect, mremap, madvise over the guest address space.

use super::Task;
use super::{Errno, SysResult};
use crate::memory::{page_up, perm, AddressSpace, FileMap, GUEST_LIMIT, PAGE};

// asm-generic/mman-common.h and mman.h (the same bits as x86-64's).
const MAP_SHARED: u64 = 0x01;
const MAP_FIXED: u64 = 0x10;
const MAP_ANONYMOUS: u64 = 0x20;
const MAP_FIXED_NOREPLACE: u64 = 0x100000;
const MREMAP_MAYMOVE: u64 = 1;
const MREMAP_FIXED: u64 = 2;

fn enomem<E>(_: E) -> Errno {
    Errno::ENOMEM
}

/// Page-rounded length, or EINVAL for 0 / overflow.
fn length(len: u64) -> Result<u64, Errno> {
    match page_up(len) {
        Some(l) if l != 0 && l <= GUEST_LIMIT => Ok(l),
        _ => Err(if len == 0 {
            Errno::EINVAL
        } else {
            Errno::ENOMEM
        }),
    }
}

pub fn brk(p: &mut Task, a: [u64; 6]) -> SysResult {
    let s = &mut *p.shared.space();
    let want = a[0];
    if want < s.brk_start || want >= GUEST_LIMIT {
        return Ok(s.brk);
    }
    let old_end = page_up(s.brk).ok_or(Errno::ENOMEM)?;
    let new_end = page_up(want).ok_or(Errno::ENOMEM)?;
    if new_end > old_end {
        if s.any_mapped(old_end, new_end) {
            return Ok(s.brk);
        }
        if s.map_fixed(
            old_end,
            new_end - old_end,
            (libc::PROT_READ | libc::PROT_WRITE) as u32,
        )
        .is_err()
        {
            return Ok(s.brk);
        }
    } else if new_end < old_end {
        s.unmap(new_end, old_end - new_end).map_err(enomem)?;
    }
    s.brk = want;
    Ok(want)
}

pub fn mmap(p: &mut Task, a: [u64; 6]) -> SysResult {
    let [addr, len, prot, flags, fd, off] = a;
    let len = length(len)?;
    if !off.is_multiple_of(PAGE) {
        return Err(Errno::EINVAL);
    }
    let mut space = p.shared.space();
    let s = &mut *space;
    let at = if flags & (MAP_FIXED | MAP_FIXED_NOREPLACE) != 0 {
        if !addr.is_multiple_of(PAGE) {
            return Err(Errno::EINVAL);
        }
        if addr.checked_add(len).is_none_or(|e| e > GUEST_LIMIT) {
            return Err(Errno::ENOMEM);
        }
        if flags & MAP_FIXED == 0 && s.any_mapped(addr, addr + len) {
            return Err(Errno::EEXIST);
        }
        addr
    } else {
        let hint = addr & !(PAGE - 1);
        match hint.checked_add(len) {
            Some(end) if hint != 0 && end <= GUEST_LIMIT && !s.any_mapped(hint, end) => hint,
            _ => s.find_free(len, PAGE).ok_or(Errno::ENOMEM)?,
        }
    };
    if flags & MAP_ANONYMOUS != 0 {
        if flags & MAP_SHARED != 0 {
            s.map_shared_anon(at, len, prot as u32).map_err(enomem)?;
            return Ok(at);
        }
        s.map_fixed(at, len, prot as u32).map_err(enomem)?;
        return Ok(at);
    }
    // A file mapping: the host maps the file itself, so pages are read when touched and its
    // refusals (EBADF, ENODEV for a directory or pipe, EACCES for the wrong open mode) are
    // the guest's.
    let file = FileMap {
        fd: fd as i32,
        offset: off,
        shared: flags & MAP_SHARED != 0,
    };
    s.map_file(at, len, prot as u32, file)
        .map_err(|e| Errno::from_io(&e))?;
    Ok(at)
}

pub fn munmap(p: &mut Task, a: [u64; 6]) -> SysResult {
    // Linux checks the range against the space before rounding: a length that reaches past
    // the end (~0 included) is EINVAL, as is a zero one.
    let [start, len, ..] = a;
    if !start.is_multiple_of(PAGE) || start > GUEST_LIMIT || len > GUEST_LIMIT - start {
        return Err(Errno::EINVAL);
    }
    let len = page_up(len).filter(|&l| l != 0).ok_or(Errno::EINVAL)?;
    if start + len > GUEST_LIMIT {
        return Err(Errno::EINVAL);
    }
    p.shared
        .space()
        .unmap(start, len)
        .map_err(|_| Errno::EINVAL)?;
    Ok(0)
}

pub fn mprotect(p: &mut Task, a: [u64; 6]) -> SysResult {
    if !a[0].is_multiple_of(PAGE) {
        return Err(Errno::EINVAL);
    }
    let len = page_up(a[1]).ok_or(Errno::ENOMEM)?;
    if len == 0 {
        return Ok(0);
    }
    // A range that wraps or reaches past the end is not all mapped: ENOMEM, as Linux says.
    if a[0].checked_add(len).is_none_or(|e| e > GUEST_LIMIT) {
        return Err(Errno::ENOMEM);
    }
    p.shared
        .space()
        .protect(a[0], len, a[2] as u32)
        .map_err(Errno::from_host)?;
    Ok(0)
}

/// `PROT_*` bits for a page's table bits.
fn perm_to_prot(bits: u8) -> u32 {
    let mut prot = 0;
    if bits & perm::R != 0 {
        prot |= libc::PROT_READ;
    }
    if bits & perm::W != 0 {
        prot |= libc::PROT_WRITE;
    }
    if bits & perm::X != 0 {
        prot |= libc::PROT_EXEC;
    }
    prot as u32
}

pub fn mremap(p: &mut Task, a: [u64; 6]) -> SysResult {
    let [old, old_len, new_len, flags, new_addr, _] = a;
    if !old.is_multiple_of(PAGE) || flags & !(MREMAP_MAYMOVE | MREMAP_FIXED) != 0 {
        return Err(Errno::EINVAL);
    }
    let (old_len, new_len) = (length(old_len)?, length(new_len)?);
    let mut space = p.shared.space();
    let s = &mut *space;
    if old.checked_add(old_len).is_none_or(|e| e > GUEST_LIMIT) {
        return Err(Errno::EFAULT);
    }
    if s.perm_at(old) & perm::MAPPED == 0 || s.perm_at(old + old_len - 1) & perm::MAPPED == 0 {
        return Err(Errno::EFAULT);
    }
    let prot = perm_to_prot(s.perm_at(old + old_len - 1));
    if flags & MREMAP_FIXED != 0 {
        if flags & MREMAP_MAYMOVE == 0 || !new_addr.is_multiple_of(PAGE) {
            return Err(Errno::EINVAL);
        }
        if new_addr
            .checked_add(new_len)
            .is_none_or(|e| e > GUEST_LIMIT)
        {
            return Err(Errno::EINVAL);
        }
        // Onto itself is EINVAL, before the target is cleared (which would clear the source).
        if old + old_len > new_addr && new_addr + new_len > old {
            return Err(Errno::EINVAL);
        }
        s.unmap(new_addr, new_len).map_err(enomem)?;
        return move_grow(s, old, old_len, new_addr, new_len);
    }
    if new_len <= old_len {
        if new_len < old_len {
            s.unmap(old + new_len, old_len - new_len).map_err(enomem)?;
        }
        return Ok(old);
    }
    let tail = old + old_len;
    if old.checked_add(new_len).is_some_and(|e| e <= GUEST_LIMIT)
        && !s.any_mapped(tail, old + new_len)
    {
        // The host grows the mapping itself (a file's next pages, a shared object's end);
        // where the guest's range is several host mappings it cannot, and fresh pages grow
        // it as they grow anonymous memory.
        if s.grow_in_place(old, old_len, new_len).is_err() {
            s.map_fixed(tail, new_len - old_len, prot).map_err(enomem)?;
        }
        return Ok(old);
    }
    if flags & MREMAP_MAYMOVE == 0 {
        return Err(Errno::ENOMEM);
    }
    let to = s.find_free(new_len, PAGE).ok_or(Errno::ENOMEM)?;
    move_grow(s, old, old_len, to, new_len)
}

fn move_grow(s: &mut AddressSpace, old: u64, old_len: u64, to: u64, new_len: u64) -> SysResult {
    let keep = old_len.min(new_len);
    if old_len > keep {
        s.unmap(old + keep, old_len - keep).map_err(enomem)?;
    }
    s.move_pages(old, keep, to, new_len).map_err(enomem)?;
    Ok(to)
}

pub fn madvise(p: &mut Task, a: [u64; 6]) -> SysResult {
    let [start, len, advice, ..] = a;
    let advice = i32::try_from(advice).map_err(|_| Errno::EINVAL)?;
    if !start.is_multiple_of(PAGE) {
        return Err(Errno::EINVAL);
    }
    let len = page_up(len).ok_or(Errno::EINVAL)?;
    let end = start.checked_add(len).ok_or(Errno::EINVAL)?;
    let mut space = p.shared.space();
    // The host knows which advice exists (an empty range still checks it, as Linux).
    space.advise(0, 0, advice).map_err(|e| Errno::from_io(&e))?;
    if len == 0 {
        return Ok(0);
    }
    if end > GUEST_LIMIT {
        return Err(Errno::ENOMEM);
    }
    // Linux applies the advice to the mapped parts and then says ENOMEM for the holes.
    let mapped = space.mapped_in(start, end);
    for &(from, to) in &mapped {
        match advice {
            libc::MADV_DONTNEED => space.drop_pages(from, to),
            _ => space.advise(from, to, advice),
        }
        .map_err(|e| Errno::from_io(&e))?;
    }
    if mapped.iter().map(|(from, to)| to - from).sum::<u64>() != len {
        return Err(Errno::ENOMEM);
    }
    Ok(0)
}

/// msync: the host's, on the guest range (shared file mappings are the host's own).
pub fn msync(p: &mut Task, a: [u64; 6]) -> SysResult {
    let [start, len, flags, ..] = a;
    if !start.is_multiple_of(PAGE) {
        return Err(Errno::EINVAL);
    }
    let len = page_up(len).ok_or(Errno::ENOMEM)?;
    let end = start.checked_add(len).ok_or(Errno::ENOMEM)?;
    let space = p.shared.space();
    // The host checks the flags (an empty range still does, as Linux).
    space
        .sync(0, 0, flags as i32)
        .map_err(|e| Errno::from_io(&e))?;
    if end > GUEST_LIMIT || !space.all_mapped(start, end) {
        return Err(Errno::ENOMEM);
    }
    space
        .sync(start, end, flags as i32)
        .map_err(|e| Errno::from_io(&e))?;
    Ok(0)
}

/// mincore(addr, len, vec): one byte per page, bit 0 set where the page is resident. The whole
/// range must be mapped (ENOMEM otherwise, PROT_NONE pages included, as Linux counts them).
pub fn mincore(p: &mut Task, a: [u64; 6]) -> SysResult {
    let [addr, len, vec, ..] = a;
    if !addr.is_multiple_of(PAGE) {
        return Err(Errno::EINVAL);
    }
    let len = page_up(len).ok_or(Errno::ENOMEM)?;
    if addr.checked_add(len).is_none_or(|e| e > GUEST_LIMIT) {
        return Err(Errno::ENOMEM);
    }
    let pages = (len / PAGE) as usize;
    let out = p.wr(vec, pages as u64)?;
    let space = p.shared.space();
    if !space.all_mapped(addr, addr + len) {
        return Err(Errno::ENOMEM);
    }
    // SAFETY: the range is mapped guest memory inside the reservation (checked above, under
    // the mapping lock, which keeps it mapped), and `out` is a writable guest buffer of one
    // byte per page.
    let r = unsafe {
        libc::mincore(
            space.layout().base.add(addr as usize).cast(),
            len as usize,
            out as *mut u8,
        )
    };
    if r < 0 {
        return Err(Errno::last());
    }
    Ok(0)
}
