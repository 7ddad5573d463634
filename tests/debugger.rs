//! gdb and lldb on JIT'd programs, compared with the same session on the
//! natively linked program (the oracle): breakpoints by name and file:line in
//! a later object, backtraces, finish, stepping, locals, globals, structs,
//! arrays, ptype, info symbol, list, watchpoints. Also: every debug object the
//! test programs produce passes `llvm-dwarfdump-19 --verify` and has no
//! section at address 0.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use support::*;

const TIMEOUT: Duration = Duration::from_secs(120);

struct Build {
    objects: Vec<PathBuf>,
    native: PathBuf,
}

fn program_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/debug-programs")
        .join(name)
}

/// The C++ compiler of a C compiler's toolchain.
fn cxx_compiler(compiler: &str) -> &'static str {
    if compiler.starts_with("clang") {
        "clang++-19"
    } else {
        "g++"
    }
}

/// Compiles a debug program's files (sorted; `.cpp` with the toolchain's C++
/// compiler) and links the native oracle.
fn build(name: &str, compiler: &str, flags: &[&str], tag: &str) -> Build {
    let dir = scratch(&format!("debugger-{name}-{tag}"));
    let src_dir = program_dir(name);
    let mut sources: Vec<PathBuf> = std::fs::read_dir(&src_dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "c" || e == "cpp"))
        .collect();
    sources.sort();
    let is_cxx = |p: &Path| p.extension().is_some_and(|e| e == "cpp");
    let driver = if sources.iter().any(|s| is_cxx(s)) {
        cxx_compiler(compiler)
    } else {
        compiler
    };
    let objects: Vec<PathBuf> = sources
        .iter()
        .map(|src| {
            let obj = dir.join(format!("{}.o", src.file_stem().unwrap().to_string_lossy()));
            // Compile from the source directory with a relative name, as a user would.
            check(
                Command::new(if is_cxx(src) {
                    cxx_compiler(compiler)
                } else {
                    compiler
                })
                .args(flags)
                .arg("-c")
                .arg(src.file_name().unwrap())
                .arg("-o")
                .arg(&obj)
                .current_dir(&src_dir),
            )
            .unwrap();
            obj
        })
        .collect();
    let native = dir.join(name);
    check(Command::new(driver).args(&objects).arg("-o").arg(&native)).unwrap();
    Build { objects, native }
}

fn replace_hex(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(pos) = rest.find("0x") {
        out.push_str(&rest[..pos]);
        let tail = &rest[pos + 2..];
        let digits = tail.chars().take_while(|c| c.is_ascii_hexdigit()).count();
        out.push_str(if digits > 0 { "ADDR" } else { "0x" });
        rest = &tail[digits..];
    }
    out.push_str(rest);
    out
}

/// lldb's answer to `breakpoint set`: "Breakpoint 4: where = ..." natively,
/// "Breakpoint 4: no locations (pending)." before the JIT'd code is there.
fn is_lldb_breakpoint_set(line: &str) -> bool {
    line.strip_prefix("Breakpoint ")
        .and_then(|rest| rest.split_once(": "))
        .is_some_and(|(number, _)| !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()))
}

/// "Breakpoint 1.2, f (...)" -> "Breakpoint 1, f (...)": with several
/// locations (an inlined and an out-of-line copy), gdb numbers them by
/// address, and the JIT'd layout orders sections differently.
fn drop_location_number(line: &str) -> String {
    if let Some(rest) = line.strip_prefix("Breakpoint ") {
        if let Some((number, tail)) = rest.split_once(", ") {
            if let Some((major, minor)) = number.split_once('.') {
                if !major.is_empty()
                    && major.bytes().all(|b| b.is_ascii_digit())
                    && minor.bytes().all(|b| b.is_ascii_digit())
                {
                    return format!("Breakpoint {major}, {tail}");
                }
            }
        }
    }
    line.to_string()
}

/// What users see, minus what legitimately differs: addresses, process ids,
/// breakpoint-setting chatter (pending vs resolved), the frames below main.
fn normalize(output: &str, debugger: &str) -> String {
    let mut lines = Vec::new();
    let mut below_main = false;
    for raw in output.lines() {
        let line = raw.trim_end();
        let is_frame = if debugger == "gdb" {
            line.starts_with('#')
        } else {
            line.trim_start().starts_with("frame #") || line.trim_start().starts_with("* frame #")
        };
        if !is_frame {
            below_main = false;
        } else if below_main {
            continue;
        }
        if is_frame
            && (line.contains(" main (") || line.contains("`main at ") || line.contains("`main("))
        {
            below_main = true;
        }
        let skip = [
            "[Thread debugging",
            "Using host libthread_db",
            "[Inferior ",
            "Function \"",
            "Make breakpoint pending",
            "warning:",
            // The rest of gdb's warning about the host binary's .debug_gdb_scripts.
            "of file ",
            "Use `info auto-load",
            // Pending-breakpoint chatter: the JIT'd file is not loaded yet at `break`.
            "No source file named",
            "Process ",
            "(lldb) ",
            "Current executable set to",
            // lldb's pending-breakpoint chatter.
            "WARNING:  Unable to resolve breakpoint",
            // Thread events: Lantern's own threads are not the native program's.
            "[New Thread ",
            "[Switching to Thread ",
        ];
        if skip.iter().any(|s| line.trim_start().starts_with(s)) {
            continue;
        }
        if debugger == "lldb"
            && (line.contains(" location added to breakpoint ")
                || line.contains(" locations added to breakpoint ")
                || is_lldb_breakpoint_set(line))
        {
            continue;
        }
        if debugger == "gdb"
            && line.starts_with("Breakpoint ")
            && (line.contains(" at 0x") || line.contains("pending."))
        {
            continue;
        }
        if debugger == "gdb" && line.starts_with("[Thread ") && line.ends_with(" exited]") {
            continue;
        }
        let mut line = replace_hex(line);
        if debugger == "gdb" {
            line = drop_location_number(&line);
            // `Thread 2 "prog" hit`: the thread's name is the program's.
            if let (true, Some(open)) = (line.starts_with("Thread "), line.find(" \"")) {
                if let Some(close) = line[open + 2..].find('"') {
                    line.replace_range(open + 2..open + 2 + close, "PROG");
                }
            }
        }
        if let Some(pos) = line.find(" in section ") {
            // "f in section .text" (native) vs "f in section .text of <jit object>".
            if let Some(of) = line[pos..].find(" of ") {
                line.truncate(pos + of);
            }
            // A static linker merges .text.unlikely, .text.startup, ... into
            // .text; the debug object keeps the input sections' names.
            if line[pos..].starts_with(" in section .text.") {
                line.truncate(pos + " in section .text".len());
            }
        }
        if debugger == "lldb" {
            // Module prefixes: "prog`f" (native) vs "JIT(ADDR)`f".
            line = line
                .split(' ')
                .map(|w| {
                    w.rsplit_once('`')
                        .map_or(w.to_string(), |(_, f)| f.to_string())
                })
                .collect::<Vec<_>>()
                .join(" ");
            if let Some(pos) = line.find("name = '") {
                let end = line[pos + 8..]
                    .find('\'')
                    .map_or(line.len(), |e| pos + 8 + e);
                line.replace_range(pos..=end.min(line.len() - 1), "name = PROG");
            }
        }
        lines.push(line);
    }
    lines.join("\n")
}

fn run_debugger(debugger: &str, script: &Path, program: &[&Path]) -> String {
    let mut cmd = if debugger == "gdb" {
        let mut c = Command::new("gdb");
        c.args(["-batch", "-nx", "-x"]).arg(script).arg("--args");
        c
    } else {
        let mut c = Command::new("lldb-19");
        c.args(["-b", "-s"]).arg(script).arg("--");
        c
    };
    cmd.args(program);
    let out = run_with_timeout(&mut cmd, TIMEOUT).unwrap_or_else(|e| panic!("{debugger}: {e}"));
    format!("{}{}", out.stdout, out.stderr)
}

/// Asserts that two normalized sessions are the same, showing the first differences.
fn assert_same_session(tag: &str, debugger: &str, native: &str, jit: &str, raw_jit: &str) {
    assert!(
        !jit.contains("??"),
        "[{tag}] a `??` frame under lantern:\n{raw_jit}"
    );
    if native == jit {
        return;
    }
    let (n, j): (Vec<&str>, Vec<&str>) = (native.lines().collect(), jit.lines().collect());
    let diff: Vec<String> = (0..n.len().max(j.len()))
        .filter(|&i| n.get(i) != j.get(i))
        .take(8)
        .map(|i| {
            format!(
                "  line {i}: native: {}\n  line {i}: lantern: {}",
                n.get(i).unwrap_or(&"<missing>"),
                j.get(i).unwrap_or(&"<missing>")
            )
        })
        .collect();
    panic!(
        "[{tag}] {debugger} sessions differ:\n{}\n--- native ---\n{native}\n--- lantern ---\n{jit}",
        diff.join("\n")
    );
}

/// How `lantern run` gets the program's objects.
#[derive(Clone, Copy, PartialEq)]
enum Units {
    /// All objects on one command line: one unit, one debug object.
    One,
    /// `--separate-units` with the objects in reverse order (definitions before
    /// uses): one registration per object, as a REPL adds code.
    PerObjectReversed,
}

/// Runs `script` under `debugger` on the native program and on `lantern run`,
/// and asserts the normalized sessions are the same; returns the JIT session.
fn compare(
    debugger: &str,
    build: &Build,
    script: &str,
    tag: &str,
    must_contain: &[&str],
    units: Units,
) -> String {
    let dir = build.native.parent().unwrap();
    let script_path = dir.join(format!("{debugger}-{tag}.script"));
    std::fs::write(&script_path, script).unwrap();
    let native = run_debugger(debugger, &script_path, &[&build.native]);
    let lantern = lantern();
    let mut jit_args: Vec<&Path> = vec![&lantern, Path::new("run")];
    let mut objects: Vec<&Path> = build.objects.iter().map(PathBuf::as_path).collect();
    if units == Units::PerObjectReversed {
        jit_args.push(Path::new("--separate-units"));
        objects.reverse();
    }
    jit_args.extend(objects);
    let jit = run_debugger(debugger, &script_path, &jit_args);
    let (n, j) = (normalize(&native, debugger), normalize(&jit, debugger));
    for needle in must_contain {
        assert!(
            n.contains(needle),
            "[{tag}] native {debugger} session lacks {needle:?}:\n{native}"
        );
    }
    assert_same_session(tag, debugger, &n, &j, &jit);
    jit
}

/// A gdb script that runs each command through Python, so that a command that
/// fails (a value optimized out at -O2) prints its error and the session goes
/// on, the same way for the native and the JIT'd program.
fn gdb_script(commands: &[&str]) -> String {
    let mut script = String::from(
        "set pagination off\nset confirm off\nset width 0\nset breakpoint pending on\npython\nimport gdb\nfor _c in [\n",
    );
    for command in commands {
        script.push_str(&format!("    {command:?},\n"));
    }
    script.push_str(
        "]:\n    try:\n        gdb.execute(_c)\n    except gdb.error as _e:\n        print('error: %s' % _e)\nend\n",
    );
    script
}

/// Breakpoints in both objects (by name and by file:line), backtraces, finish,
/// ten next/step, locals, globals, a struct, an array, ptype, info symbol,
/// list, a watchpoint.
const GDB_COMMANDS: &[&str] = &[
    "break shapes.c:18",
    "break scaled_sides",
    "break accumulate",
    "break main.c:38",
    "run",
    "bt",
    "info locals",
    "print *s",
    "print s->sides",
    "delete 1",
    "continue",
    "bt",
    "finish",
    "next",
    "next",
    "next",
    "step",
    "bt",
    "next",
    "next",
    "next",
    "next",
    "next",
    "next",
    "bt",
    "info locals",
    "print counter",
    "print history",
    "print shapes[1]",
    "print shapes",
    "ptype struct shape",
    "ptype scaled_sides",
    "info symbol perimeter",
    "info symbol accumulate",
    "list scaled_sides",
    "delete 2 3",
    "watch counter",
    "continue",
    "continue",
    "delete 5",
    "continue",
    "bt",
    "info locals",
    "continue",
];

const LLDB_SCRIPT: &str = "\
settings set plugin.jit-loader.gdb.enable on
settings set use-color false
settings set stop-line-count-before 0
settings set stop-line-count-after 0
breakpoint set --file shapes.c --line 18
breakpoint set --name scaled_sides
breakpoint set --name accumulate
breakpoint set --file main.c --line 38
process launch
thread backtrace
frame variable
frame variable *s
breakpoint delete 1
process continue
thread backtrace
thread step-out
thread step-over
thread step-over
thread step-over
thread step-in
thread backtrace
thread step-over
thread step-over
thread step-over
thread step-over
thread step-over
thread step-over
thread backtrace
frame variable sides factor
target variable counter
target variable history
target variable shapes
source list -n scaled_sides
breakpoint delete 2 3
watchpoint set variable counter
process continue
process continue
watchpoint delete
process continue
thread backtrace
frame variable
process continue
";

fn configs() -> Vec<(String, Vec<&'static str>, String)> {
    let mut configs = Vec::new();
    for compiler in ["gcc", "clang-19"] {
        for opt in ["-O0", "-O2"] {
            for dwarf in ["-gdwarf-4", "-gdwarf-5"] {
                let tag = format!("{compiler}{opt}{dwarf}");
                configs.push((compiler.to_string(), vec![opt, dwarf], tag));
            }
        }
    }
    configs
}

fn have(tools: &[(&[&str], &str)]) -> bool {
    tools
        .iter()
        .all(|(names, what)| require_tool(names, what).is_some())
}

/// What the native sessions must show at -O0, so that a comparison of two
/// broken sessions cannot pass.
const GDB_MUST_O0: &[&str] = &[
    "Breakpoint 1, perimeter (",
    "Breakpoint 2, scaled_sides (",
    "Breakpoint 3, accumulate (",
    "Breakpoint 4, main () at main.c:38",
    "#1  ADDR in main () at main.c:",
    "Value returned is",
    "Hardware watchpoint",
    "Old value = ",
    "perimeter in section .text",
    "total = 15.5",
];
const GDB_MUST_O2: &[&str] = &[
    "scaled_sides (",
    "main () at main.c:",
    "perimeter in section .text",
];

#[test]
fn gdb_sessions_match_native() {
    if !have(&[
        (&["gdb"], "gdb"),
        (&["gcc"], "gcc"),
        (&["clang-19"], "clang-19"),
    ]) {
        return;
    }
    let script = gdb_script(GDB_COMMANDS);
    for (compiler, flags, tag) in configs() {
        let build = build("shapes", &compiler, &flags, &tag);
        let must = if flags.contains(&"-O0") {
            GDB_MUST_O0
        } else {
            GDB_MUST_O2
        };
        compare("gdb", &build, &script, &tag, must, Units::One);
    }
}

/// One debug object per unit: breakpoints resolve in the first and in a later
/// registered object.
#[test]
fn gdb_sessions_match_native_with_separate_units() {
    if !have(&[
        (&["gdb"], "gdb"),
        (&["gcc"], "gcc"),
        (&["clang-19"], "clang-19"),
    ]) {
        return;
    }
    let script = gdb_script(GDB_COMMANDS);
    for (compiler, opt) in [("gcc", "-O0"), ("clang-19", "-O2")] {
        let tag = format!("units-{compiler}{opt}");
        let build = build("shapes", compiler, &[opt, "-gdwarf-5"], &tag);
        let must = if opt == "-O0" {
            GDB_MUST_O0
        } else {
            GDB_MUST_O2
        };
        compare("gdb", &build, &script, &tag, must, Units::PerObjectReversed);
    }
}

const LLDB_MUST_O0: &[&str] = &[
    "stop reason = breakpoint 1.1",
    "stop reason = breakpoint 3.1",
    "stop reason = watchpoint",
    "perimeter(s=",
    "scaled_sides(sides=",
    "main at main.c:",
    "Return value:",
    "(int) counter = ",
];

#[test]
fn lldb_sessions_match_native() {
    if !have(&[
        (&["lldb-19"], "lldb-19"),
        (&["gcc"], "gcc"),
        (&["clang-19"], "clang-19"),
    ]) {
        return;
    }
    for (compiler, flags, tag) in configs() {
        let build = build("shapes", &compiler, &flags, &format!("lldb-{tag}"));
        let must = if flags.contains(&"-O0") {
            LLDB_MUST_O0
        } else {
            &["stop reason = breakpoint", "main"][..]
        };
        compare("lldb", &build, LLDB_SCRIPT, &tag, must, Units::One);
    }
}

#[test]
fn lldb_sessions_match_native_with_separate_units() {
    if !have(&[
        (&["lldb-19"], "lldb-19"),
        (&["gcc"], "gcc"),
        (&["clang-19"], "clang-19"),
    ]) {
        return;
    }
    for (compiler, opt) in [("gcc", "-O0"), ("clang-19", "-O2")] {
        let tag = format!("lldb-units-{compiler}{opt}");
        let build = build("shapes", compiler, &[opt, "-gdwarf-4"], &tag);
        let must = if opt == "-O0" {
            LLDB_MUST_O0
        } else {
            &["stop reason = breakpoint", "main"][..]
        };
        compare(
            "lldb",
            &build,
            LLDB_SCRIPT,
            &tag,
            must,
            Units::PerObjectReversed,
        );
    }
}

/// C++: a breakpoint in a static constructor (before main), virtual calls,
/// `print *this`, `ptype` of a class, `catch throw` and the frame that threw.
const GDB_CXX_COMMANDS: &[&str] = &[
    "break Registry::Registry",
    "break Rect::area",
    "catch throw",
    "run",
    // Only the constructor's frame: below it the native loader and Lantern differ.
    "bt 1",
    "continue",
    "bt",
    "print *this",
    "print w",
    "ptype Rect",
    "finish",
    "continue",
    "delete 2",
    "continue",
    "bt 2",
    "up",
    "info args",
    "info symbol $pc",
    "continue",
];

const LLDB_CXX_SCRIPT: &str = "\
settings set plugin.jit-loader.gdb.enable on
settings set use-color false
settings set stop-line-count-before 0
settings set stop-line-count-after 0
breakpoint set --file registry.cpp --line 10
breakpoint set --name Rect::area
breakpoint set -E c++
process launch
thread backtrace -c 1
process continue
thread backtrace -c 2
frame variable *this
thread step-out
process continue
breakpoint delete 2
process continue
thread backtrace -c 2
frame select 1
frame variable
process continue
";

/// Both debuggers and both C++ compilers (the C++ sessions need them all).
fn have_cxx_debuggers() -> bool {
    have(&[
        (&["gdb"], "gdb"),
        (&["lldb-19"], "lldb-19"),
        (&["g++"], "g++"),
        (&["clang++-19"], "clang++-19"),
    ])
}

#[test]
fn cxx_gdb_and_lldb_sessions_match_native() {
    if !have_cxx_debuggers() {
        return;
    }
    let gdb = gdb_script(GDB_CXX_COMMANDS);
    for compiler in ["gcc", "clang-19"] {
        for opt in ["-O0", "-O2"] {
            let tag = format!("cxx-{compiler}{opt}");
            let build = build("cxx", compiler, &[opt, "-g"], &tag);
            let (gdb_must, lldb_must): (&[&str], &[&str]) = if opt == "-O0" {
                (
                    &[
                        "Breakpoint 1, Registry::Registry (this=ADDR <registry>) at registry.cpp:",
                        "Breakpoint 2, Rect::area (this=ADDR) at main.cpp:",
                        "in total_area (shapes=std::vector of length 2",
                        "w = 2, h = 3}",
                        "Catchpoint 3 (exception thrown)",
                        "in checked_div (a=26, b=0) at registry.cpp:",
                        "Value returned is",
                    ],
                    &[
                        "stop reason = breakpoint 1.1",
                        "Registry::Registry(this=",
                        "Rect::area(this=",
                        "stop reason = breakpoint 3.1",
                        "checked_div(a=26, b=0) at registry.cpp:",
                    ],
                )
            } else {
                (
                    &["Catchpoint 3 (exception thrown)", "checked_div"],
                    &["stop reason = breakpoint"],
                )
            };
            compare("gdb", &build, &gdb, &tag, gdb_must, Units::One);
            compare(
                "lldb",
                &build,
                LLDB_CXX_SCRIPT,
                &format!("lldb-{tag}"),
                lldb_must,
                Units::One,
            );
        }
    }
}

/// Thread-local variables of every kind, printed in the main thread, in a
/// second thread, and in the main thread again while the second one is
/// stopped: each thread sees its own copy.
const GDB_TLS_COMMANDS: &[&str] = &[
    // Thread events print asynchronously, interleaved with the program's output.
    "set print thread-events off",
    "break main.cpp:26",
    "break bump_c_counter",
    "run",
    "print counter",
    "print label",
    "print ns::depth",
    "print hits",
    "print calls",
    "print c_counter",
    "continue",
    "print calls",
    "print counter",
    "continue",
    "print c_counter",
    "print counter",
    "continue",
    "print counter",
    "print label",
    "print calls",
    "print hits",
    "print ns::depth",
    "thread apply 1 -q print counter",
    "thread apply 1 -q print ns::depth",
    "continue",
    "print c_counter",
    "continue",
];

/// At -O2 `touch` is inlined: stops in the C object's function only. Its
/// static `calls` is left out: out of scope there natively ("No symbol"),
/// while Lantern's TLS image names it for gdb (documented), so gdb finds it
/// without a type.
const GDB_TLS_COMMANDS_O2: &[&str] = &[
    "set print thread-events off",
    "break bump_c_counter",
    "run",
    "print counter",
    "print hits",
    "print c_counter",
    "print 'ns::depth'",
    "continue",
    "print counter",
    "print c_counter",
    "thread apply 1 -q print counter",
    "continue",
];

/// lldb: the same values by `print` (expression evaluation finds them in
/// the TLS image's DWARF). Not the function-local static: lldb finds the
/// JIT'd one, without a location (documented).
const LLDB_TLS_SCRIPT: &str = "\
settings set plugin.jit-loader.gdb.enable on
settings set use-color false
breakpoint set --file main.cpp --line 26
breakpoint set --name bump_c_counter
process launch
print counter
print ns::depth
print hits
print c_counter
process continue
print counter
process continue
print c_counter
print counter
process continue
print counter
print hits
print ns::depth
process continue
print c_counter
process continue
";

const LLDB_TLS_SCRIPT_O2: &str = "\
settings set plugin.jit-loader.gdb.enable on
settings set use-color false
breakpoint set --name bump_c_counter
process launch
print counter
print hits
print c_counter
process continue
print counter
print c_counter
process continue
";

#[test]
fn thread_locals_print_as_native_in_gdb_and_lldb() {
    if !have_cxx_debuggers() {
        return;
    }
    for compiler in ["gcc", "clang-19"] {
        for opt in ["-O0", "-O2"] {
            let gdb = gdb_script(if opt == "-O0" {
                GDB_TLS_COMMANDS
            } else {
                GDB_TLS_COMMANDS_O2
            });
            // Default (PIE: initial and local exec) and -fPIC (general dynamic).
            for model in ["", "-fPIC"] {
                let tag = format!("tls-{compiler}{opt}{model}");
                let mut flags = vec![opt, "-g"];
                flags.extend((!model.is_empty()).then_some(model));
                let build = build("tls", compiler, &flags, &tag);
                let must: &[&str] = if opt == "-O0" {
                    &[
                        "$1 = 8",
                        "$3 = 10",
                        "$4 = 4",
                        "$5 = 1",
                        "$6 = 40",
                        "$11 = 107",
                        "$15 = 1000",
                        "$16 = 10",
                        "$17 = 30",
                    ]
                } else {
                    &["Breakpoint 1, bump_c_counter", "$1 = 10", "$5 = 107"]
                };
                compare("gdb", &build, &gdb, &tag, must, Units::One);
                let (lldb, lldb_must): (&str, &[&str]) = if opt == "-O0" {
                    (
                        LLDB_TLS_SCRIPT,
                        &["(int) 8", "(long) 10", "(int) 107", "(long) 1000"],
                    )
                } else {
                    (LLDB_TLS_SCRIPT_O2, &["(int) 10", "(int) 107"])
                };
                compare(
                    "lldb",
                    &build,
                    lldb,
                    &format!("lldb-{tag}"),
                    lldb_must,
                    Units::One,
                );
            }
        }
    }
}

/// Starts `program`, waits for its "ready" line, attaches `debugger` with
/// `script`, and returns the debugger's session and the program's own output.
fn attach_session(debugger: &str, script: &Path, program: &[&Path]) -> (String, String) {
    use std::io::{BufRead, BufReader, Read};
    use std::process::Stdio;
    let mut child = Command::new(program[0])
        .args(&program[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the program");
    let mut stdout = BufReader::new(child.stdout.take().expect("piped"));
    let mut ready = String::new();
    stdout.read_line(&mut ready).expect("read the ready line");
    assert_eq!(ready, "ready\n", "{program:?} did not start");
    let pid = child.id().to_string();
    let mut cmd = if debugger == "gdb" {
        let mut c = Command::new("gdb");
        c.args(["-batch", "-nx", "-p", &pid, "-x"]).arg(script);
        c
    } else {
        let mut c = Command::new("lldb-19");
        c.args(["-b", "-p", &pid, "-s"]).arg(script);
        c
    };
    let session = run_with_timeout(&mut cmd, TIMEOUT);
    if session.is_err() {
        let _ = child.kill();
    }
    let session = session.unwrap_or_else(|e| panic!("{debugger}: {e}"));
    let mut rest = String::new();
    let _ = stdout.read_to_string(&mut rest);
    let _ = child.wait();
    (format!("{}{}", session.stdout, session.stderr), rest)
}

/// Lines of an attach session that differ by nature between two processes:
/// where the program was sleeping when the debugger came in.
fn normalize_attach(session: &str, debugger: &str) -> String {
    let mut kept = Vec::new();
    let mut in_attach_stop = true;
    let normalized = normalize(session, debugger);
    for line in normalized.lines() {
        // Everything up to the first breakpoint hit is the attach itself: which
        // libc frame the program slept in, libraries read.
        if line.contains("Breakpoint 1, ") || line.contains("stop reason = breakpoint 1.1") {
            in_attach_stop = false;
        }
        if in_attach_stop || line.starts_with("[Inferior") || line.contains("Detaching from") {
            continue;
        }
        kept.push(line);
    }
    kept.join("\n")
}

/// gdb and lldb attached to a running JIT'd program find its registered
/// objects by walking the list, and a breakpoint in them is hit.
#[test]
fn attach_after_start_matches_native() {
    if !have(&[
        (&["gdb"], "gdb"),
        (&["lldb-19"], "lldb-19"),
        (&["gcc"], "gcc"),
    ]) {
        return;
    }
    let build = build("attach", "gcc", &["-O0", "-g"], "attach");
    let dir = build.native.parent().unwrap();
    let gdb = dir.join("attach.gdb");
    std::fs::write(
        &gdb,
        gdb_script(&[
            "break work",
            "set var released = 1",
            "continue",
            "bt",
            "info args",
            "print released",
            "print tls_marker",
            "info symbol work",
            "finish",
            "detach",
        ]),
    )
    .unwrap();
    let lldb = dir.join("attach.lldb");
    std::fs::write(
        &lldb,
        "settings set plugin.jit-loader.gdb.enable on\n\
         settings set use-color false\n\
         breakpoint set --name work\n\
         expression released = 1\n\
         process continue\n\
         thread backtrace\n\
         frame variable n\n\
         target variable released\n\
         target variable tls_marker\n\
         thread step-out\n\
         process detach\n",
    )
    .unwrap();
    let lantern = lantern();
    // worker.o first: one unit per object, so the breakpoint lands in the
    // first registered object and `released` lives in the second.
    let mut reversed: Vec<&Path> = build.objects.iter().map(PathBuf::as_path).collect();
    reversed.reverse();
    let jit_one: Vec<&Path> = [lantern.as_path(), Path::new("run")]
        .into_iter()
        .chain(build.objects.iter().map(PathBuf::as_path))
        .collect();
    let jit_units: Vec<&Path> = [
        lantern.as_path(),
        Path::new("run"),
        Path::new("--separate-units"),
    ]
    .into_iter()
    .chain(reversed)
    .collect();
    for (debugger, script, must) in [
        (
            "gdb",
            &gdb,
            &[
                "Breakpoint 1, work (n=7) at worker.c:",
                "#1  ADDR in main () at main.c:",
                "$2 = 42",
                "Value returned is $3 = 91",
            ][..],
        ),
        (
            "lldb",
            &lldb,
            &[
                "stop reason = breakpoint 1.1",
                "work(n=7) at worker.c:",
                "(int) n = 7",
                "tls_marker = 42",
            ][..],
        ),
    ] {
        let (native, native_out) = attach_session(debugger, script, &[&build.native]);
        let n = normalize_attach(&native, debugger);
        for needle in must {
            assert!(
                n.contains(needle),
                "native {debugger} attach session lacks {needle:?}:\n{native}"
            );
        }
        assert_eq!(
            native_out, "result 91\n",
            "native program under {debugger}:\n{native}"
        );
        for (tag, jit_args) in [("one unit", &jit_one), ("separate units", &jit_units)] {
            let (jit, jit_out) = attach_session(debugger, script, jit_args);
            let j = normalize_attach(&jit, debugger);
            assert_same_session(&format!("attach, {tag}"), debugger, &n, &j, &jit);
            assert_eq!(
                jit_out, "result 91\n",
                "JIT'd program under {debugger} ({tag}):\n{jit}"
            );
        }
    }
}

/// `llvm-dwarfdump-19 --verify` on `file`: `Ok` when it reports no errors,
/// else what it said (or that it did not finish).
fn dwarfdump_verify(file: &Path) -> Result<(), String> {
    let out = run_with_timeout(
        Command::new("llvm-dwarfdump-19").arg("--verify").arg(file),
        Duration::from_secs(20),
    )?;
    if out.status == "exit 0" && out.stdout.contains("No errors.") {
        Ok(())
    } else {
        Err(format!("{}\n{}", out.stdout, out.stderr))
    }
}

/// Builds one program with one compiler and flag set, writes its debug
/// object, verifies it; returns whether llvm-dwarfdump could judge it.
fn verify_debug_object(dir: &Path, compiler: &str, flags: &[&str]) -> bool {
    let name = dir.file_name().unwrap().to_string_lossy().into_owned();
    let cflags: Vec<String> = std::fs::read_to_string(dir.join("cflags"))
        .map(|s| s.split_whitespace().map(String::from).collect())
        .unwrap_or_default();
    let out = scratch(&format!("dwarf-{name}-{compiler}{}", flags.join("")));
    let mut sources: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "c"))
        .collect();
    sources.sort();
    let mut objects = Vec::new();
    for src in &sources {
        let obj = out.join(format!("{}.o", src.file_stem().unwrap().to_string_lossy()));
        check(
            Command::new(compiler)
                .arg("-g")
                .args(flags)
                .args(&cflags)
                .arg("-c")
                .arg(src)
                .arg("-o")
                .arg(&obj),
        )
        .unwrap();
        objects.push(obj);
    }
    // lib/*.c: a static archive after the objects, as tests/programs.rs links it.
    let lib_dir = dir.join("lib");
    if lib_dir.is_dir() {
        let mut members = Vec::new();
        let mut lib_sources: Vec<PathBuf> = std::fs::read_dir(&lib_dir)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        lib_sources.sort();
        for src in lib_sources
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "c"))
        {
            let obj = out.join(format!(
                "lib-{}.o",
                src.file_stem().unwrap().to_string_lossy()
            ));
            check(
                Command::new(compiler)
                    .arg("-g")
                    .args(flags)
                    .args(&cflags)
                    .arg("-c")
                    .arg(src)
                    .arg("-o")
                    .arg(&obj),
            )
            .unwrap();
            members.push(obj);
        }
        let archive = out.join(format!("lib{name}.a"));
        check(Command::new("ar").arg("rcs").arg(&archive).args(&members)).unwrap();
        objects.push(archive);
    }
    let listing = check(
        Command::new(lantern())
            .args(["debug-object", "-l", "m", "--out"])
            .arg(out.join("debug"))
            .args(&objects),
    )
    .unwrap();
    let object = out.join("debug").join(format!(
        "{}.0.debug.o",
        sources[0].file_stem().unwrap().to_string_lossy()
    ));
    assert!(listing.contains("debug.o"), "{listing}");

    let mut objects_to_check = vec![object];
    // The object batched registration registers when each file is its own
    // unit (all the units merged): where some order of the files links that
    // way (definitions before uses).
    if !lib_dir.is_dir() && objects.len() > 1 {
        let forward: Vec<&PathBuf> = objects.iter().collect();
        let reversed: Vec<&PathBuf> = objects.iter().rev().collect();
        for order in [reversed, forward] {
            let merged_dir = out.join("merged");
            let linked = Command::new(lantern())
                .args([
                    "debug-object",
                    "--separate-units",
                    "--merged",
                    "-l",
                    "m",
                    "--out",
                ])
                .arg(&merged_dir)
                .args(&order)
                .output()
                .unwrap();
            if linked.status.success() {
                let stem = order[0].file_stem().unwrap().to_string_lossy().into_owned();
                objects_to_check.push(merged_dir.join(format!("{stem}.merged.debug.o")));
                MERGED_CHECKED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                break;
            }
        }
    }
    let mut problems = Vec::new();
    for object in &objects_to_check {
        check_sections(&name, object);
        if let Err(problem) = dwarfdump_verify(object) {
            problems.push(format!("{}:\n{problem}", object.display()));
        }
    }
    if problems.is_empty() {
        return true;
    }
    // The oracle: the natively linked program. llvm-dwarfdump-19 has inputs it
    // cannot judge (it loops forever on some of gcc's -O2 DWARF 5); the debug
    // object must verify wherever the native program does.
    let native = out.join("native");
    check(
        Command::new(compiler)
            .args(&objects)
            .arg("-lm")
            .arg("-o")
            .arg(&native),
    )
    .unwrap();
    match dwarfdump_verify(&native) {
        Ok(()) => panic!("{name} {compiler} {flags:?}: llvm-dwarfdump-19 --verify fails on a debug object but not on the native program:\n{}", problems.join("\n")),
        Err(_) => {
            eprintln!("note: {name} {compiler} {flags:?}: llvm-dwarfdump-19 --verify cannot judge the native program either; not counted");
            false
        }
    }
}

/// How many merged debug objects `verify_debug_object` checked.
static MERGED_CHECKED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// A debug object has no `.rela` section and no allocated section at address 0.
fn check_sections(name: &str, object: &Path) {
    let bytes = std::fs::read(object).unwrap();
    let file = object::read::elf::ElfFile64::<object::LittleEndian>::parse(&*bytes).unwrap();
    use object::{Object, ObjectSection, SectionFlags};
    for section in file.sections() {
        if let SectionFlags::Elf { sh_flags, .. } = section.flags() {
            if sh_flags.0 & object::elf::SHF_ALLOC.0 != 0 {
                assert_ne!(
                    section.address(),
                    0,
                    "{name}: section {:?} of {} at address 0",
                    section.name(),
                    object.display()
                );
            }
        }
        let section_name = section.name().unwrap_or("");
        assert!(
            !section_name.starts_with(".rela"),
            "{name}: {} has {section_name}",
            object.display()
        );
    }
}

/// Every program's debug object passes `llvm-dwarfdump-19 --verify` (where
/// the native program does), has no `.rela` section, and no allocated section
/// at address 0.
#[test]
fn debug_objects_verify_and_have_real_addresses() {
    if !have(&[
        (&["llvm-dwarfdump-19"], "llvm-dwarfdump-19 (llvm-19)"),
        (&["gcc"], "gcc"),
        (&["clang-19"], "clang-19"),
    ]) {
        return;
    }
    let programs = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/programs");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&programs)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    dirs.sort();
    dirs.push(program_dir("shapes"));
    dirs.push(program_dir("attach"));
    // Thread-local variables: their DIEs are rewritten (tls_locations.rs).
    let tls_programs = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tls-programs");
    dirs.push(tls_programs.join("tdata_tbss"));
    dirs.push(tls_programs.join("static_local_tls"));
    let mut cases = Vec::new();
    for dir in &dirs {
        for compiler in ["gcc", "clang-19"] {
            if dir.join("only-gcc").exists() && compiler != "gcc" {
                continue;
            }
            // llvm-dwarfdump-19 --verify never finishes on gcc's optimized
            // output (natively linked or not): gcc is verified at -O0, and its
            // -O2 DWARF is checked by the gdb and lldb sessions instead.
            let flag_sets = if compiler == "gcc" {
                [["-O0", "-gdwarf-4"], ["-O0", "-gdwarf-5"]]
            } else {
                [["-O0", "-gdwarf-4"], ["-O2", "-gdwarf-5"]]
            };
            for flags in flag_sets {
                cases.push((dir.clone(), compiler, flags));
            }
        }
    }
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .max(2);
    let verified: usize = std::thread::scope(|scope| {
        let handles: Vec<_> = cases
            .chunks(cases.len().div_ceil(threads))
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .iter()
                        .filter(|(d, c, f)| verify_debug_object(d, c, f))
                        .count()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a verify thread panicked"))
            .sum()
    });
    assert!(
        verified * 10 >= cases.len() * 9,
        "only {verified} of {} debug objects could be verified",
        cases.len()
    );
    let merged = MERGED_CHECKED.load(std::sync::atomic::Ordering::Relaxed);
    eprintln!(
        "{merged} of {} cases also had a merged debug object checked",
        cases.len()
    );
    assert!(
        merged * 4 >= cases.len(),
        "only {merged} of {} cases link as separate units for a merged debug object",
        cases.len()
    );
}

/// Code that `--gc-sections` removed keeps its DWARF, with tombstones for its
/// addresses: llvm-dwarfdump says "dead code", gdb does not place it at 0.
#[test]
fn dead_stripped_code_gets_tombstones() {
    if !have(&[
        (&["llvm-dwarfdump-19"], "llvm-dwarfdump-19 (llvm-19)"),
        (&["gdb"], "gdb"),
        (&["gcc"], "gcc"),
        (&["clang-19"], "clang-19"),
    ]) {
        return;
    }
    let source = "int unused_fn(int x) { return x * 3 + 1; }\nint used_fn(int x) { return x + 1; }\nint main(void) { return used_fn(-1); }\n";
    for compiler in ["gcc", "clang-19"] {
        for dwarf in ["-gdwarf-4", "-gdwarf-5"] {
            let dir = scratch(&format!("tombstones-{compiler}{dwarf}"));
            let src = dir.join("dead.c");
            std::fs::write(&src, source).unwrap();
            let obj = dir.join("dead.o");
            check(
                Command::new(compiler)
                    .args([dwarf, "-O0", "-ffunction-sections", "-c"])
                    .arg(&src)
                    .arg("-o")
                    .arg(&obj),
            )
            .unwrap();
            check(
                Command::new(lantern())
                    .args(["debug-object", "--gc-sections", "--out"])
                    .arg(&dir)
                    .arg(&obj),
            )
            .unwrap();
            let debug_object = dir.join("dead.0.debug.o");
            let dump = check(
                Command::new("llvm-dwarfdump-19")
                    .arg("--name=unused_fn")
                    .arg(&debug_object),
            )
            .unwrap();
            assert!(
                dump.contains("DW_AT_low_pc\t(dead code)"),
                "{compiler} {dwarf}: no tombstone for unused_fn:\n{dump}"
            );
            let used = check(
                Command::new("llvm-dwarfdump-19")
                    .arg("--name=used_fn")
                    .arg(&debug_object),
            )
            .unwrap();
            assert!(
                !used.contains("dead code") && used.contains("DW_AT_low_pc\t(0x00007"),
                "{compiler} {dwarf}: used_fn:\n{used}"
            );
            dwarfdump_verify(&debug_object).unwrap_or_else(|e| panic!("{compiler} {dwarf}: {e}"));

            let script = dir.join("tombstones.gdb");
            std::fs::write(
                &script,
                gdb_script(&[
                    "break used_fn",
                    "run",
                    "info line unused_fn",
                    "info scope unused_fn",
                    "continue",
                ]),
            )
            .unwrap();
            let lantern = lantern();
            let session = run_debugger(
                "gdb",
                &script,
                &[&lantern, Path::new("run"), Path::new("--gc-sections"), &obj],
            );
            assert!(
                session.contains("Breakpoint 1, used_fn (x=-1)"),
                "{compiler} {dwarf}:\n{session}"
            );
            assert!(
                session.contains("Function \"unused_fn\" not defined.")
                    || session.contains("No function \"unused_fn\""),
                "{compiler} {dwarf}: gdb places dead code:\n{session}"
            );
            assert!(
                !session.contains("0x0000000000000000"),
                "{compiler} {dwarf}: address 0 in\n{session}"
            );
        }
    }
}

/// The `batched` example (built by `cargo test` with the other examples).
fn batched_example() -> PathBuf {
    let path = lantern().parent().unwrap().join("examples").join("batched");
    assert!(
        path.exists(),
        "{} is missing: run the whole `cargo test` (it builds the examples) or `cargo build --examples`",
        path.display()
    );
    path
}

/// Units registered batched share one object file; removing units from it
/// registers it again without them, and a breakpoint in the unit that stays
/// is hit again, while the removed functions are gone from the debugger.
#[test]
fn removing_units_from_a_merged_object_keeps_breakpoints() {
    if !have(&[
        (&["gdb"], "gdb"),
        (&["lldb-19"], "lldb-19"),
        (&["gcc"], "gcc"),
    ]) {
        return;
    }
    let dir = scratch("debugger-merged-removal");
    let sources = [
        ("gone_one", "int gone_one(int x) { return x + 100; }\n"),
        (
            "keep",
            "int kept(int x) {\n  int y = x * 3;\n  return y + 1;\n}\n",
        ),
        ("gone_two", "int gone_two(int x) { return x - 100; }\n"),
    ];
    let mut objects = Vec::new();
    for (name, source) in sources {
        std::fs::write(dir.join(format!("{name}.c")), source).unwrap();
        check(
            Command::new("gcc")
                .args(["-g", "-O0", "-c"])
                .arg(format!("{name}.c"))
                .current_dir(&dir),
        )
        .unwrap();
        objects.push(dir.join(format!("{name}.o")));
    }
    let example = batched_example();
    let mut program: Vec<&Path> = vec![example.as_path(), Path::new("kept")];
    program.extend(objects.iter().map(PathBuf::as_path));

    let gdb = dir.join("script.gdb");
    std::fs::write(
        &gdb,
        "set breakpoint pending on\nbreak kept\nrun\ninfo functions ^gone_\necho ---\\n\n\
         continue\ninfo functions ^gone_\nnext\nprint y\ncontinue\n",
    )
    .unwrap();
    let out = run_debugger("gdb", &gdb, &program);
    for needle in [
        "3 units, 1 object file(s) registered",
        "Breakpoint 1, kept (x=1) at keep.c:2",
        "1 unit(s), 1 object file(s) registered",
        "Breakpoint 1, kept (x=2) at keep.c:2",
        "$1 = 6",
        "kept(2) = 7",
    ] {
        assert!(out.contains(needle), "gdb session lacks {needle:?}:\n{out}");
    }
    let (before, after) = out.split_once("---").expect("the marker");
    for function in ["int gone_one(int);", "int gone_two(int);"] {
        assert!(
            before.contains(function),
            "{function} before the removal:\n{out}"
        );
        assert!(
            !after.contains(function),
            "{function} after the removal:\n{out}"
        );
    }

    let lldb = dir.join("script.lldb");
    std::fs::write(
        &lldb,
        "settings set plugin.jit-loader.gdb.enable on\nbreakpoint set --name kept\n\
         process launch\nimage lookup -n gone_two\ncontinue\nthread step-over\n\
         frame variable y\nimage lookup -n gone_two\n",
    )
    .unwrap();
    let out = run_debugger("lldb", &lldb, &program);
    let stops: Vec<&str> = out.lines().filter(|l| l.contains("`kept(x=")).collect();
    assert!(
        stops.len() >= 2
            && stops[0].contains("kept(x=1) at keep.c:2")
            && stops[1].contains("kept(x=2) at keep.c:2"),
        "lldb stops twice in kept:\n{out}"
    );
    assert!(
        out.split_once("`kept(x=2)")
            .is_some_and(|(before, _)| before.contains("1 match found in")),
        "gone_two is found before the removal:\n{out}"
    );
    assert!(out.contains("(int) y = 6"), "{out}");
    let after = out.split_once("`kept(x=2)").expect("the second stop").1;
    assert!(
        after.contains("(lldb) image lookup -n gone_two") && !after.contains("match found"),
        "gone_two is not found after the removal:\n{out}"
    );
}
