//! riscv64 ABI structures, each declared once.
//!
//! This module is the bottom of the ABI floor: it knows bytes and layouts, nothing of vCPUs,
//! guest memory or the host. It sits beside `syscall` rather than inside it because signal
//! delivery (the rt_sigframe in `signal` and `vcpu`) needs the same declarations. A declaration names a structure's fields with their offsets and
//! Rust types (which give each field's size and kind); [`layout::layout!`] derives from it
//! the typed Rust struct, reading it from guest bytes, writing it to guest bytes, the
//! `--strace` text, and the field table the tests hold to the riscv64 headers.
//!
//! ```text
//!   layout! { pub struct Timespec = "timespec", size 16, align 8 { 0 tv_sec: i64, 8 tv_nsec: i64, } }
//!        │
//!        ├─▶ struct Timespec { tv_sec, tv_nsec }   Field::read / write, Layout::to_bytes
//!        ├─▶ Timespec::DESC: Desc { "timespec", 16, 8, [tv_sec 0 8, tv_nsec 8 8] }
//!        │        ├─▶ tests: == the probe guest's offsetof/sizeof (tests/guests/src/layouts.c)
//!        │        └─▶ tests: == the host libc type, where a handler passes the buffer through
//!        └─▶ Layout::strace: {tv_sec = 1,tv_nsec = 500}
//!
//!   syscall handlers ── Task::load / Task::store ──▶ guest bytes (EFAULT, never a host fault)
//! ```
//!
//! ```
//! use hypervisor_lite::abi::layout::{Field, Layout};
//! use hypervisor_lite::abi::time::Timespec;
//!
//! let t = Timespec { tv_sec: 1, tv_nsec: 500 };
//! let bytes = t.to_bytes();
//! assert_eq!(bytes.len(), 16);
//! assert_eq!(bytes[8..10], [0xf4, 0x01]);
//! assert_eq!(Timespec::from_bytes(&bytes), Some(t));
//! assert_eq!(t.strace(), "{tv_sec = 1,tv_nsec = 500}");
//! assert_eq!(Timespec::DESC.fields[1].offset, 8);
//! ```

pub mod file;
pub mod layout;
pub mod net;
pub mod proc;
pub mod signal;
pub mod time;

#[cfg(test)]
mod host;
#[cfg(test)]
mod probe;

use layout::{Desc, Layout};

/// Every declaration, for the tests that hold them to the headers.
pub static ALL: &[&Desc] = &[
    &time::Timespec::DESC,
    &time::Itimerspec::DESC,
    &time::Timeval::DESC,
    &time::Itimerval::DESC,
    &time::Timezone::DESC,
    &time::Tms::DESC,
    &time::Rusage::DESC,
    &proc::Rlimit::DESC,
    &proc::Utsname::DESC,
    &proc::Sysinfo::DESC,
    &proc::RobustList::DESC,
    &proc::RobustListHead::DESC,
    &proc::CloneArgs::DESC,
    &proc::Winsize::DESC,
    &proc::Termios::DESC,
    &proc::CapHeader::DESC,
    &proc::CapData::DESC,
    &file::Stat::DESC,
    &file::StatxTimestamp::DESC,
    &file::Statx::DESC,
    &file::Statfs::DESC,
    &file::Flock::DESC,
    &file::Dirent64::DESC,
    &file::Iovec::DESC,
    &file::Pollfd::DESC,
    &file::EpollEvent::DESC,
    &file::InotifyEvent::DESC,
    &file::OpenHow::DESC,
    &file::FileHandle::DESC,
    &net::Msghdr::DESC,
    &net::Cmsghdr::DESC,
    &net::SockaddrIn::DESC,
    &net::SockaddrIn6::DESC,
    &net::SockaddrUn::DESC,
    &net::SockaddrNl::DESC,
    &net::Mmsghdr::DESC,
    &net::Ucred::DESC,
    &net::Linger::DESC,
    &signal::SigAction::DESC,
    &signal::SigInfoSender::DESC,
    &signal::SigInfoFault::DESC,
    &signal::SigInfoTimer::DESC,
    &signal::SigEvent::DESC,
    &signal::SignalfdSiginfo::DESC,
    &signal::StackT::DESC,
    &signal::DExtState::DESC,
    &signal::FpState::DESC,
    &signal::SigContext::DESC,
    &signal::UContext::DESC,
    &signal::RtSigframe::DESC,
];

#[cfg(test)]
mod tests {
    use super::*;

    /// Within a declaration fields do not overlap (a union is declared as one view per
    /// member), so writing one never clobbers another.
    #[test]
    fn fields_do_not_overlap() {
        for d in ALL {
            let mut fields = d.fields.to_vec();
            fields.sort_by_key(|f| f.offset);
            for w in fields.windows(2) {
                assert!(
                    w[0].offset + w[0].size <= w[1].offset,
                    "{}: {} overlaps {}",
                    d.name,
                    w[0].name,
                    w[1].name
                );
            }
            for f in d.fields {
                assert!(
                    f.offset % natural_align(f) == 0,
                    "{}.{} misaligned",
                    d.name,
                    f.name
                );
            }
        }
    }

    fn natural_align(f: &layout::FieldDesc) -> usize {
        fn of(k: &layout::Kind, size: usize) -> usize {
            match *k {
                layout::Kind::Int { .. } => size,
                layout::Kind::Array { elem, len } => of(elem, size / len.max(1)),
                layout::Kind::Struct(d) => d.align,
                layout::Kind::Pad => 1,
            }
        }
        of(&f.kind, f.size)
    }
}
