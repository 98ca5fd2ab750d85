//! Guest errno values and the one place host errors become them.

use std::fmt;

/// A riscv64 (asm-generic) errno value, positive.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Errno(pub i32);

impl Errno {
    pub const EPERM: Errno = Errno(1);
    pub const ENOENT: Errno = Errno(2);
    pub const ESRCH: Errno = Errno(3);
    pub const EBADF: Errno = Errno(9);
    pub const EAGAIN: Errno = Errno(11);
    pub const ENOMEM: Errno = Errno(12);
    pub const EFAULT: Errno = Errno(14);
    pub const EEXIST: Errno = Errno(17);
    pub const EINVAL: Errno = Errno(22);
    pub const ENOTTY: Errno = Errno(25);
    pub const ERANGE: Errno = Errno(34);
    pub const ENOSYS: Errno = Errno(38);
    pub const EINTR: Errno = Errno(4);
    pub const ECHILD: Errno = Errno(10);
    pub const ETIMEDOUT: Errno = Errno(110);

    /// The a0 value of a call failing with this errno.
    pub fn a0(self) -> u64 {
        (-(self.0 as i64)) as u64
    }

    /// The guest value for a host (x86-64 Linux) errno. Both use the asm-generic numbering
    /// (x86-64's asm/errno.h includes asm-generic's, as riscv64's does), so this is the
    /// identity; it stays a function so a host with other numbers changes only here.
    pub fn from_host(e: i32) -> Errno {
        Errno(e)
    }

    /// The host's errno right after a failed libc call.
    pub fn last() -> Errno {
        Errno::from_host(
            std::io::Error::last_os_error()
                .raw_os_error()
                .unwrap_or(libc::EIO),
        )
    }

    pub fn from_io(e: &std::io::Error) -> Errno {
        Errno::from_host(e.raw_os_error().unwrap_or(libc::EIO))
    }

    /// The message strace shows: the host's text for the same number.
    pub fn text(self) -> String {
        let s = std::io::Error::from_raw_os_error(self.0).to_string();
        s.split(" (os error").next().unwrap_or(&s).to_string()
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "errno={} ({})", self.0, self.text())
    }
}

impl From<isa_a::MemFault> for Errno {
    fn from(_: isa_a::MemFault) -> Errno {
        Errno::EFAULT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values read from /usr/riscv64-linux-gnu/include/asm-generic/errno-base.h and errno.h.
    #[test]
    fn riscv64_numbers() {
        for (host, guest) in [
            (libc::ENOENT, 2),
            (libc::EAGAIN, 11),
            (libc::ENOSYS, 38),
            (libc::ENOTEMPTY, 39),
            (libc::ELOOP, 40),
            (libc::ETIMEDOUT, 110),
            (libc::EOPNOTSUPP, 95),
        ] {
            assert_eq!(Errno::from_host(host), Errno(guest));
        }
        assert_eq!(
            Errno::ENOENT.to_string(),
            "errno=2 (No such file or directory)"
        );
    }
}
