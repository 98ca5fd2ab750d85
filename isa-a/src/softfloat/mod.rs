//! Exact software IEEE-754 binary32/binary64 arithmetic with RISC-V semantics.
//!
//! This is the interpreter's "exact path" for the F and D extensions. It uses
//! only integer arithmetic (no host floating point), so it can serve as an
//! independent reference. Semantics follow the RISC-V unprivileged ISA:
//! default IEEE exception handling, tininess detected after rounding, and
//! every NaN result is the canonical NaN (no payload propagation).
//!
//! Values are raw bit patterns in the low bits of a `u64` (an `F32` value uses
//! the low 32 bits; NaN-boxing is the caller's business). Every operation ORs
//! the exceptions it raises into `fl` and never clears bits.
//!
//! Layout: `pack` holds unpacking and the single round-and-pack routine used
//! by every operation, `arith` the arithmetic, `cmp` comparisons and fclass,
//! `convert` the integer and format conversions.

mod arith;
mod cmp;
mod convert;
mod pack;

pub use arith::{add, div, fma, mul, sqrt, sub};
pub use cmp::{classify, eq, le, lt, max, min};
pub use convert::{f32_to_f64, f64_to_f32, from_int, to_int};

/// Rounding modes (RISC-V frm encodings 0..=4).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Round {
    /// Round to nearest, ties to even.
    Rne,
    /// Round towards zero.
    Rtz,
    /// Round down (towards -infinity).
    Rdn,
    /// Round up (towards +infinity).
    Rup,
    /// Round to nearest, ties to max magnitude.
    Rmm,
}

/// Invalid operation.
pub const NV: u8 = 0x10;
/// Divide by zero.
pub const DZ: u8 = 0x08;
/// Overflow.
pub const OF: u8 = 0x04;
/// Underflow.
pub const UF: u8 = 0x02;
/// Inexact.
pub const NX: u8 = 0x01;

/// IEEE binary32 format marker.
pub enum F32 {}
/// IEEE binary64 format marker.
pub enum F64 {}

/// Parameters of a binary interchange format. Only the first four constants
/// are meant to be given by an implementation; the rest are derived.
pub trait Fmt {
    /// Total width in bits.
    const BITS: u32;
    /// Width of the biased exponent field.
    const EXP_BITS: u32;
    /// Width of the trailing significand (fraction) field.
    const FRAC_BITS: u32;
    /// The RISC-V canonical NaN: positive, quiet, zero payload.
    const CANONICAL_NAN: u64;

    /// The sign bit.
    const SIGN: u64 = 1 << (Self::BITS - 1);
    /// All bits of the format.
    const MASK: u64 = u64::MAX >> (64 - Self::BITS);
    /// Mask of the fraction field.
    const FRAC_MASK: u64 = (1 << Self::FRAC_BITS) - 1;
    /// The biased exponent of infinities and NaNs (all ones).
    const EXP_MAX: i32 = (1 << Self::EXP_BITS) - 1;
    /// Exponent bias.
    const BIAS: i32 = (1 << (Self::EXP_BITS - 1)) - 1;
    /// Unbiased exponent of the smallest normal number.
    const EMIN: i32 = 1 - Self::BIAS;
    /// Most significant fraction bit: set for quiet NaNs.
    const QUIET_BIT: u64 = 1 << (Self::FRAC_BITS - 1);
    /// Positive infinity.
    const INF: u64 = (Self::EXP_MAX as u64) << Self::FRAC_BITS;
    /// Largest finite positive value.
    const MAX_FINITE: u64 = Self::INF - 1;
}

impl Fmt for F32 {
    const BITS: u32 = 32;
    const EXP_BITS: u32 = 8;
    const FRAC_BITS: u32 = 23;
    const CANONICAL_NAN: u64 = 0x7fc0_0000;
}

impl Fmt for F64 {
    const BITS: u32 = 64;
    const EXP_BITS: u32 = 11;
    const FRAC_BITS: u32 = 52;
    const CANONICAL_NAN: u64 = 0x7ff8_0000_0000_0000;
}
