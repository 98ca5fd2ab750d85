//! The decoder: a 32-bit word (or the low half of it, for compressed forms) to an [`Insn`].
//!
//! 32-bit words are matched against the instruction table, bucketed by major opcode; compressed
//! words expand here into the base instruction they stand for (see `rvc.rs`), so no later stage
//! knows RVC exists.

mod rvc;

use crate::insn::{Insn, Opcode, TABLE};
use std::fmt;
use std::sync::OnceLock;

/// A decoded instruction and its length in bytes (2 for a compressed form, else 4).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Decoded {
    pub insn: Insn,
    pub len: u8,
}

/// An encoding that is no RV64GC instruction (or uses a reserved operand value).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Illegal {
    /// The instruction bits: 16 of them for a compressed encoding.
    pub bits: u32,
    pub len: u8,
}

impl fmt::Display for Illegal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.len {
            2 => write!(f, "illegal instruction 0x{:04x}", self.bits),
            _ => write!(f, "illegal instruction 0x{:08x}", self.bits),
        }
    }
}

/// The length of the instruction whose low half-word is `lo`: 2 or 4 (longer encodings are
/// not RV64GC; they decode as illegal 4-byte words).
#[inline]
pub const fn insn_len(lo: u16) -> u8 {
    if lo & 3 == 3 {
        4
    } else {
        2
    }
}

/// Decodes the instruction at the start of `word` (little-endian: the low half-word comes first
/// in memory; for a compressed instruction the upper half is ignored).
pub fn decode(word: u32) -> Result<Decoded, Illegal> {
    if word & 3 != 3 {
        let half = word & 0xffff;
        return rvc::expand(half as u16)
            .map(|insn| Decoded { insn, len: 2 })
            .ok_or(Illegal { bits: half, len: 2 });
    }
    decode32(word)
        .map(|insn| Decoded { insn, len: 4 })
        .ok_or(Illegal { bits: word, len: 4 })
}

/// Decodes a 32-bit encoding.
pub fn decode32(w: u32) -> Option<Insn> {
    if w & 3 != 3 || w & 0x1c == 0x1c {
        // Compressed, or the 48-bit-and-longer encoding space.
        return None;
    }
    let bucket = &buckets()[((w >> 2) & 31) as usize];
    let op = *bucket.iter().find(|op| op.info().matches(w))?;
    Insn::from_bits(op, w)
}

/// Table rows grouped by major opcode (bits 6:2), built once.
fn buckets() -> &'static [Vec<Opcode>; 32] {
    static BUCKETS: OnceLock<[Vec<Opcode>; 32]> = OnceLock::new();
    BUCKETS.get_or_init(|| {
        let mut b: [Vec<Opcode>; 32] = Default::default();
        for row in TABLE {
            debug_assert_eq!(
                row.mask & 0x7f,
                0x7f,
                "{} must fix its major opcode",
                row.mnemonic
            );
            b[((row.bits >> 2) & 31) as usize].push(row.opcode);
        }
        b
    })
}
