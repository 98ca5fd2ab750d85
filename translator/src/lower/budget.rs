//! Where translated code compares instret with the slice's budget.
//!
//! A budget ends a slice: the dispatcher gives a vCPU `budget` instructions, and translated
//! code leaves for the dispatcher once instret has reached the stop. What is counted is
//! always exact; only *where* the stop is looked at depends on the [`Budget`] a code cache
//! translates for:
//!
//! - [`Budget::Exact`]: wherever the interpreter looks, at the end of each of its blocks (every
//!   part of a superblock and every block end), so a slice ends at the very instruction count
//!   the interpreter's would. The deterministic scheduler needs that (its schedule is made of
//!   slices, and every engine must produce the same one), and so do front ends stepping or
//!   running small budgets up to breakpoints.
//! - [`Budget::BackEdges`]: only at jumps and branches going to a pc at or below their own (a
//!   loop's back edge, inside a superblock too), at indirect jumps and returns, and at a loop
//!   back to a block's own start. A cycle of guest control flow goes down in pc somewhere, so
//!   it crosses one of these: a vCPU still leaves within a bounded number of instructions to
//!   look for signals and exits, and forward branches and jumps carry no check. Of the
//!   copies of an unrolled loop's body (crate::unroll) only the last checks, at its end.
//!
//! A process has one budget mode: the one of its code cache, whose code is all translated for
//! it (changing it drops the code, [`crate::CodeCache::set_budget`]).

use super::Lower;

/// Where translated code checks the budget (see the module docs).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum Budget {
    /// Wherever the interpreter does: slices end at the same instruction in every engine.
    #[default]
    Exact,
    /// At back edges, indirect jumps and returns only: slices end at most a cycle later.
    BackEdges,
}

impl Lower<'_> {
    /// Whether going from the instruction at `from` to `to` checks the budget.
    pub(super) fn checks_budget(&self, from: u64, to: u64) -> bool {
        self.plan.budget == Budget::Exact || to <= from
    }
}
