//! Write-watching of the guest pages translated code came from, so that `fence.i` compares
//! only what was written since the last one.
//!
//! A translator asks to watch a page when it translates code from it ([`Watch::watch`],
//! through `Bus::watch_code`). A private page the guest may write gets its host write
//! permission taken away and [`perm::WATCHED`] in the table; the guest's permissions do not
//! change. The first store to it, from any thread and by any path, faults on the host:
//!
//! ```text
//!   store (translated code, interpreter, helper) ──SIGSEGV, write, page W|WATCHED──▶ hook:
//!       host page back to read/write, WATCHED cleared, page logged ──▶ the store runs again
//!   host system call writing a guest buffer (read, recv, …): Task::wr ──▶ [`Watch::pin`]:
//!       the same for every watched page of the buffer, before the call, and the pages
//!       stay unwatched until the call is over
//!   change of mappings over code (mmap, munmap, mprotect, madvise, the loader's writes):
//!       the range logged by the address space, after the change
//!   translator's sync (fence.i) ──▶ [`Watch::take`]: the logged ranges ──▶ those pages are
//!       watched again, then compared with what was translated
//! ```
//!
//! Every change of a host protection (the hook's, a watch, the address space's) is made
//! under one spin lock, together with the table bits it follows, so the host protection of a
//! page is always the table's, less write while WATCHED. The hook may take the lock: it is a
//! write fault in the middle of a store, and no thread writes guest memory while it holds
//! the lock. A page is logged after it became writable on the host, so any store a sync must
//! see comes after an entry the sync takes. A private page the guest cannot write needs no
//! protection: only a change of mappings (logged) changes it. A shared one is never watched:
//! another mapping or process may write it, so it is compared at every sync.
//!
//! Faults of two threads on one page: the second finds the page unwatched already and runs
//! its store again. A page whose host protection should be writable but still faults (a
//! protection the host refused) is not retried forever: after [`RETRIES`] the fault is the
//! guest's.

use super::{host_prot, page_down, perm, GUEST_LIMIT, PAGE};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering};

/// Ranges kept between two syncs; more are lost (the translator then compares everything).
const LOG: usize = 64;
/// Host system calls that may write guest buffers at once, across threads; more pin every
/// page.
const PINS: usize = 64;
/// Faults in a row at one address that the hook takes for a race with another thread.
const RETRIES: u32 = 64;

/// The watch state of one address space: the lock, the log of written ranges and the
/// buffers host system calls are writing.
pub struct Watch {
    base: u64,
    perms: *const AtomicU8,
    lock: AtomicBool,
    /// Written ranges (start, end), guest addresses; `len` of them in use.
    log: [[AtomicU64; 2]; LOG],
    len: AtomicUsize,
    lost: AtomicBool,
    /// Buffers host system calls write: (start, end, owner), owner 0 for a free slot.
    pins: [[AtomicU64; 3]; PINS],
    /// Pins that found no free slot: while any, no page is watched again.
    overflow: AtomicUsize,
}

// SAFETY: `perms` points into the reservation's table, which outlives the Watch; everything
// else is atomics.
unsafe impl Send for Watch {}
// SAFETY: as for Send.
unsafe impl Sync for Watch {}

/// Holds the watch lock.
pub(super) struct Locked<'a>(&'a Watch);

impl Drop for Locked<'_> {
    fn drop(&mut self) {
        self.0.lock.store(false, Ordering::Release);
    }
}

impl Watch {
    pub(super) fn new(base: *mut u8, perms: *const AtomicU8) -> Watch {
        Watch {
            base: base as u64,
            perms,
            lock: AtomicBool::new(false),
            log: [const { [AtomicU64::new(0), AtomicU64::new(0)] }; LOG],
            len: AtomicUsize::new(0),
            lost: AtomicBool::new(false),
            pins: [const { [AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)] }; PINS],
            overflow: AtomicUsize::new(0),
        }
    }

    /// Takes the lock (see the module docs): every change of host protections of guest pages
    /// is made holding it.
    pub(super) fn lock(&self) -> Locked<'_> {
        while self
            .lock
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            std::hint::spin_loop();
        }
        Locked(self)
    }

    /// Frees the lock and the pins in a fork's child, where the threads that held them are
    /// gone.
    pub(super) fn after_fork(&self) {
        for p in &self.pins {
            p[2].store(0, Ordering::Relaxed);
        }
        self.overflow.store(0, Ordering::Relaxed);
        PINNED.with(|p| p.set(false));
        OVERFLOWED.with(|n| n.set(0));
        self.lock.store(false, Ordering::Release);
    }

    fn perm(&self, page: u64) -> &AtomicU8 {
        debug_assert!(page < GUEST_LIMIT);
        // SAFETY: the table has an entry for every page below the limit.
        unsafe { &*self.perms.add((page / PAGE) as usize) }
    }

    /// Sets the host protection of one page from table bits, under the lock; whether the
    /// host did (it refuses when the page would make one host mapping too many).
    fn protect(&self, _l: &Locked, page: u64, bits: u8) -> bool {
        // SAFETY: the page is inside the reservation; only its host protection changes, to
        // what the table says (less write while watched), which every access is ready for.
        let r = unsafe {
            libc::mprotect(
                (self.base + page) as *mut libc::c_void,
                PAGE as usize,
                host_prot(bits),
            )
        };
        r == 0
    }

    /// Notes `start..end` (page aligned) as written, under the lock.
    pub(super) fn note(&self, _l: &Locked, start: u64, end: u64) {
        let n = self.len.load(Ordering::Relaxed);
        for e in &self.log[..n] {
            let (s, t) = (e[0].load(Ordering::Relaxed), e[1].load(Ordering::Relaxed));
            if start <= t && end >= s {
                e[0].store(s.min(start), Ordering::Relaxed);
                e[1].store(t.max(end), Ordering::Relaxed);
                return;
            }
        }
        if n == LOG {
            self.lost.store(true, Ordering::Relaxed);
            return;
        }
        self.log[n][0].store(start, Ordering::Relaxed);
        self.log[n][1].store(end, Ordering::Relaxed);
        self.len.store(n + 1, Ordering::Relaxed);
    }

    /// Unwatches the watched pages of `start..end` (page aligned) and logs them, under the
    /// lock.
    fn open(&self, l: &Locked, start: u64, end: u64) {
        let mut page = start;
        while page < end {
            let p = self.perm(page);
            let bits = p.load(Ordering::Relaxed);
            if bits & perm::WATCHED != 0 {
                p.store(bits & !perm::WATCHED, Ordering::Relaxed);
                // Refused, the store faults again until the hook gives up on it.
                self.protect(l, page, bits & !perm::WATCHED);
                self.note(l, page, page + PAGE);
            }
            page += PAGE;
        }
    }

    /// Watches the page at `page` for a translator (see `Bus::watch_code`): whether its
    /// changes are all logged from now on.
    pub fn watch(&self, page: u64) -> bool {
        if page >= GUEST_LIMIT {
            return false;
        }
        let l = self.lock();
        let p = self.perm(page);
        let bits = p.load(Ordering::Relaxed);
        if bits & perm::PRIVATE == 0 {
            return false;
        }
        if bits & perm::W == 0 || bits & perm::WATCHED != 0 {
            return true;
        }
        if self.pinned(page) {
            return false;
        }
        if !self.protect(&l, page, bits | perm::WATCHED) {
            return false;
        }
        p.store(bits | perm::WATCHED, Ordering::Relaxed);
        true
    }

    fn pinned(&self, page: u64) -> bool {
        self.overflow.load(Ordering::Relaxed) != 0
            || self.pins.iter().any(|p| {
                p[2].load(Ordering::Relaxed) != 0
                    && page < p[1].load(Ordering::Relaxed)
                    && page + PAGE > p[0].load(Ordering::Relaxed)
            })
    }

    /// Appends the logged ranges to `out` and empties the log; false if some were lost.
    pub fn take(&self, out: &mut Vec<(u64, u64)>) -> bool {
        let _l = self.lock();
        let n = self.len.swap(0, Ordering::Relaxed);
        out.extend(
            self.log[..n]
                .iter()
                .map(|e| (e[0].load(Ordering::Relaxed), e[1].load(Ordering::Relaxed))),
        );
        !self.lost.swap(false, Ordering::Relaxed)
    }

    /// Before a host system call writes `start..end` (checked writable, inside the limit):
    /// unwatches its pages and keeps them unwatched until this thread's [`Watch::unpin`].
    pub fn pin(&self, start: u64, end: u64) {
        let (start, end) = (page_down(start), super::page_up(end).unwrap_or(GUEST_LIMIT));
        let owner = OWNER.with(|o| {
            if o.get() == 0 {
                static NEXT: AtomicU64 = AtomicU64::new(1);
                o.set(NEXT.fetch_add(1, Ordering::Relaxed));
            }
            o.get()
        });
        let l = self.lock();
        match self.pins.iter().find(|p| p[2].load(Ordering::Relaxed) == 0) {
            Some(p) => {
                p[0].store(start, Ordering::Relaxed);
                p[1].store(end, Ordering::Relaxed);
                p[2].store(owner, Ordering::Relaxed);
            }
            None => {
                self.overflow.fetch_add(1, Ordering::Relaxed);
                OVERFLOWED.with(|n| n.set(n.get() + 1));
            }
        }
        PINNED.with(|p| p.set(true));
        self.open(&l, start, end.min(GUEST_LIMIT));
    }

    /// Ends this thread's pins (after the system call).
    pub fn unpin(&self) {
        if !PINNED.with(|p| p.replace(false)) {
            return;
        }
        let owner = OWNER.with(|o| o.get());
        let _l = self.lock();
        for p in &self.pins {
            if p[2].load(Ordering::Relaxed) == owner {
                p[2].store(0, Ordering::Relaxed);
            }
        }
        let n = OVERFLOWED.with(|n| n.replace(0));
        self.overflow.fetch_sub(n, Ordering::Relaxed);
    }

    /// The hook's work for a write fault at guest address `addr`: whether the store may run
    /// again.
    fn fault(&self, addr: u64) -> bool {
        let page = page_down(addr);
        let l = self.lock();
        let p = self.perm(page);
        let bits = p.load(Ordering::Relaxed);
        if bits & perm::W == 0 {
            return false;
        }
        if bits & perm::WATCHED != 0 {
            self.open(&l, page, page + PAGE);
            REPEATS.with(|r| r.set((0, 0)));
            return true;
        }
        // Writable and unwatched: another thread opened it just now, or the host refuses.
        REPEATS.with(|r| {
            let (at, n) = r.get();
            let n = if at == addr { n + 1 } else { 1 };
            r.set((addr, n));
            n <= RETRIES
        })
    }
}

thread_local! {
    /// This thread's name on its pins (0 until it pins), whether it holds any, and how many
    /// found no slot.
    static OWNER: Cell<u64> = const { Cell::new(0) };
    static PINNED: Cell<bool> = const { Cell::new(false) };
    static OVERFLOWED: Cell<usize> = const { Cell::new(0) };
    /// The last address the hook let run again without opening a page, and how many times
    /// in a row.
    static REPEATS: Cell<(u64, u32)> = const { Cell::new((0, 0)) };
}

/// Address spaces (reservation start, their `Watch`), for the hook; a start of 0 is free.
static SPACES: [[AtomicU64; 2]; 256] = [const { [AtomicU64::new(0), AtomicU64::new(0)] }; 256];

/// Makes the hook find `w`, the watch of the reservation at `w.base`. False when every slot
/// is taken.
pub(super) fn register(w: &Watch) -> bool {
    translator::sigchain::set_write_hook(hook);
    for s in &SPACES {
        if s[0]
            .compare_exchange(0, u64::MAX, Ordering::AcqRel, Ordering::Relaxed)
            .is_ok()
        {
            s[1].store(w as *const Watch as u64, Ordering::Release);
            s[0].store(w.base, Ordering::Release);
            return true;
        }
    }
    false
}

pub(super) fn unregister(w: &Watch) {
    for s in &SPACES {
        if s[0].load(Ordering::Acquire) == w.base {
            s[1].store(0, Ordering::Release);
            s[0].store(0, Ordering::Release);
        }
    }
}

/// A host write fault at `host`: runs from the SIGSEGV handlers, before anything else.
fn hook(host: u64) -> bool {
    for s in &SPACES {
        let base = s[0].load(Ordering::Acquire);
        if base == 0 || base == u64::MAX || host < base || host - base >= GUEST_LIMIT {
            continue;
        }
        let w = s[1].load(Ordering::Acquire) as *const Watch;
        if w.is_null() {
            return false;
        }
        // SAFETY: a registered Watch lives until it is unregistered, which its reservation
        // does before it goes; a fault in the reservation comes from a handle keeping it.
        return unsafe { (*w).fault(host - base) };
    }
    false
}

#[cfg(test)]
mod tests {
    use super::super::{perm, AddressSpace, GuestMem, PAGE};
    use isa_a::Bus;

    const RWX: u32 = (libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC) as u32;
    const AT: u64 = 0x10000;

    fn written(m: &mut GuestMem) -> Vec<(u64, u64)> {
        let mut out = Vec::new();
        assert!(m.take_written(&mut out), "reports lost");
        out
    }

    #[test]
    fn a_store_to_a_watched_page_lands_and_is_reported_once() {
        let mut a = AddressSpace::new().unwrap();
        a.map_fixed(AT, 2 * PAGE, RWX).unwrap();
        let mut m = a.handle();
        assert!(m.watch_code(AT));
        assert_eq!(a.perm_at(AT) & perm::WATCHED, 0, "not the guest's bit");
        m.store32(AT + 0x10, 7).unwrap();
        m.write(AT + 0x20, &[1, 2, 3]).unwrap();
        assert_eq!(m.load32(AT + 0x10).unwrap(), 7);
        assert_eq!(written(&mut m), [(AT, AT + PAGE)]);
        // Unwatched now: stores are plain stores.
        m.store32(AT + 0x30, 9).unwrap();
        assert_eq!(written(&mut m), []);
        // The other page was never watched.
        m.store32(AT + PAGE, 9).unwrap();
        assert_eq!(written(&mut m), []);
    }

    #[test]
    fn a_host_system_call_writes_a_watched_page_it_was_given() {
        let mut a = AddressSpace::new().unwrap();
        a.map_fixed(AT, 2 * PAGE, RWX).unwrap();
        let mut m = a.handle();
        assert!(m.watch_code(AT));
        // A buffer from the watched page into the next, as read() gets it.
        let p = m.host_out(AT + PAGE - 8, 16).unwrap();
        let mut fds = [0; 2];
        // SAFETY: a pipe of this test's own; `p` is 16 writable guest bytes (host_out).
        let n = unsafe {
            libc::pipe(fds.as_mut_ptr());
            libc::write(fds[1], [5u8; 16].as_ptr().cast(), 16);
            let n = libc::read(fds[0], p.cast(), 16);
            libc::close(fds[0]);
            libc::close(fds[1]);
            n
        };
        assert_eq!(n, 16, "{}", std::io::Error::last_os_error());
        // Pinned: not watched again until the call is over.
        assert!(!m.watch_code(AT));
        m.unpin();
        assert_eq!(written(&mut m), [(AT, AT + PAGE)]);
        assert_eq!(m.load8(AT + PAGE - 8).unwrap(), 5);
        assert!(m.watch_code(AT));
    }

    #[test]
    fn changes_of_mappings_over_code_are_reported() {
        let mut a = AddressSpace::new().unwrap();
        a.map_fixed(AT, 2 * PAGE, (libc::PROT_READ | libc::PROT_EXEC) as u32)
            .unwrap();
        let mut m = a.handle();
        // Read-only and private: nothing to protect, and only a change of mappings changes it.
        assert!(m.watch_code(AT));
        a.protect(AT, PAGE, RWX).unwrap();
        assert_eq!(written(&mut m), [(AT, AT + PAGE)]);
        assert!(m.watch_code(AT));
        m.store8(AT, 1).unwrap();
        a.unmap(AT + PAGE, PAGE).unwrap();
        // Ranges that touch are reported as one.
        assert_eq!(written(&mut m), [(AT, AT + 2 * PAGE)]);
        // Shared memory is written by other mappings too: it cannot be watched.
        a.map_shared_anon(AT + PAGE, PAGE, RWX).unwrap();
        assert!(!m.watch_code(AT + PAGE));
    }
}
