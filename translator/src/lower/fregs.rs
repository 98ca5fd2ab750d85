//! Floating-point registers mirrored in SSE registers within a block.
//!
//! ```text
//!   Cpu.f[r] ──prologue──▶ xmm2..xmm15 (the block's most read FP registers)
//!   every write: Cpu.f[r] (always exact) and its mirror
//!   every helper call: mirrors reloaded (the interpreter may have written f[r])
//! ```
//!
//! The `Cpu` stays the home of every FP register (write-through), so exits, faults and helper
//! calls need nothing; reading the mirror instead of the slot keeps FP dependency chains in
//! registers, out of store-to-load forwarding.

use super::fp::{f_slot, Prec};
use super::{Lower, T1, T2};
use isa_a::FReg;
use isa_b::{Alu, FSrc, Gpr, Xmm, W};

/// SSE registers the mirrors may use: xmm0 and xmm1 are scratch.
const MIRRORS: u8 = 14;

/// The mirror assignment for a block from its FP register read counts: the most read first.
pub(super) fn assign(reads: &[u32; 32]) -> [Option<Xmm>; 32] {
    let mut order: Vec<usize> = (0..32).filter(|&r| reads[r] > 0).collect();
    order.sort_by_key(|&r| std::cmp::Reverse(reads[r]));
    let mut out = [None; 32];
    for (i, r) in order.into_iter().take(MIRRORS as usize).enumerate() {
        out[r] = Some(Xmm::new(2 + i as u8));
    }
    out
}

impl Lower<'_> {
    /// Where to read FP register `r` from: its mirror, or its slot.
    pub(super) fn fsrc(&mut self, r: FReg) -> FSrc {
        match self.ra.fregs[r.num()] {
            Some(x) => FSrc::Reg(x),
            None => FSrc::Mem(f_slot(r)),
        }
    }

    /// `x = f[r]`.
    pub(super) fn fload_into(&mut self, x: Xmm, r: FReg) {
        match self.fsrc(r) {
            FSrc::Reg(m) => self.e.mov_xx(x, m),
            FSrc::Mem(m) => self.e.load_f(Prec::D, x, m),
        }
    }

    /// Makes `d` hold `f[r]`: nothing to do when `d` is `r`'s mirror.
    pub(super) fn fload_dest(&mut self, d: Xmm, r: FReg) {
        if self.ra.fregs[r.num()] != Some(d) {
            self.fload_into(d, r);
        }
    }

    /// `g = ` the bit pattern of `f[r]` (the low half for a single).
    pub(super) fn fbits(&mut self, g: Gpr, r: FReg, p: Prec) {
        match (p, self.fsrc(r)) {
            (Prec::D, FSrc::Reg(x)) => self.e.movq_rx(g, x),
            (Prec::S, FSrc::Reg(x)) => self.e.movd_rx(g, x),
            (_, FSrc::Mem(m)) => self.e.load(p.w(), g, m),
        }
    }

    /// An SSE register holding `f[r]`: its mirror, or `scratch` loaded from the slot.
    pub(super) fn fread(&mut self, r: FReg, scratch: Xmm) -> Xmm {
        match self.fsrc(r) {
            FSrc::Reg(m) => m,
            FSrc::Mem(m) => {
                self.e.load_f(Prec::D, scratch, m);
                scratch
            }
        }
    }

    /// `f[rd] = xmm0` (all 64 bits), slot and mirror.
    pub(super) fn fwrite_x0(&mut self, rd: FReg) {
        self.e.store_f(Prec::D, f_slot(rd), Xmm::X0);
        if let Some(m) = self.ra.fregs[rd.num()] {
            self.e.mov_xx(m, Xmm::X0);
        }
    }

    /// `f[rd] = g` (all 64 bits), slot and mirror.
    pub(super) fn fwrite_gpr(&mut self, rd: FReg, g: Gpr) {
        self.e.store(W::B64, f_slot(rd), g);
        if let Some(m) = self.ra.fregs[rd.num()] {
            self.e.movq_xr(m, g);
        }
    }

    /// `f[rd] = ` the single in the low half of `g` (upper half zero), NaN-boxed.
    pub(super) fn fwrite_single(&mut self, rd: FReg, g: Gpr) {
        let t = if g == T2 { T1 } else { T2 };
        self.e.mov_ri(t, 0xffff_ffff_0000_0000u64 as i64);
        self.e.alu_rr(Alu::Or, W::B64, g, t);
        self.fwrite_gpr(rd, g);
    }

    /// Loads every mirror from its slot: at the block's start and after a helper call.
    pub(super) fn reload_mirrors(&mut self) {
        for r in 0..32 {
            if let Some(m) = self.ra.fregs[r] {
                self.e.load_f(Prec::D, m, f_slot(FReg::new(r as u32)));
            }
        }
    }
}
