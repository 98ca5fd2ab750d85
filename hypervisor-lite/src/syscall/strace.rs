//! `--strace` text for the argument kinds the table declares, in qemu-user's format: flag
//! sets by name (`O_RDONLY|O_CLOEXEC`, `PROT_READ|PROT_WRITE`), strings quoted, pointers in
//! hex. The names and bits are riscv64's (asm-generic), which x86-64 shares.

use super::Arg;
use super::Task;
use crate::abi::layout::Layout;
use crate::abi::time::Timespec;

type Names = &'static [(u64, &'static str)];

/// The bits of `v` named by `names` in their order, joined by `|`; bits no name covers are
/// appended in hex. `zero` is shown for 0.
fn flags(v: u64, names: Names, zero: &str) -> String {
    if v == 0 {
        return zero.into();
    }
    let mut parts = Vec::new();
    let mut rest = v;
    for &(bits, name) in names {
        if bits != 0 && v & bits == bits && rest & bits != 0 {
            parts.push(name.to_string());
            rest &= !bits;
        }
    }
    if rest != 0 {
        parts.push(format!("0x{rest:x}"));
    }
    parts.join("|")
}

const O_ACCMODE: u64 = 3;
pub const O_CREAT: u64 = 0o100;
pub const O_TMPFILE: u64 = 0o20200000;
const OPEN: Names = &[
    (O_CREAT, "O_CREAT"),
    (0o200, "O_EXCL"),
    (0o400, "O_NOCTTY"),
    (0o1000, "O_TRUNC"),
    (0o2000, "O_APPEND"),
    (0o4000, "O_NONBLOCK"),
    (0o4010000, "O_SYNC"),
    (0o10000, "O_DSYNC"),
    (0o20000, "O_ASYNC"),
    (0o40000, "O_DIRECT"),
    (0o100000, "O_LARGEFILE"),
    (O_TMPFILE, "O_TMPFILE"),
    (0o200000, "O_DIRECTORY"),
    (0o400000, "O_NOFOLLOW"),
    (0o1000000, "O_NOATIME"),
    (0o2000000, "O_CLOEXEC"),
    (0o10000000, "O_PATH"),
];
const PROT: Names = &[(4, "PROT_EXEC"), (1, "PROT_READ"), (2, "PROT_WRITE")];
const MAP: Names = &[
    (0x01, "MAP_SHARED"),
    (0x02, "MAP_PRIVATE"),
    (0x20, "MAP_ANONYMOUS"),
    (0x800, "MAP_DENYWRITE"),
    (0x10, "MAP_FIXED"),
    (0x100, "MAP_GROWSDOWN"),
    (0x1000, "MAP_EXECUTABLE"),
    (0x2000, "MAP_LOCKED"),
    (0x4000, "MAP_NORESERVE"),
    (0x8000, "MAP_POPULATE"),
    (0x10000, "MAP_NONBLOCK"),
    (0x20000, "MAP_STACK"),
    (0x40000, "MAP_HUGETLB"),
    (0x100000, "MAP_FIXED_NOREPLACE"),
];
const ACCESS: Names = &[(4, "R_OK"), (2, "W_OK"), (1, "X_OK")];
const AT: Names = &[
    (0x100, "AT_SYMLINK_NOFOLLOW"),
    (0x200, "AT_REMOVEDIR"),
    (0x400, "AT_SYMLINK_FOLLOW"),
    (0x800, "AT_NO_AUTOMOUNT"),
    (0x1000, "AT_EMPTY_PATH"),
];
const IOCTL: Names = &[
    (0x5401, "TCGETS"),
    (0x5402, "TCSETS"),
    (0x5403, "TCSETSW"),
    (0x5404, "TCSETSF"),
    (0x540f, "TIOCGPGRP"),
    (0x5410, "TIOCSPGRP"),
    (0x5413, "TIOCGWINSZ"),
    (0x5414, "TIOCSWINSZ"),
    (0x541b, "FIONREAD"),
    (0x5421, "FIONBIO"),
    (0x5450, "FIONCLEX"),
    (0x5451, "FIOCLEX"),
    (0x540e, "TIOCSCTTY"),
    (0x5422, "TIOCNOTTY"),
    (0x5429, "TIOCGSID"),
    (0x8004_5430, "TIOCGPTN"),
    (0x4004_5431, "TIOCSPTLCK"),
    (0x5441, "TIOCGPTPEER"),
];
const SIGPROCMASK_HOW: Names = &[(0, "SIG_BLOCK"), (1, "SIG_UNBLOCK"), (2, "SIG_SETMASK")];

/// `O_RDONLY|O_CLOEXEC`: the access mode is a value, the rest are bits.
fn open_flags(v: u64) -> String {
    let mode = match v & O_ACCMODE {
        0 => "O_RDONLY".to_string(),
        1 => "O_WRONLY".into(),
        2 => "O_RDWR".into(),
        _ => "0x3".into(),
    };
    let rest = v & !O_ACCMODE;
    if rest == 0 {
        mode
    } else {
        format!("{mode}|{}", flags(rest, OPEN, ""))
    }
}

/// One of `names` exactly, or the number.
fn value(v: u64, names: Names) -> String {
    names
        .iter()
        .find(|(n, _)| *n == v)
        .map(|(_, s)| s.to_string())
        .unwrap_or_else(|| format!("{}", v as i64))
}

/// Whether a [`Arg::CreateMode`] argument is shown: only when the call's open flags create.
pub fn shows_mode(kinds: &[Arg], args: &[u64; 6]) -> bool {
    kinds
        .iter()
        .zip(args)
        .any(|(k, v)| *k == Arg::OpenFlags && v & (O_CREAT | O_TMPFILE) != 0)
}

/// One argument as qemu's strace shows it.
pub fn arg(p: &Task, kind: Arg, v: u64) -> String {
    match kind {
        Arg::Int | Arg::Fd => format!("{}", v as i32),
        Arg::Long => format!("{}", v as i64),
        Arg::DirFd if v as i32 == libc::AT_FDCWD => "AT_FDCWD".into(),
        Arg::DirFd => format!("{}", v as i32),
        Arg::Size | Arg::SigsetSize => format!("{v}"),
        Arg::Ptr => pointer(v),
        Arg::Addr if v == 0 => "0".into(),
        Arg::Addr => format!("0x{v:x}"),
        Arg::Path if v == 0 => "NULL".into(),
        Arg::Path => match p.mem.cstr(v, 4096) {
            Ok(s) => format!("\"{}\"", String::from_utf8_lossy(&s).escape_debug()),
            Err(_) => pointer(v),
        },
        Arg::Flags if v == 0 => "0".into(),
        Arg::Flags => format!("0x{v:x}"),
        Arg::Mode | Arg::CreateMode => format!("0{:o}", v as u32),
        Arg::OpenFlags => open_flags(v),
        Arg::MmapProt => flags(v, PROT, "PROT_NONE"),
        Arg::MmapFlags => flags(v, MAP, "0"),
        Arg::AccessMode => flags(v, ACCESS, "F_OK"),
        Arg::AtFlags => flags(v, AT, "0"),
        Arg::Ioctl => IOCTL
            .iter()
            .find(|(n, _)| *n == v & 0xffff_ffff)
            .map(|(_, s)| s.to_string())
            .unwrap_or_else(|| format!("0x{v:x}")),
        Arg::Signal if (1..=crate::signal::NSIG as u64).contains(&v) => {
            crate::signal::name(v as usize)
        }
        Arg::Signal => format!("{}", v as i32),
        Arg::SigHow => value(v, SIGPROCMASK_HOW),
        Arg::Timespec => structure::<Timespec>(p, v),
        Arg::TimespecOut => arg(p, Arg::Ptr, v),
        Arg::Family => super::net::show::family(v),
        Arg::SockType => super::net::show::sock_type(v),
        Arg::MsgFlags => super::net::show::msg_flags(v),
        Arg::Sockaddr => super::net::show::sockaddr(p, v),
    }
}

/// The declared structure at guest `v` in qemu's notation; NULL, or the pointer when it
/// cannot be read.
fn structure<T: Layout>(p: &Task, v: u64) -> String {
    if v == 0 {
        return "NULL".into();
    }
    match p.load::<T>(v) {
        Ok(t) => t.strace(),
        Err(_) => pointer(v),
    }
}

/// A guest pointer as qemu's strace prints one: `NULL`, or 16 hex digits (riscv64's
/// `TARGET_ABI_FMT_ptr`).
pub fn pointer(v: u64) -> String {
    if v == 0 {
        "NULL".into()
    } else {
        format!("0x{v:016x}")
    }
}

/// What a successful call wrote through its output arguments: ` ({tv_sec = 1,tv_nsec = 5})`
/// after the result, or nothing.
pub fn written(p: &Task, kinds: &[Arg], args: &[u64; 6]) -> String {
    kinds
        .iter()
        .zip(args)
        .filter(|&(k, &v)| *k == Arg::TimespecOut && v != 0)
        .map(|(_, &v)| format!(" ({})", structure::<Timespec>(p, v)))
        .collect()
}

/// qemu's strace line for a signal taken: `--- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_USER,
/// si_pid=42, si_uid=0} ---`, the fields those of the member of the union `info` holds.
pub fn taken_signal(sig: usize, info: &crate::signal::SigInfo) -> String {
    use crate::abi::signal::{SigInfoFault, SigInfoSender, SigInfoTimer};
    use crate::signal::{self, name};
    let sender = SigInfoSender::from_bytes(info).expect("a siginfo holds every member");
    let code = match sender.code {
        signal::SI_USER => "SI_USER".to_string(),
        signal::SI_KERNEL => "SI_KERNEL".into(),
        signal::SI_QUEUE => "SI_QUEUE".into(),
        SI_TIMER => "SI_TIMER".into(),
        signal::SI_TKILL => "SI_TKILL".into(),
        c => c.to_string(),
    };
    let fields = match sender.code {
        signal::SI_USER | signal::SI_TKILL => {
            format!(", si_pid={}, si_uid={}", sender.pid as u32, sender.uid)
        }
        signal::SI_QUEUE => format!(
            ", si_pid={}, si_uid={}, si_sigval={}",
            sender.pid as u32, sender.uid, sender.value as i64
        ),
        SI_TIMER => {
            let t = SigInfoTimer::from_bytes(info).expect("a siginfo holds every member");
            format!(
                ", si_timer1={}, si_timer2={}",
                t.timerid as u32, t.overrun as u32
            )
        }
        c if c > 0 && FAULTS.contains(&sig) => {
            let f = SigInfoFault::from_bytes(info).expect("a siginfo holds every member");
            format!(", si_addr={}", pointer(f.addr))
        }
        _ => String::new(),
    };
    format!(
        "--- {} {{si_signo={}, si_code={code}{fields}}} ---",
        name(sig),
        name(sender.signo as usize)
    )
}

/// si_code of a POSIX timer's expiry.
const SI_TIMER: i32 = -2;
/// The signals whose positive codes are faults with an address: SIGILL, SIGTRAP, SIGBUS,
/// SIGFPE, SIGSEGV.
const FAULTS: [usize; 5] = [4, 5, 7, 8, 11];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_have_sixteen_digits_as_in_qemu() {
        assert_eq!(pointer(0x3fe6ffe000), "0x0000003fe6ffe000");
        assert_eq!(pointer(0), "NULL");
    }

    #[test]
    fn taken_signals_as_qemu_shows_them() {
        let kill = crate::signal::sender_info(10, crate::signal::SI_USER, 42, 1000);
        assert_eq!(
            taken_signal(10, &kill),
            "--- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_USER, si_pid=42, si_uid=1000} ---"
        );
        let segv = crate::signal::fault_info(11, 1, 0x10);
        assert_eq!(
            taken_signal(11, &segv),
            "--- SIGSEGV {si_signo=SIGSEGV, si_code=1, si_addr=0x0000000000000010} ---"
        );
    }

    #[test]
    fn flag_sets_by_name() {
        assert_eq!(open_flags(0o2000000), "O_RDONLY|O_CLOEXEC");
        assert_eq!(open_flags(0o1101), "O_WRONLY|O_CREAT|O_TRUNC");
        assert_eq!(open_flags(0o4010002), "O_RDWR|O_SYNC");
        assert_eq!(flags(3, PROT, "PROT_NONE"), "PROT_READ|PROT_WRITE");
        assert_eq!(flags(0, PROT, "PROT_NONE"), "PROT_NONE");
        assert_eq!(flags(0x32, MAP, "0"), "MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED");
        assert_eq!(flags(0x80000002, MAP, "0"), "MAP_PRIVATE|0x80000000");
        assert_eq!(flags(0, ACCESS, "F_OK"), "F_OK");
        assert_eq!(value(0x5401, IOCTL), "TCGETS");
    }

    #[test]
    fn mode_only_when_creating() {
        let kinds = [Arg::DirFd, Arg::Path, Arg::OpenFlags, Arg::CreateMode];
        assert!(!shows_mode(&kinds, &[0, 0, 0o2000000, 0o644, 0, 0]));
        assert!(shows_mode(&kinds, &[0, 0, 0o101, 0o644, 0, 0]));
    }
}
