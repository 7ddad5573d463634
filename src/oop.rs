//! `lantern run --oop`, `--executor PATH`, `--connect HOST:PORT`: the
//! program runs in an executor process driven over LLVM 19's SimpleRemoteEPC
//! protocol (core/src/executor/remote/). The controller links as usual;
//! eh-frame registration, debug objects and the crash report's symbol
//! tables are built here and registered in the executor by allocation
//! actions calling its wrappers. As in process, debug objects and whole
//! symbol tables of large units are built on the background worker while
//! `main` runs (and registered by calls that overlap it), unless a debugger
//! is attached to the executor. `--perf-map` writes the executor's
//! `/tmp/perf-PID.map` here; jitdump does not cross the wire yet
//! (docs/out-of-process.md).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use lantern_core::executor::remote::{
    Auth, RemoteEhFrameRegistration, SharedMemory, StartingExecutor,
};
use lantern_core::executor::{ExecutorControl, RemoteExecutor};
use lantern_core::executor_types::{ExecutorAddr, MemLifetime, MemProt};
use lantern_core::link::background;
use lantern_core::link::{PassConfig, Plugin};
use lantern_core::memory::{AllocAction, AllocRequest, Placement, SegmentRequest, WrapperCall};
use lantern_core::session::ParsedUnit;
use lantern_orc_wire::names::{
    LANTERN_COMPLETE_SYMBOL_TABLE, LANTERN_COMPLETE_SYMBOL_TABLE_FROM,
    LANTERN_DEREGISTER_DEBUG_OBJECT, LANTERN_DEREGISTER_SYMBOL_TABLE,
    LANTERN_REGISTER_DEBUG_OBJECT, LANTERN_REGISTER_JIT_LOADER_GDB,
    LANTERN_REGISTER_PARTIAL_SYMBOL_TABLE, LANTERN_REGISTER_SYMBOL_TABLE,
    LANTERN_REGISTER_SYMBOL_TABLE_FROM, LANTERN_RESERVE_DEBUG_OBJECT,
    REGISTER_JIT_LOADER_GDB_WRAPPER,
};
use lantern_orc_wire::sps::{to_bytes, Bytes};
use lantern_orc_wire::types::AddrRange;
use lantern_plugins::debug_object::merge::{merge, MAX_MERGED_SECTIONS};
use lantern_plugins::debug_object::{build_part, DebugPart};

use crate::cli::{
    explain_link_error, load_libraries, new_session, prepare_files, separate_units_hint,
    CommonArgs, Linked, Plugins, Prepared,
};
use crate::report;

/// Where the program runs.
pub(crate) enum Target {
    /// A program started on a socketpair.
    Spawn(PathBuf, Auth),
    /// An executor listening on HOST:PORT.
    Connect(String),
}

/// The target the flags ask for, if any.
pub(crate) fn target(
    oop: bool,
    executor: Option<&Path>,
    connect: Option<&str>,
) -> Result<Option<Target>, String> {
    if oop {
        let exe = std::env::current_exe()
            .map_err(|e| format!("--oop: finding lantern's own path: {e}"))?;
        let path = exe.with_file_name("lantern-executor");
        if !path.exists() {
            return Err(format!(
                "--oop: {} not found (build it: cargo build -p lantern-executor)",
                path.display()
            ));
        }
        return Ok(Some(Target::Spawn(path, Auth::Secret)));
    }
    if let Some(path) = executor {
        return Ok(Some(Target::Spawn(path.to_path_buf(), Auth::PlainLlvm)));
    }
    Ok(connect.map(|a| Target::Connect(a.to_string())))
}

/// Links the files and runs `main` in the executor; returns main's status
/// after the executor has exited (so its output is complete). With
/// `crash_report`, each unit's symbol table goes to the executor, whose
/// crash handler prints the report (lantern-executor only: other executors
/// have no such wrapper, and run without). With `shared_memory`, segment
/// bytes go through memory shared with the executor when it offers it.
/// What `lantern run` asks of an out-of-process run besides the files.
pub(crate) struct RunOptions {
    /// The executor's crash handler gets symbol tables (lantern-executor).
    pub crash_report: bool,
    /// Segment bytes through memory shared with the executor.
    pub shared_memory: bool,
    /// The JIT'd functions in the executor's `/tmp/perf-PID.map`.
    pub perf_map: bool,
}

pub(crate) fn run(
    common: &CommonArgs,
    target: Target,
    argv: &[String],
    options: RunOptions,
) -> Result<u8, String> {
    let RunOptions {
        crash_report,
        shared_memory,
        perf_map,
    } = options;
    let debugger_support = !common.no_debugger_support;
    // The executor starts (a process to spawn and its setup message to
    // read: over a millisecond, on the other core) while this thread
    // compiles, reads and parses the files. Parsing needs only the
    // session's options, which the arguments decide, except that without
    // the executor's crash handler (LLVM's executor) the DWARF is kept only
    // for debuggers: a guess that turns out wrong costs a second parse, in
    // link_parsed.
    let begun = begin(target)?;
    let parsed = parse_ahead(common, debugger_support || crash_report);
    let executor = begun.finish(shared_memory)?;
    let (prepared, parsed) = parsed?;
    let plugins = RemotePlugins::new(&executor, debugger_support, crash_report, false)?;
    load_libraries(common, executor.as_ref())?;
    let dynamic: Arc<dyn ExecutorControl> = executor.clone();
    // Deferred passes (debug objects, whole symbol tables) of large units
    // run on the background worker while no debugger is attached to the
    // executor, as in process.
    let mut options = prepared.options.clone();
    options.debug_info = debugger_support || plugins.crash_report;
    let mut session = new_session(dynamic, options, &Plugins::default());
    plugins.add_to(&mut session);
    if perf_map {
        // perf reads the map of the process it profiles: the executor's.
        let pid = executor.pid().ok_or(
            "--perf-map out of process needs the executor's pid: a spawned executor \
             (--oop, --executor), not --connect",
        )?;
        let map = lantern_plugins::RemotePerfMap::new(pid);
        log::info!("perf map: {}", map.path().display());
        session.add_plugin(Arc::new(map));
    }
    let started = std::time::Instant::now();
    let mut units = Vec::with_capacity(parsed.len());
    for unit in parsed {
        let unit = explain_link_error(session.link_parsed(unit))
            .map_err(|e| separate_units_hint(common, e))?;
        if common.timings {
            report::print_timings(unit.timings());
        }
        units.push(unit);
    }
    let linked = Linked {
        session: Arc::new(session),
        units,
        lazy: None,
    };
    let entry = linked.lookup(&common.entry).ok_or_else(|| {
        format!(
            "entry point `{}` is not defined by the linked objects",
            common.entry
        )
    })?;
    // The debug objects waiting are registered, merged, before code runs.
    let link_time = started.elapsed();
    linked.session.prepare_to_run().map_err(|e| e.to_string())?;
    log::info!("shared memory: {}", executor.shared_memory());
    log::info!(
        "linked {} units in {:.1} ms; before-run work (debug objects) {:.1} ms",
        linked.units.len(),
        link_time.as_secs_f64() * 1e3,
        (started.elapsed() - link_time).as_secs_f64() * 1e3
    );
    let main_started = std::time::Instant::now();
    let status = match linked
        .session
        .executor()
        .run_main(entry, &linked.initializers(), argv)
    {
        Ok(status) => status,
        // The program ended the executor itself: `exit(N)` from inside
        // main, or a fatal signal. Lantern ends the same way, as the native
        // program would.
        Err(e) => match executor.exit_status() {
            Some(status) => {
                use std::os::unix::process::ExitStatusExt;
                if let Some(code) = status.code() {
                    return Ok(code as u8);
                }
                let signal = status.signal().unwrap_or(libc::SIGKILL);
                eprintln!("lantern: the program in the executor was killed by signal {signal}");
                // SAFETY: restoring the default action and raising the
                // signal the program died of ends this process the same way.
                unsafe {
                    libc::signal(signal, libc::SIG_DFL);
                    libc::raise(signal);
                }
                return Err(e.to_string());
            }
            None => return Err(e.to_string()),
        },
    };
    // The units stay mapped until the executor exits: its exit handlers
    // may still call into them.
    std::mem::forget(linked);
    let main_time = main_started.elapsed();
    executor.hang_up();
    log::info!(
        "main {:.1} ms, the executor's exit {:.1} ms",
        main_time.as_secs_f64() * 1e3,
        (main_started.elapsed() - main_time).as_secs_f64() * 1e3
    );
    Ok(status as u8)
}

/// Input size from which parsing ahead uses more than one thread: parsing
/// (about 2.5 MB a millisecond) then takes well over the executor's start.
const PARALLEL_PARSE_BYTES: usize = 8 << 20;

/// Compiles, reads and parses the files as a session with debug
/// information (`debug_info`) and background passes would.
fn parse_ahead(
    common: &CommonArgs,
    debug_info: bool,
) -> Result<(Prepared, Vec<ParsedUnit>), String> {
    let mut prepared = prepare_files(common, std::slice::from_ref(&common.entry), debug_info)?;
    prepared.options.background = true;
    // The executor starts on the other core meanwhile (about a millisecond
    // of CPU): a second parser thread would take the core from it, and
    // pays only on larger inputs (20 objects, 2.5 MB: 5.7 ms against
    // 6.0 ms on one thread; 1,000 objects, 118 MB: 246 ms against 229 ms).
    let mut ahead = prepared.options.clone();
    let bytes: usize = prepared
        .units
        .iter()
        .flat_map(|u| &u.objects)
        .map(|o| (*o.data).as_ref().len())
        .sum();
    ahead.parallel &= bytes >= PARALLEL_PARSE_BYTES;
    let parsed = prepared
        .units
        .iter()
        .map(|unit| ParsedUnit::parse(unit.clone(), &ahead, Vec::new()))
        .collect::<lantern_core::Result<Vec<_>>>()
        .map_err(|e| e.to_string())?;
    Ok((prepared, parsed))
}

/// Starts the executor the target names, or reaches it; with
/// `shared_memory`, segment bytes go through memory shared with it when it
/// offers that.
pub(crate) fn start(target: Target, shared_memory: bool) -> Result<Arc<RemoteExecutor>, String> {
    begin(target)?.finish(shared_memory)
}

/// An executor on its way: a spawned process whose setup message is still
/// to come, or one reached over TCP.
pub(crate) struct Begun {
    starting: Result<StartingExecutor, RemoteExecutor>,
    since: std::time::Instant,
}

/// Spawns the executor the target names and returns without waiting for
/// it (a spawn takes over a millisecond to send its setup message); an
/// executor to connect to is reached at once.
pub(crate) fn begin(target: Target) -> Result<Begun, String> {
    let since = std::time::Instant::now();
    let starting = match target {
        Target::Spawn(path, auth) => {
            RemoteExecutor::start(&path.display().to_string(), auth).map(Ok)
        }
        Target::Connect(addr) => {
            let secret = std::env::var("LANTERN_EXECUTOR_SECRET").ok();
            RemoteExecutor::connect(&addr, secret.as_deref()).map(Err)
        }
    }
    .map_err(|e| e.to_string())?;
    Ok(Begun { starting, since })
}

impl Begun {
    /// Waits for the executor's setup message; with `shared_memory`,
    /// segment bytes go through memory shared with it when it offers that.
    pub(crate) fn finish(self, shared_memory: bool) -> Result<Arc<RemoteExecutor>, String> {
        let executor = match self.starting {
            Ok(starting) => starting.finish().map_err(|e| e.to_string())?,
            Err(ready) => ready,
        };
        executor.set_shared_memory(shared_memory);
        log::info!(
            "executor {} ready (setup message read) in {:.1} ms",
            executor.target_triple(),
            self.since.elapsed().as_secs_f64() * 1e3
        );
        Ok(Arc::new(executor))
    }
}

/// The plugins that put in the executor what runs there: eh-frame
/// registration, the crash report's symbol tables, debug objects.
pub(crate) struct RemotePlugins {
    eh_frame: RemoteEhFrameRegistration,
    symbol_tables: Option<RemoteSymbolTables>,
    debug_objects: Option<RemoteDebugObjects>,
    /// Whether the executor's crash handler gets symbol tables (it is
    /// lantern-executor and `crash_report` was asked).
    pub(crate) crash_report: bool,
}

impl RemotePlugins {
    /// With `per_unit`, each unit's debug object is registered on its own
    /// after its link and unregistered at its removal (a runtime that
    /// removes code); otherwise the objects waiting are merged before code
    /// runs and stay for the session (`lantern run`).
    pub(crate) fn new(
        executor: &Arc<RemoteExecutor>,
        debugger_support: bool,
        crash_report: bool,
        per_unit: bool,
    ) -> Result<Self, String> {
        let eh_frame = RemoteEhFrameRegistration::new(executor).map_err(|e| e.to_string())?;
        let symbol_tables = match (
            executor.bootstrap_symbol(LANTERN_REGISTER_SYMBOL_TABLE),
            executor.bootstrap_symbol(LANTERN_DEREGISTER_SYMBOL_TABLE),
        ) {
            (Some(register), Some(deregister)) if crash_report => Some(RemoteSymbolTables {
                register,
                deregister,
                from_memory: executor.bootstrap_symbol(LANTERN_REGISTER_SYMBOL_TABLE_FROM),
                partial: match (
                    executor.bootstrap_symbol(LANTERN_REGISTER_PARTIAL_SYMBOL_TABLE),
                    executor.bootstrap_symbol(LANTERN_COMPLETE_SYMBOL_TABLE),
                    executor.bootstrap_symbol(LANTERN_COMPLETE_SYMBOL_TABLE_FROM),
                ) {
                    (Some(register), Some(complete), Some(complete_from)) => Some(PartialTables {
                        register,
                        complete,
                        complete_from,
                    }),
                    _ => None,
                },
                executor: Arc::clone(executor),
            }),
            _ => None,
        };
        let debug_objects = if debugger_support {
            // lantern-executor names it in its setup message; LLVM's
            // executor holds it as a symbol of its process.
            let register = executor
                .bootstrap_symbol(LANTERN_REGISTER_JIT_LOADER_GDB)
                .map(ExecutorAddr)
                .or_else(|| executor.lookup(REGISTER_JIT_LOADER_GDB_WRAPPER).map(|s| s.addr))
                .ok_or_else(|| {
                    format!(
                        "the executor has no {REGISTER_JIT_LOADER_GDB_WRAPPER} for debugger support \
                         (--no-debugger-support runs without)"
                    )
                })?;
            let slots = match (
                executor.bootstrap_symbol(LANTERN_RESERVE_DEBUG_OBJECT),
                executor.bootstrap_symbol(LANTERN_REGISTER_DEBUG_OBJECT),
                executor.bootstrap_symbol(LANTERN_DEREGISTER_DEBUG_OBJECT),
            ) {
                (Some(reserve), Some(register), Some(deregister)) if per_unit => Some(DebugSlots {
                    reserve,
                    register,
                    deregister,
                }),
                _ => None,
            };
            if per_unit && slots.is_none() {
                log::warn!(
                    "the executor cannot unregister debug objects: removed units stay known to \
                     debuggers attached to it (--no-debugger-support registers none)"
                );
            }
            Some(RemoteDebugObjects {
                register,
                slots,
                per_unit,
                pending: Arc::default(),
                executor: Arc::clone(executor),
            })
        } else {
            None
        };
        Ok(RemotePlugins {
            eh_frame,
            crash_report: symbol_tables.is_some(),
            symbol_tables,
            debug_objects,
        })
    }

    pub(crate) fn add_to(self, session: &mut lantern_core::session::Session) {
        session.add_plugin(Arc::new(self.eh_frame));
        if let Some(tables) = self.symbol_tables {
            session.add_plugin(Arc::new(tables));
        }
        if let Some(objects) = self.debug_objects {
            session.add_plugin(Arc::new(objects));
        }
    }
}

/// Each unit's crash-report symbol table (function ranges, inlined chains,
/// file:line:column: what the in-process symbolizer holds), registered in
/// lantern-executor, whose crash handler prints the report from it; the
/// dealloc action drops it when the unit is removed.
///
/// As in process, the unit's partial table (code ranges and symbol names,
/// no DWARF) is registered by a finalize action
/// (`__lantern_executor_register_partial_symbol_table`), so a crash at any
/// moment names its functions; the whole table, built from the unit's
/// relocated DWARF by a deferred pass (on the background worker for a
/// large unit while no debugger is attached to the executor), replaces it
/// with `__lantern_executor_complete_symbol_table` (`_from`, through shared
/// memory: the table, tens of MB for a large unit, is written into a
/// read-only allocation of its own, which the executor releases). An
/// executor without those wrappers gets the whole table on the link's path
/// (`__lantern_executor_register_symbol_table`, `_from`).
struct RemoteSymbolTables {
    register: u64,
    deregister: u64,
    /// lantern-executor's register-from-memory wrapper, if it has one.
    from_memory: Option<u64>,
    /// Its partial-then-whole wrappers, if it has them.
    partial: Option<PartialTables>,
    executor: Arc<RemoteExecutor>,
}

#[derive(Clone, Copy)]
struct PartialTables {
    register: u64,
    complete: u64,
    complete_from: u64,
}

/// Copies bytes (a symbol table, a debug object) into a read-only
/// allocation of their own in the executor (with shared memory, no bytes
/// on the wire), runs `actions` at its finalize and returns its range. The
/// allocation is not released through this side: the executor releases it
/// (a table once decoded, a debug object with its key), or it stays for
/// the session.
fn place_read_only(
    executor: &dyn ExecutorControl,
    bytes: &[u8],
    actions: impl FnOnce(AddrRange) -> Vec<AllocAction>,
) -> lantern_core::Result<AddrRange> {
    let request = AllocRequest {
        segments: vec![SegmentRequest {
            prot: MemProt::Read,
            lifetime: MemLifetime::Standard,
            size: bytes.len() as u64,
            align: 16,
        }],
        placement: Placement::Anywhere,
    };
    let mut alloc = executor.memory_manager().allocate(&request)?;
    alloc.working_memory(0).copy_from_slice(bytes);
    let start = alloc.segment_addr(0).0;
    let range = AddrRange {
        start,
        end: start + bytes.len() as u64,
    };
    std::mem::forget(alloc.finalize(actions(range))?);
    Ok(range)
}

/// The call passing `table` to `wrapper` (`(key, bytes)`), or to
/// `from_memory` (`(key, range)`) with the table placed in shared memory
/// when that is on.
fn table_call(
    executor: &RemoteExecutor,
    key: u64,
    table: Vec<u8>,
    wrapper: u64,
    from_memory: Option<u64>,
) -> lantern_core::Result<WrapperCall> {
    Ok(match from_memory {
        Some(from) if matches!(executor.shared_memory(), SharedMemory::On { .. }) => WrapperCall {
            function: ExecutorAddr(from),
            arg: to_bytes(&(key, place_read_only(executor, &table, |_| Vec::new())?)).into(),
        },
        _ => WrapperCall {
            function: ExecutorAddr(wrapper),
            arg: to_bytes(&(key, Bytes(table))).into(),
        },
    })
}

static NEXT_TABLE_KEY: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

impl Plugin for RemoteSymbolTables {
    fn name(&self) -> &str {
        "remote-symbol-tables"
    }

    fn modify_pass_config(&self, config: &mut PassConfig) {
        let key = NEXT_TABLE_KEY.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let deregister = WrapperCall {
            function: ExecutorAddr(self.deregister),
            arg: to_bytes(&key).into(),
        };
        let executor = Arc::clone(&self.executor);
        let Some(partial) = self.partial else {
            // The whole table on the link's path.
            config.debug_info_in_pipeline = true;
            let (register, from_memory) = (self.register, self.from_memory);
            config.post_fixup.push(Box::new(move |graph| {
                let table = lantern_plugins::symbolize::encoded_unit_table(graph);
                let finalize = table_call(&executor, key, table, register, from_memory)?;
                graph.alloc_actions.push(AllocAction {
                    finalize: Some(finalize),
                    dealloc: Some(deregister.clone()),
                });
                Ok(())
            }));
            return;
        };
        config.post_fixup.push(Box::new(move |graph| {
            let table = lantern_plugins::symbolize::encoded_partial_table(graph);
            graph.alloc_actions.push(AllocAction {
                finalize: Some(WrapperCall {
                    function: ExecutorAddr(partial.register),
                    arg: to_bytes(&(key, Bytes(table))).into(),
                }),
                dealloc: Some(deregister.clone()),
            });
            Ok(())
        }));
        let executor = Arc::clone(&self.executor);
        config.deferred.push(Box::new(move |graph, _| {
            let table = lantern_plugins::symbolize::encoded_unit_table(graph);
            let sent = table_call(
                &executor,
                key,
                table,
                partial.complete,
                Some(partial.complete_from),
            )
            .and_then(|call| executor.run_wrapper(&call));
            match sent {
                // Once the session is over (`main` returned before the
                // table was ready) no report can need it.
                Err(_) if executor.is_closed() => Ok(()),
                sent => sent,
            }
        }));
    }
}

/// Each unit's debug object (plugins/src/debug_object), built in the
/// controller after its link; before the program runs, the objects waiting
/// are merged (as the in-process batched registration does: debuggers read
/// one object much faster than many), copied into read-only executor memory
/// and registered there by a finalize action calling the executor's
/// `llvm_orc_registerJITLoaderGDBWrapper((start, end), true)`, what
/// llvm-jitlink does per object. The memory stays for the session.
///
/// When the objects are still being built on the background worker (a
/// large unit, no debugger attached to the executor), the merge and the
/// registration follow them there, overlapping `main`: a debugger that
/// attaches later finds them registered, as in process.
struct RemoteDebugObjects {
    register: ExecutorAddr,
    /// lantern-executor's debug-object slots, used when units are
    /// registered one by one and it has them.
    slots: Option<DebugSlots>,
    /// Each unit registered on its own after its link, not merged before
    /// code runs.
    per_unit: bool,
    pending: Arc<Mutex<Vec<DebugPart>>>,
    executor: Arc<RemoteExecutor>,
}

/// lantern-executor's wrappers for debug objects that leave with their
/// unit: a unit's finalize action reserves its key
/// (`__lantern_executor_reserve_debug_object`), its dealloc action
/// deregisters it (the object leaves gdb's and lldb's list and its memory
/// is released), and the object, built after the link (on the background
/// worker while no debugger is attached), fills the slot
/// (`__lantern_executor_register_debug_object`; released at once when the
/// unit was removed meanwhile).
#[derive(Clone, Copy)]
struct DebugSlots {
    reserve: u64,
    register: u64,
    deregister: u64,
}

static NEXT_DEBUG_OBJECT_KEY: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// Room left in a merged object for the sections a merge adds itself.
const SECTION_BUDGET: usize = MAX_MERGED_SECTIONS - 64;

impl RemoteDebugObjects {
    /// Registers an object with LLVM's wrapper: for the session (LLVM 19's
    /// executors never unregister one).
    fn register(
        register: ExecutorAddr,
        executor: &dyn ExecutorControl,
        bytes: &[u8],
    ) -> lantern_core::Result<()> {
        place_read_only(executor, bytes, |range| {
            vec![AllocAction {
                finalize: Some(WrapperCall {
                    function: register,
                    arg: to_bytes(&(range, true)).into(),
                }),
                dealloc: None,
            }]
        })?;
        Ok(())
    }

    /// The passes of a unit whose object goes in a slot of its own.
    fn slot_passes(&self, slots: DebugSlots, config: &mut PassConfig) {
        let key = NEXT_DEBUG_OBJECT_KEY.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let key_call = |function: u64| WrapperCall {
            function: ExecutorAddr(function),
            arg: to_bytes(&key).into(),
        };
        let action = AllocAction {
            finalize: Some(key_call(slots.reserve)),
            dealloc: Some(key_call(slots.deregister)),
        };
        config.post_fixup.push(Box::new(move |graph| {
            graph.alloc_actions.push(action.clone());
            Ok(())
        }));
        let executor = Arc::clone(&self.executor);
        config.deferred.push(Box::new(move |graph, _| {
            let part = build_part(graph)?;
            let sent = place_read_only(executor.as_ref(), &part.object, |_| Vec::new()).and_then(
                |range| {
                    executor.run_wrapper(&WrapperCall {
                        function: ExecutorAddr(slots.register),
                        arg: to_bytes(&(key, range)).into(),
                    })
                },
            );
            match sent {
                // The session is over: no debugger can need the object.
                Err(_) if executor.is_closed() => Ok(()),
                sent => sent,
            }
        }));
    }
}

impl Plugin for RemoteDebugObjects {
    fn name(&self) -> &str {
        "remote-debug-objects"
    }

    fn modify_pass_config(&self, config: &mut PassConfig) {
        if let Some(slots) = self.slots {
            return self.slot_passes(slots, config);
        }
        if self.per_unit {
            let (register, executor) = (self.register, Arc::clone(&self.executor));
            config.deferred.push(Box::new(move |graph, _| {
                let part = build_part(graph)?;
                RemoteDebugObjects::register(register, executor.as_ref(), &part.object)
            }));
            return;
        }
        let pending = Arc::clone(&self.pending);
        config.deferred.push(Box::new(move |graph, _executor| {
            let part = build_part(graph)?;
            pending.lock().unwrap_or_else(|e| e.into_inner()).push(part);
            Ok(())
        }));
    }

    fn before_run(&self, executor: &dyn ExecutorControl) -> lantern_core::Result<()> {
        if self.per_unit {
            // Registered after each link: nothing waits.
            return Ok(());
        }
        if background::pending() > 0 && !executor.debugger_attached() {
            // Objects are still being built on the worker: register them
            // after, there (jobs run in order).
            let (register, pending) = (self.register, Arc::clone(&self.pending));
            let executor = Arc::clone(&self.executor);
            background::submit(Box::new(move || {
                let result = register_pending(register, &pending, executor.as_ref());
                if let Err(e) = result {
                    if !executor.is_closed() {
                        log::warn!("debug objects are not available to debuggers: {e}");
                    }
                }
            }));
            return Ok(());
        }
        register_pending(self.register, &self.pending, executor)
    }
}

/// Merges the debug objects waiting and registers them.
fn register_pending(
    register: ExecutorAddr,
    pending: &Mutex<Vec<DebugPart>>,
    executor: &dyn ExecutorControl,
) -> lantern_core::Result<()> {
    let pending = std::mem::take(&mut *pending.lock().unwrap_or_else(|e| e.into_inner()));
    // Batches a merged object can hold; a part whose DWARF cannot move
    // goes alone.
    let mut batches: Vec<Vec<DebugPart>> = Vec::new();
    let mut used = usize::MAX;
    for part in pending {
        let sections = part.allocated_sections();
        if part.sites.is_none() {
            batches.push(vec![part]);
            used = usize::MAX;
            continue;
        }
        if used.saturating_add(sections) > SECTION_BUDGET {
            batches.push(Vec::new());
            used = 0;
        }
        used += sections;
        batches.last_mut().expect("pushed above").push(part);
    }
    for batch in batches {
        let bytes = match batch.as_slice() {
            [one] => one.object.to_vec(),
            parts => merge(&parts.iter().collect::<Vec<_>>())
                .map_err(|e| lantern_core::Error::Other(format!("merging debug objects: {e}")))?,
        };
        RemoteDebugObjects::register(register, executor, &bytes)?;
    }
    Ok(())
}
