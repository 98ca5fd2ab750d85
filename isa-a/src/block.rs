//! Pre-decoded blocks: the interpreter's cold tier.
//!
//! A block is a run of straight-line instructions decoded once, ending at the first instruction
//! that can change control flow or needs the environment (branch, jump, `ecall`, a CSR access
//! other than the FP CSRs, `fence.i`) or at [`MAX_BLOCK_INSNS`]. Running a block touches `instret` twice, not once per
//! instruction, yet a CSR read of the counters sees the exact count: such an instruction is
//! always the last one of its block and the count is brought up to date just before it.

use crate::bus::{Bus, MemFault};
use crate::cpu::Cpu;
use crate::decode::{decode, insn_len, Decoded, Illegal};
use crate::exec::{Flow, Interp, Trap};
use crate::insn::flag;
use crate::threaded::{self, Chain};
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};

/// The most instructions one block holds.
pub const MAX_BLOCK_INSNS: usize = 64;

/// A run of decoded instructions starting at `pc`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    pub pc: u64,
    pub insns: Vec<Decoded>,
    /// Each instruction's offset from `pc`: the interpreter stores the pc only where an
    /// instruction reads it (`auipc`, a block's last instruction, a trap), not per instruction.
    offsets: Vec<u8>,
    /// The address of the last instruction.
    last_pc: u64,
}

// The last instruction of the longest block starts below 256 bytes into it.
const _: () = assert!((MAX_BLOCK_INSNS - 1) * 4 <= u8::MAX as usize);

impl Block {
    /// The address of `d`, one of the block's instructions.
    #[inline(always)]
    pub(crate) fn pc_of(&self, d: &Decoded) -> u64 {
        self.pc_at(self.index_of(d))
    }

    /// The address of the block's `i`th instruction.
    #[inline(always)]
    fn pc_at(&self, i: usize) -> u64 {
        self.pc.wrapping_add(self.offsets[i] as u64)
    }

    /// The index of `d`, one of the block's instructions (pointer arithmetic: the hot loop
    /// iterates by pointer and needs an index only on its rare paths).
    fn index_of(&self, d: &Decoded) -> usize {
        (d as *const Decoded as usize - self.insns.as_ptr() as usize)
            / std::mem::size_of::<Decoded>()
    }

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
        if ends_block(&d.insn) {
            break;
        }
    }
    let mut off = 0u8;
    let offsets = insns
        .iter()
        .map(|d| {
            let o = off;
            off = off.wrapping_add(d.len);
            o
        })
        .collect::<Vec<u8>>();
    let last_pc = pc.wrapping_add(*offsets.last().expect("a block is never empty") as u64);
    Ok(Block {
        pc,
        insns,
        offsets,
        last_pc,
    })
}

/// Whether `insn` ends its block: control flow, the environment, and CSR accesses except
/// those of the floating-point CSRs (fflags, frm, fcsr). Those depend on nothing a block
/// defers, and glibc brackets every inlined `sqrt` with `frflags`/`fsflags`: ending blocks
/// there would split hot FP loops in three.
pub fn ends_block(insn: &crate::Insn) -> bool {
    use crate::Insn::*;
    let fp_csr = |csr: u32| (crate::csr::FFLAGS..=crate::csr::FCSR).contains(&csr);
    match insn {
        Csrrw(a) | Csrrs(a) | Csrrc(a) => !fp_csr(a.csr),
        Csrrwi(a) | Csrrsi(a) | Csrrci(a) => !fp_csr(a.csr),
        i => i.info().has(flag::ENDS_BLOCK),
    }
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
        Flow::Trap(t) => Flow::Trap(with_encoding(d, t)),
        flow => flow,
    }
}

/// Fills in the encoding of an illegal-instruction trap raised by executing `d`.
#[inline(always)]
fn with_encoding(d: &Decoded, t: Trap) -> Trap {
    match t {
        Trap::Illegal(_) => Trap::Illegal(Illegal {
            bits: d.insn.encode(),
            len: d.len,
        }),
        t => t,
    }
}

/// Runs `block`, which must start at `cpu.pc`.
///
/// The instructions run as a chain of handlers, each jumping to the next (see `threaded`),
/// and everything but `Flow::Next` is handled after the chain. Only control-flow
/// instructions, which are always last, read `cpu.pc` and `Interp::len` (besides `auipc`,
/// which gets its own pc and gives the last one back), so both are set once, for the last
/// instruction, before the chain; likewise `instret` counts the instructions before the last
/// one up front, the last one's CSR read of the counters seeing the exact count. A trap in
/// the body puts back the pc and the count from the instruction's index.
pub fn run_block<M: Bus + ?Sized>(cpu: &mut Cpu, bus: &mut M, block: &Block) -> Exit {
    run_block_inline(cpu, bus, block)
}

/// [`run_block`], inlined into [`BlockCache::run`]'s loop: a call per block costs as much
/// as a short block's instructions.
#[inline(always)]
fn run_block_inline<M: Bus + ?Sized>(cpu: &mut Cpu, bus: &mut M, block: &Block) -> Exit {
    debug_assert_eq!(cpu.pc, block.pc);
    let Some(last) = block.insns.last() else {
        return Exit::Done;
    };
    let body_len = block.insns.len() - 1;
    cpu.pc = block.last_pc;
    cpu.instret += body_len as u64;
    let mut chain = Chain {
        it: Interp {
            cpu,
            bus,
            len: last.len,
        },
        block,
        last,
        flow: Flow::Next,
        at: last,
    };
    threaded::run(&mut chain, &block.insns[0]);
    let (cpu, at) = (chain.it.cpu, chain.at);
    match chain.flow {
        Flow::Next => cpu.pc = block.last_pc.wrapping_add(last.len as u64),
        Flow::Jump(t) => cpu.pc = t,
        flow => return other_exit(cpu, block, at, flow),
    }
    cpu.instret += 1;
    Exit::Done
}

/// Leaves a block whose instruction `d` trapped or was `fence.i` (only the last instruction
/// can be): the instructions before `d` retired, `d` only if it was `fence.i`.
#[cold]
#[inline(never)]
fn other_exit(cpu: &mut Cpu, block: &Block, d: &Decoded, flow: Flow) -> Exit {
    let i = block.index_of(d);
    match flow {
        Flow::FenceI => {
            debug_assert_eq!(i + 1, block.insns.len());
            cpu.pc = block.last_pc.wrapping_add(d.len as u64);
            cpu.instret += 1;
            Exit::FenceI
        }
        Flow::Trap(t) => {
            cpu.pc = block.pc_at(i);
            cpu.instret -= (block.insns.len() - 1 - i) as u64;
            Exit::Trap(with_encoding(d, t))
        }
        Flow::Next | Flow::Jump(_) => unreachable!("handled by run_block"),
    }
}

/// Blocks decoded so far, by start address: enough for the interpreter to run on its own.
/// (The translator keeps its own cache, shared between harts.)
///
/// Finding the next block is most of the cost of short blocks, so it goes in three steps,
/// cheapest first: the successors this block led to before (chaining), a direct-mapped table
/// indexed by pc, and a hash map that owns the answer.
pub struct BlockCache {
    entries: Vec<Entry>,
    index: HashMap<u64, u32, BuildPcHasher>,
    fast: Box<[Slot]>,
    /// `fence.i` instructions run so far: the owner of several caches (one per hart) compares
    /// it across a run to make the other harts forget their blocks too.
    fences: u64,
}

/// A block and the last two distinct blocks control went to from it (a conditional branch
/// has two successors; an indirect jump may have more, and misses go to the lookup).
struct Entry {
    block: Block,
    links: [Slot; 2],
}

/// A block start address and the block's index in `entries`.
#[derive(Copy, Clone)]
struct Slot {
    pc: u64,
    entry: u32,
}

impl Slot {
    /// Instructions are 2-byte aligned, and no block can start at the odd address `u64::MAX`
    /// (its fetch would run off the address space), so this never matches a real pc.
    const EMPTY: Slot = Slot {
        pc: u64::MAX,
        entry: 0,
    };
}

/// Entries in the direct-mapped table: a power of two, 64 KiB.
const FAST_SLOTS: usize = 4096;

/// Where `pc` goes in the direct-mapped table. Bit 0 of a pc is always clear.
#[inline(always)]
fn fast_slot(pc: u64) -> usize {
    (pc >> 1) as usize & (FAST_SLOTS - 1)
}

impl Default for BlockCache {
    fn default() -> BlockCache {
        BlockCache {
            entries: Vec::new(),
            index: HashMap::default(),
            fast: vec![Slot::EMPTY; FAST_SLOTS].into_boxed_slice(),
            fences: 0,
        }
    }
}

impl BlockCache {
    pub fn new() -> BlockCache {
        BlockCache::default()
    }

    /// Forgets every block (after `fence.i` or a change to code pages).
    pub fn clear(&mut self) {
        self.entries.clear();
        self.index.clear();
        self.fast.fill(Slot::EMPTY);
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// How many `fence.i` instructions this cache has run.
    pub fn fences(&self) -> u64 {
        self.fences
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The cached blocks, in the order they were first decoded (for displays such as the TUI).
    pub fn blocks(&self) -> impl Iterator<Item = &Block> {
        self.entries.iter().map(|e| &e.block)
    }

    /// The entry of the block at `pc`, decoding it if it is new. The direct-mapped table is
    /// checked inline (a return to one of many call sites lands here); the rest is a call.
    #[inline(always)]
    fn lookup<M: Bus + ?Sized>(&mut self, bus: &mut M, pc: u64) -> Result<u32, Trap> {
        let slot = self.fast[fast_slot(pc)];
        if slot.pc == pc {
            return Ok(slot.entry);
        }
        self.lookup_slow(bus, pc)
    }

    #[inline(never)]
    fn lookup_slow<M: Bus + ?Sized>(&mut self, bus: &mut M, pc: u64) -> Result<u32, Trap> {
        let entry = match self.index.get(&pc) {
            Some(&e) => e,
            None => {
                let block = decode_block(bus, pc)?;
                let e = u32::try_from(self.entries.len()).expect("fewer than 2^32 blocks");
                self.entries.push(Entry {
                    block,
                    links: [Slot::EMPTY; 2],
                });
                self.index.insert(pc, e);
                e
            }
        };
        self.fast[fast_slot(pc)] = Slot { pc, entry };
        Ok(entry)
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
        if cpu.instret >= stop {
            return None;
        }
        let mut cur = match self.lookup(bus, cpu.pc) {
            Ok(e) => e,
            Err(t) => return Some(t),
        };
        loop {
            let entry = &self.entries[cur as usize];
            let exit = run_block_inline(cpu, bus, &entry.block);
            let links = entry.links;
            match exit {
                Exit::Done => {}
                Exit::FenceI => {
                    self.clear();
                    self.fences += 1;
                }
                Exit::Trap(t) => return Some(t),
            }
            if cpu.instret >= stop {
                return None;
            }
            let pc = cpu.pc;
            cur = match exit {
                Exit::Done if links[0].pc == pc => links[0].entry,
                Exit::Done if links[1].pc == pc => links[1].entry,
                _ => {
                    let next = match self.lookup(bus, pc) {
                        Ok(e) => e,
                        Err(t) => return Some(t),
                    };
                    // After `fence.i` the cache is empty: `cur` and its links name nothing.
                    if exit == Exit::Done {
                        let links = &mut self.entries[cur as usize].links;
                        links[1] = links[0];
                        links[0] = Slot { pc, entry: next };
                    }
                    next
                }
            };
        }
    }
}

/// A hasher for block addresses: one multiply, folded so the low bits hashbrown indexes by
/// depend on every bit of the pc. (SipHash's resistance to chosen keys buys nothing here and
/// cost more than running a short block.)
#[derive(Default, Clone, Copy)]
struct BuildPcHasher;

struct PcHasher(u64);

impl BuildHasher for BuildPcHasher {
    type Hasher = PcHasher;
    fn build_hasher(&self) -> PcHasher {
        PcHasher(0)
    }
}

impl Hasher for PcHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(b as u64);
        }
    }
    #[inline]
    fn write_u64(&mut self, v: u64) {
        let p = (self.0 ^ v) as u128 * 0x9e37_79b9_7f4a_7c15;
        self.0 = (p >> 64) as u64 ^ p as u64;
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

/// A fault raised while fetching counts as an instruction-fetch trap at that address.
impl From<MemFault> for Exit {
    fn from(m: MemFault) -> Exit {
        Exit::Trap(Trap::Fault(m))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bus::{Access, FlatMemory};
    use crate::exec::step;
    use crate::format::{Load, Nullary, Store, B, I, J, R, U};
    use crate::insn::Insn;
    use crate::reg::XReg;

    const BASE: u64 = 0x1000;
    const A0: XReg = XReg::new(10);
    const A1: XReg = XReg::new(11);
    const A2: XReg = XReg::new(12);
    const S1: XReg = XReg::new(9);
    const T0: XReg = XReg::new(5);
    const T1: XReg = XReg::new(6);

    fn addi(rd: XReg, rs1: XReg, imm: i32) -> Insn {
        Insn::Addi(I { rd, rs1, imm })
    }
    fn bne(rs1: XReg, rs2: XReg, off: i32) -> Insn {
        Insn::Bne(B { rs1, rs2, off })
    }
    fn ecall() -> Insn {
        Insn::Ecall(Nullary {})
    }

    fn memory(code: &[Insn]) -> FlatMemory {
        let mut mem = FlatMemory::new(BASE, 0x1000);
        let bytes: Vec<u8> = code.iter().flat_map(|i| i.encode().to_le_bytes()).collect();
        mem.write_bytes(BASE, &bytes);
        mem
    }

    /// The reference: one instruction at a time, no blocks, no cache.
    fn single_step(cpu: &mut Cpu, mem: &mut FlatMemory) -> Trap {
        loop {
            let d = match fetch(mem, cpu.pc) {
                Ok(d) => d,
                Err(t) => return t,
            };
            if let Flow::Trap(t) = step(cpu, mem, &d) {
                return t;
            }
        }
    }

    #[test]
    fn a_fault_inside_a_block_retires_exactly_the_instructions_before_it() {
        let mut mem = memory(&[
            addi(A0, XReg::ZERO, 1),
            addi(A1, XReg::ZERO, 2),
            Insn::Ld(Load {
                rd: A2,
                rs1: XReg::ZERO,
                imm: 8,
            }),
            ecall(),
        ]);
        let mut cpu = Cpu::new(BASE);
        let trap = BlockCache::new().run(&mut cpu, &mut mem, 100);
        assert_eq!(
            trap,
            Some(Trap::Fault(MemFault {
                addr: 8,
                access: Access::Read
            }))
        );
        assert_eq!(
            (cpu.pc, cpu.instret, cpu.x[10], cpu.x[11]),
            (BASE + 8, 2, 1, 2)
        );
    }

    /// Branches that go both ways, a function returning to three call sites (more than a
    /// block's links remember) and a budget that stops the run every few blocks: the cached,
    /// chained run must end in the state single-stepping reaches.
    #[test]
    fn chained_blocks_match_single_stepping() {
        let code = [
            // 0: f: a0 += s1; ret
            Insn::Add(R {
                rd: A0,
                rs1: A0,
                rs2: S1,
            }),
            Insn::Jalr(Load {
                rd: XReg::ZERO,
                rs1: XReg::RA,
                imm: 0,
            }),
            // 8: entry
            addi(S1, XReg::ZERO, 50),
            // 12: loop: t0 = s1 & 1; if t0 != 0 skip the xor
            Insn::Andi(I {
                rd: T0,
                rs1: S1,
                imm: 1,
            }),
            bne(T0, XReg::ZERO, 8),
            Insn::Xori(I {
                rd: A0,
                rs1: A0,
                imm: 0x55,
            }),
            // 24: three calls to f from three sites
            Insn::Jal(J {
                rd: XReg::RA,
                off: -24,
            }),
            Insn::Jal(J {
                rd: XReg::RA,
                off: -28,
            }),
            Insn::Slli(crate::format::Shift {
                rd: A1,
                rs1: A0,
                shamt: 1,
            }),
            Insn::Jal(J {
                rd: XReg::RA,
                off: -36,
            }),
            addi(S1, S1, -1),
            bne(S1, XReg::ZERO, -32),
            ecall(),
        ];
        let mut reference = (Cpu::new(BASE + 8), memory(&code));
        assert_eq!(single_step(&mut reference.0, &mut reference.1), Trap::Ecall);

        let (mut cpu, mut mem) = (Cpu::new(BASE + 8), memory(&code));
        let mut cache = BlockCache::new();
        let trap = loop {
            if let Some(t) = cache.run(&mut cpu, &mut mem, 7) {
                break t;
            }
        };
        assert_eq!(trap, Trap::Ecall);
        assert_eq!(cpu, reference.0);
    }

    /// Code rewritten after it ran, then `fence.i`: the next call runs the new code, even
    /// though the old block was cached and linked from its caller.
    #[test]
    fn fence_i_drops_cached_and_chained_blocks() {
        let patched = addi(A0, XReg::ZERO, 5);
        let code = [
            // 0: f: a0 = 1; ret
            addi(A0, XReg::ZERO, 1),
            Insn::Jalr(Load {
                rd: XReg::ZERO,
                rs1: XReg::RA,
                imm: 0,
            }),
            // 8: entry: t0 = &f, t1 = the new first instruction of f, two passes
            Insn::Lui(U {
                rd: T0,
                imm: BASE as i32,
            }),
            Insn::Lui(U {
                rd: T1,
                imm: (patched.encode() & !0xfff) as i32,
            }),
            addi(T1, T1, (patched.encode() & 0xfff) as i32),
            addi(S1, XReg::ZERO, 2),
            // 24: loop: call f, accumulate, patch f, fence.i
            Insn::Jal(J {
                rd: XReg::RA,
                off: -24,
            }),
            Insn::Add(R {
                rd: A1,
                rs1: A1,
                rs2: A0,
            }),
            Insn::Sw(Store {
                rs1: T0,
                rs2: T1,
                imm: 0,
            }),
            Insn::FenceI(Nullary {}),
            addi(S1, S1, -1),
            bne(S1, XReg::ZERO, -20),
            ecall(),
        ];
        assert!(
            patched.encode() & 0x800 == 0,
            "the low part must not need a carry"
        );
        let (mut cpu, mut mem) = (Cpu::new(BASE + 8), memory(&code));
        assert_eq!(
            BlockCache::new().run(&mut cpu, &mut mem, 1000),
            Some(Trap::Ecall)
        );
        assert_eq!(cpu.x[11], 1 + 5);
    }

    #[test]
    fn flat_memory_faults_exactly_outside_its_bytes() {
        let mut mem = FlatMemory::new(BASE, 0x100);
        let end = BASE + 0x100;
        assert_eq!(mem.store64(end - 8, 0x0102_0304_0506_0708), Ok(()));
        assert_eq!(mem.load64(end - 8), Ok(0x0102_0304_0506_0708));
        assert_eq!(mem.load32(end - 4), Ok(0x0102_0304));
        assert_eq!(mem.load8(BASE), Ok(0));
        for addr in [end - 7, end, BASE - 1, u64::MAX, 0] {
            assert_eq!(
                mem.load64(addr),
                Err(MemFault {
                    addr,
                    access: Access::Read
                })
            );
            assert_eq!(
                mem.store64(addr, 0),
                Err(MemFault {
                    addr,
                    access: Access::Write
                })
            );
        }
        assert_eq!(
            mem.load16(end - 1),
            Err(MemFault {
                addr: end - 1,
                access: Access::Read
            })
        );
        assert_eq!(
            mem.fetch16(end - 1),
            Err(MemFault {
                addr: end - 1,
                access: Access::Execute
            })
        );
        assert_eq!(mem.load8(end - 1), Ok(1));
    }
}
