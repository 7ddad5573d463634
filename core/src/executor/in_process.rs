//! The executor is this process: dlsym for lookup, direct calls to run code.

use std::ffi::{c_char, c_int, c_void, CString};
use std::sync::Mutex;

use super::{dynsym, runtime, tls_image, ExecutorControl, HostSymbol, TlsImage, TlsModule};
use crate::error::{Error, Result};
use crate::executor_types::{ExecutorAddr, Initializers};
use crate::memory::{InProcessMemoryManager, MemoryKind, MemoryManager, PackedMemoryManager};

extern "C" {
    fn dladdr1(
        addr: *const c_void,
        info: *mut libc::Dl_info,
        extra: *mut *mut c_void,
        flags: c_int,
    ) -> c_int;
    static mut environ: *mut *mut c_char;
    /// glibc's TLS lookup: the calling thread's address of (module, offset).
    fn __tls_get_addr(index: *const u64) -> *mut c_void;
}

/// Where the host thread-local variable whose copy in this thread is at
/// `addr` lives: its library's module id, its offset there, and its offset
/// from the thread pointer if the library's block is in static TLS.
/// (`dlsym` of a TLS symbol gives the calling thread's copy, which lies in no
/// library's image, so the library is found by its TLS block.)
fn host_tls(addr: *mut c_void) -> Option<crate::graph::HostTls> {
    struct Search {
        addr: u64,
        found: Option<(u64, u64)>,
    }
    unsafe extern "C" fn visit(
        info: *mut libc::dl_phdr_info,
        _size: usize,
        data: *mut c_void,
    ) -> c_int {
        // SAFETY: dl_iterate_phdr passes a valid info and our `Search`.
        let (info, search) = unsafe { (&*info, &mut *(data as *mut Search)) };
        if info.dlpi_tls_modid == 0 || info.dlpi_tls_data.is_null() {
            return 0;
        }
        // SAFETY: dlpi_phdr points at dlpi_phnum program headers.
        let phdrs = unsafe { std::slice::from_raw_parts(info.dlpi_phdr, info.dlpi_phnum as usize) };
        let Some(tls) = phdrs.iter().find(|p| p.p_type == libc::PT_TLS) else {
            return 0;
        };
        let block = info.dlpi_tls_data as u64;
        if (block..block + tls.p_memsz).contains(&search.addr) {
            search.found = Some((info.dlpi_tls_modid as u64, search.addr - block));
            return 1;
        }
        0
    }
    let mut search = Search {
        addr: addr as u64,
        found: None,
    };
    // SAFETY: the callback only reads the headers glibc passes it.
    unsafe { libc::dl_iterate_phdr(Some(visit), &mut search as *mut Search as *mut c_void) };
    let (module_id, offset) = search.found?;
    // Static TLS sits at one offset from the thread pointer in every thread;
    // dynamic TLS is allocated per thread. Compare with another thread.
    let here = tls_block(module_id) as i64 - thread_pointer() as i64;
    let there = std::thread::spawn(move || tls_block(module_id) as i64 - thread_pointer() as i64)
        .join()
        .ok()?;
    Some(crate::graph::HostTls {
        module_id,
        offset,
        tp_offset: (here == there).then_some(here + offset as i64),
    })
}

/// The calling thread's copy of TLS module `module_id`'s block.
fn tls_block(module_id: u64) -> u64 {
    let index = [module_id, 0];
    // SAFETY: __tls_get_addr with the (module, 0) pair of a loaded module
    // returns the calling thread's block, allocating it if needed.
    unsafe { __tls_get_addr(index.as_ptr()) as u64 }
}

/// The calling thread's thread pointer (`%fs:0` holds its own address on x86-64).
fn thread_pointer() -> u64 {
    let tp: u64;
    // SAFETY: reads the TCB's self pointer, which glibc sets up for every thread.
    unsafe {
        std::arch::asm!("mov {}, qword ptr fs:[0]", out(reg) tp, options(nostack, readonly, preserves_flags))
    };
    tp
}
const RTLD_DL_SYMENT: c_int = 1;

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

pub(super) fn dl_error() -> String {
    // SAFETY: dlerror returns NULL or a NUL-terminated string valid until the
    // next dl* call on this thread; we copy it at once.
    unsafe {
        let msg = libc::dlerror();
        if msg.is_null() {
            "unknown error".into()
        } else {
            std::ffi::CStr::from_ptr(msg).to_string_lossy().into_owned()
        }
    }
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
        // The hash table first; `dladdr1` scans the whole symbol table.
        let (found, is_function, size) = match dynsym::lookup(addr as u64, name.as_bytes()) {
            Some(sym) => (1, sym.is_function, sym.size),
            None => {
                // SAFETY: a zeroed Dl_info is a valid out-parameter.
                let mut info: libc::Dl_info = unsafe { std::mem::zeroed() };
                let mut sym: *mut c_void = std::ptr::null_mut();
                // SAFETY: dladdr1 fills `info` and `sym` (a pointer into the library's
                // dynamic symbol table, which stays mapped while the library is loaded).
                let found = unsafe { dladdr1(addr, &mut info, &mut sym, RTLD_DL_SYMENT) };
                if found != 0 && !sym.is_null() {
                    // SAFETY: RTLD_DL_SYMENT makes `sym` point at an Elf64_Sym.
                    let sym = unsafe { &*(sym as *const libc::Elf64_Sym) };
                    let st_type = sym.st_info & 0xf;
                    (found, st_type == 2 || st_type == 10, sym.st_size)
                } else {
                    (found, false, 0)
                }
            }
        };
        // An address in no library's image: a thread-local variable's copy.
        let tls = if found == 0 { host_tls(addr) } else { None };
        let symbol = HostSymbol {
            addr: ExecutorAddr(addr as u64),
            is_function,
            size,
            tls,
        };
        if found != 0 {
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
            let reason = dl_error();
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
        let mut module_id: libc::size_t = 0;
        // SAFETY: RTLD_DI_TLS_MODID writes a size_t for a valid handle.
        let rc = unsafe {
            libc::dlinfo(
                handle,
                libc::RTLD_DI_TLS_MODID,
                &mut module_id as *mut libc::size_t as *mut c_void,
            )
        };
        if rc != 0 || module_id == 0 {
            // SAFETY: closing the handle opened above.
            unsafe { libc::dlclose(handle) };
            return Err(Error::Memory(format!(
                "the TLS image got no module id: {}",
                dl_error()
            )));
        }
        // The file stays open while the image is loaded: debuggers that read
        // the object later (lldb, gdb attaching) open it by its path.
        let fd = std::os::fd::IntoRawFd::into_raw_fd(file);
        let tp_offset = static_tls.then(|| {
            let index = [module_id as u64, 0];
            // SAFETY: __tls_get_addr with the (module, offset) pair of a loaded
            // module returns the calling thread's copy of its block.
            let block = unsafe { __tls_get_addr(index.as_ptr()) } as i64;
            block - thread_pointer() as i64
        });
        Ok(TlsModule {
            module_id: module_id as u64,
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
                dl_error()
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
        // SAFETY: `entry` is the linked entry symbol, called as C's main.
        let status = unsafe {
            let main: MainFn = std::mem::transmute::<usize, MainFn>(entry.0 as usize);
            main(argc, argv.as_mut_ptr(), envp)
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
