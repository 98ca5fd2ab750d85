//! vCPUs and code caches: a process's vCPUs share one code cache, which is flushed while
//! they run it; and separate caches (separate processes, forked children) must not run out
//! of anything mimic itself limits.

use isa_a::format::{Load, Nullary, Shift, Store, B, I, J, R};
use isa_a::{Access, Cpu, Insn, MemFault, Trap, XReg};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use translator::{CodeCache, Engine, Mode, TestMemory};

/// The tests here count the process's registered code buffers: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// At first each cache kept a descriptor near the top of the limit, 64 of them at most, and
/// the fault handler had 64 slots: the 65th guest thread failed (each vCPU had a cache).
#[test]
fn three_hundred_code_caches_at_once() {
    let _serial = serial();
    let mut mem = TestMemory::new(1 << 16);
    let layout = mem.layout();
    let fds_before = std::fs::read_dir("/proc/self/fd").unwrap().count();
    let engines: Vec<Engine> = (0..300)
        .map(|i| Engine::new(Mode::Jit, layout).unwrap_or_else(|e| panic!("engine {i}: {e}")))
        .collect();
    let fds = std::fs::read_dir("/proc/self/fd").unwrap().count();
    assert_eq!(fds, fds_before, "code caches keep no descriptors open");
    drop(engines);
}

const RA: XReg = XReg::new(1);
const T1: XReg = XReg::new(6);
const A0: XReg = XReg::new(10);
const A1: XReg = XReg::new(11);
const A2: XReg = XReg::new(12);
const A3: XReg = XReg::new(13);
const A4: XReg = XReg::new(14);
const A5: XReg = XReg::new(15);
const A6: XReg = XReg::new(16);
const Z: XReg = XReg::ZERO;

fn addi(rd: XReg, rs1: XReg, imm: i32) -> Insn {
    Insn::Addi(I { rd, rs1, imm })
}

/// At 0x1000: `acc = 0; for i in 0..a1 { acc = f(acc, i) }`, stores acc at a4, then loads
/// from a6 (a page with no access: the run ends in that fault). `f` (at 0x1028, called with
/// jal, returning through jalr: the lookup table) is `((acc + i) ^ a0) * 9`. The blocks chain
/// to each other.
fn worker_code() -> Vec<Insn> {
    vec![
        addi(A2, Z, 0),
        addi(A3, Z, 0),
        Insn::Jal(J { rd: RA, off: 0x20 }), // 0x1008: call f
        addi(A3, A3, 1),
        Insn::Blt(B {
            rs1: A3,
            rs2: A1,
            off: -8,
        }),
        Insn::Sd(Store {
            rs1: A4,
            rs2: A2,
            imm: 0,
        }),
        Insn::Ld(Load {
            rd: A5,
            rs1: A6,
            imm: 0,
        }), // 0x1018: faults
        Insn::Ecall(Nullary {}),
        addi(Z, Z, 0),
        addi(Z, Z, 0),
        Insn::Add(R {
            rd: A2,
            rs1: A2,
            rs2: A3,
        }), // 0x1028: f
        Insn::Xor(R {
            rd: A2,
            rs1: A2,
            rs2: A0,
        }),
        Insn::Slli(Shift {
            rd: T1,
            rs1: A2,
            shamt: 3,
        }),
        Insn::Add(R {
            rd: A2,
            rs1: A2,
            rs2: T1,
        }),
        Insn::Jalr(Load {
            rd: Z,
            rs1: RA,
            imm: 0,
        }),
    ]
}

fn expected(seed: u64, n: u64) -> u64 {
    (0..n).fold(0u64, |acc, i| (acc.wrapping_add(i) ^ seed).wrapping_mul(9))
}

/// Several vCPU threads run guest code from one code cache while another keeps flushing it
/// ([`Engine::flush`], and rewriting a function they call, then `fence.i`): every run must end in the right fault
/// with the right result. Flushed code is freed only once no thread runs it: running freed
/// code, a chain patched into it, a lookup-table jump into it or a fault in it not found
/// would crash or give wrong results here.
#[test]
fn vcpus_share_one_cache_while_another_flushes_it() {
    let _serial = serial();
    const WORKERS: u64 = 4;
    const ROUNDS: u64 = 300;
    // Workers go on until the flusher has flushed this often.
    const FLUSHES: u64 = 400;
    let mut mem = TestMemory::new(1 << 16);
    mem.load_code(0x1000, &worker_code());
    mem.load_code(
        0x2000,
        &[
            Insn::FenceI(Nullary {}),
            addi(A0, A0, 1),
            Insn::Ecall(Nullary {}),
        ],
    );
    mem.set_perm(0x8000, 0x9000, 0);
    let ranges_before = translator::fault::registered();
    let cache = Arc::new(Mutex::new(CodeCache::new(mem.layout()).unwrap()));
    let done = Arc::new(AtomicBool::new(false));
    let flushes = Arc::new(AtomicU64::new(0));
    let start = Arc::new(Barrier::new(WORKERS as usize + 1));
    std::thread::scope(|s| {
        let flusher = {
            let (mut mem, cache, done, flushes, start) = (
                mem.share(),
                cache.clone(),
                done.clone(),
                flushes.clone(),
                start.clone(),
            );
            s.spawn(move || {
                let mut engine = Engine::with_cache(Mode::Jit, cache);
                start.wait();
                let mut n = 0u64;
                while !done.load(Ordering::Relaxed) {
                    if n.is_multiple_of(2) {
                        engine.flush();
                    } else {
                        // f's first instruction, rewritten to an equal one with another
                        // encoding (a2 + a3 either way round): its fence.i drops f, and the
                        // chain into it, while the workers run it.
                        let (rs1, rs2) = if n % 4 == 1 { (A3, A2) } else { (A2, A3) };
                        let add = Insn::Add(R { rd: A2, rs1, rs2 });
                        isa_a::Bus::store32(&mut mem, 0x1028, add.encode()).unwrap();
                        let mut cpu = Cpu::new(0x2000);
                        assert_eq!(engine.run(&mut cpu, &mut mem, 100), Some(Trap::Ecall));
                        assert_eq!((cpu.x[10], cpu.pc), (1, 0x2008));
                    }
                    n += 1;
                    flushes.store(n, Ordering::Relaxed);
                    std::thread::yield_now();
                }
            })
        };
        let workers: Vec<_> = (0..WORKERS)
            .map(|w| {
                let (mut mem, cache, start, flushes) =
                    (mem.share(), cache.clone(), start.clone(), flushes.clone());
                s.spawn(move || {
                    // One tiered engine: blocks translated by the others, and its own.
                    let mode = if w == 0 { Mode::Tiered } else { Mode::Jit };
                    let mut engine = Engine::with_cache(mode, cache);
                    start.wait();
                    let mut round = 0;
                    while round < ROUNDS || flushes.load(Ordering::Relaxed) < FLUSHES {
                        let (seed, n) = (w * 1_000_003 + round, 20 + (round * 7 + w) % 60);
                        let slot = 0x4000 + 8 * w;
                        let mut cpu = Cpu::new(0x1000);
                        cpu.x[10] = seed;
                        cpu.x[11] = n;
                        cpu.x[14] = slot;
                        cpu.x[16] = 0x8000 + 8 * w;
                        // Small slices: back in the dispatcher often, as vCPUs are.
                        let trap = loop {
                            if let Some(t) = engine.run(&mut cpu, &mut mem, 37) {
                                break t;
                            }
                        };
                        let want = expected(seed, n);
                        assert_eq!(
                            trap,
                            Trap::Fault(MemFault {
                                addr: 0x8000 + 8 * w,
                                access: Access::Read
                            }),
                            "worker {w} round {round}"
                        );
                        assert_eq!(cpu.pc, 0x1018, "worker {w} round {round}");
                        assert_eq!(cpu.x[12], want, "worker {w} round {round}");
                        let stored = &mem.bytes()[slot as usize..slot as usize + 8];
                        assert_eq!(u64::from_le_bytes(stored.try_into().unwrap()), want);
                        // 5 instructions a call of f, 3 more a loop, 3 around it (the
                        // faulting load does not retire).
                        assert_eq!(cpu.instret, 3 + 8 * n, "worker {w} round {round}");
                        round += 1;
                    }
                    engine.stats()
                })
            })
            .collect();
        let stats: Vec<_> = workers.into_iter().map(|w| w.join()).collect();
        done.store(true, Ordering::Relaxed);
        flusher.join().unwrap();
        let stats: Vec<_> = stats.into_iter().map(|s| s.unwrap()).collect();
        let ran: u64 = stats.iter().map(|s| s.insns_jit).sum();
        assert!(ran > 0, "translated code ran");
    });
    assert!(
        flushes.load(Ordering::Relaxed) >= FLUSHES,
        "the flusher flushed"
    );
    let mut c = cache.lock().unwrap();
    // No engine runs code now: every retired buffer goes, and its fault range with it.
    c.reclaim();
    let st = c.stats();
    assert_eq!(st.retired, 0);
    // Half the flusher's rounds flush; the other half's fence.i drops the rewritten f (unless
    // no engine translated it since the last round).
    assert!(
        st.flushes >= FLUSHES / 2 && st.freed == st.flushes,
        "{st:?}"
    );
    assert!(st.syncs >= FLUSHES / 2 && st.dropped > 0, "{st:?}");
    drop(c);
    assert_eq!(translator::fault::registered(), ranges_before + 1);
    drop(cache);
    assert_eq!(translator::fault::registered(), ranges_before);
}

/// A block one vCPU translated runs in the others without being translated again.
#[test]
fn a_block_translated_by_one_vcpu_serves_all() {
    let _serial = serial();
    let mut mem = TestMemory::new(1 << 16);
    mem.load_code(0x1000, &worker_code());
    mem.set_perm(0x8000, 0x9000, 0);
    let cache = Arc::new(Mutex::new(CodeCache::new(mem.layout()).unwrap()));
    let run = |engine: &mut Engine, mem: &mut TestMemory| {
        let mut cpu = Cpu::new(0x1000);
        cpu.x[11] = 5;
        cpu.x[14] = 0x4000;
        cpu.x[16] = 0x8000;
        assert!(matches!(
            engine.run(&mut cpu, mem, 1000),
            Some(Trap::Fault(_))
        ));
        assert_eq!(cpu.x[12], expected(0, 5));
    };
    let mut first = Engine::with_cache(Mode::Jit, cache.clone());
    run(&mut first, &mut mem);
    // How many translations the loop takes depends on how superblocks group its blocks.
    let translated = first.stats().blocks_translated;
    assert!(translated > 0);
    let mut second = Engine::with_cache(Mode::Jit, cache.clone());
    run(&mut second, &mut mem);
    assert_eq!(second.stats().blocks_translated, translated);
    assert_eq!(second.stats().insns_interp, 0);
}

/// A bus whose loads past the end of memory (which translated code leaves to the helper)
/// wait for a go-ahead: the vCPU is then held inside translated code.
struct Gate {
    mem: TestMemory,
    inside: std::sync::mpsc::Sender<()>,
    go: std::sync::mpsc::Receiver<()>,
}

impl isa_a::Bus for Gate {
    fn load8(&mut self, a: u64) -> Result<u8, MemFault> {
        self.mem.load8(a)
    }
    fn load16(&mut self, a: u64) -> Result<u16, MemFault> {
        self.mem.load16(a)
    }
    fn load32(&mut self, a: u64) -> Result<u32, MemFault> {
        self.mem.load32(a)
    }
    fn load64(&mut self, a: u64) -> Result<u64, MemFault> {
        if a < 1 << 16 {
            return self.mem.load64(a);
        }
        self.inside.send(()).unwrap();
        self.go.recv().unwrap();
        Ok(41)
    }
    fn store8(&mut self, a: u64, v: u8) -> Result<(), MemFault> {
        self.mem.store8(a, v)
    }
    fn store16(&mut self, a: u64, v: u16) -> Result<(), MemFault> {
        self.mem.store16(a, v)
    }
    fn store32(&mut self, a: u64, v: u32) -> Result<(), MemFault> {
        self.mem.store32(a, v)
    }
    fn store64(&mut self, a: u64, v: u64) -> Result<(), MemFault> {
        self.mem.store64(a, v)
    }
    fn fetch16(&mut self, a: u64) -> Result<u16, MemFault> {
        self.mem.fetch16(a)
    }
}

/// Flushes while a vCPU is inside translated code: its buffer stays (and its code goes on
/// correctly) until it leaves; buffers retired meanwhile that nobody runs are freed at
/// once, and their fault ranges with them.
#[test]
fn a_vcpu_inside_flushed_code_keeps_only_its_own_buffer() {
    let _serial = serial();
    let mut mem = TestMemory::new(1 << 16);
    mem.load_code(
        0x1000,
        &[
            addi(A0, Z, 1),
            Insn::Ld(Load {
                rd: A5,
                rs1: A6,
                imm: 0,
            }),
            addi(A0, A5, 1),
            Insn::Ecall(Nullary {}),
        ],
    );
    let ranges_before = translator::fault::registered();
    let cache = Arc::new(Mutex::new(CodeCache::new(mem.layout()).unwrap()));
    let (inside, inside_rx) = std::sync::mpsc::channel();
    let (go_tx, go) = std::sync::mpsc::channel();
    let mut gate = Gate {
        mem: mem.share(),
        inside,
        go,
    };
    let held = {
        let cache = cache.clone();
        std::thread::spawn(move || {
            let mut engine = Engine::with_cache(Mode::Jit, cache);
            let mut cpu = Cpu::new(0x1000);
            // Past the end of memory: the helper, so the gate.
            cpu.x[16] = 1 << 20;
            let trap = engine.run(&mut cpu, &mut gate, 100);
            (trap, cpu.x[10], cpu.pc, engine.stats().insns_jit)
        })
    };
    inside_rx.recv().unwrap();
    let mut flusher = Engine::with_cache(Mode::Jit, cache.clone());
    for _ in 0..3 {
        flusher.flush();
    }
    let st = cache.lock().unwrap().stats();
    assert_eq!((st.flushes, st.retired, st.freed), (3, 1, 2), "{st:?}");
    assert_eq!(translator::fault::registered(), ranges_before + 2);
    go_tx.send(()).unwrap();
    assert_eq!(held.join().unwrap(), (Some(Trap::Ecall), 42, 0x100c, 3));
    let mut c = cache.lock().unwrap();
    c.reclaim();
    assert_eq!(c.stats().retired, 0);
    drop(c);
    assert_eq!(translator::fault::registered(), ranges_before + 1);
}

/// A bus that, once the decoder has read the instruction at `at`, does what another vCPU
/// does between that read and the translation being cached: rewrites the instruction and
/// flushes the shared code (as its `fence.i` or riscv_flush_icache would).
struct RewrittenWhileDecoding {
    mem: TestMemory,
    at: u64,
    new: Insn,
    cache: Arc<Mutex<CodeCache>>,
    done: bool,
    /// Only checks the code against memory (`fence.i`) instead of flushing it.
    by_sync: bool,
}

impl isa_a::Bus for RewrittenWhileDecoding {
    fn load8(&mut self, a: u64) -> Result<u8, MemFault> {
        self.mem.load8(a)
    }
    fn load16(&mut self, a: u64) -> Result<u16, MemFault> {
        self.mem.load16(a)
    }
    fn load32(&mut self, a: u64) -> Result<u32, MemFault> {
        self.mem.load32(a)
    }
    fn load64(&mut self, a: u64) -> Result<u64, MemFault> {
        self.mem.load64(a)
    }
    fn store8(&mut self, a: u64, v: u8) -> Result<(), MemFault> {
        self.mem.store8(a, v)
    }
    fn store16(&mut self, a: u64, v: u16) -> Result<(), MemFault> {
        self.mem.store16(a, v)
    }
    fn store32(&mut self, a: u64, v: u32) -> Result<(), MemFault> {
        self.mem.store32(a, v)
    }
    fn store64(&mut self, a: u64, v: u64) -> Result<(), MemFault> {
        self.mem.store64(a, v)
    }
    fn fetch16(&mut self, a: u64) -> Result<u16, MemFault> {
        let half = self.mem.fetch16(a)?;
        if a == self.at + 2 && !self.done {
            self.done = true;
            self.mem.load_code(self.at, &[self.new]);
            if self.by_sync {
                self.cache.lock().unwrap().sync(&mut self.mem.share(), None);
            } else {
                self.cache.lock().unwrap().flush();
            }
        }
        Ok(half)
    }
}

/// A vCPU decodes a block, another rewrites it and flushes before the first caches its
/// translation: the old code must not enter the fresh generation, or the vCPU that changed
/// the code runs the old one (the hostile_smc_race guest saw it once in a few runs).
#[test]
fn code_changed_during_a_translation_is_not_cached() {
    code_changed_during_a_translation(false);
}

/// As [`code_changed_during_a_translation_is_not_cached`], with the writer's `fence.i`, which
/// only drops changed blocks: the block being translated is not one yet when it looks, so the
/// translation itself must notice.
#[test]
fn code_changed_and_synced_during_a_translation_is_not_cached() {
    code_changed_during_a_translation(true);
}

fn code_changed_during_a_translation(by_sync: bool) {
    let _serial = serial();
    let mut mem = TestMemory::new(1 << 16);
    let layout = mem.layout();
    mem.load_code(0x1000, &[addi(A0, Z, 1), Insn::Ecall(Nullary {})]);
    let mut writer = Engine::new(Mode::Jit, layout).unwrap();
    let mut reader = Engine::with_cache(Mode::Jit, writer.cache());
    let mut racing = RewrittenWhileDecoding {
        mem: mem.share(),
        at: 0x1000,
        new: addi(A0, Z, 2),
        cache: writer.cache(),
        done: false,
        by_sync,
    };
    let mut cpu = Cpu::new(0x1000);
    assert_eq!(reader.run(&mut cpu, &mut racing, 10), Some(Trap::Ecall));
    assert!(racing.done, "the decoder read the instruction");
    // The writer, after its store and flush, runs the code: the new one.
    let mut cpu = Cpu::new(0x1000);
    assert_eq!(writer.run(&mut cpu, &mut mem, 10), Some(Trap::Ecall));
    assert_eq!(
        cpu.x[10], 2,
        "the writer ran the code from before its own change"
    );
}

/// The tiered engine's cold blocks were decoded before a flush: one that becomes hot after
/// another vCPU rewrote its code and flushed must not be translated from the old decode.
#[test]
fn cold_blocks_from_before_a_flush_are_not_translated() {
    let _serial = serial();
    let mut mem = TestMemory::new(1 << 16);
    let layout = mem.layout();
    mem.load_code(0x1000, &[addi(A0, Z, 1), Insn::Ecall(Nullary {})]);
    let mut writer = Engine::new(Mode::Tiered, layout).unwrap();
    let mut reader = Engine::with_cache(Mode::Tiered, writer.cache());
    // The reader interprets the block until the next run translates it.
    for _ in 0..translator::HOT {
        let mut cpu = Cpu::new(0x1000);
        assert_eq!(reader.run(&mut cpu, &mut mem, 10), Some(Trap::Ecall));
        assert_eq!(cpu.x[10], 1);
    }
    // The writer rewrites it and flushes the shared code (its riscv_flush_icache).
    mem.load_code(0x1000, &[addi(A0, Z, 2)]);
    writer.code_changed(&mut mem, 1);
    // The reader has not seen the change yet (it would at its next step); the block is hot.
    let mut cpu = Cpu::new(0x1000);
    assert_eq!(reader.run(&mut cpu, &mut mem, 10), Some(Trap::Ecall));
    let mut cpu = Cpu::new(0x1000);
    assert_eq!(writer.run(&mut cpu, &mut mem, 10), Some(Trap::Ecall));
    assert_eq!(
        cpu.x[10], 2,
        "the writer ran the code from before its own change"
    );
}
