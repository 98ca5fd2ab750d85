//! # tui — the terminal UI over a running guest, layer by layer
//!
//! Program / interface A / implementation / interface B / hardware B, with registers,
//! disassembly, translated blocks beside their host code, and threads.
//!
//! Status: lands with the terminal-UI issue.
