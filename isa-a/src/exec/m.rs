//! M: multiplication and division. Division never traps: by zero it gives all ones (quotient)
//! or the dividend (remainder); the one signed overflow gives the dividend and zero.

/// `mulh`: high 64 bits of signed × signed.
pub(super) fn mulh(x: u64, y: u64) -> u64 {
    ((x as i64 as i128 * y as i64 as i128) >> 64) as u64
}
/// `mulhsu`: high 64 bits of signed × unsigned.
pub(super) fn mulhsu(x: u64, y: u64) -> u64 {
    ((x as i64 as i128).wrapping_mul(y as i128) >> 64) as u64
}
/// `mulhu`: high 64 bits of unsigned × unsigned.
pub(super) fn mulhu(x: u64, y: u64) -> u64 {
    ((x as u128 * y as u128) >> 64) as u64
}

pub(super) fn div(x: u64, y: u64) -> u64 {
    match (x as i64, y as i64) {
        (_, 0) => u64::MAX,
        (x, y) => x.wrapping_div(y) as u64,
    }
}
pub(super) fn divu(x: u64, y: u64) -> u64 {
    x.checked_div(y).unwrap_or(u64::MAX)
}
pub(super) fn rem(x: u64, y: u64) -> u64 {
    match (x as i64, y as i64) {
        (x, 0) => x as u64,
        (x, y) => x.wrapping_rem(y) as u64,
    }
}
pub(super) fn remu(x: u64, y: u64) -> u64 {
    x.checked_rem(y).unwrap_or(x)
}

// The word forms work on the low 32 bits; the caller sign-extends the 32-bit result.
pub(super) fn divw(x: u64, y: u64) -> u64 {
    match (x as i32, y as i32) {
        (_, 0) => u64::MAX,
        (x, y) => x.wrapping_div(y) as u64,
    }
}
pub(super) fn divuw(x: u64, y: u64) -> u64 {
    (x as u32).checked_div(y as u32).unwrap_or(u32::MAX) as u64
}
pub(super) fn remw(x: u64, y: u64) -> u64 {
    match (x as i32, y as i32) {
        (x, 0) => x as u64,
        (x, y) => x.wrapping_rem(y) as u64,
    }
}
pub(super) fn remuw(x: u64, y: u64) -> u64 {
    let (x, y) = (x as u32, y as u32);
    x.checked_rem(y).unwrap_or(x) as u64
}
