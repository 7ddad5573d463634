//! Live code replacement as a runtime that reloads code does it, with
//! debugger support: `V1.o`'s functions are lazy entries
//! (`LazyReexports::add_lazy_unit`), `DRIVER.o` is linked at once, and its
//! `drive` runs with three callbacks:
//!
//! ```c
//! struct hooks {
//!     void (*replace)(void);
//!     void (*remove_old)(void);
//!     void (*relazify)(void);   /* optional: a driver may omit it */
//! };
//! int drive(const struct hooks *hooks);
//! ```
//!
//! `replace` links `V2.o` as the new implementation of every entry `V1.o`
//! defines (`LazyReexports::replace`: later calls go to V2.o, V1.o stays
//! mapped and registered); `remove_old` removes the replaced unit
//! (`Session::remove`: its debug object leaves the debuggers). The driver
//! must not be running V1.o's code when it calls `remove_old`.
//! `relazify` re-lazifies the entries (`LazyReexports::relazify`): the unit
//! that implements them now is removed at once (its debug object leaves
//! the debuggers) and the next call links it again, through the re-entry
//! trampoline, as a first call. The driver must not be running that unit's
//! code when it calls `relazify`. `tests/lazy_replace_debugger.rs` runs
//! gdb and lldb on it.
//!
//! ```sh
//! cargo build --examples
//! target/debug/examples/lazy_replace driver.o v1.o v2.o
//! ```

use std::sync::{Arc, Mutex, OnceLock};

use lantern_core::executor::InProcessExecutor;
use lantern_core::lazy::LazyReexports;
use lantern_core::session::{LinkUnit, LinkedUnit, Session, SessionOptions};
use lantern_plugins::{DebugObjectPlugin, EhFrameRegistration};

/// What the callbacks work on.
struct Reload {
    lazy: LazyReexports,
    /// An entry V1.o implements (`replace` names the unit by it).
    entry: String,
    next: String,
    /// Units replaced and not removed yet.
    replaced: Vec<LinkedUnit>,
}

static RELOAD: OnceLock<Mutex<Reload>> = OnceLock::new();

fn reload() -> std::sync::MutexGuard<'static, Reload> {
    RELOAD
        .get()
        .expect("set before drive runs")
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

/// The program's callbacks cannot return an error: they report it and exit.
fn fail(what: &str, e: impl std::fmt::Display) -> ! {
    eprintln!("lazy_replace: {what}: {e}");
    std::process::exit(1);
}

extern "C" fn replace() {
    let mut reload = reload();
    let mut unit = LinkUnit::default();
    let next = reload.next.clone();
    if let Err(e) = unit.add_path(next.as_ref()) {
        fail(&next, e);
    }
    match reload.lazy.replace(&reload.entry, unit) {
        Ok(old) => {
            eprintln!("lazy_replace: `{}` replaced by {next}", reload.entry);
            reload.replaced.extend(old);
        }
        Err(e) => fail(&format!("replacing `{}` by {next}", reload.entry), e),
    }
}

extern "C" fn remove_old() {
    let mut reload = reload();
    let session = reload.lazy.session().clone();
    for old in std::mem::take(&mut reload.replaced) {
        if let Err(e) = session.remove(old) {
            fail("removing the replaced unit", e);
        }
        eprintln!("lazy_replace: the replaced unit is removed");
    }
}

extern "C" fn relazify() {
    let reload = reload();
    match reload.lazy.relazify(&reload.entry) {
        Ok(()) => eprintln!("lazy_replace: `{}` relazified", reload.entry),
        Err(e) => fail(&format!("relazifying `{}`", reload.entry), e),
    }
}

#[repr(C)]
struct Hooks {
    replace: extern "C" fn(),
    remove_old: extern "C" fn(),
    relazify: extern "C" fn(),
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [driver, v1, v2] = &args[..] else {
        eprintln!("usage: lazy_replace DRIVER.o V1.o V2.o   (DRIVER.o defines `drive`)");
        std::process::exit(2);
    };
    let options = SessionOptions {
        debug_info: true,
        ..SessionOptions::default()
    };
    let mut session = Session::new(Arc::new(InProcessExecutor::new()), options);
    session.add_plugin(Arc::new(DebugObjectPlugin::registering().batched()));
    session.add_plugin(Arc::new(EhFrameRegistration::new()?));
    let session = Arc::new(session);

    let lazy = LazyReexports::new(session.clone());
    let mut unit = LinkUnit::default();
    unit.add_path(v1.as_ref())?;
    let entries = lazy.add_lazy_unit(unit)?;
    let entry = entries
        .first()
        .ok_or_else(|| format!("{v1} defines no function"))?
        .clone();
    let mut unit = LinkUnit::default();
    unit.add_path(driver.as_ref())?;
    let _driver = session.link(unit)?;
    let drive = session
        .lookup("drive")
        .ok_or_else(|| format!("{driver} does not define `drive`"))?;
    let _ = RELOAD.set(Mutex::new(Reload {
        lazy,
        entry,
        next: v2.clone(),
        replaced: Vec::new(),
    }));
    let hooks = Hooks {
        replace,
        remove_old,
        relazify,
    };
    // SAFETY: `drive` is `int drive(const struct hooks *)` (the usage
    // above), linked and made ready to run by `lookup`; `hooks` outlives
    // the call.
    let drive: extern "C" fn(*const Hooks) -> i32 = unsafe { std::mem::transmute(drive.0) };
    let result = drive(&hooks);
    println!("drive returned {result}");
    Ok(())
}
