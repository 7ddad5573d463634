//! The symbolizer: address -> function, inlined frames, file:line:column, for
//! every unit linked with the plugin, and symbol names for host code.
//!
//! Everything a lookup needs is prepared when the unit is linked (a table of
//! the unit's line-table addresses, each with its chain of frames, read with
//! addr2line from the relocated DWARF; the unit's function symbols as a
//! fallback), so a lookup neither parses nor allocates: the crash handler
//! looks addresses up from a signal handler. A unit's table is published once
//! the unit is finalized and dropped by its dealloc action, before its memory goes.

use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use lantern_core::graph::{ExecutorAddr, LinkGraph};
use lantern_core::link::{PassConfig, Plugin};
use lantern_core::memory::{AllocAction, WrapperCall};

/// One frame of a symbolized address: innermost (inlined) frames first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub function: String,
    pub file: Option<String>,
    pub line: u32,
    pub column: u32,
}

impl Frame {
    pub fn as_ref(&self) -> FrameRef<'_> {
        FrameRef {
            function: &self.function,
            file: self.file.as_deref(),
            line: self.line,
            column: self.column,
        }
    }
}

/// A frame borrowed from a prepared table (what the crash handler prints).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameRef<'a> {
    pub function: &'a str,
    pub file: Option<&'a str>,
    pub line: u32,
    pub column: u32,
}

impl FrameRef<'_> {
    pub fn to_owned(self) -> Frame {
        Frame {
            function: self.function.to_string(),
            file: self.file.map(String::from),
            line: self.line,
            column: self.column,
        }
    }
}

const NO_FILE: u32 = u32::MAX;

/// A frame with its strings interned in the unit's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct CompactFrame {
    function: u32,
    file: u32,
    line: u32,
    column: u32,
}

/// What a unit's addresses symbolize to.
#[derive(Debug, Default)]
pub struct UnitTable {
    key: u64,
    /// Code ranges of the unit, sorted.
    code: Vec<(u64, u64)>,
    /// Function names and file paths, each once.
    strings: Vec<Box<str>>,
    /// The frame chains of `rows`, side by side.
    frames: Vec<CompactFrame>,
    /// Line-table addresses where the frame chain changes: (address, first
    /// frame in `frames`, count), sorted by address.
    rows: Vec<(u64, u32, u32)>,
    /// Function symbols (start, end, name), sorted: the fallback without DWARF.
    functions: Vec<(u64, u64, u32)>,
}

impl UnitTable {
    fn contains(&self, addr: u64) -> bool {
        let i = self.code.partition_point(|&(start, _)| start <= addr);
        i > 0 && addr < self.code[i - 1].1
    }

    fn function_at(&self, addr: u64) -> Option<u32> {
        let i = self.functions.partition_point(|f| f.0 <= addr);
        (i > 0 && addr < self.functions[i - 1].1).then(|| self.functions[i - 1].2)
    }

    fn frame(&self, frame: &CompactFrame) -> FrameRef<'_> {
        FrameRef {
            function: &self.strings[frame.function as usize],
            file: (frame.file != NO_FILE).then(|| &*self.strings[frame.file as usize]),
            line: frame.line,
            column: frame.column,
        }
    }

    /// Calls `out` with each frame at `addr`, innermost first; false outside
    /// the unit. Neither allocates nor parses.
    pub fn lookup(&self, addr: u64, out: &mut dyn FnMut(FrameRef<'_>)) -> bool {
        if !self.contains(addr) {
            return false;
        }
        let i = self.rows.partition_point(|r| r.0 <= addr);
        if i > 0 {
            let (row_addr, first, count) = self.rows[i - 1];
            // The row must lie in the same function as `addr`.
            let function = self.function_at(addr);
            if count > 0 && (function.is_none() || function == self.function_at(row_addr)) {
                for frame in &self.frames[first as usize..(first + count) as usize] {
                    out(self.frame(frame));
                }
                return true;
            }
        }
        let Some(name) = self.function_at(addr) else {
            return false;
        };
        out(FrameRef {
            function: &self.strings[name as usize],
            file: None,
            line: 0,
            column: 0,
        });
        true
    }
}

/// The tables of the units linked now.
static UNITS: Mutex<Vec<Arc<UnitTable>>> = Mutex::new(Vec::new());
static NEXT_KEY: AtomicU64 = AtomicU64::new(1);

/// Symbolizes `addr` if a linked unit holds it. `try_lock` keeps it usable
/// from a signal handler: if the interrupted thread held the lock, false.
pub fn symbolize_jit(addr: u64, out: &mut dyn FnMut(FrameRef<'_>)) -> bool {
    let Ok(units) = UNITS.try_lock() else {
        return false;
    };
    units.iter().any(|unit| unit.lookup(addr, out))
}

/// The frames at `addr` in a linked unit (for embedders and tools).
pub fn symbolize(addr: u64) -> Option<Vec<Frame>> {
    let units = UNITS.lock().unwrap_or_else(|e| e.into_inner());
    let mut frames = Vec::new();
    units
        .iter()
        .any(|u| u.lookup(addr, &mut |f| frames.push(f.to_owned())))
        .then_some(frames)
}

/// Where the function `name` (as written, or demangled) of a linked unit starts.
pub fn function_address(name: &str) -> Option<u64> {
    let demangled = demangle(name);
    let units = UNITS.lock().unwrap_or_else(|e| e.into_inner());
    units.iter().find_map(|unit| {
        unit.functions
            .iter()
            .find(|f| *unit.strings[f.2 as usize] == *demangled)
            .map(|f| f.0)
    })
}

/// The name of the host symbol containing `addr` and its offset, and the
/// object that defines it (`dladdr`).
pub fn symbolize_host(addr: u64) -> Option<(String, u64, String)> {
    let mut info: libc::Dl_info = unsafe { std::mem::zeroed() };
    // SAFETY: dladdr only reads the loader's tables and fills `info`.
    if unsafe { libc::dladdr(addr as *const libc::c_void, &mut info) } == 0 {
        return None;
    }
    let cstr = |p: *const libc::c_char| {
        // SAFETY: dladdr's strings are NUL-terminated and live while the object is loaded.
        (!p.is_null()).then(|| {
            unsafe { std::ffi::CStr::from_ptr(p) }
                .to_string_lossy()
                .into_owned()
        })
    };
    let object = cstr(info.dli_fname).unwrap_or_default();
    let name = cstr(info.dli_sname)?;
    Some((name, addr - info.dli_saddr as u64, object))
}

/// FNV-1a: interning hashes a few strings per line-table address, where
/// SipHash showed in profiles; the keys are the unit's own names.
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// The last string interned from one place, by address: the same bytes
/// again need no hashing. Only for strings that outlive the interning (the
/// DWARF's and addr2line's own).
#[derive(Default)]
struct LastInterned {
    bytes: (usize, usize),
    id: u32,
}

impl LastInterned {
    fn intern(&mut self, s: &str, strings: &mut Strings) -> u32 {
        let bytes = (s.as_ptr() as usize, s.len());
        if bytes != self.bytes {
            *self = LastInterned {
                bytes,
                id: strings.intern(s),
            };
        }
        self.id
    }
}

/// Interns strings into a unit's table.
#[derive(Default)]
struct Strings {
    index: std::collections::HashMap<String, u32, std::hash::BuildHasherDefault<Fnv>>,
    list: Vec<Box<str>>,
}

impl Strings {
    fn intern(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let i = self.list.len() as u32;
        self.list.push(s.into());
        self.index.insert(s.to_string(), i);
        i
    }
}

/// Builds a unit's table from its fixed-up graph.
pub fn prepare(graph: &LinkGraph, key: u64) -> UnitTable {
    let code = crate::unit_code::code_ranges(graph);
    let mut strings = Strings::default();
    let functions: Vec<(u64, u64, u32)> = crate::unit_code::functions(graph)
        .into_iter()
        .map(|(start, size, name)| (start, start + size, strings.intern(&demangle(&name))))
        .collect();
    let (frames, rows) = rows(graph, &mut strings);
    UnitTable {
        key,
        code,
        strings: strings.list,
        frames,
        rows,
        functions,
    }
}

fn demangle(name: &str) -> String {
    addr2line::demangle_auto(Cow::Borrowed(name), None).into_owned()
}

/// The frame chains at the unit's line-table addresses, where they change.
fn rows(graph: &LinkGraph, strings: &mut Strings) -> (Vec<CompactFrame>, Vec<(u64, u32, u32)>) {
    let (mut frames, mut rows) = (Vec::new(), Vec::new());
    let Some(dwarf) = crate::unit_dwarf::unit_dwarf(graph) else {
        return (frames, rows);
    };
    let Ok(context) = addr2line::Context::from_dwarf(dwarf) else {
        return (frames, rows);
    };
    // The rows' addresses, from the line tables addr2line parsed anyway.
    let mut addresses: Vec<u64> = match context.find_location_range(0, u64::MAX) {
        Ok(locations) => locations.map(|(addr, _, _)| addr).collect(),
        Err(_) => Vec::new(),
    };
    addresses.sort_unstable();
    addresses.dedup();
    let mut chain = Vec::new();
    // Neighbouring addresses mostly name the same function and file: the
    // same bytes of addr2line's (borrowed) names, interned once.
    let (mut last_function, mut last_file) = (LastInterned::default(), LastInterned::default());
    for addr in addresses {
        chain.clear();
        if let Ok(mut iter) = context.find_frames(addr).skip_all_loads() {
            while let Ok(Some(frame)) = iter.next() {
                let function = match frame.function.as_ref().and_then(|f| f.demangle().ok()) {
                    // Only borrowed names keep their address (a demangled one
                    // is freed, and its buffer may hold another name next).
                    Some(Cow::Borrowed(name)) => last_function.intern(name, strings),
                    Some(Cow::Owned(name)) => strings.intern(&name),
                    None => strings.intern("??"),
                };
                let (file, line, column) = frame.location.map_or((NO_FILE, 0, 0), |l| {
                    (
                        l.file.map_or(NO_FILE, |f| last_file.intern(f, strings)),
                        l.line.unwrap_or(0),
                        l.column.unwrap_or(0),
                    )
                });
                chain.push(CompactFrame {
                    function,
                    file,
                    line,
                    column,
                });
            }
        }
        // Consecutive addresses with the same chain share one row.
        if let Some(&(_, first, count)) = rows.last() {
            if frames[first as usize..(first + count) as usize] == chain[..] {
                continue;
            }
        }
        rows.push((addr, frames.len() as u32, chain.len() as u32));
        frames.extend_from_slice(&chain);
    }
    (frames, rows)
}

/// Drops a unit's table.
///
/// # Safety
/// `arg` must point to `len` readable bytes.
pub unsafe extern "C" fn remove_wrapper(arg: *const u8, len: usize) -> u64 {
    let Some(key) = key_arg(arg, len) else {
        return 1;
    };
    UNITS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .retain(|u| u.key != key);
    0
}

fn key_arg(arg: *const u8, len: usize) -> Option<u64> {
    if arg.is_null() || len != 8 {
        return None;
    }
    // SAFETY: the caller passes 8 readable bytes.
    let bytes = unsafe { std::slice::from_raw_parts(arg, 8) };
    Some(u64::from_le_bytes(bytes.try_into().ok()?))
}

/// Prepares every unit's symbol table, for the crash handler and embedders.
#[derive(Clone, Copy, Default)]
pub struct Symbolizer;

impl Plugin for Symbolizer {
    fn name(&self) -> &str {
        "symbolizer"
    }

    fn modify_pass_config(&self, config: &mut PassConfig) {
        // The table goes from the post-fixup pass to the finalized pass of the
        // same link: a link that fails in between drops it with the closures.
        let slot: Arc<Mutex<Option<UnitTable>>> = Arc::default();
        let prepared = slot.clone();
        config.post_fixup.push(Box::new(move |graph| {
            let key = NEXT_KEY.fetch_add(1, Ordering::Relaxed);
            *prepared.lock().unwrap_or_else(|e| e.into_inner()) = Some(prepare(graph, key));
            graph.alloc_actions.push(AllocAction {
                finalize: None,
                dealloc: Some(WrapperCall {
                    function: ExecutorAddr(remove_wrapper as *const () as u64),
                    arg: key.to_le_bytes().to_vec(),
                }),
            });
            Ok(())
        }));
        config.finalized.push(Box::new(move |_graph, _alloc| {
            if let Some(table) = slot.lock().unwrap_or_else(|e| e.into_inner()).take() {
                UNITS
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(Arc::new(table));
            }
            Ok(())
        }));
    }
}
