//! Regions: a long block is split into runs of consecutive instructions, each with its own
//! allocation (alloc.rs) from the uses inside it, so a guest register used only in a short
//! stretch of a superblock gets a host register there rather than none for the whole block.
//!
//! ```text
//!   prologue ─▶ region 0 ─transition─▶ region 1 ─transition─▶ region 2 ─▶ exits
//!                  ▲                                              │
//!                  └──────────── transition (loop back) ◀─────────┘
//!   transition: store the outgoing host registers (locals the block may have written,
//!               mapped ones the next region takes over, r14's instret), then load the
//!               incoming ones; neither for a value the code after the boundary writes
//!               again before anything can see it (liveness.rs)
//! ```
//!
//! A region boundary lies only where nothing lowered as one piece crosses it: not inside a
//! rotate's window (rotate.rs), not between a join's branch and its target, nor at the
//! target (join.rs: the taken edge arrives with the branch's allocation), not inside an
//! inner loop, after its target up to its back edge (inner_loop.rs), and a fusion
//! (fuse.rs, fp_flags.rs) never takes a region's first instruction as its second or third. Everything emitted for
//! an instruction — its exits, cold paths, helper thunk, fault map — uses the allocation
//! of its region: a cold path remembers the region it was queued in, each region that calls
//! helpers has its own thunk, and a fault finds the map by the instruction's index
//! (`Lowered::maps`).

use super::alloc::Alloc;
use super::rotate::Role;
use super::{liveness, Lower};
use crate::abi::{self, INSTRET, INSTRET_SLOT};
use isa_a::XReg;
use isa_b::{Mem, W};

/// How many instructions a region aims at: a region boundary costs a store and a load of
/// each register that changes hands, so a region should be long enough for its uses to pay.
const SPAN: usize = 24;

/// The first instruction of each region of the block `n` instructions long whose joins go
/// from `joins[i]` to instruction `joins[i]'s` target, `rotates` the rotate roles.
pub(super) fn starts(n: usize, joins: &[(usize, usize)], rotates: &[Role]) -> Vec<usize> {
    // Shifts moved down to a later `or`, not yet met by their rotate, before each point.
    let mut open = vec![0usize; n + 1];
    for (i, r) in rotates.iter().enumerate() {
        open[i + 1] = match r {
            Role::None => open[i],
            Role::Moved => open[i] + 1,
            Role::Rotate(_) => open[i] - 2,
            Role::Andn(_) => open[i] - 1,
        };
    }
    // Nor between an inner loop's target and its back edge (inner_loop.rs), the other way.
    let allowed =
        |b: usize| open[b] == 0 && !joins.iter().any(|&(f, t)| f.min(t) < b && b <= f.max(t));
    let mut out = vec![0];
    let mut b = SPAN;
    // No region shorter than half a span at the end.
    while b + SPAN / 2 <= n {
        if allowed(b) {
            out.push(b);
            b += SPAN;
        } else {
            b += 1;
        }
    }
    out
}

/// The register allocation in force while code is emitted: each region's (alloc.rs), the
/// region being emitted and a copy of its allocation.
pub(super) struct Allocation {
    pub(super) regions: Vec<Alloc>,
    pub(super) region: usize,
    pub(super) ra: Alloc,
    /// Whether the block's allocation is in place at the point being emitted (between the
    /// prologue and an epilogue).
    pub(super) inside: bool,
}

impl Allocation {
    pub(super) fn new(regions: Vec<Alloc>) -> Allocation {
        Allocation {
            ra: regions[0].clone(),
            regions,
            region: 0,
            inside: false,
        }
    }

    /// Whether instruction `idx` starts a region after the first.
    pub(super) fn starts_region(&self, idx: usize) -> bool {
        idx > 0 && self.regions.iter().any(|r| r.first == idx)
    }

    /// The region instruction `idx` lies in.
    pub(super) fn region_of(&self, idx: usize) -> usize {
        self.regions
            .iter()
            .rposition(|r| r.first <= idx)
            .unwrap_or(0)
    }

    /// Makes region `r`'s allocation the one code is emitted with (no code).
    pub(super) fn set(&mut self, r: usize) {
        if self.region != r {
            self.region = r;
            self.ra = self.regions[r].clone();
        }
    }
}

impl Lower<'_> {
    /// Moves from the current region's allocation to region `to`'s, before instruction
    /// `at` (the first of `to`, or 0 going back to the block's start). Moves only: the flags
    /// survive.
    pub(super) fn transition(&mut self, to: usize, at: usize) {
        let (a, b) = (&self.alloc.ra, &self.alloc.regions[to]);
        // The registers the block may have written since a's locals were loaded.
        let dirty = match a.written_before.get(at) {
            Some(&w) if at > 0 && !a.looping => w,
            _ => u32::MAX,
        };
        let (mut stores, mut loads) = (Vec::new(), Vec::new());
        for g in 1..32 {
            if a.regs[g] == b.regs[g] {
                continue;
            }
            // A value written again before anything can see it (liveness.rs) is neither
            // stored nor loaded.
            let seen = !liveness::overwritten_from(self.insns, &self.plan.facts.ops, g as u32, at);
            if let Some(h) = a.regs[g] {
                // Between blocks a mapped register lives in its host register only: its
                // slot is never current.
                let mapped = abi::host_reg(XReg::new(g as u32)).is_some();
                let written = a.written[g] && dirty >> g & 1 != 0;
                if seen && (mapped || written) {
                    stores.push((g, h));
                }
            }
            if let (Some(h), true) = (b.regs[g], seen) {
                loads.push((g, h));
            }
        }
        let slot = Mem::at(isa_b::Gpr::Rsp, INSTRET_SLOT);
        let (give, take) = (a.instret_taken, b.instret_taken);
        for (g, h) in stores {
            self.e.store(W::B64, abi::x_slot(g), h);
        }
        if take && !give {
            self.e.store(W::B64, slot, INSTRET);
        }
        if give && !take {
            self.e.load(W::B64, INSTRET, slot);
        }
        for (g, h) in loads {
            // The low half of one left unextended (lazy.rs), maybe stored 32 bits wide.
            let w = self.slot_width(XReg::new(g as u32));
            self.e.load(w, h, abi::x_slot(g));
        }
        self.alloc.set(to);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries_every_span_leaving_no_short_region_at_the_end() {
        assert_eq!(starts(20, &[], &[Role::None; 20]), [0]);
        assert_eq!(starts(SPAN + SPAN / 2 - 1, &[], &[]), [0]);
        assert_eq!(starts(100, &[], &[Role::None; 100]), [0, 24, 48, 72]);
    }

    #[test]
    fn no_boundary_inside_a_join_or_a_rotate() {
        // A branch at 20 to 30: no boundary in 21..=30, the first after it at 31.
        assert_eq!(starts(60, &[(20, 30)], &[Role::None; 60]), [0, 31]);
        // Shifts at 22 and 23 moved down to their `or` at 27: not in 23..=27.
        use isa_a::format::{ShiftW, I, R};
        use isa_a::{Decoded, Insn};
        let x = XReg::new;
        let d = |insn| Decoded { insn, len: 4 };
        let mut code = vec![
            d(Insn::Addi(I {
                rd: x(5),
                rs1: x(5),
                imm: 1
            }));
            60
        ];
        let shift = |rd, n| ShiftW {
            rd: x(rd),
            rs1: x(10),
            shamt: n,
        };
        code[22] = d(Insn::Srliw(shift(12, 8)));
        code[23] = d(Insn::Slliw(shift(13, 24)));
        code[27] = d(Insn::Or(R {
            rd: x(11),
            rs1: x(12),
            rs2: x(13),
        }));
        let roles =
            super::super::rotate::plan(&code, &liveness::analyse(&code, 0), true, |_| false);
        assert!(matches!(roles[27], Role::Rotate(_)), "{roles:?}");
        assert_eq!(starts(60, &[], &roles), [0, 28]);
    }
}
