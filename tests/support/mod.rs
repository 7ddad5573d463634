//! Shared helpers for the integration tests: finding tools, compiling C,
//! running commands with a timeout.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

pub fn lantern() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_lantern"))
}

/// lantern-executor, beside the lantern binary (built here if this test
/// binary was built alone, e.g. `cargo test -p lantern --test oop`).
pub fn executor() -> PathBuf {
    let path = lantern().with_file_name("lantern-executor");
    if !path.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        check(Command::new(cargo).args(["build", "-p", "lantern-executor"]))
            .expect("building lantern-executor");
    }
    path
}

pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Finds a tool on PATH. In CI a missing tool is a failure; elsewhere the
/// caller skips, and this says so loudly.
pub fn require_tool(names: &[&str], what: &str) -> Option<String> {
    for name in names {
        if Command::new(name)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
        {
            return Some(name.to_string());
        }
    }
    let message = format!(
        "{what} not found (tried {}): install it (see README.md, `Testing`)",
        names.join(", ")
    );
    if in_ci() {
        panic!("CI=true and {message}");
    }
    eprintln!("\n!!! SKIPPING: {message} !!!\n");
    None
}

/// Reports a missing tool: a failure under `CI=true`, a loud skip elsewhere.
/// Always returns `false`, for `found || missing(..)`.
pub fn missing(message: &str) -> bool {
    if in_ci() {
        panic!("CI=true and {message}");
    }
    eprintln!("\n!!! SKIPPING: {message} !!!\n");
    false
}

/// Whether every tool is there: `(names to try, what it is)` each, checked
/// with `require_tool` (a failure under `CI=true`, a loud skip elsewhere).
pub fn have(tools: &[(&[&str], &str)]) -> bool {
    tools
        .iter()
        .all(|(names, what)| require_tool(names, what).is_some())
}

/// gcc, for the tests that compile C at test time.
pub fn have_gcc() -> bool {
    have(&[(&["gcc"], "gcc")])
}

/// Both debuggers, for the tests that compare gdb and lldb sessions.
pub fn have_gdb_and_lldb() -> bool {
    have(&[(&["gdb"], "gdb"), (&["lldb-19"], "lldb-19")])
}

/// The outcome of a process: stdout, stderr and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub stdout: String,
    pub stderr: String,
    /// `exit N` or `signal N`.
    pub status: String,
}

pub fn outcome(output: Output) -> Outcome {
    use std::os::unix::process::ExitStatusExt;
    let status = match (output.status.code(), output.status.signal()) {
        (Some(code), _) => format!("exit {code}"),
        (None, Some(sig)) => format!("signal {sig}"),
        _ => "unknown".into(),
    };
    Outcome {
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        status,
    }
}

/// Runs a command with a timeout, stdin closed, no core dumps.
pub fn run_with_timeout(cmd: &mut Command, timeout: Duration) -> Result<Outcome, String> {
    use std::io::Read;
    use std::os::unix::process::CommandExt;
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: setrlimit is async-signal-safe; it runs in the child before exec.
    unsafe {
        cmd.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            libc::setrlimit(libc::RLIMIT_CORE, &limit);
            Ok(())
        });
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start {cmd:?}: {e}"))?;
    let mut stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let out_thread = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stdout.read_to_end(&mut buf);
        buf
    });
    let err_thread = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stderr.read_to_end(&mut buf);
        buf
    });
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            // What it printed before it stopped making progress, for the log.
            let stdout = out_thread.join().unwrap_or_default();
            let stderr = err_thread.join().unwrap_or_default();
            return Err(format!(
                "timed out after {timeout:?}: {cmd:?}\n--- its output ---\n{}{}",
                String::from_utf8_lossy(&stdout),
                String::from_utf8_lossy(&stderr)
            ));
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let stdout = out_thread.join().unwrap_or_default();
    let stderr = err_thread.join().unwrap_or_default();
    Ok(outcome(Output {
        status,
        stdout,
        stderr,
    }))
}

/// Runs a command that must succeed (a compiler, ar); returns its stdout.
pub fn check(cmd: &mut Command) -> Result<String, String> {
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{cmd:?} failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A scratch directory under the test target dir.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

/// Compiles C source text with gcc into `dir/name.o`.
pub fn compile_c(dir: &Path, name: &str, source: &str, flags: &[&str]) -> PathBuf {
    let src = dir.join(format!("{name}.c"));
    std::fs::write(&src, source).expect("write source");
    let obj = dir.join(format!("{name}.o"));
    check(
        Command::new("gcc")
            .args(flags)
            .arg("-c")
            .arg(&src)
            .arg("-o")
            .arg(&obj),
    )
    .expect("gcc");
    obj
}

/// The one-function unit of the churn and scale tests (`int work(int n)`,
/// `gcc -g -O2`), compiled into `dir/work.o`.
pub fn one_function_unit(dir: &Path) -> PathBuf {
    compile_c(
        dir,
        "work",
        "int work(int n) { return n * 3 + 1; }\n",
        &["-g", "-O2"],
    )
}

/// Assembles assembly source text with gcc (GNU as) into `dir/name.o`.
pub fn assemble(dir: &Path, name: &str, source: &str) -> PathBuf {
    let src = dir.join(format!("{name}.s"));
    std::fs::write(&src, source).expect("write source");
    let obj = dir.join(format!("{name}.o"));
    check(Command::new("gcc").arg("-c").arg(&src).arg("-o").arg(&obj)).expect("gcc -c");
    obj
}

/// Links objects (and archives, `-l` flags) natively with gcc into `out`:
/// the oracle the tests compare `lantern run` with.
pub fn link_native<S: AsRef<std::ffi::OsStr>>(inputs: &[S], out: &Path) -> Result<(), String> {
    check(Command::new("gcc").args(inputs).arg("-o").arg(out)).map(drop)
}

/// A C file with enough debug information (over 512 KiB) that `lantern
/// run` reads it in the background, and `tail` appended.
pub fn large_unit(dir: &Path, name: &str, tail: &str) -> PathBuf {
    let mut source = String::from("#include <stdio.h>\n");
    for k in 0..1900 {
        source.push_str(&format!(
            "struct rec_{k} {{ int a; double b; char name[16]; struct rec_{k} *next; }};\n\
             int big_fn_{k}(int x) {{ struct rec_{k} r = {{ x, x * 0.5, \"f{k}\", 0 }}; int t = 0; \
             for (int i = 0; i < x; i++) t += r.a * i; return t + (int)r.b; }}\n"
        ));
    }
    source.push_str(tail);
    compile_c(dir, name, &source, &["-g", "-O0"])
}

/// (function, line) of the frames of `file` in a crash report or in gdb's `bt`.
pub fn frames_in(text: &str, file: &str) -> Vec<(String, u32)> {
    text.lines()
        .filter(|l| l.starts_with('#'))
        .filter_map(|l| {
            let rest = l.split_once(" in ")?.1;
            let function = rest.split([' ', '(']).next()?.to_string();
            let location = rest.rsplit_once(" at ")?.1;
            let (path, line) = location.split_once(':')?;
            if !path.ends_with(file) {
                return None;
            }
            let line: u32 = line.split(':').next()?.trim().parse().ok()?;
            Some((function, line))
        })
        .collect()
}

/// The tail of a large unit ([`large_unit`]) whose first constructor
/// crashes: `deref` called from `first`, before `main`.
pub const EARLY_CRASH_TAIL: &str = "static int deref(int *p) { return *p + 1; }\n\
     static int *nowhere;\n\
     __attribute__((constructor)) static void first(void) { printf(\"%d\\n\", deref(nowhere)); }\n\
     int main(void) { return big_fn_7(3); }\n";

/// Asserts that the frames of `early.c` in `report` (a crash report of
/// [`EARLY_CRASH_TAIL`]'s unit, `object`) are gdb's `bt` on the natively
/// linked program: `deref`, `first`, with their lines.
pub fn assert_early_crash_report(dir: &Path, object: &Path, report: &str, what: &str) {
    let native = dir.join("early-native");
    link_native(&[object], &native).unwrap();
    let gdb = run_with_timeout(
        Command::new("gdb")
            .args(["-batch", "-nx", "-ex", "run", "-ex", "bt"])
            .arg(&native),
        Duration::from_secs(120),
    )
    .unwrap();
    let expected = frames_in(&gdb.stdout, "early.c");
    assert_eq!(
        expected.iter().map(|f| f.0.as_str()).collect::<Vec<_>>(),
        ["deref", "first"],
        "{}",
        gdb.stdout
    );
    assert_eq!(frames_in(report, "early.c"), expected, "{what}:\n{report}");
}
