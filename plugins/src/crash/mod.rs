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

pub(crate) use lantern_crash_report::SIGNALS;
use lantern_crash_report::{unwind, Line};
pub use lantern_crash_report::{write_frame, HEURISTIC};

const ALT_STACK_SIZE: usize = 256 * 1024;

/// The executable's own symbol table (`dladdr` only knows exported symbols),
/// mapped when the handler is installed and searched only at a crash: a
/// linear scan of its function symbols reads memory and allocates nothing,
/// and costs the program nothing unless it crashes. Names are demangled
/// while printing, which `rustc-demangle` does without allocating.
struct ExecutableSymbols {
    symbols: object::read::elf::SymbolTable<'static, object::elf::FileHeader64<object::Endianness>>,
    endian: object::Endianness,
    bias: u64,
}

static EXECUTABLE: std::sync::OnceLock<Option<ExecutableSymbols>> = std::sync::OnceLock::new();

fn executable_symbols() -> Option<ExecutableSymbols> {
    use object::read::elf::FileHeader;
    let file = std::fs::File::open("/proc/self/exe").ok()?;
    // SAFETY: the running executable, mapped read-only; it does not change
    // while it runs (the kernel refuses writes to a running binary).
    let map = unsafe { memmap2::Mmap::map(&file) }.ok()?;
    // Kept for the process: the handler may read it at any time.
    let data: &'static [u8] = Box::leak(Box::new(map));
    let header = object::elf::FileHeader64::<object::Endianness>::parse(data).ok()?;
    let endian = header.endian().ok()?;
    let sections = header.sections(endian, data).ok()?;
    let symbols = sections
        .symbols(endian, data, object::elf::SHT_SYMTAB)
        .ok()?;
    // The load bias of a position-independent executable: the first object
    // the loader lists is the program (this code may be in a library, as in
    // a C host linked with liblantern.so).
    let bias = if header.e_type(endian) == object::elf::ET_DYN {
        program_load_bias()?
    } else {
        0
    };
    Some(ExecutableSymbols {
        symbols,
        endian,
        bias,
    })
}

/// The main program's load bias, from the loader's first entry.
fn program_load_bias() -> Option<u64> {
    extern "C" fn first(info: *mut libc::dl_phdr_info, _size: usize, data: *mut c_void) -> c_int {
        // SAFETY: the loader passes a valid entry; `data` is the u64 below.
        unsafe { *(data as *mut u64) = (*info).dlpi_addr };
        1 // stop after the first
    }
    let mut bias: u64 = u64::MAX;
    // SAFETY: the callback writes only the u64 it is given.
    unsafe { libc::dl_iterate_phdr(Some(first), (&mut bias as *mut u64).cast()) };
    (bias != u64::MAX).then_some(bias)
}

fn executable_symbol(addr: u64) -> Option<&'static str> {
    use object::read::elf::Sym;
    let table = EXECUTABLE.get()?.as_ref()?;
    let e = table.endian;
    let addr = addr.checked_sub(table.bias)?;
    let symbol = table.symbols.symbols().iter().find(|s| {
        let (start, size) = (s.st_value(e), s.st_size(e));
        s.st_type() == object::elf::STT_FUNC && size > 0 && start <= addr && addr - start < size
    })?;
    std::str::from_utf8(symbol.name(e, table.symbols.strings()).ok()?).ok()
}

/// Installs the handler for the five signals, on an alternate stack.
pub fn install() -> std::io::Result<()> {
    EXECUTABLE.get_or_init(executable_symbols);
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
    let n = FRAME_NUMBER.fetch_add(1, Ordering::Relaxed);
    let mut info: libc::Dl_info = unsafe { std::mem::zeroed() };
    // SAFETY: dladdr only reads the loader's tables.
    let found = unsafe { libc::dladdr(lookup as *const c_void, &mut info) } != 0;
    let _ = write!(line, "#{n} {pc:#018x} in ");
    if let Some(name) = executable_symbol(lookup as u64) {
        let _ = write!(line, "{:#}", rustc_demangle::demangle(name));
    } else if found && !info.dli_sname.is_null() {
        // SAFETY: dladdr's strings are NUL-terminated and stay loaded.
        let name = unsafe { std::ffi::CStr::from_ptr(info.dli_sname) };
        // `to_str`, not `to_string_lossy`: no allocation in a signal handler.
        let _ = write!(line, "{}", name.to_str().unwrap_or("??"));
    } else {
        let _ = write!(line, "??");
    }
    if found && !info.dli_fname.is_null() {
        // SAFETY: as above.
        let object = unsafe { std::ffi::CStr::from_ptr(info.dli_fname) }
            .to_str()
            .unwrap_or("??");
        let base = object.rsplit('/').next().unwrap_or(object);
        let _ = write!(line, " ({base})");
    }
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
