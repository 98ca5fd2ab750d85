//! The cold-path queue: pieces of code the body jumps to rarely (helper calls of fast paths
//! that fall back, exits, chain stubs), queued while the body is lowered and emitted after
//! it, so the body runs straight through.

use super::fp::Prec;
use super::{Lower, ADDR, T0, T2};
use crate::abi::{self, Reason};
use isa_b::{Label, Xmm, W};
use std::collections::VecDeque;

/// An out-of-line piece of code, emitted after the block's body.
pub(super) enum Cold {
    /// The instruction at `idx` through the helper, then back to `resume`; `restore` first
    /// copies a source the fast path overwrote back from where it kept it (to, from).
    Helper {
        entry: Label,
        resume: Label,
        idx: usize,
        restore: Option<(Xmm, Xmm)>,
    },
    /// `f[rd] =` RISC-V's canonical NaN in precision `p` (a single NaN-boxed), then back to
    /// `resume`: an arithmetic result that was a NaN, its flags already right (fp_arith.rs).
    CanonicalNan {
        entry: Label,
        resume: Label,
        rd: isa_a::FReg,
        p: Prec,
    },
    /// Leave with `reason`, `cpu.pc = pc`.
    Exit {
        entry: Label,
        pc: u64,
        reason: Reason,
        /// Instructions of the block retired at this exit beyond r14.
        retired: usize,
        /// Whether the block's allocation is still in place there (the epilogue is due).
        restore: bool,
        /// The registers left unextended there (lazy.rs), extended on the way out.
        unextended: u32,
    },
    /// A chain stub: `cpu.pc = target`, aux = the site.
    Chain { stub: Label, site: Label, pc: u64 },
    /// Out with [`Reason::Rounding`] to `pc`, `retired` instructions counted, `left` more
    /// of the interpreter's block to run.
    Rounding {
        entry: Label,
        pc: u64,
        retired: usize,
        left: usize,
    },
    /// The indirect-jump budget exit and lookup miss: `cpu.pc = rsi`.
    ExitToAddr { entry: Label, reason: Reason },
    /// The budget ran out at a block-ending branch: its compare redone, out to whichever
    /// side it takes.
    BranchBudget {
        entry: Label,
        branch: isa_a::format::B,
        cc: isa_b::Cc,
        target: u64,
        next: u64,
    },
    /// A call's return landing (calls.rs): a chain jump at `site` to `pc`.
    ReturnLanding { site: Label, pc: u64 },
    /// The taken side of a branch inside a superblock: `retired` instructions count, then on
    /// to `target` as a block end would.
    Taken {
        entry: Label,
        target: u64,
        retired: usize,
        /// Whether the budget is looked at on the way (budget.rs).
        check: bool,
        /// The registers left unextended there (lazy.rs), extended on the way out.
        unextended: u32,
    },
    /// The taken side of branch `from` to instruction `to` (at `target`) of the block: on
    /// to its code (join.rs).
    Join {
        entry: Label,
        from: usize,
        to: usize,
        target: u64,
    },
}

/// Cold paths in the order they were queued, each with the region whose allocation it
/// runs in.
#[derive(Default)]
pub(super) struct ColdQueue(VecDeque<(Cold, usize)>);

impl Lower<'_> {
    /// Queues `c`, to be emitted with the current region's allocation.
    pub(super) fn push_cold(&mut self, c: Cold) {
        self.cold.0.push_back((c, self.alloc.region));
    }

    pub(super) fn emit_cold(&mut self) {
        // Cold pieces may add cold pieces (a helper call's trap exit).
        while let Some((cold, region)) = self.cold.0.pop_front() {
            self.alloc.set(region);
            match cold {
                Cold::Helper {
                    mut entry,
                    resume,
                    idx,
                    restore,
                } => {
                    self.e.bind(&mut entry);
                    self.alloc.inside = true;
                    if let Some((to, from)) = restore {
                        self.e.mov_xx(to, from);
                    }
                    // An access run past the limit may trap with the registers it crossed
                    // unextended (lazy.rs): whole for the interpreter, in place.
                    self.extend_unextended(self.plan.lazy.pending[idx]);
                    self.call_helper(idx);
                    self.e.jmp(resume);
                }
                Cold::CanonicalNan {
                    mut entry,
                    resume,
                    rd,
                    p,
                } => {
                    self.e.bind(&mut entry);
                    self.alloc.inside = true;
                    self.canonical_nan(rd, p);
                    self.e.jmp(resume);
                }
                Cold::Exit {
                    mut entry,
                    pc,
                    reason,
                    retired,
                    restore,
                    unextended,
                } => {
                    self.e.bind(&mut entry);
                    self.alloc.inside = restore;
                    if restore {
                        self.extend_unextended(unextended);
                        self.epilogue_after(retired);
                    }
                    if reason == Reason::Trap {
                        // pc and the reason were set by the helper call.
                        self.advance_instret(retired);
                        self.e.jmp(self.out.exit);
                    } else {
                        self.leave(pc, reason, retired);
                    }
                }
                Cold::Chain { mut stub, site, pc } => {
                    self.e.bind(&mut stub);
                    self.alloc.inside = false;
                    self.set_pc(pc);
                    self.e.lea_label(T2, site);
                    self.e.mov_ri(T0, Reason::Chain as i64);
                    self.e.jmp(self.out.exit);
                }
                Cold::BranchBudget {
                    mut entry,
                    branch,
                    cc,
                    target,
                    next,
                } => {
                    self.e.bind(&mut entry);
                    self.alloc.inside = true;
                    // The block's closing branch, its flags and what it leaves unextended
                    // (lazy.rs) those at the end.
                    self.cur.idx = self.insns.len() - 1;
                    self.compare(branch, cc);
                    self.extend_pending();
                    self.epilogue();
                    let mut taken = self.e.label();
                    self.e.jcc(cc, taken);
                    self.leave(next, Reason::Budget, 0);
                    self.e.bind(&mut taken);
                    self.leave(target, Reason::Budget, 0);
                }
                Cold::Taken {
                    mut entry,
                    target,
                    retired,
                    check,
                    unextended,
                } => {
                    self.e.bind(&mut entry);
                    self.alloc.inside = true;
                    self.extend_unextended(unextended);
                    self.advance_instret(retired);
                    if self.keeps_allocation(target) {
                        self.loop_back();
                    } else {
                        self.epilogue_after(retired);
                        self.goto(target, check);
                    }
                }
                Cold::Join {
                    mut entry,
                    from,
                    to,
                    target,
                } => {
                    self.e.bind(&mut entry);
                    self.emit_join(from, to, target);
                }
                Cold::Rounding {
                    mut entry,
                    pc,
                    retired,
                    left,
                } => {
                    self.e.bind(&mut entry);
                    self.alloc.inside = true;
                    self.epilogue_after(retired);
                    self.e.mov_ri(T2, left as i64);
                    self.leave(pc, Reason::Rounding, retired);
                }
                Cold::ReturnLanding { site, pc } => {
                    // Entered from a return, between blocks.
                    self.alloc.inside = false;
                    self.return_landing(site, pc);
                }
                Cold::ExitToAddr { mut entry, reason } => {
                    self.e.bind(&mut entry);
                    self.alloc.inside = false;
                    self.e.store(W::B64, abi::pc_slot(), ADDR);
                    self.e.mov_ri(T0, reason as i64);
                    self.e.jmp(self.out.exit);
                }
            }
        }
    }
}
