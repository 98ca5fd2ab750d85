//! Loads and stores: the guest address checked against the limit inline (past it: the
//! helper, which gives the interpreter's fault), then accessed directly; an access the guest's
//! protections forbid faults on the host and becomes the guest's fault (crate::fault).

use super::{Lower, T1};
use isa_a::format::{Load, Store};
use isa_a::XReg;
use isa_b::{Alu, Cc, Mem, W};

/// A load's width and extension.
#[derive(Copy, Clone)]
pub struct Width {
    pub w: W,
    pub signed: bool,
}

impl Lower<'_> {
    /// The guest address `rs1 + imm` in a register: rs1's own host register when imm is 0
    /// (nothing a memory instruction writes before its access can clobber it), else the
    /// allocation's address scratch (rsi, or rdx when rsi holds a guest register).
    pub(super) fn address(&mut self, rs1: XReg, imm: i32) {
        let scratch = self.ra.addr;
        self.addr = scratch;
        if rs1.num() == 0 {
            self.e.mov_ri(scratch, imm as i64);
        } else {
            let s = self.read(rs1, scratch);
            if imm == 0 {
                self.addr = s;
            } else {
                self.e.lea(scratch, Mem::at(s, imm));
            }
        }
    }

    /// Sends an access past the limit to a helper call of this instruction (which gives
    /// the interpreter's fault); returns the label to resume at after the helper. Everything
    /// else is left to the host's page protections (crate::fault).
    pub(super) fn check(&mut self) -> isa_b::Label {
        let slow = self.e.label();
        self.limit_check(slow);
        self.slow_path(slow)
    }

    /// Jumps to `slow` when the address is at or past the guest limit.
    pub(super) fn limit_check(&mut self, slow: isa_b::Label) {
        self.e.alu_rm(
            Alu::Cmp,
            W::B64,
            self.addr,
            Mem::at(isa_b::Gpr::Rsp, crate::abi::LIMIT_SLOT),
        );
        self.e.jcc(Cc::Ae, slow);
    }

    /// Marks the next instruction as this guest instruction's access, for the fault handler.
    pub(super) fn access_here(&mut self, write: bool) {
        let mut l = self.e.label();
        self.e.bind(&mut l);
        self.faults.push((l, self.idx, write));
    }

    /// The guest memory operand at the address [`Lower::address`] computed.
    pub(super) fn guest_mem(&self) -> Mem {
        Mem::indexed(crate::abi::MEM, self.addr, 0)
    }

    pub(super) fn load(&mut self, a: Load, w: Width) {
        self.address(a.rs1, a.imm);
        let mut resume = self.check();
        let t = self.target(a.rd, &[]);
        let m = self.guest_mem();
        self.access_here(false);
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
        let mut resume = self.check();
        let v = self.read(a.rs2, T1);
        self.access_here(true);
        self.e.store(w, self.guest_mem(), v);
        self.e.bind(&mut resume);
    }
}
