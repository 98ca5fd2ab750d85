//! The README's table of the inspection protocol is generated from its declaration:
//! `MIMIC_BLESS=1 cargo test -p tui --test remote_readme` rewrites it.

use std::path::Path;
use tui::remote::protocol::{Call, Code, VERSION};

const BEGIN: &str = "<!-- protocol:begin -->\n";
const END: &str = "<!-- protocol:end -->";

fn generated() -> String {
    let mut out = format!("Protocol version {VERSION}.\n\n| # | call | errors of its own | does |\n|---|---|---|---|\n");
    for &c in Call::ALL {
        let errors: Vec<&str> = c.errors().iter().map(|e| e.name()).collect();
        let errors = if errors.is_empty() {
            "—".to_string()
        } else {
            errors.join(", ")
        };
        out += &format!(
            "| {} | `{}` | {errors} | {} |\n",
            c.number(),
            c.signature(),
            c.doc()
        );
    }
    out += "\n| code | error | any call | means |\n|---|---|---|---|\n";
    for &e in Code::ALL {
        let any = if e.any_call() { "yes" } else { "" };
        out += &format!("| {} | {} | {any} | {} |\n", e.number(), e.name(), e.doc());
    }
    out
}

#[test]
fn readme_declares_the_protocol() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let start = readme
        .find(BEGIN)
        .expect("README has the protocol:begin marker")
        + BEGIN.len();
    let end = readme
        .find(END)
        .expect("README has the protocol:end marker");
    let want = generated();
    if readme[start..end] == want {
        return;
    }
    if std::env::var_os("MIMIC_BLESS").is_some() {
        std::fs::write(
            &path,
            format!("{}{want}{}", &readme[..start], &readme[end..]),
        )
        .unwrap();
        return;
    }
    panic!(
        "README.md's protocol table differs from the declaration; rewrite it with\n  \
         MIMIC_BLESS=1 cargo test -p tui --test remote_readme\nwant:\n{want}"
    );
}
