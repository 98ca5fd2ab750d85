//! Snapshots: a running guest stopped, written to one file, and resumed in another mimic.
//!
//! mimic owns everything the guest is: its registers, its address space and the kernel
//! objects it emulates. So a running program can move whole (strong mobility): its code
//! segment (the files it maps, found again by hash), its execution segment (every thread's
//! registers, signal mask, pending signals, and where it waits) and its resource segment
//! (descriptors, rebound as [`bind`] says).
//!
//! ```text
//!   --snapshot-on SIG ─▶ hostsig: asked ─▶ every vCPU at its next step (between
//!                        instructions; a blocking host call returns EINTR and is rolled
//!                        back to its ecall, as for SA_RESTART) ─▶ Step::Snapshot
//!     parallel:       each vCPU thread arrives at the gate; the last one in writes
//!     deterministic:  the scheduler, between turns, with every vCPU at hand
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

use crate::state::{lock, Shared};
use crate::syscall::Task;
use format::Record;
use std::sync::{Condvar, Mutex};
use std::time::Duration;

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
            let result = take(shared, threads, write::Sched::default());
            crate::hostsig::snapshot_taken();
            g.round += 1;
            OPENED.notify_all();
            drop(g);
            finish(shared, result);
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
    let result = take(shared, threads, sched);
    crate::hostsig::snapshot_taken();
    finish(shared, result);
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
) -> Result<Done, String> {
    let plan = shared.cfg.snapshot.clone().unwrap_or_default();
    let mut records = match write::records(shared, threads, sched, &plan) {
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

/// Says what happened; ends the process unless the guest is to go on.
fn finish(shared: &Shared, result: Result<Done, String>) {
    let plan = shared.cfg.snapshot.clone().unwrap_or_default();
    match result {
        Ok(Done::Migrated(line)) => {
            crate::diag!("{line}");
            request::answer(&line);
            shared.exit_host(0);
        }
        Ok(Done::Written(w, retired)) => {
            crate::diag!(
                "mimic: snapshot of pid {} ({} thread(s), {} pages stored, {} bytes, at {} \
                 instructions) written to {}",
                shared.pid(),
                w.threads,
                w.pages,
                w.bytes,
                retired,
                plan.file.display()
            );
            if !plan.keep_running {
                shared.exit_host(0);
            }
        }
        Err(e) => {
            crate::diag!("mimic: snapshot refused: {e}; the guest goes on");
            request::answer(&format!("mimic: migration refused: {e}; the guest goes on"));
        }
    }
}
