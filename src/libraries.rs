//! `-l NAME` search: the shared library a native link would use, found in
//! `-L` directories and the system's library directories.

use std::path::{Path, PathBuf};

const SYSTEM_DIRS: &[&str] = &[
    "/lib/x86_64-linux-gnu",
    "/usr/lib/x86_64-linux-gnu",
    "/lib64",
    "/usr/lib64",
    "/lib",
    "/usr/lib",
    "/usr/local/lib",
];

fn is_elf(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic))
        .is_ok()
        && &magic == b"\x7fELF"
}

/// The path to load for `-l name`: `libNAME.so` when it is a real library,
/// else the newest `libNAME.so.N` (`libNAME.so` is often a linker script).
/// Falls back to the bare soname for the dynamic loader's own search.
pub fn find(name: &str, search_dirs: &[PathBuf]) -> String {
    let file = format!("lib{name}.so");
    let dirs = search_dirs
        .iter()
        .map(PathBuf::as_path)
        .chain(SYSTEM_DIRS.iter().map(Path::new));
    for dir in dirs {
        let candidate = dir.join(&file);
        if candidate.is_file() && is_elf(&candidate) {
            return candidate.display().to_string();
        }
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut versioned: Vec<(Vec<u32>, PathBuf)> = entries
            .flatten()
            .filter_map(|e| {
                let fname = e.file_name().to_string_lossy().into_owned();
                let version = fname.strip_prefix(&file)?.strip_prefix('.')?;
                let parts: Option<Vec<u32>> = version.split('.').map(|p| p.parse().ok()).collect();
                Some((parts?, e.path()))
            })
            .collect();
        versioned.sort();
        if let Some((_, path)) = versioned.pop() {
            return path.display().to_string();
        }
    }
    file
}
