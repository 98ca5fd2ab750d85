//! # hypervisor-lite — the guest's world: address space, loader, Linux ABI, vCPUs
//!
//! One host reservation as the guest address space, ELF loading and the initial stack, the
//! Linux system-call layer as one declared table, and virtual processors as host threads.
//! [`control`] is how a front end (the TUI) watches and steers the running vCPUs.
//!
//! ```text
//!   riscv64 ELF ──loader──▶ AddressSpace (one host reservation, guest g at base+g,
//!                           │              a permission byte per page)
//!                           ▼
//!   Process ── Shared (space, signal actions, threads) ── Vcpu per guest thread (host thread)
//!                                                          │ run_slice: translator::Engine
//!                                                          │   (interpreter / translated code)
//!                                                          ▼ traps
//!                           ecall ──▶ syscall table ──▶ host kernel   fault ──▶ guest signal
//! ```
//!
//! The crate is built in floors; a module leans only on the floors below it, never on its
//! own or a higher one (tests/floors.rs holds the sources to this):
//!
//! ```text
//!   7  gdb                     the gdb stub: a front end on control, running a process
//!   6  process  control        a process and its runners; the TUI's hook (vcpu::Hook)
//!   5  thread   sched          runners: a host thread per vCPU, or all on one (deterministic)
//!   4  vcpu                    Task + engine: run a slice, act on the trap and the Outcome
//!      snapshot                a stopped process to a file and back (the runners call it)
//!   3  syscall                 the Linux ABI: Task, handlers -> Outcome, signal delivery, /proc
//!   2  state    hostsig        Shared, ThreadCtl, Config, DetState, wake-ups; host signals
//!   1  signal   loader         dispositions and pending sets; ELF loading
//!   0  memory   abi   regions  the address space; declared riscv64 layouts; mapping names
//!      diag     exec_file      never-failing diagnostics; opening what execve may run
//! ```
//!
//! A handler gets a `&mut Task` (no engine) and returns what happens next; the two things
//! only a higher floor can do come back as outcomes: a new thread (`Outcome::Spawn`, which
//! the vCPU builds and its runner starts) and a fork's child (`Outcome::ForkChild`, which
//! needs an engine of its own).
//!
//! Every guest access goes through the address space's checks, so a wild address is a guest
//! fault and never touches host memory outside the reservation:
//!
//! ```
//! use hypervisor_lite::isa_a::{Access, Bus, MemFault};
//! use hypervisor_lite::memory::AddressSpace;
//!
//! let mut space = AddressSpace::new().unwrap();
//! space.map_fixed(0x10000, 0x1000, (libc::PROT_READ | libc::PROT_WRITE) as u32).unwrap();
//! let mut mem = space.handle();
//! mem.store64(0x10008, 42).unwrap();
//! assert_eq!(mem.load64(0x10008), Ok(42));
//! assert_eq!(mem.load8(0x11000), Err(MemFault { addr: 0x11000, access: Access::Read }));
//! assert!(mem.load8(u64::MAX - 7).is_err());
//! ```

pub mod abi;
pub mod control;
pub mod diag;
pub mod exec_file;
pub mod gdb;
pub mod hostsig;
pub mod loader;
pub mod memory;
pub mod process;
pub mod regions;
pub mod sched;
pub mod signal;
pub mod snapshot;
pub mod state;
pub mod syscall;
pub mod thread;
pub mod vcpu;

/// Interface A, for the layers above (the TUI) that may depend on hypervisor-lite only.
pub use isa_a;
pub use loader::LoadError;
pub use process::Process;
pub use state::{Config, LogSink};
pub use translator::{LogFlags, Mode, Stats};
