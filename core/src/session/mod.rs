//! Sessions and JIT dylibs: link units of objects and archives against each
//! other, earlier units and the host, and keep what they export.

mod copy_relocs;
mod inputs;
mod parse;
mod redirectable;
mod resolve;
mod toolchain;
mod unit_symbols;

use foldhash::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::elf::{Archive, GraphBuilderOptions};
use crate::error::{Error, Result};
use crate::executor::ExecutorControl;
use crate::graph::{ExecutorAddr, InputFile, LinkGraph, Linkage, Scope, SymbolDef};
use crate::link::{
    background, run_pipeline, DeadStrip, Initializers, LayoutReport, PassConfig, Plugin, Timings,
};
use crate::memory::{FinalizedAlloc, Placement};

pub use inputs::{read_input, read_inputs};
pub use parse::ParsedUnit;
pub use toolchain::find_libgcc;
pub use unit_symbols::UnitSymbols;

/// Options that hold for every link of a session.
#[derive(Debug, Clone)]
pub struct SessionOptions {
    /// Which blocks survive dead-stripping.
    pub dead_strip: DeadStrip,
    /// Pull compiler helpers (`__divti3`, `__popcountdi2`, decimal float) from
    /// libgcc.a when nothing else defines them.
    pub use_libgcc: bool,
    /// Parse objects on several threads.
    pub parallel: bool,
    /// Keep DWARF (`.debug_*`) as NoAlloc sections, relocated in controller memory.
    pub debug_info: bool,
    /// The shared library loaded when C++ symbols are still undefined after the
    /// host lookup (what g++ and clang++ link by default); `None` loads nothing.
    pub cxx_runtime: Option<String>,
    /// Let plugins' deferred passes (debug objects, crash-report tables) and
    /// the DWARF relocation they need run on the background worker, after
    /// the link returns, while no debugger is attached and when the unit's
    /// debug information is large enough for it to pay
    /// ([`link::background`](crate::link::background)). Otherwise they run
    /// before the link returns.
    pub background: bool,
    /// Fill [`LinkedUnit::layout`] with every segment, section and symbol
    /// (`lantern link --print-layout`). Without it the report holds only the
    /// placement: building it cost a runtime that links and removes small
    /// units a tenth of each cycle.
    pub layout_report: bool,
    /// Keep each phase's wall time in [`LinkedUnit::timings`] (`--timings`);
    /// otherwise they are dropped with the link (their vector cost a kept
    /// unit 512 bytes).
    pub timings: bool,
}

impl Default for SessionOptions {
    fn default() -> Self {
        SessionOptions {
            dead_strip: DeadStrip::KeepGlobals,
            use_libgcc: true,
            parallel: true,
            debug_info: false,
            cxx_runtime: Some("libstdc++.so.6".into()),
            background: false,
            layout_report: false,
            timings: false,
        }
    }
}

/// The objects and archives linked together as one unit: one allocation, one
/// set of symbols, removed together.
#[derive(Default, Clone)]
pub struct LinkUnit {
    pub objects: Vec<InputFile>,
    pub archives: Vec<InputFile>,
}

impl LinkUnit {
    /// Adds an object or archive held in memory (a compiler's output buffer);
    /// `name` is what messages call it.
    pub fn add_bytes(&mut self, name: &str, bytes: Vec<u8>) {
        let is_archive = bytes.starts_with(b"!<arch>\n");
        let file = InputFile {
            name: name.into(),
            data: Arc::new(bytes),
        };
        if is_archive {
            self.archives.push(file);
        } else {
            self.objects.push(file);
        }
    }

    /// Adds a file by path: `.a` files are archives, anything else an object.
    pub fn add_path(&mut self, path: &Path) -> Result<()> {
        let file = read_input(path)?;
        self.add_file(file);
        Ok(())
    }

    /// Adds files by path, as [`add_path`](Self::add_path) does one by one,
    /// reading the small ones into one buffer ([`read_inputs`]): what a
    /// runtime or the command line linking many small objects at once wants.
    pub fn add_paths<P: AsRef<Path>>(&mut self, paths: &[P]) -> Result<()> {
        for file in read_inputs(paths)? {
            self.add_file(file);
        }
        Ok(())
    }

    fn add_file(&mut self, file: InputFile) {
        let bytes = (*file.data).as_ref();
        if bytes.starts_with(b"!<arch>\n") || bytes.starts_with(b"!<thin>\n") {
            self.archives.push(file);
        } else {
            self.objects.push(file);
        }
    }
}

/// A symbol exported by a linked unit.
#[derive(Debug, Clone, Copy)]
pub struct ExportedSymbol {
    pub addr: ExecutorAddr,
    pub is_function: bool,
    pub size: u64,
}

/// A unit once linked: its memory, symbols and initializers.
///
/// Kept small (40 bytes, and a few allocations of its own): a runtime keeps
/// a million of these. What few units have (initializers, an executable
/// stack, a layout report, timings) lives in one box, allocated only when
/// there is something in it.
pub struct LinkedUnit {
    pub alloc: FinalizedAlloc,
    /// Every named symbol the unit defines (local ones too), for lookup and
    /// reports; those it put in the dylib are marked exported.
    pub symbols: UnitSymbols,
    extras: Option<Box<UnitExtras>>,
}

/// The parts of a [`LinkedUnit`] most units leave empty.
#[derive(Default)]
struct UnitExtras {
    initializers: Initializers,
    layout: LayoutReport,
    timings: Timings,
    executable_stack_requested_by: Vec<String>,
    /// Cleared when the unit is removed, so its deferred passes, if they
    /// have not run yet, are skipped. Only units with passes in the
    /// background have one.
    alive: Option<Arc<AtomicBool>>,
}

impl UnitExtras {
    /// `None` when every part is empty.
    fn boxed(self) -> Option<Box<Self>> {
        let empty = self.initializers.preinit.is_empty()
            && self.initializers.init.is_empty()
            && self.initializers.fini.is_empty()
            && self.layout.placement == Placement::Anywhere
            && self.layout.segments.is_empty()
            && self.layout.sections.is_empty()
            && self.layout.symbols.is_empty()
            && self.layout.got_entries == 0
            && self.layout.stubs == 0
            && self.timings.phases.is_empty()
            && self.executable_stack_requested_by.is_empty()
            && self.alive.is_none();
        (!empty).then(|| Box::new(self))
    }
}

static NO_EXTRAS: UnitExtras = UnitExtras {
    initializers: Initializers {
        preinit: Vec::new(),
        init: Vec::new(),
        fini: Vec::new(),
    },
    layout: LayoutReport {
        placement: Placement::Anywhere,
        segments: Vec::new(),
        sections: Vec::new(),
        symbols: Vec::new(),
        got_entries: 0,
        stubs: 0,
    },
    timings: Timings { phases: Vec::new() },
    executable_stack_requested_by: Vec::new(),
    alive: None,
};

impl std::fmt::Debug for LinkedUnit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkedUnit")
            .field("alloc", &self.alloc)
            .field("symbols", &self.symbols.len())
            .finish()
    }
}

impl LinkedUnit {
    pub fn lookup(&self, name: &str) -> Option<ExecutorAddr> {
        self.symbols.get(name).map(|s| s.addr)
    }

    fn extras(&self) -> &UnitExtras {
        self.extras.as_deref().unwrap_or(&NO_EXTRAS)
    }

    /// The functions to call before the entry point and at exit.
    pub fn initializers(&self) -> &Initializers {
        &self.extras().initializers
    }

    /// Where the unit was placed and, with
    /// [`SessionOptions::layout_report`], every segment, section and symbol.
    pub fn layout(&self) -> &LayoutReport {
        &self.extras().layout
    }

    /// Each phase's wall time, with [`SessionOptions::timings`].
    pub fn timings(&self) -> &Timings {
        &self.extras().timings
    }

    /// Objects that asked for an executable stack.
    pub fn executable_stack_requested_by(&self) -> &[String] {
        &self.extras().executable_stack_requested_by
    }
}

/// Symbols exported by the units linked so far.
#[derive(Default)]
pub struct JitDylib {
    symbols: HashMap<String, ExportedSymbol>,
    /// Names whose `symbols` entry is a stub (redirectable symbols): a unit
    /// defining one defines an implementation, not a duplicate.
    redirectable: foldhash::HashSet<String>,
}

impl JitDylib {
    pub fn lookup(&self, name: &str) -> Option<ExportedSymbol> {
        self.symbols.get(name).copied()
    }
}

/// Links units into an executor.
pub struct Session {
    executor: Arc<dyn ExecutorControl>,
    plugins: Vec<Arc<dyn Plugin>>,
    options: SessionOptions,
    dylib: Mutex<JitDylib>,
    /// The graph of the last link made under a debugger, dropped at the
    /// next link (or with the session) instead of before the program runs:
    /// on 1,000 objects, freeing its vectors and unmapping its inputs was
    /// 4.5M instructions (callgrind), about a millisecond of the session.
    retired: Mutex<Option<LinkGraph>>,
}

impl Session {
    pub fn new(executor: Arc<dyn ExecutorControl>, options: SessionOptions) -> Self {
        Session {
            executor,
            plugins: Vec::new(),
            options,
            dylib: Mutex::new(JitDylib::default()),
            retired: Mutex::new(None),
        }
    }

    pub fn add_plugin(&mut self, plugin: Arc<dyn Plugin>) {
        self.plugins.push(plugin);
    }

    pub fn executor(&self) -> &Arc<dyn ExecutorControl> {
        &self.executor
    }

    /// Looks a symbol up among the units linked so far, ready to call: what
    /// plugins deferred is done first (see [`Session::prepare_to_run`]).
    pub fn lookup(&self, name: &str) -> Option<ExecutorAddr> {
        if let Err(e) = self.prepare_to_run() {
            log::warn!("before lookup of `{name}`: {e}");
        }
        self.lock_dylib().lookup(name).map(|s| s.addr)
    }

    /// Makes the units linked so far ready to run: plugins finish what they
    /// batched across links (with batched debugger registration, the pending
    /// units' debug objects are registered, merged). Call it before calling
    /// an address taken from [`LinkedUnit::lookup`] or running initializers;
    /// [`Session::lookup`] calls it.
    ///
    /// With [`SessionOptions::background`], when a debugger has attached
    /// since some units were linked, their deferred work is waited for first,
    /// so that the debugger knows every unit before its code runs.
    pub fn prepare_to_run(&self) -> Result<()> {
        if self.options.background && background::pending() > 0 && self.executor.debugger_attached()
        {
            background::wait_idle(None);
        }
        for plugin in &self.plugins {
            plugin.before_run(self.executor.as_ref())?;
        }
        Ok(())
    }

    fn lock_dylib(&self) -> std::sync::MutexGuard<'_, JitDylib> {
        self.dylib.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// libgcc.a, read once per process: a mapping per session would cap a
    /// process at `vm.max_map_count` sessions (a session per unit is common).
    fn libgcc(&self) -> Option<InputFile> {
        static LIBGCC: std::sync::OnceLock<Option<InputFile>> = std::sync::OnceLock::new();
        LIBGCC
            .get_or_init(|| find_libgcc().and_then(|path| read_input(&path).ok()))
            .clone()
    }

    /// Parses, resolves, links and finalizes a unit.
    pub fn link(&self, unit: LinkUnit) -> Result<LinkedUnit> {
        self.link_unit(unit, true)
    }

    /// Links a private unit: like [`Session::link`], but its symbols go to
    /// its [`LinkedUnit`] only, not to the session's dylib, so later units
    /// do not see them and private units may define the same names (a
    /// runtime that compiles every query to a function `query`, say, and
    /// keeps thousands of them). Its own undefined symbols resolve as
    /// usual. One session for many units costs far less than a session each.
    pub fn link_private(&self, unit: LinkUnit) -> Result<LinkedUnit> {
        self.link_unit(unit, false)
    }

    fn link_unit(&self, unit: LinkUnit, export: bool) -> Result<LinkedUnit> {
        let parsed = ParsedUnit::parse_with(unit, self.builder_options(), self.options.parallel)?;
        self.link_merged(parsed.graph, parsed.archives, parsed.timings, export)
    }

    /// Links a unit parsed ahead ([`ParsedUnit::parse`], while the executor
    /// was starting, say) as [`Session::link`] would; one parsed with other
    /// options than this session's is parsed again.
    pub fn link_parsed(&self, parsed: ParsedUnit) -> Result<LinkedUnit> {
        let options = self.builder_options();
        let parsed = if parsed.options == options {
            parsed
        } else {
            log::debug!("the unit was parsed with other options than the session's: parsing again");
            ParsedUnit::parse_with(parsed.unit, options, self.options.parallel)?
        };
        self.link_merged(parsed.graph, parsed.archives, parsed.timings, true)
    }

    /// Resolves, links and finalizes a graph built by hand (stubs,
    /// trampolines; see [`graph::constructors`](crate::graph)) as a unit of
    /// its own: the same passes as for objects, so W^X, `.eh_frame`
    /// registration and debug objects apply to it too.
    pub fn link_graph(&self, graph: LinkGraph) -> Result<LinkedUnit> {
        self.link_merged(graph, Vec::new(), Timings::default(), true)
    }

    /// Makes `name` a redirectable symbol whose stub is at `stub`: later
    /// units resolve `name` to the stub, and a later unit that defines
    /// `name` defines an implementation (kept out of the dylib, reached
    /// through the stub; its own address-taking uses get the stub too, so
    /// `&name` is one address everywhere). Errors if another unit exports
    /// `name` already.
    pub fn define_redirectable(&self, name: &str, stub: ExportedSymbol) -> Result<()> {
        let mut dylib = self.lock_dylib();
        if dylib.symbols.contains_key(name) {
            return Err(Error::DuplicateSymbol {
                name: name.to_string(),
                first: "an earlier link unit".into(),
                second: "a redirectable symbol's stub".into(),
            });
        }
        dylib.symbols.insert(name.to_string(), stub);
        dylib.redirectable.insert(name.to_string());
        Ok(())
    }

    /// Forgets the redirectable symbol `name` (its stub unit is being removed).
    pub fn remove_redirectable(&self, name: &str) {
        let mut dylib = self.lock_dylib();
        if dylib.redirectable.remove(name) {
            dylib.symbols.remove(name);
        }
    }

    /// Whether `name` is a redirectable symbol ([`Session::define_redirectable`]).
    pub fn is_redirectable(&self, name: &str) -> bool {
        self.lock_dylib().redirectable.contains(name)
    }

    fn link_merged(
        &self,
        mut graph: LinkGraph,
        archives: Vec<Archive>,
        mut timings: Timings,
        export: bool,
    ) -> Result<LinkedUnit> {
        let libgcc = if self.options.use_libgcc {
            self.libgcc()
        } else {
            None
        };
        {
            let dylib = self.lock_dylib();
            timings.record("resolve", || {
                resolve::resolve(
                    &mut graph,
                    archives,
                    libgcc,
                    self.options.cxx_runtime.as_deref(),
                    resolve::EarlierUnits {
                        dylib: &dylib,
                        exporting: export,
                    },
                    self.executor.as_ref(),
                    &self.builder_options(),
                )
            })?;
        }

        {
            let dylib = self.lock_dylib();
            if export && !dylib.redirectable.is_empty() {
                redirectable::use_stubs_for_addresses(&mut graph, &dylib);
            }
        }
        copy_relocs::add_copy_relocations(&mut graph, self.executor.as_ref())?;

        let mut config = PassConfig::default();
        for plugin in &self.plugins {
            plugin.modify_pass_config(&mut config);
        }
        // Under a debugger, every pass runs before the link returns: a
        // worker thread alive at the first stop would change what the
        // session prints (`Thread 1 "lantern" hit Breakpoint 1`, `[New
        // Thread ...]`) depending on timing, and users' scripted sessions
        // compare that output.
        let debugger_attached = self.executor.debugger_attached();
        let in_background = self.options.background
            && noalloc_bytes(&graph) >= background::WORTH_IT
            && !debugger_attached;
        let mut linked = run_pipeline(
            &mut graph,
            self.executor.as_ref(),
            config,
            &self.options.dead_strip,
            in_background,
            self.options.layout_report,
            &mut timings,
        )?;
        let mut deferred = std::mem::take(&mut linked.deferred);
        if !in_background && !deferred.is_empty() {
            let result = timings.record("deferred passes", || {
                std::mem::take(&mut deferred).run(&mut graph, self.executor.as_ref())
            });
            if let Err(e) = result {
                // The dealloc actions undo what the passes registered.
                linked.alloc.deallocate()?;
                return Err(e);
            }
        }

        let executable_stack_requested_by: Vec<String> = graph
            .needs_executable_stack
            .iter()
            .map(|&f| graph.file_name(f).to_string())
            .collect();
        if !executable_stack_requested_by.is_empty() {
            self.executor.make_stack_executable()?;
            log::info!(
                "made the stack executable, as requested by {}",
                executable_stack_requested_by.join(", ")
            );
        }

        // (name, symbol, exported, default scope), in the graph's order.
        let mut found: Vec<(&str, ExportedSymbol, bool, bool)> = Vec::new();
        let mut dylib = self.lock_dylib();
        // Resolution checked this unit's strong names against the dylib as it
        // was then; a unit linked at the same time may have exported one since.
        if let Some((name, file)) = strong_exports(&graph).find(|(name, _)| {
            export && dylib.symbols.contains_key(*name) && !dylib.redirectable.contains(*name)
        }) {
            let error = Error::DuplicateSymbol {
                name: name.to_string(),
                first: "a link unit linked at the same time".into(),
                second: file.to_string(),
            };
            drop(dylib);
            // The dealloc actions undo the finalize actions (registrations).
            linked.alloc.deallocate()?;
            return Err(error);
        }
        for id in graph.symbol_ids() {
            let sym = graph.symbol(id);
            let (Some(name), SymbolDef::Defined { block, .. }) = (&sym.name, sym.def) else {
                continue;
            };
            if !graph.block(block).live {
                continue;
            }
            let Some(addr) = graph.symbol_addr(id) else {
                continue;
            };
            let symbol = ExportedSymbol {
                addr: ExecutorAddr(addr),
                is_function: sym.is_function,
                size: sym.size,
            };
            let default = sym.scope == Scope::Default;
            // The first unit to export a name keeps it (a later weak definition stays private).
            // A redirectable symbol's name stays with its stub.
            let exported = default && export && !dylib.symbols.contains_key(&**name);
            if exported {
                dylib.symbols.insert(String::from(&**name), symbol);
            }
            found.push((&**name, symbol, exported, default));
        }
        drop(dylib);
        let symbols = UnitSymbols::build(unit_symbol_choice(found));
        let alive =
            (in_background && !deferred.is_empty()).then(|| Arc::new(AtomicBool::new(true)));
        if in_background && !deferred.is_empty() {
            log::info!(
                "reading the debug information of {} in the background",
                graph
                    .files
                    .iter()
                    .map(|f| &*f.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let executor = self.executor.clone();
            let still_alive = alive.clone().expect("made for deferred passes");
            background::submit(Box::new(move || {
                // A unit removed before its turn needs nothing more.
                if !still_alive.load(Ordering::SeqCst) {
                    return;
                }
                if let Err(e) = deferred.run(&mut graph, executor.as_ref()) {
                    let files: Vec<&str> = graph.files.iter().map(|f| &*f.name).collect();
                    log::warn!(
                        "debug information of {} is not available to debuggers and crash reports: {e}",
                        files.join(", ")
                    );
                }
            }));
        } else if debugger_attached {
            let previous = self
                .retired
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .replace(graph);
            drop(previous);
        }
        Ok(LinkedUnit {
            alloc: linked.alloc,
            symbols,
            extras: UnitExtras {
                initializers: linked.initializers,
                layout: linked.layout,
                timings: if self.options.timings {
                    timings
                } else {
                    Timings::default()
                },
                executable_stack_requested_by,
                alive,
            }
            .boxed(),
        })
    }

    /// Removes a unit: its symbols leave the dylib, dealloc actions run, memory goes.
    pub fn remove(&self, unit: LinkedUnit) -> Result<()> {
        if let Some(alive) = &unit.extras().alive {
            alive.store(false, Ordering::SeqCst);
        }
        {
            let mut dylib = self.lock_dylib();
            for name in unit.symbols.exported() {
                dylib.symbols.remove(name);
            }
        }
        unit.alloc.deallocate()
    }

    fn builder_options(&self) -> GraphBuilderOptions {
        GraphBuilderOptions {
            debug_info: self.options.debug_info,
            defer_debug_relocations: self.options.background,
            noalloc_sections: self
                .plugins
                .iter()
                .flat_map(|plugin| plugin.noalloc_sections())
                .collect(),
        }
    }
}

/// The bytes of the graph's NoAlloc (debug) sections: what deferred passes
/// mostly read.
/// One symbol a name for the unit's table: of a name's definitions (in the
/// graph's order), the last of default scope, else the first. Sorted by name.
fn unit_symbol_choice(
    mut found: Vec<(&str, ExportedSymbol, bool, bool)>,
) -> Vec<(&str, ExportedSymbol, bool)> {
    // Stable: equal names keep the graph's order.
    found.sort_by(|a, b| a.0.cmp(b.0));
    let mut chosen: Vec<(&str, ExportedSymbol, bool)> = Vec::with_capacity(found.len());
    for group in found.chunk_by(|a, b| a.0 == b.0) {
        let pick = group.iter().rev().find(|s| s.3).unwrap_or(&group[0]);
        chosen.push((pick.0, pick.1, pick.2));
    }
    chosen
}

fn noalloc_bytes(graph: &LinkGraph) -> u64 {
    graph
        .sections()
        .iter()
        .filter(|s| s.lifetime == crate::graph::MemLifetime::NoAlloc)
        .flat_map(|s| &s.blocks)
        .map(|&b| graph.block(b).size)
        .sum()
}

/// The live, strong, default-visibility definitions a unit exports, with the
/// file that defines each.
fn strong_exports(graph: &LinkGraph) -> impl Iterator<Item = (&str, &str)> + '_ {
    graph.symbol_ids().filter_map(move |id| {
        let sym = graph.symbol(id);
        let (Some(name), SymbolDef::Defined { block, .. }) = (&sym.name, sym.def) else {
            return None;
        };
        (graph.block(block).live && sym.scope == Scope::Default && sym.linkage == Linkage::Strong)
            .then(|| (&**name, graph.file_name(sym.file)))
    })
}

#[cfg(test)]
mod tests {
    /// Embedders link, look up and remove from several threads at once.
    #[test]
    fn sessions_and_units_cross_threads() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<super::Session>();
        send_sync::<super::LinkedUnit>();
    }

    #[test]
    fn a_unit_table_keeps_the_last_default_definition_else_the_first() {
        let sym = |addr| super::ExportedSymbol {
            addr: super::ExecutorAddr(addr),
            is_function: true,
            size: 0,
        };
        // (name, symbol, exported, default scope), in graph order.
        let chosen = super::unit_symbol_choice(vec![
            ("b", sym(1), false, false),
            ("a", sym(2), true, true),
            ("b", sym(3), true, true),
            ("c", sym(4), false, false),
            ("a", sym(5), false, false),
            ("c", sym(6), false, false),
            ("b", sym(7), false, true),
        ]);
        let got: Vec<(&str, u64, bool)> = chosen.iter().map(|c| (c.0, c.1.addr.0, c.2)).collect();
        assert_eq!(got, [("a", 2, true), ("b", 7, false), ("c", 4, false)]);
    }
}
