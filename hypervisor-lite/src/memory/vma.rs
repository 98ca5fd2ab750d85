//! The set of mapped guest ranges (start → end, disjoint), for placement and unmapping.

use std::collections::BTreeMap;

pub type Vmas = BTreeMap<u64, u64>;

/// Removes `start..end` from the set, splitting ranges that straddle its ends.
pub fn remove(v: &mut Vmas, start: u64, end: u64) {
    if start >= end {
        return;
    }
    // A range starting before `start` may reach into it.
    if let Some((&s, &e)) = v.range(..start).next_back() {
        if e > start {
            v.insert(s, start);
            if e > end {
                v.insert(end, e);
            }
        }
    }
    let inside: Vec<(u64, u64)> = v.range(start..end).map(|(&s, &e)| (s, e)).collect();
    for (s, e) in inside {
        v.remove(&s);
        if e > end {
            v.insert(end, e);
        }
    }
}

/// Adds `start..end`, replacing any overlap.
pub fn insert(v: &mut Vmas, start: u64, end: u64) {
    remove(v, start, end);
    v.insert(start, end);
}

pub fn overlaps(v: &Vmas, start: u64, end: u64) -> bool {
    if let Some((_, &e)) = v.range(..start).next_back() {
        if e > start {
            return true;
        }
    }
    v.range(start..end).next().is_some()
}

/// The parts of the ranges that lie in `start..end`, in order.
pub fn clipped(v: &Vmas, start: u64, end: u64) -> Vec<(u64, u64)> {
    let first = match v.range(..start).next_back() {
        Some((&s, _)) => s,
        None => start,
    };
    v.range(first..end)
        .map(|(&s, &e)| (s.max(start), e.min(end)))
        .filter(|(s, e)| s < e)
        .collect()
}

pub fn containing(v: &Vmas, addr: u64) -> Option<(u64, u64)> {
    let (&s, &e) = v.range(..=addr).next_back()?;
    (addr < e).then_some((s, e))
}

/// The highest `align`-aligned start of a gap of `len` bytes whose end is at most `top`,
/// and whose start is at least `bottom`.
pub fn find_free_top_down(v: &Vmas, len: u64, align: u64, bottom: u64, top: u64) -> Option<u64> {
    let mut hi = top;
    let fits = |lo: u64, hi: u64| -> Option<u64> {
        let s = hi.checked_sub(len)? & !(align - 1);
        (s >= lo.max(bottom)).then_some(s)
    };
    for (&s, &e) in v.range(..top).rev() {
        if e < hi {
            if let Some(a) = fits(e, hi) {
                return Some(a);
            }
        }
        hi = hi.min(s);
    }
    fits(0, hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_and_find() {
        let mut v = Vmas::new();
        insert(&mut v, 0x1000, 0x5000);
        remove(&mut v, 0x2000, 0x3000);
        assert_eq!(
            v.iter().map(|(&a, &b)| (a, b)).collect::<Vec<_>>(),
            [(0x1000, 0x2000), (0x3000, 0x5000)]
        );
        assert!(overlaps(&v, 0x4fff, 0x6000));
        assert!(!overlaps(&v, 0x2000, 0x3000));
        assert_eq!(containing(&v, 0x3000), Some((0x3000, 0x5000)));
        assert_eq!(
            find_free_top_down(&v, 0x1000, 0x1000, 0x1000, 0x5000),
            Some(0x2000)
        );
        assert_eq!(find_free_top_down(&v, 0x2000, 0x1000, 0x1000, 0x5000), None);
        assert_eq!(
            find_free_top_down(&v, 0x1000, 0x1000, 0, 0x9000),
            Some(0x8000)
        );
    }
}
