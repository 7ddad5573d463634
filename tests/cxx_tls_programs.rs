//! Runs the C++ corpus (`tests/cxx-programs/`) and the thread-local storage
//! corpus (`tests/tls-programs/`): every program is compiled at test time by
//! the GNU and the LLVM toolchain under several flag sets, linked natively
//! (the oracle) and run, then run under `lantern run`; stdout and the exit
//! status (`exit N` or `signal N`, so an abort is compared too) must match.
//!
//! # Corpus format
//!
//! Each program is a directory `tests/cxx-programs/NAME/` or
//! `tests/tls-programs/NAME/` holding:
//!
//! - source files, one object each, compiled and linked in file-name order:
//!   `*.cpp` (and `*.cc`) with the C++ compiler, `*.c` with the C compiler of
//!   the same toolchain (gcc with g++, clang-19 with clang++-19). C++
//!   programs hold `*.cpp` only; TLS programs may mix C and C++. Headers
//!   (`*.h`) sit next to them and are not compiled on their own.
//! - `cflags` (optional): extra compiler flags, whitespace-separated, on any
//!   number of lines, added after the configuration's flags.
//! - `args` (optional): the program's arguments, one a line.
//! - `lantern-error` (optional): configurations in which Lantern must refuse
//!   the program with a clear error instead of running it (what no JIT can do
//!   with glibc, such as over-aligned static TLS). Each line is
//!   `SUFFIXES: TEXT`: configuration names without their `-O` level
//!   (`default` for none, `-ie`, `-desc`, ...), then text the error must contain.
//!
//! The first source file starts with a comment saying what the program
//! exercises. Output must be deterministic (no addresses, no timing, threads
//! joined before their results are printed) and should expose wrong linking:
//! print values, checksums and address comparisons. A program that aborts
//! (`std::terminate`, `abort()`) flushes what it printed first; its expected
//! status is simply the native one.
//!
//! # Trials
//!
//! `cxx::NAME::COMPILER::CONFIG` with COMPILER `g++` or `clang++-19` and
//! CONFIG `O0`, `O2` or `O2-pic` (all with `-g`).
//!
//! `tls::NAME::COMPILER::CONFIG` with COMPILER `gcc` or `clang-19` (the C
//! compiler of the pair) and CONFIG `O0`/`O2` followed by nothing (default
//! PIE code), `-pic` (`-fPIC`), `-gd` (`-ftls-model=global-dynamic -fPIC`),
//! `-ld` (`-ftls-model=local-dynamic -fPIC`), `-ie`
//! (`-ftls-model=initial-exec`), `-le` (`-ftls-model=local-exec`) or `-desc`
//! (`-fPIC -mtls-dialect=gnu2`, TLS descriptors), all with `-g`.
//!
//! The native program is linked by the C++ driver when any source is C++,
//! else by the C driver: `DRIVER OBJS -o native -lm -lpthread`. Lantern runs
//! `lantern run OBJS -l m -- ARGS`: it must find the C++ runtime by itself.
//! Both run in the program's directory with a 60 s timeout. A trial fails if
//! the native run printed nothing (the comparison would prove nothing).

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use libtest_mimic::{Arguments, Failed, Trial};
use support::*;

/// A configuration: its name in trial names and its compiler flags.
type Config = (String, Vec<&'static str>);

fn cxx_configurations() -> Vec<Config> {
    vec![
        ("O0".into(), vec!["-O0"]),
        ("O2".into(), vec!["-O2"]),
        ("O2-pic".into(), vec!["-O2", "-fPIC"]),
    ]
}

fn tls_configurations() -> Vec<Config> {
    let variants: [(&str, &[&str]); 7] = [
        ("", &[]),
        ("-pic", &["-fPIC"]),
        ("-gd", &["-ftls-model=global-dynamic", "-fPIC"]),
        ("-ld", &["-ftls-model=local-dynamic", "-fPIC"]),
        ("-ie", &["-ftls-model=initial-exec"]),
        ("-le", &["-ftls-model=local-exec"]),
        ("-desc", &["-fPIC", "-mtls-dialect=gnu2"]),
    ];
    let mut configs = Vec::new();
    for opt in ["-O0", "-O2"] {
        for (suffix, flags) in variants {
            let mut all = vec![opt];
            all.extend_from_slice(flags);
            configs.push((format!("{}{suffix}", opt.trim_start_matches('-')), all));
        }
    }
    configs
}

/// A C compiler and the C++ compiler of the same toolchain.
struct Toolchain {
    cc: String,
    cxx: String,
}

impl Toolchain {
    fn compiler_for(&self, source: &Path) -> &str {
        if is_cxx(source) {
            &self.cxx
        } else {
            &self.cc
        }
    }
}

fn is_cxx(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "cpp" || e == "cc")
}

struct Program {
    /// `cxx` or `tls`: the corpus, first part of trial names.
    suite: &'static str,
    name: String,
    dir: PathBuf,
    sources: Vec<PathBuf>,
    args: Vec<String>,
    cflags: Vec<String>,
    /// Configuration suffixes in which Lantern must fail, with the text its error must contain.
    expected_errors: Vec<(Vec<String>, String)>,
}

impl Program {
    fn has_cxx(&self) -> bool {
        self.sources.iter().any(|s| is_cxx(s))
    }
}

fn source_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "c") || is_cxx(p))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

fn programs(suite: &'static str, corpus: &str) -> Vec<Program> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(corpus);
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs.into_iter()
        .map(|dir| {
            let read_lines = |file: &str| -> Vec<String> {
                std::fs::read_to_string(dir.join(file))
                    .map(|s| s.lines().map(String::from).collect())
                    .unwrap_or_default()
            };
            let program = Program {
                suite,
                name: dir.file_name().unwrap().to_string_lossy().into_owned(),
                sources: source_files(&dir),
                args: read_lines("args"),
                cflags: read_lines("cflags")
                    .iter()
                    .flat_map(|l| l.split_whitespace().map(String::from))
                    .collect(),
                expected_errors: read_lines("lantern-error")
                    .iter()
                    .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
                    .map(|l| {
                        let (configs, text) =
                            l.split_once(':').expect("lantern-error: `SUFFIXES: TEXT`");
                        (
                            configs.split_whitespace().map(String::from).collect(),
                            text.trim().to_string(),
                        )
                    })
                    .collect(),
                dir,
            };
            assert!(
                !program.sources.is_empty(),
                "{}: no source files",
                program.dir.display()
            );
            program
        })
        .collect()
}

fn compile_all(
    tools: &Toolchain,
    flags: &[&str],
    program: &Program,
    out: &Path,
) -> Result<Vec<PathBuf>, Failed> {
    std::fs::create_dir_all(out).map_err(|e| e.to_string())?;
    program
        .sources
        .iter()
        .map(|src| {
            // The whole file name, so `x.c` and `x.cpp` cannot collide.
            let obj = out.join(format!("{}.o", src.file_name().unwrap().to_string_lossy()));
            check(
                Command::new(tools.compiler_for(src))
                    .arg("-g")
                    .args(flags)
                    .args(&program.cflags)
                    .arg("-c")
                    .arg(src)
                    .arg("-o")
                    .arg(&obj),
            )?;
            Ok(obj)
        })
        .collect()
}

fn run_trial(
    tools: &Toolchain,
    label: &str,
    config: &str,
    flags: &[&str],
    program: &Program,
) -> Result<(), Failed> {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("cxx-tls-programs")
        .join(program.suite)
        .join(&program.name)
        .join(format!("{label}-{config}"));
    let objects = compile_all(tools, flags, program, &out)?;

    let exe = out.join("native");
    let driver = if program.has_cxx() {
        &tools.cxx
    } else {
        &tools.cc
    };
    check(
        Command::new(driver)
            .args(&objects)
            .arg("-o")
            .arg(&exe)
            .args(["-lm", "-lpthread"]),
    )?;

    let timeout = Duration::from_secs(60);
    let native = run_with_timeout(
        Command::new(&exe)
            .args(&program.args)
            .current_dir(&program.dir),
        timeout,
    )?;
    if native.stdout.is_empty() {
        return Err(format!(
            "the native program printed nothing ({}): the comparison would prove nothing\n--- native stderr:\n{}",
            native.status, native.stderr
        )
        .into());
    }
    let jit = run_with_timeout(
        Command::new(lantern())
            .arg("run")
            .args(&objects)
            .args(["-l", "m"])
            .arg("--")
            .args(&program.args)
            .current_dir(&program.dir),
        timeout,
    )?;
    let suffix = config.trim_start_matches("O0").trim_start_matches("O2");
    let suffix = if suffix.is_empty() { "default" } else { suffix };
    if let Some((_, text)) = program
        .expected_errors
        .iter()
        .find(|(configs, _)| configs.iter().any(|c| c == suffix))
    {
        if jit.status == "exit 1"
            && jit.stderr.starts_with("lantern: error: ")
            && jit.stderr.contains(text.as_str())
        {
            return Ok(());
        }
        return Err(format!(
            "lantern run should refuse this configuration with an error containing {text:?} (lantern: {})\n--- lantern stderr:\n{}",
            jit.status, jit.stderr
        )
        .into());
    }
    if native.stdout != jit.stdout || native.status != jit.status {
        return Err(format!(
            "lantern run differs from the native program (native: {}, lantern: {})\n--- lantern stderr:\n{}\n--- native stdout:\n{}\n--- lantern stdout:\n{}",
            native.status, jit.status, jit.stderr, native.stdout, jit.stdout
        )
        .into());
    }
    Ok(())
}

/// The toolchain pairs whose compilers are all installed.
fn toolchains() -> Vec<Arc<Toolchain>> {
    let mut found = Vec::new();
    for (cc, cxx) in [("gcc", "g++"), ("clang-19", "clang++-19")] {
        if let (Some(cc), Some(cxx)) = (require_tool(&[cc], cc), require_tool(&[cxx], cxx)) {
            found.push(Arc::new(Toolchain { cc, cxx }));
        }
    }
    found
}

fn main() {
    let args = Arguments::from_args();
    let tools = toolchains();
    // C++ trials are named by the C++ compiler, TLS trials by the C one.
    let suites = [
        ("cxx", "cxx-programs", cxx_configurations(), false),
        ("tls", "tls-programs", tls_configurations(), true),
    ];
    let mut trials = Vec::new();
    for (suite, corpus, configs, c_label) in suites {
        for program in programs(suite, corpus) {
            let program = Arc::new(program);
            for toolchain in &tools {
                let label = if c_label {
                    &toolchain.cc
                } else {
                    &toolchain.cxx
                };
                for (config, flags) in &configs {
                    let name = format!("{suite}::{}::{label}::{config}", program.name);
                    let (program, toolchain, label, config, flags) = (
                        program.clone(),
                        toolchain.clone(),
                        label.clone(),
                        config.clone(),
                        flags.clone(),
                    );
                    trials.push(Trial::test(name, move || {
                        run_trial(&toolchain, &label, &config, &flags, &program)
                    }));
                }
            }
        }
    }
    libtest_mimic::run(&args, trials).exit();
}
