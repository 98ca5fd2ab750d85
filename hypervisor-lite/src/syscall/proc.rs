//! Process identity, limits, time and randomness. These structs (timespec, timeval, rlimit,
//! utsname, sysinfo, tms, rusage) have the same layout on riscv64 and x86-64 (both LP64,
//! asm-generic definitions), so buffers are checked and passed straight through.

use super::fs::host;
use super::{Errno, SysResult};
use crate::process::Process;

fn sys(nr: libc::c_long, a: [u64; 6]) -> SysResult {
    host(unsafe { libc::syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]) })
}

const TIMESPEC: u64 = 16;

pub fn enosys(_: &mut Process, _: [u64; 6]) -> SysResult {
    Err(Errno::ENOSYS)
}

pub fn exit(p: &mut Process, a: [u64; 6]) -> SysResult {
    // One thread for now: the thread's exit is the process's.
    p.exit = Some(a[0] as i32 & 0xff);
    Ok(0)
}
pub fn exit_group(p: &mut Process, a: [u64; 6]) -> SysResult {
    p.exit = Some(a[0] as i32 & 0xff);
    Ok(0)
}
pub fn set_tid_address(p: &mut Process, a: [u64; 6]) -> SysResult {
    p.clear_child_tid = a[0];
    Ok(p.tid as u64)
}
pub fn set_robust_list(_: &mut Process, a: [u64; 6]) -> SysResult {
    // struct robust_list_head is 24 bytes; the list only matters when a thread dies.
    if a[1] != 24 {
        return Err(Errno::EINVAL);
    }
    Ok(0)
}

pub fn futex(p: &mut Process, a: [u64; 6]) -> SysResult {
    // Guest futexes are host futexes on the shared guest memory.
    const FUTEX_WAIT: u64 = 0;
    const FUTEX_WAKE: u64 = 1;
    const FUTEX_REQUEUE: u64 = 3;
    const FUTEX_CMP_REQUEUE: u64 = 4;
    const FUTEX_WAKE_OP: u64 = 5;
    const FUTEX_WAIT_BITSET: u64 = 9;
    const FUTEX_WAKE_BITSET: u64 = 10;
    let uaddr = p.wr(a[0], 4)?;
    let cmd = a[1] & 127;
    let (timeout, uaddr2) = match cmd {
        FUTEX_WAIT | FUTEX_WAIT_BITSET => (p.rd_opt(a[3], TIMESPEC)?, a[4]),
        FUTEX_REQUEUE | FUTEX_CMP_REQUEUE | FUTEX_WAKE_OP => (a[3], p.wr(a[4], 4)?),
        FUTEX_WAKE | FUTEX_WAKE_BITSET => (a[3], a[4]),
        _ => return Err(Errno::ENOSYS),
    };
    sys(libc::SYS_futex, [uaddr, a[1], a[2], timeout, uaddr2, a[5]])
}

pub fn nanosleep(p: &mut Process, a: [u64; 6]) -> SysResult {
    sys(
        libc::SYS_nanosleep,
        [p.rd(a[0], TIMESPEC)?, p.wr_opt(a[1], TIMESPEC)?, 0, 0, 0, 0],
    )
}
pub fn clock_gettime(p: &mut Process, a: [u64; 6]) -> SysResult {
    sys(
        libc::SYS_clock_gettime,
        [a[0], p.wr(a[1], TIMESPEC)?, 0, 0, 0, 0],
    )
}
pub fn clock_getres(p: &mut Process, a: [u64; 6]) -> SysResult {
    sys(
        libc::SYS_clock_getres,
        [a[0], p.wr_opt(a[1], TIMESPEC)?, 0, 0, 0, 0],
    )
}
pub fn clock_nanosleep(p: &mut Process, a: [u64; 6]) -> SysResult {
    let (req, rem) = (p.rd(a[2], TIMESPEC)?, p.wr_opt(a[3], TIMESPEC)?);
    sys(libc::SYS_clock_nanosleep, [a[0], a[1], req, rem, 0, 0])
}
pub fn gettimeofday(p: &mut Process, a: [u64; 6]) -> SysResult {
    sys(
        libc::SYS_gettimeofday,
        [p.wr_opt(a[0], 16)?, p.wr_opt(a[1], 8)?, 0, 0, 0, 0],
    )
}
pub fn sched_getaffinity(p: &mut Process, a: [u64; 6]) -> SysResult {
    sys(
        libc::SYS_sched_getaffinity,
        [a[0], a[1], p.wr(a[2], a[1])?, 0, 0, 0],
    )
}
pub fn sched_yield(_: &mut Process, _: [u64; 6]) -> SysResult {
    sys(libc::SYS_sched_yield, [0; 6])
}
pub fn times(p: &mut Process, a: [u64; 6]) -> SysResult {
    sys(libc::SYS_times, [p.wr_opt(a[0], 32)?, 0, 0, 0, 0, 0])
}
pub fn getpgid(_: &mut Process, a: [u64; 6]) -> SysResult {
    sys(libc::SYS_getpgid, a)
}

pub fn uname(p: &mut Process, a: [u64; 6]) -> SysResult {
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    if unsafe { libc::uname(&mut u) } < 0 {
        return Err(Errno::last());
    }
    // The guest sees a riscv64 machine.
    u.machine = [0; 65];
    for (d, s) in u.machine.iter_mut().zip(b"riscv64") {
        *d = *s as libc::c_char;
    }
    let bytes = unsafe {
        std::slice::from_raw_parts(
            &u as *const _ as *const u8,
            std::mem::size_of::<libc::utsname>(),
        )
    };
    p.put(a[0], bytes)?;
    Ok(0)
}

pub fn getrlimit(p: &mut Process, a: [u64; 6]) -> SysResult {
    prlimit64(p, [0, a[0], 0, a[1], 0, 0])
}
pub fn prlimit64(p: &mut Process, a: [u64; 6]) -> SysResult {
    let (new, old) = (p.rd_opt(a[2], 16)?, p.wr_opt(a[3], 16)?);
    sys(libc::SYS_prlimit64, [a[0], a[1], new, old, 0, 0])
}
pub fn getrusage(p: &mut Process, a: [u64; 6]) -> SysResult {
    sys(libc::SYS_getrusage, [a[0], p.wr(a[1], 144)?, 0, 0, 0, 0])
}
pub fn umask(_: &mut Process, a: [u64; 6]) -> SysResult {
    sys(libc::SYS_umask, a)
}
pub fn getpid(p: &mut Process, _: [u64; 6]) -> SysResult {
    Ok(p.pid as u64)
}
pub fn gettid(p: &mut Process, _: [u64; 6]) -> SysResult {
    Ok(p.tid as u64)
}
pub fn getppid(_: &mut Process, _: [u64; 6]) -> SysResult {
    sys(libc::SYS_getppid, [0; 6])
}
pub fn getuid(_: &mut Process, _: [u64; 6]) -> SysResult {
    sys(libc::SYS_getuid, [0; 6])
}
pub fn geteuid(_: &mut Process, _: [u64; 6]) -> SysResult {
    sys(libc::SYS_geteuid, [0; 6])
}
pub fn getgid(_: &mut Process, _: [u64; 6]) -> SysResult {
    sys(libc::SYS_getgid, [0; 6])
}
pub fn getegid(_: &mut Process, _: [u64; 6]) -> SysResult {
    sys(libc::SYS_getegid, [0; 6])
}
pub fn sysinfo(p: &mut Process, a: [u64; 6]) -> SysResult {
    sys(libc::SYS_sysinfo, [p.wr(a[0], 112)?, 0, 0, 0, 0, 0])
}
pub fn getrandom(p: &mut Process, a: [u64; 6]) -> SysResult {
    sys(
        libc::SYS_getrandom,
        [p.wr(a[0], a[1])?, a[1], a[2], 0, 0, 0],
    )
}
