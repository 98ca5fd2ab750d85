//! What runs a watched vCPU's instructions, as `Control` sees it: the interpreter's block
//! cache or the translator's engine, each able to describe itself for the implementation
//! layer's display.

use isa_a::{BlockCache, Bus, Cpu, Trap};

/// What runs the guest's instructions: the interpreter's block cache today, the translator's
/// tiers when they land. It also describes itself for the implementation layer's display.
pub trait Engine<M: Bus + ?Sized> {
    /// Runs from `cpu.pc` until a trap or until at least `budget` instructions retired.
    fn run(&mut self, cpu: &mut Cpu, bus: &mut M, budget: u64) -> Option<Trap>;
    /// Counters and the cached blocks (at most `max` of them).
    fn describe(&self, max: usize) -> EngineInfo;
    /// The host code of the block at `pc`, one instruction a line, if it is translated.
    fn host_asm(&self, _pc: u64) -> Option<Vec<String>> {
        None
    }
}

impl<M: Bus + ?Sized> Engine<M> for BlockCache {
    fn run(&mut self, cpu: &mut Cpu, bus: &mut M, budget: u64) -> Option<Trap> {
        BlockCache::run(self, cpu, bus, budget)
    }
    fn describe(&self, max: usize) -> EngineInfo {
        let mut bytes = 0;
        let mut blocks = Vec::new();
        for b in self.blocks() {
            bytes += b.insns.len() * std::mem::size_of::<isa_a::Decoded>();
            if blocks.len() < max {
                blocks.push(BlockInfo {
                    pc: b.pc,
                    guest_bytes: b.byte_len(),
                    insns: b.insns.len(),
                    host_bytes: None,
                });
            }
        }
        EngineInfo {
            tier: "interpreter (pre-decoded blocks)",
            blocks: self.len(),
            cache_bytes: bytes,
            chain_hits: None,
            tiers: None,
            list: blocks,
        }
    }
}

impl<M: Bus + 'static> Engine<M> for translator::Engine {
    fn run(&mut self, cpu: &mut Cpu, bus: &mut M, budget: u64) -> Option<Trap> {
        translator::Engine::run(self, cpu, bus, budget)
    }
    fn describe(&self, max: usize) -> EngineInfo {
        let st = self.stats();
        let list = self
            .blocks(max)
            .into_iter()
            .map(|b| BlockInfo {
                pc: b.pc,
                guest_bytes: b.guest_bytes,
                insns: b.insns,
                host_bytes: b.host_bytes,
            })
            .collect();
        EngineInfo {
            tier: match self.mode() {
                translator::Mode::Interp => "interpreter (pre-decoded blocks)",
                translator::Mode::Jit => "translator (every block translated)",
                translator::Mode::Tiered => "interpreter + translator (hot blocks translated)",
            },
            blocks: self.block_count(),
            cache_bytes: st.host_bytes as usize,
            chain_hits: Some(st.chains_patched),
            tiers: Some(Tiers {
                insns_interp: st.insns_interp,
                insns_jit: st.insns_jit,
                translated: st.blocks_translated as usize,
            }),
            list,
        }
    }
    fn host_asm(&self, pc: u64) -> Option<Vec<String>> {
        translator::Engine::host_asm(self, pc)
    }
}

/// The implementation layer as the engine describes it.
#[derive(Clone, Debug, Default)]
pub struct EngineInfo {
    pub tier: &'static str,
    /// Blocks in the cache.
    pub blocks: usize,
    /// Host memory the cached blocks take.
    pub cache_bytes: usize,
    /// Successor lookups answered by a block's links, if the engine counts them.
    pub chain_hits: Option<u64>,
    /// Guest instructions retired by the interpreter and by translated code, and the number
    /// of translated blocks, if the engine has a translator.
    pub tiers: Option<Tiers>,
    pub list: Vec<BlockInfo>,
}

/// What each tier of a tiered engine has done.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tiers {
    pub insns_interp: u64,
    pub insns_jit: u64,
    pub translated: usize,
}

/// One cached block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockInfo {
    pub pc: u64,
    pub guest_bytes: u64,
    pub insns: usize,
    /// Bytes of host code, once the block is translated.
    pub host_bytes: Option<usize>,
}
