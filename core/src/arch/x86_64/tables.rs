//! GOT and PLT-stub table managers: one pass over all edges lowers GOT and
//! stub requests, creating entries on demand; after allocation a second pass
//! relaxes GOT loads and bypasses stubs whose real target is in range.

use std::collections::HashMap;

use super::EdgeKind;
use crate::graph::{
    Block, Content, Edge, LinkGraph, Linkage, MemLifetime, MemProt, Scope, Section, SectionId,
    Symbol, SymbolDef, SymbolId,
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

/// The GOT and stub tables of one graph.
#[derive(Debug, Default)]
pub struct Tables {
    got_section: Option<SectionId>,
    stubs_section: Option<SectionId>,
    got_base: Option<SymbolId>,
    got_entries: HashMap<SymbolId, SymbolId>,
    stubs: HashMap<SymbolId, SymbolId>,
    /// GOT entries holding a stub's address: the canonical address of a host
    /// function whose address low (-fno-pic) code takes with 32-bit fixups.
    canonical_entries: HashMap<SymbolId, SymbolId>,
    /// TLS general-dynamic GOT pairs by target, and the unit's local-dynamic pair.
    tls_gd_pairs: HashMap<SymbolId, SymbolId>,
    tls_ld_pair: Option<SymbolId>,
    /// Initial-exec GOT entries (thread-pointer offsets) by target.
    tp_offset_entries: HashMap<SymbolId, SymbolId>,
    /// TLS descriptors by target.
    tls_descriptors: HashMap<SymbolId, SymbolId>,
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
        let file = graph.section(section).file;
        let block = graph.add_block(Block {
            section,
            content: Content::Zero,
            size: 8,
            align: 8,
            edges: Vec::new(),
            addr: Default::default(),
            live: true,
        });
        let base = graph.add_symbol(Symbol {
            name: Some(GOT_BASE_SYMBOL.into()),
            def: SymbolDef::Defined { block, offset: 0 },
            size: 0,
            linkage: Linkage::Strong,
            scope: Scope::Hidden,
            is_function: false,
            file,
        });
        self.got_base = Some(base);
        base
    }

    fn got_section(&mut self, graph: &mut LinkGraph) -> SectionId {
        *self.got_section.get_or_insert_with(|| {
            graph.add_section(Section {
                name: GOT_SECTION.into(),
                prot: MemProt::Read,
                lifetime: MemLifetime::Standard,
                file: crate::graph::FileId::from_index(0),
                blocks: Vec::new(),
                keep: false,
                tls: false,
            })
        })
    }

    fn stubs_section(&mut self, graph: &mut LinkGraph) -> SectionId {
        *self.stubs_section.get_or_insert_with(|| {
            graph.add_section(Section {
                name: STUBS_SECTION.into(),
                prot: MemProt::ReadExec,
                lifetime: MemLifetime::Standard,
                file: crate::graph::FileId::from_index(0),
                blocks: Vec::new(),
                keep: false,
                tls: false,
            })
        })
    }

    fn got_entry(&mut self, graph: &mut LinkGraph, target: SymbolId) -> SymbolId {
        if let Some(&entry) = self.got_entries.get(&target) {
            return entry;
        }
        self.got_base(graph);
        let section = self.got_section(graph);
        let entry = anonymous_block(
            graph,
            section,
            vec![0; 8],
            8,
            vec![Edge {
                offset: 0,
                kind: EdgeKind::Pointer64,
                target,
                addend: 0,
            }],
        );
        self.got_entries.insert(target, entry);
        entry
    }

    fn stub(&mut self, graph: &mut LinkGraph, target: SymbolId) -> SymbolId {
        if let Some(&stub) = self.stubs.get(&target) {
            return stub;
        }
        let entry = self.got_entry(graph, target);
        let section = self.stubs_section(graph);
        let stub = anonymous_block(
            graph,
            section,
            STUB_TEMPLATE.to_vec(),
            8,
            vec![Edge {
                offset: 2,
                kind: EdgeKind::Delta32,
                target: entry,
                addend: -4,
            }],
        );
        graph.symbol_mut(stub).is_function = true;
        self.stubs.insert(target, stub);
        stub
    }

    /// A (module id, offset) GOT pair for `__tls_get_addr`: general dynamic for
    /// `target`, or the unit's local-dynamic pair (offset 0).
    fn tls_pair(
        &mut self,
        graph: &mut LinkGraph,
        target: SymbolId,
        local_dynamic: bool,
    ) -> SymbolId {
        let existing = if local_dynamic {
            self.tls_ld_pair
        } else {
            self.tls_gd_pairs.get(&target).copied()
        };
        if let Some(pair) = existing {
            return pair;
        }
        self.got_base(graph);
        let section = self.got_section(graph);
        let mut edges = vec![Edge {
            offset: 0,
            kind: EdgeKind::DtpMod64,
            target,
            addend: 0,
        }];
        if !local_dynamic {
            edges.push(Edge {
                offset: 8,
                kind: EdgeKind::DtpOff64,
                target,
                addend: 0,
            });
        }
        let pair = anonymous_block(graph, section, vec![0; 16], 16, edges);
        if local_dynamic {
            self.tls_ld_pair = Some(pair);
        } else {
            self.tls_gd_pairs.insert(target, pair);
        }
        pair
    }

    /// An initial-exec GOT entry: `target`'s offset from the thread pointer.
    fn tp_offset_entry(&mut self, graph: &mut LinkGraph, target: SymbolId) -> SymbolId {
        if let Some(&entry) = self.tp_offset_entries.get(&target) {
            return entry;
        }
        self.got_base(graph);
        let section = self.got_section(graph);
        let entry = anonymous_block(
            graph,
            section,
            vec![0; 8],
            8,
            vec![Edge {
                offset: 0,
                kind: EdgeKind::TpOff64,
                target,
                addend: 0,
            }],
        );
        self.tp_offset_entries.insert(target, entry);
        entry
    }

    /// A TLS descriptor for `target`: the static resolver, then the offset it returns.
    fn tls_descriptor(&mut self, graph: &mut LinkGraph, target: SymbolId) -> SymbolId {
        if let Some(&descriptor) = self.tls_descriptors.get(&target) {
            return descriptor;
        }
        let resolver = graph
            .symbol_ids()
            .find(|&id| graph.symbol(id).name.as_deref() == Some(TLSDESC_RESOLVER_SYMBOL))
            .expect("resolution adds the TLS descriptor resolver");
        self.got_base(graph);
        let section = self.got_section(graph);
        let descriptor = anonymous_block(
            graph,
            section,
            vec![0; 16],
            16,
            vec![
                Edge {
                    offset: 0,
                    kind: EdgeKind::Pointer64,
                    target: resolver,
                    addend: 0,
                },
                Edge {
                    offset: 8,
                    kind: EdgeKind::TpOff64,
                    target,
                    addend: 0,
                },
            ],
        );
        self.tls_descriptors.insert(target, descriptor);
        descriptor
    }

    /// The GOT entry holding the canonical (stub) address of `target`.
    fn canonical_entry(&mut self, graph: &mut LinkGraph, target: SymbolId) -> SymbolId {
        if let Some(&entry) = self.canonical_entries.get(&target) {
            return entry;
        }
        let stub = self.stub(graph, target);
        let section = self.got_section(graph);
        let entry = anonymous_block(
            graph,
            section,
            vec![0; 8],
            8,
            vec![Edge {
                offset: 0,
                kind: EdgeKind::Pointer64,
                target: stub,
                addend: 0,
            }],
        );
        self.canonical_entries.insert(target, entry);
        entry
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
        let canonical: std::collections::HashSet<SymbolId> = block_ids
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
                        edge.target = self.canonical_entry(graph, edge.target);
                        edge.kind = match kind {
                            EdgeKind::Delta32ToGotRelaxable
                            | EdgeKind::Delta32ToGotRexRelaxable => EdgeKind::Delta32,
                            other => other,
                        };
                    } else {
                        edge.target = self.stub(graph, edge.target);
                    }
                    continue;
                }
                if matches!(
                    edge.kind,
                    EdgeKind::RequestTlsGdAndTransformToDelta32
                        | EdgeKind::RequestTlsLdAndTransformToDelta32
                ) {
                    let local_dynamic = edge.kind == EdgeKind::RequestTlsLdAndTransformToDelta32;
                    edge.target = self.tls_pair(graph, edge.target, local_dynamic);
                    edge.kind = EdgeKind::Delta32;
                    continue;
                }
                if edge.kind == EdgeKind::RequestGotTpOffAndTransformToDelta32 {
                    edge.target = self.tp_offset_entry(graph, edge.target);
                    edge.kind = EdgeKind::Delta32;
                    continue;
                }
                if edge.kind == EdgeKind::RequestTlsDescAndTransformToDelta32 {
                    edge.target = self.tls_descriptor(graph, edge.target);
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
                            self.stub(graph, edge.target)
                        }
                    } else {
                        self.got_entry(graph, edge.target)
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

    pub fn got_entry_count(&self) -> usize {
        self.got_entries.len()
    }

    pub fn stub_count(&self) -> usize {
        self.stubs.len()
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

fn anonymous_block(
    graph: &mut LinkGraph,
    section: SectionId,
    content: Vec<u8>,
    align: u64,
    edges: Vec<Edge>,
) -> SymbolId {
    let file = graph.section(section).file;
    let block = graph.add_block(Block {
        section,
        size: content.len() as u64,
        content: Content::Owned(content),
        align,
        edges,
        addr: Default::default(),
        live: true,
    });
    graph.add_symbol(Symbol {
        name: None,
        def: SymbolDef::Defined { block, offset: 0 },
        size: 8,
        linkage: Linkage::Strong,
        scope: Scope::Local,
        is_function: false,
        file,
    })
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
