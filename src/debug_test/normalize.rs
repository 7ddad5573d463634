//! What differs by nature between a debugger session on the natively linked
//! program and one on `lantern run`, taken out of a transcript: addresses,
//! process ids, program and module names, pending-breakpoint chatter, the
//! frames below `main` (the C runtime natively, Lantern's host frames or
//! none under Lantern), thread events of Lantern's own threads.

use super::session::Debugger;

/// Lines dropped wherever they appear (after leading blanks).
const DROPPED: &[&str] = &[
    // gdb: thread library and process chatter, which differ by process.
    "[Thread debugging",
    "Using host libthread_db",
    "[Inferior ",
    "[New Thread ",
    "[Switching to Thread ",
    "[New inferior",
    "Starting program:",
    // gdb: a breakpoint set before the JIT'd code is there is pending.
    "Function \"",
    "Make breakpoint pending",
    "No source file named",
    // gdb: warnings about the host binary (.debug_gdb_scripts, ASLR in containers).
    "warning:",
    "of file ",
    "Use `info auto-load",
    // lldb: the target and the script being read.
    "(lldb) target create",
    "Current executable set to",
    "(lldb) settings set -- target.run-args",
    "(lldb) command source",
    "Executing commands in",
    // lldb: a breakpoint set before the JIT'd code is there is pending.
    "WARNING:  Unable to resolve breakpoint",
];

/// A session transcript without what differs by nature, one line a line;
/// `ignore` drops lines containing any of its strings as well.
pub fn normalize(transcript: &str, debugger: Debugger, ignore: &[String]) -> Vec<String> {
    let mut lines = Vec::new();
    let mut below_main = false;
    for raw in transcript.lines() {
        let line = raw.trim_end();
        let trimmed = line.trim_start();
        let is_frame = match debugger {
            Debugger::Gdb => line.starts_with('#'),
            Debugger::Lldb => trimmed.starts_with("frame #") || trimmed.starts_with("* frame #"),
        };
        // Natively the C runtime's frames are below main; under Lantern its
        // host's, or none.
        if is_frame {
            if below_main {
                continue;
            }
            below_main = is_main_frame(line);
        } else if below_main && trimmed.starts_with("Backtrace stopped") {
            continue;
        } else {
            below_main = false;
        }
        // lldb: "Process 42 launched: '/path/prog' (x86_64)".
        let launched = trimmed.starts_with("Process ") && trimmed.contains(" launched: '");
        if launched
            || DROPPED.iter().any(|s| trimmed.starts_with(s))
            || ignore.iter().any(|s| line.contains(s.as_str()))
            || is_breakpoint_set(line, debugger)
        {
            continue;
        }
        let mut line =
            replace_numbers_after(&replace_hex(line), &["process ", "Process ", "LWP "], "PID");
        line = negative_offsets(&line);
        if let Some(pos) = line.find(" in section ") {
            // "f in section .text" natively, "... of <in-memory@ADDR>" or
            // "... of /path/prog".
            if let Some(of) = line[pos..].find(" of ") {
                line.truncate(pos + of);
            }
        }
        match debugger {
            Debugger::Gdb => {
                line = drop_location_number(&line, "Breakpoint ", ", ");
                line = quoted_thread_name(&line);
            }
            Debugger::Lldb => {
                line = drop_location_number(&line, "stop reason = breakpoint ", "");
                line = lldb_module_names(&line);
                if let Some(pos) = line.find("name = '") {
                    let end = line[pos + 8..]
                        .find('\'')
                        .map_or(line.len(), |e| pos + 8 + e + 1);
                    line.replace_range(pos..end, "name = PROG");
                }
            }
        }
        lines.push(line);
    }
    lines
}

/// A frame line of `main` in either debugger.
fn is_main_frame(line: &str) -> bool {
    line.contains(" main (") || line.contains("`main at ") || line.contains("`main(")
}

/// Answers to setting a breakpoint: "Breakpoint 1 at 0x...: file f.c,
/// line 3." natively, "Breakpoint 1 (f) pending." under Lantern (gdb);
/// "Breakpoint 1: where = ..." or "...: no locations (pending)." and
/// "1 location added to breakpoint 1" (lldb).
fn is_breakpoint_set(line: &str, debugger: Debugger) -> bool {
    match debugger {
        Debugger::Gdb => {
            line.starts_with("Breakpoint ")
                && (line.contains(" at 0x") || line.ends_with("pending."))
        }
        Debugger::Lldb => {
            line.contains(" location added to breakpoint ")
                || line.contains(" locations added to breakpoint ")
                || line
                    .strip_prefix("Breakpoint ")
                    .and_then(|rest| rest.split_once(": "))
                    .is_some_and(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        }
    }
}

/// Every `0x` followed by hex digits becomes `ADDR`.
pub fn replace_hex(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(pos) = rest.find("0x") {
        out.push_str(&rest[..pos]);
        let tail = &rest[pos + 2..];
        let digits = tail.bytes().take_while(u8::is_ascii_hexdigit).count();
        out.push_str(if digits > 0 { "ADDR" } else { "0x" });
        rest = &tail[digits..];
    }
    out.push_str(rest);
    out
}

/// The decimal number after each of `prefixes` becomes `with`.
fn replace_numbers_after(line: &str, prefixes: &[&str], with: &str) -> String {
    let mut line = line.to_string();
    for prefix in prefixes {
        let mut from = 0;
        while let Some(pos) = line[from..].find(prefix) {
            let start = from + pos + prefix.len();
            let digits = line[start..].bytes().take_while(u8::is_ascii_digit).count();
            if digits > 0 {
                line.replace_range(start..start + digits, with);
            }
            from = start;
        }
    }
    line
}

/// `<f-856>` (code of `f` placed before its entry: a cold part) becomes
/// `<f-N>`: the distance includes what a static link puts between (the C
/// runtime's code), which Lantern does not have. Positive offsets stay.
fn negative_offsets(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(pos) = rest.find('-') {
        let tail = &rest[pos + 1..];
        let digits = tail.bytes().take_while(u8::is_ascii_digit).count();
        let inside_angle = rest[..pos]
            .rfind('<')
            .is_some_and(|open| !rest[open..pos].contains('>'));
        out.push_str(&rest[..pos + 1]);
        if digits > 0 && inside_angle && tail[digits..].starts_with('>') {
            out.push('N');
        } else {
            out.push_str(&tail[..digits]);
        }
        rest = &tail[digits..];
    }
    out.push_str(rest);
    out
}

/// "Breakpoint 1.2, f (...)" -> "Breakpoint 1, f (...)" (gdb), "stop reason
/// = breakpoint 1.2" -> "... breakpoint 1" (lldb): a breakpoint's locations
/// are numbered by address (gdb) or as modules appear (lldb, where each run
/// of a JIT'd program brings new modules).
fn drop_location_number(line: &str, marker: &str, after: &str) -> String {
    let Some(pos) = line.find(marker) else {
        return line.to_string();
    };
    let start = pos + marker.len();
    let major = line[start..].bytes().take_while(u8::is_ascii_digit).count();
    let rest = &line[start + major..];
    let Some(minor_text) = rest.strip_prefix('.') else {
        return line.to_string();
    };
    let minor = minor_text.bytes().take_while(u8::is_ascii_digit).count();
    if major == 0 || minor == 0 || !minor_text[minor..].starts_with(after) {
        return line.to_string();
    }
    format!("{}{}", &line[..start + major], &minor_text[minor..])
}

/// `Thread 2 "prog" hit`: the thread's name is the program's.
fn quoted_thread_name(line: &str) -> String {
    let mut line = line.to_string();
    if let (true, Some(open)) = (line.starts_with("Thread "), line.find(" \"")) {
        if let Some(close) = line[open + 2..].find('"') {
            line.replace_range(open + 2..open + 2 + close, "PROG");
        }
    }
    line
}

/// lldb's module names: "prog`f" natively, "JIT(ADDR)`f" under Lantern,
/// both "MODULE`f" (whether a name is qualified at all stays visible);
/// "N symbols match 'f' in MODULE:" loses its module; "Address:
/// prog\[ADDR\] (prog.PT_LOAD\[3\]..data + 20)" keeps the section only (the
/// offset counts what a static link adds to the section).
fn lldb_module_names(line: &str) -> String {
    if let Some(pos) = line.find("Address: ") {
        if let Some(dots) = line[pos..].rfind("..").map(|d| pos + d) {
            let section_end = line[dots..]
                .find([' ', ')'])
                .map_or(line.len(), |e| dots + e);
            return format!("{}Address: {}", &line[..pos], &line[dots + 1..section_end]);
        }
    }
    if line.contains(" symbols match '") || line.contains(" symbol match '") {
        if let Some(pos) = line.rfind("' in ") {
            return format!("{}':", &line[..pos]);
        }
    }
    line.split(' ')
        .map(|w| match w.rsplit_once('`') {
            Some((module, name)) => {
                let lead = module.len() - module.trim_start_matches(['(', '[']).len();
                format!("{}MODULE`{name}", &module[..lead])
            }
            None => w.to_string(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gdb(text: &str) -> Vec<String> {
        normalize(text, Debugger::Gdb, &[])
    }

    #[test]
    fn addresses_pids_and_object_names_go() {
        assert_eq!(
            gdb("z in section .bss of <in-memory@0x555555d624d0>\n[Inferior 1 (process 42) exited normally]\nThread 2 \"prog\" hit Breakpoint 1.2, f (x=0x7ffe10) at f.c:3"),
            vec![
                "z in section .bss".to_string(),
                "Thread 2 \"PROG\" hit Breakpoint 1, f (x=ADDR) at f.c:3".into()
            ]
        );
    }

    #[test]
    fn frames_below_main_go_whether_there_or_not() {
        let native = "#0  f () at f.c:1\n#1  0x1 in main () at m.c:2\n#2  0x2 in __libc_start_call_main ()\n#3  0x3 in _start ()\n+info locals\nx = 1";
        let jit = "#0  f () at f.c:1\n#1  0x9 in main () at m.c:2\n+info locals\nx = 1";
        assert_eq!(gdb(native), gdb(jit));
        assert_eq!(gdb(native).len(), 4);
    }

    #[test]
    fn lldb_modules_thread_names_and_locations_go() {
        let native = "* thread #1, name = 'prog', stop reason = breakpoint 4.1\n    frame #0: 0x1 prog`fact(n=5) at f.c:2:10\n1 symbols match 'g' in /tmp/prog:\n        Address: prog[0x4024] (prog.PT_LOAD[3]..data + 20)\n        Summary: g";
        let jit = "* thread #1, name = 'lantern', stop reason = breakpoint 4.4\n    frame #0: 0x2 JIT(0x5555)`fact(n=5) at f.c:2:10\n1 symbols match 'g' in JIT(0x5555):\n        Address: JIT(0x5555)[0x7fff2004] (JIT(0x5555)..data + 4)\n        Summary: g";
        let normalized = normalize(native, Debugger::Lldb, &[]);
        assert_eq!(normalized, normalize(jit, Debugger::Lldb, &[]));
        assert_eq!(
            normalized[1],
            "    frame #0: ADDR MODULE`fact(n=5) at f.c:2:10"
        );
        assert_eq!(normalized[3], "        Address: .data");
        // Qualified or not stays a difference.
        assert_ne!(
            normalize("Summary: g", Debugger::Lldb, &[]),
            normalize("Summary: JIT(0x1)`g", Debugger::Lldb, &[])
        );
    }

    #[test]
    fn negative_offsets_only_lose_their_distance() {
        assert_eq!(
            negative_offsets("jg 0x1 <classify-856>"),
            "jg 0x1 <classify-N>"
        );
        assert_eq!(negative_offsets("0x1 <-361>:\tcall"), "0x1 <-N>:\tcall");
        assert_eq!(
            negative_offsets("<classify+45> x = -3"),
            "<classify+45> x = -3"
        );
    }
}
