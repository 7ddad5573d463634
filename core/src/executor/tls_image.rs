//! A unit's TLS image as a minimal in-memory shared object (ELF ET_DYN with a
//! PT_TLS segment), so the thread library (glibc) allocates and initializes it
//! for every thread, existing and future, and `__tls_get_addr` finds it by its
//! module id.

const EHDR_SIZE: u64 = 64;
const PHDR_SIZE: u64 = 56;
const PHNUM: u64 = 3;
const DYNSYM_OFFSET: u64 = 0x100;
const DYNSTR_OFFSET: u64 = DYNSYM_OFFSET + 24;
const HASH_OFFSET: u64 = DYNSTR_OFFSET + 8;
const DYNAMIC_OFFSET: u64 = HASH_OFFSET + 16;
const DYNAMIC_ENTRIES: u64 = 10;
const RELA_OFFSET: u64 = DYNAMIC_OFFSET + DYNAMIC_ENTRIES * 16;
/// The word the static-TLS relocation writes (the block's thread-pointer offset).
const TPOFF_SLOT_OFFSET: u64 = RELA_OFFSET + 24;
const DT_FLAGS: u64 = 30;
const DF_STATIC_TLS: u64 = 0x10;
const R_X86_64_TPOFF64: u64 = 18;

/// The bytes of a shared object whose only content is a TLS segment.
///
/// With `static_tls`, the object also carries one `R_X86_64_TPOFF64`
/// relocation against its own block: relocating it makes glibc's `dlopen`
/// place the block in the static TLS area (from the surplus reserved at
/// startup) at one offset from the thread pointer in every thread, existing
/// and future, as it does for a library with initial-exec TLS.
pub(crate) fn build(init: &[u8], mem_size: u64, align: u64, static_tls: bool) -> Vec<u8> {
    let align = align.max(1);
    let tls_offset = (TPOFF_SLOT_OFFSET + 8).next_multiple_of(align);
    let file_size = tls_offset + init.len() as u64;
    let mut out = Vec::with_capacity(file_size as usize);
    let u16le = |out: &mut Vec<u8>, v: u16| out.extend_from_slice(&v.to_le_bytes());
    let u32le = |out: &mut Vec<u8>, v: u32| out.extend_from_slice(&v.to_le_bytes());
    let u64le = |out: &mut Vec<u8>, v: u64| out.extend_from_slice(&v.to_le_bytes());

    // ELF header.
    out.extend_from_slice(&[0x7f, b'E', b'L', b'F', 2, 1, 1, 0]);
    out.extend_from_slice(&[0; 8]);
    u16le(&mut out, 3); // ET_DYN
    u16le(&mut out, 62); // EM_X86_64
    u32le(&mut out, 1); // EV_CURRENT
    u64le(&mut out, 0); // e_entry
    u64le(&mut out, EHDR_SIZE); // e_phoff
    u64le(&mut out, 0); // e_shoff
    u32le(&mut out, 0); // e_flags
    u16le(&mut out, EHDR_SIZE as u16);
    u16le(&mut out, PHDR_SIZE as u16);
    u16le(&mut out, PHNUM as u16);
    u16le(&mut out, 64); // e_shentsize
    u16le(&mut out, 0); // e_shnum
    u16le(&mut out, 0); // e_shstrndx

    let phdr = |out: &mut Vec<u8>,
                p_type: u32,
                flags: u32,
                offset: u64,
                filesz: u64,
                memsz: u64,
                align: u64| {
        u32le(out, p_type);
        u32le(out, flags);
        u64le(out, offset); // p_offset
        u64le(out, offset); // p_vaddr
        u64le(out, offset); // p_paddr
        u64le(out, filesz);
        u64le(out, memsz);
        u64le(out, align);
    };
    phdr(&mut out, 1, 6, 0, file_size, file_size, 0x1000); // PT_LOAD, RW (the slot is relocated)
    phdr(
        &mut out,
        2,
        4,
        DYNAMIC_OFFSET,
        DYNAMIC_ENTRIES * 16,
        DYNAMIC_ENTRIES * 16,
        8,
    ); // PT_DYNAMIC
    phdr(
        &mut out,
        7,
        4,
        tls_offset,
        init.len() as u64,
        mem_size,
        align,
    ); // PT_TLS

    out.resize(DYNSYM_OFFSET as usize, 0);
    out.extend_from_slice(&[0; 24]); // the null symbol
    out.resize(HASH_OFFSET as usize, 0); // dynstr: "\0"
    for word in [1u32, 1, 0, 0] {
        // SysV hash: one bucket, one chain, both empty.
        u32le(&mut out, word);
    }
    let rela_size = if static_tls { 24 } else { 0 };
    for (tag, value) in [
        (4u64, HASH_OFFSET), // DT_HASH
        (5, DYNSTR_OFFSET),  // DT_STRTAB
        (6, DYNSYM_OFFSET),  // DT_SYMTAB
        (10, 1),             // DT_STRSZ
        (11, 24),            // DT_SYMENT
        (7, RELA_OFFSET),    // DT_RELA
        (8, rela_size),      // DT_RELASZ
        (9, 24),             // DT_RELAENT
        (DT_FLAGS, if static_tls { DF_STATIC_TLS } else { 0 }),
        (0, 0), // DT_NULL
    ] {
        u64le(&mut out, tag);
        u64le(&mut out, value);
    }
    debug_assert_eq!(out.len() as u64, RELA_OFFSET);
    // R_X86_64_TPOFF64 against symbol 0 (this module), addend 0, at the slot.
    u64le(&mut out, TPOFF_SLOT_OFFSET);
    u64le(&mut out, R_X86_64_TPOFF64);
    u64le(&mut out, 0);
    u64le(&mut out, 0); // the slot
    out.resize(tls_offset as usize, 0);
    out.extend_from_slice(init);
    out
}

#[cfg(test)]
mod tests {
    use object::read::elf::{ElfFile64, ProgramHeader};
    use object::LittleEndian;

    #[test]
    fn image_object_has_a_tls_segment() {
        let bytes = super::build(&[1, 2, 3, 4], 64, 16, false);
        let file = ElfFile64::<LittleEndian>::parse(&*bytes).unwrap();
        let tls = file
            .elf_program_headers()
            .iter()
            .find(|p| p.p_type(LittleEndian).0 == 7)
            .expect("PT_TLS");
        assert_eq!(tls.p_memsz(LittleEndian), 64);
        assert_eq!(tls.p_filesz(LittleEndian), 4);
        assert_eq!(tls.p_offset(LittleEndian) % 16, 0);
        let start = tls.p_offset(LittleEndian) as usize;
        assert_eq!(&bytes[start..start + 4], &[1, 2, 3, 4]);
    }
}
