//! Event loops: epoll sets, eventfds and timerfds. The descriptors are host descriptors; only
//! `struct epoll_event` differs (riscv64 pads it to 16 bytes, x86-64 packs it into 12), so
//! every event crosses through its declaration.
//!
//! ```text
//!   epoll_ctl   guest EpollEvent ─load─▶ libc::epoll_event ─▶ host
//!   epoll_pwait host ─▶ [libc::epoll_event; ≤ BATCH] ─store─▶ guest EpollEvent[n]
//!               deterministic: a wait that does not wait, else park on the epoll fd (POLLIN)
//! ```

use super::fs::host;
use super::Task;
use super::{Errno, Outcome, SysResult, Wait};
use crate::abi::file::EpollEvent;
use crate::abi::layout::Field;
use crate::abi::time::{Itimerspec, Timespec};

fn sys(nr: libc::c_long, a: [u64; 6]) -> SysResult {
    // SAFETY: the callers pass scalars, or host buffers that live across the call and are as
    // large as the call writes.
    host(unsafe { libc::syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]) })
}

/// The kernel's EP_MAX_EVENTS: INT_MAX over riscv64's sizeof(struct epoll_event).
const EP_MAX_EVENTS: u64 = i32::MAX as u64 / EpollEvent::SIZE as u64;
/// At most this many events are taken per call: epoll may return fewer than are ready, and the
/// rest stay ready for the next call, so the host buffer need not grow with maxevents.
const BATCH: usize = 1024;
const EPOLL_CTL_DEL: u64 = 2;

pub fn epoll_create1(_: &mut Task, a: [u64; 6]) -> SysResult {
    // EPOLL_CLOEXEC is O_CLOEXEC on both sides.
    sys(libc::SYS_epoll_create1, [a[0], 0, 0, 0, 0, 0])
}

pub fn epoll_ctl(p: &mut Task, a: [u64; 6]) -> SysResult {
    // As the kernel: every op but DEL reads the event first (DEL takes NULL), so an unknown op
    // with a bad pointer is EFAULT before it is EINVAL.
    let mut ev = libc::epoll_event { events: 0, u64: 0 };
    if a[1] != EPOLL_CTL_DEL {
        let g: EpollEvent = p.load(a[3])?;
        ev = libc::epoll_event {
            events: g.events,
            u64: g.data,
        };
    }
    sys(
        libc::SYS_epoll_ctl,
        [a[0], a[1], a[2], &mut ev as *mut _ as u64, 0, 0],
    )
}

/// epoll_pwait(epfd, events, maxevents, timeout_ms, sigmask, sigsetsize).
pub fn epoll_pwait(p: &mut Task, a: [u64; 6]) -> Result<Outcome, Errno> {
    // A negative timeout waits for ever.
    let ms = a[3] as i32;
    let timeout = (ms >= 0).then(|| ms as u64 * 1_000_000);
    wait(p, a, timeout)
}

/// epoll_pwait2(epfd, events, maxevents, timeout timespec, sigmask, sigsetsize).
pub fn epoll_pwait2(p: &mut Task, a: [u64; 6]) -> Result<Outcome, Errno> {
    let timeout = match p.load_opt::<Timespec>(a[3])? {
        None => None,
        Some(t) => Some(t.nanos().ok_or(Errno::EINVAL)?),
    };
    wait(p, a, timeout)
}

/// Both waits: `timeout` in nanoseconds, None for none.
fn wait(p: &mut Task, a: [u64; 6], timeout: Option<u64>) -> Result<Outcome, Errno> {
    let (events, max) = (a[1], a[2] as i32);
    if max <= 0 || max as u64 > EP_MAX_EVENTS {
        return Err(Errno::EINVAL);
    }
    // The whole array must be writable, as qemu checks (Linux faults only on the events it
    // copies out).
    p.wr(events, max as u64 * EpollEvent::SIZE as u64)?;
    // The guest's signal mask is emulated (see `Task::with_sigmask`); the host call runs with
    // mimic's own, as ppoll's and pselect6's do.
    let mask = super::fs::sigmask_arg(p, a[4], a[5])?;
    p.with_sigmask(mask, |p| wait_with(p, a, timeout))
}

/// An epoll wait once its arguments are checked, under the mask it was given.
fn wait_with(p: &mut Task, a: [u64; 6], timeout: Option<u64>) -> Result<Outcome, Errno> {
    let (epfd, events, max) = (a[0], a[1], a[2] as i32);
    let mut buf = vec![libc::epoll_event { events: 0, u64: 0 }; (max as usize).min(BATCH)];
    let det = p.shared.deterministic();
    let host_ms = match timeout {
        _ if det => 0,
        None => -1i64,
        Some(ns) => ns.div_ceil(1_000_000).min(i32::MAX as u64) as i64,
    };
    let n = sys(
        libc::SYS_epoll_wait,
        [
            epfd,
            buf.as_mut_ptr() as u64,
            buf.len() as u64,
            host_ms as u64,
            0,
            0,
        ],
    )?;
    if det {
        // Deterministic mode waited for nothing: park on the epoll fd itself, readable when
        // any event in its set is, until the (virtual) timeout.
        let expired = std::mem::take(&mut p.poll_expired);
        if n == 0 && timeout != Some(0) && !expired {
            let deadline = timeout.map(|t| super::thread::deadline(p, t));
            return Ok(Outcome::Park(Wait::Io {
                fds: vec![(epfd as i32, libc::POLLIN)],
                deadline,
            }));
        }
    }
    for (i, e) in buf[..n as usize].iter().enumerate() {
        let g = EpollEvent {
            events: e.events,
            data: e.u64,
        };
        p.store(events + i as u64 * EpollEvent::SIZE as u64, &g)?;
    }
    Outcome::value(n)
}

pub fn eventfd2(_: &mut Task, a: [u64; 6]) -> SysResult {
    // EFD_CLOEXEC, EFD_NONBLOCK and EFD_SEMAPHORE are the same bits on both sides.
    sys(libc::SYS_eventfd2, [a[0], a[1], 0, 0, 0, 0])
}

pub fn timerfd_create(p: &mut Task, a: [u64; 6]) -> SysResult {
    if let Some(r) = super::vtimerfd::create(p, a) {
        return r;
    }
    // The clock ids and TFD_* flags are the same on both sides.
    sys(libc::SYS_timerfd_create, [a[0], a[1], 0, 0, 0, 0])
}

/// timerfd_settime(fd, flags, new, old): struct itimerspec is the host's (abi::host's tests),
/// so the buffers pass through.
pub fn timerfd_settime(p: &mut Task, a: [u64; 6]) -> SysResult {
    if let Some(r) = super::vtimerfd::settime(p, a) {
        return r;
    }
    let size = Itimerspec::SIZE as u64;
    sys(
        libc::SYS_timerfd_settime,
        [a[0], a[1], p.rd(a[2], size)?, p.wr_opt(a[3], size)?, 0, 0],
    )
}

pub fn timerfd_gettime(p: &mut Task, a: [u64; 6]) -> SysResult {
    if let Some(r) = super::vtimerfd::gettime(p, a) {
        return r;
    }
    let size = Itimerspec::SIZE as u64;
    sys(
        libc::SYS_timerfd_gettime,
        [a[0], p.wr(a[1], size)?, 0, 0, 0, 0],
    )
}
