//! Errors of the core linker: every one names the file, section, symbol or
//! relocation it is about, so users can act on it.

use std::fmt;
use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One undefined symbol and the places that reference it.
#[derive(Debug, Clone)]
pub struct Undefined {
    pub name: String,
    /// `file(section)` of each reference, deduplicated, in input order.
    pub referenced_from: Vec<String>,
}

/// Everything that can go wrong while linking, loading or running.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}: not a valid ELF relocatable object: {reason}")]
    Malformed { file: String, reason: String },
    #[error("{file}: {reason}")]
    Unsupported { file: String, reason: String },
    #[error("{file}: section {section}: unsupported relocation {r_type} at offset {offset:#x} (symbol {symbol})")]
    UnsupportedRelocation {
        file: String,
        section: String,
        r_type: String,
        offset: u64,
        symbol: String,
    },
    #[error("{}", UndefinedList(.0))]
    UndefinedSymbols(Vec<Undefined>),
    #[error("duplicate symbol `{name}`: defined in {first} and in {second}")]
    DuplicateSymbol {
        name: String,
        first: String,
        second: String,
    },
    #[error("{0}")]
    FixupOutOfRange(Box<OutOfRange>),
    #[error("{file}: section {section}+{offset:#x}: {reason}")]
    BadFixup {
        file: String,
        section: String,
        offset: u64,
        reason: String,
    },
    #[error("memory: {0}")]
    Memory(String),
    #[error(
        "the unit's thread-local storage ({size} bytes) uses static TLS models (local-exec, \
         initial-exec or TLS descriptors), and glibc's static TLS reserve is used up: {reason}. \
         Start the process with a larger reserve (GLIBC_TUNABLES=glibc.rtld.optional_static_tls=BYTES), \
         or compile with -fPIC -ftls-model=global-dynamic"
    )]
    StaticTlsExhausted { size: u64, reason: String },
    #[error(
        "cannot give the thread-local storage of library {library} ({size} bytes) a static \
         offset, which JIT'd initial-exec code needs: {reason}. Start the process with a larger \
         static TLS reserve (GLIBC_TUNABLES=glibc.rtld.optional_static_tls=BYTES)"
    )]
    LibraryStaticTls {
        library: String,
        size: u64,
        reason: String,
    },
    #[error(
        "the unit's thread-local storage is aligned to {align} bytes and uses static TLS models \
         (local-exec, initial-exec or TLS descriptors): glibc gives a dlopen'ed module static TLS \
         only up to {limit}-byte alignment. Compile with -fPIC -ftls-model=global-dynamic, or align \
         the thread-local variables to at most {limit} bytes"
    )]
    StaticTlsOverAligned { align: u64, limit: u64 },
    #[error("entry point `{0}` is not defined by the linked objects")]
    NoEntry(String),
    #[error("{0}")]
    Other(String),
}

/// A fixup whose value does not fit its field.
#[derive(Debug, Clone)]
pub struct OutOfRange {
    pub file: String,
    pub section: String,
    pub offset: u64,
    pub kind: &'static str,
    pub target: String,
    pub value: i128,
    pub hint: String,
}

impl fmt::Display for OutOfRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: section {}+{:#x}: {} fixup to `{}` is out of range (value {:#x}){}",
            self.file, self.section, self.offset, self.kind, self.target, self.value, self.hint
        )
    }
}

struct UndefinedList<'a>(&'a [Undefined]);

impl fmt::Display for UndefinedList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        write!(f, "{n} undefined symbol{}:", if n == 1 { "" } else { "s" })?;
        for u in self.0 {
            write!(
                f,
                "\n  `{}`, referenced from {}",
                u.name,
                u.referenced_from.join(", ")
            )?;
        }
        Ok(())
    }
}

impl Error {
    pub fn malformed(file: &str, reason: impl fmt::Display) -> Self {
        Error::Malformed {
            file: file.to_string(),
            reason: reason.to_string(),
        }
    }
}
