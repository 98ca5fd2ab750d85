//! The instruction type, the opcode list and the visitor, all generated from the table in
//! `table.rs` by the `instructions!` macro below.

pub use crate::table::{Insn, Opcode, Visitor, TABLE};
use std::fmt;

/// The ISA extension an instruction belongs to.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Ext {
    I,
    M,
    A,
    F,
    D,
    Zicsr,
    Zifencei,
}

/// Properties of an instruction that the stages after decoding care about.
pub mod flag {
    /// A conditional branch.
    pub const BRANCH: u16 = 1 << 0;
    /// An unconditional jump (`jal`, `jalr`).
    pub const JUMP: u16 = 1 << 1;
    /// Reads guest memory.
    pub const LOAD: u16 = 1 << 2;
    /// Writes guest memory.
    pub const STORE: u16 = 1 << 3;
    /// An atomic memory operation (LR, SC, AMO).
    pub const ATOMIC: u16 = 1 << 4;
    /// Leaves guest code for the environment (`ecall`, `ebreak`).
    pub const SYSTEM: u16 = 1 << 5;
    /// Reads or writes a CSR: ends a block so counters and `frm` are exact at it.
    pub const CSR: u16 = 1 << 6;
    /// `fence.i`: code may have changed.
    pub const FENCE_I: u16 = 1 << 7;
    /// Ends a block of straight-line code.
    pub const ENDS_BLOCK: u16 = BRANCH | JUMP | SYSTEM | CSR | FENCE_I;
}

/// The operand layout of a table row, as a value (the types themselves live in `format`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum FormatKind {
    R,
    I,
    Load,
    Store,
    Shift,
    ShiftW,
    B,
    U,
    J,
    Fence,
    Nullary,
    Csr,
    CsrI,
    Amo,
    Lr,
    FLoad,
    FStore,
    R4,
    FRrm,
    FR,
    FCmp,
    F1rm,
    FToX,
    XToF,
    FMvX,
    XMvF,
}

/// One row of the instruction table.
#[derive(Copy, Clone, Debug)]
pub struct OpInfo {
    pub opcode: Opcode,
    /// The mnemonic as GNU objdump writes it.
    pub mnemonic: &'static str,
    pub format: FormatKind,
    pub ext: Ext,
    /// A combination of the constants in [`flag`].
    pub flags: u16,
    /// The fixed bits of the encoding …
    pub bits: u32,
    /// … and which bits are fixed.
    pub mask: u32,
}

impl OpInfo {
    pub const fn has(&self, f: u16) -> bool {
        self.flags & f != 0
    }
    /// Whether a word has this row's fixed bits (its operands may still be reserved).
    pub const fn matches(&self, w: u32) -> bool {
        w & self.mask == self.bits
    }
}

macro_rules! instructions {
    ($( $name:ident $mn:literal $fmt:ident $ext:ident [$($flag:ident)*] $bits:literal $mask:literal ;)*) => {
        paste::paste! {
            /// A decoded RV64GC instruction: which one, with its typed operands.
            #[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
            pub enum Insn {
                $( #[doc = $mn] [<$name:camel>]($fmt), )*
            }

            /// Which instruction, without operands: one per table row.
            #[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
            #[repr(u8)]
            pub enum Opcode {
                $( #[doc = $mn] [<$name:camel>], )*
            }

            /// The instruction table: one row per instruction, indexed by `Opcode as usize`.
            pub static TABLE: &[OpInfo] = &[
                $( OpInfo {
                    opcode: Opcode::[<$name:camel>],
                    mnemonic: $mn,
                    format: FormatKind::$fmt,
                    ext: Ext::$ext,
                    flags: 0 $(| flag::$flag)*,
                    bits: $bits,
                    mask: $mask,
                }, )*
            ];

            impl Opcode {
                /// Every opcode, in table order.
                pub const ALL: &'static [Opcode] = &[ $( Opcode::[<$name:camel>], )* ];
            }

            impl Insn {
                /// Which instruction this is.
                #[inline(always)]
                pub const fn opcode(&self) -> Opcode {
                    match self { $( Insn::[<$name:camel>](_) => Opcode::[<$name:camel>], )* }
                }

                /// The operands of `w` read as instruction `op`; `None` if an operand is reserved.
                /// The caller has checked that `w` matches `op`'s row.
                pub fn from_bits(op: Opcode, w: u32) -> Option<Insn> {
                    match op { $( Opcode::[<$name:camel>] => <$fmt as Format>::from_bits(w).map(Insn::[<$name:camel>]), )* }
                }

                /// The 32-bit encoding.
                pub fn encode(&self) -> u32 {
                    let info = self.info();
                    let ops = match *self { $( Insn::[<$name:camel>](a) => a.to_bits(), )* };
                    info.bits | (ops & !info.mask)
                }

                /// Writes the text `objdump -M no-aliases` gives (every instruction under its own
                /// mnemonic); with `pc`, branch and jump targets are absolute.
                pub fn disasm_no_aliases(&self, pc: Option<u64>, out: &mut dyn fmt::Write) -> fmt::Result {
                    let m = self.info().mnemonic;
                    match *self { $( Insn::[<$name:camel>](a) => a.disasm(m, pc, out), )* }
                }

                /// Calls the visitor's method for this instruction.
                #[inline(always)]
                pub fn visit<V: Visitor>(&self, v: &mut V) -> V::Out {
                    match *self { $( Insn::[<$name:camel>](a) => v.$name(a), )* }
                }
            }

            /// One method per instruction. Interpreter, translator and describers implement it,
            /// so a new table row makes the compiler name every place that must handle it.
            pub trait Visitor {
                type Out;
                $( #[doc = $mn] fn $name(&mut self, a: $fmt) -> Self::Out; )*
            }
        }
    };
}

pub(crate) use instructions;

impl Opcode {
    /// This opcode's table row.
    #[inline]
    pub fn info(self) -> &'static OpInfo {
        &TABLE[self as usize]
    }
}

impl Insn {
    /// This instruction's table row.
    #[inline]
    pub fn info(&self) -> &'static OpInfo {
        self.opcode().info()
    }
}

impl fmt::Display for Insn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.disasm(None, f)
    }
}

impl fmt::Display for Opcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.info().mnemonic)
    }
}

impl Insn {
    /// Where a `jal` or a conditional branch at `pc` goes (when taken); `None` for every
    /// other instruction, `jalr` included (its target is in a register).
    pub fn direct_target(&self, pc: u64) -> Option<u64> {
        let off = match self {
            Insn::Jal(j) => j.off,
            Insn::Beq(b)
            | Insn::Bne(b)
            | Insn::Blt(b)
            | Insn::Bge(b)
            | Insn::Bltu(b)
            | Insn::Bgeu(b) => b.off,
            _ => return None,
        };
        Some(pc.wrapping_add(off as i64 as u64))
    }
}
