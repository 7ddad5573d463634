//! A unit's relocated DWARF (its NoAlloc outputs) as a `gimli::Dwarf`, for
//! the plugins that read it after fixups.

use gimli::{EndianSlice, LittleEndian};
use lantern_core::graph::LinkGraph;

/// The DWARF of a fixed-up unit; sections it lacks read as empty.
pub(crate) fn unit_dwarf(graph: &LinkGraph) -> Option<gimli::Dwarf<EndianSlice<'_, LittleEndian>>> {
    gimli::Dwarf::load(|id| -> Result<_, gimli::Error> {
        Ok(EndianSlice::new(
            output_bytes(graph, id.name()).unwrap_or_default(),
            LittleEndian,
        ))
    })
    .ok()
}

/// The relocated bytes of the unit's DWARF section `name`, if it has one.
pub(crate) fn output_bytes<'a>(graph: &'a LinkGraph, name: &str) -> Option<&'a [u8]> {
    graph
        .noalloc_outputs
        .iter()
        .find(|o| o.name == name)
        .map(|o| &o.bytes[..])
}

type Reader<'a> = EndianSlice<'a, LittleEndian>;

/// Calls `visit` with every line-table row of every unit (end-of-sequence
/// rows left out), in table order.
pub(crate) fn each_line_row<'a>(
    dwarf: &gimli::Dwarf<Reader<'a>>,
    mut visit: impl FnMut(
        &gimli::Unit<Reader<'a>>,
        &gimli::LineProgramHeader<Reader<'a>>,
        &gimli::LineRow,
    ),
) {
    let mut units = dwarf.units();
    while let Ok(Some(header)) = units.next() {
        let Ok(unit) = dwarf.unit(header) else {
            continue;
        };
        let Some(program) = unit.line_program.clone() else {
            continue;
        };
        let mut rows = program.rows();
        while let Ok(Some((header, row))) = rows.next_row() {
            if !row.end_sequence() {
                visit(&unit, header, row);
            }
        }
    }
}
