//! `mimic tui`'s guest stdin, end to end: mimic runs on a pseudo-terminal of its own (the UI
//! needs one) with tests/guests/bin/tuidbg `echo`, which copies its stdin upper-cased. A pipe
//! on mimic's stdin reaches the guest, so does `--stdin FILE`, and with the terminal on
//! mimic's stdin the guest reads /dev/null (it ends at once instead of waiting for the keys).
//!
//! The screen is a stream of escape sequences that rewrites only the cells that change, so
//! the checks look for words without blanks, each drawn in one piece on the full layout.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::FromRawFd;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn guest() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/guests/bin/tuidbg")
}

fn input() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/guests/input/tuidbg-echo.txt")
}

/// mimic tui on a new 160x48 pseudo-terminal, and what it draws.
struct Screen {
    master: File,
    child: Child,
    seen: Arc<Mutex<Vec<u8>>>,
}

impl Screen {
    /// `stdin`: mimic's stdin (None: the terminal).
    fn start(args: &[&str], stdin: Option<Stdio>) -> Screen {
        let (mut m, mut s) = (0, 0);
        let ws = libc::winsize {
            ws_row: 48,
            ws_col: 160,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: openpty writes the two descriptors; the name buffer and termios are optional.
        let r =
            unsafe { libc::openpty(&mut m, &mut s, std::ptr::null_mut(), std::ptr::null(), &ws) };
        assert_eq!(r, 0, "openpty: {}", std::io::Error::last_os_error());
        // SAFETY: both descriptors are new and ours.
        let (master, slave) = unsafe { (File::from_raw_fd(m), File::from_raw_fd(s)) };
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_mimic"));
        let stdin = stdin.unwrap_or_else(|| Stdio::from(slave.try_clone().unwrap()));
        cmd.arg("tui")
            .args(args)
            .stdin(stdin)
            .stdout(slave.try_clone().unwrap())
            .stderr(slave.try_clone().unwrap())
            .env("TERM", "xterm");
        let tty = slave.try_clone().unwrap();
        let fd = std::os::fd::AsRawFd::as_raw_fd(&tty);
        // SAFETY: between fork and exec: a new session whose controlling terminal is the
        // pseudo-terminal, so the UI's /dev/tty is it.
        unsafe {
            cmd.pre_exec(move || {
                if libc::setsid() < 0 || libc::ioctl(fd, libc::TIOCSCTTY, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().expect("starting mimic tui");
        drop((slave, tty));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let mut reader = master.try_clone().unwrap();
        let into = seen.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n @ 1..) = reader.read(&mut buf) {
                into.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Screen {
            master,
            child,
            seen,
        }
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.seen.lock().unwrap()).into_owned()
    }

    /// Waits until every word has been drawn.
    fn wait_for(&self, words: &[&str]) {
        let end = Instant::now() + Duration::from_secs(30);
        while Instant::now() < end {
            let t = self.text();
            if words.iter().all(|w| t.contains(w)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let t = self.text();
        let missing: Vec<_> = words.iter().filter(|w| !t.contains(*w)).collect();
        panic!("never drawn: {missing:?}\n--- screen stream ---\n{t}");
    }

    /// Quits with `q` and returns mimic's exit status.
    fn quit(mut self) -> i32 {
        self.master.write_all(b"q").unwrap();
        let end = Instant::now() + Duration::from_secs(20);
        while Instant::now() < end {
            if let Some(st) = self.child.try_wait().unwrap() {
                return st.code().unwrap_or(-1);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        panic!("mimic tui did not quit on q");
    }
}

/// The words of the guest's output for tuidbg-echo.txt.
const ECHOED: &[&str] = &["FIRST", "SECOND:", "MIXED", "123", "NEWLINE4", "exited"];

#[test]
fn a_pipe_on_mimics_stdin_is_the_guests() {
    let mut cmd = Command::new("cat")
        .arg(input())
        .stdout(Stdio::piped())
        .spawn()
        .expect("cat");
    let pipe = cmd.stdout.take().unwrap();
    let g = guest();
    let screen = Screen::start(&[g.to_str().unwrap(), "echo"], Some(Stdio::from(pipe)));
    screen.wait_for(ECHOED);
    assert_eq!(screen.quit(), 0);
    cmd.wait().unwrap();
}

#[test]
fn stdin_from_a_file_with_the_terminal_on_mimics_stdin() {
    let g = guest();
    let i = input();
    let screen = Screen::start(
        &["--stdin", i.to_str().unwrap(), g.to_str().unwrap(), "echo"],
        None,
    );
    screen.wait_for(ECHOED);
    assert_eq!(screen.quit(), 0);
}

#[test]
fn the_terminal_stays_the_uis_and_the_guest_reads_nothing() {
    let g = guest();
    let screen = Screen::start(&[g.to_str().unwrap(), "echo"], None);
    screen.wait_for(&["exited"]);
    let t = screen.text();
    assert!(!t.contains("NEWLINE4"), "the guest read something");
    assert_eq!(screen.quit(), 0);
}

#[test]
fn a_missing_stdin_file_is_a_one_line_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_mimic"))
        .args(["tui", "--stdin", "/nonexistent/in.txt"])
        .arg(guest())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        err.trim_end(),
        "mimic: --stdin /nonexistent/in.txt: No such file or directory (os error 2)"
    );
}
