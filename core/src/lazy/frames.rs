//! Graphs of linker-made code (stubs, trampolines): one code block with
//! named entry points, and the `.eh_frame` that lets unwinders and
//! debuggers walk through it.

use std::sync::Arc;

use crate::arch::x86_64::EdgeKind;
use crate::graph::{BlockId, Edge, FileId, InputFile, LinkGraph, Linkage, MemProt, Scope};

/// A graph with one (empty) input file named `name`: what messages and
/// debuggers call the unit.
pub(super) fn new_graph(name: &str) -> (LinkGraph, FileId) {
    let mut graph = LinkGraph::new();
    let file = graph.add_file(InputFile {
        name: name.into(),
        data: Arc::new(Vec::<u8>::new()),
    });
    (graph, file)
}

/// A kept section holding one block of `bytes`.
pub(super) fn add_block(
    graph: &mut LinkGraph,
    file: FileId,
    section: &str,
    prot: MemProt,
    bytes: Vec<u8>,
    align: u64,
) -> BlockId {
    let section = graph.create_section(section, prot, file);
    graph.section_mut(section).keep = true;
    graph.create_content_block(section, bytes, align)
}

/// A named, unit-local function at `offset` of `block` (debuggers, crash
/// reports and `perf` name the code by it).
pub(super) fn name_code(graph: &mut LinkGraph, block: BlockId, offset: u64, size: u64, name: &str) {
    graph.add_defined_symbol(
        block,
        offset,
        Some(name.into()),
        size,
        Linkage::Strong,
        Scope::Hidden,
        true,
    );
}

/// Adds an `.eh_frame` with one CIE and one FDE per block of `code`,
/// each covering all of its block: code that does not touch the stack (a
/// `jmp *slot`, a `call` whose callee returns) has the CIE's initial frame
/// at every instruction (CFA = rsp + 8, return address at CFA - 8), so the
/// FDEs need no instructions.
pub(super) fn add_eh_frame(graph: &mut LinkGraph, file: FileId, code: &[BlockId]) {
    let mut bytes = Vec::with_capacity(24 + 24 * code.len());
    // CIE: length 20, id 0, version 1, "zR", code align 1, data align -8,
    // return address register 16, augmentation data: FDE pointers are
    // pc-relative sdata4; DW_CFA_def_cfa rsp+8; DW_CFA_offset r16 at cfa-8.
    bytes.extend_from_slice(&20u32.to_le_bytes());
    bytes.extend_from_slice(&0u32.to_le_bytes());
    bytes.extend_from_slice(&[1, b'z', b'R', 0, 1, 0x78, 16, 1, 0x1b]);
    bytes.extend_from_slice(&[0x0c, 7, 8, 0x90, 1, 0, 0]);
    debug_assert_eq!(bytes.len(), 24);
    let mut starts = Vec::with_capacity(code.len());
    for &block in code {
        let code_size = graph.block(block).size as u32;
        // FDE: length 20, CIE pointer (back to offset 0 from the field),
        // pc_begin (fixed up), pc_range, no augmentation data, padding.
        let at = bytes.len() as u32;
        bytes.extend_from_slice(&20u32.to_le_bytes());
        bytes.extend_from_slice(&(at + 4).to_le_bytes());
        bytes.extend_from_slice(&0u32.to_le_bytes());
        bytes.extend_from_slice(&code_size.to_le_bytes());
        bytes.extend_from_slice(&[0; 8]);
        let start = graph.add_anonymous_symbol(block, 0, u64::from(code_size), true);
        starts.push((u64::from(at) + 8, start));
    }
    let eh_frame = add_block(graph, file, ".eh_frame", MemProt::Read, bytes, 8);
    for (offset, start) in starts {
        graph.block_mut(eh_frame).edges.push(Edge {
            offset,
            kind: EdgeKind::Delta32,
            target: start,
            addend: 0,
        });
    }
}
