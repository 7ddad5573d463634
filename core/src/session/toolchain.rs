//! Finding the toolchain's static parts a native link would use (libgcc.a).

use std::path::PathBuf;

/// libgcc.a: `$LANTERN_LIBGCC`, else the newest GCC's under /usr/lib/gcc.
pub fn find_libgcc() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("LANTERN_LIBGCC") {
        return Some(PathBuf::from(path));
    }
    let mut candidates = Vec::new();
    for triple_dir in [
        "/usr/lib/gcc/x86_64-linux-gnu",
        "/usr/lib/gcc/x86_64-pc-linux-gnu",
        "/usr/lib64/gcc/x86_64-pc-linux-gnu",
    ] {
        let Ok(entries) = std::fs::read_dir(triple_dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path().join("libgcc.a");
            if path.is_file() {
                let version: Vec<u32> = entry
                    .file_name()
                    .to_string_lossy()
                    .split('.')
                    .map(|p| p.parse().unwrap_or(0))
                    .collect();
                candidates.push((version, path));
            }
        }
    }
    candidates.sort();
    candidates.pop().map(|(_, path)| path)
}
