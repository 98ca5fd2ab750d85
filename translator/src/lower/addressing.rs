//! Address arithmetic fused into the access it feeds: `add t, a, b` then a load or store at
//! `imm(t)` computes the access's address from `a` and `b` themselves, so the access does
//! not wait for `t` and then for `t + imm` (a fusion, fuse.rs).
//!
//! ```text
//!   addi a3,a1,1024   lea  r9, [rdi+0x400]
//!   add  a1,a3,sp     lea  rsi, [rbx-0x400]     sp is not written in the block: ready early
//!                     add  rsi, r9              the only step after a3 on the address's path
//!                     lea  rdi, [r9+rbx]        a1 still written, before the access
//!   lw   a1,-1024(a1) cmp rsi, [rsp+8]; jae cold; movsxd rdi, [r15+rsi]
//! ```
//!
//! Unfused, that access waits for two dependent `lea`s after a3 (`t`, then `t + imm`); a
//! single three-part `lea` is no faster (two cycles on AMD's cores, three on Intel's). So
//! the offset goes with the operand written longer ago in the block (`early`): its part of
//! the sum is made off the path of the other, and one `add` joins them. With the limit check
//! left out (checked.rs), `a + b` is the index and `imm` the displacement of the access
//! itself.
//!
//! `t` is written as the `add` wrote it, before the check and the access, so the helper of
//! a failed check and a fault in the access both find it (an access is never pure, so it is
//! never dead there: liveness.rs). The address is the same 64-bit sum, wrapping alike, so
//! the check planned for the access (checked.rs) and the fault's address are its own.
//!
//! The pair is fused only where it gains: with a kept check and an offset (the two `lea`s),
//! or with `t` in its slot (the access would load it back). Operands are read before
//! anything is written: the address goes to the allocation's address scratch, which no guest
//! register holds, and `t`'s register may be `a` or `b` (`add a, a, b`).

use super::fuse::{load, store, Fusion};
use super::{Lower, T0, T1, T2};
use isa_a::format::R;
use isa_a::{Insn, XReg};
use isa_b::{Alu, Mem, W};

impl Lower<'_> {
    /// `add t, a, b` (`r`) then the load or store `next` through `t`: the access at
    /// `a + b + imm`, `t` written before it. None (nothing emitted) where it gains nothing.
    pub(super) fn sum_access(&mut self, r: R, next: &Insn) -> Option<Fusion> {
        let t = r.rd;
        let imm = match (load(next), store(next)) {
            (Some((l, _)), _) if l.rs1 == t => l.imm,
            (_, Some((s, _))) if s.rs1 == t => s.imm,
            _ => return None,
        };
        if t.num() == 0 || r.rs1.num() == 0 || r.rs2.num() == 0 {
            return None;
        }
        let check = self.plan.elide[self.cur.idx + 1];
        let kept = check == super::checked::Check::Kept;
        if !(kept && imm != 0 || self.host(t).is_none()) {
            return None;
        }
        let (early, late) = if self.last_write(r.rs2) < self.last_write(r.rs1) {
            (r.rs2, r.rs1)
        } else {
            (r.rs1, r.rs2)
        };
        let scratch = self.alloc.ra.addr;
        // Neither T1 nor the other scratch is the address scratch (rdx when rsi is taken).
        let x = self.read(early, T1);
        let y = self.read(late, if scratch == T2 { T0 } else { T2 });
        if kept && imm != 0 {
            self.e.lea(scratch, Mem::at(x, imm));
            self.e.alu_rr(Alu::Add, W::B64, scratch, y);
        } else {
            self.e.lea(scratch, Mem::indexed(x, y, 0));
        }
        // After the address: t's register may be a's or b's.
        let tt = self.target(t, &[]);
        self.e.lea(tt, Mem::indexed(x, y, 0));
        self.write(t, tt);
        self.step();
        super::checked::record(check);
        self.cur.addr = scratch;
        self.cur.disp = if kept { 0 } else { imm };
        let resume = kept.then(|| {
            let slow = self.e.label();
            self.limit_check(slow);
            self.slow_path(slow)
        });
        if let Some((l, w)) = load(next) {
            let d = self.target(l.rd, &[]);
            let m = self.guest_mem();
            self.access_here(false);
            if w.signed {
                self.e.load_sx(w.w, d, m);
            } else {
                self.e.load(w.w, d, m);
            }
            self.write(l.rd, d);
        } else if let Some((s, w)) = store(next) {
            let v = self.read(s.rs2, T1);
            self.access_here(true);
            self.e.store(w, self.guest_mem(), v);
        }
        self.resume_at(resume);
        Some(if kept {
            Fusion::SumAccess
        } else {
            Fusion::SumAccessUnchecked
        })
    }

    /// The last instruction before this one that writes guest `r` (None: none in the block
    /// before it, so its value is older than any written here).
    fn last_write(&self, r: XReg) -> Option<usize> {
        let bit = 1u32 << r.num();
        (0..self.cur.idx)
            .rev()
            .find(|&j| self.plan.facts.ops[j].x_writes & bit != 0)
    }
}
