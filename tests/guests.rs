//! Every statically linked guest program in `tests/guests/` runs under `mimic run` with the
//! stdout, stderr (where deterministic) and exit status recorded from qemu-riscv64. The
//! dynamically linked ones need the riscv64 sysroot and run in `tests/external.rs`.

#[path = "guest_cases/mod.rs"]
mod guest_cases;

use guest_cases::{cases, compare, expected, run, run_all};

#[test]
fn static_guests_match_qemu_goldens() {
    let cases: Vec<_> = cases().into_iter().filter(|c| !c.is_dynamic()).collect();
    assert!(cases.len() >= 30, "only {} static cases", cases.len());
    let mimic = env!("CARGO_BIN_EXE_mimic");
    let diffs = run_all(cases, |case| {
        compare(case, &run(case, &[mimic, "run"]), &expected(case))
    });
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}
