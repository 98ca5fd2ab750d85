//! Pre-decoded blocks: the interpreter's cold tier.
//!
//! A block is a run of straight-line instructions decoded once, ending at the first instruction
//! that can change control flow or needs the environment (branch, jump, `ecall`, CSR access,
//! `fence.i`) or at [`MAX_BLOCK_INSNS`]. Running a block touches `instret` twice, not once per
//! instruction, yet a CSR read of the counters sees the exact count: such an instruction is
//! always the last one of its block and the count is brought up to date just before it.

use crate::bus::{Bus, MemFault};
use crate::cpu::Cpu;
use crate::decode::{decode, insn_len, Decoded, Illegal};
use crate::exec::{Flow, Interp, Trap};
use crate::insn::flag;
use std::collections::HashMap;

/// The most instructions one block holds.
pub const MAX_BLOCK_INSNS: usize = 64;

/// A run of decoded instructions starting at `pc`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    pub pc: u64,
    pub insns: Vec<Decoded>,
}

impl Block {
    /// Guest bytes the block covers.
    pub fn byte_len(&self) -> u64 {
        self.insns.iter().map(|d| d.len as u64).sum()
    }
}

/// How running a block ended. In every case `cpu.pc` says where execution goes on.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Control left the block normally.
    Done,
    /// `fence.i` retired: cached code must be resynchronised before going on.
    FenceI,
    /// An instruction trapped; `cpu.pc` is its address and it did not retire.
    Trap(Trap),
}

/// Fetches and decodes the instruction at `pc`.
pub fn fetch<M: Bus + ?Sized>(bus: &mut M, pc: u64) -> Result<Decoded, Trap> {
    let lo = bus.fetch16(pc).map_err(Trap::Fault)?;
    let word = if insn_len(lo) == 4 {
        let hi = bus.fetch16(pc.wrapping_add(2)).map_err(Trap::Fault)?;
        lo as u32 | (hi as u32) << 16
    } else {
        lo as u32
    };
    decode(word).map_err(Trap::Illegal)
}

/// Decodes the block at `pc`. An undecodable instruction (illegal, or a fetch fault) ends the
/// block before it; if it is the first one, its trap is the error.
pub fn decode_block<M: Bus + ?Sized>(bus: &mut M, pc: u64) -> Result<Block, Trap> {
    let mut insns = Vec::new();
    let mut at = pc;
    while insns.len() < MAX_BLOCK_INSNS {
        let d = match fetch(bus, at) {
            Ok(d) => d,
            Err(t) if insns.is_empty() => return Err(t),
            Err(_) => break,
        };
        insns.push(d);
        at = at.wrapping_add(d.len as u64);
        if d.insn.info().has(flag::ENDS_BLOCK) {
            break;
        }
    }
    Ok(Block { pc, insns })
}

/// Executes one instruction with the interpreter. An illegal-instruction trap raised while
/// executing gets the instruction's encoding filled in.
#[inline(always)]
pub fn exec<M: Bus + ?Sized>(cpu: &mut Cpu, bus: &mut M, d: &Decoded) -> Flow {
    match d.insn.visit(&mut Interp {
        cpu,
        bus,
        len: d.len,
    }) {
        Flow::Trap(Trap::Illegal(_)) => Flow::Trap(Trap::Illegal(Illegal {
            bits: d.insn.encode(),
            len: d.len,
        })),
        flow => flow,
    }
}

/// Runs `block`, which must start at `cpu.pc`.
pub fn run_block<M: Bus + ?Sized>(cpu: &mut Cpu, bus: &mut M, block: &Block) -> Exit {
    debug_assert_eq!(cpu.pc, block.pc);
    let Some((last, body)) = block.insns.split_last() else {
        return Exit::Done;
    };
    for (i, d) in body.iter().enumerate() {
        // Only the last instruction of a block can jump or need the environment.
        match exec(cpu, bus, d) {
            Flow::Next => cpu.pc = cpu.pc.wrapping_add(d.len as u64),
            Flow::Trap(t) => {
                cpu.instret += i as u64;
                return Exit::Trap(t);
            }
            flow => unreachable!("{flow:?} from {} inside a block", d.insn),
        }
    }
    cpu.instret += body.len() as u64;
    let exit = match exec(cpu, bus, last) {
        Flow::Next => {
            cpu.pc = cpu.pc.wrapping_add(last.len as u64);
            Exit::Done
        }
        Flow::Jump(t) => {
            cpu.pc = t;
            Exit::Done
        }
        Flow::FenceI => {
            cpu.pc = cpu.pc.wrapping_add(last.len as u64);
            Exit::FenceI
        }
        Flow::Trap(t) => return Exit::Trap(t),
    };
    cpu.instret += 1;
    exit
}

/// Blocks decoded so far, by start address: enough for the interpreter to run on its own.
/// (The translator keeps its own cache, shared between harts.)
#[derive(Default)]
pub struct BlockCache {
    blocks: HashMap<u64, Block>,
}

impl BlockCache {
    pub fn new() -> BlockCache {
        BlockCache::default()
    }

    /// Forgets every block (after `fence.i` or a change to code pages).
    pub fn clear(&mut self) {
        self.blocks.clear();
    }

    pub fn len(&self) -> usize {
        self.blocks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    /// Runs from `cpu.pc` until a trap, or until at least `budget` instructions have retired
    /// (checked between blocks). `fence.i` empties the cache and carries on.
    pub fn run<M: Bus + ?Sized>(
        &mut self,
        cpu: &mut Cpu,
        bus: &mut M,
        budget: u64,
    ) -> Option<Trap> {
        let stop = cpu.instret.saturating_add(budget);
        while cpu.instret < stop {
            let pc = cpu.pc;
            let block = match self.blocks.get(&pc) {
                Some(b) => b,
                None => match decode_block(bus, pc) {
                    Ok(b) => self.blocks.entry(pc).or_insert(b),
                    Err(t) => return Some(t),
                },
            };
            match run_block(cpu, bus, block) {
                Exit::Done => {}
                Exit::FenceI => self.clear(),
                Exit::Trap(t) => return Some(t),
            }
        }
        None
    }
}

/// A fault raised while fetching counts as an instruction-fetch trap at that address.
impl From<MemFault> for Exit {
    fn from(m: MemFault) -> Exit {
        Exit::Trap(Trap::Fault(m))
    }
}
