//! Object bytes -> link graph: the ELF graph builder, keeping debug sections
//! with their relocations deferred, then materializing those relocations.

#![no_main]

use std::sync::Arc;

use lantern_core::elf::{materialize_relocations, GraphBuilder, GraphBuilderOptions};
use lantern_core::graph::InputFile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let file = InputFile {
        name: "input.o".into(),
        data: Arc::new(data.to_vec()),
    };
    for defer_debug_relocations in [false, true] {
        let options = GraphBuilderOptions {
            debug_info: true,
            defer_debug_relocations,
            // Every gcc and clang object has `.comment`: this covers the
            // plugin-metadata (NoAlloc, relocated with the unit) path.
            noalloc_sections: vec![".comment".into()],
        };
        let Ok(mut graph) = GraphBuilder::new("input.o", data).build(file.clone(), &options) else {
            return;
        };
        if defer_debug_relocations {
            let _ = materialize_relocations(&mut graph);
        }
    }
});
