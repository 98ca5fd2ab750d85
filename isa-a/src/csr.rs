//! The numbers of the CSRs user code reaches (the unprivileged floating-point and counter
//! CSRs), named once for the interpreter, the disassembler, the translator and the tests.

/// Accrued floating-point exception flags (`fcsr` bits 0..5).
pub const FFLAGS: u32 = 0x001;
/// Dynamic rounding mode (`fcsr` bits 5..8).
pub const FRM: u32 = 0x002;
/// `frm` and `fflags` together.
pub const FCSR: u32 = 0x003;
/// Cycle counter.
pub const CYCLE: u32 = 0xc00;
/// Wall-clock timer.
pub const TIME: u32 = 0xc01;
/// Instructions retired.
pub const INSTRET: u32 = 0xc02;
