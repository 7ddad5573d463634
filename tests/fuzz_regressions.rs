//! The fuzzing campaign's findings (docs/fuzzing.md): every reproducer
//! under `tests/fuzz-regressions/` is linked as `lantern link` links it and
//! must end in a clear error naming what is wrong, never a panic, a signal
//! or a runaway allocation.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use support::*;

/// Each reproducer and the texts its error must contain. A file in the
/// directory that is not listed here fails the test.
const REPRODUCERS: &[(&str, &[&str])] = &[
    // A zstd `SHF_COMPRESSED` section whose header claims 0xf7000000 bytes
    // from 8 bytes of data: the decoder zero-filled the claimed size first
    // (2 GB of RSS per fuzz run; flate2 does the same for zlib). Found by
    // object_to_graph; the files after it are the fuzzer's own artifacts.
    (
        "zstd-header-claims-4gib.o",
        &[
            "zstd-header-claims-4gib.o",
            "section .debug_str",
            "uncompressed size 0xf7000000",
            "8 bytes of Zstandard data",
        ],
    ),
    (
        "object_to_graph-oom-e841e98b",
        &["uncompressed size 0x100000000", "Zstandard"],
    ),
    (
        "object_to_graph-oom-3907d9f6",
        &["uncompressed size 0xf7000000", "Zstandard"],
    ),
    (
        "object_to_graph-oom-9ea9d89d",
        &["uncompressed size 0xfffffffe", "8 bytes of Zlib data"],
    ),
];

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions")
}

/// Splits a fuzz input into objects at each `\x7fELF`, as the link and
/// debug_object targets do (fuzz/fuzz_targets/common.rs), and writes them
/// to `out` as `input0.o`, `input1.o`...
fn write_objects(data: &[u8], out: &Path) -> Vec<PathBuf> {
    let mut starts: Vec<usize> = (0..data.len().saturating_sub(3))
        .filter(|&i| &data[i..i + 4] == b"\x7fELF")
        .collect();
    if starts.first() != Some(&0) {
        starts.insert(0, 0);
    }
    starts.truncate(8);
    let mut paths = Vec::new();
    for (i, &start) in starts.iter().enumerate() {
        let end = starts.get(i + 1).copied().unwrap_or(data.len());
        let path = out.join(format!("input{i}.o"));
        std::fs::write(&path, &data[start..end]).expect("write object");
        paths.push(path);
    }
    paths
}

#[test]
fn every_reproducer_is_listed() {
    for entry in std::fs::read_dir(dir()).expect("tests/fuzz-regressions") {
        let name = entry.expect("dir entry").file_name();
        let name = name.to_string_lossy();
        assert!(
            REPRODUCERS.iter().any(|(file, _)| *file == name),
            "{name} is not in REPRODUCERS"
        );
    }
}

#[test]
fn every_reproducer_is_a_clean_link_error() {
    let scratch = scratch("fuzz-regressions");
    for (file, needles) in REPRODUCERS {
        let data = std::fs::read(dir().join(file)).expect("reproducer");
        let out = scratch.join(file);
        std::fs::create_dir_all(&out).expect("scratch dir");
        // A lone object keeps its name, so the error can be checked for it.
        let objects = if file.ends_with(".o") {
            vec![dir().join(file)]
        } else {
            write_objects(&data, &out)
        };
        let outcome = run_with_timeout(
            Command::new(lantern()).arg("link").args(&objects),
            Duration::from_secs(60),
        )
        .expect("lantern runs");
        assert_eq!(outcome.status, "exit 1", "{file}: {outcome:?}");
        assert!(
            outcome.stderr.starts_with("lantern: error: "),
            "{file}: {}",
            outcome.stderr
        );
        assert!(
            !outcome.stderr.contains("panicked"),
            "{file}: {}",
            outcome.stderr
        );
        for needle in *needles {
            assert!(
                outcome.stderr.contains(needle),
                "{file}: missing {needle:?} in: {}",
                outcome.stderr
            );
        }
    }
}
