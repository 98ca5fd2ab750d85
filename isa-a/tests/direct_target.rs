//! `Insn::direct_target`: where jal and the conditional branches go, compressed forms too;
//! nothing for jalr and the rest.

use isa_a::decode;

fn target(word: u32, pc: u64) -> Option<u64> {
    decode(word)
        .expect("a valid encoding")
        .insn
        .direct_target(pc)
}

#[test]
fn jumps_and_branches_name_their_targets() {
    assert_eq!(target(0x0080_006f, 0x1000), Some(0x1008)); // j +8
    assert_eq!(target(0xffdf_f0ef, 0x1000), Some(0x0ffc)); // jal ra, -4
    assert_eq!(target(0x00b5_0863, 0x2000), Some(0x2010)); // beq a0, a1, +16
    assert_eq!(target(0xfe05_4ee3, 0x2000), Some(0x1ffc)); // blt a0, zero, -4
    assert_eq!(target(0xa001, 0x3000), Some(0x3000)); // c.j 0
    assert_eq!(target(0xc111, 0x3000), Some(0x3004)); // c.beqz a0, +4
                                                      // Offsets wrap around the address space, as the pc does.
    assert_eq!(target(0xffdf_f0ef, 0), Some(u64::MAX - 3));
}

#[test]
fn other_instructions_have_none() {
    assert_eq!(target(0x0000_8067, 0x1000), None); // ret (jalr)
    assert_eq!(target(0x0015_0513, 0x1000), None); // addi a0, a0, 1
    assert_eq!(target(0x0000_0073, 0x1000), None); // ecall
}
