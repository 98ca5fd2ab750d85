//! What every fault handler of mimic needs: a table of address ranges that any thread may
//! read from a signal handler, and SIGSEGV/SIGBUS handlers chained to whatever was installed
//! before them. Translated code (`fault`) and hypervisor-lite's fault-safe guest accesses each
//! install one; a fault that is not a handler's own goes on to the previous one, so the two
//! work in either install order and a fault that is nobody's still kills.
//!
//! ```text
//!   fault ─▶ latest handler: a write the write hook resolves? ── yes ─▶ the store again
//!                    │ no
//!                    ▼
//!            own range? ── yes ─▶ resume at its fixup
//!                    │ no
//!                    └─▶ Previous::chain ─▶ the handler before it … ─▶ default: die
//! ```

use std::cell::UnsafeCell;
use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Once;

/// Address ranges (start, end), a fixed number of slots of atomics, so a signal handler can
/// read them while other threads add and remove ranges. A start of 0 is a free slot; a slot
/// being filled holds `u64::MAX` until its end is written.
pub struct Ranges<const N: usize> {
    slots: [[AtomicU64; 2]; N],
}

impl<const N: usize> Ranges<N> {
    pub const fn new() -> Ranges<N> {
        Ranges {
            slots: [const { [AtomicU64::new(0), AtomicU64::new(0)] }; N],
        }
    }

    /// Adds `start..end`; false when every slot is taken.
    pub fn add(&self, start: u64, end: u64) -> bool {
        for r in &self.slots {
            if r[0]
                .compare_exchange(0, u64::MAX, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
            {
                r[1].store(end, Ordering::Release);
                r[0].store(start, Ordering::Release);
                return true;
            }
        }
        false
    }

    /// Removes the range that starts at `start`.
    pub fn remove(&self, start: u64) {
        for r in &self.slots {
            if r[0].load(Ordering::Acquire) == start {
                r[1].store(0, Ordering::Release);
                r[0].store(0, Ordering::Release);
            }
        }
    }

    /// Whether a range holds `addr`. Async-signal-safe.
    pub fn contains(&self, addr: u64) -> bool {
        self.slots.iter().any(|r| {
            let s = r[0].load(Ordering::Acquire);
            s != 0 && s != u64::MAX && addr >= s && addr < r[1].load(Ordering::Acquire)
        })
    }

    /// How many ranges there are now.
    pub fn len(&self) -> usize {
        self.slots
            .iter()
            .filter(|r| r[0].load(Ordering::Acquire) != 0)
            .count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<const N: usize> Default for Ranges<N> {
    fn default() -> Self {
        Self::new()
    }
}

/// An SA_SIGINFO handler.
pub type Handler = extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void);

/// The SIGSEGV and SIGBUS actions that were in place when a handler was installed.
pub struct Previous {
    actions: UnsafeCell<[MaybeUninit<libc::sigaction>; 2]>,
    once: Once,
}

// SAFETY: `actions` is written once, inside `once`, before the handler that reads it can run
// (it is installed by that same call); afterwards it is only read.
unsafe impl Sync for Previous {}

impl Previous {
    pub const fn new() -> Previous {
        Previous {
            actions: UnsafeCell::new([MaybeUninit::uninit(); 2]),
            once: Once::new(),
        }
    }

    fn index(sig: libc::c_int) -> usize {
        usize::from(sig == libc::SIGBUS)
    }

    /// Installs `handler` for SIGSEGV and SIGBUS (on the alternate stack, if the thread has
    /// one), once, keeping the actions it replaces.
    pub fn install(&self, handler: Handler) {
        self.once.call_once(|| {
            for sig in [libc::SIGSEGV, libc::SIGBUS] {
                // SAFETY: a zeroed sigaction is a valid one to fill in; the slot written is
                // this value's own, and nothing reads it until the handler is in place.
                unsafe {
                    let mut sa: libc::sigaction = std::mem::zeroed();
                    sa.sa_sigaction = handler as *const () as usize;
                    sa.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
                    libc::sigemptyset(&mut sa.sa_mask);
                    let prev = (*self.actions.get())[Self::index(sig)].as_mut_ptr();
                    let r = libc::sigaction(sig, &sa, prev);
                    assert_eq!(r, 0, "sigaction({sig})");
                }
            }
        });
    }

    /// Hands a fault that is not the handler's own to the action before it: its handler,
    /// or the default action (re-armed, so the faulting instruction runs again and dies).
    ///
    /// # Safety
    /// Only from the handler given to [`Previous::install`], with the arguments it got.
    pub unsafe fn chain(
        &self,
        sig: libc::c_int,
        info: *mut libc::siginfo_t,
        uc: *mut libc::c_void,
    ) {
        let prev = (*self.actions.get())[Self::index(sig)].assume_init_ref();
        match prev.sa_sigaction {
            libc::SIG_DFL | libc::SIG_IGN => {
                libc::sigaction(sig, prev, std::ptr::null_mut());
            }
            f if prev.sa_flags & libc::SA_SIGINFO != 0 => {
                let f: Handler = std::mem::transmute(f);
                f(sig, info, uc);
            }
            f => {
                let f: extern "C" fn(libc::c_int) = std::mem::transmute(f);
                f(sig);
            }
        }
    }
}

impl Default for Previous {
    fn default() -> Self {
        Self::new()
    }
}

/// The resolver of write faults on pages whose host write permission was taken away only to
/// see stores (hypervisor-lite's watch of pages holding translated code): given the address,
/// whether the store may run again.
static WRITE_HOOK: AtomicUsize = AtomicUsize::new(0);

/// Makes `hook` the write hook every handler asks first.
pub fn set_write_hook(hook: fn(u64) -> bool) {
    WRITE_HOOK.store(hook as usize, Ordering::Release);
}

/// Whether the fault is a write to a mapped page that the write hook resolved: the handler
/// then returns, and the store runs again.
///
/// # Safety
/// Only from a SIGSEGV/SIGBUS handler, with the arguments it got.
pub unsafe fn write_resolved(
    sig: libc::c_int,
    info: *mut libc::siginfo_t,
    uc: *mut libc::c_void,
) -> bool {
    // SEGV_ACCERR: a mapped page that forbids the access.
    const SEGV_ACCERR: libc::c_int = 2;
    if sig != libc::SIGSEGV || (*info).si_code != SEGV_ACCERR {
        return false;
    }
    let uc = &*(uc as *const libc::ucontext_t);
    // The page fault's error code: bit 1 is set for a write.
    if uc.uc_mcontext.gregs[libc::REG_ERR as usize] & 2 == 0 {
        return false;
    }
    let f = WRITE_HOOK.load(Ordering::Acquire);
    if f == 0 {
        return false;
    }
    let f: fn(u64) -> bool = std::mem::transmute(f);
    f((*info).si_addr() as u64)
}
