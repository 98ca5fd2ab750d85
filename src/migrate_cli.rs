//! `mimic migrate PID ADDR`: asks a running mimic of the same user to send its guest to
//! `mimic serve` at ADDR, and prints the line it answers (hypervisor-lite's
//! snapshot::request holds the other side).

use clap::Args;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::time::{Duration, Instant};

#[derive(Args)]
pub struct MigrateArgs {
    /// The host process id of the running mimic
    #[arg(value_name = "PID")]
    pid: i32,

    /// Where `mimic serve --listen` waits: host:port
    #[arg(value_name = "ADDR")]
    addr: String,
}

/// How long the sender may take to answer (round 1 of a large guest included).
const WAIT: Duration = Duration::from_secs(120);

/// Why `pid` cannot be asked, if it cannot: it must be this user's, run mimic and catch
/// the request signal.
fn check(pid: i32) -> Result<(), String> {
    let proc = format!("/proc/{pid}");
    let m = std::fs::metadata(&proc).map_err(|_| format!("pid {pid}: no such process"))?;
    // SAFETY: getuid cannot fail.
    if m.uid() != unsafe { libc::getuid() } {
        return Err(format!("pid {pid}: another user's process"));
    }
    let exe = std::fs::read_link(format!("{proc}/exe")).unwrap_or_default();
    let name = exe.file_name().unwrap_or_default().to_string_lossy();
    let sig = hypervisor_lite::hostsig::request_signal() as u32;
    let caught = std::fs::read_to_string(format!("{proc}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("SigCgt:"))
                .and_then(|h| u64::from_str_radix(h.trim(), 16).ok())
        })
        .is_some_and(|mask| mask >> (sig - 1) & 1 == 1);
    if !name.starts_with("mimic") || !caught {
        return Err(format!("pid {pid}: not a running mimic guest"));
    }
    Ok(())
}

pub fn migrate(a: MigrateArgs) -> ! {
    let fail = |e: String| -> ! {
        hypervisor_lite::diag!("mimic: migrate: {e}");
        std::process::exit(1)
    };
    check(a.pid).unwrap_or_else(|e| fail(e));
    if a.addr.is_empty() || a.addr.contains(char::is_whitespace) {
        fail(format!("{:?}: not an address (host:port)", a.addr));
    }
    let dir = hypervisor_lite::snapshot::request::dir().unwrap_or_else(|e| fail(e));
    let request = dir.join(format!("{}.request", a.pid));
    let result = dir.join(format!("{}.result", a.pid));
    let _ = std::fs::remove_file(&request);
    let _ = std::fs::remove_file(&result);
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&request)
        .and_then(|mut f| writeln!(f, "{}", a.addr))
        .unwrap_or_else(|e| fail(format!("{}: {e}", request.display())));
    let sig = hypervisor_lite::hostsig::request_signal();
    // SAFETY: kill takes integers.
    if unsafe { libc::kill(a.pid, sig) } != 0 {
        let _ = std::fs::remove_file(&request);
        fail(format!(
            "pid {}: {}",
            a.pid,
            std::io::Error::last_os_error()
        ));
    }
    let start = Instant::now();
    loop {
        if let Ok(line) = std::fs::read_to_string(&result) {
            let _ = std::fs::remove_file(&result);
            let line = line.trim_end();
            println!("{line}");
            std::process::exit(if line.starts_with("mimic: migrated to ") {
                0
            } else {
                1
            });
        }
        if std::fs::metadata(format!("/proc/{}", a.pid)).is_err() {
            let _ = std::fs::remove_file(&request);
            fail(format!("pid {} ended without answering", a.pid));
        }
        if start.elapsed() > WAIT {
            let _ = std::fs::remove_file(&request);
            fail(format!(
                "pid {} did not answer in {} s (its stderr says why)",
                a.pid,
                WAIT.as_secs()
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
