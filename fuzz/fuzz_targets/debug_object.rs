//! Debug-object construction: each object linked as its own unit with debug
//! information kept (as `lantern debug-object --separate-units --merged`),
//! the debug objects built but not registered, then merged into one.

#![no_main]

#[path = "common.rs"]
mod common;

use std::sync::Arc;

use lantern_core::executor::InProcessExecutor;
use lantern_core::session::{Session, SessionOptions};
use lantern_plugins::debug_object::merge::merge;
use lantern_plugins::DebugObjectPlugin;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let objects = common::split_objects(data);
    let plugin = DebugObjectPlugin::registering()
        .not_registering()
        .keeping_copies();
    let options = SessionOptions {
        debug_info: true,
        parallel: false,
        // libgcc.a per run would dwarf the debug objects' cost.
        use_libgcc: false,
        ..SessionOptions::default()
    };
    let mut session = Session::new(Arc::new(InProcessExecutor::new()), options);
    session.add_plugin(Arc::new(plugin.clone()));
    let mut units = Vec::new();
    for object in &objects {
        // Later objects may refer to earlier ones' symbols, as with --separate-units.
        if let Ok(unit) = session.link(common::unit_of(&[object])) {
            units.push(unit);
        }
    }
    let parts = plugin.parts();
    if parts.len() > 1 {
        let refs: Vec<_> = parts.iter().collect();
        if let Ok(merged) = merge(&refs) {
            // What a debugger gets must be an ELF object it can read.
            object::read::elf::ElfFile64::<object::Endianness>::parse(&*merged)
                .expect("the merged debug object parses");
        }
    }
    for part in &parts {
        object::read::elf::ElfFile64::<object::Endianness>::parse(&*part.object)
            .expect("a debug object parses");
    }
    for unit in units.into_iter().rev() {
        session.remove(unit).expect("removing a linked unit");
    }
});
