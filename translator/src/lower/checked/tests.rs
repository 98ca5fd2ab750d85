//! The elision plan's unit tests: which accesses keep their check, near ones and lookups.

use super::super::test_insns::{beqz, d, ecall, i, load, shift, shift_w, x};
use super::*;
use isa_a::format::Store;

fn ld(rd: u32, rs1: u32, imm: i32) -> Decoded {
    d(Insn::Ld(load(rd, rs1, imm)))
}

fn sd(rs1: u32, imm: i32) -> Decoded {
    d(Insn::Sd(Store {
        rs1: x(rs1),
        rs2: x(10),
        imm,
    }))
}

fn addi(rd: u32, rs1: u32, imm: i32) -> Decoded {
    d(Insn::Addi(i(rd, rs1, imm)))
}

fn checks_of(insns: &[Decoded]) -> Vec<Check> {
    let mut e = isa_b::Emitter::new();
    let joins = super::super::join::plan(insns, 0x1000, true, &mut e);
    plan(insns, &joins, &vec![false; insns.len()])
}

fn plan_of(insns: &[Decoded]) -> Vec<bool> {
    checks_of(insns).iter().map(|&c| c != Check::Kept).collect()
}

#[test]
fn accesses_near_one_already_made_through_the_register_go_unchecked() {
    let p = plan_of(&[sd(2, 40), sd(2, 32), sd(2, 24), ld(11, 2, 16)]);
    assert_eq!(p, [false, true, true, true]);
    // As far as the guard zones reach: GUARD below the lowest, the access's end GUARD past
    // the highest.
    let g = GUARD as i32;
    assert_eq!(plan_of(&[sd(2, 40), sd(2, 40 - g)]), [false, true]);
    assert_eq!(plan_of(&[sd(2, 40), sd(2, 39 - g)]), [false, false]);
    assert_eq!(plan_of(&[sd(2, 40), ld(11, 2, 32 + g)]), [false, true]);
    assert_eq!(plan_of(&[sd(2, 40), ld(11, 2, 33 + g)]), [false, false]);
    // An access that completed, elided or not, widens the range.
    let p = plan_of(&[sd(2, 40), sd(2, 40 - g), sd(2, 39 - g), sd(2, 39 - 2 * g)]);
    assert_eq!(p, [false, true, true, true]);
    // x0 knows nothing; an atomic keeps its check but widens the range.
    let amo = d(Insn::AmoaddD(isa_a::format::Amo {
        rd: x(11),
        rs1: x(10),
        rs2: x(12),
        aq: false,
        rl: false,
    }));
    assert_eq!(plan_of(&[sd(0, 8), sd(0, 16)]), [false, false]);
    assert_eq!(plan_of(&[sd(10, 8), amo, sd(10, 0)]), [false, false, true]);
    // A store-conditional may fail without an access, wherever it points (the
    // differential test's `sc.w s6,x0,(s3); sb a2,-1570(s3)` with s3 = 1 << 63).
    let sc = d(Insn::ScW(isa_a::format::Amo {
        rd: x(22),
        rs1: x(19),
        rs2: x(0),
        aq: true,
        rl: true,
    }));
    assert_eq!(plan_of(&[sc, sd(19, -1570)]), [false, false]);
}

#[test]
fn a_constant_added_shifts_the_range_and_any_other_write_drops_it() {
    let p = plan_of(&[
        sd(2, 0),
        addi(2, 2, -2000),
        sd(2, 2000),
        addi(12, 2, 16),
        ld(2, 12, -16),
        sd(2, 0),
        sd(12, 0),
    ]);
    assert_eq!(p, [false, false, true, false, true, false, true]);
    // A constant added from a register (`lui`, `add`) shifts it as well; moved past
    // the guard's reach, the range no longer covers it.
    let moved = |by: i64| {
        let lui = isa_a::format::U {
            rd: x(5),
            imm: by as i32,
        };
        let add = super::super::test_insns::r(2, 2, 5);
        plan_of(&[sd(2, 0), d(Insn::Lui(lui)), d(Insn::Add(add)), sd(2, 0)])
    };
    assert_eq!(moved(GUARD - 4096), [false, false, false, true]);
    assert_eq!(moved(GUARD + 4096), [false, false, false, false]);
    assert_eq!(moved(-GUARD), [false, false, false, true]);
    assert_eq!(moved(-GUARD - 4096), [false, false, false, false]);
}

#[test]
fn a_join_keeps_only_what_every_path_knows() {
    let (ecall, beqz) = (ecall(), |off| beqz(11, off));
    // The straight path loads a0 afresh: at the join (the second sd) nothing is known.
    let p = plan_of(&[sd(10, 0), beqz(8), ld(10, 11, 0), sd(10, 0), ecall]);
    assert_eq!(p, [false, false, false, false, false]);
    // Both paths know a0 + 0, each of its own a0 (the straight path moved it by 8 and
    // knows a0 - 8 too): the access at 0 after the join goes unchecked.
    let p = plan_of(&[
        sd(10, 0),
        beqz(12),
        sd(10, 8),
        addi(10, 10, 8),
        sd(10, 0),
        ecall,
    ]);
    assert_eq!(p, [false, false, true, false, true, false]);
    // The join's facts are the intersection: -4096 reaches from 0 but not from 8.
    let p = plan_of(&[
        sd(10, 8),
        beqz(8),
        sd(10, 0),
        sd(10, 8 - GUARD as i32),
        ecall,
    ]);
    assert_eq!(p, [false, false, true, true, false]);
    let p = plan_of(&[sd(10, 8), beqz(8), sd(10, 0), sd(10, -GUARD as i32), ecall]);
    assert_eq!(p, [false, false, true, false, false]);
}

#[test]
fn an_inner_loops_header_knows_nothing() {
    let (ecall, bnez) = (ecall(), |off| {
        d(Insn::Bne(isa_a::format::B {
            rs1: x(11),
            rs2: x(0),
            off,
        }))
    });
    // A loop of more than one basic block (inner_loop.rs): a branch on a2 inside it.
    let inside = beqz(12, 4);
    // sd a0 before the loop; the loop stores at a0 and moves it by 8: the next trip's
    // a0 is not the one the straight path knew, whatever reaches the header first.
    let p = plan_of(&[
        sd(10, 0),
        sd(10, 0),
        inside,
        addi(10, 10, 8),
        bnez(-12),
        ecall,
    ]);
    assert_eq!(p, [false; 6]);
    // A forward branch to the header as well: still nothing.
    let p = plan_of(&[
        sd(10, 0),
        beqz(11, 4),
        sd(10, 0),
        inside,
        addi(10, 10, 8),
        bnez(-12),
        ecall,
    ]);
    assert_eq!(p, [false; 7]);
    // Inside the loop, after the header, facts are made as anywhere.
    let p = plan_of(&[
        sd(10, 0),
        sd(10, 0),
        sd(10, 8),
        inside,
        addi(10, 10, 8),
        bnez(-16),
        ecall,
    ]);
    assert_eq!(p, [false, false, true, false, false, false, false]);
}

mod lookups {
    use super::super::super::test_insns::{i, r};
    use super::*;
    use isa_a::format::U;

    fn andi(rd: u32, rs: u32, imm: i32) -> Decoded {
        d(Insn::Andi(i(rd, rs, imm)))
    }
    fn add(rd: u32, rs1: u32, rs2: u32) -> Decoded {
        d(Insn::Add(r(rd, rs1, rs2)))
    }
    fn and(rd: u32, rs1: u32, rs2: u32) -> Decoded {
        d(Insn::And(r(rd, rs1, rs2)))
    }
    fn slli(rd: u32, rs1: u32, shamt: u32) -> Decoded {
        d(Insn::Slli(shift(rd, rs1, shamt)))
    }
    fn srliw(rd: u32, rs1: u32, shamt: u32) -> Decoded {
        d(Insn::Srliw(shift_w(rd, rs1, shamt)))
    }
    fn lui(rd: u32, imm: i32) -> Decoded {
        d(Insn::Lui(U { rd: x(rd), imm }))
    }
    fn lw(rd: u32, rs1: u32, imm: i32) -> Decoded {
        d(Insn::Lw(load(rd, rs1, imm)))
    }

    /// `t = base + ((x & 255) + off) * 4; lw y, 0(t)` (`off` words into the tables), with t, x
    /// and y a lookup's own registers.
    fn lookup(base: u32, x: u32, t: u32, y: u32, off: i32) -> Vec<Decoded> {
        vec![
            andi(t, x, 255),
            addi(t, t, off),
            slli(t, t, 2),
            add(t, t, base),
            lw(y, t, 0),
        ]
    }

    fn lookups(base: u32, offs: &[i32]) -> Vec<Decoded> {
        let mut v = Vec::new();
        for (k, &off) in offs.iter().enumerate() {
            let k = k as u32;
            v.extend(lookup(base, 5 + k, 18 + k, 28 + k % 4, off));
        }
        v
    }

    /// The checks kept and elided of the accesses only.
    fn accesses(insns: &[Decoded]) -> Vec<Check> {
        let c = checks_of(insns);
        (0..insns.len())
            .filter(|&i| access(&insns[i].insn).is_some())
            .map(|i| c[i])
            .collect()
    }

    use Check::{Indexed, Kept, Near};

    #[test]
    fn a_lookup_tells_the_next_lookups_into_the_same_tables_they_need_no_check() {
        // AES's four 256-word tables at a2: the first lookup's check, none after it.
        let code = lookups(12, &[768, 0, 256, 512, 0]);
        assert_eq!(accesses(&code), [Kept, Indexed, Indexed, Indexed, Indexed]);
        // The index as the other operand (`add t, a2, t`), and srliw's bound.
        let code = [
            lookups(12, &[0]),
            vec![srliw(7, 9, 24), slli(7, 7, 2), add(7, 12, 7), lw(8, 7, 0)],
        ]
        .concat();
        assert_eq!(accesses(&code), [Kept, Indexed]);
        // An access through the base tells its lookups; an access through a lookup
        // tells the base's own accesses.
        let code = [vec![lw(8, 12, 0)], lookups(12, &[0])].concat();
        assert_eq!(accesses(&code), [Kept, Indexed]);
        // (The base's fact is its own after that access: the next one is near.)
        let code = [lookups(12, &[0]), vec![lw(8, 12, 64), ld(8, 12, 1016)]].concat();
        assert_eq!(accesses(&code), [Kept, Indexed, Near]);
        // A second access through the lookup's own register: near.
        let code = [lookups(12, &[0]), vec![lw(8, 21 - 3, 4)]].concat();
        assert_eq!(accesses(&code), [Kept, Near]);
    }

    #[test]
    fn sums_made_before_the_first_lookup_learn_from_it() {
        // AES's rounds form every table address first, then load: the first load's check
        // tells a2, and a2 every sum of it still standing.
        let mut code = Vec::new();
        for k in 0..4 {
            code.extend([andi(18 + k, 5 + k, 255), slli(18 + k, 18 + k, 2)]);
            code.push(add(18 + k, 18 + k, 12));
        }
        code.extend((0..4).map(|k| lw(28 + k, 18 + k, 0)));
        assert_eq!(accesses(&code), [Kept, Indexed, Indexed, Indexed]);
        // A sum of a sum: t = a2 + index, u = t + 8, then an access through t tells u.
        let code = vec![
            andi(18, 5, 255),
            add(18, 18, 12),
            addi(19, 18, 8),
            lw(28, 18, 0),
            lw(29, 19, 0),
        ];
        assert_eq!(accesses(&code), [Kept, Near]);
        // Not a sum whose base was written after it (nor one written again itself).
        let code = vec![
            andi(18, 5, 255),
            add(18, 18, 12),
            andi(19, 6, 255),
            add(19, 19, 12),
            addi(12, 12, 4),
            andi(20, 7, 255),
            add(20, 20, 12),
            ld(20, 20, 0),
            andi(20, 7, 255),
            add(20, 20, 12),
            lw(28, 20, 0),
            lw(29, 19, 0),
            lw(30, 18, 0),
        ];
        assert_eq!(accesses(&code), [Kept, Indexed, Kept, Kept]);
    }

    #[test]
    fn an_index_must_be_bounded_within_the_guard_zones_reach() {
        // Unbounded: an `or` (or a load) forgets the bound.
        let mut code = lookups(12, &[0]);
        code.extend([d(Insn::Ori(i(7, 9, 3))), add(7, 7, 12), lw(8, 7, 0)]);
        assert_eq!(accesses(&code), [Kept, Kept]);
        // srliw by 1 leaves 31 bits: far past the guard zone.
        let mut code = lookups(12, &[0]);
        code.extend([srliw(7, 9, 1), add(7, 7, 12), lw(8, 7, 0)]);
        assert_eq!(accesses(&code), [Kept, Kept]);
        // After `lw 0(a2 + 0..=1020)`, a2 + 1020 >= 0 and a2 < limit: an index up to
        // GUARD - 8 keeps an 8-byte access from a2 + index inside the guard zone past
        // the limit, one more does not.
        let g = GUARD as i32;
        for (off, kept) in [(-8, Indexed), (-7, Kept)] {
            let mut code = lookups(12, &[0]);
            code.extend([
                lui(6, g),
                addi(6, 6, off),
                and(7, 9, 6),
                add(7, 12, 7),
                ld(8, 7, 0),
            ]);
            assert_eq!(accesses(&code), [Kept, kept], "{off}");
        }
    }

    #[test]
    fn a_base_or_a_lookup_written_again_forgets_what_it_knew() {
        // The base rewritten between lookups.
        let mut code = lookups(12, &[0]);
        code.push(ld(12, 2, 0));
        code.extend(lookup(12, 6, 19, 29, 0));
        assert_eq!(accesses(&code), [Kept, Kept, Kept]);
        // The base rewritten after the sum, before the access: the sum's own fact
        // stands, but the access says nothing of the new base.
        let mut code = lookups(12, &[0]);
        code.extend([andi(7, 9, 255), add(7, 7, 12), ld(12, 2, 0)]);
        code.extend([lw(8, 7, 0), lw(8, 12, 0)]);
        assert_eq!(accesses(&code), [Kept, Kept, Indexed, Kept]);
        // The sum rewritten before its access (a move of it keeps its fact, not the
        // way back to the base).
        let mut code = vec![andi(7, 9, 255), add(7, 7, 12), addi(7, 7, 0), lw(8, 7, 0)];
        code.extend(lookup(12, 6, 19, 29, 0));
        assert_eq!(accesses(&code), [Kept, Kept]);
    }

    #[test]
    fn a_join_keeps_a_fact_only_if_every_path_has_it() {
        let (ecall, beqz) = (ecall(), |off| beqz(11, off));
        // The branch skips the first lookup: its path knows nothing of a2.
        let mut code = vec![beqz(24)];
        code.extend(lookups(12, &[0]));
        code.extend(lookup(12, 6, 19, 29, 0));
        code.push(ecall);
        assert_eq!(accesses(&code), [Kept, Kept]);
        // Both paths made a lookup: the join keeps the weaker of their facts.
        let mut code = lookups(12, &[0]);
        code.push(beqz(24));
        code.extend(lookup(12, 6, 19, 29, 256));
        code.extend(lookup(12, 7, 20, 30, 0));
        code.push(ecall);
        assert_eq!(accesses(&code), [Kept, Indexed, Indexed]);
    }
}
