//! The basic layout: live blocks grouped into segments by (protection,
//! lifetime), placed so every 32-bit fixup can reach its target.

use std::collections::BTreeMap;

use crate::arch::x86_64::tables::Tables;
use crate::error::{Error, Result};
use crate::graph::{BlockId, ExecutorAddr, LinkGraph, MemLifetime, MemProt, SymbolDef};
use crate::memory::{AllocRequest, InFlightAlloc, Placement, SegmentRequest};

use super::output_sections::output_section;

/// Where each live block goes: its segment and offset.
pub(crate) struct Plan {
    pub request: AllocRequest,
    pub slots: Vec<Option<(usize, u64)>>,
    /// The thread-local blocks, laid out in their own image.
    pub tls: Option<TlsLayout>,
    /// NoAlloc output sections: name, size, and each block's offset.
    pub noalloc: Vec<NoAllocPlan>,
}

pub(crate) struct NoAllocPlan {
    pub name: String,
    pub size: u64,
    pub blocks: Vec<(BlockId, u64)>,
}

/// NoAlloc blocks grouped by section name (first-seen order), side by side.
fn noalloc_layout(graph: &LinkGraph) -> Vec<NoAllocPlan> {
    let mut plans: Vec<NoAllocPlan> = Vec::new();
    let mut by_name: foldhash::HashMap<&str, usize> = foldhash::HashMap::default();
    for section in graph
        .sections()
        .iter()
        .filter(|s| s.lifetime == MemLifetime::NoAlloc)
    {
        let index = *by_name.entry(section.name.as_str()).or_insert_with(|| {
            plans.push(NoAllocPlan {
                name: section.name.clone(),
                size: 0,
                blocks: Vec::new(),
            });
            plans.len() - 1
        });
        let plan = &mut plans[index];
        for &block_id in &section.blocks {
            let block = graph.block(block_id);
            if !block.live {
                continue;
            }
            let offset = plan.size.next_multiple_of(block.align);
            plan.blocks.push((block_id, offset));
            plan.size = offset + block.size;
        }
    }
    plans
}

/// The TLS image: `.tdata` blocks (initialized) then `.tbss` blocks (zero).
pub(crate) struct TlsLayout {
    pub init_size: u64,
    pub mem_size: u64,
    pub align: u64,
    /// Offset of each live TLS block in the image, by block index.
    pub offsets: Vec<Option<u64>>,
}

fn tls_layout(graph: &LinkGraph) -> Option<TlsLayout> {
    let mut offsets = vec![None; graph.blocks().len()];
    let mut size = 0u64;
    let mut align = 1u64;
    let mut init_size = 0u64;
    let mut any = false;
    for zero_fill in [false, true] {
        for section in graph.sections().iter().filter(|s| s.tls) {
            for &block_id in &section.blocks {
                let block = graph.block(block_id);
                if !block.live || matches!(block.content, crate::graph::Content::Zero) != zero_fill
                {
                    continue;
                }
                any = true;
                let offset = size.next_multiple_of(block.align);
                offsets[block_id.index()] = Some(offset);
                size = offset + block.size;
                align = align.max(block.align);
            }
        }
        if !zero_fill {
            init_size = size;
        }
    }
    any.then_some(TlsLayout {
        init_size,
        mem_size: size.max(1),
        align,
        offsets,
    })
}

pub(crate) fn plan(graph: &LinkGraph) -> Result<Plan> {
    let mut segment_index: BTreeMap<(MemProt, MemLifetime), usize> = BTreeMap::new();
    let mut segments: Vec<SegmentRequest> = Vec::new();
    let mut slots = vec![None; graph.blocks().len()];
    // In each segment, sections in GNU ld's order (cold, exit, startup and
    // hot code before the rest of `.text`, `.data` before `.bss`), input
    // order within an output section. .eh_frame sections go last in their
    // segment, side by side, so the unit's frame information is one
    // contiguous range (for debug objects and unwinders).
    // (NoAlloc sections, most of a unit's sections with DWARF, take no
    // place here; each key is computed once, not per comparison.)
    let mut ordered: Vec<_> = graph
        .section_ids()
        .filter(|&s| graph.section(s).lifetime != MemLifetime::NoAlloc)
        .collect();
    ordered.sort_by_cached_key(|&s| {
        let name = graph.section(s).name.as_str();
        (name == ".eh_frame", output_section(name).rank)
    });
    // Segment order: code, read-only data, writable data.
    for prot in [MemProt::ReadExec, MemProt::Read, MemProt::ReadWrite] {
        for &section_id in &ordered {
            let section = graph.section(section_id);
            if section.prot != prot || section.lifetime == MemLifetime::NoAlloc || section.tls {
                continue;
            }
            for &block_id in &section.blocks {
                let block = graph.block(block_id);
                if !block.live {
                    continue;
                }
                let key = (section.prot, section.lifetime);
                let index = *segment_index.entry(key).or_insert_with(|| {
                    segments.push(SegmentRequest {
                        prot: section.prot,
                        lifetime: section.lifetime,
                        size: 0,
                        align: 1,
                    });
                    segments.len() - 1
                });
                let seg = &mut segments[index];
                let overflow = || Error::Memory("segment size overflows".into());
                let offset = seg
                    .size
                    .checked_next_multiple_of(block.align)
                    .ok_or_else(overflow)?;
                seg.size = offset.checked_add(block.size).ok_or_else(overflow)?;
                seg.align = seg.align.max(block.align);
                slots[block_id.index()] = Some((index, offset));
            }
        }
    }
    let placement = placement(graph);
    Ok(Plan {
        request: AllocRequest {
            segments,
            placement,
        },
        slots,
        tls: tls_layout(graph),
        noalloc: noalloc_layout(graph),
    })
}

/// Low 2 GiB if any absolute 32-bit fixup targets JIT memory; otherwise near
/// the host symbols that 32-bit PC-relative fixups reach; otherwise anywhere.
fn placement(graph: &LinkGraph) -> Placement {
    let mut needs_low = false;
    let mut host_range: Option<(u64, u64)> = None;
    for (index, block) in graph.blocks().iter().enumerate() {
        if !block.live {
            continue;
        }
        if graph.is_noalloc(BlockId::from_index(index)) {
            // Debug information with 32-bit absolute addresses of the unit's
            // code (stabs: `n_value` is 32 bits) holds them only if the code
            // is low, as in the non-PIE executables such compilers link.
            needs_low |= block.edges.iter().any(|edge| {
                edge.kind.is_absolute_32()
                    && matches!(graph.symbol(edge.target).def,
                        SymbolDef::Defined { block, .. } if !graph.is_noalloc(block) && graph.block(block).live)
            });
            continue;
        }
        for edge in &block.edges {
            let def = graph.symbol(edge.target).def;
            match def {
                SymbolDef::Defined { .. } if edge.kind.is_absolute_32() && !edge.kind.is_tls() => {
                    needs_low = true
                }
                SymbolDef::Absolute(addr) | SymbolDef::Outside(addr)
                    if addr != 0 && edge.kind.is_pc_relative_32() =>
                {
                    let (lo, hi) = host_range.unwrap_or((addr, addr));
                    host_range = Some((lo.min(addr), hi.max(addr)));
                }
                _ => {}
            }
        }
    }
    if needs_low {
        Placement::Low2GiB
    } else if let Some((lo, hi)) = host_range {
        Placement::Near { lo, hi }
    } else {
        Placement::Anywhere
    }
}

pub(crate) fn assign_addresses(graph: &mut LinkGraph, plan: &Plan, alloc: &dyn InFlightAlloc) {
    for output in &plan.noalloc {
        for &(block, offset) in &output.blocks {
            graph.block_mut(block).addr = ExecutorAddr(offset);
        }
    }
    for (index, slot) in plan.slots.iter().enumerate() {
        if let Some((segment, offset)) = slot {
            let base = alloc.segment_addr(*segment).0;
            graph.blocks_mut()[index].addr = ExecutorAddr(base + offset);
        }
    }
}

/// The layout, for `lantern link --print-layout` and for plugins.
#[derive(Debug, Clone, Default)]
pub struct LayoutReport {
    pub placement: Placement,
    pub segments: Vec<SegmentReport>,
    pub sections: Vec<SectionReport>,
    pub symbols: Vec<(String, ExecutorAddr, u64)>,
    pub got_entries: usize,
    pub stubs: usize,
}

#[derive(Debug, Clone)]
pub struct SegmentReport {
    pub prot: MemProt,
    pub lifetime: MemLifetime,
    pub addr: ExecutorAddr,
    pub size: u64,
}

#[derive(Debug, Clone)]
pub struct SectionReport {
    pub file: String,
    pub name: String,
    pub prot: MemProt,
    pub addr: ExecutorAddr,
    pub size: u64,
}

/// The report without segments, sections and symbols.
pub(crate) fn placement_only(plan: &Plan) -> LayoutReport {
    LayoutReport {
        placement: plan.request.placement,
        ..LayoutReport::default()
    }
}

pub(crate) fn report(graph: &LinkGraph, plan: &Plan, tables: &Tables) -> LayoutReport {
    let mut segments: Vec<SegmentReport> = plan
        .request
        .segments
        .iter()
        .map(|s| SegmentReport {
            prot: s.prot,
            lifetime: s.lifetime,
            addr: ExecutorAddr(u64::MAX),
            size: s.size,
        })
        .collect();
    let mut sections = Vec::new();
    for section_id in graph.section_ids() {
        let section = graph.section(section_id);
        if section.tls || section.lifetime == MemLifetime::NoAlloc {
            continue;
        }
        let live: Vec<BlockId> = section
            .blocks
            .iter()
            .copied()
            .filter(|&b| graph.block(b).live)
            .collect();
        let Some(&first) = live.first() else { continue };
        let start = live
            .iter()
            .map(|&b| graph.block(b).addr.0)
            .min()
            .unwrap_or(0);
        let end = live
            .iter()
            .map(|&b| graph.block(b).addr.0 + graph.block(b).size)
            .max()
            .unwrap_or(0);
        if let Some((segment, offset)) = plan.slots[first.index()] {
            let seg = &mut segments[segment];
            seg.addr = ExecutorAddr(seg.addr.0.min(graph.block(first).addr.0 - offset));
        }
        sections.push(SectionReport {
            file: graph.file_name(section.file).to_string(),
            name: section.name.clone(),
            prot: section.prot,
            addr: ExecutorAddr(start),
            size: end - start,
        });
    }
    let symbols = graph
        .symbols()
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            let name = s.name.as_deref()?;
            let SymbolDef::Defined { block, .. } = s.def else {
                return None;
            };
            if !graph.block(block).live {
                return None;
            }
            let addr = graph.symbol_addr(crate::graph::SymbolId::from_index(i))?;
            Some((name.to_string(), ExecutorAddr(addr), s.size))
        })
        .collect();
    LayoutReport {
        placement: plan.request.placement,
        segments,
        sections,
        symbols,
        got_entries: tables.got_entry_count(),
        stubs: tables.stub_count(),
    }
}

/// The TLS image's symbol table: every named symbol defined in a TLS block,
/// at its offset in the unit's TLS block. Statics also get an alias under
/// their source name when that name is free, since debuggers look them up by
/// the DWARF name when it has no linkage name.
pub(crate) fn tls_symbols(graph: &LinkGraph, tls: &TlsLayout) -> Vec<crate::graph::TlsSymbol> {
    use crate::graph::{Scope, TlsSymbol};
    let mut symbols: Vec<TlsSymbol> = graph
        .symbols()
        .iter()
        .filter_map(|symbol| {
            let name = symbol.name.clone()?;
            let SymbolDef::Defined { block, offset } = symbol.def else {
                return None;
            };
            let block_offset = (*tls.offsets.get(block.index())?)?;
            Some(TlsSymbol {
                name,
                offset: block_offset + offset,
                size: symbol.size,
                global: !matches!(symbol.scope, Scope::Local),
            })
        })
        .collect();
    let taken: foldhash::HashSet<&str> = symbols.iter().map(|s| &*s.name).collect();
    let mut aliases: BTreeMap<&str, Option<&TlsSymbol>> = BTreeMap::new();
    for symbol in symbols.iter().filter(|s| !s.global) {
        let Some(source) = source_name(&symbol.name) else {
            continue;
        };
        if source.is_empty() || taken.contains(source) {
            continue;
        }
        // Two statics with one source name: neither gets the alias.
        aliases
            .entry(source)
            .and_modify(|seen| *seen = None)
            .or_insert(Some(symbol));
    }
    let aliases: Vec<TlsSymbol> = aliases
        .into_iter()
        .filter_map(|(name, symbol)| {
            symbol.map(|s| TlsSymbol {
                name: name.into(),
                ..s.clone()
            })
        })
        .collect();
    symbols.extend(aliases);
    symbols
}

/// The source name of a local symbol whose symbol name decorates it: C
/// function-local statics (gcc's `name.N`, clang's `function.name`), C++
/// file statics (`_ZL4name`) and function-local statics (`_ZZ...E4name`,
/// with an optional discriminator).
fn source_name(symbol: &str) -> Option<&str> {
    if let Some(rest) = symbol.strip_prefix("_ZL") {
        return length_prefixed(rest);
    }
    if symbol.starts_with("_ZZ") {
        let body = strip_discriminator(symbol);
        // The name is the last `E<len><name>` that spans to the end.
        return body
            .match_indices('E')
            .rev()
            .find_map(|(at, _)| length_prefixed(&body[at + 1..]));
    }
    let (head, tail) = symbol.rsplit_once('.')?;
    Some(
        if !tail.is_empty() && tail.bytes().all(|b| b.is_ascii_digit()) {
            head
        } else {
            tail
        },
    )
}

/// `<len><name>` where the name is exactly `len` bytes long.
fn length_prefixed(s: &str) -> Option<&str> {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    let len: usize = s[..digits].parse().ok()?;
    let name = &s[digits..];
    (name.len() == len).then_some(name)
}

/// A mangled local name without its `_N` or `__N_` discriminator.
fn strip_discriminator(s: &str) -> &str {
    let trimmed = s.strip_suffix('_').unwrap_or(s);
    let without_digits = trimmed.trim_end_matches(|c: char| c.is_ascii_digit());
    if without_digits.len() == trimmed.len() {
        return s;
    }
    if trimmed.len() == s.len() {
        // `_N`: one digit.
        without_digits
            .strip_suffix('_')
            .filter(|_| s.len() - without_digits.len() == 1)
            .unwrap_or(s)
    } else {
        // `__N_`.
        without_digits.strip_suffix("__").unwrap_or(s)
    }
}

#[cfg(test)]
mod tests {
    use super::source_name;

    #[test]
    fn statics_get_their_source_names() {
        assert_eq!(source_name("counter.0"), Some("counter"));
        assert_eq!(source_name("main.counter"), Some("counter"));
        assert_eq!(source_name("_ZL4hits"), Some("hits"));
        assert_eq!(source_name("_ZZ5touchiE5calls"), Some("calls"));
        assert_eq!(source_name("_ZZ5touchiE5calls_0"), Some("calls"));
        assert_eq!(source_name("_ZZ5touchiE5calls__12_"), Some("calls"));
        assert_eq!(source_name("_ZZN2ns3runEvE6a2name"), Some("a2name"));
        assert_eq!(source_name("plain"), None);
    }
}
