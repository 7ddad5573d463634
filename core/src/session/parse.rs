//! Parsing a unit's objects into one graph: the part of a link that needs
//! no executor, so a caller can do it while the executor starts
//! ([`ParsedUnit::parse`], [`Session::link_parsed`](super::Session::link_parsed)).

use crate::elf::{Archive, GraphBuilder, GraphBuilderOptions};
use crate::error::{Error, Result};
use crate::graph::{InputFile, LinkGraph};
use crate::link::{background, Timings};

use super::{LinkUnit, SessionOptions};

/// A unit's objects parsed and merged into one graph, and its archives read,
/// ready to be resolved and linked.
pub struct ParsedUnit {
    pub(super) graph: LinkGraph,
    pub(super) archives: Vec<Archive>,
    pub(super) timings: Timings,
    /// What the graph was built with: a session whose plugins want other
    /// sections parses the unit again.
    pub(super) options: GraphBuilderOptions,
    pub(super) unit: LinkUnit,
}

impl ParsedUnit {
    /// Parses `unit` as a session with `options` and `noalloc_sections`
    /// (what its plugins' [`Plugin::noalloc_sections`](crate::link::Plugin::noalloc_sections)
    /// return) would.
    pub fn parse(
        unit: LinkUnit,
        options: &SessionOptions,
        noalloc_sections: Vec<String>,
    ) -> Result<ParsedUnit> {
        let builder = GraphBuilderOptions {
            debug_info: options.debug_info,
            defer_debug_relocations: options.background,
            noalloc_sections,
        };
        Self::parse_with(unit, builder, options.parallel)
    }

    pub(super) fn parse_with(
        unit: LinkUnit,
        options: GraphBuilderOptions,
        parallel: bool,
    ) -> Result<ParsedUnit> {
        let mut timings = Timings::default();
        let graph = timings.record("parse", || parse_objects(&unit.objects, &options, parallel))?;
        let archives = unit
            .archives
            .iter()
            .map(|a| Archive::parse(&a.name, a.data.clone()))
            .collect::<Result<Vec<_>>>()?;
        Ok(ParsedUnit {
            graph,
            archives,
            timings,
            options,
            unit,
        })
    }
}

/// Parses the objects into one graph: on this thread, or a chunk a thread,
/// each into a graph of its own, merged at the end.
fn parse_objects(
    objects: &[InputFile],
    options: &GraphBuilderOptions,
    parallel: bool,
) -> Result<LinkGraph> {
    let parse_into = |files: &[InputFile]| {
        let mut graph = LinkGraph::new();
        let (sections, symbols) = files.iter().fold((0, 0), |(sections, symbols), file| {
            let counts = GraphBuilder::new(&file.name, (*file.data).as_ref()).counts();
            let (s, y) = counts.unwrap_or((0, 0));
            (sections + s, symbols + y)
        });
        graph.reserve(files.len(), sections, symbols);
        for file in files {
            GraphBuilder::new(&file.name, (*file.data).as_ref()).build_into(
                file.clone(),
                options,
                &mut graph,
            )?;
        }
        Ok(graph)
    };
    // Few objects parse on this thread, without asking how many cores
    // there are (`available_parallelism` reads three cgroup files and
    // calls `sched_getaffinity`: 20 µs, a third of a lazy unit's link).
    if !parallel || objects.len() < 4 {
        return parse_into(objects);
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    // Under a debugger a thread costs more than it saves: each start
    // and exit is a stop and a libthread_db round trip (on the
    // 1,000-object program a gdb session took 237 ms with two parser
    // threads, 220 ms with one).
    if threads < 2 || background::traced() {
        return parse_into(objects);
    }
    // The calling thread parses the first chunk itself: one thread fewer
    // to create (under a debugger, each new thread is a stop and a
    // libthread_db round trip).
    let chunk = objects.len().div_ceil(threads);
    let (first, rest) = objects.split_at(chunk.min(objects.len()));
    std::thread::scope(|scope| {
        let handles: Vec<_> = rest
            .chunks(chunk)
            .map(|files| scope.spawn(move || parse_into(files)))
            .collect();
        // An error returns at once; the scope joins the other threads.
        let mut graph = parse_into(first)?;
        for handle in handles {
            graph.merge(
                handle
                    .join()
                    .map_err(|_| Error::Other("parser thread panicked".into()))??,
            );
        }
        Ok(graph)
    })
}
