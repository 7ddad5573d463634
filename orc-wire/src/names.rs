//! Bootstrap symbol names: what an LLVM 19 executor lists in its setup
//! message and what an LLVM 19 controller looks up there or with the dylib
//! manager (`OrcRTBridge.cpp`, `SimpleRemoteEPCUtils.cpp`,
//! `JITLoaderGDB.cpp`, `RegisterEHFrames.cpp`; checked against the setup
//! message of Debian's `llvm-jitlink-executor` 19.1.7).

/// `SimpleRemoteEPCDefaultBootstrapSymbolNames::ExecutorSessionObjectName`.
pub const DISPATCH_CTX: &str = "__llvm_orc_SimpleRemoteEPC_dispatch_ctx";
/// `SimpleRemoteEPCDefaultBootstrapSymbolNames::DispatchFnName`.
pub const DISPATCH_FN: &str = "__llvm_orc_SimpleRemoteEPC_dispatch_fn";

/// `rt::SimpleExecutorDylibManagerInstanceName`.
pub const DYLIB_MANAGER_INSTANCE: &str = "__llvm_orc_SimpleExecutorDylibManager_Instance";
/// `rt::SimpleExecutorDylibManagerOpenWrapperName`.
pub const DYLIB_MANAGER_OPEN: &str = "__llvm_orc_SimpleExecutorDylibManager_open_wrapper";
/// `rt::SimpleExecutorDylibManagerLookupWrapperName`.
pub const DYLIB_MANAGER_LOOKUP: &str = "__llvm_orc_SimpleExecutorDylibManager_lookup_wrapper";

/// `rt::SimpleExecutorMemoryManagerInstanceName`.
pub const MEMORY_MANAGER_INSTANCE: &str = "__llvm_orc_SimpleExecutorMemoryManager_Instance";
/// `rt::SimpleExecutorMemoryManagerReserveWrapperName`.
pub const MEMORY_MANAGER_RESERVE: &str = "__llvm_orc_SimpleExecutorMemoryManager_reserve_wrapper";
/// `rt::SimpleExecutorMemoryManagerFinalizeWrapperName`.
pub const MEMORY_MANAGER_FINALIZE: &str = "__llvm_orc_SimpleExecutorMemoryManager_finalize_wrapper";
/// `rt::SimpleExecutorMemoryManagerDeallocateWrapperName`.
pub const MEMORY_MANAGER_DEALLOCATE: &str =
    "__llvm_orc_SimpleExecutorMemoryManager_deallocate_wrapper";

/// `rt::MemoryWriteUInt8sWrapperName`.
pub const WRITE_UINT8S: &str = "__llvm_orc_bootstrap_mem_write_uint8s_wrapper";
/// `rt::MemoryWriteUInt16sWrapperName`.
pub const WRITE_UINT16S: &str = "__llvm_orc_bootstrap_mem_write_uint16s_wrapper";
/// `rt::MemoryWriteUInt32sWrapperName`.
pub const WRITE_UINT32S: &str = "__llvm_orc_bootstrap_mem_write_uint32s_wrapper";
/// `rt::MemoryWriteUInt64sWrapperName`.
pub const WRITE_UINT64S: &str = "__llvm_orc_bootstrap_mem_write_uint64s_wrapper";
/// `rt::MemoryWriteBuffersWrapperName`.
pub const WRITE_BUFFERS: &str = "__llvm_orc_bootstrap_mem_write_buffers_wrapper";

/// `rt::RegisterEHFrameSectionWrapperName`.
pub const REGISTER_EH_FRAME: &str = "llvm_orc_registerEHFrameSectionWrapper";
/// `rt::DeregisterEHFrameSectionWrapperName`.
pub const DEREGISTER_EH_FRAME: &str = "llvm_orc_deregisterEHFrameSectionWrapper";

/// `rt::RunAsMainWrapperName`.
pub const RUN_AS_MAIN: &str = "__llvm_orc_bootstrap_run_as_main_wrapper";
/// `rt::RunAsVoidFunctionWrapperName`.
pub const RUN_AS_VOID_FUNCTION: &str = "__llvm_orc_bootstrap_run_as_void_function_wrapper";
/// `rt::RunAsIntFunctionWrapperName`.
pub const RUN_AS_INT_FUNCTION: &str = "__llvm_orc_bootstrap_run_as_int_function_wrapper";

/// `JITLoaderGDB.cpp`: registers a debug object as a wrapper call (what
/// llvm-jitlink 19 calls after finalizing the object's memory). Found by a
/// dylib-manager lookup in the executor process, not in the setup message.
pub const REGISTER_JIT_LOADER_GDB_WRAPPER: &str = "llvm_orc_registerJITLoaderGDBWrapper";
/// `JITLoaderGDB.cpp`: the same registration as an allocation action.
pub const REGISTER_JIT_LOADER_GDB_ALLOC_ACTION: &str = "llvm_orc_registerJITLoaderGDBAllocAction";

/// lantern-executor's own bootstrap symbol (not LLVM's): its presence tells
/// a controller that JIT'd memory stays mapped until the executor has run
/// its exit handlers (LLVM's executor frees it first), so finalizers and
/// `atexit` handlers may live in JIT'd code.
pub const LANTERN_EXECUTOR: &str = "__lantern_executor";

/// lantern-executor's wrapper registering a unit's crash-report symbol
/// table (`lantern-crash-report`'s encoding): SPS `(u64 key, bytes)` ->
/// `Error`. Its crash handler, installed at the first registration, prints
/// the report from these tables. Not an LLVM name.
pub const LANTERN_REGISTER_SYMBOL_TABLE: &str = "__lantern_executor_register_symbol_table";
/// Drops the table registered under a key: SPS `(u64 key)` -> `Error`.
pub const LANTERN_DEREGISTER_SYMBOL_TABLE: &str = "__lantern_executor_deregister_symbol_table";
/// lantern-executor's wrapper loading a unit's TLS image: SPS `(bytes
/// object, bool static_tls)` -> `Expected<(u64 module_id, u64 handle, bool
/// has_tp_offset, i64 tp_offset)>`. The object is the minimal shared object
/// with a PT_TLS segment that the in-process executor `dlopen`s
/// (core/src/executor/tls_image.rs); the executor `dlopen`s it from a memfd,
/// so its thread library gives every thread its copy. Not an LLVM name.
pub const LANTERN_LOAD_TLS_IMAGE: &str = "__lantern_executor_load_tls_image";
/// Closes a TLS image by the handle [`LANTERN_LOAD_TLS_IMAGE`] returned:
/// SPS `(u64 handle)` -> `Error`.
pub const LANTERN_RELEASE_TLS_IMAGE: &str = "__lantern_executor_release_tls_image";
/// lantern-executor's lookup of symbols with what LLVM's lookup does not
/// say: SPS `(u64 dylib instance, u64 handle, sequence<string> names)` ->
/// `Expected<sequence<(u64 addr, bool is_function, u64 size, (bool is_tls,
/// u64 module_id, u64 offset, (bool static, i64 tp_offset)))>>`, one entry a
/// name in order, `addr` 0 when not found. For a thread-local variable of a
/// library, where its block is (module id, offset; its offset from the
/// thread pointer when the block is in static TLS). One call for all the
/// names a link resolves in the executor: a round trip each cost a link of
/// a 20-object C program 0.6 ms. Not an LLVM name.
pub const LANTERN_LOOKUP_SYMBOLS: &str = "__lantern_executor_lookup_symbols";

/// lantern-executor's GDB JIT registration wrapper under a bootstrap name
/// (the same function as [`REGISTER_JIT_LOADER_GDB_WRAPPER`], which it
/// answers by lookup, as LLVM's executor does): a controller finds it in the
/// setup message instead of a lookup round trip. Not an LLVM name.
pub const LANTERN_REGISTER_JIT_LOADER_GDB: &str = "__lantern_executor_register_jit_loader_gdb";

/// Not a function: the dylib manager's handle of the executor process itself
/// (what opening `""` answers), opened before the setup message, so that a
/// controller needs no open round trip for it. Not an LLVM name.
pub const LANTERN_PROCESS_HANDLE: &str = "__lantern_executor_process_handle";
/// lantern-executor's shared-memory reservation (ORC's
/// `ExecutorSharedMemoryMapperService` reserve, for a controller on the
/// same host): SPS `(u64 memory manager instance, u64 size)` ->
/// `Expected<(u64 addr, u64 pid, u64 fd, string name)>`. The executor
/// creates a memfd named `name` (size sealed), maps it without access at
/// `addr`, and keeps descriptor `fd` open until the allocation is finalized
/// or deallocated, so that the controller can open `/proc/PID/fd/FD`, check
/// the name and size, and write the segments through a view of its own.
/// The memory manager's finalize then takes the segments without content
/// and maps them with their protections; its deallocate releases the
/// memory. Not an LLVM name: an executor without it gets the bytes in the
/// finalize message.
pub const LANTERN_SHM_RESERVE: &str = "__lantern_executor_shm_reserve";
/// Registers a unit's crash-report symbol table (as
/// [`LANTERN_REGISTER_SYMBOL_TABLE`]) read from executor memory: SPS
/// `(u64 key, ExecutorAddrRange table)` -> `Error`. The range must be
/// readable JIT memory; when it starts a reservation of its own, the
/// executor releases that reservation once the table is decoded. A
/// controller that shares memory with the executor writes the table there
/// instead of sending it in the finalize message. Not an LLVM name.
pub const LANTERN_REGISTER_SYMBOL_TABLE_FROM: &str =
    "__lantern_executor_register_symbol_table_from";
/// Registers a unit's partial symbol table (code ranges and symbol names,
/// no DWARF yet) as [`LANTERN_REGISTER_SYMBOL_TABLE`] does: SPS `(u64 key,
/// bytes)` -> `Error`. The whole table follows with
/// [`LANTERN_COMPLETE_SYMBOL_TABLE`] (the controller builds it in the
/// background while the program runs); a crash report meanwhile waits a
/// bounded time for it, then names functions only. Not an LLVM name.
pub const LANTERN_REGISTER_PARTIAL_SYMBOL_TABLE: &str =
    "__lantern_executor_register_partial_symbol_table";
/// Replaces the partial table registered under a key by the whole one: SPS
/// `(u64 key, bytes)` -> `Error`. A key no longer registered (the unit was
/// removed meanwhile) is left alone. Not an LLVM name.
pub const LANTERN_COMPLETE_SYMBOL_TABLE: &str = "__lantern_executor_complete_symbol_table";
/// [`LANTERN_COMPLETE_SYMBOL_TABLE`] with the table read from executor
/// memory, as [`LANTERN_REGISTER_SYMBOL_TABLE_FROM`]: SPS `(u64 key,
/// ExecutorAddrRange table)` -> `Error`. Not an LLVM name.
pub const LANTERN_COMPLETE_SYMBOL_TABLE_FROM: &str =
    "__lantern_executor_complete_symbol_table_from";
/// Opens a slot for a unit's debug object before the object exists: SPS
/// `(u64 key)` -> `Error`. A finalize action of the unit, whose dealloc
/// action is [`LANTERN_DEREGISTER_DEBUG_OBJECT`]: the controller builds the
/// object after the link (on its background worker while the program
/// runs) and fills the slot with [`LANTERN_REGISTER_DEBUG_OBJECT`]. Not an
/// LLVM name (LLVM 19 never unregisters a debug object).
pub const LANTERN_RESERVE_DEBUG_OBJECT: &str = "__lantern_executor_reserve_debug_object";
/// Registers the debug object at a range with gdb and lldb under a key
/// reserved by [`LANTERN_RESERVE_DEBUG_OBJECT`]: SPS `(u64 key,
/// ExecutorAddrRange object)` -> `Error`. The range must start a
/// reservation of its own (the controller's allocation for the object),
/// which the executor then owns: it is released, and the object
/// unregistered, when the key is deregistered; at once when the key is no
/// longer reserved (the unit was removed before its object came). Not an
/// LLVM name.
pub const LANTERN_REGISTER_DEBUG_OBJECT: &str = "__lantern_executor_register_debug_object";
/// Closes a key's slot: unregisters its debug object from gdb and lldb and
/// releases the object's memory (nothing more when the object has not
/// come): SPS `(u64 key)` -> `Error`. The unit's dealloc action. Not an
/// LLVM name.
pub const LANTERN_DEREGISTER_DEBUG_OBJECT: &str = "__lantern_executor_deregister_debug_object";
