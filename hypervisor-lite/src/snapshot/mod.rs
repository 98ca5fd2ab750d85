//! Snapshots: a running guest stopped, written to one file, and resumed in another mimic.
//!
//! mimic owns everything the guest is: its registers, its address space and the kernel
//! objects it emulates. So a running program can move whole (strong mobility): its code
//! segment (the files it maps, found again by hash), its execution segment (every thread's
//! registers, signal mask, pending signals, and where it waits) and its resource segment
//! (descriptors, rebound as [`bind`] says).
//!
//! ```text
//!   --snapshot-on SIG ─┐
//!   checkpoint(FILE) ──┴▶ hostsig: asked ─▶ every vCPU at its next step (between
//!                        instructions; a blocking host call returns EINTR and is rolled
//!                        back to its ecall, as for SA_RESTART) ─▶ Step::Snapshot
//!     parallel:       each vCPU thread arrives at the gate; the last one in writes
//!     deterministic:  the scheduler, between turns, with every vCPU at hand
//!     held by a front end (paused, before a syscall, at a signal): the vCPU leaves its
//!                     stop for the gate and goes back to it; a signal it stopped at stays
//!                     pending, a fault is raised again by its instruction
//!   write.rs ─▶ records (format.rs) ─▶ FILE
//!   mimic resume FILE ─▶ resume.rs: checks, memory, threads, descriptors ─▶ the runners
//! ```
//!
//! The module stands on floor 4: it reads tasks (syscall) and shared state, and the
//! runners above call it when a vCPU stops for a snapshot; process.rs builds vCPUs from what
//! [`resume::build`] returns. Translated code is never saved: the resumed engine rebuilds it.

pub mod bind;
pub mod format;
pub mod info;
pub mod migrate;
pub mod request;
pub mod resume;
pub mod write;

use crate::state::{lock, Shared, SnapshotPlan};
use crate::syscall::Task;
use format::Record;
use std::path::PathBuf;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

/// A snapshot a front end asked for while the guest runs (the TUI's key, gdb's `monitor
/// snapshot`): its plan, which replaces the command line's, and who hears how it went.
struct Asked {
    plan: SnapshotPlan,
    reply: Sender<Result<String, String>>,
}

static ASKED: Mutex<Option<Asked>> = Mutex::new(None);

/// Asks every vCPU to stop for a snapshot to `file` that the guest survives (a checkpoint:
/// it goes on, or stays stopped, as before). The receiver gets the line saying what was
/// written, or why nothing was. Refused while another snapshot or a migration is under way.
pub fn checkpoint(file: PathBuf) -> Result<Receiver<Result<String, String>>, String> {
    let mut asked = lock(&ASKED);
    if asked.is_some() || crate::hostsig::snapshot_asked() || migrate::under_way() {
        return Err("another snapshot is being taken".into());
    }
    let (reply, rx) = channel();
    let plan = SnapshotPlan {
        file,
        keep_running: true,
        ..SnapshotPlan::default()
    };
    *asked = Some(Asked { plan, reply });
    crate::hostsig::ask_snapshot();
    Ok(rx)
}

/// The plan of the snapshot being taken now, and who asked for it at run time, if anyone.
fn plan_now(shared: &Shared) -> (SnapshotPlan, Option<Sender<Result<String, String>>>) {
    match lock(&ASKED).take() {
        Some(a) => (a.plan, Some(a.reply)),
        None => (shared.cfg.snapshot.clone().unwrap_or_default(), None),
    }
}

struct Gate {
    /// Bumped each time a snapshot is finished: the threads waiting for it go on.
    round: u64,
    arrived: Vec<(i32, Vec<Record>)>,
}

static GATE: Mutex<Gate> = Mutex::new(Gate {
    round: 0,
    arrived: Vec::new(),
});
static OPENED: Condvar = Condvar::new();

/// Parallel mode: the calling vCPU thread stands between instructions and a snapshot is
/// asked for. It waits at the gate until every live thread has arrived; the last one takes
/// the snapshot. Returns when the guest goes on (a checkpoint, or a refused snapshot);
/// otherwise the process ends here.
pub fn stop_here(task: &Task) {
    let shared = &task.shared;
    let mut g = lock(&GATE);
    g.arrived.push((task.tid, write::thread_records(task)));
    let round = g.round;
    loop {
        let live: Vec<_> = lock(&shared.threads).values().cloned().collect();
        let missing: Vec<_> = live
            .iter()
            .filter(|t| !g.arrived.iter().any(|(tid, _)| *tid == t.tid))
            .collect();
        if missing.is_empty() {
            let mut arrived = std::mem::take(&mut g.arrived);
            // The main thread first, then by tid: the order a resume starts them in.
            arrived.sort_by_key(|(tid, _)| (*tid != shared.pid(), *tid));
            let threads = arrived.into_iter().map(|(_, r)| r).collect();
            let (plan, asker) = plan_now(shared);
            let result = take(shared, threads, write::Sched::default(), &plan);
            crate::hostsig::snapshot_taken();
            g.round += 1;
            OPENED.notify_all();
            drop(g);
            finish(shared, result, &plan, asker);
            return;
        }
        // Wake the others from blocking host calls; again after a while, for one that
        // entered its call just after the wake-up.
        for t in missing {
            crate::state::kick(t);
        }
        let (ng, _) = OPENED
            .wait_timeout(g, Duration::from_millis(20))
            .unwrap_or_else(|e| e.into_inner());
        g = ng;
        if g.round != round {
            return;
        }
    }
}

/// Deterministic mode: the scheduler, between turns, with every vCPU at hand (in its
/// order; `next` goes first on resume).
pub fn take_all(tasks: &[&Task], next: usize, skipped: u64) {
    let Some(t) = tasks.first() else { return };
    let shared = &t.shared;
    let threads = tasks.iter().map(|t| write::thread_records(t)).collect();
    let sched = write::Sched {
        next_index: next as u32,
        skipped,
    };
    let (plan, asker) = plan_now(shared);
    let result = take(shared, threads, sched, &plan);
    crate::hostsig::snapshot_taken();
    finish(shared, result, &plan, asker);
}

/// What a finished snapshot did.
enum Done {
    Written(write::Written, u64),
    /// Migrated: the line to print.
    Migrated(String),
}

fn take(
    shared: &std::sync::Arc<Shared>,
    threads: Vec<Vec<Record>>,
    sched: write::Sched,
    plan: &SnapshotPlan,
) -> Result<Done, String> {
    let mut records = match write::records(shared, threads, sched, plan) {
        Ok(r) => r,
        Err(e) => {
            migrate::abandon();
            return Err(e);
        }
    };
    let retired = shared.retired();
    if let Some(p) = records.iter_mut().find(|r| r.kind == format::Kind::Process) {
        if let Some((mut rec, _)) = p.parts::<format::ProcessRec>() {
            rec.taken_at = retired;
            *p = Record::new(format::Kind::Process, &rec, &[]);
        }
    }
    if migrate::under_way() {
        return migrate::finish(&records).map(Done::Migrated);
    }
    let w = write::write(&records, &plan.file)?;
    Ok(Done::Written(w, retired))
}

/// Says what happened (to the front end that asked, if one did); ends the process unless
/// the guest is to go on.
fn finish(
    shared: &Shared,
    result: Result<Done, String>,
    plan: &SnapshotPlan,
    asker: Option<Sender<Result<String, String>>>,
) {
    match result {
        Ok(Done::Migrated(line)) => {
            crate::diag!("{line}");
            request::answer(&line);
            shared.exit_host(0);
        }
        Ok(Done::Written(w, retired)) => {
            let line = format!(
                "mimic: snapshot of pid {} ({} thread(s), {} pages stored, {} bytes, at {} \
                 instructions) written to {}",
                shared.pid(),
                w.threads,
                w.pages,
                w.bytes,
                retired,
                plan.file.display()
            );
            // Without a front end that hears it (or once it stopped waiting), stderr says it.
            let heard = asker.is_some_and(|a| a.send(Ok(line.clone())).is_ok());
            if !heard {
                crate::diag!("{line}");
            }
            if !plan.keep_running {
                shared.exit_host(0);
            }
        }
        Err(e) => {
            if let Some(a) = asker {
                if a.send(Err(e.clone())).is_ok() {
                    return;
                }
            }
            crate::diag!("mimic: snapshot refused: {e}; the guest goes on");
            request::answer(&format!("mimic: migration refused: {e}; the guest goes on"));
        }
    }
}
