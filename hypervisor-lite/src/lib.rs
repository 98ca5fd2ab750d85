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
pub mod hostsig;
pub mod loader;
pub mod memory;
pub mod process;
pub mod regions;
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
