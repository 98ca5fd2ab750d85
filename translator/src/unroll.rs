//! Loop unrolling: a superblock that is one basic block looping to its own start, short
//! enough, is made of several copies of its body, where the budget is looked at at back edges
//! alone (lower/budget.rs). Each copy but the last closes with the loop's branch, which now
//! means the opposite of what a branch inside a superblock usually does: taken goes on with
//! the next copy (its target is the start, and so is the next copy's first pc), not taken
//! leaves the loop for the branch's fall-through.
//!
//! ```text
//!   loop: lbu  a7,0(a6)          copy 1: lbu, slli, mv, or, addi
//!         slli a5,a5,8                   bne a0,a4,loop   not taken: out to `next`
//!         mv   a4,a6             copy 2: lbu (no limit check: a6 moved by -1 since copy 1)
//!         or   a5,a7,a5                  …  bne a0,a4,loop   not taken: out to `next`
//!         addi a6,a6,-1          …
//!         bne  a0,a4,loop        copy K: …  bne a0,a4,loop   budget check, back to copy 1
//!   next:
//! ```
//!
//! What the copies share is why: the analyses run over the whole unrolled body, so what one
//! copy proves (an access's base within the guard zones, checked.rs; a register extended,
//! extension.rs) holds on in the next, the budget is looked at once every K iterations, and
//! one taken host branch closes K of them. An exact budget, looked at where the interpreter
//! looks (at every one of its blocks' ends), never has copies.
//!
//! Everything that reads a superblock sees the copies as instructions like any other, each
//! at its guest pc: [`crate::superblock::pcs`] knows that after a copy's closing branch comes
//! the start again, so the helper calls, the fault map and `-d in_asm` find each
//! instruction's pc by its index as everywhere else. What treats a branch inside a superblock
//! as "taken leaves, not taken goes on" asks [`closes_copy`]: the lowering
//! (lower/branch.rs, which jumps out on the inverted condition) and the joins (lower/join.rs,
//! for which the start would look like a forward target).

use isa_a::{Decoded, Insn};

/// Most guest instructions of an unrolled loop, and most copies of its body: 4 copies of a
/// loop of up to 12 (crc32's byte loop), 3 of up to 16, 2 of up to 24. Measured against 32
/// instructions, poly1305 ran 10% faster (its 9-instruction fill loops had 3 copies); against
/// 64, nothing changed.
const MOST_INSNS: usize = 48;
const MOST_COPIES: usize = 4;

/// `insns`, a superblock starting at `pc` made of one basic block, as copies of its body if
/// it loops to its start and is short enough; else as it is.
pub fn unroll(pc: u64, insns: Vec<Decoded>) -> Vec<Decoded> {
    let copies = (MOST_INSNS / insns.len().max(1)).min(MOST_COPIES);
    if copies < 2 || !loops(pc, &insns) {
        return insns;
    }
    insns.repeat(copies)
}

/// The guest code a superblock at `pc` covers once: an unrolled loop's first copy of its
/// body (what `-d in_asm` and the TUI show, as for a loop not unrolled), else all of it.
pub fn body(pc: u64, insns: &[Decoded]) -> &[Decoded] {
    let pcs = crate::superblock::pcs(pc, insns);
    let end = (insns.iter().zip(pcs))
        .position(|(d, at)| closes_copy(&d.insn, at, pc))
        .map_or(insns.len(), |i| i + 1);
    &insns[..end]
}

/// Whether the basic block `insns` at `pc` ends with a conditional branch to `pc`.
fn loops(pc: u64, insns: &[Decoded]) -> bool {
    let Some(last) = insns.last() else {
        return false;
    };
    let at = crate::superblock::pcs(pc, insns).last().unwrap_or(pc);
    closes_copy(&last.insn, at, pc)
}

/// Whether `insn` at `at` is a conditional branch to `start`, the superblock's start: not as
/// its last instruction, the end of a copy of an unrolled loop's body (a branch to the start
/// ends a superblock that is not unrolled).
pub fn closes_copy(insn: &Insn, at: u64, start: u64) -> bool {
    insn.info().has(isa_a::flag::BRANCH) && insn.direct_target(at) == Some(start)
}

#[cfg(test)]
mod tests {
    use crate::superblock::{extend, pcs};
    use crate::TestMemory;
    use isa_a::format::{Nullary, B, I};
    use isa_a::{decode_block, Insn, XReg};

    const START: u64 = 0x1000;

    /// `body` then the branch `close` back to the start (its offset filled in), then an
    /// `ecall`: the superblock from the start, budget looked at at back edges (`cuts`) or not.
    fn superblock(body: &[Insn], close: fn(B) -> Insn, cuts: bool) -> Vec<u64> {
        superblock_chained(body, close, cuts, true)
    }

    /// The same, with chaining (`calls`) or under `-d nochain`.
    fn superblock_chained(
        body: &[Insn],
        close: fn(B) -> Insn,
        cuts: bool,
        calls: bool,
    ) -> Vec<u64> {
        let mut code = body.to_vec();
        let off = -4 * body.len() as i32;
        let (rs1, rs2) = (XReg::new(10), XReg::ZERO);
        code.push(close(B { rs1, rs2, off }));
        code.push(Insn::Ecall(Nullary {}));
        let mut mem = TestMemory::new(1 << 16);
        mem.load_code(START, &code);
        let first = decode_block(&mut mem, START).unwrap().insns;
        let insns = extend(&mut mem, START, first, calls, cuts);
        pcs(START, &insns).collect()
    }

    fn addis(n: usize) -> Vec<Insn> {
        let a0 = XReg::new(10);
        (0..n)
            .map(|i| {
                Insn::Addi(I {
                    rd: a0,
                    rs1: a0,
                    imm: i as i32,
                })
            })
            .collect()
    }

    /// Copies of the body while they fit: up to 4, 48 instructions at most; each copy at the
    /// body's pcs again.
    #[test]
    fn a_short_loop_is_copies_of_its_body() {
        for (body, copies) in [
            (2, 4),
            (5, 4),
            (11, 4),
            (12, 3),
            (15, 3),
            (16, 2),
            (23, 2),
            (24, 1),
            (40, 1),
        ] {
            let one: Vec<u64> = (0..=body as u64).map(|i| START + 4 * i).collect();
            let want = one.repeat(copies);
            assert_eq!(
                superblock(&addis(body), Insn::Bne, true),
                want,
                "a body of {body}"
            );
            assert_eq!(
                superblock(&addis(body), Insn::Bne, false),
                one,
                "exact, {body}"
            );
        }
        for close in [Insn::Beq, Insn::Blt, Insn::Bge, Insn::Bltu, Insn::Bgeu] {
            assert_eq!(superblock(&addis(3), close, true).len(), 16);
        }
    }

    /// What the log shows of an unrolled loop: its body once.
    #[test]
    fn the_body_is_the_first_copy() {
        let mut code = addis(3);
        code.push(Insn::Bne(B {
            rs1: XReg::new(10),
            rs2: XReg::ZERO,
            off: -12,
        }));
        code.push(Insn::Ecall(Nullary {}));
        let mut mem = TestMemory::new(1 << 16);
        mem.load_code(START, &code);
        let first = decode_block(&mut mem, START).unwrap().insns;
        let insns = extend(&mut mem, START, first.clone(), true, true);
        assert_eq!(insns.len(), 16);
        assert_eq!(super::body(START, &insns).len(), 4);
        assert_eq!(super::body(START, &first).len(), 4);
    }

    /// Under `-d nochain` each trip passes the dispatcher, as `-d exec` shows: one copy.
    #[test]
    fn no_copies_without_chaining() {
        assert_eq!(
            superblock_chained(&addis(3), Insn::Bne, true, false).len(),
            4
        );
        assert_eq!(
            superblock_chained(&addis(3), Insn::Bne, true, true).len(),
            16
        );
    }

    /// A loop made of several basic blocks keeps one copy.
    #[test]
    fn a_loop_of_several_blocks_is_not_unrolled() {
        let mut body = addis(2);
        let a0 = XReg::new(10);
        body.push(Insn::Beq(B {
            rs1: a0,
            rs2: XReg::ZERO,
            off: 64,
        }));
        body.extend(addis(2));
        assert_eq!(superblock(&body, Insn::Bne, true).len(), 6);
    }
}
