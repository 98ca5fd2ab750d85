//! The architectural state of one RV64GC hart in user mode.

use crate::reg::{FReg, XReg};

/// No LR reservation is held.
pub const NO_RESERVATION: u64 = u64::MAX;

/// Registers, pc, fcsr, the retired-instruction counter and the LR reservation.
///
/// `#[repr(C)]` because translated code addresses these fields at fixed offsets.
#[derive(Clone, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct Cpu {
    /// x0..x31; `x[0]` is always zero.
    pub x: [u64; 32],
    /// f0..f31 as raw bits; single-precision values are NaN-boxed.
    pub f: [u64; 32],
    /// The address of the instruction being executed or about to be.
    pub pc: u64,
    /// Instructions retired so far (the `instret` and `cycle` counters).
    pub instret: u64,
    /// The address an `lr` reserved, or [`NO_RESERVATION`].
    pub reservation: u64,
    /// The value `lr` read there: `sc` succeeds only if memory still holds it.
    pub reservation_value: u64,
    /// `frm` in bits 7:5, `fflags` in bits 4:0.
    pub fcsr: u32,
}

impl Default for Cpu {
    fn default() -> Self {
        Cpu {
            x: [0; 32],
            f: [0; 32],
            pc: 0,
            instret: 0,
            reservation: NO_RESERVATION,
            reservation_value: 0,
            fcsr: 0,
        }
    }
}

impl Cpu {
    /// A hart about to execute at `pc`, all else zero.
    pub fn new(pc: u64) -> Cpu {
        Cpu {
            pc,
            ..Cpu::default()
        }
    }
    #[inline(always)]
    pub fn xr(&self, r: XReg) -> u64 {
        self.x[r.num()]
    }
    /// Writes `r`; writes to x0 are dropped.
    #[inline(always)]
    pub fn set_xr(&mut self, r: XReg, v: u64) {
        if r.num() != 0 {
            self.x[r.num()] = v;
        }
    }
    #[inline(always)]
    pub fn fr(&self, r: FReg) -> u64 {
        self.f[r.num()]
    }
    #[inline(always)]
    pub fn set_fr(&mut self, r: FReg, v: u64) {
        self.f[r.num()] = v;
    }
    /// The dynamic rounding mode field.
    pub fn frm(&self) -> u32 {
        (self.fcsr >> 5) & 7
    }
    pub fn fflags(&self) -> u32 {
        self.fcsr & 0x1f
    }
}
