//! Shared helpers of the plugin tests: compiling test sources.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

/// Compiles `source` with `compiler` into `<tmp>/<dir>/<name>.o`: assembly
/// when it starts with a directive, C++ for a C++ compiler, else C. `None`
/// (after a loud message) when the compiler is missing; under `CI=true` that panics.
pub fn compile(
    compiler: &str,
    dir: &str,
    name: &str,
    source: &str,
    flags: &[&str],
) -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(dir);
    std::fs::create_dir_all(&dir).unwrap();
    let ext = if source.trim_start().starts_with('.') {
        "s"
    } else if compiler.contains("++") {
        "cpp"
    } else {
        "c"
    };
    let src = dir.join(format!("{name}.{ext}"));
    std::fs::write(&src, source).unwrap();
    let obj = dir.join(format!("{name}.o"));
    let out = match Command::new(compiler)
        .args(flags)
        .arg("-c")
        .arg(&src)
        .arg("-o")
        .arg(&obj)
        .output()
    {
        Ok(out) => out,
        Err(_) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("CI=true and {compiler} is missing")
        }
        Err(_) => {
            eprintln!("\n!!! SKIPPING: {compiler} not found !!!\n");
            return None;
        }
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(obj)
}
