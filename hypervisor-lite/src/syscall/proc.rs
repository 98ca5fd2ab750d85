//! Process identity, limits, time and randomness. These structs (timespec, timeval, rlimit,
//! sysinfo, tms, rusage) have the same layout on riscv64 and x86-64 (both LP64, asm-generic
//! definitions; abi::host's tests hold each declaration to the host's libc type), so buffers
//! are checked and passed straight through.

use super::fs::host;
use super::Task;
use super::{Errno, SysResult};
use crate::abi::layout::{Chars, Field};
use crate::abi::proc::{Rlimit, Sysinfo, Utsname};
use crate::abi::time::{Rusage, Timespec, Timeval, Timezone, Tms};

fn sys(nr: libc::c_long, a: [u64; 6]) -> SysResult {
    // SAFETY: the callers pass scalars, or host addresses of guest buffers checked for the
    // size the call reads or writes.
    host(unsafe { libc::syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]) })
}

const TIMESPEC: u64 = Timespec::SIZE as u64;

pub fn enosys(_: &mut Task, _: [u64; 6]) -> SysResult {
    Err(Errno::ENOSYS)
}

pub fn clock_gettime(p: &mut Task, a: [u64; 6]) -> SysResult {
    if let Some(ns) = super::vclock::read(p, a[0] as i32)? {
        p.store(a[1], &super::vclock::timespec(ns))?;
        return Ok(0);
    }
    sys(
        libc::SYS_clock_gettime,
        [a[0], p.wr(a[1], TIMESPEC)?, 0, 0, 0, 0],
    )
}
pub fn clock_getres(p: &mut Task, a: [u64; 6]) -> SysResult {
    sys(
        libc::SYS_clock_getres,
        [a[0], p.wr_opt(a[1], TIMESPEC)?, 0, 0, 0, 0],
    )
}
pub fn gettimeofday(p: &mut Task, a: [u64; 6]) -> SysResult {
    if let Some(ns) = super::vclock::read(p, libc::CLOCK_REALTIME)? {
        if a[0] != 0 {
            let ts = super::vclock::timespec(ns);
            let tv = Timeval {
                tv_sec: ts.tv_sec,
                tv_usec: ts.tv_nsec / 1000,
            };
            p.store(a[0], &tv)?;
        }
        // The time zone is the host kernel's setting, not a clock.
        let tz = p.wr_opt(a[1], Timezone::SIZE as u64)?;
        return sys(libc::SYS_gettimeofday, [0, tz, 0, 0, 0, 0]);
    }
    sys(
        libc::SYS_gettimeofday,
        [
            p.wr_opt(a[0], Timeval::SIZE as u64)?,
            // struct timezone has no libc type to hold it to: two C ints on every Linux.
            p.wr_opt(a[1], Timezone::SIZE as u64)?,
            0,
            0,
            0,
            0,
        ],
    )
}
pub fn sched_getaffinity(p: &mut Task, a: [u64; 6]) -> SysResult {
    // The calling thread by its guest tid is the host's calling thread (virtual tids of
    // the deterministic mode are not host tids).
    let who = if a[0] as i32 == p.tid { 0 } else { a[0] };
    sys(
        libc::SYS_sched_getaffinity,
        [who, a[1], p.wr(a[2], a[1])?, 0, 0, 0],
    )
}
pub fn sched_yield(_: &mut Task, _: [u64; 6]) -> SysResult {
    sys(libc::SYS_sched_yield, [0; 6])
}
pub fn times(p: &mut Task, a: [u64; 6]) -> SysResult {
    if let Some(now) = super::vclock::now(p) {
        // Deterministic mode: user time is the process's virtual CPU time, in USER_HZ ticks
        // (100 a second); system time and the children's are none that the guest can see.
        const TICK: u64 = 10_000_000;
        let cpu = super::vclock::read(p, libc::CLOCK_PROCESS_CPUTIME_ID)?.unwrap_or(0);
        if a[0] != 0 {
            let t = Tms {
                tms_utime: (cpu / TICK) as i64,
                tms_stime: 0,
                tms_cutime: 0,
                tms_cstime: 0,
            };
            p.store(a[0], &t)?;
        }
        return Ok(now / TICK);
    }
    sys(
        libc::SYS_times,
        [p.wr_opt(a[0], Tms::SIZE as u64)?, 0, 0, 0, 0, 0],
    )
}
pub fn getpgid(_: &mut Task, a: [u64; 6]) -> SysResult {
    sys(libc::SYS_getpgid, a)
}

pub fn uname(p: &mut Task, a: [u64; 6]) -> SysResult {
    // SAFETY: libc::utsname is plain C data, valid when all zero.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: `u` is a writable utsname that outlives the call.
    if unsafe { libc::uname(&mut u) } < 0 {
        return Err(Errno::last());
    }
    let chars = |f: &[libc::c_char; 65]| Chars(f.map(|c| c as u8));
    let mut machine = [0; 65];
    machine[..7].copy_from_slice(b"riscv64");
    let guest = Utsname {
        sysname: chars(&u.sysname),
        nodename: chars(&u.nodename),
        release: chars(&u.release),
        version: chars(&u.version),
        // The guest sees a riscv64 machine.
        machine: Chars(machine),
        domainname: chars(&u.domainname),
    };
    p.store(a[0], &guest)?;
    Ok(0)
}

pub fn getrlimit(p: &mut Task, a: [u64; 6]) -> SysResult {
    // Unlike prlimit64's, getrlimit's buffer is not optional: NULL is EFAULT.
    if a[1] == 0 {
        return Err(Errno::EFAULT);
    }
    prlimit64(p, [0, a[0], 0, a[1], 0, 0])
}
pub fn prlimit64(p: &mut Task, a: [u64; 6]) -> SysResult {
    let size = Rlimit::SIZE as u64;
    let (new, old) = (p.rd_opt(a[2], size)?, p.wr_opt(a[3], size)?);
    sys(libc::SYS_prlimit64, [a[0], a[1], new, old, 0, 0])
}
pub fn getrusage(p: &mut Task, a: [u64; 6]) -> SysResult {
    let r = sys(
        libc::SYS_getrusage,
        [a[0], p.wr(a[1], Rusage::SIZE as u64)?, 0, 0, 0, 0],
    )?;
    if p.shared.deterministic() {
        // The CPU times are clocks: virtual, as clock_gettime's CPU-time clocks are (the
        // thread's for RUSAGE_THREAD, none seen for the children's).
        let cpu = match a[0] as i32 {
            libc::RUSAGE_SELF => super::vclock::read(p, libc::CLOCK_PROCESS_CPUTIME_ID)?,
            libc::RUSAGE_THREAD => super::vclock::read(p, libc::CLOCK_THREAD_CPUTIME_ID)?,
            _ => Some(0),
        }
        .unwrap_or(0);
        let mut u: Rusage = p.load(a[1])?;
        let ts = super::vclock::timespec(cpu);
        u.ru_utime = Timeval {
            tv_sec: ts.tv_sec,
            tv_usec: ts.tv_nsec / 1000,
        };
        u.ru_stime = Timeval {
            tv_sec: 0,
            tv_usec: 0,
        };
        p.store(a[1], &u)?;
    }
    Ok(r)
}
pub fn umask(_: &mut Task, a: [u64; 6]) -> SysResult {
    sys(libc::SYS_umask, a)
}
pub fn getpid(p: &mut Task, _: [u64; 6]) -> SysResult {
    Ok(p.shared.pid() as u64)
}
pub fn getppid(_: &mut Task, _: [u64; 6]) -> SysResult {
    sys(libc::SYS_getppid, [0; 6])
}
pub fn getuid(_: &mut Task, _: [u64; 6]) -> SysResult {
    sys(libc::SYS_getuid, [0; 6])
}
pub fn geteuid(_: &mut Task, _: [u64; 6]) -> SysResult {
    sys(libc::SYS_geteuid, [0; 6])
}
pub fn getgid(_: &mut Task, _: [u64; 6]) -> SysResult {
    sys(libc::SYS_getgid, [0; 6])
}
pub fn getegid(_: &mut Task, _: [u64; 6]) -> SysResult {
    sys(libc::SYS_getegid, [0; 6])
}
pub fn sysinfo(p: &mut Task, a: [u64; 6]) -> SysResult {
    sys(
        libc::SYS_sysinfo,
        [p.wr(a[0], Sysinfo::SIZE as u64)?, 0, 0, 0, 0, 0],
    )
}
pub fn getrandom(p: &mut Task, a: [u64; 6]) -> SysResult {
    sys(
        libc::SYS_getrandom,
        [p.wr(a[0], a[1])?, a[1], a[2], 0, 0, 0],
    )
}
