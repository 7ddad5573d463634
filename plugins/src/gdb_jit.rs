//! The GDB JIT interface, and nothing else: `__jit_debug_descriptor` and
//! `__jit_debug_register_code`, which gdb and lldb break on to learn about
//! JIT'd object files; register bytes and get a handle, unregister the
//! handle. Which objects to register, merged or not, is the registry's
//! business ([`crate::debug_object::registry`]); this module is what an
//! executor process needs.
//!
//! Both symbols are defined here as *weak* symbols in assembly: another JIT
//! runtime in the process (LLVM, wasmtime) may own them without a link clash,
//! no C compiler is needed, and no optimizer can remove the hook (its body is
//! opaque `ret`). Binaries must keep them visible to debuggers:
//! `-Wl,--export-dynamic-symbol=__jit_debug_register_code` and
//! `-Wl,--export-dynamic-symbol=__jit_debug_descriptor` (the `lantern` CLI's
//! build script passes both).
//!
//! Debuggers read only `relevant_entry` at each hook hit, so every change of
//! the list calls the hook at once, under one process-wide lock.

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

/// Guards the descriptor and its list.
static LOCK: Mutex<()> = Mutex::new(());

fn descriptor() -> *mut JitDescriptor {
    &raw mut __jit_debug_descriptor
}

/// An object file in the descriptor's list, from [`register`].
#[derive(Debug)]
pub struct Registered {
    entry: *mut JitCodeEntry,
}

// SAFETY: the entry is owned by its handle and only touched under LOCK.
unsafe impl Send for Registered {}

/// Puts `bytes` first in the descriptor's list and tells the debugger.
///
/// # Safety
/// `bytes` must stay alive, at the same address, until the handle is given
/// to [`unregister`]: debuggers read them from the process at any time.
pub unsafe fn register(bytes: &[u8]) -> Registered {
    let entry = Box::into_raw(Box::new(JitCodeEntry {
        next_entry: std::ptr::null_mut(),
        prev_entry: std::ptr::null_mut(),
        symfile_addr: bytes.as_ptr(),
        symfile_size: bytes.len() as u64,
    }));
    // SAFETY: a fresh entry describing bytes the caller keeps alive.
    unsafe { link(entry) };
    Registered { entry }
}

/// Takes an object file out of the descriptor's list and tells the debugger;
/// its bytes may go once this returns.
pub fn unregister(registered: Registered) {
    // SAFETY: handles are only made by `register` and consumed here: the
    // entry is in the list, and its box is ours once unlinked.
    unsafe {
        unlink(registered.entry);
        drop(Box::from_raw(registered.entry));
    }
}

/// An object file registered by [`register_owned`]: a copy of it and its
/// entry in one allocation.
#[derive(Debug)]
pub struct OwnedRegistration {
    /// The allocation's start: the entry, then the object's bytes.
    words: *mut u64,
}

// SAFETY: the allocation is owned by its handle; the entry is only touched
// under LOCK.
unsafe impl Send for OwnedRegistration {}

/// Words of the entry at the start of an owned registration.
const ENTRY_WORDS: usize = std::mem::size_of::<JitCodeEntry>() / 8;

/// Registers a copy of `object`, its entry in the same allocation: a
/// runtime that keeps a million objects registered keeps no entry box each
/// (48 bytes with malloc's header and rounding) and no separate object.
pub fn register_owned(object: &[u8]) -> OwnedRegistration {
    let mut words = vec![0u64; ENTRY_WORDS + object.len().div_ceil(8)].into_boxed_slice();
    let bytes = words[ENTRY_WORDS..].as_mut_ptr().cast::<u8>();
    // SAFETY: the words after the entry hold at least `object.len()` bytes.
    unsafe { std::ptr::copy_nonoverlapping(object.as_ptr(), bytes, object.len()) };
    let words = Box::into_raw(words).cast::<u64>();
    let entry = words.cast::<JitCodeEntry>();
    // SAFETY: the allocation starts with room for an entry, 8-byte aligned,
    // and its bytes live, unmoved, until `unregister_owned` frees them.
    unsafe {
        entry.write(JitCodeEntry {
            next_entry: std::ptr::null_mut(),
            prev_entry: std::ptr::null_mut(),
            symfile_addr: bytes,
            symfile_size: object.len() as u64,
        });
        link(entry);
    }
    OwnedRegistration { words }
}

/// Unregisters an object of [`register_owned`] and frees its copy.
pub fn unregister_owned(registered: OwnedRegistration) {
    let entry = registered.words.cast::<JitCodeEntry>();
    // SAFETY: the handle's allocation starts with its entry, in the list;
    // once unlinked nothing refers to it, and its length in words follows
    // from the object's size, as `register_owned` made it.
    unsafe {
        let size = (*entry).symfile_size as usize;
        unlink(entry);
        let len = ENTRY_WORDS + size.div_ceil(8);
        drop(Box::from_raw(std::ptr::slice_from_raw_parts_mut(
            registered.words,
            len,
        )));
    }
}

/// Puts `entry` first in the list and calls the hook.
///
/// # Safety
/// `entry` must be valid, in no list, and stay valid until unlinked.
unsafe fn link(entry: *mut JitCodeEntry) {
    let _lock = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let d = descriptor();
    // SAFETY: the descriptor and every entry in its list are only modified
    // under LOCK; `entry` is valid and ours, per the caller.
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
}

/// Takes `entry` out of the list and calls the hook.
///
/// # Safety
/// `entry` must be in the list (put there by [`link`]).
unsafe fn unlink(entry: *mut JitCodeEntry) {
    let _lock = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let d = descriptor();
    // SAFETY: under LOCK; the entry is in the list, per the caller, and its
    // neighbours are live entries.
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
    }
}

/// Whether a debugger listens to registrations now: gdb and lldb learn of
/// JIT'd objects through a software breakpoint (`int3`) at the start of
/// `__jit_debug_register_code`, inserted whenever the process runs. No
/// system call: a runtime may ask at every registration.
///
/// A debugger that is attached but does not listen (lldb with its JIT
/// loader off) reads as not listening; one that used a hardware breakpoint
/// instead would too (neither gdb 13 nor lldb-19 does).
pub fn debugger_listening() -> bool {
    let hook = __jit_debug_register_code as *const u8;
    // SAFETY: the hook is a function of this process (or of another JIT
    // runtime's that owns the weak symbol): its first byte is mapped and
    // readable (code pages are read-execute). Volatile: a debugger rewrites
    // it behind the compiler's back.
    unsafe { std::ptr::read_volatile(hook) == 0xcc }
}

/// The objects currently in the descriptor's list, as (address, size), walking
/// it as a debugger does.
pub fn registered_objects() -> Vec<(u64, u64)> {
    let _lock = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let mut objects = Vec::new();
    // SAFETY: under LOCK the list is consistent and its entries live.
    unsafe {
        let mut entry = (*descriptor()).first_entry;
        while !entry.is_null() {
            objects.push(((*entry).symfile_addr as u64, (*entry).symfile_size));
            entry = (*entry).next_entry;
        }
    }
    objects
}

/// Tests that register objects or count them take this, one at a time (the
/// list is the process's).
#[cfg(test)]
pub(crate) fn test_serial() -> std::sync::MutexGuard<'static, ()> {
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_bytes_are_listed_until_unregistered() {
        let _serial = test_serial();
        let bytes = b"\x7fELF-not-really".to_vec();
        // SAFETY: `bytes` outlives the registration.
        let handle = unsafe { register(&bytes) };
        let entry = (bytes.as_ptr() as u64, bytes.len() as u64);
        assert!(registered_objects().contains(&entry));
        unregister(handle);
        assert!(!registered_objects().contains(&entry));
    }

    #[test]
    fn an_owned_copy_is_listed_until_unregistered() {
        let _serial = test_serial();
        for len in [0usize, 1, 7, 8, 9, 1500] {
            let object: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let handle = register_owned(&object);
            let listed = registered_objects();
            let (addr, size) = *listed.first().expect("listed first");
            assert_eq!(size, len as u64);
            // SAFETY: the copy lives until unregistered below.
            let copy = unsafe { std::slice::from_raw_parts(addr as *const u8, len) };
            assert_eq!(copy, &object[..]);
            unregister_owned(handle);
            assert!(!registered_objects().contains(&(addr, size)));
        }
    }
}
