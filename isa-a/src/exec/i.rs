//! RV64I: integer arithmetic, loads and stores, branches and jumps.

use super::{trap, Flow, Interp};
use crate::bus::Bus;
use crate::format::{Load, Shift, ShiftW, Store, B, I, J, R, U};

/// A branch condition.
#[derive(Copy, Clone, Debug)]
pub(super) enum Cond {
    Eq,
    Ne,
    Lt,
    Ge,
    Ltu,
    Geu,
}

/// A load's width and extension.
#[derive(Copy, Clone, Debug)]
pub(super) enum Width {
    B,
    H,
    W,
    D,
    Bu,
    Hu,
    Wu,
}

/// Sign-extends the low 32 bits: what every `*w` instruction does to its result.
#[inline(always)]
pub(super) fn sext32(v: u64) -> u64 {
    v as u32 as i32 as i64 as u64
}

impl<M: Bus + ?Sized> Interp<'_, M> {
    #[inline(always)]
    pub(super) fn alu(&mut self, a: R, f: impl FnOnce(u64, u64) -> u64) -> Flow {
        let v = f(self.cpu.xr(a.rs1), self.cpu.xr(a.rs2));
        self.cpu.set_xr(a.rd, v);
        Flow::Next
    }

    /// `*w` register-register: the operation on full registers, result sign-extended from 32.
    #[inline(always)]
    pub(super) fn alu_w(&mut self, a: R, f: impl FnOnce(u64, u64) -> u64) -> Flow {
        self.alu(a, |x, y| sext32(f(x, y)))
    }

    #[inline(always)]
    pub(super) fn alu_imm(&mut self, a: I, f: impl FnOnce(u64, u64) -> u64) -> Flow {
        let v = f(self.cpu.xr(a.rs1), a.imm as i64 as u64);
        self.cpu.set_xr(a.rd, v);
        Flow::Next
    }

    #[inline(always)]
    pub(super) fn shift_imm(&mut self, a: Shift, f: impl FnOnce(u64, u32) -> u64) -> Flow {
        let v = f(self.cpu.xr(a.rs1), a.shamt);
        self.cpu.set_xr(a.rd, v);
        Flow::Next
    }

    /// `slliw`/`srliw`/`sraiw`: operate on the low 32 bits, sign-extend the result.
    #[inline(always)]
    pub(super) fn shift_imm_w(&mut self, a: ShiftW, f: impl FnOnce(u32, u32) -> u32) -> Flow {
        let v = f(self.cpu.xr(a.rs1) as u32, a.shamt);
        self.cpu.set_xr(a.rd, v as i32 as i64 as u64);
        Flow::Next
    }

    pub(super) fn load_upper(&mut self, a: U) -> Flow {
        self.cpu.set_xr(a.rd, a.imm as i64 as u64);
        Flow::Next
    }

    pub(super) fn add_upper_pc(&mut self, a: U) -> Flow {
        self.cpu
            .set_xr(a.rd, self.cpu.pc.wrapping_add(a.imm as i64 as u64));
        Flow::Next
    }

    pub(super) fn jump(&mut self, a: J) -> Flow {
        let target = self.cpu.pc.wrapping_add(a.off as i64 as u64);
        self.cpu.set_xr(a.rd, self.next_pc());
        Flow::Jump(target)
    }

    /// The target's low bit is cleared; with C every target is then 2-byte aligned, so a
    /// misaligned-target exception cannot happen.
    pub(super) fn jump_reg(&mut self, a: Load) -> Flow {
        let target = self.cpu.xr(a.rs1).wrapping_add(a.imm as i64 as u64) & !1;
        self.cpu.set_xr(a.rd, self.next_pc());
        Flow::Jump(target)
    }

    #[inline(always)]
    pub(super) fn branch(&mut self, a: B, c: Cond) -> Flow {
        let (x, y) = (self.cpu.xr(a.rs1), self.cpu.xr(a.rs2));
        let taken = match c {
            Cond::Eq => x == y,
            Cond::Ne => x != y,
            Cond::Lt => (x as i64) < (y as i64),
            Cond::Ge => (x as i64) >= (y as i64),
            Cond::Ltu => x < y,
            Cond::Geu => x >= y,
        };
        if taken {
            Flow::Jump(self.cpu.pc.wrapping_add(a.off as i64 as u64))
        } else {
            Flow::Next
        }
    }

    #[inline(always)]
    pub(super) fn load(&mut self, a: Load, w: Width) -> Flow {
        let addr = self.cpu.xr(a.rs1).wrapping_add(a.imm as i64 as u64);
        let v = match w {
            Width::B => trap!(self.bus.load8(addr)) as i8 as i64 as u64,
            Width::H => trap!(self.bus.load16(addr)) as i16 as i64 as u64,
            Width::W => trap!(self.bus.load32(addr)) as i32 as i64 as u64,
            Width::D => trap!(self.bus.load64(addr)),
            Width::Bu => trap!(self.bus.load8(addr)) as u64,
            Width::Hu => trap!(self.bus.load16(addr)) as u64,
            Width::Wu => trap!(self.bus.load32(addr)) as u64,
        };
        self.cpu.set_xr(a.rd, v);
        Flow::Next
    }

    /// Stores the low `bytes` bytes of rs2.
    #[inline(always)]
    pub(super) fn store(&mut self, a: Store, bytes: u32) -> Flow {
        let addr = self.cpu.xr(a.rs1).wrapping_add(a.imm as i64 as u64);
        let v = self.cpu.xr(a.rs2);
        trap!(match bytes {
            1 => self.bus.store8(addr, v as u8),
            2 => self.bus.store16(addr, v as u16),
            4 => self.bus.store32(addr, v as u32),
            _ => self.bus.store64(addr, v),
        });
        Flow::Next
    }
}
