//! # isa-b — interface B: the x86-64 host ISA
//!
//! The host side of mimic's layered picture: x86-64 code emission over iced-x86, executable
//! code buffers that are never writable and executable at once, and host disassembly for
//! display. Only this crate touches iced-x86; the translator speaks to its narrow emitter.
//!
//! Status: lands with the block-translator issue; nothing is built on it yet.
