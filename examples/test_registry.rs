//! A plugin of your own: a test registry for JIT'd code.
//!
//! Objects list their tests in a non-allocated metadata section,
//! `.lantern_tests` (see `examples/plugin/tests.c`): each entry is a
//! function's address, relocated by the linker, then its NUL-terminated name.
//! The [`TestRegistry`] plugin asks the builder to keep that section
//! ([`Plugin::noalloc_sections`]), reads its fixed-up bytes once addresses
//! are known (a `post_fixup` pass), and publishes the tests with an
//! allocation action: the finalize call adds them to the registry, the
//! dealloc call takes them out when the unit is removed. The JIT'd code runs
//! nothing to register itself, and a unit that fails to link registers
//! nothing. `docs/plugins.md` walks through it.
//!
//! ```sh
//! gcc -g -O2 -c examples/plugin/tests.c -o tests.o
//! cargo run --example test_registry -- tests.o
//! ```

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use lantern_core::error::{Error, Result};
use lantern_core::executor::InProcessExecutor;
use lantern_core::graph::{ExecutorAddr, LinkGraph};
use lantern_core::link::{fixed_up_copies, PassConfig, Plugin};
use lantern_core::memory::{AllocAction, WrapperCall};
use lantern_core::session::{LinkUnit, Session, SessionOptions};
use lantern_plugins::DebugObjectPlugin;

/// The metadata section the plugin reads.
const SECTION: &str = ".lantern_tests";

/// One test: the address of `int name(void)` and its name.
#[derive(Debug, Clone, PartialEq)]
struct Test {
    address: u64,
    name: String,
}

/// The executor's side: the tests of each live unit, by unit key. In process
/// it is this static; out of process it would live in the executor, which is
/// why the plugin reaches it only through allocation actions.
static REGISTRY: Mutex<BTreeMap<u64, Vec<Test>>> = Mutex::new(BTreeMap::new());
/// Units are told apart by a counter: addresses are reused after removal.
static NEXT_KEY: AtomicU64 = AtomicU64::new(1);

/// The tests of every live unit, in link order.
fn registered_tests() -> Vec<Test> {
    let registry = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
    registry.values().flatten().cloned().collect()
}

/// Reads one section's entries; `file` names it in errors.
fn parse_entries(file: &str, bytes: &[u8]) -> Result<Vec<Test>> {
    let mut tests = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let bad = |what: &str| Error::malformed(file, format!("section {SECTION}+{at:#x}: {what}"));
        let address = bytes
            .get(at..at + 8)
            .ok_or_else(|| bad("an entry's address is cut short"))?;
        let address = u64::from_le_bytes(address.try_into().expect("8 bytes"));
        let name_bytes = &bytes[at + 8..];
        let end = name_bytes
            .iter()
            .position(|&b| b == 0)
            .ok_or_else(|| bad("an entry's name has no terminating NUL"))?;
        let name = std::str::from_utf8(&name_bytes[..end])
            .map_err(|_| bad("an entry's name is not UTF-8"))?;
        tests.push(Test {
            address,
            name: name.to_string(),
        });
        at += 8 + end + 1;
    }
    Ok(tests)
}

/// A unit's tests, from the fixed-up bytes of its `.lantern_tests` blocks.
fn unit_tests(graph: &LinkGraph) -> Result<Vec<Test>> {
    let blocks: Vec<_> = graph
        .block_ids()
        .filter(|&id| {
            let block = graph.block(id);
            block.live && graph.section(block.section).name == SECTION
        })
        .collect();
    let copies = fixed_up_copies(graph, &blocks)?;
    let mut tests = Vec::new();
    for (&block, bytes) in blocks.iter().zip(&copies) {
        let file = graph.file_name(graph.section(graph.block(block).section).file);
        tests.extend(parse_entries(file, bytes)?);
    }
    Ok(tests)
}

/// Serializes a unit key and its tests for the finalize call.
fn encode(key: u64, tests: &[Test]) -> Vec<u8> {
    let mut arg = key.to_le_bytes().to_vec();
    for test in tests {
        arg.extend_from_slice(&test.address.to_le_bytes());
        arg.extend_from_slice(test.name.as_bytes());
        arg.push(0);
    }
    arg
}

/// The bytes an allocation action passes to its wrapper function.
fn wrapper_arg<'a>(arg: *const u8, len: usize) -> Option<&'a [u8]> {
    // SAFETY: allocation actions pass `len` readable bytes at `arg` (the
    // argument vector of the `WrapperCall`), alive for the call.
    (!arg.is_null()).then(|| unsafe { std::slice::from_raw_parts(arg, len) })
}

/// Finalize call: adds a unit's tests. Returns 0 on success, as every
/// wrapper function does.
///
/// # Safety
/// `arg` must point to `len` readable bytes.
unsafe extern "C" fn register_tests(arg: *const u8, len: usize) -> u64 {
    let Some(bytes) = wrapper_arg(arg, len) else {
        return 1;
    };
    let Some((key, entries)) = bytes.split_first_chunk::<8>() else {
        return 1;
    };
    let Ok(tests) = parse_entries("registry", entries) else {
        return 1;
    };
    let mut registry = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
    registry.insert(u64::from_le_bytes(*key), tests);
    0
}

/// Dealloc call: takes a unit's tests out when the unit is removed.
///
/// # Safety
/// `arg` must point to `len` readable bytes.
unsafe extern "C" fn unregister_tests(arg: *const u8, len: usize) -> u64 {
    let Some(key) =
        wrapper_arg(arg, len).and_then(|b| Some(u64::from_le_bytes(b.try_into().ok()?)))
    else {
        return 1;
    };
    let mut registry = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
    registry.remove(&key);
    0
}

/// Publishes the tests that linked objects list in `.lantern_tests`.
struct TestRegistry;

impl Plugin for TestRegistry {
    fn name(&self) -> &str {
        "test-registry"
    }

    fn noalloc_sections(&self) -> Vec<String> {
        vec![SECTION.to_string()]
    }

    fn modify_pass_config(&self, config: &mut PassConfig) {
        // After fixups: the entries' addresses are final. Allocation actions
        // added here run at finalize, in the executor.
        config.post_fixup.push(Box::new(|graph| {
            let tests = unit_tests(graph)?;
            if tests.is_empty() {
                return Ok(());
            }
            let key = NEXT_KEY.fetch_add(1, Ordering::Relaxed);
            graph.alloc_actions.push(AllocAction {
                finalize: Some(WrapperCall {
                    function: ExecutorAddr(register_tests as *const () as u64),
                    arg: encode(key, &tests).into(),
                }),
                dealloc: Some(WrapperCall {
                    function: ExecutorAddr(unregister_tests as *const () as u64),
                    arg: key.to_le_bytes().to_vec().into(),
                }),
            });
            Ok(())
        }));
    }
}

fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    let objects: Vec<String> = std::env::args().skip(1).collect();
    if objects.is_empty() || objects.iter().any(|a| a == "--help" || a == "-h") {
        eprintln!(
            "usage: test_registry OBJECT.o...   (runs the tests the objects list in {SECTION})"
        );
        std::process::exit(2);
    }
    let options = SessionOptions {
        debug_info: true,
        ..SessionOptions::default()
    };
    let mut session = Session::new(Arc::new(InProcessExecutor::new()), options);
    session.add_plugin(Arc::new(DebugObjectPlugin::registering()));
    session.add_plugin(Arc::new(TestRegistry));

    let mut unit = LinkUnit::default();
    for object in &objects {
        unit.add_bytes(object, std::fs::read(object)?);
    }
    let linked = session.link(unit)?;
    session.prepare_to_run()?;

    let tests = registered_tests();
    println!("{} tests registered", tests.len());
    let mut failed = 0;
    for test in &tests {
        // SAFETY: the unit is linked and finalized, and LANTERN_TEST defines
        // every entry as `int name(void)`.
        let run: extern "C" fn() -> i32 = unsafe { std::mem::transmute(test.address as usize) };
        let status = run();
        println!(
            "test {} ... {}",
            test.name,
            if status == 0 { "ok" } else { "FAILED" }
        );
        failed += usize::from(status != 0);
    }
    println!("{} passed, {failed} failed", tests.len() - failed);

    // Removing the unit runs its dealloc actions: its tests leave the registry.
    session.remove(linked)?;
    println!(
        "after removal: {} tests registered",
        registered_tests().len()
    );
    std::process::exit(i32::from(failed > 0));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_and_bad_ones_are_named() {
        let tests = vec![
            Test {
                address: 0x7f00_1000,
                name: "a".into(),
            },
            Test {
                address: 0x7f00_2000,
                name: "second".into(),
            },
        ];
        let arg = encode(3, &tests);
        assert_eq!(parse_entries("x.o", &arg[8..]).unwrap(), tests);
        let error = parse_entries("x.o", &[1, 2, 3]).unwrap_err().to_string();
        assert!(error.contains("x.o") && error.contains(SECTION), "{error}");
        let error = parse_entries("x.o", &[0; 8]).unwrap_err().to_string();
        assert!(error.contains("no terminating NUL"), "{error}");
    }
}
