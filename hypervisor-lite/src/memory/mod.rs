//! The guest address space: one host reservation, guest address `g` at `base + g`.
//!
//! ```text
//!   host:  base ─────────────────────────────────────────── base + GUEST_LIMIT ─ guard page
//!          │ host protections mirror the guest's (host_prot)   │ PROT_NONE    │
//!   perms: one byte per guest page: R W X (what the guest asked for)
//! ```
//!
//! The guest's protections live in the per-page table, and every interpreter access and
//! every syscall pointer is checked against it in software, so those never fault on the
//! host. The host protections mirror the table (no access: none; read-only or execute: read;
//! writable: read/write) for translated code, which checks only `addr < GUEST_LIMIT` and
//! lets the host fault (the translator's fault handler makes that the guest's fault); the
//! guard page catches an access that starts below the limit and ends past it. The mapping's
//! own writes that ignore guest protections (`write_raw`, `zero_raw`) lift the host
//! protection for their duration.

mod bus;
mod vma;

pub use bus::GuestMem;

use std::collections::BTreeMap;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Guest page size (and the host's).
pub const PAGE: u64 = 4096;
/// One past the highest guest address: riscv64 Sv39 user space.
pub const GUEST_LIMIT: u64 = 1 << 38;

/// The reservation: the guest's addresses and a guard page.
const RESERVED: usize = (GUEST_LIMIT + PAGE) as usize;

/// Guest page permission bits in the table.
pub mod perm {
    pub const R: u8 = 1;
    pub const W: u8 = 2;
    pub const X: u8 = 4;
    /// The page is mapped (possibly with no access, as for PROT_NONE).
    pub const MAPPED: u8 = 8;
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
/// decoder reads it through the table check).
pub fn host_prot(bits: u8) -> i32 {
    if bits & perm::W != 0 {
        libc::PROT_READ | libc::PROT_WRITE
    } else if bits & (perm::R | perm::X) != 0 {
        libc::PROT_READ
    } else {
        libc::PROT_NONE
    }
}

/// The whole guest address space of a process.
pub struct AddressSpace {
    base: *mut u8,
    perms: *mut u8,
    /// Mapped ranges, start → end, for finding free space and for munmap/mremap.
    vmas: BTreeMap<u64, u64>,
    /// Non-fixed mmaps are placed top-down below this.
    pub mmap_base: u64,
    pub brk_start: u64,
    pub brk: u64,
    /// Bumped when executable pages are unmapped, replaced or re-protected (and on
    /// `fence.i`): every vCPU compares it with the generation its decoded blocks belong to
    /// between slices and forgets them when it moved. Shared so that it is read without the
    /// mapping lock.
    pub code_gen: Arc<AtomicU64>,
}

// The raw pointers are owned mappings; sharing between vCPU threads is the point.
unsafe impl Send for AddressSpace {}
unsafe impl Sync for AddressSpace {}

impl AddressSpace {
    /// Reserves `GUEST_LIMIT` bytes of host address space with no access, and the page table.
    pub fn new() -> io::Result<AddressSpace> {
        let base = host_mmap(RESERVED, libc::PROT_NONE)?;
        let perms = match host_mmap(
            (GUEST_LIMIT / PAGE) as usize,
            libc::PROT_READ | libc::PROT_WRITE,
        ) {
            Ok(p) => p,
            Err(e) => {
                unsafe { libc::munmap(base.cast(), RESERVED) };
                return Err(e);
            }
        };
        Ok(AddressSpace {
            base,
            perms,
            vmas: BTreeMap::new(),
            mmap_base: GUEST_LIMIT,
            brk_start: 0,
            brk: 0,
            code_gen: Arc::new(AtomicU64::new(0)),
        })
    }

    /// A handle for one vCPU's interpreter and the syscall layer.
    pub fn handle(&self) -> GuestMem {
        GuestMem::new(self.base, self.perms)
    }

    fn perm_slice(&mut self, start: u64, end: u64) -> &mut [u8] {
        debug_assert!(start <= end && end <= GUEST_LIMIT);
        unsafe {
            std::slice::from_raw_parts_mut(
                self.perms.add((start / PAGE) as usize),
                ((end - start) / PAGE) as usize,
            )
        }
    }

    /// Where guest memory and its permission table are, for translated code.
    pub fn layout(&self) -> translator::Layout {
        translator::Layout {
            base: self.base,
            limit: GUEST_LIMIT,
        }
    }

    /// The table bits of the page holding `addr` (0 past the limit).
    pub fn perm_at(&self, addr: u64) -> u8 {
        if addr >= GUEST_LIMIT {
            return 0;
        }
        unsafe { *self.perms.add((addr / PAGE) as usize) }
    }

    /// Whether any page in `start..end` is mapped.
    pub fn any_mapped(&self, start: u64, end: u64) -> bool {
        vma::overlaps(&self.vmas, start, end)
    }

    /// Maps fresh zeroed pages at `start..start+len` (page aligned, inside the limit) with
    /// guest protections `prot`, replacing whatever was there.
    pub fn map_fixed(&mut self, start: u64, len: u64, prot: u32) -> io::Result<()> {
        let end = check_range(start, len)?;
        self.note_code_change(start, end);
        let bits = prot_to_perm(prot);
        self.fresh_pages(start, len, host_prot(bits))?;
        self.perm_slice(start, end).fill(bits);
        vma::insert(&mut self.vmas, start, end);
        Ok(())
    }

    /// Unmaps `start..start+len`; unmapped parts are fine.
    pub fn unmap(&mut self, start: u64, len: u64) -> io::Result<()> {
        let end = check_range(start, len)?;
        self.note_code_change(start, end);
        // Replacing with a fresh PROT_NONE mapping gives the memory back and keeps the
        // reservation whole.
        self.fresh_pages(start, len, libc::PROT_NONE)?;
        self.perm_slice(start, end).fill(0);
        vma::remove(&mut self.vmas, start, end);
        Ok(())
    }

    /// Puts fresh zeroed host pages with host protections `prot` at guest `start..start+len`
    /// (checked by the caller), replacing what was there.
    fn fresh_pages(&self, start: u64, len: u64, prot: libc::c_int) -> io::Result<()> {
        let p = unsafe { self.base.add(start as usize) };
        let r = unsafe {
            libc::mmap(
                p.cast(),
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
    pub fn protect(&mut self, start: u64, len: u64, prot: u32) -> Result<(), i32> {
        let end = check_range(start, len).map_err(|_| libc::EINVAL)?;
        if self
            .perm_slice(start, end)
            .iter()
            .any(|&p| p & perm::MAPPED == 0)
        {
            return Err(libc::ENOMEM);
        }
        self.note_code_change(start, end);
        let bits = prot_to_perm(prot);
        self.perm_slice(start, end).fill(bits);
        self.sync_host(start, end);
        Ok(())
    }

    /// Adds the guest protections `prot` to the mapped pages of `start..end` (the loader's
    /// segments, which may share a page).
    pub fn add_perm(&mut self, start: u64, end: u64, prot: u32) {
        let bits = prot_to_perm(prot);
        for p in self.perm_slice(start, end) {
            if *p & perm::MAPPED != 0 {
                *p |= bits;
            }
        }
        self.sync_host(page_down(start), page_up(end).unwrap_or(GUEST_LIMIT));
    }

    /// Sets the host protections of `start..end` (page aligned) from the table, a run of
    /// equal pages at a time.
    fn sync_host(&mut self, start: u64, end: u64) {
        let perms = self.perm_slice(start, end).to_vec();
        let mut i = 0;
        while i < perms.len() {
            let mut j = i + 1;
            while j < perms.len() && perms[j] == perms[i] {
                j += 1;
            }
            let at = start + i as u64 * PAGE;
            let r = unsafe {
                libc::mprotect(
                    self.base.add(at as usize).cast(),
                    (j - i) * PAGE as usize,
                    host_prot(perms[i]),
                )
            };
            assert_eq!(r, 0, "mprotect of guest pages");
            i = j;
        }
    }

    /// Runs `f` on `addr..addr+len` with the host protections lifted to read/write.
    fn unprotected(&mut self, addr: u64, len: u64, f: impl FnOnce(*mut u8)) {
        assert!(addr.checked_add(len).is_some_and(|e| e <= GUEST_LIMIT));
        let (start, end) = (
            page_down(addr),
            page_up(addr + len).expect("below the limit"),
        );
        let r = unsafe {
            libc::mprotect(
                self.base.add(start as usize).cast(),
                (end - start) as usize,
                libc::PROT_READ | libc::PROT_WRITE,
            )
        };
        assert_eq!(r, 0, "mprotect of mapped guest pages");
        f(unsafe { self.base.add(addr as usize) });
        self.sync_host(start, end);
    }

    fn note_code_change(&mut self, start: u64, end: u64) {
        if self
            .perm_slice(start, end)
            .iter()
            .any(|&p| p & perm::X != 0)
        {
            self.code_gen.fetch_add(1, Ordering::Release);
        }
    }

    /// A free, page-aligned range of `len` bytes aligned to `align`, highest first below
    /// `mmap_base` (as Linux's top-down allocator), else anywhere above `hint` is not used.
    pub fn find_free(&self, len: u64, align: u64) -> Option<u64> {
        vma::find_free_top_down(&self.vmas, len, align.max(PAGE), PAGE * 16, self.mmap_base)
    }

    /// Copies `data` to guest memory at `addr` ignoring guest protections (the loader's and
    /// the kernel's own writes). The pages must be mapped.
    pub fn write_raw(&mut self, addr: u64, data: &[u8]) {
        self.unprotected(addr, data.len() as u64, |p| unsafe {
            std::ptr::copy_nonoverlapping(data.as_ptr(), p, data.len())
        });
    }

    /// Zeroes guest memory at `addr..addr+len` ignoring protections; pages must be mapped.
    pub fn zero_raw(&mut self, addr: u64, len: u64) {
        self.unprotected(addr, len, |p| unsafe {
            std::ptr::write_bytes(p, 0, len as usize)
        });
    }

    /// The mapped range containing `addr`, if any.
    pub fn vma_at(&self, addr: u64) -> Option<(u64, u64)> {
        vma::containing(&self.vmas, addr)
    }

    /// Moves the pages of `old..old+len` to `new` (both page aligned; `new` already unmapped),
    /// keeping contents and protections.
    pub fn move_pages(&mut self, old: u64, new: u64, len: u64) -> io::Result<()> {
        check_range(old, len)?;
        check_range(new, len)?;
        let r = unsafe {
            libc::mremap(
                self.base.add(old as usize).cast(),
                len as usize,
                len as usize,
                libc::MREMAP_MAYMOVE | libc::MREMAP_FIXED,
                self.base.add(new as usize),
            )
        };
        if r == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let perms = self.perm_slice(old, old + len).to_vec();
        self.perm_slice(new, new + len).copy_from_slice(&perms);
        vma::insert(&mut self.vmas, new, new + len);
        // mremap left a hole in the reservation: fill it with PROT_NONE again.
        self.unmap(old, len)
    }
}

impl Drop for AddressSpace {
    fn drop(&mut self) {
        unsafe {
            libc::munmap(self.base.cast(), RESERVED);
            libc::munmap(self.perms.cast(), (GUEST_LIMIT / PAGE) as usize);
        }
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

fn host_mmap(len: usize, prot: i32) -> io::Result<*mut u8> {
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            prot,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        Err(io::Error::last_os_error())
    } else {
        Ok(p.cast())
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
