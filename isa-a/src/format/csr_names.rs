//! CSR numbers and the names objdump gives them.

use std::fmt::{self, Write};

/// CSR numbers the aliases single out.
pub(crate) use crate::csr;

/// Named CSRs as `(first, last, n0, prefix, suffix)`: a number in `first..=last` is called
/// `prefix` + (`n0` + its distance from `first`) + `suffix`, or `prefix` + `suffix` for a
/// single number. The standard unprivileged, supervisor, machine and debug CSRs, named as
/// objdump names them (the RV32 high halves too, as objdump does on RV64).
#[rustfmt::skip]
static CSR_NAMES: &[(u32, u32, u32, &str, &str)] = &[
    (0x001, 0x001, 0, "fflags", ""), (0x002, 0x002, 0, "frm", ""), (0x003, 0x003, 0, "fcsr", ""),
    (0x008, 0x008, 0, "vstart", ""), (0x009, 0x009, 0, "vxsat", ""), (0x00a, 0x00a, 0, "vxrm", ""),
    (0x00f, 0x00f, 0, "vcsr", ""), (0x015, 0x015, 0, "seed", ""),
    (0xc00, 0xc00, 0, "cycle", ""), (0xc01, 0xc01, 0, "time", ""), (0xc02, 0xc02, 0, "instret", ""),
    (0xc03, 0xc1f, 3, "hpmcounter", ""),
    (0xc20, 0xc20, 0, "vl", ""), (0xc21, 0xc21, 0, "vtype", ""), (0xc22, 0xc22, 0, "vlenb", ""),
    (0xc80, 0xc80, 0, "cycleh", ""), (0xc81, 0xc81, 0, "timeh", ""), (0xc82, 0xc82, 0, "instreth", ""),
    (0xc83, 0xc9f, 3, "hpmcounter", "h"),
    (0x100, 0x100, 0, "sstatus", ""), (0x104, 0x104, 0, "sie", ""), (0x105, 0x105, 0, "stvec", ""),
    (0x106, 0x106, 0, "scounteren", ""), (0x10a, 0x10a, 0, "senvcfg", ""),
    (0x140, 0x140, 0, "sscratch", ""), (0x141, 0x141, 0, "sepc", ""), (0x142, 0x142, 0, "scause", ""),
    (0x143, 0x143, 0, "stval", ""), (0x144, 0x144, 0, "sip", ""), (0x180, 0x180, 0, "satp", ""),
    (0x300, 0x300, 0, "mstatus", ""), (0x301, 0x301, 0, "misa", ""), (0x302, 0x302, 0, "medeleg", ""),
    (0x303, 0x303, 0, "mideleg", ""), (0x304, 0x304, 0, "mie", ""), (0x305, 0x305, 0, "mtvec", ""),
    (0x306, 0x306, 0, "mcounteren", ""), (0x30a, 0x30a, 0, "menvcfg", ""), (0x310, 0x310, 0, "mstatush", ""),
    (0x31a, 0x31a, 0, "menvcfgh", ""), (0x320, 0x320, 0, "mcountinhibit", ""), (0x323, 0x33f, 3, "mhpmevent", ""),
    (0x340, 0x340, 0, "mscratch", ""), (0x341, 0x341, 0, "mepc", ""), (0x342, 0x342, 0, "mcause", ""),
    (0x343, 0x343, 0, "mtval", ""), (0x344, 0x344, 0, "mip", ""), (0x34a, 0x34a, 0, "mtinst", ""),
    (0x34b, 0x34b, 0, "mtval2", ""), (0x3a0, 0x3af, 0, "pmpcfg", ""), (0x3b0, 0x3ef, 0, "pmpaddr", ""),
    (0x747, 0x747, 0, "mseccfg", ""), (0x757, 0x757, 0, "mseccfgh", ""),
    (0x7a0, 0x7a0, 0, "tselect", ""), (0x7a1, 0x7a3, 1, "tdata", ""),
    (0x7b0, 0x7b0, 0, "dcsr", ""), (0x7b1, 0x7b1, 0, "dpc", ""), (0x7b2, 0x7b3, 0, "dscratch", ""),
    (0xb00, 0xb00, 0, "mcycle", ""), (0xb02, 0xb02, 0, "minstret", ""), (0xb03, 0xb1f, 3, "mhpmcounter", ""),
    (0xb80, 0xb80, 0, "mcycleh", ""), (0xb82, 0xb82, 0, "minstreth", ""), (0xb83, 0xb9f, 3, "mhpmcounter", "h"),
    (0xf11, 0xf11, 0, "mvendorid", ""), (0xf12, 0xf12, 0, "marchid", ""), (0xf13, 0xf13, 0, "mimpid", ""),
    (0xf14, 0xf14, 0, "mhartid", ""), (0xf15, 0xf15, 0, "mconfigptr", ""),
];

/// Writes the name objdump gives CSR `csr`, or `None` (nothing written) for an unnamed one.
fn write_csr_name(out: &mut dyn Write, csr: u32) -> Option<fmt::Result> {
    let &(first, last, n0, prefix, suffix) =
        CSR_NAMES.iter().find(|e| (e.0..=e.1).contains(&csr))?;
    Some(if first == last {
        write!(out, "{prefix}{suffix}")
    } else {
        write!(out, "{prefix}{}{suffix}", n0 + csr - first)
    })
}

/// The name objdump gives a CSR number (`fcsr`, `hpmcounter3`, `mstatus`), if it has one.
pub fn csr_name(csr: u32) -> Option<String> {
    let mut s = String::new();
    write_csr_name(&mut s, csr).map(|_| s)
}

/// A CSR operand: its name, or its number in hex as objdump writes an unnamed one.
pub(crate) fn write_csr(out: &mut dyn Write, csr: u32) -> fmt::Result {
    write_csr_name(out, csr).unwrap_or_else(|| write!(out, "0x{csr:x}"))
}
