//! The README's lists of supported and unsupported system calls are generated from the
//! table, so they cannot drift: this test fails when they differ, and with `MIMIC_BLESS=1`
//! rewrites them.

use hypervisor_lite::syscall::{names, TABLE};
use std::path::Path;

const BEGIN: &str = "<!-- syscalls:begin -->\n";
const END: &str = "<!-- syscalls:end -->";

/// `name` (number) items, comma-separated, wrapped at 100 columns.
fn wrapped(items: &[String]) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for (i, item) in items.iter().enumerate() {
        let piece = if i + 1 < items.len() {
            format!("{item},")
        } else {
            format!("{item}.")
        };
        if !line.is_empty() && line.len() + 1 + piece.len() > 100 {
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&piece);
    }
    out.push_str(&line);
    out.push('\n');
    out
}

fn generated() -> String {
    let mut rows: Vec<(u64, &str)> = TABLE.iter().map(|s| (s.nr, s.name)).collect();
    rows.sort();
    let supported: Vec<String> = rows.iter().map(|(n, s)| format!("`{s}` ({n})")).collect();
    let missing: Vec<String> = (0..1024)
        .filter(|&nr| !rows.iter().any(|&(n, _)| n == nr))
        .filter_map(|nr| names::name(nr).map(|s| format!("`{s}` ({nr})")))
        .collect();
    let total = supported.len() + missing.len();
    format!(
        "**In the table: {} of the {total} riscv64 system calls.**\n{}\n**Not in the table ({}):**\n{}",
        supported.len(),
        wrapped(&supported),
        missing.len(),
        wrapped(&missing)
    )
}

#[test]
fn readme_lists_the_table() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let start = readme
        .find(BEGIN)
        .expect("README has the syscalls:begin marker")
        + BEGIN.len();
    let end = readme
        .find(END)
        .expect("README has the syscalls:end marker");
    let want = generated();
    if readme[start..end] == want {
        return;
    }
    if std::env::var_os("MIMIC_BLESS").is_some() {
        let updated = format!("{}{want}{}", &readme[..start], &readme[end..]);
        std::fs::write(&path, updated).unwrap();
        return;
    }
    panic!(
        "README.md's system call lists differ from the table; rewrite them with\n  \
         MIMIC_BLESS=1 cargo test -p hypervisor-lite --test syscall_list\nwant:\n{want}"
    );
}
