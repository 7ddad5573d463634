//! The in-process memory manager: one anonymous mapping per allocation, placed
//! as the link requires, writable while in flight, never writable and
//! executable at once.

use std::ffi::c_void;

use rustix::mm::{MapFlags, MprotectFlags, ProtFlags};

use super::placement::{align_up, find_free_address};
use super::{
    AllocAction, AllocRequest, FinalizedAlloc, FinalizedMemory, InFlightAlloc, MemoryManager,
    WrapperCall, WrapperFn,
};
use crate::error::{Error, Result};
use crate::executor_types::{ExecutorAddr, MemLifetime, MemProt};

/// Allocates JIT memory in this process with `mmap`.
#[derive(Debug, Default)]
pub struct InProcessMemoryManager;

impl InProcessMemoryManager {
    pub fn new() -> Self {
        Self
    }
}

fn page_size() -> u64 {
    rustix::param::page_size() as u64
}

/// One mapping holding every segment, page-aligned, Finalize segments last.
struct Mapping {
    base: u64,
    size: u64,
}

impl Mapping {
    fn new(request: &AllocRequest, size: u64) -> Result<Mapping> {
        let page = page_size();
        for _attempt in 0..8 {
            let hint = find_free_address(request.placement, size, page)?;
            let flags = match hint {
                Some(_) => MapFlags::PRIVATE | MapFlags::FIXED_NOREPLACE | MapFlags::NORESERVE,
                None => MapFlags::PRIVATE | MapFlags::NORESERVE,
            };
            let addr = hint.unwrap_or(0) as *mut c_void;
            // SAFETY: an anonymous private mapping at an address we found free
            // (FIXED_NOREPLACE refuses to replace anything that appeared since);
            // no existing memory is affected.
            let result = unsafe {
                rustix::mm::mmap_anonymous(
                    addr,
                    size as usize,
                    ProtFlags::READ | ProtFlags::WRITE,
                    flags,
                )
            };
            match result {
                Ok(ptr) if hint.is_none_or(|h| h == ptr as u64) => {
                    return Ok(Mapping {
                        base: ptr as u64,
                        size,
                    });
                }
                Ok(ptr) => {
                    // An old kernel treated FIXED_NOREPLACE as a hint: give it back.
                    // SAFETY: `ptr` is the mapping just created, unused.
                    let _ = unsafe { rustix::mm::munmap(ptr, size as usize) };
                }
                Err(rustix::io::Errno::EXIST) => continue,
                Err(e) => {
                    return Err(Error::Memory(format!(
                        "mmap of {size:#x} bytes failed: {e}"
                    )))
                }
            }
        }
        Err(Error::Memory(format!(
            "could not map {size:#x} bytes for {:?}: the address space kept changing",
            request.placement
        )))
    }

    fn protect(&self, offset: u64, len: u64, prot: MemProt) -> Result<()> {
        if len == 0 {
            return Ok(());
        }
        let flags = match prot {
            MemProt::Read => MprotectFlags::READ,
            MemProt::ReadWrite => MprotectFlags::READ | MprotectFlags::WRITE,
            MemProt::ReadExec => MprotectFlags::READ | MprotectFlags::EXEC,
        };
        // SAFETY: the range lies inside this mapping, which we own; no Rust
        // reference into it outlives the in-flight phase.
        unsafe { rustix::mm::mprotect((self.base + offset) as *mut c_void, len as usize, flags) }
            .map_err(|e| Error::Memory(format!("mprotect {}: {e}", prot.as_str())))
    }

    fn unmap(&self, offset: u64, len: u64) {
        if len == 0 {
            return;
        }
        // SAFETY: the range lies inside this mapping; nothing refers to it any more.
        let _ = unsafe { rustix::mm::munmap((self.base + offset) as *mut c_void, len as usize) };
    }
}

struct Segment {
    offset: u64,
    size: u64,
    prot: MemProt,
    lifetime: MemLifetime,
}

struct InProcessInFlight {
    mapping: Mapping,
    segments: Vec<Segment>,
    /// Where Finalize segments start; everything from here is freed after finalize.
    finalize_start: u64,
}

impl MemoryManager for InProcessMemoryManager {
    fn allocate(&self, request: &AllocRequest) -> Result<Box<dyn InFlightAlloc>> {
        let page = page_size();
        let mut order: Vec<usize> = (0..request.segments.len()).collect();
        // Standard segments first, Finalize segments at the end of the mapping.
        order.sort_by_key(|&i| request.segments[i].lifetime == MemLifetime::Finalize);
        let mut segments: Vec<Option<Segment>> =
            (0..request.segments.len()).map(|_| None).collect();
        let mut offset = 0u64;
        let mut finalize_start = None;
        for i in order {
            let seg = &request.segments[i];
            if seg.lifetime == MemLifetime::NoAlloc {
                return Err(Error::Memory(
                    "NoAlloc segments are never allocated in the executor".into(),
                ));
            }
            if seg.lifetime == MemLifetime::Finalize && finalize_start.is_none() {
                finalize_start = Some(offset);
            }
            let too_large = || {
                Error::Memory(format!(
                    "the unit's segments need more than {:#x} bytes",
                    u64::MAX
                ))
            };
            if seg.align > page {
                offset = offset
                    .checked_next_multiple_of(seg.align)
                    .ok_or_else(too_large)?;
            }
            segments[i] = Some(Segment {
                offset,
                size: seg.size,
                prot: seg.prot,
                lifetime: seg.lifetime,
            });
            offset = offset
                .checked_add(seg.size)
                .and_then(|end| end.checked_next_multiple_of(page))
                .ok_or_else(too_large)?;
        }
        let total = offset.max(page);
        let finalize_start = finalize_start.unwrap_or(total);
        let mapping = Mapping::new(request, total)?;
        Ok(Box::new(InProcessInFlight {
            mapping,
            segments: segments
                .into_iter()
                .map(|s| s.expect("every segment placed"))
                .collect(),
            finalize_start,
        }))
    }
}

impl InFlightAlloc for InProcessInFlight {
    fn segment_addr(&self, index: usize) -> ExecutorAddr {
        ExecutorAddr(self.mapping.base + self.segments[index].offset)
    }

    fn working_memory(&mut self, index: usize) -> &mut [u8] {
        let seg = &self.segments[index];
        // SAFETY: the segment lies inside the mapping, which is mapped read-write
        // until finalize consumes `self`; the returned borrow is tied to `&mut self`,
        // so no alias exists and it cannot outlive the mapping or the write access.
        unsafe {
            std::slice::from_raw_parts_mut(
                (self.mapping.base + seg.offset) as *mut u8,
                seg.size as usize,
            )
        }
    }

    fn finalize(self: Box<Self>, actions: Vec<AllocAction>) -> Result<FinalizedAlloc> {
        let this = *self;
        for seg in &this.segments {
            let len = align_up(seg.size, page_size());
            if let Err(e) = this.mapping.protect(seg.offset, len, seg.prot) {
                this.mapping.unmap(0, this.mapping.size);
                return Err(e);
            }
        }
        let mut ran: Vec<AllocAction> = Vec::with_capacity(actions.len());
        for action in actions {
            if let Some(call) = &action.finalize {
                if let Err(e) = run_wrapper_call(call) {
                    // Undo what ran, newest first, then give the memory back.
                    for done in ran.iter().rev() {
                        if let Some(dealloc) = &done.dealloc {
                            let _ = run_wrapper_call(dealloc);
                        }
                    }
                    this.mapping.unmap(0, this.mapping.size);
                    return Err(e);
                }
            }
            ran.push(action);
        }
        let has_finalize_segments = this
            .segments
            .iter()
            .any(|s| s.lifetime == MemLifetime::Finalize && s.size > 0);
        if has_finalize_segments {
            this.mapping
                .unmap(this.finalize_start, this.mapping.size - this.finalize_start);
        }
        Ok(FinalizedAlloc::new(Box::new(InProcessFinalized {
            base: this.mapping.base,
            size: this.finalize_start,
            dealloc_actions: ran.into_iter().filter_map(|a| a.dealloc).collect(),
        })))
    }

    fn abandon(self: Box<Self>) {
        self.mapping.unmap(0, self.mapping.size);
    }
}

struct InProcessFinalized {
    base: u64,
    size: u64,
    dealloc_actions: Vec<WrapperCall>,
}

impl FinalizedMemory for InProcessFinalized {
    fn deallocate(self: Box<Self>) -> Result<()> {
        let mut first_error = None;
        for call in self.dealloc_actions.iter().rev() {
            if let Err(e) = run_wrapper_call(call) {
                first_error.get_or_insert(e);
            }
        }
        Mapping {
            base: self.base,
            size: self.size,
        }
        .unmap(0, self.size);
        first_error.map_or(Ok(()), Err)
    }

    fn range(&self) -> (ExecutorAddr, u64) {
        (ExecutorAddr(self.base), self.size)
    }
}

/// Calls a wrapper function in this process (in-process executors only).
pub fn run_wrapper_call(call: &WrapperCall) -> Result<()> {
    if call.function.0 == 0 {
        return Err(Error::Memory(
            "allocation action with a null function".into(),
        ));
    }
    // SAFETY: allocation actions are created by passes with the address of a
    // function of type `WrapperFn` in this process; the argument buffer lives
    // for the duration of the call.
    let status = unsafe {
        let f: WrapperFn = std::mem::transmute::<usize, WrapperFn>(call.function.0 as usize);
        f(call.arg.as_ptr(), call.arg.len())
    };
    if status == 0 {
        Ok(())
    } else {
        Err(Error::Memory(format!(
            "allocation action at {} failed with status {status}",
            call.function
        )))
    }
}
