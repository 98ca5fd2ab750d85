//! What one translation covers: a pre-decoded block and the blocks that follow it through the
//! not-taken side of its conditional branches and through plain jumps (`j`, a `jal` that links
//! nothing): a superblock, one entry and many exits.
//!
//! ```text
//!   A: ... beq → X        translated as one unit:  A's body, beq (taken: exit to X),
//!   B: ... j C                                     B's body, (j: nothing but a budget check)
//!   C: ... bne → A                                 C's body, bne (taken: back to A's body)
//! ```
//!
//! An instruction's pc is the previous one's plus its length, except after a followed jump:
//! [`pcs`] is the one place that knows. A loop spread over branches and jumps becomes a block
//! that branches to its own start, which keeps its registers across iterations
//! (lower::loop_back).

use isa_a::{decode_block, Bus, Decoded, Insn};

/// Most basic blocks in one superblock, and most instructions.
const MAX_PARTS: usize = 4;
const MAX_INSNS: usize = 128;

/// `first` (the basic block at `pc`) extended through the fall-throughs of conditional
/// branches and the targets of plain jumps. A part that cannot be decoded (a fetch fault, an
/// illegal first instruction) ends the superblock before it: it will fault when, and only if,
/// it is reached.
pub fn extend<M: Bus + ?Sized>(bus: &mut M, pc: u64, first: Vec<Decoded>) -> Vec<Decoded> {
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
            (Some(target), Insn::Jal(j)) if j.rd.num() == 0 => {
                if starts.contains(&target) {
                    break;
                }
                target
            }
            (Some(target), insn) if is_branch(insn) && target != pc => {
                at.wrapping_add(last.len as u64)
            }
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
    insns
}

/// Whether the superblock goes on at the target of `insn` (a plain jump that is not its last
/// instruction) rather than after it.
pub fn follows(insn: &Insn) -> bool {
    matches!(insn, Insn::Jal(j) if j.rd.num() == 0)
}

/// The pc of each instruction of the superblock starting at `start`, in order.
pub fn pcs(start: u64, insns: &[Decoded]) -> impl Iterator<Item = u64> + '_ {
    insns.iter().scan(start, |pc, d| {
        let at = *pc;
        *pc = match d.insn {
            Insn::Jal(_) if follows(&d.insn) => d.insn.direct_target(at).expect("a jal"),
            _ => at.wrapping_add(d.len as u64),
        };
        Some(at)
    })
}

/// Whether `insn` is a conditional branch.
fn is_branch(insn: &Insn) -> bool {
    insn.info().has(isa_a::flag::BRANCH)
}
