// TEMPORARY signatures until the real module lands; never committed.
#![allow(unused)]
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Round {
    Rne,
    Rtz,
    Rdn,
    Rup,
    Rmm,
}
pub const NV: u8 = 0x10;
pub const DZ: u8 = 0x08;
pub const OF: u8 = 0x04;
pub const UF: u8 = 0x02;
pub const NX: u8 = 0x01;
pub enum F32 {}
pub enum F64 {}
pub trait Fmt {}
impl Fmt for F32 {}
impl Fmt for F64 {}
pub fn add<F: Fmt>(a: u64, b: u64, rm: Round, fl: &mut u8) -> u64 {
    todo!()
}
pub fn sub<F: Fmt>(a: u64, b: u64, rm: Round, fl: &mut u8) -> u64 {
    todo!()
}
pub fn mul<F: Fmt>(a: u64, b: u64, rm: Round, fl: &mut u8) -> u64 {
    todo!()
}
pub fn div<F: Fmt>(a: u64, b: u64, rm: Round, fl: &mut u8) -> u64 {
    todo!()
}
pub fn sqrt<F: Fmt>(a: u64, rm: Round, fl: &mut u8) -> u64 {
    todo!()
}
pub fn fma<F: Fmt>(a: u64, b: u64, c: u64, rm: Round, fl: &mut u8) -> u64 {
    todo!()
}
pub fn min<F: Fmt>(a: u64, b: u64, fl: &mut u8) -> u64 {
    todo!()
}
pub fn max<F: Fmt>(a: u64, b: u64, fl: &mut u8) -> u64 {
    todo!()
}
pub fn eq<F: Fmt>(a: u64, b: u64, fl: &mut u8) -> bool {
    todo!()
}
pub fn lt<F: Fmt>(a: u64, b: u64, fl: &mut u8) -> bool {
    todo!()
}
pub fn le<F: Fmt>(a: u64, b: u64, fl: &mut u8) -> bool {
    todo!()
}
pub fn classify<F: Fmt>(a: u64) -> u64 {
    todo!()
}
pub fn to_int<F: Fmt>(a: u64, signed: bool, width: u32, rm: Round, fl: &mut u8) -> u64 {
    todo!()
}
pub fn from_int<F: Fmt>(v: u64, signed: bool, width: u32, rm: Round, fl: &mut u8) -> u64 {
    todo!()
}
pub fn f32_to_f64(a: u64, fl: &mut u8) -> u64 {
    todo!()
}
pub fn f64_to_f32(a: u64, rm: Round, fl: &mut u8) -> u64 {
    todo!()
}
