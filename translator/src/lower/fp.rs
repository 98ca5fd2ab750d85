//! Floating-point comparisons, conversions, sign injection, loads, stores and moves of both
//! precisions on the host's SSE unit, where its results and flags are those RISC-V defines;
//! the rest through the helper. The arithmetic is fp_arith.rs's; singles' own pieces
//! (NaN-boxing, their conversions and moves) are in fp_s.rs.
//!
//! ```text
//!   MXCSR while translated code runs: rounding = frm (valid: 0..=3, else the dispatcher
//!   interprets), exceptions masked, flags accumulating → folded into fflags at every exit,
//!   helper call and FP CSR access (abi::fold_mxcsr, csr_op).
//!   a conversion's result in xmm0 ──NaN?──▶ helper redoes the instruction (RISC-V's
//!                        canonical NaN); the Cpu's fd untouched until then
//! ```
//!
//! A rounding mode fixed in the instruction other than `dyn` (and `rtz` for conversions to
//! integers, which `cvttsd2si` does) goes to the helper.

use super::{Lower, T0, T1, T2};
use crate::abi;
use isa_a::format::{FCmp, FLoad, FMvX, FStore, FToX, XMvF, XToF, FR};
use isa_a::{FReg, Rm};
use isa_b::{Alu, Cc, Label, Mem, Xmm, W};
use std::mem::offset_of;

pub(super) fn f_slot(r: FReg) -> Mem {
    Mem::at(abi::CPU, (offset_of!(isa_a::Cpu, f) + 8 * r.num()) as i32)
}

pub use isa_b::Prec;

/// How `fsgnj*` picks the sign.
#[derive(Copy, Clone, PartialEq, Eq)]
pub enum Sign {
    Copy,
    Negate,
    Xor,
}

impl Lower<'_> {
    /// `d` holds the result for `rd` in precision `p`: a NaN goes to `slow` (the helper),
    /// anything else is stored (a single NaN-boxed).
    pub(super) fn fp_result(&mut self, rd: FReg, d: Xmm, p: Prec, slow: Label) {
        self.e.is_nan(p, d);
        self.e.jcc(Cc::P, slow);
        match p {
            Prec::S => self.store_boxed(rd),
            Prec::D => self.fwrite_x(rd, d),
        }
    }

    /// `feq` (quiet: NV only for a signalling NaN, as `ucomisd`), `flt`/`fle` (signalling:
    /// NV for any NaN, as `comisd`); unordered compares false. A single not NaN-boxed goes to
    /// the helper.
    pub(super) fn fcmp(&mut self, a: FCmp, cc: Cc, p: Prec) {
        let slow = self.e.label();
        if let Prec::S = p {
            self.boxed(&[a.rs1, a.rs2], slow);
        }
        self.e.mov_ri(T0, 0);
        if cc == Cc::E {
            self.e.mov_ri(T1, 0);
            let x = self.fread(a.rs1, Xmm::X0);
            let y = self.fsrc(a.rs2);
            self.e.compare_f(p, false, x, y);
            self.e.setcc(Cc::E, T0);
            self.e.setcc(Cc::Np, T1);
            self.e.alu_rr(Alu::And, W::B32, T0, T1);
        } else {
            // rs2 > rs1 (above) or rs2 >= rs1: CF=1 when unordered, so both are false then.
            let y = self.fread(a.rs2, Xmm::X0);
            let x = self.fsrc(a.rs1);
            self.e.compare_f(p, true, y, x);
            self.e.setcc(cc, T0);
        }
        self.write(a.rd, T0);
        if let Prec::S = p {
            self.resume_after(slow);
        }
    }

    /// `fcvt.{w,l}.{s,d}`: out of range and NaN give x86's indefinite (the minimum), which
    /// the helper redoes with RISC-V's saturation; so does a true minimum, harmlessly.
    pub(super) fn fcvt_int(&mut self, a: FToX, w: W, p: Prec) {
        let truncate = match a.rm {
            Rm::Rtz => true,
            Rm::Dyn => false,
            _ => return self.helper(),
        };
        let slow = self.e.label();
        if let Prec::S = p {
            self.boxed(&[a.rs1], slow);
        }
        let x = self.fsrc(a.rs1);
        self.e.cvt_f_int(p, w, truncate, T0, x);
        // x - 1 overflows only for the minimum.
        self.e.alu_ri(Alu::Cmp, w, T0, 1);
        self.e.jcc(Cc::O, slow);
        if w == W::B32 {
            self.e.sx(W::B32, T0, T0);
        }
        self.write(a.rd, T0);
        self.resume_after(slow);
    }

    /// `fcvt.d.{w,wu,l}`: 32-bit sources are exact whatever the rounding mode.
    pub(super) fn fcvt_d_int(&mut self, a: XToF, w: W, signed: bool) {
        if w == W::B64 && a.rm != Rm::Dyn {
            return self.helper();
        }
        let s = self.read(a.rs1, T0);
        let w = if signed {
            w
        } else {
            // Zero-extended, converted as a (positive) 64-bit integer.
            self.e.mov_rr(W::B32, T0, s);
            W::B64
        };
        let s = if signed { s } else { T0 };
        self.e.cvt_int_f(Prec::D, w, Xmm::X0, s);
        self.fwrite_x0(a.rd);
    }

    pub(super) fn fmv_x_d(&mut self, a: FMvX) {
        let t = self.target(a.rd, &[]);
        self.fbits(t, a.rs1, Prec::D);
        self.write(a.rd, t);
    }

    pub(super) fn fmv_d_x(&mut self, a: XMvF) {
        let s = self.read(a.rs1, T0);
        self.fwrite_gpr(a.rd, s);
    }

    /// `fsgnj*`: integer bit operations on the register images (the low halves for singles,
    /// which must be NaN-boxed, else the helper).
    pub(super) fn fsgnj(&mut self, a: FR, sign: Sign, p: Prec) {
        if (p, sign) == (Prec::D, Sign::Copy) && a.rs1 == a.rs2 {
            return self.fmv_d(a.rd, a.rs1);
        }
        let slow = self.e.label();
        let (w, sign_bit) = match p {
            Prec::S => {
                self.boxed(&[a.rs1, a.rs2], slow);
                (W::B32, 0x8000_0000)
            }
            Prec::D => (W::B64, i64::MIN),
        };
        self.fbits(T0, a.rs1, p);
        self.fbits(T1, a.rs2, p);
        self.e.mov_ri(T2, sign_bit);
        match sign {
            // rs1 ^ ((rs1 ^ sign) & S)
            Sign::Copy | Sign::Negate => {
                if sign == Sign::Negate {
                    self.e.alu_rr(Alu::Xor, w, T1, T2);
                }
                self.e.alu_rr(Alu::Xor, w, T1, T0);
                self.e.alu_rr(Alu::And, w, T1, T2);
            }
            Sign::Xor => self.e.alu_rr(Alu::And, w, T1, T2),
        }
        self.e.alu_rr(Alu::Xor, w, T0, T1);
        match p {
            Prec::S => {
                self.fwrite_single(a.rd, T0);
                self.resume_after(slow);
            }
            Prec::D => self.fwrite_gpr(a.rd, T0),
        }
    }

    /// `fmv.d rd, rs`: a register copy.
    fn fmv_d(&mut self, rd: FReg, rs: FReg) {
        match self.alloc.ra.fregs[rd.num()] {
            Some(m) => self.fload_dest(m, rs),
            None => {
                self.fbits(T0, rs, Prec::D);
                self.fwrite_gpr(rd, T0);
            }
        }
    }

    /// `fld`/`flw`: through the integer load path into a scratch register; singles are
    /// NaN-boxed.
    pub(super) fn fload(&mut self, a: FLoad, w: W) {
        let resume = self.checked_address(a.rs1, a.imm);
        if let (W::B64, Some(m)) = (w, self.alloc.ra.fregs[a.rd.num()]) {
            self.access_here(false);
            self.e.load_f(Prec::D, m, self.guest_mem());
            self.resume_at(resume);
            return;
        }
        self.access_here(false);
        self.e.load(w, T1, self.guest_mem());
        if w == W::B32 {
            self.e.mov_ri(T0, 0xffff_ffff_0000_0000u64 as i64);
            self.e.alu_rr(Alu::Or, W::B64, T1, T0);
        }
        self.fwrite_gpr(a.rd, T1);
        self.resume_at(resume);
    }

    pub(super) fn fstore(&mut self, a: FStore, w: W) {
        let resume = self.checked_address(a.rs1, a.imm);
        let p = if w == W::B64 { Prec::D } else { Prec::S };
        match self.fsrc(a.rs2) {
            isa_b::FSrc::Reg(m) => {
                self.access_here(true);
                self.e.store_f(p, self.guest_mem(), m);
            }
            isa_b::FSrc::Mem(slot) => {
                self.e.load(w, T1, slot);
                self.access_here(true);
                self.e.store(w, self.guest_mem(), T1);
            }
        }
        self.resume_at(resume);
    }
}

/// How a CSR instruction forms the new value.
#[derive(Copy, Clone, PartialEq, Eq)]
pub enum CsrOp {
    Write,
    Set,
    Clear,
}

use isa_a::csr::{FCSR, FFLAGS, FRM};

/// MXCSR's low byte (its exception flags, and DE, DAZ and a mask bit, ignored) → RISC-V
/// fflags, as [`abi::fold_mxcsr`] maps them.
static FLAG_MAP: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let m = [(0, 4), (2, 3), (3, 2), (4, 1), (5, 0)];
        let mut j = 0;
        while j < m.len() {
            t[i] |= (((i >> m[j].0) & 1) << m[j].1) as u8;
            j += 1;
        }
        i += 1;
    }
    t
};

/// A scratch slot in the frame for MXCSR.
const MXCSR_SLOT: Mem = Mem::at(isa_b::Gpr::Rsp, 16);

impl Lower<'_> {
    /// `csrrw`/`csrrs`/`csrrc` and their immediate forms: natively when they only touch
    /// fflags or only read frm/fcsr (frflags, fsflags, frcsr: glibc brackets inlined sqrt
    /// with them), else through the helper. `operand` is rs1 or the immediate.
    ///
    /// A read ORs MXCSR's flags with fcsr's and leaves both as they are; a write folds them
    /// into fcsr (an OR, so folding twice is harmless) but never clears MXCSR's here: `ldmxcsr` waits for every FP operation in flight, and in a loop around
    /// `sqrt` that cost two thirds of the time. A write that would leave a folded flag behind
    /// in MXCSR, where the next fold would bring it back, goes to the helper instead, which
    /// clears MXCSR.
    pub(super) fn csr_op(
        &mut self,
        rd: isa_a::XReg,
        csr: u32,
        op: CsrOp,
        operand: Result<isa_a::XReg, u32>,
    ) {
        let writes = match operand {
            Ok(r) => op == CsrOp::Write || r.num() != 0,
            Err(imm) => op == CsrOp::Write || imm != 0,
        };
        let native = csr == FFLAGS || (matches!(csr, FRM | FCSR) && !writes);
        if !native {
            return self.csr();
        }
        // T0 = the flags MXCSR holds, as fflags bits.
        self.e.stmxcsr(MXCSR_SLOT);
        self.e.load(W::B8, T0, MXCSR_SLOT);
        self.e.mov_ri(T1, FLAG_MAP.as_ptr() as i64);
        self.e.load(W::B8, T0, Mem::indexed(T1, T0, 0));
        if writes {
            // T1 = the flags operand; a write or a clear must keep every MXCSR flag.
            match operand {
                Ok(r) => self.read_into(r, T1),
                Err(imm) => self.e.mov_ri(T1, imm as i64),
            }
            self.e.alu_ri(Alu::And, W::B32, T1, 0x1f);
            let kept = match op {
                CsrOp::Write => Some(true),
                CsrOp::Clear => Some(false),
                CsrOp::Set => None,
            };
            if let Some(kept) = kept {
                self.e.mov_rr(W::B32, T2, T1);
                if kept {
                    self.e.alu_ri(Alu::Xor, W::B32, T2, 0x1f);
                }
                self.e.alu_rr(Alu::Test, W::B32, T2, T0);
                let slow = self.e.label();
                self.e.jcc(Cc::Ne, slow);
                // The helper does the whole instruction and resumes after it.
                let mut resume = self.slow_path(slow);
                self.fp_csr_fast(rd, csr, op, true);
                self.e.bind(&mut resume);
                return;
            }
        }
        self.fp_csr_fast(rd, csr, op, writes);
    }

    /// The native part of [`Self::csr_op`]: T0 holds MXCSR's flags, T1 the operand.
    fn fp_csr_fast(&mut self, rd: isa_a::XReg, csr: u32, op: CsrOp, writes: bool) {
        // fflags as the guest sees it; fcsr need not hold it (a read changes nothing, and a
        // write stores all of fcsr below).
        let fcsr = abi::fcsr_slot();
        self.e.alu_rm(Alu::Or, W::B32, T0, fcsr);
        if writes {
            // csr is fflags: the new flags from T1, merged.
            self.e.mov_rr(W::B32, T2, T0);
            match op {
                CsrOp::Write => {
                    self.e.alu_ri(Alu::And, W::B32, T2, !0x1f);
                    self.e.alu_rr(Alu::Or, W::B32, T2, T1);
                }
                CsrOp::Set => self.e.alu_rr(Alu::Or, W::B32, T2, T1),
                CsrOp::Clear => {
                    self.e.alu_ri(Alu::Xor, W::B32, T1, 0x1f);
                    self.e.alu_ri(Alu::Or, W::B32, T1, !0x1f);
                    self.e.alu_rr(Alu::And, W::B32, T2, T1);
                }
            }
            self.e.store(W::B32, fcsr, T2);
        }
        match csr {
            FFLAGS => self.e.alu_ri(Alu::And, W::B32, T0, 0x1f),
            FRM => {
                self.e.shift_ri(isa_b::Shift::Shr, W::B32, T0, 5);
                self.e.alu_ri(Alu::And, W::B32, T0, 7);
            }
            _ => self.e.alu_ri(Alu::And, W::B32, T0, 0xff),
        }
        self.write(rd, T0);
    }
}
