//! The wire protocol of LLVM 19's ORC `SimpleRemoteEPC`, as spoken between a
//! JIT controller and an executor process over a byte stream.
//!
//! - [`message`]: the 32-byte frame header, the four opcodes, and bounded
//!   reading and writing of whole messages.
//! - [`sps`]: Simple Packed Serialization (SPS), the encoding of every
//!   payload: little-endian fixed-size integers, `u64`-counted sequences.
//! - [`types`]: the values the bootstrap wrapper functions take and return
//!   (setup info, finalize requests, memory writes, symbol lookups, errors).
//! - [`names`]: the bootstrap symbol names an LLVM 19 controller looks up.
//!
//! Everything here is read from LLVM 19.1's sources (`Orc/Shared/*.h`,
//! `lib/ExecutionEngine/Orc/Shared/SimpleRemoteEPCUtils.cpp`); each item
//! names the declaration it mirrors. Decoding never panics and never
//! allocates more than the bytes at hand justify.

pub mod message;
pub mod names;
pub mod sps;
pub mod types;

pub use message::{Header, Message, Opcode};
pub use sps::{Decode, Encode, Reader, Writer};

/// Why a message or payload could not be read.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    /// The stream failed or ended inside a message.
    #[error("{what}: {source}")]
    Io {
        /// What was being read or written.
        what: &'static str,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A header's size field is below the header's own size.
    #[error("message size {0} is smaller than the 32-byte header")]
    SizeTooSmall(u64),
    /// A header's size field is above the reader's limit.
    #[error("message size {size} exceeds the limit of {limit} bytes")]
    Oversized {
        /// Size the header claims.
        size: u64,
        /// Largest message accepted.
        limit: u64,
    },
    /// A header's opcode is not one of the four.
    #[error("unknown opcode {0}")]
    UnknownOpcode(u64),
    /// A payload ended before a value it declares.
    #[error("truncated payload: {what} needs {needed} bytes, {left} left")]
    Truncated {
        /// The value being decoded.
        what: &'static str,
        /// Bytes it needs.
        needed: u64,
        /// Bytes left in the payload.
        left: u64,
    },
    /// A payload has bytes after its last value.
    #[error("{0} trailing bytes after the payload's values")]
    Trailing(usize),
    /// A boolean byte other than 0 or 1.
    #[error("invalid boolean byte {0:#x}")]
    InvalidBool(u8),
    /// A string that is not UTF-8.
    #[error("string is not valid UTF-8")]
    InvalidUtf8,
}
