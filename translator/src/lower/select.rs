//! If-conversion: a forward branch over a few integer operations to a join (join.rs) is
//! lowered without a jump. The skipped operations are computed into scratch registers,
//! then the branch's compare chooses, with `cmov`, between their results and the values the
//! registers had:
//!
//! ```text
//!   andi a3,a5,1          mov r9, r11 ; and r9, 1
//!   srli a5,a5,1          shr r11, 1
//!   beqz a3,L ─┐          mov rax, r11 ; xor rax, r13     (a5's new value, into rax)
//!   xor  a5,a5,a7         shl rax, 48 ; shr rax, 48
//!   slli a5,a5,48         test r9, r9
//!   srli a5,a5,48         cmovne r11, rax                 (not taken: a5 = the new value)
//! L:addiw a4,a4,-1 ◀┘     lea rax, [r14+3] ; cmove r14, rax   (taken: 3 fewer retired)
//! ```
//!
//! Compilers for RV64GC, which has no conditional move, branch where an x86 compiler
//! would not (CoreMark's CRC: `crc & 1 ? (crc >> 1) ^ poly : crc >> 1`). A branch on data
//! is taken at random, and each misprediction costs the host more than the few operations
//! computed for nothing.
//!
//! What makes it exact:
//! - the skipped instructions are integer register operations that cannot trap (no access,
//!   no division, no CSR, no FP), so computing them when the branch is taken has no effect
//!   but the values computed, which only the scratch registers see;
//! - each register the skipped code writes gets a scratch register ([`TEMPS`]); a read of a
//!   register the skipped code wrote before reads its scratch, any other its home (host
//!   register, slot or zero), which the skipped code has not changed. Every value is
//!   computed whole (a `*w` result extended), as the join expects: lazy.rs leaves nothing
//!   unextended across a join;
//! - the branch compares its operands after that, unchanged since the branch;
//! - instructions are counted as on the join's taken edge: the skipped ones given back to
//!   what is left of the slice when taken, here by a `cmov` of the count. The budget is not
//!   checked on a forward edge unless it is exact, and then nothing is converted.
//!
//! A dead skipped instruction (liveness.rs) is left out, as the straight path would. The
//! join's other analyses (extension facts, limit checks, regions) hold as they are: the
//! code after the join sees the values either path would have left.

use super::{Budget, Lower, ADDR, T0, T2};
use crate::abi::{self, INSTRET};
use isa_a::format::B;
use isa_a::{Decoded, Insn, XReg};
use isa_b::{Alu, Cc, Gpr, Mem, Shift, W};
use std::sync::atomic::{AtomicU64, Ordering};

/// The most instructions a converted branch skips.
const LONGEST: usize = 4;

/// The scratch registers of the skipped code's results: rax and rdx, and rsi unless a guest
/// register lives there. rcx is the compare's scratch (`Lower::compare_operands`).
const TEMPS: [Gpr; 3] = [T0, T2, ADDR];

/// Branches lowered as conditional moves in this process.
static HITS: AtomicU64 = AtomicU64::new(0);

/// How many forward branches every translation in this process has lowered as conditional
/// moves (for tests and statistics).
pub fn count() -> u64 {
    HITS.load(Ordering::Relaxed)
}

/// One skipped instruction, as the select computes it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Op {
    /// `rd = rs1 op rs2` (`w` 32: `addw`/`subw`).
    Reg {
        op: Alu,
        w: W,
        rs1: XReg,
        rs2: XReg,
    },
    /// `rd = rs1 op imm`.
    Imm {
        op: Alu,
        w: W,
        rs1: XReg,
        imm: i32,
    },
    Shift {
        op: Shift,
        w: W,
        rs1: XReg,
        n: u8,
    },
    Mul {
        w: W,
        rs1: XReg,
        rs2: XReg,
    },
    /// `rd = v` (`lui`, `auipc`).
    Const(u64),
    /// `rd = rs1` zero- or sign-extended from `w` bits: `slli` then `srli`/`srai` by 64 - w
    /// of the same register (two steps merged).
    Extend {
        signed: bool,
        w: W,
    },
}

/// `insn` (at `pc`) as an operation the select computes, and its destination.
fn op_of(insn: &Insn, pc: u64) -> Option<(XReg, Op)> {
    use Insn::*;
    let reg = |a: isa_a::format::R, op, w| {
        (
            a.rd,
            Op::Reg {
                op,
                w,
                rs1: a.rs1,
                rs2: a.rs2,
            },
        )
    };
    let imm = |a: isa_a::format::I, op, w| {
        (
            a.rd,
            Op::Imm {
                op,
                w,
                rs1: a.rs1,
                imm: a.imm,
            },
        )
    };
    let shift = |rd, rs1, n: u32, op, w| {
        (
            rd,
            Op::Shift {
                op,
                w,
                rs1,
                n: n as u8,
            },
        )
    };
    Some(match *insn {
        Add(a) => reg(a, Alu::Add, W::B64),
        Sub(a) => reg(a, Alu::Sub, W::B64),
        And(a) => reg(a, Alu::And, W::B64),
        Or(a) => reg(a, Alu::Or, W::B64),
        Xor(a) => reg(a, Alu::Xor, W::B64),
        Addw(a) => reg(a, Alu::Add, W::B32),
        Subw(a) => reg(a, Alu::Sub, W::B32),
        Addi(a) => imm(a, Alu::Add, W::B64),
        Andi(a) => imm(a, Alu::And, W::B64),
        Ori(a) => imm(a, Alu::Or, W::B64),
        Xori(a) => imm(a, Alu::Xor, W::B64),
        Addiw(a) => imm(a, Alu::Add, W::B32),
        Slli(a) => shift(a.rd, a.rs1, a.shamt, Shift::Shl, W::B64),
        Srli(a) => shift(a.rd, a.rs1, a.shamt, Shift::Shr, W::B64),
        Srai(a) => shift(a.rd, a.rs1, a.shamt, Shift::Sar, W::B64),
        Slliw(a) => shift(a.rd, a.rs1, a.shamt, Shift::Shl, W::B32),
        Srliw(a) => shift(a.rd, a.rs1, a.shamt, Shift::Shr, W::B32),
        Sraiw(a) => shift(a.rd, a.rs1, a.shamt, Shift::Sar, W::B32),
        Mul(a) => (
            a.rd,
            Op::Mul {
                w: W::B64,
                rs1: a.rs1,
                rs2: a.rs2,
            },
        ),
        Mulw(a) => (
            a.rd,
            Op::Mul {
                w: W::B32,
                rs1: a.rs1,
                rs2: a.rs2,
            },
        ),
        Lui(a) => (a.rd, Op::Const(a.imm as i64 as u64)),
        Auipc(a) => (a.rd, Op::Const(pc.wrapping_add(a.imm as i64 as u64))),
        _ => return None,
    })
}

/// A conditional branch's operands and the host condition it is taken on.
fn branch_of(insn: &Insn) -> Option<(B, Cc)> {
    Some(match *insn {
        Insn::Beq(b) => (b, Cc::E),
        Insn::Bne(b) => (b, Cc::Ne),
        Insn::Blt(b) => (b, Cc::L),
        Insn::Bge(b) => (b, Cc::Ge),
        Insn::Bltu(b) => (b, Cc::B),
        Insn::Bgeu(b) => (b, Cc::Ae),
        _ => return None,
    })
}

/// For each instruction of the block: the join target (join.rs) of a branch whose skipped
/// instructions the select can compute, none of them a join target itself nor part of a
/// rotate or `andn` (rotate.rs).
pub(super) fn plan(
    insns: &[Decoded],
    pc: u64,
    joins: &super::join::Joins,
    pieces: &[super::rotate::Role],
) -> Vec<Option<usize>> {
    let pcs: Vec<u64> = crate::superblock::pcs(pc, insns).collect();
    (0..insns.len())
        .map(|i| {
            let t = joins.target_of(i).filter(|&t| t > i)?;
            branch_of(&insns[i].insn)?;
            let fits = t - i - 1 <= LONGEST
                && (i + 1..t).all(|k| {
                    !joins.is_target(k)
                        && pieces[k] == super::rotate::Role::None
                        && op_of(&insns[k].insn, pcs[k]).is_some()
                });
            fits.then_some(t)
        })
        .collect()
}

/// The source `rd = s1 op s2` copies, when the other is zero.
fn copies(op: Alu, s1: Src, s2: Src) -> Option<Src> {
    match (s1, s2) {
        (Src::Zero, s) if matches!(op, Alu::Add | Alu::Or | Alu::Xor) => Some(s),
        (s, Src::Zero) if matches!(op, Alu::Add | Alu::Or | Alu::Xor | Alu::Sub) => Some(s),
        _ => None,
    }
}

/// `slli` by `n` (the step before) then a right shift `right` by `n` of its result: the
/// extension from the low 64 - n bits, for the widths x86 extends from.
fn extension(prev: Op, right: Shift, n: u8) -> Option<Op> {
    let Op::Shift {
        op: Shift::Shl,
        w: W::B64,
        n: left,
        ..
    } = prev
    else {
        return None;
    };
    let w = match n {
        32 => W::B32,
        48 => W::B16,
        56 => W::B8,
        _ => return None,
    };
    let signed = match right {
        Shift::Shr => false,
        Shift::Sar => true,
        _ => return None,
    };
    (left == n).then_some(Op::Extend { signed, w })
}

/// Where a value the skipped code reads is.
#[derive(Copy, Clone)]
enum Src {
    Zero,
    Reg(Gpr),
    Slot(Mem),
}

impl Src {
    fn is(self, r: Gpr) -> bool {
        matches!(self, Src::Reg(h) if h == r)
    }
}

/// Each register the skipped code writes, with its scratch register, in order of first write.
type Written = Vec<(XReg, Gpr)>;

/// One skipped instruction ready to emit: its operation, its destination's scratch
/// register and where its sources are.
struct Step {
    op: Op,
    d: Gpr,
    s1: Src,
    s2: Src,
}

impl Lower<'_> {
    /// Lowers the branch being lowered and the instructions it skips as conditional moves,
    /// if the plan allows and the allocation leaves enough scratch registers; returns how
    /// many instructions after the branch it lowered.
    pub(super) fn select(&mut self) -> Option<usize> {
        let i = self.cur.idx;
        let t = self.plan.selects[i]?;
        if self.plan.budget == Budget::Exact {
            return None;
        }
        let (b, cc) = branch_of(&self.insns[i].insn)?;
        let (steps, written) = self.steps(i, t)?;
        if let ([step], [(r, _)]) = (&steps[..], &written[..]) {
            if let (Some(h), Op::Reg { op, w: W::B64, .. }) = (self.host(*r), step.op) {
                if let Some(s) = copies(op, step.s1, step.s2) {
                    // A move (`mv`, `add rd, rs, x0`): the cmov takes its source. Zero is
                    // made before the compare (as `xor`, which sets the flags).
                    if let Src::Zero = s {
                        self.e.mov_ri(step.d, 0);
                    }
                    self.compare_operands(b.rs1, Ok(b.rs2));
                    match s {
                        Src::Zero => self.e.cmov(cc.inverse(), h, step.d),
                        Src::Reg(s) => self.e.cmov(cc.inverse(), h, s),
                        Src::Slot(m) => self.e.cmov_rm(cc.inverse(), h, m),
                    }
                    self.count_back(cc, (t - i - 1) as i32);
                    return Some(t - i - 1);
                }
            }
        }
        for s in &steps {
            self.compute(s);
        }
        self.compare_operands(b.rs1, Ok(b.rs2));
        for &(r, d) in &written {
            match self.host(r) {
                Some(h) => self.e.cmov(cc.inverse(), h, d),
                None => {
                    let m = abi::x_slot(r.num());
                    self.e.cmov_rm(cc, d, m);
                    self.e.store(W::B64, m, d);
                }
            }
        }
        self.count_back(cc, (t - i - 1) as i32);
        Some(t - i - 1)
    }

    /// Gives the `skipped` instructions back to what is left of the slice when the flags
    /// say the branch is taken, as the join's taken edge does.
    fn count_back(&mut self, cc: Cc, skipped: i32) {
        if skipped > 0 {
            let (a, b) = (TEMPS[0], TEMPS[1]);
            match self.instret_mem(0) {
                None => {
                    self.e.lea(a, Mem::at(INSTRET, skipped));
                    self.e.cmov(cc, INSTRET, a);
                }
                Some(m) => {
                    self.e.load(W::B64, a, m);
                    self.e.lea(b, Mem::at(a, skipped));
                    self.e.cmov(cc, a, b);
                    self.e.store(W::B64, m, a);
                }
            }
        }
        self.cur.flags = None;
        self.cur.count_flags = None;
        HITS.fetch_add(1, Ordering::Relaxed);
    }

    /// The steps computing the live instructions between branch `i` and its join `t`, and
    /// each register they write with its scratch register; `None` when there are not
    /// enough scratch registers, or a step would need one more.
    fn steps(&self, i: usize, t: usize) -> Option<(Vec<Step>, Written)> {
        let free = if self.alloc.ra.addr == ADDR { 3 } else { 2 };
        let pcs: Vec<u64> = crate::superblock::pcs(self.start, self.insns).collect();
        let mut written: Written = Vec::new();
        let mut steps: Vec<Step> = Vec::new();
        for (k, &pc) in pcs.iter().enumerate().take(t).skip(i + 1) {
            let (rd, op) = op_of(&self.insns[k].insn, pc).expect("planned");
            if rd.num() == 0 || self.plan.facts.dead[k] {
                continue;
            }
            let src = |r: XReg| match written.iter().find(|w| w.0 == r) {
                _ if r.num() == 0 => Src::Zero,
                Some(&(_, d)) => Src::Reg(d),
                None => match self.host(r) {
                    Some(h) => Src::Reg(h),
                    None => Src::Slot(abi::x_slot(r.num())),
                },
            };
            let (s1, s2) = match op {
                Op::Reg { rs1, rs2, .. } | Op::Mul { rs1, rs2, .. } => (src(rs1), src(rs2)),
                Op::Imm { rs1, .. } | Op::Shift { rs1, .. } => (src(rs1), Src::Zero),
                Op::Const(_) | Op::Extend { .. } => (Src::Zero, Src::Zero),
            };
            let d = match written.iter().find(|w| w.0 == rd) {
                Some(&(_, d)) => d,
                None if written.len() < free => {
                    written.push((rd, TEMPS[written.len()]));
                    TEMPS[written.len() - 1]
                }
                None => return None,
            };
            // The second source in the destination's register, the first elsewhere: only
            // an operation whose sources commute can start from it.
            let commutes = match op {
                Op::Reg { op, .. } => op != Alu::Sub,
                _ => true,
            };
            if s2.is(d) && !s1.is(d) && !commutes {
                return None;
            }
            if let Op::Mul { .. } = op {
                // imul takes its second source from a register.
                let other = if s2.is(d) { s1 } else { s2 };
                if !matches!(other, Src::Reg(_)) {
                    return None;
                }
            }
            match (steps.last_mut(), op) {
                (
                    Some(prev),
                    Op::Shift {
                        op: right,
                        w: W::B64,
                        n,
                        ..
                    },
                ) if s1.is(d) && prev.d == d && extension(prev.op, right, n).is_some() => {
                    prev.op = extension(prev.op, right, n).expect("checked");
                }
                _ => steps.push(Step { op, d, s1, s2 }),
            }
        }
        Some((steps, written))
    }

    /// Emits one step: its result, whole, in its scratch register.
    fn compute(&mut self, s: &Step) {
        let Step { op, d, s1, s2 } = *s;
        let w = match op {
            Op::Reg { op, w, .. } if copies(op, s1, s2).is_some() => {
                let s = copies(op, s1, s2).expect("checked");
                self.src_into(d, s);
                w
            }
            Op::Reg { op, w, .. } => {
                if s2.is(d) && !s1.is(d) {
                    // d = s2: d op= s1, the sources commuting.
                    self.src_op(op, w, d, s1);
                } else {
                    self.src_into(d, s1);
                    self.src_op(op, w, d, s2);
                }
                w
            }
            Op::Imm { op, w, imm, .. } => {
                match s1 {
                    // `li`: 0 op imm, a 12-bit immediate (sign-extended whatever the width).
                    Src::Zero => self
                        .e
                        .mov_ri(d, if op == Alu::And { 0 } else { imm as i64 }),
                    Src::Reg(h) if op == Alu::Add && w == W::B64 => self.e.lea(d, Mem::at(h, imm)),
                    Src::Reg(h) if op == Alu::Add => self.e.lea32(d, Mem::at(h, imm)),
                    _ => {
                        self.src_into(d, s1);
                        self.e.alu_ri(op, w, d, imm);
                    }
                }
                w
            }
            Op::Shift { op, w, n, .. } => {
                self.src_into(d, s1);
                self.e.shift_ri(op, w, d, n);
                w
            }
            Op::Mul { w, .. } => {
                let (first, other) = if s2.is(d) { (s2, s1) } else { (s1, s2) };
                self.src_into(d, first);
                let Src::Reg(h) = other else {
                    unreachable!("steps() keeps imul's second source in a register")
                };
                self.e.imul_rr(w, d, h);
                w
            }
            Op::Const(v) => {
                self.e.mov_ri(d, v as i64);
                W::B64
            }
            Op::Extend { signed, w } => {
                match (s1, signed) {
                    (Src::Zero, _) => self.e.mov_ri(d, 0),
                    (Src::Reg(h), false) => self.e.zx(w, d, h),
                    (Src::Reg(h), true) => self.e.sx(w, d, h),
                    (Src::Slot(m), false) => self.e.load(w, d, m),
                    (Src::Slot(m), true) => self.e.load_sx(w, d, m),
                }
                W::B64
            }
        };
        if w == W::B32 {
            self.e.sx(W::B32, d, d);
        }
    }

    /// `d = s`.
    fn src_into(&mut self, d: Gpr, s: Src) {
        match s {
            Src::Zero => self.e.mov_ri(d, 0),
            Src::Reg(h) if h == d => {}
            Src::Reg(h) => self.e.mov_rr(W::B64, d, h),
            Src::Slot(m) => self.e.load(W::B64, d, m),
        }
    }

    /// `d op= s` at width `w`.
    fn src_op(&mut self, op: Alu, w: W, d: Gpr, s: Src) {
        match s {
            Src::Zero => self.e.alu_ri(op, w, d, 0),
            Src::Reg(h) => self.e.alu_rr(op, w, d, h),
            Src::Slot(m) => self.e.alu_rm(op, w, d, m),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_insns::{beqz, d, ecall, i, load, r};
    use super::*;

    fn xor(rd: u32, rs1: u32, rs2: u32) -> Decoded {
        d(Insn::Xor(r(rd, rs1, rs2)))
    }

    fn addi(rd: u32, rs1: u32, imm: i32) -> Decoded {
        d(Insn::Addi(i(rd, rs1, imm)))
    }

    fn plan_of(insns: &[Decoded]) -> Vec<Option<usize>> {
        let mut e = isa_b::Emitter::new();
        let joins = super::super::join::plan(insns, 0x1000, true, &mut e);
        let none = vec![super::super::rotate::Role::None; insns.len()];
        plan(insns, 0x1000, &joins, &none)
    }

    #[test]
    fn a_branch_over_a_few_operations_to_a_join_is_converted() {
        let p = plan_of(&[
            beqz(13, 12),
            xor(15, 15, 17),
            addi(15, 15, 1),
            addi(14, 14, -1),
            ecall(),
        ]);
        assert_eq!(p, [Some(3), None, None, None, None]);
        // Up to four skipped instructions; five stay a jump.
        let mut long = vec![beqz(13, 24)];
        long.extend((0..5).map(|_| addi(15, 15, 1)));
        long.extend([addi(14, 14, -1), ecall()]);
        assert!(plan_of(&long).iter().all(Option::is_none));
        long.remove(1);
        long[0] = beqz(13, 20);
        assert_eq!(plan_of(&long)[0], Some(5));
    }

    #[test]
    fn an_access_a_join_inside_or_a_branch_out_of_the_block_stays_a_jump() {
        let ld = d(Insn::Ld(load(15, 10, 0)));
        let p = plan_of(&[beqz(13, 12), ld, addi(15, 15, 1), addi(14, 14, -1), ecall()]);
        assert_eq!(p[0], None);
        // A second branch into the middle of the first's skipped code: only the second is
        // converted.
        let p = plan_of(&[
            beqz(13, 16),
            beqz(12, 8),
            addi(15, 15, 1),
            addi(16, 16, 1),
            addi(14, 14, -1),
            ecall(),
        ]);
        assert_eq!(p[..2], [None, Some(3)]);
        // Past the block's end: no join, nothing to convert.
        let p = plan_of(&[beqz(13, 64), addi(15, 15, 1), ecall()]);
        assert_eq!(p[0], None);
    }
}
