//! The interpreter as a [`Visitor`]: one line per instruction, naming its semantics.

use super::fp::{Fused, Sgnj};
use super::i::{sext32, Cond, Width};
use super::m;
use super::zicsr::CsrOp;
use super::{Flow, Interp, Trap};
use crate::bus::{AmoOp, Bus};
use crate::format::*;
use crate::insn::Visitor;
use crate::softfloat::{self as sf, F32, F64};

// A table: one line per instruction reads better than rustfmt's three. The integer
// instructions are forced inline: they are a few host instructions each, and whether LLVM
// inlined them into the block loop (or called loads and stores out of line) changed with
// unrelated edits to the loop, by a third of the interpreter's speed.
#[rustfmt::skip]
impl<M: Bus + ?Sized> Visitor for Interp<'_, M> {
    type Out = Flow;

    // RV64I
    #[inline(always)] fn lui(&mut self, a: U) -> Flow { self.load_upper(a) }
    #[inline(always)] fn auipc(&mut self, a: U) -> Flow { self.add_upper_pc(a) }
    #[inline(always)] fn jal(&mut self, a: J) -> Flow { self.jump(a) }
    #[inline(always)] fn jalr(&mut self, a: Load) -> Flow { self.jump_reg(a) }
    #[inline(always)] fn beq(&mut self, a: B) -> Flow { self.branch(a, Cond::Eq) }
    #[inline(always)] fn bne(&mut self, a: B) -> Flow { self.branch(a, Cond::Ne) }
    #[inline(always)] fn blt(&mut self, a: B) -> Flow { self.branch(a, Cond::Lt) }
    #[inline(always)] fn bge(&mut self, a: B) -> Flow { self.branch(a, Cond::Ge) }
    #[inline(always)] fn bltu(&mut self, a: B) -> Flow { self.branch(a, Cond::Ltu) }
    #[inline(always)] fn bgeu(&mut self, a: B) -> Flow { self.branch(a, Cond::Geu) }
    #[inline(always)] fn lb(&mut self, a: Load) -> Flow { self.load(a, Width::B) }
    #[inline(always)] fn lh(&mut self, a: Load) -> Flow { self.load(a, Width::H) }
    #[inline(always)] fn lw(&mut self, a: Load) -> Flow { self.load(a, Width::W) }
    #[inline(always)] fn ld(&mut self, a: Load) -> Flow { self.load(a, Width::D) }
    #[inline(always)] fn lbu(&mut self, a: Load) -> Flow { self.load(a, Width::Bu) }
    #[inline(always)] fn lhu(&mut self, a: Load) -> Flow { self.load(a, Width::Hu) }
    #[inline(always)] fn lwu(&mut self, a: Load) -> Flow { self.load(a, Width::Wu) }
    #[inline(always)] fn sb(&mut self, a: Store) -> Flow { self.store(a, 1) }
    #[inline(always)] fn sh(&mut self, a: Store) -> Flow { self.store(a, 2) }
    #[inline(always)] fn sw(&mut self, a: Store) -> Flow { self.store(a, 4) }
    #[inline(always)] fn sd(&mut self, a: Store) -> Flow { self.store(a, 8) }
    #[inline(always)] fn addi(&mut self, a: I) -> Flow { self.alu_imm(a, u64::wrapping_add) }
    #[inline(always)] fn slti(&mut self, a: I) -> Flow { self.alu_imm(a, |x, y| ((x as i64) < (y as i64)) as u64) }
    #[inline(always)] fn sltiu(&mut self, a: I) -> Flow { self.alu_imm(a, |x, y| (x < y) as u64) }
    #[inline(always)] fn xori(&mut self, a: I) -> Flow { self.alu_imm(a, |x, y| x ^ y) }
    #[inline(always)] fn ori(&mut self, a: I) -> Flow { self.alu_imm(a, |x, y| x | y) }
    #[inline(always)] fn andi(&mut self, a: I) -> Flow { self.alu_imm(a, |x, y| x & y) }
    #[inline(always)] fn slli(&mut self, a: Shift) -> Flow { self.shift_imm(a, |x, s| x << s) }
    #[inline(always)] fn srli(&mut self, a: Shift) -> Flow { self.shift_imm(a, |x, s| x >> s) }
    #[inline(always)] fn srai(&mut self, a: Shift) -> Flow { self.shift_imm(a, |x, s| ((x as i64) >> s) as u64) }
    #[inline(always)] fn add(&mut self, a: R) -> Flow { self.alu(a, u64::wrapping_add) }
    #[inline(always)] fn sub(&mut self, a: R) -> Flow { self.alu(a, u64::wrapping_sub) }
    #[inline(always)] fn sll(&mut self, a: R) -> Flow { self.alu(a, |x, y| x << (y & 63)) }
    #[inline(always)] fn slt(&mut self, a: R) -> Flow { self.alu(a, |x, y| ((x as i64) < (y as i64)) as u64) }
    #[inline(always)] fn sltu(&mut self, a: R) -> Flow { self.alu(a, |x, y| (x < y) as u64) }
    #[inline(always)] fn xor(&mut self, a: R) -> Flow { self.alu(a, |x, y| x ^ y) }
    #[inline(always)] fn srl(&mut self, a: R) -> Flow { self.alu(a, |x, y| x >> (y & 63)) }
    #[inline(always)] fn sra(&mut self, a: R) -> Flow { self.alu(a, |x, y| ((x as i64) >> (y & 63)) as u64) }
    #[inline(always)] fn or(&mut self, a: R) -> Flow { self.alu(a, |x, y| x | y) }
    #[inline(always)] fn and(&mut self, a: R) -> Flow { self.alu(a, |x, y| x & y) }
    #[inline(always)] fn addiw(&mut self, a: I) -> Flow { self.alu_imm(a, |x, y| sext32(x.wrapping_add(y))) }
    #[inline(always)] fn slliw(&mut self, a: ShiftW) -> Flow { self.shift_imm_w(a, |x, s| x << s) }
    #[inline(always)] fn srliw(&mut self, a: ShiftW) -> Flow { self.shift_imm_w(a, |x, s| x >> s) }
    #[inline(always)] fn sraiw(&mut self, a: ShiftW) -> Flow { self.shift_imm_w(a, |x, s| ((x as i32) >> s) as u32) }
    #[inline(always)] fn addw(&mut self, a: R) -> Flow { self.alu_w(a, u64::wrapping_add) }
    #[inline(always)] fn subw(&mut self, a: R) -> Flow { self.alu_w(a, u64::wrapping_sub) }
    #[inline(always)] fn sllw(&mut self, a: R) -> Flow { self.alu_w(a, |x, y| ((x as u32) << (y & 31)) as u64) }
    #[inline(always)] fn srlw(&mut self, a: R) -> Flow { self.alu_w(a, |x, y| ((x as u32) >> (y & 31)) as u64) }
    #[inline(always)] fn sraw(&mut self, a: R) -> Flow { self.alu_w(a, |x, y| ((x as i32) >> (y & 31)) as u64) }
    // A single hart sees its own memory accesses in order; nothing to do.
    fn fence(&mut self, _: Fence) -> Flow { Flow::Next }
    fn ecall(&mut self, _: Nullary) -> Flow { Flow::Trap(Trap::Ecall) }
    fn ebreak(&mut self, _: Nullary) -> Flow { Flow::Trap(Trap::Ebreak) }

    // Zifencei
    fn fence_i(&mut self, _: Nullary) -> Flow { Flow::FenceI }

    // Zicsr
    fn csrrw(&mut self, a: Csr) -> Flow { self.csr(a, CsrOp::Write) }
    fn csrrs(&mut self, a: Csr) -> Flow { self.csr(a, CsrOp::Set) }
    fn csrrc(&mut self, a: Csr) -> Flow { self.csr(a, CsrOp::Clear) }
    fn csrrwi(&mut self, a: CsrI) -> Flow { self.csr_imm(a, CsrOp::Write) }
    fn csrrsi(&mut self, a: CsrI) -> Flow { self.csr_imm(a, CsrOp::Set) }
    fn csrrci(&mut self, a: CsrI) -> Flow { self.csr_imm(a, CsrOp::Clear) }

    // M
    #[inline(always)] fn mul(&mut self, a: R) -> Flow { self.alu(a, u64::wrapping_mul) }
    #[inline(always)] fn mulh(&mut self, a: R) -> Flow { self.alu(a, m::mulh) }
    #[inline(always)] fn mulhsu(&mut self, a: R) -> Flow { self.alu(a, m::mulhsu) }
    #[inline(always)] fn mulhu(&mut self, a: R) -> Flow { self.alu(a, m::mulhu) }
    #[inline(always)] fn div(&mut self, a: R) -> Flow { self.alu(a, m::div) }
    #[inline(always)] fn divu(&mut self, a: R) -> Flow { self.alu(a, m::divu) }
    #[inline(always)] fn rem(&mut self, a: R) -> Flow { self.alu(a, m::rem) }
    #[inline(always)] fn remu(&mut self, a: R) -> Flow { self.alu(a, m::remu) }
    #[inline(always)] fn mulw(&mut self, a: R) -> Flow { self.alu_w(a, u64::wrapping_mul) }
    #[inline(always)] fn divw(&mut self, a: R) -> Flow { self.alu_w(a, m::divw) }
    #[inline(always)] fn divuw(&mut self, a: R) -> Flow { self.alu_w(a, m::divuw) }
    #[inline(always)] fn remw(&mut self, a: R) -> Flow { self.alu_w(a, m::remw) }
    #[inline(always)] fn remuw(&mut self, a: R) -> Flow { self.alu_w(a, m::remuw) }

    // A
    fn lr_w(&mut self, a: Lr) -> Flow { self.lr(a, 32) }
    fn sc_w(&mut self, a: Amo) -> Flow { self.sc(a, 32) }
    fn amoswap_w(&mut self, a: Amo) -> Flow { self.amo(a, AmoOp::Swap, 32) }
    fn amoadd_w(&mut self, a: Amo) -> Flow { self.amo(a, AmoOp::Add, 32) }
    fn amoxor_w(&mut self, a: Amo) -> Flow { self.amo(a, AmoOp::Xor, 32) }
    fn amoand_w(&mut self, a: Amo) -> Flow { self.amo(a, AmoOp::And, 32) }
    fn amoor_w(&mut self, a: Amo) -> Flow { self.amo(a, AmoOp::Or, 32) }
    fn amomin_w(&mut self, a: Amo) -> Flow { self.amo(a, AmoOp::Min, 32) }
    fn amomax_w(&mut self, a: Amo) -> Flow { self.amo(a, AmoOp::Max, 32) }
    fn amominu_w(&mut self, a: Amo) -> Flow { self.amo(a, AmoOp::Minu, 32) }
    fn amomaxu_w(&mut self, a: Amo) -> Flow { self.amo(a, AmoOp::Maxu, 32) }
    fn lr_d(&mut self, a: Lr) -> Flow { self.lr(a, 64) }
    fn sc_d(&mut self, a: Amo) -> Flow { self.sc(a, 64) }
    fn amoswap_d(&mut self, a: Amo) -> Flow { self.amo(a, AmoOp::Swap, 64) }
    fn amoadd_d(&mut self, a: Amo) -> Flow { self.amo(a, AmoOp::Add, 64) }
    fn amoxor_d(&mut self, a: Amo) -> Flow { self.amo(a, AmoOp::Xor, 64) }
    fn amoand_d(&mut self, a: Amo) -> Flow { self.amo(a, AmoOp::And, 64) }
    fn amoor_d(&mut self, a: Amo) -> Flow { self.amo(a, AmoOp::Or, 64) }
    fn amomin_d(&mut self, a: Amo) -> Flow { self.amo(a, AmoOp::Min, 64) }
    fn amomax_d(&mut self, a: Amo) -> Flow { self.amo(a, AmoOp::Max, 64) }
    fn amominu_d(&mut self, a: Amo) -> Flow { self.amo(a, AmoOp::Minu, 64) }
    fn amomaxu_d(&mut self, a: Amo) -> Flow { self.amo(a, AmoOp::Maxu, 64) }

    // F
    fn flw(&mut self, a: FLoad) -> Flow { self.fp_load(a, 32) }
    fn fsw(&mut self, a: FStore) -> Flow { self.fp_store(a, 32) }
    fn fmadd_s(&mut self, a: R4) -> Flow { self.fp_fused::<F32>(a, Fused::Madd) }
    fn fmsub_s(&mut self, a: R4) -> Flow { self.fp_fused::<F32>(a, Fused::Msub) }
    fn fnmsub_s(&mut self, a: R4) -> Flow { self.fp_fused::<F32>(a, Fused::Nmsub) }
    fn fnmadd_s(&mut self, a: R4) -> Flow { self.fp_fused::<F32>(a, Fused::Nmadd) }
    fn fadd_s(&mut self, a: FRrm) -> Flow { self.fp_arith::<F32>(a, sf::add::<F32>) }
    fn fsub_s(&mut self, a: FRrm) -> Flow { self.fp_arith::<F32>(a, sf::sub::<F32>) }
    fn fmul_s(&mut self, a: FRrm) -> Flow { self.fp_arith::<F32>(a, sf::mul::<F32>) }
    fn fdiv_s(&mut self, a: FRrm) -> Flow { self.fp_arith::<F32>(a, sf::div::<F32>) }
    fn fsqrt_s(&mut self, a: F1rm) -> Flow { self.fp_sqrt::<F32>(a) }
    fn fsgnj_s(&mut self, a: FR) -> Flow { self.fp_sgnj::<F32>(a, Sgnj::Copy) }
    fn fsgnjn_s(&mut self, a: FR) -> Flow { self.fp_sgnj::<F32>(a, Sgnj::Negate) }
    fn fsgnjx_s(&mut self, a: FR) -> Flow { self.fp_sgnj::<F32>(a, Sgnj::Xor) }
    fn fmin_s(&mut self, a: FR) -> Flow { self.fp_minmax::<F32>(a, sf::min::<F32>) }
    fn fmax_s(&mut self, a: FR) -> Flow { self.fp_minmax::<F32>(a, sf::max::<F32>) }
    fn fcvt_w_s(&mut self, a: FToX) -> Flow { self.fp_to_int::<F32>(a, true, 32) }
    fn fcvt_wu_s(&mut self, a: FToX) -> Flow { self.fp_to_int::<F32>(a, false, 32) }
    fn fcvt_l_s(&mut self, a: FToX) -> Flow { self.fp_to_int::<F32>(a, true, 64) }
    fn fcvt_lu_s(&mut self, a: FToX) -> Flow { self.fp_to_int::<F32>(a, false, 64) }
    fn fmv_x_w(&mut self, a: FMvX) -> Flow { self.fmv_to_x(a, 32) }
    fn feq_s(&mut self, a: FCmp) -> Flow { self.fp_cmp::<F32>(a, sf::eq::<F32>) }
    fn flt_s(&mut self, a: FCmp) -> Flow { self.fp_cmp::<F32>(a, sf::lt::<F32>) }
    fn fle_s(&mut self, a: FCmp) -> Flow { self.fp_cmp::<F32>(a, sf::le::<F32>) }
    fn fclass_s(&mut self, a: FMvX) -> Flow { self.fp_classify::<F32>(a) }
    fn fcvt_s_w(&mut self, a: XToF) -> Flow { self.fp_from_int::<F32>(a, true, 32) }
    fn fcvt_s_wu(&mut self, a: XToF) -> Flow { self.fp_from_int::<F32>(a, false, 32) }
    fn fcvt_s_l(&mut self, a: XToF) -> Flow { self.fp_from_int::<F32>(a, true, 64) }
    fn fcvt_s_lu(&mut self, a: XToF) -> Flow { self.fp_from_int::<F32>(a, false, 64) }
    fn fmv_w_x(&mut self, a: XMvF) -> Flow { self.fmv_from_x(a, 32) }

    // D
    fn fld(&mut self, a: FLoad) -> Flow { self.fp_load(a, 64) }
    fn fsd(&mut self, a: FStore) -> Flow { self.fp_store(a, 64) }
    fn fmadd_d(&mut self, a: R4) -> Flow { self.fp_fused::<F64>(a, Fused::Madd) }
    fn fmsub_d(&mut self, a: R4) -> Flow { self.fp_fused::<F64>(a, Fused::Msub) }
    fn fnmsub_d(&mut self, a: R4) -> Flow { self.fp_fused::<F64>(a, Fused::Nmsub) }
    fn fnmadd_d(&mut self, a: R4) -> Flow { self.fp_fused::<F64>(a, Fused::Nmadd) }
    fn fadd_d(&mut self, a: FRrm) -> Flow { self.fp_arith::<F64>(a, sf::add::<F64>) }
    fn fsub_d(&mut self, a: FRrm) -> Flow { self.fp_arith::<F64>(a, sf::sub::<F64>) }
    fn fmul_d(&mut self, a: FRrm) -> Flow { self.fp_arith::<F64>(a, sf::mul::<F64>) }
    fn fdiv_d(&mut self, a: FRrm) -> Flow { self.fp_arith::<F64>(a, sf::div::<F64>) }
    fn fsqrt_d(&mut self, a: F1rm) -> Flow { self.fp_sqrt::<F64>(a) }
    fn fsgnj_d(&mut self, a: FR) -> Flow { self.fp_sgnj::<F64>(a, Sgnj::Copy) }
    fn fsgnjn_d(&mut self, a: FR) -> Flow { self.fp_sgnj::<F64>(a, Sgnj::Negate) }
    fn fsgnjx_d(&mut self, a: FR) -> Flow { self.fp_sgnj::<F64>(a, Sgnj::Xor) }
    fn fmin_d(&mut self, a: FR) -> Flow { self.fp_minmax::<F64>(a, sf::min::<F64>) }
    fn fmax_d(&mut self, a: FR) -> Flow { self.fp_minmax::<F64>(a, sf::max::<F64>) }
    fn fcvt_s_d(&mut self, a: F1rm) -> Flow { self.narrow(a) }
    fn fcvt_d_s(&mut self, a: F1rm) -> Flow { self.widen(a) }
    fn feq_d(&mut self, a: FCmp) -> Flow { self.fp_cmp::<F64>(a, sf::eq::<F64>) }
    fn flt_d(&mut self, a: FCmp) -> Flow { self.fp_cmp::<F64>(a, sf::lt::<F64>) }
    fn fle_d(&mut self, a: FCmp) -> Flow { self.fp_cmp::<F64>(a, sf::le::<F64>) }
    fn fclass_d(&mut self, a: FMvX) -> Flow { self.fp_classify::<F64>(a) }
    fn fcvt_w_d(&mut self, a: FToX) -> Flow { self.fp_to_int::<F64>(a, true, 32) }
    fn fcvt_wu_d(&mut self, a: FToX) -> Flow { self.fp_to_int::<F64>(a, false, 32) }
    fn fcvt_l_d(&mut self, a: FToX) -> Flow { self.fp_to_int::<F64>(a, true, 64) }
    fn fcvt_lu_d(&mut self, a: FToX) -> Flow { self.fp_to_int::<F64>(a, false, 64) }
    fn fmv_x_d(&mut self, a: FMvX) -> Flow { self.fmv_to_x(a, 64) }
    fn fcvt_d_w(&mut self, a: XToF) -> Flow { self.fp_from_int::<F64>(a, true, 32) }
    fn fcvt_d_wu(&mut self, a: XToF) -> Flow { self.fp_from_int::<F64>(a, false, 32) }
    fn fcvt_d_l(&mut self, a: XToF) -> Flow { self.fp_from_int::<F64>(a, true, 64) }
    fn fcvt_d_lu(&mut self, a: XToF) -> Flow { self.fp_from_int::<F64>(a, false, 64) }
    fn fmv_d_x(&mut self, a: XMvF) -> Flow { self.fmv_from_x(a, 64) }
}
