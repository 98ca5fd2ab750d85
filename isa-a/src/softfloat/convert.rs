//! Float <-> integer conversions and f32 <-> f64.

use super::pack::{inf, nan, round_pack, shift_round, unpack, zero, Val};
use super::{Fmt, Round, F32, F64, NV, NX};

/// Sign-extends the low `width` bits of `v`.
fn sext(v: u64, width: u32) -> u64 {
    (((v << (64 - width)) as i64) >> (64 - width)) as u64
}

pub fn to_int<F: Fmt>(a: u64, signed: bool, width: u32, rm: Round, fl: &mut u8) -> u64 {
    assert!(width == 32 || width == 64, "width must be 32 or 64");
    // Saturation values as (negative-side, positive-side) results.
    let (min, max) = if signed {
        (1u64 << (width - 1), (1u64 << (width - 1)) - 1)
    } else {
        (0, u64::MAX >> (64 - width))
    };
    let invalid = |fl: &mut u8, negative: bool| {
        *fl |= NV;
        sext(if negative { min } else { max }, width)
    };
    let (sign, exp, sig) = match unpack::<F>(a) {
        Val::Nan { .. } => return invalid(fl, false),
        Val::Inf { sign } => return invalid(fl, sign),
        Val::Zero { .. } => return 0,
        Val::Finite { sign, exp, sig } => (sign, exp, sig),
    };
    // |a| >= 2^65 cannot fit any target; checking it first bounds the shift.
    if exp + F::FRAC_BITS as i32 > 64 {
        return invalid(fl, sign);
    }
    let (mag, inexact) = shift_round(sig, -exp, sign, rm);
    // Largest magnitude representable on this side.
    let limit = match (signed, sign) {
        (true, true) => 1u128 << (width - 1),
        (true, false) => (1u128 << (width - 1)) - 1,
        // Only zero is representable among unsigned "negative" results.
        (false, true) => 0,
        (false, false) => (1u128 << width) - 1,
    };
    if mag > limit {
        return invalid(fl, sign);
    }
    if inexact {
        *fl |= NX;
    }
    let v = mag as u64;
    sext(if sign { v.wrapping_neg() } else { v }, width)
}

pub fn from_int<F: Fmt>(v: u64, signed: bool, width: u32, rm: Round, fl: &mut u8) -> u64 {
    assert!(width == 32 || width == 64, "width must be 32 or 64");
    let v = if signed {
        sext(v, width)
    } else {
        v & (u64::MAX >> (64 - width))
    };
    let sign = signed && (v as i64) < 0;
    let mag = if sign { (v as i64).unsigned_abs() } else { v };
    if mag == 0 {
        return 0;
    }
    round_pack::<F>(sign, 0, u128::from(mag), rm, fl)
}

/// Converts between formats (either direction), rounding per `rm`.
fn convert<S: Fmt, T: Fmt>(a: u64, rm: Round, fl: &mut u8) -> u64 {
    match unpack::<S>(a) {
        Val::Nan { signaling } => nan::<T>(signaling, fl),
        Val::Inf { sign } => inf::<T>(sign),
        Val::Zero { sign } => zero::<T>(sign),
        Val::Finite { sign, exp, sig } => round_pack::<T>(sign, exp, sig, rm, fl),
    }
}

pub fn f32_to_f64(a: u64, fl: &mut u8) -> u64 {
    // Widening is exact, so the rounding mode is irrelevant.
    convert::<F32, F64>(a, Round::Rne, fl)
}

pub fn f64_to_f32(a: u64, rm: Round, fl: &mut u8) -> u64 {
    convert::<F64, F32>(a, rm, fl)
}
