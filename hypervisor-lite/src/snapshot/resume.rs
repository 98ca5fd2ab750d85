//! Resuming: a snapshot file back into a process of this mimic, every thread where it
//! stopped.
//!
//! Every check comes first (the file's own, then the code files' hashes, then each
//! descriptor reopened and checked), so a snapshot that cannot resume is one line and
//! nothing of it runs. The address space is rebuilt range by range with its permission
//! table, filled from the code files (by hash) and the stored pages; the threads get their
//! registers, signal masks and pending signals; the process keeps its pid and tids (the
//! guest sees the numbers it had: they are mimic's, not the host's, after a resume).

use super::bind;
use super::format::{self, *};
use super::write::{file_page, hash_file, Sched};
use crate::abi::layout::Layout;
use crate::memory::{AddressSpace, PAGE};
use crate::regions::{Name, Region, Regions, Startup};
use crate::signal::{Actions, Pending, SigAction};
use crate::state::{Config, DetState, Shared, ThreadCtl, Waiter};
use crate::syscall::{Task, Wait};
use isa_a::Cpu;
use std::collections::{HashMap, HashSet};
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI32, AtomicU64};
use std::sync::{Arc, Mutex, OnceLock};

/// How to resume: what the command line may change.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// `--map OLD=NEW`: files and directories that moved.
    pub maps: Vec<(PathBuf, PathBuf)>,
    /// Another engine than the snapshot's.
    pub engine: Option<translator::Mode>,
    pub strace: bool,
    pub stats: bool,
    /// Snapshot again (`--snapshot-on`).
    pub snapshot: Option<crate::state::SnapshotPlan>,
}

/// A thread to be: what its vCPU is built from.
pub struct ThreadImage {
    pub ctl: Arc<ThreadCtl>,
    pub cpu: Cpu,
    rec: ThreadRec,
}

/// A resumed process, before any of it runs.
pub struct Resumed {
    pub shared: Arc<Shared>,
    pub threads: Vec<ThreadImage>,
    pub sched: Sched,
}

/// Reads and checks the snapshot `file`; one line on failure.
pub fn read(file: &std::path::Path) -> Result<Vec<Record>, String> {
    let bytes = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    format::decode(&bytes).map_err(|e| format!("{}: {}", file.display(), e.0))
}

fn one<T: Layout>(records: &[Record], kind: Kind) -> Result<(T, &[u8]), String> {
    let mut it = records.iter().filter(|r| r.kind == kind);
    let r = it
        .next()
        .ok_or_else(|| format!("no {} record", T::DESC.name))?;
    if it.next().is_some() {
        return Err(format!("more than one {} record", T::DESC.name));
    }
    r.parts::<T>()
        .ok_or_else(|| format!("a short {} record", T::DESC.name))
}

pub fn all<T: Layout>(records: &[Record], kind: Kind) -> impl Iterator<Item = (T, &[u8])> {
    records
        .iter()
        .filter(move |r| r.kind == kind)
        .filter_map(|r| r.parts::<T>())
}

/// The strings record `which`, if any.
pub fn strings(records: &[Record], which: Strings) -> Option<Vec<Vec<u8>>> {
    all::<StringsRec>(records, Kind::Strings)
        .find(|(s, _)| s.which == which as u32)
        .map(|(_, t)| {
            if which == Strings::Auxv {
                vec![t.to_vec()]
            } else {
                split(t)
            }
        })
}

fn path(b: &[u8]) -> PathBuf {
    PathBuf::from(OsStr::from_bytes(b))
}

/// Rebuilds the process of `records` in this mimic; fails with one line, before any
/// guest instruction runs.
pub fn build(records: &[Record], opts: &Options) -> Result<Resumed, String> {
    let (p, _) = one::<ProcessRec>(records, Kind::Process)?;
    // Code by hash: the files the memory was mapped from must be the same here.
    let mut code: HashMap<Vec<u8>, PathBuf> = HashMap::new();
    for (c, tail) in all::<CodeRec>(records, Kind::Code) {
        let orig = path(tail);
        let here = bind::mapped(&orig, &opts.maps);
        let (_, hash) = hash_file(&here).map_err(|e| format!("{}: {e}", here.display()))?;
        if hash != c.sha256 {
            return Err(format!(
                "{}: the file changed since the snapshot (its content hash differs)",
                here.display()
            ));
        }
        code.insert(tail.to_vec(), here);
    }

    let mut space = AddressSpace::new().map_err(|e| format!("cannot reserve guest memory: {e}"))?;
    for (r, table) in all::<RangeRec>(records, Kind::Range) {
        let pages = (r.end.saturating_sub(r.start) / PAGE) as usize;
        if r.start % PAGE != 0 || r.end % PAGE != 0 || r.end <= r.start || table.len() != pages {
            return Err(format!("a bad range {:#x}..{:#x}", r.start, r.end));
        }
        let shared = table.iter().any(|&b| {
            b & crate::memory::perm::MAPPED != 0 && b & crate::memory::perm::PRIVATE == 0
        });
        let len = r.end - r.start;
        let done = if shared {
            space.map_shared_anon(r.start, len, 0)
        } else {
            space.map_fixed(r.start, len, 0)
        };
        done.map_err(|e| format!("cannot map {:#x}..{:#x}: {e}", r.start, r.end))?;
        space.set_table(r.start, r.end, table);
    }
    let mut regions = Regions::default();
    let mut page = vec![0u8; PAGE as usize];
    for (r, tail) in all::<RegionRec>(records, Kind::Region) {
        let name = match r.name {
            0 => Name::Anon,
            1 => Name::File {
                path: tail.to_vec(),
                dev: r.dev,
                ino: r.ino,
            },
            2 => Name::Stack,
            _ => Name::Heap,
        };
        if let (Name::File { path, .. }, false) = (&name, r.shared != 0) {
            let here = code.get(path).ok_or_else(|| {
                format!(
                    "{}: mapped but not among the code files",
                    String::from_utf8_lossy(path)
                )
            })?;
            let f = std::fs::File::open(here).map_err(|e| format!("{}: {e}", here.display()))?;
            let mut at = r.start;
            while at < r.end {
                if space.all_mapped(at, at + PAGE) {
                    file_page(&f, r.offset + (at - r.start), &mut page);
                    if page.iter().any(|&b| b != 0) {
                        space.write_raw(at, &page);
                    }
                }
                at += PAGE;
            }
        }
        regions.insert(Region {
            start: r.start,
            end: r.end,
            offset: r.offset,
            name,
            shared: r.shared != 0,
        });
    }
    for (r, bytes) in all::<PagesRec>(records, Kind::Pages) {
        let len = r
            .count
            .checked_mul(PAGE)
            .filter(|&l| l == bytes.len() as u64);
        let ok = len.is_some_and(|l| r.start % PAGE == 0 && space.all_mapped(r.start, r.start + l));
        if !ok {
            return Err(format!("pages at {:#x} outside every range", r.start));
        }
        space.write_raw(r.start, bytes);
    }
    space.brk_start = p.brk_start;
    space.brk = p.brk;
    space.mmap_base = p.mmap_base;

    let mut actions = Actions::default();
    for (a, _) in all::<ActionRec>(records, Kind::Action) {
        if (1..=crate::signal::NSIG as u32).contains(&a.sig) {
            actions.0[a.sig as usize] = SigAction {
                handler: a.handler,
                flags: a.flags,
                mask: a.mask,
            };
        }
    }

    let os = |v: Vec<u8>| OsString::from(OsStr::from_bytes(&v));
    let list = |w| strings(records, w).unwrap_or_default();
    let program = list(Strings::Program)
        .into_iter()
        .next()
        .map(|b| path(&b))
        .unwrap_or_default();
    let exe = list(Strings::Exe)
        .into_iter()
        .next()
        .map(|b| path(&b))
        .unwrap_or_default();
    let mut cfg = Config {
        program: bind::mapped(&program, &opts.maps),
        args: list(Strings::Args).into_iter().map(os).collect(),
        env: list(Strings::Env).into_iter().map(os).collect(),
        sysroot: list(Strings::Sysroot).into_iter().next().map(|b| path(&b)),
        stack_size: p.stack_size,
        strace: opts.strace,
        deterministic: p.deterministic != 0,
        stats: opts.stats,
        engine: match p.engine {
            0 => translator::Mode::Interp,
            1 => translator::Mode::Jit,
            _ => translator::Mode::Tiered,
        },
        ..Config::default()
    };
    if let Some(e) = opts.engine {
        cfg.engine = e;
    }
    cfg.snapshot = opts.snapshot.clone();

    let mut threads = Vec::new();
    let mut ctls = HashMap::new();
    for (t, _) in all::<ThreadRec>(records, Kind::Thread) {
        let ctl = ThreadCtl::new(t.tid);
        let mut pending = Pending::default();
        pending.bits = t.pending;
        for (s, info) in all::<SigInfoRec>(records, Kind::SigInfo) {
            if s.tid == t.tid
                && (1..=crate::signal::NSIG as u32).contains(&s.sig)
                && info.len() == crate::signal::SIGINFO_SIZE
            {
                pending.info[s.sig as usize].copy_from_slice(info);
            }
        }
        *crate::state::lock(&ctl.pending) = pending;
        ctl.has_pending
            .store(t.pending != 0, std::sync::atomic::Ordering::SeqCst);
        ctl.instret
            .store(t.instret, std::sync::atomic::Ordering::Relaxed);
        ctl.blocked
            .store(t.mask, std::sync::atomic::Ordering::SeqCst);
        let mut cpu = Cpu::new(t.pc);
        cpu.x = t.x;
        cpu.f = t.f;
        cpu.fcsr = t.fcsr;
        cpu.instret = t.instret;
        cpu.reservation = t.reservation;
        cpu.reservation_value = t.reservation_value;
        ctls.insert(t.tid, ctl.clone());
        threads.push(ThreadImage { ctl, cpu, rec: t });
    }
    if threads.is_empty() || threads.len() != p.threads as usize {
        return Err("the thread records do not match the process record".into());
    }
    let det = cfg.deterministic.then(|| {
        let mut d = DetState::new(p.pid);
        d.next_tid = p.next_tid;
        d.vnow = p.vnow;
        d.turn_instret = p.turn_instret;
        d.futex = all::<FutexRec>(records, Kind::Futex)
            .map(|(w, _)| Waiter {
                tid: w.tid,
                addr: w.addr,
                bitset: w.bitset,
            })
            .collect();
        d.woken = all::<FutexRec>(records, Kind::Woken)
            .map(|(w, _)| w.tid)
            .collect();
        Mutex::new(d)
    });

    // Last, the descriptors: each reopened and checked before any is put in place.
    let fds: Vec<(FdRec, Vec<u8>)> = all::<FdRec>(records, Kind::Fd)
        .map(|(r, t)| (r, t.to_vec()))
        .collect();
    let by_type = bind::restore(&fds, &opts.maps)?;
    bind::note_inherited_list(by_type);
    for (sig, a) in actions.0.iter().enumerate().skip(1) {
        crate::hostsig::mirror(sig, a);
    }

    let auxv = strings(records, Strings::Auxv)
        .and_then(|v| v.into_iter().next())
        .unwrap_or_default();
    let shared = Arc::new(Shared {
        cfg,
        mem: space.handle(),
        code_gen: space.code_gen.clone(),
        space: Mutex::new(space),
        exe: bind::mapped(&exe, &opts.maps),
        regions: Mutex::new(regions),
        startup: Startup {
            sp: p.startup_sp,
            auxv,
            args: (p.args[0], p.args[1]),
            env: (p.env[0], p.env[1]),
        },
        pid: AtomicI32::new(p.pid),
        actions: Mutex::new(actions),
        reported: Mutex::new(HashSet::new()),
        threads: Mutex::new(ctls),
        retired: AtomicU64::new(p.retired),
        sigreturn_tramp: p.sigreturn_tramp,
        det,
        fatal: AtomicI32::new(0),
        ended: OnceLock::new(),
        symbols: Arc::new(std::sync::RwLock::new(translator::Symbols::default())),
    });
    Ok(Resumed {
        shared,
        threads,
        sched: Sched {
            next_index: p.next_index,
            skipped: p.skipped,
        },
    })
}

/// Gives a new vCPU's task the thread state of `t`.
pub fn apply(task: &mut Task, t: &ThreadImage) {
    let r = &t.rec;
    task.sig.mask = r.mask;
    task.sig.altstack = (r.altstack[0], r.altstack[1]);
    task.clear_child_tid = r.clear_child_tid;
    task.robust_list = (r.robust_list[0], r.robust_list[1]);
    task.saved_mask = (r.has_saved_mask != 0).then_some(r.saved_mask);
    let deadline = (r.has_deadline != 0).then_some(r.deadline);
    task.wait = match r.wait {
        1 => Some(Wait::Futex { deadline }),
        2 => Some(Wait::Sleep {
            deadline: r.deadline,
        }),
        3 => Some(Wait::Signal),
        // Anything else runs its call again (pc is on its ecall).
        _ => None,
    };
}
