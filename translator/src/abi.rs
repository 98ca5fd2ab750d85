//! The contract between translated code and the Rust around it: which host register holds
//! what, the frame the entry trampoline builds, exit reasons, and the helper that runs one
//! instruction with the interpreter.
//!
//! ```text
//!   rbp  *mut Cpu            r15  guest memory base
//!   r14  what is left of the slice: stop - instret (of the block's start while inside it)
//!   rbx r12 rdi r8 r9 r10 r11  ← guest sp a0 a1 a2 a3 a4 a5 between blocks; inside a block
//!   (+ r13 rsi r14)              the block's own allocation (lower/alloc.rs), which its
//!                                prologue sets up and its exits undo; a block that takes
//!                                r14 keeps its count in [rsp+24] meanwhile
//!   rax rcx rdx rsi            scratch (rdx for addresses when a block takes rsi)
//!   [rsp]  the host's MXCSR   [rsp+8]  guest address limit   [rsp+16]  scratch (lower/fp.rs)
//!   [rsp+24]  r14's count while r14 is taken   [rsp+32]  unused (alignment)
//!   [rsp+40]  stop: instret at which to leave (at most i64::MAX past the entry's, so that
//!             r14 counts down in a signed register)   [rsp+48]  *mut Ctx
//!   [rsp+56]  the return-address stack (lower/calls.rs): SHADOW_ENTRIES entries of 16 bytes
//!   above it  six saved registers, the return address: 1136 bytes in all, so rsp stays
//!             16-aligned for helper calls
//!   MXCSR  the guest's: rounding = frm, flags accumulating (see lower/fp.rs)
//! ```

use isa_a::{Bus, Cpu, Decoded, Flow, Trap, XReg};
use isa_b::{Emitter, Gpr, Label, Mem, W};
use std::mem::offset_of;

pub const CPU: Gpr = Gpr::Rbp;
pub const MEM: Gpr = Gpr::R15;
pub const INSTRET: Gpr = Gpr::R14;

/// Guest registers kept in host registers, as (guest, host).
pub const MAPPED: [(u8, Gpr); 7] = [
    (2, Gpr::Rbx),
    (10, Gpr::R12),
    (11, Gpr::Rdi),
    (12, Gpr::R8),
    (13, Gpr::R9),
    (14, Gpr::R10),
    (15, Gpr::R11),
];

/// Host registers a block may give to guest registers (lower/alloc.rs): the mapped ones, r13,
/// rsi and r14. Their values at a fault are saved in this order in `Ctx::saved`.
pub const ALLOCATABLE: [Gpr; 10] = [
    Gpr::Rbx,
    Gpr::R12,
    Gpr::Rdi,
    Gpr::R8,
    Gpr::R9,
    Gpr::R10,
    Gpr::R11,
    Gpr::R13,
    Gpr::Rsi,
    Gpr::R14,
];

/// The host register holding guest `r` between blocks, if it has one.
pub fn host_reg(r: XReg) -> Option<Gpr> {
    MAPPED
        .iter()
        .find(|(g, _)| *g as usize == r.num())
        .map(|&(_, h)| h)
}

pub const LIMIT_SLOT: i32 = 8;
/// r14's count (what is left of the slice at the block's start) while a block holds a guest
/// register in r14.
pub const INSTRET_SLOT: i32 = 24;
pub const STOP_SLOT: i32 = 40;
pub const CTX_SLOT: i32 = 48;

/// The return-address stack (lower/calls.rs) lives in the entry frame, so it is one vCPU's
/// and lasts one entry into translated code (which stays in one generation, see
/// crate::cache). Each entry is (guest return pc, host address of the code that goes on
/// there), 16 bytes, and starts with an odd pc, which no return target matches.
pub const SHADOW_SLOT: i32 = CTX_SLOT + 8;
pub const SHADOW_ENTRIES: i32 = 64;
pub const SHADOW_BYTES: i32 = 16 * SHADOW_ENTRIES;

pub fn x_slot(r: usize) -> Mem {
    Mem::at(CPU, (offset_of!(Cpu, x) + 8 * r) as i32)
}
pub fn pc_slot() -> Mem {
    Mem::at(CPU, offset_of!(Cpu, pc) as i32)
}
pub fn fcsr_slot() -> Mem {
    Mem::at(CPU, offset_of!(Cpu, fcsr) as i32)
}
pub fn instret_slot() -> Mem {
    Mem::at(CPU, offset_of!(Cpu, instret) as i32)
}

/// r14 = what is left of the slice at `cpu.instret` (the frame's stop minus it; rsp at the
/// frame).
pub fn load_count(e: &mut Emitter) {
    e.load(W::B64, INSTRET, Mem::at(Gpr::Rsp, STOP_SLOT));
    e.alu_rm(isa_b::Alu::Sub, W::B64, INSTRET, instret_slot());
}

/// Why translated code returned to the dispatcher. `cpu.pc` says where to go on.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum Reason {
    /// A block ended in an indirect jump the lookup table did not know.
    Next = 1,
    /// A direct jump to a block not chained yet; `aux` is the jump to patch.
    Chain = 2,
    /// The instruction budget ran out.
    Budget = 3,
    Ecall = 4,
    Ebreak = 5,
    /// `fence.i` retired.
    FenceI = 6,
    /// An instruction run by the helper trapped; the trap is in `Ctx::trap`.
    Trap = 7,
    /// A CSR write left `frm` naming a rounding the host lacks, inside a block; `aux` is how
    /// many instructions of the interpreter's block are still to run.
    Rounding = 8,
}

impl Reason {
    pub fn from_raw(v: u64) -> Reason {
        match v {
            1 => Reason::Next,
            2 => Reason::Chain,
            3 => Reason::Budget,
            4 => Reason::Ecall,
            5 => Reason::Ebreak,
            6 => Reason::FenceI,
            7 => Reason::Trap,
            8 => Reason::Rounding,
            _ => unreachable!("exit reason {v}"),
        }
    }
}

/// What the entry trampoline returns, in rax:rdx.
#[repr(C)]
pub struct Ret {
    pub reason: u64,
    pub aux: u64,
}

/// What translated code and the helper need besides the `Cpu`.
#[repr(C)]
pub struct Ctx {
    pub base: u64,
    pub limit: u64,
    pub stop: u64,
    pub bus: *mut (dyn Bus + 'static),
    pub trap: Option<Trap>,
    /// The guest's MXCSR: set from `frm` before entering, its flags read back at the exit.
    pub mxcsr: u32,
    /// Where a faulting thread resumes, and what the fault handler saw (crate::fault).
    pub landing: u64,
    pub fault_addr: u64,
    pub fault_host: u64,
    /// The [`ALLOCATABLE`] registers at a fault.
    pub saved: [u64; ALLOCATABLE.len()],
    /// The [`MIRRORED`] SSE registers at a fault.
    pub fsaved: [u64; MIRRORED.len()],
    pub cache: *const std::sync::Mutex<crate::CodeCache>,
    /// Instructions the helper ran in this entry.
    pub helper_calls: u64,
}

pub const CTX_BASE: i32 = offset_of!(Ctx, base) as i32;
pub const CTX_LIMIT: i32 = offset_of!(Ctx, limit) as i32;
pub const CTX_STOP: i32 = offset_of!(Ctx, stop) as i32;
pub const CTX_MXCSR: i32 = offset_of!(Ctx, mxcsr) as i32;
pub const CTX_SAVED: i32 = offset_of!(Ctx, saved) as i32;
pub const CTX_FSAVED: i32 = offset_of!(Ctx, fsaved) as i32;

/// The SSE registers translated code mirrors FP registers in (xmm0 and xmm1 are scratch).
pub const MIRRORED: [u8; 14] = [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

/// MXCSR with every exception masked and no flags: Rust's, and the guest's base.
const MXCSR_MASKED: u32 = 0x1f80;

/// The MXCSR translated code runs with for `frm`, or `None` when x86 has no such rounding
/// (rmm, or an invalid frm whose `dyn` instructions are illegal): then the interpreter runs.
pub fn mxcsr_for(frm: u32) -> Option<u32> {
    // RISC-V rne rtz rdn rup → x86 RC 00, 11, 01, 10.
    const RC: [u32; 4] = [0, 3, 1, 2];
    RC.get(frm as usize).map(|rc| MXCSR_MASKED | rc << 13)
}

/// ORs the exception flags of `mxcsr` into `fcsr`'s fflags: IE→NV, ZE→DZ, OE→OF, UE→UF,
/// PE→NX (DE, the denormal-operand flag, has no RISC-V counterpart; x86 and RISC-V both
/// detect tininess after rounding).
pub fn fold_mxcsr(cpu: &mut Cpu, mxcsr: u32) {
    const MAP: [(u32, u32); 5] = [(0, 4), (2, 3), (3, 2), (4, 1), (5, 0)];
    for (x, r) in MAP {
        cpu.fcsr |= ((mxcsr >> x) & 1) << r;
    }
}

fn get_mxcsr() -> u32 {
    let mut v = 0u32;
    // SAFETY: stmxcsr stores 4 bytes to `v`, a live local.
    unsafe { std::arch::asm!("stmxcsr [{}]", in(reg) &mut v, options(nostack)) };
    v
}

fn set_mxcsr(v: u32) {
    // SAFETY: ldmxcsr reads 4 bytes from `v`; callers pass a value with only the rounding and
    // flag bits mimic uses (masking every exception), so no host FP trap can follow.
    unsafe { std::arch::asm!("ldmxcsr [{}]", in(reg) &v, options(nostack)) };
}

/// `enter(cpu, ctx, host_code)`: runs translated code until it exits.
pub type EnterFn = unsafe extern "C" fn(*mut Cpu, *mut Ctx, u64) -> Ret;

/// Runs one instruction with the interpreter: everything translated code does not do itself
/// goes through here, so it is exact by construction. `cpu.pc` and `cpu.instret` are those of
/// the instruction; the mapped registers have been written back. Returns 0 to go on, or an
/// exit reason.
///
/// # Safety
/// Called only by translated code, with the `Ctx` and `Cpu` of the running `enter` and a
/// `Decoded` owned by the block's cache entry.
pub unsafe extern "C" fn helper(ctx: *mut Ctx, cpu: *mut Cpu, d: *const Decoded) -> u64 {
    let (ctx, cpu, d) = (&mut *ctx, &mut *cpu, &*d);
    ctx.helper_calls += 1;
    // Native FP ran under the guest's MXCSR: its flags go to fflags first (the interpreter
    // may read them). They stay set in MXCSR, which is harmless while fflags holds them: only
    // a CSR write can take flags away or change frm, and only then is MXCSR reloaded —
    // `ldmxcsr` waits for all FP work in flight, so it is not done on every helper call.
    // The interpreter's floating point is integer-only: MXCSR's rounding does not touch it.
    fold_mxcsr(cpu, get_mxcsr());
    let flow = isa_a::block::exec(cpu, &mut *ctx.bus, d);
    if d.insn.info().has(isa_a::flag::CSR) {
        // An frm without an x86 rounding ends the block (lower::csr); the rounding is moot then.
        set_mxcsr(mxcsr_for(cpu.frm()).unwrap_or(MXCSR_MASKED));
    }
    match flow {
        Flow::Next => 0,
        Flow::Trap(t) => {
            ctx.trap = Some(t);
            Reason::Trap as u64
        }
        f => unreachable!("{f:?} from {} in the helper", d.insn),
    }
}

/// [`helper`] for instruction `idx` of the block whose instructions start at `insns` and
/// whose guest code starts at `start`: sets `cpu.pc` to that instruction's first.
///
/// # Safety
/// As [`helper`]; `insns` points at the block's instructions, of which there are more than
/// `idx`.
pub unsafe extern "C" fn helper_at(
    ctx: *mut Ctx,
    cpu: *mut Cpu,
    insns: *const Decoded,
    idx: u64,
    start: u64,
) -> u64 {
    let insns = std::slice::from_raw_parts(insns, idx as usize + 1);
    (*cpu).pc = crate::superblock::pcs(start, insns)
        .last()
        .expect("the block has instruction idx");
    helper(ctx, cpu, &insns[idx as usize])
}

/// Writes every mapped guest register back to the `Cpu`.
pub fn spill(e: &mut Emitter) {
    for (g, h) in MAPPED {
        e.store(W::B64, x_slot(g as usize), h);
    }
}

/// Loads every mapped guest register from the `Cpu`.
pub fn reload(e: &mut Emitter) {
    for (g, h) in MAPPED {
        e.load(W::B64, h, x_slot(g as usize));
    }
}

const SAVED: [Gpr; 6] = [Gpr::Rbx, Gpr::Rbp, Gpr::R12, Gpr::R13, Gpr::R14, Gpr::R15];
// The frame (the return address, the saved registers, the slots up to the return-address
// stack's end) keeps rsp 16-aligned for helper calls.
const _: () = assert!((8 + 8 * SAVED.len() as i32 + SHADOW_SLOT + SHADOW_BYTES) % 16 == 0);

/// Emits the entry trampoline (an [`EnterFn`]), bound to `exit` the routine every exit
/// jumps to with the reason in rax and aux in rdx, and bound to `landing` where a guest
/// access that faulted on the host resumes (crate::fault).
pub fn emit_entry_exit(e: &mut Emitter, exit: &mut Label, landing: &mut Label) {
    for r in SAVED {
        e.push(r);
    }
    // The return-address stack, ctx, then stop: with the return address and six saved
    // registers rsp is then 8 off a multiple of 16; five more slots align it for helper calls.
    e.alu_ri(isa_b::Alu::Sub, W::B64, Gpr::Rsp, SHADOW_BYTES);
    e.push(Gpr::Rsi);
    e.load(W::B64, Gpr::Rax, Mem::at(Gpr::Rsi, CTX_STOP));
    e.push(Gpr::Rax);
    e.alu_ri(isa_b::Alu::Sub, W::B64, Gpr::Rsp, STOP_SLOT);
    for i in 0..SHADOW_ENTRIES {
        e.store_imm(W::B64, Mem::at(Gpr::Rsp, SHADOW_SLOT + 16 * i), 1);
    }
    e.stmxcsr(Mem::at(Gpr::Rsp, 0));
    e.ldmxcsr(Mem::at(Gpr::Rsi, CTX_MXCSR));
    e.load(W::B64, Gpr::Rax, Mem::at(Gpr::Rsi, CTX_LIMIT));
    e.store(W::B64, Mem::at(Gpr::Rsp, LIMIT_SLOT), Gpr::Rax);
    e.mov_rr(W::B64, CPU, Gpr::Rdi);
    e.load(W::B64, MEM, Mem::at(Gpr::Rsi, CTX_BASE));
    load_count(e);
    e.mov_rr(W::B64, Gpr::Rcx, Gpr::Rdx);
    reload(e);
    e.jmp_reg(Gpr::Rcx);

    e.bind(exit);
    spill(e);
    e.load(W::B64, Gpr::Rcx, Mem::at(Gpr::Rsp, STOP_SLOT));
    e.alu_rr(isa_b::Alu::Sub, W::B64, Gpr::Rcx, INSTRET);
    e.store(W::B64, instret_slot(), Gpr::Rcx);
    e.load(W::B64, Gpr::Rcx, Mem::at(Gpr::Rsp, CTX_SLOT));
    e.stmxcsr(Mem::at(Gpr::Rcx, CTX_MXCSR));
    e.ldmxcsr(Mem::at(Gpr::Rsp, 0));
    e.alu_ri(
        isa_b::Alu::Add,
        W::B64,
        Gpr::Rsp,
        SHADOW_SLOT + SHADOW_BYTES,
    );
    for r in SAVED.iter().rev() {
        e.pop(*r);
    }
    e.ret();

    // The faulting instruction wrote nothing: the block's registers are the guest's, and
    // resolve() knows which guest register each holds.
    e.bind(landing);
    e.load(W::B64, Gpr::Rax, Mem::at(Gpr::Rsp, CTX_SLOT));
    for (i, h) in ALLOCATABLE.into_iter().enumerate() {
        e.store(W::B64, Mem::at(Gpr::Rax, CTX_SAVED + 8 * i as i32), h);
    }
    for (i, x) in MIRRORED.into_iter().enumerate() {
        let m = Mem::at(Gpr::Rax, CTX_FSAVED + 8 * i as i32);
        e.store_f(isa_b::Prec::D, m, isa_b::Xmm::new(x));
    }
    e.mov_rr(W::B64, Gpr::Rdi, Gpr::Rax);
    e.mov_rr(W::B64, Gpr::Rsi, CPU);
    e.mov_rr(W::B64, Gpr::Rdx, INSTRET);
    e.load(W::B64, Gpr::Rcx, Mem::at(Gpr::Rsp, INSTRET_SLOT));
    e.load(W::B64, Gpr::R8, Mem::at(Gpr::Rsp, STOP_SLOT));
    e.mov_ri(Gpr::Rax, crate::fault::resolve as *const () as i64);
    e.call_reg(Gpr::Rax);
    e.load(W::B64, INSTRET, Mem::at(Gpr::Rsp, STOP_SLOT));
    e.alu_rr(isa_b::Alu::Sub, W::B64, INSTRET, Gpr::Rax);
    reload(e);
    e.mov_ri(Gpr::Rax, Reason::Trap as i64);
    e.jmp(*exit);
}
