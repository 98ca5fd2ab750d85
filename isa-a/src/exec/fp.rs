//! F and D: every operation goes through the exact software path in `softfloat`.
//!
//! Registers hold bits. A single is NaN-boxed (upper 32 bits all ones); an operand that is not
//! properly boxed reads as the canonical NaN. Only the transfer instructions (`flw`, `fsw`,
//! `fmv.x.w`, `fmv.w.x`) see raw bits.

use super::i::sext32;
use super::{trap, Flow, Interp, Trap};
use crate::bus::Bus;
use crate::decode::Illegal;
use crate::format::{F1rm, FCmp, FLoad, FMvX, FRrm, FStore, FToX, XMvF, XToF, FR, R4};
use crate::reg::Rm;
use crate::softfloat::{self as sf, Fmt, Round, F32, F64};

/// A floating-point format as the register file sees it: how values are boxed.
pub(super) trait Reg: Fmt {
    /// The operand value of a register's bits.
    fn unbox(bits: u64) -> u64;
    /// The register bits for a result.
    fn boxed(v: u64) -> u64;
    /// The sign bit.
    const SIGN: u64;
}

impl Reg for F32 {
    fn unbox(bits: u64) -> u64 {
        if bits >> 32 == 0xffff_ffff {
            bits & 0xffff_ffff
        } else {
            0x7fc0_0000
        }
    }
    fn boxed(v: u64) -> u64 {
        v | 0xffff_ffff_0000_0000
    }
    const SIGN: u64 = 1 << 31;
}

impl Reg for F64 {
    fn unbox(bits: u64) -> u64 {
        bits
    }
    fn boxed(v: u64) -> u64 {
        v
    }
    const SIGN: u64 = 1 << 63;
}

/// The sign manipulations that turn `fma` into the four fused instructions.
#[derive(Copy, Clone, Debug)]
pub(super) enum Fused {
    /// rs1×rs2 + rs3
    Madd,
    /// rs1×rs2 − rs3
    Msub,
    /// −(rs1×rs2) + rs3
    Nmsub,
    /// −(rs1×rs2) − rs3
    Nmadd,
}

/// Which sign-injection.
#[derive(Copy, Clone, Debug)]
pub(super) enum Sgnj {
    Copy,
    Negate,
    Xor,
}

impl<M: Bus + ?Sized> Interp<'_, M> {
    /// The rounding mode an instruction uses; a reserved dynamic mode is illegal.
    fn round(&self, rm: Rm) -> Result<Round, Trap> {
        let bits = match rm {
            Rm::Dyn => self.cpu.frm(),
            rm => rm.bits(),
        };
        Ok(match bits {
            0 => Round::Rne,
            1 => Round::Rtz,
            2 => Round::Rdn,
            3 => Round::Rup,
            4 => Round::Rmm,
            _ => return Err(self.illegal()),
        })
    }

    /// Illegal-instruction trap for the instruction being executed (FP and CSR instructions
    /// that reach here are never compressed).
    pub(super) fn illegal(&self) -> Trap {
        Trap::Illegal(Illegal {
            bits: 0,
            len: self.len,
        })
    }

    fn accrue(&mut self, fl: u8) {
        self.cpu.fcsr |= fl as u32;
    }

    fn frs<F: Reg>(&self, r: crate::reg::FReg) -> u64 {
        F::unbox(self.cpu.fr(r))
    }

    pub(super) fn fp_load(&mut self, a: FLoad, bits: u32) -> Flow {
        let addr = self.cpu.xr(a.rs1).wrapping_add(a.imm as i64 as u64);
        let v = if bits == 32 {
            F32::boxed(trap!(self.bus.load32(addr)) as u64)
        } else {
            trap!(self.bus.load64(addr))
        };
        self.cpu.set_fr(a.rd, v);
        Flow::Next
    }

    pub(super) fn fp_store(&mut self, a: FStore, bits: u32) -> Flow {
        let addr = self.cpu.xr(a.rs1).wrapping_add(a.imm as i64 as u64);
        let v = self.cpu.fr(a.rs2);
        trap!(if bits == 32 {
            self.bus.store32(addr, v as u32)
        } else {
            self.bus.store64(addr, v)
        });
        Flow::Next
    }

    pub(super) fn fp_fused<F: Reg>(&mut self, a: R4, kind: Fused) -> Flow {
        let rm = trap!(self.round(a.rm));
        let (x, y, z) = (
            self.frs::<F>(a.rs1),
            self.frs::<F>(a.rs2),
            self.frs::<F>(a.rs3),
        );
        let (x, z) = match kind {
            Fused::Madd => (x, z),
            Fused::Msub => (x, z ^ F::SIGN),
            Fused::Nmsub => (x ^ F::SIGN, z),
            Fused::Nmadd => (x ^ F::SIGN, z ^ F::SIGN),
        };
        let mut fl = 0;
        let v = sf::fma::<F>(x, y, z, rm, &mut fl);
        self.accrue(fl);
        self.cpu.set_fr(a.rd, F::boxed(v));
        Flow::Next
    }

    pub(super) fn fp_arith<F: Reg>(
        &mut self,
        a: FRrm,
        op: fn(u64, u64, Round, &mut u8) -> u64,
    ) -> Flow {
        let rm = trap!(self.round(a.rm));
        let mut fl = 0;
        let v = op(self.frs::<F>(a.rs1), self.frs::<F>(a.rs2), rm, &mut fl);
        self.accrue(fl);
        self.cpu.set_fr(a.rd, F::boxed(v));
        Flow::Next
    }

    pub(super) fn fp_sqrt<F: Reg>(&mut self, a: F1rm) -> Flow {
        let rm = trap!(self.round(a.rm));
        let mut fl = 0;
        let v = sf::sqrt::<F>(self.frs::<F>(a.rs1), rm, &mut fl);
        self.accrue(fl);
        self.cpu.set_fr(a.rd, F::boxed(v));
        Flow::Next
    }

    pub(super) fn fp_sgnj<F: Reg>(&mut self, a: FR, kind: Sgnj) -> Flow {
        let (x, y) = (self.frs::<F>(a.rs1), self.frs::<F>(a.rs2));
        let sign = match kind {
            Sgnj::Copy => y & F::SIGN,
            Sgnj::Negate => !y & F::SIGN,
            Sgnj::Xor => (x ^ y) & F::SIGN,
        };
        self.cpu.set_fr(a.rd, F::boxed((x & !F::SIGN) | sign));
        Flow::Next
    }

    pub(super) fn fp_minmax<F: Reg>(&mut self, a: FR, op: fn(u64, u64, &mut u8) -> u64) -> Flow {
        let mut fl = 0;
        let v = op(self.frs::<F>(a.rs1), self.frs::<F>(a.rs2), &mut fl);
        self.accrue(fl);
        self.cpu.set_fr(a.rd, F::boxed(v));
        Flow::Next
    }

    pub(super) fn fp_cmp<F: Reg>(&mut self, a: FCmp, op: fn(u64, u64, &mut u8) -> bool) -> Flow {
        let mut fl = 0;
        let v = op(self.frs::<F>(a.rs1), self.frs::<F>(a.rs2), &mut fl);
        self.accrue(fl);
        self.cpu.set_xr(a.rd, v as u64);
        Flow::Next
    }

    pub(super) fn fp_classify<F: Reg>(&mut self, a: FMvX) -> Flow {
        self.cpu
            .set_xr(a.rd, sf::classify::<F>(self.frs::<F>(a.rs1)));
        Flow::Next
    }

    /// `fcvt.{w,wu,l,lu}.{s,d}`.
    pub(super) fn fp_to_int<F: Reg>(&mut self, a: FToX, signed: bool, width: u32) -> Flow {
        let rm = trap!(self.round(a.rm));
        let mut fl = 0;
        let v = sf::to_int::<F>(self.frs::<F>(a.rs1), signed, width, rm, &mut fl);
        self.accrue(fl);
        self.cpu.set_xr(a.rd, v);
        Flow::Next
    }

    /// `fcvt.{s,d}.{w,wu,l,lu}`.
    pub(super) fn fp_from_int<F: Reg>(&mut self, a: XToF, signed: bool, width: u32) -> Flow {
        let rm = trap!(self.round(a.rm));
        let mut fl = 0;
        let v = sf::from_int::<F>(self.cpu.xr(a.rs1), signed, width, rm, &mut fl);
        self.accrue(fl);
        self.cpu.set_fr(a.rd, F::boxed(v));
        Flow::Next
    }

    /// `fcvt.s.d`.
    pub(super) fn narrow(&mut self, a: F1rm) -> Flow {
        let rm = trap!(self.round(a.rm));
        let mut fl = 0;
        let v = sf::f64_to_f32(self.frs::<F64>(a.rs1), rm, &mut fl);
        self.accrue(fl);
        self.cpu.set_fr(a.rd, F32::boxed(v));
        Flow::Next
    }

    /// `fcvt.d.s`: exact, but the mode field must still be a valid one.
    pub(super) fn widen(&mut self, a: F1rm) -> Flow {
        trap!(self.round(a.rm));
        let mut fl = 0;
        let v = sf::f32_to_f64(self.frs::<F32>(a.rs1), &mut fl);
        self.accrue(fl);
        self.cpu.set_fr(a.rd, v);
        Flow::Next
    }

    /// `fmv.x.w` / `fmv.x.d`: raw bits, a word sign-extended.
    pub(super) fn fmv_to_x(&mut self, a: FMvX, bits: u32) -> Flow {
        let v = self.cpu.fr(a.rs1);
        self.cpu
            .set_xr(a.rd, if bits == 32 { sext32(v) } else { v });
        Flow::Next
    }

    /// `fmv.w.x` / `fmv.d.x`.
    pub(super) fn fmv_from_x(&mut self, a: XMvF, bits: u32) -> Flow {
        let v = self.cpu.xr(a.rs1);
        self.cpu.set_fr(
            a.rd,
            if bits == 32 {
                F32::boxed(v & 0xffff_ffff)
            } else {
                v
            },
        );
        Flow::Next
    }
}
