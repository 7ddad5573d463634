//! A unit's TLS image as a minimal in-memory shared object (ELF ET_DYN with a
//! PT_TLS segment), so the thread library (glibc) allocates and initializes it
//! for every thread, existing and future, and `__tls_get_addr` finds it by its
//! module id. Its section headers and `.symtab` name the unit's TLS
//! variables: debuggers resolve thread-local variables only through loaded
//! shared objects, and find them by these symbols.
//!
//! Written with `object`'s low-level `elf::Writer`, as the debug objects are
//! (`plugins/src/debug_object/elf_writer.rs`). The one loadable segment maps
//! the file from offset 0 at address 0, so every allocated section's address
//! is its file offset.

use object::elf;
use object::write::elf::{
    FileHeader, ProgramHeader, Rel, SectionHeader, SectionIndex, Sym, Writer,
};
use object::write::StringId;
use object::Endianness;

use super::TlsImage;

/// `DT_HASH`, `DT_STRTAB`, `DT_SYMTAB`, `DT_STRSZ`, `DT_SYMENT`, `DT_NULL`.
const BASE_DYNAMIC_ENTRIES: usize = 6;
/// `DT_RELA`, `DT_RELASZ`, `DT_RELAENT`, `DT_FLAGS`.
const STATIC_TLS_DYNAMIC_ENTRIES: usize = 4;
const SYM_SIZE: u64 = 24;
const RELA_SIZE: u64 = 24;

/// The bytes of a shared object whose only content is a TLS segment.
///
/// With `static_tls`, the object also carries one `R_X86_64_TPOFF64`
/// relocation against its own block (in `.rela.dyn`, writing a `.got` word):
/// relocating it makes glibc's `dlopen` place the block in the static TLS
/// area (from the surplus reserved at startup) at one offset from the thread
/// pointer in every thread, existing and future, as it does for a library
/// with initial-exec TLS.
pub(crate) fn build(image: &TlsImage<'_>, static_tls: bool) -> Vec<u8> {
    let init_size = image.init.len() as u64;
    let align = image.align.max(1);
    let mut out = Vec::new();
    let mut writer = Writer::new(Endianness::Little, true, &mut out);

    // Section indices and names, in section header order.
    writer.reserve_null_section_index();
    writer.reserve_dynsym_section_index();
    writer.reserve_dynstr_section_index();
    writer.reserve_hash_section_index();
    writer.reserve_dynamic_section_index();
    let static_names = static_tls.then(|| {
        let rela = writer.add_section_name(b".rela.dyn");
        let got = writer.add_section_name(b".got");
        (
            (rela, writer.reserve_section_index()),
            (got, writer.reserve_section_index()),
        )
    });
    let tdata = (
        writer.add_section_name(b".tdata"),
        writer.reserve_section_index(),
    );
    let tbss = (
        writer.add_section_name(b".tbss"),
        writer.reserve_section_index(),
    );
    let extra: Vec<(StringId, SectionIndex)> = image
        .sections
        .iter()
        .map(|s| {
            (
                writer.add_section_name(s.name.as_bytes()),
                writer.reserve_section_index(),
            )
        })
        .collect();

    // `.symtab`: locals first, as ELF requires.
    let ordered: Vec<_> = image
        .symbols
        .iter()
        .filter(|s| !s.global)
        .chain(image.symbols.iter().filter(|s| s.global))
        .collect();
    let num_local = 1 + image.symbols.iter().filter(|s| !s.global).count() as u32;
    writer.reserve_null_symbol_index();
    let symbols: Vec<(StringId, SectionIndex)> = ordered
        .iter()
        .map(|s| {
            let section = if s.offset < init_size {
                tdata.1
            } else {
                tbss.1
            };
            writer.reserve_symbol_index(Some(section));
            (writer.add_string(s.name.as_bytes()), section)
        })
        .collect();
    writer.reserve_symtab_section_index();
    if writer.symtab_shndx_needed() {
        writer.reserve_symtab_shndx_section_index();
    }
    writer.reserve_strtab_section_index();
    writer.reserve_shstrtab_section_index();

    // File ranges: the loaded part (headers, dynamic tables, the TLS
    // initialization image), then what only debuggers read.
    writer.reserve_file_header();
    writer.reserve_program_headers(3);
    writer.reserve_null_dynamic_symbol_index();
    let dynsym = writer.reserve_dynsym();
    let dynstr = writer.reserve_dynstr().expect("string table size fits");
    let hash = writer.reserve_hash(1, 1);
    let dynamic_entries = BASE_DYNAMIC_ENTRIES
        + if static_tls {
            STATIC_TLS_DYNAMIC_ENTRIES
        } else {
            0
        };
    let dynamic = writer.reserve_dynamic(dynamic_entries);
    let (rela, got) = if static_tls {
        let rela = writer.reserve_relocations(1, true);
        (rela, writer.reserve(8, 8))
    } else {
        (0, 0)
    };
    let tls_offset = writer.reserve(init_size, align);
    let load_size = writer.reserved_len();
    writer.reserve_symtab();
    writer.reserve_symtab_shndx();
    writer.reserve_strtab().expect("string table size fits");
    let extra_offsets: Vec<u64> = image
        .sections
        .iter()
        .map(|s| writer.reserve(s.bytes.len() as u64, 1))
        .collect();
    writer.reserve_shstrtab().expect("string table size fits");
    writer.reserve_section_headers();

    // Write, in the same order.
    writer
        .write_file_header(&FileHeader {
            os_abi: elf::ELFOSABI_NONE,
            abi_version: 0,
            e_type: elf::ET_DYN,
            e_machine: elf::EM_X86_64,
            e_entry: 0,
            e_flags: elf::FileFlags(0),
        })
        .expect("the buffer grows");
    writer.write_align_program_headers();
    let segment = |p_type, p_flags, offset, filesz, memsz, p_align| ProgramHeader {
        p_type,
        p_flags,
        p_offset: offset,
        p_vaddr: offset,
        p_paddr: offset,
        p_filesz: filesz,
        p_memsz: memsz,
        p_align,
    };
    // RW: the `.got` word is relocated.
    writer.write_program_header(&segment(
        elf::PT_LOAD,
        elf::PF_R | elf::PF_W,
        0,
        load_size,
        load_size,
        0x1000,
    ));
    let dynamic_size = dynamic_entries as u64 * 16;
    writer.write_program_header(&segment(
        elf::PT_DYNAMIC,
        elf::PF_R,
        dynamic,
        dynamic_size,
        dynamic_size,
        8,
    ));
    writer.write_program_header(&segment(
        elf::PT_TLS,
        elf::PF_R,
        tls_offset,
        init_size,
        image.mem_size,
        align,
    ));

    writer.write_null_dynamic_symbol();
    writer.write_dynstr();
    // One bucket and one chain, both empty: there are no dynamic symbols.
    writer.write_hash(1, 1, |_| None);
    writer.write_align_dynamic();
    let mut dynamic_table = vec![
        (elf::DT_HASH, hash),
        (elf::DT_STRTAB, dynstr),
        (elf::DT_SYMTAB, dynsym),
        (elf::DT_STRSZ, u64::from(writer.dynstr_len())),
        (elf::DT_SYMENT, SYM_SIZE),
    ];
    if static_tls {
        dynamic_table.extend([
            (elf::DT_RELA, rela),
            (elf::DT_RELASZ, RELA_SIZE),
            (elf::DT_RELAENT, RELA_SIZE),
            (elf::DT_FLAGS, elf::DF_STATIC_TLS.0),
        ]);
    }
    dynamic_table.push((elf::DT_NULL, 0));
    for (tag, value) in dynamic_table {
        writer.write_dynamic(tag, value).expect("a 64-bit value");
    }
    if static_tls {
        writer.write_align_relocation();
        // Against symbol 0 (this module), addend 0: the block's offset from
        // the thread pointer.
        writer.write_relocation(
            true,
            &Rel {
                r_offset: got,
                r_sym: 0,
                r_type: elf::R_X86_64_TPOFF64,
                r_addend: 0,
            },
        );
        writer.write_align(8);
        writer.write(&[0; 8]);
    }
    writer.write_align(align);
    writer.write(image.init);

    writer.write_null_symbol();
    for (symbol, (name, section)) in ordered.iter().zip(symbols) {
        let bind = if symbol.global {
            elf::STB_GLOBAL
        } else {
            elf::STB_LOCAL
        };
        writer.write_symbol(&Sym {
            st_name: writer.string_offset(Some(name)),
            st_info: elf::SymbolInfo::new(bind, elf::STT_TLS),
            st_other: elf::STV_DEFAULT.into(),
            section: Some(section.0),
            st_shndx: elf::SHN_UNDEF,
            // As a static linker writes it: the offset in the TLS segment.
            st_value: symbol.offset,
            st_size: symbol.size,
        });
    }
    writer.write_symtab_shndx();
    writer.write_strtab();
    for section in image.sections {
        writer.write(&section.bytes);
    }
    writer.write_shstrtab();

    writer.write_null_section_header();
    writer.write_dynsym_section_header(dynsym, 1);
    writer.write_dynstr_section_header(dynstr);
    writer.write_hash_section_header(hash);
    writer.write_dynamic_section_header(dynamic);
    if let Some(((rela_name, _), (got_name, _))) = static_names {
        let dynsym_index = writer.dynsym_index().0;
        writer.write_section_header(&SectionHeader {
            sh_name: writer.section_name_offset(Some(rela_name)),
            sh_type: elf::SHT_RELA,
            sh_flags: elf::SHF_ALLOC,
            sh_addr: rela,
            sh_offset: rela,
            sh_size: RELA_SIZE,
            sh_link: dynsym_index,
            sh_addralign: 8,
            sh_entsize: RELA_SIZE,
            ..Default::default()
        });
        writer.write_section_header(&SectionHeader {
            sh_name: writer.section_name_offset(Some(got_name)),
            sh_type: elf::SHT_PROGBITS,
            sh_flags: elf::SHF_ALLOC | elf::SHF_WRITE,
            sh_addr: got,
            sh_offset: got,
            sh_size: 8,
            sh_addralign: 8,
            sh_entsize: 8,
            ..Default::default()
        });
    }
    // `.tdata` and `.tbss` over the TLS segment, so debuggers see the
    // symbols as thread-local.
    let tls_section = |name, sh_type, addr, size, sh_addralign| SectionHeader {
        sh_name: name,
        sh_type,
        sh_flags: elf::SHF_WRITE | elf::SHF_ALLOC | elf::SHF_TLS,
        sh_addr: addr,
        sh_offset: addr,
        sh_size: size,
        sh_addralign,
        ..Default::default()
    };
    let tdata_name = writer.section_name_offset(Some(tdata.0));
    writer.write_section_header(&tls_section(
        tdata_name,
        elf::SHT_PROGBITS,
        tls_offset,
        init_size,
        align,
    ));
    let tbss_name = writer.section_name_offset(Some(tbss.0));
    writer.write_section_header(&tls_section(
        tbss_name,
        elf::SHT_NOBITS,
        tls_offset + init_size,
        image.mem_size.saturating_sub(init_size),
        1,
    ));
    for ((section, (name, _)), offset) in image.sections.iter().zip(extra).zip(extra_offsets) {
        writer.write_section_header(&SectionHeader {
            sh_name: writer.section_name_offset(Some(name)),
            sh_type: elf::SHT_PROGBITS,
            sh_offset: offset,
            sh_size: section.bytes.len() as u64,
            sh_addralign: 1,
            ..Default::default()
        });
    }
    writer.write_symtab_section_header(num_local);
    writer.write_symtab_shndx_section_header();
    writer.write_strtab_section_header();
    writer.write_shstrtab_section_header();
    debug_assert_eq!(writer.reserved_len(), writer.len());
    drop(writer);
    out
}

#[cfg(test)]
mod tests {
    use object::elf;
    use object::read::elf::{ElfFile64, ProgramHeader};
    use object::{LittleEndian, Object, ObjectSection, ObjectSymbol, SymbolKind};

    use crate::executor::{ExecutorControl, InProcessExecutor, TlsImage};
    use crate::graph::{NoAllocOutput, TlsSymbol};

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
            .find(|p| p.p_type(LittleEndian) == elf::PT_TLS)
            .expect("PT_TLS");
        assert_eq!(tls.p_memsz(LittleEndian), 64);
        assert_eq!(tls.p_filesz(LittleEndian), 4);
        assert_eq!(tls.p_offset(LittleEndian) % 16, 0);
        let start = tls.p_offset(LittleEndian) as usize;
        assert_eq!(&bytes[start..start + 4], &[1, 2, 3, 4]);
    }

    #[test]
    fn image_object_names_its_variables_as_thread_local() {
        let symbols = counter_and_scratch();
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

    fn counter_and_scratch() -> [TlsSymbol; 2] {
        [
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
        ]
    }

    #[test]
    fn readelf_reads_the_image_without_complaint() {
        let Some(readelf) = ["readelf", "llvm-readelf-19"].into_iter().find(|tool| {
            std::process::Command::new(tool)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        }) else {
            let message = "readelf not found (tried readelf, llvm-readelf-19)";
            assert!(std::env::var("CI").is_err(), "CI=true and {message}");
            eprintln!("\n!!! SKIPPING: {message} !!!\n");
            return;
        };
        let symbols = counter_and_scratch();
        let sections = [NoAllocOutput {
            name: ".debug_info".into(),
            bytes: vec![0; 5],
        }];
        for static_tls in [false, true] {
            let bytes = super::build(
                &TlsImage {
                    sections: &sections,
                    ..image(&[0; 12], &symbols)
                },
                static_tls,
            );
            let path = std::env::temp_dir().join(format!(
                "lantern-tls-image-{}-{static_tls}.so",
                std::process::id()
            ));
            std::fs::write(&path, &bytes).unwrap();
            let output = std::process::Command::new(readelf)
                .args(["-W", "-a"])
                .arg(&path)
                .output()
                .unwrap();
            std::fs::remove_file(&path).unwrap();
            let stdout = String::from_utf8_lossy(&output.stdout);
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(output.status.success() && stderr.is_empty(), "{stderr}");
            for expected in [
                "DYN (Shared object file)",
                "TLS",
                ".tdata",
                ".tbss",
                ".debug_info",
            ] {
                assert!(stdout.contains(expected), "no {expected} in:\n{stdout}");
            }
            assert_eq!(stdout.contains("R_X86_64_TPOFF64"), static_tls, "{stdout}");
            assert_eq!(stdout.contains("STATIC_TLS"), static_tls, "{stdout}");
        }
    }

    #[test]
    fn the_dynamic_loader_accepts_the_image() {
        let executor = InProcessExecutor::new();
        let symbols = counter_and_scratch();
        for static_tls in [false, true] {
            let module = executor
                .load_tls_image(&image(&[7; 12], &symbols), static_tls)
                .unwrap();
            assert_ne!(module.module_id, 0);
            // Variant II: a static block lies below the thread pointer.
            assert_eq!(module.tp_offset.is_some_and(|o| o < 0), static_tls);
            executor.unload_tls_image(&module);
        }
    }
}
