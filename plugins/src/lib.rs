//! Plugins for the Lantern JIT linker: passes that extend the core pipeline.
//!
//! A plugin implements [`lantern_core::link::Plugin`] and adds passes to the
//! phases it cares about; the core knows nothing of what they do.
//! - [`debug_object`]: builds each unit's debug object and registers it with
//!   gdb and lldb through [`gdb_jit`].
//! - [`link_stats`]: edge counts before and after relaxation.

pub mod debug_object;
pub mod gdb_jit;
pub mod link_stats;

pub use debug_object::DebugObjectPlugin;
pub use link_stats::LinkStats;
