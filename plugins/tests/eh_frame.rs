//! eh-frame registration end to end: C++ exceptions thrown and caught in
//! JIT'd code, backtraces from the host through JIT'd frames, and a thousand
//! units added and removed with nothing stale left in the unwinder.

mod support;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use lantern_core::executor::InProcessExecutor;
use lantern_core::session::{LinkUnit, Session, SessionOptions};
use lantern_plugins::eh_frame::unwinder_has_fde;
use lantern_plugins::EhFrameRegistration;

/// Tests here count the process's mappings: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn compile(compiler: &str, name: &str, source: &str, flags: &[&str]) -> Option<PathBuf> {
    support::compile(compiler, "plugins-eh-frame", name, source, flags)
}

fn session(executor: &Arc<InProcessExecutor>) -> Session {
    let mut session = Session::new(executor.clone(), SessionOptions::default());
    session.add_plugin(Arc::new(EhFrameRegistration::new().expect("an unwinder")));
    session
}

fn unit(path: &Path) -> LinkUnit {
    let mut unit = LinkUnit::default();
    unit.add_path(path).unwrap();
    unit
}

fn mappings() -> usize {
    std::fs::read_to_string("/proc/self/maps")
        .unwrap()
        .lines()
        .count()
}

const PROBE: &str = r#"
#include <stdexcept>
// Throws from `n` frames down; the catch is in another frame of the same unit.
__attribute__((noinline)) static int depth(int n) {
    if (n == 0) throw std::runtime_error("bottom");
    return depth(n - 1) + 1;
}
extern "C" int probe(int n) {
    try {
        return depth(n);
    } catch (const std::exception &e) {
        return 1000 + n;
    }
}
"#;

fn call_probe(addr: u64, n: i32) -> i32 {
    // SAFETY: `addr` is `probe` of a linked, live unit: `int probe(int)`.
    let probe: extern "C" fn(i32) -> i32 = unsafe { std::mem::transmute(addr as usize) };
    probe(n)
}

#[test]
fn exceptions_work_after_a_thousand_units_come_and_go() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(obj) = compile("g++", "probe", PROBE, &["-O2", "-g"]) else {
        return;
    };
    let executor = Arc::new(InProcessExecutor::new());
    // Warm up once: libstdc++ gets loaded, allocator caches fill.
    let warm = session(&executor);
    let first = warm.link(unit(&obj)).unwrap();
    assert_eq!(call_probe(first.lookup("probe").unwrap().0, 2), 1002);
    warm.remove(first).unwrap();
    let start_mappings = mappings();

    let mut kept = Vec::new();
    let mut removed = Vec::new();
    for i in 0..1000 {
        // A session per unit: every unit defines the same `probe`.
        let session = session(&executor);
        let linked = session.link(unit(&obj)).unwrap();
        let probe = linked.lookup("probe").unwrap().0;
        assert!(
            unwinder_has_fde(probe),
            "unit {i}: no FDE for probe once linked"
        );
        assert_eq!(call_probe(probe, 5), 1005, "unit {i}");
        if i % 100 == 0 {
            kept.push((session, linked, probe));
        } else {
            session.remove(linked).unwrap();
            removed.push(probe);
        }
    }
    for (_, _, probe) in &kept {
        assert_eq!(call_probe(*probe, 3), 1003, "a kept unit after the churn");
    }
    for (session, linked, probe) in kept {
        session.remove(linked).unwrap();
        removed.push(probe);
    }
    // Every unit is gone (a later unit may have reused an earlier one's
    // addresses, so this is checked only now): the unwinder knows none of them.
    for &probe in &removed {
        assert!(
            !unwinder_has_fde(probe),
            "a removed unit's FDE at {probe:#x} is still registered"
        );
    }
    let end_mappings = mappings();
    assert!(
        end_mappings <= start_mappings + 4,
        "mappings grew from {start_mappings} to {end_mappings}"
    );
}

thread_local! {
    static CAPTURED: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

extern "C" fn capture_backtrace() {
    let trace = std::backtrace::Backtrace::force_capture().to_string();
    CAPTURED.with(|c| *c.borrow_mut() = trace);
}

const LEVELS: &str = r#"
typedef void (*callback)(void);
volatile int sink;
__attribute__((noinline)) int level3(callback cb) { cb(); sink++; return 3; }
__attribute__((noinline)) int level2(callback cb) { int r = level3(cb); sink++; return r + 2; }
__attribute__((noinline)) int level1(callback cb) { int r = level2(cb); sink++; return r + 1; }
"#;

/// A Rust callback called from -O2 JIT'd code without frame pointers captures
/// a backtrace that continues through the JIT'd frames to this test.
#[test]
fn host_backtrace_walks_through_jit_frames() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    for compiler in ["gcc", "clang-19"] {
        let Some(obj) = compile(
            compiler,
            &format!("levels-{compiler}"),
            LEVELS,
            &["-O2", "-fomit-frame-pointer", "-g"],
        ) else {
            return;
        };
        let executor = Arc::new(InProcessExecutor::new());
        let session = session(&executor);
        let linked = session.link(unit(&obj)).unwrap();
        // SAFETY: `level1` has the C signature `int level1(void (*)(void))`.
        let level1: extern "C" fn(extern "C" fn()) -> i32 =
            unsafe { std::mem::transmute(linked.lookup("level1").unwrap().0 as usize) };
        assert_eq!(level1(capture_backtrace), 6);
        let trace = CAPTURED.with(|c| c.borrow().clone());
        let callback_at = trace
            .find("capture_backtrace")
            .unwrap_or_else(|| panic!("{compiler}: no callback frame in\n{trace}"));
        let test_at = trace[callback_at..]
            .find("host_backtrace_walks_through_jit_frames")
            .unwrap_or_else(|| {
                panic!("{compiler}: the backtrace stops in the JIT'd frames:\n{trace}")
            });
        let between = &trace[callback_at..callback_at + test_at];
        // The three JIT'd frames, which std cannot name.
        assert!(
            between.matches("<unknown>").count() >= 3,
            "{compiler}: JIT'd frames missing between callback and caller:\n{between}"
        );
        session.remove(linked).unwrap();
    }
}
