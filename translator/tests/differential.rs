//! Translated code against the interpreter: random instruction sequences generated from isa-a's
//! instruction table (every row, compressed forms too, branches forward and back, loads,
//! stores and atomics on a scratch region, FP in every rounding mode), run from the same random
//! state by `isa_a::BlockCache` and by `translator::Engine` in `--jit` mode. After every call
//! (a budget of one block, a few, or many) the trap, the `Cpu` and all of memory must agree.
//!
//! `PROPTEST_CASES` raises the number of cases (10,000 by default).

use isa_a::{decode, decode32, BlockCache, Cpu, Decoded, Insn, Opcode, Trap};
use proptest::prelude::*;
use translator::{Engine, Mode, TestMemory};

const MEM: usize = 64 << 10;
const CODE: u64 = 0x1000;
const CODE_END: u64 = 0x3000;
const SCRATCH: u64 = 0x4000;
const SCRATCH_END: u64 = 0xc000;

/// One generated instruction: which kind, random operand bits, and a choice for targets.
#[derive(Clone, Debug)]
struct Gen {
    kind: u8,
    bits: u32,
    choice: u16,
}

fn gen() -> impl Strategy<Value = Gen> {
    (any::<u8>(), any::<u32>(), any::<u16>()).prop_map(|(kind, bits, choice)| Gen {
        kind,
        bits,
        choice,
    })
}

/// The opcodes, weighted: integer and memory ones more often than the rest.
fn opcode(kind: u8, bits: u32) -> Opcode {
    let all = Opcode::ALL;
    let int: Vec<Opcode> = all
        .iter()
        .copied()
        .filter(|o| matches!(o.info().ext, isa_a::Ext::I | isa_a::Ext::M | isa_a::Ext::A))
        .collect();
    if kind < 176 {
        int[bits as usize % int.len()]
    } else {
        all[(bits >> 3) as usize % all.len()]
    }
}

/// Builds the code: each generated instruction decoded (reserved operand values skipped),
/// branch and jump offsets pointed at another instruction of the sequence, an `ecall` last.
fn build(gens: &[Gen]) -> Vec<Decoded> {
    let mut out: Vec<Decoded> = Vec::new();
    for g in gens {
        let d = if g.kind % 16 == 0 {
            // A compressed form, whatever it expands to.
            match decode(g.bits & 0xffff) {
                Ok(d) if d.len == 2 => d,
                _ => continue,
            }
        } else {
            let op = opcode(g.kind, g.choice as u32 | (g.kind as u32) << 16);
            let info = op.info();
            match decode32(info.bits | (g.bits & !info.mask)) {
                Some(insn) => Decoded { insn, len: 4 },
                None => continue,
            }
        };
        out.push(d);
    }
    // Offsets: to the start of another instruction (or the final ecall).
    let mut starts = Vec::new();
    let mut at = 0i64;
    for d in &out {
        starts.push(at);
        at += d.len as i64;
    }
    starts.push(at);
    for (i, d) in out.iter_mut().enumerate() {
        let g = &gens[i.min(gens.len() - 1)];
        let target = starts[g.choice as usize % starts.len()] - starts[i];
        d.insn = match d.insn {
            Insn::Beq(mut b)
            | Insn::Bne(mut b)
            | Insn::Blt(mut b)
            | Insn::Bge(mut b)
            | Insn::Bltu(mut b)
            | Insn::Bgeu(mut b)
                if d.len == 4 =>
            {
                b.off = target as i32;
                with_b(d.insn, b)
            }
            Insn::Jal(mut j) if d.len == 4 => {
                j.off = target as i32;
                Insn::Jal(j)
            }
            i => i,
        };
    }
    out.push(decode(0x0000_0073).unwrap());
    out
}

fn with_b(i: Insn, b: isa_a::format::B) -> Insn {
    match i {
        Insn::Beq(_) => Insn::Beq(b),
        Insn::Bne(_) => Insn::Bne(b),
        Insn::Blt(_) => Insn::Blt(b),
        Insn::Bge(_) => Insn::Bge(b),
        Insn::Bltu(_) => Insn::Bltu(b),
        _ => Insn::Bgeu(b),
    }
}

fn encode(d: &Decoded) -> Vec<u8> {
    let w = d.insn.encode();
    if d.len == 2 {
        // Compressed forms were kept as generated; re-encode from the original bits is not
        // possible, so the caller writes their halfword.
        unreachable!()
    } else {
        w.to_le_bytes().to_vec()
    }
}

/// Lays the code out: 32-bit instructions re-encoded, compressed ones from their halfword.
fn code_bytes(gens: &[Gen], code: &[Decoded]) -> Vec<u8> {
    // Compressed instructions are regenerated from their generator's halfword, in order.
    let mut halves = gens
        .iter()
        .filter(|g| g.kind % 16 == 0)
        .filter(|g| matches!(decode(g.bits & 0xffff), Ok(d) if d.len == 2))
        .map(|g| (g.bits & 0xffff) as u16);
    let mut bytes = Vec::new();
    for d in code {
        if d.len == 2 {
            bytes.extend_from_slice(&halves.next().unwrap().to_le_bytes());
        } else {
            bytes.extend(encode(d));
        }
    }
    bytes
}

#[derive(Clone, Debug)]
struct Start {
    x: [u64; 32],
    f: [u64; 32],
    fcsr: u32,
    scratch_seed: u64,
}

/// `op rd, rs1, imm`, `op rd, rs1, rs2` and `op rs1, rs2, off` operands for hand-written
/// sequences.
fn i(rd: u32, rs1: u32, imm: i32) -> isa_a::format::I {
    let x = isa_a::XReg::new;
    isa_a::format::I {
        rd: x(rd),
        rs1: x(rs1),
        imm,
    }
}

fn r(rd: u32, rs1: u32, rs2: u32) -> isa_a::format::R {
    let x = isa_a::XReg::new;
    isa_a::format::R {
        rd: x(rd),
        rs1: x(rs1),
        rs2: x(rs2),
    }
}

fn b(rs1: u32, rs2: u32, off: i32) -> isa_a::format::B {
    let x = isa_a::XReg::new;
    isa_a::format::B {
        rs1: x(rs1),
        rs2: x(rs2),
        off,
    }
}

impl Start {
    /// Every register zero, flags clear, round to nearest; the scratch region from seed 1.
    fn zeroed() -> Start {
        Start {
            x: [0; 32],
            f: [0; 32],
            fcsr: 0,
            scratch_seed: 1,
        }
    }
}

fn start() -> impl Strategy<Value = Start> {
    let reg = prop_oneof![
        4 => (SCRATCH + 0x1000..SCRATCH_END - 0x1000).prop_map(|a| a & !7),
        2 => SCRATCH..SCRATCH_END,
        2 => any::<u64>(),
        2 => (-64i64..64).prop_map(|v| v as u64),
        1 => Just(i64::MIN as u64),
    ];
    let freg = prop_oneof![
        any::<u64>(),
        any::<f64>().prop_map(f64::to_bits),
        any::<f32>().prop_map(|f| f.to_bits() as u64 | 0xffff_ffff_0000_0000),
    ];
    (
        proptest::collection::vec(reg, 32),
        proptest::collection::vec(freg, 32),
        (0u32..8, 0u32..32),
        any::<u64>(),
    )
        .prop_map(|(x, f, (frm, flags), scratch_seed)| {
            let mut xs = [0u64; 32];
            xs[1..].copy_from_slice(&x[1..]);
            Start {
                x: xs,
                f: f.try_into().unwrap(),
                fcsr: frm << 5 | flags,
                scratch_seed,
            }
        })
}

fn setup(s: &Start, bytes: &[u8]) -> (Cpu, TestMemory) {
    let mut mem = TestMemory::new(MEM);
    mem.bytes_mut()[CODE as usize..CODE as usize + bytes.len()].copy_from_slice(bytes);
    let mut v = s.scratch_seed;
    for b in &mut mem.bytes_mut()[SCRATCH as usize..SCRATCH_END as usize] {
        v ^= v << 13;
        v ^= v >> 7;
        v ^= v << 17;
        *b = v as u8;
    }
    mem.set_perm(0, MEM as u64, 0);
    mem.set_perm(CODE, CODE_END, translator_perm::R | translator_perm::X);
    mem.set_perm(
        SCRATCH,
        SCRATCH_END,
        translator_perm::R | translator_perm::W,
    );
    let mut cpu = Cpu::new(CODE);
    cpu.x = s.x;
    cpu.f = s.f;
    cpu.fcsr = s.fcsr;
    (cpu, mem)
}

mod translator_perm {
    pub const R: u8 = 1;
    pub const W: u8 = 2;
    pub const X: u8 = 4;
}

fn check(gens: &[Gen], s: &Start, budgets: &[u8]) -> Result<(), TestCaseError> {
    let code = build(gens);
    let bytes = code_bytes(gens, &code);
    let (mut icpu, mut imem) = setup(s, &bytes);
    let (mut jcpu, mut jmem) = setup(s, &bytes);
    let mut interp = BlockCache::new();
    let mut engine = Engine::new(Mode::Jit, jmem.layout()).unwrap();
    for (step, &b) in budgets.iter().cycle().take(64).enumerate() {
        let budget = match b % 3 {
            0 => 1,
            1 => 5,
            _ => 200,
        };
        let it = interp.run(&mut icpu, &mut imem, budget);
        let jt = engine.run(&mut jcpu, &mut jmem, budget);
        prop_assert_eq!(it, jt, "trap at step {}", step);
        prop_assert_eq!(&icpu, &jcpu, "cpu at step {}", step);
        prop_assert!(imem.bytes() == jmem.bytes(), "memory at step {}", step);
        if it.is_some() || icpu.instret > 2000 {
            break;
        }
    }
    Ok(())
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000)
}

proptest! {
    // Failures are kept next to this file (cargo runs tests from the package root; the
    // default, a file parallel to the source, cannot find an integration test's crate root).
    #![proptest_config(ProptestConfig {
        cases: cases(),
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::Direct(
                "tests/differential.proptest-regressions",
            ),
        )),
        ..ProptestConfig::default()
    })]

    #[test]
    fn translated_code_matches_the_interpreter(
        gens in proptest::collection::vec(gen(), 1..24),
        s in start(),
        budgets in proptest::collection::vec(any::<u8>(), 1..4),
    ) {
        check(&gens, &s, &budgets)?;
    }
}

#[test]
fn a_trap_ends_the_comparison() {
    // ld from an unmapped page in the middle of a block: the same fault, pc and count.
    let gens = [Gen {
        kind: 1,
        bits: 0,
        choice: 0,
    }];
    let s = Start {
        x: [0; 32],
        f: [0; 32],
        fcsr: 0,
        scratch_seed: 1,
    };
    check(&gens, &s, &[2]).unwrap();
    let _ = Trap::Ecall;
}

/// Runs `code` (then `ecall`) from `s` in both engines; the trap, `Cpu` and memory must agree.
fn compare_code(code: &[Insn], s: &Start) {
    compare_code_for(code, s, 1000)
}

/// [`compare_code`] with the budget `budget`.
fn compare_code_for(code: &[Insn], s: &Start, budget: u64) {
    let mut bytes = Vec::new();
    for i in code.iter().chain([&Insn::Ecall(isa_a::format::Nullary {})]) {
        bytes.extend_from_slice(&i.encode().to_le_bytes());
    }
    let (mut icpu, mut imem) = setup(s, &bytes);
    let (mut jcpu, mut jmem) = setup(s, &bytes);
    let mut engine = Engine::new(Mode::Jit, jmem.layout()).unwrap();
    let it = BlockCache::new().run(&mut icpu, &mut imem, budget);
    let jt = engine.run(&mut jcpu, &mut jmem, budget);
    assert_eq!(it, jt);
    assert_eq!(icpu, jcpu);
    assert!(imem.bytes() == jmem.bytes());
}

#[test]
fn fflags_read_and_written_between_native_fp() {
    use isa_a::format::{Csr, CsrI, FRrm};
    use isa_a::{FReg, Rm, XReg};
    let (x, f) = (XReg::new, FReg::new);
    let fp = |rd, rs1, rs2| FRrm {
        rd: f(rd),
        rs1: f(rs1),
        rs2: f(rs2),
        rm: Rm::Dyn,
    };
    let csr = |rd, rs1, csr| Csr {
        rd: x(rd),
        rs1: x(rs1),
        csr,
    };
    let csri = |rd, uimm, csr| CsrI {
        rd: x(rd),
        uimm,
        csr,
    };
    let code = [
        Insn::FdivD(fp(3, 1, 2)),
        Insn::FltD(isa_a::format::FCmp {
            rd: x(6),
            rs1: f(1),
            rs2: f(2),
        }),
        Insn::Csrrs(csr(10, 0, 1)),  // frflags a0
        Insn::Csrrw(csr(11, 12, 1)), // fsflags a1, a2
        Insn::FmulD(fp(4, 1, 1)),
        Insn::Csrrci(csri(13, 5, 1)),
        Insn::Csrrs(csr(14, 0, 3)), // frcsr
        Insn::Csrrs(csr(15, 0, 2)), // frrm
        Insn::FaddD(fp(5, 2, 2)),
        Insn::Csrrsi(csri(16, 3, 1)),
        Insn::Csrrc(csr(17, 12, 1)),
        Insn::Csrrs(csr(5, 0, 1)),
    ];
    let values = [
        1.0,
        3.0,
        0.0,
        -0.0,
        f64::INFINITY,
        f64::NAN,
        1e300,
        1e-300,
        5e-324,
    ];
    for (i, &a) in values.iter().enumerate() {
        for &b in &values[i..] {
            for frm in 0..4 {
                let mut s = Start {
                    x: [0; 32],
                    f: [0; 32],
                    fcsr: (frm << 5) | ((i as u32 * 7) % 32),
                    scratch_seed: 1,
                };
                s.x[12] = 0x15;
                s.f[1] = f64::to_bits(a);
                s.f[2] = f64::to_bits(b);
                compare_code(&code, &s);
            }
        }
    }
}

/// A block that branches back to its own start keeps its registers in host registers across
/// iterations; the budget runs out mid-loop, so the exit that writes them back is taken too.
#[test]
fn a_loop_on_unmapped_registers_keeps_them_across_iterations() {
    use isa_a::format::B;
    use isa_a::XReg;
    let x = XReg::new;
    let code = [
        Insn::Addi(i(5, 5, 1)),  // t0 += 1
        Insn::Add(r(9, 9, 5)),   // s1 += t0
        Insn::Xor(r(7, 9, 5)),   // t2 = s1 ^ t0
        Insn::Sub(r(18, 18, 7)), // s2 -= t2
        Insn::Bne(B {
            rs1: x(5),
            rs2: x(6),
            off: -16,
        }),
    ];
    for n in [1, 7, 199, 200, 201, 5000] {
        let mut s = Start::zeroed();
        s.x[6] = n;
        compare_code(&code, &s);
    }
}

/// A loop whose body is two basic blocks (a forward branch skips part of it) becomes one
/// superblock: its inner branch exits when taken, and the budget may run out at the inner
/// block boundary exactly where the interpreter's check falls.
#[test]
fn a_superblock_exits_and_stops_where_the_interpreter_does() {
    let code = [
        Insn::Addi(i(5, 5, 1)),   // 0: t0 += 1
        Insn::Andi(i(6, 5, 3)),   // 4: t1 = t0 & 3
        Insn::Beq(b(6, 0, 12)),   // 8: skip to 20 when t1 == 0
        Insn::Add(r(9, 9, 5)),    // 12: s1 += t0
        Insn::Xor(r(18, 18, 9)),  // 16: s2 ^= s1
        Insn::Addi(i(19, 19, 1)), // 20: s3 += 1
        Insn::Bne(b(5, 7, -24)),  // 24: loop while t0 != t2
    ];
    for n in [1, 3, 4, 5, 100, 10_000] {
        for budget in 1..40 {
            let mut s = Start::zeroed();
            s.x[7] = n;
            compare_code_for(&code, &s, budget);
        }
    }
}

/// amomin/amomax (signed and unsigned, word and doubleword) against memory and register
/// values of both signs, the boundaries included.
#[test]
fn amo_min_max_match_the_interpreter() {
    use isa_a::format::Amo;
    use isa_a::XReg;
    let x = XReg::new;
    let amo = |rd, rs1, rs2| Amo {
        rd: x(rd),
        rs1: x(rs1),
        rs2: x(rs2),
        aq: false,
        rl: false,
    };
    let ops: [fn(Amo) -> Insn; 8] = [
        Insn::AmominW,
        Insn::AmomaxW,
        Insn::AmominuW,
        Insn::AmomaxuW,
        Insn::AmominD,
        Insn::AmomaxD,
        Insn::AmominuD,
        Insn::AmomaxuD,
    ];
    let values = [
        0u64,
        1,
        u64::MAX,
        0x7fff_ffff,
        0x8000_0000,
        0xffff_ffff,
        0x1_0000_0000,
        i64::MIN as u64,
        i64::MAX as u64,
        0x1234_5678_9abc_def0,
    ];
    for op in ops {
        // Two in a row: the second sees the first's result.
        let code = [op(amo(10, 11, 12)), op(amo(13, 11, 14))];
        for (k, &v) in values.iter().enumerate() {
            for seed in 1..4 {
                let mut s = Start {
                    scratch_seed: seed,
                    ..Start::zeroed()
                };
                s.x[11] = SCRATCH + 8 * (k as u64 + seed);
                s.x[12] = v;
                s.x[14] = values[(k + 3) % values.len()];
                compare_code(&code, &s);
            }
        }
    }
}

/// fmin/fmax/fclass in both precisions on the values where they are subtle: signed zeros,
/// infinities, subnormals, quiet and signalling NaNs, and singles that are not NaN-boxed.
#[test]
fn fmin_fmax_fclass_match_the_interpreter() {
    use isa_a::format::{FMvX, FR};
    use isa_a::{FReg, XReg};
    let (x, f) = (XReg::new, FReg::new);
    let fr = |rd, rs1, rs2| FR {
        rd: f(rd),
        rs1: f(rs1),
        rs2: f(rs2),
    };
    let class = |rd, rs1| FMvX {
        rd: x(rd),
        rs1: f(rs1),
    };
    let code = [
        Insn::FminD(fr(3, 1, 2)),
        Insn::FmaxD(fr(4, 1, 2)),
        Insn::FminS(fr(5, 1, 2)),
        Insn::FmaxS(fr(6, 1, 2)),
        Insn::FclassD(class(10, 1)),
        Insn::FclassD(class(11, 2)),
        Insn::FclassS(class(12, 1)),
        Insn::FclassS(class(13, 2)),
        Insn::FclassD(class(14, 3)),
        Insn::FclassS(class(15, 6)),
        Insn::Csrrs(isa_a::format::Csr {
            rd: x(16),
            rs1: x(0),
            csr: 1,
        }),
    ];
    let box32 = |v: u32| v as u64 | 0xffff_ffff_0000_0000;
    let values = [
        0.0f64.to_bits(),
        (-0.0f64).to_bits(),
        1.5f64.to_bits(),
        (-2.0f64).to_bits(),
        f64::INFINITY.to_bits(),
        f64::NEG_INFINITY.to_bits(),
        f64::NAN.to_bits(),
        0x7ff0_0000_0000_0001, // signalling NaN
        0xfff8_0000_0000_0001, // negative quiet NaN with a payload
        5e-324f64.to_bits(),
        (-2.2250738585072014e-308f64).to_bits(),
        box32(0.0f32.to_bits()),
        box32((-0.0f32).to_bits()),
        box32(1.5f32.to_bits()),
        box32(f32::NEG_INFINITY.to_bits()),
        box32(f32::NAN.to_bits()),
        box32(0x7f80_0001),    // signalling NaN
        box32(1),              // subnormal
        box32(0x8080_0000),    // negative smallest normal
        0x0000_0000_3fc0_0000, // 1.5f not boxed
    ];
    for &a in &values {
        for &b in &values {
            let mut s = Start::zeroed();
            s.f[1] = a;
            s.f[2] = b;
            compare_code(&code, &s);
        }
    }
}

/// A superblock follows a plain jump (`j`) to its target: a loop whose body jumps over dead
/// code keeps its registers, and budgets stop it at the jump exactly as the interpreter.
#[test]
fn a_superblock_follows_a_jump_and_stops_where_the_interpreter_does() {
    use isa_a::format::J;
    let j = J {
        rd: isa_a::XReg::new(0),
        off: 12,
    };
    let code = [
        Insn::Addi(i(5, 5, 1)),   // 0: t0 += 1
        Insn::Jal(j),             // 4: j 16
        Insn::Addi(i(9, 9, 100)), // 8: never runs
        Insn::Addi(i(18, 18, 7)), // 12: never runs
        Insn::Add(r(19, 19, 5)),  // 16: s3 += t0
        Insn::Bne(b(5, 7, -20)),  // 20: loop while t0 != t2
    ];
    for n in [1, 2, 3, 50, 10_000] {
        for budget in 1..30 {
            let mut s = Start::zeroed();
            s.x[7] = n;
            compare_code_for(&code, &s, budget);
        }
    }
}

/// A loop that keeps only FP registers (its integer registers are all pinned ones) skips its
/// prologue too: the mirrors stay loaded across iterations and budget exits.
#[test]
fn a_loop_on_fp_registers_keeps_its_mirrors_across_iterations() {
    use isa_a::format::FRrm;
    use isa_a::{FReg, Rm};
    let f = FReg::new;
    let fp = |rd, rs1, rs2| FRrm {
        rd: f(rd),
        rs1: f(rs1),
        rs2: f(rs2),
        rm: Rm::Dyn,
    };
    let code = [
        Insn::FaddD(fp(1, 1, 2)),  // f1 += f2
        Insn::FmulD(fp(3, 1, 1)),  // f3 = f1 * f1
        Insn::Addi(i(10, 10, -1)), // a0 -= 1
        Insn::Bne(b(10, 0, -12)),  // loop while a0 != 0
    ];
    for n in [1, 2, 30, 1000] {
        for budget in [1, 2, 5, 13, 400, 1000] {
            let mut s = Start::zeroed();
            s.x[10] = n;
            s.f[1] = 0.5f64.to_bits();
            s.f[2] = 0.25f64.to_bits();
            compare_code_for(&code, &s, budget);
        }
    }
}
