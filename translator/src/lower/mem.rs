//! Loads and stores: the guest address confined to the reservation and checked against the
//! permission table inline; anything else (unmapped, protected, past the limit, across a
//! page) goes to the helper, which gives the interpreter's fault at the right pc.

use super::{Cold, Lower, ADDR, T0, T1};
use crate::PAGE_SHIFT;
use isa_a::format::{Load, Store};
use isa_a::XReg;
use isa_b::{Alu, Cc, Mem, Shift, W};

/// A load's width and extension.
#[derive(Copy, Clone)]
pub struct Width {
    pub w: W,
    pub signed: bool,
}

fn bytes(w: W) -> u32 {
    match w {
        W::B8 => 1,
        W::B16 => 2,
        W::B32 => 4,
        W::B64 => 8,
    }
}

impl Lower<'_> {
    /// `rsi = rs1 + imm`.
    pub(super) fn address(&mut self, rs1: XReg, imm: i32) {
        if rs1.num() == 0 {
            self.e.mov_ri(ADDR, imm as i64);
        } else {
            let s = self.read(rs1, ADDR);
            self.e.lea(ADDR, Mem::at(s, imm));
        }
    }

    /// Checks that the `n`-byte access at rsi lies inside the reservation, on one page whose
    /// permission has `need`; jumps to a helper call of this instruction if not. Returns the
    /// label to resume at after the helper.
    pub(super) fn check(&mut self, n: u32, need: u8) -> isa_b::Label {
        let (slow, resume) = (self.e.label(), self.e.label());
        self.e.mov_rr(W::B64, T0, ADDR);
        self.e.shift_ri(Shift::Shr, W::B64, T0, PAGE_SHIFT as u8);
        self.e.alu_ri(
            Alu::Cmp,
            W::B64,
            T0,
            (self.layout.limit >> PAGE_SHIFT) as i32,
        );
        self.e.jcc(Cc::Ae, slow);
        self.e.alu_mi(
            Alu::Test,
            W::B8,
            Mem::indexed(crate::abi::PERMS, T0, 0),
            need as i32,
        );
        self.e.jcc(Cc::E, slow);
        if n > 1 {
            let page = (1u32 << PAGE_SHIFT) as i32;
            self.e.mov_rr(W::B32, T0, ADDR);
            self.e.alu_ri(Alu::And, W::B32, T0, page - 1);
            self.e.alu_ri(Alu::Cmp, W::B32, T0, page - n as i32);
            self.e.jcc(Cc::A, slow);
        }
        self.cold.push(Cold::Helper {
            entry: slow,
            resume,
            idx: self.idx,
        });
        resume
    }

    /// The guest memory operand at rsi.
    pub(super) fn guest_mem(&self) -> Mem {
        Mem::indexed(crate::abi::MEM, ADDR, 0)
    }

    pub(super) fn load(&mut self, a: Load, w: Width) {
        self.address(a.rs1, a.imm);
        let mut resume = self.check(bytes(w.w), self.layout.read);
        let t = self.target(a.rd, &[]);
        let m = Mem::indexed(crate::abi::MEM, ADDR, 0);
        if w.signed {
            self.e.load_sx(w.w, t, m);
        } else {
            self.e.load(w.w, t, m);
        }
        self.write(a.rd, t);
        self.e.bind(&mut resume);
    }

    pub(super) fn store(&mut self, a: Store, w: W) {
        self.address(a.rs1, a.imm);
        let mut resume = self.check(bytes(w), self.layout.write);
        let v = self.read(a.rs2, T1);
        self.e.store(w, Mem::indexed(crate::abi::MEM, ADDR, 0), v);
        self.e.bind(&mut resume);
    }
}
