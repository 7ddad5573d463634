//! The symbolizer: address -> function, inlined frames, file:line:column, for
//! every unit linked with the plugin, and symbol names for host code.
//!
//! Everything a lookup needs is prepared in advance, so a lookup neither
//! parses nor allocates: the crash handler looks addresses up from a signal
//! handler. A unit's quick table (its code and symbols) is published once the
//! unit is finalized; its DWARF (the address ranges of each chain of frames,
//! `dwarf`) is read by a deferred pass, on the background worker when the
//! session runs one, which completes the table. The dealloc action drops the
//! table before the unit's memory goes.

mod dwarf;
mod table;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use lantern_core::graph::ExecutorAddr;
use lantern_core::link::{background, PassConfig, Plugin};
use lantern_core::memory::{AllocAction, WrapperCall};

use table::{Found, UnitTable};

pub use lantern_crash_report::{Frame, FrameRef};

/// The tables of the units linked now, by key and by code address: a
/// lookup or a removal costs O(log n) of the live units, not O(n).
struct Tables {
    by_key: BTreeMap<u64, Arc<UnitTable>>,
    /// Each code range's start -> (end, unit key).
    by_addr: BTreeMap<u64, (u64, u64)>,
    /// Tables still waiting for their DWARF.
    incomplete: usize,
}

impl Tables {
    fn insert(&mut self, table: Arc<UnitTable>) {
        self.remove(table.key);
        for &(start, end) in table.code_ranges() {
            self.by_addr.insert(start, (end, table.key));
        }
        self.incomplete += usize::from(!table.complete);
        self.by_key.insert(table.key, table);
    }

    fn remove(&mut self, key: u64) {
        if let Some(table) = self.by_key.remove(&key) {
            for (start, _) in table.code_ranges() {
                self.by_addr.remove(start);
            }
            self.incomplete -= usize::from(!table.complete);
        }
    }

    /// The table of the unit whose code holds `addr`.
    fn at(&self, addr: u64) -> Option<&Arc<UnitTable>> {
        let (_, &(end, key)) = self.by_addr.range(..=addr).next_back()?;
        (addr < end).then(|| self.by_key.get(&key))?
    }

    fn iter(&self) -> impl Iterator<Item = &Arc<UnitTable>> {
        self.by_key.values()
    }
}

/// The tables of the units linked now.
static UNITS: Mutex<Tables> = Mutex::new(Tables {
    by_key: BTreeMap::new(),
    by_addr: BTreeMap::new(),
    incomplete: 0,
});
static NEXT_KEY: AtomicU64 = AtomicU64::new(1);

/// What [`symbolize_jit`] found at an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// No linked unit holds the address (or the table lock was taken).
    NotJit,
    /// The frames were passed on.
    Found,
    /// A unit holds the address, but its DWARF is still being read in the
    /// background (`lantern_core::link::background`): wait, then ask again.
    Pending,
}

/// Symbolizes `addr` if a linked unit holds it. Neither allocates nor
/// blocks: `try_lock` keeps it usable from a signal handler (if the
/// interrupted thread held the lock, [`Lookup::NotJit`]).
pub fn symbolize_jit(addr: u64, out: &mut dyn FnMut(FrameRef<'_>)) -> Lookup {
    let Ok(units) = UNITS.try_lock() else {
        return Lookup::NotJit;
    };
    match units.at(addr).map(|unit| unit.lookup(addr, out)) {
        None | Some(Found::NotHere) => Lookup::NotJit,
        Some(Found::Frames) => Lookup::Found,
        Some(Found::Pending) => Lookup::Pending,
    }
}

/// The name of the symbol of a linked unit that holds `addr` (with the
/// names as the objects give them while the unit's table is incomplete):
/// what a crash report prints when it cannot wait for the full table.
pub fn symbol_name_jit(addr: u64, out: &mut dyn FnMut(&str)) -> bool {
    let Ok(units) = UNITS.try_lock() else {
        return false;
    };
    match units.at(addr) {
        Some(unit) => {
            out(unit.symbol_at(addr).unwrap_or("??"));
            true
        }
        None => false,
    }
}

/// Whether `addr` is code of a linked unit, and if so where the symbol
/// that holds it starts: for the crash report's unwinding heuristics.
/// Neither allocates nor blocks (`None` if the table lock is taken).
pub fn jit_code_at(addr: u64) -> Option<Option<u64>> {
    let units = UNITS.try_lock().ok()?;
    let unit = units.at(addr)?;
    Some(unit.symbol_start(addr))
}

/// Waits until every linked unit's table is complete (their DWARF is read
/// on the background worker).
fn wait_for_tables() {
    let incomplete = UNITS.lock().unwrap_or_else(|e| e.into_inner()).incomplete > 0;
    if incomplete {
        background::wait_idle(None);
    }
}

/// The frames at `addr` in a linked unit (for embedders and tools).
pub fn symbolize(addr: u64) -> Option<Vec<Frame>> {
    wait_for_tables();
    let units = UNITS.lock().unwrap_or_else(|e| e.into_inner());
    let mut frames = Vec::new();
    let unit = units.at(addr)?;
    (!matches!(
        unit.lookup(addr, &mut |f| frames.push(f.to_owned())),
        Found::NotHere
    ))
    .then_some(frames)
}

/// Where the function or code symbol `name` (as written, or demangled) of a
/// linked unit starts.
pub fn function_address(name: &str) -> Option<u64> {
    wait_for_tables();
    let demangled = demangle(name);
    let units = UNITS.lock().unwrap_or_else(|e| e.into_inner());
    let found = units.iter().find_map(|unit| {
        unit.symbol_address(&demangled)
            .or_else(|| unit.symbol_address(name))
    });
    found
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

fn demangle(name: &str) -> String {
    addr2line::demangle_auto(Cow::Borrowed(name), None).into_owned()
}

/// Drops a unit's table.
///
/// # Safety
/// `arg` must point to `len` readable bytes.
pub unsafe extern "C" fn remove_wrapper(arg: *const u8, len: usize) -> u64 {
    let Some(key) = key_arg(arg, len) else {
        return 1;
    };
    UNITS.lock().unwrap_or_else(|e| e.into_inner()).remove(key);
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
        // A quick table (code ranges, symbols) is published once the unit is
        // finalized, so a crash at any moment names its functions; the DWARF
        // is read by a deferred pass, which replaces it with the full table
        // unless the unit has gone meanwhile.
        let key = NEXT_KEY.fetch_add(1, Ordering::Relaxed);
        config.post_fixup.push(Box::new(move |graph| {
            graph.alloc_actions.push(AllocAction {
                finalize: None,
                dealloc: Some(WrapperCall {
                    function: ExecutorAddr(remove_wrapper as *const () as u64),
                    arg: key.to_le_bytes().to_vec().into(),
                }),
            });
            Ok(())
        }));
        config.finalized.push(Box::new(move |graph, _alloc| {
            UNITS
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(Arc::new(UnitTable::quick(graph, key)));
            Ok(())
        }));
        config.deferred.push(Box::new(move |graph, _executor| {
            let full = Arc::new(UnitTable::full(graph, key));
            let mut units = UNITS.lock().unwrap_or_else(|e| e.into_inner());
            if units.by_key.contains_key(&key) {
                units.insert(full);
            }
            Ok(())
        }));
    }
}

/// A fixed-up unit's whole symbol table (code ranges, demangled symbols,
/// the frames its relocated DWARF describes), encoded for another process:
/// `lantern-executor` decodes it with [`lantern_crash_report::table::Table::decode`]
/// and prints its crash report from it. The graph's DWARF must be relocated
/// (`noalloc_outputs`, [`PassConfig::debug_info_in_pipeline`] from
/// `post_fixup` on).
pub fn encoded_unit_table(graph: &lantern_core::graph::LinkGraph) -> Vec<u8> {
    UnitTable::full(graph, 0).table.encode()
}

/// A finalized unit's partial symbol table (code ranges and symbol names,
/// without its DWARF: cheap, and all a crash report needs to name
/// functions), encoded as [`encoded_unit_table`]; the receiver marks it
/// partial until the whole table replaces it.
pub fn encoded_partial_table(graph: &lantern_core::graph::LinkGraph) -> Vec<u8> {
    UnitTable::quick(graph, 0).table.encode()
}
