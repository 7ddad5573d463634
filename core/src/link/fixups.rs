//! Copies block content into working memory and applies every edge.

use crate::arch::x86_64::tables::got_base_addr;
use crate::arch::x86_64::{apply_fixup, EdgeKind, FixupError};
use crate::error::{Error, Result};
use crate::graph::{Content, LinkGraph, SymbolDef};
use crate::memory::InFlightAlloc;

use super::layout::Plan;

pub(crate) fn copy_and_fix_up(
    graph: &LinkGraph,
    plan: &Plan,
    alloc: &mut dyn InFlightAlloc,
) -> Result<()> {
    let got_base = got_base_addr(graph);
    for (index, slot) in plan.slots.iter().enumerate() {
        let Some((segment, offset)) = *slot else {
            continue;
        };
        let block_id = crate::graph::BlockId::from_index(index);
        let block = graph.block(block_id);
        let mem = alloc.working_memory(segment);
        let start = offset as usize;
        let dest = &mut mem[start..start + block.size as usize];
        match &block.content {
            Content::Zero => {}
            _ => {
                let bytes = graph.block_bytes(block_id);
                if bytes.len() != dest.len() {
                    let (file, section) = graph.block_origin(block_id);
                    return Err(Error::malformed(
                        &file,
                        format!("section {section}: content size differs from section size"),
                    ));
                }
                dest.copy_from_slice(bytes);
            }
        }
        for edge in &block.edges {
            let target = graph.symbol(edge.target);
            let value = match edge.kind {
                EdgeKind::Size32 | EdgeKind::Size64 => Some(target.size),
                _ => graph.symbol_addr(edge.target),
            };
            let Some(value) = value else {
                let (file, section) = graph.block_origin(block_id);
                return Err(Error::BadFixup {
                    file,
                    section,
                    offset: edge.offset,
                    reason: format!("target `{}` has no address", target.display_name()),
                });
            };
            if let Err(err) = apply_fixup(dest, block.addr.0, edge, value, got_base) {
                let (file, section) = graph.block_origin(block_id);
                let target_name = describe_target(graph, edge.target);
                return Err(match err {
                    FixupError::OutOfRange { value } => Error::FixupOutOfRange {
                        file,
                        section,
                        offset: edge.offset,
                        kind: edge.kind.name(),
                        target: target_name,
                        value,
                        hint: range_hint(graph, edge),
                    },
                    other => Error::BadFixup {
                        file,
                        section,
                        offset: edge.offset,
                        reason: format!("{} fixup to `{target_name}`: {other:?}", edge.kind.name()),
                    },
                });
            }
        }
    }
    Ok(())
}

fn describe_target(graph: &LinkGraph, symbol: crate::graph::SymbolId) -> String {
    let s = graph.symbol(symbol);
    match (&s.name, s.def) {
        (Some(name), _) => name.to_string(),
        (None, SymbolDef::Defined { block, offset }) => {
            let (file, section) = graph.block_origin(block);
            format!("{section}+{offset:#x} in {file}")
        }
        _ => "<anonymous>".into(),
    }
}

fn range_hint(graph: &LinkGraph, edge: &crate::graph::Edge) -> String {
    let target = graph.symbol(edge.target);
    match target.def {
        SymbolDef::Absolute(_) if edge.kind.is_pc_relative_32() || edge.kind.is_absolute_32() => {
            "; the symbol is in the host process, more than 2 GiB from the JIT'd code: \
             recompile with -fPIC so it is reached through the GOT"
                .into()
        }
        _ => String::new(),
    }
}
