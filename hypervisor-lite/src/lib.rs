//! # hypervisor-lite — the guest's world: address space, loader, Linux ABI, vCPUs
//!
//! One host reservation as the guest address space, ELF loading and the initial stack, the
//! Linux system-call layer as one declared table, and virtual processors as host threads.
//! [`control`] is how a front end (the TUI) watches and steers the running vCPUs.

pub mod control;
pub mod hostsig;
pub mod loader;
pub mod memory;
pub mod process;
pub mod sched;
pub mod signal;
pub mod syscall;
pub mod thread;
pub mod vcpu;

/// Interface A, for the layers above (the TUI) that may depend on hypervisor-lite only.
pub use isa_a;
pub use loader::LoadError;
pub use process::{Config, LogSink, Process};
pub use translator::{LogFlags, Mode, Stats};
