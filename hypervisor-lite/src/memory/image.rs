//! The address space as a snapshot sees it: the mapped ranges, the permission table, which
//! pages hold anything, and raw reads and writes that ignore guest protections. A snapshot
//! reads through these with every vCPU stopped; a resume rebuilds the space through them
//! before any vCPU exists.

use super::{access, host_prot, page_down, perm, vma, AddressSpace, GUEST_LIMIT, PAGE};
use std::io;
use std::sync::atomic::Ordering;

impl AddressSpace {
    /// Every mapped range, start → end, in order.
    pub fn ranges(&self) -> Vec<(u64, u64)> {
        self.vmas.iter().map(|(&s, &e)| (s, e)).collect()
    }

    /// The table bits of each page of `start..end` (page aligned, inside the limit).
    pub fn table_of(&self, start: u64, end: u64) -> Vec<u8> {
        self.table_copy(start, end)
    }

    /// Which pages of `start..end` the host has memory for (touched at least once, or a
    /// file's page in the page cache): the others read as zero or as their file reads.
    pub fn resident(&self, start: u64, end: u64) -> io::Result<Vec<bool>> {
        let n = ((end - start) / PAGE) as usize;
        let mut v = vec![0u8; n];
        // SAFETY: the range is inside the reservation; mincore writes one byte per page.
        let r = unsafe {
            libc::mincore(
                self.host(start).cast(),
                (end - start) as usize,
                v.as_mut_ptr(),
            )
        };
        if r < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(v.into_iter().map(|b| b & 1 != 0).collect())
    }

    /// Reads the mapped page range `start..end` whatever its guest protections, lifting a
    /// no-access host protection for the copy. Fails (EFAULT) where the host cannot read
    /// it, as past the end of a mapped file.
    pub fn read_raw(&self, start: u64, out: &mut [u8]) -> io::Result<()> {
        let end = start + out.len() as u64;
        assert!(end <= GUEST_LIMIT && start == page_down(start));
        let table = self.table_copy(start, super::page_up(end).expect("below the limit"));
        let hidden = table.iter().any(|&b| host_prot(b) == libc::PROT_NONE);
        if hidden {
            // SAFETY: the range is inside the reservation; protections are put back below.
            unsafe { libc::mprotect(self.host(start).cast(), out.len(), libc::PROT_READ) };
        }
        // SAFETY: fault-safe copy out of the reservation into `out`.
        let done = unsafe { access::copy(out.as_mut_ptr(), self.host(start), out.len()) };
        if hidden {
            self.sync_host(start, end, &table);
        }
        if done.sig != 0 {
            return Err(io::Error::from_raw_os_error(libc::EFAULT));
        }
        Ok(())
    }

    /// Sets the table bits of `start..end` (mapped, page aligned) to `bits`, one per page,
    /// and the host protections to match: the exact table a snapshot recorded.
    pub fn set_table(&mut self, start: u64, end: u64, bits: &[u8]) {
        assert_eq!(bits.len() as u64, (end - start) / PAGE);
        for (p, &b) in self.perms(start, end).iter().zip(bits) {
            p.store(b, Ordering::Relaxed);
        }
        self.sync_host(start, end, bits);
        self.code_gen.fetch_add(1, Ordering::Release);
    }

    /// Whether the page at `addr` is mapped shared (MAP_SHARED).
    pub fn is_shared(&self, addr: u64) -> bool {
        let b = self.perm_at(addr);
        b & perm::MAPPED != 0 && b & perm::PRIVATE == 0
    }

    /// Whether `start..end` is one mapped range of the set.
    pub fn has_range(&self, start: u64, end: u64) -> bool {
        vma::containing(&self.vmas, start) == Some((start, end))
    }
}

/// Starts dirty tracking for the whole host process: every page's soft-dirty bit is
/// cleared, and the kernel sets it again at the page's next write. Fails where the kernel
/// accepts the request but keeps no bits (built without soft-dirty support): a page written
/// after the clear must show its bit.
pub fn clear_soft_dirty() -> io::Result<()> {
    std::fs::write("/proc/self/clear_refs", "4")?;
    if soft_dirty_works() {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "the kernel keeps no soft-dirty bits",
        ))
    }
}

/// Whether a page written now shows its soft-dirty bit in the pagemap.
fn soft_dirty_works() -> bool {
    use std::os::unix::fs::FileExt;
    let len = PAGE as usize;
    // SAFETY: a fresh private anonymous page of our own, written and unmapped here.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return false;
    }
    // SAFETY: `p` is the page mapped above, writable.
    unsafe { std::ptr::write_volatile(p as *mut u8, 1) };
    let mut raw = [0u8; 8];
    let read = std::fs::File::open("/proc/self/pagemap")
        .and_then(|f| f.read_exact_at(&mut raw, p as u64 / PAGE * 8));
    // SAFETY: unmaps only the page mapped above.
    unsafe { libc::munmap(p, len) };
    read.is_ok() && u64::from_le_bytes(raw) >> 55 & 1 != 0
}

impl AddressSpace {
    /// Which pages of `start..end` were written since [`clear_soft_dirty`] (the pagemap's
    /// soft-dirty bit, 55).
    pub fn soft_dirty(&self, start: u64, end: u64) -> io::Result<Vec<bool>> {
        use std::os::unix::fs::FileExt;
        let f = std::fs::File::open("/proc/self/pagemap")?;
        let n = ((end - start) / PAGE) as usize;
        let mut raw = vec![0u8; n * 8];
        let first = self.host(start) as u64 / PAGE;
        f.read_exact_at(&mut raw, first * 8)?;
        Ok(raw
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")) >> 55 & 1 != 0)
            .collect())
    }
}
