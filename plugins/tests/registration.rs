//! The debug-object plugin end to end: a linked unit is in the GDB JIT list
//! while it lives, with a well-formed debug object naming its code at its
//! final address; removal and failed links leave the list as it was.

mod support;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use lantern_core::executor::InProcessExecutor;
use lantern_core::link::{background, Plugin};
use lantern_core::session::{LinkUnit, Session, SessionOptions};
use lantern_plugins::{gdb_jit, DebugObjectPlugin};
use object::{Object, ObjectSection, ObjectSymbol};

/// The JIT list is process-wide: these tests take turns.
static SERIAL: Mutex<()> = Mutex::new(());

fn compile(name: &str, source: &str) -> Option<PathBuf> {
    support::compile("gcc", "plugins-registration", name, source, &["-g", "-O1"])
}

fn session(extra: Option<Arc<dyn Plugin>>) -> Session {
    session_with(DebugObjectPlugin::registering(), extra)
}

fn session_with(plugin: DebugObjectPlugin, extra: Option<Arc<dyn Plugin>>) -> Session {
    let options = SessionOptions {
        debug_info: true,
        ..SessionOptions::default()
    };
    let mut session = Session::new(Arc::new(InProcessExecutor::new()), options);
    session.add_plugin(Arc::new(plugin));
    if let Some(plugin) = extra {
        session.add_plugin(plugin);
    }
    session
}

fn unit(path: &Path) -> LinkUnit {
    let mut unit = LinkUnit::default();
    unit.add_path(path).unwrap();
    unit
}

/// The bytes of the registered object at `addr` (the list owns them).
fn registered_bytes(addr: u64, size: u64) -> Vec<u8> {
    // SAFETY: the entry is registered (the caller just read it from the list)
    // and stays so while the test holds SERIAL; its bytes are `size` long.
    unsafe { std::slice::from_raw_parts(addr as *const u8, size as usize) }.to_vec()
}

#[test]
fn registered_while_linked_and_unregistered_on_removal() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(obj) = compile(
        "registered",
        "int twice(int x) { return 2 * x; }\nint counter = 7;\n",
    ) else {
        return;
    };
    let before = gdb_jit::registered_objects();
    let session = session(None);
    let linked = session.link(unit(&obj)).unwrap();
    let after = gdb_jit::registered_objects();
    assert_eq!(after.len(), before.len() + 1, "one registration per unit");
    // The newest entry is first in the list, as gdb's own JIT readers expect.
    let (addr, size) = after[0];
    let bytes = registered_bytes(addr, size);
    let file = object::File::parse(&*bytes).expect("the debug object is ELF");
    assert_eq!(file.kind(), object::ObjectKind::Relocatable);
    let twice = file
        .symbols()
        .find(|s| s.name() == Ok("twice"))
        .expect("a `twice` symbol");
    let text = file
        .section_by_index(twice.section_index().unwrap())
        .unwrap();
    assert_eq!(
        text.address() + twice.address(),
        linked.lookup("twice").unwrap().0,
        "symbol at its final address"
    );
    assert!(
        file.section_by_name(".debug_info").is_some(),
        "DWARF is in the debug object"
    );
    assert!(
        file.sections()
            .all(|s| !s.name().unwrap_or("").starts_with(".rela")),
        "no relocations left"
    );
    assert!(
        (size as usize) < std::fs::metadata(&obj).unwrap().len() as usize,
        "the debug object ({size} bytes) is smaller than the object it describes"
    );

    session.remove(linked).unwrap();
    assert_eq!(gdb_jit::registered_objects(), before, "removal unregisters");
}

#[test]
fn failed_link_registers_nothing() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(obj) = compile(
        "undefined",
        "int missing_function(int);\nint f(int x) { return missing_function(x); }\n",
    ) else {
        return;
    };
    let before = gdb_jit::registered_objects();
    let err = session(None).link(unit(&obj)).unwrap_err();
    assert!(err.to_string().contains("missing_function"), "{err}");
    assert_eq!(gdb_jit::registered_objects(), before);
}

#[test]
fn failing_finalize_action_undoes_the_registration() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(obj) = compile("undone", "int thrice(int x) { return 3 * x; }\n") else {
        return;
    };
    let before = gdb_jit::registered_objects();
    let session = session(Some(Arc::new(support::FailingFinalize)));
    let err = session.link(unit(&obj)).unwrap_err();
    assert!(err.to_string().contains("failed with status 7"), "{err}");
    assert_eq!(
        gdb_jit::registered_objects(),
        before,
        "no half-registered object is left behind"
    );
    assert!(session.lookup("thrice").is_none());
}

/// The functions a registered object names, with their addresses, and the
/// names of the compile units its DWARF describes.
fn described(addr: u64, size: u64) -> (Vec<(String, u64)>, Vec<String>) {
    let bytes = registered_bytes(addr, size);
    let file = object::File::parse(&*bytes).expect("the debug object is ELF");
    let mut functions: Vec<(String, u64)> = file
        .symbols()
        .filter(|s| s.kind() == object::SymbolKind::Text)
        .map(|s| {
            let section = file.section_by_index(s.section_index().unwrap()).unwrap();
            (
                s.name().unwrap().to_string(),
                section.address() + s.address(),
            )
        })
        .collect();
    functions.sort();
    let dwarf = gimli::Dwarf::load(|id| -> Result<_, gimli::Error> {
        let data = file
            .section_by_name(id.name())
            .and_then(|s| s.data().ok())
            .unwrap_or(&[]);
        Ok(gimli::EndianSlice::new(data, gimli::LittleEndian))
    })
    .unwrap();
    let mut units = Vec::new();
    let mut headers = dwarf.units();
    while let Some(header) = headers.next().unwrap() {
        let unit = dwarf.unit(header).expect("every unit parses");
        // Every unit's line table and strings are where its offsets say.
        let program = unit.line_program.clone().expect("a line table");
        let mut rows = program.rows();
        while rows.next_row().unwrap().is_some() {}
        // gimli resolved DW_AT_name through the (moved) string offsets.
        let name = unit.name.expect("a unit name");
        units.push(String::from_utf8_lossy(&name).into_owned());
    }
    (functions, units)
}

/// Batched: units wait until code may run, then share one object file; a
/// unit removed from it leaves the others registered, and one removed while
/// waiting is never registered.
#[test]
fn batched_units_share_one_registration_until_removed() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let sources = [
        (
            "batch_a",
            "int a_fn(int x) { return x + 1; }\nconst char *a_name = \"a\";\n",
        ),
        (
            "batch_b",
            "int a_fn(int);\nint b_fn(int x) { return a_fn(x) * 2; }\n",
        ),
        (
            "batch_c",
            "int b_fn(int);\nint c_fn(int x) { return b_fn(x) - 3; }\n",
        ),
        ("batch_d", "int d_fn(int x) { return -x; }\n"),
    ];
    let mut objects = Vec::new();
    for (name, source) in sources {
        let Some(obj) = compile(name, source) else {
            return;
        };
        objects.push(obj);
    }
    let before = gdb_jit::registered_objects();
    let session = session_with(DebugObjectPlugin::registering().batched(), None);
    let mut linked: Vec<_> = objects[..3]
        .iter()
        .map(|o| session.link(unit(o)).unwrap())
        .collect();
    assert_eq!(
        gdb_jit::registered_objects(),
        before,
        "nothing before code may run"
    );

    let c_fn = session.lookup("c_fn").expect("c_fn");
    let after = gdb_jit::registered_objects();
    assert_eq!(
        after.len(),
        before.len() + 1,
        "three units, one object file"
    );
    let (functions, units) = described(after[0].0, after[0].1);
    let expected: Vec<(String, u64)> = [("a_fn", 0), ("b_fn", 1), ("c_fn", 2)]
        .iter()
        .map(|&(name, unit)| (name.to_string(), linked[unit].lookup(name).unwrap().0))
        .collect();
    assert_eq!(functions, expected);
    assert_eq!(c_fn, linked[2].lookup("c_fn").unwrap());
    let unit_names: Vec<bool> = ["batch_a", "batch_b", "batch_c"]
        .iter()
        .map(|n| units.iter().any(|u| u.contains(n)))
        .collect();
    assert_eq!(unit_names, [true, true, true], "{units:?}");
    // SAFETY: c_fn is `int c_fn(int)`, linked and finalized in this process.
    let call: extern "C" fn(i32) -> i32 = unsafe { std::mem::transmute(c_fn.0 as usize) };
    assert_eq!(call(4), 7);

    // A unit linked and removed before code runs is never registered.
    let d = session.link(unit(&objects[3])).unwrap();
    session.remove(d).unwrap();
    session.prepare_to_run().unwrap();
    assert_eq!(gdb_jit::registered_objects().len(), before.len() + 1);

    // Removing the middle unit re-registers the other two, merged.
    session.remove(linked.remove(1)).unwrap();
    let after = gdb_jit::registered_objects();
    assert_eq!(after.len(), before.len() + 1);
    let (functions, units) = described(after[0].0, after[0].1);
    let names: Vec<&str> = functions.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["a_fn", "c_fn"]);
    assert!(!units.iter().any(|u| u.contains("batch_b")), "{units:?}");

    for unit in linked {
        session.remove(unit).unwrap();
    }
    assert_eq!(
        gdb_jit::registered_objects(),
        before,
        "all removed, all unregistered"
    );
}

/// The unwind rows of every FDE in an `.eh_frame` or `.debug_frame`, by
/// function start: (start, length, rows as text).
fn unwind_rows<S: gimli::UnwindSection<gimli::EndianSlice<'static, gimli::LittleEndian>>>(
    section: &S,
    bases: &gimli::BaseAddresses,
) -> Vec<(u64, u64, String)>
where
    S::Offset: gimli::UnwindOffset<usize>,
{
    let mut fdes = Vec::new();
    let mut entries = section.entries(bases);
    let mut ctx = gimli::UnwindContext::new();
    while let Some(entry) = entries.next().unwrap() {
        let gimli::CieOrFde::Fde(partial) = entry else {
            continue;
        };
        let fde = partial.parse(S::cie_from_offset).unwrap();
        let mut table = fde.rows(section, bases, &mut ctx).unwrap();
        let mut rows = String::new();
        while let Some(row) = table.next_row().unwrap() {
            let registers: Vec<_> = row.registers().collect();
            rows.push_str(&format!(
                "{:#x}..{:#x} cfa={:?} {:?}\n",
                row.start_address(),
                row.end_address(),
                row.cfa(),
                registers
            ));
        }
        fdes.push((fde.initial_address(), fde.len(), rows));
    }
    fdes.sort();
    fdes
}

/// A merged object's `.debug_frame` unwinds every function exactly as the
/// units' own `.eh_frame` do, for CIEs with a personality and FDEs with an LSDA too.
#[test]
fn merged_frames_unwind_as_the_units_eh_frames() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let flags = ["-g", "-O2", "-fexceptions"];
    let cleanup = "void note(int *);\n\
                   static void release(int *p) { note(p); }\n\
                   int step(int (*f)(int), int x) {\n\
                     __attribute__((cleanup(release))) int guard = x;\n\
                     return f(guard) + guard;\n\
                   }\n";
    let plain = "int noted;\n\
                 void note(int *p) { noted += *p; }\n\
                 int twice(int x) { return 2 * x; }\n";
    let (Some(a), Some(b)) = (
        support::compile("gcc", "plugins-frames", "cleanup", cleanup, &flags),
        support::compile("gcc", "plugins-frames", "plain", plain, &flags),
    ) else {
        return;
    };
    let plugin = DebugObjectPlugin::registering()
        .not_registering()
        .keeping_copies();
    let session = session_with(plugin.clone(), None);
    // plain.o first: cleanup.o uses its `note`.
    let _units: Vec<_> = [&b, &a]
        .iter()
        .map(|o| session.link(unit(o)).unwrap())
        .collect();
    let parts = plugin.parts();
    assert_eq!(parts.len(), 2);

    let leak = |bytes: Vec<u8>| -> &'static [u8] { Box::leak(bytes.into_boxed_slice()) };
    let mut expected = Vec::new();
    let mut personality = false;
    for part in &parts {
        let file = object::File::parse(&*part.object).unwrap();
        let eh = file.section_by_name(".eh_frame").expect("an .eh_frame");
        let data = leak(eh.data().unwrap().to_vec());
        personality |= data.windows(4).any(|w| w == b"zPLR");
        let bases = gimli::BaseAddresses::default().set_eh_frame(eh.address());
        let section = gimli::EhFrame::new(data, gimli::LittleEndian);
        expected.extend(unwind_rows(&section, &bases));
    }
    assert!(personality, "the cleanup unit has a personality and LSDAs");
    expected.sort();

    let refs: Vec<_> = parts.iter().collect();
    let merged = leak(lantern_plugins::debug_object::merge::merge(&refs).unwrap());
    let file = object::File::parse(merged).unwrap();
    assert!(file.section_by_name(".eh_frame").is_none());
    let frame = file
        .section_by_name(".debug_frame")
        .expect("a .debug_frame");
    let mut section = gimli::DebugFrame::new(frame.data().unwrap(), gimli::LittleEndian);
    section.set_address_size(8);
    let got = unwind_rows(&section, &gimli::BaseAddresses::default());
    assert!(
        got.len() >= 3,
        "note, twice, step (and its cold part): {got:?}"
    );
    assert_eq!(got, expected);
}

/// The function symbols of every registered object added since `before`.
fn registered_functions(before: &[(u64, u64)]) -> (usize, Vec<String>) {
    let objects: Vec<(u64, u64)> = gdb_jit::registered_objects()
        .into_iter()
        .filter(|o| !before.contains(o))
        .collect();
    let mut names: Vec<String> = objects
        .iter()
        .flat_map(|&(addr, size)| described(addr, size).0)
        .map(|(name, _)| name)
        .collect();
    names.sort();
    (objects.len(), names)
}

/// A REPL runs code after every unit: batched registration then flushes one
/// unit at a time, and merges object files of similar size as it goes, so
/// debuggers see a few object files instead of one per unit. Every function
/// stays registered exactly once, through removals too. (Not under lldb,
/// which the registry leaves unmerged; the test process is not traced.)
///
/// No debugger listens here, so the flush registers the unit and leaves the
/// merging to the background worker. The first pass flushes 16 units
/// without waiting for it (its first job starts 25 ms late: all 16 are
/// flushed by then), and the worker ends with what compacting at every
/// flush gives (as under gdb); the second pass waits for the worker after
/// each flush.
#[test]
fn one_unit_at_a_time_keeps_few_object_files() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut objects = Vec::new();
    for i in 0..16 {
        let source = format!("int step_{i:02}(int x) {{ return x + {i}; }}\n");
        let Some(obj) = compile(&format!("repl_{i}"), &source) else {
            return;
        };
        objects.push(obj);
    }
    let before = gdb_jit::registered_objects();
    let session = session_with(DebugObjectPlugin::registering().batched(), None);
    assert!(!gdb_jit::debugger_listening());
    let mut linked = Vec::new();
    for (i, obj) in objects.iter().enumerate() {
        linked.push(session.link(unit(obj)).unwrap());
        session.prepare_to_run().unwrap();
        // Registered by the flush itself: nothing can merge before the
        // eighth unit, so each adds its object file at once.
        if i < 7 {
            let registered = gdb_jit::registered_objects();
            let new = registered.iter().filter(|o| !before.contains(o)).count();
            assert_eq!(new, i + 1, "unit {i}");
        }
    }
    let idle = || {
        assert!(background::wait_idle(Some(std::time::Duration::from_secs(
            60
        ))))
    };
    idle();
    let all: Vec<String> = (0..16).map(|i| format!("step_{i:02}")).collect();
    assert_eq!(registered_functions(&before), (2, all.clone()));
    for unit in linked.drain(..) {
        session.remove(unit).unwrap();
    }
    assert_eq!(registered_functions(&before).0, 0);

    let mut counts = Vec::new();
    for obj in &objects {
        linked.push(session.link(unit(obj)).unwrap());
        session.prepare_to_run().unwrap();
        idle();
        counts.push(registered_functions(&before).0);
    }
    // Eight object files of one unit become one of eight, and so on: 16
    // units end in two object files, and there are never more than 8.
    assert_eq!(counts[7], 1, "{counts:?}");
    assert_eq!(counts[15], 2, "{counts:?}");
    assert!(counts.iter().all(|&c| c <= 8), "{counts:?}");
    assert_eq!(registered_functions(&before).1, all);

    // Remove every third unit: the rest stay registered, each once.
    let mut kept = Vec::new();
    for (i, unit) in linked.into_iter().enumerate() {
        if i % 3 == 0 {
            session.remove(unit).unwrap();
        } else {
            kept.push(unit);
        }
    }
    let rest: Vec<String> = (0..16)
        .filter(|i| i % 3 != 0)
        .map(|i| format!("step_{i:02}"))
        .collect();
    assert_eq!(registered_functions(&before).1, rest);
    for unit in kept {
        session.remove(unit).unwrap();
    }
    assert_eq!(gdb_jit::registered_objects(), before);
}

/// A removal batch (`registry::batch_removals`): removing units of a merged
/// object file unregisters it once and registers nothing until the batch
/// ends; then the units left are registered again, merged, in one object
/// file. Without the batch each removal registered the rest again.
#[test]
fn a_removal_batch_registers_the_rest_once_at_its_end() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut objects = Vec::new();
    for name in ["rb_a", "rb_b", "rb_c", "rb_d"] {
        let source = format!("int {name}_fn(int x) {{ return x + 1; }}\n");
        let Some(obj) = compile(name, &source) else {
            return;
        };
        objects.push(obj);
    }
    let before = gdb_jit::registered_objects();
    let session = session_with(DebugObjectPlugin::registering().batched(), None);
    let mut linked: Vec<_> = objects
        .iter()
        .map(|o| Some(session.link(unit(o)).unwrap()))
        .collect();
    session.prepare_to_run().unwrap();
    let all = gdb_jit::registered_objects();
    assert_eq!(all.len(), before.len() + 1, "four units, one object file");

    let batch = lantern_plugins::debug_object::registry::batch_removals();
    for i in [0, 2] {
        session.remove(linked[i].take().unwrap()).unwrap();
        assert_eq!(
            gdb_jit::registered_objects(),
            before,
            "nothing registered again during the batch (after removing unit {i})"
        );
    }
    drop(batch);
    let after = gdb_jit::registered_objects();
    assert_eq!(
        after.len(),
        before.len() + 1,
        "the rest, merged, at the end"
    );
    let (functions, _) = described(after[0].0, after[0].1);
    let expected: Vec<(String, u64)> = [("rb_b_fn", 1), ("rb_d_fn", 3)]
        .iter()
        .map(|&(name, i)| {
            let addr = linked[i].as_ref().unwrap().lookup(name).unwrap().0;
            (name.to_string(), addr)
        })
        .collect();
    assert_eq!(functions, expected);

    for unit in linked.into_iter().flatten() {
        session.remove(unit).unwrap();
    }
    assert_eq!(gdb_jit::registered_objects(), before, "all removed");
}
