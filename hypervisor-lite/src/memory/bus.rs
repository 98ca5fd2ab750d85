//! [`GuestMem`]: the per-vCPU view of the address space that the interpreter and the syscall
//! layer access guest memory through, every access checked against the page table and made
//! by the fault-safe routines of [`super::access`]. It hands out copies, never references.

use super::access::{self, Ret};
use super::{perm, Reservation, GUEST_LIMIT, PAGE};
use isa_a::{Access, AmoOp, Bus, MemFault};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

/// A handle on the address space's reservation: the `Arc` keeps it alive, the raw pointers
/// (into it) spare the hot path a dereference.
#[derive(Clone, Debug)]
pub struct GuestMem {
    base: *mut u8,
    perms: *const AtomicU8,
    _res: Arc<Reservation>,
}

// SAFETY: the pointers point into the reservation the Arc keeps; guest memory is shared
// between vCPU threads by design, as a machine's RAM is between harts, and is only touched
// through the fault-safe routines; the table is atomics.
unsafe impl Send for GuestMem {}
// SAFETY: as for Send: every access through a shared handle is atomic or fault-safe.
unsafe impl Sync for GuestMem {}

impl GuestMem {
    pub(super) fn new(res: Arc<Reservation>) -> GuestMem {
        GuestMem {
            base: res.base,
            perms: res.table(),
            _res: res,
        }
    }

    #[inline(always)]
    fn page_perm(&self, addr: u64) -> u8 {
        // SAFETY: callers have checked addr < GUEST_LIMIT, and the table has an entry for
        // every page below it.
        unsafe { (*self.perms.add((addr / PAGE) as usize)).load(Ordering::Relaxed) }
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
        if addr >= GUEST_LIMIT {
            return Err(MemFault { addr, access });
        }
        // The first page before the limit: an access straddling the limit from a page the
        // guest may not touch faults there, as on Linux (and in translated code).
        if self.page_perm(addr) & need == 0 {
            return Err(MemFault { addr, access });
        }
        if last >= GUEST_LIMIT || last < addr {
            return Err(MemFault {
                addr: GUEST_LIMIT,
                access,
            });
        }
        if (addr ^ last) >= PAGE && self.page_perm(last) & need == 0 {
            return Err(MemFault {
                addr: last & !(PAGE - 1),
                access,
            });
        }
        // SAFETY: last < GUEST_LIMIT, so the range lies inside the reservation.
        Ok(unsafe { self.base.add(addr as usize) })
    }

    /// Checks a range of any length (the syscall layer's buffers, which host system calls
    /// access: those fail with EFAULT by themselves if the pages go away meanwhile); the
    /// fault names the first page that does not allow `need`.
    pub fn check_range(
        &self,
        addr: u64,
        len: u64,
        need: u8,
        access: Access,
    ) -> Result<*mut u8, MemFault> {
        if len == 0 {
            // Nothing is accessed, but as Linux's access_ok an address past the end of user
            // space is still EFAULT.
            if addr > GUEST_LIMIT {
                return Err(MemFault { addr, access });
            }
            // SAFETY: addr <= GUEST_LIMIT: inside the reservation or at its end.
            return Ok(unsafe { self.base.add(addr as usize) });
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
        // SAFETY: last < GUEST_LIMIT, so the range lies inside the reservation.
        Ok(unsafe { self.base.add(addr as usize) })
    }

    /// The host address of `addr..addr+len` for a host system call to write (EFAULT where a
    /// page is not writable): its pages holding translated code stop being watched (see
    /// `watch`) until [`GuestMem::unpin`], so the host does not refuse the write.
    pub fn host_out(&self, addr: u64, len: u64) -> Result<*mut u8, MemFault> {
        let p = self.check_range(addr, len, perm::W, Access::Write)?;
        if len > 0 {
            self._res.watch.pin(addr, addr + len);
        }
        Ok(p)
    }

    /// After the host system calls of one guest system call: ends what [`GuestMem::host_out`]
    /// did on this thread.
    pub fn unpin(&self) {
        self._res.watch.unpin();
    }

    /// Copies guest bytes at `addr` into `out`; fails where a byte is not readable (now, or
    /// by the time it is copied).
    pub fn read(&self, addr: u64, out: &mut [u8]) -> Result<(), MemFault> {
        let p = self.check_range(addr, out.len() as u64, perm::R, Access::Read)?;
        // SAFETY: the source is inside the reservation (checked), the destination is `out`.
        let r = unsafe { access::copy(out.as_mut_ptr(), p, out.len()) };
        ok(r, addr, Access::Read).map(|_| ())
    }

    /// Copies `data` to guest memory at `addr`; fails where a byte is not writable (now, or
    /// by the time it is copied), possibly after writing a prefix, as the kernel's copies.
    pub fn write(&self, addr: u64, data: &[u8]) -> Result<(), MemFault> {
        let p = self.check_range(addr, data.len() as u64, perm::W, Access::Write)?;
        // SAFETY: the destination is inside the reservation (checked), the source is `data`.
        let r = unsafe { access::copy(p, data.as_ptr(), data.len()) };
        ok(r, addr, Access::Write).map(|_| ())
    }

    /// A NUL-terminated guest string (without the NUL), at most `max` bytes.
    pub fn cstr(&self, addr: u64, max: usize) -> Result<Vec<u8>, MemFault> {
        let mut out = Vec::new();
        let mut chunk = [0u8; 256];
        let mut at = addr;
        loop {
            // Up to the next page or chunk boundary: a string may end just before a hole.
            let room = (PAGE - (at % PAGE)).min(chunk.len() as u64 - (at % chunk.len() as u64));
            let chunk = &mut chunk[..room as usize];
            self.read(at, chunk)?;
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
    fn load(&self, addr: u64, n: u64, need: u8, access: Access) -> Result<u64, MemFault> {
        let p = self.check(addr, n, need, access)?;
        // SAFETY: `p..p+n` is inside the reservation (checked).
        let r = unsafe { access::load(p, n) };
        ok(r, addr, access)
    }

    #[inline(always)]
    fn store(&self, addr: u64, n: u64, v: u64) -> Result<(), MemFault> {
        let p = self.check(addr, n, perm::W, Access::Write)?;
        // SAFETY: `p..p+n` is inside the reservation (checked).
        let r = unsafe { access::store(p, n, v) };
        ok(r, addr, Access::Write).map(|_| ())
    }

    /// Checks an aligned atomic's address for read and write.
    fn atomic_ptr(&self, addr: u64, bits: u32) -> Result<*mut u8, MemFault> {
        let n = bits as u64 / 8;
        self.check(addr, n, perm::R, Access::Read)?;
        self.check(addr, n, perm::W, Access::Write)
    }

    /// A compare-exchange of the aligned word at `addr`: the old value.
    fn cas(&self, addr: u64, bits: u32, expected: u64, new: u64) -> Result<u64, MemFault> {
        let p = self.atomic_ptr(addr, bits)?;
        // SAFETY: the aligned word is inside the reservation (checked).
        let r = unsafe { access::cas(p, bits, expected, new) };
        ok(r, addr, Access::Write)
    }
}

/// A routine's result as the access's: a host fault is the guest's fault at `addr` (a bus
/// error past the end of a mapped file, noted for the signal).
#[inline(always)]
fn ok(r: Ret, addr: u64, access: Access) -> Result<u64, MemFault> {
    if r.sig == 0 {
        Ok(r.val)
    } else {
        fault(r.sig, addr, access)
    }
}

#[cold]
#[inline(never)]
fn fault(sig: u64, addr: u64, access: Access) -> Result<u64, MemFault> {
    access::note_fault(sig);
    Err(MemFault { addr, access })
}

impl Bus for GuestMem {
    #[inline(always)]
    fn load8(&mut self, addr: u64) -> Result<u8, MemFault> {
        self.load(addr, 1, perm::R, Access::Read).map(|v| v as u8)
    }
    #[inline(always)]
    fn load16(&mut self, addr: u64) -> Result<u16, MemFault> {
        self.load(addr, 2, perm::R, Access::Read).map(|v| v as u16)
    }
    #[inline(always)]
    fn load32(&mut self, addr: u64) -> Result<u32, MemFault> {
        self.load(addr, 4, perm::R, Access::Read).map(|v| v as u32)
    }
    #[inline(always)]
    fn load64(&mut self, addr: u64) -> Result<u64, MemFault> {
        self.load(addr, 8, perm::R, Access::Read)
    }
    #[inline(always)]
    fn store8(&mut self, addr: u64, v: u8) -> Result<(), MemFault> {
        self.store(addr, 1, v as u64)
    }
    #[inline(always)]
    fn store16(&mut self, addr: u64, v: u16) -> Result<(), MemFault> {
        self.store(addr, 2, v as u64)
    }
    #[inline(always)]
    fn store32(&mut self, addr: u64, v: u32) -> Result<(), MemFault> {
        self.store(addr, 4, v as u64)
    }
    #[inline(always)]
    fn store64(&mut self, addr: u64, v: u64) -> Result<(), MemFault> {
        self.store(addr, 8, v)
    }
    #[inline(always)]
    fn fetch16(&mut self, addr: u64) -> Result<u16, MemFault> {
        self.load(addr, 2, perm::X, Access::Execute)
            .map(|v| v as u16)
    }

    fn watch_code(&mut self, page: u64) -> bool {
        self._res.watch.watch(page)
    }

    fn take_written(&mut self, out: &mut Vec<(u64, u64)>) -> bool {
        self._res.watch.take(out)
    }

    fn amo(&mut self, addr: u64, op: AmoOp, src: u64, bits: u32) -> Result<u64, MemFault> {
        // A compare-exchange loop applies any AmoOp, as one host atomic.
        let n = bits as u64 / 8;
        let mask = if bits == 32 { 0xffff_ffff } else { u64::MAX };
        let mut old = self.load(addr, n, perm::R, Access::Read)?;
        loop {
            let new = op.apply(old, src, bits) & mask;
            let seen = self.cas(addr, bits, old, new)?;
            if seen == old {
                return Ok(old);
            }
            old = seen;
        }
    }

    fn compare_store(
        &mut self,
        addr: u64,
        expected: u64,
        new: u64,
        bits: u32,
    ) -> Result<bool, MemFault> {
        let mask = if bits == 32 { 0xffff_ffff } else { u64::MAX };
        Ok(self.cas(addr, bits, expected & mask, new & mask)? == expected & mask)
    }
}
