//! The gdb stub: `mimic -g PORT` waits for gdb on 127.0.0.1:PORT with the guest stopped at
//! its first instruction, as qemu-riscv64 does.
//!
//! ```text
//!   gdb ◀── remote protocol (gdbstub crate) ──▶ Stub (this thread)
//!                                                 │ pause / resume / step / breakpoints /
//!                                                 │ watchpoints / registers: Control
//!                                                 │ memory: the address space, directly
//!                                                 ▼
//!   guest runner thread: Process::run_hooked(Control) ─ vCPUs call Control around each slice
//! ```
//!
//! The stub is a front end like the TUI: everything it does to the guest goes through
//! [`Control`], which stops every vCPU (all-stop; every guest thread is a gdb thread with its
//! tid as thread id), single-steps exactly in every engine, and stops at breakpoints inside
//! translated blocks. Watchpoints make every vCPU single-step with the reference interpreter
//! while any is set, checking each load and store (slow, but exact and the same for every
//! engine). A guest signal stops the guest before delivery; gdb's `continue` delivers it,
//! `signal 0` suppresses it. Memory is read and written while the vCPUs are stopped, through
//! the address space's checks (so a read of unmapped memory is an error for gdb, never a
//! host fault). A forked child runs on undebugged, as under qemu.

mod arch;
mod monitor;

use crate::control::{self, Control, WatchKind, Watchpoint, Why};
use crate::memory::perm;
use crate::process::Process;
use crate::state::Shared;
use arch::{Reg, Regs, Rv64};
use gdbstub::common::{Signal, Tid};
use gdbstub::conn::ConnectionExt;
use gdbstub::stub::{run_blocking, DisconnectReason, GdbStub, MultiThreadStopReason};
use gdbstub::target::ext::base::multithread::{
    MultiThreadBase, MultiThreadResume, MultiThreadResumeOps, MultiThreadSchedulerLocking,
    MultiThreadSchedulerLockingOps, MultiThreadSingleStep, MultiThreadSingleStepOps,
};
use gdbstub::target::ext::base::single_register_access::{
    SingleRegisterAccess, SingleRegisterAccessOps,
};
use gdbstub::target::ext::base::BaseOps;
use gdbstub::target::ext::breakpoints::{self, Breakpoints, BreakpointsOps};
use gdbstub::target::{Target, TargetError, TargetResult};
use isa_a::Bus;
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// How often the stub looks for a stop while the guest runs.
const POLL: Duration = Duration::from_millis(2);

/// Binds 127.0.0.1:`port` (0: any free port), so a bad port is reported before the guest
/// loads.
pub fn listen(port: u16) -> std::io::Result<TcpListener> {
    TcpListener::bind(("127.0.0.1", port))
}

/// Waits for gdb on `listener`, then runs the guest under it; ends the host process as the
/// guest ends (or as gdb's kill asks).
pub fn serve(process: Process, listener: TcpListener) -> ! {
    let shared = process.shared();
    if let Ok(addr) = listener.local_addr() {
        crate::diag!("mimic: waiting for gdb on {addr}");
    }
    let conn = match listener.accept() {
        Ok((c, _)) => c,
        Err(e) => {
            crate::diag!("mimic: gdb: cannot accept a connection: {e}");
            std::process::exit(1);
        }
    };
    drop(listener);
    let conn = match mimics_own(conn) {
        Ok(c) => c,
        Err(e) => {
            crate::diag!("mimic: gdb: cannot keep the connection: {e}");
            std::process::exit(1);
        }
    };
    let _ = conn.set_nodelay(true);
    let control = Arc::new(Control::new());
    control.stop_at_signals(true);
    control.pause();
    let ended = Arc::new(OnceLock::new());
    let runner = {
        let (control, ended) = (control.clone(), ended.clone());
        std::thread::Builder::new()
            .name("guest".into())
            .spawn(move || {
                let status = process.run_hooked(control);
                let _ = ended.set(status);
            })
    };
    let runner = match runner {
        Ok(r) => r,
        Err(e) => {
            crate::diag!("mimic: gdb: cannot start the guest thread: {e}");
            std::process::exit(1);
        }
    };
    // The first vCPU parks at its first instruction before gdb asks anything.
    while control.stopped().is_none() && ended.get().is_none() {
        std::thread::sleep(POLL);
    }
    let mut stub = Stub {
        control: control.clone(),
        shared: shared.clone(),
        ended: ended.clone(),
        actions: Vec::new(),
        locked: false,
        stops: 0,
    };
    let mut reply = conn.try_clone().ok().and_then(|c| mimics_own(c).ok());
    let gdb = GdbStub::new(conn);
    match gdb.run_blocking::<Loop>(&mut stub) {
        Ok(DisconnectReason::Kill) => {
            // gdb's vKill waits for an OK that gdbstub sends only in extended mode.
            if let Some(c) = reply.as_mut() {
                let _ = std::io::Write::write_all(c, b"$OK#9a");
            }
            // As the kernel's SIGKILL would: nothing of the guest runs on.
            shared.fatal.store(libc::SIGKILL, Ordering::Relaxed);
            shared.exit_host(128 + libc::SIGKILL)
        }
        Ok(DisconnectReason::TargetExited(_) | DisconnectReason::TargetTerminated(_)) => {}
        Ok(DisconnectReason::Disconnect) => control.release(),
        Err(e) => {
            crate::diag!("mimic: gdb: {e}; the guest runs on");
            control.release();
        }
    }
    let _ = runner.join();
    shared.exit_host(ended.get().copied().unwrap_or(1))
}

/// The connection, moved above the descriptor numbers a guest uses (mimic maps guest
/// descriptors one to one: the guest's first open gets 3 as without gdb) and marked as
/// mimic's own, so a snapshot leaves it out rather than refusing it.
fn mimics_own(conn: TcpStream) -> std::io::Result<TcpStream> {
    use std::os::fd::{AsRawFd, FromRawFd};
    // SAFETY: duplicates an open descriptor; the copy is owned by the stream made below.
    let fd = unsafe { libc::fcntl(conn.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 900) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    crate::snapshot::bind::own(fd, true);
    // SAFETY: `fd` is the new descriptor and nothing else owns it; `conn` closes the old one.
    Ok(unsafe { TcpStream::from_raw_fd(fd) })
}

/// What gdb asked one thread to do at the next resume.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Action {
    Continue,
    Step,
}

/// The stub's view of the guest.
struct Stub {
    control: Arc<Control>,
    shared: Arc<Shared>,
    /// The guest's exit status, once its runner returned.
    ended: Arc<OnceLock<i32>>,
    actions: Vec<(i32, Action, Option<i32>)>,
    /// The actions name every thread that runs: the others stay stopped.
    locked: bool,
    /// The stop count when the guest was last resumed: a higher one is a new stop.
    stops: u64,
}

fn tid_of(t: Tid) -> i32 {
    t.get() as i32
}

fn gdb_tid(tid: i32) -> Option<Tid> {
    Tid::new(tid as usize)
}

impl Stub {
    fn cpu(&self, tid: Tid) -> Result<isa_a::Cpu, TargetError<String>> {
        self.control.cpu(tid_of(tid)).ok_or(TargetError::NonFatal)
    }

    /// The stop to report, if the guest ended or stopped since it was resumed.
    fn poll(&mut self) -> Option<MultiThreadStopReason<u64>> {
        if let Some(&status) = self.ended.get() {
            let sig = self.shared.fatal.load(Ordering::Relaxed);
            return Some(if sig != 0 {
                MultiThreadStopReason::Terminated(Signal(sig as u8))
            } else {
                MultiThreadStopReason::Exited(status as u8)
            });
        }
        let (stops, why) = self.control.stopped()?;
        if stops <= self.stops {
            return None;
        }
        let trap = |tid| MultiThreadStopReason::SignalWithThread {
            tid,
            signal: Signal::SIGTRAP,
        };
        Some(match why {
            Why::Breakpoint(t) | Why::Stepped(t) => trap(gdb_tid(t)?),
            Why::Watch { tid, addr, kind } => MultiThreadStopReason::Watch {
                tid: gdb_tid(tid)?,
                kind: match kind {
                    WatchKind::Write => breakpoints::WatchKind::Write,
                    WatchKind::Read => breakpoints::WatchKind::Read,
                    WatchKind::Access => breakpoints::WatchKind::ReadWrite,
                },
                addr,
            },
            Why::Signal { tid, sig } | Why::Fatal { tid, sig } => {
                MultiThreadStopReason::SignalWithThread {
                    tid: gdb_tid(tid)?,
                    signal: Signal(sig as u8),
                }
            }
            Why::Paused => {
                let live = self.control.live();
                let parked = live.iter().find(|&&(_, p)| p);
                let (tid, _) = *parked.or(live.first())?;
                MultiThreadStopReason::SignalWithThread {
                    tid: gdb_tid(tid)?,
                    signal: Signal::SIGINT,
                }
            }
        })
    }
}

impl Target for Stub {
    type Arch = Rv64;
    type Error = String;

    fn base_ops(&mut self) -> BaseOps<'_, Self::Arch, Self::Error> {
        BaseOps::MultiThread(self)
    }
    fn support_breakpoints(&mut self) -> Option<BreakpointsOps<'_, Self>> {
        Some(self)
    }
    fn support_auxv(&mut self) -> Option<gdbstub::target::ext::auxv::AuxvOps<'_, Self>> {
        Some(self)
    }
    fn support_exec_file(
        &mut self,
    ) -> Option<gdbstub::target::ext::exec_file::ExecFileOps<'_, Self>> {
        Some(self)
    }
    fn support_monitor_cmd(
        &mut self,
    ) -> Option<gdbstub::target::ext::monitor_cmd::MonitorCmdOps<'_, Self>> {
        Some(self)
    }
}

impl MultiThreadBase for Stub {
    fn read_registers(&mut self, regs: &mut Regs, tid: Tid) -> TargetResult<(), Self> {
        regs.0 = self.cpu(tid)?;
        Ok(())
    }

    fn write_registers(&mut self, regs: &Regs, tid: Tid) -> TargetResult<(), Self> {
        match self.control.set_cpu(tid_of(tid), regs.0.clone()) {
            true => Ok(()),
            false => Err(TargetError::NonFatal),
        }
    }

    fn support_single_register_access(&mut self) -> Option<SingleRegisterAccessOps<'_, Tid, Self>> {
        Some(self)
    }

    fn read_addrs(&mut self, addr: u64, data: &mut [u8], _tid: Tid) -> TargetResult<usize, Self> {
        let mut mem = self.shared.mem.clone();
        for (i, b) in data.iter_mut().enumerate() {
            match mem.load8(addr.wrapping_add(i as u64)) {
                Ok(v) => *b = v,
                Err(_) if i == 0 => return Err(TargetError::Errno(libc::EFAULT as u8)),
                Err(_) => return Ok(i),
            }
        }
        Ok(data.len())
    }

    fn write_addrs(&mut self, addr: u64, data: &[u8], _tid: Tid) -> TargetResult<(), Self> {
        let code = (0..data.len() as u64)
            .step_by(crate::memory::PAGE as usize)
            .chain([data.len().saturating_sub(1) as u64])
            .any(|i| self.shared.space().perm_at(addr.wrapping_add(i)) & perm::X != 0);
        if code {
            // The engines drop what they decoded or translated before the vCPUs run again.
            self.shared.code_gen.fetch_add(1, Ordering::AcqRel);
        }
        let mut mem = self.shared.mem.clone();
        for (i, &b) in data.iter().enumerate() {
            if mem.store8(addr.wrapping_add(i as u64), b).is_err() {
                return Err(TargetError::Errno(libc::EFAULT as u8));
            }
        }
        Ok(())
    }

    fn list_active_threads(&mut self, active: &mut dyn FnMut(Tid)) -> Result<(), String> {
        for (tid, _) in self.control.live() {
            if let Some(t) = gdb_tid(tid) {
                active(t);
            }
        }
        Ok(())
    }

    fn support_resume(&mut self) -> Option<MultiThreadResumeOps<'_, Self>> {
        Some(self)
    }
}

impl SingleRegisterAccess<Tid> for Stub {
    fn read_register(&mut self, tid: Tid, reg: Reg, buf: &mut [u8]) -> TargetResult<usize, Self> {
        let bytes = reg.read(&self.cpu(tid)?);
        let n = bytes.len().min(buf.len());
        buf[..n].copy_from_slice(&bytes[..n]);
        Ok(n)
    }

    fn write_register(&mut self, tid: Tid, reg: Reg, val: &[u8]) -> TargetResult<(), Self> {
        let mut cpu = self.cpu(tid)?;
        if !reg.write(&mut cpu, val) || !self.control.set_cpu(tid_of(tid), cpu) {
            return Err(TargetError::NonFatal);
        }
        Ok(())
    }
}

impl MultiThreadResume for Stub {
    fn resume(&mut self) -> Result<(), String> {
        self.stops = self.control.stopped().map_or(self.stops, |(n, _)| n);
        for &(tid, _, sig) in &self.actions {
            self.control.deliver(tid, sig);
        }
        // A step runs that thread alone; the others stay stopped (as with gdb's
        // scheduler-locking step).
        match self.actions.iter().find(|a| a.1 == Action::Step) {
            // The deterministic runner has one host thread, held by whichever vCPU stopped
            // last: the step is that vCPU's (gdb follows the thread the stop names).
            Some(_) if self.shared.deterministic() => self.control.step(None, control::Step::Insn),
            Some(&(tid, _, _)) => self.control.step(Some(tid), control::Step::Insn),
            // gdb steps over a breakpoint by continuing one thread to a breakpoint it placed
            // after it (riscv has no hardware step in gdb's eyes): no other may run then.
            // (The deterministic runner cannot leave one vCPU parked and run another.)
            None if self.locked && !self.shared.deterministic() => {
                let only = self.actions.iter().map(|a| a.0).collect();
                self.control.resume_only(Some(only))
            }
            None => self.control.resume(),
        }
        Ok(())
    }

    fn clear_resume_actions(&mut self) -> Result<(), String> {
        self.actions.clear();
        self.locked = false;
        Ok(())
    }

    fn set_resume_action_continue(&mut self, tid: Tid, sig: Option<Signal>) -> Result<(), String> {
        let sig = sig.map(|s| s.0 as i32);
        self.actions.push((tid_of(tid), Action::Continue, sig));
        Ok(())
    }

    fn support_single_step(&mut self) -> Option<MultiThreadSingleStepOps<'_, Self>> {
        Some(self)
    }

    fn support_scheduler_locking(&mut self) -> Option<MultiThreadSchedulerLockingOps<'_, Self>> {
        Some(self)
    }
}

// gdb resumes only the threads it names (no `c` for all in its vCont).
impl MultiThreadSchedulerLocking for Stub {
    fn set_resume_action_scheduler_lock(&mut self) -> Result<(), String> {
        self.locked = true;
        Ok(())
    }
}

impl MultiThreadSingleStep for Stub {
    fn set_resume_action_step(&mut self, tid: Tid, sig: Option<Signal>) -> Result<(), String> {
        let sig = sig.map(|s| s.0 as i32);
        self.actions.push((tid_of(tid), Action::Step, sig));
        Ok(())
    }
}

impl Breakpoints for Stub {
    fn support_sw_breakpoint(&mut self) -> Option<breakpoints::SwBreakpointOps<'_, Self>> {
        Some(self)
    }
    fn support_hw_breakpoint(&mut self) -> Option<breakpoints::HwBreakpointOps<'_, Self>> {
        Some(self)
    }
    fn support_hw_watchpoint(&mut self) -> Option<breakpoints::HwWatchpointOps<'_, Self>> {
        Some(self)
    }
}

// Breakpoints are addresses where Control stops a vCPU, not instructions written into guest
// memory: software and hardware ones are the same thing here.
impl breakpoints::SwBreakpoint for Stub {
    fn add_sw_breakpoint(&mut self, addr: u64, _kind: usize) -> TargetResult<bool, Self> {
        self.control.add_breakpoint(addr);
        Ok(true)
    }
    fn remove_sw_breakpoint(&mut self, addr: u64, _kind: usize) -> TargetResult<bool, Self> {
        self.control.remove_breakpoint(addr);
        Ok(true)
    }
}

impl breakpoints::HwBreakpoint for Stub {
    fn add_hw_breakpoint(&mut self, addr: u64, _kind: usize) -> TargetResult<bool, Self> {
        self.control.add_breakpoint(addr);
        Ok(true)
    }
    fn remove_hw_breakpoint(&mut self, addr: u64, _kind: usize) -> TargetResult<bool, Self> {
        self.control.remove_breakpoint(addr);
        Ok(true)
    }
}

fn watchpoint(addr: u64, len: u64, kind: breakpoints::WatchKind) -> Watchpoint {
    let kind = match kind {
        breakpoints::WatchKind::Write => WatchKind::Write,
        breakpoints::WatchKind::Read => WatchKind::Read,
        breakpoints::WatchKind::ReadWrite => WatchKind::Access,
    };
    Watchpoint { addr, len, kind }
}

impl breakpoints::HwWatchpoint for Stub {
    fn add_hw_watchpoint(
        &mut self,
        addr: u64,
        len: u64,
        kind: breakpoints::WatchKind,
    ) -> TargetResult<bool, Self> {
        self.control.add_watchpoint(watchpoint(addr, len, kind));
        Ok(true)
    }
    fn remove_hw_watchpoint(
        &mut self,
        addr: u64,
        len: u64,
        kind: breakpoints::WatchKind,
    ) -> TargetResult<bool, Self> {
        Ok(self.control.remove_watchpoint(watchpoint(addr, len, kind)))
    }
}

/// Copies the part of `data` at `offset` into `buf`, as the qXfer reads want.
fn xfer(data: &[u8], offset: u64, length: usize, buf: &mut [u8]) -> usize {
    let start = (offset as usize).min(data.len());
    let n = (data.len() - start).min(length).min(buf.len());
    buf[..n].copy_from_slice(&data[start..start + n]);
    n
}

impl gdbstub::target::ext::auxv::Auxv for Stub {
    fn get_auxv(&self, offset: u64, length: usize, buf: &mut [u8]) -> TargetResult<usize, Self> {
        Ok(xfer(&self.shared.startup.auxv, offset, length, buf))
    }
}

impl gdbstub::target::ext::exec_file::ExecFile for Stub {
    fn get_exec_file(
        &self,
        _pid: Option<gdbstub::common::Pid>,
        offset: u64,
        length: usize,
        buf: &mut [u8],
    ) -> TargetResult<usize, Self> {
        let path = self.shared.exe.as_os_str().as_encoded_bytes();
        Ok(xfer(path, offset, length, buf))
    }
}

/// Waits for a stop of the guest or a byte from gdb (its Ctrl-C, or a packet).
enum Loop {}

impl run_blocking::BlockingEventLoop for Loop {
    type Target = Stub;
    type Connection = TcpStream;
    type StopReason = MultiThreadStopReason<u64>;

    #[allow(clippy::type_complexity)]
    fn wait_for_stop_reason(
        target: &mut Stub,
        conn: &mut TcpStream,
    ) -> Result<
        run_blocking::Event<Self::StopReason>,
        run_blocking::WaitForStopReasonError<String, std::io::Error>,
    > {
        use run_blocking::{Event, WaitForStopReasonError};
        loop {
            if let Some(stop) = target.poll() {
                return Ok(Event::TargetStopped(stop));
            }
            let byte = conn.peek().map_err(WaitForStopReasonError::Connection)?;
            if byte.is_some() {
                let b = ConnectionExt::read(conn).map_err(WaitForStopReasonError::Connection)?;
                return Ok(Event::IncomingData(b));
            }
            std::thread::sleep(POLL);
        }
    }

    fn on_interrupt(target: &mut Stub) -> Result<Option<Self::StopReason>, String> {
        // The stop is reported once the vCPUs have parked (wait_for_stop_reason).
        target.control.pause();
        Ok(None)
    }
}
