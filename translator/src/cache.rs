//! Translated code by guest pc: the code buffer, the blocks in it, and the lookup table that
//! indirect jumps consult from translated code.
//!
//! One cache serves every vCPU of a process (behind the engine's lock). Invalidation is
//! wholesale: `fence.i`, and unmapping, re-protecting or replacing executable pages, drop all
//! translated code (what the ISA asks of user code is exactly that it executes `fence.i`
//! or a flush syscall after writing code), as does a full code buffer.

use crate::abi::{self, EnterFn};
use crate::lower;
use crate::Layout;
use isa_a::Decoded;
use isa_b::{CodeBuffer, Emitter};
use std::collections::{BTreeMap, HashMap};

/// Entries in the indirect-jump table (a power of two) and their size (1 << shift).
pub const JUMP_TABLE_MASK: u64 = 4095;
pub const JUMP_ENTRY_SHIFT: u32 = 4;

/// One entry of the indirect-jump table: a guest pc and its host code.
#[derive(Copy, Clone)]
#[repr(C)]
pub struct JumpEntry {
    pub pc: u64,
    pub host: u64,
}

impl JumpEntry {
    /// Guest pcs are even: an odd pc never matches.
    const EMPTY: JumpEntry = JumpEntry { pc: 1, host: 0 };
}

/// A translated block.
pub struct Translated {
    pub pc: u64,
    /// Where its host code starts and how long it is.
    pub host: u64,
    pub host_len: usize,
    /// Its guest instructions; the helper calls point into this.
    pub insns: Box<[Decoded]>,
    /// Its guest accesses: host offset, instruction index, store or not (crate::fault).
    pub faults: Box<[(u32, u32, bool)]>,
    /// Which guest register each allocatable host register holds inside it: (guest, index
    /// into abi::ALLOCATABLE).
    pub map: Box<[(u8, u8)]>,
}

/// A guest access in translated code (see [`CodeCache::fault_site`]).
pub struct FaultSite<'a> {
    pub pc: u64,
    pub idx: usize,
    pub write: bool,
    pub map: &'a [(u8, u8)],
}

pub struct CodeCache {
    buf: CodeBuffer,
    enter: u64,
    exit: u64,
    landing: u64,
    blocks: HashMap<u64, Translated>,
    /// Host start → guest pc of every block, to find the block a host pc lies in.
    by_host: BTreeMap<u64, u64>,
    jump_table: Box<[JumpEntry]>,
    layout: Layout,
}

/// Code space reserved per cache.
const CAPACITY: usize = 256 << 20;

impl CodeCache {
    pub fn new(layout: Layout) -> std::io::Result<CodeCache> {
        let mut c = CodeCache {
            buf: CodeBuffer::new(CAPACITY)?,
            enter: 0,
            exit: 0,
            landing: 0,
            blocks: HashMap::new(),
            by_host: BTreeMap::new(),
            jump_table: vec![JumpEntry::EMPTY; JUMP_TABLE_MASK as usize + 1].into_boxed_slice(),
            layout,
        };
        c.emit_trampoline();
        let start = c.buf.exec_addr(0);
        crate::fault::register(start, start + c.buf.capacity() as u64)?;
        Ok(c)
    }

    fn emit_trampoline(&mut self) {
        let mut e = Emitter::new();
        let (mut exit, mut landing) = (e.label(), e.label());
        abi::emit_entry_exit(&mut e, &mut exit, &mut landing);
        let at = self.buf.next_addr(0).expect("room for the trampoline");
        let code = e.assemble(at);
        self.exit = code.label_addr(&exit);
        self.landing = code.label_addr(&landing);
        self.enter = self.buf.commit(&code.bytes).expect("code buffer");
    }

    /// The entry trampoline.
    pub fn enter_fn(&self) -> EnterFn {
        unsafe { std::mem::transmute::<u64, EnterFn>(self.enter) }
    }

    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// Where a thread whose guest access faulted resumes.
    pub fn landing(&self) -> u64 {
        self.landing
    }

    /// The guest access at host address `host`: its instruction's pc and index in its block,
    /// whether it is a store, and the block's register allocation.
    pub fn fault_site(&self, host: u64) -> Option<FaultSite<'_>> {
        let (_, pc) = self.by_host.range(..=host).next_back()?;
        let t = self.blocks.get(pc)?;
        let off = u32::try_from(host - t.host).ok()?;
        let i = t.faults.binary_search_by_key(&off, |f| f.0).ok()?;
        let (_, idx, write) = t.faults[i];
        let before: u64 = t.insns[..idx as usize].iter().map(|d| d.len as u64).sum();
        Some(FaultSite {
            pc: t.pc.wrapping_add(before),
            idx: idx as usize,
            write,
            map: &t.map,
        })
    }

    pub fn get(&self, pc: u64) -> Option<&Translated> {
        self.blocks.get(&pc)
    }

    pub fn len(&self) -> usize {
        self.blocks.len()
    }

    /// The translated blocks, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &Translated> {
        self.blocks.values()
    }

    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    /// Host code bytes in use.
    pub fn host_bytes(&self) -> usize {
        self.buf.used()
    }

    /// The executable bytes of a translated block.
    pub fn host_code(&self, t: &Translated) -> &[u8] {
        self.buf.code(t.host, t.host_len)
    }

    /// Makes indirect jumps to `pc` find `host` without leaving translated code.
    pub fn remember_jump(&mut self, pc: u64, host: u64) {
        self.jump_table[((pc >> 1) & JUMP_TABLE_MASK) as usize] = JumpEntry { pc, host };
    }

    /// Points the chain jump at `site` to `host`.
    pub fn patch(&mut self, site: u64, host: u64) {
        self.buf.patch_jmp(site, host);
    }

    /// Translates the block `insns` at `pc`; returns its host address. A full buffer is
    /// flushed first (the caller's pending patch sites die with it: `flushed` is set).
    pub fn translate(&mut self, pc: u64, insns: &[Decoded], flushed: &mut bool) -> u64 {
        let insns: Box<[Decoded]> = insns.into();
        let table = self.jump_table.as_ptr() as u64;
        loop {
            let at = self
                .buf
                .next_addr(0)
                .expect("code buffer has room for an address");
            let mut out = lower::lower(&insns, pc, at, self.exit, table);
            if self.buf.next_addr(out.code.bytes.len()).is_none() {
                self.flush();
                *flushed = true;
                continue;
            }
            for c in &out.chains {
                if let Some(t) = self.blocks.get(&c.target) {
                    out.code.set_jmp(&c.site, t.host);
                }
            }
            let host = self.buf.commit(&out.code.bytes).expect("code buffer");
            let host_len = out.code.bytes.len();
            let faults = out
                .faults
                .iter()
                .map(|(l, idx, write)| {
                    ((out.code.label_addr(l) - host) as u32, *idx as u32, *write)
                })
                .collect();
            if let Some(old) = self.blocks.get(&pc) {
                self.by_host.remove(&old.host);
            }
            self.by_host.insert(host, pc);
            self.blocks.insert(
                pc,
                Translated {
                    pc,
                    host,
                    host_len,
                    insns,
                    faults,
                    map: out.map,
                },
            );
            self.remember_jump(pc, host);
            return host;
        }
    }

    /// Drops every translated block.
    pub fn flush(&mut self) {
        self.blocks.clear();
        self.by_host.clear();
        self.jump_table.fill(JumpEntry::EMPTY);
        self.buf.reset();
        self.emit_trampoline();
    }
}

impl Drop for CodeCache {
    fn drop(&mut self) {
        crate::fault::unregister(self.buf.exec_addr(0));
    }
}
