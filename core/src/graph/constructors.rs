//! Constructors of graph content, modelled on JITLink's `LinkGraph`
//! (`createSection`, `createContentBlock`, `createZeroFillBlock`,
//! `addDefinedSymbol`, `addAnonymousSymbol`, `addExternalSymbol`,
//! `addAbsoluteSymbol`, `addCommonSymbol`): callers say what they make, and
//! the defaults (not live, no address, the file of the block) are set in one
//! place.

use std::sync::Arc;

use super::{
    Block, BlockId, Content, ExecutorAddr, FileId, LinkGraph, Linkage, MemLifetime, MemProt, Scope,
    Section, SectionId, Symbol, SymbolDef, SymbolId,
};

impl LinkGraph {
    /// A new section of `file` with no blocks: standard lifetime, not a
    /// dead-stripping root, not thread-local (set those on the section).
    /// JITLink's `LinkGraph::createSection`.
    pub fn create_section(
        &mut self,
        name: impl Into<String>,
        prot: MemProt,
        file: FileId,
    ) -> SectionId {
        self.add_section(Section {
            name: name.into(),
            prot,
            lifetime: MemLifetime::Standard,
            file,
            blocks: Vec::new(),
            keep: false,
            tls: false,
        })
    }

    /// A block holding `bytes` the linker made (GOT entries, stubs, copies),
    /// appended to `section`. Not live: dead-stripping, or the pass that
    /// adds it after dead-stripping, decides (JITLink's `createContentBlock`).
    pub fn create_content_block(
        &mut self,
        section: SectionId,
        bytes: Vec<u8>,
        align: u64,
    ) -> BlockId {
        let size = bytes.len() as u64;
        self.new_block(section, Content::Owned(bytes), size, align)
    }

    /// A block whose bytes are `range` of its section's input file, with no
    /// copy made.
    pub fn create_input_block(
        &mut self,
        section: SectionId,
        range: std::ops::Range<usize>,
        align: u64,
    ) -> BlockId {
        let size = range.len() as u64;
        let content = Content::Input {
            start: range.start,
            end: range.end,
        };
        self.new_block(section, content, size, align)
    }

    /// A block of `size` zero bytes that takes no space before allocation
    /// (JITLink's `createZeroFillBlock`).
    pub fn create_zero_fill_block(&mut self, section: SectionId, size: u64, align: u64) -> BlockId {
        self.new_block(section, Content::Zero, size, align)
    }

    fn new_block(
        &mut self,
        section: SectionId,
        content: Content,
        size: u64,
        align: u64,
    ) -> BlockId {
        self.add_block(Block {
            section,
            content,
            size,
            align,
            edges: Vec::new(),
            addr: ExecutorAddr::default(),
            live: false,
        })
    }

    /// An unnamed, local symbol at `offset` in `block`: how table entries and
    /// stubs are referred to (JITLink's `addAnonymousSymbol`).
    pub fn add_anonymous_symbol(
        &mut self,
        block: BlockId,
        offset: u64,
        size: u64,
        callable: bool,
    ) -> SymbolId {
        self.add_defined_symbol(
            block,
            offset,
            None,
            size,
            Linkage::Strong,
            Scope::Local,
            callable,
        )
    }

    /// A symbol defined at `offset` in `block`, of the block's file
    /// (JITLink's `addDefinedSymbol`; `name` is `None` for ELF section
    /// symbols and unnamed locals).
    #[allow(clippy::too_many_arguments)] // one per attribute, as JITLink's
    pub fn add_defined_symbol(
        &mut self,
        block: BlockId,
        offset: u64,
        name: Option<Arc<str>>,
        size: u64,
        linkage: Linkage,
        scope: Scope,
        callable: bool,
    ) -> SymbolId {
        let file = self.section(self.block(block).section).file;
        self.add_symbol(Symbol {
            name,
            def: SymbolDef::Defined { block, offset },
            size,
            linkage,
            scope,
            is_function: callable,
            file,
        })
    }

    /// A symbol `file` refers to but does not define: resolution binds it by
    /// name (JITLink's `addExternalSymbol`).
    pub fn add_external_symbol(
        &mut self,
        file: FileId,
        name: Option<Arc<str>>,
        size: u64,
        linkage: Linkage,
        scope: Scope,
        callable: bool,
    ) -> SymbolId {
        self.add_undefined(
            file,
            name,
            SymbolDef::External,
            size,
            (linkage, scope),
            callable,
        )
    }

    /// A symbol of `file` with a fixed value (`SHN_ABS`; JITLink's
    /// `addAbsoluteSymbol`).
    #[allow(clippy::too_many_arguments)] // one per attribute, as JITLink's
    pub fn add_absolute_symbol(
        &mut self,
        file: FileId,
        name: Option<Arc<str>>,
        value: u64,
        size: u64,
        linkage: Linkage,
        scope: Scope,
        callable: bool,
    ) -> SymbolId {
        let def = SymbolDef::Absolute(value);
        self.add_undefined(file, name, def, size, (linkage, scope), callable)
    }

    /// A tentative definition (`SHN_COMMON`) of `size` bytes: resolution
    /// makes the winning one a zero-fill block
    /// ([`create_zero_fill_block`](Self::create_zero_fill_block)).
    #[allow(clippy::too_many_arguments)] // one per attribute, as JITLink's
    pub fn add_common_symbol(
        &mut self,
        file: FileId,
        name: Option<Arc<str>>,
        size: u64,
        align: u64,
        linkage: Linkage,
        scope: Scope,
        callable: bool,
    ) -> SymbolId {
        let def = SymbolDef::Common { size, align };
        self.add_undefined(file, name, def, size, (linkage, scope), callable)
    }

    fn add_undefined(
        &mut self,
        file: FileId,
        name: Option<Arc<str>>,
        def: SymbolDef,
        size: u64,
        (linkage, scope): (Linkage, Scope),
        callable: bool,
    ) -> SymbolId {
        self.add_symbol(Symbol {
            name,
            def,
            size,
            linkage,
            scope,
            is_function: callable,
            file,
        })
    }
}
