//! Taking a snapshot: every vCPU stopped between instructions, the process's state as
//! records (see format.rs), written to one file.
//!
//! Memory is described by its ranges and permission table; a page is stored only if it
//! holds something the receiver cannot rebuild: an anonymous page that is not zero, or a
//! page of a private file mapping that differs from the file (code and read-only data are
//! the file's, found again by its hash). Pages the host never backed are not even read.

use super::bind;
use super::format::{self, *};
use crate::memory::{perm, PAGE};
use crate::regions::Name;
use crate::state::{lock, Shared, SnapshotPlan};
use crate::syscall::{Task, Wait};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::os::unix::fs::FileExt;
use std::path::Path;

/// The deterministic scheduler's position: which vCPU goes next, and the virtual time
/// skipped while every thread waited.
#[derive(Clone, Copy, Debug, Default)]
pub struct Sched {
    pub next_index: u32,
    pub skipped: u64,
}

/// What [`take`] wrote.
pub struct Written {
    pub bytes: u64,
    pub threads: usize,
    pub pages: u64,
}

/// The records of one stopped thread: its registers and signal state, pending siginfos.
pub fn thread_records(t: &Task) -> Vec<Record> {
    let c = &t.cpu;
    let (wait, deadline) = match &t.wait {
        None => (0, None),
        Some(Wait::Futex { deadline }) => (1, *deadline),
        Some(Wait::Sleep { deadline }) => (2, Some(*deadline)),
        Some(Wait::Signal) => (3, None),
        // Polls and child waits run their call again, which parks them again.
        Some(Wait::Io { .. } | Wait::Child) => (4, None),
    };
    let pending = lock(&t.ctl.pending).clone();
    let rec = ThreadRec {
        tid: t.tid,
        wait,
        has_saved_mask: t.saved_mask.is_some() as u8,
        has_deadline: deadline.is_some() as u8,
        pc: c.pc,
        x: c.x,
        f: c.f,
        fcsr: c.fcsr,
        instret: c.instret,
        reservation: c.reservation,
        reservation_value: c.reservation_value,
        mask: t.sig.mask,
        altstack: [t.sig.altstack.0, t.sig.altstack.1],
        clear_child_tid: t.clear_child_tid,
        robust_list: [t.robust_list.0, t.robust_list.1],
        pending: pending.bits,
        deadline: deadline.unwrap_or(0),
        saved_mask: t.saved_mask.unwrap_or(0),
        instret_published: c.instret,
        reserved: [0; 2],
    };
    let mut out = vec![Record::new(Kind::Thread, &rec, &[])];
    for sig in 1..=crate::signal::NSIG {
        if pending.bits & crate::signal::bit(sig) != 0 {
            let r = SigInfoRec {
                tid: t.tid,
                sig: sig as u32,
            };
            out.push(Record::new(Kind::SigInfo, &r, &pending.info[sig]));
        }
    }
    out
}

/// The whole snapshot of `shared`'s process, given its stopped threads' records (in the
/// scheduler's order). Fails with one line naming what cannot be carried.
pub fn records(
    shared: &std::sync::Arc<Shared>,
    threads: Vec<Vec<Record>>,
    sched: Sched,
    plan: &SnapshotPlan,
) -> Result<Vec<Record>, String> {
    let mut out = vec![Record {
        kind: Kind::Schema,
        payload: format::schema().into_bytes(),
    }];
    crate::syscall::snapshot_check(shared)?;
    let det = shared.det.as_ref().map(|d| lock(d));
    let space = shared.space();
    let p = ProcessRec {
        pid: shared.pid(),
        deterministic: shared.deterministic() as u8,
        engine: match shared.cfg.engine {
            translator::Mode::Interp => 0,
            translator::Mode::Jit => 1,
            translator::Mode::Tiered => 2,
        },
        stack_size: shared.cfg.stack_size,
        brk_start: space.brk_start,
        brk: space.brk,
        mmap_base: space.mmap_base,
        sigreturn_tramp: shared.sigreturn_tramp,
        retired: shared.retired.load(std::sync::atomic::Ordering::Relaxed),
        startup_sp: shared.startup.sp,
        args: [shared.startup.args.0, shared.startup.args.1],
        env: [shared.startup.env.0, shared.startup.env.1],
        next_tid: det.as_ref().map_or(0, |d| d.next_tid),
        next_index: sched.next_index,
        vnow: det.as_ref().map_or(0, |d| d.vnow),
        turn_instret: det.as_ref().map_or(0, |d| d.turn_instret),
        skipped: sched.skipped,
        taken_at: 0,
        threads: threads.len() as u32,
    };
    let bytes = |s: &std::ffi::OsStr| s.as_encoded_bytes().to_vec();
    let strings = |which: Strings, v: Vec<Vec<u8>>| {
        let r = StringsRec {
            which: which as u32,
            count: v.len() as u32,
        };
        Record::new(Kind::Strings, &r, &join(&v))
    };
    let cfg = &shared.cfg;
    out.push(Record::new(Kind::Process, &p, &[]));
    out.push(strings(
        Strings::Args,
        cfg.args.iter().map(|a| bytes(a)).collect(),
    ));
    out.push(strings(
        Strings::Env,
        cfg.env.iter().map(|a| bytes(a)).collect(),
    ));
    out.push(strings(
        Strings::Program,
        vec![bytes(cfg.program.as_os_str())],
    ));
    out.push(strings(Strings::Exe, vec![bytes(shared.exe.as_os_str())]));
    if let Some(s) = &cfg.sysroot {
        out.push(strings(Strings::Sysroot, vec![bytes(s.as_os_str())]));
    }
    let auxv = StringsRec {
        which: Strings::Auxv as u32,
        count: 1,
    };
    out.push(Record::new(Kind::Strings, &auxv, &shared.startup.auxv));

    // The files code and data were mapped from, by hash.
    let regions: Vec<crate::regions::Region> = lock(&shared.regions).iter().cloned().collect();
    let mut files: BTreeMap<Vec<u8>, (u64, [u8; 32])> = BTreeMap::new();
    for r in &regions {
        if let Name::File { path, .. } = &r.name {
            if r.shared {
                return Err(format!(
                    "{}: a shared file mapping at {:#x}: its writes reach the file, which stays \
                     on this machine (fixed)",
                    String::from_utf8_lossy(path),
                    r.start
                ));
            }
            if !files.contains_key(path) {
                let p =
                    Path::new(<std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(path));
                let (size, hash) = hash_file(p).map_err(|e| {
                    format!("{}: {e} (mapped, so the snapshot needs it)", p.display())
                })?;
                files.insert(path.clone(), (size, hash));
            }
        }
        out.push(region_record(r));
    }
    for (path, (size, sha256)) in &files {
        let c = CodeRec {
            role: 0,
            size: *size,
            sha256: *sha256,
        };
        out.push(Record::new(Kind::Code, &c, path));
    }

    // Memory: ranges with their tables, then the pages the receiver cannot rebuild.
    for (start, end) in space.ranges() {
        let table = space.table_of(start, end);
        out.push(Record::new(Kind::Range, &RangeRec { start, end }, &table));
    }
    let mut open: BTreeMap<Vec<u8>, std::fs::File> = BTreeMap::new();
    for (start, end) in space.ranges() {
        let table = space.table_of(start, end);
        let resident = space
            .resident(start, end)
            .map_err(|e| format!("cannot look at guest memory: {e}"))?;
        // After a migration's round 1: only what was written since, whatever it holds now.
        let dirty_only = super::migrate::DIRTY_ONLY.load(std::sync::atomic::Ordering::SeqCst);
        let dirty = if dirty_only {
            space
                .soft_dirty(start, end)
                .map_err(|e| format!("cannot read the dirty pages: {e}"))?
        } else {
            Vec::new()
        };
        let mut run: Option<(u64, Vec<u8>)> = None;
        let mut page = vec![0u8; PAGE as usize];
        for (i, (&bits, &res)) in table.iter().zip(&resident).enumerate() {
            let at = start + i as u64 * PAGE;
            let keep = bits & perm::MAPPED != 0
                && res
                && (!dirty_only || dirty[i])
                && space.read_raw(at, &mut page).is_ok()
                && (dirty_only || differs(&regions, &mut open, at, &page));
            match (&mut run, keep) {
                (Some((_, v)), true) if v.len() < (256 * PAGE) as usize => {
                    v.extend_from_slice(&page)
                }
                (_, true) => {
                    if let Some((s, v)) = run.take() {
                        out.push(pages_record(s, v));
                    }
                    run = Some((at, page.clone()));
                }
                (_, false) => {
                    if let Some((s, v)) = run.take() {
                        out.push(pages_record(s, v));
                    }
                }
            }
        }
        if let Some((s, v)) = run.take() {
            out.push(pages_record(s, v));
        }
    }
    drop(space);
    // The files opened to compare pages are closed before the descriptors are read.
    drop(open);

    let actions = lock(&shared.actions).clone();
    for (sig, a) in actions.0.iter().enumerate().skip(1) {
        if a.handler != 0 || a.flags != 0 || a.mask != 0 {
            let r = ActionRec {
                sig: sig as u32,
                handler: a.handler,
                flags: a.flags,
                mask: a.mask,
            };
            out.push(Record::new(Kind::Action, &r, &[]));
        }
    }
    for t in threads {
        out.extend(t);
    }
    if let Some(d) = &det {
        for w in &d.futex {
            let r = FutexRec {
                tid: w.tid,
                bitset: w.bitset,
                addr: w.addr,
            };
            out.push(Record::new(Kind::Futex, &r, &[]));
        }
        for &tid in &d.woken {
            let r = FutexRec {
                tid,
                bitset: 0,
                addr: 0,
            };
            out.push(Record::new(Kind::Woken, &r, &[]));
        }
    }
    drop(det);
    out.extend(bind::capture(plan)?);
    Ok(out)
}

fn region_record(r: &crate::regions::Region) -> Record {
    let (name, dev, ino, path): (u8, u64, u64, &[u8]) = match &r.name {
        Name::Anon => (0, 0, 0, &[]),
        Name::File { path, dev, ino } => (1, *dev, *ino, path),
        Name::Stack => (2, 0, 0, &[]),
        Name::Heap => (3, 0, 0, &[]),
    };
    let rec = RegionRec {
        start: r.start,
        end: r.end,
        offset: r.offset,
        dev,
        ino,
        name,
        shared: r.shared as u8,
    };
    Record::new(Kind::Region, &rec, path)
}

fn pages_record(start: u64, v: Vec<u8>) -> Record {
    let r = PagesRec {
        start,
        count: v.len() as u64 / PAGE,
    };
    Record::new(Kind::Pages, &r, &v)
}

/// Whether the page at `at` holds what the receiver would not rebuild by itself: the file's
/// bytes in a private file mapping, zero elsewhere.
fn differs(
    regions: &[crate::regions::Region],
    open: &mut BTreeMap<Vec<u8>, std::fs::File>,
    at: u64,
    page: &[u8],
) -> bool {
    let mut want = vec![0u8; page.len()];
    if let Some(r) = regions.iter().find(|r| r.start <= at && at < r.end) {
        if let Name::File { path, .. } = &r.name {
            if !open.contains_key(path) {
                let p =
                    Path::new(<std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(path));
                match std::fs::File::open(p) {
                    Ok(f) => {
                        open.insert(path.clone(), f);
                    }
                    Err(_) => return true,
                }
            }
            file_page(&open[path], r.offset + (at - r.start), &mut want);
        }
    }
    page != want.as_slice()
}

/// The bytes of `f` at `offset` into `out`, zero past its end.
pub fn file_page(f: &std::fs::File, offset: u64, out: &mut [u8]) {
    let mut done = 0;
    while done < out.len() {
        match f.read_at(&mut out[done..], offset + done as u64) {
            Ok(0) | Err(_) => break,
            Ok(n) => done += n,
        }
    }
    out[done..].fill(0);
}

/// A file's size and SHA-256.
pub fn hash_file(p: &Path) -> std::io::Result<(u64, [u8; 32])> {
    let bytes = std::fs::read(p)?;
    Ok((bytes.len() as u64, Sha256::digest(&bytes).into()))
}

/// Writes the records to `plan.file` whole (a temporary file renamed into place), so a
/// reader never sees half a snapshot.
pub fn write(records: &[Record], file: &Path) -> Result<Written, String> {
    let bytes = format::encode(records);
    let tmp = file.with_extension("partial");
    std::fs::write(&tmp, &bytes)
        .and_then(|()| std::fs::rename(&tmp, file))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            format!("{}: {e}", file.display())
        })?;
    Ok(Written {
        bytes: bytes.len() as u64,
        threads: records.iter().filter(|r| r.kind == Kind::Thread).count(),
        pages: records
            .iter()
            .filter(|r| r.kind == Kind::Pages)
            .filter_map(|r| r.parts::<PagesRec>())
            .map(|(p, _)| p.count)
            .sum(),
    })
}
