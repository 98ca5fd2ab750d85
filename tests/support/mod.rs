//! Helpers shared by the root package's integration tests (each test crate uses some).
#![allow(dead_code)]

pub mod gdb;
pub mod run;
