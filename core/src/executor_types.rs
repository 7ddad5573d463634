//! Types the controller and the executor share: addresses in the executor,
//! memory protections and lifetimes, calls into the executor (allocation
//! actions), and the initializers a linked unit asks the executor to run.
//!
//! They sit below every other module (the graph, the memory manager, the
//! pipeline and the executor all use them, and they use none of those), so
//! that the top-level modules of the crate import each other one way only
//! (docs/architecture.md lists the order).

use std::fmt;

/// An address in the executor process (which may be this process).
#[derive(Copy, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ExecutorAddr(pub u64);

impl fmt::Debug for ExecutorAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}", self.0)
    }
}

impl fmt::Display for ExecutorAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}", self.0)
    }
}

/// Memory protection of a section once finalized.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MemProt {
    Read,
    ReadWrite,
    ReadExec,
}

impl MemProt {
    pub fn as_str(self) -> &'static str {
        match self {
            MemProt::Read => "r--",
            MemProt::ReadWrite => "rw-",
            MemProt::ReadExec => "r-x",
        }
    }
}

/// How long a section's memory lives.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MemLifetime {
    /// Lives until the allocation is deallocated.
    Standard,
    /// Freed once the finalize actions have run.
    Finalize,
    /// Never allocated in the executor; kept and fixed up in controller memory.
    NoAlloc,
}

/// A call into the executor: a function taking `(arg_ptr, arg_len)` and
/// returning 0 on success, with its serialized argument bytes.
#[derive(Debug, Clone)]
pub struct WrapperCall {
    pub function: ExecutorAddr,
    pub arg: Vec<u8>,
}

/// The signature of a [`WrapperCall`]'s function in the executor.
pub type WrapperFn = unsafe extern "C" fn(arg: *const u8, len: usize) -> u64;

/// A finalize call and the dealloc call that undoes it.
#[derive(Debug, Clone)]
pub struct AllocAction {
    pub finalize: Option<WrapperCall>,
    pub dealloc: Option<WrapperCall>,
}

/// Functions to call before the entry point and at exit, in call order.
#[derive(Debug, Clone, Default)]
pub struct Initializers {
    pub preinit: Vec<ExecutorAddr>,
    pub init: Vec<ExecutorAddr>,
    pub fini: Vec<ExecutorAddr>,
}
