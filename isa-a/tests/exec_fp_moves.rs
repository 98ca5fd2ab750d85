//! F and D instructions that do not compute (loads, stores, moves, sign injection) and
//! NaN-boxing: a single in a 64-bit register is valid only with the upper 32 bits all ones.
//!
//! Per the manual ("NaN Boxing of Narrower Values"), the transfer instructions (flw/fsw,
//! fmv.w.x/fmv.x.w) move bits without looking at the box; every other single-precision
//! operation reads an improperly boxed operand as the canonical NaN 0x7fc00000.

mod common;

use common::*;
use isa_a::format::{FLoad, FMvX, FRrm, FStore, XMvF, FR};
use isa_a::{Bus, Flow, Illegal, Insn, Rm, Trap};

const BOX: u64 = 0xffff_ffff_0000_0000;
const ONE_S: u64 = 0x3f80_0000;
const CANONICAL_NAN_S: u64 = 0x7fc0_0000;

fn fr(op: fn(FR) -> Insn, rd: u32, rs1: u32, rs2: u32) -> Insn {
    op(FR {
        rd: f(rd),
        rs1: f(rs1),
        rs2: f(rs2),
    })
}

#[test]
fn flw_nan_boxes_and_fsw_stores_the_low_word() {
    let (mut cpu, mut mem) = machine();
    mem.store64(DATA, 0x1122_3344_bf80_0000).unwrap();
    cpu.x[5] = DATA;
    cpu.f[1] = 0x0123_4567_89ab_cdef; // improperly boxed: fsw stores its low word anyway
    exec_all(
        &mut cpu,
        &mut mem,
        &[
            Insn::Flw(FLoad {
                rd: f(0),
                rs1: x(5),
                imm: 0,
            }),
            Insn::Fsw(FStore {
                rs1: x(5),
                rs2: f(1),
                imm: 8,
            }),
            Insn::Fld(FLoad {
                rd: f(2),
                rs1: x(5),
                imm: 0,
            }),
            Insn::Fsd(FStore {
                rs1: x(5),
                rs2: f(1),
                imm: 16,
            }),
        ],
    );
    assert_eq!(cpu.f[0], BOX | 0xbf80_0000);
    assert_eq!(
        mem.load64(DATA + 8).unwrap(),
        0x89ab_cdef,
        "only 4 bytes written"
    );
    assert_eq!(cpu.f[2], 0x1122_3344_bf80_0000);
    assert_eq!(mem.load64(DATA + 16).unwrap(), 0x0123_4567_89ab_cdef);
}

#[test]
fn fmv_transfers_bits() {
    let (mut cpu, mut mem) = machine();
    cpu.x[5] = 0x1234_5678_9abc_def0;
    cpu.f[3] = BOX | 0x8000_0000;
    cpu.f[4] = 0x0000_0000_3f80_0000; // improperly boxed 1.0
    cpu.f[5] = 0x8000_0000_0000_0001;
    let to_x = |op: fn(FMvX) -> Insn, rd, rs1| {
        op(FMvX {
            rd: x(rd),
            rs1: f(rs1),
        })
    };
    exec_all(
        &mut cpu,
        &mut mem,
        &[
            Insn::FmvWX(XMvF {
                rd: f(1),
                rs1: x(5),
            }),
            Insn::FmvDX(XMvF {
                rd: f(2),
                rs1: x(5),
            }),
            to_x(Insn::FmvXW, 10, 3),
            to_x(Insn::FmvXW, 11, 4),
            to_x(Insn::FmvXD, 12, 5),
            to_x(Insn::FmvXW, 13, 1),
        ],
    );
    assert_eq!(cpu.f[1], BOX | 0x9abc_def0, "fmv.w.x boxes the low word");
    assert_eq!(cpu.f[2], 0x1234_5678_9abc_def0);
    assert_eq!(cpu.x[10], 0xffff_ffff_8000_0000, "fmv.x.w sign-extends");
    assert_eq!(
        cpu.x[11], ONE_S,
        "a transfer: the low word, not the canonical NaN"
    );
    assert_eq!(cpu.x[12], 0x8000_0000_0000_0001);
    assert_eq!(cpu.x[13], 0xffff_ffff_9abc_def0);
}

#[test]
fn sign_injection_reads_improper_boxes_as_canonical_nan() {
    let (mut cpu, mut mem) = machine();
    cpu.f[1] = BOX | ONE_S; // +1.0
    cpu.f[2] = BOX | 0x8000_0000; // −0.0
    cpu.f[3] = 0x0000_0000_bf80_0000; // improperly boxed −1.0
    cpu.f[4] = 0xffff_fffe_bf80_0000; // one bit short of a box
    exec_all(
        &mut cpu,
        &mut mem,
        &[
            fr(Insn::FsgnjS, 10, 1, 2),  // −1.0
            fr(Insn::FsgnjS, 11, 3, 3),  // fmv.s of a bad box: canonical NaN
            fr(Insn::FsgnjS, 12, 3, 2),  // NaN with rs2's sign
            fr(Insn::FsgnjnS, 13, 1, 3), // rs2 is +NaN: negated, −1.0
            fr(Insn::FsgnjxS, 14, 2, 4), // −0.0 ^ +NaN's sign: −0.0
            fr(Insn::FsgnjnS, 15, 4, 4), // fneg.s of a bad box: −NaN
            fr(Insn::FsgnjxS, 16, 1, 2), // +1 ^ − = −1
        ],
    );
    assert_eq!(cpu.f[10], BOX | 0xbf80_0000);
    assert_eq!(cpu.f[11], BOX | CANONICAL_NAN_S);
    assert_eq!(cpu.f[12], BOX | 0x8000_0000 | CANONICAL_NAN_S);
    assert_eq!(cpu.f[13], BOX | 0xbf80_0000);
    assert_eq!(cpu.f[14], BOX | 0x8000_0000);
    assert_eq!(cpu.f[15], BOX | 0xffc0_0000);
    assert_eq!(cpu.f[16], BOX | 0xbf80_0000);
}

#[test]
fn double_sign_injection_uses_all_64_bits() {
    let (mut cpu, mut mem) = machine();
    cpu.f[1] = 0x3ff0_0000_0000_0000; // 1.0
    cpu.f[2] = 0x8000_0000_0000_0000; // −0.0
    cpu.f[3] = BOX | ONE_S; // a boxed single is just a (negative NaN) double here
    exec_all(
        &mut cpu,
        &mut mem,
        &[
            fr(Insn::FsgnjD, 10, 1, 2),
            fr(Insn::FsgnjnD, 11, 3, 3),
            fr(Insn::FsgnjxD, 12, 3, 2),
        ],
    );
    assert_eq!(cpu.f[10], 0xbff0_0000_0000_0000);
    assert_eq!(cpu.f[11], 0x7fff_ffff_3f80_0000);
    assert_eq!(cpu.f[12], 0x7fff_ffff_3f80_0000);
}

/// A dynamic rounding mode of 5, 6 or 7 in frm makes an instruction that uses it illegal,
/// decided before any arithmetic happens.
#[test]
fn reserved_dynamic_rounding_mode_is_illegal() {
    let fadd = Insn::FaddS(FRrm {
        rd: f(1),
        rs1: f(2),
        rs2: f(3),
        rm: Rm::Dyn,
    });
    for frm in [5, 6, 7] {
        let (mut cpu, mut mem) = machine();
        cpu.fcsr = frm << 5;
        let before = cpu.clone();
        let illegal = Flow::Trap(Trap::Illegal(Illegal {
            bits: fadd.encode(),
            len: 4,
        }));
        assert_eq!(exec(&mut cpu, &mut mem, fadd), illegal, "frm = {frm}");
        assert_eq!(cpu, before);
    }
}
