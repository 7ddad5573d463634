//! The library API end to end: units linked against earlier units, removal,
//! section lifetimes, allocation actions, and failures that leave nothing behind.

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use lantern_core::executor::{ExecutorControl, InProcessExecutor};
use lantern_core::graph::{ExecutorAddr, MemLifetime};
use lantern_core::link::{PassConfig, Plugin};
use lantern_core::memory::{AllocAction, MemoryKind, WrapperCall};
use lantern_core::session::{LinkUnit, Session, SessionOptions};
use lantern_core::Error;

/// Tests here look at the process's mappings: run them one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn gcc_available() -> bool {
    let ok = Command::new("gcc")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("CI=true and gcc is missing");
        }
        eprintln!("\n!!! SKIPPING: gcc not found !!!\n");
    }
    ok
}

fn compile(name: &str, source: &str, flags: &[&str]) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("core-session");
    std::fs::create_dir_all(&dir).unwrap();
    let suffix = if source.starts_with('.') || source.starts_with("\t.") {
        "s"
    } else {
        "c"
    };
    let src = dir.join(format!("{name}.{suffix}"));
    std::fs::write(&src, source).unwrap();
    let obj = dir.join(format!("{name}.o"));
    let out = Command::new("gcc")
        .args(flags)
        .arg("-c")
        .arg(&src)
        .arg("-o")
        .arg(&obj)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    obj
}

fn unit(paths: &[&PathBuf]) -> LinkUnit {
    let mut unit = LinkUnit::default();
    for p in paths {
        unit.add_path(p).unwrap();
    }
    unit
}

fn session() -> Session {
    Session::new(
        Arc::new(InProcessExecutor::new()),
        SessionOptions::default(),
    )
}

/// A session on the per-page memory manager, whose unmapping the tests
/// below see in /proc/self/maps (packed memory returns bytes to shared
/// slabs instead: core/tests/packed_memory.rs checks that).
fn pages_session() -> Session {
    Session::new(
        Arc::new(InProcessExecutor::with_memory(MemoryKind::Pages)),
        SessionOptions::default(),
    )
}

/// Mappings whose start is below 2 GiB: only low (-fno-pic) JIT memory lives there.
fn low_mappings() -> usize {
    std::fs::read_to_string("/proc/self/maps")
        .unwrap()
        .lines()
        .filter(|l| {
            let start = l.split('-').next().unwrap();
            u64::from_str_radix(start, 16).unwrap() < (1 << 31)
        })
        .count()
}

fn is_mapped(addr: u64) -> bool {
    std::fs::read_to_string("/proc/self/maps")
        .unwrap()
        .lines()
        .any(|l| {
            let range = l.split_whitespace().next().unwrap();
            let (s, e) = range.split_once('-').unwrap();
            (u64::from_str_radix(s, 16).unwrap()..u64::from_str_radix(e, 16).unwrap())
                .contains(&addr)
        })
}

#[test]
fn later_units_link_against_earlier_ones_and_removal_drops_symbols() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if !gcc_available() {
        return;
    }
    let a = compile(
        "unit_a",
        "int base_value = 40; int base(void){ return base_value; }",
        &["-O1"],
    );
    let b = compile(
        "unit_b",
        "int base(void); extern int base_value; int more(void){ return base() + base_value / 20; }",
        &["-O1"],
    );
    let session = pages_session();
    let first = session.link(unit(&[&a])).unwrap();
    let second = session.link(unit(&[&b])).unwrap();
    let more = second.lookup("more").unwrap();
    // SAFETY: `more` is a finalized JIT'd function `int (void)`.
    let value = unsafe { std::mem::transmute::<usize, extern "C" fn() -> i32>(more.0 as usize)() };
    assert_eq!(value, 42);
    let clash = compile("unit_clash", "int base(void){ return 1; }", &["-O1"]);
    let err = session.link(unit(&[&clash])).unwrap_err();
    assert!(err.to_string().contains("duplicate symbol `base`"), "{err}");
    let (addr, _) = first.alloc.range();
    assert!(session.lookup("base").is_some());
    session.remove(second).unwrap();
    session.remove(first).unwrap();
    assert!(
        session.lookup("base").is_none(),
        "removed symbols must be gone"
    );
    assert!(!is_mapped(addr.0), "removed memory must be unmapped");
}

#[test]
fn failed_link_after_allocation_leaves_no_mapping() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if !gcc_available() {
        return;
    }
    // -fno-pic data forces low memory; the absolute symbol cannot fit 32 bits.
    let low = compile(
        "low_data",
        "int table[4] = {1,2,3,4}; int *get(void){ return table; }",
        &["-fno-pic", "-O1"],
    );
    let far = compile("far", ".globl far_away\n.set far_away, 0x123456789\n", &[]);
    let user = compile(
        "far_user",
        ".text\n.globl use_far\nuse_far:\n movl $far_away, %eax\n ret\n",
        &[],
    );
    let before = low_mappings();
    let session = pages_session();
    let err = session.link(unit(&[&low, &far, &user])).unwrap_err();
    assert!(matches!(err, Error::FixupOutOfRange(_)), "{err}");
    assert_eq!(low_mappings(), before, "the failed link left memory behind");
    assert!(
        session.lookup("get").is_none(),
        "the failed link left symbols behind"
    );
}

static EVENTS: Mutex<Vec<String>> = Mutex::new(Vec::new());
static FAIL_SECOND_FINALIZE: AtomicU64 = AtomicU64::new(0);

unsafe extern "C" fn record(arg: *const u8, len: usize) -> u64 {
    // SAFETY: the action's argument buffer, valid for the call.
    let text =
        String::from_utf8_lossy(unsafe { std::slice::from_raw_parts(arg, len) }).into_owned();
    let fail = text == "finalize 2" && FAIL_SECOND_FINALIZE.load(Ordering::SeqCst) == 1;
    EVENTS.lock().unwrap().push(text);
    u64::from(fail)
}

/// Adds two allocation actions and makes the `.data` section Finalize-lifetime.
struct ActionsPlugin {
    data_addr: Arc<AtomicU64>,
}

impl Plugin for ActionsPlugin {
    fn name(&self) -> &str {
        "test-actions"
    }

    fn modify_pass_config(&self, config: &mut PassConfig) {
        config.pre_prune.push(Box::new(|graph| {
            for id in graph.section_ids() {
                if graph.section(id).name == ".data" {
                    graph.section_mut(id).lifetime = MemLifetime::Finalize;
                }
            }
            Ok(())
        }));
        let data_addr = self.data_addr.clone();
        config.post_fixup.push(Box::new(move |graph| {
            for section in graph.sections().iter().filter(|s| s.name == ".data") {
                data_addr.store(graph.block(section.blocks[0]).addr.0, Ordering::SeqCst);
            }
            for n in 1..=2 {
                let call = |what: &str| WrapperCall {
                    function: ExecutorAddr(record as *const () as u64),
                    arg: format!("{what} {n}").into_bytes().into(),
                };
                graph.alloc_actions.push(AllocAction {
                    finalize: Some(call("finalize")),
                    dealloc: Some(call("dealloc")),
                });
            }
            Ok(())
        }));
    }
}

#[test]
fn allocation_actions_run_in_order_and_finalize_sections_are_freed() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if !gcc_available() {
        return;
    }
    let obj = compile(
        "actions",
        "int data_word = 7; int code(void){ return 1; }",
        &["-O1"],
    );
    EVENTS.lock().unwrap().clear();
    FAIL_SECOND_FINALIZE.store(0, Ordering::SeqCst);
    let data_addr = Arc::new(AtomicU64::new(0));
    let mut session = pages_session();
    session.add_plugin(Arc::new(ActionsPlugin {
        data_addr: data_addr.clone(),
    }));
    let linked = session.link(unit(&[&obj])).unwrap();
    assert_eq!(*EVENTS.lock().unwrap(), ["finalize 1", "finalize 2"]);
    let data = data_addr.load(Ordering::SeqCst);
    assert_ne!(data, 0);
    assert!(
        !is_mapped(data),
        "a Finalize section must be freed after finalization"
    );
    assert!(
        is_mapped(linked.lookup("code").unwrap().0),
        "code stays mapped"
    );
    session.remove(linked).unwrap();
    assert_eq!(
        *EVENTS.lock().unwrap(),
        ["finalize 1", "finalize 2", "dealloc 2", "dealloc 1"]
    );
}

#[test]
fn failing_finalize_action_undoes_the_others_and_unmaps() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if !gcc_available() {
        return;
    }
    let obj = compile(
        "actions_fail",
        "int code2(void){ return 2; }",
        &["-O1", "-fno-pic"],
    );
    EVENTS.lock().unwrap().clear();
    FAIL_SECOND_FINALIZE.store(1, Ordering::SeqCst);
    let before = low_mappings();
    let mut session = session();
    session.add_plugin(Arc::new(ActionsPlugin {
        data_addr: Arc::new(AtomicU64::new(0)),
    }));
    let err = session.link(unit(&[&obj])).unwrap_err();
    assert!(err.to_string().contains("failed with status 1"), "{err}");
    assert_eq!(
        *EVENTS.lock().unwrap(),
        ["finalize 1", "finalize 2", "dealloc 1"]
    );
    assert_eq!(low_mappings(), before);
    assert!(session.lookup("code2").is_none());
    FAIL_SECOND_FINALIZE.store(0, Ordering::SeqCst);
}

#[test]
fn executor_lookup_reports_host_symbol_kind_and_size() {
    let executor = InProcessExecutor::new();
    let puts = executor.lookup("puts").expect("puts");
    assert!(puts.is_function);
    let stdout = executor.lookup("stdout").expect("stdout");
    assert!(!stdout.is_function);
    assert_eq!(stdout.size, 8);
    assert!(
        executor.lookup("atexit").is_some(),
        "atexit comes from Lantern's runtime"
    );
    assert!(executor.lookup("no_such_symbol_anywhere_xyz").is_none());
}

#[test]
fn units_linked_at_once_cannot_both_export_one_strong_symbol() {
    if !gcc_available() {
        return;
    }
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let first = compile("race_a", "int shared_name(void) { return 1; }\n", &["-O1"]);
    let second = compile("race_b", "int shared_name(void) { return 2; }\n", &["-O1"]);
    // Both links resolve against an empty dylib before either exports: each
    // waits for the other after its fixups.
    struct Rendezvous(Arc<std::sync::Barrier>);
    impl Plugin for Rendezvous {
        fn name(&self) -> &str {
            "rendezvous"
        }
        fn modify_pass_config(&self, config: &mut PassConfig) {
            let barrier = self.0.clone();
            config.post_fixup.push(Box::new(move |_| {
                barrier.wait();
                Ok(())
            }));
        }
    }
    for round in 0..10 {
        let mut session = session();
        session.add_plugin(Arc::new(Rendezvous(Arc::new(std::sync::Barrier::new(2)))));
        let results = std::thread::scope(|scope| {
            let handles = [&first, &second].map(|path| {
                let session = &session;
                scope.spawn(move || session.link(unit(&[path])))
            });
            handles.map(|h| h.join().expect("a link thread panicked"))
        });
        let failures: Vec<&Error> = results.iter().filter_map(|r| r.as_ref().err()).collect();
        assert_eq!(
            failures.len(),
            1,
            "round {round}: exactly one link must fail"
        );
        assert!(
            matches!(failures[0], Error::DuplicateSymbol { name, .. } if name == "shared_name"),
            "round {round}: {}",
            failures[0]
        );
        for linked in results.into_iter().flatten() {
            assert_eq!(session.lookup("shared_name"), linked.lookup("shared_name"));
            session.remove(linked).unwrap();
        }
        assert_eq!(session.lookup("shared_name"), None);
    }
}

#[test]
fn private_units_keep_their_symbols_to_themselves() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if !gcc_available() {
        return;
    }
    let three = compile(
        "private_three",
        "int query(int n){ return n * 3; }",
        &["-O1"],
    );
    let five = compile(
        "private_five",
        "int query(int n){ return n * 5; }",
        &["-O1"],
    );
    let caller = compile(
        "private_caller",
        "int query(int); int ask(void){ return query(2); }",
        &["-O1"],
    );
    let session = session();
    // Two private units define the same name: no duplicate.
    let a = session.link_private(unit(&[&three])).unwrap();
    let b = session.link_private(unit(&[&five])).unwrap();
    let call = |unit: &lantern_core::session::LinkedUnit| {
        let f = unit.lookup("query").expect("the unit's own symbol");
        // SAFETY: `query` is a finalized JIT'd function `int (int)`.
        unsafe { std::mem::transmute::<usize, extern "C" fn(i32) -> i32>(f.0 as usize)(7) }
    };
    assert_eq!((call(&a), call(&b)), (21, 35));
    // Later units do not see them ...
    assert!(session.lookup("query").is_none());
    let err = session.link(unit(&[&caller])).unwrap_err();
    assert!(err.to_string().contains("query"), "{err}");
    // ... and may export the name themselves.
    let public = session.link(unit(&[&five])).unwrap();
    let ask = session.link(unit(&[&caller])).unwrap();
    let f = ask.lookup("ask").unwrap();
    // SAFETY: `ask` is a finalized JIT'd function `int (void)`.
    assert_eq!(
        unsafe { std::mem::transmute::<usize, extern "C" fn() -> i32>(f.0 as usize)() },
        10
    );
    for unit in [ask, public, a, b] {
        session.remove(unit).unwrap();
    }
    assert!(session.lookup("query").is_none());
}
