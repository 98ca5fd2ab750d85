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

/// CSR numbers the aliases single out.
pub(crate) mod csr {
    pub const FFLAGS: u32 = 0x001;
    pub const FRM: u32 = 0x002;
    pub const FCSR: u32 = 0x003;
    pub const CYCLE: u32 = 0xc00;
    pub const TIME: u32 = 0xc01;
    pub const INSTRET: u32 = 0xc02;
}

/// Named CSRs as `(first, last, n0, prefix, suffix)`: a number in `first..=last` is called
/// `prefix` + (`n0` + its distance from `first`) + `suffix`, or `prefix` + `suffix` for a
/// single number. The standard unprivileged, supervisor, machine and debug CSRs, named as
/// objdump names them (the RV32 high halves too, as objdump does on RV64).
#[rustfmt::skip]
static CSR_NAMES: &[(u32, u32, u32, &str, &str)] = &[
    (0x001, 0x001, 0, "fflags", ""), (0x002, 0x002, 0, "frm", ""), (0x003, 0x003, 0, "fcsr", ""),
    (0x008, 0x008, 0, "vstart", ""), (0x009, 0x009, 0, "vxsat", ""), (0x00a, 0x00a, 0, "vxrm", ""),
    (0x00f, 0x00f, 0, "vcsr", ""), (0x015, 0x015, 0, "seed", ""),
    (0xc00, 0xc00, 0, "cycle", ""), (0xc01, 0xc01, 0, "time", ""), (0xc02, 0xc02, 0, "instret", ""),
    (0xc03, 0xc1f, 3, "hpmcounter", ""),
    (0xc20, 0xc20, 0, "vl", ""), (0xc21, 0xc21, 0, "vtype", ""), (0xc22, 0xc22, 0, "vlenb", ""),
    (0xc80, 0xc80, 0, "cycleh", ""), (0xc81, 0xc81, 0, "timeh", ""), (0xc82, 0xc82, 0, "instreth", ""),
    (0xc83, 0xc9f, 3, "hpmcounter", "h"),
    (0x100, 0x100, 0, "sstatus", ""), (0x104, 0x104, 0, "sie", ""), (0x105, 0x105, 0, "stvec", ""),
    (0x106, 0x106, 0, "scounteren", ""), (0x10a, 0x10a, 0, "senvcfg", ""),
    (0x140, 0x140, 0, "sscratch", ""), (0x141, 0x141, 0, "sepc", ""), (0x142, 0x142, 0, "scause", ""),
    (0x143, 0x143, 0, "stval", ""), (0x144, 0x144, 0, "sip", ""), (0x180, 0x180, 0, "satp", ""),
    (0x300, 0x300, 0, "mstatus", ""), (0x301, 0x301, 0, "misa", ""), (0x302, 0x302, 0, "medeleg", ""),
    (0x303, 0x303, 0, "mideleg", ""), (0x304, 0x304, 0, "mie", ""), (0x305, 0x305, 0, "mtvec", ""),
    (0x306, 0x306, 0, "mcounteren", ""), (0x30a, 0x30a, 0, "menvcfg", ""), (0x310, 0x310, 0, "mstatush", ""),
    (0x31a, 0x31a, 0, "menvcfgh", ""), (0x320, 0x320, 0, "mcountinhibit", ""), (0x323, 0x33f, 3, "mhpmevent", ""),
    (0x340, 0x340, 0, "mscratch", ""), (0x341, 0x341, 0, "mepc", ""), (0x342, 0x342, 0, "mcause", ""),
    (0x343, 0x343, 0, "mtval", ""), (0x344, 0x344, 0, "mip", ""), (0x34a, 0x34a, 0, "mtinst", ""),
    (0x34b, 0x34b, 0, "mtval2", ""), (0x3a0, 0x3af, 0, "pmpcfg", ""), (0x3b0, 0x3ef, 0, "pmpaddr", ""),
    (0x747, 0x747, 0, "mseccfg", ""), (0x757, 0x757, 0, "mseccfgh", ""),
    (0x7a0, 0x7a0, 0, "tselect", ""), (0x7a1, 0x7a3, 1, "tdata", ""),
    (0x7b0, 0x7b0, 0, "dcsr", ""), (0x7b1, 0x7b1, 0, "dpc", ""), (0x7b2, 0x7b3, 0, "dscratch", ""),
    (0xb00, 0xb00, 0, "mcycle", ""), (0xb02, 0xb02, 0, "minstret", ""), (0xb03, 0xb1f, 3, "mhpmcounter", ""),
    (0xb80, 0xb80, 0, "mcycleh", ""), (0xb82, 0xb82, 0, "minstreth", ""), (0xb83, 0xb9f, 3, "mhpmcounter", "h"),
    (0xf11, 0xf11, 0, "mvendorid", ""), (0xf12, 0xf12, 0, "marchid", ""), (0xf13, 0xf13, 0, "mimpid", ""),
    (0xf14, 0xf14, 0, "mhartid", ""), (0xf15, 0xf15, 0, "mconfigptr", ""),
];

/// Writes the name objdump gives CSR `csr`, or `None` (nothing written) for an unnamed one.
fn write_csr_name(out: &mut dyn Write, csr: u32) -> Option<fmt::Result> {
    let &(first, last, n0, prefix, suffix) =
        CSR_NAMES.iter().find(|e| (e.0..=e.1).contains(&csr))?;
    Some(if first == last {
        write!(out, "{prefix}{suffix}")
    } else {
        write!(out, "{prefix}{}{suffix}", n0 + csr - first)
    })
}

/// The name objdump gives a CSR number (`fcsr`, `hpmcounter3`, `mstatus`), if it has one.
pub fn csr_name(csr: u32) -> Option<String> {
    let mut s = String::new();
    write_csr_name(&mut s, csr).map(|_| s)
}

/// A CSR operand: its name, or its number in hex as objdump writes an unnamed one.
pub(crate) fn write_csr(out: &mut dyn Write, csr: u32) -> fmt::Result {
    write_csr_name(out, csr).unwrap_or_else(|| write!(out, "0x{csr:x}"))
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
        rm_suffix(out, m, self.rm)
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
        rm_suffix(out, m, self.rm)
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
        rm_suffix(out, m, self.rm)
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
        rm_suffix(out, m, self.rm)
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
        rm_suffix(out, m, self.rm)
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
