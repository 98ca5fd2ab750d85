//! What a process may do and where it runs: capabilities (capget/capset), getcpu,
//! membarrier and unshare.
//!
//! A guest process is a host process and its threads host threads, so capabilities, the
//! CPU a thread is on and barriers across the process's threads are the host's own. Two
//! things differ: mimic's own threads (timers) share the host process without being guest
//! threads, so unshare's namespace and per-thread requests are not passed on; and guest
//! code may be translated, so a barrier that must also resynchronise instruction fetch
//! (MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE) also makes every thread drop the code it
//! translated, as riscv_flush_icache does.

use super::fs::host;
use super::{Errno, SysResult, Task};
use crate::abi::layout::{Field, Layout};
use crate::abi::proc::{CapData, CapHeader};
use crate::state::lock;
use std::sync::atomic::Ordering;

fn sys(nr: libc::c_long, a: [u64; 6]) -> SysResult {
    // SAFETY: the callers pass scalars or host addresses of buffers of the size the call
    // reads or writes.
    host(unsafe { libc::syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]) })
}

/// How many `__user_cap_data_struct`s a capability header's version has (0: a version the
/// kernel does not know, answered EINVAL with its own version written back).
fn cap_words(version: u32) -> usize {
    match version {
        0x1998_0330 => 1,
        0x2007_1026 | 0x2008_0522 => 2,
        _ => 0,
    }
}

/// The header with the guest's own thread id as 0 (the caller), which the host understands
/// also where the guest's ids are virtual (deterministic mode).
fn cap_header(p: &Task, addr: u64) -> Result<CapHeader, Errno> {
    let mut h: CapHeader = p.load(addr)?;
    if h.pid == p.tid {
        h.pid = 0;
    }
    Ok(h)
}

/// capget(header, data): the header's version is written back when the kernel does not know
/// it; data, when not NULL, receives one or two words of sets.
pub fn capget(p: &mut Task, a: [u64; 6]) -> SysResult {
    let h = cap_header(p, a[0])?;
    let mut head = h.to_bytes();
    let mut data = [0u8; 2 * CapData::SIZE];
    let data_ptr = if a[1] == 0 {
        0
    } else {
        data.as_mut_ptr() as u64
    };
    let r = sys(
        libc::SYS_capget,
        [head.as_mut_ptr() as u64, data_ptr, 0, 0, 0, 0],
    );
    let back = CapHeader::read(&head);
    if back.version != h.version {
        p.put(a[0], &back.version.to_le_bytes())?;
    }
    let n = r?;
    if a[1] != 0 {
        p.put(a[1], &data[..cap_words(h.version) * CapData::SIZE])?;
    }
    Ok(n)
}

/// capset(header, data).
pub fn capset(p: &mut Task, a: [u64; 6]) -> SysResult {
    let h = cap_header(p, a[0])?;
    let mut head = h.to_bytes();
    let mut data = [0u8; 2 * CapData::SIZE];
    let n = cap_words(h.version);
    if n > 0 {
        data[..n * CapData::SIZE].copy_from_slice(&p.get(a[1], (n * CapData::SIZE) as u64)?);
    }
    let r = sys(
        libc::SYS_capset,
        [head.as_mut_ptr() as u64, data.as_ptr() as u64, 0, 0, 0, 0],
    );
    let back = CapHeader::read(&head);
    if back.version != h.version {
        p.put(a[0], &back.version.to_le_bytes())?;
    }
    r
}

/// getcpu(cpu, node, tcache): the host CPU and node the calling thread runs on; tcache has
/// been unused since Linux 2.6.24.
pub fn getcpu(p: &mut Task, a: [u64; 6]) -> SysResult {
    let (cpu, node) = (p.wr_opt(a[0], 4)?, p.wr_opt(a[1], 4)?);
    sys(libc::SYS_getcpu, [cpu, node, 0, 0, 0, 0])
}

mod mb {
    pub const QUERY: u64 = 0;
    pub const PRIVATE_EXPEDITED_SYNC_CORE: u64 = 1 << 5;
    pub const PRIVATE_EXPEDITED_RSEQ: u64 = 1 << 7;
    pub const REGISTER_PRIVATE_EXPEDITED_RSEQ: u64 = 1 << 8;
    pub const GET_REGISTRATIONS: u64 = 1 << 9;
    /// The rseq commands: mimic has no restartable sequences (rseq is ENOSYS).
    pub const RSEQ: u64 = PRIVATE_EXPEDITED_RSEQ | REGISTER_PRIVATE_EXPEDITED_RSEQ;
}

/// membarrier(cmd, flags, cpu_id): the guest's loads and stores are host loads and stores
/// by host threads (the translator's and the interpreter's alike), so the host's barrier
/// across mimic's threads orders them as the guest asked, and the host's registrations are
/// the guest's. The rseq commands are EINVAL, as from a kernel without rseq.
pub fn membarrier(p: &mut Task, a: [u64; 6]) -> SysResult {
    let cmd = a[0] & 0xffff_ffff;
    if cmd & mb::RSEQ != 0 {
        return Err(Errno::EINVAL);
    }
    let r = sys(libc::SYS_membarrier, [cmd, a[1], a[2], 0, 0, 0])?;
    if cmd == mb::PRIVATE_EXPEDITED_SYNC_CORE {
        p.shared.code_gen.fetch_add(1, Ordering::AcqRel);
    }
    Ok(match cmd {
        mb::QUERY | mb::GET_REGISTRATIONS => r & !mb::RSEQ,
        _ => r,
    })
}

mod clone {
    pub const VM: u64 = 0x100;
    pub const FS: u64 = 0x200;
    pub const FILES: u64 = 0x400;
    pub const SIGHAND: u64 = 0x800;
    pub const THREAD: u64 = 0x1_0000;
    pub const SYSVSEM: u64 = 0x4_0000;
    pub const NEWUSER: u64 = 0x1000_0000;
    /// Every namespace flag (NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET,
    /// NEWTIME).
    pub const NAMESPACES: u64 = 0x2000_0000
        | 0x0200_0000
        | 0x0400_0000
        | 0x0800_0000
        | NEWUSER
        | 0x4000_0000
        | 0x0002_0000
        | 0x80;
    /// What unshare accepts at all; anything else is EINVAL.
    pub const KNOWN: u64 = VM | FS | FILES | SIGHAND | THREAD | SYSVSEM | NAMESPACES;
}

/// unshare(flags). In a guest with one thread, unsharing what a lone thread already has to
/// itself (memory, handlers, thread group, files, fs, SysV undo list) succeeds and changes
/// nothing, as in Linux. With more threads, Linux refuses CLONE_VM, CLONE_SIGHAND and
/// CLONE_THREAD (EINVAL) and would give the caller private files or fs, which mimic's shared
/// host tables cannot: those are EINVAL too. New namespaces are EPERM (CLONE_NEWUSER EINVAL,
/// the host's answer to a multi-threaded process such as mimic).
pub fn unshare(p: &mut Task, a: [u64; 6]) -> SysResult {
    let flags = a[0] & 0xffff_ffff;
    if flags & !clone::KNOWN != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & clone::NEWUSER != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & clone::NAMESPACES != 0 {
        return Err(Errno::EPERM);
    }
    let alone = lock(&p.shared.threads).len() <= 1;
    let shared_by_threads = clone::VM | clone::SIGHAND | clone::THREAD | clone::FILES | clone::FS;
    if !alone && flags & shared_by_threads != 0 {
        return Err(Errno::EINVAL);
    }
    Ok(0)
}
