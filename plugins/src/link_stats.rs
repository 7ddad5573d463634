//! Counts what a link did: edges by kind after GOT/PLT lowering and after
//! relaxation, so users see how many GOT loads were relaxed and stubs bypassed.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use lantern_core::graph::LinkGraph;
use lantern_core::link::{PassConfig, Plugin};

/// Edge counts of the last link, by kind name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EdgeCounts {
    /// After dead-stripping and GOT/PLT lowering.
    pub lowered: BTreeMap<&'static str, usize>,
    /// Just before fixups, after relaxation.
    pub final_: BTreeMap<&'static str, usize>,
    pub live_blocks: usize,
    pub dead_blocks: usize,
}

impl EdgeCounts {
    /// Edges whose kind changed between lowering and fixup (relaxed GOT loads,
    /// bypassed stubs), by final kind.
    pub fn relaxed(&self) -> usize {
        ["RelaxedMovToLea", "RelaxedCall", "RelaxedJmp"]
            .iter()
            .map(|k| self.final_.get(k).copied().unwrap_or(0))
            .sum()
    }

    pub fn stubs_bypassed(&self) -> usize {
        let before = self
            .lowered
            .get("BranchPCRel32ToStub")
            .copied()
            .unwrap_or(0);
        let after = self.final_.get("BranchPCRel32ToStub").copied().unwrap_or(0);
        before - after.min(before)
    }
}

/// The plugin; clone the handle to read the counts after linking.
#[derive(Debug, Clone, Default)]
pub struct LinkStats {
    counts: Arc<Mutex<EdgeCounts>>,
}

impl LinkStats {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn counts(&self) -> EdgeCounts {
        self.counts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

fn count(graph: &LinkGraph) -> BTreeMap<&'static str, usize> {
    let mut counts = BTreeMap::new();
    for block in graph.blocks().iter().filter(|b| b.live) {
        for edge in &block.edges {
            *counts.entry(edge.kind.name()).or_insert(0) += 1;
        }
    }
    counts
}

impl Plugin for LinkStats {
    fn name(&self) -> &str {
        "link-stats"
    }

    fn modify_pass_config(&self, config: &mut PassConfig) {
        let counts = self.counts.clone();
        config.post_prune.push(Box::new(move |graph| {
            let mut c = counts.lock().unwrap_or_else(|e| e.into_inner());
            c.lowered = count(graph);
            c.live_blocks = graph.blocks().iter().filter(|b| b.live).count();
            c.dead_blocks = graph.blocks().len() - c.live_blocks;
            Ok(())
        }));
        let counts = self.counts.clone();
        config.pre_fixup.push(Box::new(move |graph| {
            counts.lock().unwrap_or_else(|e| e.into_inner()).final_ = count(graph);
            Ok(())
        }));
    }
}
