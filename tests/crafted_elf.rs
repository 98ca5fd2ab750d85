//! Crafted ELF headers, each a way a hostile or broken file lies to the loader: huge or
//! wrong e_phnum / e_phentsize, program headers past the end of the file or wrapping,
//! overlapping and empty segments, p_filesz > p_memsz, segments at or past the end of the
//! guest space (1<<38) or wrapping 2^64, an entry point that is unmapped or not executable,
//! a PT_INTERP that is unterminated, empty or names the program itself, an ET_DYN with odd
//! alignments. mimic answers each with a one-line error and status 1, or runs the program
//! and gives the guest the fault Linux would; it never panics, crashes or hangs.
//!
//! (tests/cli.rs mutates a good ELF at random; these are the cases chosen on purpose.)

use isa_a::format::{Nullary, I};
use isa_a::{Insn, XReg};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BASE: u64 = 0x10000;
/// Where the code sits in the file (and, at BASE + CODE_AT, in memory).
const CODE_AT: u64 = 0x1000;
const PT_LOAD: u32 = 1;
const PT_INTERP: u32 = 3;
const R: u32 = 4;
const X: u32 = 1;

/// One program header.
#[derive(Clone, Copy)]
struct Ph {
    ty: u32,
    flags: u32,
    off: u64,
    vaddr: u64,
    filesz: u64,
    memsz: u64,
    align: u64,
}

/// The one segment of the good program: the whole file, read + execute, at BASE.
fn text(len: u64) -> Ph {
    Ph {
        ty: PT_LOAD,
        flags: R | X,
        off: 0,
        vaddr: BASE,
        filesz: len,
        memsz: len,
        align: 0x1000,
    }
}

/// The ELF header's fields a case may change.
#[derive(Clone, Copy)]
struct Eh {
    ty: u16,
    entry: u64,
    phoff: u64,
    phentsize: u16,
    phnum: Option<u16>,
}

const GOOD: Eh = Eh {
    ty: 2, // ET_EXEC
    entry: BASE + CODE_AT,
    phoff: 64,
    phentsize: 56,
    phnum: None,
};

/// `li a0, 7; li a7, 93; ecall`: exit(7).
fn exit7() -> Vec<u8> {
    let x = XReg::new;
    let li = |rd, imm| {
        Insn::Addi(I {
            rd: x(rd),
            rs1: x(0),
            imm,
        })
    };
    [li(10, 7), li(17, 93), Insn::Ecall(Nullary {})]
        .iter()
        .flat_map(|i| i.encode().to_le_bytes())
        .collect()
}

/// A file: the header, `phs` at offset 64 (whatever e_phoff says), the exit(7) code at
/// CODE_AT, then `tail`.
fn image(eh: Eh, phs: &[Ph], tail: &[u8]) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0");
    f.extend_from_slice(&eh.ty.to_le_bytes());
    f.extend_from_slice(&243u16.to_le_bytes()); // EM_RISCV
    f.extend_from_slice(&1u32.to_le_bytes());
    f.extend_from_slice(&eh.entry.to_le_bytes());
    f.extend_from_slice(&eh.phoff.to_le_bytes());
    f.extend_from_slice(&0u64.to_le_bytes()); // shoff
    f.extend_from_slice(&0x5u32.to_le_bytes()); // EF_RISCV_RVC | FLOAT_ABI_DOUBLE
    let phnum = eh.phnum.unwrap_or(phs.len() as u16);
    for v in [64u16, eh.phentsize, phnum, 64, 0, 0] {
        f.extend_from_slice(&v.to_le_bytes());
    }
    for p in phs {
        f.extend_from_slice(&p.ty.to_le_bytes());
        f.extend_from_slice(&p.flags.to_le_bytes());
        for v in [p.off, p.vaddr, p.vaddr, p.filesz, p.memsz, p.align] {
            f.extend_from_slice(&v.to_le_bytes());
        }
    }
    assert!(
        f.len() as u64 <= CODE_AT,
        "too many program headers to craft"
    );
    f.resize(CODE_AT as usize, 0);
    f.extend_from_slice(&exit7());
    f.extend_from_slice(tail);
    f
}

/// The length `image` gives a file with this `tail`.
fn len_with(tail: &[u8]) -> u64 {
    CODE_AT + exit7().len() as u64 + tail.len() as u64
}

/// A scratch directory, removed on drop.
struct Tmp(PathBuf);
impl Tmp {
    fn new(tag: &str) -> Tmp {
        let d = std::env::temp_dir().join(format!("mimic-crafted-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        Tmp(d)
    }
}
impl Drop for Tmp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What a case may end in.
#[derive(Debug, Clone, Copy, PartialEq)]
enum End {
    /// `mimic: <file>: <reason>` on one line, status 1.
    Refused,
    /// The program ran and exited 7.
    Ran,
    /// The guest died of SIGSEGV (139).
    Segv,
}

/// Runs `path` under mimic (20 s at most); the outcome, or a description of what went wrong.
fn outcome(path: &Path) -> Result<End, String> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mimic"))
        .arg("run")
        .arg(path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(20) {
            child.kill().ok();
            child.wait().ok();
            return Err("no end after 20 s (a hang)".into());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    if err.contains("panicked") || err.contains("internal error") {
        return Err(format!("mimic failed: {err}"));
    }
    match (out.status.code(), out.status.signal()) {
        (Some(1), _) => {
            let prefix = format!("mimic: {}: ", path.display());
            if err.lines().count() == 1 && err.starts_with(&prefix) {
                Ok(End::Refused)
            } else {
                Err(format!("status 1 without a one-line error: {err:?}"))
            }
        }
        (Some(7), _) => Ok(End::Ran),
        // The guest's fault, reported as such; without the report it is mimic's own crash.
        (None, Some(11)) if err.contains("mimic: guest SIGSEGV") => Ok(End::Segv),
        (code, sig) => Err(format!("status {code:?}, signal {sig:?}: {err}")),
    }
}

/// Every crafted case, with the ends allowed for it: Linux's answer, and where mimic's
/// loader may reasonably refuse up front what Linux would fail after the point of no return
/// (a SIGSEGV or SIGKILL of the new image), that refusal too.
fn cases() -> Vec<(&'static str, Vec<u8>, &'static [End])> {
    use End::*;
    let len = len_with(&[]);
    let good = text(len);
    let mut v: Vec<(&'static str, Vec<u8>, &'static [End])> = Vec::new();
    v.push(("good", image(GOOD, &[good], &[]), &[Ran]));

    // The program header table itself.
    let with = |eh: Eh| image(eh, &[good], &[]);
    v.push((
        "phnum 0xffff",
        with(Eh {
            phnum: Some(0xffff),
            ..GOOD
        }),
        &[Refused],
    ));
    v.push((
        "phnum 0",
        with(Eh {
            phnum: Some(0),
            ..GOOD
        }),
        &[Refused, Segv],
    ));
    for size in [0u16, 1, 55, 57, 0xffff] {
        v.push((
            "phentsize not 56",
            with(Eh {
                phentsize: size,
                ..GOOD
            }),
            &[Refused],
        ));
    }
    for phoff in [len, len + 0x10000, u64::MAX - 8, 1 << 63] {
        v.push((
            "phoff past EOF or wrapping",
            with(Eh { phoff, ..GOOD }),
            &[Refused],
        ));
    }
    // 71 headers: the table still fits in a page, so Linux takes it.
    let many: Vec<Ph> = std::iter::once(good)
        .chain(std::iter::repeat_n(
            Ph {
                ty: 0,
                flags: 0,
                off: 0,
                vaddr: 0,
                filesz: 0,
                memsz: 0,
                align: 0,
            },
            70,
        ))
        .collect();
    v.push(("70 PT_NULL headers", image(GOOD, &many, &[]), &[Ran]));

    // Segments.
    let seg = |p: Ph| image(GOOD, &[p], &[]);
    let two = |a: Ph, b: Ph| image(GOOD, &[a, b], &[]);
    v.push(("overlapping segments", two(good, good), &[Ran]));
    v.push((
        "overlapping segments, the second writable",
        two(
            good,
            Ph {
                flags: R | X | 2,
                ..good
            },
        ),
        &[Ran],
    ));
    v.push((
        "an empty segment besides",
        two(
            Ph {
                filesz: 0,
                memsz: 0,
                vaddr: 0x40_0000,
                ..good
            },
            good,
        ),
        &[Ran],
    ));
    v.push((
        "filesz > memsz",
        seg(Ph {
            memsz: len / 2,
            ..good
        }),
        &[Refused, Ran],
    ));
    v.push((
        "filesz past EOF",
        seg(Ph {
            filesz: len + 0x10000,
            memsz: len + 0x10000,
            ..good
        }),
        &[Refused],
    ));
    v.push((
        "offset + filesz wraps",
        seg(Ph {
            off: u64::MAX - 0xfff,
            ..good
        }),
        &[Refused],
    ));
    v.push((
        "memsz 1<<40",
        seg(Ph {
            memsz: 1 << 40,
            ..good
        }),
        &[Refused],
    ));
    v.push((
        "memsz ~0",
        seg(Ph {
            memsz: u64::MAX,
            ..good
        }),
        &[Refused],
    ));
    for vaddr in [(1u64 << 38) - 0x1000, 1 << 38, 1 << 47, u64::MAX - 0xfff] {
        v.push((
            "segment at or across the end of the guest space",
            image(
                Eh {
                    entry: vaddr.wrapping_add(CODE_AT),
                    ..GOOD
                },
                &[Ph { vaddr, ..good }],
                &[],
            ),
            &[Refused],
        ));
    }
    v.push((
        "unaligned vaddr and offset",
        seg(Ph {
            vaddr: BASE + 0x123,
            ..good
        }),
        &[Refused, Segv, Ran],
    ));

    // The entry point.
    v.push((
        "entry 0",
        image(Eh { entry: 0, ..GOOD }, &[good], &[]),
        &[Segv],
    ));
    v.push((
        "entry 1<<63",
        image(
            Eh {
                entry: 1 << 63,
                ..GOOD
            },
            &[good],
            &[],
        ),
        &[Segv],
    ));
    v.push((
        "entry in a segment without X",
        seg(Ph { flags: R, ..good }),
        &[Segv],
    ));

    // PT_INTERP: the name at the tail of the file.
    v.push((
        "PT_INTERP unterminated",
        interp_case(b"/lib/ld.so", 10),
        &[Refused],
    ));
    v.push((
        "PT_INTERP size 1<<40",
        interp_case(b"/lib/ld.so\0", 1 << 40),
        &[Refused],
    ));
    v
}

/// A program with a PT_INTERP of `filesz` bytes at the tail of the file, which holds `name`.
fn interp_case(name: &[u8], filesz: u64) -> Vec<u8> {
    let len = len_with(name);
    image(
        GOOD,
        &[
            text(len),
            Ph {
                ty: PT_INTERP,
                flags: R,
                off: len - name.len() as u64,
                vaddr: 0,
                filesz,
                memsz: filesz,
                align: 1,
            },
        ],
        name,
    )
}

/// Runs every case; the ones whose end is not allowed, described.
fn check(cases: Vec<(&'static str, Vec<u8>, &'static [End])>, tag: &str) -> Vec<String> {
    let t = Tmp::new(tag);
    let mut bad = Vec::new();
    for (i, (what, bytes, allowed)) in cases.into_iter().enumerate() {
        let p = t.0.join(format!("case{i}"));
        write_program(&p, &bytes);
        match outcome(&p) {
            Ok(end) if allowed.contains(&end) => {}
            Ok(end) => bad.push(format!(
                "{what} (case{i}): {end:?}, want one of {allowed:?}"
            )),
            Err(e) => bad.push(format!("{what} (case{i}): {e}")),
        }
    }
    bad
}

/// An empty interpreter name (Linux: ENOEXEC, the name must be at least two bytes with its
/// NUL) is the program's error, named as the program's: once it was resolved under -L first
/// and reported as `<sysroot>/: is a directory`.
#[test]
fn an_empty_interpreter_name_is_the_programs_error() {
    let bad = check(
        vec![
            ("PT_INTERP empty", interp_case(b"", 0), &[End::Refused]),
            (
                "PT_INTERP just a NUL",
                interp_case(b"\0", 1),
                &[End::Refused],
            ),
        ],
        "emptyinterp",
    );
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn crafted_elves_are_refused_or_fault_never_crash() {
    let bad = check(cases(), "cases");
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// A PT_INTERP naming the program itself: Linux loads the program again as its own
/// interpreter (the interpreter's PT_INTERP is not followed), so it runs; mimic may also
/// refuse. Either way no loop of interpreters.
#[test]
fn an_interpreter_naming_the_program_itself_does_not_loop() {
    let t = Tmp::new("selfinterp");
    let p = t.0.join("selfinterp");
    let name = format!("{}\0", p.display());
    let tail = name.as_bytes();
    let len = len_with(tail);
    let bytes = image(
        GOOD,
        &[
            text(len),
            Ph {
                ty: PT_INTERP,
                flags: R,
                off: len - tail.len() as u64,
                vaddr: 0,
                filesz: tail.len() as u64,
                memsz: tail.len() as u64,
                align: 1,
            },
        ],
        tail,
    );
    write_program(&p, &bytes);
    let end = outcome(&p).unwrap_or_else(|e| panic!("{e}"));
    assert!([End::Refused, End::Ran].contains(&end), "{end:?}");
}

/// ET_DYN (loaded at a base mimic picks) with alignments that are not powers of two, zero,
/// or huge: it runs, or is refused in one line.
#[test]
fn et_dyn_with_odd_alignments() {
    let t = Tmp::new("dyn");
    let len = len_with(&[]);
    for (i, align) in [0u64, 1, 3, 0x1001, 1 << 40, 1 << 63]
        .into_iter()
        .enumerate()
    {
        let bytes = image(
            Eh {
                ty: 3,
                entry: CODE_AT,
                ..GOOD
            },
            &[Ph {
                vaddr: 0,
                align,
                ..text(len)
            }],
            &[],
        );
        let p = t.0.join(format!("dyn{i}"));
        write_program(&p, &bytes);
        let end = outcome(&p).unwrap_or_else(|e| panic!("p_align {align:#x}: {e}"));
        assert!(
            [End::Refused, End::Ran].contains(&end),
            "p_align {align:#x}: {end:?}"
        );
    }
}

/// Writes an ELF image as a program: executable, as mimic (like the kernel) requires.
fn write_program(p: &std::path::Path, bytes: &[u8]) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(p, bytes).unwrap();
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
}
