//! The crash handler: programs that crash under `lantern run` print a
//! backtrace whose JIT'd frames match, function by function and line by line,
//! the backtrace gdb prints for the natively linked program at the crash; the
//! exit status (death by the signal) is the native one.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use support::*;

/// (function, source file name, line) of one frame.
type FrameKey = (String, String, u32);

fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "c"))
        .collect();
    files.sort();
    files
}

fn base_name(path: &str) -> String {
    path.rsplit('/').next().unwrap_or(path).to_string()
}

/// The program's own frames in gdb's `bt`: `#N  [0x... in ]FUNC (ARGS) at FILE:LINE`.
fn gdb_frames(bt: &str, files: &[String]) -> Vec<FrameKey> {
    bt.lines()
        .filter(|l| l.starts_with('#'))
        .filter_map(|l| {
            let rest = l.split_once(' ')?.1.trim_start();
            let rest = match rest.split_once(" in ") {
                Some((addr, tail)) if addr.starts_with("0x") => tail,
                _ => rest,
            };
            let function = rest.split(" (").next()?.to_string();
            let (file, line) = rest.rsplit_once(" at ")?.1.rsplit_once(':')?;
            Some((function, base_name(file), line.trim().parse().ok()?))
        })
        .filter(|(_, file, _)| files.contains(file))
        .collect()
}

/// The program's own frames in Lantern's report: `#N 0xADDR in FUNC at FILE:LINE:COL`.
fn lantern_frames(report: &str, files: &[String]) -> Vec<FrameKey> {
    report
        .lines()
        .filter(|l| l.starts_with('#'))
        .filter_map(|l| {
            let rest = l.split_once(" in ")?.1;
            let (function, location) = rest.rsplit_once(" at ")?;
            let mut parts = location.rsplitn(3, ':');
            let _column = parts.next()?;
            let line = parts.next()?.parse().ok()?;
            Some((function.to_string(), base_name(parts.next()?), line))
        })
        .filter(|(_, file, _)| files.contains(file))
        .collect()
}

/// Whether the report's first two frames have the same address: the first is
/// inlined into the second.
fn shares_pc_with_next(report: &str) -> bool {
    let pcs: Vec<&str> = report
        .lines()
        .filter(|l| l.starts_with('#'))
        .take(2)
        .filter_map(|l| l.split_whitespace().nth(1))
        .collect();
    pcs.len() == 2 && pcs[0] == pcs[1]
}

fn compare(program: &str, compiler: &str, opt: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/crash-programs")
        .join(program);
    let out = scratch(&format!("crash-{program}-{compiler}{opt}"));
    let sources = sources(&dir);
    let files: Vec<String> = sources
        .iter()
        .map(|s| base_name(&s.to_string_lossy()))
        .collect();
    let objects: Vec<PathBuf> = sources
        .iter()
        .map(|src| {
            let obj = out.join(format!("{}.o", src.file_stem().unwrap().to_string_lossy()));
            check(
                Command::new(compiler)
                    .args(["-g", opt, "-c"])
                    .arg(src)
                    .arg("-o")
                    .arg(&obj),
            )
            .unwrap();
            obj
        })
        .collect();
    let native = out.join("native");
    check(Command::new(compiler).args(&objects).arg("-o").arg(&native)).unwrap();

    let timeout = Duration::from_secs(120);
    let native_run = run_with_timeout(&mut Command::new(&native), timeout).unwrap();
    let jit = run_with_timeout(Command::new(lantern()).arg("run").args(&objects), timeout).unwrap();
    let tag = format!("{program} {compiler} {opt}");
    assert!(
        native_run.status.starts_with("signal"),
        "[{tag}] the native program did not crash: {native_run:?}"
    );
    assert_eq!(
        jit.status, native_run.status,
        "[{tag}] exit status:\n{}",
        jit.stderr
    );
    assert_eq!(jit.stdout, native_run.stdout, "[{tag}] stdout");
    assert!(
        jit.stderr.contains("lantern: SIG"),
        "[{tag}] no crash report:\n{}",
        jit.stderr
    );

    let gdb = run_with_timeout(
        Command::new("gdb")
            .args(["-batch", "-nx", "-ex", "run", "-ex", "bt 40"])
            .arg(&native),
        timeout,
    )
    .unwrap();
    let mut expected = gdb_frames(&gdb.stdout, &files);
    let mut got = lantern_frames(&jit.stderr, &files);
    // At the faulting pc, gdb hides an inlined call whose code starts right
    // there (it shows the call site, as if about to step into it); Lantern
    // shows the inlined function too, at the same address as its caller.
    if got.len() == expected.len() + 1
        && got[1..] == expected[..]
        && shares_pc_with_next(&jit.stderr)
    {
        got.remove(0);
    }
    if program == "stack_overflow" && !expected.is_empty() && !got.is_empty() {
        // Which instruction of the recursion first touches the guard page
        // depends on how deep the stack already was: the innermost frame's
        // function must match, its line may not.
        assert_eq!(got[0].0, expected[0].0, "[{program}] innermost function");
        expected.remove(0);
        got.remove(0);
    }
    assert!(
        !expected.is_empty(),
        "[{tag}] gdb shows no frame of the program:\n{}",
        gdb.stdout
    );
    // A stack overflow is thousands of frames deep: both show its innermost ones.
    let n = expected.len().min(got.len());
    assert!(
        n >= expected.len().min(20),
        "[{tag}] lantern shows {} of gdb's frames:\n{}\n--- gdb:\n{}",
        got.len(),
        jit.stderr,
        gdb.stdout
    );
    assert_eq!(
        &got[..n],
        &expected[..n],
        "[{tag}] frames differ\n--- lantern:\n{}\n--- gdb:\n{}",
        jit.stderr,
        gdb.stdout
    );
}

#[test]
fn crash_backtraces_match_gdb_on_the_native_program() {
    if require_tool(&["gdb"], "gdb").is_none()
        || require_tool(&["gcc"], "gcc").is_none()
        || require_tool(&["clang-19"], "clang-19").is_none()
    {
        return;
    }
    for program in [
        "deep_null",
        "assert_abort",
        "divide_by_zero",
        "stack_overflow",
        "inlined",
    ] {
        for compiler in ["gcc", "clang-19"] {
            for opt in ["-O0", "-O2"] {
                compare(program, compiler, opt);
            }
        }
    }
}

#[test]
fn no_crash_handler_prints_nothing_and_dies_the_same() {
    if require_tool(&["gcc"], "gcc").is_none() {
        return;
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/crash-programs/divide_by_zero");
    let out = scratch("crash-no-handler");
    let obj = out.join("main.o");
    check(
        Command::new("gcc")
            .args(["-g", "-c"])
            .arg(dir.join("main.c"))
            .arg("-o")
            .arg(&obj),
    )
    .unwrap();
    let jit = run_with_timeout(
        Command::new(lantern())
            .args(["run", "--no-crash-handler"])
            .arg(&obj),
        Duration::from_secs(60),
    )
    .unwrap();
    assert_eq!(jit.status, "signal 8", "{jit:?}");
    assert!(!jit.stderr.contains("lantern: SIG"), "{}", jit.stderr);
}
