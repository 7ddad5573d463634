//! Running one debugger session in batch mode: the command line for gdb or
//! lldb, a timeout that ends the debugger and its inferior, the transcript.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Which debugger a session runs under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Debugger {
    Gdb,
    Lldb,
}

impl Debugger {
    pub fn name(self) -> &'static str {
        match self {
            Debugger::Gdb => "gdb",
            Debugger::Lldb => "lldb",
        }
    }
}

/// How a session ended.
#[derive(Debug, Clone)]
pub enum Ending {
    /// The debugger exited (whatever its status): its transcript.
    Finished(String),
    /// Still running after the timeout: killed, with what it printed so far.
    TimedOut(String),
}

/// Lantern's gdb commands (`debugger-scripts/`), written out for the JIT'd
/// sessions: they keep breakpoints in JIT'd code across a second `run`.
const LANTERN_GDB: &str = include_str!("../../debugger-scripts/gdb/lantern-gdb.py");
const LANTERN_JIT: &str = include_str!("../../debugger-scripts/lantern_jit.py");

/// Writes Lantern's gdb commands under `dir`; returns the script to source.
pub fn write_lantern_gdb_commands(dir: &Path) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir.join("gdb"))?;
    std::fs::write(dir.join("lantern_jit.py"), LANTERN_JIT)?;
    let script = dir.join("gdb").join("lantern-gdb.py");
    std::fs::write(&script, LANTERN_GDB)?;
    Ok(script)
}

/// gdb commands that open a block ended by `end`.
const GDB_BLOCKS: &[&str] = &["commands", "define", "document", "if", "while"];
/// gdb commands that open a block when they have no argument.
const GDB_BLOCKS_WITHOUT_ARGUMENT: &[&str] = &[
    "python",
    "py",
    "python-interactive",
    "pi",
    "compile",
    "guile",
    "gu",
];

/// Splits a gdb script into its top-level commands: one line each, or a
/// whole `define ... end`, `commands ... end`, `python ... end` block.
/// Comments and blank lines go.
pub fn gdb_commands(script: &str) -> Vec<String> {
    let mut commands = Vec::new();
    let mut block = String::new();
    let mut depth = 0usize;
    for line in script.lines() {
        let trimmed = line.trim();
        if depth == 0 && (trimmed.is_empty() || trimmed.starts_with('#')) {
            continue;
        }
        let mut words = trimmed.split_whitespace();
        let first = words.next().unwrap_or("");
        let opens = GDB_BLOCKS.contains(&first)
            || (GDB_BLOCKS_WITHOUT_ARGUMENT.contains(&first) && words.next().is_none());
        // Inside python, only `end` alone counts.
        let in_python = depth > 0 && block_is_python(&block);
        if opens && !in_python {
            depth += 1;
        } else if trimmed == "end" && depth > 0 {
            depth -= 1;
        }
        if depth == 0 && block.is_empty() {
            commands.push(trimmed.to_string());
            continue;
        }
        block.push_str(line);
        block.push('\n');
        if depth == 0 {
            commands.push(std::mem::take(&mut block));
        }
    }
    if !block.is_empty() {
        commands.push(block);
    }
    commands
}

fn block_is_python(block: &str) -> bool {
    let first = block.split_whitespace().next().unwrap_or("");
    matches!(first, "python" | "py" | "python-interactive" | "pi")
}

/// What a session needs: the debugger, its script, the program and where
/// to put the pieces of the script.
pub struct SessionSpec<'a> {
    pub debugger: Debugger,
    pub executable: &'a str,
    pub script: &'a Path,
    /// The program and its arguments.
    pub program: Vec<String>,
    /// gdb: a script to source first (Lantern's commands), for JIT'd sessions.
    pub gdb_preload: Option<&'a Path>,
    /// A directory for the blocks of a gdb script.
    pub work_dir: &'a Path,
    pub timeout: Duration,
}

/// The debugger's command line for a session.
pub fn command(spec: &SessionSpec<'_>) -> Result<Command, String> {
    let mut cmd = Command::new(spec.executable);
    match spec.debugger {
        Debugger::Gdb => {
            let text = std::fs::read_to_string(spec.script)
                .map_err(|e| format!("{}: {e}", spec.script.display()))?;
            cmd.args(["-batch", "-nx"]);
            // Before the program is read: pending breakpoints (JIT'd code is
            // not there at `break`), no paging, then every command echoed
            // (`+break f`), which says where a difference starts.
            if let Some(preload) = spec.gdb_preload {
                cmd.arg("-iex").arg(format!("source {}", preload.display()));
            }
            for setting in [
                "set breakpoint pending on",
                "set pagination off",
                "set confirm off",
                "set width 0",
                "set trace-commands on",
            ] {
                cmd.args(["-iex", setting]);
            }
            // Each command on its own, so one that fails (a value optimized
            // out) prints its error and the session goes on, as at a prompt.
            for (index, command) in gdb_commands(&text).iter().enumerate() {
                if command.contains('\n') {
                    let block = spec.work_dir.join(format!("block-{index}.gdb"));
                    std::fs::write(&block, command)
                        .map_err(|e| format!("{}: {e}", block.display()))?;
                    cmd.arg("-x").arg(block);
                } else {
                    cmd.arg("-ex").arg(command);
                }
            }
            cmd.arg("--args").args(&spec.program);
        }
        Debugger::Lldb => {
            cmd.args(["-b", "--no-use-colors"]);
            for setting in [
                "settings set plugin.jit-loader.gdb.enable on",
                "settings set interpreter.stop-command-source-on-error false",
            ] {
                cmd.arg("-O").arg(setting);
            }
            cmd.arg("-s").arg(spec.script).arg("--").args(&spec.program);
        }
    }
    Ok(cmd)
}

/// Runs a session to its end or its timeout. The debugger and everything
/// it starts run in a process group of their own, which a timeout kills
/// whole. stdout and stderr share one pipe, so the transcript keeps the
/// order in which things were printed.
pub fn run(spec: &SessionSpec<'_>) -> Result<Ending, String> {
    use std::os::unix::process::CommandExt;
    let mut cmd = command(spec)?;
    let (mut reader, writer) = pipe().map_err(|e| format!("pipe: {e}"))?;
    let writer_clone = writer.try_clone().map_err(|e| format!("pipe: {e}"))?;
    cmd.stdin(Stdio::null())
        .stdout(writer)
        .stderr(writer_clone)
        .env("TERM", "dumb")
        .process_group(0);
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", spec.executable))?;
    // The parent's copies of the pipe's writing end went with `cmd`.
    drop(cmd);
    let reading = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = reader.read_to_end(&mut bytes);
        bytes
    });
    let start = Instant::now();
    let pid = child.id() as i32;
    let timed_out = loop {
        if child
            .try_wait()
            .map_err(|e| format!("{}: {e}", spec.executable))?
            .is_some()
        {
            break false;
        }
        if start.elapsed() > spec.timeout {
            break true;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    // Whatever is left (an inferior the debugger left behind, or all of it
    // on a timeout) goes, so the pipe closes: the debugger's descendants
    // (gdb may start the program in a process group of its own), then the
    // group.
    let descendants = descendants(pid);
    for &process in descendants.iter().chain([&-pid]) {
        // SAFETY: kill(2) signals a process (or, negative, the process
        // group the child leads); it touches no memory of ours.
        unsafe {
            libc::kill(process, libc::SIGKILL);
        }
    }
    let _ = child.wait();
    let transcript = String::from_utf8_lossy(&reading.join().unwrap_or_default()).into_owned();
    Ok(if timed_out {
        Ending::TimedOut(transcript)
    } else {
        Ending::Finished(transcript)
    })
}

/// The processes below `root` (children, their children...), from /proc.
fn descendants(root: i32) -> Vec<i32> {
    let mut parents: Vec<(i32, i32)> = Vec::new();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<i32>().ok())
            else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                continue;
            };
            // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
            let ppid = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                .and_then(|p| p.parse::<i32>().ok());
            if let Some(ppid) = ppid {
                parents.push((pid, ppid));
            }
        }
    }
    let mut found = vec![root];
    let mut index = 0;
    while index < found.len() {
        let parent = found[index];
        found.extend(
            parents
                .iter()
                .filter(|&&(_, p)| p == parent)
                .map(|&(c, _)| c),
        );
        index += 1;
    }
    found.remove(0);
    found
}

/// A pipe: the reading end as a file, the writing end for a child's output.
fn pipe() -> std::io::Result<(std::fs::File, std::os::fd::OwnedFd)> {
    use std::os::fd::FromRawFd;
    let mut fds = [0; 2];
    // SAFETY: pipe2 writes two descriptors into the array it is given.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: both descriptors were just opened by pipe2 and are owned here only.
    let (reader, writer) = unsafe {
        (
            std::fs::File::from_raw_fd(fds[0]),
            std::os::fd::OwnedFd::from_raw_fd(fds[1]),
        )
    };
    Ok((reader, writer))
}

#[cfg(test)]
mod tests {
    use super::gdb_commands;

    #[test]
    fn gdb_scripts_split_into_commands_and_blocks() {
        let script = "# a comment\nbreak f\n\ncommands 1\n  silent\n  if x > 1\n    print x\n  end\n  continue\nend\npython print(1)\npython\nif True:\n    print(2)\nend\nrun\n";
        assert_eq!(
            gdb_commands(script),
            vec![
                "break f".to_string(),
                "commands 1\n  silent\n  if x > 1\n    print x\n  end\n  continue\nend\n".into(),
                "python print(1)".into(),
                "python\nif True:\n    print(2)\nend\n".into(),
                "run".into(),
            ]
        );
    }
}
