//! The differential test's generator: random code that reaches what the translator emits.
//!
//! A case is a list of [`Gen`]s; each one becomes one instruction from isa-a's table (any row,
//! compressed forms too) or one of the sequences compilers emit and the translator lowers or
//! fuses: `lui`+`addi[w]`, `lui`+load/store, `auipc`+`addi`/load/store/`jalr`,
//! `andi`/`slli`/`add` address arithmetic before a load or store, `slli`+`srli`
//! zero-extension, values made sign-extended then extended again (`sext.w`, `sraiw`, …),
//! `addiw x,x,0`, chains of `*w` operations through `xor`/`or`/`and`, moves, 32-bit rotates
//! and `sext.w`, read by sign-dependent 64-bit readers, stores, helper calls, faulting loads
//! and branches in between, some in their slots under pressure (the `movsxd`s
//! lower/lazy.rs leaves out), rotates (two shifts and an `or`, interleaved, and near
//! misses), shifts by a register (counts past the width, operands aliased), `not` and a
//! later `and` of its result (`andn`, and near misses), a compare and a branch on its
//! result, an operation and a branch of its result against zero (directly after it or
//! not), a chain through
//! all 31 registers, loops under register pressure (many registers used many times an
//! iteration, dead writes), loops with more live registers than host registers whose cold
//! ones are moved, operated on in place, sign-extended and compared in their slots, loops around if-then and if-then-else diamonds (forward branches
//! to a join in the same superblock), blocks long enough for several allocation regions
//! (short-lived registers in turn, all 31, accesses, faults and helper calls in later
//! regions, looped or not), calls with their returns (predicted or not), FP
//! work on a few registers with accesses, faults, helper calls and exits among its writes,
//! arithmetic made to give NaNs (signalling and quiet NaN operands, inf-inf, 0*inf, 0/0,
//! inf/inf, roots of negatives; both precisions, into a source or not, on mirrored registers
//! and on registers left in their slots), runs of accesses through one base register
//! (most of them without a limit check), and table lookups, `andi`/`srliw`/`srli` then
//! `slli` and `add` to a base, several into the same tables (after the first, without a
//! limit check; the bases also across the ends of memory, faulting), sums `add t, a, b`
//! feeding an access at an offset from `t`, and runs of `slli`/`addi`/`add` before one
//! (aliased, under pressure, faulting, with and without their checks: lower/addressing.rs),
//! loops around a branch over a few integer operations (lowered as conditional moves), loops
//! of `*w` operations whose results cross the back edge unextended, loops whose `*w` results
//! cross side exits and accesses that fault, unrolled or not, unextended, read after 32 or
//! 64 bits wide ([`lazy_exits`]), and small loops of one
//! basic block (unrolled under back-edge budget checks: [`unroll_loop`]) closed by every kind
//! of branch back to their start, compressed ones too, left after 1 to 9 trips or many, their
//! pointers walking off the scratch region in a later copy, and inner loops inside a
//! superblock, one or two in a row, closed by a branch back to their first instruction
//! (not the superblock's start: lower/inner_loop.rs) on a counter, a loaded value, a walking
//! pointer or an `slt`, their bodies loads, stores, `*w` arithmetic and FP operations that
//! set flags, a forward branch out of one, a `j` into one at its condition, pointers that
//! walk off memory on a later trip ([`inner_loops`]). Operands are random
//! where any value is fine, and chosen where a random one would only reach the slow path:
//! rounding modes are mostly `dyn`, CSR numbers name CSRs a program may touch, and every
//! branch, jump and `jalr` lands on an instruction of the sequence. Faults come from
//! sequences made to fault (unmapped pages, the code pages written, the ends of mappings).
//!
//! The same cases run translated for the host's extensions and for the x86-64 baseline
//! (differential.rs): the NaN-making arithmetic into either source or neither reaches every
//! path of lower/fp_arith.rs's VEX and two-operand forms, rotates into another register
//! than their source `rorx` or `mov`+`ror`, shifts by a register `shlx` … or through `cl`,
//! `not`+`and` one `andn` or two instructions.
//!
//! Targets are fixed once the code is laid out ([`Fix`]), since compressed forms make the
//! address of an instruction depend on all before it.

use isa_a::{csr, decode, decode32, FormatKind, Opcode};
use proptest::prelude::*;

pub const MEM: usize = 64 << 10;
pub const CODE: u64 = 0x1000;
pub const CODE_END: u64 = 0x3000;
pub const SCRATCH: u64 = 0x4000;
pub const SCRATCH_END: u64 = 0xc000;

/// One generated piece: which kind, random operand bits, and a choice for targets.
#[derive(Clone, Debug)]
pub struct Gen {
    pub kind: u8,
    pub bits: u32,
    pub choice: u16,
}

pub fn gen() -> impl Strategy<Value = Gen> {
    (any::<u8>(), any::<u32>(), any::<u16>()).prop_map(|(kind, bits, choice)| Gen {
        kind,
        bits,
        choice,
    })
}

/// The registers, FP state and scratch memory a case starts from.
#[derive(Clone, Debug)]
pub struct Start {
    pub x: [u64; 32],
    pub f: [u64; 32],
    pub fcsr: u32,
    pub scratch_seed: u64,
}

impl Start {
    /// Every register zero, flags clear, round to nearest; the scratch region from seed 1.
    pub fn zeroed() -> Start {
        Start {
            x: [0; 32],
            f: [0; 32],
            fcsr: 0,
            scratch_seed: 1,
        }
    }
}

pub fn start() -> impl Strategy<Value = Start> {
    let reg = prop_oneof![
        4 => (SCRATCH + 0x1000..SCRATCH_END - 0x1000).prop_map(|a| a & !7),
        2 => SCRATCH..SCRATCH_END,
        2 => any::<u64>(),
        2 => (-64i64..64).prop_map(|v| v as u64),
        1 => Just(i64::MIN as u64),
    ];
    let freg = prop_oneof![
        any::<u64>(),
        any::<f64>().prop_map(f64::to_bits),
        any::<f32>().prop_map(|f| f.to_bits() as u64 | 0xffff_ffff_0000_0000),
    ];
    // A rounding mode the host has (rne, rtz, rdn, rup) most of the time: under rmm or an
    // invalid one every block runs in the interpreter.
    let frm = prop_oneof![19 => 0u32..4, 1 => 4u32..8];
    (
        proptest::collection::vec(reg, 32),
        proptest::collection::vec(freg, 32),
        (frm, 0u32..32),
        any::<u64>(),
    )
        .prop_map(|(x, f, (frm, flags), scratch_seed)| {
            let mut xs = [0u64; 32];
            xs[1..].copy_from_slice(&x[1..]);
            Start {
                x: xs,
                f: f.try_into().unwrap(),
                fcsr: frm << 5 | flags,
                scratch_seed,
            }
        })
}

/// How an instruction's offset is fixed once the code is laid out: to the start of the
/// instruction (or the final `ecall`) that the choice picks among those in range.
#[derive(Copy, Clone, Debug)]
enum Fix {
    None,
    /// B-type branch.
    Branch(u16),
    /// `jal`.
    Jal(u16),
    /// `c.beqz`/`c.bnez`.
    CBranch(u16),
    /// `c.j`.
    CJump(u16),
    /// An I-type immediate relative to the `auipc` `back` instructions before.
    FromAuipc {
        choice: u16,
        back: usize,
    },
    /// B-type branch (`c.beqz`/`c.bnez`) to the instruction this many before.
    Back(usize),
    CBack(usize),
    /// B-type branch, `c.beqz`/`c.bnez`, or `jal` to the instruction this many after.
    Ahead(usize),
    CAhead(usize),
    JAhead(usize),
}

/// One instruction: its bits (offset bits clear where a [`Fix`] fills them) and length.
#[derive(Copy, Clone, Debug)]
struct Item {
    bits: u32,
    len: u8,
    fix: Fix,
}

/// The random numbers of one [`Gen`] (xorshift from its bits).
struct Rng(u64);

impl Rng {
    fn new(g: &Gen) -> Rng {
        Rng((g.bits as u64) << 32 | (g.choice as u64) << 8 | g.kind as u64 | 1 << 63)
    }

    fn next(&mut self) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 16) as u32
    }

    /// A value below `n`.
    fn below(&mut self, n: u32) -> u32 {
        self.next() % n
    }

    /// A register other than x0.
    fn reg(&mut self) -> u32 {
        1 + self.below(31)
    }

    /// A choice of target.
    fn choice(&mut self) -> u16 {
        self.next() as u16
    }
}

const LOAD: u32 = 0x03;
const LOAD_FP: u32 = 0x07;
const OP_IMM: u32 = 0x13;
const AUIPC: u32 = 0x17;
const OP_IMM_32: u32 = 0x1b;
const STORE: u32 = 0x23;
const STORE_FP: u32 = 0x27;
const AMO: u32 = 0x2f;
const OP: u32 = 0x33;
const LUI: u32 = 0x37;
const OP_32: u32 = 0x3b;
const BRANCH: u32 = 0x63;
const JALR: u32 = 0x67;
const JAL: u32 = 0x6f;

fn i_type(op: u32, f3: u32, rd: u32, rs1: u32, imm: i32) -> u32 {
    (imm as u32 & 0xfff) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op
}

fn r_type(op: u32, f3: u32, f7: u32, rd: u32, rs1: u32, rs2: u32) -> u32 {
    f7 << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op
}

fn s_type(op: u32, f3: u32, rs1: u32, rs2: u32, imm: i32) -> u32 {
    let imm = imm as u32;
    (imm >> 5 & 0x7f) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | (imm & 0x1f) << 7 | op
}

fn u_type(op: u32, rd: u32, imm20: u32) -> u32 {
    imm20 << 12 | rd << 7 | op
}

fn bit(v: i64, from: u32, to: u32) -> u32 {
    ((v >> from) as u32 & 1) << to
}

fn b_imm(off: i64) -> u32 {
    bit(off, 12, 31)
        | ((off >> 5) as u32 & 0x3f) << 25
        | ((off >> 1) as u32 & 0xf) << 8
        | bit(off, 11, 7)
}

fn j_imm(off: i64) -> u32 {
    bit(off, 20, 31) | ((off >> 1) as u32 & 0x3ff) << 21 | bit(off, 11, 20) | (off as u32 & 0xff000)
}

/// CB format: offset[8|4:3] in 12:10, offset[7:6|2:1|5] in 6:2.
fn cb_imm(off: i64) -> u32 {
    bit(off, 8, 12)
        | bit(off, 4, 11)
        | bit(off, 3, 10)
        | bit(off, 7, 6)
        | bit(off, 6, 5)
        | bit(off, 2, 4)
        | bit(off, 1, 3)
        | bit(off, 5, 2)
}

/// CJ format: offset[11|4|9:8|10|6|7|3:1|5] in 12:2.
fn cj_imm(off: i64) -> u32 {
    bit(off, 11, 12)
        | bit(off, 4, 11)
        | bit(off, 9, 10)
        | bit(off, 8, 9)
        | bit(off, 10, 8)
        | bit(off, 6, 7)
        | bit(off, 7, 6)
        | bit(off, 3, 5)
        | bit(off, 2, 4)
        | bit(off, 1, 3)
        | bit(off, 5, 2)
}

fn word(bits: u32) -> Item {
    Item {
        bits,
        len: 4,
        fix: Fix::None,
    }
}

fn fixed(bits: u32, len: u8, fix: Fix) -> Item {
    Item { bits, len, fix }
}

/// The opcodes of the integer, multiply and atomic extensions.
fn int_opcodes() -> Vec<Opcode> {
    Opcode::ALL
        .iter()
        .copied()
        .filter(|o| matches!(o.info().ext, isa_a::Ext::I | isa_a::Ext::M | isa_a::Ext::A))
        .collect()
}

/// The CSRs a Linux program may touch, `time` left out: it reads the host's clock, which
/// moves between the two runs.
const CSRS: [u32; 5] = [csr::FFLAGS, csr::FRM, csr::FCSR, csr::CYCLE, csr::INSTRET];

/// One row of the table with random operands (rounding mode, CSR and targets chosen as the
/// module docs say).
fn single(r: &mut Rng, any_row: bool, int: &[Opcode], out: &mut Vec<Item>) {
    let op = if any_row {
        Opcode::ALL[r.below(Opcode::ALL.len() as u32) as usize]
    } else {
        int[r.below(int.len() as u32) as usize]
    };
    let info = op.info();
    let mut w = info.bits | (r.next() & !info.mask);
    let rm_field = matches!(
        info.format,
        FormatKind::R4 | FormatKind::FRrm | FormatKind::F1rm | FormatKind::FToX | FormatKind::XToF
    ) && info.mask & 0x7000 == 0;
    if rm_field {
        let rm = match r.below(20) {
            0..=14 => 7,
            15..=18 => r.below(4),
            _ => r.below(8),
        };
        w = w & !0x7000 | rm << 12;
    }
    if matches!(info.format, FormatKind::Csr | FormatKind::CsrI) {
        let csr = match r.below(10) {
            // Any number, mostly illegal; never `time` (see CSRS).
            0 => match r.below(4096) {
                csr::TIME => csr::CYCLE,
                n => n,
            },
            _ => CSRS[r.below(CSRS.len() as u32) as usize],
        };
        w = w & 0x000f_ffff | csr << 20;
        // Writes mostly leave a rounding mode the host has, which keeps the code translated.
        if info.format == FormatKind::Csr && r.below(4) != 0 {
            w &= !(31 << 15); // from x0: a read, or a write of zero
        }
        if info.format == FormatKind::CsrI && csr == isa_a::csr::FRM && r.below(8) != 0 {
            w = w & !(31 << 15) | r.below(4) << 15;
        }
    }
    if decode32(w).is_none() {
        return;
    }
    match w & 0x7f {
        BRANCH => out.push(fixed(w & 0x01ff_f07f, 4, Fix::Branch(r.choice()))),
        JAL => out.push(fixed(w & 0xfff, 4, Fix::Jal(r.choice()))),
        JALR => {
            // A base register from `auipc`: the target is an instruction of the sequence.
            let base = (w >> 15 & 31).max(1);
            out.push(word(u_type(AUIPC, base, 0)));
            let jalr = w & 0x000f_ffff & !(31 << 15) | base << 15;
            out.push(fixed(
                jalr,
                4,
                Fix::FromAuipc {
                    choice: r.choice(),
                    back: 1,
                },
            ));
        }
        LOAD | LOAD_FP | STORE | STORE_FP | AMO if r.below(3) != 0 => {
            // Mostly a base register just pointed into the scratch region by `lui` (page
            // aligned, as atomics need); else whatever the register holds.
            let base = (w >> 15 & 31).max(1);
            out.push(word(u_type(LUI, base, 5 + r.below(7))));
            out.push(word(w));
        }
        _ => out.push(word(w)),
    }
}

/// A random compressed instruction; `c.j`, `c.beqz`/`c.bnez` to instructions of the sequence,
/// `c.jr`/`c.jalr` after an `auipc`+`addi` that points their register at one.
fn compressed(r: &mut Rng, out: &mut Vec<Item>) {
    let h = r.next() & 0xffff;
    if !matches!(decode(h), Ok(d) if d.len == 2) {
        return;
    }
    let (quadrant, f3) = (h & 3, h >> 13);
    match (quadrant, f3) {
        (1, 5) => out.push(fixed(h & !0x1ffc, 2, Fix::CJump(r.choice()))),
        (1, 6 | 7) => out.push(fixed(h & !0x1c7c, 2, Fix::CBranch(r.choice()))),
        (2, 4) if h >> 2 & 31 == 0 && h >> 7 & 31 != 0 => {
            let rs1 = h >> 7 & 31;
            out.push(word(u_type(AUIPC, rs1, 0)));
            out.push(fixed(
                i_type(OP_IMM, 0, rs1, rs1, 0),
                4,
                Fix::FromAuipc {
                    choice: r.choice(),
                    back: 1,
                },
            ));
            out.push(fixed(h, 2, Fix::None));
        }
        _ => out.push(fixed(h, 2, Fix::None)),
    }
}

/// `lui rd, hi` then `addi`/`addiw` on it: a 32-bit constant.
fn lui_pair(r: &mut Rng, out: &mut Vec<Item>) {
    let rd = r.reg();
    let to = if r.below(5) == 0 { r.reg() } else { rd };
    let op = if r.below(2) == 0 { OP_IMM } else { OP_IMM_32 };
    out.push(word(u_type(LUI, rd, r.below(1 << 20))));
    out.push(word(i_type(op, 0, to, rd, r.next() as i32 >> 20)));
}

/// `auipc` then an `addi`, a load from the code, a `jalr` into it, or a store near it (which
/// faults on the code, or lands wherever the offset reaches).
fn auipc_pair(r: &mut Rng, out: &mut Vec<Item>) {
    let rd = r.reg();
    let to = if r.below(3) == 0 { r.reg() } else { rd };
    match r.below(4) {
        3 => {
            // sb sh sw sd
            out.push(word(u_type(AUIPC, rd, 0)));
            let src = if r.below(4) == 0 { rd } else { r.reg() };
            out.push(word(s_type(
                STORE,
                r.below(4),
                rd,
                src,
                r.next() as i32 >> 20,
            )));
        }
        0 => {
            let hi = if r.below(2) == 0 { 0 } else { r.below(1 << 20) };
            out.push(word(u_type(AUIPC, rd, hi)));
            out.push(word(i_type(OP_IMM, 0, to, rd, r.next() as i32 >> 20)));
        }
        1 => {
            // lb lh lw ld lbu lhu lwu
            let f3 = [0, 1, 2, 3, 4, 5, 6][r.below(7) as usize];
            out.push(word(u_type(AUIPC, rd, 0)));
            let fix = Fix::FromAuipc {
                choice: r.choice(),
                back: 1,
            };
            out.push(fixed(i_type(LOAD, f3, to, rd, 0), 4, fix));
        }
        _ => {
            out.push(word(u_type(AUIPC, rd, 0)));
            let fix = Fix::FromAuipc {
                choice: r.choice(),
                back: 1,
            };
            out.push(fixed(i_type(JALR, 0, to, rd, 0), 4, fix));
        }
    }
}

/// A load or store (integer or FP) of `rd` at `imm(base)`, aligned to its size 7 times in 8.
fn access(r: &mut Rng, base: u32, rd: u32, imm: i32, out: &mut Vec<Item>) {
    let (op, f3) = match r.below(6) {
        0..=1 => (LOAD, r.below(7)),
        2..=3 => (STORE, r.below(4)),
        4 => (LOAD_FP, 2 + r.below(2)),
        _ => (STORE_FP, 2 + r.below(2)),
    };
    let size = 1 << (f3 & 3);
    let imm = if r.below(8) == 0 {
        imm
    } else {
        imm & !(size - 1)
    };
    out.push(word(match op {
        LOAD | LOAD_FP => i_type(op, f3, rd, base, imm),
        _ => s_type(op, f3, base, rd, imm),
    }));
}

/// Address arithmetic: an index scaled by `slli` and added to a base, then an access at an
/// offset from it. Mostly the base is made by `lui` in the middle of the scratch region and the
/// index masked, so the access lands there; otherwise any base register is used.
fn address(r: &mut Rng, out: &mut Vec<Item>) {
    let (idx, t, u, rd) = (r.reg(), r.reg(), r.reg(), r.reg());
    let shift = r.below(4) as i32;
    let imm = r.next() as i32 >> 20;
    if t == u || r.below(4) == 0 {
        out.push(word(i_type(OP_IMM, 1, u, idx, shift)));
        out.push(word(r_type(OP, 0, 0, u, t, u)));
    } else {
        out.push(word(i_type(OP_IMM, 7, u, idx, 0xff)));
        out.push(word(i_type(OP_IMM, 1, u, u, shift)));
        out.push(word(u_type(LUI, t, 6)));
        let (a, b) = if r.below(2) == 0 { (t, u) } else { (u, t) };
        out.push(word(r_type(OP, 0, 0, u, a, b)));
    }
    access(r, u, rd, imm, out);
}

/// `slli`+`srli` (zero-extension when by 32) or `slli`+`srai`.
fn shift_pair(r: &mut Rng, out: &mut Vec<Item>) {
    let (rd, rs) = (r.reg(), r.reg());
    let sh = if r.below(4) == 0 { r.below(64) } else { 32 };
    let right = if r.below(4) == 0 { 0x400 } else { 0 }; // srai
    out.push(word(i_type(OP_IMM, 1, rd, rs, sh as i32)));
    out.push(word(i_type(OP_IMM, 5, rd, rd, sh as i32 | right)));
}

/// A value made sign-extended (or not), something between, then a use that sign-extends it
/// again: `sext.w` (to itself or another register), `addw rd, x0, rs`, `sraiw`, or
/// `slli`+`srai` by 32 — lowered without the extension where the translator knows the value
/// already is one. Between: nothing, a write of another register or a store (the fact kept),
/// a 64-bit operation on it or a load of another width into it (killed), a helper call
/// (`fcvt.wu.d`, into it or another register), or a superblock's next part (`j` or a branch
/// not taken to the next instruction).
fn extension(r: &mut Rng, out: &mut Vec<Item>) {
    if r.below(4) == 0 {
        return extension_loop(r, out);
    }
    let (rd, other) = (r.reg(), r.reg());
    let base = |r: &mut Rng, out: &mut Vec<Item>| {
        let b = (1 + r.below(31)).max(1);
        let b = if b == rd { 1 + b % 31 } else { b };
        out.push(word(u_type(LUI, b, 5 + r.below(7))));
        b
    };
    let make = |r: &mut Rng, out: &mut Vec<Item>, rd: u32| {
        let (x, y) = (r.below(32), r.below(32));
        let imm = r.next() as i32 >> 20;
        match r.below(16) {
            0 => {
                // lb lh lw lbu lhu
                let f3 = [0, 1, 2, 4, 5][r.below(5) as usize];
                let b = base(r, out);
                let off = (r.below(256) << (f3 & 3)) as i32;
                out.push(word(i_type(LOAD, f3, rd, b, off)));
            }
            // addw subw mulw sllw
            1 => out.push(word(r_type(OP_32, 0, 0, rd, x, y))),
            2 => out.push(word(r_type(OP_32, 0, 0x20, rd, x, y))),
            3 => out.push(word(r_type(OP_32, 0, 1, rd, x, y))),
            4 => out.push(word(r_type(OP_32, 1, 0, rd, x, y))),
            // addiw, slliw/srliw/sraiw
            5 => out.push(word(i_type(OP_IMM_32, 0, rd, x, imm))),
            6 => {
                let (f3, arith) = [(1, 0), (5, 0), (5, 0x400)][r.below(3) as usize];
                out.push(word(i_type(
                    OP_IMM_32,
                    f3,
                    rd,
                    x,
                    r.below(32) as i32 | arith,
                )));
            }
            // li, lui
            7 => out.push(word(i_type(OP_IMM, 0, rd, 0, imm))),
            8 => out.push(word(u_type(LUI, rd, r.below(1 << 20)))),
            // slt sltu slti sltiu
            9 => out.push(word(r_type(OP, 2 + r.below(2), 0, rd, x, y))),
            10 => out.push(word(i_type(OP_IMM, 2 + r.below(2), rd, x, imm))),
            // andi, ori, xori on anything
            11 => out.push(word(i_type(
                OP_IMM,
                [7, 6, 4][r.below(3) as usize],
                rd,
                x,
                imm,
            ))),
            // srai, srli: mostly by the amounts where the fact starts (32, 33) and one less
            12 => {
                let sh = [31, 32, 33, 28 + r.below(36)][r.below(4) as usize];
                let arith = r.below(2) << 10;
                out.push(word(i_type(OP_IMM, 5, rd, x, (sh | arith) as i32)));
            }
            // and/or/xor (after x and y were made extended, mostly)
            13 => out.push(word(r_type(
                OP,
                [7, 6, 4][r.below(3) as usize],
                0,
                rd,
                x,
                y,
            ))),
            // mv
            14 => out.push(word(i_type(OP_IMM, 0, rd, x, 0))),
            // Nothing made: whatever rd holds.
            _ => {}
        }
    };
    if r.below(3) == 0 {
        // Two operands made first, so and/or/xor of them is known.
        let (x, y) = (r.reg(), r.reg());
        make(r, out, x);
        make(r, out, y);
        out.push(word(r_type(
            OP,
            [7, 6, 4][r.below(3) as usize],
            0,
            rd,
            x,
            y,
        )));
    } else {
        make(r, out, rd);
    }
    match r.below(10) {
        // Kept: another register written, a store of it.
        0 => out.push(word(r_type(OP, 0, 0, other, rd, rd))),
        1 => {
            let b = base(r, out);
            out.push(word(s_type(STORE, 3, b, rd, (r.below(256) << 3) as i32)));
        }
        // Killed: a 64-bit operation on it (add, slli, srli, neg), a load of another width.
        2 => out.push(word(match r.below(4) {
            0 => r_type(OP, 0, 0, rd, rd, rd),
            1 => i_type(OP_IMM, 1, rd, rd, 1 + r.below(40) as i32),
            2 => i_type(OP_IMM, 5, rd, rd, 1 + r.below(40) as i32),
            _ => r_type(OP, 0, 0x20, rd, 0, rd),
        })),
        3 => {
            // ld lwu
            let f3 = [3, 6][r.below(2) as usize];
            let b = base(r, out);
            out.push(word(i_type(LOAD, f3, rd, b, (r.below(256) << 3) as i32)));
        }
        // fcvt.wu.d into it or another register, dyn: through the helper.
        4 => {
            let to = if r.below(2) == 0 { rd } else { other };
            out.push(word(
                0x61 << 25 | 1 << 20 | r.below(32) << 15 | 7 << 12 | to << 7 | 0x53,
            ));
        }
        // The next part of a superblock: j to the next instruction, or a branch to it.
        5 => out.push(word(j_imm(4) | JAL)),
        6 => out.push(word(
            r_type(BRANCH, 1, 0, 0, r.below(32), r.below(32)) | b_imm(4),
        )),
        _ => {}
    }
    let to = if r.below(3) == 0 { other } else { rd };
    match r.below(6) {
        // sraiw
        0 => out.push(word(i_type(
            OP_IMM_32,
            5,
            to,
            rd,
            0x400 | r.below(32) as i32,
        ))),
        // slli+srai by 32
        1 => {
            out.push(word(i_type(OP_IMM, 1, to, rd, 32)));
            out.push(word(i_type(OP_IMM, 5, to, to, 0x400 | 32)));
        }
        // addw to, x0, rd
        2 => out.push(word(r_type(OP_32, 0, 0, to, 0, rd))),
        // sext.w
        _ => out.push(word(i_type(OP_IMM_32, 0, to, rd, 0))),
    }
}

/// Chains of `*w` operations on three or four registers as hash and cipher rounds make them
/// (lower/lazy.rs leaves out the `movsxd` of a result whose upper half nothing observes):
/// `*w` operations, `xor`/`or`/`and` and their immediate forms, moves, 32-bit rotates
/// (`srliw`+`slliw`+`or`) and `sext.w` of their results, read in between by what needs all
/// 64 bits (sign-dependent `sra`, `slt`, `div`, `srli` by 32, a branch, `sd`), by stores of
/// every width, a helper call, a load that faults, the next part of a superblock, and
/// overwritten by `li`, `lui` and loads, some across region boundaries. Half of them run
/// in a loop beside 11 to 14 hot
/// registers that take every host register, so the chain's registers live in their slots
/// (the `*w` operations computed there at 32 bits, lower/slots.rs).
fn lazy_chain(r: &mut Rng, out: &mut Vec<Item>) {
    let mut p: Vec<u32> = (1..32).collect();
    for i in (1..p.len()).rev() {
        p.swap(i, r.below(i as u32 + 1) as usize);
    }
    let n = 3 + r.below(2) as usize;
    let regs = p[..n].to_vec();
    let base = p[n];
    let looped = r.below(2) == 0;
    let c = p[n + 1];
    let hot = p[n + 2..n + 2 + 11 + r.below(4) as usize].to_vec();
    out.push(word(u_type(LUI, base, 5 + r.below(7))));
    if looped {
        out.push(word(i_type(OP_IMM, 0, c, 0, 1 + r.below(3) as i32)));
    }
    let loop_start = out.len();
    let rounds = if looped { 3 } else { 1 };
    for _ in 0..rounds {
        if looped {
            let k = hot.len();
            for i in 0..k {
                let f3 = [0, 4, 6][r.below(3) as usize];
                out.push(word(r_type(OP, f3, 0, hot[i], hot[i], hot[(i + 1) % k])));
            }
        }
        // Long enough, some, for several allocation regions (lower/regions.rs).
        let steps = if looped {
            2 + r.below(5)
        } else {
            4 + r.below(32)
        };
        for _ in 0..steps {
            lazy_step(r, &regs, base, out);
        }
    }
    if looped {
        out.push(word(i_type(OP_IMM, 0, c, c, -1)));
        let back = out.len() - loop_start;
        out.push(fixed(r_type(BRANCH, 1, 0, 0, c, 0), 4, Fix::Back(back)));
    }
    if r.below(2) == 0 {
        // A sign-dependent reader right after the chain.
        let a = regs[r.below(n as u32) as usize];
        full_reader(r, p[n + 1], a, regs[0], base, out);
    }
}

/// One step of [`lazy_chain`] on `regs`, `base` holding a scratch address.
fn lazy_step(r: &mut Rng, regs: &[u32], base: u32, out: &mut Vec<Item>) {
    let pick = |r: &mut Rng| regs[r.below(regs.len() as u32) as usize];
    let (d, a, b) = (pick(r), pick(r), pick(r));
    let imm = r.next() as i32 >> 20;
    let sh = r.below(32) as i32;
    match r.below(40) {
        // addw subw mulw sllw srlw sraw
        0..=11 => {
            let (f3, f7) = [(0, 0), (0, 0x20), (0, 1), (1, 0), (5, 0), (5, 0x20)]
                [[0, 0, 0, 1, 2, 3, 4, 5][r.below(8) as usize]];
            out.push(word(r_type(OP_32, f3, f7, d, a, b)));
        }
        // addiw (by 0: sext.w), slliw, srliw (by 0 too)
        12..=15 => out.push(word(match r.below(4) {
            0 => i_type(OP_IMM_32, 0, d, a, imm),
            1 => i_type(OP_IMM_32, 0, d, a, 0),
            2 => i_type(OP_IMM_32, 1, d, a, sh),
            _ => i_type(OP_IMM_32, 5, d, a, sh),
        })),
        // xor or and, xori ori andi, mv, c.mv-like add d, x0, a
        16..=22 => out.push(word(match r.below(8) {
            0 | 1 => r_type(OP, 4, 0, d, a, b),
            2 => r_type(OP, 6, 0, d, a, b),
            3 => r_type(OP, 7, 0, d, a, b),
            4 => i_type(OP_IMM, [4, 6, 7][r.below(3) as usize], d, a, imm),
            5 => i_type(OP_IMM, 0, d, a, 0),
            6 => r_type(OP, 0, 0, d, 0, a),
            _ => r_type(OP, 0, 0, d, a, 0),
        })),
        // sext.w / addw d, x0, a / sraiw
        23..=24 => out.push(word(match r.below(3) {
            0 => i_type(OP_IMM_32, 0, d, a, 0),
            1 => r_type(OP_32, 0, 0, d, 0, a),
            _ => i_type(OP_IMM_32, 5, d, a, 0x400 | sh),
        })),
        // A 32-bit rotate of a into d through two of the chain's registers (or near one).
        25..=28 => {
            let n = 1 + r.below(31);
            let (t, u) = (pick(r), pick(r));
            let m = if r.below(8) == 0 { r.below(32) } else { 32 - n };
            let pair = [
                word(i_type(OP_IMM_32, 5, t, a, n as i32)),
                word(i_type(OP_IMM_32, 1, u, a, m as i32)),
            ];
            let flip = r.below(2) as usize;
            out.push(pair[flip]);
            out.push(pair[1 - flip]);
            let d = if r.below(2) == 0 { t } else { d };
            out.push(word(r_type(OP, 6, 0, d, t, u)));
        }
        29..=31 => full_reader(r, d, a, b, base, out),
        // Stores of every width.
        32..=33 => {
            let f3 = r.below(4);
            out.push(word(s_type(STORE, f3, base, a, (r.below(256) << 3) as i32)));
        }
        // fcvt.wu.d into d, dyn: through the helper.
        34 => out.push(word(
            0x61 << 25 | 1 << 20 | r.below(32) << 15 | 7 << 12 | d << 7 | 0x53,
        )),
        // li, lui, lw
        35 => out.push(word(i_type(OP_IMM, 0, d, 0, imm))),
        36 => out.push(word(u_type(LUI, d, r.below(1 << 20)))),
        37 => out.push(word(i_type(LOAD, 2, d, base, (r.below(256) << 3) as i32))),
        // The next part of a superblock.
        38 => out.push(word(j_imm(4) | JAL)),
        // A load that faults (from the page past memory), into the chain or not.
        _ if r.below(4) == 0 => {
            let t = if r.below(2) == 0 { d } else { base };
            out.push(word(u_type(LUI, base, (MEM >> 12) as u32)));
            out.push(word(i_type(LOAD, 3, t, base, 0)));
        }
        _ => out.push(word(r_type(BRANCH, 1, 0, 0, a, b) | b_imm(4))),
    }
}

/// An instruction that reads all 64 bits of `a` (`b` too), sign-dependent where it can be:
/// `sra`, `srai`, `slt`, `sltu`, `div`, `srli` by 32, `add`, a branch, `sd`; into `d`.
fn full_reader(r: &mut Rng, d: u32, a: u32, b: u32, base: u32, out: &mut Vec<Item>) {
    out.push(word(match r.below(9) {
        0 => r_type(OP, 5, 0x20, d, a, b),
        1 => i_type(OP_IMM, 5, d, a, 0x400 | (31 + r.below(2)) as i32),
        2 => r_type(OP, 2, 0, d, a, b),
        3 => r_type(OP, 3, 0, d, b, a),
        4 => r_type(OP, 4, 1, d, a, b),
        5 => i_type(OP_IMM, 5, d, a, 32),
        6 => r_type(OP, 0, 0, d, a, b),
        7 => r_type(BRANCH, 4, 0, 0, a, 0) | b_imm(4),
        _ => s_type(STORE, 3, base, a, (r.below(256) << 3) as i32),
    }));
}

/// A loop that sign-extends a value its body makes, before making it: `li c, n`, then
/// `sext.w`/`sraiw` of `v` (into `v` or another register), `v` made (`addw`, `lw`, `addiw`:
/// extended; `add`, `ld`: not), sometimes overwritten by a 64-bit `slli` after, then
/// `addi c, c, -1; bnez c` back. Its first iteration finds `v` as the case started (any
/// value); the later ones find what the body made (lower::extension::loop_facts).
fn extension_loop(r: &mut Rng, out: &mut Vec<Item>) {
    let c = r.reg();
    let others: Vec<u32> = (1..32).filter(|&x| x != c).collect();
    let pick = |r: &mut Rng| others[r.below(others.len() as u32) as usize];
    let (v, to, x, b) = (pick(r), pick(r), pick(r), pick(r));
    let to = if r.below(2) == 0 { v } else { to };
    out.push(word(i_type(OP_IMM, 0, c, 0, 1 + r.below(4) as i32)));
    let start = out.len();
    out.push(word(match r.below(3) {
        0 => i_type(OP_IMM_32, 5, to, v, 0x400 | r.below(32) as i32),
        _ => i_type(OP_IMM_32, 0, to, v, 0),
    }));
    // Mostly extended, else a 64-bit value.
    match r.below(6) {
        0 => out.push(word(r_type(OP, 0, 0, v, v, x))),
        1 | 2 => {
            if b != v && b != c && b != to {
                out.push(word(u_type(LUI, b, 5 + r.below(7))));
                let f3 = [2, 2, 3][r.below(3) as usize];
                out.push(word(i_type(LOAD, f3, v, b, (r.below(256) << 3) as i32)));
            } else {
                out.push(word(r_type(OP_32, 0, 0, v, v, x)));
            }
        }
        3 => out.push(word(i_type(OP_IMM_32, 0, v, x, r.next() as i32 >> 20))),
        _ => out.push(word(r_type(OP_32, 0, 0, v, v, x))),
    }
    if r.below(5) == 0 {
        out.push(word(i_type(OP_IMM, 1, v, v, 1 + r.below(40) as i32)));
    }
    out.push(word(i_type(OP_IMM, 0, c, c, -1)));
    let back = out.len() - start;
    out.push(fixed(r_type(BRANCH, 1, 0, 0, c, 0), 4, Fix::Back(back)));
}

/// `slt`/`sltu`/`slti`/`sltiu` then a branch on the result against zero.
fn compare_branch(r: &mut Rng, out: &mut Vec<Item>) {
    let compressed = r.below(3) == 0;
    let rd = if compressed { 8 + r.below(8) } else { r.reg() };
    let (a, b) = (r.below(32), r.below(32));
    out.push(word(match r.below(4) {
        0 => r_type(OP, 2, 0, rd, a, b),
        1 => r_type(OP, 3, 0, rd, a, b),
        2 => i_type(OP_IMM, 2, rd, a, r.next() as i32 >> 20),
        _ => i_type(OP_IMM, 3, rd, a, r.next() as i32 >> 20),
    }));
    let ne = r.below(2);
    if compressed {
        let h = (6 + ne) << 13 | (rd - 8) << 7 | 1;
        out.push(fixed(h, 2, Fix::CBranch(r.choice())));
    } else {
        let (x, y) = if r.below(2) == 0 { (rd, 0) } else { (0, rd) };
        let w = r_type(BRANCH, ne, 0, 0, x, y);
        out.push(fixed(w, 4, Fix::Branch(r.choice())));
    }
}

/// An operation then a branch comparing its result with zero (lower/flags.rs: the branch may
/// take the operation's flags): `and`/`or`/`xor` (every condition), additions, subtractions
/// and shifts (equality only), 64-bit and 32-bit, in place or not, and every branch with x0
/// on either side; sometimes something between the two: a shift or `lui` of another
/// register, a store, or a move into the tested register (its flags no longer hold).
fn zero_branch(r: &mut Rng, out: &mut Vec<Item>) {
    let d = r.reg();
    let a = if r.below(2) == 0 { d } else { r.below(32) };
    let b = r.below(32);
    let imm = match r.below(3) {
        0 => -1,
        1 => r.next() as i32 >> 28,
        _ => r.next() as i32 >> 20,
    };
    out.push(word(match r.below(14) {
        0 => r_type(OP, 7, 0, d, a, b),
        1 => r_type(OP, 6, 0, d, a, b),
        2 => r_type(OP, 4, 0, d, a, b),
        3 => i_type(OP_IMM, 7, d, a, imm),
        4 => i_type(OP_IMM, 6, d, a, imm),
        5 => i_type(OP_IMM, 4, d, a, imm),
        6 => r_type(OP, 0, 0, d, a, b),
        7 => r_type(OP, 0, 0x20, d, a, b),
        8 => r_type(OP_32, 0, [0, 0x20][r.below(2) as usize], d, a, b),
        9 | 10 => i_type(OP_IMM, 0, d, a, imm),
        11 => i_type(OP_IMM_32, 0, d, a, imm),
        12 => {
            let (f3, sra) = [(1, 0), (5, 0), (5, 0x400)][r.below(3) as usize];
            i_type(OP_IMM, f3, d, a, sra | r.below(64) as i32)
        }
        _ => i_type(OP_IMM_32, 5, d, a, r.below(32) as i32),
    }));
    let other = if d == 31 { 30 } else { d + 1 };
    match r.below(8) {
        0 => out.push(word(i_type(OP_IMM, 1, other, other, 1 + r.below(8) as i32))),
        1 => out.push(word(u_type(LUI, other, r.below(1 << 20)))),
        2 => out.push(word(i_type(OP_IMM, 0, d, r.below(32), 0))),
        3 => {
            out.push(word(u_type(LUI, other, 5 + r.below(7))));
            out.push(word(s_type(STORE, 3, other, d, (r.below(256) << 3) as i32)));
        }
        _ => {}
    }
    let f3 = [0, 1, 4, 5, 6, 7][r.below(6) as usize];
    let (x, y) = if r.below(3) == 0 { (0, d) } else { (d, 0) };
    out.push(fixed(
        r_type(BRANCH, f3, 0, 0, x, y),
        4,
        Fix::Branch(r.choice()),
    ));
}

/// Every register 1..=31 read and written, in a random order: `op x[p_i], x[p_i], x[p_i+1]`.
fn pressure(r: &mut Rng, out: &mut Vec<Item>) {
    let mut p: Vec<u32> = (1..32).collect();
    for i in (1..p.len()).rev() {
        p.swap(i, r.below(i as u32 + 1) as usize);
    }
    // add sub xor or and addw mul
    const OPS: [(u32, u32, u32); 7] = [
        (OP, 0, 0),
        (OP, 0, 0x20),
        (OP, 4, 0),
        (OP, 6, 0),
        (OP, 7, 0),
        (OP_32, 0, 0),
        (OP, 0, 1),
    ];
    for i in 0..31 {
        let (op, f3, f7) = OPS[r.below(OPS.len() as u32) as usize];
        out.push(word(r_type(op, f3, f7, p[i], p[i], p[(i + 1) % 31])));
    }
}

/// A loop under register pressure: `li c, n`, then a body that chains up to 20 registers
/// (each read and written several times an iteration, so the block gives them every host
/// register it can free: rsi, r14, mapped ones), with an access (that may fault), a helper call
/// or a dead write between rounds, then `addi c, c, -1; bnez c` back to the body's start.
fn pressure_loop(r: &mut Rng, out: &mut Vec<Item>) {
    let c = r.reg();
    out.push(word(i_type(OP_IMM, 0, c, 0, 1 + r.below(6) as i32)));
    let start = out.len();
    let mut p: Vec<u32> = (1..32).filter(|&x| x != c).collect();
    for i in (1..p.len()).rev() {
        p.swap(i, r.below(i as u32 + 1) as usize);
    }
    let k = 8 + r.below(13) as usize;
    let p = &p[..k];
    // add xor or and addw mul sub
    const OPS: [(u32, u32, u32); 7] = [
        (OP, 0, 0),
        (OP, 4, 0),
        (OP, 6, 0),
        (OP, 7, 0),
        (OP_32, 0, 0),
        (OP, 0, 1),
        (OP, 0, 0x20),
    ];
    for _ in 0..2 {
        for i in 0..k {
            let (op, f3, f7) = OPS[r.below(OPS.len() as u32) as usize];
            out.push(word(r_type(op, f3, f7, p[i], p[i], p[(i + 1) % k])));
        }
        let (a, b) = (p[r.below(k as u32) as usize], p[r.below(k as u32) as usize]);
        match r.below(4) {
            0 => {
                // Mostly into the scratch region; else page 0 (a host fault) or past the end
                // of memory (the helper's fault), in a block that holds registers in r14, rsi.
                let page = match r.below(8) {
                    0 => 0,
                    1 => (MEM >> 12) as u32,
                    _ => 5 + r.below(7),
                };
                out.push(word(u_type(LUI, a, page)));
                let imm = r.next() as i32 >> 20;
                access(r, a, b, imm, out);
            }
            // fcvt.wu.d b, f?, dyn: through the helper.
            1 => out.push(word(
                0x61 << 25 | 1 << 20 | r.below(32) << 15 | 7 << 12 | b << 7 | 0x53,
            )),
            // A write of a overwritten before anything reads it.
            2 => {
                out.push(word(i_type(OP_IMM, 0, a, b, r.next() as i32 >> 20)));
                out.push(word(u_type(LUI, a, r.below(1 << 20))));
            }
            _ => {}
        }
    }
    out.push(word(i_type(OP_IMM, 0, c, c, -1)));
    let back = out.len() - start;
    out.push(fixed(r_type(BRANCH, 1, 0, 0, c, 0), 4, Fix::Back(back)));
}

/// A loop with more live registers than host registers (lower/slots.rs): 11 to 14 hot
/// registers chained three times an iteration take every host register (r14 too), and up to
/// six cold ones, left in their slots, are moved to and from, operated on in place (`addi`,
/// `andi`/`ori`/`xori`, `add`/`sub`/`and`/`or`/`xor` with a hot, cold or the same register,
/// shifts, compressed `c.mv`/`c.add`/`c.addi`/`c.slli`), sign-extended (`sext.w`, `addw rd,
/// zero, rs`), compared (`slt`, forward branches over the next instruction); the counter is
/// cold too, and the back edge compares it with zero or with a cold register holding 0.
fn slots_loop(r: &mut Rng, out: &mut Vec<Item>) {
    let mut p: Vec<u32> = (1..32).collect();
    for i in (1..p.len()).rev() {
        p.swap(i, r.below(i as u32 + 1) as usize);
    }
    let (c, z) = (p[0], p[1]);
    let k = 11 + r.below(4) as usize;
    let hot = p[2..2 + k].to_vec();
    let cold = p[2 + k..2 + k + 2 + r.below(5) as usize].to_vec();
    out.push(word(i_type(OP_IMM, 0, z, 0, 0)));
    out.push(word(i_type(OP_IMM, 0, c, 0, 1 + r.below(4) as i32)));
    let start = out.len();
    for round in 0..3 {
        for i in 0..k {
            let f3 = [0, 4, 6][r.below(3) as usize];
            out.push(word(r_type(OP, f3, 0, hot[i], hot[i], hot[(i + 1) % k])));
        }
        for _ in 0..2 + r.below(4) + round {
            let d = cold[r.below(cold.len() as u32) as usize];
            // A source: hot, cold (d itself too), x0, the counter or z.
            let src = match r.below(8) {
                0..=2 => hot[r.below(k as u32) as usize],
                3..=5 => cold[r.below(cold.len() as u32) as usize],
                6 => 0,
                _ => [c, z][r.below(2) as usize],
            };
            slot_op(r, d, src, out);
        }
    }
    out.push(word(i_type(OP_IMM, 0, c, c, -1)));
    let back = out.len() - start;
    // bne c, zero / bne c, z / blt z, c
    let w = match r.below(3) {
        0 => r_type(BRANCH, 1, 0, 0, c, 0),
        1 => r_type(BRANCH, 1, 0, 0, c, z),
        _ => r_type(BRANCH, 4, 0, 0, z, c),
    };
    out.push(fixed(w, 4, Fix::Back(back)));
}

/// One instruction of [`slots_loop`] writing `d` (or a branch over the next one) from `s`.
fn slot_op(r: &mut Rng, d: u32, s: u32, out: &mut Vec<Item>) {
    let imm = match r.below(4) {
        0 => 0,
        1 => -1,
        _ => r.next() as i32 >> 20,
    };
    let shamt = r.below(64);
    let nz6 = 1 + r.below(63);
    let shamt_nz = shamt.max(1);
    match r.below(16) {
        // mv: addi d, s, 0 / add d, zero, s / c.mv
        0 => out.push(word(i_type(OP_IMM, 0, d, s, 0))),
        1 => out.push(word(r_type(OP, 0, 0, d, 0, s))),
        2 if s != 0 => out.push(fixed(0x8002 | d << 7 | s << 2, 2, Fix::None)),
        // addi/xori/ori/andi d, d, imm; c.addi
        3 => {
            let f3 = [0, 4, 6, 7][r.below(4) as usize];
            out.push(word(i_type(OP_IMM, f3, d, d, imm)))
        }
        4 => out.push(fixed(
            1 | d << 7 | (nz6 & 31) << 2 | (nz6 >> 5) << 12,
            2,
            Fix::None,
        )),
        // add/sub/xor/or/and d, d, s; c.add; the commuted op d, s, d
        5 | 6 => {
            let (f3, f7) = [(0, 0), (0, 0x20), (4, 0), (6, 0), (7, 0)][r.below(5) as usize];
            out.push(word(r_type(OP, f3, f7, d, d, s)))
        }
        7 if s != 0 => out.push(fixed(0x9002 | d << 7 | s << 2, 2, Fix::None)),
        8 => {
            let f3 = [0, 4, 6, 7][r.below(4) as usize];
            out.push(word(r_type(OP, f3, 0, d, s, d)))
        }
        // slli/srli/srai d, d, n; c.slli
        9 => {
            let (f3, hi) = [(1, 0), (5, 0), (5, 0x400)][r.below(3) as usize];
            out.push(word(i_type(OP_IMM, f3, d, d, (hi | shamt) as i32)))
        }
        10 => {
            let n = shamt_nz;
            out.push(fixed(
                2 | d << 7 | (n & 31) << 2 | (n >> 5) << 12,
                2,
                Fix::None,
            ))
        }
        // sext.w d, s; sext.w d, d; addw d, zero, s
        11 => out.push(word(i_type(OP_IMM_32, 0, d, s, 0))),
        12 => out.push(word(i_type(OP_IMM_32, 0, d, d, 0))),
        13 => out.push(word(r_type(OP_32, 0, 0, d, 0, s))),
        // slt/sltu d, s, d
        14 => out.push(word(r_type(OP, 2 + r.below(2), 0, d, s, d))),
        // A forward branch over the next op: d against s (or s against d).
        _ => {
            let f3 = [0, 1, 4, 5, 6, 7][r.below(6) as usize];
            let (x, y) = if r.below(2) == 0 { (d, s) } else { (s, d) };
            out.push(fixed(r_type(BRANCH, f3, 0, 0, x, y), 4, Fix::Ahead(2)));
            out.push(word(i_type(OP_IMM, 0, d, d, imm)));
        }
    }
}

/// A block long enough for several allocation regions (lower/regions.rs), as a cipher
/// round is: phases of 8 to 16 instructions, each chaining its own few registers (all 31 in
/// turn, so each region gives its host registers to others and takes back mapped ones), with
/// a read of a register from another phase (live across a boundary), an access (into the
/// scratch region, or faulting: in any phase, so in later regions too), a helper call or a
/// dead write among them; looped (`addi c,c,-1; bnez c` back to the start: the last region
/// goes back to the first's allocation) two times in three.
fn regions(r: &mut Rng, out: &mut Vec<Item>) {
    let looping = r.below(3) != 0;
    let c = r.reg();
    if looping {
        out.push(word(i_type(OP_IMM, 0, c, 0, 1 + r.below(4) as i32)));
    }
    let start = out.len();
    let mut p: Vec<u32> = (1..32).filter(|&x| !looping || x != c).collect();
    for i in (1..p.len()).rev() {
        p.swap(i, r.below(i as u32 + 1) as usize);
    }
    // add xor or and addw sub sllw srl subw mulw: *w results read by bitwise operations
    // across a boundary too (lower/lazy.rs leaves them unextended through transitions).
    const OPS: [(u32, u32, u32); 10] = [
        (OP, 0, 0),
        (OP, 4, 0),
        (OP, 6, 0),
        (OP, 7, 0),
        (OP_32, 0, 0),
        (OP, 0, 0x20),
        (OP_32, 1, 0),
        (OP, 5, 0),
        (OP_32, 0, 0x20),
        (OP_32, 0, 1),
    ];
    let phases = 3 + r.below(4) as usize;
    let mut next = 0;
    for _ in 0..phases {
        let k = 3 + r.below(4) as usize;
        let regs: Vec<u32> = (0..k).map(|j| p[(next + j) % p.len()]).collect();
        next += k;
        for i in 0..8 + r.below(9) as usize {
            let (op, f3, f7) = OPS[r.below(OPS.len() as u32) as usize];
            let (d, b) = (regs[i % k], regs[r.below(k as u32) as usize]);
            out.push(word(r_type(op, f3, f7, d, d, b)));
        }
        let (a, b) = (regs[0], regs[1]);
        match r.below(5) {
            0 => {
                let page = match r.below(6) {
                    0 => 0,
                    _ => 5 + r.below(7),
                };
                out.push(word(u_type(LUI, a, page)));
                let imm = r.next() as i32 >> 20;
                access(r, a, b, imm, out);
            }
            // fcvt.wu.d b, f?, dyn: through the helper.
            1 => out.push(word(
                0x61 << 25 | 1 << 20 | r.below(32) << 15 | 7 << 12 | b << 7 | 0x53,
            )),
            2 => {
                out.push(word(i_type(OP_IMM, 0, a, b, r.next() as i32 >> 20)));
                out.push(word(u_type(LUI, a, r.below(1 << 20))));
            }
            _ => {
                let far = p[r.below(p.len() as u32) as usize];
                out.push(word(r_type(OP, 4, 0, a, a, far)));
            }
        }
    }
    if looping {
        out.push(word(i_type(OP_IMM, 0, c, c, -1)));
        let back = out.len() - start;
        out.push(fixed(r_type(BRANCH, 1, 0, 0, c, 0), 4, Fix::Back(back)));
    }
}

/// A call and its return as compilers lay them out: a call through a link register (ra or
/// t0; `jal`, or `auipc`+`jalr`) to a body that returns through it, then a `j` past the body.
/// The body sometimes moves the link register on: a return to past the `j`, which the
/// return-address stack did not predict.
fn call_return(r: &mut Rng, out: &mut Vec<Item>) {
    let link = if r.below(4) == 0 { 5 } else { 1 };
    if r.below(3) == 0 {
        out.push(word(u_type(AUIPC, link, 0)));
        out.push(word(i_type(JALR, 0, link, link, 12)));
    } else {
        out.push(word(j_imm(8) | link << 7 | JAL));
    }
    out.push(word(j_imm(12) | JAL));
    let body = match r.below(4) {
        0 => i_type(OP_IMM, 0, link, link, 12),
        _ => i_type(OP_IMM, 0, 10, 10, r.below(64) as i32),
    };
    out.push(word(body));
    out.push(word(i_type(JALR, 0, 0, link, 0)));
}

/// A loop whose body holds an if-then or an if-then-else diamond, as compilers lay them
/// out: the forward branch (`beqz`/`bnez`, compressed or not) skips the then-part to a join
/// inside the same superblock; an else-part is jumped over by a `j`. Registers written
/// before the branch are overwritten in the skipped code and read after the join; either
/// side may read `instret`, make an access that may fault, or end in the first of a pair
/// the translator would fuse with the join's first instruction; the join may start with a
/// compressed instruction.
fn diamond_loop(r: &mut Rng, out: &mut Vec<Item>) {
    let mut p: Vec<u32> = (1..32).collect();
    for i in (1..p.len()).rev() {
        p.swap(i, r.below(i as u32 + 1) as usize);
    }
    // A counter, a condition (x8..x15 when the branch is compressed), a value live across
    // the skipped code, and others.
    let compressed = r.below(3) == 0;
    let t = if compressed { 8 + r.below(8) } else { p[0] };
    let p: Vec<u32> = p.into_iter().filter(|&x| x != t).collect();
    let (c, w, a, b) = (p[0], p[1], p[2], p[3]);
    out.push(word(i_type(OP_IMM, 0, c, 0, 1 + r.below(6) as i32)));
    let start = out.len();
    // add xor addw sub on w, a, b
    const OPS: [(u32, u32, u32); 4] = [(OP, 0, 0), (OP, 4, 0), (OP_32, 0, 0), (OP, 0, 0x20)];
    let alu = |r: &mut Rng, rd: u32, x: u32, y: u32| {
        let (op, f3, f7) = OPS[r.below(OPS.len() as u32) as usize];
        word(r_type(op, f3, f7, rd, x, y))
    };
    out.push(alu(r, w, w, a));
    // t = one bit of a (or of the counter): both sides are taken as the loop goes.
    let src = if r.below(2) == 0 { a } else { c };
    out.push(word(i_type(OP_IMM, 7, t, src, 1 << r.below(3))));
    out.push(alu(r, a, a, b));
    let ne = r.below(2);
    let branch = out.len();
    if compressed {
        out.push(fixed((6 + ne) << 13 | (t - 8) << 7 | 1, 2, Fix::CAhead(0)));
    } else {
        out.push(fixed(r_type(BRANCH, ne, 0, 0, t, 0), 4, Fix::Ahead(0)));
    }
    let side = |r: &mut Rng, out: &mut Vec<Item>| {
        out.push(word(i_type(OP_IMM, 0, w, b, r.next() as i32 >> 20)));
        out.push(alu(r, b, b, a));
        match r.below(5) {
            // rdinstret into a
            0 => out.push(word(i_type(0x73, 2, a, 0, isa_a::csr::INSTRET as i32))),
            1 => {
                // Mostly into the scratch region; else page 0 (a host fault).
                let page = if r.below(6) == 0 { 0 } else { 5 + r.below(7) };
                out.push(word(u_type(LUI, b, page)));
                let imm = r.next() as i32 >> 20;
                access(r, b, a, imm, out);
            }
            _ => {}
        }
    };
    side(r, out);
    // The side's last instruction may pair with the join's first (lui+addi, slli+srli).
    let pair = r.below(4);
    match pair {
        0 => out.push(word(u_type(LUI, b, r.below(1 << 20)))),
        1 => out.push(word(i_type(OP_IMM, 1, b, a, 32))),
        _ => {}
    }
    if r.below(3) == 0 {
        // else: `j` over it, the branch to its start.
        let jump = out.len();
        out.push(fixed(j_imm(0) | JAL, 4, Fix::JAhead(0)));
        let els = out.len();
        side(r, out);
        let n = out.len() - jump;
        out[jump].fix = Fix::JAhead(n);
        set_ahead(&mut out[branch], els - branch);
    } else {
        let n = out.len() - branch;
        set_ahead(&mut out[branch], n);
    }
    // The join: its first instruction, then reads of the values live across.
    match pair {
        0 => out.push(word(i_type(OP_IMM, 0, b, b, r.next() as i32 >> 20))),
        1 => out.push(word(i_type(OP_IMM, 5, b, b, 32))),
        _ if r.below(2) == 0 => {
            let imm = 1 + r.below(31);
            out.push(fixed(
                bit(imm as i64, 5, 12) | w << 7 | (imm & 31) << 2 | 1,
                2,
                Fix::None,
            ));
        }
        _ => {}
    }
    out.push(alu(r, a, a, w));
    out.push(alu(r, w, w, b));
    if r.below(4) == 0 {
        out.push(word(i_type(0x73, 2, b, 0, isa_a::csr::INSTRET as i32)));
    }
    out.push(word(i_type(OP_IMM, 0, c, c, -1)));
    let back = out.len() - start;
    out.push(fixed(r_type(BRANCH, 1, 0, 0, c, 0), 4, Fix::Back(back)));
}

/// A loop around a forward branch over a few integer operations, which the translator
/// computes for nothing and picks with conditional moves (lower/select.rs): any of the six
/// conditions (or a compressed `beqz`/`bnez`) on registers whose bits change every
/// iteration, so both ways are taken; up to five skipped operations from the ones a select
/// computes (register and immediate ALU operations, their `*w` forms, shifts, `slli`+`srli`/
/// `srai` extension pairs, `mul`, `lui`, `auipc`) on a few registers, so they read what an
/// earlier one wrote, write a branch operand or x0, or are dead; sometimes one that cannot
/// be computed ahead (a load, a division), or one too many, so the branch stays a jump; then
/// reads of everything written, `rdinstret` one time in four, and a few registers beyond the
/// mapped ones in play (in their slots, or taking rsi and r14); the counter `addi` or
/// `addiw`, closed by `bnez` or `bgez` (down to -1).
fn select_loop(r: &mut Rng, out: &mut Vec<Item>) {
    let mut p: Vec<u32> = (1..32).collect();
    for i in (1..p.len()).rev() {
        p.swap(i, r.below(i as u32 + 1) as usize);
    }
    let compressed = r.below(4) == 0;
    // The branch's operand (x8..x15 when compressed), the counter, the registers the skipped
    // code works on (the branch's other operand among them) and an accumulator.
    let x = if compressed { 8 + r.below(8) } else { p[0] };
    let p: Vec<u32> = p.into_iter().filter(|&q| q != x).collect();
    let c = p[0];
    let pool: Vec<u32> = p[1..6].to_vec();
    let pick = |r: &mut Rng| -> u32 {
        match r.below(8) {
            0 => x,
            1 => 0,
            _ => pool[r.below(pool.len() as u32) as usize],
        }
    };
    let y = pick(r);
    out.push(word(i_type(OP_IMM, 0, c, 0, 2 + r.below(6) as i32)));
    let start = out.len();
    // Stir the operands: bits that change every iteration.
    out.push(word(r_type(OP, 0, 0, x, x, pool[0])));
    out.push(word(i_type(
        OP_IMM,
        5,
        pool[0],
        pool[0],
        0x400 | (1 + r.below(5)) as i32,
    )));
    out.push(word(r_type(OP, 4, 0, pool[1], pool[1], x)));
    let branch = out.len();
    if compressed {
        let ne = r.below(2);
        out.push(fixed((6 + ne) << 13 | (x - 8) << 7 | 1, 2, Fix::CAhead(0)));
    } else {
        let f3 = [0, 1, 4, 5, 6, 7][r.below(6) as usize];
        let (a, b) = if r.below(2) == 0 { (x, y) } else { (y, x) };
        out.push(fixed(r_type(BRANCH, f3, 0, 0, a, b), 4, Fix::Ahead(0)));
    }
    let n = 1 + r.below(5);
    for _ in 0..n {
        let (d, a, b) = (pick(r), pick(r), pick(r));
        let imm = r.next() as i32 >> 20;
        match r.below(20) {
            0 => out.push(word(r_type(OP, 0, 0, d, a, b))),
            1 => out.push(word(r_type(OP, 0, 0x20, d, a, b))),
            2 => out.push(word(r_type(OP, [4, 6, 7][r.below(3) as usize], 0, d, a, b))),
            3 => out.push(word(r_type(
                OP_32,
                0,
                [0, 0x20][r.below(2) as usize],
                d,
                a,
                b,
            ))),
            4 => out.push(word(i_type(OP_IMM, 0, d, a, imm))),
            5 => out.push(word(i_type(
                OP_IMM,
                [4, 6, 7][r.below(3) as usize],
                d,
                a,
                imm,
            ))),
            6 => out.push(word(i_type(OP_IMM_32, 0, d, a, imm))),
            7 => {
                let (f3, sra) = [(1, 0), (5, 0), (5, 0x400)][r.below(3) as usize];
                out.push(word(i_type(OP_IMM, f3, d, a, sra | r.below(64) as i32)));
            }
            8 => {
                let (f3, sra) = [(1, 0), (5, 0), (5, 0x400)][r.below(3) as usize];
                out.push(word(i_type(OP_IMM_32, f3, d, a, sra | r.below(32) as i32)));
            }
            9 | 10 => {
                // An extension pair, into its own register or from another.
                let k = [32, 48, 56, 40][r.below(4) as usize];
                let sra = [0, 0x400][r.below(2) as usize];
                out.push(word(i_type(OP_IMM, 1, d, a, k)));
                out.push(word(i_type(OP_IMM, 5, d, d, sra | k)));
            }
            11 => out.push(word(r_type(
                [OP, OP_32][r.below(2) as usize],
                0,
                1,
                d,
                a,
                b,
            ))),
            12 => out.push(word(u_type(LUI, d, r.below(1 << 20)))),
            13 => out.push(word(u_type(AUIPC, d, r.below(1 << 20)))),
            14 => out.push(word(r_type(OP, 0, 0x20, d, a, d))),
            15 => {
                // `mv`/`li`, compressed.
                let imm = r.below(64);
                if d != 0 && r.below(2) == 0 && a != 0 {
                    out.push(fixed(0x8002 | d << 7 | a << 2, 2, Fix::None));
                } else if d != 0 {
                    out.push(fixed(
                        0x4001 | bit(imm as i64, 5, 12) | d << 7 | (imm & 31) << 2,
                        2,
                        Fix::None,
                    ));
                }
            }
            16 => {
                // Not one a select computes: the branch stays a jump.
                if r.below(2) == 0 {
                    out.push(word(u_type(LUI, d, 5 + r.below(7))));
                    out.push(word(i_type(LOAD, 3, d, d, (r.below(256) << 3) as i32)));
                } else {
                    out.push(word(r_type(OP, 4, 1, d, a, b)));
                }
            }
            _ => out.push(word(r_type(OP, 4, 0, d, d, a))),
        }
    }
    let skip = out.len() - branch;
    set_ahead(&mut out[branch], skip);
    // The join: everything written read into the accumulator.
    let acc = p[6];
    for &q in pool.iter().chain([&x]) {
        out.push(word(r_type(OP, 4, 0, acc, acc, q)));
        out.push(word(i_type(OP_IMM, 1, acc, acc, 3)));
    }
    if r.below(4) == 0 {
        out.push(word(i_type(SYSTEM, 2, p[7], 0, csr::INSTRET as i32)));
        out.push(word(r_type(OP, 0, 0, acc, acc, p[7])));
    }
    // The counter: `addi` or `addiw` (a `*w` result the loop may leave unextended, the
    // closing branch testing its low half), back while not zero or while not negative.
    let w = r.below(2);
    out.push(word(i_type([OP_IMM, OP_IMM_32][w as usize], 0, c, c, -1)));
    let back = out.len() - start;
    let f3 = [1, 5][r.below(2) as usize];
    out.push(fixed(r_type(BRANCH, f3, 0, 0, c, 0), 4, Fix::Back(back)));
}

/// A loop whose `*w` results cross its branches out and its accesses unextended
/// (lower/lazy.rs): `*w` operations on three registers, `xor`/`or`/`and` among them and with
/// a whole 64-bit value (which may not cross), loads and stores through a base walking off
/// either end of the scratch region (faulting on the first trip or a later one, unrolled or
/// not), their results read 32 bits (`sw`, `sh`, `sb`, `addw`, `sext.w`), 64 bits (`sd`, `slt`,
/// an address, a branch comparing two of them) or against zero by a branch. Half the loops
/// are one basic block (unrolled under back-edge checks: each copy's closing branch leaves
/// when not taken); the other half have side exits, branches on the results to past the
/// loop or anywhere. A counter (`addi` or `addiw`) closes the loop; its results are then
/// read whole.
fn lazy_exits(r: &mut Rng, out: &mut Vec<Item>) {
    let mut p: Vec<u32> = (1..32).collect();
    for i in (1..p.len()).rev() {
        p.swap(i, r.below(i as u32 + 1) as usize);
    }
    let (c, base, whole, t) = (p[0], p[1], p[2], p[3]);
    let regs = &p[4..7];
    let trips = match r.below(3) {
        0 => 20 + r.below(100) as i32,
        _ => 1 + r.below(9) as i32,
    };
    out.push(word(i_type(OP_IMM, 0, c, 0, trips)));
    // Near the end walking up, near the start walking down (off it within a few trips), or
    // in the middle.
    let step = match r.below(3) {
        0 => {
            out.push(word(u_type(LUI, base, (SCRATCH_END >> 12) as u32)));
            out.push(word(i_type(OP_IMM, 0, base, base, -8 * r.below(12) as i32)));
            8
        }
        1 => {
            out.push(word(u_type(LUI, base, (SCRATCH >> 12) as u32)));
            out.push(word(i_type(OP_IMM, 0, base, base, 8 * r.below(8) as i32)));
            -8
        }
        _ => {
            out.push(word(u_type(LUI, base, 5 + r.below(6))));
            [8, -8, 4][r.below(3) as usize]
        }
    };
    out.push(word(u_type(LUI, whole, r.below(1 << 20))));
    out.push(word(i_type(
        OP_IMM,
        1,
        whole,
        whole,
        12 + r.below(20) as i32,
    )));
    let side = r.below(2) == 0;
    let start = out.len();
    // Branches to past the loop, fixed once its end is known.
    let mut outs = Vec::new();
    let len = 3 + r.below(7);
    for _ in 0..len {
        let pick = |r: &mut Rng| regs[r.below(3) as usize];
        let (d, a, b) = (pick(r), pick(r), pick(r));
        let off = 8 * r.below(4) as i32 - 8;
        match r.below(16) {
            // addw subw mulw sllw, addiw slliw
            0..=4 => out.push(word(match r.below(6) {
                0 | 1 => r_type(OP_32, 0, 0, d, a, b),
                2 => r_type(OP_32, 0, 0x20, d, a, b),
                3 => r_type(OP_32, 0, 1, d, a, b),
                4 => i_type(OP_IMM_32, 0, d, a, r.next() as i32 >> 20),
                _ => i_type(OP_IMM_32, 1, d, a, r.below(32) as i32),
            })),
            // Bitwise, among them or with the whole value.
            5 => {
                let b = if r.below(3) == 0 { whole } else { b };
                out.push(word(r_type(OP, [4, 6, 7][r.below(3) as usize], 0, d, a, b)));
            }
            // Loads into them or elsewhere.
            6 | 7 => {
                let rd = if r.below(2) == 0 { d } else { t };
                out.push(word(i_type(
                    LOAD,
                    [2, 3, 4, 6][r.below(4) as usize],
                    rd,
                    base,
                    off,
                )));
            }
            // Stores of their low halves, or of them whole.
            8 | 9 => out.push(word(s_type(STORE, r.below(4), base, a, off))),
            // Read 32 bits: addw, sext.w.
            10 => out.push(word(match r.below(2) {
                0 => r_type(OP_32, 0, 0, t, a, b),
                _ => i_type(OP_IMM_32, 0, t, a, 0),
            })),
            // Read 64 bits: slt, or an address (faulting where it lands outside memory).
            11 => out.push(word(r_type(OP, 2, 0, t, a, b))),
            12 => {
                out.push(word(r_type(OP, 0, 0, t, base, a)));
                out.push(word(i_type(LOAD, 2, t, t, 0)));
            }
            // A branch on one against zero, or comparing two: out of the loop.
            _ if side => {
                let f3 = [0, 1, 4, 5][r.below(4) as usize];
                let b = if r.below(2) == 0 { 0 } else { b };
                let bits = r_type(BRANCH, f3, 0, 0, a, b);
                if r.below(2) == 0 {
                    outs.push(out.len());
                    out.push(fixed(bits, 4, Fix::Ahead(0)));
                } else {
                    out.push(fixed(bits, 4, Fix::Branch(r.choice())));
                }
                if r.below(3) != 0 {
                    // Its operand then made again from its low half: nothing after the
                    // branch demands the value it compared.
                    out.push(word(r_type(OP_32, 0, [0, 1][r.below(2) as usize], a, a, d)));
                }
            }
            _ => out.push(word(r_type(OP_32, 0, 1, d, a, b))),
        }
    }
    out.push(word(i_type(OP_IMM, 0, base, base, step)));
    out.push(word(i_type(
        [OP_IMM, OP_IMM_32][r.below(2) as usize],
        0,
        c,
        c,
        -1,
    )));
    let back = out.len() - start;
    out.push(fixed(r_type(BRANCH, 1, 0, 0, c, 0), 4, Fix::Back(back)));
    for i in outs {
        let n = out.len() - i;
        set_ahead(&mut out[i], n);
    }
    // Read whole after the loop.
    for &q in regs {
        out.push(word(r_type(OP, 0, 0, whole, whole, q)));
    }
}

/// A loop of `*w` operations, bitwise ones, `andi` with masks of 0..2047 and `slli` by
/// 32..63 (which read only low halves) on a few registers, with nothing between its
/// start and its closing branch that reads a register whole: what it computes may stay
/// unextended across the back edge (lower/lazy.rs), extended only by the exits at its end.
/// The counter is an `addiw`, closed by `bnez`, `bgez` (down to -1) or `bltz` (up from a
/// negative start), whose low half alone decides; some registers are read whole after the
/// loop, and one time in three a bitwise operation mixes in a register not sign-extended.
fn word_loop(r: &mut Rng, out: &mut Vec<Item>) {
    let mut p: Vec<u32> = (1..32).collect();
    for i in (1..p.len()).rev() {
        p.swap(i, r.below(i as u32 + 1) as usize);
    }
    let c = p[0];
    let regs = &p[1..6];
    let (f3, init) = match r.below(3) {
        0 => (1, 1 + r.below(6) as i32),
        1 => (5, r.below(6) as i32),
        _ => (4, -(1 + r.below(6) as i32)),
    };
    out.push(word(i_type(OP_IMM, 0, c, 0, init)));
    if r.below(3) == 0 {
        // A whole 64-bit value to mix in.
        out.push(word(u_type(LUI, regs[4], r.below(1 << 20))));
        out.push(word(i_type(
            OP_IMM,
            1,
            regs[4],
            regs[4],
            20 + r.below(12) as i32,
        )));
    }
    let start = out.len();
    for _ in 0..2 + r.below(6) {
        let pick = |r: &mut Rng| regs[r.below(regs.len() as u32) as usize];
        let (d, a, b) = (pick(r), pick(r), pick(r));
        out.push(word(match r.below(9) {
            0 => r_type(OP_32, 0, 0, d, a, b),
            1 => r_type(OP_32, 0, 0x20, d, a, b),
            2 => r_type(OP_32, 0, 1, d, a, b),
            3 => i_type(OP_IMM_32, 0, d, a, r.next() as i32 >> 20),
            4 => i_type(OP_IMM_32, 1, d, a, r.below(32) as i32),
            5 => r_type(OP, [4, 6, 7][r.below(3) as usize], 0, d, a, b),
            // andi with a mask of 0..2047 and slli by 32..63 read only the low half.
            6 => i_type(OP_IMM, 7, d, a, r.below(2048) as i32),
            7 => i_type(OP_IMM, 1, d, a, 32 + r.below(32) as i32),
            _ => i_type(OP_IMM, 4, d, a, r.next() as i32 >> 20),
        }));
    }
    let step = if f3 == 4 { 1 } else { -1 };
    out.push(word(i_type(OP_IMM_32, 0, c, c, step)));
    let back = out.len() - start;
    out.push(fixed(r_type(BRANCH, f3, 0, 0, c, 0), 4, Fix::Back(back)));
    for &q in &regs[..2 + r.below(3) as usize] {
        out.push(word(r_type(OP, 0, 0, p[6], p[6], q)));
    }
}

/// Accesses through one base register, as stack frames, struct fields and unrolled array
/// code make them: most of them go without their limit check (lower/checked.rs). The base
/// (sp one time in three) points into the scratch region, near one of its ends (the pages
/// past them are unmapped: an access a few bytes on faults where an earlier one did not), or
/// wherever it points; then accesses at small offsets from each other, the base moved by a
/// constant (`addi`, itself or into another register accessed through), a forward branch over
/// some of them (a join, where only what both paths know survives), a write that forgets
/// the base; looped a few times one time in three.
fn one_base(r: &mut Rng, out: &mut Vec<Item>) {
    let b = if r.below(3) == 0 { 2 } else { r.reg() };
    match r.below(8) {
        0 => {}
        1 => out.push(word(u_type(LUI, b, (SCRATCH >> 12) as u32))),
        2 => {
            out.push(word(u_type(LUI, b, (SCRATCH_END >> 12) as u32)));
            out.push(word(i_type(OP_IMM, 0, b, b, -(r.below(64) as i32))));
        }
        _ => {
            out.push(word(u_type(LUI, b, 5 + r.below(7))));
            out.push(word(i_type(OP_IMM, 0, b, b, r.next() as i32 >> 21)));
        }
    }
    let others = |r: &mut Rng, not: &[u32]| loop {
        let x = r.reg();
        if !not.contains(&x) {
            break x;
        }
    };
    let looped = r.below(3) == 0;
    let c = others(r, &[b]);
    if looped {
        out.push(word(i_type(OP_IMM, 0, c, 0, 1 + r.below(4) as i32)));
    }
    let start = out.len();
    // Offsets mostly near each other (a frame's slots), sometimes anywhere in reach.
    let near = |r: &mut Rng| {
        if r.below(6) == 0 {
            r.next() as i32 >> 20
        } else {
            (r.below(64) as i32 - 32) * 8
        }
    };
    let mut branch = None;
    for _ in 0..2 + r.below(8) {
        match r.below(12) {
            0..=5 => {
                // Into the base itself one time in 16: the fact goes.
                let rd = if r.below(16) == 0 {
                    b
                } else {
                    others(r, &[b, c])
                };
                let imm = near(r);
                access(r, b, rd, imm, out);
            }
            6 => {
                let step = (r.below(64) as i32 - 32) * 8;
                out.push(word(i_type(OP_IMM, 0, b, b, step)));
            }
            7 => {
                let t = others(r, &[b, c]);
                let step = near(r);
                out.push(word(i_type(OP_IMM, 0, t, b, step)));
                let (rd, imm) = (others(r, &[b, c, t]), near(r));
                access(r, t, rd, imm, out);
            }
            8 if branch.is_none() => {
                let t = others(r, &[c]);
                branch = Some(out.len());
                out.push(fixed(
                    r_type(BRANCH, r.below(2), 0, 0, t, 0),
                    4,
                    Fix::Ahead(0),
                ));
            }
            9 => match r.below(3) {
                // add b, b, x; lui b; or a load into it (above)
                0 => out.push(word(r_type(OP, 0, 0, b, b, others(r, &[c])))),
                1 => out.push(word(u_type(LUI, b, 5 + r.below(7)))),
                _ => out.push(word(i_type(OP_IMM, 4, b, b, 8))),
            },
            _ => {
                let (rd, imm) = (others(r, &[b, c]), r.next() as i32 >> 20);
                access(r, b, rd, imm, out);
            }
        }
    }
    // The join (or the next access): through the base again.
    if let Some(i) = branch {
        let n = out.len() - i;
        set_ahead(&mut out[i], n);
    }
    let (rd, imm) = (others(r, &[b, c]), near(r));
    access(r, b, rd, imm, out);
    if looped {
        out.push(word(i_type(OP_IMM, 0, c, c, -1)));
        let back = out.len() - start;
        out.push(fixed(r_type(BRANCH, 1, 0, 0, c, 0), 4, Fix::Back(back)));
    }
}

/// Table lookups, as AES, CRC and state machines make them: an index bounded by `andi`
/// (`zext.b`), `srliw` or `srli`, maybe offset into a later table (`addi`), scaled (`slli`),
/// added to the table's base (either operand), then a load or store through the sum, several
/// times into the same tables: after the first, lower/checked.rs leaves the checks out. The
/// base lies in the scratch region, or across its end (the pages past it are unmapped), across
/// the limit (the guard zone past it), just below 0 (the guard zone below, or page 0), or
/// wherever a register points; so elided accesses fault, past either end and in between. Among
/// the lookups: an access through the base itself, the base moved by a constant or written
/// afresh (what was known goes), a lookup's result into the base, a forward branch over a
/// lookup (a join); looped a few times one time in four.
fn table_lookups(r: &mut Rng, out: &mut Vec<Item>) {
    let b = r.reg();
    let other = |r: &mut Rng, not: &[u32]| loop {
        let x = r.reg();
        if !not.contains(&x) {
            break x;
        }
    };
    let near_end = |r: &mut Rng, end: u64, out: &mut Vec<Item>| {
        out.push(word(u_type(LUI, b, (end >> 12) as u32)));
        out.push(word(i_type(OP_IMM, 0, b, b, -(r.below(2048) as i32))));
    };
    match r.below(8) {
        0 => {}
        1 => near_end(r, SCRATCH_END, out),
        2 => near_end(r, MEM as u64, out),
        3 => out.push(word(i_type(OP_IMM, 0, b, 0, -(r.below(2048) as i32)))),
        _ => {
            out.push(word(u_type(LUI, b, (SCRATCH >> 12) as u32 + r.below(6))));
            out.push(word(i_type(OP_IMM, 0, b, b, r.below(2048) as i32)));
        }
    }
    let looped = r.below(4) == 0;
    let c = other(r, &[b]);
    if looped {
        out.push(word(i_type(OP_IMM, 0, c, 0, 1 + r.below(3) as i32)));
    }
    let start = out.len();
    let mut branch = None;
    for _ in 0..2 + r.below(6) {
        match r.below(16) {
            0 => {
                let (rd, imm) = (other(r, &[b, c]), (r.below(256) as i32 - 128) * 4);
                access(r, b, rd, imm, out);
            }
            1 => out.push(word(i_type(OP_IMM, 0, b, b, (r.below(64) as i32 - 32) * 8))),
            2 => out.push(word(u_type(LUI, b, (SCRATCH >> 12) as u32 + r.below(6)))),
            3 if branch.is_none() => {
                branch = Some(out.len());
                let t = other(r, &[c]);
                out.push(fixed(
                    r_type(BRANCH, r.below(2), 0, 0, t, 0),
                    4,
                    Fix::Ahead(0),
                ));
            }
            _ => {
                let (x, t) = (r.reg(), other(r, &[b, c]));
                match r.below(4) {
                    0 | 1 => {
                        let mask = if r.below(2) == 0 { 255 } else { r.below(2048) };
                        out.push(word(i_type(OP_IMM, 7, t, x, mask as i32)));
                    }
                    // Bounds up to 2^24 (then scaled): some reach past the guard zones,
                    // and keep their checks.
                    2 => out.push(word(i_type(OP_IMM_32, 5, t, x, 8 + r.below(24) as i32))),
                    _ => out.push(word(i_type(OP_IMM, 5, t, x, 40 + r.below(24) as i32))),
                }
                if r.below(2) == 0 {
                    out.push(word(i_type(OP_IMM, 0, t, t, 256 * r.below(4) as i32)));
                }
                out.push(word(i_type(OP_IMM, 1, t, t, r.below(4) as i32)));
                let (p, q) = if r.below(2) == 0 { (t, b) } else { (b, t) };
                out.push(word(r_type(OP, 0, 0, t, p, q)));
                // Into the base one time in 16.
                let rd = if r.below(16) == 0 {
                    b
                } else {
                    other(r, &[b, c])
                };
                let imm = if r.below(4) == 0 {
                    (r.below(64) as i32 - 32) * 4
                } else {
                    0
                };
                access(r, t, rd, imm, out);
            }
        }
    }
    if let Some(i) = branch {
        let n = out.len() - i;
        set_ahead(&mut out[i], n);
    }
    if looped {
        out.push(word(i_type(OP_IMM, 0, c, c, -1)));
        let back = out.len() - start;
        out.push(fixed(r_type(BRANCH, 1, 0, 0, c, 0), 4, Fix::Back(back)));
    }
}

/// A small loop, one basic block closed by a branch back to its start, as byte and word
/// loops compile to: translated as copies of its body under back-edge budget checks
/// (translator's unroll.rs), each copy's closing branch leaving the loop when not taken. A
/// pointer (two one time in three) walks by a constant, up or down, accessed at several
/// widths and offsets before and after it moves (after the first copy mostly without a limit
/// check), from near either end of the scratch region (walking off it, faulting in a later
/// copy) or wherever it points; a counter or the pointer itself decides: `bnez`/`c.bnez`
/// counting down, `blt`/`bltu` up to a bound, `bge`/`bgeu` down to one, `bne` on the pointer's
/// old value as poly1305 does (`mv`; `addi`; `bne end, old`), `beq`/`beqz`/`bnez` on an `slt`
/// (fused with it), or `beq`/`bne` on a register the body loads (running until the bytes
/// say). The trip counts are 1 to 9 (K-1, K and K+1 for every number of copies K) or
/// many, and `*w` work and other operations fill the body up to 3-12 instructions (4 copies),
/// one time in four 13-24 (3 or 2), among them FP CSR reads (helper calls) and `frm`
/// writes (leaving for the interpreter mid-copy when the mode is one the host cannot round
/// in).
fn unroll_loop(r: &mut Rng, out: &mut Vec<Item>) {
    let mut p: Vec<u32> = (1..32).collect();
    for i in (1..p.len()).rev() {
        p.swap(i, r.below(i as u32 + 1) as usize);
    }
    // c.bnez/c.beqz name x8..x15 only.
    let c_at = p.iter().position(|&x| (8..16).contains(&x)).unwrap();
    p.swap(0, c_at);
    let (c, ptr, ptr2, e, t) = (p[0], p[1], p[2], p[3], p[4]);
    let tmps = &p[5..9];
    let trips = match r.below(4) {
        0 => 20 + r.below(200) as i32,
        _ => 1 + r.below(9) as i32,
    };
    let step = [1, -1, 2, -2, 4, -4, 8, -8, 16, -3][r.below(10) as usize];
    // Where the pointers start.
    for &q in &[ptr, ptr2] {
        match r.below(6) {
            0 => {}
            1 | 2 => {
                out.push(word(u_type(LUI, q, (SCRATCH_END >> 12) as u32)));
                out.push(word(i_type(OP_IMM, 0, q, q, -(r.below(96) as i32))));
            }
            3 => {
                out.push(word(u_type(LUI, q, (SCRATCH >> 12) as u32)));
                out.push(word(i_type(OP_IMM, 0, q, q, r.below(96) as i32)));
            }
            _ => {
                out.push(word(u_type(LUI, q, 5 + r.below(6))));
                out.push(word(i_type(OP_IMM, 0, q, q, r.next() as i32 >> 21)));
            }
        }
    }
    // The closing condition and what sets it up.
    let kind = r.below(8);
    match kind {
        // bnez c: c counts down from trips.
        0 => out.push(word(i_type(OP_IMM, 0, c, 0, trips))),
        // blt/bltu c, e: up from 0 to trips; bge/bgeu c, e: down from trips - 1 to 0.
        1 | 2 => {
            out.push(word(i_type(
                OP_IMM,
                0,
                c,
                0,
                if kind == 1 { 0 } else { trips - 1 },
            )));
            out.push(word(i_type(
                OP_IMM,
                0,
                e,
                0,
                if kind == 1 { trips } else { 0 },
            )));
        }
        // bne e, old: e = ptr - step * trips (the pointer's value after the last trip).
        3 => {
            out.push(word(i_type(OP_IMM, 0, e, 0, step * (trips - 1))));
            out.push(word(r_type(OP, 0, 0, e, e, ptr)));
        }
        // slt/sltu t, c, e then bnez/beqz t, or beq t, e2 (= 1).
        4 | 5 => {
            out.push(word(i_type(OP_IMM, 0, c, 0, 0)));
            out.push(word(i_type(OP_IMM, 0, e, 0, trips)));
            out.push(word(i_type(OP_IMM, 0, tmps[3], 0, 1)));
        }
        // beq/bne on a loaded value against e.
        _ => out.push(word(i_type(OP_IMM, 0, e, 0, r.below(4) as i32))),
    }
    let start = out.len();
    // 4 copies of up to 12 instructions, 3 of up to 16, 2 of up to 24.
    let len = if r.below(4) == 0 {
        13 + r.below(12) as usize
    } else {
        3 + r.below(10) as usize
    };
    let mut moved = [false; 2];
    // The instructions the closing condition takes at the end of the body.
    let tail = if matches!(kind, 3..=5) { 3 } else { 2 };
    while out.len() - start + tail < len {
        let q = if r.below(3) == 0 { ptr2 } else { ptr };
        let which = (q == ptr2) as usize;
        match r.below(8) {
            0..=2 => {
                let rd = if kind >= 6 && r.below(3) == 0 {
                    t
                } else {
                    tmps[r.below(3) as usize]
                };
                let imm = step * r.below(3) as i32 - 4 + r.below(9) as i32;
                access(r, q, rd, imm, out);
            }
            3 if !moved[which] => {
                moved[which] = true;
                let s = if which == 1 { -step } else { step };
                out.push(word(i_type(OP_IMM, 0, q, q, s)));
            }
            4 => {
                let (d, a, b) = (
                    tmps[r.below(3) as usize],
                    tmps[r.below(4) as usize],
                    p[r.below(9) as usize],
                );
                out.push(word(match r.below(5) {
                    0 => r_type(OP_32, 0, 0, d, a, b),
                    1 => i_type(OP_IMM_32, 0, d, a, r.next() as i32 >> 24),
                    2 => i_type(OP_IMM, 1, d, a, r.below(64) as i32),
                    3 => r_type(OP, [4, 6, 7][r.below(3) as usize], 0, d, a, b),
                    _ => i_type(OP_IMM, 0, d, a, 0),
                }));
            }
            // An FP CSR (not a block end): read through the helper, or `frm` written, out
            // for the interpreter to run the rest of the copy when it cannot be rounded in.
            5 if r.below(3) == 0 => out.push(word(match r.below(2) {
                0 => i_type(SYSTEM, 2, tmps[r.below(3) as usize], 0, csr::FFLAGS as i32),
                _ => {
                    let mode = if r.below(4) == 0 {
                        5 + r.below(3)
                    } else {
                        r.below(5)
                    };
                    i_type(SYSTEM, 5, 0, mode, csr::FRM as i32)
                }
            })),
            _ => {
                let (rd, imm) = (tmps[r.below(3) as usize], step * 2);
                access(r, q, rd, imm, out);
            }
        }
    }
    let c_step = |up: bool| i_type(OP_IMM, 0, c, c, if up { 1 } else { -1 });
    match kind {
        0 => {
            out.push(word(c_step(false)));
            let back = out.len() - start;
            if r.below(2) == 0 {
                out.push(fixed(7 << 13 | (c - 8) << 7 | 1, 2, Fix::CBack(back)));
            } else {
                out.push(fixed(r_type(BRANCH, 1, 0, 0, c, 0), 4, Fix::Back(back)));
            }
        }
        1 | 2 => {
            out.push(word(c_step(kind == 1)));
            let back = out.len() - start;
            // blt/bltu c, e (up); bge/bgeu c, e (down).
            let f3 = [[4, 6], [5, 7]][(kind == 2) as usize][r.below(2) as usize];
            out.push(fixed(r_type(BRANCH, f3, 0, 0, c, e), 4, Fix::Back(back)));
        }
        3 => {
            out.push(word(i_type(OP_IMM, 0, t, ptr, 0)));
            if !moved[0] {
                out.push(word(i_type(OP_IMM, 0, ptr, ptr, step)));
            } else {
                out.push(word(i_type(OP_IMM, 0, tmps[0], tmps[1], 1)));
            }
            let back = out.len() - start;
            out.push(fixed(r_type(BRANCH, 1, 0, 0, e, t), 4, Fix::Back(back)));
            if moved[0] {
                // The pointer moved earlier in the body: the old value is not what moved.
                let n = out.len();
                out[n - 3] = word(i_type(OP_IMM, 0, t, ptr, -step));
            }
        }
        4 | 5 => {
            out.push(word(c_step(true)));
            out.push(word(r_type(OP, 2 + r.below(2), 0, t, c, e)));
            let back = out.len() - start;
            out.push(match (kind, r.below(3)) {
                // bnez t, compressed when t is one of x8..x15.
                (4, 0) if (8..16).contains(&t) => {
                    fixed(7 << 13 | (t - 8) << 7 | 1, 2, Fix::CBack(back))
                }
                (4, _) => fixed(r_type(BRANCH, 1, 0, 0, 0, t), 4, Fix::Back(back)),
                _ => fixed(r_type(BRANCH, 0, 0, 0, t, tmps[3]), 4, Fix::Back(back)),
            });
        }
        _ => {
            if !moved[0] {
                // The pointer moves, so the bytes do.
                out.push(word(i_type(OP_IMM, 0, ptr, ptr, step)));
            }
            // A load into t, then beq/bne t, e (or beqz/c.beqz).
            let q = if r.below(2) == 0 { ptr } else { ptr2 };
            out.push(word(i_type(
                LOAD,
                [4, 0, 5, 6, 3][r.below(5) as usize],
                t,
                q,
                step,
            )));
            let back = out.len() - start;
            out.push(match r.below(3) {
                0 if (8..16).contains(&t) => fixed(6 << 13 | (t - 8) << 7 | 1, 2, Fix::CBack(back)),
                0 => fixed(r_type(BRANCH, 0, 0, 0, t, 0), 4, Fix::Back(back)),
                1 => fixed(r_type(BRANCH, 0, 0, 0, t, e), 4, Fix::Back(back)),
                _ => fixed(r_type(BRANCH, 1, 0, 0, t, e), 4, Fix::Back(back)),
            });
        }
    }
}

/// Sums feeding an access (lower/addressing.rs): `add t, a, b` then a load or store at an
/// offset from `t` (zero one time in four), `t` aliasing `a` or `b` (`add a, a, b`), `a`
/// and `b` one register one time in six, the access's destination any of them. The base is
/// made to point into the scratch region, just below the end of memory (sums past the
/// limit: the helper's fault), at the code (a store there faults on the host) or below 0,
/// or left as it was; the index masked and scaled, a small constant, or anything. An access
/// through the base first one time in two, so that the sums' checks go (checked.rs: a
/// bounded index), some then faulting in a guard zone; a chain through many other registers
/// one time in three, so that some of these live in their slots; looped one time in three.
/// Some sums are runs: the index shifted and offset before the `add`, an offset added after.
fn address_sums(r: &mut Rng, out: &mut Vec<Item>) {
    let a = r.reg();
    let b = if r.below(6) == 0 { a } else { r.reg() };
    let other = |r: &mut Rng, not: &[u32]| loop {
        let x = r.reg();
        if !not.contains(&x) {
            break x;
        }
    };
    let c = other(r, &[a, b]);
    match r.below(8) {
        0 => {}
        1 => {
            out.push(word(u_type(LUI, a, (MEM >> 12) as u32)));
            out.push(word(i_type(OP_IMM, 0, a, a, -(r.below(64) as i32))));
        }
        2 => out.push(word(u_type(LUI, a, (CODE >> 12) as u32 + r.below(2)))),
        3 => out.push(word(i_type(OP_IMM, 0, a, 0, -(r.below(2048) as i32)))),
        _ => {
            out.push(word(u_type(LUI, a, (SCRATCH >> 12) as u32 + r.below(7))));
            out.push(word(i_type(OP_IMM, 0, a, a, r.below(2048) as i32)));
        }
    }
    let looped = r.below(3) == 0;
    if looped {
        out.push(word(i_type(OP_IMM, 0, c, 0, 1 + r.below(3) as i32)));
    }
    let start = out.len();
    if r.below(3) == 0 {
        let mut p: Vec<u32> = (1..32).filter(|x| ![a, b, c].contains(x)).collect();
        for i in (1..p.len()).rev() {
            p.swap(i, r.below(i as u32 + 1) as usize);
        }
        let k = 12 + r.below(9) as usize;
        for _ in 0..2 {
            for i in 0..k {
                // xor or add
                let f3 = [4, 6, 0][r.below(3) as usize];
                out.push(word(r_type(OP, f3, 0, p[i], p[i], p[(i + 1) % k])));
            }
        }
    }
    if b != a {
        match r.below(4) {
            0 => {}
            1 => out.push(word(i_type(OP_IMM, 0, b, 0, r.below(2048) as i32))),
            _ => {
                let mask = if r.below(2) == 0 { 255 } else { r.below(2048) };
                out.push(word(i_type(OP_IMM, 7, b, r.reg(), mask as i32)));
                out.push(word(i_type(OP_IMM, 1, b, b, r.below(4) as i32)));
            }
        }
    }
    if r.below(2) == 0 {
        let rd = other(r, &[a, b, c]);
        let imm = (r.below(64) as i32 - 32) * 8;
        int_access(r, a, rd, imm, out);
    }
    for _ in 0..1 + r.below(3) {
        let t = match r.below(4) {
            0 => a,
            1 => b,
            _ => other(r, &[c]),
        };
        // One time in two a run (lower/addressing.rs): the index scaled or offset (or both)
        // first, into t, b or another register, from b or anything; one time in four an
        // offset added to the sum after it.
        let (mut p, mut q) = if r.below(2) == 0 { (a, b) } else { (b, a) };
        let (mut t, mut direct) = (t, false);
        // The sum with x0 one time in eight: the index alone (scaled, without a base).
        if r.below(8) == 0 {
            if p == b {
                q = 0;
            } else {
                p = 0;
            }
        }
        if r.below(2) == 0 {
            let u = match r.below(3) {
                0 => t,
                1 => b,
                _ => other(r, &[c]),
            };
            let src = if r.below(4) == 0 { r.reg() } else { b };
            let imm = r.next() as i32 >> 21;
            match r.below(3) {
                0 => out.push(word(i_type(OP_IMM, 1, u, src, r.below(5) as i32))),
                1 => out.push(word(i_type(OP_IMM, 0, u, src, imm))),
                _ => {
                    out.push(word(i_type(OP_IMM, 1, u, src, r.below(5) as i32)));
                    out.push(word(i_type(OP_IMM, 0, u, u, imm)));
                }
            }
            if p == b {
                p = u;
            } else {
                q = u;
            }
            // The access through u itself one time in six.
            if r.below(6) == 0 {
                (t, direct) = (u, true);
            }
        }
        if !direct {
            out.push(word(r_type(OP, 0, 0, t, p, q)));
        }
        let t = if r.below(4) == 0 {
            let d = match r.below(2) {
                0 => t,
                _ => other(r, &[c]),
            };
            out.push(word(i_type(OP_IMM, 0, d, t, r.next() as i32 >> 22)));
            d
        } else {
            t
        };
        let rd = match r.below(4) {
            0 => t,
            1 => a,
            2 => b,
            _ => other(r, &[c]),
        };
        let imm = if r.below(4) == 0 {
            0
        } else {
            r.next() as i32 >> 20
        };
        int_access(r, t, rd, imm, out);
    }
    if looped {
        out.push(word(i_type(OP_IMM, 0, c, c, -1)));
        let back = out.len() - start;
        out.push(fixed(r_type(BRANCH, 1, 0, 0, c, 0), 4, Fix::Back(back)));
    }
}

/// An integer load or store (mostly; else [`access`]'s FP ones too) at `imm(base)`.
fn int_access(r: &mut Rng, base: u32, rd: u32, imm: i32, out: &mut Vec<Item>) {
    if r.below(8) == 0 {
        return access(r, base, rd, imm, out);
    }
    let (op, f3) = if r.below(2) == 0 {
        (LOAD, r.below(7))
    } else {
        (STORE, r.below(4))
    };
    let imm = if r.below(8) == 0 {
        imm
    } else {
        imm & !((1 << (f3 & 3)) - 1)
    };
    out.push(word(match op {
        LOAD => i_type(op, f3, rd, base, imm),
        _ => s_type(op, f3, base, rd, imm),
    }));
}

/// One inner loop, or two in a row, inside what is mostly one superblock
/// (lower/inner_loop.rs): a straight prefix setting up a pointer (in the scratch region, near
/// its end so that a later trip walks off it and faults, or anywhere), a counter and a bound;
/// a body of 1 to 10 instructions (loads and stores through the pointer, the pointer walked
/// by a step, `*w` arithmetic on what was loaded, FP operations that set flags, now and then
/// a forward branch out of the loop, over one of its instructions, or a `j` over the body to
/// the closing condition as compilers rotate loops); a branch back to the body's first instruction on a counter
/// (bounded, or from a random register: as long as the budget lasts), on the loaded value
/// against a bound (a scan, as qsort's partition), on the pointer against its end, or an
/// `slt` and a branch on it; then a suffix reading what the loop wrote.
fn inner_loops(r: &mut Rng, out: &mut Vec<Item>) {
    let mut p: Vec<u32> = (1..32).collect();
    for i in (1..p.len()).rev() {
        p.swap(i, r.below(i as u32 + 1) as usize);
    }
    // c.bnez/c.beqz name x8..x15 only.
    let c_at = p.iter().position(|&x| (8..16).contains(&x)).unwrap();
    p.swap(0, c_at);
    let loops = if r.below(3) == 0 { 2 } else { 1 };
    for n in 0..loops {
        let regs = &p[n * 7..n * 7 + 7];
        let c = if n == 0 { regs[0] } else { p[0] };
        let (ptr, v, a, e, t, u) = (regs[1], regs[2], regs[3], regs[4], regs[5], regs[6]);
        inner_loop(r, [c, ptr, v, a, e, t, u], out);
    }
}

/// One loop of [`inner_loops`] on the registers `[c, ptr, v, a, e, t, u]`.
fn inner_loop(r: &mut Rng, [c, ptr, v, a, e, t, u]: [u32; 7], out: &mut Vec<Item>) {
    let step = [4, -4, 8, -8, 1, 2, -2, 16][r.below(8) as usize];
    let trips = match r.below(4) {
        0 => 20 + r.below(100) as i32,
        _ => 1 + r.below(9) as i32,
    };
    // The prefix.
    match r.below(5) {
        0 => {}
        1 | 2 => {
            // Near the end of the scratch region: a few trips and it walks off.
            out.push(word(u_type(LUI, ptr, (SCRATCH_END >> 12) as u32)));
            out.push(word(i_type(OP_IMM, 0, ptr, ptr, -(r.below(64) as i32))));
        }
        _ => {
            out.push(word(u_type(LUI, ptr, 5 + r.below(6))));
            out.push(word(i_type(OP_IMM, 0, ptr, ptr, r.next() as i32 >> 21)));
        }
    }
    let kind = r.below(6);
    match kind {
        // Counted down from trips, or from whatever c holds.
        0 | 1 if r.below(4) != 0 => out.push(word(i_type(OP_IMM, 0, c, 0, trips))),
        0 | 1 => {}
        // A scan: on while the loaded value is below a bound.
        2 => out.push(word(i_type(OP_IMM, 0, a, 0, r.next() as i32 >> 20))),
        // The pointer against its value after the last trip.
        3 => {
            out.push(word(i_type(OP_IMM, 0, e, 0, step * trips)));
            out.push(word(r_type(OP, 0, 0, e, e, ptr)));
        }
        // slt t, c, e then a branch on t.
        _ => {
            out.push(word(i_type(OP_IMM, 0, c, 0, 0)));
            out.push(word(i_type(OP_IMM, 0, e, 0, trips)));
        }
    }
    // Rotated: a `j` over the body to the closing condition.
    let rotated = r.below(5) == 0;
    let jump = out.len();
    if rotated {
        out.push(fixed(j_imm(0) | JAL, 4, Fix::JAhead(0)));
    }
    let head = out.len();
    let len = 1 + r.below(10) as usize;
    let mut exit = None;
    // Mostly a forward branch over one of its instructions: a loop of more than one basic
    // block (one of one block, short, is left for a superblock of its own to unroll).
    let skip = (r.below(4) != 0).then(|| r.below(len as u32) as usize);
    for k in 0..len {
        if skip == Some(k) {
            out.push(fixed(
                r_type(BRANCH, 4 + r.below(2), 0, 0, v, a),
                4,
                Fix::Ahead(2),
            ));
        }
        match r.below(12) {
            0..=2 => {
                let imm = [0, 4, -4, 8][r.below(4) as usize];
                int_access(r, ptr, v, imm, out);
            }
            3 if k == 0 || r.below(2) == 0 => {
                out.push(word(i_type(OP_IMM, 0, ptr, ptr, step)));
            }
            3 | 4 => {
                // addw subw sllw mulw xor
                let (op, f3, f7) = [
                    (OP_32, 0, 0),
                    (OP_32, 0, 0x20),
                    (OP_32, 1, 0),
                    (OP_32, 0, 1),
                    (OP, 4, 0),
                ][r.below(5) as usize];
                out.push(word(r_type(op, f3, f7, a, a, v)));
            }
            5 => out.push(word(i_type(OP_IMM_32, 0, u, v, r.next() as i32 >> 22))),
            6 => out.push(word(i_type(OP_IMM_32, 0, v, v, 0))),
            7 => {
                // fadd/fmul/fdiv.d or .s, dynamic rounding: flags set.
                let f7 = [0x00, 0x01, 0x08, 0x09, 0x0c, 0x0d][r.below(6) as usize];
                let (d, x, y) = (r.below(32), r.below(32), r.below(32));
                out.push(word(r_type(OP_FP, 7, f7, d, x, y)));
            }
            8 if exit.is_none() && k + 1 < len => {
                // Out of the loop, forward past it.
                exit = Some(out.len());
                out.push(fixed(
                    r_type(BRANCH, r.below(2), 0, 0, v, u),
                    4,
                    Fix::Ahead(0),
                ));
            }
            9 => out.push(word(i_type(0x73, 2, u, 0, isa_a::csr::INSTRET as i32))),
            _ => out.push(word(r_type(OP, 0, 0, u, u, a))),
        }
    }
    // The closing condition.
    let cond = out.len();
    let back = |out: &Vec<Item>| out.len() - head;
    match kind {
        0 | 1 => {
            out.push(word(i_type(OP_IMM, 0, c, c, -1)));
            if kind == 0 {
                let b = back(out);
                out.push(fixed(0xe001 | (c - 8) << 7, 2, Fix::CBack(b)));
            } else {
                let b = back(out);
                out.push(fixed(r_type(BRANCH, 1, 0, 0, c, 0), 4, Fix::Back(b)));
            }
        }
        2 => {
            let loaded = out[head..]
                .iter()
                .any(|it| it.bits & 0x7f == LOAD && it.bits >> 7 & 31 == v);
            if !loaded {
                out.push(word(i_type(LOAD, 2, v, ptr, 0)));
            }
            out.push(word(i_type(OP_IMM, 0, ptr, ptr, step)));
            // blt / bltu / bge v, a
            let f3 = [4, 6, 5][r.below(3) as usize];
            let b = back(out);
            out.push(fixed(r_type(BRANCH, f3, 0, 0, v, a), 4, Fix::Back(b)));
        }
        3 => {
            out.push(word(i_type(OP_IMM, 0, ptr, ptr, step)));
            let b = back(out);
            out.push(fixed(r_type(BRANCH, 1, 0, 0, ptr, e), 4, Fix::Back(b)));
        }
        _ => {
            out.push(word(i_type(OP_IMM, 0, c, c, 1)));
            out.push(word(r_type(OP, 2 + r.below(2), 0, t, c, e)));
            let b = back(out);
            out.push(fixed(r_type(BRANCH, 1, 0, 0, t, 0), 4, Fix::Back(b)));
        }
    }
    if rotated {
        out[jump].fix = Fix::JAhead(cond - jump);
    }
    // The suffix: reads of what the loop wrote.
    out.push(word(r_type(OP, 0, 0, u, u, v)));
    out.push(word(r_type(OP_32, 0, 0, a, a, c)));
    if r.below(2) == 0 {
        out.push(word(i_type(0x73, 2, t, 0, isa_a::csr::INSTRET as i32)));
    }
    if let Some(x) = exit {
        let n = out.len() - x;
        set_ahead(&mut out[x], n);
    }
}

/// Points a forward branch made with offset 0 at the instruction `n` after it.
fn set_ahead(it: &mut Item, n: usize) {
    it.fix = match it.fix {
        Fix::CAhead(_) => Fix::CAhead(n),
        _ => Fix::Ahead(n),
    };
}

/// A compressed branch on a register, or `c.j`.
fn compressed_branch(r: &mut Rng, out: &mut Vec<Item>) {
    let (f3, rs) = (5 + r.below(3), r.below(8));
    let rs = if f3 == 5 { 0 } else { rs };
    let fix = if f3 == 5 {
        Fix::CJump(r.choice())
    } else {
        Fix::CBranch(r.choice())
    };
    out.push(fixed(f3 << 13 | rs << 7 | 1, 2, fix));
}

/// An access that faults: to page 0 (unmapped), a store to the code, or one straddling the
/// end of the scratch region or of memory.
fn fault(r: &mut Rng, out: &mut Vec<Item>) {
    let (t, rd) = (r.reg(), r.reg());
    match r.below(4) {
        0 => out.push(word(i_type(OP_IMM, 0, t, 0, r.below(0x800) as i32))),
        1 => out.push(word(u_type(AUIPC, t, 0))),
        2 => out.push(word(u_type(LUI, t, (SCRATCH_END >> 12) as u32))),
        _ => out.push(word(u_type(LUI, t, (MEM >> 12) as u32))),
    }
    let imm = r.below(16) as i32 - 8;
    access(r, t, rd, imm, out);
}

const OP_FP: u32 = 0x53;
const SYSTEM: u32 = 0x73;

/// FP work on a few registers, so the block mirrors them in SSE registers and keeps their
/// writes there (lower/fregs.rs), with what must find them exact in the `Cpu` between the
/// writes: a guest access (into the scratch region, or faulting), a helper call (a fixed
/// rounding mode, `fcvt.wu.d`), an FP CSR access, a branch out, a NaN result ([`fp_nan_op`],
/// often into its own source; an fma whose NV only the helper raises, into a source or not);
/// singles among doubles (NaN-boxed in the mirror),
/// a compare between a flags read and write (with NaN operands, its flags live or dead),
/// moves to and from integer registers; looped a few times one time in two.
fn fp_chain(r: &mut Rng, out: &mut Vec<Item>) {
    let k = 2 + r.below(5);
    let regs: Vec<u32> = (0..k).map(|_| r.below(32)).collect();
    let c = r.reg();
    let looped = r.below(2) == 0;
    if looped {
        out.push(word(i_type(OP_IMM, 0, c, 0, 1 + r.below(5) as i32)));
    }
    let start = out.len();
    // An integer register other than the loop's counter.
    let x = |r: &mut Rng| match r.reg() {
        x if x == c => c % 31 + 1,
        x => x,
    };
    for _ in 0..4 + r.below(10) {
        let mut f = || regs[r.below(k) as usize];
        let (d, a, b, e) = (f(), f(), f(), f());
        let fmt = (r.below(4) != 0) as u32; // 1: double
        let dyn_rm = 7 << 12;
        match r.below(23) {
            // fadd fsub fmul fdiv
            0..=6 => {
                let f7 = r.below(4) << 2 | fmt;
                out.push(word(f7 << 25 | b << 20 | a << 15 | dyn_rm | d << 7 | OP_FP));
            }
            // fmadd fmsub fnmsub fnmadd
            7..=8 => {
                let op = [0x43, 0x47, 0x4b, 0x4f][r.below(4) as usize];
                out.push(word(
                    e << 27 | fmt << 25 | b << 20 | a << 15 | dyn_rm | d << 7 | op,
                ));
            }
            // fsgnj fsgnjn fsgnjx, fmin fmax, fsqrt
            9 => out.push(word(match r.below(3) {
                0 => r_type(OP_FP, r.below(3), 0x10 | fmt, d, a, b),
                1 => r_type(OP_FP, r.below(2), 0x14 | fmt, d, a, b),
                _ => (0x2c | fmt) << 25 | a << 15 | dyn_rm | d << 7 | OP_FP,
            })),
            // fmv.x.{w,d}, fmv.{w,d}.x, fcvt.d.w, fclass, feq/flt/fle
            10 => out.push(word(match r.below(5) {
                0 => r_type(OP_FP, 0, 0x70 | fmt, x(r), a, 0),
                1 => r_type(OP_FP, 0, 0x78 | fmt, d, x(r), 0),
                2 => 0x69 << 25 | x(r) << 15 | dyn_rm | d << 7 | OP_FP,
                3 => r_type(OP_FP, 1, 0x70 | fmt, x(r), a, 0),
                _ => r_type(OP_FP, r.below(3), 0x50 | fmt, x(r), a, b),
            })),
            // fld/fsd/flw/fsw into the scratch region, at page 0 (a host fault) or past the
            // end of memory (the helper's fault).
            11..=13 => {
                let base = x(r);
                let page = match r.below(6) {
                    0 => 0,
                    1 => (MEM >> 12) as u32,
                    _ => 5 + r.below(7),
                };
                out.push(word(u_type(LUI, base, page)));
                let (f3, imm) = (2 + fmt, (r.below(64) * 8) as i32);
                out.push(word(match r.below(2) {
                    0 => i_type(LOAD_FP, f3, d, base, imm),
                    _ => s_type(STORE_FP, f3, base, a, imm),
                }));
            }
            // Through the helper: an arithmetic with a fixed rounding mode (rne..rup), or
            // fcvt.wu.d.
            14 => out.push(word(match r.below(2) {
                0 => (fmt << 25) | b << 20 | a << 15 | r.below(4) << 12 | d << 7 | OP_FP,
                _ => 0x61 << 25 | 1 << 20 | a << 15 | dyn_rm | x(r) << 7 | OP_FP,
            })),
            // frflags, fsflags (native), frrm, fsrm x0 (the helper; rne stays)
            15 => out.push(word(match r.below(4) {
                0 => i_type(SYSTEM, 2, x(r), 0, csr::FFLAGS as i32),
                1 => i_type(SYSTEM, 1, x(r), x(r), csr::FFLAGS as i32),
                2 => i_type(SYSTEM, 2, x(r), 0, csr::FRM as i32),
                _ => i_type(SYSTEM, 1, x(r), 0, csr::FRM as i32),
            })),
            // A branch out (or anywhere in the sequence) on an FP compare.
            16 => {
                let t = x(r);
                out.push(word(r_type(OP_FP, r.below(3), 0x50 | fmt, t, a, b)));
                let w = r_type(BRANCH, r.below(2), 0, 0, t, 0);
                out.push(fixed(w, 4, Fix::Branch(r.choice())));
            }
            // A NaN result from special operands (fp_nan_op), into a source or another.
            17 => {
                let d = [a, b, d][r.below(3) as usize];
                let t = x(r);
                fp_nan_op(r, d, a, b, t, out);
            }
            // fmadd a, a, b, e with a = inf, b = 0, e = a quiet NaN: x86 raises no NV, so
            // the helper redoes it, and must find its sources unclobbered; the destination
            // is a multiplicand, the addend or another register.
            18 => {
                let (b, e, t) = ((a + 1) % 32, (a + 2) % 32, x(r));
                let double = fmt == 1;
                fp_special(a, t, INF, double, out);
                fp_special(e, t, QNAN, double, out);
                fp_special(b, t, ZERO, double, out);
                let d = [a, b, e, d][r.below(4) as usize];
                out.push(word(
                    e << 27 | fmt << 25 | b << 20 | a << 15 | dyn_rm | d << 7 | 0x43,
                ));
            }
            // frflags x; feq/flt/fle y, a, b; fsflags x (fp_flags.rs), a made a NaN first
            // (quiet or signalling, double or boxed single) one time in two, x overwritten
            // next one time in three (dead), y branched on one time in three.
            21..=22 => {
                let (x, mut y) = (x(r), x(r));
                while y == x || y == c {
                    y = y % 31 + 1;
                }
                if r.below(2) == 0 {
                    // A NaN's upper 20 bits: double quiet, double signalling, single quiet
                    // and single signalling (in the low half, boxed by fmv.w.x).
                    let (hi, double) = match r.below(4) {
                        0 => (0x7ff80, true),
                        1 => (0xfff40, true),
                        2 => (0x7fc00, false),
                        _ => (0xffa00, false),
                    };
                    out.push(word(u_type(LUI, y, hi)));
                    if double {
                        out.push(word(i_type(OP_IMM, 1, y, y, 32)));
                    }
                    let f7 = if double { 0x79 } else { 0x78 };
                    out.push(word(r_type(OP_FP, 0, f7, a, y, 0)));
                }
                out.push(word(i_type(SYSTEM, 2, x, 0, csr::FFLAGS as i32)));
                let (s, t) = if r.below(2) == 0 { (a, b) } else { (b, a) };
                out.push(word(r_type(OP_FP, r.below(3), 0x50 | fmt, y, s, t)));
                out.push(word(i_type(SYSTEM, 1, 0, x, csr::FFLAGS as i32)));
                match r.below(3) {
                    0 => out.push(word(i_type(OP_IMM, 0, x, 0, r.below(32) as i32))),
                    1 => {
                        let w = r_type(BRANCH, r.below(2), 0, 0, y, 0);
                        out.push(fixed(w, 4, Fix::Branch(r.choice())));
                    }
                    _ => {}
                }
            }
            // fmv.d.x from a register just set: a value the mirror starts from.
            _ => {
                let t = x(r);
                out.push(word(u_type(LUI, t, r.next() >> 12)));
                out.push(word(r_type(OP_FP, 0, 0x78 | fmt, d, t, 0)));
            }
        }
    }
    if looped {
        out.push(word(i_type(OP_IMM, 0, c, c, -1)));
        let back = out.len() - start;
        out.push(fixed(r_type(BRANCH, 1, 0, 0, c, 0), 4, Fix::Back(back)));
    }
}

/// Classes of special operands for [`fp_nan_op`], indices into [`DOUBLE_HI`] and
/// [`SINGLE_HI`].
const QNAN: usize = 0;
const QNAN_PAYLOAD: usize = 1;
const NEG_QNAN: usize = 2;
const SNAN: usize = 3;
const NEG_SNAN: usize = 4;
const INF: usize = 5;
const NEG_INF: usize = 6;
const ZERO: usize = 7;
const NEG_ZERO: usize = 8;
const NEG_ONE: usize = 9;
const ONE: usize = 10;
/// Each class's upper 20 bits: of a double, and of a single (in the low half).
const DOUBLE_HI: [u32; 11] = [
    0x7ff80, 0x7ffac, 0xfff80, 0x7ff40, 0xfff4c, 0x7ff00, 0xfff00, 0, 0x80000, 0xbff00, 0x3ff00,
];
const SINGLE_HI: [u32; 11] = [
    0x7fc00, 0x7fcac, 0xffc00, 0x7fa00, 0xffa4c, 0x7f800, 0xff800, 0, 0x80000, 0xbf800, 0x3f800,
];

/// `f = ` a value of `class` through integer register `t`: a double, or a single boxed by
/// `fmv.w.x`.
fn fp_special(f: u32, t: u32, class: usize, double: bool, out: &mut Vec<Item>) {
    let hi = if double { DOUBLE_HI } else { SINGLE_HI }[class];
    out.push(word(u_type(LUI, t, hi)));
    if double {
        out.push(word(i_type(OP_IMM, 1, t, t, 32)));
    }
    let f7 = if double { 0x79 } else { 0x78 };
    out.push(word(r_type(OP_FP, 0, f7, f, t, 0)));
}

/// `fadd`/`fsub`/`fmul`/`fdiv d, a, b` or `fsqrt d, a` (either precision) on special
/// operands set just before through `t`: mostly a pair that makes a NaN (inf-inf, 0*inf,
/// 0/0, inf/inf, the root of a negative, a signalling or a quiet NaN with a payload, of
/// either sign), else any two classes. lower/fp_arith.rs writes RISC-V's canonical NaN
/// itself there, the flags being the host's.
fn fp_nan_op(r: &mut Rng, d: u32, a: u32, b: u32, t: u32, out: &mut Vec<Item>) {
    /// (a's class, b's class, the operation: add sub mul div sqrt, or any).
    const PAIRS: [(usize, usize, Option<u32>); 11] = [
        (INF, INF, Some(1)),
        (INF, NEG_INF, Some(0)),
        (ZERO, INF, Some(2)),
        (NEG_INF, NEG_ZERO, Some(2)),
        (ZERO, NEG_ZERO, Some(3)),
        (NEG_INF, INF, Some(3)),
        (NEG_ONE, ONE, Some(4)),
        (SNAN, ONE, None),
        (ONE, NEG_SNAN, None),
        (QNAN_PAYLOAD, INF, None),
        (NEG_ONE, NEG_QNAN, None),
    ];
    let double = r.below(2) == 0;
    let (ca, cb, op) = match r.below(4) {
        0 => (r.below(11) as usize, r.below(11) as usize, None),
        _ => PAIRS[r.below(PAIRS.len() as u32) as usize],
    };
    let op = op.unwrap_or_else(|| r.below(5));
    fp_special(a, t, ca, double, out);
    if b != a {
        fp_special(b, t, cb, double, out);
    }
    let (fmt, dyn_rm) = (double as u32, 7 << 12);
    out.push(word(match op {
        4 => (0x2c | fmt) << 25 | a << 15 | dyn_rm | d << 7 | OP_FP,
        _ => (op << 2 | fmt) << 25 | b << 20 | a << 15 | dyn_rm | d << 7 | OP_FP,
    }));
}

/// [`fp_nan_op`]s on three registers, the destination one of the sources one time in
/// three each; one time in two after fourteen other registers are each used more, so the
/// block's mirrors (lower/fregs.rs) go to those and the three stay in their slots.
fn fp_nan(r: &mut Rng, out: &mut Vec<Item>) {
    let (a, b, t) = (r.below(32), r.below(32), r.reg());
    let d = [a, b, r.below(32)][r.below(3) as usize];
    let spilled = r.below(2) == 0;
    if spilled {
        let mut f = r.below(32);
        for _ in 0..14 {
            while [a, b, d].contains(&f) {
                f = (f + 1) % 32;
            }
            for _ in 0..3 {
                out.push(word(r_type(OP_FP, 7, 0x01, f, f, f)));
            }
            f = (f + 1) % 32;
        }
    }
    for _ in 0..if spilled { 1 } else { 1 + r.below(3) } {
        fp_nan_op(r, d, a, b, t, out);
    }
}

/// A shift by a constant: `slli[w]`/`srli[w]` (the 64-bit ones compressed when they can be
/// and `compressed` says so).
fn shift_by(left: bool, wide: bool, rd: u32, rs: u32, by: u32, compressed: bool) -> Item {
    if compressed && wide && rd == rs && by != 0 {
        if left {
            return fixed((by >> 5) << 12 | rd << 7 | (by & 31) << 2 | 2, 2, Fix::None);
        }
        if (8..16).contains(&rd) {
            let h = 4 << 13 | (by >> 5) << 12 | (rd - 8) << 7 | (by & 31) << 2 | 1;
            return fixed(h, 2, Fix::None);
        }
    }
    let op = if wide { OP_IMM } else { OP_IMM_32 };
    word(i_type(op, if left { 1 } else { 5 }, rd, rs, by as i32))
}

/// Rotates as compilers write them (lower/rotate.rs): `srli[w] t, x, n`, `slli[w] u, x, w-n`,
/// `or r, t, u` (either shift first, either operand order), up to three with their shifts
/// interleaved as gcc schedules them, every amount, 0 and w-1 often. Near misses must not
/// become rotates: amounts that do not add up to the width, mixed widths, another source, a
/// destination that is x or the other shift's, an instruction between that reads a
/// destination or writes x, a `fence` (not pure) between. The destinations are overwritten
/// after, or not (then the rotate writes them too).
fn rotates(r: &mut Rng, out: &mut Vec<Item>) {
    let k = 1 + r.below(3) as usize;
    let compressed = r.below(4) == 0;
    let reg = |r: &mut Rng| if compressed { 8 + r.below(8) } else { r.reg() };
    let (mut shifts, mut ors, mut temps) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..k {
        let wide = r.below(2) == 0;
        let width = if wide { 64 } else { 32 };
        let n = match r.below(8) {
            0 => 1,
            1 => width - 1,
            2 => 0,
            _ => 1 + r.below(width - 1),
        };
        let miss = r.below(6) == 0;
        let (x, t, u) = (reg(r), reg(r), reg(r));
        let x2 = if miss && r.below(3) == 0 { reg(r) } else { x };
        let wide2 = if miss && r.below(3) == 0 { !wide } else { wide };
        let m = if miss && r.below(3) == 0 {
            r.below(width)
        } else {
            (width - n) % width
        };
        let m = if wide2 { m } else { m % 32 };
        let pair = [
            shift_by(false, wide, t, x, n, compressed),
            shift_by(true, wide2, u, x2, m, compressed),
        ];
        let flip = r.below(2) as usize;
        shifts.push(vec![pair[flip], pair[1 - flip]]);
        let rd = match r.below(4) {
            0 => t,
            1 => u,
            2 => x,
            _ => reg(r),
        };
        let (a, b) = if r.below(2) == 0 { (t, u) } else { (u, t) };
        ors.push(if compressed && rd == a && (8..16).contains(&b) {
            fixed(0x8c41 | (a - 8) << 7 | (b - 8) << 2, 2, Fix::None)
        } else {
            word(r_type(OP, 6, 0, rd, a, b))
        });
        temps.extend([t, u, x]);
    }
    // Interleaved: the next shift from a random rotate, each rotate's in order.
    while shifts.iter().any(|s| !s.is_empty()) {
        let i = r.below(k as u32) as usize;
        if !shifts[i].is_empty() {
            out.push(shifts[i].remove(0));
        }
        if r.below(10) == 0 {
            let (d, s) = (temps[r.below(temps.len() as u32) as usize], reg(r));
            out.push(match r.below(3) {
                0 => word(0x0ff0_000f), // fence
                1 => word(i_type(OP_IMM, 0, d, s, 1)),
                _ => word(i_type(OP_IMM, 0, s, d, 1)),
            });
        }
    }
    for i in (1..ors.len()).rev() {
        ors.swap(i, r.below(i as u32 + 1) as usize);
    }
    out.extend(ors);
    if r.below(3) != 0 {
        for t in temps {
            if r.below(2) == 0 {
                out.push(word(i_type(OP_IMM, 0, t, 0, r.below(64) as i32)));
            }
        }
    }
}

/// Shifts by a register (`sll`/`srl`/`sra` and their `*w` forms, lower/alu.rs: `shlx`/
/// `shrx`/`sarx` with BMI2): the count set to any 12-bit value (past the width, negative)
/// or left random, the destination the source, the count, both, or another register,
/// x0 as a source one time in eight; one time in two after fourteen other registers are
/// each used more, so the three live in their slots.
fn register_shifts(r: &mut Rng, out: &mut Vec<Item>) {
    let pick = |r: &mut Rng| if r.below(8) == 0 { 0 } else { r.reg() };
    let (x, n) = (pick(r), pick(r));
    if r.below(2) == 0 && n != 0 {
        out.push(word(i_type(OP_IMM, 0, n, 0, r.next() as i32 >> 20)));
    }
    if r.below(2) == 0 {
        let mut f = r.reg();
        for _ in 0..14 {
            while [x, n].contains(&f) {
                f = f % 31 + 1;
            }
            for _ in 0..3 {
                out.push(word(i_type(OP_IMM, 0, f, f, 1)));
            }
            f = f % 31 + 1;
        }
    }
    for _ in 0..1 + r.below(3) {
        let d = match r.below(5) {
            0 => x,
            1 => n,
            _ => r.reg(),
        };
        let (f3, f7) = [(1, 0), (5, 0), (5, 0x20)][r.below(3) as usize];
        let op = if r.below(2) == 0 { OP } else { OP_32 };
        out.push(word(r_type(op, f3, f7, d, x, n)));
    }
}

/// `not t, x` and, later, `and d, t, y` (either operand order: lower/andn.rs's `andn`), as
/// gcc schedules sha256's `~e & g`: up to six instructions between, some `*w` operations
/// on x and y first (left unextended or not, lower/lazy.rs) and after on d, a `sext.w` of
/// d (a copy where d is known extended and exact, a `movsxd` where it is not); near misses
/// must stay two instructions: x or t written between, t read between or after (then not
/// overwritten), a `fence` between, x the same register as t.
fn not_and(r: &mut Rng, out: &mut Vec<Item>) {
    let (x, t, y) = (r.reg(), r.reg(), r.reg());
    let x = if r.below(8) == 0 { t } else { x };
    let others = [x, t, y];
    let other = |r: &mut Rng| {
        let mut o = r.reg();
        while others.contains(&o) {
            o = o % 31 + 1;
        }
        o
    };
    if r.below(2) == 0 {
        let (f3, f7) = [(0, 0), (0, 0x20), (1, 0), (5, 0)][r.below(4) as usize];
        out.push(word(r_type(OP_32, f3, f7, x, x, y)));
    }
    if r.below(2) == 0 {
        out.push(word(i_type(OP_IMM_32, 0, y, y, 1)));
    }
    out.push(word(i_type(OP_IMM, 4, t, x, -1)));
    for _ in 0..r.below(7) {
        let (a, b) = (other(r), other(r));
        out.push(word(match r.below(10) {
            0 | 1 => i_type(OP_IMM, 0, [x, t][r.below(2) as usize], a, 1),
            2 => r_type(OP, 0, 0, a, t, b),
            3 => 0x0ff0_000f, // fence
            _ => r_type(OP_32, 0, 0, a, a, b),
        }));
    }
    let d = match r.below(3) {
        0 => t,
        1 => y,
        _ => other(r),
    };
    let (a, b) = if r.below(2) == 0 { (t, y) } else { (y, t) };
    out.push(word(r_type(OP, 7, 0, d, a, b)));
    match r.below(4) {
        0 => out.push(word(r_type(OP, 0, 0, other(r), t, d))),
        1 => out.push(word(i_type(OP_IMM, 0, t, 0, 5))),
        _ => {}
    }
    if r.below(2) == 0 {
        out.push(word(r_type(OP_32, 0, 0, d, d, x)));
    }
    if r.below(2) == 0 {
        // x's `*w` result above, and d, read only by the pair and here: left unextended.
        out.push(word(i_type(OP_IMM_32, 0, other(r), d, 0)));
        out.push(word(i_type(OP_IMM, 0, x, 0, 3)));
        out.push(word(i_type(OP_IMM, 0, d, 0, 7)));
    }
}

/// Builds the code: each [`Gen`] expanded, targets fixed, an `ecall` last.
pub fn build(gens: &[Gen]) -> Vec<u8> {
    let int = int_opcodes();
    let mut items = Vec::new();
    for g in gens {
        let mut r = Rng::new(g);
        match g.kind {
            k @ 0..=119 if k % 16 == 0 => compressed(&mut r, &mut items),
            k @ 0..=119 if k % 16 == 8 => fp_chain(&mut r, &mut items),
            k @ 0..=119 if k % 16 == 12 => diamond_loop(&mut r, &mut items),
            k @ 0..=119 if k % 16 == 4 => one_base(&mut r, &mut items),
            k @ 0..=119 if k % 16 == 2 => regions(&mut r, &mut items),
            k @ 0..=119 if k % 16 == 6 => zero_branch(&mut r, &mut items),
            k @ 0..=119 if k % 16 == 10 => select_loop(&mut r, &mut items),
            k @ 0..=119 if k % 16 == 14 => word_loop(&mut r, &mut items),
            k @ 0..=119 if k % 16 == 9 => table_lookups(&mut r, &mut items),
            k @ 0..=119 if k % 16 == 11 => unroll_loop(&mut r, &mut items),
            k @ 0..=119 if k % 16 == 13 => address_sums(&mut r, &mut items),
            k @ 0..=119 if k % 16 == 5 => lazy_exits(&mut r, &mut items),
            k @ 0..=119 if k % 16 == 1 => inner_loops(&mut r, &mut items),
            k @ 0..=119 => single(&mut r, k % 4 == 1, &int, &mut items),
            120..=135 => lui_pair(&mut r, &mut items),
            136..=151 => auipc_pair(&mut r, &mut items),
            152..=171 | 236..=239 => address(&mut r, &mut items),
            172..=181 => shift_pair(&mut r, &mut items),
            182..=189 => extension(&mut r, &mut items),
            190..=195 => compare_branch(&mut r, &mut items),
            196..=203 => lazy_chain(&mut r, &mut items),
            204..=209 => slots_loop(&mut r, &mut items),
            210..=215 => pressure(&mut r, &mut items),
            216..=231 => compressed_branch(&mut r, &mut items),
            232..=235 => fault(&mut r, &mut items),
            240..=247 => pressure_loop(&mut r, &mut items),
            248..=251 => call_return(&mut r, &mut items),
            252 => register_shifts(&mut r, &mut items),
            253 => fp_nan(&mut r, &mut items),
            254 => rotates(&mut r, &mut items),
            _ => not_and(&mut r, &mut items),
        }
    }
    items.push(word(0x0000_0073));
    let mut starts = Vec::new();
    let mut at = 0i64;
    for it in &items {
        starts.push(at);
        at += it.len as i64;
    }
    assert!(at as u64 <= CODE_END - CODE, "{at} bytes of code");
    let pick = |choice: u16, from: i64, lo: i64, hi: i64| {
        let ok: Vec<i64> = starts
            .iter()
            .map(|s| s - from)
            .filter(|o| (lo..=hi).contains(o))
            .collect();
        ok[choice as usize % ok.len()]
    };
    let mut bytes = Vec::new();
    for (i, it) in items.iter().enumerate() {
        let here = starts[i];
        let (bits, off) = match it.fix {
            Fix::None => (it.bits, None),
            Fix::Branch(c) => with(it.bits, pick(c, here, -4096, 4094), b_imm),
            Fix::Back(n) => with(it.bits, starts[i - n] - here, b_imm),
            Fix::CBack(n) => with(it.bits, starts[i - n] - here, cb_imm),
            Fix::Ahead(n) => with(it.bits, starts[i + n] - here, b_imm),
            Fix::CAhead(n) => with(it.bits, starts[i + n] - here, cb_imm),
            Fix::JAhead(n) => with(it.bits, starts[i + n] - here, j_imm),
            Fix::Jal(c) => with(it.bits, pick(c, here, -(1 << 20), (1 << 20) - 2), j_imm),
            Fix::CBranch(c) => with(it.bits, pick(c, here, -256, 254), cb_imm),
            Fix::CJump(c) => with(it.bits, pick(c, here, -2048, 2046), cj_imm),
            Fix::FromAuipc { choice, back } => {
                let off = pick(choice, starts[i - back], -2048, 2047);
                (it.bits | (off as u32 & 0xfff) << 20, None)
            }
        };
        // The encoders are checked against the decoder on every use.
        match decode(bits) {
            Ok(d) if d.len == it.len && (off.is_none() || offset(d.insn) == off) => {}
            other => panic!("generated {bits:#x} ({it:?}, offset {off:?}) decodes as {other:?}"),
        }
        bytes.extend_from_slice(&bits.to_le_bytes()[..it.len as usize]);
    }
    bytes
}

fn with(bits: u32, off: i64, imm: fn(i64) -> u32) -> (u32, Option<i64>) {
    (bits | imm(off), Some(off))
}

/// A branch's or `jal`'s offset.
fn offset(i: isa_a::Insn) -> Option<i64> {
    i.direct_target(0).map(|t| t as i64)
}
