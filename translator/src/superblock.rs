//! What one translation covers: a pre-decoded block and the blocks that follow it through the
//! not-taken side of its conditional branches (a superblock: one entry, many exits).
//!
//! ```text
//!   A: ... beq → X        translated as one unit:  A's body, beq (taken: exit to X),
//!   B: ... bne → A                                 B's body, bne (taken: back to A's body)
//! ```
//!
//! The parts are contiguous in guest memory, so an instruction's pc is still the start plus
//! the lengths before it. A loop spread over a branch and its fall-through becomes a block
//! that branches to its own start, which keeps its registers across iterations
//! (lower::loop_back).

use isa_a::{decode_block, Bus, Decoded, Insn};

/// Most basic blocks in one superblock, and most instructions.
const MAX_PARTS: usize = 4;
const MAX_INSNS: usize = 128;

/// `first` (the basic block at `pc`) extended through the fall-throughs of conditional
/// branches. A part that cannot be decoded (a fetch fault, an illegal first instruction)
/// ends the superblock before it: it will fault when, and only if, it is reached.
pub fn extend<M: Bus + ?Sized>(bus: &mut M, pc: u64, first: Vec<Decoded>) -> Vec<Decoded> {
    let mut insns = first;
    for _ in 1..MAX_PARTS {
        let Some(last) = insns.last() else { break };
        let next = pc.wrapping_add(insns.iter().map(|d| d.len as u64).sum());
        let at = next.wrapping_sub(last.len as u64);
        // A branch back to the start stays the last instruction: the loop's back edge is
        // then the block's own end, taken inline (lower::loop_back).
        match branch_offset(&last.insn) {
            Some(off) if at.wrapping_add(off as i64 as u64) != pc => {}
            _ => break,
        }
        if insns.len() >= MAX_INSNS {
            break;
        }
        match decode_block(bus, next) {
            Ok(b) if insns.len() + b.insns.len() <= MAX_INSNS => insns.extend(b.insns),
            _ => break,
        }
    }
    insns
}

/// The offset of a conditional branch.
fn branch_offset(insn: &Insn) -> Option<i32> {
    match insn {
        Insn::Beq(b)
        | Insn::Bne(b)
        | Insn::Blt(b)
        | Insn::Bge(b)
        | Insn::Bltu(b)
        | Insn::Bgeu(b) => Some(b.off),
        _ => None,
    }
}
