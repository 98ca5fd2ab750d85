//! What one translation covers: a pre-decoded block and the blocks that follow it through the
//! not-taken side of its conditional branches, through plain jumps (`j`, a `jal` that links
//! nothing), through calls of small leaf functions and their returns, and (where the budget
//! is looked at only at back edges, lower/budget.rs) past the decoder's length limit, where a
//! straight run longer than `MAX_BLOCK_INSNS` is cut, not ended: a superblock, one entry and
//! many exits. An exact budget is looked at where the interpreter's blocks end, at the cuts too:
//! there a cut ends the superblock.
//!
//! ```text
//!   A: ... beq → X        translated as one unit:  A's body, beq (taken: exit to X),
//!   B: ... j C                                     B's body, (j: nothing but a budget check)
//!   C: ... call f                                  C's body, ra = C's next (a budget check)
//!   f: ... ret                                     f's body, (ret: a budget check)
//!   D: ... bne → A                                 D's body, bne (taken: back to A's body)
//! ```
//!
//! A leaf is followed only when its return target is known statically: f is one basic block
//! ending in `jalr x0, 0(link)` whose instructions cannot write the link register, so its
//! return goes to the call's next instruction and needs no check.
//!
//! An instruction's pc is the previous one's plus its length, except after a followed jump,
//! call or return: [`pcs`] is the one place that knows. A loop spread over branches and jumps becomes a block
//! that branches to its own start, which keeps its registers across iterations
//! (lower::loop_back).

use isa_a::{decode_block, Bus, Decoded, Insn};

/// Most basic blocks in one superblock, and most instructions: enough for a cipher's
/// unrolled round loop to be one block that loops to its own start (lower::loop_back).
const MAX_PARTS: usize = 8;
const MAX_INSNS: usize = 256;
/// Most instructions of a leaf function a superblock goes through.
const MAX_LEAF: usize = 24;

/// `first` (the basic block at `pc`) extended through the fall-throughs of conditional
/// branches and the targets of plain jumps. A part that cannot be decoded (a fetch fault, an
/// illegal first instruction) ends the superblock before it: it will fault when, and only if,
/// it is reached.
/// Leaves are followed only with `calls` (not under `-d nochain`, where every call passes
/// the dispatcher), blocks cut at the length limit only with `cuts`, and a loop is unrolled
/// (crate::unroll) only with both.
pub fn extend<M: Bus + ?Sized>(
    bus: &mut M,
    pc: u64,
    first: Vec<Decoded>,
    calls: bool,
    cuts: bool,
) -> Vec<Decoded> {
    let mut starts = vec![pc];
    let mut insns = first;
    for _ in 1..MAX_PARTS {
        let (Some(last), Some(at)) = (insns.last(), pcs(pc, &insns).last()) else {
            break;
        };
        // A branch or jump back to the start stays the last instruction: the loop's back
        // edge is then the block's own end, taken inline (lower::loop_back). A jump into an
        // earlier part would unroll its loop: it ends the superblock too.
        let next = match (last.insn.direct_target(at), &last.insn) {
            // Over an else-part: on with it, so the jump can join (lower::join).
            _ if skips(&last.insn, at) => at.wrapping_add(last.len as u64),
            (Some(target), Insn::Jal(j)) if j.rd.num() == 0 => {
                if starts.contains(&target) {
                    break;
                }
                target
            }
            (Some(target), insn) if is_branch(insn) && target != pc => {
                at.wrapping_add(last.len as u64)
            }
            (Some(target), Insn::Jal(j)) if calls => {
                // A call: on through the leaf and its return, to the call's next instruction.
                let back = at.wrapping_add(last.len as u64);
                if starts.contains(&target) || starts.contains(&back) {
                    break;
                }
                let Some(leaf) = leaf(bus, target, j.rd) else {
                    break;
                };
                if insns.len() + leaf.len() >= MAX_INSNS {
                    break;
                }
                starts.push(target);
                insns.extend(leaf);
                back
            }
            // A block cut at its length limit: on with the instructions after it.
            _ if cuts && !isa_a::ends_block(&last.insn) => at.wrapping_add(last.len as u64),
            _ => break,
        };
        if insns.len() >= MAX_INSNS {
            break;
        }
        match decode_block(bus, next) {
            Ok(b) if insns.len() + b.insns.len() <= MAX_INSNS => {
                starts.push(next);
                insns.extend(b.insns)
            }
            _ => break,
        }
    }
    // Not under `-d nochain` either: there each trip of a loop passes the dispatcher, as
    // `-d exec` shows.
    if cuts && calls && starts.len() == 1 {
        return crate::unroll::unroll(pc, insns);
    }
    insns
}

/// The basic block at `pc` if it is a small leaf function returning through `link` (which
/// none of its instructions can write).
fn leaf<M: Bus + ?Sized>(bus: &mut M, pc: u64, link: isa_a::XReg) -> Option<Vec<Decoded>> {
    if !matches!(link.num(), 1 | 5) {
        return None;
    }
    let b = decode_block(bus, pc).ok()?;
    let (ret, body) = b.insns.split_last()?;
    let returns =
        matches!(ret.insn, Insn::Jalr(r) if r.rd.num() == 0 && r.rs1 == link && r.imm == 0);
    (returns && b.insns.len() <= MAX_LEAF && !body.iter().any(|d| may_write(&d.insn, link)))
        .then_some(b.insns)
}

/// Whether `insn` may write integer register `r`: any instruction with an `rd` field that
/// names it (FP destinations too, to keep this simple and on the safe side).
fn may_write(insn: &Insn, r: isa_a::XReg) -> bool {
    use isa_a::FormatKind::*;
    let no_rd = matches!(insn.info().format, Store | B | FStore | Fence | Nullary);
    !no_rd && (insn.encode() >> 7) & 31 == r.num() as u32
}

/// The pc of each instruction of the superblock starting at `start`, in order. A `jal` that
/// is not the superblock's last instruction is followed (a plain jump, or a call of a leaf;
/// not a short plain jump forward: [`skips`]),
/// and so is a `jalr` that is not last: the leaf's return, to after the call, and a branch to
/// the start that is not last: the end of a copy of an unrolled loop (crate::unroll).
pub fn pcs(start: u64, insns: &[Decoded]) -> impl Iterator<Item = u64> + '_ {
    insns.iter().scan((start, start), move |(pc, back), d| {
        let at = *pc;
        *pc = match d.insn {
            _ if skips(&d.insn, at) => at.wrapping_add(d.len as u64),
            _ if crate::unroll::closes_copy(&d.insn, at, start) => start,
            Insn::Jal(_) => {
                *back = at.wrapping_add(d.len as u64);
                d.insn.direct_target(at).expect("a jal")
            }
            Insn::Jalr(_) => *back,
            _ => at.wrapping_add(d.len as u64),
        };
        Some(at)
    })
}

/// Most bytes a plain forward jump may skip and still not be followed.
const MAX_SKIP: u64 = 128;

/// Whether `insn` at `at` is a plain jump a little way forward: the `j` over an if-then-else's
/// else-part. The superblock goes on with the fall-through (the else-part, then the join)
/// rather than the target: inside the superblock the jump then lands on the join's code
/// (lower::join), and it leaves the block when the target is not in it.
pub fn skips(insn: &Insn, at: u64) -> bool {
    match (insn, insn.direct_target(at)) {
        (Insn::Jal(j), Some(t)) if j.rd.num() == 0 => t > at.wrapping_add(4) && t - at <= MAX_SKIP,
        _ => false,
    }
}

/// Whether `insn` is a conditional branch.
fn is_branch(insn: &Insn) -> bool {
    insn.info().has(isa_a::flag::BRANCH)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TestMemory;
    use isa_a::block::MAX_BLOCK_INSNS;
    use isa_a::format::{Nullary, B, I};
    use isa_a::XReg;

    /// A loop of `n` straight-line `addi`s and its `bne` back edge, then an `ecall`: the
    /// instructions one superblock from its start covers.
    fn loop_superblock(n: usize, cuts: bool) -> usize {
        let a0 = XReg::new(10);
        let mut code: Vec<Insn> = (0..n)
            .map(|i| {
                Insn::Addi(I {
                    rd: a0,
                    rs1: a0,
                    imm: i as i32,
                })
            })
            .collect();
        let back = 0x1000 + 4 * code.len() as i64;
        code.push(Insn::Bne(B {
            rs1: a0,
            rs2: XReg::ZERO,
            off: (0x1000 - back) as i32,
        }));
        code.push(Insn::Ecall(Nullary {}));
        let mut mem = TestMemory::new(1 << 16);
        mem.load_code(0x1000, &code);
        let first = decode_block(&mut mem, 0x1000).unwrap().insns;
        extend(&mut mem, 0x1000, first, true, cuts).len()
    }

    /// A body cut at the decoder's block limit goes on in the same superblock, up to the back
    /// edge, which stays its last instruction; with an exact budget, only up to the cut.
    #[test]
    fn a_loop_longer_than_a_decoded_block_is_one_superblock() {
        for n in [
            MAX_BLOCK_INSNS / 2,
            MAX_BLOCK_INSNS + 20,
            2 * MAX_BLOCK_INSNS - 10,
            // ChaCha20's double round compiles to a loop of about 190 instructions.
            3 * MAX_BLOCK_INSNS + 10,
            MAX_INSNS - 1,
        ] {
            assert_eq!(loop_superblock(n, true), n + 1, "a body of {n}");
            let exact = (n + 1).min(MAX_BLOCK_INSNS);
            assert_eq!(loop_superblock(n, false), exact, "a body of {n}");
        }
    }
}
