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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrapperCall {
    pub function: ExecutorAddr,
    pub arg: WrapperArg,
}

/// Argument bytes kept inline up to this length.
const INLINE_ARG: usize = 22;

/// A [`WrapperCall`]'s argument bytes. Most are an address or two: up to 22
/// bytes are kept inline, so a kept unit's dealloc actions cost no
/// allocation each (a million units keep a million of them); longer ones
/// are on the heap. 24 bytes, as a `Vec<u8>`.
#[derive(Clone)]
pub struct WrapperArg(ArgBytes);

#[derive(Clone)]
enum ArgBytes {
    Inline { len: u8, bytes: [u8; INLINE_ARG] },
    Heap(Box<[u8]>),
}

impl std::ops::Deref for WrapperArg {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match &self.0 {
            ArgBytes::Inline { len, bytes } => &bytes[..usize::from(*len)],
            ArgBytes::Heap(bytes) => bytes,
        }
    }
}

impl From<&[u8]> for WrapperArg {
    fn from(bytes: &[u8]) -> Self {
        if bytes.len() <= INLINE_ARG {
            let mut inline = [0; INLINE_ARG];
            inline[..bytes.len()].copy_from_slice(bytes);
            WrapperArg(ArgBytes::Inline {
                len: bytes.len() as u8,
                bytes: inline,
            })
        } else {
            WrapperArg(ArgBytes::Heap(bytes.into()))
        }
    }
}

impl From<Vec<u8>> for WrapperArg {
    fn from(bytes: Vec<u8>) -> Self {
        if bytes.len() <= INLINE_ARG {
            WrapperArg::from(&bytes[..])
        } else {
            WrapperArg(ArgBytes::Heap(bytes.into_boxed_slice()))
        }
    }
}

impl Default for WrapperArg {
    fn default() -> Self {
        WrapperArg::from(&[][..])
    }
}

impl PartialEq for WrapperArg {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl Eq for WrapperArg {}

impl std::fmt::Debug for WrapperArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
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
