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
use lantern_core::executor::InProcessExecutor;
use lantern_plugins::{gdb_jit, DebugObjectPlugin, EhFrameRegistration};

use crate::cli::{link_one, new_session, prepare, CommonArgs, Plugins};

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
}

/// What the process holds: mappings, resident memory, registered debug objects.
#[derive(Debug, Clone, Copy)]
struct Footprint {
    mappings: usize,
    rss_kib: u64,
    jit_objects: usize,
}

fn footprint() -> Footprint {
    let mappings = std::fs::read_to_string("/proc/self/maps")
        .map(|m| m.lines().count())
        .unwrap_or(0);
    let rss_kib = std::fs::read_to_string("/proc/self/status")
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
        jit_objects: gdb_jit::registered_objects().len(),
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
    let executor = Arc::new(InProcessExecutor::new());
    let debug_object = DebugObjectPlugin::registering();
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
        ..Plugins::default()
    };
    let entry = args.common.entry.as_str();

    // One warm-up cycle: libraries the code needs get loaded, caches fill.
    let warm = new_session(executor.clone(), options.clone(), &plugins());
    let linked = link_one(&warm, unit.clone())?;
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
        let before_keep = footprint();
        // A session per unit: every copy defines the same symbols.
        let mut kept = Vec::with_capacity(args.keep);
        for _ in 0..args.keep {
            let session = new_session(executor.clone(), prepared.options.clone(), &plugins());
            let linked = link_one(&session, unit.clone())?;
            kept.push((session, linked));
        }
        let live = footprint();
        for (session, linked) in kept {
            session.remove(linked).map_err(|e| e.to_string())?;
        }
        let after_keep = footprint();
        println!(
            "churn: {} live units: +{} mappings, +{} KiB resident ({:.1} KiB per unit), {} registered debug objects; after removing them: {} mappings, {} KiB",
            args.keep,
            live.mappings.saturating_sub(before_keep.mappings),
            live.rss_kib.saturating_sub(before_keep.rss_kib),
            live.rss_kib.saturating_sub(before_keep.rss_kib) as f64 / args.keep as f64,
            live.jit_objects,
            after_keep.mappings,
            after_keep.rss_kib,
        );
    }
    Ok(())
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
