//! Branches against zero that reuse the flags of the instruction before.
//!
//! A branch comparing a register with zero (`beqz`, `bnez`, `bltz`, …) after a host
//! instruction that set the flags from that register's new value needs no compare:
//!
//! ```text
//!   xor  a4,a4,a5     xor r10, r11
//!   bnez a4,L         jne L                       (was cmp r10, 0 ; jne L)
//!   addi a3,a3,-1     add r9, -1                  (lea r9,[r9-1] unless a branch on a3 follows)
//!   bnez a3,L         jne L
//! ```
//!
//! After `and`/`or`/`xor` the flags are those of `test r, r` (CF and OF clear, SF and ZF of
//! the result): every condition against zero reads right. After an addition, a subtraction
//! or a shift by a nonzero amount only ZF does: `beqz`/`bnez` alone. A 32-bit result's ZF
//! is that of its sign extension, the guest value, whether or not its `movsxd` is emitted.
//!
//! The producer records which guest register and where in the host code
//! ([`Lower::flags_set`]); the branch reuses the flags only when it is the very next guest
//! instruction and the emitter says nothing since may have changed them
//! ([`isa_b::Emitter::flags_kept`]: only moves emitted, no label bound, so neither a budget
//! check, a region's transition beyond moves, nor a join comes between). Anything else
//! compares; a register with zero as `test r, r`, which sets the same flags as `cmp r, 0`.

use super::Lower;
use isa_a::{Insn, XReg};
use isa_b::Cc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Compares left out by every translation in this process.
static REUSED: AtomicU64 = AtomicU64::new(0);

/// How many branches have jumped on flags an earlier instruction set, in this process (for
/// tests and statistics).
pub fn count() -> u64 {
    REUSED.load(Ordering::Relaxed)
}

/// The flags as the host set them from a guest register's new value.
#[derive(Copy, Clone, Debug)]
pub(super) struct Flags {
    reg: XReg,
    /// The guest instruction that set them, and the emitter's length right after.
    idx: usize,
    mark: usize,
    /// Whether every condition against zero reads right, or only equality.
    all: bool,
}

impl Lower<'_> {
    /// Records that the host instruction just emitted set the flags from guest `r`'s new
    /// value: ZF, and with `all` CF and OF clear and SF its sign.
    pub(super) fn flags_set(&mut self, r: XReg, all: bool) {
        self.cur.flags = Some(Flags {
            reg: r,
            idx: self.cur.idx,
            mark: self.e.len(),
            all,
        });
    }

    /// Whether the flags still hold guest `r` compared with zero, as a jump on `cc` reads
    /// them.
    pub(super) fn flags_hold(&self, r: XReg, cc: Cc) -> bool {
        let hold = self.cur.flags.is_some_and(|f| {
            f.reg == r
                && f.idx + 1 == self.cur.idx
                && (f.all || matches!(cc, Cc::E | Cc::Ne))
                && self.e.flags_kept(f.mark)
        });
        if hold {
            REUSED.fetch_add(1, Ordering::Relaxed);
        }
        hold
    }

    /// Whether the next instruction branches on guest `r` equal to zero or not, and can take
    /// the flags: an addition to `r` is then worth lowering as one that sets them. At the
    /// block's end a budget check, or instret counted in memory, comes between.
    pub(super) fn zero_tested_next(&self, r: XReg) -> bool {
        let on_r = |a: XReg, b: XReg| (a == r && b.num() == 0) || (a.num() == 0 && b == r);
        let b = match self.insns.get(self.cur.idx + 1).map(|d| d.insn) {
            Some(Insn::Beq(b) | Insn::Bne(b)) if on_r(b.rs1, b.rs2) => b,
            _ => return false,
        };
        let at = self.next_pc();
        let end = self.cur.idx + 2 == self.insns.len();
        !end || !self.checks_budget(at, at.wrapping_add(b.off as i64 as u64))
            && self.instret_mem(0).is_none()
    }
}
