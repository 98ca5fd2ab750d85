//! The differential test's generator: random code that reaches what the translator emits.
//!
//! A case is a list of [`Gen`]s; each one becomes one instruction from isa-a's table (any row,
//! compressed forms too) or one of the sequences compilers emit and the translator lowers or
//! fuses: `lui`+`addi[w]`, `lui`+load/store, `auipc`+`addi`/load/store/`jalr`,
//! `andi`/`slli`/`add` address arithmetic before a load or store, `slli`+`srli`
//! zero-extension, `addiw x,x,0`, a compare and a branch on its result, a chain through
//! all 31 registers, loops under register pressure (many registers used many times an
//! iteration, dead writes), loops around if-then and if-then-else diamonds (forward branches
//! to a join in the same superblock), and calls with their returns (predicted or not). Operands are random
//! where any value is fine, and chosen where a random one would only reach the slow path:
//! rounding modes are mostly `dyn`, CSR numbers name CSRs a program may touch, and every
//! branch, jump and `jalr` lands on an instruction of the sequence. Faults come from
//! sequences made to fault (unmapped pages, the code pages written, the ends of mappings).
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
    /// B-type branch to the instruction this many before.
    Back(usize),
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

/// `addiw rd, rs, 0` (sign-extension; `sext.w` when rd is rs).
fn sext(r: &mut Rng, out: &mut Vec<Item>) {
    let rd = r.reg();
    let rs = if r.below(3) == 0 { r.reg() } else { rd };
    out.push(word(i_type(OP_IMM_32, 0, rd, rs, 0)));
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

/// Builds the code: each [`Gen`] expanded, targets fixed, an `ecall` last.
pub fn build(gens: &[Gen]) -> Vec<u8> {
    let int = int_opcodes();
    let mut items = Vec::new();
    for g in gens {
        let mut r = Rng::new(g);
        match g.kind {
            k @ 0..=119 if k % 16 == 0 => compressed(&mut r, &mut items),
            k @ 0..=119 => single(&mut r, k % 4 == 1, &int, &mut items),
            120..=135 => lui_pair(&mut r, &mut items),
            136..=151 => auipc_pair(&mut r, &mut items),
            152..=171 | 236..=239 => address(&mut r, &mut items),
            172..=181 => shift_pair(&mut r, &mut items),
            182..=189 => sext(&mut r, &mut items),
            190..=209 => compare_branch(&mut r, &mut items),
            210..=215 => pressure(&mut r, &mut items),
            216..=231 => compressed_branch(&mut r, &mut items),
            232..=235 => fault(&mut r, &mut items),
            240..=247 => pressure_loop(&mut r, &mut items),
            248..=251 => call_return(&mut r, &mut items),
            252..=255 => diamond_loop(&mut r, &mut items),
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
