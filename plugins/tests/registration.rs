//! The debug-object plugin end to end: a linked unit is in the GDB JIT list
//! while it lives, with a well-formed debug object naming its code at its
//! final address; removal and failed links leave the list as it was.

mod support;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use lantern_core::executor::InProcessExecutor;
use lantern_core::link::Plugin;
use lantern_core::session::{LinkUnit, Session, SessionOptions};
use lantern_plugins::{gdb_jit, DebugObjectPlugin};
use object::{Object, ObjectSection, ObjectSymbol};

/// The JIT list is process-wide: these tests take turns.
static SERIAL: Mutex<()> = Mutex::new(());

fn compile(name: &str, source: &str) -> Option<PathBuf> {
    support::compile("gcc", "plugins-registration", name, source, &["-g", "-O1"])
}

fn session(extra: Option<Arc<dyn Plugin>>) -> Session {
    let options = SessionOptions {
        debug_info: true,
        ..SessionOptions::default()
    };
    let mut session = Session::new(Arc::new(InProcessExecutor::new()), options);
    session.add_plugin(Arc::new(DebugObjectPlugin::registering()));
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
