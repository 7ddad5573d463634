//! Symbol resolution for one unit: COMDAT deduplication, strong/weak/common
//! rules, archive members pulled on demand, runtime and host symbols, and one
//! error listing every undefined symbol with its references.

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use std::sync::Arc;

use super::JitDylib;
use crate::arch::x86_64::tables::{Tables, GOT_BASE_SYMBOL, TLSDESC_RESOLVER_SYMBOL};
use crate::arch::x86_64::EdgeKind;
use crate::elf::{Archive, GraphBuilder, GraphBuilderOptions};
use crate::error::{Error, Result, Undefined};
use crate::executor::ExecutorControl;
use crate::graph::{
    BlockId, Content, HostTls, InputFile, LinkGraph, Linkage, MemLifetime, MemProt, Scope, Symbol,
    SymbolDef, SymbolId,
};

/// A definition outside the unit: address, whether a function, size, and
/// for a library's thread-local variable where its block is.
type Outside = (u64, bool, u64, Option<HostTls>);

struct Resolver<'a> {
    graph: &'a mut LinkGraph,
    builder_options: &'a GraphBuilderOptions,
    /// Name -> the definition chosen so far.
    defs: HashMap<Arc<str>, SymbolId>,
    /// COMDAT signature -> the kept group's member sections.
    seen_groups: HashMap<Arc<str>, Vec<crate::graph::SectionId>>,
    groups_done: usize,
    symbols_done: usize,
}

/// The units linked before the one being resolved, as it sees them.
pub(crate) struct EarlierUnits<'a> {
    pub dylib: &'a JitDylib,
    /// Whether the unit's names go to the dylib (so must not clash with it);
    /// a private unit's names are its own.
    pub exporting: bool,
}

pub(crate) fn resolve(
    graph: &mut LinkGraph,
    mut archives: Vec<Archive>,
    libgcc: Option<InputFile>,
    cxx_runtime: Option<&str>,
    earlier: EarlierUnits<'_>,
    executor: &dyn ExecutorControl,
    builder_options: &GraphBuilderOptions,
) -> Result<()> {
    let dylib = earlier.dylib;
    let mut r = Resolver {
        graph,
        builder_options,
        defs: HashMap::new(),
        seen_groups: HashMap::new(),
        groups_done: 0,
        symbols_done: 0,
    };
    r.absorb_new()?;
    r.pull_archive_members(&mut archives)?;
    r.define_commons();
    r.define_linker_symbols();

    let mut libgcc = libgcc;
    let mut cxx_runtime = cxx_runtime;
    loop {
        let undefined = r.undefined_references();
        let mut still_undefined = Vec::new();
        // Earlier units first; what they do not define is asked of the
        // executor at once.
        let mut found: Vec<Option<Outside>> = undefined
            .iter()
            .map(|(name, _)| {
                dylib
                    .lookup(name)
                    .map(|s| (s.addr.0, s.is_function, s.size, None))
            })
            .collect();
        let outside: Vec<usize> = (0..found.len()).filter(|&i| found[i].is_none()).collect();
        let names: Vec<&str> = outside.iter().map(|&i| &*undefined[i].0).collect();
        for (&i, symbol) in outside.iter().zip(executor.lookup_symbols(&names)) {
            found[i] = symbol.map(|s| (s.addr.0, s.is_function, s.size, s.tls));
        }
        for ((name, references), found) in undefined.into_iter().zip(found) {
            match found {
                Some((addr, is_function, size, tls)) => {
                    if let Some(tls) = tls {
                        for &id in &references {
                            r.graph.host_tls.insert(id, tls);
                        }
                    }
                    r.set_outside(&name, &references, addr, is_function, size)
                }
                None => still_undefined.push(name),
            }
        }
        if still_undefined.is_empty() {
            break;
        }
        // C++ objects need the C++ runtime, which g++ and clang++ link by default.
        if cxx_runtime.is_some() && still_undefined.iter().any(|n| is_cxx_runtime_symbol(n)) {
            let library = cxx_runtime.take().expect("checked");
            executor.load_library(library)?;
            log::info!("loaded the C++ runtime {library}: the objects use C++ symbols");
            continue;
        }
        // Compiler helpers come from libgcc.a last, as in a native link.
        let Some(file) = libgcc.take() else { break };
        let mut libgcc_archive = vec![Archive::parse(&file.name, file.data.clone())?];
        let before = r.graph.symbols().len();
        if !r.pull_archive_members(&mut libgcc_archive)? {
            break;
        }
        // As in a shared library, libgcc's helpers are the unit's own: a
        // later unit that pulls the same member defines no duplicate.
        for id in r.graph.symbol_ids().skip(before) {
            let sym = r.graph.symbol_mut(id);
            if sym.scope == Scope::Default && !matches!(sym.def, SymbolDef::External) {
                sym.scope = Scope::Hidden;
            }
        }
        r.define_commons();
        r.define_linker_symbols();
    }
    if earlier.exporting {
        r.check_against_earlier_units(dylib)?;
    }
    r.finish()
}

/// The start of the unit's TLS block, which a static linker defines.
const TLS_MODULE_BASE_SYMBOL: &str = "_TLS_MODULE_BASE_";

/// Symbols only the C++ runtime (libstdc++ and its ABI library) defines:
/// mangled names, the exception ABI, the personality routine.
fn is_cxx_runtime_symbol(name: &str) -> bool {
    name.starts_with("_Z")
        || name.starts_with("__cxa_")
        || name.starts_with("__gxx_")
        || name == "__dynamic_cast"
}

impl Resolver<'_> {
    /// The block of the kept COMDAT group that stands for `section` (the
    /// `position`th member of a discarded copy of the group): a debug section
    /// of the same name, position and size. Copies of a group are the same
    /// bytes (gcc names `wm4.*` groups by a hash of their content), so an
    /// offset into one is the same offset into the other. Code and data get
    /// none: references to discarded code are tombstones, as LLD writes them.
    fn kept_debug_copy(
        &self,
        section: crate::graph::SectionId,
        position: usize,
        kept: &[crate::graph::SectionId],
    ) -> Option<BlockId> {
        let discarded = self.graph.section(section);
        if discarded.lifetime != MemLifetime::NoAlloc {
            return None;
        }
        let candidate = self.graph.section(*kept.get(position)?);
        let (&mine, &theirs) = (discarded.blocks.first()?, candidate.blocks.first()?);
        (candidate.name == discarded.name
            && candidate.lifetime == MemLifetime::NoAlloc
            && self.graph.block(mine).size == self.graph.block(theirs).size)
            .then_some(theirs)
    }

    /// Takes in symbols and COMDAT groups added since the last call.
    fn absorb_new(&mut self) -> Result<()> {
        // COMDAT: the first group with a signature wins; later copies' blocks are
        // discarded and their global symbols become references to the kept copy.
        let groups: Vec<_> = self.graph.comdat_groups[self.groups_done..].to_vec();
        self.groups_done = self.graph.comdat_groups.len();
        let mut discarded_blocks: HashSet<BlockId> = HashSet::new();
        // Debug sections of a discarded group -> the kept group's copy: what
        // DWARF elsewhere says about them (gcc -g3's `DW_MACRO_import` into
        // its `wm4.*` groups) must point at the copy that stays, not at a
        // tombstone.
        let mut kept_copy: HashMap<BlockId, BlockId> = HashMap::new();
        for (signature, sections) in groups {
            let Some(kept) = self.seen_groups.get(&signature) else {
                self.seen_groups.insert(signature, sections);
                continue;
            };
            for (position, &section) in sections.iter().enumerate() {
                discarded_blocks.extend(self.graph.section(section).blocks.iter().copied());
                let mine = self.graph.section(section).blocks.first().copied();
                if let (Some(mine), Some(copy)) =
                    (mine, self.kept_debug_copy(section, position, kept))
                {
                    kept_copy.insert(mine, copy);
                }
            }
        }
        if !discarded_blocks.is_empty() {
            for id in self.graph.symbol_ids().skip(self.symbols_done) {
                let sym = self.graph.symbol_mut(id);
                if let SymbolDef::Defined { block, offset } = sym.def {
                    if !discarded_blocks.contains(&block) {
                        continue;
                    }
                    if sym.scope != Scope::Local {
                        sym.def = SymbolDef::External;
                    } else if let Some(&copy) = kept_copy.get(&block) {
                        sym.def = SymbolDef::Defined {
                            block: copy,
                            offset,
                        };
                    }
                }
            }
            self.graph.discarded_blocks.extend(discarded_blocks);
        }

        for id in self.graph.symbol_ids().skip(self.symbols_done) {
            let sym = self.graph.symbol(id);
            if sym.scope == Scope::Local || matches!(sym.def, SymbolDef::External) {
                continue;
            }
            let Some(name) = sym.name.clone() else {
                continue;
            };
            match self.defs.get(&name).copied() {
                None => {
                    self.defs.insert(name, id);
                }
                Some(existing) => {
                    if let Some(winner) = self.choose(existing, id)? {
                        self.defs.insert(name, winner);
                    }
                }
            }
        }
        self.symbols_done = self.graph.symbols().len();
        Ok(())
    }

    /// Strong beats weak beats common; two strong definitions are an error;
    /// of two commons the larger wins. Returns a new winner, if any.
    fn choose(&mut self, existing: SymbolId, new: SymbolId) -> Result<Option<SymbolId>> {
        let (old, newer) = (self.graph.symbol(existing), self.graph.symbol(new));
        let rank = |s: &Symbol| match (s.def, s.linkage) {
            (SymbolDef::Common { .. }, _) => 0,
            (_, Linkage::Weak) => 1,
            _ => 2,
        };
        match (rank(old), rank(newer)) {
            (2, 2) => Err(Error::DuplicateSymbol {
                name: old.display_name().to_string(),
                first: self.graph.file_name(old.file).to_string(),
                second: self.graph.file_name(newer.file).to_string(),
            }),
            (0, 0) => {
                let (
                    SymbolDef::Common {
                        size: s1,
                        align: a1,
                    },
                    SymbolDef::Common {
                        size: s2,
                        align: a2,
                    },
                ) = (old.def, newer.def)
                else {
                    unreachable!("rank 0 is common")
                };
                let merged = SymbolDef::Common {
                    size: s1.max(s2),
                    align: a1.max(a2),
                };
                self.graph.symbol_mut(existing).def = merged;
                self.graph.symbol_mut(existing).size = s1.max(s2);
                Ok(None)
            }
            (a, b) if b > a => Ok(Some(new)),
            _ => Ok(None),
        }
    }

    /// Names referenced but not defined in the unit, in first-reference order.
    fn undefined_names(&self) -> Vec<Arc<str>> {
        let mut seen = HashSet::new();
        let mut names = Vec::new();
        for sym in self.graph.symbols() {
            if !matches!(sym.def, SymbolDef::External) {
                continue;
            }
            let Some(name) = &sym.name else { continue };
            if !self.defs.contains_key(name) && seen.insert(name.clone()) {
                names.push(name.clone());
            }
        }
        names
    }

    /// Names with at least one strong reference: only those pull archive members.
    fn strongly_undefined_names(&self) -> Vec<Arc<str>> {
        let mut seen = HashSet::new();
        let mut names = Vec::new();
        for sym in self.graph.symbols() {
            if !matches!(sym.def, SymbolDef::External) || sym.linkage == Linkage::Weak {
                continue;
            }
            let Some(name) = &sym.name else { continue };
            if !self.defs.contains_key(name) && seen.insert(name.clone()) {
                names.push(name.clone());
            }
        }
        names
    }

    /// Extracts archive members that define undefined symbols until nothing
    /// changes (archives behave as one group). Returns whether any was pulled.
    fn pull_archive_members(&mut self, archives: &mut [Archive]) -> Result<bool> {
        let mut pulled_any = false;
        loop {
            let mut pulled = false;
            for name in self.strongly_undefined_names() {
                if self.defs.contains_key(&name) {
                    continue;
                }
                for archive in archives.iter_mut() {
                    if let Some(member) = archive.extract_defining(&name)? {
                        let file = member.file;
                        let graph = GraphBuilder::new(&file.name, (*file.data).as_ref())
                            .build(file.clone(), self.builder_options)?;
                        self.graph.merge(graph);
                        self.absorb_new()?;
                        pulled = true;
                        break;
                    }
                }
            }
            if !pulled {
                return Ok(pulled_any);
            }
            pulled_any = true;
        }
    }

    /// Turns the winning common symbols into zero-fill blocks.
    fn define_commons(&mut self) {
        let commons: Vec<SymbolId> = self
            .defs
            .values()
            .copied()
            .filter(|&id| matches!(self.graph.symbol(id).def, SymbolDef::Common { .. }))
            .collect();
        if commons.is_empty() {
            return;
        }
        let mut commons = commons;
        commons.sort();
        for id in commons {
            let SymbolDef::Common { size, align } = self.graph.symbol(id).def else {
                continue;
            };
            let file = self.graph.symbol(id).file;
            let section = self
                .graph
                .create_section("COMMON", MemProt::ReadWrite, file);
            let block = self.graph.create_zero_fill_block(
                section,
                size.max(1),
                align.max(1).next_power_of_two(),
            );
            self.graph.symbol_mut(id).def = SymbolDef::Defined { block, offset: 0 };
        }
        // Commons that lost to another definition become references to it.
        for id in self.graph.symbol_ids() {
            if matches!(self.graph.symbol(id).def, SymbolDef::Common { .. }) {
                self.graph.symbol_mut(id).def = SymbolDef::External;
            }
        }
    }

    /// Symbols a static link gets from the linker and crt files.
    fn define_linker_symbols(&mut self) {
        let undefined: HashSet<Arc<str>> = self.undefined_names().into_iter().collect();
        if undefined.contains(GOT_BASE_SYMBOL) || self.uses_got_base() {
            let mut tables = Tables::new(self.graph);
            let base = tables.got_base(self.graph);
            self.defs.insert(GOT_BASE_SYMBOL.into(), base);
        }
        if self.uses_tls_descriptors()
            && !self
                .graph
                .symbols()
                .iter()
                .any(|s| s.name.as_deref() == Some(TLSDESC_RESOLVER_SYMBOL))
        {
            // Descriptors point at the executor's static resolver: a reference
            // that host resolution fills in like any other.
            let file = self
                .graph
                .symbols()
                .first()
                .map(|s| s.file)
                .unwrap_or(crate::graph::FileId::from_index(0));
            self.graph.add_external_symbol(
                file,
                Some(TLSDESC_RESOLVER_SYMBOL.into()),
                0,
                Linkage::Strong,
                Scope::Hidden,
                true,
            );
        }
        if undefined.contains(TLS_MODULE_BASE_SYMBOL) {
            // The start of the unit's TLS block: descriptor code for local
            // variables asks for it once and adds each variable's DTPOFF.
            if let Some(block) = self.first_tls_block() {
                let id = self.graph.add_defined_symbol(
                    block,
                    0,
                    Some(TLS_MODULE_BASE_SYMBOL.into()),
                    0,
                    Linkage::Strong,
                    Scope::Hidden,
                    false,
                );
                self.defs.insert(TLS_MODULE_BASE_SYMBOL.into(), id);
            }
        }
        if undefined.contains("__dso_handle") {
            // A unique address per unit identifies its __cxa_atexit registrations.
            let file = self
                .graph
                .symbols()
                .first()
                .map(|s| s.file)
                .unwrap_or(crate::graph::FileId::from_index(0));
            let section = self
                .graph
                .create_section("$__DSO_HANDLE", MemProt::Read, file);
            let block = self.graph.create_zero_fill_block(section, 8, 8);
            let id = self.graph.add_defined_symbol(
                block,
                0,
                Some("__dso_handle".into()),
                8,
                Linkage::Strong,
                Scope::Hidden,
                false,
            );
            self.defs.insert("__dso_handle".into(), id);
        }
        self.symbols_done = self.graph.symbols().len();
    }

    /// The block the TLS layout puts at offset 0: the first `.tdata` block in
    /// section order, else the first `.tbss` one (it stays live: the module
    /// base symbol references it).
    fn first_tls_block(&self) -> Option<crate::graph::BlockId> {
        for zero_fill in [false, true] {
            for section in self.graph.sections().iter().filter(|s| s.tls) {
                if let Some(&block) = section.blocks.iter().find(|&&b| {
                    !self.graph.discarded_blocks.contains(&b)
                        && matches!(self.graph.block(b).content, Content::Zero) == zero_fill
                }) {
                    return Some(block);
                }
            }
        }
        None
    }

    fn uses_tls_descriptors(&self) -> bool {
        use crate::arch::x86_64::EdgeKind as K;
        self.graph
            .blocks()
            .iter()
            .flat_map(|b| &b.edges)
            .any(|e| e.kind == K::RequestTlsDescAndTransformToDelta32)
    }

    /// GOT-relative edges (large code model) need a GOT base even without the symbol.
    fn uses_got_base(&self) -> bool {
        use crate::arch::x86_64::EdgeKind as K;
        self.graph.blocks().iter().flat_map(|b| &b.edges).any(|e| {
            matches!(
                e.kind,
                K::Delta64FromGot
                    | K::RequestGotAndTransformToDelta64FromGot
                    | K::RequestGotAndTransformToDelta32FromGot
                    | K::RequestStubAndTransformToDelta64FromGot
            )
        })
    }

    /// Undefined names with their referencing symbols, in first-reference order.
    fn undefined_references(&self) -> Vec<(Arc<str>, Vec<SymbolId>)> {
        let mut index: HashMap<Arc<str>, usize> = HashMap::new();
        let mut result: Vec<(Arc<str>, Vec<SymbolId>)> = Vec::new();
        for id in self.graph.symbol_ids() {
            let sym = self.graph.symbol(id);
            if !matches!(sym.def, SymbolDef::External) {
                continue;
            }
            let Some(name) = &sym.name else { continue };
            if self.defs.contains_key(name) {
                continue;
            }
            let slot = *index.entry(name.clone()).or_insert_with(|| {
                result.push((name.clone(), Vec::new()));
                result.len() - 1
            });
            result[slot].1.push(id);
        }
        result
    }

    /// Resolves the references to `name` to an address outside the unit.
    fn set_outside(
        &mut self,
        name: &Arc<str>,
        references: &[SymbolId],
        addr: u64,
        is_function: bool,
        size: u64,
    ) {
        for &id in references {
            let sym = self.graph.symbol_mut(id);
            sym.def = SymbolDef::Outside(addr);
            sym.is_function = is_function;
            sym.size = size;
        }
        // One symbol per name, so stubs, GOT entries and copies are shared.
        if let Some(&first) = references.first() {
            self.defs.insert(name.clone(), first);
        }
    }

    /// A strong default-visibility definition must not clash with a symbol an
    /// earlier unit exports (weak ones simply stay private to this unit).
    fn check_against_earlier_units(&self, dylib: &JitDylib) -> Result<()> {
        for (name, &id) in &self.defs {
            let sym = self.graph.symbol(id);
            let defined_here = matches!(sym.def, SymbolDef::Defined { .. });
            if defined_here
                && sym.scope == Scope::Default
                && sym.linkage == Linkage::Strong
                && dylib.lookup(name).is_some()
                && !dylib.redirectable.contains(&**name)
            {
                return Err(Error::DuplicateSymbol {
                    name: name.to_string(),
                    first: "an earlier link unit".into(),
                    second: self.graph.file_name(sym.file).to_string(),
                });
            }
        }
        Ok(())
    }

    /// Undefined weak references become 0; the rest is an error. Then every
    /// edge to a reference is pointed at the definition.
    fn finish(self) -> Result<()> {
        let mut missing: Vec<Arc<str>> = Vec::new();
        for id in self.graph.symbol_ids() {
            let sym = self.graph.symbol(id);
            if !matches!(sym.def, SymbolDef::External) {
                continue;
            }
            let name = sym.name.clone();
            match name.as_ref().and_then(|n| self.defs.get(n)) {
                Some(_) => {}
                None if sym.linkage == Linkage::Weak => {
                    self.graph.symbol_mut(id).def = SymbolDef::Absolute(0);
                }
                None => {
                    if let Some(name) = name {
                        if !missing.contains(&name) {
                            missing.push(name);
                        }
                    }
                }
            }
        }
        // A weak reference and a strong one to the same missing name: the strong one errs.
        let missing: Vec<Arc<str>> = missing;
        if !missing.is_empty() {
            return Err(Error::UndefinedSymbols(self.references(&missing)));
        }
        // Where each symbol's references go: its name's definition, when that
        // is another symbol (references, and definitions that lost to another,
        // weak to strong). Indexed by symbol: every edge is looked up, and a
        // unit with DWARF has hundreds of thousands.
        let mut redirect: Vec<Option<SymbolId>> = vec![None; self.graph.symbols().len()];
        let mut any = false;
        for id in self.graph.symbol_ids() {
            let sym = self.graph.symbol(id);
            if sym.scope == Scope::Local {
                continue;
            }
            let Some(&def) = sym.name.as_ref().and_then(|n| self.defs.get(n)) else {
                continue;
            };
            if def != id {
                redirect[id.index()] = Some(def);
                any = true;
            }
        }
        if any {
            for block in self.graph.blocks_mut() {
                for edge in &mut block.edges {
                    if let Some(def) = redirect[edge.target.index()] {
                        edge.target = def;
                    }
                }
            }
        }
        // References keep the definition's kind so table managers see functions.
        for (index, def) in redirect.iter().enumerate() {
            if let Some(def) = *def {
                let is_function = self.graph.symbol(def).is_function;
                self.graph
                    .symbol_mut(SymbolId::from_index(index))
                    .is_function = is_function;
            }
        }
        // Relocations still in the file are made edges later: they go the same way.
        if any && !self.graph.pending_relocations.is_empty() {
            self.graph.redirects = redirect;
        }
        check_thread_local_kinds(self.graph)
    }

    /// Each missing name with the `file(section)` places that reference it.
    fn references(&self, missing: &[Arc<str>]) -> Vec<Undefined> {
        let index: HashMap<&str, usize> =
            missing.iter().enumerate().map(|(i, n)| (&**n, i)).collect();
        let mut refs: Vec<Vec<String>> = vec![Vec::new(); missing.len()];
        for block_id in self.graph.block_ids() {
            let block = self.graph.block(block_id);
            for edge in &block.edges {
                let target = self.graph.symbol(edge.target);
                if !matches!(target.def, SymbolDef::External) {
                    continue;
                }
                let Some(&i) = target.name.as_deref().and_then(|n| index.get(n)) else {
                    continue;
                };
                let (file, section) = self.graph.block_origin(block_id);
                let place = format!("{file}({section})");
                if !refs[i].contains(&place) {
                    refs[i].push(place);
                }
            }
        }
        missing
            .iter()
            .zip(refs)
            .map(|(name, mut referenced_from)| {
                if referenced_from.is_empty() {
                    referenced_from.push("the symbol table".into());
                }
                Undefined {
                    name: name.to_string(),
                    referenced_from,
                }
            })
            .collect()
    }
}

/// A reference and its definition must agree on whether the variable is
/// thread-local, as a static linker requires (`extern int x;` in one file,
/// `__thread int x;` in another): otherwise the fixup would compute an
/// address from a TLS offset, or the other way round.
fn check_thread_local_kinds(graph: &LinkGraph) -> Result<()> {
    for block_id in graph.block_ids() {
        if graph.is_noalloc(block_id) {
            continue;
        }
        for edge in &graph.block(block_id).edges {
            if matches!(edge.kind, EdgeKind::Size32 | EdgeKind::Size64) {
                continue;
            }
            let target = graph.symbol(edge.target);
            let defined_tls = match target.def {
                SymbolDef::Defined { block, .. } => graph.section(graph.block(block).section).tls,
                // A host library's thread-local variable (what an earlier
                // unit's symbols are is not recorded).
                SymbolDef::Outside(_) if graph.host_tls.contains_key(&edge.target) => true,
                _ => continue,
            };
            let referenced_tls = edge.kind.targets_thread_local();
            if referenced_tls == defined_tls {
                continue;
            }
            let definition = match target.def {
                SymbolDef::Defined { block, .. } => {
                    let (file, section) = graph.block_origin(block);
                    format!("{file} ({section})")
                }
                _ => "a host library".to_string(),
            };
            let (file, section) = graph.block_origin(block_id);
            let (reference, definition_kind) = if referenced_tls {
                ("a thread-local", "an ordinary")
            } else {
                ("an ordinary", "a thread-local")
            };
            return Err(Error::Unsupported {
                file,
                reason: format!(
                    "{section}+{:#x}: `{}` is used as {reference} variable here, but {definition} defines it as {definition_kind} one: the declarations disagree",
                    edge.offset,
                    target.display_name()
                ),
            });
        }
    }
    Ok(())
}
