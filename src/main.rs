//! `mimic`: runs RISC-V (RV64GC) Linux programs on x86-64 Linux.
//!
//! `mimic run [options] program [args…]` follows qemu-user's conventions: the guest's exit
//! status is mimic's, `-L` names the sysroot, `--strace` logs syscalls, and every option but
//! `--inspect` has a `MIMIC_*` environment mirror. `mimic [options] program [args…]` and
//! qemu's single-dash spellings work too (see `qemu_args`). `mimic tui` runs a program (or an
//! embedded demo) under the terminal UI; `mimic run --inspect ADDR` serves what the UI shows
//! to `mimic tui --attach ADDR` in another process (see `tui::remote`). `mimic binfmt`
//! registers mimic with binfmt_misc (see `binfmt`), and a start by binfmt_misc is recognized
//! from mimic's own auxv (see `binfmt_call`).

mod binfmt;
mod binfmt_call;
mod migrate_cli;
mod qemu_args;
mod snapshot_cli;

use clap::builder::BoolishValueParser;
use clap::{Args, Parser, Subcommand};
use hypervisor_lite::{Config, LogFlags, LogSink, Mode, Process};
use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// Runs RISC-V (RV64GC) Linux programs on x86-64 Linux.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a riscv64 Linux program: `mimic run [options] program [args…]`.
    Run(RunArgs),
    /// Run a program under the terminal UI, layer by layer: `mimic tui [options] [program [args…]]`;
    /// with no program, an embedded demo guest.
    Tui(TuiArgs),
    /// Print the binfmt_misc entry that runs riscv64 programs with this mimic, or register
    /// or remove it: `mimic binfmt [--register|--unregister] [options]`
    Binfmt(BinfmtArgs),
    /// Resume a snapshot written by `mimic run --snapshot-on`: `mimic resume FILE [--map OLD=NEW…]`
    Resume(snapshot_cli::ResumeArgs),
    /// Show what a snapshot holds and how each resource is rebound: `mimic snapshot-info FILE`
    SnapshotInfo(snapshot_cli::InfoArgs),
    /// Accept a guest migrated by `mimic run --migrate-on SIGNAL ADDR` and run it on:
    /// `mimic serve --listen ADDR`
    Serve(snapshot_cli::ServeArgs),
    /// Send the guest of a running mimic (pid PID, this user's) to `mimic serve` at ADDR
    /// and print where it went: `mimic migrate PID ADDR`
    Migrate(migrate_cli::MigrateArgs),
}

#[derive(Args)]
struct BinfmtArgs {
    /// Write the entry to binfmt_misc's register file (needs root)
    #[arg(long, conflicts_with = "unregister")]
    register: bool,

    /// Remove the entry from binfmt_misc (needs root)
    #[arg(long)]
    unregister: bool,

    /// The entry's name
    #[arg(long, value_name = "NAME", default_value = "mimic-riscv64")]
    name: String,

    /// The entry's flags, any of P (keep the program's argv[0]), O (the kernel opens the
    /// program), C (the program's setuid credentials; implies O), F (the kernel opens mimic
    /// at registration); empty for none
    #[arg(long, value_name = "FLAGS", default_value = binfmt::FLAGS)]
    flags: String,

    /// The binfmt_misc mount [default: /proc/sys/fs/binfmt_misc, or where it is mounted]
    #[arg(long, value_name = "DIR")]
    mount: Option<PathBuf>,
}

/// The options `run` and `tui` share: what the guest sees.
#[derive(Args)]
struct GuestArgs {
    /// Sysroot for dynamically linked programs: their interpreter and libraries, and absolute
    /// paths the guest opens, are looked up here first [default: /usr/riscv64-linux-gnu if it exists]
    #[arg(short = 'L', value_name = "DIR", env = "MIMIC_LD_PREFIX")]
    sysroot: Option<PathBuf>,

    /// Set VAR to VALUE in the guest environment (repeatable)
    #[arg(
        short = 'E',
        value_name = "VAR=VALUE",
        env = "MIMIC_SET_ENV",
        value_delimiter = ','
    )]
    set_env: Vec<String>,

    /// Remove VAR from the guest environment (repeatable)
    #[arg(
        short = 'U',
        value_name = "VAR",
        env = "MIMIC_UNSET_ENV",
        value_delimiter = ','
    )]
    unset_env: Vec<String>,

    /// The guest's argv[0] [default: the program path as given]
    #[arg(
        short = '0',
        value_name = "ARGV0",
        env = "MIMIC_ARGV0",
        allow_hyphen_values = true
    )]
    argv0: Option<OsString>,

    /// Guest stack size in bytes; k, M and G suffixes allowed
    #[arg(short = 's', value_name = "SIZE", env = "MIMIC_STACK_SIZE", default_value = "8M", value_parser = parse_size)]
    stack_size: u64,

    /// The CPU model, as qemu's -cpu: mimic implements RV64GC, which rv64, rv64gc, max, any
    /// and sifive-u54 name; `help` lists them
    #[arg(long = "cpu", value_name = "MODEL", env = "MIMIC_CPU", value_parser = parse_cpu)]
    cpu: Option<CpuModel>,
}

/// What `--cpu` asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CpuModel {
    /// A name for RV64GC, the one model mimic implements.
    Rv64gc,
    /// `--cpu help`: list the names and exit.
    Help,
}

/// The qemu CPU names that mean what mimic implements: RV64GC (RV64IMAFDC, Zicsr, Zifencei).
const CPU_NAMES: &[&str] = &["rv64", "rv64gc", "max", "any", "sifive-u54"];

/// `--cpu help`: the names mimic accepts, then exit.
fn print_cpus() -> ! {
    println!("Available CPUs (all RV64GC):");
    for name in CPU_NAMES {
        println!("  {name}");
    }
    std::process::exit(0);
}

fn parse_cpu(s: &str) -> Result<CpuModel, String> {
    if s == "help" {
        Ok(CpuModel::Help)
    } else if CPU_NAMES.contains(&s) {
        Ok(CpuModel::Rv64gc)
    } else {
        Err(format!(
            "unknown CPU model '{s}': mimic implements RV64GC, named {}",
            CPU_NAMES.join(", ")
        ))
    }
}

#[derive(Args)]
struct TuiArgs {
    #[command(flatten)]
    guest: GuestArgs,

    /// Start stopped at the entry point
    #[arg(long)]
    paused: bool,

    /// Break at this address or symbol (repeatable)
    #[arg(short = 'b', long = "break", value_name = "ADDR|SYMBOL")]
    breakpoints: Vec<String>,

    /// The guest's stdin [default: mimic's stdin when it is not a terminal, else /dev/null]
    #[arg(long, value_name = "FILE")]
    stdin: Option<PathBuf>,

    /// Show the guest that `mimic run --inspect ADDR` runs in another process (a unix socket
    /// path or 127.0.0.1:PORT); quitting detaches and the guest runs on
    #[arg(long, value_name = "ADDR", conflicts_with_all = ["paused", "breakpoints", "stdin", "command"])]
    attach: Option<String>,

    // One trailing positional: clap stops reading options at the program, so everything
    // after it (`-d`, `--help`, `--`, "") is the guest's, as with qemu-user.
    /// The riscv64 ELF program to run and its arguments [default: the embedded demo]
    #[arg(value_name = "PROGRAM [ARGS]", trailing_var_arg = true)]
    command: Vec<OsString>,
}

#[derive(Args)]
struct RunArgs {
    #[command(flatten)]
    guest: GuestArgs,

    /// Log every system call to stderr, as qemu-user's -strace does
    #[arg(long, env = "MIMIC_STRACE", value_parser = BoolishValueParser::new())]
    strace: bool,

    /// Run every guest thread on one host thread, switched after a fixed number of retired
    /// instructions, with blocking calls (futex, read of an empty pipe, sleeps, wait4, ppoll)
    /// multiplexed and time for sleeps and timeouts virtual: the same program and input give
    /// the same interleaving, output and instruction counts on every run
    #[arg(long, env = "MIMIC_DETERMINISTIC", value_parser = BoolishValueParser::new())]
    deterministic: bool,

    /// At exit, report on stderr the number of guest instructions retired by all threads
    #[arg(long, env = "MIMIC_STATS", value_parser = BoolishValueParser::new())]
    stats: bool,

    /// Execute with the interpreter only
    #[arg(
        long,
        env = "MIMIC_INTERP",
        conflicts_with = "jit",
        value_parser = BoolishValueParser::new()
    )]
    interp: bool,

    /// Translate every block at its first execution (default: interpret cold code, translate
    /// hot blocks)
    #[arg(long, env = "MIMIC_JIT", value_parser = BoolishValueParser::new())]
    jit: bool,

    /// Log what ITEMS name, as qemu's -d: in_asm, out_asm, exec, cpu, int, page, unimp,
    /// strace, nochain (comma separated; `-d help` says what each shows)
    #[arg(short = 'd', value_name = "ITEMS", env = "MIMIC_LOG", value_parser = parse_log)]
    log: Option<LogFlags>,

    /// Write the -d log (and --strace) to FILE instead of stderr; `%d` in FILE is mimic's
    /// process id
    #[arg(short = 'D', value_name = "FILE", env = "MIMIC_LOG_FILENAME")]
    log_file: Option<PathBuf>,

    /// Wait for gdb on 127.0.0.1:PORT with the guest stopped at its first instruction, as
    /// qemu's -g (0: any free port, named on stderr)
    #[arg(short = 'g', long = "gdb", value_name = "PORT", env = "MIMIC_GDB")]
    gdb: Option<String>,

    #[command(flatten)]
    snapshot: snapshot_cli::SnapshotArgs,

    /// Serve the state `mimic tui` shows at ADDR, a unix socket path (created 0600) or
    /// 127.0.0.1:PORT (0: any free port, named on stderr), for `mimic tui --attach ADDR`
    // No environment mirror: the guest inherits mimic's environment, and a guest that forks
    // and execs would start a second server at the same address.
    #[arg(long, value_name = "ADDR", conflicts_with = "gdb")]
    inspect: Option<String>,

    /// With --inspect on TCP, listen on any address, not only loopback
    #[arg(long, requires = "inspect")]
    inspect_any: bool,

    // As in TuiArgs: everything from the program on is the guest's.
    /// The riscv64 ELF program to run and its arguments
    #[arg(
        value_name = "PROGRAM [ARGS]",
        required = true,
        trailing_var_arg = true
    )]
    command: Vec<OsString>,
}

fn parse_size(s: &str) -> Result<u64, String> {
    let (num, mult) = match s.char_indices().last() {
        Some((i, 'k' | 'K')) => (&s[..i], 1 << 10),
        Some((i, 'm' | 'M')) => (&s[..i], 1 << 20),
        Some((i, 'g' | 'G')) => (&s[..i], 1 << 30),
        _ => (s, 1),
    };
    num.parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .filter(|&n| n > 0 && n <= 1 << 32)
        .ok_or_else(|| {
            format!(
                "invalid size '{s}' (a number of bytes up to 4G, with an optional k/M/G suffix)"
            )
        })
}

/// The `-d` items mimic logs, with qemu's names.
const LOG_ITEMS: &[(&str, &str)] = &[
    (
        "in_asm",
        "show the guest code of each block at its first execution",
    ),
    ("out_asm", "show the host code each translated block became"),
    ("exec", "show each block entered, with its pc and function"),
    ("cpu", "show the registers before each block entered"),
    ("int", "show each signal delivered to the guest"),
    (
        "page",
        "show the guest's mappings at start and after each change",
    ),
    (
        "unimp",
        "show unsupported system calls and illegal instructions",
    ),
    ("strace", "log every system call, as --strace"),
    (
        "nochain",
        "do not chain translated blocks (exec then shows every block)",
    ),
    (
        "cost",
        "at exit, the blocks translated, host bytes a guest instruction, time a block",
    ),
];

fn parse_log(s: &str) -> Result<LogFlags, String> {
    let mut f = LogFlags::default();
    for item in s.split(',') {
        let on = match item {
            "in_asm" => &mut f.in_asm,
            "out_asm" => &mut f.out_asm,
            "exec" => &mut f.exec,
            "cpu" => &mut f.cpu,
            "int" => &mut f.int,
            "page" => &mut f.page,
            "unimp" => &mut f.unimp,
            "strace" => &mut f.strace,
            "nochain" => &mut f.nochain,
            "cost" => &mut f.cost,
            other => {
                let names: Vec<&str> = LOG_ITEMS.iter().map(|(n, _)| *n).collect();
                return Err(format!(
                    "unknown log item '{other}' ({}; '-d help' lists them)",
                    names.join(", ")
                ));
            }
        };
        *on = true;
    }
    Ok(f)
}

fn main() {
    // mimic's own failures are one line, never a backtrace. The hook writes with diag!,
    // which cannot panic: a panic inside a panic hook aborts mimic.
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        hypervisor_lite::diag!("mimic: internal error: {msg}{at}");
    }));
    let start = binfmt_call::Start::own();
    let inherited = env_strings();
    if start.secure {
        // Started setuid (binfmt_misc's C flag): the user's MIMIC_* variables must not steer
        // a privileged mimic (a sysroot, a log file); the guest still gets them.
        for (k, _) in std::env::vars_os() {
            if k.as_encoded_bytes().starts_with(b"MIMIC_") {
                std::env::remove_var(k);
            }
        }
    }
    let _ = INHERITED.set(inherited);
    let argv = qemu_args::normalize(start.command_line(std::env::args_os().collect()));
    if let Some(what) = qemu_args::qemu_only(&argv) {
        usage_error(&what);
    }
    // As qemu's `-cpu help` and `-d help`: the list, with or without a program.
    if qemu_args::asks_help(&argv, "--cpu") {
        print_cpus();
    }
    if qemu_args::asks_help(&argv, "-d") {
        println!("Log items (comma separated):");
        for (item, what) in LOG_ITEMS {
            println!("{item:<8} {what}");
        }
        std::process::exit(0);
    }
    let cli = match Cli::try_parse_from(argv) {
        Ok(c) => c,
        Err(e) if !e.use_stderr() => e.exit(), // --help, --version
        Err(e) if e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            // `mimic` alone: the help, on stderr, and status 1.
            hypervisor_lite::diag!("{}", e.render().to_string().trim_end());
            std::process::exit(1);
        }
        Err(e) => usage_error(&usage_line(&e.to_string())),
    };
    match cli.command {
        Command::Run(args) => run(args, start.exec_fd),
        Command::Tui(args) => std::process::exit(tui(args)),
        Command::Binfmt(args) => binfmt_command(args),
        Command::Resume(args) => snapshot_cli::resume(args),
        Command::SnapshotInfo(args) => snapshot_cli::snapshot_info(args),
        Command::Serve(args) => snapshot_cli::serve(args),
        Command::Migrate(args) => migrate_cli::migrate(args),
    }
}

/// mimic's environment as it started, for the guest (a secure start removes MIMIC_* from
/// mimic's own).
static INHERITED: std::sync::OnceLock<Vec<OsString>> = std::sync::OnceLock::new();

/// mimic's environment now, as `VAR=VALUE` strings.
fn env_strings() -> Vec<OsString> {
    std::env::vars_os()
        .map(|(k, v)| {
            let mut s = k;
            s.push("=");
            s.push(v);
            s
        })
        .collect()
}

/// `mimic binfmt`: print the entry, or register or remove it; a failure is one line, status 1.
fn binfmt_command(a: BinfmtArgs) -> ! {
    let done = (|| -> Result<(), String> {
        if a.unregister {
            binfmt::check_name(&a.name)?;
            return binfmt::unregister(&binfmt::mount(a.mount.as_deref())?, &a.name);
        }
        let line = binfmt::line(&a.name, &binfmt::own_path()?, &a.flags)?;
        if a.register {
            binfmt::register(&binfmt::mount(a.mount.as_deref())?, &a.name, &line)
        } else {
            println!("{line}");
            Ok(())
        }
    })();
    if let Err(e) = done {
        hypervisor_lite::diag!("mimic: {e}");
        std::process::exit(1);
    }
    std::process::exit(0);
}

/// A usage error: one line that says what was expected, then where to read more; status 1.
fn usage_error(what: &str) -> ! {
    hypervisor_lite::diag!("mimic: {what}\nTry 'mimic --help' for more information.");
    std::process::exit(1);
}

/// clap's error text as one line: its first, with the list a first line ending in ':'
/// announces (`…not provided: <PROGRAM [ARGS]>...`).
fn usage_line(text: &str) -> String {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or("invalid arguments");
    let mut line = first.trim_start_matches("error: ").to_string();
    if line.ends_with(':') {
        for item in lines.take_while(|l| !l.starts_with("Usage:")) {
            line.push(' ');
            line.push_str(item);
        }
    }
    line
}

/// A guest configuration running on the default engine, without logging or --stats.
/// `command` is the program and its arguments; none gives an empty program path.
fn config(o: GuestArgs, strace: bool, command: Vec<OsString>) -> Config {
    if o.cpu == Some(CpuModel::Help) {
        print_cpus();
    }
    let mut command = command.into_iter();
    let program = PathBuf::from(command.next().unwrap_or_default());
    let sysroot = o.sysroot.or_else(|| {
        let d = PathBuf::from("/usr/riscv64-linux-gnu");
        d.is_dir().then_some(d)
    });
    if let Some(bad) = o.set_env.iter().find(|kv| !kv.contains('=')) {
        usage_error(&format!("-E {bad}: expected VAR=VALUE"));
    }
    let inherited = INHERITED.get().cloned().unwrap_or_else(env_strings);
    let env = guest_env(inherited.into_iter(), &o.set_env, &o.unset_env);
    let mut args = vec![o.argv0.unwrap_or_else(|| program.clone().into_os_string())];
    args.extend(command);
    Config {
        program,
        args,
        env,
        sysroot,
        stack_size: o.stack_size,
        strace,
        engine: Mode::Tiered,
        log: None,
        deterministic: false,
        stats: false,
        exec_fd: None,
        snapshot: None,
    }
}

/// The guest's environment as qemu-user builds it: each variable, inherited ones in order,
/// then -E's, replaces any of the same name and goes to the front (so the list ends up
/// newest first: -E's, then the inherited ones in reverse); -U's are removed.
fn guest_env(
    inherited: impl Iterator<Item = OsString>,
    set: &[String],
    unset: &[String],
) -> Vec<OsString> {
    let name = |e: &OsString| -> Vec<u8> {
        let b = e.as_encoded_bytes();
        b[..b.iter().position(|&c| c == b'=').unwrap_or(b.len())].to_vec()
    };
    let mut env: std::collections::VecDeque<OsString> = Default::default();
    for e in inherited.chain(set.iter().map(OsString::from)) {
        let n = name(&e);
        env.retain(|x| name(x) != n);
        env.push_front(e);
    }
    env.retain(|x| !unset.iter().any(|u| name(x) == u.as_bytes()));
    env.into()
}

/// The -D file name with qemu's `%d` replaced by mimic's process id.
fn log_path(path: &std::path::Path) -> PathBuf {
    let name = path.to_string_lossy();
    if name.contains("%d") {
        PathBuf::from(name.replace("%d", &std::process::id().to_string()))
    } else {
        path.to_path_buf()
    }
}

/// Refuses a program the kernel would not execute for lack of permission (EACCES), with
/// mimic's one-line error; a missing or odd file is left to the loader's message.
fn check_executable(program: &std::path::Path) {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = std::ffi::CString::new(program.as_os_str().as_bytes()) else {
        return;
    };
    // SAFETY: `c` is a NUL-terminated path that outlives the call.
    let denied = unsafe { libc::access(c.as_ptr(), libc::X_OK) } != 0
        && std::io::Error::last_os_error().raw_os_error() == Some(libc::EACCES);
    if denied && program.is_file() {
        hypervisor_lite::diag!(
            "mimic: {}: permission denied (not executable)",
            program.display()
        );
        std::process::exit(1);
    }
}

/// Runs the guest; mimic ends as the guest does (its exit status, or its fatal signal).
/// `exec_fd` is the program binfmt_misc opened (its O flag), if it did.
fn run(a: RunArgs, exec_fd: Option<i32>) -> ! {
    let gdb = a.gdb.as_ref().map(|port| {
        let Ok(n) = port.parse::<u16>() else {
            usage_error(&format!("-g {port}: not a TCP port number (0 to 65535)"));
        };
        match hypervisor_lite::gdb::listen(n) {
            Ok(listener) => listener,
            Err(e) => {
                hypervisor_lite::diag!("mimic: -g {port}: cannot listen on 127.0.0.1:{n}: {e}");
                std::process::exit(1);
            }
        }
    });
    let engine = if a.interp {
        Mode::Interp
    } else if a.jit {
        Mode::Jit
    } else {
        Mode::Tiered
    };
    // As qemu's: -D alone sends --strace there; `-d strace` is --strace.
    let strace = a.strace || a.log.is_some_and(|f| f.strace);
    let log = match (a.log, &a.log_file) {
        (None, None) => None,
        (None, Some(_)) => a.log_file.as_ref().map(|_| LogFlags::default()),
        (flags, _) => flags,
    };
    let log = match (log, &a.log_file) {
        (None, _) => None,
        (Some(flags), None) => {
            let out: Arc<Mutex<dyn std::io::Write + Send>> =
                Arc::new(Mutex::new(hypervisor_lite::diag::Stderr));
            Some((flags, LogSink(out)))
        }
        // qemu's -D: `%d` in the name is the process id.
        (Some(flags), Some(path)) => match std::fs::File::create(log_path(path)) {
            Ok(f) => {
                // mimic's own descriptor, never the guest's (a snapshot leaves it out).
                hypervisor_lite::snapshot::bind::own(std::os::fd::AsRawFd::as_raw_fd(&f), true);
                let out: Arc<Mutex<dyn std::io::Write + Send>> =
                    // Line-buffered: mimic ends with exit(), which drops nothing.
                    Arc::new(Mutex::new(std::io::LineWriter::new(f)));
                Some((flags, LogSink(out)))
            }
            Err(e) => {
                hypervisor_lite::diag!("mimic: {}: {e}", log_path(path).display());
                std::process::exit(1);
            }
        },
    };
    let snapshot =
        snapshot_cli::plan(&a.snapshot, a.deterministic).unwrap_or_else(|e| usage_error(&e));
    let cfg = Config {
        engine,
        log,
        snapshot,
        deterministic: a.deterministic,
        stats: a.stats,
        exec_fd,
        ..config(a.guest, strace, a.command)
    };
    if exec_fd.is_none() {
        // With the program open, the kernel has already found it executable.
        check_executable(&cfg.program);
    }
    match Process::new(&cfg) {
        Ok(p) if a.inspect.is_some() => {
            let addr = a.inspect.unwrap_or_default();
            let control = Arc::new(hypervisor_lite::control::Control::new());
            let bound = tui::serve_inspect(&addr, a.inspect_any, &cfg.program, control.clone())
                .unwrap_or_else(|e| {
                    hypervisor_lite::diag!("mimic: --inspect {e}");
                    std::process::exit(1)
                });
            if matches!(bound, tui::remote::addr::Addr::Tcp(t) if addr.ends_with(":0") && t.port() != 0)
            {
                hypervisor_lite::diag!("mimic: inspect on {bound}");
            }
            let shared = p.shared();
            let status = p.run_hooked(control);
            if let tui::remote::addr::Addr::Unix(path) = &bound {
                let _ = std::fs::remove_file(path);
            }
            shared.exit_host(status)
        }
        Ok(p) => match gdb {
            Some(listener) => hypervisor_lite::gdb::serve(p, listener),
            None => p.run(),
        },
        Err(e) => {
            hypervisor_lite::diag!("mimic: {e}");
            std::process::exit(1)
        }
    }
}

fn tui(a: TuiArgs) -> i32 {
    if let Some(addr) = &a.attach {
        return tui::attach(addr);
    }
    let ui = tui::Options {
        paused: a.paused,
        breakpoints: a.breakpoints,
        stdin: a.stdin,
    };
    // No program: an empty path, which tui::run replaces with its embedded demo.
    // The syscall pane is the UI's strace; stderr is the guest's.
    let cfg = config(a.guest, false, a.command);
    if !cfg.program.as_os_str().is_empty() {
        check_executable(&cfg.program);
    }
    tui::run(cfg, ui)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(argv: &[&str]) -> Config {
        let cli = Cli::try_parse_from(std::iter::once("mimic").chain(argv.iter().copied()))
            .unwrap_or_else(|e| panic!("{argv:?}: {e}"));
        match cli.command {
            Command::Run(a) => config(a.guest, a.strace, a.command),
            Command::Tui(a) => config(a.guest, false, a.command),
            Command::Binfmt(_)
            | Command::Resume(_)
            | Command::SnapshotInfo(_)
            | Command::Serve(_)
            | Command::Migrate(_) => {
                panic!("not a guest")
            }
        }
    }

    /// What looks like mimic's options, `--` and an empty argument after the program.
    const GUEST_ARGS: [&str; 17] = [
        "-d",
        "x",
        "-E",
        "re",
        "-s",
        "1",
        "-0",
        "zero",
        "-L",
        "/",
        "--strace",
        "--help",
        "--version",
        "--",
        "-x",
        "",
        "-b",
    ];

    #[test]
    fn everything_after_the_program_is_the_guests() {
        for sub in ["run", "tui"] {
            let mut argv = vec![sub, "-s", "64k", "prog"];
            argv.extend(GUEST_ARGS);
            let cfg = parse(&argv);
            assert_eq!(cfg.program, PathBuf::from("prog"), "{sub}");
            assert_eq!(cfg.stack_size, 64 << 10, "{sub}");
            assert!(!cfg.strace, "{sub}");
            let mut want = vec!["prog"];
            want.extend(GUEST_ARGS);
            assert_eq!(cfg.args, want, "{sub}");
        }
    }

    #[test]
    fn a_double_dash_before_the_program_ends_mimics_options() {
        for sub in ["run", "tui"] {
            let cfg = parse(&[sub, "-0", "-a0", "--", "-prog", "--", ""]);
            assert_eq!(cfg.program, PathBuf::from("-prog"), "{sub}");
            assert_eq!(cfg.args, ["-a0", "--", ""], "{sub}");
        }
    }

    #[test]
    fn tui_without_a_program_runs_the_demo() {
        let cfg = parse(&["tui", "--paused"]);
        assert_eq!(cfg.program, PathBuf::new());
        assert_eq!(cfg.args, [""]);
    }

    #[test]
    fn run_needs_a_program() {
        assert!(Cli::try_parse_from(["mimic", "run", "--jit"]).is_err());
    }
}
