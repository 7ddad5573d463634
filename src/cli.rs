//! Command-line parsing and the `run` and `link` commands.

use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use lantern_core::executor::{ExecutorControl, InProcessExecutor};
use lantern_core::link::{DeadStrip, Initializers};
use lantern_core::memory::MemoryKind;
use lantern_core::session::{LinkUnit, LinkedUnit, Session, SessionOptions};
use lantern_plugins::{
    DebugObjectPlugin, EhFrameRegistration, JitDump, LinkStats, PerfMap, Symbolizer,
};

use crate::compile::{self, TempDir};
use crate::dump_graph::{DumpGraph, DumpPhase};
use crate::{libraries, report};

#[derive(Parser)]
#[command(
    name = "lantern",
    version,
    about = "A JIT linker for x86-64 ELF relocatable objects, built for debuggability",
    long_about = "Lantern links x86-64 ELF relocatable objects (.o) and static archives (.a) \
                  from any compiler into its own process and runs them as the natively linked \
                  program would run.\n\nArguments of the form @FILE are replaced by the words in FILE."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Link FILES into this process and run the entry point with ARGS.
    ///
    /// The exit status is the program's; if it dies by a signal, so does Lantern.
    Run(RunArgs),
    /// Link FILES in memory without running anything; report layout and timings.
    Link(LinkArgs),
    /// Link FILES and write the debug object that debuggers would get to DIR.
    DebugObject(DebugObjectArgs),
    /// Add, call and remove FILES as a unit many times, as a runtime does; report.
    ///
    /// The entry point (`--entry`, default main) is called as `int entry(int cycle)`.
    Churn(crate::churn::ChurnArgs),
    /// Link FILES and print the source location (function, inlined frames,
    /// file:line:column) of addresses in them: SYMBOL+OFFSET as perf or a
    /// crash report prints them.
    Symbolize(crate::symbolize::SymbolizeArgs),
    /// Run a gdb and/or lldb script on FILES under `lantern run` and on an
    /// oracle (the natively linked program, or a recorded session); print
    /// the differences and exit with 1 if there are any.
    ///
    /// Both sessions run in batch mode with a timeout. What differs by
    /// nature is normalized away first: addresses, process ids, program and
    /// module names (`<in-memory@...>`, lldb's `JIT(0x...)`), the frames
    /// below `main` (the C runtime's natively, Lantern's or none under
    /// Lantern), pending-breakpoint chatter, thread events, breakpoint
    /// location numbers. Every command of a gdb script runs even when an
    /// earlier one failed (its error is part of the session), and is echoed
    /// (`+print x`), so each difference is shown after the command that
    /// printed it. The JIT'd gdb session loads Lantern's gdb commands
    /// (debugger-scripts/), which keep breakpoints across a second `run`.
    ///
    /// Example:
    ///   lantern debug-test --gdb t.gdb --lldb t.lldb --native ./prog
    ///       --report results.xml main.o shapes.o -- arg1
    #[command(verbatim_doc_comment)]
    DebugTest(Box<crate::debug_test::DebugTestArgs>),
}

#[derive(Args)]
pub(crate) struct CommonArgs {
    /// Objects (.o), archives (.a), or C/C++ sources (.c, .cc, .cpp: compiled with $CC/$CXX -g -c).
    #[arg(required = true, value_name = "FILES")]
    pub(crate) files: Vec<PathBuf>,
    /// Load the shared library libNAME.so into the process so its symbols resolve.
    #[arg(short = 'l', value_name = "NAME")]
    pub(crate) libraries: Vec<String>,
    /// Search DIR for -l libraries before the system directories.
    #[arg(short = 'L', value_name = "DIR")]
    pub(crate) library_dirs: Vec<PathBuf>,
    /// Load the shared library at PATH into the process before linking.
    #[arg(long = "preload", value_name = "PATH")]
    pub(crate) preload: Vec<PathBuf>,
    /// The entry point, called as main(argc, argv, envp).
    #[arg(long, default_value = "main", value_name = "SYM")]
    pub(crate) entry: String,
    /// Strip everything not reachable from the entry point and initializers (like --gc-sections).
    #[arg(long)]
    pub(crate) gc_sections: bool,
    /// Do not take compiler helpers (__divti3, __popcountdi2, ...) from libgcc.a.
    #[arg(long)]
    pub(crate) no_libgcc: bool,
    /// Print what Lantern does to stderr (placement, executable stack, libraries).
    #[arg(short, long)]
    pub(crate) verbose: bool,
    /// Print the wall time of each link phase to stderr.
    #[arg(long)]
    pub(crate) timings: bool,
    /// Do not load DWARF or register a debug object with gdb and lldb.
    #[arg(long)]
    pub(crate) no_debugger_support: bool,
    /// Link each FILE as its own unit, in order, as a REPL adds code: each gets its
    /// own memory and debug object, and may use what earlier FILES define.
    #[arg(long, conflicts_with = "gc_sections")]
    pub(crate) separate_units: bool,
    /// How JIT memory is laid out: `packed` puts many units in shared,
    /// dual-mapped slabs (a million live units in a few mappings); `pages`
    /// gives every unit its own page-aligned mappings. Default: packed, or
    /// $LANTERN_MEMORY.
    #[arg(long, value_name = "HOW", value_parser = ["pages", "packed"])]
    pub(crate) memory: Option<String>,
}

impl CommonArgs {
    /// The in-process executor, with the memory manager `--memory` names.
    pub(crate) fn executor(&self) -> InProcessExecutor {
        InProcessExecutor::with_memory(self.memory_kind())
    }

    /// The memory manager `--memory` (or `$LANTERN_MEMORY`) names.
    pub(crate) fn memory_kind(&self) -> MemoryKind {
        self.memory
            .as_deref()
            .and_then(|m| m.parse().ok())
            .unwrap_or_else(MemoryKind::from_env)
    }
}

#[derive(Args)]
struct RunArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// Name passed to the program as `argv[0]` (default: the first file's name).
    #[arg(long, value_name = "NAME")]
    argv0: Option<String>,
    /// Name the JIT'd functions for perf in /tmp/perf-PID.map (`perf report` reads it).
    /// perf applies it to anonymous memory only: JIT memory goes in per-unit
    /// pages unless --memory says otherwise; with --oop, the executor's map.
    #[arg(long)]
    perf_map: bool,
    /// Write a jitdump file ($LANTERN_JITDUMP_DIR or /tmp, jit-PID.dump) for
    /// `perf record -k mono` + `perf inject --jit`.
    #[arg(long)]
    jitdump: bool,
    /// Do not print a symbolized backtrace when the program crashes
    /// (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT).
    #[arg(long)]
    no_crash_handler: bool,
    /// How units reach gdb and lldb: `batched` registers the units linked
    /// before the program starts as one merged object file (with
    /// --separate-units, far faster under a debugger); `per-unit` registers
    /// each unit's debug object as soon as it is linked.
    #[arg(long, value_enum, value_name = "HOW", default_value = "batched")]
    debug_registration: DebugRegistration,
    /// Run the program in another process: `lantern-executor` (beside the
    /// `lantern` binary) on a socketpair. docs/out-of-process.md.
    #[arg(long, conflicts_with_all = ["executor", "connect", "lazy"])]
    pub(crate) oop: bool,
    /// Run the program in another process started as `PATH filedescs=N,N`
    /// (any LLVM 19 SimpleRemoteEPC executor, e.g. llvm-jitlink-executor).
    #[arg(long, value_name = "PATH", conflicts_with_all = ["connect", "lazy"])]
    pub(crate) executor: Option<PathBuf>,
    /// Run the program in an executor listening on HOST:PORT.
    #[arg(long, value_name = "HOST:PORT", conflicts_with = "lazy")]
    pub(crate) connect: Option<String>,
    /// Out of process, send segment bytes in the protocol's finalize
    /// messages instead of writing them into memory shared with the
    /// executor. Shared memory (a memfd per allocation, which the executor
    /// creates and this process maps through /proc/PID/fd) is the default
    /// when the executor is lantern-executor on this host; other executors
    /// never get it. docs/out-of-process.md.
    #[arg(long)]
    pub(crate) no_shared_memory: bool,
    /// Link lazily: each object (and archive member) is a unit of its own;
    /// the entry point's, those with constructors and those holding data
    /// other objects use are linked before the program starts, the others
    /// at the first call of one of their functions (docs/lazy.md).
    #[arg(long, conflicts_with_all = ["separate_units", "gc_sections"])]
    lazy: bool,
    /// With --lazy: direct calls to lazy functions are rewritten to call the
    /// implementation once it is linked (no stub on the hot path); function
    /// pointers still go through the stub. Needs packed memory: call sites
    /// are written through its writable view (docs/lazy.md).
    #[arg(long, requires = "lazy")]
    back_patch: bool,
    /// Arguments passed to the program (after --).
    #[arg(last = true, value_name = "ARGS")]
    args: Vec<String>,
}

/// `lantern run --debug-registration`.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum DebugRegistration {
    Batched,
    PerUnit,
}

#[derive(Args)]
struct DebugObjectArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// Directory to write the debug object to (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Also write STEM.merged.debug.o: every unit's debug object merged into
    /// one, as `lantern run` registers units linked before the program starts
    /// (see --separate-units).
    #[arg(long)]
    merged: bool,
}

#[derive(Args)]
struct LinkArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// Print segments, sections, symbols and GOT/stub counts with their addresses.
    #[arg(long)]
    print_layout: bool,
    /// Print edge counts by kind, relaxed GOT loads and bypassed stubs.
    #[arg(long)]
    stats: bool,
    /// Print the linked bytes of every section named NAME (`.text`, `$__GOT`,
    /// `$__STUBS`...), read back from memory after fixups and relaxations.
    #[arg(long, value_name = "NAME")]
    print_section: Vec<String>,
    /// Print the link graph (sections, blocks with their addresses once
    /// assigned, symbols, edges) after PHASE of the pipeline.
    #[arg(long, value_enum, value_name = "PHASE")]
    dump_graph: Option<DumpPhase>,
}

/// Runs the command line; returns the process's exit status.
pub fn execute(args: Vec<OsString>) -> u8 {
    let cli = Cli::parse_from(args);
    let verbose = match &cli.command {
        Command::Run(a) => a.common.verbose,
        Command::Link(a) => a.common.verbose,
        Command::DebugObject(a) => a.common.verbose,
        Command::Churn(a) => a.common().verbose,
        Command::Symbolize(a) => a.common().verbose,
        Command::DebugTest(_) => false,
    };
    env_logger::Builder::new()
        .filter_level(if verbose {
            log::LevelFilter::Info
        } else {
            log::LevelFilter::Warn
        })
        .format_timestamp(None)
        .format_target(false)
        .init();
    let result = match cli.command {
        Command::Run(a) => run(a),
        Command::Link(a) => link(a).map(|()| 0),
        Command::DebugObject(a) => debug_object(a).map(|()| 0),
        Command::Churn(a) => crate::churn::churn(a).map(|()| 0),
        Command::Symbolize(a) => {
            crate::symbolize::symbolize(a).map(|all_found| if all_found { 0 } else { 1 })
        }
        Command::DebugTest(a) => crate::debug_test::debug_test(*a),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("lantern: error: {message}");
            1
        }
    }
}

/// The plugins a command uses.
#[derive(Default)]
pub(crate) struct Plugins<'a> {
    pub(crate) stats: Option<&'a LinkStats>,
    pub(crate) debug_object: Option<&'a DebugObjectPlugin>,
    pub(crate) eh_frame: Option<EhFrameRegistration>,
    pub(crate) perf_map: bool,
    pub(crate) jitdump: bool,
    pub(crate) symbolizer: bool,
    /// Load DWARF even without a debug object (for the symbolizer).
    pub(crate) dwarf: bool,
    /// Let the plugins' deferred work (debug objects, crash-report tables)
    /// run on the background worker while no debugger is attached, so the
    /// program starts as soon as its code is linked.
    pub(crate) background: bool,
    /// Print the graph after this phase (`lantern link --dump-graph`).
    pub(crate) dump_graph: Option<DumpPhase>,
    /// Report every segment, section and symbol of each unit.
    pub(crate) layout_report: bool,
}

/// The units a command linked, in order, and the session that holds them.
pub(crate) struct Linked {
    pub(crate) session: Arc<Session>,
    pub(crate) units: Vec<LinkedUnit>,
    /// With `run --lazy`: the lazily linked units.
    pub(crate) lazy: Option<crate::lazy::LazyRun>,
}

impl Linked {
    /// Where `name` is defined: the last unit that defines it wins, as a later
    /// REPL entry shadows an earlier one.
    pub(crate) fn lookup(&self, name: &str) -> Option<lantern_core::graph::ExecutorAddr> {
        self.units.iter().rev().find_map(|u| u.lookup(name))
    }

    /// Every unit's initializers: units initialize in link order and finalize
    /// in reverse, as shared libraries do.
    pub(crate) fn initializers(&self) -> Initializers {
        let mut all = Initializers::default();
        for unit in &self.units {
            all.preinit.extend(&unit.initializers().preinit);
            all.init.extend(&unit.initializers().init);
        }
        for unit in self.units.iter().rev() {
            all.fini.extend(&unit.initializers().fini);
        }
        all
    }
}

/// What a command links: the units in order, the session options, and the
/// directory holding objects compiled from sources (removed when dropped).
pub(crate) struct Prepared {
    pub units: Vec<LinkUnit>,
    pub options: SessionOptions,
    _temp: Option<TempDir>,
}

/// Loads the libraries, compiles sources and reads the files into units (one,
/// or one per file with `--separate-units`).
pub(crate) fn prepare(
    common: &CommonArgs,
    executor: &dyn ExecutorControl,
    roots: &[String],
    debug_info: bool,
) -> Result<Prepared, String> {
    load_libraries(common, executor)?;
    prepare_files(common, roots, debug_info)
}

/// Loads `--preload` and `-l` libraries into the executor.
pub(crate) fn load_libraries(
    common: &CommonArgs,
    executor: &dyn ExecutorControl,
) -> Result<(), String> {
    for path in &common.preload {
        executor
            .load_library(&path.display().to_string())
            .map_err(|e| e.to_string())?;
        log::info!("loaded {}", path.display());
    }
    for name in &common.libraries {
        let path = libraries::find(name, &common.library_dirs);
        executor
            .load_library(&path)
            .map_err(|e| format!("-l {name}: {e}"))?;
        log::info!("loaded -l {name} from {path}");
    }
    Ok(())
}

/// Compiles sources and reads the files into units, with the session
/// options the command's arguments ask for: what needs no executor.
pub(crate) fn prepare_files(
    common: &CommonArgs,
    roots: &[String],
    debug_info: bool,
) -> Result<Prepared, String> {
    let mut temp: Option<TempDir> = None;
    // The paths of each unit's files, read together (small objects share
    // one buffer).
    let mut unit_paths = vec![Vec::new()];
    for (index, file) in common.files.iter().enumerate() {
        let path = if compile::is_source(file) {
            if temp.is_none() {
                temp = Some(TempDir::new().map_err(|e| format!("temporary directory: {e}"))?);
            }
            let dir = &temp.as_ref().expect("created above").0;
            compile::compile(file, dir, index)?
        } else {
            file.clone()
        };
        if common.separate_units && index > 0 {
            unit_paths.push(Vec::new());
        }
        unit_paths.last_mut().expect("one unit at least").push(path);
    }
    let mut units = Vec::with_capacity(unit_paths.len());
    for paths in &unit_paths {
        let mut unit = LinkUnit::default();
        unit.add_paths(paths).map_err(|e| e.to_string())?;
        units.push(unit);
    }
    let options = SessionOptions {
        dead_strip: if common.gc_sections {
            DeadStrip::FromRoots(roots.to_vec())
        } else {
            DeadStrip::KeepGlobals
        },
        use_libgcc: !common.no_libgcc,
        debug_info,
        timings: common.timings,
        ..SessionOptions::default()
    };
    Ok(Prepared {
        units,
        options,
        _temp: temp,
    })
}

/// A session with the command's plugins.
pub(crate) fn new_session(
    executor: Arc<dyn ExecutorControl>,
    options: SessionOptions,
    plugins: &Plugins<'_>,
) -> Session {
    let mut session = Session::new(executor, options);
    if let Some(stats) = plugins.stats {
        session.add_plugin(Arc::new(stats.clone()));
    }
    if let Some(eh_frame) = plugins.eh_frame {
        session.add_plugin(Arc::new(eh_frame));
    }
    if let Some(debug_object) = plugins.debug_object {
        session.add_plugin(Arc::new(debug_object.clone()));
    }
    if plugins.perf_map {
        session.add_plugin(Arc::new(PerfMap));
    }
    if plugins.jitdump {
        session.add_plugin(Arc::new(JitDump));
    }
    if plugins.symbolizer {
        session.add_plugin(Arc::new(Symbolizer));
    }
    // Last: the dump shows what the other plugins' passes did in its phase.
    if let Some(phase) = plugins.dump_graph {
        session.add_plugin(Arc::new(DumpGraph(phase)));
    }
    session
}

/// Links a unit; a unit whose static TLS does not fit glibc's reserve makes
/// `lantern` start itself again with a larger one.
pub(crate) fn link_one(session: &Session, unit: LinkUnit) -> Result<LinkedUnit, String> {
    explain_link_error(session.link(unit))
}

/// A link's error as the CLI says it (with what to do when static TLS ran out).
pub(crate) fn explain_link_error(
    result: lantern_core::Result<LinkedUnit>,
) -> Result<LinkedUnit, String> {
    match result {
        Ok(unit) => Ok(unit),
        Err(e @ lantern_core::Error::StaticTlsExhausted { size, .. }) => {
            let why = crate::static_tls::reexec_with_reserve(size);
            Err(format!("{e} ({why})"))
        }
        Err(e) => Err(e.to_string()),
    }
}

/// With `--separate-units`, an undefined symbol is often one that a later
/// file defines: says so under the list.
pub(crate) fn separate_units_hint(common: &CommonArgs, error: String) -> String {
    if common.separate_units && error.contains("undefined symbol") {
        format!(
            "{error}\n(with --separate-units each file is a unit of its own, linked in order: \
             a file may use only what earlier files and libraries define; put each file \
             after those it uses, or leave out --separate-units)"
        )
    } else {
        error
    }
}

/// Compiles sources, loads libraries, links the files as one unit (or one
/// unit per file with `--separate-units`).
pub(crate) fn link_units(
    common: &CommonArgs,
    executor: Arc<dyn ExecutorControl>,
    roots: &[String],
    plugins: Plugins<'_>,
) -> Result<Linked, String> {
    let debug_info = plugins.debug_object.is_some() || plugins.dwarf;
    let mut prepared = prepare(common, executor.as_ref(), roots, debug_info)?;
    prepared.options.background = plugins.background;
    prepared.options.layout_report = plugins.layout_report;
    let session = new_session(executor, prepared.options.clone(), &plugins);
    let mut linked = Vec::with_capacity(prepared.units.len());
    for unit in prepared.units.iter().cloned() {
        let unit = link_one(&session, unit).map_err(|e| separate_units_hint(common, e))?;
        log::info!("placed JIT memory: {}", unit.layout().placement);
        if common.timings {
            report::print_timings(unit.timings());
        }
        linked.push(unit);
    }
    Ok(Linked {
        session: Arc::new(session),
        units: linked,
        lazy: None,
    })
}

fn run(args: RunArgs) -> Result<u8, String> {
    if let Some(target) =
        crate::oop::target(args.oop, args.executor.as_deref(), args.connect.as_deref())?
    {
        let argv0 = args.argv0.clone().unwrap_or_else(|| {
            args.common.files[0]
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "a.out".into())
        });
        let mut argv = vec![argv0];
        argv.extend(args.args.iter().cloned());
        if args.jitdump {
            return Err(
                "--jitdump is not available out of process yet (--perf-map is: it names the \
                 JIT'd functions in the executor's /tmp/perf-PID.map)"
                    .into(),
            );
        }
        return crate::oop::run(
            &args.common,
            target,
            &argv,
            crate::oop::RunOptions {
                crash_report: !args.no_crash_handler,
                // perf reads perf maps for anonymous memory only (below).
                shared_memory: !args.no_shared_memory && !args.perf_map,
                perf_map: args.perf_map,
            },
        );
    }
    // perf names samples in a perf map only in anonymous memory: packed JIT
    // memory is a memfd mapping (dual-mapped for W^X), which perf takes for
    // a deleted file and does not look up in the map. So `--perf-map` gets
    // per-unit pages unless packed memory is asked for by name.
    let mut args = args;
    let memory_chosen =
        args.common.memory.is_some() || std::env::var_os("LANTERN_MEMORY").is_some();
    if args.perf_map && !memory_chosen && !args.back_patch {
        args.common.memory = Some("pages".into());
        log::info!("--perf-map: JIT memory in per-unit pages, which perf maps apply to");
    } else if args.perf_map && args.common.memory_kind() == MemoryKind::Packed {
        eprintln!(
            "lantern: warning: perf does not read /tmp/perf-PID.map for packed JIT memory (a \
             memfd mapping): use --memory pages, or --jitdump"
        );
    }
    let executor = Arc::new(args.common.executor());
    let debug_object = match args.debug_registration {
        DebugRegistration::Batched => DebugObjectPlugin::registering().batched(),
        DebugRegistration::PerUnit => DebugObjectPlugin::registering(),
    };
    let plugins = Plugins {
        debug_object: (!args.common.no_debugger_support).then_some(&debug_object),
        eh_frame: Some(EhFrameRegistration::new().map_err(|e| e.to_string())?),
        perf_map: args.perf_map,
        jitdump: args.jitdump,
        symbolizer: !args.no_crash_handler,
        background: true,
        ..Plugins::default()
    };
    if args.back_patch && args.common.memory_kind() != MemoryKind::Packed {
        // A usage error (status 2), with `lantern run`'s usage line.
        let mut cli = <Cli as clap::CommandFactory>::command();
        cli.build();
        let message = "--back-patch needs packed memory (--memory packed, the default): \
                       call sites are rewritten through its writable view";
        let kind = clap::error::ErrorKind::ArgumentConflict;
        match cli.find_subcommand_mut("run") {
            Some(run) => run.error(kind, message).exit(),
            None => cli.error(kind, message).exit(),
        }
    }
    let linked = if args.lazy {
        crate::lazy::link_lazy(&args.common, executor.clone(), plugins, args.back_patch)?
    } else {
        link_units(
            &args.common,
            executor.clone(),
            std::slice::from_ref(&args.common.entry),
            plugins,
        )?
    };
    let stack_requests: Vec<&str> = linked
        .units
        .iter()
        .flat_map(|u| u.executable_stack_requested_by().iter().map(String::as_str))
        .collect();
    if !stack_requests.is_empty() && args.common.verbose {
        eprintln!(
            "lantern: made the stack executable, as requested by .note.GNU-stack in {}",
            stack_requests.join(", ")
        );
    }
    let entry = linked.lookup(&args.common.entry).ok_or_else(|| {
        format!(
            "entry point `{}` is not defined by the linked objects",
            args.common.entry
        )
    })?;
    let argv0 = args.argv0.clone().unwrap_or_else(|| {
        args.common.files[0]
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "a.out".into())
    });
    let mut argv = vec![argv0];
    argv.extend(args.args.iter().cloned());
    if !args.no_crash_handler {
        lantern_plugins::crash::install()
            .map_err(|e| format!("installing the crash handler: {e}"))?;
    }
    if let (Some(lazy), true) = (&linked.lazy, args.common.verbose) {
        // At exit (after the program's own exit handlers): `exit()` from
        // deep in the program reports too.
        crate::lazy::report_at_exit(lazy.clone());
    }
    // Batched debugger registration happens here, before any JIT'd code runs.
    linked.session.prepare_to_run().map_err(|e| e.to_string())?;
    let status = linked
        .session
        .executor()
        .run_main(entry, &linked.initializers(), &argv)
        .map_err(|e| e.to_string())?;
    // The units stay mapped: exit handlers may still call into them.
    std::mem::forget(linked);
    // exit() runs atexit handlers and finalizers, and flushes stdio, as for a native program.
    // SAFETY: exiting the process; no Rust destructors need to run.
    unsafe { libc::exit(status) }
}

fn link(args: LinkArgs) -> Result<(), String> {
    let executor = Arc::new(args.common.executor());
    let stats = args.stats.then(LinkStats::new);
    let debug_object = DebugObjectPlugin::registering().not_registering();
    let plugins = Plugins {
        stats: stats.as_ref(),
        debug_object: (!args.common.no_debugger_support).then_some(&debug_object),
        eh_frame: None,
        perf_map: false,
        jitdump: false,
        symbolizer: false,
        dwarf: false,
        background: false,
        dump_graph: args.dump_graph,
        layout_report: args.print_layout || !args.print_section.is_empty(),
    };
    let linked = link_units(
        &args.common,
        executor.clone(),
        std::slice::from_ref(&args.common.entry),
        plugins,
    )?;
    if args.print_layout {
        for unit in &linked.units {
            report::print_layout(unit.layout());
        }
    }
    for name in &args.print_section {
        let layouts: Vec<_> = linked.units.iter().map(|u| u.layout()).collect();
        report::print_section(&layouts, name, executor.as_ref())?;
    }
    if let Some(stats) = stats {
        report::print_stats(&stats.counts());
    }
    Ok(())
}

fn debug_object(args: DebugObjectArgs) -> Result<(), String> {
    if args.common.no_debugger_support {
        return Err("debug-object needs debugger support: drop --no-debugger-support".into());
    }
    let executor = Arc::new(args.common.executor());
    let plugin = DebugObjectPlugin::registering()
        .not_registering()
        .keeping_copies();
    let plugins = Plugins {
        debug_object: Some(&plugin),
        ..Plugins::default()
    };
    let _linked = link_units(
        &args.common,
        executor,
        std::slice::from_ref(&args.common.entry),
        plugins,
    )?;
    std::fs::create_dir_all(&args.out).map_err(|e| format!("{}: {e}", args.out.display()))?;
    let stem = args.common.files[0]
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "unit".into());
    let parts = plugin.parts();
    let write = |name: String, bytes: &[u8]| {
        let path = args.out.join(name);
        std::fs::write(&path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        println!("{} ({} bytes)", path.display(), bytes.len());
        Ok::<_, String>(())
    };
    for (index, part) in parts.iter().enumerate() {
        write(format!("{stem}.{index}.debug.o"), &part.object)?;
    }
    if args.merged {
        let refs: Vec<_> = parts.iter().collect();
        let merged = lantern_plugins::debug_object::merge::merge(&refs)
            .map_err(|e| format!("merging the debug objects: {e}"))?;
        write(format!("{stem}.merged.debug.o"), &merged)?;
    }
    Ok(())
}
