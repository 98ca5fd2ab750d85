//! Zicsr: the user-level CSRs a Linux program can touch: the floating-point `fflags`, `frm`,
//! `fcsr`, and the read-only counters `cycle`, `time`, `instret`. Any other CSR, or a write to
//! a read-only one, is an illegal instruction.

use super::{Flow, Interp, Trap};
use crate::bus::Bus;
use crate::format::{Csr, CsrI};

use crate::csr::{CYCLE, FCSR, FFLAGS, FRM, INSTRET, TIME};

/// How the new value is formed from the old one and the operand.
#[derive(Copy, Clone, Debug)]
pub(super) enum CsrOp {
    Write,
    Set,
    Clear,
}

impl<M: Bus + ?Sized> Interp<'_, M> {
    fn csr_read(&mut self, csr: u32) -> Result<u64, Trap> {
        Ok(match csr {
            FFLAGS => self.cpu.fcsr as u64 & 0x1f,
            FRM => (self.cpu.fcsr as u64 >> 5) & 7,
            FCSR => self.cpu.fcsr as u64 & 0xff,
            CYCLE | INSTRET => self.cpu.instret,
            TIME => self.bus.time(),
            _ => return Err(self.illegal()),
        })
    }

    fn csr_write(&mut self, csr: u32, v: u64) -> Result<(), Trap> {
        let v = v as u32;
        let fcsr = self.cpu.fcsr;
        self.cpu.fcsr = match csr {
            FFLAGS => (fcsr & !0x1f) | (v & 0x1f),
            FRM => (fcsr & !0xe0) | ((v & 7) << 5),
            FCSR => v & 0xff,
            _ => return Err(self.illegal()),
        };
        Ok(())
    }

    /// The common shape of all six instructions. `writes` is false for the set/clear forms with
    /// a zero operand register or immediate: they only read, so a read-only CSR is fine.
    fn csr_op(
        &mut self,
        rd: crate::reg::XReg,
        csr: u32,
        op: CsrOp,
        operand: u64,
        writes: bool,
    ) -> Flow {
        // csrrw with rd = x0 does not read (a read could have side effects on other CSRs).
        let old = if matches!(op, CsrOp::Write) && rd.num() == 0 {
            if !matches!(csr, FFLAGS | FRM | FCSR) {
                return Flow::Trap(self.illegal());
            }
            0
        } else {
            match self.csr_read(csr) {
                Ok(v) => v,
                Err(t) => return Flow::Trap(t),
            }
        };
        if writes {
            let new = match op {
                CsrOp::Write => operand,
                CsrOp::Set => old | operand,
                CsrOp::Clear => old & !operand,
            };
            if let Err(t) = self.csr_write(csr, new) {
                return Flow::Trap(t);
            }
        }
        self.cpu.set_xr(rd, old);
        Flow::Next
    }

    pub(super) fn csr(&mut self, a: Csr, op: CsrOp) -> Flow {
        let writes = matches!(op, CsrOp::Write) || a.rs1.num() != 0;
        self.csr_op(a.rd, a.csr, op, self.cpu.xr(a.rs1), writes)
    }

    pub(super) fn csr_imm(&mut self, a: CsrI, op: CsrOp) -> Flow {
        let writes = matches!(op, CsrOp::Write) || a.uimm != 0;
        self.csr_op(a.rd, a.csr, op, a.uimm as u64, writes)
    }
}
