//! # isa-b — interface B: the x86-64 host ISA
//!
//! The host side of mimic's layered picture: x86-64 code emission over iced-x86, executable
//! code buffers that are never writable and executable at once, and host disassembly for
//! display. Only this crate touches iced-x86; the translator speaks to its narrow emitter.
//!
//! The caller decides which optional extensions the emitted code may use, by a
//! [`HostFeatures`] (features.rs).
//!
//! ```text
//!   translator ──Emitter (Gpr, Mem, Alu, Cc, Label)──▶ iced CodeAssembler ──▶ bytes at ip
//!                                                                             │ commit
//!                                   CodeBuffer: memfd ─┬─ RW view (writes, patches)
//!                                                      └─ RX view (runs)  ──▶ disassemble
//! ```
//!
//! ```
//! use isa_b::{disassemble, Alu, CodeBuffer, Emitter, Gpr, W};
//!
//! let mut buf = CodeBuffer::new(1 << 20).unwrap();
//! let mut e = Emitter::new();
//! e.mov_rr(W::B64, Gpr::Rax, Gpr::Rdi);
//! e.alu_ri(Alu::Add, W::B64, Gpr::Rax, 41);
//! e.ret();
//! let at = buf.next_addr(64).unwrap();
//! let code = e.assemble(at);
//! let f = buf.commit(&code.bytes).unwrap();
//! let f: extern "C" fn(u64) -> u64 = unsafe { std::mem::transmute(f) };
//! assert_eq!(f(1), 42);
//! let text: Vec<_> = disassemble(&code.bytes, at).into_iter().map(|i| i.text).collect();
//! assert_eq!(text, ["mov rax, rdi", "add rax, 0x29", "ret"]);
//! ```

mod assemble;
#[cfg(test)]
mod assemble_tests;
mod buffer;
mod disasm;
mod emit;
mod features;

pub use buffer::{CodeBuffer, CHUNK};
pub use disasm::{disassemble, HostInsn};
pub use emit::{
    Alu, Assembled, Cc, Emitter, FSrc, Fma, Gpr, Label, Mem, Prec, Shift, Sse, Xmm, JMP_REL32, W,
};
pub use features::HostFeatures;
