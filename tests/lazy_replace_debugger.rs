//! gdb and lldb on live code replacement (`LazyReexports::replace`, driven
//! by `examples/lazy_replace.rs`): `break answer` stops in version 1 at the
//! first call (through the trampoline), in version 2 after the replacement
//! (through the stub), and once the replaced unit is removed its debug
//! object is gone: the debugger no longer knows version 1's function, file
//! or module. The frames at each stop are compared with the natively linked
//! program built with the version that runs at that call. After `relazify`
//! (the implementing unit removed at once), the next call links the unit
//! again through the trampoline: `break answer` stops there with the native
//! frames, the old unit's debug object is gone (one location, no symbol at
//! the old address, as many JIT objects as before), and gdb's and lldb's
//! `step` enters the re-linked function. A replacement while a worker
//! thread runs the old version: under gdb and lldb, the main thread stops
//! in the new version and the worker's frames are in the old one, each as
//! in the native program of its version.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use support::*;

const TIMEOUT: Duration = Duration::from_secs(180);

/// Calls `answer` three times: before the replacement, after it, and after
/// the replaced unit is removed.
const DRIVER: &str = "\
struct hooks {
    void (*replace)(void);
    void (*remove_old)(void);
};

int answer(int x);

int drive(const struct hooks *hooks)
{
    int sum = answer(1);
    hooks->replace();
    sum += answer(2);
    hooks->remove_old();
    sum += answer(3);
    return sum;
}
";

/// `answer`'s first line is 4 (a breakpoint stops at v1.c:4)...
const V1: &str = "\
/* Version 1 of answer. */
int answer(int x)
{
    return x + 100;
}
";

/// ... and version 2's is 6, in another file.
const V2: &str = "\
/* Version 2 of answer: another file,
   the body on other lines. */

int answer(int x)
{
    int doubled = 2 * x;
    return doubled + 200;
}
";

/// The native programs' `main`: the hooks do nothing there.
const NATIVE_MAIN: &str = "\
#include <stdio.h>
struct hooks {
    void (*replace)(void);
    void (*remove_old)(void);
};
int drive(const struct hooks *hooks);
static void nothing(void) {}
int main(void)
{
    struct hooks hooks = { nothing, nothing };
    printf(\"drive returned %d\\n\", drive(&hooks));
    return 0;
}
";

/// Calls `answer` (linked at its first call), re-lazifies it (its unit is
/// removed), and calls it twice more: the first of those links it again,
/// through the trampoline; the second goes through the stub.
const RELAZIFY_DRIVER: &str = "\
struct hooks {
    void (*replace)(void);
    void (*remove_old)(void);
    void (*relazify)(void);
};

int answer(int x);

int drive(const struct hooks *hooks)
{
    int sum = answer(1);
    hooks->relazify();
    sum += answer(2);
    sum += answer(3);
    return sum;
}
";

/// The native `main` for [`RELAZIFY_DRIVER`]: its hooks do nothing.
const NATIVE_RELAZIFY_MAIN: &str = "\
#include <stdio.h>
struct hooks {
    void (*replace)(void);
    void (*remove_old)(void);
    void (*relazify)(void);
};
int drive(const struct hooks *hooks);
static void nothing(void) {}
int main(void)
{
    struct hooks hooks = { nothing, nothing, nothing };
    printf(\"drive returned %d\\n\", drive(&hooks));
    return 0;
}
";

/// A worker thread enters version 1's `wait_in_old` and spins there while
/// the main thread replaces the unit and calls `answer` (version 2); then
/// the worker is let go, joined, and the old unit removed.
const THREADED_DRIVER: &str = "\
#include <pthread.h>
#include <stdatomic.h>
struct hooks {
    void (*replace)(void);
    void (*remove_old)(void);
    void (*relazify)(void);
};

int answer(int x);
int wait_in_old(atomic_int *entered, atomic_int *go);

static atomic_int entered, go;
static int worker_result;

static void *worker(void *arg)
{
    worker_result = wait_in_old(&entered, &go);
    return arg;
}

int drive(const struct hooks *hooks)
{
    pthread_t thread;
    int sum = answer(1);
    pthread_create(&thread, 0, worker, 0);
    while (!atomic_load(&entered)) {}
    hooks->replace();
    sum += answer(2);
    atomic_store(&go, 1);
    pthread_join(thread, 0);
    hooks->remove_old();
    sum += answer(3);
    return sum + worker_result;
}
";

/// Version 1 with the function the worker waits in (its loop on one line).
const THREADED_V1: &str = "\
#include <stdatomic.h>
int answer(int x)
{
    return x + 100;
}

int wait_in_old(atomic_int *entered, atomic_int *go)
{
    atomic_store(entered, 1);
    while (!atomic_load(go)) {}
    return 1;
}
";

/// Version 2: `answer`'s first line is 6, as in [`V2`].
const THREADED_V2: &str = "\
#include <stdatomic.h>
/* Version 2 of answer. */

int answer(int x)
{
    int doubled = 2 * x;
    return doubled + 200;
}

int wait_in_old(atomic_int *entered, atomic_int *go)
{
    atomic_store(entered, 1);
    while (!atomic_load(go)) {}
    return 2;
}
";

/// The example's binary (built by `cargo test` with the other examples).
fn example() -> PathBuf {
    let path = lantern()
        .parent()
        .unwrap()
        .join("examples")
        .join("lazy_replace");
    assert!(
        path.exists(),
        "{} is missing: run the whole `cargo test` (it builds the examples) or `cargo build --examples`",
        path.display()
    );
    // `cargo test --test lazy_replace_debugger` alone does not rebuild it.
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/lazy_replace.rs");
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    assert!(
        modified(&path) >= modified(&source),
        "{} is older than its source: `cargo build --examples`",
        path.display()
    );
    path
}

struct Programs {
    dir: PathBuf,
    /// driver.o, v1.o, v2.o: the example's arguments.
    objects: [PathBuf; 3],
    native_v1: PathBuf,
    native_v2: PathBuf,
}

fn build(name: &str) -> Programs {
    build_with(name, DRIVER, NATIVE_MAIN)
}

fn build_with(name: &str, driver: &str, native_main: &str) -> Programs {
    build_sources(name, driver, V1, V2, native_main)
}

fn build_sources(name: &str, driver: &str, v1: &str, v2: &str, native_main: &str) -> Programs {
    let dir = scratch(name);
    let flags = ["-g", "-O0"];
    let driver = compile_c(&dir, "driver", driver, &flags);
    let v1 = compile_c(&dir, "v1", v1, &flags);
    let v2 = compile_c(&dir, "v2", v2, &flags);
    let main = compile_c(&dir, "main", native_main, &flags);
    let native_v1 = dir.join("native_v1");
    let native_v2 = dir.join("native_v2");
    link_native(&[&main, &driver, &v1], &native_v1).expect("native link");
    link_native(&[&main, &driver, &v2], &native_v2).expect("native link");
    Programs {
        dir,
        objects: [driver, v1, v2],
        native_v1,
        native_v2,
    }
}

/// Every `0x...` number replaced by `0x_` (addresses differ between runs
/// and between the JIT'd and the native program).
fn without_addresses(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("0x") {
        out.push_str(&rest[..at + 2]);
        out.push('_');
        rest = rest[at + 2..].trim_start_matches(|c: char| c.is_ascii_hexdigit());
    }
    out.push_str(rest);
    out
}

/// The frame lines of a section (gdb's `#N ...`, lldb's `frame #N: ...`
/// without the module name), addresses removed, repeats (lldb prints frame
/// #0 at the stop and again in `bt`) dropped.
fn frames(section: &str) -> Vec<String> {
    let mut frames: Vec<String> = section
        .lines()
        .map(|l| l.trim_start_matches(['*', ' ']))
        .filter_map(|l| {
            if l.starts_with('#') {
                Some(without_addresses(l).replace(" 0x_ in ", " "))
            } else if let Some(frame) = l.strip_prefix("frame #") {
                let (number, rest) = frame.split_once(": ")?;
                let function = rest.split_once('`').map_or(rest, |(_, f)| f);
                Some(format!("#{number} {}", without_addresses(function)))
            } else {
                None
            }
        })
        .collect();
    frames.dedup();
    frames
}

/// The session's output cut at each `marker` line (the marker dropped).
fn sections(text: &str, marker: &str) -> Vec<String> {
    let mut sections = vec![String::new()];
    for line in text.lines() {
        if line.trim() == marker {
            sections.push(String::new());
        } else {
            let section = sections.last_mut().expect("one at least");
            section.push_str(line);
            section.push('\n');
        }
    }
    sections
}

fn debugger(cmd: &mut Command) -> (String, String) {
    let got = run_with_timeout(cmd, TIMEOUT).expect("debugger");
    (got.stdout, got.stderr)
}

#[test]
fn gdb_break_after_replace() {
    if !have_gdb_and_lldb() || !have_gcc() {
        return;
    }
    let programs = build("lazy-replace-gdb");
    let script = programs.dir.join("t.gdb");
    // Each stop's section starts at its `continue` (or `run`).
    let stop = "echo ====\\n\n";
    let inspect = "bt 2\necho ----\\n\ninfo functions ^answer$\ninfo breakpoints\n";
    std::fs::write(
        &script,
        format!(
            "set pagination off\nset breakpoint pending on\nbreak answer\n\
             {stop}run\n{inspect}{stop}continue\n{inspect}{stop}continue\n{inspect}{stop}continue\n"
        ),
    )
    .unwrap();
    let gdb = |program: &Path, args: &[PathBuf]| {
        debugger(
            Command::new("gdb")
                .args(["-batch", "-nx", "-x"])
                .arg(&script)
                .arg("--args")
                .arg(program)
                .args(args),
        )
    };
    let (v1_text, _) = gdb(&programs.native_v1, &[]);
    let (v2_text, _) = gdb(&programs.native_v2, &[]);
    let (jit_text, jit_err) = gdb(&example(), &programs.objects);
    let all = format!("{jit_text}\n--- stderr:\n{jit_err}");
    let (v1, v2, jit) = (
        sections(&v1_text, "===="),
        sections(&v2_text, "===="),
        sections(&jit_text, "===="),
    );
    assert_eq!(jit.len(), 5, "{all}");
    assert!(
        jit_err.contains("`answer` replaced by")
            && jit_err.contains("the replaced unit is removed"),
        "{all}"
    );

    // Stop 1: the first call, through the trampoline, runs version 1.
    let first = frames(&jit[1]);
    assert_eq!(first, frames(&v1[1]), "stop 1 differs from native:\n{all}");
    assert!(
        first.len() == 2
            && first[0].starts_with("#0  answer (x=1) at ")
            && first[0].ends_with("v1.c:4")
            && first[1].contains("drive (hooks=0x_) at ")
            && first[1].ends_with("driver.c:10"),
        "stop 1:\n{all}"
    );

    // Stop 2: after the replacement, through the stub, version 2 runs.
    let second = frames(&jit[2]);
    assert_eq!(second, frames(&v2[2]), "stop 2 differs from native:\n{all}");
    assert!(
        second[0].ends_with("v2.c:6") && second[1].ends_with("driver.c:12"),
        "stop 2:\n{all}"
    );
    // Version 1 is still registered (a thread might still run it), so the
    // breakpoint has a location in each version.
    let (_, listing) = jit[2].split_once("----\n").expect("marker");
    // (`File DIR/v1.c:`, `... in answer at DIR/v1.c:4`)
    for expected in ["/v1.c:\n", "/v2.c:\n", "/v1.c:4\n", "/v2.c:6\n"] {
        assert!(
            listing.contains(expected),
            "stop 2 lacks {expected:?}:\n{all}"
        );
    }

    // Stop 3: version 1's unit is removed: gdb knows only version 2, and
    // this stop's whole section reads as the native v2 program's.
    let third = frames(&jit[3]);
    assert!(
        third[0].ends_with("v2.c:6") && third[1].ends_with("driver.c:14"),
        "stop 3:\n{all}"
    );
    assert_eq!(
        without_addresses(&jit[3]),
        without_addresses(&v2[3]),
        "stop 3 differs from native v2:\n{all}"
    );
    assert!(!jit[3].contains("v1.c"), "version 1 is still known:\n{all}");
    assert!(jit[4].contains("exited normally"), "{all}");
    assert!(!all.contains("??"), "{all}");
}

#[test]
fn lldb_break_after_replace() {
    if !have_gdb_and_lldb() || !have_gcc() {
        return;
    }
    let programs = build("lazy-replace-lldb");
    let script = programs.dir.join("t.lldb");
    let inspect = "bt 2\nimage lookup -n answer\nimage list\n";
    std::fs::write(
        &script,
        format!(
            "settings set plugin.jit-loader.gdb.enable on\nbreakpoint set -n answer\n\
             run\n{inspect}continue\n{inspect}continue\n{inspect}continue\n"
        ),
    )
    .unwrap();
    let lldb = |program: &Path, args: &[PathBuf]| {
        let (out, err) = debugger(
            Command::new("lldb-19")
                .args(["-b", "-s"])
                .arg(&script)
                .arg("--")
                .arg(program)
                .args(args),
        );
        format!("{out}\n--- stderr:\n{err}")
    };
    let v1_text = lldb(&programs.native_v1, &[]);
    let v2_text = lldb(&programs.native_v2, &[]);
    let all = lldb(&example(), &programs.objects);
    // Each stop's section starts at its `run` or `continue`.
    let (v1, v2, jit) = (
        sections(&v1_text, "(lldb) continue"),
        sections(&v2_text, "(lldb) continue"),
        sections(&all, "(lldb) continue"),
    );
    assert_eq!(jit.len(), 4, "{all}");

    let first = frames(&jit[0]);
    assert_eq!(first, frames(&v1[0]), "stop 1 differs from native:\n{all}");
    assert!(
        first.len() == 2
            && first[0].starts_with("#0 answer(x=1) at ")
            && first[0].ends_with("v1.c:4:14")
            && first[1].contains("drive(hooks=0x_) at driver.c:10"),
        "stop 1:\n{all}"
    );
    let second = frames(&jit[1]);
    assert_eq!(second, frames(&v2[1]), "stop 2 differs from native:\n{all}");
    assert!(second[0].ends_with("v2.c:6:9"), "stop 2:\n{all}");
    let third = frames(&jit[2]);
    assert_eq!(third, frames(&v2[2]), "stop 3 differs from native:\n{all}");
    assert!(
        third[0].starts_with("#0 answer(x=3)") && third[0].ends_with("v2.c:6:9"),
        "stop 3:\n{all}"
    );

    // The module (JIT object) each version's `answer` is in, from the stops.
    let module = |section: &str, version: &str| -> String {
        section
            .lines()
            .find(|l| l.contains("frame #0:") && l.contains(version))
            .and_then(|l| l.split_once("JIT("))
            .and_then(|(_, rest)| rest.split_once(')'))
            .map(|(address, _)| format!("JIT({address})"))
            .unwrap_or_else(|| panic!("no JIT module for {version}:\n{all}"))
    };
    let (module_v1, module_v2) = (module(&jit[0], "v1.c"), module(&jit[1], "v2.c"));
    assert_ne!(module_v1, module_v2, "{all}");
    // After the replacement both versions are loaded...
    for expected in [
        "`answer at v1.c:3",
        "`answer at v2.c:5",
        &module_v1,
        &module_v2,
    ] {
        assert!(
            jit[1].contains(expected),
            "stop 2 lacks {expected:?}:\n{all}"
        );
    }
    // ... after the removal only version 2 is.
    assert!(
        jit[2].contains("`answer at v2.c:5") && jit[2].contains(&module_v2),
        "stop 3 lost version 2:\n{all}"
    );
    assert!(
        !jit[2].contains("v1.c") && !jit[2].contains(&module_v1),
        "version 1 is still loaded after its removal:\n{all}"
    );
    assert!(jit[3].contains("exited with status = 0"), "{all}");
}

/// gdb: a breakpoint in a relazified function hits again when its next
/// call links it again, with the native frames, and the removed unit's
/// debug object is gone.
#[test]
fn gdb_break_after_relazify() {
    if !have_gdb_and_lldb() || !have_gcc() {
        return;
    }
    let programs = build_with("lazy-relazify-gdb", RELAZIFY_DRIVER, NATIVE_RELAZIFY_MAIN);
    let script = programs.dir.join("t.gdb");
    let stop = "echo ====\\n\n";
    // `info symbol $old`: what is at the address where the first stop was
    // (version 1 as first linked); the JIT objects gdb holds after `++++`.
    let inspect = "bt 2\necho ----\\n\ninfo breakpoints\ninfo symbol $old\n\
                   echo ++++\\n\nmaint print objfiles\n";
    std::fs::write(
        &script,
        format!(
            "set pagination off\nset breakpoint pending on\nbreak answer\n\
             {stop}run\nset $old = $pc\n{inspect}{stop}continue\n{inspect}\
             {stop}continue\nbt 2\n{stop}continue\n"
        ),
    )
    .unwrap();
    let gdb = |program: &Path, args: &[PathBuf]| {
        debugger(
            Command::new("gdb")
                .args(["-batch", "-nx", "-x"])
                .arg(&script)
                .arg("--args")
                .arg(program)
                .args(args),
        )
    };
    let (native_text, _) = gdb(&programs.native_v1, &[]);
    let (jit_text, jit_err) = gdb(&example(), &programs.objects);
    let all = format!("{jit_text}\n--- stderr:\n{jit_err}");
    let (native, jit) = (sections(&native_text, "===="), sections(&jit_text, "===="));
    assert_eq!(jit.len(), 5, "{all}");
    assert!(jit_err.contains("`answer` relazified"), "{all}");
    // Every stop: the native frames, version 1 at each call's line.
    for (i, line) in [(1, 11), (2, 13), (3, 14)] {
        let got = frames(&jit[i]);
        assert_eq!(
            got,
            frames(&native[i]),
            "stop {i} differs from native:\n{all}"
        );
        assert!(
            got.len() == 2
                && got[0].starts_with(&format!("#0  answer (x={i}) at "))
                && got[0].ends_with("v1.c:4")
                && got[1].ends_with(&format!("driver.c:{line}")),
            "stop {i}:\n{all}"
        );
    }
    // The part of a stop before the objfile listing, and the JIT objfiles.
    let split = |section: &str| -> (String, Vec<String>) {
        let (before, objfiles) = section.split_once("++++\n").expect("marker");
        let jit_objfiles = objfiles
            .lines()
            .filter(|l| l.starts_with("Object file <in-memory@"))
            .map(|l| l.split(':').next().unwrap_or(l).to_string())
            .collect();
        (before.to_string(), jit_objfiles)
    };
    let (first, objfiles_1) = split(&jit[1]);
    let (second, objfiles_2) = split(&jit[2]);
    // Stop 1 reads as native; at stop 2 `break answer` has one location
    // (the re-linked code), as natively, but nothing is left at the old
    // address, where natively `answer` still is.
    let (native_first, _) = split(&native[1]);
    let (native_second, _) = split(&native[2]);
    let old_symbol = |text: &str| {
        text.lines()
            .find(|l| l.starts_with("No symbol matches") || l.contains(" in section "))
            .unwrap_or_else(|| panic!("no `info symbol` answer:\n{all}"))
            .to_string()
    };
    assert!(
        old_symbol(&native_second).starts_with("answer + ")
            && old_symbol(&second).starts_with("No symbol matches"),
        "the removed unit's symbols are still known at stop 2:\n{all}"
    );
    let without_symbol = |text: &str| {
        let answer = old_symbol(text);
        without_addresses(&text.replace(&answer, ""))
    };
    // (`info symbol` names the module: `<in-memory@...>` or the binary.)
    assert!(old_symbol(&first).starts_with("answer + "), "{all}");
    assert_eq!(
        without_symbol(&first),
        without_symbol(&native_first),
        "stop 1 differs from native:\n{all}"
    );
    assert_eq!(
        without_symbol(&second),
        without_symbol(&native_second),
        "stop 2 differs from native:\n{all}"
    );
    // The removed unit's object left gdb; the new one came: as many JIT
    // objects as before, not the same ones.
    assert!(!objfiles_1.is_empty(), "{all}");
    assert_eq!(objfiles_1.len(), objfiles_2.len(), "{all}");
    assert_ne!(objfiles_1, objfiles_2, "{all}");
    assert!(jit[4].contains("exited normally"), "{all}");
    assert!(!all.contains("??"), "{all}");
}

/// gdb: `step` at the first call after `relazify` goes through the
/// trampoline again (the unit is linked meanwhile) and stops at the
/// function's first line, as `step` does natively.
#[test]
fn gdb_step_into_relazified_function() {
    if !have_gdb_and_lldb() || !have_gcc() {
        return;
    }
    let programs = build_with("lazy-relazify-step", RELAZIFY_DRIVER, NATIVE_RELAZIFY_MAIN);
    let script = programs.dir.join("t.gdb");
    // Stop in drive, step over the first call and the relazify hook, then
    // step into `answer(2)`.
    std::fs::write(
        &script,
        "set pagination off\nset breakpoint pending on\nbreak drive\nrun\nnext\nnext\n\
         echo ====\\n\nstep\nbt 2\necho ====\\n\nfinish\n",
    )
    .unwrap();
    let gdb = |program: &Path, args: &[PathBuf]| {
        debugger(
            Command::new("gdb")
                .args(["-batch", "-nx", "-x"])
                .arg(&script)
                .arg("--args")
                .arg(program)
                .args(args),
        )
    };
    let (native_text, _) = gdb(&programs.native_v1, &[]);
    let (jit_text, jit_err) = gdb(&example(), &programs.objects);
    let all = format!("{jit_text}\n--- stderr:\n{jit_err}");
    let (native, jit) = (sections(&native_text, "===="), sections(&jit_text, "===="));
    assert_eq!(jit.len(), 3, "{all}");
    assert!(jit_err.contains("`answer` relazified"), "{all}");
    let stepped = frames(&jit[1]);
    assert_eq!(
        stepped,
        frames(&native[1]),
        "step differs from native:\n{all}"
    );
    assert!(
        stepped.len() == 2
            && stepped[0].starts_with("#0  answer (x=2) at ")
            && stepped[0].ends_with("v1.c:4")
            && stepped[1].ends_with("driver.c:13"),
        "step did not stop in answer:\n{all}"
    );
    // `finish` returns to the call's line with the value.
    assert!(jit[2].contains("Value returned is $1 = 102"), "{all}");
    assert!(!all.contains("??"), "{all}");
}

/// lldb: `step` at the first call after `relazify` enters the re-linked
/// function (through the trampoline's line-0 rows, out of the hop while the
/// link runs), as `step` does natively.
#[test]
fn lldb_step_into_relazified_function() {
    if !have_gdb_and_lldb() || !have_gcc() {
        return;
    }
    let programs = build_with(
        "lazy-relazify-lldb-step",
        RELAZIFY_DRIVER,
        NATIVE_RELAZIFY_MAIN,
    );
    let script = programs.dir.join("t.lldb");
    std::fs::write(
        &script,
        "settings set plugin.jit-loader.gdb.enable on
breakpoint set -n drive
run
         next
next
step
bt 2
finish
",
    )
    .unwrap();
    let lldb = |program: &Path, args: &[PathBuf]| {
        let (out, err) = debugger(
            Command::new("lldb-19")
                .args(["-b", "-s"])
                .arg(&script)
                .arg("--")
                .arg(program)
                .args(args),
        );
        format!("{out}\n--- stderr:\n{err}")
    };
    let native_text = lldb(&programs.native_v1, &[]);
    let all = lldb(&example(), &programs.objects);
    assert!(all.contains("`answer` relazified"), "{all}");
    let section = |text: &str| -> Vec<String> {
        let (_, after) = text.split_once("(lldb) bt 2").expect("bt");
        frames(after)
    };
    let stepped = section(&all);
    assert_eq!(
        stepped,
        section(&native_text),
        "step differs from native:\n{all}"
    );
    assert!(
        stepped.len() >= 2
            && stepped[0].starts_with("#0 answer(x=2) at ")
            && stepped[0].ends_with("v1.c:4:14")
            && stepped[1].contains("driver.c:13"),
        "step did not stop in answer:\n{all}"
    );
    assert!(all.contains("Return value: (int) $0 = 102"), "{all}");
}

/// lldb: the same as [`gdb_break_after_relazify`]: the breakpoint stops in
/// the re-linked code with the native frames, `image lookup` finds one
/// `answer`, the removed unit's module is gone and a new one is loaded.
#[test]
fn lldb_break_after_relazify() {
    if !have_gdb_and_lldb() || !have_gcc() {
        return;
    }
    let programs = build_with("lazy-relazify-lldb", RELAZIFY_DRIVER, NATIVE_RELAZIFY_MAIN);
    let script = programs.dir.join("t.lldb");
    let inspect = "bt 2\nimage lookup -n answer\nimage list\n";
    std::fs::write(
        &script,
        format!(
            "settings set plugin.jit-loader.gdb.enable on\nbreakpoint set -n answer\n\
             run\n{inspect}continue\n{inspect}continue\nbt 2\ncontinue\n"
        ),
    )
    .unwrap();
    let lldb = |program: &Path, args: &[PathBuf]| {
        let (out, err) = debugger(
            Command::new("lldb-19")
                .args(["-b", "-s"])
                .arg(&script)
                .arg("--")
                .arg(program)
                .args(args),
        );
        format!("{out}\n--- stderr:\n{err}")
    };
    let native_text = lldb(&programs.native_v1, &[]);
    let all = lldb(&example(), &programs.objects);
    let (native, jit) = (
        sections(&native_text, "(lldb) continue"),
        sections(&all, "(lldb) continue"),
    );
    assert_eq!(jit.len(), 4, "{all}");
    assert!(all.contains("`answer` relazified"), "{all}");
    for (i, line) in [(0, 11), (1, 13), (2, 14)] {
        let got = frames(&jit[i]);
        assert_eq!(
            got,
            frames(&native[i]),
            "stop {} differs from native:\n{all}",
            i + 1
        );
        assert!(
            got.len() == 2
                && got[0].starts_with(&format!("#0 answer(x={}) at ", i + 1))
                && got[0].ends_with("v1.c:4:14")
                && got[1].contains(&format!("drive(hooks=0x_) at driver.c:{line}")),
            "stop {}:\n{all}",
            i + 1
        );
    }
    // `image list`'s JIT modules (UUID and name) at a stop.
    let modules = |section: &str| -> Vec<String> {
        section
            .lines()
            .filter(|l| l.contains(" JIT(0x") && l.trim_start().starts_with('['))
            .map(|l| {
                l.split_once(']')
                    .map_or(l, |(_, m)| m)
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    };
    let (before, after) = (modules(&jit[0]), modules(&jit[1]));
    assert!(!before.is_empty(), "{all}");
    assert_eq!(before.len(), after.len(), "{all}");
    let gone: Vec<&String> = before.iter().filter(|m| !after.contains(m)).collect();
    assert_eq!(
        gone.len(),
        1,
        "one module (the removed unit's) should be gone:\n{all}"
    );
    for (i, section) in jit[..2].iter().enumerate() {
        assert!(
            section.contains("1 match found in JIT(") && !section.contains("matches found"),
            "stop {}: `image lookup -n answer` should find one answer:\n{all}",
            i + 1
        );
    }
    assert!(jit[3].contains("exited with status = 0"), "{all}");
}

/// gdb on a replacement made while another thread runs the old version:
/// the worker thread spins in version 1's `wait_in_old` while the main
/// thread replaces the unit. At the stop in `answer(2)` the main thread is
/// in version 2 (frames of the native v2 program), the worker still in
/// version 1 (frames of the native v1 program's worker), and `break
/// answer` has a location in each version; once the worker has left and
/// the old unit is removed, the stop in `answer(3)` reads as on the native
/// v2 program.
#[test]
fn gdb_replace_while_another_thread_runs_the_old_version() {
    if !have_gdb_and_lldb() || !have_gcc() {
        return;
    }
    let programs = build_sources(
        "lazy-replace-threads-gdb",
        THREADED_DRIVER,
        THREADED_V1,
        THREADED_V2,
        NATIVE_RELAZIFY_MAIN,
    );
    let script = programs.dir.join("t.gdb");
    let stop = "echo ====\\n\n";
    // At each stop: the main thread's frames, then every thread's.
    let inspect = "bt 2\necho ----\\n\nthread apply all bt 2\necho ----\\n\ninfo breakpoints\n";
    std::fs::write(
        &script,
        format!(
            "set pagination off\nset breakpoint pending on\nbreak answer\n\
             {stop}run\n{inspect}{stop}continue\n{inspect}{stop}continue\n{inspect}{stop}continue\n"
        ),
    )
    .unwrap();
    let gdb = |program: &Path, args: &[PathBuf]| {
        debugger(
            Command::new("gdb")
                .args(["-batch", "-nx", "-x"])
                .arg(&script)
                .arg("--args")
                .arg(program)
                .args(args),
        )
    };
    let (v1_text, _) = gdb(&programs.native_v1, &[]);
    let (v2_text, _) = gdb(&programs.native_v2, &[]);
    let (jit_text, jit_err) = gdb(&example(), &programs.objects);
    let all = format!("{jit_text}\n--- stderr:\n{jit_err}");
    let (v1, v2, jit) = (
        sections(&v1_text, "===="),
        sections(&v2_text, "===="),
        sections(&jit_text, "===="),
    );
    assert_eq!(jit.len(), 5, "{all}");
    assert!(
        jit_err.contains("`answer` replaced by")
            && jit_err.contains("the replaced unit is removed"),
        "{all}"
    );
    // A stop's parts: the main thread's `bt 2`, the worker's frames (the
    // thread in `wait_in_old`, if any), `info breakpoints`.
    let parts = |section: &str| -> (Vec<String>, Vec<String>, String) {
        let mut pieces = section.split("----\n");
        let main = frames(pieces.next().unwrap_or(""));
        let threads = pieces.next().unwrap_or("");
        let worker = threads
            .split("\nThread ")
            .find(|t| t.contains("wait_in_old"))
            .map(frames)
            .unwrap_or_default();
        (main, worker, pieces.next().unwrap_or("").to_string())
    };
    // Stop 1: before the worker starts, version 1.
    let (main_1, worker_1, _) = parts(&jit[1]);
    assert_eq!(
        main_1,
        parts(&v1[1]).0,
        "stop 1 differs from native v1:\n{all}"
    );
    assert!(
        main_1[0].ends_with("v1.c:4") && worker_1.is_empty(),
        "stop 1:\n{all}"
    );
    // Stop 2: the main thread in version 2 ...
    let (main_2, worker_2, breakpoints_2) = parts(&jit[2]);
    assert_eq!(
        main_2,
        parts(&v2[2]).0,
        "stop 2 (main thread) differs from native v2:\n{all}"
    );
    assert!(
        main_2[0].starts_with("#0  answer (x=2) at ")
            && main_2[0].ends_with("v2.c:6")
            && main_2[1].ends_with("driver.c:28"),
        "stop 2:\n{all}"
    );
    // ... the worker in version 1, as in the native v1 program.
    let native_worker = parts(&v1[2]).1;
    assert_eq!(
        worker_2, native_worker,
        "stop 2 (worker) differs from native v1:\n{all}"
    );
    assert!(
        worker_2.len() == 2
            && worker_2[0].starts_with("#0  ")
            && worker_2[0].contains("wait_in_old (entered=0x_ <entered>, go=0x_ <go>) at ")
            && worker_2[0].ends_with("v1.c:10")
            && worker_2[1].contains("worker (arg=0x_) at ")
            && worker_2[1].ends_with("driver.c:17"),
        "stop 2 (worker):\n{all}"
    );
    // Both versions are registered: the breakpoint has two locations.
    assert!(
        breakpoints_2.contains("/v1.c:4\n") && breakpoints_2.contains("/v2.c:6\n"),
        "stop 2 breakpoints:\n{all}"
    );
    // Stop 3: the worker has left and version 1 is removed: the whole stop
    // reads as on the native v2 program (no worker thread any more).
    let (main_3, worker_3, _) = parts(&jit[3]);
    assert!(
        main_3[0].ends_with("v2.c:6") && main_3[1].ends_with("driver.c:32") && worker_3.is_empty(),
        "stop 3:\n{all}"
    );
    let (_, _, native_breakpoints_3) = parts(&v2[3]);
    assert_eq!(
        without_addresses(&parts(&jit[3]).2),
        without_addresses(&native_breakpoints_3),
        "stop 3's breakpoints differ from native v2:\n{all}"
    );
    assert!(!jit[3].contains("v1.c"), "version 1 is still known:\n{all}");
    assert!(jit[4].contains("exited normally"), "{all}");
    assert!(!all.contains("??"), "{all}");
}

/// lldb: the same as [`gdb_replace_while_another_thread_runs_the_old_version`]:
/// at the stop in `answer(2)` the main thread is in version 2, the worker
/// in version 1 (each as in the native program of its version), and `image
/// lookup -n answer` finds both versions; after the removal, one.
#[test]
fn lldb_replace_while_another_thread_runs_the_old_version() {
    if !have_gdb_and_lldb() || !have_gcc() {
        return;
    }
    let programs = build_sources(
        "lazy-replace-threads-lldb",
        THREADED_DRIVER,
        THREADED_V1,
        THREADED_V2,
        NATIVE_RELAZIFY_MAIN,
    );
    let script = programs.dir.join("t.lldb");
    let inspect = "thread backtrace all -c 2\nimage lookup -n answer\n";
    std::fs::write(
        &script,
        format!(
            "settings set plugin.jit-loader.gdb.enable on\nbreakpoint set -n answer\n\
             run\n{inspect}continue\n{inspect}continue\n{inspect}continue\n"
        ),
    )
    .unwrap();
    let lldb = |program: &Path, args: &[PathBuf]| {
        let (out, err) = debugger(
            Command::new("lldb-19")
                .args(["-b", "-s"])
                .arg(&script)
                .arg("--")
                .arg(program)
                .args(args),
        );
        format!("{out}\n--- stderr:\n{err}")
    };
    let v1_text = lldb(&programs.native_v1, &[]);
    let v2_text = lldb(&programs.native_v2, &[]);
    let all = lldb(&example(), &programs.objects);
    let (v1, v2, jit) = (
        sections(&v1_text, "(lldb) continue"),
        sections(&v2_text, "(lldb) continue"),
        sections(&all, "(lldb) continue"),
    );
    assert_eq!(jit.len(), 4, "{all}");
    // A stop's `thread backtrace all`: the frames of the thread in
    // `answer` and of the one in `wait_in_old` (if any).
    let threads = |section: &str| -> (Vec<String>, Vec<String>) {
        let (_, after) = section
            .split_once("(lldb) thread backtrace all")
            .unwrap_or(("", ""));
        let backtraces = after.split("(lldb) image lookup").next().unwrap_or("");
        let of = |function: &str| {
            backtraces
                .split("thread #")
                .find(|t| t.contains(&format!("`{function}(")))
                .map(frames)
                .unwrap_or_default()
        };
        (of("answer"), of("wait_in_old"))
    };
    let (main_2, worker_2) = threads(&jit[1]);
    assert_eq!(
        main_2,
        threads(&v2[1]).0,
        "stop 2 (main thread) differs from native v2:\n{all}"
    );
    // The worker spins on one line, but its instructions carry different
    // columns: which one it was stopped at is chance, natively too.
    let without_column = |frames: Vec<String>| -> Vec<String> {
        frames
            .into_iter()
            .map(|f| match f.rsplit_once(':') {
                Some((rest, column))
                    if rest.contains(" at ") && column.chars().all(|c| c.is_ascii_digit()) =>
                {
                    rest.to_string()
                }
                _ => f,
            })
            .collect()
    };
    assert!(
        main_2.len() == 2
            && main_2[0].starts_with("#0 answer(x=2) at ")
            && main_2[0].ends_with("v2.c:6:9"),
        "stop 2:\n{all}"
    );
    assert_eq!(
        without_column(worker_2.clone()),
        without_column(threads(&v1[1]).1),
        "stop 2 (worker) differs from native v1:\n{all}"
    );
    assert!(
        worker_2.len() == 2
            && worker_2[0].contains("wait_in_old(")
            && worker_2[0].contains(" at v1.c:10:")
            && worker_2[1].contains("worker(arg=0x_) at driver.c:17:"),
        "stop 2 (worker):\n{all}"
    );
    // Both versions are loaded at stop 2; only version 2 at stop 3.
    let lookup = |section: &str| -> String {
        section
            .split_once("(lldb) image lookup -n answer")
            .map(|(_, l)| l.to_string())
            .unwrap_or_default()
    };
    let at_2 = lookup(&jit[1]);
    assert!(
        at_2.contains("`answer at v1.c:3") && at_2.contains("`answer at v2.c:5"),
        "stop 2 lookup:\n{all}"
    );
    let (main_3, worker_3) = threads(&jit[2]);
    assert_eq!(
        main_3,
        threads(&v2[2]).0,
        "stop 3 differs from native v2:\n{all}"
    );
    assert!(
        main_3[0].starts_with("#0 answer(x=3)") && worker_3.is_empty(),
        "stop 3:\n{all}"
    );
    let at_3 = lookup(&jit[2]);
    assert!(
        at_3.contains("`answer at v2.c:5") && !at_3.contains("v1.c"),
        "version 1 is still loaded after its removal:\n{all}"
    );
    assert!(jit[3].contains("exited with status = 0"), "{all}");
}
