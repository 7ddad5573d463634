//! A unit's DWARF as the symbolizer's segments: address ranges over which
//! the chain of frames (inlined calls first, each with its file:line:column)
//! stays the same, built in one pass over each compilation unit's DIE tree
//! and line table instead of one lookup per address.
//!
//! Only what DWARF describes gets a segment: code inside a subprogram's
//! ranges, and code covered by a line table but by no subprogram (assembly
//! built with `-g`, whose frames the symbol table names). An address in
//! neither, such as a function without DWARF placed after one with it, gets
//! none, and the symbolizer names it from the symbol table instead of
//! stretching the previous function's last line over it.

use std::borrow::Cow;

use gimli::{AttributeValue, DwLang, EndianSlice, LittleEndian, UnitOffset};

pub(super) use lantern_crash_report::table::Segment;
use lantern_crash_report::table::{CompactFrame, NO_FILE, NO_NAME};

use super::table::Strings;

type Reader<'a> = EndianSlice<'a, LittleEndian>;
type Unit<'a> = gimli::Unit<Reader<'a>>;

/// Where one line-table row holds: `[start, end)`.
#[derive(Clone, Copy)]
struct LineRange {
    start: u64,
    end: u64,
    file: u32,
    line: u32,
    column: u32,
}

/// A function with code, or an inlined call in one.
struct Node {
    ranges: Vec<(u64, u64)>,
    name: u32,
    /// For an inlined call: where its caller called it.
    call: (u32, u32, u32),
    children: Vec<usize>,
    /// The children's ranges, sorted by start: (start, end, child).
    child_ranges: Vec<(u64, u64, usize)>,
}

/// Appends the segments of every compilation unit of `dwarf` that fall in
/// `code` (sorted `[start, end)` ranges) to `segments`, their frames to
/// `frames`, their strings to `strings`.
pub(super) fn segments(
    dwarf: &gimli::Dwarf<Reader<'_>>,
    code: &[(u64, u64)],
    strings: &mut Strings,
    frames: &mut Vec<CompactFrame>,
    segments: &mut Vec<Segment>,
) {
    let in_code = |addr: u64| {
        let i = code.partition_point(|&(start, _)| start <= addr);
        i > 0 && addr < code[i - 1].1
    };
    crate::unit_dwarf::each_unit(dwarf, |mut unit| {
        let mut files = FileNames::default();
        let (nodes, top) = functions(dwarf, &unit, strings, &mut files);
        // Last: the rows consume the line program (no copy of its header).
        let program = unit.line_program.take();
        let lines = line_ranges(dwarf, &unit, program, strings, &mut files);
        unit_segments(&lines, &nodes, &top, &in_code, frames, segments);
    });
    segments.sort_unstable_by_key(|s| s.start);
}

/// The line table's rows as ranges, sorted by start; rows outside the
/// unit's code (tombstoned sequences of discarded code) are left out later.
fn line_ranges<'a>(
    dwarf: &gimli::Dwarf<Reader<'a>>,
    unit: &Unit<'a>,
    program: Option<gimli::IncompleteLineProgram<Reader<'a>>>,
    strings: &mut Strings,
    files: &mut FileNames,
) -> Vec<LineRange> {
    let mut ranges: Vec<LineRange> = Vec::new();
    let Some(program) = program else {
        return ranges;
    };
    let mut rows = program.rows();
    // The row waiting for the next address: it holds up to there.
    let mut open: Option<LineRange> = None;
    while let Ok(Some((header, row))) = rows.next_row() {
        let addr = row.address();
        if let Some(mut last) = open.take() {
            if addr > last.start {
                last.end = addr;
                ranges.push(last);
            }
        }
        if row.end_sequence() {
            continue;
        }
        let file = files.get(dwarf, unit, header, row.file_index(), strings);
        open = Some(LineRange {
            start: addr,
            end: addr,
            file,
            line: row
                .line()
                .map_or(0, |l| l.get().min(u64::from(u32::MAX)) as u32),
            column: match row.column() {
                gimli::ColumnType::LeftEdge => 0,
                gimli::ColumnType::Column(c) => c.get().min(u64::from(u32::MAX)) as u32,
            },
        });
    }
    ranges.sort_by_key(|r| r.start);
    ranges
}

/// Interned paths of one unit's line-table files, by index.
#[derive(Default)]
struct FileNames {
    ids: Vec<Option<u32>>,
}

impl FileNames {
    fn get<'a>(
        &mut self,
        dwarf: &gimli::Dwarf<Reader<'a>>,
        unit: &Unit<'a>,
        header: &gimli::LineProgramHeader<Reader<'a>>,
        index: u64,
        strings: &mut Strings,
    ) -> u32 {
        let Ok(slot) = usize::try_from(index) else {
            return NO_FILE;
        };
        if slot >= self.ids.len() {
            if slot > 1 << 20 {
                return NO_FILE;
            }
            self.ids.resize(slot + 1, None);
        }
        if let Some(id) = self.ids[slot] {
            return id;
        }
        let id = header
            .file(index)
            .and_then(|file| file_path(dwarf, unit, header, file))
            .map_or(NO_FILE, |path| strings.intern(&path));
        self.ids[slot] = Some(id);
        id
    }
}

/// A file's path as addr2line renders it: the compilation directory, the
/// file's directory (unless it is entry 0, the compilation directory), the
/// name; an absolute part replaces what came before.
fn file_path<'a>(
    dwarf: &gimli::Dwarf<Reader<'a>>,
    unit: &Unit<'a>,
    header: &gimli::LineProgramHeader<Reader<'a>>,
    file: &gimli::FileEntry<Reader<'a>>,
) -> Option<String> {
    let mut path = String::new();
    if let Some(comp_dir) = &unit.comp_dir {
        path.push_str(&comp_dir.to_string_lossy());
    }
    if file.directory_index() != 0 {
        if let Some(directory) = file.directory(header) {
            let directory = dwarf.attr_string(unit, directory).ok()?;
            push_path(&mut path, &directory.to_string_lossy());
        }
    }
    let name = dwarf.attr_string(unit, file.path_name()).ok()?;
    push_path(&mut path, &name.to_string_lossy());
    Some(path)
}

fn push_path(path: &mut String, part: &str) {
    if part.starts_with('/') {
        *path = part.to_string();
    } else {
        if !path.is_empty() && !path.ends_with('/') {
            path.push('/');
        }
        path.push_str(part);
    }
}

/// The unit's functions with code and their inlined calls (`nodes`), and
/// the indices of the functions (`top`).
fn functions<'a>(
    dwarf: &gimli::Dwarf<Reader<'a>>,
    unit: &Unit<'a>,
    strings: &mut Strings,
    files: &mut FileNames,
) -> (Vec<Node>, Vec<usize>) {
    let mut nodes: Vec<Node> = Vec::new();
    let mut top: Vec<usize> = Vec::new();
    let header = unit.line_program.as_ref().map(|p| p.header());
    let mut language: Option<DwLang> = None;
    // Enclosing namespaces and types: (depth, name), for names without a
    // linkage name (Rust's `#[no_mangle]` functions, C++'s `extern "C"`).
    let mut scopes: Vec<(isize, String)> = Vec::new();
    // Enclosing functions and inlined calls: (depth, node).
    let mut enclosing: Vec<(isize, usize)> = Vec::new();
    let Ok(mut raw) = unit.entries_raw(None) else {
        return (nodes, top);
    };
    let mut entry = gimli::DebuggingInformationEntry::null();
    while !raw.is_empty() {
        let depth = raw.next_depth();
        let mut peek = raw.clone();
        let Ok(abbreviation) = peek.read_abbreviation() else {
            break;
        };
        let Some(abbreviation) = abbreviation else {
            // The end of a list of children.
            raw = peek;
            continue;
        };
        // Every entry ends the scopes and functions it is not inside of,
        // the ones skipped below too (a lexical block after an inlined call
        // is not inside it).
        while scopes.last().is_some_and(|s| s.0 >= depth) {
            scopes.pop();
        }
        while enclosing.last().is_some_and(|e| e.0 >= depth) {
            enclosing.pop();
        }
        // Most entries (variables, parameters, types, call sites) name no
        // function: their attributes are skipped, not parsed (on three C++
        // objects the tables took 42.0M instructions instead of 44.0M).
        if !names_a_scope(abbreviation.tag(), abbreviation.has_children()) {
            if peek.skip_attributes(abbreviation.attributes()).is_err() {
                break;
            }
            raw = peek;
            continue;
        }
        if raw.read_entry(&mut entry).is_err() {
            break;
        }
        let entry = &entry;
        match entry.tag() {
            gimli::DW_TAG_compile_unit | gimli::DW_TAG_partial_unit => {
                if let Some(AttributeValue::Language(lang)) =
                    entry.attr_value(gimli::DW_AT_language)
                {
                    language = Some(lang);
                }
            }
            gimli::DW_TAG_namespace
            | gimli::DW_TAG_module
            | gimli::DW_TAG_structure_type
            | gimli::DW_TAG_class_type
            | gimli::DW_TAG_union_type
            | gimli::DW_TAG_enumeration_type
                if entry.has_children() =>
            {
                let name = entry
                    .attr_value(gimli::DW_AT_name)
                    .and_then(|v| dwarf.attr_string(unit, v).ok())
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "(anonymous namespace)".into());
                scopes.push((depth, name));
            }
            gimli::DW_TAG_subprogram => {
                let ranges = ranges_of(dwarf, unit, entry);
                if ranges.is_empty() {
                    continue;
                }
                let name = match name_of(dwarf, unit, entry, language, 0) {
                    Some((name, true)) => strings.intern(&name),
                    Some((name, false)) if qualifies(language) && !scopes.is_empty() => {
                        let mut qualified = String::new();
                        for (_, scope) in &scopes {
                            qualified.push_str(scope);
                            qualified.push_str("::");
                        }
                        qualified.push_str(&name);
                        strings.intern(&qualified)
                    }
                    Some((name, false)) => strings.intern(&name),
                    None => NO_NAME,
                };
                nodes.push(Node {
                    ranges,
                    name,
                    call: (NO_FILE, 0, 0),
                    children: Vec::new(),
                    child_ranges: Vec::new(),
                });
                top.push(nodes.len() - 1);
                enclosing.push((depth, nodes.len() - 1));
            }
            gimli::DW_TAG_inlined_subroutine => {
                let Some(&(_, parent)) = enclosing.last() else {
                    continue;
                };
                let ranges = ranges_of(dwarf, unit, entry);
                if ranges.is_empty() {
                    continue;
                }
                let name = name_of(dwarf, unit, entry, language, 0)
                    .map_or(NO_NAME, |(name, _)| strings.intern(&name));
                let number = |at| match entry.attr_value(at) {
                    Some(AttributeValue::Udata(n)) => n,
                    Some(value) => value.udata_value().unwrap_or(0),
                    None => 0,
                };
                let call_file = match (header, entry.attr_value(gimli::DW_AT_call_file)) {
                    (Some(header), Some(AttributeValue::FileIndex(index))) => {
                        // DWARF 4 numbers files from 1: 0 is "no file".
                        if index == 0 && unit.header.version() < 5 {
                            NO_FILE
                        } else {
                            files.get(dwarf, unit, header, index, strings)
                        }
                    }
                    _ => NO_FILE,
                };
                let clamp = |n: u64| n.min(u64::from(u32::MAX)) as u32;
                nodes.push(Node {
                    ranges,
                    name,
                    call: (
                        call_file,
                        clamp(number(gimli::DW_AT_call_line)),
                        clamp(number(gimli::DW_AT_call_column)),
                    ),
                    children: Vec::new(),
                    child_ranges: Vec::new(),
                });
                let index = nodes.len() - 1;
                nodes[parent].children.push(index);
                enclosing.push((depth, index));
            }
            _ => {}
        }
    }
    // Each node's children by address, for the descent to an address.
    for index in 0..nodes.len() {
        let mut ranges: Vec<(u64, u64, usize)> = nodes[index]
            .children
            .iter()
            .flat_map(|&c| nodes[c].ranges.iter().map(move |&(s, e)| (s, e, c)))
            .collect();
        ranges.sort_unstable();
        nodes[index].child_ranges = ranges;
    }
    (nodes, top)
}

/// Whether `functions` reads an entry of this tag: the unit, the scopes
/// that qualify names, functions and inlined calls.
fn names_a_scope(tag: gimli::DwTag, has_children: bool) -> bool {
    match tag {
        gimli::DW_TAG_compile_unit
        | gimli::DW_TAG_partial_unit
        | gimli::DW_TAG_subprogram
        | gimli::DW_TAG_inlined_subroutine => true,
        gimli::DW_TAG_namespace
        | gimli::DW_TAG_module
        | gimli::DW_TAG_structure_type
        | gimli::DW_TAG_class_type
        | gimli::DW_TAG_union_type
        | gimli::DW_TAG_enumeration_type => has_children,
        _ => false,
    }
}

/// Whether names of `language` are qualified by their namespaces, types
/// and modules, as gdb shows them (`ns::f`, `crate::f`, `module::f`).
fn qualifies(language: Option<DwLang>) -> bool {
    demangles(language) || is_fortran(language)
}

/// Whether `language`'s linkage names demangle to what gdb shows (C++,
/// Rust); others (Fortran's `__module_MOD_f`) are shown by their plain name.
fn demangles(language: Option<DwLang>) -> bool {
    matches!(
        language,
        None | Some(
            gimli::DW_LANG_C_plus_plus
                | gimli::DW_LANG_C_plus_plus_03
                | gimli::DW_LANG_C_plus_plus_11
                | gimli::DW_LANG_C_plus_plus_14
                | gimli::DW_LANG_Rust
                | gimli::DW_LANG_C89
                | gimli::DW_LANG_C
                | gimli::DW_LANG_C99
                | gimli::DW_LANG_C11
        )
    )
}

fn is_fortran(language: Option<DwLang>) -> bool {
    matches!(
        language,
        Some(
            gimli::DW_LANG_Fortran77
                | gimli::DW_LANG_Fortran90
                | gimli::DW_LANG_Fortran95
                | gimli::DW_LANG_Fortran03
                | gimli::DW_LANG_Fortran08
        )
    )
}

/// The code ranges of a DIE, empty ones and tombstones (dead code) left out.
/// Read here rather than with `Dwarf::die_ranges`, whose `low_pc + size`
/// overflows on the tombstone (-1) of a dead-stripped function.
fn ranges_of<'a>(
    dwarf: &gimli::Dwarf<Reader<'a>>,
    unit: &Unit<'a>,
    entry: &gimli::DebuggingInformationEntry<Reader<'a>>,
) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    let keep = |begin: u64, end: u64| begin < end && begin != 0 && end < u64::MAX - 1;
    let (mut low, mut high, mut size) = (None, None, None);
    for attr in entry.attrs() {
        match attr.name() {
            gimli::DW_AT_low_pc => low = dwarf.attr_address(unit, attr.value()).ok().flatten(),
            gimli::DW_AT_high_pc => match attr.value() {
                AttributeValue::Udata(n) => size = Some(n),
                value => high = dwarf.attr_address(unit, value).ok().flatten(),
            },
            gimli::DW_AT_ranges => {
                if let Ok(Some(mut ranges)) = dwarf.attr_ranges(unit, attr.value()) {
                    while let Ok(Some(range)) = ranges.next() {
                        if keep(range.begin, range.end) {
                            out.push((range.begin, range.end));
                        }
                    }
                }
                return out;
            }
            _ => {}
        }
    }
    if let Some(begin) = low {
        let end = match size {
            Some(size) => begin.checked_add(size),
            None => high,
        };
        if let Some(end) = end.filter(|&end| keep(begin, end)) {
            out.push((begin, end));
        }
    }
    out
}

/// A DIE's function name, demangled: its linkage name (true) or its plain
/// name (false), else its abstract origin's or specification's.
fn name_of<'a>(
    dwarf: &gimli::Dwarf<Reader<'a>>,
    unit: &Unit<'a>,
    entry: &gimli::DebuggingInformationEntry<Reader<'a>>,
    language: Option<DwLang>,
    hops: u32,
) -> Option<(String, bool)> {
    let string = |at| {
        entry
            .attr_value(at)
            .and_then(|v| dwarf.attr_string(unit, v).ok())
            .map(|s| s.to_string_lossy().into_owned())
    };
    let plain = string(gimli::DW_AT_name);
    if !demangles(language) {
        if let Some(name) = plain {
            return Some((name, false));
        }
    }
    if let Some(linkage) =
        string(gimli::DW_AT_linkage_name).or_else(|| string(gimli::DW_AT_MIPS_linkage_name))
    {
        return Some((
            addr2line::demangle_auto(Cow::Owned(linkage), language).into_owned(),
            true,
        ));
    }
    if let Some(name) = plain {
        return Some((name, false));
    }
    if hops >= 16 {
        return None;
    }
    for at in [gimli::DW_AT_abstract_origin, gimli::DW_AT_specification] {
        if let Some(AttributeValue::UnitRef(offset)) = entry.attr_value(at) {
            let origin = unit.entry(UnitOffset(offset.0)).ok()?;
            return name_of(dwarf, unit, &origin, language, hops + 1);
        }
    }
    None
}

/// The unit's segments: between any two neighbouring boundaries (row and
/// range starts and ends) the chain is the same.
fn unit_segments(
    lines: &[LineRange],
    nodes: &[Node],
    top: &[usize],
    in_code: &dyn Fn(u64) -> bool,
    frames: &mut Vec<CompactFrame>,
    segments: &mut Vec<Segment>,
) {
    // The functions' ranges, sorted: (start, end, node).
    let mut functions: Vec<(u64, u64, usize)> = top
        .iter()
        .flat_map(|&n| nodes[n].ranges.iter().map(move |&(s, e)| (s, e, n)))
        .collect();
    functions.sort_unstable();
    let mut boundaries: Vec<u64> = Vec::with_capacity(2 * (lines.len() + functions.len()));
    for line in lines {
        boundaries.extend([line.start, line.end]);
    }
    for node in nodes {
        for &(start, end) in &node.ranges {
            boundaries.extend([start, end]);
        }
    }
    boundaries.sort_unstable();
    boundaries.dedup();
    let mut chain: Vec<CompactFrame> = Vec::new();
    let mut path: Vec<usize> = Vec::new();
    for pair in boundaries.windows(2) {
        let (start, end) = (pair[0], pair[1]);
        if !in_code(start) {
            continue;
        }
        let line = containing(lines, start, |l| (l.start, l.end));
        let function = containing(&functions, start, |f| (f.0, f.1)).map(|f| f.2);
        let (file, line_number, column) =
            line.map_or((NO_FILE, 0, 0), |l| (l.file, l.line, l.column));
        chain.clear();
        match function {
            Some(function) => {
                // From the function down to the innermost inlined call here.
                path.clear();
                path.push(function);
                while let Some(&(_, _, child)) = containing(
                    &nodes[*path.last().expect("not empty")].child_ranges,
                    start,
                    |r| (r.0, r.1),
                ) {
                    path.push(child);
                }
                // Innermost first: the line row's place, then each caller at
                // the call site of the frame inside it.
                let mut location = (file, line_number, column);
                for &node in path.iter().rev() {
                    chain.push(CompactFrame {
                        function: nodes[node].name,
                        file: location.0,
                        line: location.1,
                        column: location.2,
                    });
                    location = nodes[node].call;
                }
            }
            None if line.is_some() => chain.push(CompactFrame {
                function: NO_NAME,
                file,
                line: line_number,
                column,
            }),
            None => continue,
        }
        if let Some(last) = segments.last_mut() {
            if last.end == start
                && frames[last.first as usize..(last.first + last.count) as usize] == chain[..]
            {
                last.end = end;
                continue;
            }
        }
        segments.push(Segment {
            start,
            end,
            first: frames.len() as u32,
            count: chain.len() as u32,
        });
        frames.extend_from_slice(&chain);
    }
}

/// The item of `sorted` (by start) whose `[start, end)` holds `addr`.
fn containing<T>(sorted: &[T], addr: u64, range: impl Fn(&T) -> (u64, u64)) -> Option<&T> {
    let i = sorted.partition_point(|item| range(item).0 <= addr);
    let item = sorted.get(i.checked_sub(1)?)?;
    (addr < range(item).1).then_some(item)
}
