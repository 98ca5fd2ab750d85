//! The program layer: the guest ELF as the user sees it — its entry point, symbols, source
//! lines and unwind tables.

use crate::backtrace::Unwinder;
use crate::source::Lines;
use goblin::elf::{sym, Elf};
use std::path::Path;

/// One function or object symbol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbol {
    pub name: String,
    pub addr: u64,
    pub size: u64,
}

/// What the TUI knows of the guest program.
#[derive(Clone, Debug, Default)]
pub struct Program {
    /// The name shown for it (the file name).
    pub name: String,
    pub entry: u64,
    /// `static` or `dynamic (interp)`.
    pub linking: String,
    /// Loadable segments: (address, size in memory, flags as `r-x`).
    pub segments: Vec<(u64, u64, String)>,
    /// Sorted by address.
    pub symbols: Vec<Symbol>,
    /// The DWARF line table (empty without debug information).
    pub lines: Lines,
    pub unwind: Unwinder,
}

impl Program {
    /// Reads what it can from the ELF at `path`; an unreadable or stripped file gives no
    /// symbols (the guest still runs: the loader reports real errors).
    pub fn read(path: &Path, name: &str) -> Program {
        let bytes = hypervisor_lite::exec_file::read(path, u64::MAX).unwrap_or_default();
        Program::parse_at(&bytes, name, Some(path))
    }

    pub fn parse(bytes: &[u8], name: &str) -> Program {
        Program::parse_at(bytes, name, None)
    }

    /// As [`Program::parse`], for the ELF read from `path` (its sources are looked for there).
    pub fn parse_at(bytes: &[u8], name: &str, path: Option<&Path>) -> Program {
        let mut p = Program {
            name: name.to_string(),
            ..Program::default()
        };
        let Ok(elf) = Elf::parse(bytes) else {
            return p;
        };
        p.entry = elf.entry;
        p.linking = match elf.interpreter {
            Some(i) => format!("dynamic ({i})"),
            None => "static".into(),
        };
        for ph in elf.program_headers.iter().filter(|h| h.p_type == 1) {
            let f = |bit, c| if ph.p_flags & bit != 0 { c } else { '-' };
            let flags: String = [f(4, 'r'), f(2, 'w'), f(1, 'x')].iter().collect();
            p.segments.push((ph.p_vaddr, ph.p_memsz, flags));
        }
        let tables = [(&elf.syms, &elf.strtab), (&elf.dynsyms, &elf.dynstrtab)];
        for (s, strtab) in tables
            .into_iter()
            .flat_map(|(t, n)| t.iter().map(move |s| (s, n)))
        {
            let kind = s.st_type();
            if s.st_value == 0 || !(kind == sym::STT_FUNC || kind == sym::STT_OBJECT) {
                continue;
            }
            if let Some(name) = strtab.get_at(s.st_name).filter(|n| !n.is_empty()) {
                p.symbols.push(Symbol {
                    name: name.to_string(),
                    addr: s.st_value,
                    size: s.st_size,
                });
            }
        }
        p.symbols
            .sort_by(|a, b| (a.addr, &a.name).cmp(&(b.addr, &b.name)));
        p.symbols.dedup_by_key(|s| s.addr);
        p.lines = Lines::parse(&elf, bytes, path);
        p.unwind = Unwinder::parse(&elf, bytes);
        p
    }

    /// The symbol named `name`.
    pub fn find(&self, name: &str) -> Option<&Symbol> {
        self.symbols.iter().find(|s| s.name == name)
    }

    /// The symbol covering `addr` (or the nearest one below it when sizes are unknown).
    pub fn symbol_at(&self, addr: u64) -> Option<&Symbol> {
        let i = self.symbols.partition_point(|s| s.addr <= addr);
        let s = self.symbols.get(i.checked_sub(1)?)?;
        (addr < s.addr + s.size.max(1) || s.size == 0).then_some(s)
    }

    /// `main+0x10`, `main`, or nothing.
    pub fn describe(&self, addr: u64) -> Option<String> {
        let s = self.symbol_at(addr)?;
        Some(match addr - s.addr {
            0 => s.name.clone(),
            off => format!("{}+0x{off:x}", s.name),
        })
    }

    /// An address from what a person types: `0x1234`, `1234` (hex), `main`, `main+0x10`.
    pub fn resolve(&self, text: &str) -> Option<u64> {
        let text = text.trim();
        let (base, off) = match text.split_once('+') {
            Some((b, o)) => (b.trim(), parse_hex(o.trim())?),
            None => (text, 0),
        };
        let base = match self.find(base) {
            Some(s) => s.addr,
            None => parse_hex(base)?,
        };
        Some(base.wrapping_add(off))
    }
}

/// A hex number, with or without `0x`.
pub fn parse_hex(s: &str) -> Option<u64> {
    let s = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    u64::from_str_radix(s, 16).ok()
}
