//! /proc/self/maps of the guest: its regions (names, offsets) with the page table's
//! permissions, one line per run of equal pages, in Linux's format.

use crate::memory::{page_up, perm, AddressSpace, PAGE};
use crate::regions::{Name, Region};
use crate::state::{lock, Shared};
use std::fmt::Write;

/// One line of the listing: a run of pages with the same permissions and name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub start: u64,
    pub end: u64,
    pub bits: u8,
    pub offset: u64,
    pub name: Name,
    pub shared: bool,
}

impl Line {
    /// Whether `next` continues this line as one mapping (Linux merges such neighbours).
    fn continued_by(&self, next: &Line) -> bool {
        self.end == next.start
            && self.bits == next.bits
            && self.shared == next.shared
            && self.name == next.name
            && match self.name {
                Name::File { .. } => self.offset + (self.end - self.start) == next.offset,
                _ => true,
            }
    }
}

/// The guest's mappings, split where permissions change, with the brk area as [heap].
pub fn lines(shared: &Shared) -> Vec<Line> {
    let space = shared.space();
    let regions = lock(&shared.regions);
    let heap = (space.brk_start, page_up(space.brk).unwrap_or(space.brk));
    let mut out: Vec<Line> = Vec::new();
    for r in regions.iter() {
        runs(&space, r, heap, &mut out);
    }
    out
}

fn runs(space: &AddressSpace, r: &Region, heap: (u64, u64), out: &mut Vec<Line>) {
    let mut at = r.start;
    while at < r.end {
        let bits = space.perm_at(at);
        let mut end = at + PAGE;
        while end < r.end && space.perm_at(end) == bits {
            end += PAGE;
        }
        if bits & perm::MAPPED != 0 {
            let in_heap = r.name == Name::Anon && at >= heap.0 && end <= heap.1;
            let line = Line {
                start: at,
                end,
                bits,
                offset: match r.name {
                    Name::File { .. } => r.offset + (at - r.start),
                    _ => 0,
                },
                name: if in_heap { Name::Heap } else { r.name.clone() },
                shared: r.shared,
            };
            match out.last_mut() {
                Some(last) if last.continued_by(&line) => last.end = line.end,
                _ => out.push(line),
            }
        }
        at = end;
    }
}

/// The mappings as qemu's `-d page` shows them after `what` changed them: a table of
/// start, end, size and protection, neighbours of equal protection as one row.
pub fn page_table(shared: &Shared, what: &str) -> String {
    let mut rows: Vec<(u64, u64, u8)> = Vec::new();
    for l in lines(shared) {
        let bits = l.bits & (perm::R | perm::W | perm::X);
        match rows.last_mut() {
            Some(last) if last.1 == l.start && last.2 == bits => last.1 = l.end,
            _ => rows.push((l.start, l.end, bits)),
        }
    }
    let mut s = format!(
        "page layout changed following {what}\n{:<16} {:<16} {:<16} prot\n",
        "start", "end", "size"
    );
    for (start, end, bits) in rows {
        let flag = |bit: u8, c: char| if bits & bit != 0 { c } else { '-' };
        let _ = writeln!(
            s,
            "{start:016x}-{end:016x} {:016x} {}{}{}",
            end - start,
            flag(perm::R, 'r'),
            flag(perm::W, 'w'),
            flag(perm::X, 'x'),
        );
    }
    s
}

/// The text of /proc/self/maps.
pub fn text(shared: &Shared) -> Vec<u8> {
    let mut s = String::new();
    for l in lines(shared) {
        let flag = |bit: u8, c: char| if l.bits & bit != 0 { c } else { '-' };
        let (dev, ino, name) = match &l.name {
            Name::File { path, dev, ino } => {
                (*dev, *ino, String::from_utf8_lossy(path).into_owned())
            }
            Name::Anon => (0, 0, String::new()),
            Name::Stack => (0, 0, "[stack]".into()),
            Name::Heap => (0, 0, "[heap]".into()),
        };
        let line_start = s.len();
        let _ = write!(
            s,
            "{:08x}-{:08x} {}{}{}{} {:08x} {:02x}:{:02x} {} ",
            l.start,
            l.end,
            flag(perm::R, 'r'),
            flag(perm::W, 'w'),
            flag(perm::X, 'x'),
            if l.shared { 's' } else { 'p' },
            l.offset,
            libc::major(dev),
            libc::minor(dev),
            ino,
        );
        if !name.is_empty() {
            // Linux pads the fields to 72 columns, then a space, then the name.
            while s.len() - line_start < 72 {
                s.push(' ');
            }
            s.push(' ');
            s.push_str(&name);
        }
        s.push('\n');
    }
    s.into_bytes()
}

/// Sizes for stat and status, in bytes.
#[derive(Default)]
pub struct Sizes {
    pub total: u64,
    pub resident: u64,
    pub data: u64,
    pub stack: u64,
    pub exe: u64,
}

pub fn sizes(shared: &Shared) -> Sizes {
    let base = shared.space().layout().base as u64;
    let mut s = Sizes::default();
    for l in lines(shared) {
        let len = l.end - l.start;
        s.total += len;
        s.resident += resident(base + l.start, len);
        match l.name {
            Name::Stack => s.stack += len,
            Name::File { .. } if l.bits & perm::X != 0 => s.exe += len,
            Name::Anon | Name::Heap if l.bits & perm::W != 0 => s.data += len,
            _ => {}
        }
    }
    s
}

/// Bytes of host pages present at `addr..addr+len` (guest pages, by their host address).
fn resident(addr: u64, len: u64) -> u64 {
    const CHUNK: u64 = 1 << 30;
    let mut n = 0;
    let mut at = addr;
    while at < addr + len {
        let size = (addr + len - at).min(CHUNK);
        let mut v = vec![0u8; (size / PAGE) as usize];
        // SAFETY: `v` has one byte per page of `at..at+size`, a range of mapped guest pages
        // inside mimic's own reservation; mincore only reports on them.
        let r = unsafe { libc::mincore(at as *mut libc::c_void, size as usize, v.as_mut_ptr()) };
        if r == 0 {
            n += v.iter().filter(|&&b| b & 1 != 0).count() as u64 * PAGE;
        }
        at += size;
    }
    n
}
