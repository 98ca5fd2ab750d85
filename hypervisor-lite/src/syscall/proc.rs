//! Process identity, limits, time and randomness. These structs (timespec, timeval, rlimit,
//! utsname, sysinfo, tms, rusage) have the same layout on riscv64 and x86-64 (both LP64,
//! asm-generic definitions), so buffers are checked and passed straight through.

use super::fs::host;
use super::{Errno, SysResult};
use crate::vcpu::Vcpu;

fn sys(nr: libc::c_long, a: [u64; 6]) -> SysResult {
    host(unsafe { libc::syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]) })
}

const TIMESPEC: u64 = 16;

pub fn enosys(_: &mut Vcpu, _: [u64; 6]) -> SysResult {
    Err(Errno::ENOSYS)
}

pub fn clock_gettime(p: &mut Vcpu, a: [u64; 6]) -> SysResult {
    sys(
        libc::SYS_clock_gettime,
        [a[0], p.wr(a[1], TIMESPEC)?, 0, 0, 0, 0],
    )
}
pub fn clock_getres(p: &mut Vcpu, a: [u64; 6]) -> SysResult {
    sys(
        libc::SYS_clock_getres,
        [a[0], p.wr_opt(a[1], TIMESPEC)?, 0, 0, 0, 0],
    )
}
pub fn gettimeofday(p: &mut Vcpu, a: [u64; 6]) -> SysResult {
    sys(
        libc::SYS_gettimeofday,
        [p.wr_opt(a[0], 16)?, p.wr_opt(a[1], 8)?, 0, 0, 0, 0],
    )
}
pub fn sched_getaffinity(p: &mut Vcpu, a: [u64; 6]) -> SysResult {
    // The calling thread by its guest tid is the host's calling thread (virtual tids of
    // the deterministic mode are not host tids).
    let who = if a[0] as i32 == p.tid { 0 } else { a[0] };
    sys(
        libc::SYS_sched_getaffinity,
        [who, a[1], p.wr(a[2], a[1])?, 0, 0, 0],
    )
}
pub fn sched_yield(_: &mut Vcpu, _: [u64; 6]) -> SysResult {
    sys(libc::SYS_sched_yield, [0; 6])
}
pub fn times(p: &mut Vcpu, a: [u64; 6]) -> SysResult {
    sys(libc::SYS_times, [p.wr_opt(a[0], 32)?, 0, 0, 0, 0, 0])
}
pub fn getpgid(_: &mut Vcpu, a: [u64; 6]) -> SysResult {
    sys(libc::SYS_getpgid, a)
}

pub fn uname(p: &mut Vcpu, a: [u64; 6]) -> SysResult {
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

pub fn getrlimit(p: &mut Vcpu, a: [u64; 6]) -> SysResult {
    // Unlike prlimit64's, getrlimit's buffer is not optional: NULL is EFAULT.
    if a[1] == 0 {
        return Err(Errno::EFAULT);
    }
    prlimit64(p, [0, a[0], 0, a[1], 0, 0])
}
pub fn prlimit64(p: &mut Vcpu, a: [u64; 6]) -> SysResult {
    let (new, old) = (p.rd_opt(a[2], 16)?, p.wr_opt(a[3], 16)?);
    sys(libc::SYS_prlimit64, [a[0], a[1], new, old, 0, 0])
}
pub fn getrusage(p: &mut Vcpu, a: [u64; 6]) -> SysResult {
    sys(libc::SYS_getrusage, [a[0], p.wr(a[1], 144)?, 0, 0, 0, 0])
}
pub fn umask(_: &mut Vcpu, a: [u64; 6]) -> SysResult {
    sys(libc::SYS_umask, a)
}
pub fn getpid(p: &mut Vcpu, _: [u64; 6]) -> SysResult {
    Ok(p.shared.pid() as u64)
}
pub fn getppid(_: &mut Vcpu, _: [u64; 6]) -> SysResult {
    sys(libc::SYS_getppid, [0; 6])
}
pub fn getuid(_: &mut Vcpu, _: [u64; 6]) -> SysResult {
    sys(libc::SYS_getuid, [0; 6])
}
pub fn geteuid(_: &mut Vcpu, _: [u64; 6]) -> SysResult {
    sys(libc::SYS_geteuid, [0; 6])
}
pub fn getgid(_: &mut Vcpu, _: [u64; 6]) -> SysResult {
    sys(libc::SYS_getgid, [0; 6])
}
pub fn getegid(_: &mut Vcpu, _: [u64; 6]) -> SysResult {
    sys(libc::SYS_getegid, [0; 6])
}
pub fn sysinfo(p: &mut Vcpu, a: [u64; 6]) -> SysResult {
    sys(libc::SYS_sysinfo, [p.wr(a[0], 112)?, 0, 0, 0, 0, 0])
}
pub fn getrandom(p: &mut Vcpu, a: [u64; 6]) -> SysResult {
    sys(
        libc::SYS_getrandom,
        [p.wr(a[0], a[1])?, a[1], a[2], 0, 0, 0],
    )
}
