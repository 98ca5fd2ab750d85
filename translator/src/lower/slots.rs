//! Guest registers that live in their `Cpu` slots: operating on them there.
//!
//! When a block has more live guest registers than host registers, the rest stay in their
//! slots (`[rbp+off]`, see alloc.rs). The general lowering computes in a scratch register:
//! load, operate, store. x86 can often do with one instruction that names the slot:
//!
//! ```text
//!   mv   m, r          mov [m], r                   (from a slot: one scratch, load, store)
//!   addi m, m, imm     add qword [m], imm           andi/ori/xori too
//!   add  m, m, r       add [m], r                   sub/and/or/xor; r from a slot via rcx
//!   slli m, m, n       shl qword [m], n             srli/srai too
//!   addw m, m, r       add dword [m], r             subw, addiw, slliw: when nothing observes
//!                                                   the upper half (lazy.rs)
//!   sext.w d, m        movsxd d, dword [m]
//!   beq  m, r, L       cmp [m], r                   cmp r, [m]; cmp qword [m], imm; both in
//!                                                   slots: one load, cmp rcx, [m2]
//! ```
//!
//! The in-place forms set the host flags where the general ones (lea) might not; nothing in
//! the lowering keeps flags across a guest ALU instruction (a fused compare and branch writes
//! its `slt` result with `set_less`, which stores and does not compute).

use super::{Lower, T1, T2};
use crate::abi;
use isa_a::XReg;
use isa_b::{Alu, Gpr, Mem, Shift, W};

impl Lower<'_> {
    /// Guest `r`'s slot when the allocation leaves it there (never for x0).
    pub(super) fn slot(&self, r: XReg) -> Option<Mem> {
        (r.num() != 0 && self.host(r).is_none()).then(|| abi::x_slot(r.num()))
    }

    /// `rd = rs`: into rd's register, or stored straight from rs's (through a scratch
    /// only when both live in slots).
    pub(super) fn copy(&mut self, rd: XReg, rs: XReg) {
        if rs.num() == 0 {
            return self.write_imm(rd, 0);
        }
        if rd == rs {
            return;
        }
        let t = self.target(rd, &[]);
        let s = self.read(rs, t);
        self.write(rd, s);
    }

    /// `d = r` sign-extended from its low 32 bits, loaded so from a slot.
    pub(super) fn read_sx32(&mut self, r: XReg, d: Gpr) {
        match self.slot(r) {
            Some(m) => self.e.load_sx(W::B32, d, m),
            None => {
                let s = self.read(r, d);
                self.e.sx(W::B32, d, s);
            }
        }
    }

    /// `rd op= rs2` (`w` bits) on rd's slot; false (nothing emitted) unless rd is rs1 and
    /// lives in a slot.
    pub(super) fn alu_in_place(&mut self, rd: XReg, rs1: XReg, rs2: XReg, op: Alu, w: W) -> bool {
        let Some(m) = self.slot(rd).filter(|_| rd == rs1 && rs2.num() != 0) else {
            return false;
        };
        let s = self.read(rs2, T1);
        self.e.alu_mr(op, w, m, s);
        true
    }

    /// `rd op= imm` (`w` bits) on rd's slot; false unless rd is rs1 and lives in a slot.
    pub(super) fn alu_imm_in_place(
        &mut self,
        rd: XReg,
        rs1: XReg,
        op: Alu,
        imm: i32,
        w: W,
    ) -> bool {
        let Some(m) = self.slot(rd).filter(|_| rd == rs1) else {
            return false;
        };
        // x + 0, x | 0, x ^ 0: nothing changes.
        if imm != 0 || op == Alu::And {
            self.e.alu_mi(op, w, m, imm);
        }
        true
    }

    /// `rd = rd op n` (`w` bits) on rd's slot; false unless rd is rs1 and lives in a slot.
    pub(super) fn shift_in_place(&mut self, rd: XReg, rs1: XReg, op: Shift, n: u8, w: W) -> bool {
        let Some(m) = self.slot(rd).filter(|_| rd == rs1) else {
            return false;
        };
        if n != 0 {
            self.e.shift_mi(op, w, m, n);
        }
        true
    }

    /// Sets the flags for `x` compared with `y` (a register or an immediate), 64 bits, with
    /// at most one load: an operand in a slot is compared from memory.
    pub(super) fn compare_operands(&mut self, x: XReg, y: Result<XReg, i32>) {
        let y = match y {
            Ok(r) if r.num() == 0 => Err(0),
            y => y,
        };
        match (self.slot(x), y) {
            (Some(m), Err(imm)) => self.e.alu_mi(Alu::Cmp, W::B64, m, imm),
            (Some(m), Ok(r)) if self.host(r).is_some() => {
                let h = self.read(r, T2);
                self.e.alu_mr(Alu::Cmp, W::B64, m, h);
            }
            (_, Err(0)) => {
                // The flags of `cmp s, 0`, shorter.
                let s = self.read(x, T1);
                self.e.alu_rr(Alu::Test, W::B64, s, s);
            }
            (_, Err(imm)) => {
                let s = self.read(x, T1);
                self.e.alu_ri(Alu::Cmp, W::B64, s, imm);
            }
            (_, Ok(r)) => {
                let s = self.read(x, T1);
                match self.slot(r) {
                    Some(m) => self.e.alu_rm(Alu::Cmp, W::B64, s, m),
                    None => {
                        let h = self.read(r, T2);
                        self.e.alu_rr(Alu::Cmp, W::B64, s, h);
                    }
                }
            }
        }
    }
}
