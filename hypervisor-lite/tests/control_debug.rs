//! What the gdb stub asks of `Control`, on flat memory without a process: watchpoints stop
//! right after the access with its address, register edits reach the vCPU, and
//! `resume_only` runs the named vCPU while another stays parked.

use hypervisor_lite::control::{Control, WatchKind, Watchpoint, Why};
use isa_a::{BlockCache, Cpu, FlatMemory, Trap};
use std::sync::Arc;
use std::time::{Duration, Instant};

// sd a1,0(a0) ; ld a2,0(a0) ; addi a3,a3,1 ; ecall
const CODE: [u8; 16] = [
    0x23, 0x30, 0xb5, 0x00, 0x03, 0x36, 0x05, 0x00, 0x93, 0x86, 0x16, 0x00, 0x73, 0, 0, 0,
];
const DATA: u64 = 0x1800;

/// A vCPU thread running the code at 0x1000 under `control` until its ecall.
fn vcpu(control: &Arc<Control>, tid: i32) -> std::thread::JoinHandle<(Trap, Cpu)> {
    let control = control.clone();
    std::thread::spawn(move || {
        let mut mem = FlatMemory::new(0x1000, 0x1000);
        mem.write_bytes(0x1000, &CODE);
        let (mut cpu, mut cache) = (Cpu::new(0x1000), BlockCache::new());
        cpu.x[10] = DATA;
        cpu.x[11] = 7;
        loop {
            if let Some(trap) = control.slice(tid, &mut cpu, &mut mem, &mut cache) {
                return (trap, cpu);
            }
        }
    })
}

/// Waits for a stop counted after `after`.
fn stop_after(control: &Control, after: u64) -> (u64, Why) {
    let t = Instant::now();
    loop {
        if let Some((n, why)) = control.stopped() {
            if n > after {
                return (n, why);
            }
        }
        assert!(t.elapsed() < Duration::from_secs(10), "no stop");
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn watchpoints_stop_after_the_access_that_hits_them() {
    let control = Arc::new(Control::new());
    control.pause();
    let v = vcpu(&control, 1);
    let (n, _) = stop_after(&control, 0);
    let write = Watchpoint {
        addr: DATA + 4,
        len: 4,
        kind: WatchKind::Write,
    };
    control.add_watchpoint(write);
    control.resume();
    let (n, why) = stop_after(&control, n);
    let hit = |kind| Why::Watch {
        tid: 1,
        addr: DATA + 4,
        kind,
    };
    assert_eq!(why, hit(WatchKind::Write));
    assert_eq!(
        control.cpu(1).unwrap().pc,
        0x1004,
        "stopped after the store"
    );
    assert!(control.remove_watchpoint(write));
    control.add_watchpoint(Watchpoint {
        kind: WatchKind::Read,
        ..write
    });
    // An edit of a register while stopped is what the vCPU loads next.
    let mut cpu = control.cpu(1).unwrap();
    cpu.x[13] = 41;
    assert!(control.set_cpu(1, cpu));
    control.resume();
    let (_, why) = stop_after(&control, n);
    assert_eq!(why, hit(WatchKind::Read));
    assert_eq!(control.cpu(1).unwrap().pc, 0x1008, "stopped after the load");
    control.release();
    let (trap, cpu) = v.join().unwrap();
    assert_eq!((trap, cpu.x[12], cpu.x[13]), (Trap::Ecall, 7, 42));
}

#[test]
fn resume_only_leaves_the_other_vcpus_parked() {
    let control = Arc::new(Control::new());
    control.pause();
    let (a, b) = (vcpu(&control, 1), vcpu(&control, 2));
    let t = Instant::now();
    while control.live().iter().filter(|v| v.1).count() < 2 {
        assert!(t.elapsed() < Duration::from_secs(10), "vCPUs never parked");
        std::thread::sleep(Duration::from_millis(1));
    }
    control.resume_only(Some([2].into()));
    let (trap, cpu) = b.join().unwrap();
    assert_eq!((trap, cpu.x[13]), (Trap::Ecall, 1));
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(control.cpu(1).unwrap().pc, 0x1000, "vCPU 1 ran");
    assert!(!a.is_finished());
    control.resume();
    assert_eq!(a.join().unwrap().0, Trap::Ecall);
}
