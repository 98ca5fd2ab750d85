//! The guest ranges reported written, as the code cache's syncs took them from the bus, kept
//! for the engines' own decoded blocks.
//!
//! A report is taken once, by whichever engine syncs first; the shared translated code is
//! then up to date for every engine, but an engine's interpreted blocks are its own. Each
//! engine keeps a cursor into this log and checks its blocks against every range reported
//! since its last sync, whoever took it: checking only what its own sync took would keep a
//! block another thread's `fence.i` had already seen rewritten.

use std::collections::VecDeque;

/// Ranges kept; an engine further behind drops all its decoded blocks.
const KEPT: usize = 4096;

/// Reported ranges in report order, each numbered; `None` marks reports lost.
pub struct WrittenLog {
    /// The number of the first entry kept.
    first: u64,
    entries: VecDeque<Option<(u64, u64)>>,
}

impl Default for WrittenLog {
    fn default() -> Self {
        Self::new()
    }
}

impl WrittenLog {
    pub fn new() -> WrittenLog {
        WrittenLog {
            first: 0,
            entries: VecDeque::new(),
        }
    }

    /// The number the next entry will have: a cursor that has seen everything so far.
    pub fn end(&self) -> u64 {
        self.first + self.entries.len() as u64
    }

    /// Records the ranges one sync took.
    pub fn push(&mut self, ranges: &[(u64, u64)]) {
        self.entries.extend(ranges.iter().map(|&r| Some(r)));
        self.trim();
    }

    /// Records that reports were lost: any page may have been written.
    pub fn lost(&mut self) {
        self.entries.push_back(None);
        self.trim();
    }

    fn trim(&mut self) {
        while self.entries.len() > KEPT {
            self.entries.pop_front();
            self.first += 1;
        }
    }

    /// The ranges reported since `cursor` (a former [`WrittenLog::end`]), or None if they
    /// are not all known (lost, or no longer kept).
    pub fn since(&self, cursor: u64) -> Option<Vec<(u64, u64)>> {
        let skip = cursor.checked_sub(self.first)?;
        self.entries
            .iter()
            .skip(usize::try_from(skip).ok()?)
            .copied()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_sees_what_others_took_since() {
        let mut log = WrittenLog::new();
        let a = log.end();
        log.push(&[(0x1000, 0x1004)]);
        let b = log.end();
        log.push(&[(0x2000, 0x2008), (0x3000, 0x3001)]);
        assert_eq!(
            log.since(a),
            Some(vec![(0x1000, 0x1004), (0x2000, 0x2008), (0x3000, 0x3001)])
        );
        assert_eq!(log.since(b), Some(vec![(0x2000, 0x2008), (0x3000, 0x3001)]));
        assert_eq!(log.since(log.end()), Some(vec![]));
        log.lost();
        assert_eq!(log.since(b), None);
        let c = log.end();
        log.push(&[(0x4000, 0x4002)]);
        assert_eq!(log.since(c), Some(vec![(0x4000, 0x4002)]));
    }

    #[test]
    fn a_cursor_left_behind_knows_it() {
        let mut log = WrittenLog::new();
        let old = log.end();
        for i in 0..KEPT as u64 + 1 {
            log.push(&[(i, i + 1)]);
        }
        assert_eq!(log.since(old), None);
        assert_eq!(log.since(1).map(|v| v.len()), Some(KEPT));
    }
}
