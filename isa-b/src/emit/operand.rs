//! The emitter's operands: registers, widths, memory operands, operations and condition
//! codes in this crate's own types, and their iced-x86 counterparts.

use iced_x86::code_asm::{self as ca, AsmMemoryOperand, AsmRegister64};
use std::fmt;

/// A general-purpose register, numbered as in the x86-64 encoding.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Gpr {
    Rax,
    Rcx,
    Rdx,
    Rbx,
    Rsp,
    Rbp,
    Rsi,
    Rdi,
    R8,
    R9,
    R10,
    R11,
    R12,
    R13,
    R14,
    R15,
}

impl Gpr {
    const NAMES: [&'static str; 16] = [
        "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12",
        "r13", "r14", "r15",
    ];
}

impl fmt::Display for Gpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(Gpr::NAMES[*self as usize])
    }
}

/// An operand width.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum W {
    B8,
    B16,
    B32,
    B64,
}

/// A memory operand: `[base + index*scale + disp]`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Mem {
    pub base: Gpr,
    pub index: Option<(Gpr, u32)>,
    pub disp: i32,
}

impl Mem {
    /// `[base + disp]`.
    pub const fn at(base: Gpr, disp: i32) -> Mem {
        Mem {
            base,
            index: None,
            disp,
        }
    }
    /// `[base + index + disp]`.
    pub const fn indexed(base: Gpr, index: Gpr, disp: i32) -> Mem {
        Mem {
            base,
            index: Some((index, 1)),
            disp,
        }
    }
}

/// Two-operand integer operations with the x86 flag semantics.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Alu {
    Add,
    Sub,
    And,
    Or,
    Xor,
    Cmp,
    Test,
}

/// Shifts, and the rotate right RISC-V spells as two shifts and an `or`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Shift {
    Shl,
    Shr,
    Sar,
    Ror,
}

/// Condition codes.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Cc {
    E,
    Ne,
    L,
    Ge,
    Le,
    G,
    B,
    Ae,
    Be,
    A,
    /// Parity set: after `ucomisd`/`comisd`, unordered (a NaN operand).
    P,
    Np,
    /// Overflow.
    O,
}

impl Cc {
    /// The condition that holds exactly when this one does not (there is no "no overflow"
    /// here: `O` has none).
    pub fn inverse(self) -> Cc {
        use Cc::*;
        match self {
            E => Ne,
            Ne => E,
            L => Ge,
            Ge => L,
            Le => G,
            G => Le,
            B => Ae,
            Ae => B,
            Be => A,
            A => Be,
            P => Np,
            Np => P,
            O => unreachable!("no condition is o's negation"),
        }
    }
}

/// An SSE register, xmm0..xmm15.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Xmm(u8);

impl Xmm {
    pub const X0: Xmm = Xmm(0);
    pub const X1: Xmm = Xmm(1);
    pub const X2: Xmm = Xmm(2);

    /// xmm`n`; `n` must be below 16.
    pub const fn new(n: u8) -> Xmm {
        assert!(n < 16, "x86-64 has 16 SSE registers");
        Xmm(n)
    }

    pub const fn num(self) -> u8 {
        self.0
    }
}

/// A floating-point source operand: a register, or memory of the operation's width.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum FSrc {
    Reg(Xmm),
    Mem(Mem),
}

impl From<Xmm> for FSrc {
    fn from(x: Xmm) -> FSrc {
        FSrc::Reg(x)
    }
}

impl From<Mem> for FSrc {
    fn from(m: Mem) -> FSrc {
        FSrc::Mem(m)
    }
}

/// Scalar SSE operations (`addss`, `addsd` …), rounded as MXCSR says.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Sse {
    Add,
    Sub,
    Mul,
    Div,
    Sqrt,
    /// x86's `min`/`max`: the second operand when either is a NaN or both are zeros.
    Min,
    Max,
}

/// Fused multiply-adds, `d = ±(d * a) ± b` (x86's 213 forms).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Fma {
    /// `d*a + b`
    MulAdd,
    /// `d*a - b`
    MulSub,
    /// `-(d*a) + b`
    NegMulAdd,
    /// `-(d*a) - b`
    NegMulSub,
}

/// The two IEEE formats an SSE scalar instruction works on: single and double precision.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Prec {
    S,
    D,
}

impl Prec {
    /// The width of a value in memory.
    pub fn w(self) -> W {
        match self {
            Prec::S => W::B32,
            Prec::D => W::B64,
        }
    }

    pub fn bits(self) -> u8 {
        match self {
            Prec::S => 32,
            Prec::D => 64,
        }
    }

    /// Bits of fraction (the quiet bit is the top one).
    pub fn frac(self) -> u8 {
        match self {
            Prec::S => 23,
            Prec::D => 52,
        }
    }
}

const R64: [AsmRegister64; 16] = [
    ca::rax,
    ca::rcx,
    ca::rdx,
    ca::rbx,
    ca::rsp,
    ca::rbp,
    ca::rsi,
    ca::rdi,
    ca::r8,
    ca::r9,
    ca::r10,
    ca::r11,
    ca::r12,
    ca::r13,
    ca::r14,
    ca::r15,
];
const R32: [ca::AsmRegister32; 16] = [
    ca::eax,
    ca::ecx,
    ca::edx,
    ca::ebx,
    ca::esp,
    ca::ebp,
    ca::esi,
    ca::edi,
    ca::r8d,
    ca::r9d,
    ca::r10d,
    ca::r11d,
    ca::r12d,
    ca::r13d,
    ca::r14d,
    ca::r15d,
];
const R16: [ca::AsmRegister16; 16] = [
    ca::ax,
    ca::cx,
    ca::dx,
    ca::bx,
    ca::sp,
    ca::bp,
    ca::si,
    ca::di,
    ca::r8w,
    ca::r9w,
    ca::r10w,
    ca::r11w,
    ca::r12w,
    ca::r13w,
    ca::r14w,
    ca::r15w,
];
const R8: [ca::AsmRegister8; 16] = [
    ca::al,
    ca::cl,
    ca::dl,
    ca::bl,
    ca::spl,
    ca::bpl,
    ca::sil,
    ca::dil,
    ca::r8b,
    ca::r9b,
    ca::r10b,
    ca::r11b,
    ca::r12b,
    ca::r13b,
    ca::r14b,
    ca::r15b,
];

pub(super) fn r64(r: Gpr) -> AsmRegister64 {
    R64[r as usize]
}
pub(super) fn r32(r: Gpr) -> ca::AsmRegister32 {
    R32[r as usize]
}
pub(super) fn r16(r: Gpr) -> ca::AsmRegister16 {
    R16[r as usize]
}
pub(super) fn r8(r: Gpr) -> ca::AsmRegister8 {
    R8[r as usize]
}

pub(super) fn xmm(x: Xmm) -> ca::AsmRegisterXmm {
    [
        ca::xmm0,
        ca::xmm1,
        ca::xmm2,
        ca::xmm3,
        ca::xmm4,
        ca::xmm5,
        ca::xmm6,
        ca::xmm7,
        ca::xmm8,
        ca::xmm9,
        ca::xmm10,
        ca::xmm11,
        ca::xmm12,
        ca::xmm13,
        ca::xmm14,
        ca::xmm15,
    ][x.0 as usize]
}

pub(super) fn mem(m: Mem) -> AsmMemoryOperand {
    match m.index {
        None => r64(m.base) + m.disp,
        Some((i, s)) => r64(m.base) + r64(i) * s + m.disp,
    }
}

/// A memory operand of width `w`.
pub(super) fn ptr(w: W, m: Mem) -> AsmMemoryOperand {
    let m = mem(m);
    match w {
        W::B64 => ca::qword_ptr(m),
        W::B32 => ca::dword_ptr(m),
        W::B16 => ca::word_ptr(m),
        W::B8 => ca::byte_ptr(m),
    }
}

/// A scalar floating-point memory operand of precision `p`.
pub(super) fn fptr(p: Prec, m: Mem) -> AsmMemoryOperand {
    match p {
        Prec::S => ca::dword_ptr(mem(m)),
        Prec::D => ca::qword_ptr(mem(m)),
    }
}

#[cfg(test)]
mod tests {
    use super::Cc;

    #[test]
    fn a_condition_and_its_inverse_pair_up() {
        use Cc::*;
        for cc in [E, Ne, L, Ge, Le, G, B, Ae, Be, A, P, Np] {
            assert_ne!(cc.inverse(), cc);
            assert_eq!(cc.inverse().inverse(), cc);
        }
        assert_eq!(L.inverse(), Ge);
        assert_eq!(B.inverse(), Ae);
    }
}
