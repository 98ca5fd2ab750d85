//! Whole-program tests: guest programs, differential tests between engines, and property
//! tests that span crates. The tests themselves live in `tests/`.
