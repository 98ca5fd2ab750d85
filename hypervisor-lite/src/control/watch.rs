//! Watchpoints: while one is set, a vCPU runs one instruction at a time on the reference
//! interpreter through [`Watched`], a bus that notes the instruction's first access to a
//! watched range, so the stop comes right after the access (what gdb expects).

use super::engine::Engine;
use isa_a::{Bus, Cpu, Flow, Trap};

/// What a watchpoint stops at.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum WatchKind {
    Write,
    Read,
    /// A read or a write.
    Access,
}

/// A watched range of guest memory.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Watchpoint {
    pub addr: u64,
    pub len: u64,
    pub kind: WatchKind,
}

/// `step_one`, noting the first access of the instruction to a watched range. Block-ending
/// instructions (jumps, branches, ecall, fence.i) access no data memory themselves.
pub(super) fn step_watched<M: Bus + ?Sized, E: Engine<M>>(
    cpu: &mut Cpu,
    bus: &mut M,
    engine: &mut E,
    watchpoints: &[Watchpoint],
) -> (Option<Trap>, Option<(u64, WatchKind)>) {
    let d = match isa_a::fetch(bus, cpu.pc) {
        Ok(d) => d,
        Err(t) => return (Some(t), None),
    };
    if isa_a::ends_block(&d.insn) {
        return (engine.run(cpu, bus, 1), None);
    }
    let mut watched = Watched {
        bus,
        watchpoints,
        hit: None,
    };
    let trap = match isa_a::step(cpu, &mut watched, &d) {
        Flow::Trap(t) => Some(t),
        _ => None,
    };
    (trap, watched.hit)
}

/// A bus that notes the first access of one instruction to a watched range.
struct Watched<'a, M: Bus + ?Sized> {
    bus: &'a mut M,
    watchpoints: &'a [Watchpoint],
    hit: Option<(u64, WatchKind)>,
}

impl<M: Bus + ?Sized> Watched<'_, M> {
    fn note(&mut self, addr: u64, len: u64, write: bool) {
        if self.hit.is_some() {
            return;
        }
        let hit = self.watchpoints.iter().find(|w| {
            let kind = match w.kind {
                WatchKind::Write => write,
                WatchKind::Read => !write,
                WatchKind::Access => true,
            };
            kind && addr < w.addr.saturating_add(w.len) && w.addr < addr.saturating_add(len)
        });
        if let Some(w) = hit {
            let kind = if write {
                WatchKind::Write
            } else {
                WatchKind::Read
            };
            // gdb reports an access watchpoint as one, whichever access it was.
            let kind = if w.kind == WatchKind::Access {
                w.kind
            } else {
                kind
            };
            self.hit = Some((w.addr, kind));
        }
    }
}

impl<M: Bus + ?Sized> Bus for Watched<'_, M> {
    fn load8(&mut self, addr: u64) -> Result<u8, isa_a::MemFault> {
        self.note(addr, 1, false);
        self.bus.load8(addr)
    }
    fn load16(&mut self, addr: u64) -> Result<u16, isa_a::MemFault> {
        self.note(addr, 2, false);
        self.bus.load16(addr)
    }
    fn load32(&mut self, addr: u64) -> Result<u32, isa_a::MemFault> {
        self.note(addr, 4, false);
        self.bus.load32(addr)
    }
    fn load64(&mut self, addr: u64) -> Result<u64, isa_a::MemFault> {
        self.note(addr, 8, false);
        self.bus.load64(addr)
    }
    fn store8(&mut self, addr: u64, v: u8) -> Result<(), isa_a::MemFault> {
        self.note(addr, 1, true);
        self.bus.store8(addr, v)
    }
    fn store16(&mut self, addr: u64, v: u16) -> Result<(), isa_a::MemFault> {
        self.note(addr, 2, true);
        self.bus.store16(addr, v)
    }
    fn store32(&mut self, addr: u64, v: u32) -> Result<(), isa_a::MemFault> {
        self.note(addr, 4, true);
        self.bus.store32(addr, v)
    }
    fn store64(&mut self, addr: u64, v: u64) -> Result<(), isa_a::MemFault> {
        self.note(addr, 8, true);
        self.bus.store64(addr, v)
    }
    fn fetch16(&mut self, addr: u64) -> Result<u16, isa_a::MemFault> {
        self.bus.fetch16(addr)
    }
    fn amo(
        &mut self,
        addr: u64,
        op: isa_a::AmoOp,
        src: u64,
        bits: u32,
    ) -> Result<u64, isa_a::MemFault> {
        self.note(addr, bits as u64 / 8, true);
        self.bus.amo(addr, op, src, bits)
    }
    fn compare_store(
        &mut self,
        addr: u64,
        expected: u64,
        new: u64,
        bits: u32,
    ) -> Result<bool, isa_a::MemFault> {
        self.note(addr, bits as u64 / 8, true);
        self.bus.compare_store(addr, expected, new, bits)
    }
    fn time(&mut self) -> u64 {
        self.bus.time()
    }
    fn watch_code(&mut self, page: u64) -> bool {
        self.bus.watch_code(page)
    }
    fn take_written(&mut self, out: &mut Vec<(u64, u64)>) -> bool {
        self.bus.take_written(out)
    }
}
