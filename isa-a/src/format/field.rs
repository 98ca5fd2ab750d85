//! Where each operand sits in a 32-bit word: one codec per field position, and the only code
//! that knows a bit position. Immediates come out sign-extended and scaled.

use crate::reg::{FReg, Rm, XReg};

#[inline(always)]
const fn bits(w: u32, lo: u32, len: u32) -> u32 {
    (w >> lo) & ((1 << len) - 1)
}

/// Sign-extends the low `n` bits of `v`.
#[inline(always)]
const fn sext(v: u32, n: u32) -> i32 {
    let s = 32 - n;
    ((v << s) as i32) >> s
}

/// A field position that holds a `T`.
pub(super) trait Field<T> {
    /// The operand, or `None` when the field holds a value the ISA reserves.
    fn get(w: u32) -> Option<T>;
    /// The operand's bits in place (bits outside the field are zero).
    fn put(v: T) -> u32;
}

/// A register file: register fields hold either kind.
pub(super) trait RegFile: Copy {
    fn from_num(n: u32) -> Self;
    fn to_num(self) -> u32;
}

impl RegFile for XReg {
    fn from_num(n: u32) -> Self {
        XReg::new(n)
    }
    fn to_num(self) -> u32 {
        self.num() as u32
    }
}

impl RegFile for FReg {
    fn from_num(n: u32) -> Self {
        FReg::new(n)
    }
    fn to_num(self) -> u32 {
        self.num() as u32
    }
}

/// Plain bit ranges: `$name` holds `$len` bits at `$lo`, as a register or an unsigned number.
macro_rules! plain_fields {
    ($($(#[$m:meta])* $name:ident @ $lo:literal : $len:literal;)*) => {$(
        $(#[$m])*
        pub(super) enum $name {}
        impl<R: RegFile> Field<R> for $name {
            #[inline(always)]
            fn get(w: u32) -> Option<R> {
                Some(R::from_num(bits(w, $lo, $len)))
            }
            #[inline(always)]
            fn put(r: R) -> u32 {
                (r.to_num() & ((1 << $len) - 1)) << $lo
            }
        }
        impl Field<u32> for $name {
            #[inline(always)]
            fn get(w: u32) -> Option<u32> {
                Some(bits(w, $lo, $len))
            }
            #[inline(always)]
            fn put(v: u32) -> u32 {
                (v & ((1 << $len) - 1)) << $lo
            }
        }
        impl Field<bool> for $name {
            #[inline(always)]
            fn get(w: u32) -> Option<bool> {
                Some(bits(w, $lo, $len) != 0)
            }
            #[inline(always)]
            fn put(v: bool) -> u32 {
                (v as u32) << $lo
            }
        }
    )*};
}

plain_fields! {
    /// rd, bits 11:7.
    Rd @ 7:5;
    /// rs1, bits 19:15 (also csrr*i's zero-extended immediate).
    Rs1 @ 15:5;
    /// rs2, bits 24:20.
    Rs2 @ 20:5;
    /// rs3, bits 31:27.
    Rs3 @ 27:5;
    /// A 6-bit shift amount, bits 25:20.
    Shamt6 @ 20:6;
    /// A 5-bit shift amount, bits 24:20.
    Shamt5 @ 20:5;
    /// A CSR number, bits 31:20.
    CsrNum @ 20:12;
    /// The acquire bit of an atomic, bit 26.
    Aq @ 26:1;
    /// The release bit, bit 25.
    Rl @ 25:1;
    /// A fence's mode, bits 31:28.
    FenceMode @ 28:4;
    /// A fence's predecessor set, bits 27:24.
    Pred @ 24:4;
    /// A fence's successor set, bits 23:20.
    Succ @ 20:4;
}

/// The rounding mode, bits 14:12; 5 and 6 are reserved.
pub(super) enum RoundingMode {}
impl Field<Rm> for RoundingMode {
    #[inline(always)]
    fn get(w: u32) -> Option<Rm> {
        Rm::from_bits(bits(w, 12, 3))
    }
    #[inline(always)]
    fn put(rm: Rm) -> u32 {
        rm.bits() << 12
    }
}

/// Scattered immediates, each with its own layout.
macro_rules! imm_fields {
    ($($(#[$m:meta])* $name:ident: |$w:ident| $get:expr, |$v:ident| $put:expr;)*) => {$(
        $(#[$m])*
        pub(super) enum $name {}
        impl Field<i32> for $name {
            #[inline(always)]
            fn get($w: u32) -> Option<i32> {
                Some($get)
            }
            #[inline(always)]
            fn put(imm: i32) -> u32 {
                let $v = imm as u32;
                $put
            }
        }
    )*};
}

imm_fields! {
    /// I-type: imm[11:0] = 31:20.
    ImmI: |w| (w as i32) >> 20, |v| (v & 0xfff) << 20;
    /// S-type: imm[11:5] = 31:25, imm[4:0] = 11:7.
    ImmS: |w| sext((bits(w, 25, 7) << 5) | bits(w, 7, 5), 12),
          |v| (bits(v, 5, 7) << 25) | (bits(v, 0, 5) << 7);
    /// B-type: imm[12] = 31, imm[11] = 7, imm[10:5] = 30:25, imm[4:1] = 11:8.
    ImmB: |w| sext(
              (bits(w, 31, 1) << 12) | (bits(w, 7, 1) << 11) | (bits(w, 25, 6) << 5) | (bits(w, 8, 4) << 1),
              13,
          ),
          |v| (bits(v, 12, 1) << 31) | (bits(v, 11, 1) << 7) | (bits(v, 5, 6) << 25) | (bits(v, 1, 4) << 8);
    /// U-type: imm[31:12] = 31:12; the value keeps its low 12 bits zero.
    ImmU: |w| (w & 0xffff_f000) as i32, |v| v & 0xffff_f000;
    /// J-type: imm[20] = 31, imm[10:1] = 30:21, imm[11] = 20, imm[19:12] = 19:12.
    ImmJ: |w| sext(
              (bits(w, 31, 1) << 20) | (bits(w, 12, 8) << 12) | (bits(w, 20, 1) << 11) | (bits(w, 21, 10) << 1),
              21,
          ),
          |v| (bits(v, 20, 1) << 31) | (bits(v, 12, 8) << 12) | (bits(v, 11, 1) << 20) | (bits(v, 1, 10) << 21);
}
