//! Checkpoints asked for by the front ends while they hold the guest: the TUI's `K` key over
//! an inspection socket (the guest paused, then stopped before a syscall) and gdb's `monitor
//! snapshot FILE` (at a breakpoint, and at a fatal signal). Each time the guest stays as it
//! was, runs on to an uninterrupted run's end, and `mimic resume FILE` goes on from the stop.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tui::app::App;
use tui::remote::addr::Addr;

const MIMIC: &str = env!("CARGO_BIN_EXE_mimic");

fn guest(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/guests/bin")
        .join(name)
}

fn scratch(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("frontend-{name}"));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Runs mimic with `args` in `dir`; (status, stdout, stderr).
fn mimic(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(MIMIC)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn press(app: &mut App, keys: &str) {
    use ratatui::crossterm::event::{KeyCode, KeyEvent};
    for c in keys.chars() {
        app.key(KeyEvent::from(match c {
            '\n' => KeyCode::Enter,
            c => KeyCode::Char(c),
        }));
    }
}

fn until(app: &mut App, what: &str, done: impl Fn(&App) -> bool) {
    let end = Instant::now() + Duration::from_secs(30);
    while Instant::now() < end {
        app.refresh();
        if done(app) {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!(
        "{what}: not reached; message {:?}, reason {:?}",
        app.message, app.snap.reason
    );
}

/// Reads `out` up to and including a line starting with `when`.
fn read_until(out: &mut impl BufRead, when: &str) -> String {
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        let n = out.read_line(&mut line).unwrap();
        assert!(n > 0, "the guest ended before {when:?}: {seen}");
        seen.push_str(&line);
        if line.starts_with(when) {
            return seen;
        }
    }
}

/// `mimic resume FILE` prints the end of an uninterrupted run's output, from where the
/// snapshot stopped the guest: after `before` and including `after`.
fn resumes_from(dir: &Path, file: &str, full: &str, before: &str, after: &str) {
    let (status, rest, err) = mimic(dir, &["resume", file]);
    assert_eq!(status, 0, "resume {file}: {err}");
    assert!(
        full.ends_with(&rest),
        "resumed: {rest}\nuninterrupted: {full}"
    );
    assert!(
        rest.contains(after) && !rest.contains(before),
        "resumed {file}: {rest}"
    );
}

#[test]
fn the_tui_checkpoints_a_paused_guest_and_one_stopped_before_a_syscall() {
    let dir = scratch("tui");
    let g = guest("snapthreads");
    let g = g.to_str().unwrap();
    let (status, full, err) = mimic(&dir, &["run", g, "30"]);
    assert_eq!(status, 0, "{err}");

    let sock = dir.join("guest.sock");
    let mut child = Command::new(MIMIC)
        .args(["run", "--inspect", sock.to_str().unwrap(), g, "30"])
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut printed = read_until(&mut out, "tick 3/");
    let mut app = tui::connect(&Addr::Unix(sock.clone())).expect("attaching");
    // The server's connection is out of the guest's way.
    assert_eq!(low_sockets(child.id()), Vec::<String>::new());

    // Paused with its five threads: two workers, a condvar wait, a read, main's sleep.
    press(&mut app, " ");
    until(&mut app, "paused", |a| {
        a.snap.paused && a.snap.vcpus.len() == 5
    });
    let stops = app.snap.stops;
    press(&mut app, "Kone.snap\n");
    until(&mut app, "the first checkpoint", |a| {
        a.message.contains("written to one.snap")
    });
    assert!(
        app.message.starts_with("snapshot of pid ") && app.message.contains("(5 thread(s),"),
        "{}",
        app.message
    );
    app.refresh();
    assert!(app.snap.paused, "the guest runs after the checkpoint");
    assert_eq!(
        app.snap.stops, stops,
        "the checkpoint made a stop of its own"
    );

    // Run to the next syscall: stopped before it, a checkpoint, then on.
    press(&mut app, "y");
    until(&mut app, "stopped before a syscall", |a| {
        a.snap.stops > stops && a.snap.reason.starts_with("before syscall")
    });
    press(&mut app, "Ktwo.snap\n");
    until(&mut app, "the second checkpoint", |a| {
        a.message.contains("written to two.snap")
    });
    assert!(app.snap.reason.starts_with("before syscall"));
    // Detaching lets the guest run to the end an uninterrupted run has.
    press(&mut app, "q");
    drop(app);
    out.read_to_string(&mut printed).unwrap();
    let status = child.wait().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert_eq!(status.code(), Some(0), "{err}");
    assert_eq!(printed, full, "the checkpoints changed the run");

    // Both snapshots go on from where the guest stood: after tick 3.
    for file in ["one.snap", "two.snap"] {
        resumes_from(&dir, file, &full, "tick 3/", "tick 30/");
    }
}

/// A remote-protocol client for gdb's packets: one out, one reply in.
struct Remote(TcpStream);

impl Remote {
    fn send(&mut self, data: &str) -> String {
        let sum = data.bytes().fold(0u8, |a, b| a.wrapping_add(b));
        write!(self.0, "${data}#{sum:02x}").unwrap();
        self.receive()
    }

    fn receive(&mut self) -> String {
        let mut byte = [0u8];
        loop {
            self.0.read_exact(&mut byte).unwrap();
            if byte[0] == b'$' {
                break;
            }
        }
        let mut data = Vec::new();
        loop {
            self.0.read_exact(&mut byte).unwrap();
            if byte[0] == b'#' {
                break;
            }
            data.push(byte[0]);
        }
        let mut sum = [0u8; 2];
        self.0.read_exact(&mut sum).unwrap();
        self.0.write_all(b"+").unwrap();
        String::from_utf8(data).unwrap()
    }

    /// `monitor TEXT`: what the stub printed (its O packets) before OK.
    fn monitor(&mut self, text: &str) -> String {
        let hex: String = text.bytes().map(|b| format!("{b:02x}")).collect();
        let mut reply = self.send(&format!("qRcmd,{hex}"));
        let mut said = Vec::new();
        while let Some(h) = reply.strip_prefix('O').filter(|_| reply != "OK") {
            said.extend(
                (0..h.len())
                    .step_by(2)
                    .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap()),
            );
            reply = self.receive();
        }
        assert_eq!(reply, "OK", "monitor {text}");
        String::from_utf8(said).unwrap()
    }
}

/// `mimic -g 0 gdbtarget MODE` in `dir`, connected.
fn under_gdb(dir: &Path, mode: &str) -> (Child, Remote) {
    let mut child = Command::new(MIMIC)
        .args(["-g", "0"])
        .arg(guest("gdbtarget"))
        .arg(mode)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stderr.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line
        .trim()
        .strip_prefix("mimic: waiting for gdb on 127.0.0.1:")
        .unwrap_or_else(|| panic!("mimic said {line:?}"));
    let conn = TcpStream::connect(("127.0.0.1", port.parse::<u16>().unwrap())).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    (child, Remote(conn))
}

/// The address of `bump` in gdbtarget, from `mimic`'s own view of it: `nm`-free, the ELF's
/// symbol table read here.
fn symbol(name: &str) -> u64 {
    let elf = std::fs::read(guest("gdbtarget")).unwrap();
    let u16_at = |o: usize| u16::from_le_bytes(elf[o..o + 2].try_into().unwrap()) as usize;
    let u32_at = |o: usize| u32::from_le_bytes(elf[o..o + 4].try_into().unwrap()) as usize;
    let u64_at = |o: usize| u64::from_le_bytes(elf[o..o + 8].try_into().unwrap());
    let (shoff, shentsize, shnum) = (u64_at(0x28) as usize, u16_at(0x3a), u16_at(0x3c));
    let section = |i: usize| shoff + i * shentsize;
    let symtab = (0..shnum)
        .map(section)
        .find(|&s| u32_at(s + 4) == 2)
        .unwrap();
    let strtab = section(u32_at(symtab + 0x28));
    let str_off = u64_at(strtab + 0x18) as usize;
    let (sym_off, sym_size) = (
        u64_at(symtab + 0x18) as usize,
        u64_at(symtab + 0x20) as usize,
    );
    (sym_off..sym_off + sym_size)
        .step_by(24)
        .find(|&e| {
            let s = &elf[str_off + u32_at(e)..];
            &s[..s.iter().position(|&b| b == 0).unwrap()] == name.as_bytes()
        })
        .map(|e| u64_at(e + 8))
        .unwrap_or_else(|| panic!("no {name} in gdbtarget"))
}

#[test]
fn gdb_monitor_snapshot_at_a_breakpoint_and_at_a_fatal_signal() {
    let dir = scratch("gdb");
    let bump = symbol("bump");

    // At the first call of bump: the snapshot goes on from there, the guest too.
    let (child, mut r) = under_gdb(&dir, "plain");
    assert!(r.send("?").starts_with("T05"));
    assert_eq!(r.send(&format!("Z0,{bump:x},2")), "OK");
    assert!(r.send("vCont;c").starts_with("T05"));
    assert_eq!(r.send(&format!("z0,{bump:x},2")), "OK");
    let said = r.monitor("snapshot b.snap");
    assert!(
        said.starts_with("snapshot of pid ") && said.contains("written to b.snap"),
        "{said}"
    );
    let said = r.monitor("snapshot");
    assert_eq!(said, "monitor snapshot: a file name\n");
    let said = r.monitor("bogus");
    assert!(
        said.starts_with("unknown monitor command 'bogus'"),
        "{said}"
    );
    assert_eq!(r.send("vCont;c"), "W03");
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "counter=12 d=3 sink=12\n"
    );
    // The stub's connection is mimic's: the snapshot neither refused nor kept it.
    let (status, rest, err) = mimic(&dir, &["resume", "b.snap"]);
    assert_eq!(
        (status, rest.as_str(), err.as_str()),
        (3, "counter=12 d=3 sink=12\n", "")
    );

    // Stopped at the segfault, before it kills: the resumed guest runs the faulting store
    // again, and dies of it as the original does.
    let (child, mut r) = under_gdb(&dir, "segv");
    assert!(r.send("?").starts_with("T05"));
    let stop = r.send("vCont;c");
    assert!(stop.starts_with("T0b"), "{stop}");
    let pc = r.send("p20");
    let said = r.monitor("snapshot s.snap");
    assert!(said.contains("written to s.snap"), "{said}");
    // Still stopped at the faulting store; delivering the signal kills.
    assert_eq!(r.send("p20"), pc);
    let tid = stop
        .split("thread:")
        .nth(1)
        .and_then(|t| t.split(';').next())
        .unwrap();
    assert_eq!(r.send(&format!("vCont;C0b:{tid};c")), "X0b");
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), None, "killed by the signal");
    let resumed = Command::new(MIMIC)
        .args(["resume", "s.snap"])
        .current_dir(&dir)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&resumed.stderr);
    assert_eq!(resumed.status.signal(), Some(11), "{err}");
    assert!(
        err.contains("SIGSEGV") && err.contains("accessing 0x0"),
        "{err}"
    );
}

/// The sockets among the descriptor numbers a guest uses (below 900) in process `pid`.
fn low_sockets(pid: u32) -> Vec<String> {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .filter_map(|e| {
            let e = e.ok()?;
            let fd: i32 = e.file_name().to_str()?.parse().ok()?;
            let to = std::fs::read_link(e.path()).ok()?;
            let to = to.to_string_lossy();
            (fd < 900 && to.starts_with("socket:")).then(|| format!("{fd} -> {to}"))
        })
        .collect()
}

/// The stub's connection is out of the guest's way: no socket among the guest's numbers.
#[test]
fn the_gdb_connection_leaves_the_guests_descriptors_alone() {
    let dir = scratch("gdbfds");
    let (child, mut r) = under_gdb(&dir, "plain");
    assert!(r.send("?").starts_with("T05"));
    assert_eq!(low_sockets(child.id()), Vec::<String>::new());
    assert_eq!(r.send("vCont;c"), "W03");
    child.wait_with_output().unwrap();
}
