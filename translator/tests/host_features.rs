//! Translated code uses an optional x86-64 extension only when told the host has it: a block
//! of every operation with a form from an extension, translated for the x86-64 baseline, has
//! none of those forms (on a host without AVX, a VEX instruction is SIGILL), and
//! translated for a host with all of them, has each.

mod common;

use common::{fp_of, r_of, shift_of, shift_w_of};
use isa_a::format::R4;
use isa_a::{decode, Decoded, FReg, Insn, Rm};
use translator::{describe_host, CodeCache, HostFeatures, TestMemory};

fn block() -> Vec<Insn> {
    let (rr, r, f) = (fp_of, r_of, FReg::new);
    vec![
        Insn::FaddD(rr(1, 2, 3)),
        Insn::FsubS(rr(1, 1, 3)),
        Insn::FmulD(rr(2, 3, 2)),
        Insn::FdivS(rr(3, 4, 3)),
        Insn::FmaddD(R4 {
            rd: f(4),
            rs1: f(5),
            rs2: f(6),
            rs3: f(7),
            rm: Rm::Dyn,
        }),
        Insn::Sll(r(10, 11, 12)),
        Insn::Sraw(r(13, 11, 12)),
        Insn::Srliw(shift_w_of(14, 15, 8)),
        Insn::Slliw(shift_w_of(16, 15, 24)),
        Insn::Or(r(17, 14, 16)),
        Insn::Srli(shift_of(14, 15, 8)),
        Insn::Slli(shift_of(16, 15, 56)),
        Insn::Or(r(5, 14, 16)),
        Insn::Add(r(18, 10, 5)),
    ]
}

/// The host code's mnemonics for the block, translated for `host`.
fn mnemonics(host: HostFeatures) -> Vec<String> {
    let code = block();
    let insns: Vec<Decoded> = code.iter().map(|i| decode(i.encode()).unwrap()).collect();
    let mut mem = TestMemory::new(1 << 16);
    mem.load_code(0x1000, &code);
    let mut cache = CodeCache::new(mem.layout()).unwrap();
    cache.set_host_features(host);
    cache.translate(&mut mem, 0x1000, &insns).unwrap();
    let text = describe_host(&cache, cache.get(0x1000).unwrap());
    text.lines()
        .filter_map(|l| l.split_once(":  "))
        .map(|(_, i)| i.split(' ').next().unwrap().to_string())
        .collect()
}

/// The mnemonics of an extension's forms: VEX (AVX, FMA3) or BMI1/BMI2.
fn extension(m: &str) -> bool {
    m.starts_with('v') || ["andn", "rorx", "shlx", "shrx", "sarx"].contains(&m)
}

#[test]
fn code_for_the_baseline_uses_no_extension() {
    let used: Vec<_> = (mnemonics(HostFeatures::NONE).into_iter())
        .filter(|m| extension(m))
        .collect();
    assert!(
        used.is_empty(),
        "extension forms in baseline code: {used:?}"
    );
}

#[test]
fn code_for_a_host_with_every_extension_uses_them() {
    let ms = mnemonics(HostFeatures::ALL);
    for m in ["vaddsd", "vsubss", "vfmadd213sd", "shlx", "sarx", "rorx"] {
        assert!(ms.iter().any(|x| x == m), "no {m} in {ms:?}");
    }
}
