//! eh-frame registration in a remote executor: each unit's `.eh_frame`,
//! packed and terminated as the in-process plugin does
//! (plugins/src/eh_frame.rs), is registered by a finalize action calling
//! the executor's `llvm_orc_registerEHFrameSectionWrapper` with the
//! section's address range (SPS `ExecutorAddrRange`), and deregistered by
//! the dealloc action: the same calls LLVM's controller makes, so it works
//! with lantern-executor and llvm-jitlink-executor alike.

use lantern_orc_wire::names;
use lantern_orc_wire::sps::to_bytes;
use lantern_orc_wire::types::AddrRange;

use super::RemoteExecutor;
use crate::error::{Error, Result};
use crate::graph::{BlockId, ExecutorAddr, LinkGraph, MemProt};
use crate::link::{PassConfig, Plugin};
use crate::memory::{AllocAction, WrapperCall};

const EH_FRAME: &str = ".eh_frame";

/// Registers each unit's `.eh_frame` with the remote executor's unwinder.
#[derive(Debug, Clone, Copy)]
pub struct RemoteEhFrameRegistration {
    register: u64,
    deregister: u64,
}

impl RemoteEhFrameRegistration {
    /// The plugin for `executor`, from its bootstrap symbols.
    pub fn new(executor: &RemoteExecutor) -> Result<Self> {
        Ok(RemoteEhFrameRegistration {
            register: executor.shared.conn.symbol(names::REGISTER_EH_FRAME)?,
            deregister: executor.shared.conn.symbol(names::DEREGISTER_EH_FRAME)?,
        })
    }
}

/// The unit's live `.eh_frame` blocks in address order.
fn blocks(graph: &LinkGraph) -> Vec<BlockId> {
    let mut blocks: Vec<BlockId> = graph
        .section_ids()
        .filter(|&s| graph.section(s).name == EH_FRAME)
        .flat_map(|s| graph.section(s).blocks.iter().copied())
        .filter(|&b| graph.block(b).live)
        .collect();
    blocks.sort_by_key(|&b| graph.block(b).addr);
    blocks
}

/// Packs the blocks to 4-byte alignment (no zero padding may read as an
/// early terminator) and appends the 4-byte terminator.
fn add_terminator(graph: &mut LinkGraph) -> Result<()> {
    let blocks = blocks(graph);
    let Some(&first) = blocks.first() else {
        return Ok(());
    };
    for &b in &blocks {
        if !graph.block(b).size.is_multiple_of(4) {
            let (file, section) = graph.block_origin(b);
            return Err(Error::malformed(
                &file,
                format!(
                    "section {section}: size {:#x} is not a multiple of 4",
                    graph.block(b).size
                ),
            ));
        }
        graph.block_mut(b).align = 4;
    }
    let file = graph.section(graph.block(first).section).file;
    let section = graph.create_section(EH_FRAME, MemProt::Read, file);
    graph.section_mut(section).keep = true;
    let terminator = graph.create_content_block(section, vec![0; 4], 4);
    graph.block_mut(terminator).live = true;
    Ok(())
}

impl Plugin for RemoteEhFrameRegistration {
    fn name(&self) -> &str {
        "remote-eh-frame-registration"
    }

    fn modify_pass_config(&self, config: &mut PassConfig) {
        config.post_prune.push(Box::new(add_terminator));
        let (register, deregister) = (self.register, self.deregister);
        config.post_fixup.push(Box::new(move |graph| {
            let blocks = blocks(graph);
            let (Some(&first), Some(&last)) = (blocks.first(), blocks.last()) else {
                return Ok(());
            };
            let start = graph.block(first).addr.0;
            let end = graph.block(last).addr.0 + graph.block(last).size;
            let arg = to_bytes(&AddrRange { start, end });
            graph.alloc_actions.push(AllocAction {
                finalize: Some(WrapperCall {
                    function: ExecutorAddr(register),
                    arg: arg.clone().into(),
                }),
                dealloc: Some(WrapperCall {
                    function: ExecutorAddr(deregister),
                    arg: arg.into(),
                }),
            });
            Ok(())
        }));
    }
}
