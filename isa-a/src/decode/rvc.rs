//! Compressed (RVC) instructions, expanded into the base instructions they stand for.
//!
//! Every immediate here is scattered over the 16 bits in its own order; the helpers name the
//! layout of each one after the instruction that uses it, as the ISA manual's tables do.

use crate::format::*;
use crate::insn::Insn;
use crate::reg::{FReg, XReg};

#[inline(always)]
fn bits(h: u32, hi: u32, lo: u32) -> u32 {
    (h >> lo) & ((1 << (hi - lo + 1)) - 1)
}
#[inline(always)]
fn bit(h: u32, n: u32) -> u32 {
    (h >> n) & 1
}
fn sext(v: u32, width: u32) -> i32 {
    let s = 32 - width;
    ((v << s) as i32) >> s
}

/// rd/rs1 in bits 11:7, rs2 in 6:2.
fn r_hi(h: u32) -> XReg {
    XReg::new(bits(h, 11, 7))
}
fn r_lo(h: u32) -> XReg {
    XReg::new(bits(h, 6, 2))
}
/// The three-bit register fields (x8..x15) at bits 9:7 and 4:2.
fn rp_hi(h: u32) -> XReg {
    XReg::new(8 + bits(h, 9, 7))
}
fn rp_lo(h: u32) -> XReg {
    XReg::new(8 + bits(h, 4, 2))
}
fn fp_lo(h: u32) -> FReg {
    FReg::new(8 + bits(h, 4, 2))
}

/// The 6-bit signed immediate of c.addi, c.li, c.andi, …: imm[5] = 12, imm[4:0] = 6:2.
fn imm6(h: u32) -> i32 {
    sext((bit(h, 12) << 5) | bits(h, 6, 2), 6)
}
/// The 6-bit shift amount: shamt[5] = 12, shamt[4:0] = 6:2.
fn shamt6(h: u32) -> u32 {
    (bit(h, 12) << 5) | bits(h, 6, 2)
}
/// c.lw / c.sw offset: uimm[5:3] = 12:10, uimm[2] = 6, uimm[6] = 5.
fn uimm_w(h: u32) -> i32 {
    ((bits(h, 12, 10) << 3) | (bit(h, 6) << 2) | (bit(h, 5) << 6)) as i32
}
/// c.ld / c.sd / c.fld / c.fsd offset: uimm[5:3] = 12:10, uimm[7:6] = 6:5.
fn uimm_d(h: u32) -> i32 {
    ((bits(h, 12, 10) << 3) | (bits(h, 6, 5) << 6)) as i32
}
/// c.lwsp offset: uimm[5] = 12, uimm[4:2] = 6:4, uimm[7:6] = 3:2.
fn uimm_lwsp(h: u32) -> i32 {
    ((bit(h, 12) << 5) | (bits(h, 6, 4) << 2) | (bits(h, 3, 2) << 6)) as i32
}
/// c.ldsp / c.fldsp offset: uimm[5] = 12, uimm[4:3] = 6:5, uimm[8:6] = 4:2.
fn uimm_ldsp(h: u32) -> i32 {
    ((bit(h, 12) << 5) | (bits(h, 6, 5) << 3) | (bits(h, 4, 2) << 6)) as i32
}
/// c.swsp offset: uimm[5:2] = 12:9, uimm[7:6] = 8:7.
fn uimm_swsp(h: u32) -> i32 {
    ((bits(h, 12, 9) << 2) | (bits(h, 8, 7) << 6)) as i32
}
/// c.sdsp / c.fsdsp offset: uimm[5:3] = 12:10, uimm[8:6] = 9:7.
fn uimm_sdsp(h: u32) -> i32 {
    ((bits(h, 12, 10) << 3) | (bits(h, 9, 7) << 6)) as i32
}
/// c.addi4spn: nzuimm[5:4] = 12:11, nzuimm[9:6] = 10:7, nzuimm[2] = 6, nzuimm[3] = 5.
fn nzuimm_addi4spn(h: u32) -> i32 {
    ((bits(h, 12, 11) << 4) | (bits(h, 10, 7) << 6) | (bit(h, 6) << 2) | (bit(h, 5) << 3)) as i32
}
/// c.addi16sp: nzimm[9] = 12, nzimm[4] = 6, nzimm[6] = 5, nzimm[8:7] = 4:3, nzimm[5] = 2.
fn nzimm_addi16sp(h: u32) -> i32 {
    sext(
        (bit(h, 12) << 9)
            | (bit(h, 6) << 4)
            | (bit(h, 5) << 6)
            | (bits(h, 4, 3) << 7)
            | (bit(h, 2) << 5),
        10,
    )
}
/// c.j offset: [11] = 12, [4] = 11, [9:8] = 10:9, [10] = 8, [6] = 7, [7] = 6, [3:1] = 5:3, [5] = 2.
fn off_j(h: u32) -> i32 {
    sext(
        (bit(h, 12) << 11)
            | (bit(h, 11) << 4)
            | (bits(h, 10, 9) << 8)
            | (bit(h, 8) << 10)
            | (bit(h, 7) << 6)
            | (bit(h, 6) << 7)
            | (bits(h, 5, 3) << 1)
            | (bit(h, 2) << 5),
        12,
    )
}
/// c.beqz / c.bnez offset: [8] = 12, [4:3] = 11:10, [7:6] = 6:5, [2:1] = 4:3, [5] = 2.
fn off_b(h: u32) -> i32 {
    sext(
        (bit(h, 12) << 8)
            | (bits(h, 11, 10) << 3)
            | (bits(h, 6, 5) << 6)
            | (bits(h, 4, 3) << 1)
            | (bit(h, 2) << 5),
        9,
    )
}

const SP: XReg = XReg::SP;
const ZERO: XReg = XReg::ZERO;

/// The base instruction a compressed encoding stands for; `None` if it is reserved or illegal.
/// HINT encodings (e.g. `c.li zero,1`) expand to the base instruction that has no effect.
pub fn expand(h: u16) -> Option<Insn> {
    let h = h as u32;
    let quadrant = h & 3;
    let funct3 = bits(h, 15, 13);
    Some(match (quadrant, funct3) {
        // Quadrant 0.
        (0, 0) => {
            let imm = nzuimm_addi4spn(h);
            if imm == 0 {
                return None; // Includes the all-zero word, illegal by definition.
            }
            Insn::Addi(I {
                rd: rp_lo(h),
                rs1: SP,
                imm,
            })
        }
        (0, 1) => Insn::Fld(FLoad {
            rd: fp_lo(h),
            rs1: rp_hi(h),
            imm: uimm_d(h),
        }),
        (0, 2) => Insn::Lw(Load {
            rd: rp_lo(h),
            rs1: rp_hi(h),
            imm: uimm_w(h),
        }),
        (0, 3) => Insn::Ld(Load {
            rd: rp_lo(h),
            rs1: rp_hi(h),
            imm: uimm_d(h),
        }),
        (0, 5) => Insn::Fsd(FStore {
            rs1: rp_hi(h),
            rs2: fp_lo(h),
            imm: uimm_d(h),
        }),
        (0, 6) => Insn::Sw(Store {
            rs1: rp_hi(h),
            rs2: rp_lo(h),
            imm: uimm_w(h),
        }),
        (0, 7) => Insn::Sd(Store {
            rs1: rp_hi(h),
            rs2: rp_lo(h),
            imm: uimm_d(h),
        }),
        // Quadrant 1.
        (1, 0) => Insn::Addi(I {
            rd: r_hi(h),
            rs1: r_hi(h),
            imm: imm6(h),
        }),
        (1, 1) => {
            if r_hi(h) == ZERO {
                return None;
            }
            Insn::Addiw(I {
                rd: r_hi(h),
                rs1: r_hi(h),
                imm: imm6(h),
            })
        }
        (1, 2) => Insn::Addi(I {
            rd: r_hi(h),
            rs1: ZERO,
            imm: imm6(h),
        }),
        (1, 3) if r_hi(h) == SP => {
            let imm = nzimm_addi16sp(h);
            if imm == 0 {
                return None;
            }
            Insn::Addi(I {
                rd: SP,
                rs1: SP,
                imm,
            })
        }
        (1, 3) => {
            let imm = imm6(h) << 12;
            if imm == 0 {
                return None;
            }
            Insn::Lui(U { rd: r_hi(h), imm })
        }
        (1, 4) => {
            let (rd, rs2) = (rp_hi(h), rp_lo(h));
            match (bits(h, 11, 10), bit(h, 12), bits(h, 6, 5)) {
                (0, _, _) => Insn::Srli(Shift {
                    rd,
                    rs1: rd,
                    shamt: shamt6(h),
                }),
                (1, _, _) => Insn::Srai(Shift {
                    rd,
                    rs1: rd,
                    shamt: shamt6(h),
                }),
                (2, _, _) => Insn::Andi(I {
                    rd,
                    rs1: rd,
                    imm: imm6(h),
                }),
                (3, 0, 0) => Insn::Sub(R { rd, rs1: rd, rs2 }),
                (3, 0, 1) => Insn::Xor(R { rd, rs1: rd, rs2 }),
                (3, 0, 2) => Insn::Or(R { rd, rs1: rd, rs2 }),
                (3, 0, 3) => Insn::And(R { rd, rs1: rd, rs2 }),
                (3, 1, 0) => Insn::Subw(R { rd, rs1: rd, rs2 }),
                (3, 1, 1) => Insn::Addw(R { rd, rs1: rd, rs2 }),
                _ => return None,
            }
        }
        (1, 5) => Insn::Jal(J {
            rd: ZERO,
            off: off_j(h),
        }),
        (1, 6) => Insn::Beq(B {
            rs1: rp_hi(h),
            rs2: ZERO,
            off: off_b(h),
        }),
        (1, 7) => Insn::Bne(B {
            rs1: rp_hi(h),
            rs2: ZERO,
            off: off_b(h),
        }),
        // Quadrant 2.
        (2, 0) => Insn::Slli(Shift {
            rd: r_hi(h),
            rs1: r_hi(h),
            shamt: shamt6(h),
        }),
        (2, 1) => Insn::Fld(FLoad {
            rd: FReg::new(bits(h, 11, 7)),
            rs1: SP,
            imm: uimm_ldsp(h),
        }),
        (2, 2) => {
            if r_hi(h) == ZERO {
                return None;
            }
            Insn::Lw(Load {
                rd: r_hi(h),
                rs1: SP,
                imm: uimm_lwsp(h),
            })
        }
        (2, 3) => {
            if r_hi(h) == ZERO {
                return None;
            }
            Insn::Ld(Load {
                rd: r_hi(h),
                rs1: SP,
                imm: uimm_ldsp(h),
            })
        }
        (2, 4) => match (bit(h, 12), r_hi(h), r_lo(h)) {
            (0, ZERO, ZERO) => return None,
            (0, rs1, ZERO) => Insn::Jalr(Load {
                rd: ZERO,
                rs1,
                imm: 0,
            }),
            (0, rd, rs2) => Insn::Add(R { rd, rs1: ZERO, rs2 }),
            (_, ZERO, ZERO) => Insn::Ebreak(Nullary {}),
            (_, rs1, ZERO) => Insn::Jalr(Load {
                rd: XReg::RA,
                rs1,
                imm: 0,
            }),
            (_, rd, rs2) => Insn::Add(R { rd, rs1: rd, rs2 }),
        },
        (2, 5) => Insn::Fsd(FStore {
            rs1: SP,
            rs2: FReg::new(bits(h, 6, 2)),
            imm: uimm_sdsp(h),
        }),
        (2, 6) => Insn::Sw(Store {
            rs1: SP,
            rs2: r_lo(h),
            imm: uimm_swsp(h),
        }),
        (2, 7) => Insn::Sd(Store {
            rs1: SP,
            rs2: r_lo(h),
            imm: uimm_sdsp(h),
        }),
        _ => return None,
    })
}
