//! The declarations whose guest buffers handlers hand straight to the host kernel, held to
//! the host's own types: a difference fails here instead of corrupting guest memory.

use super::layout::{Desc, Layout};
use super::{file, net, proc, signal, time};

/// Checks that `desc` has the host type's size and that every declared field is one of the
/// host's, at the same offset with the same size. `rows`: (C name, offset, size) on the host.
fn same(desc: &Desc, host_size: usize, rows: &[(&str, usize, usize)]) {
    let mut bad = Vec::new();
    if desc.size != host_size {
        bad.push(format!(
            "size {} on riscv64, {host_size} on the host",
            desc.size
        ));
    }
    for f in desc.fields {
        match rows.iter().find(|r| r.0 == f.name) {
            Some(&(_, off, size)) if (off, size) == (f.offset, f.size) => {}
            Some(&(_, off, size)) => bad.push(format!(
                "{} at {} ({} bytes) on riscv64, at {off} ({size}) on the host",
                f.name, f.offset, f.size
            )),
            None => bad.push(format!("{} not compared with the host", f.name)),
        }
    }
    assert!(bad.is_empty(), "struct {}: {}", desc.name, bad.join("; "));
}

/// `host!(libc::timespec, [tv_sec, tv_nsec])`: the host type's size and (name, offset, size)
/// of each listed field; `field = "c_name"` where the Rust declaration names it differently.
macro_rules! host {
    ($desc:expr, $t:ty, [$($f:ident $(= $c:literal)?),* $(,)?]) => {
        host!($desc, $t, [$($f $(= $c)?),*], size = std::mem::size_of::<$t>())
    };
    ($desc:expr, $t:ty, [$($f:ident $(= $c:literal)?),* $(,)?], size = $size:expr) => {{
        // SAFETY: libc's structs are plain C data, valid when all zero.
        let h: $t = unsafe { std::mem::zeroed() };
        let rows = [$((
            host!(@name $f $($c)?),
            std::mem::offset_of!($t, $f),
            std::mem::size_of_val(&h.$f),
        )),*];
        same(&$desc, $size, &rows);
    }};
    (@name $f:ident) => { stringify!($f) };
    (@name $f:ident $c:literal) => { $c };
}

#[test]
fn passed_through_structures_match_the_host() {
    host!(time::Timespec::DESC, libc::timespec, [tv_sec, tv_nsec]);
    host!(
        time::Itimerspec::DESC,
        libc::itimerspec,
        [it_interval, it_value]
    );
    host!(time::Timeval::DESC, libc::timeval, [tv_sec, tv_usec]);
    host!(
        time::Tms::DESC,
        libc::tms,
        [tms_utime, tms_stime, tms_cutime, tms_cstime]
    );
    host!(
        time::Rusage::DESC,
        libc::rusage,
        [
            ru_utime,
            ru_stime,
            ru_maxrss,
            ru_ixrss,
            ru_idrss,
            ru_isrss,
            ru_minflt,
            ru_majflt,
            ru_nswap,
            ru_inblock,
            ru_oublock,
            ru_msgsnd,
            ru_msgrcv,
            ru_nsignals,
            ru_nvcsw,
            ru_nivcsw
        ]
    );
    host!(proc::Rlimit::DESC, libc::rlimit, [rlim_cur, rlim_max]);
    host!(
        proc::Utsname::DESC,
        libc::utsname,
        [sysname, nodename, release, version, machine, domainname]
    );
    host!(
        proc::Sysinfo::DESC,
        libc::sysinfo,
        [
            uptime, loads, totalram, freeram, sharedram, bufferram, totalswap, freeswap, procs,
            pad, totalhigh, freehigh, mem_unit
        ]
    );
    host!(
        proc::Winsize::DESC,
        libc::winsize,
        [ws_row, ws_col, ws_xpixel, ws_ypixel]
    );
    host!(file::Pollfd::DESC, libc::pollfd, [fd, events, revents]);
    host!(
        file::InotifyEvent::DESC,
        libc::inotify_event,
        [wd, mask, cookie, len]
    );
    host!(
        file::Flock::DESC,
        libc::flock,
        [l_type, l_whence, l_start, l_len, l_pid]
    );
    host!(
        file::Dirent64::DESC,
        libc::dirent64,
        [d_ino, d_off, d_reclen, d_type, d_name]
    );
    host!(
        file::StatxTimestamp::DESC,
        libc::statx_timestamp,
        [tv_sec, tv_nsec]
    );
    host!(
        file::Statx::DESC,
        libc::statx,
        [
            stx_mask,
            stx_blksize,
            stx_attributes,
            stx_nlink,
            stx_uid,
            stx_gid,
            stx_mode,
            stx_ino,
            stx_size,
            stx_blocks,
            stx_attributes_mask,
            stx_atime,
            stx_btime,
            stx_ctime,
            stx_mtime,
            stx_rdev_major,
            stx_rdev_minor,
            stx_dev_major,
            stx_dev_minor,
            stx_mnt_id,
            stx_dio_mem_align,
            stx_dio_offset_align
        ]
    );
    host!(file::Iovec::DESC, libc::iovec, [iov_base, iov_len]);
    host!(
        net::Msghdr::DESC,
        libc::msghdr,
        [
            msg_name,
            msg_namelen,
            msg_iov,
            msg_iovlen,
            msg_control,
            msg_controllen,
            msg_flags
        ]
    );
    host!(
        net::Cmsghdr::DESC,
        libc::cmsghdr,
        [cmsg_len, cmsg_level, cmsg_type]
    );
    host!(
        net::SockaddrIn::DESC,
        libc::sockaddr_in,
        [sin_family, sin_port, sin_addr, sin_zero]
    );
    host!(
        net::SockaddrIn6::DESC,
        libc::sockaddr_in6,
        [
            sin6_family,
            sin6_port,
            sin6_flowinfo,
            sin6_addr,
            sin6_scope_id
        ]
    );
    host!(
        net::SockaddrUn::DESC,
        libc::sockaddr_un,
        [sun_family, sun_path]
    );
    host!(
        net::SockaddrNl::DESC,
        libc::sockaddr_nl,
        [nl_family, nl_pid, nl_groups]
    );
    host!(net::Mmsghdr::DESC, libc::mmsghdr, [msg_hdr, msg_len]);
    host!(net::Ucred::DESC, libc::ucred, [pid, uid, gid]);
    host!(net::Linger::DESC, libc::linger, [l_onoff, l_linger]);
    host!(
        signal::StackT::DESC,
        libc::stack_t,
        [ss_sp, ss_flags, ss_size]
    );
}

/// statfs: libc hides f_flags inside its f_spare, so the fields it does show are compared.
#[test]
fn statfs_matches_the_host() {
    // SAFETY: plain C data, valid when all zero.
    let h: libc::statfs = unsafe { std::mem::zeroed() };
    let d = &file::Statfs::DESC;
    assert_eq!(d.size, std::mem::size_of::<libc::statfs>());
    for (name, off, size) in [
        ("f_type", std::mem::offset_of!(libc::statfs, f_type), 8),
        ("f_bsize", std::mem::offset_of!(libc::statfs, f_bsize), 8),
        ("f_blocks", std::mem::offset_of!(libc::statfs, f_blocks), 8),
        ("f_bfree", std::mem::offset_of!(libc::statfs, f_bfree), 8),
        ("f_bavail", std::mem::offset_of!(libc::statfs, f_bavail), 8),
        ("f_files", std::mem::offset_of!(libc::statfs, f_files), 8),
        ("f_ffree", std::mem::offset_of!(libc::statfs, f_ffree), 8),
        (
            "f_fsid",
            std::mem::offset_of!(libc::statfs, f_fsid),
            std::mem::size_of_val(&h.f_fsid),
        ),
        (
            "f_namelen",
            std::mem::offset_of!(libc::statfs, f_namelen),
            8,
        ),
        ("f_frsize", std::mem::offset_of!(libc::statfs, f_frsize), 8),
    ] {
        let f = d.fields.iter().find(|f| f.name == name).expect(name);
        assert_eq!((f.offset, f.size), (off, size), "statfs.{name}");
    }
}

/// The kernel's termios (what TCGETS writes) is termios2 without its two speed words, on
/// x86-64 as on riscv64; glibc's `struct termios` is a different, larger structure.
#[test]
fn kernel_termios_matches_the_host_kernels() {
    host!(
        proc::Termios::DESC,
        libc::termios2,
        [c_iflag, c_oflag, c_cflag, c_lflag, c_line, c_cc],
        size = std::mem::offset_of!(libc::termios2, c_ispeed)
    );
}

#[test]
fn siginfo_is_128_bytes_on_both_sides() {
    assert_eq!(
        signal::SigInfoFault::DESC.size,
        std::mem::size_of::<libc::siginfo_t>()
    );
    assert_eq!(
        signal::SigInfoSender::DESC.size,
        std::mem::size_of::<libc::siginfo_t>()
    );
}

/// epoll_event is NOT passed through: x86-64 packs it into 12 bytes.
#[test]
fn epoll_event_differs_from_the_host() {
    assert_eq!(std::mem::size_of::<libc::epoll_event>(), 12);
    assert_eq!(file::EpollEvent::DESC.size, 16);
    assert_eq!(file::EpollEvent::DESC.fields[1].offset, 8);
}
