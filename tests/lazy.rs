//! `lantern run --lazy`: programs run with the natively linked binary's
//! output and exit status, with fewer units linked up front than exist;
//! first calls through trampolines (C++ exceptions, function-pointer
//! identity, many threads at once), and a failing lazy link's report; the
//! same with `--back-patch`, and the call sites it rewrites.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use support::*;

const TIMEOUT: Duration = Duration::from_secs(120);

/// Compiles every `*.c`/`*.cpp` of `dir` (and `lib/*.c` into `libx.a`) with
/// `cc` and `flags`; returns the objects and archives in order.
fn compile_dir(dir: &Path, out: &Path, cc: &str, flags: &[&str]) -> Vec<PathBuf> {
    let mut sources: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("program directory")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "c" || e == "cpp"))
        .collect();
    sources.sort();
    let compile = |src: &Path, prefix: &str| {
        let obj = out.join(format!(
            "{prefix}{}.o",
            src.file_stem().unwrap().to_string_lossy()
        ));
        check(
            Command::new(cc)
                .args(flags)
                .args(["-g", "-pthread", "-c"])
                .arg(src)
                .arg("-o")
                .arg(&obj),
        )
        .expect("compile");
        obj
    };
    let mut inputs: Vec<PathBuf> = sources.iter().map(|s| compile(s, "")).collect();
    let lib = dir.join("lib");
    if lib.is_dir() {
        let members = compile_dir(&lib, out, cc, flags);
        let archive = out.join("libx.a");
        check(Command::new("ar").arg("rcs").arg(&archive).args(&members)).expect("ar");
        inputs.push(archive);
    }
    inputs
}

fn args_of(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("args"))
        .map(|s| s.lines().map(String::from).collect())
        .unwrap_or_default()
}

/// Runs the program natively and under `lantern run --lazy --verbose`;
/// asserts equal stdout and status; returns Lantern's stderr.
fn compare(dir: &Path, name: &str, cc: &str, cxx: bool, flags: &[&str]) -> String {
    compare_modes(dir, name, cc, cxx, flags, &[&[]]).remove(0)
}

/// [`compare`] for each of `modes` (options added to `run --lazy
/// --verbose`), the program compiled and run natively once; Lantern's
/// stderr of each mode.
fn compare_modes(
    dir: &Path,
    name: &str,
    cc: &str,
    cxx: bool,
    flags: &[&str],
    modes: &[&[&str]],
) -> Vec<String> {
    let out = scratch(&format!("lazy-{name}"));
    let inputs = compile_dir(dir, &out, cc, flags);
    let native = out.join("native");
    let libs: &[&str] = if cxx { &[] } else { &["-lm"] };
    check(
        Command::new(cc)
            .args(&inputs)
            .args(libs)
            .args(["-pthread", "-no-pie", "-o"])
            .arg(&native),
    )
    .expect("native link");
    let args = args_of(dir);
    let expected = run_with_timeout(Command::new(&native).args(&args), TIMEOUT).expect("native");
    let mut stderrs = Vec::new();
    for mode in modes {
        let got = run_with_timeout(
            Command::new(lantern())
                .args(["run", "--lazy", "--verbose"])
                .args(*mode)
                .args(&inputs)
                .args(libs)
                .arg("--")
                .args(&args),
            TIMEOUT,
        )
        .expect("lantern");
        assert_eq!(
            (&got.stdout, &got.status),
            (&expected.stdout, &expected.status),
            "{name}: lantern run --lazy {mode:?} differs from the native program; stderr:\n{}",
            got.stderr
        );
        stderrs.push(got.stderr);
    }
    stderrs
}

/// The `--back-patch` report's counts: `(direct, points, writes,
/// unaligned, refused)`.
fn back_patch_counts(stderr: &str) -> (usize, usize, usize, usize, usize) {
    let line = stderr
        .lines()
        .find(|l| l.starts_with("lantern: --back-patch:"))
        .unwrap_or_else(|| panic!("no --back-patch report in:\n{stderr}"));
    // "N of M direct calls ..., W call-site writes; U calls left to the
    // stub (rel32 across an 8-byte word), R writes refused".
    let numbers: Vec<usize> = line
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    assert_eq!(numbers.len(), 5, "{line}");
    (numbers[0], numbers[1], numbers[2], numbers[3], numbers[4])
}

/// `(linked, available)` from the `--verbose` report.
fn lazy_units(stderr: &str) -> (usize, usize) {
    let line = stderr
        .lines()
        .find(|l| l.starts_with("lantern: --lazy:"))
        .unwrap_or_else(|| panic!("no --lazy report in:\n{stderr}"));
    let words: Vec<&str> = line.split_whitespace().collect();
    let at = words.iter().position(|w| *w == "of").expect("`N of M`");
    (
        words[at - 1].parse().unwrap(),
        words[at + 1].parse().unwrap(),
    )
}

fn program(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(name)
}

/// Programs with functions in objects of their own: those get lazy.
const REPOSITORY_PROGRAMS: [&str; 12] = [
    "bytecode_vm",
    "static_archive",
    "many_functions",
    "varargs",
    "struct_passing",
    "recursion",
    "floating_point",
    "archive_semantics",
    "decimal_float",
    "weak_symbols",
    "comdat_groups",
    "multi_object",
];

#[test]
fn repository_programs_under_lazy() {
    if !have(&[(&["gcc"], "gcc"), (&["clang-19"], "clang-19")]) {
        return;
    }
    for cc in ["gcc", "clang-19"] {
        for opt in ["-O0", "-O2"] {
            for name in REPOSITORY_PROGRAMS {
                if cc != "gcc" && name == "decimal_float" {
                    continue; // GNU C only
                }
                let dir = program(&format!("tests/programs/{name}"));
                let stderr = compare(&dir, &format!("{name}-{cc}{opt}"), cc, false, &[opt]);
                let (linked, available) = lazy_units(&stderr);
                assert!(linked <= available, "{name}: {stderr}");
                if ["bytecode_vm", "static_archive", "many_functions"].contains(&name) {
                    assert!(linked > 0, "{name}: no unit was linked lazily:\n{stderr}");
                }
            }
        }
    }
}

/// The same programs under `run --lazy --back-patch`: the native output and
/// status, and direct calls to lazy functions rewritten.
#[test]
fn repository_programs_under_lazy_back_patch() {
    if !have(&[(&["gcc"], "gcc"), (&["clang-19"], "clang-19")]) {
        return;
    }
    let mut writes = 0;
    let mut report = String::new();
    for cc in ["gcc", "clang-19"] {
        for opt in ["-O0", "-O2"] {
            for name in REPOSITORY_PROGRAMS {
                if cc != "gcc" && name == "decimal_float" {
                    continue; // GNU C only
                }
                let dir = program(&format!("tests/programs/{name}"));
                let stderr = compare_modes(
                    &dir,
                    &format!("{name}-{cc}{opt}-bp"),
                    cc,
                    false,
                    &[opt],
                    &[&["--back-patch"]],
                )
                .remove(0);
                let (direct, points, patched, _, refused) = back_patch_counts(&stderr);
                assert!(direct <= points && refused == 0, "{name}: {stderr}");
                writes += patched;
                report += &format!("{name} {cc} {opt}: {}\n", stderr.trim_end());
            }
        }
    }
    eprintln!("{report}");
    assert!(writes > 0, "no call site was back-patched:\n{report}");
}

/// `--back-patch` rewrites a direct call to a lazy function: the program
/// reads its call sites back (tests/lazy-programs/back_patch). Before the
/// first call the site calls the trampoline, after it the implementation;
/// a call whose rel32 field straddles an 8-byte word stays on the stub.
/// Natively and without `--back-patch`, both call `&answer`.
#[test]
fn back_patched_call_sites() {
    if !have_gcc() {
        return;
    }
    let dir = program("tests/lazy-programs/back_patch");
    for flags in [&["-O0"][..], &["-O2"], &["-O2", "-fPIC"]] {
        let name = format!("back_patch{}", flags.join(""));
        // Natively and without --back-patch: both sites call `&answer`.
        let stderr = compare(&dir, &name, "gcc", false, flags);
        assert_eq!(lazy_units(&stderr), (1, 1), "{stderr}");
        // The objects `compare` compiled.
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("lazy-{name}"));
        let inputs = [out.join("answer.o"), out.join("main.o")];
        let got = run_with_timeout(
            Command::new(lantern())
                .args(["run", "--lazy", "--back-patch", "--verbose"])
                .args(&inputs),
            TIMEOUT,
        )
        .expect("lantern");
        assert_eq!(got.status, "exit 0", "{}", got.stderr);
        assert_eq!(
            got.stdout,
            "before the first call: patchable site -> a trampoline (call; jmp *%r11), \
             unaligned site -> &answer\n\
             answer(1) = 101\n\
             answer(2) = 102\n\
             after the first call: patchable site -> code (returns 105 for 5), \
             unaligned site -> &answer\n\
             answer(3) = 103, answer(4) = 104\n",
            "{flags:?}; stderr:\n{}",
            got.stderr
        );
        // One patchable site, rewritten once (trampoline -> answer); one
        // left to the stub.
        assert_eq!(
            back_patch_counts(&got.stderr),
            (1, 1, 1, 1, 0),
            "{}",
            got.stderr
        );
    }
}

/// `--back-patch` is `run --lazy`'s, and needs packed memory: usage errors.
#[test]
fn back_patch_usage_errors() {
    if !have_gcc() {
        return;
    }
    let out = scratch("lazy-bp-usage");
    let inputs = compile_dir(&program("tests/lazy-programs/back_patch"), &out, "gcc", &[]);
    for (args, says) in [
        (&["run", "--back-patch"][..], "--lazy"),
        (
            &["run", "--lazy", "--back-patch", "--memory", "pages"],
            "packed memory",
        ),
    ] {
        let got = run_with_timeout(Command::new(lantern()).args(args).args(&inputs), TIMEOUT)
            .expect("lantern");
        assert_eq!(got.status, "exit 2", "{args:?}: {}", got.stderr);
        assert!(got.stderr.contains(says), "{args:?}: {}", got.stderr);
    }
}

#[test]
fn cxx_exception_from_a_first_call() {
    if !have(&[(&["g++"], "g++")]) {
        return;
    }
    for opt in ["-O0", "-O2"] {
        for stderr in compare_modes(
            &program("tests/lazy-programs/cxx_throw"),
            &format!("cxx_throw{opt}"),
            "g++",
            true,
            &[opt],
            &[&[], &["--back-patch"]],
        ) {
            assert_eq!(lazy_units(&stderr), (1, 1), "{stderr}");
        }
    }
}

#[test]
fn function_pointers_equal_across_first_call() {
    if !have_gcc() {
        return;
    }
    // Not -fno-pic: non-PIC code takes a function's address through a
    // canonical stub of its own unit in the low 2 GiB (docs/lazy.md).
    for flags in [&["-O0"][..], &["-O2", "-fPIC"], &["-O2"]] {
        // With --back-patch too: calls are rewritten, `&f` stays the stub.
        for stderr in compare_modes(
            &program("tests/lazy-programs/fnptr_identity"),
            &format!("fnptr{}", flags.join("")),
            "gcc",
            false,
            flags,
            &[&[], &["--back-patch"]],
        ) {
            assert_eq!(lazy_units(&stderr), (1, 1), "{stderr}");
        }
    }
}

/// 8 threads make first calls into 1,000 lazy functions (50 units) in
/// different random orders: every unit is linked exactly once, results are
/// the native program's.
#[test]
fn many_threads_first_calls() {
    if !have_gcc() {
        return;
    }
    let dir = scratch("lazy-threads-src");
    const UNITS: usize = 50;
    const PER_UNIT: usize = 20;
    for u in 0..UNITS {
        let mut src = String::new();
        for i in 0..PER_UNIT {
            src += &format!("int f_{u}_{i}(int x) {{ return x * {u} + {i}; }}\n");
        }
        std::fs::write(dir.join(format!("u{u:02}.c")), src).unwrap();
    }
    let mut main = String::from("#include <pthread.h>\n#include <stdio.h>\n#include <stdint.h>\n");
    for u in 0..UNITS {
        for i in 0..PER_UNIT {
            main += &format!("int f_{u}_{i}(int);\n");
        }
    }
    main += "static int (*const table[])(int) = {\n";
    for u in 0..UNITS {
        for i in 0..PER_UNIT {
            main += &format!("f_{u}_{i},");
        }
        main += "\n";
    }
    main += &format!(
        r#"}};
#define N {n}
static pthread_barrier_t start;
static long sums[8];
static void *worker(void *arg) {{
    long t = (long)(intptr_t)arg, sum = 0;
    uint32_t seed = 12345u + 977u * (uint32_t)t;
    pthread_barrier_wait(&start);
    for (int k = 0; k < N; k++) {{
        seed = seed * 1103515245u + 12345u;
        int j = (int)((seed >> 8) % N);
        sum += table[j](j) + table[k](k);
    }}
    sums[t] = sum;
    return 0;
}}
int main(void) {{
    pthread_t threads[8];
    pthread_barrier_init(&start, 0, 8);
    for (long t = 0; t < 8; t++) pthread_create(&threads[t], 0, worker, (void *)(intptr_t)t);
    for (int t = 0; t < 8; t++) pthread_join(threads[t], 0);
    for (int t = 0; t < 8; t++) printf("thread %d: %ld\n", t, sums[t]);
    return 0;
}}
"#,
        n = UNITS * PER_UNIT
    );
    std::fs::write(dir.join("main.c"), main).unwrap();
    // With --back-patch, call sites are rewritten (through packed memory's
    // writable view) while the other threads run them.
    for stderr in compare_modes(
        &dir,
        "threads",
        "gcc",
        false,
        &["-O1"],
        &[&[], &["--back-patch"]],
    ) {
        assert_eq!(lazy_units(&stderr), (UNITS, UNITS), "{stderr}");
    }
}

/// A first call whose link fails: the report names the symbol, the file
/// and the reason, and the process aborts.
#[test]
fn failing_lazy_link_names_symbol_and_file() {
    if !have_gcc() {
        return;
    }
    let out = scratch("lazy-missing");
    let inputs = compile_dir(
        &program("tests/lazy-programs/missing_symbol"),
        &out,
        "gcc",
        &[],
    );
    let got = run_with_timeout(
        Command::new(lantern())
            .args(["run", "--lazy", "--no-crash-handler"])
            .args(&inputs),
        TIMEOUT,
    )
    .expect("lantern");
    assert_eq!(got.stdout, "before the first call\n");
    assert_eq!(got.status, "signal 6", "{}", got.stderr);
    assert!(
        got.stderr.contains("lazy link of `uses_missing`")
            && got.stderr.contains("broken.o")
            && got.stderr.contains("no_such_function"),
        "{}",
        got.stderr
    );
}
