//! The program's own handlers for the crash signals, kept behind Lantern's.
//!
//! A runtime library the program loads may install its own handler for a
//! crash signal when it starts (libgfortran's backtrace handler for SIGSEGV):
//! natively that handler prints the program's own message. Installed over
//! Lantern's, it would hide the crash report (and name JIT'd frames `???`).
//! So, as sanitizers do, the `lantern` binary interposes `sigaction` and
//! `signal` (src/signals.rs; lantern-executor answers JIT'd code's lookups
//! of both with its own) and asks [`program_sigaction`] first: while the
//! crash handler is installed, a program's action for one of its signals is
//! recorded here instead of installed. At a crash, Lantern prints its report,
//! then installs the program's action and runs its handler as the kernel
//! would have (`run_program_handler`): the program's message, and its exit
//! status, are the native ones.

use std::cell::UnsafeCell;
use std::ffi::{c_int, c_void};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::SIGNALS;

/// `sigaction(2)`'s signature.
pub type SigactionFn =
    unsafe extern "C" fn(c_int, *const libc::sigaction, *mut libc::sigaction) -> c_int;

/// The program's actions for the crash signals, in [`SIGNALS`] order.
struct Actions {
    /// Taken while an action is read or written (a spin lock: the signal
    /// handler must not block).
    busy: AtomicBool,
    actions: UnsafeCell<[Option<libc::sigaction>; SIGNALS.len()]>,
}

// SAFETY: `actions` is only touched while `busy` is held.
unsafe impl Sync for Actions {}

static ACTIONS: Actions = Actions {
    busy: AtomicBool::new(false),
    actions: UnsafeCell::new([None; SIGNALS.len()]),
};

/// The C library's `sigaction`, found when the crash handler is installed.
static REAL_SIGACTION: AtomicUsize = AtomicUsize::new(0);
/// Whether programs' actions for the crash signals are recorded here.
static ACTIVE: AtomicBool = AtomicBool::new(false);

fn with_actions<T>(f: impl FnOnce(&mut [Option<libc::sigaction>; SIGNALS.len()]) -> T) -> T {
    while ACTIONS
        .busy
        .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
        .is_err()
    {
        std::hint::spin_loop();
    }
    // SAFETY: `busy` is held, so this is the only reference.
    let result = f(unsafe { &mut *ACTIONS.actions.get() });
    ACTIONS.busy.store(false, Ordering::Release);
    result
}

/// The C library's `sigaction` (past any interposer), or null.
pub fn real_sigaction() -> Option<SigactionFn> {
    let mut address = REAL_SIGACTION.load(Ordering::SeqCst);
    if address == 0 {
        // SAFETY: dlsym with a NUL-terminated name; RTLD_NEXT finds the
        // definition after the caller's object, the C library's.
        address = unsafe { libc::dlsym(libc::RTLD_NEXT, c"sigaction".as_ptr()) } as usize;
        if address == 0 {
            // SAFETY: as above, from the start of the search order.
            address = unsafe { libc::dlsym(libc::RTLD_DEFAULT, c"sigaction".as_ptr()) } as usize;
        }
        REAL_SIGACTION.store(address, Ordering::SeqCst);
    }
    // SAFETY: a non-null address dlsym gave for `sigaction` is that function.
    (address != 0).then(|| unsafe { std::mem::transmute::<usize, SigactionFn>(address) })
}

/// Starts recording programs' actions for the crash signals (the crash
/// handler calls it once installed).
pub fn activate() {
    let _ = real_sigaction();
    ACTIVE.store(true, Ordering::SeqCst);
}

/// What a `sigaction(signal, act, old)` call of the program does while the
/// crash handler is installed: for a crash signal, the action is recorded
/// (and the recorded one returned in `old`), and `Some(0)` returned; `None`
/// for anything the C library should do.
///
/// # Safety
/// `act` and `old` are null or valid, as `sigaction(2)` requires.
pub unsafe fn program_sigaction(
    signal: c_int,
    act: *const libc::sigaction,
    old: *mut libc::sigaction,
) -> Option<c_int> {
    if !ACTIVE.load(Ordering::SeqCst) {
        return None;
    }
    let index = SIGNALS.iter().position(|(s, _, _)| *s == signal)?;
    with_actions(|actions| {
        if !old.is_null() {
            let previous = actions[index].unwrap_or_else(default_action);
            // SAFETY: the caller passes a valid `old`.
            unsafe { *old = previous };
        }
        if !act.is_null() {
            // SAFETY: the caller passes a valid `act`.
            actions[index] = Some(unsafe { *act });
        }
    });
    Some(0)
}

fn default_action() -> libc::sigaction {
    // SAFETY: an all-zero sigaction is SIG_DFL with no flags and an empty mask.
    unsafe { std::mem::zeroed() }
}

/// After the report: gives the signal to the program's own action, if it
/// set one, and runs its handler as the kernel would. Returns false when
/// the program has none (the default action follows).
///
/// # Safety
/// Called from the crash handler with the signal's `info` and `context`.
pub unsafe fn run_program_handler(
    signal: c_int,
    info: *mut libc::siginfo_t,
    context: *mut c_void,
) -> bool {
    let Some(index) = SIGNALS.iter().position(|(s, _, _)| *s == signal) else {
        return false;
    };
    let Some(action) = with_actions(|actions| actions[index]) else {
        return false;
    };
    let handler = action.sa_sigaction;
    if handler == libc::SIG_DFL || handler == libc::SIG_IGN {
        return false;
    }
    // From now on the program owns the signal, as natively: its handler may
    // set the default action and raise it again, or return and meet the
    // fault again in its own handler.
    ACTIVE.store(false, Ordering::SeqCst);
    if let Some(sigaction) = real_sigaction() {
        // SAFETY: installing the program's own, valid action.
        unsafe { sigaction(signal, &action, std::ptr::null_mut()) };
    }
    if action.sa_flags & libc::SA_SIGINFO != 0 {
        type InfoHandler = unsafe extern "C" fn(c_int, *mut libc::siginfo_t, *mut c_void);
        // SAFETY: an SA_SIGINFO action's handler has this signature.
        let f = unsafe { std::mem::transmute::<usize, InfoHandler>(handler) };
        // SAFETY: calling the program's handler with what the kernel gave us.
        unsafe { f(signal, info, context) };
    } else {
        type PlainHandler = unsafe extern "C" fn(c_int);
        // SAFETY: a plain action's handler takes the signal number.
        let f = unsafe { std::mem::transmute::<usize, PlainHandler>(handler) };
        // SAFETY: calling the program's handler as the kernel would.
        unsafe { f(signal) };
    }
    true
}
