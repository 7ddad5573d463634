//! `lantern run --oop`, `--executor PATH`, `--connect HOST:PORT`: the
//! program runs in an executor process driven over LLVM 19's SimpleRemoteEPC
//! protocol (core/src/executor/remote/). The controller links as usual;
//! eh-frame registration, debug objects and the crash report's symbol
//! tables are built here and registered in the executor by allocation
//! actions calling its wrappers; perf maps and jitdump do not cross the
//! wire yet (docs/out-of-process.md).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use lantern_core::executor::remote::{Auth, RemoteEhFrameRegistration, SharedMemory};
use lantern_core::executor::{ExecutorControl, RemoteExecutor};
use lantern_core::executor_types::{ExecutorAddr, MemLifetime, MemProt};
use lantern_core::link::{PassConfig, Plugin};
use lantern_core::memory::{AllocAction, AllocRequest, Placement, SegmentRequest, WrapperCall};
use lantern_orc_wire::names::{
    LANTERN_DEREGISTER_SYMBOL_TABLE, LANTERN_REGISTER_SYMBOL_TABLE,
    LANTERN_REGISTER_SYMBOL_TABLE_FROM, REGISTER_JIT_LOADER_GDB_WRAPPER,
};
use lantern_orc_wire::sps::{to_bytes, Bytes};
use lantern_orc_wire::types::AddrRange;
use lantern_plugins::debug_object::merge::{merge, MAX_MERGED_SECTIONS};
use lantern_plugins::debug_object::{build_part, DebugPart};

use crate::cli::{link_one, new_session, prepare, CommonArgs, Linked, Plugins};

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
pub(crate) fn run(
    common: &CommonArgs,
    target: Target,
    argv: &[String],
    crash_report: bool,
    shared_memory: bool,
) -> Result<u8, String> {
    let spawn_started = std::time::Instant::now();
    let executor = match target {
        Target::Spawn(path, auth) => RemoteExecutor::spawn(&path.display().to_string(), auth),
        Target::Connect(addr) => {
            let secret = std::env::var("LANTERN_EXECUTOR_SECRET").ok();
            RemoteExecutor::connect(&addr, secret.as_deref())
        }
    }
    .map_err(|e| e.to_string())?;
    executor.set_shared_memory(shared_memory);
    log::info!(
        "executor {} ready (setup message read) in {:.1} ms",
        executor.target_triple(),
        spawn_started.elapsed().as_secs_f64() * 1e3
    );
    let executor = Arc::new(executor);
    let eh_frame = RemoteEhFrameRegistration::new(&executor).map_err(|e| e.to_string())?;
    let dynamic: Arc<dyn ExecutorControl> = executor.clone();
    let debugger_support = !common.no_debugger_support;
    let symbol_tables = match (
        executor.bootstrap_symbol(LANTERN_REGISTER_SYMBOL_TABLE),
        executor.bootstrap_symbol(LANTERN_DEREGISTER_SYMBOL_TABLE),
    ) {
        (Some(register), Some(deregister)) if crash_report => Some(RemoteSymbolTables {
            register,
            deregister,
            from_memory: executor
                .bootstrap_symbol(LANTERN_REGISTER_SYMBOL_TABLE_FROM)
                .map(|f| (f, Arc::clone(&executor))),
        }),
        _ => None,
    };
    let prepared = prepare(
        common,
        dynamic.as_ref(),
        std::slice::from_ref(&common.entry),
        debugger_support || symbol_tables.is_some(),
    )?;
    let mut session = new_session(dynamic, prepared.options.clone(), &Plugins::default());
    session.add_plugin(Arc::new(eh_frame));
    if let Some(tables) = symbol_tables {
        session.add_plugin(Arc::new(tables));
    }
    if debugger_support {
        let register = executor
            .lookup(REGISTER_JIT_LOADER_GDB_WRAPPER)
            .ok_or_else(|| {
                format!(
                    "the executor has no {REGISTER_JIT_LOADER_GDB_WRAPPER} for debugger support \
                     (--no-debugger-support runs without)"
                )
            })?;
        session.add_plugin(Arc::new(RemoteDebugObjects {
            register: register.addr,
            pending: Arc::default(),
        }));
    }
    let started = std::time::Instant::now();
    let mut units = Vec::with_capacity(prepared.units.len());
    for unit in prepared.units.iter().cloned() {
        units.push(link_one(&session, unit)?);
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

/// Each unit's crash-report symbol table (function ranges, inlined chains,
/// file:line:column: what the in-process symbolizer holds), built from the
/// unit's relocated DWARF after its fixups and registered in lantern-executor
/// by a finalize action calling its
/// `__lantern_executor_register_symbol_table(key, bytes)`; the dealloc
/// action drops it when the unit is removed. The table is built on the
/// link's path (in process it is read in the background). With shared
/// memory, the table (tens of MB for a large unit) is not sent in the
/// finalize message: it is written into a read-only allocation of its own
/// and the finalize action is
/// `__lantern_executor_register_symbol_table_from(key, range)`, which
/// decodes it there and releases that allocation.
struct RemoteSymbolTables {
    register: u64,
    deregister: u64,
    /// lantern-executor's register-from-memory wrapper, if it has one.
    from_memory: Option<(u64, Arc<RemoteExecutor>)>,
}

/// Copies a symbol table into a read-only allocation of its own in the
/// executor (shared memory: no bytes on the wire) and returns its range.
/// The executor releases the allocation when it registers the table.
fn place_table(executor: &RemoteExecutor, table: &[u8]) -> lantern_core::Result<AddrRange> {
    let request = AllocRequest {
        segments: vec![SegmentRequest {
            prot: MemProt::Read,
            lifetime: MemLifetime::Standard,
            size: table.len() as u64,
            align: 16,
        }],
        placement: Placement::Anywhere,
    };
    let mut alloc = executor.memory_manager().allocate(&request)?;
    alloc.working_memory(0).copy_from_slice(table);
    let start = alloc.segment_addr(0).0;
    // Released by the executor, not through this handle.
    std::mem::forget(alloc.finalize(Vec::new())?);
    Ok(AddrRange {
        start,
        end: start + table.len() as u64,
    })
}

static NEXT_TABLE_KEY: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

impl Plugin for RemoteSymbolTables {
    fn name(&self) -> &str {
        "remote-symbol-tables"
    }

    fn modify_pass_config(&self, config: &mut PassConfig) {
        config.debug_info_in_pipeline = true;
        let (register, deregister) = (self.register, self.deregister);
        let from_memory = self.from_memory.clone();
        config.post_fixup.push(Box::new(move |graph| {
            let key = NEXT_TABLE_KEY.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let table = lantern_plugins::symbolize::encoded_unit_table(graph);
            let finalize = match &from_memory {
                Some((from, executor))
                    if matches!(executor.shared_memory(), SharedMemory::On { .. }) =>
                {
                    WrapperCall {
                        function: ExecutorAddr(*from),
                        arg: to_bytes(&(key, place_table(executor, &table)?)).into(),
                    }
                }
                _ => WrapperCall {
                    function: ExecutorAddr(register),
                    arg: to_bytes(&(key, Bytes(table))).into(),
                },
            };
            graph.alloc_actions.push(AllocAction {
                finalize: Some(finalize),
                dealloc: Some(WrapperCall {
                    function: ExecutorAddr(deregister),
                    arg: to_bytes(&key).into(),
                }),
            });
            Ok(())
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
struct RemoteDebugObjects {
    register: ExecutorAddr,
    pending: Arc<Mutex<Vec<DebugPart>>>,
}

/// Room left in a merged object for the sections a merge adds itself.
const SECTION_BUDGET: usize = MAX_MERGED_SECTIONS - 64;

impl RemoteDebugObjects {
    fn register(&self, executor: &dyn ExecutorControl, bytes: &[u8]) -> lantern_core::Result<()> {
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
        let action = AllocAction {
            finalize: Some(WrapperCall {
                function: self.register,
                arg: to_bytes(&(range, true)).into(),
            }),
            dealloc: None,
        };
        std::mem::forget(alloc.finalize(vec![action])?);
        Ok(())
    }
}

impl Plugin for RemoteDebugObjects {
    fn name(&self) -> &str {
        "remote-debug-objects"
    }

    fn modify_pass_config(&self, config: &mut PassConfig) {
        let pending = Arc::clone(&self.pending);
        config.deferred.push(Box::new(move |graph, _executor| {
            let part = build_part(graph)?;
            pending.lock().unwrap_or_else(|e| e.into_inner()).push(part);
            Ok(())
        }));
    }

    fn before_run(&self, executor: &dyn ExecutorControl) -> lantern_core::Result<()> {
        let pending = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|e| e.into_inner()));
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
                parts => merge(&parts.iter().collect::<Vec<_>>()).map_err(|e| {
                    lantern_core::Error::Other(format!("merging debug objects: {e}"))
                })?,
            };
            self.register(executor, &bytes)?;
        }
        Ok(())
    }
}
