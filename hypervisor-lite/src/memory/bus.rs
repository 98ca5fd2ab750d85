//! [`GuestMem`]: the per-vCPU view of the address space that the interpreter and the syscall
//! layer access guest memory through, every access checked against the page table.

use super::{perm, GUEST_LIMIT, PAGE};
use isa_a::{Access, AmoOp, Bus, MemFault};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// A cheap, copyable handle: the reservation base and the permission table.
#[derive(Copy, Clone, Debug)]
pub struct GuestMem {
    base: *mut u8,
    perms: *const u8,
}

// Guest memory is shared between vCPU threads by design, as a machine's RAM is between harts:
// plain accesses may race (the guest's business), atomics are host atomics.
unsafe impl Send for GuestMem {}
unsafe impl Sync for GuestMem {}

impl GuestMem {
    pub(super) fn new(base: *mut u8, perms: *const u8) -> GuestMem {
        GuestMem { base, perms }
    }

    #[inline(always)]
    fn page_perm(&self, addr: u64) -> u8 {
        // Callers have checked addr < GUEST_LIMIT.
        unsafe { *self.perms.add((addr / PAGE) as usize) }
    }

    /// The host address of `addr..addr+n` if every byte allows `need`; otherwise the fault at
    /// the first address that does not.
    ///
    /// Every interpreted load and store comes through here, so the common case (inside the
    /// guest's range, within one page, allowed) is three tests in a straight line, and
    /// everything else goes to [`GuestMem::check_slow`], out of line.
    #[inline(always)]
    pub fn check(&self, addr: u64, n: u64, need: u8, access: Access) -> Result<*mut u8, MemFault> {
        // `addr <= GUEST_LIMIT - n`: the last byte is below the limit, with no wrap-around.
        if addr <= GUEST_LIMIT - n
            && (addr & (PAGE - 1)) <= PAGE - n
            && self.page_perm(addr) & need != 0
        {
            // SAFETY: addr + n <= GUEST_LIMIT, so the range lies inside the reservation.
            return Ok(unsafe { self.base.add(addr as usize) });
        }
        self.check_slow(addr, n, need, access)
    }

    /// [`GuestMem::check`] for the accesses that may fault or cross a page.
    #[cold]
    #[inline(never)]
    fn check_slow(&self, addr: u64, n: u64, need: u8, access: Access) -> Result<*mut u8, MemFault> {
        let last = addr.wrapping_add(n - 1);
        if addr >= GUEST_LIMIT || last >= GUEST_LIMIT || last < addr {
            let at = if addr >= GUEST_LIMIT {
                addr
            } else {
                GUEST_LIMIT
            };
            return Err(MemFault { addr: at, access });
        }
        if self.page_perm(addr) & need == 0 {
            return Err(MemFault { addr, access });
        }
        if (addr ^ last) >= PAGE && self.page_perm(last) & need == 0 {
            return Err(MemFault {
                addr: last & !(PAGE - 1),
                access,
            });
        }
        Ok(unsafe { self.base.add(addr as usize) })
    }

    /// Checks a range of any length (the syscall layer's buffers); the fault names the first
    /// page that does not allow `need`.
    pub fn check_range(
        &self,
        addr: u64,
        len: u64,
        need: u8,
        access: Access,
    ) -> Result<*mut u8, MemFault> {
        if len == 0 {
            return Ok(unsafe { self.base.add(addr.min(GUEST_LIMIT) as usize) });
        }
        let last = match addr.checked_add(len - 1) {
            Some(l) if l < GUEST_LIMIT => l,
            _ => return Err(MemFault { addr, access }),
        };
        let mut page = addr & !(PAGE - 1);
        while page <= last {
            if self.page_perm(page) & need == 0 {
                return Err(MemFault {
                    addr: page.max(addr),
                    access,
                });
            }
            page += PAGE;
        }
        Ok(unsafe { self.base.add(addr as usize) })
    }

    /// Guest bytes as a slice, if readable.
    pub fn slice(&self, addr: u64, len: u64) -> Result<&[u8], MemFault> {
        let p = self.check_range(addr, len, perm::R, Access::Read)?;
        Ok(unsafe { std::slice::from_raw_parts(p, len as usize) })
    }

    /// Guest bytes as a mutable slice, if writable.
    #[allow(clippy::mut_from_ref)] // guest memory is shared by design, like the hardware's
    pub fn slice_mut(&self, addr: u64, len: u64) -> Result<&mut [u8], MemFault> {
        let p = self.check_range(addr, len, perm::W, Access::Write)?;
        Ok(unsafe { std::slice::from_raw_parts_mut(p, len as usize) })
    }

    /// A NUL-terminated guest string (without the NUL), at most `max` bytes.
    pub fn cstr(&self, addr: u64, max: usize) -> Result<Vec<u8>, MemFault> {
        let mut out = Vec::new();
        let mut at = addr;
        loop {
            let room = PAGE - (at % PAGE);
            let chunk = self.slice(at, room)?;
            if let Some(n) = chunk.iter().position(|&b| b == 0) {
                out.extend_from_slice(&chunk[..n]);
                return Ok(out);
            }
            out.extend_from_slice(chunk);
            if out.len() > max {
                return Err(MemFault {
                    addr,
                    access: Access::Read,
                });
            }
            at += room;
        }
    }

    #[inline(always)]
    fn read<const N: usize>(
        &self,
        addr: u64,
        need: u8,
        access: Access,
    ) -> Result<[u8; N], MemFault> {
        let p = self.check(addr, N as u64, need, access)?;
        Ok(unsafe { std::ptr::read_unaligned(p as *const [u8; N]) })
    }

    #[inline(always)]
    fn write<const N: usize>(&self, addr: u64, v: [u8; N]) -> Result<(), MemFault> {
        let p = self.check(addr, N as u64, perm::W, Access::Write)?;
        unsafe { std::ptr::write_unaligned(p as *mut [u8; N], v) };
        Ok(())
    }

    /// Checks an aligned atomic's address for read and write.
    fn atomic_ptr(&self, addr: u64, bits: u32) -> Result<*mut u8, MemFault> {
        let n = bits as u64 / 8;
        self.check(addr, n, perm::R, Access::Read)?;
        self.check(addr, n, perm::W, Access::Write)
    }
}

impl Bus for GuestMem {
    #[inline(always)]
    fn load8(&mut self, addr: u64) -> Result<u8, MemFault> {
        Ok(self.read::<1>(addr, perm::R, Access::Read)?[0])
    }
    #[inline(always)]
    fn load16(&mut self, addr: u64) -> Result<u16, MemFault> {
        self.read(addr, perm::R, Access::Read)
            .map(u16::from_le_bytes)
    }
    #[inline(always)]
    fn load32(&mut self, addr: u64) -> Result<u32, MemFault> {
        self.read(addr, perm::R, Access::Read)
            .map(u32::from_le_bytes)
    }
    #[inline(always)]
    fn load64(&mut self, addr: u64) -> Result<u64, MemFault> {
        self.read(addr, perm::R, Access::Read)
            .map(u64::from_le_bytes)
    }
    #[inline(always)]
    fn store8(&mut self, addr: u64, v: u8) -> Result<(), MemFault> {
        self.write(addr, [v])
    }
    #[inline(always)]
    fn store16(&mut self, addr: u64, v: u16) -> Result<(), MemFault> {
        self.write(addr, v.to_le_bytes())
    }
    #[inline(always)]
    fn store32(&mut self, addr: u64, v: u32) -> Result<(), MemFault> {
        self.write(addr, v.to_le_bytes())
    }
    #[inline(always)]
    fn store64(&mut self, addr: u64, v: u64) -> Result<(), MemFault> {
        self.write(addr, v.to_le_bytes())
    }
    #[inline(always)]
    fn fetch16(&mut self, addr: u64) -> Result<u16, MemFault> {
        self.read(addr, perm::X, Access::Execute)
            .map(u16::from_le_bytes)
    }

    fn amo(&mut self, addr: u64, op: AmoOp, src: u64, bits: u32) -> Result<u64, MemFault> {
        let p = self.atomic_ptr(addr, bits)?;
        // Host atomics on the shared mapping: a compare-exchange loop applies any AmoOp.
        if bits == 32 {
            let a = unsafe { AtomicU32::from_ptr(p.cast()) };
            let old = a
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |old| {
                    Some(op.apply(old as u64, src, 32) as u32)
                })
                .unwrap_or_else(|v| v);
            Ok(old as u64)
        } else {
            let a = unsafe { AtomicU64::from_ptr(p.cast()) };
            Ok(a.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |old| {
                Some(op.apply(old, src, 64))
            })
            .unwrap_or_else(|v| v))
        }
    }

    fn compare_store(
        &mut self,
        addr: u64,
        expected: u64,
        new: u64,
        bits: u32,
    ) -> Result<bool, MemFault> {
        let p = self.atomic_ptr(addr, bits)?;
        if bits == 32 {
            let a = unsafe { AtomicU32::from_ptr(p.cast()) };
            Ok(a.compare_exchange(
                expected as u32,
                new as u32,
                Ordering::SeqCst,
                Ordering::SeqCst,
            )
            .is_ok())
        } else {
            let a = unsafe { AtomicU64::from_ptr(p.cast()) };
            Ok(
                a.compare_exchange(expected, new, Ordering::SeqCst, Ordering::SeqCst)
                    .is_ok(),
            )
        }
    }
}
