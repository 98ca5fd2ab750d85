//! Random differential test against the x86-64 host FPU (SSE/FMA3), run via
//! inline assembly with an explicit MXCSR: all exceptions masked, FTZ and DAZ
//! off, rounding control set per case. x86 detects tininess after rounding
//! (with unbounded exponent) like RISC-V, and its masked responses match
//! IEEE default handling, so flags are compared directly. RMM has no x86
//! equivalent and is covered by the apfloat oracle, except for sqrt, which
//! apfloat lacks: a square root of a floating-point number is never exactly
//! halfway between two representable numbers, so RMM sqrt must equal RNE
//! sqrt, and that is asserted here.
//!
//! Host-specific differences handled:
//! - x86 returns a NaN operand (quietened) rather than the canonical NaN:
//!   results are compared as "both NaN", and our NaNs must be canonical.
//! - The DE (denormal operand) flag has no RISC-V counterpart and is ignored.
//! - FMA3 with an inf * 0 product and a quiet-NaN addend returns the NaN
//!   without raising IE (IEEE leaves this implementation-defined); RISC-V
//!   requires NV, so the expected flags add NV in exactly that case.
#![cfg(target_arch = "x86_64")]

#[path = "softfloat_common/mod.rs"]
mod common;

use common::*;
use isa_a::softfloat::{self as sf, Fmt, Round, DZ, F32, F64, NV, NX, OF, UF};
use std::arch::asm;

/// MXCSR with all exceptions masked, flags clear, FTZ/DAZ off, and the
/// rounding control for `rm`.
fn mxcsr(rm: Round) -> u32 {
    let rc = match rm {
        Round::Rne => 0,
        Round::Rdn => 1,
        Round::Rup => 2,
        Round::Rtz => 3,
        Round::Rmm => unreachable!("x86 has no RMM"),
    };
    0x1f80 | rc << 13
}

fn flags(csr: u32) -> u8 {
    let mut f = 0;
    for (bit, r) in [(0, NV), (2, DZ), (3, OF), (4, UF), (5, NX)] {
        if csr & 1 << bit != 0 {
            f |= r;
        }
    }
    f
}

/// Runs `$insn` on xmm registers holding `a`, `b`, `c` (as needed) under
/// MXCSR `csr`, returning the low bits of the destination (`{x0}`) and the
/// MXCSR afterwards. The host MXCSR is saved and restored inside the same
/// asm block, so no compiler-generated code runs with the test setting.
macro_rules! host_op {
    ($name:ident, $insn:literal) => {
        fn $name(a: u64, b: u64, c: u64, csr: u32) -> (u64, u32) {
            // [0]: saved host MXCSR, [1]: test MXCSR in, [2]: MXCSR out.
            let mut st = [0u32, csr, 0];
            let mut r = a;
            // SAFETY: only xmm registers declared as clobbered are written,
            // and MXCSR is restored before the block ends.
            unsafe {
                asm!(
                    "stmxcsr [{st}]",
                    "ldmxcsr [{st} + 4]",
                    "movq {x0}, {r}",
                    "movq {x1}, {b}",
                    "movq {x2}, {c}",
                    $insn,
                    "movq {r}, {x0}",
                    "stmxcsr [{st} + 8]",
                    "ldmxcsr [{st}]",
                    st = in(reg) st.as_mut_ptr(),
                    r = inout(reg) r,
                    b = in(reg) b,
                    c = in(reg) c,
                    x0 = out(xmm_reg) _,
                    x1 = out(xmm_reg) _,
                    x2 = out(xmm_reg) _,
                    options(nostack),
                );
            }
            (r, st[2])
        }
    };
}

host_op!(addss, "addss {x0}, {x1}");
host_op!(addsd, "addsd {x0}, {x1}");
host_op!(subss, "subss {x0}, {x1}");
host_op!(subsd, "subsd {x0}, {x1}");
host_op!(mulss, "mulss {x0}, {x1}");
host_op!(mulsd, "mulsd {x0}, {x1}");
host_op!(divss, "divss {x0}, {x1}");
host_op!(divsd, "divsd {x0}, {x1}");
host_op!(sqrtss, "sqrtss {x0}, {x0}");
host_op!(sqrtsd, "sqrtsd {x0}, {x0}");
// x2 = x0 * x1 + x2, then moved to x0.
host_op!(fmass, "vfmadd231ss {x2}, {x0}, {x1}\nmovaps {x0}, {x2}");
host_op!(fmasd, "vfmadd231sd {x2}, {x0}, {x1}\nmovaps {x0}, {x2}");
host_op!(cvtss2sd, "cvtss2sd {x0}, {x0}");
host_op!(cvtsd2ss, "cvtsd2ss {x0}, {x0}");

const HOST_MODES: [Round; 4] = [Round::Rne, Round::Rtz, Round::Rdn, Round::Rup];

type HostOp = fn(u64, u64, u64, u32) -> (u64, u32);

/// Compares one case; `mask` selects the result bits (32-bit ops leave junk
/// in the upper half of the register).
fn check<F: Fmt>(
    fails: &mut Failures,
    op: &str,
    ins: &[u64],
    rm: Round,
    got: (u64, u8),
    host: (u64, u32),
) {
    let want = (host.0 & F::MASK, flags(host.1));
    let canonical = !is_nan::<F>(got.0) || got.0 == F::CANONICAL_NAN;
    if !same_value::<F>(got.0, want.0) || got.1 != want.1 || !canonical {
        fails.push(format!(
            "{op}({}) {rm:?}: got {:#x} fl {:#04x}, host {:#x} fl {:#04x}",
            hex(ins),
            got.0,
            got.1,
            want.0,
            want.1
        ));
    }
}

fn require_fma() {
    assert!(
        is_x86_feature_detected!("fma"),
        "host lacks FMA3: cannot run the fma oracle"
    );
}

fn arith<F: Fmt>(seed: u64, host: [HostOp; 6]) {
    require_fma();
    type Bin = fn(u64, u64, Round, &mut u8) -> u64;
    let bins: [(&str, Bin, HostOp); 4] = [
        ("add", sf::add::<F>, host[0]),
        ("sub", sf::sub::<F>, host[1]),
        ("mul", sf::mul::<F>, host[2]),
        ("div", sf::div::<F>, host[3]),
    ];
    let n = cases();
    for (name, ours, theirs) in bins {
        let mut rng = Rng::new(seed ^ name.as_bytes()[0] as u64);
        let mut fails = Failures::default();
        for i in 0..n {
            let a = operand::<F>(&mut rng);
            let b = partner::<F>(&mut rng, name, a);
            let rm = HOST_MODES[i % 4];
            let mut fl = 0;
            let got = ours(a, b, rm, &mut fl);
            check::<F>(
                &mut fails,
                name,
                &[a, b],
                rm,
                (got, fl),
                theirs(a, b, 0, mxcsr(rm)),
            );
        }
        fails.finish(name);
    }

    let mut rng = Rng::new(seed ^ 0x5157);
    let mut fails = Failures::default();
    for i in 0..n {
        let a = if rng.bit() {
            operand::<F>(&mut rng)
        } else {
            operand::<F>(&mut rng) & !F::SIGN
        };
        let rm = HOST_MODES[i % 4];
        let mut fl = 0;
        let got = sf::sqrt::<F>(a, rm, &mut fl);
        check::<F>(
            &mut fails,
            "sqrt",
            &[a],
            rm,
            (got, fl),
            host[4](a, 0, 0, mxcsr(rm)),
        );
        if rm == Round::Rne {
            let mut fl_mm = 0;
            let got_mm = sf::sqrt::<F>(a, Round::Rmm, &mut fl_mm);
            if (got_mm, fl_mm) != (got, fl) {
                fails.push(format!(
                    "sqrt({a:#x}) RMM {got_mm:#x} {fl_mm:#x} != RNE {got:#x} {fl:#x}"
                ));
            }
        }
    }
    fails.finish("sqrt");

    let mut rng = Rng::new(seed ^ 0xf3a);
    let mut fails = Failures::default();
    for i in 0..n {
        let a = operand::<F>(&mut rng);
        let b = partner::<F>(&mut rng, "mul", a);
        let c = addend::<F>(&mut rng, a, b);
        // Make sure inf * 0 + qNaN comes up.
        let (a, b, c) = if i % 1000 == 0 {
            (0, F::INF, F::CANONICAL_NAN)
        } else {
            (a, b, c)
        };
        let rm = HOST_MODES[i % 4];
        let mut fl = 0;
        let got = sf::fma::<F>(a, b, c, rm, &mut fl);
        let mut want = host[5](a, b, c, mxcsr(rm));
        // x86 FMA3 returns a quiet-NaN addend without raising IE even when
        // the product is inf * 0; RISC-V requires NV there.
        let (ca, cb) = (sf::classify::<F>(a), sf::classify::<F>(b));
        let (inf, zero) = (0x81, 0x18);
        if is_nan::<F>(c)
            && ((ca & inf != 0 && cb & zero != 0) || (ca & zero != 0 && cb & inf != 0))
        {
            want.1 |= 1;
        }
        check::<F>(&mut fails, "fma", &[a, b, c], rm, (got, fl), want);
    }
    fails.finish("fma");
}

#[test]
fn f32_arith_vs_host() {
    arith::<F32>(11, [addss, subss, mulss, divss, sqrtss, fmass]);
}

#[test]
fn f64_arith_vs_host() {
    arith::<F64>(12, [addsd, subsd, mulsd, divsd, sqrtsd, fmasd]);
}

#[test]
fn format_conversions_vs_host() {
    let mut rng = Rng::new(13);
    let mut fails = Failures::default();
    for i in 0..cases() {
        let rm = HOST_MODES[i % 4];
        let a = match rng.below(3) {
            0 => operand::<F64>(&mut rng),
            _ => with_exp::<F64>(
                F64::BIAS as i64 + target_exp::<F32>(&mut rng) - F32::BIAS as i64,
                &mut rng,
            ),
        };
        let mut fl = 0;
        let got = sf::f64_to_f32(a, rm, &mut fl);
        check::<F32>(
            &mut fails,
            "f64_to_f32",
            &[a],
            rm,
            (got, fl),
            cvtsd2ss(a, 0, 0, mxcsr(rm)),
        );

        let b = operand::<F32>(&mut rng);
        let mut fl = 0;
        let got = sf::f32_to_f64(b, &mut fl);
        check::<F64>(
            &mut fails,
            "f32_to_f64",
            &[b],
            rm,
            (got, fl),
            cvtss2sd(b, 0, 0, mxcsr(rm)),
        );
    }
    fails.finish("format conversions");
}
