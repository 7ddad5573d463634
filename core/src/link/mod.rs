//! The pass pipeline: prune, lower GOT/PLT, allocate, fix up, finalize.
//! Plugins add passes at each phase through [`PassConfig`].

pub mod background;
mod dead_strip;
mod fixups;
mod initializers;
mod layout;
mod output_sections;

use std::time::{Duration, Instant};

pub use crate::executor_types::Initializers;
pub use dead_strip::{dead_strip, DeadStrip};
pub use fixups::fixed_up_copies;
pub use layout::{LayoutReport, SectionReport, SegmentReport};
pub use output_sections::{output_section, OutputSection};

use crate::arch::x86_64::tables::Tables;
use crate::error::{Error, Result};
use crate::executor::{ExecutorControl, TlsImage};
use crate::graph::LinkGraph;
use crate::memory::{AllocAction, FinalizedAlloc};

/// A pass over the graph at one phase of the pipeline.
pub type Pass = Box<dyn FnMut(&mut LinkGraph) -> Result<()> + Send>;

/// A pass run once the memory is finalized: it sees the final graph and the
/// allocation (to record addresses, notify tools). If it fails, the allocation
/// is deallocated and the link fails.
pub type FinalizedPass = Box<dyn FnMut(&LinkGraph, &FinalizedAlloc) -> Result<()> + Send>;

/// Work on the finished graph that no JIT'd code needs before it runs (see
/// [`PassConfig::deferred`]).
pub type DeferredPass = Box<dyn FnOnce(&LinkGraph, &dyn ExecutorControl) -> Result<()> + Send>;

/// The passes run at each phase, in order; plugins append to them.
#[derive(Default)]
pub struct PassConfig {
    /// Before dead-stripping: mark extra roots, add blocks.
    pub pre_prune: Vec<Pass>,
    /// Right after dead-stripping, before GOT/PLT lowering: adjust liveness.
    pub prune: Vec<Pass>,
    /// After dead-stripping and GOT/PLT lowering, before allocation.
    pub post_prune: Vec<Pass>,
    /// Addresses assigned, nothing written yet.
    pub post_allocation: Vec<Pass>,
    /// DWARF relocated (`noalloc_outputs`) and the TLS image's symbols known
    /// (`tls_symbols`), just before the TLS image is loaded: add sections for
    /// it to `tls_image_sections`. Runs only for units with TLS.
    pub pre_tls_image: Vec<Pass>,
    /// Just before fixups (after GOT/stub relaxation).
    pub pre_fixup: Vec<Pass>,
    /// After fixups, before finalization: add allocation actions here.
    pub post_fixup: Vec<Pass>,
    /// After finalization (protections set, finalize actions run).
    pub finalized: Vec<FinalizedPass>,
    /// After the link, with the finished graph, its DWARF relocated
    /// (`noalloc_outputs`). In a session that allows it
    /// ([`SessionOptions::background`](crate::session::SessionOptions)) and
    /// while no debugger is attached, they run on the [`background`] worker
    /// after the link has returned, in link order; otherwise at the end of the
    /// link, where a failure fails it. Allocation actions are closed by then:
    /// a deferred pass that must be undone adds its dealloc action earlier
    /// (`post_fixup`) and copes with running after it.
    pub deferred: Vec<DeferredPass>,
    /// A pass before the deferred ones reads `noalloc_outputs`: relocate
    /// DWARF in the pipeline even when the deferred passes run later.
    pub debug_info_in_pipeline: bool,
}

/// A plugin extends the pipeline; it knows the graph, not the linker's internals.
pub trait Plugin: Send + Sync {
    fn name(&self) -> &str;
    fn modify_pass_config(&self, config: &mut PassConfig);
    /// Non-allocated sections (by name) the plugin reads: the builder keeps
    /// them as NoAlloc sections, relocated in controller memory (DWARF is
    /// kept when the session asks for debug information). Read their
    /// fixed-up bytes with [`fixed_up_copies`] from `post_allocation` on.
    fn noalloc_sections(&self) -> Vec<String> {
        Vec::new()
    }
    /// Called before code of the units linked so far may run
    /// ([`Session::lookup`](crate::session::Session::lookup),
    /// [`Session::prepare_to_run`](crate::session::Session::prepare_to_run)):
    /// plugins that batch work across links (deferred debugger registration)
    /// finish it here.
    fn before_run(&self, _executor: &dyn ExecutorControl) -> Result<()> {
        Ok(())
    }
}

/// Wall time of each phase of one link.
#[derive(Debug, Default, Clone)]
pub struct Timings {
    pub phases: Vec<(&'static str, Duration)>,
}

impl Timings {
    pub fn record<T>(&mut self, phase: &'static str, f: impl FnOnce() -> T) -> T {
        let start = Instant::now();
        let result = f();
        self.add(phase, start.elapsed());
        result
    }

    pub fn add(&mut self, phase: &'static str, duration: Duration) {
        match self.phases.iter_mut().find(|(p, _)| *p == phase) {
            Some((_, d)) => *d += duration,
            None => self.phases.push((phase, duration)),
        }
    }

    pub fn total(&self) -> Duration {
        self.phases.iter().map(|(_, d)| *d).sum()
    }
}

/// What the pipeline produced for one graph.
pub struct Linked {
    pub alloc: FinalizedAlloc,
    pub layout: LayoutReport,
    pub initializers: Initializers,
    /// What is left for after the link: [`Deferred::run`] it with the graph.
    pub deferred: Deferred,
}

/// The deferred passes of a link and what relocating its DWARF needs.
#[derive(Default)]
pub struct Deferred {
    passes: Vec<DeferredPass>,
    /// The layout, when DWARF is still to be relocated.
    plan: Option<layout::Plan>,
}

impl Deferred {
    /// Nothing to do.
    pub fn is_empty(&self) -> bool {
        self.passes.is_empty()
    }

    /// Relocates the DWARF if the pipeline did not, then runs the passes in
    /// order; stops at the first failure.
    pub fn run(self, graph: &mut LinkGraph, executor: &dyn ExecutorControl) -> Result<()> {
        if let Some(plan) = &self.plan {
            crate::elf::materialize_relocations(graph)?;
            let context = fixups::FixupContext::for_debug_info(graph, plan);
            graph.noalloc_outputs = fixups::fix_up_noalloc(graph, plan, &context)?;
        }
        for pass in self.passes {
            pass(graph, executor)?;
        }
        Ok(())
    }
}

/// What messages call a unit: its first input file, and how many others.
fn unit_name(graph: &LinkGraph) -> String {
    match graph.files.as_slice() {
        [] => "(no input files)".into(),
        [one] => one.name.to_string(),
        [first, rest @ ..] => format!("{} (and {} other files)", first.name, rest.len()),
    }
}

/// Runs the pipeline on a resolved graph (every external symbol resolved).
///
/// With `defer_debug_info`, DWARF is relocated by [`Deferred::run`] instead
/// of here, unless a pipeline pass needs it
/// ([`PassConfig::debug_info_in_pipeline`], or TLS image passes).
pub fn run_pipeline(
    graph: &mut LinkGraph,
    executor: &dyn ExecutorControl,
    mut config: PassConfig,
    dead_strip_mode: &DeadStrip,
    defer_debug_info: bool,
    layout_report: bool,
    timings: &mut Timings,
) -> Result<Linked> {
    run_passes(&mut config.pre_prune, graph)?;
    timings.record("prune", || dead_strip(graph, dead_strip_mode));
    run_passes(&mut config.prune, graph)?;
    let mut tables = Tables::new(graph);
    timings.record("got/plt", || tables.lower(graph));
    run_passes(&mut config.post_prune, graph)?;

    let plan = timings.record("layout", || layout::plan(graph))?;
    let memory = executor.memory_manager();
    let mut in_flight = timings
        .record("allocate", || memory.allocate(&plan.request))
        .map_err(|e| match e {
            // Name the unit: the memory manager only sees segment sizes.
            Error::Memory(m) => Error::Memory(format!("unit {}: {m}", unit_name(graph))),
            e => e,
        })?;
    layout::assign_addresses(graph, &plan, in_flight.as_ref());
    let mut tls_module = None;
    let relocate_debug_info_now = !plan.noalloc.is_empty()
        && (!defer_debug_info
            || config.debug_info_in_pipeline
            || (plan.tls.is_some() && !config.pre_tls_image.is_empty()));
    let result = (|| {
        run_passes(&mut config.post_allocation, graph)?;
        // DWARF needs only the layout (TLS offsets, not the module), and the
        // TLS image may carry some of it for debuggers: relocate it first.
        if relocate_debug_info_now {
            timings.record("debug relocations", || {
                crate::elf::materialize_relocations(graph)
            })?;
            let context = fixups::FixupContext::for_debug_info(graph, &plan);
            graph.noalloc_outputs = timings.record("debug fixup", || {
                fixups::fix_up_noalloc(graph, &plan, &context)
            })?;
        }
        if let Some(tls) = &plan.tls {
            // The TLS image goes to the executor's thread library, which gives
            // every thread its copy; code reaches it through (module, offset) pairs.
            let image = fixups::tls_init_image(graph, &plan)?;
            // Static models (after lowering: thread-pointer offsets) need the
            // block at a fixed offset from the thread pointer.
            let static_tls = graph
                .blocks()
                .iter()
                .filter(|b| b.live)
                .flat_map(|b| &b.edges)
                .any(|e| e.kind.is_static_tls() && !graph.host_tls.contains_key(&e.target));
            graph.tls_symbols = layout::tls_symbols(graph, tls);
            run_passes(&mut config.pre_tls_image, graph)?;
            let module = executor.load_tls_image(
                &TlsImage {
                    init: &image,
                    mem_size: tls.mem_size,
                    align: tls.align,
                    symbols: &graph.tls_symbols,
                    sections: &graph.tls_image_sections,
                },
                static_tls,
            )?;
            tls_module = Some(module);
        }
        timings.record("relax", || Tables::optimize(graph));
        run_passes(&mut config.pre_fixup, graph)?;
        let context = fixups::FixupContext::new(graph, &plan, tls_module.as_ref());
        timings.record("fixup", || {
            fixups::copy_and_fix_up(graph, &plan, &context, in_flight.as_mut())
        })?;
        run_passes(&mut config.post_fixup, graph)
    })();
    if let Err(e) = result {
        in_flight.abandon();
        if let Some(module) = &tls_module {
            executor.unload_tls_image(module);
        }
        return Err(e);
    }
    if let Some(module) = &tls_module {
        // Released when the allocation goes; registered first so it is undone last.
        graph.alloc_actions.insert(
            0,
            AllocAction {
                finalize: None,
                dealloc: Some(module.release.clone()),
            },
        );
    }
    let layout = if layout_report {
        layout::report(graph, &plan, &tables)
    } else {
        layout::placement_only(&plan)
    };
    let initializers = initializers::collect(graph);
    let actions = std::mem::take(&mut graph.alloc_actions);
    let alloc = timings.record("finalize", || in_flight.finalize(actions))?;
    for pass in &mut config.finalized {
        if let Err(e) = pass(graph, &alloc) {
            // Undo everything: dealloc actions run, memory goes.
            let _ = alloc.deallocate();
            return Err(e);
        }
    }
    let relocate_later = !relocate_debug_info_now && !plan.noalloc.is_empty();
    Ok(Linked {
        alloc,
        layout,
        initializers,
        deferred: Deferred {
            plan: (relocate_later && !config.deferred.is_empty()).then_some(plan),
            passes: config.deferred,
        },
    })
}

fn run_passes(passes: &mut [Pass], graph: &mut LinkGraph) -> Result<()> {
    passes.iter_mut().try_for_each(|pass| pass(graph))
}
