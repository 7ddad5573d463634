//! A REPL's pattern of work: each FILE is linked as its own unit and, as if
//! the REPL ran it right away, `prepare_to_run` follows every link, so every
//! unit reaches the debugger before the next is linked. Then `main` (defined
//! by the last FILE) runs. `bench/debug-bench.sh` times it under gdb and lldb
//! (`lantern-repl`).
//!
//! ```sh
//! cargo build --release --examples
//! target/release/examples/repl [--per-unit] f_0.o f_1.o ... main.o   # or @LIST
//! ```
//! `@LIST` reads the paths from a file (whitespace-separated). `--per-unit`
//! registers each unit's own debug object instead of batching.

use std::sync::Arc;

use lantern_core::executor::InProcessExecutor;
use lantern_core::session::{LinkUnit, Session, SessionOptions};
use lantern_plugins::{DebugObjectPlugin, EhFrameRegistration};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut per_unit = false;
    let mut files = Vec::new();
    for arg in std::env::args().skip(1) {
        if arg == "--per-unit" {
            per_unit = true;
        } else if let Some(list) = arg.strip_prefix('@') {
            let text = std::fs::read_to_string(list).map_err(|e| format!("{list}: {e}"))?;
            files.extend(text.split_whitespace().map(String::from));
        } else {
            files.push(arg);
        }
    }
    if files.is_empty() {
        eprintln!("usage: repl [--per-unit] FILE... | @LIST   (the last FILE defines main)");
        std::process::exit(2);
    }
    let options = SessionOptions {
        debug_info: true,
        ..SessionOptions::default()
    };
    let mut session = Session::new(Arc::new(InProcessExecutor::new()), options);
    let plugin = DebugObjectPlugin::registering();
    session.add_plugin(Arc::new(if per_unit { plugin } else { plugin.batched() }));
    session.add_plugin(Arc::new(EhFrameRegistration::new()?));

    let mut units = Vec::with_capacity(files.len());
    for file in &files {
        let mut unit = LinkUnit::default();
        unit.add_path(file.as_ref())?;
        units.push(session.link(unit)?);
        // Where a REPL would run the entry it just linked.
        session.prepare_to_run()?;
    }
    let last = units.last().expect("one file at least");
    let main = session
        .lookup("main")
        .ok_or("the last FILE does not define main")?;
    let status = session
        .executor()
        .run_main(main, last.initializers(), &["repl".into()])?;
    std::process::exit(status);
}
