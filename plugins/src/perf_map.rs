//! perf map support: `/tmp/perf-PID.map`, the file `perf report` reads to
//! name code that no ELF file on disk describes.
//!
//! Each line is `START SIZE NAME` (hex, hex, symbol) for one JIT'd function.
//! A unit's lines are added by a finalize allocation action and taken out by
//! its dealloc action, which rewrites the file from the units still linked,
//! so addresses a later unit reuses are never named after removed code.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

use lantern_core::graph::ExecutorAddr;
use lantern_core::link::{PassConfig, Plugin};
use lantern_core::memory::{AllocAction, WrapperCall};

/// One function: start address, size, name.
type Entry = (u64, u64, String);

/// Live units' functions by unit key, and the file they are written to.
static MAP: Mutex<BTreeMap<u64, Vec<Entry>>> = Mutex::new(BTreeMap::new());
/// Whether this process has written its map yet.
static STARTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
/// Unit keys: units are told apart by a counter, not by address.
static NEXT_KEY: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// The perf map of this process.
pub fn perf_map_path() -> PathBuf {
    PathBuf::from(format!("/tmp/perf-{}.map", std::process::id()))
}

fn line(entry: &Entry) -> String {
    format!("{:x} {:x} {}\n", entry.0, entry.1, entry.2)
}

fn encode(key: u64, entries: &[Entry]) -> Vec<u8> {
    let mut arg = key.to_le_bytes().to_vec();
    for (start, size, name) in entries {
        arg.extend_from_slice(&start.to_le_bytes());
        arg.extend_from_slice(&size.to_le_bytes());
        arg.extend_from_slice(&(name.len() as u32).to_le_bytes());
        arg.extend_from_slice(name.as_bytes());
    }
    arg
}

fn decode(bytes: &[u8]) -> Option<(u64, Vec<Entry>)> {
    let take = |at: &mut usize, n: usize| -> Option<&[u8]> {
        let slice = bytes.get(*at..*at + n)?;
        *at += n;
        Some(slice)
    };
    let mut at = 0;
    let key = u64::from_le_bytes(take(&mut at, 8)?.try_into().ok()?);
    let mut entries = Vec::new();
    while at < bytes.len() {
        let start = u64::from_le_bytes(take(&mut at, 8)?.try_into().ok()?);
        let size = u64::from_le_bytes(take(&mut at, 8)?.try_into().ok()?);
        let len = u32::from_le_bytes(take(&mut at, 4)?.try_into().ok()?) as usize;
        let name = String::from_utf8_lossy(take(&mut at, len)?).into_owned();
        entries.push((start, size, name));
    }
    Some((key, entries))
}

fn args<'a>(arg: *const u8, len: usize) -> Option<&'a [u8]> {
    // SAFETY: the caller (an allocation action) passes `len` readable bytes.
    (!arg.is_null()).then(|| unsafe { std::slice::from_raw_parts(arg, len) })
}

/// Appends a unit's functions to the map: `arg` is a key and the entries.
///
/// # Safety
/// `arg` must point to `len` readable bytes.
pub unsafe extern "C" fn add_wrapper(arg: *const u8, len: usize) -> u64 {
    let Some((key, entries)) = args(arg, len).and_then(decode) else {
        return 1;
    };
    let mut map = MAP.lock().unwrap_or_else(|e| e.into_inner());
    let text: String = entries.iter().map(line).collect();
    // The first unit of the process starts the file: an earlier process with
    // the same pid may have left one.
    let first = !STARTED.swap(true, std::sync::atomic::Ordering::Relaxed);
    let written = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(first)
        .append(!first)
        .open(perf_map_path())
        .and_then(|mut f| f.write_all(text.as_bytes()));
    map.insert(key, entries);
    u64::from(written.is_err()) * 2
}

/// Takes a unit's functions out of the map: `arg` is its key.
///
/// # Safety
/// `arg` must point to `len` readable bytes.
pub unsafe extern "C" fn remove_wrapper(arg: *const u8, len: usize) -> u64 {
    let Some(key) = args(arg, len).and_then(|b| Some(u64::from_le_bytes(b.try_into().ok()?)))
    else {
        return 1;
    };
    let mut map = MAP.lock().unwrap_or_else(|e| e.into_inner());
    map.remove(&key);
    let text: String = map.values().flatten().map(line).collect();
    // Written beside and renamed over, so perf never reads half a file.
    let path = perf_map_path();
    let temporary = path.with_extension("map.new");
    let written =
        std::fs::write(&temporary, text).and_then(|()| std::fs::rename(&temporary, &path));
    u64::from(written.is_err()) * 2
}

/// Names every unit's functions in `/tmp/perf-PID.map` for perf.
#[derive(Clone, Copy, Default)]
pub struct PerfMap;

impl Plugin for PerfMap {
    fn name(&self) -> &str {
        "perf-map"
    }

    fn modify_pass_config(&self, config: &mut PassConfig) {
        config.post_fixup.push(Box::new(|graph| {
            let entries = crate::unit_code::functions(graph);
            if entries.is_empty() {
                return Ok(());
            }
            let key = NEXT_KEY.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            graph.alloc_actions.push(AllocAction {
                finalize: Some(WrapperCall {
                    function: ExecutorAddr(add_wrapper as *const () as u64),
                    arg: encode(key, &entries).into(),
                }),
                dealloc: Some(WrapperCall {
                    function: ExecutorAddr(remove_wrapper as *const () as u64),
                    arg: key.to_le_bytes().to_vec().into(),
                }),
            });
            Ok(())
        }));
    }
}

/// The perf map of a process in which this one does not run code: an
/// executor (`lantern run --oop`). perf reads `/tmp/perf-PID.map` of the
/// process it profiles, whoever wrote it; allocation actions cannot write
/// it there (they would call this process's functions in the executor), so
/// this plugin appends each unit's functions here, on the same host, once
/// the unit is finalized. Units are never taken out: for a session that
/// keeps its units (`lantern run`), not one that removes them.
pub struct RemotePerfMap {
    path: PathBuf,
    /// Whether the file has been started (truncated) yet.
    started: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl RemotePerfMap {
    /// The map of process `pid`.
    pub fn new(pid: u32) -> Self {
        RemotePerfMap {
            path: PathBuf::from(format!("/tmp/perf-{pid}.map")),
            started: Default::default(),
        }
    }

    /// Where the map is written.
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }
}

impl Plugin for RemotePerfMap {
    fn name(&self) -> &str {
        "perf-map (out of process)"
    }

    fn modify_pass_config(&self, config: &mut PassConfig) {
        let (path, started) = (self.path.clone(), std::sync::Arc::clone(&self.started));
        config.finalized.push(Box::new(move |graph, _alloc| {
            let entries = crate::unit_code::functions(graph);
            if entries.is_empty() {
                return Ok(());
            }
            let text: String = entries.iter().map(line).collect();
            // The first unit starts the file: an earlier process with the
            // same pid may have left one.
            let first = !started.swap(true, std::sync::atomic::Ordering::Relaxed);
            std::fs::OpenOptions::new()
                .create(true)
                .write(true)
                .truncate(first)
                .append(!first)
                .open(&path)
                .and_then(|mut f| f.write_all(text.as_bytes()))
                .map_err(|e| {
                    lantern_core::error::Error::Other(format!(
                        "writing the perf map {}: {e}",
                        path.display()
                    ))
                })
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_survive_encoding() {
        let entries = vec![
            (0x7f00_1000, 0x20, "f".to_string()),
            (0x7f00_1020, 0x8, "_ZN1a1bEv".to_string()),
        ];
        assert_eq!(decode(&encode(9, &entries)), Some((9, entries)));
        assert_eq!(decode(&[1, 2, 3]), None);
    }
}
