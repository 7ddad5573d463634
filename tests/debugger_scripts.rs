//! The debugger helper scripts in `debugger-scripts/`: `lantern-jit list`,
//! `dump` and `check` under gdb and lldb-19 on `lantern run` of the shapes
//! program, with the dump parsed by the `object` crate and tied back to the
//! process (a function's address in the dump is the debugger's address for
//! it); `check` failing when the list and an object are corrupted in memory;
//! `check` on processes with no JIT objects (the native program, and
//! `--no-debugger-support`) passing with 0 objects; and `lantern_jit.py` run
//! as a script finding each kind of malformed object.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use object::{Object, ObjectSection, ObjectSymbol};
use support::*;

const TIMEOUT: Duration = Duration::from_secs(120);

/// Printed after the commands under test: a command error stops a batch
/// script in both debuggers, so its absence means one failed.
const DONE: &str = "lantern-jit-done";

/// How many times DONE was printed (lldb also echoes the command itself).
fn done(output: &str) -> usize {
    output.lines().filter(|l| l.trim() == DONE).count()
}

fn scripts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("debugger-scripts")
}

struct Shapes {
    dir: PathBuf,
    /// main.o, shapes.o.
    objects: Vec<PathBuf>,
    native: PathBuf,
}

/// Compiles the shapes program with gcc -g -O0 and links the native program.
fn build_shapes(tag: &str) -> Shapes {
    let dir = scratch(&format!("debugger-scripts-{tag}"));
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/debug-programs/shapes");
    let objects: Vec<PathBuf> = ["main", "shapes"]
        .iter()
        .map(|name| {
            let obj = dir.join(format!("{name}.o"));
            check(
                Command::new("gcc")
                    .args(["-g", "-O0", "-c"])
                    .arg(src.join(format!("{name}.c")))
                    .arg("-o")
                    .arg(&obj),
            )
            .unwrap();
            obj
        })
        .collect();
    let native = dir.join("shapes");
    link_native(&objects, &native).unwrap();
    Shapes {
        dir,
        objects,
        native,
    }
}

impl Shapes {
    /// `lantern run [flags] main.o shapes.o` as a program and its arguments.
    fn lantern_run(&self, flags: &[&str]) -> Vec<String> {
        let mut args = vec![lantern().display().to_string(), "run".to_string()];
        args.extend(flags.iter().map(|f| f.to_string()));
        args.extend(self.objects.iter().map(|o| o.display().to_string()));
        args
    }

    fn native(&self) -> Vec<String> {
        vec![self.native.display().to_string()]
    }
}

/// Runs `script` under gdb or lldb-19 in batch mode; returns stdout + stderr.
fn run_debugger(debugger: &str, dir: &Path, tag: &str, script: &str, program: &[String]) -> String {
    let path = dir.join(format!("{tag}.{debugger}"));
    std::fs::write(&path, script).unwrap();
    let mut cmd = if debugger == "gdb" {
        let mut c = Command::new("gdb");
        c.args(["-batch", "-nx", "-x"]).arg(&path).arg("--args");
        c
    } else {
        let mut c = Command::new("lldb-19");
        c.args(["-b", "-s"]).arg(&path).arg("--");
        c
    };
    cmd.args(program);
    let out = run_with_timeout(&mut cmd, TIMEOUT).unwrap_or_else(|e| panic!("{debugger}: {e}"));
    format!("{}{}", out.stdout, out.stderr)
}

/// A script's opening: stop in `stop_at`, then load the helper commands.
fn prologue(debugger: &str, stop_at: &str) -> String {
    if debugger == "gdb" {
        format!(
            "set pagination off\nset confirm off\nset width 0\nset breakpoint pending on\n\
             break {stop_at}\nrun\nsource {}\n",
            scripts().join("gdb/lantern-gdb.py").display()
        )
    } else {
        format!(
            "settings set plugin.jit-loader.gdb.enable on\nsettings set use-color false\n\
             breakpoint set --name {stop_at}\nprocess launch\ncommand script import {}\n",
            scripts().join("lldb/lantern_lldb.py").display()
        )
    }
}

fn echo_done(debugger: &str) -> String {
    if debugger == "gdb" {
        format!("echo {DONE}\\n\n")
    } else {
        format!("script print(\"{DONE}\")\n")
    }
}

/// Prints `&scaled_sides` as hex, as a line ending in `= 0x...`.
fn print_address(debugger: &str) -> &'static str {
    if debugger == "gdb" {
        "print/x (unsigned long)&scaled_sides\n"
    } else {
        "expression -f x -- (unsigned long)&scaled_sides\n"
    }
}

/// Sets the descriptor's version to 2 and the first object's first byte to
/// 'X', through the debugger: `check` must report both.
fn corrupt(debugger: &str) -> &'static str {
    if debugger == "gdb" {
        "python import struct; inf = gdb.selected_inferior(); \
         d = int(gdb.parse_and_eval(\"&__jit_debug_descriptor\")); \
         first = struct.unpack(\"<Q\", bytes(inf.read_memory(d + 16, 8)))[0]; \
         symfile = struct.unpack(\"<Q\", bytes(inf.read_memory(first + 16, 8)))[0]; \
         inf.write_memory(d, struct.pack(\"<I\", 2)); inf.write_memory(symfile, b\"X\")\n"
    } else {
        "script import struct; t = lldb.target; p = lldb.process; e = lldb.SBError(); \
         d = t.FindSymbols(\"__jit_debug_descriptor\").GetContextAtIndex(0)\
         .GetSymbol().GetStartAddress().GetLoadAddress(t); \
         first = struct.unpack(\"<Q\", p.ReadMemory(d + 16, 8, e))[0]; \
         symfile = struct.unpack(\"<Q\", p.ReadMemory(first + 16, 8, e))[0]; \
         p.WriteMemory(d, struct.pack(\"<I\", 2), e); p.WriteMemory(symfile, b\"X\", e)\n"
    }
}

/// One object in `lantern-jit list` output.
#[derive(Debug)]
struct Listed {
    functions: usize,
    /// (name, address, flags) of each allocated section.
    sections: Vec<(String, u64, String)>,
}

fn hex(text: &str) -> u64 {
    u64::from_str_radix(text.trim_start_matches("0x"), 16)
        .unwrap_or_else(|e| panic!("not hex: {text:?}: {e}"))
}

fn parse_list(output: &str) -> Vec<Listed> {
    let mut objects: Vec<Listed> = Vec::new();
    for line in output.lines() {
        if line.starts_with('[') && line.contains("] symfile=") {
            let functions = line
                .split_whitespace()
                .find_map(|w| w.strip_prefix("functions="))
                .unwrap_or_else(|| panic!("no function count: {line:?}"));
            objects.push(Listed {
                functions: functions.parse().unwrap(),
                sections: Vec::new(),
            });
        } else if let (Some(object), Some(rest)) = (objects.last_mut(), line.strip_prefix("    ")) {
            let words: Vec<&str> = rest.split_whitespace().collect();
            if let [name, addr, size, flags] = words[..] {
                if addr.starts_with("0x") && size.starts_with("size=") {
                    object
                        .sections
                        .push((name.to_string(), hex(addr), flags.to_string()));
                }
            }
        }
    }
    objects
}

/// The hex value printed on the line after the `&scaled_sides` command.
fn printed_address(output: &str) -> u64 {
    output
        .lines()
        .filter(|l| l.contains(" = 0x"))
        .find_map(|l| l.rsplit_once(" = ").map(|(_, v)| hex(v.trim())))
        .unwrap_or_else(|| panic!("no address printed:\n{output}"))
}

/// Parses a dumped debug object and returns `scaled_sides`' address in the
/// process (its section's address plus its section-relative value).
fn check_dump(path: &Path, listed: &Listed) -> u64 {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let file = object::File::parse(&*bytes).expect("the dump parses as an object file");
    assert_eq!(file.kind(), object::ObjectKind::Relocatable);
    assert_eq!(file.architecture(), object::Architecture::X86_64);
    let symbol = file
        .symbols()
        .find(|s| s.name() == Ok("scaled_sides"))
        .expect("the dump has a symbol scaled_sides");
    assert_eq!(symbol.kind(), object::SymbolKind::Text);
    let section = file
        .section_by_index(symbol.section_index().expect("a defined symbol"))
        .unwrap();
    assert!(
        listed.sections.iter().any(
            |(name, addr, _)| Ok(name.as_str()) == section.name() && *addr == section.address()
        ),
        "scaled_sides' section {:?} at {:#x} is not in the listing {listed:?}",
        section.name(),
        section.address()
    );
    section.address() + symbol.address()
}

/// list, check and dump under `debugger` on `lantern run main.o shapes.o`,
/// stopped in scaled_sides; then check on a corrupted list.
fn list_check_dump(debugger: &str) {
    let shapes = build_shapes(debugger);
    let dump = shapes.dir.join(format!("{debugger}-dump.o"));
    let script = format!(
        "{}lantern-jit list\nlantern-jit check\nlantern-jit dump 0 {}\n{}{}{}\
         lantern-jit check\n{}",
        prologue(debugger, "scaled_sides"),
        dump.display(),
        print_address(debugger),
        echo_done(debugger),
        corrupt(debugger),
        echo_done(debugger),
    );
    let out = run_debugger(
        debugger,
        &shapes.dir,
        "list",
        &script,
        &shapes.lantern_run(&[]),
    );
    assert!(
        done(&out) > 0,
        "{debugger}: a lantern-jit command failed:\n{out}"
    );
    assert!(
        out.contains("scaled_sides"),
        "{debugger}: did not stop in scaled_sides:\n{out}"
    );
    assert!(
        out.contains("lantern-jit: 1 object registered (descriptor at 0x"),
        "{out}"
    );
    let listed = parse_list(&out);
    assert_eq!(listed.len(), 1, "{debugger}: expected one object:\n{out}");
    let object = &listed[0];
    assert!(object.functions >= 4, "{debugger}: {object:?}\n{out}");
    assert!(
        object
            .sections
            .iter()
            .any(|(name, addr, flags)| name == ".text" && *addr != 0 && flags.contains('X')),
        "{debugger}: no .text at a real address: {object:?}\n{out}"
    );
    assert!(
        out.contains("lantern-jit check: 1 object, all well formed"),
        "{out}"
    );
    assert!(out.contains("lantern-jit: wrote object [0] ("), "{out}");
    let address = check_dump(&dump, object);
    assert_eq!(
        address,
        printed_address(&out),
        "{debugger}: scaled_sides in the dump is not where the debugger sees it:\n{out}"
    );
    // The corrupted list: both problems reported, as a command error that
    // stops the script before the second marker.
    assert!(
        out.contains("problem: __jit_debug_descriptor version 2, not 1"),
        "{out}"
    );
    assert!(out.contains(": bad ELF magic b'XELF'"), "{out}");
    assert!(
        out.contains("lantern-jit check: 1 object, 2 problems"),
        "{out}"
    );
    assert_eq!(done(&out), 1, "{debugger}: check did not fail:\n{out}");
}

/// `check` where nothing is registered: the native program has no
/// descriptor, `--no-debugger-support` has an empty list. Neither is an error.
fn no_objects(debugger: &str) {
    let shapes = build_shapes(&format!("{debugger}-empty"));
    let script = format!(
        "{}lantern-jit list\nlantern-jit check\n{}",
        prologue(debugger, "printf"),
        echo_done(debugger)
    );
    let native = run_debugger(debugger, &shapes.dir, "native", &script, &shapes.native());
    assert!(
        done(&native) > 0,
        "{debugger}: check failed on the native program:\n{native}"
    );
    assert!(
        native.contains("lantern-jit: no __jit_debug_descriptor in this process: 0 objects"),
        "{native}"
    );
    assert!(
        native.contains("lantern-jit check: 0 objects, all well formed"),
        "{native}"
    );

    let program = shapes.lantern_run(&["--no-debugger-support"]);
    let off = run_debugger(debugger, &shapes.dir, "off", &script, &program);
    assert!(
        done(&off) > 0,
        "{debugger}: check failed with --no-debugger-support:\n{off}"
    );
    assert!(
        off.contains("lantern-jit: 0 objects registered (descriptor at 0x"),
        "{off}"
    );
    assert!(
        off.contains("lantern-jit check: 0 objects, all well formed"),
        "{off}"
    );
}

#[test]
fn gdb_list_check_dump() {
    if have(&[(&["gdb"], "gdb"), (&["gcc"], "gcc")]) {
        list_check_dump("gdb");
    }
}

#[test]
fn lldb_list_check_dump() {
    if have(&[(&["lldb-19"], "lldb-19"), (&["gcc"], "gcc")]) {
        list_check_dump("lldb");
    }
}

#[test]
fn gdb_check_without_objects() {
    if have(&[(&["gdb"], "gdb"), (&["gcc"], "gcc")]) {
        no_objects("gdb");
    }
}

#[test]
fn lldb_check_without_objects() {
    if have(&[(&["lldb-19"], "lldb-19"), (&["gcc"], "gcc")]) {
        no_objects("lldb");
    }
}

/// With `--separate-units` each object is its own unit. Registered one by
/// one: two entries, newest first, linked both ways, each with its own
/// functions. Batched (the default): one merged entry with all of them.
#[test]
fn gdb_lists_every_unit() {
    if !have(&[(&["gdb"], "gdb"), (&["gcc"], "gcc")]) {
        return;
    }
    let shapes = build_shapes("gdb-units");
    for (mode, expected) in [("per-unit", &[2, 3][..]), ("batched", &[5][..])] {
        // shapes.o first: main.o uses what it defines.
        let registration = format!("--debug-registration={mode}");
        let mut program = shapes.lantern_run(&["--separate-units", &registration]);
        program.truncate(4);
        program.extend(shapes.objects.iter().rev().map(|o| o.display().to_string()));
        let script = format!(
            "{}lantern-jit list\nlantern-jit check\n{}",
            prologue("gdb", "scaled_sides"),
            echo_done("gdb")
        );
        let out = run_debugger(
            "gdb",
            &shapes.dir,
            &format!("units-{mode}"),
            &script,
            &program,
        );
        assert!(done(&out) > 0, "{out}");
        let listed = parse_list(&out);
        // main.o: main, accumulate; shapes.o: perimeter, scaled_sides, side_length.
        let functions: Vec<usize> = listed.iter().map(|l| l.functions).collect();
        assert_eq!(functions, expected, "{mode}:\n{out}");
        assert!(
            out.contains(&match expected.len() {
                1 => "lantern-jit check: 1 object, all well formed".to_string(),
                n => format!("lantern-jit check: {n} objects, all well formed"),
            }),
            "{mode}:\n{out}"
        );
    }
}

/// Writes `bytes` with `patch` applied to `dir/name`.
fn patched(dir: &Path, name: &str, bytes: &[u8], patch: impl FnOnce(&mut Vec<u8>)) -> PathBuf {
    let mut bytes = bytes.to_vec();
    patch(&mut bytes);
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// `python3 lantern_jit.py FILE...` on a good debug object and on copies
/// broken in each way `check` looks for.
#[test]
fn lantern_jit_py_finds_malformed_objects() {
    if !have(&[(&["python3"], "python3"), (&["gcc"], "gcc")]) {
        return;
    }
    let shapes = build_shapes("python");
    let out_dir = shapes.dir.join("debug");
    check(
        Command::new(lantern())
            .args(["debug-object", "--out"])
            .arg(&out_dir)
            .args(&shapes.objects),
    )
    .unwrap();
    let good = out_dir.join("main.0.debug.o");
    let bytes = std::fs::read(&good).unwrap();
    let file = object::File::parse(&*bytes).unwrap();
    let shoff = u64::from_le_bytes(bytes[0x28..0x30].try_into().unwrap()) as usize;
    let header = |index: usize| shoff + 64 * index;
    let text = file.section_by_name(".text").unwrap().index().0;
    let info = file.section_by_name(".debug_info").unwrap().index().0;
    let symtab = file.section_by_name(".symtab").unwrap();
    let symtab_offset = symtab.file_range().unwrap().0 as usize;
    let symbol = file
        .symbols()
        .find(|s| s.name() == Ok("scaled_sides"))
        .unwrap();
    let value_at = symtab_offset + 24 * symbol.index().0 + 8;

    let dir = &shapes.dir;
    let cases = [
        (
            patched(dir, "magic.o", &bytes, |b| b[0] = b'X'),
            "bad ELF magic".to_string(),
        ),
        (
            patched(dir, "machine.o", &bytes, |b| b[18] = 3),
            "machine 3 is not x86-64".to_string(),
        ),
        (
            patched(dir, "exec.o", &bytes, |b| b[16] = 2),
            "type 2 is not ET_REL".to_string(),
        ),
        (
            patched(dir, "table.o", &bytes, |b| b.truncate(shoff + 64)),
            "out of bounds".to_string(),
        ),
        (
            patched(dir, "zero.o", &bytes, |b| {
                b[header(text) + 16..header(text) + 24].fill(0)
            }),
            format!("allocated section .text (#{text}) at address 0"),
        ),
        (
            patched(dir, "rela.o", &bytes, |b| b[header(info) + 4] = 4),
            "relocation section .debug_info".to_string(),
        ),
        (
            patched(dir, "symbol.o", &bytes, |b| {
                b[value_at..value_at + 8].copy_from_slice(&0x10_0000u64.to_le_bytes())
            }),
            "symbol scaled_sides [0x100000, ".to_string(),
        ),
    ];
    let script = scripts().join("lantern_jit.py");
    let good_run = Command::new("python3")
        .arg(&script)
        .arg(&good)
        .output()
        .unwrap();
    let text_out = String::from_utf8_lossy(&good_run.stdout);
    assert!(
        good_run.status.success() && text_out.contains(": well formed"),
        "{text_out}"
    );
    for (path, expected) in &cases {
        let run = Command::new("python3")
            .arg(&script)
            .arg(path)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&run.stdout);
        assert_eq!(run.status.code(), Some(1), "{}: {stdout}", path.display());
        assert!(
            stdout.contains(expected),
            "{}: expected {expected:?}, got:\n{stdout}",
            path.display()
        );
    }
}
