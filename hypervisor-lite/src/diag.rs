//! mimic's own messages on stderr (`unsupported syscall`, a guest's fatal signal, `--strace`
//! lines, one-line errors): written with [`diag!`](crate::diag), which can fail but never
//! panics or kills mimic. The guest's result stands whatever stderr is — /dev/full, a pipe
//! nobody reads, a closed descriptor — and a message that cannot be written is dropped.
//!
//! ```
//! // stderr may be anything; this returns either way.
//! hypervisor_lite::diag!("mimic: {} {}", "a", 1);
//! ```

use std::fmt::{self, Write};

/// Writes one line (the formatted text and a newline) to stderr, ignoring every error:
/// `eprintln!` that cannot panic or raise SIGPIPE. Usable in a panic hook.
#[macro_export]
macro_rules! diag {
    ($($arg:tt)*) => {
        $crate::diag::line(::std::format_args!($($arg)*))
    };
}

/// [`diag!`]'s body: the line goes out in one `write` where the kernel allows, so lines of
/// different threads do not interleave.
pub fn line(args: fmt::Arguments) {
    let mut text = String::new();
    // fmt::format would panic if a Display impl failed; a failed one is cut short instead.
    let _ = text.write_fmt(args);
    text.push('\n');
    let _ = write_stderr(text.as_bytes());
}

/// Writes `bytes` to fd 2; returns how many were written before an error stopped it. It
/// bypasses std's `Stderr` (no lock or borrow a panicking thread could already hold) and
/// keeps SIGPIPE blocked while it writes: a guest that set SIGPIPE's default action has it
/// on the host too (signals are mirrored), and a pipe with no reader on fd 2 must not kill
/// mimic for its own output.
fn write_stderr(bytes: &[u8]) -> std::io::Result<usize> {
    // SAFETY: the sigset_t values are initialised by sigemptyset/sigpending before use;
    // pthread_sigmask, sigpending, sigtimedwait and write take pointers to live locals or
    // to `bytes`, which outlive the calls; only this thread's mask is changed, and it is
    // restored before returning.
    unsafe {
        let mut pipe: libc::sigset_t = std::mem::zeroed();
        let mut old: libc::sigset_t = std::mem::zeroed();
        let mut pending: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut pipe);
        libc::sigaddset(&mut pipe, libc::SIGPIPE);
        libc::pthread_sigmask(libc::SIG_BLOCK, &pipe, &mut old);
        libc::sigemptyset(&mut pending);
        libc::sigpending(&mut pending);
        let was_pending = libc::sigismember(&pending, libc::SIGPIPE) == 1;
        let mut rest = bytes;
        let mut error = None;
        while !rest.is_empty() {
            let n = libc::write(2, rest.as_ptr().cast(), rest.len());
            if n > 0 {
                rest = rest.get(n as usize..).unwrap_or_default();
                continue;
            }
            let e = std::io::Error::last_os_error();
            if n < 0 && e.raw_os_error() == Some(libc::EINTR) {
                continue;
            }
            error = Some(if n == 0 {
                std::io::ErrorKind::WriteZero.into()
            } else {
                e
            });
            break;
        }
        if !was_pending && error.as_ref().and_then(|e| e.raw_os_error()) == Some(libc::EPIPE) {
            // The SIGPIPE this write raised: taken here, before the mask is restored.
            let now = libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            };
            libc::sigtimedwait(&pipe, std::ptr::null_mut(), &now);
        }
        libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut());
        match error {
            Some(e) if rest.len() == bytes.len() => Err(e),
            _ => Ok(bytes.len() - rest.len()),
        }
    }
}

/// stderr for mimic's streams of output (the `-d` log): [`std::io::Write`] with
/// [`diag!`]'s guarantees, no SIGPIPE and no lock.
pub struct Stderr;

impl std::io::Write for Stderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        write_stderr(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
