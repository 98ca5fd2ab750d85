//! Translated code against the interpreter: random code (see gen.rs for what is generated and
//! why) run from the same random state by `isa_a::BlockCache` and by `translator::Engine` in
//! `--jit` mode. After every call (a budget of one block, a few, or many) the trap, the `Cpu`
//! and all of memory must agree. The engine counts where its instructions ran; at least 90%
//! of them must have run in translated code, or the generator has stopped reaching it; and
//! every fusion (lower/fuse.rs) must have been translated.
//!
//! Both budget modes are compared. With [`Budget::Exact`] both run the same budget and must
//! stop at the same instruction. With [`Budget::BackEdges`] translated code may run past its
//! budget, to its next back edge: the engine runs first, then the interpreter exactly as far
//! (which it can only do if the engine stopped at one of the interpreter's block boundaries).
//!
//! Code for the host's extensions is compared with both budgets, code for the x86-64
//! baseline (lower/fp_arith.rs's two-operand forms, no BMI) on a quarter of the cases.
//!
//! `PROPTEST_CASES` raises the number of cases (10,000 by default).

mod common;
#[path = "differential/gen.rs"]
mod gen;

use gen::{Gen, Start, CODE, CODE_END, MEM, SCRATCH, SCRATCH_END};
use isa_a::{BlockCache, Cpu, Insn, Trap};
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, TestRunner};
use std::cell::Cell;
use translator::{Budget, Engine, HostFeatures, Mode, TestMemory};

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

/// What the engine ran, over all cases.
#[derive(Default)]
struct Counts {
    jit: Cell<u64>,
    interp: Cell<u64>,
    /// Of `jit`, those run by the interpreter's helper.
    helper: Cell<u64>,
    /// How the cases ended: ecall, ebreak, illegal, fault, misaligned, or still running.
    ends: Cell<[u64; 6]>,
    /// What the register allocation of the translated blocks did.
    alloc: Cell<translator::AllocStats>,
    /// Slices the engine ran past the instruction the interpreter would have stopped at.
    overran: Cell<u64>,
}

/// A budget beyond any case's end: a case stops once 2000 instructions have run.
const REST: u64 = 2001;

fn check(
    gens: &[Gen],
    s: &Start,
    budgets: &[u8],
    mode: Budget,
    host: HostFeatures,
    counts: Option<&Counts>,
) -> Result<(), TestCaseError> {
    let bytes = gen::build(gens);
    let (mut icpu, mut imem) = setup(s, &bytes);
    let (mut jcpu, mut jmem) = setup(s, &bytes);
    let mut interp = BlockCache::new();
    let mut engine = Engine::new(Mode::Jit, jmem.layout()).unwrap();
    engine.set_budget(mode);
    engine.set_host_features(host);
    let mut end = None;
    let mut overran = 0;
    for (step, &b) in budgets.iter().cycle().take(64).enumerate() {
        let budget = match b % 4 {
            0 => 1,
            1 => 5,
            2 => 200,
            _ => REST,
        };
        let (it, jt) = match mode {
            Budget::Exact => (
                interp.run(&mut icpu, &mut imem, budget),
                engine.run(&mut jcpu, &mut jmem, budget),
            ),
            Budget::BackEdges => {
                let jt = engine.run(&mut jcpu, &mut jmem, budget);
                let mut it = interp.run(&mut icpu, &mut imem, budget);
                if it.is_none() && (jt.is_some() || jcpu.instret > icpu.instret) {
                    overran += jt.is_none() as u64;
                    // On as far as the engine went; to the trap past it if it trapped (the
                    // trapping instruction may start a block of the interpreter's).
                    let far = jcpu.instret.saturating_sub(icpu.instret) + jt.is_some() as u64;
                    it = interp.run(&mut icpu, &mut imem, far);
                }
                (it, jt)
            }
        };
        prop_assert_eq!(it, jt, "trap at step {}", step);
        prop_assert_eq!(&icpu, &jcpu, "cpu at step {}", step);
        prop_assert!(imem.bytes() == jmem.bytes(), "memory at step {}", step);
        end = it;
        if it.is_some() || icpu.instret > 2000 {
            break;
        }
    }
    if let Some(c) = counts {
        let st = engine.stats();
        c.jit.set(c.jit.get() + st.insns_jit);
        c.interp.set(c.interp.get() + st.insns_interp);
        c.helper.set(c.helper.get() + st.insns_helper);
        let mut a = c.alloc.get();
        a += st.alloc;
        c.alloc.set(a);
        let mut ends = c.ends.get();
        ends[match end {
            Some(Trap::Ecall) => 0,
            Some(Trap::Ebreak) => 1,
            Some(Trap::Illegal(_)) => 2,
            Some(Trap::Fault(_)) => 3,
            Some(Trap::Misaligned { .. }) => 4,
            None => 5,
        }] += 1;
        c.ends.set(ends);
        c.overran.set(c.overran.get() + overran);
    }
    Ok(())
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000)
}

#[test]
fn translated_code_matches_the_interpreter() {
    differential(Budget::Exact, HostFeatures::detect(), cases());
}

#[test]
fn translated_code_matches_the_interpreter_checking_budgets_at_back_edges() {
    differential(Budget::BackEdges, HostFeatures::detect(), cases());
}

/// Code for the x86-64 baseline, on a quarter of the cases: the forms the lowering takes
/// when an extension is missing (the test host has them, the code does not use them).
#[test]
fn translated_code_for_a_host_without_extensions_matches_the_interpreter() {
    differential(Budget::Exact, HostFeatures::NONE, cases() / 4);
}

fn differential(mode: Budget, host: HostFeatures, cases: u32) {
    // Failures are kept next to this file (cargo runs tests from the package root; the
    // default, a file parallel to the source, cannot find an integration test's crate root).
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "tests/differential.proptest-regressions",
        ))),
        ..Config::default()
    });
    let counts = Counts::default();
    let fused_before = translator::fusion_counts();
    let saved_before = translator::extension_counts();
    let joins_before = translator::join_count();
    let selects_before = translator::select_count();
    let unrolled_before = translator::unrolled_count();
    let inner_before = translator::inner_loop_count();
    let flags_before = translator::flags_count();
    let checks_before = translator::check_counts();
    let crossed_before = translator::crossed_counts();
    let indexed_before = translator::indexed_check_count();
    let strategy = (
        proptest::collection::vec(gen::gen(), 1..24),
        gen::start(),
        proptest::collection::vec(any::<u8>(), 1..4),
    );
    let result = runner.run(&strategy, |(gens, s, budgets)| {
        check(&gens, &s, &budgets, mode, host, Some(&counts))
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let (jit, interp) = (counts.jit.get(), counts.interp.get());
    let share = jit as f64 * 100.0 / (jit + interp).max(1) as f64;
    println!(
        "{cases} cases for {host:?}: {} instructions, {jit} in translated code ({share:.1}%), \
         {interp} interpreted",
        jit + interp
    );
    let helper = counts.helper.get();
    println!(
        "of those in translated code, {helper} ({:.1}%) through the interpreter's helper",
        helper as f64 * 100.0 / jit.max(1) as f64
    );
    let e = counts.ends.get();
    println!(
        "ended by ecall {}, ebreak {}, illegal {}, fault {}, misaligned {}, budget {}",
        e[0], e[1], e[2], e[3], e[4], e[5]
    );
    // Each fusion translated (other tests in this process may add to the counts, never
    // take from them): gen.rs makes every pattern on purpose.
    let fused: Vec<_> = translator::fusion_counts()
        .into_iter()
        .zip(fused_before)
        .map(|((name, n), (_, before))| (name, n - before))
        .collect();
    println!("fused pairs translated: {fused:?}");
    let overran = counts.overran.get();
    if mode == Budget::BackEdges {
        println!("{overran} slices ran past the interpreter's stop");
    }
    let saved: Vec<_> = translator::extension_counts()
        .into_iter()
        .zip(saved_before)
        .map(|((name, n), (_, before))| (name, n - before))
        .collect();
    println!("sign extensions known and not emitted: {saved:?}");
    if cases >= 1000 {
        // gen::lazy_chain makes these on purpose.
        // Both ways, in host registers and in slots.
        for way in [
            "*w results left unextended",
            "*w results computed in their slots",
        ] {
            assert!(
                saved.iter().any(|&(n, c)| n == way && c > 0),
                "the generator no longer makes {way}: {saved:?}"
            );
        }
    }
    // Forward branches lowered as jumps inside their block (gen::diamond_loop makes them).
    let joins = translator::join_count();
    let joins = (joins.0 - joins_before.0, joins.1 - joins_before.1);
    println!(
        "joined inside their block: forward branches {}, jumps over an else-part {}",
        joins.0, joins.1
    );
    // gen::select_loop makes branches over a few operations; an exact budget converts none.
    let selects = translator::select_count() - selects_before;
    println!("forward branches lowered as conditional moves: {selects}");
    if cases >= 1000 && mode == Budget::BackEdges {
        assert!(
            selects > 0,
            "the generator no longer makes branches lowered as conditional moves"
        );
    }
    // gen::unroll_loop makes small loops; an exact budget unrolls none.
    let unrolled = translator::unrolled_count() - unrolled_before;
    println!("copies of unrolled loop bodies closed inside their block: {unrolled}");
    if cases >= 1000 && mode == Budget::BackEdges {
        assert!(unrolled > 0, "the generator no longer makes loops unrolled");
    }
    // gen::inner_loops makes loops inside a superblock; an exact budget keeps none inside.
    let inner = translator::inner_loop_count() - inner_before;
    println!("branches back into their block lowered inside it: {inner}");
    if cases >= 1000 && mode == Budget::BackEdges {
        assert!(inner > 0, "the generator no longer makes inner loops");
    }
    // gen::zero_branch makes branches against zero right after their register's write.
    let flags = translator::flags_count() - flags_before;
    println!("branches against zero on the flags of the instruction before: {flags}");
    if cases >= 1000 {
        assert!(
            flags > 0,
            "the generator no longer makes branches reuse flags"
        );
    }
    // gen::lazy_exits makes `*w` results cross both unextended.
    let crossed = translator::crossed_counts();
    let crossed = (crossed.0 - crossed_before.0, crossed.1 - crossed_before.1);
    println!(
        "registers left unextended across branches out of their block {}, across accesses {}",
        crossed.0, crossed.1
    );
    if cases >= 1000 {
        assert!(
            crossed.0 > 0 && crossed.1 > 0,
            "the generator no longer leaves registers unextended across branches out and \
             accesses: {crossed:?}"
        );
    }
    // gen::one_base makes accesses near one already made through the same register.
    let checks = translator::check_counts();
    let checks = (checks.0 - checks_before.0, checks.1 - checks_before.1);
    println!(
        "limit checks translated {}, left out {} ({:.1}%)",
        checks.0,
        checks.1,
        checks.1 as f64 * 100.0 / (checks.0 + checks.1).max(1) as f64
    );
    // gen::table_lookups makes lookups into tables a lookup before reached.
    let indexed = translator::indexed_check_count() - indexed_before;
    println!("limit checks left out through a bounded table index: {indexed}");
    if cases >= 1000 {
        assert!(indexed > 0, "no table lookup was ever left unchecked");
    }
    let a = counts.alloc.get();
    println!(
        "blocks giving r14 to a guest register {}, rsi {}, displacing a mapped one {}; \
         dead writes dropped {}",
        a.instret_taken, a.rsi_taken, a.displaced, a.dead
    );
    println!(
        "blocks keeping FP writes in SSE registers {}, with guest accesses {}, with helper calls {}",
        a.fp_kept, a.fp_kept_accesses, a.fp_kept_helpers
    );
    println!(
        "region boundaries {}; blocks of several regions with accesses in a later one {}, \
         helper calls in a later one {}, looping {}",
        a.regions, a.late_accesses, a.late_helpers, a.looping_regions
    );
    if cases >= 1000 {
        // gen::regions makes these on purpose.
        assert!(
            a.regions > 0 && a.late_accesses > 0 && a.late_helpers > 0 && a.looping_regions > 0,
            "the generator no longer reaches every region case: {a:?}"
        );
        // The generator makes each on purpose (gen::pressure_loop); none means it stopped.
        assert!(
            a.instret_taken > 0 && a.rsi_taken > 0 && a.displaced > 0 && a.dead > 0,
            "the generator no longer reaches every allocation case: {a:?}"
        );
        // gen::fp_chain makes these on purpose.
        assert!(
            a.fp_kept > 0 && a.fp_kept_accesses > 0 && a.fp_kept_helpers > 0,
            "the generator no longer reaches every allocation case: {a:?}"
        );
    }
    if mode == Budget::BackEdges && cases >= 1000 {
        // Stops at back edges come after the exact ones on forward code: none means the
        // mode is not in force.
        assert!(overran > 0, "no slice ran past its exact stop");
    }
    assert!(
        share >= 90.0,
        "only {share:.1}% of the instructions ran in translated code (at least 90% must)"
    );
    assert!(
        joins.0 > 0 && joins.1 > 0,
        "no forward branch or no jump was ever joined inside its block: {joins:?}"
    );
    assert!(checks.1 > 0, "no limit check was ever left out");
    for (name, n) in fused {
        // andn is BMI1's.
        if host.bmi1 || !name.contains("andn") {
            assert!(n > 0, "the {name} fusion was never translated");
        }
    }
    // gen::extension makes each on purpose.
    for (name, n) in saved {
        assert!(n > 0, "no {name} was ever translated");
    }
}

/// ld from an unmapped page in the middle of a block: the same fault, at the same pc and
/// count, in both.
#[test]
fn a_trap_ends_the_comparison() {
    let code = [
        Insn::Addi(i(10, 0, 1)),
        Insn::Ld(isa_a::format::Load {
            rd: isa_a::XReg::new(11),
            rs1: isa_a::XReg::new(5),
            imm: 8,
        }),
        Insn::Addi(i(12, 0, 1)),
    ];
    let mut s = Start::zeroed();
    s.x[5] = 0x100;
    let (trap, cpu) = compare_code_for(&code, &s, 1000);
    match trap {
        Some(Trap::Fault(f)) => assert_eq!(f.addr, 0x108),
        t => panic!("{t:?}, not a load fault"),
    }
    assert_eq!(
        (cpu.pc, cpu.instret, cpu.x[10], cpu.x[12]),
        (CODE + 4, 1, 1, 0)
    );
}

/// An `andn` (lower/andn.rs) of a `*w` result left unextended whose own result is read only
/// by a `sext.w`: the result is left unextended in turn (lower/lazy.rs), so the `sext.w`
/// does its `movsxd` rather than copy what is known extended of the guest value.
#[test]
fn an_andn_of_one_left_unextended_is_left_unextended() {
    let code = [
        Insn::Addw(r(5, 5, 6)),
        Insn::Addiw(i(6, 6, 1)),
        Insn::Xori(i(7, 5, -1)),
        Insn::And(r(8, 7, 6)),
        Insn::Addiw(i(9, 8, 0)),
        Insn::Addi(i(5, 0, 3)),
        Insn::Addi(i(8, 0, 7)),
        Insn::Addi(i(7, 0, 7)),
    ];
    let mut s = Start::zeroed();
    // x's 32-bit sum negative, y negative.
    s.x[5] = 0x8000_0005;
    s.x[6] = -5i64 as u64;
    compare_code(&code, &s);
}

/// Runs `code` (then `ecall`) from `s` in both engines; the trap, `Cpu` and memory must agree.
fn compare_code(code: &[Insn], s: &Start) {
    compare_code_for(code, s, 1000);
}

/// [`compare_code`] with the budget `budget`; returns the trap and the `Cpu`.
fn compare_code_for(code: &[Insn], s: &Start, budget: u64) -> (Option<Trap>, Cpu) {
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
    (it, icpu)
}

/// `frflags x; f{eq,lt,le}.{d,s} y; fsflags x` lowered as one (lower/fp_flags.rs), with `x`
/// live and dead, on ordered operands, infinities, denormals, quiet and signalling NaNs, and
/// singles boxed and not: `y`, `x` and the flags as the interpreter has them, and no flag the
/// compare would raise left behind in MXCSR either (the `frflags` after an `fadd` reads it).
#[test]
fn quiet_compare_between_flags_reads() {
    use isa_a::format::{Csr, FCmp, FRrm, I};
    use isa_a::{FReg, Rm, XReg};
    let (x, f) = (XReg::new, FReg::new);
    let csr = |rd, rs1| Csr {
        rd: x(rd),
        rs1: x(rs1),
        csr: isa_a::csr::FFLAGS,
    };
    let cmp = FCmp {
        rd: x(11),
        rs1: f(1),
        rs2: f(2),
    };
    let compares = [
        Insn::FeqD(cmp),
        Insn::FltD(cmp),
        Insn::FleD(cmp),
        Insn::FeqS(cmp),
        Insn::FltS(cmp),
        Insn::FleS(cmp),
    ];
    let values: [u64; 11] = [
        1f64.to_bits(),
        (-0f64).to_bits(),
        f64::INFINITY.to_bits(),
        1e-310f64.to_bits(),
        f64::NAN.to_bits(),
        0x7ff4_0000_0000_0000, // signalling
        0xffff_ffff_3f80_0000, // 1.0f32, boxed
        0xffff_ffff_ff80_0000, // -inf f32, boxed
        0xffff_ffff_7fc0_0000, // quiet f32 NaN, boxed
        0xffff_ffff_7fa0_0000, // signalling f32 NaN, boxed
        0x0000_0000_3f80_0000, // 1.0f32, not boxed
    ];
    let names = |c: &[(&str, u64)]| -> Vec<u64> {
        c.iter()
            .filter(|(n, _)| n.starts_with("frflags+fcmp+fsflags"))
            .map(|&(_, h)| h)
            .collect()
    };
    let before = names(&translator::fusion_counts());
    for &compare in &compares {
        for dead in [false, true] {
            let mut code = vec![Insn::Csrrs(csr(10, 0)), compare, Insn::Csrrw(csr(0, 10))];
            if dead {
                code.push(Insn::Addi(I {
                    rd: x(10),
                    rs1: x(0),
                    imm: 7,
                }));
            }
            code.push(Insn::FaddD(FRrm {
                rd: f(3),
                rs1: f(4),
                rs2: f(4),
                rm: Rm::Dyn,
            }));
            code.push(Insn::Csrrs(csr(12, 0)));
            for (i, &a) in values.iter().enumerate() {
                for &b in &values {
                    let mut s = Start::zeroed();
                    s.fcsr = (i as u32 * 7) % 32;
                    s.f[1] = a;
                    s.f[2] = b;
                    s.f[4] = 1f64.to_bits();
                    compare_code(&code, &s);
                }
            }
        }
    }
    let after = names(&translator::fusion_counts());
    assert_eq!(before.len(), 2);
    for (b, a) in before.iter().zip(&after) {
        assert!(a > b, "the triple was not fused: {before:?} → {after:?}");
    }
}

#[test]
fn fflags_read_and_written_between_native_fp() {
    use isa_a::format::{Csr, CsrI};
    use isa_a::{FReg, XReg};
    let (x, f) = (XReg::new, FReg::new);
    let fp = common::fp_of;
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

/// `csrrc s11, time, zero` (a read of the host's clock, which gen.rs keeps out of random
/// code because it moves between the two runs): translated code reads the bus's clock when it
/// runs, as the interpreter does, so each value lies between readings taken around its run.
#[test]
fn rdtime_reads_the_clock_when_it_runs() {
    use isa_a::Bus;
    let read = Insn::Csrrc(isa_a::format::Csr {
        rd: isa_a::XReg::new(27),
        rs1: isa_a::XReg::new(0),
        csr: isa_a::csr::TIME,
    });
    let mut bytes = Vec::new();
    for i in [read, Insn::Ecall(isa_a::format::Nullary {})] {
        bytes.extend_from_slice(&i.encode().to_le_bytes());
    }
    let s = Start::zeroed();
    let (mut icpu, mut imem) = setup(&s, &bytes);
    let (mut jcpu, mut jmem) = setup(&s, &bytes);
    let mut engine = Engine::new(Mode::Jit, jmem.layout()).unwrap();
    let before = imem.time();
    let it = BlockCache::new().run(&mut icpu, &mut imem, 1000);
    let between = jmem.time();
    let jt = engine.run(&mut jcpu, &mut jmem, 1000);
    let after = jmem.time();
    assert_eq!((it, jt), (Some(Trap::Ecall), Some(Trap::Ecall)));
    assert!((before..=between).contains(&icpu.x[27]), "interpreter");
    assert!((between..=after).contains(&jcpu.x[27]), "translated");
    assert_eq!((icpu.pc, icpu.instret), (jcpu.pc, jcpu.instret));
    assert_eq!(
        engine.stats().insns_interp,
        0,
        "the read ran in translated code"
    );
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
/// superblock: its inner branch jumps to the join inside it when taken, and the budget may
/// run out at the inner block boundary (on either side) exactly where the interpreter's
/// check falls.
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

/// The taken edge of a join (lower/join.rs): `instret` read right after the join, a load
/// there that faults on the first pass (which takes the edge), values written before the
/// branch and read after the join, under every budget around the boundaries.
#[test]
fn a_join_counts_what_ran_on_the_taken_edge() {
    let ld = isa_a::format::Load {
        rd: isa_a::XReg::new(11),
        rs1: isa_a::XReg::new(28),
        imm: 8,
    };
    let rdinstret = isa_a::format::Csr {
        rd: isa_a::XReg::new(10),
        rs1: isa_a::XReg::new(0),
        csr: isa_a::csr::INSTRET,
    };
    let code = [
        Insn::Addi(i(5, 5, 1)),  // 0: t0 += 1
        Insn::Add(r(9, 9, 5)),   // 4: s1 += t0 (live across the skipped code)
        Insn::Andi(i(6, 5, 1)),  // 8: t1 = t0 & 1
        Insn::Beq(b(6, 0, 16)),  // 12: skip to 28 when t1 == 0
        Insn::Xor(r(18, 18, 9)), // 16: s2 ^= s1
        Insn::Addi(i(9, 18, 3)), // 20: s1 = s2 + 3
        Insn::Slli(isa_a::format::Shift {
            rd: isa_a::XReg::new(19),
            rs1: isa_a::XReg::new(9),
            shamt: 2,
        }), // 24
        Insn::Csrrs(rdinstret),  // 28: the join: a0 = instret
        Insn::Ld(ld),            // 32: a1 = [t3 + 8]
        Insn::Add(r(20, 20, 9)), // 36: s4 += s1
        Insn::Add(r(21, 21, 10)), // 40: s5 += a0
        Insn::Bne(b(5, 7, -44)), // 44: loop while t0 != t2
    ];
    for t3 in [SCRATCH + 0x100, 0x100] {
        for n in [2, 3, 8, 100] {
            for budget in 1..48 {
                let mut s = Start::zeroed();
                s.x[5] = 1;
                s.x[7] = n;
                s.x[28] = t3;
                compare_code_for(&code, &s, budget);
            }
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
            csr: isa_a::csr::FFLAGS,
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

/// A write of a rounding mode x86 lacks in the middle of a block leaves translated code
/// there; the rest of the interpreter's block (up to its block end, or its 64th instruction)
/// still runs before the budget is looked at, as the interpreter does.
#[test]
fn a_rounding_the_host_lacks_written_mid_block_runs_the_rest_of_the_block() {
    use isa_a::format::CsrI;
    for frm in [4, 5, 7] {
        for tail in [1, 2, 60, 70] {
            let mut code = vec![Insn::Addi(i(10, 10, 1)); 3];
            code.push(Insn::Csrrwi(CsrI {
                rd: isa_a::XReg::new(13),
                uimm: frm,
                csr: isa_a::csr::FRM,
            }));
            code.extend(vec![Insn::Addi(i(11, 11, 1)); tail]);
            for budget in [1, 3, 4, 5, 64, 65, 100] {
                compare_code_for(&code, &Start::zeroed(), budget);
            }
        }
    }
}

/// A `*w` result left unextended across a branch out of its loop that compares it with
/// another register (lazy.rs): the comparison reads it whole, so it is extended before. The
/// loop runs until its value turns negative, where a zero-extended one would not compare
/// less than zero.
#[test]
fn a_branch_out_compares_a_word_result_whole() {
    let code = [
        Insn::Addi(i(11, 11, -1)), // 0: a1 -= 1
        Insn::Addw(r(10, 11, 12)), // 4: a0 = a1 + a2 (32 bits)
        Insn::Blt(b(10, 13, 16)),  // 8: out to the ecall when a0 < a3
        Insn::Addw(r(10, 10, 12)), // 12: a0 made again from its low half
        Insn::Addi(i(5, 5, -1)),   // 16: t0 -= 1
        Insn::Bne(b(5, 0, -20)),   // 20: back while t0 != 0
    ];
    for a3 in [0, 5, -3] {
        let mut s = Start::zeroed();
        s.x[5] = 1000;
        s.x[11] = 300;
        s.x[12] = 7;
        s.x[13] = a3 as u64;
        let (trap, cpu) = compare_code_for(&code, &s, 2000);
        assert_eq!(trap, Some(Trap::Ecall));
        assert!(cpu.x[5] > 0, "the loop left through its branch out");
    }
}

/// A loop whose `mulw`/`addw` results cross its load unextended (lazy.rs) until the load
/// faults past the end of the scratch region: the fault hands the interpreter their
/// sign-extended values.
#[test]
fn a_fault_extends_the_word_results_left_unextended_across_it() {
    let lw = isa_a::format::Load {
        rd: isa_a::XReg::new(11),
        rs1: isa_a::XReg::new(13),
        imm: 0,
    };
    let code = [
        Insn::Mulw(r(15, 11, 11)), // 0: a5 = a1 * a1 (32 bits)
        Insn::Addw(r(12, 12, 15)), // 4: a2 += a5 (32 bits)
        Insn::Lw(lw),              // 8: a1 = [a3], past the end after `trips`
        Insn::Addi(i(13, 13, 4)),  // 12: a3 += 4
        Insn::Bne(b(13, 14, -16)), // 16: back while a3 != a4
    ];
    for trips in [3, 50, 300] {
        let mut s = Start::zeroed();
        s.x[11] = 50_000;
        s.x[12] = 0x1234_5678_9abc_def0;
        s.x[13] = SCRATCH_END - 4 * trips;
        s.x[14] = u64::MAX;
        match compare_code_for(&code, &s, 2000).0 {
            Some(Trap::Fault(f)) => assert_eq!(f.addr, SCRATCH_END),
            t => panic!("{t:?}, not a load fault"),
        }
    }
}

/// A load straddling the end of memory from a page the guest may not read faults at its first
/// byte in both (the interpreter's memory used to name the end of memory).
#[test]
fn an_access_past_the_end_of_memory_faults_at_the_first_page_it_may_not_touch() {
    let code = [Insn::Ld(isa_a::format::Load {
        rd: isa_a::XReg::new(11),
        rs1: isa_a::XReg::new(5),
        imm: 0,
    })];
    let mut s = Start::zeroed();
    s.x[5] = MEM as u64 - 3;
    match compare_code_for(&code, &s, 10).0 {
        Some(Trap::Fault(f)) => assert_eq!(f.addr, MEM as u64 - 3),
        t => panic!("{t:?}, not a load fault"),
    }
}
