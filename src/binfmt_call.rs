//! How mimic recognizes a start by binfmt_misc, and turns the kernel's argv into a `run`
//! (the flags and their calling conventions are in `binfmt`'s doc).
//!
//! The signals are the kernel's own, in mimic's auxv, so no wrapper binary, environment
//! variable or special name is needed:
//!
//! - AT_EXECFN is the path of the program being executed, which binfmt_misc also puts in
//!   argv[1]. A person running `mimic ./prog` has mimic's own path there instead.
//! - AT_FLAGS bit 0 (AT_FLAGS_PRESERVE_ARGV0) says the entry has `P`: argv[2] is the
//!   program's own argv[0].
//! - AT_EXECFD, present only with `O` (and `C`), is the program the kernel opened.
//!
//! A start by binfmt_misc becomes `run [-0 ARGV0] -- PATH ARGS…`: nothing the user's program
//! is called with (`run`, `tui`, `-x`, `--help`) is taken as mimic's.

use std::ffi::{CStr, OsString};
use std::os::unix::ffi::OsStrExt;

/// AT_FLAGS_PRESERVE_ARGV0 (linux/binfmts.h).
const PRESERVE_ARGV0: u64 = 1;

/// What the kernel told mimic about its own start.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Start {
    /// AT_EXECFN: the path the executed file was named by.
    pub execfn: Option<OsString>,
    /// AT_FLAGS.
    pub flags: u64,
    /// AT_EXECFD, if present.
    pub exec_fd: Option<i32>,
    /// AT_SECURE: a setuid/setgid start (or one with file capabilities).
    pub secure: bool,
}

/// The value of auxv entry `key`, None when the kernel did not pass it.
fn auxval(key: libc::c_ulong) -> Option<u64> {
    // SAFETY: getauxval reads mimic's own auxiliary vector; errno is this thread's.
    unsafe {
        *libc::__errno_location() = 0;
        let v = libc::getauxval(key);
        (v != 0 || *libc::__errno_location() != libc::ENOENT).then_some(v)
    }
}

impl Start {
    /// mimic's own start, from its auxv.
    pub fn own() -> Start {
        let execfn = auxval(libc::AT_EXECFN).filter(|&p| p != 0).map(|p| {
            // SAFETY: AT_EXECFN points at a NUL-terminated string on mimic's initial stack,
            // which lives as long as the process.
            let s = unsafe { CStr::from_ptr(p as *const libc::c_char) };
            std::ffi::OsStr::from_bytes(s.to_bytes()).to_owned()
        });
        Start {
            execfn,
            flags: auxval(libc::AT_FLAGS).unwrap_or(0),
            exec_fd: auxval(libc::AT_EXECFD).and_then(|fd| i32::try_from(fd).ok()),
            secure: auxval(libc::AT_SECURE).unwrap_or(0) != 0,
        }
    }

    /// Whether binfmt_misc started mimic, given its argv.
    pub fn by_binfmt(&self, argv: &[OsString]) -> bool {
        self.flags & PRESERVE_ARGV0 != 0
            || self.exec_fd.is_some()
            || (argv.len() >= 2 && self.execfn.as_ref() == Some(&argv[1]))
    }

    /// `argv` as mimic's own command line: a start by binfmt_misc becomes
    /// `mimic run [-0 ARGV0] -- PATH ARGS…`; any other is as given.
    pub fn command_line(&self, argv: Vec<OsString>) -> Vec<OsString> {
        if !self.by_binfmt(&argv) {
            return argv;
        }
        let mut words = argv.into_iter();
        let mut out: Vec<OsString> = vec![words.next().unwrap_or_else(|| "mimic".into())];
        out.push("run".into());
        let path = words.next().unwrap_or_default();
        if self.flags & PRESERVE_ARGV0 != 0 {
            // A program started with an empty argv has none to preserve: the kernel then
            // passes only the path, and the guest gets an empty argv[0] as under Linux 5.18+.
            out.push("-0".into());
            out.push(words.next().unwrap_or_default());
        }
        out.push("--".into());
        out.push(path);
        out.extend(words);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(words: &[&str]) -> Vec<OsString> {
        words.iter().map(OsString::from).collect()
    }

    fn start(flags: &str) -> Start {
        Start {
            execfn: Some("./prog".into()),
            flags: if flags.contains('P') { 1 } else { 0 },
            exec_fd: flags.contains('O').then_some(3),
            secure: false,
        }
    }

    /// The argv the kernel builds for `./prog` executed as `zero a -x`, per flag set
    /// (what binfmt_misc's load_misc_binary does), and what mimic makes of it.
    #[test]
    fn each_flag_set_calls_as_the_kernel_does() {
        let plain = os(&["/usr/bin/mimic", "./prog", "a", "-x"]);
        let preserved = os(&["/usr/bin/mimic", "./prog", "zero", "a", "-x"]);
        for (flags, argv, want) in [
            (
                "",
                &plain,
                os(&["/usr/bin/mimic", "run", "--", "./prog", "a", "-x"]),
            ),
            (
                "F",
                &plain,
                os(&["/usr/bin/mimic", "run", "--", "./prog", "a", "-x"]),
            ),
            (
                "O",
                &plain,
                os(&["/usr/bin/mimic", "run", "--", "./prog", "a", "-x"]),
            ),
            (
                "OC",
                &plain,
                os(&["/usr/bin/mimic", "run", "--", "./prog", "a", "-x"]),
            ),
            (
                "P",
                &preserved,
                os(&[
                    "/usr/bin/mimic",
                    "run",
                    "-0",
                    "zero",
                    "--",
                    "./prog",
                    "a",
                    "-x",
                ]),
            ),
            (
                "POCF",
                &preserved,
                os(&[
                    "/usr/bin/mimic",
                    "run",
                    "-0",
                    "zero",
                    "--",
                    "./prog",
                    "a",
                    "-x",
                ]),
            ),
        ] {
            let s = start(flags);
            assert!(s.by_binfmt(argv), "{flags}");
            assert_eq!(s.command_line(argv.clone()), want, "{flags}");
        }
    }

    #[test]
    fn program_names_like_mimics_words_stay_the_programs() {
        let s = Start {
            execfn: Some("run".into()),
            ..Start::default()
        };
        assert_eq!(
            s.command_line(os(&["/m", "run", "--help"])),
            os(&["/m", "run", "--", "run", "--help"])
        );
    }

    #[test]
    fn a_person_typing_mimic_is_no_binfmt_start() {
        let s = Start {
            execfn: Some("/usr/bin/mimic".into()),
            ..Start::default()
        };
        let argv = os(&["mimic", "./prog", "a"]);
        assert!(!s.by_binfmt(&argv));
        assert_eq!(s.command_line(argv.clone()), argv);
        assert!(!s.by_binfmt(&os(&["mimic"])));
    }

    #[test]
    fn an_empty_argv_under_p_gives_an_empty_argv0() {
        assert_eq!(
            start("P").command_line(os(&["/m", "./prog"])),
            os(&["/m", "run", "-0", "", "--", "./prog"])
        );
    }

    #[test]
    fn the_test_process_itself_was_not_started_by_binfmt() {
        let s = Start::own();
        assert_eq!(s.exec_fd, None);
        assert_eq!(s.flags & PRESERVE_ARGV0, 0);
        assert!(s.execfn.is_some());
    }
}
