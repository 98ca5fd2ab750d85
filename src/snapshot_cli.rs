//! The snapshot commands: `mimic run --snapshot-on SIGNAL FILE` (and `--snapshot-at`),
//! `mimic resume FILE`, `mimic snapshot-info FILE`. The work is hypervisor-lite's
//! `snapshot` module; this is the command line around it.

use clap::builder::BoolishValueParser;
use clap::Args;
use hypervisor_lite::snapshot::{info, resume};
use hypervisor_lite::state::SnapshotPlan;
use hypervisor_lite::{Mode, Process};
use std::path::PathBuf;

/// The options of `mimic run` (and `resume`) that take snapshots.
#[derive(Args, Clone, Debug)]
pub struct SnapshotArgs {
    /// On host signal SIGNAL (a name such as USR2 or SIGUSR2, or a number), stop every
    /// thread between instructions, write the process to FILE and end (see --keep-running)
    #[arg(long, num_args = 2, value_names = ["SIGNAL", "FILE"])]
    snapshot_on: Vec<String>,

    /// Under --deterministic: snapshot to FILE at the first scheduling point at or after N
    /// retired instructions
    #[arg(long, num_args = 2, value_names = ["N", "FILE"])]
    snapshot_at: Vec<String>,

    /// On host signal SIGNAL, send the running guest to `mimic serve` at ADDR (host:port):
    /// memory first while it runs, then the pages written since with it stopped; mimic then
    /// ends with a line saying where the guest went, the pause and the bytes sent
    #[arg(long, num_args = 2, value_names = ["SIGNAL", "ADDR"])]
    migrate_on: Vec<String>,

    /// After a snapshot, the guest goes on (a checkpoint) instead of ending
    #[arg(long, value_parser = BoolishValueParser::new())]
    keep_running: bool,

    /// Snapshot a process holding fixed resources (sockets, pipes to other processes,
    /// eventfds…) anyway: on resume the guest holds a closed descriptor for each
    #[arg(long, value_parser = BoolishValueParser::new())]
    drop_fixed: bool,

    /// Carry regular files' contents in the snapshot: a resume recreates a file that is
    /// missing where it is looked for
    #[arg(long, value_parser = BoolishValueParser::new())]
    copy_files: bool,
}

#[derive(Args)]
pub struct ResumeArgs {
    /// A file or directory that moved since the snapshot: OLD's paths are looked up under
    /// NEW (repeatable)
    #[arg(long = "map", value_name = "OLD=NEW")]
    maps: Vec<String>,

    /// Execute with the interpreter only
    #[arg(long, conflicts_with = "jit", value_parser = BoolishValueParser::new())]
    interp: bool,

    /// Translate every block at its first execution
    #[arg(long, value_parser = BoolishValueParser::new())]
    jit: bool,

    /// Tiered engine (interpret, translate hot blocks), whatever the snapshot ran with
    #[arg(long, conflicts_with_all = ["jit", "interp"], value_parser = BoolishValueParser::new())]
    tiered: bool,

    /// At exit, report the guest instructions retired by all threads (before and after
    /// the snapshot)
    #[arg(long, value_parser = BoolishValueParser::new())]
    stats: bool,

    /// Log every system call to stderr
    #[arg(long, value_parser = BoolishValueParser::new())]
    strace: bool,

    #[command(flatten)]
    snapshot: SnapshotArgs,

    /// The snapshot file
    #[arg(value_name = "FILE")]
    file: PathBuf,
}

#[derive(Args)]
pub struct ServeArgs {
    /// Where to accept a migration: host:port (port 0: any free port, named on stderr)
    #[arg(long, value_name = "ADDR")]
    listen: String,

    /// Execute with the interpreter only
    #[arg(long, conflicts_with = "jit", value_parser = BoolishValueParser::new())]
    interp: bool,

    /// Translate every block at its first execution
    #[arg(long, value_parser = BoolishValueParser::new())]
    jit: bool,
}

/// `mimic serve --listen ADDR`: accepts one migrated guest and runs it on; mimic ends as
/// the guest does.
pub fn serve(a: ServeArgs) -> ! {
    let fail = |e: String| -> ! {
        hypervisor_lite::diag!("mimic: serve: {e}");
        std::process::exit(1)
    };
    let listener = std::net::TcpListener::bind(&a.listen)
        .unwrap_or_else(|e| fail(format!("cannot listen on {}: {e}", a.listen)));
    let here = listener
        .local_addr()
        .map(|x| x.to_string())
        .unwrap_or_else(|_| a.listen.clone());
    hypervisor_lite::diag!("mimic: serving migrations on {here}");
    let (records, mut stream) =
        hypervisor_lite::snapshot::migrate::accept(&listener).unwrap_or_else(|e| fail(e));
    // Its number may be one the guest holds.
    drop(listener);
    let opts = resume::Options {
        engine: if a.interp {
            Some(Mode::Interp)
        } else if a.jit {
            Some(Mode::Jit)
        } else {
            None
        },
        ..resume::Options::default()
    };
    match Process::resume(&records, &opts) {
        Ok(p) => {
            hypervisor_lite::snapshot::migrate::answer(&mut stream, &Ok(()));
            drop(stream);
            p.run()
        }
        Err(e) => {
            hypervisor_lite::snapshot::migrate::answer(&mut stream, &Err(e.clone()));
            fail(e)
        }
    }
}

#[derive(Args)]
pub struct InfoArgs {
    /// The snapshot file
    #[arg(value_name = "FILE")]
    file: PathBuf,
}

/// A signal by name (`USR2`, `SIGUSR2`) or number; one a snapshot may be asked with.
fn parse_signal(s: &str) -> Result<i32, String> {
    let n = s.parse::<usize>().ok().or_else(|| {
        let want = format!("SIG{}", s.trim_start_matches("SIG").to_ascii_uppercase());
        (1..32).find(|&n| hypervisor_lite::signal::name(n) == want)
    });
    match n {
        Some(n @ (1..=3 | 6 | 10 | 12..=18 | 20..=31)) => Ok(n as i32),
        Some(n) => Err(format!(
            "{s}: {} cannot ask for a snapshot (it is the kernel's, or mimic's own)",
            hypervisor_lite::signal::name(n)
        )),
        None => Err(format!("{s}: not a signal name or number")),
    }
}

/// The plan the options ask for, or a usage error.
pub fn plan(a: &SnapshotArgs, deterministic: bool) -> Result<Option<SnapshotPlan>, String> {
    let mut plan = SnapshotPlan {
        keep_running: a.keep_running,
        drop_fixed: a.drop_fixed,
        copy_files: a.copy_files,
        ..SnapshotPlan::default()
    };
    if let [sig, file] = a.snapshot_on.as_slice() {
        plan.signal = parse_signal(sig).map_err(|e| format!("--snapshot-on {e}"))?;
        plan.file = PathBuf::from(file);
    }
    if let [sig, addr] = a.migrate_on.as_slice() {
        if !a.snapshot_on.is_empty() || !a.snapshot_at.is_empty() {
            return Err("--migrate-on goes without --snapshot-on and --snapshot-at".into());
        }
        plan.signal = parse_signal(sig).map_err(|e| format!("--migrate-on {e}"))?;
        plan.send_to = Some(addr.clone());
        plan.file = PathBuf::from(format!("migration to {addr}"));
    }
    if let [n, file] = a.snapshot_at.as_slice() {
        if !deterministic {
            return Err(
                "--snapshot-at needs --deterministic (an instruction count is a \
                        point in time only there)"
                    .into(),
            );
        }
        let n = n
            .parse::<u64>()
            .map_err(|_| format!("--snapshot-at {n}: not a number of instructions"))?;
        if !a.snapshot_on.is_empty() && plan.file.as_os_str() != file.as_str() {
            return Err("--snapshot-at and --snapshot-on name different files".into());
        }
        plan.at = Some(n);
        plan.file = PathBuf::from(file);
    }
    if plan.file.as_os_str().is_empty() {
        if a.keep_running || a.drop_fixed || a.copy_files {
            return Err(
                "--keep-running, --drop-fixed and --copy-files need --snapshot-on or --snapshot-at"
                    .into(),
            );
        }
        return Ok(None);
    }
    Ok(Some(plan))
}

/// `mimic resume FILE`: runs the snapshot's process on from where it stopped; mimic ends
/// as the guest does. Anything wrong is one line and status 1, before the guest runs.
pub fn resume(a: ResumeArgs) -> ! {
    let fail = |e: String| -> ! {
        hypervisor_lite::diag!("mimic: resume: {e}");
        std::process::exit(1)
    };
    let mut maps = Vec::new();
    for m in &a.maps {
        match m.split_once('=') {
            Some((old, new)) if !old.is_empty() && !new.is_empty() => {
                maps.push((PathBuf::from(old), PathBuf::from(new)))
            }
            _ => crate::usage_error(&format!("--map {m}: expected OLD=NEW")),
        }
    }
    let records = resume::read(&a.file).unwrap_or_else(|e| fail(e));
    let det = records
        .iter()
        .find(|r| r.kind == hypervisor_lite::snapshot::format::Kind::Process)
        .and_then(|r| r.parts::<hypervisor_lite::snapshot::format::ProcessRec>())
        .is_some_and(|(p, _)| p.deterministic != 0);
    let snapshot = plan(&a.snapshot, det).unwrap_or_else(|e| crate::usage_error(&e));
    let engine = if a.interp {
        Some(Mode::Interp)
    } else if a.jit {
        Some(Mode::Jit)
    } else if a.tiered {
        Some(Mode::Tiered)
    } else {
        None
    };
    let opts = resume::Options {
        maps,
        engine,
        strace: a.strace,
        stats: a.stats,
        snapshot,
    };
    match Process::resume(&records, &opts) {
        Ok(p) => p.run(),
        Err(e) => fail(e),
    }
}

/// `mimic snapshot-info FILE`: what the snapshot holds and how each resource is bound.
pub fn snapshot_info(a: InfoArgs) -> ! {
    match resume::read(&a.file) {
        Ok(records) => {
            for line in info::report(&records) {
                println!("{line}");
            }
            std::process::exit(0)
        }
        Err(e) => {
            hypervisor_lite::diag!("mimic: snapshot-info: {e}");
            std::process::exit(1)
        }
    }
}
