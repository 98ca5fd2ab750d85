//! RV64I and M corner cases from the ISA manual, run through the interpreter: division by zero
//! and overflow, shift amounts, `*w` sign extension, x0, jumps, and memory faults.

mod common;

use common::*;
use isa_a::format::{Load, Shift, ShiftW, Store, U};
use isa_a::{decode, step, Access, BlockCache, Flow, Insn, MemFault, Trap};

const MIN64: u64 = 1 << 63;
const ALL: u64 = u64::MAX;

/// The manual's table "Semantics for division by zero and division overflow" (M chapter),
/// for XLEN = 64 and, for the W forms, L = 32 with the result sign-extended.
#[test]
fn division_by_zero_and_overflow() {
    let x = 0x1234_5678_9abc_def0u64;
    // Division by zero: quotient all ones, remainder the dividend.
    assert_eq!(alu(Insn::Div, x, 0), ALL);
    assert_eq!(alu(Insn::Divu, x, 0), ALL);
    assert_eq!(alu(Insn::Rem, x, 0), x);
    assert_eq!(alu(Insn::Remu, x, 0), x);
    assert_eq!(alu(Insn::Rem, MIN64, 0), MIN64);
    // Signed overflow: quotient the dividend, remainder zero.
    assert_eq!(alu(Insn::Div, MIN64, ALL), MIN64);
    assert_eq!(alu(Insn::Rem, MIN64, ALL), 0);
    // Unsigned "−1" is just a big divisor.
    assert_eq!(alu(Insn::Divu, MIN64, ALL), 0);
    assert_eq!(alu(Insn::Remu, MIN64, ALL), MIN64);

    // W forms: only the low 32 bits of each operand count. 0x9abc_def0 is negative as i32.
    let xw = 0x9abc_def0u64 as u32 as i32 as i64 as u64;
    assert_eq!(alu(Insn::Divw, x, 0), ALL);
    assert_eq!(alu(Insn::Divuw, x, 0), ALL, "2^32 − 1, sign-extended");
    assert_eq!(alu(Insn::Remw, x, 0), xw);
    assert_eq!(
        alu(Insn::Remuw, x, 0),
        xw,
        "the dividend's low word, sign-extended"
    );
    // A divisor whose low word is zero is a division by zero for the W forms.
    assert_eq!(alu(Insn::Divw, 100, 0xffff_ffff_0000_0000), ALL);
    assert_eq!(alu(Insn::Remuw, 100, 0x7_0000_0000), 100);
    // −2^31 / −1 overflows; upper bits of the operands are ignored.
    let min32 = 0xffff_ffff_8000_0000u64;
    assert_eq!(
        alu(Insn::Divw, 0x5555_5555_8000_0000, 0x1234_ffff_ffff),
        min32
    );
    assert_eq!(alu(Insn::Remw, 0x8000_0000, 0xffff_ffff), 0);
    assert_eq!(alu(Insn::Divuw, 0x8000_0000, 0xffff_ffff), 0);
    assert_eq!(alu(Insn::Remuw, 0x8000_0000, 0xffff_ffff), min32);
}

#[test]
fn division_rounds_towards_zero() {
    let n = |v: i64| v as u64;
    assert_eq!(alu(Insn::Div, n(-7), 2), n(-3));
    assert_eq!(alu(Insn::Rem, n(-7), 2), n(-1));
    assert_eq!(alu(Insn::Rem, 7, n(-2)), 1);
    assert_eq!(alu(Insn::Divw, n(-7), 2), n(-3));
    assert_eq!(alu(Insn::Remw, n(-7), 2), n(-1));
    assert_eq!(alu(Insn::Divu, n(-7), 2), (u64::MAX - 6) / 2);
}

#[test]
fn multiply_high_halves() {
    let n = |v: i64| v as u64;
    assert_eq!(alu(Insn::Mulh, n(-1), n(-1)), 0);
    assert_eq!(alu(Insn::Mulhu, n(-1), n(-1)), ALL - 1);
    assert_eq!(
        alu(Insn::Mulhsu, n(-1), n(-1)),
        ALL,
        "−1 × (2^64 − 1) = −2^64 + 1"
    );
    assert_eq!(alu(Insn::Mulh, MIN64, MIN64), 1 << 62);
    assert_eq!(alu(Insn::Mulhsu, MIN64, 2), ALL);
    assert_eq!(alu(Insn::Mul, MIN64, ALL), MIN64);
}

/// Register shifts use only the low 6 bits (5 for the W forms) of rs2.
#[test]
fn register_shift_amounts_are_masked() {
    let v = 0x8000_0000_0000_0001u64;
    assert_eq!(alu(Insn::Sll, v, 64), v);
    assert_eq!(alu(Insn::Sll, v, 65), 2);
    assert_eq!(alu(Insn::Srl, v, 64 + 63), 1);
    assert_eq!(alu(Insn::Sra, v, 0xffff_ffff_ffff_ff7f), ALL, "shift by 63");
    assert_eq!(alu(Insn::Sra, v, 128), v);
    assert_eq!(alu(Insn::Sllw, 1, 32), 1);
    assert_eq!(alu(Insn::Sllw, 1, 63), 0xffff_ffff_8000_0000, "shift by 31");
    assert_eq!(
        alu(Insn::Srlw, 0x8000_0000, 32),
        0xffff_ffff_8000_0000,
        "shift by 0 still sign-extends"
    );
    assert_eq!(alu(Insn::Srlw, 0xffff_ffff_8000_0000, 33), 0x4000_0000);
    assert_eq!(alu(Insn::Sraw, 0x8000_0000, 33), 0xffff_ffff_c000_0000);
    assert_eq!(
        alu(Insn::Sraw, 0x0000_0001_7fff_ffff, 31),
        0,
        "bit 32 is not the sign"
    );
}

#[test]
fn immediate_shifts() {
    let sh = |op: fn(Shift) -> Insn, v: u64, shamt: u32| {
        let (mut cpu, mut mem) = machine();
        cpu.x[11] = v;
        exec_all(
            &mut cpu,
            &mut mem,
            &[op(Shift {
                rd: x(10),
                rs1: x(11),
                shamt,
            })],
        );
        cpu.x[10]
    };
    let shw = |op: fn(ShiftW) -> Insn, v: u64, shamt: u32| {
        let (mut cpu, mut mem) = machine();
        cpu.x[11] = v;
        exec_all(
            &mut cpu,
            &mut mem,
            &[op(ShiftW {
                rd: x(10),
                rs1: x(11),
                shamt,
            })],
        );
        cpu.x[10]
    };
    assert_eq!(sh(Insn::Slli, 1, 63), MIN64);
    assert_eq!(sh(Insn::Srli, MIN64, 63), 1);
    assert_eq!(sh(Insn::Srai, MIN64, 63), ALL);
    assert_eq!(shw(Insn::Slliw, 1, 31), 0xffff_ffff_8000_0000);
    assert_eq!(
        shw(Insn::Slliw, 0xffff_ffff_0000_0001, 0),
        1,
        "sext.w of the low word"
    );
    assert_eq!(shw(Insn::Srliw, 0x8000_0000, 0), 0xffff_ffff_8000_0000);
    assert_eq!(shw(Insn::Srliw, 0xffff_ffff_8000_0000, 1), 0x4000_0000);
    assert_eq!(shw(Insn::Sraiw, 0x8000_0000, 31), ALL);
    assert_eq!(shw(Insn::Sraiw, 0x1_0000_0000, 1), 0);
}

/// Every `*w` instruction sign-extends its 32-bit result: results with bit 31 set fill the
/// upper half with ones, and upper bits of the operands never leak in.
#[test]
fn word_instructions_sign_extend() {
    let neg = 0xffff_ffff_8000_0000u64;
    assert_eq!(alu_imm(Insn::Addiw, 0x7fff_ffff, 1), neg);
    assert_eq!(
        alu_imm(Insn::Addiw, 0x0000_0000_8000_0000, 0),
        neg,
        "sext.w"
    );
    assert_eq!(alu_imm(Insn::Addiw, 0xffff_ffff_7fff_ffff, 0), 0x7fff_ffff);
    assert_eq!(alu_imm(Insn::Addiw, 0, -1), ALL);
    assert_eq!(alu(Insn::Addw, 0x1234_5678_7fff_ffff, 1), neg);
    assert_eq!(alu(Insn::Subw, 0xaaaa_0000_0000_0000, 1), ALL);
    assert_eq!(alu(Insn::Subw, 0, 0x8000_0000), neg);
    assert_eq!(alu(Insn::Sllw, 0xffff_0000_0000_0001, 31), neg);
    assert_eq!(alu(Insn::Srlw, 0x1_0000_0000, 0), 0);
    assert_eq!(alu(Insn::Sraw, neg, 4), 0xffff_ffff_f800_0000);
    assert_eq!(alu(Insn::Mulw, 0x1_0001_0000, 0x8000), neg);
    assert_eq!(alu(Insn::Mulw, 0xffff_ffff, 0xffff_ffff), 1);
    assert_eq!(alu(Insn::Divw, 0x9_8000_0000, 1), neg);
    assert_eq!(alu(Insn::Divuw, 0xffff_fffe, 1), 0xffff_ffff_ffff_fffe);
    assert_eq!(alu(Insn::Divuw, 0xffff_fffe, 0x1_0000_0002), 0x7fff_ffff);
    assert_eq!(alu(Insn::Remw, 0xffff_fff9, 4), ALL - 2, "−7 rem 4 = −3");
    assert_eq!(
        alu(Insn::Remuw, 0xffff_fffe, 0xffff_ffff),
        0xffff_ffff_ffff_fffe
    );
}

#[test]
fn set_less_than_signed_and_unsigned() {
    assert_eq!(alu(Insn::Slt, ALL, 0), 1);
    assert_eq!(alu(Insn::Sltu, ALL, 0), 0);
    assert_eq!(
        alu_imm(Insn::Sltiu, 5, -1),
        1,
        "the immediate is sign-extended, then unsigned"
    );
    assert_eq!(alu_imm(Insn::Slti, ALL, 0), 1);
    assert_eq!(alu_imm(Insn::Xori, 0x0f, -1), !0x0fu64);
}

/// A write to x0 has no effect, whatever wrote it; the instruction's other effects remain.
#[test]
fn writes_to_x0_are_dropped() {
    let (mut cpu, mut mem) = machine();
    cpu.x[5] = DATA;
    cpu.x[6] = 0x1234;
    mem.write_bytes(DATA, &7u64.to_le_bytes());
    let none = |op: fn(U) -> Insn| {
        op(U {
            rd: x(0),
            imm: 0x7fff_f000,
        })
    };
    exec_all(
        &mut cpu,
        &mut mem,
        &[none(Insn::Lui), none(Insn::Auipc), i(Insn::Addi, 0, 6, 1)],
    );
    exec_all(
        &mut cpu,
        &mut mem,
        &[Insn::Ld(Load {
            rd: x(0),
            rs1: x(5),
            imm: 0,
        })],
    );
    assert_eq!(cpu.x[0], 0);
    // jal/jalr with rd = x0 still jump.
    let pc = cpu.pc;
    assert_eq!(exec(&mut cpu, &mut mem, jal(0, 16)), Flow::Jump(pc + 16));
    assert_eq!(
        exec(
            &mut cpu,
            &mut mem,
            Insn::Jalr(Load {
                rd: x(0),
                rs1: x(6),
                imm: 0
            })
        ),
        Flow::Jump(0x1234)
    );
    assert_eq!(cpu.x[0], 0);
    // An AMO with rd = x0 still updates memory; lr with rd = x0 still reserves.
    exec_all(&mut cpu, &mut mem, &[amo(Insn::AmoaddD, 0, 5, 6)]);
    assert_eq!(cpu.x[0], 0);
    assert_eq!(mem_u64(&mut mem, DATA), 7 + 0x1234);
    exec_all(
        &mut cpu,
        &mut mem,
        &[lr(Insn::LrD, 0, 5), amo(Insn::ScD, 7, 5, 6)],
    );
    assert_eq!((cpu.x[0], cpu.x[7]), (0, 0), "sc after lr x0 succeeds");
    assert_eq!(mem_u64(&mut mem, DATA), 0x1234);
    // A CSR read into x0, and a CSR write whose old value goes to x0.
    cpu.fcsr = 0x1f;
    exec_all(
        &mut cpu,
        &mut mem,
        &[
            csr(Insn::Csrrs, 0, 0x003, 0),
            csri(Insn::Csrrwi, 0, 0x001, 3),
        ],
    );
    assert_eq!((cpu.x[0], cpu.fcsr), (0, 3));
    // A load into x0 from a bad address still faults.
    cpu.x[5] = 8;
    let ld0 = Insn::Ld(Load {
        rd: x(0),
        rs1: x(5),
        imm: 0,
    });
    assert!(matches!(
        exec(&mut cpu, &mut mem, ld0),
        Flow::Trap(Trap::Fault(_))
    ));
}

fn mem_u64(mem: &mut isa_a::FlatMemory, at: u64) -> u64 {
    use isa_a::Bus;
    mem.load64(at).unwrap()
}

/// jalr clears bit 0 of the target and links the address after itself.
#[test]
fn jalr_clears_bit_zero_and_links_pc_plus_len() {
    let (mut cpu, mut mem) = machine();
    cpu.x[5] = 0x2001;
    let jalr = |rd, rs1, imm| {
        Insn::Jalr(Load {
            rd: x(rd),
            rs1: x(rs1),
            imm,
        })
    };
    assert_eq!(exec(&mut cpu, &mut mem, jalr(1, 5, 0)), Flow::Jump(0x2000));
    assert_eq!((cpu.pc, cpu.x[1]), (0x2000, CODE + 4));
    cpu.x[5] = 0x3000;
    assert_eq!(
        exec(&mut cpu, &mut mem, jalr(1, 5, -1)),
        Flow::Jump(0x2ffe),
        "0x2fff & !1"
    );
    // rd = rs1: the target uses the old value.
    cpu.x[5] = 0x4000;
    assert_eq!(exec(&mut cpu, &mut mem, jalr(5, 5, 3)), Flow::Jump(0x4002));
    assert_eq!(cpu.x[5], 0x2ffe + 4);

    // c.jalr t0 (0x9282), length 2: links pc + 2, through the block runner as well.
    let (mut cpu, mut mem) = machine();
    let d = decode(0x9282).unwrap();
    cpu.x[5] = CODE + 0x101;
    assert_eq!(step(&mut cpu, &mut mem, &d), Flow::Jump(CODE + 0x100));
    assert_eq!((cpu.pc, cpu.x[1]), (CODE + 0x100, CODE + 2));
    let (mut cpu, mut mem) = machine();
    mem.write_bytes(CODE, &0x9282u16.to_le_bytes()); // c.jalr t0
    mem.write_bytes(CODE + 0x100, &0x0010_0073u32.to_le_bytes()); // ebreak
    cpu.x[5] = CODE + 0x101;
    assert_eq!(
        BlockCache::new().run(&mut cpu, &mut mem, 10),
        Some(Trap::Ebreak)
    );
    assert_eq!((cpu.pc, cpu.x[1], cpu.instret), (CODE + 0x100, CODE + 2, 1));
}

#[test]
fn negative_pc_relative_offsets() {
    let (mut cpu, mut mem) = machine();
    cpu.pc = 0x1_0000;
    exec_all(
        &mut cpu,
        &mut mem,
        &[Insn::Auipc(U {
            rd: x(10),
            imm: -4096,
        })],
    );
    assert_eq!(cpu.x[10], 0xf000);
    cpu.pc = 0x1000;
    exec_all(
        &mut cpu,
        &mut mem,
        &[Insn::Auipc(U {
            rd: x(10),
            imm: i32::MIN,
        })],
    );
    assert_eq!(
        cpu.x[10], 0xffff_ffff_8000_1000,
        "the upper immediate is sign-extended"
    );
    exec_all(
        &mut cpu,
        &mut mem,
        &[Insn::Lui(U {
            rd: x(10),
            imm: i32::MIN,
        })],
    );
    assert_eq!(cpu.x[10], 0xffff_ffff_8000_0000);
    cpu.pc = 0x1008;
    assert_eq!(exec(&mut cpu, &mut mem, jal(1, -8)), Flow::Jump(0x1000));
    assert_eq!(cpu.x[1], 0x100c);
    assert_eq!(
        exec(&mut cpu, &mut mem, jal(1, -(1 << 20))),
        Flow::Jump(0x1000u64.wrapping_sub(1 << 20))
    );
    cpu.pc = 0x2000;
    assert_eq!(
        exec(&mut cpu, &mut mem, b(Insn::Beq, 0, 0, -4096)),
        Flow::Jump(0x1000)
    );
    assert_eq!(
        exec(&mut cpu, &mut mem, b(Insn::Bne, 0, 0, -4096)),
        Flow::Next
    );
}

#[test]
fn misaligned_plain_loads_and_stores_succeed() {
    let (mut cpu, mut mem) = machine();
    cpu.x[5] = DATA + 1;
    cpu.x[6] = 0x8877_6655_4433_2211;
    let st = |op: fn(Store) -> Insn, imm| {
        op(Store {
            rs1: x(5),
            rs2: x(6),
            imm,
        })
    };
    let ld = |op: fn(Load) -> Insn, rd, imm| {
        op(Load {
            rd: x(rd),
            rs1: x(5),
            imm,
        })
    };
    exec_all(
        &mut cpu,
        &mut mem,
        &[st(Insn::Sd, 0), st(Insn::Sw, 10), st(Insn::Sh, 16)],
    );
    exec_all(
        &mut cpu,
        &mut mem,
        &[
            ld(Insn::Ld, 10, 0),
            ld(Insn::Lw, 11, 2),
            ld(Insn::Lhu, 12, 16),
            ld(Insn::Lh, 13, 6),
        ],
    );
    assert_eq!(cpu.x[10], 0x8877_6655_4433_2211);
    assert_eq!(cpu.x[11], 0x6655_4433, "bytes 2..6 of the doubleword");
    assert_eq!(cpu.x[12], 0x2211);
    assert_eq!(cpu.x[13], 0xffff_ffff_ffff_8877, "lh sign-extends");
    assert_eq!(
        &mem.bytes[(DATA + 11 - CODE) as usize..][..4],
        &[0x11, 0x22, 0x33, 0x44]
    );
}

/// A load or store outside memory traps with the faulting address; the instruction does not
/// retire: pc, instret, rd and memory are unchanged.
#[test]
fn faults_leave_state_unchanged() {
    let end = CODE + MEM_LEN as u64;
    let (mut cpu, mut mem) = machine();
    cpu.x[5] = end - 4;
    cpu.x[6] = ALL;
    cpu.x[10] = 42;
    let before = (cpu.clone(), mem.clone());
    let ld = Insn::Ld(Load {
        rd: x(10),
        rs1: x(5),
        imm: 0,
    });
    let fault = |addr, access| Flow::Trap(Trap::Fault(MemFault { addr, access }));
    assert_eq!(
        exec(&mut cpu, &mut mem, ld),
        fault(end - 4, Access::Read),
        "straddles the end"
    );
    let sd = Insn::Sd(Store {
        rs1: x(5),
        rs2: x(6),
        imm: 0,
    });
    assert_eq!(exec(&mut cpu, &mut mem, sd), fault(end - 4, Access::Write));
    let sb = Insn::Sb(Store {
        rs1: x(0),
        rs2: x(6),
        imm: 16,
    });
    assert_eq!(exec(&mut cpu, &mut mem, sb), fault(16, Access::Write));
    let lw = Insn::Lw(Load {
        rd: x(10),
        rs1: x(6),
        imm: -1,
    });
    assert_eq!(
        exec(&mut cpu, &mut mem, lw),
        fault(ALL - 1, Access::Read),
        "address wraps"
    );
    assert_eq!((cpu, mem), before);
}
