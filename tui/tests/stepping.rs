//! Stepping the demo guest through Control, as the keys do: one instruction, one block, to
//! the next syscall (stopped before it), and a breakpoint in the middle of a block.

use hypervisor_lite::control::Step;
use hypervisor_lite::Config;
use std::time::Duration;
use tui::{Options, Session};

mod common;
use common::stop;

fn start(breakpoints: &[&str]) -> Session {
    let path = std::env::temp_dir().join(format!("mimic-tui-stepping-{}", std::process::id()));
    // Each test writes the same bytes; write to a private name and rename, so a guest loading
    // it never sees a half-written file.
    let tmp =
        path.with_extension(format!("{:?}", std::thread::current().id()).replace(['(', ')'], ""));
    std::fs::write(&tmp, tui::DEMO).unwrap();
    std::fs::rename(&tmp, &path).unwrap();
    let cfg = Config {
        program: path,
        args: vec!["demo".into(), "0".into(), "0".into()],
        env: vec![],
        sysroot: None,
        stack_size: 8 << 20,
        strace: false,
        ..Config::default()
    };
    let opts = Options {
        paused: false,
        stdin: None,
        breakpoints: breakpoints.iter().map(|s| s.to_string()).collect(),
    };
    Session::start(cfg, "demo", &opts).expect("starting the demo")
}

fn finish(s: Session) {
    s.control.resume();
    assert_eq!(s.guest.join().unwrap(), 0);
}

#[test]
fn steps_an_instruction_then_a_block() {
    let s = start(&["main"]);
    let (_, at_main) = stop(&s, 1);
    assert_eq!(at_main.pc, s.program.find("main").unwrap().addr);
    s.control.step(None, Step::Insn);
    let (snap, one) = stop(&s, 2);
    assert_eq!(snap.reason, "stepped one instruction");
    assert_eq!(one.instret, at_main.instret + 1);
    assert_eq!(
        one.pc,
        at_main.pc + 2,
        "main opens with a compressed addi16sp"
    );
    s.control.step(None, Step::Block);
    let (snap, block) = stop(&s, 3);
    assert_eq!(snap.reason, "stepped one block");
    assert!(
        block.instret > one.instret + 1,
        "a block is many instructions"
    );
    finish(s);
}

#[test]
fn runs_to_the_next_syscall_and_stops_before_it() {
    let s = start(&["main"]);
    let (before, _) = stop(&s, 1);
    s.control.step(None, Step::Syscall);
    let (snap, cpu) = stop(&s, 2);
    assert!(
        snap.reason.starts_with("before syscall "),
        "{}",
        snap.reason
    );
    assert_eq!(snap.syscalls, before.syscalls, "not performed yet");
    // pc is at the ecall itself.
    s.control.set_views(vec![(cpu.pc, 4)]);
    assert!(s.wait_for(Duration::from_secs(10), |n| n
        .views
        .first()
        .is_some_and(|(a, _)| *a == cpu.pc)));
    let bytes: Vec<u8> = s.control.snapshot().views[0]
        .1
        .iter()
        .map(|b| b.unwrap())
        .collect();
    assert_eq!(bytes, 0x0000_0073u32.to_le_bytes(), "ecall");
    finish(s);
}

#[test]
fn a_breakpoint_inside_a_block_stops_exactly_there() {
    // main+0x10 is in the middle of main's first block (its prologue of stores).
    let s = start(&["main+0x10"]);
    let (snap, cpu) = stop(&s, 1);
    assert_eq!(cpu.pc, s.program.find("main").unwrap().addr + 0x10);
    assert!(snap.reason.starts_with("breakpoint at 0x"));
    // Continuing does not stop again at the same place.
    s.control.resume();
    assert_eq!(s.guest.join().unwrap(), 0);
}
