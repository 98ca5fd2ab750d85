//! The dispatcher: runs a vCPU in the interpreter or in translated code, moves hot blocks to
//! the translator, patches chains, and counts.
//!
//! ```text
//!   run(cpu, bus, budget)
//!     loop: pc translated? ──yes──▶ enter translated code ──exit reason──▶ patch / flush / trap
//!               │ no
//!               ▼
//!           hot (or --jit)? ──yes──▶ translate, then enter
//!               │ no
//!               ▼
//!           interpret one pre-decoded block, count it
//! ```
//!
//! Engines of one process share a [`CodeCache`] (one per vCPU thread, [`Engine::with_cache`]):
//! a block one thread translated runs in all. The lock is taken once per dispatch (look up
//! or translate, patch the chain that led here, note the generation entered) and never
//! while translated code runs; see the cache's module docs for how code is freed.

use crate::abi::{Ctx, Reason};
use crate::cache::{CodeCache, Entry};
use crate::log::{Log, LogFlags, SharedSymbols};
use crate::Layout;
use isa_a::{decode_block, run_block, Block, BlockCache, Bus, Cpu, Exit, Flow, Trap};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// Which tiers run guest code.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default)]
pub enum Mode {
    /// The interpreter only (`--interp`).
    Interp,
    /// Every block translated at its first execution (`--jit`).
    Jit,
    /// Interpreter for cold blocks, translation once a block has run [`HOT`] times.
    #[default]
    Tiered,
}

/// Executions after which a block is translated in tiered mode.
pub const HOT: u32 = 50;

/// What the engine has done so far. The counts of the code cache (blocks translated, host
/// bytes, flushes) are the shared cache's, for every vCPU using it; the rest are this
/// engine's.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub blocks_translated: u64,
    /// Host code bytes in the current code buffer.
    pub host_bytes: u64,
    /// Guest instructions retired by each tier.
    pub insns_interp: u64,
    pub insns_jit: u64,
    /// Of `insns_jit`, those translated code ran through the interpreter's helper (FP and
    /// CSR operations not lowered natively, slow paths).
    pub insns_helper: u64,
    /// Entries into translated code from the dispatcher.
    pub jit_entries: u64,
    /// Direct jumps patched to chain blocks, and exits through unchained direct jumps.
    pub chains_patched: u64,
    pub chain_misses: u64,
    /// Indirect jumps whose target the lookup table did not have.
    pub indirect_misses: u64,
    /// Dispatcher look-ups of a guest pc.
    pub lookups: u64,
    /// Times all translated code was dropped.
    pub flushes: u64,
    /// Times this engine checked translated code against guest memory (`fence.i`), and
    /// translated blocks dropped by such checks (by any engine sharing the cache).
    pub syncs: u64,
    pub dropped: u64,
    /// What the register allocation of the blocks translated did.
    pub alloc: crate::cache::AllocStats,
}

/// A cold block and how often it ran.
struct ColdBlock {
    block: Block,
    runs: u32,
    /// Its page was watched for stores before it was decoded (see [`CodeCache::watch`]):
    /// it outlives a `fence.i` that reports no write there.
    watched: bool,
}

/// A chain jump waiting for its target's code: the jump, and the generation of its code.
#[derive(Copy, Clone)]
struct Pending {
    site: u64,
    generation: u64,
}

/// Host code about to be entered, the engine marked as running its generation.
struct Entered {
    host: u64,
    entry: Entry,
    layout: Layout,
}

impl Entered {
    fn new(c: &CodeCache, host: u64, running: &AtomicU64) -> Entered {
        Entered {
            host,
            entry: c.enter(running),
            layout: c.layout(),
        }
    }
}

/// One vCPU's engine. The code cache may be shared between engines.
pub struct Engine {
    mode: Mode,
    shared: Arc<Mutex<CodeCache>>,
    /// The generation of translated code this engine runs, 0 in the dispatcher (read by
    /// [`CodeCache::reclaim`] on other threads).
    running: Arc<AtomicU64>,
    interp: BlockCache,
    cold: HashMap<u64, ColdBlock>,
    /// The generation of the shared code the blocks in `cold` were decoded under: once the
    /// code has been flushed since, they may hold code another vCPU has changed, and must
    /// not be translated into the fresh generation.
    cold_generation: u64,
    /// Where this engine's last sync left the cache's log of written ranges: its watched
    /// blocks in `cold` are checked against every range reported since, whichever engine's
    /// sync took it (see [`crate::written`]).
    written_seen: u64,
    stats: Stats,
    log: Option<Log>,
}

fn lock(shared: &Mutex<CodeCache>) -> MutexGuard<'_, CodeCache> {
    shared.lock().unwrap_or_else(|e| e.into_inner())
}

impl Engine {
    /// An engine over guest memory laid out as `layout`, with a code cache of its own.
    pub fn new(mode: Mode, layout: Layout) -> std::io::Result<Engine> {
        Ok(Engine::with_cache(
            mode,
            Arc::new(Mutex::new(CodeCache::new(layout)?)),
        ))
    }

    /// An engine sharing another's translated code (another vCPU of the same process).
    pub fn with_cache(mode: Mode, shared: Arc<Mutex<CodeCache>>) -> Engine {
        let running = Arc::new(AtomicU64::new(0));
        let written_seen = {
            let mut c = lock(&shared);
            c.add_runner(&running);
            c.written_end()
        };
        Engine {
            mode,
            shared,
            running,
            interp: BlockCache::new(),
            cold: HashMap::new(),
            cold_generation: 0,
            written_seen,
            stats: Stats::default(),
            log: None,
        }
    }

    pub fn cache(&self) -> Arc<Mutex<CodeCache>> {
        self.shared.clone()
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Where translated code checks the budget, for every engine sharing this one's code
    /// cache (a process has one mode): code translated for the other mode is dropped.
    pub fn set_budget(&mut self, budget: crate::Budget) {
        self.lock().set_budget(budget);
    }

    pub fn budget(&self) -> crate::Budget {
        self.lock().budget()
    }

    /// The host extensions translated code may use, for every engine sharing this one's
    /// code cache ([`CodeCache::set_host_features`]).
    pub fn set_host_features(&mut self, host: isa_b::HostFeatures) {
        self.lock().set_host_features(host);
    }

    /// How many times this engine dropped all code, by its own `fence.i` or
    /// [`Engine::flush`] (cheap: no lock, unlike [`Engine::stats`]).
    pub fn flushes(&self) -> u64 {
        self.stats.flushes
    }

    pub fn stats(&self) -> Stats {
        let mut s = self.stats;
        let c = self.lock();
        let cs = c.stats();
        s.host_bytes = c.host_bytes() as u64;
        s.blocks_translated = cs.blocks_translated;
        s.flushes = cs.flushes;
        s.dropped = cs.dropped;
        s.alloc = cs.alloc;
        s
    }

    /// Logs what `flags` ask for to `out`, naming code by `symbols`, as vCPU `cpu_index`.
    /// With `nochain`, the shared code cache stops chaining blocks (for every engine).
    pub fn set_log(
        &mut self,
        flags: LogFlags,
        out: Box<dyn std::io::Write + Send>,
        symbols: SharedSymbols,
        cpu_index: u32,
    ) {
        if flags.nochain {
            self.lock().set_no_chain();
        }
        self.log = flags
            .engine()
            .then(|| Log::new(flags, out, symbols, cpu_index));
    }

    fn lock(&self) -> MutexGuard<'_, CodeCache> {
        lock(&self.shared)
    }

    /// Drops all decoded and translated code: after `fence.i`. Every engine sharing the
    /// cache loses its translated code; their decoded blocks are their own (see
    /// [`Engine::code_changed`]).
    pub fn flush(&mut self) {
        self.interp.clear();
        self.cold.clear();
        self.lock().flush();
        self.stats.flushes += 1;
    }

    /// Guest code may have changed in `start..end` (or anywhere): after `fence.i` or
    /// riscv_flush_icache. Drops this engine's decoded blocks and the translated blocks whose
    /// guest code changed, for every engine sharing the cache (see [`CodeCache::sync`]).
    pub fn sync<M: Bus + ?Sized>(&mut self, bus: &mut M, range: Option<(u64, u64)>) {
        // Clearing an empty BlockCache still rewrites its whole lookup table.
        if !self.interp.is_empty() {
            self.interp.clear();
        }
        let mut c = lock(&self.shared);
        c.sync(bus, range);
        match c.written_since(self.written_seen) {
            Some(written) => self.cold.retain(|&pc, b| {
                let end = pc + b.block.byte_len();
                b.watched && !written.iter().any(|&(s, e)| s < end && e > pc)
            }),
            None => self.cold.clear(),
        }
        self.written_seen = c.written_end();
        drop(c);
        self.stats.syncs += 1;
    }

    /// How many times this engine synced its code with guest memory ([`Engine::sync`]).
    pub fn syncs(&self) -> u64 {
        self.stats.syncs
    }

    /// Guest code changed (pages unmapped or re-protected, another vCPU's `fence.i`) as of
    /// `code_gen`, a count the caller keeps: drops this engine's decoded blocks, and syncs
    /// the shared translated code with `bus` unless another engine did for this change
    /// already (see [`CodeCache::code_changed`]).
    pub fn code_changed<M: Bus + ?Sized>(&mut self, bus: &mut M, code_gen: u64) {
        self.interp.clear();
        self.cold.clear();
        self.lock().code_changed(bus, code_gen);
    }

    /// Records that the flush this engine did (its own `fence.i`) is the one for the change
    /// counted as `code_gen`, so that other engines do not flush the shared code again.
    pub fn flushed_for(&mut self, code_gen: u64) {
        self.lock().flushed_for(code_gen);
    }

    /// Runs from `cpu.pc` until a trap, or until at least `budget` instructions have retired
    /// (checked between blocks), exactly as [`BlockCache::run`] does; with
    /// [`Budget::BackEdges`](crate::Budget) translated code looks only at its back edges,
    /// indirect jumps and returns, so the slice may run on to the next of those.
    ///
    /// With a log, every block passes through code compiled with `LOG` (logging each block
    /// as it is decoded, translated and entered; the interpreter then runs blocks one by one
    /// from the dispatcher instead of chaining them in [`BlockCache::run`]); without, that
    /// code is compiled out.
    pub fn run<M: Bus + 'static>(
        &mut self,
        cpu: &mut Cpu,
        bus: &mut M,
        budget: u64,
    ) -> Option<Trap> {
        if self.log.is_some() {
            return self.dispatch::<M, true>(cpu, bus, budget);
        }
        if self.mode == Mode::Interp {
            let before = cpu.instret;
            let r = self.interp.run(cpu, bus, budget);
            self.stats.insns_interp += cpu.instret - before;
            return r;
        }
        self.dispatch::<M, false>(cpu, bus, budget)
    }

    /// The dispatcher loop; `LOG` says whether to log (see [`Engine::run`]).
    fn dispatch<M: Bus + 'static, const LOG: bool>(
        &mut self,
        cpu: &mut Cpu,
        bus: &mut M,
        budget: u64,
    ) -> Option<Trap> {
        let stop = cpu.instret.saturating_add(budget);
        let mut patch: Option<Pending> = None;
        while cpu.instret < stop {
            let pc = cpu.pc;
            self.stats.lookups += 1;
            // Native FP rounds as frm says; a mode x86 lacks is the interpreter's. (Only a
            // logging engine runs Mode::Interp here.)
            let mxcsr = if LOG && self.mode == Mode::Interp {
                None
            } else {
                crate::abi::mxcsr_for(cpu.frm())
            };
            let entered = match mxcsr {
                Some(mxcsr) => match self.host_code::<M, LOG>(pc, bus, &mut patch) {
                    Ok(e) => e.map(|e| (e, mxcsr)),
                    Err(t) => return Some(t),
                },
                None => None,
            };
            let Some((
                Entered {
                    host,
                    entry,
                    layout,
                },
                mxcsr,
            )) = entered
            else {
                patch = None;
                if let Some(t) = self.interpret::<M, LOG>(cpu, bus) {
                    return Some(t);
                }
                continue;
            };
            let mut ctx = Ctx {
                base: layout.base as u64,
                limit: layout.limit,
                // Translated code counts down what is left of the slice in a signed register.
                stop: cpu.instret + (stop - cpu.instret).min(i64::MAX as u64),
                bus: bus as *mut M as *mut dyn Bus,
                trap: None,
                mxcsr,
                landing: entry.landing,
                fault_addr: 0,
                fault_host: 0,
                saved: [0; crate::abi::ALLOCATABLE.len()],
                fsaved: [0; crate::abi::MIRRORED.len()],
                cache: Arc::as_ptr(&self.shared),
                helper_calls: 0,
            };
            if LOG {
                if let Some(log) = self.log.as_mut() {
                    log.enter(cpu, host);
                }
            }
            let before = cpu.instret;
            self.stats.jit_entries += 1;
            // SAFETY: `host` is translated code of the generation `entry` belongs to, which
            // `running` keeps alive until we are back; `cpu` and `ctx` outlive the call.
            let ret = unsafe { (entry.enter)(cpu, &mut ctx, host) };
            // Back in the dispatcher: the generation entered may be freed.
            self.running.store(0, Ordering::Release);
            self.stats.insns_jit += cpu.instret - before;
            self.stats.insns_helper += ctx.helper_calls;
            crate::abi::fold_mxcsr(cpu, ctx.mxcsr);
            match Reason::from_raw(ret.reason) {
                Reason::Next => self.stats.indirect_misses += 1,
                Reason::Chain => {
                    self.stats.chain_misses += 1;
                    patch = Some(Pending {
                        site: ret.aux,
                        generation: entry.generation,
                    });
                }
                Reason::Budget => {}
                Reason::Ecall => return Some(Trap::Ecall),
                Reason::Ebreak => return Some(Trap::Ebreak),
                Reason::FenceI => self.sync(bus, None),
                Reason::Trap => return Some(ctx.trap.take().expect("helper set the trap")),
                Reason::Rounding => {
                    if let Some(t) = self.finish_block(cpu, bus, ret.aux) {
                        return Some(t);
                    }
                }
            }
        }
        None
    }

    /// The host code for `pc`, already translated or translated now if it is hot, and how
    /// to enter it; the engine is then marked as running the current generation (so it
    /// must enter, then clear `running`). Patches the pending chain to it. A fetch fault or
    /// illegal first instruction is the trap.
    fn host_code<M: Bus, const LOG: bool>(
        &mut self,
        pc: u64,
        bus: &mut M,
        patch: &mut Option<Pending>,
    ) -> Result<Option<Entered>, Trap> {
        let generation = {
            let mut c = lock(&self.shared);
            c.reclaim();
            if let Some(host) = c.get(pc).map(|t| t.host) {
                c.remember_jump(pc, host);
                self.stats.chains_patched += chain(&mut c, patch.take(), host);
                return Ok(Some(Entered::new(&c, host, &self.running)));
            }
            (c.generation(), c.budget())
        };
        let (generation, budget) = generation;
        if generation != self.cold_generation {
            self.cold.clear();
            self.cold_generation = generation;
        }
        let hot = match self.mode {
            Mode::Jit => true,
            _ => self.cold.get(&pc).is_some_and(|b| b.runs >= HOT),
        };
        if !hot {
            return Ok(None);
        }
        let block = match self.cold.remove(&pc) {
            Some(b) => b.block,
            None => decode_block(bus, pc)?,
        };
        let calls = !self.log.as_ref().is_some_and(|l| l.flags.nochain);
        let cuts = budget == crate::Budget::BackEdges;
        let insns = crate::superblock::extend(bus, pc, block.insns, calls, cuts);
        let mut c = lock(&self.shared);
        if c.generation() != generation || c.budget() != budget {
            // Another vCPU flushed the code while this one decoded without the lock: what it
            // read may be the code from before the change, which must not enter the fresh
            // generation (a thread that changed the code and flushed would run the old code).
            // The interpreter runs the block this once, decoding it again. So it does when
            // the budget mode changed meanwhile (superblocks depend on it).
            return Ok(None);
        }
        let Some(host) = c.translate(bus, pc, &insns) else {
            return Ok(None);
        };
        self.stats.chains_patched += chain(&mut c, patch.take(), host);
        let entered = Entered::new(&c, host, &self.running);
        drop(c);
        if LOG {
            self.log_block(bus, pc);
        }
        Ok(Some(entered))
    }

    /// Runs the block at `cpu.pc` in the interpreter.
    fn interpret<M: Bus, const LOG: bool>(&mut self, cpu: &mut Cpu, bus: &mut M) -> Option<Trap> {
        let pc = cpu.pc;
        let cold = match self.cold.entry(pc) {
            std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
            std::collections::hash_map::Entry::Vacant(v) => {
                // Watched before it is read, so a store after the read is reported.
                let page = pc >> crate::PAGE_SHIFT;
                let watched = lock(&self.shared).watch(bus, page);
                match decode_block(bus, pc) {
                    Ok(block) => {
                        let end = pc.wrapping_add(block.byte_len().max(1) - 1);
                        let watched = watched && end >> crate::PAGE_SHIFT == page;
                        if LOG {
                            if let Some(log) = self.log.as_mut() {
                                let pcs = crate::superblock::pcs(pc, &block.insns);
                                log.block(bus, &block.insns, pcs);
                            }
                        }
                        v.insert(ColdBlock {
                            block,
                            runs: 0,
                            watched,
                        })
                    }
                    Err(t) => return Some(t),
                }
            }
        };
        cold.runs += 1;
        if LOG {
            if let Some(log) = self.log.as_mut() {
                log.enter(cpu, &cold.block as *const Block as u64);
            }
        }
        let before = cpu.instret;
        let exit = run_block(cpu, bus, &cold.block);
        self.stats.insns_interp += cpu.instret - before;
        match exit {
            Exit::Done => None,
            Exit::FenceI => {
                self.sync(bus, None);
                None
            }
            Exit::Trap(t) => Some(t),
        }
    }

    /// Runs the `left` instructions at `cpu.pc` one by one in the interpreter: the rest of a
    /// block that left translated code in its middle, which retires before the budget is
    /// looked at again, as in [`BlockCache::run`].
    fn finish_block<M: Bus>(&mut self, cpu: &mut Cpu, bus: &mut M, left: u64) -> Option<Trap> {
        for _ in 0..left {
            let d = match isa_a::fetch(bus, cpu.pc) {
                Ok(d) => d,
                Err(t) => return Some(t),
            };
            match isa_a::block::exec(cpu, bus, &d) {
                Flow::Next => cpu.pc = cpu.pc.wrapping_add(d.len as u64),
                Flow::Jump(t) => cpu.pc = t,
                Flow::FenceI => {
                    cpu.pc = cpu.pc.wrapping_add(d.len as u64);
                    self.flush();
                }
                Flow::Trap(t) => return Some(t),
            }
            cpu.instret += 1;
            self.stats.insns_interp += 1;
        }
        None
    }

    /// Writes the block translated at `pc` to the log: guest code (`in_asm`), host code
    /// (`out_asm`).
    fn log_block<M: Bus>(&mut self, bus: &mut M, pc: u64) {
        let Some(log) = self.log.as_mut() else { return };
        let (insns, host) = {
            let c = lock(&self.shared);
            let Some(t) = c.get(pc) else { return };
            let host = if log.flags.out_asm {
                crate::describe_host(&c, t)
            } else {
                String::new()
            };
            (t.insns.clone(), host)
        };
        let insns = crate::unroll::body(pc, &insns);
        log.block(bus, insns, crate::superblock::pcs(pc, insns));
        if !host.is_empty() {
            log.write(&host);
        }
    }
}

/// Patches the chain jump `p` (if any) to `host`; returns how many it patched.
fn chain(c: &mut CodeCache, p: Option<Pending>, host: u64) -> u64 {
    p.is_some_and(|p| c.patch(p.site, p.generation, host)) as u64
}

/// One block an engine holds, for displays.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockSummary {
    pub pc: u64,
    pub guest_bytes: u64,
    pub insns: usize,
    /// Bytes of host code, for a translated block.
    pub host_bytes: Option<usize>,
}

impl Engine {
    /// Blocks decoded by this engine or translated (by any engine sharing its cache).
    pub fn block_count(&self) -> usize {
        self.interp.len() + self.cold.len() + self.lock().len()
    }

    /// Up to `max` of the blocks this engine holds, translated or interpreted, by address.
    pub fn blocks(&self, max: usize) -> Vec<BlockSummary> {
        let summary = |b: &isa_a::Block, host_bytes| BlockSummary {
            pc: b.pc,
            guest_bytes: b.byte_len(),
            insns: b.insns.len(),
            host_bytes,
        };
        let mut out: Vec<BlockSummary> = self
            .lock()
            .iter()
            .map(|t| {
                // An unrolled loop covers its body once (crate::unroll).
                let body = crate::unroll::body(t.pc, &t.insns);
                BlockSummary {
                    pc: t.pc,
                    guest_bytes: body.iter().map(|d| d.len as u64).sum(),
                    insns: body.len(),
                    host_bytes: Some(t.host_len),
                }
            })
            .collect();
        out.extend(self.cold.values().map(|c| summary(&c.block, None)));
        out.extend(self.interp.blocks().map(|b| summary(b, None)));
        out.sort_by_key(|b| b.pc);
        out.truncate(max);
        out
    }
}

impl Engine {
    /// The host code of the translated block at `pc`, one `address  instruction` a line.
    pub fn host_asm(&self, pc: u64) -> Option<Vec<String>> {
        let c = self.lock();
        let t = c.get(pc)?;
        Some(
            isa_b::disassemble(c.host_code(t), t.host)
                .into_iter()
                .map(|i| format!("{:x}  {}", i.addr, i.text))
                .collect(),
        )
    }
}
