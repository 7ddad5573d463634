//! A unit's symbol table: its code ranges, its code symbols, and what its
//! DWARF says (address ranges over which the chain of frames, inlined calls
//! first, each with file:line:column, stays the same). Prepared in advance
//! so that a lookup neither parses nor allocates: the crash handler looks
//! addresses up from a signal handler.
//!
//! The controller builds tables from DWARF (`lantern-plugins`' symbolizer);
//! [`Table::encode`] gives the bytes that cross the wire to
//! `lantern-executor`, and [`Table::decode`] checks them there: a table
//! whose counts, indices or order are wrong is an error, never a panic or an
//! allocation larger than the bytes received.

use crate::FrameRef;

/// "No file" in a [`CompactFrame`].
pub const NO_FILE: u32 = u32::MAX;
/// "No name" in a [`CompactFrame`]: the symbol table names the frame.
pub const NO_NAME: u32 = u32::MAX;

/// A frame with its strings interned in the unit's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompactFrame {
    pub function: u32,
    pub file: u32,
    pub line: u32,
    pub column: u32,
}

/// `[start, end)` with the chain `frames[first..first + count]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    pub start: u64,
    pub end: u64,
    pub first: u32,
    pub count: u32,
}

/// What one lookup in a unit's table found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// The address is not in the unit.
    NotHere,
    /// The frames were passed on.
    Frames,
    /// The address is in the unit, whose DWARF is not read yet.
    Pending,
}

/// What a unit's addresses symbolize to.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Table {
    /// Code ranges of the unit, sorted.
    pub code: Vec<(u64, u64)>,
    /// Function names and file paths, each once.
    pub strings: Vec<Box<str>>,
    /// The code's symbols (functions, and untyped or zero-size labels of
    /// assembly), as (start, end, name) sorted by start: a symbol without a
    /// size reaches the next symbol or the end of its block, as gdb and
    /// addr2line name such code.
    pub symbols: Vec<(u64, u64, u32)>,
    /// What the DWARF describes, sorted by start.
    pub segments: Vec<Segment>,
    pub frames: Vec<CompactFrame>,
    /// The DWARF is read (or there is none): `segments` is final and the
    /// symbols' names are demangled.
    pub complete: bool,
}

const MAGIC: &[u8; 8] = b"LNTSYMT1";

impl Table {
    /// The unit's code ranges, sorted.
    pub fn code_ranges(&self) -> &[(u64, u64)] {
        &self.code
    }

    pub fn contains(&self, addr: u64) -> bool {
        let i = self.code.partition_point(|&(start, _)| start <= addr);
        i > 0 && addr < self.code[i - 1].1
    }

    /// The symbol whose range holds `addr`.
    pub fn symbol_at(&self, addr: u64) -> Option<&str> {
        let i = self.symbols.partition_point(|s| s.0 <= addr);
        let &(_, end, name) = self.symbols.get(i.checked_sub(1)?)?;
        (addr < end).then(|| &*self.strings[name as usize])
    }

    /// Where the symbol whose range holds `addr` starts.
    pub fn symbol_start(&self, addr: u64) -> Option<u64> {
        let i = self.symbols.partition_point(|s| s.0 <= addr);
        let &(start, end, _) = self.symbols.get(i.checked_sub(1)?)?;
        (addr < end).then_some(start)
    }

    /// Where the symbol `name` starts.
    pub fn symbol_address(&self, name: &str) -> Option<u64> {
        self.symbols
            .iter()
            .find(|s| *self.strings[s.2 as usize] == *name)
            .map(|s| s.0)
    }

    /// Calls `out` with each frame at `addr`, innermost first. Neither
    /// allocates nor parses.
    pub fn lookup(&self, addr: u64, out: &mut dyn FnMut(FrameRef<'_>)) -> Found {
        if !self.contains(addr) {
            return Found::NotHere;
        }
        let i = self.segments.partition_point(|s| s.start <= addr);
        if let Some(segment) = i.checked_sub(1).map(|i| self.segments[i]) {
            if addr < segment.end {
                let frames = &self.frames[segment.first as usize..][..segment.count as usize];
                for frame in frames {
                    let function = match frame.function {
                        NO_NAME => self.symbol_at(addr).unwrap_or("??"),
                        name => &self.strings[name as usize],
                    };
                    out(FrameRef {
                        function,
                        file: (frame.file != NO_FILE).then(|| &*self.strings[frame.file as usize]),
                        line: frame.line,
                        column: frame.column,
                    });
                }
                return Found::Frames;
            }
        }
        if !self.complete {
            return Found::Pending;
        }
        out(FrameRef {
            function: self.symbol_at(addr).unwrap_or("??"),
            file: None,
            line: 0,
            column: 0,
        });
        Found::Frames
    }

    /// The table as bytes (little-endian): a magic, then each list as a
    /// `u32` count and its elements (strings as a `u32` length and UTF-8).
    /// `complete` does not travel: a receiver decodes a complete table,
    /// and marks a partial one (code ranges and symbols) itself.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(
            64 + self.code.len() * 16
                + self.strings.iter().map(|s| 4 + s.len()).sum::<usize>()
                + self.symbols.len() * 20
                + self.segments.len() * 24
                + self.frames.len() * 16,
        );
        out.extend_from_slice(MAGIC);
        let count = |out: &mut Vec<u8>, n: usize| out.extend_from_slice(&(n as u32).to_le_bytes());
        count(&mut out, self.code.len());
        for &(s, e) in &self.code {
            out.extend_from_slice(&s.to_le_bytes());
            out.extend_from_slice(&e.to_le_bytes());
        }
        count(&mut out, self.strings.len());
        for s in &self.strings {
            count(&mut out, s.len());
            out.extend_from_slice(s.as_bytes());
        }
        count(&mut out, self.symbols.len());
        for &(s, e, n) in &self.symbols {
            out.extend_from_slice(&s.to_le_bytes());
            out.extend_from_slice(&e.to_le_bytes());
            out.extend_from_slice(&n.to_le_bytes());
        }
        count(&mut out, self.segments.len());
        for s in &self.segments {
            out.extend_from_slice(&s.start.to_le_bytes());
            out.extend_from_slice(&s.end.to_le_bytes());
            out.extend_from_slice(&s.first.to_le_bytes());
            out.extend_from_slice(&s.count.to_le_bytes());
        }
        count(&mut out, self.frames.len());
        for f in &self.frames {
            for v in [f.function, f.file, f.line, f.column] {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        out
    }

    /// A table from [`Table::encode`]'s bytes, checked: counts against the
    /// bytes left (before allocating), string indices, frame chains, UTF-8
    /// and order. The result is complete.
    pub fn decode(bytes: &[u8]) -> Result<Table, String> {
        let mut r = Reader { bytes, at: 0 };
        if r.take(MAGIC.len(), "magic")? != MAGIC {
            return Err("not a Lantern symbol table (bad magic)".into());
        }
        let n = r.count(16, "code ranges")?;
        let mut code = Vec::with_capacity(n);
        for _ in 0..n {
            code.push((r.u64()?, r.u64()?));
        }
        let n = r.count(4, "strings")?;
        let mut strings = Vec::with_capacity(n);
        for i in 0..n {
            let len = r.count(1, "string bytes")?;
            let s = std::str::from_utf8(r.take(len, "string")?)
                .map_err(|_| format!("string {i} is not UTF-8"))?;
            strings.push(Box::from(s));
        }
        let n = r.count(20, "symbols")?;
        let mut symbols = Vec::with_capacity(n);
        for _ in 0..n {
            symbols.push((r.u64()?, r.u64()?, r.u32()?));
        }
        let n = r.count(24, "segments")?;
        let mut segments = Vec::with_capacity(n);
        for _ in 0..n {
            segments.push(Segment {
                start: r.u64()?,
                end: r.u64()?,
                first: r.u32()?,
                count: r.u32()?,
            });
        }
        let n = r.count(16, "frames")?;
        let mut frames = Vec::with_capacity(n);
        for _ in 0..n {
            frames.push(CompactFrame {
                function: r.u32()?,
                file: r.u32()?,
                line: r.u32()?,
                column: r.u32()?,
            });
        }
        if r.at != bytes.len() {
            return Err(format!(
                "{} bytes after the end of the table",
                bytes.len() - r.at
            ));
        }
        let table = Table {
            code,
            strings,
            symbols,
            segments,
            frames,
            complete: true,
        };
        table.check()?;
        Ok(table)
    }

    /// What a lookup relies on: ranges sorted by start (empty ones are
    /// allowed: a unit may have empty code blocks), indices in bounds (an
    /// index out of bounds would panic in the signal handler).
    fn check(&self) -> Result<(), String> {
        let strings = self.strings.len();
        if !self.code.windows(2).all(|w| w[0].0 <= w[1].0) || self.code.iter().any(|c| c.1 < c.0) {
            return Err("code ranges are not sorted by start, or end before they start".into());
        }
        if !self.symbols.windows(2).all(|w| w[0].0 <= w[1].0)
            || self.symbols.iter().any(|s| s.1 < s.0)
        {
            return Err("symbols are not sorted by start, or end before they start".into());
        }
        if let Some(s) = self.symbols.iter().find(|s| s.2 as usize >= strings) {
            return Err(format!(
                "symbol at {:#x}: name index {} out of range",
                s.0, s.2
            ));
        }
        if !self.segments.windows(2).all(|w| w[0].start <= w[1].start)
            || self.segments.iter().any(|s| s.end < s.start)
        {
            return Err("segments are not sorted by start, or end before they start".into());
        }
        if let Some(s) = self.segments.iter().find(|s| {
            (s.first as usize)
                .checked_add(s.count as usize)
                .is_none_or(|end| end > self.frames.len())
        }) {
            return Err(format!(
                "segment at {:#x}: frames {}+{} out of range",
                s.start, s.first, s.count
            ));
        }
        if let Some(f) = self.frames.iter().find(|f| {
            (f.function != NO_NAME && f.function as usize >= strings)
                || (f.file != NO_FILE && f.file as usize >= strings)
        }) {
            return Err(format!("frame {f:?}: string index out of range"));
        }
        Ok(())
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], String> {
        let left = self.bytes.len() - self.at;
        if n > left {
            return Err(format!(
                "truncated at byte {}: {what} needs {n} bytes, {left} left",
                self.at
            ));
        }
        let s = &self.bytes[self.at..self.at + n];
        self.at += n;
        Ok(s)
    }

    fn u32(&mut self) -> Result<u32, String> {
        let b = self.take(4, "a u32")?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self) -> Result<u64, String> {
        let b = self.take(8, "a u64")?;
        let mut a = [0; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    /// A count of elements of `size` bytes each, checked against the bytes left.
    fn count(&mut self, size: usize, what: &str) -> Result<usize, String> {
        let n = self.u32()? as usize;
        let left = self.bytes.len() - self.at;
        if n.saturating_mul(size) > left {
            return Err(format!(
                "{n} {what} of {size} bytes each do not fit in the {left} bytes left"
            ));
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Table {
        Table {
            code: vec![(0x1000, 0x2000), (0x3000, 0x3100)],
            strings: vec!["f".into(), "g".into(), "/src/a.c".into()],
            symbols: vec![(0x1000, 0x1010, 0), (0x1020, 0x1100, 1)],
            segments: vec![
                Segment {
                    start: 0x1000,
                    end: 0x1008,
                    first: 0,
                    count: 2,
                },
                Segment {
                    start: 0x1020,
                    end: 0x1030,
                    first: 2,
                    count: 1,
                },
            ],
            frames: vec![
                CompactFrame {
                    function: 1,
                    file: 2,
                    line: 3,
                    column: 4,
                },
                CompactFrame {
                    function: 0,
                    file: 2,
                    line: 9,
                    column: 1,
                },
                CompactFrame {
                    function: NO_NAME,
                    file: NO_FILE,
                    line: 0,
                    column: 0,
                },
            ],
            complete: true,
        }
    }

    fn frames(t: &Table, addr: u64) -> Vec<String> {
        let mut v = Vec::new();
        t.lookup(addr, &mut |f| {
            v.push(format!(
                "{} {:?}:{}:{}",
                f.function, f.file, f.line, f.column
            ))
        });
        v
    }

    #[test]
    fn encoded_tables_decode_to_the_same_lookups() {
        let t = sample();
        let d = Table::decode(&t.encode()).unwrap();
        assert_eq!(d, t);
        assert_eq!(
            frames(&d, 0x1004),
            ["g Some(\"/src/a.c\"):3:4", "f Some(\"/src/a.c\"):9:1"]
        );
        assert_eq!(frames(&d, 0x1024), ["g None:0:0"]);
        assert_eq!(frames(&d, 0x1018), ["?? None:0:0"]);
        assert!(frames(&d, 0x2000).is_empty());
    }

    #[test]
    fn every_truncation_and_bad_index_is_an_error() {
        let bytes = sample().encode();
        for n in 0..bytes.len() {
            assert!(Table::decode(&bytes[..n]).is_err(), "truncated at {n}");
        }
        let mut extra = bytes.clone();
        extra.push(0);
        assert!(Table::decode(&extra).is_err());
        // A huge count is refused before allocating.
        let mut huge = MAGIC.to_vec();
        huge.extend_from_slice(&u32::MAX.to_le_bytes());
        let e = Table::decode(&huge).unwrap_err();
        assert!(e.contains("code ranges"), "{e}");
        let mut t = sample();
        t.frames[0].file = 7;
        let e = Table::decode(&t.encode()).unwrap_err();
        assert!(e.contains("string index"), "{e}");
        let mut t = sample();
        t.segments[1].count = 5;
        assert!(Table::decode(&t.encode()).unwrap_err().contains("frames"));
        let mut t = sample();
        t.code.reverse();
        assert!(Table::decode(&t.encode()).unwrap_err().contains("sorted"));
        // Empty code blocks are fine.
        let mut t = sample();
        t.code.insert(1, (0x2800, 0x2800));
        assert!(Table::decode(&t.encode()).is_ok());
        let mut t = sample();
        t.symbols[0].2 = 3;
        assert!(Table::decode(&t.encode())
            .unwrap_err()
            .contains("name index"));
    }

    #[test]
    fn random_bytes_never_panic() {
        let base = sample().encode();
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let mut b = base.clone();
            let i = (state as usize) % b.len();
            b[i] = (state >> 32) as u8;
            let _ = Table::decode(&b);
        }
    }
}
