//! x86-64: edge kinds, the ELF relocation table, fixup application and the
//! GOT/PLT table managers.

mod fixup;
mod relocs;
pub mod tables;

pub use crate::graph::EdgeKind;
pub use fixup::{apply_fixup, FixupError};
pub use relocs::{edge_kind_for_relocation, relocation_name, RelocMapping};
pub use tables::TLSDESC_RESOLVER_SYMBOL;
