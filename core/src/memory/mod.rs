//! The memory manager interface: segments by protection and lifetime, an
//! in-flight allocation to fill and fix up, then a finalized one whose
//! deallocation runs the dealloc actions before the memory goes.

mod in_process;
mod packed;
mod patcher;
mod placement;

pub use in_process::{run_wrapper_call, InProcessMemoryManager};
pub use packed::{packed_stats, PackedMemoryManager, PackedStats, ZONE as PACKED_ZONE};
pub use patcher::ViewPatcher;
pub use placement::Placement;

/// Which memory manager an in-process executor uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MemoryKind {
    /// One mapping per segment per unit, protections set at finalize: a
    /// process holds about 21,800 live units before `vm.max_map_count`.
    Pages,
    /// Units packed into shared, dual-mapped slabs ([`PackedMemoryManager`]).
    #[default]
    Packed,
}

impl std::str::FromStr for MemoryKind {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "pages" => Ok(MemoryKind::Pages),
            "packed" => Ok(MemoryKind::Packed),
            _ => Err(format!(
                "unknown memory manager `{s}`: expected pages or packed"
            )),
        }
    }
}

impl MemoryKind {
    /// The kind named by `LANTERN_MEMORY` (`pages` or `packed`), else the default.
    pub fn from_env() -> Self {
        std::env::var("LANTERN_MEMORY")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or_default()
    }
}

use crate::error::Result;
/// The executor-side types of allocation actions, re-exported where they
/// were first defined (`memory::AllocAction` and so on).
pub use crate::executor_types::{AllocAction, WrapperCall, WrapperFn};

use crate::executor_types::{ExecutorAddr, MemLifetime, MemProt};

/// One segment to allocate: blocks of one protection and lifetime.
#[derive(Debug, Clone, Copy)]
pub struct SegmentRequest {
    pub prot: MemProt,
    pub lifetime: MemLifetime,
    pub size: u64,
    pub align: u64,
}

/// What a link asks of the memory manager.
#[derive(Debug, Clone)]
pub struct AllocRequest {
    pub segments: Vec<SegmentRequest>,
    pub placement: Placement,
}

/// Allocates executor memory for a link.
pub trait MemoryManager: Send + Sync {
    fn allocate(&self, request: &AllocRequest) -> Result<Box<dyn InFlightAlloc>>;

    /// Rewrites `bytes` at `addr` in finalized code or read-only data
    /// (back-patching a call site or a pointer slot), without ever making the
    /// executing view writable. Only managers with a writable second view can.
    /// Eight bytes at an 8-byte aligned address are one atomic store.
    fn patch(&self, addr: ExecutorAddr, bytes: &[u8]) -> Result<()> {
        let _ = bytes;
        Err(crate::error::Error::Memory(format!(
            "patching finalized memory at {addr} is not supported by this memory manager (use --memory packed)"
        )))
    }
}

/// Memory being filled and fixed up; not yet executable.
pub trait InFlightAlloc: Send {
    /// The executor address of segment `index`.
    fn segment_addr(&self, index: usize) -> ExecutorAddr;
    /// Working memory for segment `index`, writable by the linker.
    fn working_memory(&mut self, index: usize) -> &mut [u8];
    /// Sets final protections, runs the finalize actions (undoing those that ran
    /// if one fails), frees Finalize segments.
    fn finalize(self: Box<Self>, actions: Vec<AllocAction>) -> Result<FinalizedAlloc>;
    /// Gives the memory back without running anything.
    fn abandon(self: Box<Self>);
}

/// What deallocation needs: implemented by each memory manager.
pub trait FinalizedMemory: Send + Sync {
    /// Runs the dealloc actions in reverse order, then releases the memory.
    fn deallocate(self: Box<Self>) -> Result<()>;
    /// The address range of the allocation's standard segments.
    fn range(&self) -> (ExecutorAddr, u64);
}

/// A finalized allocation: a small handle. Dropping it keeps the memory alive
/// (code may still run); [`FinalizedAlloc::deallocate`] releases it.
pub struct FinalizedAlloc {
    inner: Option<Box<dyn FinalizedMemory>>,
}

impl FinalizedAlloc {
    pub fn new(inner: Box<dyn FinalizedMemory>) -> Self {
        Self { inner: Some(inner) }
    }

    pub fn range(&self) -> (ExecutorAddr, u64) {
        self.inner
            .as_ref()
            .map_or((ExecutorAddr(0), 0), |m| m.range())
    }

    pub fn deallocate(mut self) -> Result<()> {
        match self.inner.take() {
            Some(inner) => inner.deallocate(),
            None => Ok(()),
        }
    }
}

impl std::fmt::Debug for FinalizedAlloc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (addr, size) = self.range();
        write!(f, "FinalizedAlloc({addr}, {size:#x})")
    }
}
