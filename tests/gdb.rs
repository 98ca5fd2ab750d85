//! gdb itself against `mimic -g`: each script of tests/gdb/ runs in `gdb-multiarch --batch`
//! connected to mimic under the interpreter, the translator, the default tiers,
//! `--deterministic` and `--strace`, and to `qemu-riscv64 -g` for comparison (unless the
//! script says why qemu cannot). A script's `# expect:` lines must appear in gdb's output in
//! their order, and the guest must end with the script's `# status:`. Run by
//! scripts/test-external (`cargo test --release --test gdb -- --ignored`).
//!
//! A script's header: `# args:` the guest's arguments (`-`: none), `# status:` its exit
//! status (128+N for signal N), `# binary:` another guest than gdbtarget, `# qemu: no, …` why
//! qemu-riscv64 does not run it.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SYSROOT: &str = "/usr/riscv64-linux-gnu";
/// How long one script may take, gdb and guest together.
const LIMIT: Duration = Duration::from_secs(60);

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

struct Script {
    name: String,
    path: PathBuf,
    args: Vec<String>,
    status: i32,
    binary: PathBuf,
    expects: Vec<String>,
    /// Why qemu-riscv64 does not run it, if it does not.
    not_qemu: Option<String>,
}

fn scripts() -> Vec<Script> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(root().join("tests/gdb"))
        .expect("tests/gdb")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "gdb"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            let header = |key: &str| {
                text.lines()
                    .find_map(|l| l.strip_prefix(&format!("# {key}: ")))
                    .map(str::to_string)
            };
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            let args = header("args").unwrap_or_else(|| panic!("{name}: no # args:"));
            let status = header("status").unwrap_or_else(|| panic!("{name}: no # status:"));
            let binary = header("binary").unwrap_or_else(|| "gdbtarget".into());
            Script {
                args: match args.as_str() {
                    "-" => vec![],
                    a => a.split_whitespace().map(String::from).collect(),
                },
                status: status.parse().unwrap(),
                binary: root().join("tests/guests/bin").join(binary),
                expects: text
                    .lines()
                    .filter_map(|l| l.strip_prefix("# expect: "))
                    .map(String::from)
                    .collect(),
                not_qemu: header("qemu"),
                name,
                path,
            }
        })
        .collect()
}

/// What one run gave: gdb's output, the guest's status and stdout.
struct Run {
    gdb: String,
    status: Option<i32>,
}

/// Waits for `child` until `deadline`, killing it past that.
fn wait(child: &mut Child, deadline: Instant) -> Option<std::process::ExitStatus> {
    loop {
        if let Ok(Some(st)) = child.try_wait() {
            return Some(st);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn status_of(st: std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    st.code().unwrap_or_else(|| 128 + st.signal().unwrap_or(0))
}

/// Runs `script` in gdb against `emulator` (mimic's options, or None for qemu-riscv64).
fn run(script: &Script, mimic: Option<&[&str]>) -> Run {
    let mut cmd;
    let port;
    match mimic {
        Some(opts) => {
            cmd = Command::new(env!("CARGO_BIN_EXE_mimic"));
            cmd.args(opts).args(["-g", "0"]);
        }
        None => {
            cmd = Command::new("qemu-riscv64");
            // qemu needs a real port: one that was free a moment ago.
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            port = l.local_addr().unwrap().port();
            cmd.args(["-L", SYSROOT, "-g", &port.to_string()]);
        }
    }
    let mut guest = cmd
        .arg(&script.binary)
        .args(&script.args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e}; qemu-riscv64 is in apt-get install qemu-user"));
    let mut stderr = BufReader::new(guest.stderr.take().unwrap());
    let port = match mimic {
        Some(_) => {
            let mut line = String::new();
            stderr.read_line(&mut line).unwrap();
            let port = line
                .trim()
                .strip_prefix("mimic: waiting for gdb on 127.0.0.1:");
            port.unwrap_or_else(|| panic!("mimic said {line:?}"))
                .to_string()
        }
        None => {
            let args: Vec<_> = cmd.get_args().map(|a| a.to_string_lossy()).collect();
            args[3].to_string()
        }
    };
    // The guest's stderr (strace lines, fault reports) must not fill its pipe.
    std::thread::spawn(move || {
        let mut sink = Vec::new();
        let _ = stderr.read_to_end(&mut sink);
    });
    let deadline = Instant::now() + LIMIT;
    let mut gdb = Command::new("gdb-multiarch")
        .current_dir(root())
        .args(["-q", "-nx", "--batch"])
        .args(["-ex", "set pagination off", "-ex", "set confirm off"])
        .args(["-ex", &format!("set sysroot {SYSROOT}")])
        .args(["-ex", "directory tests/guests"])
        .args(["-ex", &format!("target remote 127.0.0.1:{port}")])
        .arg("-x")
        .arg(&script.path)
        .arg(&script.binary)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("gdb-multiarch: {e}; install it with apt-get install gdb-multiarch")
        });
    let read = |mut from: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = from.read_to_string(&mut s);
            s
        })
    };
    let out = read(Box::new(gdb.stdout.take().unwrap()));
    let err = read(Box::new(gdb.stderr.take().unwrap()));
    let in_time = wait(&mut gdb, deadline).is_some();
    if !in_time {
        // gdb is gone; the guest may hold nothing of its pipes, but do not wait on it.
        let _ = guest.kill();
    }
    let mut text = out.join().unwrap();
    text.push_str(&err.join().unwrap());
    if !in_time {
        text.push_str("\n(gdb killed: over the time limit)");
    }
    let status = wait(&mut guest, deadline).map(status_of);
    Run { gdb: text, status }
}

/// The first expectation not found in order in `out`.
fn missing<'a>(expects: &'a [String], out: &str) -> Option<&'a str> {
    let mut at = 0;
    for e in expects {
        match out[at..].find(e.as_str()) {
            Some(i) => at += i + e.len(),
            None => return Some(e),
        }
    }
    None
}

fn check(script: &Script, who: &str, r: &Run) -> Option<String> {
    let why = match (missing(&script.expects, &r.gdb), r.status) {
        (Some(e), _) => format!("expected {e:?}"),
        (None, st) if st != Some(script.status) => {
            format!("guest status {st:?}, expected {}", script.status)
        }
        _ => return None,
    };
    Some(format!(
        "{} under {who}: {why}\n--- gdb said:\n{}\n---",
        script.name, r.gdb
    ))
}

#[test]
#[ignore = "needs gdb-multiarch and qemu-user; run scripts/test-external"]
fn gdb_scripts_pass_under_every_engine_and_qemu() {
    for (tool, package) in [
        ("gdb-multiarch", "gdb-multiarch"),
        ("qemu-riscv64", "qemu-user"),
    ] {
        let found = Command::new(tool).arg("--version").output().is_ok();
        assert!(found, "{tool} is missing: apt-get install {package}");
    }
    let modes: [(&str, &[&str]); 5] = [
        ("mimic --interp", &["--interp"]),
        ("mimic --jit", &["--jit"]),
        ("mimic (tiered)", &[]),
        ("mimic --deterministic", &["--deterministic"]),
        ("mimic --strace", &["--strace"]),
    ];
    let mut failures = Vec::new();
    let mut runs = 0;
    for script in scripts() {
        for (who, opts) in modes {
            runs += 1;
            failures.extend(check(&script, who, &run(&script, Some(opts))));
        }
        match &script.not_qemu {
            Some(why) => eprintln!("{}: not run under qemu-riscv64 ({why})", script.name),
            None => {
                runs += 1;
                failures.extend(check(&script, "qemu-riscv64", &run(&script, None)));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {runs} runs failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("{runs} gdb script runs passed");
}
