//! The unit tests of `src/debug_test/` (normalizer, diff, reports, gdb
//! script splitting). The `lantern` binary has no Rust `main` (see
//! src/main.rs), so `cargo test --bin lantern` runs the command line, not
//! its unit tests: the modules are compiled here again, with their tests.

#![allow(dead_code)]

#[path = "../src/debug_test/diff.rs"]
mod diff;
#[path = "../src/debug_test/normalize.rs"]
mod normalize;
#[path = "../src/debug_test/report.rs"]
mod report;
#[path = "../src/debug_test/session.rs"]
mod session;
