//! Migration over TCP with pre-copy: `mimic run --migrate-on SIGNAL ADDR` sends the running
//! guest to `mimic serve --listen ADDR`, which resumes it.
//!
//! ```text
//!   sender                                         receiver (serve)
//!   SIGNAL ─▶ migration thread: connect,
//!             clear soft-dirty bits,
//!             round 1: every page with content ──▶ kept
//!             (the guest runs meanwhile)
//!             ask for the snapshot ─▶ every vCPU stops (the pause starts)
//!   gate:     the snapshot, with only the pages ──▶ round 1's pages under these,
//!             written since round 1                 checked, built: ACK or one line
//!   ◀──────────────────────────────────────────── "OK" / the reason
//!   exits: "migrated to ADDR", pause and bytes      runs the guest on
//! ```
//!
//! Each message is a u64 little-endian length and a snapshot-format file (format.rs), so
//! both rounds carry their own checksums. Dirty pages are the kernel's soft-dirty bits
//! (/proc/self/clear_refs, pagemap); where the kernel has none, round 2 carries every page.

use super::format::{self, Kind, PagesRec, RangeRec, Record};
use super::write;
use crate::state::{lock, Shared};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The connection to the receiver while a migration is under way.
static STREAM: Mutex<Option<(TcpStream, Instant, u64, String)>> = Mutex::new(None);
/// Round 1 was sent and soft-dirty tracking works: round 2 takes only written pages.
pub(super) static DIRTY_ONLY: AtomicBool = AtomicBool::new(false);
/// The migration signal arrived.
static ASKED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_migrate(_: i32) {
    ASKED.store(true, Ordering::SeqCst);
}

/// Arms `sig` to migrate the process to `addr`: a thread of mimic's own waits for it and
/// does round 1 while the guest runs.
pub fn arm(shared: Arc<Shared>, sig: i32, addr: String) {
    // Reserved as the snapshot signal (the guest's handlers for it stay off the host)…
    crate::hostsig::arm_snapshot(sig);
    // …but it starts round 1 first.
    // SAFETY: the handler only stores to an atomic; the sigaction is plain data here.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_migrate as *const () as usize;
        libc::sigemptyset(&mut sa.sa_mask);
        libc::sigaction(sig, &sa, std::ptr::null_mut());
    }
    let _ = std::thread::Builder::new()
        .name("migrate".into())
        .spawn(move || loop {
            std::thread::sleep(Duration::from_millis(10));
            if ASKED.swap(false, Ordering::SeqCst) {
                match precopy(&shared, &addr) {
                    Ok(()) => crate::hostsig::ask_snapshot(),
                    Err(e) => {
                        crate::diag!("mimic: migration to {addr} refused: {e}; the guest goes on")
                    }
                }
            }
        });
}

fn send(s: &mut TcpStream, bytes: &[u8]) -> std::io::Result<()> {
    s.write_all(&(bytes.len() as u64).to_le_bytes())?;
    s.write_all(bytes)
}

fn receive(s: &mut TcpStream) -> Result<Vec<u8>, String> {
    let mut len = [0u8; 8];
    s.read_exact(&mut len)
        .map_err(|e| format!("the sender: {e}"))?;
    let len = u64::from_le_bytes(len);
    if len > 1 << 40 {
        return Err("the sender announced an implausible size".into());
    }
    let mut b = vec![0u8; len as usize];
    s.read_exact(&mut b)
        .map_err(|e| format!("the sender: {e}"))?;
    Ok(b)
}

/// Round 1: connects and sends every page with content, the guest running.
pub(super) fn precopy(shared: &Arc<Shared>, addr: &str) -> Result<(), String> {
    let mut s = TcpStream::connect(addr).map_err(|e| format!("cannot connect: {e}"))?;
    super::bind::own(std::os::fd::AsRawFd::as_raw_fd(&s), true);
    let dirty = crate::memory::clear_soft_dirty().is_ok();
    let mut records = vec![Record {
        kind: Kind::Schema,
        payload: format::schema().into_bytes(),
    }];
    let ranges = shared.space().ranges();
    for (start, end) in ranges {
        let space = shared.space();
        if !space.has_range(start, end) {
            continue;
        }
        let resident = space.resident(start, end).map_err(|e| e.to_string())?;
        let table = space.table_of(start, end);
        records.push(Record::new(Kind::Range, &RangeRec { start, end }, &table));
        let mut page = vec![0u8; crate::memory::PAGE as usize];
        for (i, &r) in resident.iter().enumerate() {
            let at = start + i as u64 * crate::memory::PAGE;
            if r && space.read_raw(at, &mut page).is_ok() && page.iter().any(|&b| b != 0) {
                records.push(Record::new(
                    Kind::Pages,
                    &PagesRec {
                        start: at,
                        count: 1,
                    },
                    &page,
                ));
            }
        }
    }
    let bytes = format::encode(&records);
    send(&mut s, &bytes).map_err(|e| format!("sending memory: {e}"))?;
    DIRTY_ONLY.store(dirty, Ordering::SeqCst);
    *lock(&STREAM) = Some((s, Instant::now(), bytes.len() as u64, addr.to_string()));
    Ok(())
}

/// A migration that cannot finish (the snapshot was refused): the receiver sees the
/// connection close.
pub fn abandon() {
    if let Some((s, _, _, _)) = lock(&STREAM).take() {
        super::bind::own(std::os::fd::AsRawFd::as_raw_fd(&s), false);
    }
    DIRTY_ONLY.store(false, Ordering::SeqCst);
}

/// Whether the snapshot being taken goes to a receiver rather than a file.
pub fn under_way() -> bool {
    lock(&STREAM).is_some()
}

/// Round 2, with every vCPU stopped: sends the snapshot and waits for the receiver's word.
/// Returns the line to print.
pub fn finish(records: &[Record]) -> Result<String, String> {
    let Some((mut s, start, first, addr)) = lock(&STREAM).take() else {
        return Err("no connection".into());
    };
    super::bind::own(std::os::fd::AsRawFd::as_raw_fd(&s), false);
    DIRTY_ONLY.store(false, Ordering::SeqCst);
    let bytes = format::encode(records);
    send(&mut s, &bytes).map_err(|e| format!("{addr}: {e}"))?;
    let reply = receive(&mut s)?;
    let paused = start.elapsed();
    match reply.strip_prefix(b"OK") {
        Some(_) => Ok(format!(
            "mimic: migrated to {addr}: {} bytes sent ({first} while running, {} stopped), \
             paused {:.1} ms",
            first + bytes.len() as u64,
            bytes.len(),
            paused.as_secs_f64() * 1000.0
        )),
        None => Err(format!(
            "{addr} refused it: {}",
            String::from_utf8_lossy(&reply)
        )),
    }
}

/// `mimic serve`: takes one migration on `listener`; returns the records to resume and the
/// connection to answer on.
pub fn accept(listener: &std::net::TcpListener) -> Result<(Vec<Record>, TcpStream), String> {
    let (s, _) = listener.accept().map_err(|e| e.to_string())?;
    // Out of the way of the guest's descriptor numbers, which the resume restores.
    let mut s = high(s).map_err(|e| e.to_string())?;
    let first = receive(&mut s)?;
    let last = receive(&mut s)?;
    let bad = |e: format::BadFile| e.0;
    let first = format::decode(&first).map_err(bad)?;
    let last = format::decode(&last).map_err(bad)?;
    Ok((merge(first, last), s))
}

/// `s` moved to a descriptor number above any a guest is likely to hold.
fn high(s: TcpStream) -> std::io::Result<TcpStream> {
    use std::os::fd::{AsRawFd, FromRawFd};
    // SAFETY: duplicates an open descriptor; the new one is owned by the stream made here.
    let fd = unsafe { libc::fcntl(s.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 900) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `fd` is the new descriptor, owned by nothing else.
    Ok(unsafe { TcpStream::from_raw_fd(fd) })
}

/// Round 1's pages that still lie in a mapped range of round 2, then round 2's records
/// (whose pages go over them).
fn merge(first: Vec<Record>, last: Vec<Record>) -> Vec<Record> {
    let ranges: Vec<(u64, u64)> = last
        .iter()
        .filter(|r| r.kind == Kind::Range)
        .filter_map(|r| r.parts::<RangeRec>())
        .map(|(r, _)| (r.start, r.end))
        .collect();
    let inside = |a: u64| ranges.iter().any(|&(s, e)| s <= a && a < e);
    let mut out: Vec<Record> = Vec::new();
    let mut early = first
        .into_iter()
        .filter(|r| r.kind == Kind::Pages)
        .filter(|r| r.parts::<PagesRec>().is_some_and(|(p, _)| inside(p.start)));
    for r in last {
        if r.kind == Kind::Pages {
            out.extend(early.by_ref());
        }
        out.push(r);
    }
    out.extend(early);
    out
}

/// Answers the sender.
pub fn answer(s: &mut TcpStream, result: &Result<(), String>) {
    let msg = match result {
        Ok(()) => b"OK".to_vec(),
        Err(e) => e.as_bytes().to_vec(),
    };
    let _ = send(s, &msg);
}

pub use write::Written;
