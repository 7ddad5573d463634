//! The command line as users meet it: help, sources compiled on the fly,
//! response files, layout and timing reports, exit status and signals.

mod support;

use std::path::Path;
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
        "--oop",
        "--no-shared-memory",
        "--entry",
        "-l <NAME>",
        "--preload",
        "--verbose",
        "--timings",
        "--lazy",
        "--back-patch",
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
    if !have_gcc() {
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

/// An object read from a pipe (`/dev/stdin`, or a shell's `<(zcat x.o.gz)`) links
/// as a file does: it cannot be mapped, so it is read whole.
#[test]
fn objects_can_come_from_a_pipe() {
    if !have_gcc() {
        return;
    }
    let dir = scratch("cli-pipe");
    let obj = compile_c(&dir, "piped", "int main(void){ return 42; }", &[]);
    let mut child = Command::new(lantern())
        .args(["run", "/dev/stdin"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let bytes = std::fs::read(&obj).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    std::io::Write::write_all(&mut stdin, &bytes).unwrap();
    drop(stdin);
    let out = outcome(child.wait_with_output().unwrap());
    assert_eq!(out.status, "exit 42", "{out:?}");
}

#[test]
fn entry_option_selects_the_function() {
    if !have_gcc() {
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
    if !have_gcc() {
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
    if !have_gcc() {
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
    if !have_gcc() {
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
    if !have_gcc() {
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
    if !have_gcc() {
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

/// The program prints its pid, `hot_loop`'s address and the line of
/// `/proc/self/maps` holding it: perf applies `/tmp/perf-PID.map` only to
/// anonymous memory, so the line must name no file (a memfd mapping, as
/// packed JIT memory is, perf takes for a deleted file and never looks up).
const PERF_MAP_PROGRAM: &str = "#include <stdio.h>\n#include <string.h>\n#include <stdlib.h>\n#include <unistd.h>\nint hot_loop(int n) { int s = 0; for (int i = 0; i < n; i++) s += i; return s; }\nint main(void) {\n  unsigned long at = (unsigned long)hot_loop;\n  char line[512]; FILE *maps = fopen(\"/proc/self/maps\", \"r\");\n  printf(\"%d %lx %d\\n\", (int)getpid(), at, hot_loop(10));\n  while (fgets(line, sizeof line, maps)) { unsigned long lo = strtoul(line, 0, 16), hi = strtoul(strchr(line, '-') + 1, 0, 16); if (lo <= at && at < hi) fputs(line, stdout); }\n  return 0;\n}\n";

/// Checks the perf map the run wrote: `main` and `hot_loop` named, with
/// `hot_loop` at the address the program printed, in anonymous memory.
fn check_perf_map(stdout: &str) {
    let mut first = stdout.lines().next().unwrap().split_whitespace();
    let (pid, at) = (first.next().unwrap(), first.next().unwrap());
    let mapping = stdout
        .lines()
        .nth(1)
        .unwrap_or_else(|| panic!("no mapping: {stdout}"));
    assert_eq!(
        mapping.split_whitespace().count(),
        5,
        "hot_loop is not in anonymous memory, perf would not read the map: {mapping}"
    );
    let map_path = format!("/tmp/perf-{pid}.map");
    let map = std::fs::read_to_string(&map_path).unwrap_or_else(|e| panic!("{map_path}: {e}"));
    let _ = std::fs::remove_file(&map_path);
    for name in ["main", "hot_loop"] {
        let line = map
            .lines()
            .find(|l| l.ends_with(&format!(" {name}")))
            .unwrap_or_else(|| panic!("no {name} in {map_path}:\n{map}"));
        let mut words = line.split(' ');
        let start = words.next().unwrap();
        let size = u64::from_str_radix(words.next().unwrap(), 16).unwrap();
        assert!(size > 0, "{line}");
        if name == "hot_loop" {
            assert_eq!(start, at, "{line}");
        }
    }
}

#[test]
fn perf_map_names_the_jit_functions() {
    if !have_gcc() {
        return;
    }
    let dir = scratch("cli-perf-map");
    let obj = compile_c(&dir, "prog", PERF_MAP_PROGRAM, &["-O1"]);
    let out = run(Command::new(lantern())
        .args(["run", "--perf-map"])
        .arg(&obj));
    assert_eq!(out.status, "exit 0", "{}", out.stderr);
    check_perf_map(&out.stdout);
    // Packed memory asked for by name: the map is written, with a warning
    // that perf will not use it.
    let out = run(Command::new(lantern())
        .args(["run", "--perf-map", "--memory", "packed"])
        .arg(&obj));
    assert_eq!(out.status, "exit 0", "{}", out.stderr);
    assert!(out.stderr.contains("use --memory pages"), "{}", out.stderr);
    let pid = out.stdout.split_whitespace().next().unwrap();
    let _ = std::fs::remove_file(format!("/tmp/perf-{pid}.map"));
}

/// Out of process, the map is the executor's (`/tmp/perf-PID.map` of the
/// process perf samples), written by the controller; the executor's JIT
/// memory is then not shared (a memfd) but its own anonymous memory.
#[test]
fn perf_map_out_of_process_names_the_executors_functions() {
    if !have_gcc() {
        return;
    }
    executor();
    let dir = scratch("cli-perf-map-oop");
    let obj = compile_c(&dir, "prog", PERF_MAP_PROGRAM, &["-O1"]);
    let out = run(Command::new(lantern())
        .args(["run", "--oop", "--perf-map"])
        .arg(&obj));
    assert_eq!(out.status, "exit 0", "{}", out.stderr);
    check_perf_map(&out.stdout);
    let out = run(Command::new(lantern())
        .args(["run", "--oop", "--jitdump"])
        .arg(&obj));
    assert_eq!(out.status, "exit 1", "{}", out.stderr);
    assert!(
        out.stderr
            .contains("--jitdump is not available out of process"),
        "{}",
        out.stderr
    );
}

/// A jitdump record: id, timestamp and body.
fn jitdump_records(bytes: &[u8]) -> Vec<(u32, u64, Vec<u8>)> {
    let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
    let u64_at = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap());
    assert_eq!(u32_at(0), 0x4A69_5444, "jitdump magic");
    assert_eq!(u32_at(4), 1, "jitdump version");
    assert_eq!(u32_at(12), 62, "EM_X86_64");
    let mut at = u32_at(8) as usize;
    let mut records = Vec::new();
    while at + 16 <= bytes.len() {
        let (id, size, ts) = (u32_at(at), u32_at(at + 4) as usize, u64_at(at + 8));
        assert!(
            size >= 16 && at + size <= bytes.len(),
            "record at {at:#x} overruns the file"
        );
        records.push((id, ts, bytes[at + 16..at + size].to_vec()));
        at += size;
    }
    assert_eq!(at, bytes.len(), "trailing bytes");
    records
}

/// A `JIT_CODE_UNWINDING_INFO` body: its `.eh_frame_hdr` (after the
/// `.eh_frame`, placed as perf places it, 8-byte aligned after the code) finds
/// an FDE for exactly the function's code.
fn check_unwinding_info(name: &str, body: &[u8], code_addr: u64, code_size: u64) {
    use gimli::UnwindSection;
    let u64_at = |at: usize| u64::from_le_bytes(body[at..at + 8].try_into().unwrap());
    let (size, header_size) = (u64_at(0) as usize, u64_at(8) as usize);
    assert!(
        24 + size <= body.len() && header_size < size,
        "{name}: sizes"
    );
    let data = &body[24..24 + size];
    let table_len = size - header_size;
    let eh_frame_at = code_addr + code_size.next_multiple_of(8);
    let bases = gimli::BaseAddresses::default()
        .set_eh_frame(eh_frame_at)
        .set_eh_frame_hdr(eh_frame_at + table_len as u64);
    let header = gimli::EhFrameHdr::new(&data[table_len..], gimli::LittleEndian)
        .parse(&bases, 8)
        .unwrap_or_else(|e| panic!("{name}: .eh_frame_hdr: {e}"));
    let eh_frame = gimli::EhFrame::new(&data[..table_len], gimli::LittleEndian);
    let fde = header
        .table()
        .unwrap()
        .fde_for_address(
            &eh_frame,
            &bases,
            code_addr,
            gimli::EhFrame::cie_from_offset,
        )
        .unwrap_or_else(|e| panic!("{name}: no FDE for its code: {e}"));
    assert_eq!(
        (fde.initial_address(), fde.len()),
        (code_addr, code_size),
        "{name}"
    );
}

/// A function's ELF file from `perf inject --jit`: an FDE covers its `.text`.
fn check_jitted_cfi(path: &Path) {
    use gimli::UnwindSection;
    use object::{Object, ObjectSection};
    let bytes = std::fs::read(path).unwrap();
    let elf = object::File::parse(&*bytes).unwrap();
    let section = |name| {
        elf.section_by_name(name)
            .unwrap_or_else(|| panic!("{}: no {name}", path.display()))
    };
    let (text, eh_frame) = (section(".text"), section(".eh_frame"));
    let bases = gimli::BaseAddresses::default().set_eh_frame(eh_frame.address());
    let frames = gimli::EhFrame::new(eh_frame.data().unwrap(), gimli::LittleEndian);
    let mut entries = frames.entries(&bases);
    let mut covered = false;
    while let Some(entry) = entries.next().unwrap() {
        if let gimli::CieOrFde::Fde(partial) = entry {
            let fde = partial.parse(gimli::EhFrame::cie_from_offset).unwrap();
            covered |= fde.initial_address() == text.address() && fde.len() == text.size();
        }
    }
    assert!(covered, "{}: no FDE covers .text", path.display());
}

#[test]
fn jitdump_has_code_lines_and_close_records() {
    if !have_gcc() {
        return;
    }
    let dir = scratch("cli-jitdump");
    let source = "#include <stdio.h>\n#include <unistd.h>\n__attribute__((noinline)) long hot_loop(long n)\n{\n    long s = 0;\n    for (long i = 0; i < n; i++) {\n        s += i * i % 7;\n    }\n    return s;\n}\nint main(int argc, char **argv)\n{\n    printf(\"%d %ld\\n\", (int)getpid(), hot_loop(argc > 1 ? 300000000 : 1000));\n    return 0;\n}\n";
    let obj = compile_c(&dir, "hot", source, &["-g", "-O1"]);
    let out = run(Command::new(lantern())
        .args(["run", "--jitdump"])
        .arg(&obj)
        .env("LANTERN_JITDUMP_DIR", &dir));
    assert_eq!(out.status, "exit 0", "{}", out.stderr);
    let pid = out.stdout.split_whitespace().next().unwrap();
    let bytes = std::fs::read(dir.join(format!("jit-{pid}.dump"))).unwrap();
    assert_eq!(
        u32::from_le_bytes(bytes[20..24].try_into().unwrap()).to_string(),
        pid
    );
    let records = jitdump_records(&bytes);
    assert!(
        records.windows(2).all(|w| w[0].1 <= w[1].1),
        "timestamps go backwards"
    );
    assert_eq!(
        records.last().map(|r| r.0),
        Some(3),
        "the dump ends with JIT_CODE_CLOSE"
    );
    // The object's own bytes of hot_loop (it has no relocations to apply).
    let object_bytes = std::fs::read(&obj).unwrap();
    let elf = object::File::parse(&*object_bytes).unwrap();
    use object::{Object, ObjectSection, ObjectSymbol};
    let symbol = elf.symbols().find(|s| s.name() == Ok("hot_loop")).unwrap();
    let text = elf
        .section_by_index(symbol.section_index().unwrap())
        .unwrap();
    let start = symbol.address() as usize;
    let expected_code = &text.data().unwrap()[start..start + symbol.size() as usize];
    let mut loads = Vec::new();
    for (i, (id, _, body)) in records.iter().enumerate() {
        if *id != 0 {
            continue;
        }
        let code_addr = u64::from_le_bytes(body[16..24].try_into().unwrap());
        let code_size = u64::from_le_bytes(body[24..32].try_into().unwrap()) as usize;
        let name_end = 40 + body[40..].iter().position(|&b| b == 0).unwrap();
        let name = String::from_utf8_lossy(&body[40..name_end]).into_owned();
        let code = &body[name_end + 1..];
        assert_eq!(code.len(), code_size, "{name}: code bytes");
        // The line table and the CFI come first, for the same address.
        let before: Vec<_> = records[..i].iter().rev().take_while(|r| r.0 != 0).collect();
        let (_, _, debug) = before
            .iter()
            .find(|r| r.0 == 2)
            .unwrap_or_else(|| panic!("{name}: no JIT_CODE_DEBUG_INFO before its load"));
        let (_, _, unwinding) = before
            .iter()
            .find(|r| r.0 == 4)
            .unwrap_or_else(|| panic!("{name}: no JIT_CODE_UNWINDING_INFO before its load"));
        check_unwinding_info(&name, unwinding, code_addr, code_size as u64);
        assert_eq!(
            u64::from_le_bytes(debug[0..8].try_into().unwrap()),
            code_addr
        );
        assert!(
            String::from_utf8_lossy(debug).contains("hot.c"),
            "{name}: the line table names no source file"
        );
        if name == "hot_loop" {
            assert_eq!(
                code, expected_code,
                "hot_loop's code differs from the object's"
            );
        }
        loads.push(name);
    }
    loads.sort();
    assert_eq!(loads, ["hot_loop", "main"]);

    // Where perf works, perf inject --jit turns the dump into named code.
    let perf_data = dir.join("perf.data");
    let recorded = Command::new("perf")
        .args(["record", "-k", "mono", "-q", "-o"])
        .arg(&perf_data)
        .arg(lantern())
        .args(["run", "--jitdump"])
        .arg(&obj)
        .arg("--")
        .arg("hot")
        .env("LANTERN_JITDUMP_DIR", &dir)
        .output();
    if !recorded.as_ref().is_ok_and(|o| o.status.success()) {
        eprintln!("\n!!! SKIPPING the perf part: `perf record` does not work here !!!\n");
        return;
    }
    let injected = dir.join("perf.jit.data");
    check(
        Command::new("perf")
            .args(["inject", "--jit", "-i"])
            .arg(&perf_data)
            .arg("-o")
            .arg(&injected),
    )
    .unwrap();
    // Each function's ELF file has the function's CFI, covering its code.
    let jitted: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".so"))
        .collect();
    assert!(!jitted.is_empty(), "perf inject wrote no jitted-*.so");
    for so in &jitted {
        check_jitted_cfi(so);
    }
    let report = check(
        Command::new("perf")
            .args(["report", "--stdio", "--sort", "sym,srcline", "-i"])
            .arg(&injected),
    )
    .unwrap();
    let hot = report
        .lines()
        .find(|l| l.contains("hot_loop"))
        .unwrap_or_else(|| panic!("perf report does not name hot_loop:\n{report}"));
    assert!(hot.contains("hot.c:"), "no source line for hot_loop: {hot}");
}

/// Frames as (function, file:line), one list per address; `@` starts an address.
fn frame_lists(text: &str, is_frame: impl Fn(&str) -> Option<(String, String)>) -> Vec<String> {
    let mut lists = Vec::new();
    for line in text.lines() {
        if line.starts_with('@') {
            lists.push(String::new());
        } else if let (Some(list), Some((function, location))) = (lists.last_mut(), is_frame(line))
        {
            list.push_str(&format!("{function} {location}; "));
        }
    }
    lists
}

#[test]
fn symbolize_matches_addr2line_on_the_native_program() {
    if require_tool(&["gcc"], "gcc").is_none()
        || require_tool(&["addr2line"], "addr2line").is_none()
    {
        return;
    }
    let dir = scratch("cli-symbolize");
    let source = "#include <stdio.h>\nstatic inline int square(int x)\n{\n    return x * x;\n}\n__attribute__((noinline)) int sum_squares(int n)\n{\n    int s = 0;\n    for (int i = 0; i < n; i++)\n        s += square(i) ^ (s >> 3);\n    return s;\n}\nint main(int argc, char **argv)\n{\n    printf(\"%d\\n\", sum_squares(argc * 100));\n    return 0;\n}\n";
    let obj = compile_c(&dir, "inl", source, &["-g", "-O2"]);
    let native = dir.join("inl");
    link_native(&[&obj], &native).unwrap();
    let symbols = check(Command::new("nm").arg("-S").arg(&native)).unwrap();
    // Every byte of both functions, as SYMBOL+OFFSET and as the native address.
    let (mut specs, mut addresses) = (String::new(), Vec::new());
    for function in ["sum_squares", "main"] {
        let line = symbols
            .lines()
            .find(|l| l.ends_with(&format!(" {function}")))
            .unwrap();
        let words: Vec<&str> = line.split(' ').collect();
        let start = u64::from_str_radix(words[0], 16).unwrap();
        let size = u64::from_str_radix(words[1], 16).unwrap();
        for offset in 0..size {
            specs.push_str(&format!("{function}+{offset:#x}\n"));
            addresses.push(format!("{:#x}", start + offset));
        }
    }
    let mut child = Command::new(lantern())
        .arg("symbolize")
        .arg(&obj)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), specs.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "lantern symbolize failed");
    // `SPEC` then `#N 0xADDR in FUNC at FILE:LINE:COL` lines.
    let ours = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| {
            if l.starts_with('#') {
                l.to_string()
            } else {
                "@".into()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let ours = frame_lists(&ours, |l| {
        let rest = l.split_once(" in ")?.1;
        let (function, location) = rest.split_once(" at ")?;
        let (location, _column) = location.rsplit_once(':')?;
        Some((function.to_string(), location.to_string()))
    });
    // addr2line -a -f -i: the address, then function and file:line pairs.
    let theirs = check(
        Command::new("addr2line")
            .args(["-a", "-f", "-i", "-e"])
            .arg(&native)
            .args(&addresses),
    )
    .unwrap();
    let mut marked = String::new();
    let mut function: Option<&str> = None;
    for line in theirs.lines() {
        if line.starts_with("0x") {
            marked.push_str("@\n");
        } else if let Some(f) = function.take() {
            let location = line.split(" (discriminator").next().unwrap();
            marked.push_str(&format!("{f}\t{location}\n"));
        } else {
            function = Some(line);
        }
    }
    let theirs = frame_lists(&marked, |l| {
        let (f, location) = l.split_once('\t')?;
        Some((f.to_string(), location.to_string()))
    });
    assert_eq!(ours.len(), addresses.len(), "one answer per address");
    assert_eq!(
        theirs.len(),
        addresses.len(),
        "addr2line: one answer per address"
    );
    assert!(
        ours.iter().any(|l| l.starts_with("square ")),
        "no inlined frame of square"
    );
    for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
        assert_eq!(
            a,
            b,
            "{}: lantern vs addr2line",
            specs.lines().nth(i).unwrap()
        );
    }

    // Host symbols and errors.
    let out = run(Command::new(lantern())
        .args(["symbolize", "-a", "printf", "-a", "no_such_function"])
        .arg(&obj));
    assert_eq!(out.status, "exit 1", "{}", out.stderr);
    assert!(
        out.stdout.contains("in ") && out.stdout.contains("(libc.so.6)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr
            .contains("no_such_function: no such function in the linked files or the host"),
        "{}",
        out.stderr
    );
}

#[test]
fn dump_graph_shows_blocks_symbols_and_edges_after_a_phase() {
    if require_tool(&["cc"], "a C compiler (cc)").is_none() {
        return;
    }
    let dir = scratch("cli-dump-graph");
    let src = dir.join("calls.c");
    std::fs::write(
        &src,
        "__attribute__((noinline)) int callee(int x) { return x * 2; }\n\
         int main(void) { return callee(21) - 42; }\n",
    )
    .unwrap();
    let dump = |phase: &str| {
        let out = run(Command::new(lantern())
            .args(["link", "--dump-graph", phase])
            .arg(&src));
        assert_eq!(out.status, "exit 0", "{}", out.stderr);
        assert!(
            out.stdout
                .starts_with(&format!("# link graph after {phase}\n")),
            "{}",
            out.stdout
        );
        out.stdout
    };
    // main's block (the line above its symbol), and the edges listed under it.
    let main_block = |text: &str| -> (String, Vec<String>) {
        let lines: Vec<&str> = text.lines().collect();
        let main = lines
            .iter()
            .position(|l| l.trim_start().starts_with('+') && l.contains(" main: "))
            .unwrap_or_else(|| panic!("no symbol main in:\n{text}"));
        let block = lines[..main]
            .iter()
            .rev()
            .find(|l| l.trim_start().starts_with("block #"))
            .expect("main's block");
        let edges = lines[main..]
            .iter()
            .take_while(|l| !l.is_empty() && !l.trim_start().starts_with("block #"))
            .filter(|l| l.trim_start().starts_with("edge "))
            .map(|l| l.trim().to_string())
            .collect();
        (block.trim().to_string(), edges)
    };

    let before = dump("build");
    let (block, edges) = main_block(&before);
    assert!(block.contains("(no address)"), "{block}");
    assert!(
        edges
            .iter()
            .any(|e| e.contains("BranchPCRel32 -> callee addend -4")),
        "{edges:?}"
    );

    let after = dump("layout");
    let (block, edges) = main_block(&after);
    let addr = block.split_whitespace().nth(2).expect("block address");
    let addr = u64::from_str_radix(addr.trim_start_matches("0x"), 16)
        .unwrap_or_else(|_| panic!("no address in {block:?}"));
    assert_ne!(addr, 0, "{block}");
    let call = edges
        .iter()
        .find(|e| e.contains("BranchPCRel32 -> callee (0x"))
        .unwrap_or_else(|| panic!("no call edge to callee with its address: {edges:?}"));
    assert!(call.ends_with("addend -4"), "{call}");

    let out = run(Command::new(lantern())
        .args(["link", "--dump-graph", "after-lunch"])
        .arg(&src));
    assert_ne!(out.status, "exit 0");
    assert!(
        out.stderr.contains("invalid value 'after-lunch'")
            && out
                .stderr
                .contains("build, dead-strip, tables, layout, relax, fixup"),
        "{}",
        out.stderr
    );
    let help = run(Command::new(lantern()).args(["link", "--help"]));
    for phase in ["build", "dead-strip", "tables", "layout", "relax", "fixup"] {
        assert!(
            help.stdout.contains(&format!("- {phase}:")),
            "{phase} missing from link --help:\n{}",
            help.stdout
        );
    }
}
