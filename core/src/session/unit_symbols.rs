//! The named symbols of one linked unit, kept for lookups for as long as
//! the unit lives.

use std::collections::HashMap;

use super::ExportedSymbol;

/// A linked unit's named symbols, sorted by name: about 40 bytes and a name
/// each, where a hash map cost a runtime that keeps many small units some
/// 200 bytes a unit.
#[derive(Debug, Default, Clone)]
pub struct UnitSymbols {
    entries: Box<[(Box<str>, ExportedSymbol)]>,
}

impl UnitSymbols {
    pub(super) fn from_map(map: HashMap<String, ExportedSymbol>) -> Self {
        let mut entries: Vec<(Box<str>, ExportedSymbol)> = map
            .into_iter()
            .map(|(name, symbol)| (name.into_boxed_str(), symbol))
            .collect();
        entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        UnitSymbols {
            entries: entries.into_boxed_slice(),
        }
    }

    /// The position of `name` in [`UnitSymbols::iter`]'s order.
    pub(super) fn index_of(&self, name: &str) -> Option<usize> {
        self.entries.binary_search_by(|(n, _)| (**n).cmp(name)).ok()
    }

    /// The name at `index` (of [`UnitSymbols::index_of`]).
    pub(super) fn name_at(&self, index: usize) -> &str {
        &self.entries[index].0
    }

    pub fn get(&self, name: &str) -> Option<&ExportedSymbol> {
        self.index_of(name).map(|i| &self.entries[i].1)
    }

    pub fn contains_key(&self, name: &str) -> bool {
        self.index_of(name).is_some()
    }

    /// Every symbol, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &ExportedSymbol)> {
        self.entries.iter().map(|(n, s)| (&**n, s))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl std::ops::Index<&str> for UnitSymbols {
    type Output = ExportedSymbol;

    /// Panics if the unit defines no symbol `name`, as a map's index does.
    fn index(&self, name: &str) -> &ExportedSymbol {
        self.get(name)
            .unwrap_or_else(|| panic!("the unit defines no symbol `{name}`"))
    }
}
