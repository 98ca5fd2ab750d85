//! The instruction table checked against itself, and every row against the decoder,
//! disassembler and interpreter. Random words never panic the decoder.

mod common;

use common::{instance, Rng, CODE, MEM_LEN};
use isa_a::decode::insn_len;
use isa_a::{decode, decode32, step, Cpu, Decoded, Ext, FlatMemory, Illegal, Opcode, TABLE};
use proptest::prelude::*;
use std::collections::HashSet;

#[test]
fn rows_are_indexed_by_opcode() {
    assert_eq!(TABLE.len(), Opcode::ALL.len());
    for (n, row) in TABLE.iter().enumerate() {
        assert_eq!(row.opcode as usize, n, "{}", row.mnemonic);
        assert_eq!(Opcode::ALL[n], row.opcode);
        assert!(std::ptr::eq(row.opcode.info(), row));
    }
}

#[test]
fn fixed_bits_lie_within_the_mask_and_fix_the_major_opcode() {
    for row in TABLE {
        assert_eq!(
            row.bits & !row.mask,
            0,
            "{}: fixed bits outside the mask",
            row.mnemonic
        );
        assert_eq!(
            row.mask & 0x7f,
            0x7f,
            "{}: major opcode not fixed",
            row.mnemonic
        );
        assert_eq!(row.bits & 3, 3, "{}: not a 32-bit encoding", row.mnemonic);
        assert_ne!(
            row.bits & 0x1c,
            0x1c,
            "{}: in the 48-bit-and-longer space",
            row.mnemonic
        );
    }
}

#[test]
fn no_word_matches_two_rows() {
    for (n, a) in TABLE.iter().enumerate() {
        for b in &TABLE[n + 1..] {
            // Some word matches both iff they agree on every bit both of them fix.
            let common = a.mask & b.mask;
            assert_ne!(
                a.bits & common,
                b.bits & common,
                "{} overlaps {}",
                a.mnemonic,
                b.mnemonic
            );
        }
    }
}

#[test]
fn mnemonics_are_unique_lowercase_and_flags_consistent() {
    let mut seen = HashSet::new();
    for row in TABLE {
        assert!(seen.insert(row.mnemonic), "{} twice", row.mnemonic);
        assert!(
            row.mnemonic
                .bytes()
                .all(|c| c.is_ascii_lowercase() || c == b'.'),
            "{}",
            row.mnemonic
        );
        let is = |f| row.has(f);
        use isa_a::flag::*;
        // Atomics both read and write memory, except lr (reads) and sc (writes).
        if is(ATOMIC) {
            assert!(is(LOAD) || is(STORE), "{}", row.mnemonic);
            assert_eq!(row.ext, Ext::A, "{}", row.mnemonic);
        }
        assert_eq!(is(CSR), row.ext == Ext::Zicsr, "{}", row.mnemonic);
        assert_eq!(
            is(BRANCH) || is(JUMP),
            matches!(row.format, isa_a::FormatKind::B) || row.mnemonic.starts_with('j')
        );
    }
}

#[test]
fn every_row_decodes_to_itself_and_disassembles_with_its_mnemonic() {
    let mut rng = Rng::new(0x5eed);
    for row in TABLE {
        // All operand bits zero is a legal operand choice for every row (rm = 0 is rne).
        assert_eq!(
            decode32(row.bits).map(|i| i.opcode()),
            Some(row.opcode),
            "{}",
            row.mnemonic
        );
        for _ in 0..64 {
            let (w, insn) = instance(row, &mut rng);
            assert_eq!(decode(w), Ok(Decoded { insn, len: 4 }));
            let text = insn.no_aliases().to_string();
            let rest = text
                .strip_prefix(row.mnemonic)
                .unwrap_or_else(|| panic!("{text:?} does not start with {:?}", row.mnemonic));
            assert!(
                rest.is_empty() || rest.starts_with(' ') || rest.starts_with('.'),
                "{text:?}: mnemonic {:?} runs into its operands",
                row.mnemonic
            );
            let mut with_pc = String::new();
            insn.disasm_no_aliases(Some(0x1000), &mut with_pc).unwrap();
            assert!(with_pc.starts_with(row.mnemonic), "{with_pc:?}");
        }
    }
}

/// Executing random instances of every row (registers random, some of them pointing into
/// memory) never panics: each one falls through, jumps, or traps.
#[test]
fn every_row_executes_without_panicking() {
    let mut rng = Rng::new(0xe1ec);
    for row in TABLE {
        for _ in 0..64 {
            let (_, insn) = instance(row, &mut rng);
            let mut mem = FlatMemory::new(CODE, MEM_LEN);
            let mut cpu = Cpu::new(CODE + 0x100);
            for n in 1..32 {
                cpu.x[n] = match rng.next_u32() % 3 {
                    0 => rng.next_u64(),
                    1 => CODE + rng.next_u64() % MEM_LEN as u64,
                    _ => rng.next_u64() % 64,
                };
                cpu.f[n] = rng.next_u64();
            }
            cpu.fcsr = rng.next_u32() & 0xff;
            let before = cpu.clone();
            let flow = step(&mut cpu, &mut mem, &Decoded { insn, len: 4 });
            assert_eq!(cpu.x[0], 0, "{insn}");
            match flow {
                isa_a::Flow::Trap(_) => {
                    assert_eq!(cpu.pc, before.pc, "{insn} trapped but moved pc");
                    assert_eq!(cpu.instret, before.instret, "{insn} trapped but retired");
                }
                _ => assert_eq!(cpu.instret, before.instret + 1, "{insn}"),
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    /// Any 32-bit word decodes to an instruction of the right length or to `Illegal` carrying
    /// exactly the instruction's bits, never a panic.
    #[test]
    fn random_words_decode_or_are_illegal(w in any::<u32>()) {
        let len = insn_len(w as u16);
        let bits = if len == 2 { w & 0xffff } else { w };
        match decode(w) {
            Ok(d) => {
                prop_assert_eq!(d.len, len);
                prop_assert_eq!(decode32(d.insn.encode()), Some(d.insn));
                if len == 4 {
                    prop_assert_eq!(decode32(w), Some(d.insn));
                    prop_assert!(d.insn.info().matches(w));
                }
            }
            Err(e) => {
                prop_assert_eq!(e, Illegal { bits, len });
                if len == 4 {
                    prop_assert_eq!(decode32(w), None);
                    // Either no row has these fixed bits, or an operand is reserved (rm 5/6).
                    let rows: Vec<_> = TABLE.iter().filter(|r| r.matches(w)).collect();
                    prop_assert!(rows.len() <= 1);
                    if let Some(row) = rows.first() {
                        prop_assert!(matches!((w >> 12) & 7, 5 | 6), "{} rejected 0x{:08x}", row.mnemonic, w);
                    }
                }
            }
        }
    }
}

#[test]
fn known_illegal_words() {
    let cases: &[(u32, u8, &str)] = &[
        (0xffff_ffff, 4, "all ones: the 48-bit-and-longer space"),
        (0x0000_001f, 4, "48-bit prefix"),
        (0x0000_007f, 4, "64-bit prefix"),
        (0x0000_0073 | (1 << 7), 4, "ecall with rd != 0"),
        (0x0020_0073, 4, "uret-like SYSTEM word"),
        (0x1050_0073, 4, "wfi (privileged)"),
        (0x0000_5053, 4, "fadd.s rm=5"),
        (0x0000_6053, 4, "fadd.s rm=6"),
        (0x0200_5043, 4, "fmadd.d rm=5"),
        (0x0400_0033, 4, "add with a stray funct7 bit"),
        (0x0000_200b, 4, "custom-0"),
        (
            0x0000_4007,
            4,
            "LOAD-FP with funct3 100 (a Q-extension load)",
        ),
        (0x0000_0000, 2, "all zero"),
        (0xdead_0000, 2, "all zero low half"),
    ];
    for &(w, len, what) in cases {
        let bits = if len == 2 { w & 0xffff } else { w };
        assert_eq!(decode(w), Err(Illegal { bits, len }), "{what}: 0x{w:08x}");
    }
}
