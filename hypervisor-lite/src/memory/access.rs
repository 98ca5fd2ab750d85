//! Fault-safe access to guest memory from mimic's own code, as the kernel's exception table.
//!
//! The page table says what the guest may touch, but another guest thread can munmap or
//! mprotect a page between the check and the access, and a file mapping faults (SIGBUS)
//! past the end of its file. So every byte mimic's Rust code reads or writes in the
//! reservation is touched by one of the routines below, which all lie in one text range.
//! The SIGSEGV/SIGBUS handler resumes a fault whose pc is in that range and whose address
//! is in a registered reservation at a `ret`, with `rdx` = the signal: the routine returns
//! failure instead of the process dying.
//!
//! ```text
//!   GuestMem::load64 ─ check table ─▶ call mimic_ga_load8 ─ mov rax,[rdi] ─▶ (rax, rdx=0)
//!                                            │ SIGSEGV/SIGBUS, pc in range, addr in reservation
//!                                            ▼ handler: rdx ← signal, rip ← mimic_ga_fixup (ret)
//!                                       (_, rdx=11 or 7) ─▶ MemFault (guest signal) / EFAULT
//! ```
//!
//! Every routine is a leaf that keeps `rsp` at its return address, so one `ret` is every
//! routine's fixup. Anything else that faults goes to the action installed before ours
//! (the translator's handler, or the default), whichever was installed first.

use std::cell::Cell;
use translator::sigchain::{Previous, Ranges};

/// A routine's result: the value read (or the old value of a compare-exchange) and 0, or
/// the signal number of the host fault.
#[repr(C)]
pub struct Ret {
    pub val: u64,
    pub sig: u64,
}

std::arch::global_asm!(
    ".pushsection .text.mimic_guest_access,\"ax\",@progbits",
    ".p2align 4",
    ".globl mimic_ga_start",
    ".hidden mimic_ga_start",
    "mimic_ga_start:",
    ".globl mimic_ga_load1",
    ".hidden mimic_ga_load1",
    "mimic_ga_load1: movzx eax, byte ptr [rdi]",
    "xor edx, edx",
    "ret",
    ".globl mimic_ga_load2",
    ".hidden mimic_ga_load2",
    "mimic_ga_load2: movzx eax, word ptr [rdi]",
    "xor edx, edx",
    "ret",
    ".globl mimic_ga_load4",
    ".hidden mimic_ga_load4",
    "mimic_ga_load4: mov eax, dword ptr [rdi]",
    "xor edx, edx",
    "ret",
    ".globl mimic_ga_load8",
    ".hidden mimic_ga_load8",
    "mimic_ga_load8: mov rax, qword ptr [rdi]",
    "xor edx, edx",
    "ret",
    ".globl mimic_ga_store1",
    ".hidden mimic_ga_store1",
    "mimic_ga_store1: mov byte ptr [rdi], sil",
    "xor edx, edx",
    "ret",
    ".globl mimic_ga_store2",
    ".hidden mimic_ga_store2",
    "mimic_ga_store2: mov word ptr [rdi], si",
    "xor edx, edx",
    "ret",
    ".globl mimic_ga_store4",
    ".hidden mimic_ga_store4",
    "mimic_ga_store4: mov dword ptr [rdi], esi",
    "xor edx, edx",
    "ret",
    ".globl mimic_ga_store8",
    ".hidden mimic_ga_store8",
    "mimic_ga_store8: mov qword ptr [rdi], rsi",
    "xor edx, edx",
    "ret",
    // (p, expected, new) -> the old value; equal to expected when it stored.
    ".globl mimic_ga_cas4",
    ".hidden mimic_ga_cas4",
    "mimic_ga_cas4: mov eax, esi",
    "lock cmpxchg dword ptr [rdi], edx",
    "xor edx, edx",
    "ret",
    ".globl mimic_ga_cas8",
    ".hidden mimic_ga_cas8",
    "mimic_ga_cas8: mov rax, rsi",
    "lock cmpxchg qword ptr [rdi], rdx",
    "xor edx, edx",
    "ret",
    // (dst, src, n): either side may be guest memory.
    ".globl mimic_ga_copy",
    ".hidden mimic_ga_copy",
    "mimic_ga_copy: mov rcx, rdx",
    "rep movsb",
    "xor edx, edx",
    "ret",
    ".globl mimic_ga_end",
    ".hidden mimic_ga_end",
    "mimic_ga_end:",
    ".globl mimic_ga_fixup",
    ".hidden mimic_ga_fixup",
    "mimic_ga_fixup: ret",
    ".popsection",
);

extern "C" {
    static mimic_ga_start: u8;
    static mimic_ga_end: u8;
    fn mimic_ga_fixup();
    fn mimic_ga_load1(p: *const u8) -> Ret;
    fn mimic_ga_load2(p: *const u8) -> Ret;
    fn mimic_ga_load4(p: *const u8) -> Ret;
    fn mimic_ga_load8(p: *const u8) -> Ret;
    fn mimic_ga_store1(p: *mut u8, v: u64) -> Ret;
    fn mimic_ga_store2(p: *mut u8, v: u64) -> Ret;
    fn mimic_ga_store4(p: *mut u8, v: u64) -> Ret;
    fn mimic_ga_store8(p: *mut u8, v: u64) -> Ret;
    fn mimic_ga_cas4(p: *mut u8, expected: u64, new: u64) -> Ret;
    fn mimic_ga_cas8(p: *mut u8, expected: u64, new: u64) -> Ret;
    fn mimic_ga_copy(dst: *mut u8, src: *const u8, n: usize) -> Ret;
}

/// Calls routine `$f` on the interpreter's hot path from inline assembly, which tells the
/// compiler the only registers it changes (rax, rdx and the flags), so the caller keeps its
/// other values in registers across the call instead of spilling every caller-saved one as
/// an `extern "C"` call makes it.
macro_rules! hot_call {
    ($f:ident, $p:expr) => {{
        let (val, sig): (u64, u64);
        std::arch::asm!("call {f}", f = sym $f, in("rdi") $p, out("rax") val, out("rdx") sig);
        Ret { val, sig }
    }};
    ($f:ident, $p:expr, $v:expr) => {{
        let sig: u64;
        std::arch::asm!("call {f}", f = sym $f, in("rdi") $p, in("rsi") $v, out("rdx") sig);
        Ret { val: 0, sig }
    }};
}

/// Loads `n` (1, 2, 4 or 8) little-endian bytes at `p`, zero-extended.
///
/// # Safety
/// `p..p+n` must lie in a registered reservation (a fault there is survived; anywhere
/// else it is not).
#[inline(always)]
pub unsafe fn load(p: *const u8, n: u64) -> Ret {
    // SAFETY: the routines read only `p..p+n` (the caller's promise) and change only the
    // registers the macro declares; a fault resumes at a `ret` with rsp unchanged.
    unsafe {
        match n {
            1 => hot_call!(mimic_ga_load1, p),
            2 => hot_call!(mimic_ga_load2, p),
            4 => hot_call!(mimic_ga_load4, p),
            _ => hot_call!(mimic_ga_load8, p),
        }
    }
}

/// Stores the low `n` (1, 2, 4 or 8) bytes of `v` at `p`.
///
/// # Safety
/// As [`load`].
#[inline(always)]
pub unsafe fn store(p: *mut u8, n: u64, v: u64) -> Ret {
    // SAFETY: as in `load`; the store routines leave rax alone.
    unsafe {
        match n {
            1 => hot_call!(mimic_ga_store1, p, v),
            2 => hot_call!(mimic_ga_store2, p, v),
            4 => hot_call!(mimic_ga_store4, p, v),
            _ => hot_call!(mimic_ga_store8, p, v),
        }
    }
}

/// A sequentially consistent compare-exchange of the naturally aligned `bits`-bit word at
/// `p`: returns the old value.
///
/// # Safety
/// As [`load`], and `p` aligned to the word.
pub unsafe fn cas(p: *mut u8, bits: u32, expected: u64, new: u64) -> Ret {
    if bits == 32 {
        mimic_ga_cas4(p, expected & 0xffff_ffff, new)
    } else {
        mimic_ga_cas8(p, expected, new)
    }
}

/// Copies `n` bytes from `src` to `dst`; on a fault some prefix has been copied.
///
/// # Safety
/// The side that is guest memory lies in a registered reservation; the other is `n` valid
/// host bytes; they do not overlap.
pub unsafe fn copy(dst: *mut u8, src: *const u8, n: usize) -> Ret {
    mimic_ga_copy(dst, src, n)
}

/// Reservations (start, end) whose faults in the routines are survivable: one per live
/// address space (a process, or a test's).
static RESERVED: Ranges<256> = Ranges::new();

/// The actions before ours, for SIGSEGV and SIGBUS faults that are not in the routines.
static PREVIOUS: Previous = Previous::new();

/// Makes faults in `start..end` by the routines survivable; installs the handler once.
pub fn register(start: u64, end: u64) -> std::io::Result<()> {
    PREVIOUS.install(handler);
    if RESERVED.add(start, end) {
        Ok(())
    } else {
        Err(std::io::Error::from_raw_os_error(libc::ENOMEM))
    }
}

pub fn unregister(start: u64) {
    RESERVED.remove(start);
}

extern "C" fn handler(sig: libc::c_int, info: *mut libc::siginfo_t, uc: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo and ucontext to an SA_SIGINFO handler, and
    // the handler was installed by PREVIOUS.install.
    unsafe {
        if translator::sigchain::write_resolved(sig, info, uc) {
            return;
        }
        let ctx = &mut *(uc as *mut libc::ucontext_t);
        let gregs = &mut ctx.uc_mcontext.gregs;
        let pc = gregs[libc::REG_RIP as usize] as u64;
        let start = &raw const mimic_ga_start as u64;
        let end = &raw const mimic_ga_end as u64;
        if pc >= start && pc < end && RESERVED.contains((*info).si_addr() as u64) {
            gregs[libc::REG_RDX as usize] = sig as i64;
            gregs[libc::REG_RIP as usize] = mimic_ga_fixup as *const () as i64;
            return;
        }
        // Not ours: whatever would have happened without us.
        PREVIOUS.chain(sig, info, uc);
    }
}

thread_local! {
    /// Set when this thread's last faulting guest access (through the `Bus`) was a SIGBUS.
    static BUS_ERROR: Cell<bool> = const { Cell::new(false) };
}

/// Notes which signal the last faulting guest access of this thread raised.
pub fn note_fault(sig: u64) {
    BUS_ERROR.with(|b| b.set(sig == libc::SIGBUS as u64));
}

/// Whether this thread's last faulting guest access was a bus error (a file mapping past
/// the end of its file); clears it.
pub fn take_bus_error() -> bool {
    BUS_ERROR.with(|b| b.replace(false))
}
