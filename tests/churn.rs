//! Object lifetime under churn, through `lantern churn`: thousands of
//! add/call/remove cycles on one and on four threads leave the process as it
//! was (mappings, resident memory, the GDB JIT list, the unwinder), and gdb
//! and lldb attached in the middle of the churn keep working.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use support::*;

const WORK: &str = "static int table[16];\n\
int work(int n)\n\
{\n\
    int total = 0;\n\
    for (int i = 0; i < 16; i++) {\n\
        table[i] = n + i;\n\
        total += table[i];\n\
    }\n\
    return total;\n\
}\n";

fn work_object(tag: &str) -> Option<PathBuf> {
    require_tool(&["gcc"], "gcc")?;
    let dir = scratch(&format!("churn-{tag}"));
    Some(compile_c(&dir, "work", WORK, &["-g", "-O2"]))
}

/// The numbers `lantern churn` reports on its "before -> after" line.
fn footprint_change(stdout: &str) -> [(u64, u64); 3] {
    let line = stdout
        .lines()
        .find(|l| l.starts_with("churn: before -> after:"))
        .unwrap_or_else(|| panic!("no footprint line in:\n{stdout}"));
    let numbers: Vec<u64> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|w| !w.is_empty())
        .map(|w| w.parse().unwrap())
        .collect();
    assert_eq!(numbers.len(), 6, "{line}");
    [
        (numbers[0], numbers[1]),
        (numbers[2], numbers[3]),
        (numbers[4], numbers[5]),
    ]
}

/// `work(n)` summed over the cycles: what the churn must have computed.
fn expected_checksum(cycles: u64, threads: u64) -> u64 {
    threads * (0..cycles).map(|n| 16 * n + 120).sum::<u64>()
}

fn churn(obj: &Path, cycles: u64, threads: u64) -> String {
    let out = run_with_timeout(
        Command::new(lantern())
            .args([
                "churn",
                "--entry",
                "work",
                "--cycles",
                &cycles.to_string(),
                "--threads",
                &threads.to_string(),
            ])
            .arg(obj),
        Duration::from_secs(300),
    )
    .unwrap();
    assert_eq!(out.status, "exit 0", "{out:?}");
    assert!(
        out.stdout
            .contains(&format!("checksum {}", expected_checksum(cycles, threads))),
        "wrong results from the churned code:\n{}",
        out.stdout
    );
    out.stdout
}

#[test]
fn ten_thousand_cycles_leave_nothing_behind() {
    let Some(obj) = work_object("single") else {
        return;
    };
    // `lantern churn` itself fails if the unwinder keeps an FDE of a removed unit.
    let stdout = churn(&obj, 10_000, 1);
    let [mappings, rss, jit] = footprint_change(&stdout);
    assert!(
        mappings.1 <= mappings.0 + 8,
        "mappings grew: {mappings:?}\n{stdout}"
    );
    assert!(
        rss.1 <= rss.0 + 4096,
        "resident memory grew by more than 4 MiB: {rss:?}\n{stdout}"
    );
    assert_eq!(jit, (0, 0), "registered debug objects left: {stdout}");
}

#[test]
fn four_threads_churning_at_once_leave_a_consistent_jit_list() {
    let Some(obj) = work_object("threads") else {
        return;
    };
    let stdout = churn(&obj, 2_500, 4);
    let [mappings, rss, jit] = footprint_change(&stdout);
    // Thread stacks and malloc arenas of the four threads stay cached.
    assert!(
        mappings.1 <= mappings.0 + 32,
        "mappings grew: {mappings:?}\n{stdout}"
    );
    assert!(
        rss.1 <= rss.0 + 16384,
        "resident memory grew by more than 16 MiB: {rss:?}\n{stdout}"
    );
    assert_eq!(jit, (0, 0), "the JIT list does not end empty: {stdout}");
}

/// Attaches `debugger` to a running churn, breaks in the churned function,
/// checks the JIT list with the debugger scripts, detaches; the churn must
/// then finish with the right results and an empty list. A debugger session
/// that makes no progress is an `Err` with its output.
fn attach_during_churn(debugger: &str, obj: &Path) -> Result<(), String> {
    let cycles = 300_000u64;
    let child = Command::new(lantern())
        .args(["churn", "--entry", "work", "--cycles", &cycles.to_string()])
        .arg(obj)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let pid = child.id().to_string();
    let scripts = Path::new(env!("CARGO_MANIFEST_DIR")).join("debugger-scripts");
    let mut cmd = if debugger == "gdb" {
        let mut c = Command::new("gdb");
        c.args(["-batch", "-nx", "-p", &pid])
            .args([
                "-ex",
                "set breakpoint pending on",
                "-ex",
                "break work",
                "-ex",
                "continue",
                "-ex",
                "bt 1",
                "-ex",
                "info args",
            ])
            .arg("-ex")
            .arg(format!(
                "source {}",
                scripts.join("gdb/lantern-gdb.py").display()
            ))
            .args(["-ex", "lantern-jit check", "-ex", "delete", "-ex", "detach"]);
        c
    } else {
        let mut c = Command::new("lldb-19");
        c.args(["-b", "-p", &pid])
            .args([
                "-o",
                "settings set plugin.jit-loader.gdb.enable on",
                "-o",
                "breakpoint set --name work",
                "-o",
                "process continue",
                "-o",
                "thread backtrace -c 1",
            ])
            .arg("-o")
            .arg(format!(
                "command script import {}",
                scripts.join("lldb/lantern_lldb.py").display()
            ))
            .args([
                "-o",
                "lantern-jit check",
                "-o",
                "breakpoint delete",
                "-o",
                "process detach",
            ]);
        c
    };
    let session = run_with_timeout(&mut cmd, Duration::from_secs(120));
    let out = child.wait_with_output().unwrap();
    let session = session.map_err(|e| format!("{debugger}: {e}"))?;
    let text = format!("{}{}", session.stdout, session.stderr);
    let stop = if debugger == "gdb" {
        "Breakpoint 1, work (n="
    } else {
        "stop reason = breakpoint 1.1"
    };
    assert!(
        text.contains(stop),
        "{debugger} did not stop in the churned code:\n{text}"
    );
    assert!(
        text.contains("work.c:"),
        "{debugger} shows no source line:\n{text}"
    );
    // Stopped inside `work`, exactly the one unit being called is registered.
    assert!(
        text.contains("lantern-jit check: 1 object, all well formed"),
        "{debugger}:\n{text}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the churn failed after {debugger} detached: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(&format!("checksum {}", expected_checksum(cycles, 1))),
        "{stdout}"
    );
    assert_eq!(footprint_change(&stdout)[2], (0, 0), "{stdout}");
    Ok(())
}

/// One retry: a gdb attach once hung in CI (not reproduced in 45 local runs);
/// the first session's output goes to the log, and a second hang fails.
fn attach_during_churn_retrying(debugger: &str, obj: &Path) {
    if let Err(first) = attach_during_churn(debugger, obj) {
        eprintln!("\n!!! {debugger} attach session hung; retrying once. {first}\n");
        attach_during_churn(debugger, obj).unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
fn gdb_and_lldb_attached_during_churn_keep_working() {
    if require_tool(&["gdb"], "gdb").is_none() || require_tool(&["lldb-19"], "lldb-19").is_none() {
        return;
    }
    let Some(obj) = work_object("attach") else {
        return;
    };
    attach_during_churn_retrying("gdb", &obj);
    attach_during_churn_retrying("lldb", &obj);
}
