//! Executor memory out of process: LLVM's SimpleExecutorMemoryManager
//! wrappers. `allocate` reserves one range for all segments, each at a page
//! boundary; the linker fills working buffers here in the controller;
//! `finalize` sends the bytes, protections and allocation actions in one
//! message; `deallocate` runs the dealloc actions there and unmaps.
//!
//! With shared memory (lantern-executor on the same host,
//! [`super::shared_memory`]) the reservation is a memfd and the working
//! buffers are the controller's view of it: finalize unmaps the view and
//! sends the segments without content. When the executor does not offer it
//! or a reservation cannot be shared (the reason is logged), this and every
//! later allocation of the session take the first path.

use std::sync::Arc;

use lantern_orc_wire::names;
use lantern_orc_wire::sps::{from_bytes, to_bytes, Bytes, SpsError, SpsExpected};
use lantern_orc_wire::types::{
    AllocActionCallPair, FinalizeRequest, RemoteAllocGroup, SegFinalizeRequest, WrapperFunctionCall,
};

use super::shared_memory::SharedView;
use super::RemoteShared;
use crate::error::{Error, Result};
use crate::executor_types::{ExecutorAddr, MemLifetime, MemProt};
use crate::memory::{
    AllocAction, AllocRequest, FinalizedAlloc, FinalizedMemory, InFlightAlloc, MemoryManager,
    WrapperCall,
};

/// The memory manager of a remote executor.
pub struct RemoteMemoryManager {
    pub(super) shared: Arc<RemoteShared>,
}

struct Segment {
    offset: u64,
    size: u64,
    prot: MemProt,
    lifetime: MemLifetime,
}

/// Where an in-flight allocation's bytes are filled.
enum Working {
    /// Buffers here, sent in the finalize message (one per segment).
    Buffers(Vec<Vec<u8>>),
    /// The controller's view of the executor's memfd.
    Shared(SharedView),
}

struct RemoteInFlight {
    shared: Arc<RemoteShared>,
    base: u64,
    size: u64,
    segments: Vec<Segment>,
    working: Working,
}

struct RemoteFinalized {
    shared: Arc<RemoteShared>,
    base: u64,
    size: u64,
}

fn group(prot: MemProt, lifetime: MemLifetime) -> RemoteAllocGroup {
    RemoteAllocGroup {
        read: true,
        write: prot == MemProt::ReadWrite,
        exec: prot == MemProt::ReadExec,
        finalize_lifetime: lifetime == MemLifetime::Finalize,
    }
}

impl RemoteShared {
    /// An allocation action as the executor runs it: only functions of the
    /// executor process (its wrappers and symbols looked up there) can be
    /// called; an in-process plugin's function address means nothing there.
    pub(super) fn remote_call(&self, call: &WrapperCall) -> Result<WrapperFunctionCall> {
        if !self.is_executor_function(call.function.0) {
            return Err(Error::Other(format!(
                "executor {}: allocation action calls {}, which is no function of the executor process \
                 (an in-process plugin's action cannot run out of process)",
                self.conn.name, call.function
            )));
        }
        Ok(WrapperFunctionCall {
            fn_addr: call.function.0,
            args: Bytes(call.arg.to_vec()),
        })
    }

    /// A shared reservation of `size` bytes, if shared memory is on and this
    /// one can be shared: its base and the controller's view. A refusal or
    /// a failed check turns shared memory off for the session (logged, with
    /// the reason); only a broken connection is an error.
    fn reserve_shared(&self, size: u64) -> Result<Option<(u64, SharedView)>> {
        let Some(tag) = self.shm_tag() else {
            return Ok(None);
        };
        let mm = self.conn.symbol(names::MEMORY_MANAGER_INSTANCE)?;
        let what = format!("reserving {size:#x} bytes of shared memory");
        let result = self.conn.call(tag, to_bytes(&(mm, size)), &what, false)?;
        let (base, pid, fd, name) =
            match from_bytes::<SpsExpected<(u64, u64, u64, String)>>(&result) {
                Ok(SpsExpected(Ok(r))) => r,
                Ok(SpsExpected(Err(e))) => {
                    self.decline_shm(format!("{what}: {e}"));
                    return Ok(None);
                }
                Err(e) => {
                    self.decline_shm(format!("{what}: malformed result: {e}"));
                    return Ok(None);
                }
            };
        let page = self.conn.info.page_size.max(4096);
        match SharedView::open(pid, fd, &name, size.next_multiple_of(page)) {
            Ok(view) => {
                self.count_shm();
                *self.shm_pid.lock().unwrap_or_else(|e| e.into_inner()) = Some(pid);
                Ok(Some((base, view)))
            }
            Err(e) => {
                deallocate(self, base)?;
                self.decline_shm(format!("{what}: {e}"));
                Ok(None)
            }
        }
    }

    fn call_memory_manager(&self, wrapper: &str, args: Vec<u8>, what: &str) -> Result<Vec<u8>> {
        let tag = self.conn.symbol(wrapper)?;
        self.conn.call(tag, args, what, false)
    }

    fn check_error(&self, result: &[u8], what: &str) -> Result<()> {
        match from_bytes::<SpsError>(result) {
            Ok(SpsError(None)) => Ok(()),
            Ok(SpsError(Some(e))) => Err(Error::Memory(format!(
                "executor {}: {what}: {e}",
                self.conn.name
            ))),
            Err(e) => Err(Error::Memory(format!(
                "executor {}: {what}: malformed result: {e}",
                self.conn.name
            ))),
        }
    }
}

impl MemoryManager for RemoteMemoryManager {
    fn allocate(&self, request: &AllocRequest) -> Result<Box<dyn InFlightAlloc>> {
        let page = self.shared.conn.info.page_size.max(4096);
        let mut offset = 0u64;
        let mut segments = Vec::with_capacity(request.segments.len());
        for seg in &request.segments {
            if seg.lifetime == MemLifetime::NoAlloc {
                return Err(Error::Memory(
                    "NoAlloc segments are never allocated in the executor".into(),
                ));
            }
            if seg.align > page {
                return Err(Error::Memory(format!(
                    "out of process, segments are page-aligned: alignment {:#x} is not supported",
                    seg.align
                )));
            }
            usize::try_from(seg.size).map_err(|_| Error::Memory("segment too large".into()))?;
            segments.push(Segment {
                offset,
                size: seg.size,
                prot: seg.prot,
                lifetime: seg.lifetime,
            });
            offset = offset
                .checked_add(seg.size)
                .and_then(|e| e.checked_next_multiple_of(page))
                .ok_or_else(|| Error::Memory("the unit's segments are too large".into()))?;
        }
        let size = offset.max(page);
        if let Some((base, view)) = self.shared.reserve_shared(size)? {
            return Ok(Box::new(RemoteInFlight {
                shared: Arc::clone(&self.shared),
                base,
                size,
                segments,
                working: Working::Shared(view),
            }));
        }
        let mm = self.shared.conn.symbol(names::MEMORY_MANAGER_INSTANCE)?;
        let what = format!("reserving {size:#x} bytes");
        let result = self.shared.call_memory_manager(
            names::MEMORY_MANAGER_RESERVE,
            to_bytes(&(mm, size)),
            &what,
        )?;
        let base = match from_bytes::<SpsExpected<u64>>(&result) {
            Ok(SpsExpected(Ok(base))) => base,
            Ok(SpsExpected(Err(e))) => {
                return Err(Error::Memory(format!(
                    "executor {}: {what}: {e}",
                    self.shared.conn.name
                )))
            }
            Err(e) => {
                return Err(Error::Memory(format!(
                    "executor {}: {what}: malformed result: {e}",
                    self.shared.conn.name
                )))
            }
        };
        let working = Working::Buffers(segments.iter().map(|s| vec![0; s.size as usize]).collect());
        Ok(Box::new(RemoteInFlight {
            shared: Arc::clone(&self.shared),
            base,
            size,
            segments,
            working,
        }))
    }
}

impl InFlightAlloc for RemoteInFlight {
    fn segment_addr(&self, index: usize) -> ExecutorAddr {
        ExecutorAddr(self.base + self.segments[index].offset)
    }

    fn working_memory(&mut self, index: usize) -> &mut [u8] {
        let s = &self.segments[index];
        match &mut self.working {
            Working::Buffers(b) => &mut b[index],
            Working::Shared(view) => view.bytes_mut(s.offset, s.size),
        }
    }

    fn finalize(self: Box<Self>, actions: Vec<AllocAction>) -> Result<FinalizedAlloc> {
        let mut this = *self;
        let translate = |c: &Option<WrapperCall>| -> Result<WrapperFunctionCall> {
            c.as_ref().map_or(Ok(WrapperFunctionCall::default()), |c| {
                this.shared.remote_call(c)
            })
        };
        let mut pairs = Vec::with_capacity(actions.len());
        for a in &actions {
            match (translate(&a.finalize), translate(&a.dealloc)) {
                (Ok(finalize), Ok(dealloc)) => {
                    pairs.push(AllocActionCallPair { finalize, dealloc })
                }
                (Err(e), _) | (_, Err(e)) => {
                    this.release();
                    return Err(e);
                }
            }
        }
        // The controller's view goes before the executor maps code
        // executable: no writable view of it is left in either process.
        let buffers = match std::mem::replace(&mut this.working, Working::Buffers(Vec::new())) {
            Working::Buffers(b) => b,
            Working::Shared(view) => {
                drop(view);
                Vec::new()
            }
        };
        let request = FinalizeRequest {
            segments: this
                .segments
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    // Trailing zeroes need not cross the wire: the executor
                    // zero-fills up to the segment's size. With shared
                    // memory no content does.
                    let content = buffers.get(i).map_or(Vec::new(), |b| {
                        let used = b.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
                        b[..used].to_vec()
                    });
                    SegFinalizeRequest {
                        group: group(s.prot, s.lifetime),
                        addr: this.base + s.offset,
                        size: s.size,
                        content: Bytes(content),
                    }
                })
                .collect(),
            actions: pairs,
        };
        let mm = this.shared.conn.symbol(names::MEMORY_MANAGER_INSTANCE)?;
        let mut args = to_bytes(&mm);
        args.extend(to_bytes(&request));
        let what = format!("finalizing the allocation at {:#x}", this.base);
        let result =
            this.shared
                .call_memory_manager(names::MEMORY_MANAGER_FINALIZE, args, &what)?;
        // A failed finalize has already released the memory in the executor.
        this.shared.check_error(&result, &what)?;
        Ok(FinalizedAlloc::new(Box::new(RemoteFinalized {
            shared: this.shared,
            base: this.base,
            size: this.size,
        })))
    }

    fn abandon(self: Box<Self>) {
        self.release();
    }
}

impl RemoteInFlight {
    /// Gives an unfinalized reservation back (errors are only logged: the
    /// caller is already failing).
    fn release(&self) {
        if let Err(e) = deallocate(&self.shared, self.base) {
            log::warn!("{e}");
        }
    }
}

fn deallocate(shared: &RemoteShared, base: u64) -> Result<()> {
    let mm = shared.conn.symbol(names::MEMORY_MANAGER_INSTANCE)?;
    let what = format!("deallocating {base:#x}");
    let result = shared.call_memory_manager(
        names::MEMORY_MANAGER_DEALLOCATE,
        to_bytes(&(mm, vec![base])),
        &what,
    )?;
    shared.check_error(&result, &what)
}

impl FinalizedMemory for RemoteFinalized {
    fn deallocate(self: Box<Self>) -> Result<()> {
        deallocate(&self.shared, self.base)
    }

    fn range(&self) -> (ExecutorAddr, u64) {
        (ExecutorAddr(self.base), self.size)
    }
}
