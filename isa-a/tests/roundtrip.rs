//! Encoder and decoder are inverses: for every table row with random operands,
//! `decode(encode(i)) == i`, and `encode` puts every operand bit of a decoded word back.

mod common;

use common::{ignored_bits, instance, Rng};
use isa_a::{decode, decode32, Decoded, TABLE};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    /// A random instance of a random row survives encode → decode unchanged, as a 4-byte
    /// instruction, through both entry points of the decoder.
    #[test]
    fn decode_inverts_encode(row in 0..TABLE.len(), seed in any::<u64>()) {
        let (_, insn) = instance(&TABLE[row], &mut Rng::new(seed));
        let w = insn.encode();
        prop_assert!(TABLE[row].matches(w), "{insn}: 0x{w:08x} lost its fixed bits");
        prop_assert_eq!(decode32(w), Some(insn));
        prop_assert_eq!(decode(w), Ok(Decoded { insn, len: 4 }));
    }

    /// Every operand bit of a legal word comes back from `encode` (apart from the reserved
    /// fields the ISA says to ignore), so encode → decode32 → encode is the identity.
    #[test]
    fn encode_restores_every_operand_bit(row in 0..TABLE.len(), seed in any::<u64>()) {
        let info = &TABLE[row];
        let (w, insn) = instance(info, &mut Rng::new(seed));
        let ignored = ignored_bits(info.opcode);
        prop_assert_eq!(insn.encode(), w & !ignored, "{} from 0x{:08x}", insn, w);
        let again = decode32(insn.encode()).expect("re-encoded word decodes");
        prop_assert_eq!(again.encode(), insn.encode());
    }
}

/// Every row, every operand bit on its own: catches an operand field that the encoder drops or
/// moves even when random words would hide it among other set bits.
#[test]
fn each_operand_bit_round_trips_alone() {
    for row in TABLE {
        let free = !row.mask & !ignored_bits(row.opcode);
        for bit in (0..32).filter(|b| free & (1 << b) != 0) {
            let w = row.bits | (1 << bit);
            // A lone bit can make a rounding mode reserved (5 = 101b needs two bits, so it
            // cannot); every such word must decode.
            let insn =
                decode32(w).unwrap_or_else(|| panic!("{}: 0x{w:08x} did not decode", row.mnemonic));
            assert_eq!(insn.opcode(), row.opcode);
            assert_eq!(
                insn.encode(),
                w,
                "{}: bit {bit} not encoded back",
                row.mnemonic
            );
        }
    }
}

/// The ignored fields really are ignored: a fence with junk in rd/rs1 is the same fence.
#[test]
fn reserved_fence_fields_are_ignored() {
    // fence rw,rw with rd = x1, rs1 = x2: GNU as never emits it, the ISA says to ignore them.
    let clean = 0x0330_000f;
    let junk = clean | (1 << 7) | (2 << 15);
    assert_eq!(decode32(junk), decode32(clean));
    // fence.i with imm, rs1 and rd all set.
    assert_eq!(
        decode32(0x0000_100f | 0xfff0_0f80 | (3 << 15)),
        decode32(0x0000_100f)
    );
}
