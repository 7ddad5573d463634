//! A full link without execution, as `lantern link` does it: several objects
//! (the input split at each ELF magic) parsed, resolved against each other
//! and the host, laid out, allocated, fixed up and finalized; then removed.
//! No initializer or entry point runs.

#![no_main]

#[path = "common.rs"]
mod common;

use std::sync::{Arc, OnceLock};

use lantern_core::executor::InProcessExecutor;
use lantern_core::session::{Session, SessionOptions};
use lantern_plugins::LinkStats;
use libfuzzer_sys::fuzz_target;

/// One session for every run (libgcc.a is read once); each unit is removed
/// after its link, so no run sees another's symbols.
fn session() -> &'static Session {
    static SESSION: OnceLock<Session> = OnceLock::new();
    SESSION.get_or_init(|| {
        let options = SessionOptions {
            // Parser threads would turn a panic into an error the fuzzer never sees.
            parallel: false,
            ..SessionOptions::default()
        };
        let mut session = Session::new(Arc::new(InProcessExecutor::new()), options);
        session.add_plugin(Arc::new(LinkStats::new()));
        session
    })
}

fuzz_target!(|data: &[u8]| {
    let objects = common::split_objects(data);
    let session = session();
    if let Ok(unit) = session.link(common::unit_of(&objects)) {
        session.remove(unit).expect("removing a linked unit");
    }
});
