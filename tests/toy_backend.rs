//! A runtime's own backend: toy programs (`toy/programs/`) compiled by
//! Cranelift with DWARF from gimli's writer (the `lantern-toy` crate, see
//! `docs/toy-backend.md`), then linked and run by `lantern run`.
//!
//! There is no native oracle for a toy language, so the expectations come
//! from the toy source itself: the line (and column) of each statement the
//! debuggers and the crash report must name is found by its text.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use support::*;

const TIMEOUT: Duration = Duration::from_secs(120);

fn program(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("toy/programs")
        .join(name)
}

/// Compiles a toy program into `dir`; returns the object and the source text.
fn compile(dir: &Path, name: &str) -> (PathBuf, String) {
    let source_path = program(name);
    let source = std::fs::read_to_string(&source_path).expect("read toy program");
    let bytes =
        lantern_toy::compile(&source, &source_path).unwrap_or_else(|e| panic!("{name}: {e}"));
    let object = dir.join(Path::new(name).with_extension("o"));
    std::fs::write(&object, bytes).expect("write object");
    (object, source)
}

/// The 1-based line and column where `needle` starts in `source` (it must
/// occur once).
fn locate(source: &str, needle: &str) -> (u32, u32) {
    let hits: Vec<(u32, u32)> = source
        .lines()
        .enumerate()
        .filter_map(|(i, line)| line.find(needle).map(|c| (i as u32 + 1, c as u32 + 1)))
        .collect();
    assert_eq!(
        hits.len(),
        1,
        "`{needle}` must occur once in the toy program"
    );
    hits[0]
}

fn line_of(source: &str, needle: &str) -> u32 {
    locate(source, needle).0
}

fn run_debugger(debugger: &str, script: &str, dir: &Path, object: &Path) -> String {
    let script_path = dir.join(format!("{debugger}.script"));
    std::fs::write(&script_path, script).expect("write script");
    let mut cmd = if debugger == "gdb" {
        let mut c = Command::new("gdb");
        c.args(["-batch", "-nx", "-x"])
            .arg(&script_path)
            .arg("--args");
        c
    } else {
        let mut c = Command::new("lldb-19");
        c.args(["-b", "-s"]).arg(&script_path).arg("--");
        c
    };
    cmd.arg(lantern()).arg("run").arg(object);
    let out = run_with_timeout(&mut cmd, TIMEOUT).unwrap_or_else(|e| panic!("{debugger}: {e}"));
    format!("{}{}", out.stdout, out.stderr)
}

/// The text between `=== name` and the next `=== ` marker line.
fn section<'a>(output: &'a str, name: &str) -> &'a str {
    let marker = format!("=== {name}\n");
    let start = output
        .find(&marker)
        .unwrap_or_else(|| panic!("no `{name}` section in:\n{output}"))
        + marker.len();
    let rest = &output[start..];
    &rest[..rest.find("=== ").unwrap_or(rest.len())]
}

/// A stopped frame as a debugger shows it: function, arguments, line.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stop {
    function: String,
    args: String,
    line: u32,
}

fn stop(function: &str, args: &str, line: u32) -> Stop {
    Stop {
        function: function.into(),
        args: args.into(),
        line,
    }
}

/// gdb's frame lines: `#N  [0xADDR in ]FUNC (ARGS) at FILE:LINE`, for frames
/// in `file`.
fn gdb_frames(text: &str, file: &str) -> Vec<Stop> {
    text.lines()
        .filter(|l| l.starts_with('#'))
        .filter_map(|l| {
            let rest = l.split_once(' ')?.1.trim_start();
            let rest = match rest.split_once(" in ") {
                Some((addr, tail)) if addr.starts_with("0x") => tail,
                _ => rest,
            };
            let (call, location) = rest.rsplit_once(" at ")?;
            let (path, line) = location.rsplit_once(':')?;
            if !path.ends_with(&format!("/{file}")) {
                return None;
            }
            let (function, args) = call.split_once(" (")?;
            Some(stop(
                function,
                args.strip_suffix(')')?,
                line.trim().parse().ok()?,
            ))
        })
        .collect()
}

/// lldb's frame lines: `frame #N: 0xADDR JIT(0x...)`FUNC(ARGS) at FILE:LINE:COL`.
fn lldb_frames(text: &str, file: &str) -> Vec<Stop> {
    text.lines()
        .filter_map(|l| l.trim_start().strip_prefix("* ").or(Some(l.trim_start())))
        .filter(|l| l.starts_with("frame #"))
        .filter_map(|l| {
            let rest = l.split_once('`')?.1;
            let (call, location) = rest.rsplit_once(" at ")?;
            let mut parts = location.split(':');
            if parts.next()? != file {
                return None;
            }
            let line = parts.next()?.parse().ok()?;
            let (function, args) = match call.split_once('(') {
                Some((f, a)) => (f, a.strip_suffix(')')?),
                None => (call, ""),
            };
            Some(stop(function, args, line))
        })
        .collect()
}

#[test]
fn toy_programs_run_under_lantern() {
    let dir = scratch("toy-run");
    let (object, _) = compile(&dir, "squares.toy");
    let out = run_with_timeout(Command::new(lantern()).arg("run").arg(&object), TIMEOUT)
        .expect("lantern run");
    // 3*3 + 4*4, 10!, a negative number, the `if` branch taken; main returns 7.
    assert_eq!(
        (out.stdout.as_str(), out.status.as_str()),
        ("25\n3628800\n-42\n1\n", "exit 7"),
        "stderr:\n{}",
        out.stderr
    );

    // The debug object Lantern registers carries the toy DWARF, well formed.
    let Some(dwarfdump) = require_tool(&["llvm-dwarfdump-19"], "llvm-dwarfdump-19") else {
        return;
    };
    let debug_dir = dir.join("debug-objects");
    let made = run_with_timeout(
        Command::new(lantern())
            .arg("debug-object")
            .arg(&object)
            .arg("--out")
            .arg(&debug_dir),
        TIMEOUT,
    )
    .expect("lantern debug-object");
    assert_eq!(made.status, "exit 0", "{}", made.stderr);
    let objects: Vec<PathBuf> = std::fs::read_dir(&debug_dir)
        .expect("debug objects written")
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(objects.len(), 1, "one debug object: {objects:?}");
    let verify = run_with_timeout(
        Command::new(&dwarfdump).arg("--verify").arg(&objects[0]),
        TIMEOUT,
    )
    .expect("llvm-dwarfdump");
    assert_eq!(
        verify.status, "exit 0",
        "llvm-dwarfdump --verify:\n{}{}",
        verify.stdout, verify.stderr
    );
    let lines = run_with_timeout(
        Command::new(&dwarfdump)
            .arg("--debug-line")
            .arg(&objects[0]),
        TIMEOUT,
    )
    .expect("llvm-dwarfdump");
    assert!(
        lines.stdout.contains("squares.toy"),
        "the line table names the toy file:\n{}",
        lines.stdout
    );
}

#[test]
fn a_crash_in_toy_code_is_reported_at_its_toy_line() {
    let dir = scratch("toy-crash");
    let (object, source) = compile(&dir, "crash.toy");
    let out = run_with_timeout(Command::new(lantern()).arg("run").arg(&object), TIMEOUT)
        .expect("lantern run");
    assert_eq!(out.stdout, "0\n");
    assert_eq!(out.status, "signal 11", "stderr:\n{}", out.stderr);
    assert!(
        out.stderr
            .starts_with("lantern: SIGSEGV (invalid memory reference) at address 0x0\n"),
        "{}",
        out.stderr
    );
    // Each toy frame at the call it was in, by line and column.
    let path = program("crash.toy").display().to_string();
    let expected: Vec<String> = [
        ("deref", "peek(address)"),
        ("middle", "deref(p)"),
        ("main", "middle(zero)"),
    ]
    .iter()
    .map(|(function, call)| {
        let (line, column) = locate(&source, call);
        format!("in {function} at {path}:{line}:{column}")
    })
    .collect();
    let frames: Vec<String> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with('#'))
        .take(3)
        .map(|l| {
            l.split_once(" in ")
                .map_or(l.to_string(), |(_, f)| format!("in {f}"))
        })
        .collect();
    assert_eq!(frames, expected, "crash report:\n{}", out.stderr);
}

#[test]
fn gdb_breaks_backtraces_and_steps_in_toy_code() {
    if require_tool(&["gdb"], "gdb").is_none() {
        return;
    }
    let dir = scratch("toy-gdb");
    let (object, source) = compile(&dir, "squares.toy");
    let l = |needle| line_of(&source, needle);
    let script = format!(
        "set pagination off\nset confirm off\nset width 0\nset breakpoint pending on\n\
         break square\nbreak squares.toy:{n_minus}\nrun\n\
         echo === stop\\n\nframe\n\
         echo === bt\\n\nbt\n\
         echo === args\\n\ninfo args\nprint x * 2\n\
         echo === steps\\n\n\
         step\nframe\nstep\nframe\nstep\nframe\nstep\nframe\nstep\nframe\nstep\nframe\n\
         echo === factorial\\n\ncontinue\nframe\nprint result\nprint n\n\
         echo === next\\n\nnext\nframe\nnext\nframe\n\
         echo === finish\\n\ndelete\nfinish\n\
         echo === end\\n\nkill\n",
        n_minus = l("n = n - 1;"),
    );
    let output = run_debugger("gdb", &script, &dir, &object);
    let file = "squares.toy";

    assert_eq!(
        gdb_frames(section(&output, "stop"), file),
        [stop("square", "x=3", l("let y = x * x;"))],
        "break by name stops after the prologue, at the first toy line:\n{output}"
    );
    assert_eq!(
        gdb_frames(section(&output, "bt"), file),
        [
            stop("square", "x=3", l("let y = x * x;")),
            stop("sum_squares", "a=3, b=4", l("let s = square(a)")),
            stop("main", "", l("let total = sum_squares(3, 4);")),
        ],
        "bt:\n{output}"
    );
    let args = section(&output, "args");
    assert!(
        args.contains("x = 3\n") && args.contains("$1 = 6\n"),
        "info args and an expression on the parameter:\n{output}"
    );
    // `step` goes from line to line and into toy calls (the second square()
    // hits its breakpoint); out of `sum_squares` it stops where the rest of
    // the caller's statement starts (storing the result in `total`), then
    // steps over `print`, whose runtime function has no line table.
    assert_eq!(
        gdb_frames(section(&output, "steps"), file),
        [
            stop("square", "x=3", l("return y;")),
            stop("square", "x=4", l("let y = x * x;")),
            stop("square", "x=4", l("return y;")),
            stop("sum_squares", "a=3, b=4", l("return s;")),
            stop("main", "", l("let total = sum_squares(3, 4);")),
            stop("main", "", l("print(total);")),
        ],
        "steps:\n{output}"
    );
    let factorial = section(&output, "factorial");
    assert_eq!(
        gdb_frames(factorial, file),
        [stop("factorial", "n=10", l("n = n - 1;"))],
        "break by file:line:\n{output}"
    );
    assert!(
        factorial.contains("$2 = 10\n") && factorial.contains("$3 = 10\n"),
        "locals of the loop:\n{output}"
    );
    assert_eq!(
        gdb_frames(section(&output, "next"), file),
        [
            stop("factorial", "n=9", l("while n > 1")),
            stop("factorial", "n=9", l("result = result * n;")),
        ],
        "next around the loop:\n{output}"
    );
    // The subprogram's type gives `finish` the returned value: 10!.
    assert!(
        section(&output, "finish").contains("Value returned is $4 = 3628800\n"),
        "finish:\n{output}"
    );
    assert!(!output.contains("??"), "a `??` frame:\n{output}");
}

#[test]
fn gdb_stops_at_the_toy_line_of_a_crash() {
    if require_tool(&["gdb"], "gdb").is_none() {
        return;
    }
    let dir = scratch("toy-gdb-crash");
    let (object, source) = compile(&dir, "crash.toy");
    let script = "set pagination off\nset confirm off\nset width 0\nrun\necho === bt\\n\nbt\necho === end\\n\nkill\n";
    let output = run_debugger("gdb", script, &dir, &object);
    assert!(
        output.contains("Program received signal SIGSEGV"),
        "{output}"
    );
    assert_eq!(
        gdb_frames(section(&output, "bt"), "crash.toy"),
        [
            stop("deref", "address=0", line_of(&source, "peek(address)")),
            stop("middle", "p=0", line_of(&source, "deref(p)")),
            stop("main", "", line_of(&source, "middle(zero)")),
        ],
        "{output}"
    );
}

#[test]
fn lldb_breaks_backtraces_and_steps_in_toy_code() {
    if require_tool(&["lldb-19"], "lldb-19").is_none() {
        return;
    }
    let dir = scratch("toy-lldb");
    let (object, source) = compile(&dir, "squares.toy");
    let l = |needle| line_of(&source, needle);
    // lldb echoes each command, which splits the session into sections.
    let script = format!(
        "settings set plugin.jit-loader.gdb.enable on\nsettings set use-color false\n\
         settings set stop-line-count-before 0\nsettings set stop-line-count-after 0\n\
         breakpoint set --name square\n\
         breakpoint set --file squares.toy --line {n_minus}\n\
         process launch\n\
         script print('=== bt')\nbt\n\
         script print('=== vars')\nframe variable\nexpression x * 2\n\
         script print('=== steps')\n\
         thread step-in\nthread step-in\nthread step-in\nthread step-in\n\
         thread step-in\nthread step-in\nthread step-in\n\
         script print('=== factorial')\nprocess continue\nframe variable\n\
         script print('=== next')\nthread step-over\nthread step-over\n\
         script print('=== end')\nkill\n",
        n_minus = l("n = n - 1;"),
    );
    let output = run_debugger("lldb", &script, &dir, &object);
    let file = "squares.toy";
    assert_eq!(
        lldb_frames(section(&output, "bt"), file),
        [
            stop("square", "x=3", l("let y = x * x;")),
            stop("sum_squares", "a=3, b=4", l("let s = square(a)")),
            stop("main", "", l("let total = sum_squares(3, 4);")),
        ],
        "bt:\n{output}"
    );
    let vars = section(&output, "vars");
    assert!(
        vars.contains(" x = 3\n") && vars.contains(" = 6\n"),
        "frame variable and an expression:\n{output}"
    );
    // lldb's step-in also stops where a call returns in the middle of its
    // caller's line (columns differ), then goes on as gdb does.
    let sum_line = l("let s = square(a)");
    assert_eq!(
        lldb_frames(section(&output, "steps"), file),
        [
            stop("square", "x=3", l("return y;")),
            stop("sum_squares", "a=3, b=4", sum_line),
            stop("square", "x=4", l("let y = x * x;")),
            stop("square", "x=4", l("return y;")),
            stop("sum_squares", "a=3, b=4", sum_line),
            stop("sum_squares", "a=3, b=4", l("return s;")),
            stop("main", "", l("let total = sum_squares(3, 4);")),
        ],
        "steps:\n{output}"
    );
    let factorial = section(&output, "factorial");
    assert_eq!(
        lldb_frames(factorial, file),
        [stop("factorial", "n=10", l("n = n - 1;"))],
        "break by file:line:\n{output}"
    );
    assert!(
        factorial.contains(" n = 10\n") && factorial.contains(" result = 10\n"),
        "locals of the loop:\n{output}"
    );
    assert_eq!(
        lldb_frames(section(&output, "next"), file),
        [
            stop("factorial", "n=9", l("while n > 1")),
            stop("factorial", "n=9", l("result = result * n;")),
        ],
        "step-over around the loop:\n{output}"
    );
}
