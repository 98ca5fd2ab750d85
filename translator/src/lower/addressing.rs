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
//! and rdx, so the address goes to rsi: none when rsi holds a guest register. Only where
//! the unfused address takes two host steps or more (the pair `slli`+`add`, fuse.rs, is one
//! `lea`; an offset a checked access adds to its base is one more), and only from the first
//! instruction the address comes from (an unrelated one before it would not shorten it).
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

use super::address_values::{eval, Expr};
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
        let resume = (check == Check::Kept).then(|| self.checked_slow_path());
        let m = self.guest_mem();
        if let Some((l, w)) = load(&next) {
            self.load_from(l.rd, w, m);
        } else if let Some((s, w)) = store(&next) {
            self.store_to(s.rs2, w, m);
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

impl Lower<'_> {
    /// Two or three `slli`/`addi`/`add` from this instruction on, then a load or store
    /// through a value they computed from at most two registers, starting with this one:
    /// the address in one `lea` from those registers' values before them, then each
    /// instruction lowered as it is (every register written as unfused), then the access.
    /// Returns how many instructions after this one it lowered, and which fusion. Only
    /// where the unfused address takes two host steps or more, and not when the
    /// instructions' own lowering uses the address scratch (rdx, when rsi is taken).
    pub(super) fn address_run(&mut self) -> Option<(usize, Fusion)> {
        let scratch = self.alloc.ra.addr;
        if scratch == T2 {
            return None;
        }
        let start = self.cur.idx;
        // Cheap tests first: this runs at most instructions of every block translated.
        let access = |d: &isa_a::Decoded| load(&d.insn).is_some() || store(&d.insn).is_some();
        if !matches!(
            self.insns[start].insn,
            Insn::Slli(_) | Insn::Addi(_) | Insn::Add(_)
        ) || !self.insns[start + 1..].iter().take(3).any(access)
        {
            return None;
        }
        let mut vals: [Expr; 32] = std::array::from_fn(|r| Expr::reg(XReg::new(r as u32)));
        // For each register: how many host steps its unfused lowering takes from the run's
        // start (a `slli`+`add` pair is one `lea`), and which run instructions it comes from.
        let mut depth = [0u32; 32];
        let mut from = [0u32; 32];
        for n in 1..=3 {
            let j = start + n - 1;
            let insn = self.insns[j].insn;
            let (rd, v) = eval(&insn, |r| vals[r.num()])?;
            let reads = self.plan.facts.ops[j].x_reads;
            let srcs = (0..32).filter(|r| reads >> r & 1 != 0);
            let mut d = 1 + srcs.clone().map(|r| depth[r]).max().unwrap_or(0);
            if j > start && scaled_add(&self.insns[j - 1].insn, &insn).is_some() {
                d -= 1;
            }
            if rd.num() != 0 {
                vals[rd.num()] = v;
                depth[rd.num()] = d;
                from[rd.num()] = srcs.fold(1 << (n - 1), |m, r| m | from[r]);
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
            // Worth one lea when the unfused address takes two steps or more (an offset
            // unchecked is the access's own), and starting here: a run from an instruction
            // the address does not come from is matched at a later start, or is the pair
            // `add`+access.
            let steps = depth[base.num()] + (kept && imm != 0) as u32;
            if base.num() == 0 || n < 2 || from[base.num()] & 1 == 0 || steps < 2 {
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
