//! [`Reservation`]: the host address range that holds guest memory, and the guest's page
//! permission table. It is shared through an `Arc` by the [`super::AddressSpace`] and every
//! [`super::GuestMem`] handle, so the range stays reserved while any handle exists, whoever
//! drops last.

use super::watch::{self, Watch};
use super::{access, GUEST_LIMIT, PAGE};
use std::io;
use std::sync::atomic::AtomicU8;

/// The no-access zones below guest address 0 and from the limit: what translated code
/// needs to fault there (translator::GUARD), at least a page (an access that starts below
/// the limit and ends past it).
const GUARD: usize = translator::GUARD as usize;
const _: () = assert!(GUARD >= PAGE as usize && GUARD.is_multiple_of(PAGE as usize));

/// The reservation: a guard zone, the guest's addresses, a guard zone.
pub(super) const RESERVED: usize = GUARD + GUEST_LIMIT as usize + GUARD;
const PAGES: usize = (GUEST_LIMIT / PAGE) as usize;

pub struct Reservation {
    /// Guest address 0, [`GUARD`] bytes into the host range.
    pub(super) base: *mut u8,
    /// One byte of [`super::perm`] bits per guest page. Written under the mapping lock,
    /// read by every vCPU without it: atomics, whose relaxed loads are plain loads on x86.
    perms: *const AtomicU8,
    /// The watch of pages holding translated code (boxed: the fault hook finds it by
    /// address).
    pub(super) watch: Box<Watch>,
}

// SAFETY: the pointers are mappings this value owns; the table is atomics and guest memory
// is only touched through the fault-safe routines, so any thread may use them.
unsafe impl Send for Reservation {}
// SAFETY: as for Send.
unsafe impl Sync for Reservation {}

impl Reservation {
    /// Reserves `GUEST_LIMIT` bytes between two guard zones, all with no access, and the
    /// table.
    pub fn new() -> io::Result<Reservation> {
        let start = host_mmap(RESERVED, libc::PROT_NONE)?;
        // SAFETY: inside the range just reserved.
        let base = unsafe { start.add(GUARD) };
        let perms = match host_mmap(PAGES, libc::PROT_READ | libc::PROT_WRITE) {
            Ok(p) => p,
            Err(e) => {
                // SAFETY: `base` is the mapping just made, used by nothing else.
                unsafe { libc::munmap(start.cast(), RESERVED) };
                return Err(e);
            }
        };
        // The fields own both mappings from here: dropping `r` unmaps them.
        let r = Reservation {
            base,
            perms: perms as *const AtomicU8,
            watch: Box::new(Watch::new(base, perms as *const AtomicU8)),
        };
        access::register(start as u64, start as u64 + RESERVED as u64)?;
        if !watch::register(&r.watch) {
            return Err(io::Error::from_raw_os_error(libc::ENOMEM));
        }
        Ok(r)
    }

    /// The table entries of guest pages `start..end` (page aligned, inside the limit).
    pub fn perms(&self, start: u64, end: u64) -> &[AtomicU8] {
        assert!(start <= end && end <= GUEST_LIMIT);
        // SAFETY: the table has one entry per page below the limit, lives as long as self,
        // and is only accessed atomically.
        unsafe {
            std::slice::from_raw_parts(
                self.perms.add((start / PAGE) as usize),
                ((end - start) / PAGE) as usize,
            )
        }
    }

    /// The host range's start, the lower guard zone's.
    fn start(&self) -> *mut u8 {
        self.base.wrapping_sub(GUARD)
    }

    /// The table, for handles that index it without bounds checks.
    pub fn table(&self) -> *const AtomicU8 {
        self.perms
    }
}

impl std::fmt::Debug for Reservation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Reservation({:p})", self.base)
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        access::unregister(self.start() as u64);
        watch::unregister(&self.watch);
        // SAFETY: both mappings are owned by self, and no handle is left to use them (every
        // handle holds an Arc of self).
        unsafe {
            libc::munmap(self.start().cast(), RESERVED);
            libc::munmap(self.perms as *mut libc::c_void, PAGES);
        }
    }
}

fn host_mmap(len: usize, prot: i32) -> io::Result<*mut u8> {
    // SAFETY: a fresh anonymous mapping at an address the kernel picks touches nothing else.
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
