//! GOT and PLT-stub table managers: one pass over all edges lowers GOT and
//! stub requests, creating entries on demand; after allocation a second pass
//! relaxes GOT loads and bypasses stubs whose real target is in range.

use foldhash::HashMap;

use super::EdgeKind;
use crate::graph::{
    Edge, FileId, LinkGraph, Linkage, MemProt, Scope, SectionId, SymbolDef, SymbolId,
};

pub const GOT_SECTION: &str = "$__GOT";
pub const STUBS_SECTION: &str = "$__STUBS";
pub const GOT_BASE_SYMBOL: &str = "_GLOBAL_OFFSET_TABLE_";
/// The resolver of static TLS descriptors: returns the descriptor's second
/// word, the variable's offset from the thread pointer (the executor's runtime
/// defines it; resolution adds the reference when a unit uses descriptors).
pub const TLSDESC_RESOLVER_SYMBOL: &str = "__lantern_tlsdesc_static";

/// `jmp *entry(%rip)` padded with `int3` to 8 bytes.
const STUB_TEMPLATE: [u8; 8] = [0xff, 0x25, 0, 0, 0, 0, 0xcc, 0xcc];

/// The kinds of entry the tables hold: each made once per target, on the
/// first request, by [`Tables::entry_for_target`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Entry {
    /// A GOT slot holding the target's address.
    Got,
    /// A PLT stub: `jmp *` through the target's GOT slot.
    Stub,
    /// A GOT slot holding the target's stub: the canonical address of a
    /// host function whose address low (-fno-pic) code takes with 32-bit
    /// fixups.
    Canonical,
    /// A (module id, offset) GOT pair for `__tls_get_addr` (general dynamic).
    TlsGdPair,
    /// The unit's local-dynamic pair (module id, offset 0): one per graph,
    /// whatever the target.
    TlsLdPair,
    /// An initial-exec GOT slot: the target's offset from the thread pointer.
    TpOffset,
    /// A TLS descriptor: the static resolver, then the offset it returns.
    TlsDescriptor,
}

/// The GOT and stub tables of one graph.
#[derive(Debug, Default)]
pub struct Tables {
    got_section: Option<SectionId>,
    stubs_section: Option<SectionId>,
    got_base: Option<SymbolId>,
    /// The entry cache, JITLink's `TableManager`: each entry by kind and
    /// target (no target for the unit-wide local-dynamic pair).
    entries: HashMap<(Entry, Option<SymbolId>), SymbolId>,
}

impl Tables {
    /// Tables for `graph`, picking up the GOT that symbol resolution may have
    /// created already for `_GLOBAL_OFFSET_TABLE_`.
    pub fn new(graph: &LinkGraph) -> Self {
        let mut tables = Self::default();
        if let Some(section) = graph
            .section_ids()
            .find(|&s| graph.section(s).name == GOT_SECTION)
        {
            tables.got_section = Some(section);
            tables.got_base = graph.symbol_ids().find(|&id| {
                let sym = graph.symbol(id);
                sym.name.as_deref() == Some(GOT_BASE_SYMBOL)
                    && matches!(sym.def, SymbolDef::Defined { block, .. } if graph.block(block).section == section)
            });
        }
        tables
    }

    /// The symbol at the start of the GOT (`_GLOBAL_OFFSET_TABLE_`), creating the GOT.
    pub fn got_base(&mut self, graph: &mut LinkGraph) -> SymbolId {
        if let Some(base) = self.got_base {
            return base;
        }
        let section = self.got_section(graph);
        let block = graph.create_zero_fill_block(section, 8, 8);
        graph.block_mut(block).live = true;
        let base = graph.add_defined_symbol(
            block,
            0,
            Some(GOT_BASE_SYMBOL.into()),
            0,
            Linkage::Strong,
            Scope::Hidden,
            false,
        );
        self.got_base = Some(base);
        base
    }

    fn got_section(&mut self, graph: &mut LinkGraph) -> SectionId {
        *self.got_section.get_or_insert_with(|| {
            graph.create_section(GOT_SECTION, MemProt::Read, FileId::from_index(0))
        })
    }

    fn stubs_section(&mut self, graph: &mut LinkGraph) -> SectionId {
        *self.stubs_section.get_or_insert_with(|| {
            graph.create_section(STUBS_SECTION, MemProt::ReadExec, FileId::from_index(0))
        })
    }

    /// The `kind` entry for `target`, made on the first request (JITLink's
    /// `TableManager::getEntryForTarget`).
    fn entry_for_target(
        &mut self,
        graph: &mut LinkGraph,
        kind: Entry,
        target: SymbolId,
    ) -> SymbolId {
        let key = (kind, (kind != Entry::TlsLdPair).then_some(target));
        if let Some(&entry) = self.entries.get(&key) {
            return entry;
        }
        let entry = self.create_entry(graph, kind, target);
        self.entries.insert(key, entry);
        entry
    }

    /// A new `kind` entry for `target`: an anonymous block in the GOT (or the
    /// stubs) whose edges the fixups fill in.
    fn create_entry(&mut self, graph: &mut LinkGraph, kind: Entry, target: SymbolId) -> SymbolId {
        let edge = |offset, kind, target| Edge {
            offset,
            kind,
            target,
            addend: 0,
        };
        match kind {
            Entry::Got => self.got_slot(graph, 8, vec![edge(0, EdgeKind::Pointer64, target)]),
            Entry::TpOffset => self.got_slot(graph, 8, vec![edge(0, EdgeKind::TpOff64, target)]),
            Entry::TlsGdPair => {
                let edges = vec![
                    edge(0, EdgeKind::DtpMod64, target),
                    edge(8, EdgeKind::DtpOff64, target),
                ];
                self.got_slot(graph, 16, edges)
            }
            // The offset word stays 0: the start of the unit's TLS block.
            Entry::TlsLdPair => self.got_slot(graph, 16, vec![edge(0, EdgeKind::DtpMod64, target)]),
            Entry::TlsDescriptor => {
                let resolver = graph
                    .symbol_ids()
                    .find(|&id| graph.symbol(id).name.as_deref() == Some(TLSDESC_RESOLVER_SYMBOL))
                    .expect("resolution adds the TLS descriptor resolver");
                let edges = vec![
                    edge(0, EdgeKind::Pointer64, resolver),
                    edge(8, EdgeKind::TpOff64, target),
                ];
                self.got_slot(graph, 16, edges)
            }
            Entry::Canonical => {
                let stub = self.entry_for_target(graph, Entry::Stub, target);
                self.got_slot(graph, 8, vec![edge(0, EdgeKind::Pointer64, stub)])
            }
            Entry::Stub => {
                let slot = self.entry_for_target(graph, Entry::Got, target);
                let section = self.stubs_section(graph);
                let jump = Edge {
                    addend: -4,
                    ..edge(2, EdgeKind::Delta32, slot)
                };
                new_entry(graph, section, STUB_TEMPLATE.to_vec(), vec![jump], true)
            }
        }
    }

    /// A GOT entry of `size` bytes (one word or two, aligned to its size).
    fn got_slot(&mut self, graph: &mut LinkGraph, size: usize, edges: Vec<Edge>) -> SymbolId {
        self.got_base(graph);
        let section = self.got_section(graph);
        new_entry(graph, section, vec![0; size], edges, false)
    }

    /// Lowers every GOT and stub request of the live blocks. Calls to symbols
    /// that the graph does not define go through a stub; so do absolute 32-bit
    /// references to host functions: the stub is then their canonical address,
    /// used by every reference that takes the address, as a non-PIE link does.
    pub fn lower(&mut self, graph: &mut LinkGraph) {
        let block_ids: Vec<_> = graph
            .block_ids()
            .filter(|&b| graph.block(b).live && !graph.is_noalloc(b))
            .collect();
        let canonical: foldhash::HashSet<SymbolId> = block_ids
            .iter()
            .flat_map(|&b| graph.block(b).edges.iter())
            .filter(|e| e.kind.is_absolute_32())
            .map(|e| e.target)
            .filter(|&t| {
                let sym = graph.symbol(t);
                sym.is_function
                    && matches!(sym.def, SymbolDef::Absolute(a) | SymbolDef::Outside(a) if a != 0)
            })
            .collect();
        for block_id in block_ids {
            let mut edges = std::mem::take(&mut graph.block_mut(block_id).edges);
            for edge in &mut edges {
                let target_is_local =
                    matches!(graph.symbol(edge.target).def, SymbolDef::Defined { .. });
                let target_is_host_function =
                    !target_is_local && graph.symbol(edge.target).is_function;
                let lowered = match edge.kind {
                    EdgeKind::RequestGotAndTransformToDelta32 => Some((EdgeKind::Delta32, false)),
                    EdgeKind::RequestGotAndTransformToDelta32Relaxable => {
                        Some((EdgeKind::Delta32ToGotRelaxable, false))
                    }
                    EdgeKind::RequestGotAndTransformToDelta32RexRelaxable => {
                        Some((EdgeKind::Delta32ToGotRexRelaxable, false))
                    }
                    EdgeKind::RequestGotAndTransformToDelta64 => Some((EdgeKind::Delta64, false)),
                    EdgeKind::RequestGotAndTransformToDelta64FromGot => {
                        Some((EdgeKind::Delta64FromGot, false))
                    }
                    EdgeKind::RequestGotAndTransformToDelta32FromGot => {
                        Some((EdgeKind::Delta32FromGot, false))
                    }
                    EdgeKind::RequestStubAndTransformToDelta64FromGot => {
                        Some((EdgeKind::Delta64FromGot, true))
                    }
                    EdgeKind::BranchPCRel32 if !target_is_local => {
                        Some((EdgeKind::BranchPCRel32ToStub, true))
                    }
                    EdgeKind::Delta32 if target_is_host_function => {
                        Some((EdgeKind::BranchPCRel32ToStub, true))
                    }
                    EdgeKind::Pointer32 | EdgeKind::Pointer32Signed if target_is_host_function => {
                        Some((edge.kind, true))
                    }
                    _ => None,
                };
                let takes_address = matches!(edge.kind, EdgeKind::Pointer64 | EdgeKind::Delta64)
                    || (edge.kind.is_table_request()
                        && lowered.is_some()
                        && !matches!(lowered, Some((_, true))));
                if takes_address && canonical.contains(&edge.target) {
                    if edge.kind.is_table_request() {
                        let (kind, _) = lowered.expect("table requests are lowered");
                        edge.target = self.entry_for_target(graph, Entry::Canonical, edge.target);
                        edge.kind = match kind {
                            EdgeKind::Delta32ToGotRelaxable
                            | EdgeKind::Delta32ToGotRexRelaxable => EdgeKind::Delta32,
                            other => other,
                        };
                    } else {
                        edge.target = self.entry_for_target(graph, Entry::Stub, edge.target);
                    }
                    continue;
                }
                let tls_entry = match edge.kind {
                    EdgeKind::RequestTlsGdAndTransformToDelta32 => Some(Entry::TlsGdPair),
                    EdgeKind::RequestTlsLdAndTransformToDelta32 => Some(Entry::TlsLdPair),
                    EdgeKind::RequestGotTpOffAndTransformToDelta32 => Some(Entry::TpOffset),
                    EdgeKind::RequestTlsDescAndTransformToDelta32 => Some(Entry::TlsDescriptor),
                    _ => None,
                };
                if let Some(kind) = tls_entry {
                    edge.target = self.entry_for_target(graph, kind, edge.target);
                    edge.kind = EdgeKind::Delta32;
                    continue;
                }
                if let Some((kind, via_stub)) = lowered {
                    if edge.kind == EdgeKind::RequestStubAndTransformToDelta64FromGot {
                        self.got_base(graph);
                    }
                    edge.target = if via_stub {
                        if target_is_local
                            && edge.kind == EdgeKind::RequestStubAndTransformToDelta64FromGot
                        {
                            edge.target
                        } else {
                            self.entry_for_target(graph, Entry::Stub, edge.target)
                        }
                    } else {
                        self.entry_for_target(graph, Entry::Got, edge.target)
                    };
                    edge.kind = kind;
                }
            }
            graph.block_mut(block_id).edges = edges;
        }
    }

    /// After allocation: relaxes GOT loads and bypasses stubs where the real
    /// target is within ±2 GiB of the fixup.
    pub fn optimize(graph: &mut LinkGraph) {
        let block_ids: Vec<_> = graph
            .block_ids()
            .filter(|&b| graph.block(b).live && !graph.is_noalloc(b))
            .collect();
        for block_id in block_ids {
            let block_addr = graph.block(block_id).addr.0;
            for i in 0..graph.block(block_id).edges.len() {
                let edge = graph.block(block_id).edges[i];
                let fixup_addr = block_addr + edge.offset;
                let new = match edge.kind {
                    EdgeKind::Delta32ToGotRelaxable | EdgeKind::Delta32ToGotRexRelaxable => {
                        let Some(real) = first_edge_target(graph, edge.target) else {
                            continue;
                        };
                        let kind = relaxed_kind(graph, block_id, edge.offset, edge.kind);
                        kind.map(|k| (k, real))
                    }
                    EdgeKind::BranchPCRel32ToStub => {
                        let real = first_edge_target(graph, edge.target)
                            .and_then(|entry| first_edge_target(graph, entry));
                        real.map(|r| (EdgeKind::BranchPCRel32, r))
                    }
                    _ => None,
                };
                let Some((kind, real)) = new else { continue };
                let Some(real_addr) = graph.symbol_addr(real) else {
                    continue;
                };
                // Undefined weak symbols resolve to 0 and must keep their GOT load.
                if real_addr == 0 {
                    continue;
                }
                let value = real_addr as i128 + edge.addend as i128 - fixup_addr as i128;
                if i32::try_from(value).is_ok() {
                    let e = &mut graph.block_mut(block_id).edges[i];
                    e.kind = kind;
                    e.target = real;
                }
            }
        }
    }

    /// How many GOT slots hold a target's address.
    pub fn got_entry_count(&self) -> usize {
        self.count(Entry::Got)
    }

    pub fn stub_count(&self) -> usize {
        self.count(Entry::Stub)
    }

    fn count(&self, kind: Entry) -> usize {
        self.entries.keys().filter(|(k, _)| *k == kind).count()
    }
}

/// The GOT base address of a lowered graph, if it has a GOT.
pub fn got_base_addr(graph: &LinkGraph) -> u64 {
    graph
        .section_ids()
        .find(|&s| graph.section(s).name == GOT_SECTION)
        .and_then(|s| graph.section(s).blocks.first().copied())
        .map(|b| graph.block(b).addr.0)
        .unwrap_or(0)
}

/// A live, anonymous block of `content` aligned to its size, and its symbol.
fn new_entry(
    graph: &mut LinkGraph,
    section: SectionId,
    content: Vec<u8>,
    edges: Vec<Edge>,
    callable: bool,
) -> SymbolId {
    let size = content.len() as u64;
    let block = graph.create_content_block(section, content, size);
    let block_data = graph.block_mut(block);
    block_data.edges = edges;
    block_data.live = true;
    graph.add_anonymous_symbol(block, 0, size, callable)
}

fn first_edge_target(graph: &LinkGraph, symbol: SymbolId) -> Option<SymbolId> {
    match graph.symbol(symbol).def {
        SymbolDef::Defined { block, .. } => graph.block(block).edges.first().map(|e| e.target),
        _ => None,
    }
}

/// Which relaxed form a GOT load at `offset` takes, judged by its opcode bytes.
fn relaxed_kind(
    graph: &LinkGraph,
    block: crate::graph::BlockId,
    offset: u64,
    kind: EdgeKind,
) -> Option<EdgeKind> {
    let bytes = graph.block_bytes(block);
    let at = usize::try_from(offset).ok()?;
    let op = bytes.get(at.checked_sub(2)?..at)?;
    match (op, kind) {
        ([0x8b, modrm], _) if modrm & 0xc7 == 0x05 => Some(EdgeKind::RelaxedMovToLea),
        ([0xff, 0x15], EdgeKind::Delta32ToGotRelaxable) => Some(EdgeKind::RelaxedCall),
        ([0xff, 0x25], EdgeKind::Delta32ToGotRelaxable) => Some(EdgeKind::RelaxedJmp),
        _ => None,
    }
}
