//! The values a run of address arithmetic (addressing.rs) computes, kept in the form x86
//! addresses memory with: `base + index * scale + disp`, base and index guest registers'
//! values before the run. `slli` by up to 3 scales, `addi` moves the constant, `add` joins
//! two such values; whatever leaves that form (two scaled terms, three registers, a scale
//! past 8) is none. The arithmetic is the guest's, modulo 2^64: a shift of `r + c` is
//! `r * 2^k + c * 2^k`, and the constant is kept well inside 32 bits.

use isa_a::{Insn, XReg};

/// A value as x86 addresses it: at most two guest registers' values (one of them scaled)
/// and a constant.
#[derive(Copy, Clone, Debug, PartialEq)]
pub(super) struct Expr {
    pub(super) base: Option<XReg>,
    pub(super) index: Option<(XReg, u32)>,
    pub(super) disp: i64,
}

impl Expr {
    /// Register `r`'s value (x0's is 0).
    pub(super) fn reg(r: XReg) -> Expr {
        Expr {
            base: (r.num() != 0).then_some(r),
            index: None,
            disp: 0,
        }
    }

    /// Its terms: (register, scale).
    pub(super) fn terms(&self) -> Vec<(XReg, u32)> {
        self.base
            .map(|b| (b, 1))
            .into_iter()
            .chain(self.index)
            .collect()
    }

    /// The expression of `terms` and `disp`, if x86 can address it: at most two terms, at
    /// most one scaled.
    pub(super) fn of(terms: &[(XReg, u32)], disp: i64) -> Option<Expr> {
        let disp = (disp.abs() < 1 << 30).then_some(disp)?;
        match *terms {
            [] => Some(Expr {
                base: None,
                index: None,
                disp,
            }),
            [(r, 1)] => Some(Expr {
                base: Some(r),
                index: None,
                disp,
            }),
            [i] => Some(Expr {
                base: None,
                index: Some(i),
                disp,
            }),
            [(b, 1), i] | [i, (b, 1)] => Some(Expr {
                base: Some(b),
                index: Some(i),
                disp,
            }),
            _ => None,
        }
    }

    fn add(&self, o: &Expr) -> Option<Expr> {
        let terms: Vec<_> = self.terms().into_iter().chain(o.terms()).collect();
        Expr::of(&terms, self.disp + o.disp)
    }

    fn shl(&self, k: u32) -> Option<Expr> {
        let terms: Vec<_> = self.terms().into_iter().map(|(r, s)| (r, s << k)).collect();
        if terms.iter().any(|&(_, s)| s > 8) {
            return None;
        }
        Expr::of(&terms, self.disp << k)
    }
}

/// The value `insn` (`slli` by up to 3, `addi`, `add`) writes, from the values `x` of its
/// sources; None for anything else, or a value x86 cannot address.
pub(super) fn eval(insn: &Insn, x: impl Fn(XReg) -> Expr) -> Option<(XReg, Expr)> {
    match *insn {
        Insn::Slli(s) if s.shamt <= 3 => Some((s.rd, x(s.rs1).shl(s.shamt)?)),
        Insn::Addi(i) => {
            let v = x(i.rs1);
            Some((i.rd, Expr::of(&v.terms(), v.disp + i.imm as i64)?))
        }
        Insn::Add(r) => Some((r.rd, x(r.rs1).add(&x(r.rs2))?)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_insns::{i, r, shift, x};
    use super::*;

    /// The values of `code` run from the start, each register its own value before.
    fn run(code: &[Insn]) -> Option<[Expr; 32]> {
        let mut vals: [Expr; 32] = std::array::from_fn(|r| Expr::reg(x(r as u32)));
        for insn in code {
            let (rd, v) = eval(insn, |r| vals[r.num()])?;
            if rd.num() != 0 {
                vals[rd.num()] = v;
            }
        }
        Some(vals)
    }

    #[test]
    fn crc32s_lookup_is_sp_plus_the_index_times_four() {
        let v = run(&[
            Insn::Slli(shift(11, 11, 2)),
            Insn::Addi(i(13, 11, 1024)),
            Insn::Add(r(11, 13, 2)),
        ])
        .unwrap();
        let want = Expr {
            base: Some(x(2)),
            index: Some((x(11), 4)),
            disp: 1024,
        };
        assert_eq!(v[11], want);
        // a3 is the index's part alone.
        assert_eq!(v[13].base, None);
        assert_eq!(v[13].index, Some((x(11), 4)));
    }

    #[test]
    fn what_x86_cannot_address_is_none() {
        // Two scaled terms, a scale past 8, three registers.
        let scaled = Insn::Slli(shift(5, 6, 1));
        assert!(run(&[scaled, Insn::Slli(shift(7, 8, 1)), Insn::Add(r(9, 5, 7))]).is_none());
        assert!(run(&[scaled, Insn::Slli(shift(5, 5, 3))]).is_none());
        assert!(run(&[Insn::Add(r(5, 6, 7)), Insn::Add(r(5, 5, 8))]).is_none());
        assert!(run(&[Insn::Slli(shift(5, 6, 4))]).is_none());
        // x0 adds nothing; the constant is shifted with the register.
        let v = run(&[
            Insn::Addi(i(5, 6, 3)),
            Insn::Add(r(5, 5, 0)),
            Insn::Slli(shift(5, 5, 2)),
        ]);
        assert_eq!(
            v.unwrap()[5],
            Expr {
                base: None,
                index: Some((x(6), 4)),
                disp: 12,
            }
        );
    }
}
