//! Process and terminal: rlimit, utsname, sysinfo, robust_list_head, clone_args, winsize,
//! termios, capability header and data.

use super::layout::{layout, Chars};

layout! {
    /// `struct rlimit` (getrlimit, prlimit64's rlimit64 is the same on LP64).
    pub struct Rlimit = "rlimit", size 16, align 8 {
        0 rlim_cur: u64,
        8 rlim_max: u64,
    }

    /// `struct utsname` (uname): six 65-byte strings.
    pub struct Utsname = "utsname", size 390, align 1 {
        0 sysname: Chars<65>,
        65 nodename: Chars<65>,
        130 release: Chars<65>,
        195 version: Chars<65>,
        260 machine: Chars<65>,
        325 domainname: Chars<65>,
    }

    /// `struct sysinfo` (sysinfo).
    pub struct Sysinfo = "sysinfo", size 112, align 8 {
        0 uptime: i64,
        8 loads: [u64; 3],
        32 totalram: u64,
        40 freeram: u64,
        48 sharedram: u64,
        56 bufferram: u64,
        64 totalswap: u64,
        72 freeswap: u64,
        80 procs: u16,
        82 pad: u16,
        88 totalhigh: u64,
        96 freehigh: u64,
        104 mem_unit: u32,
    }

    /// `struct robust_list`: one link of the robust futex list.
    pub struct RobustList = "robust_list", size 8, align 8 {
        0 next: u64,
    }

    /// `struct robust_list_head` (set_robust_list).
    pub struct RobustListHead = "robust_list_head", size 24, align 8 {
        0 list: RobustList,
        8 futex_offset: i64,
        16 list_op_pending: u64,
    }

    /// `struct clone_args` (clone3), as of its third version (with `cgroup`, 88 bytes); a
    /// caller may pass the first 64 or 80 bytes of it, or more bytes that are zero.
    pub struct CloneArgs = "clone_args", size 88, align 8 {
        0 flags: u64,
        8 pidfd: u64,
        16 child_tid: u64,
        24 parent_tid: u64,
        32 exit_signal: u64,
        40 stack: u64,
        48 stack_size: u64,
        56 tls: u64,
        64 set_tid: u64,
        72 set_tid_size: u64,
        80 cgroup: u64,
    }

    /// `struct winsize` (TIOCGWINSZ, TIOCSWINSZ).
    pub struct Winsize = "winsize", size 8, align 2 {
        0 ws_row: u16,
        2 ws_col: u16,
        4 ws_xpixel: u16,
        6 ws_ypixel: u16,
    }

    /// The kernel's `struct termios` (asm-generic/termbits.h, TCGETS/TCSETS): NCCS is 19,
    /// not glibc's 32, and there are no speed fields.
    pub struct Termios = "termios", size 36, align 4 {
        0 c_iflag: u32,
        4 c_oflag: u32,
        8 c_cflag: u32,
        12 c_lflag: u32,
        16 c_line: u8,
        17 c_cc: [u8; 19],
    }

    /// `struct __user_cap_header_struct` (linux/capability.h, capget/capset).
    pub struct CapHeader = "__user_cap_header_struct", size 8, align 4 {
        0 version: u32,
        4 pid: i32,
    }

    /// `struct __user_cap_data_struct`: one per 32 capabilities (two for versions 2 and 3).
    pub struct CapData = "__user_cap_data_struct", size 12, align 4 {
        0 effective: u32,
        4 permitted: u32,
        8 inheritable: u32,
    }
}
