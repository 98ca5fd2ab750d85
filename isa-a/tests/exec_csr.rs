//! Zicsr: fflags/frm/fcsr and their masking, the read-only counters, and which accesses are
//! illegal (with the instruction's bits in the trap).

mod common;

use common::*;
use isa_a::{BlockCache, Cpu, FlatMemory, Flow, Illegal, Insn, Trap};

const FFLAGS: u32 = 0x001;
const FRM: u32 = 0x002;
const FCSR: u32 = 0x003;
const CYCLE: u32 = 0xc00;
const TIME: u32 = 0xc01;
const INSTRET: u32 = 0xc02;

/// Runs one CSR instruction with fcsr = `fcsr`, a1 = `a1`, a0 = 0xdead; returns (a0, fcsr).
fn run(insn: Insn, fcsr: u32, a1: u64) -> (u64, u32) {
    let (mut cpu, mut mem) = machine();
    cpu.fcsr = fcsr;
    cpu.x[10] = 0xdead;
    cpu.x[11] = a1;
    exec_all(&mut cpu, &mut mem, &[insn]);
    (cpu.x[10], cpu.fcsr)
}

#[test]
fn fp_csrs_read_write_set_clear_with_masking() {
    let fcsr = (3 << 5) | 0b01010; // frm = rup, fflags = DZ|UF
                                   // csrrw: the old value to rd, the new one masked to the CSR's width.
    assert_eq!(
        run(csr(Insn::Csrrw, 10, FFLAGS, 11), fcsr, u64::MAX),
        (0b01010, (3 << 5) | 0x1f)
    );
    assert_eq!(
        run(csr(Insn::Csrrw, 10, FRM, 11), fcsr, u64::MAX),
        (3, (7 << 5) | 0b01010)
    );
    assert_eq!(
        run(csr(Insn::Csrrw, 10, FCSR, 11), fcsr, u64::MAX),
        (fcsr as u64, 0xff)
    );
    assert_eq!(
        run(csr(Insn::Csrrw, 10, FCSR, 11), 0xff, 0x100),
        (0xff, 0),
        "bit 8 is not fcsr's"
    );
    // csrrs / csrrc.
    assert_eq!(
        run(csr(Insn::Csrrs, 10, FFLAGS, 11), fcsr, 0b10001),
        (0b01010, (3 << 5) | 0b11011)
    );
    assert_eq!(
        run(csr(Insn::Csrrc, 10, FFLAGS, 11), fcsr, 0xffff_ffe2),
        (0b01010, (3 << 5) | 0b01000)
    );
    assert_eq!(
        run(csr(Insn::Csrrs, 10, FRM, 11), fcsr, 4),
        (3, (7 << 5) | 0b01010)
    );
    assert_eq!(
        run(csr(Insn::Csrrc, 10, FCSR, 11), fcsr, 0x60),
        (fcsr as u64, 0b01010)
    );
    // Immediate forms.
    assert_eq!(
        run(csri(Insn::Csrrwi, 10, FRM, 31), fcsr, 0),
        (3, (7 << 5) | 0b01010)
    );
    assert_eq!(run(csri(Insn::Csrrwi, 10, FFLAGS, 31), 0, 0), (0, 0x1f));
    assert_eq!(
        run(csri(Insn::Csrrsi, 10, FCSR, 0b10100), fcsr, 0),
        (fcsr as u64, fcsr | 0b10100)
    );
    assert_eq!(
        run(csri(Insn::Csrrci, 10, FCSR, 0b01000), fcsr, 0),
        (fcsr as u64, fcsr & !0b01000)
    );
    // Reads without writes.
    assert_eq!(
        run(csr(Insn::Csrrs, 10, FCSR, 0), fcsr, 0),
        (fcsr as u64, fcsr)
    );
    assert_eq!(run(csri(Insn::Csrrci, 10, FRM, 0), fcsr, 0), (3, fcsr));
}

#[test]
fn frm_and_fflags_are_views_of_fcsr() {
    let fcsr = (5 << 5) | 0b10101;
    assert_eq!(run(csr(Insn::Csrrs, 10, FRM, 0), fcsr, 0).0, 5);
    assert_eq!(run(csr(Insn::Csrrs, 10, FFLAGS, 0), fcsr, 0).0, 0b10101);
    // Writing one view leaves the other alone.
    let (mut cpu, mut mem) = machine();
    cpu.fcsr = fcsr;
    exec_all(
        &mut cpu,
        &mut mem,
        &[
            csri(Insn::Csrrwi, 0, FRM, 1),
            csri(Insn::Csrrwi, 0, FFLAGS, 2),
        ],
    );
    assert_eq!(cpu.fcsr, (1 << 5) | 2);
    assert_eq!((cpu.frm(), cpu.fflags()), (1, 2));
}

/// Writing a read-only counter, or touching any CSR a user program has no access to, is an
/// illegal instruction. The trap carries the instruction's encoding, and nothing changes.
#[test]
fn illegal_csr_accesses_trap_with_the_instruction_bits() {
    let cases = [
        csr(Insn::Csrrw, 10, CYCLE, 11),
        csr(Insn::Csrrw, 0, INSTRET, 11), // no read, still a write
        csr(Insn::Csrrw, 10, TIME, 11),
        csr(Insn::Csrrs, 10, CYCLE, 11), // rs1 = a1 is a write even though a1 = 0
        csr(Insn::Csrrc, 10, INSTRET, 11),
        csri(Insn::Csrrwi, 10, CYCLE, 0),
        csri(Insn::Csrrsi, 10, TIME, 1),
        csri(Insn::Csrrci, 10, INSTRET, 4),
        csr(Insn::Csrrs, 10, 0x7c0, 0), // unknown, even just reading
        csr(Insn::Csrrs, 10, 0x300, 0), // mstatus
        csr(Insn::Csrrw, 0, 0x7c0, 11),
        csr(Insn::Csrrs, 10, 0x004, 0),   // next to fcsr
        csr(Insn::Csrrs, 10, 0xc03, 0),   // hpmcounter3
        csr(Insn::Csrrs, 10, 0xc80, 0),   // cycleh is RV32 only
        csri(Insn::Csrrwi, 10, 0x800, 3), // a custom user CSR
    ];
    for insn in cases {
        let illegal = Flow::Trap(Trap::Illegal(Illegal {
            bits: insn.encode(),
            len: 4,
        }));
        // Through step …
        let (mut cpu, mut mem) = machine();
        cpu.x[10] = 0xdead;
        cpu.instret = 7;
        cpu.fcsr = 0x41;
        let before = cpu.clone();
        assert_eq!(exec(&mut cpu, &mut mem, insn), illegal, "{insn}");
        assert_eq!(cpu, before, "{insn} changed state");
        // … and through the block runner.
        put(&mut mem, CODE, &[insn]);
        let trap = BlockCache::new().run(&mut cpu, &mut mem, 10);
        assert_eq!(
            trap,
            Some(Trap::Illegal(Illegal {
                bits: insn.encode(),
                len: 4
            })),
            "{insn}"
        );
        assert_eq!(cpu, before, "{insn} changed state");
    }
}

#[test]
fn counters_are_readable() {
    for insn in [
        csr(Insn::Csrrs, 10, CYCLE, 0),
        csr(Insn::Csrrc, 10, INSTRET, 0),
        csr(Insn::Csrrs, 10, TIME, 0),
        csri(Insn::Csrrsi, 10, CYCLE, 0),
        csri(Insn::Csrrci, 10, TIME, 0),
    ] {
        let (mut cpu, mut mem) = machine();
        cpu.instret = 123;
        assert_eq!(exec(&mut cpu, &mut mem, insn), Flow::Next, "{insn}");
        assert_eq!(cpu.instret, 124);
    }
    let (mut cpu, mut mem) = machine();
    cpu.instret = 41;
    exec_all(
        &mut cpu,
        &mut mem,
        &[
            csr(Insn::Csrrs, 10, INSTRET, 0),
            csr(Insn::Csrrs, 11, CYCLE, 0),
        ],
    );
    assert_eq!(
        (cpu.x[10], cpu.x[11]),
        (41, 42),
        "instructions retired before this one"
    );
    exec_all(
        &mut cpu,
        &mut mem,
        &[csr(Insn::Csrrs, 12, TIME, 0), csr(Insn::Csrrs, 13, TIME, 0)],
    );
    assert!(cpu.x[13] >= cpu.x[12], "time does not go backwards");
}

/// Blocks update `instret` in bulk, yet a counter read at any point of a program sees exactly
/// the instructions retired before it.
#[test]
fn counters_are_exact_inside_blocks() {
    let addi = i(Insn::Addi, 5, 5, 1);
    let prog = [
        addi,
        addi,
        addi,
        csr(Insn::Csrrs, 10, INSTRET, 0), // 3 before it
        addi,
        addi,
        csr(Insn::Csrrs, 11, CYCLE, 0),   // 6
        csr(Insn::Csrrs, 12, INSTRET, 0), // 7, a block of its own
        addi,
        Insn::Ecall(isa_a::format::Nullary {}),
    ];
    let (mut cpu, mut mem) = machine();
    let ecall_at = put(&mut mem, CODE, &prog) - 4;
    let mut cache = BlockCache::new();
    for start in [0, 1000] {
        cpu.pc = CODE;
        cpu.instret = start;
        assert_eq!(cache.run(&mut cpu, &mut mem, 100), Some(Trap::Ecall));
        assert_eq!(
            (cpu.x[10], cpu.x[11], cpu.x[12]),
            (start + 3, start + 6, start + 7)
        );
        assert_eq!(
            (cpu.pc, cpu.instret),
            (ecall_at, start + 9),
            "ecall does not retire"
        );
    }
    assert_eq!(cpu.x[5], 12, "the second run used the cached blocks");
    // Executed one instruction at a time, the same values.
    let mut stepped = Cpu::new(CODE);
    for &insn in &prog[..prog.len() - 1] {
        exec(&mut stepped, &mut mem, insn);
    }
    assert_eq!(
        (stepped.x[10], stepped.x[11], stepped.x[12], stepped.instret),
        (3, 6, 7, 9)
    );
}

#[test]
fn fp_csrs_with_rd_x0_still_write() {
    let (mut cpu, mut mem): (Cpu, FlatMemory) = machine();
    cpu.x[11] = 0xe5;
    exec_all(&mut cpu, &mut mem, &[csr(Insn::Csrrw, 0, FCSR, 11)]);
    assert_eq!(cpu.fcsr, 0xe5);
}
