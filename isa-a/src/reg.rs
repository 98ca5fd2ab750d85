//! Register names and the rounding-mode operand.

use std::fmt;

/// An integer register, x0..x31.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct XReg(u8);

/// A floating-point register, f0..f31.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FReg(u8);

const X_ABI: [&str; 32] = [
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4",
    "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4",
    "t5", "t6",
];

const F_ABI: [&str; 32] = [
    "ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7", "fs0", "fs1", "fa0", "fa1", "fa2",
    "fa3", "fa4", "fa5", "fa6", "fa7", "fs2", "fs3", "fs4", "fs5", "fs6", "fs7", "fs8", "fs9",
    "fs10", "fs11", "ft8", "ft9", "ft10", "ft11",
];

macro_rules! reg_impl {
    ($ty:ident, $abi:ident) => {
        impl $ty {
            /// The register numbered `n`; only the low five bits count.
            pub const fn new(n: u32) -> Self {
                Self((n & 31) as u8)
            }
            /// Its number, 0..=31.
            #[inline(always)]
            pub const fn num(self) -> usize {
                // `new` keeps the field below 32; saying so again here lets the compiler drop
                // the bounds check on every register-file access.
                (self.0 & 31) as usize
            }
            /// Its ABI name (`a0`, `fs1`, …).
            pub const fn abi_name(self) -> &'static str {
                $abi[self.0 as usize]
            }
        }
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.abi_name())
            }
        }
    };
}
reg_impl!(XReg, X_ABI);
reg_impl!(FReg, F_ABI);

impl XReg {
    pub const ZERO: XReg = XReg(0);
    pub const RA: XReg = XReg(1);
    pub const SP: XReg = XReg(2);
}

/// The static rounding-mode field of a floating-point instruction.
/// The reserved encodings 5 and 6 never reach this type: they decode as illegal.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Rm {
    /// Round to nearest, ties to even.
    Rne,
    /// Round towards zero.
    Rtz,
    /// Round down (towards −∞).
    Rdn,
    /// Round up (towards +∞).
    Rup,
    /// Round to nearest, ties to max magnitude.
    Rmm,
    /// Use the dynamic mode in `frm`.
    Dyn,
}

impl Rm {
    /// The field value `bits` (0..=7) as a mode; `None` for the reserved values 5 and 6.
    pub const fn from_bits(bits: u32) -> Option<Rm> {
        Some(match bits & 7 {
            0 => Rm::Rne,
            1 => Rm::Rtz,
            2 => Rm::Rdn,
            3 => Rm::Rup,
            4 => Rm::Rmm,
            7 => Rm::Dyn,
            _ => return None,
        })
    }
    pub const fn bits(self) -> u32 {
        match self {
            Rm::Rne => 0,
            Rm::Rtz => 1,
            Rm::Rdn => 2,
            Rm::Rup => 3,
            Rm::Rmm => 4,
            Rm::Dyn => 7,
        }
    }
    pub const fn name(self) -> &'static str {
        match self {
            Rm::Rne => "rne",
            Rm::Rtz => "rtz",
            Rm::Rdn => "rdn",
            Rm::Rup => "rup",
            Rm::Rmm => "rmm",
            Rm::Dyn => "dyn",
        }
    }
}
