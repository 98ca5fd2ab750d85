//! The F and D instructions through the interpreter: the glue between registers and softfloat
//! (NaN-boxing, the sign flips that make the four fused forms, static and dynamic rounding
//! modes, fflags accrual, integer results), checked against the host's SSE/FMA unit in RNE and
//! against the ISA manual's examples. Softfloat's own arithmetic is checked in the
//! `softfloat_*` tests.

mod common;

use common::{exec, f, machine, x, Rng};
use isa_a::format::{FCmp, FMvX, FRrm, FToX, XToF, R4};
use isa_a::{Flow, Insn, Rm};
use std::arch::asm;

const QNAN_S: u64 = 0x7fc0_0000;
const QNAN_D: u64 = 0x7ff8_0000_0000_0000;
const BOX: u64 = 0xffff_ffff_0000_0000;

/// Operands rich in special values.
fn operand_d(rng: &mut Rng) -> u64 {
    const SPECIAL: [u64; 10] = [
        0,
        1 << 63,
        0x3ff0_0000_0000_0000,
        0x7ff0_0000_0000_0000,
        0xfff0_0000_0000_0000,
        QNAN_D,
        0x7ff4_0000_0000_0000,
        1,
        0x000f_ffff_ffff_ffff,
        0x7fef_ffff_ffff_ffff,
    ];
    match rng.next_u32() % 4 {
        0 => SPECIAL[rng.next_u32() as usize % SPECIAL.len()],
        1 => rng.next_u64(),
        _ => (rng.next_u64() & 0x800f_ffff_ffff_ffff) | ((0x3f0 + rng.next_u64() % 32) << 52),
    }
}

/// x86's four FMA3 forms in round-to-nearest (the default MXCSR), as RISC-V names them.
fn host_fused(kind: &str, a: f64, b: f64, c: f64) -> f64 {
    let mut r = c;
    // SAFETY: plain scalar FMA3 arithmetic on registers; the test checks the feature first.
    unsafe {
        match kind {
            "fmadd" => {
                asm!("vfmadd231sd {r}, {a}, {b}", r = inout(xmm_reg) r, a = in(xmm_reg) a, b = in(xmm_reg) b)
            }
            "fmsub" => {
                asm!("vfmsub231sd {r}, {a}, {b}", r = inout(xmm_reg) r, a = in(xmm_reg) a, b = in(xmm_reg) b)
            }
            // RISC-V fnmsub is −(a·b) + c: x86's vfnmadd.
            "fnmsub" => {
                asm!("vfnmadd231sd {r}, {a}, {b}", r = inout(xmm_reg) r, a = in(xmm_reg) a, b = in(xmm_reg) b)
            }
            // RISC-V fnmadd is −(a·b) − c: x86's vfnmsub.
            "fnmadd" => {
                asm!("vfnmsub231sd {r}, {a}, {b}", r = inout(xmm_reg) r, a = in(xmm_reg) a, b = in(xmm_reg) b)
            }
            _ => unreachable!(),
        }
    }
    r
}

fn r4(op: fn(R4) -> Insn, rm: Rm) -> Insn {
    op(R4 {
        rd: f(1),
        rs1: f(2),
        rs2: f(3),
        rs3: f(4),
        rm,
    })
}

fn same_value(a: u64, b: u64) -> bool {
    a == b || (f64::from_bits(a).is_nan() && f64::from_bits(b).is_nan())
}

#[test]
fn fused_forms_negate_the_right_operands() {
    assert!(is_x86_feature_detected!("fma"), "the host has no FMA3");
    type Form = (&'static str, fn(R4) -> Insn);
    let forms: [Form; 4] = [
        ("fmadd", Insn::FmaddD),
        ("fmsub", Insn::FmsubD),
        ("fnmsub", Insn::FnmsubD),
        ("fnmadd", Insn::FnmaddD),
    ];
    let mut rng = Rng::new(0xf05ed);
    for _ in 0..20_000 {
        let (a, b, c) = (
            operand_d(&mut rng),
            operand_d(&mut rng),
            operand_d(&mut rng),
        );
        for (name, op) in forms {
            let (mut cpu, mut mem) = machine();
            cpu.f[2] = a;
            cpu.f[3] = b;
            cpu.f[4] = c;
            assert_eq!(exec(&mut cpu, &mut mem, r4(op, Rm::Rne)), Flow::Next);
            let want = host_fused(
                name,
                f64::from_bits(a),
                f64::from_bits(b),
                f64::from_bits(c),
            );
            assert!(
                same_value(cpu.f[1], want.to_bits()),
                "{name} {a:#x} {b:#x} {c:#x}: got {:#x}, host {:#x}",
                cpu.f[1],
                want.to_bits()
            );
            if cpu.f[1] != want.to_bits() {
                assert_eq!(cpu.f[1], QNAN_D, "NaN results are canonical");
            }
        }
    }
}

#[test]
fn single_results_are_nan_boxed_and_unboxed_inputs_are_canonical_nan() {
    let (mut cpu, mut mem) = machine();
    cpu.f[2] = BOX | 0x3f80_0000; // 1.0f
    cpu.f[3] = BOX | 0x4000_0000; // 2.0f
    let add = Insn::FaddS(FRrm {
        rd: f(1),
        rs1: f(2),
        rs2: f(3),
        rm: Rm::Dyn,
    });
    exec(&mut cpu, &mut mem, add);
    assert_eq!(cpu.f[1], BOX | 0x4040_0000); // 3.0f, boxed
    assert_eq!(cpu.fflags(), 0);
    // An improperly boxed operand reads as the canonical NaN: a quiet NaN, so no NV.
    cpu.f[3] = 0x4000_0000;
    exec(&mut cpu, &mut mem, add);
    assert_eq!(cpu.f[1], BOX | QNAN_S);
    assert_eq!(cpu.fflags(), 0);
}

#[test]
fn dynamic_rounding_follows_frm_and_flags_accrue() {
    let (mut cpu, mut mem) = machine();
    // 1.0 / 3.0 in double, rounded down and up: the two results differ in the last bit.
    cpu.f[2] = 1f64.to_bits();
    cpu.f[3] = 3f64.to_bits();
    let div = Insn::FdivD(FRrm {
        rd: f(1),
        rs1: f(2),
        rs2: f(3),
        rm: Rm::Dyn,
    });
    cpu.fcsr = 2 << 5; // rdn
    exec(&mut cpu, &mut mem, div);
    let down = cpu.f[1];
    cpu.fcsr = 3 << 5; // rup
    exec(&mut cpu, &mut mem, div);
    assert_eq!(cpu.f[1], down + 1);
    assert_eq!(cpu.fflags(), 0x01, "NX");
    // A static mode overrides frm.
    let rtz = Insn::FdivD(FRrm {
        rd: f(1),
        rs1: f(2),
        rs2: f(3),
        rm: Rm::Rtz,
    });
    exec(&mut cpu, &mut mem, rtz);
    assert_eq!(cpu.f[1], down);
    // Division by zero adds DZ to the NX already there.
    cpu.f[3] = 0;
    exec(&mut cpu, &mut mem, div);
    assert_eq!(cpu.f[1], f64::INFINITY.to_bits());
    assert_eq!(cpu.fflags(), 0x09);
}

#[test]
fn conversions_compares_and_class_write_integer_registers() {
    let (mut cpu, mut mem) = machine();
    cpu.f[2] = (-2.5f64).to_bits();
    let cvt = |rm| {
        Insn::FcvtWD(FToX {
            rd: x(10),
            rs1: f(2),
            rm,
        })
    };
    exec(&mut cpu, &mut mem, cvt(Rm::Rne));
    assert_eq!(cpu.x[10] as i64, -2);
    exec(&mut cpu, &mut mem, cvt(Rm::Rmm));
    assert_eq!(cpu.x[10] as i64, -3);
    // fcvt.wu.d of a negative value saturates to 0 with NV; a 32-bit result is sign-extended.
    cpu.fcsr = 0;
    exec(
        &mut cpu,
        &mut mem,
        Insn::FcvtWuD(FToX {
            rd: x(10),
            rs1: f(2),
            rm: Rm::Rtz,
        }),
    );
    assert_eq!((cpu.x[10], cpu.fflags()), (0, 0x10));
    cpu.f[2] = 4e9f64.to_bits();
    exec(
        &mut cpu,
        &mut mem,
        Insn::FcvtWuD(FToX {
            rd: x(10),
            rs1: f(2),
            rm: Rm::Rtz,
        }),
    );
    assert_eq!(cpu.x[10], 4_000_000_000u32 as i32 as i64 as u64);
    // fcvt.s.l rounds; the result is boxed.
    cpu.x[11] = (1u64 << 53) + 1;
    exec(
        &mut cpu,
        &mut mem,
        Insn::FcvtSL(XToF {
            rd: f(1),
            rs1: x(11),
            rm: Rm::Rne,
        }),
    );
    assert_eq!(cpu.f[1], BOX | (9007199254740992f32).to_bits() as u64);
    // flt with a quiet NaN: false and NV; feq: false and no new flag.
    cpu.fcsr = 0;
    cpu.f[2] = QNAN_D;
    cpu.f[3] = 0;
    exec(
        &mut cpu,
        &mut mem,
        Insn::FeqD(FCmp {
            rd: x(10),
            rs1: f(2),
            rs2: f(3),
        }),
    );
    assert_eq!((cpu.x[10], cpu.fflags()), (0, 0));
    exec(
        &mut cpu,
        &mut mem,
        Insn::FltD(FCmp {
            rd: x(10),
            rs1: f(2),
            rs2: f(3),
        }),
    );
    assert_eq!((cpu.x[10], cpu.fflags()), (0, 0x10));
    // fclass.s of an unboxed value is the canonical NaN's class: quiet NaN (bit 9).
    cpu.f[2] = 0x3f80_0000;
    exec(
        &mut cpu,
        &mut mem,
        Insn::FclassS(FMvX {
            rd: x(10),
            rs1: f(2),
        }),
    );
    assert_eq!(cpu.x[10], 1 << 9);
    // fmv.x.w sign-extends the raw low word.
    cpu.f[2] = BOX | 0x8000_0001;
    exec(
        &mut cpu,
        &mut mem,
        Insn::FmvXW(FMvX {
            rd: x(10),
            rs1: f(2),
        }),
    );
    assert_eq!(cpu.x[10], 0xffff_ffff_8000_0001);
}

#[test]
fn fcvt_between_formats() {
    let (mut cpu, mut mem) = machine();
    cpu.f[2] = 0.1f64.to_bits();
    exec(
        &mut cpu,
        &mut mem,
        Insn::FcvtSD(isa_a::format::F1rm {
            rd: f(1),
            rs1: f(2),
            rm: Rm::Rne,
        }),
    );
    assert_eq!(cpu.f[1], BOX | 0.1f32.to_bits() as u64);
    assert_eq!(cpu.fflags(), 0x01);
    exec(
        &mut cpu,
        &mut mem,
        Insn::FcvtDS(isa_a::format::F1rm {
            rd: f(3),
            rs1: f(1),
            rm: Rm::Rne,
        }),
    );
    assert_eq!(cpu.f[3], (0.1f32 as f64).to_bits());
}
