//! Floating-point registers mirrored in SSE registers within a block, written back.
//!
//! ```text
//!   Cpu.f[r] ──prologue──▶ xmm2..xmm15 (the block's most used FP registers)
//!   a write: the mirror only (an unmirrored register: its slot)
//!   every exit: the mirrors of registers written before it stored (all the block writes
//!               when it loops); liveness.rs says which
//!   helper call: the block's written mirrors stored before, every mirror reloaded after
//!   guest fault: the landing saves xmm2..xmm15, crate::fault stores them by `Lowered::fmap`
//! ```
//!
//! Inside the block a mirror is always its register's value, so any point that leaves it
//! can make the `Cpu` exact; between those points FP dependency chains stay in registers,
//! out of memory and store-to-load forwarding. A single is NaN-boxed in its mirror as in its
//! slot, so a store of all 64 bits keeps the box.

use super::fp::{f_slot, Prec};
use super::{Lower, T1, T2};
use crate::abi::MIRRORED;
use isa_a::FReg;
use isa_b::{Alu, FSrc, Gpr, Xmm, W};

/// The mirror assignment for a block from its FP register use counts (reads and writes):
/// the most used first.
pub(super) fn assign(reads: &[u32; 32], writes: &[u32; 32]) -> [Option<Xmm>; 32] {
    let uses = |r: usize| reads[r] + writes[r];
    let mut order: Vec<usize> = (0..32).filter(|&r| uses(r) > 0).collect();
    order.sort_by_key(|&r| std::cmp::Reverse(uses(r)));
    let mut out = [None; 32];
    for (r, x) in order.into_iter().zip(MIRRORED) {
        out[r] = Some(Xmm::new(x));
    }
    out
}

impl Lower<'_> {
    /// Where to read FP register `r` from: its mirror, or its slot.
    pub(super) fn fsrc(&mut self, r: FReg) -> FSrc {
        match self.alloc.ra.fregs[r.num()] {
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
        if self.alloc.ra.fregs[r.num()] != Some(d) {
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

    /// `f[rd] = x` (all 64 bits): its mirror, or its slot.
    pub(super) fn fwrite_x(&mut self, rd: FReg, x: Xmm) {
        match self.alloc.ra.fregs[rd.num()] {
            Some(m) if m == x => {}
            Some(m) => self.e.mov_xx(m, x),
            None => self.e.store_f(Prec::D, f_slot(rd), x),
        }
    }

    /// `f[rd] = xmm0` (all 64 bits).
    pub(super) fn fwrite_x0(&mut self, rd: FReg) {
        self.fwrite_x(rd, Xmm::X0);
    }

    /// `f[rd] = g` (all 64 bits): its mirror, or its slot.
    pub(super) fn fwrite_gpr(&mut self, rd: FReg, g: Gpr) {
        match self.alloc.ra.fregs[rd.num()] {
            Some(m) => self.e.movq_xr(m, g),
            None => self.e.store(W::B64, f_slot(rd), g),
        }
    }

    /// `f[rd] = ` the single in the low half of `g` (upper half zero), NaN-boxed.
    pub(super) fn fwrite_single(&mut self, rd: FReg, g: Gpr) {
        let t = if g == T2 { T1 } else { T2 };
        self.e.mov_ri(t, 0xffff_ffff_0000_0000u64 as i64);
        self.e.alu_rr(Alu::Or, W::B64, g, t);
        self.fwrite_gpr(rd, g);
    }

    /// Stores the mirrors of the FP registers in `mask` (bit r: f[r]) the block writes.
    pub(super) fn store_mirrors(&mut self, mask: u32) {
        for r in 0..32 {
            if let Some(m) = self.alloc.ra.fregs[r] {
                if mask >> r & 1 != 0 && self.alloc.ra.fwritten >> r & 1 != 0 {
                    self.e.store_f(Prec::D, f_slot(FReg::new(r as u32)), m);
                }
            }
        }
    }

    /// Whether the block writes a mirrored FP register.
    pub(super) fn keeps_fp_writes(&self) -> bool {
        (0..32).any(|r| self.alloc.ra.fregs[r].is_some() && self.alloc.ra.fwritten >> r & 1 != 0)
    }

    /// (FP register, index into abi::MIRRORED) of every mirror, for a fault's landing.
    pub(super) fn fmap(&self) -> Box<[(u8, u8)]> {
        let index = |x: Xmm| MIRRORED.iter().position(|&m| m == x.num());
        (0..32)
            .filter_map(|r| Some((r as u8, index(self.alloc.ra.fregs[r]?)? as u8)))
            .collect()
    }

    /// Loads every mirror from its slot: at the block's start and after a helper call.
    pub(super) fn reload_mirrors(&mut self) {
        for r in 0..32 {
            if let Some(m) = self.alloc.ra.fregs[r] {
                self.e.load_f(Prec::D, m, f_slot(FReg::new(r as u32)));
            }
        }
    }
}
