//! Deterministic mode's virtual tids in /proc paths: every vCPU runs on the one host thread
//! whose tid is the pid, so a guest tid names no host task directory, and that thread's
//! stands for all of them.

use super::Task;
use crate::state::lock;
use std::ffi::CString;

/// In deterministic mode, `path` with `task/<vtid>` (a live virtual tid other than the pid)
/// and, for a vCPU other than the first, `thread-self` naming the host thread instead, and
/// that vtid; None when the path names no virtual tid.
pub fn to_host(p: &Task, path: &CString) -> Option<(CString, i32)> {
    if !p.shared.deterministic() {
        return None;
    }
    let pid = p.shared.pid();
    let live = lock(&p.shared.threads);
    let parts: Vec<&[u8]> = path.as_bytes().split(|&b| b == b'/').collect();
    let mut found = None;
    let mapped: Vec<Vec<u8>> = parts
        .iter()
        .enumerate()
        .map(|(i, &part)| {
            let tid = std::str::from_utf8(part)
                .ok()
                .and_then(|s| s.parse::<i32>().ok());
            match tid {
                Some(t)
                    if i > 0 && parts[i - 1] == b"task" && t != pid && live.contains_key(&t) =>
                {
                    found = Some(t);
                    pid.to_string().into_bytes()
                }
                _ if part == b"thread-self" && p.tid != pid => {
                    found = Some(p.tid);
                    format!("self/task/{pid}").into_bytes()
                }
                _ => part.to_vec(),
            }
        })
        .collect();
    let vtid = found?;
    CString::new(mapped.join(&b'/')).ok().map(|c| (c, vtid))
}
