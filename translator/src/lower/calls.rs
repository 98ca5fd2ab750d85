//! Calls and returns through the return-address stack.
//!
//! A call (`jal`/`jalr` whose rd is a link register, ra or t0, by the ISA's hint convention)
//! records (its return pc, the host address of a return landing in the calling block); a
//! return (`jalr` with rd x0 and a link register as rs1) compares its target with the entry
//! and, on a match, jumps to that landing; anything else goes to the indirect-jump table as
//! before.
//!
//! ```text
//!   caller block:  jal ra, f ─ entry[sp] = (pc+4, landing) ─▶ chain to f
//!                  landing: patchable jmp ─▶ block at pc+4 (or its stub into the dispatcher)
//!   f's block:     ret ─ target == entry[sp].pc? ─yes─▶ jmp entry[sp].host (the landing)
//!                                                └─no──▶ the indirect-jump table
//! ```
//!
//! The entry is chosen by the guest's sp (its low bits, 16-byte granules), not by a top
//! pointer: a function returns with the sp it was called with, so a call and its return
//! meet at one entry, and nested calls, whose frames lie deeper, at others. No top pointer is
//! kept, so calls and returns carry no dependency through memory from one to the next; the
//! table wraps round every `SHADOW_ENTRIES` granules of stack, overwriting, and never
//! overflows (deep recursion returns to one call site, whose entries are alike anyway).
//!
//! A landing is a chain jump like any other (crate::cache): patched once the return pc's
//! code exists, pointed back to its stub when that code is dropped. So an entry is right
//! whenever its pc is the target, whatever happened in between (longjmp, a handler that
//! changed ra or sp, a coroutine switch, another thread's stack): it only predicts, and a
//! wrong prediction costs the lookup. It lives in the entry frame (crate::abi): one per vCPU
//! and entry into translated code.

use super::{Cold, Lower, ADDR, T0, T1};
use crate::abi::{self, SHADOW_BYTES, SHADOW_SLOT};
use isa_a::XReg;
use isa_b::{Alu, Cc, Gpr, Label, Mem, W};

/// Whether `r` links calls by the calling convention: ra or t0.
pub(super) fn is_link(r: XReg) -> bool {
    matches!(r.num(), 1 | 5)
}

/// Puts the byte offset of the entry for the guest's sp in T0: sp is in its host register
/// between blocks (`between`), else where the block's allocation keeps it.
fn pick(l: &mut Lower, between: bool) {
    let sp = XReg::new(2);
    let global = abi::host_reg(sp).expect("sp has a host register between blocks");
    match if between {
        Some(global)
    } else {
        l.alloc.ra.regs[2]
    } {
        Some(h) => l.e.mov_rr(W::B32, T0, h),
        None => l.e.load(W::B32, T0, abi::x_slot(2)),
    }
    l.e.alu_ri(Alu::And, W::B32, T0, SHADOW_BYTES - 16);
}

/// The entry's pc or host address.
fn entry(field: i32) -> Mem {
    Mem::indexed(Gpr::Rsp, T0, SHADOW_SLOT + field)
}

impl Lower<'_> {
    /// Records (`ret`, a landing that goes on at `ret`) for the guest's sp, the registers
    /// being the mapping between blocks (`between`) or the block's. Clobbers T0, T1 and the
    /// flags.
    pub(super) fn push_return(&mut self, ret: u64, between: bool) {
        let site = self.e.label();
        pick(self, between);
        if ret as i64 == ret as i32 as i64 {
            self.e.store_imm(W::B64, entry(0), ret as i32);
        } else {
            self.e.mov_ri(T1, ret as i64);
            self.e.store(W::B64, entry(0), T1);
        }
        self.e.lea_label(T1, site);
        self.e.store(W::B64, entry(8), T1);
        self.push_cold(Cold::ReturnLanding { site, pc: ret });
    }

    /// A return to the guest address in ADDR (the block's registers are the mapping between
    /// blocks again): to the landing of the entry for the guest's sp if it is for that
    /// address, else on past this code. Clobbers T0 and the flags.
    pub(super) fn pop_return(&mut self) {
        let mut miss = self.e.label();
        pick(self, true);
        self.e.alu_rm(Alu::Cmp, W::B64, ADDR, entry(0));
        self.e.jcc(Cc::Ne, miss);
        self.e.jmp_mem(entry(8));
        self.e.bind(&mut miss);
    }

    /// The landing of a call's return: a chain jump to `pc`.
    pub(super) fn return_landing(&mut self, mut site: Label, pc: u64) {
        self.e.patchable_jmp(&mut site);
        self.chain_stub(site, pc);
    }
}
