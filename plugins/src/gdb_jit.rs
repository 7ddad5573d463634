//! The GDB JIT interface: `__jit_debug_descriptor` and
//! `__jit_debug_register_code`, which gdb and lldb break on to learn about
//! JIT'd objects.
//!
//! Both symbols are defined here as *weak* symbols in assembly: another JIT
//! runtime in the process (LLVM, wasmtime) may own them without a link clash,
//! no C compiler is needed, and no optimizer can remove the hook (its body is
//! opaque `ret`). Binaries must keep them visible to debuggers:
//! `-Wl,--export-dynamic-symbol=__jit_debug_register_code` and
//! `-Wl,--export-dynamic-symbol=__jit_debug_descriptor` (the `lantern` CLI's
//! build script passes both).
//!
//! Adding and removing a unit are allocation actions (wrapper functions
//! taking `(arg, len)`): debuggers read only `relevant_entry` at each hook hit,
//! so every change of the list calls the hook at once, under a process-wide
//! lock. A unit added [`Registration::Batched`] waits for [`flush_wrapper`],
//! which merges every waiting unit into one object file
//! ([`merge`](crate::debug_object::merge)): debuggers pay per object file, so
//! a thousand units added one by one then cost about what one unit of a
//! thousand objects does. Removing a merged unit registers its group again
//! without it.

use std::sync::Mutex;

use crate::debug_object::{merge, DebugPart};

std::arch::global_asm!(
    ".pushsection .text.__jit_debug_register_code,\"ax\",@progbits",
    ".weak __jit_debug_register_code",
    ".type __jit_debug_register_code,@function",
    "__jit_debug_register_code:",
    "    ret",
    ".size __jit_debug_register_code, . - __jit_debug_register_code",
    ".popsection",
    ".pushsection .data.__jit_debug_descriptor,\"aw\",@progbits",
    ".weak __jit_debug_descriptor",
    ".type __jit_debug_descriptor,@object",
    ".p2align 3",
    "__jit_debug_descriptor:",
    "    .long 1", // version
    "    .long 0", // action_flag
    "    .quad 0", // relevant_entry
    "    .quad 0", // first_entry
    ".size __jit_debug_descriptor, 24",
    ".popsection",
);

const JIT_NOACTION: u32 = 0;
const JIT_REGISTER_FN: u32 = 1;
const JIT_UNREGISTER_FN: u32 = 2;

#[repr(C)]
struct JitCodeEntry {
    next_entry: *mut JitCodeEntry,
    prev_entry: *mut JitCodeEntry,
    symfile_addr: *const u8,
    symfile_size: u64,
}

#[repr(C)]
struct JitDescriptor {
    version: u32,
    action_flag: u32,
    relevant_entry: *mut JitCodeEntry,
    first_entry: *mut JitCodeEntry,
}

extern "C" {
    fn __jit_debug_register_code();
    static mut __jit_debug_descriptor: JitDescriptor;
}

/// A registered object file: the units whose debug objects it holds, and
/// its entry in the descriptor's list.
struct Group {
    parts: Vec<(u64, DebugPart)>,
    /// The merged object, when the group has more than one part (otherwise
    /// the entry points at the part's own object).
    _merged: Option<Box<[u8]>>,
    entry: *mut JitCodeEntry,
}

// SAFETY: the entry is owned by the registry and only touched under REGISTRY's lock.
unsafe impl Send for Group {}

/// Units whose registration waits for the next flush, and registered groups.
struct Registry {
    pending: Vec<(u64, DebugPart)>,
    groups: Vec<Group>,
}

/// The lock also guards the descriptor's list.
static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    pending: Vec::new(),
    groups: Vec::new(),
});

fn lock() -> std::sync::MutexGuard<'static, Registry> {
    REGISTRY.lock().unwrap_or_else(|e| e.into_inner())
}

fn descriptor() -> *mut JitDescriptor {
    &raw mut __jit_debug_descriptor
}

/// Puts `bytes` first in the descriptor's list and tells the debugger.
/// The caller holds REGISTRY's lock and keeps `bytes` alive until [`unlink`].
fn link(bytes: &[u8]) -> *mut JitCodeEntry {
    let entry = Box::into_raw(Box::new(JitCodeEntry {
        next_entry: std::ptr::null_mut(),
        prev_entry: std::ptr::null_mut(),
        symfile_addr: bytes.as_ptr(),
        symfile_size: bytes.len() as u64,
    }));
    let d = descriptor();
    // SAFETY: the descriptor and every entry in its list are only modified under
    // REGISTRY's lock (held by the caller); `entry` is a fresh allocation.
    unsafe {
        let first = (*d).first_entry;
        (*entry).next_entry = first;
        if !first.is_null() {
            (*first).prev_entry = entry;
        }
        (*d).first_entry = entry;
        (*d).relevant_entry = entry;
        (*d).action_flag = JIT_REGISTER_FN;
        __jit_debug_register_code();
        (*d).action_flag = JIT_NOACTION;
        (*d).relevant_entry = std::ptr::null_mut();
    }
    entry
}

/// Takes an entry made by [`link`] out of the list, tells the debugger, frees it.
fn unlink(entry: *mut JitCodeEntry) {
    let d = descriptor();
    // SAFETY: under REGISTRY's lock (held by the caller); the entry is in the
    // list, its neighbours are live entries, and nothing refers to it once unlinked.
    unsafe {
        let (prev, next) = ((*entry).prev_entry, (*entry).next_entry);
        if prev.is_null() {
            (*d).first_entry = next;
        } else {
            (*prev).next_entry = next;
        }
        if !next.is_null() {
            (*next).prev_entry = prev;
        }
        (*d).relevant_entry = entry;
        (*d).action_flag = JIT_UNREGISTER_FN;
        __jit_debug_register_code();
        (*d).action_flag = JIT_NOACTION;
        (*d).relevant_entry = std::ptr::null_mut();
        drop(Box::from_raw(entry));
    }
}

/// Registers `parts` as one object file (merged when there are several); if
/// they cannot be merged, each is registered alone.
fn register(registry: &mut Registry, parts: Vec<(u64, DebugPart)>) {
    if parts.len() > 1 {
        let objects: Vec<&DebugPart> = parts.iter().map(|(_, p)| p).collect();
        match merge::merge(&objects) {
            Ok(merged) => {
                let merged = merged.into_boxed_slice();
                let entry = link(&merged);
                registry.groups.push(Group {
                    parts,
                    _merged: Some(merged),
                    entry,
                });
                return;
            }
            Err(e) => log::warn!(
                "debugger registration: {} units registered one by one, as merging them failed: {e}",
                parts.len()
            ),
        }
    }
    for part in parts {
        let entry = link(&part.1.object);
        registry.groups.push(Group {
            parts: vec![part],
            _merged: None,
            entry,
        });
    }
}

/// Splits pending parts into batches a merged object can hold.
fn batches(pending: Vec<(u64, DebugPart)>) -> Vec<Vec<(u64, DebugPart)>> {
    // Room for the DWARF sections and the symbol and string tables.
    let budget = merge::MAX_MERGED_SECTIONS - 64;
    let mut batches: Vec<Vec<(u64, DebugPart)>> = Vec::new();
    let mut used = usize::MAX;
    for part in pending {
        if part.1.sites.is_none() {
            batches.push(vec![part]);
            used = usize::MAX;
            continue;
        }
        let sections = part.1.allocated_sections();
        if used.saturating_add(sections) > budget {
            batches.push(Vec::new());
            used = 0;
        }
        used += sections;
        batches.last_mut().expect("pushed above").push(part);
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

/// Encodes the argument of [`add_wrapper`].
pub fn add_arg(key: u64, registration: Registration, part: &DebugPart) -> Vec<u8> {
    let mut arg = Vec::with_capacity(24 + part.object.len());
    arg.extend_from_slice(&key.to_le_bytes());
    arg.extend_from_slice(&u64::from(registration == Registration::Batched).to_le_bytes());
    part.encode(&mut arg);
    arg
}

/// Adds a unit's debug object (the argument made by [`add_arg`]): registers
/// it now, or queues it for the next flush.
///
/// # Safety
/// `arg` must point to `len` readable bytes.
pub unsafe extern "C" fn add_wrapper(arg: *const u8, len: usize) -> u64 {
    // SAFETY: the caller guarantees `len` readable bytes at `arg`.
    let Some(arg) = (unsafe { arg_bytes(arg, len) }) else {
        return 1;
    };
    let (Some(key), Some(batched), Some(part)) = (
        arg.get(..8),
        arg.get(8..16),
        arg.get(16..).and_then(DebugPart::decode),
    ) else {
        return 1;
    };
    let key = u64::from_le_bytes(key.try_into().expect("8 bytes"));
    let mut registry = lock();
    if batched[0] == 1 {
        registry.pending.push((key, part));
    } else {
        register(&mut registry, vec![(key, part)]);
    }
    0
}

/// Registers every queued unit, merged into as few object files as fit.
///
/// # Safety
/// Callable with any argument (it reads none).
pub unsafe extern "C" fn flush_wrapper(_arg: *const u8, _len: usize) -> u64 {
    let mut registry = lock();
    let pending = std::mem::take(&mut registry.pending);
    for batch in batches(pending) {
        register(&mut registry, batch);
    }
    0
}

/// Removes the unit added under the 8-byte key in `arg`. A unit merged with
/// others leaves their object file, which is registered again without it.
///
/// # Safety
/// `arg` must point to `len` readable bytes.
pub unsafe extern "C" fn remove_wrapper(arg: *const u8, len: usize) -> u64 {
    // SAFETY: the caller guarantees `len` readable bytes at `arg`.
    let Some(arg) = (unsafe { arg_bytes(arg, len) }).filter(|a| a.len() == 8) else {
        return 1;
    };
    let key = u64::from_le_bytes(arg.try_into().expect("8 bytes"));
    let mut registry = lock();
    if let Some(position) = registry.pending.iter().position(|(k, _)| *k == key) {
        registry.pending.remove(position);
        return 0;
    }
    let Some(position) = registry
        .groups
        .iter()
        .position(|g| g.parts.iter().any(|(k, _)| *k == key))
    else {
        return 2;
    };
    let group = registry.groups.swap_remove(position);
    unlink(group.entry);
    let rest: Vec<_> = group.parts.into_iter().filter(|(k, _)| *k != key).collect();
    if !rest.is_empty() {
        register(&mut registry, rest);
    }
    0
}

/// The objects currently in the descriptor's list, as (address, size), walking
/// it as a debugger does.
pub fn registered_objects() -> Vec<(u64, u64)> {
    let _registry = lock();
    let mut objects = Vec::new();
    // SAFETY: under REGISTRY's lock the list is consistent and its entries live.
    unsafe {
        let mut entry = (*descriptor()).first_entry;
        while !entry.is_null() {
            objects.push(((*entry).symfile_addr as u64, (*entry).symfile_size));
            entry = (*entry).next_entry;
        }
    }
    objects
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part() -> DebugPart {
        DebugPart {
            object: b"\x7fELF-not-really".to_vec().into_boxed_slice(),
            sites: None,
        }
    }

    fn call(wrapper: unsafe extern "C" fn(*const u8, usize) -> u64, arg: &[u8]) -> u64 {
        // SAFETY: `arg` is a live buffer of the given length.
        unsafe { wrapper(arg.as_ptr(), arg.len()) }
    }

    #[test]
    fn add_and_remove_keep_the_list_consistent() {
        let start = registered_objects().len();
        let keys: Vec<u64> = (0xfeed_0000u64..0xfeed_0004).collect();
        for &key in &keys {
            assert_eq!(
                call(add_wrapper, &add_arg(key, Registration::PerUnit, &part())),
                0
            );
        }
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
}
