//! The block's analyses, all made before any code is emitted: what each instruction does
//! with guest registers (liveness.rs), the joins (join.rs) and rotates (rotate.rs) lowered
//! as one piece, the registers known extended (extension.rs) or left unextended (lazy.rs),
//! and the accesses that need no limit check (checked.rs).

use super::{checked, extension, inner_loop, join, lazy, liveness, rotate, select, Budget, Target};
use isa_a::Decoded;
use isa_b::{Emitter, HostFeatures};

/// The block's analyses, made before emission and only read by it (but for `ext`, which the
/// second copy of a peeled loop replaces).
pub(super) struct Plan {
    /// What the block does with guest registers.
    pub(super) facts: liveness::Analysis,
    /// The guest registers known sign-extended from 32 bits before each instruction.
    pub(super) ext: Vec<u32>,
    /// The `*w` results left unextended, and the registers so before each instruction
    /// (lazy.rs).
    pub(super) lazy: lazy::Plan,
    /// Which accesses need no limit check (checked.rs).
    pub(super) elide: Vec<checked::Check>,
    /// Each instruction's part in a rotate (rotate.rs).
    pub(super) rotates: Vec<rotate::Role>,
    /// Forward branches to instructions of the block (join.rs).
    pub(super) joins: join::Joins,
    /// For each instruction: the join of a branch lowered as conditional moves (select.rs).
    pub(super) selects: Vec<Option<usize>>,
    /// Where the lookup table for indirect jumps lives.
    pub(super) jump_table: u64,
    /// The guest address limit: an access known to end below it needs no check.
    pub(super) limit: u64,
    /// Where the budget is checked (budget.rs).
    pub(super) budget: Budget,
    /// The host extensions the code may use.
    pub(super) host: HostFeatures,
}

impl Plan {
    /// The plan for `insns`, a block at `pc`; `e` gives the joins their labels.
    pub(super) fn new(
        insns: &[Decoded],
        pc: u64,
        e: &mut Emitter,
        jump_table: u64,
        target: Target,
    ) -> Plan {
        let Target {
            limit,
            budget,
            loops,
            host,
        } = target;
        let mut facts = liveness::analyse(insns, pc);
        let joins = join::plan(insns, pc, loops, e);
        let back = joins.back_edges();
        inner_loop::widen(&mut facts.written_before, &back);
        inner_loop::widen(&mut facts.fwritten_before, &back);
        inner_loop::weigh(&mut facts, &back);
        let joined = |i| joins.is_target(i);
        let rotates = rotate::plan(insns, &facts, host.bmi1, joined);
        let ext = extension::analyse_joined(insns, pc, joined);
        let elide = checked::plan(insns, &joins, &facts.dead);
        let looped = lazy::loops_back(insns, pc);
        let at = |i| lazy::Joined {
            target: joins.is_target(i),
            branch: joins.target_of(i).is_some(),
        };
        let lazy = lazy::plan(insns, &facts.ops, &facts.dead, &rotates, at, &ext, looped);
        let selects = select::plan(insns, pc, &joins, &rotates);
        Plan {
            facts,
            ext,
            lazy,
            elide,
            rotates,
            joins,
            selects,
            jump_table,
            limit,
            budget,
            host,
        }
    }
}
