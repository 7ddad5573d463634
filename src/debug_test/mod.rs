//! `lantern debug-test`: runs a gdb and/or lldb script on the JIT'd program
//! and on an oracle (the natively linked program, or a recorded session),
//! normalizes what differs by nature, and reports the differences.

mod diff;
mod normalize;
mod report;
mod session;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::Args;

use crate::compile::TempDir;
use report::{Format, Outcome, Status};
use session::{Debugger, Ending, SessionSpec};

#[derive(Args)]
pub(crate) struct DebugTestArgs {
    /// The objects to run under `lantern run` (and archives, sources).
    #[arg(required = true, value_name = "FILES")]
    files: Vec<PathBuf>,
    /// A gdb script: one command a line, run with `gdb -batch`; a command
    /// that fails prints its error and the session goes on.
    #[arg(long, value_name = "SCRIPT", required_unless_present = "lldb")]
    gdb: Option<PathBuf>,
    /// An lldb script, run with `lldb -b -s SCRIPT`.
    #[arg(long, value_name = "SCRIPT")]
    lldb: Option<PathBuf>,
    /// The oracle: the natively linked program, run under the same script.
    #[arg(long, value_name = "EXE", required_unless_present_any = ["expected_gdb", "expected_lldb"])]
    native: Option<PathBuf>,
    /// The oracle for the gdb script: the normalized session expected (see --bless).
    #[arg(long, value_name = "FILE")]
    expected_gdb: Option<PathBuf>,
    /// The oracle for the lldb script: the normalized session expected.
    #[arg(long, value_name = "FILE")]
    expected_lldb: Option<PathBuf>,
    /// Write the normalized JIT'd sessions to the --expected-gdb/--expected-lldb
    /// files instead of comparing with them (record the oracle once, review it,
    /// commit it).
    #[arg(long)]
    bless: bool,
    /// Seconds each session may take before it is killed and reported as a timeout.
    #[arg(long, value_name = "SECONDS", default_value_t = 120)]
    timeout: u64,
    /// Write a machine-readable report to FILE.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// The report's format (default: JUnit XML for a FILE ending in .xml, else JSON).
    #[arg(long, value_enum, value_name = "FORMAT")]
    report_format: Option<Format>,
    /// Text each normalized session must contain (so two equally broken
    /// sessions cannot pass); may be repeated.
    #[arg(long, value_name = "TEXT")]
    require: Vec<String>,
    /// Leave out lines containing TEXT from both sessions; may be repeated.
    #[arg(long, value_name = "TEXT")]
    ignore: Vec<String>,
    /// An argument for `lantern run` before the files (`--separate-units`,
    /// `-lm`, `--entry=start`); may be repeated.
    #[arg(long = "run-arg", value_name = "ARG", allow_hyphen_values = true)]
    run_args: Vec<String>,
    /// The name of the test suite in the report (default: the first file's stem).
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// The gdb to run.
    #[arg(long, value_name = "PATH", default_value = "gdb")]
    gdb_path: String,
    /// The lldb to run (default: lldb-19 if there is one, else lldb).
    #[arg(long, value_name = "PATH")]
    lldb_path: Option<String>,
    /// The lantern that runs the program (default: this one), e.g. an
    /// installed release to compare with.
    #[arg(long, value_name = "PATH")]
    lantern: Option<PathBuf>,
    /// Keep each session's transcript and normalized form in DIR.
    #[arg(long, value_name = "DIR")]
    keep_sessions: Option<PathBuf>,
    /// Arguments passed to the program, natively and under Lantern (after --).
    #[arg(last = true, value_name = "ARGS")]
    args: Vec<String>,
}

/// How many differences are printed per debugger.
const PRINTED_HUNKS: usize = 10;

pub(crate) fn debug_test(args: DebugTestArgs) -> Result<u8, String> {
    let suite = args.name.clone().unwrap_or_else(|| {
        args.files[0]
            .file_stem()
            .map_or("debug-test".into(), |s| s.to_string_lossy().into_owned())
    });
    let temp = TempDir::new().map_err(|e| format!("temporary directory: {e}"))?;
    let lantern_gdb = session::write_lantern_gdb_commands(&temp.0.join("scripts"))
        .map_err(|e| format!("writing Lantern's gdb commands: {e}"))?;
    let lantern = match &args.lantern {
        Some(path) => path.clone(),
        None => std::env::current_exe().map_err(|e| format!("this program's path: {e}"))?,
    };
    let mut jit_program = vec![lantern.display().to_string(), "run".into()];
    jit_program.extend(args.run_args.iter().cloned());
    jit_program.extend(args.files.iter().map(|f| f.display().to_string()));
    if !args.args.is_empty() {
        jit_program.push("--".into());
        jit_program.extend(args.args.iter().cloned());
    }
    let native_program = args.native.as_ref().map(|native| {
        let mut program = vec![native.display().to_string()];
        program.extend(args.args.iter().cloned());
        program
    });
    let mut plans = Vec::new();
    if let Some(script) = &args.gdb {
        plans.push((
            Debugger::Gdb,
            script,
            args.gdb_path.clone(),
            &args.expected_gdb,
        ));
    }
    if let Some(script) = &args.lldb {
        let lldb = args.lldb_path.clone().unwrap_or_else(find_lldb);
        plans.push((Debugger::Lldb, script, lldb, &args.expected_lldb));
    }
    for (debugger, _, _, expected) in &plans {
        if expected.is_none() && native_program.is_none() {
            return Err(format!(
                "no oracle for the {} script: give --native EXE or --expected-{} FILE",
                debugger.name(),
                debugger.name()
            ));
        }
        if args.bless && expected.is_none() {
            return Err(format!(
                "--bless needs --expected-{} FILE to write",
                debugger.name()
            ));
        }
    }
    if let Some(dir) = &args.keep_sessions {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let timeout = Duration::from_secs(args.timeout);
    // Every session at once: debuggers mostly wait on their inferiors.
    let outcomes: Vec<Outcome> = std::thread::scope(|scope| {
        let handles: Vec<_> = plans
            .iter()
            .enumerate()
            .map(|(index, (debugger, script, executable, expected))| {
                let work_dir = temp.0.join(format!("session-{index}"));
                let (jit_program, native_program) = (&jit_program, &native_program);
                let (lantern_gdb, args) = (&lantern_gdb, &args);
                scope.spawn(move || {
                    let compare = Comparison {
                        debugger: *debugger,
                        script,
                        executable,
                        expected: expected.as_deref(),
                        jit_program,
                        native_program: native_program.as_deref(),
                        lantern_gdb,
                        work_dir: &work_dir,
                        timeout,
                        args,
                    };
                    compare.run()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a session thread panicked"))
            .collect()
    });
    for outcome in &outcomes {
        println!(
            "{} {}: {} ({:.1} s)",
            outcome.status.as_str().to_uppercase(),
            outcome.name,
            outcome.message,
            outcome.seconds
        );
        if !outcome.details.is_empty() {
            print!("{}", outcome.details);
        }
    }
    if let Some(path) = &args.report {
        let format =
            args.report_format
                .unwrap_or(if path.extension().is_some_and(|e| e == "xml") {
                    Format::Junit
                } else {
                    Format::Json
                });
        std::fs::write(path, report::write(&suite, &outcomes, format))
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let passed = outcomes.iter().all(|o| o.status == Status::Passed);
    Ok(if passed { 0 } else { 1 })
}

/// lldb-19 where it is installed under that name (Debian), else lldb.
fn find_lldb() -> String {
    let works = |name: &str| {
        std::process::Command::new(name)
            .arg("--version")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if works("lldb-19") {
        "lldb-19".into()
    } else {
        "lldb".into()
    }
}

/// One debugger's script on the JIT'd program and its oracle.
struct Comparison<'a> {
    debugger: Debugger,
    script: &'a Path,
    executable: &'a str,
    expected: Option<&'a Path>,
    jit_program: &'a [String],
    native_program: Option<&'a [String]>,
    lantern_gdb: &'a Path,
    work_dir: &'a Path,
    timeout: Duration,
    args: &'a DebugTestArgs,
}

impl Comparison<'_> {
    fn run(&self) -> Outcome {
        let start = Instant::now();
        let mut outcome = self.compare();
        outcome.seconds = start.elapsed().as_secs_f64();
        outcome
    }

    fn outcome(&self, status: Status, message: String, details: String) -> Outcome {
        Outcome {
            name: self.debugger.name(),
            status,
            seconds: 0.0,
            message,
            details,
            hunks: Vec::new(),
        }
    }

    /// Runs one session; `Err` is the outcome to report when it did not finish.
    fn session(&self, program: &[String], jit: bool, tag: &str) -> Result<String, Outcome> {
        let work_dir = self.work_dir.join(tag);
        std::fs::create_dir_all(&work_dir).map_err(|e| {
            self.outcome(
                Status::Error,
                format!("{}: {e}", work_dir.display()),
                String::new(),
            )
        })?;
        let spec = SessionSpec {
            debugger: self.debugger,
            executable: self.executable,
            script: self.script,
            program: program.to_vec(),
            gdb_preload: jit.then_some(self.lantern_gdb),
            work_dir: &work_dir,
            timeout: self.timeout,
        };
        let what = if jit { "lantern" } else { "native" };
        match session::run(&spec) {
            Ok(Ending::Finished(transcript)) => {
                self.keep(&format!("{tag}.txt"), &transcript);
                Ok(transcript)
            }
            Ok(Ending::TimedOut(transcript)) => {
                self.keep(&format!("{tag}.txt"), &transcript);
                let tail: Vec<&str> = transcript.lines().rev().take(20).collect();
                let tail: Vec<&str> = tail.into_iter().rev().collect();
                Err(self.outcome(
                    Status::TimedOut,
                    format!(
                        "the {what} session did not finish within {} s (killed)",
                        self.timeout.as_secs()
                    ),
                    format!("  its last lines:\n    {}\n", tail.join("\n    ")),
                ))
            }
            Err(e) => Err(self.outcome(Status::Error, e, String::new())),
        }
    }

    fn keep(&self, name: &str, text: &str) {
        if let Some(dir) = &self.args.keep_sessions {
            let _ = std::fs::write(dir.join(format!("{}-{name}", self.debugger.name())), text);
        }
    }

    fn normalized(&self, transcript: &str) -> Vec<String> {
        normalize::normalize(transcript, self.debugger, &self.args.ignore)
    }

    fn compare(&self) -> Outcome {
        // The oracle and the JIT'd session side by side.
        let (oracle, jit) = std::thread::scope(|scope| {
            let oracle = scope.spawn(|| match (self.expected, self.native_program) {
                (Some(expected), _) if !self.args.bless => std::fs::read_to_string(expected)
                    .map(|text| text.lines().map(String::from).collect::<Vec<_>>())
                    .map_err(|e| {
                        self.outcome(
                            Status::Error,
                            format!("{}: {e}", expected.display()),
                            String::new(),
                        )
                    }),
                (_, Some(native)) if !self.args.bless => self
                    .session(native, false, "native")
                    .map(|t| self.normalized(&t)),
                _ => Ok(Vec::new()),
            });
            let jit = self
                .session(self.jit_program, true, "lantern")
                .map(|t| self.normalized(&t));
            (oracle.join().expect("the oracle's session panicked"), jit)
        });
        let (oracle, jit) = match (oracle, jit) {
            (Err(o), _) | (_, Err(o)) => return o,
            (Ok(oracle), Ok(jit)) => (oracle, jit),
        };
        self.keep("lantern.normalized", &jit.join("\n"));
        if self.args.bless {
            let path = self.expected.expect("checked: --bless has a file");
            return match std::fs::write(path, jit.join("\n") + "\n") {
                Ok(()) => self.outcome(
                    Status::Passed,
                    format!(
                        "wrote the session to {} ({} lines)",
                        path.display(),
                        jit.len()
                    ),
                    String::new(),
                ),
                Err(e) => self.outcome(
                    Status::Error,
                    format!("{}: {e}", path.display()),
                    String::new(),
                ),
            };
        }
        self.keep("oracle.normalized", &oracle.join("\n"));
        let missing: Vec<String> = self
            .args
            .require
            .iter()
            .flat_map(|text| {
                [("oracle", &oracle), ("lantern", &jit)]
                    .into_iter()
                    .filter(|(_, lines)| !lines.iter().any(|l| l.contains(text.as_str())))
                    .map(move |(which, _)| format!("  the {which} session lacks {text:?}\n"))
            })
            .collect();
        let hunks = diff::diff(&oracle, &jit);
        if hunks.is_empty() && missing.is_empty() {
            return self.outcome(
                Status::Passed,
                format!("the sessions match ({} lines)", jit.len()),
                String::new(),
            );
        }
        let mut details = missing.concat();
        details.push_str(&diff::render(&hunks, PRINTED_HUNKS));
        let message = if hunks.is_empty() {
            "a required text is missing".to_string()
        } else {
            format!(
                "the sessions differ in {} place(s) (oracle {} lines, lantern {} lines)",
                hunks.len(),
                oracle.len(),
                jit.len()
            )
        };
        Outcome {
            hunks,
            ..self.outcome(Status::Failed, message, details)
        }
    }
}
