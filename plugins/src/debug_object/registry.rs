//! The registry of debug objects: which units' debug objects are registered
//! with debuggers, and how (one object file per unit, or merged).
//!
//! Adding and removing a unit are wrapper functions taking `(arg, len)`, run
//! in the executor: as allocation actions, or by a deferred pass. A unit
//! added [`Registration::Batched`] waits for [`flush_wrapper`], which merges
//! every waiting unit into one object file ([`merge`]): debuggers pay per
//! object file, so a thousand units added one by one then cost about what
//! one unit of a thousand objects does. When flushes come one unit at a
//! time (a REPL that runs every entry), `compact` merges object files of
//! similar size as it goes: in the flush under a debugger, on the
//! background worker otherwise. Removing a merged unit registers its group again
//! without it. The bytes reach debuggers through [`gdb_jit`].
//!
//! A unit whose debug object is built after it is linked (on the background
//! worker) is first [`reserve_wrapper`]d: removed before its object comes,
//! the object is dropped when it comes.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use lantern_core::link::background;

use super::{merge, DebugPart};
use crate::gdb_jit::{self, OwnedRegistration, Registered};

/// A unit in the registry: its key, its debug object, and how many sections
/// it adds to a merged object.
struct Unit {
    key: u64,
    part: DebugPart,
    sections: usize,
}

/// A registered object file: the units whose debug objects it holds, and
/// its entry in the descriptor's list.
struct Group {
    units: Vec<Unit>,
    /// Whether [`compact`] may merge it with another group (batched units
    /// whose DWARF can move).
    compactable: bool,
    /// The merged object, when the group has more than one unit (otherwise
    /// the registration points at the unit's own object).
    merged: Option<Box<[u8]>>,
    registered: Registered,
}

impl Group {
    fn sections(&self) -> usize {
        self.units.iter().map(|u| u.sections).sum()
    }
}

/// A group's place in the registry's order: older groups sort first; the
/// groups a removal registers again take the removed group's place.
type Place = (u64, u64);

/// Units whose registration waits for the next flush, registered groups
/// (oldest first), units registered on their own, and units whose debug
/// object is still to come.
///
/// Groups are found by unit key and compactable groups by age in
/// O(log n): a process with a million live units removes one without
/// walking the others.
struct Registry {
    pending: Vec<Unit>,
    groups: BTreeMap<Place, Group>,
    /// The group holding each registered unit.
    owner: Option<HashMap<u64, Place>>,
    /// The places of compactable groups.
    compactable: BTreeSet<Place>,
    /// The next place at the end of the order.
    next: u64,
    reserved: Option<HashSet<u64>>,
    /// Units registered unbatched, by key, each a copy of its object with
    /// its entry ([`gdb_jit::register_owned`]): they are never merged or
    /// registered again, so they need no place in the order (a group, its
    /// place and its owner entry cost a kept unit some 200 bytes).
    singles: Option<HashMap<u64, OwnedRegistration>>,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    pending: Vec::new(),
    groups: BTreeMap::new(),
    owner: None,
    compactable: BTreeSet::new(),
    next: 0,
    reserved: None,
    singles: None,
});

impl Registry {
    /// A place after every group's.
    fn end(&mut self) -> Place {
        self.next += 1;
        (self.next, 0)
    }

    /// Puts `group` at `at`, or at the first free place after it among its
    /// siblings (groups registered again in one removal's place).
    fn insert(&mut self, mut at: Place, group: Group) {
        while self.groups.contains_key(&at) {
            at.1 += 1;
        }
        let owner = self.owner.get_or_insert_with(HashMap::new);
        for unit in &group.units {
            owner.insert(unit.key, at);
        }
        if group.compactable {
            self.compactable.insert(at);
        }
        self.groups.insert(at, group);
    }

    /// Takes the group at `at` out.
    fn take(&mut self, at: Place) -> Option<Group> {
        let group = self.groups.remove(&at)?;
        self.compactable.remove(&at);
        if let Some(owner) = self.owner.as_mut() {
            for unit in &group.units {
                owner.remove(&unit.key);
            }
            // A million units gone should not leave their table behind.
            if owner.capacity() > 1024 && owner.len() < owner.capacity() / 4 {
                owner.shrink_to_fit();
            }
        }
        Some(group)
    }
}

/// The sections a merged object may take from its units, with room left for
/// the DWARF sections and the symbol and string tables.
const SECTION_BUDGET: usize = merge::MAX_MERGED_SECTIONS - 64;

fn lock() -> std::sync::MutexGuard<'static, Registry> {
    REGISTRY.lock().unwrap_or_else(|e| e.into_inner())
}

/// Registers `units` as one object file, merged when there are several;
/// gives them back if they cannot be merged.
fn register_group(units: Vec<Unit>, batched: bool) -> Result<Group, Vec<Unit>> {
    let merged = if units.len() > 1 {
        let objects: Vec<&DebugPart> = units.iter().map(|u| &u.part).collect();
        match merge::merge(&objects) {
            Ok(merged) => Some(merged.into_boxed_slice()),
            Err(e) => {
                log::warn!(
                    "debugger registration: {} units registered one by one, as merging them failed: {e}",
                    units.len()
                );
                return Err(units);
            }
        }
    } else {
        None
    };
    // SAFETY (both): the bytes are the group's merged object or its unit's
    // own, boxed: they stay in place until the group is unregistered.
    let registered = match (&merged, units.first()) {
        (Some(merged), _) => unsafe { gdb_jit::register(merged) },
        (None, Some(unit)) => unsafe { gdb_jit::register(&unit.part.object) },
        (None, None) => return Err(units),
    };
    let compactable = batched && units.iter().all(|u| u.part.sites.is_some());
    Ok(Group {
        units,
        compactable,
        merged,
        registered,
    })
}

/// Registers `units` merged (or one by one if they cannot be) as groups
/// inserted at `at` in the registry's list.
fn register_at(registry: &mut Registry, at: Place, units: Vec<Unit>, batched: bool) {
    let groups = match register_group(units, batched) {
        Ok(group) => vec![group],
        Err(units) => units
            .into_iter()
            .filter_map(|unit| register_group(vec![unit], batched).ok())
            .collect(),
    };
    for group in groups {
        registry.insert(at, group);
    }
}

/// Unregisters a group taken out of the registry (its units may live on in
/// another group, registered before or after: see `remove_wrapper`).
fn unregister(group: Group) {
    gdb_jit::unregister(group.registered);
    drop(group.merged);
}

/// How many object files of similar size [`compact`] merges into one.
const FANOUT: usize = 8;

/// Keeps the number of object files from batched registrations logarithmic
/// in the number of units, for a runtime that runs code after every unit
/// (one flush each): while the [`FANOUT`] newest compactable groups are of
/// similar size (none more than twice another), they are replaced by one, as
/// a counter in base 8 carries. Each unit is merged again about log8(N)
/// times, there are at most about 7·log8(N) object files, and debuggers see
/// about 2.3 registrations or unregistrations per unit.
///
/// That pays under gdb, whose cost per registration grows with the number of
/// object files (it re-sets breakpoints over all of them): 1,000 units take
/// it 1.8 s instead of 4.2 s, 5,000 units 15 s instead of 107 s. lldb's cost
/// per registration hardly grows, so the extra registrations cost it more
/// than they save: with lldb attached (`lldb-server` traces the process),
/// nothing is merged after the flush.
///
/// While no debugger listens, the flush leaves compaction to the background
/// worker ([`compact_later`]): the unit is registered at once all the same,
/// and a debugger attaching later finds the object files compacted.
fn compact(registry: &mut Registry) {
    if traced_by_lldb() {
        return;
    }
    while let Some((newest, sizes)) = next_merge(registry) {
        let mut old: Vec<Group> = newest.iter().filter_map(|&at| registry.take(at)).collect();
        let units: Vec<Unit> = old
            .iter_mut()
            .flat_map(|g| std::mem::take(&mut g.units))
            .collect();
        match register_group(units, true) {
            Ok(group) => {
                // In the first merged group's place (the end, when the
                // newest groups merge).
                registry.insert(newest[0], group);
                old.into_iter().for_each(unregister);
            }
            Err(mut units) => {
                // Leave them as they were, and out of later merges.
                for (group, size) in old.iter_mut().zip(&sizes) {
                    let rest = units.split_off(*size);
                    group.units = std::mem::replace(&mut units, rest);
                    group.compactable = false;
                }
                for (group, at) in old.into_iter().zip(newest) {
                    registry.insert(at, group);
                }
                return;
            }
        }
    }
}

/// The first (oldest) [`FANOUT`] consecutive compactable groups of similar
/// size, and their sizes, if any: what [`compact`] merges next. When every
/// flush compacts (under a debugger), only the newest groups can qualify
/// (each flush adds one group at the end, and the merged group takes the
/// place of the first it replaces), so this is "the newest [`FANOUT`]"; when
/// the background worker compacts after several flushes, older runs are
/// found too, and the result is what compacting at each flush gives.
fn next_merge(registry: &Registry) -> Option<(Vec<Place>, Vec<usize>)> {
    let places: Vec<Place> = registry.compactable.iter().copied().collect();
    places.windows(FANOUT).find_map(|window| {
        let sizes: Vec<usize> = window
            .iter()
            .map(|at| registry.groups[at].units.len())
            .collect();
        let (smallest, largest) = (
            sizes.iter().copied().min().unwrap_or(0),
            sizes.iter().copied().max().unwrap_or(0),
        );
        let sections: usize = window.iter().map(|at| registry.groups[at].sections()).sum();
        (largest <= 2 * smallest && sections <= SECTION_BUDGET).then(|| (window.to_vec(), sizes))
    })
}

/// Whether a compaction is queued on the background worker.
static COMPACTION_QUEUED: AtomicBool = AtomicBool::new(false);

/// Compacts now if a debugger listens (gdb pays for every object file at
/// its next registration) or any tracer is attached (under one, nothing
/// goes to the worker: docs/architecture.md); otherwise, if there is
/// something to merge, returns a job for the background worker, to be
/// submitted once the registry's lock is released. A first call of a lazily
/// linked function (a flush per unit) does not wait for merges no debugger
/// is there to use.
fn compact_later(registry: &mut Registry) -> Option<background::Job> {
    if gdb_jit::debugger_listening() || background::traced() {
        compact(registry);
        return None;
    }
    if next_merge(registry).is_none() || COMPACTION_QUEUED.swap(true, Ordering::SeqCst) {
        return None;
    }
    Some(Box::new(|| {
        COMPACTION_QUEUED.store(false, Ordering::SeqCst);
        compact(&mut lock());
    }))
}

/// Whether lldb (through `lldb-server`) traces this process now, and
/// listens to JIT registrations. Only when a debugger listens
/// ([`gdb_jit::debugger_listening`], no system call) is `/proc` read to
/// tell which one.
fn traced_by_lldb() -> bool {
    if !gdb_jit::debugger_listening() {
        return false;
    }
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return false;
    };
    let tracer = status
        .lines()
        .find_map(|l| l.strip_prefix("TracerPid:"))
        .map(str::trim)
        .unwrap_or("0");
    tracer != "0"
        && std::fs::read_to_string(format!("/proc/{tracer}/comm"))
            .is_ok_and(|comm| comm.starts_with("lldb"))
}

/// Splits pending units into batches a merged object can hold.
fn batches(pending: Vec<Unit>) -> Vec<Vec<Unit>> {
    let mut batches: Vec<Vec<Unit>> = Vec::new();
    let mut used = usize::MAX;
    for unit in pending {
        if unit.part.sites.is_none() {
            batches.push(vec![unit]);
            used = usize::MAX;
            continue;
        }
        if used.saturating_add(unit.sections) > SECTION_BUDGET {
            batches.push(Vec::new());
            used = 0;
        }
        used += unit.sections;
        batches.last_mut().expect("pushed above").push(unit);
    }
    batches
}

/// Reads `(arg, len)` as a byte slice.
///
/// # Safety
/// `arg` must point to `len` readable bytes that outlive the returned slice.
unsafe fn arg_bytes<'a>(arg: *const u8, len: usize) -> Option<&'a [u8]> {
    if arg.is_null() {
        return None;
    }
    // SAFETY: the caller guarantees `len` readable bytes at `arg`.
    Some(unsafe { std::slice::from_raw_parts(arg, len) })
}

/// When a unit's debug object reaches debuggers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registration {
    /// At once: one object file per unit.
    PerUnit,
    /// At the next [`flush_wrapper`] call, merged with the other units waiting.
    Batched,
}

/// `add_arg`'s flags.
const BATCHED: u64 = 1;
const RESERVED: u64 = 2;

/// What [`add_arg`] appends to a debug object that has `sites` DWARF
/// sites, at most: room to reserve past the object.
pub fn add_arg_spare(sites: usize) -> usize {
    16 * sites + merge::WIRE_TRAILER + 16
}

/// Encodes the argument of [`add_wrapper`] in the part's own vector (with
/// room for it, no copy: [`add_arg_spare`]): the part's wire form, then the
/// flags and the key. `reserved` when the unit's key was given to
/// [`reserve_wrapper`] first.
pub fn add_arg(key: u64, registration: Registration, reserved: bool, part: DebugPart) -> Vec<u8> {
    let batched = registration == Registration::Batched;
    // A unit registered alone is never merged: its DWARF sites stay behind.
    let mut arg = part.into_wire(batched);
    let mut flags = 0;
    if batched {
        flags |= BATCHED;
    }
    if reserved {
        flags |= RESERVED;
    }
    arg.reserve(16);
    arg.extend_from_slice(&flags.to_le_bytes());
    arg.extend_from_slice(&key.to_le_bytes());
    arg
}

/// Reads an 8-byte key argument.
///
/// # Safety
/// `arg` must point to `len` readable bytes.
unsafe fn key_arg(arg: *const u8, len: usize) -> Option<u64> {
    // SAFETY: the caller guarantees `len` readable bytes at `arg`.
    let arg = (unsafe { arg_bytes(arg, len) }).filter(|a| a.len() == 8)?;
    Some(u64::from_le_bytes(arg.try_into().ok()?))
}

/// Reserves the 8-byte key in `arg` for a unit whose debug object comes
/// later ([`add_wrapper`] with `reserved`); removing the unit first cancels it.
///
/// # Safety
/// `arg` must point to `len` readable bytes.
pub unsafe extern "C" fn reserve_wrapper(arg: *const u8, len: usize) -> u64 {
    // SAFETY: as the caller guarantees.
    let Some(key) = (unsafe { key_arg(arg, len) }) else {
        return 1;
    };
    lock().reserved.get_or_insert_with(HashSet::new).insert(key);
    0
}

/// Adds a unit's debug object (the argument made by [`add_arg`]): registers
/// it now, or queues it for the next flush. A reserved unit removed
/// meanwhile is not added (3), nor a second unit under a key in use (4).
///
/// # Safety
/// `arg` must point to `len` readable bytes.
pub unsafe extern "C" fn add_wrapper(arg: *const u8, len: usize) -> u64 {
    // SAFETY: the caller guarantees `len` readable bytes at `arg`.
    let Some(arg) = (unsafe { arg_bytes(arg, len) }) else {
        return 1;
    };
    let Some(wire_len) = arg.len().checked_sub(16) else {
        return 1;
    };
    let (wire, words) = arg.split_at(wire_len);
    let flags = u64::from_le_bytes(words[..8].try_into().expect("8 bytes"));
    let key = u64::from_le_bytes(words[8..].try_into().expect("8 bytes"));
    // Batched units are kept for merges; a unit registered alone is copied
    // once, into its registration, straight from the argument.
    enum Adding<'a> {
        Batched(Unit),
        Alone(&'a [u8]),
    }
    let adding = if flags & BATCHED != 0 {
        let Some(part) = DebugPart::decode(wire) else {
            return 1;
        };
        Adding::Batched(Unit {
            key,
            sections: part.allocated_sections(),
            part,
        })
    } else {
        let Some(object) = DebugPart::object_in(wire) else {
            return 1;
        };
        Adding::Alone(object)
    };
    let mut registry = lock();
    if flags & RESERVED != 0 {
        let reserved = registry.reserved.as_mut().is_some_and(|r| r.remove(&key));
        if !reserved {
            return 3;
        }
    }
    match adding {
        Adding::Batched(unit) => registry.pending.push(unit),
        Adding::Alone(object) => {
            let singles = registry.singles.get_or_insert_with(HashMap::new);
            if singles.contains_key(&key) {
                // Keys are unique per unit: a second add is the caller's mistake.
                return 4;
            }
            // One allocation for the object and its entry; a map slot of 16
            // bytes a unit.
            let registered = gdb_jit::register_owned(object);
            singles.insert(key, registered);
        }
    }
    0
}

/// How many [`RemovalBatch`]es are alive.
static REMOVAL_BATCHES: AtomicUsize = AtomicUsize::new(0);

/// While one is alive, removing a unit from a merged object file unregisters
/// that object file and queues the rest of its units, unregistered, instead
/// of registering them again at once; they are registered, merged, when the
/// last batch ends (or at the next flush). Removing many units of one object
/// file then costs one unregistration, not a registration of the rest for
/// each unit: tearing down 10,000 batched units under gdb was quadratic.
/// Meanwhile a debugger does not see the queued units (it is told of them
/// when they are registered). Units registered on their own are unaffected.
#[must_use = "the batch ends when this is dropped"]
pub struct RemovalBatch(());

/// Starts a [`RemovalBatch`].
pub fn batch_removals() -> RemovalBatch {
    REMOVAL_BATCHES.fetch_add(1, Ordering::SeqCst);
    RemovalBatch(())
}

impl Drop for RemovalBatch {
    fn drop(&mut self) {
        if REMOVAL_BATCHES.fetch_sub(1, Ordering::SeqCst) == 1 {
            // SAFETY: the flush reads no argument.
            unsafe { flush_wrapper(std::ptr::null(), 0) };
        }
    }
}

/// Registers every queued unit, merged into as few object files as fit.
///
/// # Safety
/// Callable with any argument (it reads none).
pub unsafe extern "C" fn flush_wrapper(_arg: *const u8, _len: usize) -> u64 {
    let mut registry = lock();
    let pending = std::mem::take(&mut registry.pending);
    let mut later = None;
    for batch in batches(pending) {
        let at = registry.end();
        register_at(&mut registry, at, batch, true);
        later = later.or(compact_later(&mut registry));
    }
    drop(registry);
    // Submitted unlocked: without a thread, the worker runs it here.
    if let Some(job) = later {
        background::submit(job);
    }
    0
}

/// Removes the unit added (or reserved) under the 8-byte key in `arg`. A unit
/// merged with others leaves their object file, which is registered again
/// without it.
///
/// # Safety
/// `arg` must point to `len` readable bytes.
pub unsafe extern "C" fn remove_wrapper(arg: *const u8, len: usize) -> u64 {
    // SAFETY: as the caller guarantees.
    let Some(key) = (unsafe { key_arg(arg, len) }) else {
        return 1;
    };
    let mut registry = lock();
    if registry.reserved.as_mut().is_some_and(|r| r.remove(&key)) {
        // Its debug object has not come yet, and now will not be added.
        return 0;
    }
    if let Some(position) = registry.pending.iter().position(|u| u.key == key) {
        // Order does not matter to a merge; a batch of removals takes the
        // queue's units from the front.
        registry.pending.swap_remove(position);
        return 0;
    }
    if let Some(singles) = registry.singles.as_mut() {
        if let Some(single) = singles.remove(&key) {
            // A million units gone should not leave their table behind.
            if singles.capacity() > 1024 && singles.len() < singles.capacity() / 4 {
                singles.shrink_to_fit();
            }
            // As below: the object goes, then gdb re-sets its breakpoints.
            gdb_jit::unregister_owned(single);
            if !traced_by_lldb() {
                resync_breakpoints();
            }
            return 0;
        }
    }
    let Some(position) = registry.owner.as_ref().and_then(|o| o.get(&key).copied()) else {
        return 2;
    };
    let Some(mut group) = registry.take(position) else {
        return 2;
    };
    // The removed unit's object stays alive until its entry is unlinked.
    let (_removed, rest): (Vec<Unit>, Vec<Unit>) = std::mem::take(&mut group.units)
        .into_iter()
        .partition(|u| u.key == key);
    let batched = group.compactable;
    // The old object goes first. lldb unloads an object's sections by
    // address: unregistered after a new object at the same addresses, the
    // old one would take the new one's sections with it. gdb re-sets its
    // breakpoints only when an object is registered, so a registration must
    // follow while the removed code is still mapped: see `resync_breakpoints`.
    unregister(group);
    let deferred = batched && REMOVAL_BATCHES.load(Ordering::SeqCst) > 0;
    if rest.is_empty() || deferred {
        // The rest (if any) waits for the batch's end.
        registry.pending.extend(rest);
        if !traced_by_lldb() {
            resync_breakpoints();
        }
    } else {
        register_at(&mut registry, position, rest, batched);
    }
    0
}

/// Makes gdb re-set its breakpoints now, by registering and unregistering
/// an object file with nothing in it.
///
/// gdb drops an unregistered object's symbols but keeps its breakpoint
/// locations, still inserted, until the next registration. By then the
/// code is unmapped; if new code lands at the same address (the memory
/// manager reuses freed ranges), the new location inherits the "inserted"
/// state of the old one, no breakpoint instruction is written into the new
/// code, and the breakpoint is never hit again. Re-set while the removed
/// code is still mapped, gdb takes its breakpoint instructions out, and the
/// next registration inserts them into the new code.
///
/// The caller holds REGISTRY's lock.
fn resync_breakpoints() {
    static EMPTY: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    let empty = EMPTY.get_or_init(super::empty_object);
    // SAFETY: the empty object lives in a static, for the process.
    gdb_jit::unregister(unsafe { gdb_jit::register(empty) });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gdb_jit::registered_objects;

    fn part() -> DebugPart {
        DebugPart {
            object: b"\x7fELF-not-really".to_vec(),
            sites: None,
        }
    }

    /// The tests count the process's registered objects: one at a time.
    fn serial() -> std::sync::MutexGuard<'static, ()> {
        crate::gdb_jit::test_serial()
    }

    fn call(wrapper: unsafe extern "C" fn(*const u8, usize) -> u64, arg: &[u8]) -> u64 {
        // SAFETY: `arg` is a live buffer of the given length.
        unsafe { wrapper(arg.as_ptr(), arg.len()) }
    }

    #[test]
    fn add_and_remove_keep_the_list_consistent() {
        let _serial = serial();
        let start = registered_objects().len();
        let keys: Vec<u64> = (0xfeed_0000u64..0xfeed_0004).collect();
        for &key in &keys {
            assert_eq!(
                call(
                    add_wrapper,
                    &add_arg(key, Registration::PerUnit, false, part())
                ),
                0
            );
        }
        assert_eq!(registered_objects().len(), start + 4);
        assert_eq!(
            call(
                add_wrapper,
                &add_arg(keys[2], Registration::PerUnit, false, part())
            ),
            4,
            "a key in use"
        );
        assert_eq!(registered_objects().len(), start + 4);
        for key in [keys[1], keys[3], keys[0], keys[2]] {
            assert_eq!(call(remove_wrapper, &key.to_le_bytes()), 0);
        }
        assert_eq!(registered_objects().len(), start);
        assert_eq!(
            call(remove_wrapper, &keys[0].to_le_bytes()),
            2,
            "unknown key"
        );
        assert_eq!(call(add_wrapper, &[1, 2, 3]), 1, "malformed argument");
    }

    #[test]
    fn only_batched_units_carry_their_dwarf_sites() {
        let _serial = serial();
        let mut with_sites = part();
        with_sites.sites = Some(vec![super::super::merge::DwarfSite {
            section: 1,
            target: 2,
            width: 4,
            offset: 8,
        }]);
        let object = with_sites.object.len();
        let alone = add_arg(
            0xfeed_2000,
            Registration::PerUnit,
            false,
            with_sites.clone(),
        );
        assert_eq!(alone.len(), 32 + object, "no sites for a unit never merged");
        let batched = add_arg(0xfeed_2001, Registration::Batched, false, with_sites);
        assert_eq!(batched.len(), 32 + object + 16);
        // Registered alone, straight from the argument.
        let start = registered_objects().len();
        assert_eq!(call(add_wrapper, &alone), 0);
        assert_eq!(registered_objects().len(), start + 1);
        assert_eq!(call(remove_wrapper, &0xfeed_2000u64.to_le_bytes()), 0);
        assert_eq!(registered_objects().len(), start);
    }

    #[test]
    fn a_reserved_unit_removed_before_its_object_comes_is_never_registered() {
        let _serial = serial();
        let start = registered_objects().len();
        let key = 0xfeed_1000u64;
        assert_eq!(call(reserve_wrapper, &key.to_le_bytes()), 0);
        assert_eq!(call(remove_wrapper, &key.to_le_bytes()), 0);
        let late = add_arg(key, Registration::PerUnit, true, part());
        assert_eq!(call(add_wrapper, &late), 3, "added after its removal");
        assert_eq!(registered_objects().len(), start);

        let key = 0xfeed_1001u64;
        assert_eq!(call(reserve_wrapper, &key.to_le_bytes()), 0);
        let on_time = add_arg(key, Registration::PerUnit, true, part());
        assert_eq!(call(add_wrapper, &on_time), 0);
        assert_eq!(registered_objects().len(), start + 1);
        assert_eq!(call(remove_wrapper, &key.to_le_bytes()), 0);
        assert_eq!(registered_objects().len(), start);
    }
}
