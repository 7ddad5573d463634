//! The executor's crash report: the controller sends each unit's symbol
//! table (built from its DWARF, encoded by `lantern-crash-report`); the
//! first one installs a handler for SIGSEGV, SIGBUS, SIGILL, SIGFPE and
//! SIGABRT that prints the report the in-process `lantern run` prints
//! (`#N 0xADDR in FUNC at FILE:LINE:COL`), JIT'd frames named from these
//! tables, then lets the signal take its default action, so the executor
//! dies of the program's signal. Actions JIT'd code sets for these signals
//! meanwhile are kept behind it (its `sigaction` and `signal` are the
//! executor's, `runtime.rs`) and run after the report, as in process. The handler runs on the main thread's
//! alternate stack (set up at start, [`set_alt_stack`]), allocates nothing,
//! takes no lock it cannot `try` (a crash while the reader thread holds the
//! tables prints host names only), and writes with `write(2)`.

use std::cell::UnsafeCell;
use std::ffi::{c_int, c_void};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use lantern_crash_report::executable::{write_host_frame, ExecutableSymbols};
use lantern_crash_report::table::{Found, Table};
use lantern_crash_report::{chain, unwind, write_frame, write_header, Line, HEURISTIC, SIGNALS};

const ALT_STACK_SIZE: usize = 256 * 1024;

/// The registered tables by key: a spin lock the handler only tries.
struct Tables {
    busy: AtomicBool,
    tables: UnsafeCell<Vec<(u64, Table)>>,
}

// SAFETY: `tables` is only touched while `busy` is held.
unsafe impl Sync for Tables {}

static TABLES: Tables = Tables {
    busy: AtomicBool::new(false),
    tables: UnsafeCell::new(Vec::new()),
};
static INSTALLED: AtomicBool = AtomicBool::new(false);
static FRAME_NUMBER: AtomicUsize = AtomicUsize::new(0);

/// Runs `f` on the tables, waiting for the lock (not in the handler).
fn with_tables<T>(f: impl FnOnce(&mut Vec<(u64, Table)>) -> T) -> T {
    while TABLES
        .busy
        .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
        .is_err()
    {
        std::hint::spin_loop();
    }
    // SAFETY: `busy` is held, so this is the only reference.
    let result = f(unsafe { &mut *TABLES.tables.get() });
    TABLES.busy.store(false, Ordering::Release);
    result
}

/// Runs `f` on the tables if the lock is free (in the handler).
fn try_tables<T>(f: impl FnOnce(&[(u64, Table)]) -> T) -> Option<T> {
    TABLES
        .busy
        .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
        .ok()?;
    // SAFETY: `busy` is held, so no one writes meanwhile.
    let result = f(unsafe { &*TABLES.tables.get() });
    TABLES.busy.store(false, Ordering::Release);
    Some(result)
}

/// Registers a unit's table under `key` (decoded and checked here, where
/// allocating is fine); the first registration installs the handler.
pub fn register(key: u64, bytes: &[u8], complete: bool) -> Result<(), String> {
    let mut table = Table::decode(bytes).map_err(|e| format!("symbol table {key}: {e}"))?;
    // A partial table's lookups outside its (absent) DWARF are `Pending`
    // until `complete` replaces it.
    table.complete = complete;
    let duplicate = with_tables(|tables| {
        if tables.iter().any(|(k, _)| *k == key) {
            return true;
        }
        tables.push((key, table));
        false
    });
    if duplicate {
        return Err(format!("symbol table {key} is already registered"));
    }
    if !INSTALLED.swap(true, Ordering::SeqCst) {
        install().map_err(|e| format!("installing the crash handler: {e}"))?;
    }
    Ok(())
}

/// Replaces the partial table registered under `key` by the whole one; a
/// key no longer registered (its unit is gone) is left alone.
pub fn complete(key: u64, bytes: &[u8]) -> Result<(), String> {
    let table = Table::decode(bytes).map_err(|e| format!("symbol table {key}: {e}"))?;
    with_tables(|tables| {
        if let Some(slot) = tables.iter_mut().find(|(k, _)| *k == key) {
            slot.1 = table;
        }
    });
    Ok(())
}

/// Drops the table registered under `key`.
pub fn deregister(key: u64) -> Result<(), String> {
    let gone = with_tables(|tables| {
        let before = tables.len();
        tables.retain(|(k, _)| *k != key);
        tables.len() < before
    });
    if gone {
        Ok(())
    } else {
        Err(format!("symbol table {key} is not registered"))
    }
}

/// Gives the calling thread (the main thread, which runs JIT'd code) an
/// alternate signal stack large enough for the unwinder, so a stack
/// overflow is reported too.
pub fn set_alt_stack() {
    // The stack lives for the process: a handler may run at any time.
    let stack = Box::leak(vec![0u8; ALT_STACK_SIZE].into_boxed_slice());
    let alt = libc::stack_t {
        ss_sp: stack.as_mut_ptr().cast(),
        ss_flags: 0,
        ss_size: ALT_STACK_SIZE,
    };
    // SAFETY: the stack is valid, writable memory of the given size, never freed.
    unsafe { libc::sigaltstack(&alt, std::ptr::null_mut()) };
}

/// The executor's own function symbols (`dladdr` knows only exported
/// ones, and the executor exports few), mapped when the handler is
/// installed, read only at a crash.
static EXECUTABLE: std::sync::OnceLock<Option<ExecutableSymbols>> = std::sync::OnceLock::new();

fn install() -> std::io::Result<()> {
    EXECUTABLE.get_or_init(ExecutableSymbols::load);
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
    // From now on JIT'd code's actions for these signals wait behind ours.
    chain::activate();
    Ok(())
}

/// The table whose code holds `addr`.
fn table_at(tables: &[(u64, Table)], addr: u64) -> Option<&Table> {
    tables.iter().map(|(_, t)| t).find(|t| t.contains(addr))
}

/// For the walk's heuristics: whether `addr` is JIT'd code, and where its
/// symbol starts. `None` also when the tables are busy.
fn jit_code_at(addr: u64) -> Option<Option<u64>> {
    try_tables(|tables| table_at(tables, addr).map(|t| t.symbol_start(addr))).flatten()
}

/// How long a crash report waits for the whole table of a unit whose
/// partial one is registered (the controller builds it while the program
/// runs), as the in-process report waits for the background worker.
const TABLE_WAIT_NS: u64 = 10_000_000_000;

/// Whether a report has waited already: it waits once.
static WAITED: AtomicBool = AtomicBool::new(false);

/// Looks `addr` up in the tables, passing its frames to `print`; `None`
/// when no table holds it (or the tables are busy).
fn lookup_frames(
    addr: u64,
    print: &mut dyn FnMut(lantern_crash_report::FrameRef<'_>),
) -> Option<Found> {
    try_tables(|tables| table_at(tables, addr).map(|t| t.lookup(addr, print))).flatten()
}

/// Waits, with async-signal-safe sleeps, until the table holding `addr` is
/// whole, at most [`TABLE_WAIT_NS`] (the reader thread registering it may
/// be blocked on a lock the crashed thread holds).
fn wait_for_whole_table(addr: u64) {
    const STEP_NS: u64 = 2_000_000;
    let mut waited = 0;
    while waited < TABLE_WAIT_NS {
        let whole = try_tables(|tables| table_at(tables, addr).is_none_or(|t| t.complete));
        if whole == Some(true) {
            return;
        }
        let step = libc::timespec {
            tv_sec: 0,
            tv_nsec: STEP_NS as libc::c_long,
        };
        // SAFETY: nanosleep reads the timespec and writes nothing (null remainder).
        unsafe { libc::nanosleep(&step, std::ptr::null_mut()) };
        waited += STEP_NS;
    }
}

fn print_frame(line: &mut Line, pc: usize, lookup: usize, heuristic: bool) {
    let mut print = |frame: lantern_crash_report::FrameRef<'_>| {
        let n = FRAME_NUMBER.fetch_add(1, Ordering::Relaxed);
        let _ = write_frame(line, n, pc as u64, frame);
        if heuristic {
            let _ = write!(line, "{HEURISTIC}");
        }
        let _ = writeln!(line);
        line.flush();
    };
    let addr = lookup as u64;
    let mut found = lookup_frames(addr, &mut print);
    if found == Some(Found::Pending) && !WAITED.swap(true, Ordering::Relaxed) {
        wait_for_whole_table(addr);
        found = lookup_frames(addr, &mut print);
    }
    if found == Some(Found::Pending) {
        // Still partial: the function's name, without a place.
        let mut named = false;
        let _ = try_tables(|tables| {
            if let Some(function) = table_at(tables, addr).and_then(|t| t.symbol_at(addr)) {
                print(lantern_crash_report::FrameRef {
                    function,
                    file: None,
                    line: 0,
                    column: 0,
                });
                named = true;
            }
        });
        if named {
            return;
        }
    }
    if found == Some(Found::Frames) {
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
    let _ = write_header(&mut line, signal, addr);
    let _ = writeln!(line);
    line.flush();
    // SAFETY: the kernel passes a ucontext_t to an SA_SIGINFO handler.
    let registers = unsafe { unwind::Registers::from_context(context) };
    let walk = unwind::walk(registers, jit_code_at);
    FRAME_NUMBER.store(0, Ordering::Relaxed);
    for frame in &walk.frames[..walk.len] {
        // A return address points after the call: look up the call itself.
        let lookup = if frame.exact { frame.pc } else { frame.pc - 1 };
        print_frame(&mut line, frame.pc, lookup, frame.heuristic);
    }
    // The program's own handler, if it set one, runs next, as natively.
    // Otherwise returning re-executes the faulting instruction (or, for
    // abort, raises again) with the default action that SA_RESETHAND
    // restored: the executor dies of the signal, as the native program does.
    // SAFETY: the signal's own info and context.
    unsafe { chain::run_program_handler(signal, info, context) };
}
