//! # translator — the implementation of interface A on interface B
//!
//! Guest blocks (isa-a's decoded instructions up to a block end) become x86-64 functions
//! through isa-b's emitter; hot guest registers live in host registers; blocks chain to each
//! other directly, indirect jumps go through a lookup table; everything not lowered natively
//! runs through a helper that calls the interpreter, so translated code is exact by
//! construction where it is not exact by test.
//!
//! ```text
//!   Engine::run ──▶ cold: isa_a::run_block (counted) ──hot──▶ CodeCache::translate
//!        │                                                        │ lower/{alu,mem,branch}
//!        └──────────── enter(cpu, ctx, host) ◀────────────────────┘ isa_b::Emitter → CodeBuffer
//!                        └─ exit: next pc / chain / budget / ecall / ebreak / fence.i / trap
//! ```
//!
//! ```
//! use isa_a::{Cpu, Insn, Trap, XReg, format::{I, Nullary}};
//! use translator::{Engine, Mode, TestMemory};
//!
//! let mut mem = TestMemory::new(1 << 20);
//! let code = [
//!     Insn::Addi(I { rd: XReg::new(10), rs1: XReg::ZERO, imm: 41 }),
//!     Insn::Addi(I { rd: XReg::new(10), rs1: XReg::new(10), imm: 1 }),
//!     Insn::Ecall(Nullary {}),
//! ];
//! mem.load_code(0x1000, &code);
//! let mut engine = Engine::new(Mode::Jit, mem.layout()).unwrap();
//! let mut cpu = Cpu::new(0x1000);
//! assert_eq!(engine.run(&mut cpu, &mut mem, 100), Some(Trap::Ecall));
//! assert_eq!((cpu.x[10], cpu.pc, cpu.instret), (42, 0x1008, 2));
//! assert_eq!(engine.stats().blocks_translated, 1);
//! ```

pub mod abi;
pub mod cache;
pub mod cost;
mod engine;
pub mod fault;
pub mod log;
mod lower;
pub mod sigchain;
mod superblock;
mod testmem;
mod unroll;
mod written;

pub use cache::{AllocStats, CacheStats, CodeCache, Translated};
pub use engine::{BlockSummary, Engine, Mode, Stats, HOT};
pub use isa_b::HostFeatures;
pub use log::{LogFlags, SharedSymbols, Symbols};
pub use lower::{
    check_counts, crossed_counts, extension_counts, flags_count, fusion_counts,
    indexed_check_count, inner_loop_count, join_count, select_count, unrolled_count, Budget,
};
pub use testmem::TestMemory;

/// Guest pages are 4 KiB.
pub const PAGE_SHIFT: u32 = 12;

/// The bytes on each side of guest memory, below `base` and from `base + limit`, that must
/// fault (see [`Layout`]): how far past an address known to be guest memory an access may
/// go unchecked (lower/checked.rs). 1 MiB reaches over a table lookup whose index has up to
/// 16 bits, scaled by up to 8 (512 KiB), and costs only address space: the zones are
/// reserved, never touched.
pub const GUARD: u64 = 1 << 20;

/// Where guest memory is, as translated code addresses it: guest address `g` at `base + g`
/// for `g < limit`. The host protections of those pages must be the guest's (no access:
/// `PROT_NONE`; read only: `PROT_READ`; execute-only pages may be readable, as the decoder
/// reads them) and the [`GUARD`] bytes below `base` and from `base + limit` must fault too:
/// translated code checks only `g < limit` (and not even that for an access near one
/// already made through the same register, or a table lookup near another: lower/checked.rs)
/// and lets the host fault, which [`fault`] turns into the guest's fault.
#[derive(Copy, Clone, Debug)]
pub struct Layout {
    pub base: *mut u8,
    pub limit: u64,
}

// SAFETY: the pointer names the process's guest memory, shared by every vCPU by design: a
// Layout is only an address, and translated code reaches memory through it the way a hart
// reaches RAM.
unsafe impl Send for Layout {}
// SAFETY: as for Send: a Layout is read-only data.
unsafe impl Sync for Layout {}

/// A translated block as text, for reviewing translations: its guest code, one instruction
/// a line (`in_asm`), and its host code as `-d out_asm` logs it (`out_asm`).
pub fn describe(cache: &CodeCache, t: &Translated, flags: LogFlags) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    if flags.in_asm {
        let _ = writeln!(s, "IN: guest block at 0x{:x}", t.pc);
        for (d, pc) in t.insns.iter().zip(superblock::pcs(t.pc, &t.insns)) {
            let mut text = String::new();
            let _ = d.insn.disasm(Some(pc), &mut text);
            let _ = writeln!(s, "0x{pc:016x}:  {text}");
        }
        let _ = writeln!(s);
    }
    if flags.out_asm {
        s.push_str(&describe_host(cache, t));
    }
    s
}

/// The host code of a translated block as `-d out_asm` logs it.
pub fn describe_host(cache: &CodeCache, t: &Translated) -> String {
    use std::fmt::Write;
    let host = isa_b::disassemble(cache.host_code(t), t.host);
    let mut s = format!(
        "OUT: [size={} bytes, {} host instructions]\n",
        t.host_len,
        host.len()
    );
    for i in host {
        let _ = writeln!(s, "0x{:016x}:  {}", i.addr, i.text);
    }
    s.push('\n');
    s
}
