//! Operand formats: where each operand sits in a 32-bit instruction word.
//!
//! This is the only place that knows the bit positions of operands. Every format is a small typed
//! struct; immediates arrive sign-extended and scaled, so later stages never shift or mask.
//! A format's `from_bits` sees the whole word and returns `None` for operand values the ISA
//! reserves (a rounding mode of 5 or 6); the fixed opcode bits are the table's business.

use crate::reg::{FReg, Rm, XReg};
use std::fmt::{self, Write};

#[inline(always)]
const fn field(w: u32, lo: u32, len: u32) -> u32 {
    (w >> lo) & ((1 << len) - 1)
}

/// Sign-extends the low `bits` bits of `v`.
#[inline(always)]
const fn sext(v: u32, bits: u32) -> i32 {
    let s = 32 - bits;
    ((v << s) as i32) >> s
}

#[inline(always)]
fn rd(w: u32) -> u32 {
    field(w, 7, 5)
}
#[inline(always)]
fn rs1(w: u32) -> u32 {
    field(w, 15, 5)
}
#[inline(always)]
fn rs2(w: u32) -> u32 {
    field(w, 20, 5)
}
#[inline(always)]
fn rs3(w: u32) -> u32 {
    field(w, 27, 5)
}
#[inline(always)]
fn rm(w: u32) -> Option<Rm> {
    Rm::from_bits(field(w, 12, 3))
}

const fn put_rd(r: usize) -> u32 {
    (r as u32) << 7
}
const fn put_rs1(r: usize) -> u32 {
    (r as u32) << 15
}
const fn put_rs2(r: usize) -> u32 {
    (r as u32) << 20
}
const fn put_rs3(r: usize) -> u32 {
    (r as u32) << 27
}
const fn put_rm(rm: Rm) -> u32 {
    rm.bits() << 12
}

fn imm_i(w: u32) -> i32 {
    (w as i32) >> 20
}
fn put_imm_i(imm: i32) -> u32 {
    ((imm as u32) & 0xfff) << 20
}
fn imm_s(w: u32) -> i32 {
    sext((field(w, 25, 7) << 5) | field(w, 7, 5), 12)
}
fn put_imm_s(imm: i32) -> u32 {
    let v = imm as u32;
    (field(v, 5, 7) << 25) | (field(v, 0, 5) << 7)
}
fn imm_b(w: u32) -> i32 {
    sext(
        (field(w, 31, 1) << 12)
            | (field(w, 7, 1) << 11)
            | (field(w, 25, 6) << 5)
            | (field(w, 8, 4) << 1),
        13,
    )
}
fn put_imm_b(imm: i32) -> u32 {
    let v = imm as u32;
    (field(v, 12, 1) << 31)
        | (field(v, 11, 1) << 7)
        | (field(v, 5, 6) << 25)
        | (field(v, 1, 4) << 8)
}
fn imm_j(w: u32) -> i32 {
    sext(
        (field(w, 31, 1) << 20)
            | (field(w, 12, 8) << 12)
            | (field(w, 20, 1) << 11)
            | (field(w, 21, 10) << 1),
        21,
    )
}
fn put_imm_j(imm: i32) -> u32 {
    let v = imm as u32;
    (field(v, 20, 1) << 31)
        | (field(v, 12, 8) << 12)
        | (field(v, 11, 1) << 20)
        | (field(v, 1, 10) << 21)
}

/// How a format turns into and out of bits, and into objdump-style text.
pub trait Format: Copy + Eq + fmt::Debug {
    /// The operands of `w`, or `None` when an operand takes a reserved value.
    fn from_bits(w: u32) -> Option<Self>;
    /// The operand bits; the table's fixed bits are ORed in by the caller.
    fn to_bits(self) -> u32;
    /// Writes the instruction text. `pc` turns pc-relative offsets into absolute targets.
    fn disasm(self, mnemonic: &str, pc: Option<u64>, out: &mut dyn Write) -> fmt::Result;
}

fn target(out: &mut dyn Write, off: i32, pc: Option<u64>) -> fmt::Result {
    match pc {
        Some(pc) => write!(out, "0x{:x}", pc.wrapping_add(off as i64 as u64)),
        None => write!(out, "{off}"),
    }
}

fn rm_suffix(out: &mut dyn Write, rm: Rm) -> fmt::Result {
    match rm {
        Rm::Dyn => Ok(()),
        rm => write!(out, ",{}", rm.name()),
    }
}

macro_rules! format_struct {
    ($(#[$m:meta])* $name:ident { $($f:ident : $t:ty),* }) => {
        $(#[$m])*
        #[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
        pub struct $name { $(pub $f: $t),* }
    };
}

format_struct!(/// Register-register: `add rd,rs1,rs2`.
    R { rd: XReg, rs1: XReg, rs2: XReg });
impl Format for R {
    fn from_bits(w: u32) -> Option<Self> {
        Some(R {
            rd: XReg::new(rd(w)),
            rs1: XReg::new(rs1(w)),
            rs2: XReg::new(rs2(w)),
        })
    }
    fn to_bits(self) -> u32 {
        put_rd(self.rd.num()) | put_rs1(self.rs1.num()) | put_rs2(self.rs2.num())
    }
    fn disasm(self, m: &str, _: Option<u64>, out: &mut dyn Write) -> fmt::Result {
        write!(out, "{m} {},{},{}", self.rd, self.rs1, self.rs2)
    }
}

format_struct!(/// Register-immediate: `addi rd,rs1,imm`, the immediate 12 bits signed.
    I { rd: XReg, rs1: XReg, imm: i32 });
impl Format for I {
    fn from_bits(w: u32) -> Option<Self> {
        Some(I {
            rd: XReg::new(rd(w)),
            rs1: XReg::new(rs1(w)),
            imm: imm_i(w),
        })
    }
    fn to_bits(self) -> u32 {
        put_rd(self.rd.num()) | put_rs1(self.rs1.num()) | put_imm_i(self.imm)
    }
    fn disasm(self, m: &str, _: Option<u64>, out: &mut dyn Write) -> fmt::Result {
        write!(out, "{m} {},{},{}", self.rd, self.rs1, self.imm)
    }
}

format_struct!(/// A load or `jalr`: `ld rd,imm(rs1)`.
    Load { rd: XReg, rs1: XReg, imm: i32 });
impl Format for Load {
    fn from_bits(w: u32) -> Option<Self> {
        Some(Load {
            rd: XReg::new(rd(w)),
            rs1: XReg::new(rs1(w)),
            imm: imm_i(w),
        })
    }
    fn to_bits(self) -> u32 {
        put_rd(self.rd.num()) | put_rs1(self.rs1.num()) | put_imm_i(self.imm)
    }
    fn disasm(self, m: &str, _: Option<u64>, out: &mut dyn Write) -> fmt::Result {
        write!(out, "{m} {},{}({})", self.rd, self.imm, self.rs1)
    }
}

format_struct!(/// A store: `sd rs2,imm(rs1)`.
    Store { rs1: XReg, rs2: XReg, imm: i32 });
impl Format for Store {
    fn from_bits(w: u32) -> Option<Self> {
        Some(Store {
            rs1: XReg::new(rs1(w)),
            rs2: XReg::new(rs2(w)),
            imm: imm_s(w),
        })
    }
    fn to_bits(self) -> u32 {
        put_rs1(self.rs1.num()) | put_rs2(self.rs2.num()) | put_imm_s(self.imm)
    }
    fn disasm(self, m: &str, _: Option<u64>, out: &mut dyn Write) -> fmt::Result {
        write!(out, "{m} {},{}({})", self.rs2, self.imm, self.rs1)
    }
}

format_struct!(/// A shift by a 6-bit immediate (RV64 `slli`, `srli`, `srai`).
    Shift { rd: XReg, rs1: XReg, shamt: u32 });
impl Format for Shift {
    fn from_bits(w: u32) -> Option<Self> {
        Some(Shift {
            rd: XReg::new(rd(w)),
            rs1: XReg::new(rs1(w)),
            shamt: field(w, 20, 6),
        })
    }
    fn to_bits(self) -> u32 {
        put_rd(self.rd.num()) | put_rs1(self.rs1.num()) | ((self.shamt & 63) << 20)
    }
    fn disasm(self, m: &str, _: Option<u64>, out: &mut dyn Write) -> fmt::Result {
        write!(out, "{m} {},{},0x{:x}", self.rd, self.rs1, self.shamt)
    }
}

format_struct!(/// A word shift by a 5-bit immediate (`slliw`, `srliw`, `sraiw`).
    ShiftW { rd: XReg, rs1: XReg, shamt: u32 });
impl Format for ShiftW {
    fn from_bits(w: u32) -> Option<Self> {
        Some(ShiftW {
            rd: XReg::new(rd(w)),
            rs1: XReg::new(rs1(w)),
            shamt: field(w, 20, 5),
        })
    }
    fn to_bits(self) -> u32 {
        put_rd(self.rd.num()) | put_rs1(self.rs1.num()) | ((self.shamt & 31) << 20)
    }
    fn disasm(self, m: &str, _: Option<u64>, out: &mut dyn Write) -> fmt::Result {
        write!(out, "{m} {},{},0x{:x}", self.rd, self.rs1, self.shamt)
    }
}

format_struct!(/// A conditional branch; `off` is relative to the branch's own pc.
    B { rs1: XReg, rs2: XReg, off: i32 });
impl Format for B {
    fn from_bits(w: u32) -> Option<Self> {
        Some(B {
            rs1: XReg::new(rs1(w)),
            rs2: XReg::new(rs2(w)),
            off: imm_b(w),
        })
    }
    fn to_bits(self) -> u32 {
        put_rs1(self.rs1.num()) | put_rs2(self.rs2.num()) | put_imm_b(self.off)
    }
    fn disasm(self, m: &str, pc: Option<u64>, out: &mut dyn Write) -> fmt::Result {
        write!(out, "{m} {},{},", self.rs1, self.rs2)?;
        target(out, self.off, pc)
    }
}

format_struct!(/// `lui`/`auipc`: `imm` is the full value, its low 12 bits zero.
    U { rd: XReg, imm: i32 });
impl Format for U {
    fn from_bits(w: u32) -> Option<Self> {
        Some(U {
            rd: XReg::new(rd(w)),
            imm: (w & 0xffff_f000) as i32,
        })
    }
    fn to_bits(self) -> u32 {
        put_rd(self.rd.num()) | (self.imm as u32 & 0xffff_f000)
    }
    fn disasm(self, m: &str, _: Option<u64>, out: &mut dyn Write) -> fmt::Result {
        write!(out, "{m} {},0x{:x}", self.rd, (self.imm as u32) >> 12)
    }
}

format_struct!(/// `jal`: `off` is relative to its own pc.
    J { rd: XReg, off: i32 });
impl Format for J {
    fn from_bits(w: u32) -> Option<Self> {
        Some(J {
            rd: XReg::new(rd(w)),
            off: imm_j(w),
        })
    }
    fn to_bits(self) -> u32 {
        put_rd(self.rd.num()) | put_imm_j(self.off)
    }
    fn disasm(self, m: &str, pc: Option<u64>, out: &mut dyn Write) -> fmt::Result {
        write!(out, "{m} {},", self.rd)?;
        target(out, self.off, pc)
    }
}

format_struct!(/// `fence pred,succ` with its fence mode (`fm` = 8 with rw,rw is `fence.tso`).
    /// The rd and rs1 fields are reserved and ignored, as the ISA asks.
    Fence { fm: u32, pred: u32, succ: u32 });
impl Format for Fence {
    fn from_bits(w: u32) -> Option<Self> {
        Some(Fence {
            fm: field(w, 28, 4),
            pred: field(w, 24, 4),
            succ: field(w, 20, 4),
        })
    }
    fn to_bits(self) -> u32 {
        ((self.fm & 15) << 28) | ((self.pred & 15) << 24) | ((self.succ & 15) << 20)
    }
    fn disasm(self, m: &str, _: Option<u64>, out: &mut dyn Write) -> fmt::Result {
        if self.fm == 8 && self.pred == 3 && self.succ == 3 {
            return out.write_str("fence.tso");
        }
        fn set(out: &mut dyn Write, bits: u32) -> fmt::Result {
            if bits == 0 {
                return out.write_str("0");
            }
            for (bit, c) in [(8, 'i'), (4, 'o'), (2, 'r'), (1, 'w')] {
                if bits & bit != 0 {
                    out.write_char(c)?;
                }
            }
            Ok(())
        }
        write!(out, "{m} ")?;
        set(out, self.pred)?;
        out.write_char(',')?;
        set(out, self.succ)
    }
}

format_struct!(/// No operands (`ecall`, `ebreak`, `fence.i`); reserved fields are ignored.
    Nullary {});
impl Format for Nullary {
    fn from_bits(_: u32) -> Option<Self> {
        Some(Nullary {})
    }
    fn to_bits(self) -> u32 {
        0
    }
    fn disasm(self, m: &str, _: Option<u64>, out: &mut dyn Write) -> fmt::Result {
        out.write_str(m)
    }
}

/// The name objdump gives a CSR number, where it is one a user program may know.
pub fn csr_name(csr: u32) -> Option<&'static str> {
    Some(match csr {
        0x001 => "fflags",
        0x002 => "frm",
        0x003 => "fcsr",
        0xc00 => "cycle",
        0xc01 => "time",
        0xc02 => "instret",
        _ => return None,
    })
}

fn write_csr(out: &mut dyn Write, csr: u32) -> fmt::Result {
    match csr_name(csr) {
        Some(n) => out.write_str(n),
        None => write!(out, "0x{csr:x}"),
    }
}

format_struct!(/// `csrrw rd,csr,rs1`.
    Csr { rd: XReg, rs1: XReg, csr: u32 });
impl Format for Csr {
    fn from_bits(w: u32) -> Option<Self> {
        Some(Csr {
            rd: XReg::new(rd(w)),
            rs1: XReg::new(rs1(w)),
            csr: field(w, 20, 12),
        })
    }
    fn to_bits(self) -> u32 {
        put_rd(self.rd.num()) | put_rs1(self.rs1.num()) | ((self.csr & 0xfff) << 20)
    }
    fn disasm(self, m: &str, _: Option<u64>, out: &mut dyn Write) -> fmt::Result {
        write!(out, "{m} {},", self.rd)?;
        write_csr(out, self.csr)?;
        write!(out, ",{}", self.rs1)
    }
}

format_struct!(/// `csrrwi rd,csr,uimm` with a 5-bit unsigned immediate.
    CsrI { rd: XReg, uimm: u32, csr: u32 });
impl Format for CsrI {
    fn from_bits(w: u32) -> Option<Self> {
        Some(CsrI {
            rd: XReg::new(rd(w)),
            uimm: rs1(w),
            csr: field(w, 20, 12),
        })
    }
    fn to_bits(self) -> u32 {
        put_rd(self.rd.num()) | put_rs1((self.uimm & 31) as usize) | ((self.csr & 0xfff) << 20)
    }
    fn disasm(self, m: &str, _: Option<u64>, out: &mut dyn Write) -> fmt::Result {
        write!(out, "{m} {},", self.rd)?;
        write_csr(out, self.csr)?;
        write!(out, ",{}", self.uimm)
    }
}

fn aqrl_suffix(aq: bool, rl: bool) -> &'static str {
    match (aq, rl) {
        (false, false) => "",
        (true, false) => ".aq",
        (false, true) => ".rl",
        (true, true) => ".aqrl",
    }
}

format_struct!(/// An atomic memory operation or `sc`: `amoadd.w.aq rd,rs2,(rs1)`.
    Amo { rd: XReg, rs1: XReg, rs2: XReg, aq: bool, rl: bool });
impl Format for Amo {
    fn from_bits(w: u32) -> Option<Self> {
        Some(Amo {
            rd: XReg::new(rd(w)),
            rs1: XReg::new(rs1(w)),
            rs2: XReg::new(rs2(w)),
            aq: field(w, 26, 1) != 0,
            rl: field(w, 25, 1) != 0,
        })
    }
    fn to_bits(self) -> u32 {
        put_rd(self.rd.num())
            | put_rs1(self.rs1.num())
            | put_rs2(self.rs2.num())
            | ((self.aq as u32) << 26)
            | ((self.rl as u32) << 25)
    }
    fn disasm(self, m: &str, _: Option<u64>, out: &mut dyn Write) -> fmt::Result {
        write!(
            out,
            "{m}{} {},{},({})",
            aqrl_suffix(self.aq, self.rl),
            self.rd,
            self.rs2,
            self.rs1
        )
    }
}

format_struct!(/// `lr.w rd,(rs1)`.
    Lr { rd: XReg, rs1: XReg, aq: bool, rl: bool });
impl Format for Lr {
    fn from_bits(w: u32) -> Option<Self> {
        Some(Lr {
            rd: XReg::new(rd(w)),
            rs1: XReg::new(rs1(w)),
            aq: field(w, 26, 1) != 0,
            rl: field(w, 25, 1) != 0,
        })
    }
    fn to_bits(self) -> u32 {
        put_rd(self.rd.num())
            | put_rs1(self.rs1.num())
            | ((self.aq as u32) << 26)
            | ((self.rl as u32) << 25)
    }
    fn disasm(self, m: &str, _: Option<u64>, out: &mut dyn Write) -> fmt::Result {
        write!(
            out,
            "{m}{} {},({})",
            aqrl_suffix(self.aq, self.rl),
            self.rd,
            self.rs1
        )
    }
}

format_struct!(/// A floating-point load: `fld rd,imm(rs1)`.
    FLoad { rd: FReg, rs1: XReg, imm: i32 });
impl Format for FLoad {
    fn from_bits(w: u32) -> Option<Self> {
        Some(FLoad {
            rd: FReg::new(rd(w)),
            rs1: XReg::new(rs1(w)),
            imm: imm_i(w),
        })
    }
    fn to_bits(self) -> u32 {
        put_rd(self.rd.num()) | put_rs1(self.rs1.num()) | put_imm_i(self.imm)
    }
    fn disasm(self, m: &str, _: Option<u64>, out: &mut dyn Write) -> fmt::Result {
        write!(out, "{m} {},{}({})", self.rd, self.imm, self.rs1)
    }
}

format_struct!(/// A floating-point store: `fsd rs2,imm(rs1)`.
    FStore { rs1: XReg, rs2: FReg, imm: i32 });
impl Format for FStore {
    fn from_bits(w: u32) -> Option<Self> {
        Some(FStore {
            rs1: XReg::new(rs1(w)),
            rs2: FReg::new(rs2(w)),
            imm: imm_s(w),
        })
    }
    fn to_bits(self) -> u32 {
        put_rs1(self.rs1.num()) | put_rs2(self.rs2.num()) | put_imm_s(self.imm)
    }
    fn disasm(self, m: &str, _: Option<u64>, out: &mut dyn Write) -> fmt::Result {
        write!(out, "{m} {},{}({})", self.rs2, self.imm, self.rs1)
    }
}

format_struct!(/// Fused multiply-add: `fmadd.d rd,rs1,rs2,rs3[,rm]`.
    R4 { rd: FReg, rs1: FReg, rs2: FReg, rs3: FReg, rm: Rm });
impl Format for R4 {
    fn from_bits(w: u32) -> Option<Self> {
        Some(R4 {
            rd: FReg::new(rd(w)),
            rs1: FReg::new(rs1(w)),
            rs2: FReg::new(rs2(w)),
            rs3: FReg::new(rs3(w)),
            rm: rm(w)?,
        })
    }
    fn to_bits(self) -> u32 {
        put_rd(self.rd.num())
            | put_rs1(self.rs1.num())
            | put_rs2(self.rs2.num())
            | put_rs3(self.rs3.num())
            | put_rm(self.rm)
    }
    fn disasm(self, m: &str, _: Option<u64>, out: &mut dyn Write) -> fmt::Result {
        write!(
            out,
            "{m} {},{},{},{}",
            self.rd, self.rs1, self.rs2, self.rs3
        )?;
        rm_suffix(out, self.rm)
    }
}

format_struct!(/// Two-operand arithmetic with rounding: `fadd.s rd,rs1,rs2[,rm]`.
    FRrm { rd: FReg, rs1: FReg, rs2: FReg, rm: Rm });
impl Format for FRrm {
    fn from_bits(w: u32) -> Option<Self> {
        Some(FRrm {
            rd: FReg::new(rd(w)),
            rs1: FReg::new(rs1(w)),
            rs2: FReg::new(rs2(w)),
            rm: rm(w)?,
        })
    }
    fn to_bits(self) -> u32 {
        put_rd(self.rd.num()) | put_rs1(self.rs1.num()) | put_rs2(self.rs2.num()) | put_rm(self.rm)
    }
    fn disasm(self, m: &str, _: Option<u64>, out: &mut dyn Write) -> fmt::Result {
        write!(out, "{m} {},{},{}", self.rd, self.rs1, self.rs2)?;
        rm_suffix(out, self.rm)
    }
}

format_struct!(/// Two floating-point operands, no rounding: `fsgnj.d`, `fmin.s`.
    FR { rd: FReg, rs1: FReg, rs2: FReg });
impl Format for FR {
    fn from_bits(w: u32) -> Option<Self> {
        Some(FR {
            rd: FReg::new(rd(w)),
            rs1: FReg::new(rs1(w)),
            rs2: FReg::new(rs2(w)),
        })
    }
    fn to_bits(self) -> u32 {
        put_rd(self.rd.num()) | put_rs1(self.rs1.num()) | put_rs2(self.rs2.num())
    }
    fn disasm(self, m: &str, _: Option<u64>, out: &mut dyn Write) -> fmt::Result {
        write!(out, "{m} {},{},{}", self.rd, self.rs1, self.rs2)
    }
}

format_struct!(/// A comparison into an integer register: `flt.d rd,rs1,rs2`.
    FCmp { rd: XReg, rs1: FReg, rs2: FReg });
impl Format for FCmp {
    fn from_bits(w: u32) -> Option<Self> {
        Some(FCmp {
            rd: XReg::new(rd(w)),
            rs1: FReg::new(rs1(w)),
            rs2: FReg::new(rs2(w)),
        })
    }
    fn to_bits(self) -> u32 {
        put_rd(self.rd.num()) | put_rs1(self.rs1.num()) | put_rs2(self.rs2.num())
    }
    fn disasm(self, m: &str, _: Option<u64>, out: &mut dyn Write) -> fmt::Result {
        write!(out, "{m} {},{},{}", self.rd, self.rs1, self.rs2)
    }
}

format_struct!(/// One floating-point operand with rounding: `fsqrt.d`, `fcvt.s.d`.
    F1rm { rd: FReg, rs1: FReg, rm: Rm });
impl Format for F1rm {
    fn from_bits(w: u32) -> Option<Self> {
        Some(F1rm {
            rd: FReg::new(rd(w)),
            rs1: FReg::new(rs1(w)),
            rm: rm(w)?,
        })
    }
    fn to_bits(self) -> u32 {
        put_rd(self.rd.num()) | put_rs1(self.rs1.num()) | put_rm(self.rm)
    }
    fn disasm(self, m: &str, _: Option<u64>, out: &mut dyn Write) -> fmt::Result {
        write!(out, "{m} {},{}", self.rd, self.rs1)?;
        rm_suffix(out, self.rm)
    }
}

format_struct!(/// Float to integer with rounding: `fcvt.w.d rd,rs1[,rm]`.
    FToX { rd: XReg, rs1: FReg, rm: Rm });
impl Format for FToX {
    fn from_bits(w: u32) -> Option<Self> {
        Some(FToX {
            rd: XReg::new(rd(w)),
            rs1: FReg::new(rs1(w)),
            rm: rm(w)?,
        })
    }
    fn to_bits(self) -> u32 {
        put_rd(self.rd.num()) | put_rs1(self.rs1.num()) | put_rm(self.rm)
    }
    fn disasm(self, m: &str, _: Option<u64>, out: &mut dyn Write) -> fmt::Result {
        write!(out, "{m} {},{}", self.rd, self.rs1)?;
        rm_suffix(out, self.rm)
    }
}

format_struct!(/// Integer to float with rounding: `fcvt.d.l rd,rs1[,rm]`.
    XToF { rd: FReg, rs1: XReg, rm: Rm });
impl Format for XToF {
    fn from_bits(w: u32) -> Option<Self> {
        Some(XToF {
            rd: FReg::new(rd(w)),
            rs1: XReg::new(rs1(w)),
            rm: rm(w)?,
        })
    }
    fn to_bits(self) -> u32 {
        put_rd(self.rd.num()) | put_rs1(self.rs1.num()) | put_rm(self.rm)
    }
    fn disasm(self, m: &str, _: Option<u64>, out: &mut dyn Write) -> fmt::Result {
        write!(out, "{m} {},{}", self.rd, self.rs1)?;
        rm_suffix(out, self.rm)
    }
}

format_struct!(/// Float bits or class into an integer register: `fmv.x.d`, `fclass.s`.
    FMvX { rd: XReg, rs1: FReg });
impl Format for FMvX {
    fn from_bits(w: u32) -> Option<Self> {
        Some(FMvX {
            rd: XReg::new(rd(w)),
            rs1: FReg::new(rs1(w)),
        })
    }
    fn to_bits(self) -> u32 {
        put_rd(self.rd.num()) | put_rs1(self.rs1.num())
    }
    fn disasm(self, m: &str, _: Option<u64>, out: &mut dyn Write) -> fmt::Result {
        write!(out, "{m} {},{}", self.rd, self.rs1)
    }
}

format_struct!(/// Integer bits into a float register: `fmv.d.x`.
    XMvF { rd: FReg, rs1: XReg });
impl Format for XMvF {
    fn from_bits(w: u32) -> Option<Self> {
        Some(XMvF {
            rd: FReg::new(rd(w)),
            rs1: XReg::new(rs1(w)),
        })
    }
    fn to_bits(self) -> u32 {
        put_rd(self.rd.num()) | put_rs1(self.rs1.num())
    }
    fn disasm(self, m: &str, _: Option<u64>, out: &mut dyn Write) -> fmt::Result {
        write!(out, "{m} {},{}", self.rd, self.rs1)
    }
}
