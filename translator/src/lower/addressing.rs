//! Address arithmetic fused into the access it feeds, so that the access does not wait for
//! each of its steps in turn (fusions, fuse.rs). Two forms:
//!
//! A run of `slli` (by up to 3), `addi` and `add` from which a load or store's base comes in
//! two steps or more, from at most two registers (one of them scaled): the address in one
//! `lea` from those registers as they were before the run, then the run lowered as it
//! always is, then the access. crc32's lookup:
//!
//! ```text
//!   slli a1,a1,2      lea rsi, [rbx+rdi*4]     sp + (a1 << 2) + 1024 - 1024
//!                     shl rdi, 2
//!   addi a3,a1,1024   lea r9, [rdi+0x400]
//!   add  a1,a3,sp     lea rdi, [r9+rbx]
//!   lw   a1,-1024(a1) cmp rsi, [rsp+8]; jae cold; movsxd rdi, [r15+rsi]
//! ```
//!
//! The run's lowering writes every register it writes (before the access, for a fault and
//! the check's helper), and no run instruction can fault; what changes is only where the
//! access's address comes from: the same 64-bit sum (shifts and additions wrap alike),
//! computed from registers nothing has written yet. The run's own lowering uses rax, rcx
//! and rdx, so the address goes to rsi: none when rsi holds a guest register. Not where
//! the pair `slli`+`add` (fuse.rs) makes the base in one `lea` and the access adds nothing
//! to it.
//!
//! The pair `add t, a, b` then a load or store at `imm(t)`: unfused, the access waits for
//! two dependent `lea`s (`t`, then `t + imm`), and one three-part `lea` is no faster (two
//! cycles on AMD's cores, three on Intel's). So the offset goes with the operand written
//! longer ago in the block (`early`, a table's base): its part of the sum is made off the
//! path of the other, and one `add` joins them; `t` is written after, from `a` and `b`
//! (its register may be theirs), before the check. With the check left out (checked.rs)
//! `a + b` is the index and `imm` the access's displacement. Fused only where it gains:
//! a kept check with an offset, or `t` in its slot (the access would load it back).
//!
//! Either way the access keeps the check checked.rs planned for it (of the same address),
//! and reports its own pc and count on a fault.

use super::checked::Check;
use super::fuse::{load, scaled_add, store, Fusion};
use super::{Lower, T0, T1, T2};
use isa_a::format::R;
use isa_a::{Insn, XReg};
use isa_b::{Alu, Gpr, Mem, W};

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
        let kept = check == Check::Kept;
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
        self.access_from(scratch, if kept { 0 } else { imm });
        Some(if kept {
            Fusion::SumAccess
        } else {
            Fusion::SumAccessUnchecked
        })
    }

    /// The current instruction, a load or store, at the address in `scratch` (plus `disp`,
    /// with no limit check only), checked as checked.rs planned.
    fn access_from(&mut self, scratch: Gpr, disp: i32) {
        let next = self.insns[self.cur.idx].insn;
        let check = self.plan.elide[self.cur.idx];
        super::checked::record(check);
        self.cur.addr = scratch;
        self.cur.disp = disp;
        let resume = (check == Check::Kept).then(|| {
            let slow = self.e.label();
            self.limit_check(slow);
            self.slow_path(slow)
        });
        if let Some((l, w)) = load(&next) {
            let d = self.target(l.rd, &[]);
            let m = self.guest_mem();
            self.access_here(false);
            if w.signed {
                self.e.load_sx(w.w, d, m);
            } else {
                self.e.load(w.w, d, m);
            }
            self.write(l.rd, d);
        } else if let Some((s, w)) = store(&next) {
            let v = self.read(s.rs2, T1);
            self.access_here(true);
            self.e.store(w, self.guest_mem(), v);
        }
        self.resume_at(resume);
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

/// A value as x86 addresses it: at most two guest registers' values (one of them scaled)
/// and a constant.
#[derive(Copy, Clone, Debug, PartialEq)]
pub(super) struct Expr {
    base: Option<XReg>,
    index: Option<(XReg, u32)>,
    disp: i64,
}

impl Expr {
    /// Register `r`'s value (x0's is 0).
    fn reg(r: XReg) -> Expr {
        Expr {
            base: (r.num() != 0).then_some(r),
            index: None,
            disp: 0,
        }
    }

    /// Its terms: (register, scale).
    fn terms(&self) -> Vec<(XReg, u32)> {
        self.base
            .map(|b| (b, 1))
            .into_iter()
            .chain(self.index)
            .collect()
    }

    /// The expression of `terms` and `disp`, if x86 can address it: at most two terms, at
    /// most one scaled.
    fn of(terms: &[(XReg, u32)], disp: i64) -> Option<Expr> {
        let disp = (disp.abs() < 1 << 30).then_some(disp)?;
        match *terms {
            [] => Some(Expr {
                base: None,
                index: None,
                disp,
            }),
            [(r, 1)] => Some(Expr {
                base: Some(r),
                index: None,
                disp,
            }),
            [i] => Some(Expr {
                base: None,
                index: Some(i),
                disp,
            }),
            [(b, 1), i] | [i, (b, 1)] => Some(Expr {
                base: Some(b),
                index: Some(i),
                disp,
            }),
            _ => None,
        }
    }

    fn add(&self, o: &Expr) -> Option<Expr> {
        let terms: Vec<_> = self.terms().into_iter().chain(o.terms()).collect();
        Expr::of(&terms, self.disp + o.disp)
    }

    fn shl(&self, k: u32) -> Option<Expr> {
        let terms: Vec<_> = self.terms().into_iter().map(|(r, s)| (r, s << k)).collect();
        if terms.iter().any(|&(_, s)| s > 8) {
            return None;
        }
        Expr::of(&terms, self.disp << k)
    }
}

/// The value `insn` (`slli` by up to 3, `addi`, `add`) writes, from the values `x` of its
/// sources; None for anything else, or a value x86 cannot address.
fn eval(insn: &Insn, x: impl Fn(XReg) -> Expr) -> Option<(XReg, Expr)> {
    match *insn {
        Insn::Slli(s) if s.shamt <= 3 => Some((s.rd, x(s.rs1).shl(s.shamt)?)),
        Insn::Addi(i) => {
            let v = x(i.rs1);
            Some((i.rd, Expr::of(&v.terms(), v.disp + i.imm as i64)?))
        }
        Insn::Add(r) => Some((r.rd, x(r.rs1).add(&x(r.rs2))?)),
        _ => None,
    }
}

impl Lower<'_> {
    /// Two or three `slli`/`addi`/`add` from this instruction on, then a load or store
    /// through a value they computed in two steps or more from at most two registers: the
    /// address in one `lea` from those registers' values before them, then each instruction
    /// lowered as it is (every register written as unfused), then the access. Returns how
    /// many instructions after this one it lowered, and which fusion. Not when the instructions' own
    /// lowering uses the address scratch (rdx, when rsi is taken), nor where the pair
    /// `slli`+`add` (fuse.rs) already gives the address in one `lea`.
    pub(super) fn address_run(&mut self) -> Option<(usize, Fusion)> {
        let scratch = self.alloc.ra.addr;
        if scratch == T2 {
            return None;
        }
        let start = self.cur.idx;
        let mut vals: [Expr; 32] = std::array::from_fn(|r| Expr::reg(XReg::new(r as u32)));
        let mut depth = [0u32; 32];
        for n in 1..=3 {
            let insn = self.insns[start + n - 1].insn;
            let (rd, v) = eval(&insn, |r| vals[r.num()])?;
            let reads = self.plan.facts.ops[start + n - 1].x_reads;
            let d = 1
                + (0..32)
                    .filter(|r| reads >> r & 1 != 0)
                    .map(|r| depth[r])
                    .max()
                    .unwrap_or(0);
            if rd.num() != 0 {
                vals[rd.num()] = v;
                depth[rd.num()] = d;
            }
            let at = start + n;
            if at >= self.insns.len()
                || self.in_rotate(at)
                || self.plan.joins.is_target(at)
                || self.alloc.starts_region(at)
            {
                return None;
            }
            let next = self.insns[at].insn;
            let (base, imm) = match (load(&next), store(&next)) {
                (Some((l, _)), _) => (l.rs1, l.imm),
                (_, Some((s, _))) => (s.rs1, s.imm),
                _ => continue,
            };
            let kept = self.plan.elide[at] == Check::Kept;
            if base.num() == 0
                || depth[base.num()] < 2
                || self.is_scaled_add(start, n, kept && imm != 0)
            {
                return None;
            }
            let e = vals[base.num()];
            let e = Expr::of(&e.terms(), e.disp + imm as i64)?;
            self.run_address(e, kept, scratch)?;
            while self.cur.idx < at {
                let j = self.cur.idx;
                // The pair slli+add as fuse.rs lowers it; else as body_once: a dead write is
                // not lowered.
                if let Some((s, b)) = (j + 1 < at)
                    .then(|| scaled_add(&self.insns[j].insn, &self.insns[j + 1].insn))
                    .flatten()
                {
                    let f = self.scaled_add(s, b);
                    self.out.fused.push(f);
                } else if !self.plan.facts.dead[j] {
                    self.insns[j].insn.visit(self);
                }
                self.step();
            }
            self.access_from(scratch, if kept { 0 } else { e.disp as i32 });
            let kind = if kept {
                Fusion::AddressRun
            } else {
                Fusion::AddressRunUnchecked
            };
            return Some((n, kind));
        }
        None
    }

    /// Whether the run of `n` at `start` is the pair `slli t`+`add t` that fuse.rs lowers as
    /// one `lea` of t, through which the access goes as fast (no offset to add to it: not
    /// `offset`).
    fn is_scaled_add(&self, start: usize, n: usize, offset: bool) -> bool {
        match self.insns[start..start + n] {
            [a, b] => !offset && scaled_add(&a.insn, &b.insn).is_some(),
            _ => false,
        }
    }

    /// `scratch` = `e` (without its constant when the check is left out, `kept` false);
    /// None (nothing emitted) when x86 cannot address it with a base register.
    fn run_address(&mut self, e: Expr, kept: bool, scratch: Gpr) -> Option<()> {
        let disp = if kept { e.disp as i32 } else { 0 };
        let (base, index) = match (e.base, e.index) {
            (Some(b), i) => (b, i),
            // s + s for s * 2.
            (None, Some((i, 2))) => (i, Some((i, 1))),
            _ => return None,
        };
        let b = self.read(base, T1);
        let m = match index {
            None => Mem::at(b, disp),
            Some((i, s)) => Mem {
                base: b,
                index: Some((self.read(i, T2), s)),
                disp,
            },
        };
        self.e.lea(scratch, m);
        Some(())
    }
}
