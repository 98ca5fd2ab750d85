//! The UI stays responsive while the guest runs flat out: the guest is on its own thread and
//! the UI only samples the control. A guest that loops forever without a syscall (assembled
//! with isa-a's encoder) must not slow sampling and drawing below 10 refreshes a second, and
//! a pause must take effect at once.

use hypervisor_lite::control::VcpuState;
use hypervisor_lite::isa_a::format::{I, J};
use hypervisor_lite::isa_a::{Insn, XReg};
use hypervisor_lite::Config;
use std::time::{Duration, Instant};
use tui::app::App;
use tui::{Options, Session};

const BASE: u64 = 0x10000;
const CODE: u64 = 0x1000;

/// A static riscv64 ELF whose code at the entry point is `code`.
fn elf(code: &[Insn]) -> Vec<u8> {
    let body: Vec<u8> = code.iter().flat_map(|i| i.encode().to_le_bytes()).collect();
    let total = CODE + body.len() as u64;
    let mut f = Vec::new();
    f.extend_from_slice(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0");
    f.extend_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    f.extend_from_slice(&243u16.to_le_bytes()); // EM_RISCV
    f.extend_from_slice(&1u32.to_le_bytes());
    f.extend_from_slice(&(BASE + CODE).to_le_bytes()); // entry
    f.extend_from_slice(&64u64.to_le_bytes()); // phoff
    f.extend_from_slice(&0u64.to_le_bytes()); // shoff
    f.extend_from_slice(&0x5u32.to_le_bytes()); // EF_RISCV_RVC | FLOAT_ABI_DOUBLE
    for v in [64u16, 56, 1, 64, 0, 0] {
        f.extend_from_slice(&v.to_le_bytes());
    }
    f.extend_from_slice(&1u32.to_le_bytes()); // PT_LOAD
    f.extend_from_slice(&5u32.to_le_bytes()); // R+X
    for v in [0, BASE, BASE, total, total, 0x1000] {
        f.extend_from_slice(&v.to_le_bytes());
    }
    f.resize(CODE as usize, 0);
    f.extend_from_slice(&body);
    f
}

#[test]
fn ten_refreshes_a_second_while_the_guest_runs_flat_out() {
    let a0 = XReg::new(10);
    // loop: addi a0,a0,1 ; j loop
    let program = elf(&[
        Insn::Addi(I {
            rd: a0,
            rs1: a0,
            imm: 1,
        }),
        Insn::Jal(J {
            rd: XReg::ZERO,
            off: -4,
        }),
    ]);
    let path = std::env::temp_dir().join(format!("mimic-tui-spin-{}", std::process::id()));
    std::fs::write(&path, program).unwrap();
    let cfg = Config {
        program: path.clone(),
        args: vec!["spin".into()],
        env: vec![],
        sysroot: None,
        stack_size: 1 << 20,
        strace: false,
        ..Config::default()
    };
    let session = Session::start(cfg, "spin", &Options::default()).expect("starting the guest");
    let _ = std::fs::remove_file(&path);
    assert!(session.wait_for(Duration::from_secs(10), |s| !s.vcpus.is_empty()));

    let mut app = App::new(session.program.clone(), session.control.clone());
    let frames = 20;
    let start = Instant::now();
    let mut retired = Vec::new();
    for _ in 0..frames {
        app.refresh();
        tui::render_screen(&app, 200, 50);
        retired.push(app.snap.vcpus[0].cpu.instret);
        std::thread::sleep(Duration::from_millis(20));
    }
    let per_frame = start.elapsed() / frames;
    assert!(
        per_frame < Duration::from_millis(100),
        "{per_frame:?} per refresh: fewer than 10 a second"
    );
    // The vCPU publishes every 40 ms and a frame is sampled about every 20 ms: every other
    // sample at best shows progress, and a busy machine stretches the gaps.
    assert!(
        retired.windows(2).filter(|w| w[1] > w[0]).count() >= frames as usize / 4,
        "the guest did not keep running while sampled: {retired:?}"
    );

    let t = Instant::now();
    session.control.pause();
    assert!(session.wait_for(Duration::from_secs(2), |s| s
        .vcpus
        .first()
        .is_some_and(|v| v.state == VcpuState::Paused)));
    assert!(
        t.elapsed() < Duration::from_millis(500),
        "pause took {:?}",
        t.elapsed()
    );
}
