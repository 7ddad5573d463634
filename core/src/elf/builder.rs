//! Builds a [`LinkGraph`] from one x86-64 ELF relocatable object, with `object`.

use std::sync::Arc;

use object::elf;
use object::read::elf::{FileHeader, Rela, SectionHeader, Sym};
use object::LittleEndian as LE;

use crate::arch::x86_64::{edge_kind_for_relocation, relocation_name, EdgeKind, RelocMapping};
use crate::error::{Error, Result};
use crate::graph::{
    BlockId, Content, Edge, InputFile, LinkGraph, Linkage, MemLifetime, MemProt,
    PendingRelocations, Scope, SymbolDef, SymbolId,
};

type FileHeader64 = elf::FileHeader64<LE>;

/// The largest alignment accepted for a section or a common symbol: 256 MiB,
/// the most gcc and clang let code ask for. More is a corrupt header, and
/// would have the layout pad by terabytes.
const MAX_ALIGN: u64 = 1 << 28;

/// The largest section or common symbol accepted: x86-64's user address
/// space (128 TiB). Anything larger cannot be mapped, and sizes near 2^64
/// would overflow the layout's arithmetic.
const MAX_SIZE: u64 = 1 << 47;

/// What the builder keeps besides allocated sections.
#[derive(Debug, Clone, Default)]
pub struct GraphBuilderOptions {
    /// Keep `.debug_*` sections, and the stabs tcc emits (`.stab`, `.stabstr`),
    /// as NoAlloc sections (relocated in controller memory).
    pub debug_info: bool,
    /// Leave the relocations of DWARF sections in the file
    /// ([`PendingRelocations`]) for [`materialize_relocations`], when the
    /// DWARF is relocated off the link's critical path.
    pub defer_debug_relocations: bool,
    /// Non-allocated sections kept as NoAlloc by name, besides debug
    /// information: metadata that plugins read (see
    /// [`Plugin::noalloc_sections`](crate::link::Plugin::noalloc_sections)).
    /// Their relocations are applied with the unit's, never deferred.
    pub noalloc_sections: Vec<String>,
}

/// How the builder treats an input section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SectionClass {
    Skip,
    Alloc,
    /// `.eh_frame`: loaded read-only, always kept (debuggers and unwinders read it).
    EhFrame,
    /// DWARF and stabs: NoAlloc.
    Debug,
    /// A section a plugin asked for ([`GraphBuilderOptions::noalloc_sections`]): NoAlloc.
    Metadata,
}

fn classify_section(
    name: &str,
    sh_type: u32,
    flags: u64,
    options: &GraphBuilderOptions,
) -> SectionClass {
    if flags & elf::SHF_EXCLUDE.0 != 0 || sh_type == elf::SHT_NOTE.0 || sh_type == elf::SHT_GROUP.0
    {
        return SectionClass::Skip;
    }
    if flags & elf::SHF_ALLOC.0 != 0 {
        if sh_type == elf::SHT_X86_64_UNWIND.0 || name == ".eh_frame" {
            return SectionClass::EhFrame;
        }
        return SectionClass::Alloc;
    }
    if options.debug_info
        && (is_debug_section(name) || name.starts_with(".zdebug_"))
        && sh_type != elf::SHT_NOBITS.0
    {
        return SectionClass::Debug;
    }
    if sh_type != elf::SHT_NOBITS.0 && options.noalloc_sections.iter().any(|n| n == name) {
        return SectionClass::Metadata;
    }
    SectionClass::Skip
}

/// Debug information Lantern keeps for debuggers: DWARF, and stabs (tcc
/// writes `.stab`/`.stabstr` instead of DWARF; gdb reads them in ELF).
pub fn is_debug_section(name: &str) -> bool {
    name.starts_with(".debug_") || name == STAB || name == STABSTR
}

/// The stabs of an object: 12-byte entries (`n_strx`, `n_type`, `n_other`,
/// `n_desc`, a 32-bit `n_value`), the first a header for the object.
pub const STAB: &str = ".stab";
/// The stabs' strings; each entry's `n_strx` is an offset into its object's part.
pub const STABSTR: &str = ".stabstr";

/// Parses one object into a graph: one section and block per allocated ELF
/// section, one symbol per ELF symbol, one edge per relocation.
pub struct GraphBuilder<'a> {
    name: &'a str,
    data: &'a [u8],
}

fn bad(file: &str, what: impl std::fmt::Display) -> Error {
    Error::malformed(file, what)
}

impl<'a> GraphBuilder<'a> {
    pub fn new(name: &'a str, data: &'a [u8]) -> Self {
        GraphBuilder { name, data }
    }

    /// Builds the graph; `file` is the same bytes, shared with the graph for block content.
    pub fn build(self, file: InputFile, options: &GraphBuilderOptions) -> Result<LinkGraph> {
        let name = self.name;
        let data = self.data;
        check_ident(name, data)?;
        let header = FileHeader64::parse(data).map_err(|e| bad(name, e))?;
        let e = header.endian().map_err(|e| bad(name, e))?;
        if header.e_machine.get(e) != elf::EM_X86_64 {
            return Err(Error::Unsupported {
                file: name.into(),
                reason: format!(
                    "wrong machine {:?}: Lantern links x86-64 objects",
                    header.e_machine.get(e)
                ),
            });
        }
        if header.e_type.get(e) != elf::ET_REL {
            return Err(Error::Unsupported {
                file: name.into(),
                reason: format!(
                    "not a relocatable object (ELF type {:?}): Lantern links .o files and .a archives",
                    header.e_type.get(e)
                ),
            });
        }
        let sections = header.sections(e, data).map_err(|e| bad(name, e))?;
        let mut graph = LinkGraph::new();
        let file_id = graph.add_file(file);

        // Sections -> blocks.
        let mut section_blocks: Vec<Option<BlockId>> = vec![None; sections.len()];
        let mut groups = Vec::new();
        for (index, shdr) in sections.enumerate() {
            let sh_type = shdr.sh_type(e).0;
            let flags = shdr.sh_flags(e).0;
            let sname = sections
                .section_name(e, shdr)
                .map_err(|err| bad(name, format!("section {}: bad name: {err}", index.0)))?;
            let sname = String::from_utf8_lossy(sname).into_owned();
            if sh_type == elf::SHT_GROUP.0 {
                groups.extend(read_comdat_group(name, data, &sections, shdr, &sname)?);
                continue;
            }
            if sname == ".note.GNU-stack" && flags & elf::SHF_EXECINSTR.0 != 0 {
                graph.needs_executable_stack.push(file_id);
            }
            if sh_type == elf::SHT_REL.0 && flags & elf::SHF_ALLOC.0 == 0 {
                return Err(Error::Unsupported {
                    file: name.into(),
                    reason: format!("section {sname}: SHT_REL relocations are not used on x86-64"),
                });
            }
            let class = classify_section(&sname, sh_type, flags, options);
            if index.0 == 0 || class == SectionClass::Skip {
                continue;
            }
            let size = shdr.sh_size(e);
            if size > MAX_SIZE {
                return Err(bad(
                    name,
                    format!("section {sname}: size {size:#x} is larger than the address space"),
                ));
            }
            let compressed = flags & elf::SHF_COMPRESSED.0 != 0 && sh_type != elf::SHT_NOBITS.0;
            // gcc -gz=zlib-gnu: `.zdebug_*`, "ZLIB" and the size before the stream.
            let gnu_compressed = class == SectionClass::Debug && sname.starts_with(".zdebug_");
            let (content, size, chdr_align) = if compressed || gnu_compressed {
                let (bytes, align) = if gnu_compressed {
                    (
                        decompress_gnu(name, &sname, data, shdr)?,
                        shdr.sh_addralign(e),
                    )
                } else {
                    let (bytes, align) = decompress(name, &sname, data, shdr)?;
                    (bytes.into_owned(), align)
                };
                let size = bytes.len() as u64;
                (Content::Owned(bytes), size, Some(align))
            } else if sh_type == elf::SHT_NOBITS.0 {
                (Content::Zero, size, None)
            } else {
                let (start, len) = shdr
                    .file_range(e)
                    .ok_or_else(|| bad(name, format!("section {sname}: no file range")))?;
                let end = start
                    .checked_add(len)
                    .filter(|&end| end <= data.len() as u64)
                    .ok_or_else(|| {
                        bad(
                            name,
                            format!(
                                "section {sname}: extends past the end of the file (truncated?)"
                            ),
                        )
                    })?;
                (
                    Content::Input {
                        start: start as usize,
                        end: end as usize,
                    },
                    size,
                    None,
                )
            };
            let prot = if class == SectionClass::EhFrame {
                MemProt::Read
            } else if flags & elf::SHF_EXECINSTR.0 != 0 {
                MemProt::ReadExec
            } else if flags & elf::SHF_WRITE.0 != 0 {
                MemProt::ReadWrite
            } else {
                MemProt::Read
            };
            let align = chdr_align.unwrap_or_else(|| shdr.sh_addralign(e)).max(1);
            if !align.is_power_of_two() {
                return Err(bad(
                    name,
                    format!("section {sname}: alignment {align} is not a power of two"),
                ));
            }
            if align > MAX_ALIGN {
                return Err(bad(
                    name,
                    format!("section {sname}: alignment {align:#x} is larger than the {MAX_ALIGN:#x} compilers can ask for"),
                ));
            }
            let keep = flags & elf::SHF_GNU_RETAIN.0 != 0
                || is_initializer_section(&sname)
                || class != SectionClass::Alloc;
            let lifetime = if matches!(class, SectionClass::Debug | SectionClass::Metadata) {
                MemLifetime::NoAlloc
            } else {
                MemLifetime::Standard
            };
            let sname = match sname.strip_prefix(".zdebug_") {
                Some(rest) if gnu_compressed => format!(".debug_{rest}"),
                _ => sname,
            };
            let section = graph.create_section(sname, prot, file_id);
            let section_data = graph.section_mut(section);
            section_data.lifetime = lifetime;
            section_data.keep = keep;
            section_data.tls = flags & elf::SHF_TLS.0 != 0;
            section_blocks[index.0] = Some(match content {
                Content::Owned(bytes) => graph.create_content_block(section, bytes, align),
                Content::Input { start, end } => {
                    graph.create_input_block(section, start..end, align)
                }
                Content::Zero => graph.create_zero_fill_block(section, size, align),
            });
        }

        // Symbols.
        let symtab = sections
            .symbols(e, data, elf::SHT_SYMTAB)
            .map_err(|err| bad(name, format!("symbol table: {err}")))?;
        let strings = symtab.strings();
        let mut symbol_map: Vec<Option<SymbolId>> = vec![None; symtab.len()];
        for (index, sym) in symtab.enumerate() {
            if index.0 == 0 {
                continue;
            }
            let st_type = sym.st_type();
            if st_type == elf::STT_FILE {
                continue;
            }
            let sym_name = sym
                .name(e, strings)
                .map_err(|err| bad(name, format!("symbol {}: bad name: {err}", index.0)))?;
            let sym_name: Option<Arc<str>> =
                (!sym_name.is_empty()).then(|| String::from_utf8_lossy(sym_name).into());
            let linkage = if sym.st_bind() == elf::STB_WEAK {
                Linkage::Weak
            } else {
                Linkage::Strong
            };
            let scope = if sym.st_bind() == elf::STB_LOCAL {
                Scope::Local
            } else if matches!(sym.st_visibility(), elf::STV_HIDDEN | elf::STV_INTERNAL) {
                Scope::Hidden
            } else {
                Scope::Default
            };
            let shndx = sym.st_shndx(e);
            let def = if shndx == elf::SHN_UNDEF {
                if scope == Scope::Local {
                    continue;
                }
                SymbolDef::External
            } else if shndx == elf::SHN_ABS {
                SymbolDef::Absolute(sym.st_value(e))
            } else if shndx == elf::SHN_COMMON {
                let align = sym.st_value(e).max(1);
                if sym.st_size(e) > MAX_SIZE {
                    return Err(bad(
                        name,
                        format!(
                            "common symbol {}: size {:#x} is larger than the address space",
                            sym_name.as_deref().unwrap_or("(unnamed)"),
                            sym.st_size(e)
                        ),
                    ));
                }
                if !align.is_power_of_two() || align > MAX_ALIGN {
                    return Err(bad(
                        name,
                        format!(
                            "common symbol {}: alignment {align:#x} is not a power of two up to {MAX_ALIGN:#x}",
                            sym_name.as_deref().unwrap_or("(unnamed)")
                        ),
                    ));
                }
                SymbolDef::Common {
                    size: sym.st_size(e),
                    align,
                }
            } else {
                let section_index = symtab
                    .symbol_section(e, sym, index)
                    .map_err(|err| bad(name, format!("symbol {}: {err}", index.0)))?;
                let Some(section_index) = section_index else {
                    continue;
                };
                if section_index.0 >= sections.len() {
                    return Err(bad(
                        name,
                        format!(
                            "symbol {}: section index {} out of range",
                            index.0, section_index.0
                        ),
                    ));
                }
                match section_blocks[section_index.0] {
                    Some(block) => {
                        if st_type == elf::STT_GNU_IFUNC {
                            return Err(Error::Unsupported {
                                file: name.into(),
                                reason: format!(
                                    "symbol {}: GNU indirect functions (IFUNC) are not supported",
                                    sym_name.as_deref().unwrap_or("?")
                                ),
                            });
                        }
                        let offset = sym.st_value(e);
                        let block_size = graph.block(block).size;
                        if offset > block_size {
                            return Err(bad(
                                name,
                                format!(
                                    "symbol {}: offset {offset:#x} is past the end of its section",
                                    sym_name.as_deref().unwrap_or("?")
                                ),
                            ));
                        }
                        if offset
                            .checked_add(sym.st_size(e))
                            .is_none_or(|end| end > block_size)
                        {
                            return Err(bad(
                                name,
                                format!(
                                    "symbol {}: size {:#x} at offset {offset:#x} runs past the end of its section ({block_size:#x} bytes)",
                                    sym_name.as_deref().unwrap_or("?"),
                                    sym.st_size(e)
                                ),
                            ));
                        }
                        SymbolDef::Defined { block, offset }
                    }
                    // Defined in a section Lantern does not load (debug info, notes).
                    None => continue,
                }
            };
            let sym_name = if st_type == elf::STT_SECTION {
                None
            } else {
                sym_name
            };
            let size = sym.st_size(e);
            let callable = matches!(st_type, elf::STT_FUNC | elf::STT_GNU_IFUNC);
            symbol_map[index.0] = Some(match def {
                SymbolDef::Defined { block, offset } => graph
                    .add_defined_symbol(block, offset, sym_name, size, linkage, scope, callable),
                SymbolDef::External => {
                    graph.add_external_symbol(file_id, sym_name, size, linkage, scope, callable)
                }
                SymbolDef::Absolute(value) => graph
                    .add_absolute_symbol(file_id, sym_name, value, size, linkage, scope, callable),
                SymbolDef::Common { size, align } => graph
                    .add_common_symbol(file_id, sym_name, size, align, linkage, scope, callable),
                SymbolDef::Outside(_) => unreachable!("resolution makes Outside symbols"),
            });
        }

        // Relocations -> edges.
        let symbol_map: Arc<[Option<SymbolId>]> = symbol_map.into();
        for (rela_index, shdr) in sections.enumerate() {
            if shdr.sh_type(e) != elf::SHT_RELA {
                continue;
            }
            let target_index = shdr.sh_info(e) as usize;
            let Some(Some(block)) = section_blocks.get(target_index).copied() else {
                continue;
            };
            let section = graph.section(graph.block(block).section);
            if options.defer_debug_relocations
                && section.lifetime == MemLifetime::NoAlloc
                && is_debug_section(&section.name)
                && section.name != STAB
            {
                // Only checked for shape now; read when the DWARF is relocated.
                let _: &[elf::Rela64<LE>] = shdr
                    .data_as_array(e, data)
                    .map_err(|err| bad(name, format!("relocations for {}: {err}", section.name)))?;
                graph.pending_relocations.push(PendingRelocations {
                    block,
                    file: file_id,
                    rela_section: rela_index.0,
                    symbols: symbol_map.clone(),
                    symbol_base: 0,
                });
                continue;
            }
            let edges = Relocations {
                file: name,
                data,
                endian: e,
                sections: &sections,
                symtab: &symtab,
            }
            .edges(&graph, shdr, block, |r_sym| symbol_map.get(r_sym).copied())?;
            graph.block_mut(block).edges.extend(edges);
        }
        for (signature, members) in groups {
            let members = members
                .into_iter()
                .filter_map(|index| section_blocks.get(index).copied().flatten())
                .map(|block| graph.block(block).section)
                .collect();
            graph.comdat_groups.push((signature, members));
        }
        Ok(graph)
    }
}

/// The largest uncompressed size accepted for an `SHF_COMPRESSED` section:
/// more is a corrupt header, not debug information.
const MAX_UNCOMPRESSED: u64 = 1 << 32;

/// The bytes of an `SHF_COMPRESSED` section (`gcc -gz=zlib`,
/// `-gz=zstd`) and its alignment, from its `Elf64_Chdr`: relocations and
/// everything after the builder see the uncompressed section, as a static
/// linker does.
fn decompress<'d>(
    file: &str,
    section: &str,
    data: &'d [u8],
    shdr: &elf::SectionHeader64<LE>,
) -> Result<(std::borrow::Cow<'d, [u8]>, u64)> {
    let e = LE;
    let fail = |what: String| bad(file, format!("section {section}: {what}"));
    let raw = shdr
        .data(e, data)
        .map_err(|err| fail(format!("compressed section: {err}")))?;
    let (header, rest) = object::pod::from_bytes::<elf::CompressionHeader64<LE>>(raw)
        .map_err(|()| fail("compressed section shorter than its header".into()))?;
    let format = match header.ch_type.get(e) {
        elf::ELFCOMPRESS_ZLIB => object::CompressionFormat::Zlib,
        elf::ELFCOMPRESS_ZSTD => object::CompressionFormat::Zstandard,
        other => return Err(fail(format!("unknown compression type {other}"))),
    };
    let uncompressed_size = header.ch_size.get(e);
    if uncompressed_size > MAX_UNCOMPRESSED {
        return Err(fail(format!(
            "uncompressed size {uncompressed_size:#x} is more than the {MAX_UNCOMPRESSED:#x} accepted"
        )));
    }
    let align = header.ch_addralign.get(e);
    let bytes = object::read::CompressedData {
        format,
        data: rest,
        uncompressed_size,
    }
    .decompress()
    .map_err(|err| fail(format!("cannot decompress ({format:?}): {err}")))?;
    Ok((bytes, align))
}

/// The bytes of a `.zdebug_*` section (the GNU format before
/// `SHF_COMPRESSED`): "ZLIB", the uncompressed size (8 bytes, big-endian),
/// then the zlib stream.
fn decompress_gnu(
    file: &str,
    section: &str,
    data: &[u8],
    shdr: &elf::SectionHeader64<LE>,
) -> Result<Vec<u8>> {
    let fail = |what: String| bad(file, format!("section {section}: {what}"));
    let raw = shdr
        .data(LE, data)
        .map_err(|err| fail(format!("compressed section: {err}")))?;
    let (size, stream) = raw
        .strip_prefix(b"ZLIB")
        .filter(|rest| rest.len() >= 8)
        .map(|rest| rest.split_at(8))
        .ok_or_else(|| fail("no \"ZLIB\" header".into()))?;
    let uncompressed_size = u64::from_be_bytes(size.try_into().expect("8 bytes"));
    if uncompressed_size > MAX_UNCOMPRESSED {
        return Err(fail(format!(
            "uncompressed size {uncompressed_size:#x} is more than the {MAX_UNCOMPRESSED:#x} accepted"
        )));
    }
    object::read::CompressedData {
        format: object::CompressionFormat::Zlib,
        data: stream,
        uncompressed_size,
    }
    .decompress()
    .map(std::borrow::Cow::into_owned)
    .map_err(|err| fail(format!("cannot decompress (zlib): {err}")))
}

/// The 32-bit value a tcc stab holds in its relocated field (0 if none).
/// What turning one relocation section into edges needs of its object.
struct Relocations<'d> {
    file: &'d str,
    data: &'d [u8],
    endian: LE,
    sections: &'d object::read::elf::SectionTable<'d, FileHeader64>,
    symtab: &'d object::read::elf::SymbolTable<'d, FileHeader64>,
}

impl Relocations<'_> {
    /// The edges of the `SHT_RELA` section `shdr` for `block`; `symbol`
    /// maps an ELF symbol index to the graph's symbol (`Some(None)`: a
    /// symbol of a section Lantern does not load; `None`: past the table).
    fn edges(
        &self,
        graph: &LinkGraph,
        shdr: &elf::SectionHeader64<LE>,
        block: BlockId,
        symbol: impl Fn(usize) -> Option<Option<SymbolId>>,
    ) -> Result<Vec<Edge>> {
        let (name, data, e) = (self.file, self.data, self.endian);
        let target_index = shdr.sh_info(e) as usize;
        let section_name = graph.section(graph.block(block).section).name.clone();
        let is_noalloc = graph.section(graph.block(block).section).lifetime == MemLifetime::NoAlloc;
        let relocs: &[elf::Rela64<LE>] = shdr
            .data_as_array(e, data)
            .map_err(|err| bad(name, format!("relocations for {section_name}: {err}")))?;
        let block_size = graph.block(block).size;
        // tcc writes a stab's value in the field and a zero addend, and
        // its own linker adds both (GNU as leaves the field zero): the
        // value of tcc's closing `N_SO` (the end of its code) is there.
        let stab_fields = if section_name == STAB {
            self.sections
                .section(object::SectionIndex(target_index))
                .and_then(|s| s.data(e, data))
                .ok()
        } else {
            None
        };
        let strings = self.symtab.strings();
        let mut edges = Vec::with_capacity(relocs.len());
        for rela in relocs {
            let r_type = rela.r_type(e, false).0;
            let offset = rela.r_offset(e);
            let r_sym = rela.r_sym(e, false) as usize;
            let symbol_name = || {
                self.symtab
                    .symbol(object::SymbolIndex(r_sym))
                    .ok()
                    .and_then(|s| s.name(e, strings).ok())
                    .map(|n| String::from_utf8_lossy(n).into_owned())
                    .filter(|n| !n.is_empty())
                    .unwrap_or_else(|| format!("#{r_sym}"))
            };
            let kind = match edge_kind_for_relocation(r_type) {
                RelocMapping::Edge(kind) => kind,
                RelocMapping::Ignore => continue,
                RelocMapping::Unsupported => {
                    return Err(Error::UnsupportedRelocation {
                        file: name.into(),
                        section: section_name,
                        r_type: relocation_name(r_type),
                        offset,
                        symbol: symbol_name(),
                    })
                }
            };
            if offset >= block_size {
                return Err(bad(name, format!(
                    "section {section_name}: relocation {} at offset {offset:#x} is past the section's end ({block_size:#x})",
                    relocation_name(r_type)
                )));
            }
            let target = match symbol(r_sym) {
                Some(Some(target)) => target,
                // Debug info about something Lantern does not load: leave it zero.
                Some(None) if is_noalloc => continue,
                Some(None) => {
                    return Err(bad(name, format!(
                        "section {section_name}: relocation {} at {offset:#x} refers to symbol `{}` in a section Lantern does not load",
                        relocation_name(r_type),
                        symbol_name()
                    )))
                }
                None => {
                    return Err(bad(name, format!(
                        "section {section_name}: relocation at {offset:#x} refers to symbol index {r_sym}, past the symbol table"
                    )))
                }
            };
            let mut addend = rela.r_addend(e);
            if let Some(fields) = stab_fields {
                addend += stab_field(fields, offset, kind);
            }
            edges.push(Edge {
                offset,
                kind,
                target,
                addend,
            });
        }
        Ok(edges)
    }
}

/// Makes the graph's pending relocations ([`PendingRelocations`]) edges,
/// sent where resolution sent their symbols' references (`graph.redirects`),
/// with the errors the builder would have given. Blocks that are not live
/// keep none.
pub fn materialize_relocations(graph: &mut LinkGraph) -> Result<()> {
    let pending = std::mem::take(&mut graph.pending_relocations);
    for p in pending {
        if !graph.block(p.block).live {
            continue;
        }
        let file = graph.files[p.file.index()].clone();
        let data: &[u8] = (*file.data).as_ref();
        let name = &*file.name;
        let header = FileHeader64::parse(data).map_err(|e| bad(name, e))?;
        let e = header.endian().map_err(|e| bad(name, e))?;
        let sections = header.sections(e, data).map_err(|e| bad(name, e))?;
        let symtab = sections
            .symbols(e, data, elf::SHT_SYMTAB)
            .map_err(|err| bad(name, format!("symbol table: {err}")))?;
        let shdr = sections
            .section(object::SectionIndex(p.rela_section))
            .map_err(|e| bad(name, e))?;
        let base = p.symbol_base;
        let mut edges = Relocations {
            file: name,
            data,
            endian: e,
            sections: &sections,
            symtab: &symtab,
        }
        .edges(graph, shdr, p.block, |r_sym| {
            p.symbols
                .get(r_sym)
                .map(|s| s.map(|id| SymbolId::from_index(id.index() + base as usize)))
        })?;
        for edge in &mut edges {
            if let Some(Some(def)) = graph.redirects.get(edge.target.index()) {
                edge.target = *def;
            }
        }
        graph.block_mut(p.block).edges.extend(edges);
    }
    Ok(())
}

fn stab_field(fields: &[u8], offset: u64, kind: EdgeKind) -> i64 {
    let Some(bytes) = usize::try_from(offset)
        .ok()
        .and_then(|at| fields.get(at..at.checked_add(4)?))
    else {
        return 0;
    };
    let word = [bytes[0], bytes[1], bytes[2], bytes[3]];
    match kind {
        EdgeKind::Pointer32Signed => i64::from(i32::from_le_bytes(word)),
        EdgeKind::Pointer32 => i64::from(u32::from_le_bytes(word)),
        _ => 0,
    }
}

/// Initializer and finalizer arrays: always kept, run by the session.
pub(crate) fn is_initializer_section(name: &str) -> bool {
    [
        ".init_array",
        ".fini_array",
        ".preinit_array",
        ".ctors",
        ".dtors",
    ]
    .iter()
    .any(|prefix| {
        name == *prefix
            || name
                .strip_prefix(prefix)
                .is_some_and(|r| r.starts_with('.'))
    })
}

fn check_ident(name: &str, data: &[u8]) -> Result<()> {
    if data.len() < 4 || &data[..4] != b"\x7fELF" {
        return Err(bad(name, "not an ELF file (bad magic)"));
    }
    if data.len() < 64 {
        return Err(bad(name, "truncated ELF header"));
    }
    if data[4] != elf::ELFCLASS64.0 {
        return Err(Error::Unsupported {
            file: name.into(),
            reason: "32-bit ELF: Lantern links x86-64 objects".into(),
        });
    }
    if data[5] != elf::ELFDATA2LSB.0 {
        return Err(Error::Unsupported {
            file: name.into(),
            reason: "big-endian ELF: Lantern links x86-64 objects".into(),
        });
    }
    Ok(())
}

/// A COMDAT group's signature and the ELF indices of its member sections.
fn read_comdat_group(
    name: &str,
    data: &[u8],
    sections: &object::read::elf::SectionTable<'_, FileHeader64>,
    shdr: &elf::SectionHeader64<LE>,
    group_name: &str,
) -> Result<Option<(Arc<str>, Vec<usize>)>> {
    let e = LE;
    let words: &[object::U32<LE>] = shdr
        .data_as_array(e, data)
        .map_err(|err| bad(name, format!("group section {group_name}: {err}")))?;
    let Some((flags, members)) = words.split_first() else {
        return Err(bad(name, format!("group section {group_name}: empty")));
    };
    if flags.get(e) & elf::GRP_COMDAT.0 == 0 {
        return Ok(None);
    }
    let symtab = sections
        .symbol_table_by_index(e, data, shdr.link(e))
        .map_err(|err| bad(name, format!("group section {group_name}: {err}")))?;
    let signature = symtab
        .symbol(object::SymbolIndex(shdr.sh_info(e) as usize))
        .and_then(|s| s.name(e, symtab.strings()))
        .map_err(|err| {
            bad(
                name,
                format!("group section {group_name}: signature: {err}"),
            )
        })?;
    let signature: Arc<str> = String::from_utf8_lossy(signature).into();
    let members = members.iter().map(|m| m.get(e) as usize).collect();
    Ok(Some((signature, members)))
}
