//! Shared helpers of the plugin tests: compiling test sources.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

use lantern_core::graph::ExecutorAddr;
use lantern_core::link::{PassConfig, Plugin};
use lantern_core::memory::{AllocAction, WrapperCall};

/// Compiles `source` with `compiler` into `<tmp>/<dir>/<name>.o`: assembly
/// when it starts with a directive, C++ for a C++ compiler, else C. `None`
/// (after a loud message) when the compiler is missing; under `CI=true` that panics.
pub fn compile(
    compiler: &str,
    dir: &str,
    name: &str,
    source: &str,
    flags: &[&str],
) -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(dir);
    std::fs::create_dir_all(&dir).unwrap();
    let ext = if source.trim_start().starts_with('.') {
        "s"
    } else if compiler.contains("++") {
        "cpp"
    } else {
        "c"
    };
    let src = dir.join(format!("{name}.{ext}"));
    std::fs::write(&src, source).unwrap();
    let obj = dir.join(format!("{name}.o"));
    let out = match Command::new(compiler)
        .args(flags)
        .arg("-c")
        .arg(&src)
        .arg("-o")
        .arg(&obj)
        .output()
    {
        Ok(out) => out,
        Err(_) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("CI=true and {compiler} is missing")
        }
        Err(_) => {
            eprintln!("\n!!! SKIPPING: {compiler} not found !!!\n");
            return None;
        }
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(obj)
}

/// A plugin whose finalize action fails with status 7, after every earlier
/// action (the debug object's and eh-frames' registration) has run.
pub struct FailingFinalize;

unsafe extern "C" fn fail(_arg: *const u8, _len: usize) -> u64 {
    7
}

impl Plugin for FailingFinalize {
    fn name(&self) -> &str {
        "failing-finalize"
    }

    fn modify_pass_config(&self, config: &mut PassConfig) {
        config.post_fixup.push(Box::new(|graph| {
            graph.alloc_actions.push(AllocAction {
                finalize: Some(WrapperCall {
                    function: ExecutorAddr(fail as *const () as u64),
                    arg: Vec::new().into(),
                }),
                dealloc: None,
            });
            Ok(())
        }));
    }
}
