//! Functions a native link takes from the toolchain's static parts
//! (libc_nonshared.a, crt files) that libc.so does not export.

use std::ffi::{c_int, c_void};

extern "C" {
    fn __cxa_atexit(
        f: unsafe extern "C" fn(*mut c_void),
        arg: *mut c_void,
        dso: *mut c_void,
    ) -> c_int;
    fn __cxa_at_quick_exit(f: unsafe extern "C" fn(*mut c_void), dso: *mut c_void) -> c_int;
}

/// `atexit` as libc_nonshared.a defines it: `__cxa_atexit(f, NULL, NULL)`.
unsafe extern "C" fn lantern_atexit(f: unsafe extern "C" fn()) -> c_int {
    // SAFETY: a handler taking no argument may be called with one on x86-64
    // (the argument register is ignored), which is what libc_nonshared does too.
    unsafe {
        let f: unsafe extern "C" fn(*mut c_void) = std::mem::transmute(f);
        __cxa_atexit(f, std::ptr::null_mut(), std::ptr::null_mut())
    }
}

/// `at_quick_exit` as libc_nonshared.a defines it.
unsafe extern "C" fn lantern_at_quick_exit(f: unsafe extern "C" fn()) -> c_int {
    // SAFETY: as for `lantern_atexit`.
    unsafe {
        let f: unsafe extern "C" fn(*mut c_void) = std::mem::transmute(f);
        __cxa_at_quick_exit(f, std::ptr::null_mut())
    }
}

// The resolver of a static TLS descriptor (what glibc calls
// `_dl_tlsdesc_return`): called with the descriptor's address in %rax, it
// returns the variable's offset from the thread pointer, the descriptor's
// second word, and preserves every other register.
std::arch::global_asm!(
    ".pushsection .text.__lantern_tlsdesc_static,\"ax\",@progbits",
    ".globl __lantern_tlsdesc_static",
    ".hidden __lantern_tlsdesc_static",
    ".type __lantern_tlsdesc_static,@function",
    "__lantern_tlsdesc_static:",
    "    mov rax, qword ptr [rax + 8]",
    "    ret",
    ".size __lantern_tlsdesc_static, . - __lantern_tlsdesc_static",
    ".popsection",
);

extern "C" {
    fn __lantern_tlsdesc_static();
}

/// The runtime helpers by name.
pub(crate) fn lookup(name: &str) -> Option<u64> {
    let f: usize = match name {
        crate::arch::x86_64::TLSDESC_RESOLVER_SYMBOL => {
            __lantern_tlsdesc_static as *const () as usize
        }
        crate::lazy::REENTRY_SYMBOL => crate::lazy::reentry_addr() as usize,
        "atexit" => lantern_atexit as *const () as usize,
        "at_quick_exit" => lantern_at_quick_exit as *const () as usize,
        _ => return None,
    };
    Some(f as u64)
}
