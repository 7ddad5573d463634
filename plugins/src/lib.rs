//! Plugins for the Lantern JIT linker: passes that extend the core pipeline.
//!
//! A plugin implements [`lantern_core::link::Plugin`] and adds passes to the
//! phases it cares about; the core knows nothing of what they do. The debug
//! object, eh-frame registration, perf and symbolizer plugins will live here.

pub mod link_stats;

pub use link_stats::LinkStats;
