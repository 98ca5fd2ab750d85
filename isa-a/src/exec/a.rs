//! A: load-reserved / store-conditional and atomic memory operations.
//!
//! Atomics must be naturally aligned (a misaligned one traps, which Linux turns into SIGBUS).
//! `sc` completes as a compare-and-store against the value `lr` read, so on a shared address
//! space it fails whenever another hart changed the word; the aq/rl bits need nothing more in
//! a single hart, and the `Bus` implementation provides sequentially consistent host atomics.
//!
//! Under true parallelism (vCPUs on host threads) this is safe in the direction that matters:
//! the compare-exchange is one host atomic, so an `sc` never stores over a value other than
//! the one `lr` read, and it may fail spuriously (a trap or signal in between drops the
//! reservation). The caveat is ABA: if another hart writes a different value and then the
//! original one back between `lr` and `sc`, the `sc` succeeds where hardware would fail.
//! The result is still a linearisable compare-and-swap, so read-modify-write loops cannot
//! tell; only an algorithm that relies on LR/SC to detect such intervening writes can
//! (qemu's `sc` has the same property).

use super::i::sext32;
use super::{trap, Flow, Interp, Trap};
use crate::bus::{Access, AmoOp, Bus};
use crate::cpu::NO_RESERVATION;
use crate::format::{Amo, Lr};

/// The value a `bits`-wide atomic writes to rd: word results are sign-extended.
fn result(v: u64, bits: u32) -> u64 {
    if bits == 32 {
        sext32(v)
    } else {
        v
    }
}

impl<M: Bus + ?Sized> Interp<'_, M> {
    fn aligned(&self, addr: u64, bits: u32, access: Access) -> Result<(), Trap> {
        if addr & (bits as u64 / 8 - 1) == 0 {
            Ok(())
        } else {
            Err(Trap::Misaligned { addr, access })
        }
    }

    pub(super) fn lr(&mut self, a: Lr, bits: u32) -> Flow {
        let addr = self.cpu.xr(a.rs1);
        trap!(self.aligned(addr, bits, Access::Read));
        let v = if bits == 32 {
            trap!(self.bus.load32(addr)) as u64
        } else {
            trap!(self.bus.load64(addr))
        };
        self.cpu.reservation = addr;
        self.cpu.reservation_value = v;
        self.cpu.set_xr(a.rd, result(v, bits));
        Flow::Next
    }

    /// rd = 0 on success, 1 on failure; the reservation is gone either way.
    pub(super) fn sc(&mut self, a: Amo, bits: u32) -> Flow {
        let addr = self.cpu.xr(a.rs1);
        trap!(self.aligned(addr, bits, Access::Write));
        let reserved = std::mem::replace(&mut self.cpu.reservation, NO_RESERVATION);
        let ok = reserved == addr && {
            // Only the bytes being written are compared: an sc.w after an lr.d of the same
            // address checks the low word the lr.d read.
            let mask = if bits == 32 { 0xffff_ffff } else { u64::MAX };
            let (expected, new) = (self.cpu.reservation_value & mask, self.cpu.xr(a.rs2));
            trap!(self.bus.compare_store(addr, expected, new, bits))
        };
        self.cpu.set_xr(a.rd, !ok as u64);
        Flow::Next
    }

    pub(super) fn amo(&mut self, a: Amo, op: AmoOp, bits: u32) -> Flow {
        let addr = self.cpu.xr(a.rs1);
        trap!(self.aligned(addr, bits, Access::Write));
        // `Bus::amo` takes its operand `bits` wide: a word AMO ignores the upper half of rs2
        // (amominu.w/amomaxu.w would otherwise compare against it).
        let src = if bits == 32 {
            self.cpu.xr(a.rs2) as u32 as u64
        } else {
            self.cpu.xr(a.rs2)
        };
        let old = trap!(self.bus.amo(addr, op, src, bits));
        self.cpu.set_xr(a.rd, result(old, bits));
        Flow::Next
    }
}
