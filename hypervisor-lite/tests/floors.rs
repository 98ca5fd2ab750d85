//! The crate's floors (see the crate docs): every module may use only modules on lower
//! floors. A `crate::` path in a module's sources to its own floor or a higher one fails here
//! with the module, the path and the file, so a cycle cannot creep back in.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Each top-level module of src/ and its floor.
const FLOORS: &[(&str, u32)] = &[
    ("abi", 0),
    ("diag", 0),
    ("exec_file", 0),
    ("memory", 0),
    ("regions", 0),
    ("signal", 1),
    ("loader", 1),
    ("hostsig", 2),
    ("state", 2),
    ("syscall", 3),
    ("vcpu", 4),
    ("snapshot", 4),
    ("thread", 5),
    ("sched", 5),
    ("process", 6),
    ("control", 6),
    ("gdb", 7),
];

fn floor(module: &str) -> Option<u32> {
    FLOORS.iter().find(|(m, _)| *m == module).map(|&(_, f)| f)
}

/// The sources of a module: `src/m.rs`, or everything under `src/m/`.
fn sources(src: &Path, module: &str) -> Vec<PathBuf> {
    let file = src.join(format!("{module}.rs"));
    if file.exists() {
        return vec![file];
    }
    let mut out = Vec::new();
    let mut dirs = vec![src.join(module)];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out
}

/// The top-level modules a source text names through `crate::m` or `crate::{m, …}`,
/// comments left out.
fn used_modules(text: &str) -> BTreeSet<String> {
    let code: String = text
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut used = BTreeSet::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            used.extend(group.split(',').map(|p| ident(p.trim())));
        } else {
            used.insert(ident(rest));
        }
    }
    used.retain(|m| !m.is_empty());
    used
}

#[test]
fn every_module_leans_only_on_lower_floors() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut modules = BTreeSet::new();
    for e in std::fs::read_dir(&src).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_stem().unwrap().to_string_lossy().into_owned();
        if name != "lib" && (p.is_dir() || p.extension().is_some_and(|x| x == "rs")) {
            modules.insert(name);
        }
    }
    let mut bad = Vec::new();
    for m in &modules {
        let Some(mine) = floor(m) else {
            bad.push(format!("module {m} has no floor in tests/floors.rs"));
            continue;
        };
        for file in sources(&src, m) {
            let text = std::fs::read_to_string(&file).unwrap();
            for used in used_modules(&text) {
                if used == *m || !modules.contains(&used) {
                    continue;
                }
                let theirs = floor(&used).unwrap_or(u32::MAX);
                if theirs >= mine {
                    bad.push(format!(
                        "{m} (floor {mine}) uses crate::{used} (floor {theirs}) in {}",
                        file.strip_prefix(&src).unwrap().display()
                    ));
                }
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn the_scanner_sees_grouped_and_plain_paths() {
    let text = "use crate::{state::lock, vcpu::Vcpu};\n// crate::control is a comment\nlet x = crate::sched::QUANTUM;";
    let got: Vec<String> = used_modules(text).into_iter().collect();
    assert_eq!(got, ["sched", "state", "vcpu"]);
}
