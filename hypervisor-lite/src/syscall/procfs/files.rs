//! The generated files of the guest's /proc/self: cmdline, environ, auxv, stat, status,
//! comm (and maps, from maps.rs), each a snapshot taken when the guest opens it.

use super::super::Errno;
use super::maps;
use super::which::Entry;
use super::Task;
use crate::memory::GuestMem;
use crate::regions::Startup;
use crate::state::{lock, Shared};
use isa_a::Bus;

/// The contents of `entry` for the guest (of its thread `tid` when reached through task/).
pub fn generate(p: &Task, entry: Entry, tid: Option<i32>) -> Result<Vec<u8>, Errno> {
    let s = &p.shared;
    Ok(match entry {
        Entry::Maps => maps::text(s),
        Entry::Cmdline => nul_joined(&s.cfg.args),
        Entry::Environ => nul_joined(&s.cfg.env),
        Entry::Auxv => s.startup.auxv.clone(),
        Entry::Stat => stat(s, tid)?,
        Entry::Status => status(s, tid)?,
        Entry::Comm => [comm(s).as_slice(), b"\n"].concat(),
    })
}

fn nul_joined(items: &[std::ffi::OsString]) -> Vec<u8> {
    let mut out = Vec::new();
    for i in items {
        out.extend_from_slice(i.as_encoded_bytes());
        out.push(0);
    }
    out
}

/// The program's name as Linux keeps it: the basename of the executed file, cut to 15 bytes
/// (TASK_COMM_LEN - 1).
fn comm(s: &Shared) -> Vec<u8> {
    let prog = s.cfg.program.as_os_str().as_encoded_bytes();
    let base = prog.rsplit(|&b| b == b'/').next().unwrap_or(prog);
    base[..base.len().min(15)].to_vec()
}

/// The guest's id for the process (or thread `tid`).
fn pid_of(s: &Shared, tid: Option<i32>) -> i32 {
    tid.unwrap_or_else(|| s.pid())
}

/// The host's own text of /proc/self/<name>.
fn host_file(name: &str) -> Result<String, Errno> {
    std::fs::read(format!("/proc/self/{name}"))
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .map_err(|e| Errno::from_io(&e))
}

/// /proc/self/stat: the host's figures for times and counts; the guest's ids, name, thread
/// count, sizes and addresses; 0 for mimic's own addresses the guest has no counterpart for.
fn stat(s: &Shared, tid: Option<i32>) -> Result<Vec<u8>, Errno> {
    let host = host_file("stat")?;
    // Fields after "pid (comm) ", numbered from 3 (state) as in proc(5).
    let tail = host.rsplit_once(") ").map(|(_, t)| t).unwrap_or_default();
    let mut f: Vec<String> = tail.split_whitespace().map(str::to_string).collect();
    f.resize(50, "0".into());
    let sz = maps::sizes(s);
    let (code_lo, code_hi) = code_range(s);
    let threads = lock(&s.threads).len().max(1);
    let space = s.space();
    let set = |f: &mut Vec<String>, field: usize, v: u64| f[field - 3] = v.to_string();
    set(&mut f, 20, threads as u64);
    set(&mut f, 23, sz.total);
    set(&mut f, 24, sz.resident / crate::memory::PAGE);
    set(&mut f, 26, code_lo);
    set(&mut f, 27, code_hi);
    set(&mut f, 28, s.startup.sp);
    for field in [29, 30, 35] {
        set(&mut f, field, 0);
    }
    for (field, v) in [
        (45, 0),
        (46, 0),
        (47, space.brk_start),
        (48, s.startup.args.0),
        (49, s.startup.args.1),
        (50, s.startup.env.0),
        (51, s.startup.env.1),
    ] {
        set(&mut f, field, v);
    }
    let comm = String::from_utf8_lossy(&comm(s)).into_owned();
    Ok(format!("{} ({comm}) {}\n", pid_of(s, tid), f.join(" ")).into_bytes())
}

/// The main program's executable mapping (start, end), as stat's startcode/endcode.
fn code_range(s: &Shared) -> (u64, u64) {
    let exe = crate::regions::Name::file(&s.exe);
    let code: Vec<_> = maps::lines(s)
        .into_iter()
        .filter(|l| l.name == exe && l.bits & crate::memory::perm::X != 0)
        .collect();
    match (code.first(), code.last()) {
        (Some(a), Some(b)) => (a.start, b.end),
        _ => (0, 0),
    }
}

/// /proc/self/status: the host's lines with the guest's name, ids, thread count and sizes.
fn status(s: &Shared, tid: Option<i32>) -> Result<Vec<u8>, Errno> {
    let host = host_file("status")?;
    let sz = maps::sizes(s);
    let kb = |b: u64| format!("{:>8} kB", b / 1024);
    let threads = lock(&s.threads).len().max(1);
    let mut out = String::new();
    for line in host.lines() {
        let (key, _) = line.split_once(':').unwrap_or((line, ""));
        let value = match key {
            "Name" => String::from_utf8_lossy(&comm(s)).into_owned(),
            "Tgid" => s.pid().to_string(),
            "Pid" => pid_of(s, tid).to_string(),
            "Threads" => threads.to_string(),
            "VmPeak" | "VmSize" => kb(sz.total),
            "VmHWM" | "VmRSS" | "RssAnon" => kb(sz.resident),
            "VmData" => kb(sz.data),
            "VmStk" => kb(sz.stack),
            "VmExe" => kb(sz.exe),
            "VmLck" | "VmPin" | "VmLib" | "VmPTE" | "VmSwap" | "RssFile" | "RssShmem" => kb(0),
            _ => {
                out.push_str(line);
                out.push('\n');
                continue;
            }
        };
        out.push_str(&format!("{key}:\t{value}\n"));
    }
    Ok(out.into_bytes())
}

/// What the loader left on the initial stack at `sp`: argc, argv, envp, auxv, as Linux's
/// /proc/self/{auxv,stat} report them.
pub fn startup(mem: &GuestMem, sp: u64) -> Startup {
    let mut m = mem.clone();
    let mut word = |at: u64| m.load64(at).unwrap_or(0);
    let argc = word(sp);
    let argv: Vec<u64> = (0..argc).map(|i| word(sp + 8 + i * 8)).collect();
    let mut at = sp + 8 * (argc + 2);
    let mut envp = Vec::new();
    while word(at) != 0 {
        envp.push(word(at));
        at += 8;
    }
    at += 8;
    let auxv_start = at;
    while word(at) != 0 {
        at += 16;
    }
    let mut auxv = Vec::new();
    for a in (auxv_start..at + 16).step_by(8) {
        auxv.extend_from_slice(&word(a).to_le_bytes());
    }
    let span = |v: &[u64], m: &mut GuestMem| match (v.first(), v.last()) {
        (Some(&lo), Some(&hi)) => (
            lo,
            hi + m.cstr(hi, 1 << 20).map_or(0, |s| s.len()) as u64 + 1,
        ),
        _ => (0, 0),
    };
    Startup {
        sp,
        auxv,
        args: span(&argv, &mut m),
        env: span(&envp, &mut m),
    }
}
