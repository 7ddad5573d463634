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
    let _lock = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let d = descriptor();
    // SAFETY: the descriptor and every entry in its list are only modified
    // under LOCK; `entry` is a fresh allocation.
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
    Registered { entry }
}

/// Takes an object file out of the descriptor's list and tells the debugger;
/// its bytes may go once this returns.
pub fn unregister(registered: Registered) {
    let entry = registered.entry;
    let _lock = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let d = descriptor();
    // SAFETY: under LOCK; the entry is in the list (handles are only made by
    // `register` and consumed here), its neighbours are live entries, and
    // nothing refers to it once unlinked.
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
}
