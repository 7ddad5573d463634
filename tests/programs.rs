//! Runs every program under tests/programs/ compiled by gcc and clang across
//! optimization levels and code models, natively linked (the oracle) and under
//! `lantern run`, and compares stdout and exit status.
//!
//! A program directory holds `*.c` (one object each), optionally `lib/*.c`
//! (archived into `libNAME.a`), `args` (one argument a line), `cflags`, and
//! `only-gcc` for GNU C extensions clang lacks.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use libtest_mimic::{Arguments, Failed, Trial};
use support::*;

/// Flag sets: every -O level with the default (PIE) code, and each code-model
/// variant at -O0 and -O2.
fn configurations() -> Vec<(String, Vec<&'static str>)> {
    let mut configs = Vec::new();
    for opt in ["-O0", "-O1", "-O2", "-O3", "-Os"] {
        configs.push((opt.trim_start_matches('-').to_string(), vec![opt]));
    }
    let variants: [(&str, &[&str]); 5] = [
        ("pic", &["-fPIC"]),
        ("nopic", &["-fno-pic"]),
        ("noplt", &["-fno-plt"]),
        ("sections", &["-ffunction-sections", "-fdata-sections"]),
        ("large", &["-mcmodel=large"]),
    ];
    for (name, flags) in variants {
        for opt in ["-O0", "-O2"] {
            let mut all = vec![opt];
            all.extend_from_slice(flags);
            configs.push((format!("{}-{name}", opt.trim_start_matches('-')), all));
        }
    }
    configs
}

struct Program {
    name: String,
    dir: PathBuf,
    sources: Vec<PathBuf>,
    lib_sources: Vec<PathBuf>,
    args: Vec<String>,
    cflags: Vec<String>,
    only_gcc: bool,
}

fn c_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "c"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

fn programs() -> Vec<Program> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/programs");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("tests/programs")
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
            Program {
                name: dir.file_name().unwrap().to_string_lossy().into_owned(),
                sources: c_files(&dir),
                lib_sources: c_files(&dir.join("lib")),
                args: read_lines("args"),
                cflags: read_lines("cflags")
                    .iter()
                    .flat_map(|l| l.split_whitespace().map(String::from))
                    .collect(),
                only_gcc: dir.join("only-gcc").exists(),
                dir,
            }
        })
        .collect()
}

fn compile_all(
    compiler: &str,
    flags: &[&str],
    program: &Program,
    out: &Path,
) -> Result<(Vec<PathBuf>, Option<PathBuf>), Failed> {
    std::fs::create_dir_all(out).map_err(|e| e.to_string())?;
    let compile = |src: &Path, prefix: &str| -> Result<PathBuf, Failed> {
        let obj = out.join(format!(
            "{prefix}{}.o",
            src.file_stem().unwrap().to_string_lossy()
        ));
        check(
            Command::new(compiler)
                .arg("-g")
                .args(flags)
                .args(&program.cflags)
                .arg("-c")
                .arg(src)
                .arg("-o")
                .arg(&obj),
        )?;
        Ok(obj)
    };
    let objects = program
        .sources
        .iter()
        .map(|s| compile(s, ""))
        .collect::<Result<Vec<_>, _>>()?;
    let archive = if program.lib_sources.is_empty() {
        None
    } else {
        let members = program
            .lib_sources
            .iter()
            .map(|s| compile(s, "lib-"))
            .collect::<Result<Vec<_>, _>>()?;
        let archive = out.join(format!("lib{}.a", program.name));
        let _ = std::fs::remove_file(&archive);
        check(Command::new("ar").arg("rcs").arg(&archive).args(&members))?;
        Some(archive)
    };
    Ok((objects, archive))
}

fn run_trial(
    compiler: &str,
    config: &str,
    flags: &[&str],
    program: &Program,
) -> Result<(), Failed> {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("programs")
        .join(&program.name)
        .join(format!("{}-{config}", compiler.replace('/', "_")));
    let (objects, archive) = compile_all(compiler, flags, program, &out)?;

    let exe = out.join("native");
    let mut link = Command::new(compiler);
    link.args(&objects)
        .args(&archive)
        .arg("-o")
        .arg(&exe)
        .args(["-lm", "-lpthread"]);
    if flags.contains(&"-fno-pic") {
        link.arg("-no-pie");
    }
    check(&mut link)?;

    let timeout = Duration::from_secs(60);
    let native = run_with_timeout(
        Command::new(&exe)
            .args(&program.args)
            .current_dir(&program.dir),
        timeout,
    )?;
    let jit = run_with_timeout(
        Command::new(lantern())
            .arg("run")
            .args(&objects)
            .args(&archive)
            .args(["-l", "m"])
            .arg("--")
            .args(&program.args)
            .current_dir(&program.dir),
        timeout,
    )?;
    if native.stdout != jit.stdout || native.status != jit.status {
        return Err(format!(
            "lantern run differs from the native program\n--- native ({}) stdout:\n{}\n--- lantern ({}) stdout:\n{}\n--- lantern stderr:\n{}",
            native.status, native.stdout, jit.status, jit.stdout, jit.stderr
        )
        .into());
    }
    if native.stdout.is_empty() && native.status == "exit 0" {
        return Err("the program printed nothing: the comparison would prove nothing".into());
    }
    Ok(())
}

fn main() {
    let args = Arguments::from_args();
    let mut compilers = Vec::new();
    if let Some(gcc) = require_tool(&["gcc"], "gcc") {
        compilers.push(gcc);
    }
    if let Some(clang) = require_tool(&["clang-19"], "clang-19") {
        compilers.push(clang);
    }
    let mut trials = Vec::new();
    for program in programs() {
        let program = std::sync::Arc::new(program);
        for compiler in &compilers {
            if program.only_gcc && compiler != "gcc" {
                continue;
            }
            for (config, flags) in configurations() {
                let program = program.clone();
                let compiler = compiler.clone();
                let name = format!("{}::{}::{}", program.name, compiler, config);
                trials.push(Trial::test(name, move || {
                    run_trial(&compiler, &config, &flags, &program)
                }));
            }
        }
    }
    libtest_mimic::run(&args, trials).exit();
}
