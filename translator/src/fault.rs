//! Guest memory faults in translated code: host faults turned into guest traps.
//!
//! Translated loads and stores check only that the address is below the limit and then
//! access `base + addr` directly; the host page protections mirror the guest's (see
//! [`crate::Layout`]), so a forbidden access faults on the host. A process-wide SIGSEGV and
//! SIGBUS (past the end of a mapped file) handler recognises faults whose pc lies in a
//! registered code buffer and resumes the thread at its cache's landing routine, which
//! writes the registers back and asks [`resolve`] for the guest instruction (each block
//! keeps host offset → instruction of every access).
//!
//! ```text
//!   mov rax,[r15+rsi] ──SIGSEGV──▶ handler: pc in a code buffer? ──no──▶ previous action
//!                                       │ yes: ctx (at [rsp+16]) ← si_addr, pc
//!                                       ▼      rip ← ctx.landing
//!   landing: save registers, resolve(ctx, cpu, r14, slot, stop) → x (by the region's allocation), cpu.pc,
//!            Trap::Fault, instret; exit
//! ```
//!
//! Everything the handler touches is per thread (the faulting thread's frame and `Ctx`) or
//! atomic (the buffer ranges), so any number of vCPU threads may run translated code.

use crate::abi::{Ctx, ALLOCATABLE, CTX_SLOT, INSTRET};
use crate::sigchain::{Previous, Ranges};
use isa_a::{Access, Cpu, MemFault, Trap};

/// Code buffers that may fault: one per live code buffer (a process's current one, and
/// retired ones a vCPU may still run).
static RANGES: Ranges<4096> = Ranges::new();

/// The SIGSEGV and SIGBUS actions before ours, for faults that are not the guest's.
static PREVIOUS: Previous = Previous::new();

thread_local! {
    /// Set when this thread's last guest fault in translated code was a SIGBUS (past the
    /// end of a mapped file) rather than a SIGSEGV.
    static BUS_ERROR: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether this thread's last guest fault in translated code was a bus error; clears it.
pub fn take_bus_error() -> bool {
    BUS_ERROR.with(|b| b.replace(false))
}

/// Makes faults in `start..end` (a code buffer) guest faults; installs the handler once.
/// Fails (EAGAIN, as for a thread Linux cannot create) when every slot is taken.
pub fn register(start: u64, end: u64) -> std::io::Result<()> {
    PREVIOUS.install(handler);
    if RANGES.add(start, end) {
        Ok(())
    } else {
        Err(std::io::Error::from_raw_os_error(libc::EAGAIN))
    }
}

pub fn unregister(start: u64) {
    RANGES.remove(start);
}

/// How many code buffers are registered now.
pub fn registered() -> usize {
    RANGES.len()
}

extern "C" fn handler(sig: libc::c_int, info: *mut libc::siginfo_t, uc: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo and ucontext for this thread's fault. A pc in a
    // registered buffer is translated code, which keeps the Ctx pointer at [rsp + CTX_SLOT]
    // for its whole run; the handler was installed by PREVIOUS.install.
    unsafe {
        if crate::sigchain::write_resolved(sig, info, uc) {
            return;
        }
        let uc = &mut *(uc as *mut libc::ucontext_t);
        let gregs = &mut uc.uc_mcontext.gregs;
        let pc = gregs[libc::REG_RIP as usize] as u64;
        if RANGES.contains(pc) {
            let rsp = gregs[libc::REG_RSP as usize] as u64;
            let ctx = *((rsp + CTX_SLOT as u64) as *const *mut Ctx);
            (*ctx).fault_addr = (*info).si_addr() as u64;
            (*ctx).fault_host = pc;
            BUS_ERROR.with(|b| b.set(sig == libc::SIGBUS));
            gregs[libc::REG_RIP as usize] = (*ctx).landing as i64;
            return;
        }
        // Not a guest access: whatever would have happened without us.
        PREVIOUS.chain(sig, info, uc as *mut _ as *mut libc::c_void);
    }
}

/// Called by the landing routine with the allocatable registers written back, r14, the
/// frame's instret slot (what is left of the slice at the block's start is in the slot when
/// the block gave r14 to a guest register, else in r14) and the stop: makes `cpu.pc` the
/// faulting instruction's, puts the trap in the `Ctx` and returns the instret the
/// interpreter would have.
///
/// # Safety
/// Only from the landing routine, with the `Ctx` and `Cpu` of the running `enter`.
pub unsafe extern "C" fn resolve(
    ctx: *mut Ctx,
    cpu: *mut Cpu,
    r14: u64,
    slot: u64,
    stop: u64,
) -> u64 {
    let (ctx, cpu) = (&mut *ctx, &mut *cpu);
    let cache = (*ctx.cache).lock().unwrap_or_else(|e| e.into_inner());
    let Some(crate::cache::FaultSite {
        pc,
        idx,
        write,
        map,
        fmap,
        unextended,
    }) = cache.fault_site(ctx.fault_host)
    else {
        panic!(
            "host fault at {:#x} in translated code, not at a guest access",
            ctx.fault_host
        );
    };
    let mut left = r14;
    for &(g, h) in map {
        cpu.x[g as usize] = ctx.saved[h as usize];
        if ALLOCATABLE[h as usize] == INSTRET {
            left = slot;
        }
    }
    for &(f, i) in fmap {
        cpu.f[f as usize] = ctx.fsaved[i as usize];
    }
    // `*w` results the block left unextended across the access (lower/lazy.rs: only where a
    // `movsxd` gives back the guest value), in host registers or their slots.
    for g in (1..32).filter(|g| unextended >> g & 1 != 0) {
        cpu.x[g] = cpu.x[g] as i32 as i64 as u64;
    }
    cpu.pc = pc;
    let addr = ctx.fault_addr.wrapping_sub(ctx.base);
    let access = if write { Access::Write } else { Access::Read };
    ctx.trap = Some(Trap::Fault(MemFault { addr, access }));
    // A join (lower/join.rs) rewinds the block's starting count by the instructions its jump
    // skipped, below zero near a program's start: only the sum is a count.
    stop.wrapping_sub(left).wrapping_add(idx as u64)
}
