//! What only singles need: the NaN-boxing checks and stores, and the conversions and moves
//! that have no double twin. Their arithmetic is fp_arith.rs's and their compares fp.rs's,
//! with a precision.
//!
//! ```text
//!   f[r] = 0xffffffff_xxxxxxxx  (NaN-boxed: the single is the low half)
//!   operand not boxed ──▶ helper (it reads as the canonical NaN there)
//!   conversion result ──NaN?──▶ helper redoes the instruction; else stored, boxed
//! ```
//!
//! A rounding mode fixed in the instruction other than `dyn` goes to the helper, as for
//! doubles.

use super::fp::{f_slot, Prec};
use super::{Lower, T0};
use isa_a::format::{F1rm, FMvX, XMvF, XToF};
use isa_a::{FReg, Rm};
use isa_b::{Alu, Cc, Label, Mem, Shift, Xmm, W};

/// The upper half of `r`'s slot: all ones when it holds a single.
fn box_half(r: FReg) -> Mem {
    let m = f_slot(r);
    Mem::at(m.base, m.disp + 4)
}

impl Lower<'_> {
    /// Jumps to `slow` unless every register of `rs` holds a NaN-boxed single (clobbers
    /// rax when one is mirrored).
    pub(super) fn boxed(&mut self, rs: &[FReg], slow: Label) {
        for &r in rs {
            match self.alloc.ra.fregs[r.num()] {
                Some(m) => {
                    self.e.movq_rx(T0, m);
                    self.e.shift_ri(Shift::Shr, W::B64, T0, 32);
                    self.e.alu_ri(Alu::Cmp, W::B32, T0, -1);
                }
                None => self.e.alu_mi(Alu::Cmp, W::B32, box_half(r), -1),
            }
            self.e.jcc(Cc::Ne, slow);
        }
    }

    /// `f[rd] =` the single in xmm0, boxed.
    pub(super) fn store_boxed(&mut self, rd: FReg) {
        self.e.movd_rx(T0, Xmm::X0);
        self.fwrite_single(rd, T0);
    }

    /// `fcvt.s.{w,wu,l}`: rounded as frm says (a single cannot hold every 32-bit integer).
    pub(super) fn fcvt_s_int(&mut self, a: XToF, w: W, signed: bool) {
        if a.rm != Rm::Dyn {
            return self.helper();
        }
        let s = self.read(a.rs1, T0);
        let (w, s) = if signed {
            (w, s)
        } else {
            // Zero-extended, converted as a (positive) 64-bit integer: one rounding.
            self.e.mov_rr(W::B32, T0, s);
            (W::B64, T0)
        };
        self.e.cvt_int_f(Prec::S, w, Xmm::X0, s);
        self.store_boxed(a.rd);
    }

    /// `fcvt.s.d`: rounded as frm says; a NaN is the helper's (canonical NaN).
    pub(super) fn fcvt_s_d(&mut self, a: F1rm) {
        if a.rm != Rm::Dyn {
            return self.helper();
        }
        let slow = self.e.label();
        let x = self.fsrc(a.rs1);
        self.e.cvt_sd_ss(Xmm::X0, x);
        self.fp_result(a.rd, Xmm::X0, Prec::S, slow);
        self.resume_after(slow);
    }

    /// `fcvt.d.s`: exact; a NaN is the helper's.
    pub(super) fn fcvt_d_s(&mut self, a: F1rm) {
        let slow = self.e.label();
        self.boxed(&[a.rs1], slow);
        let x = self.fsrc(a.rs1);
        self.e.cvt_ss_sd(Xmm::X0, x);
        self.e.is_nan(Prec::D, Xmm::X0);
        self.e.jcc(Cc::P, slow);
        self.fwrite_x0(a.rd);
        self.resume_after(slow);
    }

    /// `fmv.x.w`: the low half's raw bits, sign-extended, boxed or not.
    pub(super) fn fmv_x_w(&mut self, a: FMvX) {
        let t = self.target(a.rd, &[]);
        self.fbits(t, a.rs1, Prec::S);
        self.e.sx(W::B32, t, t);
        self.write(a.rd, t);
    }

    /// `fmv.w.x`: the low half of rs1, boxed.
    pub(super) fn fmv_w_x(&mut self, a: XMvF) {
        let s = self.read(a.rs1, T0);
        self.e.mov_rr(W::B32, T0, s);
        self.fwrite_single(a.rd, T0);
    }
}
