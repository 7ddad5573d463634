//! The perf map names each linked unit's functions at their addresses, and
//! forgets a unit once it is removed.

mod support;

use std::path::PathBuf;
use std::sync::Arc;

use lantern_core::executor::InProcessExecutor;
use lantern_core::session::{LinkUnit, Session, SessionOptions};
use lantern_plugins::perf_map::perf_map_path;
use lantern_plugins::PerfMap;

fn compile(name: &str, source: &str) -> Option<PathBuf> {
    support::compile("gcc", "plugins-perf-map", name, source, &["-O1"])
}

/// The map's lines as (start, size, name).
fn map() -> Vec<(u64, u64, String)> {
    std::fs::read_to_string(perf_map_path())
        .unwrap_or_default()
        .lines()
        .map(|l| {
            let mut words = l.splitn(3, ' ');
            let start = u64::from_str_radix(words.next().unwrap(), 16).unwrap();
            let size = u64::from_str_radix(words.next().unwrap(), 16).unwrap();
            (start, size, words.next().unwrap().to_string())
        })
        .collect()
}

#[test]
fn functions_are_named_while_linked() {
    let (Some(first), Some(second)) = (
        compile(
            "first",
            "int alpha(int x) { return x * 3; }\nint beta(int x) { return alpha(x) + 1; }\n",
        ),
        compile("second", "int gamma(int x) { return x - 7; }\n"),
    ) else {
        return;
    };
    let mut session = Session::new(
        Arc::new(InProcessExecutor::new()),
        SessionOptions::default(),
    );
    session.add_plugin(Arc::new(PerfMap));
    let link = |path: &PathBuf| {
        let mut unit = LinkUnit::default();
        unit.add_path(path).unwrap();
        session.link(unit).unwrap()
    };
    let one = link(&first);
    let two = link(&second);
    let lines = map();
    for (unit, name) in [(&one, "alpha"), (&one, "beta"), (&two, "gamma")] {
        let symbol = unit.symbols.get(name).expect("linked");
        assert!(
            lines.contains(&(symbol.addr.0, symbol.size, name.to_string())),
            "{name} at {} ({} bytes) is not in the map: {lines:?}",
            symbol.addr,
            symbol.size
        );
    }
    session.remove(one).unwrap();
    let names: Vec<String> = map().into_iter().map(|(_, _, n)| n).collect();
    assert_eq!(names, ["gamma"], "a removed unit's functions stay named");
    session.remove(two).unwrap();
    assert!(map().is_empty());
}
