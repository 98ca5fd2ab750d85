//! `mimic run` end to end on tiny riscv64 ELFs assembled here with isa-a's encoder, and on
//! crafted bad ELFs: nothing is built with a cross compiler, so this runs with Rust alone.

use isa_a::format::{Nullary, Store, I, U};
use isa_a::{Insn, XReg};
use std::path::{Path, PathBuf};
use std::process::Command;

const BASE: u64 = 0x10000;
const CODE: u64 = 64 + 56 * 2; // ELF header and two program headers

fn x(n: u32) -> XReg {
    XReg::new(n)
}
fn li(rd: u32, imm: i32) -> Insn {
    Insn::Addi(I {
        rd: x(rd),
        rs1: x(0),
        imm,
    })
}
fn ecall() -> Insn {
    Insn::Ecall(Nullary {})
}

/// A static riscv64 ELF (RVC + double-float ABI) whose code is `code` followed by `data`;
/// register a1 is set to the data's address first. `interp` adds a PT_INTERP.
fn elf(code: &[Insn], data: &[u8], interp: Option<&str>) -> Vec<u8> {
    let mut text: Vec<u32> = Vec::new();
    let n = code.len() as u64 + 2;
    let data_at = BASE + CODE + n * 4;
    text.push(
        Insn::Lui(U {
            rd: x(11),
            imm: (data_at & !0xfff) as i32,
        })
        .encode(),
    );
    text.push(
        Insn::Addi(I {
            rd: x(11),
            rs1: x(11),
            imm: (data_at & 0xfff) as i32,
        })
        .encode(),
    );
    text.extend(code.iter().map(|i| i.encode()));
    let mut body: Vec<u8> = text.iter().flat_map(|w| w.to_le_bytes()).collect();
    body.extend_from_slice(data);
    let interp_off = CODE + body.len() as u64;
    if let Some(i) = interp {
        body.extend_from_slice(i.as_bytes());
        body.push(0);
    }
    let total = CODE + body.len() as u64;
    let mut f = Vec::new();
    f.extend_from_slice(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0");
    f.extend_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    f.extend_from_slice(&243u16.to_le_bytes()); // EM_RISCV
    f.extend_from_slice(&1u32.to_le_bytes());
    f.extend_from_slice(&(BASE + CODE).to_le_bytes()); // entry
    f.extend_from_slice(&64u64.to_le_bytes()); // phoff
    f.extend_from_slice(&0u64.to_le_bytes()); // shoff
    f.extend_from_slice(&0x5u32.to_le_bytes()); // EF_RISCV_RVC | FLOAT_ABI_DOUBLE
    for v in [64u16, 56, 2, 64, 0, 0] {
        f.extend_from_slice(&v.to_le_bytes());
    }
    let phdr = |f: &mut Vec<u8>, ty: u32, flags: u32, off: u64, vaddr: u64, size: u64| {
        f.extend_from_slice(&ty.to_le_bytes());
        f.extend_from_slice(&flags.to_le_bytes());
        for v in [off, vaddr, vaddr, size, size, 0x1000] {
            f.extend_from_slice(&v.to_le_bytes());
        }
    };
    phdr(&mut f, 1, 5, 0, BASE, total); // PT_LOAD R+X
    match interp {
        Some(i) => phdr(
            &mut f,
            3,
            4,
            interp_off,
            BASE + interp_off,
            i.len() as u64 + 1,
        ),
        None => phdr(&mut f, 4, 4, 0, BASE, 0), // PT_NOTE, ignored
    }
    f.extend_from_slice(&body);
    f
}

fn exit_with(code: i32) -> Vec<Insn> {
    vec![li(10, code), li(17, 93), ecall()]
}

struct Tmp(PathBuf);
impl Tmp {
    fn new(tag: &str) -> Tmp {
        let d = std::env::temp_dir().join(format!("mimic-cli-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        Tmp(d)
    }
    fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let p = self.0.join(name);
        std::fs::write(&p, bytes).unwrap();
        // Executable: these are programs, and mimic (like the kernel) runs no other file.
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p
    }
}
impl Drop for Tmp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `mimic run <args>`.
fn mimic(args: &[&std::ffi::OsStr]) -> (i32, String, String) {
    let mut words = vec!["run".as_ref()];
    words.extend_from_slice(args);
    bare(&words)
}

/// `mimic <args>`, as qemu-riscv64 users and binfmt_misc call it.
fn bare(args: &[&std::ffi::OsStr]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mimic"))
        .args(args)
        .output()
        .unwrap();
    (
        // A guest killed by a signal kills mimic with it; shells show that as 128+N.
        out.status
            .code()
            .or(std::os::unix::process::ExitStatusExt::signal(&out.status).map(|s| 128 + s))
            .unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn run(path: &Path) -> (i32, String, String) {
    mimic(&[path.as_os_str()])
}

#[test]
fn exit_status_is_the_guests() {
    let t = Tmp::new("exit");
    let p = t.file("exit42", &elf(&exit_with(42), &[], None));
    assert_eq!(run(&p), (42, String::new(), String::new()));
}

#[test]
fn write_reaches_stdout_and_strace_logs_it() {
    let t = Tmp::new("write");
    let mut code = vec![li(10, 1), li(12, 6), li(17, 64), ecall()];
    code.extend(exit_with(0));
    let p = t.file("hello", &elf(&code, b"hello\n", None));
    assert_eq!(run(&p), (0, "hello\n".into(), String::new()));
    let (status, out, err) = mimic(&["--strace".as_ref(), p.as_os_str()]);
    assert_eq!((status, out.as_str()), (0, "hello\n"));
    assert!(err.contains(" write(1,0x"), "{err}");
    assert!(err.contains(",6) = 6\n"), "{err}");
    assert!(err.contains(" exit(0)\n"), "{err}");
}

fn lui(rd: u32, imm: i32) -> Insn {
    Insn::Lui(U { rd: x(rd), imm })
}
fn mv(rd: u32, rs: u32, plus: i32) -> Insn {
    Insn::Addi(I {
        rd: x(rd),
        rs1: x(rs),
        imm: plus,
    })
}

#[test]
fn strace_names_flags_quotes_paths_and_reports_errno() {
    let t = Tmp::new("strace");
    let created = t.0.join("created");
    let missing = b"/nonexistent-mimic-file\0";
    let mut data = missing.to_vec();
    data.extend_from_slice(created.as_os_str().as_encoded_bytes());
    data.push(0);
    let code = vec![
        mv(9, 11, 0),
        // openat(AT_FDCWD, missing, O_RDONLY|O_CLOEXEC): ENOENT
        li(10, -100),
        lui(12, 0x80000),
        li(17, 56),
        ecall(),
        // openat(AT_FDCWD, created, O_WRONLY|O_CREAT|O_TRUNC, 0644) = 3
        li(10, -100),
        mv(11, 9, missing.len() as i32),
        li(12, 0o1101),
        li(13, 0o644),
        ecall(),
        // mmap(NULL, 4096, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)
        li(10, 0),
        lui(11, 0x1000),
        li(12, 3),
        li(13, 0x22),
        li(14, -1),
        li(15, 0),
        li(17, 222),
        ecall(),
        // kill(0, 0) (a no-op probe)
        li(10, 0),
        li(11, 0),
        li(17, 129),
        ecall(),
    ];
    let mut code = code;
    code.extend(exit_with(0));
    let p = t.file("strace", &elf(&code, &data, None));
    let (status, _, err) = mimic(&["--strace".as_ref(), p.as_os_str()]);
    assert_eq!(status, 0, "{err}");
    let pid_stripped: Vec<&str> = err
        .lines()
        .map(|l| l.split_once(' ').expect("PID name(args)").1)
        .collect();
    let want = [
        "openat(AT_FDCWD,\"/nonexistent-mimic-file\",O_RDONLY|O_CLOEXEC) = -1 errno=2 (No such file or directory)".to_string(),
        format!("openat(AT_FDCWD,\"{}\",O_WRONLY|O_CREAT|O_TRUNC,0644) = 3", created.display()),
    ];
    assert_eq!(pid_stripped[..2], want, "{err}");
    assert!(
        pid_stripped[2].starts_with(
            "mmap(NULL,4096,PROT_READ|PROT_WRITE,MAP_PRIVATE|MAP_ANONYMOUS,-1,0) = 0x"
        ),
        "{err}"
    );
    assert_eq!(pid_stripped[3..], ["kill(0,0) = 0", "exit(0)"], "{err}");
    let pid = err.split(' ').next().unwrap();
    assert!(
        pid.parse::<u32>().is_ok(),
        "lines start with the pid: {err}"
    );
}

#[test]
fn bad_pointer_is_efault_not_a_crash() {
    let t = Tmp::new("efault");
    // write(1, 0x10, 6) returns -EFAULT (-14); exit with the low byte of a0.
    let code = vec![
        li(10, 1),
        li(11, 0x10),
        li(12, 6),
        li(17, 64),
        ecall(),
        li(17, 93),
        ecall(),
    ];
    let p = t.file("efault", &elf(&code, &[], None));
    assert_eq!(run(&p).0, (-14i32) & 0xff);
}

#[test]
fn wild_store_is_a_guest_sigsegv() {
    let t = Tmp::new("segv");
    let code = vec![Insn::Sd(Store {
        rs1: x(0),
        rs2: x(0),
        imm: 8,
    })];
    let p = t.file("segv", &elf(&code, &[], None));
    let (status, out, err) = run(&p);
    assert_eq!((status, out.as_str()), (139, ""));
    assert!(err.starts_with("mimic: guest SIGSEGV at pc=0x"), "{err}");
    assert!(err.contains("(sd zero,8(zero)) accessing 0x8"), "{err}");
    assert_eq!(err.lines().count(), 1);
}

#[test]
fn illegal_instruction_is_sigill() {
    let t = Tmp::new("ill");
    let p = t.file("ill", &elf(&[], &[0, 0, 0, 0], None)); // runs into the zero data word
    let (status, _, err) = run(&p);
    assert_eq!(status, 132);
    assert!(
        err.contains("guest SIGILL") && err.contains("illegal instruction"),
        "{err}"
    );
}

#[test]
fn abort_via_tgkill_is_sigabrt() {
    let t = Tmp::new("abrt");
    // getpid; tgkill(pid, pid, SIGABRT)
    let pid_to_a1 = Insn::Addi(I {
        rd: x(11),
        rs1: x(10),
        imm: 0,
    });
    let code = [
        li(17, 172),
        ecall(),
        pid_to_a1,
        li(12, 6),
        li(17, 131),
        ecall(),
    ];
    let p = t.file("abrt", &elf(&code, &[], None));
    let (status, _, err) = run(&p);
    assert_eq!(status, 134, "{err}");
    // Reported at the ecall that raised it (two set-up instructions, then the sixth here).
    let at = format!("guest SIGABRT at pc=0x{:x} (ecall)", BASE + CODE + 7 * 4);
    assert!(err.contains(&at), "{err}");
}

#[test]
fn unsupported_syscall_is_enosys_reported_once() {
    let t = Tmp::new("enosys");
    let mut code = vec![li(17, 244 + 100), ecall(), li(17, 244 + 100), ecall()];
    code.extend([li(17, 500), ecall()]);
    code.extend([li(17, 93), ecall()]); // exit with -ENOSYS's low byte
    let p = t.file("enosys", &elf(&code, &[], None));
    let (status, _, err) = run(&p);
    assert_eq!(status, (-38i32) & 0xff);
    // Numbers no riscv64 call has (344 is in the arch-specific range riscv64 leaves unused).
    assert_eq!(
        err,
        "mimic: unsupported syscall 344 (no such riscv64 call)\n\
         mimic: unsupported syscall 500 (no such riscv64 call)\n"
    );
}

/// A call Linux has and mimic lacks is reported by its riscv64 name, and --strace shows it
/// by name with its raw arguments.
#[test]
fn unsupported_syscall_is_named() {
    let t = Tmp::new("enosys-named");
    // quotactl (60): riscv64 has it; mimic runs no filesystem quota calls.
    let code = vec![li(17, 60), ecall(), li(17, 93), ecall()];
    let p = t.file("quotactl", &elf(&code, &[], None));
    let (status, _, err) = run(&p);
    assert_eq!(status, (-38i32) & 0xff);
    assert_eq!(err, "mimic: unsupported syscall 60 (quotactl)\n");
    let (_, _, err) = mimic(&["--strace".as_ref(), p.as_os_str()]);
    let line = err.lines().find(|l| l.contains(" quotactl(0x0,"));
    assert!(
        line.is_some_and(|l| l.ends_with(") = -1 errno=38 (Function not implemented)")),
        "{err}"
    );
}

/// Each bad input: one line `mimic: <file>: <reason>`, status 1.
fn bad(path: &Path, extra: &[&str], reason: &str) {
    let mut args: Vec<&std::ffi::OsStr> = extra.iter().map(|s| s.as_ref()).collect();
    args.push(path.as_os_str());
    let (status, out, err) = mimic(&args);
    assert_eq!(status, 1, "{err}");
    assert!(out.is_empty());
    assert_eq!(err.lines().count(), 1, "{err}");
    let want = format!("mimic: {}: {reason}", path.display());
    assert!(err.starts_with(&want), "got {err:?}, want {want:?}");
}

#[test]
fn bad_inputs_are_one_line_errors() {
    let t = Tmp::new("bad");
    let good = elf(&exit_with(0), &[], None);
    bad(&t.0.join("missing"), &[], "no such file");
    bad(&t.0, &[], "is a directory");
    bad(
        &t.file("text", b"#!/bin/sh\necho hi\n"),
        &[],
        "not an ELF file",
    );
    bad(&t.file("trunc", &good[..40]), &[], "truncated ELF file");
    bad(&t.file("trunc2", &good[..100]), &[], "truncated ELF file");
    let mut x86 = good.clone();
    x86[18] = 62;
    bad(
        &t.file("x86", &x86),
        &[],
        "not a riscv64 program (ELF for x86-64)",
    );
    let mut rv32 = good.clone();
    rv32[4] = 1;
    bad(
        &t.file("rv32", &rv32),
        &[],
        "not a riscv64 program (32-bit ELF for RISC-V)",
    );
    let mut be = good.clone();
    be[5] = 2;
    bad(
        &t.file("be", &be),
        &[],
        "not a riscv64 program (big-endian ELF)",
    );
    let mut soft = good.clone();
    soft[48] = 0x1;
    bad(
        &t.file("soft", &soft),
        &[],
        "float ABI is soft-float (lp64)",
    );
    let mut seg = good.clone();
    seg[64 + 8] = 0xff; // p_offset far past the end
    bad(&t.file("seg", &seg), &[], "truncated ELF file (segment");
    let dynamic = elf(&exit_with(0), &[], Some("/lib/ld-nowhere.so.1"));
    let root = t.0.join("sysroot");
    std::fs::create_dir_all(&root).unwrap();
    bad(
        &t.file("dyn", &dynamic),
        &["-L", root.to_str().unwrap()],
        "interpreter /lib/ld-nowhere.so.1 not found under",
    );
}

#[test]
fn mutated_elves_never_panic() {
    let t = Tmp::new("mutate");
    let good = elf(&exit_with(7), &[], None);
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut rnd = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for i in 0..40 {
        let mut m = good.clone();
        for _ in 0..1 + rnd() % 4 {
            // Anything in the headers but the entry point (a changed entry could make a
            // valid program that loops forever).
            let at = 16 + (rnd() as usize % (64 + 56 * 2 - 16));
            if (24..32).contains(&at) {
                continue;
            }
            m[at] = rnd() as u8;
        }
        let p = t.file(&format!("m{i}"), &m);
        let (status, _, err) = run(&p);
        assert!(
            !err.contains("panicked") && !err.contains("internal error"),
            "{err}"
        );
        assert!(
            status == 1 || status == 7 || status >= 128,
            "status {status}: {err}"
        );
    }
}

#[test]
fn a_missing_program_is_named_in_the_usage_error() {
    let (status, _, err) = mimic(&["--jit".as_ref()]);
    assert_eq!(
        (status, err.as_str()),
        (
            1,
            "mimic: the following required arguments were not provided: <PROGRAM [ARGS]>...\n\
             Try 'mimic --help' for more information.\n"
        )
    );
}

#[test]
fn mimic_alone_shows_its_usage_and_fails() {
    let out = Command::new(env!("CARGO_BIN_EXE_mimic")).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("Usage: mimic <COMMAND>"), "{err}");
    assert!(
        !err.starts_with("mimic: "),
        "the help, not an error line: {err}"
    );
}

/// A usage error is one line saying what was expected, then the hint to --help; status 1.
fn usage_error(args: &[&str], what: &str) {
    let args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_ref()).collect();
    let (status, out, err) = mimic(&args);
    assert_eq!((status, out.as_str()), (1, ""), "{args:?}: {err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{args:?}: {err}");
    assert!(lines[0].starts_with("mimic: "), "{args:?}: {err}");
    assert!(lines[0].contains(what), "{args:?}: want {what:?} in {err}");
    assert_eq!(lines[1], "Try 'mimic --help' for more information.");
}

#[test]
fn usage_errors_are_one_line_and_a_hint() {
    usage_error(&["-s", "12q", "x"], "invalid size '12q'");
    usage_error(&["--bogus", "x"], "unexpected argument '--bogus'");
    usage_error(&["-d", "nothing", "x"], "unknown log item 'nothing'");
    // qemu refuses a -E list item without '=' (it splits on commas), instead of passing it.
    usage_error(&["-E", "A=1,b", "x"], "-E b: expected VAR=VALUE");
    // clap alone read -singlestep as -s with the size "inglestep".
    usage_error(
        &["-singlestep", "x"],
        "-singlestep: qemu's option is not in mimic",
    );
    usage_error(
        &["-cpu", "sifive-e31", "x"],
        "unknown CPU model 'sifive-e31': mimic implements RV64GC, named rv64, rv64gc, max, any, sifive-u54",
    );
}

/// qemu-riscv64's command line: no `run`, single-dash long options, `-cpu` names of RV64GC;
/// the program's own options (after it) untouched.
#[test]
fn qemus_command_line_works() {
    let hello = guests_bin("hello");
    let args = guests_bin("args");
    let s = |p: &PathBuf| p.to_str().unwrap().to_string();
    for argv in [
        vec![s(&hello)],
        vec!["-cpu".into(), "max".into(), s(&hello)],
        vec![
            "-cpu".into(),
            "rv64".into(),
            "-s".into(),
            "1M".into(),
            s(&hello),
        ],
        vec!["run".into(), "-cpu".into(), "any".into(), s(&hello)],
    ] {
        let a: Vec<&std::ffi::OsStr> = argv.iter().map(|w| w.as_ref()).collect();
        let (status, out, err) = bare(&a);
        assert_eq!((status, err.as_str()), (0, ""), "{argv:?}");
        assert!(out.starts_with("Hello"), "{argv:?}: {out}");
    }
    // -strace as qemu spells it, and the guest's own -strace and -cpu after the program.
    let (status, out, err) = bare(&[
        "-strace".as_ref(),
        args.as_os_str(),
        "-strace".as_ref(),
        "-cpu".as_ref(),
    ]);
    assert_eq!(status, 0, "{err}");
    assert!(err.contains(" exit_group(0)"), "strace on: {err}");
    assert!(
        out.contains("argv[1]=[-strace]") && out.contains("argv[2]=[-cpu]"),
        "{out}"
    );
    let (status, out, _) = bare(&["-cpu".as_ref(), "help".as_ref()]);
    assert_eq!(status, 0);
    assert!(out.contains("rv64gc"), "{out}");
    let (status, out, _) = bare(&["-d".as_ref(), "help".as_ref()]);
    assert_eq!(status, 0);
    assert!(
        out.starts_with("Log items") && out.contains("in_asm"),
        "{out}"
    );
    // -D's %d is the process id, as in qemu.
    let t = Tmp::new("logpid");
    let pattern = t.0.join("log.%d");
    let (status, _, err) = bare(&[
        "-d".as_ref(),
        "in_asm".as_ref(),
        "-D".as_ref(),
        pattern.as_os_str(),
        "--jit".as_ref(),
        hello.as_os_str(),
    ]);
    assert_eq!((status, err.as_str()), (0, ""));
    let logs: Vec<String> = std::fs::read_dir(&t.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        logs.len() == 1
            && logs[0]
                .strip_prefix("log.")
                .is_some_and(|n| n.parse::<u32>().is_ok()),
        "{logs:?}"
    );
    let (status, out, _) = bare(&["-version".as_ref()]);
    assert_eq!(status, 0);
    assert!(out.starts_with("mimic "), "{out}");
}

/// -E variables go first and the inherited ones follow, newest first, as qemu-user builds the
/// environment; -U removes.
#[test]
fn set_env_order_is_qemus() {
    // What qemu-riscv64 7.2 prints for the same command line and environment.
    for (options, want) in [
        (&["-E", "X=9", "-E", "A=7"][..], "A=7\nX=9\nC=3\nB=2\n"),
        (
            &["-E", "X=9", "-E", "A=7", "-U", "B"][..],
            "A=7\nX=9\nC=3\n",
        ),
        (&["-E", "X=9,Y=8"][..], "Y=8\nX=9\nC=3\nB=2\nA=1\n"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_mimic"))
            .args(options)
            .arg(guests_bin("envorder"))
            .env_clear()
            .envs([("A", "1"), ("B", "2"), ("C", "3")])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(text, want, "{options:?}");
    }
}

/// A guest's execve of a riscv64 program passes its envp in the caller's order, as Linux
/// does, though the mimic that runs it builds an environment newest first as qemu does.
#[test]
fn execve_keeps_the_environment_order() {
    let (status, out, err) = mimic(&[guests_bin("envorder").as_os_str(), "exec".as_ref()]);
    assert_eq!((status, err.as_str()), (0, ""));
    assert_eq!(out, "T_A=1\nT_B=2\nT_C=3\n");
}

/// A program without execute permission is refused as the kernel refuses it (EACCES).
#[test]
fn a_program_without_execute_permission_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let t = Tmp::new("noexec");
    let p = t.file("prog", &elf(&exit_with(0), &[], None));
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (status, _, err) = bare(&[p.as_os_str()]);
    assert_eq!(status, 1, "{err}");
    assert_eq!(
        err,
        format!(
            "mimic: {}: permission denied (not executable)\n",
            p.display()
        )
    );
}

/// A -g that is no port, or a port mimic cannot listen on, is one line before the guest loads.
#[test]
fn a_bad_gdb_port_is_refused_with_a_reason() {
    let hello = guests_bin("hello");
    let (status, out, err) = bare(&["-g".as_ref(), "http".as_ref(), hello.as_os_str()]);
    assert_eq!((status, out.as_str()), (1, ""), "{err}");
    assert!(
        err.starts_with("mimic: -g http: not a TCP port number (0 to 65535)\n"),
        "{err}"
    );
    let (status, _, err) = bare(&["--gdb".as_ref(), "65536".as_ref(), hello.as_os_str()]);
    assert_eq!(status, 1, "{err}");
    assert!(err.starts_with("mimic: -g 65536: not a TCP port"), "{err}");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let (status, _, err) = bare(&["-g".as_ref(), port.as_ref(), hello.as_os_str()]);
    assert_eq!(status, 1, "{err}");
    let want = format!("mimic: -g {port}: cannot listen on 127.0.0.1:{port}: ");
    assert!(err.starts_with(&want) && err.lines().count() == 1, "{err}");
}

/// `mimic tui` runs under no controlling terminal here: a new session has none.
fn mimic_tui_detached(args: &[&str]) -> (i32, String, String) {
    use std::os::unix::process::CommandExt;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mimic"));
    cmd.arg("tui").args(args).stdin(std::process::Stdio::null());
    // SAFETY: setsid is async-signal-safe.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    let out = cmd.output().expect("running mimic");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn tui_reports_a_missing_program_before_touching_the_terminal() {
    let (status, stdout, stderr) = mimic_tui_detached(&["/nonexistent-mimic-program"]);
    assert_eq!(status, 1, "{stderr}");
    assert_eq!(stdout, "", "nothing drawn");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("mimic: ") && stderr.contains("/nonexistent-mimic-program"),
        "{stderr}"
    );
}

#[test]
fn tui_without_a_terminal_says_so() {
    let (status, stdout, stderr) = mimic_tui_detached(&[]);
    assert_eq!(status, 1, "{stderr}");
    assert_eq!(stdout, "");
    assert!(
        stderr.starts_with("mimic: tui: needs a terminal: /dev/tty"),
        "{stderr}"
    );
}

#[test]
fn tui_rejects_an_unknown_breakpoint_symbol_in_one_line() {
    let (status, _, stderr) = mimic_tui_detached(&["-b", "no_such_symbol"]);
    assert_eq!(status, 1, "{stderr}");
    assert_eq!(
        stderr,
        "mimic: no symbol or address 'no_such_symbol' in demo (embedded)\n"
    );
}

/// The prctl answers qemu-riscv64 gets wrong (see tests/guests/src/sysmisc.c), in every engine.
#[test]
fn prctl_beyond_qemu() {
    let guest = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/guests/bin/sysmisc");
    for engine in ["--interp", "--jit", "--deterministic"] {
        let t = Tmp::new(&format!("sysmisc{engine}"));
        let (status, out, err) = mimic(&[
            engine.as_ref(),
            guest.as_os_str(),
            t.0.as_os_str(),
            "--beyond-qemu".as_ref(),
        ]);
        assert!(
            out.contains("PR_GET_TID_ADDRESS) names a word holding the tid"),
            "{out}"
        );
        assert_eq!((status, err.as_str()), (0, ""), "{engine}: {out}");
    }
}
/// Where mimic's stderr goes in the tests of its own messages.
#[derive(Clone, Copy, Debug)]
enum Stderr {
    /// Every write fails with ENOSPC.
    DevFull,
    /// A pipe whose reader is closed: every write fails with EPIPE (and raises SIGPIPE).
    Unread,
}

/// Runs `mimic run args` with stderr sent to `to`; returns the status (128+N for signal N).
fn status_with_stderr(args: &[&std::ffi::OsStr], to: Stderr) -> i32 {
    use std::os::fd::{FromRawFd, OwnedFd};
    let err: std::process::Stdio = match to {
        Stderr::DevFull => std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full")
            .into(),
        Stderr::Unread => {
            let mut fds = [0; 2];
            // SAFETY: pipe2 fills the two-int array it is given.
            assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
            // SAFETY: both fds were just created and are owned by nothing else.
            let (r, w) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
            drop(r);
            w.into()
        }
    };
    let status = Command::new(env!("CARGO_BIN_EXE_mimic"))
        .arg("run")
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(err)
        .status()
        .unwrap();
    status
        .code()
        .or(std::os::unix::process::ExitStatusExt::signal(&status).map(|s| 128 + s))
        .unwrap_or(-1)
}

/// An unsupported syscall (reported on stderr), then exit(-ENOSYS's low byte).
fn enosys_elf() -> Vec<u8> {
    elf(&[li(17, 344), ecall(), li(17, 93), ecall()], &[], None)
}

/// A fault report or an unsupported-syscall line that cannot be written is dropped: mimic
/// neither panics inside its own message (status 134) nor dies of the pipe's SIGPIPE.
#[test]
fn unwritable_stderr_leaves_the_guests_status() {
    let t = Tmp::new("stderr");
    let enosys = t.file("enosys", &enosys_elf());
    let segv = guests_bin("segv");
    for to in [Stderr::DevFull, Stderr::Unread] {
        assert_eq!(status_with_stderr(&[segv.as_os_str()], to), 139, "{to:?}");
        assert_eq!(
            status_with_stderr(&[enosys.as_os_str()], to),
            (-38i32) & 0xff,
            "{to:?}"
        );
        let strace = status_with_stderr(&["--strace".as_ref(), enosys.as_os_str()], to);
        assert_eq!(strace, (-38i32) & 0xff, "--strace, {to:?}");
    }
}

/// A guest that gave SIGPIPE its default action has it on the host too; mimic's own message
/// or `-d` log to a pipe nobody reads still must not kill it.
#[test]
fn unread_stderr_does_not_kill_a_guest_with_default_sigpipe() {
    let t = Tmp::new("sigpipe");
    let code = vec![
        // rt_sigaction(SIGPIPE, {SIG_DFL}, NULL, 8): the zeroed data is the action
        li(10, 13),
        li(12, 0),
        li(13, 8),
        li(17, 134),
        ecall(),
        li(17, 344), // unsupported: reported on stderr
        ecall(),
        li(10, 5),
        li(17, 93),
        ecall(),
    ];
    let p = t.file("sigpipe", &elf(&code, &[0; 32], None));
    assert_eq!(status_with_stderr(&[p.as_os_str()], Stderr::Unread), 5);
    // The -d log of the blocks translated after the rt_sigaction goes to the same pipe.
    let logged = ["-d", "in_asm", "--jit"].map(std::ffi::OsStr::new);
    let args = [&logged[..], &[p.as_os_str()]].concat();
    assert_eq!(status_with_stderr(&args, Stderr::Unread), 5, "-d in_asm");
}

fn guests_bin(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/guests/bin")
        .join(name)
}

/// `mimic run args`, killed and failed if it takes more than ten seconds, with its data
/// limited to 1 GiB: the loader bugs these runs look for hang (a FIFO waits for a writer)
/// or eat memory (/dev/zero never ends).
fn mimic_timed(args: &[&std::ffi::OsStr]) -> (i32, String, String) {
    use std::io::Read;
    use std::os::unix::process::CommandExt;
    use std::process::Stdio;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mimic"));
    cmd.arg("run")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: setrlimit is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            let gib = libc::rlimit {
                rlim_cur: 1 << 30,
                rlim_max: 1 << 30,
            };
            libc::setrlimit(libc::RLIMIT_DATA, &gib);
            Ok(())
        });
    }
    let mut child = cmd.spawn().unwrap();
    let end = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if std::time::Instant::now() > end {
            let _ = child.kill();
            let _ = child.wait();
            panic!("mimic run {args:?} still running after 10 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    let (mut out, mut err) = (String::new(), String::new());
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (status.code().unwrap_or(-1), out, err)
}

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: c is a NUL-terminated path that outlives the call.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o755) }, 0, "mkfifo");
}

/// Linux executes only regular files: a FIFO, a device or a directory as the program, or a
/// FIFO as its PT_INTERP, is a one-line error at once (not a hang, not a read until memory
/// runs out).
#[test]
fn odd_files_are_refused_at_once() {
    let t = Tmp::new("odd");
    let fifo = t.0.join("fifo");
    mkfifo(&fifo);
    let root = t.0.join("root");
    std::fs::create_dir_all(&root).unwrap();
    mkfifo(&root.join("ld.so"));
    let dynamic = t.file("dyn", &elf(&exit_with(0), &[], Some("/ld.so")));
    let runs: [(&[&std::ffi::OsStr], &Path, &str); 5] = [
        (&[fifo.as_ref()], &fifo, "not a regular file (a FIFO)"),
        (
            &["/dev/zero".as_ref()],
            "/dev/zero".as_ref(),
            "not a regular file (a character device)",
        ),
        (
            &["/dev/null".as_ref()],
            "/dev/null".as_ref(),
            "not a regular file (a character device)",
        ),
        (&[t.0.as_ref()], &t.0, "is a directory"),
        (
            &["-L".as_ref(), root.as_ref(), dynamic.as_ref()],
            &root.join("ld.so"),
            "not a regular file (a FIFO)",
        ),
    ];
    for (args, file, reason) in runs {
        let (status, out, err) = mimic_timed(args);
        assert_eq!(
            (status, out.as_str(), err.as_str()),
            (
                1,
                "",
                format!("mimic: {}: {reason}\n", file.display()).as_str()
            ),
            "{args:?}"
        );
    }
}

/// A guest's execve of a FIFO, a device, a directory, or a riscv64 program whose PT_INTERP
/// is a FIFO gets EACCES, as from Linux; of one whose PT_INTERP is missing, ENOENT.
#[test]
fn execve_of_odd_files_is_eacces() {
    let t = Tmp::new("exec-odd");
    let fifo = t.0.join("fifo");
    mkfifo(&fifo);
    let root = t.0.join("root");
    std::fs::create_dir_all(&root).unwrap();
    mkfifo(&root.join("ld.so"));
    let fifo_interp = t.file("fifo-interp", &elf(&exit_with(0), &[], Some("/ld.so")));
    let missing_interp = t.file("no-interp", &elf(&exit_with(0), &[], Some("/nowhere.so")));
    for p in [&fifo_interp, &missing_interp] {
        let mut mode = std::fs::metadata(p).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut mode, 0o755);
        std::fs::set_permissions(p, mode).unwrap();
    }
    // execve(a1: the path in the data, NULL, NULL); exit with the low byte of the result.
    let code = [
        mv(10, 11, 0),
        li(11, 0),
        li(12, 0),
        li(17, 221),
        ecall(),
        li(17, 93),
        ecall(),
    ];
    let eacces = (-libc::EACCES) & 0xff;
    let targets: [(&Path, i32); 5] = [
        (&fifo, eacces),
        ("/dev/zero".as_ref(), eacces),
        (&root, eacces),
        (&fifo_interp, eacces),
        (&missing_interp, (-libc::ENOENT) & 0xff),
    ];
    for (i, (target, want)) in targets.into_iter().enumerate() {
        let mut path = target.as_os_str().as_encoded_bytes().to_vec();
        path.push(0);
        let prog = t.file(&format!("exec{i}"), &elf(&code, &path, None));
        let (status, _, err) = mimic_timed(&["-L".as_ref(), root.as_ref(), prog.as_ref()]);
        assert_eq!(status, want, "execve {}: {err}", target.display());
    }
}

/// Everything after `mimic tui`'s program is the guest's, even `--help` or `-b`: here the
/// missing program is reported, as with no arguments, before anything is drawn.
#[test]
fn tui_leaves_the_arguments_after_the_program_to_the_guest() {
    let (status, stdout, stderr) = mimic_tui_detached(&[
        "/nonexistent-mimic-program",
        "--help",
        "-b",
        "no_such_symbol",
        "-s",
        "1",
        "--",
    ]);
    assert_eq!((status, stdout.as_str()), (1, ""), "{stderr}");
    assert!(
        stderr.starts_with("mimic: /nonexistent-mimic-program: no such file"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

/// Boolean MIMIC_* variables take the usual spellings: 1/0, true/false, yes/no, on/off (only
/// `true` and `false` were accepted, so `MIMIC_STRACE=1` was a usage error).
#[test]
fn boolean_variables_accept_the_usual_spellings() {
    let t = Tmp::new("boolish");
    let p = t.file("exit0", &elf(&exit_with(0), &[], None));
    for (value, on) in [
        ("1", true),
        ("true", true),
        ("yes", true),
        ("on", true),
        ("0", false),
        ("false", false),
        ("no", false),
        ("off", false),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_mimic"))
            .args(["run".as_ref(), p.as_os_str()])
            .env("MIMIC_STATS", value)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "MIMIC_STATS={value}: {err}");
        assert_eq!(
            err.contains("mimic: stats:"),
            on,
            "MIMIC_STATS={value}: {err}"
        );
    }
}

/// `mimic binfmt <args>` as strings.
fn binfmt(args: &[&str]) -> (i32, String, String) {
    let mut words: Vec<&std::ffi::OsStr> = vec!["binfmt".as_ref()];
    words.extend(args.iter().map(std::ffi::OsStr::new));
    bare(&words)
}

#[test]
fn binfmt_prints_the_riscv64_entry_with_mimics_absolute_path() {
    let (code, out, err) = binfmt(&[]);
    assert_eq!((code, err.as_str()), (0, ""));
    let exe = std::fs::canonicalize(env!("CARGO_BIN_EXE_mimic")).unwrap();
    let magic = r"\x7f\x45\x4c\x46\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xf3\x00";
    let mask = r"\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff";
    assert_eq!(
        out,
        format!(":mimic-riscv64:M::{magic}:{mask}:{}:POCF\n", exe.display())
    );
    let (code, out, _) = binfmt(&["--name", "rv", "--flags", "FP"]);
    assert_eq!(code, 0);
    assert!(out.starts_with(":rv:M::"), "{out}");
    assert!(out.ends_with(":PF\n"), "{out}");
}

#[test]
fn binfmt_errors_are_one_line() {
    let t = Tmp::new("binfmt");
    let dir = t.file("plain", b"");
    let _ = std::fs::remove_file(&dir);
    std::fs::create_dir(&dir).unwrap();
    let d = dir.to_str().unwrap();
    for (args, want) in [
        (
            vec!["--register", "--mount", d],
            format!("mimic: {d}: not a binfmt_misc mount\n"),
        ),
        (
            vec!["--unregister", "--mount", d],
            format!("mimic: {d}: not a binfmt_misc mount\n"),
        ),
        (
            vec!["--flags", "PX"],
            "mimic: --flags PX: 'X' is not a flag mimic handles (POCF)\n".into(),
        ),
        (
            vec!["--unregister", "--name", ".."],
            "mimic: --name '..': a binfmt_misc entry name has no '/' or ':' and is not . or ..\n"
                .into(),
        ),
        (
            vec!["--register", "--name", "a/b"],
            "mimic: --name 'a/b': a binfmt_misc entry name has no '/' or ':' and is not . or ..\n"
                .into(),
        ),
    ] {
        let (code, out, err) = binfmt(&args);
        assert_eq!((code, out.as_str(), err), (1, "", want), "{args:?}");
    }
    // Both at once is a usage error.
    let (code, _, err) = binfmt(&["--register", "--unregister"]);
    assert_eq!(code, 1);
    assert!(
        err.starts_with("mimic: the argument '--register' cannot be used with"),
        "{err}"
    );
}

#[test]
fn binfmt_names_the_missing_mount_or_permission() {
    // Where binfmt_misc is mounted, a user other than root gets "permission denied"; where
    // it is not, how to mount it. Either is one line and status 1. Run as root, the test
    // runs mimic as nobody, so it never registers anything on this machine.
    let mounted = std::fs::read_to_string("/proc/self/mounts")
        .unwrap()
        .lines()
        .any(|l| l.split(' ').nth(2) == Some("binfmt_misc"));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mimic"));
    cmd.args(["binfmt", "--register", "--name", "mimic-cli-test"]);
    // SAFETY: geteuid only reads the process's credentials.
    if unsafe { libc::geteuid() } == 0 {
        use std::os::unix::process::CommandExt;
        // SAFETY: between fork and exec the child only calls async-signal-safe setgroups,
        // setgid and setuid.
        unsafe {
            cmd.pre_exec(|| {
                if libc::setgroups(0, std::ptr::null()) != 0
                    || libc::setgid(65534) != 0
                    || libc::setuid(65534) != 0
                {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    let out = cmd.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(out.stdout.is_empty());
    if mounted {
        assert!(
            err.starts_with("mimic: ")
                && err.ends_with("/register: permission denied (binfmt_misc needs root)\n")
                && err.lines().count() == 1,
            "{err}"
        );
    } else {
        assert_eq!(
            err,
            "mimic: binfmt_misc is not mounted (as root: mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc)\n"
        );
    }
}

/// `--inspect` and `--attach` refuse what they cannot use in one line, status 1; with a socket
/// the guest runs and ends as usual and the socket goes with it.
#[test]
fn inspect_and_attach_refuse_in_one_line() {
    let t = Tmp::new("inspect");
    let prog = t.file("exit3", &elf(&exit_with(3), &[], None));
    let keep = t.file("keep", b"data");
    let (code, out, err) = mimic(&["--inspect".as_ref(), keep.as_os_str(), prog.as_os_str()]);
    assert_eq!((code, out.as_str()), (1, ""));
    assert_eq!(
        err,
        format!(
            "mimic: --inspect {}: exists and is not a socket (not replacing it)\n",
            keep.display()
        )
    );
    assert_eq!(std::fs::read(&keep).unwrap(), b"data");

    let (code, _, err) = mimic(&["--inspect".as_ref(), "0.0.0.0:0".as_ref(), prog.as_os_str()]);
    assert_eq!(code, 1);
    assert_eq!(
        err,
        "mimic: --inspect 0.0.0.0:0: not a loopback address (--inspect-any allows any)\n"
    );

    // Port 0: the port chosen is named.
    let (code, _, err) = mimic(&[
        "--inspect".as_ref(),
        "127.0.0.1:0".as_ref(),
        prog.as_os_str(),
    ]);
    assert_eq!(code, 3);
    let port = err
        .strip_prefix("mimic: inspect on 127.0.0.1:")
        .and_then(|p| p.strip_suffix('\n'))
        .and_then(|p| p.parse::<u16>().ok());
    assert!(port.is_some_and(|p| p != 0), "{err}");

    let sock = t.0.join("guest.sock");
    let (code, _, err) = mimic(&["--inspect".as_ref(), sock.as_os_str(), prog.as_os_str()]);
    assert_eq!((code, err.as_str()), (3, ""));
    assert!(!sock.exists(), "the socket is removed when the guest ends");

    let (code, _, err) = bare(&["tui".as_ref(), "--attach".as_ref(), sock.as_os_str()]);
    assert_eq!(code, 1);
    assert!(
        err.starts_with(&format!("mimic: --attach {}: ", sock.display()))
            && err.lines().count() == 1,
        "{err}"
    );
}
