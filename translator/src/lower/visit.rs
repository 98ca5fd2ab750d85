//! The lowering as a [`Visitor`]: one line per instruction. Whatever is not lowered natively
//! (conversions between FP and unsigned integers, CSRs other than the FP ones) runs through
//! the interpreter's helper: exact by construction.

use super::alu::DivKind;
use super::amo::Rmw;
use super::fp::{CsrOp, Prec, Sign};
use super::mem::Width;
use super::Lower;
use crate::abi::Reason;
use isa_a::format::*;
use isa_a::Visitor;
use isa_b::{Alu, Cc, Fma, Shift as Sh, Sse, W};

#[rustfmt::skip]
impl Visitor for Lower<'_> {
    type Out = ();

    fn lui(&mut self, a: U) { self.lui(a) }
    fn auipc(&mut self, a: U) { self.auipc(a) }
    fn jal(&mut self, a: J) { self.jal(a) }
    fn jalr(&mut self, a: Load) { self.jalr(a) }
    fn beq(&mut self, a: B) { self.branch(a, Cc::E) }
    fn bne(&mut self, a: B) { self.branch(a, Cc::Ne) }
    fn blt(&mut self, a: B) { self.branch(a, Cc::L) }
    fn bge(&mut self, a: B) { self.branch(a, Cc::Ge) }
    fn bltu(&mut self, a: B) { self.branch(a, Cc::B) }
    fn bgeu(&mut self, a: B) { self.branch(a, Cc::Ae) }
    fn lb(&mut self, a: Load) { self.load(a, Width { w: W::B8, signed: true }) }
    fn lh(&mut self, a: Load) { self.load(a, Width { w: W::B16, signed: true }) }
    fn lw(&mut self, a: Load) { self.load(a, Width { w: W::B32, signed: true }) }
    fn ld(&mut self, a: Load) { self.load(a, Width { w: W::B64, signed: true }) }
    fn lbu(&mut self, a: Load) { self.load(a, Width { w: W::B8, signed: false }) }
    fn lhu(&mut self, a: Load) { self.load(a, Width { w: W::B16, signed: false }) }
    fn lwu(&mut self, a: Load) { self.load(a, Width { w: W::B32, signed: false }) }
    fn sb(&mut self, a: Store) { self.store(a, W::B8) }
    fn sh(&mut self, a: Store) { self.store(a, W::B16) }
    fn sw(&mut self, a: Store) { self.store(a, W::B32) }
    fn sd(&mut self, a: Store) { self.store(a, W::B64) }
    fn addi(&mut self, a: I) { self.alu_imm(a, Alu::Add, W::B64) }
    fn slti(&mut self, a: I) { self.set_less(a.rd, a.rs1, Err(a.imm), Cc::L) }
    fn sltiu(&mut self, a: I) { self.set_less(a.rd, a.rs1, Err(a.imm), Cc::B) }
    fn xori(&mut self, a: I) { self.alu_imm(a, Alu::Xor, W::B64) }
    fn ori(&mut self, a: I) { self.alu_imm(a, Alu::Or, W::B64) }
    fn andi(&mut self, a: I) { self.alu_imm(a, Alu::And, W::B64) }
    fn slli(&mut self, a: Shift) { self.shift_imm(a, Sh::Shl) }
    fn srli(&mut self, a: Shift) { self.shift_imm(a, Sh::Shr) }
    fn srai(&mut self, a: Shift) { self.shift_imm(a, Sh::Sar) }
    fn add(&mut self, a: R) { self.alu(a, Alu::Add, W::B64) }
    fn sub(&mut self, a: R) { self.alu(a, Alu::Sub, W::B64) }
    fn sll(&mut self, a: R) { self.shift_reg(a, Sh::Shl, W::B64) }
    fn slt(&mut self, a: R) { self.set_less(a.rd, a.rs1, Ok(a.rs2), Cc::L) }
    fn sltu(&mut self, a: R) { self.set_less(a.rd, a.rs1, Ok(a.rs2), Cc::B) }
    fn xor(&mut self, a: R) { self.alu(a, Alu::Xor, W::B64) }
    fn srl(&mut self, a: R) { self.shift_reg(a, Sh::Shr, W::B64) }
    fn sra(&mut self, a: R) { self.shift_reg(a, Sh::Sar, W::B64) }
    fn or(&mut self, a: R) { self.alu(a, Alu::Or, W::B64) }
    fn and(&mut self, a: R) { self.alu(a, Alu::And, W::B64) }
    fn addiw(&mut self, a: I) { self.alu_imm(a, Alu::Add, W::B32) }
    fn slliw(&mut self, a: ShiftW) { self.shift_imm_w(a, Sh::Shl) }
    fn srliw(&mut self, a: ShiftW) { self.shift_imm_w(a, Sh::Shr) }
    fn sraiw(&mut self, a: ShiftW) { self.shift_imm_w(a, Sh::Sar) }
    fn addw(&mut self, a: R) { self.alu(a, Alu::Add, W::B32) }
    fn subw(&mut self, a: R) { self.alu(a, Alu::Sub, W::B32) }
    fn sllw(&mut self, a: R) { self.shift_reg(a, Sh::Shl, W::B32) }
    fn srlw(&mut self, a: R) { self.shift_reg(a, Sh::Shr, W::B32) }
    fn sraw(&mut self, a: R) { self.shift_reg(a, Sh::Sar, W::B32) }
    fn fence(&mut self, _: Fence) { {} }
    fn ecall(&mut self, _: Nullary) { self.system(Reason::Ecall) }
    fn ebreak(&mut self, _: Nullary) { self.system(Reason::Ebreak) }
    fn fence_i(&mut self, _: Nullary) { self.fence_i() }
    fn csrrw(&mut self, a: Csr) { self.csr_op(a.rd, a.csr, CsrOp::Write, Ok(a.rs1)) }
    fn csrrs(&mut self, a: Csr) { self.csr_op(a.rd, a.csr, CsrOp::Set, Ok(a.rs1)) }
    fn csrrc(&mut self, a: Csr) { self.csr_op(a.rd, a.csr, CsrOp::Clear, Ok(a.rs1)) }
    fn csrrwi(&mut self, a: CsrI) { self.csr_op(a.rd, a.csr, CsrOp::Write, Err(a.uimm)) }
    fn csrrsi(&mut self, a: CsrI) { self.csr_op(a.rd, a.csr, CsrOp::Set, Err(a.uimm)) }
    fn csrrci(&mut self, a: CsrI) { self.csr_op(a.rd, a.csr, CsrOp::Clear, Err(a.uimm)) }
    fn mul(&mut self, a: R) { self.mul(a, W::B64) }
    fn mulh(&mut self, a: R) { self.mul_high(a, true, true) }
    fn mulhsu(&mut self, a: R) { self.mul_high(a, true, false) }
    fn mulhu(&mut self, a: R) { self.mul_high(a, false, false) }
    fn div(&mut self, a: R) { self.divide(a, DivKind::Div, W::B64) }
    fn divu(&mut self, a: R) { self.divide(a, DivKind::Divu, W::B64) }
    fn rem(&mut self, a: R) { self.divide(a, DivKind::Rem, W::B64) }
    fn remu(&mut self, a: R) { self.divide(a, DivKind::Remu, W::B64) }
    fn mulw(&mut self, a: R) { self.mul(a, W::B32) }
    fn divw(&mut self, a: R) { self.divide(a, DivKind::Div, W::B32) }
    fn divuw(&mut self, a: R) { self.divide(a, DivKind::Divu, W::B32) }
    fn remw(&mut self, a: R) { self.divide(a, DivKind::Rem, W::B32) }
    fn remuw(&mut self, a: R) { self.divide(a, DivKind::Remu, W::B32) }
    fn lr_w(&mut self, a: Lr) { self.lr(a, 32) }
    fn sc_w(&mut self, a: Amo) { self.sc(a, 32) }
    fn amoswap_w(&mut self, a: Amo) { self.amo(a, Rmw::Swap, 32) }
    fn amoadd_w(&mut self, a: Amo) { self.amo(a, Rmw::Add, 32) }
    fn amoxor_w(&mut self, a: Amo) { self.amo(a, Rmw::Xor, 32) }
    fn amoand_w(&mut self, a: Amo) { self.amo(a, Rmw::And, 32) }
    fn amoor_w(&mut self, a: Amo) { self.amo(a, Rmw::Or, 32) }
    fn amomin_w(&mut self, a: Amo) { self.amo(a, Rmw::Min, 32) }
    fn amomax_w(&mut self, a: Amo) { self.amo(a, Rmw::Max, 32) }
    fn amominu_w(&mut self, a: Amo) { self.amo(a, Rmw::Minu, 32) }
    fn amomaxu_w(&mut self, a: Amo) { self.amo(a, Rmw::Maxu, 32) }
    fn lr_d(&mut self, a: Lr) { self.lr(a, 64) }
    fn sc_d(&mut self, a: Amo) { self.sc(a, 64) }
    fn amoswap_d(&mut self, a: Amo) { self.amo(a, Rmw::Swap, 64) }
    fn amoadd_d(&mut self, a: Amo) { self.amo(a, Rmw::Add, 64) }
    fn amoxor_d(&mut self, a: Amo) { self.amo(a, Rmw::Xor, 64) }
    fn amoand_d(&mut self, a: Amo) { self.amo(a, Rmw::And, 64) }
    fn amoor_d(&mut self, a: Amo) { self.amo(a, Rmw::Or, 64) }
    fn amomin_d(&mut self, a: Amo) { self.amo(a, Rmw::Min, 64) }
    fn amomax_d(&mut self, a: Amo) { self.amo(a, Rmw::Max, 64) }
    fn amominu_d(&mut self, a: Amo) { self.amo(a, Rmw::Minu, 64) }
    fn amomaxu_d(&mut self, a: Amo) { self.amo(a, Rmw::Maxu, 64) }
    fn flw(&mut self, a: FLoad) { self.fload(a, W::B32) }
    fn fsw(&mut self, a: FStore) { self.fstore(a, W::B32) }
    fn fmadd_s(&mut self, a: R4) { self.fma(a, Fma::MulAdd, Prec::S) }
    fn fmsub_s(&mut self, a: R4) { self.fma(a, Fma::MulSub, Prec::S) }
    fn fnmsub_s(&mut self, a: R4) { self.fma(a, Fma::NegMulAdd, Prec::S) }
    fn fnmadd_s(&mut self, a: R4) { self.fma(a, Fma::NegMulSub, Prec::S) }
    fn fadd_s(&mut self, a: FRrm) { self.fop(a, Sse::Add, Prec::S) }
    fn fsub_s(&mut self, a: FRrm) { self.fop(a, Sse::Sub, Prec::S) }
    fn fmul_s(&mut self, a: FRrm) { self.fop(a, Sse::Mul, Prec::S) }
    fn fdiv_s(&mut self, a: FRrm) { self.fop(a, Sse::Div, Prec::S) }
    fn fsqrt_s(&mut self, a: F1rm) { self.fsqrt(a, Prec::S) }
    fn fsgnj_s(&mut self, a: FR) { self.fsgnj(a, Sign::Copy, Prec::S) }
    fn fsgnjn_s(&mut self, a: FR) { self.fsgnj(a, Sign::Negate, Prec::S) }
    fn fsgnjx_s(&mut self, a: FR) { self.fsgnj(a, Sign::Xor, Prec::S) }
    fn fmin_s(&mut self, a: FR) { self.fminmax(a, Prec::S, false) }
    fn fmax_s(&mut self, a: FR) { self.fminmax(a, Prec::S, true) }
    fn fcvt_w_s(&mut self, a: FToX) { self.fcvt_int(a, W::B32, Prec::S) }
    fn fcvt_wu_s(&mut self, _: FToX) { self.helper() }
    fn fcvt_l_s(&mut self, a: FToX) { self.fcvt_int(a, W::B64, Prec::S) }
    fn fcvt_lu_s(&mut self, _: FToX) { self.helper() }
    fn fmv_x_w(&mut self, a: FMvX) { self.fmv_x_w(a) }
    fn feq_s(&mut self, a: FCmp) { self.fcmp(a, Cc::E, Prec::S) }
    fn flt_s(&mut self, a: FCmp) { self.fcmp(a, Cc::A, Prec::S) }
    fn fle_s(&mut self, a: FCmp) { self.fcmp(a, Cc::Ae, Prec::S) }
    fn fclass_s(&mut self, a: FMvX) { self.fclass(a, Prec::S) }
    fn fcvt_s_w(&mut self, a: XToF) { self.fcvt_s_int(a, W::B32, true) }
    fn fcvt_s_wu(&mut self, a: XToF) { self.fcvt_s_int(a, W::B32, false) }
    fn fcvt_s_l(&mut self, a: XToF) { self.fcvt_s_int(a, W::B64, true) }
    fn fcvt_s_lu(&mut self, _: XToF) { self.helper() }
    fn fmv_w_x(&mut self, a: XMvF) { self.fmv_w_x(a) }
    fn fld(&mut self, a: FLoad) { self.fload(a, W::B64) }
    fn fsd(&mut self, a: FStore) { self.fstore(a, W::B64) }
    fn fmadd_d(&mut self, a: R4) { self.fma(a, Fma::MulAdd, Prec::D) }
    fn fmsub_d(&mut self, a: R4) { self.fma(a, Fma::MulSub, Prec::D) }
    fn fnmsub_d(&mut self, a: R4) { self.fma(a, Fma::NegMulAdd, Prec::D) }
    fn fnmadd_d(&mut self, a: R4) { self.fma(a, Fma::NegMulSub, Prec::D) }
    fn fadd_d(&mut self, a: FRrm) { self.fop(a, Sse::Add, Prec::D) }
    fn fsub_d(&mut self, a: FRrm) { self.fop(a, Sse::Sub, Prec::D) }
    fn fmul_d(&mut self, a: FRrm) { self.fop(a, Sse::Mul, Prec::D) }
    fn fdiv_d(&mut self, a: FRrm) { self.fop(a, Sse::Div, Prec::D) }
    fn fsqrt_d(&mut self, a: F1rm) { self.fsqrt(a, Prec::D) }
    fn fsgnj_d(&mut self, a: FR) { self.fsgnj(a, Sign::Copy, Prec::D) }
    fn fsgnjn_d(&mut self, a: FR) { self.fsgnj(a, Sign::Negate, Prec::D) }
    fn fsgnjx_d(&mut self, a: FR) { self.fsgnj(a, Sign::Xor, Prec::D) }
    fn fmin_d(&mut self, a: FR) { self.fminmax(a, Prec::D, false) }
    fn fmax_d(&mut self, a: FR) { self.fminmax(a, Prec::D, true) }
    fn fcvt_s_d(&mut self, a: F1rm) { self.fcvt_s_d(a) }
    fn fcvt_d_s(&mut self, a: F1rm) { self.fcvt_d_s(a) }
    fn feq_d(&mut self, a: FCmp) { self.fcmp(a, Cc::E, Prec::D) }
    fn flt_d(&mut self, a: FCmp) { self.fcmp(a, Cc::A, Prec::D) }
    fn fle_d(&mut self, a: FCmp) { self.fcmp(a, Cc::Ae, Prec::D) }
    fn fclass_d(&mut self, a: FMvX) { self.fclass(a, Prec::D) }
    fn fcvt_w_d(&mut self, a: FToX) { self.fcvt_int(a, W::B32, Prec::D) }
    fn fcvt_wu_d(&mut self, _: FToX) { self.helper() }
    fn fcvt_l_d(&mut self, a: FToX) { self.fcvt_int(a, W::B64, Prec::D) }
    fn fcvt_lu_d(&mut self, _: FToX) { self.helper() }
    fn fmv_x_d(&mut self, a: FMvX) { self.fmv_x_d(a) }
    fn fcvt_d_w(&mut self, a: XToF) { self.fcvt_d_int(a, W::B32, true) }
    fn fcvt_d_wu(&mut self, a: XToF) { self.fcvt_d_int(a, W::B32, false) }
    fn fcvt_d_l(&mut self, a: XToF) { self.fcvt_d_int(a, W::B64, true) }
    fn fcvt_d_lu(&mut self, _: XToF) { self.helper() }
    fn fmv_d_x(&mut self, a: XMvF) { self.fmv_d_x(a) }
}
