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
        let scratch = self.alloc.ra.addr;
        self.cur.addr = scratch;
        self.cur.disp = 0;
        if rs1.num() == 0 {
            self.e.mov_ri(scratch, imm as i64);
        } else {
            let s = self.read(rs1, scratch);
            if imm == 0 {
                self.cur.addr = s;
            } else {
                self.e.lea(scratch, Mem::at(s, imm));
            }
        }
    }

    /// The address of this instruction's access at `rs1 + imm`, checked: an access past the
    /// limit goes to a helper call of this instruction (which gives the interpreter's fault);
    /// returns the label to resume at after the helper ([`Lower::resume_at`]). Everything
    /// else is left to the host's page protections (crate::fault). With no check
    /// (checked.rs), the base register and `imm` make the memory operand, and there is no
    /// helper to resume from.
    pub(super) fn checked_address(&mut self, rs1: XReg, imm: i32) -> Option<isa_b::Label> {
        let check = self.plan.elide[self.cur.idx];
        super::checked::record(check);
        if check != super::checked::Check::Kept {
            // Never x0: the analysis knows nothing of it.
            let scratch = self.alloc.ra.addr;
            self.cur.addr = self.read(rs1, scratch);
            self.cur.disp = imm;
            return None;
        }
        self.address(rs1, imm);
        Some(self.checked_slow_path())
    }

    /// The limit check of the address in `cur.addr`, its helper call cold; returns the label
    /// to resume at after the helper.
    pub(super) fn checked_slow_path(&mut self) -> isa_b::Label {
        let slow = self.e.label();
        self.limit_check(slow);
        self.slow_path(slow)
    }

    /// Binds where the helper of [`Lower::checked_address`] resumes, if there is one (a
    /// label bound for nothing would cost a `nop` before the next access's own).
    pub(super) fn resume_at(&mut self, resume: Option<isa_b::Label>) {
        if let Some(mut r) = resume {
            self.e.bind(&mut r);
        }
    }

    /// Jumps to `slow` when the address is at or past the guest limit.
    pub(super) fn limit_check(&mut self, slow: isa_b::Label) {
        self.e.alu_rm(
            Alu::Cmp,
            W::B64,
            self.cur.addr,
            Mem::at(isa_b::Gpr::Rsp, crate::abi::LIMIT_SLOT),
        );
        self.e.jcc(Cc::Ae, slow);
    }

    /// Marks the next instruction as this guest instruction's access, for the fault handler.
    pub(super) fn access_here(&mut self, write: bool) {
        let l = self.e.label_here();
        let left = self.unextended_at_access();
        self.out.faults.push((l, self.cur.idx, write, left));
    }

    /// The guest memory operand at the address [`Lower::address`] or
    /// [`Lower::checked_address`] computed.
    pub(super) fn guest_mem(&self) -> Mem {
        Mem::indexed(crate::abi::MEM, self.cur.addr, self.cur.disp)
    }

    pub(super) fn load(&mut self, a: Load, w: Width) {
        let resume = self.checked_address(a.rs1, a.imm);
        let m = self.guest_mem();
        self.load_from(a.rd, w, m);
        self.resume_at(resume);
    }

    pub(super) fn store(&mut self, a: Store, w: W) {
        let resume = self.checked_address(a.rs1, a.imm);
        let m = self.guest_mem();
        self.store_to(a.rs2, w, m);
        self.resume_at(resume);
    }

    /// Guest `rd` = the guest memory at `m`, marked as this instruction's access.
    pub(super) fn load_from(&mut self, rd: XReg, w: Width, m: Mem) {
        let t = self.target(rd, &[]);
        self.access_here(false);
        if w.signed {
            self.e.load_sx(w.w, t, m);
        } else {
            self.e.load(w.w, t, m);
        }
        self.write(rd, t);
    }

    /// The guest memory at `m` = guest `rs2`, marked as this instruction's access.
    pub(super) fn store_to(&mut self, rs2: XReg, w: W, m: Mem) {
        let v = self.read(rs2, T1);
        self.access_here(true);
        self.e.store(w, m, v);
    }
}
