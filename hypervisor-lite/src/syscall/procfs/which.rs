//! Which file a host descriptor holds, as far as the guest's /proc is concerned: found from
//! the opened file itself (its device and inode, and the name procfs gives it), never from
//! the spelling the guest used.

use super::Task;
use super::{Errno, MEMFD_PREFIX};
use std::ffi::CString;
use std::sync::OnceLock;

/// A generated /proc file of the guest's own process.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    Maps,
    Cmdline,
    Environ,
    Auxv,
    Stat,
    Status,
    Comm,
}

impl Entry {
    const ALL: [Entry; 7] = [
        Entry::Maps,
        Entry::Cmdline,
        Entry::Environ,
        Entry::Auxv,
        Entry::Stat,
        Entry::Status,
        Entry::Comm,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Entry::Maps => "maps",
            Entry::Cmdline => "cmdline",
            Entry::Environ => "environ",
            Entry::Auxv => "auxv",
            Entry::Stat => "stat",
            Entry::Status => "status",
            Entry::Comm => "comm",
        }
    }
}

/// What the guest reached.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum View {
    /// mimic's own executable: /proc/self/exe followed, or mimic's binary by any path.
    Exe,
    Mem,
    /// A generated file, of the thread `tid` when reached through task/<tid>.
    File(Entry, Option<i32>),
    /// An entry that would show mimic's host memory or layout.
    Refused,
}

/// Entries of mimic's own /proc/<pid> (and task/<tid>) that expose its host memory or layout.
const REFUSED: [&str; 7] = [
    "smaps",
    "smaps_rollup",
    "pagemap",
    "map_files",
    "numa_maps",
    "syscall",
    "stack",
];

fn fstat(fd: i32) -> Option<libc::stat> {
    // SAFETY: `st` is a plain C struct, all zeroes valid.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: the kernel fills `st`.
    (unsafe { libc::fstat(fd, &mut st) } == 0).then_some(st)
}

fn stat(path: &std::ffi::CStr) -> Option<libc::stat> {
    // SAFETY: as in `fstat`.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: the kernel fills `st`; `path` is NUL-terminated.
    (unsafe { libc::stat(path.as_ptr(), &mut st) } == 0).then_some(st)
}

/// mimic's own executable (device, inode).
fn mimic_exe() -> Option<(u64, u64)> {
    static EXE: OnceLock<Option<(u64, u64)>> = OnceLock::new();
    *EXE.get_or_init(|| stat(c"/proc/self/exe").map(|s| (s.st_dev, s.st_ino)))
}

/// The device of procfs.
fn procfs_dev() -> Option<u64> {
    static DEV: OnceLock<Option<u64>> = OnceLock::new();
    *DEV.get_or_init(|| stat(c"/proc/self").map(|s| s.st_dev))
}

/// Whether host fd `fd` holds mimic's own executable.
pub fn is_mimic(fd: i32) -> bool {
    fstat(fd).is_some_and(|s| is_mimic_stat(&s))
}

/// Whether `st` describes mimic's own executable.
pub fn is_mimic_stat(st: &libc::stat) -> bool {
    Some((st.st_dev, st.st_ino)) == mimic_exe()
}

/// The name the host gives the file of fd `fd` (the target of /proc/self/fd/N).
pub fn fd_name(fd: i32) -> Option<Vec<u8>> {
    std::fs::read_link(format!("/proc/self/fd/{fd}"))
        .ok()
        .map(|p| p.into_os_string().into_encoded_bytes())
}

/// Whether `n` is this process or one of its threads.
fn ours(n: &str) -> bool {
    let Ok(n) = n.parse::<i32>() else {
        return false;
    };
    // SAFETY: getpid has no preconditions.
    n == unsafe { libc::getpid() } || std::path::Path::new(&format!("/proc/self/task/{n}")).exists()
}

/// For a procfs file named `/proc/<pid>[/task/<tid>]/<rest>`: the pid, the tid if through
/// task/, and the path below the process or thread directory.
fn entry_of(name: &[u8]) -> Option<(&str, Option<i32>, &str)> {
    let name = std::str::from_utf8(name).ok()?;
    let (pid, rest) = name.strip_prefix("/proc/")?.split_once('/')?;
    if let Some((tid, below)) = rest.strip_prefix("task/").and_then(|t| t.split_once('/')) {
        if let Ok(tid) = tid.parse() {
            return Some((pid, Some(tid), below));
        }
    }
    Some((pid, None, rest))
}

/// As [`entry_of`], for this process only.
fn own_entry(name: &[u8]) -> Option<(Option<i32>, String)> {
    let (pid, tid, below) = entry_of(name)?;
    ours(pid).then(|| (tid, below.to_string()))
}

/// Whether `pid` is another process running mimic (a fork of this guest, say): its memory
/// and layout are mimic's host ones, which no guest sees.
fn other_mimic(pid: &str) -> bool {
    pid.bytes().all(|b| b.is_ascii_digit())
        && CString::new(format!("/proc/{pid}/exe"))
            .ok()
            .and_then(|p| stat(&p))
            .is_some_and(|s| Some((s.st_dev, s.st_ino)) == mimic_exe())
}

/// Entries of another mimic process that show its host memory or addresses.
fn host_layout(below: &str) -> bool {
    let first = below.split('/').next().unwrap_or_default();
    REFUSED.contains(&first) || ["maps", "mem", "auxv", "stat"].contains(&below)
}

/// What host fd `fd`, just opened by the guest, is to it; None for a host file it sees as is.
pub fn identify(fd: i32) -> Option<View> {
    let st = fstat(fd)?;
    if Some((st.st_dev, st.st_ino)) == mimic_exe() {
        return Some(View::Exe);
    }
    if Some(st.st_dev) != procfs_dev() {
        return None;
    }
    let name = fd_name(fd)?;
    let Some((tid, below)) = own_entry(&name) else {
        let (pid, _, below) = entry_of(&name)?;
        return (other_mimic(pid) && host_layout(below)).then_some(View::Refused);
    };
    let first = below.split('/').next().unwrap_or_default();
    if REFUSED.contains(&first) {
        return Some(View::Refused);
    }
    if below == "mem" {
        return Some(View::Mem);
    }
    Entry::ALL
        .into_iter()
        .find(|e| e.name() == below)
        .map(|e| View::File(e, tid))
}

/// readlink of the link open (O_PATH|O_NOFOLLOW) on `fd`, when it is one of the guest's own:
/// `exe` is the guest's program, `fd/N` of an emulated view is its /proc name, the refused
/// entries are EACCES.
pub fn link(p: &Task, fd: i32) -> Option<Result<Vec<u8>, Errno>> {
    let st = fstat(fd)?;
    if Some(st.st_dev) != procfs_dev() {
        return None;
    }
    let (_, below) = own_entry(&fd_name(fd)?)?;
    if REFUSED.contains(&below.split('/').next().unwrap_or_default()) {
        return Some(Err(Errno(libc::EACCES)));
    }
    if below == "exe" {
        return Some(Ok(p.shared.exe.as_os_str().as_encoded_bytes().to_vec()));
    }
    let n: i32 = below.strip_prefix("fd/")?.parse().ok()?;
    let target = fd_name(n)?;
    let entry = memfd_entry(&target)?;
    Some(Ok(format!("/proc/{}/{entry}", p.shared.pid()).into_bytes()))
}

/// The entry a memfd of ours holds, from its name `/memfd:mimic-proc:<entry> (deleted)`.
pub fn memfd_entry(target: &[u8]) -> Option<&str> {
    let s = std::str::from_utf8(target).ok()?;
    s.strip_prefix("/memfd:")?
        .strip_prefix(MEMFD_PREFIX)?
        .strip_suffix(" (deleted)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_entries_are_parsed_from_procfs_names() {
        let me = std::process::id();
        assert_eq!(
            own_entry(format!("/proc/{me}/maps").as_bytes()),
            Some((None, "maps".into()))
        );
        assert_eq!(
            own_entry(format!("/proc/{me}/task/{me}/mem").as_bytes()),
            Some((Some(me as i32), "mem".into()))
        );
        assert_eq!(own_entry(b"/proc/1/maps"), None);
        assert_eq!(own_entry(b"/tmp/maps"), None);
        assert_eq!(memfd_entry(b"/memfd:mimic-proc:mem (deleted)"), Some("mem"));
        assert_eq!(memfd_entry(b"/memfd:other (deleted)"), None);
    }

    #[test]
    fn mimic_own_files_are_recognised_by_what_they_are() {
        let f = std::fs::File::open("/proc/self/exe").unwrap();
        assert!(is_mimic(std::os::fd::AsRawFd::as_raw_fd(&f)));
        let f = std::fs::File::open("/proc/./self/./smaps").unwrap();
        assert_eq!(
            identify(std::os::fd::AsRawFd::as_raw_fd(&f)),
            Some(View::Refused)
        );
        let f = std::fs::File::open("/proc/thread-self/maps").unwrap();
        assert!(matches!(
            identify(std::os::fd::AsRawFd::as_raw_fd(&f)),
            Some(View::File(Entry::Maps, Some(_)))
        ));
        let f = std::fs::File::open("/proc/1/cmdline").unwrap();
        assert_eq!(identify(std::os::fd::AsRawFd::as_raw_fd(&f)), None);
    }
}
