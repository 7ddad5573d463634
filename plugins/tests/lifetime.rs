//! Object lifetime through the library API: one session shared by several
//! threads, and links failing in each phase leave the process as it was
//! (mappings, the GDB JIT list, the session's symbols).

mod support;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use lantern_core::executor::InProcessExecutor;
use lantern_core::graph::ExecutorAddr;
use lantern_core::link::Plugin;
use lantern_core::session::{LinkUnit, Session, SessionOptions};
use lantern_plugins::{gdb_jit, DebugObjectPlugin, EhFrameRegistration};

/// The mappings and the JIT list are process-wide: one test at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn build(name: &str, source: &str, flags: &[&str]) -> Option<PathBuf> {
    support::compile("gcc", "plugins-lifetime", name, source, flags)
}

fn session(extra: Option<Arc<dyn Plugin>>) -> Session {
    let options = SessionOptions {
        debug_info: true,
        ..SessionOptions::default()
    };
    let mut session = Session::new(Arc::new(InProcessExecutor::new()), options);
    session.add_plugin(Arc::new(EhFrameRegistration::new().unwrap()));
    session.add_plugin(Arc::new(DebugObjectPlugin::registering()));
    if let Some(extra) = extra {
        session.add_plugin(extra);
    }
    session
}

fn unit(path: &Path) -> LinkUnit {
    let mut unit = LinkUnit::default();
    unit.add_path(path).unwrap();
    unit
}

fn mappings() -> Vec<String> {
    std::fs::read_to_string("/proc/self/maps")
        .unwrap()
        .lines()
        .map(|l| l.split_whitespace().next().unwrap_or("").to_string())
        .collect()
}

fn call(addr: ExecutorAddr, n: i32) -> i32 {
    // SAFETY: every test object's functions have the C type `int (int)`.
    let f: extern "C" fn(i32) -> i32 = unsafe { std::mem::transmute(addr.0 as usize) };
    f(n)
}

#[test]
fn threads_share_one_session() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let objects: Vec<PathBuf> = (0..4)
        .map(|t| {
            build(
                &format!("thread{t}"),
                &format!(
                    "int thread{t}_fn(int n) {{ return n * {} + {t}; }}\n",
                    t + 2
                ),
                &["-g", "-O1"],
            )
        })
        .collect::<Option<_>>()
        .unwrap_or_default();
    if objects.is_empty() {
        return;
    }
    let before = gdb_jit::registered_objects().len();
    let session = session(None);
    std::thread::scope(|scope| {
        for (t, obj) in objects.iter().enumerate() {
            let session = &session;
            scope.spawn(move || {
                let name = format!("thread{t}_fn");
                for round in 0..200 {
                    let linked = session.link(unit(obj)).unwrap();
                    // Found both in the unit and through the session's dylib.
                    let addr = session.lookup(&name).expect("exported while linked");
                    assert_eq!(Some(addr), linked.lookup(&name));
                    assert_eq!(call(addr, round), round * (t as i32 + 2) + t as i32);
                    session.remove(linked).unwrap();
                }
            });
        }
        // Meanwhile the list a debugger walks stays well formed.
        for _ in 0..200 {
            assert!(gdb_jit::registered_objects().len() <= before + 4);
        }
    });
    assert_eq!(gdb_jit::registered_objects().len(), before);
    for t in 0..4 {
        assert!(
            session.lookup(&format!("thread{t}_fn")).is_none(),
            "removed units' symbols are gone"
        );
    }
}

#[test]
fn a_link_failing_in_any_phase_leaves_nothing_behind() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(good) = build(
        "good",
        "int good_fn(int n) { return n + 1; }\n",
        &["-g", "-O1"],
    ) else {
        return;
    };
    let undefined = build(
        "undefined",
        "int nowhere(int);\nint uses_fn(int n) { return nowhere(n); }\n",
        &["-g"],
    )
    .unwrap();
    // An 8-bit PC-relative fixup to a host function: out of range at fixup.
    let out_of_range = build(
        "out_of_range",
        "\t.globl far_data\n\t.data\nfar_data:\n\t.byte getpid - .\n",
        &[],
    )
    .unwrap();
    // An FDE describing no code of the unit: rejected after fixup, before registration.
    let bad_eh_frame = build(
        "bad_eh_frame",
        ".globl eh_fn\n.text\neh_fn:\n\tret\n\
         .section .eh_frame,\"a\",@progbits\n\
         cie:\t.long 16\n\t.long 0\n\t.byte 1\n\t.asciz \"zR\"\n\t.byte 1\n\t.byte 0x78\n\t.byte 16\n\t.byte 1\n\t.byte 0x1b\n\t.byte 0, 0, 0\n\
         fde:\t.long 20\n\t.long fde + 4 - cie\n\t.long eh_fn - . + 0x100000\n\t.long 4\n\t.byte 0\n\t.byte 0, 0, 0\n\t.long 0\n",
        &[],
    )
    .unwrap();
    let truncated = {
        let bytes = std::fs::read(&good).unwrap();
        let path = good.with_file_name("truncated.o");
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        path
    };

    let plain = session(None);
    let failing = session(Some(Arc::new(support::FailingFinalize)));
    // Warm up: a session's first link maps what every later one shares
    // (libgcc.a, read on demand for compiler helpers).
    let warm = plain.link(unit(&good)).unwrap();
    plain.remove(warm).unwrap();
    assert!(failing.link(unit(&good)).is_err());

    let cases: [(&str, &Session, &Path, &str); 5] = [
        ("parse", &plain, &truncated, "truncated.o"),
        ("resolve", &plain, &undefined, "nowhere"),
        ("fixup", &plain, &out_of_range, "out of range"),
        (
            "eh-frame check",
            &plain,
            &bad_eh_frame,
            "not code of this unit",
        ),
        ("finalize", &failing, &good, "failed with status 7"),
    ];
    for (phase, session, object, message) in cases {
        let maps = mappings();
        let jit = gdb_jit::registered_objects();
        let err = session.link(unit(object)).expect_err(phase);
        assert!(err.to_string().contains(message), "{phase}: {err}");
        assert_eq!(mappings(), maps, "{phase}: the mappings changed");
        assert_eq!(
            gdb_jit::registered_objects(),
            jit,
            "{phase}: the JIT list changed"
        );
        for name in ["good_fn", "uses_fn", "far_data", "eh_fn"] {
            assert!(
                session.lookup(name).is_none(),
                "{phase}: `{name}` is still defined"
            );
        }
    }
    // And the sessions still work.
    let linked = failing.link(unit(&good));
    assert!(linked.is_err());
    let linked = plain.link(unit(&good)).unwrap();
    assert_eq!(call(linked.lookup("good_fn").unwrap(), 41), 42);
    plain.remove(linked).unwrap();
}
