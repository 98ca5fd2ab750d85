//! Executable code buffers that are never writable and executable at once.
//!
//! One memfd, mapped twice: a read-write view the translator writes through and a read-execute
//! view the host runs. Neither view is ever both writable and executable (W^X), and patching
//! a jump in running code is a write to the RW view, no mprotect flip that another thread
//! could run into. The file is sized to the whole capacity at creation (it is sparse: pages
//! exist once code is written to them), so all code lies within ±2 GiB of itself and blocks
//! reach each other with `jmp rel32`; the descriptor is closed once both views are mapped,
//! since the guest shares mimic's descriptor table and every vCPU has a buffer.
//!
//! Each page of code is one page of memory, but both views map it, and a process's resident
//! set counts it once per view. The RW view is only written while code is committed or
//! patched, so its page-table entries for whole pages of committed code are dropped
//! (`MADV_DONTNEED`, which on a shared memfd keeps the contents: a later write maps the page
//! again) whenever a commit fills a page: the code counts once, as it exists once.

use crate::emit::{patch_site_len, rel32};
use memmap2::{Mmap, MmapMut, MmapOptions};
use std::fs::File;
use std::io;
use std::os::fd::FromRawFd;

/// The host's cache line: a store within one is seen whole by other cores' instruction fetch.
const CACHE_LINE: u64 = 64;

/// Capacities are whole multiples of this.
pub const CHUNK: usize = 1 << 20;

pub struct CodeBuffer {
    rw: MmapMut,
    rx: Mmap,
    /// Bytes handed out.
    used: usize,
    /// The RW view's page-table entries below this offset were dropped at the last commit
    /// that filled a page (patches since may have mapped some again).
    released: usize,
}

/// The host's page size, the unit of [`CodeBuffer`]'s release of its RW view.
const PAGE: usize = 4096;

impl CodeBuffer {
    /// Reserves `capacity` bytes of code space (rounded up to a chunk; at most 1 GiB so rel32
    /// reaches across it).
    pub fn new(capacity: usize) -> io::Result<CodeBuffer> {
        let capacity = capacity.div_ceil(CHUNK).max(1) * CHUNK;
        assert!(capacity <= 1 << 30, "code buffer too large for rel32 jumps");
        // SAFETY: memfd_create takes a NUL-terminated name and touches no memory of ours.
        let fd = unsafe { libc::memfd_create(c"mimic-code".as_ptr(), libc::MFD_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: memfd_create returned a descriptor nothing else owns.
        let file = unsafe { File::from_raw_fd(fd) };
        file.set_len(capacity as u64)?;
        // SAFETY: the memfd is private to this buffer: nothing else truncates or maps it, so
        // both views stay valid for as long as they live.
        let rw = unsafe { MmapOptions::new().len(capacity).map_mut(&file)? };
        // SAFETY: as above; this view is only ever executed, and written through `rw`.
        let rx = unsafe { MmapOptions::new().len(capacity).map_exec(&file)? };
        // The mappings keep the memory; `file` closes here.
        Ok(CodeBuffer {
            rw,
            rx,
            used: 0,
            released: 0,
        })
    }

    /// Bytes reserved.
    pub fn capacity(&self) -> usize {
        self.rw.len()
    }

    /// Bytes used so far.
    pub fn used(&self) -> usize {
        self.used
    }

    /// The executable address of offset `off`.
    pub fn exec_addr(&self, off: usize) -> u64 {
        self.rx.as_ptr() as u64 + off as u64
    }

    /// Whether `addr` lies in the executable view.
    pub fn contains(&self, addr: u64) -> bool {
        addr.wrapping_sub(self.rx.as_ptr() as u64) < self.capacity() as u64
    }

    /// The executable address where the next `len` bytes will go (16-byte aligned), or `None`
    /// when the buffer is full. Nothing is written yet: assemble at this address, then
    /// [`CodeBuffer::commit`].
    pub fn next_addr(&self, len: usize) -> Option<u64> {
        let at = self.used.next_multiple_of(16);
        (at + len <= self.capacity()).then(|| self.exec_addr(at))
    }

    /// Copies `code` in at the address [`CodeBuffer::next_addr`] gave; returns it.
    pub fn commit(&mut self, code: &[u8]) -> io::Result<u64> {
        let at = self.used.next_multiple_of(16);
        let end = at + code.len();
        assert!(end <= self.capacity(), "commit past capacity");
        self.rw[at..end].copy_from_slice(code);
        self.used = end;
        let filled = end / PAGE * PAGE;
        if filled > self.released {
            // SAFETY: the range lies in the RW view; on a shared memfd mapping MADV_DONTNEED
            // only unmaps, and the next access maps the same page, contents and all.
            let r =
                unsafe { libc::madvise(self.rw.as_mut_ptr().cast(), filled, libc::MADV_DONTNEED) };
            if r != 0 {
                return Err(io::Error::last_os_error());
            }
            self.released = filled;
        }
        Ok(self.exec_addr(at))
    }

    /// Forgets all code. Nothing may be running in it or jump into it afterwards.
    pub fn reset(&mut self) {
        self.used = 0;
        self.released = 0;
    }

    /// Re-points the `jmp rel32` or `jcc rel32` at executable address `site` to `target`.
    /// Other threads may be running it only if its rel32 lies in one cache line (see
    /// [`CodeBuffer::patch_jmp_live`]).
    pub fn patch_jmp(&mut self, site: u64, target: u64) {
        let (off, len) = self.patch_site(site);
        let v = rel32(site, len as u64, target);
        // SAFETY: off + len - 4..off + len is inside the mapping (patch_site checked it). An
        // unaligned 4-byte store is one instruction; the asm makes sure it is not split up.
        unsafe {
            let p = self.rw.as_mut_ptr().add(off + len - 4);
            std::arch::asm!("mov dword ptr [{p}], {v:e}", p = in(reg) p, v = in(reg) v,
                options(nostack, preserves_flags));
        }
    }

    /// The offset and length of the patchable jump at executable address `site`.
    fn patch_site(&self, site: u64) -> (usize, usize) {
        let off = site.wrapping_sub(self.exec_addr(0)) as usize;
        assert!(off < self.used, "patch site outside the code");
        let len =
            patch_site_len(&self.rw[off..self.used]).expect("patch site is a jmp or jcc rel32");
        assert!(off + len <= self.used, "patch site outside the code");
        (off, len)
    }

    /// [`CodeBuffer::patch_jmp`] while other threads may be running the jump: a thread
    /// fetching it sees the 4-byte store of its rel32 whole (old or new target) when the
    /// four bytes lie in one cache line. When they do not (3 of 64 places), a fetch could
    /// see half of each and jump anywhere: nothing is written and this returns false.
    pub fn patch_jmp_live(&mut self, site: u64, target: u64) -> bool {
        let (_, len) = self.patch_site(site);
        let rel = site + len as u64 - 4;
        if rel / CACHE_LINE != (rel + 3) / CACHE_LINE {
            return false;
        }
        self.patch_jmp(site, target);
        true
    }

    /// The bytes of executable code at `addr..addr+len`.
    pub fn code(&self, addr: u64, len: usize) -> &[u8] {
        let off = addr.wrapping_sub(self.exec_addr(0)) as usize;
        &self.rx[off..off + len]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The resident kB of the mapping starting at `addr`, from /proc/self/smaps.
    fn resident_kb(addr: u64) -> usize {
        let smaps = std::fs::read_to_string("/proc/self/smaps").expect("/proc/self/smaps");
        let start = format!("{addr:x}-");
        let mut lines = smaps.lines().skip_while(|l| !l.starts_with(&start));
        lines.next().expect("the mapping is listed");
        let rss = lines.find(|l| l.starts_with("Rss:")).expect("an Rss line");
        rss.split_whitespace().nth(1).unwrap().parse().unwrap()
    }

    #[test]
    fn committed_code_is_resident_once_and_stays_intact() {
        let mut b = CodeBuffer::new(CHUNK).unwrap();
        let block: Vec<u8> = (0..1000u32).map(|i| (i * 7 + 1) as u8).collect();
        let mut at = Vec::new();
        for _ in 0..64 {
            at.push(b.commit(&block).unwrap());
        }
        // Touch every page through the executable view, as running it would.
        let sum: u64 = at
            .iter()
            .map(|&a| {
                b.code(a, block.len())
                    .iter()
                    .map(|&x| x as u64)
                    .sum::<u64>()
            })
            .sum();
        assert_eq!(sum, 64 * block.iter().map(|&x| x as u64).sum::<u64>());
        let (rw, rx) = (
            resident_kb(b.rw.as_ptr() as u64),
            resident_kb(b.exec_addr(0)),
        );
        assert!(rx >= 60, "the executable view maps the code: {rx} kB");
        assert!(
            rw <= 4,
            "the writable view keeps at most the page being filled: {rw} kB"
        );
    }
}
