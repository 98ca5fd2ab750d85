//! `andn` (BMI1) for the `not` and `and` compilers write for `~x & y`:
//!
//! ```text
//!   not t, x   (xori t, x, -1)   moved down to the `and`
//!   …
//!   and d, t, y                  andn d, x, y      (either operand order)
//! ```
//!
//! As with rotates (rotate.rs, whose roles these are), gcc schedules the `not` apart from
//! its `and` (sha256's and sha512's Ch function: ten instructions between), so [`find`]
//! looks back from each `and` for the `not` that wrote an operand and moves it down when
//! nothing can tell: every instruction between is pure, none writes `x` or `t` or reads `t`,
//! no join target lies between, and `t` is the `and`'s own destination or written again
//! before anything reads it ([`overwritten_after`]) — so `t` itself is never written.
//! The `and` then reads `x` where the `not` did.

use super::liveness::{overwritten_after, pure, Operands};
use super::rotate::{Role, WINDOW};
use super::Lower;
use super::{T1, T2};
use isa_a::{Decoded, Insn, XReg};

/// An `and` computing `!x & y` through `t`, the `not`'s destination.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) struct Andn {
    pub(super) x: XReg,
    pub(super) t: XReg,
    y: XReg,
}

/// The `not` whose result the `and` at `k` reads, moved down to it: its index and what the
/// pair computes.
pub(super) fn find(
    insns: &[Decoded],
    ops: &[Operands],
    roles: &[Role],
    k: usize,
) -> Option<(usize, Andn)> {
    let Insn::And(a) = insns[k].insn else {
        return None;
    };
    if a.rd.num() == 0 || a.rs1 == a.rs2 {
        return None;
    }
    let bit = |r: XReg| 1u32 << r.num();
    [(a.rs1, a.rs2), (a.rs2, a.rs1)]
        .into_iter()
        .find_map(|(t, y)| {
            if t.num() == 0 {
                return None;
            }
            let p = (k.saturating_sub(WINDOW)..k)
                .rev()
                .find(|&i| ops[i].x_writes & bit(t) != 0)?;
            let Insn::Xori(n) = insns[p].insn else {
                return None;
            };
            let x = n.rs1;
            if n.imm != -1 || x == t || roles[p] != Role::None {
                return None;
            }
            let untouched = (p + 1..k).all(|m| {
                pure(&insns[m].insn)
                    && ops[m].x_writes & (bit(x) | bit(t)) == 0
                    && ops[m].x_reads & bit(t) == 0
            });
            let t_unread = t == a.rd || overwritten_after(insns, ops, t.num() as u32, k);
            (untouched && t_unread).then_some((p, Andn { x, t, y }))
        })
}

impl Lower<'_> {
    /// `rd = !x & y` for the `and` at the current instruction.
    pub(super) fn andn(&mut self, a: Andn) {
        let Insn::And(o) = self.insns[self.cur.idx].insn else {
            unreachable!("an andn is planned at its `and`");
        };
        let x = self.read(a.x, T1);
        let y = self.read(a.y, T2);
        let d = self.target(o.rd, &[]);
        self.e.andn(d, x, y);
        self.write(o.rd, d);
    }
}

#[cfg(test)]
mod tests {
    use super::super::liveness::analyse;
    use super::super::rotate::plan;
    use super::super::test_insns::{d, i, r};
    use super::*;

    /// Which instructions the plan moves (M) and lowers as an `andn` (A).
    fn roles(insns: &[Decoded]) -> String {
        plan(insns, &analyse(insns, 0), true, |_| false)
            .iter()
            .map(|r| match r {
                Role::Moved => 'M',
                Role::Andn(_) => 'A',
                _ => '.',
            })
            .collect()
    }

    fn not(t: u32, x: u32) -> Decoded {
        d(Insn::Xori(i(t, x, -1)))
    }

    #[test]
    fn a_not_moves_down_to_its_and() {
        // sha256's Ch: t is the `and`'s destination.
        let ch = [
            not(14, 13),
            d(Insn::And(r(24, 13, 28))),
            d(Insn::And(r(14, 14, 1))),
            d(Insn::Xor(r(14, 14, 24))),
        ];
        assert_eq!(roles(&ch), "M.A.");
        // t overwritten after, either operand order.
        let code = [
            not(5, 10),
            d(Insn::And(r(6, 11, 5))),
            d(Insn::Addi(i(5, 0, 1))),
        ];
        assert_eq!(roles(&code), "MA.");
    }

    #[test]
    fn near_misses_stay_two_instructions() {
        let and = d(Insn::And(r(6, 5, 11)));
        // t read after the `and`; x written, t read between; another immediate; x is t.
        assert_eq!(roles(&[not(5, 10), and, d(Insn::Add(r(7, 5, 6)))]), "...");
        assert_eq!(roles(&[not(5, 10), d(Insn::Addi(i(10, 0, 1))), and]), "...");
        assert_eq!(roles(&[not(5, 10), d(Insn::Addi(i(9, 5, 1))), and]), "...");
        assert_eq!(roles(&[d(Insn::Xori(i(5, 10, 1))), and]), "..");
        assert_eq!(roles(&[not(5, 5), d(Insn::And(r(5, 5, 11)))]), "..");
    }
}
