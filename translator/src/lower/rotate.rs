//! Rotates. RV64GC has no rotate instruction (Zbb is not in it), so compilers write a
//! rotate right by `n` as two shifts of one register and an `or` of the results:
//!
//! ```text
//!   srliw t, x, n ; slliw u, x, 32-n ; or r, t, u   → r = ror32(x, n), sign-extended
//!   srli  t, x, n ; slli  u, x, 64-n ; or r, t, u   → r = ror64(x, n)
//! ```
//!
//! (either shift first, the `or`'s operands in either order). The 32-bit form is the
//! sign-extended rotate: `srliw` by 1..31 clears bits 31..63, so bit 31 and above come from
//! `slliw`'s sign-extended result, whose bit 31 is the rotate's.
//!
//! gcc schedules the shifts of independent rotates together (chacha20's four quarter rounds,
//! sha256's sigma functions), so the three are rarely adjacent. [`plan`] looks back from each
//! `or` for the instructions that wrote its operands and moves both shifts down to it when
//! that changes nothing any instruction can see: every instruction between is pure (no exit,
//! access or helper call: liveness.rs), none writes `x` or the first shift's destination or
//! reads that destination, and none after the second shift reads or writes its destination.
//! Shifts only ever move later, to their own `or`, and each move is checked against the
//! instructions where they stand in the block (shifts of other rotates included), so rotates
//! interleaved with each other move together. The `or` then becomes one `ror` (and `movsxd`),
//! or with BMI2 one `rorx` when the result goes to another register than `x`'s;
//! a shift's destination is still written there unless it is the `or`'s own or
//! [`Lower::dead_after`] says nothing reads it. No ALU op of the window can fault, and a
//! window never spans a block's or a superblock part's end: a branch is not pure.
//!
//! ```text
//!   slliw a2,a0,16   (moved down)
//!   slliw a3,a1,12   (moved down)
//!   srliw a0,a0,16   (moved down)
//!   srliw a1,a1,20   (moved down)
//!   or    a0,a2,a0   ror r12d, 0x10 ; movsxd r12, r12d    (a0 in r12)
//!   or    a1,a1,a3   ror edi, 0x14 ; movsxd rdi, edi
//!   addw  a2,a0,a1   a2 and a3 are written again before anything reads them: the shifts
//!   xor   a3,a2,a0   leave them alone (tests/golden/rotate32.txt)
//! ```

use super::andn::{self, Andn};
use super::fuse::Fusion;
use super::liveness::{pure, Analysis, Operands};
use super::{Lower, T1};
use isa_a::{Decoded, Insn, XReg};
use isa_b::{Shift, W};

/// How far back from an `or` its shifts are looked for (and from an `and` its `not`).
pub(super) const WINDOW: usize = 32;

/// What an instruction of the block is to a rotate.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum Role {
    None,
    /// A shift lowered with the `or` after it.
    Moved,
    /// The `or` of a rotate: lowered as the rotate.
    Rotate(Rotate),
    /// The `and` of a `not` and an `and`: lowered as one `andn` (andn.rs).
    Andn(Andn),
}

/// A rotate right of `x` by `n`, `w` wide, and the destinations of its right and left shifts.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) struct Rotate {
    x: XReg,
    n: u8,
    pub(super) w: W,
    right: XReg,
    left: XReg,
}

/// A shift by a constant: destination, source, amount, left or not, width.
#[derive(Copy, Clone)]
struct ShiftBy {
    rd: XReg,
    x: XReg,
    by: u32,
    left: bool,
    w: W,
}

fn shift(insn: &Insn) -> Option<ShiftBy> {
    let (s, left, w) = match *insn {
        Insn::Srli(s) => ((s.rd, s.rs1, s.shamt), false, W::B64),
        Insn::Slli(s) => ((s.rd, s.rs1, s.shamt), true, W::B64),
        Insn::Srliw(s) => ((s.rd, s.rs1, s.shamt), false, W::B32),
        Insn::Slliw(s) => ((s.rd, s.rs1, s.shamt), true, W::B32),
        _ => return None,
    };
    Some(ShiftBy {
        rd: s.0,
        x: s.1,
        by: s.2,
        left,
        w,
    })
}

fn bits(w: W) -> u32 {
    if w == W::B32 {
        32
    } else {
        64
    }
}

/// Each instruction's part in a rotate, for the block `insns`; in an `andn` too, if the
/// host has BMI1 (`bmi1`).
pub(super) fn plan(
    insns: &[Decoded],
    facts: &Analysis,
    bmi1: bool,
    joined: impl Fn(usize) -> bool,
) -> Vec<Role> {
    let mut roles = vec![Role::None; insns.len()];
    for k in 0..insns.len() {
        if facts.dead[k] {
            continue;
        }
        let found = find(insns, &facts.ops, &roles, k);
        // A jump into the block between a shift and the `or` (join.rs) would skip the shift
        // moved down to the `or`.
        let found = found.filter(|&(a, b, _)| !(a.min(b) + 1..=k).any(&joined));
        if let Some((a, b, rot)) = found {
            roles[a] = Role::Moved;
            roles[b] = Role::Moved;
            roles[k] = Role::Rotate(rot);
        } else if bmi1 {
            let found = andn::find(insns, &facts.ops, &roles, k);
            if let Some((p, a)) = found.filter(|&(p, _)| !(p + 1..=k).any(&joined)) {
                roles[p] = Role::Moved;
                roles[k] = Role::Andn(a);
            }
        }
    }
    roles
}

/// The rotate whose `or` is instruction `k`: the indexes of its shifts, and what it computes.
fn find(
    insns: &[Decoded],
    ops: &[Operands],
    roles: &[Role],
    k: usize,
) -> Option<(usize, usize, Rotate)> {
    let Insn::Or(o) = insns[k].insn else {
        return None;
    };
    if o.rd.num() == 0 || o.rs1.num() == 0 || o.rs2.num() == 0 || o.rs1 == o.rs2 {
        return None;
    }
    let bit = |r: XReg| 1u32 << r.num();
    let writer = |r: XReg| {
        (k.saturating_sub(WINDOW)..k)
            .rev()
            .find(|&i| ops[i].x_writes & bit(r) != 0)
    };
    let (p, q) = (writer(o.rs1)?, writer(o.rs2)?);
    let (a, b) = (p.min(q), p.max(q));
    if roles[a] != Role::None || roles[b] != Role::None {
        return None;
    }
    let (first, second) = (shift(&insns[a].insn)?, shift(&insns[b].insn)?);
    let (x, w) = (first.x, first.w);
    if second.x != x
        || second.w != w
        || first.left == second.left
        || first.by + second.by != bits(w)
        // The second shift reads x after the first: the first must leave it.
        || first.rd == x
    {
        return None;
    }
    for m in a + 1..k {
        if m == b {
            continue;
        }
        let (reads, writes) = (ops[m].x_reads, ops[m].x_writes);
        let untouched = (writes & (bit(x) | bit(first.rd))) == 0
            && reads & bit(first.rd) == 0
            && (m < b || (reads | writes) & bit(second.rd) == 0);
        if !pure(&insns[m].insn) || !untouched {
            return None;
        }
    }
    let (right, left) = if first.left {
        (second, first)
    } else {
        (first, second)
    };
    let rot = Rotate {
        x,
        n: right.by as u8,
        w,
        right: right.rd,
        left: left.rd,
    };
    Some((a, b, rot))
}

impl Lower<'_> {
    /// Lowers the instruction at `idx` when it is part of a rotate or an `andn`: nothing for
    /// an instruction moved down, the rotate for the `or`, the `andn` for the `and`. `None`
    /// for any other instruction.
    pub(super) fn rotate_part(&mut self) -> Option<usize> {
        match self.plan.rotates[self.cur.idx] {
            Role::None => return None,
            Role::Moved => {}
            Role::Rotate(rot) => {
                self.rotate(rot);
                self.out.fused.push(if rot.w == W::B32 {
                    Fusion::Rotate32
                } else {
                    Fusion::Rotate64
                });
            }
            Role::Andn(a) => {
                self.andn(a);
                self.out.fused.push(Fusion::Andn);
            }
        }
        Some(0)
    }

    /// Whether instruction `idx` is part of a rotate.
    pub(super) fn in_rotate(&self, idx: usize) -> bool {
        self.plan.rotates.get(idx).is_some_and(|r| *r != Role::None)
    }

    /// `r = ror(x, n)`, and the shifts' destinations still read after it.
    fn rotate(&mut self, rot: Rotate) {
        let Insn::Or(o) = self.insns[self.cur.idx].insn else {
            unreachable!("a rotate is planned at its `or`");
        };
        let r = o.rd;
        let live: Vec<(XReg, bool)> = [(rot.right, false), (rot.left, true)]
            .into_iter()
            .filter(|&(t, _)| t != r && !self.dead_after(t, self.cur.idx))
            .collect();
        let d = self.target(r, &[]);
        let v = if live.iter().any(|&(t, _)| t == rot.x) {
            // Written before the rotate reads x: a copy is kept.
            self.read_into(rot.x, T1);
            T1
        } else if live.is_empty() {
            self.read(rot.x, d)
        } else {
            self.read(rot.x, T1)
        };
        for (t, left) in live {
            let to = self.target(t, &[]);
            self.e.mov_rr(W::B64, to, v);
            if left {
                let by = bits(rot.w) - rot.n as u32;
                self.e.shift_ri(Shift::Shl, rot.w, to, by as u8);
                if rot.w == W::B32 {
                    self.e.sx(W::B32, to, to);
                }
            } else {
                // By 1..31 at 32 bits: bit 31 clear, the zero-extension is the sign-extension.
                self.e.shift_ri(Shift::Shr, rot.w, to, rot.n);
            }
            self.write(t, to);
        }
        self.ror(rot, d, v);
        self.write(r, d);
    }

    /// `d = ror(v, n)` at the rotate's width, sign-extended from 32 bits: one `rorx` into
    /// another register with BMI2, else a copy first.
    fn ror(&mut self, rot: Rotate, d: isa_b::Gpr, v: isa_b::Gpr) {
        if v != d && self.plan.host.bmi2 {
            self.e.rorx(rot.w, d, v, rot.n);
        } else {
            if v != d {
                self.e.mov_rr(rot.w, d, v);
            }
            self.e.shift_ri(Shift::Ror, rot.w, d, rot.n);
        }
        if rot.w == W::B32 {
            self.extend_result(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lower::liveness::analyse;
    use isa_a::format::{Shift as S, ShiftW as Sw, R};

    fn x(n: u32) -> XReg {
        XReg::new(n)
    }
    fn d(insn: Insn) -> Decoded {
        Decoded { insn, len: 4 }
    }
    fn srliw(rd: u32, rs1: u32, n: u32) -> Decoded {
        d(Insn::Srliw(Sw {
            rd: x(rd),
            rs1: x(rs1),
            shamt: n,
        }))
    }
    fn slliw(rd: u32, rs1: u32, n: u32) -> Decoded {
        d(Insn::Slliw(Sw {
            rd: x(rd),
            rs1: x(rs1),
            shamt: n,
        }))
    }
    fn srli(rd: u32, rs1: u32, n: u32) -> Decoded {
        d(Insn::Srli(S {
            rd: x(rd),
            rs1: x(rs1),
            shamt: n,
        }))
    }
    fn slli(rd: u32, rs1: u32, n: u32) -> Decoded {
        d(Insn::Slli(S {
            rd: x(rd),
            rs1: x(rs1),
            shamt: n,
        }))
    }
    fn r(f: fn(R) -> Insn, rd: u32, rs1: u32, rs2: u32) -> Decoded {
        d(f(R {
            rd: x(rd),
            rs1: x(rs1),
            rs2: x(rs2),
        }))
    }
    fn or(rd: u32, rs1: u32, rs2: u32) -> Decoded {
        r(Insn::Or, rd, rs1, rs2)
    }

    /// Which instructions the plan moves (M) and lowers as a rotate (R).
    fn roles(insns: &[Decoded]) -> String {
        plan(insns, &analyse(insns, 0), true, |_| false)
            .iter()
            .map(|r| match r {
                Role::None => '.',
                Role::Moved => 'M',
                Role::Rotate(_) => 'R',
                Role::Andn(_) => 'A',
            })
            .collect()
    }

    #[test]
    fn adjacent_and_interleaved_rotates_are_found() {
        assert_eq!(
            roles(&[srliw(5, 10, 7), slliw(6, 10, 25), or(7, 5, 6)]),
            "MMR"
        );
        assert_eq!(
            roles(&[slli(6, 10, 1), srli(10, 10, 63), or(10, 10, 6)]),
            "MMR"
        );
        // chacha20: two quarter rounds' shifts scheduled together.
        let two = [
            slliw(12, 10, 16),
            slliw(13, 11, 12),
            srliw(10, 10, 16),
            srliw(11, 11, 20),
            or(10, 12, 10),
            or(11, 11, 13),
        ];
        assert_eq!(roles(&two), "MMMMRR");
    }

    #[test]
    fn near_misses_stay_shifts() {
        // Amounts that do not add up to the width, or 0 and the width.
        assert_eq!(
            roles(&[srliw(5, 10, 7), slliw(6, 10, 24), or(7, 5, 6)]),
            "..."
        );
        assert_eq!(roles(&[srli(5, 10, 0), slli(6, 10, 0), or(7, 5, 6)]), "...");
        // Mixed widths, two sources, two lefts.
        assert_eq!(
            roles(&[srliw(5, 10, 7), slli(6, 10, 25), or(7, 5, 6)]),
            "..."
        );
        assert_eq!(
            roles(&[srliw(5, 10, 7), slliw(6, 11, 25), or(7, 5, 6)]),
            "..."
        );
        assert_eq!(
            roles(&[slliw(5, 10, 7), slliw(6, 10, 25), or(7, 5, 6)]),
            "..."
        );
        // The first shift writes x: the second reads its result.
        assert_eq!(
            roles(&[srliw(10, 10, 7), slliw(6, 10, 25), or(7, 10, 6)]),
            "..."
        );
        // Between them: x written, a destination read, a fence (not pure).
        let addi = |rd: u32, rs1: u32| {
            d(Insn::Addi(isa_a::format::I {
                rd: x(rd),
                rs1: x(rs1),
                imm: 1,
            }))
        };
        let fence = d(Insn::Fence(isa_a::format::Fence {
            fm: 0,
            pred: 15,
            succ: 15,
        }));
        for between in [addi(10, 0), addi(9, 5), fence] {
            let code = [srliw(5, 10, 7), between, slliw(6, 10, 25), or(7, 5, 6)];
            assert_eq!(roles(&code), "....");
        }
        // The second shift's destination read after it, before the `or`.
        let code = [srliw(5, 10, 7), slliw(6, 10, 25), addi(9, 6), or(7, 5, 6)];
        assert_eq!(roles(&code), "....");
        // ... but an independent instruction between is fine.
        let code = [srliw(5, 10, 7), addi(9, 11), slliw(6, 10, 25), or(7, 5, 6)];
        assert_eq!(roles(&code), "M.MR");
    }
}
