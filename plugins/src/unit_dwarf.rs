//! A unit's relocated DWARF (its NoAlloc outputs) as a `gimli::Dwarf`, for
//! the plugins that read it after fixups.

use gimli::{EndianSlice, LittleEndian};
use lantern_core::graph::LinkGraph;

/// The DWARF of a fixed-up unit; sections it lacks read as empty.
pub(crate) fn unit_dwarf(graph: &LinkGraph) -> Option<gimli::Dwarf<EndianSlice<'_, LittleEndian>>> {
    let section = |name: &str| -> &[u8] {
        graph
            .noalloc_outputs
            .iter()
            .find(|o| o.name == name)
            .map_or(&[][..], |o| &o.bytes[..])
    };
    gimli::Dwarf::load(|id| -> Result<_, gimli::Error> {
        Ok(EndianSlice::new(section(id.name()), LittleEndian))
    })
    .ok()
}
