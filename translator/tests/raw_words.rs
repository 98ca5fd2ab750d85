//! Arbitrary code bytes, not instructions from the table: any halfwords (so illegal and
//! reserved encodings, 48-bit lengths, compressed forms with reserved operands, ecall and
//! ebreak, stores and indirect jumps anywhere) run from random registers by the interpreter
//! (`isa_a::BlockCache`) and by translated code (`translator::Engine`, `--jit`). The trap, the
//! `Cpu` and all of memory must agree after every call. `differential.rs` covers valid
//! sequences in depth; this covers what a hostile or corrupted program puts in front of the
//! decoder and the translator.
//!
//! `PROPTEST_CASES` raises the number of cases (2,000 by default).

use isa_a::{BlockCache, Cpu};
use proptest::prelude::*;
use translator::{Engine, Mode, TestMemory};

const MEM: usize = 64 << 10;
const CODE: u64 = 0x1000;
const CODE_END: u64 = 0x3000;
const SCRATCH: u64 = 0x4000;
const SCRATCH_END: u64 = 0xc000;

/// Permission bits of `TestMemory::set_perm`.
const R: u8 = 1;
const W: u8 = 2;
const X: u8 = 4;

/// Registers: pointers into the scratch region (so loads and stores often land), small
/// values, and anything.
fn regs() -> impl Strategy<Value = [u64; 32]> {
    let reg = prop_oneof![
        3 => SCRATCH..SCRATCH_END,
        2 => CODE..CODE_END,
        2 => (-64i64..64).prop_map(|v| v as u64),
        2 => any::<u64>(),
    ];
    proptest::collection::vec(reg, 32).prop_map(|v| {
        let mut x = [0u64; 32];
        x[1..].copy_from_slice(&v[1..]);
        x
    })
}

/// The code: halfwords, each either anything or the low half of a full-size encoding
/// followed by anything (so 32-bit words are as common as compressed ones).
fn code() -> impl Strategy<Value = Vec<u16>> {
    proptest::collection::vec(
        prop_oneof![
            any::<u16>().prop_map(|h| vec![h]),
            (any::<u16>(), any::<u16>()).prop_map(|(lo, hi)| vec![lo | 3, hi]),
        ],
        1..48,
    )
    .prop_map(|v| v.concat())
}

fn setup(x: &[u64; 32], code: &[u16], seed: u64) -> (Cpu, TestMemory) {
    let mut mem = TestMemory::new(MEM);
    for (i, h) in code.iter().enumerate() {
        let at = CODE as usize + 2 * i;
        mem.bytes_mut()[at..at + 2].copy_from_slice(&h.to_le_bytes());
    }
    let mut v = seed | 1;
    for b in &mut mem.bytes_mut()[SCRATCH as usize..SCRATCH_END as usize] {
        v ^= v << 13;
        v ^= v >> 7;
        v ^= v << 17;
        *b = v as u8;
    }
    mem.set_perm(0, MEM as u64, 0);
    mem.set_perm(CODE, CODE_END, R | X);
    mem.set_perm(SCRATCH, SCRATCH_END, R | W);
    let mut cpu = Cpu::new(CODE);
    cpu.x = *x;
    (cpu, mem)
}

fn check(x: &[u64; 32], code: &[u16], seed: u64, budgets: &[u8]) -> Result<(), TestCaseError> {
    let (mut icpu, mut imem) = setup(x, code, seed);
    let (mut jcpu, mut jmem) = setup(x, code, seed);
    let mut interp = BlockCache::new();
    let mut engine = Engine::new(Mode::Jit, jmem.layout()).unwrap();
    for (step, &b) in budgets.iter().cycle().take(32).enumerate() {
        let budget = [1, 7, 300][b as usize % 3];
        let it = interp.run(&mut icpu, &mut imem, budget);
        let jt = engine.run(&mut jcpu, &mut jmem, budget);
        prop_assert_eq!(it, jt, "trap at step {}", step);
        prop_assert_eq!(&icpu, &jcpu, "cpu at step {}", step);
        prop_assert!(imem.bytes() == jmem.bytes(), "memory at step {}", step);
        if it.is_some() || icpu.instret > 3000 {
            break;
        }
    }
    Ok(())
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2_000)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::Direct(
                "tests/raw_words.proptest-regressions",
            ),
        )),
        ..ProptestConfig::default()
    })]

    #[test]
    fn arbitrary_code_bytes_trap_where_the_interpreter_does(
        x in regs(),
        code in code(),
        seed in any::<u64>(),
        budgets in proptest::collection::vec(any::<u8>(), 1..4),
    ) {
        check(&x, &code, seed, &budgets)?;
    }
}
