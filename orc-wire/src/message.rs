//! Message framing: the header of `FDSimpleRemoteEPCTransport`
//! (`SimpleRemoteEPCUtils.cpp`, `struct FDMsgHeader`) and whole messages.
//!
//! A message is a 32-byte header of four little-endian `u64` fields, then
//! the argument bytes:
//!
//! | offset | field    | meaning                                          |
//! |--------|----------|--------------------------------------------------|
//! | 0      | MsgSize  | header + argument bytes                           |
//! | 8      | OpC      | `SimpleRemoteEPCOpcode` (0..=3)                   |
//! | 16     | SeqNo    | pairs a `CallWrapper` with its `Result`           |
//! | 24     | TagAddr  | the wrapper function's address for `CallWrapper`  |

use std::io::{Read, Write};

use crate::WireError;

/// Size of the frame header (`FDMsgHeader::Size`).
pub const HEADER_SIZE: usize = 32;

/// `SimpleRemoteEPCOpcode` (`SimpleRemoteEPCUtils.h`): a `uint8_t` enum,
/// sent widened to `u64`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Opcode {
    /// Executor to controller, once, first: the `SimpleRemoteEPCExecutorInfo`.
    Setup = 0,
    /// Either side: the session ends; the payload is an SPS `Error`.
    Hangup = 1,
    /// The answer to `CallWrapper` with the same sequence number.
    Result = 2,
    /// Call the wrapper function at `TagAddr` with the argument bytes.
    CallWrapper = 3,
}

impl Opcode {
    /// The opcode of a header's `OpC` field.
    pub fn from_u64(value: u64) -> Result<Self, WireError> {
        Ok(match value {
            0 => Opcode::Setup,
            1 => Opcode::Hangup,
            2 => Opcode::Result,
            3 => Opcode::CallWrapper,
            other => return Err(WireError::UnknownOpcode(other)),
        })
    }
}

/// A decoded frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Total message size, header included.
    pub size: u64,
    /// What the message is.
    pub opcode: Opcode,
    /// Sequence number.
    pub seq_no: u64,
    /// Wrapper function address (`CallWrapper`), else 0.
    pub tag_addr: u64,
}

impl Header {
    /// The 32 header bytes.
    pub fn to_bytes(&self) -> [u8; HEADER_SIZE] {
        let mut out = [0u8; HEADER_SIZE];
        out[0..8].copy_from_slice(&self.size.to_le_bytes());
        out[8..16].copy_from_slice(&(self.opcode as u64).to_le_bytes());
        out[16..24].copy_from_slice(&self.seq_no.to_le_bytes());
        out[24..32].copy_from_slice(&self.tag_addr.to_le_bytes());
        out
    }

    /// Decodes 32 header bytes, checking the size against `limit`.
    pub fn from_bytes(bytes: &[u8; HEADER_SIZE], limit: u64) -> Result<Self, WireError> {
        let field = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&bytes[i * 8..i * 8 + 8]);
            u64::from_le_bytes(b)
        };
        let size = field(0);
        if size < HEADER_SIZE as u64 {
            return Err(WireError::SizeTooSmall(size));
        }
        if size > limit {
            return Err(WireError::Oversized { size, limit });
        }
        Ok(Header {
            size,
            opcode: Opcode::from_u64(field(1))?,
            seq_no: field(2),
            tag_addr: field(3),
        })
    }
}

/// A whole message: opcode, sequence number, tag and argument bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// What the message is.
    pub opcode: Opcode,
    /// Sequence number.
    pub seq_no: u64,
    /// Wrapper function address (`CallWrapper`), else 0.
    pub tag_addr: u64,
    /// The SPS-encoded argument or result bytes.
    pub payload: Vec<u8>,
}

/// Default limit on a message's size: 1 GiB, far above any finalize request
/// of a real program, far below what would exhaust memory on a lie.
pub const DEFAULT_SIZE_LIMIT: u64 = 1 << 30;

impl Message {
    /// Encodes the message, header first.
    pub fn to_bytes(&self) -> Vec<u8> {
        let header = Header {
            size: (HEADER_SIZE + self.payload.len()) as u64,
            opcode: self.opcode,
            seq_no: self.seq_no,
            tag_addr: self.tag_addr,
        };
        let mut out = Vec::with_capacity(HEADER_SIZE + self.payload.len());
        out.extend_from_slice(&header.to_bytes());
        out.extend_from_slice(&self.payload);
        out
    }

    /// Writes the message in one `write_all` and flushes.
    pub fn write_to(&self, out: &mut impl Write) -> Result<(), WireError> {
        let io = |source| WireError::Io {
            what: "writing a message",
            source,
        };
        out.write_all(&self.to_bytes()).map_err(io)?;
        out.flush().map_err(io)
    }

    /// Reads one message. `Ok(None)` is a clean end of stream before a
    /// header; an end inside a message is an error. The payload buffer grows
    /// with the bytes that actually arrive, so a header claiming a huge size
    /// costs no memory before its bytes do, and `limit` caps it.
    pub fn read_from(input: &mut impl Read, limit: u64) -> Result<Option<Message>, WireError> {
        let mut header = [0u8; HEADER_SIZE];
        let mut filled = 0;
        while filled < HEADER_SIZE {
            match input.read(&mut header[filled..]) {
                Ok(0) if filled == 0 => return Ok(None),
                Ok(0) => {
                    return Err(WireError::Io {
                        what: "reading a message header",
                        source: std::io::ErrorKind::UnexpectedEof.into(),
                    })
                }
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(source) => {
                    return Err(WireError::Io {
                        what: "reading a message header",
                        source,
                    })
                }
            }
        }
        let header = Header::from_bytes(&header, limit)?;
        let len = header.size - HEADER_SIZE as u64;
        let mut payload = Vec::with_capacity(len.min(64 * 1024) as usize);
        let got = input
            .take(len)
            .read_to_end(&mut payload)
            .map_err(|source| WireError::Io {
                what: "reading a message payload",
                source,
            })?;
        if (got as u64) < len {
            return Err(WireError::Truncated {
                what: "message payload",
                needed: len,
                left: got as u64,
            });
        }
        Ok(Some(Message {
            opcode: header.opcode,
            seq_no: header.seq_no,
            tag_addr: header.tag_addr,
            payload,
        }))
    }
}
