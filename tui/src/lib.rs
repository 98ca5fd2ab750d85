//! # tui — the terminal UI over a running guest, layer by layer
//!
//! Program / interface A / implementation / interface B / hardware B, with registers,
//! disassembly, memory, the stack, cached blocks, threads, the guest's output and its syscalls.
//!
//! ```text
//!   vCPU thread: Process::run ──hooks──▶ Control ◀── samples (10+/s), keys ── UI thread
//!        │ guest fds 1, 2 ─▶ pipes ─▶ reader threads ─▶ Control's output ring
//!        ▼                                                 │
//!   guest memory (copied out by the vCPU thread only)      ▼
//!                                            App (selection, prompt) ─▶ ui::draw ─▶ terminal
//! ```
//!
//! The UI reads and steers the guest only through the inspection protocol ([`remote`]): the
//! same calls reach a guest in this process (`mimic tui`) or one another mimic runs with
//! `mimic run --inspect ADDR` (`mimic tui --attach ADDR`, where quitting detaches and the
//! guest runs on).
//!
//! The guest never writes to the terminal: its stdout and stderr are pipes shown in a pane,
//! its stdin is the `--stdin` file, or mimic's stdin unless that is the terminal (then
//! /dev/null), and the UI draws on /dev/tty. The terminal is restored on every way out, a
//! panic included.
//!
//! As a debugger: a signal that would end the guest stops every vCPU first (post-mortem: the
//! panes show the faulting state; running on lets it die), and after the end the last state
//! stays on screen until `q`. Step over (`n`) and finish (`f`) run to a return address on the
//! same thread ([`Control::run_to`], `Step::Over`); the backtrace unwinds with the ELF's
//! call frame information ([`backtrace`]) and the disassembly shows its source lines
//! ([`source`]).
//!
//! ```
//! use tui::program::Program;
//! let p = Program::parse(&[], "empty");
//! assert_eq!(p.resolve("0x10+0x4"), Some(0x14));
//! assert_eq!(tui::ui::group(1234567), "1,234,567");
//! ```

pub mod app;
pub mod backtrace;
pub mod disasm;
pub mod program;
pub mod remote;
pub mod source;
mod term;
pub mod ui;

use app::App;
use hypervisor_lite::control::Control;
use hypervisor_lite::{Config, Process};
use program::Program;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The demo guest `mimic tui` runs when given no program (built from tests/guests/src/demo.c).
pub const DEMO: &[u8] = include_bytes!("../../tests/guests/bin/demo");

/// How the UI starts.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Stop at the entry point instead of running.
    pub paused: bool,
    /// Breakpoints to set before starting (addresses or symbols).
    pub breakpoints: Vec<String>,
    /// The guest's stdin (see [`run`] for the default).
    pub stdin: Option<std::path::PathBuf>,
}

/// A guest running on its own thread under a [`Control`].
pub struct Session {
    pub control: Arc<Control>,
    pub program: Program,
    pub guest: JoinHandle<i32>,
}

/// A guest loaded but not started yet: mimic's own errors (bad ELF, missing file) come out
/// of [`Loaded::load`], before the UI takes the terminal.
pub struct Loaded {
    process: Process,
    control: Arc<Control>,
    program: Program,
}

impl Loaded {
    pub fn load(cfg: &Config, name: &str, opts: &Options) -> Result<Loaded, String> {
        let program = Program::read(&cfg.program, name);
        let control = Arc::new(Control::new());
        // Post-mortem: a fatal signal stops the guest before the process dies.
        control.stop_at_fatal(true);
        for b in &opts.breakpoints {
            let addr = program
                .resolve(b)
                .ok_or_else(|| format!("no symbol or address '{b}' in {name}"))?;
            control.add_breakpoint(addr);
        }
        if opts.paused {
            control.pause();
        }
        let process = Process::new(cfg).map_err(|e| e.to_string())?;
        Ok(Loaded {
            process,
            control,
            program,
        })
    }

    /// Runs the guest on its own thread.
    pub fn start(self) -> Result<Session, String> {
        let Loaded {
            process,
            control,
            program,
        } = self;
        let c = control.clone();
        let guest = std::thread::Builder::new()
            .name("vcpu-main".into())
            .spawn(move || {
                // Each vCPU reports its own end to the control.
                process.run_embedded(c)
            })
            .map_err(|e| format!("cannot start the guest thread: {e}"))?;
        Ok(Session {
            control,
            program,
            guest,
        })
    }
}

impl Session {
    /// Loads the program and runs it on a new thread (or holds it at its entry point).
    pub fn start(cfg: Config, name: &str, opts: &Options) -> Result<Session, String> {
        Loaded::load(&cfg, name, opts)?.start()
    }

    /// Waits (up to `timeout`) until `done` holds for the control's snapshot.
    pub fn wait_for(
        &self,
        timeout: Duration,
        done: impl Fn(&hypervisor_lite::control::Snapshot) -> bool,
    ) -> bool {
        let end = Instant::now() + timeout;
        while Instant::now() < end {
            if done(&self.control.snapshot()) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        false
    }
}

/// `mimic tui`: runs `cfg` under the UI; returns the exit status for mimic. A `cfg` whose
/// program is empty runs the embedded demo (its args after argv[0] are the demo's). The
/// guest's stdin is `opts.stdin`, or mimic's own when that is not a terminal, or /dev/null.
pub fn run(cfg: Config, opts: Options) -> i32 {
    let (cfg, name, demo_file) = match cfg {
        c if !c.program.as_os_str().is_empty() => {
            let name = c
                .program
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            (c, name, None)
        }
        mut c => match demo_file() {
            Ok(path) => {
                c.program = path.0.clone();
                c.args[0] = "demo".into();
                (c, "demo (embedded)".to_string(), Some(path))
            }
            Err(e) => {
                hypervisor_lite::diag!("mimic: cannot write the demo guest: {e}");
                return 1;
            }
        },
    };
    let loaded = Loaded::load(&cfg, &name, &opts);
    // The demo's file is read once loaded: gone now, whichever way mimic ends later.
    drop(demo_file);
    let loaded = match loaded {
        Ok(l) => l,
        Err(e) => {
            hypervisor_lite::diag!("mimic: {e}");
            return 1;
        }
    };
    let stdin = match &opts.stdin {
        Some(p) => match std::fs::File::open(p) {
            Ok(f) => Some(f),
            Err(e) => {
                hypervisor_lite::diag!("mimic: --stdin {}: {e}", p.display());
                return 1;
            }
        },
        None => None,
    };
    let mut guard = match term::Terminal::take(stdin) {
        Ok(t) => t,
        Err(e) => {
            hypervisor_lite::diag!("mimic: tui: {e}");
            return 1;
        }
    };
    let session = match loaded.start() {
        Ok(s) => s,
        Err(e) => {
            drop(guard);
            hypervisor_lite::diag!("mimic: {e}");
            return 1;
        }
    };
    guard.capture(session.control.clone());
    let mut app = App::new(session.program.clone(), session.control.clone());
    let result = guard.event_loop(&mut app);
    drop(guard);
    if let Err(e) = result {
        hypervisor_lite::diag!("mimic: tui: {e}");
        return 1;
    }
    let snap = session.control.snapshot();
    match snap.vcpus.first().map(|v| &v.state) {
        Some(hypervisor_lite::control::VcpuState::Exited(s)) => *s,
        _ => 0,
    }
}

/// `mimic tui --attach ADDR`: the UI over a guest that `mimic run --inspect ADDR` runs in
/// another process. Quitting detaches: the breakpoints go and the guest runs on.
pub fn attach(addr: &str) -> i32 {
    use remote::protocol::Stub;
    let fail = |e: String| {
        hypervisor_lite::diag!("mimic: --attach {addr}: {e}");
        1
    };
    let target = match remote::addr::Addr::parse(addr) {
        Ok(a) => a,
        Err(e) => return fail(e),
    };
    let mut app = match connect(&target) {
        Ok(a) => a,
        Err(e) => return fail(e),
    };
    let mut guard = match term::Terminal::take_screen() {
        Ok(t) => t,
        Err(e) => return fail(format!("tui: {e}")),
    };
    app.message = format!("attached to {target}; q detaches");
    let result = guard.event_loop(&mut app);
    drop(guard);
    let id = app.peer.detach();
    let detached = app.peer.wait(id, remote::client::TIMEOUT);
    if let Err(e) = result {
        return fail(format!("tui: {e}"));
    }
    match detached {
        Ok(_) => hypervisor_lite::diag!("mimic: detached from {target}; the guest runs on"),
        // The server ends with its guest.
        Err(e) if e.code == remote::protocol::Code::Disconnected => {
            hypervisor_lite::diag!("mimic: {target}: the guest has ended")
        }
        Err(e) => return fail(e.to_string()),
    }
    0
}

/// The UI over the guest served at `target`: its program (with source lines and unwind
/// tables from its ELF's bytes), and post-mortem stops on while attached.
pub fn connect(target: &remote::addr::Addr) -> Result<App, String> {
    use remote::protocol::{Reply, Stub};
    let mut client = remote::client::Client::connect(target)?;
    let id = client.program();
    let mut program = match client.wait(id, remote::client::TIMEOUT) {
        Ok(Reply::Program(p)) => p,
        Ok(r) => return Err(format!("a reply to {} for program", r.call().name())),
        Err(e) => return Err(e.to_string()),
    };
    let id = client.image();
    match client.wait(id, remote::client::TIMEOUT) {
        Ok(Reply::Image((path, bytes))) if !bytes.is_empty() => {
            program = Program::parse_at(&bytes, &program.name, Some(std::path::Path::new(&path)))
        }
        Ok(Reply::Image(_)) => {}
        Ok(r) => return Err(format!("a reply to {} for image", r.call().name())),
        Err(e) => return Err(e.to_string()),
    }
    // Detaching turns it off again.
    client.stop_at_fatal(true);
    Ok(App::with_client(program, client))
}

/// `mimic run --inspect ADDR`: binds ADDR (loopback only for TCP unless `any`) and serves the
/// state of the guest that `control` will watch, from a thread of its own. The address bound
/// (with the port chosen for port 0) comes back.
pub fn serve_inspect(
    addr: &str,
    any: bool,
    program: &std::path::Path,
    control: Arc<Control>,
) -> Result<remote::addr::Addr, String> {
    let target = remote::addr::Addr::parse(addr)?;
    let listener = remote::addr::Listener::bind(&target, any)?;
    let bound = listener.local();
    let name = program
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let bytes = hypervisor_lite::exec_file::read(program, u64::MAX).unwrap_or_default();
    let service = remote::server::Inspected {
        control,
        program: Program::parse_at(&bytes, &name, Some(program)),
        image: (program.display().to_string(), bytes),
    };
    remote::server::serve(listener, Arc::new(service))
        .map_err(|e| format!("cannot start the inspection server: {e}"))?;
    Ok(bound)
}

/// The embedded demo written to a private temporary file (removed when dropped).
struct TempFile(std::path::PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn demo_file() -> std::io::Result<TempFile> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let path = std::env::temp_dir().join(format!("mimic-demo-{}", std::process::id()));
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o700)
        .open(&path)?;
    f.write_all(DEMO)?;
    Ok(TempFile(path))
}

/// Renders one panel of `app` into a `width`×`height` text picture (the snapshot tests'
/// form: one line per row, trailing blanks trimmed).
pub fn render_panel(app: &App, panel: app::Panel, width: u16, height: u16) -> String {
    render(width, height, |f| ui::draw_panel(app, f, panel, f.area()))
}

/// Renders the whole screen as text.
pub fn render_screen(app: &App, width: u16, height: u16) -> String {
    render(width, height, |f| ui::draw(app, f))
}

fn render(width: u16, height: u16, draw: impl FnOnce(&mut ratatui::Frame)) -> String {
    let backend = ratatui::backend::TestBackend::new(width, height);
    let mut t = ratatui::Terminal::new(backend).expect("a test terminal");
    t.draw(draw).expect("drawing on a test terminal");
    let buf = t.backend().buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut line = String::new();
        for x in 0..buf.area.width {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
