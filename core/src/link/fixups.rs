//! Copies block content into working memory and applies every edge.

use crate::arch::x86_64::tables::got_base_addr;
use crate::arch::x86_64::{apply_fixup, EdgeKind, FixupError};
use crate::error::{Error, OutOfRange, Result};
use crate::executor::TlsModule;
use crate::graph::{Content, LinkGraph, NoAllocOutput, SymbolDef};
use crate::memory::InFlightAlloc;

use super::layout::Plan;

/// What fixups need besides the graph: the GOT base and the TLS module.
pub(crate) struct FixupContext<'a> {
    pub got_base: u64,
    /// The TLS layout and the module id the executor gave the TLS image.
    pub tls: Option<(&'a super::layout::TlsLayout, u64)>,
    /// The TLS block's offset from the thread pointer, for a static image.
    pub tp_offset: Option<i64>,
}

impl FixupContext<'_> {
    pub fn new<'a>(
        graph: &LinkGraph,
        plan: &'a Plan,
        tls_module: Option<&TlsModule>,
    ) -> FixupContext<'a> {
        FixupContext {
            got_base: got_base_addr(graph),
            tls: plan.tls.as_ref().zip(tls_module.map(|m| m.module_id)),
            tp_offset: tls_module.and_then(|m| m.tp_offset),
        }
    }

    /// For DWARF, relocated before the TLS image is loaded: it refers to
    /// thread-local variables by their offset in the block (`DTPOFF`), never
    /// by module or thread-pointer offset.
    pub fn for_debug_info<'a>(graph: &LinkGraph, plan: &'a Plan) -> FixupContext<'a> {
        FixupContext {
            got_base: got_base_addr(graph),
            tls: plan.tls.as_ref().map(|tls| (tls, 0)),
            tp_offset: None,
        }
    }
}

pub(crate) fn copy_and_fix_up(
    graph: &LinkGraph,
    plan: &Plan,
    context: &FixupContext<'_>,
    alloc: &mut dyn InFlightAlloc,
) -> Result<()> {
    for (index, slot) in plan.slots.iter().enumerate() {
        let Some((segment, offset)) = *slot else {
            continue;
        };
        let block_id = crate::graph::BlockId::from_index(index);
        let mem = alloc.working_memory(segment);
        let start = offset as usize;
        let dest = &mut mem[start..start + graph.block(block_id).size as usize];
        fix_up_block(graph, block_id, dest, context)?;
    }
    Ok(())
}

/// Relocates the NoAlloc output sections (DWARF) in controller memory.
pub(crate) fn fix_up_noalloc(
    graph: &LinkGraph,
    plan: &Plan,
    context: &FixupContext<'_>,
) -> Result<Vec<NoAllocOutput>> {
    let mut outputs = Vec::with_capacity(plan.noalloc.len());
    for output in &plan.noalloc {
        let mut bytes = vec![0u8; output.size as usize];
        for &(block, offset) in &output.blocks {
            let size = graph.block(block).size;
            fix_up_block(
                graph,
                block,
                &mut bytes[offset as usize..(offset + size) as usize],
                context,
            )?;
        }
        outputs.push(NoAllocOutput {
            name: output.name.clone(),
            bytes,
        });
    }
    Ok(outputs)
}

/// Copies of `blocks` with their edges applied, for passes that need final
/// bytes outside executor memory (debug objects, eh-frame checks).
pub fn fixed_up_copies(
    graph: &LinkGraph,
    blocks: &[crate::graph::BlockId],
) -> Result<Vec<Vec<u8>>> {
    // Once per call: finding the GOT scans every section.
    let context = FixupContext {
        got_base: got_base_addr(graph),
        tls: None,
        tp_offset: None,
    };
    blocks
        .iter()
        .map(|&block| {
            let mut bytes = vec![0u8; graph.block(block).size as usize];
            fix_up_block(graph, block, &mut bytes, &context)?;
            Ok(bytes)
        })
        .collect()
}

/// The TLS init image (`.tdata`, then zeroes up to where `.tbss` starts), fixed up.
pub(crate) fn tls_init_image(graph: &LinkGraph, plan: &Plan) -> Result<Vec<u8>> {
    let Some(tls) = &plan.tls else {
        return Ok(Vec::new());
    };
    let mut image = vec![0u8; tls.init_size as usize];
    let context = FixupContext {
        got_base: got_base_addr(graph),
        tls: Some((tls, 0)),
        tp_offset: None,
    };
    for (index, offset) in tls.offsets.iter().enumerate() {
        let Some(offset) = *offset else { continue };
        let block_id = crate::graph::BlockId::from_index(index);
        let block = graph.block(block_id);
        if matches!(block.content, Content::Zero) {
            continue;
        }
        let dest = &mut image[offset as usize..(offset + block.size) as usize];
        fix_up_block(graph, block_id, dest, &context)?;
    }
    Ok(image)
}

/// Copies one block's content into `dest` and applies its edges.
fn fix_up_block(
    graph: &LinkGraph,
    block_id: crate::graph::BlockId,
    dest: &mut [u8],
    context: &FixupContext<'_>,
) -> Result<()> {
    let got_base = context.got_base;
    let block = graph.block(block_id);
    {
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
            let host_tls = graph.host_tls.get(&edge.target);
            let value = match edge.kind {
                EdgeKind::Size32 | EdgeKind::Size64 => Some(target.size),
                EdgeKind::DtpMod64 if host_tls.is_some() => host_tls.map(|h| h.module_id),
                EdgeKind::DtpOff32 | EdgeKind::DtpOff64 if host_tls.is_some() => {
                    host_tls.map(|h| h.offset)
                }
                EdgeKind::TpOff32 | EdgeKind::TpOff64 if host_tls.is_some() => {
                    match host_tls.and_then(|h| h.tp_offset) {
                        Some(offset) => Some(offset as u64),
                        None => {
                            let (file, section) = graph.block_origin(block_id);
                            return Err(Error::BadFixup {
                                file,
                                section,
                                offset: edge.offset,
                                reason: format!(
                                    "initial-exec or local-exec access to `{}`, a thread-local variable of a library whose TLS is dynamic (loaded with dlopen): recompile with -fPIC",
                                    target.display_name()
                                ),
                            });
                        }
                    }
                }
                EdgeKind::DtpMod64 => context.tls.map(|(_, module)| module),
                EdgeKind::DtpOff32 | EdgeKind::DtpOff64 => tls_offset(graph, edge.target, context),
                EdgeKind::TpOff32 | EdgeKind::TpOff64 => context.tp_offset.and_then(|base| {
                    tls_offset(graph, edge.target, context).map(|off| (base + off as i64) as u64)
                }),
                _ => graph.symbol_addr(edge.target),
            };
            let Some(value) = value else {
                if let Some(tombstone) = tombstone(graph, block_id, edge) {
                    let start = edge.offset as usize;
                    if let Some(field) = dest.get_mut(start..start + tombstone.len()) {
                        field.copy_from_slice(&tombstone);
                    }
                    continue;
                }
                let (file, section) = graph.block_origin(block_id);
                return Err(Error::BadFixup {
                    file,
                    section,
                    offset: edge.offset,
                    reason: if edge.kind.is_tls() {
                        format!(
                            "thread-local `{}` is not defined in this link unit (thread-local variables of the host or of other units are not supported yet)",
                            target.display_name()
                        )
                    } else {
                        format!("target `{}` has no address", target.display_name())
                    },
                });
            };
            if let Err(err) = apply_fixup(dest, block.addr.0, edge, value, got_base) {
                let (file, section) = graph.block_origin(block_id);
                let target_name = describe_target(graph, edge.target);
                return Err(match err {
                    FixupError::OutOfRange { value } => {
                        Error::FixupOutOfRange(Box::new(OutOfRange {
                            file,
                            section,
                            offset: edge.offset,
                            kind: edge.kind.name(),
                            target: target_name,
                            value,
                            hint: range_hint(graph, edge),
                        }))
                    }
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

/// What a reference to code that dead-stripping (or COMDAT) removed gets.
/// In DWARF: -1, or -2 in `.debug_ranges`/`.debug_loc` where -1 means "base
/// address" (as LLD does), so debuggers never place the code at address 0;
/// in `.debug_aranges` -1 with a zero length.
/// In `.eh_frame`: the FDE is left pointing at itself (field 0).
fn tombstone(
    graph: &LinkGraph,
    block: crate::graph::BlockId,
    edge: &crate::graph::Edge,
) -> Option<Vec<u8>> {
    let section = &graph.section(graph.block(block).section);
    let target_dead = matches!(graph.symbol(edge.target).def, SymbolDef::Defined { block, .. } if !graph.block(block).live);
    if !target_dead {
        return None;
    }
    let width = match edge.kind {
        EdgeKind::Pointer64 | EdgeKind::Delta64 | EdgeKind::Size64 | EdgeKind::DtpOff64 => 8,
        _ => 4,
    };
    if graph.is_noalloc(block) {
        if section.name == ".debug_aranges" && width == 8 {
            // An address range: the tombstone and a zero length, so the range
            // does not wrap around (lldb drops a CU's whole set for one that does).
            let mut bytes = u64::MAX.to_le_bytes().to_vec();
            bytes.extend_from_slice(&0u64.to_le_bytes());
            return Some(bytes);
        }
        let value: u64 = if section.name == ".debug_ranges" || section.name == ".debug_loc" {
            u64::MAX - 1
        } else {
            u64::MAX
        };
        return Some(value.to_le_bytes()[..width].to_vec());
    }
    (section.name == ".eh_frame").then(|| vec![0; width])
}

/// A thread-local symbol's offset in the unit's TLS block.
fn tls_offset(
    graph: &LinkGraph,
    symbol: crate::graph::SymbolId,
    context: &FixupContext<'_>,
) -> Option<u64> {
    let SymbolDef::Defined { block, offset } = graph.symbol(symbol).def else {
        return None;
    };
    let (tls, _) = context.tls?;
    Some(tls.offsets[block.index()]? + offset)
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
        SymbolDef::Outside(_) if edge.kind.is_pc_relative_32() || edge.kind.is_absolute_32() => {
            "; the symbol is in the host process, more than 2 GiB from the JIT'd code: \
             recompile with -fPIC so it is reached through the GOT"
                .into()
        }
        _ => String::new(),
    }
}
