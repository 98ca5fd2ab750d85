//! Checkpoints asked for by the front ends while they hold the guest: the TUI's `K` key over
//! an inspection socket (the guest paused, then stopped before a syscall) and gdb's `monitor
//! snapshot FILE` (at a breakpoint, and at a fatal signal). Each time the guest stays as it
//! was, runs on to an uninterrupted run's end, and `mimic resume FILE` goes on from the stop.

mod support;

use std::io::{BufReader, Read};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::gdb::Remote;
use support::run::{guest, mimic, read_until};
use tui::app::App;
use tui::remote::addr::Addr;

const MIMIC: &str = env!("CARGO_BIN_EXE_mimic");

fn scratch(name: &str) -> std::path::PathBuf {
    support::run::scratch(&format!("frontend-{name}"))
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

/// `mimic -g 0 gdbtarget MODE` in `dir`, connected.
fn under_gdb(dir: &Path, mode: &str) -> (Child, Remote) {
    let target = guest("gdbtarget");
    let args = [
        "-g".as_ref(),
        "0".as_ref(),
        target.as_os_str(),
        mode.as_ref(),
    ];
    support::gdb::start(dir, &args)
}

/// The address of `name` in gdbtarget.
fn symbol(name: &str) -> u64 {
    let elf = std::fs::read(guest("gdbtarget")).unwrap();
    support::gdb::symbols(&elf, &[name])[0]
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
