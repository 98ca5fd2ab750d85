//! `fence.i` drops only the translated blocks whose guest code changed: the chains into a
//! dropped block lead back to the dispatcher, which translates the new code; the rest stays.

use isa_a::format::{Nullary, I, J};
use isa_a::{Cpu, Insn, Trap, XReg};
use translator::{Engine, Mode, TestMemory};

const A0: XReg = XReg::new(10);

fn addi(imm: i32) -> Insn {
    Insn::Addi(I {
        rd: A0,
        rs1: A0,
        imm,
    })
}

/// 0x1000: a0 += 1, jump to 0x2000; 0x2000: a0 += `imm`, ecall. 0x3000: a0 += 100, ecall
/// (never changed). 0x4000: fence.i, ecall.
fn setup(imm: i32) -> TestMemory {
    let mut mem = TestMemory::new(1 << 16);
    let jal = Insn::Jal(J {
        rd: XReg::new(1),
        off: 0x1000 - 4,
    });
    mem.load_code(0x1000, &[addi(1), jal]);
    mem.load_code(0x2000, &[addi(imm), Insn::Ecall(Nullary {})]);
    mem.load_code(0x3000, &[addi(100), Insn::Ecall(Nullary {})]);
    mem.load_code(0x4000, &[Insn::FenceI(Nullary {}), Insn::Ecall(Nullary {})]);
    mem
}

fn run(engine: &mut Engine, mem: &mut TestMemory, pc: u64) -> u64 {
    let mut cpu = Cpu::new(pc);
    assert_eq!(engine.run(&mut cpu, mem, 1000), Some(Trap::Ecall));
    cpu.x[10]
}

#[test]
fn fence_i_drops_only_changed_blocks_and_their_chains() {
    let mut mem = setup(10);
    let mut engine = Engine::new(Mode::Jit, mem.layout()).unwrap();
    // Twice: the second run goes through the chain 0x1000 → 0x2000.
    assert_eq!(run(&mut engine, &mut mem, 0x1000), 11);
    assert_eq!(run(&mut engine, &mut mem, 0x1000), 11);
    assert_eq!(run(&mut engine, &mut mem, 0x3000), 100);
    let before = engine.stats();
    assert_eq!(before.chains_patched, 1, "{before:?}");

    // A fence.i with nothing changed drops nothing.
    run(&mut engine, &mut mem, 0x4000);
    let s = engine.stats();
    assert_eq!((s.dropped, s.flushes), (0, 0), "{s:?}");

    mem.load_code(0x2000, &[addi(20)]);
    run(&mut engine, &mut mem, 0x4000);
    let s = engine.stats();
    assert_eq!((s.dropped, s.flushes), (1, 0), "{s:?}");
    // The chained jump now reaches the new code, translated once more; 0x1000 and 0x3000
    // are not translated again.
    assert_eq!(run(&mut engine, &mut mem, 0x1000), 21);
    assert_eq!(run(&mut engine, &mut mem, 0x1000), 21);
    assert_eq!(run(&mut engine, &mut mem, 0x3000), 100);
    let after = engine.stats();
    assert_eq!(
        after.blocks_translated,
        s.blocks_translated + 1,
        "{after:?}"
    );
}

#[test]
fn a_store_without_fence_i_is_not_seen_until_the_next_one() {
    let mut mem = setup(10);
    let mut engine = Engine::new(Mode::Jit, mem.layout()).unwrap();
    assert_eq!(run(&mut engine, &mut mem, 0x1000), 11);
    mem.load_code(0x2000, &[addi(30)]);
    // Translated code is what the ISA allows until fence.i: the old code.
    assert_eq!(run(&mut engine, &mut mem, 0x1000), 11);
    run(&mut engine, &mut mem, 0x4000);
    assert_eq!(run(&mut engine, &mut mem, 0x1000), 31);
}

/// Guest memory whose pages at and above 0x2000 are watched (as a private page is in
/// hypervisor-lite): their changes are the ones `written` reports, until `lost` says some
/// reports were lost.
struct Private {
    mem: TestMemory,
    written: Vec<(u64, u64)>,
    lost: bool,
}

impl Private {
    /// `mem` with nothing reported written yet.
    fn new(mem: TestMemory) -> Private {
        Private {
            mem,
            written: Vec::new(),
            lost: false,
        }
    }
}

impl isa_a::Bus for Private {
    fn load8(&mut self, a: u64) -> Result<u8, isa_a::MemFault> {
        self.mem.load8(a)
    }
    fn load16(&mut self, a: u64) -> Result<u16, isa_a::MemFault> {
        self.mem.load16(a)
    }
    fn load32(&mut self, a: u64) -> Result<u32, isa_a::MemFault> {
        self.mem.load32(a)
    }
    fn load64(&mut self, a: u64) -> Result<u64, isa_a::MemFault> {
        self.mem.load64(a)
    }
    fn store8(&mut self, a: u64, v: u8) -> Result<(), isa_a::MemFault> {
        self.mem.store8(a, v)
    }
    fn store16(&mut self, a: u64, v: u16) -> Result<(), isa_a::MemFault> {
        self.mem.store16(a, v)
    }
    fn store32(&mut self, a: u64, v: u32) -> Result<(), isa_a::MemFault> {
        self.mem.store32(a, v)
    }
    fn store64(&mut self, a: u64, v: u64) -> Result<(), isa_a::MemFault> {
        self.mem.store64(a, v)
    }
    fn fetch16(&mut self, a: u64) -> Result<u16, isa_a::MemFault> {
        self.mem.fetch16(a)
    }
    fn watch_code(&mut self, page: u64) -> bool {
        page >= 0x2000
    }
    fn take_written(&mut self, out: &mut Vec<(u64, u64)>) -> bool {
        out.append(&mut self.written);
        !std::mem::replace(&mut self.lost, false)
    }
}

fn fence_i(engine: &mut Engine, mem: &mut Private) {
    let mut cpu = Cpu::new(0x4000);
    assert_eq!(engine.run(&mut cpu, mem, 1000), Some(Trap::Ecall));
}

/// Watched pages are compared at fence.i only when reported written (or when reports were
/// lost); the others at every one.
#[test]
fn watched_pages_are_compared_only_when_reported_written() {
    let mut mem = setup(10);
    let layout = mem.layout();
    let mut mem = Private::new(mem);
    let mut engine = Engine::new(Mode::Jit, layout).unwrap();
    let mut cpu = Cpu::new(0x1000);
    assert_eq!(engine.run(&mut cpu, &mut mem, 1000), Some(Trap::Ecall));
    assert_eq!(cpu.x[10], 11);

    // Not compared: the change was not reported (a store through the test's back door).
    mem.mem.load_code(0x2000, &[addi(20)]);
    fence_i(&mut engine, &mut mem);
    assert_eq!(engine.stats().dropped, 0);

    // Reported in a range of another page: still not compared.
    mem.written.push((0x3000, 0x4000));
    fence_i(&mut engine, &mut mem);
    assert_eq!(engine.stats().dropped, 0);

    // Reported: compared and dropped, and the new code runs.
    mem.written.push((0x2ff0, 0x3000));
    fence_i(&mut engine, &mut mem);
    assert_eq!(engine.stats().dropped, 1);
    let mut cpu = Cpu::new(0x1000);
    assert_eq!(engine.run(&mut cpu, &mut mem, 1000), Some(Trap::Ecall));
    assert_eq!(cpu.x[10], 21);

    // Reports lost: everything is compared. An unwatched page (0x1000) always is.
    mem.mem.load_code(0x2000, &[addi(30)]);
    mem.mem.load_code(0x1000, &[addi(2)]);
    mem.lost = true;
    fence_i(&mut engine, &mut mem);
    assert_eq!(engine.stats().dropped, 3);
    let mut cpu = Cpu::new(0x1000);
    assert_eq!(engine.run(&mut cpu, &mut mem, 1000), Some(Trap::Ecall));
    assert_eq!(cpu.x[10], 32);
}

/// A sync of a range (riscv_flush_icache's) compares only the blocks with code in it.
#[test]
fn a_range_sync_drops_only_changed_blocks_in_the_range() {
    let mut mem = setup(10);
    let mut engine = Engine::new(Mode::Jit, mem.layout()).unwrap();
    assert_eq!(run(&mut engine, &mut mem, 0x1000), 11);
    assert_eq!(run(&mut engine, &mut mem, 0x3000), 100);
    mem.load_code(0x2000, &[addi(20)]);
    mem.load_code(0x3000, &[addi(200)]);
    engine.sync(&mut mem, Some((0x3000, 0x3004)));
    assert_eq!(engine.stats().dropped, 1);
    assert_eq!(run(&mut engine, &mut mem, 0x1000), 11);
    assert_eq!(run(&mut engine, &mut mem, 0x3000), 200);
    // Past the block at 0x2000 (its end is exclusive): nothing goes.
    engine.sync(&mut mem, Some((0x2008, 0x2010)));
    assert_eq!(engine.stats().dropped, 1);
    // A range holding only its unchanged ecall: the block is compared whole.
    engine.sync(&mut mem, Some((0x2004, 0x2008)));
    assert_eq!(engine.stats().dropped, 2);
    assert_eq!(run(&mut engine, &mut mem, 0x1000), 21);
    // Empty and reversed ranges compare nothing.
    mem.load_code(0x1000, &[addi(2)]);
    for (s, e) in [(0x1000, 0x1000), (0x1004, 0x1000), (u64::MAX, 0), (0, 0)] {
        engine.sync(&mut mem, Some((s, e)));
    }
    assert_eq!(engine.stats().dropped, 2);
}

/// Two vCPUs sharing the code: the store one thread made is reported to whichever syncs
/// first. The other's own `fence.i` must still drop the block it interpreted from the old
/// code (tests/guests' hostile_smc_race, whose writer called the function it had just
/// rewritten and flushed, and got the old result when a reader's `fence.i` came between).
#[test]
fn a_report_another_engine_took_still_drops_an_interpreted_block() {
    let mut mem = setup(10);
    let layout = mem.layout();
    let mut mem = Private::new(mem);
    let mut reader = Engine::new(Mode::Tiered, layout).unwrap();
    let mut writer = Engine::with_cache(Mode::Tiered, reader.cache());
    let mut cpu = Cpu::new(0x2000);
    assert_eq!(writer.run(&mut cpu, &mut mem, 1000), Some(Trap::Ecall));
    assert_eq!(cpu.x[10], 10);

    mem.mem.load_code(0x2000, &[addi(20)]);
    mem.written.push((0x2000, 0x2004));
    fence_i(&mut reader, &mut mem);
    fence_i(&mut writer, &mut mem);
    let mut cpu = Cpu::new(0x2000);
    assert_eq!(writer.run(&mut cpu, &mut mem, 1000), Some(Trap::Ecall));
    assert_eq!(cpu.x[10], 20);
}
