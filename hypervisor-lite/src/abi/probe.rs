//! Every declaration held to the riscv64 headers: the probe guest (tests/guests/src/layouts.c,
//! built with the riscv64 cross compiler) prints `struct.field offset size`, `struct sizeof N`
//! and `struct alignof N`; its golden output was recorded under qemu-riscv64.

use super::layout::Desc;
use std::collections::HashMap;

const GOLDEN: &str = include_str!("../../../tests/guests/expected/layouts.stdout");

/// The probe's lines: `"timespec.tv_sec" -> (0, 8)`, `"timespec sizeof" -> N`.
fn parse(text: &str) -> (HashMap<String, (usize, usize)>, HashMap<String, usize>) {
    let (mut fields, mut facts) = (HashMap::new(), HashMap::new());
    for line in text.lines() {
        let w: Vec<&str> = line.split_whitespace().collect();
        match w[..] {
            [s, what @ ("sizeof" | "alignof"), n] => {
                facts.insert(format!("{s} {what}"), n.parse().expect("number"));
            }
            [f, off, size] => {
                fields.insert(f.to_string(), (off.parse().unwrap(), size.parse().unwrap()));
            }
            _ => panic!("unexpected probe line {line:?}"),
        }
    }
    (fields, facts)
}

/// Every difference between the declarations and the probe's output, one line each.
fn mismatches(decls: &[&Desc], golden: &str) -> Vec<String> {
    let (fields, facts) = parse(golden);
    let mut bad = Vec::new();
    for d in decls {
        for (what, ours) in [("sizeof", d.size), ("alignof", d.align)] {
            match facts.get(&format!("{} {what}", d.name)) {
                Some(&theirs) if theirs == ours => {}
                Some(theirs) => bad.push(format!(
                    "{} {what}: declared {ours}, riscv64 {theirs}",
                    d.name
                )),
                None => bad.push(format!("{} {what}: not in the probe's output", d.name)),
            }
        }
        for f in d.fields {
            let key = format!("{}.{}", d.name, f.name);
            match fields.get(&key) {
                Some(&(off, size)) if (off, size) == (f.offset, f.size) => {}
                Some(&(off, size)) => bad.push(format!(
                    "{key}: declared at {} ({} bytes), riscv64 at {off} ({size} bytes)",
                    f.offset, f.size
                )),
                None => bad.push(format!("{key}: not in the probe's output")),
            }
        }
    }
    bad
}

#[test]
fn every_declaration_matches_the_riscv64_headers() {
    let bad = mismatches(super::ALL, GOLDEN);
    assert!(
        bad.is_empty(),
        "{} mismatches:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

/// The frame mimic used to push (uc_mcontext right after the 128 bytes of uc_sigmask, at
/// 168) is what this test exists to catch.
#[test]
fn the_old_signal_frame_would_fail() {
    use super::layout::{FieldDesc, Kind, Layout};
    use super::signal::{SigContext, UContext};
    let mut fields = UContext::DESC.fields.to_vec();
    fields[4] = FieldDesc {
        offset: 168,
        ..fields[4]
    };
    assert_eq!(fields[4].kind, Kind::Struct(&SigContext::DESC));
    let old = Desc {
        fields: Box::leak(fields.into_boxed_slice()),
        ..UContext::DESC
    };
    let bad = mismatches(&[&old], GOLDEN);
    assert_eq!(
        bad,
        ["ucontext.uc_mcontext: declared at 168 (784 bytes), riscv64 at 176 (784 bytes)"]
    );
}
