//! Helpers for the executor's tests: tools, compiling the repository's test
//! programs, running commands with a deadline.

#![allow(dead_code)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const REFERENCE_EXECUTOR: &str = "/usr/lib/llvm-19/bin/llvm-jitlink-executor";
pub const LLVM_JITLINK: &str = "llvm-jitlink-19";

pub fn executor() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_lantern-executor"))
}

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Whether the LLVM 19 tools are installed (scripts/test.sh installs
/// llvm-19); under `CI=true` their absence fails the test.
pub fn have_llvm() -> bool {
    let ok = Path::new(REFERENCE_EXECUTOR).exists()
        && Command::new(LLVM_JITLINK)
            .arg("--version")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
    if !ok {
        let msg = format!("{LLVM_JITLINK} and {REFERENCE_EXECUTOR} (Debian llvm-19) not found");
        if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
            panic!("CI=true and {msg}");
        }
        eprintln!("\n!!! SKIPPING: {msg} !!!\n");
    }
    ok
}

/// A fresh scratch directory under cargo's target/tmp (not /tmp: runs of
/// the suite left one per test and process there).
pub fn tempdir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("lantern-executor-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Waits for `child` at most `limit`, killing it after; collects output.
pub fn wait_with_deadline(mut child: Child, limit: Duration) -> (Output, bool) {
    let start = Instant::now();
    let mut timed_out = false;
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            timed_out = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let status = child.wait().unwrap();
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    if let Some(mut o) = child.stdout.take() {
        o.read_to_end(&mut stdout).unwrap();
    }
    if let Some(mut e) = child.stderr.take() {
        e.read_to_end(&mut stderr).unwrap();
    }
    (
        Output {
            status,
            stdout,
            stderr,
        },
        timed_out,
    )
}

/// Runs a command to completion (at most `limit`), output captured.
pub fn run(cmd: &mut Command, limit: Duration) -> Output {
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let (out, timed_out) = wait_with_deadline(child, limit);
    assert!(!timed_out, "{cmd:?} ran past {limit:?}");
    out
}

/// Exit status as a shell shows it (128 + signal).
pub fn status_code(out: &Output) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    out.status
        .code()
        .unwrap_or_else(|| 128 + out.status.signal().unwrap_or(0))
}

/// Compiles every source of `dir` with `compiler -c -g -O1`, combines the
/// objects with `ld -r` into one (llvm-jitlink-19 links separate objects
/// concurrently and can send run-as-main before a dependency's finalize:
/// docs/out-of-process.md) and links the native program, the oracle.
/// Returns (combined object, native binary).
pub fn build(dir: &Path, compiler: &str, ext: &str, out: &Path) -> (PathBuf, PathBuf) {
    let mut objects = Vec::new();
    let mut sources: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    sources.sort();
    for src in sources {
        let obj = out.join(src.file_stem().unwrap()).with_extension("o");
        let o = run(
            Command::new(compiler)
                .args(["-c", "-g", "-O1", "-pthread"])
                .arg(&src)
                .arg("-o")
                .arg(&obj),
            Duration::from_secs(120),
        );
        assert!(
            o.status.success(),
            "{compiler} {src:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        objects.push(obj);
    }
    let combined = out.join("combined.o");
    let o = run(
        Command::new("ld")
            .arg("-r")
            .arg("-o")
            .arg(&combined)
            .args(&objects),
        Duration::from_secs(60),
    );
    assert!(
        o.status.success(),
        "ld -r: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let native = out.join("native");
    let o = run(
        Command::new(compiler)
            .arg("-pthread")
            .args(&objects)
            .arg("-lm")
            .arg("-o")
            .arg(&native),
        Duration::from_secs(60),
    );
    assert!(
        o.status.success(),
        "native link: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    (combined, native)
}

/// `llvm-jitlink-19 -oop-executor=EXECUTOR [extra...] OBJECT`, with the
/// explicit opt-in that lets lantern-executor serve an LLVM controller.
pub fn llvm_jitlink(executor: &Path, object: &Path, extra: &[&Path]) -> Output {
    run(
        Command::new(LLVM_JITLINK)
            .env("LANTERN_EXECUTOR_ALLOW_LLVM_PROTOCOL", "1")
            .arg(format!("-oop-executor={}", executor.display()))
            .arg("-preload=/usr/lib/x86_64-linux-gnu/libm.so.6")
            .arg("-preload=/usr/lib/x86_64-linux-gnu/libstdc++.so.6")
            .arg(object)
            .args(extra),
        Duration::from_secs(60),
    )
}
