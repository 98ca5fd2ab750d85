//! Inner loops: a conditional branch back to an earlier instruction of its superblock (not
//! its start, which is `Lower::loop_back`'s) jumps to that instruction's code instead of
//! leaving the block. It is a join (join.rs) going the other way; what that asks more of
//! the block's lowering is here or named here.
//!
//! ```text
//!   sort:  …                    body:  …
//!   scan:  lw   a3,0(a5) ◀──┐          scan: mov eax,[r15+rsi] …
//!          addi a5,a5,4     │                jl taken ─────────────────┐
//!          blt  a3,a2 ──────┘                …                         │
//!          …                    cold:  taken: cmp r14,n+1 ; jle out    │ ◀┘
//!                                             lea r14,[r14-3] ; jmp scan
//! ```
//!
//! - Counting: code counts instructions by position from the block's start, so the back
//!   edge takes the trip (target to branch, inclusive) off what is left of the slice at the
//!   start: every exit, fault and helper call after it counts exactly what ran.
//! - Budget: it is a back edge, so it checks the budget (with the branch's count, before the
//!   rewind) and leaves for the target when it is spent. Only where the budget is looked at
//!   at back edges and blocks are chained (`Target::loops`): with an exact budget, and under
//!   `-d nochain`, every trip passes the dispatcher as the interpreter's blocks would.
//! - Facts: the target is a join target, which every forward analysis treats as a barrier
//!   (extension.rs, lazy.rs, checked.rs and its bounds, rotates, fusions, selects, address
//!   runs: nothing known, nothing lowered as one piece across it), as a block's start.
//! - Allocation: no region boundary between the target and the branch (regions.rs), so the
//!   back edge finds the allocation it left.
//! - Exits: an exit inside the loop may follow any trip, so it stores every register the
//!   whole loop writes ([`widen`]), not only those the straight path wrote before it.
//! - Liveness needs nothing more: a write is dropped as dead only when pure instructions
//!   alone follow it up to the overwrite, and the back edge is a branch, which is not pure.
//!
//! Only short loops of more than one basic block stay inside ([`header`]): any other runs
//! better as a superblock of its own. No inner loop whose body holds a leaf call or return
//! (their lowering assumes the link value the straight path set), nor when the target's pc
//! is not one instruction's alone (the copies of an unrolled loop).

use isa_a::Decoded;
use std::sync::atomic::{AtomicU64, Ordering};

/// The longest loop body (from the target to the back edge) kept inside its superblock.
const LONGEST: usize = 16;

/// Back edges lowered inside their block by every translation in this process.
static HITS: AtomicU64 = AtomicU64::new(0);

/// How many branches back into their own block (not to its start) have been lowered as
/// jumps inside it in this process (for tests and statistics).
pub fn count() -> u64 {
    HITS.load(Ordering::Relaxed)
}

/// Counts one back edge lowered.
pub(super) fn lowered() {
    HITS.fetch_add(1, Ordering::Relaxed);
}

/// The loop header conditional branch `i` of `insns` (at `pcs`) goes back to: an earlier
/// instruction after the start, the only one at its pc, with no leaf call or return from
/// it to the branch.
pub(super) fn header(insns: &[Decoded], pcs: &[u64], i: usize) -> Option<usize> {
    let insn = &insns[i].insn;
    if !insn.info().has(isa_a::flag::BRANCH) {
        return None;
    }
    let target = insn.direct_target(pcs[i])?;
    let t = (1..i).find(|&k| pcs[k] == target)?;
    let unique = pcs.iter().filter(|&&p| p == target).count() == 1;
    let leaf = super::join::holds_leaf(&insns[t..i]);
    // A loop runs faster as a superblock of its own, entered by the chain the taken edge
    // leaves through, once it runs more than a few trips: there it is unrolled (one basic
    // block, short), keeps what it left unextended across its back edge (lazy.rs) and is
    // peeled (extension.rs). Kept inside: short loops of several blocks (a search, a scan
    // with an if), whose few trips each pass would cost less than leaving and re-entering.
    let one_block = !insns[t..i].iter().any(|d| isa_a::ends_block(&d.insn));
    let short = i + 1 - t <= LONGEST;
    (unique && !leaf && !one_block && short).then_some(t)
}

/// Makes `written[n]` (the registers the first n instructions write, as bit masks) cover
/// every register a loop writes for each point inside it: `loops` are (branch, target).
/// A loop inside or overlapping another is reached from the other's writes too: repeated
/// until nothing changes.
pub(super) fn widen(written: &mut [u32], loops: &[(usize, usize)]) {
    let mut changed = true;
    while changed {
        changed = false;
        for &(f, t) in loops {
            let all = written[f + 1];
            for w in &mut written[t..=f] {
                changed |= *w | all != *w;
                *w |= all;
            }
        }
    }
}

/// How much more an instruction inside an inner loop counts for the allocation, per loop
/// around it: a guess at its trips per pass of the block.
const TRIPS: u32 = 8;

/// Weighs the uses inside each loop of `loops` (branch, target) by [`TRIPS`] for the
/// allocation (alloc.rs), and the count each back edge checks and adjusts in r14 (or in the
/// frame, while r14 holds a guest register) as two more uses of it per trip.
pub(super) fn weigh(a: &mut super::liveness::Analysis, loops: &[(usize, usize)]) {
    if loops.is_empty() {
        return;
    }
    for &(f, t) in loops {
        for w in &mut a.weight[t..=f] {
            *w = w.saturating_mul(TRIPS);
        }
        a.instret_uses += 2 * TRIPS;
    }
    a.uses = a.uses_in(0..a.ops.len());
}

#[cfg(test)]
mod tests {
    use super::widen;

    #[test]
    fn exits_inside_a_loop_store_what_any_trip_writes() {
        // Instructions 0..6 write bit i each; a loop 2..=3 inside one 1..=4.
        let mut w: Vec<u32> = (0..=6).map(|n| (1u32 << n) - 1).collect();
        widen(&mut w, &[(3, 2), (4, 1)]);
        assert_eq!(w, [0, 0x1f, 0x1f, 0x1f, 0x1f, 0x1f, 0x3f]);
        // Overlapping: 1..=3 and 2..=4, whichever order.
        let mut w: Vec<u32> = (0..=6).map(|n| (1u32 << n) - 1).collect();
        widen(&mut w, &[(3, 1), (4, 2)]);
        assert_eq!(w, [0, 0x1f, 0x1f, 0x1f, 0x1f, 0x1f, 0x3f]);
    }
}
