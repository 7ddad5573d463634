//! What a fixed-up unit's code is: its executable ranges and its functions,
//! for the plugins that describe the code to someone else.

use lantern_core::graph::{LinkGraph, MemProt, SymbolDef};

/// The unit's executable blocks as (start, end), sorted.
pub(crate) fn code_ranges(graph: &LinkGraph) -> Vec<(u64, u64)> {
    let mut code: Vec<(u64, u64)> = graph
        .block_ids()
        .filter(|&b| {
            let block = graph.block(b);
            block.live
                && !graph.is_noalloc(b)
                && graph.section(block.section).prot == MemProt::ReadExec
        })
        .map(|b| {
            (
                graph.block(b).addr.0,
                graph.block(b).addr.0 + graph.block(b).size,
            )
        })
        .collect();
    code.sort_unstable();
    code
}

/// The unit's named functions that have code, as (start, size, name) in
/// address order.
pub(crate) fn functions(graph: &LinkGraph) -> Vec<(u64, u64, String)> {
    let mut entries: Vec<(u64, u64, String)> = graph
        .symbol_ids()
        .filter_map(|id| {
            let symbol = graph.symbol(id);
            let (Some(name), SymbolDef::Defined { block, .. }) = (&symbol.name, symbol.def) else {
                return None;
            };
            if !symbol.is_function || !graph.block(block).live || graph.is_noalloc(block) {
                return None;
            }
            let start = graph.symbol_addr(id)?;
            // Assembly without `.size` leaves 0: the rest of the block is a fair guess.
            let size = if symbol.size > 0 {
                symbol.size
            } else {
                let block = graph.block(block);
                block.addr.0 + block.size - start
            };
            Some((start, size, name.to_string()))
        })
        .collect();
    entries.sort();
    entries.dedup_by_key(|e| e.0);
    entries
}
