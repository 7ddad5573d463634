//! A unit that defines a redirectable symbol's implementation: its uses of
//! the symbol's address go to the stub, so `&f` is one address in every unit.

use std::collections::HashMap;

use super::JitDylib;
use crate::arch::x86_64::EdgeKind;
use crate::graph::{LinkGraph, Linkage, Scope, SymbolDef, SymbolId};

/// Retargets every edge that takes the address of a redirectable symbol this
/// unit defines (pointers in data, `lea`, GOT entries) to the symbol's stub.
/// Direct `call`/`jmp` edges keep the definition: they are the unit's own
/// calls, which need no indirection. DWARF and `.eh_frame` describe the
/// definition and keep it too.
pub(super) fn use_stubs_for_addresses(graph: &mut LinkGraph, dylib: &JitDylib) {
    let mut stub_of: HashMap<SymbolId, SymbolId> = HashMap::new();
    for id in graph.symbol_ids().collect::<Vec<_>>() {
        let sym = graph.symbol(id);
        let (Some(name), SymbolDef::Defined { .. }) = (&sym.name, sym.def) else {
            continue;
        };
        if sym.scope != Scope::Default || !dylib.redirectable.contains(&**name) {
            continue;
        }
        let Some(stub) = dylib.lookup(name) else {
            continue;
        };
        let (name, file) = (sym.name.clone(), sym.file);
        let outside =
            graph.add_external_symbol(file, name, stub.size, Linkage::Strong, Scope::Local, true);
        graph.symbol_mut(outside).def = SymbolDef::Outside(stub.addr.0);
        stub_of.insert(id, outside);
    }
    if stub_of.is_empty() {
        return;
    }
    let blocks: Vec<_> = graph
        .block_ids()
        .filter(|&b| {
            !graph.is_noalloc(b) && graph.section(graph.block(b).section).name != ".eh_frame"
        })
        .collect();
    for block in blocks {
        for edge in &mut graph.block_mut(block).edges {
            if matches!(
                edge.kind,
                EdgeKind::BranchPCRel32 | EdgeKind::BranchPCRel32ToStub
            ) {
                continue;
            }
            if let Some(&stub) = stub_of.get(&edge.target) {
                edge.target = stub;
            }
        }
    }
}
