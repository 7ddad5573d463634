//! `.eh_frame` checking: the check the registration plugin runs on a unit's
//! fixed-up section before any unwinder sees it.
//!
//! Input: the section's address (8 bytes, little-endian), then its fixed-up
//! bytes, as in a linked program (fuzz/seed.sh takes both from executables
//! the compilers linked). The unit's code is one block covering
//! 0x400000..0x800000, where those executables' `.text` lies.

#![no_main]

use std::sync::Arc;

use lantern_core::graph::{
    Block, Content, ExecutorAddr, InputFile, LinkGraph, MemLifetime, MemProt, Section,
};
use lantern_plugins::eh_frame::{check, EH_FRAME};
use libfuzzer_sys::fuzz_target;

const CODE_START: u64 = 0x40_0000;
const CODE_SIZE: u64 = 0x40_0000;

/// A graph of one code block and one `.eh_frame` block holding `bytes` at `start`.
fn unit(start: u64, bytes: &[u8]) -> LinkGraph {
    let mut graph = LinkGraph::new();
    let file = graph.add_file(InputFile {
        name: "input.o".into(),
        data: Arc::new(Vec::new()),
    });
    for (name, prot, addr, content, size) in [
        (".text", MemProt::ReadExec, CODE_START, Content::Zero, CODE_SIZE),
        (
            EH_FRAME,
            MemProt::Read,
            start,
            Content::Owned(bytes.to_vec()),
            bytes.len() as u64,
        ),
    ] {
        let section = graph.add_section(Section {
            name: name.into(),
            prot,
            lifetime: MemLifetime::Standard,
            file,
            blocks: Vec::new(),
            keep: true,
            tls: false,
        });
        let block = graph.add_block(Block {
            section,
            content,
            size,
            align: 4,
            edges: Vec::new(),
            addr: ExecutorAddr(addr),
            live: true,
        });
        graph.section_mut(section).blocks.push(block);
    }
    graph
}

fuzz_target!(|data: &[u8]| {
    let Some((start, bytes)) = data.split_first_chunk::<8>() else {
        return;
    };
    // JIT memory lies in the lower half of the address space (user space).
    let start = u64::from_le_bytes(*start) & ((1 << 47) - 1);
    let graph = unit(start, bytes);
    let (at, copy) = lantern_plugins::eh_frame::unit_eh_frame(&graph)
        .expect("a block without edges fixes up")
        .expect("the unit has an .eh_frame");
    assert_eq!((at, &copy[..]), (start, bytes));
    let _ = check(&graph, start, bytes);
});
