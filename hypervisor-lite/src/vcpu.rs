//! One virtual processor: a guest thread's registers, block cache and signal state, and the
//! step that runs it for a slice and handles what the slice ended with.
//!
//! ```text
//!   run_slice(budget) ── engine (interpreter / translated code) ──┐
//!        │ None ─────────────▶ deliver pending signals, go on
//!        │ Ecall ────────────▶ syscall::dispatch(&mut Task) ─▶ a0, pc += 4
//!        │                     (or: parked, restarted, ended; a new thread for the runner)
//!        │ Fault/Illegal/… ──▶ guest signal: handler frame, or report and exit 128+sig
//! ```

use crate::memory::GuestMem;
use crate::signal;
use crate::state::{Shared, ThreadCtl};
pub use crate::syscall::End;
use crate::syscall::{self, Errno, NewThread, Outcome, Task};
use isa_a::{Cpu, Trap};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use translator::{Budget, CodeCache, Engine};

/// A front end watching and steering vCPUs (the TUI's `control::Control`): the run loop calls
/// it around the engine and the system call dispatch, and when the thread ends. The vCPU floor
/// knows the front end only through this trait.
pub trait Hook: Send + Sync {
    /// Runs the engine for as far as the front end lets it (pauses, steps, breakpoints).
    fn slice(
        &self,
        tid: i32,
        cpu: &mut Cpu,
        bus: &mut GuestMem,
        engine: &mut Engine,
    ) -> Option<Trap>;
    /// Performs the system call the vCPU stopped at (through `syscall::dispatch`).
    fn syscall(&self, v: &mut Vcpu, nr: u64, args: [u64; 6]) -> Outcome;
    /// The vCPU's thread ended with `status`; `mem` is the address space it leaves (a front
    /// end may keep it to show the last state after the process is gone).
    fn exited(&self, tid: i32, cpu: &Cpu, mem: &GuestMem, status: i32);
    /// A new vCPU `tid` exists, not yet run (the deterministic runner may not run it while
    /// the front end holds the guest stopped).
    fn spawned(&self, _tid: i32, _cpu: &Cpu) {}
    /// Guest signal `offer.sig` is about to be delivered to the vCPU: returns the signal to
    /// deliver instead (the same one, another, or none to suppress it). A front end may stop
    /// here.
    fn signal(
        &self,
        _tid: i32,
        _cpu: &Cpu,
        _bus: &mut GuestMem,
        _engine: &Engine,
        offer: Offer,
    ) -> Option<i32> {
        Some(offer.sig)
    }
}

/// A signal about to be delivered, as a front end is told of it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Offer {
    pub sig: i32,
    /// Delivering it ends the process (no handler takes it).
    pub fatal: bool,
    /// The faulting address, for a signal an access raised.
    pub addr: Option<u64>,
    /// Raised by the instruction at pc (which runs again if the signal is suppressed), not
    /// pending for the thread.
    pub trap: bool,
}

/// What a step left the vCPU in.
pub enum Step {
    Go,
    /// (Deterministic mode) a system call is parked in `Task::wait`.
    Park,
    End(End),
    /// clone made a thread: the runner starts it (see [`Spawn::adopt`]) and completes the
    /// call with its tid, or an errno, through [`Task::finish_parked`].
    Spawn(Box<Spawn>),
    /// A snapshot is asked for: the vCPU stands between instructions (a blocking call it
    /// was in rolled back to its ecall) for the runner to take it.
    Snapshot,
}

/// A new thread's vCPU, not running yet.
pub struct Spawn {
    pub child: Vcpu,
    request: NewThread,
}

impl Spawn {
    /// Makes the child thread `tid` of the process: on the child's host thread before its
    /// first instruction, and before the parent's clone returns.
    pub fn adopt(&mut self, tid: i32) {
        self.request.adopt(&mut self.child.task, tid);
    }
}

/// A guest thread and the engine that runs it. Dereferences to its [`Task`], the part the
/// system calls see.
pub struct Vcpu {
    pub task: Task,
    /// This vCPU's execution engine (interpreter, translator or both); its code cache is
    /// the process's, shared with the other vCPUs.
    pub engine: Engine,
    /// A front end (the TUI) watching and steering this vCPU, if any.
    pub control: Option<Arc<dyn Hook>>,
    /// The address space's code generation the engine holds code of.
    code_gen: u64,
}

impl std::ops::Deref for Vcpu {
    type Target = Task;
    fn deref(&self) -> &Task {
        &self.task
    }
}

impl std::ops::DerefMut for Vcpu {
    fn deref_mut(&mut self) -> &mut Task {
        &mut self.task
    }
}

impl Vcpu {
    /// A vCPU whose engine shares `cache`, or has a code cache of its own (the first vCPU
    /// of a process); fails if no code space can be reserved.
    pub fn new(
        shared: Arc<Shared>,
        ctl: Arc<ThreadCtl>,
        cpu: Cpu,
        cache: Option<Arc<Mutex<CodeCache>>>,
    ) -> std::io::Result<Vcpu> {
        let engine = engine(&shared, cache)?;
        Ok(Vcpu {
            code_gen: shared.code_gen.load(Ordering::Acquire),
            task: Task::new(shared, ctl, cpu),
            engine,
            control: None,
        })
    }

    /// Puts this vCPU under the front end `control`, which steps it and stops it at
    /// breakpoints: from here on the process's translated code checks the budget wherever the
    /// interpreter does (code translated otherwise is dropped), so stops are exact.
    pub fn attach(&mut self, control: Arc<dyn Hook>) {
        self.control = Some(control);
        self.engine.set_budget(Budget::Exact);
    }

    /// A new thread of this process (clone with CLONE_VM): the caller's registers, returning
    /// 0 from the clone, on `stack` if non-zero, with `tp` = `tls` if given. Its signal mask
    /// is the caller's; no alternate stack.
    pub fn new_thread(
        &self,
        ctl: Arc<ThreadCtl>,
        stack: u64,
        tls: Option<u64>,
    ) -> std::io::Result<Vcpu> {
        let mut cpu = self.cpu.clone();
        cpu.x[10] = 0;
        if stack != 0 {
            cpu.x[2] = stack;
        }
        if let Some(tp) = tls {
            cpu.x[4] = tp;
        }
        cpu.pc = cpu.pc.wrapping_add(4);
        cpu.instret = 0;
        cpu.reservation = isa_a::cpu::NO_RESERVATION;
        let mut v = Vcpu::new(self.shared.clone(), ctl, cpu, Some(self.engine.cache()))?;
        // The shared code is as current as this vCPU's view of it: a change this vCPU has
        // not caught up with yet is the new one's to catch up with too.
        v.code_gen = self.code_gen;
        v.sig.mask = self.sig.mask;
        v.control = self.control.clone();
        Ok(v)
    }

    /// The child's side of a fork: the front end (its UI thread) stays with the parent, and the
    /// code buffer is a shared mapping of one memfd, so after the fork parent and child would
    /// translate into the same pages: the child starts a code cache of its own. (Dropping the
    /// old engine takes no lock: the parent's other threads may have held the cache's at the
    /// fork.)
    fn fork_child(&mut self) {
        self.control = None;
        self.task.shared.space().after_fork();
        match engine(&self.task.shared, None) {
            Ok(e) => self.engine = e,
            Err(e) => {
                crate::diag!("mimic: fork: cannot reserve code space for the child: {e}");
                // SAFETY: the forked child ends without running the parent's destructors.
                unsafe { libc::_exit(127) };
            }
        }
        self.complete(0);
    }

    /// Runs the execution engine for about `budget` instructions. The one place the engine
    /// is called; a `fence.i` on this vCPU makes every vCPU forget its decoded blocks (the
    /// translated code, which they share, is up to date already).
    fn run_slice(&mut self, budget: u64) -> Option<Trap> {
        let t = &mut self.task;
        let (flushes, syncs) = (self.engine.flushes(), self.engine.syncs());
        let trap = match &self.control {
            // The front end decides how far the engine may run (pauses, steps, breakpoints).
            Some(c) => c.slice(t.tid, &mut t.cpu, &mut t.mem, &mut self.engine),
            None => self.engine.run(&mut t.cpu, &mut t.mem, budget),
        };
        if self.engine.flushes() != flushes {
            self.code_gen = self.shared.code_gen.fetch_add(1, Ordering::AcqRel) + 1;
            self.engine.flushed_for(self.code_gen);
        } else if self.engine.syncs() != syncs {
            self.code_synced();
        }
        trap
    }

    /// Offers each signal about to be delivered to the front end first, which may stop the
    /// guest there and then deliver it, replace it or suppress it.
    fn offer_pending(&mut self) {
        let Some(c) = self.control.clone() else {
            return;
        };
        let mut keep = Vec::new();
        while let Some((sig, info)) = self.take_pending() {
            let offer = Offer {
                sig: sig as i32,
                fatal: self.kills(sig, false),
                addr: None,
                trap: false,
            };
            let t = &mut self.task;
            match c.signal(t.tid, &t.cpu, &mut t.mem, &self.engine, offer) {
                Some(s) if s as usize == sig => keep.push((sig, info)),
                Some(other) => keep.push(self.replacement(other)),
                None => {}
            }
        }
        for (sig, info) in keep {
            self.raise_self(sig, info);
        }
    }

    /// The signal `sig` a front end chose to deliver instead of the guest's, as sent by the
    /// process itself.
    fn replacement(&self, sig: i32) -> (usize, signal::SigInfo) {
        let pid = self.shared.pid();
        (
            sig as usize,
            signal::sender_info(sig as usize, signal::SI_USER, pid, 0),
        )
    }

    /// After this vCPU synced the shared code with guest memory (`fence.i`,
    /// riscv_flush_icache): the other vCPUs are told to forget their decoded blocks. A sync
    /// covers changed guest bytes only, so the shared code counts as up to date only if no
    /// other change (pages unmapped or re-protected) came since this vCPU last caught up;
    /// otherwise the next step flushes it.
    fn code_synced(&mut self) {
        let prev = self.shared.code_gen.fetch_add(1, Ordering::AcqRel);
        if prev == self.code_gen {
            self.code_gen = prev + 1;
            self.engine.flushed_for(self.code_gen);
        }
    }

    /// Runs one slice of at most about `budget` instructions and handles how it ended.
    pub fn step(&mut self, budget: u64) -> Step {
        if let Some(&status) = self.shared.ended.get() {
            return Step::End(End::Process(status));
        }
        crate::hostsig::serve_request();
        if crate::hostsig::snapshot_asked() {
            return Step::Snapshot;
        }
        // A signal raised while the thread waited (or by another thread) goes first.
        self.ctl.looking(self.sig.mask);
        self.take_host_signals();
        self.offer_pending();
        // A front end's stop at a signal gave way to a snapshot: the signal stays pending.
        if crate::hostsig::snapshot_asked() {
            return Step::Snapshot;
        }
        if let Some(status) = self.deliver_pending() {
            return Step::End(End::Process(status));
        }
        let gen = self.shared.code_gen.load(Ordering::Acquire);
        if gen != self.code_gen {
            self.engine.code_changed(&mut self.task.mem, gen);
            self.code_gen = gen;
        }
        let trap = self.run_slice(budget);
        self.ctl.instret.store(self.cpu.instret, Ordering::Relaxed);
        match trap {
            None => {}
            // A signal that arrived while the slice ran goes before the call, which runs
            // again when the handler returns: the call may block, and the wake-up for that
            // signal has come and gone.
            Some(Trap::Ecall) if self.signal_before_call() => {}
            Some(Trap::Ecall) => {
                let x = &self.cpu.x;
                let (nr, args) = (x[17], [x[10], x[11], x[12], x[13], x[14], x[15]]);
                let out = match self.control.clone() {
                    // Logged for the front end, and stopped before when it asks.
                    Some(c) => c.syscall(self, nr, args),
                    None => syscall::dispatch(self, nr, args),
                };
                // The host calls that wrote guest buffers are over. (A fork's child starts
                // afresh: its parent's other threads may have held the lock at the fork.)
                if !matches!(out, Outcome::ForkChild) {
                    self.task.mem.unpin();
                }
                match out {
                    Outcome::End(end) => return Step::End(end),
                    Outcome::Park(wait) => {
                        self.wait = Some(wait);
                        return Step::Park;
                    }
                    Outcome::Restored => self.take_host_signals(),
                    // Not begun: the ecall runs again.
                    Outcome::Again => {}
                    Outcome::Spawn(request) => {
                        match self.new_thread(ThreadCtl::new(0), request.stack, request.tls) {
                            Ok(child) => return Step::Spawn(Box::new(Spawn { child, request })),
                            Err(_) => self.finish_parked(Errno(libc::ENOMEM).a0()),
                        }
                    }
                    Outcome::ForkChild => self.fork_child(),
                    Outcome::Done(r) => {
                        if let Some((start, end)) = self.task.icache_flush.take() {
                            let range = (start < end).then_some((start, end));
                            self.engine.sync(&mut self.task.mem, range);
                            self.code_synced();
                        }
                        self.take_host_signals();
                        if r == Err(Errno::EINTR) && self.restart_interrupted(nr) {
                            // The ecall runs again (after the handler, if a signal is pending).
                        } else {
                            self.complete(syscall::a0(&r));
                        }
                    }
                }
            }
            Some(trap) => {
                let sig = trap_signal(trap);
                let sig = match self.control.clone() {
                    Some(c) => {
                        let offer = Offer {
                            sig,
                            fatal: self.kills(sig as usize, true),
                            addr: match trap {
                                Trap::Fault(m) => Some(m.addr),
                                Trap::Misaligned { addr, .. } => Some(addr),
                                _ => None,
                            },
                            trap: true,
                        };
                        let t = &mut self.task;
                        c.signal(t.tid, &t.cpu, &mut t.mem, &self.engine, offer)
                    }
                    None => Some(sig),
                };
                match sig {
                    // The front end suppressed it: the instruction runs again.
                    None => {}
                    Some(s) if s == trap_signal(trap) => {
                        if let Some(status) = self.fault(trap) {
                            return Step::End(End::Process(status));
                        }
                    }
                    Some(other) => {
                        let (sig, info) = self.replacement(other);
                        self.raise_self(sig, info);
                    }
                }
            }
        }
        self.offer_pending();
        if crate::hostsig::snapshot_asked() {
            return Step::Go;
        }
        let delivered = self.deliver_pending();
        if let Some(mask) = self.saved_mask.take() {
            // rt_sigsuspend's signal was not handled (ignored): its caller's mask is back.
            self.sig.mask = mask;
        }
        match delivered {
            Some(status) => Step::End(End::Process(status)),
            None => Step::Go,
        }
    }
}

/// The signal a trap raises, as a front end sees it (a fault past the end of a mapped file,
/// which `fault` turns into SIGBUS, shows as SIGSEGV here).
fn trap_signal(trap: Trap) -> i32 {
    let sig = match trap {
        Trap::Fault(_) => signal::SIGSEGV,
        Trap::Illegal(_) => signal::SIGILL,
        Trap::Ebreak => signal::SIGTRAP,
        Trap::Misaligned { .. } => signal::SIGBUS,
        Trap::Ecall => 0,
    };
    sig as i32
}

/// A new execution engine for a vCPU of this process, as the options ask: sharing `cache`
/// (the code cache of the process's other vCPUs, and its budget mode), or with a code cache of
/// its own for the first vCPU of a process. A process's slices end exactly where the
/// interpreter's would only when that is part of its result: under the deterministic
/// scheduler, and under a front end ([`Vcpu::attach`]); otherwise a budget only bounds how
/// long a vCPU goes without looking for signals, and translated code checks it at back edges.
pub fn engine(shared: &Shared, cache: Option<Arc<Mutex<CodeCache>>>) -> std::io::Result<Engine> {
    let mut engine = match cache {
        Some(c) => Engine::with_cache(shared.cfg.engine, c),
        None => {
            let mut e = Engine::new(shared.cfg.engine, shared.space().layout())?;
            if !shared.cfg.deterministic {
                e.set_budget(Budget::BackEdges);
            }
            e
        }
    };
    if let Some((flags, out)) = &shared.cfg.log {
        // qemu numbers its vCPUs from 0 in the order they start.
        static NEXT_INDEX: AtomicU32 = AtomicU32::new(0);
        engine.set_log(
            *flags,
            Box::new(SharedWriter(out.0.clone())),
            shared.symbols.clone(),
            NEXT_INDEX.fetch_add(1, Ordering::Relaxed),
        );
    }
    Ok(engine)
}

/// A log destination shared with whoever configured it.
struct SharedWriter(Arc<Mutex<dyn std::io::Write + Send>>);

impl std::io::Write for SharedWriter {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).write(b)
    }
    /// Under one lock: a log entry of one vCPU is not cut by another's.
    fn write_all(&mut self, b: &[u8]) -> std::io::Result<()> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .write_all(b)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).flush()
    }
}
