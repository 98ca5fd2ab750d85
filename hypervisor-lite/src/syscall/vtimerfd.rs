//! Deterministic mode's timerfds, which count virtual time as every other clock there does.
//!
//! ```text
//!   timerfd_create ─▶ a host eventfd (the guest's descriptor) + an entry (clock, deadline,
//!                     interval, expirations not yet read)
//!   scheduler turn ─▶ fire_due(now): each entry whose virtual deadline passed counts its
//!                     expirations and, from none to some, writes the eventfd: poll, epoll
//!                     and a parked read see it readable at once
//!   read           ─▶ the count (8 bytes), the eventfd drained; none yet: EAGAIN or park
//! ```
//!
//! A host timerfd would expire on host time, which a deterministic run must not see. The
//! descriptor is an eventfd underneath, so /proc/self/fd names it `[eventfd]`, and a dup of it
//! reads as an eventfd (the entry follows the number the guest created it under).

use super::{Errno, Outcome, SysResult, Task, Wait};
use crate::abi::layout::Field;
use crate::abi::time::{Itimerspec, Timespec};
use crate::state::{lock, Shared};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

const TFD_TIMER_ABSTIME: u64 = 1;
const TFD_TIMER_CANCEL_ON_SET: u64 = 2;

struct VTimer {
    clock: i32,
    /// The next expiry in virtual ns, None when disarmed.
    deadline: Option<u64>,
    interval: u64,
    /// Expirations since the last read.
    ticks: u64,
}

/// Every process's virtual timerfds by (process, descriptor).
static TABLE: Mutex<BTreeMap<(usize, i32), VTimer>> = Mutex::new(BTreeMap::new());

fn key(shared: &Arc<Shared>, fd: u64) -> (usize, i32) {
    (Arc::as_ptr(shared) as usize, fd as i32)
}

fn now(p: &Task) -> u64 {
    super::vclock::now(p).expect("deterministic mode")
}

fn ns_timespec(ns: u64) -> Timespec {
    super::vclock::timespec(ns)
}

/// Empties the eventfd's count, if it has one (it is never left blocking on an empty one).
fn drain(fd: i32) {
    let mut pfd = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    let mut v = 0u64;
    // SAFETY: one live pollfd; the read writes at most 8 bytes into `v`.
    unsafe {
        if libc::poll(&mut pfd, 1, 0) == 1 {
            libc::read(fd, &mut v as *mut u64 as *mut libc::c_void, 8);
        }
    }
}

fn signal(fd: i32) {
    let one = 1u64;
    // SAFETY: writes 8 bytes from `one`.
    unsafe { libc::write(fd, &one as *const u64 as *const libc::c_void, 8) };
}

/// timerfd_create(clock, flags) in deterministic mode (None otherwise): the host checks the
/// clock and flags (and CAP_WAKE_ALARM for the alarm clocks) by making a timerfd it closes.
pub fn create(p: &Task, a: [u64; 6]) -> Option<SysResult> {
    if !p.shared.deterministic() {
        return None;
    }
    // SAFETY: scalar arguments.
    let probe = unsafe { libc::timerfd_create(a[0] as i32, a[1] as i32) };
    if probe < 0 {
        return Some(Err(Errno::last()));
    }
    // SAFETY: `probe` is the descriptor just made.
    unsafe { libc::close(probe) };
    // TFD_CLOEXEC and TFD_NONBLOCK are EFD_CLOEXEC and EFD_NONBLOCK.
    // SAFETY: scalar arguments.
    let fd = unsafe { libc::eventfd(0, a[1] as i32) };
    if fd < 0 {
        return Some(Err(Errno::last()));
    }
    let entry = VTimer {
        clock: a[0] as i32,
        deadline: None,
        interval: 0,
        ticks: 0,
    };
    lock(&TABLE).insert(key(&p.shared, fd as u64), entry);
    Some(Ok(fd as u64))
}

/// The (interval, value left) of `t` at `now`, as timerfd_gettime reports them.
fn current(t: &VTimer, now: u64) -> Itimerspec {
    let left = t.deadline.map_or(0, |d| d.saturating_sub(now).max(1));
    Itimerspec {
        it_interval: ns_timespec(t.interval),
        it_value: ns_timespec(left),
    }
}

/// timerfd_settime(fd, flags, new, old) of a virtual timerfd (None: not one).
pub fn settime(p: &Task, a: [u64; 6]) -> Option<SysResult> {
    if !p.shared.deterministic() {
        return None;
    }
    let k = key(&p.shared, a[0]);
    if !lock(&TABLE).contains_key(&k) {
        return None;
    }
    Some((|| {
        if a[1] & !(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET) != 0 {
            return Err(Errno::EINVAL);
        }
        let new: Itimerspec = p.load(a[2])?;
        let value = new.it_value.nanos().ok_or(Errno::EINVAL)?;
        let interval = new.it_interval.nanos().ok_or(Errno::EINVAL)?;
        if a[3] != 0 {
            p.wr(a[3], Itimerspec::SIZE as u64)?;
        }
        let now = now(p);
        let mut table = lock(&TABLE);
        let t = table.get_mut(&k).ok_or(Errno::EBADF)?;
        let old = current(t, now);
        let rel = if a[1] & TFD_TIMER_ABSTIME != 0 {
            value.saturating_sub(super::vclock::read(p, t.clock)?.unwrap_or(0))
        } else {
            value
        };
        t.ticks = 0;
        drain(a[0] as i32);
        t.interval = interval;
        t.deadline = (value != 0).then_some(now.saturating_add(rel));
        if t.deadline.is_some_and(|d| d <= now) {
            fire(a[0] as i32, t, now);
        }
        drop(table);
        if a[3] != 0 {
            p.store(a[3], &old)?;
        }
        Ok(0)
    })())
}

/// timerfd_gettime(fd, cur) of a virtual timerfd (None: not one).
pub fn gettime(p: &Task, a: [u64; 6]) -> Option<SysResult> {
    let now = super::vclock::now(p)?;
    let cur = lock(&TABLE)
        .get(&key(&p.shared, a[0]))
        .map(|t| current(t, now))?;
    Some(p.store(a[1], &cur).map(|_| 0))
}

/// A read of a virtual timerfd (None: not one): the expirations since the last read.
pub fn read(p: &Task, fd: u64, buf: u64, len: u64) -> Option<Result<Outcome, Errno>> {
    // Every read asks: outside deterministic mode the answer costs no lock.
    if !p.shared.deterministic() {
        return None;
    }
    let mut table = lock(&TABLE);
    let t = table.get_mut(&key(&p.shared, fd))?;
    if len < 8 {
        return Some(Err(Errno::EINVAL));
    }
    if t.ticks == 0 {
        // SAFETY: F_GETFL reads a descriptor's flags.
        let fl = unsafe { libc::fcntl(fd as i32, libc::F_GETFL) };
        if fl >= 0 && fl & libc::O_NONBLOCK != 0 {
            return Some(Err(Errno::EAGAIN));
        }
        return Some(Ok(Outcome::Park(Wait::Io {
            fds: vec![(fd as i32, libc::POLLIN)],
            deadline: None,
        })));
    }
    if let Err(e) = p.put(buf, &t.ticks.to_le_bytes()) {
        return Some(Err(e));
    }
    t.ticks = 0;
    drain(fd as i32);
    Some(Outcome::value(8))
}

/// The guest closed `fd`: a timerfd under that number is gone.
pub fn forget(p: &Task, fd: u64) {
    if p.shared.deterministic() {
        lock(&TABLE).remove(&key(&p.shared, fd));
    }
}

/// Counts `t`'s expirations up to `now` and makes its descriptor readable.
fn fire(fd: i32, t: &mut VTimer, now: u64) {
    let Some(d) = t.deadline else { return };
    let n = 1 + (now - d).checked_div(t.interval).unwrap_or(0);
    t.deadline = (t.interval > 0).then(|| d + n * t.interval);
    if t.ticks == 0 {
        signal(fd);
    }
    t.ticks = t.ticks.saturating_add(n);
}

/// The scheduler's turn at virtual time `now`: fires what is due.
pub fn fire_due(shared: &Arc<Shared>, now: u64) {
    let me = Arc::as_ptr(shared) as usize;
    for (&(_, fd), t) in lock(&TABLE).range_mut((me, i32::MIN)..=(me, i32::MAX)) {
        if t.deadline.is_some_and(|d| d <= now) {
            fire(fd, t, now);
        }
    }
}

/// The earliest virtual deadline of `shared`'s timerfds.
pub fn next_due(shared: &Arc<Shared>) -> Option<u64> {
    let me = Arc::as_ptr(shared) as usize;
    lock(&TABLE)
        .range((me, i32::MIN)..=(me, i32::MAX))
        .filter_map(|(_, t)| t.deadline)
        .min()
}
