//! Guest memory under stress and file mappings, where the golden files of tests/guests
//! cannot say it: many rounds of the munmap race, mimic's own peak memory, and madvise
//! errors and MADV_DONTNEED of a program's own text (qemu-user's madvise accepts anything
//! and does nothing, so its golden would be wrong; the expected lines here are what Linux
//! gives: the same programs natively, or what its documented semantics say).

use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn guest(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/guests/bin")
        .join(name)
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("mimic-memfloor-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn mimic(engine: Option<&str>, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mimic"));
    c.arg("run");
    if let Some(e) = engine {
        c.arg(e);
    }
    c.args(args);
    c
}

/// Many rounds of unmapping a buffer other threads copy from, copy into and access: the
/// process ends normally every time (before the fault-safe routines mimic itself died of
/// a host SIGSEGV within a few hundred rounds under --interp).
#[test]
fn munmap_race_many_rounds() {
    let bin = guest("munmap_race");
    for engine in [Some("--interp"), None, Some("--interp")] {
        let out = mimic(engine, &[bin.to_str().unwrap(), "1500"])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{engine:?}: {:?} signal {:?}\n{stdout}{}",
            out.status,
            out.status.signal(),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            stdout.ends_with("done\n") && !stdout.contains("WRONG"),
            "{stdout}"
        );
    }
}

/// 1 GiB of /dev/zero and 512 MiB of a file mapped privately, a few pages touched: mimic's
/// peak RSS stays small (it read the whole mapping in before).
#[test]
fn file_mappings_cost_only_touched_pages() {
    let dir = scratch("lazy");
    let bin = guest("mmapfile");
    for engine in [Some("--interp"), Some("--jit")] {
        // Reaped by wait4 below, which also gives its peak RSS.
        #[allow(clippy::zombie_processes)]
        let child = mimic(
            engine,
            &[bin.to_str().unwrap(), "lazy", dir.to_str().unwrap()],
        )
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
        let mut status = 0;
        // SAFETY: a zeroed rusage is valid for wait4 to fill in.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: waits for our own child, writing into the locals above.
        let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut ru) };
        assert_eq!(pid, child.id() as i32);
        assert_eq!(status, 0, "{engine:?}");
        let kib = ru.ru_maxrss;
        assert!(kib < 100 * 1024, "{engine:?}: peak RSS {kib} KiB");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

/// madvise's errors as Linux gives them: EINVAL for unknown advice (even on an empty
/// range), ENOMEM for a range with a hole, after dropping the mapped part.
#[test]
fn madvise_errors_are_linux_errors() {
    let dir = scratch("advice");
    let bin = guest("mmapfile");
    let out = mimic(
        None,
        &[
            bin.to_str().unwrap(),
            "advice-errors",
            dir.to_str().unwrap(),
        ],
    )
    .output()
    .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "unknown advice: -1 Invalid argument\n\
         unknown advice, empty range: -1 Invalid argument\n\
         DONTNEED over a hole: -1 Cannot allocate memory, mapped part dropped: 1\n"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// A program patches its own text, runs the patch, and drops the page with MADV_DONTNEED:
/// the text is a private mapping of the executable, so the original runs again in every
/// engine (decoded blocks and translations of the patch are forgotten).
#[test]
fn dropping_patched_text_runs_the_original() {
    let bin = guest("selfpatch");
    for engine in [Some("--interp"), Some("--jit"), None] {
        let out = mimic(engine, &[bin.to_str().unwrap()]).output().unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "original: 42\npatched: 99\nafter MADV_DONTNEED: 42\n",
            "{engine:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.status.code(), Some(0), "{engine:?}");
    }
}
