//! Threads and processes beyond the golden cases: the thread cases again in deterministic
//! mode, deterministic output and instruction counts of a racy guest, fork + execve +
//! pipelines (which qemu-riscv64 without binfmt_misc cannot record), and `--strace`'s tid
//! column. Only the committed guest binaries and the mimic binary are needed.

#[path = "guest_cases/mod.rs"]
mod guest_cases;

use guest_cases::{cases, compare, expected, guests_dir, mimic_run, run, run_all};

fn mimic() -> &'static str {
    env!("CARGO_BIN_EXE_mimic")
}

fn guest(name: &str) -> String {
    guests_dir().join("bin").join(name).to_str().unwrap().into()
}

#[test]
fn thread_and_process_cases_match_qemu_in_deterministic_mode() {
    let cases: Vec<_> = cases()
        .into_iter()
        .filter(|c| {
            [
                "threads",
                "cxx_threads",
                "procs",
                "procsig",
                "futex",
                "pollwait",
                "epoll",
                "cloneflags",
                "shmem",
                "inotify",
                "sigtarget",
                "sigwaitmask",
            ]
            .contains(&c.binary.as_str())
                // Virtual time does not wait for another process's exit.
                && c.name != "sigwaitmask-child"
                && c.name != "sigwaitmask-late"
        })
        .collect();
    assert!(cases.len() >= 20, "only {} thread cases", cases.len());
    let diffs = run_all(cases, |case| {
        compare(
            case,
            &run(case, &[mimic(), "run", "--deterministic"]),
            &expected(case),
        )
    });
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
}

#[test]
fn deterministic_mode_repeats_a_racy_guest_exactly() {
    let racy = guest("threads");
    let runs: Vec<_> = (0..5)
        .map(|_| mimic_run(&["--deterministic", "--stats", &racy, "racy"]))
        .collect();
    for r in &runs {
        assert_eq!(r.0, 0, "{}", r.2);
        assert!(r.2.contains("instructions retired"), "{}", r.2);
    }
    assert!(
        runs.iter().all(|r| r == &runs[0]),
        "deterministic runs differ: {runs:#?}"
    );
    // The same guest on host threads: its unsynchronised increments interleave differently.
    let first = mimic_run(&[&racy, "racy"]);
    let differs = (0..20).any(|_| mimic_run(&[&racy, "racy"]).1 != first.1);
    assert!(differs, "20 parallel runs all printed {}", first.1);
}

/// The deterministic interleaving does not depend on the engine: translated code counts
/// instructions as the interpreter does, so every run, in every mode, is the same run.
#[test]
fn deterministic_mode_is_the_same_run_under_every_engine() {
    let racy = guest("threads");
    let runs: Vec<_> = [&["--interp"][..], &["--jit"][..], &[][..], &["--jit"][..]]
        .iter()
        .map(|mode| {
            let mut args = mode.to_vec();
            args.extend(["--deterministic", "--stats", racy.as_str(), "racy"]);
            mimic_run(&args)
        })
        .collect();
    assert_eq!(runs[0].0, 0, "{}", runs[0].2);
    assert!(
        runs.iter().all(|r| r == &runs[0]),
        "runs differ between engines: {runs:#?}"
    );
}

const EXEC_OUTPUT: &str = "execve child-exit 42: exited 42
execve missing: exited 102
vfork execve child-exit 5: exited 5
sum of 500 numbers from the pipe: 125250
pipeline writer: exited 0
pipeline reader: exited 0
";

#[test]
fn fork_execve_and_a_pipeline_of_guest_processes() {
    let procs = guest("procs");
    for mode in [&[][..], &["--deterministic"][..], &["--jit"][..]] {
        let mut args = mode.to_vec();
        args.extend([procs.as_str(), "exec"]);
        let (status, out, err) = mimic_run(&args);
        assert_eq!((status, out.as_str(), err.as_str()), (0, EXEC_OUTPUT, ""));
    }
}

#[test]
fn strace_shows_each_threads_id() {
    let (status, _, err) = mimic_run(&["--strace", &guest("threads"), "tls"]);
    assert_eq!(status, 0, "{err}");
    let tids: std::collections::BTreeSet<&str> = err
        .lines()
        .filter_map(|l| l.split(' ').next())
        .filter(|t| t.parse::<i32>().is_ok())
        .collect();
    assert!(tids.len() >= 9, "{} tids in:\n{err}", tids.len());
    assert!(err.contains(" clone("), "{err}");
    assert!(err.contains(" exit(0)"), "{err}");
}

/// A guest's execve of a riscv64 program re-executes mimic: the arguments after the
/// program that look like mimic's options (`-d x`, `--help`, `--`, "") reach the first
/// guest, `execargs`, and, through the second mimic, the program it executes, `args`, as
/// they were. qemu recorded what `args` prints for the same arguments.
#[test]
fn execve_keeps_arguments_that_look_like_mimics_options() {
    let case = cases()
        .into_iter()
        .find(|c| c.name == "args-mimic-options")
        .expect("the case args-mimic-options");
    let want = expected(&case);
    let target = format!("EXECARGS_PROGRAM={}", guest("args"));
    let execargs = guest("execargs");
    for mode in [&[][..], &["--deterministic"][..]] {
        let mut argv = mode.to_vec();
        argv.extend(["-E", &target, &execargs]);
        argv.extend(case.args.iter().map(String::as_str));
        let (status, out, err) = mimic_run(&argv);
        assert_eq!(
            (status, out.as_str(), err.as_str()),
            (
                want.status,
                String::from_utf8_lossy(&want.stdout).as_ref(),
                ""
            ),
            "{mode:?}"
        );
    }
}

/// clone3 with what mimic has no means for (a cgroup to start in, handlers reset in the
/// child, a time namespace) is EINVAL, where Linux (as root) gives EBADF for the cgroup fd
/// and makes the other two children: the only clone3 answers tests/oracle.rs cannot hold.
#[test]
fn clone3_refuses_what_mimic_cannot_honour() {
    for engine in ["--interp", "--jit"] {
        let (status, out, err) = mimic_run(&[engine, &guest("clone3"), "refused"]);
        assert_eq!(status, 0, "{err}");
        let got: Vec<String> = out
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        assert_eq!(
            got,
            [
                "CLONE_INTO_CGROUP EINVAL",
                "CLONE_CLEAR_SIGHAND EINVAL",
                "CLONE_NEWTIME EINVAL"
            ],
            "{err}"
        );
    }
}
