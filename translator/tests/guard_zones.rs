//! Accesses left without their limit check (lower/checked.rs) that fault in a guard zone:
//! below guest address 0 (the address wraps) and past the limit. The guest's first and last
//! pages are mapped, so the access before each, through the same register, succeeds; the
//! translated code must then give the interpreter's fault, at the access's own pc, with the
//! registers as they were. One test in this file: the check counts are the process's.

use isa_a::format::{Load, Nullary, Store, I};
use isa_a::{BlockCache, Cpu, Insn, Trap, XReg};
use translator::{Engine, Mode, TestMemory};

const MEM: usize = 64 << 10;
const CODE: u64 = 0x1000;
const RWX: u8 = 7;

fn ld(rd: u32, rs1: u32, imm: i32) -> Insn {
    Insn::Ld(Load {
        rd: XReg::new(rd),
        rs1: XReg::new(rs1),
        imm,
    })
}

fn sw(rs1: u32, rs2: u32, imm: i32) -> Insn {
    Insn::Sw(Store {
        rs1: XReg::new(rs1),
        rs2: XReg::new(rs2),
        imm,
    })
}

fn addi(rd: u32, rs1: u32, imm: i32) -> Insn {
    Insn::Addi(I {
        rd: XReg::new(rd),
        rs1: XReg::new(rs1),
        imm,
    })
}

fn memory(code: &[Insn]) -> TestMemory {
    let mut mem = TestMemory::new(MEM);
    mem.set_perm(0, MEM as u64, RWX);
    let mut at = CODE as usize;
    for i in code.iter().chain([&Insn::Ecall(Nullary {})]) {
        mem.bytes_mut()[at..at + 4].copy_from_slice(&i.encode().to_le_bytes());
        at += 4;
    }
    mem
}

/// Runs `code` from a0 = `a0` in both; they must agree. Returns the trap, the `Cpu` and how
/// many limit checks the translation left out.
fn run(code: &[Insn], a0: u64) -> (Option<Trap>, Cpu, u64) {
    let mut cpu = Cpu::new(CODE);
    cpu.x[10] = a0;
    cpu.x[13] = 0x1234_5678;
    let (mut icpu, mut jcpu) = (cpu.clone(), cpu);
    let (mut imem, mut jmem) = (memory(code), memory(code));
    let before = translator::check_counts().1;
    let mut engine = Engine::new(Mode::Jit, jmem.layout()).unwrap();
    let it = BlockCache::new().run(&mut icpu, &mut imem, 100);
    let jt = engine.run(&mut jcpu, &mut jmem, 100);
    assert_eq!(it, jt);
    assert_eq!(icpu, jcpu);
    assert!(imem.bytes() == jmem.bytes());
    (it, icpu, translator::check_counts().1 - before)
}

fn fault_at(t: Option<Trap>) -> u64 {
    match t {
        Some(Trap::Fault(f)) => f.addr,
        t => panic!("{t:?}, not a fault"),
    }
}

#[test]
fn unchecked_accesses_fault_in_the_guard_zones() {
    // Below 0: a0 + 16 is guest memory, a0 - 16 wraps to the top of the address space.
    let (t, cpu, elided) = run(&[ld(11, 10, 8), addi(12, 0, 1), ld(12, 10, -24)], 8);
    assert_eq!(fault_at(t), (-16i64) as u64);
    assert_eq!((cpu.pc, cpu.instret, cpu.x[12]), (CODE + 8, 2, 1));
    assert!(elided > 0, "the second load was checked");
    // A store straddling 0 from below, after one at 0; and as far as the zone reaches.
    let (t, cpu, elided) = run(&[sw(10, 13, 0), sw(10, 13, -2)], 0);
    assert_eq!(fault_at(t), (-2i64) as u64);
    assert_eq!((cpu.pc, cpu.instret), (CODE + 4, 1));
    assert!(elided > 0);
    let (t, _, elided) = run(
        &[ld(11, 10, 2040), addi(10, 10, 2040), ld(11, 10, -2048)],
        0,
    );
    assert_eq!(fault_at(t), (-8i64) as u64);
    assert!(elided > 0);
    // Past the limit: at it, and straddling it (the interpreter reports the limit).
    let top = MEM as u64 - 16;
    let (t, cpu, elided) = run(&[ld(11, 10, 8), ld(12, 10, 16)], top);
    assert_eq!(fault_at(t), MEM as u64);
    assert_eq!((cpu.pc, cpu.instret, cpu.x[11]), (CODE + 4, 1, 0));
    assert!(elided > 0);
    let (t, _, elided) = run(&[ld(11, 10, 8), sw(10, 13, 14)], top);
    assert_eq!(fault_at(t), MEM as u64);
    assert!(elided > 0);
    // The base moved on by constants, within reach of the zone: still unchecked.
    let (t, _, elided) = run(
        &[
            ld(11, 10, 0),
            addi(10, 10, 2000),
            addi(10, 10, 2000),
            ld(11, 10, 88),
        ],
        top - 4000,
    );
    assert_eq!(fault_at(t), MEM as u64 + 72);
    assert!(elided > 0);
    // Nothing faults where memory is mapped: the accesses ran.
    let (t, cpu, _) = run(&[ld(11, 10, 8), ld(12, 10, -8), ld(14, 10, 0)], 8);
    assert_eq!(t, Some(Trap::Ecall));
    assert_eq!(cpu.instret, 3);
    table_lookups_left_unchecked_fault_in_the_guard_zones();
}

fn andi(rd: u32, rs1: u32, imm: i32) -> Insn {
    Insn::Andi(I {
        rd: XReg::new(rd),
        rs1: XReg::new(rs1),
        imm,
    })
}

fn slli(rd: u32, rs1: u32, shamt: u32) -> Insn {
    Insn::Slli(isa_a::format::Shift {
        rd: XReg::new(rd),
        rs1: XReg::new(rs1),
        shamt,
    })
}

fn add(rd: u32, rs1: u32, rs2: u32) -> Insn {
    Insn::Add(isa_a::format::R {
        rd: XReg::new(rd),
        rs1: XReg::new(rs1),
        rs2: XReg::new(rs2),
    })
}

/// `t = a0 + (x & 255) * 8; ld y, 0(t)`.
fn lookup(x: u32, t: u32, y: u32) -> [Insn; 4] {
    [andi(t, x, 255), slli(t, t, 3), add(t, t, 10), ld(y, t, 0)]
}

/// Part of the one test (the counts are the process's).
fn table_lookups_left_unchecked_fault_in_the_guard_zones() {
    // a0 = the table, x13 the first index (0x78), x14 the second (set below).
    let code = |second: i32| {
        let mut c = vec![addi(14, 0, second)];
        c.extend(lookup(13, 5, 6));
        c.extend(lookup(14, 7, 8));
        c
    };
    // Past the limit: the first lookup reads the last word of memory, the second one 8
    // bytes (and 255 words) past it.
    let top = MEM as u64 - 8 - 0x78 * 8;
    let (t, cpu, elided) = run(&code(0x79), top);
    assert_eq!(fault_at(t), MEM as u64);
    assert_eq!((cpu.pc, cpu.instret), (CODE + 8 * 4, 8));
    assert!(elided > 0, "the second lookup was checked");
    let (t, _, _) = run(&code(0xff), top);
    assert_eq!(fault_at(t), MEM as u64 + (0xff - 0x79) * 8);
    // Below 0: the first lookup reads guest 0, the second wraps below it.
    let base = (-(0x78i64 * 8)) as u64;
    let (t, cpu, elided) = run(&code(0), base);
    assert_eq!(fault_at(t), base);
    assert_eq!((cpu.pc, cpu.instret, cpu.x[7]), (CODE + 8 * 4, 8, base));
    assert!(elided > 0);
    // Inside memory both run.
    let (t, cpu, _) = run(&code(3), 0x8000);
    assert_eq!(t, Some(Trap::Ecall));
    assert_eq!(cpu.instret, 9);
    // A 16-bit index scaled by 8 reaches 512 KiB past the table: within the guard zone.
    let mut code = vec![Insn::Lui(isa_a::format::U {
        rd: XReg::new(14),
        imm: 0xffff_0000u32 as i32,
    })];
    code.extend(lookup(13, 5, 6));
    code.extend([
        Insn::Srliw(isa_a::format::ShiftW {
            rd: XReg::new(7),
            rs1: XReg::new(14),
            shamt: 16,
        }),
        slli(7, 7, 3),
        add(7, 10, 7),
        ld(8, 7, 0),
    ]);
    let (t, cpu, elided) = run(&code, top);
    assert_eq!(fault_at(t), top + 0xffff * 8);
    assert_eq!((cpu.pc, cpu.instret), (CODE + 8 * 4, 8));
    assert!(elided > 0, "the far lookup was checked");
}
