//! Where two normalized sessions differ: a line diff (longest common
//! subsequence) in hunks, each placed after the script command that printed it.

/// One run of differing lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hunk {
    /// The command echoed last before the hunk (`+print x` in gdb,
    /// `(lldb) frame variable` in lldb), if any.
    pub after_command: Option<String>,
    /// 1-based line numbers where the hunk starts in each session.
    pub expected_line: usize,
    pub actual_line: usize,
    pub expected: Vec<String>,
    pub actual: Vec<String>,
}

/// Whether a normalized line is a debugger's echo of a script command.
pub fn is_command_echo(line: &str) -> bool {
    line.starts_with('+') || line.starts_with("(lldb) ")
}

/// Above this many cells the diff compares line by line instead.
const MAX_CELLS: usize = 16 << 20;

/// The hunks in which `actual` differs from `expected`; empty when equal.
pub fn diff(expected: &[String], actual: &[String]) -> Vec<Hunk> {
    let prefix = expected
        .iter()
        .zip(actual)
        .take_while(|(a, b)| a == b)
        .count();
    let suffix = expected[prefix..]
        .iter()
        .rev()
        .zip(actual[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let e = &expected[prefix..expected.len() - suffix];
    let a = &actual[prefix..actual.len() - suffix];
    // Pairs of equal lines, in order.
    let matched: Vec<(usize, usize)> = if (e.len() + 1) * (a.len() + 1) <= MAX_CELLS {
        lcs(e, a)
    } else {
        (0..e.len().min(a.len()))
            .filter(|&i| e[i] == a[i])
            .map(|i| (i, i))
            .collect()
    };
    let mut hunks = Vec::new();
    let (mut i, mut j) = (0, 0);
    for &(mi, mj) in matched.iter().chain(std::iter::once(&(e.len(), a.len()))) {
        if mi > i || mj > j {
            let command = actual[..prefix + j]
                .iter()
                .rev()
                .find(|l| is_command_echo(l))
                .cloned();
            hunks.push(Hunk {
                after_command: command,
                expected_line: prefix + i + 1,
                actual_line: prefix + j + 1,
                expected: e[i..mi].to_vec(),
                actual: a[j..mj].to_vec(),
            });
        }
        i = mi + 1;
        j = mj + 1;
    }
    hunks
}

fn lcs(e: &[String], a: &[String]) -> Vec<(usize, usize)> {
    let width = a.len() + 1;
    let mut table = vec![0u32; (e.len() + 1) * width];
    for x in (0..e.len()).rev() {
        for y in (0..a.len()).rev() {
            table[x * width + y] = if e[x] == a[y] {
                table[(x + 1) * width + y + 1] + 1
            } else {
                table[(x + 1) * width + y].max(table[x * width + y + 1])
            };
        }
    }
    let mut pairs = Vec::new();
    let (mut x, mut y) = (0, 0);
    while x < e.len() && y < a.len() {
        if e[x] == a[y] {
            pairs.push((x, y));
            x += 1;
            y += 1;
        } else if table[(x + 1) * width + y] >= table[x * width + y + 1] {
            x += 1;
        } else {
            y += 1;
        }
    }
    pairs
}

/// The hunks as text for a person: where, then the oracle's and Lantern's lines.
pub fn render(hunks: &[Hunk], max_hunks: usize) -> String {
    let mut out = String::new();
    for hunk in hunks.iter().take(max_hunks) {
        match &hunk.after_command {
            Some(command) => out.push_str(&format!(
                "  after `{command}` (oracle line {}, lantern line {}):\n",
                hunk.expected_line, hunk.actual_line
            )),
            None => out.push_str(&format!(
                "  at the start (oracle line {}, lantern line {}):\n",
                hunk.expected_line, hunk.actual_line
            )),
        }
        for line in &hunk.expected {
            out.push_str(&format!("    - oracle:  {line}\n"));
        }
        for line in &hunk.actual {
            out.push_str(&format!("    + lantern: {line}\n"));
        }
    }
    if hunks.len() > max_hunks {
        out.push_str(&format!("  ... and {} more\n", hunks.len() - max_hunks));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(String::from).collect()
    }

    #[test]
    fn a_changed_line_is_placed_after_its_command() {
        let hunks = diff(
            &lines("+break f\n+run\nBreakpoint 1, f (x=1)\n+print x\n$1 = 1\n+bt"),
            &lines("+break f\n+run\nBreakpoint 1, f (x=1)\n+print x\n$1 = 2\n+bt"),
        );
        assert_eq!(hunks.len(), 1);
        assert_eq!(hunks[0].after_command.as_deref(), Some("+print x"));
        assert_eq!(hunks[0].expected, vec!["$1 = 1"]);
        assert_eq!(hunks[0].actual, vec!["$1 = 2"]);
        assert_eq!((hunks[0].expected_line, hunks[0].actual_line), (5, 5));
    }

    #[test]
    fn missing_and_extra_lines_are_hunks_of_their_own() {
        let hunks = diff(&lines("a\nb\nc\nd"), &lines("a\nc\nd\ne"));
        assert_eq!(hunks.len(), 2);
        assert_eq!(
            (hunks[0].expected.clone(), hunks[0].actual.clone()),
            (vec!["b".to_string()], vec![])
        );
        assert_eq!(
            (hunks[1].expected.clone(), hunks[1].actual.clone()),
            (vec![], vec!["e".to_string()])
        );
        assert!(diff(&lines("a\nb"), &lines("a\nb")).is_empty());
    }
}
