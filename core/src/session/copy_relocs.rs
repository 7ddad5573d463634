//! Copy relocations for code placed in the low 2 GiB (`-fno-pic`): host data
//! that such code reaches with 32-bit fixups is copied next to it, as a
//! static linker's copy relocation would, since the host is out of reach.

use std::collections::HashMap;

use crate::error::{Error, Result};
use crate::executor::ExecutorControl;
use crate::graph::{LinkGraph, MemProt, Scope, SymbolDef, SymbolId};

/// Whether absolute 32-bit fixups reach into the unit's own memory (from
/// code and data, or from debug information: stabs' 32-bit `n_value`, as
/// `link::layout`'s placement decides) or into host data that then gets a
/// copy in it.
pub(crate) fn needs_low_memory(graph: &LinkGraph) -> bool {
    graph
        .block_ids()
        .flat_map(|b| &graph.block(b).edges)
        .any(|e| {
            let target = graph.symbol(e.target);
            e.kind.is_absolute_32()
                && !e.kind.is_tls()
                && match target.def {
                    SymbolDef::Defined { block, .. } => !graph.is_noalloc(block),
                    // Host data reached only by absolute 32-bit fixups (clang
                    // -O0 -fno-pic: `stdout` by R_X86_64_32S, its strings by
                    // R_X86_64_64): its copy makes the unit low.
                    SymbolDef::Outside(addr) => addr != 0 && !target.is_function && target.size > 0,
                    _ => false,
                }
        })
}

/// Redirects 32-bit fixups to host data objects into copies in the unit.
pub(crate) fn add_copy_relocations(
    graph: &mut LinkGraph,
    executor: &dyn ExecutorControl,
) -> Result<()> {
    if !needs_low_memory(graph) {
        return Ok(());
    }
    let mut copies: HashMap<SymbolId, SymbolId> = HashMap::new();
    let mut section = None;
    for block_index in 0..graph.blocks().len() {
        let block_id = crate::graph::BlockId::from_index(block_index);
        if graph.is_noalloc(block_id) {
            continue;
        }
        for edge_index in 0..graph.block(block_id).edges.len() {
            let edge = graph.block(block_id).edges[edge_index];
            if !(edge.kind.is_pc_relative_32() || edge.kind.is_absolute_32()) {
                continue;
            }
            let target = graph.symbol(edge.target);
            // Only symbols resolved outside the unit are data we can read:
            // an object's own SHN_ABS symbol is just a number.
            let SymbolDef::Outside(addr) = target.def else {
                continue;
            };
            if addr == 0 || target.is_function || target.size == 0 {
                continue;
            }
            let copy = match copies.get(&edge.target) {
                Some(&copy) => copy,
                None => {
                    let name = target.display_name().to_string();
                    let size = target.size;
                    let bytes = executor
                        .read_memory(crate::graph::ExecutorAddr(addr), size)
                        .map_err(|e| {
                            Error::Other(format!("copy relocation for host symbol `{name}`: {e}"))
                        })?;
                    let file = graph.block(block_id).section;
                    let file = graph.section(file).file;
                    let section = *section.get_or_insert_with(|| {
                        graph.create_section("$__COPY", MemProt::ReadWrite, file)
                    });
                    let block = graph.create_content_block(section, bytes, 16);
                    let original = graph.symbol(edge.target).clone();
                    let copy = graph.add_defined_symbol(
                        block,
                        0,
                        original.name,
                        original.size,
                        original.linkage,
                        Scope::Local,
                        original.is_function,
                    );
                    // The copy stands for the host symbol: messages name its referrer.
                    graph.symbol_mut(copy).file = original.file;
                    log::info!(
                        "copied host data `{name}` ({size} bytes) next to the -fno-pic code that reads it \
                         (a copy relocation: later changes made by the host are not seen)"
                    );
                    copies.insert(edge.target, copy);
                    copy
                }
            };
            graph.block_mut(block_id).edges[edge_index].target = copy;
        }
    }
    Ok(())
}
