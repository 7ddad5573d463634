//! The plugin authors' example (`examples/test_registry.rs`, docs/plugins.md):
//! a plugin that keeps a metadata section as NoAlloc, reads its fixed-up
//! bytes and publishes them with allocation actions.

mod support;

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use support::{check, require_tool, run_with_timeout, scratch};

/// The example's binary (built by `cargo test` with the other examples).
fn example() -> PathBuf {
    let path = support::lantern()
        .parent()
        .unwrap()
        .join("examples")
        .join("test_registry");
    assert!(
        path.exists(),
        "{} is missing: run the whole `cargo test` (it builds the examples) or `cargo build --examples`",
        path.display()
    );
    path
}

fn source() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/plugin/tests.c")
}

/// Tests listed in the metadata section are found at their relocated
/// addresses, run, and leave the registry when their unit is removed; gcc
/// and clang objects alike.
#[test]
fn tests_in_a_metadata_section_are_registered_run_and_removed() {
    for compiler in ["gcc", "clang-19"] {
        let Some(compiler) = require_tool(&[compiler], compiler) else {
            continue;
        };
        for flags in [&["-O0"][..], &["-O2", "-ffunction-sections"]] {
            let dir = scratch(&format!("plugin-example-{compiler}{}", flags.join("")));
            let object = dir.join("tests.o");
            check(
                Command::new(&compiler)
                    .args(flags)
                    .args(["-g", "-c"])
                    .arg(source())
                    .arg("-o")
                    .arg(&object),
            )
            .unwrap();
            let run = run_with_timeout(
                Command::new(example()).arg(&object),
                Duration::from_secs(60),
            )
            .unwrap();
            assert_eq!(
                run.stdout,
                "3 tests registered\n\
                 test squares_are_positive ... ok\n\
                 test nine_is_three_squared ... ok\n\
                 test four_is_five_squared ... FAILED\n\
                 2 passed, 1 failed\n\
                 after removal: 0 tests registered\n",
                "{compiler} {flags:?}; stderr:\n{}",
                run.stderr
            );
            assert_eq!(run.status, "exit 1", "{compiler} {flags:?}: {}", run.stderr);
        }
    }
}

/// A malformed entry fails the link with an error naming the file and the
/// section, and registers nothing.
#[test]
fn a_malformed_entry_is_a_clear_error() {
    let Some(gcc) = require_tool(&["gcc"], "gcc") else {
        return;
    };
    let dir = scratch("plugin-example-bad");
    let source = dir.join("bad.c");
    std::fs::write(
        &source,
        "int f(void) { return 0; }\n\
         __asm__(\".pushsection .lantern_tests,\\\"\\\",@progbits\\n.quad f\\n.ascii \\\"f\\\"\\n.popsection\");\n",
    )
    .unwrap();
    let object = dir.join("bad.o");
    check(
        Command::new(gcc)
            .arg("-c")
            .arg(&source)
            .arg("-o")
            .arg(&object),
    )
    .unwrap();
    let run = run_with_timeout(
        Command::new(example()).arg(&object),
        Duration::from_secs(60),
    )
    .unwrap();
    assert_ne!(run.status, "exit 0");
    assert!(
        run.stderr.contains("bad.o")
            && run.stderr.contains("section .lantern_tests+0x0")
            && run.stderr.contains("no terminating NUL"),
        "{}",
        run.stderr
    );
    assert!(!run.stdout.contains("registered"), "{}", run.stdout);
}
