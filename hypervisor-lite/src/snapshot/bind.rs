//! The binding table: how each resource of the process goes with it.
//!
//! ```text
//!   resource                              process→resource    on resume
//!   regular file, directory, device       by identifier       reopened by path (--map moves it),
//!                                                             offset and flags restored, a
//!                                                             regular file's content hash checked
//!   terminal, stdio, inherited non-files  by type             the new mimic's own descriptor
//!   memfd, unlinked file                  by value            a new memfd with the content
//!   pipe with both ends in the process    by value            a new pipe, buffered bytes refilled
//!   socket, pipe to another process,      fixed               refused; --drop-fixed: a closed
//!   eventfd/epoll/timerfd/inotify, …                          connection in its place
//! ```
//!
//! Descriptors are the host process's own (see process.rs), so the table is read from
//! /proc/self/fd; the numbers the guest holds are the numbers restored.

use super::format::{join, split, FdRec, Kind, Record};
use crate::state::SnapshotPlan;
use sha2::{Digest, Sha256};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// How a descriptor is bound to the process.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Binding {
    Identifier = 0,
    Type = 1,
    Value = 2,
    /// A fixed resource `--drop-fixed` let go: the guest holds a closed connection.
    Dropped = 3,
}

impl Binding {
    pub fn from_u8(b: u8) -> Option<Binding> {
        [
            Binding::Identifier,
            Binding::Type,
            Binding::Value,
            Binding::Dropped,
        ]
        .into_iter()
        .find(|x| *x as u8 == b)
    }

    pub fn name(self) -> &'static str {
        match self {
            Binding::Identifier => "by identifier",
            Binding::Type => "by type",
            Binding::Value => "by value",
            Binding::Dropped => "fixed, dropped",
        }
    }
}

/// What a descriptor is.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum FdKind {
    Regular = 0,
    Directory = 1,
    Device = 2,
    Terminal = 3,
    Pipe = 4,
    Memfd = 5,
    Unlinked = 6,
    Socket = 7,
    Other = 8,
}

impl FdKind {
    pub fn from_u8(b: u8) -> FdKind {
        use FdKind::*;
        [
            Regular, Directory, Device, Terminal, Pipe, Memfd, Unlinked, Socket,
        ]
        .into_iter()
        .find(|x| *x as u8 == b)
        .unwrap_or(Other)
    }

    pub fn name(self) -> &'static str {
        match self {
            FdKind::Regular => "regular file",
            FdKind::Directory => "directory",
            FdKind::Device => "device",
            FdKind::Terminal => "terminal",
            FdKind::Pipe => "pipe",
            FdKind::Memfd => "memfd",
            FdKind::Unlinked => "unlinked file",
            FdKind::Socket => "socket",
            FdKind::Other => "kernel object",
        }
    }
}

/// The descriptors open when the guest started (stdio, and what the parent passed on):
/// the environment the program runs in, rebound by type.
static INHERITED: OnceLock<Vec<i32>> = OnceLock::new();

/// Records the descriptors open now as the guest's inherited ones (before it runs).
pub fn note_inherited() {
    let _ = INHERITED.set(open_fds());
}

/// Descriptors of mimic's own (a migration's connection): never the guest's.
static OWN: std::sync::Mutex<Vec<i32>> = std::sync::Mutex::new(Vec::new());

/// Marks `fd` as mimic's own, or no longer.
pub fn own(fd: i32, mine: bool) {
    let mut v = crate::state::lock(&OWN);
    v.retain(|&f| f != fd);
    if mine {
        v.push(fd);
    }
}

fn inherited() -> &'static [i32] {
    INHERITED.get().map_or(&[], |v| v.as_slice())
}

/// The host descriptors open now, in order.
fn open_fds() -> Vec<i32> {
    let mut v: Vec<i32> = match std::fs::read_dir("/proc/self/fd") {
        Ok(d) => d
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
            .collect(),
        Err(_) => Vec::new(),
    };
    // The directory's own descriptor was among them and is closed now.
    // SAFETY: F_GETFD on an integer only asks whether it is open.
    v.retain(|&fd| unsafe { libc::fcntl(fd, libc::F_GETFD) } >= 0);
    v.sort_unstable();
    v
}

fn fstat(fd: i32) -> Option<libc::stat> {
    // SAFETY: stat is plain data; fstat writes it.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    (unsafe { libc::fstat(fd, &mut st) } == 0).then_some(st)
}

fn link(fd: i32) -> Vec<u8> {
    std::fs::read_link(format!("/proc/self/fd/{fd}"))
        .map(|p| p.as_os_str().as_bytes().to_vec())
        .unwrap_or_default()
}

/// The descriptor records of the process, or the one-line refusal of a fixed resource.
pub fn capture(plan: &SnapshotPlan) -> Result<Vec<Record>, String> {
    let mut fds = open_fds();
    let own = crate::state::lock(&OWN).clone();
    fds.retain(|fd| !own.contains(fd));
    let mut stats = Vec::new();
    for &fd in &fds {
        if let Some(st) = fstat(fd) {
            // SAFETY: fcntl queries on an open descriptor.
            let (fl, fdfl) = unsafe {
                (
                    libc::fcntl(fd, libc::F_GETFL),
                    libc::fcntl(fd, libc::F_GETFD),
                )
            };
            stats.push((fd, st, fl, fdfl));
        }
    }
    let mut out = Vec::new();
    let mut pipes_done: Vec<u64> = Vec::new();
    for &(fd, st, fl, fdfl) in &stats {
        let path = link(fd);
        let fmt = st.st_mode & libc::S_IFMT;
        // SAFETY: isatty on an open descriptor.
        let tty = unsafe { libc::isatty(fd) } == 1;
        let mut rec = FdRec {
            fd,
            binding: Binding::Identifier as u8,
            kind: FdKind::Other as u8,
            paired: 0,
            flags: fl as u32,
            fd_flags: fdfl as u32,
            offset: 0,
            size: st.st_size as u64,
            sha256: [0; 32],
            ino: st.st_ino,
            dev: st.st_dev,
        };
        let mut tail = path.clone();
        let fixed = |what: &str| -> Result<(), String> {
            Err(format!(
                "fd {fd} is {what} ({}): it is fixed to this machine; --drop-fixed hands the \
                 guest a closed descriptor in its place",
                String::from_utf8_lossy(&path)
            ))
        };
        let is_inherited = inherited().contains(&fd);
        if tty || fd <= 2 || (is_inherited && fmt != libc::S_IFREG) {
            rec.binding = Binding::Type as u8;
            rec.kind = if tty { FdKind::Terminal } else { kind_of(fmt) } as u8;
        } else if fmt == libc::S_IFREG {
            // SAFETY: lseek on an open descriptor only reads its offset.
            rec.offset = unsafe { libc::lseek(fd, 0, libc::SEEK_CUR) }.max(0) as u64;
            let content = read_all(fd);
            rec.sha256 = Sha256::digest(&content).into();
            rec.size = content.len() as u64;
            if path.starts_with(b"/memfd:") || path.ends_with(b" (deleted)") {
                rec.binding = Binding::Value as u8;
                rec.kind = if path.starts_with(b"/memfd:") {
                    FdKind::Memfd
                } else {
                    FdKind::Unlinked
                } as u8;
                tail = join(std::slice::from_ref(&path));
                tail.extend_from_slice(&content);
            } else {
                rec.kind = FdKind::Regular as u8;
                if plan.copy_files {
                    tail = join(std::slice::from_ref(&path));
                    tail.extend_from_slice(&content);
                    rec.paired = 1;
                }
            }
        } else if fmt == libc::S_IFDIR {
            rec.kind = FdKind::Directory as u8;
            // SAFETY: as above.
            rec.offset = unsafe { libc::lseek(fd, 0, libc::SEEK_CUR) }.max(0) as u64;
        } else if fmt == libc::S_IFCHR || fmt == libc::S_IFBLK {
            rec.kind = FdKind::Device as u8;
        } else if fmt == libc::S_IFIFO {
            rec.kind = FdKind::Pipe as u8;
            let acc = fl & libc::O_ACCMODE;
            let other = stats.iter().any(|&(o, ost, ofl, _)| {
                o != fd
                    && ost.st_ino == st.st_ino
                    && ost.st_dev == st.st_dev
                    && ofl & libc::O_ACCMODE != acc
            });
            if !other || inherited().contains(&fd) {
                if plan.drop_fixed {
                    rec.binding = Binding::Dropped as u8;
                } else {
                    fixed("a pipe to another process")?;
                }
            } else {
                rec.binding = Binding::Value as u8;
                tail = join(std::slice::from_ref(&path));
                if acc == libc::O_RDONLY && !pipes_done.contains(&st.st_ino) {
                    pipes_done.push(st.st_ino);
                    let writer = stats
                        .iter()
                        .find(|&&(o, ost, ofl, _)| {
                            o != fd && ost.st_ino == st.st_ino && ofl & libc::O_ACCMODE != acc
                        })
                        .map(|s| s.0);
                    let buffered = drain_pipe(fd);
                    if let Some(w) = writer {
                        refill_pipe(w, &buffered);
                    }
                    rec.paired = 1;
                    tail.extend_from_slice(&buffered);
                }
            }
        } else if fmt == libc::S_IFSOCK {
            rec.kind = FdKind::Socket as u8;
            if plan.drop_fixed {
                rec.binding = Binding::Dropped as u8;
            } else {
                fixed("a socket")?;
            }
        } else {
            rec.kind = FdKind::Other as u8;
            if plan.drop_fixed {
                rec.binding = Binding::Dropped as u8;
            } else {
                fixed("a kernel object mimic cannot carry")?;
            }
        }
        out.push(Record::new(Kind::Fd, &rec, &tail));
    }
    Ok(out)
}

fn kind_of(fmt: libc::mode_t) -> FdKind {
    match fmt {
        libc::S_IFREG => FdKind::Regular,
        libc::S_IFDIR => FdKind::Directory,
        libc::S_IFCHR | libc::S_IFBLK => FdKind::Device,
        libc::S_IFIFO => FdKind::Pipe,
        libc::S_IFSOCK => FdKind::Socket,
        _ => FdKind::Other,
    }
}

/// A regular file's whole content, read without moving the descriptor's offset.
fn read_all(fd: i32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        // SAFETY: pread writes at most buf.len() bytes into buf.
        let n = unsafe {
            libc::pread(
                fd,
                buf.as_mut_ptr().cast(),
                buf.len(),
                out.len() as libc::off_t,
            )
        };
        if n <= 0 {
            return out;
        }
        out.extend_from_slice(&buf[..n as usize]);
    }
}

/// The bytes buffered in the pipe whose read end is `fd`, taken out.
fn drain_pipe(fd: i32) -> Vec<u8> {
    let mut n: libc::c_int = 0;
    // SAFETY: FIONREAD writes one int.
    unsafe { libc::ioctl(fd, libc::FIONREAD, &mut n) };
    let mut buf = vec![0u8; n.max(0) as usize];
    let mut got = 0;
    while got < buf.len() {
        // SAFETY: read writes at most the rest of buf; the bytes are there, so it does not block.
        let r = unsafe { libc::read(fd, buf[got..].as_mut_ptr().cast(), buf.len() - got) };
        if r <= 0 {
            break;
        }
        got += r as usize;
    }
    buf.truncate(got);
    buf
}

/// Puts `bytes` back into a pipe through its write end (they came out of it, so they fit).
fn refill_pipe(w: i32, bytes: &[u8]) {
    let mut done = 0;
    while done < bytes.len() {
        // SAFETY: write reads the rest of `bytes`.
        let r = unsafe { libc::write(w, bytes[done..].as_ptr().cast(), bytes.len() - done) };
        if r <= 0 {
            break;
        }
        done += r as usize;
    }
}

/// `--map OLD=NEW`: where a path went. The longest OLD that is the path or a directory
/// above it wins.
pub fn mapped(path: &Path, maps: &[(PathBuf, PathBuf)]) -> PathBuf {
    maps.iter()
        .filter_map(|(old, new)| {
            path.strip_prefix(old)
                .ok()
                .map(|rest| (old, new.join(rest)))
        })
        .max_by_key(|(old, _)| old.as_os_str().len())
        .map(|(_, p)| {
            // `join("")` adds a trailing slash to a directory; the path itself has none.
            let s = p.as_os_str().as_bytes();
            PathBuf::from(OsStr::from_bytes(s.strip_suffix(b"/").unwrap_or(s)))
        })
        .unwrap_or_else(|| path.to_path_buf())
}

/// Opens what each descriptor record names at its number in this process, as its binding
/// says. Checks everything it can before changing any descriptor; fails with one line.
pub fn restore(
    records: &[(FdRec, Vec<u8>)],
    maps: &[(PathBuf, PathBuf)],
) -> Result<Vec<i32>, String> {
    let mut opened: Vec<(i32, i32, u32)> = Vec::new(); // (temporary fd, target, fd flags)
    let fail = |opened: &[(i32, i32, u32)], e: String| {
        for &(t, _, _) in opened {
            // SAFETY: closing descriptors this function opened.
            unsafe { libc::close(t) };
        }
        Err(e)
    };
    // Temporaries go above every number being restored, so putting one in place never
    // closes another.
    let above = records.iter().map(|(r, _)| r.fd).max().unwrap_or(0) + 1;
    let lift = |fd: i32| -> i32 {
        if fd < 0 {
            return fd;
        }
        // SAFETY: duplicates a descriptor this function opened, then closes the original.
        unsafe {
            let high = libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, above);
            libc::close(fd);
            high
        }
    };
    let mut by_type = Vec::new();
    let mut pipes: Vec<(u64, i32, i32)> = Vec::new(); // (ino, read end, write end)
    for (r, tail) in records {
        let binding = Binding::from_u8(r.binding).unwrap_or(Binding::Dropped);
        let kind = FdKind::from_u8(r.kind);
        let fd = r.fd;
        let tmp = match (binding, kind) {
            (Binding::Type, _) => {
                by_type.push(fd);
                continue;
            }
            (Binding::Dropped, _) => closed_connection(),
            (Binding::Value, FdKind::Pipe) => {
                let pipe = match pipes.iter().find(|p| p.0 == r.ino) {
                    Some(p) => *p,
                    None => {
                        let mut p = [0i32; 2];
                        // SAFETY: pipe writes two descriptors.
                        if unsafe { libc::pipe(p.as_mut_ptr()) } < 0 {
                            return fail(
                                &opened,
                                format!(
                                    "fd {fd}: cannot make a pipe: {}",
                                    std::io::Error::last_os_error()
                                ),
                            );
                        }
                        let p = (r.ino, lift(p[0]), lift(p[1]));
                        opened.push((p.1, -1, 0));
                        opened.push((p.2, -1, 0));
                        pipes.push(p);
                        p
                    }
                };
                let parts = split_value(tail);
                if r.paired == 1 {
                    refill_pipe(pipe.2, parts.1);
                }
                let end = if r.flags as i32 & libc::O_ACCMODE == libc::O_RDONLY {
                    pipe.1
                } else {
                    pipe.2
                };
                // SAFETY: dup of a descriptor this function opened.
                unsafe { libc::dup(end) }
            }
            (Binding::Value, _) => {
                let (name, content) = split_value(tail);
                let name = std::ffi::CString::new(
                    name.strip_prefix(b"/memfd:")
                        .unwrap_or(name)
                        .split(|&b| b == b' ')
                        .next()
                        .unwrap_or(b"")
                        .to_vec(),
                )
                .unwrap_or_default();
                // SAFETY: memfd_create with a NUL-terminated name.
                let m = unsafe { libc::memfd_create(name.as_ptr(), 0) };
                if m < 0 {
                    return fail(
                        &opened,
                        format!(
                            "fd {fd}: cannot make a memfd: {}",
                            std::io::Error::last_os_error()
                        ),
                    );
                }
                refill_pipe(m, content);
                // SAFETY: lseek on the memfd just made.
                unsafe { libc::lseek(m, r.offset as libc::off_t, libc::SEEK_SET) };
                m
            }
            (Binding::Identifier, _) => {
                let (orig, content) = if r.paired == 1 && kind == FdKind::Regular {
                    let (n, c) = split_value(tail);
                    (n.to_vec(), Some(c))
                } else {
                    (tail.clone(), None)
                };
                let orig = PathBuf::from(OsStr::from_bytes(&orig));
                let path = mapped(&orig, maps);
                match open_identified(r, kind, &path, content) {
                    Ok(t) => t,
                    Err(e) => {
                        let moved = if path != orig {
                            format!(" (moved from {} by --map)", orig.display())
                        } else {
                            String::new()
                        };
                        return fail(&opened, format!("fd {fd}: {}{moved}: {e}", path.display()));
                    }
                }
            }
        };
        let tmp = lift(tmp);
        if tmp < 0 {
            return fail(
                &opened,
                format!("fd {fd}: {}", std::io::Error::last_os_error()),
            );
        }
        opened.push((tmp, fd, r.fd_flags));
    }
    // Everything opened: now put each at its number.
    for &(tmp, target, fd_flags) in &opened {
        if target < 0 {
            continue;
        }
        // SAFETY: dup2 onto the guest's number, then the close-on-exec flag it had.
        unsafe {
            libc::dup2(tmp, target);
            libc::fcntl(target, libc::F_SETFD, fd_flags as i32);
        }
    }
    for &(tmp, _, _) in &opened {
        // SAFETY: the temporary descriptor, now duplicated where it belongs.
        unsafe { libc::close(tmp) };
    }
    Ok(by_type)
}

/// A value tail: the name, then the content.
fn split_value(tail: &[u8]) -> (&[u8], &[u8]) {
    match tail.iter().position(|&b| b == 0) {
        Some(i) => (&tail[..i], &tail[i + 1..]),
        None => (tail, &[]),
    }
}

/// Reopens a descriptor bound by identifier and checks it is the same file.
fn open_identified(
    r: &FdRec,
    kind: FdKind,
    path: &Path,
    content: Option<&[u8]>,
) -> Result<i32, String> {
    let fl = r.flags as i32;
    let keep = libc::O_ACCMODE
        | libc::O_APPEND
        | libc::O_NONBLOCK
        | libc::O_PATH
        | libc::O_DIRECTORY
        | libc::O_SYNC
        | libc::O_DSYNC;
    if kind == FdKind::Regular && !path.exists() {
        if let Some(c) = content {
            std::fs::write(path, c).map_err(|e| format!("cannot recreate it: {e}"))?;
        }
    }
    let c = std::ffi::CString::new(path.as_os_str().as_bytes())
        .map_err(|_| "a NUL in the path".to_string())?;
    // SAFETY: open with a NUL-terminated path.
    let fd = unsafe { libc::open(c.as_ptr(), (fl & keep) | libc::O_CLOEXEC) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error().to_string());
    }
    if kind == FdKind::Regular {
        let now: [u8; 32] = Sha256::digest(read_all(fd)).into();
        if now != r.sha256 {
            // SAFETY: the descriptor just opened.
            unsafe { libc::close(fd) };
            return Err("the file changed since the snapshot (its content hash differs)".into());
        }
    }
    if matches!(kind, FdKind::Regular | FdKind::Directory) && r.offset != 0 {
        // SAFETY: lseek on the descriptor just opened.
        unsafe { libc::lseek(fd, r.offset as libc::off_t, libc::SEEK_SET) };
    }
    Ok(fd)
}

/// A connection whose other end is gone: reads see its end, writes EPIPE.
fn closed_connection() -> i32 {
    let mut sv = [0i32; 2];
    // SAFETY: socketpair writes two descriptors; the peer is closed at once.
    unsafe {
        if libc::socketpair(libc::AF_UNIX, libc::SOCK_STREAM, 0, sv.as_mut_ptr()) < 0 {
            return -1;
        }
        libc::close(sv[1]);
        libc::shutdown(sv[0], libc::SHUT_RDWR);
    }
    sv[0]
}

/// One line of `snapshot-info`'s binding table for a descriptor record.
pub fn describe(r: &FdRec, tail: &[u8]) -> String {
    let binding = Binding::from_u8(r.binding).map_or("?", |b| b.name());
    let kind = FdKind::from_u8(r.kind);
    let name = match Binding::from_u8(r.binding) {
        Some(Binding::Value) => split_value(tail).0,
        _ if r.paired == 1 && kind == FdKind::Regular => split_value(tail).0,
        _ => tail,
    };
    let what = match (Binding::from_u8(r.binding), kind) {
        (Some(Binding::Identifier), FdKind::Regular) => format!(
            "reopened by path at offset {}, content hash checked{}",
            r.offset,
            if r.paired == 1 {
                ", content carried (--copy-files)"
            } else {
                ""
            }
        ),
        (Some(Binding::Identifier), _) => "reopened by path".into(),
        (Some(Binding::Type), _) => "the resuming mimic's own descriptor".into(),
        (Some(Binding::Value), FdKind::Pipe) => {
            if r.paired == 1 {
                format!(
                    "a new pipe, {} buffered bytes refilled",
                    split_value(tail).1.len()
                )
            } else {
                "a new pipe (the other end)".into()
            }
        }
        (Some(Binding::Value), _) => format!("{} bytes carried, at offset {}", r.size, r.offset),
        (Some(Binding::Dropped), _) => "a closed connection (--drop-fixed)".into(),
        (None, _) => "unknown binding".into(),
    };
    format!(
        "fd {:<3} {:<14} {:<14} {}: {what}",
        r.fd,
        kind.name(),
        binding,
        String::from_utf8_lossy(name)
    )
}

/// The strings of a tail, for callers that hold joined lists.
pub fn strings(tail: &[u8]) -> Vec<Vec<u8>> {
    split(tail)
}

/// The inherited descriptors of a resumed process: those it rebound by type.
pub fn note_inherited_list(fds: Vec<i32>) {
    let _ = INHERITED.set(fds);
}
