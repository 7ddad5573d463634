//! What a symbol of a library in the executor is, as the in-process
//! executor finds it (core/src/executor/in_process.rs): kind and size from
//! the dynamic symbol table (`lantern_dynsym`, else `dladdr1`), and for a
//! thread-local variable (whose `dlsym` address is the calling thread's
//! copy, in no library's image) its library's TLS module, its offset in the
//! block, and its offset from the thread pointer when the block is in
//! static TLS.

use std::ffi::{c_int, c_void};

extern "C" {
    fn dladdr1(
        addr: *const c_void,
        info: *mut libc::Dl_info,
        extra: *mut *mut c_void,
        flags: c_int,
    ) -> c_int;
    fn __tls_get_addr(index: *const u64) -> *mut c_void;
}

const RTLD_DL_SYMENT: c_int = 1;

/// (is a function, size) of the symbol at `addr`, if a library's image
/// holds it; `None` for an address in no image (a thread-local copy).
pub fn symbol_info(addr: u64) -> Option<(bool, u64)> {
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
    let st_type = sym.st_info & 0xf;
    Some((st_type == 2 || st_type == 10, sym.st_size))
}

/// (module id, offset in its block, offset from the thread pointer if
/// static) of the thread-local variable whose copy in this thread is at
/// `addr`.
pub fn host_tls(addr: u64) -> Option<(u64, u64, Option<i64>)> {
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
    Some((
        module_id,
        offset,
        (here == there).then_some(here + offset as i64),
    ))
}

/// The calling thread's copy of TLS module `module_id`'s block.
fn tls_block(module_id: u64) -> u64 {
    let index = [module_id, 0];
    // SAFETY: __tls_get_addr with the (module, 0) pair of a loaded module
    // returns the calling thread's block, allocating it if needed.
    unsafe { __tls_get_addr(index.as_ptr()) as u64 }
}

/// The calling thread's thread pointer (`%fs:0` holds its own address).
pub fn thread_pointer() -> u64 {
    let tp: u64;
    // SAFETY: reads the TCB's self pointer, which glibc sets up for every thread.
    unsafe {
        std::arch::asm!("mov {}, qword ptr fs:[0]", out(reg) tp, options(nostack, readonly, preserves_flags))
    };
    tp
}
