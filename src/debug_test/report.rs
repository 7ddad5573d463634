//! The machine-readable report of `lantern debug-test`: JSON, or JUnit XML
//! for CI systems that show test results.

use super::diff::Hunk;

/// How one debugger's comparison ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Passed,
    /// The sessions differ (or a required text is missing).
    Failed,
    /// A session did not finish in time.
    TimedOut,
    /// A session could not be run (no debugger, an unreadable script).
    Error,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Passed => "passed",
            Status::Failed => "failed",
            Status::TimedOut => "timeout",
            Status::Error => "error",
        }
    }
}

/// One debugger's result.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// `gdb` or `lldb`.
    pub name: &'static str,
    pub status: Status,
    pub seconds: f64,
    /// One line: what happened.
    pub message: String,
    /// For a person: the differences, or the transcript so far on a timeout.
    pub details: String,
    pub hunks: Vec<Hunk>,
}

/// Which format a report file gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Json,
    Junit,
}

pub fn write(suite: &str, outcomes: &[Outcome], format: Format) -> String {
    match format {
        Format::Json => json(suite, outcomes),
        Format::Junit => junit(suite, outcomes),
    }
}

fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn json_lines(lines: &[String]) -> String {
    let items: Vec<String> = lines.iter().map(|l| json_string(l)).collect();
    format!("[{}]", items.join(", "))
}

fn json(suite: &str, outcomes: &[Outcome]) -> String {
    let passed = outcomes.iter().all(|o| o.status == Status::Passed);
    let mut sessions = Vec::new();
    for o in outcomes {
        let differences: Vec<String> = o
            .hunks
            .iter()
            .map(|h| {
                format!(
                    "{{\"after_command\": {}, \"oracle_line\": {}, \"lantern_line\": {}, \"oracle\": {}, \"lantern\": {}}}",
                    h.after_command.as_deref().map_or("null".into(), json_string),
                    h.expected_line,
                    h.actual_line,
                    json_lines(&h.expected),
                    json_lines(&h.actual)
                )
            })
            .collect();
        sessions.push(format!(
            "    {{\"debugger\": {}, \"status\": {}, \"seconds\": {:.3}, \"message\": {}, \"differences\": [{}]}}",
            json_string(o.name),
            json_string(o.status.as_str()),
            o.seconds,
            json_string(&o.message),
            differences.join(", ")
        ));
    }
    format!(
        "{{\n  \"suite\": {},\n  \"passed\": {passed},\n  \"sessions\": [\n{}\n  ]\n}}\n",
        json_string(suite),
        sessions.join(",\n")
    )
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot hold.
            c if u32::from(c) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

fn junit(suite: &str, outcomes: &[Outcome]) -> String {
    let failures = outcomes
        .iter()
        .filter(|o| matches!(o.status, Status::Failed | Status::TimedOut))
        .count();
    let errors = outcomes
        .iter()
        .filter(|o| o.status == Status::Error)
        .count();
    let time: f64 = outcomes.iter().map(|o| o.seconds).sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites>\n  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" time=\"{time:.3}\">\n",
        xml_escape(suite),
        outcomes.len()
    ));
    for o in outcomes {
        out.push_str(&format!(
            "    <testcase classname=\"lantern.debug-test.{}\" name=\"{}\" time=\"{:.3}\"",
            xml_escape(suite),
            o.name,
            o.seconds
        ));
        let element = match o.status {
            Status::Passed => {
                out.push_str("/>\n");
                continue;
            }
            Status::Failed | Status::TimedOut => "failure",
            Status::Error => "error",
        };
        out.push_str(&format!(
            ">\n      <{element} type=\"{}\" message=\"{}\">{}</{element}>\n    </testcase>\n",
            o.status.as_str(),
            xml_escape(&o.message),
            xml_escape(&o.details)
        ));
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcomes() -> Vec<Outcome> {
        vec![
            Outcome {
                name: "gdb",
                status: Status::Passed,
                seconds: 1.5,
                message: "same session".into(),
                details: String::new(),
                hunks: vec![],
            },
            Outcome {
                name: "lldb",
                status: Status::Failed,
                seconds: 2.0,
                message: "sessions differ".into(),
                details: "- oracle: <x> & \"y\"".into(),
                hunks: vec![Hunk {
                    after_command: Some("(lldb) frame variable".into()),
                    expected_line: 3,
                    actual_line: 4,
                    expected: vec!["(int) x = 1".into()],
                    actual: vec!["(int) x = \"2\"".into()],
                }],
            },
        ]
    }

    #[test]
    fn junit_counts_and_escapes() {
        let xml = write("shapes", &outcomes(), Format::Junit);
        assert!(
            xml.contains("tests=\"2\" failures=\"1\" errors=\"0\""),
            "{xml}"
        );
        assert!(
            xml.contains(
                "<testcase classname=\"lantern.debug-test.shapes\" name=\"gdb\" time=\"1.500\"/>"
            ),
            "{xml}"
        );
        assert!(xml.contains("&lt;x&gt; &amp; &quot;y&quot;"), "{xml}");
    }

    #[test]
    fn json_lists_each_difference() {
        let json = write("shapes", &outcomes(), Format::Json);
        assert!(json.contains("\"passed\": false"), "{json}");
        assert!(json.contains("\"after_command\": \"(lldb) frame variable\", \"oracle_line\": 3, \"lantern_line\": 4, \"oracle\": [\"(int) x = 1\"], \"lantern\": [\"(int) x = \\\"2\\\"\"]"), "{json}");
    }
}
