//! Threads and processes: clone, exit, futex, execve, wait4/waitid, and the blocking calls the
//! deterministic scheduler turns into waits.
//!
//! In parallel mode a futex is a host futex on the guest word's host address (the word is
//! inside the reservation, shared by every vCPU thread), so waits and wakes are the host
//! kernel's. In deterministic mode the waiters are queues the scheduler resolves.

use super::fs::host;
use super::{End, Errno, NewThread, Outcome, SysResult, Task, Wait};
use crate::abi::layout::Field;
use crate::abi::proc::{CloneArgs, RobustListHead};
use crate::abi::signal::SigInfoFault;
use crate::abi::time::{Rusage, Timespec};
use crate::state::{lock, ThreadCtl, Waiter};
use isa_a::Bus;
use std::ffi::CString;
use std::sync::atomic::Ordering;

const CSIGNAL: u64 = 0xff;
const CLONE_VM: u64 = 0x100;
const CLONE_FS: u64 = 0x200;
const CLONE_FILES: u64 = 0x400;
const CLONE_SIGHAND: u64 = 0x800;
const CLONE_VFORK: u64 = 0x4000;
const CLONE_PARENT: u64 = 0x8000;
const CLONE_THREAD: u64 = 0x10000;
const CLONE_SYSVSEM: u64 = 0x40000;
const CLONE_SETTLS: u64 = 0x80000;
const CLONE_PARENT_SETTID: u64 = 0x100000;
const CLONE_CHILD_CLEARTID: u64 = 0x200000;
const CLONE_DETACHED: u64 = 0x400000;
const CLONE_CHILD_SETTID: u64 = 0x1000000;
const CLONE_IO: u64 = 0x8000_0000;
const SIGCHLD: u64 = 17;

/// What a guest thread shares, all of it: the only memory-sharing clone a vCPU can be.
const THREAD_SET: u64 =
    CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM;
/// Flags a host fork honours besides the exit signal.
const FORK_OPTIONAL: u64 =
    CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID;
/// Flags a thread honours besides its set (a thread's parent is its process's anyway).
const THREAD_OPTIONAL: u64 = FORK_OPTIONAL | CLONE_PARENT;

/// timespec and rusage are the same on both sides (see abi::host's tests): passed through.
const TIMESPEC: u64 = Timespec::SIZE as u64;
const RUSAGE: u64 = Rusage::SIZE as u64;

fn sys(nr: libc::c_long, a: [u64; 6]) -> SysResult {
    // SAFETY: the callers pass scalars, or host addresses of guest buffers checked for the
    // size the call reads or writes.
    host(unsafe { libc::syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]) })
}

pub fn exit(_: &mut Task, a: [u64; 6]) -> Result<Outcome, Errno> {
    Ok(Outcome::End(End::Thread(a[0] as i32 & 0xff)))
}
pub fn exit_group(_: &mut Task, a: [u64; 6]) -> Result<Outcome, Errno> {
    Ok(Outcome::End(End::Process(a[0] as i32 & 0xff)))
}
pub fn set_tid_address(v: &mut Task, a: [u64; 6]) -> SysResult {
    v.clear_child_tid = a[0];
    Ok(v.tid as u64)
}
pub fn gettid(v: &mut Task, _: [u64; 6]) -> SysResult {
    Ok(v.tid as u64)
}
pub fn set_robust_list(v: &mut Task, a: [u64; 6]) -> SysResult {
    // The list is kept but not walked at thread exit: only robust mutexes held by a dying
    // thread depend on it.
    if a[1] != RobustListHead::SIZE as u64 {
        return Err(Errno::EINVAL);
    }
    v.robust_list = (a[0], a[1]);
    Ok(0)
}
/// riscv_flush_icache(start, end, flags): the translated code of `start..end` is checked
/// against guest memory when the call is done (every vCPU's code: the flag that limits Linux's
/// flush to the calling thread only makes it cheaper there). An empty or reversed range
/// checks everything, as Linux flushes all whatever the range.
pub fn riscv_flush_icache(v: &mut Task, a: [u64; 6]) -> SysResult {
    v.icache_flush = Some((a[0], a[1]));
    Ok(0)
}

/// Writes a tid to a guest int (CLONE_PARENT_SETTID, CLONE_CHILD_SETTID).
fn put_tid(v: &Task, addr: u64, tid: i32) {
    let _ = v.put(addr, &tid.to_le_bytes());
}

/// clone, with the flag sets qemu-user accepts: a vCPU thread shares everything a thread
/// shares, and a host fork shares nothing, so CLONE_VM without the whole thread set (a
/// process sharing memory, which would otherwise become a thread wait4 never finds), or a
/// fork asked to share files or to signal other than SIGCHLD at exit, is EINVAL. vfork
/// (CLONE_VM|CLONE_VFORK) is a fork whose parent waits.
pub fn clone(v: &mut Task, a: [u64; 6]) -> Result<Outcome, Errno> {
    // riscv64 has no CLONE_BACKWARDS: (flags, newsp, parent_tid, tls, child_tid). The
    // kernel's clone reads only the low 32 bits of the flags.
    let [flags, stack, ptid, tls, ctid, _] = a;
    let flags = flags & 0xffff_ffff & !(CLONE_DETACHED | CLONE_IO);
    if flags & CLONE_VM != 0 && flags & CLONE_VFORK == 0 {
        if flags & THREAD_SET != THREAD_SET
            || flags & !(CSIGNAL | THREAD_SET | THREAD_OPTIONAL) != 0
        {
            return Err(Errno::EINVAL);
        }
        let tls = (flags & CLONE_SETTLS != 0).then_some(tls);
        return Ok(Outcome::Spawn(NewThread {
            flags,
            stack,
            ptid,
            tls,
            ctid,
        }));
    }
    let flags = flags & !CLONE_VM;
    if flags & !(CSIGNAL | CLONE_VFORK | FORK_OPTIONAL) != 0 || flags & CSIGNAL != SIGCHLD {
        return Err(Errno::EINVAL);
    }
    fork(v, flags, stack, ptid, tls, ctid)
}

const CLONE_NEWTIME: u64 = 0x80;
const CLONE_PIDFD: u64 = 0x1000;
const CLONE_CLEAR_SIGHAND: u64 = 0x1_0000_0000;
const CLONE_INTO_CGROUP: u64 = 0x2_0000_0000;
/// The shortest clone_args a caller may pass (its first version, without set_tid).
const CLONE_ARGS_SIZE_VER0: u64 = 64;
/// The deepest pid namespace nesting, and so the longest set_tid array.
const MAX_PID_NS_LEVEL: u64 = 32;

/// clone3(args, size): the same clones as [`clone`], with Linux's checks of the structure in
/// Linux's order. The exit signal is a field of its own, the stack is a base and a size, and
/// CLONE_PIDFD (for a process) writes a pidfd of the child to `pidfd`. What mimic has no
/// means for is EINVAL: namespaces (CLONE_NEWTIME among them), CLONE_INTO_CGROUP,
/// CLONE_CLEAR_SIGHAND and a pidfd of a thread. set_tid picks the child's pid, which only a
/// caller with CAP_CHECKPOINT_RESTORE in its pid namespace may: EPERM, as Linux gives an
/// unprivileged caller (a pid out of range, or more than one namespace level, is EINVAL).
pub fn clone3(v: &mut Task, a: [u64; 6]) -> Result<Outcome, Errno> {
    let (addr, size) = (a[0], a[1]);
    if size > crate::memory::PAGE {
        return Err(Errno(libc::E2BIG));
    }
    if size < CLONE_ARGS_SIZE_VER0 {
        return Err(Errno::EINVAL);
    }
    // A longer structure than this one is fine if the bytes mimic does not know are zero.
    let known = CloneArgs::SIZE as u64;
    if size > known && v.get(addr + known, size - known)?.iter().any(|&b| b != 0) {
        return Err(Errno(libc::E2BIG));
    }
    let mut bytes = [0u8; CloneArgs::SIZE];
    let given = size.min(known) as usize;
    bytes[..given].copy_from_slice(&v.get(addr, given as u64)?);
    let args = CloneArgs::read(&bytes);
    let flags = args.flags;
    if (args.set_tid == 0) != (args.set_tid_size == 0)
        || args.set_tid_size > MAX_PID_NS_LEVEL
        || args.exit_signal & !CSIGNAL != 0
        || (flags & CLONE_INTO_CGROUP != 0
            && (args.cgroup > i32::MAX as u64 || size < CloneArgs::SIZE as u64))
    {
        return Err(Errno::EINVAL);
    }
    let set_tid = v.get(args.set_tid, args.set_tid_size * 4)?;
    if flags & !(0xffff_ffff | CLONE_CLEAR_SIGHAND | CLONE_INTO_CGROUP) != 0
        || flags & (CLONE_DETACHED | (CSIGNAL & !CLONE_NEWTIME)) != 0
        || flags & (CLONE_SIGHAND | CLONE_CLEAR_SIGHAND) == CLONE_SIGHAND | CLONE_CLEAR_SIGHAND
        || (flags & (CLONE_THREAD | CLONE_PARENT) != 0 && args.exit_signal != 0)
        || (args.stack == 0) != (args.stack_size == 0)
        || args
            .stack
            .checked_add(args.stack_size)
            .is_none_or(|end| end > crate::memory::GUEST_LIMIT)
    {
        return Err(Errno::EINVAL);
    }
    if flags & (CLONE_NEWTIME | CLONE_CLEAR_SIGHAND | CLONE_INTO_CGROUP) != 0
        || (flags & CLONE_PIDFD != 0 && flags & CLONE_VM != 0 && flags & CLONE_VFORK == 0)
    {
        return Err(Errno::EINVAL);
    }
    if let Some(tid) = set_tid.chunks_exact(4).next() {
        let tid = i32::from_le_bytes(tid.try_into().expect("4 bytes"));
        if args.set_tid_size > 1 || tid < 1 || tid >= pid_max() {
            return Err(Errno::EINVAL);
        }
        return Err(Errno::EPERM);
    }
    // Linux writes the pidfd before the child runs and fails the clone if it cannot.
    if flags & CLONE_PIDFD != 0 {
        v.wr(args.pidfd, 4)?;
    }
    let legacy = (flags & !CLONE_PIDFD) | args.exit_signal;
    let stack = args.stack + args.stack_size;
    let outcome = clone(
        v,
        [legacy, stack, args.parent_tid, args.tls, args.child_tid, 0],
    )?;
    match outcome {
        Outcome::Done(Ok(pid)) if flags & CLONE_PIDFD != 0 => {
            // SAFETY: pidfd_open takes two integers; the child is ours and not yet reaped.
            let fd = host(unsafe { libc::syscall(libc::SYS_pidfd_open, pid as i32, 0) })?;
            put_tid(v, args.pidfd, fd as i32);
            Outcome::value(pid)
        }
        other => Ok(other),
    }
}

/// The host's pid_max (set_tid's range).
fn pid_max() -> i32 {
    std::fs::read_to_string("/proc/sys/kernel/pid_max")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(1 << 22)
}

impl NewThread {
    /// Makes `child` thread `tid` of its process, before its first instruction and before
    /// the clone returns (CLONE_PARENT_SETTID and CLONE_CHILD_SETTID are written here).
    pub fn adopt(&self, child: &mut Task, tid: i32) {
        child.tid = tid;
        child.ctl = ThreadCtl::new(tid);
        if self.flags & CLONE_PARENT_SETTID != 0 {
            put_tid(child, self.ptid, tid);
        }
        if self.flags & CLONE_CHILD_SETTID != 0 {
            put_tid(child, self.ctid, tid);
        }
        if self.flags & CLONE_CHILD_CLEARTID != 0 {
            child.clear_child_tid = self.ctid;
        }
        lock(&child.shared.threads).insert(tid, child.ctl.clone());
    }
}

/// fork, vfork and clone without CLONE_VM: a host fork of mimic from this thread, so the
/// child has a copy of the address space, the host fds and the emulator state. Only this
/// thread exists in the child, as on Linux. vfork's parent waits until the child execs or
/// exits (a close-on-exec pipe the child holds), which is what vfork promises; the memory
/// is a copy, not shared, which a correct vfork child cannot tell.
fn fork(
    v: &mut Task,
    flags: u64,
    stack: u64,
    ptid: u64,
    tls: u64,
    ctid: u64,
) -> Result<Outcome, Errno> {
    let mut sync = [-1; 2];
    // SAFETY: pipe2 writes two descriptors into `sync`.
    if flags & CLONE_VFORK != 0 && unsafe { libc::pipe2(sync.as_mut_ptr(), libc::O_CLOEXEC) } < 0 {
        return Err(Errno::last());
    }
    let pid = {
        // Hold the locks other threads may hold, so the child's copies are unlocked: first
        // the process-wide tables the timer thread takes before a process's own locks.
        let _timers = super::timer::hold_for_fork();
        let _space = v.shared.space();
        let _threads = lock(&v.shared.threads);
        let _actions = lock(&v.shared.actions);
        let _reported = lock(&v.shared.reported);
        let _regions = lock(&v.shared.regions);
        let _pending = lock(&v.ctl.pending);
        let _sigfds = super::sigfd::hold_for_fork();
        let _stderr = std::io::stderr().lock();
        let _log = v.shared.cfg.log.as_ref().map(|(_, sink)| sink.0.lock());
        // SAFETY: the child continues only on this thread, and every lock another thread could
        // hold is held here, so the child's copies start unlocked.
        unsafe { libc::fork() }
    };
    if pid < 0 {
        let e = Errno::last();
        for fd in sync {
            if fd >= 0 {
                // SAFETY: a descriptor of ours that nothing else uses.
                unsafe { libc::close(fd) };
            }
        }
        return Err(e);
    }
    if pid == 0 {
        // SAFETY: getpid has no preconditions.
        let me = unsafe { libc::getpid() };
        v.shared.pid.store(me, Ordering::Relaxed);
        v.tid = me;
        v.ctl = ThreadCtl::new(me);
        v.ctl.host_tid.store(me, Ordering::Release);
        *lock(&v.shared.threads) = [(me, v.ctl.clone())].into();
        if flags & CLONE_CHILD_SETTID != 0 {
            put_tid(v, ctid, me);
        }
        if flags & CLONE_CHILD_CLEARTID != 0 {
            v.clear_child_tid = ctid;
        }
        if stack != 0 {
            v.cpu.x[2] = stack;
        }
        if flags & CLONE_SETTLS != 0 {
            v.cpu.x[4] = tls;
        }
        v.cpu.reservation = isa_a::cpu::NO_RESERVATION;
        v.forked = true;
        if sync[0] >= 0 {
            // SAFETY: the child's copy of the read end, which it does not use.
            unsafe { libc::close(sync[0]) };
        }
        return Ok(Outcome::ForkChild);
    }
    if flags & CLONE_PARENT_SETTID != 0 {
        put_tid(v, ptid, pid);
    }
    if sync[0] >= 0 {
        // SAFETY: the parent's copy of the write end, which it does not use.
        unsafe { libc::close(sync[1]) };
        let mut b = 0u8;
        // SAFETY: read writes at most one byte into `b`.
        while unsafe { libc::read(sync[0], (&mut b as *mut u8).cast(), 1) } < 0
            && Errno::last() == Errno::EINTR
        {}
        // SAFETY: the read end, done with.
        unsafe { libc::close(sync[0]) };
    }
    Outcome::value(pid as u64)
}

/// Wakes up to `n` waiters of the futex at guest `addr` (the thread-exit wake of
/// CLONE_CHILD_CLEARTID, a shared futex as the kernel's).
pub fn futex_wake(v: &Task, addr: u64, n: u64) {
    if let Some(det) = &v.shared.det {
        lock(det).wake(addr, n, u32::MAX);
    } else if let Ok(h) = v.rd(addr, 4) {
        // SAFETY: `h` is the host address of a readable guest word; FUTEX_WAKE does not write.
        unsafe { libc::syscall(libc::SYS_futex, h, libc::FUTEX_WAKE, n, 0, 0, 0) };
    }
}

/// A guest timespec in nanoseconds; EINVAL when out of range.
fn timespec_ns(v: &Task, addr: u64) -> Result<u64, Errno> {
    v.load::<Timespec>(addr)?.nanos().ok_or(Errno::EINVAL)
}

/// Virtual `clock` now, in nanoseconds (deterministic mode).
fn clock_now(v: &Task, clock: i32) -> Result<u64, Errno> {
    super::vclock::read(v, clock)?.ok_or(Errno::EINVAL)
}

/// The virtual deadline of a wait of `rel` nanoseconds from now (deterministic mode).
/// It starts from the calling thread's reading of the clocks (`vclock`), so the clocks see
/// the whole wait pass.
pub(super) fn deadline(v: &Task, rel: u64) -> u64 {
    let now = super::vclock::now(v).expect("deterministic mode");
    now.saturating_add(rel)
}

const FUTEX_WAIT: u64 = 0;
const FUTEX_WAKE: u64 = 1;
const FUTEX_REQUEUE: u64 = 3;
const FUTEX_CMP_REQUEUE: u64 = 4;
const FUTEX_WAKE_OP: u64 = 5;
const FUTEX_WAIT_BITSET: u64 = 9;
const FUTEX_WAKE_BITSET: u64 = 10;
const FUTEX_PRIVATE: u64 = 128;
const FUTEX_CLOCK_REALTIME: u64 = 256;

pub fn futex(v: &mut Task, a: [u64; 6]) -> Result<Outcome, Errno> {
    let cmd = a[1] & !(FUTEX_PRIVATE | FUTEX_CLOCK_REALTIME);
    if !matches!(
        cmd,
        FUTEX_WAIT
            | FUTEX_WAKE
            | FUTEX_REQUEUE
            | FUTEX_CMP_REQUEUE
            | FUTEX_WAKE_OP
            | FUTEX_WAIT_BITSET
            | FUTEX_WAKE_BITSET
    ) {
        return Err(Errno::ENOSYS);
    }
    if a[1] & FUTEX_CLOCK_REALTIME != 0 && !matches!(cmd, FUTEX_WAIT | FUTEX_WAIT_BITSET) {
        return Err(Errno::ENOSYS);
    }
    if !a[0].is_multiple_of(4) {
        return Err(Errno::EINVAL);
    }
    if v.shared.deterministic() {
        return det_futex(v, cmd, a);
    }
    // The guest word's host address: every vCPU thread sees the same one.
    let uaddr = v.rd(a[0], 4)?;
    let (arg3, uaddr2) = match cmd {
        FUTEX_WAIT | FUTEX_WAIT_BITSET => (v.rd_opt(a[3], TIMESPEC)?, a[4]),
        FUTEX_REQUEUE | FUTEX_CMP_REQUEUE => (a[3], v.rd(a[4], 4)?),
        FUTEX_WAKE_OP => (a[3], v.wr(a[4], 4)?),
        _ => (a[3], a[4]),
    };
    Ok(Outcome::Done(sys(
        libc::SYS_futex,
        [uaddr, a[1], a[2], arg3, uaddr2, a[5]],
    )))
}

fn det_futex(v: &mut Task, cmd: u64, a: [u64; 6]) -> Result<Outcome, Errno> {
    let det = v.shared.det.as_ref().expect("deterministic mode");
    let mut mem = v.mem.clone();
    let word =
        |m: &mut crate::memory::GuestMem, addr: u64| -> Result<u32, Errno> { Ok(m.load32(addr)?) };
    match cmd {
        FUTEX_WAIT | FUTEX_WAIT_BITSET => {
            let bitset = if cmd == FUTEX_WAIT {
                u32::MAX
            } else {
                a[5] as u32
            };
            if bitset == 0 {
                return Err(Errno::EINVAL);
            }
            let rel = if a[3] == 0 {
                None
            } else if cmd == FUTEX_WAIT {
                Some(timespec_ns(v, a[3])?)
            } else {
                let clock = if a[1] & FUTEX_CLOCK_REALTIME != 0 {
                    libc::CLOCK_REALTIME
                } else {
                    libc::CLOCK_MONOTONIC
                };
                Some(timespec_ns(v, a[3])?.saturating_sub(clock_now(v, clock)?))
            };
            if word(&mut mem, a[0])? != a[2] as u32 {
                return Err(Errno::EAGAIN);
            }
            if rel == Some(0) {
                return Err(Errno::ETIMEDOUT);
            }
            let deadline = rel.map(|r| deadline(v, r));
            lock(det).futex.push(Waiter {
                tid: v.tid,
                addr: a[0],
                bitset,
            });
            Ok(Outcome::Park(Wait::Futex { deadline }))
        }
        FUTEX_WAKE | FUTEX_WAKE_BITSET => {
            let bitset = if cmd == FUTEX_WAKE {
                u32::MAX
            } else {
                a[5] as u32
            };
            if bitset == 0 {
                return Err(Errno::EINVAL);
            }
            Outcome::value(lock(det).wake(a[0], a[2] as i32 as u64, bitset))
        }
        FUTEX_REQUEUE | FUTEX_CMP_REQUEUE => {
            if cmd == FUTEX_CMP_REQUEUE && word(&mut mem, a[0])? != a[5] as u32 {
                return Err(Errno::EAGAIN);
            }
            if (a[2] as i32) < 0 || (a[3] as i32) < 0 {
                return Err(Errno::EINVAL);
            }
            let mut d = lock(det);
            let woken = d.wake(a[0], a[2], u32::MAX);
            Outcome::value(woken + d.requeue(a[0], a[4], a[3]))
        }
        FUTEX_WAKE_OP => {
            let old = wake_op_apply(&mut mem, a[4], a[5] as u32)?;
            let mut d = lock(det);
            let mut n = d.wake(a[0], a[2] as i32 as u64, u32::MAX);
            if wake_op_cmp(old, a[5] as u32) {
                n += d.wake(a[4], a[3] as i32 as u64, u32::MAX);
            }
            Outcome::value(n)
        }
        _ => Err(Errno::ENOSYS),
    }
}

/// FUTEX_WAKE_OP's operation on the word at `addr`: returns the old value.
fn wake_op_apply(mem: &mut crate::memory::GuestMem, addr: u64, enc: u32) -> Result<u32, Errno> {
    let op = (enc >> 28) & 7;
    let shift = enc >> 28 & 8 != 0;
    let mut arg = ((enc << 8) as i32 >> 20) as u32;
    if shift {
        arg = 1u32.checked_shl(arg).unwrap_or(0);
    }
    let amo = match op {
        0 => isa_a::AmoOp::Swap,
        1 => isa_a::AmoOp::Add,
        2 => isa_a::AmoOp::Or,
        3 => {
            arg = !arg;
            isa_a::AmoOp::And
        }
        4 => isa_a::AmoOp::Xor,
        _ => return Err(Errno::ENOSYS),
    };
    Ok(mem.amo(addr, amo, arg as u64, 32)? as u32)
}

fn wake_op_cmp(old: u32, enc: u32) -> bool {
    let cmp = (enc >> 24) & 15;
    let arg = ((enc << 20) as i32) >> 20;
    let old = old as i32;
    match cmp {
        0 => old == arg,
        1 => old != arg,
        2 => old < arg,
        3 => old <= arg,
        4 => old > arg,
        _ => old >= arg,
    }
}

pub fn nanosleep(v: &mut Task, a: [u64; 6]) -> Result<Outcome, Errno> {
    if v.shared.deterministic() {
        let rel = timespec_ns(v, a[0])?;
        return Ok(Outcome::Park(Wait::Sleep {
            deadline: deadline(v, rel),
        }));
    }
    let req = v.rd(a[0], TIMESPEC)?;
    Ok(Outcome::Done(sleep_rem(v, a[1], |rem| {
        sys(libc::SYS_nanosleep, [req, rem, 0, 0, 0, 0])
    })))
}
pub fn clock_nanosleep(v: &mut Task, a: [u64; 6]) -> Result<Outcome, Errno> {
    if v.shared.deterministic() {
        let t = timespec_ns(v, a[2])?;
        let rel = if a[1] & libc::TIMER_ABSTIME as u64 != 0 {
            t.saturating_sub(clock_now(v, a[0] as i32)?)
        } else {
            clock_now(v, a[0] as i32)?;
            t
        };
        return Ok(Outcome::Park(Wait::Sleep {
            deadline: deadline(v, rel),
        }));
    }
    let req = v.rd(a[2], TIMESPEC)?;
    Ok(Outcome::Done(sleep_rem(v, a[3], |rem| {
        sys(libc::SYS_clock_nanosleep, [a[0], a[1], req, rem, 0, 0])
    })))
}

/// Runs a host sleep with its remainder in a local, and copies the remainder to the guest's
/// `rem` only when the sleep was interrupted: Linux writes it then and only then, so a wild
/// `rem` fails (EFAULT) only an interrupted sleep.
fn sleep_rem(v: &Task, rem: u64, sleep: impl FnOnce(u64) -> SysResult) -> SysResult {
    let mut left = [0u8; TIMESPEC as usize];
    let r = sleep(left.as_mut_ptr() as u64);
    if r == Err(Errno::EINTR) && rem != 0 {
        v.put(rem, &left)?;
    }
    r
}

/// Deterministic mode: the wait to park the call on until one of `fds` is ready, if it
/// would block now (the handler then returns it without doing the call).
pub fn park_until_ready(v: &Task, fds: &[(i32, i16)], deadline: Option<u64>) -> Option<Wait> {
    if !v.shared.deterministic() || crate::state::poll_ready(fds) {
        return None;
    }
    Some(Wait::Io {
        fds: fds.to_vec(),
        deadline,
    })
}

/// Deterministic mode: whether an fd operation could block (a blocking descriptor).
pub fn blocking_fd(v: &Task, fd: u64) -> bool {
    v.shared.deterministic() && {
        // SAFETY: F_GETFL reads a descriptor's flags and touches no memory.
        let fl = unsafe { libc::fcntl(fd as i32, libc::F_GETFL) };
        fl >= 0 && fl & libc::O_NONBLOCK == 0
    }
}

const WNOHANG: u64 = 1;

pub fn wait4(v: &mut Task, a: [u64; 6]) -> Result<Outcome, Errno> {
    let park = v.shared.deterministic() && a[2] & WNOHANG == 0;
    // Linux reaps the child first and copies status and rusage out after: a wild pointer
    // is EFAULT, but the child is gone all the same.
    let mut status = 0i32;
    let mut rusage = [0u8; RUSAGE as usize];
    let flags = if park { a[2] | WNOHANG } else { a[2] };
    let r = sys(
        libc::SYS_wait4,
        [
            a[0],
            &mut status as *mut i32 as u64,
            flags,
            rusage.as_mut_ptr() as u64,
            0,
            0,
        ],
    );
    if park && r == Ok(0) {
        return Ok(Outcome::Park(Wait::Child));
    }
    if matches!(r, Ok(pid) if pid > 0) {
        if a[1] != 0 {
            v.put(a[1], &status.to_le_bytes())?;
        }
        if a[3] != 0 {
            v.put(a[3], &rusage)?;
        }
    }
    Ok(Outcome::Done(r))
}

pub fn waitid(v: &mut Task, a: [u64; 6]) -> Result<Outcome, Errno> {
    // riscv64's siginfo_t is the same 128 bytes as x86-64's, SIGCHLD's fields at the same
    // offsets (asm-generic, both LP64).
    let (info, rusage) = (
        v.wr_opt(a[2], SigInfoFault::SIZE as u64)?,
        v.wr_opt(a[4], RUSAGE)?,
    );
    if v.shared.deterministic() && a[3] & WNOHANG == 0 {
        // SAFETY: siginfo_t is plain data, for which all zeroes is a valid value.
        let mut probe: libc::siginfo_t = unsafe { std::mem::zeroed() };
        let r = sys(
            libc::SYS_waitid,
            [
                a[0],
                a[1],
                &mut probe as *mut _ as u64,
                a[3] | WNOHANG | libc::WNOWAIT as u64,
                0,
                0,
            ],
        );
        // SAFETY: after waitid the siginfo is a SIGCHLD one (si_pid 0: no child changed).
        if r.is_ok() && unsafe { probe.si_pid() } == 0 {
            return Ok(Outcome::Park(Wait::Child));
        }
    }
    Ok(Outcome::Done(sys(
        libc::SYS_waitid,
        [a[0], a[1], info, a[3], rusage, 0],
    )))
}

/// A NULL-terminated guest array of string pointers (argv, envp).
fn strings(v: &Task, mut addr: u64) -> Result<Vec<CString>, Errno> {
    let mut out = Vec::new();
    if addr == 0 {
        return Ok(out);
    }
    loop {
        let p = u64::from_le_bytes(v.get_array(addr)?);
        if p == 0 {
            return Ok(out);
        }
        if out.len() >= 1 << 20 {
            return Err(Errno(libc::E2BIG));
        }
        let s = v.mem.cstr(p, 1 << 20)?;
        out.push(CString::new(s).map_err(|_| Errno::EINVAL)?);
        addr += 8;
    }
}

/// execve: a riscv64 ELF continues under mimic with the same options (mimic re-executes
/// itself); anything else (a host program, a script) is executed by the host kernel.
pub fn execve(v: &mut Task, a: [u64; 6]) -> SysResult {
    let path = super::procfs::exec_path(v, v.path(a[0])?);
    let argv = strings(v, a[1])?;
    let envp = strings(v, a[2])?;
    // SAFETY: `path` is a NUL-terminated string that outlives the call.
    if unsafe { libc::access(path.as_ptr(), libc::X_OK) } < 0 {
        return Err(Errno::last());
    }
    let riscv = crate::loader::exec_check(
        <std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(path.as_bytes()).as_ref(),
        v.shared.cfg.sysroot.as_deref(),
    )
    .map_err(Errno)?;
    let (prog, args, envp) = if riscv {
        // The new mimic builds the guest's environment as qemu does, newest first, which
        // reverses what it inherits: handing it the list reversed gives the program the
        // order its caller passed, as Linux's execve does.
        let envp = envp.into_iter().rev().collect();
        (
            c"/proc/self/exe".to_owned(),
            mimic_argv(v, &path, &argv),
            envp,
        )
    } else {
        (path, argv, envp)
    };
    let ptrs = |v: &[CString]| {
        let mut p: Vec<*const libc::c_char> = v.iter().map(|s| s.as_ptr()).collect();
        p.push(std::ptr::null());
        p
    };
    let (pa, pe) = (ptrs(&args), ptrs(&envp));
    // mimic ignores SIGPIPE (Rust's runtime does); a native program must not inherit that
    // unless the guest asked for it.
    let keep_ignored = lock(&v.shared.actions).0[13].handler == 1;
    let old = (!riscv && !keep_ignored).then(|| {
        // SAFETY: restores the default action of a signal mimic only ignores.
        unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) }
    });
    // SAFETY: the program and every argument and variable are NUL-terminated strings in
    // `prog`, `args` and `envp`, and both pointer arrays end with NULL; all outlive the call.
    unsafe { libc::execve(prog.as_ptr(), pa.as_ptr(), pe.as_ptr()) };
    let e = Errno::last();
    if let Some(old) = old {
        // SAFETY: puts back the action read above.
        unsafe { libc::signal(libc::SIGPIPE, old) };
    }
    Err(e)
}

/// `mimic run [the same options] -0 argv[0] -- program argv[1..]`.
fn mimic_argv(v: &Task, path: &CString, argv: &[CString]) -> Vec<CString> {
    let cfg = &v.shared.cfg;
    let c = |s: &str| CString::new(s).expect("no NUL");
    let mut out = vec![
        std::env::args_os()
            .next()
            .and_then(|s| CString::new(s.into_encoded_bytes()).ok())
            .unwrap_or_else(|| c("mimic")),
        c("run"),
    ];
    if let Some(root) = &cfg.sysroot {
        out.push(c("-L"));
        if let Ok(r) = CString::new(root.as_os_str().as_encoded_bytes()) {
            out.push(r);
        }
    }
    out.push(c("-s"));
    out.push(c(&cfg.stack_size.to_string()));
    for (on, flag) in [
        (cfg.strace, "--strace"),
        (cfg.deterministic, "--deterministic"),
        (cfg.stats, "--stats"),
        (cfg.engine == translator::Mode::Interp, "--interp"),
        (cfg.engine == translator::Mode::Jit, "--jit"),
    ] {
        if on {
            out.push(c(flag));
        }
    }
    if let Some(argv0) = argv.first() {
        // `-0=…` keeps an empty or dash-led argv[0] a value of -0.
        let mut a = b"-0=".to_vec();
        a.extend_from_slice(argv0.as_bytes());
        out.push(CString::new(a).expect("no NUL"));
    }
    out.push(c("--"));
    out.push(path.clone());
    out.extend(argv.iter().skip(1).cloned());
    out
}
