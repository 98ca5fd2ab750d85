//! Translated code by guest pc: the code buffers, the blocks in them, and the lookup tables
//! that indirect jumps consult from translated code.
//!
//! One cache serves every vCPU of a process (behind the engines' lock); vCPUs run translated
//! code without holding the lock. A full code buffer drops all translated code. `fence.i` and
//! riscv_flush_icache (what the ISA asks of user code after writing code), and changes of
//! mappings over code, only [`CodeCache::sync`]: each block keeps the encodings it was
//! translated from, and the blocks whose guest bytes differ now are dropped, with the chain
//! jumps into them; the others stay. Comparing bytes sees every way code changes with no help
//! from the writer; which pages to compare the bus says. Before code from a page is
//! translated (or decoded to be interpreted, by an engine) the page is watched
//! ([`Bus::watch_code`]: hypervisor-lite takes its host write permission away) and from then
//! on every change of it is reported ([`Bus::take_written`]: a store from any thread, a
//! system call writing memory, a change of mappings). A sync compares the reported pages,
//! watches them again first, and compares the pages that cannot be watched (shared ones,
//! which another mapping may write) every time, found through an index of pages to blocks:
//! so a `fence.i` costs what changed, not what was translated. A page reported again and
//! again ([`HOT_PAGE`]: code next to data the guest keeps writing) is left unwatched and
//! compared at every sync, rather than faulting at every one. The encodings are read again
//! under the lock when a block is translated and must decode to what was translated (it was
//! decoded without the lock): a change after that read is found by the sync that follows it.
//!
//! Dropping code other threads may be running is done by generations:
//!
//! ```text
//!   flush: current generation ──retire──▶ retired (its table emptied, its code kept)
//!          a fresh buffer + table ──────▶ current (generation + 1)
//!   reclaim (under the lock, on each dispatch while something is retired):
//!          retired generation g freed once no vCPU's `running` word is g
//! ```
//!
//! A vCPU sets its `running` word to the current generation under the lock before it enters
//! translated code, and clears it when it is back in the dispatcher (every budget slice,
//! syscall, trap and chain or lookup miss). Code of a generation only ever jumps to code of
//! the same generation: chains are patched only when the site's generation is still current,
//! and each generation has its own lookup table, emptied at retirement. So a vCPU that
//! entered generation g stays in g's buffer until it leaves, and g's buffer, blocks (whose
//! decoded instructions the helper calls use) and fault ranges live until then.
//!
//! The running words also say when current code may be running on another thread, which
//! matters for the two writes into live code: a chain jump whose rel32 straddles a cache
//! line, and a lookup entry another pc holds, are only rewritten when none is (see
//! [`CodeCache::patch`], [`JumpEntry`]).

use crate::abi::{self, EnterFn};
use crate::lower;
use crate::{Layout, PAGE_SHIFT};
use isa_a::{Bus, Decoded};
use isa_b::{CodeBuffer, Emitter};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};

/// Entries in the indirect-jump table (a power of two) and their size (1 << shift).
pub const JUMP_TABLE_MASK: u64 = 4095;
pub const JUMP_ENTRY_SHIFT: u32 = 4;

/// One entry of the indirect-jump table: a guest pc and its host code, which translated code
/// reads without the lock, pc first, then host, with two loads.
///
/// So that no thread pairs one pc with another's host code, an empty entry is filled host
/// first, then pc (x86 keeps stores in order, and loads too), and an entry one pc holds is
/// given to another that collides with it only while no vCPU runs code of its generation
/// (always, in a process with one thread); otherwise that pc's jumps go through the
/// dispatcher.
#[repr(C)]
pub struct JumpEntry {
    pub pc: AtomicU64,
    pub host: AtomicU64,
}

/// Guest pcs are even: an odd pc never matches.
const EMPTY_PC: u64 = 1;

/// A translated block.
pub struct Translated {
    pub pc: u64,
    /// Where its host code starts and how long it is.
    pub host: u64,
    pub host_len: usize,
    /// Its guest instructions; the helper calls point into this.
    pub insns: Box<[Decoded]>,
    /// Its guest accesses: host offset, instruction index, store or not, the guest registers
    /// left unextended there (lower/lazy.rs) (crate::fault).
    pub faults: Box<[(u32, u32, bool, u32)]>,
    /// Which guest register each allocatable host register holds inside each of its
    /// regions (lower/regions.rs): the region's first instruction, and (guest, index into
    /// abi::ALLOCATABLE).
    pub maps: Box<[RegionMap]>,
    /// Which FP register each mirroring SSE register holds inside it: (FP register, index
    /// into abi::MIRRORED).
    pub fmap: Box<[(u8, u8)]>,
    /// The guest encoding each instruction was translated from (a compressed one in the low
    /// half), what [`CodeCache::sync`] compares guest memory with.
    pub words: Box<[u32]>,
    /// The guest pcs its chain jumps lead to (where [`Generation::incoming`] lists them).
    targets: Box<[u64]>,
}

impl Translated {
    /// Whether guest memory still holds the code this block was translated from (a fetch
    /// that faults now counts as a change).
    fn current<M: Bus + ?Sized>(&self, bus: &mut M) -> bool {
        let pcs = crate::superblock::pcs(self.pc, &self.insns);
        pcs.zip(self.words.iter())
            .all(|(pc, &w)| fetch(bus, pc).is_some_and(|(now, _)| now == w))
    }

    /// Whether some of its guest bytes lie in `start..end`.
    fn overlaps(&self, start: u64, end: u64) -> bool {
        let pcs = crate::superblock::pcs(self.pc, &self.insns);
        pcs.zip(self.insns.iter())
            .any(|(pc, d)| pc < end && pc.wrapping_add(d.len as u64) > start)
    }

    /// The guest pages its code lies in, each once.
    fn pages(&self) -> Vec<u64> {
        pages_of(self.pc, &self.insns)
    }
}

/// The encoding at `pc` as the decoder reads it: one half-word for a compressed instruction,
/// two otherwise; and its length.
fn fetch<M: Bus + ?Sized>(bus: &mut M, pc: u64) -> Option<(u32, u8)> {
    let lo = bus.fetch16(pc).ok()? as u32;
    if lo & 3 != 3 {
        return Some((lo, 2));
    }
    let hi = bus.fetch16(pc.wrapping_add(2)).ok()? as u32;
    Some((lo | hi << 16, 4))
}

/// One region's register map (lower/regions.rs): its first instruction, and (guest register,
/// index into abi::ALLOCATABLE) of each host register holding one there.
pub type RegionMap = (u32, Box<[(u8, u8)]>);

/// A guest access in translated code (see [`CodeCache::fault_site`]).
pub struct FaultSite<'a> {
    pub pc: u64,
    pub idx: usize,
    pub write: bool,
    pub map: &'a [(u8, u8)],
    pub fmap: &'a [(u8, u8)],
    /// The guest registers whose low halves alone are exact there (lower/lazy.rs).
    pub unextended: u32,
}

/// One code buffer and what was translated into it.
struct Generation {
    id: u64,
    buf: CodeBuffer,
    enter: u64,
    exit: u64,
    landing: u64,
    blocks: HashMap<u64, Translated>,
    /// Host start → guest pc of every block, to find the block a host pc lies in.
    by_host: BTreeMap<u64, u64>,
    jump_table: Box<[JumpEntry]>,
    /// Blocks dropped by [`CodeCache::sync`], by host start: unreachable from now on, but a
    /// vCPU that was in one may still run it (and fault in it) until it leaves.
    dead: BTreeMap<u64, Translated>,
    /// The chain jumps patched to each block (by guest pc): the jump, and its own stub, to
    /// point it back to when the block is dropped.
    incoming: HashMap<u64, Vec<(u64, u64)>>,
    /// The blocks (guest pcs) with code in each guest page (by page number).
    pages: BTreeMap<u64, Vec<u64>>,
    /// Pages of `pages` whose stores are not all reported ([`Bus::watch_code`] said false,
    /// or they are hot): compared at every sync.
    open: BTreeSet<u64>,
    /// Pages of `pages` reported written and not compared since (by a sync of a range that
    /// did not cover them whole).
    written: BTreeSet<u64>,
}

impl Generation {
    fn new(id: u64) -> std::io::Result<Generation> {
        let buf = CodeBuffer::new(CAPACITY)?;
        let start = buf.exec_addr(0);
        crate::fault::register(start, start + buf.capacity() as u64)?;
        let mut g = Generation {
            id,
            buf,
            enter: 0,
            exit: 0,
            landing: 0,
            blocks: HashMap::new(),
            by_host: BTreeMap::new(),
            dead: BTreeMap::new(),
            incoming: HashMap::new(),
            pages: BTreeMap::new(),
            open: BTreeSet::new(),
            written: BTreeSet::new(),
            jump_table: (0..=JUMP_TABLE_MASK)
                .map(|_| JumpEntry {
                    pc: AtomicU64::new(EMPTY_PC),
                    host: AtomicU64::new(0),
                })
                .collect(),
        };
        let mut e = Emitter::new();
        let (mut exit, mut landing) = (e.label(), e.label());
        abi::emit_entry_exit(&mut e, &mut exit, &mut landing);
        let at = g.buf.next_addr(0).expect("room for the trampoline");
        let code = e.assemble(at);
        g.exit = code.label_addr(&exit);
        g.landing = code.label_addr(&landing);
        g.enter = g.buf.commit(&code.bytes).expect("code buffer");
        Ok(g)
    }

    fn fault_site(&self, host: u64) -> Option<FaultSite<'_>> {
        if !self.buf.contains(host) {
            return None;
        }
        let live = self.by_host.range(..=host).next_back();
        let live = live.and_then(|(_, pc)| self.blocks.get(pc));
        let dead = self.dead.range(..=host).next_back().map(|(_, t)| t);
        let t = live
            .into_iter()
            .chain(dead)
            .find(|t| host < t.host + t.host_len as u64)?;
        let off = u32::try_from(host - t.host).ok()?;
        let i = t.faults.binary_search_by_key(&off, |f| f.0).ok()?;
        let (_, idx, write, unextended) = t.faults[i];
        // The region of the faulting instruction: its allocation was in place there.
        let region = t.maps.iter().rposition(|m| m.0 <= idx)?;
        Some(FaultSite {
            pc: crate::superblock::pcs(t.pc, &t.insns).nth(idx as usize)?,
            idx: idx as usize,
            write,
            map: &t.maps[region].1,
            fmap: &t.fmap,
            unextended,
        })
    }
}

impl Drop for Generation {
    fn drop(&mut self) {
        // Before the buffer is unmapped: the fault handler must not claim the addresses.
        crate::fault::unregister(self.buf.exec_addr(0));
    }
}

/// What the code cache has done since it was made, for every vCPU sharing it.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    pub blocks_translated: u64,
    /// Times all translated code was dropped.
    pub flushes: u64,
    /// Retired code buffers freed, and those waiting for a vCPU to leave them now.
    pub freed: u64,
    pub retired: u64,
    /// Checks of the translated code against guest memory ([`CodeCache::sync`]), and the
    /// blocks they dropped.
    pub syncs: u64,
    pub dropped: u64,
    pub alloc: AllocStats,
}

/// What the register allocation of translated blocks did (lower/alloc.rs, liveness.rs):
/// blocks that gave r14 (instret) or rsi (scratch) to a guest register, that displaced a
/// mapped guest register, and guest instructions dropped as dead writes; blocks that keep
/// FP writes in mirrors (lower/fregs.rs), and of those, blocks with guest accesses (which may
/// fault) and with helper calls.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct AllocStats {
    pub instret_taken: u64,
    pub rsi_taken: u64,
    pub displaced: u64,
    pub dead: u64,
    pub fp_kept: u64,
    pub fp_kept_accesses: u64,
    pub fp_kept_helpers: u64,
    /// Region boundaries (lower/regions.rs), and blocks of more than one region with a
    /// guest access, with a helper call, in a later region, and that loop to their start.
    pub regions: u64,
    pub late_accesses: u64,
    pub late_helpers: u64,
    pub looping_regions: u64,
}

impl std::ops::AddAssign for AllocStats {
    fn add_assign(&mut self, o: AllocStats) {
        self.instret_taken += o.instret_taken;
        self.rsi_taken += o.rsi_taken;
        self.displaced += o.displaced;
        self.dead += o.dead;
        self.fp_kept += o.fp_kept;
        self.fp_kept_accesses += o.fp_kept_accesses;
        self.fp_kept_helpers += o.fp_kept_helpers;
        self.regions += o.regions;
        self.late_accesses += o.late_accesses;
        self.late_helpers += o.late_helpers;
        self.looping_regions += o.looping_regions;
    }
}

/// Where a vCPU enters the current generation's code (see [`CodeCache::enter`]).
#[derive(Copy, Clone)]
pub struct Entry {
    pub enter: EnterFn,
    pub landing: u64,
    pub generation: u64,
}

pub struct CodeCache {
    cur: Generation,
    /// Generations flushed while a vCPU may still run their code, oldest first.
    retired: Vec<Generation>,
    /// Each engine's running word: the generation it runs code of, 0 in the dispatcher.
    running: Vec<Weak<AtomicU64>>,
    layout: Layout,
    /// The count of guest code changes this cache's code is up to date with (see
    /// [`CodeCache::code_changed`]).
    code_gen: u64,
    stats: CacheStats,
    /// How many times each page came back written since it was watched; at [`HOT_PAGE`] it is
    /// no longer watched (see [`CodeCache::sync`]).
    rewrites: HashMap<u64, u32>,
    /// The pages the bus watches for this cache ([`Bus::watch_code`] said true), until
    /// reported written.
    watched: BTreeSet<u64>,
    /// A buffer for the written ranges a sync takes from the bus.
    taken: Vec<(u64, u64)>,
    /// Every sync's written ranges, for the engines' own decoded blocks.
    written: crate::written::WrittenLog,
    /// `-d nochain`: blocks are neither chained nor found by indirect jumps in translated
    /// code, so every block entered passes the dispatcher.
    no_chain: bool,
    /// Where the code of this cache checks the budget: all of it the same way.
    budget: crate::Budget,
    /// The host extensions its code may use: the running host's unless a test says.
    host: isa_b::HostFeatures,
}

/// The guest pages (by number) the instructions `insns` at `pc` lie in.
fn pages_of(pc: u64, insns: &[Decoded]) -> Vec<u64> {
    let mut pages: Vec<u64> = crate::superblock::pcs(pc, insns)
        .zip(insns)
        .flat_map(|(pc, d)| {
            let last = pc.wrapping_add(d.len as u64 - 1);
            [pc >> PAGE_SHIFT, last >> PAGE_SHIFT]
        })
        .collect();
    pages.sort_unstable();
    pages.dedup();
    pages
}

/// Where the chain jump at `site` jumps now.
fn jmp_target(buf: &CodeBuffer, site: u64) -> u64 {
    let code = buf.code(site, 6);
    // A `jmp rel32` or a `jcc rel32` (0f 8x), its rel32 last.
    let len = if code[0] == isa_b::JMP_REL32 { 5 } else { 6 };
    let rel = i32::from_le_bytes(code[len - 4..len].try_into().expect("4 bytes"));
    site.wrapping_add(len as u64)
        .wrapping_add(rel as i64 as u64)
}

/// Code space reserved per code buffer.
const CAPACITY: usize = 256 << 20;

/// Times a page may come back written before it is left unwatched (a page mixing code with
/// data the guest keeps writing, or a JIT's buffer it rewrites between every two `fence.i`):
/// watching it again would only cost a host fault at each sync.
const HOT_PAGE: u32 = 8;

impl CodeCache {
    pub fn new(layout: Layout) -> std::io::Result<CodeCache> {
        Ok(CodeCache {
            cur: Generation::new(1)?,
            retired: Vec::new(),
            running: Vec::new(),
            layout,
            code_gen: 0,
            rewrites: HashMap::new(),
            watched: BTreeSet::new(),
            taken: Vec::new(),
            written: crate::written::WrittenLog::new(),
            stats: CacheStats::default(),
            no_chain: false,
            budget: crate::Budget::Exact,
            host: isa_b::HostFeatures::detect(),
        })
    }

    /// Where translated code checks the budget ([`crate::Budget`]).
    pub fn budget(&self) -> crate::Budget {
        self.budget
    }

    /// Translates for `budget` from now on; code translated for the other mode is dropped
    /// (flushed), so the two never mix: a vCPU still in such code leaves it at its next budget
    /// check, lookup miss or chain to new code, and runs only code for `budget` after.
    pub fn set_budget(&mut self, budget: crate::Budget) {
        if budget != self.budget {
            self.budget = budget;
            if !self.cur.blocks.is_empty() {
                self.flush();
            }
        }
    }

    /// Translates for a host with `host`'s extensions from now on (tests: code for a host
    /// with fewer than this one, or golden code whatever this one has); code translated
    /// before is dropped, as for [`CodeCache::set_budget`].
    pub fn set_host_features(&mut self, host: isa_b::HostFeatures) {
        if host != self.host {
            self.host = host;
            if !self.cur.blocks.is_empty() {
                self.flush();
            }
        }
    }

    /// Stops chaining blocks from now on (`-d nochain`; set before any code is translated).
    pub fn set_no_chain(&mut self) {
        self.no_chain = true;
    }

    /// The entry trampoline of the current generation.
    pub fn enter_fn(&self) -> EnterFn {
        // SAFETY: `cur.enter` is the address of the entry trampoline emitted into the current
        // buffer with the `EnterFn` calling convention; the buffer lives as long as the cache.
        unsafe { std::mem::transmute::<u64, EnterFn>(self.cur.enter) }
    }

    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// The current generation: 1 at first, one more at each flush.
    pub fn generation(&self) -> u64 {
        self.cur.id
    }

    /// Where a thread whose guest access faulted resumes, in the current generation.
    pub fn landing(&self) -> u64 {
        self.cur.landing
    }

    /// Makes `running` (an engine's word, see the module docs) one the cache waits for.
    pub fn add_runner(&mut self, running: &Arc<AtomicU64>) {
        self.running.retain(|w| w.strong_count() > 0);
        self.running.push(Arc::downgrade(running));
    }

    /// Prepares to run translated code: marks `running` with the current generation (which
    /// must be done under the lock, before the code is entered) and says how to enter it.
    pub fn enter(&self, running: &AtomicU64) -> Entry {
        running.store(self.cur.id, Ordering::Relaxed);
        Entry {
            enter: self.enter_fn(),
            landing: self.cur.landing,
            generation: self.cur.id,
        }
    }

    /// The guest access at host address `host`, in the current or a retired generation: its
    /// instruction's pc and index in its block, whether it is a store, and the block's
    /// register allocation.
    pub fn fault_site(&self, host: u64) -> Option<FaultSite<'_>> {
        std::iter::once(&self.cur)
            .chain(&self.retired)
            .find_map(|g| g.fault_site(host))
    }

    /// The translated block at `pc`, in the current generation.
    pub fn get(&self, pc: u64) -> Option<&Translated> {
        self.cur.blocks.get(&pc)
    }

    pub fn len(&self) -> usize {
        self.cur.blocks.len()
    }

    /// The translated blocks, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &Translated> {
        self.cur.blocks.values()
    }

    pub fn is_empty(&self) -> bool {
        self.cur.blocks.is_empty()
    }

    /// Host code bytes in use in the current buffer.
    pub fn host_bytes(&self) -> usize {
        self.cur.buf.used()
    }

    pub fn stats(&self) -> CacheStats {
        CacheStats {
            retired: self.retired.len() as u64,
            ..self.stats
        }
    }

    /// The executable bytes of a translated block.
    pub fn host_code(&self, t: &Translated) -> &[u8] {
        std::iter::once(&self.cur)
            .chain(&self.retired)
            .find(|g| g.buf.contains(t.host))
            .expect("a live generation holds the block")
            .buf
            .code(t.host, t.host_len)
    }

    /// Makes indirect jumps to `pc` find `host` without leaving translated code. An entry
    /// another pc holds is taken over only while no vCPU runs current code (see
    /// [`JumpEntry`]); the caller must not be running translated code either.
    pub fn remember_jump(&mut self, pc: u64, host: u64) {
        if self.no_chain {
            return;
        }
        let e = &self.cur.jump_table[((pc >> 1) & JUMP_TABLE_MASK) as usize];
        let held = e.pc.load(Ordering::Relaxed);
        if held == pc || (held != EMPTY_PC && self.runs_current()) {
            return;
        }
        e.pc.store(EMPTY_PC, Ordering::Relaxed);
        e.host.store(host, Ordering::Relaxed);
        e.pc.store(pc, Ordering::Release);
    }

    /// Whether some vCPU may be running code of the current generation, so reading its
    /// lookup table. (One that enters after this needs the lock the caller holds.)
    fn runs_current(&self) -> bool {
        let cur = self.cur.id;
        self.running.iter().any(|w| {
            w.upgrade()
                .is_some_and(|r| r.load(Ordering::Acquire) == cur)
        })
    }

    /// Points the chain jump at `site`, in code of `generation`, to `host` (current code),
    /// unless that generation has been flushed since, or the jump cannot be patched while
    /// other vCPUs run current code (see [`CodeBuffer::patch_jmp_live`]). Returns whether it
    /// patched. The caller must not be running translated code.
    pub fn patch(&mut self, site: u64, generation: u64, host: u64) -> bool {
        if generation != self.cur.id || self.no_chain {
            return false;
        }
        let Some(&pc) = self.cur.by_host.get(&host) else {
            return false;
        };
        let stub = jmp_target(&self.cur.buf, site);
        if !self.repoint(site, host) {
            return false;
        }
        self.cur.incoming.entry(pc).or_default().push((site, stub));
        true
    }

    /// Points the chain jump at `site` (current code) to `target`, unless it cannot be done
    /// while other vCPUs run current code; whether it did.
    fn repoint(&mut self, site: u64, target: u64) -> bool {
        if self.cur.buf.patch_jmp_live(site, target) {
            return true;
        }
        if self.runs_current() {
            return false;
        }
        self.cur.buf.patch_jmp(site, target);
        true
    }

    /// Translates the block `insns` at `pc`, decoded from `bus`, unless another vCPU did
    /// already; returns its host address. A full buffer is flushed first. Returns None if
    /// guest memory no longer holds those instructions (they were decoded without the lock
    /// and another vCPU changed the code since: translating them could outlive its `sync`).
    pub fn translate<M: Bus + ?Sized>(
        &mut self,
        bus: &mut M,
        pc: u64,
        insns: &[Decoded],
    ) -> Option<u64> {
        if let Some(t) = self.cur.blocks.get(&pc) {
            return Some(t.host);
        }
        // Watched before the bytes are read: a store after the read is reported.
        let pages = pages_of(pc, insns);
        for &page in &pages {
            if !self.cur.pages.contains_key(&page) {
                self.watch_indexed(bus, page);
            }
        }
        // Read under the lock: a change to these bytes either came before (and the decode
        // check fails) or its sync comes after, and finds this block.
        let mut words = Vec::with_capacity(insns.len());
        for (at, d) in crate::superblock::pcs(pc, insns).zip(insns) {
            let (w, len) = fetch(bus, at)?;
            if len != d.len || isa_a::decode(w).ok()? != *d {
                return None;
            }
            words.push(w);
        }
        let words = words.into_boxed_slice();
        let insns: Box<[Decoded]> = insns.into();
        let start = crate::cost::start();
        loop {
            let g = &mut self.cur;
            let table = g.jump_table.as_ptr() as u64;
            let at = g
                .buf
                .next_addr(0)
                .expect("code buffer has room for an address");
            let mut out = lower::lower(
                &insns,
                pc,
                at,
                g.exit,
                table,
                lower::Target {
                    limit: self.layout.limit,
                    budget: self.budget,
                    loops: self.budget == crate::Budget::BackEdges && !self.no_chain,
                    host: self.host,
                },
            );
            if g.buf.next_addr(out.code.bytes.len()).is_none() {
                self.flush();
                continue;
            }
            let chains = if self.no_chain {
                &[][..]
            } else {
                &out.chains[..]
            };
            let targets = chains.iter().map(|c| c.target).collect();
            let mut linked = Vec::new();
            for c in chains {
                if let Some(t) = g.blocks.get(&c.target) {
                    out.code.set_jmp(&c.site, t.host);
                    let site = out.code.label_addr(&c.site);
                    linked.push((c.target, site, out.code.label_addr(&c.stub)));
                }
            }
            for (target, site, stub) in linked {
                g.incoming.entry(target).or_default().push((site, stub));
            }
            let host = g.buf.commit(&out.code.bytes).expect("code buffer");
            let host_len = out.code.bytes.len();
            let faults = out
                .faults
                .iter()
                .map(|&(l, idx, write, left)| {
                    (
                        (out.code.label_addr(&l) - host) as u32,
                        idx as u32,
                        write,
                        left,
                    )
                })
                .collect();
            g.by_host.insert(host, pc);
            for &page in &pages {
                g.pages.entry(page).or_default().push(pc);
            }
            let len = insns.len();
            g.blocks.insert(
                pc,
                Translated {
                    pc,
                    host,
                    host_len,
                    insns,
                    faults,
                    maps: out.maps,
                    fmap: out.fmap,
                    words,
                    targets,
                },
            );
            self.stats.blocks_translated += 1;
            self.stats.alloc += out.alloc;
            crate::cost::record(len, host_len, start);
            self.remember_jump(pc, host);
            return Some(host);
        }
    }

    /// Drops every translated block: the current generation is retired (its lookup table
    /// emptied, so its code leaves at its next indirect jump) and a fresh one starts. The
    /// retired code is freed once no vCPU runs it.
    pub fn flush(&mut self) {
        // Without a fresh buffer the old one cannot be given up: nothing can go on.
        let fresh = Generation::new(self.cur.id + 1).expect("code space for a fresh code buffer");
        let old = std::mem::replace(&mut self.cur, fresh);
        for e in old.jump_table.iter() {
            e.pc.store(EMPTY_PC, Ordering::Relaxed);
        }
        self.retired.push(old);
        self.stats.flushes += 1;
        self.reclaim();
    }

    /// Has the bus watch the guest page `page` (a page number) for stores, unless it is hot
    /// ([`HOT_PAGE`]): whether every change of its bytes is reported from now on (see
    /// [`Bus::watch_code`]).
    pub fn watch<M: Bus + ?Sized>(&mut self, bus: &mut M, page: u64) -> bool {
        if self.rewrites.get(&page).is_some_and(|&n| n >= HOT_PAGE) {
            return false;
        }
        // A watched page stays so until reported written (a report on its way is taken by
        // the next sync, which is all that counts).
        if self.watched.contains(&page) || bus.watch_code(page << PAGE_SHIFT) {
            self.watched.insert(page);
            return true;
        }
        false
    }

    /// Watches a page of the index, or makes it open.
    fn watch_indexed<M: Bus + ?Sized>(&mut self, bus: &mut M, page: u64) {
        if self.watch(bus, page) {
            self.cur.open.remove(&page);
        } else {
            self.cur.open.insert(page);
        }
    }

    /// Where the log of written ranges stands: a cursor for [`CodeCache::written_since`].
    pub fn written_end(&self) -> u64 {
        self.written.end()
    }

    /// The ranges every [`CodeCache::sync`] took from the bus since `cursor`, or None if some
    /// were lost or are no longer kept: what an engine's decoded code from watched pages must
    /// be checked against (see [`crate::written`]).
    pub fn written_since(&self, cursor: u64) -> Option<Vec<(u64, u64)>> {
        self.written.since(cursor)
    }

    /// Checks the translated code against guest memory (the blocks with bytes in
    /// `start..end`, or all of them) and drops each block whose code changed: its lookup entry,
    /// the chain jumps into it (pointed back to their stubs) and the block itself; a vCPU
    /// running it finishes it. If a chain jump cannot be re-pointed while other vCPUs run
    /// (see [`CodeCache::patch`]), everything is flushed instead. Returns the blocks dropped.
    ///
    /// Only pages that may have changed are compared: those the bus reported written since
    /// ([`Bus::take_written`]) and those it cannot watch (the open ones), found through the
    /// index of pages to blocks; so the cost is that of what changed, not of what was
    /// translated. A written page is watched again before it is compared, so a store after
    /// the comparison is reported again; one that keeps coming back written ([`HOT_PAGE`]) is
    /// left open instead.
    pub fn sync<M: Bus + ?Sized>(&mut self, bus: &mut M, range: Option<(u64, u64)>) -> usize {
        self.stats.syncs += 1;
        let mut taken = std::mem::take(&mut self.taken);
        taken.clear();
        let g = &mut self.cur;
        if bus.take_written(&mut taken) {
            for &(s, e) in &taken {
                if s < e {
                    let (a, b) = (s >> PAGE_SHIFT, (e - 1) >> PAGE_SHIFT);
                    let hit: Vec<u64> = self.watched.range(a..=b).copied().collect();
                    for page in hit {
                        self.watched.remove(&page);
                        *self.rewrites.entry(page).or_default() += 1;
                    }
                    g.written.extend(g.pages.range(a..=b).map(|(&p, _)| p));
                }
            }
            self.written.push(&taken);
        } else {
            // Lost track: every page counts as written and unwatched (but not as rewritten).
            g.written.extend(g.pages.keys());
            self.watched.clear();
            self.written.lost();
        }
        self.taken = taken;
        // An empty range has nothing to compare (BTreeMap::range refuses first > last).
        if range.is_some_and(|(s, e)| s >= e) {
            return 0;
        }
        let (first, last) = match range {
            Some((s, e)) => (s >> PAGE_SHIFT, (e - 1) >> PAGE_SHIFT),
            None => (0, u64::MAX),
        };
        let written: Vec<u64> = g.written.range(first..=last).copied().collect();
        let mut candidates: Vec<u64> = g.open.range(first..=last).copied().collect();
        for &page in &written {
            // A page the range covers only in part keeps its mark for the rest.
            let whole =
                range.is_none_or(|(s, e)| s <= page << PAGE_SHIFT && e >> PAGE_SHIFT > page);
            if whole {
                self.cur.written.remove(&page);
            }
            self.watch_indexed(bus, page);
            candidates.push(page);
        }
        let g = &self.cur;
        candidates.sort_unstable();
        candidates.dedup();
        let mut pcs: Vec<u64> = candidates
            .iter()
            .filter_map(|p| g.pages.get(p))
            .flatten()
            .copied()
            .collect();
        pcs.sort_unstable();
        pcs.dedup();
        let blocks = &g.blocks;
        let stale: Vec<u64> = pcs
            .into_iter()
            .filter_map(|pc| blocks.get(&pc))
            .filter(|t| range.is_none_or(|(s, e)| t.overlaps(s, e)))
            .filter(|t| !t.current(bus))
            .map(|t| t.pc)
            .collect();
        for &pc in &stale {
            if !self.drop_block(pc) {
                self.flush();
                break;
            }
        }
        self.stats.dropped += stale.len() as u64;
        stale.len()
    }

    /// Drops the block at `pc` (see [`CodeCache::sync`]); false if a jump into it could not
    /// be re-pointed.
    fn drop_block(&mut self, pc: u64) -> bool {
        for (site, stub) in self.cur.incoming.remove(&pc).unwrap_or_default() {
            if !self.repoint(site, stub) {
                return false;
            }
        }
        let g = &mut self.cur;
        let Some(t) = g.blocks.remove(&pc) else {
            return true;
        };
        let e = &g.jump_table[((pc >> 1) & JUMP_TABLE_MASK) as usize];
        if e.pc.load(Ordering::Relaxed) == pc {
            e.pc.store(EMPTY_PC, Ordering::Release);
        }
        g.by_host.remove(&t.host);
        // Its own chain jumps are no longer anyone's to re-point.
        let own = t.host..t.host + t.host_len as u64;
        for target in t.targets.iter() {
            if let Some(sites) = g.incoming.get_mut(target) {
                sites.retain(|(site, _)| !own.contains(site));
            }
        }
        for page in t.pages() {
            if let Some(pcs) = g.pages.get_mut(&page) {
                pcs.retain(|&p| p != pc);
                if pcs.is_empty() {
                    g.pages.remove(&page);
                    g.open.remove(&page);
                    g.written.remove(&page);
                }
            }
        }
        g.dead.insert(t.host, t);
        true
    }

    /// Guest code changed as of `code_gen`, a count the caller keeps (hypervisor-lite: the
    /// address space's code generation, which a change of mappings over code bumps after
    /// reporting the range through [`Bus::take_written`]): syncs unless this cache caught up
    /// with that change already, for another vCPU sharing it. Returns whether it synced.
    pub fn code_changed<M: Bus + ?Sized>(&mut self, bus: &mut M, code_gen: u64) -> bool {
        if self.code_gen >= code_gen {
            return false;
        }
        self.code_gen = code_gen;
        self.sync(bus, None);
        true
    }

    /// Records that the last flush was for the change counted as `code_gen` (see
    /// [`CodeCache::code_changed`]).
    pub fn flushed_for(&mut self, code_gen: u64) {
        self.code_gen = self.code_gen.max(code_gen);
    }

    /// Frees the retired generations no vCPU can be running, and the dropped blocks of the
    /// current one once no vCPU runs its code (their host code stays in the buffer).
    pub fn reclaim(&mut self) {
        if !self.cur.dead.is_empty() && !self.runs_current() {
            self.cur.dead.clear();
        }
        if self.retired.is_empty() {
            return;
        }
        // The generations vCPUs run code of. (A vCPU that stores its word after this loaded
        // it does so under the lock, with the current generation.) A vCPU stays in the
        // generation it entered, so the others can go, whatever their age.
        let mut live = Vec::new();
        self.running.retain(|w| match w.upgrade() {
            Some(r) => {
                live.push(r.load(Ordering::Acquire));
                true
            }
            None => false,
        });
        let before = self.retired.len();
        self.retired.retain(|g| live.contains(&g.id));
        self.stats.freed += (before - self.retired.len()) as u64;
    }
}
