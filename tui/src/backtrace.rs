//! The backtrace: the selected vCPU's frames, from its registers, the stack the vCPU copied
//! out and the program's unwind tables.
//!
//! Each step from a frame to its caller uses the DWARF call frame information when the ELF
//! has some for the pc (`.debug_frame`, then `.eh_frame`, read with gimli): it gives the
//! canonical frame address (the caller's sp) and where the return address and saved
//! registers are. Without it, the frame-pointer convention gcc follows at `-O0` and with
//! `-fno-omit-frame-pointer` is walked: `s0` is the caller's sp, the return address is at
//! `s0-8` and the caller's `s0` at `s0-16`. The walk stops where neither applies, at a zero
//! return address, or when the stack stops growing upwards.

use addr2line::gimli::{
    self, BaseAddresses, CfaRule, DebugFrame, EhFrame, LittleEndian, Register, RegisterRule,
    UnwindContext, UnwindSection,
};
use goblin::elf::Elf;
use hypervisor_lite::isa_a::Cpu;
use std::sync::Arc;

/// The most frames a backtrace shows.
pub const MAX_FRAMES: usize = 64;

/// How a frame was found.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum How {
    /// The vCPU's own registers (frame 0).
    Registers,
    /// DWARF call frame information.
    Cfi,
    /// The frame-pointer chain.
    FramePointer,
}

/// One frame: the pc it is at (for callers, the return address) and its sp.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    pub pc: u64,
    pub sp: u64,
    pub how: How,
}

/// A program's unwind tables, as raw sections (parsed for each step: cheap at this size).
#[derive(Clone, Debug, Default)]
pub struct Unwinder {
    /// `.eh_frame` and its address (its pointers may be pc-relative).
    eh_frame: Option<(u64, Arc<[u8]>)>,
    debug_frame: Option<Arc<[u8]>>,
}

/// What one unwinding step found.
enum Step {
    Caller(Box<[u64; 32]>, u64),
    /// The tables say this is the outermost frame.
    End,
    NoInfo,
}

impl Unwinder {
    pub fn parse(elf: &Elf, bytes: &[u8]) -> Unwinder {
        let section = |name: &str| {
            elf.section_headers
                .iter()
                .find(|s| elf.shdr_strtab.get_at(s.sh_name) == Some(name))
                .filter(|s| s.sh_type != goblin::elf::section_header::SHT_NOBITS)
                .and_then(|s| {
                    let data =
                        bytes.get(s.sh_offset as usize..(s.sh_offset + s.sh_size) as usize)?;
                    Some((s.sh_addr, Arc::<[u8]>::from(data)))
                })
        };
        Unwinder {
            eh_frame: section(".eh_frame"),
            debug_frame: section(".debug_frame").map(|(_, d)| d),
        }
    }

    /// Whether the program has call frame information.
    pub fn has_cfi(&self) -> bool {
        self.eh_frame.is_some() || self.debug_frame.is_some()
    }

    /// The frames of a thread with registers `cpu`, reading the stack's 64-bit words through
    /// `read` (None where the copy has none).
    pub fn backtrace(&self, cpu: &Cpu, read: &dyn Fn(u64) -> Option<u64>) -> Vec<Frame> {
        let mut regs = cpu.x;
        let mut pc = cpu.pc;
        let mut frames = vec![Frame {
            pc,
            sp: regs[2],
            how: How::Registers,
        }];
        while frames.len() < MAX_FRAMES {
            // A caller's pc is a return address, which may be past the end of its function
            // (a call to a function that does not return): its call is the byte before.
            let lookup = if frames.len() == 1 { pc } else { pc - 1 };
            let (next, npc, how) = match self.cfi_step(&regs, lookup, read) {
                Step::Caller(r, p) => (*r, p, How::Cfi),
                Step::End => break,
                Step::NoInfo => match frame_pointer_step(&regs, read) {
                    Some((r, p)) => (r, p, How::FramePointer),
                    None => break,
                },
            };
            if npc == 0 || next[2] < regs[2] || (npc, next[2]) == (pc, regs[2]) {
                break;
            }
            regs = next;
            pc = npc;
            frames.push(Frame {
                pc,
                sp: regs[2],
                how,
            });
        }
        frames
    }

    fn cfi_step(&self, regs: &[u64; 32], pc: u64, read: &dyn Fn(u64) -> Option<u64>) -> Step {
        let mut ctx = UnwindContext::new();
        if let Some(data) = &self.debug_frame {
            let mut s = DebugFrame::new(data, LittleEndian);
            s.set_address_size(8);
            let bases = BaseAddresses::default();
            if let Ok(row) =
                s.unwind_info_for_address(&bases, &mut ctx, pc, DebugFrame::cie_from_offset)
            {
                return apply(row, regs, read);
            }
        }
        if let Some((addr, data)) = &self.eh_frame {
            let s = EhFrame::new(data, LittleEndian);
            let bases = BaseAddresses::default().set_eh_frame(*addr);
            if let Ok(row) =
                s.unwind_info_for_address(&bases, &mut ctx, pc, EhFrame::cie_from_offset)
            {
                return apply(row, regs, read);
            }
        }
        Step::NoInfo
    }
}

/// The caller's registers by one row of the call frame information.
fn apply(
    row: &gimli::UnwindTableRow<usize>,
    regs: &[u64; 32],
    read: &dyn Fn(u64) -> Option<u64>,
) -> Step {
    let cfa = match row.cfa() {
        CfaRule::RegisterAndOffset { register, offset } => match regs.get(register.0 as usize) {
            Some(&r) => r.wrapping_add(*offset as u64),
            None => return Step::NoInfo,
        },
        CfaRule::Expression(_) => return Step::NoInfo,
    };
    let mut next = *regs;
    next[2] = cfa;
    for (reg, rule) in row.registers() {
        let r = reg.0 as usize;
        if r >= 32 {
            continue;
        }
        next[r] = match rule {
            RegisterRule::Undefined if r == RA => return Step::End,
            RegisterRule::Undefined | RegisterRule::SameValue => regs[r],
            RegisterRule::Offset(o) => match read(cfa.wrapping_add(*o as u64)) {
                Some(v) => v,
                None => return Step::NoInfo,
            },
            RegisterRule::ValOffset(o) => cfa.wrapping_add(*o as u64),
            RegisterRule::Register(Register(from)) => match regs.get(*from as usize) {
                Some(&v) => v,
                None => return Step::NoInfo,
            },
            _ => return Step::NoInfo,
        };
    }
    Step::Caller(Box::new(next), next[RA])
}

/// The return address register, x1.
const RA: usize = 1;

/// One step of the frame-pointer chain: `s0` is the frame's CFA, the return address and the
/// caller's `s0` are just below it.
fn frame_pointer_step(
    regs: &[u64; 32],
    read: &dyn Fn(u64) -> Option<u64>,
) -> Option<([u64; 32], u64)> {
    let fp = regs[8];
    if fp == 0 || fp < regs[2] || !fp.is_multiple_of(8) {
        return None;
    }
    let ra = read(fp - 8)?;
    let prev = read(fp - 16)?;
    let mut next = *regs;
    next[2] = fp;
    next[8] = prev;
    next[RA] = ra;
    Some((next, ra))
}
