//! Fusion: two adjacent guest instructions that compilers emit together, lowered as one
//! piece of host code.
//!
//! ```text
//!   lui/auipc rd; addi[w] rd2, rd, lo      → the constant, written (rd too when it differs)
//!   auipc rd; jalr link, lo(rd)            → a direct jump, chained like `jal`
//!   lui/auipc rd; load/store lo(rd)        → the access at [base + constant], unchecked when
//!                                            it ends below the limit
//!   slli t, i, 1..3; add t, a, t           → lea t, [a + i*scale]
//!   add t, a, b; load/store imm(t)         → the access at a + b + imm, not waiting for t
//!   slli/addi/add …; load/store imm(t)     → the access's address in one lea before them
//!                                            (both addressing.rs)
//!   slli t, s, n; srli/srai t, t, n        → mov r32 / movzx / movsxd / movsx (n = 32, 48, 56)
//!   slt[i][u] t, a, b; beqz/bnez t, L      → cmp a, b; jcc L (inside a superblock)
//! ```
//!
//! One triple is matched here too and counted with the pairs: `frflags`, an FP compare,
//! `fsflags` (fp_flags.rs).
//!
//! A fusion is a pattern over the decoded slice: the visitor looks one instruction ahead.
//! Rotates (two shifts and an `or`, not always adjacent) are planned per block in rotate.rs,
//! as `not`+`and` pairs for `andn` are (andn.rs), and counted here with the pairs; a pair
//! never takes an instruction of either.
//! The pair is always exact: every register either instruction writes is written, unless
//! [`Lower::dead_after`] says nothing reads it again, and written before the second
//! instruction's access, so a fault there finds it (and reports the second's pc and count,
//! as any access does); and both lie in the slice, so a pair never spans the end of a block
//! (the first of each pattern does not end a block, so the second follows it in memory).

use super::extension::Saved;
use super::mem::Width;
use super::{Lower, T1, T2};
use isa_a::format::{Load, Shift as ShiftF, Store, B, I, J, R};
use isa_a::{Insn, XReg};
use isa_b::{Cc, Mem, W};
use std::sync::atomic::{AtomicU64, Ordering};

/// The fusions, in the order of [`NAMES`].
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum Fusion {
    Constant,
    Call,
    ConstantAddress,
    ScaledAdd,
    Extend,
    CompareBranch,
    Rotate32,
    Rotate64,
    FlagsCompare,
    FlagsCompareDead,
    Andn,
    SumAccess,
    SumAccessUnchecked,
    AddressRun,
    AddressRunUnchecked,
}

/// How each fusion is named in [`counts`].
const NAMES: [&str; 15] = [
    "lui/auipc+addi",
    "auipc+jalr",
    "lui/auipc+load/store",
    "slli+add",
    "slli+srli/srai",
    "slt+branch",
    "srliw+slliw+or (rotate.rs)",
    "srli+slli+or (rotate.rs)",
    "frflags+fcmp+fsflags (fp_flags.rs)",
    "frflags+fcmp+fsflags, flags dead (fp_flags.rs)",
    "not+and (andn.rs)",
    "add+load/store, checked (addressing.rs)",
    "add+load/store, unchecked (addressing.rs)",
    "slli/addi/add run+load/store, checked (addressing.rs)",
    "slli/addi/add run+load/store, unchecked (addressing.rs)",
];

/// Fusions lowered by every translation in this process, by kind.
static HITS: [AtomicU64; 15] = [const { AtomicU64::new(0) }; 15];

/// How many times each fusion has been lowered in this process (for tests and statistics).
pub fn counts() -> Vec<(&'static str, u64)> {
    NAMES
        .iter()
        .zip(&HITS)
        .map(|(n, h)| (*n, h.load(Ordering::Relaxed)))
        .collect()
}

/// Adds one translation's fusions to the process's counts.
pub(super) fn record(fused: &[Fusion]) {
    for &f in fused {
        HITS[f as usize].fetch_add(1, Ordering::Relaxed);
    }
}

/// The value of `lui`/`auipc` at `pc`, with its destination.
fn upper(insn: &Insn, pc: u64) -> Option<(XReg, u64)> {
    match *insn {
        Insn::Lui(u) => Some((u.rd, u.imm as i64 as u64)),
        Insn::Auipc(u) => Some((u.rd, pc.wrapping_add(u.imm as i64 as u64))),
        _ => None,
    }
}

/// An integer load: its operands and width.
pub(super) fn load(insn: &Insn) -> Option<(Load, Width)> {
    let (l, w, signed) = match *insn {
        Insn::Lb(l) => (l, W::B8, true),
        Insn::Lh(l) => (l, W::B16, true),
        Insn::Lw(l) => (l, W::B32, true),
        Insn::Ld(l) => (l, W::B64, true),
        Insn::Lbu(l) => (l, W::B8, false),
        Insn::Lhu(l) => (l, W::B16, false),
        Insn::Lwu(l) => (l, W::B32, false),
        _ => return None,
    };
    Some((l, Width { w, signed }))
}

/// An integer store: its operands and width.
pub(super) fn store(insn: &Insn) -> Option<(Store, W)> {
    match *insn {
        Insn::Sb(s) => Some((s, W::B8)),
        Insn::Sh(s) => Some((s, W::B16)),
        Insn::Sw(s) => Some((s, W::B32)),
        Insn::Sd(s) => Some((s, W::B64)),
        _ => None,
    }
}

/// Bytes of a width.
fn bytes(w: W) -> u64 {
    match w {
        W::B8 => 1,
        W::B16 => 2,
        W::B32 => 4,
        W::B64 => 8,
    }
}

/// `slt`/`sltu`/`slti`/`sltiu`: destination, first operand, second operand, condition.
fn set_less(insn: &Insn) -> Option<(XReg, XReg, Result<XReg, i32>, Cc)> {
    match *insn {
        Insn::Slt(R { rd, rs1, rs2 }) => Some((rd, rs1, Ok(rs2), Cc::L)),
        Insn::Sltu(R { rd, rs1, rs2 }) => Some((rd, rs1, Ok(rs2), Cc::B)),
        Insn::Slti(I { rd, rs1, imm }) => Some((rd, rs1, Err(imm), Cc::L)),
        Insn::Sltiu(I { rd, rs1, imm }) => Some((rd, rs1, Err(imm), Cc::B)),
        _ => None,
    }
}

/// `beqz t`/`bnez t` (either operand order): the branch's offset and whether it is taken
/// when `t` is nonzero.
fn branch_on(insn: &Insn, t: XReg) -> Option<(i32, bool)> {
    let on_t = |b: B| (b.rs1 == t && b.rs2.num() == 0) || (b.rs2 == t && b.rs1.num() == 0);
    match *insn {
        Insn::Bne(b) if on_t(b) => Some((b.off, true)),
        Insn::Beq(b) if on_t(b) => Some((b.off, false)),
        _ => None,
    }
}

/// `slli t, i, 1..3` then `add t, base, t` (either order, base not x0): the shift and the
/// base.
pub(super) fn scaled_add(a: &Insn, b: &Insn) -> Option<(ShiftF, XReg)> {
    let (Insn::Slli(s), Insn::Add(r)) = (*a, *b) else {
        return None;
    };
    let base = match (r.rs1 == s.rd, r.rs2 == s.rd) {
        (true, false) => r.rs2,
        (false, true) => r.rs1,
        _ => return None,
    };
    (s.rd.num() != 0 && (1..=3).contains(&s.shamt) && r.rd == s.rd && base.num() != 0)
        .then_some((s, base))
}

/// The width a shift pair by `n` keeps: `slli`+`srli`/`srai` by 32, 48 or 56.
fn kept(n: u32) -> Option<W> {
    match n {
        32 => Some(W::B32),
        48 => Some(W::B16),
        56 => Some(W::B8),
        _ => None,
    }
}

impl Lower<'_> {
    /// Whether guest `r`'s value after instruction `idx` is never read again (nor seen by a
    /// fault or exit): written again, unread, before anything but pure instructions comes
    /// (liveness.rs). Else a fusion writes each register its instructions write.
    pub(super) fn dead_after(&self, r: XReg, idx: usize) -> bool {
        super::liveness::overwritten_after(self.insns, &self.plan.facts.ops, r.num() as u32, idx)
    }

    /// Moves on to the next instruction of the slice (the second of a pair).
    pub(super) fn step(&mut self) {
        self.cur.pc = self.next_pc();
        self.cur.idx += 1;
        self.cur.len = self.insns[self.cur.idx].len;
    }

    /// Lowers the instruction at `idx` together with the next one when the two form a
    /// pattern; returns how many instructions after `idx` it lowered.
    pub(super) fn fuse(&mut self) -> Option<usize> {
        if let Some(n) = self.rotate_part() {
            return Some(n);
        }
        if let Some(n) = self.flags_compare() {
            return Some(n);
        }
        if let Some((n, kind)) = self.address_run() {
            self.out.fused.push(kind);
            return Some(n);
        }
        let (a, b) = match self.insns.get(self.cur.idx..self.cur.idx + 2)? {
            [a, b] => (a.insn, b.insn),
            _ => return None,
        };
        // A shift moved down to its rotate's `or` is lowered there; the target of a branch
        // inside the block (join.rs) needs code of its own.
        // Nor does a region's first instruction (regions.rs), which starts with its
        // region's transition.
        if self.in_rotate(self.cur.idx + 1)
            || self.plan.joins.is_target(self.cur.idx + 1)
            || self.alloc.starts_region(self.cur.idx + 1)
        {
            return None;
        }
        let last = self.cur.idx + 2 == self.insns.len();
        let kind = if let Some((rd, v)) = upper(&a, self.cur.pc).filter(|u| u.0.num() != 0) {
            match b {
                Insn::Addi(i) if i.rs1 == rd => {
                    self.constant(rd, v, i.rd, v.wrapping_add(i.imm as i64 as u64))
                }
                Insn::Addiw(i) if i.rs1 == rd => self.constant(
                    rd,
                    v,
                    i.rd,
                    v.wrapping_add(i.imm as i64 as u64) as i32 as i64 as u64,
                ),
                Insn::Jalr(j) if j.rs1 == rd && last && matches!(a, Insn::Auipc(_)) => {
                    self.call(rd, v, v.wrapping_add(j.imm as i64 as u64) & !1, j.rd)?
                }
                b => self.constant_address(rd, v, &b)?,
            }
        } else if let Insn::Slli(s) = a {
            match b {
                Insn::Add(_) => {
                    let (s, base) = scaled_add(&a, &b)?;
                    self.scaled_add(s, base)
                }
                Insn::Srli(t) | Insn::Srai(t)
                    if t.rd == s.rd && t.rs1 == s.rd && t.shamt == s.shamt && s.rd.num() != 0 =>
                {
                    let w = kept(s.shamt)?;
                    self.extend(s, w, matches!(b, Insn::Srai(_)))
                }
                _ => return None,
            }
        } else if let Insn::Add(r) = a {
            self.sum_access(r, &b)?
        } else if let Some((t, x, y, cc)) = set_less(&a).filter(|s| s.0.num() != 0) {
            // Inside a superblock only: at a block's end the budget check comes between the
            // compare and the jump, and takes the flags.
            let (off, nonzero) = branch_on(&b, t)?;
            if last {
                return None;
            }
            self.compare_branch(t, x, y, if nonzero { cc } else { cc.inverse() }, off)
        } else {
            return None;
        };
        self.out.fused.push(kind);
        Some(1)
    }

    /// `lui`/`auipc` `rd` = `v` then `rd2` = `v2`: both constants.
    fn constant(&mut self, rd: XReg, v: u64, rd2: XReg, v2: u64) -> Fusion {
        if rd != rd2 && !self.dead_after(rd, self.cur.idx + 1) {
            self.write_imm(rd, v);
        }
        self.step();
        self.write_imm(rd2, v2);
        Fusion::Constant
    }

    /// `auipc rd` (= `v`) then `jalr link` through it: a jump to the constant `target`,
    /// lowered as the `jal` that lands there.
    fn call(&mut self, rd: XReg, v: u64, target: u64, link: XReg) -> Option<Fusion> {
        let jalr_pc = self.next_pc();
        let off = i32::try_from(target.wrapping_sub(jalr_pc) as i64).ok()?;
        if rd != link && !self.dead_after(rd, self.cur.idx + 1) {
            self.write_imm(rd, v);
        }
        self.step();
        self.jal(J { rd: link, off });
        Some(Fusion::Call)
    }

    /// `lui`/`auipc rd` (= `v`) then a load or store through it: when the access lies below
    /// the limit and in reach of a 32-bit displacement, `[base + addr]` with no limit check
    /// (the check could only pass). The host's protections still fault as for any access.
    fn constant_address(&mut self, rd: XReg, v: u64, b: &Insn) -> Option<Fusion> {
        let (imm, w) = match (load(b), store(b)) {
            (Some((l, w)), _) if l.rs1 == rd => (l.imm, w.w),
            (_, Some((s, w))) if s.rs1 == rd => (s.imm, w),
            _ => return None,
        };
        let addr = v.wrapping_add(imm as i64 as u64);
        let end = addr.checked_add(bytes(w))?;
        if end > self.plan.limit || addr > i32::MAX as u64 {
            return None;
        }
        let m = Mem::at(crate::abi::MEM, addr as i32);
        if !self.dead_after(rd, self.cur.idx) {
            // Written first: a fault in the access finds it.
            self.write_imm(rd, v);
        }
        self.step();
        if let Some((l, w)) = load(b) {
            self.load_from(l.rd, w, m);
        } else if let Some((s, w)) = store(b) {
            self.store_to(s.rs2, w, m);
        }
        Some(Fusion::ConstantAddress)
    }

    /// `slli t, i, s` then `add t, base, t`: one `lea`.
    pub(super) fn scaled_add(&mut self, s: ShiftF, base: XReg) -> Fusion {
        let x = self.read(base, T1);
        let y = self.read(s.rs1, T2);
        let t = self.target(s.rd, &[]);
        self.step();
        self.e.lea(
            t,
            Mem {
                base: x,
                index: Some((y, 1 << s.shamt)),
                disp: 0,
            },
        );
        self.write(s.rd, t);
        Fusion::ScaledAdd
    }

    /// `slli t, s, n` then `srli`/`srai t, t, n`: the low `w` bits of `s`, zero- or
    /// sign-extended.
    fn extend(&mut self, s: ShiftF, w: W, signed: bool) -> Fusion {
        if signed && w == W::B32 && self.copy_extended(s.rd, s.rs1, Saved::ShiftPair) {
            self.step();
            return Fusion::Extend;
        }
        let t = self.target(s.rd, &[]);
        let v = self.read(s.rs1, t);
        self.step();
        if signed {
            self.e.sx(w, t, v);
        } else {
            self.e.zx(w, t, v);
        }
        self.write(s.rd, t);
        Fusion::Extend
    }

    /// `slt t, x, y` then a branch on `t` inside a superblock: the branch jumps on the
    /// compare's own flags (`t`'s write leaves them alone).
    fn compare_branch(
        &mut self,
        t: XReg,
        x: XReg,
        y: Result<XReg, i32>,
        cc: Cc,
        off: i32,
    ) -> Fusion {
        if self.dead_after(t, self.cur.idx + 1) {
            self.compare_operands(x, y);
        } else {
            let less = if matches!(cc, Cc::L | Cc::Ge) {
                Cc::L
            } else {
                Cc::B
            };
            self.set_less(t, x, y, less);
        }
        self.step();
        let target = self.cur.pc.wrapping_add(off as i64 as u64);
        self.inner_branch(cc, target);
        Fusion::CompareBranch
    }
}
