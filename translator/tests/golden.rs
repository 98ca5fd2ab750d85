//! Golden translations: for a handful of idioms, the host code the translator emits and its
//! instruction count, checked against `tests/golden/*.txt`. A change in code quality shows up
//! in review as a diff of these files. `MIMIC_BLESS=1 cargo test -p translator --test golden`
//! rewrites them. Host addresses (helper, table, data pointers) are masked.

use isa_a::format::{Load, Shift, Store, B, I, J, R, U};
use isa_a::{decode, Decoded, Insn, XReg};
use translator::{describe, CodeCache, LogFlags, TestMemory};

const A0: XReg = XReg::new(10);
const A1: XReg = XReg::new(11);
const A2: XReg = XReg::new(12);
const A3: XReg = XReg::new(13);
const S2: XReg = XReg::new(18);

fn translate(name: &str, code: &[Insn]) {
    let insns: Vec<Decoded> = code.iter().map(|i| decode(i.encode()).unwrap()).collect();
    let mut mem = TestMemory::new(1 << 16);
    mem.load_code(0x1000, code);
    let mut cache = CodeCache::new(mem.layout()).unwrap();
    cache.translate(&mut mem, 0x1000, &insns).unwrap();
    let t = cache.get(0x1000).unwrap();
    let text = describe(
        &cache,
        t,
        LogFlags {
            in_asm: true,
            out_asm: true,
            ..LogFlags::default()
        },
    );
    // Mask absolute host addresses: everything 0x + 9 or more hex digits but negative
    // constants, and the OUT addresses.
    let (guest, host) = text.split_at(text.find("OUT:").unwrap());
    let mut out = guest.to_string();
    for line in host.lines() {
        let line = match line.strip_prefix("0x") {
            Some(rest) if line.contains(":  ") && !rest.starts_with("0000000000001") => line
                .split_once(":  ")
                .map(|x| x.1)
                .unwrap_or(line)
                .to_string(),
            _ => line.to_string(),
        };
        let mut masked = String::new();
        let mut rest = line.as_str();
        while let Some(i) = rest.find("0x") {
            masked.push_str(&rest[..i]);
            let hex: String = rest[i + 2..]
                .chars()
                .take_while(|c| c.is_ascii_hexdigit())
                .collect();
            // A negative constant (sign-extended, 16 digits of leading f's) is kept.
            let negative = hex.len() == 16 && hex.starts_with("ffff");
            masked.push_str(if hex.len() >= 9 && !negative {
                "<host>"
            } else {
                &rest[i..i + 2 + hex.len()]
            });
            rest = &rest[i + 2 + hex.len()..];
        }
        masked.push_str(rest);
        out.push_str(&masked);
        out.push('\n');
    }
    let path = format!("{}/tests/golden/{name}.txt", env!("CARGO_MANIFEST_DIR"));
    if std::env::var_os("MIMIC_BLESS").is_some() {
        std::fs::write(&path, &out).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        want, out,
        "{name}: translation changed (MIMIC_BLESS=1 to accept)"
    );
}

#[test]
fn addi() {
    translate(
        "addi",
        &[
            Insn::Addi(I {
                rd: A0,
                rs1: A0,
                imm: 1,
            }),
            Insn::Addi(I {
                rd: S2,
                rs1: A1,
                imm: -5,
            }),
        ],
    );
}

#[test]
fn lui_addi() {
    translate(
        "lui_addi",
        &[
            Insn::Lui(U {
                rd: A0,
                imm: 0x12345000,
            }),
            Insn::Addi(I {
                rd: A0,
                rs1: A0,
                imm: 0x678,
            }),
        ],
    );
}

#[test]
fn ld_sd_offset() {
    translate(
        "ld_sd",
        &[
            Insn::Ld(Load {
                rd: A0,
                rs1: XReg::SP,
                imm: 16,
            }),
            Insn::Sd(Store {
                rs1: XReg::SP,
                rs2: A0,
                imm: 24,
            }),
        ],
    );
}

#[test]
fn beq_loop() {
    translate(
        "beq_loop",
        &[
            Insn::Addi(I {
                rd: A0,
                rs1: A0,
                imm: -1,
            }),
            Insn::Beq(B {
                rs1: A0,
                rs2: A1,
                off: -4,
            }),
        ],
    );
}

#[test]
fn jal_ret() {
    translate(
        "jal",
        &[Insn::Jal(J {
            rd: XReg::RA,
            off: 64,
        })],
    );
    translate(
        "ret",
        &[Insn::Jalr(Load {
            rd: XReg::ZERO,
            rs1: XReg::RA,
            imm: 0,
        })],
    );
}

// One per fusion (translator/src/lower/fuse.rs): each file shows the pair as one piece of
// host code, and changes when the fusion stops firing.

#[test]
fn fused_lui_addiw_to_another_register() {
    translate(
        "lui_addiw_other",
        &[
            Insn::Lui(U {
                rd: A1,
                imm: -0x1000,
            }),
            Insn::Addiw(I {
                rd: S2,
                rs1: A1,
                imm: 0x7ff,
            }),
        ],
    );
}

#[test]
fn fused_auipc_addi() {
    translate(
        "auipc_addi",
        &[
            Insn::Auipc(U {
                rd: A0,
                imm: 0x1000,
            }),
            Insn::Addi(I {
                rd: A0,
                rs1: A0,
                imm: 0x10,
            }),
        ],
    );
}

#[test]
fn fused_auipc_jalr_call() {
    translate(
        "auipc_jalr",
        &[
            Insn::Auipc(U {
                rd: XReg::RA,
                imm: 0,
            }),
            Insn::Jalr(Load {
                rd: XReg::RA,
                rs1: XReg::RA,
                imm: 0x40,
            }),
        ],
    );
}

#[test]
fn fused_slli_add_scaled_index() {
    translate(
        "slli_add",
        &[
            Insn::Slli(Shift {
                rd: A1,
                rs1: A2,
                shamt: 3,
            }),
            Insn::Add(R {
                rd: A1,
                rs1: A0,
                rs2: A1,
            }),
        ],
    );
}

#[test]
fn fused_shift_pairs_extend() {
    let pair = |rd, rs1, n, signed: bool| {
        let right = Shift {
            rd,
            rs1: rd,
            shamt: n,
        };
        [
            Insn::Slli(Shift { rd, rs1, shamt: n }),
            if signed {
                Insn::Srai(right)
            } else {
                Insn::Srli(right)
            },
        ]
    };
    let code: Vec<Insn> = [
        pair(A0, A1, 32, false),
        pair(A2, A2, 48, false),
        pair(A3, A0, 56, true),
        pair(S2, A0, 32, true),
    ]
    .concat();
    translate("extend", &code);
}

#[test]
fn fused_slt_branch_inside_a_superblock() {
    translate(
        "slt_bnez",
        &[
            Insn::Sltu(R {
                rd: A0,
                rs1: A1,
                rs2: A2,
            }),
            Insn::Bne(B {
                rs1: A0,
                rs2: XReg::ZERO,
                off: 64,
            }),
            Insn::Slti(I {
                rd: A3,
                rs1: A1,
                imm: -3,
            }),
            Insn::Beq(B {
                rs1: XReg::ZERO,
                rs2: A3,
                off: 64,
            }),
            Insn::Addi(I {
                rd: A1,
                rs1: A1,
                imm: 1,
            }),
        ],
    );
}

#[test]
fn fused_constant_addresses() {
    translate(
        "constant_address",
        &[
            Insn::Auipc(U { rd: A0, imm: 0 }),
            Insn::Ld(Load {
                rd: A0,
                rs1: A0,
                imm: 0x100,
            }),
            Insn::Lui(U {
                rd: A1,
                imm: 0x5000,
            }),
            Insn::Sw(Store {
                rs1: A1,
                rs2: A0,
                imm: 8,
            }),
        ],
    );
}

/// coremark_style's crc16 bit loop: the `beqz` skips the then-part to the `addiw` of the
/// same superblock, a jump inside the block (join.rs) rather than an exit.
#[test]
fn crc16_bit_loop_join() {
    let (a4, a5, a7) = (XReg::new(14), XReg::new(15), XReg::new(17));
    let sh = |rd, rs1, shamt| Shift { rd, rs1, shamt };
    translate(
        "crc16_join",
        &[
            Insn::Andi(I {
                rd: A3,
                rs1: a5,
                imm: 1,
            }),
            Insn::Srli(sh(a5, a5, 1)),
            Insn::Beq(B {
                rs1: A3,
                rs2: XReg::ZERO,
                off: 16,
            }),
            Insn::Xor(R {
                rd: a5,
                rs1: a5,
                rs2: a7,
            }),
            Insn::Slli(sh(a5, a5, 48)),
            Insn::Srli(sh(a5, a5, 48)),
            Insn::Addiw(I {
                rd: a4,
                rs1: a4,
                imm: -1,
            }),
            Insn::Bne(B {
                rs1: a4,
                rs2: XReg::ZERO,
                off: -28,
            }),
        ],
    );
}

/// An if-then-else in a loop: the `beqz` joins the else-part, the `j` over it joins the
/// `addiw` (superblock::skips, lower/join.rs); one block, no exit but the loop's.
#[test]
fn if_then_else_loop_join() {
    let (a4, a5, a7) = (XReg::new(14), XReg::new(15), XReg::new(17));
    let addi = |rd, imm| I { rd, rs1: rd, imm };
    translate(
        "if_else_join",
        &[
            Insn::Andi(I {
                rd: A3,
                rs1: a5,
                imm: 1,
            }),
            Insn::Beq(B {
                rs1: A3,
                rs2: XReg::ZERO,
                off: 16,
            }),
            Insn::Xor(R {
                rd: a5,
                rs1: a5,
                rs2: a7,
            }),
            Insn::Addi(addi(A0, 1)),
            Insn::Jal(J {
                rd: XReg::ZERO,
                off: 12,
            }),
            Insn::Sub(R {
                rd: a5,
                rs1: a5,
                rs2: a7,
            }),
            Insn::Addi(addi(A1, 1)),
            Insn::Addiw(addi(a4, -1)),
            Insn::Bne(B {
                rs1: a4,
                rs2: XReg::ZERO,
                off: -32,
            }),
        ],
    );
}
