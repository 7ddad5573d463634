//! The executor seen from the linker: symbol lookup in its process, its
//! memory manager, and running code there.

use lantern_dynsym as dynsym;
mod in_process;
pub mod remote;
mod runtime;
mod tls_image;

pub use in_process::{
    in_main_caller, set_main_caller, InProcessExecutor, MainCaller, MainCallerCode,
};
pub use remote::RemoteExecutor;

use crate::error::Result;
use crate::executor_types::{ExecutorAddr, Initializers};
use crate::memory::MemoryManager;

/// A symbol found in the executor process (not in JIT'd code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostSymbol {
    pub addr: ExecutorAddr,
    pub is_function: bool,
    pub size: u64,
    /// For a thread-local variable: where it lives (`addr` is then only the
    /// calling thread's copy).
    pub tls: Option<crate::graph::HostTls>,
}

/// A unit's thread-local storage, handed to the executor's thread library.
#[derive(Debug, Clone)]
pub struct TlsModule {
    /// The module id `__tls_get_addr` knows the image by.
    pub module_id: u64,
    /// For a static image: the block's offset from the thread pointer, the
    /// same in every thread (negative: TLS variant II).
    pub tp_offset: Option<i64>,
    /// The call that gives the image back (a dealloc action).
    pub release: crate::memory::WrapperCall,
}

/// A unit's thread-local block as the executor's thread library gets it.
pub struct TlsImage<'a> {
    /// `.tdata`, fixed up; zeroes follow up to `mem_size`.
    pub init: &'a [u8],
    pub mem_size: u64,
    pub align: u64,
    /// Named variables in the block, for debuggers (they find TLS through
    /// the loaded object's symbol table).
    pub symbols: &'a [crate::graph::TlsSymbol],
    /// More sections for the object (the thread-local variables' DWARF).
    pub sections: &'a [crate::graph::NoAllocOutput],
}

/// What the linker needs from the process that runs the code.
pub trait ExecutorControl: Send + Sync {
    /// Looks a symbol up in the executor: its runtime helpers, loaded libraries, the program.
    fn lookup(&self, name: &str) -> Option<HostSymbol>;
    /// Looks symbols up, an answer each in order: what a link resolves in
    /// the executor, asked at once (one round trip to an executor in
    /// another process).
    fn lookup_symbols(&self, names: &[&str]) -> Vec<Option<HostSymbol>> {
        names.iter().map(|name| self.lookup(name)).collect()
    }
    fn memory_manager(&self) -> &dyn MemoryManager;
    /// Reads executor memory (host data to copy).
    fn read_memory(&self, addr: ExecutorAddr, len: u64) -> Result<Vec<u8>>;
    /// Registers a TLS image so every thread, existing or future, gets its
    /// own initialized copy. With `static_tls`, the block must get a fixed
    /// offset from the thread pointer (local-exec and initial-exec code, TLS
    /// descriptors).
    fn load_tls_image(&self, image: &TlsImage<'_>, static_tls: bool) -> Result<TlsModule>;
    /// Gives a TLS image back (on a failed link; otherwise `release` runs at deallocation).
    fn unload_tls_image(&self, module: &TlsModule);
    /// Loads a shared library into the executor so its symbols resolve.
    fn load_library(&self, path: &str) -> Result<()>;
    /// Makes the executor's stack executable (objects asking for it in `.note.GNU-stack`).
    fn make_stack_executable(&self) -> Result<()>;
    /// Calls a wrapper function in the executor outside any allocation's
    /// lifetime (plugins finishing work they batched across links).
    fn run_wrapper(&self, call: &crate::memory::WrapperCall) -> Result<()>;
    /// Stores each `(address, value)` as one aligned, atomic 8-byte write
    /// (ORC's `MemoryAccess::writeUInt64s`): how redirectable symbols'
    /// pointer slots change while other threads jump through them. Every
    /// store is done when the call returns. The addresses must be 8-byte
    /// aligned in writable memory the linker allocated (a pointer slot).
    fn write_u64s(&self, writes: &[(ExecutorAddr, u64)]) -> Result<()> {
        let _ = writes;
        Err(crate::error::Error::Other(
            "this executor cannot write pointer slots (write_u64s)".into(),
        ))
    }
    /// Whether a debugger (any tracer) is attached to the process that runs
    /// the code: then a link finishes its deferred passes (debug objects)
    /// before it returns, so breakpoints bind before the code runs. An
    /// executor that cannot tell says yes.
    fn debugger_attached(&self) -> bool {
        crate::link::background::traced()
    }
    /// Runs `preinit`/`init` with `(argc, argv, envp)`, arranges `fini` to run at
    /// exit after the atexit handlers registered later, then calls the entry
    /// point as `main(argc, argv, envp)` and returns its result.
    fn run_main(
        &self,
        entry: ExecutorAddr,
        initializers: &Initializers,
        args: &[String],
    ) -> Result<i32>;
}
