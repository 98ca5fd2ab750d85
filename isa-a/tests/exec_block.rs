//! Control leaving straight-line code: fences, ecall/ebreak, traps in the middle of a
//! pre-decoded block, and how `instret` and `pc` stand afterwards.

mod common;

use common::*;
use isa_a::format::{Fence, Load, Nullary};
use isa_a::{
    decode, decode_block, run_block, step, Access, BlockCache, Exit, Flow, Illegal, Insn, MemFault,
    Trap,
};

const ECALL: Insn = Insn::Ecall(Nullary {});
const EBREAK: Insn = Insn::Ebreak(Nullary {});
const FENCE_I: Insn = Insn::FenceI(Nullary {});

fn addi(rd: u32, imm: i32) -> Insn {
    i(Insn::Addi, rd, rd, imm)
}

#[test]
fn fence_falls_through_and_fence_i_asks_for_resync() {
    let (mut cpu, mut mem) = machine();
    let fence = Insn::Fence(Fence {
        fm: 0,
        pred: 0b0011,
        succ: 0b0011,
    });
    assert_eq!(exec(&mut cpu, &mut mem, fence), Flow::Next);
    assert_eq!((cpu.pc, cpu.instret), (CODE + 4, 1));
    assert_eq!(exec(&mut cpu, &mut mem, FENCE_I), Flow::FenceI);
    assert_eq!(
        (cpu.pc, cpu.instret),
        (CODE + 8, 2),
        "fence.i retires and moves on"
    );

    // In a block, fence.i is last and the block exits with FenceI.
    put(&mut mem, CODE, &[addi(5, 1), fence, FENCE_I, addi(5, 1)]);
    cpu.pc = CODE;
    cpu.instret = 0;
    let block = decode_block(&mut mem, CODE).unwrap();
    assert_eq!(
        block.insns.len(),
        3,
        "fence.i ends the block, fence does not"
    );
    assert_eq!(run_block(&mut cpu, &mut mem, &block), Exit::FenceI);
    assert_eq!((cpu.pc, cpu.instret, cpu.x[5]), (CODE + 12, 3, 1));
}

/// Code that rewrites itself and runs fence.i sees the new instruction, even though the old
/// one was already decoded into the block cache.
#[test]
fn fence_i_drops_stale_blocks() {
    let (mut cpu, mut mem) = machine();
    let target = CODE + 0x100;
    put(&mut mem, target, &[i(Insn::Addi, 10, 0, 1), ECALL]);
    let store = Insn::Sw(isa_a::format::Store {
        rs1: x(6),
        rs2: x(7),
        imm: 0,
    });
    put(&mut mem, CODE, &[store, FENCE_I, jal(0, 0xf8)]);
    let mut cache = BlockCache::new();
    // Run the old code once so it is cached.
    cpu.pc = target;
    assert_eq!(cache.run(&mut cpu, &mut mem, 100), Some(Trap::Ecall));
    assert_eq!(cpu.x[10], 1);
    // Patch it to `addi a0,zero,2`, fence.i, jump to it.
    cpu.pc = CODE;
    cpu.x[6] = target;
    cpu.x[7] = i(Insn::Addi, 10, 0, 2).encode() as u64;
    assert_eq!(cache.run(&mut cpu, &mut mem, 100), Some(Trap::Ecall));
    assert_eq!((cpu.x[10], cpu.pc), (2, target + 4));
}

/// ecall and ebreak do not retire: pc stays at them for the environment to handle.
#[test]
fn ecall_and_ebreak_leave_pc_at_the_instruction() {
    for (insn, trap) in [(ECALL, Trap::Ecall), (EBREAK, Trap::Ebreak)] {
        let (mut cpu, mut mem) = machine();
        assert_eq!(exec(&mut cpu, &mut mem, insn), Flow::Trap(trap));
        assert_eq!((cpu.pc, cpu.instret), (CODE, 0));
        put(&mut mem, CODE, &[addi(5, 1), addi(5, 1), insn]);
        assert_eq!(BlockCache::new().run(&mut cpu, &mut mem, 100), Some(trap));
        assert_eq!((cpu.pc, cpu.instret, cpu.x[5]), (CODE + 8, 2, 2));
    }
    // c.ebreak, 2 bytes.
    let (mut cpu, mut mem) = machine();
    assert_eq!(
        step(&mut cpu, &mut mem, &decode(0x9002).unwrap()),
        Flow::Trap(Trap::Ebreak)
    );
    assert_eq!(cpu.pc, CODE);
}

/// A fault in the middle of a block: the instructions before it retired, pc is at the faulting
/// one, and nothing after it ran.
#[test]
fn instret_after_a_mid_block_fault() {
    let (mut cpu, mut mem) = machine();
    let bad_load = Insn::Ld(Load {
        rd: x(10),
        rs1: x(0),
        imm: 0x40,
    });
    put(
        &mut mem,
        CODE,
        &[addi(5, 1), addi(6, 2), bad_load, addi(7, 3), ECALL],
    );
    cpu.instret = 100;
    cpu.x[10] = 0xdead;
    let trap = BlockCache::new().run(&mut cpu, &mut mem, 1000);
    assert_eq!(
        trap,
        Some(Trap::Fault(MemFault {
            addr: 0x40,
            access: Access::Read
        }))
    );
    assert_eq!((cpu.pc, cpu.instret), (CODE + 8, 102));
    assert_eq!((cpu.x[5], cpu.x[6], cpu.x[7], cpu.x[10]), (1, 2, 0, 0xdead));

    // The same through run_block, with the fault as the block's first and last instruction.
    let block = decode_block(&mut mem, CODE + 8).unwrap();
    assert_eq!(
        run_block(&mut cpu, &mut mem, &block),
        Exit::Trap(trap.unwrap())
    );
    assert_eq!((cpu.pc, cpu.instret), (CODE + 8, 102));
    let (mut cpu, mut mem) = machine();
    put(&mut mem, CODE, &[bad_load, ECALL]);
    let block = decode_block(&mut mem, CODE).unwrap();
    assert_eq!(
        run_block(&mut cpu, &mut mem, &block),
        Exit::Trap(trap.unwrap())
    );
    assert_eq!((cpu.pc, cpu.instret), (CODE, 0));
}

/// An illegal instruction ends the block before it; executing up to it retires what precedes
/// it, then the illegal one traps with its own bits and length.
#[test]
fn illegal_instruction_after_straight_line_code() {
    let (mut cpu, mut mem) = machine();
    put(&mut mem, CODE, &[addi(5, 1), addi(5, 1)]);
    // 0x0000 at CODE + 8 is the defined-illegal compressed word.
    let block = decode_block(&mut mem, CODE).unwrap();
    assert_eq!(block.insns.len(), 2);
    let trap = BlockCache::new().run(&mut cpu, &mut mem, 100);
    assert_eq!(trap, Some(Trap::Illegal(Illegal { bits: 0, len: 2 })));
    assert_eq!((cpu.pc, cpu.instret, cpu.x[5]), (CODE + 8, 2, 2));
    // A reserved 32-bit word (fadd.s with rm = 5).
    let (mut cpu, mut mem) = machine();
    mem.write_bytes(CODE, &0x0000_5053u32.to_le_bytes());
    let trap = BlockCache::new().run(&mut cpu, &mut mem, 100);
    assert_eq!(
        trap,
        Some(Trap::Illegal(Illegal {
            bits: 0x0000_5053,
            len: 4
        }))
    );
}

#[test]
fn fetch_faults() {
    let end = CODE + MEM_LEN as u64;
    let (mut cpu, mut mem) = machine();
    cpu.pc = end + 0x1000;
    let trap = BlockCache::new().run(&mut cpu, &mut mem, 100);
    assert_eq!(
        trap,
        Some(Trap::Fault(MemFault {
            addr: end + 0x1000,
            access: Access::Execute
        }))
    );
    // A 4-byte instruction whose upper half lies outside memory.
    cpu.pc = end - 2;
    mem.write_bytes(end - 2, &[0x13, 0x00]);
    let trap = BlockCache::new().run(&mut cpu, &mut mem, 100);
    assert_eq!(
        trap,
        Some(Trap::Fault(MemFault {
            addr: end,
            access: Access::Execute
        }))
    );
    assert_eq!((cpu.pc, cpu.instret), (end - 2, 0));
}

/// The budget is checked between blocks: a run stops after the block that reaches it.
#[test]
fn budget_is_checked_between_blocks() {
    let (mut cpu, mut mem) = machine();
    put(
        &mut mem,
        CODE,
        &[addi(5, 1), addi(5, 1), addi(5, 1), jal(0, -12)],
    );
    let mut cache = BlockCache::new();
    assert_eq!(cache.run(&mut cpu, &mut mem, 2), None);
    assert_eq!((cpu.instret, cpu.pc, cpu.x[5]), (4, CODE, 3));
    assert_eq!(cache.run(&mut cpu, &mut mem, 8), None);
    assert_eq!((cpu.instret, cpu.x[5]), (12, 9));
    assert_eq!(cache.len(), 1);
}
