//! A small guest memory with the same layout hypervisor-lite's address space has (guest `g`
//! at `base + g`, a permission byte per page), for tests, doctests and benchmarks.

use crate::{Layout, PAGE_SHIFT};
use isa_a::{Access, Bus, Insn, MemFault};

pub const R: u8 = 1;
pub const W: u8 = 2;
pub const X: u8 = 4;

/// `size` bytes of guest memory at guest address 0, every page readable, writable and
/// executable until [`TestMemory::set_perm`] says otherwise.
///
/// One memfd mapped twice: a read-write view the interpreter (checking the permission bytes)
/// and [`TestMemory::bytes`] use, and the view translated code uses, whose host protections
/// mirror the permissions and which lies between two guard zones, as [`Layout`] asks.
pub struct TestMemory {
    view: *mut u8,
    guarded: *mut u8,
    size: usize,
    perms: Box<[u8]>,
    /// Whether this handle unmaps the memory when dropped (see [`TestMemory::share`]).
    owner: bool,
}

// SAFETY: the pointers are mappings this value owns (or shares with a handle that never
// unmaps them); nothing about them is tied to the creating thread.
unsafe impl Send for TestMemory {}

const GUARD: usize = crate::GUARD as usize;

impl TestMemory {
    pub fn new(size: usize) -> TestMemory {
        let pages = size >> PAGE_SHIFT;
        assert!(pages << PAGE_SHIFT == size && pages > 0, "whole pages");
        // SAFETY: fresh mappings of a new memfd; every pointer made here stays inside them.
        unsafe {
            let fd = libc::memfd_create(c"mimic-test-memory".as_ptr(), libc::MFD_CLOEXEC);
            assert!(fd >= 0, "memfd_create");
            assert_eq!(libc::ftruncate(fd, size as i64), 0, "ftruncate");
            let map = |at: *mut u8, flags| {
                let p = libc::mmap(
                    at.cast(),
                    size,
                    libc::PROT_READ | libc::PROT_WRITE,
                    libc::MAP_SHARED | flags,
                    fd,
                    0,
                );
                assert!(p != libc::MAP_FAILED, "mmap");
                p as *mut u8
            };
            let view = map(std::ptr::null_mut(), 0);
            // Reserve the guarded view and its guard zones, then put the file between them.
            let reserved = libc::mmap(
                std::ptr::null_mut(),
                size + 2 * GUARD,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            );
            assert!(reserved != libc::MAP_FAILED, "mmap");
            let guarded = map((reserved as *mut u8).add(GUARD), libc::MAP_FIXED);
            libc::close(fd);
            TestMemory {
                view,
                guarded,
                size,
                perms: vec![R | W | X; pages].into_boxed_slice(),
                owner: true,
            }
        }
    }

    pub fn layout(&mut self) -> Layout {
        Layout {
            base: self.guarded,
            limit: self.size as u64,
        }
    }

    /// Another handle on the same memory, for another thread (as vCPUs share a guest's),
    /// with the permissions as they are now. It must not outlive `self`.
    pub fn share(&self) -> TestMemory {
        TestMemory {
            perms: self.perms.clone(),
            owner: false,
            ..*self
        }
    }

    pub fn bytes(&self) -> &[u8] {
        // SAFETY: `view` maps `size` readable bytes for as long as `self` lives.
        unsafe { std::slice::from_raw_parts(self.view, self.size) }
    }

    pub fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `bytes`, and `&mut self` makes this the only view handed out.
        unsafe { std::slice::from_raw_parts_mut(self.view, self.size) }
    }

    /// Sets the permission bits of the pages holding `start..end` (and the host protections
    /// of the translated code's view).
    pub fn set_perm(&mut self, start: u64, end: u64, bits: u8) {
        let (a, b) = (
            start >> PAGE_SHIFT,
            (end + (1 << PAGE_SHIFT) - 1) >> PAGE_SHIFT,
        );
        self.perms[a as usize..b as usize].fill(bits);
        let prot = if bits & W != 0 {
            libc::PROT_READ | libc::PROT_WRITE
        } else if bits & (R | X) != 0 {
            libc::PROT_READ
        } else {
            libc::PROT_NONE
        };
        // SAFETY: the pages `a..b` lie inside the guarded mapping (callers pass guest ranges).
        let r = unsafe {
            libc::mprotect(
                self.guarded.add((a as usize) << PAGE_SHIFT).cast(),
                ((b - a) as usize) << PAGE_SHIFT,
                prot,
            )
        };
        assert_eq!(r, 0, "mprotect");
    }

    /// Writes 32-bit encodings of `code` at `addr`.
    pub fn load_code(&mut self, addr: u64, code: &[Insn]) {
        let mut at = addr as usize;
        for i in code {
            self.bytes_mut()[at..at + 4].copy_from_slice(&i.encode().to_le_bytes());
            at += 4;
        }
    }

    /// The checks hypervisor-lite's `GuestMem` makes, with the same fault addresses.
    fn check(&self, addr: u64, n: u64, need: u8, access: Access) -> Result<usize, MemFault> {
        let limit = self.size as u64;
        let last = addr.wrapping_add(n - 1);
        if addr >= limit {
            return Err(MemFault { addr, access });
        }
        let perm = |a: u64| self.perms[(a >> PAGE_SHIFT) as usize];
        if perm(addr) & need == 0 {
            return Err(MemFault { addr, access });
        }
        if last >= limit || last < addr {
            return Err(MemFault {
                addr: limit,
                access,
            });
        }
        if (addr ^ last) >> PAGE_SHIFT != 0 && perm(last) & need == 0 {
            return Err(MemFault {
                addr: last & !((1 << PAGE_SHIFT) - 1),
                access,
            });
        }
        Ok(addr as usize)
    }

    fn read<const N: usize>(
        &self,
        addr: u64,
        need: u8,
        access: Access,
    ) -> Result<[u8; N], MemFault> {
        let at = self.check(addr, N as u64, need, access)?;
        Ok(self.bytes()[at..at + N].try_into().expect("N bytes"))
    }

    fn write<const N: usize>(&mut self, addr: u64, v: [u8; N]) -> Result<(), MemFault> {
        let at = self.check(addr, N as u64, W, Access::Write)?;
        self.bytes_mut()[at..at + N].copy_from_slice(&v);
        Ok(())
    }
}

impl Bus for TestMemory {
    fn load8(&mut self, addr: u64) -> Result<u8, MemFault> {
        Ok(self.read::<1>(addr, R, Access::Read)?[0])
    }
    fn load16(&mut self, addr: u64) -> Result<u16, MemFault> {
        self.read(addr, R, Access::Read).map(u16::from_le_bytes)
    }
    fn load32(&mut self, addr: u64) -> Result<u32, MemFault> {
        self.read(addr, R, Access::Read).map(u32::from_le_bytes)
    }
    fn load64(&mut self, addr: u64) -> Result<u64, MemFault> {
        self.read(addr, R, Access::Read).map(u64::from_le_bytes)
    }
    fn store8(&mut self, addr: u64, v: u8) -> Result<(), MemFault> {
        self.write(addr, [v])
    }
    fn store16(&mut self, addr: u64, v: u16) -> Result<(), MemFault> {
        self.write(addr, v.to_le_bytes())
    }
    fn store32(&mut self, addr: u64, v: u32) -> Result<(), MemFault> {
        self.write(addr, v.to_le_bytes())
    }
    fn store64(&mut self, addr: u64, v: u64) -> Result<(), MemFault> {
        self.write(addr, v.to_le_bytes())
    }
    fn fetch16(&mut self, addr: u64) -> Result<u16, MemFault> {
        self.read(addr, X, Access::Execute).map(u16::from_le_bytes)
    }
}

impl Drop for TestMemory {
    fn drop(&mut self) {
        if !self.owner {
            return;
        }
        // SAFETY: the owner unmaps its own mappings once; no handle uses them after it.
        unsafe {
            libc::munmap(self.view.cast(), self.size);
            libc::munmap(self.guarded.sub(GUARD).cast(), self.size + 2 * GUARD);
        }
    }
}
