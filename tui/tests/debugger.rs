//! The TUI as a debugger, on tests/guests/bin/tuidbg (`-O0 -g`): post-mortem on its segfault,
//! step over and finish, the backtrace and source lines, register and memory edits and
//! watchpoints, and snapshots of the screen at 80x24 and 160x48.
//! `MIMIC_BLESS=1 cargo test -p tui --test debugger` rewrites the expected pictures.

use hypervisor_lite::control::{Step, VcpuState, Why};
use hypervisor_lite::Config;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tui::app::{App, HostThread, Panel};
use tui::program::Program;
use tui::{Options, Session};

mod common;
use common::stop;

/// The committed guest, in the repository (where its source is found).
fn guest() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/guests/bin/tuidbg")
}

/// The guest copied to a fixed path, so that its stack (which holds the path) is the same
/// wherever the repository is.
fn fixed_copy() -> PathBuf {
    static WRITTEN: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    WRITTEN
        .get_or_init(|| {
            let path = PathBuf::from("/tmp/mimic-tui-debugger-tuidbg");
            let tmp = path.with_extension(std::process::id().to_string());
            std::fs::copy(guest(), &tmp).expect("copying the tuidbg guest");
            std::fs::rename(&tmp, &path).expect("renaming the tuidbg guest");
            path
        })
        .clone()
}

fn start(args: &[&str], breakpoints: &[&str]) -> Session {
    let mut argv = vec![std::ffi::OsString::from("tuidbg")];
    argv.extend(args.iter().map(std::ffi::OsString::from));
    let cfg = Config {
        program: fixed_copy(),
        args: argv,
        env: vec!["LANG=C".into()],
        sysroot: None,
        stack_size: 8 << 20,
        strace: false,
        ..Config::default()
    };
    let opts = Options {
        breakpoints: breakpoints.iter().map(|s| s.to_string()).collect(),
        ..Options::default()
    };
    let mut s = Session::start(cfg, "tuidbg", &opts).expect("starting tuidbg");
    // Symbols, lines and sources from the repository's copy.
    s.program = Program::read(&guest(), "tuidbg");
    s
}

fn addr(s: &Session, name: &str) -> std::ops::Range<u64> {
    let f = s.program.find(name).unwrap_or_else(|| panic!("no {name}"));
    f.addr..f.addr + f.size
}

/// An App over the session with every view copied out.
fn app(s: &Session) -> App {
    let mut app = App::new(s.program.clone(), s.control.clone());
    for _ in 0..2000 {
        app.refresh();
        let views = app.views();
        if !views.is_empty() && views.iter().all(|&(a, n)| app.view(a, n).is_some()) {
            return app;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("the vCPU never copied the views out");
}

fn press(app: &mut App, keys: &str) {
    for c in keys.chars() {
        let code = match c {
            '\n' => KeyCode::Enter,
            c => KeyCode::Char(c),
        };
        app.key(KeyEvent::from(code));
    }
}

fn frame_names(app: &App) -> Vec<String> {
    app.frames
        .iter()
        .map(|f| {
            let d = app.program.describe(f.pc).unwrap_or_default();
            d.split('+').next().unwrap_or_default().to_string()
        })
        .collect()
}

#[test]
fn a_segfault_stops_before_the_process_dies_and_c_lets_it_die() {
    let s = start(&["segv"], &[]);
    let (snap, cpu) = stop(&s, 1);
    let tid = snap.vcpus[0].tid;
    assert_eq!(snap.why, Why::Fatal { tid, sig: 11 });
    assert!(
        snap.reason.starts_with("SIGSEGV at pc 0x") && snap.reason.contains("accessing 0x0"),
        "{}",
        snap.reason
    );
    // Stopped at the faulting store, which has not happened: the process is alive.
    assert!(addr(&s, "poke").contains(&cpu.pc), "pc 0x{:x}", cpu.pc);
    assert!(!s.guest.is_finished());
    let mut a = app(&s);
    assert_eq!(
        frame_names(&a)[..3],
        ["poke", "crash", "main"],
        "{:?}",
        a.frames
    );
    let place = a.program.lines.at(cpu.pc).expect("a line for the fault");
    assert_eq!(
        (place.short().as_str(), place.text),
        ("tuidbg.c:32", Some("    *p = v;"))
    );
    let main = addr(&s, "main").start;
    // Running on delivers it.
    press(&mut a, "c");
    assert_eq!(s.guest.join().unwrap(), 139);
    // After the end the last state stays inspectable: registers, the code, and memory
    // views asked for after the end.
    a.refresh();
    assert!(a.exited());
    assert_eq!(a.selected().unwrap().cpu.pc, cpu.pc);
    assert_eq!(a.snap.reason, "killed by SIGSEGV (status 139)");
    assert_eq!(frame_names(&a)[..3], ["poke", "crash", "main"]);
    press(&mut a, "gmain\n");
    a.refresh();
    assert!(
        a.view(main, 16).is_some(),
        "memory is readable after the end"
    );
    let screen = tui::render_screen(&a, 80, 24);
    assert!(screen.contains("killed by SIGSEGV"), "{screen}");
}

/// Signals the guest handles (SIGSEGV, SIGILL, raise, kill, sigqueue into handlers) are not
/// fatal: the guest runs through them without a stop; abort's SIGABRT is, and stops.
#[test]
fn only_signals_that_end_the_guest_stop_it() {
    let run = |name: &str| {
        let cfg = Config {
            program: Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../tests/guests/bin")
                .join(name),
            args: vec![name.into()],
            env: vec![],
            sysroot: None,
            stack_size: 8 << 20,
            strace: false,
            ..Config::default()
        };
        Session::start(cfg, name, &Options::default()).expect("starting the guest")
    };
    let s = run("sighandler");
    let ended = s.wait_for(Duration::from_secs(30), |snap| {
        snap.vcpus
            .iter()
            .any(|v| matches!(v.state, VcpuState::Exited(_)))
    });
    let snap = s.control.snapshot();
    assert!(
        ended && snap.stops == 0,
        "sighandler stopped: {}",
        snap.reason
    );
    assert_eq!(s.guest.join().unwrap(), 0);

    let s = run("abort");
    let (snap, _) = stop(&s, 1);
    assert!(
        snap.reason.starts_with("SIGABRT at pc 0x"),
        "{}",
        snap.reason
    );
    s.control.resume();
    assert_eq!(s.guest.join().unwrap(), 134);
}

#[test]
fn step_over_runs_a_call_to_its_return() {
    let s = start(&[], &["sum_squares"]);
    let (_, at) = stop(&s, 1);
    let body = addr(&s, "sum_squares");
    assert_eq!(at.pc, body.start);
    let mut n = 1;
    let mut over_calls = 0;
    let mut last = at;
    // Through the loop's first turns: every stop is in sum_squares, never in square.
    while over_calls < 3 {
        s.control.step(None, Step::Over);
        n += 1;
        let (snap, cpu) = stop(&s, n);
        assert!(
            body.contains(&cpu.pc),
            "left sum_squares: pc 0x{:x}",
            cpu.pc
        );
        if snap.reason.starts_with("stepped over the call") {
            over_calls += 1;
            assert!(cpu.instret > last.instret + 3, "square ran");
            // square(i) returned i*i in a0.
            assert_eq!(cpu.x[10], over_calls * over_calls);
        } else {
            assert_eq!(snap.reason, "stepped one instruction");
            assert_eq!(cpu.instret, last.instret + 1);
        }
        last = cpu;
    }
    s.control.resume();
    assert_eq!(s.guest.join().unwrap(), 0);
}

#[test]
fn finish_returns_to_the_caller_even_through_recursion() {
    let s = start(&[], &["square"]);
    let (_, at) = stop(&s, 1);
    assert_eq!(at.pc, addr(&s, "square").start);
    let mut a = app(&s);
    assert_eq!(frame_names(&a)[..3], ["square", "sum_squares", "main"]);
    let caller = a.frames[1];
    s.control.remove_breakpoint(at.pc);
    press(&mut a, "f");
    let (snap, cpu) = stop(&s, 2);
    assert_eq!(snap.reason, "finished square: back in <sum_squares+0x24>");
    assert_eq!((cpu.pc, cpu.x[2]), (caller.pc, caller.sp));
    assert_eq!(cpu.x[10], 1, "square(1)");

    // depth(5) calls depth(4) ... depth(0): stopped in depth(4), finish must come back to
    // depth(5), not to the same return address in depth(3) that depth(2) reaches first.
    let d = addr(&s, "depth").start;
    s.control.add_breakpoint(d);
    s.control.resume();
    stop(&s, 3);
    s.control.resume();
    let (_, in4) = stop(&s, 4);
    assert_eq!(in4.x[10], 4, "depth(4)");
    s.control.remove_breakpoint(d);
    a.refresh();
    assert_eq!(frame_names(&a)[..3], ["depth", "depth", "main"]);
    press(&mut a, "f");
    let (_, cpu) = stop(&s, 5);
    assert_eq!(cpu.x[10], 4, "depth(4) returned 4");
    assert!(addr(&s, "depth").contains(&cpu.pc));
    s.control.resume();
    assert_eq!(s.guest.join().unwrap(), 0);
}

#[test]
fn registers_memory_and_watchpoints_from_prompts() {
    let s = start(&[], &["square"]);
    let (_, at) = stop(&s, 1);
    let mut a = app(&s);
    // square(x) returns x*x: make x 7.
    press(&mut a, "=a0 = 7\n");
    assert_eq!(a.message, "a0 = 0x7");
    // A word on the stack, written and read back through the views.
    let slot = at.x[2] - 64;
    press(&mut a, &format!("m0x{slot:x} = 0x1122334455667788\n"));
    assert_eq!(a.message, format!("wrote 8 bytes at 0x{slot:x}"));
    a.focus = Panel::Memory;
    press(&mut a, &format!("g0x{slot:x}\n"));
    for _ in 0..200 {
        a.refresh();
        if a.word(slot) == Some(0x1122334455667788) {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(a.word(slot), Some(0x1122334455667788));
    press(&mut a, "mmain = 0\n");
    assert!(
        a.message.ends_with("is not writable guest memory"),
        "{}",
        a.message
    );
    // A watchpoint on that slot: the store of square's frame setup does not touch it, the
    // next write to it stops the guest right after.
    s.control.remove_breakpoint(at.pc);
    press(&mut a, "f");
    let (_, back) = stop(&s, 2);
    assert_eq!(back.x[10], 49, "square(7)");
    press(&mut a, &format!("w0x{:x} 4\n", back.x[8] - 20));
    assert!(
        a.message.starts_with("watching writes to 0x"),
        "{}",
        a.message
    );
    s.control.resume();
    let (snap, _) = stop(&s, 3);
    assert!(
        snap.reason.starts_with("watchpoint at 0x"),
        "{}",
        snap.reason
    );
    press(&mut a, &format!("w0x{:x} 4\n", back.x[8] - 20));
    assert!(a.message.starts_with("watchpoint removed"), "{}", a.message);
    s.control.resume();
    assert_eq!(s.guest.join().unwrap(), 0);
}

fn redact(app: &mut App) {
    app.rename_vcpu(std::process::id() as i32, 1);
    for v in &mut app.snap.vcpus {
        v.host_tid = 2;
        v.cpu_time = Duration::ZERO;
    }
    // The guest's stdout is the test harness's: glibc asks whether it is a terminal only
    // when it is a character device.
    app.snap.syscall_log.retain(|l| !l.contains("ioctl(1,"));
    app.host_threads = vec![
        HostThread {
            tid: 1,
            name: "mimic".into(),
            cpu_secs: 0.0,
        },
        HostThread {
            tid: 2,
            name: "vcpu-main".into(),
            cpu_secs: 0.0,
        },
    ];
}

fn check(name: &str, got: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(format!("{name}.txt"));
    if std::env::var_os("MIMIC_BLESS").is_some() {
        std::fs::write(&path, got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (MIMIC_BLESS=1 writes it)", path.display()));
    assert!(
        want == got,
        "{name} differs from {} (MIMIC_BLESS=1 re-blesses):\n--- got ---\n{got}",
        path.display()
    );
}

/// The post-mortem screen, at the smallest size the UI is made for and at a large one, the
/// backtrace panel alone, and a zoomed panel.
#[test]
fn post_mortem_screens() {
    let s = start(&["segv"], &[]);
    stop(&s, 1);
    let mut a = app(&s);
    redact(&mut a);
    check("debugger-80x24", &tui::render_screen(&a, 80, 24));
    check("debugger-160x48", &tui::render_screen(&a, 160, 48));
    check("backtrace", &tui::render_panel(&a, Panel::Backtrace, 60, 9));
    press(&mut a, "9z");
    check("debugger-zoomed-80x24", &tui::render_screen(&a, 80, 24));
    s.control.resume();
    assert_eq!(s.guest.join().unwrap(), 139);
}
