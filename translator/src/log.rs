//! The `-d` log of guest code as engines run it, in qemu's layout: `in_asm` shows each block
//! the first time an engine decodes or translates it, `exec` each block entered from the
//! dispatcher, `cpu` the registers before it, `out_asm` the host code of a translated block.
//!
//! ```text
//!   ----------------
//!   IN: main
//!   0x0000000000010440:  1141              addi sp,sp,-16
//!   …
//!
//!   Trace 0: 0x7f12340000c0 [0000000000010440] main
//!    pc       0000000000010440
//!    x0/zero  0000000000000000 x1/ra    …
//! ```
//!
//! Engines call in only from code compiled for logging (see [`crate::Engine::run`]), so a
//! run without `-d` pays nothing for it.

use isa_a::{Bus, Cpu, Decoded, FReg, XReg};
use std::io::Write;
use std::sync::{Arc, RwLock};

/// What `-d` logs (qemu's names). The engine reads the code items; the rest are the
/// system's (signals, mappings, system calls), carried here so one value names them all.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct LogFlags {
    /// `in_asm`: the guest code of each block at its first execution.
    pub in_asm: bool,
    /// `out_asm`: the host code a translated block became.
    pub out_asm: bool,
    /// `exec`: each block entered from the dispatcher, with its pc and symbol.
    pub exec: bool,
    /// `cpu`: the registers before each block `exec` shows.
    pub cpu: bool,
    /// `int`: each signal delivered to the guest.
    pub int: bool,
    /// `page`: the guest's mappings at start and after each change.
    pub page: bool,
    /// `unimp`: unsupported system calls and illegal instructions.
    pub unimp: bool,
    /// `strace`: every system call, as `--strace`.
    pub strace: bool,
    /// `nochain`: translated blocks never jump to each other directly, so that every
    /// block entered passes the dispatcher (and `exec` shows it).
    pub nochain: bool,
    /// `cost`: at exit, what translation cost (see [`crate::cost`]).
    pub cost: bool,
}

impl LogFlags {
    /// Whether the engine logs anything per block.
    pub fn engine(&self) -> bool {
        self.in_asm || self.out_asm || self.exec || self.cpu
    }
}

/// The guest's function symbols, for naming blocks as qemu does: the function whose
/// `[start, start + size)` holds the address.
#[derive(Clone, Debug, Default)]
pub struct Symbols {
    /// (start, size, name), sorted by start.
    funcs: Vec<(u64, u64, String)>,
}

impl Symbols {
    /// The table of `funcs` (start, size, name), in any order; empty functions never match.
    pub fn new(mut funcs: Vec<(u64, u64, String)>) -> Symbols {
        funcs.retain(|f| f.1 != 0);
        funcs.sort();
        Symbols { funcs }
    }

    /// Adds `other`'s functions (another object loaded into the same space).
    pub fn extend(&mut self, other: Symbols) {
        self.funcs.extend(other.funcs);
        self.funcs.sort();
        self.funcs.dedup();
    }

    /// The name of the function holding `pc`, or "" as qemu shows an unknown one.
    pub fn lookup(&self, pc: u64) -> &str {
        let i = self.funcs.partition_point(|f| f.0 <= pc);
        match i.checked_sub(1).map(|i| &self.funcs[i]) {
            Some((start, size, name)) if pc - start < *size => name,
            _ => "",
        }
    }

    pub fn is_empty(&self) -> bool {
        self.funcs.is_empty()
    }
}

/// The symbols of a process, which grow as the guest maps code (shared libraries).
pub type SharedSymbols = Arc<RwLock<Symbols>>;

/// One engine's log: what to write, where, and the names of guest code.
pub struct Log {
    pub flags: LogFlags,
    out: Box<dyn Write + Send>,
    symbols: SharedSymbols,
    /// The vCPU's number in `Trace` lines (qemu's cpu index).
    cpu_index: u32,
}

impl Log {
    pub fn new(
        flags: LogFlags,
        out: Box<dyn Write + Send>,
        symbols: SharedSymbols,
        cpu_index: u32,
    ) -> Log {
        Log {
            flags,
            out,
            symbols,
            cpu_index,
        }
    }

    /// The name of the function holding `pc`, or "".
    fn name(&self, pc: u64) -> String {
        let symbols = self.symbols.read().unwrap_or_else(|e| e.into_inner());
        symbols.lookup(pc).to_string()
    }

    /// Writes `text` whole: a log line must not interleave with another vCPU's.
    pub fn write(&mut self, text: &str) {
        // Logging is best effort: a closed log must not stop the guest.
        let _ = self.out.write_all(text.as_bytes());
        let _ = self.out.flush();
    }

    /// `in_asm` of the block of `insns` at `pcs`, read back from `bus` for the bytes.
    pub fn block<M: Bus + ?Sized>(
        &mut self,
        bus: &mut M,
        insns: &[Decoded],
        pcs: impl Iterator<Item = u64>,
    ) {
        if !self.flags.in_asm {
            return;
        }
        let mut pcs = pcs.peekable();
        let start = pcs.peek().copied().unwrap_or(0);
        let mut s = format!("----------------\nIN: {}\n", self.name(start));
        for (d, pc) in insns.iter().zip(pcs) {
            s.push_str(&insn_line(bus, d, pc));
        }
        s.push('\n');
        self.write(&s);
    }

    /// `exec` and `cpu` for the block at `cpu.pc` about to run from `host` (the address of
    /// its host code, or of its decoded form for the interpreter).
    pub fn enter(&mut self, cpu: &Cpu, host: u64) {
        let mut s = String::new();
        if self.flags.exec {
            s = format!(
                "Trace {}: 0x{host:x} [{:016x}] {}\n",
                self.cpu_index,
                cpu.pc,
                self.name(cpu.pc)
            );
        }
        if self.flags.cpu {
            s.push_str(&registers(cpu));
        }
        if !s.is_empty() {
            self.write(&s);
        }
    }
}

/// `0x…:  bytes  disassembly`, the bytes as the guest holds them (4 or 2 bytes).
fn insn_line<M: Bus + ?Sized>(bus: &mut M, d: &Decoded, pc: u64) -> String {
    let lo = bus.fetch16(pc).unwrap_or(0) as u32;
    let bytes = if d.len == 4 {
        let hi = bus.fetch16(pc.wrapping_add(2)).unwrap_or(0) as u32;
        format!("{:08x}", lo | hi << 16)
    } else {
        format!("{lo:04x}")
    };
    let mut text = String::new();
    let _ = d.insn.disasm(Some(pc), &mut text);
    format!("0x{pc:016x}:  {bytes:<8}          {text}\n")
}

/// The registers as qemu's `cpu` item dumps them: pc, then x and f four to a line.
pub fn registers(cpu: &Cpu) -> String {
    use std::fmt::Write;
    let mut s = format!(" {:<8} {:016x}\n", "pc", cpu.pc);
    for (i, v) in cpu.x.iter().enumerate() {
        let name = format!("x{i}/{}", XReg::new(i as u32).abi_name());
        let _ = write!(s, " {name:<8} {v:016x}");
        if i % 4 == 3 {
            s.push('\n');
        }
    }
    for (i, v) in cpu.f.iter().enumerate() {
        let name = format!("f{i}/{}", FReg::new(i as u32).abi_name());
        let _ = write!(s, " {name:<8} {v:016x}");
        if i % 4 == 3 {
            s.push('\n');
        }
    }
    let _ = writeln!(s, " {:<8} {:08x}", "fcsr", cpu.fcsr);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_name_only_addresses_inside_a_function() {
        let s = Symbols::new(vec![
            (0x2000, 0x10, "g".into()),
            (0x1000, 0x20, "f".into()),
            (0x3000, 0, "empty".into()),
        ]);
        assert_eq!(s.lookup(0x1000), "f");
        assert_eq!(s.lookup(0x101e), "f");
        assert_eq!(s.lookup(0x1020), "");
        assert_eq!(s.lookup(0x200f), "g");
        assert_eq!(s.lookup(0x3000), "");
        assert_eq!(s.lookup(0xfff), "");
    }

    #[test]
    fn registers_are_four_to_a_line() {
        let mut cpu = Cpu::new(0x10440);
        cpu.x[2] = 0x4000_0000;
        let r = registers(&cpu);
        let lines: Vec<&str> = r.lines().collect();
        assert_eq!(lines.len(), 1 + 8 + 8 + 1);
        assert_eq!(lines[0], " pc       0000000000010440");
        assert!(lines[1].starts_with(
            " x0/zero  0000000000000000 x1/ra    0000000000000000 x2/sp    0000000040000000"
        ));
        assert!(lines[9].starts_with(" f0/ft0   0000000000000000"));
    }
}
