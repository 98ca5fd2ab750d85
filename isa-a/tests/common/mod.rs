//! Helpers shared by the isa-a integration tests: random instances of table rows, and a tiny
//! machine (a `Cpu` over a `FlatMemory`) to run hand-built instructions on.
// Each test file uses its own subset of these helpers.
#![allow(dead_code)]

use isa_a::format::{Amo, Csr, CsrI, Lr, B, I, J, R};
use isa_a::{decode32, step, Cpu, Decoded, FReg, FlatMemory, Flow, Insn, OpInfo, Opcode, XReg};

/// xorshift64*: a deterministic generator for re-rolling operands inside a proptest case.
pub struct Rng(pub u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }
}

/// A random word with `row`'s fixed bits and random operand bits, re-rolled only while an
/// operand takes a reserved value (a rounding mode of 5 or 6).
pub fn instance(row: &OpInfo, rng: &mut Rng) -> (u32, Insn) {
    for _ in 0..1000 {
        let w = (rng.next_u32() & !row.mask) | row.bits;
        if let Some(insn) = decode32(w) {
            assert_eq!(
                insn.opcode(),
                row.opcode,
                "0x{w:08x} decoded as another row"
            );
            return (w, insn);
        }
    }
    panic!("{}: no legal operands in 1000 draws", row.mnemonic)
}

/// The operand bits the decoder ignores because the ISA reserves them and asks base
/// implementations to ignore them: they are not encoded back.
pub fn ignored_bits(op: Opcode) -> u32 {
    const RD: u32 = 0x1f << 7;
    const RS1: u32 = 0x1f << 15;
    match op {
        // fence: rd and rs1 are reserved for finer-grained fences.
        Opcode::Fence => RD | RS1,
        // fence.i: imm[11:0], rs1 and rd are reserved.
        Opcode::FenceI => 0xfff0_0000 | RD | RS1,
        _ => 0,
    }
}

pub fn x(n: u32) -> XReg {
    XReg::new(n)
}
pub fn f(n: u32) -> FReg {
    FReg::new(n)
}

pub fn r(op: fn(R) -> Insn, rd: u32, rs1: u32, rs2: u32) -> Insn {
    op(R {
        rd: x(rd),
        rs1: x(rs1),
        rs2: x(rs2),
    })
}
pub fn i(op: fn(I) -> Insn, rd: u32, rs1: u32, imm: i32) -> Insn {
    op(I {
        rd: x(rd),
        rs1: x(rs1),
        imm,
    })
}
pub fn amo(op: fn(Amo) -> Insn, rd: u32, rs1: u32, rs2: u32) -> Insn {
    op(Amo {
        rd: x(rd),
        rs1: x(rs1),
        rs2: x(rs2),
        aq: false,
        rl: false,
    })
}
pub fn lr(op: fn(Lr) -> Insn, rd: u32, rs1: u32) -> Insn {
    op(Lr {
        rd: x(rd),
        rs1: x(rs1),
        aq: false,
        rl: false,
    })
}
pub fn csr(op: fn(Csr) -> Insn, rd: u32, csr: u32, rs1: u32) -> Insn {
    op(Csr {
        rd: x(rd),
        rs1: x(rs1),
        csr,
    })
}
pub fn csri(op: fn(CsrI) -> Insn, rd: u32, csr: u32, uimm: u32) -> Insn {
    op(CsrI {
        rd: x(rd),
        uimm,
        csr,
    })
}
pub fn b(op: fn(B) -> Insn, rs1: u32, rs2: u32, off: i32) -> Insn {
    op(B {
        rs1: x(rs1),
        rs2: x(rs2),
        off,
    })
}
pub fn jal(rd: u32, off: i32) -> Insn {
    Insn::Jal(J { rd: x(rd), off })
}

pub const CODE: u64 = 0x1_0000;
pub const DATA: u64 = 0x1_8000;
pub const MEM_LEN: usize = 0x1_0000;

/// A hart at `CODE` over 64 KiB of zeroed memory at `CODE..CODE+MEM_LEN`.
pub fn machine() -> (Cpu, FlatMemory) {
    (Cpu::new(CODE), FlatMemory::new(CODE, MEM_LEN))
}

/// Writes `insns` as 32-bit encodings at `at`; returns the address after them.
pub fn put(mem: &mut FlatMemory, at: u64, insns: &[Insn]) -> u64 {
    let mut a = at;
    for insn in insns {
        mem.write_bytes(a, &insn.encode().to_le_bytes());
        a += 4;
    }
    a
}

/// Executes one 32-bit instruction at `cpu.pc` through `step`.
pub fn exec(cpu: &mut Cpu, mem: &mut FlatMemory, insn: Insn) -> Flow {
    step(cpu, mem, &Decoded { insn, len: 4 })
}

/// Executes `insns` one after another with `step`, each expected to fall through.
pub fn exec_all(cpu: &mut Cpu, mem: &mut FlatMemory, insns: &[Insn]) {
    for &insn in insns {
        assert_eq!(exec(cpu, mem, insn), Flow::Next, "{insn}");
    }
}

/// rd = op(a, b) with rs1 = x11 = a, rs2 = x12 = b, rd = x10.
pub fn alu(op: fn(R) -> Insn, a: u64, b: u64) -> u64 {
    let (mut cpu, mut mem) = machine();
    cpu.x[11] = a;
    cpu.x[12] = b;
    exec_all(&mut cpu, &mut mem, &[r(op, 10, 11, 12)]);
    assert_eq!((cpu.x[11], cpu.x[12]), (a, b), "sources unchanged");
    cpu.x[10]
}

/// rd = op(a, imm) with rs1 = x11 = a, rd = x10.
pub fn alu_imm(op: fn(I) -> Insn, a: u64, imm: i32) -> u64 {
    let (mut cpu, mut mem) = machine();
    cpu.x[11] = a;
    exec_all(&mut cpu, &mut mem, &[i(op, 10, 11, imm)]);
    cpu.x[10]
}
