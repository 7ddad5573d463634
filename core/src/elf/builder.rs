//! Builds a [`LinkGraph`] from one x86-64 ELF relocatable object, with `object`.

use std::sync::Arc;

use object::elf;
use object::read::elf::{FileHeader, SectionHeader, Sym};
use object::LittleEndian as LE;

use super::compressed::{decompress, decompress_gnu};
use super::relocations::Relocations;
use crate::error::{Error, Result};
use crate::graph::{
    BlockId, Content, FileId, InputFile, LinkGraph, Linkage, MemLifetime, MemProt,
    PendingRelocations, Scope, SymbolId,
};

pub(super) type FileHeader64 = elf::FileHeader64<LE>;

/// The largest alignment accepted for a section or a common symbol: 256 MiB,
/// the most gcc and clang let code ask for. More is a corrupt header, and
/// would have the layout pad by terabytes.
const MAX_ALIGN: u64 = 1 << 28;

/// The largest section or common symbol accepted: x86-64's user address
/// space (128 TiB). Anything larger cannot be mapped, and sizes near 2^64
/// would overflow the layout's arithmetic.
const MAX_SIZE: u64 = 1 << 47;

/// What the builder keeps besides allocated sections.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GraphBuilderOptions {
    /// Keep `.debug_*` sections, and the stabs tcc emits (`.stab`, `.stabstr`),
    /// as NoAlloc sections (relocated in controller memory).
    pub debug_info: bool,
    /// Leave the relocations of DWARF sections in the file
    /// ([`PendingRelocations`]) for [`materialize_relocations`](super::materialize_relocations), when the
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

pub(super) fn bad(file: &str, what: impl std::fmt::Display) -> Error {
    Error::malformed(file, what)
}

impl<'a> GraphBuilder<'a> {
    pub fn new(name: &'a str, data: &'a [u8]) -> Self {
        GraphBuilder { name, data }
    }

    /// Builds the graph; `file` is the same bytes, shared with the graph for
    /// block content. The phases are JITLink's `ELFLinkGraphBuilder`'s:
    /// sections, then symbols, then relocations.
    pub fn build(self, file: InputFile, options: &GraphBuilderOptions) -> Result<LinkGraph> {
        let mut graph = LinkGraph::new();
        self.build_into(file, options, &mut graph)?;
        Ok(graph)
    }

    /// How many sections and symbols the object has, at most as many as
    /// its graph gets (`None` if its headers are malformed: the build says
    /// how).
    pub fn counts(&self) -> Option<(usize, usize)> {
        let header = FileHeader64::parse(self.data).ok()?;
        let e = header.endian().ok()?;
        let sections = header.sections(e, self.data).ok()?;
        // From the bytes in the file, not `sh_size`: a corrupt size must not
        // reserve more than the file can hold.
        let symbols = sections
            .iter()
            .find(|s| s.sh_type(e) == elf::SHT_SYMTAB)
            .and_then(|s| s.data(e, self.data).ok())
            .map_or(0, |bytes| {
                bytes.len() / std::mem::size_of::<elf::Sym64<LE>>()
            });
        Some((sections.len(), symbols))
    }

    /// Builds the object's part of `graph`, after what it holds: parsing
    /// many objects into one graph spares merging a graph per object (which
    /// copied every block, symbol and edge once more into vectors grown a
    /// doubling at a time). On an error the graph holds part of the object.
    pub fn build_into(
        self,
        file: InputFile,
        options: &GraphBuilderOptions,
        graph: &mut LinkGraph,
    ) -> Result<()> {
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
        graph.reserve_sections(sections.len());
        let file = graph.add_file(file);
        let mut builder = ObjectGraphBuilder {
            name,
            data,
            options,
            section_blocks: vec![None; sections.len()],
            sections,
            graph,
            file,
            groups: Vec::new(),
            symbol_map: Vec::new(),
        };
        builder.graphify_sections()?;
        let symtab = builder
            .sections
            .symbols(LE, data, elf::SHT_SYMTAB)
            .map_err(|err| bad(name, format!("symbol table: {err}")))?;
        builder.graphify_symbols(&symtab)?;
        builder.add_relocations(&symtab)?;
        builder.add_comdat_groups();
        Ok(())
    }
}

pub(super) type SectionTable<'d> = object::read::elf::SectionTable<'d, FileHeader64>;
pub(super) type SymbolTable<'d> = object::read::elf::SymbolTable<'d, FileHeader64>;

/// One object's graph while it is built, phase by phase.
struct ObjectGraphBuilder<'d, 'g> {
    name: &'d str,
    data: &'d [u8],
    options: &'d GraphBuilderOptions,
    sections: SectionTable<'d>,
    graph: &'g mut LinkGraph,
    file: FileId,
    /// The block of each ELF section, by section index (`None`: not loaded).
    section_blocks: Vec<Option<BlockId>>,
    /// COMDAT groups: signature and member ELF section indices.
    groups: Vec<(Arc<str>, Vec<usize>)>,
    /// The graph's symbol of each ELF symbol, by symbol index (`None`: a
    /// symbol of a section not loaded, a file symbol, or the null symbol).
    symbol_map: Vec<Option<SymbolId>>,
}

/// Where an ELF symbol is defined, as the builder reads it.
enum ElfDefinition {
    Block { block: BlockId, offset: u64 },
    Undefined,
    Absolute(u64),
    Common { size: u64, align: u64 },
}

impl<'d> ObjectGraphBuilder<'d, '_> {
    /// After it the graph holds one section and one block per loaded ELF
    /// section (allocated ones, `.eh_frame`, kept debug and metadata
    /// sections), with their bytes, alignment and protection, none live;
    /// no symbols or edges yet. COMDAT groups are read, not applied.
    fn graphify_sections(&mut self) -> Result<()> {
        let (name, e) = (self.name, LE);
        for (index, shdr) in self.sections.enumerate() {
            let sh_type = shdr.sh_type(e).0;
            let flags = shdr.sh_flags(e).0;
            let sname = self
                .sections
                .section_name(e, shdr)
                .map_err(|err| bad(name, format!("section {}: bad name: {err}", index.0)))?;
            // Owned only for the sections kept: about half (the relocation
            // sections, notes) are skipped, and a name each was a malloc.
            let sname = super::lossy(sname);
            if sh_type == elf::SHT_GROUP.0 {
                let group = read_comdat_group(name, self.data, &self.sections, shdr, &sname)?;
                self.groups.extend(group);
                continue;
            }
            if sname == ".note.GNU-stack" && flags & elf::SHF_EXECINSTR.0 != 0 {
                self.graph.needs_executable_stack.push(self.file);
            }
            if sh_type == elf::SHT_REL.0 && flags & elf::SHF_ALLOC.0 == 0 {
                return Err(Error::Unsupported {
                    file: name.into(),
                    reason: format!("section {sname}: SHT_REL relocations are not used on x86-64"),
                });
            }
            let class = classify_section(&sname, sh_type, flags, self.options);
            if index.0 == 0 || class == SectionClass::Skip {
                continue;
            }
            self.section_blocks[index.0] =
                Some(self.graphify_section(shdr, sname.into_owned(), class)?);
        }
        Ok(())
    }

    /// The section and block of one loaded ELF section.
    fn graphify_section(
        &mut self,
        shdr: &elf::SectionHeader64<LE>,
        sname: String,
        class: SectionClass,
    ) -> Result<BlockId> {
        let (name, e) = (self.name, LE);
        let sh_type = shdr.sh_type(e).0;
        let flags = shdr.sh_flags(e).0;
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
        let (content, chdr_align) = if compressed || gnu_compressed {
            let (bytes, align) = if gnu_compressed {
                let bytes = decompress_gnu(name, &sname, self.data, shdr)?;
                (bytes, shdr.sh_addralign(e))
            } else {
                let (bytes, align) = decompress(name, &sname, self.data, shdr)?;
                (bytes.into_owned(), align)
            };
            (Content::Owned(bytes), Some(align))
        } else if sh_type == elf::SHT_NOBITS.0 {
            (Content::Zero, None)
        } else {
            let (start, len) = shdr
                .file_range(e)
                .ok_or_else(|| bad(name, format!("section {sname}: no file range")))?;
            let end = start
                .checked_add(len)
                .filter(|&end| end <= self.data.len() as u64)
                .ok_or_else(|| {
                    bad(
                        name,
                        format!("section {sname}: extends past the end of the file (truncated?)"),
                    )
                })?;
            let (start, end) = (start as usize, end as usize);
            (Content::Input { start, end }, None)
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
        let graph = &mut self.graph;
        let section = graph.create_section(sname, prot, self.file);
        let section_data = graph.section_mut(section);
        section_data.lifetime = lifetime;
        section_data.keep = keep;
        section_data.tls = flags & elf::SHF_TLS.0 != 0;
        Ok(match content {
            Content::Owned(bytes) => graph.create_content_block(section, bytes, align),
            Content::Input { start, end } => graph.create_input_block(section, start..end, align),
            Content::Zero => graph.create_zero_fill_block(section, size, align),
        })
    }

    /// After it the graph also holds one symbol per ELF symbol but file
    /// symbols, undefined locals and symbols of sections not loaded: defined
    /// ones in their block, undefined ones external, common ones tentative
    /// (resolution turns the winners into blocks). No edges yet.
    fn graphify_symbols(&mut self, symtab: &SymbolTable<'d>) -> Result<()> {
        let (name, e) = (self.name, LE);
        let strings = symtab.strings();
        self.symbol_map = vec![None; symtab.len()];
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
                (!sym_name.is_empty()).then(|| super::lossy(sym_name).into());
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
            let Some(def) = self.definition(symtab, index, sym, &sym_name, scope)? else {
                continue;
            };
            let sym_name = if st_type == elf::STT_SECTION {
                None
            } else {
                sym_name
            };
            let size = sym.st_size(e);
            let callable = matches!(st_type, elf::STT_FUNC | elf::STT_GNU_IFUNC);
            let (graph, file) = (&mut self.graph, self.file);
            self.symbol_map[index.0] = Some(match def {
                ElfDefinition::Block { block, offset } => graph
                    .add_defined_symbol(block, offset, sym_name, size, linkage, scope, callable),
                ElfDefinition::Undefined => {
                    graph.add_external_symbol(file, sym_name, size, linkage, scope, callable)
                }
                ElfDefinition::Absolute(value) => {
                    graph.add_absolute_symbol(file, sym_name, value, size, linkage, scope, callable)
                }
                ElfDefinition::Common { size, align } => {
                    graph.add_common_symbol(file, sym_name, size, align, linkage, scope, callable)
                }
            });
        }
        Ok(())
    }

    /// Where symbol `index` is defined; `None` for symbols the graph leaves
    /// out (undefined locals, symbols of sections not loaded).
    fn definition(
        &self,
        symtab: &SymbolTable<'d>,
        index: object::SymbolIndex,
        sym: &elf::Sym64<LE>,
        sym_name: &Option<Arc<str>>,
        scope: Scope,
    ) -> Result<Option<ElfDefinition>> {
        let (name, e) = (self.name, LE);
        let shndx = sym.st_shndx(e);
        if shndx == elf::SHN_UNDEF {
            return Ok((scope != Scope::Local).then_some(ElfDefinition::Undefined));
        }
        if shndx == elf::SHN_ABS {
            return Ok(Some(ElfDefinition::Absolute(sym.st_value(e))));
        }
        let display = sym_name.as_deref();
        if shndx == elf::SHN_COMMON {
            let align = sym.st_value(e).max(1);
            if sym.st_size(e) > MAX_SIZE {
                return Err(bad(
                    name,
                    format!(
                        "common symbol {}: size {:#x} is larger than the address space",
                        display.unwrap_or("(unnamed)"),
                        sym.st_size(e)
                    ),
                ));
            }
            if !align.is_power_of_two() || align > MAX_ALIGN {
                return Err(bad(
                    name,
                    format!(
                        "common symbol {}: alignment {align:#x} is not a power of two up to {MAX_ALIGN:#x}",
                        display.unwrap_or("(unnamed)")
                    ),
                ));
            }
            let size = sym.st_size(e);
            return Ok(Some(ElfDefinition::Common { size, align }));
        }
        let section_index = symtab
            .symbol_section(e, sym, index)
            .map_err(|err| bad(name, format!("symbol {}: {err}", index.0)))?;
        let Some(section_index) = section_index else {
            return Ok(None);
        };
        if section_index.0 >= self.sections.len() {
            return Err(bad(
                name,
                format!(
                    "symbol {}: section index {} out of range",
                    index.0, section_index.0
                ),
            ));
        }
        // `None`: defined in a section Lantern does not load (debug info, notes).
        let Some(block) = self.section_blocks[section_index.0] else {
            return Ok(None);
        };
        if sym.st_type() == elf::STT_GNU_IFUNC {
            return Err(Error::Unsupported {
                file: name.into(),
                reason: format!(
                    "symbol {}: GNU indirect functions (IFUNC) are not supported",
                    display.unwrap_or("?")
                ),
            });
        }
        let offset = sym.st_value(e);
        let block_size = self.graph.block(block).size;
        if offset > block_size {
            return Err(bad(
                name,
                format!(
                    "symbol {}: offset {offset:#x} is past the end of its section",
                    display.unwrap_or("?")
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
                    display.unwrap_or("?"),
                    sym.st_size(e)
                ),
            ));
        }
        Ok(Some(ElfDefinition::Block { block, offset }))
    }

    /// After it every loaded block has an edge per relocation (those of
    /// DWARF, when deferred, are left in the file as
    /// [`PendingRelocations`]): the graph is complete, not yet resolved.
    fn add_relocations(&mut self, symtab: &SymbolTable<'d>) -> Result<()> {
        let (name, data, e) = (self.name, self.data, LE);
        let symbol_map: Arc<[Option<SymbolId>]> = std::mem::take(&mut self.symbol_map).into();
        for (rela_index, shdr) in self.sections.enumerate() {
            if shdr.sh_type(e) != elf::SHT_RELA {
                continue;
            }
            let target_index = shdr.sh_info(e) as usize;
            let Some(Some(block)) = self.section_blocks.get(target_index).copied() else {
                continue;
            };
            let graph = &mut self.graph;
            let section = graph.section(graph.block(block).section);
            if self.options.defer_debug_relocations
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
                    file: self.file,
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
                sections: &self.sections,
                symtab,
            }
            .edges(graph, shdr, block, |r_sym| symbol_map.get(r_sym).copied())?;
            graph.block_mut(block).edges.extend(edges);
        }
        Ok(())
    }

    /// Records the COMDAT groups by their loaded member sections, for
    /// resolution to keep one copy of each.
    fn add_comdat_groups(&mut self) {
        for (signature, members) in std::mem::take(&mut self.groups) {
            let members = members
                .into_iter()
                .filter_map(|index| self.section_blocks.get(index).copied().flatten())
                .map(|block| self.graph.block(block).section)
                .collect();
            self.graph.comdat_groups.push((signature, members));
        }
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
