//! Instruction builders the lowering's unit tests share.

use isa_a::format::{Load, Nullary, Shift, ShiftW, B, I, R};
use isa_a::{Decoded, Insn, XReg};

pub(super) fn d(insn: Insn) -> Decoded {
    Decoded { insn, len: 4 }
}

pub(super) fn x(n: u32) -> XReg {
    XReg::new(n)
}

pub(super) fn r(rd: u32, rs1: u32, rs2: u32) -> R {
    R {
        rd: x(rd),
        rs1: x(rs1),
        rs2: x(rs2),
    }
}

pub(super) fn i(rd: u32, rs1: u32, imm: i32) -> I {
    I {
        rd: x(rd),
        rs1: x(rs1),
        imm,
    }
}

pub(super) fn shift(rd: u32, rs1: u32, shamt: u32) -> Shift {
    Shift {
        rd: x(rd),
        rs1: x(rs1),
        shamt,
    }
}

pub(super) fn shift_w(rd: u32, rs1: u32, shamt: u32) -> ShiftW {
    ShiftW {
        rd: x(rd),
        rs1: x(rs1),
        shamt,
    }
}

pub(super) fn load(rd: u32, rs1: u32, imm: i32) -> Load {
    Load {
        rd: x(rd),
        rs1: x(rs1),
        imm,
    }
}

/// `beqz rs1, off` (off from the branch's own pc).
pub(super) fn beqz(rs1: u32, off: i32) -> Decoded {
    d(Insn::Beq(B {
        rs1: x(rs1),
        rs2: x(0),
        off,
    }))
}

pub(super) fn ecall() -> Decoded {
    d(Insn::Ecall(Nullary {}))
}
