//! `lantern debug-test` itself: a session that matches passes; one that
//! differs fails and says after which command and how; a session that does
//! not finish is killed and reported as a timeout (with its inferior gone);
//! a recorded session (`--bless`) is an oracle; the JSON and JUnit reports
//! say the same; a script with no oracle is a usage error.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use support::*;

const TIMEOUT: Duration = Duration::from_secs(120);

const FACT: &str =
    "int fact(int n) {\n  if (n <= 1)\n    return 1;\n  return n * fact(n - 1);\n}\n";
const MAIN: &str = "#include <stdio.h>\nint fact(int n);\nint main(void) {\n  printf(\"%d\\n\", fact(5));\n  return 0;\n}\n";

/// `fact.o`, `main.o` and the native program; with `off_by_one`, a native
/// program whose fact is wrong (the oracle then differs from Lantern's run).
fn program(dir: &Path, off_by_one: bool) -> (Vec<PathBuf>, PathBuf) {
    std::fs::write(dir.join("fact.c"), FACT).unwrap();
    std::fs::write(dir.join("main.c"), MAIN).unwrap();
    // The same file name, so only what the program does differs.
    let wrong = dir.join("wrong");
    std::fs::create_dir_all(&wrong).unwrap();
    std::fs::write(wrong.join("fact.c"), FACT.replace("return 1;", "return 2;")).unwrap();
    for (source, at) in [
        ("fact.c", dir),
        ("main.c", dir),
        ("fact.c", wrong.as_path()),
    ] {
        check(
            Command::new("gcc")
                .args(["-g", "-O0", "-c", source])
                .current_dir(at),
        )
        .unwrap();
    }
    let native = dir.join("native");
    let fact = if off_by_one { "wrong/fact.o" } else { "fact.o" };
    check(
        Command::new("gcc")
            .args(["main.o", fact, "-o"])
            .arg(&native)
            .current_dir(dir),
    )
    .unwrap();
    (vec![dir.join("fact.o"), dir.join("main.o")], native)
}

fn script(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

const GDB: &str = "break fact\nrun\nbt\nprint n\nfinish\ncontinue\ncontinue\ncontinue\ncontinue\n";
const LLDB: &str = "breakpoint set --name fact\nprocess launch\nthread backtrace\nframe variable n\nprocess continue\n";

fn debug_test(args: &[&std::ffi::OsStr]) -> Outcome {
    run_with_timeout(
        Command::new(lantern()).arg("debug-test").args(args),
        TIMEOUT,
    )
    .unwrap_or_else(|e| panic!("lantern debug-test: {e}"))
}

#[test]
fn matching_sessions_pass_with_a_junit_report() {
    if !have(&[
        (&["gdb"], "gdb"),
        (&["lldb-19"], "lldb-19"),
        (&["gcc"], "gcc"),
    ]) {
        return;
    }
    let dir = scratch("debug-test-pass");
    let (objects, native) = program(&dir, false);
    let report = dir.join("report.xml");
    let out = debug_test(&[
        "--gdb".as_ref(),
        script(&dir, "t.gdb", GDB).as_os_str(),
        "--lldb".as_ref(),
        script(&dir, "t.lldb", LLDB).as_os_str(),
        "--native".as_ref(),
        native.as_os_str(),
        "--report".as_ref(),
        report.as_os_str(),
        "--require= = 5".as_ref(),
        objects[0].as_os_str(),
        objects[1].as_os_str(),
    ]);
    assert_eq!(out.status, "exit 0", "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("PASSED gdb: the sessions match"),
        "{}",
        out.stdout
    );
    let xml = std::fs::read_to_string(&report).unwrap();
    assert!(
        xml.contains("tests=\"2\" failures=\"0\" errors=\"0\""),
        "{xml}"
    );
    assert!(
        xml.contains("name=\"gdb\"") && xml.contains("name=\"lldb\""),
        "{xml}"
    );
}

#[test]
fn a_differing_session_fails_and_says_where() {
    if !have(&[(&["gdb"], "gdb"), (&["gcc"], "gcc")]) {
        return;
    }
    let dir = scratch("debug-test-differs");
    // The oracle's fact(1) returns 2: `finish` and the program's output differ.
    let (objects, native) = program(&dir, true);
    let report = dir.join("report.json");
    let out = debug_test(&[
        "--gdb".as_ref(),
        script(
            &dir,
            "t.gdb",
            "break fact if n == 1\nrun\nfinish\ncontinue\n",
        )
        .as_os_str(),
        "--native".as_ref(),
        native.as_os_str(),
        "--report".as_ref(),
        report.as_os_str(),
        objects[0].as_os_str(),
        objects[1].as_os_str(),
    ]);
    assert_eq!(out.status, "exit 1", "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("FAILED gdb: the sessions differ"),
        "{}",
        out.stdout
    );
    // Where: after `finish`, the value it returned.
    assert!(
        out.stdout.contains("after `+finish`")
            && out.stdout.contains("- oracle:  Value returned is $1 = 2")
            && out.stdout.contains("+ lantern: Value returned is $1 = 1"),
        "{}",
        out.stdout
    );
    // Only there: the breakpoint's stop is the same.
    assert!(
        out.stdout.contains("the sessions differ in 2 place(s)"),
        "{}",
        out.stdout
    );
    let json = std::fs::read_to_string(&report).unwrap();
    assert!(json.contains("\"passed\": false"), "{json}");
    assert!(
        json.contains("\"after_command\": \"+finish\"")
            && json.contains("\"oracle\": [\"Value returned is $1 = 2\"]"),
        "{json}"
    );
}

#[test]
fn a_session_past_its_timeout_is_killed_and_reported() {
    if !have(&[(&["gdb"], "gdb"), (&["gcc"], "gcc")]) {
        return;
    }
    let dir = scratch("debug-test-timeout");
    let pid_file = dir.join("pid");
    std::fs::write(
        dir.join("spin.c"),
        format!(
            "#include <stdio.h>\n#include <unistd.h>\nint main(void) {{\n  FILE *f = fopen(\"{}\", \"w\");\n  fprintf(f, \"%d\", getpid());\n  fclose(f);\n  for (;;) sleep(1);\n}}\n",
            pid_file.display()
        ),
    )
    .unwrap();
    check(
        Command::new("gcc")
            .args(["-g", "-c", "spin.c"])
            .current_dir(&dir),
    )
    .unwrap();
    let report = dir.join("report.xml");
    let start = Instant::now();
    let out = debug_test(&[
        "--gdb".as_ref(),
        script(&dir, "t.gdb", "run\nbt\n").as_os_str(),
        "--expected-gdb".as_ref(),
        script(&dir, "expected", "").as_os_str(),
        "--timeout=10".as_ref(),
        "--report".as_ref(),
        report.as_os_str(),
        dir.join("spin.o").as_os_str(),
    ]);
    assert!(
        start.elapsed() < Duration::from_secs(60),
        "took {:?}",
        start.elapsed()
    );
    assert_eq!(out.status, "exit 1", "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("TIMEOUT gdb: the lantern session did not finish within 10 s (killed)"),
        "{}",
        out.stdout
    );
    let xml = std::fs::read_to_string(&report).unwrap();
    assert!(xml.contains("<failure type=\"timeout\""), "{xml}");
    // The program under the debugger went with it.
    let pid = std::fs::read_to_string(&pid_file).expect("the program started");
    // Gone, or a zombie until its new parent reaps it.
    let alive = || {
        std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
            !stat
                .rsplit_once(')')
                .is_some_and(|(_, r)| r.trim_start().starts_with('Z'))
        })
    };
    for _ in 0..100 {
        if !alive() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!alive(), "process {pid} is still there");
}

#[test]
fn a_blessed_session_is_an_oracle() {
    if !have(&[(&["gdb"], "gdb"), (&["gcc"], "gcc")]) {
        return;
    }
    let dir = scratch("debug-test-bless");
    let (objects, _) = program(&dir, false);
    let gdb = script(&dir, "t.gdb", GDB);
    let expected = dir.join("expected.gdb.txt");
    let args = |bless: bool| {
        let mut args: Vec<&std::ffi::OsStr> = vec![
            "--gdb".as_ref(),
            gdb.as_os_str(),
            "--expected-gdb".as_ref(),
            expected.as_os_str(),
        ];
        if bless {
            args.push("--bless".as_ref());
        }
        args.extend(objects.iter().map(|o| o.as_os_str()));
        args
    };
    let out = debug_test(&args(true));
    assert_eq!(out.status, "exit 0", "{}{}", out.stdout, out.stderr);
    let recorded = std::fs::read_to_string(&expected).unwrap();
    assert!(
        recorded.contains("+print n\n$1 = 5\n") && !recorded.contains("0x"),
        "{recorded}"
    );
    let out = debug_test(&args(false));
    assert_eq!(out.status, "exit 0", "{}{}", out.stdout, out.stderr);
    // A recorded session that no longer matches fails, naming the command.
    std::fs::write(&expected, recorded.replace("$1 = 5", "$1 = 6")).unwrap();
    let out = debug_test(&args(false));
    assert_eq!(out.status, "exit 1", "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("after `+print n`") && out.stdout.contains("- oracle:  $1 = 6"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_script_without_an_oracle_is_a_usage_error() {
    let out = run_with_timeout(
        Command::new(lantern()).args(["debug-test", "--gdb", "t.gdb", "x.o"]),
        TIMEOUT,
    )
    .unwrap();
    assert_eq!(out.status, "exit 2", "{}{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("--native"), "{}", out.stderr);
}
