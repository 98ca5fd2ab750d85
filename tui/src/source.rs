//! Source lines for the disassembly: the ELF's DWARF line table, read once through addr2line
//! (gimli's line programs, so every DWARF version gcc and clang write is understood), kept as
//! plain address ranges, with the text of each source file that can be found.
//!
//! A file's path is taken as the line table gives it, then relative to the program's
//! directory and the directories above it (a build that mapped its prefix to `.`, as
//! tests/guests/build.sh does, names `./src/x.c` for `bin/x`).

use addr2line::gimli;
use goblin::elf::Elf;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The line table of a program and the source it could read.
#[derive(Clone, Debug, Default)]
pub struct Lines {
    /// (start, end, file index, line), sorted by start.
    rows: Vec<(u64, u64, usize, u32)>,
    files: Vec<SourceFile>,
}

#[derive(Clone, Debug)]
struct SourceFile {
    /// As the line table names it.
    name: String,
    /// Its lines, if the file was found.
    text: Option<Arc<Vec<String>>>,
}

/// Where an address comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Place<'a> {
    /// The file's name as the line table gives it.
    pub file: &'a str,
    pub line: u32,
    /// The source line's text, when the file was found.
    pub text: Option<&'a str>,
}

impl Place<'_> {
    /// `tuidbg.c:12`.
    pub fn short(&self) -> String {
        let base = self.file.rsplit('/').next().unwrap_or(self.file);
        format!("{base}:{}", self.line)
    }
}

impl Lines {
    /// The line table of the ELF `bytes` (loaded from `path`, if known, where its sources are
    /// looked for); empty without debug information.
    pub fn parse(elf: &Elf, bytes: &[u8], path: Option<&Path>) -> Lines {
        let section = |name: &str| -> &[u8] {
            elf.section_headers
                .iter()
                .find(|s| elf.shdr_strtab.get_at(s.sh_name) == Some(name))
                .filter(|s| s.sh_type != goblin::elf::section_header::SHT_NOBITS)
                .and_then(|s| bytes.get(s.sh_offset as usize..(s.sh_offset + s.sh_size) as usize))
                .unwrap_or(&[])
        };
        if section(".debug_line").is_empty() {
            return Lines::default();
        }
        let dwarf = gimli::Dwarf::load(|id| {
            Ok::<_, gimli::Error>(gimli::EndianSlice::new(
                section(id.name()),
                gimli::LittleEndian,
            ))
        });
        let Ok(ctx) = dwarf.and_then(addr2line::Context::from_dwarf) else {
            return Lines::default();
        };
        let mut lines = Lines::default();
        let Ok(iter) = ctx.find_location_range(0, u64::MAX) else {
            return lines;
        };
        for (start, len, loc) in iter {
            let (Some(file), Some(line)) = (loc.file, loc.line) else {
                continue;
            };
            let f = match lines.files.iter().position(|f| f.name == file) {
                Some(i) => i,
                None => {
                    lines.files.push(SourceFile {
                        name: file.to_string(),
                        text: read_source(file, path),
                    });
                    lines.files.len() - 1
                }
            };
            lines.rows.push((start, start + len.max(1), f, line));
        }
        lines.rows.sort_by_key(|r| r.0);
        lines
    }

    /// Whether the program has a line table.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The source line `addr` belongs to.
    pub fn at(&self, addr: u64) -> Option<Place<'_>> {
        let i = self.rows.partition_point(|r| r.0 <= addr);
        let &(_, end, f, line) = self.rows.get(i.checked_sub(1)?)?;
        (addr < end).then(|| {
            let file = &self.files[f];
            Place {
                file: &file.name,
                line,
                text: file
                    .text
                    .as_ref()
                    .and_then(|t| t.get(line.checked_sub(1)? as usize))
                    .map(|s| s.as_str()),
            }
        })
    }
}

/// The lines of source file `name`, looked for as given and beside the program.
fn read_source(name: &str, program: Option<&Path>) -> Option<Arc<Vec<String>>> {
    let name = Path::new(name);
    let mut candidates: Vec<PathBuf> = vec![name.to_path_buf()];
    if name.is_relative() {
        let dir = program.and_then(Path::parent);
        candidates.extend(
            dir.into_iter()
                .flat_map(Path::ancestors)
                .take(4)
                .map(|d| d.join(name)),
        );
    }
    candidates.iter().find_map(|p| {
        let text = std::fs::read(p).ok()?;
        let text = String::from_utf8_lossy(&text);
        Some(Arc::new(
            text.lines().map(|l| l.replace('\t', "    ")).collect(),
        ))
    })
}
