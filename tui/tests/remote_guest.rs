//! The inspection server in front of a running guest: a client that stops reading does not
//! stall the guest, and the one TUI (`App`) steers a guest over a socket as it does in-process.

use hypervisor_lite::control::{Control, VcpuState, Why};
use hypervisor_lite::Config;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use std::io::Write;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tui::app::App;
use tui::remote::addr::{Addr, Listener};
use tui::remote::client::Client;
use tui::remote::encode_request;
use tui::remote::protocol::{Reply, Request, Stub};
use tui::remote::server::{serve, Inspected};
use tui::{Options, Session};

/// The demo with `frames` frames and no delay, held at its entry point.
fn demo(name: &str, frames: &str) -> Session {
    let path = std::env::temp_dir().join(format!("mimic-remote-{name}-{}", std::process::id()));
    std::fs::write(&path, tui::DEMO).unwrap();
    let cfg = Config {
        program: path.clone(),
        args: vec!["demo".into(), frames.into(), "0".into()],
        env: vec![],
        sysroot: None,
        stack_size: 8 << 20,
        strace: false,
        ..Config::default()
    };
    let opts = Options {
        paused: true,
        breakpoints: vec![],
        stdin: None,
    };
    let s = Session::start(cfg, "demo", &opts).expect("starting the demo");
    std::fs::remove_file(&path).unwrap();
    s
}

/// Serves `control` on a fresh unix socket; returns its path.
fn serve_at(name: &str, control: Arc<Control>) -> PathBuf {
    let path =
        std::env::temp_dir().join(format!("mimic-remote-{name}-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let listener = Listener::bind(&Addr::Unix(path.clone()), false).unwrap();
    let service = Inspected {
        control,
        program: tui::program::Program::parse(tui::DEMO, "demo"),
        image: ("demo".into(), tui::DEMO.to_vec()),
    };
    serve(listener, Arc::new(service)).unwrap();
    path
}

/// Runs the demo to its end under an inspection server, with or without a client that sends
/// snapshot calls as fast as it can and never reads a reply. The guest's run time, and
/// whether the server let the stuck client go.
fn timed_run(stuck: bool) -> (Duration, bool) {
    let name = if stuck { "stuck" } else { "free" };
    let s = demo(name, "150");
    let path = serve_at(name, s.control.clone());
    let flood = stuck.then(|| {
        let mut c = UnixStream::connect(&path).unwrap();
        // Once the socket's buffers are full, a write waits until the server lets the client
        // go (an error) or times out (the client is still held: try again, up to a limit).
        c.set_write_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        std::thread::spawn(move || {
            let req = encode_request(1, &Request::Snapshot {});
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(20) {
                match c.write(&req) {
                    Ok(_) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                    Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
                    Err(_) => return true,
                }
            }
            false
        })
    });
    // The flood is under way before the guest runs.
    std::thread::sleep(Duration::from_millis(100));
    let start = Instant::now();
    s.control.resume();
    assert_eq!(s.guest.join().unwrap(), 0);
    let took = start.elapsed();
    let let_go = flood.is_none_or(|f| f.join().unwrap());
    // The server still answers.
    let mut c = Client::connect(&Addr::Unix(path.clone())).unwrap();
    let id = c.snapshot();
    assert!(matches!(
        c.wait(id, Duration::from_secs(5)),
        Ok(Reply::Snapshot(_))
    ));
    let _ = std::fs::remove_file(&path);
    (took, let_go)
}

#[test]
fn a_client_that_stops_reading_does_not_stall_the_guest() {
    let (free, _) = timed_run(false);
    let (stuck, let_go) = timed_run(true);
    eprintln!("the demo ran in {free:?} alone, {stuck:?} with a stuck client");
    assert!(let_go, "the server kept a client that reads nothing");
    assert!(
        stuck < free * 3 + Duration::from_millis(500),
        "the guest took {stuck:?} with a stuck client, {free:?} without"
    );
}

fn press(app: &mut App, c: char) {
    app.key(KeyEvent::from(KeyCode::Char(c)));
}

/// Refreshes `app` as the UI's loop does until `done` holds for it.
fn until(app: &mut App, what: &str, done: impl Fn(&App) -> bool) {
    let end = Instant::now() + Duration::from_secs(20);
    loop {
        app.refresh();
        if done(app) {
            return;
        }
        assert!(Instant::now() < end, "never {what}: {}", app.message);
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn the_tui_steers_a_guest_over_a_socket_and_detaching_lets_it_finish() {
    let s = demo("app", "40");
    let path = serve_at("app", s.control.clone());
    let addr = Addr::Unix(path.clone());
    let mut client = Client::connect(&addr).unwrap();
    let id = client.program();
    let Ok(Reply::Program(program)) = client.wait(id, Duration::from_secs(5)) else {
        panic!("no program");
    };
    assert!(program.find("render").is_some());
    let mut app = App::with_client(program, client);
    until(&mut app, "parked at the entry", |a| {
        a.snap.paused
            && a.selected().is_some_and(|v| v.state == VcpuState::Paused)
            && a.views().iter().all(|&(at, n)| a.view(at, n).is_some())
    });
    let entry = app.selected().unwrap().cpu.pc;
    assert_eq!(entry, app.program.entry);

    // Step one instruction; the registers and the disassembly come over the socket.
    let stops = app.snap.stops;
    press(&mut app, 's');
    until(&mut app, "stepped, its code copied", |a| {
        a.snap.stops > stops
            && a.selected().is_some_and(|v| v.cpu.instret == 1)
            && a.views().iter().all(|&(at, n)| a.view(at, n).is_some())
    });
    assert_eq!(app.snap.reason, "stepped one instruction");
    let pc = app.selected().unwrap().cpu.pc;
    let text = tui::render_screen(&app, 200, 50);
    assert!(
        text.lines().any(|l| l.contains(&format!(" ▶{pc:8x} "))),
        "pc marked in the disassembly:\n{text}"
    );
    assert!(app.inspect("pc").starts_with(&format!("pc = 0x{pc:016x}")));

    // A breakpoint by symbol, run to it.
    for c in "brender\n".chars() {
        app.key(KeyEvent::from(match c {
            '\n' => KeyCode::Enter,
            c => KeyCode::Char(c),
        }));
    }
    until(&mut app, "breakpoint set", |a| {
        a.message.contains("breakpoint set")
    });
    press(&mut app, ' ');
    let render = app.program.find("render").unwrap().addr;
    until(&mut app, "at render", |a| {
        a.snap.paused && a.selected().is_some_and(|v| v.cpu.pc == render)
    });

    // Detach: the breakpoint goes, the guest runs to its end.
    let id = app.peer.detach();
    assert!(matches!(
        app.peer.wait(id, Duration::from_secs(5)),
        Ok(Reply::Detach(()))
    ));
    drop(app);
    assert_eq!(s.guest.join().unwrap(), 0);
    let _ = std::fs::remove_file(&path);
}

/// The debugger over a socket, as `mimic tui --attach` has it: attaching turns post-mortem
/// on (the server's control had it off), tuidbg's segfault stops the guest with the faulting
/// state, the backtrace and source line come from the ELF's bytes the server sends, a
/// register edit and a step over go through, and `c` lets the guest die.
#[test]
fn post_mortem_and_edits_over_a_socket() {
    let elf = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/guests/bin/tuidbg");
    let cfg = Config {
        program: elf.clone(),
        args: vec!["tuidbg".into(), "segv".into()],
        env: vec!["LANG=C".into()],
        sysroot: None,
        stack_size: 8 << 20,
        strace: false,
        ..Config::default()
    };
    let opts = Options {
        breakpoints: vec!["crash".into()],
        ..Options::default()
    };
    let s = Session::start(cfg, "tuidbg", &opts).expect("starting tuidbg");
    s.control.stop_at_fatal(false);
    let path = std::env::temp_dir().join(format!("mimic-remote-pm-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let listener = Listener::bind(&Addr::Unix(path.clone()), false).unwrap();
    let bytes = std::fs::read(&elf).unwrap();
    let service = Inspected {
        control: s.control.clone(),
        // What the client gets from `program` has no lines or unwind tables of its own.
        program: tui::program::Program::parse(&bytes, "tuidbg"),
        image: (elf.display().to_string(), bytes),
    };
    serve(listener, Arc::new(service)).unwrap();
    let mut app = tui::connect(&Addr::Unix(path.clone())).expect("attaching");

    // At the breakpoint on crash, a step over (`n`).
    until(&mut app, "at crash", |a| {
        a.snap.paused && a.selected().is_some_and(|v| v.state == VcpuState::Paused)
    });
    let crash = app.program.find("crash").unwrap().addr;
    assert_eq!(app.selected().unwrap().cpu.pc, crash);
    let stops = app.snap.stops;
    press(&mut app, 'n');
    until(&mut app, "stepped over", |a| {
        a.snap.stops > stops && a.selected().is_some_and(|v| v.state == VcpuState::Paused)
    });
    assert_ne!(app.selected().unwrap().cpu.pc, crash, "{}", app.snap.reason);

    // A register edit: x0 cannot be set, t6 can.
    for c in "=t6 = 0x77\n".chars() {
        app.key(KeyEvent::from(match c {
            '\n' => KeyCode::Enter,
            c => KeyCode::Char(c),
        }));
    }
    until(&mut app, "t6 set", |a| {
        a.selected().is_some_and(|v| v.cpu.x[31] == 0x77)
    });
    assert!(app.message.contains("t6 = 0x77"), "{}", app.message);

    // Run on into the segfault: it stops the guest, which is alive.
    press(&mut app, 'c');
    until(&mut app, "stopped at the fault", |a| {
        matches!(a.snap.why, Why::Fatal { sig: 11, .. })
            && a.selected().is_some_and(|v| v.state == VcpuState::Paused)
            && a.frames.len() >= 3
    });
    assert!(
        app.snap.reason.starts_with("SIGSEGV at pc 0x"),
        "{}",
        app.snap.reason
    );
    assert!(!s.guest.is_finished());
    let names: Vec<String> = app
        .frames
        .iter()
        .take(3)
        .map(|f| {
            let d = app.program.describe(f.pc).unwrap_or_default();
            d.split('+').next().unwrap_or_default().to_string()
        })
        .collect();
    assert_eq!(names, ["poke", "crash", "main"]);
    let pc = app.selected().unwrap().cpu.pc;
    let place = app
        .program
        .lines
        .at(pc)
        .expect("a source line for the fault");
    assert_eq!(place.text, Some("    *p = v;"));

    // `c` delivers it; the last state stays.
    press(&mut app, 'c');
    assert_eq!(s.guest.join().unwrap(), 139);
    until(&mut app, "exited", |a| a.exited());
    assert_eq!(app.snap.reason, "killed by SIGSEGV (status 139)");
    let _ = std::fs::remove_file(&path);
}

/// A client that pauses the guest and then vanishes without detaching (a killed UI) does not
/// leave it held: the last client gone, the server lets it go as a detach would.
#[test]
fn a_client_that_vanishes_does_not_hold_the_guest() {
    let s = demo("vanish", "20");
    let path = serve_at("vanish", s.control.clone());
    let mut c = Client::connect(&Addr::Unix(path.clone())).unwrap();
    let id = c.toggle_breakpoint(0);
    assert!(c.wait(id, Duration::from_secs(5)).is_ok());
    let id = c.pause();
    assert!(c.wait(id, Duration::from_secs(5)).is_ok());
    drop(c);
    // Nobody resumes it: it must run to its end by itself.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(s.guest.join().unwrap()));
    let status = rx.recv_timeout(Duration::from_secs(20));
    let _ = std::fs::remove_file(&path);
    assert_eq!(
        status,
        Ok(0),
        "the guest stayed held after its client vanished"
    );
}
