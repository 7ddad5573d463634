//! The `lantern` process as debuggers and crash reports see it: `break
//! main` stops first in the JIT'd `main`, a gdb session starts without a
//! warning, conditions given before `run` parse as in the native program,
//! and the debug information that large units get in the background is
//! complete when a crash or a debugger needs it.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::*;

const TIMEOUT: Duration = Duration::from_secs(120);

/// A C program in `dir`: its object and the natively linked binary.
fn c_program(dir: &Path, name: &str, source: &str) -> (PathBuf, PathBuf) {
    let object = compile_c(dir, name, source, &["-g", "-O0"]);
    let native = dir.join(format!("{name}-native"));
    link_native(&[&object], &native).unwrap();
    (object, native)
}

const LOOP: &str = "#include <stdio.h>
int g;
int f(int x)
{
    return x * 2 + g;
}
int main(void)
{
    int sum = 0;
    for (int i = 0; i < 6; i++) {
        g = i;
        sum += f(i);
    }
    printf(\"sum %d\\n\", sum);
    return 0;
}
";

/// gdb in batch mode with these commands on `program`.
fn gdb(commands: &[&str], program: &[&std::ffi::OsStr]) -> Outcome {
    let mut cmd = Command::new("gdb");
    cmd.args(["-batch", "-nx"]);
    for c in commands {
        cmd.arg("-ex").arg(c);
    }
    cmd.arg("--args").args(program);
    run_with_timeout(&mut cmd, TIMEOUT).unwrap()
}

fn lldb(commands: &[&str], program: &[&std::ffi::OsStr]) -> Outcome {
    let mut cmd = Command::new("lldb-19");
    cmd.args(["-b", "-o", "settings set plugin.jit-loader.gdb.enable on"]);
    for c in commands {
        cmd.arg("-o").arg(c);
    }
    cmd.arg("--").args(program);
    run_with_timeout(&mut cmd, TIMEOUT).unwrap()
}

/// The first line of `text` that starts with `prefix`, trimmed.
fn first_line<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    text.lines().map(str::trim).find(|l| l.starts_with(prefix))
}

/// `main (...) at loop.c:N` of gdb's first stop, without its breakpoint
/// number (the JIT'd `main` joins breakpoint 1 as its second location).
fn gdb_first_stop(session: &str) -> Option<String> {
    session.lines().find_map(|l| {
        let rest = l.strip_prefix("Breakpoint 1")?;
        let (number, stop) = rest.split_once(", ")?;
        // `Breakpoint 1, ...` or `Breakpoint 1.2, ...`, not `Breakpoint 1 at`.
        (number.is_empty() || number.starts_with('.')).then(|| stop.to_string())
    })
}

/// `main(...) at loop.c:N:C` of lldb's first stop (`frame #0: ADDR MODULE`main...`).
fn lldb_first_stop(session: &str) -> Option<String> {
    let line = first_line(session, "frame #0:")?;
    Some(line.split_once('`')?.1.to_string())
}

#[test]
fn break_main_stops_first_in_the_jit_main() {
    if !have(&[
        (&["gcc"], "gcc"),
        (&["gdb"], "gdb"),
        (&["lldb-19"], "lldb-19"),
    ]) {
        return;
    }
    let dir = scratch("host-break-main");
    let (object, native) = c_program(&dir, "loop", LOOP);
    let lantern = lantern();
    let jit = [lantern.as_os_str(), "run".as_ref(), object.as_os_str()];
    let commands = ["break main", "run", "bt 1"];
    let native_gdb = gdb(&commands, &[native.as_os_str()]);
    let jit_gdb = gdb(&commands, &jit);
    let expected = gdb_first_stop(&native_gdb.stdout).expect("native gdb stops in main");
    assert!(expected.starts_with("main ("), "{native_gdb:?}");
    assert_eq!(
        gdb_first_stop(&jit_gdb.stdout).as_deref(),
        Some(expected.as_str()),
        "gdb's first stop under lantern run:\n{}{}",
        jit_gdb.stdout,
        jit_gdb.stderr
    );

    let commands = ["b main", "run", "bt 1"];
    let native_lldb = lldb(&commands, &[native.as_os_str()]);
    let jit_lldb = lldb(&commands, &jit);
    let expected = lldb_first_stop(&native_lldb.stdout).expect("native lldb stops in main");
    let in_main = |stop: &str| stop.starts_with("main(") || stop.starts_with("main at ");
    assert!(in_main(&expected), "{native_lldb:?}");
    let got = lldb_first_stop(&jit_lldb.stdout);
    // Addresses in the arguments (argv) differ; the function and line do not.
    let strip = |s: &str| s.split(" at ").nth(1).map(String::from);
    assert!(
        got.as_deref().is_some_and(in_main),
        "lldb's first stop under lantern run:\n{}{}",
        jit_lldb.stdout,
        jit_lldb.stderr
    );
    assert_eq!(
        got.as_deref().and_then(strip),
        strip(&expected),
        "{}",
        jit_lldb.stdout
    );
}

#[test]
fn gdb_sessions_start_without_a_warning() {
    if !have(&[(&["gcc"], "gcc"), (&["gdb"], "gdb")]) {
        return;
    }
    let dir = scratch("host-no-warning");
    let (object, _) = c_program(&dir, "loop", LOOP);
    let lantern = lantern();
    let session = gdb(
        &["break main", "run", "bt", "next", "info locals"],
        &[lantern.as_os_str(), "run".as_ref(), object.as_os_str()],
    );
    let text = format!("{}{}", session.stdout, session.stderr);
    let warnings: Vec<&str> = text
        .lines()
        .filter(|l| l.trim_start().to_lowercase().starts_with("warning"))
        .collect();
    assert!(warnings.is_empty(), "gdb warned: {warnings:?}\n{text}");
    assert!(
        text.contains("loop.c:"),
        "the session stopped in the JIT'd main:\n{text}"
    );
}

/// What gdb prints at the stops of `break f if COND` with `print`s.
fn conditional_stops(session: &str) -> Vec<String> {
    session
        .lines()
        .filter(|l| l.starts_with('$'))
        .map(|l| l.split_once(" = ").map_or(l, |(_, v)| v).to_string())
        .collect()
}

#[test]
fn pending_conditions_parse_as_in_the_native_program() {
    if !have(&[(&["gcc"], "gcc"), (&["g++"], "g++"), (&["gdb"], "gdb")]) {
        return;
    }
    let dir = scratch("host-conditions");
    let (c_object, c_native) = c_program(&dir, "loop", LOOP);
    let cxx_source = dir.join("v.cpp");
    std::fs::write(
        &cxx_source,
        "#include <vector>\nnamespace ns { int counter = 0; }\nstruct S { int k; int get() const { return k; } };\n\
         int f(const std::vector<int>& v, const S& s) { return (int)v.size() + s.get(); }\n\
         int main() { std::vector<int> v; S s{2}; int t = 0;\n\
         for (int i = 0; i < 5; i++) { v.push_back(i); ns::counter++; t += f(v, s); }\n\
         return t == 0; }\n",
    )
    .unwrap();
    let cxx_object = dir.join("v.o");
    check(
        Command::new("g++")
            .args(["-g", "-O0", "-c"])
            .arg(&cxx_source)
            .arg("-o")
            .arg(&cxx_object),
    )
    .unwrap();
    let cxx_native = dir.join("v-native");
    check(
        Command::new("g++")
            .arg(&cxx_object)
            .arg("-o")
            .arg(&cxx_native),
    )
    .unwrap();

    // gdb 13 cannot call functions in the inferior on some CPUs (it fails
    // to write the XSAVE state on machines with AMX: "Couldn't write
    // extended state status: Bad address", then hangs on `continue`). There
    // the C++ condition names members and scoped globals without calls.
    let calls_work = gdb_can_call_functions(&cxx_native);
    let cxx_commands = if calls_work {
        vec![
            "set breakpoint pending on",
            "break f if v.size() == 3 && s.get() == 2 && ns::counter == 3",
            "run",
            "print v.size()",
            "print ns::counter",
            "continue",
        ]
    } else {
        eprintln!(
            "NOTE: gdb cannot call functions in a program on this machine \
             (\"Couldn't write extended state status\"): the C++ condition \
             uses no calls (s.k, ns::counter)"
        );
        vec![
            "set breakpoint pending on",
            "break f if s.k == 2 && ns::counter == 3",
            "run",
            "print s.k",
            "print ns::counter",
            "continue",
        ]
    };
    let lantern = lantern();
    for (object, native, commands) in [
        (
            &c_object,
            &c_native,
            vec![
                "set breakpoint pending on",
                "break f if g == 4",
                "run",
                "print x",
                "print g",
                "continue",
            ],
        ),
        (&cxx_object, &cxx_native, cxx_commands),
    ] {
        let native_session = gdb(&commands, &[native.as_os_str()]);
        let jit_session = gdb(
            &commands,
            &[lantern.as_os_str(), "run".as_ref(), object.as_os_str()],
        );
        let expected = conditional_stops(&native_session.stdout);
        assert_eq!(expected.len(), 2, "{native_session:?}");
        assert_eq!(
            conditional_stops(&jit_session.stdout),
            expected,
            "{:?}: the condition stopped gdb elsewhere under lantern run:\n{}{}",
            commands[1],
            jit_session.stdout,
            jit_session.stderr
        );
        assert!(
            !jit_session
                .stderr
                .contains("Error in re-setting breakpoint"),
            "{}",
            jit_session.stderr
        );
    }
}

/// Whether gdb can call a function of the (native) C++ program `native`
/// stopped in `f` (it evaluates `s.get()`).
fn gdb_can_call_functions(native: &Path) -> bool {
    let mut cmd = Command::new("gdb");
    cmd.args(["-batch", "-nx", "-ex", "break f", "-ex", "run"])
        .args(["-ex", "print s.get()", "-ex", "kill", "--args"])
        .arg(native);
    match run_with_timeout(&mut cmd, Duration::from_secs(30)) {
        Ok(session) => session.stdout.lines().any(|l| l.trim() == "$1 = 2"),
        Err(_) => false,
    }
}

#[test]
fn a_crash_in_the_first_constructor_of_a_large_unit_is_reported_in_full() {
    if !have(&[(&["gcc"], "gcc"), (&["gdb"], "gdb")]) {
        return;
    }
    let dir = scratch("host-early-crash");
    let object = large_unit(&dir, "early", EARLY_CRASH_TAIL);
    let jit = run_with_timeout(
        Command::new(lantern())
            .args(["run", "--verbose"])
            .arg(&object),
        TIMEOUT,
    )
    .unwrap();
    assert_eq!(jit.status, "signal 11", "{jit:?}");
    assert!(
        jit.stderr.contains("in the background"),
        "the unit's debug information was not deferred, so this tests nothing:\n{}",
        jit.stderr
    );
    assert_early_crash_report(
        &dir,
        &object,
        &jit.stderr,
        "the crash report (the unit's DWARF was still being read when it crashed)",
    );
}

/// Threads of process `pid`.
fn threads(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/task")).map_or(0, |d| d.count())
}

#[test]
fn a_debugger_attaching_while_debug_information_is_read_sees_every_unit() {
    if !have(&[(&["gcc"], "gcc"), (&["gdb"], "gdb")]) {
        return;
    }
    let dir = scratch("host-attach-early");
    let release = dir.join("release");
    let large = large_unit(&dir, "large", "");
    let small = compile_c(
        &dir,
        "small",
        &format!(
            "#include <stdio.h>\n#include <unistd.h>\nint big_fn_1234(int);\n\
             int small_fn(int x)\n{{\n    return x + 1;\n}}\n\
             int main(void)\n{{\n    puts(\"ready\");\n    fflush(stdout);\n\
             for (int i = 0; i < 6000 && access(\"{}\", F_OK) != 0; i++) usleep(10000);\n\
             printf(\"%d\\n\", small_fn(big_fn_1234(2)));\n    return 0;\n}}\n",
            release.display()
        ),
        &["-g", "-O0"],
    );
    let mut child = Command::new(lantern())
        .args(["run", "--separate-units"])
        .arg(&large)
        .arg(&small)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut line).unwrap();
    assert_eq!(line.trim(), "ready");
    // The background worker is still at work: the debugger comes early.
    let busy = threads(pid) > 1;
    let gdb = Command::new("gdb")
        .args(["-batch", "-nx", "-p", &pid.to_string()])
        .args([
            "-ex",
            "set breakpoint pending on",
            "-ex",
            "break small_fn",
            "-ex",
            "break big_fn_1234",
            "-ex",
            "continue",
            "-ex",
            "bt 1",
            "-ex",
            "continue",
            "-ex",
            "bt 1",
            "-ex",
            "detach",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Released once the worker is done (its thread ends when idle): then
    // every unit has reached gdb, which was attached all along.
    let start = Instant::now();
    std::thread::sleep(Duration::from_millis(500));
    while threads(pid) > 1 && start.elapsed() < TIMEOUT {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::fs::write(&release, b"").unwrap();
    let gdb = gdb.wait_with_output().unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let session = format!(
        "{}{}",
        String::from_utf8_lossy(&gdb.stdout),
        String::from_utf8_lossy(&gdb.stderr)
    );
    assert!(
        busy,
        "the worker had finished before gdb attached, so this tests nothing"
    );
    assert!(
        session.contains("big_fn_1234 (x=2) at ") && session.contains("large.c:"),
        "gdb did not stop in the large unit:\n{session}"
    );
    assert!(
        session.contains("small_fn (x=") && session.contains("small.c:"),
        "gdb did not stop in the small unit:\n{session}"
    );
}
