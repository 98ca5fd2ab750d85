//! Corner cases spelled out by the RISC-V unprivileged ISA manual (F and D
//! chapters) and IEEE 754, as fixed expectations.

use isa_a::softfloat::{self as sf, Fmt, Round, DZ, F32, F64, NV, NX, OF, UF};

const MODES: [Round; 5] = [Round::Rne, Round::Rtz, Round::Rdn, Round::Rup, Round::Rmm];

const S_PZERO: u64 = 0;
const S_NZERO: u64 = 0x8000_0000;
const S_ONE: u64 = 0x3f80_0000;
const S_TWO: u64 = 0x4000_0000;
const S_INF: u64 = 0x7f80_0000;
const S_NINF: u64 = 0xff80_0000;
const S_QNAN: u64 = 0x7fc0_0000;
const S_QNAN_PAYLOAD: u64 = 0xffc1_2345;
const S_SNAN: u64 = 0x7f80_0001;
const S_MAX: u64 = 0x7f7f_ffff;
const D_QNAN: u64 = 0x7ff8_0000_0000_0000;
const D_SNAN: u64 = 0x7ff0_0000_0000_0001;

/// Runs `f` with fresh flags and returns (result, flags).
fn run<T>(f: impl FnOnce(&mut u8) -> T) -> (T, u8) {
    let mut fl = 0;
    let r = f(&mut fl);
    (r, fl)
}

#[test]
fn fmin_fmax_signed_zeros() {
    for (a, b) in [(S_NZERO, S_PZERO), (S_PZERO, S_NZERO)] {
        assert_eq!(run(|fl| sf::min::<F32>(a, b, fl)), (S_NZERO, 0));
        assert_eq!(run(|fl| sf::max::<F32>(a, b, fl)), (S_PZERO, 0));
    }
    assert_eq!(run(|fl| sf::min::<F64>(1 << 63, 0, fl)), (1 << 63, 0));
    assert_eq!(run(|fl| sf::max::<F64>(1 << 63, 0, fl)), (0, 0));
}

#[test]
fn fmin_fmax_nans() {
    // One quiet NaN: the other operand, no flags.
    for nan in [S_QNAN, S_QNAN_PAYLOAD] {
        assert_eq!(run(|fl| sf::min::<F32>(nan, S_ONE, fl)), (S_ONE, 0));
        assert_eq!(run(|fl| sf::max::<F32>(S_ONE, nan, fl)), (S_ONE, 0));
    }
    // A signalling NaN: still the other operand, but NV.
    assert_eq!(run(|fl| sf::min::<F32>(S_SNAN, S_ONE, fl)), (S_ONE, NV));
    assert_eq!(run(|fl| sf::max::<F32>(S_TWO, S_SNAN, fl)), (S_TWO, NV));
    // Both NaN: canonical NaN; NV only if one is signalling.
    assert_eq!(
        run(|fl| sf::min::<F32>(S_QNAN_PAYLOAD, S_QNAN_PAYLOAD, fl)),
        (S_QNAN, 0)
    );
    assert_eq!(
        run(|fl| sf::max::<F32>(S_SNAN, S_QNAN_PAYLOAD, fl)),
        (S_QNAN, NV)
    );
    assert_eq!(run(|fl| sf::max::<F64>(D_SNAN, D_SNAN, fl)), (D_QNAN, NV));
    // Ordinary operands.
    assert_eq!(run(|fl| sf::min::<F32>(S_NINF, S_ONE, fl)), (S_NINF, 0));
    assert_eq!(run(|fl| sf::max::<F32>(S_ONE, S_TWO, fl)), (S_TWO, 0));
}

#[test]
fn compares() {
    // feq is quiet: NV only for signalling NaNs.
    assert_eq!(run(|fl| sf::eq::<F32>(S_QNAN, S_ONE, fl)), (false, 0));
    assert_eq!(run(|fl| sf::eq::<F32>(S_QNAN, S_QNAN, fl)), (false, 0));
    assert_eq!(run(|fl| sf::eq::<F32>(S_ONE, S_SNAN, fl)), (false, NV));
    assert_eq!(run(|fl| sf::eq::<F32>(S_NZERO, S_PZERO, fl)), (true, 0));
    // flt/fle signal on any NaN.
    assert_eq!(run(|fl| sf::lt::<F32>(S_QNAN, S_ONE, fl)), (false, NV));
    assert_eq!(run(|fl| sf::le::<F32>(S_ONE, S_QNAN, fl)), (false, NV));
    assert_eq!(run(|fl| sf::lt::<F32>(S_NZERO, S_PZERO, fl)), (false, 0));
    assert_eq!(run(|fl| sf::le::<F32>(S_PZERO, S_NZERO, fl)), (true, 0));
    assert_eq!(run(|fl| sf::lt::<F32>(S_NINF, S_NZERO, fl)), (true, 0));
    assert_eq!(
        run(|fl| sf::lt::<F32>(0xbf80_0000, 0xbf00_0000, fl)),
        (true, 0)
    );
    assert_eq!(
        run(|fl| sf::le::<F64>(0x4000_0000_0000_0000, 0x3ff0_0000_0000_0000, fl)),
        (false, 0)
    );
}

#[test]
fn fcvt_w_s_special_inputs() {
    let w = |a: u64, rm: Round| run(|fl| sf::to_int::<F32>(a, true, 32, rm, fl));
    let int_min = 0xffff_ffff_8000_0000;
    assert_eq!(w(S_QNAN, Round::Rne), (0x7fff_ffff, NV));
    assert_eq!(w(S_QNAN_PAYLOAD, Round::Rne), (0x7fff_ffff, NV)); // negative NaN too
    assert_eq!(w(S_SNAN, Round::Rne), (0x7fff_ffff, NV));
    assert_eq!(w(S_INF, Round::Rne), (0x7fff_ffff, NV));
    assert_eq!(w(S_NINF, Round::Rne), (int_min, NV));
    assert_eq!(w(0x4f00_0000, Round::Rne), (0x7fff_ffff, NV)); // 2^31
    assert_eq!(w(0xcf00_0000, Round::Rne), (int_min, 0)); // -2^31 fits
    assert_eq!(w(0xbf00_0000, Round::Rtz), (0, NX)); // -0.5
    assert_eq!(w(0xbf00_0000, Round::Rdn), (u64::MAX, NX)); // -0.5 -> -1
    assert_eq!(w(S_NZERO, Round::Rdn), (0, 0));
    // -2^31 - 1 needs double precision.
    let d = |a: u64, signed, width, rm| run(|fl| sf::to_int::<F64>(a, signed, width, rm, fl));
    assert_eq!(
        d(0xc1e0_0000_0020_0000, true, 32, Round::Rne),
        (int_min, NV)
    );
    // -2^31 - 0.5 rounds to -2^31 in RTZ, out of range in RDN.
    assert_eq!(
        d(0xc1e0_0000_0010_0000, true, 32, Round::Rtz),
        (int_min, NX)
    );
    assert_eq!(
        d(0xc1e0_0000_0010_0000, true, 32, Round::Rdn),
        (int_min, NV)
    );
    // 64-bit targets.
    assert_eq!(d(D_QNAN, true, 64, Round::Rne), (i64::MAX as u64, NV));
    assert_eq!(d(D_QNAN, false, 64, Round::Rne), (u64::MAX, NV));
    assert_eq!(
        d(0x43e0_0000_0000_0000, true, 64, Round::Rne),
        (i64::MAX as u64, NV)
    ); // 2^63
    assert_eq!(
        d(0xc3e0_0000_0000_0000, true, 64, Round::Rne),
        (i64::MIN as u64, 0)
    ); // -2^63
    assert_eq!(
        d(0x43f0_0000_0000_0000, false, 64, Round::Rne),
        (u64::MAX, NV)
    ); // 2^64
    assert_eq!(
        d(0x43ef_ffff_ffff_ffff, false, 64, Round::Rne),
        (0xffff_ffff_ffff_f800, 0)
    );
}

#[test]
fn fcvt_wu_negative_and_sign_extension() {
    let wu = |a: u64, rm: Round| run(|fl| sf::to_int::<F64>(a, false, 32, rm, fl));
    // -0.5: rounds to 0 (only NX) unless the mode rounds it to -1 (invalid).
    let m_half = 0xbfe0_0000_0000_0000;
    assert_eq!(wu(m_half, Round::Rtz), (0, NX));
    assert_eq!(wu(m_half, Round::Rne), (0, NX));
    assert_eq!(wu(m_half, Round::Rup), (0, NX));
    assert_eq!(wu(m_half, Round::Rdn), (0, NV));
    assert_eq!(wu(m_half, Round::Rmm), (0, NV));
    assert_eq!(wu(0xbff0_0000_0000_0000, Round::Rtz), (0, NV)); // -1.0
    assert_eq!(wu(0xfff0_0000_0000_0000, Round::Rtz), (0, NV)); // -inf
                                                                // 4294967295.5: a tie between 2^32-1 (in range) and 2^32 (out of range).
    let x = 0x41ef_ffff_ffff_0000;
    assert_eq!(wu(x, Round::Rne), (u64::MAX, NV)); // ties to even: 2^32
    assert_eq!(wu(x, Round::Rtz), (u64::MAX, NX)); // 0xffffffff, sign-extended
    assert_eq!(wu(x, Round::Rdn), (u64::MAX, NX));
    assert_eq!(wu(x, Round::Rup), (u64::MAX, NV));
    assert_eq!(wu(x, Round::Rmm), (u64::MAX, NV));
    // In-range values with bit 31 set are sign-extended too.
    assert_eq!(
        wu(0x41e0_0000_0000_0000, Round::Rne),
        (0xffff_ffff_8000_0000, 0)
    ); // 2^31
       // lu of -0.x rounding to zero.
    assert_eq!(
        run(|fl| sf::to_int::<F32>(0xbe80_0000, false, 64, Round::Rne, fl)),
        (0, NX)
    );
}

#[test]
fn fcvt_from_int() {
    // Signed 32-bit input: only the low 32 bits count.
    assert_eq!(
        run(|fl| sf::from_int::<F32>(0xffff_ffff, true, 32, Round::Rne, fl)),
        (0xbf80_0000, 0)
    );
    assert_eq!(
        run(|fl| sf::from_int::<F32>(0x1234_ffff_ffff, false, 32, Round::Rne, fl)),
        (0x4f80_0000, NX)
    );
    assert_eq!(
        run(|fl| sf::from_int::<F64>(u64::MAX, false, 64, Round::Rtz, fl)),
        (0x43ef_ffff_ffff_ffff, NX)
    );
    assert_eq!(
        run(|fl| sf::from_int::<F64>(i64::MIN as u64, true, 64, Round::Rne, fl)),
        (0xc3e0_0000_0000_0000, 0)
    );
    assert_eq!(
        run(|fl| sf::from_int::<F32>(0, true, 64, Round::Rdn, fl)),
        (0, 0)
    );
    // 2^24 + 1 is a tie in binary32.
    assert_eq!(
        run(|fl| sf::from_int::<F32>(0x100_0001, true, 32, Round::Rne, fl)),
        (0x4b80_0000, NX)
    );
    assert_eq!(
        run(|fl| sf::from_int::<F32>(0x100_0001, true, 32, Round::Rmm, fl)),
        (0x4b80_0001, NX)
    );
}

#[test]
fn fclass_all_ten_classes() {
    let cases32 = [
        (S_NINF, 0),
        (0xbf80_0000, 1),
        (0x8000_0001, 2),
        (S_NZERO, 3),
        (S_PZERO, 4),
        (0x007f_ffff, 5),
        (S_ONE, 6),
        (S_INF, 7),
        (S_SNAN, 8),
        (S_QNAN, 9),
    ];
    for (a, bit) in cases32 {
        assert_eq!(sf::classify::<F32>(a), 1 << bit, "{a:#x}");
    }
    assert_eq!(sf::classify::<F32>(0xff80_0001), 1 << 8); // negative sNaN
    assert_eq!(sf::classify::<F32>(0xffc0_0000), 1 << 9); // negative qNaN
    let cases64 = [
        (0xfff0_0000_0000_0000, 0),
        (0xc000_0000_0000_0000, 1),
        (0x800f_ffff_ffff_ffff, 2),
        (0x8000_0000_0000_0000, 3),
        (0, 4),
        (1, 5),
        (0x0010_0000_0000_0000, 6),
        (0x7ff0_0000_0000_0000, 7),
        (D_SNAN, 8),
        (D_QNAN, 9),
    ];
    for (a, bit) in cases64 {
        assert_eq!(sf::classify::<F64>(a), 1 << bit, "{a:#x}");
    }
}

#[test]
fn fma_invalid_inf_times_zero() {
    for rm in MODES {
        assert_eq!(
            run(|fl| sf::fma::<F32>(S_INF, S_PZERO, S_QNAN, rm, fl)),
            (S_QNAN, NV)
        );
        assert_eq!(
            run(|fl| sf::fma::<F32>(S_NZERO, S_NINF, S_QNAN_PAYLOAD, rm, fl)),
            (S_QNAN, NV)
        );
        assert_eq!(
            run(|fl| sf::fma::<F64>(0, 0x7ff0_0000_0000_0000, D_QNAN, rm, fl)),
            (D_QNAN, NV)
        );
        assert_eq!(
            run(|fl| sf::fma::<F32>(S_INF, S_PZERO, S_ONE, rm, fl)),
            (S_QNAN, NV)
        );
    }
    // A quiet NaN addend with a valid product raises nothing.
    assert_eq!(
        run(|fl| sf::fma::<F32>(S_INF, S_ONE, S_QNAN, Round::Rne, fl)),
        (S_QNAN, 0)
    );
    // inf - inf inside the fma.
    assert_eq!(
        run(|fl| sf::fma::<F32>(S_INF, S_ONE, S_NINF, Round::Rne, fl)),
        (S_QNAN, NV)
    );
    // Exact zero result: +0, or -0 in RDN.
    let m_one = S_ONE | S_NZERO;
    assert_eq!(
        run(|fl| sf::fma::<F32>(S_ONE, S_ONE, m_one, Round::Rne, fl)),
        (S_PZERO, 0)
    );
    assert_eq!(
        run(|fl| sf::fma::<F32>(S_ONE, S_ONE, m_one, Round::Rdn, fl)),
        (S_NZERO, 0)
    );
    // (-0 * 1) + -0 = -0 in every mode.
    for rm in MODES {
        assert_eq!(
            run(|fl| sf::fma::<F32>(S_NZERO, S_ONE, S_NZERO, rm, fl)),
            (S_NZERO, 0)
        );
    }
}

#[test]
fn f64_to_f32_overflow_each_mode() {
    let big = 0x47f0_0000_0000_0000; // 2^128
    let expect = [
        (Round::Rne, S_INF, S_NINF),
        (Round::Rtz, S_MAX, S_MAX | S_NZERO),
        (Round::Rdn, S_MAX, S_NINF),
        (Round::Rup, S_INF, S_MAX | S_NZERO),
        (Round::Rmm, S_INF, S_NINF),
    ];
    for (rm, pos, neg) in expect {
        assert_eq!(
            run(|fl| sf::f64_to_f32(big, rm, fl)),
            (pos, OF | NX),
            "{rm:?}"
        );
        assert_eq!(
            run(|fl| sf::f64_to_f32(big | 1 << 63, rm, fl)),
            (neg, OF | NX),
            "{rm:?}"
        );
    }
    // Just above the largest finite f32, below the rounding threshold: no
    // overflow in RNE, overflow in RUP.
    let above_max = 0x47ef_ffff_e100_0000;
    assert_eq!(
        run(|fl| sf::f64_to_f32(above_max, Round::Rne, fl)),
        (S_MAX, NX)
    );
    assert_eq!(
        run(|fl| sf::f64_to_f32(above_max, Round::Rup, fl)),
        (S_INF, OF | NX)
    );
    // Underflow: tiny and inexact.
    assert_eq!(
        run(|fl| sf::f64_to_f32(0x3690_0000_0000_0001, Round::Rne, fl)),
        (1, UF | NX)
    );
    assert_eq!(
        run(|fl| sf::f64_to_f32(0x3680_0000_0000_0000, Round::Rne, fl)),
        (0, UF | NX)
    );
    // Exact subnormal: no underflow.
    assert_eq!(
        run(|fl| sf::f64_to_f32(0x36a0_0000_0000_0000, Round::Rne, fl)),
        (1, 0)
    );
}

#[test]
fn underflow_is_detected_after_rounding() {
    // x = 2^-126 - 2^-150 is representable with 24 bits and an unbounded
    // exponent, so it is tiny after rounding; with the real exponent range it
    // is a tie between the largest subnormal and 2^-126, and RNE delivers the
    // (even) smallest normal. RISC-V raises UF although the result is normal.
    let x = 0x380f_ffff_e000_0000;
    assert_eq!(
        run(|fl| sf::f64_to_f32(x, Round::Rne, fl)),
        (0x0080_0000, UF | NX)
    );
    assert_eq!(
        run(|fl| sf::f64_to_f32(x, Round::Rtz, fl)),
        (0x007f_ffff, UF | NX)
    );
    // 2^-126 - 2^-151 rounds to 2^-126 even with an unbounded exponent (tie
    // to even): not tiny, so only NX.
    let y = 0x380f_ffff_f000_0000;
    assert_eq!(
        run(|fl| sf::f64_to_f32(y, Round::Rne, fl)),
        (0x0080_0000, NX)
    );
    // The same through multiplication: (1 + 2^-23) * (2^-126 - 2^-149) =
    // 2^-126 - 2^-172 also rounds to 2^-126 at full precision: no UF.
    assert_eq!(
        run(|fl| sf::mul::<F32>(0xbf80_0001, 0x007f_ffff, Round::Rne, fl)),
        (0x8080_0000, NX)
    );
    // ... but in RTZ it stays below 2^-126: tiny and inexact.
    assert_eq!(
        run(|fl| sf::mul::<F32>(0xbf80_0001, 0x007f_ffff, Round::Rtz, fl)),
        (0x807f_ffff, UF | NX)
    );
}

#[test]
fn canonical_nan_results() {
    let cases: [(u64, u8); 9] = [
        run(|fl| sf::add::<F32>(S_INF, S_NINF, Round::Rne, fl)),
        run(|fl| sf::sub::<F32>(S_INF, S_INF, Round::Rne, fl)),
        run(|fl| sf::mul::<F32>(S_INF, S_PZERO, Round::Rne, fl)),
        run(|fl| sf::div::<F32>(S_PZERO, S_NZERO, Round::Rne, fl)),
        run(|fl| sf::div::<F32>(S_INF, S_NINF, Round::Rne, fl)),
        run(|fl| sf::sqrt::<F32>(0xbf80_0000, Round::Rne, fl)),
        run(|fl| sf::add::<F32>(S_SNAN, S_ONE, Round::Rne, fl)),
        run(|fl| sf::sqrt::<F32>(S_NINF, Round::Rne, fl)),
        run(|fl| sf::f64_to_f32(D_SNAN, Round::Rne, fl)),
    ];
    for (i, c) in cases.iter().enumerate() {
        assert_eq!(*c, (S_QNAN, NV), "case {i}");
    }
    // Quiet NaN inputs with payloads and sign: canonical, no flags.
    assert_eq!(
        run(|fl| sf::add::<F32>(S_QNAN_PAYLOAD, S_ONE, Round::Rne, fl)),
        (S_QNAN, 0)
    );
    assert_eq!(
        run(|fl| sf::div::<F64>(0xfff8_0000_dead_beef, 0, Round::Rne, fl)),
        (D_QNAN, 0)
    );
    assert_eq!(run(|fl| sf::f32_to_f64(S_QNAN_PAYLOAD, fl)), (D_QNAN, 0));
    assert_eq!(run(|fl| sf::f32_to_f64(S_SNAN, fl)), (D_QNAN, NV));
    assert_eq!(
        run(|fl| sf::f64_to_f32(0xfff8_0000_dead_beef, Round::Rne, fl)),
        (S_QNAN, 0)
    );
    assert_eq!(
        run(|fl| sf::sqrt::<F64>(D_SNAN, Round::Rne, fl)),
        (D_QNAN, NV)
    );
}

#[test]
fn zeros_infinities_and_division() {
    // Exact zero sums.
    assert_eq!(
        run(|fl| sf::add::<F32>(S_ONE, S_ONE | S_NZERO, Round::Rne, fl)),
        (S_PZERO, 0)
    );
    assert_eq!(
        run(|fl| sf::sub::<F32>(S_ONE, S_ONE, Round::Rdn, fl)),
        (S_NZERO, 0)
    );
    assert_eq!(
        run(|fl| sf::add::<F32>(S_NZERO, S_NZERO, Round::Rne, fl)),
        (S_NZERO, 0)
    );
    assert_eq!(
        run(|fl| sf::add::<F32>(S_PZERO, S_NZERO, Round::Rne, fl)),
        (S_PZERO, 0)
    );
    assert_eq!(
        run(|fl| sf::add::<F32>(S_PZERO, S_NZERO, Round::Rdn, fl)),
        (S_NZERO, 0)
    );
    assert_eq!(
        run(|fl| sf::sub::<F32>(S_NZERO, S_PZERO, Round::Rne, fl)),
        (S_NZERO, 0)
    );
    // Division by zero.
    assert_eq!(
        run(|fl| sf::div::<F32>(S_ONE, S_NZERO, Round::Rne, fl)),
        (S_NINF, DZ)
    );
    assert_eq!(
        run(|fl| sf::div::<F32>(S_INF, S_PZERO, Round::Rne, fl)),
        (S_INF, 0)
    );
    // sqrt(-0) = -0 without flags.
    assert_eq!(
        run(|fl| sf::sqrt::<F32>(S_NZERO, Round::Rne, fl)),
        (S_NZERO, 0)
    );
    assert_eq!(
        run(|fl| sf::sqrt::<F64>(0x4010_0000_0000_0000, Round::Rne, fl)),
        (0x4000_0000_0000_0000, 0)
    );
    // Overflow in mul for each mode.
    for (rm, want) in [
        (Round::Rne, S_INF),
        (Round::Rtz, S_MAX),
        (Round::Rdn, S_MAX),
        (Round::Rup, S_INF),
        (Round::Rmm, S_INF),
    ] {
        assert_eq!(
            run(|fl| sf::mul::<F32>(S_MAX, S_TWO, rm, fl)),
            (want, OF | NX),
            "{rm:?}"
        );
    }
}

#[test]
fn flags_accumulate() {
    let mut fl = DZ;
    sf::add::<F32>(S_ONE, 1, Round::Rne, &mut fl);
    assert_eq!(fl, DZ | NX);
    sf::add::<F32>(S_ONE, S_ONE, Round::Rne, &mut fl);
    assert_eq!(fl, DZ | NX);
}

/// Values of `Fmt` constants the rest of the emulator may rely on.
#[test]
fn format_constants() {
    assert_eq!(F32::CANONICAL_NAN, 0x7fc0_0000);
    assert_eq!(F64::CANONICAL_NAN, 0x7ff8_0000_0000_0000);
    assert_eq!(F32::MAX_FINITE, 0x7f7f_ffff);
    assert_eq!(F64::INF, 0x7ff0_0000_0000_0000);
}
