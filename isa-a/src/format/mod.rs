//! Operand formats: the typed operand structs of the instruction table's rows.
//!
//! Each format is declared once below: its fields, the field position each one is read from
//! (`field.rs`, the only code that knows bit positions), and its objdump-style text. From that
//! come the struct, `from_bits` (which returns `None` for a reserved operand value, such as a
//! rounding mode of 5 or 6) and `to_bits`. The fixed opcode bits are the table's business.

mod csr_names;
mod field;

pub use csr_names::csr_name;
pub(crate) use csr_names::{csr, write_csr};

use crate::reg::{FReg, Rm, XReg};
use field::*;
use std::fmt::{self, Write};

/// How a format turns into and out of bits, and into objdump-style text.
pub trait Format: Copy + Eq + fmt::Debug {
    /// The operands of `w`, or `None` when an operand takes a reserved value.
    fn from_bits(w: u32) -> Option<Self>;
    /// The operand bits; the table's fixed bits are ORed in by the caller.
    fn to_bits(self) -> u32;
    /// Writes the instruction text. `pc` turns pc-relative offsets into absolute targets.
    fn disasm(self, mnemonic: &str, pc: Option<u64>, out: &mut dyn Write) -> fmt::Result;
}

/// A branch or jump target: absolute hex with `pc`, else the signed offset in decimal.
pub(crate) fn target(out: &mut dyn Write, off: i32, pc: Option<u64>) -> fmt::Result {
    match pc {
        Some(pc) => write!(out, "0x{:x}", pc.wrapping_add(off as i64 as u64)),
        None => write!(out, "{off}"),
    }
}

/// `,rm` unless `rm` is the mode the assembler writes when the source names none: `dyn` for
/// operations that round, `rne` for the conversions that never do (`fcvt.d.s`, `fcvt.d.w`,
/// `fcvt.d.wu`: gas and LLVM encode those with rm = 0, and objdump omits it there).
fn rm_suffix(out: &mut dyn Write, m: &str, rm: Rm) -> fmt::Result {
    let implied = match m {
        "fcvt.d.s" | "fcvt.d.w" | "fcvt.d.wu" => Rm::Rne,
        _ => Rm::Dyn,
    };
    match rm {
        rm if rm == implied => Ok(()),
        rm => write!(out, ",{}", rm.name()),
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

/// A fence's predecessor or successor set as objdump writes it.
fn fence_set(out: &mut dyn Write, bits: u32) -> fmt::Result {
    if bits == 0 {
        // An empty set is a HINT encoding (`pause` is `fence w,0`); objdump's word for it.
        return out.write_str("unknown");
    }
    for (bit, c) in [(8, 'i'), (4, 'o'), (2, 'r'), (1, 'w')] {
        if bits & bit != 0 {
            out.write_char(c)?;
        }
    }
    Ok(())
}

macro_rules! formats {
    ($(
        $(#[$m:meta])*
        $name:ident { $($f:ident : $t:ty = $pos:ident),* }
        => |$s:ident, $mn:ident, $pc:ident, $out:ident| $text:expr;
    )*) => {$(
        $(#[$m])*
        #[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
        pub struct $name { $(pub $f: $t),* }

        impl Format for $name {
            #[inline]
            fn from_bits(_w: u32) -> Option<Self> {
                Some($name { $($f: <$pos as Field<$t>>::get(_w)?),* })
            }
            #[inline]
            fn to_bits(self) -> u32 {
                0 $(| <$pos as Field<$t>>::put(self.$f))*
            }
            #[allow(unused_variables)]
            fn disasm(self, $mn: &str, $pc: Option<u64>, $out: &mut dyn Write) -> fmt::Result {
                let $s = self;
                $text
            }
        }
    )*};
}

formats! {
    /// Register-register: `add rd,rs1,rs2`.
    R { rd: XReg = Rd, rs1: XReg = Rs1, rs2: XReg = Rs2 }
        => |s, m, pc, out| write!(out, "{m} {},{},{}", s.rd, s.rs1, s.rs2);
    /// Register-immediate: `addi rd,rs1,imm`, the immediate 12 bits signed.
    I { rd: XReg = Rd, rs1: XReg = Rs1, imm: i32 = ImmI }
        => |s, m, pc, out| write!(out, "{m} {},{},{}", s.rd, s.rs1, s.imm);
    /// A load or `jalr`: `ld rd,imm(rs1)`.
    Load { rd: XReg = Rd, rs1: XReg = Rs1, imm: i32 = ImmI }
        => |s, m, pc, out| write!(out, "{m} {},{}({})", s.rd, s.imm, s.rs1);
    /// A store: `sd rs2,imm(rs1)`.
    Store { rs1: XReg = Rs1, rs2: XReg = Rs2, imm: i32 = ImmS }
        => |s, m, pc, out| write!(out, "{m} {},{}({})", s.rs2, s.imm, s.rs1);
    /// A shift by a 6-bit immediate (RV64 `slli`, `srli`, `srai`).
    Shift { rd: XReg = Rd, rs1: XReg = Rs1, shamt: u32 = Shamt6 }
        => |s, m, pc, out| write!(out, "{m} {},{},0x{:x}", s.rd, s.rs1, s.shamt);
    /// A word shift by a 5-bit immediate (`slliw`, `srliw`, `sraiw`).
    ShiftW { rd: XReg = Rd, rs1: XReg = Rs1, shamt: u32 = Shamt5 }
        => |s, m, pc, out| write!(out, "{m} {},{},0x{:x}", s.rd, s.rs1, s.shamt);
    /// A conditional branch; `off` is relative to the branch's own pc.
    B { rs1: XReg = Rs1, rs2: XReg = Rs2, off: i32 = ImmB }
        => |s, m, pc, out| {
            write!(out, "{m} {},{},", s.rs1, s.rs2)?;
            target(out, s.off, pc)
        };
    /// `lui`/`auipc`: `imm` is the full value, its low 12 bits zero.
    U { rd: XReg = Rd, imm: i32 = ImmU }
        => |s, m, pc, out| write!(out, "{m} {},0x{:x}", s.rd, (s.imm as u32) >> 12);
    /// `jal`: `off` is relative to its own pc.
    J { rd: XReg = Rd, off: i32 = ImmJ }
        => |s, m, pc, out| {
            write!(out, "{m} {},", s.rd)?;
            target(out, s.off, pc)
        };
    /// `fence pred,succ` with its fence mode (`fm` = 8 with rw,rw is `fence.tso`).
    /// The rd and rs1 fields are reserved and ignored, as the ISA asks.
    Fence { fm: u32 = FenceMode, pred: u32 = Pred, succ: u32 = Succ }
        => |s, m, pc, out| {
            if (s.fm, s.pred, s.succ) == (8, 3, 3) {
                return out.write_str("fence.tso");
            }
            write!(out, "{m} ")?;
            fence_set(out, s.pred)?;
            out.write_char(',')?;
            fence_set(out, s.succ)
        };
    /// No operands (`ecall`, `ebreak`, `fence.i`); reserved fields are ignored.
    Nullary {} => |s, m, pc, out| out.write_str(m);
    /// `csrrw rd,csr,rs1`.
    Csr { rd: XReg = Rd, rs1: XReg = Rs1, csr: u32 = CsrNum }
        => |s, m, pc, out| {
            write!(out, "{m} {},", s.rd)?;
            write_csr(out, s.csr)?;
            write!(out, ",{}", s.rs1)
        };
    /// `csrrwi rd,csr,uimm` with a 5-bit unsigned immediate (in the rs1 field).
    CsrI { rd: XReg = Rd, uimm: u32 = Rs1, csr: u32 = CsrNum }
        => |s, m, pc, out| {
            write!(out, "{m} {},", s.rd)?;
            write_csr(out, s.csr)?;
            write!(out, ",{}", s.uimm)
        };
    /// An atomic memory operation or `sc`: `amoadd.w.aq rd,rs2,(rs1)`.
    Amo { rd: XReg = Rd, rs1: XReg = Rs1, rs2: XReg = Rs2, aq: bool = Aq, rl: bool = Rl }
        => |s, m, pc, out| {
            write!(out, "{m}{} {},{},({})", aqrl_suffix(s.aq, s.rl), s.rd, s.rs2, s.rs1)
        };
    /// `lr.w rd,(rs1)`.
    Lr { rd: XReg = Rd, rs1: XReg = Rs1, aq: bool = Aq, rl: bool = Rl }
        => |s, m, pc, out| write!(out, "{m}{} {},({})", aqrl_suffix(s.aq, s.rl), s.rd, s.rs1);
    /// A floating-point load: `fld rd,imm(rs1)`.
    FLoad { rd: FReg = Rd, rs1: XReg = Rs1, imm: i32 = ImmI }
        => |s, m, pc, out| write!(out, "{m} {},{}({})", s.rd, s.imm, s.rs1);
    /// A floating-point store: `fsd rs2,imm(rs1)`.
    FStore { rs1: XReg = Rs1, rs2: FReg = Rs2, imm: i32 = ImmS }
        => |s, m, pc, out| write!(out, "{m} {},{}({})", s.rs2, s.imm, s.rs1);
    /// Fused multiply-add: `fmadd.d rd,rs1,rs2,rs3[,rm]`.
    R4 { rd: FReg = Rd, rs1: FReg = Rs1, rs2: FReg = Rs2, rs3: FReg = Rs3, rm: Rm = RoundingMode }
        => |s, m, pc, out| {
            write!(out, "{m} {},{},{},{}", s.rd, s.rs1, s.rs2, s.rs3)?;
            rm_suffix(out, m, s.rm)
        };
    /// Two-operand arithmetic with rounding: `fadd.s rd,rs1,rs2[,rm]`.
    FRrm { rd: FReg = Rd, rs1: FReg = Rs1, rs2: FReg = Rs2, rm: Rm = RoundingMode }
        => |s, m, pc, out| {
            write!(out, "{m} {},{},{}", s.rd, s.rs1, s.rs2)?;
            rm_suffix(out, m, s.rm)
        };
    /// Two floating-point operands, no rounding: `fsgnj.d`, `fmin.s`.
    FR { rd: FReg = Rd, rs1: FReg = Rs1, rs2: FReg = Rs2 }
        => |s, m, pc, out| write!(out, "{m} {},{},{}", s.rd, s.rs1, s.rs2);
    /// A comparison into an integer register: `flt.d rd,rs1,rs2`.
    FCmp { rd: XReg = Rd, rs1: FReg = Rs1, rs2: FReg = Rs2 }
        => |s, m, pc, out| write!(out, "{m} {},{},{}", s.rd, s.rs1, s.rs2);
    /// One floating-point operand with rounding: `fsqrt.d`, `fcvt.s.d`.
    F1rm { rd: FReg = Rd, rs1: FReg = Rs1, rm: Rm = RoundingMode }
        => |s, m, pc, out| {
            write!(out, "{m} {},{}", s.rd, s.rs1)?;
            rm_suffix(out, m, s.rm)
        };
    /// Float to integer with rounding: `fcvt.w.d rd,rs1[,rm]`.
    FToX { rd: XReg = Rd, rs1: FReg = Rs1, rm: Rm = RoundingMode }
        => |s, m, pc, out| {
            write!(out, "{m} {},{}", s.rd, s.rs1)?;
            rm_suffix(out, m, s.rm)
        };
    /// Integer to float with rounding: `fcvt.d.l rd,rs1[,rm]`.
    XToF { rd: FReg = Rd, rs1: XReg = Rs1, rm: Rm = RoundingMode }
        => |s, m, pc, out| {
            write!(out, "{m} {},{}", s.rd, s.rs1)?;
            rm_suffix(out, m, s.rm)
        };
    /// Float bits or class into an integer register: `fmv.x.d`, `fclass.s`.
    FMvX { rd: XReg = Rd, rs1: FReg = Rs1 }
        => |s, m, pc, out| write!(out, "{m} {},{}", s.rd, s.rs1);
    /// Integer bits into a float register: `fmv.d.x`.
    XMvF { rd: FReg = Rd, rs1: XReg = Rs1 }
        => |s, m, pc, out| write!(out, "{m} {},{}", s.rd, s.rs1);
}
