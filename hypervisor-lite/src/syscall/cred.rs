//! Credentials, sessions and process groups, scheduling parameters and priorities, and
//! prctl. The ids are the host process's own (the guest is that process), so most calls pass
//! straight through; the scalar and `int`/`gid_t` array arguments have the same layout on
//! riscv64 and x86-64. Credentials are per thread on Linux: guest glibc broadcasts a setuid to
//! every thread itself, and each guest thread's call runs on its own host thread.

use super::fs::host;
use super::Task;
use super::{Errno, SysResult};

fn sys(nr: libc::c_long, a: [u64; 6]) -> SysResult {
    // SAFETY: the callers pass scalars, or host addresses of guest buffers checked for the
    // size the call writes or reads.
    host(unsafe { libc::syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]) })
}

/// Calls whose arguments are plain integers (ids, priorities, flags), passed through.
macro_rules! scalar_calls {
    ($($name:ident = $nr:ident;)*) => {$(
        pub fn $name(_: &mut Task, a: [u64; 6]) -> SysResult {
            sys(libc::$nr, a)
        }
    )*};
}

scalar_calls! {
    setpriority = SYS_setpriority;
    getpriority = SYS_getpriority;
    setregid = SYS_setregid;
    setgid = SYS_setgid;
    setreuid = SYS_setreuid;
    setuid = SYS_setuid;
    setresuid = SYS_setresuid;
    setresgid = SYS_setresgid;
    setfsuid = SYS_setfsuid;
    setfsgid = SYS_setfsgid;
    setpgid = SYS_setpgid;
    getsid = SYS_getsid;
    setsid = SYS_setsid;
    personality = SYS_personality;
    sched_get_priority_max = SYS_sched_get_priority_max;
    sched_get_priority_min = SYS_sched_get_priority_min;
}

pub fn getgroups(p: &mut Task, a: [u64; 6]) -> SysResult {
    // getgroups(0, NULL) asks for the count; otherwise the list must fit `size` gid_t.
    let size = a[0] as i32;
    if size < 0 {
        return Err(Errno::EINVAL);
    }
    let list = if size == 0 {
        0
    } else {
        p.wr(a[1], size as u64 * 4)?
    };
    sys(libc::SYS_getgroups, [size as u64, list, 0, 0, 0, 0])
}
pub fn setgroups(p: &mut Task, a: [u64; 6]) -> SysResult {
    let size = a[0] as i32;
    if !(0..=65536).contains(&size) {
        return Err(Errno::EINVAL);
    }
    let list = p.rd_opt(a[1], size as u64 * 4)?;
    sys(libc::SYS_setgroups, [size as u64, list, 0, 0, 0, 0])
}

/// getresuid / getresgid: three ids written to three guest words.
fn getres(p: &Task, nr: libc::c_long, a: [u64; 6]) -> SysResult {
    let (r, e, s) = (p.wr(a[0], 4)?, p.wr(a[1], 4)?, p.wr(a[2], 4)?);
    sys(nr, [r, e, s, 0, 0, 0])
}
pub fn getresuid(p: &mut Task, a: [u64; 6]) -> SysResult {
    getres(p, libc::SYS_getresuid, a)
}
pub fn getresgid(p: &mut Task, a: [u64; 6]) -> SysResult {
    getres(p, libc::SYS_getresgid, a)
}

/// The host id of the thread a scheduling call names: 0 (the caller) for the caller's own
/// guest tid, whose virtual number in `--deterministic` mode is no host tid.
fn sched_target(p: &Task, who: u64) -> u64 {
    if who as i32 == p.tid {
        0
    } else {
        who
    }
}

/// `struct sched_param` is one int on both sides.
const SCHED_PARAM: u64 = 4;

pub fn sched_setaffinity(p: &mut Task, a: [u64; 6]) -> SysResult {
    let mask = p.rd(a[2], a[1])?;
    sys(
        libc::SYS_sched_setaffinity,
        [sched_target(p, a[0]), a[1], mask, 0, 0, 0],
    )
}
pub fn sched_getscheduler(p: &mut Task, a: [u64; 6]) -> SysResult {
    sys(
        libc::SYS_sched_getscheduler,
        [sched_target(p, a[0]), 0, 0, 0, 0, 0],
    )
}
pub fn sched_getparam(p: &mut Task, a: [u64; 6]) -> SysResult {
    let param = p.wr(a[1], SCHED_PARAM)?;
    sys(
        libc::SYS_sched_getparam,
        [sched_target(p, a[0]), param, 0, 0, 0, 0],
    )
}
pub fn sched_setparam(p: &mut Task, a: [u64; 6]) -> SysResult {
    let param = p.rd(a[1], SCHED_PARAM)?;
    sys(
        libc::SYS_sched_setparam,
        [sched_target(p, a[0]), param, 0, 0, 0, 0],
    )
}
pub fn sched_setscheduler(p: &mut Task, a: [u64; 6]) -> SysResult {
    let param = p.rd(a[2], SCHED_PARAM)?;
    sys(
        libc::SYS_sched_setscheduler,
        [sched_target(p, a[0]), a[1], param, 0, 0, 0],
    )
}

/// prctl options (linux/prctl.h; the same numbers on every architecture).
mod pr {
    pub const SET_PDEATHSIG: u64 = 1;
    pub const GET_PDEATHSIG: u64 = 2;
    pub const GET_DUMPABLE: u64 = 3;
    pub const SET_DUMPABLE: u64 = 4;
    pub const GET_KEEPCAPS: u64 = 7;
    pub const SET_KEEPCAPS: u64 = 8;
    pub const SET_NAME: u64 = 15;
    pub const GET_NAME: u64 = 16;
    pub const GET_SECCOMP: u64 = 21;
    pub const SET_SECCOMP: u64 = 22;
    pub const CAPBSET_READ: u64 = 23;
    pub const GET_TIMERSLACK: u64 = 29;
    pub const SET_TIMERSLACK: u64 = 30;
    pub const SET_CHILD_SUBREAPER: u64 = 36;
    pub const GET_CHILD_SUBREAPER: u64 = 37;
    pub const SET_NO_NEW_PRIVS: u64 = 38;
    pub const GET_NO_NEW_PRIVS: u64 = 39;
    pub const GET_TID_ADDRESS: u64 = 40;
    // Options whose arguments are all values, which qemu-user passes to the host too.
    pub const CAPBSET_DROP: u64 = 24;
    pub const GET_SECUREBITS: u64 = 27;
    pub const SET_SECUREBITS: u64 = 28;
    pub const TASK_PERF_EVENTS_DISABLE: u64 = 31;
    pub const TASK_PERF_EVENTS_ENABLE: u64 = 32;
    pub const MCE_KILL: u64 = 33;
    pub const MCE_KILL_GET: u64 = 34;
    pub const SET_THP_DISABLE: u64 = 41;
    pub const GET_THP_DISABLE: u64 = 42;
    pub const CAP_AMBIENT: u64 = 47;
    pub const GET_SPECULATION_CTRL: u64 = 52;
    pub const SET_SPECULATION_CTRL: u64 = 53;
    pub const SET_IO_FLUSHER: u64 = 57;
    pub const GET_IO_FLUSHER: u64 = 58;
    pub const SET_MEMORY_MERGE: u64 = 67;
    pub const GET_MEMORY_MERGE: u64 = 68;
    pub const SET_PTRACER: u64 = 0x5961_6d61;
}

/// linux/seccomp.h: the mode that allows only read, write, exit and rt_sigreturn.
const SECCOMP_MODE_STRICT: u64 = 1;

/// The riscv64 numbers of the calls strict mode allows (read, write, exit, rt_sigreturn).
const STRICT_ALLOWED: [u64; 4] = [63, 64, 93, 139];

/// Whether the thread is in seccomp strict mode and `nr` is not one of the calls it allows:
/// the call does not run and the process is killed by SIGKILL. Linux ends only the calling
/// thread (with SIGKILL as its exit code); for a single-threaded process that is the same.
pub fn seccomp_strict_kills(p: &Task, nr: u64) -> bool {
    p.seccomp_strict && !STRICT_ALLOWED.contains(&nr)
}

/// The length of a thread name with its NUL (TASK_COMM_LEN).
const COMM_LEN: usize = 16;

pub fn prctl(p: &mut Task, a: [u64; 6]) -> SysResult {
    match a[0] {
        pr::SET_NAME => {
            // At most 15 bytes are read; a longer name is cut, as the kernel does.
            let mut name = [0u8; COMM_LEN];
            for (i, b) in name[..COMM_LEN - 1].iter_mut().enumerate() {
                *b = p.get_array::<1>(a[1].wrapping_add(i as u64))?[0];
                if *b == 0 {
                    break;
                }
            }
            sys(
                libc::SYS_prctl,
                [pr::SET_NAME, name.as_ptr() as u64, 0, 0, 0, 0],
            )
        }
        pr::GET_NAME => {
            let mut name = [0u8; COMM_LEN];
            sys(
                libc::SYS_prctl,
                [pr::GET_NAME, name.as_mut_ptr() as u64, 0, 0, 0, 0],
            )?;
            p.put(a[1], &name)?;
            Ok(0)
        }
        pr::GET_PDEATHSIG | pr::GET_CHILD_SUBREAPER => {
            let out = p.wr(a[1], 4)?;
            sys(libc::SYS_prctl, [a[0], out, 0, 0, 0, 0])
        }
        // The address set by set_tid_address or CLONE_CHILD_CLEARTID: the guest's word.
        pr::GET_TID_ADDRESS => {
            p.put(a[1], &p.clear_child_tid.to_le_bytes())?;
            Ok(0)
        }
        pr::SET_PDEATHSIG
        | pr::GET_DUMPABLE
        | pr::SET_DUMPABLE
        | pr::GET_KEEPCAPS
        | pr::SET_KEEPCAPS
        | pr::CAPBSET_READ
        | pr::GET_TIMERSLACK
        | pr::SET_TIMERSLACK
        | pr::SET_CHILD_SUBREAPER
        | pr::SET_NO_NEW_PRIVS
        | pr::GET_NO_NEW_PRIVS
        // The guest's memory, threads and credentials are the host's, so these act on
        // exactly what the guest names.
        | pr::CAPBSET_DROP
        | pr::GET_SECUREBITS
        | pr::SET_SECUREBITS
        | pr::TASK_PERF_EVENTS_DISABLE
        | pr::TASK_PERF_EVENTS_ENABLE
        | pr::MCE_KILL
        | pr::MCE_KILL_GET
        | pr::SET_THP_DISABLE
        | pr::GET_THP_DISABLE
        | pr::CAP_AMBIENT
        | pr::GET_SPECULATION_CTRL
        | pr::SET_SPECULATION_CTRL
        | pr::SET_IO_FLUSHER
        | pr::GET_IO_FLUSHER
        | pr::SET_MEMORY_MERGE
        | pr::GET_MEMORY_MERGE
        | pr::SET_PTRACER => sys(libc::SYS_prctl, [a[0], a[1], a[2], a[3], a[4], 0]),
        // Strict mode confines the guest's calls, which mimic sees (seccomp_strict). A filter
        // would judge mimic's own (x86-64) system calls, not the guest's: filters are refused
        // as by a kernel without them. A process in strict mode cannot ask (prctl kills it),
        // so the mode a caller sees is 0.
        pr::GET_SECCOMP => Ok(0),
        pr::SET_SECCOMP if a[1] == SECCOMP_MODE_STRICT => {
            p.seccomp_strict = true;
            Ok(0)
        }
        pr::SET_SECCOMP => Err(Errno::EINVAL),
        // Everything else (PR_SET_MM, PR_SET_VMA, the RISC-V vector controls, …): what a
        // kernel that does not know the option answers.
        _ => Err(Errno::EINVAL),
    }
}
