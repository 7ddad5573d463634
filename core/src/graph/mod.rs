//! The link graph: sections, blocks, symbols and edges, addressed by typed ids.
//!
//! A graph holds no executor addresses until allocation assigns them, and never
//! a Rust pointer into executor memory: addresses are [`ExecutorAddr`].

use std::fmt;
use std::sync::Arc;

mod constructors;
mod dump;
mod edge_kind;

/// The executor-side types a graph holds, re-exported where they were first
/// defined (`graph::ExecutorAddr` and so on).
pub use crate::executor_types::{ExecutorAddr, MemLifetime, MemProt};
pub use edge_kind::EdgeKind;

use crate::executor_types::AllocAction;

macro_rules! typed_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(u32);

        impl $name {
            pub fn index(self) -> usize {
                self.0 as usize
            }
            pub(crate) fn from_index(index: usize) -> Self {
                $name(u32::try_from(index).expect("link graph arena overflow"))
            }
        }
    };
}

typed_id!(
    /// A section of a [`LinkGraph`].
    SectionId
);
typed_id!(
    /// A block of a [`LinkGraph`].
    BlockId
);
typed_id!(
    /// A symbol of a [`LinkGraph`].
    SymbolId
);
typed_id!(
    /// An input file (object or archive member) a graph's content comes from.
    FileId
);

/// Where an input's bytes come from: a name for messages and the whole file's data.
#[derive(Clone)]
pub struct InputFile {
    pub name: Arc<str>,
    pub data: Arc<dyn AsRef<[u8]> + Send + Sync>,
}

impl fmt::Debug for InputFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InputFile")
            .field("name", &self.name)
            .finish()
    }
}

#[derive(Debug)]
pub struct Section {
    pub name: String,
    pub prot: MemProt,
    pub lifetime: MemLifetime,
    pub file: FileId,
    pub blocks: Vec<BlockId>,
    /// A root for dead-stripping (initializers, SHF_GNU_RETAIN).
    pub keep: bool,
    /// Thread-local (.tdata/.tbss): part of the TLS image, not of JIT memory.
    pub tls: bool,
}

/// A block's bytes: a range of its input file, bytes made by the linker, or zero-fill.
#[derive(Debug, Clone)]
pub enum Content {
    Input { start: usize, end: usize },
    Owned(Vec<u8>),
    Zero,
}

#[derive(Debug)]
pub struct Block {
    pub section: SectionId,
    pub content: Content,
    pub size: u64,
    pub align: u64,
    pub edges: Vec<Edge>,
    /// Assigned by allocation; zero before.
    pub addr: ExecutorAddr,
    /// Set by dead-stripping: blocks not live are not allocated.
    pub live: bool,
}

/// A fixup at `offset` in its block.
#[derive(Debug, Clone, Copy)]
pub struct Edge {
    pub offset: u64,
    pub kind: EdgeKind,
    pub target: SymbolId,
    pub addend: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Linkage {
    Strong,
    Weak,
}

/// Who can see a symbol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// Only its own object (STB_LOCAL).
    Local,
    /// The objects of its link unit (hidden and internal visibility).
    Hidden,
    /// Everyone, including later link units.
    Default,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SymbolDef {
    Defined {
        block: BlockId,
        offset: u64,
    },
    /// Not defined here: resolved by name against other graphs, archives and the host.
    External,
    /// A fixed address from the object itself (`SHN_ABS`), or 0 for an
    /// undefined weak reference: nothing is known to be there.
    Absolute(u64),
    /// Resolved outside the unit (a host library or an earlier unit): data
    /// symbols have `size` readable bytes at the address, which copy
    /// relocations may copy.
    Outside(u64),
    /// A tentative definition, turned into zero-fill by resolution.
    Common {
        size: u64,
        align: u64,
    },
}

#[derive(Debug, Clone)]
pub struct Symbol {
    pub name: Option<Arc<str>>,
    pub def: SymbolDef,
    pub size: u64,
    pub linkage: Linkage,
    pub scope: Scope,
    pub is_function: bool,
    pub file: FileId,
}

impl Symbol {
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or("<anonymous>")
    }
}

/// Sections, blocks and symbols of one object (or of a link unit after merging).
#[derive(Debug, Default)]
pub struct LinkGraph {
    pub files: Vec<InputFile>,
    sections: Vec<Section>,
    blocks: Vec<Block>,
    symbols: Vec<Symbol>,
    /// Some object asked for an executable stack (`.note.GNU-stack` with `x`).
    pub needs_executable_stack: Vec<FileId>,
    /// Calls the executor makes at finalize and deallocation, added by passes.
    pub alloc_actions: Vec<AllocAction>,
    /// COMDAT groups in input order: signature and member sections.
    pub comdat_groups: Vec<(Arc<str>, Vec<SectionId>)>,
    /// Blocks of COMDAT groups whose other copy was kept: never live.
    pub discarded_blocks: Vec<BlockId>,
    /// NoAlloc output sections (DWARF), relocated in controller memory by the fixup phase.
    pub noalloc_outputs: Vec<NoAllocOutput>,
    /// Thread-local variables of the host that symbols resolved to (set by resolution).
    pub host_tls: std::collections::HashMap<SymbolId, HostTls>,
    /// The symbols of the unit's TLS image (set by layout): debuggers find
    /// thread-local variables through them (see `docs/architecture.md`).
    pub tls_symbols: Vec<TlsSymbol>,
    /// Extra (non-allocated) sections for the TLS image, added by plugins at
    /// `pre_tls_image`: DWARF that debuggers resolve against its TLS block.
    pub tls_image_sections: Vec<NoAllocOutput>,
    /// Relocations of NoAlloc sections not made edges yet (see
    /// [`PendingRelocations`]).
    pub pending_relocations: Vec<PendingRelocations>,
    /// Where resolution sent each symbol's references (a definition of the
    /// same name), kept while relocations are pending: their edges go there
    /// too when they are made.
    pub redirects: Vec<Option<SymbolId>>,
}

/// The relocations of a NoAlloc (debug) section, left in the input file: a
/// builder told to (`GraphBuilderOptions::defer_debug_relocations`) does not
/// make the hundreds of thousands of DWARF relocations of a large object
/// edges while the link waits; `elf::materialize_relocations` does, when the
/// DWARF is relocated (on the background worker).
#[derive(Debug, Clone)]
pub struct PendingRelocations {
    pub block: BlockId,
    pub file: FileId,
    /// The `SHT_RELA` section's index in the file.
    pub rela_section: usize,
    /// The file's symbols by ELF symbol index, numbered as in the file's own
    /// graph: add `symbol_base`.
    pub symbols: Arc<[Option<SymbolId>]>,
    pub symbol_base: u32,
}

/// A named thread-local variable of the unit, as the TLS image's symbol
/// table lists it: debuggers resolve TLS only through loaded shared objects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSymbol {
    pub name: Arc<str>,
    /// Offset in the unit's TLS block (what `DW_OP_form_tls_address` takes).
    pub offset: u64,
    pub size: u64,
    pub global: bool,
}

/// A thread-local variable defined in the host (a shared library's PT_TLS).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostTls {
    /// The module id `__tls_get_addr` knows the library's block by.
    pub module_id: u64,
    /// The variable's offset in that block.
    pub offset: u64,
    /// The variable's offset from the thread pointer, when the library's block
    /// is in static TLS (the same in every thread); `None` for dynamic TLS.
    pub tp_offset: Option<i64>,
}

/// A NoAlloc output section: every input section of one name, side by side,
/// as a static linker lays them out; block addresses are offsets into it.
#[derive(Debug, Clone, Default)]
pub struct NoAllocOutput {
    pub name: String,
    pub bytes: Vec<u8>,
}

impl LinkGraph {
    pub fn new() -> Self {
        Self::default()
    }

    /// Room for `sections` more sections and blocks (an object's section
    /// count bounds both): a graph of one object grew its vectors three
    /// times over.
    pub fn reserve_sections(&mut self, sections: usize) {
        self.sections.reserve(sections);
        self.blocks.reserve(sections);
    }

    /// Room for `files` more files with `sections` sections (and blocks)
    /// and `symbols` symbols in all: vectors grown once instead of a
    /// doubling at a time (each doubling a copy into fresh pages).
    pub fn reserve(&mut self, files: usize, sections: usize, symbols: usize) {
        self.files.reserve(files);
        self.sections.reserve(sections);
        self.blocks.reserve(sections);
        self.symbols.reserve(symbols);
    }

    pub fn add_file(&mut self, file: InputFile) -> FileId {
        self.files.push(file);
        FileId::from_index(self.files.len() - 1)
    }

    pub fn file_name(&self, file: FileId) -> &str {
        &self.files[file.index()].name
    }

    /// Appends a section as given; prefer [`create_section`](Self::create_section).
    pub fn add_section(&mut self, section: Section) -> SectionId {
        self.sections.push(section);
        SectionId::from_index(self.sections.len() - 1)
    }

    /// Appends a block to its section as given; prefer the `create_*_block`
    /// constructors.
    pub fn add_block(&mut self, block: Block) -> BlockId {
        let section = block.section;
        self.blocks.push(block);
        let id = BlockId::from_index(self.blocks.len() - 1);
        self.sections[section.index()].blocks.push(id);
        id
    }

    /// Appends a symbol as given; prefer the `add_*_symbol` constructors
    /// (copies of a symbol, as copy relocations make, come here).
    pub fn add_symbol(&mut self, symbol: Symbol) -> SymbolId {
        self.symbols.push(symbol);
        SymbolId::from_index(self.symbols.len() - 1)
    }

    pub fn section(&self, id: SectionId) -> &Section {
        &self.sections[id.index()]
    }
    pub fn section_mut(&mut self, id: SectionId) -> &mut Section {
        &mut self.sections[id.index()]
    }
    pub fn block(&self, id: BlockId) -> &Block {
        &self.blocks[id.index()]
    }
    pub fn block_mut(&mut self, id: BlockId) -> &mut Block {
        &mut self.blocks[id.index()]
    }
    pub fn symbol(&self, id: SymbolId) -> &Symbol {
        &self.symbols[id.index()]
    }
    pub fn symbol_mut(&mut self, id: SymbolId) -> &mut Symbol {
        &mut self.symbols[id.index()]
    }

    pub fn section_ids(&self) -> impl Iterator<Item = SectionId> + use<> {
        (0..self.sections.len()).map(SectionId::from_index)
    }
    pub fn block_ids(&self) -> impl Iterator<Item = BlockId> + use<> {
        (0..self.blocks.len()).map(BlockId::from_index)
    }
    pub fn symbol_ids(&self) -> impl Iterator<Item = SymbolId> + use<> {
        (0..self.symbols.len()).map(SymbolId::from_index)
    }
    pub fn sections(&self) -> &[Section] {
        &self.sections
    }
    pub fn blocks(&self) -> &[Block] {
        &self.blocks
    }
    pub fn blocks_mut(&mut self) -> &mut [Block] {
        &mut self.blocks
    }
    pub fn symbols(&self) -> &[Symbol] {
        &self.symbols
    }

    /// The block's bytes (zero-fill blocks have none).
    pub fn block_bytes(&self, id: BlockId) -> &[u8] {
        let block = &self.blocks[id.index()];
        match &block.content {
            Content::Input { start, end } => {
                let file = self.sections[block.section.index()].file;
                &(*self.files[file.index()].data).as_ref()[*start..*end]
            }
            Content::Owned(bytes) => bytes,
            Content::Zero => &[],
        }
    }

    /// The executor address of a symbol; `None` while unresolved or unallocated.
    pub fn symbol_addr(&self, id: SymbolId) -> Option<u64> {
        match self.symbols[id.index()].def {
            SymbolDef::Defined { block, offset } => {
                let b = &self.blocks[block.index()];
                if !b.live {
                    return None;
                }
                // NoAlloc blocks' addresses are offsets in their output section, 0 included.
                let noalloc = self.sections[b.section.index()].lifetime == MemLifetime::NoAlloc;
                (noalloc || b.addr.0 != 0).then(|| b.addr.0 + offset)
            }
            SymbolDef::Absolute(addr) | SymbolDef::Outside(addr) => Some(addr),
            SymbolDef::External | SymbolDef::Common { .. } => None,
        }
    }

    /// Whether a block belongs to a NoAlloc section.
    pub fn is_noalloc(&self, id: BlockId) -> bool {
        self.sections[self.blocks[id.index()].section.index()].lifetime == MemLifetime::NoAlloc
    }

    /// `file(section)` of a block, for messages.
    pub fn block_origin(&self, id: BlockId) -> (String, String) {
        let section = &self.sections[self.blocks[id.index()].section.index()];
        (
            self.file_name(section.file).to_string(),
            section.name.clone(),
        )
    }

    /// Appends `other` to this graph, renumbering its ids.
    pub fn merge(&mut self, other: LinkGraph) {
        let file_base = self.files.len() as u32;
        let section_base = self.sections.len() as u32;
        let block_base = self.blocks.len() as u32;
        let symbol_base = self.symbols.len() as u32;
        self.files.extend(other.files);
        self.sections
            .extend(other.sections.into_iter().map(|mut s| {
                s.file = FileId(s.file.0 + file_base);
                for b in &mut s.blocks {
                    b.0 += block_base;
                }
                s
            }));
        self.blocks.extend(other.blocks.into_iter().map(|mut b| {
            b.section = SectionId(b.section.0 + section_base);
            for e in &mut b.edges {
                e.target = SymbolId(e.target.0 + symbol_base);
            }
            b
        }));
        self.symbols.extend(other.symbols.into_iter().map(|mut s| {
            s.file = FileId(s.file.0 + file_base);
            if let SymbolDef::Defined { block, .. } = &mut s.def {
                block.0 += block_base;
            }
            s
        }));
        self.needs_executable_stack.extend(
            other
                .needs_executable_stack
                .into_iter()
                .map(|f| FileId(f.0 + file_base)),
        );
        self.alloc_actions.extend(other.alloc_actions);
        self.pending_relocations
            .extend(other.pending_relocations.into_iter().map(|mut p| {
                p.block.0 += block_base;
                p.file.0 += file_base;
                p.symbol_base += symbol_base;
                p
            }));
        self.discarded_blocks.extend(
            other
                .discarded_blocks
                .into_iter()
                .map(|b| BlockId(b.0 + block_base)),
        );
        self.comdat_groups
            .extend(other.comdat_groups.into_iter().map(|(name, sections)| {
                let sections = sections
                    .into_iter()
                    .map(|s| SectionId(s.0 + section_base))
                    .collect();
                (name, sections)
            }));
    }
}
