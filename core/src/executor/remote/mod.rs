//! An executor in another process, driven over LLVM 19's SimpleRemoteEPC
//! protocol (crate `lantern-orc-wire`): `lantern-executor`, LLVM's
//! `llvm-jitlink-executor`, or any executor speaking it.
//!
//! What crosses the wire: symbol lookups (the dylib manager), reserve /
//! finalize / deallocate (the memory manager; segment bytes travel in the
//! finalize message, or not at all with shared memory: [`SharedMemory`]),
//! library loading, and running code (run-as-main,
//! run-as-void-function), eh-frame registration ([`RemoteEhFrameRegistration`],
//! as an allocation action calling the executor's wrapper). What does not
//! (yet): reading executor memory (copy relocations), TLS images, making the
//! stack executable, and allocation actions of in-process plugins
//! (debug-object registration calls functions of the controller's process):
//! they fail with an error naming what is missing. docs/out-of-process.md.

mod connection;
mod eh_frame;
mod memory;
mod shared_memory;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use lantern_orc_wire::names;
use lantern_orc_wire::sps::{from_bytes, to_bytes, Decode, SpsError, SpsExpected};
use lantern_orc_wire::types::ExecutorSymbolDef;

pub use connection::{Auth, CALL_TIMEOUT};
pub use eh_frame::RemoteEhFrameRegistration;
pub use memory::RemoteMemoryManager;

use super::{ExecutorControl, HostSymbol, TlsImage, TlsModule};
use crate::error::{Error, Result};
use crate::executor_types::{ExecutorAddr, Initializers};
use crate::executor_types::{MemLifetime, MemProt};
use crate::memory::{AllocRequest, MemoryManager, Placement, SegmentRequest, WrapperCall};

/// State shared by the executor and its memory manager.
pub(crate) struct RemoteShared {
    conn: connection::Connection,
    /// The handle of the executor process itself (dylib manager, path "").
    process: u64,
    /// Addresses known to be functions of the executor process: bootstrap
    /// wrappers and symbols looked up there.
    functions: Mutex<HashSet<u64>>,
    /// Whether allocations go through shared memory.
    shm: Mutex<SharedMemory>,
    /// The executor's pid in this process's namespace, once a shared-memory
    /// allocation proved it (`/proc/PID/fd` held the executor's memfd).
    shm_pid: Mutex<Option<u64>>,
}

/// Shared memory between the controller and the executor
/// ([`RemoteExecutor::shared_memory`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SharedMemory {
    /// The executor has no `__lantern_executor_shm_reserve` (LLVM's, or
    /// another): segment bytes travel in the finalize message.
    NotOffered,
    /// Turned off ([`RemoteExecutor::set_shared_memory`]).
    Off,
    /// On: the next allocation tries it.
    On {
        /// Allocations made in shared memory so far.
        allocations: u64,
    },
    /// Tried and declined for the rest of the session, with the reason
    /// (the executor is on another host, `/proc/PID/fd` cannot be opened,
    /// the memfd could not be created...).
    Declined(String),
}

impl std::fmt::Display for SharedMemory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SharedMemory::NotOffered => write!(f, "not offered by the executor"),
            SharedMemory::Off => write!(f, "off"),
            SharedMemory::On { allocations } => write!(f, "on ({allocations} allocations)"),
            SharedMemory::Declined(why) => write!(f, "declined: {why}"),
        }
    }
}

impl RemoteShared {
    /// The shared-memory reserve wrapper, while shared memory is on.
    fn shm_tag(&self) -> Option<u64> {
        match *self.shm.lock().unwrap_or_else(|e| e.into_inner()) {
            SharedMemory::On { .. } => self.conn.info.symbol(names::LANTERN_SHM_RESERVE),
            _ => None,
        }
    }

    fn decline_shm(&self, why: String) {
        log::info!(
            "executor {}: shared memory declined, segment bytes go in the finalize message: {why}",
            self.conn.name
        );
        *self.shm.lock().unwrap_or_else(|e| e.into_inner()) = SharedMemory::Declined(why);
    }

    fn count_shm(&self) {
        if let SharedMemory::On { allocations } =
            &mut *self.shm.lock().unwrap_or_else(|e| e.into_inner())
        {
            *allocations += 1;
        }
    }

    fn is_executor_function(&self, addr: u64) -> bool {
        self.functions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(&addr)
    }
}

/// An executor process spawned by [`RemoteExecutor::start`], not yet ready.
pub struct StartingExecutor(connection::Starting);

impl StartingExecutor {
    /// Waits for the executor's setup message (up to the call timeout).
    pub fn finish(self) -> Result<RemoteExecutor> {
        RemoteExecutor::new(self.0.establish()?)
    }
}

/// An [`ExecutorControl`] over a byte stream to an executor process.
pub struct RemoteExecutor {
    shared: Arc<RemoteShared>,
    memory: RemoteMemoryManager,
}

impl RemoteExecutor {
    /// Starts `program filedescs=N,N` on a socketpair.
    pub fn spawn(program: &str, auth: Auth) -> Result<RemoteExecutor> {
        RemoteExecutor::start(program, auth)?.finish()
    }

    /// Starts `program filedescs=N,N` on a socketpair and returns at once:
    /// [`StartingExecutor::finish`] waits for its setup message. A caller
    /// with work that needs no executor (parsing objects) does it between
    /// the two, while the executor starts on another core.
    pub fn start(program: &str, auth: Auth) -> Result<StartingExecutor> {
        Ok(StartingExecutor(connection::Connection::start(
            program, auth,
        )?))
    }

    /// Connects to an executor listening on `addr` (`HOST:PORT`).
    pub fn connect(addr: &str, secret: Option<&str>) -> Result<RemoteExecutor> {
        RemoteExecutor::new(connection::Connection::connect(addr, secret)?)
    }

    fn new(conn: connection::Connection) -> Result<RemoteExecutor> {
        let functions: HashSet<u64> = conn
            .info
            .bootstrap_symbols
            .iter()
            .filter(|(name, _)| name != names::LANTERN_PROCESS_HANDLE)
            .map(|(_, a)| *a)
            .collect();
        // lantern-executor opened it before its setup message.
        let process = match conn.info.symbol(names::LANTERN_PROCESS_HANDLE) {
            Some(handle) => handle,
            None => open_dylib(&conn, "")?,
        };
        let shm = if conn.info.symbol(names::LANTERN_SHM_RESERVE).is_some() {
            SharedMemory::On { allocations: 0 }
        } else {
            SharedMemory::NotOffered
        };
        let shared = Arc::new(RemoteShared {
            conn,
            process,
            functions: Mutex::new(functions),
            shm: Mutex::new(shm),
            shm_pid: Mutex::new(None),
        });
        Ok(RemoteExecutor {
            memory: RemoteMemoryManager {
                shared: Arc::clone(&shared),
            },
            shared,
        })
    }

    /// Turns shared memory on (the default, when the executor offers it) or
    /// off for the allocations that follow. Turning it on again after it
    /// was declined retries it.
    pub fn set_shared_memory(&self, on: bool) {
        let offered = self
            .shared
            .conn
            .info
            .symbol(names::LANTERN_SHM_RESERVE)
            .is_some();
        *self.shared.shm.lock().unwrap_or_else(|e| e.into_inner()) = match (on, offered) {
            (_, false) => SharedMemory::NotOffered,
            (false, true) => SharedMemory::Off,
            (true, true) => SharedMemory::On { allocations: 0 },
        };
    }

    /// Whether allocations go through shared memory, and how many did.
    pub fn shared_memory(&self) -> SharedMemory {
        self.shared
            .shm
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The process id of a spawned executor (for debuggers and tests).
    pub fn pid(&self) -> Option<u32> {
        self.shared.conn.pid()
    }

    /// How a spawned executor ended, if it has: after an error, tells a
    /// program's `exit(N)` or fatal signal from a broken connection.
    pub fn exit_status(&self) -> Option<std::process::ExitStatus> {
        self.shared.conn.wait_exit()
    }

    /// The address of the bootstrap symbol `name` the executor's setup
    /// message lists, if it does (lantern-executor's own wrappers, such as
    /// its symbol-table registration, are found this way).
    pub fn bootstrap_symbol(&self, name: &str) -> Option<u64> {
        self.shared.conn.info.symbol(name)
    }

    /// The executor's target triple, as its setup message says.
    pub fn target_triple(&self) -> &str {
        &self.shared.conn.info.target_triple
    }

    /// Whether the connection has ended (hung up or failed): work still
    /// queued for the executor then has no one to go to.
    pub fn is_closed(&self) -> bool {
        self.shared.conn.is_closed()
    }

    /// The executor's pid, when this process can see it: a spawned
    /// executor, or one whose memfd a shared-memory allocation opened.
    fn visible_pid(&self) -> Option<u64> {
        self.shared.conn.pid().map(u64::from).or_else(|| {
            *self
                .shared
                .shm_pid
                .lock()
                .unwrap_or_else(|e| e.into_inner())
        })
    }

    /// Ends the session: the executor exits (flushing the program's output)
    /// before this returns.
    pub fn hang_up(&self) {
        self.shared.conn.hang_up();
    }

    /// Code in the executor that passes each finalizer to
    /// `__cxa_atexit(f, NULL, NULL)`, last to run first (handlers run in
    /// reverse order of registration). The protocol can only run functions
    /// without pointer arguments, so the calls are generated:
    /// `sub rsp, 8; { mov rdi, f; xor esi, esi; xor edx, edx;
    /// mov rax, __cxa_atexit; call rax }*; add rsp, 8; ret`.
    fn finalizer_stub(&self, fini: &[ExecutorAddr]) -> Result<ExecutorAddr> {
        let cxa_atexit = self
            .lookup("__cxa_atexit")
            .ok_or_else(|| {
                Error::Other(format!(
                    "executor {}: no __cxa_atexit for the finalizers",
                    self.shared.conn.name
                ))
            })?
            .addr
            .0;
        let mut code = vec![0x48, 0x83, 0xec, 0x08];
        for f in fini.iter().rev() {
            code.extend([0x48, 0xbf]);
            code.extend(f.0.to_le_bytes());
            code.extend([0x31, 0xf6, 0x31, 0xd2, 0x48, 0xb8]);
            code.extend(cxa_atexit.to_le_bytes());
            code.extend([0xff, 0xd0]);
        }
        code.extend([0x48, 0x83, 0xc4, 0x08, 0xc3]);
        self.place_code(&code)
    }

    /// Symbols of the executor process, through the dylib manager: one
    /// call for all of `names`, an answer each in order. A failed call is
    /// logged and finds nothing (the link then names the symbols undefined).
    fn remote_lookup_symbols(&self, names: &[&str]) -> Vec<Option<HostSymbol>> {
        if names.is_empty() {
            return Vec::new();
        }
        let conn = &self.shared.conn;
        let what = match names {
            [name] => format!("looking up {name}"),
            [first, ..] => format!("looking up {first} and {} more symbols", names.len() - 1),
            [] => unreachable!("checked above"),
        };
        let found = if let Some(tag) = conn.info.symbol(names::LANTERN_LOOKUP_SYMBOLS) {
            self.lantern_lookup_symbols(tag, names, &what)
        } else {
            self.llvm_lookup_symbols(names, &what)
        };
        let mut found = match found {
            Ok(found) if found.len() == names.len() => found,
            Ok(found) => {
                log::error!(
                    "executor {}: {what}: {} answers for {} names",
                    conn.name,
                    found.len(),
                    names.len()
                );
                return vec![None; names.len()];
            }
            Err(e) => {
                log::error!("{e}");
                return vec![None; names.len()];
            }
        };
        let mut functions = self
            .shared
            .functions
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        for symbol in found.iter_mut() {
            if symbol.is_some_and(|s| s.addr.0 == 0) {
                *symbol = None;
            }
            if let Some(symbol) = symbol {
                functions.insert(symbol.addr.0);
            }
        }
        found
    }

    /// LLVM's dylib-manager lookup: addresses only.
    fn llvm_lookup_symbols(&self, names: &[&str], what: &str) -> Result<Vec<Option<HostSymbol>>> {
        let conn = &self.shared.conn;
        let dm = conn.symbol(names::DYLIB_MANAGER_INSTANCE)?;
        let tag = conn.symbol(names::DYLIB_MANAGER_LOOKUP)?;
        let set: Vec<(String, bool)> = names.iter().map(|n| (n.to_string(), false)).collect();
        let defs: Vec<ExecutorSymbolDef> =
            call_expected(conn, tag, to_bytes(&(dm, self.shared.process, set)), what)?;
        // The protocol says neither kind nor size: unknown size keeps copy
        // relocations (which would read executor memory) out of the way.
        Ok(defs
            .into_iter()
            .map(|def| {
                Some(HostSymbol {
                    addr: ExecutorAddr(def.addr),
                    is_function: false,
                    size: 0,
                    tls: None,
                })
            })
            .collect())
    }

    /// Copies `code` into new executable memory of the executor; it stays
    /// for the rest of the session.
    fn place_code(&self, code: &[u8]) -> Result<ExecutorAddr> {
        let request = AllocRequest {
            segments: vec![SegmentRequest {
                prot: MemProt::ReadExec,
                lifetime: MemLifetime::Standard,
                size: code.len() as u64,
                align: 16,
            }],
            placement: Placement::Anywhere,
        };
        let mut alloc = self.memory.allocate(&request)?;
        alloc.working_memory(0).copy_from_slice(code);
        let addr = alloc.segment_addr(0);
        std::mem::forget(alloc.finalize(Vec::new())?);
        Ok(addr)
    }

    /// Runs `int f(int)` in the executor (LLVM's run-as-int-function) and
    /// returns its result: what a runtime calling one JIT'd function at a
    /// time does (`lantern churn` out of process).
    pub fn run_int_function(&self, f: ExecutorAddr, arg: i32) -> Result<i32> {
        let tag = self.shared.conn.symbol(names::RUN_AS_INT_FUNCTION)?;
        let what = format!("running the function at {f}");
        let result = self
            .shared
            .conn
            .call(tag, to_bytes(&(f.0, arg)), &what, true)?;
        from_bytes(&result).map_err(|e| {
            Error::Other(format!(
                "executor {}: {what}: malformed result: {e}",
                self.shared.conn.name
            ))
        })
    }

    fn run_void(&self, f: ExecutorAddr, what: &str) -> Result<()> {
        let tag = self.shared.conn.symbol(names::RUN_AS_VOID_FUNCTION)?;
        self.shared.conn.call(tag, to_bytes(&f.0), what, true)?;
        Ok(())
    }
}

fn open_dylib(conn: &connection::Connection, path: &str) -> Result<u64> {
    let dm = conn.symbol(names::DYLIB_MANAGER_INSTANCE)?;
    let tag = conn.symbol(names::DYLIB_MANAGER_OPEN)?;
    let what = if path.is_empty() {
        "opening the executor process for lookups".to_string()
    } else {
        format!("loading {path}")
    };
    call_expected(conn, tag, to_bytes(&(dm, path.to_string(), 0u64)), &what)
}

/// Calls a wrapper that answers SPS `Expected<T>` (outside `main`): its
/// error, or an undecodable answer, is an error naming `what`.
fn call_expected<T: Decode>(
    conn: &connection::Connection,
    tag: u64,
    args: Vec<u8>,
    what: &str,
) -> Result<T> {
    let result = conn.call(tag, args, what, false)?;
    match from_bytes::<SpsExpected<T>>(&result) {
        Ok(SpsExpected(Ok(value))) => Ok(value),
        Ok(SpsExpected(Err(e))) => {
            Err(Error::Other(format!("executor {}: {what}: {e}", conn.name)))
        }
        Err(e) => Err(Error::Other(format!(
            "executor {}: {what}: malformed result: {e}",
            conn.name
        ))),
    }
}

impl RemoteExecutor {
    /// lantern-executor's lookup (`names::LANTERN_LOOKUP_SYMBOLS`): one
    /// call, which also says each symbol's kind and where a library's
    /// thread-local variable lives, as the in-process lookup does.
    fn lantern_lookup_symbols(
        &self,
        tag: u64,
        names: &[&str],
        what: &str,
    ) -> Result<Vec<Option<HostSymbol>>> {
        let conn = &self.shared.conn;
        let dm = conn.symbol(names::DYLIB_MANAGER_INSTANCE)?;
        let list: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        type Found = (u64, bool, u64, (bool, u64, u64, (bool, i64)));
        let found: Vec<Found> =
            call_expected(conn, tag, to_bytes(&(dm, self.shared.process, list)), what)?;
        Ok(found
            .into_iter()
            .map(
                |(
                    addr,
                    is_function,
                    _size,
                    (is_tls, module_id, offset, (is_static, tp_offset)),
                )| {
                    Some(HostSymbol {
                        addr: ExecutorAddr(addr),
                        is_function,
                        // No size: copy relocations would read executor
                        // memory, which the protocol cannot.
                        size: 0,
                        tls: is_tls.then_some(crate::graph::HostTls {
                            module_id,
                            offset,
                            tp_offset: is_static.then_some(tp_offset),
                        }),
                    })
                },
            )
            .collect())
    }
}

impl ExecutorControl for RemoteExecutor {
    fn lookup(&self, name: &str) -> Option<HostSymbol> {
        self.remote_lookup_symbols(&[name]).pop().flatten()
    }

    fn lookup_symbols(&self, names: &[&str]) -> Vec<Option<HostSymbol>> {
        self.remote_lookup_symbols(names)
    }

    /// Read from the executor's `/proc/PID/status` when its pid is visible
    /// here; an executor on another host (or in another pid namespace) may
    /// have a debugger at any time, so the answer is then yes.
    fn debugger_attached(&self) -> bool {
        match self.visible_pid() {
            Some(pid) => crate::link::background::process_traced(&pid.to_string()).unwrap_or(true),
            None => true,
        }
    }

    fn memory_manager(&self) -> &dyn MemoryManager {
        &self.memory
    }

    fn read_memory(&self, addr: ExecutorAddr, len: u64) -> Result<Vec<u8>> {
        Err(Error::Other(format!(
            "executor {}: reading {len} bytes at {addr}: LLVM 19's protocol has no memory read",
            self.shared.conn.name
        )))
    }

    /// lantern-executor's TLS wrapper: the image, built here as the
    /// in-process executor builds it (a minimal shared object with a PT_TLS
    /// segment), is `dlopen`ed in the executor, which answers with the module
    /// id and, for a static image, the block's offset from the thread
    /// pointer. LLVM's executor has no such wrapper (ORC serves ELF TLS
    /// through its runtime, which llvm-jitlink-executor does not load).
    fn load_tls_image(&self, image: &TlsImage<'_>, static_tls: bool) -> Result<TlsModule> {
        let conn = &self.shared.conn;
        let (Some(load), Some(release)) = (
            conn.info.symbol(names::LANTERN_LOAD_TLS_IMAGE),
            conn.info.symbol(names::LANTERN_RELEASE_TLS_IMAGE),
        ) else {
            return Err(Error::Other(format!(
                "executor {}: thread-local storage out of process needs lantern-executor \
                 (this executor has no {})",
                conn.name,
                names::LANTERN_LOAD_TLS_IMAGE
            )));
        };
        // glibc refuses static TLS to a dlopen'ed module aligned more strictly
        // than the static TLS block itself (the TCB's 64 bytes on x86-64).
        const STATIC_TLS_ALIGN: u64 = 64;
        if static_tls && image.align > STATIC_TLS_ALIGN {
            return Err(Error::StaticTlsOverAligned {
                align: image.align,
                limit: STATIC_TLS_ALIGN,
            });
        }
        let object = super::tls_image::build(image, static_tls);
        let what = format!("loading a TLS image of {} bytes", image.mem_size);
        let result = conn.call(
            load,
            to_bytes(&(lantern_orc_wire::sps::Bytes(object), static_tls)),
            &what,
            false,
        )?;
        let (module_id, handle, has_offset, tp_offset) =
            match from_bytes::<SpsExpected<(u64, u64, bool, i64)>>(&result) {
                Ok(SpsExpected(Ok(v))) => v,
                Ok(SpsExpected(Err(e))) if static_tls && e.contains("static TLS") => {
                    return Err(Error::StaticTlsExhausted {
                        size: image.mem_size,
                        reason: format!("in executor {}: {e}", conn.name),
                    })
                }
                Ok(SpsExpected(Err(e))) => {
                    return Err(Error::Other(format!("executor {}: {what}: {e}", conn.name)))
                }
                Err(e) => {
                    return Err(Error::Other(format!(
                        "executor {}: {what}: malformed result: {e}",
                        conn.name
                    )))
                }
            };
        Ok(TlsModule {
            module_id,
            tp_offset: has_offset.then_some(tp_offset),
            release: WrapperCall {
                function: ExecutorAddr(release),
                arg: to_bytes(&handle).into(),
            },
        })
    }

    fn unload_tls_image(&self, module: &TlsModule) {
        let _ = self.run_wrapper(&module.release);
    }

    fn load_library(&self, path: &str) -> Result<()> {
        open_dylib(&self.shared.conn, path).map(|_| ())
    }

    fn make_stack_executable(&self) -> Result<()> {
        Err(Error::Other(format!(
            "executor {}: making the stack executable is not supported out of process",
            self.shared.conn.name
        )))
    }

    /// Through the executor's `uint64s` memory-write wrapper (ORC's
    /// `writeUInt64s`); lantern-executor stores each aligned value with one
    /// atomic write.
    fn write_u64s(&self, writes: &[(ExecutorAddr, u64)]) -> Result<()> {
        let tag = self.shared.conn.symbol(names::WRITE_UINT64S)?;
        let writes: Vec<(u64, u64)> = writes.iter().map(|(a, v)| (a.0, *v)).collect();
        let what = format!("writing {} pointer slots", writes.len());
        self.shared
            .conn
            .call(tag, to_bytes(&writes), &what, false)?;
        Ok(())
    }

    fn run_wrapper(&self, call: &WrapperCall) -> Result<()> {
        let remote = self.shared.remote_call(call)?;
        let what = format!("calling the wrapper at {}", call.function);
        let result = self
            .shared
            .conn
            .call(remote.fn_addr, remote.args.0, &what, true)?;
        match from_bytes::<SpsError>(&result) {
            Ok(SpsError(None)) => Ok(()),
            Ok(SpsError(Some(e))) => Err(Error::Other(format!(
                "executor {}: {what}: {e}",
                self.shared.conn.name
            ))),
            Err(e) => Err(Error::Other(format!(
                "executor {}: {what}: malformed result: {e}",
                self.shared.conn.name
            ))),
        }
    }

    /// Registers the finalizers with the executor's `__cxa_atexit` (so they
    /// run at its exit after the atexit handlers registered later, as
    /// `_dl_fini` does; with an executor that unmaps JIT'd code first, runs
    /// them after `main` instead), runs the initializers with run-as-void-function
    /// (without `argc`, `argv`, `envp`: the protocol passes none), then
    /// `main` with run-as-main (`argv` as given, `argv[0]` included).
    fn run_main(
        &self,
        entry: ExecutorAddr,
        initializers: &Initializers,
        args: &[String],
    ) -> Result<i32> {
        let keeps_memory = self
            .shared
            .conn
            .info
            .symbol(names::LANTERN_EXECUTOR)
            .is_some();
        if keeps_memory && !initializers.fini.is_empty() {
            let stub = self.finalizer_stub(&initializers.fini)?;
            self.run_void(stub, "registering the finalizers")?;
        }
        for &f in initializers.preinit.iter().chain(&initializers.init) {
            self.run_void(f, &format!("running the initializer at {f}"))?;
        }
        let tag = self.shared.conn.symbol(names::RUN_AS_MAIN)?;
        let result = self.shared.conn.call(
            tag,
            to_bytes(&(entry.0, args.to_vec())),
            "running main",
            true,
        )?;
        let status: i64 = from_bytes(&result).map_err(|e| {
            Error::Other(format!(
                "executor {}: running main: malformed result: {e}",
                self.shared.conn.name
            ))
        })?;
        // An executor that unmaps JIT'd code before its exit handlers run
        // (LLVM's) gets the finalizers now, after `main`: before the atexit
        // handlers instead of after, but not into unmapped code.
        if !keeps_memory {
            for &f in &initializers.fini {
                self.run_void(f, &format!("running the finalizer at {f}"))?;
            }
        }
        Ok(status as i32)
    }
}
