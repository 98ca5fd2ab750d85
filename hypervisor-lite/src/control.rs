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
use crate::syscall::{self, Outcome, Ret};
use crate::thread::BUDGET;
use crate::vcpu::{Hook, Vcpu};
use isa_a::block::MAX_BLOCK_INSNS;
use isa_a::{BlockCache, Bus, Cpu, Flow, Trap};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// The most bytes one block can cover: breakpoints closer than this to pc are single-stepped.
const BLOCK_REACH: u64 = 4 * MAX_BLOCK_INSNS as u64;
/// How often a running vCPU publishes its registers and the memory views.
const PUBLISH_EVERY: Duration = Duration::from_millis(40);
/// Lines kept in the syscall log and in the guest output.
const LOG_LINES: usize = 2000;

/// What runs the guest's instructions: the interpreter's block cache today, the translator's
/// tiers when they land. It also describes itself for the implementation layer's display.
pub trait Engine<M: Bus + ?Sized> {
    /// Runs from `cpu.pc` until a trap or until at least `budget` instructions retired.
    fn run(&mut self, cpu: &mut Cpu, bus: &mut M, budget: u64) -> Option<Trap>;
    /// Counters and the cached blocks (at most `max` of them).
    fn describe(&self, max: usize) -> EngineInfo;
    /// The host code of the block at `pc`, one instruction a line, if it is translated.
    fn host_asm(&self, _pc: u64) -> Option<Vec<String>> {
        None
    }
}

impl<M: Bus + ?Sized> Engine<M> for BlockCache {
    fn run(&mut self, cpu: &mut Cpu, bus: &mut M, budget: u64) -> Option<Trap> {
        BlockCache::run(self, cpu, bus, budget)
    }
    fn describe(&self, max: usize) -> EngineInfo {
        let mut bytes = 0;
        let mut blocks = Vec::new();
        for b in self.blocks() {
            bytes += b.insns.len() * std::mem::size_of::<isa_a::Decoded>();
            if blocks.len() < max {
                blocks.push(BlockInfo {
                    pc: b.pc,
                    guest_bytes: b.byte_len(),
                    insns: b.insns.len(),
                    host_bytes: None,
                });
            }
        }
        EngineInfo {
            tier: "interpreter (pre-decoded blocks)",
            blocks: self.len(),
            cache_bytes: bytes,
            chain_hits: None,
            tiers: None,
            list: blocks,
        }
    }
}

impl<M: Bus + 'static> Engine<M> for translator::Engine {
    fn run(&mut self, cpu: &mut Cpu, bus: &mut M, budget: u64) -> Option<Trap> {
        translator::Engine::run(self, cpu, bus, budget)
    }
    fn describe(&self, max: usize) -> EngineInfo {
        let st = self.stats();
        let list = self
            .blocks(max)
            .into_iter()
            .map(|b| BlockInfo {
                pc: b.pc,
                guest_bytes: b.guest_bytes,
                insns: b.insns,
                host_bytes: b.host_bytes,
            })
            .collect();
        EngineInfo {
            tier: match self.mode() {
                translator::Mode::Interp => "interpreter (pre-decoded blocks)",
                translator::Mode::Jit => "translator (every block translated)",
                translator::Mode::Tiered => "interpreter + translator (hot blocks translated)",
            },
            blocks: self.block_count(),
            cache_bytes: st.host_bytes as usize,
            chain_hits: Some(st.chains_patched),
            tiers: Some(Tiers {
                insns_interp: st.insns_interp,
                insns_jit: st.insns_jit,
                translated: st.blocks_translated as usize,
            }),
            list,
        }
    }
    fn host_asm(&self, pc: u64) -> Option<Vec<String>> {
        translator::Engine::host_asm(self, pc)
    }
}

/// The implementation layer as the engine describes it.
#[derive(Clone, Debug, Default)]
pub struct EngineInfo {
    pub tier: &'static str,
    /// Blocks in the cache.
    pub blocks: usize,
    /// Host memory the cached blocks take.
    pub cache_bytes: usize,
    /// Successor lookups answered by a block's links, if the engine counts them.
    pub chain_hits: Option<u64>,
    /// Guest instructions retired by the interpreter and by translated code, and the number
    /// of translated blocks, if the engine has a translator.
    pub tiers: Option<Tiers>,
    pub list: Vec<BlockInfo>,
}

/// What each tier of a tiered engine has done.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tiers {
    pub insns_interp: u64,
    pub insns_jit: u64,
    pub translated: usize,
}

/// One cached block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockInfo {
    pub pc: u64,
    pub guest_bytes: u64,
    pub insns: usize,
    /// Bytes of host code, once the block is translated.
    pub host_bytes: Option<usize>,
}

/// A step request: what runs before the guest stops again.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// One instruction.
    Insn,
    /// One block (the block starting at pc, run as the engine runs it).
    Block,
    /// Up to the next system call, stopping before it is performed.
    Syscall,
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
        let a = s.paused || s.step.is_some() || !s.breakpoints.is_empty();
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
        }
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
        let mut s = self.lock();
        s.paused = false;
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

    /// Guest memory ranges the vCPUs copy out when they publish (disassembly, memory, stack).
    pub fn set_views(&self, views: Vec<(u64, u64)>) {
        let mut s = self.lock();
        if s.views != views {
            s.views = views;
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

    /// Records that a vCPU's run ended with `status`.
    pub fn exited(&self, tid: i32, cpu: &Cpu, status: i32) {
        let mut s = self.lock();
        let v = vcpu_entry(&mut s, tid, cpu);
        v.cpu = cpu.clone();
        v.state = VcpuState::Exited(status);
        v.cpu_time = thread_cpu_time();
        if s.vcpus
            .values()
            .all(|v| matches!(v.state, VcpuState::Exited(_)))
        {
            s.reason = format!("exited with status {status}");
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
        let trap = match plan {
            Plan::Run(budget) => engine.run(cpu, bus, budget),
            Plan::Step => step_one(cpu, bus, engine),
        };
        let mut s = self.lock();
        s.resume_at.remove(&tid);
        match step {
            Some(Step::Insn) => stop(&mut s, "stepped one instruction".into()),
            Some(Step::Block) => stop(&mut s, "stepped one block".into()),
            Some(Step::Syscall) | None => {}
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
            let mine = |st: &Shared| match st.step {
                Some((who, step)) if who.is_none() || who == Some(tid) => Some(step),
                _ => None,
            };
            let step = mine(&s);
            if s.paused && step.is_none() {
                s = self.wait_paused(s, tid, cpu, bus, engine);
                continue;
            }
            let skip = s.resume_at.get(&tid) == Some(&cpu.pc);
            if !skip && s.breakpoints.contains(&cpu.pc) && step != Some(Step::Insn) {
                stop(&mut s, format!("breakpoint at 0x{:x}", cpu.pc));
                s.stopped_by = Some(tid);
                continue;
            }
            let near = s
                .breakpoints
                .range(cpu.pc..cpu.pc.saturating_add(BLOCK_REACH));
            let plan = match step {
                Some(Step::Insn) => Plan::Step,
                Some(Step::Block) => Plan::Run(1),
                _ if near.count() > 0 => Plan::Step,
                _ if !s.breakpoints.is_empty() => Plan::Run(1),
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
        publish(&mut s, tid, cpu, bus, engine, VcpuState::Paused);
        s.resume_at.insert(tid, cpu.pc);
        let (views, host_view) = (s.views.clone(), s.host_view);
        let s = self
            .wake
            .wait_while(s, |st| {
                st.paused && st.step.is_none() && st.views == views && st.host_view == host_view
            })
            .unwrap_or_else(|e| e.into_inner());
        s
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
                while s.paused && s.step.is_none() {
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
        set_state(&mut s, p.tid, VcpuState::Guest);
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
    fn exited(&self, tid: i32, cpu: &Cpu, status: i32) {
        Control::exited(self, tid, cpu, status)
    }
}

/// How the next slice runs.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Plan {
    /// The engine, for at least this many instructions (whole blocks).
    Run(u64),
    /// One instruction with the reference interpreter.
    Step,
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

fn stop(s: &mut Shared, reason: String) {
    s.paused = true;
    s.step = None;
    s.stops += 1;
    s.reason = reason;
    s.stopped_by = None;
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
    let v = vcpu_entry(s, tid, cpu);
    v.cpu = cpu.clone();
    v.state = state;
    v.cpu_time = thread_cpu_time();
    s.engine = engine.describe(4096);
    if let Some(pc) = s.host_view {
        if let Some(asm) = engine.host_asm(pc) {
            s.host_asm = Some((pc, asm));
        }
    }
    s.view_data = s
        .views
        .iter()
        .map(|&(addr, len)| {
            let bytes = (0..len)
                .map(|i| bus.load8(addr.wrapping_add(i)).ok())
                .collect();
            (addr, bytes)
        })
        .collect();
    s.last_publish = Instant::now();
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
