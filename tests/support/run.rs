//! Running mimic on the committed guests from a test: where they are, a scratch directory,
//! one run with its status and output.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A committed guest program, tests/guests/bin/NAME.
pub fn guest(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/guests/bin")
        .join(name)
}

/// A fresh scratch directory `NAME` for one test.
pub fn scratch(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Runs mimic with `args` in `dir`, stdin empty; (status, stdout, stderr), status -1 for a
/// signal.
pub fn mimic(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mimic"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Reads `out` up to and including a line starting with `when`; what it read.
pub fn read_until(out: &mut impl BufRead, when: &str) -> String {
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        let n = out.read_line(&mut line).unwrap();
        assert!(n > 0, "the guest ended before {when:?}: {seen}");
        seen.push_str(&line);
        if line.starts_with(when) {
            return seen;
        }
    }
}
