//! Batched debugger registration, as a runtime that adds code in steps uses
//! it: every FILE is linked as its own unit, and the units wait; before code
//! runs, `prepare_to_run` registers them with gdb and lldb as one object file.
//! Then every unit but SYMBOL's is removed (the object file is registered
//! again without each) and SYMBOL is called once more.
//!
//! ```sh
//! cargo run --example batched -- kept gone_one.o keep.o gone_two.o
//! gdb -ex 'break kept' -ex run --args target/debug/examples/batched kept ...
//! ```
//! Breakpoint 1 is hit with `x=1` (three units in one object file) and `x=2`
//! (only `kept`'s left).

use std::sync::Arc;

use lantern_core::executor::InProcessExecutor;
use lantern_core::session::{LinkUnit, Session, SessionOptions};
use lantern_plugins::{gdb_jit, DebugObjectPlugin};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(symbol), files) = (args.get(1), args.get(2..).unwrap_or_default()) else {
        eprintln!("usage: batched SYMBOL FILE...   (calls `int SYMBOL(int)`, defined by one FILE)");
        std::process::exit(2);
    };
    let options = SessionOptions {
        debug_info: true,
        ..SessionOptions::default()
    };
    let mut session = Session::new(Arc::new(InProcessExecutor::new()), options);
    session.add_plugin(Arc::new(DebugObjectPlugin::registering().batched()));

    let mut units = Vec::new();
    for file in files {
        let mut unit = LinkUnit::default();
        unit.add_path(file.as_ref())?;
        units.push(session.link(unit)?);
    }
    // Nothing is registered yet; this registers the units as one object file.
    session.prepare_to_run()?;
    println!(
        "{} units, {} object file(s) registered",
        units.len(),
        gdb_jit::registered_objects().len()
    );

    let call = |units: &[lantern_core::session::LinkedUnit],
                argument: i32|
     -> Result<i32, String> {
        let addr = units
            .iter()
            .find_map(|u| u.lookup(symbol))
            .ok_or_else(|| format!("no FILE defines `{symbol}`"))?;
        // SAFETY: the unit is linked, finalized and registered, and the usage
        // line asks for a function of C type `int (int)`.
        let function: extern "C" fn(i32) -> i32 = unsafe { std::mem::transmute(addr.0 as usize) };
        Ok(function(argument))
    };
    println!("{symbol}(1) = {}", call(&units, 1)?);

    // Remove every other unit, last first.
    let mut kept = Vec::new();
    while let Some(unit) = units.pop() {
        if unit.lookup(symbol).is_some() {
            kept.push(unit);
        } else {
            session.remove(unit)?;
        }
    }
    println!(
        "{} unit(s), {} object file(s) registered",
        kept.len(),
        gdb_jit::registered_objects().len()
    );
    println!("{symbol}(2) = {}", call(&kept, 2)?);
    for unit in kept {
        session.remove(unit)?;
    }
    Ok(())
}
