//! `sigaction` and `signal`, interposed for the whole process (the binary
//! exports both: build.rs): while the crash handler is installed, what the
//! program or a library it loads asks for SIGSEGV, SIGBUS, SIGILL, SIGFPE or
//! SIGABRT is kept behind Lantern's handler, which runs it after its report
//! ([`lantern_plugins::crash::chain`]). Everything else goes to the C
//! library.

use std::ffi::c_int;

use lantern_plugins::crash::chain;

/// # Safety
/// As `sigaction(2)`: `act` and `old` are null or valid.
#[no_mangle]
pub unsafe extern "C" fn sigaction(
    signal: c_int,
    act: *const libc::sigaction,
    old: *mut libc::sigaction,
) -> c_int {
    // SAFETY: the caller's pointers, as sigaction(2) takes them.
    if let Some(result) = unsafe { chain::program_sigaction(signal, act, old) } {
        return result;
    }
    match chain::real_sigaction() {
        // SAFETY: the C library's sigaction, with the caller's arguments.
        Some(real) => unsafe { real(signal, act, old) },
        None => {
            // SAFETY: setting this thread's errno.
            unsafe { *libc::__errno_location() = libc::ENOSYS };
            -1
        }
    }
}

/// `signal(3)` with glibc's (BSD) semantics: the handler stays installed,
/// interrupted system calls restart, the signal is blocked while it runs.
///
/// # Safety
/// As `signal(3)`.
#[no_mangle]
pub unsafe extern "C" fn signal(signal: c_int, handler: libc::sighandler_t) -> libc::sighandler_t {
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
    if unsafe { sigaction(signal, &act, &mut old) } != 0 {
        return libc::SIG_ERR;
    }
    old.sa_sigaction
}
