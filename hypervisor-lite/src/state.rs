//! The state leaf: what a guest process's threads share ([`Shared`]), what each thread
//! exposes to the others ([`ThreadCtl`]: pending signals and how to wake it), the options it
//! runs with ([`Config`]), the deterministic scheduler's queues ([`DetState`]), and the lock
//! helper. Every floor above reads it; it leans only on memory, signals and regions.

use crate::memory::{AddressSpace, GuestMem};
use crate::regions::{Regions, Startup};
use crate::signal::{Actions, Pending};
use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Once, OnceLock};
use translator::{LogFlags, Mode};

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
    /// The program already open, as binfmt_misc's O flag passes it (AT_EXECFD): the loader
    /// reads it from this descriptor, which the first `Process::new` takes and closes so the
    /// guest never sees it; `program` still names it.
    pub exec_fd: Option<i32>,
    /// `--snapshot-on` / `--snapshot-at`: when and where to snapshot the process.
    pub snapshot: Option<SnapshotPlan>,
}

/// When to take a snapshot of the running guest, where to write it, and its policy.
#[derive(Clone, Debug, Default)]
pub struct SnapshotPlan {
    pub file: PathBuf,
    /// The host signal that asks for it (0: none).
    pub signal: i32,
    /// Deterministic mode: at the first scheduling point at or after this many retired
    /// instructions.
    pub at: Option<u64>,
    /// The guest goes on after the snapshot (a checkpoint) instead of ending.
    pub keep_running: bool,
    /// Fixed resources become closed descriptors instead of refusing the snapshot.
    pub drop_fixed: bool,
    /// Regular files' contents go in the snapshot too.
    pub copy_files: bool,
    /// `--migrate-on`: the snapshot goes to `mimic serve` at this address, not to `file`.
    pub send_to: Option<String>,
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
            exec_fd: None,
            snapshot: None,
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
    /// The thread's signal mask as of its last look at `pending` (see
    /// [`ThreadCtl::looking`]): what a process-directed signal's choice of thread reads.
    pub blocked: AtomicU64,
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
            blocked: AtomicU64::new(0),
        })
    }

    /// Queues `sig` for this thread and interrupts its host system call if it is in one.
    pub fn raise(&self, sig: usize, info: crate::signal::SigInfo) {
        lock(&self.pending).queue(sig, info);
        // SeqCst pairs with `looking`: either the owner's look after it sees this signal,
        // or this sees the owner's look and wakes it.
        self.has_pending.store(true, Ordering::SeqCst);
        if !self.kicked.swap(true, Ordering::SeqCst) {
            crate::state::kick(self);
        }
    }

    /// Called by the thread itself, with its signal mask, right before it looks at `pending`
    /// and may then block: signals raised from here on wake it again.
    pub fn looking(&self, mask: u64) {
        self.blocked.store(mask, Ordering::SeqCst);
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
    pub det: Option<Mutex<DetState>>,
    /// The guest signal the process dies of, if it does (0 otherwise).
    pub fatal: AtomicI32,
    /// Under a front end (see [`Process::run_embedded`](crate::Process::run_embedded)): the
    /// process's status once it has ended, which every vCPU sees at its next step instead of
    /// the host process exiting.
    pub ended: OnceLock<i32>,
    /// The functions of the loaded program, its interpreter and the code files it maps,
    /// for `-d` logs; empty unless the engine logs.
    pub symbols: translator::SharedSymbols,
}

/// Locks `m`, ignoring poisoning: a panicking vCPU thread ends the process anyway.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    pub fn pid(&self) -> i32 {
        self.pid.load(Ordering::Relaxed)
    }

    /// The thread a signal sent to the whole process goes to, as Linux's choice: `first` (the
    /// sender, or the thread the host signal arrived on) if it does not block `sig`, else the
    /// main thread, else the lowest tid that does not. When every thread blocks it, it waits
    /// on the main thread (which Linux's process-wide pending set is closest to: the sender
    /// may be a thread about to exit), or on `first` once the main thread has exited.
    pub fn process_target(&self, sig: usize, first: i32) -> Option<Arc<ThreadCtl>> {
        let threads = lock(&self.threads);
        let wants =
            |c: &&Arc<ThreadCtl>| c.blocked.load(Ordering::SeqCst) & crate::signal::bit(sig) == 0;
        let main = self.pid();
        threads
            .get(&first)
            .filter(wants)
            .or_else(|| threads.get(&main).filter(wants))
            .or_else(|| threads.values().filter(wants).min_by_key(|c| c.tid))
            .or_else(|| threads.get(&main))
            .or_else(|| threads.get(&first))
            .or_else(|| threads.values().min_by_key(|c| c.tid))
            .cloned()
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
        self.log(
            |f| f.cost,
            || {
                let (kept, left) = translator::check_counts();
                format!(
                    "translation cost: {}; limit checks {kept} translated, {left} left out \
                     ({:.1}%, {} of them table lookups)\n",
                    translator::cost::totals(),
                    left as f64 * 100.0 / (kept + left).max(1) as f64,
                    translator::indexed_check_count()
                )
            },
        );
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
            crate::state::kick(t);
        }
    }

    /// Writes `text()` to the `-d` log if the item `on` picks from its flags is on.
    pub fn log(&self, on: fn(&LogFlags) -> bool, text: impl FnOnce() -> String) {
        if let Some((flags, sink)) = &self.cfg.log {
            if on(flags) {
                sink.write(&text());
            }
        }
    }

    /// Whether the engines log guest code (and so name it by symbols).
    pub fn logs_code(&self) -> bool {
        self.cfg.log.as_ref().is_some_and(|(f, _)| f.engine())
    }

    /// Writes an `--strace` line: to the `-D` log file if there is one (as qemu does),
    /// else to stderr.
    pub fn strace(&self, line: &str) {
        match &self.cfg.log {
            Some((_, sink)) => sink.write(&format!("{line}\n")),
            None => crate::diag!("{line}"),
        }
    }

    /// Whether `sig` is handled with SA_RESTART (an interrupted call restarts).
    pub fn restarts(&self, sig: usize) -> bool {
        lock(&self.actions).0[sig].flags & crate::signal::SA_RESTART != 0
    }
}

/// Where `-d` logging goes.
#[derive(Clone)]
pub struct LogSink(pub Arc<Mutex<dyn std::io::Write + Send>>);

impl LogSink {
    /// Writes `text` whole, so that lines of different threads do not interleave. Logging
    /// is best effort: a closed log must not stop the guest.
    pub fn write(&self, text: &str) {
        let mut out = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
    }
}

impl std::fmt::Debug for LogSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LogSink")
    }
}

/// A vCPU waiting on a futex word.
#[derive(Clone, Debug)]
pub struct Waiter {
    pub tid: i32,
    pub addr: u64,
    pub bitset: u32,
}

/// The scheduler's state the system calls see (through `Shared::det`).
pub struct DetState {
    pub next_tid: i32,
    /// Futex waiters in arrival order.
    pub futex: Vec<Waiter>,
    /// tids whose futex wait was woken, to be completed with 0.
    pub woken: Vec<i32>,
    /// Virtual time (ns) at the start of the current turn.
    pub vnow: u64,
    /// The running vCPU's retired instructions at the start of its turn: what it retired
    /// since is the virtual time that passed in the turn (see `syscall::vclock`).
    pub turn_instret: u64,
}

impl DetState {
    pub fn new(pid: i32) -> DetState {
        DetState {
            next_tid: pid + 1,
            futex: Vec::new(),
            woken: Vec::new(),
            vnow: 0,
            turn_instret: 0,
        }
    }

    /// Wakes up to `n` waiters on `addr` whose bitset meets `bitset`; returns how many.
    pub fn wake(&mut self, addr: u64, n: u64, bitset: u32) -> u64 {
        let mut woken = 0;
        let mut i = 0;
        while i < self.futex.len() && woken < n {
            if self.futex[i].addr == addr && self.futex[i].bitset & bitset != 0 {
                let w = self.futex.remove(i);
                self.woken.push(w.tid);
                woken += 1;
            } else {
                i += 1;
            }
        }
        woken
    }

    /// Moves up to `n` waiters from `from` to `to`; returns how many.
    pub fn requeue(&mut self, from: u64, to: u64, n: u64) -> u64 {
        let mut moved = 0;
        for w in self.futex.iter_mut() {
            if moved == n {
                break;
            }
            if w.addr == from {
                w.addr = to;
                moved += 1;
            }
        }
        moved
    }

    pub(crate) fn forget(&mut self, tid: i32) {
        self.futex.retain(|w| w.tid != tid);
        self.woken.retain(|&t| t != tid);
    }
}

/// `poll` structures for `(fd, events)` pairs.
pub(crate) fn pollfds(fds: &[(i32, i16)]) -> Vec<libc::pollfd> {
    fds.iter()
        .map(|&(fd, events)| libc::pollfd {
            fd,
            events,
            revents: 0,
        })
        .collect()
}

/// Whether any of `fds` is ready now (a poll that does not wait).
pub(crate) fn poll_ready(fds: &[(i32, i16)]) -> bool {
    let mut p = pollfds(fds);
    // SAFETY: `p` is a live array of p.len() pollfds.
    unsafe { libc::poll(p.as_mut_ptr(), p.len() as libc::nfds_t, 0) != 0 }
}

/// The host signal that interrupts a vCPU's blocking host call.
fn kick_signal() -> i32 {
    libc::SIGRTMIN() + 4
}

extern "C" fn on_kick(_: i32) {}

pub(crate) fn install_kick_handler() {
    static ONCE: Once = Once::new();
    // SAFETY: installs an empty handler for a signal only mimic sends; the sigaction is plain
    // data on this frame.
    ONCE.call_once(|| unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_kick as *const () as usize;
        sa.sa_flags = 0; // no SA_RESTART: the blocking call must return EINTR
        libc::sigemptyset(&mut sa.sa_mask);
        libc::sigaction(kick_signal(), &sa, std::ptr::null_mut());
    });
}

/// Interrupts the host system call `t`'s thread may be blocked in.
pub fn kick(t: &ThreadCtl) {
    let host = t.host_tid.load(Ordering::Acquire);
    if host != 0 && host != host_tid() {
        // SAFETY: tgkill takes integers; the target is a thread of this process.
        unsafe {
            libc::syscall(
                libc::SYS_tgkill,
                libc::getpid(),
                host,
                kick_signal() as libc::c_long,
            )
        };
    }
}

pub(crate) fn host_tid() -> i32 {
    // SAFETY: gettid has no preconditions.
    unsafe { libc::gettid() }
}
