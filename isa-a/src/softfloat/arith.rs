//! Addition, multiplication, division, square root and fused multiply-add.

use super::pack::{inf, nan, round_pack, unpack, zero, Val};
use super::{Fmt, Round, DZ};

/// Sign of an exact zero sum of operands with opposite signs (IEEE 754 6.3).
fn exact_zero_sign(rm: Round) -> bool {
    rm == Round::Rdn
}

/// Sum of two nonzero finite values, `(sa, ea, ma)` and `(sb, eb, mb)` each
/// meaning `(-1)^s * m * 2^e`, with a single rounding. Each significand must
/// have at most 126 significant bits; the sum is formed in a u128 with both
/// leading bits moved to bit 125 and the smaller operand jammed into a sticky
/// bit where it has to be shifted out.
fn add_finite<F: Fmt>(a: (bool, i32, u128), b: (bool, i32, u128), rm: Round, fl: &mut u8) -> u64 {
    let norm = |(s, e, m): (bool, i32, u128)| {
        let sh = m.leading_zeros() as i32 - 2;
        (s, e - sh, m << sh)
    };
    let (a, b) = (norm(a), norm(b));
    let (big, small) = if a.1 >= b.1 { (a, b) } else { (b, a) };
    let d = (big.1 - small.1) as u32;
    // Shifting right by `d` either is exact or leaves `big` dominant: with both
    // leading bits at 125, when bits are lost the result keeps its leading bit
    // at >= 124, far above the rounding position, so the jammed bit only acts
    // as sticky.
    let sm = if d >= 128 {
        1
    } else {
        (small.2 >> d) | u128::from(small.2 & ((1u128 << d) - 1) != 0)
    };
    let (sign, sum) = if big.0 == small.0 {
        (big.0, big.2 + sm)
    } else if big.2 >= sm {
        (big.0, big.2 - sm)
    } else {
        (small.0, sm - big.2)
    };
    if sum == 0 {
        return zero::<F>(exact_zero_sign(rm));
    }
    round_pack::<F>(sign, big.1, sum, rm, fl)
}

pub fn add<F: Fmt>(a: u64, b: u64, rm: Round, fl: &mut u8) -> u64 {
    match (unpack::<F>(a), unpack::<F>(b)) {
        (x, y) if x.is_nan() || y.is_nan() => nan::<F>(x.is_snan() || y.is_snan(), fl),
        (Val::Inf { sign: sa }, Val::Inf { sign: sb }) => {
            if sa == sb {
                inf::<F>(sa)
            } else {
                nan::<F>(true, fl)
            }
        }
        (Val::Inf { sign }, _) | (_, Val::Inf { sign }) => inf::<F>(sign),
        (Val::Zero { sign: sa }, Val::Zero { sign: sb }) => {
            zero::<F>(if sa == sb { sa } else { exact_zero_sign(rm) })
        }
        // x + 0 = x exactly (x is representable, so no rounding).
        (Val::Zero { .. }, _) => b & F::MASK,
        (_, Val::Zero { .. }) => a & F::MASK,
        (
            Val::Finite {
                sign: sa,
                exp: ea,
                sig: ma,
            },
            Val::Finite {
                sign: sb,
                exp: eb,
                sig: mb,
            },
        ) => add_finite::<F>((sa, ea, ma), (sb, eb, mb), rm, fl),
        _ => unreachable!(),
    }
}

pub fn sub<F: Fmt>(a: u64, b: u64, rm: Round, fl: &mut u8) -> u64 {
    // NaN results are canonical, so flipping the sign of a NaN is harmless.
    add::<F>(a, b ^ F::SIGN, rm, fl)
}

pub fn mul<F: Fmt>(a: u64, b: u64, rm: Round, fl: &mut u8) -> u64 {
    let (x, y) = (unpack::<F>(a), unpack::<F>(b));
    if x.is_nan() || y.is_nan() {
        return nan::<F>(x.is_snan() || y.is_snan(), fl);
    }
    let sign = (a ^ b) & F::SIGN != 0;
    match (x, y) {
        (Val::Inf { .. }, Val::Zero { .. }) | (Val::Zero { .. }, Val::Inf { .. }) => {
            nan::<F>(true, fl)
        }
        (Val::Inf { .. }, _) | (_, Val::Inf { .. }) => inf::<F>(sign),
        (Val::Zero { .. }, _) | (_, Val::Zero { .. }) => zero::<F>(sign),
        (
            Val::Finite {
                exp: ea, sig: ma, ..
            },
            Val::Finite {
                exp: eb, sig: mb, ..
            },
        ) => {
            // The full product has at most 106 bits: exact.
            round_pack::<F>(sign, ea + eb, ma * mb, rm, fl)
        }
        _ => unreachable!(),
    }
}

pub fn div<F: Fmt>(a: u64, b: u64, rm: Round, fl: &mut u8) -> u64 {
    let (x, y) = (unpack::<F>(a), unpack::<F>(b));
    if x.is_nan() || y.is_nan() {
        return nan::<F>(x.is_snan() || y.is_snan(), fl);
    }
    let sign = (a ^ b) & F::SIGN != 0;
    match (x, y) {
        (Val::Inf { .. }, Val::Inf { .. }) | (Val::Zero { .. }, Val::Zero { .. }) => {
            nan::<F>(true, fl)
        }
        (Val::Inf { .. }, _) => inf::<F>(sign),
        (_, Val::Inf { .. }) => zero::<F>(sign),
        (Val::Zero { .. }, _) => zero::<F>(sign),
        (_, Val::Zero { .. }) => {
            *fl |= DZ;
            inf::<F>(sign)
        }
        (
            Val::Finite {
                exp: ea, sig: ma, ..
            },
            Val::Finite {
                exp: eb, sig: mb, ..
            },
        ) => {
            // Both significands have FRAC_BITS+1 bits, so the quotient of the
            // dividend scaled by 2^72 has 72 or 73 bits: enough for rounding,
            // with the remainder folded into a sticky bit.
            const SCALE: i32 = 72;
            let n = ma << SCALE;
            let q = n / mb;
            let sticky = u128::from(n - q * mb != 0);
            round_pack::<F>(sign, ea - eb - SCALE, q | sticky, rm, fl)
        }
        _ => unreachable!(),
    }
}

/// Floor of the square root of `n` (bit-by-bit method).
fn isqrt(n: u128) -> u128 {
    let mut rem = n;
    let mut root = 0u128;
    let mut bit = 1u128 << ((127 - n.leading_zeros()) & !1);
    while bit != 0 {
        if rem >= root + bit {
            rem -= root + bit;
            root = (root >> 1) + bit;
        } else {
            root >>= 1;
        }
        bit >>= 2;
    }
    root
}

pub fn sqrt<F: Fmt>(a: u64, rm: Round, fl: &mut u8) -> u64 {
    match unpack::<F>(a) {
        Val::Nan { signaling } => nan::<F>(signaling, fl),
        // sqrt(-0) = -0.
        Val::Zero { sign } => zero::<F>(sign),
        Val::Inf { sign: true } | Val::Finite { sign: true, .. } => nan::<F>(true, fl),
        Val::Inf { sign: false } => F::INF,
        Val::Finite { exp, sig, .. } => {
            // Make the exponent even, then scale by 2^72 (also even) so the
            // integer root has at least 48 bits for f32 / 63 for f64.
            let (sig, exp) = if exp & 1 != 0 {
                (sig << 1, exp - 1)
            } else {
                (sig, exp)
            };
            let n = sig << 72;
            let r = isqrt(n);
            let sticky = u128::from(r * r != n);
            round_pack::<F>(false, (exp - 72) / 2, r | sticky, rm, fl)
        }
    }
}

pub fn fma<F: Fmt>(a: u64, b: u64, c: u64, rm: Round, fl: &mut u8) -> u64 {
    let (x, y, z) = (unpack::<F>(a), unpack::<F>(b), unpack::<F>(c));
    let inf_times_zero = matches!(
        (x, y),
        (Val::Inf { .. }, Val::Zero { .. }) | (Val::Zero { .. }, Val::Inf { .. })
    );
    // RISC-V: inf * 0 is invalid even when the addend is a quiet NaN.
    if x.is_nan() || y.is_nan() || z.is_nan() || inf_times_zero {
        return nan::<F>(
            inf_times_zero || x.is_snan() || y.is_snan() || z.is_snan(),
            fl,
        );
    }
    let psign = (a ^ b) & F::SIGN != 0;
    match (x, y, z) {
        (Val::Inf { .. }, _, _) | (_, Val::Inf { .. }, _) => match z {
            Val::Inf { sign } if sign != psign => nan::<F>(true, fl),
            _ => inf::<F>(psign),
        },
        (_, _, Val::Inf { sign }) => inf::<F>(sign),
        // The product is an exact zero: the result is that zero plus c.
        (Val::Zero { .. }, _, _) | (_, Val::Zero { .. }, _) => match z {
            Val::Zero { sign } => zero::<F>(if sign == psign {
                sign
            } else {
                exact_zero_sign(rm)
            }),
            _ => c & F::MASK,
        },
        (
            Val::Finite {
                exp: ea, sig: ma, ..
            },
            Val::Finite {
                exp: eb, sig: mb, ..
            },
            z,
        ) => {
            // The exact product has at most 106 bits.
            let prod = (psign, ea + eb, ma * mb);
            match z {
                Val::Zero { .. } => round_pack::<F>(psign, prod.1, prod.2, rm, fl),
                Val::Finite { sign, exp, sig } => add_finite::<F>(prod, (sign, exp, sig), rm, fl),
                _ => unreachable!(),
            }
        }
        _ => unreachable!(),
    }
}
