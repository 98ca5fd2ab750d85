//! ELF loading and the initial stack, as the riscv64 Linux kernel's `load_elf_binary` does.
//!
//! ```text
//!   file bytes ─check─▶ Image (header, program headers, interpreter path)
//!        │                 │ PT_LOAD segments mapped at bias (0 for ET_EXEC)
//!        ▼                 ▼
//!   AddressSpace ◀── segments, bss, brk ── interpreter (PT_INTERP, from the sysroot)
//!        ▲
//!        └── stack: strings, AT_RANDOM bytes, argc/argv/envp/auxv (sp 16-byte aligned)
//! ```
//!
//! Every offset and size read from the file is checked before use, so a corrupt ELF is an
//! error naming the file and the reason, never a panic.

use crate::exec_file;
use crate::memory::{page_down, page_up, AddressSpace, FileMap, GUEST_LIMIT, PAGE};
use crate::regions::{Name, Region};
use goblin::container::{Container, Ctx, Endian};
use goblin::elf::header::{self, Header};
use goblin::elf::program_header::{self as ph, ProgramHeader};
use goblin::elf::Elf;
use std::fmt;
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};

/// Where a position-independent main program is loaded (the kernel's ELF_ET_DYN_BASE,
/// 2/3 of the Sv39 user space, aligned down).
pub const ET_DYN_BASE: u64 = (GUEST_LIMIT / 3 * 2) & !0xff_ffff;
/// The top of the initial stack.
pub const STACK_TOP: u64 = GUEST_LIMIT - 0x1000_0000;

const EF_RISCV_FLOAT_ABI: u32 = 0x6;
const EF_RISCV_FLOAT_ABI_DOUBLE: u32 = 0x4;
const PHDR_SIZE: u16 = 56;
const SIZEOF_EHDR: usize = 64;

/// Auxiliary vector keys (linux/auxvec.h).
mod at {
    pub const NULL: u64 = 0;
    pub const PHDR: u64 = 3;
    pub const PHENT: u64 = 4;
    pub const PHNUM: u64 = 5;
    pub const PAGESZ: u64 = 6;
    pub const BASE: u64 = 7;
    pub const FLAGS: u64 = 8;
    pub const ENTRY: u64 = 9;
    pub const UID: u64 = 11;
    pub const EUID: u64 = 12;
    pub const GID: u64 = 13;
    pub const EGID: u64 = 14;
    pub const HWCAP: u64 = 16;
    pub const CLKTCK: u64 = 17;
    pub const SECURE: u64 = 23;
    pub const RANDOM: u64 = 25;
    pub const EXECFN: u64 = 31;
    pub const MINSIGSTKSZ: u64 = 51;
}

/// AT_HWCAP for RV64IMAFDC: one bit per extension letter (asm/hwcap.h).
pub const HWCAP_IMAFDC: u64 =
    hwcap(b'I') | hwcap(b'M') | hwcap(b'A') | hwcap(b'F') | hwcap(b'D') | hwcap(b'C');

const fn hwcap(letter: u8) -> u64 {
    1 << (letter - b'A')
}

/// `sizeof(struct rt_sigframe)` rounded to 16: siginfo (128) + ucontext (952).
pub const MINSIGSTKSZ: u64 = 1088;

/// A file that cannot be run, and why: shown as `mimic: <file>: <reason>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    pub file: PathBuf,
    pub reason: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file.display(), self.reason)
    }
}

impl std::error::Error for LoadError {}

/// What the program is started with.
pub struct StartInfo {
    pub args: Vec<Vec<u8>>,
    pub env: Vec<Vec<u8>>,
    /// AT_EXECFN: the program path as given.
    pub execfn: Vec<u8>,
    /// Bytes of stack to map below [`STACK_TOP`].
    pub stack_size: u64,
    /// Where PT_INTERP paths are looked up.
    pub sysroot: Option<PathBuf>,
}

/// A loaded process, ready to run.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The first instruction: the interpreter's entry for a dynamic program.
    pub pc: u64,
    pub sp: u64,
    /// The main program's entry (AT_ENTRY).
    pub entry: u64,
    /// The main program's load bias (0 for ET_EXEC).
    pub bias: u64,
    /// The interpreter's load bias (AT_BASE), 0 without one.
    pub interp_base: u64,
    /// The interpreter file, if any.
    pub interp: Option<PathBuf>,
    /// What the loader mapped: segments with their files and offsets, the stack.
    pub regions: Vec<Region>,
}

/// A checked ELF file.
struct Image {
    bytes: Vec<u8>,
    header: Header,
    phdrs: Vec<ProgramHeader>,
    /// The file the bytes were read from, if any: its segments are then file mappings.
    file: Option<std::fs::File>,
}

/// Reads and checks `path` (or `open`, the file it names, already open) as a riscv64 lp64d
/// executable.
fn read_image(path: &Path, open: Option<std::fs::File>) -> Result<Image, String> {
    let (file, bytes) = match open {
        Some(f) => exec_file::read_file(f, u64::MAX),
        None => exec_file::open_and_read(path, u64::MAX),
    }
    .map_err(|e| e.reason)?;
    let mut image = check_image(bytes)?;
    image.file = Some(file);
    Ok(image)
}

fn machine_name(m: u16) -> String {
    match m {
        header::EM_X86_64 => "x86-64".into(),
        header::EM_386 => "x86".into(),
        header::EM_AARCH64 => "AArch64".into(),
        header::EM_ARM => "ARM".into(),
        header::EM_RISCV => "RISC-V".into(),
        m => format!("machine {m}"),
    }
}

fn check_image(bytes: Vec<u8>) -> Result<Image, String> {
    if bytes.len() < 4 || bytes[..4] != *b"\x7fELF" {
        return Err("not an ELF file".into());
    }
    if bytes.len() < header::SIZEOF_IDENT {
        return Err("truncated ELF file (identification)".into());
    }
    let class = bytes[header::EI_CLASS];
    let data = bytes[header::EI_DATA];
    if data == header::ELFDATA2MSB {
        return Err("not a riscv64 program (big-endian ELF)".into());
    }
    if data != header::ELFDATA2LSB {
        return Err(format!("invalid ELF data encoding {data}"));
    }
    if class == header::ELFCLASS32 {
        let machine = bytes.get(18..20).map(|b| u16::from_le_bytes([b[0], b[1]]));
        let what = machine
            .map(machine_name)
            .unwrap_or_else(|| "unknown machine".into());
        return Err(format!("not a riscv64 program (32-bit ELF for {what})"));
    }
    if class != header::ELFCLASS64 {
        return Err(format!("invalid ELF class {class}"));
    }
    if bytes.len() < SIZEOF_EHDR {
        return Err("truncated ELF file (header)".into());
    }
    let header = Elf::parse_header(&bytes).map_err(|e| format!("invalid ELF header ({e})"))?;
    if header.e_machine != header::EM_RISCV {
        return Err(format!(
            "not a riscv64 program (ELF for {})",
            machine_name(header.e_machine)
        ));
    }
    if header.e_type != header::ET_EXEC && header.e_type != header::ET_DYN {
        return Err(format!(
            "not an executable (ELF type {})",
            header::et_to_str(header.e_type)
        ));
    }
    let abi = header.e_flags & EF_RISCV_FLOAT_ABI;
    if abi != EF_RISCV_FLOAT_ABI_DOUBLE {
        let name = [
            "soft-float (lp64)",
            "single-float (lp64f)",
            "double-float",
            "quad-float (lp64q)",
        ][(abi >> 1) as usize];
        return Err(format!(
            "float ABI is {name}; mimic runs double-float (lp64d) programs"
        ));
    }
    if header.e_phentsize != PHDR_SIZE {
        return Err(format!(
            "invalid program header size {}",
            header.e_phentsize
        ));
    }
    if header.e_phnum == 0 {
        return Err("no program headers".into());
    }
    let ph_end = (header.e_phnum as u64 * PHDR_SIZE as u64).checked_add(header.e_phoff);
    if ph_end.is_none_or(|e| e > bytes.len() as u64) {
        return Err("truncated ELF file (program headers)".into());
    }
    let ctx = Ctx::new(Container::Big, Endian::Little);
    let phdrs = ProgramHeader::parse(
        &bytes,
        header.e_phoff as usize,
        header.e_phnum as usize,
        ctx,
    )
    .map_err(|e| format!("invalid program headers ({e})"))?;
    let mut loads = 0;
    for p in &phdrs {
        if p.p_type == ph::PT_LOAD {
            loads += 1;
            if p.p_offset
                .checked_add(p.p_filesz)
                .is_none_or(|e| e > bytes.len() as u64)
            {
                return Err(format!(
                    "truncated ELF file (segment at offset 0x{:x})",
                    p.p_offset
                ));
            }
            if p.p_filesz > p.p_memsz {
                return Err(format!(
                    "invalid segment at 0x{:x} (file size above memory size)",
                    p.p_vaddr
                ));
            }
            if p.p_vaddr
                .checked_add(p.p_memsz)
                .is_none_or(|e| e > GUEST_LIMIT)
            {
                return Err(format!(
                    "segment at 0x{:x} lies outside the address space",
                    p.p_vaddr
                ));
            }
            if p.p_vaddr % PAGE != p.p_offset % PAGE {
                return Err(format!(
                    "segment at 0x{:x} is not page-congruent with its file offset",
                    p.p_vaddr
                ));
            }
        } else if p.p_type == ph::PT_INTERP {
            let Some(end) = p
                .p_offset
                .checked_add(p.p_filesz)
                .filter(|&e| e <= bytes.len() as u64)
            else {
                return Err("truncated ELF file (interpreter path)".into());
            };
            // As Linux's binfmt_elf (ENOEXEC): a path of 1 to PATH_MAX-1 bytes and its NUL.
            if !(2..=libc::PATH_MAX as u64).contains(&p.p_filesz)
                || bytes[end as usize - 1] != 0
                || bytes[p.p_offset as usize] == 0
            {
                return Err(
                    "invalid interpreter path (PT_INTERP empty, too long or unterminated)".into(),
                );
            }
        }
    }
    if loads == 0 {
        return Err("no loadable segments".into());
    }
    Ok(Image {
        bytes,
        header,
        phdrs,
        file: None,
    })
}

impl Image {
    fn loads(&self) -> impl Iterator<Item = &ProgramHeader> {
        self.phdrs.iter().filter(|p| p.p_type == ph::PT_LOAD)
    }

    /// Page-aligned lowest and highest addresses of the loadable segments, before bias.
    fn span(&self) -> (u64, u64) {
        let lo = self.loads().map(|p| p.p_vaddr).min().unwrap_or(0);
        let hi = self
            .loads()
            .map(|p| p.p_vaddr + p.p_memsz)
            .max()
            .unwrap_or(0);
        (page_down(lo), page_up(hi).unwrap_or(GUEST_LIMIT))
    }

    fn align(&self) -> u64 {
        self.loads()
            .map(|p| p.p_align)
            .filter(|a| a.is_power_of_two())
            .max()
            .unwrap_or(PAGE)
            .clamp(PAGE, 1 << 30)
    }

    fn interp(&self) -> Option<Vec<u8>> {
        let p = self.phdrs.iter().find(|p| p.p_type == ph::PT_INTERP)?;
        let raw = &self.bytes[p.p_offset as usize..(p.p_offset + p.p_filesz) as usize];
        Some(raw.split(|&b| b == 0).next().unwrap_or_default().to_vec())
    }

    /// AT_PHDR before bias: PT_PHDR, else the loaded bytes holding the program headers.
    fn phdr_vaddr(&self) -> u64 {
        if let Some(p) = self.phdrs.iter().find(|p| p.p_type == ph::PT_PHDR) {
            return p.p_vaddr;
        }
        let off = self.header.e_phoff;
        self.loads()
            .find(|p| off >= p.p_offset && off < p.p_offset + p.p_filesz)
            .map(|p| p.p_vaddr + (off - p.p_offset))
            .unwrap_or(0)
    }

    /// Maps the segments at `bias`, naming them after `file` in `regions`; returns the
    /// page-aligned end of the highest one.
    fn map(
        &self,
        mem: &mut AddressSpace,
        bias: u64,
        file: &Path,
        regions: &mut Vec<Region>,
    ) -> Result<u64, String> {
        let (lo, hi) = self.span();
        let (lo, hi) = (lo + bias, hi + bias);
        if hi > GUEST_LIMIT || lo < PAGE {
            return Err(format!(
                "segments at 0x{lo:x}..0x{hi:x} lie outside the address space"
            ));
        }
        // The whole span is mapped (gaps stay inaccessible), then filled segment by segment.
        mem.map_fixed(lo, hi - lo, 0)
            .map_err(|e| format!("cannot map segments: {e}"))?;
        regions.push(Region::anon(lo, hi));
        let name = Name::file(file);
        for p in self.loads() {
            let at = p.p_vaddr + bias;
            let data = &self.bytes[p.p_offset as usize..(p.p_offset + p.p_filesz) as usize];
            mem.write_raw(at, data);
            let prot = segment_prot(p);
            let start = page_down(at);
            let end = page_up(at + p.p_memsz).unwrap_or(hi);
            mem.add_perm(start, end, prot as u32);
            regions.push(Region {
                start,
                end: page_up(at + p.p_filesz).unwrap_or(hi),
                offset: page_down(p.p_offset),
                name: name.clone(),
                shared: false,
            });
        }
        self.map_from_file(mem, bias);
        Ok(hi)
    }

    /// Makes the whole pages of each segment's file part, that no other segment shares, a
    /// private mapping of the file, as Linux's are: MADV_DONTNEED then reads the file again
    /// (a program that drops its own patched text runs the original). The bytes are the
    /// ones copied in already, so where the host cannot map the file the copies stay.
    fn map_from_file(&self, mem: &mut AddressSpace, bias: u64) {
        use std::os::fd::AsRawFd;
        let Some(file) = &self.file else { return };
        let spans: Vec<(u64, u64)> = self
            .loads()
            .map(|p| {
                (
                    page_down(p.p_vaddr),
                    page_up(p.p_vaddr + p.p_memsz).unwrap_or(0),
                )
            })
            .collect();
        for (i, p) in self.loads().enumerate() {
            if p.p_offset % PAGE != p.p_vaddr % PAGE {
                continue;
            }
            let start = page_up(p.p_vaddr).unwrap_or(u64::MAX);
            let end = page_down(p.p_vaddr + p.p_filesz);
            let shared = spans
                .iter()
                .enumerate()
                .any(|(j, &(a, b))| j != i && a < end && start < b);
            if start >= end || shared {
                continue;
            }
            let prot = segment_prot(p);
            let map = FileMap {
                fd: file.as_raw_fd(),
                offset: p.p_offset + (start - p.p_vaddr),
                shared: false,
            };
            let _ = mem.map_file(start + bias, end - start, prot as u32, map);
        }
    }
}

/// Where the interpreter `name` (a PT_INTERP path) is: under the sysroot, if there is one.
fn interp_path(name: &Path, sysroot: Option<&Path>) -> PathBuf {
    match sysroot {
        Some(root) => root.join(name.strip_prefix("/").unwrap_or(name)),
        None => name.to_path_buf(),
    }
}

/// For a guest's execve of `path`, what Linux refuses before the point of no return: a
/// program or PT_INTERP that is not a regular file (EACCES), an interpreter that does not
/// exist (ENOENT), as an errno. `Ok(true)`: a riscv64 ELF, for mimic to run; `Ok(false)`:
/// anything else, for the host kernel. Other faults of a riscv64 file are left to the
/// loader of the mimic that runs it.
pub fn exec_check(path: &Path, sysroot: Option<&Path>) -> Result<bool, i32> {
    let head = exec_file::read(path, 20).map_err(|e| e.errno)?;
    let riscv = head.len() == 20
        && head[..4] == *b"\x7fELF"
        && u16::from_le_bytes([head[18], head[19]]) == header::EM_RISCV;
    if !riscv {
        return Ok(false);
    }
    let Ok(image) = exec_file::read(path, u64::MAX) else {
        return Ok(true);
    };
    let Some(name) = check_image(image).ok().and_then(|i| i.interp()) else {
        return Ok(true);
    };
    let name = PathBuf::from(std::ffi::OsString::from_vec(name));
    exec_file::open(&interp_path(&name, sysroot)).map_err(|e| e.errno)?;
    Ok(true)
}

/// Loads `path` (and its interpreter) into `mem` and builds the initial stack.
pub fn load(mem: &mut AddressSpace, path: &Path, start: &StartInfo) -> Result<Loaded, LoadError> {
    load_open(mem, path, None, start)
}

/// [`load`] from `file` when given: the program already open (binfmt_misc's AT_EXECFD),
/// which `path` names (errors, AT_EXECFN).
pub fn load_open(
    mem: &mut AddressSpace,
    path: &Path,
    file: Option<std::fs::File>,
    start: &StartInfo,
) -> Result<Loaded, LoadError> {
    let image = read_image(path, file).map_err(|reason| LoadError {
        file: path.to_path_buf(),
        reason,
    })?;
    load_image(mem, path, image, start)
}

/// Like [`load`] for a program already in memory (`path` names it in errors and is its
/// AT_EXECFN); the property tests feed mutated ELFs through here without touching disk.
pub fn load_bytes(
    mem: &mut AddressSpace,
    path: &Path,
    bytes: Vec<u8>,
    start: &StartInfo,
) -> Result<Loaded, LoadError> {
    let image = check_image(bytes).map_err(|reason| LoadError {
        file: path.to_path_buf(),
        reason,
    })?;
    load_image(mem, path, image, start)
}

fn load_image(
    mem: &mut AddressSpace,
    path: &Path,
    image: Image,
    start: &StartInfo,
) -> Result<Loaded, LoadError> {
    let err = |file: &Path, reason: String| LoadError {
        file: file.to_path_buf(),
        reason,
    };

    // The stack first, so the mmap area (interpreter, guest mmaps) goes below it.
    let stack_size = page_up(start.stack_size.max(PAGE))
        .unwrap_or(PAGE)
        .min(1 << 32);
    let stack_lo = STACK_TOP - stack_size;
    mem.map_fixed(
        stack_lo,
        stack_size,
        (libc::PROT_READ | libc::PROT_WRITE) as u32,
    )
    .map_err(|e| err(path, format!("cannot map the stack: {e}")))?;
    let mut regions = vec![Region {
        name: Name::Stack,
        ..Region::anon(stack_lo, STACK_TOP)
    }];
    mem.mmap_base = page_down(stack_lo - (stack_size.max(8 << 20) + (128 << 20)));

    let bias = if image.header.e_type == header::ET_DYN {
        let (lo, _) = image.span();
        (ET_DYN_BASE & !(image.align() - 1)).wrapping_sub(lo)
    } else {
        0
    };
    let end = image
        .map(mem, bias, path, &mut regions)
        .map_err(|r| err(path, r))?;
    mem.brk_start = end;
    mem.brk = end;

    let entry = image.header.e_entry.wrapping_add(bias);
    let (mut pc, mut interp_base, mut interp_file) = (entry, 0, None);
    if let Some(name) = image.interp() {
        let name = PathBuf::from(std::ffi::OsString::from_vec(name));
        let file = interp_path(&name, start.sysroot.as_deref());
        if !file.exists() {
            let under = start
                .sysroot
                .as_ref()
                .map(|r| format!(" under {}", r.display()))
                .unwrap_or_default();
            return Err(err(
                path,
                format!(
                    "interpreter {} not found{under} (use -L DIR)",
                    name.display()
                ),
            ));
        }
        let ld = read_image(&file, None).map_err(|r| err(&file, r))?;
        let (lo, hi) = ld.span();
        let at = mem
            .find_free(hi - lo, ld.align())
            .ok_or_else(|| err(&file, "no room for the interpreter".into()))?;
        let ld_bias = at.wrapping_sub(lo);
        ld.map(mem, ld_bias, &file, &mut regions)
            .map_err(|r| err(&file, r))?;
        pc = ld.header.e_entry.wrapping_add(ld_bias);
        interp_base = ld_bias;
        interp_file = Some(file);
    }

    // SAFETY: these calls only read the calling process's credentials.
    let (uid, euid, gid, egid) = unsafe {
        (
            libc::getuid(),
            libc::geteuid(),
            libc::getgid(),
            libc::getegid(),
        )
    };
    let aux = [
        (at::PHDR, image.phdr_vaddr().wrapping_add(bias)),
        (at::PHENT, PHDR_SIZE as u64),
        (at::PHNUM, image.header.e_phnum as u64),
        (at::PAGESZ, PAGE),
        (at::BASE, interp_base),
        (at::FLAGS, 0),
        (at::ENTRY, entry),
        (at::UID, uid as u64),
        (at::EUID, euid as u64),
        (at::GID, gid as u64),
        (at::EGID, egid as u64),
        // A setuid start of mimic (binfmt_misc's C flag) is one of the program's: its ld.so
        // must then ignore LD_PRELOAD and the like, as under Linux.
        (at::SECURE, secure()),
        (at::HWCAP, HWCAP_IMAFDC),
        (at::CLKTCK, 100),
        (at::MINSIGSTKSZ, MINSIGSTKSZ),
    ];
    let sp = build_stack(mem, start, &aux, stack_lo);
    let sp = sp.map_err(|r| err(path, r))?;
    Ok(Loaded {
        pc,
        sp,
        entry,
        bias,
        interp_base,
        interp: interp_file,
        regions,
    })
}

/// The function symbols of the ELF at `path` loaded at `bias`, for naming code in `-d`
/// logs; an unreadable or stripped file has none.
pub fn symbols(path: &Path, bias: u64) -> translator::Symbols {
    let bytes = exec_file::read(path, u64::MAX).unwrap_or_default();
    match Elf::parse(&bytes) {
        Ok(elf) => functions(&elf, bias),
        Err(_) => translator::Symbols::default(),
    }
}

/// The function symbols of the ELF at `path` whose bytes from `offset` were mapped at
/// `addr` (how ld.so loads a library): the bias is that of the loadable segment starting
/// at that offset's page. None when the file is no ELF or no segment starts there.
pub fn mapped_symbols(path: &Path, offset: u64, addr: u64) -> Option<translator::Symbols> {
    // Only a regular file is read whole (a mapped /dev/zero would never end).
    if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
        return None;
    }
    let bytes = exec_file::read(path, u64::MAX).ok()?;
    let elf = Elf::parse(&bytes).ok()?;
    let seg = elf
        .program_headers
        .iter()
        .find(|h| h.p_type == ph::PT_LOAD && page_down(h.p_offset) == offset)?;
    let bias = addr.wrapping_sub(page_down(seg.p_vaddr));
    Some(functions(&elf, bias))
}

fn functions(elf: &Elf, bias: u64) -> translator::Symbols {
    let funcs = elf
        .syms
        .iter()
        .map(|s| (s, &elf.strtab))
        .chain(elf.dynsyms.iter().map(|s| (s, &elf.dynstrtab)))
        .filter(|(s, _)| s.is_function() && s.st_shndx != 0 && s.st_value != 0)
        .filter_map(|(s, names)| {
            let name = names.get_at(s.st_name).filter(|n| !n.is_empty())?;
            Some((s.st_value.wrapping_add(bias), s.st_size, name.to_string()))
        })
        .collect();
    translator::Symbols::new(funcs)
}

/// Lays out the strings, AT_RANDOM bytes and the argc/argv/envp/auxv words below
/// [`STACK_TOP`] as the kernel's `create_elf_tables` does; returns sp.
fn build_stack(
    mem: &mut AddressSpace,
    s: &StartInfo,
    aux: &[(u64, u64)],
    stack_lo: u64,
) -> Result<u64, String> {
    let mut p = STACK_TOP - 8; // the kernel leaves a NULL word at the very top
    let mut push_str = |mem: &mut AddressSpace, bytes: &[u8]| -> Result<u64, String> {
        let n = bytes.len() as u64 + 1;
        if p - stack_lo < n + PAGE {
            return Err("arguments and environment do not fit in the stack".into());
        }
        p -= n;
        mem.write_raw(p, bytes);
        mem.write_raw(p + n - 1, &[0]);
        Ok(p)
    };
    let execfn = push_str(mem, &s.execfn)?;
    let mut envp = Vec::with_capacity(s.env.len());
    for e in s.env.iter().rev() {
        envp.push(push_str(mem, e)?);
    }
    envp.reverse();
    let mut argv = Vec::with_capacity(s.args.len());
    for a in s.args.iter().rev() {
        argv.push(push_str(mem, a)?);
    }
    argv.reverse();
    let mut random = [0u8; 16];
    fill_random(&mut random);
    let random_at = push_str(mem, &random[..15])?; // 16 bytes: 15 + the pushed NUL, replaced below
    mem.write_raw(random_at, &random);

    let mut words: Vec<u64> = Vec::new();
    words.push(argv.len() as u64);
    words.extend(&argv);
    words.push(0);
    words.extend(&envp);
    words.push(0);
    for &(k, v) in aux {
        words.extend([k, v]);
    }
    words.extend([at::RANDOM, random_at, at::EXECFN, execfn, at::NULL, 0]);
    let bytes = words.len() as u64 * 8;
    if p - stack_lo < bytes + PAGE {
        return Err("arguments and environment do not fit in the stack".into());
    }
    let sp = (p - bytes) & !15;
    let raw: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    mem.write_raw(sp, &raw);
    Ok(sp)
}

/// mimic's own AT_SECURE, 1 when the kernel started it setuid, setgid or with capabilities.
fn secure() -> u64 {
    // SAFETY: getauxval only reads mimic's auxiliary vector.
    u64::from(unsafe { libc::getauxval(libc::AT_SECURE) } != 0)
}

/// Host random bytes (for AT_RANDOM); falls back to the clock if getrandom fails.
pub fn fill_random(buf: &mut [u8]) {
    // SAFETY: getrandom writes at most buf.len() bytes into buf.
    let n = unsafe { libc::getrandom(buf.as_mut_ptr().cast(), buf.len(), 0) };
    if n != buf.len() as isize {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        for (i, b) in buf.iter_mut().enumerate() {
            *b = (t >> (i % 16 * 8)) as u8 ^ i as u8;
        }
    }
}

/// The `PROT_*` bits a PT_LOAD segment's flags ask for.
fn segment_prot(p: &ProgramHeader) -> i32 {
    let mut prot = 0;
    if p.is_read() {
        prot |= libc::PROT_READ;
    }
    if p.is_write() {
        prot |= libc::PROT_WRITE;
    }
    if p.is_executable() {
        prot |= libc::PROT_EXEC;
    }
    prot
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hwcap_has_imafdc() {
        assert_eq!(HWCAP_IMAFDC, 0x112d);
    }

    #[test]
    fn garbage_never_panics() {
        let mut seed = 0x1234_5678_9abc_def0u64;
        for len in 0..400usize {
            let mut b: Vec<u8> = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    seed as u8
                })
                .collect();
            if len >= 20 {
                b[..4].copy_from_slice(b"\x7fELF");
                b[4] = 2;
                b[5] = 1;
                b[18] = 243;
                b[19] = 0;
            }
            let _ = check_image(b);
        }
    }
}
