//! What a native link takes from libc_nonshared.a and libc.so does not
//! export: `atexit` and `at_quick_exit`, offered to the controller's
//! lookups as the in-process executor does (core/src/executor/runtime.rs).

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
unsafe extern "C" fn executor_atexit(f: unsafe extern "C" fn()) -> c_int {
    // SAFETY: a handler taking no argument may be called with one on x86-64
    // (the register is ignored), which is what libc_nonshared does too.
    unsafe {
        let f: unsafe extern "C" fn(*mut c_void) = std::mem::transmute(f);
        __cxa_atexit(f, std::ptr::null_mut(), std::ptr::null_mut())
    }
}

/// `at_quick_exit` as libc_nonshared.a defines it.
unsafe extern "C" fn executor_at_quick_exit(f: unsafe extern "C" fn()) -> c_int {
    // SAFETY: as for `executor_atexit`.
    unsafe {
        let f: unsafe extern "C" fn(*mut c_void) = std::mem::transmute(f);
        __cxa_at_quick_exit(f, std::ptr::null_mut())
    }
}

/// The helper of that name, if it is one.
pub fn lookup(name: &str) -> Option<u64> {
    Some(match name {
        "atexit" => executor_atexit as *const () as u64,
        "at_quick_exit" => executor_at_quick_exit as *const () as u64,
        _ => return None,
    })
}
