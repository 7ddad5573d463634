//! `lantern churn`: the life cycle a language runtime puts Lantern through,
//! measured. Each cycle links the files as a unit, calls the entry point,
//! and removes the unit (its debug object unregistered, its eh-frames
//! deregistered, its memory unmapped); several threads may churn at once.
//! Afterwards it reports the time per cycle, what the process holds compared
//! with before, and with `--keep K` the memory each live unit costs.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use lantern_plugins::{gdb_jit, symbolize, DebugObjectPlugin, EhFrameRegistration};

use crate::cli::{explain_link_error, link_one, new_session, prepare, CommonArgs, Plugins};
use lantern_core::executor::InProcessExecutor;
use lantern_core::memory::packed_stats;
use lantern_core::session::{LinkUnit, Session, SessionOptions};

#[derive(Args)]
pub(crate) struct ChurnArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// Add, call and remove the unit this many times (per thread).
    #[arg(long, default_value_t = 1000, value_name = "N")]
    cycles: u64,
    /// Churn on this many threads at once, each with its own session.
    #[arg(long, default_value_t = 1, value_name = "T")]
    threads: usize,
    /// Stop early, after the cycle in progress, when standard input reaches
    /// end of file (a test attaching a debugger closes it once its session
    /// is done, rather than waiting for a cycle count sized for the worst case).
    #[arg(long)]
    until_stdin_closes: bool,
    /// Then keep K units linked at once and report the memory each one costs.
    #[arg(long, default_value_t = 0, value_name = "K")]
    keep: usize,
    /// With --keep, call the entry point of S live units picked at random
    /// (fixed seed) while all K are linked: calls that throw and catch C++
    /// exceptions find their frames among K registered units.
    #[arg(long, default_value_t = 0, value_name = "S", requires = "keep")]
    call_sample: usize,
    /// With --keep, symbolize the entry points of S sampled live units (the
    /// lookups a crash report and `lantern symbolize` make): links with the
    /// symbolizer plugin.
    #[arg(long, default_value_t = 0, value_name = "S", requires = "keep")]
    symbolize_sample: usize,
    /// With --keep, then add, call and remove a unit C more times while the K
    /// units are live: what one more unit costs at that scale.
    #[arg(long, default_value_t = 0, value_name = "C", requires = "keep")]
    cycles_while_kept: u64,
    /// Churn in another process: `lantern-executor` (beside the `lantern`
    /// binary) on a socketpair. The entry point runs there; each removal
    /// unregisters the unit's debug object and eh-frames there
    /// (docs/out-of-process.md).
    #[arg(long, conflicts_with_all = ["executor", "connect", "keep", "threads"])]
    oop: bool,
    /// Churn in another process started as `PATH filedescs=N,N` (any LLVM 19
    /// SimpleRemoteEPC executor).
    #[arg(long, value_name = "PATH", conflicts_with_all = ["connect", "keep", "threads"])]
    executor: Option<std::path::PathBuf>,
    /// Churn in an executor listening on HOST:PORT.
    #[arg(long, value_name = "HOST:PORT", conflicts_with_all = ["keep", "threads"])]
    connect: Option<String>,
    /// Out of process, send segment bytes in the protocol's messages instead
    /// of memory shared with the executor.
    #[arg(long)]
    no_shared_memory: bool,
    /// Register debug objects batched: units linked since code last ran
    /// are merged into one object file before it runs, and merged object
    /// files are merged again as they accumulate (about 7·log8(N) of them
    /// for N live units), instead of one object file per unit. What a
    /// runtime that keeps many units under a debugger should use
    /// (`DebugObjectPlugin::batched`); a removal registers the rest of its
    /// object file again.
    #[arg(long, conflicts_with_all = ["oop", "executor", "connect"])]
    batched_registration: bool,
}

/// What the process holds: mappings, resident memory, registered debug objects.
#[derive(Debug, Clone, Copy)]
struct Footprint {
    mappings: usize,
    rss_kib: u64,
    jit_objects: usize,
}

fn footprint() -> Footprint {
    process_footprint("self", gdb_jit::registered_objects().len())
}

/// What process `pid` (`self` for this one) holds; `jit_objects` as given.
fn process_footprint(pid: &str, jit_objects: usize) -> Footprint {
    let mappings = std::fs::read_to_string(format!("/proc/{pid}/maps"))
        .map(|m| m.lines().count())
        .unwrap_or(0);
    let rss_kib = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0);
    Footprint {
        mappings,
        rss_kib,
        jit_objects,
    }
}

impl ChurnArgs {
    pub(crate) fn common(&self) -> &CommonArgs {
        &self.common
    }
}

pub(crate) fn churn(args: ChurnArgs) -> Result<(), String> {
    if args.common.separate_units {
        return Err("churn links the files as one unit: drop --separate-units".into());
    }
    if let Some(target) =
        crate::oop::target(args.oop, args.executor.as_deref(), args.connect.as_deref())?
    {
        return churn_remote(&args, target);
    }
    let executor = Arc::new(args.common.executor());
    let debug_object = if args.batched_registration {
        DebugObjectPlugin::registering().batched()
    } else {
        DebugObjectPlugin::registering()
    };
    // Batched units are registered when code is about to run.
    let before_call = |session: &Session| -> Result<(), String> {
        if args.batched_registration {
            session.prepare_to_run().map_err(|e| e.to_string())?;
        }
        Ok(())
    };
    let eh_frame = EhFrameRegistration::new().map_err(|e| e.to_string())?;
    let debugger_support = !args.common.no_debugger_support;
    let prepared = prepare(
        &args.common,
        executor.as_ref(),
        std::slice::from_ref(&args.common.entry),
        debugger_support,
    )?;
    let unit = prepared.units[0].clone();
    let mut options = prepared.options.clone();
    options.background = true;
    let plugins = || Plugins {
        debug_object: debugger_support.then_some(&debug_object),
        eh_frame: Some(eh_frame),
        symbolizer: args.symbolize_sample > 0,
        ..Plugins::default()
    };
    let entry = args.common.entry.as_str();

    // One warm-up cycle: libraries the code needs get loaded, caches fill.
    let warm = new_session(executor.clone(), options.clone(), &plugins());
    let linked = link_one(&warm, unit.clone())?;
    before_call(&warm)?;
    call_entry(&linked, entry, 0)?;
    warm.remove(linked).map_err(|e| e.to_string())?;
    let before = footprint();

    let stop = Arc::new(AtomicBool::new(false));
    if args.until_stdin_closes {
        let stop = stop.clone();
        std::thread::spawn(move || {
            // Whatever is written is ignored: only end of file (or an error) stops.
            let _ = std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink());
            stop.store(true, Ordering::Relaxed);
        });
    }
    let start = Instant::now();
    let results: Vec<Result<(i64, Duration, u64), String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..args.threads.max(1))
            .map(|_| {
                let (executor, unit, options) = (executor.clone(), unit.clone(), options.clone());
                let plugins = plugins();
                let single = args.threads <= 1;
                let stop = &stop;
                scope.spawn(move || {
                    let session = new_session(executor, options, &plugins);
                    let mut checksum = 0i64;
                    let mut slowest = Duration::ZERO;
                    let mut done = 0;
                    for cycle in 0..args.cycles {
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        let t = Instant::now();
                        let linked = link_one(&session, unit.clone())?;
                        let addr = linked.lookup(entry).map_or(0, |a| a.0);
                        before_call(&session)?;
                        checksum += i64::from(call_entry(&linked, entry, cycle as i32)?);
                        session.remove(linked).map_err(|e| e.to_string())?;
                        // Alone, nothing can have reused the address: the unwinder
                        // must have forgotten the unit's frames.
                        if single && lantern_plugins::eh_frame::unwinder_has_fde(addr) {
                            return Err(format!("cycle {cycle}: the unwinder still has an FDE for {addr:#x} after removal"));
                        }
                        slowest = slowest.max(t.elapsed());
                        done += 1;
                    }
                    Ok((checksum, slowest, done))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("a churn thread panicked".into()))
            })
            .collect()
    });
    let elapsed = start.elapsed();
    let mut checksum = 0i64;
    let mut slowest = Duration::ZERO;
    let mut cycles = 0;
    for result in results {
        let (sum, slow, done) = result?;
        checksum += sum;
        slowest = slowest.max(slow);
        cycles += done;
    }
    let after = footprint();
    println!(
        "churn: {cycles} add+call+remove cycles on {} thread(s) in {:.3} s: {:.1} us per cycle (slowest {:.1} us), checksum {checksum}",
        args.threads.max(1),
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e6 / cycles.max(1) as f64,
        slowest.as_secs_f64() * 1e6,
    );
    println!(
        "churn: before -> after: {} -> {} mappings, {} -> {} KiB resident, {} -> {} registered debug objects",
        before.mappings, after.mappings, before.rss_kib, after.rss_kib, before.jit_objects, after.jit_objects
    );

    if args.keep > 0 {
        keep(
            &args,
            &executor,
            &prepared.options,
            &unit,
            &plugins,
            &before_call,
        )?;
    }
    Ok(())
}

/// `--keep K`: links K copies at once, reports what each costs (mappings,
/// resident memory, JIT bytes, its debug object apart), removes them all and
/// reports what is left.
fn keep<'a>(
    args: &ChurnArgs,
    executor: &Arc<InProcessExecutor>,
    options: &SessionOptions,
    unit: &LinkUnit,
    plugins: &dyn Fn() -> Plugins<'a>,
    before_call: &dyn Fn(&Session) -> Result<(), String>,
) -> Result<(), String> {
    let before = footprint();
    let jit_before = packed_stats();
    let start = Instant::now();
    // One session, private units: every copy defines the same symbols,
    // as a runtime's compiled queries would (a session per unit costs
    // about 600 bytes more each).
    let session = new_session(executor.clone(), options.clone(), &plugins());
    let mut kept = Vec::with_capacity(args.keep);
    for i in 0..args.keep {
        let linked = explain_link_error(session.link_private(unit.clone()))
            .map_err(|e| format!("live unit {}: {e}", i + 1))?;
        kept.push(linked);
    }
    before_call(&session)?;
    let added = start.elapsed();
    if args.call_sample > 0 {
        let start = Instant::now();
        let mut checksum = 0i64;
        // The argument is the call's ordinal: unit i of the sample gets call j.
        for (j, i) in sample(kept.len(), args.call_sample).enumerate() {
            checksum += i64::from(call_entry(&kept[i], &args.common.entry, j as i32)?);
        }
        println!(
            "churn: called {} sampled live units among {}: {:.1} us per call, checksum {checksum}",
            args.call_sample,
            kept.len(),
            start.elapsed().as_secs_f64() * 1e6 / args.call_sample as f64,
        );
    }
    if args.symbolize_sample > 0 {
        let addrs: Vec<u64> = sample(kept.len(), args.symbolize_sample)
            .map(|i| kept[i].lookup(&args.common.entry).map_or(0, |a| a.0))
            .collect();
        let start = Instant::now();
        let mut found = 0;
        for &addr in &addrs {
            let mut frames = 0;
            if symbolize::symbolize_jit(addr, &mut |_| frames += 1) == symbolize::Lookup::Found {
                found += usize::from(frames > 0);
            }
        }
        let crash_lookup = start.elapsed();
        let start = Instant::now();
        let mut full = 0;
        for &addr in &addrs {
            full += usize::from(symbolize::symbolize(addr).is_some_and(|f| !f.is_empty()));
        }
        println!(
            "churn: symbolized {} sampled live units among {}: {:.2} us per crash-handler lookup, {:.2} us per full lookup, {found} and {full} found",
            addrs.len(),
            kept.len(),
            crash_lookup.as_secs_f64() * 1e6 / addrs.len() as f64,
            start.elapsed().as_secs_f64() * 1e6 / addrs.len() as f64,
        );
    }
    if args.cycles_while_kept > 0 {
        let start = Instant::now();
        for cycle in 0..args.cycles_while_kept {
            let session = new_session(executor.clone(), options.clone(), &plugins());
            let linked = link_one(&session, unit.clone())?;
            before_call(&session)?;
            call_entry(&linked, &args.common.entry, cycle as i32)?;
            session.remove(linked).map_err(|e| e.to_string())?;
        }
        println!(
            "churn: {} add+call+remove cycles while {} units are live: {:.1} us per cycle",
            args.cycles_while_kept,
            kept.len(),
            start.elapsed().as_secs_f64() * 1e6 / args.cycles_while_kept as f64,
        );
    }
    let live = footprint();
    let jit_live = packed_stats();
    let debug_bytes: u64 = gdb_jit::registered_objects()
        .iter()
        .map(|(_, size)| size)
        .sum();
    let start = Instant::now();
    {
        // Batched units leave their merged object files once each, not one
        // re-registration of the rest per unit.
        let _batch = lantern_plugins::debug_object::registry::batch_removals();
        for linked in kept {
            session.remove(linked).map_err(|e| e.to_string())?;
        }
    }
    let removed = start.elapsed();
    // Freed heap stays with malloc until trimmed: trim, so that what is
    // left is what is still in use.
    // SAFETY: malloc_trim only returns free heap memory to the kernel.
    unsafe { libc::malloc_trim(0) };
    let after = footprint();
    let k = args.keep as f64;
    let rss_bytes = live.rss_kib.saturating_sub(before.rss_kib) * 1024;
    let jit_bytes: u64 = (0..3)
        .map(|z| jit_live.allocated[z].saturating_sub(jit_before.allocated[z]))
        .sum();
    println!(
        "churn: {} live units (linked in {:.2} s, removed in {:.2} s): +{} mappings ({} in all), +{} KiB resident",
        args.keep,
        added.as_secs_f64(),
        removed.as_secs_f64(),
        live.mappings.saturating_sub(before.mappings),
        live.mappings,
        rss_bytes / 1024,
    );
    let jit_resident = jit_live.resident.saturating_sub(jit_before.resident);
    println!(
        "churn: per live unit: {:.0} bytes resident without its debug object: packed JIT memory {:.0} bytes \
         allocated, {:.0} bytes resident ({} slab(s)); the rest is heap (its symbols, memory record, unwind and debugger registrations); \
         debug object {:.0} bytes ({} registered)",
        (rss_bytes.saturating_sub(debug_bytes)) as f64 / k,
        jit_bytes as f64 / k,
        jit_resident as f64 / k,
        jit_live.slabs,
        debug_bytes as f64 / k,
        live.jit_objects,
    );
    println!(
        "churn: after removing them (heap trimmed): {} mappings, {} KiB resident ({:+} mappings, {:+} KiB from before)",
        after.mappings,
        after.rss_kib,
        after.mappings as i64 - before.mappings as i64,
        after.rss_kib as i64 - before.rss_kib as i64,
    );
    Ok(())
}

/// `count` indices below `len`, picked by xorshift64 from a fixed seed (a
/// reproducible sample; tests compute the same).
fn sample(len: usize, count: usize) -> impl Iterator<Item = usize> {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    (0..count).map(move |_| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % len as u64) as usize
    })
}

/// Calls the entry point as `int entry(int cycle)`.
fn call_entry(
    linked: &lantern_core::session::LinkedUnit,
    entry: &str,
    cycle: i32,
) -> Result<i32, String> {
    let addr = linked
        .lookup(entry)
        .ok_or_else(|| format!("entry point `{entry}` is not defined by the linked objects"))?;
    // SAFETY: the unit is linked and finalized; `churn` documents that the
    // entry point has the C signature `int entry(int)`.
    let f: extern "C" fn(i32) -> i32 = unsafe { std::mem::transmute(addr.0 as usize) };
    Ok(f(cycle))
}

/// `churn --oop`, `--executor`, `--connect`: the cycles run in an executor
/// process; the entry point is called there (LLVM's run-as-int-function),
/// and each removal runs the unit's dealloc actions there: its debug
/// object leaves the executor's GDB JIT list (lantern-executor), its
/// eh-frames leave the unwinder, its memory is unmapped. What the executor
/// process holds is reported as for the in-process churn.
fn churn_remote(args: &ChurnArgs, target: crate::oop::Target) -> Result<(), String> {
    let executor = crate::oop::start(target, !args.no_shared_memory)?;
    let debugger_support = !args.common.no_debugger_support;
    let plugins = crate::oop::RemotePlugins::new(&executor, debugger_support, false, true)?;
    let dynamic: Arc<dyn lantern_core::executor::ExecutorControl> = executor.clone();
    let prepared = prepare(
        &args.common,
        dynamic.as_ref(),
        std::slice::from_ref(&args.common.entry),
        debugger_support,
    )?;
    let unit = prepared.units[0].clone();
    let mut options = prepared.options.clone();
    options.background = true;
    let mut session = new_session(dynamic, options, &Plugins::default());
    plugins.add_to(&mut session);
    let entry = args.common.entry.as_str();
    let cycle = |n: u64| -> Result<i32, String> {
        let linked = link_one(&session, unit.clone())?;
        let addr = linked
            .lookup(entry)
            .ok_or_else(|| format!("entry point `{entry}` is not defined by the linked objects"))?;
        let result = executor
            .run_int_function(addr, n as i32)
            .map_err(|e| e.to_string())?;
        session.remove(linked).map_err(|e| e.to_string())?;
        Ok(result)
    };
    let pid = executor.pid().map(|p| p.to_string());
    let held = || pid.as_deref().map(|p| process_footprint(p, 0));

    // One warm-up cycle, as in process.
    cycle(0)?;
    let before = held();
    let stop = Arc::new(AtomicBool::new(false));
    if args.until_stdin_closes {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink());
            stop.store(true, Ordering::Relaxed);
        });
    }
    let start = Instant::now();
    let (mut checksum, mut slowest, mut cycles) = (0i64, Duration::ZERO, 0u64);
    for n in 0..args.cycles {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let t = Instant::now();
        checksum += i64::from(cycle(n)?);
        slowest = slowest.max(t.elapsed());
        cycles += 1;
    }
    let elapsed = start.elapsed();
    let after = held();
    println!(
        "churn: {cycles} add+call+remove cycles in the executor (pid {}) in {:.3} s: {:.1} us per cycle (slowest {:.1} us), checksum {checksum}",
        pid.as_deref().unwrap_or("unknown"),
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e6 / cycles.max(1) as f64,
        slowest.as_secs_f64() * 1e6,
    );
    if let (Some(before), Some(after)) = (before, after) {
        println!(
            "churn: the executor before -> after: {} -> {} mappings, {} -> {} KiB resident",
            before.mappings, after.mappings, before.rss_kib, after.rss_kib
        );
    }
    executor.hang_up();
    Ok(())
}
