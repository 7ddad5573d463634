//! `lantern link --dump-graph PHASE`: prints the link graph after a phase
//! of the pipeline (JITLink's `-debug-only=jitlink` dumps), for debugging
//! the linker itself.

use std::io::Write as _;

use clap::ValueEnum;
use lantern_core::link::{PassConfig, Plugin};

/// The pipeline phases after which the graph can be dumped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum DumpPhase {
    /// Built, merged and resolved, before dead-stripping.
    Build,
    /// After dead-stripping: unreachable blocks are not live.
    DeadStrip,
    /// After GOT/PLT lowering: GOT entries and stubs are blocks, requests are plain edges.
    Tables,
    /// After layout and allocation: blocks have their executor addresses.
    Layout,
    /// After GOT-load relaxation and stub bypassing, just before fixups.
    Relax,
    /// After fixups: content written to executor memory, not yet finalized.
    Fixup,
}

/// A plugin that prints the graph to stdout at the end of one phase's passes
/// (it is added after the command's other plugins).
pub(crate) struct DumpGraph(pub(crate) DumpPhase);

impl Plugin for DumpGraph {
    fn name(&self) -> &str {
        "dump-graph"
    }

    fn modify_pass_config(&self, config: &mut PassConfig) {
        let phase = self.0;
        let passes = match phase {
            DumpPhase::Build => &mut config.pre_prune,
            DumpPhase::DeadStrip => &mut config.prune,
            DumpPhase::Tables => &mut config.post_prune,
            DumpPhase::Layout => &mut config.post_allocation,
            DumpPhase::Relax => &mut config.pre_fixup,
            DumpPhase::Fixup => &mut config.post_fixup,
        };
        passes.push(Box::new(move |graph| {
            let name = phase.to_possible_value().map(|v| v.get_name().to_string());
            let dump = graph.dump();
            // A closed pipe (`| head`) must not fail the link.
            let _ = writeln!(
                std::io::stdout().lock(),
                "# link graph after {}\n{dump}",
                name.unwrap_or_default()
            );
            Ok(())
        }));
    }
}
