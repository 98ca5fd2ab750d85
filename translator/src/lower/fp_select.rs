//! `fmin`/`fmax` and `fclass`, both precisions: operations that pick or classify rather
//! than round.
//!
//! ```text
//!   fmin/fmax: a NaN operand → helper (RISC-V returns the other operand, x86 the second);
//!              equal operands → the bit patterns ORed (min) or ANDed (max), which orders
//!              -0 below +0; otherwise x86's min/max.
//!   fclass:    integer tests on the bit pattern → one of ten bits.
//! ```

use super::fp::Prec;
use super::{Lower, T0, T1, T2};
use isa_a::format::{FMvX, FR};
use isa_b::{Alu, Cc, Shift, Sse, Xmm, W};

impl Lower<'_> {
    pub(super) fn fminmax(&mut self, a: FR, p: Prec, max: bool) {
        let slow = self.e.label();
        if let Prec::S = p {
            self.boxed(&[a.rs1, a.rs2], slow);
        }
        self.fload_into(Xmm::X0, a.rs1);
        let y = self.fsrc(a.rs2);
        self.e.compare_f(p, false, Xmm::X0, y);
        self.e.jcc(Cc::P, slow);
        let (mut differ, mut done) = (self.e.label(), self.e.label());
        self.e.jcc(Cc::Ne, differ);
        self.fbits(T0, a.rs1, p);
        self.fbits(T1, a.rs2, p);
        let op = if max { Alu::And } else { Alu::Or };
        self.e.alu_rr(op, p.w(), T0, T1);
        match p {
            Prec::S => self.fwrite_single(a.rd, T0),
            Prec::D => self.fwrite_gpr(a.rd, T0),
        }
        self.e.jmp(done);
        self.e.bind(&mut differ);
        let op = if max { Sse::Max } else { Sse::Min };
        self.e.sse(p, op, Xmm::X0, y);
        match p {
            Prec::S => self.store_boxed(a.rd),
            Prec::D => self.fwrite_x0(a.rd),
        }
        self.e.bind(&mut done);
        self.resume_after(slow);
    }

    /// `fclass`: the class from the magnitude (the pattern shifted left once), then the bit
    /// from the class and the sign. Negative classes are bits 0..3 (inf, normal, subnormal,
    /// zero), positive ones their mirror 7..4; NaNs bits 8 (signalling) and 9 (quiet).
    pub(super) fn fclass(&mut self, a: FMvX, p: Prec) {
        let slow = self.e.label();
        if let Prec::S = p {
            self.boxed(&[a.rs1], slow);
        }
        let (w, frac) = (p.w(), p.frac());
        let exp_ones = (1u64 << (p.bits() - 1 - frac)) - 1;
        self.fbits(T0, a.rs1, p);
        self.e.mov_rr(w, T1, T0);
        self.e.shift_ri(Shift::Shl, w, T1, 1);
        // Infinity's magnitude, shifted: the exponent all ones, the fraction zero.
        self.e.mov_ri(T2, (exp_ones << (frac + 1)) as i64);
        self.e.alu_rr(Alu::Cmp, w, T1, T2);
        let (mut nan, mut inf, mut zero, mut sub) = (
            self.e.label(),
            self.e.label(),
            self.e.label(),
            self.e.label(),
        );
        let (mut signed, mut out) = (self.e.label(), self.e.label());
        self.e.jcc(Cc::A, nan);
        self.e.jcc(Cc::E, inf);
        self.e.alu_rr(Alu::Test, w, T1, T1);
        self.e.jcc(Cc::E, zero);
        // The smallest normal's magnitude, shifted.
        self.e.mov_ri(T2, (1u64 << (frac + 1)) as i64);
        self.e.alu_rr(Alu::Cmp, w, T1, T2);
        self.e.jcc(Cc::B, sub);
        self.e.mov_ri(T1, 1);
        self.e.jmp(signed);
        self.e.bind(&mut inf);
        self.e.mov_ri(T1, 0);
        self.e.jmp(signed);
        self.e.bind(&mut zero);
        self.e.mov_ri(T1, 3);
        self.e.jmp(signed);
        self.e.bind(&mut sub);
        self.e.mov_ri(T1, 2);
        // bit = class for a negative value, 7 - class (class ^ 7) for a positive one.
        self.e.bind(&mut signed);
        self.e.shift_ri(Shift::Shr, w, T0, p.bits() - 1);
        self.e.alu_ri(Alu::Sub, W::B32, T0, 1);
        self.e.alu_ri(Alu::And, W::B32, T0, 7);
        self.e.alu_rr(Alu::Xor, W::B32, T1, T0);
        self.e.jmp(out);
        // bit = 8 + the quiet bit.
        self.e.bind(&mut nan);
        self.e.shift_ri(Shift::Shr, w, T0, frac - 1);
        self.e.alu_ri(Alu::And, W::B32, T0, 1);
        self.e.lea(T1, isa_b::Mem::at(T0, 8));
        self.e.bind(&mut out);
        self.e.mov_ri(T0, 1);
        self.e.shift_cl(Shift::Shl, W::B64, T0);
        self.write(a.rd, T0);
        self.resume_after(slow);
    }
}
