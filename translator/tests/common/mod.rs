//! Instruction builders the translator's test files share, by register number.

#![allow(dead_code)]

use isa_a::format::{FRrm, Shift, ShiftW, I, R};
use isa_a::{FReg, Rm, XReg};

pub fn r_of(rd: u32, rs1: u32, rs2: u32) -> R {
    R {
        rd: XReg::new(rd),
        rs1: XReg::new(rs1),
        rs2: XReg::new(rs2),
    }
}

pub fn i_of(rd: u32, rs1: u32, imm: i32) -> I {
    I {
        rd: XReg::new(rd),
        rs1: XReg::new(rs1),
        imm,
    }
}

/// An FP operation's operands, rounding as `frm` says.
pub fn fp_of(rd: u32, rs1: u32, rs2: u32) -> FRrm {
    FRrm {
        rd: FReg::new(rd),
        rs1: FReg::new(rs1),
        rs2: FReg::new(rs2),
        rm: Rm::Dyn,
    }
}

pub fn shift_of(rd: u32, rs1: u32, shamt: u32) -> Shift {
    Shift {
        rd: XReg::new(rd),
        rs1: XReg::new(rs1),
        shamt,
    }
}

pub fn shift_w_of(rd: u32, rs1: u32, shamt: u32) -> ShiftW {
    ShiftW {
        rd: XReg::new(rd),
        rs1: XReg::new(rs1),
        shamt,
    }
}
