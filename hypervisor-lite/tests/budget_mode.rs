//! Where a process's translated code checks the budget (translator's `Budget`): exactly
//! where the interpreter would under the deterministic scheduler and under a front end,
//! whose stops and steps must land on exact instructions; at back edges otherwise.

use hypervisor_lite::control::Control;
use hypervisor_lite::memory::GuestMem;
use hypervisor_lite::syscall::Outcome;
use hypervisor_lite::vcpu::{Hook, Vcpu};
use hypervisor_lite::{Config, Process};
use isa_a::{Cpu, Trap};
use std::sync::{Arc, Mutex};
use translator::{Budget, Engine};

fn config(deterministic: bool) -> Config {
    Config {
        program: concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/guests/bin/hello").into(),
        args: vec!["hello".into()],
        deterministic,
        ..Config::default()
    }
}

#[test]
fn exact_only_where_the_budget_is_part_of_the_result() {
    let p = Process::new(&config(true)).expect("hello loads");
    assert_eq!(p.budget(), Budget::Exact, "under --deterministic");
    let p = Process::new(&config(false)).expect("hello loads");
    assert_eq!(p.budget(), Budget::BackEdges, "a plain run");
}

/// A front end that notes the budget mode of every engine it runs.
struct Noting {
    control: Control,
    seen: Mutex<Vec<Budget>>,
}

impl Hook for Noting {
    fn slice(
        &self,
        tid: i32,
        cpu: &mut Cpu,
        bus: &mut GuestMem,
        engine: &mut Engine,
    ) -> Option<Trap> {
        self.seen.lock().unwrap().push(engine.budget());
        self.control.slice(tid, cpu, bus, engine)
    }
    fn syscall(&self, v: &mut Vcpu, nr: u64, args: [u64; 6]) -> Outcome {
        self.control.syscall(v, nr, args)
    }
    fn exited(&self, tid: i32, cpu: &Cpu, mem: &GuestMem, status: i32) {
        self.control.exited(tid, cpu, mem, status)
    }
}

#[test]
fn a_front_end_runs_with_exact_budgets() {
    let p = Process::new(&config(false)).expect("hello loads");
    let hook = Arc::new(Noting {
        control: Control::new(),
        seen: Mutex::new(Vec::new()),
    });
    assert_eq!(p.run_hooked(hook.clone()), 0);
    let seen = hook.seen.lock().unwrap();
    assert!(!seen.is_empty(), "the front end ran no slice");
    assert!(seen.iter().all(|&b| b == Budget::Exact), "{seen:?}");
}
