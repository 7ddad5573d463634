//! Reading ELF: relocatable objects into link graphs, and static archives.

mod archive;
mod builder;

pub use archive::{Archive, ArchiveMember};
pub use builder::{
    is_debug_section, materialize_relocations, GraphBuilder, GraphBuilderOptions, STAB, STABSTR,
};
