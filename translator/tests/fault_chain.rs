//! The translator's SIGSEGV handler claims only faults inside translated code: any other
//! fault in the process still gets the action it had before (here Rust's own handler, which
//! falls back to the default: the process dies of SIGSEGV).

use std::os::unix::process::ExitStatusExt;
use std::process::Command;
use translator::{Engine, Mode, TestMemory};

const CHILD: &str = "MIMIC_FAULT_CHAIN_CHILD";

#[test]
fn a_host_fault_outside_translated_code_still_kills() {
    if std::env::var_os(CHILD).is_some() {
        let mut mem = TestMemory::new(4096);
        // Creating an engine registers its code buffer and installs the handler.
        let _engine = Engine::new(Mode::Jit, mem.layout()).unwrap();
        let wild = std::hint::black_box(16usize) as *const u64;
        // SAFETY: not sound, on purpose: this child process exists to die of the fault.
        unsafe { std::ptr::read_volatile(wild) };
        unreachable!("the read of address 16 faults");
    }
    let status = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "a_host_fault_outside_translated_code_still_kills",
        ])
        .env(CHILD, "1")
        .output()
        .unwrap()
        .status;
    assert_eq!(status.signal(), Some(libc::SIGSEGV), "{status:?}");
}

#[test]
fn threads_fault_in_translated_code_at_once() {
    use isa_a::format::{Load, Nullary, I};
    use isa_a::{Access, Cpu, Insn, MemFault, Trap, XReg};
    let workers: Vec<_> = (0..4u64)
        .map(|n| {
            std::thread::spawn(move || {
                let mut mem = TestMemory::new(1 << 16);
                let code = [
                    Insn::Addi(I {
                        rd: XReg::new(10),
                        rs1: XReg::new(10),
                        imm: 1,
                    }),
                    Insn::Ld(Load {
                        rd: XReg::new(11),
                        rs1: XReg::new(12),
                        imm: 8,
                    }),
                    Insn::Ecall(Nullary {}),
                ];
                mem.load_code(0x1000, &code);
                mem.set_perm(0x8000, 0x10000, 0);
                let mut engine = Engine::new(Mode::Jit, mem.layout()).unwrap();
                for i in 0..2000u64 {
                    let mut cpu = Cpu::new(0x1000);
                    cpu.x[12] = 0x8000 + 8 * ((n * 2000 + i) % 4000);
                    let trap = engine.run(&mut cpu, &mut mem, 100);
                    let addr = cpu.x[12] + 8;
                    let access = Access::Read;
                    assert_eq!(trap, Some(Trap::Fault(MemFault { addr, access })));
                    assert_eq!((cpu.pc, cpu.instret, cpu.x[10]), (0x1004, 1, 1));
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
}
