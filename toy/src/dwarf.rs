//! DWARF for the compiled toy functions, written with gimli's writer into
//! the object Cranelift made: a compile unit for the toy file, a line
//! program mapping each function's code to toy lines and columns, and a
//! subprogram per function with its parameters and variables.
//!
//! Addresses and cross-section offsets are left as relocations, as a C
//! compiler leaves them in a `.o`: Lantern relocates DWARF like any other
//! section when it links the object.

use std::path::Path;

use gimli::constants::*;
use gimli::write::{
    Address, AttributeValue, DwarfUnit, EndianVec, Expression, LineProgram, LineString, Range,
    RangeList, RelocateWriter, Relocation, RelocationTarget, Sections,
};
use gimli::{Encoding, Format, LineEncoding, LittleEndian};
use object_cl::write::{Object, Relocation as ObjectRelocation, SectionId, SymbolId};
use object_cl::{RelocationEncoding, RelocationFlags, RelocationKind, SectionKind};

use crate::codegen::Compiled;
use crate::Error;

/// One DWARF section's bytes and the relocations it needs.
#[derive(Clone)]
struct Section {
    bytes: EndianVec<LittleEndian>,
    relocations: Vec<Relocation>,
}

impl RelocateWriter for Section {
    type Writer = EndianVec<LittleEndian>;

    fn writer(&self) -> &Self::Writer {
        &self.bytes
    }

    fn writer_mut(&mut self) -> &mut Self::Writer {
        &mut self.bytes
    }

    fn relocate(&mut self, relocation: Relocation) {
        self.relocations.push(relocation);
    }
}

fn dwarf_error(e: gimli::write::Error) -> Error {
    Error::Backend(format!("writing DWARF: {e}"))
}

/// Adds the DWARF sections to the object. `source` is the toy file's path
/// as debuggers should show it (absolute, so they find the file from any
/// directory).
pub fn write(compiled: &mut Compiled, source: &Path) -> Result<(), Error> {
    let encoding = Encoding {
        format: Format::Dwarf32,
        version: 5,
        address_size: 8,
    };
    let mut dwarf = DwarfUnit::new(encoding);
    let dir = source
        .parent()
        .map(|d| d.display().to_string())
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| ".".into());
    let file_name = source
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .ok_or_else(|| Error::Backend(format!("{}: no file name", source.display())))?;

    let working_dir = LineString::new(dir.as_bytes(), encoding, &mut dwarf.line_strings);
    let file_string = LineString::new(file_name.as_bytes(), encoding, &mut dwarf.line_strings);
    let mut lines = LineProgram::new(
        encoding,
        LineEncoding::default(),
        working_dir,
        None,
        file_string.clone(),
        None,
    );
    let dir_id = lines.default_directory();
    let file = lines.add_file(file_string, dir_id, None);

    // Symbol `i` of the relocations is function `i`'s first byte.
    let functions = &compiled.functions;
    for (i, f) in functions.iter().enumerate() {
        lines.begin_sequence(Some(Address::Symbol {
            symbol: i,
            addend: 0,
        }));
        let mut past_prologue = false;
        for &(offset, pos) in &f.rows {
            let row = lines.row();
            row.address_offset = offset;
            row.file = file;
            row.line = u64::from(pos.line);
            row.column = u64::from(pos.column);
            row.is_statement = true;
            // The first row past the `fn` line is where the body starts:
            // debuggers put a breakpoint on the function there.
            row.prologue_end = !past_prologue && pos != f.pos;
            past_prologue |= row.prologue_end;
            lines.generate_row();
        }
        lines.end_sequence(f.size);
    }
    dwarf.unit.line_program = lines;

    let ranges = RangeList(
        functions
            .iter()
            .enumerate()
            .map(|(i, f)| Range::StartLength {
                begin: Address::Symbol {
                    symbol: i,
                    addend: 0,
                },
                length: f.size,
            })
            .collect(),
    );
    let ranges = dwarf.unit.ranges.add(ranges);
    let root = dwarf.unit.root();
    let cu = dwarf.unit.get_mut(root);
    cu.set(
        DW_AT_producer,
        AttributeValue::String(
            format!("lantern-toy {} (Cranelift)", env!("CARGO_PKG_VERSION")).into_bytes(),
        ),
    );
    // Debuggers have no toy language: C's rules fit (integers, calls), so
    // `print a * b` works at a toy breakpoint.
    cu.set(DW_AT_language, AttributeValue::Language(DW_LANG_C99));
    cu.set(
        DW_AT_name,
        AttributeValue::String(source.display().to_string().into_bytes()),
    );
    cu.set(DW_AT_comp_dir, AttributeValue::String(dir.into_bytes()));
    cu.set(DW_AT_low_pc, AttributeValue::Address(Address::Constant(0)));
    cu.set(DW_AT_ranges, AttributeValue::RangeListRef(ranges));

    let int = dwarf.unit.add(root, DW_TAG_base_type);
    let entry = dwarf.unit.get_mut(int);
    entry.set(DW_AT_name, AttributeValue::String(b"int".to_vec()));
    entry.set(DW_AT_encoding, AttributeValue::Encoding(DW_ATE_signed));
    entry.set(DW_AT_byte_size, AttributeValue::Udata(8));

    for (i, f) in functions.iter().enumerate() {
        let sub = dwarf.unit.add(root, DW_TAG_subprogram);
        let entry = dwarf.unit.get_mut(sub);
        entry.set(
            DW_AT_name,
            AttributeValue::String(f.name.clone().into_bytes()),
        );
        entry.set(DW_AT_external, AttributeValue::Flag(true));
        entry.set(DW_AT_decl_file, AttributeValue::FileIndex(Some(file)));
        entry.set(
            DW_AT_decl_line,
            AttributeValue::Udata(u64::from(f.pos.line)),
        );
        entry.set(
            DW_AT_low_pc,
            AttributeValue::Address(Address::Symbol {
                symbol: i,
                addend: 0,
            }),
        );
        entry.set(DW_AT_high_pc, AttributeValue::Udata(f.size));
        if f.returns_value {
            entry.set(DW_AT_type, AttributeValue::UnitRef(int));
        }
        // Variables are found from the canonical frame address, which the
        // function's `.eh_frame` entry defines at every instruction.
        let mut frame_base = Expression::new();
        frame_base.op(DW_OP_call_frame_cfa);
        entry.set(DW_AT_frame_base, AttributeValue::Exprloc(frame_base));
        for var in &f.vars {
            let tag = if var.is_param {
                DW_TAG_formal_parameter
            } else {
                DW_TAG_variable
            };
            let child = dwarf.unit.add(sub, tag);
            let entry = dwarf.unit.get_mut(child);
            entry.set(
                DW_AT_name,
                AttributeValue::String(var.name.clone().into_bytes()),
            );
            entry.set(DW_AT_decl_file, AttributeValue::FileIndex(Some(file)));
            entry.set(
                DW_AT_decl_line,
                AttributeValue::Udata(u64::from(var.pos.line)),
            );
            entry.set(DW_AT_type, AttributeValue::UnitRef(int));
            let mut location = Expression::new();
            location.op_fbreg(var.cfa_offset);
            entry.set(DW_AT_location, AttributeValue::Exprloc(location));
        }
    }

    let mut sections = Sections::new(Section {
        bytes: EndianVec::new(LittleEndian),
        relocations: Vec::new(),
    });
    dwarf.write(&mut sections).map_err(dwarf_error)?;

    // Every non-empty DWARF section becomes an object section; relocations
    // against another DWARF section point at that section's symbol.
    let symbols: Vec<SymbolId> = functions
        .iter()
        .map(|f| compiled.product.function_symbol(f.id))
        .collect();
    let object = &mut compiled.product.object;
    let mut ids: Vec<(gimli::SectionId, SectionId)> = Vec::new();
    sections.for_each(|id, section| -> Result<(), Error> {
        if !section.bytes.slice().is_empty() {
            let sid = object.add_section(
                Vec::new(),
                id.name().as_bytes().to_vec(),
                SectionKind::Debug,
            );
            object.set_section_data(sid, section.bytes.slice().to_vec(), 1);
            ids.push((id, sid));
        }
        Ok(())
    })?;
    sections.for_each(|id, section| -> Result<(), Error> {
        let Some(&(_, sid)) = ids.iter().find(|(i, _)| *i == id) else {
            return Ok(());
        };
        for r in &section.relocations {
            let symbol = match r.target {
                RelocationTarget::Symbol(i) => *symbols.get(i).ok_or_else(|| {
                    Error::Backend(format!(
                        "DWARF refers to function #{i}, which does not exist"
                    ))
                })?,
                RelocationTarget::Section(target) => {
                    let (_, target) = ids.iter().find(|(i, _)| *i == target).ok_or_else(|| {
                        Error::Backend(format!(
                            "DWARF refers to the empty section {}",
                            target.name()
                        ))
                    })?;
                    section_symbol(object, *target)
                }
            };
            object
                .add_relocation(
                    sid,
                    ObjectRelocation {
                        offset: r.offset as u64,
                        symbol,
                        addend: r.addend,
                        flags: RelocationFlags::Generic {
                            kind: RelocationKind::Absolute,
                            encoding: RelocationEncoding::Generic,
                            size: r.size * 8,
                        },
                    },
                )
                .map_err(|e| Error::Backend(format!("DWARF relocation: {e}")))?;
        }
        Ok(())
    })
}

fn section_symbol(object: &mut Object<'static>, section: SectionId) -> SymbolId {
    object.section_symbol(section)
}
