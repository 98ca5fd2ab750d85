//! Files: stat, statx, statfs, flock, linux_dirent64, iovec, pollfd, epoll_event, open_how,
//! file_handle.

use super::layout::{layout, Chars};

layout! {
    /// riscv64's `struct stat` (asm-generic/stat.h): not the x86-64 one, so stat results
    /// are converted field by field.
    pub struct Stat = "stat", size 128, align 8 {
        0 st_dev: u64,
        8 st_ino: u64,
        16 st_mode: u32,
        20 st_nlink: u32,
        24 st_uid: u32,
        28 st_gid: u32,
        32 st_rdev: u64,
        48 st_size: i64,
        56 st_blksize: i32,
        64 st_blocks: i64,
        72 st_atime: i64,
        80 st_atime_nsec: u64,
        88 st_mtime: i64,
        96 st_mtime_nsec: u64,
        104 st_ctime: i64,
        112 st_ctime_nsec: u64,
    }

    /// `struct statx_timestamp`.
    pub struct StatxTimestamp = "statx_timestamp", size 16, align 8 {
        0 tv_sec: i64,
        8 tv_nsec: u32,
    }

    /// `struct statx` (linux/stat.h): architecture independent.
    pub struct Statx = "statx", size 256, align 8 {
        0 stx_mask: u32,
        4 stx_blksize: u32,
        8 stx_attributes: u64,
        16 stx_nlink: u32,
        20 stx_uid: u32,
        24 stx_gid: u32,
        28 stx_mode: u16,
        32 stx_ino: u64,
        40 stx_size: u64,
        48 stx_blocks: u64,
        56 stx_attributes_mask: u64,
        64 stx_atime: StatxTimestamp,
        80 stx_btime: StatxTimestamp,
        96 stx_ctime: StatxTimestamp,
        112 stx_mtime: StatxTimestamp,
        128 stx_rdev_major: u32,
        132 stx_rdev_minor: u32,
        136 stx_dev_major: u32,
        140 stx_dev_minor: u32,
        144 stx_mnt_id: u64,
        152 stx_dio_mem_align: u32,
        156 stx_dio_offset_align: u32,
    }

    /// `struct statfs` (asm-generic/statfs.h, 64-bit words).
    pub struct Statfs = "statfs", size 120, align 8 {
        0 f_type: i64,
        8 f_bsize: i64,
        16 f_blocks: u64,
        24 f_bfree: u64,
        32 f_bavail: u64,
        40 f_files: u64,
        48 f_ffree: u64,
        56 f_fsid: [i32; 2],
        64 f_namelen: i64,
        72 f_frsize: i64,
        80 f_flags: i64,
        88 f_spare: [i64; 4],
    }

    /// `struct flock` (fcntl F_GETLK/F_SETLK, asm-generic).
    pub struct Flock = "flock", size 32, align 8 {
        0 l_type: i16,
        2 l_whence: i16,
        8 l_start: i64,
        16 l_len: i64,
        24 l_pid: i32,
    }

    /// `struct dirent64` as glibc declares it: the kernel's linux_dirent64 header (d_ino,
    /// d_off, d_reclen, d_type) and the name, which the kernel writes only as long as it is.
    pub struct Dirent64 = "dirent64", size 280, align 8 {
        0 d_ino: u64,
        8 d_off: i64,
        16 d_reclen: u16,
        18 d_type: u8,
        19 d_name: Chars<256>,
    }

    /// `struct iovec` (readv, writev, msghdr).
    pub struct Iovec = "iovec", size 16, align 8 {
        0 iov_base: u64,
        8 iov_len: u64,
    }

    /// `struct pollfd` (ppoll).
    pub struct Pollfd = "pollfd", size 8, align 4 {
        0 fd: i32,
        4 events: i16,
        6 revents: i16,
    }

    /// `struct inotify_event`, the header of each record inotify's read returns (the name,
    /// `len` bytes NUL-padded, follows it): the same on x86-64, so read passes it through.
    pub struct InotifyEvent = "inotify_event", size 16, align 4 {
        0 wd: i32,
        4 mask: u32,
        8 cookie: u32,
        12 len: u32,
    }

    /// `struct epoll_event`: 16 bytes on riscv64, where x86-64 packs it into 12.
    pub struct EpollEvent = "epoll_event", size 16, align 8 {
        0 events: u32,
        8 data: u64,
    }

    /// `struct open_how` (linux/openat2.h, openat2): the first version, 24 bytes; a guest
    /// passing a bigger one must have zeroes past it.
    pub struct OpenHow = "open_how", size 24, align 8 {
        0 flags: u64,
        8 mode: u64,
        16 resolve: u64,
    }

    /// The header of `struct file_handle` (name_to_handle_at, open_by_handle_at): the
    /// `handle_bytes` bytes of f_handle follow it and are opaque data.
    pub struct FileHandle = "file_handle", size 8, align 4 {
        0 handle_bytes: u32,
        4 handle_type: i32,
    }
}
