//! The crash handler: on SIGSEGV, SIGBUS, SIGILL, SIGFPE or SIGABRT it prints
//! the signal, the faulting address and a backtrace from the signal context,
//! JIT'd frames symbolized (function, inlined frames, file:line:column) and
//! host frames with their symbol names, then lets the signal take its default
//! action, so the exit status and core dump are the native program's.
//!
//! The format is one frame a line, stable for scripts:
//!
//! ```text
//! lantern: SIGSEGV (invalid memory reference) at address 0x0
//! #0 0x00007f3a1c201016 in deref at /src/crash.c:4:12
//! #1 0x00007f3a1c20103b in level2 at /src/crash.c:9:12
//! #2 0x000055d0e1c3b1a0 in run_main (lantern)
//! ```
//!
//! Inlined frames repeat the address of the frame they are inlined into. The
//! handler runs on its own stack (`sigaltstack`, so a stack overflow is
//! reported too), allocates nothing, writes with `write(2)`, and unwinds with
//! the unwinder the JIT'd code is registered with (`_Unwind_Backtrace`, which
//! steps through the signal frame and needs no frame pointers); frames of
//! code without CFI are found as gdb finds them, and marked (see `unwind`).

use std::ffi::{c_int, c_void};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use lantern_core::link::background;

use crate::symbolize;

pub use lantern_crash_report::chain;

use lantern_crash_report::executable::{write_host_frame, ExecutableSymbols};
pub(crate) use lantern_crash_report::SIGNALS;
use lantern_crash_report::{unwind, Line};
pub use lantern_crash_report::{write_frame, HEURISTIC};

const ALT_STACK_SIZE: usize = 256 * 1024;

/// The executable's own function symbols (`dladdr` only knows exported
/// ones), mapped when the handler is installed, read only at a crash.
static EXECUTABLE: std::sync::OnceLock<Option<ExecutableSymbols>> = std::sync::OnceLock::new();

/// Installs the handler for the five signals, on an alternate stack.
pub fn install() -> std::io::Result<()> {
    EXECUTABLE.get_or_init(ExecutableSymbols::load);
    // The stack lives for the process: a handler may run at any time.
    let stack = Box::leak(vec![0u8; ALT_STACK_SIZE].into_boxed_slice());
    let alt = libc::stack_t {
        ss_sp: stack.as_mut_ptr().cast(),
        ss_flags: 0,
        ss_size: ALT_STACK_SIZE,
    };
    // SAFETY: the stack is valid, writable memory of the given size, never freed.
    if unsafe { libc::sigaltstack(&alt, std::ptr::null_mut()) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    for (signal, _, _) in SIGNALS {
        // SAFETY: a zeroed sigaction filled with a handler of the SA_SIGINFO
        // signature; SA_RESETHAND restores the default action for the re-raise.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = handler as *const () as usize;
            action.sa_flags =
                libc::SA_SIGINFO | libc::SA_ONSTACK | libc::SA_RESETHAND | libc::SA_NODEFER;
            libc::sigemptyset(&mut action.sa_mask);
            if libc::sigaction(signal, &action, std::ptr::null_mut()) != 0 {
                return Err(std::io::Error::last_os_error());
            }
        }
    }
    chain::activate();
    Ok(())
}

static FRAME_NUMBER: AtomicUsize = AtomicUsize::new(0);

/// Set once the report has waited for the background worker to complete the
/// symbolizer's tables: one wait a crash.
static WAITED: AtomicBool = AtomicBool::new(false);

/// How long a crash report waits for the background worker to finish reading
/// the DWARF of the units linked last (a crash in the first constructor of a
/// large unit), unless the worker is blocked.
const TABLE_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

fn print_frame(line: &mut Line, pc: usize, lookup: usize, heuristic: bool) {
    let mut print = |frame: symbolize::FrameRef<'_>| {
        let n = FRAME_NUMBER.fetch_add(1, Ordering::Relaxed);
        let _ = write_frame(line, n, pc as u64, frame);
        if heuristic {
            let _ = write!(line, "{HEURISTIC}");
        }
        let _ = writeln!(line);
        line.flush();
    };
    let mut found = symbolize::symbolize_jit(lookup as u64, &mut print);
    if found == symbolize::Lookup::Pending && !WAITED.swap(true, Ordering::Relaxed) {
        background::wait_idle_in_signal_handler(TABLE_WAIT);
        found = symbolize::symbolize_jit(lookup as u64, &mut print);
    }
    match found {
        symbolize::Lookup::Found => return,
        symbolize::Lookup::Pending => {
            // The DWARF was not read in time: the symbol's name at least.
            symbolize::symbol_name_jit(lookup as u64, &mut |name| {
                print(symbolize::FrameRef {
                    function: name,
                    file: None,
                    line: 0,
                    column: 0,
                })
            });
            return;
        }
        symbolize::Lookup::NotJit => {}
    }
    if lantern_core::executor::in_main_caller(lookup as u64) {
        // The `lantern` binary's call of the program's `main` (a frame gdb
        // shows as `main ()`, where it ends a backtrace): not the program's.
        return;
    }
    let n = FRAME_NUMBER.fetch_add(1, Ordering::Relaxed);
    let executable = EXECUTABLE.get().and_then(Option::as_ref);
    let _ = write_host_frame(line, n, pc, lookup, executable);
    if heuristic {
        let _ = write!(line, "{HEURISTIC}");
    }
    let _ = writeln!(line);
    line.flush();
}

extern "C" fn handler(signal: c_int, info: *mut libc::siginfo_t, context: *mut c_void) {
    let mut line = Line::new();
    // SAFETY: the kernel passes a valid siginfo to an SA_SIGINFO handler.
    let addr = unsafe { (*info).si_addr() } as usize;
    let _ = lantern_crash_report::write_header(&mut line, signal, addr);
    let _ = writeln!(line);
    line.flush();
    // SAFETY: the kernel passes a ucontext_t to an SA_SIGINFO handler.
    let registers = unsafe { unwind::Registers::from_context(context) };
    let walk = unwind::walk(registers, symbolize::jit_code_at);
    FRAME_NUMBER.store(0, Ordering::Relaxed);
    WAITED.store(false, Ordering::Relaxed);
    for frame in &walk.frames[..walk.len] {
        // A return address points after the call: look up the call itself.
        let lookup = if frame.exact { frame.pc } else { frame.pc - 1 };
        print_frame(&mut line, frame.pc, lookup, frame.heuristic);
    }
    // The program's own handler, if it set one (libgfortran's), runs next,
    // as natively. Otherwise returning re-executes the faulting instruction
    // (or, for abort, raises again) with the default action that
    // SA_RESETHAND restored.
    // SAFETY: the signal's own info and context.
    unsafe { chain::run_program_handler(signal, info, context) };
}
