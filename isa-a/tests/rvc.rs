//! Compressed instructions: every 16-bit encoding, exhaustively, either expands to a base
//! instruction that encodes and decodes as itself, or is one of the encodings the RISC-V
//! manual's RVC tables reserve. Spot checks against GNU as/objdump pin the immediate layouts.

use isa_a::{decode, decode32, Decoded, Illegal, Insn, Opcode};

fn bits(h: u32, hi: u32, lo: u32) -> u32 {
    (h >> lo) & ((1 << (hi - lo + 1)) - 1)
}

/// The reserved or illegal RV64C encodings, written from the manual's RVC opcode tables
/// (unprivileged ISA, "RVC Instruction Set Listings"), independently of the decoder.
/// HINTs (e.g. `c.li x0,imm`, `c.slli` with shamt 0) are legal and not listed here.
fn reserved_by_manual(h: u32) -> bool {
    let (quadrant, funct3) = (h & 3, bits(h, 15, 13));
    let rd = bits(h, 11, 7);
    let rs2 = bits(h, 6, 2);
    match (quadrant, funct3) {
        // c.addi4spn with nzuimm = 0, which includes the all-zero word (defined illegal).
        (0, 0b000) => bits(h, 12, 5) == 0,
        // Quadrant 0, funct3 = 100: reserved.
        (0, 0b100) => true,
        // c.addiw with rd = x0.
        (1, 0b001) => rd == 0,
        // c.addi16sp (rd = x2) and c.lui (other rd): a zero immediate is reserved.
        (1, 0b011) => bit12(h) == 0 && rs2 == 0,
        // The CA group: funct6 = 100111 with funct2 = 10 or 11 is reserved (RV64).
        (1, 0b100) => bits(h, 12, 10) == 0b111 && bits(h, 6, 5) >= 0b10,
        // c.lwsp and c.ldsp with rd = x0.
        (2, 0b010) | (2, 0b011) => rd == 0,
        // c.jr with rs1 = x0.
        (2, 0b100) => bit12(h) == 0 && rd == 0 && rs2 == 0,
        _ => false,
    }
}

fn bit12(h: u32) -> u32 {
    bits(h, 12, 12)
}

/// Which base instruction each compressed encoding expands to, from the same tables.
fn expected_opcode(h: u32) -> Opcode {
    let (quadrant, funct3) = (h & 3, bits(h, 15, 13));
    let (rd, rs2) = (bits(h, 11, 7), bits(h, 6, 2));
    match (quadrant, funct3) {
        (0, 0) => Opcode::Addi, // c.addi4spn
        (0, 1) => Opcode::Fld,
        (0, 2) => Opcode::Lw,
        (0, 3) => Opcode::Ld,
        (0, 5) => Opcode::Fsd,
        (0, 6) => Opcode::Sw,
        (0, 7) => Opcode::Sd,
        (1, 0) | (1, 2) => Opcode::Addi, // c.addi / c.nop, c.li
        (1, 1) => Opcode::Addiw,
        (1, 3) if rd == 2 => Opcode::Addi, // c.addi16sp
        (1, 3) => Opcode::Lui,
        (1, 4) => match (bits(h, 11, 10), bit12(h), bits(h, 6, 5)) {
            (0, _, _) => Opcode::Srli,
            (1, _, _) => Opcode::Srai,
            (2, _, _) => Opcode::Andi,
            (3, 0, 0) => Opcode::Sub,
            (3, 0, 1) => Opcode::Xor,
            (3, 0, 2) => Opcode::Or,
            (3, 0, 3) => Opcode::And,
            (3, 1, 0) => Opcode::Subw,
            (3, 1, 1) => Opcode::Addw,
            _ => unreachable!("reserved"),
        },
        (1, 5) => Opcode::Jal,
        (1, 6) => Opcode::Beq,
        (1, 7) => Opcode::Bne,
        (2, 0) => Opcode::Slli,
        (2, 1) => Opcode::Fld,
        (2, 2) => Opcode::Lw,
        (2, 3) => Opcode::Ld,
        (2, 4) => match (bit12(h), rd, rs2) {
            (0, _, 0) => Opcode::Jalr, // c.jr
            (0, _, _) => Opcode::Add,  // c.mv
            (_, 0, 0) => Opcode::Ebreak,
            (_, _, 0) => Opcode::Jalr, // c.jalr
            _ => Opcode::Add,          // c.add
        },
        (2, 5) => Opcode::Fsd,
        (2, 6) => Opcode::Sw,
        (2, 7) => Opcode::Sd,
        _ => unreachable!("reserved or not compressed"),
    }
}

#[test]
fn every_16_bit_encoding_expands_or_is_reserved() {
    let (mut legal, mut reserved) = (0, 0);
    for h in 0..=0xffffu32 {
        if h & 3 == 3 {
            continue; // Quadrant 3 is the 32-bit encoding space.
        }
        match decode(h) {
            Ok(d) => {
                legal += 1;
                assert!(
                    !reserved_by_manual(h),
                    "0x{h:04x} is reserved but decoded as {}",
                    d.insn
                );
                assert_eq!(d.len, 2, "0x{h:04x}");
                assert_eq!(
                    d.insn.opcode(),
                    expected_opcode(h),
                    "0x{h:04x} expanded to {}",
                    d.insn
                );
                // The expansion is an ordinary base instruction: its 32-bit form decodes to it.
                assert_eq!(
                    decode32(d.insn.encode()),
                    Some(d.insn),
                    "0x{h:04x} → {}",
                    d.insn
                );
            }
            Err(e) => {
                reserved += 1;
                assert!(reserved_by_manual(h), "0x{h:04x} is legal but was rejected");
                assert_eq!(e, Illegal { bits: h, len: 2 });
            }
        }
    }
    // 3 × 16384 compressed encodings; the reserved count follows from the list above.
    assert_eq!(legal + reserved, 3 * 16384);
    assert_eq!(reserved, RESERVED_COUNT);
}

/// The number of reserved RV64C encodings, counted by hand from the manual's tables:
/// addi4spn nzuimm=0: 8 (rd'); Q0 funct3=100: 2^11 = 2048; c.addiw rd=0: 64;
/// c.addi16sp/c.lui imm=0: 32 (rd); CA reserved: 8 (rs1') · 8 (rs2') · 2 = 128;
/// c.lwsp/c.ldsp rd=0: 2 · 64 = 128; c.jr x0: 1.
const RESERVED_COUNT: u32 = 8 + 2048 + 64 + 32 + 128 + 128 + 1;

#[test]
fn the_upper_half_word_of_a_compressed_instruction_is_ignored() {
    for h in [0x7139u32, 0x0000, 0x9002, 0xb001, 0x8082] {
        for hi in [0u32, 0xffff, 0x1234] {
            assert_eq!(decode(hi << 16 | h), decode(h));
        }
    }
    assert_eq!(decode(0xffff_0000), Err(Illegal { bits: 0, len: 2 }));
}

/// Compressed encodings from GNU as (`riscv64-linux-gnu-as -march=rv64gc`), each paired with
/// the 32-bit encoding GNU as gives the base instruction it stands for (`.option norvc`).
/// objdump's text is in the comment.
const GNU: &[(u16, u32, &str)] = &[
    (0x7139, 0xfc01_0113, "c.addi16sp sp,-64 = addi sp,sp,-64"),
    (0x617d, 0x1f01_0113, "c.addi16sp sp,496 = addi sp,sp,496"),
    (0x7101, 0xe001_0113, "c.addi16sp sp,-512 = addi sp,sp,-512"),
    (0x70fe, 0x1f81_3083, "c.ldsp ra,504(sp) = ld ra,504(sp)"),
    (0x6422, 0x0081_3403, "c.ldsp s0,8(sp) = ld s0,8(sp)"),
    (0x557e, 0x0fc1_2503, "c.lwsp a0,252(sp) = lw a0,252(sp)"),
    (0xff86, 0x1e11_3c23, "c.sdsp ra,504(sp) = sd ra,504(sp)"),
    (0xe826, 0x0091_3823, "c.sdsp s1,16(sp) = sd s1,16(sp)"),
    (0xdfbe, 0x0ef1_2e23, "c.swsp a5,252(sp) = sw a5,252(sp)"),
    (0x347e, 0x1f81_3407, "c.fldsp fs0,504(sp) = fld fs0,504(sp)"),
    (0xa42a, 0x00a1_3427, "c.fsdsp fa0,8(sp) = fsd fa0,8(sp)"),
    (0xb7ed, 0xfebf_f06f, "c.j .-22 = jal zero,.-22"),
    (0xb001, 0x801f_f06f, "c.j .-2048 = jal zero,.-2048"),
    (0xaffd, 0x7fe0_006f, "c.j .+2046 = jal zero,.+2046"),
    (0xd175, 0xfe05_02e3, "c.beqz a0,.-28 = beq a0,zero,.-28"),
    (0xd081, 0xf004_80e3, "c.beqz s1,.-256 = beq s1,zero,.-256"),
    (0xeffd, 0x0e07_9f63, "c.bnez a5,.+254 = bne a5,zero,.+254"),
    (
        0x1fe8,
        0x3fc1_0513,
        "c.addi4spn a0,sp,1020 = addi a0,sp,1020",
    ),
    (0x0040, 0x0041_0413, "c.addi4spn s0,sp,4 = addi s0,sp,4"),
    (0x7501, 0xfffe_0537, "c.lui a0,0xfffe0 = lui a0,0xfffe0"),
    (0x6305, 0x0000_1337, "c.lui t1,0x1 = lui t1,0x1"),
    (0x5501, 0xfe00_0513, "c.li a0,-32 = addi a0,zero,-32"),
    (0x357d, 0xfff5_051b, "c.addiw a0,-1 = addiw a0,a0,-1"),
    (0x95fd, 0x43f5_d593, "c.srai a1,0x3f = srai a1,a1,0x3f"),
    (0x8005, 0x0014_5413, "c.srli s0,0x1 = srli s0,s0,0x1"),
    (0x9a01, 0xfe06_7613, "c.andi a2,-32 = andi a2,a2,-32"),
    (0x12fe, 0x03f2_9293, "c.slli t0,0x3f = slli t0,t0,0x3f"),
    (0x9d0d, 0x40b5_053b, "c.subw a0,a1 = subw a0,a0,a1"),
    (0x9c3d, 0x00f4_043b, "c.addw s0,a5 = addw s0,s0,a5"),
    (0x7d7c, 0x0f85_3783, "c.ld a5,248(a0) = ld a5,248(a0)"),
    (0xe780, 0x0087_b423, "c.sd s0,8(a5) = sd s0,8(a5)"),
    (0x5ef8, 0x07c6_a703, "c.lw a4,124(a3) = lw a4,124(a3)"),
    (0xc0b0, 0x04c4_a023, "c.sw a2,64(s1) = sw a2,64(s1)"),
    (0x3d7c, 0x0f85_3787, "c.fld fa5,248(a0) = fld fa5,248(a0)"),
    (0xa784, 0x0097_b427, "c.fsd fs1,8(a5) = fsd fs1,8(a5)"),
    (0x8082, 0x0000_8067, "c.jr ra = jalr zero,0(ra)"),
    (0x9282, 0x0002_80e7, "c.jalr t0 = jalr ra,0(t0)"),
    (0x852e, 0x00b0_0533, "c.mv a0,a1 = add a0,zero,a1"),
    (0x952e, 0x00b5_0533, "c.add a0,a1 = add a0,a0,a1"),
    (0x9002, 0x0010_0073, "c.ebreak = ebreak"),
    (0x0001, 0x0000_0013, "c.nop = addi zero,zero,0"),
];

#[test]
fn gnu_as_encodings_expand_to_gnu_as_base_encodings() {
    for &(h, w, text) in GNU {
        let expected =
            decode32(w).unwrap_or_else(|| panic!("{text}: base word 0x{w:08x} did not decode"));
        assert_eq!(
            decode(h as u32),
            Ok(Decoded {
                insn: expected,
                len: 2
            }),
            "{text}"
        );
        assert_eq!(expected.encode(), w, "{text}");
    }
}

/// A few expansions spelled out as operands, so a wrong immediate shows as a number.
#[test]
fn negative_offsets_and_scaled_immediates() {
    use isa_a::format::{Load, Store, B, I, J};
    use isa_a::XReg;
    let x = XReg::new;
    let insn = |h: u16| decode(h as u32).unwrap().insn;
    assert_eq!(
        insn(0xb001),
        Insn::Jal(J {
            rd: x(0),
            off: -2048
        })
    );
    assert_eq!(insn(0xb7ed), Insn::Jal(J { rd: x(0), off: -22 }));
    assert_eq!(
        insn(0xd081),
        Insn::Beq(B {
            rs1: x(9),
            rs2: x(0),
            off: -256
        })
    );
    assert_eq!(
        insn(0xeffd),
        Insn::Bne(B {
            rs1: x(15),
            rs2: x(0),
            off: 254
        })
    );
    assert_eq!(
        insn(0x7101),
        Insn::Addi(I {
            rd: x(2),
            rs1: x(2),
            imm: -512
        })
    );
    assert_eq!(
        insn(0x70fe),
        Insn::Ld(Load {
            rd: x(1),
            rs1: x(2),
            imm: 504
        })
    );
    assert_eq!(
        insn(0xff86),
        Insn::Sd(Store {
            rs1: x(2),
            rs2: x(1),
            imm: 504
        })
    );
    assert_eq!(
        insn(0x1fe8),
        Insn::Addi(I {
            rd: x(10),
            rs1: x(2),
            imm: 1020
        })
    );
}

/// The reserved encodings named in the manual, one example each, give `Illegal` with their
/// 16 bits and length 2.
#[test]
fn named_reserved_encodings_are_illegal() {
    let cases: &[(u32, &str)] = &[
        (0x0000, "all zero (c.addi4spn nzuimm=0, rd'=x8)"),
        (0x001c, "c.addi4spn a5,sp,0"),
        (0x8000, "quadrant 0 funct3=100"),
        (0x9ffc, "quadrant 0 funct3=100, all operand bits set"),
        (0x2001, "c.addiw zero,0"),
        (0x207d, "c.addiw zero,-1"),
        (0x6101, "c.addi16sp sp,0"),
        (0x6501, "c.lui a0,0"),
        (0x6001, "c.lui zero,0"),
        (0x9c41, "CA reserved: funct6=100111 funct2=10"),
        (0x9c61, "CA reserved: funct6=100111 funct2=11"),
        (0x4002, "c.lwsp zero,0(sp)"),
        (0x6002, "c.ldsp zero,0(sp)"),
        (0x8002, "c.jr zero"),
    ];
    for &(h, what) in cases {
        assert_eq!(decode(h), Err(Illegal { bits: h, len: 2 }), "{what}");
        assert!(reserved_by_manual(h), "{what}");
    }
    // HINTs are legal: c.li zero,1; c.lui zero,1; c.slli zero,1; c.mv zero,a0; c.add zero,a0.
    for h in [0x4005u32, 0x6005, 0x0006, 0x802a, 0x902a] {
        assert!(decode(h).is_ok(), "HINT 0x{h:04x}");
    }
}
