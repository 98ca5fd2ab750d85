//! Integer register and immediate operations, multiplication and division.

use super::extension::{saved, Saved};
use super::{Lower, T0, T1, T2};
use isa_a::format::{Shift as ShiftF, ShiftW, I, R, U};
use isa_a::XReg;
use isa_b::{Alu, Cc, Gpr, Mem, Shift, W};

/// How an M-extension division ends when the divisor is 0 (RISC-V defines it; x86 faults).
#[derive(Copy, Clone, PartialEq, Eq)]
pub enum DivKind {
    Div,
    Divu,
    Rem,
    Remu,
}

/// Whether `op` leaves the flags of `test` on its result (CF and OF clear).
fn bitwise(op: Alu) -> bool {
    matches!(op, Alu::And | Alu::Or | Alu::Xor)
}

impl Lower<'_> {
    /// `rd = rs1 op rs2` for an x86 two-operand op at width `w` (32: result sign-extended).
    pub(super) fn alu(&mut self, a: R, op: Alu, w: W) {
        if a.rd.num() == 0 {
            return;
        }
        // rd = rs2 op rs1 when rd is rs2: computed in rd's register, no copy through a scratch.
        let commutes = matches!(op, Alu::Add | Alu::And | Alu::Or | Alu::Xor);
        let a = if commutes && a.rd == a.rs2 {
            R {
                rs1: a.rs2,
                rs2: a.rs1,
                ..a
            }
        } else {
            a
        };
        if matches!(op, Alu::Add | Alu::Or | Alu::Xor) && a.rs1.num() == 0 {
            if w == W::B32 && self.lazy_here() {
                // Nothing observes the upper half (lazy.rs).
                saved(Saved::Lazy);
                return self.copy(a.rd, a.rs2);
            }
            if w == W::B32 && self.copy_extended(a.rd, a.rs2, Saved::Copy) {
                return;
            }
            // mv (c.mv is add rd, zero, rs2): a copy.
            if w == W::B64 {
                return self.copy(a.rd, a.rs2);
            }
            let t = self.target(a.rd, &[]);
            self.read_sx32(a.rs2, t);
            return self.write(a.rd, t);
        }
        if w == W::B64 {
            // A bitwise operation on or with one left unextended: 32 bits (lazy.rs).
            let w = if self.pending(a.rd) || self.pending(a.rs2) {
                W::B32
            } else {
                W::B64
            };
            if self.alu_in_place(a.rd, a.rs1, a.rs2, op, w) {
                return;
            }
        }
        if w == W::B32 && self.lazy_here() && self.alu_in_place(a.rd, a.rs1, a.rs2, op, w) {
            return saved(Saved::LazyInPlace);
        }
        if op == Alu::Add && w == W::B64 && a.rs2.num() != 0 && a.rd != a.rs1 && a.rd != a.rs2 {
            // Three operands: lea.
            let x = self.read(a.rs1, T1);
            let y = self.read(a.rs2, T2);
            let t = self.target(a.rd, &[]);
            self.e.lea(t, Mem::indexed(x, y, 0));
            return self.write(a.rd, t);
        }
        let t = self.target(a.rd, &[a.rs2]);
        self.read_into(a.rs1, t);
        self.alu_operand(op, w, t, a.rs2);
        if w == W::B32 || !self.pending(a.rs1) && !self.pending(a.rs2) {
            self.flags_set(a.rd, w == W::B64 && bitwise(op));
        }
        if w == W::B32 {
            self.extend_result(t);
        }
        self.write(a.rd, t);
    }

    /// `t op= guest r`, from its host register or straight from the `Cpu`.
    fn alu_operand(&mut self, op: Alu, w: W, t: Gpr, r: XReg) {
        if r.num() == 0 {
            self.e.alu_ri(op, w, t, 0);
        } else if let Some(h) = self.host(r) {
            self.e.alu_rr(op, w, t, h);
        } else {
            // A bitwise operation reading one left unextended: its result is too (lazy.rs).
            let w = if self.pending(r) { W::B32 } else { w };
            self.e.alu_rm(op, w, t, crate::abi::x_slot(r.num()));
        }
    }

    pub(super) fn alu_imm(&mut self, a: I, op: Alu, w: W) {
        if a.rd.num() == 0 {
            return;
        }
        if op == Alu::Add && w == W::B32 && a.imm == 0 && self.lazy_here() {
            // sext.w when nothing observes the upper half (lazy.rs).
            saved(Saved::Lazy);
            return self.copy(a.rd, a.rs1);
        }
        if op == Alu::Add
            && w == W::B32
            && a.imm == 0
            && self.copy_extended(a.rd, a.rs1, Saved::Copy)
        {
            // sext.w of an extended value
            return;
        }
        if w == W::B64 && a.rs1.num() != 0 {
            if op == Alu::Add && a.imm == 0 {
                // mv
                return self.copy(a.rd, a.rs1);
            }
            // An `and` with a mask of 0..2047 clears the upper half of one left unextended
            // (lazy.rs): all of its slot is written.
            let w = if op == Alu::And && a.imm >= 0 {
                W::B64
            } else {
                self.slot_width(a.rd)
            };
            if self.alu_imm_in_place(a.rd, a.rs1, op, a.imm, w) {
                return;
            }
        }
        if w == W::B32
            && a.rs1.num() != 0
            && self.lazy_here()
            && self.alu_imm_in_place(a.rd, a.rs1, op, a.imm, w)
        {
            return saved(Saved::LazyInPlace);
        }
        let t = self.target(a.rd, &[]);
        if op == Alu::Add && w == W::B32 && a.imm == 0 && a.rs1.num() != 0 {
            // sext.w
            self.read_sx32(a.rs1, t);
        } else if op == Alu::Add && a.rs1.num() != 0 {
            // lea: one instruction whatever register holds rs1; an add in place when a branch
            // on the result follows and can take its flags (flags.rs).
            let s = self.read(a.rs1, t);
            if s == t && self.zero_tested_next(a.rd) {
                match a.imm.checked_neg().filter(|&n| n > 0) {
                    Some(n) => self.e.alu_ri(Alu::Sub, w, t, n),
                    None => self.e.alu_ri(Alu::Add, w, t, a.imm),
                }
                self.flags_set(a.rd, false);
                if w == W::B32 {
                    self.extend_result(t);
                }
            } else if w == W::B32 {
                self.e.lea32(t, Mem::at(s, a.imm));
                self.extend_result(t);
            } else {
                self.e.lea(t, Mem::at(s, a.imm));
            }
        } else if a.rs1.num() == 0 && w == W::B64 {
            // li: the operation on zero.
            let v = match op {
                Alu::Add | Alu::Or | Alu::Xor => a.imm as i64,
                _ => 0,
            };
            return self.write_imm(a.rd, v as u64);
        } else {
            self.read_into(a.rs1, t);
            self.e.alu_ri(op, w, t, a.imm);
            if w == W::B32 || !self.pending(a.rs1) {
                self.flags_set(a.rd, w == W::B64 && bitwise(op));
            }
            if w == W::B32 {
                self.extend_result(t);
            }
        }
        self.write(a.rd, t);
    }

    /// `slt`/`sltu` and their immediate forms: compare, then 0 or 1.
    pub(super) fn set_less(&mut self, rd: XReg, rs1: XReg, rhs: Result<XReg, i32>, cc: Cc) {
        if rd.num() == 0 {
            return;
        }
        self.compare_operands(rs1, rhs);
        self.e.setcc(cc, T0);
        self.e.zx(W::B8, T0, T0);
        self.write(rd, T0);
    }

    pub(super) fn shift_imm(&mut self, a: ShiftF, op: Shift) {
        if a.rd.num() == 0 {
            return;
        }
        if self.shift_in_place(a.rd, a.rs1, op, a.shamt as u8, W::B64) {
            return;
        }
        let t = self.target(a.rd, &[]);
        self.read_into(a.rs1, t);
        self.e.shift_ri(op, W::B64, t, a.shamt as u8);
        if a.shamt != 0 {
            self.flags_set(a.rd, false);
        }
        self.write(a.rd, t);
    }

    pub(super) fn shift_imm_w(&mut self, a: ShiftW, op: Shift) {
        if a.rd.num() == 0 {
            return;
        }
        // slliw, srliw by 0 (lazy.rs never leaves the others unextended).
        if self.lazy_here() && self.shift_in_place(a.rd, a.rs1, op, a.shamt as u8, W::B32) {
            return saved(Saved::LazyInPlace);
        }
        let t = self.target(a.rd, &[]);
        match op {
            // Sign-extended first, the 64-bit shift gives the sign-extended result.
            Shift::Sar => {
                let s = self.read(a.rs1, t);
                if self.extended(a.rs1) {
                    if s != t {
                        self.e.mov_rr(W::B64, t, s);
                    }
                    saved(Saved::Sraiw);
                } else {
                    self.e.sx(W::B32, t, s);
                }
                self.e.shift_ri(Shift::Sar, W::B64, t, a.shamt as u8);
            }
            // Bit 31 of the result is clear: x86's zero extension is the sign extension.
            Shift::Shr if a.shamt > 0 => {
                self.read_into(a.rs1, t);
                self.e.shift_ri(Shift::Shr, W::B32, t, a.shamt as u8);
                self.flags_set(a.rd, false);
            }
            _ => {
                self.read_into(a.rs1, t);
                self.e.shift_ri(op, W::B32, t, a.shamt as u8);
                self.extend_result(t);
            }
        }
        self.write(a.rd, t);
    }

    /// Shift by a register: the amount in cl, which the host masks as RISC-V does; with
    /// BMI2, in any register, into a destination apart from the source (`shlx` …).
    pub(super) fn shift_reg(&mut self, a: R, op: Shift, w: W) {
        if a.rd.num() == 0 {
            return;
        }
        let t = if self.plan.host.bmi2 {
            // A source not in a register is loaded into a scratch, never into rd's register,
            // which may hold the other.
            let n = self.read(a.rs2, T1);
            let s = self.read(a.rs1, T0);
            let t = self.target(a.rd, &[]);
            self.e.shiftx(op, w, t, s, n);
            t
        } else {
            self.read_into(a.rs2, T1);
            let t = self.target(a.rd, &[]);
            self.read_into(a.rs1, t);
            self.e.shift_cl(op, w, t);
            t
        };
        if w == W::B32 {
            self.extend_result(t);
        }
        self.write(a.rd, t);
    }

    pub(super) fn lui(&mut self, a: U) {
        self.write_imm(a.rd, a.imm as i64 as u64);
    }

    pub(super) fn auipc(&mut self, a: U) {
        self.write_imm(a.rd, self.cur.pc.wrapping_add(a.imm as i64 as u64));
    }

    /// `mul`/`mulw`: the low half.
    pub(super) fn mul(&mut self, a: R, w: W) {
        if a.rd.num() == 0 {
            return;
        }
        // rd = rs2 op rs1 when rd is rs2: computed in rd's register, no copy through a scratch.
        let a = if a.rd == a.rs2 {
            R {
                rs1: a.rs2,
                rs2: a.rs1,
                ..a
            }
        } else {
            a
        };
        let t = self.target(a.rd, &[a.rs2]);
        self.read_into(a.rs1, t);
        let y = self.read(a.rs2, T1);
        self.e.imul_rr(w, t, y);
        if w == W::B32 {
            self.extend_result(t);
        }
        self.write(a.rd, t);
    }

    /// The high half: signed × signed, unsigned × unsigned, or signed × unsigned.
    pub(super) fn mul_high(&mut self, a: R, signed1: bool, signed2: bool) {
        if a.rd.num() == 0 {
            return;
        }
        if self.plan.host.bmi2 && !signed1 && !signed2 {
            // rs1 in rdx, rs2 where it is; the high half straight into rd's register.
            let s = self.read(a.rs2, T1);
            self.read_into(a.rs1, T2);
            let t = self.target(a.rd, &[]);
            self.e.mulx_high(t, s);
            return self.write(a.rd, t);
        }
        self.read_into(a.rs2, T1);
        self.read_into(a.rs1, T0);
        if signed1 && signed2 {
            self.e.imul1(W::B64, T1);
        } else {
            self.e.mul(W::B64, T1);
            if signed1 {
                // mulhsu = mulhu - (rs1 < 0 ? rs2 : 0)
                self.read_into(a.rs1, T0);
                self.e.shift_ri(Shift::Sar, W::B64, T0, 63);
                self.e.alu_rr(Alu::And, W::B64, T0, T1);
                self.e.alu_rr(Alu::Sub, W::B64, T2, T0);
            }
        }
        self.write(a.rd, T2);
    }

    /// Division with RISC-V's results for a zero divisor and for MIN / -1; the host's `div`
    /// never sees either, so it never raises #DE.
    pub(super) fn divide(&mut self, a: R, kind: DivKind, w: W) {
        if a.rd.num() == 0 {
            return;
        }
        self.read_into(a.rs2, T1);
        self.read_into(a.rs1, T0);
        let (zero, done) = (self.e.label(), self.e.label());
        self.e.alu_rr(Alu::Test, w, T1, T1);
        self.e.jcc(Cc::E, zero);
        let signed = matches!(kind, DivKind::Div | DivKind::Rem);
        let quotient = matches!(kind, DivKind::Div | DivKind::Divu);
        if signed {
            let normal = self.e.label();
            self.e.alu_ri(Alu::Cmp, w, T1, -1);
            self.e.jcc(Cc::Ne, normal);
            // x / -1 = -x (wrapping: MIN stays MIN), x % -1 = 0.
            if quotient {
                self.e.mov_ri(T2, 0);
                self.e.alu_rr(Alu::Sub, w, T2, T0);
                self.e.mov_rr(W::B64, T0, T2);
            } else {
                self.e.mov_ri(T2, 0);
            }
            self.e.jmp(done);
            let mut normal = normal;
            self.e.bind(&mut normal);
            self.e.sign_extend_rax(w);
            self.e.idiv(w, T1);
        } else {
            self.e.mov_ri(T2, 0);
            self.e.div(w, T1);
        }
        self.e.jmp(done);
        let mut zero = zero;
        self.e.bind(&mut zero);
        if quotient {
            self.e.mov_ri(T0, -1);
        } else {
            self.e.mov_rr(W::B64, T2, T0);
        }
        let mut done = done;
        self.e.bind(&mut done);
        let r = if quotient { T0 } else { T2 };
        if w == W::B32 {
            self.e.sx(W::B32, r, r);
        }
        self.write(a.rd, r);
    }
}
