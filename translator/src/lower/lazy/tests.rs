use super::*;
use crate::lower::liveness::analyse;
use crate::lower::rotate;
use crate::lower::test_insns::{d, i, r, shift_w as sw, x};
use isa_a::format::{Amo, Load, Store, B};

fn addw(rd: u32, rs1: u32, rs2: u32) -> Insn {
    Insn::Addw(r(rd, rs1, rs2))
}
fn xor(rd: u32, rs1: u32, rs2: u32) -> Insn {
    Insn::Xor(r(rd, rs1, rs2))
}
fn amo(rd: u32, rs1: u32, rs2: u32) -> Amo {
    Amo {
        rd: x(rd),
        rs1: x(rs1),
        rs2: x(rs2),
        aq: false,
        rl: false,
    }
}
fn li(rd: u32, imm: i32) -> Insn {
    Insn::Addi(i(rd, 0, imm))
}
fn sext(rd: u32, rs: u32) -> Insn {
    Insn::Addiw(i(rd, rs, 0))
}

/// The registers known extended before each instruction of a block at 0x1000.
fn extended(ds: &[Decoded]) -> Vec<u32> {
    crate::lower::extension::analyse_joined(ds, 0x1000, |_| false)
}

/// No joins.
fn none(_: usize) -> Joined {
    Joined::default()
}

/// The plan of `code` at 0x1000 (rotates planned, no joins).
fn plan_of(code: &[Insn]) -> Plan {
    let ds: Vec<Decoded> = code.iter().map(|&insn| d(insn)).collect();
    let facts = analyse(&ds, 0x1000);
    let roles = rotate::plan(&ds, &facts, true, |_| false);
    let looped = loops_back(&ds, 0x1000);
    plan(
        &ds,
        &facts.ops,
        &facts.dead,
        &roles,
        none,
        &extended(&ds),
        looped,
    )
}

#[test]
fn a_quarter_round_leaves_its_results_unextended_until_the_block_ends() {
    // a += b; d ^= a; d = ror32(d, 16); c += d; then li overwrites a, d and c.
    let code = [
        addw(10, 10, 11),
        xor(13, 13, 10),
        Insn::Slliw(sw(14, 13, 16)),
        Insn::Srliw(sw(13, 13, 16)),
        Insn::Or(r(13, 14, 13)),
        addw(12, 12, 13),
        Insn::Subw(r(15, 12, 10)),
        li(10, 0),
        li(13, 0),
        li(12, 0),
    ];
    let p = plan_of(&code);
    // The addw, the rotate's `or` and the second addw; not the subw, whose a5 reaches the end.
    assert_eq!(
        p.lazy,
        [true, false, false, false, true, true, false, false, false, false]
    );
    // a0 pending after the addw; a3 after the xor (of a pending a0) and after the rotate.
    assert_eq!(p.pending[1], 1 << 10);
    assert_eq!(p.pending[2], 1 << 10 | 1 << 13);
    assert_eq!(p.pending[5], 1 << 10 | 1 << 13);
    assert_eq!(p.pending[6], 1 << 10 | 1 << 13 | 1 << 12);
    assert_eq!(p.pending[7], 1 << 10 | 1 << 13 | 1 << 12);
    assert_eq!(p.pending[10], 0);
}

#[test]
fn a_low_half_reader_does_not_demand_but_extends() {
    // sext.w, sraiw and addw from x0 read the low half and make an extended value: the
    // addw before them stays unextended, and their source is pending at them.
    for reader in [
        sext(12, 11),
        Insn::Sraiw(sw(12, 11, 3)),
        addw(12, 0, 11),
        Insn::Srliw(sw(12, 11, 0)),
    ] {
        let p = plan_of(&[
            addw(11, 11, 13),
            reader,
            li(11, 0),
            Insn::Add(r(14, 12, 12)),
        ]);
        assert!(p.lazy[0], "{reader:?}");
        assert_eq!(p.pending[1], 1 << 11, "{reader:?}");
        assert_eq!(p.pending[2], 1 << 11, "{reader:?}: its result is exact");
    }
}

#[test]
fn everything_else_demands_the_upper_half() {
    let store = Insn::Sd(Store {
        rs1: x(10),
        rs2: x(11),
        imm: 0,
    });
    let load = Insn::Lw(Load {
        rd: x(14),
        rs1: x(11),
        imm: 0,
    });
    let branch = Insn::Bne(B {
        rs1: x(11),
        rs2: x(15),
        off: 64,
    });
    let seen: &[(&str, &[Insn])] = &[
        ("the block's end", &[]),
        ("a 64-bit add", &[Insn::Add(r(13, 11, 12))]),
        ("sra", &[Insn::Sra(r(13, 11, 12))]),
        ("slt", &[Insn::Slt(r(13, 11, 12))]),
        ("div", &[Insn::Div(r(13, 11, 12))]),
        ("a 64-bit store of it", &[store]),
        ("a load through it", &[load]),
        ("a branch comparing it with another register", &[branch]),
        ("an amo", &[Insn::AmoaddW(amo(14, 10, 15))]),
        (
            "an xor whose result is demanded",
            &[xor(13, 11, 12), Insn::Add(r(14, 13, 13))],
        ),
        ("an xor whose result reaches the end", &[xor(13, 11, 12)]),
        ("a mv whose result is demanded", &[Insn::Addi(i(13, 11, 0))]),
    ];
    for (what, then) in seen {
        let mut code = vec![addw(11, 11, 12)];
        code.extend_from_slice(then);
        code.push(li(11, 0));
        let p = plan_of(&code);
        // (A trailing li of a dead write is not lowered: the block's end demands.)
        if what.starts_with("the block") {
            assert!(!plan_of(&[addw(11, 11, 12)]).lazy[0]);
            continue;
        }
        assert!(!p.lazy[0], "{what}: left unextended");
        assert!(p.pending.iter().all(|&g| g == 0), "{what}");
    }
}

#[test]
fn a_barrier_demands_everything() {
    let code = [addw(11, 11, 12), li(13, 1), addw(14, 11, 12), li(11, 0)];
    let ds: Vec<Decoded> = code.iter().map(|&insn| d(insn)).collect();
    let facts = analyse(&ds, 0x1000);
    let roles = vec![Role::None; code.len()];
    let ext = extended(&ds);
    assert!(plan(&ds, &facts.ops, &facts.dead, &roles, none, &ext, false).lazy[0]);
    // A join target at the li.
    let at = |i| Joined {
        target: i == 1,
        branch: false,
    };
    assert!(!plan(&ds, &facts.ops, &facts.dead, &roles, at, &ext, false).lazy[0]);
}

#[test]
fn accesses_and_branches_out_of_the_block_leave_registers_unextended_across_them() {
    let sw = Insn::Sw(Store {
        rs1: x(10),
        rs2: x(11),
        imm: 0,
    });
    let lw = Insn::Lw(Load {
        rd: x(14),
        rs1: x(10),
        imm: 0,
    });
    let out = Insn::Bne(B {
        rs1: x(15),
        rs2: x(0),
        off: 64,
    });
    // A branch on it against zero tests its low half.
    let on_it = Insn::Blt(B {
        rs1: x(11),
        rs2: x(0),
        off: 64,
    });
    let crossed: &[(&str, Insn)] = &[
        ("a sw of it", sw),
        ("a load through another register", lw),
        ("a branch out on another register", out),
        ("a branch out on it against zero", on_it),
    ];
    for &(what, insn) in crossed {
        let p = plan_of(&[addw(11, 11, 12), insn, li(11, 0)]);
        assert!(p.lazy[0], "{what}");
        assert_eq!(p.pending[1], 1 << 11, "{what}");
    }
}

#[test]
fn only_what_a_movsxd_gives_back_crosses_an_access_or_a_branch_out() {
    let lw = Insn::Lw(Load {
        rd: x(14),
        rs1: x(10),
        imm: 0,
    });
    // An `or` with a whole value, left unextended, is not one a movsxd gives back: it and
    // the addw's result it reads are extended before the load.
    let p = plan_of(&[
        addw(11, 11, 12),
        Insn::Or(r(13, 11, 15)),
        lw,
        li(11, 0),
        li(13, 0),
    ]);
    assert!(!p.lazy[0]);
    assert_eq!(p.pending[2], 0);
    // The same with an extended one crosses.
    let p = plan_of(&[
        addw(15, 15, 12),
        addw(11, 11, 12),
        Insn::Or(r(13, 11, 15)),
        lw,
        li(11, 0),
        li(13, 0),
        li(15, 0),
    ]);
    assert_eq!(p.pending[3], 1 << 11 | 1 << 13 | 1 << 15);
}

#[test]
fn a_branch_to_a_join_or_ending_the_block_demands_everything() {
    let code = [
        addw(11, 11, 12),
        Insn::Bne(B {
            rs1: x(15),
            rs2: x(0),
            off: 8,
        }),
        li(13, 1),
        li(11, 0),
    ];
    let ds: Vec<Decoded> = code.iter().map(|&insn| d(insn)).collect();
    let facts = analyse(&ds, 0x1000);
    let roles = vec![Role::None; code.len()];
    let ext = extended(&ds);
    assert!(plan(&ds, &facts.ops, &facts.dead, &roles, none, &ext, false).lazy[0]);
    let at = |i| Joined {
        target: false,
        branch: i == 1,
    };
    assert!(!plan(&ds, &facts.ops, &facts.dead, &roles, at, &ext, false).lazy[0]);
    // The block's end.
    assert!(!plan_of(&code[..2]).lazy[0]);
}

#[test]
fn a_64_bit_rotate_demands_its_source() {
    let code = [
        addw(10, 10, 11),
        Insn::Slli(isa_a::format::Shift {
            rd: x(14),
            rs1: x(10),
            shamt: 16,
        }),
        Insn::Srli(isa_a::format::Shift {
            rd: x(15),
            rs1: x(10),
            shamt: 48,
        }),
        Insn::Or(r(13, 14, 15)),
        addw(12, 12, 13),
        Insn::Subw(r(16, 12, 13)),
        li(10, 0),
        li(13, 0),
        li(12, 0),
    ];
    let p = plan_of(&code);
    assert!(!p.lazy[0] && !p.lazy[3] && p.lazy[4]);
}

#[test]
fn a_sext_whose_result_is_not_demanded_is_a_copy_left_pending() {
    // a1 exact (and extended); sext.w a2, a1 read only by an addw, then overwritten: a copy,
    // and a2 pending after it, as a copy of any 64-bit value would be.
    let lw = Insn::Lw(Load {
        rd: x(11),
        rs1: x(10),
        imm: 0,
    });
    let code = [lw, sext(12, 11), addw(13, 12, 12), li(12, 0)];
    let p = plan_of(&code);
    assert_eq!(p.lazy, [false, true, false, false]);
    assert_eq!(p.pending[2], 1 << 12);
    assert_eq!(p.pending[3], 1 << 12);
    assert_eq!(p.pending[4], 0);
}

/// A loop's closing branch back to 0x1000 on `rs1` against zero, `len` instructions after
/// the block's start.
fn back_to_start(rs1: u32, len: i32) -> Insn {
    Insn::Bne(B {
        rs1: x(rs1),
        rs2: x(0),
        off: -4 * len,
    })
}

#[test]
fn a_loop_keeps_a_word_result_unextended_across_its_back_edge() {
    // s = s + v (addw), counter - 1 (addiw), back while the counter is not zero: neither is
    // read whole in the loop, so neither is extended in it; the exits extend both.
    let code = [
        addw(12, 12, 15),
        Insn::Addiw(i(13, 13, -1)),
        back_to_start(13, 2),
    ];
    let p = plan_of(&code);
    assert_eq!(p.lazy, [true, true, false]);
    assert_eq!(
        p.pending[0],
        1 << 12 | 1 << 13,
        "unextended from the last iteration"
    );
    assert_eq!(p.pending[3], 1 << 12 | 1 << 13, "what the exits extend");
    // Not a loop (the branch goes elsewhere): the end demands everything.
    let mut out = code;
    out[2] = Insn::Bne(B {
        rs1: x(13),
        rs2: x(0),
        off: 64,
    });
    assert_eq!(plan_of(&out).lazy, [false, false, false]);
}

#[test]
fn a_loop_extends_what_its_start_reads_whole_or_what_a_movsxd_cannot_give_back() {
    // The start reads s whole (a 64-bit add): the addw at the end extends it.
    let code = [
        Insn::Add(r(14, 12, 12)),
        addw(12, 12, 15),
        Insn::Addiw(i(13, 13, -1)),
        back_to_start(13, 3),
    ];
    assert_eq!(plan_of(&code).lazy, [false, false, true, false]);
    // A load first (it may fault, and the fault reports every register whole).
    let load = Insn::Lw(Load {
        rd: x(14),
        rs1: x(10),
        imm: 0,
    });
    let code = [load, addw(12, 12, 15), back_to_start(13, 2)];
    assert_eq!(plan_of(&code).lazy, [false, false, false]);
    // t = t | s of a whole t: its low half alone does not give t back at an exit, so t is
    // demanded at the end, and so is s where the `or` reads it.
    let code = [
        addw(12, 12, 15),
        Insn::Or(r(14, 14, 12)),
        back_to_start(13, 2),
    ];
    let p = plan_of(&code);
    assert_eq!(p.lazy, [false, false, false]);
    assert_eq!(p.pending[3], 0);
    // A branch comparing with a register (not zero) reads both whole.
    let code = [
        Insn::Addiw(i(13, 13, -1)),
        Insn::Bne(B {
            rs1: x(13),
            rs2: x(14),
            off: -4,
        }),
    ];
    assert_eq!(plan_of(&code).lazy, [false, false]);
}

#[test]
fn a_small_mask_and_a_shift_by_32_or_more_read_only_the_low_half() {
    use crate::lower::test_insns::shift;
    // addiw a5,a6,-48; zext.b a5,a5 (parse's character classes): the mask clears what the
    // movsxd would have set, and the andi's own result is whole.
    let p = plan_of(&[Insn::Addiw(i(15, 16, -48)), Insn::Andi(i(15, 15, 255))]);
    assert_eq!(p.lazy, [true, false]);
    assert_eq!(p.pending[1], 1 << 15);
    assert_eq!(p.pending[2], 0);
    // A negative mask keeps the upper half.
    let p = plan_of(&[Insn::Addiw(i(15, 16, -48)), Insn::Andi(i(15, 15, -16))]);
    assert_eq!(p.lazy, [false, false]);
    // slli by 32 shifts the upper half out; by 31 it does not.
    let p = plan_of(&[addw(5, 6, 7), Insn::Slli(shift(5, 5, 32))]);
    assert_eq!((p.lazy[0], p.pending[2]), (true, 0));
    let p = plan_of(&[addw(5, 6, 7), Insn::Slli(shift(5, 5, 31))]);
    assert!(!p.lazy[0]);
}
