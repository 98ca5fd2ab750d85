//! A guest process: what its threads share, and how its vCPUs are run.
//!
//! ```text
//!   Process::run ──┬─ parallel:      one host thread per vCPU (guest clone = thread::spawn)
//!                  └─ deterministic: every vCPU on this thread, round-robin by instruction
//!                                    budget, blocking calls parked as waits (sched.rs)
//!   Shared (Arc): address space + mapping lock, code generation, signal dispositions,
//!                 pid, options, live threads (tid → ThreadCtl), the reported-unsupported set
//!   Vcpu (owned by its thread): Cpu, tid, engine (its decoded blocks; the translated code
//!                               is the process's, shared by every vCPU), mask, altstack, …
//! ```
//!
//! File descriptors, the working directory and umask are the host process's own, so the
//! threads share them as CLONE_FILES/CLONE_FS require, and a fork duplicates them.

use crate::loader::{self, LoadError, StartInfo};
use crate::memory::{AddressSpace, GuestMem, PAGE};
use crate::regions::{Region, Regions, Startup};
use crate::sched;
use crate::signal::{Actions, Pending};
use crate::vcpu::{Hook, Vcpu};
use isa_a::format::{Nullary, I};
use isa_a::{Cpu, Insn, XReg};
use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use translator::{CodeCache, Engine, LogFlags, Mode};

/// How to start a guest.
#[derive(Clone, Debug)]
pub struct Config {
    pub program: PathBuf,
    /// argv, including argv[0].
    pub args: Vec<OsString>,
    /// The environment as `VAR=VALUE` strings.
    pub env: Vec<OsString>,
    pub sysroot: Option<PathBuf>,
    pub stack_size: u64,
    pub strace: bool,
    /// All vCPUs on one host thread, switched by instruction budget (see `sched`).
    pub deterministic: bool,
    /// Report the retired-instruction count on stderr at exit.
    pub stats: bool,
    /// Which tiers run guest code.
    pub engine: Mode,
    /// `-d in_asm,out_asm` logging of translated blocks, and where to.
    pub log: Option<(LogFlags, LogSink)>,
}

impl Default for Config {
    /// No program yet; no arguments or environment, no sysroot, an 8 MiB stack, the tiered
    /// engine, nothing logged.
    fn default() -> Config {
        Config {
            program: PathBuf::new(),
            args: Vec::new(),
            env: Vec::new(),
            sysroot: None,
            stack_size: 8 << 20,
            strace: false,
            deterministic: false,
            stats: false,
            engine: Mode::Tiered,
            log: None,
        }
    }
}

/// What one thread exposes to the others: its pending signals (tgkill) and the host thread
/// to interrupt when it is blocked in a host system call.
pub struct ThreadCtl {
    pub tid: i32,
    /// The host thread running this vCPU (0 until it runs, or in deterministic mode).
    pub host_tid: AtomicI32,
    pub pending: Mutex<Pending>,
    /// Whether `pending` may be non-empty: checked between slices without the lock.
    pub has_pending: AtomicBool,
    /// Whether the host thread has been interrupted since it last looked at `pending` (see
    /// [`ThreadCtl::looking`]): one wake-up is enough until then, however many signals
    /// arrive. Without it a thread flooding another with signals keeps its host thread
    /// busy taking wake-ups instead of running the guest.
    pub kicked: AtomicBool,
    /// Instructions this vCPU retired, published between slices (for `--stats`).
    pub instret: AtomicU64,
}

impl ThreadCtl {
    pub fn new(tid: i32) -> Arc<ThreadCtl> {
        Arc::new(ThreadCtl {
            tid,
            host_tid: AtomicI32::new(0),
            pending: Mutex::new(Pending::default()),
            has_pending: AtomicBool::new(false),
            kicked: AtomicBool::new(false),
            instret: AtomicU64::new(0),
        })
    }

    /// Queues `sig` for this thread and interrupts its host system call if it is in one.
    pub fn raise(&self, sig: usize, info: crate::signal::SigInfo) {
        lock(&self.pending).queue(sig, info);
        // SeqCst pairs with `looking`: either the owner's look after it sees this signal,
        // or this sees the owner's look and wakes it.
        self.has_pending.store(true, Ordering::SeqCst);
        if !self.kicked.swap(true, Ordering::SeqCst) {
            crate::thread::kick(self);
        }
    }

    /// Called by the thread itself right before it looks at `pending` and may then block:
    /// signals raised from here on wake it again.
    pub fn looking(&self) {
        self.kicked.store(false, Ordering::SeqCst);
    }
}

/// What the threads of a guest process share.
pub struct Shared {
    pub cfg: Config,
    /// The mapping lock: mmap, munmap, mprotect, brk and mremap hold it.
    pub space: Mutex<AddressSpace>,
    pub mem: GuestMem,
    /// The address space's code generation (see [`AddressSpace::code_gen`]).
    pub code_gen: Arc<AtomicU64>,
    /// What /proc/self/exe reads as.
    pub exe: PathBuf,
    /// What each mapping is, for /proc/self/maps.
    pub regions: Mutex<Regions>,
    /// The initial stack and auxv, as /proc/self/auxv and stat report them.
    pub startup: Startup,
    pub pid: AtomicI32,
    pub actions: Mutex<Actions>,
    /// Syscalls (and other things) already reported as unsupported.
    pub reported: Mutex<HashSet<u64>>,
    /// Live threads by tid.
    pub threads: Mutex<HashMap<i32, Arc<ThreadCtl>>>,
    /// Instructions retired by threads that have exited.
    pub retired: AtomicU64,
    /// Code that returns from a signal handler: `li a7,139 ; ecall`.
    pub sigreturn_tramp: u64,
    /// The deterministic scheduler's shared state (futex queues, new threads, virtual time).
    pub det: Option<Mutex<sched::DetState>>,
    /// The guest signal the process dies of, if it does (0 otherwise).
    pub fatal: AtomicI32,
    /// Under a front end (see [`Process::run_embedded`]): the process's status once it has
    /// ended, which every vCPU sees at its next step instead of the host process exiting.
    pub ended: OnceLock<i32>,
}

/// Locks `m`, ignoring poisoning: a panicking vCPU thread ends the process anyway.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    pub fn pid(&self) -> i32 {
        self.pid.load(Ordering::Relaxed)
    }

    pub fn space(&self) -> MutexGuard<'_, AddressSpace> {
        lock(&self.space)
    }

    pub fn deterministic(&self) -> bool {
        self.det.is_some()
    }

    /// Instructions retired by every thread so far.
    pub fn retired(&self) -> u64 {
        let live: u64 = lock(&self.threads)
            .values()
            .map(|t| t.instret.load(Ordering::Relaxed))
            .sum();
        self.retired.load(Ordering::Relaxed) + live
    }

    /// The `--stats` report, if asked for.
    pub fn report_stats(&self) {
        if self.cfg.stats {
            crate::diag!("mimic: stats: {} instructions retired", self.retired());
        }
    }

    /// Ends the host process with the guest's status: a guest killed by a signal kills mimic
    /// with the same signal (no core dump of mimic), as qemu-user does, so a parent sees
    /// WIFSIGNALED; otherwise `exit(status)`.
    pub fn exit_host(&self, status: i32) -> ! {
        self.report_stats();
        let sig = self.fatal.load(Ordering::Relaxed);
        if sig != 0 {
            // SAFETY: plain calls on this process's own limits, dispositions and mask, with
            // structures that live on this stack frame.
            unsafe {
                let none = libc::rlimit {
                    rlim_cur: 0,
                    rlim_max: 0,
                };
                libc::setrlimit(libc::RLIMIT_CORE, &none);
                libc::signal(sig, libc::SIG_DFL);
                let mut set: libc::sigset_t = std::mem::zeroed();
                libc::sigemptyset(&mut set);
                libc::sigaddset(&mut set, sig);
                libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
                libc::raise(sig);
            }
        }
        std::process::exit(status)
    }

    /// Ends the process without ending the host process (a front end runs it): records the
    /// status and wakes every thread so each sees it at its next step.
    pub fn finish(&self, status: i32) {
        let _ = self.ended.set(status);
        for t in lock(&self.threads).values() {
            crate::thread::kick(t);
        }
    }

    /// Whether `sig` is handled with SA_RESTART (an interrupted call restarts).
    pub fn restarts(&self, sig: usize) -> bool {
        lock(&self.actions).0[sig].flags & crate::signal::SA_RESTART != 0
    }
}

/// A loaded guest process, ready to run its first thread.
pub struct Process {
    first: Vcpu,
}

impl Process {
    /// Loads the program and prepares its first vCPU.
    pub fn new(cfg: &Config) -> Result<Process, LoadError> {
        let err = |reason: String| LoadError {
            file: cfg.program.clone(),
            reason,
        };
        let mut space =
            AddressSpace::new().map_err(|e| err(format!("cannot reserve guest memory: {e}")))?;
        let bytes = |s: &OsString| s.as_encoded_bytes().to_vec();
        let start = StartInfo {
            args: cfg.args.iter().map(bytes).collect(),
            env: cfg.env.iter().map(bytes).collect(),
            execfn: cfg.program.as_os_str().as_encoded_bytes().to_vec(),
            stack_size: cfg.stack_size,
            sysroot: cfg.sysroot.clone(),
        };
        let loaded = loader::load(&mut space, &cfg.program, &start)?;
        let tramp = space
            .find_free(PAGE, PAGE)
            .ok_or_else(|| err("no room for the signal trampoline".into()))?;
        space
            .map_fixed(tramp, PAGE, (libc::PROT_READ | libc::PROT_EXEC) as u32)
            .map_err(|e| err(e.to_string()))?;
        let code = [
            Insn::Addi(I {
                rd: XReg::new(17),
                rs1: XReg::new(0),
                imm: 139,
            })
            .encode(),
            Insn::Ecall(Nullary {}).encode(),
        ];
        let code: Vec<u8> = code.iter().flat_map(|w| w.to_le_bytes()).collect();
        space.write_raw(tramp, &code);
        let mut regions = Regions::default();
        for r in loaded
            .regions
            .into_iter()
            .chain([Region::anon(tramp, tramp + PAGE)])
        {
            regions.insert(r);
        }

        let mut cpu = Cpu::new(loaded.pc);
        cpu.x[2] = loaded.sp;
        let pid = std::process::id() as i32;
        let exe = std::fs::canonicalize(&cfg.program).unwrap_or_else(|_| cfg.program.clone());
        let ctl = ThreadCtl::new(pid);
        let startup = crate::syscall::procfs::startup(&space.handle(), loaded.sp);
        let shared = Arc::new(Shared {
            cfg: cfg.clone(),
            mem: space.handle(),
            code_gen: space.code_gen.clone(),
            space: Mutex::new(space),
            exe,
            regions: Mutex::new(regions),
            startup,
            pid: AtomicI32::new(pid),
            actions: Mutex::new(Actions::default()),
            reported: Mutex::new(HashSet::new()),
            threads: Mutex::new(HashMap::from([(pid, ctl.clone())])),
            retired: AtomicU64::new(0),
            sigreturn_tramp: tramp,
            det: cfg
                .deterministic
                .then(|| Mutex::new(sched::DetState::new(pid))),
            fatal: AtomicI32::new(0),
            ended: OnceLock::new(),
        });
        let first = Vcpu::new(shared, ctl, cpu, None)
            .map_err(|e| err(format!("cannot reserve code space: {e}")))?;
        Ok(Process { first })
    }

    /// Runs the guest to its end and ends the host process with the guest's exit status,
    /// or the signal that killed it.
    pub fn run(self) -> ! {
        let shared = self.first.shared.clone();
        let status = if shared.deterministic() {
            sched::run(self.first)
        } else {
            crate::thread::run_main(self.first)
        };
        shared.exit_host(status)
    }

    /// Runs the guest under a front end's [`Hook`] on the calling thread and returns its
    /// status when it ends; the host process goes on (the front end still shows the guest).
    pub fn run_embedded(mut self, control: Arc<dyn Hook>) -> i32 {
        let shared = self.first.shared.clone();
        self.first.control = Some(control);
        let status = crate::thread::run_main(self.first);
        shared.finish(status);
        shared.report_stats();
        status
    }
}

/// A new execution engine for a vCPU of this process, as the options ask: sharing `cache`
/// (the code cache of the process's other vCPUs), or with a code cache of its own for the
/// first vCPU of a process.
pub fn engine(shared: &Shared, cache: Option<Arc<Mutex<CodeCache>>>) -> std::io::Result<Engine> {
    let mut engine = match cache {
        Some(c) => Engine::with_cache(shared.cfg.engine, c),
        None => Engine::new(shared.cfg.engine, shared.space().layout())?,
    };
    if let Some((flags, out)) = &shared.cfg.log {
        engine.set_log(*flags, Box::new(SharedWriter(out.0.clone())));
    }
    Ok(engine)
}

/// Where `-d` logging goes.
#[derive(Clone)]
pub struct LogSink(pub Arc<Mutex<dyn std::io::Write + Send>>);

impl std::fmt::Debug for LogSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LogSink")
    }
}

/// A log destination shared with whoever configured it.
struct SharedWriter(Arc<Mutex<dyn std::io::Write + Send>>);

impl std::io::Write for SharedWriter {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).write(b)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).flush()
    }
}
