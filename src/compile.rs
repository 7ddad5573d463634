//! The `.c`/`.cc`/`.cpp` convenience: sources are compiled with `$CC`/`$CXX -g -c` first.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A temporary directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new() -> std::io::Result<TempDir> {
        let base = std::env::temp_dir();
        for n in 0..1000u32 {
            let dir = base.join(format!("lantern-{}-{n}", std::process::id()));
            match std::fs::create_dir(&dir) {
                Ok(()) => return Ok(TempDir(dir)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(std::io::Error::other("cannot create a temporary directory"))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn is_source(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("c" | "cc" | "cpp" | "cxx" | "C")
    )
}

/// Compiles one source file into `dir`, returning the object's path.
pub fn compile(source: &Path, dir: &Path, index: usize) -> Result<PathBuf, String> {
    let is_cxx = !matches!(source.extension().and_then(|e| e.to_str()), Some("c"));
    let (var, default) = if is_cxx { ("CXX", "c++") } else { ("CC", "cc") };
    let compiler = std::env::var(var).unwrap_or_else(|_| default.to_string());
    let flags_var = if is_cxx { "CXXFLAGS" } else { "CFLAGS" };
    let extra: Vec<String> = std::env::var(flags_var)
        .map(|f| f.split_whitespace().map(String::from).collect())
        .unwrap_or_default();
    let stem = source
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("source");
    let object = dir.join(format!("{index}-{stem}.o"));
    let mut words = compiler.split_whitespace();
    let program = words.next().ok_or_else(|| format!("${var} is empty"))?;
    let status = Command::new(program)
        .args(words)
        .arg("-g")
        .args(&extra)
        .arg("-c")
        .arg(source)
        .arg("-o")
        .arg(&object)
        .status()
        .map_err(|e| {
            format!(
                "cannot run {var}={compiler} to compile {}: {e}",
                source.display()
            )
        })?;
    if !status.success() {
        return Err(format!(
            "{} failed to compile {} ({status})",
            compiler,
            source.display()
        ));
    }
    Ok(object)
}
