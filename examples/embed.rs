//! Embedding Lantern: link an object into this process with debugger and
//! unwinder support, call a function in it, and remove it again.
//!
//! ```sh
//! gcc -g -O2 -c work.c          # int work(int n) { return 2 * n; }
//! cargo run --example embed -- work.o work 21
//! ```
//!
//! Run it under `gdb --args target/debug/examples/embed work.o work 21` with
//! `break work`: the pending breakpoint binds when the unit is linked.

use std::sync::Arc;

use lantern_core::executor::InProcessExecutor;
use lantern_core::session::{LinkUnit, Session, SessionOptions};
use lantern_plugins::{DebugObjectPlugin, EhFrameRegistration};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, object, symbol, argument] = args.as_slice() else {
        eprintln!("usage: embed OBJECT.o SYMBOL N   (calls `int SYMBOL(int)` with N)");
        std::process::exit(2);
    };
    let argument: i32 = argument.parse()?;

    // A session: DWARF kept for the debug object, which the plugin registers
    // with gdb and lldb; `.eh_frame` registered with the unwinder, so C++
    // exceptions and backtraces cross the JIT'd frames.
    let options = SessionOptions {
        debug_info: true,
        ..SessionOptions::default()
    };
    let mut session = Session::new(Arc::new(InProcessExecutor::new()), options);
    session.add_plugin(Arc::new(DebugObjectPlugin::registering()));
    session.add_plugin(Arc::new(EhFrameRegistration::new()?));

    // A unit: the objects and archives linked together. Bytes work as well as
    // paths (a compiler that hands over its output in memory).
    let mut unit = LinkUnit::default();
    unit.add_bytes(object, std::fs::read(object)?);
    let linked = session.link(unit)?;

    let addr = linked
        .lookup(symbol)
        .ok_or_else(|| format!("{object} does not define `{symbol}`"))?;
    // SAFETY: the unit is linked and finalized, and the usage line asks for a
    // function of C type `int (int)`.
    let function: extern "C" fn(i32) -> i32 = unsafe { std::mem::transmute(addr.0 as usize) };
    println!("{symbol}({argument}) = {}", function(argument));

    // Removal unregisters the debug object and the eh-frames, forgets the
    // unit's symbols, then unmaps its memory: `function` must not be called again.
    session.remove(linked)?;
    Ok(())
}
