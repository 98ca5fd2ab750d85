//! The snapshot file format, declared once.
//!
//! ```text
//!   Header (magic, format version, mimic version, total length, record count)
//!   Record*: RecordHead (kind, flags, stored length, raw length) + payload
//!            payload = the kind's declared fixed part, then its variable tail (bytes)
//!   Trailer (CRC-32 of every byte before it)
//! ```
//!
//! Every fixed part is a [`layout!`] declaration, so its fields, offsets and sizes are a
//! table ([`Layout::DESC`]) that the file itself carries: the first record is the schema,
//! the text of every record's table, so a reader can tell what each byte is without this
//! source. Integers are little-endian. A payload may be LZ4-compressed (flag bit 0): page
//! contents and file contents are; the rest is small. Marshalling is field by field through
//! the declarations, never a copy of a Rust value's bytes.

use crate::abi::layout::{layout, Field, Layout};

/// The first eight bytes of every snapshot.
pub const MAGIC: [u8; 8] = *b"MIMICSNP";
/// The format this mimic writes and reads.
pub const VERSION: u32 = 1;
/// Payload flag: LZ4 block-compressed (the raw length in the head).
pub const COMPRESSED: u32 = 1;

/// The mimic that writes the file: a snapshot is resumed only by the same mimic version,
/// whose emulated kernel objects mean the same.
pub fn mimic_version() -> [u8; 32] {
    let mut v = [0u8; 32];
    let s = concat!("mimic ", env!("CARGO_PKG_VERSION"));
    v[..s.len()].copy_from_slice(s.as_bytes());
    v
}

/// A version field as text.
pub fn version_text(v: &[u8; 32]) -> String {
    let end = v.iter().position(|&b| b == 0).unwrap_or(v.len());
    String::from_utf8_lossy(&v[..end]).into_owned()
}

layout! {
    /// The file header.
    pub struct Header = "header", size 64, align 8 {
        0 magic: [u8; 8],
        8 version: u32,
        12 records: u32,
        16 length "total_length": u64,
        24 mimic: [u8; 32],
    }

    /// Every record starts with this.
    pub struct RecordHead = "record", size 24, align 8 {
        0 kind: u32,
        4 flags: u32,
        8 stored: u64,
        16 raw: u64,
    }

    /// The trailer: the CRC-32 of every byte before it.
    pub struct Trailer = "trailer", size 8, align 4 {
        0 crc: u32,
        4 magic: [u8; 4],
    }

    /// The process: ids, memory layout, where it was stopped, the deterministic
    /// scheduler's state. Tail: none.
    pub struct ProcessRec = "process", size 144, align 8 {
        0 pid: i32,
        4 deterministic: u8,
        5 engine: u8,
        8 stack_size: u64,
        16 brk_start: u64,
        24 brk: u64,
        32 mmap_base: u64,
        40 sigreturn_tramp: u64,
        48 retired "retired_by_exited": u64,
        56 startup_sp: u64,
        64 args: [u64; 2],
        80 env: [u64; 2],
        96 next_tid: i32,
        100 next_index: u32,
        104 vnow: u64,
        112 turn_instret: u64,
        120 skipped: u64,
        128 taken_at "retired_at_snapshot": u64,
        136 threads: u32,
    }

    /// Strings of the process (which: see [`Strings`]); tail: NUL-terminated strings.
    pub struct StringsRec = "strings", size 8, align 4 {
        0 which: u32,
        4 count: u32,
    }

    /// One thread, stopped between instructions. Tail: none.
    pub struct ThreadRec = "thread", size 656, align 8 {
        0 tid: i32,
        4 wait: u8,
        5 has_saved_mask: u8,
        6 has_deadline: u8,
        8 pc: u64,
        16 x: [u64; 32],
        272 f: [u64; 32],
        528 fcsr: u32,
        536 instret: u64,
        544 reservation: u64,
        552 reservation_value: u64,
        560 mask "sigmask": u64,
        568 altstack: [u64; 2],
        584 clear_child_tid: u64,
        592 robust_list: [u64; 2],
        608 pending "pending_bits": u64,
        616 deadline "wait_deadline": u64,
        624 saved_mask: u64,
        632 instret_published: u64,
        640 reserved: [u64; 2],
    }

    /// A pending signal's siginfo. Tail: the 128-byte riscv64 siginfo_t.
    pub struct SigInfoRec = "pending_siginfo", size 8, align 4 {
        0 tid: i32,
        4 sig: u32,
    }

    /// One signal's disposition. Tail: none.
    pub struct ActionRec = "sigaction", size 32, align 8 {
        0 sig: u32,
        8 handler: u64,
        16 flags: u64,
        24 mask: u64,
    }

    /// A mapped range. Tail: the permission table byte of each page (see memory::perm).
    pub struct RangeRec = "range", size 16, align 8 {
        0 start: u64,
        8 end: u64,
    }

    /// Pages with content (the rest of every range is zero). Tail: count pages of bytes.
    pub struct PagesRec = "pages", size 16, align 8 {
        0 start: u64,
        8 count: u64,
    }

    /// A /proc/self/maps entry. Tail: a file region's path.
    pub struct RegionRec = "region", size 48, align 8 {
        0 start: u64,
        8 end: u64,
        16 offset: u64,
        24 dev: u64,
        32 ino: u64,
        40 name: u8,
        41 shared: u8,
    }

    /// A file the code came from (code by hash). Tail: its path.
    pub struct CodeRec = "code_file", size 48, align 8 {
        0 role: u8,
        8 size: u64,
        16 sha256: [u8; 32],
    }

    /// A descriptor and how it is rebound (see bind.rs). Tail: the path (identifier,
    /// type), or path NUL content (value).
    pub struct FdRec = "descriptor", size 80, align 8 {
        0 fd: i32,
        4 binding: u8,
        5 kind: u8,
        6 paired: u8,
        8 flags "status_flags": u32,
        12 fd_flags: u32,
        16 offset: u64,
        24 size: u64,
        32 sha256: [u8; 32],
        64 ino: u64,
        72 dev: u64,
    }

    /// A deterministic-mode futex waiter. Tail: none.
    pub struct FutexRec = "futex_waiter", size 16, align 8 {
        0 tid: i32,
        4 bitset: u32,
        8 addr: u64,
    }
}

/// Record kinds, in the order a snapshot holds them.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Text: every record's declared table.
    Schema = 1,
    Process = 2,
    Strings = 3,
    Code = 4,
    Range = 5,
    Pages = 6,
    Region = 7,
    Action = 8,
    Thread = 9,
    SigInfo = 10,
    Futex = 11,
    Woken = 12,
    Fd = 13,
}

impl Kind {
    pub const ALL: [Kind; 13] = [
        Kind::Schema,
        Kind::Process,
        Kind::Strings,
        Kind::Code,
        Kind::Range,
        Kind::Pages,
        Kind::Region,
        Kind::Action,
        Kind::Thread,
        Kind::SigInfo,
        Kind::Futex,
        Kind::Woken,
        Kind::Fd,
    ];

    pub fn from_u32(k: u32) -> Option<Kind> {
        Kind::ALL.into_iter().find(|x| *x as u32 == k)
    }

    /// The declared fixed part of the kind's payload (none for the schema's text).
    pub fn desc(self) -> Option<&'static crate::abi::layout::Desc> {
        Some(match self {
            Kind::Schema => return None,
            Kind::Process => &ProcessRec::DESC,
            Kind::Strings => &StringsRec::DESC,
            Kind::Code => &CodeRec::DESC,
            Kind::Range => &RangeRec::DESC,
            Kind::Pages => &PagesRec::DESC,
            Kind::Region => &RegionRec::DESC,
            Kind::Action => &ActionRec::DESC,
            Kind::Thread => &ThreadRec::DESC,
            Kind::SigInfo => &SigInfoRec::DESC,
            Kind::Futex | Kind::Woken => &FutexRec::DESC,
            Kind::Fd => &FdRec::DESC,
        })
    }
}

/// Which strings a [`StringsRec`] holds.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Strings {
    Args = 0,
    Env = 1,
    Program = 2,
    Exe = 3,
    Sysroot = 4,
    Auxv = 5,
}

/// The schema record's text: each kind's number and table.
pub fn schema() -> String {
    let mut s = String::new();
    for k in Kind::ALL {
        s.push_str(&format!("record {} {:?}\n", k as u32, k));
        if let Some(d) = k.desc() {
            s.push_str(&d.to_string());
        }
    }
    for d in [&Header::DESC, &RecordHead::DESC, &Trailer::DESC] {
        s.push_str(&d.to_string());
    }
    s
}

/// A record: its kind and payload (fixed part + tail), uncompressed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub kind: Kind,
    pub payload: Vec<u8>,
}

impl Record {
    /// A record of a declared fixed part and a tail.
    pub fn new<T: Layout>(kind: Kind, fixed: &T, tail: &[u8]) -> Record {
        let mut payload = vec![0u8; T::SIZE];
        fixed.write(&mut payload);
        payload.extend_from_slice(tail);
        Record { kind, payload }
    }

    /// The fixed part, if the payload holds one, and the tail after it.
    pub fn parts<T: Layout>(&self) -> Option<(T, &[u8])> {
        let fixed = self.payload.get(..T::SIZE)?;
        Some((T::read(fixed), &self.payload[T::SIZE..]))
    }
}

/// What is wrong with a snapshot file: one line for the user.
#[derive(Debug, PartialEq, Eq)]
pub struct BadFile(pub String);

/// Encodes records as a snapshot file. Payloads of `compress` kinds are LZ4-compressed.
pub fn encode(records: &[Record]) -> Vec<u8> {
    let mut out = vec![0u8; Header::SIZE];
    for r in records {
        let compress = matches!(r.kind, Kind::Pages | Kind::Fd | Kind::Schema);
        let (flags, body) = if compress {
            (COMPRESSED, lz4_flex::block::compress(&r.payload))
        } else {
            (0, r.payload.clone())
        };
        let head = RecordHead {
            kind: r.kind as u32,
            flags,
            stored: body.len() as u64,
            raw: r.payload.len() as u64,
        };
        let at = out.len();
        out.resize(at + RecordHead::SIZE, 0);
        head.write(&mut out[at..]);
        out.extend_from_slice(&body);
    }
    let header = Header {
        magic: MAGIC,
        version: VERSION,
        records: records.len() as u32,
        length: (out.len() + Trailer::SIZE) as u64,
        mimic: mimic_version(),
    };
    header.write(&mut out);
    let trailer = Trailer {
        crc: crc32fast::hash(&out),
        magic: *b"END\0",
    };
    let at = out.len();
    out.resize(at + Trailer::SIZE, 0);
    trailer.write(&mut out[at..]);
    out
}

/// The header of `bytes`, checked: magic, format version, mimic version, length.
pub fn check_header(bytes: &[u8]) -> Result<Header, BadFile> {
    let bad = |s: String| Err(BadFile(s));
    if bytes.len() < 8 || bytes[..8] != MAGIC {
        return bad("not a mimic snapshot (no MIMICSNP magic)".into());
    }
    if bytes.len() < Header::SIZE {
        return bad(format!(
            "truncated: {} bytes, not even a header",
            bytes.len()
        ));
    }
    let h = Header::read(bytes);
    if h.version != VERSION {
        return bad(format!(
            "snapshot format version {}; this mimic reads version {VERSION}",
            h.version
        ));
    }
    if h.mimic != mimic_version() {
        return bad(format!(
            "written by {}; this is {}: a snapshot resumes only in the mimic that wrote it",
            version_text(&h.mimic),
            version_text(&mimic_version())
        ));
    }
    if (bytes.len() as u64) < h.length {
        return bad(format!("truncated: {} bytes of {}", bytes.len(), h.length));
    }
    if bytes.len() as u64 != h.length {
        return bad(format!(
            "{} bytes where the header says {}",
            bytes.len(),
            h.length
        ));
    }
    Ok(h)
}

/// Decodes a snapshot file into its records, checking everything before returning any.
pub fn decode(bytes: &[u8]) -> Result<Vec<Record>, BadFile> {
    let h = check_header(bytes)?;
    let body_end = bytes.len() - Trailer::SIZE;
    let t = Trailer::read(&bytes[body_end..]);
    if t.crc != crc32fast::hash(&bytes[..body_end]) {
        return Err(BadFile(
            "corrupted: the checksum does not match the contents".into(),
        ));
    }
    let mut at = Header::SIZE;
    let mut out = Vec::with_capacity(h.records as usize);
    for i in 0..h.records {
        let bad = |what: &str| BadFile(format!("record {i}: {what}"));
        if at + RecordHead::SIZE > body_end {
            return Err(bad("past the end of the file"));
        }
        let head = RecordHead::read(&bytes[at..]);
        at += RecordHead::SIZE;
        let kind = Kind::from_u32(head.kind).ok_or_else(|| bad("unknown kind"))?;
        let end = (at as u64)
            .checked_add(head.stored)
            .filter(|&e| e <= body_end as u64)
            .ok_or_else(|| bad("longer than the file"))? as usize;
        let body = &bytes[at..end];
        at = end;
        let payload = if head.flags & COMPRESSED != 0 {
            if head.raw > 1 << 40 {
                return Err(bad("implausible size"));
            }
            lz4_flex::block::decompress(body, head.raw as usize)
                .map_err(|e| bad(&format!("cannot decompress: {e}")))?
        } else {
            body.to_vec()
        };
        if payload.len() as u64 != head.raw {
            return Err(bad("length differs from its head"));
        }
        if let Some(d) = kind.desc() {
            if payload.len() < d.size {
                return Err(bad("shorter than its declared fixed part"));
            }
        }
        out.push(Record { kind, payload });
    }
    if at != body_end {
        return Err(BadFile("bytes after the last record".into()));
    }
    Ok(out)
}

/// NUL-terminated strings, as a strings record's tail holds them.
pub fn join(strings: &[Vec<u8>]) -> Vec<u8> {
    let mut v = Vec::new();
    for s in strings {
        v.extend_from_slice(s);
        v.push(0);
    }
    v
}

/// The strings of a tail made by [`join`].
pub fn split(tail: &[u8]) -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = tail.split(|&b| b == 0).map(|s| s.to_vec()).collect();
    v.pop();
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::layout::Kind as FieldKind;

    /// Every declared record: its table has no overlapping fields, covers its size, and a
    /// value with distinct bytes in every field survives a write and a read.
    #[test]
    fn every_record_round_trips_through_its_declaration() {
        fn check<T: Layout + PartialEq + std::fmt::Debug>() {
            let d = &T::DESC;
            let mut at = 0;
            for f in d.with_padding() {
                assert_eq!(f.offset, at, "{}: a gap or overlap at {}", d.name, f.name);
                at += f.size;
            }
            assert_eq!(at, d.size, "{}", d.name);
            let bytes: Vec<u8> = (0..d.size).map(|i| (i * 7 + 1) as u8).collect();
            let mut pattern = bytes.clone();
            for f in d.with_padding() {
                if f.kind == FieldKind::Pad {
                    pattern[f.offset..f.offset + f.size].fill(0);
                }
            }
            let v = T::read(&pattern);
            let mut out = vec![0; d.size];
            v.write(&mut out);
            assert_eq!(out, pattern, "{}", d.name);
            assert_eq!(T::read(&out), v);
        }
        check::<Header>();
        check::<RecordHead>();
        check::<Trailer>();
        check::<ProcessRec>();
        check::<StringsRec>();
        check::<ThreadRec>();
        check::<SigInfoRec>();
        check::<ActionRec>();
        check::<RangeRec>();
        check::<PagesRec>();
        check::<RegionRec>();
        check::<CodeRec>();
        check::<FdRec>();
        check::<FutexRec>();
    }

    /// The declared layouts are the format: a change to one is a new format version.
    #[test]
    fn declared_layouts_are_version_1() {
        assert_eq!(VERSION, 1);
        let sizes: Vec<(&str, usize)> = Kind::ALL
            .iter()
            .filter_map(|k| k.desc())
            .map(|d| (d.name, d.size))
            .collect();
        assert_eq!(
            sizes,
            [
                ("process", 144),
                ("strings", 8),
                ("code_file", 48),
                ("range", 16),
                ("pages", 16),
                ("region", 48),
                ("sigaction", 32),
                ("thread", 656),
                ("pending_siginfo", 8),
                ("futex_waiter", 16),
                ("futex_waiter", 16),
                ("descriptor", 80),
            ]
        );
        let s = schema();
        assert!(s.contains("struct thread (656 bytes, align 8)"), "{s}");
        assert!(s.contains("   8    8 u64          pc"), "{s}");
    }

    #[test]
    fn records_encode_and_decode_and_damage_is_named() {
        let recs = vec![
            Record {
                kind: Kind::Schema,
                payload: schema().into_bytes(),
            },
            Record::new(
                Kind::Range,
                &RangeRec {
                    start: 0x1000,
                    end: 0x3000,
                },
                &[11, 11],
            ),
            Record::new(
                Kind::Pages,
                &PagesRec {
                    start: 0x1000,
                    count: 1,
                },
                &[7u8; 4096],
            ),
        ];
        let file = encode(&recs);
        assert!(file.len() < 4096, "pages are compressed: {}", file.len());
        assert_eq!(decode(&file), Ok(recs));
        let cut = decode(&file[..file.len() - 1]).unwrap_err().0;
        assert!(cut.starts_with("truncated"), "{cut}");
        let mut flipped = file.clone();
        flipped[Header::SIZE + 3] ^= 1;
        assert!(decode(&flipped).unwrap_err().0.starts_with("corrupted"));
        assert_eq!(
            split(&join(&[b"a".to_vec(), vec![], b"bc".to_vec()])),
            [b"a".to_vec(), vec![], b"bc".to_vec()]
        );
    }
}
