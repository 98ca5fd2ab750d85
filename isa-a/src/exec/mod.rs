//! The reference interpreter: the semantics of every RV64GC instruction, written once.
//!
//! ```text
//!   Decoded ──visit──▶ Interp (impl Visitor) ──▶ Flow::{Next, Jump, FenceI, Trap}
//!                        │  i.rs m.rs a.rs fp.rs zicsr.rs: one-line handlers' helpers
//!                        ▼
//!                 Cpu (registers, fcsr)  +  Bus (guest memory, time)
//! ```
//!
//! `Interp` executes one instruction and says what happens next; it never moves `pc` itself.
//! [`step`] and the block runner in `block.rs` apply the [`Flow`].

mod a;
mod fp;
mod i;
mod m;
mod visit;
mod zicsr;

use crate::bus::{Access, Bus, MemFault};
use crate::cpu::Cpu;
use crate::decode::{Decoded, Illegal};
use std::fmt;

/// What happens after an instruction.
///
/// `repr(u8)` gives `Flow` a tag of its own: without it, `Next` is a value of the niche
/// left in `Trap`'s tag, and telling `Next` apart (once per interpreted instruction) took a
/// subtract and a conditional move instead of one compare.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Flow {
    /// Continue with the next instruction.
    Next,
    /// Continue at this address.
    Jump(u64),
    /// `fence.i` retired: continue with the next instruction once cached code is resynchronised.
    FenceI,
    /// The instruction did not retire; the environment must handle this. `pc` is unchanged.
    Trap(Trap),
}

/// Why an instruction hands control to the environment.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Trap {
    /// `ecall`: a system call.
    Ecall,
    /// `ebreak` (or `c.ebreak`).
    Ebreak,
    /// An illegal instruction, or a legal one used illegally (an unknown CSR, a reserved
    /// dynamic rounding mode).
    Illegal(Illegal),
    /// A load, store or fetch that faulted.
    Fault(MemFault),
    /// A misaligned atomic access.
    Misaligned { addr: u64, access: Access },
}

impl fmt::Display for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Trap::Ecall => f.write_str("ecall"),
            Trap::Ebreak => f.write_str("ebreak"),
            Trap::Illegal(i) => i.fmt(f),
            Trap::Fault(m) => write!(f, "fault {m}"),
            Trap::Misaligned { addr, .. } => write!(f, "misaligned atomic access to 0x{addr:x}"),
        }
    }
}

impl From<MemFault> for Trap {
    fn from(m: MemFault) -> Trap {
        Trap::Fault(m)
    }
}

/// One hart executing one instruction at `cpu.pc`.
pub struct Interp<'a, M: Bus + ?Sized> {
    pub cpu: &'a mut Cpu,
    pub bus: &'a mut M,
    /// The length of the instruction being executed (2 or 4): where `Next` goes and what
    /// `jal`/`jalr` link. Running a block, it is the last instruction's throughout, as `pc`
    /// is (see `block::run_block`): no other instruction reads them.
    pub len: u8,
}

impl<M: Bus + ?Sized> Interp<'_, M> {
    /// The address after this instruction.
    #[inline(always)]
    fn next_pc(&self) -> u64 {
        self.cpu.pc.wrapping_add(self.len as u64)
    }
}

/// Executes one decoded instruction at `cpu.pc` and applies the result to `pc` and `instret`.
/// Returns the flow so the caller can handle traps and `fence.i`.
pub fn step<M: Bus + ?Sized>(cpu: &mut Cpu, bus: &mut M, d: &Decoded) -> Flow {
    // Through block::exec, which fills in the instruction's bits of an illegal-instruction
    // trap raised while executing (an unknown CSR); the handlers leave them 0.
    let flow = crate::block::exec(cpu, bus, d);
    match flow {
        Flow::Next | Flow::FenceI => cpu.pc = cpu.pc.wrapping_add(d.len as u64),
        Flow::Jump(t) => cpu.pc = t,
        Flow::Trap(_) => return flow,
    }
    cpu.instret += 1;
    flow
}

/// Converts a fault into a trap in handler bodies: `let v = trap!(self.bus.load8(addr));`.
macro_rules! trap {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(e) => return $crate::exec::Flow::Trap($crate::exec::Trap::from(e)),
        }
    };
}
use trap;
