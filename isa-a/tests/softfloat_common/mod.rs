//! Operand generation shared by the oracle tests.
#![allow(dead_code)]

use isa_a::softfloat::{self as sf, Fmt, Round};

pub const MODES: [Round; 5] = [Round::Rne, Round::Rtz, Round::Rdn, Round::Rup, Round::Rmm];

/// Random cases per operation per format (spread over the rounding modes).
/// Default is small so debug `cargo test` stays fast; raise with
/// `SOFTFLOAT_CASES`.
pub fn cases() -> usize {
    std::env::var("SOFTFLOAT_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_000)
}

/// SplitMix64: deterministic, seeded per test so failures reproduce.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub fn bit(&mut self) -> bool {
        self.next() & 1 == 1
    }
    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }
    pub fn mode(&mut self) -> Round {
        MODES[self.below(5) as usize]
    }
}

pub fn is_nan<F: Fmt>(a: u64) -> bool {
    sf::classify::<F>(a) & 0x300 != 0
}

/// Encodes sign, biased exponent field and fraction.
pub fn make<F: Fmt>(sign: bool, biased: i64, frac: u64) -> u64 {
    let biased = biased.clamp(0, F::EXP_MAX as i64) as u64;
    (if sign { F::SIGN } else { 0 }) | (biased << F::FRAC_BITS) | (frac & F::FRAC_MASK)
}

/// Special encodings (positive; callers add a random sign).
pub fn specials<F: Fmt>() -> Vec<u64> {
    let bias = F::BIAS as i64;
    let one = make::<F>(false, bias, 0);
    let mut v = vec![
        0,
        1,                      // smallest subnormal
        F::FRAC_MASK,           // largest subnormal
        make::<F>(false, 1, 0), // smallest normal
        make::<F>(false, 1, 1), // just above
        F::MAX_FINITE,          // largest finite
        F::MAX_FINITE - 1,
        F::INF,                                        // infinity
        F::CANONICAL_NAN,                              // quiet NaN
        F::CANONICAL_NAN | 0x1234,                     // quiet NaN with payload
        F::INF | 1,                                    // signalling NaN
        F::INF | (F::QUIET_BIT >> 1),                  // signalling NaN, other payload
        one,                                           // 1.0
        one + 1,                                       // 1 + ulp
        one - 1,                                       // 1 - ulp/2
        make::<F>(false, bias - 1, 0),                 // 0.5
        make::<F>(false, bias + 1, F::QUIET_BIT),      // 3.0
        make::<F>(false, bias + 1, F::QUIET_BIT >> 1), // 2.5
    ];
    // Powers of two relevant to integer conversion, and their neighbours.
    for e in [31, 32, 63, 64] {
        let p = make::<F>(false, bias + e, 0);
        v.extend([p - 1, p, p + 1]);
    }
    v
}

/// A fraction with structure: runs of ones, single bits, all ones, ...
fn frac<F: Fmt>(rng: &mut Rng) -> u64 {
    let fb = F::FRAC_BITS as u64;
    match rng.below(8) {
        0 => 0,
        1 => F::FRAC_MASK,
        2 => 1 << rng.below(fb),
        3 => F::FRAC_MASK >> rng.below(fb), // low run of ones
        4 => F::FRAC_MASK & !(F::FRAC_MASK >> rng.below(fb)), // high run of ones
        5 => rng.next() & rng.next(),
        _ => rng.next(),
    }
}

/// A random finite value whose biased exponent field is `biased` (clamped to
/// the finite range).
pub fn with_exp<F: Fmt>(biased: i64, rng: &mut Rng) -> u64 {
    let biased = biased.clamp(0, F::EXP_MAX as i64 - 1);
    make::<F>(rng.bit(), biased, frac::<F>(rng))
}

/// A general operand rich in special values and boundary exponents.
pub fn operand<F: Fmt>(rng: &mut Rng) -> u64 {
    let emax = F::EXP_MAX as i64;
    let bias = F::BIAS as i64;
    match rng.below(10) {
        0 | 1 => {
            let s = specials::<F>();
            s[rng.below(s.len() as u64) as usize] | if rng.bit() { F::SIGN } else { 0 }
        }
        2 => rng.next() & F::MASK,
        3 => with_exp::<F>(rng.range(0, 3), rng),
        4 => with_exp::<F>(rng.range(emax - 4, emax - 1), rng),
        5 | 6 => with_exp::<F>(rng.range(bias - 40, bias + 40), rng),
        _ => with_exp::<F>(rng.range(0, emax - 1), rng),
    }
}

/// A biased exponent near the bottom or top of the range, or near 1.0.
pub fn target_exp<F: Fmt>(rng: &mut Rng) -> i64 {
    let base = match rng.below(4) {
        0 | 1 => 1,
        2 => F::EXP_MAX as i64 - 1,
        _ => F::BIAS as i64,
    };
    base + rng.range(-(F::FRAC_BITS as i64) - 3, 3)
}

/// Sets the biased exponent field of finite `a` (keeping sign and fraction).
pub fn set_exp<F: Fmt>(a: u64, biased: i64) -> u64 {
    make::<F>(a & F::SIGN != 0, biased.clamp(1, F::EXP_MAX as i64 - 1), a)
}

pub fn biased_exp<F: Fmt>(a: u64) -> i64 {
    ((a & !F::SIGN) >> F::FRAC_BITS) as i64
}

/// Second operand for a binary operation: usually independent, sometimes
/// chosen so the exact result lands near the underflow/overflow thresholds
/// or (for add) cancels massively.
pub fn partner<F: Fmt>(rng: &mut Rng, op: &str, a: u64) -> u64 {
    let b = operand::<F>(rng);
    let ea = biased_exp::<F>(a);
    if ea == 0 || ea == F::EXP_MAX as i64 || rng.below(3) != 0 {
        return b;
    }
    let bias = F::BIAS as i64;
    let t = target_exp::<F>(rng);
    match op {
        "mul" => set_exp::<F>(b, t - ea + bias),
        "div" => set_exp::<F>(b, ea - t + bias),
        _ => {
            // a - (a perturbed): cancellation, and results near zero.
            let near = (a & F::MASK).wrapping_add(rng.range(-3, 3) as u64) & F::MASK;
            if rng.bit() {
                near ^ F::SIGN
            } else {
                set_exp::<F>(b, ea + rng.range(-3, 3))
            }
        }
    }
}

/// Addend for fma: independent, near -(a*b) (cancellation), or tiny.
pub fn addend<F: Fmt>(rng: &mut Rng, a: u64, b: u64) -> u64 {
    match rng.below(4) {
        0 => {
            let mut fl = 0;
            let p = sf::mul::<F>(a, b, Round::Rtz, &mut fl);
            if is_nan::<F>(p) {
                return operand::<F>(rng);
            }
            (p ^ F::SIGN).wrapping_add(rng.range(-2, 2) as u64) & F::MASK
        }
        1 => with_exp::<F>(target_exp::<F>(rng), rng),
        _ => operand::<F>(rng),
    }
}

/// Operand for float -> int conversion: near the integer range limits,
/// halfway cases, small values.
pub fn int_operand<F: Fmt>(rng: &mut Rng) -> u64 {
    let bias = F::BIAS as i64;
    match rng.below(6) {
        0 => operand::<F>(rng),
        1 | 2 => {
            let e = [31, 32, 63, 64][rng.below(4) as usize];
            let p = make::<F>(rng.bit(), bias + e, 0);
            p.wrapping_add(rng.range(-3, 3) as u64) & F::MASK
        }
        3 => with_exp::<F>(bias + rng.range(-3, 3), rng),
        _ => with_exp::<F>(bias + rng.range(-2, 66), rng),
    }
}

/// Integer operand for int -> float conversion.
pub fn int_value(rng: &mut Rng) -> u64 {
    match rng.below(5) {
        0 => rng.next(),
        1 => rng.next() >> rng.below(64),
        2 => (1u64 << rng.below(64)).wrapping_add(rng.range(-3, 3) as u64),
        // Values with exactly a few bits beyond the significand: ties.
        3 => (rng.next() | 1) << rng.below(40) >> rng.below(20),
        _ => (rng.next() >> rng.below(64)).wrapping_neg(),
    }
}

/// Formats a failure report for one case.
pub fn hex(v: &[u64]) -> String {
    v.iter()
        .map(|x| format!("{x:#x}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Collects mismatches and panics at the end with the first few.
#[derive(Default)]
pub struct Failures(pub Vec<String>, pub usize);

impl Failures {
    pub fn push(&mut self, msg: String) {
        self.1 += 1;
        if self.0.len() < 20 {
            self.0.push(msg);
        }
    }
    pub fn finish(self, what: &str) {
        assert!(
            self.1 == 0,
            "{what}: {} mismatches, first:\n{}",
            self.1,
            self.0.join("\n")
        );
    }
}

/// Result comparison: NaN matches any NaN, otherwise bits must be equal.
pub fn same_value<F: Fmt>(x: u64, y: u64) -> bool {
    (is_nan::<F>(x) && is_nan::<F>(y)) || x & F::MASK == y & F::MASK
}
