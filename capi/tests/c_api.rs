//! The C API from C: `examples/capi/embed.c` compiled with gcc against
//! `liblantern.so` and against `liblantern.a`, run (its output checked
//! against `work.c` linked natively), and debugged with gdb (the session on
//! the JIT'd code must match the one on the natively linked program).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// A tool on PATH; in CI a missing tool fails, elsewhere the test skips loudly.
fn require_tool(name: &str) -> bool {
    let found = Command::new(name)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        let message = format!("{name} not found: install it (see README.md, `Testing`)");
        assert!(!in_ci(), "CI=true and {message}");
        eprintln!("\n!!! SKIPPING: {message} !!!\n");
    }
    found
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("capi/ is in the repository")
        .to_path_buf()
}

/// Where cargo put `liblantern.so` and `liblantern.a`: next to this test
/// in `deps/` when `cargo test` built them, or in `target/PROFILE/` after a
/// `cargo build`, whichever is newer.
fn library_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable");
    let deps = exe.parent().expect("target/PROFILE/deps").to_path_buf();
    let candidates = [
        deps.clone(),
        deps.parent().map(Path::to_path_buf).unwrap_or_default(),
    ];
    let modified = |dir: &PathBuf| {
        ["liblantern.so", "liblantern.a"]
            .iter()
            .map(|lib| {
                std::fs::metadata(dir.join(lib))
                    .and_then(|m| m.modified())
                    .ok()
            })
            .collect::<Option<Vec<_>>>()
            .and_then(|times| times.into_iter().min())
    };
    candidates
        .iter()
        .filter_map(|dir| Some((modified(dir)?, dir)))
        .max()
        .map(|(_, dir)| dir.clone())
        .unwrap_or_else(|| {
            panic!(
                "no liblantern.so and liblantern.a in {} or its parent: cargo builds them with this test (`cargo test -p lantern-capi`)",
                deps.display()
            )
        })
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn run(cmd: &mut Command) -> (String, String, Option<i32>) {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code(),
    )
}

fn must(cmd: &mut Command) {
    let (stdout, stderr, code) = run(cmd);
    assert_eq!(code, Some(0), "{cmd:?}:\n{stdout}{stderr}");
}

/// The programs of one test: the JIT'd object, the natively linked program,
/// and the C host linked with the shared and with the static library.
struct Programs {
    work_o: PathBuf,
    fault_o: PathBuf,
    native: PathBuf,
    shared_host: PathBuf,
    static_host: PathBuf,
}

/// Builds the programs once for all the tests of this file.
fn programs() -> &'static Programs {
    static PROGRAMS: std::sync::OnceLock<Programs> = std::sync::OnceLock::new();
    PROGRAMS.get_or_init(|| build(&scratch("c-programs")))
}

fn build(dir: &Path) -> Programs {
    let examples = repo().join("examples/capi");
    let include = repo().join("capi/include");
    let libs = library_dir();
    let work_o = dir.join("work.o");
    must(
        Command::new("gcc")
            .args(["-g", "-O0", "-c"])
            .arg(examples.join("work.c"))
            .arg("-o")
            .arg(&work_o),
    );
    let fault_o = dir.join("fault.o");
    must(
        Command::new("gcc")
            .args(["-g", "-O0", "-c"])
            .arg(examples.join("fault.c"))
            .arg("-o")
            .arg(&fault_o),
    );
    let native = dir.join("native");
    must(
        Command::new("gcc")
            .args(["-g", "-O0"])
            .arg(&work_o)
            .arg(examples.join("native.c"))
            .arg("-o")
            .arg(&native),
    );
    let shared_host = dir.join("embed-shared");
    must(
        Command::new("gcc")
            .args(["-g", "-O0", "-Wall", "-Wextra", "-Werror", "-I"])
            .arg(&include)
            .arg(examples.join("embed.c"))
            .arg("-L")
            .arg(&libs)
            .arg("-llantern")
            .arg(format!("-Wl,-rpath,{}", libs.display()))
            .arg("-o")
            .arg(&shared_host),
    );
    let static_host = dir.join("embed-static");
    must(
        Command::new("gcc")
            .args(["-g", "-O0", "-Wall", "-Wextra", "-Werror", "-I"])
            .arg(&include)
            .arg(examples.join("embed.c"))
            .arg(libs.join("liblantern.a"))
            // What the Rust standard library needs (`--print native-static-libs`).
            .args([
                "-lgcc_s",
                "-lutil",
                "-lrt",
                "-lpthread",
                "-lm",
                "-ldl",
                "-lc",
            ])
            .arg("-o")
            .arg(&static_host),
    );
    Programs {
        work_o,
        fault_o,
        native,
        shared_host,
        static_host,
    }
}

#[test]
fn the_c_example_runs_with_the_shared_and_the_static_library() {
    if !require_tool("gcc") {
        return;
    }
    let p = programs();
    let (native_out, native_err, native_code) = run(Command::new(&p.native).arg("21"));
    assert_eq!(native_code, Some(0), "{native_err}");
    // The native program's lines: constructor, result, destructor.
    assert_eq!(native_out.lines().count(), 3, "{native_out}");

    for host in [&p.shared_host, &p.static_host] {
        for mode in [None, Some("--bytes")] {
            let mut cmd = Command::new(host);
            cmd.args(mode).args(["work", "21"]).arg(&p.work_o);
            let (stdout, stderr, code) = run(&mut cmd);
            assert_eq!(code, Some(0), "{cmd:?}:\n{stdout}{stderr}");
            // Errors come back as strings that say what went wrong.
            let mut lines: Vec<&str> = stdout.lines().collect();
            let errors: Vec<&str> = lines
                .iter()
                .copied()
                .filter(|l| l.starts_with("lookup of") || l.starts_with("linking garbage.o"))
                .collect();
            assert_eq!(
                errors,
                [
                    "lookup of no_such_function: lantern_lookup: no symbol `no_such_function`",
                    "linking garbage.o: lantern_link: garbage.o: not a valid ELF relocatable object: not an ELF file (bad magic)",
                ],
                "{cmd:?}"
            );
            lines.retain(|l| !errors.contains(l));
            // The rest is what the natively linked program prints: the
            // constructor ran before the call, the destructor after it.
            assert_eq!(
                lines,
                native_out.lines().collect::<Vec<_>>(),
                "{cmd:?}:\n{stdout}{stderr}"
            );
        }
    }
}

#[test]
fn liblantern_so_exports_the_api_and_the_gdb_jit_interface_only() {
    if !require_tool("nm") {
        return;
    }
    let (stdout, stderr, code) = run(Command::new("nm")
        .args(["-D", "--defined-only"])
        .arg(library_dir().join("liblantern.so")));
    assert_eq!(code, Some(0), "{stderr}");
    let mut exported: Vec<(String, String)> = stdout
        .lines()
        .filter_map(|l| {
            let mut parts = l.split_whitespace().skip(1);
            Some((parts.next()?.to_string(), parts.next()?.to_string()))
        })
        .collect();
    exported.sort_by(|a, b| a.1.cmp(&b.1));
    // Weak, so another JIT in the process (LLVM, wasmtime) may own them.
    assert!(
        exported.contains(&("V".into(), "__jit_debug_descriptor".into()))
            && exported.contains(&("W".into(), "__jit_debug_register_code".into())),
        "nm -D:\n{stdout}"
    );
    let header = std::fs::read_to_string(repo().join("capi/include/lantern.h")).expect("header");
    for (kind, name) in &exported {
        if name.starts_with("__jit_debug_") {
            continue;
        }
        assert_eq!(kind, "T", "{name} is exported as {kind}");
        assert!(
            name.starts_with("lantern_") && header.contains(&format!("{name}(")),
            "liblantern.so exports `{name}`, which lantern.h does not declare"
        );
    }
    let functions = exported.iter().filter(|(k, _)| k == "T").count();
    assert_eq!(
        functions,
        header.matches("\nlantern_status lantern_").count()
            + header.matches("\nvoid lantern_").count()
            + header.matches("\nconst char *lantern_").count(),
        "every function of lantern.h is exported:\n{stdout}"
    );
}

#[test]
fn a_crash_in_code_jitted_by_a_c_host_is_reported_at_its_line() {
    if !require_tool("gcc") {
        return;
    }
    let p = programs();
    let source = std::fs::read_to_string(repo().join("examples/capi/fault.c")).expect("fault.c");
    let line = source
        .lines()
        .position(|l| l.contains("return *nowhere + n;"))
        .expect("the faulting line")
        + 1;
    let location = format!(
        " in work at {}:{line}:",
        repo().join("examples/capi/fault.c").display()
    );
    for (host, name) in [
        (&p.shared_host, "embed-shared"),
        (&p.static_host, "embed-static"),
    ] {
        let mut cmd = Command::new(host);
        cmd.args(["--crash-reports", "work", "21"]).arg(&p.fault_o);
        let out = cmd.stdin(Stdio::null()).output().expect("run embed");
        let stderr = String::from_utf8_lossy(&out.stderr);
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(
            out.status.signal(),
            Some(11),
            "{name} dies by SIGSEGV:\n{stderr}"
        );
        let frames: Vec<&str> = stderr.lines().filter(|l| l.starts_with('#')).collect();
        let first = frames.first().copied().unwrap_or_default();
        assert!(
            stderr.starts_with("lantern: SIGSEGV (invalid memory reference) at address 0x0\n")
                && first.starts_with("#0 0x")
                && first.contains(&location),
            "{name}: the report names work() at fault.c:{line}:\n{stderr}"
        );
        // The unwinder went on from the JIT'd frame into the C host.
        assert!(
            frames
                .get(1)
                .is_some_and(|f| f.ends_with(&format!(" ({name})"))),
            "{name}: the caller of work() is in the C host:\n{stderr}"
        );
        // The crash handler names the host's own functions from its symbol
        // table, with the program's load bias wherever the handler lives.
        assert!(
            frames[1].contains(&format!(" in main ({name})")),
            "{name}: the C host's main is named:\n{stderr}"
        );
    }
}

/// gdb's session from the breakpoint on: addresses, the caller below the
/// JIT'd frames (the C host's `main` or the native one) and process chatter
/// removed.
fn normalize(session: &str) -> Vec<String> {
    let start = session
        .find("Breakpoint 1, ")
        .unwrap_or_else(|| panic!("the breakpoint was not hit:\n{session}"));
    session[start..]
        .lines()
        .filter(|l| {
            !["#2", "[Inferior", "Run till exit"]
                .iter()
                .any(|prefix| l.starts_with(prefix))
        })
        .map(|l| {
            // `0x... in work (...)` -> `work (...)`, and the same in `#1  0x... in`.
            let mut line = l.to_string();
            while let Some(pos) = line.find("0x") {
                let end = line[pos..].find(" in ").map(|e| pos + e + 4);
                match end {
                    Some(end) => line.replace_range(pos..end, ""),
                    None => break,
                }
            }
            line
        })
        .collect()
}

#[test]
fn gdb_debugs_code_jitted_by_a_c_host_as_natively_linked_code() {
    if !require_tool("gcc") || !require_tool("gdb") {
        return;
    }
    let dir = scratch("c-gdb");
    let p = programs();
    let script = dir.join("session.gdb");
    std::fs::write(
        &script,
        "set pagination off\nset confirm off\nset width 0\nset breakpoint pending on\n\
         break scale\nrun\nbt\ninfo args\nnext\nprint scaled\nfinish\nkill\n",
    )
    .expect("script");
    // The session is gdb's stdout; its stderr may only hold the pending
    // breakpoint's notice and, for a host with Rust inside, the note about
    // Rust's pretty-printer script.
    let session = |program: &[&Path]| {
        let (stdout, stderr, _) = run(Command::new("gdb")
            .args(["-batch", "-nx", "-x"])
            .arg(&script)
            .arg("--args")
            .args(program));
        let unexpected: Vec<&str> = stderr
            .lines()
            .filter(|l| {
                ![
                    "Function \"scale\" not defined.",
                    "warning: Missing auto-load script at offset 0 in section .debug_gdb_scripts",
                    "of file ",
                    "Use `info auto-load python-scripts",
                ]
                .iter()
                .any(|known| l.starts_with(known))
            })
            .collect();
        assert!(
            unexpected.is_empty(),
            "gdb on {:?} said:\n{stderr}",
            program[0]
        );
        stdout
    };
    let native = session(&[&p.native, Path::new("21")]);
    let expected = normalize(&native);
    // The session must say something: the breakpoint in `scale` called from
    // `work`, its arguments, the local after `next`, the returned value.
    for needle in [
        "Breakpoint 1, scale (x=21, factor=2) at ",
        "#1  work (n=21) at ",
        "factor = 2",
        "$1 = 42",
        "Value returned is $2 = 42",
    ] {
        assert!(
            expected.iter().any(|l| l.contains(needle)),
            "native session lacks `{needle}`:\n{native}"
        );
    }
    for host in [&p.shared_host, &p.static_host] {
        let jit = session(&[host, Path::new("work"), Path::new("21"), &p.work_o]);
        assert!(!jit.contains("??"), "a `??` frame:\n{jit}");
        assert_eq!(
            normalize(&jit),
            expected,
            "gdb on {} differs from gdb on the native program:\n--- native\n{native}\n--- lantern\n{jit}",
            host.display()
        );
    }
}
