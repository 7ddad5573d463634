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

/// The first shared library a GNU ld script (`libm.so`, `libc.so` are such
/// scripts on Debian) names in its `GROUP` or `INPUT` list: what a native link
/// with `-l NAME` would load first. Reading the script is much cheaper than
/// listing a system library directory of thousands of entries.
fn from_linker_script(script: &Path) -> Option<PathBuf> {
    const LIMIT: u64 = 64 * 1024;
    let mut text = Vec::new();
    let file = std::fs::File::open(script).ok()?;
    std::io::Read::read_to_end(&mut std::io::Read::take(file, LIMIT + 1), &mut text).ok()?;
    if text.len() as u64 > LIMIT {
        return None;
    }
    let text = String::from_utf8(text).ok()?;
    text.split(|c: char| c.is_whitespace() || c == '(' || c == ')')
        .filter(|token| token.starts_with('/') && token.contains(".so"))
        .map(PathBuf::from)
        .find(|path| is_elf(path))
}

/// The path to load for `-l name`: `libNAME.so` when it is a real library,
/// else the library its linker script names, else the newest `libNAME.so.N`.
/// Falls back to the bare soname for the dynamic loader's own search.
pub fn find(name: &str, search_dirs: &[PathBuf]) -> String {
    let file = format!("lib{name}.so");
    let dirs = search_dirs
        .iter()
        .map(PathBuf::as_path)
        .chain(SYSTEM_DIRS.iter().map(Path::new));
    for dir in dirs {
        let candidate = dir.join(&file);
        if candidate.is_file() {
            if is_elf(&candidate) {
                return candidate.display().to_string();
            }
            if let Some(library) = from_linker_script(&candidate) {
                return library.display().to_string();
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_linker_script_names_the_library_to_load() {
        let dir = std::env::temp_dir().join(format!("lantern-libscript-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let real = std::env::current_exe().unwrap();
        std::fs::write(
            dir.join("libfake.so"),
            format!(
                "/* GNU ld script */\nOUTPUT_FORMAT(elf64-x86-64)\nGROUP ( {} AS_NEEDED ( /nonexistent/libx.so.1 ) )\n",
                real.display()
            ),
        )
        .unwrap();
        // The test binary is not named *.so*: a script naming it is skipped.
        assert_eq!(from_linker_script(&dir.join("libfake.so")), None);
        let lib = dir.join("libreal.so.3");
        std::fs::copy(&real, &lib).unwrap();
        std::fs::write(
            dir.join("libfake.so"),
            format!("GROUP ( /nonexistent/libnot.so.1 {} )\n", lib.display()),
        )
        .unwrap();
        assert_eq!(
            find("fake", std::slice::from_ref(&dir)),
            lib.display().to_string()
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
