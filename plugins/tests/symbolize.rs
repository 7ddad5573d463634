//! The symbolizer's library API: addresses of a linked unit give function,
//! inlined frames and file:line:column; after removal they give nothing.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use lantern_core::executor::InProcessExecutor;
use lantern_core::session::{LinkUnit, Session, SessionOptions};
use lantern_plugins::symbolize::symbolize;
use lantern_plugins::Symbolizer;

#[test]
fn linked_code_symbolizes_until_removed() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("plugins-symbolize");
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("sym.c");
    std::fs::write(
        &src,
        "static inline int twice(int x)\n{\n    return x * 2;\n}\n\nint outer(int x)\n{\n    return twice(x) + 1;\n}\n",
    )
    .unwrap();
    let obj = dir.join("sym.o");
    match Command::new("gcc")
        .args(["-g", "-O2", "-c"])
        .arg(&src)
        .arg("-o")
        .arg(&obj)
        .status()
    {
        Ok(status) => assert!(status.success()),
        Err(_) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("CI=true and gcc is missing")
        }
        Err(_) => {
            eprintln!("\n!!! SKIPPING: gcc not found !!!\n");
            return;
        }
    }
    let options = SessionOptions {
        debug_info: true,
        ..SessionOptions::default()
    };
    let mut session = Session::new(Arc::new(InProcessExecutor::new()), options);
    session.add_plugin(Arc::new(Symbolizer));
    let mut unit = LinkUnit::default();
    unit.add_path(&obj).unwrap();
    let linked = session.link(unit).unwrap();
    let outer = linked.lookup("outer").unwrap().0;

    let frames = symbolize(outer).expect("the entry of `outer` symbolizes");
    let names: Vec<&str> = frames.iter().map(|f| f.function.as_str()).collect();
    // `twice` is folded into `outer`'s single `lea`: the chain ends in `outer`
    // (inlined frames are compared with gdb in tests/crash.rs).
    assert_eq!(names.last(), Some(&"outer"), "{frames:?}");
    assert!(
        frames
            .iter()
            .all(|f| f.file.as_deref().is_some_and(|p| p.ends_with("sym.c"))),
        "{frames:?}"
    );
    assert!(
        frames
            .iter()
            .all(|f| (3..=8).contains(&f.line) && f.column > 0),
        "{frames:?}"
    );
    assert!(symbolize(0x10).is_none(), "an address outside every unit");

    session.remove(linked).unwrap();
    assert!(
        symbolize(outer).is_none(),
        "a removed unit still symbolizes"
    );
}
