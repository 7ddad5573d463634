//! Back-patched direct calls (opt-in): a direct `call`/`jmp rel32` from
//! JIT'd code to a redirectable symbol's stub is a back-patch point, kept in
//! the controller; a redirect rewrites it to call the new target directly
//! when that is in range, so the hot path has no indirection. Addresses
//! that escape (pointers, GOT entries, `lea`) always stay the stub's.
//!
//! The relocation is the back-patch point: a pass at `pre_fixup` finds each
//! `BranchPCRel32` edge to a stub, retargets it to the symbol's current
//! target when in range (the fixup then writes the direct call) and records
//! where its 4-byte field is. A finalize action activates the unit's points
//! (patching any that a redirect made stale meanwhile), its dealloc action
//! forgets them, so a removed unit is never written to.
//!
//! The write goes through a [`CodePatcher`]. Only a field that lies inside
//! one aligned 8-byte word is patched, with one aligned 8-byte store of
//! that word (atomic: threads executing the code fetch the old or the new
//! instruction, never a mix; HotSpot patches call sites under the same
//! rule); any other stays a call to the stub. See `docs/lazy.md`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock, Weak};

use crate::arch::x86_64::EdgeKind;
use crate::error::{Error, Result};
use crate::executor::ExecutorControl;
use crate::executor_types::{AllocAction, WrapperCall};
use crate::graph::{ExecutorAddr, LinkGraph, Linkage, Scope, SymbolDef};
use crate::link::{PassConfig, Plugin};

/// Writes finalized code. Implementations must never make a page writable
/// and executable at once.
pub trait CodePatcher: Send + Sync {
    /// Stores `value` at the 8-byte aligned `addr` in finalized code, as one
    /// atomic store (when other threads may run that code: through a
    /// writable second mapping of it).
    fn write_code_u64(&self, addr: ExecutorAddr, value: u64) -> Result<()>;
}

/// Patches by switching the page to read-write, storing, and switching it
/// back to read-execute. Safe only while no other thread can execute the
/// page (a runtime at a safepoint, a single-threaded program, tests): a
/// thread executing it meanwhile faults. Use a dual-mapped memory manager's
/// writable view otherwise.
pub struct ProtectionSwitchPatcher;

impl CodePatcher for ProtectionSwitchPatcher {
    fn write_code_u64(&self, addr: ExecutorAddr, value: u64) -> Result<()> {
        if !addr.0.is_multiple_of(8) {
            return Err(Error::Memory(format!(
                "code patch at {addr}: not 8-byte aligned"
            )));
        }
        let page_size = rustix::param::page_size() as u64;
        let page = addr.0 & !(page_size - 1);
        let protect = |flags| {
            // SAFETY: `page` is the start of the (mapped, finalized) code page
            // holding `addr`; only its protection changes, never to W+X.
            unsafe {
                rustix::mm::mprotect(page as *mut std::ffi::c_void, page_size as usize, flags)
            }
            .map_err(|e| Error::Memory(format!("mprotect of the page at {page:#x}: {e}")))
        };
        protect(rustix::mm::MprotectFlags::READ | rustix::mm::MprotectFlags::WRITE)?;
        // SAFETY: `addr` is 8-byte aligned inside the page just made writable.
        unsafe {
            std::sync::atomic::AtomicU64::from_ptr(addr.0 as *mut u64)
                .store(value, std::sync::atomic::Ordering::SeqCst)
        };
        protect(rustix::mm::MprotectFlags::READ | rustix::mm::MprotectFlags::EXEC)
    }
}

/// A direct call or jump's rel32 field.
#[derive(Debug, Clone, Copy)]
struct Point {
    unit: u64,
    /// The stub of the symbol it calls.
    stub: u64,
    /// The field's address; the instruction ends 4 bytes later.
    field: u64,
    /// Where the field points now.
    points_to: u64,
}

#[derive(Default)]
struct Registry {
    /// Redirectable name -> (stub, current target).
    symbols: HashMap<String, (u64, u64)>,
    /// Stub address -> name.
    by_stub: HashMap<u64, String>,
    /// Points of units being linked, by unit id: activated at finalize.
    pending: HashMap<u64, Vec<(String, Point)>>,
    /// Live points by name.
    active: HashMap<String, Vec<Point>>,
    next_unit: u64,
    patched: u64,
    /// Direct calls to stubs whose field straddles an 8-byte word: they
    /// stay calls to the stub.
    unaligned: u64,
    /// Writes that failed and were left at the old target (only with
    /// [`BackPatching::keep_unwritable_sites`]).
    unwritable: u64,
}

/// Back-patching for a session: add it as a plugin before the session is
/// shared, and give it to
/// [`RedirectableSymbols::with_back_patching`](super::RedirectableSymbols::with_back_patching)
/// or [`LazyReexports::with_back_patching`](super::LazyReexports::with_back_patching).
pub struct BackPatching {
    inner: Arc<Inner>,
}

pub(super) struct Inner {
    registry: Mutex<Registry>,
    /// Leave a site that cannot be written at its old target instead of
    /// failing the redirect.
    keep_unwritable: std::sync::atomic::AtomicBool,
    patcher: Box<dyn CodePatcher>,
    executor: Arc<dyn ExecutorControl>,
    index: usize,
}

/// The live back-patching registries, which allocation actions find theirs in.
static REGISTRIES: RwLock<Vec<Weak<Inner>>> = RwLock::new(Vec::new());

impl BackPatching {
    pub fn new(executor: Arc<dyn ExecutorControl>, patcher: Box<dyn CodePatcher>) -> Self {
        let mut registries = REGISTRIES.write().unwrap_or_else(|e| e.into_inner());
        let inner = Arc::new(Inner {
            registry: Mutex::new(Registry::default()),
            keep_unwritable: std::sync::atomic::AtomicBool::new(false),
            patcher,
            executor,
            index: registries.len(),
        });
        registries.push(Arc::downgrade(&inner));
        BackPatching { inner }
    }

    pub(super) fn inner(&self) -> Arc<Inner> {
        self.inner.clone()
    }

    /// How many call sites redirects have rewritten so far.
    pub fn patched(&self) -> u64 {
        self.inner.lock().patched
    }

    /// A call site that cannot be written (a page a debugger has written
    /// its breakpoints into: the packed memory manager's executing view of
    /// it is a private copy then) is left at its old target, and the
    /// redirect goes on, instead of failing the redirect with nothing
    /// changed. Only for sessions in which every redirect's old target
    /// stays valid for ever: lazy entries that are never replaced nor
    /// re-lazified and whose units are never removed, as in `lantern run
    /// --lazy` (a site left at an entry's trampoline resolves again there;
    /// one left at the stub goes through the slot). Later redirects try
    /// such a site again.
    pub fn keep_unwritable_sites(&self) {
        self.inner
            .keep_unwritable
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// How many live back-patch points there are.
    pub fn points(&self) -> usize {
        self.inner.lock().active.values().map(Vec::len).sum()
    }

    /// What back-patching has done so far.
    pub fn stats(&self) -> BackPatchStats {
        let registry = self.inner.lock();
        let live: Vec<&Point> = registry.active.values().flatten().collect();
        let direct = live
            .iter()
            .filter(|p| {
                registry
                    .by_stub
                    .get(&p.stub)
                    .and_then(|name| registry.symbols.get(name))
                    .is_some_and(|&(stub, target)| p.points_to == target && target != stub)
            })
            .count();
        BackPatchStats {
            points: live.len(),
            direct,
            patched: registry.patched,
            unaligned: registry.unaligned,
            unwritable: registry.unwritable,
        }
    }
}

/// Counts of [`BackPatching::stats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BackPatchStats {
    /// Live back-patch points: direct calls and jumps from linked code to
    /// redirectable symbols.
    pub points: usize,
    /// Live points that call their symbol's current target directly.
    pub direct: usize,
    /// Call-site writes made by redirects and activations so far.
    pub patched: u64,
    /// Direct calls to stubs seen whose rel32 field straddles an aligned
    /// 8-byte word: never patched, they call the stub.
    pub unaligned: u64,
    /// Writes that failed and left a site at its old target (with
    /// [`BackPatching::keep_unwritable_sites`]).
    pub unwritable: u64,
}

impl Inner {
    fn lock(&self) -> std::sync::MutexGuard<'_, Registry> {
        self.registry.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn keeps_unwritable(&self) -> bool {
        self.keep_unwritable
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// A new redirectable symbol.
    pub(super) fn add_symbol(&self, name: &str, stub: u64, target: u64) {
        let mut registry = self.lock();
        registry.symbols.insert(name.to_string(), (stub, target));
        registry.by_stub.insert(stub, name.to_string());
    }

    /// Redirects the live points of every `(name, target)`, before the
    /// caller writes the slots: during the change a call site reaches the
    /// old or the new target, both valid. All or nothing: if a write fails
    /// (a debugger's breakpoint copied the page, say), the points already
    /// rewritten are put back and the error returned, and the caller must
    /// not write the slots (a site left at the old target would outlive a
    /// removal of its unit).
    pub(super) fn redirect(&self, targets: &[(&str, u64)]) -> Result<()> {
        let mut guard = self.lock();
        let registry = &mut *guard;
        let mut done: Vec<(String, usize, u64)> = Vec::new();
        let mut failure = None;
        'all: for &(name, target) in targets {
            let Some(&(stub, _)) = registry.symbols.get(name) else {
                continue;
            };
            let Some(points) = registry.active.get_mut(name) else {
                continue;
            };
            for (i, point) in points.iter_mut().enumerate() {
                let before = point.points_to;
                match self.repoint(point, stub, target, &mut registry.patched) {
                    Ok(()) => done.push((name.to_string(), i, before)),
                    Err(e) if self.keeps_unwritable() => {
                        // Left at its old target, which stays valid.
                        log::debug!("back-patching: call site of `{name}` left as it was: {e}");
                        registry.unwritable += 1;
                    }
                    Err(e) => {
                        failure = Some(e);
                        break 'all;
                    }
                }
            }
        }
        if let Some(error) = failure {
            for (name, i, before) in done.into_iter().rev() {
                let stub = registry.symbols[&name].0;
                let point = &mut registry.active.get_mut(&name).expect("patched above")[i];
                let _ = self.repoint(point, stub, before, &mut registry.patched);
            }
            return Err(error);
        }
        for &(name, target) in targets {
            if let Some(entry) = registry.symbols.get_mut(name) {
                entry.1 = target;
            }
        }
        Ok(())
    }

    /// Points `point` at `target` if in range and patchable, else at the stub.
    fn repoint(&self, point: &mut Point, stub: u64, target: u64, patched: &mut u64) -> Result<()> {
        let want = if rel32(point.field, target).is_some() {
            target
        } else {
            stub
        };
        if want == point.points_to {
            return Ok(());
        }
        let Some(rel) = rel32(point.field, want) else {
            return Ok(());
        };
        let word = point.field & !7;
        let shift = (point.field - word) * 8;
        let old = self.executor.read_memory(ExecutorAddr(word), 8)?;
        let old = u64::from_le_bytes(old.try_into().expect("8 bytes"));
        let mask = 0xffff_ffffu64 << shift;
        let new = (old & !mask) | (u64::from(rel as u32) << shift);
        self.patcher.write_code_u64(ExecutorAddr(word), new)?;
        point.points_to = want;
        *patched += 1;
        Ok(())
    }

    /// Finds the unit's direct calls to stubs (a `pre_fixup` pass).
    fn record(&self, graph: &mut LinkGraph) -> Result<()> {
        let mut registry = self.lock();
        if registry.by_stub.is_empty() {
            return Ok(());
        }
        let unit = registry.next_unit;
        registry.next_unit += 1;
        let mut found = Vec::new();
        let mut direct: HashMap<u64, crate::graph::SymbolId> = HashMap::new();
        for block_id in graph.block_ids().collect::<Vec<_>>() {
            let block = graph.block(block_id);
            if !block.live || graph.is_noalloc(block_id) {
                continue;
            }
            let base = block.addr.0;
            for i in 0..block.edges.len() {
                let edge = graph.block(block_id).edges[i];
                if edge.kind != EdgeKind::BranchPCRel32 || edge.addend != -4 {
                    continue;
                }
                let SymbolDef::Outside(stub) = graph.symbol(edge.target).def else {
                    continue;
                };
                let Some(name) = registry.by_stub.get(&stub) else {
                    continue;
                };
                // A `BranchPCRel32` edge is not always a branch: a PC32
                // reference to a function (`lea f(%rip)` in PIE code)
                // becomes one too. Only `call`/`jmp`/`jcc rel32` are back-patch
                // points; an address taken keeps the stub.
                if !is_branch_rel32(graph.block_bytes(block_id), edge.offset) {
                    continue;
                }
                let field = base + edge.offset;
                // Only fields inside one aligned 8-byte word are patchable.
                if field % 8 > 4 {
                    registry.unaligned += 1;
                    continue;
                }
                let target = registry.symbols[name].1;
                let mut points_to = stub;
                if target != stub && rel32(field, target).is_some() {
                    let file = graph.symbol(edge.target).file;
                    let id = *direct.entry(target).or_insert_with(|| {
                        let id = graph.add_external_symbol(
                            file,
                            None,
                            0,
                            Linkage::Strong,
                            Scope::Local,
                            true,
                        );
                        graph.symbol_mut(id).def = SymbolDef::Outside(target);
                        id
                    });
                    graph.block_mut(block_id).edges[i].target = id;
                    points_to = target;
                }
                found.push((
                    name.clone(),
                    Point {
                        unit,
                        stub,
                        field,
                        points_to,
                    },
                ));
            }
        }
        if found.is_empty() {
            return Ok(());
        }
        registry.pending.insert(unit, found);
        let mut arg = (self.index as u64).to_le_bytes().to_vec();
        arg.extend_from_slice(&unit.to_le_bytes());
        graph.alloc_actions.push(AllocAction {
            finalize: Some(WrapperCall {
                function: ExecutorAddr(activate_wrapper as *const () as u64),
                arg: arg.clone().into(),
            }),
            dealloc: Some(WrapperCall {
                function: ExecutorAddr(forget_wrapper as *const () as u64),
                arg: arg.into(),
            }),
        });
        Ok(())
    }

    fn activate(&self, unit: u64) -> Result<()> {
        let mut registry = self.lock();
        let points = registry.pending.remove(&unit).unwrap_or_default();
        let mut result = Ok(());
        for (name, mut point) in points {
            // A redirect between the fixup and now: bring the point up to date.
            let (stub, target) = registry.symbols[&name];
            if let Err(e) = self.repoint(&mut point, stub, target, &mut registry.patched) {
                if self.keeps_unwritable() {
                    log::debug!("back-patching: call site of `{name}` left as it was: {e}");
                    registry.unwritable += 1;
                } else {
                    result = Err(e);
                }
            }
            registry.active.entry(name).or_default().push(point);
        }
        result
    }

    fn forget(&self, unit: u64) {
        let mut registry = self.lock();
        registry.pending.remove(&unit);
        for points in registry.active.values_mut() {
            points.retain(|p| p.unit != unit);
        }
    }
}

/// Whether the rel32 field at `offset` in `code` belongs to a `call rel32`
/// (`e8`, also `addr32 call`), `jmp rel32` (`e9`) or `jcc rel32` (`0f 8x`).
/// A ModRM byte before a RIP-relative displacement (`lea`, `mov`) is
/// `00 reg 101`, never one of these.
fn is_branch_rel32(code: &[u8], offset: u64) -> bool {
    let Some(at) = usize::try_from(offset)
        .ok()
        .filter(|&o| o >= 1 && o <= code.len())
    else {
        return false;
    };
    match code[at - 1] {
        0xe8 | 0xe9 => true,
        0x80..=0x8f => at >= 2 && code[at - 2] == 0x0f,
        _ => false,
    }
}

/// `target - (field + 4)` if it fits a rel32.
fn rel32(field: u64, target: u64) -> Option<i32> {
    i32::try_from(target.wrapping_sub(field + 4) as i64).ok()
}

impl Plugin for BackPatching {
    fn name(&self) -> &str {
        "back-patching"
    }

    fn modify_pass_config(&self, config: &mut PassConfig) {
        let inner = self.inner.clone();
        config
            .pre_fixup
            .push(Box::new(move |graph| inner.record(graph)));
    }
}

/// The registry and unit an allocation action's argument names.
fn from_arg(arg: *const u8, len: usize) -> Option<(Arc<Inner>, u64)> {
    if arg.is_null() || len != 16 {
        return None;
    }
    // SAFETY: the linker passes the 16 bytes it serialized in `record`.
    let bytes = unsafe { std::slice::from_raw_parts(arg, len) };
    let index = u64::from_le_bytes(bytes[..8].try_into().ok()?) as usize;
    let unit = u64::from_le_bytes(bytes[8..].try_into().ok()?);
    let registries = REGISTRIES.read().unwrap_or_else(|e| e.into_inner());
    Some((registries.get(index)?.upgrade()?, unit))
}

/// Finalize action: the unit's points become live.
unsafe extern "C" fn activate_wrapper(arg: *const u8, len: usize) -> u64 {
    match from_arg(arg, len) {
        Some((inner, unit)) => match inner.activate(unit) {
            Ok(()) => 0,
            Err(e) => {
                log::warn!("back-patching: {e}");
                1
            }
        },
        None => 0,
    }
}

/// Dealloc action: the unit's points are forgotten before its memory goes.
unsafe extern "C" fn forget_wrapper(arg: *const u8, len: usize) -> u64 {
    if let Some((inner, unit)) = from_arg(arg, len) {
        inner.forget(unit);
    }
    0
}

#[cfg(test)]
mod tests {
    use super::is_branch_rel32;

    #[test]
    fn only_branches_are_back_patch_points() {
        // call rel32, addr32 call rel32, jmp rel32, jne rel32: field at the offset.
        assert!(is_branch_rel32(&[0xe8, 0, 0, 0, 0], 1));
        assert!(is_branch_rel32(&[0x67, 0xe8, 0, 0, 0, 0], 2));
        assert!(is_branch_rel32(&[0xe9, 0, 0, 0, 0], 1));
        assert!(is_branch_rel32(&[0x0f, 0x85, 0, 0, 0, 0], 2));
        // lea f(%rip), %rax and mov f(%rip), %rax (ModRM 0x05): addresses.
        assert!(!is_branch_rel32(&[0x48, 0x8d, 0x05, 0, 0, 0, 0], 3));
        assert!(!is_branch_rel32(&[0x48, 0x8b, 0x05, 0, 0, 0, 0], 3));
        // A lone 0x85 without 0x0f, a field at the block's start or past it.
        assert!(!is_branch_rel32(&[0x85, 0, 0, 0, 0], 1));
        assert!(!is_branch_rel32(&[0, 0, 0, 0], 0));
        assert!(!is_branch_rel32(&[0xe8], 9));
    }
}
