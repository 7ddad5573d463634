//! Dead-stripping: blocks not reachable from the roots are not allocated.

use foldhash::{HashSet, HashSetExt};

use crate::graph::{LinkGraph, MemProt, Scope, SymbolDef};

/// Which symbols are roots.
#[derive(Debug, Clone)]
pub enum DeadStrip {
    /// Every non-local symbol is a root (what a JIT session needs: anything may be looked up).
    KeepGlobals,
    /// Only these symbols (and initializer sections) are roots, like `--gc-sections`.
    FromRoots(Vec<String>),
    /// Keep everything.
    Off,
}

/// Marks live blocks. Blocks already marked dead by COMDAT deduplication stay dead.
pub fn dead_strip(graph: &mut LinkGraph, mode: &DeadStrip) {
    let discarded: HashSet<_> = graph.discarded_blocks.iter().copied().collect();
    let mut worklist = Vec::new();
    for block in graph.blocks_mut() {
        block.live = false;
    }
    for id in graph.block_ids() {
        let section = graph.section(graph.block(id).section);
        let keep = matches!(mode, DeadStrip::Off) || section.keep;
        if keep && !discarded.contains(&id) {
            worklist.push(id);
        }
    }
    let root_names: HashSet<&str> = match mode {
        DeadStrip::FromRoots(names) => names.iter().map(String::as_str).collect(),
        _ => HashSet::new(),
    };
    for symbol in graph.symbols() {
        let SymbolDef::Defined { block, .. } = symbol.def else {
            continue;
        };
        let is_root = match mode {
            DeadStrip::KeepGlobals => symbol.scope != Scope::Local,
            DeadStrip::FromRoots(_) => symbol
                .name
                .as_deref()
                .is_some_and(|n| root_names.contains(n)),
            DeadStrip::Off => false,
        };
        if is_root && !discarded.contains(&block) {
            worklist.push(block);
        }
    }
    while let Some(id) = worklist.pop() {
        if graph.block(id).live {
            continue;
        }
        graph.block_mut(id).live = true;
        // Debug info describes code; it never keeps code alive. Plugins'
        // metadata sections do: what they point at must exist.
        let section_name = &graph.section(graph.block(id).section).name;
        if graph.is_noalloc(id) && crate::elf::is_debug_section(section_name) {
            continue;
        }
        // An FDE describes its function and never keeps it alive (as GNU ld's
        // --gc-sections treats .eh_frame); it does keep its LSDA and personality.
        let is_eh_frame = graph.section(graph.block(id).section).name == ".eh_frame";
        for edge in &graph.block(id).edges {
            if let SymbolDef::Defined { block, .. } = graph.symbol(edge.target).def {
                let describes_code = is_eh_frame
                    && graph.section(graph.block(block).section).prot == MemProt::ReadExec;
                if !describes_code && !graph.block(block).live && !discarded.contains(&block) {
                    worklist.push(block);
                }
            }
        }
    }
}
