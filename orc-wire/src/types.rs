//! The values the bootstrap wrapper functions exchange, with their SPS
//! encodings. Each type names the LLVM 19 declaration it mirrors.
//!
//! Signatures (`OrcRTBridge.h`, `SimpleRemoteEPCUtils.h`), arguments after
//! the arrow's left side, results after it:
//! - memory manager reserve: `(Addr instance, u64 size) -> Expected<Addr>`
//! - finalize: `(Addr instance, FinalizeRequest) -> Error`
//! - deallocate: `(Addr instance, Sequence<Addr> bases) -> Error`
//! - dylib open: `(Addr instance, String path, u64 mode) -> Expected<Addr>`
//! - dylib lookup: `(Addr instance, Addr handle, Sequence<(String, bool)>)
//!   -> Expected<Sequence<ExecutorSymbolDef>>`
//! - write UIntN: `(Sequence<(Addr, uintN_t)>) -> void`; write buffers:
//!   `(Sequence<(Addr, Sequence<char>)>) -> void`
//! - run as main: `(Addr main, Sequence<String> args) -> int64_t`; void
//!   function: `(Addr) -> int32_t`; int function: `(Addr, int32_t) -> int32_t`
//! - eh-frame (de)register: `(ExecutorAddrRange) -> Error`
//! - GDB JIT register: `(ExecutorAddrRange, bool auto_register) -> Error`

use crate::sps::{Bytes, Decode, Encode, Reader, Writer};
use crate::WireError;

/// `SimpleRemoteEPCExecutorInfo`: the setup message's payload,
/// `SPSTuple<SPSString, uint64_t, SPSSequence<SPSTuple<SPSString,
/// SPSSequence<char>>>, SPSSequence<SPSTuple<SPSString, SPSExecutorAddr>>>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExecutorInfo {
    /// e.g. `x86_64-pc-linux-gnu` (what `llvm-jitlink-executor` 19 sends).
    pub target_triple: String,
    /// The executor's page size.
    pub page_size: u64,
    /// Named byte values (`BootstrapMap`); LLVM 19's executor sends none on
    /// Linux.
    pub bootstrap_map: Vec<(String, Bytes)>,
    /// Named addresses: the instances and wrapper functions.
    pub bootstrap_symbols: Vec<(String, u64)>,
}

impl ExecutorInfo {
    /// The address of a bootstrap symbol.
    pub fn symbol(&self, name: &str) -> Option<u64> {
        self.bootstrap_symbols
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, a)| *a)
    }
}

impl Encode for ExecutorInfo {
    fn encode(&self, w: &mut Writer) {
        w.put(&self.target_triple)
            .put(&self.page_size)
            .put(&self.bootstrap_map)
            .put(&self.bootstrap_symbols);
    }
}

impl Decode for ExecutorInfo {
    const MIN_SIZE: u64 = 32;
    fn decode(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(ExecutorInfo {
            target_triple: r.get()?,
            page_size: r.get()?,
            bootstrap_map: r.get()?,
            bootstrap_symbols: r.get()?,
        })
    }
}

/// `WrapperFunctionCall`: `SPSTuple<SPSExecutorAddr, SPSSequence<char>>`, a
/// function in the executor and its serialized arguments. Address 0 is "no
/// call" (an action pair may leave its dealloc half empty).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WrapperFunctionCall {
    /// The wrapper function's address.
    pub fn_addr: u64,
    /// Its SPS-encoded arguments.
    pub args: Bytes,
}

impl Encode for WrapperFunctionCall {
    fn encode(&self, w: &mut Writer) {
        w.put(&self.fn_addr).put(&self.args);
    }
}

impl Decode for WrapperFunctionCall {
    const MIN_SIZE: u64 = 16;
    fn decode(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(WrapperFunctionCall {
            fn_addr: r.get()?,
            args: r.get()?,
        })
    }
}

/// `AllocActionCallPair` (`AllocationActions.h`): run `finalize` when the
/// memory is finalized, `dealloc` when it is deallocated.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AllocActionCallPair {
    /// Run at finalize, in order.
    pub finalize: WrapperFunctionCall,
    /// Run at deallocation, in reverse order.
    pub dealloc: WrapperFunctionCall,
}

impl Encode for AllocActionCallPair {
    fn encode(&self, w: &mut Writer) {
        w.put(&self.finalize).put(&self.dealloc);
    }
}

impl Decode for AllocActionCallPair {
    const MIN_SIZE: u64 = 32;
    fn decode(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(AllocActionCallPair {
            finalize: r.get()?,
            dealloc: r.get()?,
        })
    }
}

/// `tpctypes::RemoteAllocGroup`, one byte on the wire: read 1, write 2,
/// exec 4, finalize-lifetime 8 (`WireBits` in `TargetProcessControlTypes.h`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RemoteAllocGroup {
    /// Readable.
    pub read: bool,
    /// Writable.
    pub write: bool,
    /// Executable.
    pub exec: bool,
    /// Freed once finalize actions have run (`MemLifetime::Finalize`).
    pub finalize_lifetime: bool,
}

impl RemoteAllocGroup {
    /// The wire byte.
    pub fn bits(&self) -> u8 {
        self.read as u8
            | (self.write as u8) << 1
            | (self.exec as u8) << 2
            | (self.finalize_lifetime as u8) << 3
    }

    /// From the wire byte; higher bits are ignored, as LLVM does.
    pub fn from_bits(b: u8) -> Self {
        RemoteAllocGroup {
            read: b & 1 != 0,
            write: b & 2 != 0,
            exec: b & 4 != 0,
            finalize_lifetime: b & 8 != 0,
        }
    }
}

impl Encode for RemoteAllocGroup {
    fn encode(&self, w: &mut Writer) {
        w.put(&self.bits());
    }
}

impl Decode for RemoteAllocGroup {
    const MIN_SIZE: u64 = 1;
    fn decode(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(RemoteAllocGroup::from_bits(r.get()?))
    }
}

/// `tpctypes::SegFinalizeRequest`: `SPSTuple<SPSRemoteAllocGroup,
/// SPSExecutorAddr, uint64_t, SPSSequence<char>>`. `content` may be shorter
/// than `size`: the rest is zero-filled.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SegFinalizeRequest {
    /// Protection and lifetime.
    pub group: RemoteAllocGroup,
    /// Start address in the executor.
    pub addr: u64,
    /// Size in bytes.
    pub size: u64,
    /// Initial bytes.
    pub content: Bytes,
}

impl Encode for SegFinalizeRequest {
    fn encode(&self, w: &mut Writer) {
        w.put(&self.group)
            .put(&self.addr)
            .put(&self.size)
            .put(&self.content);
    }
}

impl Decode for SegFinalizeRequest {
    const MIN_SIZE: u64 = 25;
    fn decode(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(SegFinalizeRequest {
            group: r.get()?,
            addr: r.get()?,
            size: r.get()?,
            content: r.get()?,
        })
    }
}

/// `tpctypes::FinalizeRequest`: `SPSTuple<SPSSequence<SPSSegFinalizeRequest>,
/// SPSSequence<SPSAllocActionCallPair>>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FinalizeRequest {
    /// Segments to fill and protect.
    pub segments: Vec<SegFinalizeRequest>,
    /// Actions to run after.
    pub actions: Vec<AllocActionCallPair>,
}

impl Encode for FinalizeRequest {
    fn encode(&self, w: &mut Writer) {
        w.put(&self.segments).put(&self.actions);
    }
}

impl Decode for FinalizeRequest {
    const MIN_SIZE: u64 = 16;
    fn decode(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(FinalizeRequest {
            segments: r.get()?,
            actions: r.get()?,
        })
    }
}

/// `ExecutorSymbolDef`: `SPSTuple<SPSExecutorAddr, SPSJITSymbolFlags>`, the
/// flags being `(uint8_t raw, uint8_t target)`. LLVM 19's dylib manager
/// answers every found symbol with `JITSymbolFlags::Exported` (0x10, 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ExecutorSymbolDef {
    /// Address, 0 if not found.
    pub addr: u64,
    /// `JITSymbolFlags` raw bits.
    pub flags: u8,
    /// Target-specific flags.
    pub target_flags: u8,
}

/// `JITSymbolFlags::Exported`.
pub const SYMBOL_FLAG_EXPORTED: u8 = 1 << 4;

impl Encode for ExecutorSymbolDef {
    fn encode(&self, w: &mut Writer) {
        w.put(&self.addr).put(&self.flags).put(&self.target_flags);
    }
}

impl Decode for ExecutorSymbolDef {
    const MIN_SIZE: u64 = 10;
    fn decode(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(ExecutorSymbolDef {
            addr: r.get()?,
            flags: r.get()?,
            target_flags: r.get()?,
        })
    }
}

/// `ExecutorAddrRange`: `SPSTuple<SPSExecutorAddr, SPSExecutorAddr>`,
/// start and end (not size).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AddrRange {
    /// First byte.
    pub start: u64,
    /// One past the last byte.
    pub end: u64,
}

impl Encode for AddrRange {
    fn encode(&self, w: &mut Writer) {
        w.put(&self.start).put(&self.end);
    }
}

impl Decode for AddrRange {
    const MIN_SIZE: u64 = 16;
    fn decode(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(AddrRange {
            start: r.get()?,
            end: r.get()?,
        })
    }
}

/// `RemoteSymbolLookupSetElement`: `SPSTuple<SPSString, bool>`.
pub type LookupElement = (String, bool);

/// Arguments of the dylib manager's lookup wrapper.
pub type LookupArgs = (u64, u64, Vec<LookupElement>);

/// Arguments of the dylib manager's open wrapper: instance, path (empty:
/// the executor process itself), mode.
pub type OpenArgs = (u64, String, u64);

/// Arguments of run-as-main: `main`'s address and `argv` (without a program
/// name: LLVM 19's wrapper passes `argc` = the number of strings).
pub type RunAsMainArgs = (u64, Vec<String>);

/// Arguments of the buffer-write wrapper.
pub type BufferWrites = Vec<(u64, Bytes)>;
