//! What each guest mapping is — its file and offset, or `[stack]`, or anonymous memory — for
//! the guest's /proc/self/maps. The address space knows only pages and permissions; this
//! table holds the names, kept beside it by the loader and the mm calls.
//!
//! ```text
//!   loader (segments, gaps, [stack]) ─┐
//!   mmap / mremap / munmap ───────────┼─▶ Regions: start → Region (end, offset, name)
//!   brk (shown as [heap] when listed) ┘      │ disjoint; a new region replaces the overlap
//!                                            ▼
//!                                  syscall::procfs lists them with the page table's perms
//! ```

use std::collections::BTreeMap;
use std::path::Path;

/// What a range of guest memory holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Name {
    Anon,
    /// A file's bytes: its path as the host names it, device and inode.
    File {
        path: Vec<u8>,
        dev: u64,
        ino: u64,
    },
    Stack,
    /// The brk area.
    Heap,
}

impl Name {
    /// The file at `path` (made absolute, as Linux names it), with its device and inode
    /// (0 when it cannot be stat'ed).
    pub fn file(path: &Path) -> Name {
        let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let (dev, ino) = std::fs::metadata(&path)
            .map(|m| {
                use std::os::unix::fs::MetadataExt;
                (m.dev(), m.ino())
            })
            .unwrap_or((0, 0));
        Name::File {
            path: path.as_os_str().as_encoded_bytes().to_vec(),
            dev,
            ino,
        }
    }
}

/// One mapping: `start..end` (the key is `start`), the file offset of `start`, and whether
/// it was mapped shared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Region {
    pub start: u64,
    pub end: u64,
    pub offset: u64,
    pub name: Name,
    pub shared: bool,
}

impl Region {
    pub fn anon(start: u64, end: u64) -> Region {
        Region {
            start,
            end,
            offset: 0,
            name: Name::Anon,
            shared: false,
        }
    }

    /// The part of this region within `start..end` (which must overlap it).
    fn clip(&self, start: u64, end: u64) -> Region {
        let s = self.start.max(start);
        Region {
            start: s,
            end: self.end.min(end),
            offset: match self.name {
                Name::File { .. } => self.offset + (s - self.start),
                _ => 0,
            },
            ..self.clone()
        }
    }
}

/// The guest's mappings by start address, disjoint.
#[derive(Clone, Debug, Default)]
pub struct Regions(BTreeMap<u64, Region>);

impl Regions {
    /// Forgets `start..end`, keeping the parts of regions outside it.
    pub fn remove(&mut self, start: u64, end: u64) {
        if start >= end {
            return;
        }
        let hit: Vec<u64> = self.overlapping(start, end).map(|r| r.start).collect();
        for key in hit {
            let r = self.0.remove(&key).expect("listed");
            if r.start < start {
                self.0.insert(r.start, r.clip(r.start, start));
            }
            if r.end > end {
                self.0.insert(end, r.clip(end, r.end));
            }
        }
    }

    /// Records `r`, replacing whatever overlapped it.
    pub fn insert(&mut self, r: Region) {
        if r.start < r.end {
            self.remove(r.start, r.end);
            self.0.insert(r.start, r);
        }
    }

    /// Moves what `old..old+len` holds to `new..new+len` (mremap).
    pub fn relocate(&mut self, old: u64, new: u64, len: u64) {
        let moved: Vec<Region> = self
            .overlapping(old, old + len)
            .map(|r| r.clip(old, old + len))
            .collect();
        self.remove(old, old + len);
        self.remove(new, new + len);
        for r in moved {
            let delta = r.start - old;
            let size = r.end - r.start;
            self.insert(Region {
                start: new + delta,
                end: new + delta + size,
                ..r
            });
        }
    }

    /// Regions overlapping `start..end`, in address order.
    pub fn overlapping(&self, start: u64, end: u64) -> impl Iterator<Item = &Region> {
        let first = self
            .0
            .range(..=start)
            .next_back()
            .filter(|(_, r)| r.end > start)
            .map(|(&k, _)| k)
            .unwrap_or(start);
        self.0.range(first..end).map(|(_, r)| r)
    }

    /// Every region, in address order.
    pub fn iter(&self) -> impl Iterator<Item = &Region> {
        self.0.values()
    }

    /// The region holding `addr`.
    pub fn at(&self, addr: u64) -> Option<&Region> {
        self.overlapping(addr, addr + 1).next()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(start: u64, end: u64, offset: u64) -> Region {
        Region {
            start,
            end,
            offset,
            name: Name::File {
                path: b"/f".to_vec(),
                dev: 1,
                ino: 2,
            },
            shared: false,
        }
    }

    #[test]
    fn punching_a_hole_keeps_file_offsets() {
        let mut r = Regions::default();
        r.insert(file(0x1000, 0x5000, 0x10000));
        r.remove(0x2000, 0x3000);
        let v: Vec<_> = r.iter().map(|x| (x.start, x.end, x.offset)).collect();
        assert_eq!(v, [(0x1000, 0x2000, 0x10000), (0x3000, 0x5000, 0x12000)]);
        r.insert(Region::anon(0x4000, 0x6000));
        let v: Vec<_> = r.iter().map(|x| (x.start, x.end, x.offset)).collect();
        assert_eq!(
            v,
            [
                (0x1000, 0x2000, 0x10000),
                (0x3000, 0x4000, 0x12000),
                (0x4000, 0x6000, 0)
            ]
        );
        assert_eq!(r.at(0x3fff).map(|x| x.offset), Some(0x12000));
        assert!(r.at(0x2000).is_none());
    }

    #[test]
    fn relocation_moves_names() {
        let mut r = Regions::default();
        r.insert(file(0x1000, 0x3000, 0));
        r.relocate(0x2000, 0x9000, 0x1000);
        let v: Vec<_> = r.iter().map(|x| (x.start, x.end, x.offset)).collect();
        assert_eq!(v, [(0x1000, 0x2000, 0), (0x9000, 0xa000, 0x1000)]);
    }
}

/// What the guest was started with, as /proc/self/{auxv,stat} report it.
#[derive(Clone, Debug, Default)]
pub struct Startup {
    /// The initial stack pointer (where argc is).
    pub sp: u64,
    /// The auxiliary vector, (key, value) words up to and including AT_NULL.
    pub auxv: Vec<u8>,
    /// Where the argument and environment strings lie.
    pub args: (u64, u64),
    pub env: (u64, u64),
}
