//! What a host symbol is: a loaded object's dynamic symbol by name, through
//! its GNU hash table ([`lookup`]), and with `dladdr1` and the TLS blocks
//! ([`describe`]), the same for the in-process executor and lantern-executor.
//!
//! `dladdr1` tells a host symbol's type and size, but finds them by
//! scanning the whole dynamic symbol table of the object holding the address
//! (about 15 µs in libc): a program that calls a hundred libc functions paid
//! a millisecond of its link for it. The GNU hash table, which the dynamic
//! linker itself uses, finds the symbol by name in a few probes.

use std::ffi::{c_int, c_void};

mod host;
pub use host::{
    describe, dl_error, thread_pointer, tls_block, tls_module_id, HostSymbolInfo, TlsPlace,
};

const PT_LOAD: u32 = 1;
const PT_DYNAMIC: u32 = 2;
const DT_NULL: i64 = 0;
const DT_STRTAB: i64 = 5;
const DT_SYMTAB: i64 = 6;
const DT_STRSZ: i64 = 10;
const DT_GNU_HASH: i64 = 0x6fff_fef5;
const STT_FUNC: u8 = 2;
const STT_GNU_IFUNC: u8 = 10;

/// What the dynamic symbol table says of a host symbol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DynamicSymbol {
    pub is_function: bool,
    pub size: u64,
}

/// The hash function of `DT_GNU_HASH` (Bernstein's, seeded with 5381).
fn gnu_hash(name: &[u8]) -> u32 {
    name.iter().fold(5381u32, |h, &c| {
        h.wrapping_mul(33).wrapping_add(u32::from(c))
    })
}

/// The dynamic symbol `name` of the loaded object whose image holds `addr`
/// (an address `dlsym` gave for `name`), or `None` when the object has no
/// GNU hash table or the table has no entry at `addr` (the caller then
/// asks `dladdr1`). An indirect function's entry matches whatever address
/// its resolver chose.
pub fn lookup(addr: u64, name: &[u8]) -> Option<DynamicSymbol> {
    struct Search<'a> {
        addr: u64,
        name: &'a [u8],
        found: Option<DynamicSymbol>,
    }
    unsafe extern "C" fn visit(
        info: *mut libc::dl_phdr_info,
        _size: usize,
        data: *mut c_void,
    ) -> c_int {
        // SAFETY: dl_iterate_phdr passes a valid info and our `Search`.
        let (info, search) = unsafe { (&*info, &mut *(data as *mut Search)) };
        if info.dlpi_phdr.is_null() {
            return 0;
        }
        // SAFETY: the dynamic linker's program headers of a loaded object:
        // `dlpi_phnum` entries, mapped while the object is loaded (it is:
        // we are inside dl_iterate_phdr, which holds the loader's lock).
        let phdrs = unsafe { std::slice::from_raw_parts(info.dlpi_phdr, info.dlpi_phnum.into()) };
        let base = info.dlpi_addr;
        let holds = phdrs.iter().any(|p| {
            let start = base.wrapping_add(p.p_vaddr);
            p.p_type == PT_LOAD && (start..start.wrapping_add(p.p_memsz)).contains(&search.addr)
        });
        if !holds {
            return 0;
        }
        // SAFETY: the object is loaded and its headers are the loader's.
        search.found = unsafe { in_object(base, phdrs, search.addr, search.name) };
        1
    }
    let mut search = Search {
        addr,
        name,
        found: None,
    };
    // SAFETY: `visit` only reads what the loader hands it and writes our
    // `Search`, which outlives the call.
    unsafe { libc::dl_iterate_phdr(Some(visit), &mut search as *mut Search as *mut c_void) };
    search.found
}

/// Reads a `T` at `addr`.
///
/// # Safety
/// `addr` must be a readable, aligned `T` of a loaded object.
unsafe fn read<T: Copy>(addr: u64) -> T {
    // SAFETY: as the caller promised.
    unsafe { std::ptr::read(addr as *const T) }
}

/// The lookup in one object, loaded at `base` with program headers `phdrs`.
///
/// # Safety
/// The object must be loaded, and `phdrs` its program headers.
unsafe fn in_object(
    base: u64,
    phdrs: &[libc::Elf64_Phdr],
    addr: u64,
    name: &[u8],
) -> Option<DynamicSymbol> {
    let dynamic = phdrs.iter().find(|p| p.p_type == PT_DYNAMIC)?;
    let (mut hash, mut symtab, mut strtab, mut strsz) = (0, 0, 0, 0);
    let entries = dynamic.p_memsz / 16;
    for i in 0..entries {
        let at = base.wrapping_add(dynamic.p_vaddr) + i * 16;
        // SAFETY: inside the object's PT_DYNAMIC segment, which is loaded.
        let (tag, value): (i64, u64) = unsafe { (read(at), read(at + 8)) };
        // glibc relocates the addresses in a writable `.dynamic` in place;
        // an object whose `.dynamic` it leaves alone (the vDSO) keeps offsets.
        let address = if value < base {
            base.wrapping_add(value)
        } else {
            value
        };
        match tag {
            DT_NULL => break,
            DT_GNU_HASH => hash = address,
            DT_SYMTAB => symtab = address,
            DT_STRTAB => strtab = address,
            DT_STRSZ => strsz = value,
            _ => {}
        }
    }
    if hash == 0 || symtab == 0 || strtab == 0 {
        return None;
    }
    // SAFETY (every read below): the GNU hash table, symbol table and
    // string table the object's dynamic section names, all mapped with it;
    // indices come from the table itself and names are read no further
    // than their terminating NUL or the string table's size.
    let (nbuckets, symoffset, bloom_words): (u32, u32, u32) =
        unsafe { (read(hash), read(hash + 4), read(hash + 8)) };
    if nbuckets == 0 {
        return None;
    }
    let buckets = hash + 16 + u64::from(bloom_words) * 8;
    let chains = buckets + u64::from(nbuckets) * 4;
    let h = gnu_hash(name);
    let mut index: u32 = unsafe { read(buckets + u64::from(h % nbuckets) * 4) };
    if index < symoffset {
        return None;
    }
    loop {
        let chain: u32 = unsafe { read(chains + u64::from(index - symoffset) * 4) };
        if chain | 1 == h | 1 {
            let sym: libc::Elf64_Sym = unsafe { read(symtab + u64::from(index) * 24) };
            let start = u64::from(sym.st_name);
            let named = start + (name.len() as u64) < strsz
                && name
                    .iter()
                    .enumerate()
                    .all(|(i, &c)| unsafe { read::<u8>(strtab + start + i as u64) } == c)
                && unsafe { read::<u8>(strtab + start + name.len() as u64) } == 0;
            let kind = sym.st_info & 0xf;
            if named && (kind == STT_GNU_IFUNC || base.wrapping_add(sym.st_value) == addr) {
                return Some(DynamicSymbol {
                    is_function: kind == STT_FUNC || kind == STT_GNU_IFUNC,
                    size: sym.st_size,
                });
            }
        }
        if chain & 1 == 1 {
            return None;
        }
        index += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CString;

    /// What `dladdr1` says of the symbol at `addr`.
    fn by_scan(addr: *mut c_void) -> Option<DynamicSymbol> {
        host::by_dladdr1(addr as u64).map(|(is_function, size)| DynamicSymbol { is_function, size })
    }

    #[test]
    fn agrees_with_dladdr1_on_functions_data_and_indirect_functions() {
        // Functions, indirect functions (memcpy, strlen, libm's cos: dlsym
        // gives the chosen implementation), data (stdout, environ) and a library
        // loaded later (libm).
        let libm = CString::new("libm.so.6").unwrap();
        // SAFETY: loads libm, which is never unloaded here.
        unsafe { libc::dlopen(libm.as_ptr(), libc::RTLD_NOW | libc::RTLD_GLOBAL) };
        let mut checked = 0;
        for name in [
            "printf",
            "malloc",
            "qsort",
            "memcpy",
            "strlen",
            "stdout",
            "environ",
            "cos",
            "pthread_create",
        ] {
            let cname = CString::new(name).unwrap();
            // SAFETY: dlsym with RTLD_DEFAULT and a NUL-terminated name only reads.
            let addr = unsafe { libc::dlsym(libc::RTLD_DEFAULT, cname.as_ptr()) };
            assert!(!addr.is_null(), "{name} not found");
            let fast = lookup(addr as u64, name.as_bytes());
            let scan = by_scan(addr);
            match (name, fast) {
                // Indirect functions: dladdr1 looks at the resolver's pick
                // (a local symbol: it finds none or a neighbour).
                ("memcpy" | "strlen" | "cos", Some(f)) => assert!(f.is_function, "{name}"),
                _ => assert_eq!(fast, scan, "{name}"),
            }
            checked += usize::from(fast.is_some());
        }
        assert!(
            checked >= 7,
            "the hash table answered for {checked} names only"
        );
        assert_eq!(lookup(1, b"printf"), None, "an address in no object");
    }
}
