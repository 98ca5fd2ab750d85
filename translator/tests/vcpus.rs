//! Every vCPU has a code cache of its own, so a guest with many threads has many caches at
//! once: they must not run out of anything mimic itself limits. (At first each cache kept a
//! descriptor near the top of the limit, 64 of them at most, and the fault handler had 64
//! slots: the 65th guest thread failed.)

use translator::{Engine, Mode, TestMemory};

#[test]
fn three_hundred_code_caches_at_once() {
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
