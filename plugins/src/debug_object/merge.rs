//! Several units' debug objects merged into one, so a debugger reads one
//! object file for a batch of units instead of one each.
//!
//! Each debugger pays per registered object (a stop at the JIT hook, a new
//! object file, breakpoints re-set over every object file), so registering
//! units one by one grows with the square of their number. A merge lays the
//! units out as a static linker would: allocated sections side by side (they
//! already have distinct final addresses), each DWARF section the
//! concatenation of the units' sections, with every DWARF-to-DWARF offset
//! (the [`DwarfSite`]s, recorded from the graph's edges) moved by where its
//! target unit's section now starts. `.eh_frame` sections become
//! `.debug_frame` entries with absolute addresses (see `frame_convert.rs`).

use std::collections::HashMap;

use object::elf::{FileHeader64, SHF_ALLOC, SHT_NOBITS, SHT_PROGBITS, SHT_SYMTAB};
use object::read::elf::{FileHeader, SectionHeader, Sym};
use object::LittleEndian as LE;

use super::elf_writer::{self, OutSection, OutSymbol};
use super::frame_convert;

/// A DWARF field holding an offset into another DWARF section of the same
/// unit (`DW_FORM_strp`, `DW_AT_stmt_list`, a CU's abbreviation offset...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DwarfSite {
    /// The section holding the field (an index in the unit's debug object).
    pub section: u16,
    /// The section the offset points into.
    pub target: u16,
    /// 4 or 8 bytes.
    pub width: u8,
    pub offset: u64,
}

/// One unit's debug object, and the sites that must move when its DWARF does.
#[derive(Debug, Clone)]
pub struct DebugPart {
    pub object: Vec<u8>,
    /// `None` when the unit's DWARF cannot be moved: it is registered alone.
    pub sites: Option<Vec<DwarfSite>>,
}

/// Bytes of the wire form after its sites: whether it has sites, and the
/// object's length.
pub const WIRE_TRAILER: usize = 16;

impl DebugPart {
    /// Wire form (an allocation action's argument): the object, 16 bytes per
    /// site, then whether it has sites and the object's length. The object
    /// comes first so that the form is made in place, in the object's own
    /// vector (a debug object of 1,000 objects is 690 KB; a copy of it
    /// cost a run about 145 page faults): give that vector room for the rest
    /// (the `spare` of the debug object writer). Without `with_sites`, as if it
    /// had none (a unit registered alone is never merged).
    pub fn into_wire(self, with_sites: bool) -> Vec<u8> {
        let sites = self.sites.filter(|_| with_sites);
        let object_len = self.object.len() as u64;
        let mut out = self.object;
        out.reserve(16 * sites.as_ref().map_or(0, Vec::len) + WIRE_TRAILER);
        for site in sites.iter().flatten() {
            out.extend_from_slice(&site.offset.to_le_bytes());
            out.extend_from_slice(&site.section.to_le_bytes());
            out.extend_from_slice(&site.target.to_le_bytes());
            out.extend_from_slice(&[site.width, 0, 0, 0]);
        }
        out.extend_from_slice(&u64::from(sites.is_some()).to_le_bytes());
        out.extend_from_slice(&object_len.to_le_bytes());
        out
    }

    /// The wire form's parts: whether it has sites, the object, the sites'
    /// bytes; `None` if malformed.
    fn split(bytes: &[u8]) -> Option<(bool, &[u8], &[u8])> {
        let trailer = bytes.len().checked_sub(WIRE_TRAILER)?;
        let word = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"));
        let mergeable = word(trailer) == 1;
        let len = usize::try_from(word(trailer + 8))
            .ok()
            .filter(|&len| len <= trailer)?;
        let (object, rest) = (&bytes[..len], &bytes[len..trailer]);
        if !rest.len().is_multiple_of(16) {
            return None;
        }
        Some((mergeable, object, rest))
    }

    /// The object in a wire form, borrowed (registered alone, a unit needs
    /// no copy of it in a `DebugPart`).
    pub fn object_in(bytes: &[u8]) -> Option<&[u8]> {
        Self::split(bytes).map(|(_, object, _)| object)
    }

    pub fn decode(bytes: &[u8]) -> Option<DebugPart> {
        let (mergeable, object, rest) = Self::split(bytes)?;
        let sites = rest
            .chunks_exact(16)
            .map(|c| DwarfSite {
                offset: u64::from_le_bytes(c[..8].try_into().expect("8")),
                section: u16::from_le_bytes([c[8], c[9]]),
                target: u16::from_le_bytes([c[10], c[11]]),
                width: c[12],
            })
            .collect();
        Some(DebugPart {
            object: object.to_vec(),
            sites: mergeable.then_some(sites),
        })
    }

    /// How many sections the part adds to a merged object (its allocated ones).
    pub fn allocated_sections(&self) -> usize {
        // The section headers only: a full parse would also copy the symbols.
        let Ok(header) = FileHeader64::<LE>::parse(&*self.object) else {
            return 0;
        };
        let Ok(endian) = header.endian() else {
            return 0;
        };
        header
            .sections(endian, &*self.object)
            .map_or(0, |sections| {
                sections.iter().filter(|s| is_allocated(s, endian)).count()
            })
    }
}

/// The sections a debug object declares at their final addresses
/// (`SHF_ALLOC`: code and zero-fill as NOBITS, data with its bytes; and
/// `.eh_frame`, which `parse` takes apart first).
fn is_allocated(section: &object::elf::SectionHeader64<LE>, endian: LE) -> bool {
    section.sh_flags(endian).0 & SHF_ALLOC.0 != 0
        && (section.sh_type(endian) == SHT_NOBITS || section.sh_type(endian) == SHT_PROGBITS)
}

/// A parsed debug object: what the merge takes from it.
struct Parsed<'a> {
    /// Allocated (NOBITS) sections: ELF index, and the section as written.
    allocated: Vec<(usize, OutSection<'a>)>,
    /// `.eh_frame`: its address and bytes.
    eh_frame: Option<(u64, &'a [u8])>,
    /// DWARF (and stabs) sections by ELF index: name and bytes. Stabs need
    /// no moving: each object's header entry describes its own strings.
    dwarf: Vec<(usize, &'a str, &'a [u8])>,
    symbols: Vec<OutSymbol>,
    /// A unit of stubs' PLT tables, and its `.plt` (a position in `allocated`).
    plt_tables: Option<(usize, super::PltTableBytes<'a>)>,
}

fn parse(bytes: &[u8]) -> Result<Parsed<'_>, String> {
    let err = |e: object::read::Error| e.to_string();
    let header = FileHeader64::<LE>::parse(bytes).map_err(err)?;
    let endian = header.endian().map_err(err)?;
    let sections = header.sections(endian, bytes).map_err(err)?;
    let mut parsed = Parsed {
        allocated: Vec::new(),
        eh_frame: None,
        dwarf: Vec::new(),
        symbols: Vec::new(),
        plt_tables: None,
    };
    let mut tables: HashMap<&str, (u64, &[u8])> = HashMap::new();
    // ELF index -> position in `allocated`, for symbols.
    let mut allocated_at = HashMap::new();
    for (index, section) in sections.iter().enumerate().skip(1) {
        let name = sections.section_name(endian, section).map_err(err)?;
        let name = std::str::from_utf8(name).map_err(|_| "section name is not UTF-8")?;
        let flags = section.sh_flags(endian).0;
        if name == ".eh_frame" {
            let data = section.data(endian, bytes).map_err(err)?;
            parsed.eh_frame = Some((section.sh_addr(endian), data));
        } else if is_allocated(section, endian) {
            allocated_at.insert(index, parsed.allocated.len());
            let sh_type = section.sh_type(endian).0;
            parsed.allocated.push((
                index,
                OutSection {
                    name: name.to_string(),
                    sh_type,
                    flags,
                    addr: section.sh_addr(endian),
                    size: section.sh_size(endian),
                    align: section.sh_addralign(endian),
                    data: if sh_type == SHT_NOBITS.0 {
                        &[]
                    } else {
                        section.data(endian, bytes).map_err(err)?
                    },
                    entsize: section.sh_entsize(endian),
                    ..Default::default()
                },
            ));
        } else if matches!(name, ".rela.plt" | ".dynsym" | ".dynstr" | ".dynamic") {
            tables.insert(
                name,
                (
                    section.sh_addr(endian),
                    section.data(endian, bytes).map_err(err)?,
                ),
            );
        } else if lantern_core::elf::is_debug_section(name) {
            parsed
                .dwarf
                .push((index, name, section.data(endian, bytes).map_err(err)?));
        }
    }
    let plt = parsed
        .allocated
        .iter()
        .position(|(_, s)| s.name == ".plt" && s.entsize == lantern_core::lazy::STUB_SIZE);
    if let (Some(plt), Some(rela), Some(dynsym), Some(dynstr), Some(dynamic)) = (
        plt,
        tables.get(".rela.plt"),
        tables.get(".dynsym"),
        tables.get(".dynstr"),
        tables.get(".dynamic"),
    ) {
        parsed.plt_tables = Some((
            plt,
            super::PltTableBytes {
                rela_addr: rela.0,
                rela: rela.1,
                dynsym: dynsym.1,
                dynstr: dynstr.1,
                dynamic: dynamic.1,
            },
        ));
    }
    let symbols = sections.symbols(endian, bytes, SHT_SYMTAB).map_err(err)?;
    for symbol in symbols.iter().skip(1) {
        let Some(&section) = allocated_at.get(&usize::from(symbol.st_shndx(endian).0)) else {
            continue;
        };
        let name = symbols.symbol_name(endian, symbol).map_err(err)?;
        parsed.symbols.push(OutSymbol {
            name: String::from_utf8_lossy(name).into_owned(),
            value: symbol.st_value(endian),
            size: symbol.st_size(endian),
            section,
            bind: symbol.st_bind().0,
            typ: symbol.st_type().0,
        });
    }
    Ok(parsed)
}

/// The most sections one merged object may have; callers split larger batches.
pub const MAX_MERGED_SECTIONS: usize = super::MAX_SECTIONS;

/// Merges the parts into one debug object.
pub fn merge(parts: &[&DebugPart]) -> Result<Vec<u8>, String> {
    let parsed = parts
        .iter()
        .enumerate()
        .map(|(i, p)| parse(&p.object).map_err(|e| format!("debug object {i}: {e}")))
        .collect::<Result<Vec<_>, _>>()?;

    let mut sections: Vec<OutSection<'_>> = Vec::new();
    // Per part: position of its allocated sections in `sections`.
    let mut section_base = Vec::with_capacity(parsed.len());
    for part in &parsed {
        section_base.push(sections.len());
        sections.extend(part.allocated.iter().map(|(_, s)| OutSection {
            name: s.name.clone(),
            ..*s
        }));
    }

    // lldb reads PLT tables against the first `.plt`: the first unit of
    // stubs keeps its tables if its `.plt` is that one (a batch rarely has
    // two units of stubs; the second's stubs step over in lldb).
    let first_plt = sections.iter().position(|s| s.name == ".plt");
    let plt_tables = parsed
        .iter()
        .zip(&section_base)
        .find_map(|(part, &base)| part.plt_tables.map(|(plt, t)| (base + plt, t)))
        .filter(|&(plt, _)| Some(plt) == first_plt);
    if let Some((plt, tables)) = plt_tables {
        super::push_plt_tables(&mut sections, plt, tables);
    }

    // DWARF: each name's contributions side by side, in part order.
    let mut names: Vec<&str> = Vec::new();
    let mut contents: HashMap<&str, Vec<u8>> = HashMap::new();
    // Per part: (section name -> where its contribution starts).
    let mut dwarf_base: Vec<HashMap<&str, u64>> = Vec::with_capacity(parsed.len());
    for part in &parsed {
        let mut bases = HashMap::new();
        for &(_, name, data) in &part.dwarf {
            let out = contents.entry(name).or_insert_with(|| {
                names.push(name);
                Vec::new()
            });
            bases.insert(name, out.len() as u64);
            out.extend_from_slice(data);
        }
        dwarf_base.push(bases);
    }
    for ((part, parsed), bases) in parts.iter().zip(&parsed).zip(&dwarf_base) {
        let name_of = |index: u16| {
            parsed
                .dwarf
                .iter()
                .find(|(i, _, _)| *i == usize::from(index))
                .map(|&(_, name, _)| name)
        };
        let Some(sites) = &part.sites else {
            return Err("a debug object without DWARF sites cannot be merged".into());
        };
        for site in sites {
            let (Some(section), Some(target)) = (name_of(site.section), name_of(site.target))
            else {
                return Err(format!(
                    "DWARF site in section {} names no DWARF section",
                    site.section
                ));
            };
            let at = (bases[section] + site.offset) as usize;
            let shift = bases[target];
            let bytes = contents.get_mut(section).expect("a contributed section");
            let width = usize::from(site.width);
            let field = bytes
                .get_mut(at..at + width)
                .filter(|_| width == 4 || width == 8)
                .ok_or_else(|| format!("DWARF site at {section}+{at:#x} is out of bounds"))?;
            if width == 4 {
                let value = u32::from_le_bytes(field[..4].try_into().expect("4"));
                let moved = u32::try_from(u64::from(value) + shift)
                    .map_err(|_| format!("{section} offset past 4 GiB in a merged object"))?;
                field.copy_from_slice(&moved.to_le_bytes());
            } else {
                let value = u64::from_le_bytes(field[..8].try_into().expect("8"));
                field.copy_from_slice(&(value + shift).to_le_bytes());
            }
        }
    }
    // Call frame information: the units' .eh_frame entries join .debug_frame.
    for (i, part) in parsed.iter().enumerate() {
        if let Some((addr, bytes)) = part.eh_frame {
            if !contents.contains_key(".debug_frame") {
                names.push(".debug_frame");
            }
            let out = contents.entry(".debug_frame").or_default();
            frame_convert::append_as_debug_frame(bytes, addr, out)
                .map_err(|e| format!("debug object {i}: .eh_frame: {e}"))?;
        }
    }
    for name in &names {
        sections.push(OutSection::unallocated(name.to_string(), &contents[name]));
    }
    if sections.len() > MAX_MERGED_SECTIONS {
        return Err(format!(
            "{} sections is more than the {MAX_MERGED_SECTIONS} one object may have",
            sections.len()
        ));
    }

    let mut locals = Vec::new();
    let mut globals = Vec::new();
    for (part, &base) in parsed.into_iter().zip(&section_base) {
        for mut symbol in part.symbols {
            symbol.section += base;
            if symbol.bind == elf_writer::STB_LOCAL {
                locals.push(symbol);
            } else {
                globals.push(symbol);
            }
        }
    }
    locals.extend(globals);
    Ok(elf_writer::write(&sections, &locals, 0))
}
