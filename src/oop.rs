//! `lantern run --oop`, `--executor PATH`, `--connect HOST:PORT`: the
//! program runs in an executor process driven over LLVM 19's SimpleRemoteEPC
//! protocol (core/src/executor/remote/). The controller links as usual;
//! the plugins whose allocation actions call into this process (debugger
//! registration, eh-frame registration, the crash handler's symbolizer,
//! perf maps) are off: their work does not cross the wire yet
//! (docs/out-of-process.md).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use lantern_core::executor::remote::Auth;
use lantern_core::executor::{ExecutorControl, RemoteExecutor};

use crate::cli::{link_units, CommonArgs, Plugins};

/// Where the program runs.
pub(crate) enum Target {
    /// A program started on a socketpair.
    Spawn(PathBuf, Auth),
    /// An executor listening on HOST:PORT.
    Connect(String),
}

/// The target the flags ask for, if any.
pub(crate) fn target(
    oop: bool,
    executor: Option<&Path>,
    connect: Option<&str>,
) -> Result<Option<Target>, String> {
    if oop {
        let exe = std::env::current_exe()
            .map_err(|e| format!("--oop: finding lantern's own path: {e}"))?;
        let path = exe.with_file_name("lantern-executor");
        if !path.exists() {
            return Err(format!(
                "--oop: {} not found (build it: cargo build -p lantern-executor)",
                path.display()
            ));
        }
        return Ok(Some(Target::Spawn(path, Auth::Secret)));
    }
    if let Some(path) = executor {
        return Ok(Some(Target::Spawn(path.to_path_buf(), Auth::PlainLlvm)));
    }
    Ok(connect.map(|a| Target::Connect(a.to_string())))
}

/// Links the files and runs `main` in the executor; returns main's status
/// after the executor has exited (so its output is complete).
pub(crate) fn run(common: &CommonArgs, target: Target, argv: &[String]) -> Result<u8, String> {
    let executor = match target {
        Target::Spawn(path, auth) => RemoteExecutor::spawn(&path.display().to_string(), auth),
        Target::Connect(addr) => {
            let secret = std::env::var("LANTERN_EXECUTOR_SECRET").ok();
            RemoteExecutor::connect(&addr, secret.as_deref())
        }
    }
    .map_err(|e| e.to_string())?;
    let executor = Arc::new(executor);
    let plugins = Plugins::default();
    let linked = link_units(
        common,
        executor.clone() as Arc<dyn ExecutorControl>,
        std::slice::from_ref(&common.entry),
        plugins,
    )?;
    let entry = linked.lookup(&common.entry).ok_or_else(|| {
        format!(
            "entry point `{}` is not defined by the linked objects",
            common.entry
        )
    })?;
    let status = linked
        .session
        .executor()
        .run_main(entry, &linked.initializers(), argv)
        .map_err(|e| e.to_string())?;
    // The units stay mapped until the executor exits: its exit handlers
    // may still call into them.
    std::mem::forget(linked);
    executor.hang_up();
    Ok(status as u8)
}
