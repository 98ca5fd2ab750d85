//! Opening a file to execute — a program, its PT_INTERP, a guest's execve target — as Linux's
//! execve does: only a regular file, anything else is EACCES. The open never blocks (a FIFO
//! would wait for a writer) and nothing is read before the type is known; a read is bounded
//! by the size fstat gave (`/dev/zero` would never end).

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

/// Why a file cannot be executed: the errno execve gives, and a reason for mimic's one-line
/// error (`mimic: <file>: <reason>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecError {
    pub errno: i32,
    pub reason: String,
}

impl ExecError {
    fn io(e: &std::io::Error) -> ExecError {
        let reason = match e.kind() {
            std::io::ErrorKind::NotFound => "no such file".into(),
            std::io::ErrorKind::PermissionDenied => "permission denied".into(),
            _ => {
                let s = e.to_string();
                s.split(" (os error").next().unwrap_or(&s).to_lowercase()
            }
        };
        ExecError {
            errno: e.raw_os_error().unwrap_or(libc::EIO),
            reason,
        }
    }

    fn denied(reason: &str) -> ExecError {
        ExecError {
            errno: libc::EACCES,
            reason: reason.into(),
        }
    }
}

/// Opens `path` if it is a regular file; returns it with its size.
pub fn open(path: &Path) -> Result<(File, u64), ExecError> {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer (it changes
    // nothing for a regular file). O_NOCTTY: a terminal device must not become mimic's.
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(|e| ExecError::io(&e))?;
    regular(f)
}

/// `f` with its size if it is a regular file.
fn regular(f: File) -> Result<(File, u64), ExecError> {
    let meta = f.metadata().map_err(|e| ExecError::io(&e))?;
    let t = meta.file_type();
    if t.is_file() {
        return Ok((f, meta.len()));
    }
    Err(ExecError::denied(if t.is_dir() {
        "is a directory"
    } else if t.is_fifo() {
        "not a regular file (a FIFO)"
    } else if t.is_char_device() {
        "not a regular file (a character device)"
    } else if t.is_block_device() {
        "not a regular file (a block device)"
    } else if t.is_socket() {
        "not a regular file (a socket)"
    } else {
        "not a regular file"
    }))
}

/// The first `limit` bytes of the regular file `path` (fewer if it is shorter).
pub fn read(path: &Path, limit: u64) -> Result<Vec<u8>, ExecError> {
    open_and_read(path, limit).map(|(_, bytes)| bytes)
}

/// [`read`], keeping the open file (the loader maps segments from it).
pub fn open_and_read(path: &Path, limit: u64) -> Result<(File, Vec<u8>), ExecError> {
    read_open(open(path)?, limit)
}

/// [`open_and_read`] for a file already open (binfmt_misc's AT_EXECFD): it may be one the
/// user can execute but not open for reading.
pub fn read_file(f: File, limit: u64) -> Result<(File, Vec<u8>), ExecError> {
    read_open(regular(f)?, limit)
}

fn read_open((f, size): (File, u64), limit: u64) -> Result<(File, Vec<u8>), ExecError> {
    let size = size.min(limit);
    let mut bytes = Vec::new();
    bytes
        .try_reserve_exact(usize::try_from(size).unwrap_or(usize::MAX))
        .map_err(|_| ExecError {
            errno: libc::ENOMEM,
            reason: format!("too large to load ({size} bytes)"),
        })?;
    (&f).take(size)
        .read_to_end(&mut bytes)
        .map_err(|e| ExecError::io(&e))?;
    Ok((f, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_open() {
        assert!(open(Path::new("/proc/self/exe")).is_ok());
        let denied = |p: &str, why: &str| {
            assert_eq!(
                open(Path::new(p)).unwrap_err(),
                ExecError::denied(why),
                "{p}"
            );
        };
        denied("/", "is a directory");
        denied("/dev/zero", "not a regular file (a character device)");
        assert_eq!(
            open(Path::new("/nonexistent-mimic")).unwrap_err().errno,
            libc::ENOENT
        );
    }

    #[test]
    fn a_fifo_is_refused_without_waiting_for_a_writer() {
        let dir = std::env::temp_dir().join(format!("mimic-exec-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let fifo = dir.join("fifo");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: c is a NUL-terminated path that outlives the call.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o700) }, 0);
        // On another thread: a regression that blocks in open fails here instead of hanging.
        let (tx, rx) = std::sync::mpsc::channel();
        let at = fifo.clone();
        std::thread::spawn(move || tx.send(open(&at).map(|_| ())));
        let r = rx.recv_timeout(std::time::Duration::from_secs(10));
        let _ = std::fs::remove_dir_all(&dir);
        let r = r.expect("open of a FIFO blocked");
        assert_eq!(
            r.unwrap_err(),
            ExecError::denied("not a regular file (a FIFO)")
        );
    }

    #[test]
    fn an_open_file_is_read_and_checked_like_a_path() {
        let f = File::open("/proc/self/exe").unwrap();
        assert_eq!(read_file(f, 4).unwrap().1, b"\x7fELF");
        let dir = File::open("/").unwrap();
        assert_eq!(
            read_file(dir, 4).unwrap_err(),
            ExecError::denied("is a directory")
        );
    }

    #[test]
    fn reads_stop_at_the_limit() {
        assert_eq!(read(Path::new("/proc/self/exe"), 4).unwrap(), b"\x7fELF");
    }
}
