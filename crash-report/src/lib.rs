//! The crash report shared by the in-process crash handler
//! (`lantern-plugins`' `crash` module) and `lantern-executor`: a unit's
//! symbol table (its format, its serialized form and its lookup,
//! [`table`]), the stack walk from a signal handler ([`unwind`]), and the
//! report's lines. Nothing here reads DWARF (the controller does, with
//! gimli), so the executor stays small.
//!
//! The format is one frame a line, stable for scripts:
//!
//! ```text
//! lantern: SIGSEGV (invalid memory reference) at address 0x0
//! #0 0x00007f3a1c201016 in deref at /src/crash.c:4:12
//! #1 0x00007f3a1c20103b in level2 at /src/crash.c:9:12
//! #2 0x000055d0e1c3b1a0 in run_main (lantern)
//! ```

use std::ffi::c_int;

pub mod chain;
pub mod executable;
pub mod table;
pub mod unwind;

/// The signals a crash report is printed for: (number, name, what it means).
pub const SIGNALS: [(c_int, &str, &str); 5] = [
    (libc::SIGSEGV, "SIGSEGV", "invalid memory reference"),
    (libc::SIGBUS, "SIGBUS", "bus error"),
    (libc::SIGILL, "SIGILL", "illegal instruction"),
    (libc::SIGFPE, "SIGFPE", "arithmetic exception"),
    (libc::SIGABRT, "SIGABRT", "aborted"),
];

/// Ends the line of a frame that no CFI describes (see [`unwind`]).
pub const HEURISTIC: &str = " [found by a heuristic]";

/// One frame of a symbolized address: innermost (inlined) frames first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub function: String,
    pub file: Option<String>,
    pub line: u32,
    pub column: u32,
}

impl Frame {
    pub fn as_ref(&self) -> FrameRef<'_> {
        FrameRef {
            function: &self.function,
            file: self.file.as_deref(),
            line: self.line,
            column: self.column,
        }
    }
}

/// A frame borrowed from a prepared table (what the crash handler prints).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameRef<'a> {
    pub function: &'a str,
    pub file: Option<&'a str>,
    pub line: u32,
    pub column: u32,
}

impl FrameRef<'_> {
    pub fn to_owned(self) -> Frame {
        Frame {
            function: self.function.to_string(),
            file: self.file.map(String::from),
            line: self.line,
            column: self.column,
        }
    }
}

/// The report's first line: `lantern: SIGSEGV (invalid memory reference)
/// at address 0x0`, without the newline.
pub fn write_header(
    out: &mut impl std::fmt::Write,
    signal: c_int,
    addr: usize,
) -> std::fmt::Result {
    let (name, what) = SIGNALS
        .iter()
        .find(|(s, _, _)| *s == signal)
        .map_or(("signal", ""), |(_, n, w)| (*n, *w));
    write!(out, "lantern: {name} ({what}) at address {addr:#x}")
}

/// One JIT'd frame in the report's format, without the newline:
/// `#N 0xADDR in FUNC at FILE:LINE:COL`, or `#N 0xADDR in FUNC (no line
/// information)` for code no line table describes.
pub fn write_frame(
    out: &mut impl std::fmt::Write,
    n: usize,
    pc: u64,
    frame: FrameRef<'_>,
) -> std::fmt::Result {
    write!(out, "#{n} {pc:#018x} in {}", frame.function)?;
    match frame.file {
        Some(file) => write!(out, " at {file}:{}:{}", frame.line, frame.column),
        None => write!(out, " (no line information)"),
    }
}

/// A fixed buffer that formats without allocating (what does not fit is
/// cut) and is written to stderr with `write(2)`: usable in a signal handler.
pub struct Line {
    bytes: [u8; 1024],
    len: usize,
}

impl Default for Line {
    fn default() -> Self {
        Line::new()
    }
}

impl Line {
    pub const fn new() -> Self {
        Line {
            bytes: [0; 1024],
            len: 0,
        }
    }

    /// Writes the buffer to stderr and empties it.
    pub fn flush(&mut self) {
        let mut written = 0;
        while written < self.len {
            // SAFETY: writing initialized bytes of our buffer to stderr.
            let n = unsafe {
                libc::write(2, self.bytes[written..].as_ptr().cast(), self.len - written)
            };
            if n <= 0 {
                break;
            }
            written += n as usize;
        }
        self.len = 0;
    }
}

impl std::fmt::Write for Line {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let room = self.bytes.len() - self.len;
        let n = s.len().min(room);
        self.bytes[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}
