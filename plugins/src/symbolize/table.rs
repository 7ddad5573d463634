//! A unit's symbolizer table: what a lookup needs, prepared in advance so
//! that a lookup neither parses nor allocates (the crash handler looks
//! addresses up from a signal handler).

use std::borrow::Cow;

use lantern_core::graph::{LinkGraph, MemProt, SymbolDef};

use super::dwarf;

pub(super) use lantern_crash_report::table::Found;
use lantern_crash_report::table::Table;

/// What a unit's addresses symbolize to (the shared [`Table`]), under the
/// key its dealloc action names.
#[derive(Debug, Default)]
pub(super) struct UnitTable {
    pub key: u64,
    pub table: Table,
}

impl std::ops::Deref for UnitTable {
    type Target = Table;

    fn deref(&self) -> &Table {
        &self.table
    }
}

impl UnitTable {
    /// The table a unit gets as soon as it is linked: its code and its
    /// symbols' names as the objects give them. [`UnitTable::full`] reads
    /// the DWARF later (it can be large).
    pub fn quick(graph: &LinkGraph, key: u64) -> UnitTable {
        let code = code_ranges(graph);
        let mut strings = Strings::default();
        let symbols = code_symbols(graph, &mut strings, &mut |name| Cow::Borrowed(name));
        UnitTable {
            key,
            table: Table {
                code,
                strings: strings.into_list(),
                symbols,
                segments: Vec::new(),
                frames: Vec::new(),
                complete: false,
            },
        }
    }

    /// The whole table: demangled symbols and the segments of the unit's
    /// relocated DWARF.
    pub fn full(graph: &LinkGraph, key: u64) -> UnitTable {
        let code = code_ranges(graph);
        let mut strings = Strings::default();
        let symbols = code_symbols(graph, &mut strings, &mut |name| {
            addr2line::demangle_auto(Cow::Borrowed(name), None)
        });
        let (mut segments, mut frames) = (Vec::new(), Vec::new());
        if let Some(dwarf) = crate::unit_dwarf::unit_dwarf(graph) {
            dwarf::segments(&dwarf, &code, &mut strings, &mut frames, &mut segments);
        }
        UnitTable {
            key,
            table: Table {
                code,
                strings: strings.into_list(),
                symbols,
                segments,
                frames,
                complete: true,
            },
        }
    }
}

/// The unit's executable blocks as (start, end), sorted.
fn code_ranges(graph: &LinkGraph) -> Vec<(u64, u64)> {
    crate::unit_code::code_ranges(graph)
}

/// The named symbols of the unit's code as (start, end, name), sorted: a
/// function's size, else up to the next symbol or the end of its block.
/// Of several at one address, a sized function wins, then a global.
fn code_symbols(
    graph: &LinkGraph,
    strings: &mut Strings,
    display: &mut dyn FnMut(&str) -> Cow<'_, str>,
) -> Vec<(u64, u64, u32)> {
    // (start, rank, size, block end, name)
    let mut found: Vec<(u64, u8, u64, u64, &str)> = Vec::new();
    for id in graph.symbol_ids() {
        let symbol = graph.symbol(id);
        let (Some(name), SymbolDef::Defined { block, .. }) = (&symbol.name, symbol.def) else {
            continue;
        };
        let b = graph.block(block);
        if !b.live
            || graph.is_noalloc(block)
            || graph.section(b.section).prot != MemProt::ReadExec
            || name.is_empty()
            || name.starts_with(".L")
        {
            continue;
        }
        let Some(start) = graph.symbol_addr(id) else {
            continue;
        };
        let rank = match (symbol.is_function && symbol.size > 0, symbol.scope) {
            (true, lantern_core::graph::Scope::Default) => 0,
            (true, _) => 1,
            (false, lantern_core::graph::Scope::Default) => 2,
            (false, _) => 3,
        };
        found.push((start, rank, symbol.size, b.addr.0 + b.size, name));
    }
    found.sort_unstable();
    found.dedup_by_key(|s| s.0);
    let mut symbols = Vec::with_capacity(found.len());
    strings.reserve(found.len());
    for (i, &(start, _, size, block_end, name)) in found.iter().enumerate() {
        let next = found.get(i + 1).map_or(u64::MAX, |s| s.0);
        let end = if size > 0 {
            start.saturating_add(size)
        } else {
            next.min(block_end)
        };
        if end > start {
            symbols.push((start, end, strings.intern(&display(name))));
        }
    }
    symbols
}

/// FNV-1a: interning hashes a few strings per range; the keys are the unit's
/// own names.
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// Interns strings into a unit's table: each string is allocated once, as
/// its key, and [`Strings::into_list`] moves the keys into id order.
#[derive(Default)]
pub(super) struct Strings {
    index: std::collections::HashMap<Box<str>, u32, std::hash::BuildHasherDefault<Fnv>>,
}

impl Strings {
    /// Room for `more` strings without growing the index while interning.
    pub fn reserve(&mut self, more: usize) {
        self.index.reserve(more);
    }

    pub fn intern(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let i = self.index.len() as u32;
        self.index.insert(s.into(), i);
        i
    }

    /// The strings, by id.
    pub fn into_list(self) -> Vec<Box<str>> {
        let mut list: Vec<Box<str>> = vec![Box::default(); self.index.len()];
        for (s, i) in self.index {
            list[i as usize] = s;
        }
        list
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(symbols: &[(u64, u64, &str)]) -> UnitTable {
        let mut strings = Strings::default();
        let symbols = symbols
            .iter()
            .map(|&(s, e, n)| (s, e, strings.intern(n)))
            .collect();
        UnitTable {
            key: 1,
            table: Table {
                code: vec![(0x1000, 0x2000)],
                strings: strings.into_list(),
                symbols,
                segments: Vec::new(),
                frames: Vec::new(),
                complete: true,
            },
        }
    }

    #[test]
    fn addresses_without_dwarf_are_named_by_their_symbol() {
        let t = table(&[(0x1000, 0x1010, "sized"), (0x1020, 0x1100, "label")]);
        let mut names = Vec::new();
        for addr in [0x1004, 0x1018, 0x1050, 0x3000] {
            let found = t.lookup(addr, &mut |f| {
                names.push((addr, f.function.to_string(), f.file.is_none()))
            });
            assert_eq!(matches!(found, Found::NotHere), addr == 0x3000);
        }
        assert_eq!(
            names,
            [
                (0x1004, "sized".to_string(), true),
                (0x1018, "??".to_string(), true),
                (0x1050, "label".to_string(), true)
            ]
        );
    }

    #[test]
    fn an_incomplete_table_says_so_outside_its_segments() {
        let mut t = table(&[(0x1000, 0x1010, "f")]);
        t.table.complete = false;
        assert!(matches!(t.lookup(0x1004, &mut |_| {}), Found::Pending));
        assert!(matches!(t.lookup(0x5000, &mut |_| {}), Found::NotHere));
    }
}
