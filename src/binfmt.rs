//! `mimic binfmt`: registering mimic with the kernel's binfmt_misc, so that a riscv64 program
//! runs by its own path (`./hello`) as a native one does.
//!
//! binfmt_misc matches the first bytes of a file being executed against a magic and a mask
//! and, on a match, executes the registered interpreter instead. mimic's entry matches a
//! riscv64 ELF: `\x7fELF`, ELFCLASS64, little-endian, version 1, any OS ABI, e_type
//! ET_EXEC or ET_DYN (the mask's `\xfe` ignores the low bit), e_machine EM_RISCV — the
//! bytes qemu's registration of riscv64 uses, so an ELF of any other machine is never
//! taken. The entry is one line written to `register` of the binfmt_misc mount:
//!
//! ```text
//!   :mimic-riscv64:M::<magic>:<mask>:/absolute/path/of/mimic:POCF
//! ```
//!
//! How the kernel then calls mimic, for each flag, and what mimic does (`binfmt_call` reads
//! the invocation):
//!
//! ```text
//!   (none)  mimic /path/of/prog arg1 …         the original argv[0] is lost: the guest's
//!                                              argv[0] is the path
//!   P       mimic /path/of/prog argv0 arg1 …   the kernel says so in mimic's own auxv
//!                                              (AT_FLAGS bit 0, since Linux 5.12); the guest
//!                                              gets argv0 back
//!   O       as above, plus the program open    mimic loads from that descriptor (AT_EXECFD),
//!           as AT_EXECFD in mimic's auxv       so a program the user may execute but not
//!                                              read still runs; the descriptor is closed
//!                                              before the guest starts
//!   C       implies O; mimic runs with the     a setuid program's credentials: mimic adds
//!           credentials of the program         none of its own, reads no MIMIC_* variable
//!                                              when the kernel marks the start secure
//!                                              (AT_SECURE), and passes AT_SECURE on to the
//!                                              guest so its ld.so ignores LD_PRELOAD & co.
//!   F       the kernel opens mimic when the    mimic keeps working where its path does not
//!           entry is registered                exist (another mount namespace, a container):
//!                                              it re-executes itself for a guest's execve
//!                                              through /proc/self/exe, never by path
//! ```
//!
//! A guest's execve of a riscv64 program is run by a new mimic either way (see the syscall
//! layer's execve), never through binfmt_misc, so a registration adds no second emulator
//! and no loop.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// The riscv64 ELF header bytes binfmt_misc compares, and which of their bits count.
pub const MAGIC: [u8; 20] =
    *b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xf3\x00";
pub const MASK: [u8; 20] =
    *b"\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff";

/// The flags mimic handles, in the kernel's spelling (see the module doc).
pub const FLAGS: &str = "POCF";

/// Where binfmt_misc is mounted on most systems.
const DEFAULT_MOUNT: &str = "/proc/sys/fs/binfmt_misc";

/// statfs's f_type of a binfmt_misc mount (linux/magic.h).
const BINFMT_MISC_MAGIC: i64 = 0x4249_4e4d;

fn escaped(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("\\x{b:02x}")).collect()
}

/// Refuses a name binfmt_misc would not take for an entry (it is a file name in the mount).
pub fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name == "." || name == ".." || name.contains(['/', ':']) {
        return Err(format!(
            "--name '{name}': a binfmt_misc entry name has no '/' or ':' and is not . or .."
        ));
    }
    Ok(())
}

/// The registration line for entry `name` with interpreter `interp` and `flags`.
pub fn line(name: &str, interp: &Path, flags: &str) -> Result<String, String> {
    check_name(name)?;
    if let Some(bad) = flags.chars().find(|c| !FLAGS.contains(*c)) {
        return Err(format!(
            "--flags {flags}: '{bad}' is not a flag mimic handles ({FLAGS})"
        ));
    }
    let path = interp.as_os_str().as_bytes();
    if !interp.is_absolute() || path.contains(&b':') || path.iter().any(|b| b.is_ascii_whitespace())
    {
        return Err(format!(
            "{}: binfmt_misc needs an absolute interpreter path without ':' or spaces",
            interp.display()
        ));
    }
    // The kernel keeps the flags in this order whatever the order given.
    let flags: String = FLAGS.chars().filter(|c| flags.contains(*c)).collect();
    Ok(format!(
        ":{name}:M::{}:{}:{}:{flags}",
        escaped(&MAGIC),
        escaped(&MASK),
        interp.display()
    ))
}

/// mimic's own executable, as an absolute path without symlinks.
pub fn own_path() -> Result<PathBuf, String> {
    std::env::current_exe()
        .and_then(std::fs::canonicalize)
        .map_err(|e| format!("cannot find mimic's own executable: {}", reason(&e)))
}

/// An io error's text without Rust's " (os error N)".
fn reason(e: &std::io::Error) -> String {
    let s = e.to_string();
    s.split(" (os error").next().unwrap_or(&s).to_string()
}

/// Whether `dir` is a binfmt_misc mount.
fn is_binfmt_misc(dir: &Path) -> bool {
    let Ok(c) = std::ffi::CString::new(dir.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: statfs is plain data, for which all zeroes is a valid value.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is NUL-terminated and `st` is a statfs the call fills.
    unsafe { libc::statfs(c.as_ptr(), &mut st) == 0 && st.f_type as i64 == BINFMT_MISC_MAGIC }
}

/// The binfmt_misc mount to use: `dir` if given, else /proc/sys/fs/binfmt_misc, else the
/// first binfmt_misc in /proc/self/mounts.
pub fn mount(dir: Option<&Path>) -> Result<PathBuf, String> {
    if let Some(d) = dir {
        return if is_binfmt_misc(d) {
            Ok(d.to_path_buf())
        } else {
            Err(format!("{}: not a binfmt_misc mount", d.display()))
        };
    }
    if is_binfmt_misc(Path::new(DEFAULT_MOUNT)) {
        return Ok(DEFAULT_MOUNT.into());
    }
    let mounts = std::fs::read("/proc/self/mounts").unwrap_or_default();
    mounts
        .split(|&b| b == b'\n')
        .filter_map(|l| {
            let mut f = l.split(|&b| b == b' ');
            let (_, at, kind) = (f.next()?, f.next()?, f.next()?);
            (kind == b"binfmt_misc").then(|| PathBuf::from(OsStr::from_bytes(at)))
        })
        .find(|d| is_binfmt_misc(d))
        .ok_or_else(|| {
            format!(
                "binfmt_misc is not mounted (as root: mount -t binfmt_misc binfmt_misc {DEFAULT_MOUNT})"
            )
        })
}

/// Writes `text` to `file`, with mimic's one-line error naming the file.
fn write(file: &Path, text: &str, what: impl Fn(i32) -> Option<String>) -> Result<(), String> {
    use std::io::Write;
    let r = std::fs::OpenOptions::new()
        .write(true)
        .open(file)
        .and_then(|mut f| f.write_all(text.as_bytes()));
    r.map_err(|e| {
        let why = match e.raw_os_error() {
            Some(libc::EACCES | libc::EPERM) => "permission denied (binfmt_misc needs root)".into(),
            Some(n) => what(n).unwrap_or_else(|| reason(&e)),
            None => reason(&e),
        };
        format!("{}: {why}", file.display())
    })
}

/// Registers `line` (entry `name`) in the binfmt_misc mount `mnt`.
pub fn register(mnt: &Path, name: &str, line: &str) -> Result<(), String> {
    write(&mnt.join("register"), &format!("{line}\n"), |e| {
        (e == libc::EEXIST).then(|| {
            format!("'{name}' is already registered (mimic binfmt --unregister removes it)")
        })
    })
}

/// Removes entry `name` from the binfmt_misc mount `mnt`.
pub fn unregister(mnt: &Path, name: &str) -> Result<(), String> {
    let entry = mnt.join(name);
    if std::fs::symlink_metadata(&entry).is_err() {
        return Err(format!("{}: '{name}' is not registered", mnt.display()));
    }
    write(&entry, "-1\n", |_| None)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether the first bytes of a file match the entry, as binfmt_misc tests them.
    fn matches(head: &[u8]) -> bool {
        head.len() >= MAGIC.len()
            && MAGIC
                .iter()
                .zip(MASK)
                .zip(head)
                .all(|((m, k), h)| h & k == m & k)
    }

    fn guest(name: &str) -> Vec<u8> {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/guests/bin")
            .join(name);
        std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    }

    #[test]
    fn the_line_is_qemus_riscv64_entry_with_mimics_path_and_flags() {
        let l = line("mimic-riscv64", Path::new("/usr/bin/mimic"), "FPCO").unwrap();
        assert_eq!(
            l,
            r":mimic-riscv64:M::\x7f\x45\x4c\x46\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xf3\x00:\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:/usr/bin/mimic:POCF"
        );
        assert!(line("m", Path::new("/m"), "").unwrap().ends_with(":/m:"));
    }

    #[test]
    fn riscv64_programs_match_and_others_do_not() {
        for name in ["hello", "hello_dyn-dyn", "nolibc_pie-static-pie", "cxx-dyn"] {
            assert!(matches(&guest(name)), "{name}");
        }
        // mimic itself: an x86-64 ELF.
        let own = std::fs::read("/proc/self/exe").unwrap();
        assert!(!matches(&own));
        let mut elf32 = guest("hello");
        elf32[4] = 1; // ELFCLASS32
        assert!(!matches(&elf32));
        let mut big = guest("hello");
        big[5] = 2; // big-endian
        assert!(!matches(&big));
        let mut rel = guest("hello");
        rel[16] = 1; // ET_REL
        assert!(!matches(&rel));
        assert!(!matches(b"\x7fELF"));
    }

    #[test]
    fn bad_names_flags_and_paths_are_refused() {
        let p = Path::new("/usr/bin/mimic");
        assert!(line("a/b", p, "").unwrap_err().contains("--name 'a/b'"));
        assert!(line("a:b", p, "").is_err());
        assert!(line("..", p, "").is_err());
        assert!(line("m", p, "PX")
            .unwrap_err()
            .contains("'X' is not a flag"));
        assert!(line("m", Path::new("rel/mimic"), "").is_err());
        assert!(line("m", Path::new("/a:b/mimic"), "").is_err());
    }

    #[test]
    fn a_plain_directory_is_no_mount() {
        let e = mount(Some(Path::new("/tmp"))).unwrap_err();
        assert_eq!(e, "/tmp: not a binfmt_misc mount");
    }
}
