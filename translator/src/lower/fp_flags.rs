//! A quiet FP compare as C's `isless` and friends become: the flags read, a compare, the
//! flags written back, so the compare's NV (any NaN for `flt`/`fle`) never shows. glibc
//! inlines it before `sqrt`. Lowered one by one, that reads MXCSR twice (`stmxcsr` waits
//! for every FP operation in flight); lowered as one, once at most.
//!
//! ```text
//!   frflags x; f{eq,lt,le}.{s,d} y, a, b; fsflags x      (adjacent, x ≠ y, x ≠ x0)
//!
//!   x = fflags           as frflags alone: MXCSR's flags ORed with fcsr's, one stmxcsr;
//!                        none at all when x is overwritten before anything reads it
//!   a or b a NaN ──▶ y = 0        integer tests on the bit patterns (a single not
//!                                 NaN-boxed reads as a NaN: y = 0 too)
//!   else  ucomisd → y             no SSE instruction sees a NaN: MXCSR gains no flag
//!   fsflags x: nothing            fflags is x already, and MXCSR's flags ⊆ x
//! ```
//!
//! The triple's only effects are `x`, `y`, and fflags ending as it began, whatever the
//! operands: the compare's NV is written over by `fsflags`. So no path needs the helper. The
//! rest of the FP lowering relies on MXCSR holding no flag fflags lacks (fp.rs: flags are
//! only ever folded, never cleared, natively). Reading `x` keeps that, and the compare
//! runs only on ordered operands, for which it raises nothing RISC-V has (a denormal operand
//! may set DE, which the fold ignores).

use super::fp::Prec;
use super::fuse::Fusion;
use super::{Lower, T1, T2};
use isa_a::csr::FFLAGS;
use isa_a::format::FCmp;
use isa_a::{FReg, Insn, XReg};
use isa_b::{Alu, Cc, Label, Shift, Xmm, W};

/// `frflags x` (`csrrs x, fflags, x0`), x not x0: `x`.
fn frflags(insn: &Insn) -> Option<XReg> {
    match *insn {
        Insn::Csrrs(c) if c.csr == FFLAGS && c.rs1.num() == 0 && c.rd.num() != 0 => Some(c.rd),
        _ => None,
    }
}

/// `fsflags x` (`csrrw x0, fflags, x`): `x`.
fn fsflags(insn: &Insn) -> Option<XReg> {
    match *insn {
        Insn::Csrrw(c) if c.csr == FFLAGS && c.rd.num() == 0 => Some(c.rs1),
        _ => None,
    }
}

/// `feq`/`flt`/`fle`: the operands, the condition on (rs1, rs2) as fp.rs's `fcmp` takes it,
/// and the precision.
fn compare(insn: &Insn) -> Option<(FCmp, Cc, Prec)> {
    Some(match *insn {
        Insn::FeqD(a) => (a, Cc::E, Prec::D),
        Insn::FltD(a) => (a, Cc::A, Prec::D),
        Insn::FleD(a) => (a, Cc::Ae, Prec::D),
        Insn::FeqS(a) => (a, Cc::E, Prec::S),
        Insn::FltS(a) => (a, Cc::A, Prec::S),
        Insn::FleS(a) => (a, Cc::Ae, Prec::S),
        _ => return None,
    })
}

/// A double's bit pattern shifted left once (the sign dropped) is above this iff it is a NaN.
const DOUBLE_INF_2: i64 = 0xffe0_0000_0000_0000u64 as i64;
/// The same for a single's low 32 bits.
const SINGLE_INF_2: i32 = 0xff00_0000u32 as i32;

impl Lower<'_> {
    /// The triple at `idx`, lowered as one when it is there; returns how many instructions
    /// after `idx` it lowered.
    pub(super) fn flags_compare(&mut self) -> Option<usize> {
        let [a, b, c] = self.insns.get(self.cur.idx..self.cur.idx + 3)? else {
            return None;
        };
        let x = frflags(&a.insn)?;
        let (cmp, cc, p) = compare(&b.insn)?;
        if fsflags(&c.insn)? != x || cmp.rd == x {
            return None;
        }
        // Each of the three needs code of its own when something jumps to it, or when it
        // starts a region (regions.rs: its transition comes first).
        if (1..3).any(|k| {
            let i = self.cur.idx + k;
            self.plan.joins.is_target(i) || self.in_rotate(i) || self.alloc.starts_region(i)
        }) {
            return None;
        }
        let dead = self.flags_dead_after(x, self.cur.idx + 2);
        if !dead {
            self.csr_op(x, FFLAGS, super::fp::CsrOp::Set, Ok(XReg::new(0)));
        }
        self.step();
        self.quiet_compare(cmp, cc, p);
        self.step();
        self.out.fused.push(if dead {
            Fusion::FlagsCompareDead
        } else {
            Fusion::FlagsCompare
        });
        Some(2)
    }

    /// Whether `x`'s value after instruction `idx` is never read: written again by an
    /// instruction that does not read it, with only pure ones before (liveness.rs).
    fn flags_dead_after(&self, x: XReg, idx: usize) -> bool {
        let w = 1u32 << x.num();
        for j in idx + 1..self.insns.len() {
            let ops = self.plan.facts.ops[j];
            if !super::liveness::pure(&self.insns[j].insn) || ops.x_reads & w != 0 {
                return false;
            }
            if ops.x_writes & w != 0 {
                return true;
            }
        }
        false
    }

    /// `y` = the compare, 0 when an operand is a NaN, with no SSE instruction on a NaN.
    fn quiet_compare(&mut self, a: FCmp, cc: Cc, p: Prec) {
        let t = self.target(a.rd, &[]);
        let mut unordered = self.e.label();
        self.e.mov_ri(t, 0);
        if p == Prec::D {
            self.e.mov_ri(T2, DOUBLE_INF_2);
        }
        self.nan_to(a.rs1, p, unordered);
        if a.rs2 != a.rs1 {
            self.nan_to(a.rs2, p, unordered);
        }
        // Ordered, so the quiet compare raises nothing and leaves PF clear: `e` alone is
        // equality. `a`/`ae` on (rs2, rs1) are rs1 < rs2 and rs1 <= rs2.
        let (first, second) = if cc == Cc::E {
            (a.rs1, a.rs2)
        } else {
            (a.rs2, a.rs1)
        };
        let x = self.fread(first, Xmm::X0);
        let y = self.fsrc(second);
        self.e.compare_f(p, false, x, y);
        self.e.setcc(cc, t);
        self.e.bind(&mut unordered);
        self.write(a.rd, t);
    }

    /// Jumps to `nan` when `f[r]` is a NaN in precision `p` (a single also when not
    /// NaN-boxed); T2 holds [`DOUBLE_INF_2`] for doubles. Clobbers T1.
    fn nan_to(&mut self, r: FReg, p: Prec, nan: Label) {
        self.fbits(T1, r, Prec::D);
        match p {
            Prec::D => {
                self.e.alu_rr(Alu::Add, W::B64, T1, T1);
                self.e.alu_rr(Alu::Cmp, W::B64, T1, T2);
            }
            Prec::S => {
                self.e.shift_ri(Shift::Shr, W::B64, T1, 32);
                self.e.alu_ri(Alu::Cmp, W::B32, T1, -1);
                self.e.jcc(Cc::Ne, nan);
                self.fbits(T1, r, Prec::S);
                self.e.alu_rr(Alu::Add, W::B32, T1, T1);
                self.e.alu_ri(Alu::Cmp, W::B32, T1, SINGLE_INF_2);
            }
        }
        self.e.jcc(Cc::A, nan);
    }
}
