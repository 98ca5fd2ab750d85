//! The BMI1 and BMI2 integer forms: three operands, the destination apart from the sources,
//! and the flags left alone (`andn` aside). Only for a host that has them (features.rs).

use super::operand::{r32, r64, Gpr, Shift, W};
use super::Emitter;

impl Emitter {
    /// `d = ror(s, n)` at width `w` (32 or 64; a 32-bit result zero-extended), flags
    /// untouched (`rorx`, BMI2).
    pub fn rorx(&mut self, w: W, d: Gpr, s: Gpr, n: u8) {
        let (a, n) = (&mut self.asm, n as u32);
        match w {
            W::B64 => a.rorx(r64(d), r64(s), n),
            W::B32 => a.rorx(r32(d), r32(s), n),
            _ => unimplemented!("rorx of {w:?}"),
        }
        .expect("rorx");
    }

    /// `d = s op count`, the count masked to the width as RISC-V masks it too, flags
    /// untouched (`shlx`/`shrx`/`sarx`, BMI2; a 32-bit result zero-extended). No rotate.
    pub fn shiftx(&mut self, op: Shift, w: W, d: Gpr, s: Gpr, count: Gpr) {
        let a = &mut self.asm;
        match (w, op) {
            (W::B64, Shift::Shl) => a.shlx(r64(d), r64(s), r64(count)),
            (W::B64, Shift::Shr) => a.shrx(r64(d), r64(s), r64(count)),
            (W::B64, Shift::Sar) => a.sarx(r64(d), r64(s), r64(count)),
            (W::B32, Shift::Shl) => a.shlx(r32(d), r32(s), r32(count)),
            (W::B32, Shift::Shr) => a.shrx(r32(d), r32(s), r32(count)),
            (W::B32, Shift::Sar) => a.sarx(r32(d), r32(s), r32(count)),
            _ => unimplemented!("{op:?}x of {w:?}"),
        }
        .expect("shiftx");
    }

    /// `hi = high half of rdx * s`, unsigned, 64 bits (`mulx hi, hi, s`: with both
    /// destinations the same register, it takes the high half). The flags stay.
    pub fn mulx_high(&mut self, hi: Gpr, s: Gpr) {
        self.asm.mulx(r64(hi), r64(hi), r64(s)).expect("mulx");
    }

    /// `d = !x & y`, 64 bits (`andn`, BMI1).
    pub fn andn(&mut self, d: Gpr, x: Gpr, y: Gpr) {
        self.asm.andn(r64(d), r64(x), r64(y)).expect("andn");
    }
}
