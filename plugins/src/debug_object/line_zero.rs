//! Line-0 DWARF for Lantern's stubs and lazy trampolines, so that lldb's
//! `step` goes through them at a first call (docs/lazy.md, "Debugging").
//!
//! lldb-19 steps through a PLT-like stub by running to the code symbols
//! named as the stub's trampoline symbol; before a lazy entry's first call
//! no code symbol of that name exists, so lldb had no plan and stepped out
//! of the stub, over the call. Code whose line is 0 is different:
//! `ThreadPlanShouldStopHere` never stops in it and, when its line-0 row
//! does not cover the whole symbol, steps on through the row's range
//! instead of stepping out (`DefaultStepFromHereCallback`). So each stub's
//! `jmp *slot(%rip)` (6 bytes of its 8: the padding has no row) and each
//! trampoline's `call hop` and `jmp *%r11` (two rows) get line 0: lldb
//! steps from the stub into the trampoline, out of the hop (the link runs
//! at full speed meanwhile), through `jmp *%r11` and stops in the
//! implementation, past its prologue, as natively. No symbol is added, so
//! `break f` gets no location in a stub or trampoline. gdb decides on the
//! `.plt`/`.plt.sec` section names before it looks at lines.
//!
//! Stepping out of the hop needs its unwind rule, which lldb looks up by
//! the function's extent; the hop has no symbol (gdb's `step` runs to the
//! return address only of code with neither a name nor a line), and in a
//! merged object its FDE is in `.debug_frame`, where lldb does not look
//! for extents: without them lldb unwound by the frame pointer, out of the
//! caller, and the `step` ran on to the caller's caller. So the compile
//! unit has one `DW_TAG_subprogram` without a name per hop (gdb ignores
//! such subprograms; lldb takes its range). Its language is C: lldb makes
//! no function of a subprogram in a unit of a language it has no type
//! system for (`DW_LANG_Mips_Assembler`).

use lantern_core::graph::{LinkGraph, SymbolDef};
use lantern_core::lazy::{REENTRY_HOP_SECTION, REENTRY_SYMBOL, STUBS_SECTION, TRAMPOLINES_SECTION};

/// `.debug_abbrev`, `.debug_info` and `.debug_line` of one compile unit
/// whose line program gives line 0 to the unit's stubs and trampolines.
pub(super) struct LineZero {
    pub abbrev: Vec<u8>,
    pub info: Vec<u8>,
    pub line: Vec<u8>,
}

/// Where `.debug_info` holds offsets into the other two sections: the
/// header's abbreviation offset, and `DW_AT_stmt_list` after the
/// abbreviation code and the name.
pub(super) const INFO_ABBREV_OFFSET: u64 = 6;
pub(super) const INFO_STMT_LIST: u64 = 12 + NAME.len() as u64 + 1;

const DW_TAG_COMPILE_UNIT: u8 = 0x11;
const DW_TAG_SUBPROGRAM: u8 = 0x2e;
const DW_AT_NAME: u8 = 0x03;
const DW_AT_STMT_LIST: u8 = 0x10;
const DW_AT_LOW_PC: u8 = 0x11;
const DW_AT_HIGH_PC: u8 = 0x12;
const DW_AT_LANGUAGE: u8 = 0x13;
const DW_FORM_ADDR: u8 = 0x01;
const DW_FORM_DATA2: u8 = 0x05;
const DW_FORM_DATA8: u8 = 0x07;
const DW_FORM_STRING: u8 = 0x08;
const DW_FORM_SEC_OFFSET: u8 = 0x17;
const DW_LANG_C89: u16 = 0x0001;
const DW_LNS_COPY: u8 = 0x01;
const DW_LNS_ADVANCE_PC: u8 = 0x02;
const DW_LNS_ADVANCE_LINE: u8 = 0x03;
const DW_LNE_END_SEQUENCE: u8 = 0x01;
const DW_LNE_SET_ADDRESS: u8 = 0x02;

/// The name of the compile unit and of its one file.
const NAME: &str = "<lantern stubs>";

impl LineZero {
    /// The unit's DWARF, if it has stubs or trampolines and no DWARF of
    /// its own (the units `lantern_core::lazy` links never do).
    pub(super) fn of(graph: &LinkGraph) -> Option<LineZero> {
        if !graph.noalloc_outputs.is_empty() {
            return None;
        }
        let stub_prefix = "__lantern_stub.";
        let trampoline_prefix = format!("{REENTRY_SYMBOL}.");
        // (start, row lengths) of each sequence.
        let mut sequences: Vec<(u64, &[u64])> = Vec::new();
        for id in graph.symbol_ids() {
            let symbol = graph.symbol(id);
            let (Some(name), SymbolDef::Defined { block, .. }) = (&symbol.name, symbol.def) else {
                continue;
            };
            let section = &graph.section(graph.block(block).section).name;
            let rows: &[u64] = if section == STUBS_SECTION && name.starts_with(stub_prefix) {
                // `jmp *slot(%rip)`; the two `int3` after it have no row.
                &[6]
            } else if section == TRAMPOLINES_SECTION && name.starts_with(&trampoline_prefix) {
                // `call hop`, then `jmp *%r11`: two rows, neither covering
                // the whole symbol (lldb steps out of a function whose
                // only line-0 row covers all of it).
                &[5, 3]
            } else {
                continue;
            };
            if let Some(addr) = graph.symbol_addr(id) {
                sequences.push((addr, rows));
            }
        }
        if sequences.is_empty() {
            return None;
        }
        sequences.sort_unstable_by_key(|&(addr, _)| addr);
        // The hop from the trampolines to `__lantern_reentry` has neither a
        // symbol nor a line (gdb's `step` runs to the return address of
        // such code only), but lldb must unwind it when a `step` reaches
        // it (by its FDE, once it knows the function's extent, which in a
        // merged object's `.debug_frame` it does not look up): a
        // subprogram without a name, which gdb ignores.
        let hops: Vec<(u64, u64)> = graph
            .section_ids()
            .filter(|&id| graph.section(id).name == REENTRY_HOP_SECTION)
            .flat_map(|id| graph.section(id).blocks.iter().copied())
            .map(|b| (graph.block(b).addr.0, graph.block(b).size))
            .collect();
        let low = sequences
            .iter()
            .map(|&(addr, _)| addr)
            .chain(hops.iter().map(|&(addr, _)| addr))
            .min()
            .unwrap_or(0);
        let high = sequences
            .iter()
            .map(|&(addr, rows)| addr + rows.iter().sum::<u64>())
            .chain(hops.iter().map(|&(addr, size)| addr + size))
            .max()
            .unwrap_or(low);

        let mut abbrev = vec![1, DW_TAG_COMPILE_UNIT, 1];
        for (attribute, form) in [
            (DW_AT_NAME, DW_FORM_STRING),
            (DW_AT_STMT_LIST, DW_FORM_SEC_OFFSET),
            (DW_AT_LOW_PC, DW_FORM_ADDR),
            (DW_AT_HIGH_PC, DW_FORM_DATA8),
            (DW_AT_LANGUAGE, DW_FORM_DATA2),
        ] {
            abbrev.extend_from_slice(&[attribute, form]);
        }
        abbrev.extend_from_slice(&[0, 0]);
        abbrev.extend_from_slice(&[2, DW_TAG_SUBPROGRAM, 0]);
        abbrev.extend_from_slice(&[DW_AT_LOW_PC, DW_FORM_ADDR, DW_AT_HIGH_PC, DW_FORM_DATA8]);
        abbrev.extend_from_slice(&[0, 0, 0]);

        // DWARF 4 compile unit header, then the one DIE.
        let mut info = Vec::new();
        info.extend_from_slice(&0u32.to_le_bytes()); // unit_length, below
        info.extend_from_slice(&4u16.to_le_bytes());
        debug_assert_eq!(info.len() as u64, INFO_ABBREV_OFFSET);
        info.extend_from_slice(&0u32.to_le_bytes()); // debug_abbrev_offset
        info.push(8); // address_size
        info.push(1); // abbreviation code
        info.extend_from_slice(NAME.as_bytes());
        info.push(0);
        debug_assert_eq!(info.len() as u64, INFO_STMT_LIST);
        info.extend_from_slice(&0u32.to_le_bytes()); // stmt_list
        info.extend_from_slice(&low.to_le_bytes());
        info.extend_from_slice(&(high - low).to_le_bytes());
        info.extend_from_slice(&DW_LANG_C89.to_le_bytes());
        for &(addr, size) in &hops {
            info.push(2);
            info.extend_from_slice(&addr.to_le_bytes());
            info.extend_from_slice(&size.to_le_bytes());
        }
        info.push(0); // end of the unit's children
        let length = (info.len() - 4) as u32;
        info[..4].copy_from_slice(&length.to_le_bytes());

        // DWARF 4 line program header.
        let mut header = vec![
            1,    // minimum_instruction_length
            1,    // maximum_operations_per_instruction
            1,    // default_is_stmt
            0xfb, // line_base -5
            14,   // line_range
            13,   // opcode_base
        ];
        header.extend_from_slice(&[0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1]);
        header.push(0); // no include directories
        header.extend_from_slice(NAME.as_bytes());
        header.extend_from_slice(&[0, 0, 0, 0]); // NUL, dir 0, mtime 0, length 0
        header.push(0); // end of file names
        let mut program = Vec::new();
        for (addr, rows) in &sequences {
            program.extend_from_slice(&[0, 9, DW_LNE_SET_ADDRESS]);
            program.extend_from_slice(&addr.to_le_bytes());
            // Each sequence starts at line 1: -1 makes it 0.
            program.extend_from_slice(&[DW_LNS_ADVANCE_LINE, 0x7f]);
            for &length in *rows {
                program.push(DW_LNS_COPY);
                program.push(DW_LNS_ADVANCE_PC);
                uleb128(&mut program, length);
            }
            program.extend_from_slice(&[0, 1, DW_LNE_END_SEQUENCE]);
        }
        let mut line = Vec::new();
        let unit_length = 2 + 4 + header.len() + program.len();
        line.extend_from_slice(&(unit_length as u32).to_le_bytes());
        line.extend_from_slice(&4u16.to_le_bytes());
        line.extend_from_slice(&(header.len() as u32).to_le_bytes());
        line.extend_from_slice(&header);
        line.extend_from_slice(&program);
        Some(LineZero { abbrev, info, line })
    }
}

fn uleb128(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gimli::{EndianSlice, LittleEndian};
    use lantern_core::graph::{ExecutorAddr, InputFile, Linkage, MemProt, Scope};
    use lantern_core::lazy::REENTRY_HOP_SECTION;

    /// A stub at 0x1000 (8 bytes), two trampolines at 0x2000 and 0x2008,
    /// the hop at 0x2010.
    fn graph() -> LinkGraph {
        let mut graph = LinkGraph::new();
        let file = graph.add_file(InputFile {
            name: "<test>".into(),
            data: std::sync::Arc::new(Vec::<u8>::new()),
        });
        let mut block = |section: &str, addr: u64, size: usize, names: &[(&str, u64)]| {
            let section = graph.create_section(section, MemProt::ReadExec, file);
            let block = graph.create_content_block(section, vec![0xcc; size], 8);
            graph.block_mut(block).addr = ExecutorAddr(addr);
            graph.block_mut(block).live = true;
            for &(name, offset) in names {
                graph.add_defined_symbol(
                    block,
                    offset,
                    Some(name.into()),
                    8,
                    Linkage::Strong,
                    Scope::Hidden,
                    true,
                );
            }
        };
        block(STUBS_SECTION, 0x1000, 8, &[("__lantern_stub.f", 0)]);
        block(
            TRAMPOLINES_SECTION,
            0x2000,
            16,
            &[("__lantern_reentry.f", 0), ("__lantern_reentry.g", 8)],
        );
        block(REENTRY_HOP_SECTION, 0x2010, 8, &[]);
        graph
    }

    #[test]
    fn stubs_and_trampolines_get_line_zero_rows_and_the_hop_a_nameless_subprogram() {
        let dwarf = LineZero::of(&graph()).expect("stubs and trampolines");
        let section = |id: gimli::SectionId| -> Result<_, gimli::Error> {
            Ok(EndianSlice::new(
                match id {
                    gimli::SectionId::DebugAbbrev => &dwarf.abbrev[..],
                    gimli::SectionId::DebugInfo => &dwarf.info[..],
                    gimli::SectionId::DebugLine => &dwarf.line[..],
                    _ => &[],
                },
                LittleEndian,
            ))
        };
        let dwarf = gimli::Dwarf::load(section).unwrap();
        let header = dwarf.units().next().unwrap().expect("one unit");
        let unit = dwarf.unit(header).unwrap();
        // The unit spans the stub to the hop's end; one nameless subprogram.
        let mut entries = unit.entries();
        let cu = entries.next_dfs().unwrap().unwrap();
        assert_eq!(
            cu.attr_value(gimli::DW_AT_low_pc),
            Some(gimli::AttributeValue::Addr(0x1000))
        );
        assert_eq!(
            cu.attr_value(gimli::DW_AT_high_pc),
            Some(gimli::AttributeValue::Udata(0x2018 - 0x1000))
        );
        let hop = entries.next_dfs().unwrap().unwrap();
        assert_eq!(hop.tag(), gimli::DW_TAG_subprogram);
        assert!(hop.attr(gimli::DW_AT_name).is_none());
        assert_eq!(
            hop.attr_value(gimli::DW_AT_low_pc),
            Some(gimli::AttributeValue::Addr(0x2010))
        );
        assert!(entries.next_dfs().unwrap().is_none());
        // Rows: (address, line, end of sequence).
        let program = unit.line_program.clone().expect("a line program");
        let mut rows = program.rows();
        let mut got = Vec::new();
        while let Some((_, row)) = rows.next_row().unwrap() {
            got.push((
                row.address(),
                row.line().map_or(0, |l| l.get()),
                row.end_sequence(),
            ));
        }
        assert_eq!(
            got,
            [
                (0x1000, 0, false),
                (0x1006, 0, true),
                (0x2000, 0, false),
                (0x2005, 0, false),
                (0x2008, 0, true),
                (0x2008, 0, false),
                (0x200d, 0, false),
                (0x2010, 0, true),
            ]
        );
    }

    #[test]
    fn units_without_stubs_or_trampolines_get_none() {
        let mut graph = LinkGraph::new();
        let file = graph.add_file(InputFile {
            name: "<test>".into(),
            data: std::sync::Arc::new(Vec::<u8>::new()),
        });
        let section = graph.create_section(".text", MemProt::ReadExec, file);
        let block = graph.create_content_block(section, vec![0xc3], 1);
        graph.block_mut(block).live = true;
        graph.add_defined_symbol(
            block,
            0,
            Some("f".into()),
            1,
            Linkage::Strong,
            Scope::Default,
            true,
        );
        assert!(LineZero::of(&graph).is_none());
    }
}
