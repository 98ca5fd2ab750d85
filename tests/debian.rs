//! Debian's own riscv64 programs under mimic and under qemu-riscv64, side by side: the same
//! command line, the same sysroot, the same stdin; stdout and the exit status must agree.
//!
//! The sysroot is built by `scripts/debian-sysroot` (real trixie packages: coreutils, grep,
//! sed, gawk, bash, perl, python3, sqlite3, lua, xz, ripgrep (Rust), quickjs (a JavaScript
//! engine), …); `scripts/test-external`
//! builds it and runs these tests (`cargo test --release --test debian -- --ignored`). Each test
//! fails, saying what to run or install, when the sysroot or qemu-riscv64 is missing.
//!
//! stderr is not compared: mimic reports a system call it does not implement once on stderr,
//! which qemu-user does only under `-d unimp`. It is shown when a case differs.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn sysroot() -> PathBuf {
    let dir = std::env::var_os("MIMIC_DEBIAN_SYSROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/debian-riscv64"));
    assert!(
        dir.join("lib/ld-linux-riscv64-lp64d.so.1").exists(),
        "no Debian riscv64 sysroot at {}: run scripts/debian-sysroot (or set MIMIC_DEBIAN_SYSROOT)",
        dir.display()
    );
    dir
}

/// What one run gave: stdout, stderr, and the exit code (128+N for death by signal N).
struct Run {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    status: i32,
}

/// Runs `cmd` with `stdin`, in `cwd`, killing it after `limit` (a hang fails the case).
fn run(cmd: &mut Command, stdin: &[u8], cwd: &Path, limit: Duration) -> Run {
    use std::os::unix::process::ExitStatusExt;
    let mut child = cmd
        .current_dir(cwd)
        .env_clear()
        .env("LC_ALL", "C")
        .env("PATH", "/usr/bin:/bin")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let mut input = child.stdin.take().expect("piped stdin");
    let data = stdin.to_vec();
    let feeder = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let pid = child.id() as i32;
    let deadline = Instant::now() + limit;
    let watchdog = std::thread::spawn(move || {
        while Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
            // SAFETY: kill(pid, 0) only asks whether the process still exists.
            if unsafe { libc::kill(pid, 0) } != 0 {
                return;
            }
        }
        // SAFETY: the child is ours; a hung run is ended so the case can fail.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    });
    let out = child.wait_with_output().expect("wait for the run");
    let _ = feeder.join();
    let _ = watchdog.join();
    let status = out
        .status
        .code()
        .unwrap_or_else(|| 128 + out.status.signal().unwrap_or(0));
    Run {
        stdout: out.stdout,
        stderr: out.stderr,
        status,
    }
}

/// One command line: the program (a path inside the sysroot) and its arguments, exactly as a
/// user types them after `qemu-riscv64 -L SYSROOT`.
struct Case {
    argv: &'static [&'static str],
    stdin: &'static str,
    reference: Reference,
}

/// What a case's output is held to.
#[derive(PartialEq)]
enum Reference {
    /// qemu-riscv64 running the same program.
    Qemu,
    /// The host's own programs of the same name: for command lines that execve other programs,
    /// which qemu-riscv64 cannot do without binfmt_misc and mimic can.
    Native,
    /// This stdout and exit status: for programs that execve riscv64 programs the host does not
    /// have (a Python subprocess, gcc's passes, a Node.js child).
    Output(&'static str, i32),
}
use Reference::{Native, Output, Qemu};

const INPUT: &str = "alpha 1\nbeta 22\ngamma 333\ndelta 4444\nalpha 55555\n";

/// Programs taking options that are mimic's too (`-d`, `-E`, `-s`, `-0`, `-L`, `-U`): the guest's.
const CASES: &[Case] = &[
    Case { argv: &["/usr/bin/grep", "-E", "a+ [0-9]{2}", "input.txt"], stdin: "", reference: Qemu },
    Case { argv: &["/usr/bin/grep", "-c", "-s", "alpha", "input.txt"], stdin: "", reference: Qemu },
    Case { argv: &["/usr/bin/sed", "-E", "s/([a-z]+) ([0-9]+)/\\2 \\1/", "input.txt"], stdin: "", reference: Qemu },
    Case { argv: &["/usr/bin/sed", "-s", "-n", "2p", "input.txt", "input.txt"], stdin: "", reference: Qemu },
    Case { argv: &["/usr/bin/tr", "-d", "0-9"], stdin: INPUT, reference: Qemu },
    Case { argv: &["/usr/bin/tr", "-s", "a-z", "A-Z"], stdin: INPUT, reference: Qemu },
    Case { argv: &["/usr/bin/date", "-u", "-d", "@0", "+%Y-%m-%d %H:%M:%S"], stdin: "", reference: Qemu },
    Case { argv: &["/usr/bin/xargs", "-0", "-n", "1", "/usr/bin/echo", "arg:"], stdin: "one\0two words\0three", reference: Native },
    Case { argv: &["/usr/bin/cut", "-d", " ", "-f", "2"], stdin: INPUT, reference: Qemu },
    Case { argv: &["/usr/bin/sort", "-k", "2", "-n", "-r", "input.txt"], stdin: "", reference: Qemu },
    Case { argv: &["/usr/bin/uniq", "-c"], stdin: "a\na\nb\nc\nc\nc\n", reference: Qemu },
    Case { argv: &["/usr/bin/wc", "-l", "-w", "-c", "input.txt"], stdin: "", reference: Qemu },
    Case { argv: &["/usr/bin/sha256sum", "input.txt"], stdin: "", reference: Qemu },
    Case { argv: &["/usr/bin/od", "-A", "x", "-t", "x1z", "-N", "24", "input.txt"], stdin: "", reference: Qemu },
    Case { argv: &["/usr/bin/seq", "-s", ",", "1", "3", "20"], stdin: "", reference: Qemu },
    Case { argv: &["/usr/bin/expr", "123456789", "*", "987654321"], stdin: "", reference: Qemu },
    Case { argv: &["/usr/bin/factor", "600851475143", "1000000007"], stdin: "", reference: Qemu },
    Case { argv: &["/usr/bin/gawk", "-F", " ", "{ s += $2 } END { printf \"%d %.3f\\n\", s, s / NR }", "input.txt"], stdin: "", reference: Qemu },
    Case { argv: &["/usr/bin/mawk", "-v", "x=3", "NR % 2 { print x * NR, $1 }", "input.txt"], stdin: "", reference: Qemu },
    Case { argv: &["/usr/bin/bash", "-c", "for i in 1 2 3; do echo \"$i $((i * i))\"; done | while read a b; do echo $b-$a; done; exit 7"], stdin: "", reference: Qemu },
    Case { argv: &["/usr/bin/bash", "-c", "x=$(/usr/bin/printf '%s|' a b c); echo \"${x%|}\"; [[ abc == a* ]] && echo glob"], stdin: "", reference: Native },
    Case { argv: &["/usr/bin/gzip", "-c", "-9", "-n", "input.txt"], stdin: "", reference: Qemu },
    Case { argv: &["/usr/bin/bash", "-c", "/usr/bin/gzip -c -n input.txt | /usr/bin/gzip -d | /usr/bin/md5sum"], stdin: "", reference: Native },
    Case { argv: &["/usr/bin/diff", "input.txt", "-"], stdin: "alpha 1\nbeta 2\n", reference: Qemu },
    Case { argv: &["/usr/bin/find", ".", "-name", "*.txt", "-type", "f"], stdin: "", reference: Qemu },
    Case { argv: &["/usr/bin/rg", "-n", "-e", "a{2}|4+", "input.txt"], stdin: "", reference: Qemu },
    Case { argv: &["/usr/bin/rg", "--count", "-i", "ALPHA"], stdin: INPUT, reference: Qemu },
    Case { argv: &["/usr/bin/perl", "-e", "my %h = (b => 2, a => 1); print join(',', map { \"$_=$h{$_}\" } sort keys %h), \"\\n\"; printf(\"%.6f\\n\", atan2(1, 1) * 4)"], stdin: "", reference: Qemu },
    Case { argv: &["/usr/bin/python3.13", "-S", "-c", "import sys, json; print(sum(i * i for i in range(100000)), 2 ** 100, json.dumps({'a': [1, 2.5]}), sys.byteorder)"], stdin: "", reference: Qemu },
    // Sockets (issue 11): a socketpair, and a TCP echo over 127.0.0.1 on a port the kernel picks.
    Case { argv: &["/usr/bin/python3.13", "-S", "-c", "import socket; a, b = socket.socketpair(); a.sendall(b'ping'); print(b.recv(4)); l = socket.socket(); l.bind(('127.0.0.1', 0)); l.listen(); c = socket.create_connection(l.getsockname()); s, _ = l.accept(); c.sendall(b'over tcp'); print(s.recv(64), s.getsockname()[0], c.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE) == socket.SOCK_STREAM)"], stdin: "", reference: Qemu },
    Case { argv: &["/usr/bin/sqlite3", ":memory:", "create table t(a, b); insert into t values (1, 'x'), (2, 'y'), (3, 'z'); select sum(a), group_concat(b, '-') from t;"], stdin: "", reference: Qemu },
    // A Go program: its runtime needs epoll and eventfd before main.
    Case { argv: &["/usr/bin/fzf", "--filter", "b"], stdin: "abc\nxyz\nbob\nable\nrabbit\n", reference: Qemu },
    Case { argv: &["/usr/bin/fzf", "--version"], stdin: "", reference: Qemu },
    Case { argv: &["/usr/bin/lua5.4", "-e", "local t = {} for i = 1, 10 do t[i] = i * i end print(table.concat(t, ','), math.pi)"], stdin: "", reference: Qemu },
    Case { argv: &["/usr/bin/xz", "-9", "-c", "input.txt"], stdin: "", reference: Qemu },
    Case { argv: &["/usr/bin/bzip2", "-c", "input.txt"], stdin: "", reference: Qemu },
    Case { argv: &["/usr/bin/qjs", "-e", "let s = 0; for (let i = 0; i < 100000; i++) s += i % 7; console.log(s, JSON.stringify({a: [1, 2.5, 'x']}), (2 ** 53 + 1).toString(16));"], stdin: "", reference: Qemu },
    // Real programs at work (issue 11); the scripts are tests/debian/*, written beside input.txt.
    Case { argv: &["/usr/bin/bash", "pipes.sh"], stdin: "", reference: Native },
    Case { argv: &["/usr/bin/perl", "perl.pl"], stdin: "", reference: Qemu },
    Case { argv: &["/usr/bin/sqlite3", "wal.db"], stdin: include_str!("debian/wal.sql"), reference: Qemu },
    Case { argv: &["/usr/bin/python3.13", "py_system.py"], stdin: "", reference: Qemu },
    Case { argv: &["/usr/bin/python3.13", "mp.py", "fork"], stdin: "", reference: Qemu },
    Case { argv: &["/usr/bin/python3.13", "py_subprocess.py"], stdin: "", reference: Output(PY_SUBPROCESS, 0) },
    Case { argv: &["/usr/bin/python3.13", "py_asyncio.py"], stdin: "", reference: Output(PY_ASYNCIO, 0) },
    Case { argv: &["/usr/bin/python3.13", "mp.py", "spawn", "forkserver"], stdin: "", reference: Output(MP_EXEC, 0) },
    Case { argv: &["/usr/bin/bash", "gron.sh"], stdin: "", reference: Output(GRON, 0) },
    // A Rust program with threads: fd walks the tree on four and runs wc from them.
    Case { argv: &["/usr/bin/bash", "-c", "/usr/bin/fdfind -j 4 -e rs . tree | /usr/bin/sort; /usr/bin/fdfind -j 4 -e rs . tree -x /usr/bin/wc -c | /usr/bin/sort"], stdin: "", reference: Output("tree/a/b/two.rs\ntree/a/one.rs\ntree/four.rs\n0 tree/a/b/two.rs\n0 tree/a/one.rs\n0 tree/four.rs\n", 0) },
    // A compiler driver that execs its passes (cc1, as, collect2, ld), then the program it built.
    Case { argv: &["/usr/bin/bash", "-c", "/usr/bin/gcc-14 -O2 -Wall -o hello hello.c && ./hello pear apple fig; echo \"status $?\"; rm -f hello"], stdin: "", reference: Output("apple fig pear\n1.643934567\nstatus 4\n", 0) },
    Case { argv: &["/usr/bin/node", "node.js"], stdin: "", reference: Output(NODE, 0) },
];

/// The scratch directory's files besides input.txt: the scripts the cases run, and a tree for fd.
const FILES: &[(&str, &str)] = &[
    ("pipes.sh", include_str!("debian/pipes.sh")),
    ("perl.pl", include_str!("debian/perl.pl")),
    ("py_system.py", include_str!("debian/py_system.py")),
    ("py_subprocess.py", include_str!("debian/py_subprocess.py")),
    ("py_asyncio.py", include_str!("debian/py_asyncio.py")),
    ("mp.py", include_str!("debian/mp.py")),
    ("gron.sh", include_str!("debian/gron.sh")),
    ("hello.c", include_str!("debian/hello.c")),
    ("node.js", include_str!("debian/node.js")),
    ("tree/four.rs", ""),
    ("tree/a/one.rs", ""),
    ("tree/a/b/two.rs", ""),
    ("tree/c/three.txt", ""),
];

const PY_SUBPROCESS: &str = "popen b'\\ncba' b'err' 3\nrun b'X2\\n'\n";
const PY_ASYNCIO: &str =
    "[b'HELLO 0\\n', b'HELLO 1\\n', b'HELLO 2\\n', b'HELLO 3\\n', b'HELLO 4\\n']\nb'42\\n' 0\n";
const MP_EXEC: &str = "spawn [0, 1, 4, 9, 16, 25, 36, 49, 64, 81] 40 0 6\n\
forkserver [0, 1, 4, 9, 16, 25, 36, 49, 64, 81] 40 0 6\n";
const GRON: &str = r#"json = {};
json.n = {};
json.n.a = 1.5;
json.name = "mimic";
json.tags = [];
json.tags[0] = "riscv";
json.tags[1] = "x86";
{
  "n": {
    "a": 1.5
  },
  "name": "mimic",
  "tags": [
    "riscv",
    "x86"
  ]
}
"#;
const NODE: &str = r#"hot 75025 1701763584 1,3,5,9
json {"a":[1,2.5,"x"],"b":{"c":null}} [ 'a', 'b' ]
fs 3 12
promise 20
fs.promises true
spawnSync 42 3
execFile 1
http 200 hi /x?y=1
worker 63
"#;

/// How long one run may take before it counts as a hang: Node.js takes 10 to 25 s of CPU and the
/// multiprocessing case starts eight Pythons, on CI's two cores shared by two tests.
const LIMIT: Duration = Duration::from_secs(180);

fn compare_all(engine: &[&str]) {
    let root = sysroot();
    let qemu = "qemu-riscv64";
    if Command::new(qemu).arg("--version").output().is_err() {
        panic!("{qemu} is missing: install it with `apt-get install qemu-user`");
    }
    // One scratch directory per engine: the tests run side by side in one process.
    let dir = std::env::temp_dir().join(format!(
        "mimic-debian-{}{}",
        std::process::id(),
        engine.concat()
    ));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    std::fs::write(dir.join("input.txt"), INPUT).expect("input file");
    for (name, text) in FILES {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().expect("a file in the scratch dir"))
            .expect("scratch dir");
        std::fs::write(path, text).expect("scratch file");
    }
    let mut diffs = Vec::new();
    for case in CASES {
        let prog = root.join(case.argv[0].trim_start_matches('/'));
        let args = &case.argv[1..];
        let theirs = match &case.reference {
            Qemu => run(
                Command::new(qemu)
                    .arg("-L")
                    .arg(&root)
                    .arg(&prog)
                    .args(args),
                case.stdin.as_bytes(),
                &dir,
                LIMIT,
            ),
            Native => run(
                Command::new(case.argv[0]).args(args),
                case.stdin.as_bytes(),
                &dir,
                LIMIT,
            ),
            Output(stdout, status) => Run {
                stdout: stdout.as_bytes().to_vec(),
                stderr: Vec::new(),
                status: *status,
            },
        };
        let ours = run(
            Command::new(env!("CARGO_BIN_EXE_mimic"))
                .arg("run")
                .args(engine)
                .arg("-L")
                .arg(&root)
                .arg(&prog)
                .args(args),
            case.stdin.as_bytes(),
            &dir,
            LIMIT,
        );
        if ours.stdout != theirs.stdout || ours.status != theirs.status {
            diffs.push(format!(
                "{:?} {engine:?}:\n  mimic (status {}): {:?}\n  mimic stderr: {:?}\n  {} (status {}): {:?}",
                case.argv,
                ours.status,
                String::from_utf8_lossy(&ours.stdout),
                String::from_utf8_lossy(&ours.stderr),
                match case.reference {
                    Qemu => "qemu",
                    Native => "native",
                    Output(..) => "expected",
                },
                theirs.status,
                String::from_utf8_lossy(&theirs.stdout),
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        diffs.is_empty(),
        "{} of {} Debian programs differ from qemu-riscv64:\n{}",
        diffs.len(),
        CASES.len(),
        diffs.join("\n")
    );
}

#[test]
#[ignore = "needs scripts/debian-sysroot and qemu-user; run by scripts/test-external"]
fn debian_programs_match_qemu_tiered() {
    compare_all(&[]);
}

#[test]
#[ignore = "needs scripts/debian-sysroot and qemu-user; run by scripts/test-external"]
fn debian_programs_match_qemu_interpreted() {
    compare_all(&["--interp"]);
}

#[test]
#[ignore = "needs scripts/debian-sysroot and qemu-user; run by scripts/test-external"]
fn debian_programs_match_qemu_translated() {
    compare_all(&["--jit"]);
}
