//! The executor is this process: dlsym for lookup, direct calls to run code.

use std::ffi::{c_char, c_int, c_void, CString};
use std::sync::{Mutex, OnceLock};

use super::{dynsym, runtime, tls_image, ExecutorControl, HostSymbol, TlsImage, TlsModule};
use crate::error::{Error, Result};
use crate::executor_types::{ExecutorAddr, Initializers};
use crate::memory::{InProcessMemoryManager, MemoryKind, MemoryManager, PackedMemoryManager};

extern "C" {
    static mut environ: *mut *mut c_char;
}

/// Calls a program's `main` (its address, then `argc`, `argv`, `envp`)
/// and returns its status: see [`set_main_caller`].
pub type MainCaller =
    unsafe extern "C-unwind" fn(usize, c_int, *mut *mut c_char, *mut *mut c_char) -> c_int;

/// A [`MainCaller`] and the length of its code.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct MainCallerCode {
    pub entry: MainCaller,
    pub len: usize,
}

static MAIN_CALLER: OnceLock<MainCallerCode> = OnceLock::new();

/// Has [`ExecutorControl::run_main`] call the program's `main` through
/// `caller` instead of directly; the first caller set stays.
///
/// The `lantern` binary passes a trampoline inside its decoy `main`
/// (src/main.rs): gdb ends a backtrace at the frame of the executable's
/// `main` (`backtrace past-main` is off by default), so the JIT'd program's
/// backtrace ends there, one frame below its own `main`, instead of running
/// on through Lantern's frames and the C runtime's (whose debug information,
/// when installed, gdb reads to print them: 8 ms of a `bt`).
///
/// # Safety
/// `code.entry` must call its first argument as C's `main`, with the other
/// three as its arguments, and return what it returns; its code must be the
/// `code.len` bytes from its address.
pub unsafe fn set_main_caller(code: MainCallerCode) {
    let _ = MAIN_CALLER.set(code);
}

/// Whether `pc` lies in the code of the caller [`set_main_caller`] set: crash
/// reports leave its frame out (it is an implementation detail between the
/// program's `main` and Lantern's frames).
pub fn in_main_caller(pc: u64) -> bool {
    MAIN_CALLER.get().is_some_and(|code| {
        let start = code.entry as usize as u64;
        (start..start + code.len as u64).contains(&pc)
    })
}

/// Runs JIT'd code in the current process.
pub struct InProcessExecutor {
    memory: Box<dyn MemoryManager>,
    /// Handles of libraries loaded for the JIT'd code; kept open for the process's life.
    libraries: Mutex<Vec<usize>>,
    /// Host symbols found so far: a runtime linking many units asks for
    /// the same names again and again (each costs a `dlsym` and a hash
    /// lookup, and `dladdr1` for objects without a GNU hash table). Only found, non-thread-local symbols are kept: a library
    /// loaded later comes after them in the global scope, so it never
    /// changes what a found name resolves to (Lantern never unloads one).
    found: Mutex<std::collections::HashMap<Box<str>, HostSymbol>>,
}

impl Default for InProcessExecutor {
    fn default() -> Self {
        Self::new()
    }
}

impl InProcessExecutor {
    /// An executor with the memory manager `LANTERN_MEMORY` names (`pages`
    /// or `packed`), else the default.
    pub fn new() -> Self {
        Self::with_memory(MemoryKind::from_env())
    }

    pub fn with_memory(kind: MemoryKind) -> Self {
        let memory: Box<dyn MemoryManager> = match kind {
            MemoryKind::Pages => Box::new(InProcessMemoryManager::new()),
            MemoryKind::Packed => Box::new(PackedMemoryManager::new()),
        };
        InProcessExecutor {
            memory,
            libraries: Mutex::new(Vec::new()),
            found: Mutex::new(std::collections::HashMap::new()),
        }
    }
}

/// [`lantern_static_tls::make_static`] for the library loaded from `path`
/// as `handle` (open), logged, with its failure as a link error.
fn make_static(handle: *mut c_void, path: &str, loaded_before: bool) -> Result<()> {
    use lantern_static_tls::{Failure, Outcome};
    // SAFETY: the caller's handle, just opened and not closed.
    match unsafe { lantern_static_tls::make_static(handle, loaded_before) } {
        Ok(Outcome::NoTls) => {}
        Ok(Outcome::NothingExported) => {
            log::info!("{path}: no exported thread-local variable, its TLS stays dynamic")
        }
        Ok(Outcome::Placed { size }) => {
            log::info!("{path}: {size} bytes of TLS placed in static TLS")
        }
        Ok(Outcome::KeptAsItWas { reason }) => {
            log::info!("{path}: its TLS stays where it was ({reason})")
        }
        Err(Failure::Request(e)) => return Err(Error::Other(format!("{path}: {e}"))),
        Err(Failure::Refused { size, reason }) => {
            return Err(Error::LibraryStaticTls {
                library: path.to_string(),
                size,
                reason,
            })
        }
    }
    Ok(())
}

impl ExecutorControl for InProcessExecutor {
    fn lookup(&self, name: &str) -> Option<HostSymbol> {
        if let Some(addr) = runtime::lookup(name) {
            return Some(HostSymbol {
                addr: ExecutorAddr(addr),
                is_function: true,
                size: 0,
                tls: None,
            });
        }
        if let Some(&found) = self
            .found
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
        {
            return Some(found);
        }
        let cname = CString::new(name).ok()?;
        // SAFETY: dlsym with RTLD_DEFAULT and a NUL-terminated name only reads.
        let addr = unsafe { libc::dlsym(libc::RTLD_DEFAULT, cname.as_ptr()) };
        if addr.is_null() {
            return None;
        }
        let info = dynsym::describe(addr as u64, name.as_bytes());
        let symbol = HostSymbol {
            addr: ExecutorAddr(addr as u64),
            is_function: info.is_function,
            size: info.size,
            tls: info.tls.map(|t| crate::graph::HostTls {
                module_id: t.module_id,
                offset: t.offset,
                tp_offset: t.tp_offset,
            }),
        };
        if info.in_image {
            self.found
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(name.into(), symbol);
        }
        Some(symbol)
    }

    fn memory_manager(&self) -> &dyn MemoryManager {
        self.memory.as_ref()
    }

    fn write_u64s(&self, writes: &[(ExecutorAddr, u64)]) -> Result<()> {
        if let Some((addr, _)) = writes
            .iter()
            .find(|(a, _)| a.0 == 0 || !a.0.is_multiple_of(8))
        {
            return Err(Error::Memory(format!(
                "refusing an 8-byte atomic store at {addr}: not 8-byte aligned"
            )));
        }
        for &(addr, value) in writes {
            // SAFETY: the address is non-null and 8-byte aligned (checked
            // above); callers pass pointer slots of a finalized read-write
            // segment that stays mapped while its redirectable symbols exist.
            // Other threads load it concurrently only through atomic-width
            // instructions (`jmp *slot(%rip)`), so an atomic store is sound.
            let slot = unsafe { std::sync::atomic::AtomicU64::from_ptr(addr.0 as *mut u64) };
            slot.store(value, std::sync::atomic::Ordering::Release);
        }
        // Stores before this point are visible to every thread that later
        // loads one of the slots.
        std::sync::atomic::fence(std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }

    fn read_memory(&self, addr: ExecutorAddr, len: u64) -> Result<Vec<u8>> {
        if addr.0 == 0 || len > (1 << 30) {
            return Err(Error::Memory(format!(
                "refusing to read {len} bytes at {addr}"
            )));
        }
        // SAFETY: callers pass the address and st_size of a data symbol that
        // dlsym found, which lies in a mapped, readable segment of its library.
        let bytes = unsafe { std::slice::from_raw_parts(addr.0 as *const u8, len as usize) };
        Ok(bytes.to_vec())
    }

    fn load_tls_image(&self, image: &TlsImage<'_>, static_tls: bool) -> Result<TlsModule> {
        let (mem_size, align) = (image.mem_size, image.align);
        // glibc refuses static TLS to a dlopen'ed module aligned more strictly
        // than the static TLS block itself (the TCB's 64 bytes on x86-64).
        const STATIC_TLS_ALIGN: u64 = 64;
        if static_tls && align > STATIC_TLS_ALIGN {
            return Err(Error::StaticTlsOverAligned {
                align,
                limit: STATIC_TLS_ALIGN,
            });
        }
        let object = tls_image::build(image, static_tls);
        let name = c"lantern-tls";
        // SAFETY: memfd_create with a static NUL-terminated name.
        let fd = unsafe { libc::memfd_create(name.as_ptr(), libc::MFD_CLOEXEC) };
        if fd < 0 {
            return Err(Error::Memory(format!(
                "memfd_create: {}",
                std::io::Error::last_os_error()
            )));
        }
        // SAFETY: `fd` was just created and is owned here.
        let file = unsafe { <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(fd) };
        std::io::Write::write_all(&mut &file, &object)
            .map_err(|e| Error::Memory(format!("writing the TLS image: {e}")))?;
        // The pid, not `self`: debuggers read the loaded object by this name, and in
        // their process `/proc/self/fd/N` is another file (gdb blocks reading it).
        let path = CString::new(format!("/proc/{}/fd/{fd}", std::process::id()))
            .expect("no NUL in a path");
        // SAFETY: dlopen of the object just written; it has no code or constructors.
        let handle = unsafe { libc::dlopen(path.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
        if handle.is_null() {
            let reason = dynsym::dl_error();
            if static_tls && reason.contains("static TLS") {
                return Err(Error::StaticTlsExhausted {
                    size: mem_size,
                    reason,
                });
            }
            return Err(Error::Memory(format!(
                "cannot register the TLS image: {reason}"
            )));
        }
        // SAFETY: the handle dlopen just returned.
        let Some(module_id) = (unsafe { dynsym::tls_module_id(handle) }) else {
            // SAFETY: closing the handle opened above.
            unsafe { libc::dlclose(handle) };
            return Err(Error::Memory(format!(
                "the TLS image got no module id: {}",
                dynsym::dl_error()
            )));
        };
        // The file stays open while the image is loaded: debuggers that read
        // the object later (lldb, gdb attaching) open it by its path.
        let fd = std::os::fd::IntoRawFd::into_raw_fd(file);
        // A static block is at the same offset from every thread's pointer.
        let tp_offset = static_tls
            .then(|| dynsym::tls_block(module_id) as i64 - dynsym::thread_pointer() as i64);
        Ok(TlsModule {
            module_id,
            tp_offset,
            release: crate::memory::WrapperCall {
                function: ExecutorAddr(release_tls_image as *const () as u64),
                arg: [(handle as u64).to_le_bytes(), (fd as u64).to_le_bytes()]
                    .concat()
                    .into(),
            },
        })
    }

    fn unload_tls_image(&self, module: &TlsModule) {
        let _ = crate::memory::run_wrapper_call(&module.release);
    }

    fn load_library(&self, path: &str) -> Result<()> {
        let cpath =
            CString::new(path).map_err(|_| Error::Other(format!("bad library path {path:?}")))?;
        // SAFETY: RTLD_NOLOAD only looks the library up; the reference it
        // takes is dropped at once.
        let loaded_before = unsafe {
            let handle = libc::dlopen(cpath.as_ptr(), libc::RTLD_LAZY | libc::RTLD_NOLOAD);
            !handle.is_null() && libc::dlclose(handle) == 0
        };
        // SAFETY: dlopen with a NUL-terminated path; the library's constructors
        // run, as they would for a dynamically linked program.
        let handle = unsafe { libc::dlopen(cpath.as_ptr(), libc::RTLD_NOW | libc::RTLD_GLOBAL) };
        if handle.is_null() {
            return Err(Error::Other(format!(
                "cannot load library {path}: {}",
                dynsym::dl_error()
            )));
        }
        // JIT'd initial-exec code must reach the library's thread-locals.
        if let Err(e) = make_static(handle, path, loaded_before) {
            // SAFETY: closing the handle opened above; nothing refers to it yet.
            unsafe { libc::dlclose(handle) };
            return Err(e);
        }
        self.libraries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(handle as usize);
        Ok(())
    }

    fn run_wrapper(&self, call: &crate::memory::WrapperCall) -> Result<()> {
        crate::memory::run_wrapper_call(call)
    }

    fn make_stack_executable(&self) -> Result<()> {
        let maps = std::fs::read_to_string("/proc/self/maps")
            .map_err(|e| Error::Memory(format!("cannot read /proc/self/maps: {e}")))?;
        let line = maps
            .lines()
            .find(|l| l.ends_with("[stack]"))
            .ok_or_else(|| Error::Memory("no [stack] mapping found".into()))?;
        let range = line.split_whitespace().next().unwrap_or_default();
        let (start, end) = range
            .split_once('-')
            .and_then(|(s, e)| {
                Some((
                    u64::from_str_radix(s, 16).ok()?,
                    u64::from_str_radix(e, 16).ok()?,
                ))
            })
            .ok_or_else(|| Error::Memory(format!("bad [stack] line: {line}")))?;
        // SAFETY: changes the protection of the main thread's stack mapping only,
        // adding execute permission as the loader does for PT_GNU_STACK with PF_X.
        let rc = unsafe {
            libc::mprotect(
                start as *mut c_void,
                (end - start) as usize,
                libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC | libc::PROT_GROWSDOWN,
            )
        };
        if rc != 0 {
            return Err(Error::Memory(format!(
                "cannot make the stack executable: {}",
                std::io::Error::last_os_error()
            )));
        }
        Ok(())
    }

    fn run_main(
        &self,
        entry: ExecutorAddr,
        initializers: &Initializers,
        args: &[String],
    ) -> Result<i32> {
        let cargs: Vec<CString> = args
            .iter()
            .map(|a| {
                CString::new(a.as_str())
                    .map_err(|_| Error::Other(format!("argument {a:?} contains a NUL byte")))
            })
            .collect::<Result<_>>()?;
        // argv lives until exit: the program may keep pointers into it.
        let argv: &'static mut [*mut c_char] = Vec::leak(
            cargs
                .into_iter()
                .map(|c| c.into_raw())
                .chain(std::iter::once(std::ptr::null_mut()))
                .collect(),
        );
        let argc = args.len() as c_int;
        // SAFETY: reading the process's environment pointer.
        let envp = unsafe { environ };

        // A native program starts with SIGPIPE at its default action; Rust ignores it.
        // SAFETY: resetting a signal disposition to its default.
        unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };

        // Finalizers run at exit, after the atexit handlers registered from here on,
        // as `_dl_fini` does for a native program.
        if !initializers.fini.is_empty() {
            let fini: &'static [ExecutorAddr] = Vec::leak(initializers.fini.clone());
            let arg = Box::leak(Box::new(fini)) as *mut &'static [ExecutorAddr] as *mut c_void;
            extern "C" {
                fn __cxa_atexit(
                    f: unsafe extern "C" fn(*mut c_void),
                    arg: *mut c_void,
                    dso: *mut c_void,
                ) -> c_int;
            }
            // SAFETY: `run_finalizers` takes the leaked list registered here; the
            // list lives for the rest of the process.
            unsafe { __cxa_atexit(run_finalizers, arg, std::ptr::null_mut()) };
        }

        // "C-unwind": an exception the program does not catch passes through
        // these frames to the end of the stack, as natively (see src/main.rs).
        type InitFn = unsafe extern "C-unwind" fn(c_int, *mut *mut c_char, *mut *mut c_char);
        for &init in initializers.preinit.iter().chain(&initializers.init) {
            // SAFETY: the address comes from a linked initializer array: a function
            // taking (argc, argv, envp) in finalized, executable JIT memory.
            unsafe {
                let f: InitFn = std::mem::transmute::<usize, InitFn>(init.0 as usize);
                f(argc, argv.as_mut_ptr(), envp);
            }
        }
        type MainFn =
            unsafe extern "C-unwind" fn(c_int, *mut *mut c_char, *mut *mut c_char) -> c_int;
        let status = match MAIN_CALLER.get() {
            // SAFETY: as below; the caller calls `entry` with the arguments
            // given and returns its status (`set_main_caller`'s contract).
            Some(code) => unsafe { (code.entry)(entry.0 as usize, argc, argv.as_mut_ptr(), envp) },
            // SAFETY: `entry` is the linked entry symbol, called as C's main.
            None => unsafe {
                let main: MainFn = std::mem::transmute::<usize, MainFn>(entry.0 as usize);
                main(argc, argv.as_mut_ptr(), envp)
            },
        };
        Ok(status)
    }
}

/// Calls a leaked finalizer list in order (already reversed from the array).
unsafe extern "C" fn run_finalizers(arg: *mut c_void) {
    // SAFETY: `arg` is the leaked `&'static [ExecutorAddr]` registered in `run_main`.
    let fini: &[ExecutorAddr] = unsafe { *(arg as *const &'static [ExecutorAddr]) };
    for &f in fini {
        // SAFETY: each address is a finalizer function `void (void)` in JIT memory
        // that is never deallocated while the process runs its exit handlers.
        unsafe {
            let f: unsafe extern "C" fn() =
                std::mem::transmute::<usize, unsafe extern "C" fn()>(f.0 as usize);
            f();
        }
    }
}

/// Dealloc action: closes the TLS image's handle and then its file (two
/// little-endian words).
unsafe extern "C" fn release_tls_image(arg: *const u8, len: usize) -> u64 {
    if len != 16 {
        return 1;
    }
    // SAFETY: the caller passes the action's 16-byte argument buffer.
    let bytes = unsafe { std::slice::from_raw_parts(arg, len) };
    let word = |i: usize| u64::from_le_bytes(bytes[i * 8..i * 8 + 8].try_into().expect("8 bytes"));
    let handle = word(0) as usize as *mut c_void;
    // SAFETY: the handle came from dlopen in `load_tls_image` and is closed once.
    let closed = unsafe { libc::dlclose(handle) } == 0;
    // SAFETY: the memfd `load_tls_image` kept open for this image, closed once.
    unsafe { libc::close(word(1) as c_int) };
    u64::from(!closed)
}
