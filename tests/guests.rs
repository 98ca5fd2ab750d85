//! Every statically linked guest program in `tests/guests/` runs under `mimic run` with the
//! stdout, stderr (where deterministic) and exit status recorded from qemu-riscv64. The
//! dynamically linked ones need the riscv64 sysroot and run in `tests/external.rs`.
//!
//! Every case runs under each engine: the interpreter alone, translated code alone, and the
//! default tiered mode, so the tiers are held to the same goldens.

#[path = "guest_cases/mod.rs"]
mod guest_cases;

use guest_cases::{cases, compare, expected, has_golden, run, run_all};

fn static_guests_match_qemu_goldens(engine: &[&str]) {
    // The hostile cases run in tests/hostile.rs, with timeouts and in more engines; those
    // without a golden, where qemu differs from Linux, in tests/oracle.rs.
    let cases: Vec<_> = cases()
        .into_iter()
        .filter(|c| !c.is_dynamic() && !c.name.starts_with("hostile_") && has_golden(c))
        .collect();
    assert!(cases.len() >= 30, "only {} static cases", cases.len());
    let mimic = env!("CARGO_BIN_EXE_mimic");
    let mut cmd = vec![mimic, "run"];
    cmd.extend_from_slice(engine);
    let diffs = run_all(cases, |case| {
        compare(case, &run(case, &cmd), &expected(case))
    });
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}

#[test]
fn static_guests_match_qemu_goldens_interpreted() {
    static_guests_match_qemu_goldens(&["--interp"]);
}

#[test]
fn static_guests_match_qemu_goldens_translated() {
    static_guests_match_qemu_goldens(&["--jit"]);
}

#[test]
fn static_guests_match_qemu_goldens_tiered() {
    static_guests_match_qemu_goldens(&[]);
}
