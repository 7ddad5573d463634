//! Reading ELF: relocatable objects into link graphs, and static archives.

mod archive;
mod builder;
mod compressed;
mod relocations;

pub use archive::{Archive, ArchiveMember};
pub use builder::{is_debug_section, GraphBuilder, GraphBuilderOptions, STAB, STABSTR};
pub use relocations::materialize_relocations;

/// Names from an object file as text: `String::from_utf8_lossy` without its
/// byte-at-a-time scan for the common case, valid UTF-8 (std's validation
/// checks ASCII a word at a time); a link reads every section and symbol name.
pub(crate) fn lossy(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}
