//! The debug object: what gdb and lldb read about a link unit.
//!
//! One ELF `ET_REL` object per unit: every allocated section as `SHT_NOBITS`
//! at its final address (no copy of the code: debuggers read it from the
//! process), `.eh_frame` with its fixed-up bytes, the unit's DWARF already
//! relocated in controller memory (no `.rela` sections), and a `.symtab` of
//! the graph's named symbols. A deferred pass builds it (on the background
//! worker when the session runs one and no debugger is attached, else before
//! the link returns) and hands it to the [`registry`], which registers it
//! through [`gdb_jit`](crate::gdb_jit) at once or, batched, merged with other units'
//! ([`merge`]); the dealloc action removes it.

mod elf_writer;
mod frame_convert;
mod line_zero;
pub mod merge;
pub mod registry;
mod stabs;
mod tls_dwarf;
mod tls_locations;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use lantern_core::error::{Error, Result};
use lantern_core::graph::{
    Content, ExecutorAddr, LinkGraph, Linkage, MemLifetime, MemProt, Scope, SectionId, SymbolDef,
};
use lantern_core::link::{background, output_section, PassConfig, Plugin};
use lantern_core::memory::{AllocAction, WrapperCall};

use elf_writer::{OutSection, OutSymbol};
use lantern_core::arch::x86_64::tables::GOT_SECTION;
use lantern_core::arch::x86_64::EdgeKind;
use lantern_core::elf::{STAB, STABSTR};
use lantern_core::executor::ExecutorControl;
pub use merge::{DebugPart, DwarfSite};
pub use registry::Registration;

const SHF_WRITE: u64 = 1;
const SHF_ALLOC: u64 = 2;
const SHF_EXECINSTR: u64 = 4;
/// Where ELF's extended section numbering would start. The writer can go past
/// it, but batches are split here: debuggers slow down steeply with the
/// number of sections in one object (a 20,000-section object takes gdb 13 s
/// and lldb 11 s to load; at 70,000 gdb had not finished after 120 s).
const MAX_SECTIONS: usize = 0xfe00;

/// Builds the debug object of a linked (fixed-up) graph.
pub fn build_debug_object(graph: &LinkGraph) -> Result<Vec<u8>> {
    Ok(build_part(graph)?.object)
}

/// Each graph section's index among the debug object's sections, by
/// [`SectionId`]: a dense table (a hash map's lookups, one per symbol, were
/// a sixth of the build on 1,000 objects), walked in section order.
struct SectionIndex(Vec<Option<usize>>);

impl SectionIndex {
    fn new(graph: &LinkGraph) -> Self {
        SectionIndex(vec![None; graph.section_ids().count()])
    }

    fn insert(&mut self, id: SectionId, index: usize) {
        self.0[id.index()] = Some(index);
    }

    fn get(&self, id: SectionId) -> Option<usize> {
        self.0.get(id.index()).copied().flatten()
    }

    /// Maps every index `i` to `moved[i]` (sections coalesced).
    fn renumber(&mut self, moved: &[usize]) {
        for index in self.0.iter_mut().flatten() {
            *index = moved[*index];
        }
    }

    /// The sections of `graph` that have an index, with it, in section order.
    fn iter<'a>(&'a self, graph: &LinkGraph) -> impl Iterator<Item = (SectionId, usize)> + 'a {
        graph
            .section_ids()
            .zip(&self.0)
            .filter_map(|(id, index)| Some((id, (*index)?)))
    }
}

/// The debug object of a linked graph, with the DWARF sites a merge moves.
pub fn build_part(graph: &LinkGraph) -> Result<DebugPart> {
    let mut sections: Vec<OutSection<'_>> = Vec::new();
    let mut section_index = SectionIndex::new(graph);
    let mut standard: Vec<bool> = Vec::new();
    for id in graph.section_ids() {
        let section = graph.section(id);
        if section.lifetime == MemLifetime::NoAlloc || section.tls {
            continue;
        }
        let live: Vec<_> = section
            .blocks
            .iter()
            .copied()
            .filter(|&b| graph.block(b).live)
            .collect();
        if live.is_empty() {
            continue;
        }
        // The GOT holds addresses that only the unit's own stubs and loads
        // read: no symbol or DWARF points into it, and debuggers pay per
        // section (lldb most: a unit per function has a GOT each).
        if section.name == crate::eh_frame::EH_FRAME
            || section.name == GOT_SECTION
            || section.name == lantern_core::lazy::STUB_RELOCS_SECTION
        {
            continue;
        }
        let start = live
            .iter()
            .map(|&b| graph.block(b).addr.0)
            .min()
            .unwrap_or(0);
        let end = live
            .iter()
            .map(|&b| graph.block(b).addr.0 + graph.block(b).size)
            .max()
            .unwrap_or(0);
        let align = live
            .iter()
            .map(|&b| graph.block(b).align)
            .max()
            .unwrap_or(1);
        let flags = SHF_ALLOC
            | match section.prot {
                MemProt::ReadExec => SHF_EXECINSTR,
                MemProt::ReadWrite => SHF_WRITE,
                MemProt::Read => 0,
            };
        section_index.insert(id, sections.len());
        standard.push(section.lifetime == MemLifetime::Standard);
        sections.push(OutSection {
            // Named as GNU ld names the output section it joins (`.text`
            // for `.text.unlikely` and `.text._Z...`, `.bss` for commons).
            name: debug_section_name(&section.name),
            sh_type: elf_writer::SHT_NOBITS,
            flags,
            addr: start,
            size: end - start,
            align,
            data: &[],
            ..Default::default()
        });
    }
    let (mut sections, moved) = coalesce(sections, &standard);
    section_index.renumber(&moved);
    let contents = data_contents(graph, &sections, &section_index);
    for (section, bytes) in sections.iter_mut().zip(&contents) {
        if let Some(bytes) = bytes {
            section.sh_type = elf_writer::PROGBITS;
            section.data = bytes;
        }
    }

    // .eh_frame: the layout places every .eh_frame block side by side.
    let eh_frame = crate::eh_frame::unit_eh_frame(graph)?;
    if let Some((start, bytes)) = &eh_frame {
        sections.push(OutSection {
            name: ".eh_frame".into(),
            sh_type: elf_writer::PROGBITS,
            flags: SHF_ALLOC,
            addr: *start,
            size: bytes.len() as u64,
            align: 8,
            data: bytes,
            ..Default::default()
        });
    }
    // lldb's view of the stubs as PLT entries (see `PltTables`).
    let plt_tables = PltTables::of(graph, &section_index, &sections);
    if let Some(tables) = &plt_tables {
        tables.add_to(&mut sections);
    }
    // Thread-local variables located through the TLS image's symbols.
    let tls_dwarf = tls_locations::rewrite(graph);
    // Stabs (tcc): each object's header entry says where its strings end.
    let stab = graph
        .noalloc_outputs
        .iter()
        .find(|o| o.name == STAB)
        .map(|o| stabs::with_headers(graph, &o.bytes));
    if let Some(Err(reason)) = &stab {
        log::warn!("debug object: stabs left out: {reason}");
    }
    // Line 0 for stubs and trampolines (lldb's `step` through them).
    let line_zero = line_zero::LineZero::of(graph);
    // A unit's few NoAlloc outputs: a short list, searched by name.
    let mut dwarf_index: Vec<(&str, u16)> = Vec::new();
    let mut line_zero_sites = Vec::new();
    if let Some(dwarf) = &line_zero {
        let first = (sections.len() + 1).min(usize::from(u16::MAX)) as u16;
        let (abbrev, info, line) = (first, first + 1, first + 2);
        sections.push(OutSection::unallocated(
            ".debug_abbrev".into(),
            &dwarf.abbrev,
        ));
        sections.push(OutSection::unallocated(".debug_info".into(), &dwarf.info));
        sections.push(OutSection::unallocated(".debug_line".into(), &dwarf.line));
        for (offset, target) in [
            (line_zero::INFO_ABBREV_OFFSET, abbrev),
            (line_zero::INFO_STMT_LIST, line),
        ] {
            line_zero_sites.push(DwarfSite {
                section: info,
                target,
                width: 4,
                offset,
            });
        }
    }
    for output in &graph.noalloc_outputs {
        if (output.name == STAB || output.name == STABSTR) && !matches!(stab, Some(Ok(_))) {
            continue;
        }
        // ELF index 0 is the null section.
        dwarf_index.push((
            &output.name,
            (sections.len() + 1).min(usize::from(u16::MAX)) as u16,
        ));
        let data = match (&tls_dwarf, output.name.as_str()) {
            (Some(tls), ".debug_info") => &tls.info,
            (Some(tls), ".debug_abbrev") => &tls.abbrev,
            (_, STAB) => match &stab {
                Some(Ok(stab)) => stab,
                _ => &output.bytes,
            },
            _ => &output.bytes,
        };
        sections.push(OutSection::unallocated(output.name.clone(), data));
    }
    if sections.len() > MAX_SECTIONS {
        return Err(Error::Other(format!(
            "debug object: {} sections is more than the {MAX_SECTIONS} supported",
            sections.len()
        )));
    }

    let mut locals = Vec::new();
    let mut globals = Vec::new();
    for id in graph.symbol_ids() {
        let symbol = graph.symbol(id);
        let (Some(name), SymbolDef::Defined { block, .. }) = (&symbol.name, symbol.def) else {
            continue;
        };
        // Assembler-local labels (clang's `.L.str`, `.Ltmp0`) are not
        // symbols of a linked program: a static linker leaves them out, and
        // debuggers would name data after them.
        if symbol.scope == Scope::Local && name.starts_with(".L") {
            continue;
        }
        if plt_tables.is_some() && name.starts_with("__lantern_stub.") {
            continue;
        }
        let Some(index) = section_index.get(graph.block(block).section) else {
            continue;
        };
        let Some(addr) = graph.symbol_addr(id) else {
            continue;
        };
        let out = OutSymbol {
            name: name.to_string(),
            value: addr - sections[index].addr,
            size: symbol.size,
            section: index,
            // Hidden symbols are local to the unit, as a static link makes them.
            bind: match (symbol.scope, symbol.linkage) {
                (Scope::Local | Scope::Hidden, _) => elf_writer::STB_LOCAL,
                (_, Linkage::Weak) => elf_writer::STB_WEAK,
                _ => elf_writer::STB_GLOBAL,
            },
            typ: if symbol.is_function {
                elf_writer::STT_FUNC
            } else {
                elf_writer::STT_OBJECT
            },
        };
        if out.bind == elf_writer::STB_LOCAL {
            locals.push(out);
        } else {
            globals.push(out);
        }
    }
    locals.extend(globals);
    let sites = dwarf_sites(graph, &dwarf_index).map(|mut sites| {
        sites.extend(line_zero_sites);
        sites
    });
    let spare = registry::add_arg_spare(sites.as_ref().map_or(0, Vec::len));
    Ok(DebugPart {
        object: elf_writer::write(&sections, &locals, spare),
        sites,
    })
}

/// The tables that make lldb take a unit's stubs for PLT entries: lldb-19
/// steps through a PLT entry to the code symbols named as the entry's
/// `eSymbolTypeTrampoline` symbol, which `ObjectFileELF` synthesizes only
/// from a `.dynamic` whose `DT_JMPREL` lies in a `.rela.plt` of
/// `R_X86_64_JUMP_SLOT` relocations (naming `.dynsym` entries) and from
/// the first `.plt` (entry `i` at `i * sh_entsize`). gdb skips undefined
/// dynamic symbols valued 0 and makes no `@plt` symbols for an `ET_REL`
/// object: `break f` gets no location in a stub.
struct PltTables {
    /// The `.plt` section (the stubs) among the debug object's sections.
    plt: usize,
    /// Where the unit reserved room for `.rela.plt`.
    rela_addr: u64,
    rela: Vec<u8>,
    dynsym: Vec<u8>,
    dynstr: Vec<u8>,
    dynamic: Vec<u8>,
}

impl PltTables {
    fn of(
        graph: &LinkGraph,
        section_index: &SectionIndex,
        sections: &[OutSection<'_>],
    ) -> Option<PltTables> {
        use lantern_core::lazy::{STUBS_SECTION, STUB_RELOCS_SECTION, STUB_SIZE};
        let mut stubs_section = None;
        let mut rela_addr = None;
        for id in graph.section_ids() {
            let section = graph.section(id);
            if section.name == STUBS_SECTION {
                stubs_section = Some(id);
            } else if section.name == STUB_RELOCS_SECTION {
                rela_addr = section.blocks.first().map(|&b| graph.block(b).addr.0);
            }
        }
        let (stubs_section, rela_addr) = (stubs_section?, rela_addr?);
        let plt = section_index.get(stubs_section)?;
        let mut stubs: Vec<(u64, &str)> = graph
            .symbol_ids()
            .filter_map(|id| {
                let symbol = graph.symbol(id);
                let SymbolDef::Defined { block, .. } = symbol.def else {
                    return None;
                };
                if graph.block(block).section != stubs_section {
                    return None;
                }
                let name = symbol.name.as_deref()?.strip_prefix("__lantern_stub.")?;
                Some((graph.symbol_addr(id)?, name))
            })
            .collect();
        stubs.sort_unstable();
        // Entry `i` must be the stub at `i * STUB_SIZE`, the section nothing else.
        let section = &sections[plt];
        let laid_out = stubs
            .iter()
            .enumerate()
            .all(|(i, &(addr, _))| addr == section.addr + i as u64 * STUB_SIZE)
            && section.size == stubs.len() as u64 * STUB_SIZE;
        if stubs.is_empty() || !laid_out {
            return None;
        }
        let mut dynstr = vec![0u8];
        let mut dynsym = vec![0u8; 24];
        let mut rela = Vec::with_capacity(stubs.len() * 24);
        for (i, &(_, name)) in stubs.iter().enumerate() {
            // Elf64_Sym: an undefined global function, value 0.
            dynsym.extend_from_slice(&(dynstr.len() as u32).to_le_bytes());
            dynsym.push((elf_writer::STB_GLOBAL << 4) | elf_writer::STT_FUNC);
            dynsym.extend_from_slice(&[0; 19]);
            dynstr.extend_from_slice(name.as_bytes());
            dynstr.push(0);
            // Elf64_Rela: R_X86_64_JUMP_SLOT against symbol i + 1.
            rela.extend_from_slice(&0u64.to_le_bytes());
            let info = ((i as u64 + 1) << 32) | u64::from(object::elf::R_X86_64_JUMP_SLOT.0);
            rela.extend_from_slice(&info.to_le_bytes());
            rela.extend_from_slice(&0u64.to_le_bytes());
        }
        let mut dynamic = Vec::with_capacity(64);
        for (tag, value) in [
            (object::elf::DT_JMPREL, rela_addr),
            (object::elf::DT_PLTREL, object::elf::DT_RELA.0 as u64),
            (object::elf::DT_PLTRELSZ, rela.len() as u64),
            (object::elf::DT_NULL, 0),
        ] {
            dynamic.extend_from_slice(&(tag.0 as u64).to_le_bytes());
            dynamic.extend_from_slice(&value.to_le_bytes());
        }
        Some(PltTables {
            plt,
            rela_addr,
            rela,
            dynsym,
            dynstr,
            dynamic,
        })
    }

    fn add_to<'a>(&'a self, sections: &mut Vec<OutSection<'a>>) {
        push_plt_tables(
            sections,
            self.plt,
            PltTableBytes {
                rela_addr: self.rela_addr,
                rela: &self.rela,
                dynsym: &self.dynsym,
                dynstr: &self.dynstr,
                dynamic: &self.dynamic,
            },
        );
    }
}

/// The contents of a debug object's PLT tables (see `PltTables`).
#[derive(Clone, Copy)]
pub(crate) struct PltTableBytes<'a> {
    pub rela_addr: u64,
    pub rela: &'a [u8],
    pub dynsym: &'a [u8],
    pub dynstr: &'a [u8],
    pub dynamic: &'a [u8],
}

/// Appends `.dynstr`, `.dynsym`, `.rela.plt` and `.dynamic` for the stubs
/// of `sections[plt]`.
pub(crate) fn push_plt_tables<'a>(
    sections: &mut Vec<OutSection<'a>>,
    plt: usize,
    tables: PltTableBytes<'a>,
) {
    use lantern_core::lazy::STUB_SIZE;
    let section = &mut sections[plt];
    section.entsize = STUB_SIZE;
    section.align = STUB_SIZE;
    let dynstr = sections.len();
    sections.push(OutSection {
        name: ".dynstr".into(),
        sh_type: elf_writer::SHT_STRTAB,
        size: tables.dynstr.len() as u64,
        align: 1,
        data: tables.dynstr,
        ..Default::default()
    });
    let dynsym = sections.len();
    sections.push(OutSection {
        name: ".dynsym".into(),
        sh_type: elf_writer::SHT_DYNSYM,
        size: tables.dynsym.len() as u64,
        align: 8,
        data: tables.dynsym,
        link: Some(dynstr),
        info: 1,
        entsize: 24,
        ..Default::default()
    });
    sections.push(OutSection {
        name: ".rela.plt".into(),
        sh_type: elf_writer::SHT_RELA,
        flags: SHF_ALLOC,
        addr: tables.rela_addr,
        size: tables.rela.len() as u64,
        align: 8,
        data: tables.rela,
        link: Some(dynsym),
        entsize: 24,
        ..Default::default()
    });
    sections.push(OutSection {
        name: ".dynamic".into(),
        sh_type: elf_writer::SHT_DYNAMIC,
        size: tables.dynamic.len() as u64,
        align: 8,
        data: tables.dynamic,
        link: Some(dynstr),
        entsize: 16,
        ..Default::default()
    });
}

/// The name a section of the unit has in its debug object: as GNU ld
/// names the output section it joins (`.text` for `.text.unlikely`), and
/// `.plt` and `.plt.sec` for Lantern's stubs and lazy trampolines, so that
/// gdb's `step` goes through them into the callee as it goes through a PLT
/// entry (docs/lazy.md, "Debugging").
fn debug_section_name(name: &str) -> String {
    if name == lantern_core::lazy::STUBS_SECTION {
        return ".plt".into();
    }
    if name == lantern_core::lazy::TRAMPOLINES_SECTION {
        // Not `.plt`: lldb reads the PLT tables' entries from the first
        // section named `.plt`, which must be the stubs' in a merged object.
        return ".plt.sec".into();
    }
    output_section(name).name.to_string()
}

/// The largest data section whose bytes the debug object carries; larger
/// ones stay `SHT_NOBITS` (debuggers read the process either way).
const MAX_DATA_COPY: u64 = 1 << 20;

/// The fixed-up bytes of each output section of data (not code, not
/// zero-fill), or `None` where it stays `SHT_NOBITS`. A static link's
/// `.data` and `.rodata` are `SHT_PROGBITS`, and lldb judges a section by
/// its type: it names a variable in a `SHT_NOBITS` section after its module
/// (`JIT(0x...)`g_shape`) where natively it prints `g_shape`. Code stays
/// `SHT_NOBITS`: debuggers read it from the process.
fn data_contents(
    graph: &LinkGraph,
    sections: &[OutSection<'_>],
    section_index: &SectionIndex,
) -> Vec<Option<Vec<u8>>> {
    let mut blocks: Vec<Vec<lantern_core::graph::BlockId>> = vec![Vec::new(); sections.len()];
    for (id, index) in section_index.iter(graph) {
        blocks[index].extend(
            graph
                .section(id)
                .blocks
                .iter()
                .copied()
                .filter(|&b| graph.block(b).live),
        );
    }
    sections
        .iter()
        .zip(&blocks)
        .map(|(section, blocks)| {
            let has_bytes = blocks
                .iter()
                .any(|&b| !matches!(graph.block(b).content, Content::Zero));
            if section.flags & SHF_EXECINSTR != 0 || !has_bytes || section.size > MAX_DATA_COPY {
                return None;
            }
            // A fixup that needs more than the graph (a thread-pointer
            // offset in data) leaves the section as NOBITS.
            let copies = lantern_core::link::fixed_up_copies(graph, blocks).ok()?;
            let mut bytes = vec![0u8; section.size as usize];
            for (&block, copy) in blocks.iter().zip(copies) {
                let at = (graph.block(block).addr.0 - section.addr) as usize;
                bytes.get_mut(at..at + copy.len())?.copy_from_slice(&copy);
            }
            Some(bytes)
        })
        .collect()
}

/// An object file with no sections and no symbols, for registrations that
/// only make a debugger re-read its list (`registry::resync_breakpoints`).
pub(crate) fn empty_object() -> Vec<u8> {
    elf_writer::write(&[], &[], 0)
}

/// Joins sections of one output section (named as GNU ld names them) that
/// follow each other in the unit's memory (the `.text` of every object)
/// into one, as a static link does: debuggers pay per section (lldb most),
/// and a unit of a thousand objects has a thousand `.text` sections.
/// Only `Standard` sections join: they share the unit's segment of that
/// protection, so nothing of another unit lies between them. Returns the
/// sections in address order and where each input section went.
fn coalesce<'a>(
    sections: Vec<OutSection<'a>>,
    standard: &[bool],
) -> (Vec<OutSection<'a>>, Vec<usize>) {
    let mut order: Vec<usize> = (0..sections.len()).collect();
    order.sort_by_key(|&i| sections[i].addr);
    let mut moved = vec![0; sections.len()];
    let mut out: Vec<OutSection<'a>> = Vec::with_capacity(sections.len());
    // Whether the last output section may take more.
    let mut open = false;
    let mut slots: Vec<Option<OutSection<'a>>> = sections.into_iter().map(Some).collect();
    for i in order {
        let section = slots[i].take().expect("each section once");
        if let Some(last) = out.last_mut().filter(|_| open && standard[i]) {
            let end = last.addr + last.size;
            if last.flags == section.flags
                && last.name == section.name
                && section.addr >= end
                && section.addr - end < section.align.max(1)
            {
                last.size = section.addr + section.size - last.addr;
                last.align = last.align.max(section.align);
                moved[i] = out.len() - 1;
                continue;
            }
        }
        open = standard[i];
        moved[i] = out.len();
        out.push(section);
    }
    (out, moved)
}

/// Every DWARF field that holds an offset into one of the unit's DWARF
/// sections, for [`merge::merge`]; `None` when one cannot be moved (an edge
/// kind other than a 32- or 64-bit pointer), which keeps the unit unmerged.
fn dwarf_sites(graph: &LinkGraph, dwarf_index: &[(&str, u16)]) -> Option<Vec<DwarfSite>> {
    // Each section's index in the debug object, looked up by name once per
    // section, not once per field (a thousand objects have tens of
    // thousands of fields).
    let index_of: Vec<Option<u16>> = graph
        .section_ids()
        .map(|id| {
            let section = graph.section(id);
            (section.lifetime == MemLifetime::NoAlloc)
                .then(|| {
                    dwarf_index
                        .iter()
                        .rfind(|(name, _)| *name == section.name)
                        .map(|&(_, index)| index)
                })
                .flatten()
        })
        .collect();
    let mut sites = Vec::new();
    for id in graph.section_ids() {
        let section = graph.section(id);
        if section.lifetime != MemLifetime::NoAlloc {
            continue;
        }
        let source = index_of[id.index()]?;
        for &block_id in &section.blocks {
            let block = graph.block(block_id);
            if !block.live {
                continue;
            }
            for edge in &block.edges {
                let SymbolDef::Defined { block: target, .. } = graph.symbol(edge.target).def else {
                    continue;
                };
                if !graph.is_noalloc(target) || !graph.block(target).live {
                    continue;
                }
                let width = match edge.kind {
                    EdgeKind::Pointer64 => 8,
                    EdgeKind::Pointer32 | EdgeKind::Pointer32Signed => 4,
                    _ => return None,
                };
                sites.push(DwarfSite {
                    section: source,
                    target: index_of[graph.block(target).section.index()]?,
                    width,
                    // NoAlloc blocks' addresses are their offsets in the output section.
                    offset: block.addr.0 + edge.offset,
                });
            }
        }
    }
    Some(sites)
}

/// The keys units are registered by: unique for the process, so that a
/// unit's late debug object can never be taken for another unit's.
static NEXT_KEY: AtomicU64 = AtomicU64::new(1);

/// Builds each unit's debug object after fixups and registers it with
/// debuggers (unless told only to keep copies).
#[derive(Clone)]
pub struct DebugObjectPlugin {
    register: bool,
    registration: Registration,
    copies: Option<Arc<Mutex<Vec<DebugPart>>>>,
}

impl DebugObjectPlugin {
    /// Registers every unit's debug object with gdb and lldb as the unit is
    /// finalized: one object file per unit.
    pub fn registering() -> Self {
        DebugObjectPlugin {
            register: true,
            registration: Registration::PerUnit,
            copies: None,
        }
    }

    /// Registers units when code may next run ([`Session::lookup`],
    /// [`Session::prepare_to_run`]) instead of one by one: the units linked
    /// since are merged into one object file, which debuggers read much faster
    /// than many. Code called through an address from `LinkedUnit::lookup`
    /// needs `prepare_to_run` first, or its breakpoints are not hit.
    ///
    /// [`Session::lookup`]: lantern_core::session::Session::lookup
    /// [`Session::prepare_to_run`]: lantern_core::session::Session::prepare_to_run
    pub fn batched(mut self) -> Self {
        self.registration = Registration::Batched;
        self
    }

    /// Also keeps a copy of every debug object built (for `lantern debug-object`).
    pub fn keeping_copies(mut self) -> Self {
        self.copies = Some(Arc::default());
        self
    }

    /// Builds debug objects without registering them.
    pub fn not_registering(mut self) -> Self {
        self.register = false;
        self
    }

    pub fn copies(&self) -> Vec<Vec<u8>> {
        self.parts().into_iter().map(|p| p.object).collect()
    }

    /// The kept debug objects with their DWARF sites, for [`merge::merge`].
    pub fn parts(&self) -> Vec<DebugPart> {
        self.copies
            .as_ref()
            .map(|c| c.lock().unwrap_or_else(|e| e.into_inner()).clone())
            .unwrap_or_default()
    }
}

impl Plugin for DebugObjectPlugin {
    fn name(&self) -> &str {
        "debug-object"
    }

    fn modify_pass_config(&self, config: &mut PassConfig) {
        // The thread-local variables' DWARF goes in the TLS image, where
        // debuggers resolve TLS (see tls_dwarf.rs).
        config.pre_tls_image.push(Box::new(|graph| {
            graph.tls_image_sections = tls_dwarf::sections(graph);
            Ok(())
        }));
        let key = NEXT_KEY.fetch_add(1, Ordering::Relaxed);
        if self.register {
            // Reserved at finalize, the key takes the debug object when the
            // deferred pass brings it; removal undoes either.
            config.post_fixup.push(Box::new(move |graph| {
                graph.alloc_actions.push(AllocAction {
                    finalize: Some(WrapperCall {
                        function: ExecutorAddr(registry::reserve_wrapper as *const () as u64),
                        arg: key.to_le_bytes().to_vec().into(),
                    }),
                    dealloc: Some(WrapperCall {
                        function: ExecutorAddr(registry::remove_wrapper as *const () as u64),
                        arg: key.to_le_bytes().to_vec().into(),
                    }),
                });
                Ok(())
            }));
        }
        let this = self.clone();
        config.deferred.push(Box::new(move |graph, executor| {
            let part = build_part(graph)?;
            if let Some(copies) = &this.copies {
                copies
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(part.clone());
            }
            if !this.register {
                return Ok(());
            }
            executor.run_wrapper(&WrapperCall {
                function: ExecutorAddr(registry::add_wrapper as *const () as u64),
                arg: registry::add_arg(key, this.registration, true, part).into(),
            })?;
            // On the background worker, no `before_run` comes after this
            // unit: the last job in the queue registers what is waiting.
            if this.registration == Registration::Batched
                && background::on_worker()
                && background::pending() <= 1
            {
                executor.run_wrapper(&flush_call())?;
            }
            Ok(())
        }));
    }

    fn before_run(&self, executor: &dyn ExecutorControl) -> Result<()> {
        if !self.register || self.registration != Registration::Batched {
            return Ok(());
        }
        executor.run_wrapper(&flush_call())
    }
}

fn flush_call() -> WrapperCall {
    WrapperCall {
        function: ExecutorAddr(registry::flush_wrapper as *const () as u64),
        arg: Vec::new().into(),
    }
}
