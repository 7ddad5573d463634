//! gdb and lldb on JIT'd programs, compared with the same session on the
//! natively linked program (the oracle) through `lantern debug-test`: each
//! program's sessions live beside it in `tests/debug-programs/NAME/`
//! (`session.gdb`, `session.lldb`), as lldb's test/Shell keeps them.
//! Breakpoints by name and file:line in a later object, backtraces, finish,
//! stepping, locals, globals, structs, arrays, ptype, info symbol, list,
//! watchpoints; C++; thread-local variables; macros of gcc `-g3` objects
//! sharing headers; compressed debug sections; sections named and laid out
//! as GNU ld does; breakpoints across a second `run`; attaching; removal of
//! units from a merged object; where a backtrace ends.

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

/// A debug program's session script for `debugger` (`gdb` or `lldb`):
/// `session.gdb`, or `session-VARIANT.gdb` when given a variant.
fn script(program: &str, debugger: &str, variant: Option<&str>) -> PathBuf {
    let name = match variant {
        Some(v) => format!("session-{v}.{debugger}"),
        None => format!("session.{debugger}"),
    };
    let path = program_dir(program).join(name);
    assert!(path.is_file(), "{} is missing", path.display());
    path
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

/// Runs `lantern debug-test` with `script` under `debugger` on `build`'s
/// objects and its native program, requiring `must` in both normalized
/// sessions; fails the test with debug-test's account of the differences.
/// Also: no `??` frame under Lantern, and the JSON report agrees.
fn debug_test(
    debugger: &str,
    build: &Build,
    script: &Path,
    tag: &str,
    must: &[&str],
    units: Units,
) {
    debug_test_ignoring(debugger, build, script, tag, must, units, &[])
}

/// [`debug_test`], leaving out of both sessions the lines that contain any
/// of `ignore`.
fn debug_test_ignoring(
    debugger: &str,
    build: &Build,
    script: &Path,
    tag: &str,
    must: &[&str],
    units: Units,
    ignore: &[&str],
) {
    let (objects, native) = (&build.objects, &build.native);
    let dir = native
        .parent()
        .unwrap()
        .join(format!("debug-test-{debugger}-{tag}"));
    let _ = std::fs::remove_dir_all(&dir);
    let report = dir.join("report.json");
    let mut cmd = Command::new(lantern());
    cmd.arg("debug-test")
        .arg(format!("--{debugger}"))
        .arg(script)
        .arg("--native")
        .arg(native)
        .arg("--report")
        .arg(&report)
        .arg("--keep-sessions")
        .arg(&dir)
        .args(["--name", tag]);
    for text in must {
        cmd.arg(format!("--require={text}"));
    }
    for text in ignore {
        cmd.arg(format!("--ignore={text}"));
    }
    let mut objects: Vec<&PathBuf> = objects.iter().collect();
    if units == Units::PerObjectReversed {
        cmd.arg("--run-arg=--separate-units");
        objects.reverse();
    }
    cmd.args(objects);
    let out = run_with_timeout(&mut cmd, TIMEOUT * 2)
        .unwrap_or_else(|e| panic!("[{tag}] lantern debug-test: {e}"));
    let raw_jit =
        std::fs::read_to_string(dir.join(format!("{debugger}-lantern.txt"))).unwrap_or_default();
    assert!(
        out.status == "exit 0",
        "[{tag}] {debugger} sessions differ ({}):\n{}{}\n--- lantern, raw ---\n{raw_jit}",
        out.status,
        out.stdout,
        out.stderr
    );
    let jit = std::fs::read_to_string(dir.join(format!("{debugger}-lantern.normalized"))).unwrap();
    assert!(
        !jit.contains("??"),
        "[{tag}] a `??` frame under lantern:\n{raw_jit}"
    );
    let json = std::fs::read_to_string(&report).unwrap();
    assert!(json.contains("\"passed\": true"), "[{tag}] report:\n{json}");
}

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
    let script = script("shapes", "gdb", None);
    for (compiler, flags, tag) in configs() {
        let build = build("shapes", &compiler, &flags, &tag);
        let must = if flags.contains(&"-O0") {
            GDB_MUST_O0
        } else {
            GDB_MUST_O2
        };
        debug_test("gdb", &build, &script, &tag, must, Units::One);
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
    let script = script("shapes", "gdb", None);
    for (compiler, opt) in [("gcc", "-O0"), ("clang-19", "-O2")] {
        let tag = format!("units-{compiler}{opt}");
        let build = build("shapes", compiler, &[opt, "-gdwarf-5"], &tag);
        let must = if opt == "-O0" {
            GDB_MUST_O0
        } else {
            GDB_MUST_O2
        };
        debug_test("gdb", &build, &script, &tag, must, Units::PerObjectReversed);
    }
}

const LLDB_MUST_O0: &[&str] = &[
    "stop reason = breakpoint 1",
    "stop reason = breakpoint 3",
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
    let script = script("shapes", "lldb", None);
    for (compiler, flags, tag) in configs() {
        let build = build("shapes", &compiler, &flags, &format!("lldb-{tag}"));
        let must = if flags.contains(&"-O0") {
            LLDB_MUST_O0
        } else {
            &["stop reason = breakpoint", "main"][..]
        };
        debug_test("lldb", &build, &script, &tag, must, Units::One);
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
    let script = script("shapes", "lldb", None);
    for (compiler, opt) in [("gcc", "-O0"), ("clang-19", "-O2")] {
        let tag = format!("lldb-units-{compiler}{opt}");
        let build = build("shapes", compiler, &[opt, "-gdwarf-4"], &tag);
        let must = if opt == "-O0" {
            LLDB_MUST_O0
        } else {
            &["stop reason = breakpoint", "main"][..]
        };
        debug_test(
            "lldb",
            &build,
            &script,
            &tag,
            must,
            Units::PerObjectReversed,
        );
    }
}

/// Both debuggers and both C++ compilers (the C++ sessions need them all).
fn have_cxx_debuggers() -> bool {
    have(&[
        (&["gdb"], "gdb"),
        (&["lldb-19"], "lldb-19"),
        (&["g++"], "g++"),
        (&["clang++-19"], "clang++-19"),
    ])
}

/// C++: a breakpoint in a static constructor (before main), virtual calls,
/// `print *this`, `ptype` of a class, `catch throw` and the frame that threw.
#[test]
fn cxx_gdb_and_lldb_sessions_match_native() {
    if !have_cxx_debuggers() {
        return;
    }
    let (gdb, lldb) = (script("cxx", "gdb", None), script("cxx", "lldb", None));
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
                        "stop reason = breakpoint 1",
                        "Registry::Registry(this=",
                        "Rect::area(this=",
                        "stop reason = breakpoint 3",
                        "checked_div(a=26, b=0) at registry.cpp:",
                    ],
                )
            } else {
                (
                    &["Catchpoint 3 (exception thrown)", "checked_div"],
                    &["stop reason = breakpoint"],
                )
            };
            debug_test("gdb", &build, &gdb, &tag, gdb_must, Units::One);
            // gcc -O2: a and b of the frame that threw are unavailable in
            // both, but lldb gives another reason under Lantern (it finds
            // the caller's frame and looks for its call site, natively it
            // stops at "no parent frame with reg ctx").
            debug_test_ignoring(
                "lldb",
                &build,
                &lldb,
                &format!("lldb-{tag}"),
                lldb_must,
                Units::One,
                &["<could not evaluate DW_OP_entry_value: "],
            );
        }
    }
}

/// Thread-local variables of every kind, printed in the main thread, in a
/// second thread, and in the main thread again while the second one is
/// stopped: each thread sees its own copy.
#[test]
fn thread_locals_print_as_native_in_gdb_and_lldb() {
    if !have_cxx_debuggers() {
        return;
    }
    for compiler in ["gcc", "clang-19"] {
        for opt in ["-O0", "-O2"] {
            let variant = &opt[1..];
            let (gdb, lldb) = (
                script("tls", "gdb", Some(variant)),
                script("tls", "lldb", Some(variant)),
            );
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
                debug_test("gdb", &build, &gdb, &tag, must, Units::One);
                let lldb_must: &[&str] = if opt == "-O0" {
                    &["(int) 8", "(long) 10", "(int) 107", "(long) 1000"]
                } else {
                    &["(int) 10", "(int) 107"]
                };
                debug_test(
                    "lldb",
                    &build,
                    &lldb,
                    &format!("lldb-{tag}"),
                    lldb_must,
                    Units::One,
                );
            }
        }
    }
}

/// gcc `-g3` (and clang's `-g3`): macros of three objects that share headers.
/// gcc puts each header's macros in a `wm4.*` COMDAT group per object; the
/// imports of the discarded copies must point at the kept one (they were
/// tombstones, and gdb died with a segmentation fault).
#[test]
fn macros_of_g3_objects_sharing_headers_match_native() {
    if !have(&[
        (&["gdb"], "gdb"),
        (&["lldb-19"], "lldb-19"),
        (&["gcc"], "gcc"),
        (&["clang-19"], "clang-19"),
    ]) {
        return;
    }
    let (gdb, lldb) = (
        script("macros", "gdb", None),
        script("macros", "lldb", None),
    );
    for (compiler, flags) in [
        ("gcc", &["-g3", "-O0", "-gdwarf-5"][..]),
        ("gcc", &["-g3", "-O2", "-gdwarf-4"][..]),
        ("clang-19", &["-g3", "-fdebug-macro", "-O0"][..]),
    ] {
        let tag = format!("macros-{compiler}{}", flags.join(""));
        let build = build("macros", compiler, flags, &tag);
        debug_test(
            "gdb",
            &build,
            &gdb,
            &tag,
            &[
                "#define SCALE 4",
                "#define SCALE 3",
                "#define AREA(w, h) ((w) * (h) * SCALE)",
                "config.h:",
                "#define LOCAL_ONLY 42",
            ],
            Units::One,
        );
        // lldb evaluates macros from gcc's DWARF (clang's it does not read
        // in lldb-19: `use of undeclared identifier` natively too).
        let lldb_must: &[&str] = if compiler == "gcc" {
            &["(int) $0 = 30", "(int) $1 = 3", "(int) $2 = 4"]
        } else {
            &[]
        };
        debug_test(
            "lldb",
            &build,
            &lldb,
            &format!("lldb-{tag}"),
            lldb_must,
            Units::One,
        );
    }
}

/// Objects whose debug sections are compressed (`-gz=zlib`: SHF_COMPRESSED;
/// gcc's `-gz=zlib-gnu`: `.zdebug_*`; zstd through llvm-objcopy) debug as
/// their uncompressed builds do (they were refused).
#[test]
fn compressed_debug_sections_match_native() {
    if !have(&[
        (&["gdb"], "gdb"),
        (&["lldb-19"], "lldb-19"),
        (&["gcc"], "gcc"),
        (&["clang-19"], "clang-19"),
        (&["llvm-objcopy-19"], "llvm-objcopy-19 (llvm-19)"),
    ]) {
        return;
    }
    let (gdb, lldb) = (
        script("shapes", "gdb", None),
        script("shapes", "lldb", None),
    );
    for (compiler, flags) in [
        ("gcc", &["-O0", "-g", "-gz=zlib"][..]),
        ("gcc", &["-O2", "-g", "-gz=zlib-gnu"][..]),
        ("clang-19", &["-O0", "-g", "-gz=zlib"][..]),
        ("gcc", &["-O0", "-g"][..]),
    ] {
        let tag = format!("gz-{compiler}{}", flags.join(""));
        let mut build = build("shapes", compiler, flags, &tag);
        if !flags.iter().any(|f| f.starts_with("-gz")) {
            // zstd, which neither compiler here emits: compressed afterwards.
            for object in &mut build.objects {
                let zstd = object.with_extension("zstd.o");
                check(
                    Command::new("llvm-objcopy-19")
                        .arg("--compress-debug-sections=zstd")
                        .arg(&*object)
                        .arg(&zstd),
                )
                .unwrap();
                *object = zstd;
            }
        }
        let readelf = check(Command::new("readelf").arg("-SW").args(&build.objects)).unwrap();
        assert!(
            readelf.contains(".zdebug_info")
                || readelf
                    .lines()
                    .any(|l| l.contains(".debug_info") && l.contains(" C ")),
            "[{tag}] the objects' debug sections are not compressed:\n{readelf}"
        );
        let must = if flags.contains(&"-O0") {
            GDB_MUST_O0
        } else {
            GDB_MUST_O2
        };
        debug_test("gdb", &build, &gdb, &tag, must, Units::One);
        if flags.contains(&"-O0") {
            debug_test(
                "lldb",
                &build,
                &lldb,
                &format!("lldb-{tag}"),
                LLDB_MUST_O0,
                Units::One,
            );
        }
    }
}

/// Sections as GNU ld names and orders them: a zero-initialized global in
/// `.bss`, a C++ template instance (`.text._Z...`) in `.text`, a cold part
/// (`.text.unlikely`) before its function (`<classify-N>`), no `.L.str`
/// labels on strings; lldb names data without its module.
#[test]
fn sections_and_symbols_match_native() {
    if !have(&[
        (&["gdb"], "gdb"),
        (&["lldb-19"], "lldb-19"),
        (&["g++"], "g++"),
        (&["clang++-19"], "clang++-19"),
    ]) {
        return;
    }
    let (gdb, lldb) = (
        script("layout", "gdb", None),
        script("layout", "lldb", None),
    );
    for compiler in ["gcc", "clang-19"] {
        for opt in ["-O0", "-O2"] {
            let tag = format!("layout-{compiler}{opt}");
            let build = build("layout", compiler, &[opt, "-g"], &tag);
            let mut must = vec![
                "zeroed in section .bss",
                "initialized in section .data",
                "g_shape in section .data",
                "pointer_to_shape in section .bss",
                "int twice<int>(int) in section .text",
                "classify in section .text",
            ];
            let mut lldb_must = vec!["Summary: g_shape", "Summary: initialized"];
            if opt == "-O0" {
                // The string, not `<.L.str>` (optimized out at -O2).
                must.push("$1 = ADDR \"hi\"");
                lldb_must.push("(const char *) message = ADDR \"hi\"");
            }
            if compiler == "gcc" && opt == "-O2" {
                // The cold part, before classify as GNU ld places it.
                must.push("<-N>:\tcall   ADDR <report>");
            }
            debug_test("gdb", &build, &gdb, &tag, &must, Units::One);
            debug_test(
                "lldb",
                &build,
                &lldb,
                &format!("lldb-{tag}"),
                &lldb_must,
                Units::One,
            );
        }
    }
}

/// A breakpoint resolved in JIT'd code (set after the code was there) is
/// hit again after the program is run a second time (after exiting) and a
/// third (after `kill`), as natively; gdb disabled it (`Error in re-setting
/// breakpoint 2`).
#[test]
fn breakpoints_survive_a_second_run() {
    if !have(&[
        (&["gdb"], "gdb"),
        (&["lldb-19"], "lldb-19"),
        (&["gcc"], "gcc"),
        (&["clang-19"], "clang-19"),
    ]) {
        return;
    }
    let (gdb, lldb) = (script("rerun", "gdb", None), script("rerun", "lldb", None));
    for compiler in ["gcc", "clang-19"] {
        let tag = format!("rerun-{compiler}");
        let build = build("rerun", compiler, &["-O0", "-g"], &tag);
        let hits = "Breakpoint 2, fact (n=4) at fact.c:";
        debug_test(
            "gdb",
            &build,
            &gdb,
            &tag,
            &[hits, "breakpoint already hit 1 time"],
            Units::One,
        );
        let dir = build
            .native
            .parent()
            .unwrap()
            .join(format!("debug-test-gdb-{tag}"));
        let session = std::fs::read_to_string(dir.join("gdb-lantern.normalized")).unwrap();
        assert_eq!(
            session.matches(hits).count(),
            3,
            "[{tag}] fact(4) stops in each of three runs:\n{session}"
        );
        debug_test(
            "lldb",
            &build,
            &lldb,
            &format!("lldb-{tag}"),
            &["fact(n=4)"],
            Units::One,
        );
    }
}

/// The separate-units sessions of a C program with a gdb and an lldb script
/// in one `debug-test` run, with a JUnit report.
#[test]
fn gdb_and_lldb_in_one_debug_test_run() {
    if !have(&[
        (&["gdb"], "gdb"),
        (&["lldb-19"], "lldb-19"),
        (&["gcc"], "gcc"),
    ]) {
        return;
    }
    let build = build("rerun", "gcc", &["-O0", "-g"], "both");
    let report = build.native.with_file_name("report.xml");
    let out = run_with_timeout(
        Command::new(lantern())
            .arg("debug-test")
            .arg("--gdb")
            .arg(script("rerun", "gdb", None))
            .arg("--lldb")
            .arg(script("rerun", "lldb", None))
            .arg("--native")
            .arg(&build.native)
            .arg("--report")
            .arg(&report)
            .args(&build.objects),
        TIMEOUT,
    )
    .unwrap();
    assert_eq!(out.status, "exit 0", "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("PASSED gdb: the sessions match"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("PASSED lldb: the sessions match"),
        "{}",
        out.stdout
    );
    let xml = std::fs::read_to_string(&report).unwrap();
    assert!(
        xml.contains("tests=\"2\" failures=\"0\" errors=\"0\""),
        "{xml}"
    );
}

// Attaching is not a `debug-test` session: the attach test and the merged
// object removal test below drive the debuggers themselves.

/// The frame lines of a backtrace: gdb's `#N ...`, lldb's `frame #N: ...`
/// with the module before the backtick dropped (`prog` natively, `JIT(...)`
/// under lantern).
fn backtrace(session: &str, debugger: &str) -> Vec<String> {
    session
        .lines()
        .map(str::trim_start)
        .filter_map(|l| {
            if debugger == "gdb" {
                l.starts_with('#').then(|| replace_hex(l))
            } else {
                let frame = l.strip_prefix("* ").unwrap_or(l).strip_prefix("frame #")?;
                let (level, rest) = frame.split_once(": ")?;
                let symbol = rest.split_once('`').map_or(rest, |(_, s)| s);
                Some(format!("{level}: {}", replace_hex(symbol)))
            }
        })
        .collect()
}

/// A backtrace in the JIT'd program ends one frame below its `main`, in the
/// `lantern` binary's decoy `main`, where gdb (`backtrace past-main` off) and
/// lldb-19 stop unwinding, as a native gdb backtrace ends at `main`: not in
/// Lantern's Rust frames or the C runtime's. The frames down to `main` are
/// the native program's.
#[test]
fn a_backtrace_ends_in_the_decoy_main_below_the_programs_main() {
    if !have_gcc() || !have_gdb_and_lldb() {
        return;
    }
    let dir = scratch("debugger-bt-end");
    let obj = compile_c(
        &dir,
        "bt_end",
        "__attribute__((noinline)) int leaf(int x) { return x + 1; }\n\
         int main(void) { return leaf(41) == 42 ? 0 : 1; }\n",
        &["-g", "-O0"],
    );
    let native = dir.join("native");
    link_native(&[&obj], &native).unwrap();
    let lantern = lantern();
    for debugger in ["gdb", "lldb"] {
        let script = dir.join(format!("bt.{debugger}"));
        let commands = if debugger == "gdb" {
            gdb_script(&["break leaf", "run", "bt", "kill"])
        } else {
            "settings set plugin.jit-loader.gdb.enable on\nbreakpoint set --name leaf\n\
             process launch\nbt\nkill\n"
                .to_string()
        };
        std::fs::write(&script, commands).unwrap();
        let oracle = backtrace(&run_debugger(debugger, &script, &[&native]), debugger);
        let session = run_debugger(debugger, &script, &[&lantern, Path::new("run"), &obj]);
        let jit = backtrace(&session, debugger);
        let main = oracle
            .iter()
            .position(|f| f.contains(" main (") || f.contains(" main at "))
            .unwrap_or_else(|| panic!("{debugger}: no main frame natively: {oracle:?}"));
        assert_eq!(
            jit.get(..=main),
            Some(&oracle[..=main]),
            "{debugger}: the frames down to main differ:\n{session}"
        );
        assert_eq!(
            jit.len(),
            main + 2,
            "{debugger}: one frame below main, no more:\n{session}"
        );
        let last = &jit[main + 1];
        let decoy = if debugger == "gdb" {
            " in main ()"
        } else {
            "main + "
        };
        assert!(last.contains(decoy), "{debugger}: {last}\n{session}");
    }
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
