//! Branches and jumps: the block's end. Direct targets chain through patchable jumps; an
//! indirect target is looked up in the shared table (guest pc → host code) before falling
//! back to the dispatcher.

use super::{Cold, Lower, ADDR, T0, T1};
use crate::abi::Reason;
use crate::cache::{JUMP_ENTRY_SHIFT, JUMP_TABLE_MASK};
use isa_a::format::{Load, B, J};
use isa_b::{Alu, Cc, Mem, Shift, W};
use std::sync::atomic::{AtomicU64, Ordering};

/// Copies of unrolled loops' bodies closed (all but each loop's last) in this process.
static COPIES: AtomicU64 = AtomicU64::new(0);

/// How many branches closing a copy of an unrolled loop's body (crate::unroll) every
/// translation in this process has lowered (for tests and statistics).
pub fn unrolled_count() -> u64 {
    COPIES.load(Ordering::Relaxed)
}

impl Lower<'_> {
    pub(super) fn branch(&mut self, a: B, cc: Cc) {
        let n = self.cur.idx + 1;
        let target = self.direct_target();
        if n < self.insns.len() {
            self.compare(a, cc);
            return self.inner_branch(cc, target);
        }
        // The block's end. The budget is checked first, once for both ways: the branch itself
        // is then one patchable `jcc` straight to the taken target's code. A forward branch
        // needs no check unless the budget is exact (budget.rs).
        if self.checks_budget(self.cur.pc, target) {
            let budget = self.e.label();
            self.advance_instret_flags(n);
            let spent = self.cmp_budget(0);
            self.e.jcc(spent, budget);
            self.push_cold(Cold::BranchBudget {
                entry: budget,
                branch: a,
                cc,
                target,
                next: self.next_pc(),
            });
        } else {
            self.advance_instret(n);
        }
        self.compare(a, cc);
        if self.keeps_allocation(target) {
            // From a later region, back through the transition to the first's allocation.
            let later = self.alloc.region != 0;
            let mut back = if later {
                self.e.label()
            } else {
                self.out.body_start
            };
            self.e.jcc(cc, back);
            self.extend_pending();
            self.epilogue();
            self.chain(None, self.next_pc());
            if later {
                self.e.bind(&mut back);
                self.transition(0, 0);
                self.e.jmp(self.out.body_start);
            }
        } else {
            self.extend_pending();
            self.epilogue();
            self.chain(Some(cc), target);
            self.chain(None, self.next_pc());
        }
        self.cur.ended = true;
    }

    /// Sets the flags for branch `a` on `cc`: `rs1` compared with `rs2`, unless they already
    /// hold the register compared with zero (flags.rs).
    pub(super) fn compare(&mut self, a: B, cc: Cc) {
        let kept = match (a.rs1.num(), a.rs2.num()) {
            (_, 0) => self.flags_hold(a.rs1, cc),
            (0, _) => matches!(cc, Cc::E | Cc::Ne) && self.flags_hold(a.rs2, cc),
            _ => false,
        };
        if kept {
            return;
        }
        if a.rs2.num() == 0 && a.rs1.num() != 0 && self.pending(a.rs1) {
            // A loop's closing branch on a register left unextended (lazy.rs).
            self.test_low_half(a.rs1);
        } else {
            self.compare_operands(a.rs1, Ok(a.rs2));
        }
    }

    /// A branch inside a superblock (flags set by its compare): taken leaves through cold
    /// code, or jumps to its target's code later in the block (join.rs); not taken goes on
    /// with the next part. One to the block's start closes a copy of an unrolled loop's body,
    /// the other way round ([`Self::close_copy`]).
    pub(super) fn inner_branch(&mut self, cc: Cc, target: u64) {
        if target == self.start {
            return self.close_copy(cc);
        }
        if let Some(t) = self.plan.joins.target_of(self.cur.idx) {
            if t < self.cur.idx {
                // An inner loop's back edge (inner_loop.rs): inline, the loop's one jump.
                let mut out = self.e.label();
                self.e.jcc(cc.inverse(), out);
                self.emit_join(self.cur.idx, t, target);
                self.e.bind(&mut out);
                return;
            }
        }
        let taken = self.e.label();
        self.e.jcc(cc, taken);
        let side = self.taken_side(taken, target);
        self.push_cold(side);
        if self.checks_budget(self.cur.pc, self.next_pc()) {
            self.inner_budget(self.next_pc());
        }
    }

    /// The branch closing a copy of an unrolled loop's body (crate::unroll), flags set: taken
    /// goes on with the next copy, here; not taken leaves the loop for the fall-through, a
    /// forward edge which needs no budget check, and so does the way on (a later copy's end
    /// looks at the budget).
    fn close_copy(&mut self, cc: Cc) {
        let out = self.e.label();
        self.e.jcc(cc.inverse(), out);
        self.push_cold(Cold::Taken {
            entry: out,
            target: self.next_pc(),
            retired: self.cur.idx + 1,
            check: self.plan.budget == super::Budget::Exact,
            unextended: self.unextended_at_branch(),
        });
        COPIES.fetch_add(1, Ordering::Relaxed);
    }

    /// Between two parts of a superblock, going on at `next`: out if the budget is spent —
    /// the interpreter checks it at the same place, between its blocks.
    pub(super) fn inner_budget(&mut self, next: u64) {
        let retired = self.cur.idx + 1;
        let budget = self.e.label();
        let spent = self.cmp_budget(retired);
        self.e.jcc(spent, budget);
        self.push_cold(Cold::Exit {
            entry: budget,
            pc: next,
            reason: Reason::Budget,
            retired,
            restore: true,
            unextended: self.unextended_after(),
        });
    }

    pub(super) fn jal(&mut self, a: J) {
        // From `a`, not the slice: a fused `auipc`+`jalr` arrives here as its `jal`.
        let target = isa_a::Insn::Jal(a)
            .direct_target(self.cur.pc)
            .expect("jal has a target");
        if self.cur.idx + 1 < self.insns.len()
            && crate::superblock::skips(&self.insns[self.cur.idx].insn, self.cur.pc)
        {
            return self.skip(target);
        }
        if self.cur.idx + 1 < self.insns.len() {
            // A plain jump or a leaf's call the superblock follows: its next part is the
            // target's code.
            self.write_imm(a.rd, self.next_pc());
            if self.checks_budget(self.cur.pc, target) {
                self.inner_budget(target);
            }
            return;
        }
        self.write_imm(a.rd, self.next_pc());
        self.advance_instret_flags(self.cur.idx + 1);
        let call = super::calls::is_link(a.rd);
        if self.keeps_allocation(target) {
            // A function calling itself from its first block.
            if call {
                self.push_return(self.next_pc(), false);
            }
            return self.loop_back();
        }
        self.epilogue();
        if call {
            self.push_return(self.next_pc(), true);
        }
        self.goto(target, self.checks_budget(self.cur.pc, target));
    }

    pub(super) fn jalr(&mut self, a: Load) {
        if self.cur.idx + 1 < self.insns.len() {
            // A leaf's return the superblock follows (superblock::extend): to the next part,
            // after the call, whose link register holds that address.
            let back = crate::superblock::pcs(self.start, self.insns)
                .nth(self.cur.idx + 1)
                .expect("a next instruction");
            if self.checks_budget(self.cur.pc, back) {
                self.inner_budget(back);
            }
            return;
        }
        // The target in rsi, or in rcx until the epilogue has given rsi back when the block
        // holds a guest register in it.
        let t = if self.alloc.ra.addr == ADDR { ADDR } else { T1 };
        match self.read(a.rs1, t) {
            // `ret`, `jr`: no offset to add.
            s if a.imm == 0 => {
                if s != t {
                    self.e.mov_rr(W::B64, t, s);
                }
            }
            s => self.e.lea(t, Mem::at(s, a.imm)),
        }
        self.e.alu_ri(Alu::And, W::B64, t, -2);
        self.write_imm(a.rd, self.next_pc());
        self.advance_instret_flags(self.cur.idx + 1);
        self.epilogue();
        if t != ADDR {
            self.e.mov_rr(W::B64, ADDR, t);
        }
        let call = super::calls::is_link(a.rd);
        if call {
            self.push_return(self.next_pc(), true);
        }
        let (budget, miss) = (self.e.label(), self.e.label());
        let spent = self.cmp_budget(0);
        self.e.jcc(spent, budget);
        if !call && super::calls::is_link(a.rs1) {
            self.pop_return();
        }
        // table[(pc >> 1) & mask] = { pc, host }, 16 bytes each.
        self.e.mov_rr(W::B32, T0, ADDR);
        self.e
            .shift_ri(Shift::Shl, W::B32, T0, JUMP_ENTRY_SHIFT as u8 - 1);
        self.e.alu_ri(
            Alu::And,
            W::B32,
            T0,
            (JUMP_TABLE_MASK << JUMP_ENTRY_SHIFT) as i32,
        );
        self.e.mov_ri(T1, self.plan.jump_table as i64);
        self.e.alu_rr(Alu::Add, W::B64, T0, T1);
        self.e.alu_rm(Alu::Cmp, W::B64, ADDR, Mem::at(T0, 0));
        self.e.jcc(Cc::Ne, miss);
        self.e.jmp_mem(Mem::at(T0, 8));
        self.push_cold(Cold::ExitToAddr {
            entry: budget,
            reason: Reason::Budget,
        });
        self.push_cold(Cold::ExitToAddr {
            entry: miss,
            reason: Reason::Next,
        });
        self.cur.ended = true;
    }

    /// `ecall`/`ebreak`: out before the instruction retires.
    pub(super) fn system(&mut self, reason: Reason) {
        self.epilogue();
        self.leave(self.cur.pc, reason, self.cur.idx);
    }

    /// `fence.i`: retires, then out so the dispatcher can drop stale code.
    pub(super) fn fence_i(&mut self) {
        self.epilogue();
        self.leave(self.next_pc(), Reason::FenceI, self.cur.idx + 1);
    }
}

impl Lower<'_> {
    /// The target of the branch or `jal` being lowered.
    fn direct_target(&self) -> u64 {
        let insn = &self.insns[self.cur.idx].insn;
        insn.direct_target(self.cur.pc)
            .expect("a direct branch or jump")
    }
}
