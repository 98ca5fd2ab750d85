//! Comparisons, fmin/fmax and fclass.

use super::pack::{unpack, Val};
use super::{Fmt, NV};

/// Orders two non-NaN encodings as numbers, with -0 below +0 when
/// `signed_zeros` (fmin/fmax) and equal to it otherwise. Returns `a < b`.
fn less<F: Fmt>(a: u64, b: u64, signed_zeros: bool) -> bool {
    let (a, b) = (a & F::MASK, b & F::MASK);
    let (sa, sb) = (a & F::SIGN != 0, b & F::SIGN != 0);
    let (ma, mb) = (a & !F::SIGN, b & !F::SIGN);
    if ma == 0 && mb == 0 {
        return signed_zeros && sa && !sb;
    }
    // Sign-magnitude order: the magnitudes of non-NaN encodings compare as
    // integers.
    match (sa, sb) {
        (false, false) => ma < mb,
        (true, true) => ma > mb,
        (true, false) => true,
        (false, true) => false,
    }
}

fn min_max<F: Fmt>(a: u64, b: u64, want_max: bool, fl: &mut u8) -> u64 {
    let (x, y) = (unpack::<F>(a), unpack::<F>(b));
    if x.is_snan() || y.is_snan() {
        *fl |= NV;
    }
    match (x.is_nan(), y.is_nan()) {
        (true, true) => F::CANONICAL_NAN,
        (true, false) => b & F::MASK,
        (false, true) => a & F::MASK,
        (false, false) => {
            if less::<F>(a, b, true) != want_max {
                a & F::MASK
            } else {
                b & F::MASK
            }
        }
    }
}

pub fn min<F: Fmt>(a: u64, b: u64, fl: &mut u8) -> u64 {
    min_max::<F>(a, b, false, fl)
}

pub fn max<F: Fmt>(a: u64, b: u64, fl: &mut u8) -> u64 {
    min_max::<F>(a, b, true, fl)
}

pub fn eq<F: Fmt>(a: u64, b: u64, fl: &mut u8) -> bool {
    let (x, y) = (unpack::<F>(a), unpack::<F>(b));
    if x.is_nan() || y.is_nan() {
        if x.is_snan() || y.is_snan() {
            *fl |= NV;
        }
        return false;
    }
    !less::<F>(a, b, false) && !less::<F>(b, a, false)
}

pub fn lt<F: Fmt>(a: u64, b: u64, fl: &mut u8) -> bool {
    if unpack::<F>(a).is_nan() || unpack::<F>(b).is_nan() {
        *fl |= NV;
        return false;
    }
    less::<F>(a, b, false)
}

pub fn le<F: Fmt>(a: u64, b: u64, fl: &mut u8) -> bool {
    if unpack::<F>(a).is_nan() || unpack::<F>(b).is_nan() {
        *fl |= NV;
        return false;
    }
    !less::<F>(b, a, false)
}

pub fn classify<F: Fmt>(a: u64) -> u64 {
    let bit = match unpack::<F>(a) {
        Val::Inf { sign: true } => 0,
        Val::Finite { sign: true, .. } if a & F::MASK & F::INF != 0 => 1,
        Val::Finite { sign: true, .. } => 2,
        Val::Zero { sign: true } => 3,
        Val::Zero { sign: false } => 4,
        Val::Finite { sign: false, .. } if a & F::MASK & F::INF == 0 => 5,
        Val::Finite { sign: false, .. } => 6,
        Val::Inf { sign: false } => 7,
        Val::Nan { signaling: true } => 8,
        Val::Nan { signaling: false } => 9,
    };
    1 << bit
}
