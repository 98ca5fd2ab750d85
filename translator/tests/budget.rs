//! Budgets checked at back edges only (`Budget::BackEdges`, lower/budget.rs): guest loops made
//! of every kind of back edge (a block's end, a jump inside a superblock, a loop back to a
//! block's own start, a leaf's return, an indirect jump) still give the dispatcher back
//! control within a cycle of their budget, with instret exact; code running forward only
//! runs past its budget to the next back edge.

use isa_a::format::{Load, B, I, J};
use isa_a::{BlockCache, Cpu, Insn, XReg};
use std::sync::mpsc;
use std::time::Duration;
use translator::{Budget, Engine, Mode, TestMemory};

const RA: XReg = XReg::new(1);
const T0: XReg = XReg::new(5);
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

fn bne(from: u64, to: u64) -> Insn {
    Insn::Bne(B {
        rs1: A0,
        rs2: Z,
        off: (to as i64 - from as i64) as i32,
    })
}

/// Guest code: pieces of instructions by address, the first where it starts.
type Code = Vec<(u64, Vec<Insn>)>;

/// Loops that never end, by the kind of edge that closes them.
fn loops() -> Vec<(&'static str, Code)> {
    vec![
        // `j .`: a block jumping to its own start.
        ("self jump", vec![(0x1000, vec![jal(Z, 0x1000, 0x1000)])]),
        // A loop branch at a block's end, its fall-through never taken.
        (
            "branch",
            vec![(
                0x1000,
                vec![addi(A0, Z, 1), addi(T0, T0, 1), bne(0x1008, 0x1004)],
            )],
        ),
        // Down through a jump the superblock follows, up again by a branch back to the
        // superblock's start: the only back edge is inside it.
        (
            "jump inside a superblock",
            vec![
                (0x1800, vec![addi(T0, T0, 1), jal(Z, 0x1804, 0x1000)]),
                (0x1000, vec![addi(A0, Z, 1), bne(0x1004, 0x1800)]),
            ],
        ),
        // A call of a leaf placed below its caller, inside the superblock, and a jump back.
        (
            "leaf call",
            vec![
                (
                    0x1800,
                    vec![jal(RA, 0x1800, 0x1000), jal(Z, 0x1804, 0x1800)],
                ),
                (
                    0x1000,
                    vec![
                        addi(T0, T0, 1),
                        Insn::Jalr(Load {
                            rd: Z,
                            rs1: RA,
                            imm: 0,
                        }),
                    ],
                ),
            ],
        ),
        // An indirect jump to its own block.
        (
            "indirect jump",
            vec![(
                0x1000,
                vec![
                    addi(T0, Z, 0x100),
                    Insn::Slli(isa_a::format::Shift {
                        rd: T0,
                        rs1: T0,
                        shamt: 4,
                    }),
                    Insn::Jalr(Load {
                        rd: Z,
                        rs1: T0,
                        imm: 0,
                    }),
                ],
            )],
        ),
    ]
}

fn memory(code: &Code) -> TestMemory {
    let mut mem = TestMemory::new(1 << 16);
    for (at, insns) in code {
        mem.load_code(*at, insns);
    }
    mem
}

/// Runs `code` from its first piece for `slices` slices of `budget` instructions in the
/// engine, on a thread of its own: the engine must come back from each within seconds.
/// Returns its `Cpu` and instret after each slice.
fn run_slices(code: Code, budget: u64, mode: Budget, slices: usize) -> (Cpu, Vec<u64>) {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut mem = memory(&code);
        let mut engine = Engine::new(Mode::Jit, mem.layout()).unwrap();
        engine.set_budget(mode);
        let mut cpu = Cpu::new(code[0].0);
        let mut counts = Vec::new();
        for _ in 0..slices {
            assert_eq!(engine.run(&mut cpu, &mut mem, budget), None);
            counts.push(cpu.instret);
        }
        let _ = tx.send((cpu, counts));
    });
    rx.recv_timeout(Duration::from_secs(20))
        .unwrap_or_else(|_| panic!("the engine did not come back from a loop ({mode:?})"))
}

/// Two slices (the first translates as it goes, the second runs chained code).
fn run(code: Code, budget: u64, mode: Budget) -> Cpu {
    run_slices(code, budget, mode, 2).0
}

#[test]
fn every_kind_of_loop_gives_control_back() {
    for (name, code) in loops() {
        for mode in [Budget::Exact, Budget::BackEdges] {
            for budget in [1, 7, 1000] {
                let cpu = run(code.clone(), budget, mode);
                // Where the interpreter stops after the same two slices: exactly there in
                // exact mode, at most one trip round the loop later at back edges.
                let (mut icpu, mut imem) = (Cpu::new(code[0].0), memory(&code));
                let mut interp = BlockCache::new();
                for _ in 0..2 {
                    interp.run(&mut icpu, &mut imem, budget);
                }
                match mode {
                    Budget::Exact => assert_eq!(cpu, icpu, "{name}, budget {budget}"),
                    Budget::BackEdges => {
                        assert!(
                            cpu.instret >= icpu.instret && cpu.instret < icpu.instret + 2 * 8,
                            "{name}, budget {budget}: stopped at {} (the interpreter at {})",
                            cpu.instret,
                            icpu.instret
                        );
                        // Counted exactly: the interpreter reaches the same state there.
                        let far = cpu.instret - icpu.instret;
                        interp.run(&mut icpu, &mut imem, far);
                        assert_eq!(cpu, icpu, "{name}, budget {budget}");
                    }
                }
            }
        }
    }
}

/// Straight-line blocks chained forward round a loop: with budgets at back edges a slice runs
/// on past its budget to the loop's branch; exact, it stops at the first block boundary.
#[test]
fn forward_code_runs_to_the_back_edge() {
    let mut code = Vec::new();
    // Ten blocks, each one instruction and a forward jump to the next, then a loop branch.
    for k in 0..10u64 {
        let at = 0x1000 + k * 0x100;
        code.push((at, vec![addi(T0, T0, 1), jal(Z, at + 4, at + 0x100)]));
    }
    code.push((0x1a00, vec![addi(A0, Z, 1), bne(0x1a04, 0x1000)]));
    let (_, exact) = run_slices(code.clone(), 30, Budget::Exact, 40);
    let (loose, counts) = run_slices(code, 30, Budget::BackEdges, 40);
    // Once all is translated and chained, an exact slice of 30 instructions ends at the first
    // block boundary after them; at back edges it goes on to the loop's branch, round the
    // 22-instruction loop twice.
    assert!(exact[39] - exact[38] < 32, "{exact:?}");
    assert_eq!((counts[39] - counts[38], loose.pc), (44, 0x1000));
}
