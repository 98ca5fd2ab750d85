//! The guest as gdb sees it: RV64GC's integer registers and pc, the F/D registers and the
//! floating-point CSRs, described by `rv64.xml` with gdb's register numbers (x0..x31 are
//! 0..31, pc 32, f0..f31 33..64, fflags 66, frm 67, fcsr 68). The `g` packet holds them in
//! that order: eight bytes for each x, pc and f register, four for each CSR.

use gdbstub::arch::{Arch, RegId, Registers};
use isa_a::Cpu;
use std::num::NonZeroUsize;

/// riscv64 Linux for gdbstub.
pub enum Rv64 {}

impl Arch for Rv64 {
    type Usize = u64;
    type Registers = Regs;
    type BreakpointKind = usize;
    type RegId = Reg;

    fn target_description_xml() -> Option<&'static str> {
        Some(include_str!("rv64.xml"))
    }
}

/// The registers of one vCPU.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Regs(pub Cpu);

/// One register by gdb's number.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Reg {
    X(usize),
    Pc,
    F(usize),
    Fflags,
    Frm,
    Fcsr,
}

impl RegId for Reg {
    fn from_raw_id(id: usize) -> Option<(Reg, Option<NonZeroUsize>)> {
        let (reg, size) = match id {
            0..=31 => (Reg::X(id), 8),
            32 => (Reg::Pc, 8),
            33..=64 => (Reg::F(id - 33), 8),
            66 => (Reg::Fflags, 4),
            67 => (Reg::Frm, 4),
            68 => (Reg::Fcsr, 4),
            _ => return None,
        };
        Some((reg, NonZeroUsize::new(size)))
    }
}

impl Reg {
    /// The register's value in `cpu`, as the little-endian bytes gdb expects.
    pub fn read(self, cpu: &Cpu) -> Vec<u8> {
        match self {
            Reg::X(i) => cpu.x[i].to_le_bytes().to_vec(),
            Reg::Pc => cpu.pc.to_le_bytes().to_vec(),
            Reg::F(i) => cpu.f[i].to_le_bytes().to_vec(),
            Reg::Fflags => (cpu.fcsr & 0x1f).to_le_bytes().to_vec(),
            Reg::Frm => ((cpu.fcsr >> 5) & 7).to_le_bytes().to_vec(),
            Reg::Fcsr => (cpu.fcsr & 0xff).to_le_bytes().to_vec(),
        }
    }

    /// Sets the register in `cpu` from gdb's bytes; false if they are not its size.
    pub fn write(self, cpu: &mut Cpu, bytes: &[u8]) -> bool {
        let v = match bytes.len() {
            8 => u64::from_le_bytes(bytes.try_into().unwrap_or_default()),
            4 => u32::from_le_bytes(bytes.try_into().unwrap_or_default()) as u64,
            _ => return false,
        };
        let wide = matches!(self, Reg::X(_) | Reg::Pc | Reg::F(_));
        if wide != (bytes.len() == 8) {
            return false;
        }
        match self {
            // x0 stays zero.
            Reg::X(0) => {}
            Reg::X(i) => cpu.x[i] = v,
            Reg::Pc => cpu.pc = v,
            Reg::F(i) => cpu.f[i] = v,
            Reg::Fflags => cpu.fcsr = (cpu.fcsr & !0x1f) | (v as u32 & 0x1f),
            Reg::Frm => cpu.fcsr = (cpu.fcsr & !0xe0) | ((v as u32 & 7) << 5),
            Reg::Fcsr => cpu.fcsr = v as u32 & 0xff,
        }
        true
    }
}

/// The registers of the `g` packet, in its order.
fn all() -> impl Iterator<Item = Reg> {
    (0..32)
        .map(Reg::X)
        .chain([Reg::Pc])
        .chain((0..32).map(Reg::F))
        .chain([Reg::Fflags, Reg::Frm, Reg::Fcsr])
}

impl Registers for Regs {
    type ProgramCounter = u64;

    fn pc(&self) -> u64 {
        self.0.pc
    }

    fn gdb_serialize(&self, mut write_byte: impl FnMut(Option<u8>)) {
        for r in all() {
            for b in r.read(&self.0) {
                write_byte(Some(b));
            }
        }
    }

    fn gdb_deserialize(&mut self, mut bytes: &[u8]) -> Result<(), ()> {
        for r in all() {
            let n = if matches!(r, Reg::X(_) | Reg::Pc | Reg::F(_)) {
                8
            } else {
                4
            };
            if bytes.len() < n {
                // gdb may send fewer registers than it knows: the rest stay as they are.
                break;
            }
            r.write(&mut self.0, &bytes[..n]);
            bytes = &bytes[n..];
        }
        Ok(())
    }
}
