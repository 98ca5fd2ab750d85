//! Returns predicted by the return-address stack (lower/calls.rs): they stay in translated code where
//! the lookup table would send them to the dispatcher, and every return the stack does not
//! predict (ra changed, a longjmp-like jump to an outer caller, recursion deeper than the
//! stack) still lands where the interpreter says.

use isa_a::format::{Load, Nullary, B, I, J};
use isa_a::{BlockCache, Cpu, Insn, Trap, XReg};
use translator::{Engine, Mode, Stats, TestMemory};

const RA: XReg = XReg::new(1);
const SP: XReg = XReg::new(2);
const T0: XReg = XReg::new(5);
const S0: XReg = XReg::new(8);
const A0: XReg = XReg::new(10);
const Z: XReg = XReg::ZERO;

fn addi(rd: XReg, rs1: XReg, imm: i32) -> Insn {
    Insn::Addi(I { rd, rs1, imm })
}

fn jal(rd: XReg, from: u64, to: u64) -> Insn {
    Insn::Jal(J {
        rd,
        off: (to as i64 - from as i64) as i32,
    })
}

fn jalr(rd: XReg, rs1: XReg) -> Insn {
    Insn::Jalr(Load { rd, rs1, imm: 0 })
}

fn ret() -> Insn {
    jalr(Z, RA)
}

fn bne(rs1: XReg, from: u64, to: u64) -> Insn {
    Insn::Bne(B {
        rs1,
        rs2: Z,
        off: (to as i64 - from as i64) as i32,
    })
}

fn ld(rd: XReg, rs1: XReg, imm: i32) -> Insn {
    Insn::Ld(Load { rd, rs1, imm })
}

fn sd(rs2: XReg, rs1: XReg, imm: i32) -> Insn {
    Insn::Sd(isa_a::format::Store { rs1, rs2, imm })
}

const ECALL: Insn = Insn::Ecall(Nullary {});

/// Loads `code` (pieces by address) into two memories and runs it from `pc` (with `s0 = n`,
/// `sp` near the top of memory) to its `ecall`, translated and interpreted: both must end
/// alike. Returns the engine's stats and a0.
fn run(code: &[(u64, &[Insn])], pc: u64, n: u64) -> (Stats, u64) {
    let load = || {
        let mut mem = TestMemory::new(1 << 16);
        for &(at, insns) in code {
            mem.load_code(at, insns);
        }
        mem
    };
    let (mut jmem, mut imem) = (load(), load());
    let mut engine = Engine::new(Mode::Jit, jmem.layout()).unwrap();
    let start = || {
        let mut cpu = Cpu::new(pc);
        cpu.x[S0.num()] = n;
        cpu.x[SP.num()] = 0xf000;
        cpu
    };
    let (mut jcpu, mut icpu) = (start(), start());
    assert_eq!(engine.run(&mut jcpu, &mut jmem, 1 << 40), Some(Trap::Ecall));
    assert_eq!(
        BlockCache::new().run(&mut icpu, &mut imem, 1 << 40),
        Some(Trap::Ecall)
    );
    assert_eq!(jcpu, icpu);
    assert!(jmem.bytes() == imem.bytes());
    (engine.stats(), jcpu.x[A0.num()])
}

/// Two call sites of one function whose return addresses (0x1004, 0x3004) share a slot of
/// the lookup table: without the return-address stack each return evicted the other's entry and went
/// through the dispatcher.
#[test]
fn returns_that_collide_in_the_lookup_table_stay_translated() {
    let c1000: &[Insn] = &[jal(RA, 0x1000, 0x5000), jal(Z, 0x1004, 0x3000)];
    let c3000: &[Insn] = &[
        jal(RA, 0x3000, 0x5000),
        addi(S0, S0, -1),
        Insn::Beq(B {
            rs1: S0,
            rs2: Z,
            off: 8,
        }),
        jal(Z, 0x300c, 0x1000),
        ECALL,
    ];
    let c5000: &[Insn] = &[addi(A0, A0, 1), ret()];
    let (s, a0) = run(
        &[(0x1000, c1000), (0x3000, c3000), (0x5000, c5000)],
        0x1000,
        1000,
    );
    assert_eq!(a0, 2000);
    assert!(s.indirect_misses <= 2, "{s:?}");
    assert!(s.jit_entries <= 10, "{s:?}");
}

/// The t0 form of calls and returns is predicted too.
#[test]
fn t0_links_calls_and_returns() {
    let c1000: &[Insn] = &[jal(T0, 0x1000, 0x5000), jal(Z, 0x1004, 0x3000)];
    let c3000: &[Insn] = &[
        jal(T0, 0x3000, 0x5000),
        addi(S0, S0, -1),
        Insn::Beq(B {
            rs1: S0,
            rs2: Z,
            off: 8,
        }),
        jal(Z, 0x300c, 0x1000),
        ECALL,
    ];
    let c5000: &[Insn] = &[addi(A0, A0, 1), jalr(Z, T0)];
    let (s, a0) = run(
        &[(0x1000, c1000), (0x3000, c3000), (0x5000, c5000)],
        0x1000,
        1000,
    );
    assert_eq!(a0, 2000);
    assert!(s.indirect_misses <= 2, "{s:?}");
}

/// The callee moves ra on (returns past its call's next instruction), every other time: the
/// top entry does not match, the lookup table takes the return, and the stack stays usable.
#[test]
fn a_callee_that_changes_ra_returns_where_it_says() {
    let c1000: &[Insn] = &[
        jal(RA, 0x1000, 0x5000),
        addi(A0, A0, 1000), // skipped when f moved ra on
        addi(S0, S0, -1),
        bne(S0, 0x100c, 0x1000),
        ECALL,
    ];
    // f: a0 += 1; if s0 is odd, ra += 4.
    let c5000: &[Insn] = &[
        addi(A0, A0, 1),
        Insn::Andi(I {
            rd: T0,
            rs1: S0,
            imm: 1,
        }),
        Insn::Beq(B {
            rs1: T0,
            rs2: Z,
            off: 8,
        }),
        addi(RA, RA, 4),
        ret(),
    ];
    let (_, a0) = run(&[(0x1000, c1000), (0x5000, c5000)], 0x1000, 100);
    assert_eq!(a0, 100 + 50 * 1000);
}

/// main calls f, f calls g, g returns straight to main's return site (as longjmp does, with
/// ra from f's frame): the entries of f's call are left behind, and later calls still
/// return right.
#[test]
fn a_return_past_a_frame_lands_right() {
    let c1000: &[Insn] = &[
        jal(RA, 0x1000, 0x5000), // f
        addi(A0, A0, 1),
        addi(S0, S0, -1),
        bne(S0, 0x100c, 0x1000),
        ECALL,
    ];
    // f: save ra, call g, a0 += 1000 (never reached), return.
    let c5000: &[Insn] = &[
        addi(SP, SP, -16),
        sd(RA, SP, 0),
        jal(RA, 0x5008, 0x6000),
        addi(A0, A0, 1000),
        ret(),
    ];
    // g: a0 += 10; pop f's frame and return to f's caller.
    let c6000: &[Insn] = &[addi(A0, A0, 10), ld(RA, SP, 0), addi(SP, SP, 16), ret()];
    let (_, a0) = run(
        &[(0x1000, c1000), (0x5000, c5000), (0x6000, c6000)],
        0x1000,
        50,
    );
    assert_eq!(a0, 50 * 11);
}

/// Recursion 300 deep, 16 bytes of stack a level: past the return-address stack's depth, so
/// its entries are overwritten on the way down.
#[test]
fn recursion_deeper_than_the_stack_returns_right() {
    let c1000: &[Insn] = &[jal(RA, 0x1000, 0x5000), ECALL];
    // r(s0): if s0 == 0 return; push ra; s0 -= 1; r(s0); a0 += 1; pop ra; return.
    let c5000: &[Insn] = &[
        Insn::Beq(B {
            rs1: S0,
            rs2: Z,
            off: 32,
        }),
        addi(SP, SP, -16),
        sd(RA, SP, 0),
        addi(S0, S0, -1),
        jal(RA, 0x5010, 0x5000),
        addi(A0, A0, 1),
        ld(RA, SP, 0),
        addi(SP, SP, 16),
        ret(),
    ];
    let (_, a0) = run(&[(0x1000, c1000), (0x5000, c5000)], 0x1000, 300);
    assert_eq!(a0, 300);
}

/// A loop calling a leaf function (one block ending in `ret`, not writing ra) is one
/// superblock: the call, the leaf and the return are followed inline, and the loop branches
/// back to its own start.
#[test]
fn a_loop_calling_a_leaf_is_one_superblock() {
    let c1000: &[Insn] = &[
        jal(RA, 0x1000, 0x5000),
        addi(S0, S0, -1),
        bne(S0, 0x1008, 0x1000),
        ECALL,
    ];
    let c5000: &[Insn] = &[addi(A0, A0, 3), ret()];
    let (s, a0) = run(&[(0x1000, c1000), (0x5000, c5000)], 0x1000, 1000);
    assert_eq!(a0, 3000);
    // The loop, and the ecall after it.
    assert_eq!(s.blocks_translated, 2, "{s:?}");
    assert_eq!(s.indirect_misses, 0, "{s:?}");
}

/// A leaf that writes ra, or returns through another register, or is more than one block,
/// is not followed; every budget stops translated code where the interpreter stops, inside
/// the followed leaf too.
#[test]
fn leaves_are_followed_only_when_their_return_is_known_and_stop_exactly() {
    let leaves: [&[Insn]; 4] = [
        &[addi(A0, A0, 3), addi(T0, T0, 1), ret()],
        &[addi(A0, A0, 3), addi(RA, RA, 0), ret()],
        &[addi(A0, A0, 3), jalr(Z, T0)],
        &[
            Insn::Beq(B {
                rs1: A0,
                rs2: Z,
                off: 8,
            }),
            addi(A0, A0, 3),
            ret(),
        ],
    ];
    for (k, leaf) in leaves.iter().enumerate() {
        let c1000: &[Insn] = &[
            addi(T0, Z, 0x10),
            jal(RA, 0x1004, 0x5000),
            addi(S0, S0, -1),
            bne(S0, 0x100c, 0x1004),
            ECALL,
        ];
        for budgets in [[1u64, 2, 3], [5, 7, 11], [1, 4, 9]] {
            let load = || {
                let mut mem = TestMemory::new(1 << 16);
                mem.load_code(0x1000, c1000);
                mem.load_code(0x5000, leaf);
                mem
            };
            let (mut jmem, mut imem) = (load(), load());
            let mut engine = Engine::new(Mode::Jit, jmem.layout()).unwrap();
            let mut interp = BlockCache::new();
            let (mut jcpu, mut icpu) = (Cpu::new(0x1000), Cpu::new(0x1000));
            jcpu.x[S0.num()] = 20;
            icpu.x[S0.num()] = 20;
            for (step, &b) in budgets.iter().cycle().enumerate() {
                let jt = engine.run(&mut jcpu, &mut jmem, b);
                let it = interp.run(&mut icpu, &mut imem, b);
                assert_eq!(jt, it, "leaf {k}, budgets {budgets:?}, step {step}");
                assert_eq!(jcpu, icpu, "leaf {k}, budgets {budgets:?}, step {step}");
                if it.is_some() {
                    break;
                }
            }
        }
    }
}
