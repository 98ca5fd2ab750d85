//! `mimic migrate PID ADDR`: another mimic of the same user asks a running one, started
//! without `--migrate-on`, to migrate.
//!
//! ```text
//!   mimic migrate PID ADDR                       mimic run (pid PID)
//!   checks: same user, PID's program is mimic,
//!           PID catches the request signal
//!   writes DIR/PID.request (0600): ADDR
//!   request signal ─────────────────────────▶  next vCPU step: a thread reads and removes
//!                                               the request, pre-copies (migrate.rs)
//!   waits for DIR/PID.result  ◀──────────────  the result line (migrated, or refused)
//! ```
//!
//! DIR is `$XDG_RUNTIME_DIR/mimic` or `/tmp/mimic-UID`, a directory of the user's own that
//! nobody else may enter (checked on both sides), so only the same user can ask.

use crate::state::Shared;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A request is being served: its result goes to the result file.
static SERVING: AtomicBool = AtomicBool::new(false);

fn uid() -> u32 {
    // SAFETY: getuid cannot fail.
    unsafe { libc::getuid() }
}

/// The private directory requests go through, created if missing; refused if another user
/// owns it or may enter it.
pub fn dir() -> Result<PathBuf, String> {
    let d = match std::env::var_os("XDG_RUNTIME_DIR").filter(|v| !v.is_empty()) {
        Some(x) => PathBuf::from(x).join("mimic"),
        None => PathBuf::from(format!("/tmp/mimic-{}", uid())),
    };
    let _ = std::fs::DirBuilder::new().mode(0o700).create(&d);
    let m = std::fs::symlink_metadata(&d).map_err(|e| format!("{}: {e}", d.display()))?;
    if !m.is_dir() || m.uid() != uid() || m.mode() & 0o077 != 0 {
        return Err(format!(
            "{}: not a directory of this user's that only it may enter",
            d.display()
        ));
    }
    Ok(d)
}

/// Makes this process answer `mimic migrate` requests.
pub fn listen(shared: Arc<Shared>) {
    crate::hostsig::arm_requests(move || {
        let shared = shared.clone();
        let _ = std::thread::Builder::new()
            .name("migrate".into())
            .spawn(move || serve(&shared));
    });
}

fn serve(shared: &Arc<Shared>) {
    let addr = match read_request() {
        Ok(a) => a,
        Err(e) => {
            crate::diag!("mimic: migration request refused: {e}");
            return;
        }
    };
    SERVING.store(true, Ordering::SeqCst);
    match super::migrate::precopy(shared, &addr) {
        Ok(()) => crate::hostsig::ask_snapshot(),
        Err(e) => {
            let line = format!("mimic: migration to {addr} refused: {e}; the guest goes on");
            crate::diag!("{line}");
            answer(&line);
        }
    }
}

/// The destination `mimic migrate` left, its file removed.
fn read_request() -> Result<String, String> {
    // SAFETY: getpid cannot fail.
    let pid = unsafe { libc::getpid() };
    let f = dir()?.join(format!("{pid}.request"));
    let m = std::fs::symlink_metadata(&f).map_err(|e| format!("{}: {e}", f.display()))?;
    let text = std::fs::read_to_string(&f);
    let _ = std::fs::remove_file(&f);
    if !m.is_file() || m.uid() != uid() || m.mode() & 0o077 != 0 {
        return Err(format!(
            "{}: not a private file of this user's",
            f.display()
        ));
    }
    let text = text.map_err(|e| format!("{}: {e}", f.display()))?;
    let addr = text.trim();
    if addr.is_empty() || addr.contains(char::is_whitespace) {
        return Err(format!("{}: no address in it", f.display()));
    }
    Ok(addr.to_string())
}

/// Leaves the result line for the `mimic migrate` waiting, if one asked.
pub fn answer(line: &str) {
    if !SERVING.swap(false, Ordering::SeqCst) {
        return;
    }
    let Ok(d) = dir() else { return };
    // SAFETY: getpid cannot fail.
    let pid = unsafe { libc::getpid() };
    let tmp = d.join(format!("{pid}.result.part"));
    let done = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .and_then(|mut f| std::io::Write::write_all(&mut f, format!("{line}\n").as_bytes()));
    if done.is_ok() {
        let _ = std::fs::rename(&tmp, d.join(format!("{pid}.result")));
    }
}
