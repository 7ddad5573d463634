//! Thread-local variables, as debuggers can find them.
//!
//! gdb evaluates `DW_OP_form_tls_address` against the TLS block of the
//! objfile's shared object, and a JIT objfile has none: it would read the
//! executable's block and print a wrong value. A variable without a location
//! but with `DW_AT_external` and a type is instead looked up by name among
//! the minimal symbols, and the unit's TLS image (a loaded shared object)
//! names every thread-local variable of the unit: found there, gdb asks the
//! thread library for the right thread's copy.
//!
//! So in the debug object's copy of the DWARF, each thread-local variable
//! whose name the TLS image lists at the same offset loses its location: its
//! DIE gets a new abbreviation, the original's with `DW_AT_location` turned
//! into a vendor attribute (a block in the same bytes) and `DW_AT_external`
//! added when missing. The new abbreviations go in a copy of the unit's
//! table appended to `.debug_abbrev`. The DIE keeps its offset and size: a
//! new code longer than the old one takes its byte from the vendor block.

use std::collections::HashMap;

use gimli::{constants, AttributeValue, EndianSlice, LittleEndian, Operation};
use lantern_core::graph::LinkGraph;

/// Where a thread-local variable's location goes: a vendor attribute no
/// debugger reads, kept so the expression stays visible to dumpers.
pub(crate) const DW_AT_LANTERN_TLS_LOCATION: u16 = 0x3f80;

type Reader<'a> = EndianSlice<'a, LittleEndian>;

/// `.debug_info` and `.debug_abbrev` rewritten, or `None` when no variable
/// needs it (no TLS in the unit, or no DWARF for it).
pub(crate) struct TlsDwarf {
    pub info: Vec<u8>,
    pub abbrev: Vec<u8>,
}

/// One DIE to re-point at a new abbreviation (positions in `.debug_info`).
struct Candidate {
    /// Where the DIE (its abbreviation code) starts.
    code_pos: usize,
    code_len: usize,
    code: u64,
    /// The bytes of its `DW_AT_location` value.
    location: std::ops::Range<usize>,
    add_external: bool,
}

/// A unit with candidates: where its header keeps the abbreviation offset.
struct UnitFix {
    abbrev_offset_pos: usize,
    abbrev_offset: usize,
    candidates: Vec<Candidate>,
}

pub(crate) fn rewrite(graph: &LinkGraph) -> Option<TlsDwarf> {
    if graph.tls_symbols.is_empty() {
        return None;
    }
    // A name listed twice (statics of two files) cannot be told apart by name.
    let mut by_name: HashMap<&[u8], Option<u64>> = HashMap::new();
    for symbol in &graph.tls_symbols {
        by_name
            .entry(symbol.name.as_bytes())
            .and_modify(|seen| *seen = None)
            .or_insert(Some(symbol.offset));
    }
    let dwarf = crate::unit_dwarf::unit_dwarf(graph)?;
    let info_bytes = crate::unit_dwarf::output_bytes(graph, ".debug_info").unwrap_or_default();
    let mut fixes = Vec::new();
    let mut headers = dwarf.units();
    while let Ok(Some(header)) = headers.next() {
        if let Some(fix) = unit_fix(&dwarf, header, info_bytes, &by_name) {
            fixes.push(fix);
        }
    }
    if fixes.is_empty() {
        return None;
    }
    let mut info = info_bytes.to_vec();
    let mut abbrev = crate::unit_dwarf::output_bytes(graph, ".debug_abbrev")?.to_vec();
    for fix in fixes {
        apply(&mut info, &mut abbrev, &dwarf, &fix)?;
    }
    Some(TlsDwarf { info, abbrev })
}

fn unit_fix(
    dwarf: &gimli::Dwarf<Reader<'_>>,
    header: gimli::UnitHeader<Reader<'_>>,
    info: &[u8],
    by_name: &HashMap<&[u8], Option<u64>>,
) -> Option<UnitFix> {
    if header.format() != gimli::Format::Dwarf32 {
        return None;
    }
    let unit_start = header.offset().to_debug_info_offset(&header)?.0;
    let abbrev_offset_pos = unit_start + if header.version() >= 5 { 8 } else { 6 };
    let unit = dwarf.unit(header).ok()?;
    let mut candidates = Vec::new();
    let mut entries = unit.entries();
    while let Ok(Some(entry)) = entries.next_dfs() {
        if entry.tag() != constants::DW_TAG_variable {
            continue;
        }
        let location = entry.attr_value(constants::DW_AT_location);
        let Some(offset) = location.and_then(|l| tls_offset(&l, unit.encoding())) else {
            continue;
        };
        let specification = match entry.attr_value(constants::DW_AT_specification) {
            Some(AttributeValue::UnitRef(target)) => unit.entry(target).ok(),
            _ => None,
        };
        let declared = |name| {
            entry.attr_value(name).is_some()
                || specification
                    .as_ref()
                    .is_some_and(|s| s.attr_value(name).is_some())
        };
        // gdb looks a location-less variable up only with a type.
        if !declared(constants::DW_AT_type) {
            continue;
        }
        let Some(name) = linkage_name(dwarf, &unit, entry)
            .or_else(|| linkage_name(dwarf, &unit, specification.as_ref()?))
        else {
            continue;
        };
        if by_name.get(name) != Some(&Some(offset)) {
            continue;
        }
        let code_pos = unit_start + entry.offset().0;
        let mut end = code_pos;
        let code = read_uleb(info, &mut end)?;
        let location = location_range(&unit, entry.offset())?;
        candidates.push(Candidate {
            code_pos,
            code_len: end - code_pos,
            code,
            location: unit_start + location.start..unit_start + location.end,
            add_external: !declared(constants::DW_AT_external),
        });
    }
    (!candidates.is_empty()).then(|| UnitFix {
        abbrev_offset_pos,
        abbrev_offset: unit.header.debug_abbrev_offset().0,
        candidates,
    })
}

/// Where a DIE's `DW_AT_location` value lies in its unit.
fn location_range(
    unit: &gimli::Unit<Reader<'_>>,
    offset: gimli::UnitOffset,
) -> Option<std::ops::Range<usize>> {
    let mut raw = unit.entries_raw(Some(offset)).ok()?;
    let abbrev = raw.read_abbreviation().ok()??;
    for spec in abbrev.attributes() {
        let start = raw.next_offset().0;
        raw.read_attribute(*spec).ok()?;
        if spec.name() == constants::DW_AT_location {
            return Some(start..raw.next_offset().0);
        }
    }
    None
}

/// The offset of a variable located by `DW_OP_const* N; DW_OP_form_tls_address`
/// (or `DW_OP_GNU_push_tls_address`); the TLS image's DWARF keeps exactly these.
pub(super) fn tls_offset(
    location: &AttributeValue<Reader<'_>>,
    encoding: gimli::Encoding,
) -> Option<u64> {
    let AttributeValue::Exprloc(expr) = location else {
        return None;
    };
    let mut ops = expr.operations(encoding);
    let Ok(Some(Operation::UnsignedConstant { value })) = ops.next() else {
        return None;
    };
    let Ok(Some(Operation::TLS)) = ops.next() else {
        return None;
    };
    matches!(ops.next(), Ok(None)).then_some(value)
}

/// The name gdb looks the variable up by: the linkage name, else the name.
fn linkage_name<'a>(
    dwarf: &gimli::Dwarf<Reader<'a>>,
    unit: &gimli::Unit<Reader<'a>>,
    entry: &gimli::DebuggingInformationEntry<Reader<'a>>,
) -> Option<&'a [u8]> {
    [
        constants::DW_AT_linkage_name,
        constants::DW_AT_MIPS_linkage_name,
        constants::DW_AT_name,
    ]
    .into_iter()
    .find_map(|name| {
        let value = entry.attr_value(name)?;
        dwarf.attr_string(unit, value).ok().map(|s| s.slice())
    })
}

/// Appends the unit's abbreviation table with the new entries, points the
/// unit at it and rewrites each candidate DIE in place.
fn apply(
    info: &mut [u8],
    abbrev: &mut Vec<u8>,
    dwarf: &gimli::Dwarf<Reader<'_>>,
    fix: &UnitFix,
) -> Option<()> {
    let original = dwarf
        .debug_abbrev
        .abbreviations(gimli::DebugAbbrevOffset(fix.abbrev_offset))
        .ok()?;
    let (table_end, mut used) = raw_table(abbrev, fix.abbrev_offset)?;
    let new_offset = u32::try_from(abbrev.len()).ok()?;
    let mut table = abbrev[fix.abbrev_offset..table_end].to_vec();
    let mut assigned: HashMap<(u64, bool), u64> = HashMap::new();
    let mut rewrites = Vec::new();
    for candidate in &fix.candidates {
        let key = (candidate.code, candidate.add_external);
        let code = match assigned.get(&key) {
            Some(&code) => code,
            None => {
                let code = free_code(&used, candidate.code_len);
                used.push(code);
                let old = original.get(candidate.code)?;
                write_uleb(&mut table, code);
                write_uleb(&mut table, old.tag().0.into());
                table.push(old.has_children() as u8);
                for spec in old.attributes() {
                    if spec.name() == constants::DW_AT_location {
                        if candidate.add_external {
                            write_uleb(&mut table, constants::DW_AT_external.0.into());
                            write_uleb(&mut table, constants::DW_FORM_flag_present.0.into());
                        }
                        write_uleb(&mut table, DW_AT_LANTERN_TLS_LOCATION.into());
                        write_uleb(&mut table, constants::DW_FORM_block1.0.into());
                        continue;
                    }
                    write_uleb(&mut table, spec.name().0.into());
                    write_uleb(&mut table, spec.form().0.into());
                    if spec.form() == constants::DW_FORM_implicit_const {
                        write_sleb(&mut table, spec.implicit_const_value()?);
                    }
                }
                table.extend_from_slice(&[0, 0]);
                assigned.insert(key, code);
                code
            }
        };
        rewrites.push(rewritten_die(info, candidate, code)?);
    }
    table.push(0);
    abbrev.extend_from_slice(&table);
    for (start, bytes) in rewrites {
        info.get_mut(start..start + bytes.len())?
            .copy_from_slice(&bytes);
    }
    info.get_mut(fix.abbrev_offset_pos..fix.abbrev_offset_pos + 4)?
        .copy_from_slice(&new_offset.to_le_bytes());
    Some(())
}

/// The candidate DIE's bytes from its code to the end of its location, with
/// the new code and the location as a `DW_FORM_block1` of the expression
/// (shortened by what a longer code takes).
fn rewritten_die(info: &[u8], candidate: &Candidate, code: u64) -> Option<(usize, Vec<u8>)> {
    let mut code_bytes = Vec::new();
    write_uleb(&mut code_bytes, code);
    if code_bytes.len() < candidate.code_len {
        code_bytes.resize(candidate.code_len, 0);
        write_padded_uleb(&mut code_bytes, code);
    }
    let grown = code_bytes.len() - candidate.code_len;
    let location = info.get(candidate.location.clone())?;
    // The block's length byte and contents fill what the location held.
    let block_len = location.len().checked_sub(1 + grown)?;
    let block_len_byte = u8::try_from(block_len).ok()?;
    let mut bytes = code_bytes;
    bytes.extend_from_slice(
        info.get(candidate.code_pos + candidate.code_len..candidate.location.start)?,
    );
    bytes.push(block_len_byte);
    bytes.extend_from_slice(&location[location.len() - block_len..]);
    Some((candidate.code_pos, bytes))
}

/// Where the table at `start` ends (its terminating zero) and the codes it uses.
fn raw_table(bytes: &[u8], start: usize) -> Option<(usize, Vec<u64>)> {
    let mut pos = start;
    let mut codes = Vec::new();
    loop {
        let code_start = pos;
        let code = read_uleb(bytes, &mut pos)?;
        if code == 0 {
            return Some((code_start, codes));
        }
        codes.push(code);
        read_uleb(bytes, &mut pos)?; // tag
        pos += 1; // children
        loop {
            let name = read_uleb(bytes, &mut pos)?;
            let form = read_uleb(bytes, &mut pos)?;
            if form == u64::from(constants::DW_FORM_implicit_const.0) {
                read_leb(bytes, &mut pos, gimli::leb128::read::signed)?;
            }
            if name == 0 && form == 0 {
                break;
            }
        }
    }
}

/// An unused code, in as few ULEB128 bytes as the DIE's code field if one is
/// free there, else the next code up.
fn free_code(used: &[u64], len: usize) -> u64 {
    let limit = 1u64.checked_shl(7 * len as u32).unwrap_or(u64::MAX);
    let next = used.iter().copied().max().unwrap_or(0) + 1;
    if next < limit {
        return next;
    }
    (1..limit.min(1 << 14))
        .find(|c| !used.contains(c))
        .unwrap_or(next)
}

/// A ULEB128 at `*pos` (gimli's reader), moving `*pos` past it.
fn read_uleb(bytes: &[u8], pos: &mut usize) -> Option<u64> {
    read_leb(bytes, pos, gimli::leb128::read::unsigned)
}

fn read_leb<'a, T>(
    bytes: &'a [u8],
    pos: &mut usize,
    read: impl FnOnce(&mut Reader<'a>) -> gimli::Result<T>,
) -> Option<T> {
    let mut reader = EndianSlice::new(bytes.get(*pos..)?, LittleEndian);
    let value = read(&mut reader).ok()?;
    *pos = bytes.len() - reader.len();
    Some(value)
}

// Writing into a Vec cannot fail.
fn write_uleb(out: &mut Vec<u8>, value: u64) {
    let _ = gimli::leb128::write::unsigned(out, value);
}

fn write_sleb(out: &mut Vec<u8>, value: i64) {
    let _ = gimli::leb128::write::signed(out, value);
}

/// ULEB128 in exactly `field.len()` bytes (continuation bits on all but the
/// last), so a code can change without moving the DIE.
fn write_padded_uleb(field: &mut [u8], value: u64) {
    let last = field.len() - 1;
    for (i, byte) in field.iter_mut().enumerate() {
        let part = ((value >> (7 * i)) & 0x7f) as u8;
        *byte = if i == last { part } else { part | 0x80 };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padded_uleb_reads_back() {
        for (value, len) in [(5u64, 1usize), (5, 2), (200, 2), (16000, 3)] {
            let mut field = vec![0u8; len];
            write_padded_uleb(&mut field, value);
            let mut pos = 0;
            assert_eq!(read_uleb(&field, &mut pos), Some(value));
            assert_eq!(pos, len);
        }
    }

    #[test]
    fn free_codes_fit_the_field_when_they_can() {
        assert_eq!(free_code(&[1, 2, 3], 1), 4);
        let full: Vec<u64> = (1..128).collect();
        assert_eq!(free_code(&full, 1), 128);
        assert_eq!(free_code(&full, 2), 128);
        let holes: Vec<u64> = (1..128).filter(|&c| c != 9).chain([300]).collect();
        assert_eq!(free_code(&holes, 1), 9);
    }

    #[test]
    fn a_longer_code_takes_its_byte_from_the_block() {
        // code 5, one attribute byte, then exprloc: length 10, const8u 0, tls.
        let mut info = vec![5u8, 0xaa, 10, 0x0e];
        info.extend_from_slice(&[0; 8]);
        info.push(0x9b);
        let candidate = Candidate {
            code_pos: 0,
            code_len: 1,
            code: 5,
            location: 2..13,
            add_external: false,
        };
        let (start, bytes) = rewritten_die(&info, &candidate, 200).unwrap();
        assert_eq!(start, 0);
        assert_eq!(bytes.len(), info.len());
        let mut pos = 0;
        assert_eq!(read_uleb(&bytes, &mut pos), Some(200));
        assert_eq!(bytes[pos], 0xaa);
        assert_eq!(usize::from(bytes[pos + 1]), bytes.len() - pos - 2);
    }
}
