//! The A extension: LR/SC pairing rules, every AMO in both widths, alignment, aq/rl.

mod common;

use common::*;
use isa_a::format::{Amo, Lr};
use isa_a::{Access, Bus, Cpu, FlatMemory, Flow, Insn, Trap};

fn mem64(mem: &mut FlatMemory, at: u64) -> u64 {
    mem.load64(at).unwrap()
}

/// x5 = DATA, x6 = DATA + 8, memory at DATA = `at_data`, DATA + 8 = `at_data8`.
fn setup(at_data: u64, at_data8: u64) -> (Cpu, FlatMemory) {
    let (mut cpu, mut mem) = machine();
    cpu.x[5] = DATA;
    cpu.x[6] = DATA + 8;
    mem.store64(DATA, at_data).unwrap();
    mem.store64(DATA + 8, at_data8).unwrap();
    (cpu, mem)
}

#[test]
fn sc_without_lr_fails_and_does_not_store() {
    for sc in [Insn::ScW as fn(Amo) -> Insn, Insn::ScD] {
        let (mut cpu, mut mem) = setup(1, 2);
        cpu.x[7] = 99;
        exec_all(&mut cpu, &mut mem, &[amo(sc, 10, 5, 7)]);
        assert_eq!(cpu.x[10], 1);
        assert_eq!(mem64(&mut mem, DATA), 1);
    }
}

#[test]
fn sc_to_another_address_fails_and_drops_the_reservation() {
    let (mut cpu, mut mem) = setup(1, 2);
    cpu.x[7] = 99;
    exec_all(
        &mut cpu,
        &mut mem,
        &[lr(Insn::LrD, 10, 5), amo(Insn::ScD, 11, 6, 7)],
    );
    assert_eq!((cpu.x[10], cpu.x[11]), (1, 1));
    assert_eq!((mem64(&mut mem, DATA), mem64(&mut mem, DATA + 8)), (1, 2));
    // The failed sc cleared the reservation: an sc to the reserved address fails too.
    exec_all(&mut cpu, &mut mem, &[amo(Insn::ScD, 12, 5, 7)]);
    assert_eq!(cpu.x[12], 1);
    assert_eq!(mem64(&mut mem, DATA), 1);
}

#[test]
fn successful_sc_writes_zero_and_clears_the_reservation() {
    // sc.d: all 64 bits stored.
    let (mut cpu, mut mem) = setup(5, 6);
    cpu.x[7] = 0x8000_0000_0000_0007;
    cpu.x[11] = 0x55;
    exec_all(
        &mut cpu,
        &mut mem,
        &[lr(Insn::LrD, 10, 5), amo(Insn::ScD, 11, 5, 7)],
    );
    assert_eq!((cpu.x[10], cpu.x[11]), (5, 0));
    assert_eq!(mem64(&mut mem, DATA), 0x8000_0000_0000_0007);
    cpu.x[7] = 3;
    exec_all(&mut cpu, &mut mem, &[amo(Insn::ScD, 12, 5, 7)]);
    assert_eq!(cpu.x[12], 1, "second sc without a new lr fails");
    assert_eq!(mem64(&mut mem, DATA), 0x8000_0000_0000_0007);

    // sc.w: only the low word of rs2 is stored; the neighbouring word is untouched.
    let (mut cpu, mut mem) = setup(0xaaaa_aaaa_0000_0005, 0);
    cpu.x[7] = 0x1234_5678_9abc_def0;
    exec_all(
        &mut cpu,
        &mut mem,
        &[lr(Insn::LrW, 10, 5), amo(Insn::ScW, 11, 5, 7)],
    );
    assert_eq!((cpu.x[10], cpu.x[11]), (5, 0));
    assert_eq!(mem64(&mut mem, DATA), 0xaaaa_aaaa_9abc_def0);
    exec_all(&mut cpu, &mut mem, &[amo(Insn::ScW, 12, 5, 7)]);
    assert_eq!(cpu.x[12], 1);
}

/// An sc.w after an lr.d of the same address compares the word it writes with the low word
/// the lr.d read (the translator's lock cmpxchg does the same; found by the differential test).
#[test]
fn sc_w_after_lr_d_compares_the_low_word() {
    let (mut cpu, mut mem) = setup(0x2899_a61c_0000_0011, 0);
    cpu.x[7] = 0x6d53;
    exec_all(
        &mut cpu,
        &mut mem,
        &[lr(Insn::LrD, 10, 5), amo(Insn::ScW, 11, 5, 7)],
    );
    assert_eq!(
        cpu.x[11], 0,
        "the low word was unchanged: the sc.w succeeds"
    );
    assert_eq!(mem64(&mut mem, DATA), 0x2899_a61c_0000_6d53);
}

#[test]
fn lr_w_sign_extends() {
    let (mut cpu, mut mem) = setup(0x1234_5678_8000_0001, 0);
    exec_all(&mut cpu, &mut mem, &[lr(Insn::LrW, 10, 5)]);
    assert_eq!(cpu.x[10], 0xffff_ffff_8000_0001);
    exec_all(&mut cpu, &mut mem, &[lr(Insn::LrD, 10, 5)]);
    assert_eq!(cpu.x[10], 0x1234_5678_8000_0001);
}

type AmoFn = fn(Amo) -> Insn;

/// Runs `op rd=x10, rs2=x7, (x5)` with memory `old` and rs2 `src`; returns (rd, memory).
fn run_amo(op: AmoFn, old: u64, src: u64) -> (u64, u64) {
    let (mut cpu, mut mem) = setup(old, 0x1111_2222_3333_4444);
    cpu.x[7] = src;
    exec_all(&mut cpu, &mut mem, &[amo(op, 10, 5, 7)]);
    assert_eq!(cpu.x[7], src);
    assert_eq!(
        mem64(&mut mem, DATA + 8),
        0x1111_2222_3333_4444,
        "neighbour untouched"
    );
    (cpu.x[10], mem64(&mut mem, DATA))
}

/// Every word AMO. Memory holds 0xffff_fff0 (−16 as i32) under an upper word that must survive;
/// rs2 holds 5 in its low word and junk above it, which a word AMO must ignore.
#[test]
fn word_amos() {
    let upper = 0xdead_beef_0000_0000u64;
    let old = upper | 0xffff_fff0;
    let src = 0x0000_0001_0000_0005;
    let ret = 0xffff_ffff_ffff_fff0; // the old word, sign-extended
    let cases: &[(AmoFn, u32, &str)] = &[
        (Insn::AmoswapW, 5, "swap"),
        (Insn::AmoaddW, 0xffff_fff5, "add: −16 + 5"),
        (Insn::AmoxorW, 0xffff_fff5, "xor"),
        (Insn::AmoandW, 0, "and"),
        (Insn::AmoorW, 0xffff_fff5, "or"),
        (Insn::AmominW, 0xffff_fff0, "min signed: −16"),
        (Insn::AmomaxW, 5, "max signed: 5"),
        (
            Insn::AmominuW,
            5,
            "min unsigned: 5 (rs2's upper word ignored)",
        ),
        (Insn::AmomaxuW, 0xffff_fff0, "max unsigned: 0xffff_fff0"),
    ];
    for &(op, new, what) in cases {
        assert_eq!(
            run_amo(op, old, src),
            (ret, upper | new as u64),
            "amo {what}"
        );
    }
    // A positive old value returns zero-extended… sign-extended from bit 31, which is clear.
    assert_eq!(
        run_amo(Insn::AmoaddW, 0x7fff_ffff, 1),
        (0x7fff_ffff, 0x8000_0000)
    );
    // Unsigned comparison with rs2 = −1 in 64 bits: its word is 0xffff_ffff.
    assert_eq!(run_amo(Insn::AmomaxuW, 3, u64::MAX).1, 0xffff_ffff);
    assert_eq!(run_amo(Insn::AmominuW, 3, u64::MAX).1, 3);
    assert_eq!(
        run_amo(Insn::AmomaxW, 3, 0xffff_ffff).1,
        3,
        "0xffff_ffff is −1 as a word"
    );
    assert_eq!(
        run_amo(Insn::AmominW, 3, 0x0000_0000_ffff_ffff).1,
        0xffff_ffff
    );
}

#[test]
fn doubleword_amos() {
    let min = 1u64 << 63;
    let max = min - 1;
    let cases: &[(AmoFn, u64, u64, u64, &str)] = &[
        (Insn::AmoswapD, 7, 9, 9, "swap"),
        (Insn::AmoaddD, u64::MAX, 2, 1, "add wraps"),
        (Insn::AmoxorD, 0xff00, 0x0ff0, 0xf0f0, "xor"),
        (Insn::AmoandD, 0xff00, 0x0ff0, 0x0f00, "and"),
        (Insn::AmoorD, 0xff00, 0x0ff0, 0xfff0, "or"),
        (Insn::AmominD, min, max, min, "min signed"),
        (Insn::AmomaxD, min, max, max, "max signed"),
        (Insn::AmominuD, min, max, max, "min unsigned"),
        (Insn::AmomaxuD, min, max, min, "max unsigned"),
        (Insn::AmominD, u64::MAX, 0, u64::MAX, "min signed: −1 < 0"),
        (Insn::AmomaxuD, u64::MAX, 0, u64::MAX, "max unsigned"),
    ];
    for &(op, old, src, new, what) in cases {
        assert_eq!(run_amo(op, old, src), (old, new), "amo {what}");
    }
}

/// rd = rs2: the operand is read before the old value is written back.
#[test]
fn amo_with_rd_equal_to_rs2() {
    let (mut cpu, mut mem) = setup(10, 0);
    cpu.x[7] = 3;
    exec_all(&mut cpu, &mut mem, &[amo(Insn::AmoaddD, 7, 5, 7)]);
    assert_eq!((cpu.x[7], mem64(&mut mem, DATA)), (10, 13));
}

/// Atomics must be naturally aligned (Linux gives SIGBUS); plain accesses need not be.
#[test]
fn misaligned_atomics_trap() {
    let cases: &[(Insn, u64, Access)] = &[
        (lr(Insn::LrW, 10, 5), 2, Access::Read),
        (lr(Insn::LrD, 10, 5), 4, Access::Read),
        (amo(Insn::ScW, 10, 5, 7), 1, Access::Write),
        (amo(Insn::ScD, 10, 5, 7), 4, Access::Write),
        (amo(Insn::AmoaddW, 10, 5, 7), 2, Access::Write),
        (amo(Insn::AmoswapD, 10, 5, 7), 4, Access::Write),
        (amo(Insn::AmomaxuD, 10, 5, 7), 7, Access::Write),
    ];
    for &(insn, off, access) in cases {
        let (mut cpu, mut mem) = setup(1, 2);
        cpu.x[5] = DATA + off;
        cpu.x[7] = 0x77;
        cpu.x[10] = 0xabc;
        let before = (cpu.clone(), mem.clone());
        let addr = DATA + off;
        assert_eq!(
            exec(&mut cpu, &mut mem, insn),
            Flow::Trap(Trap::Misaligned { addr, access }),
            "{insn}"
        );
        assert_eq!((cpu, mem), before, "{insn} changed state");
    }
}

/// The aq and rl bits order memory between harts; on one hart they change no result.
#[test]
fn aq_rl_bits_do_not_change_results() {
    let mut results = Vec::new();
    for (aq, rl) in [(false, false), (true, false), (false, true), (true, true)] {
        let (mut cpu, mut mem) = setup(0x10, 0);
        cpu.x[7] = 0x22;
        let a = |op: AmoFn, rd| {
            op(Amo {
                rd: x(rd),
                rs1: x(5),
                rs2: x(7),
                aq,
                rl,
            })
        };
        let l = Insn::LrD(Lr {
            rd: x(12),
            rs1: x(5),
            aq,
            rl,
        });
        exec_all(
            &mut cpu,
            &mut mem,
            &[
                a(Insn::AmoaddD, 10),
                a(Insn::AmomaxuW, 11),
                l,
                a(Insn::ScD, 13),
            ],
        );
        results.push((cpu.x, mem64(&mut mem, DATA)));
    }
    assert!(results.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(results[0].1, 0x22);
}
