//! What a native link takes from libc_nonshared.a and libc.so does not
//! export: `atexit` and `at_quick_exit`, offered to the controller's
//! lookups as the in-process executor does (core/src/executor/runtime.rs);
//! and `sigaction` and `signal` for JIT'd code, which keep a program's
//! actions for the crash signals behind the crash handler while it is
//! installed (`lantern_crash_report::chain`), as the `lantern` binary's
//! interposers do (src/signals.rs).

use std::ffi::{c_int, c_void};

use lantern_crash_report::chain;

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

/// `sigaction(2)` for JIT'd code: see `lantern_crash_report::chain`.
unsafe extern "C" fn executor_sigaction(
    signal: c_int,
    act: *const libc::sigaction,
    old: *mut libc::sigaction,
) -> c_int {
    // SAFETY: the caller's pointers, as sigaction(2) takes them.
    if let Some(result) = unsafe { chain::program_sigaction(signal, act, old) } {
        return result;
    }
    // SAFETY: the C library's sigaction with the caller's arguments.
    unsafe { libc::sigaction(signal, act, old) }
}

/// `signal(3)` with glibc's (BSD) semantics, through [`executor_sigaction`].
unsafe extern "C" fn executor_signal(
    signal: c_int,
    handler: libc::sighandler_t,
) -> libc::sighandler_t {
    // SAFETY: a zeroed sigaction is a valid value to fill in.
    let mut act: libc::sigaction = unsafe { std::mem::zeroed() };
    act.sa_sigaction = handler;
    act.sa_flags = libc::SA_RESTART;
    // SAFETY: operating on our own sigset.
    unsafe {
        libc::sigemptyset(&mut act.sa_mask);
        libc::sigaddset(&mut act.sa_mask, signal);
    }
    // SAFETY: as above.
    let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are to our locals.
    if unsafe { executor_sigaction(signal, &act, &mut old) } != 0 {
        return libc::SIG_ERR;
    }
    old.sa_sigaction
}

// The resolver of a static TLS descriptor (what glibc calls
// `_dl_tlsdesc_return`), as the in-process executor has it
// (core/src/executor/runtime.rs): called with the descriptor's address in
// %rax, it returns the variable's offset from the thread pointer, the
// descriptor's second word, and preserves every other register.
std::arch::global_asm!(
    ".pushsection .text.__lantern_executor_tlsdesc_static,\"ax\",@progbits",
    ".globl __lantern_executor_tlsdesc_static",
    ".hidden __lantern_executor_tlsdesc_static",
    ".type __lantern_executor_tlsdesc_static,@function",
    "__lantern_executor_tlsdesc_static:",
    "    mov rax, qword ptr [rax + 8]",
    "    ret",
    ".size __lantern_executor_tlsdesc_static, . - __lantern_executor_tlsdesc_static",
    ".popsection",
);

extern "C" {
    fn __lantern_executor_tlsdesc_static();
}

/// The name Lantern's controller looks the TLS descriptor resolver up by
/// (`lantern_core::arch::x86_64::TLSDESC_RESOLVER_SYMBOL`).
const TLSDESC_RESOLVER_SYMBOL: &str = "__lantern_tlsdesc_static";

/// The helper of that name, if it is one.
pub fn lookup(name: &str) -> Option<u64> {
    Some(match name {
        TLSDESC_RESOLVER_SYMBOL => __lantern_executor_tlsdesc_static as *const () as u64,
        "atexit" => executor_atexit as *const () as u64,
        "at_quick_exit" => executor_at_quick_exit as *const () as u64,
        "sigaction" => executor_sigaction as *const () as u64,
        "signal" => executor_signal as *const () as u64,
        _ => return None,
    })
}
