//! Value bounds: the guest registers known to hold a small value, and how small, for the
//! limit-check elision of table lookups (checked.rs: `base + index` with the index bounded).
//!
//! A bound `(a, b)` on `r` says `a <= r <= b`, `r` read as a signed 64-bit value, with
//! `-CAP < a <= b < CAP`: small enough that a sum or a shift of two bounds cannot overflow,
//! and the same read as signed or, when `a >= 0`, unsigned, as 32 bits or as 64. Where
//! bounds come from (the result's bound from its operands' ones, before the write):
//!
//! ```text
//!   x0                   (0, 0)
//!   lui rd, imm          (imm, imm)
//!   andi rd, rs, m       (0, m) if m >= 0; (0, b) if rs is (a >= 0, b)   x & m <= x
//!   and rd, rs, rt       (0, b) of either operand with a >= 0
//!   srli rd, rs, k       (a >> k, b >> k) if a >= 0; else (0, 2^(64-k) - 1) if that is small
//!   srliw rd, rs, k      likewise from the low 32 bits, k >= 1 (the result's bit 31 is 0)
//!   slli[w] rd, rs, k    (a * 2^k, b * 2^k) while small (`w`: while it fits in 32 bits)
//!   addi[w] rd, rs, c    (a + c, b + c) while small
//!   add[w] rd, rs, rt    (a1 + a2, b1 + b2) while small
//! ```
//!
//! (`zext.b` is `andi 255`; `zext.h`, `slli 48` then `srli 48`, is bounded by the `srli`.)
//! Any other write of `rd` forgets its bound; at a join a register keeps the hull of its
//! bounds on every incoming path, if it has one on each.

use isa_a::Insn;

/// Bounds are kept strictly inside `-CAP..CAP`: inside the 32-bit signed range, so the `w`
/// forms keep them exactly.
pub(super) const CAP: i64 = 1 << 31;

/// A register's bound: `a <= r <= b`, read as signed.
pub(super) type Bound = Option<(i64, i64)>;

/// A bound per guest register (x0's is always (0, 0), whatever the slot says).
pub(super) type Bounds = [Bound; 32];

/// The bound of `r` in `bs`.
pub(super) fn of(bs: &Bounds, r: isa_a::XReg) -> Bound {
    match r.num() {
        0 => Some((0, 0)),
        n => bs[n],
    }
}

/// A bound kept only while it is small.
fn small(a: i64, b: i64) -> Bound {
    (-CAP < a && a <= b && b < CAP).then_some((a, b))
}

/// `(a, b)` scaled by `2^k`, while small.
fn shifted(bound: Bound, k: u32) -> Bound {
    let (a, b) = bound?;
    let f = 1i64.checked_shl(k).filter(|&f| f < CAP)?;
    small(a.checked_mul(f)?, b.checked_mul(f)?)
}

/// The bound of what `insn` writes to its destination register, from the bounds before it
/// (`None` for anything but the forms above).
pub(super) fn result(insn: &Insn, bs: &Bounds) -> Bound {
    use Insn::*;
    let nonneg = |r| of(bs, r).filter(|&(a, _)| a >= 0);
    match *insn {
        Lui(u) => small(u.imm as i64, u.imm as i64),
        Andi(i) if i.imm >= 0 => small(0, i.imm as i64),
        Andi(i) => nonneg(i.rs1).map(|(_, b)| (0, b)),
        And(r) => match (nonneg(r.rs1), nonneg(r.rs2)) {
            (Some((_, b1)), Some((_, b2))) => Some((0, b1.min(b2))),
            (Some((_, b)), None) | (None, Some((_, b))) => Some((0, b)),
            (None, None) => None,
        },
        Srli(s) => match nonneg(s.rs1) {
            Some((a, b)) => Some((a >> s.shamt, b >> s.shamt)),
            None if s.shamt > 32 => Some((0, (1i64 << (64 - s.shamt)) - 1)),
            None => None,
        },
        Srliw(s) => match nonneg(s.rs1) {
            Some((a, b)) => Some((a >> s.shamt, b >> s.shamt)),
            None if s.shamt >= 1 => Some((0, (1i64 << (32 - s.shamt)) - 1)),
            None => None,
        },
        Slli(s) => shifted(of(bs, s.rs1), s.shamt),
        Slliw(s) => shifted(of(bs, s.rs1), s.shamt),
        Addi(i) | Addiw(i) => {
            let (a, b) = of(bs, i.rs1)?;
            small(a + i.imm as i64, b + i.imm as i64)
        }
        Add(r) | Addw(r) => {
            let ((a1, b1), (a2, b2)) = (of(bs, r.rs1)?, of(bs, r.rs2)?);
            small(a1 + a2, b1 + b2)
        }
        _ => None,
    }
}

/// The bound known on both of two paths: the hull of the two.
pub(super) fn meet(a: Bound, b: Bound) -> Bound {
    let ((a1, b1), (a2, b2)) = (a?, b?);
    Some((a1.min(a2), b1.max(b2)))
}

#[cfg(test)]
mod tests {
    use super::super::test_insns::{i, r, shift as sh, shift_w as shw, x};
    use super::*;
    use isa_a::format::U;

    fn with(r: u32, a: i64, b: i64) -> Bounds {
        let mut bs = [None; 32];
        bs[r as usize] = Some((a, b));
        bs
    }

    #[test]
    fn masks_and_right_shifts_bound_any_value() {
        let none = [None; 32];
        assert_eq!(result(&Insn::Andi(i(5, 6, 255)), &none), Some((0, 255)));
        assert_eq!(result(&Insn::Andi(i(5, 6, 0)), &none), Some((0, 0)));
        // A negative mask clears low bits only: bounded if the operand is.
        assert_eq!(result(&Insn::Andi(i(5, 6, -8)), &none), None);
        assert_eq!(
            result(&Insn::Andi(i(5, 6, -8)), &with(6, 3, 90)),
            Some((0, 90))
        );
        assert_eq!(result(&Insn::Andi(i(5, 6, -8)), &with(6, -3, 90)), None);
        assert_eq!(
            result(&Insn::And(r(5, 6, 7)), &with(7, 0, 15)),
            Some((0, 15))
        );
        assert_eq!(result(&Insn::And(r(5, 6, 7)), &none), None);
        assert_eq!(result(&Insn::Srliw(shw(5, 6, 24)), &none), Some((0, 255)));
        assert_eq!(
            result(&Insn::Srliw(shw(5, 6, 1)), &none),
            Some((0, CAP - 1))
        );
        // srliw by 0 sign-extends the low half: anything.
        assert_eq!(result(&Insn::Srliw(shw(5, 6, 0)), &none), None);
        assert_eq!(result(&Insn::Srli(sh(5, 6, 56)), &none), Some((0, 255)));
        assert_eq!(result(&Insn::Srli(sh(5, 6, 33)), &none), Some((0, CAP - 1)));
        // A bound up to 2^32 is not kept.
        assert_eq!(result(&Insn::Srli(sh(5, 6, 32)), &none), None);
        assert_eq!(
            result(&Insn::Srli(sh(5, 6, 4)), &with(6, 32, 255)),
            Some((2, 15))
        );
        let lui = Insn::Lui(U {
            rd: x(5),
            imm: 0x7000,
        });
        assert_eq!(result(&lui, &none), Some((0x7000, 0x7000)));
    }

    #[test]
    fn shifts_and_sums_of_bounded_values_stay_bounded_while_small() {
        let b = with(6, 256, 511);
        assert_eq!(result(&Insn::Slli(sh(5, 6, 2)), &b), Some((1024, 2044)));
        assert_eq!(result(&Insn::Slliw(shw(5, 6, 2)), &b), Some((1024, 2044)));
        // Past the cap (a 32-bit slliw would wrap): forgotten.
        assert_eq!(result(&Insn::Slli(sh(5, 6, 23)), &b), None);
        assert_eq!(
            result(&Insn::Slliw(shw(5, 6, 22)), &b),
            Some((256 << 22, 511 << 22))
        );
        assert_eq!(result(&Insn::Slliw(shw(5, 6, 23)), &b), None);
        assert_eq!(result(&Insn::Slli(sh(5, 6, 2)), &[None; 32]), None);
        assert_eq!(result(&Insn::Addi(i(5, 6, -300)), &b), Some((-44, 211)));
        assert_eq!(result(&Insn::Addiw(i(5, 6, 1)), &b), Some((257, 512)));
        assert_eq!(result(&Insn::Addi(i(5, 6, 1)), &with(6, 0, CAP - 1)), None);
        // x0 is (0, 0): `mv` keeps a bound; a sum needs both operands bounded.
        assert_eq!(result(&Insn::Add(r(5, 0, 6)), &b), Some((256, 511)));
        assert_eq!(result(&Insn::Add(r(5, 7, 6)), &b), None);
        let mut two = b;
        two[7] = Some((-1, 4));
        assert_eq!(result(&Insn::Add(r(5, 7, 6)), &two), Some((255, 515)));
        assert_eq!(result(&Insn::Addw(r(5, 7, 6)), &two), Some((255, 515)));
        // Other operations forget.
        assert_eq!(result(&Insn::Sub(r(5, 7, 6)), &two), None);
        assert_eq!(result(&Insn::Srai(sh(5, 6, 2)), &b), None);
    }

    #[test]
    fn a_join_keeps_the_hull_of_both_paths_bounds() {
        assert_eq!(meet(Some((0, 4)), Some((2, 9))), Some((0, 9)));
        assert_eq!(meet(Some((0, 4)), None), None);
    }
}
