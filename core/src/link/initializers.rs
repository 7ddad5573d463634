//! Initializer and finalizer arrays, ordered as GNU ld orders them, collected
//! into [`Initializers`] for the executor.
//!
//! `.init_array.N` has priority N, `.ctors.N` priority 65535-N with its entries
//! reversed; prioritized entries come first (ascending), then unprioritized ones
//! in input order. Finalizers are laid out the same way and run backwards.

use crate::executor_types::{ExecutorAddr, Initializers};
use crate::graph::LinkGraph;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Array {
    Preinit,
    Init,
    Fini,
}

/// Which array a section feeds, its priority (None: unprioritized) and whether
/// its entries run in reverse (`.ctors`/`.dtors`).
fn classify(name: &str) -> Option<(Array, Option<u32>, bool)> {
    let table = [
        (".preinit_array", Array::Preinit, false),
        (".init_array", Array::Init, false),
        (".ctors", Array::Init, true),
        (".fini_array", Array::Fini, false),
        (".dtors", Array::Fini, true),
    ];
    for (prefix, array, legacy) in table {
        if name == prefix {
            return Some((array, None, legacy));
        }
        if let Some(rest) = name.strip_prefix(prefix).and_then(|r| r.strip_prefix('.')) {
            let n: u32 = rest.parse().ok()?;
            let priority = if legacy {
                65535u32.saturating_sub(n)
            } else {
                n
            };
            return Some((array, Some(priority), legacy));
        }
    }
    None
}

pub(crate) fn collect(graph: &LinkGraph) -> Initializers {
    // (array, priority or MAX for unprioritized, input order, entries)
    let mut groups: Vec<(Array, u64, usize, Vec<ExecutorAddr>)> = Vec::new();
    for (order, section_id) in graph.section_ids().enumerate() {
        let section = graph.section(section_id);
        let Some((array, priority, reversed)) = classify(&section.name) else {
            continue;
        };
        let mut entries = Vec::new();
        for &block_id in &section.blocks {
            let block = graph.block(block_id);
            if !block.live {
                continue;
            }
            let bytes = graph.block_bytes(block_id);
            for slot in 0..block.size / 8 {
                let offset = slot * 8;
                let value = match block.edges.iter().find(|e| e.offset == offset) {
                    Some(edge) => graph
                        .symbol_addr(edge.target)
                        .map(|a| a.wrapping_add(edge.addend as u64)),
                    None => bytes
                        .get(offset as usize..offset as usize + 8)
                        .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes"))),
                };
                // 0 and -1 are the .ctors/.dtors list markers, not functions.
                if let Some(addr) = value.filter(|&a| a != 0 && a != u64::MAX) {
                    entries.push(ExecutorAddr(addr));
                }
            }
        }
        if reversed {
            entries.reverse();
        }
        groups.push((array, priority.map_or(u64::MAX, u64::from), order, entries));
    }
    groups.sort_by_key(|&(_, priority, order, _)| (priority, order));
    let mut result = Initializers::default();
    for (array, _, _, entries) in groups {
        match array {
            Array::Preinit => result.preinit.extend(entries),
            Array::Init => result.init.extend(entries),
            Array::Fini => result.fini.extend(entries),
        }
    }
    // The fini array runs from its end to its start.
    result.fini.reverse();
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priorities_follow_gnu_ld() {
        assert!(matches!(
            classify(".init_array.00101"),
            Some((Array::Init, Some(101), false))
        ));
        assert!(matches!(
            classify(".ctors.65434"),
            Some((Array::Init, Some(101), true))
        ));
        assert!(matches!(
            classify(".fini_array"),
            Some((Array::Fini, None, false))
        ));
        assert!(classify(".init_arrayx").is_none());
        assert!(classify(".data").is_none());
    }
}
