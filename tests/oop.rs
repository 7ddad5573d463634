//! `lantern run` out of process: the program linked by Lantern runs in
//! lantern-executor (`--oop`, on a socketpair, proving a secret), in LLVM
//! 19's llvm-jitlink-executor (`--executor PATH`), or in an executor
//! listening on the loopback (`--connect`); stdout and exit status must
//! match the natively linked program's. Faults end with the program's own
//! status or an error naming what was being done.

mod support;

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use support::*;

const TIMEOUT: Duration = Duration::from_secs(120);
const LLVM_EXECUTOR: &str = "/usr/lib/llvm-19/bin/llvm-jitlink-executor";

/// Compiles a test program's sources (`-g -O1 -pthread`) and links the
/// native oracle. Returns the objects and the binary. `tag` keeps the
/// scratch directories of tests that build the same program in parallel
/// apart.
fn build(dir: &Path, name: &str, compiler: &str, ext: &str, tag: &str) -> (Vec<PathBuf>, PathBuf) {
    let src_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir).join(name);
    let out = scratch(&format!("oop-{name}-{tag}"));
    let mut sources: Vec<PathBuf> = std::fs::read_dir(&src_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    sources.sort();
    let objects: Vec<PathBuf> = sources
        .iter()
        .map(|src| {
            let obj = out.join(src.file_stem().unwrap()).with_extension("o");
            check(
                Command::new(compiler)
                    .args(["-c", "-g", "-O1", "-pthread"])
                    .arg(src)
                    .arg("-o")
                    .arg(&obj),
            )
            .unwrap();
            obj
        })
        .collect();
    let native = out.join("native");
    check(
        Command::new(compiler)
            .arg("-pthread")
            .args(&objects)
            .arg("-lm")
            .arg("-o")
            .arg(&native),
    )
    .unwrap();
    (objects, native)
}

fn run_lantern(how: &[&str], objects: &[PathBuf]) -> Outcome {
    run_with_timeout(
        Command::new(lantern())
            .arg("run")
            .args(how)
            .arg("-lm")
            .args(objects),
        TIMEOUT,
    )
    .unwrap()
}

/// Runs each program natively and under `lantern run HOW`; returns the
/// differences.
fn compare(how: &[&str], dir: &str, names: &[&str], compiler: &str, ext: &str) -> Vec<String> {
    let mut failures = Vec::new();
    for name in names {
        let tag: String = how
            .iter()
            .flat_map(|h| h.chars())
            .filter(char::is_ascii_alphanumeric)
            .collect();
        let (objects, native) = build(Path::new(dir), name, compiler, ext, &tag);
        let oracle = run_with_timeout(&mut Command::new(&native), TIMEOUT).unwrap();
        let ours = run_lantern(how, &objects);
        if (&ours.stdout, &ours.status) != (&oracle.stdout, &oracle.status) {
            failures.push(format!(
                "{name} under `lantern run {}`: {} vs native {}; stderr: {}",
                how.join(" "),
                ours.status,
                oracle.status,
                ours.stderr.lines().take(4).collect::<Vec<_>>().join(" | ")
            ));
        }
    }
    failures
}

/// C programs of tests/programs that run out of process like natively.
/// Not here: nested_functions (an executable stack), archive_semantics,
/// common_symbols and static_archive (link lines with archives, which
/// `compare` does not build).
const C_PROGRAMS: &[&str] = &[
    "abort_after_flush",
    "alloca_vla",
    "argv_handling",
    "bit_builtins",
    "bytecode_vm",
    "comdat_groups",
    "computed_goto",
    "ctors_dtors",
    "data_relocations",
    "decimal_float",
    "env_errno",
    "exit_from_nested_call",
    "floating_point",
    "function_pointers",
    "hash_table",
    "int128_math",
    "large_bss",
    "large_data",
    "main_returns_3",
    "malloc_strings",
    "many_functions",
    "mergeable_strings",
    "multi_object",
    "pthreads_counter",
    "qsort_structs",
    "recursion",
    "segv_recovery",
    "setjmp_longjmp",
    "signal_handlers",
    "static_locals",
    "stdio_basics",
    "struct_passing",
    "switch_tables",
    "varargs",
    "visibility",
    "weak_symbols",
];

/// The same with llvm-jitlink-executor, less what it lacks: `atexit`
/// (abort_after_flush, ctors_dtors, exit_from_nested_call: it lives in
/// libc_nonshared.a, which lantern-executor stands in for) and a `main` on
/// the main thread (signal_handlers: its `main` runs on a dispatch thread,
/// where process-directed signals may miss it).
const C_PROGRAMS_LLVM_EXECUTOR: &[&str] = &[
    "alloca_vla",
    "argv_handling",
    "bit_builtins",
    "bytecode_vm",
    "computed_goto",
    "data_relocations",
    "floating_point",
    "function_pointers",
    "hash_table",
    "int128_math",
    "large_data",
    "main_returns_3",
    "many_functions",
    "mergeable_strings",
    "multi_object",
    "pthreads_counter",
    "qsort_structs",
    "recursion",
    "setjmp_longjmp",
    "static_locals",
    "struct_passing",
    "switch_tables",
    "varargs",
];

/// The C++ programs of tests/cxx-programs, every one: exceptions across
/// objects and threads (eh-frames registered in the executor), static
/// constructors and destructors, iostreams, thread-locals of libstdc++.
const CXX_PROGRAMS: &[&str] = &[
    "comdat_identity",
    "ctor_exceptions",
    "exception_callbacks",
    "exceptions_across_objects",
    "exceptions_threads",
    "function_local_static",
    "futures_call_once",
    "iostream_format",
    "lambdas_function",
    "library_exceptions",
    "noexcept_terminate",
    "smart_pointers",
    "sort_algorithms",
    "static_objects",
    "std_threads",
    "templates_instantiation",
    "thread_local_objects",
    "uncaught_exception",
    "virtual_inheritance",
];

/// The C++ programs llvm-jitlink-executor cannot run as natively: `atexit`
/// is not in it (function_local_static, noexcept_terminate,
/// static_objects and uncaught_exception register exit handlers), so
/// static destructors do not run and iostreams are not flushed at exit
/// (comdat_identity and lambdas_function print nothing into a pipe); TLS,
/// which Lantern serves only with lantern-executor (futures_call_once,
/// thread_local_objects).
const CXX_NOT_IN_LLVM_EXECUTOR: &[&str] = &[
    "comdat_identity",
    "function_local_static",
    "futures_call_once",
    "lambdas_function",
    "noexcept_terminate",
    "static_objects",
    "thread_local_objects",
    "uncaught_exception",
];

#[test]
fn c_programs_in_lantern_executor() {
    if !have_gcc() {
        return;
    }
    let exe = executor();
    assert!(exe.exists());
    let failures = compare(&["--oop"], "tests/programs", C_PROGRAMS, "gcc", "c");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn c_programs_in_llvm_jitlink_executor() {
    if !have_gcc()
        || !(Path::new(LLVM_EXECUTOR).exists() || missing("llvm-jitlink-executor (llvm-19)"))
    {
        return;
    }
    let failures = compare(
        &["--executor", LLVM_EXECUTOR],
        "tests/programs",
        C_PROGRAMS_LLVM_EXECUTOR,
        "gcc",
        "c",
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn cxx_programs_in_both_executors() {
    if !have(&[(&["g++"], "g++")]) {
        return;
    }
    executor();
    let mut failures = compare(&["--oop"], "tests/cxx-programs", CXX_PROGRAMS, "g++", "cpp");
    if Path::new(LLVM_EXECUTOR).exists() || missing("llvm-jitlink-executor (llvm-19)") {
        let names: Vec<&str> = CXX_PROGRAMS
            .iter()
            .copied()
            .filter(|n| !CXX_NOT_IN_LLVM_EXECUTOR.contains(n))
            .collect();
        failures.extend(compare(
            &["--executor", LLVM_EXECUTOR],
            "tests/cxx-programs",
            &names,
            "g++",
            "cpp",
        ));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn an_executor_killed_during_main_ends_lantern_the_same_way() {
    if !have_gcc() {
        return;
    }
    executor();
    let dir = scratch("oop-killed");
    let obj = compile_c(
        &dir,
        "killed",
        "#include <signal.h>\n#include <stdio.h>\nint main(void) { puts(\"before\"); fflush(stdout); raise(SIGKILL); puts(\"after\"); return 0; }\n",
        &["-g"],
    );
    let out = run_with_timeout(
        Command::new(lantern()).args(["run", "--oop"]).arg(&obj),
        TIMEOUT,
    )
    .unwrap();
    assert_eq!(out.stdout, "before\n");
    assert_eq!(out.status, "signal 9", "{}", out.stderr);
    assert!(out.stderr.contains("killed by signal 9"), "{}", out.stderr);
}

#[test]
fn executor_failures_name_what_was_being_done() {
    if !have_gcc() {
        return;
    }
    let dir = scratch("oop-failures");
    let obj = compile_c(&dir, "m", "int main(void) { return 0; }\n", &[]);
    let cases: [(&[&str], &str); 3] = [
        (
            &["--executor", "/nonexistent/executor"],
            "/nonexistent/executor: starting it",
        ),
        (
            &["--executor", "/bin/true"],
            "waiting for its setup message: it closed the connection",
        ),
        (&["--connect", "127.0.0.1:1"], "127.0.0.1:1: connecting"),
    ];
    for (how, expected) in cases {
        let out = run_with_timeout(
            Command::new(lantern()).arg("run").args(how).arg(&obj),
            TIMEOUT,
        )
        .unwrap();
        assert_eq!(out.status, "exit 1", "{how:?}: {}", out.stderr);
        assert!(out.stderr.contains(expected), "{how:?}: {}", out.stderr);
    }
}

#[test]
fn a_listening_executor_serves_only_the_controller_with_the_secret() {
    if !have_gcc() {
        return;
    }
    let exe = executor();
    let dir = scratch("oop-tcp");
    let obj = compile_c(
        &dir,
        "hello",
        "#include <stdio.h>\nint main(int argc, char **argv) { printf(\"hello %s %d\\n\", argv[0], argc); return 5; }\n",
        &["-g"],
    );
    let secret = "f00dfeedf00dfeedf00dfeedf00dfeed";
    let secret_file = dir.join("secret");
    std::fs::write(&secret_file, secret).unwrap();
    std::fs::set_permissions(
        &secret_file,
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    let listen = |dir: &Path| {
        let mut child = Command::new(&exe)
            .arg("listen=:0")
            .arg(format!("secret-file={}", secret_file.display()))
            .current_dir(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        stderr.read_line(&mut line).unwrap();
        let addr = line
            .trim()
            .strip_prefix("lantern-executor: listening on ")
            .unwrap()
            .to_string();
        assert!(addr.starts_with("127.0.0.1:"), "{addr}");
        (child, addr, stderr)
    };
    // With the secret: the program runs there (its stdout is the executor's).
    let (child, addr, _stderr) = listen(&dir);
    let out = run_with_timeout(
        Command::new(lantern())
            .env("LANTERN_EXECUTOR_SECRET", secret)
            .args(["run", "--connect", &addr, "--argv0", "prog", "--verbose"])
            .arg(&obj),
        TIMEOUT,
    )
    .unwrap();
    assert_eq!(out.status, "exit 5", "{}", out.stderr);
    // On the loopback, the executor's memory is shared with the controller.
    assert!(out.stderr.contains("shared memory: on ("), "{}", out.stderr);
    let executor_out = child.wait_with_output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&executor_out.stdout),
        "hello prog 1\n"
    );
    // Without it: refused before anything runs, and the controller says so.
    let (child, addr, mut stderr) = listen(&dir);
    let out = run_with_timeout(
        Command::new(lantern())
            .env_remove("LANTERN_EXECUTOR_SECRET")
            .args(["run", "--connect", &addr])
            .arg(&obj),
        TIMEOUT,
    )
    .unwrap();
    assert_eq!(out.status, "exit 1");
    assert!(
        out.stderr.contains("waiting for its setup message"),
        "{}",
        out.stderr
    );
    let executor_out = child.wait_with_output().unwrap();
    assert!(executor_out.stdout.is_empty());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    assert!(rest.contains("connection refused"), "{rest}");
}

/// The executor killed (SIGKILL) while idle between links, and during a
/// link's finalize: the next call fails at once with an error naming the
/// call and how the executor ended; nothing hangs.
#[test]
fn a_killed_executor_fails_the_next_call_with_the_cause() {
    use lantern_core::executor::remote::Auth;
    use lantern_core::executor::{ExecutorControl, RemoteExecutor};
    use lantern_core::session::{LinkUnit, Session, SessionOptions};
    use std::sync::Arc;
    if !have_gcc() {
        return;
    }
    let exe = executor();
    let dir = scratch("oop-kill9");
    let obj = compile_c(&dir, "f", "int f(int x) { return x + 1; }\n", &["-g"]);
    let kill = |remote: &RemoteExecutor| {
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(remote.pid().unwrap() as i32, libc::SIGKILL) };
    };
    // Idle: killed after connecting; the link's first call fails.
    let remote = Arc::new(RemoteExecutor::spawn(exe.to_str().unwrap(), Auth::Secret).unwrap());
    kill(&remote);
    let session = Session::new(remote.clone(), SessionOptions::default());
    let mut unit = LinkUnit::default();
    unit.add_bytes("f.o", std::fs::read(&obj).unwrap());
    let err = session.link(unit).unwrap_err().to_string();
    assert!(err.contains("was killed by signal 9"), "{err}");
    // Calls after that fail at once, naming the closed connection.
    let err = remote.load_library("libm.so.6").unwrap_err().to_string();
    assert!(
        err.contains("loading libm.so.6") && err.contains("connection is closed"),
        "{err}"
    );
    // During a link: the executor dies between reserve and finalize.
    let remote = Arc::new(RemoteExecutor::spawn(exe.to_str().unwrap(), Auth::Secret).unwrap());
    let request = lantern_core::memory::AllocRequest {
        segments: vec![lantern_core::memory::SegmentRequest {
            prot: lantern_core::executor_types::MemProt::ReadExec,
            lifetime: lantern_core::executor_types::MemLifetime::Standard,
            size: 16,
            align: 16,
        }],
        placement: lantern_core::memory::Placement::Anywhere,
    };
    let alloc = remote.memory_manager().allocate(&request).unwrap();
    kill(&remote);
    let err = alloc.finalize(Vec::new()).unwrap_err().to_string();
    assert!(err.contains("finalizing the allocation at 0x"), "{err}");
    assert!(err.contains("was killed by signal 9"), "{err}");
}

/// Calls overlap: while one thread's `main` runs in the executor (an
/// unbounded call, whose wait reads the stream for every call), threads
/// looking symbols up each get their own answers, and the program's status.
#[test]
fn calls_from_many_threads_each_get_their_own_reply() {
    use lantern_core::executor::remote::Auth;
    use lantern_core::executor::{ExecutorControl, RemoteExecutor};
    use lantern_core::session::{LinkUnit, Session, SessionOptions};
    use std::sync::Arc;
    if !have_gcc() {
        return;
    }
    let exe = executor();
    let dir = scratch("oop-overlap");
    let obj = compile_c(
        &dir,
        "slow",
        "#include <unistd.h>\nint main(void) { usleep(300000); return 7; }\n",
        &["-g"],
    );
    let remote = Arc::new(RemoteExecutor::spawn(exe.to_str().unwrap(), Auth::Secret).unwrap());
    let names: [&[&str]; 3] = [
        &["printf", "malloc"],
        &["puts"],
        &["free", "no_such_symbol", "qsort"],
    ];
    let expected: Vec<Vec<Option<u64>>> = names
        .iter()
        .map(|n| {
            remote
                .lookup_symbols(n)
                .iter()
                .map(|s| s.as_ref().map(|s| s.addr.0))
                .collect()
        })
        .collect();
    assert!(expected[0].iter().all(Option::is_some) && expected[2][1].is_none());
    let session = Session::new(remote.clone(), SessionOptions::default());
    let mut unit = LinkUnit::default();
    unit.add_bytes("slow.o", std::fs::read(&obj).unwrap());
    let linked = session.link(unit).unwrap();
    let entry = linked.lookup("main").unwrap();
    let started = std::time::Instant::now();
    std::thread::scope(|scope| {
        let runner = scope.spawn(|| {
            remote
                .run_main(entry, linked.initializers(), &["slow".to_string()])
                .unwrap()
        });
        let lookers: Vec<_> = (0..4)
            .map(|t| {
                let (remote, names, expected) = (&remote, &names, &expected);
                scope.spawn(move || {
                    let mut calls = 0;
                    while calls < 50 || started.elapsed() < std::time::Duration::from_millis(100) {
                        let i = (t + calls) % names.len();
                        let got: Vec<Option<u64>> = remote
                            .lookup_symbols(names[i])
                            .iter()
                            .map(|s| s.as_ref().map(|s| s.addr.0))
                            .collect();
                        assert_eq!(got, expected[i], "thread {t}, call {calls}");
                        calls += 1;
                    }
                    calls
                })
            })
            .collect();
        for looker in lookers {
            assert!(looker.join().unwrap() >= 50);
        }
        assert_eq!(runner.join().unwrap(), 7);
    });
}

/// gdb runs lantern-executor; `lantern run --connect` links a program whose
/// debug object Lantern copies into the executor and registers there: the
/// session shows what gdb shows for the native program.
#[test]
fn gdb_in_the_executor_sees_lanterns_debug_objects() {
    if !have_gcc() || !have(&[(&["gdb"], "gdb")]) {
        return;
    }
    let exe = executor();
    let dir = scratch("oop-gdb");
    let source = "#include <stdio.h>\nint counter = 41;\nint bump(int by) {\n  int local = counter + by;\n  counter = local;\n  return local;\n}\nint main(void) { printf(\"%d\\n\", bump(1)); return 0; }\n";
    let obj = compile_c(&dir, "dbg", source, &["-g", "-O0"]);
    let native = dir.join("dbg-native");
    link_native(&[&obj], &native).unwrap();
    let script = dir.join("session.gdb");
    std::fs::write(
        &script,
        "set breakpoint pending on\nbreak bump\nrun\nbt 2\nprint by\nprint counter\nnext\nnext\nprint local\ncontinue\n",
    )
    .unwrap();
    let secret = "0123456789abcdef0123456789abcdef";
    let secret_file = dir.join("secret");
    std::fs::write(&secret_file, secret).unwrap();
    std::fs::set_permissions(
        &secret_file,
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    let gdb = |args: &[&std::ffi::OsStr]| {
        Command::new("gdb")
            .args(["-q", "-batch", "-nx", "-x"])
            .arg(&script)
            .arg("--args")
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let prefix = format!("{}/", dir.display());
    let seen = |out: &str| -> Vec<String> {
        out.replace(&prefix, "")
            .lines()
            .filter_map(|l| {
                if let Some(i) = l.find("Breakpoint 1, ") {
                    return Some(l[i..].to_string());
                }
                if l.starts_with('$') || l.starts_with("#0 ") {
                    return Some(l.to_string());
                }
                l.strip_prefix("#1  ")
                    .map(|r| format!("#1 {}", r.split_once(" in ").map_or(r, |(_, f)| f)))
            })
            .collect()
    };
    let native_session = gdb(&[native.as_os_str()]).wait_with_output().unwrap();
    let expected = seen(&String::from_utf8_lossy(&native_session.stdout));
    assert_eq!(expected.len(), 6, "{expected:?}");
    let secret_arg = format!("secret-file={}", secret_file.display());
    let mut session = gdb(&[
        exe.as_os_str(),
        std::ffi::OsStr::new("listen=:0"),
        std::ffi::OsStr::new(&secret_arg),
    ]);
    let stderr = session.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if let Some(addr) = line.strip_prefix("lantern-executor: listening on ") {
                let _ = tx.send(addr.to_string());
            }
        }
    });
    let addr = rx.recv_timeout(TIMEOUT).expect("the executor listens");
    let controller = run_with_timeout(
        Command::new(lantern())
            .env("LANTERN_EXECUTOR_SECRET", secret)
            .args(["run", "--connect", &addr])
            .arg(&obj),
        TIMEOUT,
    )
    .unwrap();
    let out = session.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(seen(&text), expected, "gdb on the executor:\n{text}");
    assert_eq!(controller.status, "exit 0", "{}", controller.stderr);
}

/// Executors that answer with garbage: an oversized header, a truncated
/// message, a setup message that does not decode, a Result to a call
/// nobody made. The controller reports each, naming the step.
#[test]
fn malformed_executor_messages_are_errors() {
    if !have_gcc() {
        return;
    }
    let dir = scratch("oop-garbage");
    let obj = compile_c(&dir, "m", "int main(void) { return 0; }\n", &[]);
    // Each fake executor writes its bytes (printf escapes) to the
    // descriptor it is given and exits. (One that stops sending without
    // exiting is a timeout: 60 s, `CALL_TIMEOUT`.)
    let cases = [
        // size 2^64-1, opcode Setup
        (
            "oversized",
            r"\377\377\377\377\377\377\377\377\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0",
            "exceeds the limit",
        ),
        // size 64, then 8 payload bytes and the end
        (
            "truncated",
            r"\100\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1\2\3\4\5\6\7\10",
            "truncated payload",
        ),
        // a Setup of 8 bytes: a string length of 2^64-1
        (
            "bad setup",
            r"\50\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\377\377\377\377\377\377\377\377",
            "reading its setup message",
        ),
        // a Result (opcode 2) first
        (
            "result first",
            r"\40\0\0\0\0\0\0\0\2\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0",
            "got Result instead",
        ),
    ];
    for (name, bytes, expected) in cases {
        let fake = dir.join(name.replace(' ', "-"));
        std::fs::write(
            &fake,
            format!("#!/bin/sh\nfd=${{1#filedescs=}}; fd=${{fd%,*}}\nprintf '{bytes}' >&$fd\n"),
        )
        .unwrap();
        std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        let out = run_with_timeout(
            Command::new(lantern())
                .args(["run", "--executor"])
                .arg(&fake)
                .arg(&obj),
            TIMEOUT,
        )
        .unwrap();
        assert_eq!(out.status, "exit 1", "{name}: {}", out.stderr);
        assert!(out.stderr.contains(expected), "{name}: {}", out.stderr);
    }
}

/// lldb-19 attached (`-p`) to a listening lantern-executor before `lantern
/// run --connect` links and runs: the pending breakpoint binds when
/// Lantern's debug object is registered in the executor.
#[test]
fn lldb_attached_to_the_executor_sees_lanterns_debug_objects() {
    if !have_gcc() || !have(&[(&["lldb-19"], "lldb-19")]) {
        return;
    }
    let exe = executor();
    let dir = scratch("oop-lldb");
    let source = "#include <stdio.h>\nint counter = 41;\nint bump(int by) {\n  int local = counter + by;\n  counter = local;\n  return local;\n}\nint main(void) { printf(\"%d\\n\", bump(1)); return 0; }\n";
    let obj = compile_c(&dir, "dbg", source, &["-g", "-O0"]);
    let secret = "0123456789abcdef0123456789abcdef";
    let secret_file = dir.join("secret");
    std::fs::write(&secret_file, secret).unwrap();
    std::fs::set_permissions(
        &secret_file,
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    let mut executor = Command::new(&exe)
        .arg("listen=:0")
        .arg(format!("secret-file={}", secret_file.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(executor.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let addr = line
        .trim()
        .strip_prefix("lantern-executor: listening on ")
        .unwrap()
        .to_string();
    let pid = executor.id();
    let lldb = Command::new("lldb-19")
        .args([
            "-b",
            "-o",
            "settings set plugin.jit-loader.gdb.enable on",
            "-o",
            "breakpoint set -n bump",
        ])
        .args(["-o", &format!("process attach -p {pid}")])
        .args([
            "-o",
            "continue",
            "-o",
            "bt 2",
            "-o",
            "frame variable by",
            "-o",
            "target variable counter",
        ])
        .args(["-o", "process detach"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while !std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .any(|l| l.starts_with("TracerPid:") && l.split_whitespace().nth(1) != Some("0"))
    {
        assert!(start.elapsed() < TIMEOUT, "lldb never attached");
        std::thread::sleep(Duration::from_millis(20));
    }
    let controller = run_with_timeout(
        Command::new(lantern())
            .env("LANTERN_EXECUTOR_SECRET", secret)
            .args(["run", "--connect", &addr])
            .arg(&obj),
        TIMEOUT,
    )
    .unwrap();
    let out = lldb.wait_with_output().unwrap();
    let _ = executor.kill();
    let _ = executor.wait();
    let text = String::from_utf8_lossy(&out.stdout);
    for expected in [
        "stop reason = breakpoint 1.1",
        "`bump(by=1) at dbg.c:4",
        "`main at dbg.c:8",
        "(int) by = 1",
        "(int) counter = 41",
    ] {
        assert!(
            text.contains(expected),
            "`{expected}` missing:\n{text}\ncontroller: {}",
            controller.stderr
        );
    }
    assert_eq!(controller.status, "exit 0", "{}", controller.stderr);
}

/// The JIT'd frames of a crash report: (function, file name, line, column)
/// of each `#N 0xADDR in FUNC at FILE:LINE:COL` line.
fn report_frames(stderr: &str) -> Vec<(String, String, u32, u32)> {
    stderr
        .lines()
        .filter(|l| l.starts_with('#'))
        .filter_map(|l| {
            let rest = l.split_once(" in ")?.1;
            let (function, location) = rest.rsplit_once(" at ")?;
            let mut parts = location.rsplitn(3, ':');
            let column = parts.next()?.parse().ok()?;
            let line = parts.next()?.parse().ok()?;
            let file = parts.next()?.rsplit('/').next()?.to_string();
            Some((function.to_string(), file, line, column))
        })
        .collect()
}

/// The report's first line: `lantern: SIGSEGV (invalid memory reference) at ...`.
fn report_signal(stderr: &str) -> Option<&str> {
    stderr
        .lines()
        .find(|l| l.starts_with("lantern: SIG"))
        .and_then(|l| l.split_whitespace().nth(1))
}

/// A crash in the executor prints the report the in-process `lantern run`
/// prints (the executor symbolizes JIT'd frames from the tables the
/// controller sent), and ends like the native program (death by the signal).
/// With `--no-crash-handler` no tables are sent and no report is printed.
#[test]
fn crash_reports_from_the_executor_match_in_process() {
    if !have_gcc() {
        return;
    }
    executor();
    let mut failures = Vec::new();
    // deep_null: a null dereference three calls deep, over three objects;
    // inlined: inlined frames; divide_by_zero: SIGFPE; assert_abort:
    // SIGABRT from libc.
    for (name, min_frames) in [
        ("deep_null", 4),
        ("inlined", 3),
        ("divide_by_zero", 2),
        ("assert_abort", 2),
    ] {
        let (objects, native) = build(Path::new("tests/crash-programs"), name, "gcc", "c", "crash");
        let oracle = run_with_timeout(&mut Command::new(&native), TIMEOUT).unwrap();
        let in_process = run_lantern(&[], &objects);
        let oop = run_lantern(&["--oop"], &objects);
        let (want, got) = (
            report_frames(&in_process.stderr),
            report_frames(&oop.stderr),
        );
        if want.len() < min_frames
            || got != want
            || report_signal(&oop.stderr) != report_signal(&in_process.stderr)
            || report_signal(&oop.stderr).is_none()
            || oop.status != oracle.status
            || in_process.status != oracle.status
            // The executor's own frames are named from its symbol table.
            || !oop.stderr.contains(" in lantern_executor::")
            || oop.stderr.contains("?? (lantern-executor)")
        {
            failures.push(format!(
                "{name}: native {}, in process {}, --oop {}\nin-process report:\n{}\n--oop report:\n{}",
                oracle.status, in_process.status, oop.status, in_process.stderr, oop.stderr
            ));
        }
        let quiet = run_lantern(&["--oop", "--no-crash-handler"], &objects);
        if quiet.status != oracle.status
            || report_signal(&quiet.stderr).is_some()
            || !report_frames(&quiet.stderr).is_empty()
        {
            failures.push(format!(
                "{name} --oop --no-crash-handler: {} vs native {}
{}",
                quiet.status, oracle.status, quiet.stderr
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Compiles a program of tests/tls-programs (C with gcc, C++ with g++,
/// `-g -O1 -pthread` and `flags`) and links the native oracle (with g++ if
/// any source is C++).
fn build_tls(name: &str, flags: &[&str], tag: &str) -> (Vec<PathBuf>, PathBuf) {
    build_with_flags("tests/tls-programs", name, flags, tag)
}

/// [`build_tls`] for a program of any directory.
fn build_with_flags(dir: &str, name: &str, flags: &[&str], tag: &str) -> (Vec<PathBuf>, PathBuf) {
    let src_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir).join(name);
    let out = scratch(&format!("oop-tls-{name}-{tag}"));
    let mut sources: Vec<PathBuf> = std::fs::read_dir(&src_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "c" || e == "cpp"))
        .collect();
    sources.sort();
    let cxx = sources
        .iter()
        .any(|p| p.extension().is_some_and(|e| e == "cpp"));
    let objects: Vec<PathBuf> = sources
        .iter()
        .map(|src| {
            let is_cxx = src.extension().is_some_and(|e| e == "cpp");
            let obj = out.join(src.file_name().unwrap()).with_extension("o");
            check(
                Command::new(if is_cxx { "g++" } else { "gcc" })
                    .args(["-c", "-g", "-O1", "-pthread"])
                    .args(flags)
                    .arg(src)
                    .arg("-o")
                    .arg(&obj),
            )
            .unwrap();
            obj
        })
        .collect();
    let native = out.join("native");
    check(
        Command::new(if cxx { "g++" } else { "gcc" })
            .arg("-pthread")
            .args(&objects)
            .arg("-lm")
            .arg("-o")
            .arg(&native),
    )
    .unwrap();
    (objects, native)
}

/// Thread-local storage in lantern-executor: the programs of
/// tests/tls-programs in the models gcc and g++ emit for objects linked into
/// an executable (initial-exec and local-exec), and with `-fPIC`
/// (general- and local-dynamic) and `-fPIC -mtls-dialect=gnu2` (TLS
/// descriptors) on those that use every model, give the native stdout and
/// status (exit handlers and the main thread's `thread_local` destructors
/// see the main thread's values: the executor exits on its main thread).
#[test]
fn tls_programs_in_lantern_executor() {
    if !have(&[(&["gcc"], "gcc"), (&["g++"], "g++")]) {
        return;
    }
    executor();
    let all = [
        "address_passing",
        "cxx_dynamic_init",
        "cxx_thread_local_mixed",
        "extern_across_objects",
        "large_tbss",
        "many_threads",
        "models_and_ctors",
        "pthread_copies",
        "qsort_callback",
        "static_local_tls",
        "tdata_tbss",
    ];
    let some = [
        "cxx_thread_local_mixed",
        "extern_across_objects",
        "models_and_ctors",
    ];
    let configurations: [(&str, &[&str], &[&str]); 3] = [
        ("default", &[], &all),
        ("pic", &["-fPIC"], &some),
        ("desc", &["-fPIC", "-mtls-dialect=gnu2"], &some),
    ];
    let mut failures = Vec::new();
    for (tag, flags, names) in configurations {
        for name in names {
            let (objects, native) = build_tls(name, flags, tag);
            let oracle = run_with_timeout(&mut Command::new(&native), TIMEOUT).unwrap();
            let ours = run_lantern(&["--oop"], &objects);
            if (&ours.stdout, &ours.status) != (&oracle.stdout, &oracle.status) {
                failures.push(format!(
                    "{name} ({tag}) under --oop: {} vs native {}\nstdout:\n{}\nnative:\n{}\nstderr: {}",
                    ours.status, oracle.status, ours.stdout, oracle.stdout, ours.stderr
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// What cannot be: static TLS aligned above 64 bytes is the in-process
/// error out of process too; LLVM's executor, which has no TLS wrapper, is
/// a clear error naming what is missing.
#[test]
fn tls_errors_out_of_process_name_the_cause() {
    if !have_gcc() {
        return;
    }
    executor();
    let (objects, _) = build_tls("overaligned_tls", &[], "default");
    let in_process = run_lantern(&[], &objects);
    let oop = run_lantern(&["--oop"], &objects);
    assert_eq!(oop.status, "exit 1", "{}", oop.stderr);
    assert_eq!(in_process.status, "exit 1", "{}", in_process.stderr);
    let error = |s: &str| {
        s.lines()
            .find(|l| l.starts_with("lantern: error"))
            .map(str::to_string)
    };
    assert!(error(&oop.stderr).is_some(), "{}", oop.stderr);
    assert_eq!(error(&oop.stderr), error(&in_process.stderr));
    assert!(oop.stderr.contains("64-byte alignment"), "{}", oop.stderr);
    if Path::new(LLVM_EXECUTOR).exists() || missing("llvm-jitlink-executor (llvm-19)") {
        let (objects, _) = build_tls("tdata_tbss", &[], "llvm");
        let out = run_lantern(&["--executor", LLVM_EXECUTOR], &objects);
        assert_eq!(out.status, "exit 1", "{}", out.stderr);
        assert!(
            out.stderr
                .contains("thread-local storage out of process needs lantern-executor"),
            "{}",
            out.stderr
        );
    }
}

/// A thread-local variable of a library in the executor (libstdc++'s
/// `std::call_once` state): with `-fPIC` (general dynamic: module id and
/// offset, from lantern-executor's lookup) and with the default
/// initial-exec model (lantern-executor places libstdc++'s TLS in static
/// TLS when it loads it, as the in-process executor does), the native
/// output.
#[test]
fn library_thread_locals_in_lantern_executor() {
    if !have(&[(&["g++"], "g++")]) {
        return;
    }
    executor();
    for (flags, tag) in [(&["-fPIC"][..], "pic"), (&[][..], "default")] {
        let (objects, native) =
            build_with_flags("tests/cxx-programs", "futures_call_once", flags, tag);
        let oracle = run_with_timeout(&mut Command::new(&native), TIMEOUT).unwrap();
        let ours = run_lantern(&["--oop"], &objects);
        assert_eq!(
            (&ours.stdout, &ours.status),
            (&oracle.stdout, &oracle.status),
            "{tag}: {}",
            ours.stderr
        );
    }
}

/// A mapping of memory shared between controller and executor
/// (`memfd:lantern-shm-...`) in a `/proc/PID/maps` text.
#[derive(Debug)]
struct ShmMapping {
    perms: String,
    inode: String,
    /// The range of the memfd it maps (file offsets).
    file: std::ops::Range<u64>,
}

fn shm_mappings(maps: &str) -> Vec<ShmMapping> {
    maps.lines()
        .filter(|l| l.contains("memfd:lantern-shm-"))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let (start, end) = f[0].split_once('-').unwrap();
            let len =
                u64::from_str_radix(end, 16).unwrap() - u64::from_str_radix(start, 16).unwrap();
            let offset = u64::from_str_radix(f[2], 16).unwrap();
            ShmMapping {
                perms: f[1].to_string(),
                inode: f[4].to_string(),
                file: offset..offset + len,
            }
        })
        .collect()
}

/// Runs `lantern run HOW` on a program that prints the executor's pid and
/// waits for a line on stdin; meanwhile reads the executor's and the
/// controller's `/proc/PID/maps`. Returns (executor maps, controller maps,
/// the program's stdout, lantern's stderr, lantern's status).
fn maps_during_main(how: &[&str], obj: &Path) -> (String, String, String, String, String) {
    use std::io::{Read, Write};
    let mut child = Command::new(lantern())
        .arg("run")
        .args(how)
        .arg(obj)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let controller = child.id();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut stderr = child.stderr.take().unwrap();
    let err_thread = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut line = String::new();
        let _ = stdout.read_line(&mut line);
        let _ = tx.send(line);
        let mut rest = String::new();
        let _ = stdout.read_to_string(&mut rest);
        rest
    });
    let line = match rx.recv_timeout(TIMEOUT) {
        Ok(line) => line,
        Err(_) => {
            let _ = child.kill();
            panic!("no pid from the program within {TIMEOUT:?}");
        }
    };
    let pid: u32 = match line.trim().parse() {
        Ok(pid) => pid,
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "expected a pid, got {line:?}: {}",
                err_thread.join().unwrap()
            );
        }
    };
    let executor_maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).unwrap();
    let controller_maps = std::fs::read_to_string(format!("/proc/{controller}/maps")).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"x\n").unwrap();
    drop(stdin);
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            panic!("lantern did not exit within {TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let rest = reader.join().unwrap();
    (
        executor_maps,
        controller_maps,
        line + &rest,
        err_thread.join().unwrap(),
        format!("{status}"),
    )
}

/// With shared memory, lantern-executor's JIT'd code is mapped from the
/// memfd the controller wrote: read while `main` runs, the executor's maps
/// show such executable mappings but no `rwx` mapping at all and no
/// writable view of memfd pages that are also mapped executable (a unit's
/// data pages are in the same memfd as its code, at other offsets); the
/// controller, which unmaps its view before finalize, has none left.
/// `--no-shared-memory` leaves no shared mapping.
#[test]
fn shared_memory_leaves_no_writable_view_of_code() {
    if !have_gcc() {
        return;
    }
    executor();
    let dir = scratch("oop-shm-maps");
    let obj = compile_c(
        &dir,
        "wait",
        "#include <stdio.h>\n#include <unistd.h>\nstatic int data = 21;\nint twice(int x) { return 2 * x; }\n\
         int main(void) { printf(\"%d\\n\", (int)getpid()); fflush(stdout); int c = getchar();\n\
         printf(\"done %d %c\\n\", twice(data), c); return 0; }\n",
        &["-g"],
    );
    let (exe_maps, ctl_maps, out, err, status) = maps_during_main(&["--oop", "--verbose"], &obj);
    assert!(out.ends_with("done 42 x\n"), "{out} {err}");
    assert_eq!(status, "exit status: 0", "{err}");
    assert!(err.contains("shared memory: on ("), "{err}");
    let rwx: Vec<&str> = exe_maps
        .lines()
        .filter(|l| {
            l.split_whitespace()
                .nth(1)
                .is_some_and(|p| p.starts_with("rwx"))
        })
        .collect();
    assert!(rwx.is_empty(), "rwx mappings in the executor: {rwx:#?}");
    let shm = shm_mappings(&exe_maps);
    let exec: Vec<&ShmMapping> = shm.iter().filter(|m| m.perms.contains('x')).collect();
    assert!(
        !exec.is_empty(),
        "no executable shared mapping in the executor:\n{exe_maps}"
    );
    assert!(
        shm.iter().any(|m| m.perms.contains('w')),
        "no writable shared mapping (data) in the executor:\n{exe_maps}"
    );
    for x in &exec {
        let writable: Vec<&ShmMapping> = shm
            .iter()
            .filter(|w| {
                w.inode == x.inode
                    && w.perms.contains('w')
                    && w.file.start < x.file.end
                    && x.file.start < w.file.end
            })
            .collect();
        assert!(
            writable.is_empty(),
            "code of {x:?} has a writable view in the executor: {writable:?}"
        );
    }
    assert!(
        shm_mappings(&ctl_maps).is_empty(),
        "the controller still maps shared memory while main runs:\n{ctl_maps}"
    );
    // Off: the same program, nothing shared.
    let (exe_maps, _, out, err, _) =
        maps_during_main(&["--oop", "--verbose", "--no-shared-memory"], &obj);
    assert!(out.ends_with("done 42 x\n"), "{out} {err}");
    assert!(err.contains("shared memory: off"), "{err}");
    assert!(shm_mappings(&exe_maps).is_empty(), "{exe_maps}");
}

/// Executors without lantern-executor's shared-memory wrapper get the
/// bytes in the finalize message, as before: LLVM's executor (no such
/// bootstrap symbol), and a lantern-executor in another pid namespace
/// (reached over TCP, its pid names another process here: the memfd's
/// name does not match, shared memory is declined, the program runs).
#[test]
fn shared_memory_falls_back_when_not_offered_or_declined() {
    if !have_gcc() {
        return;
    }
    let exe = executor();
    let dir = scratch("oop-shm-fallback");
    let obj = compile_c(
        &dir,
        "hello",
        "#include <stdio.h>\nint counter = 41;\nint main(int argc, char **argv) { printf(\"hello %d\\n\", counter + argc); return 3; }\n",
        &["-g"],
    );
    if Path::new(LLVM_EXECUTOR).exists() || missing("llvm-jitlink-executor (llvm-19)") {
        let out = run_lantern(
            &[
                "--executor",
                LLVM_EXECUTOR,
                "--verbose",
                "--no-debugger-support",
            ],
            std::slice::from_ref(&obj),
        );
        assert_eq!(
            (out.stdout.as_str(), out.status.as_str()),
            ("hello 42\n", "exit 3"),
            "{}",
            out.stderr
        );
        assert!(
            out.stderr
                .contains("shared memory: not offered by the executor"),
            "{}",
            out.stderr
        );
    }
    let unshare_works = Command::new("unshare")
        .args(["--user", "--map-root-user", "--pid", "--fork", "true"])
        .status()
        .is_ok_and(|s| s.success())
        || Command::new("unshare")
            .args(["--pid", "--fork", "true"])
            .status()
            .is_ok_and(|s| s.success());
    if !unshare_works && !missing("unshare --pid (util-linux, with user or pid namespaces)") {
        return;
    }
    let pid_ns: &[&str] = if Command::new("unshare")
        .args(["--pid", "--fork", "true"])
        .status()
        .is_ok_and(|s| s.success())
    {
        &["--pid", "--fork"]
    } else {
        &["--user", "--map-root-user", "--pid", "--fork"]
    };
    let mut child = Command::new("unshare")
        .args(pid_ns)
        .arg(&exe)
        .arg("listen=:0")
        .env("LANTERN_EXECUTOR_ALLOW_LLVM_PROTOCOL", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let Some(addr) = line.trim().strip_prefix("lantern-executor: listening on ") else {
        let _ = child.kill();
        panic!("{line}");
    };
    let out = run_lantern(&["--connect", addr, "--verbose"], &[obj]);
    let executor_out = child.wait_with_output().unwrap();
    assert_eq!(out.status, "exit 3", "{}", out.stderr);
    assert_eq!(String::from_utf8_lossy(&executor_out.stdout), "hello 42\n");
    assert!(
        out.stderr.contains("shared memory declined"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("shared memory: declined: "),
        "{}",
        out.stderr
    );
}

/// Both memory paths to lantern-executor run the same programs: shared
/// memory is the default (`c_programs_in_lantern_executor`), the bytes in
/// the finalize message with `--no-shared-memory`.
#[test]
fn c_programs_in_lantern_executor_without_shared_memory() {
    if !have_gcc() {
        return;
    }
    executor();
    let failures = compare(
        &["--oop", "--no-shared-memory"],
        "tests/programs",
        &[
            "large_bss",
            "many_functions",
            "data_relocations",
            "ctors_dtors",
            "decimal_float",
        ],
        "gcc",
        "c",
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A large unit out of process: its partial symbol table is registered at
/// the link, the whole one (built from its DWARF on the controller's
/// background worker) follows while the program runs. A crash in the very
/// first constructor waits for it and reports what the in-process report
/// and gdb on the native program show.
#[test]
fn a_crash_in_the_first_constructor_of_a_large_unit_out_of_process() {
    if !have(&[(&["gcc"], "gcc"), (&["gdb"], "gdb")]) {
        return;
    }
    executor();
    let dir = scratch("oop-early-crash");
    let object = large_unit(&dir, "early", EARLY_CRASH_TAIL);
    let jit = run_with_timeout(
        Command::new(lantern())
            .args(["run", "--oop", "--verbose"])
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
    assert_early_crash_report(&dir, &object, &jit.stderr, "the executor's crash report");
}

/// A large unit's debug object is built and registered in the background
/// while `main` runs in the executor: gdb attaching to the executor then
/// finds the unit's functions with their source lines, as in process.
#[test]
fn gdb_attaching_to_the_executor_later_sees_a_large_unit() {
    if !have(&[(&["gcc"], "gcc"), (&["gdb"], "gdb")]) {
        return;
    }
    executor();
    let dir = scratch("oop-attach-late");
    let release = dir.join("release");
    let _ = std::fs::remove_file(&release);
    let object = large_unit(
        &dir,
        "late",
        &format!(
            "#include <unistd.h>\n\
             int main(void) {{\n\
               printf(\"ready\\n\"); fflush(stdout);\n\
               for (int i = 0; i < 1200 && access(\"{}\", F_OK) != 0; i++) usleep(50000);\n\
               return big_fn_1234(2) == 0;\n\
             }}\n",
            release.display()
        ),
    );
    let mut child = Command::new(lantern())
        .args(["run", "--oop", "--verbose"])
        .arg(&object)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "ready");
    let children =
        std::fs::read_to_string(format!("/proc/{0}/task/{0}/children", child.id())).unwrap();
    let executor_pid: u32 = children
        .split_whitespace()
        .next()
        .and_then(|p| p.parse().ok())
        .expect("lantern's executor child");
    // The registration may still be on its way: ask until gdb knows the
    // function's line, or the timeout.
    let start = std::time::Instant::now();
    let mut session = String::new();
    while start.elapsed() < TIMEOUT {
        let gdb = run_with_timeout(
            Command::new("gdb")
                .args(["-batch", "-nx", "-p", &executor_pid.to_string()])
                .args(["-ex", "info line big_fn_1234", "-ex", "detach"]),
            TIMEOUT,
        )
        .unwrap();
        session = format!("{}{}", gdb.stdout, gdb.stderr);
        if session.contains("late.c") {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    std::fs::write(&release, b"").unwrap();
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(
        stderr.contains("in the background"),
        "the unit's debug information was not deferred, so this tests nothing:\n{stderr}"
    );
    assert!(
        session.contains("Line ") && session.contains("late.c") && session.contains("big_fn_1234"),
        "gdb attached to the executor does not know big_fn_1234's line:\n{session}"
    );
    assert!(status.success(), "{status:?}\n{stderr}");
}

/// A debugger session that started lantern-executor listening, as `(hit n,
/// pc, JIT objects registered)` at each stop: the session prints `hit
/// n=N pc=ADDR` and then lists the registered objects (gdb's `maint info
/// jit`, lldb's `image list`).
fn churn_stops(session: &str, debugger: &str) -> Vec<(i64, String, usize)> {
    let mut stops: Vec<(i64, String, usize)> = Vec::new();
    for line in session.lines() {
        let line = line.trim();
        if let Some((n, pc)) = line
            .strip_prefix("hit n=")
            .and_then(|rest| rest.split_once(" pc="))
        {
            stops.push((n.trim().parse().unwrap_or(-1), pc.trim().to_string(), 0));
        } else if let Some(stop) = stops.last_mut() {
            let object = match debugger {
                "gdb" => line.starts_with("0x") && line.split_whitespace().count() == 3,
                _ => line.starts_with('[') && line.contains(" JIT(0x"),
            };
            stop.2 += usize::from(object);
        }
    }
    stops
}

/// `lantern churn --connect` drives lantern-executor started under gdb and
/// lldb: a breakpoint on the churned function stops in every copy, with
/// the arguments the native program's calls have, and at each stop the
/// executor has one JIT object registered: each removal in the controller
/// unregistered the unit's debug object in the executor (and gdb, whose
/// breakpoints a copy at the address of the removed one used to miss,
/// still stops there).
#[test]
fn removal_in_the_controller_unregisters_in_the_executor() {
    if !have_gcc() || !have_gdb_and_lldb() {
        return;
    }
    let exe = executor();
    let dir = scratch("oop-churn-debugger");
    let obj = compile_c(
        &dir,
        "work",
        "int work(int n)\n{\n  return n * 3 + 1;\n}\n",
        &["-g", "-O2"],
    );
    let main = compile_c(
        &dir,
        "main",
        "int work(int);\nint main(void) { int s = 0; for (int n = 0; n < 4; n++) s += work(n); return s == 0; }\n",
        &["-g", "-O0"],
    );
    let native = dir.join("native");
    link_native(&[&main, &obj], &native).unwrap();
    let secret = "fedcba9876543210fedcba9876543210";
    let secret_file = dir.join("secret");
    std::fs::write(&secret_file, secret).unwrap();
    std::fs::set_permissions(
        &secret_file,
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    let stops = 5;
    let session = |debugger: &str, program: &[&std::ffi::OsStr]| -> Command {
        let mut c;
        if debugger == "gdb" {
            c = Command::new("gdb");
            c.args(["-q", "-batch", "-nx", "-ex", "set breakpoint pending on"]);
            c.args(["-ex", "break work", "-ex", "run"]);
            for _ in 0..stops {
                c.args(["-ex", "printf \"hit n=%d pc=%p\\n\", n, $pc"]);
                c.args(["-ex", "maint info jit", "-ex", "continue"]);
            }
            c.arg("--args").args(program);
        } else {
            c = Command::new("lldb-19");
            c.args(["-b", "-o", "settings set plugin.jit-loader.gdb.enable on"]);
            c.args(["-o", "breakpoint set --name work", "-o"]);
            let mut launch = String::from("process launch --");
            for arg in &program[1..] {
                launch.push(' ');
                launch.push_str(&arg.to_string_lossy());
            }
            c.arg(launch);
            for _ in 0..stops {
                c.args(["-o", "script if lldb.process.GetState() == lldb.eStateStopped: print(f'hit n={lldb.frame.FindVariable(\"n\").GetValueAsSigned()} pc={lldb.frame.GetPC():#x}')"]);
                c.args(["-o", "image list", "-o", "process continue"]);
            }
            c.arg(program[0]);
        }
        c.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    };
    let secret_arg = format!("secret-file={}", secret_file.display());
    for debugger in ["gdb", "lldb"] {
        let oracle =
            run_with_timeout(&mut session(debugger, &[native.as_os_str()]), TIMEOUT).unwrap();
        let expected: Vec<i64> = churn_stops(&oracle.stdout, debugger)
            .iter()
            .map(|s| s.0)
            .collect();
        assert_eq!(
            expected,
            [0, 1, 2, 3],
            "{debugger} on the native program:\n{oracle:?}"
        );

        let mut child = session(
            debugger,
            &[
                exe.as_os_str(),
                std::ffi::OsStr::new("listen=127.0.0.1:0"),
                std::ffi::OsStr::new(&secret_arg),
            ],
        )
        .spawn()
        .unwrap();
        // gdb passes the executor's stderr through; lldb prints it on stdout.
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        let (out, err) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
        let readers: Vec<_> = [
            Box::new(out) as Box<dyn std::io::Read + Send>,
            Box::new(err),
        ]
        .into_iter()
        .map(|stream| {
            let tx = tx.clone();
            std::thread::spawn(move || {
                let mut text = String::new();
                for line in std::io::BufReader::new(stream)
                    .lines()
                    .map_while(Result::ok)
                {
                    if let Some(i) = line.find("lantern-executor: listening on ") {
                        let addr = line[i..].trim_start_matches("lantern-executor: listening on ");
                        let _ = tx.send(addr.trim().to_string());
                    }
                    text.push_str(&line);
                    text.push('\n');
                }
                text
            })
        })
        .collect();
        let addr = rx.recv_timeout(TIMEOUT).expect("the executor listens");
        let controller = run_with_timeout(
            Command::new(lantern())
                .env("LANTERN_EXECUTOR_SECRET", secret)
                .args([
                    "churn",
                    "--connect",
                    &addr,
                    "--entry",
                    "work",
                    "--cycles",
                    "4",
                ])
                .arg(&obj),
            TIMEOUT,
        )
        .unwrap();
        let status = child.wait().unwrap();
        let text: String = readers.into_iter().map(|r| r.join().unwrap()).collect();
        assert!(status.success(), "{debugger}: {status}\n{text}");
        assert_eq!(controller.status, "exit 0", "{}", controller.stderr);
        let seen = churn_stops(&text, debugger);
        // The warm-up cycle calls work(0) first; then the four cycles.
        let ns: Vec<i64> = seen.iter().skip(1).map(|s| s.0).collect();
        assert_eq!(
            ns, expected,
            "{debugger} did not stop in every linked copy:\n{text}"
        );
        let objects: Vec<usize> = seen.iter().map(|s| s.2).collect();
        assert_eq!(
            objects, [1; 5],
            "{debugger}: removed units' debug objects stayed registered:\n{text}"
        );
    }
}

/// `lantern churn` out of process computes what it computes in process,
/// in lantern-executor and in LLVM's executor, and leaves lantern-executor
/// holding the mappings it held after the warm-up cycle: each removal
/// unmapped the unit and released its debug object there.
#[test]
fn churn_out_of_process_matches_in_process() {
    if !have_gcc() {
        return;
    }
    let dir = scratch("oop-churn");
    let obj = one_function_unit(&dir);
    let churn = |how: &[&str]| -> Outcome {
        let outcome = run_with_timeout(
            Command::new(lantern())
                .args(["churn", "--entry", "work", "--cycles", "100"])
                .args(how)
                .arg(&obj),
            TIMEOUT,
        )
        .unwrap();
        assert_eq!(outcome.status, "exit 0", "{how:?}: {}", outcome.stderr);
        outcome
    };
    let checksum = |out: &Outcome| -> String {
        out.stdout
            .split_once("checksum ")
            .map(|(_, c)| c.lines().next().unwrap_or("").to_string())
            .unwrap_or_else(|| panic!("no checksum in {out:?}"))
    };
    let expected = checksum(&churn(&[]));
    let oop = churn(&["--oop"]);
    assert_eq!(checksum(&oop), expected);
    let line = oop
        .stdout
        .lines()
        .find(|l| l.starts_with("churn: the executor before -> after:"))
        .unwrap_or_else(|| panic!("no footprint line: {oop:?}"));
    let numbers: Vec<u64> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|w| w.parse().ok())
        .collect();
    assert_eq!(numbers[0], numbers[1], "mappings grew: {line}");
    if Path::new(LLVM_EXECUTOR).exists() || missing("llvm-jitlink-executor (llvm-19)") {
        let llvm = churn(&["--executor", LLVM_EXECUTOR]);
        assert_eq!(checksum(&llvm), expected);
        assert!(
            llvm.stderr.contains("cannot unregister debug objects"),
            "{}",
            llvm.stderr
        );
    }
}

/// The controller's work between spawning the executor and reading its
/// setup message (here a compiler that takes longer than the executor's
/// 5-second wait for the secret) does not make the executor give up: the
/// secret is sent at the spawn.
#[test]
fn slow_compiles_before_the_link_keep_the_executor() {
    if !have(&[(&["gcc"], "gcc")]) {
        return;
    }
    executor();
    let dir = scratch("oop-slow-compile");
    let source = dir.join("slow.c");
    std::fs::write(
        &source,
        "#include <stdio.h>\nint main(void) { puts(\"compiled slowly\"); return 3; }\n",
    )
    .unwrap();
    let cc = dir.join("slow-cc");
    std::fs::write(&cc, "#!/bin/sh\nsleep 6\nexec gcc \"$@\"\n").unwrap();
    std::fs::set_permissions(&cc, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let out = run_with_timeout(
        Command::new(lantern())
            .args(["run", "--oop"])
            .arg(&source)
            .env("CC", &cc),
        TIMEOUT,
    )
    .unwrap();
    assert_eq!(
        (out.stdout.as_str(), out.status.as_str()),
        ("compiled slowly\n", "exit 3"),
        "{}",
        out.stderr
    );
}
