//! The inspection protocol, declared once: its version, its error codes, and each call with
//! its number, arguments, result and the errors of its own. The client's stub, the server's
//! dispatch and the marshalling of requests and replies are generated from this table
//! (`gen.rs`); each argument and result type has a [`Wire`](super::wire::Wire) form.
//!
//! Changing what a call's bytes mean (its arguments, its result, or the wire form of a type
//! it carries) raises [`VERSION`]; a call added with a new number does not need to.

use super::gen::protocol;
use crate::app::HostThread;
use crate::program::Program;
use hypervisor_lite::control::{Snapshot, Step, Watchpoint};
use hypervisor_lite::isa_a::Cpu;

protocol! {
    version 1;
    errors {
        /// The frame's bytes do not decode as the header, arguments or result they should be.
        1 Malformed(any),
        /// The frame ended before what it declares.
        2 Truncated(any),
        /// The frame is longer than the protocol's limit.
        3 TooLarge(any),
        /// The frame is of another protocol version.
        4 WrongVersion(any),
        /// No call has this number.
        5 UnknownCall(any),
        /// The server has as many clients as it serves (it then closes the connection), or the
        /// client's queue of requests to send is full.
        6 Busy(any),
        /// An argument is out of the call's range.
        7 BadArgument,
        /// No vCPU has this thread id, or it has exited.
        8 NoVcpu,
        /// The guest refused what was asked in its present state (a write to a read-only
        /// page, or while it runs).
        9 Refused,
        /// No reply came in time (raised by the client, never sent).
        100 TimedOut(any),
        /// The connection to the server is gone (raised by the client, never sent).
        101 Disconnected(any),
    }
    calls {
        /// The guest program: its name, entry point, segments and symbols.
        1 Program = program() -> Program [];
        /// Everything the UI shows of the guest, as of now, with the memory views last set.
        2 Snapshot = snapshot() -> Snapshot [];
        /// The host threads of the process running the guest, with their CPU time.
        3 HostThreads = host_threads() -> Vec<HostThread> [];
        /// The guest memory ranges (address, length) the vCPUs copy out for the snapshot.
        4 SetViews = set_views(views: Vec<(u64, u64)>) -> () [BadArgument];
        /// The translated block whose host code the vCPUs publish.
        5 SetHostView = set_host_view(pc: Option<u64>) -> () [];
        /// Stops every vCPU at its next slice boundary.
        6 Pause = pause() -> () [];
        /// Lets every vCPU run.
        7 Resume = resume() -> () [];
        /// Runs one vCPU (any, for none) by an instruction, over a call, by a block, or to the
        /// next syscall.
        8 Step = step(tid: Option<i32>, kind: Step) -> () [NoVcpu];
        /// Sets a breakpoint at the address, or removes the one there; the address and whether
        /// one is set now.
        9 ToggleBreakpoint = toggle_breakpoint(addr: u64) -> (u64, bool) [];
        /// Removes every breakpoint and watchpoint, ends post-mortem stops and a finish, and lets
        /// the guest run: the client is leaving.
        10 Detach = detach() -> () [];
        /// The guest ELF's path (as the serving mimic opened it) and bytes, for what the UI
        /// reads from it itself: source lines and unwind tables.
        11 Image = image() -> (String, Vec<u8>) [];
        /// Lets every vCPU run until vCPU `tid` reaches `addr` with sp at or above `min_sp`
        /// (finish: the return address and the caller's sp); `reason` is the stop's.
        12 RunTo = run_to(tid: i32, addr: u64, min_sp: u64, reason: String) -> () [NoVcpu];
        /// Writes bytes to guest memory while the guest is stopped or after it ended.
        13 WriteMemory = write_memory(addr: u64, bytes: Vec<u8>) -> () [BadArgument, Refused];
        /// Replaces the registers of a stopped vCPU.
        14 SetCpu = set_cpu(tid: i32, cpu: Cpu) -> () [NoVcpu];
        /// Sets a watchpoint.
        15 AddWatchpoint = add_watchpoint(w: Watchpoint) -> () [BadArgument];
        /// Removes a watchpoint; whether there was one.
        16 RemoveWatchpoint = remove_watchpoint(w: Watchpoint) -> bool [];
        /// Whether a signal that ends the process stops the guest first (post-mortem).
        17 StopAtFatal = stop_at_fatal(on: bool) -> () [];
        /// Writes a snapshot of the guest to a file of the serving mimic's (`mimic resume FILE`
        /// goes on from it) and lets the guest go on as it was; the line saying what was
        /// written. Waits for the vCPUs, at most a few seconds.
        18 Checkpoint = checkpoint(file: String) -> String [BadArgument, Refused];
    }
}
