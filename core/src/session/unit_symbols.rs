//! The named symbols of one linked unit, kept for lookups for as long as
//! the unit lives.

use super::ExportedSymbol;
use crate::graph::ExecutorAddr;

/// Set in an entry's name length for a function.
const FUNCTION: u32 = 1 << 31;
/// Set in an entry's name length for a symbol the unit put in the dylib.
const EXPORTED: u32 = 1 << 30;
/// The length bits of an entry's name length.
const LEN: u32 = EXPORTED - 1;
/// Bytes of an entry: address, size, name start, name length and flags.
const ENTRY: usize = 24;

/// One symbol, as read from the table.
struct Entry {
    addr: u64,
    size: u64,
    name_start: usize,
    /// The name's length, and the [`FUNCTION`] and [`EXPORTED`] flags.
    name_len: u32,
}

/// A linked unit's named symbols, sorted by name, in one allocation: a
/// 24-byte entry per symbol (little-endian address, size, name start, name
/// length with flags), then the names end to end. A hash map cost a runtime
/// that keeps many small units some 200 bytes a unit, and each separate
/// allocation 32 more.
#[derive(Debug, Default, Clone)]
pub struct UnitSymbols {
    bytes: Box<[u8]>,
}

/// A symbol for [`UnitSymbols::build`]: its name, what it is, and whether
/// the unit exported it.
pub(super) type NewSymbol<'a> = (&'a str, ExportedSymbol, bool);

impl UnitSymbols {
    /// The table of `symbols`, one per name (the first of a name is kept).
    /// Names are cut at 1 GiB (no symbol table holds a longer one).
    pub(super) fn build(mut symbols: Vec<NewSymbol>) -> Self {
        // Stable, and linear on names already in order (the session's).
        symbols.sort_by(|a, b| a.0.cmp(b.0));
        symbols.dedup_by(|later, first| later.0 == first.0);
        let names_len: usize = symbols.iter().map(|s| s.0.len().min(LEN as usize)).sum();
        let entries_len = symbols.len() * ENTRY;
        let mut bytes = Vec::with_capacity(entries_len + names_len);
        let mut name_start = entries_len;
        for (name, symbol, exported) in &symbols {
            let len = name.len().min(LEN as usize);
            let mut flags = len as u32;
            if symbol.is_function {
                flags |= FUNCTION;
            }
            if *exported {
                flags |= EXPORTED;
            }
            bytes.extend_from_slice(&symbol.addr.0.to_le_bytes());
            bytes.extend_from_slice(&symbol.size.to_le_bytes());
            bytes.extend_from_slice(&(name_start as u32).to_le_bytes());
            bytes.extend_from_slice(&flags.to_le_bytes());
            name_start += len;
        }
        for (name, _, _) in &symbols {
            bytes.extend_from_slice(&name.as_bytes()[..name.len().min(LEN as usize)]);
        }
        UnitSymbols {
            bytes: bytes.into_boxed_slice(),
        }
    }

    fn entry(&self, i: usize) -> Entry {
        let e = &self.bytes[i * ENTRY..(i + 1) * ENTRY];
        let word = |at: usize| u64::from_le_bytes(e[at..at + 8].try_into().expect("8 bytes"));
        let half = |at: usize| u32::from_le_bytes(e[at..at + 4].try_into().expect("4 bytes"));
        Entry {
            addr: word(0),
            size: word(8),
            name_start: half(16) as usize,
            name_len: half(20),
        }
    }

    fn name_of(&self, entry: &Entry) -> &str {
        let name =
            &self.bytes[entry.name_start..entry.name_start + (entry.name_len & LEN) as usize];
        // Built from whole names; a name cut at 1 GiB may end mid-character.
        std::str::from_utf8(name).unwrap_or("")
    }

    fn symbol_of(entry: &Entry) -> ExportedSymbol {
        ExportedSymbol {
            addr: ExecutorAddr(entry.addr),
            is_function: entry.name_len & FUNCTION != 0,
            size: entry.size,
        }
    }

    pub fn get(&self, name: &str) -> Option<ExportedSymbol> {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            let entry = self.entry(mid);
            match self.name_of(&entry).cmp(name) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(Self::symbol_of(&entry)),
            }
        }
        None
    }

    pub fn contains_key(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Every symbol, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, ExportedSymbol)> {
        (0..self.len()).map(|i| {
            let entry = self.entry(i);
            (self.name_of(&entry), Self::symbol_of(&entry))
        })
    }

    /// The names the unit put in the dylib.
    pub fn exported(&self) -> impl Iterator<Item = &str> {
        (0..self.len())
            .map(|i| self.entry(i))
            .filter(|e| e.name_len & EXPORTED != 0)
            .map(|e| self.name_of(&e))
    }

    pub fn len(&self) -> usize {
        // The first entry's name starts where the entries end.
        if self.bytes.is_empty() {
            0
        } else {
            self.entry(0).name_start / ENTRY
        }
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn symbol(addr: u64, is_function: bool) -> ExportedSymbol {
        ExportedSymbol {
            addr: ExecutorAddr(addr),
            is_function,
            size: addr / 2,
        }
    }

    #[test]
    fn finds_each_name_with_its_flags() {
        let table = UnitSymbols::build(vec![
            ("zeta", symbol(0x30, true), true),
            ("alpha", symbol(0x10, false), false),
            ("mid", symbol(0x20, true), false),
            ("alpha", symbol(0x99, true), true),
        ]);
        assert_eq!(table.len(), 3);
        let alpha = table.get("alpha").unwrap();
        assert_eq!(
            (alpha.addr.0, alpha.is_function, alpha.size),
            (0x10, false, 8)
        );
        assert!(table.get("zeta").unwrap().is_function);
        assert!(table.get("nope").is_none());
        let names: Vec<&str> = table.iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["alpha", "mid", "zeta"]);
        assert_eq!(table.exported().collect::<Vec<_>>(), ["zeta"]);
    }
}
