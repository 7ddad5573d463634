//! llvm-jitlink-19 (LLVM's controller) driving lantern-executor, with LLVM's
//! own llvm-jitlink-executor as the reference in the same test and the
//! natively linked program as the oracle: same stdout, same exit status.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;

/// Programs of tests/programs that llvm-jitlink-19 runs like the native
/// binary with its own executor. Left out, from LLVM's output (see
/// docs/out-of-process.md): abort_after_flush, ctors_dtors,
/// exit_from_nested_call, nested_functions ("Symbols not found: [ atexit ]":
/// atexit lives in libc_nonshared.a), decimal_float (libgcc's `__bid_*`),
/// visibility ("Unrecognized symbol visibility 1", STV_INTERNAL),
/// argv_handling (LLVM's run-as-main passes no program name: argc is 0);
/// archive_semantics, common_symbols and static_archive need archives or
/// special link lines.
const C_PROGRAMS: &[&str] = &[
    "alloca_vla",
    "bit_builtins",
    "bytecode_vm",
    "comdat_groups",
    "computed_goto",
    "data_relocations",
    "env_errno",
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
    "weak_symbols",
];

/// C++ programs of tests/cxx-programs that run the same way: exceptions
/// thrown and caught across objects and threads (eh-frame registration in
/// the executor). Static constructors do not run under llvm-jitlink without
/// the ORC runtime, so programs that need them (iostreams, static objects)
/// are left out; `__dso_handle` comes from a one-line object.
const CXX_PROGRAMS: &[&str] = &[
    "ctor_exceptions",
    "exception_callbacks",
    "exceptions_across_objects",
    "exceptions_threads",
    "library_exceptions",
    "smart_pointers",
    "sort_algorithms",
    "std_threads",
    "templates_instantiation",
    "virtual_inheritance",
];

fn compare(
    name: &str,
    object: &std::path::Path,
    native: &std::path::Path,
    extra: &[&std::path::Path],
) -> Vec<String> {
    let mut failures = Vec::new();
    let oracle = run(&mut Command::new(native), Duration::from_secs(60));
    let reference = llvm_jitlink(std::path::Path::new(REFERENCE_EXECUTOR), object, extra);
    let ours = llvm_jitlink(&executor(), object, extra);
    let show = |o: &std::process::Output| {
        format!(
            "status {} stdout {} bytes, stderr: {}",
            status_code(o),
            o.stdout.len(),
            String::from_utf8_lossy(&o.stderr)
                .lines()
                .take(5)
                .collect::<Vec<_>>()
                .join(" | ")
        )
    };
    // The reference is reported, not required: LLVM's executor runs `main`
    // on a dispatch thread, so a signal sent to the process may land on one
    // of its other threads (signal_handlers's sigqueue(getpid())).
    if (reference.stdout.clone(), status_code(&reference))
        != (oracle.stdout.clone(), status_code(&oracle))
    {
        eprintln!(
            "note: {name}: llvm-jitlink-executor differs from the native program ({} vs {})",
            show(&reference),
            show(&oracle)
        );
    }
    if (ours.stdout.clone(), status_code(&ours)) != (oracle.stdout.clone(), status_code(&oracle)) {
        failures.push(format!(
            "{name}: lantern-executor differs from the native program ({} vs {})",
            show(&ours),
            show(&oracle)
        ));
    }
    failures
}

#[test]
fn c_programs_match_native_and_llvm_executor() {
    if !have_llvm() {
        return;
    }
    let tmp = tempdir("c-programs");
    let mut failures = Vec::new();
    for name in C_PROGRAMS {
        let out = tmp.join(name);
        std::fs::create_dir_all(&out).unwrap();
        let (object, native) = build(&repo().join("tests/programs").join(name), "gcc", "c", &out);
        failures.extend(compare(name, &object, &native, &[]));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn cxx_programs_with_exceptions_match_native_and_llvm_executor() {
    if !have_llvm() {
        return;
    }
    let tmp = tempdir("cxx-programs");
    let dso = tmp.join("dso.c");
    std::fs::write(&dso, "void *__dso_handle = &__dso_handle;\n").unwrap();
    let dso_o = tmp.join("dso.o");
    assert!(run(
        Command::new("gcc")
            .arg("-c")
            .arg(&dso)
            .arg("-o")
            .arg(&dso_o),
        Duration::from_secs(60)
    )
    .status
    .success());
    let mut failures = Vec::new();
    for name in CXX_PROGRAMS {
        let out = tmp.join(name);
        std::fs::create_dir_all(&out).unwrap();
        let (object, native) = build(
            &repo().join("tests/cxx-programs").join(name),
            "g++",
            "cpp",
            &out,
        );
        failures.extend(compare(name, &object, &native, &[&dso_o]));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn arguments_reach_main_as_llvm_passes_them() {
    if !have_llvm() {
        return;
    }
    let tmp = tempdir("args");
    let src = tmp.join("args.c");
    std::fs::write(
        &src,
        "#include <stdio.h>\nint main(int argc, char **argv) {\n  for (int i = 0; i < argc; i++) printf(\"[%s]\", argv[i]);\n  printf(\" argc=%d last=%p\\n\", argc, (void *)argv[argc]);\n  return argc + 40;\n}\n",
    )
    .unwrap();
    let obj = tmp.join("args.o");
    assert!(run(
        Command::new("gcc")
            .args(["-c", "-g"])
            .arg(&src)
            .arg("-o")
            .arg(&obj),
        Duration::from_secs(60)
    )
    .status
    .success());
    let with_args = |exe: &std::path::Path| {
        run(
            Command::new(LLVM_JITLINK)
                .env("LANTERN_EXECUTOR_ALLOW_LLVM_PROTOCOL", "1")
                .arg(format!("-oop-executor={}", exe.display()))
                .arg(&obj)
                .args(["-args", "one", "two words", ""]),
            Duration::from_secs(60),
        )
    };
    let reference = with_args(std::path::Path::new(REFERENCE_EXECUTOR));
    let ours = with_args(&executor());
    assert_eq!(
        String::from_utf8_lossy(&ours.stdout),
        "[one][two words][] argc=3 last=(nil)\n"
    );
    assert_eq!(ours.stdout, reference.stdout);
    assert_eq!(status_code(&ours), 43);
    assert_eq!(status_code(&reference), 43);
}

/// llvm-jitlink-19 never returns from a TCP session, with either executor:
/// its disconnect closes the socket while its own reader thread is still
/// blocked reading it, so no FIN is sent and both ends wait (later LLVM
/// calls `shutdown` first). The test waits until the controller has
/// deallocated (it does after `main` returns), then kills it; the executor
/// sees the end of the stream and exits, flushing the program's output.
#[test]
fn tcp_loopback_with_the_port_the_executor_reports() {
    if !have_llvm() {
        return;
    }
    let tmp = tempdir("tcp");
    let (object, native) = build(
        &repo().join("tests/programs/multi_object"),
        "gcc",
        "c",
        &tmp,
    );
    let mut exec = Command::new(executor())
        .env("LANTERN_EXECUTOR_ALLOW_LLVM_PROTOCOL", "1")
        .env("LANTERN_EXECUTOR_TRACE", "1")
        .arg("listen=:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // "lantern-executor: listening on 127.0.0.1:PORT", first line of stderr.
    let mut stderr = std::io::BufReader::new(exec.stderr.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stderr, &mut line).unwrap();
    let addr = line
        .trim()
        .strip_prefix("lantern-executor: listening on ")
        .unwrap_or_else(|| panic!("{line}"))
        .to_string();
    assert!(
        addr.starts_with("127.0.0.1:"),
        "binds the loopback by default: {addr}"
    );
    let mut controller = Command::new(LLVM_JITLINK)
        .arg(format!("-oop-executor-connect={addr}"))
        .arg("-preload=/usr/lib/x86_64-linux-gnu/libm.so.6")
        .arg(&object)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut main_result = None;
        for line in std::io::BufRead::lines(stderr).map_while(Result::ok) {
            // The reply to run-as-main: "#N returned [..]" (an int64).
            if line.contains(" returned [") {
                main_result = Some(line.clone());
            }
            if line.contains("deallocate_wrapper") {
                let _ = tx.send(main_result.take());
            }
        }
    });
    let main_result = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the controller deallocates after main returns");
    std::thread::sleep(Duration::from_millis(300));
    let _ = controller.kill();
    let _ = controller.wait();
    let (exec_out, timed_out) = wait_with_deadline(exec, Duration::from_secs(10));
    assert!(!timed_out, "the executor exits when the controller goes");
    let oracle = run(&mut Command::new(native), Duration::from_secs(60));
    assert_eq!(
        String::from_utf8_lossy(&exec_out.stdout),
        String::from_utf8_lossy(&oracle.stdout)
    );
    let status = status_code(&oracle) as u8;
    assert!(
        main_result.as_deref().is_some_and(|l| l.ends_with(&format!(
            "returned [{status:02x}, 00, 00, 00, 00, 00, 00, 00]"
        ))),
        "{main_result:?}"
    );
}

#[test]
fn an_explicit_address_is_needed_to_listen_beyond_the_loopback() {
    // `listen=:PORT` is the loopback; any other interface must be named.
    // Port 0: the kernel picks a free one (a port probed free here could be
    // taken by a test running in parallel before the executor binds it).
    let mut exec = Command::new(executor())
        .env("LANTERN_EXECUTOR_ALLOW_LLVM_PROTOCOL", "1")
        .arg("listen=:0")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(exec.stderr.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stderr, &mut line).unwrap();
    let port = line
        .trim()
        .strip_prefix("lantern-executor: listening on 127.0.0.1:")
        .unwrap_or_else(|| panic!("not on the loopback: {line:?}"));
    assert!(
        port.parse::<u16>().is_ok_and(|p| p != 0),
        "no port: {line:?}"
    );
    let _ = exec.kill();
    let _ = exec.wait();
}

#[test]
fn llvm_controllers_are_refused_without_the_opt_in() {
    if !have_llvm() {
        return;
    }
    let tmp = tempdir("refused");
    let src = tmp.join("m.c");
    std::fs::write(&src, "int main(void) { return 0; }\n").unwrap();
    let obj = tmp.join("m.o");
    assert!(run(
        Command::new("gcc").arg("-c").arg(&src).arg("-o").arg(&obj),
        Duration::from_secs(60)
    )
    .status
    .success());
    let out = run(
        Command::new(LLVM_JITLINK)
            .env_remove("LANTERN_EXECUTOR_ALLOW_LLVM_PROTOCOL")
            .env_remove("LANTERN_EXECUTOR_SECRET_FILE")
            .arg(format!("-oop-executor={}", executor().display()))
            .arg(&obj),
        Duration::from_secs(30),
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("plain LLVM-protocol controllers are not allowed"),
        "{err}"
    );
}

/// gdb runs lantern-executor (listening on the loopback), llvm-jitlink-19
/// connects and runs a program: the debug object llvm-jitlink registers
/// through the executor's GDB JIT interface binds a pending breakpoint in
/// JIT'd code; the frames, arguments, locals and globals gdb shows are
/// those of the natively linked program.
#[test]
fn gdb_in_the_executor_stops_in_jit_code_like_native() {
    if !have_llvm()
        || !Command::new("gdb")
            .arg("--version")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    {
        return;
    }
    let tmp = tempdir("gdb");
    let src = tmp.join("dbg.c");
    std::fs::write(
        &src,
        "#include <stdio.h>\nint counter = 41;\nint bump(int by) {\n  int local = counter + by;\n  counter = local;\n  return local;\n}\nint main(void) { printf(\"%d\\n\", bump(1)); return 0; }\n",
    )
    .unwrap();
    let obj = tmp.join("dbg.o");
    let native = tmp.join("dbg");
    assert!(run(
        Command::new("gcc")
            .args(["-c", "-g", "-O0"])
            .arg(&src)
            .arg("-o")
            .arg(&obj),
        Duration::from_secs(60)
    )
    .status
    .success());
    assert!(run(
        Command::new("gcc").arg(&obj).arg("-o").arg(&native),
        Duration::from_secs(60)
    )
    .status
    .success());
    let script = tmp.join("session.gdb");
    std::fs::write(
        &script,
        "set breakpoint pending on\nbreak bump\nrun\nbt 2\nprint by\nprint counter\nnext\nnext\nprint local\nprint counter\n",
    )
    .unwrap();
    let gdb = |args: &[&std::ffi::OsStr]| {
        Command::new("gdb")
            .args(["-q", "-batch", "-nx", "-x"])
            .arg(&script)
            .arg("--args")
            .args(args)
            .env("LANTERN_EXECUTOR_ALLOW_LLVM_PROTOCOL", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    // What a user compares: where it stopped, the two innermost frames,
    // the values. Addresses and gdb's thread chatter differ.
    let dir = format!("{}/", tmp.display());
    let seen = |out: &[u8]| -> Vec<String> {
        String::from_utf8_lossy(out)
            .replace(&dir, "")
            .lines()
            .filter_map(|l| {
                if let Some(i) = l.find("Breakpoint 1, ") {
                    return Some(l[i..].to_string());
                }
                if l.starts_with('$') || l.starts_with("#0 ") {
                    return Some(l.to_string());
                }
                // "#1  0x... in main () at dbg.c:8"
                l.strip_prefix("#1  ")
                    .map(|r| format!("#1 {}", r.split_once(" in ").map_or(r, |(_, f)| f)))
            })
            .collect()
    };
    let (native_out, _) = wait_with_deadline(gdb(&[native.as_os_str()]), Duration::from_secs(60));
    // Port 0: the executor reports the port the kernel gave it.
    let mut session = gdb(&[executor().as_os_str(), std::ffi::OsStr::new("listen=:0")]);
    // The executor (gdb's inferior) says on stderr when it listens.
    let stderr = session.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufRead::lines(std::io::BufReader::new(stderr)).map_while(Result::ok) {
            if let Some(port) = line
                .strip_prefix("lantern-executor: listening on 127.0.0.1:")
                .and_then(|p| p.trim().parse::<u16>().ok())
            {
                let _ = tx.send(port);
            }
        }
    });
    let port = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the executor never listened");
    let mut controller = Command::new(LLVM_JITLINK)
        .arg(format!("-oop-executor-connect=127.0.0.1:{port}"))
        .arg(&obj)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (jit_out, timed_out) = wait_with_deadline(session, Duration::from_secs(90));
    let _ = controller.kill();
    let _ = controller.wait();
    assert!(
        !timed_out,
        "gdb session timed out: {}",
        String::from_utf8_lossy(&jit_out.stdout)
    );
    let native_seen = seen(&native_out.stdout);
    assert_eq!(
        native_seen,
        vec![
            "Breakpoint 1, bump (by=1) at dbg.c:4",
            "#0  bump (by=1) at dbg.c:4",
            "#1 main () at dbg.c:8",
            "$1 = 1",
            "$2 = 41",
            "$3 = 42",
            "$4 = 42"
        ]
    );
    assert_eq!(
        seen(&jit_out.stdout),
        native_seen,
        "gdb on the executor:\n{}",
        String::from_utf8_lossy(&jit_out.stdout)
    );
    let _ = std::fs::remove_dir_all(&tmp);
}

/// gdb and lldb attached (`-p`) to a listening lantern-executor before
/// llvm-jitlink-19 connects: the pending breakpoint binds when the debug
/// object is registered, and the frames and values are the program's.
#[test]
fn debuggers_attached_to_the_executor_stop_in_jit_code() {
    let have = |tool: &str| {
        Command::new(tool)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !have_llvm() || !have("gdb") || !have("lldb-19") {
        return;
    }
    let tmp = tempdir("attach");
    let src = tmp.join("dbg.c");
    std::fs::write(
        &src,
        "#include <stdio.h>\nint counter = 41;\nint bump(int by) {\n  int local = counter + by;\n  counter = local;\n  return local;\n}\nint main(void) { printf(\"%d\\n\", bump(1)); return 0; }\n",
    )
    .unwrap();
    let obj = tmp.join("dbg.o");
    assert!(run(
        Command::new("gcc")
            .args(["-c", "-g", "-O0"])
            .arg(&src)
            .arg("-o")
            .arg(&obj),
        Duration::from_secs(60)
    )
    .status
    .success());
    let gdb_args = |pid: u32| -> Vec<String> {
        [
            "-q",
            "-batch",
            "-nx",
            "-p",
            &pid.to_string(),
            "-ex",
            "set breakpoint pending on",
            "-ex",
            "break bump",
            "-ex",
            "continue",
            "-ex",
            "bt 2",
            "-ex",
            "print by",
            "-ex",
            "print counter",
            "-ex",
            "detach",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let lldb_args = |pid: u32| -> Vec<String> {
        [
            "-b",
            "-o",
            "settings set plugin.jit-loader.gdb.enable on",
            "-o",
            "breakpoint set -n bump",
            "-o",
            &format!("process attach -p {pid}"),
            "-o",
            "continue",
            "-o",
            "bt 2",
            "-o",
            "frame variable by",
            "-o",
            "target variable counter",
            "-o",
            "process detach",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    type Args = Box<dyn Fn(u32) -> Vec<String>>;
    let debuggers: [(&str, Args, &[&str]); 2] = [
        (
            "gdb",
            Box::new(gdb_args),
            &[
                "Breakpoint 1, bump (by=1) at ",
                "dbg.c:4",
                " in main () at ",
                "$1 = 1",
                "$2 = 41",
            ],
        ),
        (
            "lldb-19",
            Box::new(lldb_args),
            &[
                "stop reason = breakpoint 1.1",
                "`bump(by=1) at dbg.c:4",
                "`main at dbg.c:8",
                "(int) by = 1",
                "(int) counter = 41",
            ],
        ),
    ];
    for (debugger, args, expected) in debuggers {
        let mut exec = Command::new(executor())
            .env("LANTERN_EXECUTOR_ALLOW_LLVM_PROTOCOL", "1")
            .arg("listen=:0")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = std::io::BufReader::new(exec.stderr.take().unwrap());
        let mut line = String::new();
        std::io::BufRead::read_line(&mut stderr, &mut line).unwrap();
        let addr = line
            .trim()
            .strip_prefix("lantern-executor: listening on ")
            .unwrap()
            .to_string();
        let pid = exec.id();
        let session = Command::new(debugger)
            .args(args(pid))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Connect once the debugger has attached (it sets the breakpoint
        // before it lets the executor go on).
        let start = std::time::Instant::now();
        while !std::fs::read_to_string(format!("/proc/{pid}/status"))
            .unwrap_or_default()
            .lines()
            .any(|l| l.starts_with("TracerPid:") && l.split_whitespace().nth(1) != Some("0"))
        {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "{debugger} never attached"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let mut controller = Command::new(LLVM_JITLINK)
            .arg(format!("-oop-executor-connect={addr}"))
            .arg(&obj)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let (out, timed_out) = wait_with_deadline(session, Duration::from_secs(120));
        let _ = controller.kill();
        let _ = controller.wait();
        let _ = exec.kill();
        let _ = exec.wait();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(!timed_out, "{debugger} timed out:\n{text}");
        for e in expected {
            assert!(
                text.contains(e),
                "{debugger} attached to the executor: `{e}` missing:\n{text}"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&tmp);
}
