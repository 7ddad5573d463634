//! A unit's TLS image as a minimal in-memory shared object (ELF ET_DYN with a
//! PT_TLS segment), so the thread library (glibc) allocates and initializes it
//! for every thread, existing and future, and `__tls_get_addr` finds it by its
//! module id. Its section headers and `.symtab` name the unit's TLS
//! variables: debuggers resolve thread-local variables only through loaded
//! shared objects, and find them by these symbols.

use super::TlsImage;

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
const SHT_PROGBITS: u32 = 1;
const SHT_SYMTAB: u32 = 2;
const SHT_STRTAB: u32 = 3;
const SHT_NOBITS: u32 = 8;
const SHF_TLS_DATA: u64 = 0x1 | 0x2 | 0x400; // SHF_WRITE | SHF_ALLOC | SHF_TLS
const STT_TLS: u8 = 6;
const STB_LOCAL: u8 = 0;
const STB_GLOBAL: u8 = 1;
/// Null, .tdata, .tbss, .symtab, .strtab, .shstrtab; the image's extra
/// sections go before .shstrtab.
const FIXED_SECTIONS: u16 = 6;
const TDATA_INDEX: u16 = 1;
const TBSS_INDEX: u16 = 2;

/// The bytes of a shared object whose only content is a TLS segment.
///
/// With `static_tls`, the object also carries one `R_X86_64_TPOFF64`
/// relocation against its own block: relocating it makes glibc's `dlopen`
/// place the block in the static TLS area (from the surplus reserved at
/// startup) at one offset from the thread pointer in every thread, existing
/// and future, as it does for a library with initial-exec TLS.
pub(crate) fn build(image: &TlsImage<'_>, static_tls: bool) -> Vec<u8> {
    let (init, mem_size) = (image.init, image.mem_size);
    let align = image.align.max(1);
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
    u64le(&mut out, 0); // e_shoff, patched once the section headers are placed
    u32le(&mut out, 0); // e_flags
    u16le(&mut out, EHDR_SIZE as u16);
    u16le(&mut out, PHDR_SIZE as u16);
    u16le(&mut out, PHNUM as u16);
    u16le(&mut out, 64); // e_shentsize
    u16le(&mut out, 0); // e_shnum and e_shstrndx (.shstrtab, last): patched
    u16le(&mut out, 0);

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
    append_symbols_and_sections(&mut out, image, tls_offset);
    out
}

/// `.symtab` (locals first, as ELF requires), `.strtab`, `.shstrtab` and the
/// section headers: `.tdata` and `.tbss` over the TLS segment, so debuggers
/// see the symbols as thread-local.
fn append_symbols_and_sections(out: &mut Vec<u8>, image: &TlsImage<'_>, tls_offset: u64) {
    let init_size = image.init.len() as u64;
    let mut strtab = vec![0u8];
    let mut symtab = vec![0u8; 24];
    let mut ordered: Vec<_> = image.symbols.iter().filter(|s| !s.global).collect();
    let first_global = ordered.len() + 1;
    ordered.extend(image.symbols.iter().filter(|s| s.global));
    for symbol in ordered {
        let name = strtab.len() as u32;
        strtab.extend_from_slice(symbol.name.as_bytes());
        strtab.push(0);
        let bind = if symbol.global { STB_GLOBAL } else { STB_LOCAL };
        let section = if symbol.offset < init_size {
            TDATA_INDEX
        } else {
            TBSS_INDEX
        };
        symtab.extend_from_slice(&name.to_le_bytes());
        symtab.push(bind << 4 | STT_TLS);
        symtab.push(0); // st_other: default visibility
        symtab.extend_from_slice(&section.to_le_bytes());
        // As a static linker writes it: the offset in the TLS segment.
        symtab.extend_from_slice(&symbol.offset.to_le_bytes());
        symtab.extend_from_slice(&symbol.size.to_le_bytes());
    }
    let mut shstrtab = vec![0u8];
    let mut section_name = |name: &str| {
        let offset = shstrtab.len() as u32;
        shstrtab.extend_from_slice(name.as_bytes());
        shstrtab.push(0);
        offset
    };
    let names = [
        section_name(".tdata"),
        section_name(".tbss"),
        section_name(".symtab"),
        section_name(".strtab"),
    ];
    let extra_names: Vec<u32> = image
        .sections
        .iter()
        .map(|s| section_name(&s.name))
        .collect();
    let shstrtab_name = section_name(".shstrtab");

    out.resize(out.len().next_multiple_of(8), 0);
    let symtab_offset = out.len() as u64;
    out.extend_from_slice(&symtab);
    let strtab_offset = out.len() as u64;
    out.extend_from_slice(&strtab);
    let mut extra_offsets = Vec::with_capacity(image.sections.len());
    for section in image.sections {
        extra_offsets.push(out.len() as u64);
        out.extend_from_slice(&section.bytes);
    }
    let shstrtab_offset = out.len() as u64;
    out.extend_from_slice(&shstrtab);
    out.resize(out.len().next_multiple_of(8), 0);
    let shoff = out.len() as u64;
    out[0x28..0x30].copy_from_slice(&shoff.to_le_bytes());
    let count = FIXED_SECTIONS + image.sections.len() as u16;
    out[0x3c..0x3e].copy_from_slice(&count.to_le_bytes()); // e_shnum
    out[0x3e..0x40].copy_from_slice(&(count - 1).to_le_bytes()); // e_shstrndx

    let tbss_addr = tls_offset + init_size;
    let tls_data = |name, sh_type, addr, size, align| SectionHeader {
        name,
        sh_type,
        flags: SHF_TLS_DATA,
        addr,
        offset: addr,
        size,
        align,
        ..SectionHeader::default()
    };
    let table = |name, sh_type, offset, size: usize| SectionHeader {
        name,
        sh_type,
        offset,
        size: size as u64,
        align: 1,
        ..SectionHeader::default()
    };
    let mut headers = vec![
        SectionHeader::default(),
        tls_data(
            names[0],
            SHT_PROGBITS,
            tls_offset,
            init_size,
            image.align.max(1),
        ),
        tls_data(
            names[1],
            SHT_NOBITS,
            tbss_addr,
            image.mem_size.saturating_sub(init_size),
            1,
        ),
        SectionHeader {
            link: 4, // .strtab
            info: first_global as u32,
            align: 8,
            entsize: 24,
            ..table(names[2], SHT_SYMTAB, symtab_offset, symtab.len())
        },
        table(names[3], SHT_STRTAB, strtab_offset, strtab.len()),
    ];
    for ((section, name), offset) in image.sections.iter().zip(extra_names).zip(extra_offsets) {
        headers.push(table(name, SHT_PROGBITS, offset, section.bytes.len()));
    }
    headers.push(table(
        shstrtab_name,
        SHT_STRTAB,
        shstrtab_offset,
        shstrtab.len(),
    ));
    for header in headers {
        header.write(out);
    }
}

/// An `Elf64_Shdr`.
#[derive(Default)]
struct SectionHeader {
    name: u32,
    sh_type: u32,
    flags: u64,
    addr: u64,
    offset: u64,
    size: u64,
    link: u32,
    info: u32,
    align: u64,
    entsize: u64,
}

impl SectionHeader {
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.name.to_le_bytes());
        out.extend_from_slice(&self.sh_type.to_le_bytes());
        out.extend_from_slice(&self.flags.to_le_bytes());
        out.extend_from_slice(&self.addr.to_le_bytes());
        out.extend_from_slice(&self.offset.to_le_bytes());
        out.extend_from_slice(&self.size.to_le_bytes());
        out.extend_from_slice(&self.link.to_le_bytes());
        out.extend_from_slice(&self.info.to_le_bytes());
        out.extend_from_slice(&self.align.to_le_bytes());
        out.extend_from_slice(&self.entsize.to_le_bytes());
    }
}

#[cfg(test)]
mod tests {
    use object::read::elf::{ElfFile64, ProgramHeader};
    use object::{LittleEndian, Object, ObjectSection, ObjectSymbol, SymbolKind};

    use crate::executor::TlsImage;
    use crate::graph::TlsSymbol;

    fn image<'a>(init: &'a [u8], symbols: &'a [TlsSymbol]) -> TlsImage<'a> {
        TlsImage {
            init,
            mem_size: 64,
            align: 16,
            symbols,
            sections: &[],
        }
    }

    #[test]
    fn image_object_has_a_tls_segment() {
        let bytes = super::build(&image(&[1, 2, 3, 4], &[]), false);
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

    #[test]
    fn image_object_names_its_variables_as_thread_local() {
        let symbols = [
            TlsSymbol {
                name: "counter".into(),
                offset: 8,
                size: 4,
                global: true,
            },
            TlsSymbol {
                name: "scratch".into(),
                offset: 0,
                size: 4,
                global: false,
            },
        ];
        let bytes = super::build(&image(&[0; 12], &symbols), true);
        let file = ElfFile64::<LittleEndian>::parse(&*bytes).unwrap();
        let tbss = file.section_by_name(".tbss").expect(".tbss");
        assert_eq!(tbss.size(), 64 - 12);
        let found: Vec<_> = file
            .symbols()
            .map(|s| {
                (
                    s.name().unwrap().to_string(),
                    s.address(),
                    s.is_global(),
                    s.kind(),
                )
            })
            .collect();
        assert_eq!(
            found,
            [
                ("scratch".to_string(), 0, false, SymbolKind::Tls),
                ("counter".to_string(), 8, true, SymbolKind::Tls),
            ]
        );
    }
}
