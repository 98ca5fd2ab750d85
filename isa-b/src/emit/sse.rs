//! Scalar floating point on the SSE unit: one function per operation, for singles and
//! doubles alike, taking the precision.

use super::operand::{fptr, mem, r32, r64, xmm, FSrc, Fma, Gpr, Mem, Prec, Sse, Xmm, W};
use super::Emitter;
use iced_x86::code_asm as ca;

/// Evaluates `$body` with `$s` bound to the iced operand for `$src`: an xmm register, or a
/// memory operand of precision `$p`.
macro_rules! with_src {
    ($src:expr, $p:expr, |$s:ident| $body:expr) => {
        match $src {
            FSrc::Reg(x) => {
                let $s = xmm(x);
                $body
            }
            FSrc::Mem(m) => {
                let $s = fptr($p, m);
                $body
            }
        }
    };
}

impl Emitter {
    /// `x = [m]` (`movss` / `movsd`).
    pub fn load_f(&mut self, p: Prec, x: Xmm, m: Mem) {
        let (x, m, a) = (xmm(x), fptr(p, m), &mut self.asm);
        match p {
            Prec::S => a.movss(x, m),
            Prec::D => a.movsd_2(x, m),
        }
        .expect("movss");
    }

    /// `[m] = x` (`movss` / `movsd`).
    pub fn store_f(&mut self, p: Prec, m: Mem, x: Xmm) {
        let (x, m, a) = (xmm(x), fptr(p, m), &mut self.asm);
        match p {
            Prec::S => a.movss(m, x),
            Prec::D => a.movsd_2(m, x),
        }
        .expect("movss");
    }

    /// `d = s` between a general register and an SSE one, 64 bits (`movq`).
    pub fn movq_xr(&mut self, d: Xmm, s: Gpr) {
        self.asm.movq(xmm(d), r64(s)).expect("movq");
    }

    pub fn movq_rx(&mut self, d: Gpr, s: Xmm) {
        self.asm.movq(r64(d), xmm(s)).expect("movq");
    }

    /// `d = s` from the low 32 bits of an SSE register, zero-extended (`movd`).
    pub fn movd_rx(&mut self, d: Gpr, s: Xmm) {
        self.asm.movd(r32(d), xmm(s)).expect("movd");
    }

    /// `d = s`, the whole register (`movapd`).
    pub fn mov_xx(&mut self, d: Xmm, s: Xmm) {
        self.asm.movapd(xmm(d), xmm(s)).expect("movapd");
    }

    /// `d = d op src` (`sqrt`: `d = sqrt(src)`), scalar.
    pub fn sse(&mut self, p: Prec, op: Sse, d: Xmm, src: impl Into<FSrc>) {
        let d = xmm(d);
        let a = &mut self.asm;
        with_src!(src.into(), p, |m| match (p, op) {
            (Prec::S, Sse::Add) => a.addss(d, m),
            (Prec::S, Sse::Sub) => a.subss(d, m),
            (Prec::S, Sse::Mul) => a.mulss(d, m),
            (Prec::S, Sse::Div) => a.divss(d, m),
            (Prec::S, Sse::Sqrt) => a.sqrtss(d, m),
            (Prec::S, Sse::Min) => a.minss(d, m),
            (Prec::S, Sse::Max) => a.maxss(d, m),
            (Prec::D, Sse::Add) => a.addsd(d, m),
            (Prec::D, Sse::Sub) => a.subsd(d, m),
            (Prec::D, Sse::Mul) => a.mulsd(d, m),
            (Prec::D, Sse::Div) => a.divsd(d, m),
            (Prec::D, Sse::Sqrt) => a.sqrtsd(d, m),
            (Prec::D, Sse::Min) => a.minsd(d, m),
            (Prec::D, Sse::Max) => a.maxsd(d, m),
        })
        .expect("sse");
    }

    /// `d = x op src` (`sqrt`: `d = sqrt(src)`), scalar, in the VEX three-operand form
    /// (`vaddsd` …): `d`'s other bits come from `x`, so no operand needs copying first.
    pub fn sse3(&mut self, p: Prec, op: Sse, d: Xmm, x: Xmm, src: impl Into<FSrc>) {
        let (d, x) = (xmm(d), xmm(x));
        let a = &mut self.asm;
        with_src!(src.into(), p, |m| match (p, op) {
            (Prec::S, Sse::Add) => a.vaddss(d, x, m),
            (Prec::S, Sse::Sub) => a.vsubss(d, x, m),
            (Prec::S, Sse::Mul) => a.vmulss(d, x, m),
            (Prec::S, Sse::Div) => a.vdivss(d, x, m),
            (Prec::S, Sse::Sqrt) => a.vsqrtss(d, x, m),
            (Prec::S, Sse::Min) => a.vminss(d, x, m),
            (Prec::S, Sse::Max) => a.vmaxss(d, x, m),
            (Prec::D, Sse::Add) => a.vaddsd(d, x, m),
            (Prec::D, Sse::Sub) => a.vsubsd(d, x, m),
            (Prec::D, Sse::Mul) => a.vmulsd(d, x, m),
            (Prec::D, Sse::Div) => a.vdivsd(d, x, m),
            (Prec::D, Sse::Sqrt) => a.vsqrtsd(d, x, m),
            (Prec::D, Sse::Min) => a.vminsd(d, x, m),
            (Prec::D, Sse::Max) => a.vmaxsd(d, x, m),
        })
        .expect("vsse");
    }

    /// `d = op(x, src, d)` as [`Fma`] says with `d` the addend (x86's 231 forms:
    /// `±(x*src) ± d`), rounded once.
    pub fn fma231(&mut self, p: Prec, op: Fma, d: Xmm, x: Xmm, src: impl Into<FSrc>) {
        let (d, x) = (xmm(d), xmm(x));
        let a = &mut self.asm;
        with_src!(src.into(), p, |m| match (p, op) {
            (Prec::S, Fma::MulAdd) => a.vfmadd231ss(d, x, m),
            (Prec::S, Fma::MulSub) => a.vfmsub231ss(d, x, m),
            (Prec::S, Fma::NegMulAdd) => a.vfnmadd231ss(d, x, m),
            (Prec::S, Fma::NegMulSub) => a.vfnmsub231ss(d, x, m),
            (Prec::D, Fma::MulAdd) => a.vfmadd231sd(d, x, m),
            (Prec::D, Fma::MulSub) => a.vfmsub231sd(d, x, m),
            (Prec::D, Fma::NegMulAdd) => a.vfnmadd231sd(d, x, m),
            (Prec::D, Fma::NegMulSub) => a.vfnmsub231sd(d, x, m),
        })
        .expect("fma231");
    }

    /// `d = op(d, x, src)` as [`Fma`] says, rounded once.
    pub fn fma(&mut self, p: Prec, op: Fma, d: Xmm, x: Xmm, src: impl Into<FSrc>) {
        let (d, x) = (xmm(d), xmm(x));
        let a = &mut self.asm;
        with_src!(src.into(), p, |m| match (p, op) {
            (Prec::S, Fma::MulAdd) => a.vfmadd213ss(d, x, m),
            (Prec::S, Fma::MulSub) => a.vfmsub213ss(d, x, m),
            (Prec::S, Fma::NegMulAdd) => a.vfnmadd213ss(d, x, m),
            (Prec::S, Fma::NegMulSub) => a.vfnmsub213ss(d, x, m),
            (Prec::D, Fma::MulAdd) => a.vfmadd213sd(d, x, m),
            (Prec::D, Fma::MulSub) => a.vfmsub213sd(d, x, m),
            (Prec::D, Fma::NegMulAdd) => a.vfnmadd213sd(d, x, m),
            (Prec::D, Fma::NegMulSub) => a.vfnmsub213sd(d, x, m),
        })
        .expect("fma");
    }

    /// Compares: `ucomiss`/`ucomisd` (quiet: only a signalling NaN is invalid) or
    /// `comiss`/`comisd` (any NaN is invalid). ZF PF CF = 111 unordered, 100 equal, 001 less,
    /// 000 greater.
    pub fn compare_f(&mut self, p: Prec, signalling: bool, x: Xmm, src: impl Into<FSrc>) {
        let x = xmm(x);
        let a = &mut self.asm;
        with_src!(src.into(), p, |m| match (p, signalling) {
            (Prec::S, true) => a.comiss(x, m),
            (Prec::S, false) => a.ucomiss(x, m),
            (Prec::D, true) => a.comisd(x, m),
            (Prec::D, false) => a.ucomisd(x, m),
        })
        .expect("comisd");
    }

    /// `ucomiss x, x` / `ucomisd x, x`: parity set iff `x` is a NaN.
    pub fn is_nan(&mut self, p: Prec, x: Xmm) {
        self.compare_f(p, false, x, x);
    }

    /// `d = (float) s` for a signed 32- or 64-bit integer (`cvtsi2ss` / `cvtsi2sd`), rounded
    /// as MXCSR says.
    pub fn cvt_int_f(&mut self, p: Prec, w: W, d: Xmm, s: Gpr) {
        let (d, a) = (xmm(d), &mut self.asm);
        match (p, w) {
            (Prec::S, W::B64) => a.cvtsi2ss(d, r64(s)),
            (Prec::S, _) => a.cvtsi2ss(d, r32(s)),
            (Prec::D, W::B64) => a.cvtsi2sd(d, r64(s)),
            (Prec::D, _) => a.cvtsi2sd(d, r32(s)),
        }
        .expect("cvtsi2sd");
    }

    /// `d = (int) src` to 32 or 64 bits, truncating (`cvttss2si` / `cvttsd2si`) or as MXCSR
    /// rounds (`cvtss2si` / `cvtsd2si`); out of range or NaN gives the "integer indefinite"
    /// (the minimum).
    pub fn cvt_f_int(&mut self, p: Prec, w: W, truncate: bool, d: Gpr, src: impl Into<FSrc>) {
        let a = &mut self.asm;
        with_src!(src.into(), p, |m| match (p, w, truncate) {
            (Prec::S, W::B64, true) => a.cvttss2si(r64(d), m),
            (Prec::S, W::B64, false) => a.cvtss2si(r64(d), m),
            (Prec::S, _, true) => a.cvttss2si(r32(d), m),
            (Prec::S, _, false) => a.cvtss2si(r32(d), m),
            (Prec::D, W::B64, true) => a.cvttsd2si(r64(d), m),
            (Prec::D, W::B64, false) => a.cvtsd2si(r64(d), m),
            (Prec::D, _, true) => a.cvttsd2si(r32(d), m),
            (Prec::D, _, false) => a.cvtsd2si(r32(d), m),
        })
        .expect("cvtsd2si");
    }

    /// `d = (float) src` from a double, rounded as MXCSR says (`cvtsd2ss`).
    pub fn cvt_sd_ss(&mut self, d: Xmm, src: impl Into<FSrc>) {
        let (d, a) = (xmm(d), &mut self.asm);
        with_src!(src.into(), Prec::D, |m| a.cvtsd2ss(d, m)).expect("cvtsd2ss");
    }

    /// `d = (double) src` from a single, exactly (`cvtss2sd`).
    pub fn cvt_ss_sd(&mut self, d: Xmm, src: impl Into<FSrc>) {
        let (d, a) = (xmm(d), &mut self.asm);
        with_src!(src.into(), Prec::S, |m| a.cvtss2sd(d, m)).expect("cvtss2sd");
    }

    pub fn ldmxcsr(&mut self, m: Mem) {
        self.asm.ldmxcsr(ca::dword_ptr(mem(m))).expect("ldmxcsr");
    }

    pub fn stmxcsr(&mut self, m: Mem) {
        self.asm.stmxcsr(ca::dword_ptr(mem(m))).expect("stmxcsr");
    }
}
