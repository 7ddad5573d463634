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

    /// `lantern run ...` as an argument list, for a debugger's `--args`;
    /// with `separate_units`, one unit per file, definitions first (the
    /// files in reverse order), registered as one merged object.
    fn lantern_args(&self, separate_units: bool) -> Vec<String> {
        let mut args = vec![lantern().to_string_lossy().into_owned(), "run".into()];
        args.extend(self.lantern_options.iter().cloned());
        let mut inputs: Vec<String> = self
            .inputs
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        if separate_units {
            args.push("--separate-units".into());
            inputs.reverse();
        }
        args.extend(inputs);
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
                missing(
                    "zig not found (tried `zig` and `python3 -m ziglang`): \
                     `pip install ziglang` (scripts/test.sh does)",
                )
            }
        }
        "rustc" => require_tool(&["rustc"], "rustc").is_some(),
        "tcc" => {
            // tcc has no --version.
            let found = Command::new("tcc")
                .arg("-v")
                .output()
                .is_ok_and(|o| o.status.success());
            found || missing("tcc not found: install it (scripts/test.sh does)")
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
        "crash-nasm-notype" => &["nasm", "gcc"],
        "crash-gas-nocfi" => &["as", "gcc"],
        "crash-tcc" => &["tcc"],
        "crash-gfortran" => &["gfortran"],
        "crash-gxx-uncaught" => &["g++"],
        "crash-rust-panic" => &["rustc", "gcc"],
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
            link_native(&[&obj], &native)?;
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
            // tcc links its own executables (-g keeps the stabs).
            check(
                Command::new("tcc")
                    .arg("-g")
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
            link_native(&[&obj], &native)?;
            Program {
                inputs: vec![obj],
                lantern_options: vec![],
                native,
            }
        }
        "gas" => {
            let obj = o("prog.o");
            compile(src_dir, &["as"], &["-g", "prog.s", "-o", path_str(&obj)])?;
            link_native(&[&obj], &native)?;
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
            link_native(&[&obj], &native)?;
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
        "crash-nasm-notype" => {
            let main = o("main.o");
            let poke = o("poke.o");
            compile(
                src_dir,
                &["gcc"],
                &["-g", "-c", "main.c", "-o", path_str(&main)],
            )?;
            compile(
                src_dir,
                &["nasm"],
                &[
                    "-f",
                    "elf64",
                    "-g",
                    "-F",
                    "dwarf",
                    "poke.asm",
                    "-o",
                    path_str(&poke),
                ],
            )?;
            c_linked(vec![main, poke], native)?
        }
        "crash-gas-nocfi" => {
            let main = o("main.o");
            let scale = o("scale.o");
            compile(
                src_dir,
                &["gcc"],
                &["-g", "-c", "main.c", "-o", path_str(&main)],
            )?;
            // No -g: nothing for debuggers but the symbol.
            compile(src_dir, &["as"], &["scale.s", "-o", path_str(&scale)])?;
            c_linked(vec![main, scale], native)?
        }
        "crash-tcc" => {
            let main = o("main.o");
            compile(
                src_dir,
                &["tcc"],
                &["-g", "-c", "main.c", "-o", path_str(&main)],
            )?;
            check(
                Command::new("tcc")
                    .arg("-g")
                    .arg(&main)
                    .arg("-o")
                    .arg(&native),
            )?;
            Program {
                inputs: vec![main],
                lantern_options: vec![],
                native,
            }
        }
        "crash-gfortran" => {
            let main = o("main.o");
            compile(
                src_dir,
                &["gfortran"],
                &[
                    "-g",
                    "-J",
                    path_str(out),
                    "-c",
                    "main.f90",
                    "-o",
                    path_str(&main),
                ],
            )?;
            check(Command::new("gfortran").arg(&main).arg("-o").arg(&native))?;
            Program {
                inputs: vec![main],
                lantern_options: vec!["-l".into(), "gfortran".into()],
                native,
            }
        }
        "crash-gxx-uncaught" => {
            let main = o("main.o");
            compile(
                src_dir,
                &["g++"],
                &["-g", "-c", "main.cpp", "-o", path_str(&main)],
            )?;
            check(Command::new("g++").arg(&main).arg("-o").arg(&native))?;
            Program {
                inputs: vec![main],
                lantern_options: vec![],
                native,
            }
        }
        "crash-rust-panic" => {
            let lib = o("libchecks.a");
            let main = o("main.o");
            compile(
                src_dir,
                &["rustc"],
                &[
                    "--edition=2021",
                    "--crate-type=staticlib",
                    "-g",
                    "checks.rs",
                    "-o",
                    path_str(&lib),
                ],
            )?;
            compile(
                src_dir,
                &["gcc"],
                &["-g", "-c", "main.c", "-o", path_str(&main)],
            )?;
            c_linked(vec![main, lib], native)?
        }
        other => return Err(format!("no compiler {other}")),
    };
    Ok(program)
}

/// Links `inputs` natively with gcc; `lantern run` gets the same files.
fn c_linked(inputs: Vec<PathBuf>, native: PathBuf) -> Result<Program, String> {
    link_native(&inputs, &native)?;
    Ok(Program {
        inputs,
        lantern_options: vec![],
        native,
    })
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
    let native = run_with_timeout(
        Command::new(&program.native).env_remove("RUST_BACKTRACE"),
        TIMEOUT,
    )
    .unwrap();
    let jit = run_with_timeout(
        program.lantern_command(&[]).env_remove("RUST_BACKTRACE"),
        TIMEOUT,
    )
    .unwrap();
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

// ---------------------------------------------------------------------------
// gdb sessions

/// A known difference between the native and the JIT'd session: the first
/// line (after normalization) that contains `native` in the native session
/// where the JIT'd one has a line containing `lantern` instead.
struct ExpectedDifference {
    program: &'static str,
    native: &'static str,
    lantern: &'static str,
    reason: &'static str,
}

/// Differences that have a reason in Lantern (or in the host process) that
/// this corpus does not fix. Each must still occur: a test fails when one
/// no longer does, so that it is taken off this list.
const EXPECTED_DIFFERENCES: &[ExpectedDifference] = &[];

/// A gdb script that runs each command through Python, so that a command
/// that fails prints its error and the session goes on, natively and under
/// Lantern alike.
fn gdb_script(commands: &[&str]) -> String {
    let mut script = String::from(
        "set pagination off\nset confirm off\nset width 0\nset breakpoint pending on\n\
         python\nimport gdb\nfor _command in [\n",
    );
    for command in commands {
        script.push_str(&format!("    {command:?},\n"));
    }
    script.push_str(
        "]:\n    try:\n        gdb.execute(_command)\n    except gdb.error as _error:\n        \
         print('error: %s' % _error)\nend\n",
    );
    script
}

fn run_gdb(script: &Path, args: &[String]) -> String {
    let out = run_with_timeout(
        Command::new("gdb")
            .args(["-batch", "-nx", "-x"])
            .arg(script)
            .arg("--args")
            .args(args),
        TIMEOUT,
    )
    .unwrap_or_else(|e| panic!("gdb: {e}"));
    format!("{}{}", out.stdout, out.stderr)
}

fn hex_to_addr(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(at) = rest.find("0x") {
        out.push_str(&rest[..at]);
        let digits = rest[at + 2..]
            .bytes()
            .take_while(u8::is_ascii_hexdigit)
            .count();
        out.push_str(if digits == 0 { "0x" } else { "ADDR" });
        rest = &rest[at + 2 + digits..];
    }
    out.push_str(rest);
    out
}

/// The function a `bt` line names: `#1  0x... in f (args) at ...` or `#0  f (...)`.
fn frame_function(line: &str) -> Option<&str> {
    let rest = line.strip_prefix('#')?.split_once(' ')?.1.trim_start();
    let rest = match rest.split_once(" in ") {
        Some((addr, tail)) if addr.starts_with("0x") => tail,
        _ => rest,
    };
    rest.split(" (").next()
}

/// The program's entry as gdb names it: C's `main`, Rust's `crate::main`,
/// and gfortran's `MAIN__`, where gdb stops a native backtrace.
fn is_entry(function: &str) -> bool {
    function == "main" || function.ends_with("::main") || function == "MAIN__"
}

/// What users see, without what differs by nature between the native
/// program and `lantern run`: addresses, pids, pending-breakpoint chatter
/// (the JIT'd code is not there yet when `break` runs), the host's frames
/// below the JIT'd entry, the object file a section belongs to.
fn normalize(session: &str) -> Vec<String> {
    let skip = [
        "[Thread debugging",
        "Using host libthread_db",
        "[Inferior ",
        "[New Thread ",
        "warning:",
        // The rest of gdb's warning about the host binary's .debug_gdb_scripts.
        "of file ",
        "Use `info auto-load",
        "Function \"",
        "Make breakpoint pending",
        "No source file named",
    ];
    let mut lines = Vec::new();
    let mut below_entry = false;
    for line in session.lines().map(str::trim_end) {
        if skip.iter().any(|s| line.starts_with(s)) {
            continue;
        }
        if line.starts_with("Breakpoint ")
            && (line.contains(" at 0x") || line.ends_with("pending."))
        {
            continue;
        }
        if line.starts_with("[Thread ") && line.ends_with(" exited]") {
            continue;
        }
        match frame_function(line) {
            Some(_) if below_entry => continue,
            Some(function) => below_entry = is_entry(function),
            None => below_entry = false,
        }
        let mut line = hex_to_addr(line);
        if let Some(at) = line.find(" in section ") {
            // "f in section .text of /path/native" vs "... of <in-memory@ADDR>".
            if let Some(of) = line[at..].find(" of ") {
                line.truncate(at + of);
            }
            // A static link names the joined section `.text`; the debug
            // object keeps the first input section's name.
            if line[at..].starts_with(" in section .text.") {
                line.truncate(at + " in section .text".len());
            }
        }
        lines.push(line);
    }
    lines
}

/// Runs the same gdb session on the native program and under `lantern run`
/// and compares them, allowing only the [`EXPECTED_DIFFERENCES`] of `name`.
fn gdb_session_matches_native(name: &str, compiler: &str, commands: &[&str], needles: &[&str]) {
    compare_gdb_sessions(name, compiler, false, commands, needles);
}

fn compare_gdb_sessions(
    name: &str,
    compiler: &str,
    separate_units: bool,
    commands: &[&str],
    needles: &[&str],
) {
    if !have_tools(&["gdb"]) {
        return;
    }
    let Some(program) = built(name, compiler) else {
        return;
    };
    let script = program
        .native
        .with_file_name(format!("session-{separate_units}.gdb"));
    std::fs::write(&script, gdb_script(commands)).unwrap();
    let native_raw = run_gdb(&script, &[program.native.to_string_lossy().into_owned()]);
    let jit_raw = run_gdb(&script, &program.lantern_args(separate_units));
    let (native, jit) = (normalize(&native_raw), normalize(&jit_raw));
    let show = || format!("--- native:\n{native_raw}\n--- lantern:\n{jit_raw}");
    for needle in needles {
        assert!(
            native.iter().any(|l| l.contains(needle)),
            "[{name}] the native session lacks {needle:?}: the comparison would prove little\n{}",
            show()
        );
    }
    assert!(
        !jit.iter().any(|l| l.contains("??")),
        "[{name}] a `??` frame under lantern\n{}",
        show()
    );
    assert_eq!(
        native.len(),
        jit.len(),
        "[{name}] the sessions have different lengths\n{}",
        show()
    );
    let expected: Vec<&ExpectedDifference> = EXPECTED_DIFFERENCES
        .iter()
        .filter(|d| d.program == name)
        .collect();
    let mut used = vec![false; expected.len()];
    for (n, j) in native.iter().zip(&jit) {
        if n == j {
            continue;
        }
        let known = expected
            .iter()
            .position(|d| n.contains(d.native) && j.contains(d.lantern));
        match known {
            Some(index) => used[index] = true,
            None => panic!(
                "[{name}] gdb sessions differ:\n  native:  {n}\n  lantern: {j}\n{}",
                show()
            ),
        }
    }
    for (difference, used) in expected.iter().zip(used) {
        assert!(
            used,
            "[{name}] expected difference no longer occurs (take it off EXPECTED_DIFFERENCES): \
             native {:?}, lantern {:?} ({})",
            difference.native, difference.lantern, difference.reason
        );
    }
}

#[test]
fn rustc_obj_gdb_session_matches_native() {
    gdb_session_matches_native(
        "rustc-obj",
        "rustc-obj",
        &[
            "break weigh",
            "run",
            "bt",
            "print TOTAL",
            "print *step",
            "finish",
        ],
        &[
            "Breakpoint 1, prog::weigh (step=ADDR) at prog.rs:",
            "#1  ADDR in prog::accumulate (n=5) at prog.rs:",
            "$1 = 7",
            "$2 = prog::Step {index: 0, weight: 2}",
            "Value returned is $3 = 1",
        ],
    );
}

#[test]
fn rustc_staticlib_gdb_session_matches_native() {
    gdb_session_matches_native(
        "rustc-staticlib",
        "rustc-staticlib",
        &[
            "break summary::describe",
            "run",
            "bt",
            "print RS_CALLS",
            "finish",
        ],
        &[
            "Breakpoint 1, summary::describe (values=...) at summary.rs:",
            "in twice (n=2) at main.c:6",
            "$1 = 1",
            "Value returned is $2 = alloc::string::String",
        ],
    );
}

#[test]
fn gfortran_gdb_session_matches_native() {
    gdb_session_matches_native(
        "gfortran",
        "gfortran",
        &["break square", "run", "bt", "print total", "finish"],
        &[
            "Breakpoint 1, counters::square (x=1) at counters.f90:",
            "in counters::accumulate (n=4) at counters.f90:",
            "$1 = 5",
            "Value returned is $2 = 1",
        ],
    );
}

/// tcc describes its code with stabs: breakpoints by name and by file:line,
/// locals, a struct, globals and `list` all come from them.
#[test]
fn tcc_stabs_gdb_session_matches_native() {
    compare_gdb_sessions("tcc", "tcc", false, TCC_COMMANDS, TCC_NEEDLES);
}

/// The same with one unit per object: the units' stabs are registered as
/// one merged object file.
#[test]
fn tcc_stabs_of_separate_units_gdb_session_matches_native() {
    compare_gdb_sessions("tcc", "tcc", true, TCC_COMMANDS, TCC_NEEDLES);
}

const TCC_COMMANDS: &[&str] = &[
    "break helper",
    "break main.c:18",
    "run",
    "bt",
    "print p",
    "print p.left",
    "continue",
    "bt",
    "print counter",
    "print x",
    "next",
    "print doubled",
    "info locals",
    "print label",
    "list",
    "finish",
    "info symbol helper",
];

const TCC_NEEDLES: &[&str] = &[
    "Breakpoint 2, main () at main.c:18",
    "$1 = {left = 3, right = 4}",
    "Breakpoint 1, helper (x=0) at lib.c:6",
    "#1  ADDR in compute (n=4) at lib.c:14",
    "$3 = 3",
    "$5 = 0",
    "static const char *label = \"tcc\";",
    "Value returned is $7 = 1",
];

#[test]
fn nasm_gdb_session_matches_native() {
    gdb_session_matches_native(
        "nasm",
        "nasm",
        &[
            "break twice",
            "run",
            "bt",
            "print (long)counter",
            "finish",
            "info symbol twice",
        ],
        &[
            "Breakpoint 1, twice () at prog.asm:",
            "#1  ADDR in add_counter () at prog.asm:",
            "$1 = 10",
            "twice in section .text",
        ],
    );
}

#[test]
fn gas_gdb_session_matches_native() {
    gdb_session_matches_native(
        "gas",
        "gas",
        &[
            "break scale",
            "run",
            "bt",
            "print (long)factor",
            "finish",
            "info symbol scale",
        ],
        &[
            "Breakpoint 1, scale () at prog.s:",
            "#1  ADDR in scale_all () at prog.s:",
            "$1 = 3",
            "scale in section .text",
        ],
    );
}

#[test]
fn zig_gdb_session_matches_native() {
    gdb_session_matches_native(
        "zig",
        "zig",
        &["break prog.weigh", "run", "bt", "print zig_total", "finish"],
        &[
            "Breakpoint 1, ADDR in prog.weigh (sample=...)",
            "#1  ADDR in zig_work (n=5)",
            "$1 = 100",
            "Value returned is $2 = 0",
        ],
    );
}

#[test]
fn gxx_o2_gdb_session_matches_native() {
    gdb_session_matches_native(
        "gxx",
        "gxx",
        &[
            "break checked_area",
            "run",
            "bt",
            "print shapes_made",
            "finish",
        ],
        &[
            "Breakpoint 1, checked_area (s=...) at shapes.cpp:",
            "$1 = 3",
            "Value returned is $2 = 6",
        ],
    );
}

// ---------------------------------------------------------------------------
// lldb sessions

/// Runs an lldb-19 session (`commands`, after the settings every lldb test
/// uses) with `lantern debug-test` on the native program and under `lantern
/// run`: they must match after debug-test's normalization, lines that
/// contain any of `ignore` left out of both, and the native one must show
/// every text of `must`.
fn lldb_session_matches_native(
    name: &str,
    compiler: &str,
    commands: &[&str],
    must: &[&str],
    ignore: &[&str],
) {
    if !have(&[(&["lldb-19"], "lldb-19")]) {
        return;
    }
    let Some(program) = built(name, compiler) else {
        return;
    };
    let dir = program.native.with_file_name("lldb");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("session.lldb");
    let mut text = String::from(
        "settings set plugin.jit-loader.gdb.enable on\nsettings set use-color false\n\
         settings set stop-line-count-before 0\nsettings set stop-line-count-after 0\n\
         settings set stop-disassembly-display never\n",
    );
    for command in commands {
        text.push_str(command);
        text.push('\n');
    }
    std::fs::write(&script, text).unwrap();
    let mut cmd = Command::new(lantern());
    cmd.args(["debug-test", "--lldb"])
        .arg(&script)
        .arg("--native")
        .arg(&program.native)
        .arg("--keep-sessions")
        .arg(dir.join("sessions"))
        .args(["--name", name]);
    for text in must {
        cmd.arg(format!("--require={text}"));
    }
    for text in ignore {
        cmd.arg(format!("--ignore={text}"));
    }
    for option in &program.lantern_options {
        cmd.arg(format!("--run-arg={option}"));
    }
    cmd.args(&program.inputs);
    let out = run_with_timeout(&mut cmd, TIMEOUT * 2)
        .unwrap_or_else(|e| panic!("[{name}] lantern debug-test: {e}"));
    let raw = |which: &str| {
        std::fs::read_to_string(dir.join("sessions").join(format!("lldb-{which}.txt")))
            .unwrap_or_default()
    };
    assert!(
        out.status == "exit 0",
        "[{name}] lldb sessions differ ({}):\n{}{}\n--- native, raw ---\n{}\n--- lantern, raw ---\n{}",
        out.status,
        out.stdout,
        out.stderr,
        raw("native"),
        raw("lantern")
    );
}

/// Break by name, run, backtrace (the three innermost frames: the JIT'd
/// ones; lldb names no source for code without line information, so
/// debug-test cannot tell where the program's `main` ends), a global, step
/// out: what each gdb session above does, in lldb's words. Disassembly is
/// off: it shows addresses, whose printed width differs with the layout.
fn lldb_basic(function: &str, global: &str) -> Vec<String> {
    vec![
        format!("breakpoint set --name {function}"),
        "process launch".into(),
        "thread backtrace -c 3".into(),
        format!("target variable {global}"),
        "thread step-out".into(),
    ]
}

fn lldb_compare(name: &str, function: &str, global: &str, must: &[&str], ignore: &[&str]) {
    let commands = lldb_basic(function, global);
    let commands: Vec<&str> = commands.iter().map(String::as_str).collect();
    lldb_session_matches_native(name, name, &commands, must, ignore);
}

#[test]
fn rustc_obj_lldb_session_matches_native() {
    lldb_compare("rustc-obj", "weigh", "TOTAL", &["prog.rs:"], &[]);
}

#[test]
fn rustc_staticlib_lldb_session_matches_native() {
    // lldb-19 shows the returned `String`'s buffer (`*u8`) as a C string: it
    // reads past the string's length up to a zero byte, so what follows
    // "total 5" is whatever the heap holds there (zeros in a fresh native
    // heap; under Lantern the program shares the heap the linker used, e.g.
    // "total 5ng<u8>"). The line shows heap garbage, not the value.
    lldb_compare(
        "rustc-staticlib",
        "describe",
        "RS_CALLS",
        &["main.c:"],
        &["pointer = (pointer = \""],
    );
}

#[test]
fn gfortran_lldb_session_matches_native() {
    // lldb-19 has no Fortran language support: it knows the linkage names
    // only (gdb's `break square` and `print total` are Fortran names), and
    // cannot print a Fortran global (natively and under Lantern alike).
    lldb_compare(
        "gfortran",
        "__counters_MOD_square",
        "__counters_MOD_total",
        &["counters.f90:8", "Unable to determine byte size"],
        &[],
    );
}

/// lldb-19 reads no stabs: natively as under Lantern it knows tcc's code by
/// its ELF symbols only (no file:line, locals or types), so this compares
/// what it can: the stop, the frames by symbol, a global's bytes.
#[test]
fn tcc_lldb_session_matches_native() {
    lldb_compare(
        "tcc",
        "helper",
        "counter",
        &["`helper", "`compute + 74"],
        &[],
    );
}

#[test]
fn nasm_lldb_session_matches_native() {
    lldb_compare("nasm", "twice", "counter", &["twice"], &[]);
}

#[test]
fn gas_lldb_session_matches_native() {
    lldb_compare("gas", "scale", "factor", &["scale at prog.s:21"], &[]);
}

#[test]
fn zig_lldb_session_matches_native() {
    lldb_compare("zig", "prog.weigh", "zig_total", &["weigh"], &[]);
}

#[test]
fn gxx_o2_lldb_session_matches_native() {
    lldb_compare("gxx", "checked_area", "shapes_made", &["checked_area"], &[]);
}

// ---------------------------------------------------------------------------
// Crashes (fixtures for issue 12's crash-report items)

/// A line of stderr without what differs between two runs: addresses,
/// thread and process ids in parentheses (`thread '<unnamed>' (1448)`).
fn normalize_stderr_line(line: &str) -> String {
    let mut line = hex_to_addr(line.trim_end());
    while let Some(open) = line.find(" (") {
        let Some(len) = line[open + 2..].find(')') else {
            break;
        };
        let inner = &line[open + 2..open + 2 + len];
        if inner.is_empty() || !inner.bytes().all(|b| b.is_ascii_digit()) {
            break;
        }
        line.replace_range(open..open + 3 + len, " (ID)");
        if !line[open + 5..].contains(" (") {
            break;
        }
    }
    line
}

/// Lantern's crash report: `lantern: SIG...` and its `#N 0x... in ...` frames.
fn is_report_line(line: &str) -> bool {
    line.starts_with("lantern: SIG") || (line.starts_with('#') && line.contains(" in "))
}

/// The function of a crash-report frame: `#N 0xADDR in FUNC at FILE:L:C`,
/// `#N 0xADDR in FUNC (object)` or `#N 0xADDR in FUNC`, without the
/// parameter list of a demangled C++ name (`check(int)`), as gdb names it.
fn report_function(line: &str) -> Option<&str> {
    let rest = line.split_once(" in ")?.1;
    let end = [rest.find(" at "), rest.find(" (")]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(rest.len());
    Some(without_parameters(&rest[..end]))
}

/// `name(int, char)` -> `name`; anything else as it is.
fn without_parameters(function: &str) -> &str {
    if !function.ends_with(')') {
        return function;
    }
    let mut depth = 0;
    for (at, c) in function.char_indices().rev() {
        match c {
            ')' => depth += 1,
            '(' => {
                depth -= 1;
                if depth == 0 {
                    return &function[..at];
                }
            }
            _ => {}
        }
    }
    function
}

/// How a crashing program ends natively and under `lantern run`:
/// the same stdout and exit status (the signal), the native stderr lines up
/// to `stderr_until` (the runtime's own message: std::terminate's, Rust's,
/// libgfortran's) in the same order, and a crash report whose frames of
/// the program's `functions` are the ones gdb shows on the native program.
fn crash_matches_native(name: &str, functions: &[&str], stderr_until: Option<&str>) {
    if !have_tools(&["gdb"]) {
        return;
    }
    let Some(program) = built(name, name) else {
        return;
    };
    let native = run_with_timeout(
        Command::new(&program.native).env_remove("RUST_BACKTRACE"),
        TIMEOUT,
    )
    .unwrap();
    let jit = run_with_timeout(
        program.lantern_command(&[]).env_remove("RUST_BACKTRACE"),
        TIMEOUT,
    )
    .unwrap();
    let show = format!(
        "--- native ({}):\n{}{}\n--- lantern ({}):\n{}{}",
        native.status, native.stdout, native.stderr, jit.status, jit.stdout, jit.stderr
    );
    assert!(
        native.status.starts_with("signal"),
        "[{name}] the native program did not die by a signal\n{show}"
    );
    assert_eq!(
        (&jit.stdout, &jit.status),
        (&native.stdout, &native.status),
        "[{name}] stdout or exit status differ\n{show}"
    );

    // The runtime's own message, as natively.
    let mut wanted: Vec<String> = Vec::new();
    for line in native.stderr.lines() {
        if !line.trim().is_empty() {
            wanted.push(normalize_stderr_line(line));
        }
        if stderr_until.is_some_and(|until| line.starts_with(until)) {
            break;
        }
    }
    let got: Vec<String> = jit
        .stderr
        .lines()
        .filter(|l| !l.trim().is_empty() && !is_report_line(l))
        .map(normalize_stderr_line)
        .collect();
    let mut at = 0;
    for line in &wanted {
        match got[at..].iter().position(|g| g == line) {
            Some(found) => at += found + 1,
            None => {
                panic!("[{name}] lantern's stderr lacks the native {line:?} (in order)\n{show}")
            }
        }
    }

    // The crash report, against gdb's backtrace of the native program.
    assert!(
        jit.stderr.lines().any(|l| l.starts_with("lantern: SIG")),
        "[{name}] no crash report\n{show}"
    );
    let gdb = run_with_timeout(
        Command::new("gdb")
            .args(["-batch", "-nx", "-ex", "run", "-ex", "bt 40"])
            .arg(&program.native)
            .env_remove("RUST_BACKTRACE"),
        TIMEOUT,
    )
    .unwrap();
    let expected: Vec<&str> = gdb
        .stdout
        .lines()
        .filter_map(frame_function)
        .filter(|f| functions.contains(f))
        .collect();
    assert!(
        !expected.is_empty(),
        "[{name}] gdb shows none of {functions:?} on the native program:\n{}",
        gdb.stdout
    );
    let reported: Vec<&str> = jit
        .stderr
        .lines()
        .filter(|l| l.starts_with('#'))
        .filter_map(report_function)
        .filter(|f| functions.contains(f))
        .collect();
    assert_eq!(
        reported, expected,
        "[{name}] the crash report's frames are not gdb's on the native program\n{show}\n--- gdb:\n{}",
        gdb.stdout
    );
}

/// nasm's default `global` is STT_NOTYPE with size 0; the crash is in it.
#[test]
fn crash_in_nasm_notype_symbol_is_reported_as_native() {
    crash_matches_native("crash-nasm-notype", &["poke", "store", "main"], None);
}

/// A GNU as function without .type, CFI or DWARF, right after a `-g` C main.
#[test]
fn crash_past_a_dwarf_range_is_reported_as_native() {
    crash_matches_native("crash-gas-nocfi", &["scale_into", "main"], None);
}

/// tcc writes no `.eh_frame`: the callers must still be found.
#[test]
fn crash_in_tcc_code_without_cfi_is_reported_as_native() {
    crash_matches_native("crash-tcc", &["deref", "level1", "main"], None);
}

/// libgfortran's own SIGSEGV handler: its message as natively, and Lantern's report.
#[test]
fn crash_under_libgfortran_handler_is_reported_as_native() {
    crash_matches_native(
        "crash-gfortran",
        &["poking::poke", "MAIN__"],
        Some("Backtrace for this error:"),
    );
}

/// An exception no frame catches: std::terminate's message, SIGABRT, and
/// the throwing frames in the report.
#[test]
fn uncaught_cxx_exception_ends_as_native() {
    crash_matches_native("crash-gxx-uncaught", &["check", "run", "main"], None);
}

/// A Rust panic unwinding out of a staticlib through C's `main`.
#[test]
fn uncaught_rust_panic_ends_as_native() {
    crash_matches_native(
        "crash-rust-panic",
        &["checks::validate", "checks::rs_check", "main"],
        None,
    );
}
