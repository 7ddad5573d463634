//! What a host symbol found by `dlsym` is, the same for the in-process
//! executor and lantern-executor: its kind and size (the GNU hash table,
//! else `dladdr1`), and for a thread-local variable, whose `dlsym` address
//! is the calling thread's copy in no library's image, where its library's
//! TLS block is.

use std::ffi::{c_int, c_void};

extern "C" {
    fn dladdr1(
        addr: *const c_void,
        info: *mut libc::Dl_info,
        extra: *mut *mut c_void,
        flags: c_int,
    ) -> c_int;
    /// glibc's TLS lookup: the calling thread's address of (module, offset).
    fn __tls_get_addr(index: *const u64) -> *mut c_void;
}

const RTLD_DL_SYMENT: c_int = 1;

/// Where a host thread-local variable lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TlsPlace {
    /// The module id `__tls_get_addr` knows its library's block by.
    pub module_id: u64,
    /// The variable's offset in that block.
    pub offset: u64,
    /// Its offset from the thread pointer, when the block is in static TLS.
    pub tp_offset: Option<i64>,
}

/// A host symbol at an address `dlsym` gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostSymbolInfo {
    /// A loaded object's image holds the address (else: a thread-local
    /// variable's copy, or an address nothing describes).
    pub in_image: bool,
    pub is_function: bool,
    pub size: u64,
    pub tls: Option<TlsPlace>,
}

/// What the symbol `name`, which `dlsym` found at `addr`, is. The hash table
/// first: `dladdr1` scans the object's whole symbol table (about 15 µs in
/// libc, for each name).
pub fn describe(addr: u64, name: &[u8]) -> HostSymbolInfo {
    let found = crate::lookup(addr, name)
        .map(|s| (s.is_function, s.size))
        .or_else(|| by_dladdr1(addr));
    match found {
        Some((is_function, size)) => HostSymbolInfo {
            in_image: true,
            is_function,
            size,
            tls: None,
        },
        None => HostSymbolInfo {
            in_image: false,
            is_function: false,
            size: 0,
            tls: tls_place(addr),
        },
    }
}

/// (is a function, size) of the symbol at `addr` as `dladdr1` finds it, if
/// a loaded object's image holds the address.
pub(crate) fn by_dladdr1(addr: u64) -> Option<(bool, u64)> {
    // SAFETY: a zeroed Dl_info is a valid value for dladdr1 to fill.
    let mut info: libc::Dl_info = unsafe { std::mem::zeroed() };
    let mut sym: *mut c_void = std::ptr::null_mut();
    // SAFETY: dladdr1 fills `info` and `sym` (a pointer into the library's
    // dynamic symbol table, which stays mapped while the library is loaded).
    let found = unsafe { dladdr1(addr as *const c_void, &mut info, &mut sym, RTLD_DL_SYMENT) };
    if found == 0 {
        return None;
    }
    if sym.is_null() {
        return Some((false, 0));
    }
    // SAFETY: RTLD_DL_SYMENT makes `sym` point at an Elf64_Sym.
    let sym = unsafe { &*(sym as *const libc::Elf64_Sym) };
    let kind = sym.st_info & 0xf;
    Some((
        kind == crate::STT_FUNC || kind == crate::STT_GNU_IFUNC,
        sym.st_size,
    ))
}

/// Where the thread-local variable whose copy in this thread is at `addr`
/// lives (its library is found by its TLS block).
fn tls_place(addr: u64) -> Option<TlsPlace> {
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
    let mut search = Search { addr, found: None };
    // SAFETY: the callback only reads the headers glibc passes it.
    unsafe { libc::dl_iterate_phdr(Some(visit), &mut search as *mut Search as *mut c_void) };
    let (module_id, offset) = search.found?;
    // Static TLS sits at one offset from the thread pointer in every thread;
    // dynamic TLS is allocated per thread. Compare with another thread.
    let here = tls_block(module_id) as i64 - thread_pointer() as i64;
    let there = std::thread::spawn(move || tls_block(module_id) as i64 - thread_pointer() as i64)
        .join()
        .ok()?;
    Some(TlsPlace {
        module_id,
        offset,
        tp_offset: (here == there).then_some(here + offset as i64),
    })
}

/// The calling thread's copy of TLS module `module_id`'s block.
pub fn tls_block(module_id: u64) -> u64 {
    let index = [module_id, 0];
    // SAFETY: __tls_get_addr with the (module, 0) pair of a loaded module
    // returns the calling thread's block, allocating it if needed.
    unsafe { __tls_get_addr(index.as_ptr()) as u64 }
}

/// The calling thread's thread pointer (`%fs:0` holds its own address on x86-64).
pub fn thread_pointer() -> u64 {
    let tp: u64;
    // SAFETY: reads the TCB's self pointer, which glibc sets up for every thread.
    unsafe {
        std::arch::asm!("mov {}, qword ptr fs:[0]", out(reg) tp, options(nostack, readonly, preserves_flags))
    };
    tp
}

/// The dynamic loader's last error on this thread.
pub fn dl_error() -> String {
    // SAFETY: dlerror returns NULL or a NUL-terminated string valid until the
    // next dl* call on this thread; it is copied at once.
    unsafe {
        let msg = libc::dlerror();
        if msg.is_null() {
            "unknown error".into()
        } else {
            std::ffi::CStr::from_ptr(msg).to_string_lossy().into_owned()
        }
    }
}

/// The TLS module id of the object opened as `handle`, if it has TLS.
///
/// # Safety
/// `handle` must be a handle `dlopen` returned and that is not closed.
pub unsafe fn tls_module_id(handle: *mut c_void) -> Option<u64> {
    let mut module_id: libc::size_t = 0;
    // SAFETY: RTLD_DI_TLS_MODID writes one size_t for a valid handle (the
    // caller's promise).
    let rc = unsafe {
        libc::dlinfo(
            handle,
            libc::RTLD_DI_TLS_MODID,
            &mut module_id as *mut libc::size_t as *mut c_void,
        )
    };
    (rc == 0 && module_id != 0).then_some(module_id as u64)
}
