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
/// different threads do not interleave. It bypasses std's `Stderr` (no lock or borrow a
/// panicking thread could already hold) and keeps SIGPIPE blocked while it writes: a guest
/// that set SIGPIPE's default action has it on the host too (signals are mirrored), and a
/// pipe with no reader on fd 2 must not kill mimic for its own message.
pub fn line(args: fmt::Arguments) {
    let mut text = String::new();
    // fmt::format would panic if a Display impl failed; a failed one is cut short instead.
    let _ = text.write_fmt(args);
    text.push('\n');
    // SAFETY: the sigset_t values are initialised by sigemptyset/sigpending before use;
    // pthread_sigmask, sigpending, sigtimedwait and write take pointers to live locals or
    // to `text`, whose bytes outlive the calls; only this thread's mask is changed, and it
    // is restored before returning.
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
        let mut rest = text.as_bytes();
        let mut broken_pipe = false;
        while !rest.is_empty() {
            let n = libc::write(2, rest.as_ptr().cast(), rest.len());
            if n > 0 {
                rest = rest.get(n as usize..).unwrap_or_default();
                continue;
            }
            let e = std::io::Error::last_os_error().raw_os_error();
            if n < 0 && e == Some(libc::EINTR) {
                continue;
            }
            broken_pipe = e == Some(libc::EPIPE);
            break;
        }
        if broken_pipe && !was_pending {
            // The SIGPIPE this write raised: taken here, before the mask is restored.
            let now = libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            };
            libc::sigtimedwait(&pipe, std::ptr::null_mut(), &now);
        }
        libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut());
    }
}
