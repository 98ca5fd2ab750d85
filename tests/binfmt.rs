//! mimic registered with the kernel's binfmt_misc, and riscv64 programs run by their own
//! path: the kernel calls mimic as it does for each flag set (P, O, C, F), with the argv
//! layout and AT_EXECFD it really builds.
//!
//! Each test works in a user and mount namespace of its own (`unshare --user
//! --map-root-user --mount`) where it mounts a binfmt_misc of its own: since Linux 6.7
//! binfmt_misc is per user namespace, so nothing is registered for the rest of the machine,
//! and no root is needed. Containers that forbid user namespaces or mounts (Docker's default
//! profile) cannot run them: they fail saying so, and are therefore not among
//! scripts/test-external's. Run them by hand:
//!
//! ```text
//!   cargo test --release --test binfmt -- --ignored
//! ```
//!
//! They need util-linux (unshare, setpriv) and bash; the setuid and permission ones, root.

mod guest_cases;

use guest_cases::guests_dir;
use std::path::{Path, PathBuf};
use std::process::Command;

const MIMIC: &str = env!("CARGO_BIN_EXE_mimic");

/// A scratch directory of the test's own.
fn scratch(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("mimic-binfmt-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Runs the bash `script` in a fresh user and mount namespace with binfmt_misc mounted at
/// /proc/sys/fs/binfmt_misc; `$M` is mimic, `$G` the guests' bin directory, `$T` `dir`.
/// Returns the script's status and stderr; its results are files it writes in `dir`.
fn in_namespace(dir: &Path, script: &str) -> (i32, String) {
    let full =
        format!("mount -t binfmt_misc none /proc/sys/fs/binfmt_misc || exit 97\nset -e\n{script}");
    let out = Command::new("unshare")
        .args(["--user", "--map-root-user", "--mount", "bash", "-c", &full])
        .env("M", MIMIC)
        .env("G", guests_dir().join("bin"))
        .env("T", dir)
        .output()
        .unwrap_or_else(|e| panic!("unshare: {e}: install util-linux (unshare, setpriv)"));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let code = out.status.code().unwrap_or(-1);
    if code == 97 || stderr.starts_with("unshare:") {
        panic!(
            "binfmt_misc cannot be mounted here (needs user namespaces and Linux 6.7+): {}",
            stderr.trim()
        );
    }
    (code, stderr)
}

/// The status, stdout and stderr a script saved as `$T/NAME.{status,out,err}`.
fn saved(dir: &Path, name: &str) -> (i32, String, String) {
    let read = |ext: &str| {
        let p = dir.join(format!("{name}.{ext}"));
        std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    };
    (
        read("status").trim().parse().unwrap(),
        read("out"),
        read("err"),
    )
}

/// `mimic run` of the guest `name` (in the guests' directory) with `options`.
fn direct(
    options: &[&str],
    name: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> (i32, String, String) {
    let out = Command::new(MIMIC)
        .arg("run")
        .args(options)
        .arg("--")
        .arg(format!("./{name}"))
        .args(args)
        .envs(env.iter().copied())
        .current_dir(guests_dir().join("bin"))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The flag sets the kernel distinguishes, and how it shows them (C implies O).
const FLAG_SETS: [(&str, &str); 6] = [
    ("", ""),
    ("P", "P"),
    ("O", "O"),
    ("C", "OC"),
    ("F", "F"),
    ("POCF", "POCF"),
];

#[test]
#[ignore = "needs user namespaces and a mountable binfmt_misc; run by hand (see the file's doc)"]
fn a_registered_mimic_runs_programs_by_their_path_for_every_flag_set() {
    for (flags, shown) in FLAG_SETS {
        let t = scratch("flags");
        let (code, err) = in_namespace(
            &t,
            &format!(
                r#"cd "$G"
"$M" binfmt --register --name mimic-test --flags '{flags}'
grep -qx 'flags: {shown}' /proc/sys/fs/binfmt_misc/mimic-test
set +e
(exec -a zero ./args a -x '' --help) > "$T/run.out" 2> "$T/run.err"; echo $? > "$T/run.status"
(cd "$T" && MIMIC_STRACE=1 "$G/fileio" > /dev/null 2> "$T/strace")
set -e
"$M" binfmt --unregister --name mimic-test
test ! -e /proc/sys/fs/binfmt_misc/mimic-test"#
            ),
        );
        assert_eq!(code, 0, "flags {flags:?}: {err}");
        // P: the program's own argv[0]; otherwise the path it was executed by.
        let argv0: &[&str] = if flags.contains('P') {
            &["-0", "zero"]
        } else {
            &[]
        };
        let want = direct(argv0, "args", &["a", "-x", "", "--help"], &[]);
        assert_eq!(saved(&t, "run"), want, "flags {flags:?}");
        // The guest's first open gets fd 3: with O, mimic closed the kernel's AT_EXECFD.
        let strace = std::fs::read_to_string(t.join("strace")).unwrap();
        let first = strace
            .lines()
            .find(|l| l.contains(" openat("))
            .unwrap_or("");
        assert!(first.ends_with(" = 3"), "flags {flags:?}: {strace}");
        let _ = std::fs::remove_dir_all(&t);
    }
}

#[test]
#[ignore = "needs user namespaces and a mountable binfmt_misc; run by hand (see the file's doc)"]
fn with_o_a_program_the_user_cannot_read_still_runs() {
    for flags in ["O", "C", "POCF", ""] {
        let t = scratch("noread");
        let (code, err) = in_namespace(
            &t,
            &format!(
                r#"cp "$G/args" "$T/noread"; chmod 111 "$T/noread"; cd "$T"
"$M" binfmt --register --name mimic-test --flags '{flags}'
set +e
# Without capabilities, root of the namespace cannot read a file mode 111 either.
setpriv --inh-caps=-all --bounding-set=-all ./noread a > run.out 2> run.err; echo $? > run.status"#
            ),
        );
        assert_eq!(code, 0, "flags {flags:?}: {err}");
        let (status, out, err) = saved(&t, "run");
        if flags.is_empty() {
            // mimic is handed only the path, which it may not open.
            assert_eq!(status, 1, "{out}{err}");
            assert_eq!(err, "mimic: ./noread: permission denied\n");
        } else {
            assert_eq!(status, 0, "flags {flags:?}: {err}");
            assert!(out.contains("argv[1]=[a]"), "flags {flags:?}: {out}");
            assert!(out.contains("AT_EXECFN basename=noread"), "{out}");
        }
        let _ = std::fs::remove_dir_all(&t);
    }
}

#[test]
#[ignore = "needs user namespaces and a mountable binfmt_misc; run by hand (see the file's doc)"]
fn with_f_mimic_works_after_its_path_is_gone_even_for_a_guest_execve() {
    for flags in ["F", "POCF", "P"] {
        let t = scratch("gone");
        let (code, err) = in_namespace(
            &t,
            &format!(
                r#"mkdir "$T/m"; cp "$M" "$T/m/mimic"
"$T/m/mimic" binfmt --register --name mimic-test --flags '{flags}'
rm -r "$T/m"
cd "$G"
set +e
EXECARGS_PROGRAM=./args ./execargs a -x > "$T/run.out" 2> "$T/run.err"; echo $? > "$T/run.status""#
            ),
        );
        assert_eq!(code, 0, "flags {flags:?}: {err}");
        let got = saved(&t, "run");
        if flags.contains('F') {
            // execargs execs ./args with argv[0] "./args": a new mimic, reached through
            // /proc/self/exe, runs it.
            let want = direct(&[], "args", &["a", "-x"], &[]);
            assert_eq!(got, want, "flags {flags:?}");
        } else {
            // The control: without F the kernel cannot find the interpreter.
            assert_ne!(got.0, 0, "flags {flags:?}: {got:?}");
        }
        let _ = std::fs::remove_dir_all(&t);
    }
}

#[test]
#[ignore = "needs user namespaces and a mountable binfmt_misc; run by hand (see the file's doc)"]
fn a_guest_execve_is_the_same_with_or_without_registration() {
    let env = [("EXECARGS_PROGRAM", "./args")];
    let want = direct(&[], "execargs", &["b", "--", "-0"], &env);
    assert_eq!(want.0, 0, "{want:?}");
    let t = scratch("execve");
    let (code, err) = in_namespace(
        &t,
        r#"cd "$G"
"$M" binfmt --register --name mimic-test
set +e
EXECARGS_PROGRAM=./args "$M" run ./execargs b -- -0 > "$T/run.out" 2> "$T/run.err"; echo $? > "$T/run.status""#,
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(saved(&t, "run"), want);
    let _ = std::fs::remove_dir_all(&t);
}

#[test]
#[ignore = "needs user namespaces and a mountable binfmt_misc; run by hand (see the file's doc)"]
fn registering_twice_and_removing_what_is_not_there_are_one_line_errors() {
    let t = scratch("errors");
    let (code, err) = in_namespace(
        &t,
        r#""$M" binfmt --register --name mimic-test
set +e
"$M" binfmt --register --name mimic-test 2> "$T/twice.err"; echo $? > "$T/twice.status"
"$M" binfmt --unregister --name mimic-test
"$M" binfmt --unregister --name mimic-test 2> "$T/gone.err"; echo $? > "$T/gone.status""#,
    );
    assert_eq!(code, 0, "{err}");
    let read = |f: &str| std::fs::read_to_string(t.join(f)).unwrap();
    assert_eq!(read("twice.status").trim(), "1");
    assert_eq!(
        read("twice.err"),
        "mimic: /proc/sys/fs/binfmt_misc/register: 'mimic-test' is already registered \
         (mimic binfmt --unregister removes it)\n"
    );
    assert_eq!(read("gone.status").trim(), "1");
    assert_eq!(
        read("gone.err"),
        "mimic: /proc/sys/fs/binfmt_misc: 'mimic-test' is not registered\n"
    );
    let _ = std::fs::remove_dir_all(&t);
}

/// What binfmt_misc's C flag gives mimic for a setuid program: a start the kernel marks
/// secure (AT_SECURE). The same start without binfmt_misc: a setuid copy of mimic, run by
/// root as nobody's.
#[test]
#[ignore = "needs root (a setuid copy of mimic); run by hand (see the file's doc)"]
fn a_secure_start_ignores_mimic_variables_and_tells_the_guest() {
    use std::os::unix::fs::PermissionsExt;
    // SAFETY: geteuid only reads the process's credentials.
    assert_eq!(unsafe { libc::geteuid() }, 0, "this test needs root");
    let t = scratch("secure");
    std::fs::set_permissions(&t, std::fs::Permissions::from_mode(0o755)).unwrap();
    let suid = t.join("mimic");
    std::fs::copy(MIMIC, &suid).unwrap();
    std::os::unix::fs::chown(&suid, Some(65534), None).unwrap();
    std::fs::set_permissions(&suid, std::fs::Permissions::from_mode(0o4755)).unwrap();
    let out = Command::new(&suid)
        .args(["run", "--"])
        .arg(guests_dir().join("bin/args"))
        .env("MIMIC_STRACE", "1")
        .env("MIMIC_TEST_GREETING", "hello")
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&t);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    // The guest's ld.so must know; mimic read no MIMIC_STRACE; the guest still has them.
    assert!(stdout.contains("AT_SECURE=1\n"), "{stdout}");
    assert_eq!(stderr, "", "a secure mimic obeyed MIMIC_STRACE");
    assert!(
        stdout.contains("getenv(MIMIC_TEST_GREETING)=hello"),
        "{stdout}"
    );
}

/// A mounted binfmt_misc and a user other than root: one line, nothing registered. (The
/// mount is the machine's own binfmt_misc, seen in a private mount namespace; nobody's
/// write is refused before anything changes.)
#[test]
#[ignore = "needs root; run by hand (see the file's doc)"]
fn registering_without_root_is_permission_denied() {
    // SAFETY: geteuid only reads the process's credentials.
    assert_eq!(unsafe { libc::geteuid() }, 0, "this test needs root");
    let out = Command::new("unshare")
        .args(["--mount", "--propagation", "private", "bash", "-c"])
        .arg(
            "mount -t binfmt_misc none /proc/sys/fs/binfmt_misc || exit 97
             exec setpriv --reuid=65534 --regid=65534 --clear-groups \"$M\" binfmt --register --name mimic-test",
        )
        .env("M", MIMIC)
        .output()
        .unwrap_or_else(|e| panic!("unshare: {e}: install util-linux (unshare, setpriv)"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_ne!(
        out.status.code(),
        Some(97),
        "binfmt_misc cannot be mounted here: {err}"
    );
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(
        err,
        "mimic: /proc/sys/fs/binfmt_misc/register: permission denied (binfmt_misc needs root)\n"
    );
}
