//! Relocations to edges: for the builder, and later for DWARF relocations
//! the builder left in the file ([`PendingRelocations`](crate::graph::PendingRelocations)).

use object::elf;
use object::read::elf::{FileHeader, Rela, SectionHeader, Sym};
use object::LittleEndian as LE;

use super::builder::{bad, FileHeader64, SectionTable, SymbolTable, STAB};
use crate::arch::x86_64::{edge_kind_for_relocation, relocation_name, EdgeKind, RelocMapping};
use crate::error::{Error, Result};
use crate::graph::{BlockId, Edge, LinkGraph, MemLifetime, SymbolId};

/// What turning one relocation section into edges needs of its object.
pub(super) struct Relocations<'d> {
    pub file: &'d str,
    pub data: &'d [u8],
    pub endian: LE,
    pub sections: &'d SectionTable<'d>,
    pub symtab: &'d SymbolTable<'d>,
}

impl Relocations<'_> {
    /// The edges of the `SHT_RELA` section `shdr` for `block`; `symbol`
    /// maps an ELF symbol index to the graph's symbol (`Some(None)`: a
    /// symbol of a section Lantern does not load; `None`: past the table).
    pub fn edges(
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
                    .map(|n| super::lossy(n).into_owned())
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

/// Makes the graph's pending relocations ([`PendingRelocations`](crate::graph::PendingRelocations)) edges,
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

/// The 32-bit value a tcc stab holds in its relocated field (0 if none).
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
