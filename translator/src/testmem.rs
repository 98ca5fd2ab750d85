//! A small guest memory with the same layout hypervisor-lite's address space has (guest `g`
//! at `base + g`, a permission byte per page), for tests, doctests and benchmarks.

use crate::{Layout, PAGE_SHIFT};
use isa_a::{Access, Bus, Insn, MemFault};

pub const R: u8 = 1;
pub const W: u8 = 2;
pub const X: u8 = 4;

/// `size` bytes of guest memory at guest address 0, every page readable, writable and
/// executable until [`TestMemory::set_perm`] says otherwise.
pub struct TestMemory {
    bytes: Box<[u8]>,
    perms: Box<[u8]>,
}

impl TestMemory {
    pub fn new(size: usize) -> TestMemory {
        let pages = size >> PAGE_SHIFT;
        assert!(pages << PAGE_SHIFT == size && pages > 0, "whole pages");
        TestMemory {
            bytes: vec![0; size].into_boxed_slice(),
            perms: vec![R | W | X; pages].into_boxed_slice(),
        }
    }

    pub fn layout(&mut self) -> Layout {
        Layout {
            base: self.bytes.as_mut_ptr(),
            perms: self.perms.as_ptr(),
            limit: self.bytes.len() as u64,
            read: R,
            write: W,
        }
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn bytes_mut(&mut self) -> &mut [u8] {
        &mut self.bytes
    }

    /// Sets the permission bits of the pages holding `start..end`.
    pub fn set_perm(&mut self, start: u64, end: u64, bits: u8) {
        let (a, b) = (
            start >> PAGE_SHIFT,
            (end + (1 << PAGE_SHIFT) - 1) >> PAGE_SHIFT,
        );
        self.perms[a as usize..b as usize].fill(bits);
    }

    /// Writes 32-bit encodings of `code` at `addr`.
    pub fn load_code(&mut self, addr: u64, code: &[Insn]) {
        let mut at = addr as usize;
        for i in code {
            self.bytes[at..at + 4].copy_from_slice(&i.encode().to_le_bytes());
            at += 4;
        }
    }

    /// The checks hypervisor-lite's `GuestMem` makes, with the same fault addresses.
    fn check(&self, addr: u64, n: u64, need: u8, access: Access) -> Result<usize, MemFault> {
        let limit = self.bytes.len() as u64;
        let last = addr.wrapping_add(n - 1);
        if addr >= limit || last >= limit || last < addr {
            let at = if addr >= limit { addr } else { limit };
            return Err(MemFault { addr: at, access });
        }
        let perm = |a: u64| self.perms[(a >> PAGE_SHIFT) as usize];
        if perm(addr) & need == 0 {
            return Err(MemFault { addr, access });
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
        Ok(self.bytes[at..at + N].try_into().expect("N bytes"))
    }

    fn write<const N: usize>(&mut self, addr: u64, v: [u8; N]) -> Result<(), MemFault> {
        let at = self.check(addr, N as u64, W, Access::Write)?;
        self.bytes[at..at + N].copy_from_slice(&v);
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
