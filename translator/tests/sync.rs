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
