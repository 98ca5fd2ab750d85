//! Snapshots (`mimic run --snapshot-on`, `--snapshot-at`, `mimic resume`,
//! `mimic snapshot-info`): a guest stopped midway and resumed in a fresh mimic prints what
//! an uninterrupted run prints; every bad snapshot is one line and nothing runs.

mod support;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use support::run::{guest, mimic, read_until};

const MIMIC: &str = env!("CARGO_BIN_EXE_mimic");

/// A fresh scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    support::run::scratch(&format!("snapshot-{name}"))
}

/// Starts `mimic run --snapshot-on USR2 FILE args…`, sends SIGUSR2 once the guest printed a
/// line starting with `when`, and returns what the guest printed before it stopped and
/// mimic's stderr.
fn snapshot_midway(dir: &Path, file: &str, args: &[&str], when: &str) -> (String, String) {
    let mut cmd = Command::new(MIMIC);
    cmd.args(["run", "--snapshot-on", "USR2", file])
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut seen = read_until(&mut out, when);
    // SAFETY: kill takes integers; the child is ours and still running.
    unsafe { libc::kill(child.id() as i32, libc::SIGUSR2) };
    out.read_to_string(&mut seen).unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "snapshot run: {err}");
    (seen, err)
}

/// `mimic run run…` to its end: what the guest printed.
fn uninterrupted(dir: &Path, run: &[&str]) -> String {
    let mut args = vec!["run"];
    args.extend(run);
    let (status, out, err) = mimic(dir, &args);
    assert_eq!(status, 0, "{err}");
    out
}

/// Resumes `file` with the engine options among `run`; what the guest printed before the
/// snapshot (`first`) and after the resume must be an uninterrupted run's output (`full`).
fn resume_continues(dir: &Path, file: &str, run: &[&str], first: &str, full: &str) {
    let mut resume = vec!["resume", file];
    resume.extend(run.iter().filter(|a| a.starts_with("--")));
    let (status, rest, err) = mimic(dir, &resume);
    assert_eq!(status, 0, "resume: {err}");
    assert_eq!(format!("{first}{rest}"), full);
}

fn progress_counter_resumes(engine: &str) {
    let dir = scratch(&format!("counter{engine}"));
    let g = guest("snapcount");
    let g = g.to_str().unwrap();
    let mut run = vec![engine, g, "30"];
    run.retain(|a| !a.is_empty());
    let full = uninterrupted(&dir, &run);
    let (first, err) = snapshot_midway(&dir, "s.snap", &run, "step 8/");
    assert!(
        err.contains("mimic: snapshot of pid ") && err.contains("written to s.snap"),
        "{err}"
    );
    assert!(!first.contains("done"), "the guest ran to its end: {first}");
    resume_continues(&dir, "s.snap", &run, &first, &full);
}

#[test]
fn progress_counter_resumes_interpreted() {
    progress_counter_resumes("--interp");
}

#[test]
fn progress_counter_resumes_translated() {
    progress_counter_resumes("--jit");
}

#[test]
fn progress_counter_resumes_tiered() {
    progress_counter_resumes("");
}

/// A snapshot to corrupt: the counter stopped early.
fn a_snapshot(dir: &Path) -> Vec<u8> {
    let g = guest("snapcount");
    snapshot_midway(dir, "s.snap", &[g.to_str().unwrap(), "30"], "step 2/");
    std::fs::read(dir.join("s.snap")).unwrap()
}

/// Resumes `bytes` as a snapshot file: one line of error, status 1, no guest output.
fn refused(dir: &Path, bytes: &[u8]) -> String {
    std::fs::write(dir.join("bad.snap"), bytes).unwrap();
    let (status, out, err) = mimic(dir, &["resume", "bad.snap"]);
    assert_eq!(status, 1, "{out}{err}");
    assert_eq!(out, "", "the guest ran: {out}");
    assert_eq!(err.lines().count(), 1, "{err}");
    err
}

/// Rewrites the trailer's checksum after an edit, so only the edit is wrong.
fn reseal(b: &mut [u8]) {
    let n = b.len() - 8;
    let crc = crc32(&b[..n]);
    b[n..n + 4].copy_from_slice(&crc.to_le_bytes());
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= byte as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn bad_snapshots_are_one_line_and_nothing_runs() {
    let dir = scratch("bad");
    let good = a_snapshot(&dir);

    let err = refused(&dir, &good[..good.len() / 2]);
    assert!(err.contains("truncated"), "{err}");

    let mut corrupt = good.clone();
    let mid = corrupt.len() / 2;
    corrupt[mid] ^= 0x40;
    let err = refused(&dir, &corrupt);
    assert!(err.contains("corrupted"), "{err}");

    let mut future = good.clone();
    future[8..12].copy_from_slice(&2u32.to_le_bytes());
    reseal(&mut future);
    let err = refused(&dir, &future);
    assert!(err.contains("format version 2"), "{err}");

    let mut other = good.clone();
    other[24..56].fill(0);
    other[24..36].copy_from_slice(b"mimic 9.9.9\0");
    reseal(&mut other);
    let err = refused(&dir, &other);
    assert!(err.contains("written by mimic 9.9.9"), "{err}");

    let err = refused(&dir, b"#!/bin/sh\necho not a snapshot\n");
    assert!(err.contains("not a mimic snapshot"), "{err}");

    let (status, _, err) = mimic(&dir, &["resume", "missing.snap"]);
    assert_eq!(status, 1);
    assert!(err.contains("missing.snap: No such file"), "{err}");

    // The good one still resumes.
    let (status, out, err) = mimic(&dir, &["resume", "s.snap"]);
    assert_eq!(status, 0, "{err}");
    assert!(out.contains("done: heap hash"), "{out}");
}

#[test]
fn a_changed_or_missing_program_is_refused_by_hash() {
    let dir = scratch("codehash");
    let prog = dir.join("counter");
    std::fs::copy(guest("snapcount"), &prog).unwrap();
    snapshot_midway(&dir, "s.snap", &[prog.to_str().unwrap(), "30"], "step 2/");
    let mut bytes = std::fs::read(&prog).unwrap();
    let n = bytes.len();
    bytes[n - 1] ^= 1;
    std::fs::write(&prog, &bytes).unwrap();
    let (status, out, err) = mimic(&dir, &["resume", "s.snap"]);
    assert_eq!((status, out.as_str()), (1, ""), "{err}");
    assert!(
        err.contains("counter: the file changed since the snapshot"),
        "{err}"
    );
    std::fs::remove_file(&prog).unwrap();
    let (status, _, err) = mimic(&dir, &["resume", "s.snap"]);
    assert_eq!(status, 1);
    assert!(err.contains("counter: No such file"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn snapshot_info_prints_the_binding_table() {
    let dir = scratch("info");
    a_snapshot(&dir);
    let (status, out, err) = mimic(&dir, &["snapshot-info", "s.snap"]);
    assert_eq!(status, 0, "{err}");
    for want in [
        "format 1, mimic ",
        "1 thread(s), parallel mode",
        "binding table:",
        "snapcount: by hash (sha256 ",
        "memory anonymous, brk, stacks: by value",
        "fd 0 ",
        "fd 1 ",
    ] {
        assert!(out.contains(want), "no {want:?} in:\n{out}");
    }
    // The files mimic reads to take the snapshot are not the guest's descriptors.
    assert!(
        !out.lines()
            .any(|l| l.starts_with("fd ") && l.contains("snapcount")),
        "{out}"
    );
}

/// Under --deterministic, a snapshot at instruction `n` resumed gives exactly the output and
/// the final instruction count of the uninterrupted run.
fn deterministic_equivalence(engine: &str) {
    deterministic_equivalence_of(
        engine,
        "snapcount",
        "12",
        &["1", "150000", "2345678", "7000000"],
    );
    deterministic_equivalence_of(
        engine,
        "snapthreads",
        "10",
        &["20000", "1000000", "3000000"],
    );
}

fn deterministic_equivalence_of(engine: &str, name: &str, arg: &str, at: &[&str]) {
    let dir = scratch(&format!("det{engine}{name}"));
    let g = guest(name);
    let g = g.to_str().unwrap();
    let mut base = vec!["run", "--deterministic", "--stats", engine];
    base.retain(|a| !a.is_empty());
    let mut full_args = base.clone();
    full_args.extend([g, arg]);
    let (status, full, full_err) = mimic(&dir, &full_args);
    assert_eq!(status, 0, "{full_err}");
    let stats = |err: &str| -> String {
        err.lines()
            .find(|l| l.starts_with("mimic: stats:"))
            .unwrap_or_else(|| panic!("no stats in {err}"))
            .to_string()
    };
    for &n in at {
        let mut args = base.clone();
        args.retain(|a| *a != "--stats");
        args.extend(["--snapshot-at", n, "d.snap", g, arg]);
        let (status, first, err) = mimic(&dir, &args);
        assert_eq!(status, 0, "at {n}: {err}");
        assert!(err.contains("written to d.snap"), "at {n}: {err}");
        let mut resume = vec!["resume", "--stats", "d.snap"];
        if !engine.is_empty() {
            resume.insert(1, engine);
        }
        let (status, rest, err) = mimic(&dir, &resume);
        assert_eq!(status, 0, "at {n}: {err}");
        assert_eq!(format!("{first}{rest}"), full, "at {n}");
        assert_eq!(stats(&err), stats(&full_err), "at {n}");
    }
}

#[test]
fn deterministic_snapshot_resumes_exactly_interpreted() {
    deterministic_equivalence("--interp");
}

#[test]
fn deterministic_snapshot_resumes_exactly_translated() {
    deterministic_equivalence("--jit");
}

#[test]
fn deterministic_snapshot_resumes_exactly_tiered() {
    deterministic_equivalence("");
}

/// Five threads: two workers between steps, one in a condvar (futex) wait, one blocked in
/// `read` on a pipe, the main thread in a sleep. Every one resumes where it waited.
fn threads_resume(engine: &str) {
    let dir = scratch(&format!("threads{engine}"));
    let g = guest("snapthreads");
    let mut run = vec![engine, g.to_str().unwrap(), "30"];
    run.retain(|a| !a.is_empty());
    let full = uninterrupted(&dir, &run);
    let (first, err) = snapshot_midway(&dir, "t.snap", &run, "tick 3/");
    assert!(
        err.contains("(5 thread(s),"),
        "not every thread stopped: {err}"
    );
    let (status, info, _) = mimic(&dir, &["snapshot-info", "t.snap"]);
    assert_eq!(status, 0);
    assert_eq!(
        info.lines().filter(|l| l.starts_with("thread ")).count(),
        5,
        "{info}"
    );
    assert!(info.contains("pipe           by value"), "{info}");
    resume_continues(&dir, "t.snap", &run, &first, &full);
}

#[test]
fn threads_blocked_in_futex_and_read_resume_interpreted() {
    threads_resume("--interp");
}

#[test]
fn threads_blocked_in_futex_and_read_resume_tiered() {
    threads_resume("");
}

#[test]
fn an_open_file_moves_with_map() {
    let dir = scratch("file");
    std::fs::create_dir(dir.join("a")).unwrap();
    let g = guest("snapfile");
    let a = dir.join("a");
    let (status, full, err) = mimic(
        &dir,
        &["run", g.to_str().unwrap(), a.to_str().unwrap(), "25"],
    );
    assert_eq!(status, 0, "{err}");
    let run = [g.to_str().unwrap(), a.to_str().unwrap(), "25"];
    let (first, _) = snapshot_midway(&dir, "f.snap", &run, "step 4:");
    let b = dir.join("b");
    std::fs::rename(&a, &b).unwrap();
    // Not found where it was: one line naming the descriptor and the file.
    let (status, out, err) = mimic(&dir, &["resume", "f.snap"]);
    assert_eq!((status, out.as_str()), (1, ""), "{err}");
    assert!(err.contains("data.txt: No such file"), "{err}");
    assert!(err.starts_with("mimic: resume: fd "), "{err}");
    let map = format!("{}={}", a.display(), b.display());
    let (status, rest, err) = mimic(&dir, &["resume", "--map", &map, "f.snap"]);
    assert_eq!(status, 0, "{err}");
    assert_eq!(format!("{first}{rest}"), full);
    let data = std::fs::read_to_string(b.join("data.txt")).unwrap();
    assert_eq!(data.lines().count(), 25, "{data}");
}

#[test]
fn a_file_changed_after_the_snapshot_is_refused() {
    let dir = scratch("filechanged");
    let g = guest("snapfile");
    let run = [g.to_str().unwrap(), dir.to_str().unwrap(), "25"];
    snapshot_midway(&dir, "f.snap", &run, "step 3:");
    std::fs::write(dir.join("data.txt"), "someone else's\n").unwrap();
    let (status, out, err) = mimic(&dir, &["resume", "f.snap"]);
    assert_eq!((status, out.as_str()), (1, ""), "{err}");
    assert!(
        err.contains("data.txt: the file changed since the snapshot"),
        "{err}"
    );
}

#[test]
fn a_socket_is_refused_by_name_unless_dropped() {
    let dir = scratch("socket");
    let g = guest("snapfile");
    let run = [g.to_str().unwrap(), dir.to_str().unwrap(), "25", "socket"];
    let mut cmd = Command::new(MIMIC);
    cmd.args(["run", "--snapshot-on", "USR2", "k.snap"])
        .args(run)
        .current_dir(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    // SAFETY: kill takes integers; the child is ours.
    unsafe { libc::kill(child.id() as i32, libc::SIGUSR2) };
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(0), "{err}");
    // Refused, named, and the guest went on to its end.
    assert!(
        err.contains("mimic: snapshot refused: fd 3 is a socket (socket:["),
        "{err}"
    );
    assert!(rest.ends_with("done\n"), "{rest}");
    assert!(!dir.join("k.snap").exists());

    let mut dropped = vec!["--drop-fixed"];
    dropped.extend(run);
    let (first, err) = snapshot_midway(&dir, "k.snap", &dropped, "step 3:");
    assert!(err.contains("written to k.snap"), "{err}");
    let (_, info, _) = mimic(&dir, &["snapshot-info", "k.snap"]);
    assert!(info.contains("socket         fixed, dropped"), "{info}");
    let (status, rest, err) = mimic(&dir, &["resume", "k.snap"]);
    assert_eq!(status, 0, "{err}");
    let all = format!("{first}{rest}");
    assert!(
        all.contains("\nstep 25: 25 lines, ") && all.ends_with("done\n"),
        "{all}"
    );
}

#[test]
fn keep_running_makes_a_checkpoint() {
    let dir = scratch("checkpoint");
    let g = guest("snapcount");
    let (status, full, _) = mimic(&dir, &["run", g.to_str().unwrap(), "25"]);
    assert_eq!(status, 0);
    let run = ["--keep-running", g.to_str().unwrap(), "25"];
    let (original, err) = snapshot_midway(&dir, "c.snap", &run, "step 4/");
    assert!(err.contains("written to c.snap"), "{err}");
    // The original went on to its end…
    assert_eq!(original, full);
    // …and the checkpoint runs the rest again.
    let (status, rest, err) = mimic(&dir, &["resume", "c.snap"]);
    assert_eq!(status, 0, "{err}");
    assert!(full.ends_with(&rest) && rest.contains("done"), "{rest}");
    assert!(!rest.contains("step 4/"), "{rest}");
}

/// `mimic serve` and `mimic run --migrate-on` between two mimic processes over 127.0.0.1:
/// the sender says where the guest went, with the pause and the bytes; the receiver prints
/// the rest of the output. With `by_pid`, the sender runs without --migrate-on and
/// `mimic migrate PID ADDR` asks it, printing the sender's line.
fn migrates(name: &str, arg: &str, when: &str, by_pid: bool) {
    let dir = scratch(&format!("migrate-{name}"));
    let g = guest(name);
    let (status, full, _) = mimic(&dir, &["run", g.to_str().unwrap(), arg]);
    assert_eq!(status, 0);
    let mut serve = Command::new(MIMIC)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut serve_err = BufReader::new(serve.stderr.take().unwrap());
    let mut line = String::new();
    serve_err.read_line(&mut line).unwrap();
    let addr = line
        .trim()
        .strip_prefix("mimic: serving migrations on ")
        .unwrap_or_else(|| panic!("{line}"))
        .to_string();
    let mut sender = Command::new(MIMIC);
    sender.arg("run");
    if !by_pid {
        sender.args(["--migrate-on", "USR2", &addr]);
    }
    sender
        .args([g.to_str().unwrap(), arg])
        .env("XDG_RUNTIME_DIR", &dir)
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = sender.spawn().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    loop {
        let mut l = String::new();
        assert!(out.read_line(&mut l).unwrap() > 0, "ended early: {first}");
        first.push_str(&l);
        if l.starts_with(when) {
            break;
        }
    }
    let said = format!("mimic: migrated to {addr}: ");
    if by_pid {
        let asked = Command::new(MIMIC)
            .args(["migrate", &child.id().to_string(), &addr])
            .env("XDG_RUNTIME_DIR", &dir)
            .output()
            .unwrap();
        let answer = String::from_utf8_lossy(&asked.stdout);
        let aerr = String::from_utf8_lossy(&asked.stderr);
        assert_eq!(asked.status.code(), Some(0), "{answer}{aerr}");
        assert!(answer.starts_with(&said), "{answer}{aerr}");
    } else {
        // SAFETY: kill takes integers; the child is ours.
        unsafe { libc::kill(child.id() as i32, libc::SIGUSR2) };
    }
    out.read_to_string(&mut first).unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(0), "{err}");
    assert!(
        err.starts_with(&said) && err.contains(" bytes sent ("),
        "{err}"
    );
    assert!(
        err.contains("while running") && err.contains(", paused "),
        "{err}"
    );
    let served = serve.wait_with_output().unwrap();
    let rest = String::from_utf8_lossy(&served.stdout);
    let mut serr = String::new();
    serve_err.read_to_string(&mut serr).unwrap();
    assert_eq!(served.status.code(), Some(0), "{serr}");
    assert_eq!(format!("{first}{rest}"), full);
    eprintln!("{}", err.trim());
}

#[test]
fn serve_and_migrate_over_loopback() {
    migrates("snapcount", "30", "step 6/", false);
}

#[test]
fn mimic_migrate_pid_sends_a_running_guest() {
    migrates("snapcount", "30", "step 6/", true);
}

#[test]
fn mimic_migrate_pid_threads() {
    migrates("snapthreads", "30", "tick 3/", true);
}

/// A pid that is not a running mimic is refused with one line, and nothing is signalled.
#[test]
fn mimic_migrate_refuses_what_is_not_a_mimic_guest() {
    let dir = scratch("migrate-refused");
    let me = std::process::id().to_string();
    for (pid, why) in [
        (me.as_str(), "not a running mimic guest"),
        ("999999999", "no such process"),
    ] {
        let (status, out, err) = mimic(&dir, &["migrate", pid, "127.0.0.1:9"]);
        assert_eq!(status, 1, "{pid}: {out}{err}");
        assert_eq!(err, format!("mimic: migrate: pid {pid}: {why}\n"), "{pid}");
    }
}

#[test]
fn serve_and_migrate_threads_over_loopback() {
    migrates("snapthreads", "30", "tick 3/", false);
}

#[test]
fn the_log_file_is_mimics_not_the_guests() {
    let dir = scratch("logfile");
    let g = guest("snapcount");
    let args = ["-D", "mimic.log", "--strace", g.to_str().unwrap(), "30"];
    let (first, _) = snapshot_midway(&dir, "l.snap", &args, "step 2/");
    let (_, info, _) = mimic(&dir, &["snapshot-info", "l.snap"]);
    assert!(!info.contains("mimic.log"), "{info}");
    let (status, rest, err) = mimic(&dir, &["resume", "l.snap"]);
    assert_eq!(status, 0, "{err}");
    assert!(
        format!("{first}{rest}").ends_with("done: heap hash 1d4d5e7a4ef33d6a\n")
            || rest.contains("done")
    );
}

/// The inspect server's sockets are mimic's, not the guest's: a snapshot taken while one is
/// serving leaves them out (it refused "fd 3 is a socket" before), and the guest's own
/// descriptors keep their numbers.
#[test]
fn an_inspected_guest_snapshots_without_the_servers_sockets() {
    let dir = scratch("inspected");
    let g = guest("snapcount");
    let g = g.to_str().unwrap();
    let args = [
        "run",
        "--deterministic",
        "--inspect",
        "i.sock",
        "--snapshot-at",
        "2000000",
        "i.snap",
        g,
        "6",
    ];
    let (status, first, err) = mimic(&dir, &args);
    assert_eq!(status, 0, "{err}");
    assert!(err.contains("written to i.snap"), "{err}");
    let (status, rest, err) = mimic(&dir, &["resume", "i.snap"]);
    assert_eq!(status, 0, "{err}");
    let (_, full, _) = mimic(&dir, &["run", "--deterministic", g, "6"]);
    assert_eq!(format!("{first}{rest}"), full);
}
