//! qemu-riscv64's command line on top of mimic's: `mimic [options] PROGRAM [args…]` without
//! the `run` subcommand (how scripts and binfmt_misc call qemu), and qemu's single-dash
//! spellings of long options (`-strace`, `-cpu`, `-version`, `-help`). The words are rewritten
//! into mimic's own spelling before clap reads them, and only up to the program: everything
//! from the program on is the guest's.
//!
//! ```text
//!   mimic -strace -L /sr prog -strace   ──▶   mimic run --strace -L /sr prog -strace
//!   mimic -cpu max prog                 ──▶   mimic run --cpu max prog
//!   mimic tui -help                     ──▶   mimic tui --help
//! ```

use std::ffi::{OsStr, OsString};

/// mimic's subcommands: a first word that is none of these (nor a top-level option) is an
/// option of `run` or the program itself.
const SUBCOMMANDS: &[&str] = &[
    "run",
    "tui",
    "binfmt",
    "resume",
    "snapshot-info",
    "serve",
    "migrate",
    "help",
];

/// What mimic says to the words alone, without a subcommand.
const TOP_LEVEL: &[&str] = &["-h", "--help", "-V", "--version"];

/// qemu's single-dash long options and mimic's spelling of each.
const SINGLE_DASH: &[(&str, &str)] = &[
    ("-strace", "--strace"),
    ("-cpu", "--cpu"),
    ("-version", "--version"),
    ("-help", "--help"),
];

/// The options that take a value as the next word (in mimic's spelling), so the word after
/// them is not the program.
const VALUED: &[&str] = &[
    "-L", "-E", "-U", "-0", "-s", "-d", "-D", "-g", "--gdb", "-b", "--break", "--cpu",
];

/// qemu-riscv64's options mimic does not have, and what to say instead of misreading them
/// (clap would take `-singlestep` as `-s` with the value `inglestep`).
const QEMU_ONLY: &[(&str, &str)] = &[
    ("-singlestep", "--interp runs without translation"),
    (
        "-seed",
        "the guest's getrandom and AT_RANDOM come from the host",
    ),
    ("-dfilter", "-d logs every block"),
    ("-trace", "--strace logs system calls"),
    ("-plugin", "mimic has no plugins"),
    ("-r", "uname reports the host's release"),
    ("-B", "the guest base is chosen by mimic"),
    ("-R", "the guest address space is reserved by mimic"),
    ("-p", "the page size is the host's 4 KiB"),
];

/// The first of qemu's options mimic lacks among mimic's options in normalized `argv`, as
/// a usage error's text.
pub fn qemu_only(argv: &[OsString]) -> Option<String> {
    options(argv).into_iter().find_map(|(w, _)| {
        let (_, instead) = QEMU_ONLY.iter().find(|(q, _)| *q == w)?;
        Some(format!("{w}: qemu's option is not in mimic ({instead})"))
    })
}

/// Whether `word` ends mimic's options: `--`, or the program (the first word that is no
/// option; `-` is a file name).
fn ends_options(word: &str) -> bool {
    word == "--" || word == "-" || !word.starts_with('-')
}

/// mimic's options in normalized `argv` (the words after the subcommand, up to the
/// program), each with its value when it takes the next word.
fn options(argv: &[OsString]) -> Vec<(String, Option<String>)> {
    let mut words = argv
        .iter()
        .skip(2)
        .map(|w| w.to_string_lossy().into_owned());
    let mut out = Vec::new();
    while let Some(w) = words.next() {
        if ends_options(&w) {
            break;
        }
        let value = if VALUED.contains(&w.as_str()) {
            words.next()
        } else {
            None
        };
        out.push((w, value));
    }
    out
}

/// `argv` (with argv[0]) in mimic's own spelling.
pub fn normalize(argv: Vec<OsString>) -> Vec<OsString> {
    let mut words = argv.into_iter();
    let mut out: Vec<OsString> = words.next().into_iter().collect();
    let rest: Vec<OsString> = words.collect();
    let Some(first) = rest.first() else {
        return out;
    };
    let first = spelled(first);
    let start = if SUBCOMMANDS.iter().any(|s| first == *s) {
        out.push(first.into());
        1
    } else if rest.len() == 1 && TOP_LEVEL.iter().any(|s| first == *s) {
        // `mimic --help`, `mimic -version`: mimic's own help and version.
        out.push(first.into());
        return out;
    } else {
        out.push("run".into());
        0
    };
    let mut i = start;
    while i < rest.len() {
        let word = spelled(&rest[i]);
        if ends_options(&word) {
            break;
        }
        out.push(word.clone().into());
        i += 1;
        // `-s64k` and `--cpu=max` carry their value; `-s 64k` has it in the next word.
        if VALUED.contains(&word.as_str()) && i < rest.len() {
            out.push(rest[i].clone());
            i += 1;
        }
    }
    out.extend(rest[i..].iter().cloned());
    out
}

/// Whether normalized `argv` gives `option` (`--cpu`, `-d`) the value `help` among mimic's
/// options, as `--cpu help`, `--cpu=help` or `-dhelp`: qemu then lists the choices, with or
/// without a program.
pub fn asks_help(argv: &[OsString], option: &str) -> bool {
    let joined = [format!("{option}=help"), format!("{option}help")];
    options(argv)
        .iter()
        .any(|(w, value)| (w == option && value.as_deref() == Some("help")) || joined.contains(w))
}

/// A word in mimic's spelling: qemu's single-dash long options become double-dash ones;
/// anything else (including non-UTF-8 words) is as given.
fn spelled(word: &OsStr) -> String {
    let w = word.to_string_lossy();
    SINGLE_DASH
        .iter()
        .find(|(q, _)| *q == w)
        .map_or_else(|| w.into_owned(), |(_, m)| m.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(words: &[&str]) -> Vec<String> {
        let argv = std::iter::once("mimic")
            .chain(words.iter().copied())
            .map(OsString::from)
            .collect();
        normalize(argv)
            .into_iter()
            .skip(1)
            .map(|w| w.into_string().unwrap())
            .collect()
    }

    #[test]
    fn a_program_without_run_is_run() {
        assert_eq!(norm(&["./prog", "-x"]), ["run", "./prog", "-x"]);
        assert_eq!(norm(&["--jit", "prog"]), ["run", "--jit", "prog"]);
        assert_eq!(norm(&["-L", "/sr", "prog"]), ["run", "-L", "/sr", "prog"]);
    }

    #[test]
    fn qemus_spellings_become_mimics_up_to_the_program() {
        assert_eq!(
            norm(&["-strace", "-cpu", "max", "-s", "1M", "prog", "-strace", "-cpu"]),
            ["run", "--strace", "--cpu", "max", "-s", "1M", "prog", "-strace", "-cpu"]
        );
        assert_eq!(norm(&["run", "-strace", "p"]), ["run", "--strace", "p"]);
        assert_eq!(norm(&["tui", "-help"]), ["tui", "--help"]);
    }

    #[test]
    fn values_that_look_like_options_stay_values() {
        // -0's value is the guest's argv[0], -E's a variable: neither is the program.
        assert_eq!(
            norm(&["-0", "-strace", "-E", "A=-1", "prog"]),
            ["run", "-0", "-strace", "-E", "A=-1", "prog"]
        );
        assert_eq!(
            norm(&["--", "-strace", "-x"]),
            ["run", "--", "-strace", "-x"]
        );
    }

    #[test]
    fn help_values_are_seen_before_the_program_only() {
        let asks = |w: &[&str]| {
            let argv: Vec<OsString> = std::iter::once("mimic")
                .chain(w.iter().copied())
                .map(OsString::from)
                .collect();
            asks_help(&normalize(argv), "--cpu")
        };
        assert!(asks(&["-cpu", "help"]));
        assert!(asks(&["-L", "/", "--cpu=help", "prog"]));
        assert!(!asks(&["prog", "-cpu", "help"]));
        assert!(!asks(&["-0", "--cpu", "prog"]));
        let argv: Vec<OsString> = ["mimic", "-dhelp"].map(OsString::from).to_vec();
        assert!(asks_help(&normalize(argv), "-d"));
    }

    #[test]
    fn qemus_other_options_are_named_not_misread() {
        let only = |w: &[&str]| {
            let argv: Vec<OsString> = std::iter::once("mimic")
                .chain(w.iter().copied())
                .map(OsString::from)
                .collect();
            qemu_only(&normalize(argv))
        };
        assert!(only(&["-singlestep", "prog"])
            .unwrap()
            .starts_with("-singlestep: qemu's"));
        assert!(only(&["-L", "/", "-r", "5.0", "prog"])
            .unwrap()
            .starts_with("-r: "));
        assert_eq!(only(&["prog", "-singlestep"]), None);
        assert_eq!(only(&["-0", "-r", "prog"]), None);
    }

    #[test]
    fn top_level_words_alone_stay_top_level() {
        assert_eq!(norm(&["-version"]), ["--version"]);
        assert_eq!(norm(&["-help"]), ["--help"]);
        assert_eq!(norm(&["-h"]), ["-h"]);
        assert!(norm(&[]).is_empty());
    }
}
