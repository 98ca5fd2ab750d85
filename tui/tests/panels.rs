//! Snapshot tests: each panel, drawn with ratatui's TestBackend, of the demo guest stopped at
//! `main` by a breakpoint set by symbol, against `tests/snapshots/<panel>.txt`.
//! `MIMIC_BLESS=1 cargo test -p tui --test panels` rewrites the expected files.
//!
//! What differs between runs and machines — the guest's tid (mimic's pid), host thread ids
//! and CPU times — is replaced by fixed values before drawing.

use hypervisor_lite::control::Stream;
use hypervisor_lite::Config;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tui::app::{App, HostThread, Panel};
use tui::{Options, Session};

/// The demo at a fixed path, so the guest's stack (which holds the path) is the same everywhere.
fn demo_path() -> PathBuf {
    static WRITTEN: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    WRITTEN
        .get_or_init(|| {
            let path = Path::new("/tmp/mimic-tui-panels-demo");
            std::fs::write(path, tui::DEMO).expect("writing the demo guest");
            path.to_path_buf()
        })
        .clone()
}

/// The demo guest, stopped at `main`, with every panel's memory copied out.
fn stopped_at_main() -> (Session, App) {
    let cfg = Config {
        program: demo_path(),
        // No frames: after the test the guest is let go and ends at once.
        args: vec!["demo".into(), "0".into(), "0".into()],
        env: vec!["LANG=C".into()],
        sysroot: None,
        stack_size: 8 << 20,
        strace: false,
        ..Config::default()
    };
    let opts = Options {
        paused: false,
        stdin: None,
        breakpoints: vec!["main".into()],
    };
    let session = Session::start(cfg, "demo", &opts).expect("starting the demo guest");
    let main = session.program.find("main").expect("demo has main").addr;
    assert!(
        session.wait_for(Duration::from_secs(20), |s| {
            s.paused && s.vcpus.first().is_some_and(|v| v.cpu.pc == main)
        }),
        "the demo did not stop at main"
    );
    let mut app = App::new(session.program.clone(), session.control.clone());
    let mut tries = 0;
    loop {
        app.refresh();
        let views = app.views();
        if !views.is_empty() && views.iter().all(|&(a, n)| app.view(a, n).is_some()) {
            break;
        }
        tries += 1;
        assert!(tries < 2000, "the vCPU never copied the views out");
        std::thread::sleep(Duration::from_millis(5));
    }
    (session, app)
}

fn redact(app: &mut App) {
    app.rename_vcpu(std::process::id() as i32, 1);
    for v in &mut app.snap.vcpus {
        v.host_tid = 2;
        v.cpu_time = Duration::ZERO;
    }
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

fn finish(session: Session) {
    session.control.resume();
    assert_eq!(session.guest.join().expect("guest thread"), 0);
}

fn check(name: &str, got: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(format!("{name}.txt"));
    if std::env::var_os("MIMIC_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (MIMIC_BLESS=1 writes it)", path.display()));
    if want != got {
        let diff: Vec<String> = want
            .lines()
            .zip(got.lines())
            .enumerate()
            .filter(|(_, (w, g))| w != g)
            .map(|(i, (w, g))| format!("line {}:\n  want: {w}\n  got:  {g}", i + 1))
            .collect();
        panic!(
            "{name} differs from {} (MIMIC_BLESS=1 re-blesses):\n{}\n--- got ---\n{got}",
            path.display(),
            diff.join("\n")
        );
    }
}

fn panel(name: &str, p: Panel, w: u16, h: u16) {
    let (session, mut app) = stopped_at_main();
    redact(&mut app);
    check(name, &tui::render_panel(&app, p, w, h));
    finish(session);
}

#[test]
fn layers() {
    panel("layers", Panel::Layers, 100, 20);
}

#[test]
fn registers() {
    panel("registers", Panel::Registers, 104, 19);
}

#[test]
fn disassembly() {
    panel("disassembly", Panel::Code, 96, 24);
}

#[test]
fn memory() {
    panel("memory", Panel::Memory, 84, 12);
}

#[test]
fn stack() {
    panel("stack", Panel::Stack, 84, 12);
}

#[test]
fn blocks() {
    let (session, mut app) = stopped_at_main();
    // The third block decoded (_start's body), its instructions beside the host code.
    app.lower = Panel::Blocks;
    app.block_sel = 2;
    while app.view(app.views()[3].0, app.views()[3].1).is_none() {
        std::thread::sleep(Duration::from_millis(5));
        app.refresh();
    }
    redact(&mut app);
    check("blocks", &tui::render_panel(&app, Panel::Blocks, 110, 16));
    finish(session);
}

#[test]
fn threads() {
    panel("threads", Panel::Threads, 50, 7);
}

#[test]
fn syscalls() {
    panel("syscalls", Panel::Syscalls, 110, 14);
}

#[test]
fn guest_output_keeps_streams_and_joins_partial_lines() {
    let (session, mut app) = stopped_at_main();
    let c = &session.control;
    c.push_output(Stream::Stdout, b"frame 1/2\n|  ..::--|\n|par");
    c.push_output(Stream::Stderr, b"demo: a warning\n");
    c.push_output(Stream::Stdout, b"tial|\n");
    app.refresh();
    redact(&mut app);
    check("output", &tui::render_panel(&app, Panel::Output, 60, 7));
    finish(session);
}

/// After a step, what changed since the stop at `main` is highlighted, and the help overlay
/// lists every key: the whole screen, which the README shows too.
#[test]
fn screen_after_a_step() {
    let (session, mut app) = stopped_at_main();
    let stops = app.snap.stops;
    session
        .control
        .step(None, hypervisor_lite::control::Step::Block);
    assert!(session.wait_for(Duration::from_secs(10), |s| s.paused && s.stops > stops));
    loop {
        app.refresh();
        let views = app.views();
        if views.iter().all(|&(a, n)| app.view(a, n).is_some())
            && app.snap.vcpus[0].state == hypervisor_lite::control::VcpuState::Paused
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    redact(&mut app);
    let regs = app.snap.vcpus[0].cpu.clone();
    let base = app.compare_base().expect("a previous stop").clone();
    assert_ne!(regs.pc, base.pc, "the step moved pc");
    let screen = tui::render_screen(&app, 200, 50);
    check("screen", &screen);
    let readme = Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
    let readme = std::fs::read_to_string(readme).expect("README.md");
    assert!(
        readme.contains(screen.trim_end()),
        "README.md's capture of the screen is out of date: copy tui/tests/snapshots/screen.txt"
    );
    app.help = true;
    let help = tui::render_screen(&app, 200, 50);
    for (key, what) in tui::ui::KEYS {
        assert!(
            help.contains(key) && help.contains(what),
            "help lacks {key}"
        );
    }
    finish(session);
}

/// A translated block shows its x86-64 code beside its guest instructions (interface B).
#[test]
fn blocks_show_a_translated_blocks_host_code() {
    let (session, mut app) = stopped_at_main();
    let i = app
        .snap
        .engine
        .list
        .iter()
        .position(|b| b.host_bytes.is_some())
        .expect("some block of the demo's start-up is hot enough to be translated");
    let pc = app.snap.engine.list[i].pc;
    app.lower = Panel::Blocks;
    app.block_sel = i;
    let mut tries = 0;
    loop {
        app.refresh();
        if matches!(&app.snap.host_asm, Some((at, _)) if *at == pc) {
            break;
        }
        tries += 1;
        assert!(tries < 2000, "the vCPU never published the host code");
        std::thread::sleep(Duration::from_millis(5));
    }
    let text = tui::render_panel(&app, Panel::Blocks, 160, 60);
    let host = text
        .split("host (x86-64)")
        .nth(1)
        .expect("a host code section");
    assert!(
        host.contains("mov") || host.contains("jmp") || host.contains("lea"),
        "no x86-64 instructions under the block:\n{text}"
    );
    finish(session);
}
