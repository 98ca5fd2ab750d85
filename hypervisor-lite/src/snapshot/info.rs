//! `mimic snapshot-info FILE`: what a snapshot holds, and the binding table as it will be
//! applied on resume.

use super::bind;
use super::format::*;
use super::resume::{all, strings};
use crate::memory::PAGE;

/// The report, line by line.
pub fn report(records: &[Record]) -> Vec<String> {
    let mut out = Vec::new();
    out.push(format!(
        "format {VERSION}, {}",
        version_text(&mimic_version())
    ));
    if let Some((p, _)) = all::<ProcessRec>(records, Kind::Process).next() {
        let args = strings(records, Strings::Args).unwrap_or_default();
        let args: Vec<String> = args
            .iter()
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        out.push(format!(
            "process: pid {}, {} thread(s), {} mode, {} instructions retired",
            p.pid,
            p.threads,
            if p.deterministic != 0 {
                "deterministic"
            } else {
                "parallel"
            },
            p.taken_at
        ));
        out.push(format!("command: {}", args.join(" ")));
        out.push(format!(
            "brk: {:#x}..{:#x}, mmap base {:#x}",
            p.brk_start, p.brk, p.mmap_base
        ));
    }
    for (t, _) in all::<ThreadRec>(records, Kind::Thread) {
        let wait = match t.wait {
            0 => "running",
            1 => "in a futex wait",
            2 => "asleep",
            3 => "in sigsuspend",
            _ => "in a blocking call (run again on resume)",
        };
        out.push(format!(
            "thread {}: pc {:#x}, {} instructions, {wait}, sigmask {:#x}, pending {:#x}",
            t.tid, t.pc, t.instret, t.mask, t.pending
        ));
    }
    let (mut mapped, mut stored) = (0u64, 0u64);
    let ranges = all::<RangeRec>(records, Kind::Range).count();
    for (r, _) in all::<RangeRec>(records, Kind::Range) {
        mapped += r.end - r.start;
    }
    for (p, _) in all::<PagesRec>(records, Kind::Pages) {
        stored += p.count;
    }
    out.push(format!(
        "memory: {ranges} ranges, {} KiB mapped, {} KiB stored (by value); the rest described: \
         zero, or the code files' bytes",
        mapped / 1024,
        stored * PAGE / 1024
    ));
    out.push("binding table:".into());
    for (c, path) in all::<CodeRec>(records, Kind::Code) {
        let hex: String = c.sha256.iter().map(|b| format!("{b:02x}")).collect();
        out.push(format!(
            "code   {}: by hash (sha256 {}), {} bytes: the receiver's own copy",
            String::from_utf8_lossy(path),
            &hex[..16],
            c.size
        ));
    }
    out.push("memory anonymous, brk, stacks: by value".into());
    for (r, tail) in all::<FdRec>(records, Kind::Fd) {
        out.push(bind::describe(&r, tail));
    }
    out
}
