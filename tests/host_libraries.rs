//! The host libraries a JIT'd program runs with: a C program's process does
//! not carry the C++ runtime (its debugger sessions do not read it), a C++
//! program's gets it when it needs it, and a library loaded for the program
//! (`-l`, the C++ runtime) has its thread-local variables in static TLS, so
//! initial-exec code (gcc's default for extern TLS in a program) reaches
//! them in every thread. The natively linked program is the oracle.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use support::*;

fn run(cmd: &mut Command) -> Outcome {
    run_with_timeout(cmd, Duration::from_secs(60)).expect("runs")
}

/// Says which of the runtimes the process has mapped.
const MAPS_PROGRAM: &str = r#"
#include <stdio.h>
#include <string.h>
int main(void) {
    FILE *maps = fopen("/proc/self/maps", "r");
    char line[1024];
    int cxx = 0, libc = 0;
    while (fgets(line, sizeof line, maps)) {
        cxx |= strstr(line, "libstdc++") != NULL;
        libc |= strstr(line, "libc.so") != NULL;
    }
    printf("libc mapped: %d, libstdc++ mapped: %d\n", libc, cxx);
    return 0;
}
"#;

/// Links `objects` natively with `driver` and runs the program.
fn native(dir: &Path, driver: &str, objects: &[PathBuf], extra: &[&str]) -> Outcome {
    let exe = dir.join("native");
    check(
        Command::new(driver)
            .args(objects)
            .arg("-o")
            .arg(&exe)
            .args(extra),
    )
    .expect("native link");
    let out = run(Command::new(&exe).current_dir(dir));
    assert!(!out.stdout.is_empty(), "the native program printed nothing");
    out
}

#[test]
fn c_program_runs_without_the_cxx_runtime() {
    let dir = scratch("host-libraries-c");
    let obj = compile_c(&dir, "maps", MAPS_PROGRAM, &["-O2", "-g"]);
    let expected = native(&dir, "gcc", std::slice::from_ref(&obj), &[]);
    assert!(expected.stdout.contains("libstdc++ mapped: 0"));
    for flags in [&[][..], &["--no-crash-handler", "--no-debugger-support"]] {
        let out = run(Command::new(lantern()).arg("run").args(flags).arg(&obj));
        assert_eq!(out, expected, "lantern run {flags:?}");
    }
}

#[test]
fn cxx_program_gets_the_cxx_runtime() {
    if require_tool(&["g++"], "g++").is_none() {
        return;
    }
    let dir = scratch("host-libraries-cxx");
    let src = dir.join("maps.cpp");
    let source = format!("#include <string>\n{MAPS_PROGRAM}").replace(
        "return 0;",
        "return std::string(\"ok\").size() == 2 ? 0 : 1;",
    );
    std::fs::write(&src, source).unwrap();
    let obj = dir.join("maps.o");
    check(
        Command::new("g++")
            .args(["-O2", "-g", "-c"])
            .arg(&src)
            .arg("-o")
            .arg(&obj),
    )
    .unwrap();
    let expected = native(&dir, "g++", std::slice::from_ref(&obj), &[]);
    assert!(expected.stdout.contains("libstdc++ mapped: 1"));
    let out = run(Command::new(lantern()).arg("run").arg(&obj));
    assert_eq!(out, expected);
}

/// A library exporting a thread-local variable of `size` bytes, and a
/// program reaching it with the initial-exec model from two threads.
fn tls_library_program(dir: &Path, size: usize) -> PathBuf {
    let lib_src = dir.join("tlsx.c");
    std::fs::write(
        &lib_src,
        format!(
            "__thread int counter = 41;\n\
             __thread char padding[{size}] = {{1}};\n\
             int bump(void) {{ return ++counter + padding[0]; }}\n"
        ),
    )
    .unwrap();
    check(
        Command::new("gcc")
            .args(["-O2", "-fPIC", "-shared", "-o"])
            .arg(dir.join("libtlsx.so"))
            .arg(&lib_src),
    )
    .unwrap();
    compile_c(
        dir,
        "main",
        r#"
#include <pthread.h>
#include <stdio.h>
extern __thread int counter;
int bump(void);
static void *other(void *arg) {
    (void)arg;
    printf("other thread starts at %d, bumps to %d\n", counter, bump());
    return NULL;
}
int main(void) {
    counter += 10;
    printf("main thread bumps to %d\n", bump());
    pthread_t thread;
    pthread_create(&thread, NULL, other, NULL);
    pthread_join(thread, NULL);
    printf("main thread still has %d\n", counter);
    return 0;
}
"#,
        &["-O2", "-g", "-ftls-model=initial-exec"],
    )
}

/// `lantern run -L DIR -l tlsx MAIN`.
fn lantern_with_library(dir: &Path, main: &Path) -> Command {
    let mut command = Command::new(lantern());
    command
        .arg("run")
        .arg("-L")
        .arg(dir)
        .args(["-l", "tlsx"])
        .arg(main);
    command
}

/// The same program linked natively against the library (the oracle): it
/// gets the library's TLS at startup, where static TLS has room for any size.
fn native_with_library(dir: &Path, main: &PathBuf) -> Outcome {
    let rpath = format!("-Wl,-rpath,{}", dir.display());
    native(
        dir,
        "gcc",
        std::slice::from_ref(main),
        &["-L", dir.to_str().unwrap(), "-ltlsx", "-lpthread", &rpath],
    )
}

#[test]
fn library_thread_locals_reach_initial_exec_code() {
    let dir = scratch("host-libraries-tls");
    let main = tls_library_program(&dir, 64);
    let out = run(&mut lantern_with_library(&dir, &main));
    assert_eq!(out, native_with_library(&dir, &main));
}

#[test]
fn library_tls_beyond_the_static_reserve_is_a_clear_error() {
    let dir = scratch("host-libraries-tls-big");
    let main = tls_library_program(&dir, 1 << 20);
    let out = run(&mut lantern_with_library(&dir, &main));
    assert_eq!(out.status, "exit 1", "{out:?}");
    for text in [
        "libtlsx.so",
        "static TLS",
        "GLIBC_TUNABLES=glibc.rtld.optional_static_tls",
    ] {
        assert!(
            out.stderr.contains(text),
            "{text:?} missing: {}",
            out.stderr
        );
    }
    // With the reserve the message asks for, the program runs as natively.
    let out = run(lantern_with_library(&dir, &main)
        .env("GLIBC_TUNABLES", "glibc.rtld.optional_static_tls=2000000"));
    assert_eq!(out, native_with_library(&dir, &main));
}
