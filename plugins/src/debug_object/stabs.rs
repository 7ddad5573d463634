//! Stabs in the debug object: tcc describes its code with `.stab` and
//! `.stabstr` instead of DWARF, and gdb reads stabs in ELF.
//!
//! The unit's `.stab` and `.stabstr` are each its objects' sections side by
//! side (laid out by name, relocated in controller memory like DWARF). An
//! entry's `n_strx` is an offset into its own object's strings, so each
//! object's first entry, its header, must tell the debugger where the next
//! object's strings start: `n_strx` 1, `n_desc` the number of entries that
//! follow, `n_value` the size of the object's strings. That is the header GNU
//! as writes and gdb's stabs reader (`processing_acc_compilation`) follows;
//! tcc leaves it zero. With every object's header filled in, a unit's stabs
//! are self-describing, so a merged object of several units simply
//! concatenates them.

use lantern_core::elf::{STAB, STABSTR};
use lantern_core::graph::{BlockId, FileId, LinkGraph, MemLifetime};

/// Bytes of one stab entry.
const ENTRY: u64 = 12;
/// `n_type` of the header entry.
const N_UNDF: u8 = 0;

/// The unit's `.stab` with every object's header filled in, or why the
/// stabs cannot be described (they are then left out of the debug object).
pub(super) fn with_headers(graph: &LinkGraph, stab: &[u8]) -> Result<Vec<u8>, String> {
    let blocks = |name: &str| -> Vec<(u64, u64, FileId, BlockId)> {
        let mut blocks: Vec<_> = graph
            .section_ids()
            .map(|id| graph.section(id))
            .filter(|s| s.lifetime == MemLifetime::NoAlloc && s.name == name)
            .flat_map(|s| s.blocks.iter().map(move |&b| (b, s.file)))
            .filter(|&(b, _)| graph.block(b).live)
            // NoAlloc blocks' addresses are their offsets in the output section.
            .map(|(b, file)| (graph.block(b).addr.0, graph.block(b).size, file, b))
            .collect();
        blocks.sort_by_key(|&(offset, ..)| offset);
        blocks
    };
    let entries = blocks(STAB);
    let strings = blocks(STABSTR);
    let strings_size: u64 = graph
        .noalloc_outputs
        .iter()
        .find(|o| o.name == STABSTR)
        .map_or(0, |o| o.bytes.len() as u64);
    if entries.len() != strings.len() {
        return Err(format!(
            "{} objects have {STAB} and {} have {STABSTR}",
            entries.len(),
            strings.len()
        ));
    }
    let mut out = stab.to_vec();
    let mut expected_offset = 0;
    for (index, (&(offset, size, file, block), &(str_offset, _, str_file, _))) in
        entries.iter().zip(&strings).enumerate()
    {
        let (name, _) = graph.block_origin(block);
        // In the same object order, entries with no gap between objects: gdb
        // adds up the headers' string sizes, and reads entries 12 bytes at
        // a time. (Strings may have padding: a header's size covers it.)
        if file != str_file || offset != expected_offset || (index == 0 && str_offset != 0) {
            return Err(format!(
                "{name}: its {STAB} and {STABSTR} are not laid out in the same order"
            ));
        }
        if size < ENTRY || size % ENTRY != 0 {
            return Err(format!(
                "{name}: {STAB} of {size} bytes is not a whole number of entries"
            ));
        }
        expected_offset = offset + size;
        let header = &mut out[offset as usize..(offset + ENTRY) as usize];
        if header[4] != N_UNDF {
            return Err(format!("{name}: {STAB} does not start with a header entry"));
        }
        let next = strings.get(index + 1).map_or(strings_size, |s| s.0);
        let own_strings = u32::try_from(next - str_offset)
            .map_err(|_| format!("{name}: {STABSTR} is larger than 4 GiB"))?;
        let count = u16::try_from(size / ENTRY - 1).unwrap_or(u16::MAX);
        header[0..4].copy_from_slice(&1u32.to_le_bytes());
        header[6..8].copy_from_slice(&count.to_le_bytes());
        header[8..12].copy_from_slice(&own_strings.to_le_bytes());
    }
    Ok(out)
}
