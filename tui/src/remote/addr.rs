//! Where a server listens and a client connects: a unix socket path, or an IP address and
//! port (`127.0.0.1:PORT`). Access is the starting user's: the unix socket is created 0600
//! (in a private directory, then linked into place, so it is never reachable with other
//! permissions and never replaces what is at the path), a peer of another uid is refused, and
//! TCP listens only on loopback unless the user allows any address.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd};
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// An address as the user wrote it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Addr {
    Unix(PathBuf),
    Tcp(SocketAddr),
}

impl Addr {
    /// `IP:PORT` is TCP; anything else is a unix socket path.
    pub fn parse(text: &str) -> Result<Addr, String> {
        if text.is_empty() {
            return Err("an empty address (expected a socket path or 127.0.0.1:PORT)".into());
        }
        if let Ok(a) = text.parse::<SocketAddr>() {
            return Ok(Addr::Tcp(a));
        }
        Ok(Addr::Unix(PathBuf::from(text)))
    }
}

impl std::fmt::Display for Addr {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            Addr::Unix(p) => write!(f, "{}", p.display()),
            Addr::Tcp(a) => write!(f, "{a}"),
        }
    }
}

/// A bound listener; a unix socket's file is removed when it is dropped.
pub enum Listener {
    Unix(UnixListener, PathBuf),
    Tcp(TcpListener),
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Listener::Unix(_, path) = self {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// A connection, either kind.
pub enum Conn {
    Unix(UnixStream),
    Tcp(TcpStream),
}

impl Listener {
    /// Binds `addr`: a unix socket 0600 (a stale socket of a gone server is replaced, anything
    /// else at the path is left alone), TCP on loopback unless `any`.
    pub fn bind(addr: &Addr, any: bool) -> Result<Listener, String> {
        match addr {
            Addr::Tcp(a) => {
                if !any && !a.ip().is_loopback() {
                    return Err(format!(
                        "{a}: not a loopback address (--inspect-any allows any)"
                    ));
                }
                let l = TcpListener::bind(a)
                    .and_then(high)
                    .map_err(|e| format!("{a}: {e}"))?;
                Ok(Listener::Tcp(l))
            }
            Addr::Unix(path) => bind_unix(path).map_err(|e| format!("{}: {e}", path.display())),
        }
    }

    /// The bound address (the port chosen for port 0).
    pub fn local(&self) -> Addr {
        match self {
            Listener::Unix(_, p) => Addr::Unix(p.clone()),
            Listener::Tcp(l) => match l.local_addr() {
                Ok(a) => Addr::Tcp(a),
                Err(_) => Addr::Unix(PathBuf::new()),
            },
        }
    }

    pub fn accept(&self) -> io::Result<Conn> {
        match self {
            Listener::Unix(l, _) => {
                let c = high(l.accept()?.0)?;
                // The file's mode already keeps others out; this holds even if it is changed.
                if peer_uid(&c) != Some(euid()) {
                    return Err(io::Error::new(
                        io::ErrorKind::PermissionDenied,
                        "a peer of another user",
                    ));
                }
                Ok(Conn::Unix(c))
            }
            Listener::Tcp(l) => {
                let c = high(l.accept()?.0)?;
                let _ = c.set_nodelay(true);
                Ok(Conn::Tcp(c))
            }
        }
    }
}

fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() }
}

fn peer_uid(c: &UnixStream) -> Option<u32> {
    let mut cred = libc::ucred {
        pid: 0,
        uid: 0,
        gid: 0,
    };
    let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: cred and len describe a ucred-sized buffer the kernel fills.
    let r = unsafe {
        libc::getsockopt(
            c.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&mut cred as *mut libc::ucred).cast(),
            &mut len,
        )
    };
    (r == 0).then_some(cred.uid)
}

fn bind_unix(path: &Path) -> io::Result<Listener> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if !m.file_type().is_socket() => {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "exists and is not a socket (not replacing it)",
            ))
        }
        Ok(_) => match UnixStream::connect(path) {
            Ok(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::AddrInUse,
                    "a server already listens there",
                ))
            }
            // A socket nobody listens on: a server that ended without removing it.
            Err(_) => std::fs::remove_file(path)?,
        },
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let private = parent.join(format!(".mimic-inspect-{}-{n}", std::process::id()));
    std::fs::create_dir(&private)?;
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o700))?;
    let staged = private.join("s");
    let bound = (|| -> io::Result<UnixListener> {
        let l = UnixListener::bind(&staged)?;
        std::fs::set_permissions(&staged, std::fs::Permissions::from_mode(0o600))?;
        // link() fails rather than replace a file created at the path meanwhile.
        std::fs::hard_link(&staged, path)?;
        Ok(l)
    })();
    let _ = std::fs::remove_file(&staged);
    let _ = std::fs::remove_dir(&private);
    Ok(Listener::Unix(high(bound?)?, path.to_path_buf()))
}

/// The server's sockets live in the guest's descriptor table (mimic maps guest descriptors
/// one to one): moved above the numbers a guest uses, so its first open still gets 3, and
/// marked as mimic's own, so a snapshot leaves them out rather than refusing them.
fn high<S: AsRawFd + FromRawFd>(s: S) -> io::Result<S> {
    // SAFETY: duplicates an open descriptor; the copy is owned by the value made below.
    let fd = unsafe { libc::fcntl(s.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 900) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    hypervisor_lite::snapshot::bind::own(fd, true);
    // SAFETY: `fd` is the new descriptor and nothing else owns it; `s` closes the old one.
    Ok(unsafe { S::from_raw_fd(fd) })
}

/// How long a TCP connect may take before the client gives up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

impl Conn {
    pub fn connect(addr: &Addr) -> Result<Conn, String> {
        match addr {
            Addr::Unix(p) => UnixStream::connect(p)
                .map(Conn::Unix)
                .map_err(|e| format!("{}: {e}", p.display())),
            Addr::Tcp(a) => {
                let c = TcpStream::connect_timeout(a, CONNECT_TIMEOUT)
                    .map_err(|e| format!("{a}: {e}"))?;
                let _ = c.set_nodelay(true);
                Ok(Conn::Tcp(c))
            }
        }
    }

    /// Another descriptor for the connection, above the guest's numbers as the first.
    pub fn try_clone(&self) -> io::Result<Conn> {
        Ok(match self {
            Conn::Unix(c) => Conn::Unix(high(c.try_clone()?)?),
            Conn::Tcp(c) => Conn::Tcp(high(c.try_clone()?)?),
        })
    }

    /// Ends both directions: a thread blocked reading or writing it returns.
    pub fn shutdown(&self) {
        let _ = match self {
            Conn::Unix(c) => c.shutdown(Shutdown::Both),
            Conn::Tcp(c) => c.shutdown(Shutdown::Both),
        };
    }
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Conn::Unix(c) => c.read(buf),
            Conn::Tcp(c) => c.read(buf),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Conn::Unix(c) => c.write(buf),
            Conn::Tcp(c) => c.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Reads one frame's body, up to `max` bytes. Ok(None) at a clean end of the stream;
/// Some(Err(n)) for a frame of `n` bytes over the limit, whose bytes were skipped.
pub fn read_frame(r: &mut impl Read, max: usize) -> io::Result<Option<Result<Vec<u8>, u64>>> {
    let mut len = [0u8; 4];
    match r.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let n = u32::from_le_bytes(len) as u64;
    if n > max as u64 {
        let skipped = io::copy(&mut r.take(n), &mut io::sink())?;
        if skipped < n {
            return Ok(None);
        }
        return Ok(Some(Err(n)));
    }
    let mut body = vec![0; n as usize];
    r.read_exact(&mut body)?;
    Ok(Some(Ok(body)))
}
