//! Reading ELF: relocatable objects into link graphs, and static archives.

mod archive;
mod builder;
mod compressed;
mod relocations;

pub use archive::{Archive, ArchiveMember};
pub use builder::{is_debug_section, GraphBuilder, GraphBuilderOptions, STAB, STABSTR};
pub use relocations::materialize_relocations;
