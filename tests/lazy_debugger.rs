//! gdb and lldb on a lazily linked function, against the native binary:
//! a breakpoint by name stops at its first call with the native frames
//! (no trampoline frame is left once the call went through), `next` and
//! `finish` behave the same; `step` at a call enters the callee through
//! its stub, at the first call (through the re-entry trampoline, the link
//! running meanwhile) and later (stub -> implementation), as `step`
//! through a PLT does natively (gdb); inside the first call's link, the
//! frames through the trampoline are named, never `??`.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use support::*;

const TIMEOUT: Duration = Duration::from_secs(180);

fn build(out: &Path) -> (Vec<PathBuf>, PathBuf) {
    build_program("debug", out)
}

fn build_program(program: &str, out: &Path) -> (Vec<PathBuf>, PathBuf) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/lazy-programs")
        .join(program);
    let objects: Vec<PathBuf> = ["main", "work"]
        .iter()
        .map(|name| {
            let obj = out.join(format!("{name}.o"));
            check(
                Command::new("gcc")
                    .args(["-g", "-O0", "-c"])
                    .arg(dir.join(format!("{name}.c")))
                    .arg("-o")
                    .arg(&obj),
            )
            .expect("gcc");
            obj
        })
        .collect();
    let native = out.join("native");
    link_native(&objects, &native).expect("native link");
    (objects, native)
}

/// Frame lines (`#N  func (args) at file:line` / lldb's `frame #N: ...`)
/// with addresses and module names removed, down to `main`.
fn frames(text: &str) -> Vec<String> {
    let mut frames = Vec::new();
    for line in text.lines() {
        let line = line.trim_start_matches(['*', ' ']);
        if !(line.starts_with('#') || line.starts_with("frame #")) {
            continue;
        }
        let words: Vec<&str> = line
            .split_whitespace()
            .filter(|w| !w.starts_with("0x") && *w != "in")
            .map(|w| w.split('`').next_back().unwrap_or(w))
            .collect();
        let frame = words.join(" ");
        let at_main = frame.contains(" main ") || frame.contains(" main(");
        frames.push(frame);
        if at_main {
            frames.push("--".into());
        }
    }
    frames
}

/// The lines of the session that matter, per command.
fn session(cmd: &mut Command) -> String {
    let got = run_with_timeout(cmd, TIMEOUT).expect("debugger");
    got.stdout + &got.stderr
}

#[test]
fn gdb_break_on_lazy_function() {
    if !have_gdb_and_lldb() || !have_gcc() {
        return;
    }
    let out = scratch("lazy-gdb");
    let (objects, native) = build(&out);
    let script = out.join("t.gdb");
    std::fs::write(
        &script,
        "set pagination off\nset breakpoint pending on\nbreak work\nrun\nbt\nnext\nfinish\n",
    )
    .unwrap();
    let gdb = |args: &[&std::ffi::OsStr]| {
        session(
            Command::new("gdb")
                .args(["-batch", "-nx", "-x"])
                .arg(&script)
                .arg("--args")
                .args(args),
        )
    };
    let native_session = gdb(&[native.as_os_str()]);
    let mut args: Vec<&std::ffi::OsStr> = vec![
        lantern().into_os_string().leak(),
        "run".as_ref(),
        "--lazy".as_ref(),
    ];
    args.extend(objects.iter().map(|o| o.as_os_str()));
    let jit_session = gdb(&args);
    let expected: Vec<String> = frames(&native_session)
        .into_iter()
        .take_while(|f| f != "--")
        .collect();
    let got: Vec<String> = frames(&jit_session)
        .into_iter()
        .take_while(|f| f != "--")
        .collect();
    assert_eq!(got, expected, "bt differs:\n{jit_session}");
    assert_eq!(got.len(), 2, "work <- main:\n{jit_session}");
    for line in ["4\t    return y + 1;", "Value returned is $1 = 7"] {
        assert!(native_session.contains(line), "{native_session}");
        assert!(jit_session.contains(line), "{jit_session}");
    }
    assert!(!jit_session.contains("??"), "{jit_session}");
}

#[test]
fn trampoline_frames_are_named_during_first_call() {
    if !have_gdb_and_lldb() || !have_gcc() {
        return;
    }
    let out = scratch("lazy-trampoline-frames");
    let (objects, _) = build(&out);
    let gdb_script = out.join("t.gdb");
    std::fs::write(
        &gdb_script,
        "set pagination off\nbreak __lantern_reentry\nrun\nbt 3\n",
    )
    .unwrap();
    let gdb = session(
        Command::new("gdb")
            .args(["-batch", "-nx", "-x"])
            .arg(&gdb_script)
            .arg("--args")
            .arg(lantern())
            .args(["run", "--lazy"])
            .args(&objects),
    );
    let lldb_script = out.join("t.lldb");
    std::fs::write(
        &lldb_script,
        "settings set plugin.jit-loader.gdb.enable on\nbreakpoint set -n __lantern_reentry\nrun\nbt 3\n",
    )
    .unwrap();
    let lldb = session(
        Command::new("lldb-19")
            .args(["-b", "-s"])
            .arg(&lldb_script)
            .arg("--")
            .arg(lantern())
            .args(["run", "--lazy"])
            .args(&objects),
    );
    for (name, text) in [("gdb", &gdb), ("lldb", &lldb)] {
        let frames = frames(text);
        // lldb prints frame #0 twice (the stop, then `bt`).
        let mut frames = frames.clone();
        frames.dedup();
        let chain: Vec<&String> = frames.iter().take(3).collect();
        assert!(
            chain.len() == 3
                && chain[0].contains("__lantern_reentry")
                && chain[1].contains("__lantern_reentry.work")
                && chain[2].contains("main"),
            "{name}: the first call's frames are not named:\n{text}"
        );
    }
}

#[test]
fn lldb_break_on_lazy_function() {
    if !have_gdb_and_lldb() || !have_gcc() {
        return;
    }
    let out = scratch("lazy-lldb");
    let (objects, native) = build(&out);
    let script = out.join("t.lldb");
    std::fs::write(
        &script,
        "settings set plugin.jit-loader.gdb.enable on\nbreakpoint set -n work\nrun\nbt 2\nfinish\n",
    )
    .unwrap();
    let lldb = |args: &mut Command| {
        let text = session(args);
        // The stop, `bt` and `finish`: frames (deduplicated) and the return value.
        let mut lines: Vec<String> = frames(&text);
        lines.dedup();
        lines.extend(
            text.lines()
                .filter(|l| l.starts_with("Return value"))
                .map(String::from),
        );
        (lines, text)
    };
    let (expected, native_text) = lldb(
        Command::new("lldb-19")
            .args(["-b", "-s"])
            .arg(&script)
            .arg("--")
            .arg(&native),
    );
    let (got, jit_text) = lldb(
        Command::new("lldb-19")
            .args(["-b", "-s"])
            .arg(&script)
            .arg("--")
            .arg(lantern())
            .args(["run", "--lazy"])
            .args(&objects),
    );
    assert!(
        expected
            .iter()
            .any(|l| l.contains("Return value: (int) $0 = 7")),
        "{native_text}"
    );
    assert_eq!(got, expected, "lldb differs from native:\n{jit_text}");
}

/// What a gdb session of `step`s shows about the program: stops, source
/// lines, frames of `work` and `main` (addresses, directories and host
/// frames left out)
/// and returned values.
fn gdb_step_lines(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    for line in text.lines() {
        let words: Vec<&str> = line
            .split_whitespace()
            .filter(|w| !w.starts_with("0x") && *w != "in")
            .map(|w| w.rsplit('/').next().unwrap_or(w))
            .collect();
        let normal = words.join(" ");
        let source_line = line
            .split_once('\t')
            .is_some_and(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        // `#2 main ()` without a source line is the `lantern` binary's decoy
        // `main`, where gdb ends the backtrace one frame below the JIT'd one.
        let frame = normal.starts_with('#')
            && (normal.contains(" work (") || normal.contains(" main ("))
            && !normal.ends_with(" main ()");
        if source_line
            || frame
            || normal.starts_with("work (")
            || normal.starts_with("main (")
            || normal.starts_with("Breakpoint 1,")
            || normal.starts_with("Run till exit")
            || normal.starts_with("Value returned")
        {
            lines.push(normal);
        }
    }
    lines
}

/// The ways `run --lazy` reaches a lazy function: through its stub, or
/// with `--back-patch` by a call rewritten to the trampoline, then to the
/// implementation (a page with a debugger's breakpoint keeps the
/// trampoline: docs/lazy.md).
const LAZY_MODES: [&[&str]; 2] = [&["--lazy"], &["--lazy", "--back-patch"]];

#[test]
fn gdb_step_through_stub_and_trampoline() {
    if !have_gdb_and_lldb() || !have_gcc() {
        return;
    }
    let out = scratch("lazy-gdb-step");
    let (objects, native) = build_program("step", &out);
    // Line 5 makes the first call (stub -> trampoline -> link ->
    // implementation), line 6 the second (stub -> implementation).
    let script = out.join("t.gdb");
    std::fs::write(
        &script,
        "set pagination off\nset breakpoint pending on\nbreak main.c:5\nrun\n\
         step\nbt\nfinish\nnext\nstep\nbt\nfinish\n",
    )
    .unwrap();
    let gdb = |args: &[&std::ffi::OsStr]| {
        session(
            Command::new("gdb")
                .args(["-batch", "-nx", "-x"])
                .arg(&script)
                .arg("--args")
                .args(args),
        )
    };
    let native_session = gdb(&[native.as_os_str()]);
    let expected = gdb_step_lines(&native_session);
    for line in [
        "work (x=3) at work.c:3",
        "#1 main () at main.c:5",
        "Value returned is $1 = 7",
        "work (x=7) at work.c:3",
        "#1 main () at main.c:6",
        "Value returned is $2 = 15",
    ] {
        assert!(
            expected.iter().any(|l| l == line),
            "native session lacks {line:?}:\n{native_session}"
        );
    }
    for mode in LAZY_MODES {
        let mut args: Vec<&std::ffi::OsStr> =
            vec![lantern().into_os_string().leak(), "run".as_ref()];
        args.extend(mode.iter().map(std::ffi::OsStr::new));
        args.extend(objects.iter().map(|o| o.as_os_str()));
        let jit_session = gdb(&args);
        assert_eq!(
            gdb_step_lines(&jit_session),
            expected,
            "gdb under run {mode:?} differs from native:\n{jit_session}\n--- native:\n{native_session}"
        );
    }
}

/// lldb-19's `step` at the first call (stub -> trampoline, whose line-0
/// rows it steps through, out of the hop while the link runs, then
/// `jmp *%r11` into the implementation) and at the second (the stub's PLT
/// entry -> the implementation), against the native binary.
#[test]
fn lldb_step_through_stub_and_trampoline() {
    if !have_gdb_and_lldb() || !have_gcc() {
        return;
    }
    let out = scratch("lazy-lldb-step");
    let (objects, native) = build_program("step", &out);
    // Line 5 makes the first call of `work`, line 6 the second.
    let script = out.join("t.lldb");
    std::fs::write(
        &script,
        "settings set plugin.jit-loader.gdb.enable on\nbreakpoint set -f main.c -l 5\nrun\n\
         step\nbt 2\nfinish\nnext\nstep\nbt 2\nfinish\n",
    )
    .unwrap();
    let lldb = |cmd: &mut Command| {
        let text = session(cmd);
        let mut lines: Vec<String> = frames(&text);
        lines.dedup();
        lines.extend(
            text.lines()
                .filter(|l| l.starts_with("Return value"))
                .map(String::from),
        );
        (lines, text)
    };
    let (expected, native_text) = lldb(
        Command::new("lldb-19")
            .args(["-b", "-s"])
            .arg(&script)
            .arg("--")
            .arg(&native),
    );
    assert!(
        expected.iter().any(|l| l.contains("work(x=3) at work.c:3"))
            && expected.iter().any(|l| l.contains("work(x=7) at work.c:3"))
            && expected
                .iter()
                .any(|l| l.contains("Return value: (int) $0 = 7"))
            && expected
                .iter()
                .any(|l| l.contains("Return value: (int) $1 = 15")),
        "{native_text}"
    );
    for mode in LAZY_MODES {
        let (got, jit_text) = lldb(
            Command::new("lldb-19")
                .args(["-b", "-s"])
                .arg(&script)
                .arg("--")
                .arg(lantern())
                .arg("run")
                .args(mode)
                .args(&objects),
        );
        assert_eq!(
            got, expected,
            "lldb under run {mode:?} differs from native:\n{jit_text}"
        );
    }
}
