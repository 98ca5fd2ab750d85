//! Interval timers (setitimer, getitimer, and glibc's alarm, which is setitimer on riscv64)
//! and POSIX timers (timer_create and the rest): one table of every guest timer, run by
//! mimic's own timer thread, which raises each expiry as a guest signal with
//! [`ThreadCtl::raise`]. No host timer signal is involved, so the host's SIGALRM can
//! neither kill mimic nor reach the wrong process.
//!
//! ```text
//!   setitimer / timer_settime ─▶ TABLE: a deadline per timer ─notify─▶ timer thread
//!   timer thread: sleeps until the earliest deadline (CPU-time deadlines are polled)
//!      expiry ─▶ its signal still pending? si_overrun += 1 : ThreadCtl::raise(sig, info)
//!   deterministic: no thread; the scheduler calls fire_due(now) every turn with virtual
//!      time, and jumps an idle process to next_due(): every clock is the virtual clock
//! ```
//!
//! A process-directed expiry (ITIMER_*, SIGEV_SIGNAL) goes to the main thread while it
//! lives (mimic keeps pending signals per thread, and the main thread is where programs
//! wait for them), else to the lowest live tid.

use super::{Errno, SysResult, Task};
use crate::abi::layout::Field;
use crate::abi::signal::{SigEvent, SigInfoTimer};
use crate::abi::time::{Itimerspec, Itimerval, Timespec, Timeval};
use crate::signal::{bit, sender_info, NSIG, SI_KERNEL};
use crate::state::{lock, Shared, ThreadCtl};
use std::collections::BTreeMap;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// si_code of a POSIX timer's signal (asm-generic/siginfo.h).
const SI_TIMER: i32 = -2;
const SIGALRM: usize = 14;
const SIGVTALRM: usize = 26;
const SIGPROF: usize = 27;
const SIGEV_SIGNAL: i32 = 0;
const SIGEV_NONE: i32 = 1;
const SIGEV_THREAD: i32 = 2;
const SIGEV_THREAD_ID: i32 = 4;
const TIMER_ABSTIME: u64 = 1;
/// The most POSIX timers a process may have at once.
const MAX_TIMERS: i32 = 1 << 16;
/// The kernel's cap on a reported overrun count.
const DELAYTIMER_MAX: u64 = i32::MAX as u64;
/// How often the timer thread looks at a CPU-time clock that has a deadline: CPU time may
/// run faster than the wall clock (several threads), so a deadline cannot be slept to.
const CPU_POLL: Duration = Duration::from_millis(2);

/// What a timer's deadline is measured on.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Clock {
    /// The host's CLOCK_MONOTONIC (REALTIME and BOOTTIME timers too: only their absolute
    /// arming times differ, and those are converted when armed).
    Wall,
    /// A host CPU-time clock: mimic's process (ITIMER_VIRTUAL, ITIMER_PROF,
    /// CLOCK_PROCESS_CPUTIME_ID) or the host thread running the vCPU (THREAD_CPUTIME_ID).
    Cpu(libc::clockid_t),
}

/// Who an expiry is for.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Target {
    Process,
    Thread(i32),
    /// SIGEV_NONE: the timer runs, and is only read.
    Nobody,
}

struct Timer {
    /// The process it belongs to (one host process may run several under a front end).
    owner: Arc<Shared>,
    clock: Clock,
    /// The host clock the guest's absolute arming times (TIMER_ABSTIME) are on.
    abs_clock: libc::clockid_t,
    sig: usize,
    target: Target,
    /// sigev_value, delivered as si_value; None for the interval timers (SI_KERNEL).
    value: Option<u64>,
    deadline: Option<u64>,
    interval: u64,
    /// Expirations merged into the signal raised last, while it is pending.
    overrun: u64,
    /// The overrun count of the signal delivered (or read) last: timer_getoverrun's, as
    /// Linux sets it when the signal is taken, so a later expiry does not reset it.
    taken_overrun: u64,
}

/// Every timer, by (owner, id): a POSIX timer's id is the guest's; the interval timers are
/// -1 - which.
struct Table {
    timers: BTreeMap<(usize, i32), Timer>,
    /// The host process the timers belong to: a fork's child (a new host process) has none,
    /// as on Linux, and no timer thread yet.
    host_pid: i32,
    thread: bool,
}

static TABLE: Mutex<Table> = Mutex::new(Table {
    timers: BTreeMap::new(),
    host_pid: 0,
    thread: false,
});
static WAKE: Condvar = Condvar::new();

fn key(shared: &Arc<Shared>, id: i32) -> (usize, i32) {
    (Arc::as_ptr(shared) as usize, id)
}

/// The table, emptied first in a fork's child.
fn table() -> std::sync::MutexGuard<'static, Table> {
    let mut t = lock(&TABLE);
    // SAFETY: getpid has no preconditions.
    let me = unsafe { libc::getpid() };
    if t.host_pid != me {
        t.timers.clear();
        t.host_pid = me;
        t.thread = false;
    }
    t
}

/// The table, locked for a fork (see `thread::fork`): the timer thread holds it while it
/// fires, and a child forked then would find its copy locked forever.
pub(super) fn hold_for_fork() -> impl Sized {
    lock(&TABLE)
}

/// A host clock's reading in nanoseconds.
fn host_clock(id: libc::clockid_t) -> Option<u64> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec into `ts`.
    if unsafe { libc::clock_gettime(id, &mut ts) } != 0 {
        return None;
    }
    Some(ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64)
}

/// `clock`'s time now for `shared`: virtual time in deterministic mode.
fn now(shared: &Shared, clock: Clock) -> u64 {
    if let Some(det) = &shared.det {
        return lock(det).vnow;
    }
    let id = match clock {
        Clock::Wall => libc::CLOCK_MONOTONIC,
        Clock::Cpu(id) => id,
    };
    host_clock(id).unwrap_or(0)
}

/// The host thread's CPU clock (the kernel's MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED)).
fn thread_cpu_clock(host_tid: i32) -> libc::clockid_t {
    (!host_tid << 3) | 6
}

/// The thread an expiry of `sig` for `target` goes to.
fn receiver(shared: &Shared, target: Target, sig: usize) -> Option<Arc<ThreadCtl>> {
    match target {
        Target::Nobody => None,
        Target::Thread(tid) => lock(&shared.threads).get(&tid).cloned(),
        Target::Process => shared.process_target(sig, shared.pid()),
    }
}

/// Fires `t` if it is due at `now`: re-arms it, and raises its signal or, when the signal
/// of its previous expiry is still pending, counts an overrun on it.
fn fire(id: i32, t: &mut Timer, now: u64) {
    let Some(d) = t.deadline.filter(|&d| d <= now) else {
        return;
    };
    let mut n = 1;
    // A periodic timer steps past `now`, the expiries it missed counting as overruns.
    t.deadline = (now - d).checked_div(t.interval).map(|missed| {
        n += missed;
        d.saturating_add((missed + 1).saturating_mul(t.interval))
    });
    let Some(ctl) = receiver(&t.owner, t.target, t.sig) else {
        return;
    };
    let Some(value) = t.value else {
        ctl.raise(t.sig, sender_info(t.sig, SI_KERNEL, 0, 0));
        return;
    };
    {
        let mut pending = lock(&ctl.pending);
        let queued = SigInfoTimer::read(&pending.info[t.sig]);
        if pending.bits & bit(t.sig) != 0 && queued.code == SI_TIMER && queued.timerid == id {
            t.overrun = (t.overrun + n).min(DELAYTIMER_MAX);
            let mut info = queued;
            info.overrun = t.overrun as i32;
            info.write(&mut pending.info[t.sig]);
            return;
        }
    }
    t.overrun = (n - 1).min(DELAYTIMER_MAX);
    let mut info = [0u8; crate::signal::SIGINFO_SIZE];
    SigInfoTimer {
        signo: t.sig as i32,
        errno: 0,
        code: SI_TIMER,
        timerid: id,
        overrun: t.overrun as i32,
        value,
    }
    .write(&mut info);
    ctl.raise(t.sig, info);
}

/// The timer thread: fires what is due, then sleeps until the next deadline or a change.
fn run() {
    // Host signals are for the vCPU threads, which turn them into guest signals.
    // SAFETY: a signal mask call on this thread with a set on this frame.
    unsafe {
        let mut all: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_BLOCK, &all, std::ptr::null_mut());
    }
    let mut t = lock(&TABLE);
    loop {
        t.timers
            .retain(|_, timer| timer.owner.ended.get().is_none());
        let mut sleep: Option<Duration> = None;
        let mut owners = Vec::new();
        for (&(_, id), timer) in t.timers.iter_mut() {
            let now = now(&timer.owner, timer.clock);
            if timer.deadline.is_some_and(|d| d <= now) {
                fire(id, timer, now);
                owners.push(timer.owner.clone());
            }
            if let Some(d) = timer.deadline {
                let mut left = Duration::from_nanos(d.saturating_sub(now));
                if matches!(timer.clock, Clock::Cpu(_)) {
                    left = left.min(CPU_POLL);
                }
                sleep = Some(sleep.map_or(left, |s| s.min(left)));
            }
        }
        for o in owners {
            super::sigfd::sync(&o);
        }
        t = match sleep {
            None => WAKE.wait(t).unwrap_or_else(|e| e.into_inner()),
            Some(d) => WAKE.wait_timeout(t, d).unwrap_or_else(|e| e.into_inner()).0,
        };
    }
}

/// Deterministic mode: fires every timer of `shared` due at virtual time `now`.
pub fn fire_due(shared: &Arc<Shared>, now: u64) {
    let mut t = table();
    let me = Arc::as_ptr(shared) as usize;
    let mut fired = false;
    for (&(_, id), timer) in t.timers.range_mut((me, i32::MIN)..=(me, i32::MAX)) {
        if timer.deadline.is_some_and(|d| d <= now) {
            fire(id, timer, now);
            fired = true;
        }
    }
    drop(t);
    super::vtimerfd::fire_due(shared, now);
    if fired {
        super::sigfd::sync(shared);
    }
}

/// Deterministic mode: the virtual time of `shared`'s next expiry that raises a signal.
pub fn next_due(shared: &Arc<Shared>) -> Option<u64> {
    let t = table();
    let me = Arc::as_ptr(shared) as usize;
    t.timers
        .range((me, i32::MIN)..=(me, i32::MAX))
        .filter(|(_, timer)| timer.target != Target::Nobody)
        .filter_map(|(_, timer)| timer.deadline)
        .chain(super::vtimerfd::next_due(shared))
        .min()
}

/// Sets timer `id`'s deadline `value` ns from now (0 disarms) and its interval; returns
/// the old (interval, value left), as both setitimer and timer_settime report them.
fn arm(t: &mut Table, k: (usize, i32), value: u64, interval: u64) -> Result<(u64, u64), Errno> {
    let Some(timer) = t.timers.get_mut(&k) else {
        return Ok((0, 0));
    };
    let now = now(&timer.owner, timer.clock);
    let old = (
        timer.interval,
        timer.deadline.map_or(0, |d| d.saturating_sub(now).max(1)),
    );
    timer.deadline = (value > 0).then(|| now.saturating_add(value));
    timer.interval = if value > 0 { interval } else { 0 };
    if !timer.owner.deterministic() && !t.thread {
        // No thread, no expiries: the guest hears EAGAIN, as from a kernel short of memory.
        std::thread::Builder::new()
            .name("mimic-timers".into())
            .spawn(run)
            .map_err(|_| Errno::EAGAIN)?;
        t.thread = true;
    }
    WAKE.notify_all();
    Ok(old)
}

/// A remaining time as the guest's (interval, value) in nanoseconds.
fn read_timer(t: &Table, k: (usize, i32)) -> Option<(u64, u64)> {
    let timer = t.timers.get(&k)?;
    let now = now(&timer.owner, timer.clock);
    Some((
        timer.interval,
        timer.deadline.map_or(0, |d| d.saturating_sub(now).max(1)),
    ))
}

fn timeval(ns: u64) -> Timeval {
    Timeval {
        tv_sec: (ns / 1_000_000_000) as i64,
        tv_usec: (ns % 1_000_000_000).div_ceil(1000) as i64,
    }
}

fn timespec(ns: u64) -> Timespec {
    Timespec {
        tv_sec: (ns / 1_000_000_000) as i64,
        tv_nsec: (ns % 1_000_000_000) as i64,
    }
}

/// A timeval's nanoseconds; EINVAL when negative or tv_usec is out of range.
fn tv_nanos(tv: &Timeval) -> Result<u64, Errno> {
    if tv.tv_sec < 0 || !(0..1_000_000).contains(&tv.tv_usec) {
        return Err(Errno::EINVAL);
    }
    Ok((tv.tv_sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(tv.tv_usec as u64 * 1000))
}

/// ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF: their signal and clock.
fn itimer(which: u64) -> Result<(usize, Clock), Errno> {
    match which {
        0 => Ok((SIGALRM, Clock::Wall)),
        1 => Ok((SIGVTALRM, Clock::Cpu(libc::CLOCK_PROCESS_CPUTIME_ID))),
        2 => Ok((SIGPROF, Clock::Cpu(libc::CLOCK_PROCESS_CPUTIME_ID))),
        _ => Err(Errno::EINVAL),
    }
}

/// getitimer(which, value).
pub fn getitimer(p: &mut Task, a: [u64; 6]) -> SysResult {
    itimer(a[0])?;
    let t = table();
    let (interval, value) = read_timer(&t, key(&p.shared, -1 - a[0] as i32)).unwrap_or((0, 0));
    drop(t);
    p.store(
        a[1],
        &Itimerval {
            it_interval: timeval(interval),
            it_value: timeval(value),
        },
    )?;
    Ok(0)
}

/// setitimer(which, new, old): a NULL new disarms, as the kernel takes it.
pub fn setitimer(p: &mut Task, a: [u64; 6]) -> SysResult {
    let (sig, clock) = itimer(a[0])?;
    let new = p.load_opt::<Itimerval>(a[1])?;
    let (value, interval) = match &new {
        Some(n) => (tv_nanos(&n.it_value)?, tv_nanos(&n.it_interval)?),
        None => (0, 0),
    };
    if a[2] != 0 {
        p.wr(a[2], Itimerval::SIZE as u64)?;
    }
    let k = key(&p.shared, -1 - a[0] as i32);
    let mut t = table();
    t.timers.entry(k).or_insert_with(|| Timer {
        owner: p.shared.clone(),
        clock,
        abs_clock: libc::CLOCK_MONOTONIC,
        sig,
        target: Target::Process,
        value: None,
        deadline: None,
        interval: 0,
        overrun: 0,
        taken_overrun: 0,
    });
    let (old_interval, old_value) = arm(&mut t, k, value, interval)?;
    drop(t);
    if a[2] != 0 {
        p.store(
            a[2],
            &Itimerval {
                it_interval: timeval(old_interval),
                it_value: timeval(old_value),
            },
        )?;
    }
    Ok(0)
}

/// The guest's clock id as a timer clock, and the host clock its absolute times are on.
/// glibc passes the CPU-time clocks as the kernel's encoded ids (`~pid << 3 | type`, with
/// bit 2 for a thread, pid 0 for the caller): CLOCK_PROCESS_CPUTIME_ID arrives as -6.
fn posix_clock(p: &Task, id: u64) -> Result<(Clock, libc::clockid_t), Errno> {
    let id = id as i32;
    let process = (
        Clock::Cpu(libc::CLOCK_PROCESS_CPUTIME_ID),
        libc::CLOCK_PROCESS_CPUTIME_ID,
    );
    match id {
        libc::CLOCK_REALTIME | libc::CLOCK_MONOTONIC | libc::CLOCK_BOOTTIME => {
            Ok((Clock::Wall, id))
        }
        libc::CLOCK_PROCESS_CPUTIME_ID => Ok(process),
        libc::CLOCK_THREAD_CPUTIME_ID => thread_clock(p, 0),
        // CPUCLOCK_SCHED, the only CPU clock type glibc makes (3 is no type at all).
        id if id < 0 && id & 3 == 2 => {
            let who = !(id >> 3);
            match (id & 4 != 0, who) {
                (true, tid) => thread_clock(p, tid),
                (false, pid) if pid == 0 || pid == p.shared.pid() => Ok(process),
                _ => Err(Errno::EINVAL),
            }
        }
        _ => Err(Errno::EINVAL),
    }
}

/// The CPU clock of guest thread `tid` (0: the caller), on the host thread running it.
fn thread_clock(p: &Task, tid: i32) -> Result<(Clock, libc::clockid_t), Errno> {
    let host = if tid == 0 || tid == p.tid {
        crate::state::host_tid()
    } else {
        let threads = lock(&p.shared.threads);
        let t = threads.get(&tid).ok_or(Errno::EINVAL)?;
        t.host_tid.load(std::sync::atomic::Ordering::Acquire)
    };
    let clock = thread_cpu_clock(host);
    Ok((Clock::Cpu(clock), clock))
}

/// timer_create(clockid, sevp, timerid).
pub fn timer_create(p: &mut Task, a: [u64; 6]) -> SysResult {
    let (clock, abs_clock) = posix_clock(p, a[0])?;
    let ev = p.load_opt::<SigEvent>(a[1])?;
    p.wr(a[2], 4)?;
    let mut t = table();
    let me = Arc::as_ptr(&p.shared) as usize;
    // The id after the highest in use, else the lowest free one, within a bound on what a
    // guest may hold (like the kernel's RLIMIT_SIGPENDING default).
    let mine = (me, 0)..(me, MAX_TIMERS);
    let after = t
        .timers
        .range(mine.clone())
        .next_back()
        .map_or(0, |(k, _)| k.1 + 1);
    let id = if after < MAX_TIMERS {
        after
    } else {
        (0..MAX_TIMERS)
            .find(|&i| !t.timers.contains_key(&(me, i)))
            .ok_or(Errno::EAGAIN)?
    };
    // No sigevent: SIGEV_SIGNAL of SIGALRM with the timer id as the value.
    let ev = ev.unwrap_or(SigEvent {
        value: id as u64,
        signo: SIGALRM as i32,
        notify: SIGEV_SIGNAL,
        tid: 0,
    });
    let target = match ev.notify {
        SIGEV_NONE => Target::Nobody,
        // At the kernel, SIGEV_THREAD is SIGEV_SIGNAL (glibc builds the thread on
        // SIGEV_THREAD_ID).
        SIGEV_SIGNAL | SIGEV_THREAD => Target::Process,
        n if n == SIGEV_SIGNAL | SIGEV_THREAD_ID => {
            if !lock(&p.shared.threads).contains_key(&ev.tid) {
                return Err(Errno::EINVAL);
            }
            Target::Thread(ev.tid)
        }
        _ => return Err(Errno::EINVAL),
    };
    if target != Target::Nobody && !(1..=NSIG as i32).contains(&ev.signo) {
        return Err(Errno::EINVAL);
    }
    t.timers.insert(
        (me, id),
        Timer {
            owner: p.shared.clone(),
            clock,
            abs_clock,
            sig: ev.signo.max(0) as usize,
            target,
            value: Some(ev.value),
            deadline: None,
            interval: 0,
            overrun: 0,
            taken_overrun: 0,
        },
    );
    drop(t);
    p.put(a[2], &id.to_le_bytes())?;
    Ok(0)
}

/// The key of the guest's POSIX timer `id` (EINVAL when it has none).
fn posix_key(p: &Task, t: &Table, id: u64) -> Result<(usize, i32), Errno> {
    let k = key(&p.shared, id as i32);
    if id as i32 >= 0 && id <= i32::MAX as u64 && t.timers.contains_key(&k) {
        Ok(k)
    } else {
        Err(Errno::EINVAL)
    }
}

/// timer_settime(id, flags, new, old).
pub fn timer_settime(p: &mut Task, a: [u64; 6]) -> SysResult {
    let new: Itimerspec = p.load(a[2])?;
    let (mut value, interval) = (
        new.it_value.nanos().ok_or(Errno::EINVAL)?,
        new.it_interval.nanos().ok_or(Errno::EINVAL)?,
    );
    if a[3] != 0 {
        p.wr(a[3], Itimerspec::SIZE as u64)?;
    }
    let mut t = table();
    let k = posix_key(p, &t, a[0])?;
    if a[1] & TIMER_ABSTIME != 0 && value > 0 {
        // An absolute time on the guest's clock: what is left of it now (at least 1 ns, so
        // a time already past still fires).
        // Deterministic mode: the guest's clocks are virtual (see vclock).
        let clock = t.timers[&k].abs_clock;
        let now = match super::vclock::read(p, clock)? {
            Some(v) => v,
            None => host_clock(clock).unwrap_or(0),
        };
        value = value.saturating_sub(now).max(1);
    }
    let (old_interval, old_value) = arm(&mut t, k, value, interval)?;
    drop(t);
    if a[3] != 0 {
        p.store(
            a[3],
            &Itimerspec {
                it_interval: timespec(old_interval),
                it_value: timespec(old_value),
            },
        )?;
    }
    Ok(0)
}

/// timer_gettime(id, cur).
pub fn timer_gettime(p: &mut Task, a: [u64; 6]) -> SysResult {
    let t = table();
    let k = posix_key(p, &t, a[0])?;
    let (interval, value) = read_timer(&t, k).unwrap_or((0, 0));
    drop(t);
    p.store(
        a[1],
        &Itimerspec {
            it_interval: timespec(interval),
            it_value: timespec(value),
        },
    )?;
    Ok(0)
}

/// timer_getoverrun(id): the overrun count of the timer's signal taken last.
pub fn timer_getoverrun(p: &mut Task, a: [u64; 6]) -> SysResult {
    let t = table();
    let k = posix_key(p, &t, a[0])?;
    Ok(t.timers[&k].taken_overrun)
}

/// A signal was taken from a pending set (delivered to a handler, or read from a signalfd
/// or by sigtimedwait): a timer's records its overrun count for timer_getoverrun.
pub fn taken(shared: &Arc<Shared>, info: &crate::signal::SigInfo) {
    let i = SigInfoTimer::read(info);
    if i.code != SI_TIMER {
        return;
    }
    if let Some(timer) = table().timers.get_mut(&key(shared, i.timerid)) {
        timer.taken_overrun = i.overrun.max(0) as u64;
    }
}

/// timer_delete(id): the timer stops; a signal of it already pending stays pending.
pub fn timer_delete(p: &mut Task, a: [u64; 6]) -> SysResult {
    let mut t = table();
    let k = posix_key(p, &t, a[0])?;
    t.timers.remove(&k);
    Ok(0)
}

/// How many timers of `shared`'s process are armed (a snapshot cannot carry them yet).
pub(super) fn armed(shared: &Arc<Shared>) -> usize {
    let owner = Arc::as_ptr(shared) as usize;
    table()
        .timers
        .iter()
        .filter(|((o, _), t)| *o == owner && t.deadline.is_some())
        .count()
}
