//! Signals taken as data instead of delivered: signalfd4 descriptors and rt_sigtimedwait
//! (sigwaitinfo, sigtimedwait, and glibc's SIGEV_THREAD helper thread).
//!
//! A guest signalfd is the read end of a host pipe whose write end mimic keeps: the pipe
//! holds one byte exactly while a signal of the signalfd's mask is pending in the guest,
//! so host poll, epoll and a blocking read see it as the kernel's signalfd would be seen.
//! A read is answered from the guest's pending sets, never from the pipe.
//!
//! ```text
//!   signalfd4 ─▶ pipe2: read end = the guest's fd (identified by its inode); mimic keeps
//!                the write end and a read end of its own
//!   sync (before and after each system call, after a timer fires):
//!        guest pending ∩ mask ≠ ∅ ? one byte in the pipe : pipe empty
//!   read(sfd) ─▶ Pending::take(mask) ─▶ struct signalfd_siginfo[n]
//! ```
//!
//! mimic keeps pending signals per thread: a signalfd is readable when any thread of the
//! process has one of its signals pending, and a read takes the reader's own first, then
//! the other threads' (Linux's process-wide pending set, approximated).

use super::fs::host;
use super::{Errno, Outcome, SysResult, Task, Wait};
use crate::abi::layout::Field;
use crate::abi::signal::{SigInfoFault, SigInfoSender, SigInfoTimer, SignalfdSiginfo};
use crate::abi::time::Timespec;
use crate::signal::{SigInfo, SIGKILL, SIGSTOP};
use crate::state::{lock, Shared};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// The kernel's sigset_t: one 64-bit word.
const SIGSET_SIZE: u64 = 8;
const SFD_NONBLOCK: u64 = libc::O_NONBLOCK as u64;
const SFD_CLOEXEC: u64 = libc::O_CLOEXEC as u64;
/// How often a deterministic-mode sigtimedwait looks again, in virtual nanoseconds: the
/// signals it waits for are blocked, so the scheduler cannot see them end the wait.
const DET_RECHECK: u64 = 1_000_000;

/// The longest a blocking signalfd read or sigtimedwait sleeps before it looks at the
/// pending sets again (a signal raised for another thread wakes that thread, not this one).
const HOST_RECHECK_MS: i32 = 50;

struct Sigfd {
    /// The process it belongs to.
    owner: usize,
    /// The host process that made it: a fork's child shares the pipe with its parent and
    /// leaves the byte to the parent (its reads still take its own signals).
    host_pid: i32,
    /// The read end's identity: the guest may dup it, close it, or reuse its number.
    dev: u64,
    ino: u64,
    write_end: i32,
    /// A read end of mimic's own (its own open file, so the guest's O_NONBLOCK is not its).
    read_own: i32,
    mask: u64,
    /// Whether the pipe holds its byte.
    full: bool,
}

static SIGFDS: Mutex<Vec<Sigfd>> = Mutex::new(Vec::new());
/// How many signalfds exist: the per-call sync costs nothing while there are none.
static COUNT: AtomicUsize = AtomicUsize::new(0);

fn owner(shared: &Arc<Shared>) -> usize {
    Arc::as_ptr(shared) as usize
}

/// The identity of host descriptor `fd`, if it is open.
fn identity(fd: u64) -> Option<(u64, u64)> {
    // SAFETY: stat is plain data, for which zeroes are valid.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: fstat writes one stat into `st`.
    if unsafe { libc::fstat(fd as i32, &mut st) } != 0 {
        return None;
    }
    Some((st.st_dev, st.st_ino))
}

/// The index of the signalfd that guest descriptor `fd` is, if it is one.
fn find(list: &[Sigfd], shared: &Arc<Shared>, fd: u64) -> Option<usize> {
    if COUNT.load(Ordering::Relaxed) == 0 || fd > i32::MAX as u64 {
        return None;
    }
    let id = identity(fd)?;
    list.iter()
        .position(|s| s.owner == owner(shared) && (s.dev, s.ino) == id)
}

/// The pending signals of `shared`'s threads, all of them.
fn pending_bits(shared: &Shared) -> u64 {
    lock(&shared.threads)
        .values()
        .fold(0, |acc, t| acc | lock(&t.pending).bits)
}

/// The signalfd list, locked for a fork (see `thread::fork`): the timer thread holds it while
/// it syncs readiness, and a child forked then would find its copy locked forever.
pub(super) fn hold_for_fork() -> impl Sized {
    lock(&SIGFDS)
}

/// Makes every signalfd of `shared` readable exactly when one of its signals is pending.
pub fn sync(shared: &Arc<Shared>) {
    if COUNT.load(Ordering::Relaxed) == 0 {
        return;
    }
    let pending = pending_bits(shared);
    let mut list = lock(&SIGFDS);
    list.retain_mut(|s| {
        let want = pending & s.mask != 0;
        // SAFETY: getpid has no preconditions.
        if s.owner != owner(shared) || want == s.full || s.host_pid != unsafe { libc::getpid() } {
            return true;
        }
        // mimic's two ends live among the guest's descriptors, which the guest may close
        // (close_range) and reuse: both must still be this pipe before a byte moves, or
        // the byte could land in a file of the guest's.
        let id = Some((s.dev, s.ino));
        if identity(s.write_end as u64) != id || identity(s.read_own as u64) != id {
            COUNT.fetch_sub(1, Ordering::Relaxed);
            return false;
        }
        let mut byte = [0u8; 1];
        // SAFETY: one byte to or from a live buffer, on descriptors just seen to be this
        // pipe's ends; both are non-blocking, and our own read end means a write never
        // meets a pipe without readers (no SIGPIPE).
        unsafe {
            if want {
                s.full = libc::write(s.write_end, byte.as_ptr().cast(), 1) == 1;
            } else {
                libc::read(s.read_own, byte.as_mut_ptr().cast(), 1);
                s.full = false;
            }
        }
        true
    });
}

/// signalfd4(fd, mask, sizemask, flags): a new signalfd for fd -1, else a new mask for
/// the signalfd `fd`.
pub fn signalfd4(p: &mut Task, a: [u64; 6]) -> SysResult {
    if a[2] != SIGSET_SIZE || a[3] & !(SFD_NONBLOCK | SFD_CLOEXEC) != 0 {
        return Err(Errno::EINVAL);
    }
    let mask = u64::from_le_bytes(p.get_array(a[1])?)
        & !(crate::signal::bit(SIGKILL) | crate::signal::bit(SIGSTOP));
    let mut list = lock(&SIGFDS);
    if a[0] as i32 != -1 {
        let i = find(&list, &p.shared, a[0]).ok_or(Errno::EINVAL)?;
        list[i].mask = mask;
        drop(list);
        sync(&p.shared);
        return Ok(a[0]);
    }
    let mut ends = [0i32; 2];
    // SAFETY: pipe2 writes two descriptors into `ends`.
    host(unsafe { libc::pipe2(ends.as_mut_ptr(), (a[3] & !SFD_NONBLOCK) as i32) } as i64)?;
    let [read_end, write_end] = ends;
    // SAFETY: fcntl on the descriptors just made.
    unsafe {
        libc::fcntl(
            write_end,
            libc::F_SETFL,
            libc::O_NONBLOCK | libc::fcntl(write_end, libc::F_GETFL),
        );
        libc::fcntl(write_end, libc::F_SETFD, libc::FD_CLOEXEC);
        if a[3] & SFD_NONBLOCK != 0 {
            libc::fcntl(read_end, libc::F_SETFL, libc::O_NONBLOCK);
        }
    }
    // A pipe just made has an identity.
    let (dev, ino) = identity(read_end as u64).ok_or(Errno(libc::EBADF))?;
    let path = format!("/proc/self/fd/{write_end}\0");
    // SAFETY: a NUL-terminated path on this frame.
    let read_own = unsafe {
        libc::open(
            path.as_ptr().cast(),
            libc::O_RDONLY | libc::O_NONBLOCK | libc::O_CLOEXEC,
        )
    };
    if read_own < 0 {
        let e = Errno::last();
        // SAFETY: the descriptors just made, closed once.
        unsafe {
            libc::close(read_end);
            libc::close(write_end);
        }
        return Err(e);
    }
    list.push(Sigfd {
        owner: owner(&p.shared),
        // SAFETY: getpid has no preconditions.
        host_pid: unsafe { libc::getpid() },
        dev,
        ino,
        write_end,
        read_own,
        mask,
        full: false,
    });
    COUNT.fetch_add(1, Ordering::Relaxed);
    drop(list);
    sync(&p.shared);
    Ok(read_end as u64)
}

/// Takes one pending signal of `mask`: the caller's own first, then the other threads'.
fn take(p: &Task, mask: u64) -> Option<(usize, SigInfo)> {
    let own = lock(&p.ctl.pending).take(!mask);
    let taken = own.or_else(|| {
        let threads: Vec<_> = lock(&p.shared.threads).values().cloned().collect();
        threads.iter().find_map(|t| lock(&t.pending).take(!mask))
    });
    if let Some((_, info)) = &taken {
        super::timer::taken(&p.shared, info);
    }
    taken
}

/// A siginfo as signalfd reports it: the union member the kernel's signalfd_copyinfo picks
/// by si_code.
fn ssi(sig: usize, info: &SigInfo) -> SignalfdSiginfo {
    let s = SigInfoSender::read(info);
    let mut out = SignalfdSiginfo {
        ssi_signo: sig as u32,
        ssi_errno: s.errno,
        ssi_code: s.code,
        ssi_pid: 0,
        ssi_uid: 0,
        ssi_fd: 0,
        ssi_tid: 0,
        ssi_band: 0,
        ssi_overrun: 0,
        ssi_trapno: 0,
        ssi_status: 0,
        ssi_int: 0,
        ssi_ptr: 0,
        ssi_utime: 0,
        ssi_stime: 0,
        ssi_addr: 0,
    };
    const SI_TIMER: i32 = -2;
    let fault = matches!(sig, 4 | 5 | 7 | 8 | 11);
    if s.code == SI_TIMER {
        let t = SigInfoTimer::read(info);
        out.ssi_tid = t.timerid as u32;
        out.ssi_overrun = t.overrun as u32;
        out.ssi_int = t.value as i32;
        out.ssi_ptr = t.value;
    } else if fault && s.code > 0 {
        out.ssi_addr = SigInfoFault::read(info).addr;
    } else {
        out.ssi_pid = s.pid as u32;
        out.ssi_uid = s.uid;
        if s.code < 0 {
            out.ssi_int = s.value as i32;
            out.ssi_ptr = s.value;
        }
    }
    out
}

/// A read of a signalfd (called by read for every descriptor; None when `fd` is not one).
pub fn read(p: &mut Task, fd: u64, buf: u64, len: u64) -> Option<Result<Outcome, Errno>> {
    let list = lock(&SIGFDS);
    let mask = list[find(&list, &p.shared, fd)?].mask;
    drop(list);
    Some(read_signals(p, fd, buf, len, mask))
}

fn read_signals(p: &mut Task, fd: u64, buf: u64, len: u64, mask: u64) -> Result<Outcome, Errno> {
    let size = SignalfdSiginfo::SIZE as u64;
    let n = len / size;
    if n == 0 {
        return Err(Errno::EINVAL);
    }
    p.wr(buf, n * size)?;
    loop {
        p.ctl.looking(p.sig.mask);
        p.take_host_signals();
        let mut got = 0;
        while got < n {
            let Some((sig, info)) = take(p, mask) else {
                break;
            };
            p.store(buf + got * size, &ssi(sig, &info))?;
            got += 1;
        }
        sync(&p.shared);
        if got > 0 {
            return Outcome::value(got * size);
        }
        // SAFETY: F_GETFL on a descriptor the guest passed; a bad one reads as -1.
        let flags = unsafe { libc::fcntl(fd as i32, libc::F_GETFL) };
        if flags & libc::O_NONBLOCK != 0 {
            return Err(Errno::EAGAIN);
        }
        if p.shared.deterministic() {
            return Ok(Outcome::Park(Wait::Io {
                fds: vec![(fd as i32, libc::POLLIN)],
                deadline: None,
            }));
        }
        let mut pfd = libc::pollfd {
            fd: fd as i32,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one live pollfd. mimic's wake-up and forwarded signals interrupt it
        // (EINTR); one that lands between the look above and the poll is seen by the next
        // look, at most HOST_RECHECK_MS later.
        let r = unsafe { libc::poll(&mut pfd, 1, HOST_RECHECK_MS) };
        if r < 0 {
            return Err(Errno::EINTR);
        }
    }
}

/// rt_sigtimedwait(set, info, timeout, sigsetsize): takes a pending signal of `set`
/// without running its handler.
pub fn rt_sigtimedwait(p: &mut Task, a: [u64; 6]) -> Result<Outcome, Errno> {
    if a[3] != SIGSET_SIZE {
        return Err(Errno::EINVAL);
    }
    let set = u64::from_le_bytes(p.get_array(a[0])?)
        & !(crate::signal::bit(SIGKILL) | crate::signal::bit(SIGSTOP));
    let timeout = match p.load_opt::<Timespec>(a[2])? {
        None => None,
        Some(t) => Some(t.nanos().ok_or(Errno::EINVAL)?),
    };
    let start = std::time::Instant::now();
    loop {
        p.ctl.looking(p.sig.mask);
        p.take_host_signals();
        if let Some((sig, info)) = take(p, set) {
            if a[1] != 0 {
                p.put(a[1], &info)?;
            }
            sync(&p.shared);
            return Outcome::value(sig as u64);
        }
        if p.next_signal().is_some() {
            return Err(Errno::EINTR);
        }
        if p.shared.deterministic() {
            // Parked, the call runs again after a virtual millisecond (the signal may come
            // from a timer, or another vCPU of this host thread) or at its timeout's end,
            // kept across the reruns.
            let now = super::thread::deadline(p, 0);
            let end = if std::mem::take(&mut p.poll_expired) {
                p.sigwait_end
            } else {
                timeout.map(|t| now.saturating_add(t))
            };
            p.sigwait_end = end;
            if end.is_some_and(|e| e <= now) {
                return Err(Errno::EAGAIN);
            }
            let recheck = now.saturating_add(DET_RECHECK);
            return Ok(Outcome::Park(Wait::Io {
                fds: Vec::new(),
                deadline: Some(end.map_or(recheck, |e| e.min(recheck))),
            }));
        }
        // A process-directed signal may be queued for another thread (see `take`), which
        // is the one woken: look again every HOST_RECHECK_MS.
        let recheck = HOST_RECHECK_MS as u64 * 1_000_000;
        let left = match timeout {
            None => recheck,
            Some(t) => {
                let spent = start.elapsed().as_nanos() as u64;
                if spent >= t {
                    return Err(Errno::EAGAIN);
                }
                (t - spent).min(recheck)
            }
        };
        let ready = || p.next_signal().is_some() || lock(&p.ctl.pending).bits & set != 0;
        crate::hostsig::wait_for_signal_until(ready, Some(std::time::Duration::from_nanos(left)));
    }
}

/// How many signalfds `shared`'s process holds (a snapshot cannot carry them yet).
pub(super) fn held(shared: &Arc<Shared>) -> usize {
    let me = owner(shared);
    lock(&SIGFDS).iter().filter(|s| s.owner == me).count()
}
