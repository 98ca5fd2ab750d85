//! The guest address space: one host reservation, guest address `g` at `base + g`.
//!
//! ```text
//!   host:  guard ─ base ─────────────────────────────────────── base + GUEST_LIMIT ─ guard
//!          PROT_NONE │ host protections mirror the guest's (host_prot)   │ PROT_NONE │
//!   perms: one byte per guest page: R W X (what the guest asked for)
//! ```
//!
//! The guest's protections live in the per-page table, and every interpreter access and
//! every syscall pointer is checked against it in software. The host protections mirror the
//! table (no access: none; read-only or execute: read; writable: read/write) for translated
//! code, which checks only `addr < GUEST_LIMIT` and lets the host fault (the translator's
//! fault handler makes that the guest's fault); the guard zone past the limit catches an
//! access that starts below the limit and ends past it, and the guard zones on both sides
//! catch an access translated code made without a check, near one it made through the same
//! register or a table lookup near another (translator::GUARD). The mapping's own writes that ignore guest
//! protections (`write_raw`) lift the host protection for their duration. A writable page
//! translated code came from is the exception: read-only on the host until written, so that
//! the translator learns which code pages were written ([`watch`]).
//!
//! Ownership: the [`Reservation`] (the range and the table) is in an `Arc` that the address
//! space and every [`GuestMem`] handle hold, so no handle outlives the memory it points
//! into. A handle caches the raw base and table pointers next to its `Arc`, so the
//! interpreter's hot path is the same pointer arithmetic as with plain pointers; the `Arc`
//! is only touched when a handle is made or dropped (once per thread). Borrowing handles
//! would tie every vCPU's lifetime to a borrow of the mapping lock's contents.
//!
//! The check and the access are not atomic: another thread may unmap the page between them,
//! and a file mapping faults past the end of its file. So mimic never forms a Rust
//! reference into guest memory; every access goes through [`access`], whose routines turn a
//! host fault into an error (`MemFault` for the guest, EFAULT for a system call).

mod access;
mod bus;
mod image;
mod reservation;
mod vma;
mod watch;

pub use access::take_bus_error;
pub use bus::GuestMem;
pub use image::clear_soft_dirty;
pub use reservation::Reservation;

use std::collections::BTreeMap;
use std::io;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;

/// Guest page size (and the host's).
pub const PAGE: u64 = 4096;
/// One past the highest guest address: riscv64 Sv39 user space.
pub const GUEST_LIMIT: u64 = 1 << 38;

/// Guest page permission bits in the table.
pub mod perm {
    pub const R: u8 = 1;
    pub const W: u8 = 2;
    pub const X: u8 = 4;
    /// The page is mapped (possibly with no access, as for PROT_NONE).
    pub const MAPPED: u8 = 8;
    /// Only this process's stores through this address change the page: a private mapping
    /// (anonymous, or of a file, whose later writes by others mimic does not follow). Shared
    /// pages lack it, so a translator compares their code at every `fence.i`.
    pub const PRIVATE: u8 = 16;
    /// The page holds translated code and its host write permission is taken away until
    /// the guest writes it (see `watch`); the guest's permissions are the other bits.
    pub const WATCHED: u8 = 32;
}

pub fn page_down(a: u64) -> u64 {
    a & !(PAGE - 1)
}

/// `a` rounded up to a page; `None` on overflow.
pub fn page_up(a: u64) -> Option<u64> {
    a.checked_add(PAGE - 1).map(page_down)
}

/// The table bits for Linux `PROT_*` flags. As on riscv64 Linux, write implies read.
pub fn prot_to_perm(prot: u32) -> u8 {
    let mut p = perm::MAPPED;
    if prot & libc::PROT_READ as u32 != 0 || prot & libc::PROT_WRITE as u32 != 0 {
        p |= perm::R;
    }
    if prot & libc::PROT_WRITE as u32 != 0 {
        p |= perm::W;
    }
    if prot & libc::PROT_EXEC as u32 != 0 {
        p |= perm::X;
    }
    p
}

/// The host protection mirroring table bits (an execute-only page stays readable: the
/// decoder reads it through the table check; a watched page is read-only until written).
pub fn host_prot(bits: u8) -> i32 {
    if bits & perm::W != 0 && bits & perm::WATCHED == 0 {
        libc::PROT_READ | libc::PROT_WRITE
    } else if bits & (perm::R | perm::X) != 0 {
        libc::PROT_READ
    } else {
        libc::PROT_NONE
    }
}

/// The whole guest address space of a process.
pub struct AddressSpace {
    res: Arc<Reservation>,
    /// Mapped ranges, start → end, for finding free space and for munmap/mremap.
    vmas: BTreeMap<u64, u64>,
    /// Non-fixed mmaps are placed top-down below this.
    pub mmap_base: u64,
    pub brk_start: u64,
    pub brk: u64,
    /// Bumped when executable pages are unmapped, replaced, re-protected or dropped, after
    /// their range is logged for the translator (and on `fence.i`): every vCPU compares it
    /// with the generation its decoded blocks belong to between slices, forgets them when it
    /// moved and syncs the translated code. Shared so that it is read without the mapping
    /// lock.
    pub code_gen: Arc<AtomicU64>,
}

/// A host file mapping's parameters (see [`AddressSpace::map_file`]).
pub struct FileMap {
    pub fd: i32,
    pub offset: u64,
    /// MAP_SHARED: writes reach the file and other mappings of it.
    pub shared: bool,
}

impl AddressSpace {
    /// Reserves `GUEST_LIMIT` bytes of host address space with no access, and the page table.
    pub fn new() -> io::Result<AddressSpace> {
        Ok(AddressSpace {
            res: Arc::new(Reservation::new()?),
            vmas: BTreeMap::new(),
            mmap_base: GUEST_LIMIT,
            brk_start: 0,
            brk: 0,
            code_gen: Arc::new(AtomicU64::new(0)),
        })
    }

    /// A handle for one vCPU's interpreter and the syscall layer.
    pub fn handle(&self) -> GuestMem {
        GuestMem::new(self.res.clone())
    }

    fn perms(&self, start: u64, end: u64) -> &[AtomicU8] {
        self.res.perms(start, end)
    }

    fn set_perms(&self, start: u64, end: u64, bits: u8) {
        for p in self.perms(start, end) {
            p.store(bits, Ordering::Relaxed);
        }
    }

    fn host(&self, addr: u64) -> *mut u8 {
        debug_assert!(addr <= GUEST_LIMIT);
        // SAFETY: addresses up to the limit are inside the reservation.
        unsafe { self.res.base.add(addr as usize) }
    }

    /// Where guest memory and its permission table are, for translated code.
    pub fn layout(&self) -> translator::Layout {
        translator::Layout {
            base: self.res.base,
            limit: GUEST_LIMIT,
        }
    }

    /// The table bits of the page holding `addr` (0 past the limit).
    pub fn perm_at(&self, addr: u64) -> u8 {
        if addr >= GUEST_LIMIT {
            return 0;
        }
        let page = page_down(addr);
        self.perms(page, page + PAGE)[0].load(Ordering::Relaxed) & !perm::WATCHED
    }

    /// Whether any page in `start..end` is mapped.
    pub fn any_mapped(&self, start: u64, end: u64) -> bool {
        vma::overlaps(&self.vmas, start, end)
    }

    /// Whether every page in `start..end` is mapped.
    pub fn all_mapped(&self, start: u64, end: u64) -> bool {
        self.perms(start, end)
            .iter()
            .all(|p| p.load(Ordering::Relaxed) & perm::MAPPED != 0)
    }

    /// Maps fresh zeroed pages at `start..start+len` (page aligned, inside the limit) with
    /// guest protections `prot`, replacing whatever was there.
    pub fn map_fixed(&mut self, start: u64, len: u64, prot: u32) -> io::Result<()> {
        let end = check_range(start, len)?;
        let code = self.has_code(start, end);
        let bits = prot_to_perm(prot);
        {
            let _l = self.res.watch.lock();
            self.fresh_pages(start, len, host_prot(bits))?;
            self.set_perms(start, end, bits | perm::PRIVATE);
        }
        vma::insert(&mut self.vmas, start, end);
        self.code_written_if(code, start, end);
        Ok(())
    }

    /// Maps shared zeroed pages at `start..start+len` (page aligned, inside the limit) with
    /// guest protections `prot`, replacing whatever was there: MAP_SHARED|MAP_ANONYMOUS. The
    /// rest of the reservation is private, so a host fork copies it; these pages are a host
    /// shared mapping, which a fork's child shares with its parent, as on Linux.
    pub fn map_shared_anon(&mut self, start: u64, len: u64, prot: u32) -> io::Result<()> {
        let end = check_range(start, len)?;
        let code = self.has_code(start, end);
        let bits = prot_to_perm(prot);
        let l = self.res.watch.lock();
        // SAFETY: the range is inside the reservation, which MAP_FIXED replaces in place.
        let r = unsafe {
            libc::mmap(
                self.host(start).cast(),
                len as usize,
                host_prot(bits),
                libc::MAP_SHARED | libc::MAP_ANONYMOUS | libc::MAP_FIXED | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if r == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        self.set_perms(start, end, bits);
        drop(l);
        vma::insert(&mut self.vmas, start, end);
        self.code_written_if(code, start, end);
        Ok(())
    }

    /// Maps `len` bytes of the host file `file.fd` from `file.offset` at `start` (page
    /// aligned, inside the limit) with guest protections `prot`, replacing whatever was
    /// there. The host maps it, so pages are read when first touched, a private mapping's
    /// MADV_DONTNEED reads the file again, and a page past the end of the file is a bus error.
    /// The host's refusal (ENODEV, EACCES, …) is the guest's; nothing changes then.
    pub fn map_file(&mut self, start: u64, len: u64, prot: u32, file: FileMap) -> io::Result<()> {
        let end = check_range(start, len)?;
        let bits = prot_to_perm(prot);
        let kind = if file.shared {
            libc::MAP_SHARED
        } else {
            libc::MAP_PRIVATE
        };
        // Not MAP_FIXED yet: a refused mapping must leave what is at `start` alone, so map it
        // anywhere first and move it into place.
        // SAFETY: a new mapping at an address the kernel picks touches nothing else.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len as usize,
                host_prot(bits),
                kind,
                file.fd,
                file.offset as libc::off_t,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let code = self.has_code(start, end);
        let l = self.res.watch.lock();
        // SAFETY: `p` is the mapping just made; the target is inside the reservation, which
        // MREMAP_FIXED replaces page for page.
        let r = unsafe {
            libc::mremap(
                p,
                len as usize,
                len as usize,
                libc::MREMAP_MAYMOVE | libc::MREMAP_FIXED,
                self.host(start),
            )
        };
        if r == libc::MAP_FAILED {
            let e = io::Error::last_os_error();
            // SAFETY: `p` is still the mapping made above, used by nothing else.
            unsafe { libc::munmap(p, len as usize) };
            return Err(e);
        }
        let private = if file.shared { 0 } else { perm::PRIVATE };
        self.set_perms(start, end, bits | private);
        drop(l);
        vma::insert(&mut self.vmas, start, end);
        self.code_written_if(code, start, end);
        Ok(())
    }

    /// Unmaps `start..start+len`; unmapped parts are fine.
    pub fn unmap(&mut self, start: u64, len: u64) -> io::Result<()> {
        let end = check_range(start, len)?;
        let code = self.has_code(start, end);
        {
            let _l = self.res.watch.lock();
            // The table first: an access checked after this faults in software; one checked
            // before faults on the host, which the fault-safe routines survive.
            self.set_perms(start, end, 0);
            // Replacing with a fresh PROT_NONE mapping gives the memory back and keeps the
            // reservation whole.
            self.fresh_pages(start, len, libc::PROT_NONE)?;
        }
        vma::remove(&mut self.vmas, start, end);
        self.code_written_if(code, start, end);
        Ok(())
    }

    /// MADV_DONTNEED on `start..end` (page aligned, every page mapped): the host drops the
    /// pages, so anonymous memory reads zero and a private file mapping reads the file
    /// again; translations of executable pages there are forgotten.
    pub fn drop_pages(&mut self, start: u64, end: u64) -> io::Result<()> {
        self.advise(start, end, libc::MADV_DONTNEED)?;
        let code = self.has_code(start, end);
        self.code_written_if(code, start, end);
        Ok(())
    }

    /// The host's madvise on `start..end` (page aligned, inside the limit).
    pub fn advise(&self, start: u64, end: u64, advice: i32) -> io::Result<()> {
        // SAFETY: the range is inside the reservation; advice changes what the pages hold
        // at most, which guest accesses are ready for (they never hold references).
        let r = unsafe { libc::madvise(self.host(start).cast(), (end - start) as usize, advice) };
        if r < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// The host's msync on `start..end` (page aligned, inside the limit).
    pub fn sync(&self, start: u64, end: u64, flags: i32) -> io::Result<()> {
        // SAFETY: the range is inside the reservation; msync only writes pages back.
        let r = unsafe { libc::msync(self.host(start).cast(), (end - start) as usize, flags) };
        if r < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Puts fresh zeroed host pages with host protections `prot` at guest `start..start+len`
    /// (checked by the caller), replacing what was there.
    fn fresh_pages(&self, start: u64, len: u64, prot: libc::c_int) -> io::Result<()> {
        // SAFETY: the range is inside the reservation, which MAP_FIXED replaces in place.
        let r = unsafe {
            libc::mmap(
                self.host(start).cast(),
                len as usize,
                prot,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if r == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Changes the guest protections of `start..start+len`; every page must be mapped.
    /// Fails with the host's errno where the host refuses (EACCES: writable shared mapping
    /// of a file not open for writing), leaving the protections as they were.
    pub fn protect(&mut self, start: u64, len: u64, prot: u32) -> Result<(), i32> {
        let end = check_range(start, len).map_err(|_| libc::EINVAL)?;
        if !self.all_mapped(start, end) {
            return Err(libc::ENOMEM);
        }
        let bits = prot_to_perm(prot);
        let code = self.has_code(start, end);
        let l = self.res.watch.lock();
        let old: Vec<u8> = self
            .perms(start, end)
            .iter()
            .map(|p| p.load(Ordering::Relaxed))
            .collect();
        // SAFETY: the range is inside the reservation.
        let r = unsafe { libc::mprotect(self.host(start).cast(), len as usize, host_prot(bits)) };
        if r < 0 {
            let e = io::Error::last_os_error()
                .raw_os_error()
                .unwrap_or(libc::EACCES);
            self.sync_host(start, end, &old);
            return Err(e);
        }
        for (p, old) in self.perms(start, end).iter().zip(old) {
            p.store(bits | old & perm::PRIVATE, Ordering::Relaxed);
        }
        drop(l);
        self.code_written_if(code, start, end);
        Ok(())
    }

    /// Adds the guest protections `prot` to the mapped pages of `start..end` (the loader's
    /// segments, which may share a page).
    pub fn add_perm(&mut self, start: u64, end: u64, prot: u32) {
        let bits = prot_to_perm(prot);
        let (start, end) = (page_down(start), page_up(end).unwrap_or(GUEST_LIMIT));
        let code = self.has_code(start, end);
        {
            let _l = self.res.watch.lock();
            for p in self.perms(start, end) {
                if p.load(Ordering::Relaxed) & perm::MAPPED != 0 {
                    p.fetch_or(bits, Ordering::Relaxed);
                }
            }
            let now = self.table_copy(start, end);
            self.sync_host(start, end, &now);
        }
        // Code on a page the guest could not write was not watched: now it is compared.
        self.code_written_if(code, start, end);
    }

    fn table_copy(&self, start: u64, end: u64) -> Vec<u8> {
        self.perms(start, end)
            .iter()
            .map(|p| p.load(Ordering::Relaxed))
            .collect()
    }

    /// Sets the host protections of `start..end` (page aligned) from table bits `perms`, a
    /// run of equal pages at a time. These are protections pages had or anonymous pages
    /// take, which the host does not refuse.
    fn sync_host(&self, start: u64, end: u64, perms: &[u8]) {
        debug_assert_eq!(perms.len() as u64, (end - start) / PAGE);
        let mut i = 0;
        while i < perms.len() {
            let mut j = i + 1;
            while j < perms.len() && perms[j] == perms[i] {
                j += 1;
            }
            let at = start + i as u64 * PAGE;
            // SAFETY: the run is inside the reservation.
            let r = unsafe {
                libc::mprotect(
                    self.host(at).cast(),
                    (j - i) * PAGE as usize,
                    host_prot(perms[i]),
                )
            };
            assert_eq!(r, 0, "mprotect of guest pages");
            i = j;
        }
    }

    /// Whether `start..end` (page aligned) may hold translated code: a page is executable.
    fn has_code(&self, start: u64, end: u64) -> bool {
        self.perms(start, end)
            .iter()
            .any(|p| p.load(Ordering::Relaxed) & perm::X != 0)
    }

    /// Code in `start..end` may have changed other than by a guest store (a change of
    /// mappings, or a write the host makes for mimic): logs the range for the translator's
    /// next sync, and bumps `code_gen` so that every vCPU syncs before it runs on. The
    /// caller changed the pages first.
    pub fn code_written(&self, start: u64, end: u64) {
        let (start, end) = (page_down(start), page_up(end).unwrap_or(GUEST_LIMIT));
        {
            let l = self.res.watch.lock();
            self.res.watch.note(&l, start, end);
        }
        self.code_gen.fetch_add(1, Ordering::Release);
    }

    fn code_written_if(&self, code: bool, start: u64, end: u64) {
        if code {
            self.code_written(start, end);
        }
    }

    /// In a fork's child: frees what the parent's other threads held of the watch of code
    /// pages (see `watch`).
    pub fn after_fork(&self) {
        self.res.watch.after_fork();
    }

    /// A free, page-aligned range of `len` bytes aligned to `align`, highest first below
    /// `mmap_base` (as Linux's top-down allocator), else anywhere above `hint` is not used.
    pub fn find_free(&self, len: u64, align: u64) -> Option<u64> {
        vma::find_free_top_down(&self.vmas, len, align.max(PAGE), PAGE * 16, self.mmap_base)
    }

    /// Copies `data` to guest memory at `addr` ignoring guest protections (the loader's and
    /// the kernel's own writes). The pages must be mapped and not a read-only shared file.
    pub fn write_raw(&mut self, addr: u64, data: &[u8]) {
        let len = data.len() as u64;
        assert!(addr.checked_add(len).is_some_and(|e| e <= GUEST_LIMIT));
        let (start, end) = (
            page_down(addr),
            page_up(addr + len).expect("below the limit"),
        );
        let code = self.has_code(start, end);
        let l = self.res.watch.lock();
        // SAFETY: the range is inside the reservation.
        let r = unsafe {
            libc::mprotect(
                self.host(start).cast(),
                (end - start) as usize,
                libc::PROT_READ | libc::PROT_WRITE,
            )
        };
        assert_eq!(r, 0, "mprotect of mapped guest pages");
        // SAFETY: the pages are mapped and writable now; the mapping lock (&mut self) keeps
        // other threads from unmapping them, and the copy is fault-safe regardless.
        let done = unsafe { access::copy(self.host(addr), data.as_ptr(), data.len()) };
        assert_eq!(done.sig, 0, "write to mapped guest pages");
        let now = self.table_copy(start, end);
        self.sync_host(start, end, &now);
        drop(l);
        self.code_written_if(code, start, end);
    }

    /// The mapped parts of `start..end`, in order.
    pub fn mapped_in(&self, start: u64, end: u64) -> Vec<(u64, u64)> {
        vma::clipped(&self.vmas, start, end)
    }

    /// The mapped range containing `addr`, if any.
    pub fn vma_at(&self, addr: u64) -> Option<(u64, u64)> {
        vma::containing(&self.vmas, addr)
    }

    /// Moves the pages of `old..old+old_len` to `new..new+new_len` (page aligned; `new`
    /// already unmapped and apart from `old`), keeping contents and protections. Growing,
    /// the host extends the mapping as Linux does: zero pages for private anonymous memory,
    /// the file's next pages for a file mapping, and pages past the end of a shared
    /// anonymous object that are a bus error. New pages take the last old page's bits.
    pub fn move_pages(&mut self, old: u64, old_len: u64, new: u64, new_len: u64) -> io::Result<()> {
        check_range(old, old_len)?;
        check_range(new, new_len)?;
        let l = self.res.watch.lock();
        // SAFETY: both ranges are inside the reservation; MREMAP_FIXED replaces the target.
        let r = unsafe {
            libc::mremap(
                self.host(old).cast(),
                old_len as usize,
                new_len as usize,
                libc::MREMAP_MAYMOVE | libc::MREMAP_FIXED,
                self.host(new),
            )
        };
        if r == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let mut perms = self.table_copy(old, old + old_len);
        let last = perms.last().copied().unwrap_or(0);
        perms.resize((new_len / PAGE) as usize, last);
        for (p, &b) in self.perms(new, new + new_len).iter().zip(&perms) {
            p.store(b, Ordering::Relaxed);
        }
        drop(l);
        vma::insert(&mut self.vmas, new, new + new_len);
        // mremap left a hole in the reservation: fill it with PROT_NONE again.
        self.unmap(old, old_len)
    }

    /// Grows `old..old+old_len` in place to `new_len` bytes (page aligned; the pages after it
    /// unmapped), the host extending the mapping as [`AddressSpace::move_pages`] says. Fails,
    /// changing nothing, where the host cannot: the range is more than one host mapping.
    pub fn grow_in_place(&mut self, old: u64, old_len: u64, new_len: u64) -> io::Result<()> {
        let end = check_range(old, new_len)?;
        let tail = old + old_len;
        if old_len == 0 || tail >= end {
            return Err(io::Error::from_raw_os_error(libc::EINVAL));
        }
        let _l = self.res.watch.lock();
        // The host grows a mapping in place only into addresses nothing holds, so the
        // reservation's filler after it goes first (and comes back if the host refuses).
        // SAFETY: the tail is inside the reservation and unmapped for the guest: no guest
        // access reaches it (the table says so), and it is filled again below on failure.
        unsafe { libc::munmap(self.host(tail).cast(), (end - tail) as usize) };
        // SAFETY: `old..tail` is a mapping inside the reservation; without MREMAP_MAYMOVE
        // the host grows it in place into the hole just made, or fails and leaves it.
        let r =
            unsafe { libc::mremap(self.host(old).cast(), old_len as usize, new_len as usize, 0) };
        if r == libc::MAP_FAILED {
            let e = io::Error::last_os_error();
            self.fresh_pages(tail, end - tail, libc::PROT_NONE)?;
            return Err(e);
        }
        self.set_perms(tail, end, self.perm_at(tail - PAGE));
        vma::insert(&mut self.vmas, old, end);
        Ok(())
    }
}

fn check_range(start: u64, len: u64) -> io::Result<u64> {
    match start.checked_add(len) {
        Some(end)
            if start.is_multiple_of(PAGE) && len.is_multiple_of(PAGE) && end <= GUEST_LIMIT =>
        {
            Ok(end)
        }
        _ => Err(io::Error::from_raw_os_error(libc::EINVAL)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use isa_a::{Access, Bus, MemFault};

    #[test]
    fn mapped_pages_obey_guest_protections() {
        let mut a = AddressSpace::new().unwrap();
        a.map_fixed(0x10000, 0x2000, (libc::PROT_READ | libc::PROT_WRITE) as u32)
            .unwrap();
        let mut m = a.handle();
        m.store64(0x10ff0, 0x1122334455667788).unwrap();
        assert_eq!(m.load64(0x10ff0).unwrap(), 0x1122334455667788);
        // Crossing into the second page is fine, past the end is not.
        m.store64(0x10ffc, 7).unwrap();
        assert_eq!(
            m.load64(0x11ffc),
            Err(MemFault {
                addr: 0x12000,
                access: Access::Read
            })
        );
        assert_eq!(
            m.fetch16(0x10000),
            Err(MemFault {
                addr: 0x10000,
                access: Access::Execute
            })
        );
        a.protect(0x10000, 0x1000, libc::PROT_READ as u32).unwrap();
        assert_eq!(
            m.store8(0x10000, 1),
            Err(MemFault {
                addr: 0x10000,
                access: Access::Write
            })
        );
        assert_eq!(m.load8(0x10000).unwrap(), 0);
        for wild in [
            0,
            u64::MAX,
            u64::MAX - 3,
            GUEST_LIMIT,
            GUEST_LIMIT - 4,
            1 << 63,
        ] {
            assert!(m.load32(wild).is_err(), "{wild:#x}");
            assert!(m.store32(wild, 0).is_err(), "{wild:#x}");
        }
        a.unmap(0x10000, 0x2000).unwrap();
        assert!(m.load8(0x10ff0).is_err());
    }

    /// An access straddling the top of guest memory from an unmapped page faults at its
    /// first byte, as on Linux and in translated code; from a mapped one, at the limit.
    #[test]
    fn an_access_past_the_limit_faults_at_the_first_page_it_may_not_touch() {
        let mut a = AddressSpace::new().unwrap();
        let mut m = a.handle();
        let read = |addr| {
            Err(MemFault {
                addr,
                access: Access::Read,
            })
        };
        assert_eq!(m.load64(GUEST_LIMIT - 3), read(GUEST_LIMIT - 3));
        a.map_fixed(GUEST_LIMIT - PAGE, PAGE, libc::PROT_READ as u32)
            .unwrap();
        assert_eq!(m.load64(GUEST_LIMIT - 3), read(GUEST_LIMIT));
        assert_eq!(m.load64(GUEST_LIMIT - 8).unwrap(), 0);
    }

    #[test]
    fn free_space_is_found_top_down() {
        let mut a = AddressSpace::new().unwrap();
        a.mmap_base = 0x100000;
        let x = a.find_free(0x2000, PAGE).unwrap();
        assert_eq!(x, 0xfe000);
        a.map_fixed(x, 0x2000, 3).unwrap();
        assert_eq!(a.find_free(0x1000, PAGE).unwrap(), 0xfd000);
        let mut m = a.handle();
        assert_eq!(m.amo(x, isa_a::AmoOp::Add, 5, 64).unwrap(), 0);
        assert!(m.compare_store(x, 5, 9, 64).unwrap());
        assert_eq!(m.load64(x).unwrap(), 9);
    }
}
