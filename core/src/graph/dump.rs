//! A readable text dump of a link graph, for debugging the linker itself
//! (`lantern link --dump-graph PHASE`; JITLink prints its graph between
//! phases the same way under `-debug-only=jitlink`).
//!
//! The order is stable for a given input: sections in graph order, their
//! blocks in section order, each block's symbols by offset and its edges by
//! offset, then the symbols defined outside any block.

use std::fmt::{self, Write};

use super::{BlockId, LinkGraph, Linkage, MemLifetime, Scope, SymbolDef, SymbolId};

impl LinkGraph {
    /// The graph as text: sections, blocks (with addresses once assigned),
    /// symbols and edges.
    pub fn dump(&self) -> String {
        let mut out = String::new();
        self.write_dump(&mut out)
            .expect("writing to a String cannot fail");
        out
    }

    fn write_dump(&self, out: &mut String) -> fmt::Result {
        let mut by_block: Vec<Vec<SymbolId>> = vec![Vec::new(); self.blocks().len()];
        let mut elsewhere = Vec::new();
        for id in self.symbol_ids() {
            match self.symbol(id).def {
                SymbolDef::Defined { block, .. } => by_block[block.index()].push(id),
                SymbolDef::External => elsewhere.push((id, "external, unresolved".to_string())),
                SymbolDef::Absolute(value) => elsewhere.push((id, format!("absolute {value:#x}"))),
                SymbolDef::Outside(addr) => {
                    elsewhere.push((id, format!("outside the unit at {addr:#x}")))
                }
                SymbolDef::Common { size, align } => {
                    elsewhere.push((id, format!("common, size {size:#x}, align {align}")))
                }
            }
        }
        writeln!(
            out,
            "link graph: {} files, {} sections, {} blocks, {} symbols",
            self.files.len(),
            self.sections().len(),
            self.blocks().len(),
            self.symbols().len()
        )?;
        for section_id in self.section_ids() {
            let section = self.section(section_id);
            let mut attributes = vec![section.prot.as_str()];
            match section.lifetime {
                MemLifetime::Standard => {}
                MemLifetime::Finalize => attributes.push("finalize-lifetime"),
                MemLifetime::NoAlloc => attributes.push("noalloc"),
            }
            if section.tls {
                attributes.push("tls");
            }
            if section.keep {
                attributes.push("keep");
            }
            writeln!(
                out,
                "\nsection {} ({}) [{}]",
                section.name,
                self.file_name(section.file),
                attributes.join(", ")
            )?;
            for &block_id in &section.blocks {
                self.write_block(out, block_id, &mut by_block[block_id.index()])?;
            }
        }
        if !elsewhere.is_empty() {
            writeln!(out, "\nsymbols outside blocks:")?;
            for (id, def) in elsewhere {
                let label = self.symbol_label(id);
                writeln!(out, "  {label}: {def}, {}", attributes(self, id))?;
            }
        }
        Ok(())
    }

    fn write_block(&self, out: &mut String, id: BlockId, symbols: &mut [SymbolId]) -> fmt::Result {
        let block = self.block(id);
        let addr = if block.live && (block.addr.0 != 0 || self.is_noalloc(id)) {
            format!("{:#x}", block.addr.0)
        } else {
            "(no address)".to_string()
        };
        let content = match block.content {
            super::Content::Input { .. } => "input bytes",
            super::Content::Owned(_) => "linker bytes",
            super::Content::Zero => "zero-fill",
        };
        writeln!(
            out,
            "  block #{} {addr} size {:#x} align {} {content}{}",
            id.index(),
            block.size,
            block.align,
            if block.live { "" } else { " (not live)" }
        )?;
        symbols.sort_by_key(|&s| match self.symbol(s).def {
            SymbolDef::Defined { offset, .. } => (offset, s),
            _ => (0, s),
        });
        for &symbol_id in symbols.iter() {
            let SymbolDef::Defined { offset, .. } = self.symbol(symbol_id).def else {
                continue;
            };
            writeln!(
                out,
                "    +{offset:#x} {}: size {:#x}, {}",
                self.symbol_label(symbol_id),
                self.symbol(symbol_id).size,
                attributes(self, symbol_id)
            )?;
        }
        let mut edges: Vec<_> = block.edges.iter().collect();
        edges.sort_by_key(|e| e.offset);
        for edge in edges {
            let target = match self.symbol_addr(edge.target) {
                Some(addr) => format!("{} ({addr:#x})", self.symbol_label(edge.target)),
                None => self.symbol_label(edge.target),
            };
            writeln!(
                out,
                "    edge +{:#x} {} -> {target} addend {}",
                edge.offset,
                edge.kind.name(),
                edge.addend
            )?;
        }
        Ok(())
    }

    /// A symbol's name; unnamed ones (table entries, section symbols) by id
    /// and place: `<anonymous #N: .text+0x10>`.
    fn symbol_label(&self, id: SymbolId) -> String {
        let symbol = self.symbol(id);
        match (&symbol.name, symbol.def) {
            (Some(name), _) => name.to_string(),
            (None, SymbolDef::Defined { block, offset }) => {
                let section = &self.section(self.block(block).section).name;
                format!("<anonymous #{}: {section}+{offset:#x}>", id.index())
            }
            (None, _) => format!("<anonymous #{}>", id.index()),
        }
    }
}

fn attributes(graph: &LinkGraph, id: SymbolId) -> String {
    let symbol = graph.symbol(id);
    let scope = match symbol.scope {
        Scope::Local => "local",
        Scope::Hidden => "hidden",
        Scope::Default => "default",
    };
    let linkage = match symbol.linkage {
        Linkage::Strong => "strong",
        Linkage::Weak => "weak",
    };
    let kind = if symbol.is_function { ", function" } else { "" };
    format!("{scope}, {linkage}{kind}")
}
