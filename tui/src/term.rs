//! The terminal and the guest's standard streams while the UI runs.
//!
//! Guest file descriptors are mimic's own, so the guest's fds 1 and 2 become pipes (read into
//! the control's output ring) and the UI draws on /dev/tty and reads its keys there. fd 0 is
//! the guest's stdin: the `--stdin` file when given; mimic's own stdin when that is not a
//! terminal (a pipe or a file: `cmd | mimic tui prog` works as with `mimic run`); /dev/null
//! when it is the terminal, whose keys are the UI's. Every way out — return, error, panic on
//! any thread — puts the terminal and the three fds back.

use crate::app::App;
use crate::ui;
use hypervisor_lite::control::{Control, Stream};
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{self, Event, KeyEventKind};
use ratatui::crossterm::{cursor, execute, terminal};
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The fds 0, 1, 2 had before the UI took them (-1: not taken).
static SAVED: [AtomicI32; 3] = [AtomicI32::new(-1), AtomicI32::new(-1), AtomicI32::new(-1)];
/// Whether the terminal is in raw mode on the alternate screen.
static ACTIVE: AtomicBool = AtomicBool::new(false);

/// How often the screen is redrawn while no key arrives.
const FRAME: Duration = Duration::from_millis(80);

pub struct Terminal {
    term: ratatui::Terminal<CrosstermBackend<File>>,
    /// Read ends of the guest's stdout and stderr pipes, until [`Terminal::capture`].
    pipes: Option<(File, File)>,
}

fn check(r: libc::c_int, what: &str) -> io::Result<libc::c_int> {
    if r < 0 {
        let e = io::Error::last_os_error();
        Err(io::Error::new(e.kind(), format!("{what}: {e}")))
    } else {
        Ok(r)
    }
}

fn pipe() -> io::Result<(File, libc::c_int)> {
    let mut fds = [0; 2];
    check(
        // SAFETY: fds has room for the two descriptors.
        unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) },
        "pipe",
    )?;
    // SAFETY: the read end is ours alone.
    Ok((unsafe { File::from_raw_fd(fds[0]) }, fds[1]))
}

impl Terminal {
    /// Redirects the standard streams and enters the UI's screen; `stdin` is the guest's
    /// stdin when given (see the module's doc otherwise).
    pub fn take(stdin: Option<File>) -> io::Result<Terminal> {
        Terminal::open(Some(stdin))
    }

    /// Enters the UI's screen, leaving the standard streams alone (no guest in this process).
    pub fn take_screen() -> io::Result<Terminal> {
        Terminal::open(None)
    }

    /// `redirect`: the guest's stdin, when the standard streams are the guest's.
    fn open(redirect: Option<Option<File>>) -> io::Result<Terminal> {
        let tty = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/tty")
            .map_err(|e| io::Error::new(e.kind(), format!("needs a terminal: /dev/tty: {e}")))?;
        install_panic_hook();
        watch_signals()?;
        let pipes = match redirect {
            Some(stdin) => Some(redirect_streams(stdin)?),
            None => None,
        };
        terminal::enable_raw_mode()?;
        ACTIVE.store(true, Ordering::SeqCst);
        let mut out = tty.try_clone()?;
        execute!(out, terminal::EnterAlternateScreen, cursor::Hide)?;
        let term = ratatui::Terminal::new(CrosstermBackend::new(tty))?;
        Ok(Terminal { term, pipes })
    }

    /// Starts the threads that read the guest's output into `control`.
    pub fn capture(&mut self, control: Arc<Control>) {
        let Some((out, err)) = self.pipes.take() else {
            return;
        };
        for (mut f, stream, name) in [
            (out, Stream::Stdout, "guest-stdout"),
            (err, Stream::Stderr, "guest-stderr"),
        ] {
            let c = control.clone();
            let _ = std::thread::Builder::new()
                .name(name.into())
                .spawn(move || {
                    let mut buf = [0u8; 4096];
                    while let Ok(n @ 1..) = io::Read::read(&mut f, &mut buf) {
                        c.push_output(stream, &buf[..n]);
                    }
                });
        }
    }

    /// Draws and handles keys until the user quits.
    pub fn event_loop(&mut self, app: &mut App) -> io::Result<()> {
        loop {
            app.refresh();
            self.term.draw(|f| ui::draw(app, f))?;
            if app.quit {
                return Ok(());
            }
            let until = Instant::now() + FRAME;
            while let Some(left) = until.checked_duration_since(Instant::now()) {
                if !event::poll(left)? {
                    break;
                }
                if let Event::Key(k) = event::read()? {
                    if k.kind != KeyEventKind::Release {
                        app.key(k);
                        break;
                    }
                }
            }
        }
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        restore();
    }
}

/// Makes fd 0 `stdin` (or /dev/null for a terminal's) and fds 1 and 2 pipes (returning their
/// read ends), saving the three.
fn redirect_streams(stdin: Option<File>) -> io::Result<(File, File)> {
    let (out_r, out_w) = pipe()?;
    let (err_r, err_w) = pipe()?;
    // SAFETY: isatty only looks at the descriptor.
    let tty_stdin = unsafe { libc::isatty(0) } == 1;
    let stdin = match stdin {
        Some(f) => Some(f),
        None if tty_stdin => Some(File::open("/dev/null")?),
        None => None,
    };
    for (fd, saved) in SAVED.iter().enumerate() {
        // SAFETY: duplicating a standard fd.
        let d = check(
            unsafe { libc::fcntl(fd as i32, libc::F_DUPFD_CLOEXEC, 3) },
            "dup",
        )?;
        saved.store(d, Ordering::SeqCst);
    }
    // SAFETY: replacing the standard fds with ours; the originals are saved above.
    unsafe {
        if let Some(f) = &stdin {
            check(libc::dup2(f.as_raw_fd(), 0), "dup2")?;
        }
        check(libc::dup2(out_w, 1), "dup2")?;
        check(libc::dup2(err_w, 2), "dup2")?;
        libc::close(out_w);
        libc::close(err_w);
    }
    Ok((out_r, err_r))
}

/// Leaves the UI's screen and gives the standard fds back; safe to call twice.
fn restore() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        let _ = terminal::disable_raw_mode();
        if let Ok(mut tty) = std::fs::OpenOptions::new().write(true).open("/dev/tty") {
            let _ = execute!(tty, terminal::LeaveAlternateScreen, cursor::Show);
        }
    }
    for (fd, saved) in SAVED.iter().enumerate() {
        let d = saved.swap(-1, Ordering::SeqCst);
        if d >= 0 {
            // SAFETY: putting back the fd saved in `take`.
            unsafe {
                libc::dup2(d, fd as i32);
                libc::close(d);
            }
        }
    }
}

/// SIGTERM, SIGHUP and SIGQUIT end mimic as their default action would, but with the
/// terminal restored: they are blocked here, before any other thread exists (threads inherit
/// the mask), and a thread of their own waits for them. Guest signals are emulated and do not
/// depend on the host mask.
fn watch_signals() -> io::Result<()> {
    // SAFETY: plain sigset manipulation on a local set.
    let set = unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for sig in [libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT] {
            libc::sigaddset(&mut set, sig);
        }
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        set
    };
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            let mut sig = 0;
            // SAFETY: set is a valid signal set; sig receives the number.
            if unsafe { libc::sigwait(&set, &mut sig) } == 0 {
                restore();
                std::process::exit(128 + sig);
            }
        })?;
    Ok(())
}

/// A panic on any thread restores the terminal first, so its message is readable and the
/// shell usable, then reports as mimic does and ends the process.
fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
        std::process::exit(101);
    }));
}
