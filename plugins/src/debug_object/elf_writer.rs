//! An ELF64 `ET_REL` writer on `object`'s low-level `elf::Writer`: sections
//! with chosen addresses (which `object`'s high-level writer cannot set), a
//! symbol table and its string tables. Past `SHN_LORESERVE` sections the
//! writer uses extended section numbering (`e_shnum` in section 0,
//! `.symtab_shndx`).

use object::elf;
use object::write::elf::{FileHeader, SectionHeader, SectionIndex, Sym, Writer};
use object::write::{StringId, WritableBuffer};
use object::Endianness;

/// One section of the output object.
#[derive(Default)]
pub struct OutSection<'a> {
    pub name: String,
    pub sh_type: u32,
    pub flags: u64,
    pub addr: u64,
    /// For NOBITS the size; otherwise the length of `data`.
    pub size: u64,
    pub align: u64,
    pub data: &'a [u8],
    /// `sh_link`: the index (in the sections passed to [`write`]) of the
    /// section this one refers to.
    pub link: Option<usize>,
    pub info: u32,
    pub entsize: u64,
}

impl<'a> OutSection<'a> {
    /// A non-allocated section with contents (DWARF), at address 0.
    pub fn unallocated(name: String, data: &'a [u8]) -> Self {
        OutSection {
            name,
            sh_type: PROGBITS,
            flags: 0,
            addr: 0,
            size: data.len() as u64,
            align: 1,
            data,
            ..Default::default()
        }
    }
}

/// One symbol; `section` is an index into the sections passed to [`write`].
pub struct OutSymbol {
    pub name: String,
    pub value: u64,
    pub size: u64,
    pub section: usize,
    pub bind: u8,
    pub typ: u8,
}

pub const SHT_NOBITS: u32 = elf::SHT_NOBITS.0;
pub const PROGBITS: u32 = elf::SHT_PROGBITS.0;
pub const STB_LOCAL: u8 = elf::STB_LOCAL.0;
pub const STB_GLOBAL: u8 = elf::STB_GLOBAL.0;
pub const STB_WEAK: u8 = elf::STB_WEAK.0;
pub const STT_OBJECT: u8 = elf::STT_OBJECT.0;
pub const STT_FUNC: u8 = elf::STT_FUNC.0;
pub const SHT_RELA: u32 = elf::SHT_RELA.0;
pub const SHT_DYNSYM: u32 = elf::SHT_DYNSYM.0;
pub const SHT_STRTAB: u32 = elf::SHT_STRTAB.0;
pub const SHT_DYNAMIC: u32 = elf::SHT_DYNAMIC.0;

/// Writes an x86-64 relocatable object with the given sections and symbols
/// (locals must come first in `symbols`), in a vector with room for `spare`
/// more bytes: what the caller appends (an allocation action's argument
/// is made in place, not in a copy of the object).
pub fn write(sections: &[OutSection<'_>], symbols: &[OutSymbol], spare: usize) -> Vec<u8> {
    let mut out = SpareRoom {
        bytes: Vec::new(),
        spare,
    };
    let mut writer = Writer::new(Endianness::Little, true, &mut out);

    // Reserve: header, section indices and names, then contents in order.
    writer.reserve_file_header();
    writer.reserve_null_section_index();
    let placed: Vec<(StringId, SectionIndex)> = sections
        .iter()
        .map(|s| {
            (
                writer.add_section_name(s.name.as_bytes()),
                writer.reserve_section_index(),
            )
        })
        .collect();
    let names: Vec<Option<StringId>> = symbols
        .iter()
        .map(|sym| {
            let index = placed[sym.section].1;
            writer.reserve_symbol_index(Some(index));
            (!sym.name.is_empty()).then(|| writer.add_string(sym.name.as_bytes()))
        })
        .collect();
    if symbols.is_empty() {
        writer.reserve_null_symbol_index();
    }
    writer.reserve_symtab_section_index();
    if writer.symtab_shndx_needed() {
        writer.reserve_symtab_shndx_section_index();
    }
    writer.reserve_strtab_section_index();
    writer.reserve_shstrtab_section_index();
    let offsets: Vec<u64> = sections
        .iter()
        .map(|s| {
            if s.sh_type == SHT_NOBITS {
                writer.reserved_len()
            } else {
                writer.reserve(s.data.len() as u64, s.align.max(1))
            }
        })
        .collect();
    writer.reserve_symtab();
    writer.reserve_symtab_shndx();
    writer.reserve_strtab().expect("string table size fits");
    writer.reserve_shstrtab().expect("string table size fits");
    writer.reserve_section_headers();

    // Write, in the same order.
    writer
        .write_file_header(&FileHeader {
            os_abi: elf::ELFOSABI_NONE,
            abi_version: 0,
            e_type: elf::ET_REL,
            e_machine: elf::EM_X86_64,
            e_entry: 0,
            e_flags: elf::FileFlags(0),
        })
        .expect("the buffer grows");
    for s in sections {
        if s.sh_type != SHT_NOBITS {
            writer.write_align(s.align.max(1));
            writer.write(s.data);
        }
    }
    writer.write_null_symbol();
    let mut num_local = 1;
    for (sym, name) in symbols.iter().zip(names) {
        if sym.bind == STB_LOCAL {
            num_local += 1;
        }
        writer.write_symbol(&Sym {
            section: Some(placed[sym.section].1 .0),
            st_name: writer.string_offset(name),
            st_info: elf::SymbolInfo::new(elf::SymbolBind(sym.bind), elf::SymbolType(sym.typ)),
            st_other: elf::STV_DEFAULT.into(),
            st_shndx: elf::SHN_UNDEF,
            st_value: sym.value,
            st_size: sym.size,
        });
    }
    writer.write_symtab_shndx();
    writer.write_strtab();
    writer.write_shstrtab();

    writer.write_null_section_header();
    for ((s, (name, _)), offset) in sections.iter().zip(&placed).zip(offsets) {
        let size = if s.sh_type == SHT_NOBITS {
            s.size
        } else {
            s.data.len() as u64
        };
        writer.write_section_header(&SectionHeader {
            sh_name: writer.section_name_offset(Some(*name)),
            sh_type: elf::SectionType(s.sh_type),
            sh_flags: elf::SectionFlags(s.flags),
            sh_addr: s.addr,
            sh_offset: offset,
            sh_size: size,
            sh_link: s.link.map_or(0, |l| placed[l].1 .0),
            sh_info: s.info,
            sh_addralign: s.align.max(1),
            sh_entsize: s.entsize,
        });
    }
    writer.write_symtab_section_header(num_local);
    writer.write_symtab_shndx_section_header();
    writer.write_strtab_section_header();
    writer.write_shstrtab_section_header();
    debug_assert_eq!(writer.reserved_len(), writer.len());
    drop(writer);
    out.bytes
}

/// A vector that reserves `spare` bytes more than the writer asks for.
struct SpareRoom {
    bytes: Vec<u8>,
    spare: usize,
}

impl WritableBuffer for SpareRoom {
    fn reserve(&mut self, size: u64) -> Result<(), ()> {
        let size = usize::try_from(size).map_err(|_| ())?;
        self.bytes.reserve(size.checked_add(self.spare).ok_or(())?);
        Ok(())
    }

    fn write_bytes(&mut self, val: &[u8]) {
        self.bytes.extend_from_slice(val);
    }

    fn write_zeros(&mut self, additional: u64) {
        self.bytes.resize(self.bytes.len() + additional as usize, 0);
    }
}
