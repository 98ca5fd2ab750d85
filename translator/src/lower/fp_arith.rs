//! Floating-point arithmetic of both precisions: add, sub, mul, div and sqrt computed
//! straight into the destination, fused multiply-adds with the helper behind a NaN.
//!
//! ```text
//!   add/sub/mul/div/sqrt:  vOPsd rd's mirror (or xmm0), rs1, rs2   one instruction, any rd
//!                          NaN? ──▶ cold: rd = canonical NaN, back   (no helper)
//!   fma:                   rd a source: its old value kept in xmm0, computed in place
//!                          (213 form, or 231 when rd is the addend); else rs1 copied in
//!                          NaN? ──▶ cold: rd restored from xmm0, helper redoes it
//! ```
//!
//! For the five, x86's flags are RISC-V's whatever the operands, NaNs included (invalid for
//! a signalling NaN, inf-inf, 0*inf, 0/0, inf/inf and the root of a negative, nothing for a
//! quiet NaN; isa-a's x86 oracle test holds softfloat to that): only a NaN's bits differ,
//! x86 keeping an operand's payload or its negative default where RISC-V wants the canonical
//! NaN. So a NaN result needs just the canonical NaN written, and the sources may be
//! overwritten first. An FMA with an inf*0 product and a quiet-NaN addend is invalid on
//! RISC-V but not on x86: there the helper redoes the instruction, from its sources.
//!
//! The VEX forms take the bits above the result from their first source: that is rs1,
//! whose NaN-box a single has checked, so a single's result is boxed as it lands.
//!
//! A host without AVX gets the two-operand forms, `d op= src`, which keep `d`'s own bits
//! above the result: rs1 is copied into `d` first (nothing to copy when rd is rs1), so a
//! single lands boxed all the same. Where that copy would overwrite rs2 (rd is rs2, not
//! rs1) an `add` or `mul` takes its operands the other way round, and the others compute
//! in xmm0. Without FMA3 the fused multiply-adds go to the helper.

use super::cold::Cold;
use super::fp::{f_slot, Prec};
use super::{Lower, T0};
use isa_a::format::{F1rm, FRrm, R4};
use isa_a::{FReg, Rm};
use isa_b::{Cc, Fma, Label, Sse, Xmm};

impl Lower<'_> {
    /// Where rd's result is computed: its mirror, else xmm0 (stored to its slot after).
    fn arith_dest(&self, rd: FReg) -> Xmm {
        self.alloc.ra.fregs[rd.num()].unwrap_or(Xmm::X0)
    }

    /// A single's operands not NaN-boxed go to the helper: the label to resume at after it.
    fn boxed_or_helper(&mut self, p: Prec, rs: &[FReg]) -> Option<Label> {
        if p == Prec::D {
            return None;
        }
        let unboxed = self.e.label();
        self.boxed(rs, unboxed);
        Some(self.slow_path(unboxed))
    }

    /// `d` holds rd's result: a NaN jumps to the returned label, anything else is stored
    /// when `d` is xmm0.
    fn result_unless_nan(&mut self, rd: FReg, d: Xmm, p: Prec) -> Label {
        let nan = self.e.label();
        self.e.is_nan(p, d);
        self.e.jcc(Cc::P, nan);
        if d == Xmm::X0 {
            self.e.store_f(Prec::D, f_slot(rd), d);
        }
        nan
    }

    /// `d` holds rd's result, any NaN in it to be the canonical one: stores it when `d` is
    /// xmm0.
    fn direct_result(&mut self, rd: FReg, d: Xmm, p: Prec) {
        let nan = self.result_unless_nan(rd, d, p);
        let mut resume = self.e.label();
        self.push_cold(Cold::CanonicalNan {
            entry: nan,
            resume,
            rd,
            p,
        });
        self.e.bind(&mut resume);
    }

    /// `f[rd] =` RISC-V's canonical NaN of precision `p`.
    pub(super) fn canonical_nan(&mut self, rd: FReg, p: Prec) {
        let bits = match p {
            Prec::S => 0xffff_ffff_7fc0_0000u64 as i64,
            Prec::D => 0x7ff8_0000_0000_0000,
        };
        self.e.mov_ri(T0, bits);
        self.fwrite_gpr(rd, T0);
    }

    pub(super) fn fop(&mut self, a: FRrm, op: Sse, p: Prec) {
        if a.rm != Rm::Dyn {
            return self.helper();
        }
        let unboxed = self.boxed_or_helper(p, &[a.rs1, a.rs2]);
        let d = self.arith_dest(a.rd);
        if self.plan.host.avx {
            let x = self.fread(a.rs1, Xmm::X1);
            let y = self.fsrc(a.rs2);
            self.e.sse3(p, op, d, x, y);
        } else {
            self.two_operand(p, op, d, a.rs1, a.rs2);
        }
        self.direct_result(a.rd, d, p);
        if let Some(mut l) = unboxed {
            self.e.bind(&mut l);
        }
    }

    pub(super) fn fsqrt(&mut self, a: F1rm, p: Prec) {
        if a.rm != Rm::Dyn {
            return self.helper();
        }
        let unboxed = self.boxed_or_helper(p, &[a.rs1]);
        let d = self.arith_dest(a.rd);
        if self.plan.host.avx {
            let x = self.fread(a.rs1, Xmm::X1);
            self.e.sse3(p, Sse::Sqrt, d, x, x);
        } else if p == Prec::D {
            // A double's bits above the result are never read.
            let x = self.fsrc(a.rs1);
            self.e.sse(p, Sse::Sqrt, d, x);
        } else {
            self.fload_dest(d, a.rs1);
            self.e.sse(p, Sse::Sqrt, d, d);
        }
        self.direct_result(a.rd, d, p);
        if let Some(mut l) = unboxed {
            self.e.bind(&mut l);
        }
    }

    /// `d = f[rs1] op f[rs2]` in the two-operand forms, `d`'s bits above the result rs1's.
    fn two_operand(&mut self, p: Prec, op: Sse, d: Xmm, rs1: FReg, rs2: FReg) {
        let mirror = |r: FReg| self.alloc.ra.fregs[r.num()];
        let (x, y) = if mirror(rs2) == Some(d) && matches!(op, Sse::Add | Sse::Mul) {
            (rs2, rs1)
        } else {
            (rs1, rs2)
        };
        let t = if mirror(y) == Some(d) && mirror(x) != Some(d) {
            Xmm::X0
        } else {
            d
        };
        self.fload_dest(t, x);
        let y = self.fsrc(y);
        self.e.sse(p, op, t, y);
        if t != d {
            self.e.mov_xx(d, t);
        }
    }

    pub(super) fn fma(&mut self, a: R4, op: Fma, p: Prec) {
        if a.rm != Rm::Dyn || !self.plan.host.fma {
            return self.helper();
        }
        let unboxed = self.boxed_or_helper(p, &[a.rs1, a.rs2, a.rs3]);
        let (d, restore) = match self.alloc.ra.fregs[a.rd.num()] {
            Some(m) if a.rd == a.rs3 => {
                self.e.mov_xx(Xmm::X0, m);
                let x = self.fread(a.rs1, Xmm::X1);
                let y = self.fsrc(a.rs2);
                self.e.fma231(p, op, m, x, y);
                (m, Some((m, Xmm::X0)))
            }
            Some(m) if a.rd == a.rs1 || a.rd == a.rs2 => {
                self.e.mov_xx(Xmm::X0, m);
                let other = if a.rd == a.rs1 { a.rs2 } else { a.rs1 };
                let x = self.fread(other, Xmm::X1);
                let z = self.fsrc(a.rs3);
                self.e.fma(p, op, m, x, z);
                (m, Some((m, Xmm::X0)))
            }
            m => {
                let d = m.unwrap_or(Xmm::X0);
                self.fload_into(d, a.rs1);
                let x = self.fread(a.rs2, Xmm::X1);
                let z = self.fsrc(a.rs3);
                self.e.fma(p, op, d, x, z);
                (d, None)
            }
        };
        let nan = self.result_unless_nan(a.rd, d, p);
        let mut resume = self.e.label();
        self.push_cold(Cold::Helper {
            entry: nan,
            resume,
            idx: self.cur.idx,
            restore,
        });
        self.e.bind(&mut resume);
        if let Some(mut l) = unboxed {
            self.e.bind(&mut l);
        }
    }
}
