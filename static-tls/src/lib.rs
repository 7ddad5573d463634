//! Static TLS for a library the executor `dlopen`s.
//!
//! JIT'd code compiled as a program (g++'s and gcc's default PIE code) reaches
//! a library's thread-local variables with the initial-exec model: a fixed
//! offset from the thread pointer, valid only for libraries in static TLS.
//! glibc gives static TLS to the libraries a program starts with, and to a
//! `dlopen`ed library only when a relocation of the initial-exec kind refers
//! to it: relocating an `R_X86_64_TPOFF64` against one of its symbols makes
//! `dlopen` place its block in the surplus reserved at startup
//! (`_dl_try_allocate_static_tls`), in every thread, existing and future.
//!
//! So after loading a library with TLS, the executor loads a *request*: a
//! tiny shared object written here, held in memory (memfd), that needs the
//! library and carries one such relocation against one of its exported
//! thread-local variables. The request is closed again at once; the static
//! block stays the library's. This lets the `lantern` binary load the C++
//! runtime only for the programs that use it (a C program's debugger session
//! does not read libstdc++), while `std::call_once`'s initial-exec variables
//! still work.
//!
//! A crate of its own: the in-process executor (lantern-core) and
//! lantern-executor, which does not link lantern-core, both do this.

use std::ffi::{c_int, c_void, CStr, CString};

use object::elf;
use object::read::elf::ElfFile64;
use object::write::elf::{FileHeader, ProgramHeader, Rel, SectionHeader, Sym, Writer};
use object::{Endianness, Object, ObjectSymbol, SymbolKind};

/// What [`make_static`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The library has no TLS, or no symbol names it.
    NoTls,
    /// No exported thread-local variable to relocate against: its TLS
    /// stays dynamic.
    NothingExported,
    /// The block (`size` bytes) now has a fixed offset from the thread
    /// pointer.
    Placed { size: u64 },
    /// The library was loaded before and its TLS stays where it was (the
    /// loader's reason).
    KeptAsItWas { reason: String },
}

/// Why a library's TLS could not be placed in static TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Writing the request object failed.
    Request(String),
    /// The loader refused the request (glibc: "cannot allocate memory in
    /// static TLS block"); `size` is the library's TLS block.
    Refused { size: u64, reason: String },
}

/// A loaded module with a TLS segment, as the dynamic loader lists it.
struct TlsLibrary {
    /// The path the loader opened it by.
    path: String,
    /// The TLS block's size (the segment's `p_memsz`).
    size: u64,
}

/// Gives the TLS block of the library opened as `handle` a fixed offset from
/// the thread pointer. Does nothing for a library without TLS, or whose TLS
/// no symbol names (JIT'd code cannot refer to it). `loaded_before`: the
/// library was in the process before this `dlopen`; its TLS may already be
/// dynamic, which is then kept (and initial-exec references to it fail at
/// link time with their own error).
///
/// Call it right after the `dlopen`: once a thread has reached the
/// library's TLS through `__tls_get_addr` (a `dlsym` of one of its
/// variables does), glibc keeps the block dynamic for good.
///
/// # Safety
/// `handle` must be a handle `dlopen` returned and that is not closed.
pub unsafe fn make_static(handle: *mut c_void, loaded_before: bool) -> Result<Outcome, Failure> {
    // SAFETY: the caller's open handle.
    let Some(module_id) = (unsafe { lantern_dynsym::tls_module_id(handle) }) else {
        return Ok(Outcome::NoTls);
    };
    let Some(library) = tls_library(module_id) else {
        return Ok(Outcome::NoTls);
    };
    let Some(symbol) = exported_tls_symbol(&library.path) else {
        return Ok(Outcome::NothingExported);
    };
    let object = request_object(&library.path, &symbol)
        .map_err(|e| Failure::Request(format!("writing the static TLS request: {e}")))?;
    match load_request(&object) {
        Ok(()) => Ok(Outcome::Placed { size: library.size }),
        Err(reason) if loaded_before => Ok(Outcome::KeptAsItWas { reason }),
        Err(reason) => Err(Failure::Refused {
            size: library.size,
            reason,
        }),
    }
}

/// The path and TLS size of the loaded module with TLS module id `module_id`.
fn tls_library(module_id: u64) -> Option<TlsLibrary> {
    struct Search {
        module_id: u64,
        found: Option<TlsLibrary>,
    }
    unsafe extern "C" fn visit(
        info: *mut libc::dl_phdr_info,
        _size: usize,
        data: *mut c_void,
    ) -> c_int {
        // SAFETY: dl_iterate_phdr passes a valid info and our `Search`.
        let (info, search) = unsafe { (&*info, &mut *(data as *mut Search)) };
        if info.dlpi_tls_modid as u64 != search.module_id || info.dlpi_name.is_null() {
            return 0;
        }
        // SAFETY: dlpi_phdr points at dlpi_phnum program headers.
        let phdrs = unsafe { std::slice::from_raw_parts(info.dlpi_phdr, info.dlpi_phnum as usize) };
        let size = phdrs
            .iter()
            .find(|p| p.p_type == libc::PT_TLS)
            .map_or(0, |p| p.p_memsz);
        // SAFETY: dlpi_name is a NUL-terminated string owned by the loader.
        let path = unsafe { CStr::from_ptr(info.dlpi_name) };
        search.found = Some(TlsLibrary {
            path: path.to_string_lossy().into_owned(),
            size,
        });
        1
    }
    let mut search = Search {
        module_id,
        found: None,
    };
    // SAFETY: the callback only reads what glibc passes it.
    unsafe { libc::dl_iterate_phdr(Some(visit), &mut search as *mut Search as *mut c_void) };
    search.found.filter(|l| !l.path.is_empty())
}

/// The name of a thread-local variable the library at `path` defines and
/// exports (any one will do: the request places the library's whole block).
fn exported_tls_symbol(path: &str) -> Option<String> {
    let file = std::fs::File::open(path).ok()?;
    // SAFETY: a read-only private mapping of a library the loader has open;
    // libraries are replaced by renaming, not rewritten in place.
    let map = unsafe { memmap2::Mmap::map(&file) }.ok()?;
    let elf = ElfFile64::<Endianness>::parse(&*map).ok()?;
    // (`object`'s `is_definition` leaves STT_TLS out: test the section.)
    let symbol = elf
        .dynamic_symbols()
        .find(|s| s.kind() == SymbolKind::Tls && s.is_global() && !s.is_undefined())?;
    symbol.name().ok().map(str::to_string)
}

/// Entries of the request's `.dynamic`.
const DYNAMIC_COUNT: usize = 11;

/// A shared object that needs `library` and relocates one 8-byte word with
/// `R_X86_64_TPOFF64` against `symbol`: one read-write segment, no code.
fn request_object(library: &str, symbol: &str) -> object::write::Result<Vec<u8>> {
    let mut buffer = Vec::new();
    let mut w = Writer::new(Endianness::Little, true, &mut buffer);
    let needed = w.add_dynamic_string(library.as_bytes());
    let name = w.add_dynamic_string(symbol.as_bytes());

    // Layout: headers, .dynsym, .dynstr, .hash, .rela.dyn, the relocated
    // word, .dynamic; then .shstrtab and the section headers (not loaded).
    w.reserve_null_section_index();
    let dynsym_index = w.reserve_dynsym_section_index();
    w.reserve_dynstr_section_index();
    w.reserve_hash_section_index();
    let rela_name = w.add_section_name(b".rela.dyn");
    w.reserve_section_index();
    let data_name = w.add_section_name(b".data");
    w.reserve_section_index();
    w.reserve_dynamic_section_index();
    w.reserve_shstrtab_section_index();

    w.reserve_file_header();
    w.reserve_program_headers(2);
    w.reserve_null_dynamic_symbol_index();
    let symbol_index = w.reserve_dynamic_symbol_index();
    let dynsym_offset = w.reserve_dynsym();
    let dynstr_offset = w.reserve_dynstr()?;
    let hash_offset = w.reserve_hash(1, 2);
    let rela_offset = w.reserve_relocations(1, true);
    let slot_offset = w.reserve(8, 8);
    let dynamic_offset = w.reserve_dynamic(DYNAMIC_COUNT);
    let loaded_size = w.reserved_len();
    w.reserve_shstrtab()?;
    w.reserve_section_headers();

    w.write_file_header(&FileHeader {
        os_abi: elf::ELFOSABI_NONE,
        abi_version: 0,
        e_type: elf::ET_DYN,
        e_machine: elf::EM_X86_64,
        e_entry: 0,
        e_flags: Default::default(),
    })?;
    w.write_align_program_headers();
    // Addresses equal file offsets: one segment from the start of the file.
    w.write_program_header(&ProgramHeader {
        p_type: elf::PT_LOAD,
        p_flags: elf::PF_R | elf::PF_W,
        p_offset: 0,
        p_vaddr: 0,
        p_paddr: 0,
        p_filesz: loaded_size,
        p_memsz: loaded_size,
        p_align: 0x1000,
    });
    let dynamic_size = (DYNAMIC_COUNT * 16) as u64;
    w.write_program_header(&ProgramHeader {
        p_type: elf::PT_DYNAMIC,
        p_flags: elf::PF_R | elf::PF_W,
        p_offset: dynamic_offset,
        p_vaddr: dynamic_offset,
        p_paddr: dynamic_offset,
        p_filesz: dynamic_size,
        p_memsz: dynamic_size,
        p_align: 8,
    });

    w.write_null_dynamic_symbol();
    w.write_dynamic_symbol(&Sym {
        section: None,
        st_name: w.dynamic_string_offset(Some(name)),
        st_info: elf::STB_GLOBAL | elf::STT_TLS,
        st_other: elf::STV_DEFAULT.into(),
        st_shndx: elf::SHN_UNDEF,
        st_value: 0,
        st_size: 0,
    });
    w.write_dynstr();
    // The request defines nothing: an empty one-bucket table.
    w.write_hash(1, 2, |_| None);
    w.write_align_relocation();
    w.write_relocation(
        true,
        &Rel {
            r_offset: slot_offset,
            r_sym: symbol_index.0,
            r_type: elf::R_X86_64_TPOFF64,
            r_addend: 0,
        },
    );
    w.write_align(8);
    w.write(&[0; 8]);
    w.write_align_dynamic();
    w.write_dynamic_string(elf::DT_NEEDED, needed)?;
    for (tag, value) in [
        (elf::DT_HASH, hash_offset),
        (elf::DT_STRTAB, dynstr_offset),
        (elf::DT_SYMTAB, dynsym_offset),
        (elf::DT_STRSZ, u64::from(w.dynstr_len())),
        (elf::DT_SYMENT, 24),
        (elf::DT_RELA, rela_offset),
        (elf::DT_RELASZ, 24),
        (elf::DT_RELAENT, 24),
        (elf::DT_FLAGS, elf::DF_STATIC_TLS.0),
        (elf::DT_NULL, 0),
    ] {
        w.write_dynamic(tag, value)?;
    }
    w.write_shstrtab();

    w.write_null_section_header();
    w.write_dynsym_section_header(dynsym_offset, 1);
    w.write_dynstr_section_header(dynstr_offset);
    w.write_hash_section_header(hash_offset);
    w.write_relocation_section_header(
        rela_name,
        object::write::elf::SectionIndex(0),
        dynsym_index,
        rela_offset,
        1,
        true,
    );
    w.write_section_header(&SectionHeader {
        sh_name: w.section_name_offset(Some(data_name)),
        sh_type: elf::SHT_PROGBITS,
        sh_flags: elf::SHF_ALLOC | elf::SHF_WRITE,
        sh_addr: slot_offset,
        sh_offset: slot_offset,
        sh_size: 8,
        sh_link: 0,
        sh_info: 0,
        sh_addralign: 8,
        sh_entsize: 0,
    });
    w.write_dynamic_section_header(dynamic_offset);
    w.write_shstrtab_section_header();
    debug_assert_eq!(w.reserved_len(), buffer.len() as u64);
    Ok(buffer)
}

/// Loads the request from memory and closes it again; the loader's reason
/// if it refuses (glibc: "cannot allocate memory in static TLS block").
fn load_request(object: &[u8]) -> std::result::Result<(), String> {
    // SAFETY: memfd_create with a static NUL-terminated name.
    let fd = unsafe { libc::memfd_create(c"lantern-static-tls".as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        return Err(format!("memfd_create: {}", std::io::Error::last_os_error()));
    }
    // SAFETY: `fd` was just created and is owned here; it closes on drop,
    // after the request is closed (a debugger attached meanwhile reads the
    // object by this path while the process is stopped at the load).
    let file = unsafe { <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(fd) };
    std::io::Write::write_all(&mut &file, object).map_err(|e| format!("writing: {e}"))?;
    let path =
        CString::new(format!("/proc/{}/fd/{fd}", std::process::id())).expect("no NUL in a path");
    // SAFETY: dlopen of the object just written: no code, no constructors;
    // its one relocation is the point.
    let handle = unsafe { libc::dlopen(path.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
    if handle.is_null() {
        return Err(lantern_dynsym::dl_error());
    }
    // SAFETY: closing the handle opened above; the library it needs stays
    // open by the caller's handle, and its static TLS block is never freed.
    unsafe { libc::dlclose(handle) };
    drop(file);
    Ok(())
}

#[cfg(test)]
mod tests {
    use object::read::elf::{Dyn, ElfFile64, ProgramHeader as _};
    use object::{elf, Endianness, Object, ObjectSymbol};

    #[test]
    fn request_needs_the_library_and_relocates_against_its_symbol() {
        let bytes = super::request_object("/lib/libx.so.1", "_ZSt15__once_callable").unwrap();
        let file = ElfFile64::<Endianness>::parse(&*bytes).unwrap();
        let endian = Endianness::Little;
        let load = file
            .elf_program_headers()
            .iter()
            .find(|p| p.p_type(endian) == elf::PT_LOAD)
            .expect("PT_LOAD");
        assert_eq!(load.p_flags(endian), elf::PF_R | elf::PF_W);
        let symbols: Vec<_> = file
            .dynamic_symbols()
            .map(|s| (s.name().unwrap().to_string(), s.is_undefined()))
            .collect();
        assert_eq!(symbols, [("_ZSt15__once_callable".to_string(), true)]);
        let relocations: Vec<_> = file.dynamic_relocations().expect(".rela.dyn").collect();
        assert_eq!(relocations.len(), 1);
        assert_eq!(
            relocations[0].1.flags(),
            object::RelocationFlags::Elf {
                r_type: elf::R_X86_64_TPOFF64
            }
        );
        let dynamic = file
            .elf_program_headers()
            .iter()
            .find_map(|p| p.dynamic(endian, &*bytes).ok().flatten())
            .expect("PT_DYNAMIC");
        let strtab = file.elf_dynamic_symbol_table().strings();
        let needed: Vec<_> = dynamic
            .iter()
            .filter(|d| d.d_tag(endian) == elf::DT_NEEDED)
            .map(|d| d.string(endian, strtab).unwrap().to_vec())
            .collect();
        assert_eq!(needed, [b"/lib/libx.so.1".to_vec()]);
    }
}
