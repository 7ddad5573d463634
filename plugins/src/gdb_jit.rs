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
//! Registration and unregistration are allocation actions (wrapper functions
//! taking `(arg, len)`): debuggers read only `relevant_entry` at each hook hit,
//! so every change calls the hook at once, under a process-wide lock.

use std::sync::Mutex;

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

/// A registered object: its entry and bytes, owned here until unregistered.
struct Registration {
    key: u64,
    entry: *mut JitCodeEntry,
    bytes: *mut [u8],
}

// SAFETY: the raw pointers are owned by the registry and only touched under REGISTRY's lock.
unsafe impl Send for Registration {}

/// Registered objects by key; the lock also guards the descriptor's list.
static REGISTRY: Mutex<Vec<Registration>> = Mutex::new(Vec::new());

fn descriptor() -> *mut JitDescriptor {
    &raw mut __jit_debug_descriptor
}

/// Registers a debug object: `arg` is an 8-byte key followed by the object's bytes.
///
/// # Safety
/// `arg` must point to `len` readable bytes.
pub unsafe extern "C" fn register_wrapper(arg: *const u8, len: usize) -> u64 {
    if arg.is_null() || len < 8 {
        return 1;
    }
    // SAFETY: the caller guarantees `len` readable bytes at `arg`.
    let arg = unsafe { std::slice::from_raw_parts(arg, len) };
    let key = u64::from_le_bytes(arg[..8].try_into().expect("8 bytes"));
    let bytes: *mut [u8] = Box::into_raw(arg[8..].to_vec().into_boxed_slice());
    let entry = Box::into_raw(Box::new(JitCodeEntry {
        next_entry: std::ptr::null_mut(),
        prev_entry: std::ptr::null_mut(),
        symfile_addr: bytes as *const u8,
        symfile_size: bytes.len() as u64,
    }));
    let mut registry = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
    let d = descriptor();
    // SAFETY: the descriptor and every entry in its list are only modified under
    // REGISTRY's lock; `entry` is a fresh allocation owned by the registry.
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
    registry.push(Registration { key, entry, bytes });
    0
}

/// Unregisters the debug object registered under the 8-byte key in `arg`.
///
/// # Safety
/// `arg` must point to `len` readable bytes.
pub unsafe extern "C" fn unregister_wrapper(arg: *const u8, len: usize) -> u64 {
    if arg.is_null() || len != 8 {
        return 1;
    }
    // SAFETY: the caller guarantees `len` readable bytes at `arg`.
    let key = u64::from_le_bytes(
        unsafe { std::slice::from_raw_parts(arg, 8) }
            .try_into()
            .expect("8 bytes"),
    );
    let mut registry = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
    let Some(position) = registry.iter().position(|r| r.key == key) else {
        return 2;
    };
    let registration = registry.swap_remove(position);
    let d = descriptor();
    // SAFETY: under REGISTRY's lock; the entry is in the list (registered above),
    // its neighbours are live entries, and nothing refers to it once unlinked.
    unsafe {
        let entry = registration.entry;
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
        drop(Box::from_raw(registration.bytes));
    }
    0
}

/// The objects currently in the descriptor's list, as (address, size), walking
/// it as a debugger does.
pub fn registered_objects() -> Vec<(u64, u64)> {
    let _registry = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
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

    #[test]
    fn register_and_unregister_keep_the_list_consistent() {
        let start = registered_objects().len();
        let mut keys = Vec::new();
        for key in 0xfeed_0000u64..0xfeed_0004 {
            let mut arg = key.to_le_bytes().to_vec();
            arg.extend_from_slice(b"\x7fELF-not-really");
            // SAFETY: `arg` is a live buffer of the given length.
            assert_eq!(unsafe { register_wrapper(arg.as_ptr(), arg.len()) }, 0);
            keys.push(key);
        }
        assert_eq!(registered_objects().len(), start + 4);
        for key in [keys[1], keys[3], keys[0], keys[2]] {
            let arg = key.to_le_bytes();
            // SAFETY: as above.
            assert_eq!(unsafe { unregister_wrapper(arg.as_ptr(), arg.len()) }, 0);
        }
        assert_eq!(registered_objects().len(), start);
        let arg = 0xfeed_0000u64.to_le_bytes();
        // SAFETY: as above.
        assert_eq!(
            unsafe { unregister_wrapper(arg.as_ptr(), arg.len()) },
            2,
            "unknown key"
        );
    }
}
