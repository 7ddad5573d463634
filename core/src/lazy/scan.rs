//! What an object defines and needs, read from its symbol table without
//! building a graph: which lazy unit provides a name, and how `lantern run
//! --lazy` splits a program into eager and lazy units.

use object::{Object, ObjectComdat, ObjectSection, ObjectSymbol, SymbolFlags, SymbolKind};

use crate::error::{Error, Result};

/// A global definition of an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Definition {
    pub name: String,
    /// `STT_FUNC` (or `STT_GNU_IFUNC`): may be called through a lazy entry.
    pub is_function: bool,
    pub weak: bool,
    /// Hidden or internal visibility: only its own unit sees it.
    pub hidden: bool,
    /// In a COMDAT group: one of the identical copies of an inline or
    /// template function that a static link keeps one of.
    pub in_comdat: bool,
}

/// The global symbols of one object.
#[derive(Debug, Clone, Default)]
pub struct ObjectSymbols {
    pub defined: Vec<Definition>,
    /// Names it references and does not define.
    pub undefined: Vec<String>,
    /// Those of `undefined` referenced weakly only (they pull no archive member).
    pub weak_undefined: Vec<String>,
    /// It has constructors or destructors (`.init_array`, `.ctors`, ...),
    /// which must run in program order: it cannot be lazy.
    pub has_initializers: bool,
}

/// Reads the global symbols of the ELF object `bytes` (`name` for errors).
pub fn scan_object(name: &str, bytes: &[u8]) -> Result<ObjectSymbols> {
    let file = object::File::parse(bytes).map_err(|e| Error::Malformed {
        file: name.to_string(),
        reason: e.to_string(),
    })?;
    let comdat_sections: std::collections::HashSet<object::SectionIndex> = file
        .comdats()
        .flat_map(|c| c.sections().collect::<Vec<_>>())
        .collect();
    let mut symbols = ObjectSymbols::default();
    for sym in file.symbols() {
        if !sym.is_global() {
            continue;
        }
        let Ok(sym_name) = sym.name() else { continue };
        if sym_name.is_empty() {
            continue;
        }
        if sym.is_undefined() {
            if sym.is_weak() {
                symbols.weak_undefined.push(sym_name.to_string());
            }
            symbols.undefined.push(sym_name.to_string());
            continue;
        }
        symbols.defined.push(Definition {
            name: sym_name.to_string(),
            is_function: sym.kind() == SymbolKind::Text && !sym.is_common(),
            weak: sym.is_weak(),
            hidden: hidden(&sym),
            in_comdat: sym
                .section_index()
                .is_some_and(|s| comdat_sections.contains(&s)),
        });
    }
    symbols.has_initializers = file.sections().any(|s| {
        let Ok(n) = s.name() else { return false };
        s.size() > 0
            && [
                ".init_array",
                ".fini_array",
                ".preinit_array",
                ".ctors",
                ".dtors",
            ]
            .iter()
            .any(|p| n == *p || n.starts_with(&format!("{p}.")))
    });
    Ok(symbols)
}

/// Hidden or internal visibility (`object`'s `scope()` calls internal
/// symbols dynamic; Lua marks its internal functions so).
fn hidden<'a>(sym: &impl ObjectSymbol<'a>) -> bool {
    match sym.flags() {
        SymbolFlags::Elf { st_other, .. } => matches!(
            st_other.visibility(),
            object::elf::STV_HIDDEN | object::elf::STV_INTERNAL
        ),
        _ => false,
    }
}
