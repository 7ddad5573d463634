//! Architecture backends: edge kinds, relocation mapping, fixups and stubs.

pub mod x86_64;
