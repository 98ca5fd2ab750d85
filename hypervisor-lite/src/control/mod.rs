//! [`Control`]: how a front end (the terminal UI) watches and steers running vCPUs.
//!
//! ```text
//!   UI thread ── pause / run / step / breakpoints / memory views ──▶ Control
//!       ▲                                                        (atomics + one mutex)
//!       └──── snapshots, counters, syscall log, guest output ◀──── hooks on vCPU threads:
//!                                                                 slice(), syscall()
//! ```
//!
//! A vCPU thread calls two hooks from its run loop, and nothing else changes: [`Control::slice`]
//! wraps the engine call (it waits while paused, chooses how many instructions may run, and
//! single-steps near breakpoints so a breakpoint stops exactly at its address), and
//! [`Control::syscall`] wraps the system call dispatch (logging it, and stopping before it for
//! "run to next syscall"). All guest memory the UI shows is copied by the vCPU thread itself
//! ([`Control::set_views`]), so the UI never reads guest pages that the guest may be unmapping.
//!
//! For a debugger: [`Control::stop_at_fatal`] stops every vCPU at a signal that would end the
//! process, before it does (post-mortem; running on delivers it). [`Step::Over`] and
//! [`Control::run_to`] run the guest until one vCPU reaches a return address with its stack
//! back where it was (step over a call, finish a function): a breakpoint for that vCPU alone.
//! [`Control::write_memory`] has a parked vCPU do the front end's stores; [`Control::checkpoint`]
//! has every vCPU leave its stop for a snapshot and come back to it. When the last vCPU
//! exits, its address space is kept, so the views still show the last state.
//!
//! Without a front end, `Vcpu::control` is `None` and the run loop is unchanged. The vCPU floor
//! reaches a front end only through its `vcpu::Hook` trait, which `Control` implements.
//!
//! ```
//! use hypervisor_lite::control::{Control, Step};
//! use isa_a::{BlockCache, Cpu, FlatMemory, Trap};
//! use std::sync::Arc;
//!
//! // li a0,1 ; addi a0,a0,1 ; addi a0,a0,1 ; ecall
//! let mut mem = FlatMemory::new(0x1000, 0x1000);
//! mem.write_bytes(0x1000, &[0x13, 5, 0x10, 0, 0x13, 5, 0x15, 0, 0x13, 5, 0x15, 0, 0x73, 0, 0, 0]);
//! let control = Arc::new(Control::new());
//! control.add_breakpoint(0x1008);
//! let vcpu = {
//!     let control = control.clone();
//!     std::thread::spawn(move || {
//!         let (mut cpu, mut cache) = (Cpu::new(0x1000), BlockCache::new());
//!         loop {
//!             if let Some(trap) = control.slice(1, &mut cpu, &mut mem, &mut cache) {
//!                 return (trap, cpu);
//!             }
//!         }
//!     })
//! };
//! let stopped = |n| loop {
//!     let s = control.snapshot();
//!     if s.paused && s.stops == n {
//!         return s.vcpus[0].cpu.clone();
//!     }
//!     std::thread::yield_now();
//! };
//! // The breakpoint is in the middle of the block: the guest stops exactly there.
//! let cpu = stopped(1);
//! assert_eq!((cpu.pc, cpu.x[10]), (0x1008, 2));
//! control.step(None, Step::Insn);
//! let cpu = stopped(2);
//! assert_eq!((cpu.pc, cpu.x[10]), (0x100c, 3));
//! control.resume();
//! let (trap, cpu) = vcpu.join().unwrap();
//! assert_eq!((trap, cpu.pc), (Trap::Ecall, 0x100c));
//! ```

use crate::memory::GuestMem;
use crate::signal;
use crate::syscall::{self, Outcome, Ret};
use crate::thread::BUDGET;
use crate::vcpu::{Hook, Offer, Vcpu};
use isa_a::block::MAX_BLOCK_INSNS;
use isa_a::{Bus, Cpu, Flow, Trap};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

mod engine;
mod watch;

pub use engine::{BlockInfo, Engine, EngineInfo, Tiers};
use watch::step_watched;
pub use watch::{WatchKind, Watchpoint};

/// The most bytes one block can cover: breakpoints closer than this to pc are single-stepped.
const BLOCK_REACH: u64 = 4 * MAX_BLOCK_INSNS as u64;
/// How often a running vCPU publishes its registers and the memory views.
const PUBLISH_EVERY: Duration = Duration::from_millis(40);
/// Lines kept in the syscall log and in the guest output.
const LOG_LINES: usize = 2000;
/// How long [`Control::checkpoint`] waits for the snapshot to be written.
pub const CHECKPOINT_WAIT: Duration = Duration::from_millis(2500);

/// A step request: what runs before the guest stops again.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// One instruction.
    Insn,
    /// One block (the block starting at pc, run as the engine runs it).
    Block,
    /// Up to the next system call, stopping before it is performed.
    Syscall,
    /// One instruction, or, at a call (`jal`/`jalr` linking `ra` or `t0`), until the call
    /// returns to the next instruction on the same thread, with the other vCPUs running.
    Over,
}

/// A temporary stop of one vCPU: at `addr` with `sp` at or above `min_sp` (so a recursive
/// call's pass through the same address does not count).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Until {
    tid: i32,
    addr: u64,
    min_sp: u64,
    reason: String,
}

/// Why the guest last stopped, for a front end that reports it (the gdb stub).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum Why {
    /// The front end paused it.
    #[default]
    Paused,
    /// This vCPU reached a breakpoint.
    Breakpoint(i32),
    /// This vCPU finished a step.
    Stepped(i32),
    /// This vCPU's last instruction accessed the watched `addr` (a write or a read).
    Watch {
        tid: i32,
        addr: u64,
        kind: WatchKind,
    },
    /// This vCPU is about to get signal `sig` (see [`Control::stop_at_signals`]).
    Signal { tid: i32, sig: i32 },
    /// This vCPU is about to get signal `sig`, which ends the process (see
    /// [`Control::stop_at_fatal`]): running on delivers it.
    Fatal { tid: i32, sig: i32 },
}

/// Where a vCPU is, in the layers' terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VcpuState {
    /// Running guest code in the engine.
    Guest,
    /// Performing a system call (its name).
    Syscall(&'static str),
    /// Blocked in a system call that waits (sleep, futex, poll).
    Waiting(&'static str),
    /// Stopped by the front end.
    Paused,
    /// Gone, with its exit status.
    Exited(i32),
}

impl VcpuState {
    /// The layer of the picture the vCPU is in.
    pub fn layer(&self) -> &'static str {
        match self {
            VcpuState::Guest => "implementation: interpreter running guest code",
            VcpuState::Syscall(_) => "hypervisor: Linux ABI (system call)",
            VcpuState::Waiting(_) => "hardware B: host kernel (blocked)",
            VcpuState::Paused => "stopped (interface A state frozen)",
            VcpuState::Exited(_) => "exited",
        }
    }
}

/// One vCPU as last published.
#[derive(Clone, Debug)]
pub struct VcpuSnapshot {
    /// The guest thread id.
    pub tid: i32,
    /// The host thread running it.
    pub host_tid: i32,
    pub cpu: Cpu,
    pub state: VcpuState,
    /// Host CPU time of its thread.
    pub cpu_time: Duration,
    /// What each tier of its engine has run, if the engine has tiers.
    pub tiers: Option<Tiers>,
}

/// Which of the guest's output streams a line came from.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// Everything the front end shows, copied out under the lock.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    pub paused: bool,
    /// Counts the stops so far: a new value means a new stop.
    pub stops: u64,
    /// Why the guest last stopped.
    pub reason: String,
    pub vcpus: Vec<VcpuSnapshot>,
    pub breakpoints: Vec<u64>,
    pub syscalls: u64,
    pub engine: EngineInfo,
    pub syscall_log: Vec<String>,
    pub output: Vec<(Stream, String)>,
    /// The bytes of each view asked for with [`Control::set_views`] (None: unreadable).
    pub views: Vec<(u64, Vec<Option<u8>>)>,
    /// The host code of the block asked for with [`Control::set_host_view`], if translated.
    pub host_asm: Option<(u64, Vec<String>)>,
    /// The vCPU that hit the breakpoint of the last stop, if a breakpoint made it.
    pub stopped_by: Option<i32>,
    pub why: Why,
    pub watchpoints: Vec<Watchpoint>,
}

struct Shared {
    paused: bool,
    stops: u64,
    reason: String,
    /// A step granted to one vCPU (or any, when None) while the others stay paused.
    step: Option<(Option<i32>, Step)>,
    breakpoints: BTreeSet<u64>,
    /// A vCPU resuming at a breakpoint runs that instruction before breakpoints count again.
    resume_at: BTreeMap<i32, u64>,
    vcpus: BTreeMap<i32, VcpuSnapshot>,
    engine: EngineInfo,
    syscall_log: VecDeque<String>,
    output: VecDeque<(Stream, String)>,
    /// Set when the last output line of a stream has no newline yet.
    open_line: [bool; 2],
    views: Vec<(u64, u64)>,
    view_data: Vec<(u64, Vec<Option<u8>>)>,
    host_view: Option<u64>,
    host_asm: Option<(u64, Vec<String>)>,
    /// The vCPU whose breakpoint made the last stop.
    stopped_by: Option<i32>,
    why: Why,
    /// While any is set, every vCPU single-steps with the reference interpreter and its
    /// loads and stores are checked against them: the engines need no support of their own.
    watchpoints: Vec<Watchpoint>,
    /// Registers the front end set on a paused vCPU, which it takes when it runs again.
    edits: BTreeMap<i32, Cpu>,
    /// Whether a guest signal stops the guest before delivery.
    stop_at_signals: bool,
    /// Whether a signal that ends the process stops the guest first (post-mortem).
    stop_at_fatal: bool,
    /// A step over a call or a finish in progress.
    until: Option<Until>,
    /// The address space of a process whose every vCPU has exited: what the views are
    /// copied from after the end.
    remains: Option<GuestMem>,
    /// Writes to guest memory the front end asked for, which a parked vCPU performs.
    pokes: Vec<(u64, Vec<u8>)>,
    /// How the last of them went.
    poked: Option<Result<(), String>>,
    /// When set, only these vCPUs run; the others stay parked ([`Control::resume_only`]).
    only: Option<BTreeSet<i32>>,
    /// The signal each vCPU stopped at a signal gets when it runs again (none: suppressed).
    deliver: BTreeMap<i32, Option<i32>>,
    /// vCPUs that left a stop at this signal for a snapshot: offered it again, they stop
    /// again without counting a new stop.
    resnapped: BTreeMap<i32, i32>,
    last_publish: Instant,
}

/// The shared state between the vCPU threads and a front end. Share it as an `Arc`.
pub struct Control {
    shared: Mutex<Shared>,
    wake: Condvar,
    /// Set when a vCPU must look at the shared state before running a full budget: paused,
    /// a step pending, breakpoints set, views to refresh.
    attention: AtomicBool,
    syscalls: AtomicU64,
}

impl Default for Control {
    fn default() -> Control {
        Control::new()
    }
}

impl Control {
    /// A control that lets the guest run.
    pub fn new() -> Control {
        Control {
            shared: Mutex::new(Shared {
                paused: false,
                stops: 0,
                reason: String::new(),
                step: None,
                breakpoints: BTreeSet::new(),
                resume_at: BTreeMap::new(),
                vcpus: BTreeMap::new(),
                engine: EngineInfo::default(),
                syscall_log: VecDeque::new(),
                output: VecDeque::new(),
                open_line: [false; 2],
                views: Vec::new(),
                view_data: Vec::new(),
                host_view: None,
                host_asm: None,
                stopped_by: None,
                why: Why::Paused,
                watchpoints: Vec::new(),
                edits: BTreeMap::new(),
                stop_at_signals: false,
                stop_at_fatal: false,
                until: None,
                remains: None,
                pokes: Vec::new(),
                poked: None,
                only: None,
                deliver: BTreeMap::new(),
                resnapped: BTreeMap::new(),
                last_publish: Instant::now(),
            }),
            wake: Condvar::new(),
            attention: AtomicBool::new(false),
            syscalls: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Shared> {
        // A panicking vCPU thread must not take the UI down with it.
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn update_attention(&self, s: &Shared) {
        let a = s.paused
            || s.only.is_some()
            || s.step.is_some()
            || s.until.is_some()
            || !s.breakpoints.is_empty()
            || !s.watchpoints.is_empty();
        self.attention.store(a, Ordering::Release);
    }

    // ---- the front end's side -------------------------------------------------------------

    /// Everything to show, as of now.
    pub fn snapshot(&self) -> Snapshot {
        let s = self.lock();
        Snapshot {
            paused: s.paused && s.step.is_none(),
            stops: s.stops,
            reason: s.reason.clone(),
            vcpus: s.vcpus.values().cloned().collect(),
            breakpoints: s.breakpoints.iter().copied().collect(),
            syscalls: self.syscalls.load(Ordering::Relaxed),
            engine: s.engine.clone(),
            syscall_log: s.syscall_log.iter().cloned().collect(),
            output: s.output.iter().cloned().collect(),
            views: s.view_data.clone(),
            host_asm: s.host_asm.clone(),
            stopped_by: s.stopped_by,
            why: s.why,
            watchpoints: s.watchpoints.clone(),
        }
    }

    /// The stop count and its reason once the guest is stopped and the vCPU the stop is
    /// about is parked with its registers published (for a pause: once any vCPU is, or all
    /// wait in blocking calls).
    pub fn stopped(&self) -> Option<(u64, Why)> {
        let s = self.lock();
        if !s.paused || s.step.is_some() {
            return None;
        }
        let parked = |v: &VcpuSnapshot| v.state == VcpuState::Paused;
        let ready = match s.why {
            // Threads blocked in a system call do not reach a slice boundary: when all are,
            // the pause holds as it is (each shows its registers at its ecall).
            Why::Paused => {
                let mut live = s
                    .vcpus
                    .values()
                    .filter(|v| !matches!(v.state, VcpuState::Exited(_)));
                s.vcpus.values().any(parked)
                    || live.clone().next().is_some()
                        && live.all(|v| matches!(v.state, VcpuState::Waiting(_)))
            }
            Why::Breakpoint(tid)
            | Why::Stepped(tid)
            | Why::Watch { tid, .. }
            | Why::Signal { tid, .. }
            | Why::Fatal { tid, .. } => s.vcpus.get(&tid).is_some_and(parked),
        };
        ready.then_some((s.stops, s.why))
    }

    /// The vCPUs that have not exited, and whether each is parked by a stop.
    pub fn live(&self) -> Vec<(i32, bool)> {
        let s = self.lock();
        let live = s.vcpus.values();
        live.filter(|v| !matches!(v.state, VcpuState::Exited(_)))
            .map(|v| (v.tid, v.state == VcpuState::Paused))
            .collect()
    }

    /// The registers vCPU `tid` last published.
    pub fn cpu(&self, tid: i32) -> Option<Cpu> {
        self.lock().vcpus.get(&tid).map(|v| v.cpu.clone())
    }

    /// Removes every breakpoint and watchpoint and lets the guest run without stopping at
    /// signals, fatal ones included, and without a pending finish (a debugger detached).
    pub fn release(&self) {
        let mut s = self.lock();
        s.breakpoints.clear();
        s.watchpoints.clear();
        s.stop_at_signals = false;
        s.stop_at_fatal = false;
        s.until = None;
        s.paused = false;
        s.step = None;
        self.update_attention(&s);
        self.wake.notify_all();
    }

    /// Asks the vCPUs to publish the host code of the translated block at `pc`.
    pub fn set_host_view(&self, pc: Option<u64>) {
        let mut s = self.lock();
        if s.host_view != pc {
            s.host_view = pc;
            self.wake.notify_all();
        }
    }

    /// Stops every vCPU at its next slice boundary.
    pub fn pause(&self) {
        let mut s = self.lock();
        if !s.paused {
            stop(&mut s, "paused".into());
        }
        self.update_attention(&s);
    }

    /// Lets every vCPU run.
    pub fn resume(&self) {
        self.resume_only(None);
    }

    /// Lets the vCPUs in `only` run (all of them for None) while the others stay parked
    /// until the next stop (a debugger's scheduler locking).
    pub fn resume_only(&self, only: Option<BTreeSet<i32>>) {
        let mut s = self.lock();
        s.paused = false;
        s.only = only;
        s.step = None;
        self.update_attention(&s);
        self.wake.notify_all();
    }

    /// Runs `vcpu` (or whichever runs first, for None) by one step, then stops again.
    pub fn step(&self, vcpu: Option<i32>, step: Step) {
        let mut s = self.lock();
        s.paused = true;
        s.step = Some((vcpu, step));
        self.update_attention(&s);
        self.wake.notify_all();
    }

    pub fn add_breakpoint(&self, addr: u64) {
        let mut s = self.lock();
        s.breakpoints.insert(addr);
        self.update_attention(&s);
    }

    /// Sets a breakpoint at `addr`, or removes the one there. Returns whether one is set now.
    pub fn toggle_breakpoint(&self, addr: u64) -> bool {
        let mut s = self.lock();
        let set = !s.breakpoints.remove(&addr);
        if set {
            s.breakpoints.insert(addr);
        }
        self.update_attention(&s);
        set
    }

    pub fn remove_breakpoint(&self, addr: u64) {
        let mut s = self.lock();
        s.breakpoints.remove(&addr);
        self.update_attention(&s);
    }

    pub fn add_watchpoint(&self, w: Watchpoint) {
        let mut s = self.lock();
        s.watchpoints.push(w);
        self.update_attention(&s);
    }

    /// Removes a watchpoint set with [`Control::add_watchpoint`]; whether there was one.
    pub fn remove_watchpoint(&self, w: Watchpoint) -> bool {
        let mut s = self.lock();
        let found = s.watchpoints.iter().position(|x| *x == w);
        if let Some(i) = found {
            s.watchpoints.remove(i);
        }
        self.update_attention(&s);
        found.is_some()
    }

    /// Sets the registers of paused vCPU `tid`: the snapshot shows them at once, the vCPU
    /// takes them before it runs again. False if there is no such vCPU.
    pub fn set_cpu(&self, tid: i32, cpu: Cpu) -> bool {
        let mut s = self.lock();
        match s.vcpus.get_mut(&tid) {
            Some(v) if !matches!(v.state, VcpuState::Exited(_)) => {
                v.cpu = cpu.clone();
                s.edits.insert(tid, cpu);
                true
            }
            _ => false,
        }
    }

    /// Lets every vCPU run until vCPU `tid` reaches `addr` with its sp at or above `min_sp`
    /// (finishing a function: its return address and the caller's sp), or until any other
    /// stop comes first. `reason` is the stop's.
    pub fn run_to(&self, tid: i32, addr: u64, min_sp: u64, reason: String) {
        let mut s = self.lock();
        s.paused = false;
        s.only = None;
        s.step = None;
        s.until = Some(Until {
            tid,
            addr,
            min_sp,
            reason,
        });
        self.update_attention(&s);
        self.wake.notify_all();
    }

    /// Makes a signal that would end the process stop the guest first ([`Why::Fatal`]), every
    /// vCPU with it: the front end shows the faulting state, and running on delivers it.
    pub fn stop_at_fatal(&self, on: bool) {
        self.lock().stop_at_fatal = on;
    }

    /// Makes every guest signal stop the guest before it is delivered ([`Why::Signal`]).
    pub fn stop_at_signals(&self, on: bool) {
        self.lock().stop_at_signals = on;
    }

    /// The signal vCPU `tid`, stopped at a signal, gets when it runs on: `None` suppresses
    /// it, another number replaces it. Without this call it gets none.
    pub fn deliver(&self, tid: i32, sig: Option<i32>) {
        self.lock().deliver.insert(tid, sig);
    }

    /// Writes `bytes` to guest memory at `addr`, through the guest's own permissions (a
    /// read-only page, code included, is refused), while the guest is stopped or after it
    /// ended. A parked vCPU performs it (the front end never touches live guest memory) and
    /// copies the views again.
    pub fn write_memory(&self, addr: u64, bytes: &[u8]) -> Result<(), String> {
        let mut s = self.lock();
        if let Some(mut mem) = s.remains.clone() {
            poke(&mut mem, addr, bytes)?;
            s.view_data = copy_views(&s.views, &mut mem);
            return Ok(());
        }
        if !s.paused || s.step.is_some() || !s.vcpus.values().any(|v| v.state == VcpuState::Paused)
        {
            return Err("the guest must be stopped first".into());
        }
        s.poked = None;
        s.pokes.push((addr, bytes.to_vec()));
        self.wake.notify_all();
        let (mut s, _) = self
            .wake
            .wait_timeout_while(s, Duration::from_secs(2), |st| st.poked.is_none())
            .unwrap_or_else(|e| e.into_inner());
        s.pokes.clear();
        s.poked
            .take()
            .unwrap_or_else(|| Err("no stopped vCPU took the write".into()))
    }

    /// Writes a snapshot of the guest to `file` (see the snapshot module) and lets it go on as
    /// it was, running or stopped: every vCPU leaves its slice or its stop for the snapshot
    /// and comes back. Returns the line saying what was written, or why nothing was; a
    /// snapshot still being written after [`CHECKPOINT_WAIT`] reports on stderr instead.
    pub fn checkpoint(&self, file: &std::path::Path) -> Result<String, String> {
        let rx = {
            let s = self.lock();
            let live = s
                .vcpus
                .values()
                .any(|v| !matches!(v.state, VcpuState::Exited(_)));
            if s.remains.is_some() || !live {
                return Err("the guest has exited: nothing to snapshot".into());
            }
            let rx = crate::snapshot::checkpoint(file.to_path_buf())?;
            // Under the lock: a vCPU about to wait sees the request or gets this wake-up.
            self.wake.notify_all();
            rx
        };
        match rx.recv_timeout(CHECKPOINT_WAIT) {
            Ok(r) => r,
            Err(_) => Ok(format!(
                "the snapshot to {} is still being written; mimic says on stderr when it is",
                file.display()
            )),
        }
    }

    /// Guest memory ranges the vCPUs copy out when they publish (disassembly, memory, stack).
    pub fn set_views(&self, views: Vec<(u64, u64)>) {
        let mut s = self.lock();
        if s.views != views {
            s.views = views;
            // After the end no vCPU copies them: the front end's thread does.
            if let Some(mut mem) = s.remains.clone() {
                s.view_data = copy_views(&s.views, &mut mem);
            }
            // A paused vCPU wakes to copy them.
            self.wake.notify_all();
        }
    }

    /// Appends guest output read from its stdout or stderr.
    pub fn push_output(&self, stream: Stream, bytes: &[u8]) {
        let mut s = self.lock();
        let text = String::from_utf8_lossy(bytes);
        let i = stream as usize;
        for (n, piece) in text.split('\n').enumerate() {
            let joined = n == 0 && s.open_line[i];
            let last = s.output.iter_mut().rev().find(|(st, _)| *st == stream);
            match (joined, last) {
                (true, Some((_, line))) => line.push_str(piece),
                _ => push_line(&mut s.output, (stream, piece.to_string())),
            }
        }
        // The piece after the last newline is an open line (empty when the text ended in one).
        if text.ends_with('\n') {
            let empty = s
                .output
                .iter()
                .rposition(|(st, l)| *st == stream && l.is_empty());
            if let Some(at) = empty {
                s.output.remove(at);
            }
            s.open_line[i] = false;
        } else {
            s.open_line[i] = true;
        }
    }

    /// Records that a vCPU's run ended with `status`. When it was the last, the views are
    /// copied once more and `mem` is kept, so the last state stays inspectable.
    pub fn exited(&self, tid: i32, cpu: &Cpu, mem: &GuestMem, status: i32) {
        let mut s = self.lock();
        let v = vcpu_entry(&mut s, tid, cpu);
        v.cpu = cpu.clone();
        v.state = VcpuState::Exited(status);
        v.cpu_time = thread_cpu_time();
        if s.vcpus
            .values()
            .all(|v| matches!(v.state, VcpuState::Exited(_)))
        {
            s.reason = match status {
                129..=159 => format!(
                    "killed by {} (status {status})",
                    signal::name(status as usize - 128)
                ),
                _ => format!("exited with status {status}"),
            };
            let mut mem = mem.clone();
            s.view_data = copy_views(&s.views, &mut mem);
            s.remains = Some(mem);
        }
    }

    // ---- the vCPU's side: the run loop's hooks --------------------------------------------

    /// Runs the engine for one slice, as the front end allows: waits while paused, stops at
    /// breakpoints exactly, carries out step requests. Returns what the engine returned.
    pub fn slice<M: Bus + ?Sized, E: Engine<M>>(
        &self,
        tid: i32,
        cpu: &mut Cpu,
        bus: &mut M,
        engine: &mut E,
    ) -> Option<Trap> {
        if !self.attention.load(Ordering::Acquire) {
            self.maybe_publish(tid, cpu, bus, engine);
            return engine.run(cpu, bus, BUDGET);
        }
        let (plan, step) = self.plan(tid, cpu, bus, engine);
        let mut hit = None;
        let trap = match plan {
            Plan::Leave => return None,
            Plan::Run(budget) => engine.run(cpu, bus, budget),
            Plan::Step => step_one(cpu, bus, engine),
            Plan::Watch(watchpoints) => {
                let (trap, watched) = step_watched(cpu, bus, engine, &watchpoints);
                hit = watched;
                trap
            }
        };
        let mut s = self.lock();
        s.resume_at.remove(&tid);
        match step {
            Some(Step::Insn) => stop(&mut s, "stepped one instruction".into()),
            Some(Step::Block) => stop(&mut s, "stepped one block".into()),
            // An Over step became an Insn step or a run to the return in `plan`.
            Some(Step::Syscall | Step::Over) | None => {}
        }
        if step == Some(Step::Insn) {
            s.why = Why::Stepped(tid);
        }
        // A faulting access did not happen: the fault is reported instead.
        if let (Some((addr, kind)), None) = (hit, trap) {
            stop(&mut s, format!("watchpoint at 0x{addr:x}"));
            s.why = Why::Watch { tid, addr, kind };
        }
        // A step onto an ecall ends after the syscall, which publishes when it stops.
        if step.is_some() && trap != Some(Trap::Ecall) {
            publish(&mut s, tid, cpu, bus, engine, VcpuState::Paused);
        }
        self.update_attention(&s);
        drop(s);
        self.maybe_publish(tid, cpu, bus, engine);
        trap
    }

    /// Waits while this vCPU may not run, then says how it may.
    fn plan<M: Bus + ?Sized, E: Engine<M>>(
        &self,
        tid: i32,
        cpu: &mut Cpu,
        bus: &mut M,
        engine: &E,
    ) -> (Plan, Option<Step>) {
        let mut s = self.lock();
        loop {
            if let Some(edited) = s.edits.remove(&tid) {
                *cpu = edited;
            }
            if crate::hostsig::snapshot_asked() {
                return (Plan::Leave, None);
            }
            let step = step_for(&s, tid);
            if held(&s, tid) && step.is_none() {
                s = self.wait_paused(s, tid, cpu, bus, engine);
                continue;
            }
            if step == Some(Step::Over) {
                // A call runs to its return; anything else is one instruction.
                s.step = match call_return(cpu, bus) {
                    Some(ret) => {
                        s.paused = false;
                        s.until = Some(Until {
                            tid,
                            addr: ret,
                            min_sp: cpu.x[2],
                            reason: format!("stepped over the call at 0x{:x}", cpu.pc),
                        });
                        None
                    }
                    None => Some((Some(tid), Step::Insn)),
                };
                self.update_attention(&s);
                self.wake.notify_all();
                continue;
            }
            let until = s.until.as_ref().filter(|u| u.tid == tid && step.is_none());
            if let Some(u) = until.filter(|u| u.addr == cpu.pc && cpu.x[2] >= u.min_sp) {
                let reason = u.reason.clone();
                stop(&mut s, reason);
                s.stopped_by = Some(tid);
                s.why = Why::Stepped(tid);
                continue;
            }
            let until_near = until
                .is_some_and(|u| u.addr >= cpu.pc && u.addr < cpu.pc.saturating_add(BLOCK_REACH));
            let skip = s.resume_at.get(&tid) == Some(&cpu.pc);
            if !skip && s.breakpoints.contains(&cpu.pc) && step != Some(Step::Insn) {
                stop(&mut s, format!("breakpoint at 0x{:x}", cpu.pc));
                s.stopped_by = Some(tid);
                s.why = Why::Breakpoint(tid);
                continue;
            }
            let near = s
                .breakpoints
                .range(cpu.pc..cpu.pc.saturating_add(BLOCK_REACH));
            let plan = match step {
                _ if !s.watchpoints.is_empty() && step != Some(Step::Block) => {
                    Plan::Watch(s.watchpoints.clone())
                }
                Some(Step::Insn) => Plan::Step,
                Some(Step::Block) => Plan::Run(1),
                _ if near.count() > 0 || until_near => Plan::Step,
                _ if !s.breakpoints.is_empty() || until.is_some() => Plan::Run(1),
                _ => Plan::Run(BUDGET),
            };
            // Consume an instruction or block step now; a syscall step ends in `syscall`.
            if matches!(step, Some(Step::Insn | Step::Block)) {
                s.step = None;
            }
            set_state(&mut s, tid, VcpuState::Guest);
            return (plan, step.filter(|&st| st != Step::Syscall));
        }
    }

    /// Publishes this vCPU as paused and sleeps until resumed, a step, or new views (memory
    /// or host code).
    fn wait_paused<'a, M: Bus + ?Sized, E: Engine<M>>(
        &'a self,
        mut s: MutexGuard<'a, Shared>,
        tid: i32,
        cpu: &Cpu,
        bus: &mut M,
        engine: &E,
    ) -> MutexGuard<'a, Shared> {
        for (addr, bytes) in std::mem::take(&mut s.pokes) {
            s.poked = Some(poke(bus, addr, &bytes));
            self.wake.notify_all();
        }
        publish(&mut s, tid, cpu, bus, engine, VcpuState::Paused);
        s.resume_at.insert(tid, cpu.pc);
        let (views, host_view) = (s.views.clone(), s.host_view);
        let s = self
            .wake
            .wait_while(s, |st| {
                held(st, tid)
                    && !crate::hostsig::snapshot_asked()
                    && step_for(st, tid).is_none()
                    && st.views == views
                    && st.host_view == host_view
                    && st.pokes.is_empty()
            })
            .unwrap_or_else(|e| e.into_inner());
        s
    }

    /// A guest signal `sig` is about to be delivered to vCPU `tid`: when the front end asked
    /// for it, the guest stops first, and the front end decides what is delivered when the
    /// vCPU runs on (the same signal, another, or none).
    pub fn signal<M: Bus + ?Sized, E: Engine<M>>(
        &self,
        tid: i32,
        cpu: &Cpu,
        bus: &mut M,
        engine: &E,
        offer: Offer,
    ) -> Option<i32> {
        let sig = offer.sig;
        let mut s = self.lock();
        let back = s.resnapped.remove(&tid) == Some(sig);
        if back && offer.trap {
            // The instruction ran again after the snapshot because the front end let it run
            // from the stop it saw: what it decided there goes.
            s.resume_at.remove(&tid);
            return s.deliver.remove(&tid).flatten();
        }
        if back {
            // Back from a snapshot to the stop it left: the same stop, not a new one.
        } else if s.stop_at_signals {
            stop(&mut s, format!("signal {sig}"));
            s.why = Why::Signal { tid, sig };
            s.deliver.remove(&tid);
        } else if offer.fatal && s.stop_at_fatal {
            let at = offer
                .addr
                .map(|a| format!(" accessing 0x{a:x}"))
                .unwrap_or_default();
            stop(
                &mut s,
                format!(
                    "{} at pc 0x{:x}{at}: fatal (c lets it die)",
                    signal::name(sig as usize),
                    cpu.pc
                ),
            );
            s.stopped_by = Some(tid);
            s.why = Why::Fatal { tid, sig };
            // Running on (or stepping) delivers it, unless the front end decides otherwise.
            s.deliver.insert(tid, Some(sig));
        } else {
            return Some(sig);
        }
        self.update_attention(&s);
        while held(&s, tid) && step_for(&s, tid).is_none() {
            if crate::hostsig::snapshot_asked() {
                // Left undelivered for the snapshot: a signal pending again, or the trap
                // raised again when the instruction runs again.
                s.resnapped.insert(tid, sig);
                return (!offer.trap).then_some(sig);
            }
            s = self.wait_paused(s, tid, cpu, bus, engine);
        }
        s.resume_at.remove(&tid);
        s.deliver.remove(&tid).flatten()
    }

    /// Performs the system call through the table, logging it, and stopping before it when
    /// the front end asked to run to the next one.
    pub fn syscall(&self, p: &mut Vcpu, nr: u64, args: [u64; 6]) -> Outcome {
        let sc = syscall::lookup(nr);
        let name = sc.map_or("unknown", |sc| sc.name);
        let call = match sc {
            Some(sc) => syscall::format_call(p, sc, &args),
            None => format!(
                "{}()",
                syscall::names::name(nr).unwrap_or("unknown_syscall")
            ),
        };
        let mut bus = p.mem.clone();
        {
            let mut s = self.lock();
            if matches!(s.step, Some((who, Step::Syscall)) if who.is_none() || who == Some(p.tid)) {
                s.step = None;
                stop(&mut s, format!("before syscall {call}"));
                self.update_attention(&s);
                while s.paused && step_for(&s, p.tid).is_none() {
                    if crate::hostsig::snapshot_asked() {
                        // The call has not begun: the snapshot has the thread at its ecall,
                        // and the vCPU, back from it, stays stopped there.
                        return Outcome::Again;
                    }
                    s = self.wait_paused(s, p.tid, &p.cpu, &mut bus, &p.engine);
                }
                s.resume_at.remove(&p.tid);
            }
            let state = match name {
                "nanosleep" | "clock_nanosleep" | "futex" | "ppoll" | "pselect6" => {
                    VcpuState::Waiting(name)
                }
                _ => VcpuState::Syscall(name),
            };
            // A stop while the call blocks shows the thread at its ecall.
            vcpu_entry(&mut s, p.tid, &p.cpu).cpu = p.cpu.clone();
            set_state(&mut s, p.tid, state);
        }
        let out = syscall::dispatch(p, nr, args);
        self.syscalls.fetch_add(1, Ordering::Relaxed);
        let line = match (&out, sc.map(|sc| sc.ret)) {
            (Outcome::Done(Err(e)), _) => format!("[{}] {call} = -1 {e}", p.tid),
            (Outcome::Done(Ok(v)), Some(Ret::Ptr)) => format!("[{}] {call} = 0x{v:x}", p.tid),
            (Outcome::Done(Ok(v)), _) => format!("[{}] {call} = {}", p.tid, *v as i64),
            _ => format!("[{}] {call}", p.tid),
        };
        let mut s = self.lock();
        push_line(&mut s.syscall_log, line);
        // A call the deterministic runner parks goes on waiting after this returns.
        let state = match out {
            Outcome::Park(_) => VcpuState::Waiting(name),
            _ => VcpuState::Guest,
        };
        set_state(&mut s, p.tid, state);
        out
    }

    /// Publishes registers, engine counters and views every [`PUBLISH_EVERY`].
    fn maybe_publish<M: Bus + ?Sized, E: Engine<M>>(
        &self,
        tid: i32,
        cpu: &Cpu,
        bus: &mut M,
        engine: &E,
    ) {
        let mut s = self.lock();
        if s.last_publish.elapsed() >= PUBLISH_EVERY || !s.vcpus.contains_key(&tid) {
            publish(&mut s, tid, cpu, bus, engine, VcpuState::Guest);
        }
    }
}

impl Hook for Control {
    fn slice(
        &self,
        tid: i32,
        cpu: &mut Cpu,
        bus: &mut GuestMem,
        engine: &mut translator::Engine,
    ) -> Option<Trap> {
        Control::slice(self, tid, cpu, bus, engine)
    }
    fn syscall(&self, v: &mut Vcpu, nr: u64, args: [u64; 6]) -> Outcome {
        Control::syscall(self, v, nr, args)
    }
    fn exited(&self, tid: i32, cpu: &Cpu, mem: &GuestMem, status: i32) {
        Control::exited(self, tid, cpu, mem, status)
    }
    fn spawned(&self, tid: i32, cpu: &Cpu) {
        vcpu_entry(&mut self.lock(), tid, cpu);
    }
    fn signal(
        &self,
        tid: i32,
        cpu: &Cpu,
        bus: &mut GuestMem,
        engine: &translator::Engine,
        offer: Offer,
    ) -> Option<i32> {
        Control::signal(self, tid, cpu, bus, engine, offer)
    }
}

/// How the next slice runs.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Plan {
    /// Nothing: the vCPU leaves for a snapshot.
    Leave,
    /// The engine, for at least this many instructions (whole blocks).
    Run(u64),
    /// One instruction with the reference interpreter.
    Step,
    /// One instruction with the reference interpreter, its accesses checked against these.
    Watch(Vec<Watchpoint>),
}

/// Executes the instruction at pc alone. `fence.i` goes through the engine (it is a block of
/// its own there), which must drop its cached code.
fn step_one<M: Bus + ?Sized, E: Engine<M>>(
    cpu: &mut Cpu,
    bus: &mut M,
    engine: &mut E,
) -> Option<Trap> {
    let d = match isa_a::fetch(bus, cpu.pc) {
        Ok(d) => d,
        Err(t) => return Some(t),
    };
    if isa_a::ends_block(&d.insn) {
        // A block-ending instruction at pc is a block of one instruction.
        return engine.run(cpu, bus, 1);
    }
    match isa_a::step(cpu, bus, &d) {
        Flow::Trap(t) => Some(t),
        _ => None,
    }
}

/// The step granted to vCPU `tid` (to it, or to whichever vCPU runs first), if any. A step
/// for another vCPU leaves this one waiting.
fn step_for(s: &Shared, tid: i32) -> Option<Step> {
    match s.step {
        Some((who, step)) if who.is_none() || who == Some(tid) => Some(step),
        _ => None,
    }
}

/// Whether vCPU `tid` may not run now (a step granted to it aside).
fn held(s: &Shared, tid: i32) -> bool {
    s.paused || s.only.as_ref().is_some_and(|o| !o.contains(&tid))
}

/// Where a call at pc returns to: the next instruction, if pc holds a `jal`/`jalr` that links
/// `ra` or `t0` (the calling convention's link registers).
fn call_return<M: Bus + ?Sized>(cpu: &Cpu, bus: &mut M) -> Option<u64> {
    let d = isa_a::fetch(bus, cpu.pc).ok()?;
    let rd = match d.insn {
        isa_a::Insn::Jal(j) => j.rd,
        isa_a::Insn::Jalr(l) => l.rd,
        _ => return None,
    };
    matches!(rd.num(), 1 | 5).then(|| cpu.pc.wrapping_add(d.len as u64))
}

fn stop(s: &mut Shared, reason: String) {
    s.paused = true;
    s.only = None;
    s.step = None;
    s.until = None;
    s.stops += 1;
    s.reason = reason;
    s.stopped_by = None;
    s.why = Why::Paused;
}

fn push_line<T>(log: &mut VecDeque<T>, line: T) {
    if log.len() == LOG_LINES {
        log.pop_front();
    }
    log.push_back(line);
}

fn vcpu_entry<'a>(s: &'a mut Shared, tid: i32, cpu: &Cpu) -> &'a mut VcpuSnapshot {
    s.vcpus.entry(tid).or_insert_with(|| VcpuSnapshot {
        tid,
        // SAFETY: gettid has no preconditions.
        host_tid: unsafe { libc::gettid() },
        cpu: cpu.clone(),
        state: VcpuState::Guest,
        cpu_time: Duration::ZERO,
        tiers: None,
    })
}

fn set_state(s: &mut Shared, tid: i32, state: VcpuState) {
    if let Some(v) = s.vcpus.get_mut(&tid) {
        v.state = state;
    }
}

fn publish<M: Bus + ?Sized, E: Engine<M>>(
    s: &mut Shared,
    tid: i32,
    cpu: &Cpu,
    bus: &mut M,
    engine: &E,
    state: VcpuState,
) {
    let info = engine.describe(4096);
    let v = vcpu_entry(s, tid, cpu);
    v.cpu = cpu.clone();
    v.state = state;
    v.cpu_time = thread_cpu_time();
    v.tiers = info.tiers.clone();
    s.engine = info;
    if let Some(pc) = s.host_view {
        if let Some(asm) = engine.host_asm(pc) {
            s.host_asm = Some((pc, asm));
        }
    }
    s.view_data = copy_views(&s.views, bus);
    s.last_publish = Instant::now();
}

/// Stores `bytes` at `addr` as a guest store would (stopping at the first refused byte).
fn poke<M: Bus + ?Sized>(bus: &mut M, addr: u64, bytes: &[u8]) -> Result<(), String> {
    for (i, &b) in bytes.iter().enumerate() {
        let at = addr.wrapping_add(i as u64);
        if bus.store8(at, b).is_err() {
            return Err(format!("0x{at:x} is not writable guest memory"));
        }
    }
    Ok(())
}

/// The bytes of each view (None where unreadable).
fn copy_views<M: Bus + ?Sized>(views: &[(u64, u64)], bus: &mut M) -> Vec<(u64, Vec<Option<u8>>)> {
    views
        .iter()
        .map(|&(addr, len)| {
            let bytes = (0..len)
                .map(|i| bus.load8(addr.wrapping_add(i)).ok())
                .collect();
            (addr, bytes)
        })
        .collect()
}

/// CPU time of the calling host thread.
fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: ts is a valid timespec to write.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}
