//! Unpacking of encodings and the one rounding routine shared by all
//! operations.

use super::{Fmt, Round, NV, NX, OF, UF};
use std::cmp::Ordering;

/// A decoded operand.
#[derive(Copy, Clone, Debug)]
pub(crate) enum Val {
    Nan {
        signaling: bool,
    },
    Inf {
        sign: bool,
    },
    Zero {
        sign: bool,
    },
    /// Nonzero finite value `sig * 2^exp`. `sig` is normalized: its most
    /// significant set bit is bit `FRAC_BITS` (also for subnormal inputs).
    Finite {
        sign: bool,
        exp: i32,
        sig: u128,
    },
}

impl Val {
    pub(crate) fn is_nan(self) -> bool {
        matches!(self, Val::Nan { .. })
    }
    pub(crate) fn is_snan(self) -> bool {
        matches!(self, Val::Nan { signaling: true })
    }
}

/// Decodes the low `F::BITS` bits of `a`.
pub(crate) fn unpack<F: Fmt>(a: u64) -> Val {
    let a = a & F::MASK;
    let sign = a & F::SIGN != 0;
    let biased = ((a >> F::FRAC_BITS) as i32) & F::EXP_MAX;
    let frac = a & F::FRAC_MASK;
    if biased == F::EXP_MAX {
        if frac == 0 {
            Val::Inf { sign }
        } else {
            Val::Nan {
                signaling: frac & F::QUIET_BIT == 0,
            }
        }
    } else if biased == 0 {
        if frac == 0 {
            return Val::Zero { sign };
        }
        // Subnormal: move the leading one up to the hidden-bit position.
        let shift = frac.leading_zeros() - (63 - F::FRAC_BITS);
        Val::Finite {
            sign,
            exp: F::EMIN - F::FRAC_BITS as i32 - shift as i32,
            sig: u128::from(frac << shift),
        }
    } else {
        Val::Finite {
            sign,
            exp: biased - F::BIAS - F::FRAC_BITS as i32,
            sig: u128::from(frac | 1 << F::FRAC_BITS),
        }
    }
}

pub(crate) fn zero<F: Fmt>(sign: bool) -> u64 {
    if sign {
        F::SIGN
    } else {
        0
    }
}

pub(crate) fn inf<F: Fmt>(sign: bool) -> u64 {
    zero::<F>(sign) | F::INF
}

/// The canonical NaN, raising NV if `invalid`.
pub(crate) fn nan<F: Fmt>(invalid: bool, fl: &mut u8) -> u64 {
    if invalid {
        *fl |= NV;
    }
    F::CANONICAL_NAN
}

/// Divides `sig` by `2^sh` and rounds the quotient to an integer per `rm`
/// (`sign` is the sign of the value, needed by the directed modes). Returns
/// the rounded quotient and whether anything nonzero was discarded. A
/// negative `sh` shifts left; the caller guarantees nothing overflows.
pub(crate) fn shift_round(sig: u128, sh: i32, sign: bool, rm: Round) -> (u128, bool) {
    if sh <= 0 {
        return (sig << -sh, false);
    }
    let sh = sh as u32;
    // `rest` compared with half of one unit of the quotient.
    let (q, rest) = match sh {
        0..=127 => {
            let rem = sig & ((1u128 << sh) - 1);
            (sig >> sh, rem.cmp(&(1u128 << (sh - 1))))
        }
        128 => (0, sig.cmp(&(1u128 << 127))),
        _ => (
            0,
            if sig == 0 {
                Ordering::Equal
            } else {
                Ordering::Less
            },
        ),
    };
    let inexact = if sh >= 128 {
        sig != 0
    } else {
        sig & ((1u128 << sh) - 1) != 0
    };
    let up = inexact
        && match rm {
            Round::Rne => rest == Ordering::Greater || (rest == Ordering::Equal && q & 1 == 1),
            Round::Rmm => rest != Ordering::Less,
            Round::Rtz => false,
            Round::Rdn => sign,
            Round::Rup => !sign,
        };
    (q + up as u128, inexact)
}

/// Rounds the nonzero value `(-1)^sign * sig * 2^exp` to format `F` and packs
/// it, raising NX/UF/OF as IEEE 754 default handling with tininess detected
/// after rounding requires.
///
/// The value need not be exact: a caller that discarded low-order bits must
/// OR a 1 (sticky) into bit 0 of `sig`, and must keep at least `FRAC_BITS + 3`
/// significant bits in `sig` when doing so, so that the sticky bit lies below
/// the rounding bit.
pub(crate) fn round_pack<F: Fmt>(sign: bool, exp: i32, sig: u128, rm: Round, fl: &mut u8) -> u64 {
    debug_assert!(sig != 0);
    let frac_bits = F::FRAC_BITS as i32;
    // The value lies in [2^top, 2^(top+1)).
    let top = exp + 127 - sig.leading_zeros() as i32;
    // Exponent of the unit in the last place of the result: fixed at the
    // subnormal quantum below the normal range.
    let ulp = top.max(F::EMIN) - frac_bits;
    let (mut m, inexact) = shift_round(sig, ulp - exp, sign, rm);

    // Tininess after rounding: the value rounded to FRAC_BITS+1 bits with an
    // unbounded exponent range is below 2^EMIN. Only a value just below 2^EMIN
    // can round up out of the tiny range, so only then is a second rounding
    // (at the unbounded-exponent quantum) needed.
    let tiny = top < F::EMIN - 1
        || (top == F::EMIN - 1
            && shift_round(sig, top - frac_bits - exp, sign, rm).0 < 1u128 << (frac_bits + 1));

    let mut top_res = ulp + frac_bits;
    if m >> (frac_bits + 1) != 0 {
        // Rounding carried into a new binade: m is exactly 2^(FRAC_BITS+1).
        m >>= 1;
        top_res += 1;
    }
    let m = m as u64;
    let magnitude = if m >> F::FRAC_BITS == 0 {
        // Subnormal or zero (a carry into the normal range is caught above
        // since then m has its bit FRAC_BITS set).
        m
    } else {
        let biased = top_res + F::BIAS;
        if biased >= F::EXP_MAX {
            *fl |= OF | NX;
            let to_inf = match rm {
                Round::Rne | Round::Rmm => true,
                Round::Rtz => false,
                Round::Rdn => sign,
                Round::Rup => !sign,
            };
            return zero::<F>(sign) | if to_inf { F::INF } else { F::MAX_FINITE };
        }
        ((biased as u64) << F::FRAC_BITS) | (m & F::FRAC_MASK)
    };
    if inexact {
        *fl |= NX;
        if tiny {
            *fl |= UF;
        }
    }
    zero::<F>(sign) | magnitude
}
