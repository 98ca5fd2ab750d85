//! A: atomics as host atomics on guest memory. `amoswap` is `xchg`, `amoadd` `lock xadd`,
//! and/or/xor and min/max a `lock cmpxchg` loop; `lr`/`sc` keep the interpreter's reservation (address
//! and the value read) in the `Cpu`, and `sc` is a `lock cmpxchg` against that value.
//! Misaligned and past-the-limit addresses go to the helper (the interpreter's trap).
//!
//! ```text
//!   rs1 ─aligned, below limit?─no─▶ helper
//!     load [r15+rsi] (faults as the interpreter's read check) ─▶ the atomic (faults as its
//!     write check: a read-only page)
//! ```

use super::{Lower, T0, T1, T2};
use crate::abi;
use isa_a::cpu::NO_RESERVATION;
use isa_a::format::{Amo, Lr};
use isa_a::Cpu;
use isa_b::{Alu, Cc, Gpr, Label, Mem, W};
use std::mem::offset_of;

/// The read-modify-writes done natively.
#[derive(Copy, Clone, PartialEq, Eq)]
pub enum Rmw {
    Swap,
    Add,
    And,
    Or,
    Xor,
    /// Signed and unsigned minimum and maximum.
    Min,
    Max,
    Minu,
    Maxu,
}

fn width(bits: u32) -> W {
    if bits == 32 {
        W::B32
    } else {
        W::B64
    }
}

fn reservation() -> Mem {
    Mem::at(abi::CPU, offset_of!(Cpu, reservation) as i32)
}

fn reservation_value() -> Mem {
    Mem::at(abi::CPU, offset_of!(Cpu, reservation_value) as i32)
}

impl Lower<'_> {
    /// rsi = rs1, checked for alignment and the limit (else the helper); returns where the
    /// helper resumes.
    fn atomic_address(&mut self, rs1: isa_a::XReg, bits: u32) -> Label {
        self.address(rs1, 0);
        let slow = self.e.label();
        self.e
            .alu_ri(Alu::Test, W::B32, self.cur.addr, (bits / 8) as i32 - 1);
        self.e.jcc(Cc::Ne, slow);
        self.limit_check(slow);
        self.slow_path(slow)
    }

    /// rd = the `bits`-wide value in `v`, sign-extended.
    fn atomic_result(&mut self, rd: isa_a::XReg, v: Gpr, bits: u32) {
        if bits == 32 {
            self.e.sx(W::B32, v, v);
        }
        self.write(rd, v);
    }

    pub(super) fn amo(&mut self, a: Amo, op: Rmw, bits: u32) {
        let w = width(bits);
        let mut resume = self.atomic_address(a.rs1, bits);
        let m = self.guest_mem();
        self.access_here(false);
        self.e.load(w, T0, m);
        self.read_into(a.rs2, T1);
        match op {
            Rmw::Swap => {
                self.access_here(true);
                self.e.xchg(w, m, T1);
                self.atomic_result(a.rd, T1, bits);
            }
            Rmw::Add => {
                self.access_here(true);
                self.e.lock_xadd(w, m, T1);
                self.atomic_result(a.rd, T1, bits);
            }
            _ => {
                // rax = old; retry while another hart changed it.
                let mut again = self.e.label();
                self.e.bind(&mut again);
                self.e.mov_rr(W::B64, T2, T0);
                match op {
                    Rmw::And => self.e.alu_rr(Alu::And, w, T2, T1),
                    Rmw::Or => self.e.alu_rr(Alu::Or, w, T2, T1),
                    Rmw::Xor => self.e.alu_rr(Alu::Xor, w, T2, T1),
                    _ => {
                        // new = rs2 when it is below (min) or above (max) the old value.
                        let cc = match op {
                            Rmw::Min => Cc::L,
                            Rmw::Max => Cc::G,
                            Rmw::Minu => Cc::B,
                            _ => Cc::A,
                        };
                        self.e.alu_rr(Alu::Cmp, w, T1, T0);
                        self.e.cmov(cc, T2, T1);
                    }
                }
                self.access_here(true);
                self.e.lock_cmpxchg(w, m, T2);
                self.e.jcc(Cc::Ne, again);
                self.atomic_result(a.rd, T0, bits);
            }
        }
        self.e.bind(&mut resume);
    }

    pub(super) fn lr(&mut self, a: Lr, bits: u32) {
        let w = width(bits);
        let mut resume = self.atomic_address(a.rs1, bits);
        self.access_here(false);
        self.e.load(w, T0, self.guest_mem());
        self.e.store(W::B64, reservation(), self.cur.addr);
        self.e.store(W::B64, reservation_value(), T0);
        self.atomic_result(a.rd, T0, bits);
        self.e.bind(&mut resume);
    }

    /// rd = 0 if the reservation is at rs1 and memory still holds the value `lr` read (then
    /// rs2 is stored), else 1; the reservation is dropped either way.
    pub(super) fn sc(&mut self, a: Amo, bits: u32) {
        let w = width(bits);
        let mut resume = self.atomic_address(a.rs1, bits);
        let mut fail = self.e.label();
        self.e.mov_ri(T2, 0);
        self.e.load(W::B64, T0, reservation());
        self.e
            .store_imm(W::B64, reservation(), NO_RESERVATION as i64 as i32);
        self.e.alu_rr(Alu::Cmp, W::B64, T0, self.cur.addr);
        self.e.jcc(Cc::Ne, fail);
        let m = self.guest_mem();
        self.access_here(false);
        self.e.load(w, T0, m);
        self.read_into(a.rs2, T1);
        self.e.load(W::B64, T0, reservation_value());
        self.access_here(true);
        self.e.lock_cmpxchg(w, m, T1);
        self.e.setcc(Cc::E, T2);
        self.e.bind(&mut fail);
        self.e.alu_ri(Alu::Xor, W::B32, T2, 1);
        self.write(a.rd, T2);
        self.e.bind(&mut resume);
    }
}
