//! DWARF for the TLS image: the unit's thread-local variables and the types
//! they need, so lldb finds them.
//!
//! lldb evaluates `DW_OP_form_tls_address` only in modules its dynamic
//! loader loaded (it needs their link map to find the thread's block); the
//! JIT debug object is not one, the TLS image is. So the TLS image gets its
//! own small DWARF: every variable located by `DW_OP_form_tls_address`, with
//! what it depends on (types, the namespaces and classes around them), as
//! gimli's filtering converter selects them, and none of the code: no line
//! program, no addresses, no source files. The location is the same
//! expression, now resolved against the image's own block. gdb reads it too
//! and resolves it the same way.

use gimli::write::{self, ConvertResult, EndianVec, FilterUnitSection, Sections};
use gimli::{constants, AttributeValue, EndianSlice, LittleEndian};
use lantern_core::graph::{LinkGraph, NoAllocOutput};

type Reader<'a> = EndianSlice<'a, LittleEndian>;

/// The sections to add to the unit's TLS image (none if the unit has no
/// DWARF for its thread-local variables, or it cannot be converted).
pub(crate) fn sections(graph: &LinkGraph) -> Vec<NoAllocOutput> {
    match convert(graph) {
        Ok(sections) => sections,
        Err(e) => {
            log::info!("no DWARF for the TLS image: {e}");
            Vec::new()
        }
    }
}

fn convert(graph: &LinkGraph) -> ConvertResult<Vec<NoAllocOutput>> {
    let Some(dwarf) = crate::unit_dwarf::unit_dwarf(graph) else {
        return Ok(Vec::new());
    };
    let mut filter = FilterUnitSection::new(&dwarf)?;
    let mut any = false;
    while let Some(mut unit) = filter.read_unit()? {
        let encoding = unit.read_unit.encoding();
        let mut entry = unit.null_entry();
        while unit.read_entry(&mut entry)? {
            if entry.tag() == constants::DW_TAG_variable
                && entry
                    .attr_value(constants::DW_AT_location)
                    .is_some_and(|v| is_tls_location(&v, encoding))
            {
                unit.require_entry(entry.offset());
                any = true;
            }
        }
    }
    if !any {
        return Ok(Vec::new());
    }
    let mut out = write::Dwarf::new();
    let mut convert = out.convert_with_filter(filter)?;
    while let Some((mut unit, root)) = convert.read_unit()? {
        let root_id = unit.unit.root();
        copy_attributes(&mut unit, root_id, &root);
        let mut entry = root;
        while let Some(id) = unit.read_entry(&mut entry)? {
            if id.is_none() {
                continue;
            }
            let id = unit.add_entry(id, &entry);
            copy_attributes(&mut unit, id, &entry);
        }
    }
    let mut sections = Sections::new(EndianVec::new(LittleEndian));
    out.write(&mut sections)?;
    let mut outputs = Vec::new();
    sections.for_each(|id, data| -> Result<(), write::Error> {
        if !data.slice().is_empty() {
            outputs.push(NoAllocOutput {
                name: id.name().to_string(),
                bytes: data.slice().to_vec(),
            });
        }
        Ok(())
    })?;
    Ok(outputs)
}

fn is_tls_location(value: &AttributeValue<Reader<'_>>, encoding: gimli::Encoding) -> bool {
    super::tls_locations::tls_offset(value, encoding).is_some()
}

/// What the TLS image's DWARF leaves out: the code (addresses, line
/// programs, source files, call sites, frames) and other locations.
fn is_code_attribute(name: constants::DwAt) -> bool {
    matches!(
        name,
        constants::DW_AT_low_pc
            | constants::DW_AT_high_pc
            | constants::DW_AT_ranges
            | constants::DW_AT_entry_pc
            | constants::DW_AT_stmt_list
            | constants::DW_AT_macros
            | constants::DW_AT_macro_info
            | constants::DW_AT_GNU_macros
            | constants::DW_AT_decl_file
            | constants::DW_AT_call_file
            | constants::DW_AT_call_line
            | constants::DW_AT_call_column
            | constants::DW_AT_frame_base
            | constants::DW_AT_GNU_all_call_sites
            | constants::DW_AT_call_all_calls
    )
}

/// Copies the attributes of a kept DIE that describe data, not code; one
/// that cannot be converted is left out rather than failing the image.
fn copy_attributes<'a>(
    unit: &mut write::ConvertUnit<'_, Reader<'a>>,
    id: write::UnitEntryId,
    entry: &write::ConvertUnitEntry<'_, Reader<'a>>,
) {
    let encoding = entry.read_unit.encoding();
    for attr in entry.attrs() {
        if is_code_attribute(attr.name()) {
            continue;
        }
        if attr.name() == constants::DW_AT_location && !is_tls_location(&attr.value(), encoding) {
            continue;
        }
        // Addresses are dropped above; none should be left to convert.
        if let Ok(value) = unit.convert_attribute_value(entry.read_unit, attr, &|_| None) {
            unit.unit.get_mut(id).set(attr.name(), value);
        }
    }
}
