//! Breakpoints stop translated code exactly at their address, even deep inside a superblock:
//! near a breakpoint the control runs one block at a time (a budget of one instruction), and
//! translated code checks the budget at every basic-block boundary inside a superblock, where
//! the interpreter does.

use hypervisor_lite::control::Control;
use isa_a::format::{Nullary, B, I};
use isa_a::{Cpu, Insn, Trap, XReg};
use std::sync::Arc;
use translator::{Engine, Mode, TestMemory};

fn addi(rd: u32, rs1: u32, imm: i32) -> Insn {
    Insn::Addi(I {
        rd: XReg::new(rd),
        rs1: XReg::new(rs1),
        imm,
    })
}

#[test]
fn a_breakpoint_deep_in_a_superblock_stops_there() {
    // 0x1000: 63 x a0 += 1; 0x10fc: bne a1, zero (not taken: one superblock goes on);
    // 0x1100: 63 x a0 += 1; 0x11fc: ecall.
    let mut code = vec![addi(10, 10, 1); 63];
    code.push(Insn::Bne(B {
        rs1: XReg::new(11),
        rs2: XReg::new(0),
        off: 8,
    }));
    code.extend(vec![addi(10, 10, 1); 63]);
    code.push(Insn::Ecall(Nullary {}));
    let mut mem = TestMemory::new(1 << 16);
    mem.load_code(0x1000, &code);
    let bp = 0x1180;
    let control = Arc::new(Control::new());
    control.add_breakpoint(bp);
    let vcpu = {
        let control = control.clone();
        std::thread::spawn(move || {
            let mut engine = Engine::new(Mode::Jit, mem.layout()).unwrap();
            let mut cpu = Cpu::new(0x1000);
            loop {
                if let Some(trap) = control.slice(1, &mut cpu, &mut mem, &mut engine) {
                    return (trap, cpu);
                }
            }
        })
    };
    let cpu = loop {
        let s = control.snapshot();
        if s.paused && s.stops == 1 {
            break s.vcpus[0].cpu.clone();
        }
        std::thread::yield_now();
    };
    assert_eq!((cpu.pc, cpu.x[10]), (bp, 63 + (bp - 0x1100) / 4));
    control.resume();
    let (trap, cpu) = vcpu.join().unwrap();
    assert_eq!((trap, cpu.pc, cpu.x[10]), (Trap::Ecall, 0x11fc, 126));
}
