//! # isa-a — interface A: the RISC-V user ISA (RV64GC)
//!
//! The guest side of mimic's layered picture. Everything about an instruction is written once,
//! in the table in `table.rs`; the instruction type, decoder, encoder, disassembler and the
//! interpreter's dispatch all derive from it.
//!
//! ```text
//!   guest bytes ──fetch──▶ decode (32-bit: table match; 16-bit: RVC expansion)
//!                              │
//!                              ▼
//!                    Decoded { insn: Insn, len } ──encode──▶ u32
//!                              │          └──disasm──▶ "addi a0,sp,16" / "li a0,41"
//!                              ▼
//!          Block (pre-decoded run) ──run_block──▶ Interp (Visitor) ──▶ Cpu + Bus
//! ```
//!
//! ```
//! use isa_a::{decode, Cpu, FlatMemory, BlockCache, Trap};
//!
//! // addi a0,zero,41 ; c.addi a0,1 ; ecall
//! let d = decode(0x02900513).unwrap();
//! assert_eq!(d.insn.to_string(), "li a0,41"); // objdump's default, aliases included
//! assert_eq!(d.insn.no_aliases().to_string(), "addi a0,zero,41"); // objdump -M no-aliases
//! let mut mem = FlatMemory::new(0x1000, 0x1000);
//! mem.write_bytes(0x1000, &[0x13, 0x05, 0x90, 0x02, 0x05, 0x05, 0x73, 0x00, 0x00, 0x00]);
//! let mut cpu = Cpu::new(0x1000);
//! let trap = BlockCache::new().run(&mut cpu, &mut mem, 100);
//! assert_eq!(trap, Some(Trap::Ecall));
//! assert_eq!(cpu.x[10], 42);
//! assert_eq!(cpu.pc, 0x1006);
//! ```

pub mod block;
pub mod bus;
pub mod cpu;
pub mod csr;
pub mod decode;
mod disasm_alias;
pub mod exec;
pub mod format;
pub mod insn;
pub mod reg;
pub mod softfloat;
mod table;
mod threaded;

pub use block::{decode_block, ends_block, fetch, run_block, Block, BlockCache, Exit};
pub use bus::{Access, AmoOp, Bus, FlatMemory, MemFault};
pub use cpu::Cpu;
pub use decode::{decode, decode32, Decoded, Illegal};
pub use disasm_alias::NoAliases;
pub use exec::{step, Flow, Interp, Trap};
pub use insn::{flag, Ext, FormatKind, Insn, OpInfo, Opcode, Visitor, TABLE};
pub use reg::{FReg, Rm, XReg};
