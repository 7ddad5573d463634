//! Lantern's core: the link graph, the ELF graph builder, the x86-64 backend,
//! the pass pipeline, the memory manager and the in-process executor.
//!
//! The path of an object: bytes -> [`elf::GraphBuilder`] -> [`graph::LinkGraph`]
//! -> [`link`] pipeline -> [`memory::MemoryManager`] -> finalized allocation.
//! [`session::Session`] ties it together for embedders and the CLI.

pub mod arch;
pub mod elf;
pub mod error;
pub mod executor;
pub mod executor_types;
pub mod graph;
pub mod lazy;
pub mod link;
pub mod memory;
pub mod session;

pub use error::{Error, Result};
pub use executor_types::ExecutorAddr;
