//! Joins: a forward branch (or a plain jump over an else-part, which the superblock does not
//! follow: superblock::skips) whose target is an instruction later in the same superblock
//! jumps to that instruction's code instead of leaving the block.
//!
//! ```text
//!   andi a3,a5,1             body:  ... jcc taken ─────────────┐
//!   srli a5,a5,1                    (budget)                    │
//!   beqz a3 ──┐                     xor, slli+srli              │
//!   xor ...   │ skipped             join: addiw ◀───────────┐   │
//!   slli/srli │                     ...                     │   │
//!   addiw ◀───┘ the join     cold:  taken: (budget: out to  │   │
//!   bnez → start                      the target) r14 -= 3 ─┘ ◀─┘
//! ```
//!
//! Code after the join counts instructions by their position from the block's start, so
//! the taken edge takes the skipped instructions off the block's starting instret (r14, or
//! the frame slot while r14 holds a guest register): every exit, fault and helper call
//! after the join then counts exactly what ran. The edge crosses a block boundary as the
//! interpreter sees it, so it gets the same budget check as the superblock's inner block
//! boundaries, made before the rewind with the branch's own count.
//!
//! No region boundary (regions.rs) lies between a join's branch and its target, so one
//! allocation is in place on both sides. Liveness needs nothing
//! more: a branch is not a pure instruction, so no write before it is ever dropped as
//! dead, and a write in the skipped code that is dead on the straight path is not run on
//! the taken one. The stores of an exit after the join (`epilogue_after`) cover every
//! register written on the straight path, a superset of the taken path's; a register the
//! taken path did not write still holds what the prologue loaded.
//!
//! No join where the target is not the start of an instruction after the branch (the
//! middle of an instruction, or outside the block), is the second of a fused pair (the
//! pair is not fused then: see [`Joins::is_target`]), lies past a leaf call or return
//! (whose lowering assumes the call's link value, which the taken path did not set), or
//! lies in a part cut at the length limit (whose end, a budget check, the interpreter
//! would not have where it starts a block at the target).
//!
//! A conditional branch back to an earlier instruction (not the block's start) is a join
//! too where the budget allows it: an inner loop's back edge, whose count goes the other
//! way (inner_loop.rs says what else that takes).

use super::cold::Cold;
use super::Lower;
use isa_a::{Decoded, Insn};
use isa_b::{Alu, Label, Mem, W};
use std::sync::atomic::{AtomicU64, Ordering};

/// Joins lowered by every translation in this process: from branches, from plain jumps.
static HITS: [AtomicU64; 2] = [const { AtomicU64::new(0) }; 2];

/// How many taken edges of branches, and how many plain jumps, have been lowered as jumps
/// inside their block in this process (for tests and statistics).
pub fn count() -> (u64, u64) {
    (
        HITS[0].load(Ordering::Relaxed),
        HITS[1].load(Ordering::Relaxed),
    )
}

/// A block's joins.
pub(super) struct Joins {
    /// For each instruction: the index its branch's taken edge jumps to inside the block.
    to: Vec<Option<usize>>,
    /// For each instruction some branch jumps to: the label of its code.
    at: Vec<Option<Label>>,
}

/// Finds the joins of the block `insns` starting at `start`, with a label for each target;
/// with `loops`, the inner loops' back edges too (inner_loop.rs).
pub(super) fn plan(insns: &[Decoded], start: u64, loops: bool, e: &mut isa_b::Emitter) -> Joins {
    let pcs: Vec<u64> = crate::superblock::pcs(start, insns).collect();
    let n = insns.len();
    let mut j = Joins {
        to: vec![None; n],
        at: vec![None; n],
    };
    // The last instruction is the block's end: nothing follows it to jump to.
    for i in 0..n.saturating_sub(1) {
        let insn = &insns[i].insn;
        if !insn.info().has(isa_a::flag::BRANCH) && !crate::superblock::skips(insn, pcs[i]) {
            continue;
        }
        let Some(target) = insn.direct_target(pcs[i]) else {
            continue;
        };
        if crate::unroll::closes_copy(insn, pcs[i], start) {
            // Taken goes on with the next copy of the loop's body, not past it.
            continue;
        }
        let Some(t) = (i + 1..n).find(|&k| pcs[k] == target) else {
            if let Some(t) = super::inner_loop::header(insns, &pcs, i).filter(|_| loops) {
                j.to[i] = Some(t);
                j.at[t].get_or_insert_with(|| e.label());
            }
            continue;
        };
        let leaf = holds_leaf(&insns[i + 1..t]);
        // The interpreter's block from the target ends where the straight path's part
        // does only if that part ends at an instruction that ends blocks: one cut at the
        // length limit ends a fixed count from the part's start, which the target is not.
        let ends = insns[t..].iter().any(|d| isa_a::ends_block(&d.insn));
        if leaf || !ends {
            continue;
        }
        j.to[i] = Some(t);
        if j.at[t].is_none() {
            j.at[t] = Some(e.label());
        }
    }
    j
}

/// Whether `insns` hold a leaf call or return, whose lowering assumes the link value the
/// straight path set (a jump into or back over them would not have set it).
pub(super) fn holds_leaf(insns: &[Decoded]) -> bool {
    insns.iter().any(|d| match d.insn {
        Insn::Jal(a) => super::calls::is_link(a.rd),
        Insn::Jalr(_) => true,
        _ => false,
    })
}

impl Joins {
    /// Whether some branch jumps to instruction `idx` inside the block: it then starts its
    /// own piece of code, and is never the second of a fused pair.
    pub(super) fn is_target(&self, idx: usize) -> bool {
        self.at.get(idx).is_some_and(Option::is_some)
    }

    /// The instruction `idx`'s taken edge jumps to inside the block, if any.
    pub(super) fn target_of(&self, idx: usize) -> Option<usize> {
        self.to.get(idx).copied().flatten()
    }

    /// Each join: (branch, target).
    pub(super) fn pairs(&self) -> Vec<(usize, usize)> {
        (self.to.iter().enumerate())
            .filter_map(|(i, t)| Some((i, (*t)?)))
            .collect()
    }

    /// Each inner loop's back edge: (branch, target), the target before the branch.
    pub(super) fn back_edges(&self) -> Vec<(usize, usize)> {
        self.pairs().into_iter().filter(|&(f, t)| t < f).collect()
    }

    /// Whether the block has any join.
    pub(super) fn any(&self) -> bool {
        self.at.iter().any(Option::is_some)
    }
}

impl Lower<'_> {
    /// A plain jump forward inside the superblock (superblock::skips): to the join, or out
    /// of the block when its target is not one.
    pub(super) fn skip(&mut self, target: u64) {
        let taken = self.e.label();
        self.e.jmp(taken);
        let side = self.taken_side(taken, target);
        self.push_cold(side);
    }

    /// Binds the label of instruction `idx` if it is a join target (before the instruction
    /// is lowered, dead or not).
    pub(super) fn bind_join(&mut self, idx: usize) {
        if let Some(mut l) = self.plan.joins.at[idx] {
            self.e.bind(&mut l);
        }
    }

    /// The cold piece for the taken side (entered at `entry`) of the branch being lowered to
    /// `target`: a jump to the join when there is one, else out of the block.
    pub(super) fn taken_side(&self, entry: Label, target: u64) -> Cold {
        match self.plan.joins.to[self.cur.idx] {
            Some(to) => Cold::Join {
                entry,
                from: self.cur.idx,
                to,
                target,
            },
            None => Cold::Taken {
                entry,
                target,
                retired: self.cur.idx + 1,
                check: self.checks_budget(self.cur.pc, target),
                unextended: self.unextended_at_branch(),
            },
        }
    }

    /// Whether the straight path from branch `from` to instruction `to` checks the budget
    /// under back-edge checks (a back edge, an indirect jump or a return among the skipped
    /// instructions), which the taken edge would then pass by: it checks itself. Otherwise
    /// every cycle through the taken edge still crosses the checks the straight path has.
    fn skips_a_check(&self, from: usize, to: usize) -> bool {
        let pcs: Vec<u64> = crate::superblock::pcs(self.start, self.insns).collect();
        (from + 1..to).any(|k| {
            let insn = &self.insns[k].insn;
            match insn.direct_target(pcs[k]) {
                Some(t) => t <= pcs[k],
                None => matches!(insn, Insn::Jalr(_)),
            }
        })
    }

    /// The taken edge from branch `from` to instruction `to` (at `target`), allocation in
    /// place: the inner block boundary's budget check, the skipped instructions given back
    /// to what is left of the slice at the block's start, then the join.
    pub(super) fn emit_join(&mut self, from: usize, to: usize, target: u64) {
        self.alloc.inside = true;
        let idx = self.cur.idx;
        self.cur.idx = from;
        let back = to < from;
        if self.plan.budget == super::Budget::Exact || back || self.skips_a_check(from, to) {
            self.inner_budget(target);
        }
        self.cur.idx = idx;
        // Negative for a back edge: the loop's trip taken off (inner_loop.rs).
        let skipped = to as i32 - from as i32 - 1;
        self.cur.count_flags = None;
        if skipped != 0 {
            match self.instret_mem(0) {
                Some(m) => self.e.alu_mi(Alu::Add, W::B64, m, skipped),
                None => self
                    .e
                    .lea(crate::abi::INSTRET, Mem::at(crate::abi::INSTRET, skipped)),
            }
        }
        let join = self.plan.joins.at[to].expect("a join target has a label");
        self.e.jmp(join);
        if back {
            return super::inner_loop::lowered();
        }
        let jump = matches!(self.insns[from].insn, Insn::Jal(_));
        HITS[jump as usize].fetch_add(1, Ordering::Relaxed);
    }
}
