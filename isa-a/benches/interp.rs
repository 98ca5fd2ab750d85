//! Interpreter throughput: guest instructions per second on small integer loops.
//!
//! `cargo bench -p isa-a --bench interp`. Each workload is assembled with `Insn::encode` (plus a
//! few hand-encoded compressed words, each checked against the decoder) into a `FlatMemory`,
//! run by `BlockCache::run` until its final `ecall`, and checked against the same computation
//! done in Rust, so a broken interpreter cannot report a fast wrong answer. Set
//! `MIMIC_BENCH_RUNS` to change the number of timed runs per workload (default 7).

use isa_a::format::{Load, Shift, Store, B, I, J, R, U};
use isa_a::{decode, BlockCache, Cpu, Decoded, FlatMemory, Insn, Trap, XReg};
use std::time::{Duration, Instant};

const CODE: u64 = 0x1_0000;
const DATA: u64 = 0x10_0000;
const MEM_LEN: usize = 0x20_0000;

fn x(n: u32) -> XReg {
    XReg::new(n)
}
const ZERO: u32 = 0;
const RA: u32 = 1;
const T0: u32 = 5;
const S0: u32 = 8;
const S1: u32 = 9;
const A0: u32 = 10;
const A1: u32 = 11;
const A2: u32 = 12;
const A3: u32 = 13;
const A4: u32 = 14;
const A5: u32 = 15;
const A6: u32 = 16;
const A7: u32 = 17;

/// A tiny assembler: appends encoded instructions and knows the address of the next one.
struct Asm {
    code: Vec<u8>,
}

impl Asm {
    fn new() -> Asm {
        Asm { code: Vec::new() }
    }
    fn pc(&self) -> u64 {
        CODE + self.code.len() as u64
    }
    fn emit(&mut self, insn: Insn) {
        self.code.extend_from_slice(&insn.encode().to_le_bytes());
    }
    /// A compressed word, checked to expand to `expect`.
    fn emit_c(&mut self, half: u16, expect: Insn) {
        assert_eq!(
            decode(half as u32),
            Ok(Decoded {
                insn: expect,
                len: 2
            }),
            "0x{half:04x}"
        );
        self.code.extend_from_slice(&half.to_le_bytes());
    }
    fn addi(&mut self, rd: u32, rs1: u32, imm: i32) {
        self.emit(Insn::Addi(I {
            rd: x(rd),
            rs1: x(rs1),
            imm,
        }));
    }
    fn r(&mut self, op: fn(R) -> Insn, rd: u32, rs1: u32, rs2: u32) {
        self.emit(op(R {
            rd: x(rd),
            rs1: x(rs1),
            rs2: x(rs2),
        }));
    }
    /// `li rd, v` for a value that fits in 31 bits: `lui` + `addi`.
    fn li(&mut self, rd: u32, v: i64) {
        assert!((0..0x7fff_f000).contains(&v));
        let hi = (v + 0x800) & !0xfff;
        self.emit(Insn::Lui(U {
            rd: x(rd),
            imm: hi as i32,
        }));
        self.addi(rd, rd, (v - hi) as i32);
    }
    /// A branch to an earlier (or any known) address.
    fn bne(&mut self, rs1: u32, rs2: u32, target: u64) {
        let off = target.wrapping_sub(self.pc()) as i64 as i32;
        self.emit(Insn::Bne(B {
            rs1: x(rs1),
            rs2: x(rs2),
            off,
        }));
    }
    fn jal(&mut self, rd: u32, target: u64) {
        let off = target.wrapping_sub(self.pc()) as i64 as i32;
        self.emit(Insn::Jal(J { rd: x(rd), off }));
    }
    fn ret_via(&mut self, rs1: u32) {
        self.emit(Insn::Jalr(Load {
            rd: x(ZERO),
            rs1: x(rs1),
            imm: 0,
        }));
    }
    fn ecall(&mut self) {
        self.emit(Insn::Ecall(isa_a::format::Nullary {}));
    }
}

// Compressed encodings, written out from the RVC tables of the ISA manual.

/// `c.addi rd, imm` (imm in -32..=31, nonzero).
fn c_addi(rd: u32, imm: i32) -> u16 {
    let i = imm as u32 & 0x3f;
    ((i >> 5) << 12 | rd << 7 | (i & 0x1f) << 2 | 0b01) as u16
}
/// `c.add rd, rs2`.
fn c_add(rd: u32, rs2: u32) -> u16 {
    (0b1001 << 12 | rd << 7 | rs2 << 2 | 0b10) as u16
}
/// `c.ld rd', uimm(rs1')` / `c.sd rs2', uimm(rs1')`: registers x8..x15, uimm a multiple of 8.
fn c_ld_sd(funct3: u32, r: u32, rs1: u32, uimm: u32) -> u16 {
    assert!((8..16).contains(&r) && (8..16).contains(&rs1) && uimm.is_multiple_of(8) && uimm < 256);
    (funct3 << 13 | ((uimm >> 3) & 7) << 10 | (rs1 - 8) << 7 | (uimm >> 6) << 5 | (r - 8) << 2)
        as u16
}
fn c_ld(rd: u32, rs1: u32, uimm: u32) -> u16 {
    c_ld_sd(0b011, rd, rs1, uimm)
}
fn c_sd(rs2: u32, rs1: u32, uimm: u32) -> u16 {
    c_ld_sd(0b111, rs2, rs1, uimm)
}
/// `c.jr rs1` (`c.jr ra` is `ret`).
fn c_jr(rs1: u32) -> u16 {
    (0b1000 << 12 | rs1 << 7 | 0b10) as u16
}

/// Asserts that a run ended in the expected state.
type Check = Box<dyn Fn(&Cpu, &FlatMemory)>;

/// A program, where it starts, and how to check the state it ends in.
struct Workload {
    name: &'static str,
    code: Vec<u8>,
    entry: u64,
    /// Fills guest data memory before a run.
    init: fn(&mut FlatMemory),
    /// Checks the final state.
    check: Check,
    /// Instructions executed, the final `ecall` included (it traps, so it does not retire).
    insns: u64,
}

/// (a) A tight ALU loop: one 8-instruction block per iteration.
fn alu_loop() -> Workload {
    const N: u64 = 4_000_000;
    let mut a = Asm::new();
    a.li(A1, N as i64);
    a.addi(A0, ZERO, 0);
    a.addi(A2, ZERO, 1);
    let top = a.pc();
    a.addi(A2, A2, 7);
    a.r(Insn::Add, A0, A0, A2);
    a.r(Insn::Xor, A0, A0, A1);
    a.emit(Insn::Slli(Shift {
        rd: x(A3),
        rs1: x(A0),
        shamt: 3,
    }));
    a.r(Insn::Add, A0, A0, A3);
    a.emit(Insn::Xori(I {
        rd: x(A0),
        rs1: x(A0),
        imm: -1365,
    }));
    a.addi(A1, A1, -1);
    a.bne(A1, ZERO, top);
    a.ecall();

    let (mut a0, mut a1, mut a2) = (0u64, N, 1u64);
    while a1 != 0 {
        a2 = a2.wrapping_add(7);
        a0 = a0.wrapping_add(a2) ^ a1;
        a0 = a0.wrapping_add(a0 << 3) ^ (-1365i64 as u64);
        a1 -= 1;
    }
    Workload {
        name: "alu",
        code: a.code,
        entry: CODE,
        init: |_| {},
        check: Box::new(move |cpu, _| assert_eq!(cpu.x[A0 as usize], a0, "alu: a0")),
        insns: 4 + 8 * N + 1,
    }
}

/// (b) A memory loop: loads and stores over an array, half of them compressed.
fn mem_loop() -> Workload {
    const ELEMS: u64 = 4096; // 32 KiB: stays in the host's L1/L2
    const REPS: u64 = 1500;
    let mut a = Asm::new();
    a.li(S0, DATA as i64);
    a.li(A1, (DATA + 8 * ELEMS) as i64);
    a.addi(A2, ZERO, 0);
    a.addi(A5, ZERO, REPS as i32);
    let outer = a.pc();
    a.addi(A0, S0, 0);
    let inner = a.pc();
    let rd = |r: u32, o: i32| {
        Insn::Ld(Load {
            rd: x(r),
            rs1: x(A0),
            imm: o,
        })
    };
    let st = |r: u32, o: i32| {
        Insn::Sd(Store {
            rs1: x(A0),
            rs2: x(r),
            imm: o,
        })
    };
    let addi = |r: u32, imm: i32| {
        Insn::Addi(I {
            rd: x(r),
            rs1: x(r),
            imm,
        })
    };
    a.emit_c(c_ld(A3, A0, 0), rd(A3, 0));
    a.emit_c(
        c_add(A2, A3),
        Insn::Add(R {
            rd: x(A2),
            rs1: x(A2),
            rs2: x(A3),
        }),
    );
    a.emit_c(c_addi(A3, 3), addi(A3, 3));
    a.emit_c(c_sd(A3, A0, 0), st(A3, 0));
    a.emit(rd(A4, 8));
    a.r(Insn::Xor, A2, A2, A4);
    a.emit(Insn::Slli(Shift {
        rd: x(A4),
        rs1: x(A4),
        shamt: 1,
    }));
    a.emit(st(A4, 8));
    a.emit_c(c_addi(A0, 16), addi(A0, 16));
    a.bne(A0, A1, inner);
    a.addi(A5, A5, -1);
    a.bne(A5, ZERO, outer);
    a.ecall();

    fn init(m: &mut FlatMemory) {
        let bytes: Vec<u8> = (0..ELEMS)
            .flat_map(|i| (i * 0x9e37_79b9).to_le_bytes())
            .collect();
        m.write_bytes(DATA, &bytes);
    }
    let mut arr: Vec<u64> = (0..ELEMS).map(|i| i * 0x9e37_79b9).collect();
    let mut sum = 0u64;
    for _ in 0..REPS {
        for i in (0..ELEMS as usize).step_by(2) {
            sum = sum.wrapping_add(arr[i]);
            arr[i] = arr[i].wrapping_add(3);
            sum ^= arr[i + 1];
            arr[i + 1] = arr[i + 1].wrapping_shl(1);
        }
    }
    Workload {
        name: "mem",
        code: a.code,
        entry: CODE,
        init,
        check: Box::new(move |cpu, m| {
            assert_eq!(cpu.x[A2 as usize], sum, "mem: sum");
            let last = (DATA + 8 * (ELEMS - 1) - m.base) as usize;
            let got = u64::from_le_bytes(m.bytes[last..last + 8].try_into().unwrap());
            assert_eq!(got, arr[ELEMS as usize - 1], "mem: last element");
        }),
        insns: 6 + REPS * (3 + 10 * ELEMS / 2) + 1,
    }
}

/// (c) Multiplies and divides, signed and unsigned, 64- and 32-bit.
fn muldiv_loop() -> Workload {
    const N: u64 = 2_000_000;
    let mut a = Asm::new();
    a.li(A1, N as i64);
    a.addi(A0, ZERO, 0);
    a.li(A2, 0x1234_5678);
    a.addi(A5, ZERO, 7);
    let top = a.pc();
    a.r(Insn::Mul, A3, A1, A2);
    a.addi(A3, A3, 1021);
    a.r(Insn::Divu, A4, A3, A5);
    a.r(Insn::Remu, A6, A3, A5);
    a.r(Insn::Add, A0, A0, A4);
    a.r(Insn::Xor, A0, A0, A6);
    a.r(Insn::Div, A7, A0, A1);
    a.r(Insn::Mulh, A6, A0, A2);
    a.r(Insn::Add, A0, A0, A7);
    a.r(Insn::Divw, A7, A0, A5);
    a.r(Insn::Sub, A0, A0, A6);
    a.r(Insn::Mulw, A7, A7, A1);
    a.r(Insn::Add, A0, A0, A7);
    a.addi(A1, A1, -1);
    a.bne(A1, ZERO, top);
    a.ecall();

    let (mut a0, mut a1, a2, a5) = (0u64, N, 0x1234_5678u64, 7u64);
    let sext32 = |v: u64| v as u32 as i32 as i64 as u64;
    while a1 != 0 {
        let a3 = a1.wrapping_mul(a2).wrapping_add(1021);
        a0 = a0.wrapping_add(a3 / a5) ^ (a3 % a5);
        let q = (a0 as i64).wrapping_div(a1 as i64) as u64;
        let hi = ((a0 as i64 as i128 * a2 as i64 as i128) >> 64) as u64;
        a0 = a0.wrapping_add(q);
        let w = sext32((a0 as i32).wrapping_div(a5 as i32) as u64);
        a0 = a0.wrapping_sub(hi);
        let w = sext32(w.wrapping_mul(a1));
        a0 = a0.wrapping_add(w);
        a1 -= 1;
    }
    Workload {
        name: "muldiv",
        code: a.code,
        entry: CODE,
        init: |_| {},
        check: Box::new(move |cpu, _| assert_eq!(cpu.x[A0 as usize], a0, "muldiv: a0")),
        insns: 6 + 15 * N + 1,
    }
}

/// (d) Calls and returns: blocks of one to three instructions, half the exits indirect.
fn call_loop() -> Workload {
    const N: u64 = 1_500_000;
    let mut a = Asm::new();
    // leaf: a0 += 1; ret
    let leaf = a.pc();
    a.addi(A0, A0, 1);
    a.ret_via(RA);
    // twice: a0 ^= s1; call leaf (keeping ra in t0); call leaf; ret via t0 (compressed)
    let twice = a.pc();
    a.r(Insn::Xor, A0, A0, S1);
    a.addi(T0, RA, 0);
    a.jal(RA, leaf);
    a.jal(RA, leaf);
    a.emit_c(
        c_jr(T0),
        Insn::Jalr(Load {
            rd: x(ZERO),
            rs1: x(T0),
            imm: 0,
        }),
    );
    let entry = a.pc();
    a.li(S1, N as i64);
    a.addi(A0, ZERO, 0);
    let top = a.pc();
    a.jal(RA, leaf);
    a.jal(RA, twice);
    a.addi(S1, S1, -1);
    a.bne(S1, ZERO, top);
    a.ecall();

    let (mut a0, mut s1) = (0u64, N);
    while s1 != 0 {
        a0 += 1;
        a0 = (a0 ^ s1) + 2;
        s1 -= 1;
    }
    Workload {
        name: "call",
        code: a.code,
        entry,
        init: |_| {},
        check: Box::new(move |cpu, _| assert_eq!(cpu.x[A0 as usize], a0, "call: a0")),
        // per iteration: jal + leaf(2) + jal + twice(5: xor, mv, jal, jal, c.jr) + 2 leaves(4) + addi + bne
        insns: 3 + 15 * N + 1,
    }
}

/// Runs `w` once from a fresh hart, memory and block cache; returns the time taken.
fn run_once(w: &Workload) -> Duration {
    let mut mem = FlatMemory::new(CODE, MEM_LEN);
    mem.write_bytes(CODE, &w.code);
    (w.init)(&mut mem);
    let mut cpu = Cpu::new(w.entry);
    let mut cache = BlockCache::new();
    let start = Instant::now();
    let trap = cache.run(&mut cpu, &mut mem, u64::MAX);
    let t = start.elapsed();
    assert_eq!(
        trap,
        Some(Trap::Ecall),
        "{}: ended at pc 0x{:x}",
        w.name,
        cpu.pc
    );
    assert_eq!(
        cpu.instret,
        w.insns - 1,
        "{}: instructions retired before the ecall",
        w.name
    );
    (w.check)(&cpu, &mem);
    t
}

fn main() {
    let runs: usize = std::env::var("MIMIC_BENCH_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(7);
    // `cargo bench -- NAME` runs only workloads whose name contains NAME.
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    println!(
        "{:<8} {:>12} {:>12} {:>12} {:>10} {:>10}",
        "workload", "guest insns", "median", "min", "MIPS med", "MIPS max"
    );
    for w in [alu_loop(), mem_loop(), muldiv_loop(), call_loop()] {
        if !filter.is_empty() && !filter.iter().any(|f| w.name.contains(f.as_str())) {
            continue;
        }
        run_once(&w); // warm-up, and the correctness check before any timing
        let mut times: Vec<Duration> = (0..runs.max(1)).map(|_| run_once(&w)).collect();
        times.sort();
        let (median, min) = (times[times.len() / 2], times[0]);
        let mips = |t: Duration| w.insns as f64 / t.as_secs_f64() / 1e6;
        println!(
            "{:<8} {:>12} {:>10.2?} {:>10.2?} {:>10.1} {:>10.1}",
            w.name,
            w.insns,
            median,
            min,
            mips(median),
            mips(min)
        );
    }
}
