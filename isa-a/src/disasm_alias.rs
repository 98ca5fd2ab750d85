//! The aliases GNU objdump prints by default (`li`, `mv`, `ret`, `beqz`, `csrr`, `fmv.d`, …),
//! each keyed by opcode and operand pattern, and the two ways to get text out of an [`Insn`]:
//! [`Insn::disasm`] / `Display` with these aliases, [`Insn::disasm_no_aliases`] /
//! [`Insn::no_aliases`] without (`objdump -M no-aliases`).
//!
//! An alias only renames and drops operands that its pattern fixes; the operands it keeps are
//! written as the format writes them. Where objdump 2.40 spells an immediate form with the
//! register form's mnemonic (`add a0,sp,16` for `addi`, `sll` for `slli`, `csrs fflags,1` for
//! `csrrsi zero,fflags,1`), mimic keeps the real mnemonic or the ISA manual's pseudoinstruction
//! (`addi`, `slli`, `csrsi`), as LLVM and capstone do. `unimp` (`csrrw zero,cycle,zero`, the
//! canonical illegal instruction) is an alias here, though objdump prints it even with
//! `no-aliases`: the no-aliases text is always the table's own mnemonic.
//!
//! ```
//! use isa_a::decode;
//! let ret = decode(0x00008067).unwrap().insn;
//! assert_eq!(ret.to_string(), "ret");
//! assert_eq!(ret.no_aliases().to_string(), "jalr zero,0(ra)");
//! ```

use crate::format::{csr, target, write_csr, Csr, CsrI, Fence as FenceOps, Load, B, FR, I, J, R};
use crate::insn::Insn;
use crate::reg::XReg;
use std::fmt::{self, Write};

const ZERO: XReg = XReg::ZERO;
const RA: XReg = XReg::RA;

/// Writes `insn`'s alias text, or returns `None` (having written nothing) if it has none.
fn alias(insn: &Insn, pc: Option<u64>, out: &mut dyn Write) -> Option<fmt::Result> {
    use Insn::*;
    Some(match *insn {
        Addi(I {
            rd: ZERO,
            rs1: ZERO,
            imm: 0,
        }) => out.write_str("nop"),
        Addi(I { rd, rs1: ZERO, imm }) => write!(out, "li {rd},{imm}"),
        Addi(I { rd, rs1, imm: 0 }) => write!(out, "mv {rd},{rs1}"),
        Addiw(I { rd, rs1, imm: 0 }) => write!(out, "sext.w {rd},{rs1}"),
        Xori(I { rd, rs1, imm: -1 }) => write!(out, "not {rd},{rs1}"),
        Sltiu(I { rd, rs1, imm: 1 }) => write!(out, "seqz {rd},{rs1}"),
        Andi(I { rd, rs1, imm: 255 }) => write!(out, "zext.b {rd},{rs1}"),
        Sub(R { rd, rs1: ZERO, rs2 }) => write!(out, "neg {rd},{rs2}"),
        Subw(R { rd, rs1: ZERO, rs2 }) => write!(out, "negw {rd},{rs2}"),
        Sltu(R { rd, rs1: ZERO, rs2 }) => write!(out, "snez {rd},{rs2}"),
        Slt(R { rd, rs1, rs2: ZERO }) => write!(out, "sltz {rd},{rs1}"),
        Slt(R { rd, rs1: ZERO, rs2 }) => write!(out, "sgtz {rd},{rs2}"),
        Beq(B {
            rs1,
            rs2: ZERO,
            off,
        }) => branch(out, "beqz", rs1, off, pc),
        Bne(B {
            rs1,
            rs2: ZERO,
            off,
        }) => branch(out, "bnez", rs1, off, pc),
        Blt(B {
            rs1,
            rs2: ZERO,
            off,
        }) => branch(out, "bltz", rs1, off, pc),
        Blt(B {
            rs1: ZERO,
            rs2,
            off,
        }) => branch(out, "bgtz", rs2, off, pc),
        Bge(B {
            rs1,
            rs2: ZERO,
            off,
        }) => branch(out, "bgez", rs1, off, pc),
        Bge(B {
            rs1: ZERO,
            rs2,
            off,
        }) => branch(out, "blez", rs2, off, pc),
        Jal(J { rd: ZERO, off }) => out.write_str("j ").and_then(|_| target(out, off, pc)),
        Jal(J { rd: RA, off }) => out.write_str("jal ").and_then(|_| target(out, off, pc)),
        Jalr(Load {
            rd: ZERO,
            rs1: RA,
            imm: 0,
        }) => out.write_str("ret"),
        Jalr(Load {
            rd: ZERO,
            rs1,
            imm: 0,
        }) => write!(out, "jr {rs1}"),
        Jalr(Load { rd: ZERO, rs1, imm }) => write!(out, "jr {imm}({rs1})"),
        Jalr(Load {
            rd: RA,
            rs1,
            imm: 0,
        }) => write!(out, "jalr {rs1}"),
        Jalr(Load { rd: RA, rs1, imm }) => write!(out, "jalr {imm}({rs1})"),
        Jalr(Load { rd, rs1, imm: 0 }) => write!(out, "jalr {rd},{rs1}"),
        Fence(FenceOps {
            fm: 0,
            pred: 15,
            succ: 15,
        }) => out.write_str("fence"),
        Csrrw(Csr {
            rd: ZERO,
            rs1: ZERO,
            csr: csr::CYCLE,
        }) => out.write_str("unimp"),
        Csrrs(Csr { rd, rs1: ZERO, csr }) => match csr {
            csr::FFLAGS => write!(out, "frflags {rd}"),
            csr::FRM => write!(out, "frrm {rd}"),
            csr::FCSR => write!(out, "frcsr {rd}"),
            csr::CYCLE => write!(out, "rdcycle {rd}"),
            csr::TIME => write!(out, "rdtime {rd}"),
            csr::INSTRET => write!(out, "rdinstret {rd}"),
            csr => write!(out, "csrr {rd},").and_then(|_| write_csr(out, csr)),
        },
        Csrrw(Csr {
            rd,
            rs1,
            csr: c @ (csr::FFLAGS | csr::FRM | csr::FCSR),
        }) => fp_csr_write(out, ["fsflags", "fsrm", "fscsr"][c as usize - 1], rd, rs1),
        Csrrw(Csr { rd: ZERO, rs1, csr }) => csr_op(out, "csrw", csr, rs1),
        Csrrs(Csr { rd: ZERO, rs1, csr }) => csr_op(out, "csrs", csr, rs1),
        Csrrc(Csr { rd: ZERO, rs1, csr }) => csr_op(out, "csrc", csr, rs1),
        Csrrwi(CsrI {
            rd,
            uimm,
            csr: c @ (csr::FFLAGS | csr::FRM),
        }) => fp_csr_write(out, ["fsflagsi", "fsrmi"][c as usize - 1], rd, uimm),
        Csrrwi(CsrI {
            rd: ZERO,
            uimm,
            csr,
        }) => csr_op(out, "csrwi", csr, uimm),
        Csrrsi(CsrI {
            rd: ZERO,
            uimm,
            csr,
        }) => csr_op(out, "csrsi", csr, uimm),
        Csrrci(CsrI {
            rd: ZERO,
            uimm,
            csr,
        }) => csr_op(out, "csrci", csr, uimm),
        FsgnjS(FR { rd, rs1, rs2 }) if rs1 == rs2 => write!(out, "fmv.s {rd},{rs1}"),
        FsgnjnS(FR { rd, rs1, rs2 }) if rs1 == rs2 => write!(out, "fneg.s {rd},{rs1}"),
        FsgnjxS(FR { rd, rs1, rs2 }) if rs1 == rs2 => write!(out, "fabs.s {rd},{rs1}"),
        FsgnjD(FR { rd, rs1, rs2 }) if rs1 == rs2 => write!(out, "fmv.d {rd},{rs1}"),
        FsgnjnD(FR { rd, rs1, rs2 }) if rs1 == rs2 => write!(out, "fneg.d {rd},{rs1}"),
        FsgnjxD(FR { rd, rs1, rs2 }) if rs1 == rs2 => write!(out, "fabs.d {rd},{rs1}"),
        _ => return None,
    })
}

fn branch(out: &mut dyn Write, m: &str, rs: XReg, off: i32, pc: Option<u64>) -> fmt::Result {
    write!(out, "{m} {rs},")?;
    target(out, off, pc)
}

/// `fsrm a0` / `fsrm a1,a0`: the old value's destination is left out when it is `zero`.
fn fp_csr_write(out: &mut dyn Write, m: &str, rd: XReg, src: impl fmt::Display) -> fmt::Result {
    match rd {
        ZERO => write!(out, "{m} {src}"),
        rd => write!(out, "{m} {rd},{src}"),
    }
}

fn csr_op(out: &mut dyn Write, m: &str, csr: u32, src: impl fmt::Display) -> fmt::Result {
    write!(out, "{m} ")?;
    write_csr(out, csr)?;
    write!(out, ",{src}")
}

impl Insn {
    /// Writes the text GNU objdump gives by default, aliases included (`li a0,41`, `ret`);
    /// with `pc`, branch and jump targets are absolute. `Display` writes this without a pc.
    pub fn disasm(&self, pc: Option<u64>, out: &mut dyn Write) -> fmt::Result {
        alias(self, pc, out).unwrap_or_else(|| self.disasm_no_aliases(pc, out))
    }

    /// This instruction as `objdump -M no-aliases` writes it, for `format!`/`to_string`.
    pub fn no_aliases(&self) -> NoAliases {
        NoAliases(*self)
    }
}

/// `Display` without aliases: see [`Insn::no_aliases`].
#[derive(Copy, Clone, Debug)]
pub struct NoAliases(pub Insn);

impl fmt::Display for NoAliases {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.disasm_no_aliases(None, f)
    }
}

#[cfg(test)]
mod tests {
    use crate::decode;

    /// Encodings with the text riscv64-linux-gnu-objdump 2.40 prints for them, with and without
    /// aliases (where mimic departs from it, see the module doc, the comment says so).
    #[test]
    fn objdump_text() {
        for (w, alias, plain) in [
            (0x01010513, "addi a0,sp,16", "addi a0,sp,16"), // objdump 2.40: `add a0,sp,16`
            (0x02900513, "li a0,41", "addi a0,zero,41"),
            (0x00000013, "nop", "addi zero,zero,0"),
            (0x00058513, "mv a0,a1", "addi a0,a1,0"),
            (0x0005851b, "sext.w a0,a1", "addiw a0,a1,0"),
            (0x0ff5f513, "zext.b a0,a1", "andi a0,a1,255"),
            (0x00813083, "ld ra,8(sp)", "ld ra,8(sp)"),
            (0x00113423, "sd ra,8(sp)", "sd ra,8(sp)"),
            (0x00351513, "slli a0,a0,0x3", "slli a0,a0,0x3"), // objdump 2.40: `sll a0,a0,0x3`
            (0x12345537, "lui a0,0x12345", "lui a0,0x12345"),
            (0x00a05463, "blez a0,8", "bge zero,a0,8"),
            (0x0010006f, "j 2048", "jal zero,2048"),
            (0x00008067, "ret", "jalr zero,0(ra)"),
            (0x00450067, "jr 4(a0)", "jalr zero,4(a0)"),
            (0x008500e7, "jalr 8(a0)", "jalr ra,8(a0)"),
            (0x00058567, "jalr a0,a1", "jalr a0,0(a1)"),
            (0x0330000f, "fence rw,rw", "fence rw,rw"),
            (0x0ff0000f, "fence", "fence iorw,iorw"),
            (0x8330000f, "fence.tso", "fence.tso"),
            (0x0100000f, "fence w,unknown", "fence w,unknown"),
            (0x00102573, "frflags a0", "csrrs a0,fflags,zero"),
            (0x30002573, "csrr a0,mstatus", "csrrs a0,mstatus,zero"),
            (0x7c002573, "csrr a0,0x7c0", "csrrs a0,0x7c0,zero"),
            (0x003515f3, "fscsr a1,a0", "csrrw a1,fcsr,a0"),
            (0x00215073, "fsrmi 2", "csrrwi zero,frm,2"), // objdump 2.40: `fsrmi zero,2`
            (0x0010e073, "csrsi fflags,1", "csrrsi zero,fflags,1"), // objdump 2.40: `csrs fflags,1`
            (0xc0001073, "unimp", "csrrw zero,cycle,zero"),
            (0x1405a52f, "lr.w.aq a0,(a1)", "lr.w.aq a0,(a1)"),
            (
                0x06b6252f,
                "amoadd.w.aqrl a0,a1,(a2)",
                "amoadd.w.aqrl a0,a1,(a2)",
            ),
            (
                0x6ac58543,
                "fmadd.d fa0,fa1,fa2,fa3,rne",
                "fmadd.d fa0,fa1,fa2,fa3,rne",
            ),
            (
                0x6ac5f543,
                "fmadd.d fa0,fa1,fa2,fa3",
                "fmadd.d fa0,fa1,fa2,fa3",
            ),
            (0x22b58553, "fmv.d fa0,fa1", "fsgnj.d fa0,fa1,fa1"),
            (0xc2059553, "fcvt.w.d a0,fa1,rtz", "fcvt.w.d a0,fa1,rtz"),
            // The conversions that never round omit rne (what gas writes), not dyn.
            (0xd2058553, "fcvt.d.w fa0,a1", "fcvt.d.w fa0,a1"),
            (0xd205f553, "fcvt.d.w fa0,a1,dyn", "fcvt.d.w fa0,a1,dyn"),
            (0x42058553, "fcvt.d.s fa0,fa1", "fcvt.d.s fa0,fa1"),
            (0x8082, "ret", "jalr zero,0(ra)"),
            // c.mv: objdump says `mv a0,a1`, but the expansion is `add`, and a 32-bit `add a0,zero,a1`
            // is not `mv` to objdump; decoding forgets RVC, so mimic writes what it expanded to.
            (0x852e, "add a0,zero,a1", "add a0,zero,a1"),
        ] {
            let insn = decode(w).unwrap().insn;
            assert_eq!(insn.to_string(), alias, "0x{w:08x}");
            assert_eq!(insn.no_aliases().to_string(), plain, "0x{w:08x}");
        }
    }

    #[test]
    fn branch_targets_are_absolute_with_a_pc() {
        let mut s = String::new();
        decode(0x00050863)
            .unwrap()
            .insn
            .disasm(Some(0x1000), &mut s)
            .unwrap();
        assert_eq!(s, "beqz a0,0x1010");
    }
}
