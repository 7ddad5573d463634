//! Object lifetime under churn, through `lantern churn`: thousands of
//! add/call/remove cycles on one and on four threads leave the process as it
//! was (mappings, resident memory, the GDB JIT list, the unwinder), and gdb
//! and lldb attached in the middle of the churn keep working, and their
//! breakpoints stop in every relinked copy.

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
    if !have_gcc() {
        return None;
    }
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
    // The churn runs until the session is over and the test closes its stdin
    // (the cycle count is only a cap). A fixed count of 300,000 cycles, sized
    // so that a slow debugger still found the churn running, kept it going
    // for 2 to 5 minutes after the debugger had detached (0.4 ms per cycle
    // alone, more on a loaded machine).
    let mut child = Command::new(lantern())
        .args(["churn", "--entry", "work", "--until-stdin-closes"])
        .args(["--cycles", "100000000"])
        .arg(obj)
        .stdin(Stdio::piped())
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
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    let session = session.map_err(|e| format!("{debugger}: {e}"))?;
    let text = format!("{}{}", session.stdout, session.stderr);
    // lldb numbers a location per registered copy of `work`: attached while
    // one unit goes, it stops at the next unit's location (1.2, 1.3...).
    let stop = if debugger == "gdb" {
        "Breakpoint 1, work (n="
    } else {
        "stop reason = breakpoint 1."
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
    let cycles: u64 = stdout
        .split("churn: ")
        .nth(1)
        .and_then(|l| l.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no cycle count in the churn's report:\n{stdout}"));
    assert!(cycles > 0, "{stdout}");
    assert!(
        stdout.contains(&format!("checksum {}", expected_checksum(cycles, 1))),
        "{stdout}"
    );
    assert_eq!(footprint_change(&stdout)[2], (0, 0), "{stdout}");
    Ok(())
}

#[test]
fn gdb_and_lldb_attached_during_churn_keep_working() {
    if !have_gdb_and_lldb() {
        return;
    }
    let Some(obj) = work_object("attach") else {
        return;
    };
    for debugger in ["gdb", "lldb"] {
        attach_during_churn(debugger, &obj).unwrap_or_else(|e| panic!("{e}"));
    }
}

/// `n` and the pc at every stop of a debugger session that prints them as
/// `hit n=N pc=ADDR`.
fn hits(session: &str) -> Vec<(i64, String)> {
    session
        .lines()
        .filter_map(|l| l.trim().strip_prefix("hit n="))
        .filter_map(|rest| {
            let (n, pc) = rest.split_once(" pc=")?;
            Some((n.trim().parse().ok()?, pc.trim().to_string()))
        })
        .collect()
}

/// A breakpoint on a function whose unit is removed and linked again keeps
/// stopping in every new copy, though each copy lands at the address of the
/// one before (gdb used to think its breakpoint still inserted there, and
/// never stopped again). The oracle is the natively linked program calling
/// `work(0)` .. `work(3)` under the same breakpoint.
#[test]
fn breakpoints_stop_in_code_linked_again_at_the_same_address() {
    if !have_gdb_and_lldb() {
        return;
    }
    let Some(obj) = work_object("relink") else {
        return;
    };
    let dir = obj.parent().unwrap().to_path_buf();
    let main = compile_c(
        &dir,
        "main",
        "int work(int);\nint main(void) { int s = 0; for (int n = 0; n < 4; n++) s += work(n); return s == 0; }\n",
        &["-g", "-O0"],
    );
    let native = dir.join("native");
    check(
        Command::new("gcc")
            .arg(&main)
            .arg(&obj)
            .arg("-o")
            .arg(&native),
    )
    .unwrap();

    let gdb = |program: &[&std::ffi::OsStr]| {
        let mut c = Command::new("gdb");
        c.args([
            "-batch",
            "-nx",
            "-ex",
            "set breakpoint pending on",
            "-ex",
            "break work",
            "-ex",
            "run",
        ]);
        for _ in 0..6 {
            c.args([
                "-ex",
                "printf \"hit n=%d pc=%p\\n\", n, $pc",
                "-ex",
                "continue",
            ]);
        }
        c.arg("--args").args(program);
        run_with_timeout(&mut c, Duration::from_secs(120)).unwrap()
    };
    let lldb = |program: &[&std::ffi::OsStr]| {
        let mut c = Command::new("lldb-19");
        c.args([
            "-b",
            "-o",
            "settings set plugin.jit-loader.gdb.enable on",
            "-o",
            "breakpoint set --name work",
            "-o",
            "run",
        ]);
        for _ in 0..6 {
            c.args(["-o", "script if lldb.process.GetState() == lldb.eStateStopped: print(f'hit n={lldb.frame.FindVariable(\"n\").GetValueAsSigned()} pc={lldb.frame.GetPC():#x}')", "-o", "process continue"]);
        }
        c.arg("--").args(program);
        run_with_timeout(&mut c, Duration::from_secs(120)).unwrap()
    };
    let lantern = lantern();
    // The per-page manager reuses a removed unit's address (the case gdb got
    // wrong); the packed one never puts new code in a page a breakpoint
    // copied, so each copy lands in a fresh page: both must stop every time.
    for memory in ["pages", "packed"] {
        let churn: Vec<&std::ffi::OsStr> = [
            lantern.as_os_str(),
            "churn".as_ref(),
            "--memory".as_ref(),
            memory.as_ref(),
            "--entry".as_ref(),
            "work".as_ref(),
            "--cycles".as_ref(),
            "4".as_ref(),
            obj.as_os_str(),
        ]
        .to_vec();
        for (name, run) in [
            ("gdb", &gdb as &dyn Fn(&[&std::ffi::OsStr]) -> Outcome),
            ("lldb", &lldb),
        ] {
            let oracle = run(&[native.as_os_str()]);
            let expected: Vec<i64> = hits(&oracle.stdout).into_iter().map(|(n, _)| n).collect();
            assert_eq!(
                expected,
                [0, 1, 2, 3],
                "{name} on the native program:\n{oracle:?}"
            );
            let session = run(&churn);
            let text = format!("{}{}", session.stdout, session.stderr);
            let jit = hits(&session.stdout);
            // The warm-up cycle calls work(0) first; then the four cycles.
            let ns: Vec<i64> = jit.iter().skip(1).map(|(n, _)| *n).collect();
            assert_eq!(
                ns, expected,
                "{name} (--memory {memory}) did not stop in every linked copy:\n{text}"
            );
            let mut pcs: Vec<&str> = jit.iter().skip(1).map(|(_, pc)| pc.as_str()).collect();
            pcs.dedup();
            if memory == "pages" {
                assert!(
                    pcs.len() < 4,
                    "no copy landed at the address of the one before, so this test shows nothing:\n{text}"
                );
            } else {
                assert_eq!(
                    pcs.len(),
                    4,
                    "packed memory put new code where a breakpoint was:\n{text}"
                );
            }
        }
    }
}

/// `--batched-registration`: 2,000 kept units share a few merged object
/// files (one each would be 2,000), the churned code computes the right
/// results, and the removals leave none registered.
#[test]
fn batched_registration_keeps_few_object_files() {
    let Some(obj) = work_object("batched") else {
        return;
    };
    let out = run_with_timeout(
        Command::new(lantern())
            .args([
                "churn",
                "--entry",
                "work",
                "--cycles",
                "100",
                "--batched-registration",
                "--keep",
                "2000",
                "--cycles-while-kept",
                "10",
            ])
            .arg(&obj),
        Duration::from_secs(300),
    )
    .unwrap();
    assert_eq!(out.status, "exit 0", "{out:?}");
    assert!(
        out.stdout
            .contains(&format!("checksum {}", expected_checksum(100, 1))),
        "{}",
        out.stdout
    );
    let registered = out
        .stdout
        .lines()
        .find(|l| l.starts_with("churn: per live unit:"))
        .and_then(|l| l.rsplit_once(" ("))
        .and_then(|(_, r)| r.split_whitespace().next())
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or_else(|| panic!("no registered count in:\n{}", out.stdout));
    assert!(
        (1..=4).contains(&registered),
        "{registered} object files for 2,000 batched units:\n{}",
        out.stdout
    );
    let [_, _, jit] = footprint_change(&out.stdout);
    assert_eq!(jit, (0, 0), "registered debug objects left: {}", out.stdout);
}
