//! The Linux ABI as one declared table.
//!
//! ```text
//!   ecall (a7 = nr, a0..a5) ─▶ TABLE lookup ─▶ handler(&mut Task, args) ─▶ Outcome
//!                                  │                       │           (value, errno, park,
//!                                  └── --strace line ◀─────┘            end, restored)
//!   not in the table ─▶ -ENOSYS, reported once
//! ```
//!
//! Each row declares the riscv64 number, the name, the argument kinds and the handler. The
//! handlers marshal riscv64 layouts explicitly, check every guest pointer against the address
//! space (EFAULT, never a host fault) and return host errors through [`Errno::from_host`].
//! A handler returns what happens next ([`Outcome`]); the vCPU's step acts on it.

mod carry;
mod cred;
mod deliver;
mod errno;
mod event;
mod file;
mod fs;
mod fsnode;
mod guest;
mod ident;
mod mm;
pub mod names;
mod net;
mod notify;
mod outcome;
mod pidfd;
mod proc;
pub(crate) mod procfs;
mod sigfd;
mod signal;
mod strace;
mod task;
mod thread;
mod timer;
mod vclock;
mod vtimerfd;
mod xfer;

pub use thread::futex_wake;
pub use timer::{fire_due as fire_timers, next_due as next_timer};

pub use carry::snapshot_check;
pub use errno::Errno;
pub use outcome::{a0, End, IntoOutcome, NewThread, Outcome, Wait};
pub use task::Task;

use std::sync::OnceLock;

/// What a handler returns: the value for a0, or an errno (a0 = -errno).
pub type SysResult = Result<u64, Errno>;
type Handler = fn(&mut Task, [u64; 6]) -> Outcome;

/// What an argument is, which is how `--strace` shows it (see `strace.rs`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Arg {
    /// A signed 32-bit integer (C `int`).
    Int,
    /// A signed 64-bit integer (`off_t`, `long`).
    Long,
    /// An unsigned size or count.
    Size,
    /// The sigset size of rt_sigaction and rt_sigprocmask, which qemu's strace leaves out.
    SigsetSize,
    /// A file descriptor.
    Fd,
    /// A directory descriptor (`AT_FDCWD` by name).
    DirFd,
    /// A guest pointer: `NULL` when 0, else 16 hex digits, as qemu's decoded calls show
    /// pointers.
    Ptr,
    /// A buffer address in the calls qemu shows with a plain format (read, write, …):
    /// `0x10380`, `0` when 0.
    Addr,
    /// A guest pointer to a NUL-terminated path, shown quoted.
    Path,
    /// Flag bits without names, shown in hex.
    Flags,
    /// A file mode, shown in octal.
    Mode,
    /// open's mode: shown only when the call's [`Arg::OpenFlags`] create a file.
    CreateMode,
    /// `O_*` flags: `O_RDONLY|O_CLOEXEC`.
    OpenFlags,
    /// `PROT_*` bits.
    MmapProt,
    /// `MAP_*` bits.
    MmapFlags,
    /// access()'s `R_OK|W_OK|X_OK` or `F_OK`.
    AccessMode,
    /// `AT_*` flags of the *at calls.
    AtFlags,
    /// An ioctl request (`TCGETS`).
    Ioctl,
    /// A signal number (`SIGUSR1`).
    Signal,
    /// sigprocmask's how (`SIG_BLOCK`).
    SigHow,
    /// A `struct timespec` the call reads: `{tv_sec = 1,tv_nsec = 500}` (NULL when 0).
    Timespec,
    /// A `struct timespec` the call writes: a pointer in the call, the structure after a
    /// successful result (`= 0 ({tv_sec = 1,tv_nsec = 500})`), as qemu shows it.
    TimespecOut,
    /// An address family (`AF_INET`).
    Family,
    /// A socket type and its flags (`SOCK_STREAM|SOCK_CLOEXEC`).
    SockType,
    /// `MSG_*` flags.
    MsgFlags,
    /// A `struct sockaddr` the call reads, decoded by its family.
    Sockaddr,
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
            handler: |v, a| IntoOutcome::into_outcome($handler(v, a)),
        }),*];
    };
}

syscalls! {
    17  getcwd(Addr, Size) -> Int = fs::getcwd;
    19  eventfd2(Int, Flags) -> Int = event::eventfd2;
    20  epoll_create1(Flags) -> Int = event::epoll_create1;
    21  epoll_ctl(Fd, Int, Fd, Ptr) -> Int = event::epoll_ctl;
    22  epoll_pwait(Fd, Ptr, Int, Int, Ptr, Size) -> Int = event::epoll_pwait;
    23  dup(Fd) -> Int = fs::dup;
    24  dup3(Fd, Fd, OpenFlags) -> Int = fs::dup3;
    25  fcntl(Fd, Int, Ptr) -> Int = fs::fcntl;
    26  inotify_init1(OpenFlags) -> Int = notify::inotify_init1;
    27  inotify_add_watch(Fd, Path, Flags) -> Int = notify::inotify_add_watch;
    28  inotify_rm_watch(Fd, Int) -> Int = notify::inotify_rm_watch;
    29  ioctl(Fd, Ioctl, Ptr) -> Int = fs::ioctl;
    33  mknodat(DirFd, Path, Mode, Int) -> Int = fsnode::mknodat;
    32  flock(Fd, Int) -> Int = file::flock;
    34  mkdirat(DirFd, Path, Mode) -> Int = fs::mkdirat;
    35  unlinkat(DirFd, Path, AtFlags) -> Int = fs::unlinkat;
    36  symlinkat(Path, DirFd, Path) -> Int = fs::symlinkat;
    37  linkat(DirFd, Path, DirFd, Path, AtFlags) -> Int = fs::linkat;
    43  statfs(Path, Ptr) -> Int = fs::statfs;
    44  fstatfs(Fd, Ptr) -> Int = fs::fstatfs;
    45  truncate(Path, Long) -> Int = fs::truncate;
    46  ftruncate(Fd, Long) -> Int = fs::ftruncate;
    47  fallocate(Fd, Int, Long, Long) -> Int = file::fallocate;
    48  faccessat(DirFd, Path, AccessMode) -> Int = fs::faccessat;
    49  chdir(Path) -> Int = fs::chdir;
    50  fchdir(Fd) -> Int = fs::fchdir;
    52  fchmod(Fd, Mode) -> Int = fs::fchmod;
    53  fchmodat(DirFd, Path, Mode) -> Int = fs::fchmodat;
    54  fchownat(DirFd, Path, Int, Int, AtFlags) -> Int = file::fchownat;
    55  fchown(Fd, Int, Int) -> Int = file::fchown;
    56  openat(DirFd, Path, OpenFlags, CreateMode) -> Int = fs::openat;
    57  close(Fd) -> Int = fs::close;
    59  pipe2(Ptr, OpenFlags) -> Int = fs::pipe2;
    61  getdents64(Fd, Ptr, Size) -> Int = fs::getdents64;
    62  lseek(Fd, Long, Int) -> Int = fs::lseek;
    63  read(Fd, Addr, Size) -> Int = fs::read;
    64  write(Fd, Addr, Size) -> Int = fs::write;
    65  readv(Fd, Ptr, Size) -> Int = fs::readv;
    66  writev(Fd, Addr, Size) -> Int = fs::writev;
    67  pread64(Fd, Ptr, Size, Long) -> Int = fs::pread64;
    68  pwrite64(Fd, Ptr, Size, Long) -> Int = fs::pwrite64;
    74  signalfd4(Fd, Ptr, Size, Flags) -> Int = sigfd::signalfd4;
    71  sendfile(Fd, Fd, Ptr, Size) -> Int = xfer::sendfile;
    72  pselect6(Int, Ptr, Ptr, Ptr, Ptr, Ptr) -> Int = fs::pselect6;
    73  ppoll(Ptr, Size, Ptr, Ptr, Size) -> Int = fs::ppoll;
    75  vmsplice(Fd, Ptr, Size, Flags) -> Int = xfer::vmsplice;
    76  splice(Fd, Ptr, Fd, Ptr, Size, Flags) -> Int = xfer::splice;
    77  tee(Fd, Fd, Size, Flags) -> Int = xfer::tee;
    78  readlinkat(DirFd, Path, Ptr, Size) -> Int = fs::readlinkat;
    79  newfstatat(DirFd, Path, Ptr, Flags) -> Int = fs::newfstatat;
    80  fstat(Fd, Ptr) -> Int = fs::fstat;
    81  sync() -> Int = file::sync;
    82  fsync(Fd) -> Int = fs::fsync;
    83  fdatasync(Fd) -> Int = fs::fdatasync;
    84  sync_file_range(Fd, Long, Long, Flags) -> Int = xfer::sync_file_range;
    85  timerfd_create(Int, Flags) -> Int = event::timerfd_create;
    86  timerfd_settime(Fd, Flags, Ptr, Ptr) -> Int = event::timerfd_settime;
    87  timerfd_gettime(Fd, Ptr) -> Int = event::timerfd_gettime;
    88  utimensat(DirFd, Path, Ptr, AtFlags) -> Int = fs::utimensat;
    90  capget(Ptr, Ptr) -> Int = ident::capget;
    91  capset(Ptr, Ptr) -> Int = ident::capset;
    92  personality(Flags) -> Int = cred::personality;
    93  exit(Int) -> None = thread::exit;
    94  exit_group(Int) -> None = thread::exit_group;
    95  waitid(Int, Int, Ptr, Flags, Ptr) -> Int = thread::waitid;
    96  set_tid_address(Ptr) -> Int = thread::set_tid_address;
    97  unshare(Flags) -> Int = ident::unshare;
    98  futex(Ptr, Int, Int, Ptr, Ptr, Int) -> Int = thread::futex;
    99  set_robust_list(Ptr, Size) -> Int = thread::set_robust_list;
    101 nanosleep(Timespec, Timespec) -> Int = thread::nanosleep;
    102 getitimer(Int, Ptr) -> Int = timer::getitimer;
    103 setitimer(Int, Ptr, Ptr) -> Int = timer::setitimer;
    107 timer_create(Int, Ptr, Ptr) -> Int = timer::timer_create;
    108 timer_gettime(Int, Ptr) -> Int = timer::timer_gettime;
    109 timer_getoverrun(Int) -> Int = timer::timer_getoverrun;
    110 timer_settime(Int, Flags, Ptr, Ptr) -> Int = timer::timer_settime;
    111 timer_delete(Int) -> Int = timer::timer_delete;
    113 clock_gettime(Int, TimespecOut) -> Int = proc::clock_gettime;
    114 clock_getres(Int, TimespecOut) -> Int = proc::clock_getres;
    115 clock_nanosleep(Int, Flags, Timespec, Timespec) -> Int = thread::clock_nanosleep;
    118 sched_setparam(Int, Ptr) -> Int = cred::sched_setparam;
    119 sched_setscheduler(Int, Int, Ptr) -> Int = cred::sched_setscheduler;
    120 sched_getscheduler(Int) -> Int = cred::sched_getscheduler;
    121 sched_getparam(Int, Ptr) -> Int = cred::sched_getparam;
    122 sched_setaffinity(Int, Size, Ptr) -> Int = cred::sched_setaffinity;
    123 sched_getaffinity(Int, Size, Ptr) -> Int = proc::sched_getaffinity;
    124 sched_yield() -> Int = proc::sched_yield;
    125 sched_get_priority_max(Int) -> Int = cred::sched_get_priority_max;
    126 sched_get_priority_min(Int) -> Int = cred::sched_get_priority_min;
    129 kill(Int, Signal) -> Int = signal::kill;
    130 tkill(Int, Signal) -> Int = signal::tkill;
    131 tgkill(Int, Int, Signal) -> Int = signal::tgkill;
    132 sigaltstack(Addr, Addr) -> Int = signal::sigaltstack;
    133 rt_sigsuspend(Ptr, Size) -> Int = signal::rt_sigsuspend;
    134 rt_sigaction(Signal, Ptr, Ptr, SigsetSize) -> Int = signal::rt_sigaction;
    135 rt_sigprocmask(SigHow, Ptr, Ptr, SigsetSize) -> Int = signal::rt_sigprocmask;
    136 rt_sigpending(Ptr, Size) -> Int = signal::rt_sigpending;
    137 rt_sigtimedwait(Ptr, Ptr, Timespec, Size) -> Int = sigfd::rt_sigtimedwait;
    138 rt_sigqueueinfo(Int, Signal, Ptr) -> Int = signal::rt_sigqueueinfo;
    139 rt_sigreturn() -> None = signal::rt_sigreturn;
    140 setpriority(Int, Int, Int) -> Int = cred::setpriority;
    141 getpriority(Int, Int) -> Int = cred::getpriority;
    143 setregid(Int, Int) -> Int = cred::setregid;
    144 setgid(Int) -> Int = cred::setgid;
    145 setreuid(Int, Int) -> Int = cred::setreuid;
    146 setuid(Int) -> Int = cred::setuid;
    147 setresuid(Int, Int, Int) -> Int = cred::setresuid;
    148 getresuid(Ptr, Ptr, Ptr) -> Int = cred::getresuid;
    149 setresgid(Int, Int, Int) -> Int = cred::setresgid;
    150 getresgid(Ptr, Ptr, Ptr) -> Int = cred::getresgid;
    151 setfsuid(Int) -> Int = cred::setfsuid;
    152 setfsgid(Int) -> Int = cred::setfsgid;
    153 times(Ptr) -> Int = proc::times;
    154 setpgid(Int, Int) -> Int = cred::setpgid;
    155 getpgid(Int) -> Int = proc::getpgid;
    156 getsid(Int) -> Int = cred::getsid;
    157 setsid() -> Int = cred::setsid;
    158 getgroups(Int, Ptr) -> Int = cred::getgroups;
    159 setgroups(Int, Ptr) -> Int = cred::setgroups;
    160 uname(Addr) -> Int = proc::uname;
    163 getrlimit(Int, Ptr) -> Int = proc::getrlimit;
    165 getrusage(Int, Ptr) -> Int = proc::getrusage;
    166 umask(Mode) -> Int = proc::umask;
    167 prctl(Int, Long, Long, Long, Long) -> Int = cred::prctl;
    168 getcpu(Ptr, Ptr, Ptr) -> Int = ident::getcpu;
    169 gettimeofday(Ptr, Ptr) -> Int = proc::gettimeofday;
    172 getpid() -> Int = proc::getpid;
    173 getppid() -> Int = proc::getppid;
    174 getuid() -> Int = proc::getuid;
    175 geteuid() -> Int = proc::geteuid;
    176 getgid() -> Int = proc::getgid;
    177 getegid() -> Int = proc::getegid;
    178 gettid() -> Int = thread::gettid;
    179 sysinfo(Ptr) -> Int = proc::sysinfo;
    198 socket(Family, SockType, Int) -> Int = net::socket;
    199 socketpair(Family, SockType, Int, Ptr) -> Int = net::socketpair;
    200 bind(Fd, Sockaddr, Int) -> Int = net::bind;
    201 listen(Fd, Int) -> Int = net::listen;
    202 accept(Fd, Ptr, Ptr) -> Int = net::accept;
    203 connect(Fd, Sockaddr, Int) -> Int = net::connect;
    204 getsockname(Fd, Ptr, Ptr) -> Int = net::getsockname;
    205 getpeername(Fd, Ptr, Ptr) -> Int = net::getpeername;
    206 sendto(Fd, Ptr, Size, MsgFlags, Sockaddr, Int) -> Int = net::sendto;
    207 recvfrom(Fd, Ptr, Size, MsgFlags, Ptr, Ptr) -> Int = net::recvfrom;
    208 setsockopt(Fd, Int, Int, Ptr, Int) -> Int = net::setsockopt;
    209 getsockopt(Fd, Int, Int, Ptr, Ptr) -> Int = net::getsockopt;
    210 shutdown(Fd, Int) -> Int = net::shutdown;
    211 sendmsg(Fd, Ptr, MsgFlags) -> Int = net::sendmsg;
    212 recvmsg(Fd, Ptr, MsgFlags) -> Int = net::recvmsg;
    213 readahead(Fd, Long, Size) -> Int = xfer::readahead;
    214 brk(Ptr) -> Ptr = procfs::brk;
    215 munmap(Ptr, Size) -> Int = procfs::munmap;
    216 mremap(Ptr, Size, Size, Flags, Ptr) -> Ptr = procfs::mremap;
    220 clone(Flags, Ptr, Ptr, Ptr, Ptr) -> Int = thread::clone;
    221 execve(Path, Ptr, Ptr) -> None = thread::execve;
    222 mmap(Ptr, Size, MmapProt, MmapFlags, Fd, Long) -> Ptr = procfs::mmap;
    223 fadvise64(Fd, Long, Long, Int) -> Int = file::fadvise64;
    226 mprotect(Ptr, Size, MmapProt) -> Int = mm::mprotect;
    227 msync(Ptr, Size, Flags) -> Int = mm::msync;
    232 mincore(Ptr, Size, Ptr) -> Int = mm::mincore;
    233 madvise(Ptr, Size, Int) -> Int = mm::madvise;
    242 accept4(Fd, Ptr, Ptr, SockType) -> Int = net::accept4;
    243 recvmmsg(Fd, Ptr, Size, MsgFlags, Timespec) -> Int = net::recvmmsg;
    258 riscv_hwprobe(Ptr, Size, Size, Ptr, Flags) -> Int = proc::enosys;
    259 riscv_flush_icache(Ptr, Ptr, Flags) -> Int = thread::riscv_flush_icache;
    260 wait4(Int, Ptr, Flags, Ptr) -> Int = thread::wait4;
    261 prlimit64(Int, Int, Ptr, Ptr) -> Int = proc::prlimit64;
    264 name_to_handle_at(DirFd, Path, Ptr, Ptr, AtFlags) -> Int = fsnode::name_to_handle_at;
    265 open_by_handle_at(Fd, Ptr, OpenFlags) -> Int = fsnode::open_by_handle_at;
    267 syncfs(Fd) -> Int = file::syncfs;
    269 sendmmsg(Fd, Ptr, Size, MsgFlags) -> Int = net::sendmmsg;
    276 renameat2(DirFd, Path, DirFd, Path, Flags) -> Int = fs::renameat2;
    278 getrandom(Ptr, Size, Flags) -> Int = proc::getrandom;
    279 memfd_create(Path, Flags) -> Int = notify::memfd_create;
    283 membarrier(Int, Flags, Int) -> Int = ident::membarrier;
    285 copy_file_range(Fd, Ptr, Fd, Ptr, Size, Flags) -> Int = xfer::copy_file_range;
    291 statx(DirFd, Path, Flags, Flags, Ptr) -> Int = fs::statx;
    293 rseq(Ptr, Size, Flags, Int) -> Int = proc::enosys;
    424 pidfd_send_signal(Fd, Signal, Ptr, Flags) -> Int = pidfd::pidfd_send_signal;
    434 pidfd_open(Int, Flags) -> Int = pidfd::pidfd_open;
    435 clone3(Ptr, Size) -> Int = thread::clone3;
    436 close_range(Fd, Fd, Flags) -> Int = file::close_range;
    437 openat2(DirFd, Path, Ptr, Size) -> Int = fsnode::openat2;
    439 faccessat2(DirFd, Path, AccessMode, AtFlags) -> Int = fs::faccessat2;
    441 epoll_pwait2(Fd, Ptr, Int, Ptr, Ptr, Size) -> Int = event::epoll_pwait2;
    452 fchmodat2(DirFd, Path, Mode, AtFlags) -> Int = fsnode::fchmodat2;
}

pub const NR_RT_SIGSUSPEND: u64 = 133;

/// Calls Linux returns EINTR from after a signal handler even with SA_RESTART (signal(7)):
/// the waits for fds and signals and the sleeps.
pub fn never_restarted(nr: u64) -> bool {
    matches!(nr, 22 | 72 | 73 | 101 | 115 | 137 | 441 | NR_RT_SIGSUSPEND)
}

/// Writes the `--strace` result line of a call whose text was formatted earlier.
pub fn strace_result(p: &Task, call: &str, r: u64) {
    let r = if (r as i64) < 0 && (r as i64) >= -4095 {
        Err(Errno(-(r as i64) as i32))
    } else {
        Ok(r)
    };
    strace_line(p, call, &r, Ret::Int, "");
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

/// Performs the system call in the guest's a7/a0..a5 and says what happens next.
pub fn dispatch(p: &mut Task, nr: u64, args: [u64; 6]) -> Outcome {
    if cred::seccomp_strict_kills(p, nr) {
        let sig = crate::signal::SIGKILL as i32;
        p.shared
            .fatal
            .store(sig, std::sync::atomic::Ordering::Relaxed);
        return Outcome::End(End::Process(128 + sig));
    }
    let strace = p.shared.cfg.strace;
    let Some(sc) = lookup(nr) else {
        if crate::state::lock(&p.shared.reported).insert(nr) {
            crate::diag!(
                "mimic: unsupported syscall {nr} ({})",
                names::name(nr).unwrap_or("no such riscv64 call")
            );
        }
        // qemu's wording, for every call (the line above is once per number).
        p.shared
            .log(|f| f.unimp, || format!("Unsupported syscall: {nr}\n"));
        if strace {
            match names::name(nr) {
                Some(name) => {
                    let call = format!("{name}({})", raw_args(&args));
                    strace_line(p, &call, &Err(Errno::ENOSYS), Ret::Int, "");
                }
                // qemu's line for a number no riscv64 call has, with no result.
                None => p.shared.strace(&format!("{} Unknown syscall {nr}", p.tid)),
            }
        }
        return Outcome::Done(Err(Errno::ENOSYS));
    };
    // The call line is formatted before the call: the handler may change what the
    // pointers point at, and exit never returns to print it afterwards.
    let call = strace.then(|| format_call(p, sc, &args));
    if sc.ret == Ret::None {
        if let Some(c) = &call {
            p.shared.strace(&format!("{} {c}", p.tid));
        }
        return (sc.handler)(p, args);
    }
    // Signalfds follow the pending sets, which the call may wait on or change.
    sigfd::sync(&p.shared);
    let out = (sc.handler)(p, args);
    sigfd::sync(&p.shared);
    if let (222, Outcome::Done(Ok(addr))) = (nr, &out) {
        if p.shared.logs_code() {
            name_mapped_code(p, *addr, &args);
        }
    }
    if matches!(sc.name, "mmap" | "munmap" | "mprotect" | "brk" | "mremap")
        && matches!(out, Outcome::Done(Ok(_)))
    {
        p.shared
            .log(|f| f.page, || procfs::maps::page_table(&p.shared, sc.name));
    }
    match (&out, call) {
        // Parked (deterministic mode): the call shows when it runs again or completes.
        (Outcome::Park(_) | Outcome::Spawn(_), call) => p.parked_call = call,
        (Outcome::ForkChild, Some(c)) => strace_line(p, &c, &Ok(0), sc.ret, ""),
        (Outcome::Done(r), Some(c)) => {
            let written = match r {
                Ok(_) => strace::written(p, sc.args, &args),
                Err(_) => String::new(),
            };
            strace_line(p, &c, r, sc.ret, &written);
        }
        _ => {}
    }
    out
}

/// After `mmap(…, args)` put a file's code at `addr` (a library ld.so loads): its functions
/// name blocks in the `-d` log from now on.
fn name_mapped_code(p: &Task, addr: u64, args: &[u64; 6]) {
    let (prot, flags, fd, offset) = (args[2], args[3], args[4] as i32, args[5]);
    if prot & libc::PROT_EXEC as u64 == 0 || flags & libc::MAP_ANONYMOUS as u64 != 0 || fd < 0 {
        return;
    }
    // Guest descriptors are the host process's own.
    let Ok(path) = std::fs::read_link(format!("/proc/self/fd/{fd}")) else {
        return;
    };
    if let Some(found) = crate::loader::mapped_symbols(&path, offset, addr) {
        let mut symbols = p.shared.symbols.write().unwrap_or_else(|e| e.into_inner());
        symbols.extend(found);
    }
}

/// The arguments of a call mimic does not implement, in hex: nothing says what they are.
fn raw_args(args: &[u64; 6]) -> String {
    let shown: Vec<String> = args.iter().map(|a| format!("0x{a:x}")).collect();
    shown.join(",")
}

/// `tid call = result`, then what the call wrote where its arguments show it (`written`).
fn strace_line(p: &Task, call: &str, r: &SysResult, ret: Ret, written: &str) {
    let result = match (r, ret) {
        (Err(e), _) => format!("-1 {e}"),
        (Ok(v), Ret::Ptr) => format!("0x{v:016x}"),
        (Ok(v), _) => format!("{}", *v as i64),
    };
    p.shared
        .strace(&format!("{} {call} = {result}{written}", p.tid));
}

/// `name(arg,arg,…)` as qemu's strace writes it.
pub fn format_call(p: &Task, sc: &Syscall, args: &[u64; 6]) -> String {
    let mode = strace::shows_mode(sc.args, args);
    let shown: Vec<String> = sc
        .args
        .iter()
        .zip(args)
        .filter(|(k, _)| (**k != Arg::CreateMode || mode) && **k != Arg::SigsetSize)
        .map(|(k, &v)| strace::arg(p, *k, v))
        .collect();
    format!("{}({})", sc.name, shown.join(","))
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
