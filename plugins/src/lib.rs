//! Plugins for the Lantern JIT linker: passes that extend the core pipeline.
//!
//! A plugin implements [`lantern_core::link::Plugin`] and adds passes to the
//! phases it cares about; the core knows nothing of what they do.
//! - [`debug_object`]: builds each unit's debug object and registers it with
//!   gdb and lldb through [`gdb_jit`].
//! - [`symbolize`]: address -> function, inlined frames, file:line:column.
//! - [`crash`]: the crash handler that prints symbolized backtraces.
//! - [`eh_frame`]: registers each unit's `.eh_frame` with the unwinder.
//! - [`jitdump`]: perf's jitdump file, for `perf inject --jit`.
//! - [`perf_map`]: names JIT'd functions for perf in `/tmp/perf-PID.map`.
//! - [`link_stats`]: edge counts before and after relaxation.

pub mod crash;
pub mod debug_object;
pub mod eh_frame;
pub mod fde_index;
pub mod gdb_jit;
pub mod jitdump;
pub mod link_stats;
pub mod perf_map;
pub mod symbolize;
mod unit_code;
mod unit_dwarf;

pub use debug_object::DebugObjectPlugin;
pub use eh_frame::EhFrameRegistration;
pub use jitdump::JitDump;
pub use link_stats::LinkStats;
pub use perf_map::{PerfMap, RemotePerfMap};
pub use symbolize::Symbolizer;
