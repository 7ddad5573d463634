//! The command line as users meet it: help, sources compiled on the fly,
//! response files, layout and timing reports, exit status and signals.

mod support;

use std::process::Command;
use std::time::Duration;

use support::*;

fn run(cmd: &mut Command) -> Outcome {
    run_with_timeout(cmd, Duration::from_secs(60)).expect("lantern runs")
}

#[test]
fn help_describes_every_command() {
    let out = run(Command::new(lantern()).arg("--help"));
    assert_eq!(out.status, "exit 0");
    for word in ["run", "link", "@FILE"] {
        assert!(
            out.stdout.contains(word),
            "{word} missing from --help: {}",
            out.stdout
        );
    }
    let out = run(Command::new(lantern()).args(["run", "--help"]));
    for flag in [
        "--entry",
        "-l <NAME>",
        "--preload",
        "--verbose",
        "--timings",
        "[ARGS]",
    ] {
        assert!(
            out.stdout.contains(flag),
            "{flag} missing from run --help: {}",
            out.stdout
        );
    }
    let out = run(Command::new(lantern()).args(["link", "--help"]));
    assert!(out.stdout.contains("--print-layout"), "{}", out.stdout);
}

#[test]
fn c_sources_are_compiled_and_run_with_arguments() {
    if require_tool(&["cc"], "a C compiler (cc)").is_none() {
        return;
    }
    let dir = scratch("cli-source");
    let src = dir.join("hello.c");
    std::fs::write(
        &src,
        "#include <stdio.h>\nint main(int argc, char **argv){ printf(\"%d %s\\n\", argc, argv[1]); return 5; }\n",
    )
    .unwrap();
    let out = run(Command::new(lantern())
        .arg("run")
        .arg(&src)
        .args(["--", "first", "second"]));
    assert_eq!(out.stdout, "3 first\n");
    assert_eq!(out.status, "exit 5");
}

#[test]
fn example_hello_runs() {
    if require_tool(&["cc"], "a C compiler (cc)").is_none() {
        return;
    }
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/hello.c");
    let out = run(Command::new(lantern()).arg("run").arg(&example));
    assert_eq!(out.status, "exit 0", "{}", out.stderr);
    assert!(
        out.stdout.contains("Hello from JIT'd code"),
        "{}",
        out.stdout
    );
}

#[test]
fn response_files_supply_files_and_options() {
    if require_tool(&["gcc"], "gcc").is_none() {
        return;
    }
    let dir = scratch("cli-rsp");
    let a = compile_c(&dir, "a", "int f(void); int main(void){ return f(); }", &[]);
    let b = compile_c(&dir, "with space", "int f(void){ return 9; }", &[]);
    let rsp = dir.join("objs.rsp");
    std::fs::write(
        &rsp,
        format!("--entry main\n{}\n'{}'\n", a.display(), b.display()),
    )
    .unwrap();
    let out = run(Command::new(lantern())
        .arg("run")
        .arg(format!("@{}", rsp.display())));
    assert_eq!(out.status, "exit 9", "{}", out.stderr);
}

#[test]
fn entry_option_selects_the_function() {
    if require_tool(&["gcc"], "gcc").is_none() {
        return;
    }
    let dir = scratch("cli-entry");
    let a = compile_c(
        &dir,
        "a",
        "int start(int argc){ return 40 + argc; } int main(void){ return 1; }",
        &[],
    );
    let out = run(Command::new(lantern())
        .arg("run")
        .arg("--entry")
        .arg("start")
        .arg(&a)
        .args(["--", "x"]));
    assert_eq!(out.status, "exit 42");
}

#[test]
fn death_by_signal_is_the_programs() {
    if require_tool(&["gcc"], "gcc").is_none() {
        return;
    }
    let dir = scratch("cli-signal");
    let a = compile_c(
        &dir,
        "a",
        "int main(void){ volatile int *p = 0; return *p; }",
        &[],
    );
    let out = run(Command::new(lantern()).arg("run").arg(&a));
    assert_eq!(out.status, format!("signal {}", libc::SIGSEGV));
}

#[test]
fn executable_stack_request_is_honoured_and_reported() {
    if require_tool(&["gcc"], "gcc").is_none() {
        return;
    }
    let dir = scratch("cli-execstack");
    let a = compile_c(
        &dir,
        "nested",
        "#include <stdio.h>\nstatic int call(int (*f)(int)){ return f(1); }\nint main(void){ int k = 41; int add(int x){ return x + k; } printf(\"%d\\n\", call(add)); return 0; }",
        &[],
    );
    let out = run(Command::new(lantern()).args(["run", "--verbose"]).arg(&a));
    assert_eq!(out.status, "exit 0", "{}", out.stderr);
    assert_eq!(out.stdout, "42\n");
    assert!(
        out.stderr.contains("made the stack executable"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("nested.o"), "{}", out.stderr);
}

#[test]
fn link_prints_layout_and_timings() {
    if require_tool(&["gcc"], "gcc").is_none() {
        return;
    }
    let dir = scratch("cli-layout");
    let a = compile_c(
        &dir,
        "a",
        "#include <stdio.h>\nint counter = 3; const char *msg = \"hi\";\nint main(void){ puts(msg); return counter; }",
        &["-fPIC"],
    );
    let out = run(Command::new(lantern())
        .args(["link", "--print-layout", "--timings"])
        .arg(&a));
    assert_eq!(out.status, "exit 0", "{}", out.stderr);
    for needle in [
        "placement:",
        "segments:",
        "r-x",
        "rw-",
        ".text",
        ".data",
        "GOT entries:",
        "stubs:",
        " main",
        " counter",
    ] {
        assert!(
            out.stdout.contains(needle),
            "{needle:?} missing from layout:\n{}",
            out.stdout
        );
    }
    for phase in ["parse", "resolve", "fixup", "finalize", "total"] {
        assert!(
            out.stderr.contains(phase),
            "{phase} missing from timings:\n{}",
            out.stderr
        );
    }
}

#[test]
fn shared_libraries_by_name_and_path() {
    if require_tool(&["gcc"], "gcc").is_none() {
        return;
    }
    let dir = scratch("cli-libs");
    let so_src = dir.join("plugin.c");
    std::fs::write(&so_src, "int plugin_value(void){ return 17; }\n").unwrap();
    let so = dir.join("libplugin.so");
    check(
        Command::new("gcc")
            .args(["-shared", "-fPIC"])
            .arg(&so_src)
            .arg("-o")
            .arg(&so),
    )
    .unwrap();
    let a = compile_c(
        &dir,
        "a",
        "#include <math.h>\nint plugin_value(void);\nint main(void){ volatile double x = 2.0; return plugin_value() + (int)sqrt(x * 8.0); }",
        &[],
    );
    let out = run(Command::new(lantern())
        .arg("run")
        .arg("--preload")
        .arg(&so)
        .arg(&a)
        .args(["-l", "m"]));
    assert_eq!(out.status, "exit 21", "{}", out.stderr);
    let out = run(Command::new(lantern())
        .arg("run")
        .arg("-L")
        .arg(&dir)
        .args(["-l", "plugin", "-l", "m"])
        .arg(&a));
    assert_eq!(out.status, "exit 21", "{}", out.stderr);
    let out = run(Command::new(lantern())
        .arg("run")
        .args(["-l", "no-such-library-xyz"])
        .arg(&a));
    assert_eq!(out.status, "exit 1");
    assert!(
        out.stderr.contains("-l no-such-library-xyz"),
        "{}",
        out.stderr
    );
}

#[test]
fn link_stats_show_relaxed_got_loads() {
    if require_tool(&["gcc"], "gcc").is_none() {
        return;
    }
    let dir = scratch("cli-stats");
    // -fno-plt calls through the GOT; the target is in the unit, so the load is relaxed.
    let a = compile_c(
        &dir,
        "a",
        "__attribute__((noinline)) int helper(int x){ return x + 1; }\nint main(void){ return helper(2); }",
        &["-fPIC", "-fno-plt", "-O1"],
    );
    let out = run(Command::new(lantern()).args(["link", "--stats"]).arg(&a));
    assert_eq!(out.status, "exit 0", "{}", out.stderr);
    assert!(out.stdout.contains("edges at fixup:"), "{}", out.stdout);
    let relaxed = out
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("GOT loads relaxed: "))
        .and_then(|rest| rest.split(',').next())
        .and_then(|n| n.trim().parse::<usize>().ok())
        .expect("relaxed count");
    assert!(relaxed >= 1, "{}", out.stdout);
}

#[test]
fn perf_map_names_the_jit_functions() {
    if require_tool(&["gcc"], "gcc").is_none() {
        return;
    }
    let dir = scratch("cli-perf-map");
    let obj = compile_c(
        &dir,
        "prog",
        "#include <stdio.h>\n#include <unistd.h>\nint hot_loop(int n) { int s = 0; for (int i = 0; i < n; i++) s += i; return s; }\nint main(void) { printf(\"%d %d\\n\", (int)getpid(), hot_loop(10)); return 0; }\n",
        &["-O1"],
    );
    let out = run(Command::new(lantern())
        .args(["run", "--perf-map"])
        .arg(&obj));
    assert_eq!(out.status, "exit 0", "{}", out.stderr);
    let pid = out.stdout.split_whitespace().next().unwrap();
    let map_path = format!("/tmp/perf-{pid}.map");
    let map = std::fs::read_to_string(&map_path).unwrap_or_else(|e| panic!("{map_path}: {e}"));
    let _ = std::fs::remove_file(&map_path);
    for name in ["main", "hot_loop"] {
        let line = map
            .lines()
            .find(|l| l.ends_with(&format!(" {name}")))
            .unwrap_or_else(|| panic!("no {name} in {map_path}:\n{map}"));
        let mut words = line.split(' ');
        let start = u64::from_str_radix(words.next().unwrap(), 16).unwrap();
        let size = u64::from_str_radix(words.next().unwrap(), 16).unwrap();
        assert!(start > 0x1000 && size > 0, "{line}");
    }
}
