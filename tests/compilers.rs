//! Objects from every compiler a JIT user brings, against the natively
//! linked program (the oracle): rustc (`--emit=obj`, and a `staticlib`
//! called from C), gfortran, tcc, nasm, GNU as, Zig and g++ -O2. Each program
//! under `tests/compiler-programs/` is compiled at test time, linked as its
//! toolchain links it, and run natively and under `lantern run`: stdout and
//! exit status must match. A gdb session on each (break by name, `bt`, print
//! a global, `finish`, and for tcc's stabs also `break FILE:LINE`, locals and
//! `list`) must match the same session on the native program once addresses,
//! pids and the host frames below the JIT'd `main` are normalized away. Known
//! differences are listed in [`EXPECTED_DIFFERENCES`], each with its reason;
//! one that no longer occurs fails the test, so the list stays true.
//!
//! The crash fixtures (`tests/compiler-programs/crash-*`, see the README
//! there) compare how a crash ends natively and under `lantern run`: the
//! signal or exit status, the runtime's own message, and the frames of
//! Lantern's crash report against gdb's backtrace of the native program.

mod support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use support::*;

const TIMEOUT: Duration = Duration::from_secs(180);

fn corpus_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/compiler-programs")
        .join(name)
}

/// A compiled program: what `lantern run` gets, and the native oracle.
#[derive(Debug, Clone)]
struct Program {
    /// Objects and archives, in link order.
    inputs: Vec<PathBuf>,
    /// Options for `lantern run` before the files (`-l gfortran`).
    lantern_options: Vec<String>,
    native: PathBuf,
}

impl Program {
    fn lantern_command(&self, extra: &[&str]) -> Command {
        let mut cmd = Command::new(lantern());
        cmd.arg("run")
            .args(extra)
            .args(&self.lantern_options)
            .args(&self.inputs);
        cmd
    }

    /// `lantern run ...` as an argument list, for a debugger's `--args`.
    fn lantern_args(&self) -> Vec<String> {
        let mut args = vec![lantern().to_string_lossy().into_owned(), "run".into()];
        args.extend(self.lantern_options.iter().cloned());
        args.extend(self.inputs.iter().map(|p| p.to_string_lossy().into_owned()));
        args
    }
}

/// The Zig compiler: `zig` on PATH, or PyPI's `ziglang` (`python3 -m ziglang`),
/// which scripts/test.sh installs.
fn zig() -> Option<Vec<String>> {
    static ZIG: OnceLock<Option<Vec<String>>> = OnceLock::new();
    ZIG.get_or_init(|| {
        for candidate in [vec!["zig"], vec!["python3", "-m", "ziglang"]] {
            let works = Command::new(candidate[0])
                .args(&candidate[1..])
                .arg("version")
                .output()
                .is_ok_and(|o| o.status.success());
            if works {
                return Some(candidate.into_iter().map(String::from).collect());
            }
        }
        None
    })
    .clone()
}

/// Whether every tool is there; in CI a missing one fails, elsewhere the
/// test skips loudly (see `require_tool`).
fn have_tools(tools: &[&str]) -> bool {
    tools.iter().all(|&tool| match tool {
        "zig" => {
            zig().is_some() || {
                let message = "zig not found (tried `zig` and `python3 -m ziglang`): \
                           `pip install ziglang` (scripts/test.sh does)";
                if in_ci() {
                    panic!("CI=true and {message}");
                }
                eprintln!("\n!!! SKIPPING: {message} !!!\n");
                false
            }
        }
        "rustc" => require_tool(&["rustc"], "rustc").is_some(),
        "tcc" => {
            // tcc has no --version.
            let found = Command::new("tcc")
                .arg("-v")
                .output()
                .is_ok_and(|o| o.status.success());
            if !found {
                let message = "tcc not found: install it (scripts/test.sh does)";
                if in_ci() {
                    panic!("CI=true and {message}");
                }
                eprintln!("\n!!! SKIPPING: {message} !!!\n");
            }
            found
        }
        "nasm" => require_tool(&["nasm"], "nasm").is_some(),
        other => require_tool(&[other], other).is_some(),
    })
}

/// Runs a compiler in the program's source directory, with relative source
/// names as a user would, so both links see the same file names.
fn compile(src_dir: &Path, program: &[&str], args: &[&str]) -> Result<(), String> {
    check(
        Command::new(program[0])
            .args(&program[1..])
            .args(args)
            .current_dir(src_dir),
    )
    .map(drop)
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("UTF-8 scratch path")
}

/// The tools a compiler's build needs (besides gcc for the native link).
fn tools_of(compiler: &str) -> &'static [&'static str] {
    match compiler {
        "rustc-obj" => &["rustc", "gcc"],
        "rustc-staticlib" => &["rustc", "gcc"],
        "gfortran" => &["gfortran"],
        "tcc" => &["tcc"],
        "nasm" => &["nasm", "gcc"],
        "gas" => &["as", "gcc"],
        "zig" => &["zig", "gcc"],
        "gxx" => &["g++"],
        other => panic!("no compiler {other}"),
    }
}

/// Compiles a corpus program into `out` and links the native oracle.
fn build_program(compiler: &str, src_dir: &Path, out: &Path) -> Result<Program, String> {
    let o = |name: &str| out.join(name);
    let native = o("native");
    let program = match compiler {
        "rustc-obj" => {
            let obj = o("prog.o");
            compile(
                src_dir,
                &["rustc"],
                &[
                    "--edition=2021",
                    "--emit=obj",
                    "-C",
                    "panic=abort",
                    // Debug assertions call into libcore, which only an rlib has.
                    "-C",
                    "debug-assertions=off",
                    "-g",
                    "prog.rs",
                    "-o",
                    path_str(&obj),
                ],
            )?;
            check(Command::new("gcc").arg(&obj).arg("-o").arg(&native))?;
            Program {
                inputs: vec![obj],
                lantern_options: vec![],
                native,
            }
        }
        "rustc-staticlib" => {
            let lib = o("libsummary.a");
            let main = o("main.o");
            compile(
                src_dir,
                &["rustc"],
                &[
                    "--edition=2021",
                    "--crate-type=staticlib",
                    "-g",
                    "summary.rs",
                    "-o",
                    path_str(&lib),
                ],
            )?;
            compile(
                src_dir,
                &["gcc"],
                &["-g", "-c", "main.c", "-o", path_str(&main)],
            )?;
            check(
                Command::new("gcc")
                    .arg(&main)
                    .arg(&lib)
                    .arg("-o")
                    .arg(&native),
            )?;
            Program {
                inputs: vec![main, lib],
                lantern_options: vec![],
                native,
            }
        }
        "gfortran" => {
            let counters = o("counters.o");
            let main = o("main.o");
            // -J: the module file goes to the scratch directory, not the source tree.
            for (src, obj) in [("counters.f90", &counters), ("main.f90", &main)] {
                compile(
                    src_dir,
                    &["gfortran"],
                    &["-g", "-J", path_str(out), "-c", src, "-o", path_str(obj)],
                )?;
            }
            check(
                Command::new("gfortran")
                    .arg(&counters)
                    .arg(&main)
                    .arg("-o")
                    .arg(&native),
            )?;
            Program {
                inputs: vec![counters, main],
                // Lantern resolves host symbols with dlsym: load the runtime.
                lantern_options: vec!["-l".into(), "gfortran".into()],
                native,
            }
        }
        "tcc" => {
            let main = o("main.o");
            let lib = o("lib.o");
            for (src, obj) in [("main.c", &main), ("lib.c", &lib)] {
                compile(src_dir, &["tcc"], &["-g", "-c", src, "-o", path_str(obj)])?;
            }
            // tcc links its own executables.
            check(
                Command::new("tcc")
                    .arg(&main)
                    .arg(&lib)
                    .arg("-o")
                    .arg(&native),
            )?;
            Program {
                inputs: vec![main, lib],
                lantern_options: vec![],
                native,
            }
        }
        "nasm" => {
            let obj = o("prog.o");
            compile(
                src_dir,
                &["nasm"],
                &[
                    "-f",
                    "elf64",
                    "-g",
                    "-F",
                    "dwarf",
                    "prog.asm",
                    "-o",
                    path_str(&obj),
                ],
            )?;
            check(Command::new("gcc").arg(&obj).arg("-o").arg(&native))?;
            Program {
                inputs: vec![obj],
                lantern_options: vec![],
                native,
            }
        }
        "gas" => {
            let obj = o("prog.o");
            compile(src_dir, &["as"], &["-g", "prog.s", "-o", path_str(&obj)])?;
            check(Command::new("gcc").arg(&obj).arg("-o").arg(&native))?;
            Program {
                inputs: vec![obj],
                lantern_options: vec![],
                native,
            }
        }
        "zig" => {
            let obj = o("prog.o");
            let zig = zig().ok_or("zig vanished")?;
            let zig: Vec<&str> = zig.iter().map(String::as_str).collect();
            let emit = format!("-femit-bin={}", path_str(&obj));
            compile(
                src_dir,
                &zig,
                &["build-obj", "-lc", "-O", "Debug", "prog.zig", &emit],
            )?;
            check(Command::new("gcc").arg(&obj).arg("-o").arg(&native))?;
            Program {
                inputs: vec![obj],
                lantern_options: vec![],
                native,
            }
        }
        "gxx" => {
            let obj = o("shapes.o");
            compile(
                src_dir,
                &["g++"],
                &["-g", "-O2", "-c", "shapes.cpp", "-o", path_str(&obj)],
            )?;
            check(Command::new("g++").arg(&obj).arg("-o").arg(&native))?;
            Program {
                inputs: vec![obj],
                lantern_options: vec![],
                native,
            }
        }
        other => return Err(format!("no compiler {other}")),
    };
    Ok(program)
}

/// Builds a corpus program once per test process (tests share it), or
/// `None` when a tool is missing outside CI.
fn built(name: &str, compiler: &str) -> Option<Program> {
    type Cell = Arc<OnceLock<Result<Program, String>>>;
    static BUILDS: OnceLock<Mutex<HashMap<String, Cell>>> = OnceLock::new();
    if !have_tools(tools_of(compiler)) {
        return None;
    }
    let cell = BUILDS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(name.to_string())
        .or_default()
        .clone();
    let result = cell.get_or_init(|| {
        let out = scratch(&format!("compilers-{name}"));
        build_program(compiler, &corpus_dir(name), &out)
    });
    match result {
        Ok(program) => Some(program.clone()),
        Err(e) => panic!("[{name}] build failed: {e}"),
    }
}

// ---------------------------------------------------------------------------
// Runs

fn runs_as_native(name: &str, compiler: &str) {
    let Some(program) = built(name, compiler) else {
        return;
    };
    let native = run_with_timeout(&mut Command::new(&program.native), TIMEOUT).unwrap();
    let jit = run_with_timeout(&mut program.lantern_command(&[]), TIMEOUT).unwrap();
    assert!(
        !native.stdout.is_empty(),
        "[{name}] the native program printed nothing: the comparison would prove nothing"
    );
    assert_eq!(
        (&jit.stdout, &jit.status),
        (&native.stdout, &native.status),
        "[{name}] lantern run differs from the native program\n--- lantern stderr:\n{}",
        jit.stderr
    );
}

#[test]
fn rustc_obj_runs_as_native() {
    runs_as_native("rustc-obj", "rustc-obj");
}

#[test]
fn rustc_staticlib_runs_as_native() {
    runs_as_native("rustc-staticlib", "rustc-staticlib");
}

#[test]
fn gfortran_runs_as_native() {
    runs_as_native("gfortran", "gfortran");
}

#[test]
fn tcc_runs_as_native() {
    runs_as_native("tcc", "tcc");
}

#[test]
fn nasm_runs_as_native() {
    runs_as_native("nasm", "nasm");
}

#[test]
fn gas_runs_as_native() {
    runs_as_native("gas", "gas");
}

#[test]
fn zig_runs_as_native() {
    runs_as_native("zig", "zig");
}

#[test]
fn gxx_o2_runs_as_native() {
    runs_as_native("gxx", "gxx");
}
