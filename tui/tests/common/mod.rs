//! What the TUI's guest-driving tests share.

use hypervisor_lite::control::{Snapshot, VcpuState};
use hypervisor_lite::isa_a::Cpu;
use std::time::Duration;
use tui::Session;

/// Waits for stop number `n` with the vCPU parked, and returns its registers.
pub fn stop(s: &Session, n: u64) -> (Snapshot, Cpu) {
    let ok = s.wait_for(Duration::from_secs(20), |snap| {
        snap.paused
            && snap.stops == n
            && snap
                .vcpus
                .first()
                .is_some_and(|v| v.state == VcpuState::Paused)
    });
    let snap = s.control.snapshot();
    assert!(ok, "no stop {n}: {snap:?}");
    let cpu = snap.vcpus[0].cpu.clone();
    (snap, cpu)
}
