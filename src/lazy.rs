//! `lantern run --lazy`: each object (and each archive member a static link
//! would pull) is a unit of its own. The entry point's object, objects with
//! constructors or destructors and objects whose data (or hidden symbols)
//! others use are linked up front, as one unit, in command-line order; the
//! functions of the others are lazy entries, linked at their first call.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use lantern_core::elf::Archive;
use lantern_core::executor::InProcessExecutor;
use lantern_core::graph::InputFile;
use lantern_core::lazy::scan::{scan_object, ObjectSymbols};
use lantern_core::lazy::{BackPatching, LazyReexports};
use lantern_core::memory::ViewPatcher;
use lantern_core::session::LinkUnit;

use crate::cli::{link_one, new_session, prepare, CommonArgs, Linked, Plugins};

/// The program split into what links now and what links at a first call.
struct Partition {
    eager: Vec<InputFile>,
    /// Lazy objects, each with the functions it provides.
    lazy: Vec<(InputFile, Vec<String>)>,
}

/// Links the eager unit, registers the lazy ones and their entries. With
/// `back_patch`, direct calls to the entries are back-patched: rewritten
/// through packed memory's writable view ([`ViewPatcher`]) to call the
/// implementation once it is linked.
pub(crate) fn link_lazy(
    common: &CommonArgs,
    executor: Arc<InProcessExecutor>,
    plugins: Plugins<'_>,
    back_patch: bool,
) -> Result<Linked, String> {
    let debug_info = plugins.debug_object.is_some() || plugins.dwarf;
    let mut prepared = prepare(common, executor.as_ref(), &[], debug_info)?;
    prepared.options.background = plugins.background;
    let unit = prepared.units.pop().unwrap_or_default();
    let started = std::time::Instant::now();
    let objects = with_archive_members(unit)?;
    let partition = partition(&objects, &common.entry)?;
    let partitioned = started.elapsed();
    let mut session = new_session(executor.clone(), prepared.options.clone(), &plugins);
    let back_patching = back_patch.then(|| {
        let back_patching = Arc::new(BackPatching::new(
            executor.clone(),
            Box::new(ViewPatcher::new(executor.clone())),
        ));
        // Entries are never replaced nor re-lazified here and no unit is
        // removed: a site a debugger's breakpoint made unwritable may keep
        // calling the trampoline (which resolves again) or the stub.
        back_patching.keep_unwritable_sites();
        session.add_plugin(back_patching.clone());
        back_patching
    });
    let session = Arc::new(session);
    let lazy = match &back_patching {
        Some(back_patching) => LazyReexports::with_back_patching(session.clone(), back_patching),
        None => LazyReexports::new(session.clone()),
    };
    let mut reexports = Vec::new();
    for (object, provides) in partition.lazy {
        let mut unit = LinkUnit::default();
        unit.objects.push(object);
        reexports.extend(provides.iter().map(|n| (n.clone(), n.clone())));
        lazy.add_unit_providing(unit, provides)
            .map_err(|e| e.to_string())?;
    }
    // Entries first: the eager unit's calls resolve to their stubs.
    let defining = std::time::Instant::now();
    lazy.define(&reexports).map_err(|e| e.to_string())?;
    log::info!(
        "--lazy: {} objects linked now, {} lazily ({} entries); split in {:.1?}, entries defined in {:.1?}",
        partition.eager.len(),
        lazy.units_available(),
        reexports.len(),
        partitioned,
        defining.elapsed()
    );
    let eager = LinkUnit {
        objects: partition.eager,
        archives: Vec::new(),
    };
    let unit = link_one(&session, eager)?;
    if common.timings {
        crate::report::print_timings(unit.timings());
    }
    Ok(Linked {
        session,
        units: vec![unit],
        lazy: Some(LazyRun {
            reexports: lazy,
            back_patching,
        }),
    })
}

/// What `run --lazy` set up, for the `--verbose` report.
#[derive(Clone)]
pub(crate) struct LazyRun {
    pub(crate) reexports: LazyReexports,
    /// With `--back-patch`.
    pub(crate) back_patching: Option<Arc<BackPatching>>,
}

/// The lazy units `report_at_exit` reports on.
static AT_EXIT: std::sync::OnceLock<LazyRun> = std::sync::OnceLock::new();

/// `--verbose`: reports how many units the run linked (and with
/// `--back-patch`, what was patched) when the process exits, after the
/// program's exit handlers (registered later, they run first), however the
/// program ends (`return` from `main` or `exit()`).
pub(crate) fn report_at_exit(lazy: LazyRun) {
    extern "C" fn at_exit() {
        if let Some(lazy) = AT_EXIT.get() {
            report(lazy);
        }
    }
    if AT_EXIT.set(lazy).is_ok() {
        // SAFETY: registers a function that takes no argument and only
        // reads a static.
        unsafe { libc::atexit(at_exit) };
    }
}

/// How many units the run linked; what back-patching did.
fn report(lazy: &LazyRun) {
    eprintln!(
        "lantern: --lazy: 1 unit linked at start, {} of {} lazy units linked by the end",
        lazy.reexports.units_linked(),
        lazy.reexports.units_available()
    );
    if let Some(back_patching) = &lazy.back_patching {
        let stats = back_patching.stats();
        eprintln!(
            "lantern: --back-patch: {} of {} direct calls to lazy functions call their current target, \
             {} call-site writes; {} calls left to the stub (rel32 across an 8-byte word), \
             {} writes refused (pages a debugger wrote into)",
            stats.direct, stats.points, stats.patched, stats.unaligned, stats.unwritable
        );
    }
}

/// The unit's objects followed by the archive members a static link would
/// pull for them (each member an object of its own).
fn with_archive_members(unit: LinkUnit) -> Result<Vec<InputFile>, String> {
    let mut objects = unit.objects;
    if unit.archives.is_empty() {
        return Ok(objects);
    }
    let mut archives = unit
        .archives
        .iter()
        .map(|a| Archive::parse(&a.name, a.data.clone()))
        .collect::<lantern_core::Result<Vec<_>>>()
        .map_err(|e| e.to_string())?;
    let mut defined: HashSet<String> = HashSet::new();
    let mut wanted: Vec<String> = Vec::new();
    let mut scanned = 0;
    loop {
        for object in &objects[scanned..] {
            let symbols = scan(object)?;
            defined.extend(symbols.defined.into_iter().map(|d| d.name));
            let weak: HashSet<String> = symbols.weak_undefined.into_iter().collect();
            wanted.extend(symbols.undefined.into_iter().filter(|n| !weak.contains(n)));
        }
        scanned = objects.len();
        let mut pulled = false;
        for name in std::mem::take(&mut wanted) {
            if defined.contains(&name) {
                continue;
            }
            for archive in archives.iter_mut() {
                if let Some(member) = archive.extract_defining(&name).map_err(|e| e.to_string())? {
                    objects.push(member.file);
                    pulled = true;
                    break;
                }
            }
        }
        if !pulled {
            return Ok(objects);
        }
    }
}

fn scan(object: &InputFile) -> Result<ObjectSymbols, String> {
    scan_object(&object.name, (*object.data).as_ref()).map_err(|e| e.to_string())
}

/// Which objects link now: the entry point's, those with initializers, and
/// those defining data, untyped or hidden symbols another object uses (and
/// the users of hidden ones). Every other object is lazy and provides the
/// functions that other objects call and it is chosen to define (a strong
/// definition before a weak one, none that an eager object defines).
fn partition(objects: &[InputFile], entry: &str) -> Result<Partition, String> {
    let symbols: Vec<ObjectSymbols> = objects.iter().map(scan).collect::<Result<_, _>>()?;
    // Name -> the object whose definition a static link keeps.
    let mut winner: HashMap<&str, (usize, bool)> = HashMap::new();
    for (i, s) in symbols.iter().enumerate() {
        for d in &s.defined {
            let strong = !d.weak;
            match winner.get(&*d.name) {
                Some(&(_, true)) => {}
                Some(&(_, false)) if !strong => {}
                _ => {
                    winner.insert(&d.name, (i, strong));
                }
            }
        }
    }
    // A name several objects define, as data or one of them strongly
    // (COMDAT groups, common symbols, inline functions' static variables,
    // a strong definition overriding a weak one), or as weak functions
    // outside COMDAT groups (C's weak overrides, different bodies): only a
    // static link of all of them together picks the one every object uses.
    // Copies of one inline function (COMDAT) may stay in lazy units.
    let mut definers: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, s) in symbols.iter().enumerate() {
        for d in &s.defined {
            definers.entry(&d.name).or_default().push(i);
        }
    }
    let mut eager = vec![false; objects.len()];
    for (name, list) in &definers {
        let defs: Vec<_> = list
            .iter()
            .filter_map(|&i| symbols[i].defined.iter().find(|d| d.name == *name))
            .collect();
        // Copies of one inline function, or of a hidden COMDAT datum each
        // unit may keep (`DW.ref.__gxx_personality_v0`).
        let one_inline_function = defs
            .iter()
            .all(|d| d.weak && d.in_comdat && (d.is_function || d.hidden));
        if list.len() > 1 && !one_inline_function {
            for &i in list {
                eager[i] = true;
            }
        }
    }
    let definition = |i: usize, name: &str| symbols[i].defined.iter().find(|d| d.name == name);
    for (i, s) in symbols.iter().enumerate() {
        if s.has_initializers || s.defined.iter().any(|d| d.name == entry) {
            eager[i] = true;
        }
        for name in &s.undefined {
            let Some(&(definer, _)) = winner.get(&**name) else {
                continue;
            };
            let d = definition(definer, name).expect("the winner defines it");
            if d.hidden {
                eager[i] = true;
                eager[definer] = true;
            } else if !d.is_function {
                eager[definer] = true;
            }
        }
    }
    let eager_names: HashSet<&str> = symbols
        .iter()
        .zip(&eager)
        .filter(|(_, &e)| e)
        .flat_map(|(s, _)| s.defined.iter().map(|d| &*d.name))
        .collect();
    // Only functions another object calls need an entry: the rest are
    // reached from their own unit once it is linked.
    let referenced: HashSet<&str> = symbols
        .iter()
        .flat_map(|s| s.undefined.iter().map(|n| &**n))
        .collect();
    let mut partition = Partition {
        eager: Vec::new(),
        lazy: Vec::new(),
    };
    for (i, object) in objects.iter().enumerate() {
        if eager[i] {
            partition.eager.push(object.clone());
            continue;
        }
        let provides: Vec<String> = symbols[i]
            .defined
            .iter()
            .filter(|d| {
                d.is_function
                    && !d.hidden
                    && referenced.contains(&*d.name)
                    && !eager_names.contains(&*d.name)
                    && winner.get(&*d.name).map(|w| w.0) == Some(i)
            })
            .map(|d| d.name.clone())
            .collect();
        partition.lazy.push((object.clone(), provides));
    }
    Ok(partition)
}
