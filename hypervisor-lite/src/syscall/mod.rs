//! The Linux ABI as one declared table.
//!
//! ```text
//!   ecall (a7 = nr, a0..a5) ─▶ TABLE lookup ─▶ handler(&mut Process, args) ─▶ a0
//!                                  │                       │
//!                                  └── --strace line ◀─────┘  (from the declared arg kinds)
//!   not in the table ─▶ -ENOSYS, reported once
//! ```
//!
//! Each row declares the riscv64 number, the name, the argument kinds and the handler. The
//! handlers marshal riscv64 layouts explicitly, check every guest pointer against the address
//! space (EFAULT, never a host fault) and return host errors through [`Errno::from_host`].

mod errno;
mod fs;
mod mm;
mod proc;
mod signal;

pub use errno::Errno;

use crate::process::Process;
use std::io::Write;
use std::sync::OnceLock;

/// What a handler returns: the value for a0, or an errno (a0 = -errno).
pub type SysResult = Result<u64, Errno>;
type Handler = fn(&mut Process, [u64; 6]) -> SysResult;

/// How an argument is shown by `--strace`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Arg {
    /// A signed integer.
    Int,
    /// An unsigned size or count.
    Size,
    /// A file descriptor.
    Fd,
    /// A directory descriptor (`AT_FDCWD` by name).
    DirFd,
    /// A guest pointer (`NULL` when 0).
    Ptr,
    /// A guest pointer to a NUL-terminated path, shown quoted.
    Path,
    /// Flag bits, shown in hex.
    Flags,
    /// A file mode, shown in octal.
    Mode,
}

/// How the result is shown.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Ret {
    Int,
    Ptr,
    /// The call does not return (exit) or returns to a restored context (rt_sigreturn).
    None,
}

/// One row of the table.
pub struct Syscall {
    pub nr: u64,
    pub name: &'static str,
    pub args: &'static [Arg],
    pub ret: Ret,
    handler: Handler,
}

macro_rules! syscalls {
    ($($nr:literal $name:ident($($arg:ident),*) -> $ret:ident = $handler:path;)*) => {
        /// Every syscall mimic implements, by riscv64 number (asm-generic/unistd.h).
        pub static TABLE: &[Syscall] = &[$(Syscall {
            nr: $nr,
            name: stringify!($name),
            args: &[$(Arg::$arg),*],
            ret: Ret::$ret,
            handler: $handler,
        }),*];
    };
}

syscalls! {
    17  getcwd(Ptr, Size) -> Int = fs::getcwd;
    23  dup(Fd) -> Int = fs::dup;
    24  dup3(Fd, Fd, Flags) -> Int = fs::dup3;
    25  fcntl(Fd, Int, Ptr) -> Int = fs::fcntl;
    29  ioctl(Fd, Flags, Ptr) -> Int = fs::ioctl;
    34  mkdirat(DirFd, Path, Mode) -> Int = fs::mkdirat;
    35  unlinkat(DirFd, Path, Flags) -> Int = fs::unlinkat;
    36  symlinkat(Path, DirFd, Path) -> Int = fs::symlinkat;
    37  linkat(DirFd, Path, DirFd, Path, Flags) -> Int = fs::linkat;
    38  renameat(DirFd, Path, DirFd, Path) -> Int = fs::renameat;
    43  statfs(Path, Ptr) -> Int = fs::statfs;
    44  fstatfs(Fd, Ptr) -> Int = fs::fstatfs;
    45  truncate(Path, Int) -> Int = fs::truncate;
    46  ftruncate(Fd, Int) -> Int = fs::ftruncate;
    48  faccessat(DirFd, Path, Mode) -> Int = fs::faccessat;
    49  chdir(Path) -> Int = fs::chdir;
    50  fchdir(Fd) -> Int = fs::fchdir;
    52  fchmod(Fd, Mode) -> Int = fs::fchmod;
    53  fchmodat(DirFd, Path, Mode) -> Int = fs::fchmodat;
    56  openat(DirFd, Path, Flags, Mode) -> Int = fs::openat;
    57  close(Fd) -> Int = fs::close;
    59  pipe2(Ptr, Flags) -> Int = fs::pipe2;
    61  getdents64(Fd, Ptr, Size) -> Int = fs::getdents64;
    62  lseek(Fd, Int, Int) -> Int = fs::lseek;
    63  read(Fd, Ptr, Size) -> Int = fs::read;
    64  write(Fd, Ptr, Size) -> Int = fs::write;
    65  readv(Fd, Ptr, Size) -> Int = fs::readv;
    66  writev(Fd, Ptr, Size) -> Int = fs::writev;
    67  pread64(Fd, Ptr, Size, Int) -> Int = fs::pread64;
    68  pwrite64(Fd, Ptr, Size, Int) -> Int = fs::pwrite64;
    72  pselect6(Int, Ptr, Ptr, Ptr, Ptr, Ptr) -> Int = fs::pselect6;
    73  ppoll(Ptr, Size, Ptr, Ptr, Size) -> Int = fs::ppoll;
    78  readlinkat(DirFd, Path, Ptr, Size) -> Int = fs::readlinkat;
    79  newfstatat(DirFd, Path, Ptr, Flags) -> Int = fs::newfstatat;
    80  fstat(Fd, Ptr) -> Int = fs::fstat;
    82  fsync(Fd) -> Int = fs::fsync;
    83  fdatasync(Fd) -> Int = fs::fdatasync;
    88  utimensat(DirFd, Path, Ptr, Flags) -> Int = fs::utimensat;
    93  exit(Int) -> None = proc::exit;
    94  exit_group(Int) -> None = proc::exit_group;
    96  set_tid_address(Ptr) -> Int = proc::set_tid_address;
    98  futex(Ptr, Int, Int, Ptr, Ptr, Int) -> Int = proc::futex;
    99  set_robust_list(Ptr, Size) -> Int = proc::set_robust_list;
    101 nanosleep(Ptr, Ptr) -> Int = proc::nanosleep;
    113 clock_gettime(Int, Ptr) -> Int = proc::clock_gettime;
    114 clock_getres(Int, Ptr) -> Int = proc::clock_getres;
    115 clock_nanosleep(Int, Flags, Ptr, Ptr) -> Int = proc::clock_nanosleep;
    123 sched_getaffinity(Int, Size, Ptr) -> Int = proc::sched_getaffinity;
    124 sched_yield() -> Int = proc::sched_yield;
    129 kill(Int, Int) -> Int = signal::kill;
    130 tkill(Int, Int) -> Int = signal::tkill;
    131 tgkill(Int, Int, Int) -> Int = signal::tgkill;
    132 sigaltstack(Ptr, Ptr) -> Int = signal::sigaltstack;
    134 rt_sigaction(Int, Ptr, Ptr, Size) -> Int = signal::rt_sigaction;
    135 rt_sigprocmask(Int, Ptr, Ptr, Size) -> Int = signal::rt_sigprocmask;
    139 rt_sigreturn() -> None = signal::rt_sigreturn;
    153 times(Ptr) -> Int = proc::times;
    155 getpgid(Int) -> Int = proc::getpgid;
    160 uname(Ptr) -> Int = proc::uname;
    163 getrlimit(Int, Ptr) -> Int = proc::getrlimit;
    165 getrusage(Int, Ptr) -> Int = proc::getrusage;
    166 umask(Mode) -> Int = proc::umask;
    169 gettimeofday(Ptr, Ptr) -> Int = proc::gettimeofday;
    172 getpid() -> Int = proc::getpid;
    173 getppid() -> Int = proc::getppid;
    174 getuid() -> Int = proc::getuid;
    175 geteuid() -> Int = proc::geteuid;
    176 getgid() -> Int = proc::getgid;
    177 getegid() -> Int = proc::getegid;
    178 gettid() -> Int = proc::gettid;
    179 sysinfo(Ptr) -> Int = proc::sysinfo;
    214 brk(Ptr) -> Ptr = mm::brk;
    215 munmap(Ptr, Size) -> Int = mm::munmap;
    216 mremap(Ptr, Size, Size, Flags, Ptr) -> Ptr = mm::mremap;
    222 mmap(Ptr, Size, Flags, Flags, Fd, Int) -> Ptr = mm::mmap;
    226 mprotect(Ptr, Size, Flags) -> Int = mm::mprotect;
    233 madvise(Ptr, Size, Int) -> Int = mm::madvise;
    258 riscv_hwprobe(Ptr, Size, Size, Ptr, Flags) -> Int = proc::enosys;
    259 riscv_flush_icache(Ptr, Ptr, Flags) -> Int = mm::riscv_flush_icache;
    261 prlimit64(Int, Int, Ptr, Ptr) -> Int = proc::prlimit64;
    276 renameat2(DirFd, Path, DirFd, Path, Flags) -> Int = fs::renameat2;
    278 getrandom(Ptr, Size, Flags) -> Int = proc::getrandom;
    291 statx(DirFd, Path, Flags, Flags, Ptr) -> Int = fs::statx;
    293 rseq(Ptr, Size, Flags, Int) -> Int = proc::enosys;
    439 faccessat2(DirFd, Path, Mode, Flags) -> Int = fs::faccessat2;
}

/// The row for `nr`, if mimic implements it.
pub fn lookup(nr: u64) -> Option<&'static Syscall> {
    static INDEX: OnceLock<Vec<Option<u16>>> = OnceLock::new();
    let index = INDEX.get_or_init(|| {
        let mut v = vec![None; 512];
        for (i, s) in TABLE.iter().enumerate() {
            v[s.nr as usize] = Some(i as u16);
        }
        v
    });
    index
        .get(nr as usize)
        .copied()
        .flatten()
        .map(|i| &TABLE[i as usize])
}

/// Names of syscalls mimic does not implement, for the one-time report.
fn unimplemented_name(nr: u64) -> &'static str {
    match nr {
        117 => "ptrace",
        167 => "prctl",
        198 => "socket",
        220 => "clone",
        221 => "execve",
        260 => "wait4",
        283 => "membarrier",
        435 => "clone3",
        _ => "?",
    }
}

/// Performs the system call in the guest's a7/a0..a5 and returns the value for a0.
pub fn dispatch(p: &mut Process, nr: u64, args: [u64; 6]) -> u64 {
    let Some(sc) = lookup(nr) else {
        if p.reported.insert(nr) {
            eprintln!(
                "mimic: unsupported syscall {nr} ({})",
                unimplemented_name(nr)
            );
        }
        if p.strace {
            strace_line(
                p,
                &format!("unknown_syscall_{nr}()"),
                &Err(Errno::ENOSYS),
                Ret::Int,
            );
        }
        return (-(Errno::ENOSYS.0 as i64)) as u64;
    };
    // The call line is formatted before the call: the handler may change what the
    // pointers point at, and exit never returns to print it afterwards.
    let call = p.strace.then(|| format_call(p, sc, &args));
    if sc.ret == Ret::None {
        if let Some(c) = &call {
            let _ = writeln!(std::io::stderr().lock(), "{} {c}", p.pid);
        }
        return (sc.handler)(p, args).unwrap_or_else(|e| (-(e.0 as i64)) as u64);
    }
    let r = (sc.handler)(p, args);
    if let Some(c) = call {
        strace_line(p, &c, &r, sc.ret);
    }
    match r {
        Ok(v) => v,
        Err(e) => (-(e.0 as i64)) as u64,
    }
}

fn strace_line(p: &Process, call: &str, r: &SysResult, ret: Ret) {
    let result = match (r, ret) {
        (Err(e), _) => format!("-1 {e}"),
        (Ok(v), Ret::Ptr) => format!("0x{v:016x}"),
        (Ok(v), _) => format!("{}", *v as i64),
    };
    let _ = writeln!(std::io::stderr().lock(), "{} {call} = {result}", p.pid);
}

/// `name(arg,arg,…)` as qemu's strace writes it.
pub fn format_call(p: &Process, sc: &Syscall, args: &[u64; 6]) -> String {
    let shown: Vec<String> = sc
        .args
        .iter()
        .zip(args)
        .map(|(k, &v)| format_arg(p, *k, v))
        .collect();
    format!("{}({})", sc.name, shown.join(","))
}

fn format_arg(p: &Process, kind: Arg, v: u64) -> String {
    match kind {
        Arg::Int | Arg::Fd => format!("{}", v as i64),
        Arg::DirFd if v as i32 == libc::AT_FDCWD => "AT_FDCWD".into(),
        Arg::DirFd => format!("{}", v as i32),
        Arg::Size => format!("{v}"),
        Arg::Ptr if v == 0 => "NULL".into(),
        Arg::Ptr => format!("0x{v:x}"),
        Arg::Path if v == 0 => "NULL".into(),
        Arg::Path => match p.mem.cstr(v, 4096) {
            Ok(s) => format!("\"{}\"", String::from_utf8_lossy(&s).escape_debug()),
            Err(_) => format!("0x{v:x}"),
        },
        Arg::Flags => format!("0x{v:x}"),
        Arg::Mode => format!("0{:o}", v as u32),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_consistent() {
        let mut seen = std::collections::HashSet::new();
        for s in TABLE {
            assert!(seen.insert(s.nr), "{} declared twice", s.name);
            assert!(s.args.len() <= 6, "{}", s.name);
            assert!(s.nr < 512);
            assert_eq!(lookup(s.nr).map(|r| r.name), Some(s.name));
        }
        // Spot checks against asm-generic/unistd.h.
        for (nr, name) in [
            (56, "openat"),
            (64, "write"),
            (79, "newfstatat"),
            (94, "exit_group"),
            (222, "mmap"),
        ] {
            assert_eq!(lookup(nr).map(|s| s.name), Some(name));
        }
    }
}
