//! One controller session: the setup message, then each `CallWrapper`
//! dispatched to the wrapper function its tag names, answered with a
//! `Result` of the same sequence number, until `Hangup` or end of stream.
//!
//! Calls are served one at a time on this thread, in arrival order. The
//! bootstrap symbols are the addresses of the handlers themselves (and of
//! marker statics for the instances), so they are real, distinct addresses
//! in this process; a tag that is none of them is called only if it lies in
//! finalized executable JIT memory (a wrapper function in JIT'd code).

use std::collections::{HashMap, HashSet};
use std::ffi::CString;
use std::io::{Read, Write};
use std::sync::{mpsc, Arc, Mutex};

use lantern_orc_wire::message::{Message, Opcode, DEFAULT_SIZE_LIMIT};
use lantern_orc_wire::names;
use lantern_orc_wire::sps::{from_bytes, to_bytes, Bytes, SpsError, SpsExpected};
use lantern_orc_wire::types::*;

use crate::eh_frame;
use crate::gdb_jit::GdbJit;
use crate::memory::{Access, Memory};
use crate::wrapper;

/// An error that ends the session: the connection closes, the executor
/// exits with status 1 after printing it.
pub type Fatal = String;

type Handler = fn(&mut Session, &[u8]) -> Result<Vec<u8>, Fatal>;

/// JIT'd code to run outside the session lock, on the main thread; its
/// result is the reply.
pub type Job = Box<dyn FnOnce() -> Vec<u8> + Send>;

/// A wrapper that runs JIT'd code: it checks its arguments under the
/// session lock and returns the run as a [`Job`].
type RunHandler = fn(&mut Session, &[u8]) -> Result<Job, Fatal>;

fn run_table() -> Vec<(&'static str, RunHandler)> {
    vec![
        (names::RUN_AS_MAIN, Session::run_as_main),
        (names::RUN_AS_VOID_FUNCTION, Session::run_as_void_function),
        (names::RUN_AS_INT_FUNCTION, Session::run_as_int_function),
    ]
}

static MEMORY_MANAGER_INSTANCE: u8 = 1;
static DYLIB_MANAGER_INSTANCE: u8 = 2;
static DISPATCH_CTX: u8 = 3;
static LANTERN_EXECUTOR: u8 = 4;

/// The executor's state for one controller.
pub struct Session {
    memory: Memory,
    gdb: GdbJit,
    /// Registered eh-frame sections (start addresses).
    eh_frames: HashSet<u64>,
    /// Handles returned by the dylib manager's open.
    dylibs: HashSet<u64>,
    /// Addresses returned by lookups: functions the controller may run.
    looked_up: HashSet<u64>,
    handlers: HashMap<u64, Handler>,
    runners: HashMap<u64, RunHandler>,
    page_size: u64,
    /// `LANTERN_EXECUTOR_TRACE=1`: each call and its result on stderr.
    trace: bool,
}

fn handler_table() -> Vec<(&'static str, Handler)> {
    vec![
        (names::MEMORY_MANAGER_RESERVE, Session::reserve),
        (names::MEMORY_MANAGER_FINALIZE, Session::finalize),
        (names::MEMORY_MANAGER_DEALLOCATE, Session::deallocate),
        (names::DYLIB_MANAGER_OPEN, Session::dylib_open),
        (names::DYLIB_MANAGER_LOOKUP, Session::dylib_lookup),
        (names::WRITE_UINT8S, Session::write_u8s),
        (names::WRITE_UINT16S, Session::write_u16s),
        (names::WRITE_UINT32S, Session::write_u32s),
        (names::WRITE_UINT64S, Session::write_u64s),
        (names::WRITE_BUFFERS, Session::write_buffers),
        (names::REGISTER_EH_FRAME, Session::register_eh_frame),
        (names::DEREGISTER_EH_FRAME, Session::deregister_eh_frame),
        (
            names::REGISTER_JIT_LOADER_GDB_WRAPPER,
            Session::register_gdb,
        ),
        (
            names::REGISTER_JIT_LOADER_GDB_ALLOC_ACTION,
            Session::register_gdb,
        ),
    ]
}

/// Names that the dylib manager's lookup answers with the executor's own
/// wrappers (llvm-jitlink finds the GDB and eh-frame registration this way).
const LOOKUP_BUILTINS: [&str; 4] = [
    names::REGISTER_JIT_LOADER_GDB_WRAPPER,
    names::REGISTER_JIT_LOADER_GDB_ALLOC_ACTION,
    names::REGISTER_EH_FRAME,
    names::DEREGISTER_EH_FRAME,
];

fn addr_of(h: Handler) -> u64 {
    h as *const () as u64
}

fn decode<T: lantern_orc_wire::Decode>(bytes: &[u8], what: &str) -> Result<T, String> {
    from_bytes(bytes).map_err(|e| format!("{what}: malformed arguments: {e}"))
}

fn sps_error(r: Result<(), String>) -> Vec<u8> {
    to_bytes(&SpsError(r.err()))
}

/// Blocks asynchronous signals in the calling (reader) thread, so that
/// signals sent to the process (`kill`, `sigqueue(getpid())`, a terminal's
/// SIGINT) reach the JIT'd program's main thread, as natively. Faults
/// (SIGSEGV, SIGBUS, SIGILL, SIGFPE) stay deliverable: blocking them would
/// turn a fault in this thread into a silent kill.
fn block_async_signals() {
    // SAFETY: a sigset_t on the stack, filled and edited by libc, then
    // applied to this thread only.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut set);
        for sig in [
            libc::SIGSEGV,
            libc::SIGBUS,
            libc::SIGILL,
            libc::SIGFPE,
            libc::SIGTRAP,
        ] {
            libc::sigdelset(&mut set, sig);
        }
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
    }
}

/// Writes one message under the output lock.
fn send<W: Write>(output: &Mutex<W>, msg: &Message) -> Result<(), Fatal> {
    let mut out = output.lock().unwrap_or_else(|e| e.into_inner());
    msg.write_to(&mut *out)
        .map_err(|e| format!("the controller is gone: {e}"))
}

/// Reads and dispatches messages until `Hangup`, end of stream or an error.
fn read_loop<W: Write>(
    session: &Mutex<Session>,
    input: &mut impl Read,
    output: &Mutex<W>,
    jobs: &mpsc::Sender<(u64, Job)>,
) -> Result<(), Fatal> {
    loop {
        let Some(msg) = Message::read_from(input, DEFAULT_SIZE_LIMIT).map_err(|e| e.to_string())?
        else {
            return Ok(());
        };
        match msg.opcode {
            Opcode::Hangup => {
                return match from_bytes::<SpsError>(&msg.payload) {
                    Ok(SpsError(None)) => Ok(()),
                    Ok(SpsError(Some(e))) => Err(format!("controller hung up: {e}")),
                    Err(e) => Err(format!("malformed hangup message: {e}")),
                };
            }
            Opcode::Setup => return Err("unexpected Setup message from the controller".into()),
            Opcode::Result => {
                return Err(format!(
                "unexpected Result message (sequence number {}): lantern-executor makes no calls",
                msg.seq_no
            ))
            }
            Opcode::CallWrapper => {
                let mut s = session.lock().unwrap_or_else(|e| e.into_inner());
                let outcome = s.call(msg.tag_addr, &msg.payload)?;
                if s.trace {
                    let name = handler_table()
                        .into_iter()
                        .map(|(n, h)| (n, addr_of(h)))
                        .chain(
                            run_table()
                                .into_iter()
                                .map(|(n, h)| (n, h as *const () as u64)),
                        )
                        .find(|(_, a)| *a == msg.tag_addr)
                        .map_or("(JIT'd wrapper)", |(n, _)| n);
                    let segments = from_bytes::<(u64, FinalizeRequest)>(&msg.payload)
                        .map(|(_, r)| {
                            r.segments
                                .iter()
                                .map(|s| (s.addr, s.size, s.group.bits()))
                                .collect::<Vec<_>>()
                        })
                        .unwrap_or_default();
                    eprintln!(
                        "lantern-executor: #{} {name} {segments:x?} {} bytes -> {:02x?}",
                        msg.seq_no,
                        msg.payload.len(),
                        outcome.as_ref().map(|p| &p[..p.len().min(24)]).ok()
                    );
                }
                drop(s);
                match outcome {
                    Ok(payload) => send(
                        output,
                        &Message {
                            opcode: Opcode::Result,
                            seq_no: msg.seq_no,
                            tag_addr: 0,
                            payload,
                        },
                    )?,
                    Err(job) => jobs
                        .send((msg.seq_no, job))
                        .map_err(|_| "the main thread is gone".to_string())?,
                }
            }
        }
    }
}

impl Session {
    /// A session with no memory and the system page size.
    pub fn new() -> Self {
        // SAFETY: sysconf only reads.
        let page_size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(4096) as u64;
        let handlers = handler_table()
            .into_iter()
            .map(|(_, h)| (addr_of(h), h))
            .collect();
        let runners = run_table()
            .into_iter()
            .map(|(_, h)| (h as *const () as u64, h))
            .collect();
        Session {
            runners,
            memory: Memory::new(page_size),
            gdb: GdbJit::default(),
            eh_frames: HashSet::new(),
            dylibs: HashSet::new(),
            looked_up: HashSet::new(),
            handlers,
            page_size,
            trace: std::env::var("LANTERN_EXECUTOR_TRACE").as_deref() == Ok("1"),
        }
    }

    /// The setup message: target, page size, bootstrap symbols.
    pub fn setup_info(&self) -> ExecutorInfo {
        let mut symbols: Vec<(String, u64)> = handler_table()
            .into_iter()
            .filter(|(n, _)| !n.starts_with("llvm_orc_registerJITLoaderGDB"))
            .map(|(n, h)| (n.to_string(), addr_of(h)))
            .chain(
                run_table()
                    .into_iter()
                    .map(|(n, h)| (n.to_string(), h as *const () as u64)),
            )
            .collect();
        for (name, addr) in [
            (
                names::MEMORY_MANAGER_INSTANCE,
                &MEMORY_MANAGER_INSTANCE as *const u8 as u64,
            ),
            (
                names::DYLIB_MANAGER_INSTANCE,
                &DYLIB_MANAGER_INSTANCE as *const u8 as u64,
            ),
            (names::DISPATCH_CTX, &DISPATCH_CTX as *const u8 as u64),
            (
                names::LANTERN_EXECUTOR,
                &LANTERN_EXECUTOR as *const u8 as u64,
            ),
            (names::DISPATCH_FN, wrapper::dispatch_fn as *const () as u64),
        ] {
            symbols.push((name.to_string(), addr));
        }
        ExecutorInfo {
            target_triple: "x86_64-pc-linux-gnu".into(),
            page_size: self.page_size,
            bootstrap_map: Vec::new(),
            bootstrap_symbols: symbols,
        }
    }

    /// Serves the controller. A reader thread takes each message and
    /// answers what touches only the session's state at once; calls that
    /// run JIT'd code are queued to this (the main) thread, so a program's
    /// `main` runs on the process's main thread, as natively, while the
    /// controller goes on finalizing other allocations (LLVM's controller
    /// sends `run as main` without waiting for every finalize to answer).
    /// The process exits when the controller hangs up or goes away.
    pub fn serve<R, W>(self, mut input: R, output: W) -> Fatal
    where
        R: Read + Send + 'static,
        W: Write + Send + 'static,
    {
        let output = Arc::new(Mutex::new(output));
        let setup = Message {
            opcode: Opcode::Setup,
            seq_no: 0,
            tag_addr: 0,
            payload: to_bytes(&self.setup_info()),
        };
        if let Err(e) = send(&output, &setup) {
            return e;
        }
        let trace = self.trace;
        let session = Arc::new(Mutex::new(self));
        let (jobs, queue) = mpsc::channel::<(u64, Job)>();
        let reader_output = Arc::clone(&output);
        let reader = std::thread::Builder::new()
            .name("lantern-executor-reader".into())
            .spawn(move || {
                block_async_signals();
                let status = match read_loop(&session, &mut input, &reader_output, &jobs) {
                    Ok(()) => 0,
                    Err(e) => {
                        eprintln!("lantern-executor: error: {e}");
                        1
                    }
                };
                // The controller is gone: so is the executor, even with a
                // JIT'd `main` still running on the main thread.
                std::process::exit(status)
            });
        if let Err(e) = reader {
            return format!("cannot start the reader thread: {e}");
        }
        for (seq_no, job) in queue {
            let payload = job();
            if trace {
                eprintln!("lantern-executor: #{seq_no} returned {payload:02x?}");
            }
            let reply = Message {
                opcode: Opcode::Result,
                seq_no,
                tag_addr: 0,
                payload,
            };
            if let Err(e) = send(&output, &reply) {
                return e;
            }
        }
        "the reader thread ended".into()
    }

    /// Runs the wrapper function at `tag` on `args`, or returns the job
    /// that will.
    fn call(&mut self, tag: u64, args: &[u8]) -> Result<Result<Vec<u8>, Job>, Fatal> {
        if let Some(&h) = self.handlers.get(&tag) {
            return h(self, args).map(Ok);
        }
        if let Some(&h) = self.runners.get(&tag) {
            return h(self, args).map(Err);
        }
        if self.memory.check(tag, 1, Access::Exec).is_ok() {
            let args = args.to_vec();
            return Ok(Err(Box::new(move || {
                // LLVM 19 sends an out-of-band error as an empty result.
                wrapper::call_c_wrapper(tag, &args).unwrap_or_else(|e| {
                    eprintln!("lantern-executor: wrapper function at {tag:#x}: {e}");
                    Vec::new()
                })
            })));
        }
        Err(format!("call of unknown wrapper function address {tag:#x}"))
    }

    /// Runs an allocation action; its result is an SPS `Error`.
    fn run_action(&mut self, call: &WrapperFunctionCall) -> Result<(), String> {
        let what = format!("allocation action at {:#x}", call.fn_addr);
        let result = if let Some(&h) = self.handlers.get(&call.fn_addr) {
            h(self, &call.args.0)?
        } else if self.memory.check(call.fn_addr, 1, Access::Exec).is_ok() {
            wrapper::call_c_wrapper(call.fn_addr, &call.args.0)
                .map_err(|e| format!("{what}: {e}"))?
        } else {
            return Err(format!(
                "{what}: not a wrapper function of the executor or in JIT'd code"
            ));
        };
        match from_bytes::<SpsError>(&result) {
            Ok(SpsError(None)) => Ok(()),
            Ok(SpsError(Some(e))) => Err(format!("{what}: {e}")),
            Err(e) => Err(format!("{what}: malformed result: {e}")),
        }
    }

    fn check_instance(got: u64, want: &'static u8, what: &str) -> Result<(), String> {
        if got == want as *const u8 as u64 {
            Ok(())
        } else {
            Err(format!("{what}: unknown instance {got:#x}"))
        }
    }

    fn reserve(&mut self, args: &[u8]) -> Result<Vec<u8>, Fatal> {
        let r = (|| {
            let (instance, size): (u64, u64) = decode(args, "reserve")?;
            Self::check_instance(instance, &MEMORY_MANAGER_INSTANCE, "reserve")?;
            self.memory.reserve(size)
        })();
        Ok(to_bytes(&SpsExpected(r)))
    }

    fn finalize(&mut self, args: &[u8]) -> Result<Vec<u8>, Fatal> {
        let r = (|| {
            let (instance, req): (u64, FinalizeRequest) = decode(args, "finalize")?;
            Self::check_instance(instance, &MEMORY_MANAGER_INSTANCE, "finalize")?;
            if req.segments.is_empty() {
                return if req.actions.is_empty() {
                    Ok(())
                } else {
                    Err("finalization actions attached to an empty finalize request".into())
                };
            }
            let deallocs: Vec<WrapperFunctionCall> = req
                .actions
                .iter()
                .filter(|a| a.dealloc.fn_addr != 0)
                .map(|a| a.dealloc.clone())
                .collect();
            let base = self.memory.finalize(&req.segments)?;
            // Run the finalize actions; on a failure, undo the ones that ran
            // (their dealloc halves, in reverse) and release the memory.
            let mut undo = Vec::new();
            for pair in &req.actions {
                if pair.finalize.fn_addr != 0 {
                    if let Err(e) = self.run_action(&pair.finalize) {
                        for d in undo.iter().rev() {
                            let _ = self.run_action(d);
                        }
                        let _ = self.release(base);
                        return Err(e);
                    }
                }
                if pair.dealloc.fn_addr != 0 {
                    undo.push(pair.dealloc.clone());
                }
            }
            self.memory.finalize_actions(base, deallocs);
            Ok(())
        })();
        Ok(sps_error(r))
    }

    /// Runs an allocation's dealloc actions (reverse order), unregisters what
    /// lies in it, and unmaps it.
    fn release(&mut self, base: u64) -> Result<(), String> {
        let actions = self.memory.take_dealloc_actions(base)?;
        let mut errors = Vec::new();
        for a in actions.iter().rev() {
            if let Err(e) = self.run_action(a) {
                errors.push(e);
            }
        }
        let (start, end) = self.memory.range(base)?;
        self.gdb.unregister_within(start, end);
        let stale: Vec<u64> = self
            .eh_frames
            .iter()
            .copied()
            .filter(|&a| a >= start && a < end)
            .collect();
        for a in stale {
            self.eh_frames.remove(&a);
            if let Err(e) = eh_frame::register(a, false) {
                errors.push(e);
            }
        }
        if let Err(e) = self.memory.unmap(base) {
            errors.push(e);
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("; "))
        }
    }

    fn deallocate(&mut self, args: &[u8]) -> Result<Vec<u8>, Fatal> {
        let r = (|| {
            let (instance, bases): (u64, Vec<u64>) = decode(args, "deallocate")?;
            Self::check_instance(instance, &MEMORY_MANAGER_INSTANCE, "deallocate")?;
            let errors: Vec<String> = bases
                .iter()
                .filter_map(|&b| self.release(b).err())
                .collect();
            if errors.is_empty() {
                Ok(())
            } else {
                Err(errors.join("; "))
            }
        })();
        Ok(sps_error(r))
    }

    fn dylib_open(&mut self, args: &[u8]) -> Result<Vec<u8>, Fatal> {
        let r = (|| {
            let (instance, path, mode): OpenArgs = decode(args, "dylib open")?;
            Self::check_instance(instance, &DYLIB_MANAGER_INSTANCE, "dylib open")?;
            if mode != 0 {
                return Err(format!("dylib open: mode {mode:#x} is not supported"));
            }
            let c_path = if path.is_empty() {
                None
            } else {
                Some(
                    CString::new(path.clone())
                        .map_err(|_| format!("dylib path {path:?} contains NUL"))?,
                )
            };
            // SAFETY: dlopen with a NUL-terminated path (or null: the
            // process itself); loading a library runs its constructors,
            // which is what the controller asks for.
            let handle = unsafe {
                libc::dlopen(
                    c_path.as_ref().map_or(std::ptr::null(), |p| p.as_ptr()),
                    libc::RTLD_LAZY | libc::RTLD_GLOBAL,
                )
            };
            if handle.is_null() {
                // SAFETY: dlerror returns a thread-local string or null.
                let why = unsafe {
                    let e = libc::dlerror();
                    if e.is_null() {
                        "unknown error".to_string()
                    } else {
                        std::ffi::CStr::from_ptr(e).to_string_lossy().into_owned()
                    }
                };
                return Err(format!("cannot open {path:?}: {why}"));
            }
            self.dylibs.insert(handle as u64);
            Ok(handle as u64)
        })();
        Ok(to_bytes(&SpsExpected(r)))
    }

    fn dylib_lookup(&mut self, args: &[u8]) -> Result<Vec<u8>, Fatal> {
        let r = (|| {
            let (instance, handle, set): LookupArgs = decode(args, "dylib lookup")?;
            Self::check_instance(instance, &DYLIB_MANAGER_INSTANCE, "dylib lookup")?;
            if !self.dylibs.contains(&handle) {
                return Err(format!("dylib lookup: unknown handle {handle:#x}"));
            }
            let mut defs = Vec::with_capacity(set.len());
            for (name, required) in set {
                let addr = if let Some(a) = crate::runtime::lookup(&name) {
                    a
                } else if let Some(h) = LOOKUP_BUILTINS
                    .iter()
                    .find(|&&n| n == name)
                    .and_then(|n| handler_table().into_iter().find(|(m, _)| m == n))
                {
                    addr_of(h.1)
                } else {
                    match CString::new(name.clone()) {
                        // SAFETY: a handle from our dlopen and a
                        // NUL-terminated name; dlsym only reads.
                        Ok(c) if !name.is_empty() => unsafe {
                            libc::dlsym(handle as *mut libc::c_void, c.as_ptr()) as u64
                        },
                        _ => 0,
                    }
                };
                if addr == 0 && required {
                    return Err(format!("Missing definition for {name}"));
                }
                if addr != 0 {
                    self.looked_up.insert(addr);
                }
                defs.push(ExecutorSymbolDef {
                    addr,
                    flags: if addr != 0 { SYMBOL_FLAG_EXPORTED } else { 0 },
                    target_flags: 0,
                });
            }
            Ok(defs)
        })();
        Ok(to_bytes(&SpsExpected(r)))
    }

    /// Memory writes have no error channel (`void` results): a write outside
    /// writable JIT memory ends the session.
    fn write_all<T: lantern_orc_wire::Decode + Copy>(
        &mut self,
        args: &[u8],
        what: &str,
        bytes: fn(T) -> Vec<u8>,
    ) -> Result<Vec<u8>, Fatal> {
        let writes: Vec<(u64, T)> = decode(args, what)?;
        for (addr, value) in writes {
            let b = bytes(value);
            self.memory
                .check(addr, b.len() as u64, Access::Write)
                .map_err(|e| format!("{what}: refused: {e}"))?;
            // SAFETY: checked writable JIT memory of this length.
            unsafe { std::ptr::copy_nonoverlapping(b.as_ptr(), addr as *mut u8, b.len()) };
        }
        Ok(Vec::new())
    }

    fn write_u8s(&mut self, args: &[u8]) -> Result<Vec<u8>, Fatal> {
        self.write_all::<u8>(args, "write uint8s", |v| v.to_le_bytes().to_vec())
    }
    fn write_u16s(&mut self, args: &[u8]) -> Result<Vec<u8>, Fatal> {
        self.write_all::<u16>(args, "write uint16s", |v| v.to_le_bytes().to_vec())
    }
    fn write_u32s(&mut self, args: &[u8]) -> Result<Vec<u8>, Fatal> {
        self.write_all::<u32>(args, "write uint32s", |v| v.to_le_bytes().to_vec())
    }
    /// Aligned values are stored with one atomic write: pointer slots that
    /// other threads jump through change all at once (ORC's writeUInt64s).
    fn write_u64s(&mut self, args: &[u8]) -> Result<Vec<u8>, Fatal> {
        let writes: Vec<(u64, u64)> = decode(args, "write uint64s")?;
        for (addr, value) in writes {
            self.memory
                .check(addr, 8, Access::Write)
                .map_err(|e| format!("write uint64s: refused: {e}"))?;
            if addr.is_multiple_of(8) {
                // SAFETY: 8 aligned bytes of checked writable JIT memory.
                unsafe {
                    (*(addr as *const std::sync::atomic::AtomicU64))
                        .store(value, std::sync::atomic::Ordering::Release)
                };
            } else {
                // SAFETY: checked writable JIT memory of this length.
                unsafe { std::ptr::write_unaligned(addr as *mut u64, value) };
            }
        }
        Ok(Vec::new())
    }

    fn write_buffers(&mut self, args: &[u8]) -> Result<Vec<u8>, Fatal> {
        let writes: BufferWrites = decode(args, "write buffers")?;
        for (addr, Bytes(b)) in writes {
            self.memory
                .check(addr, b.len() as u64, Access::Write)
                .map_err(|e| format!("write buffers: refused: {e}"))?;
            // SAFETY: checked writable JIT memory of this length.
            unsafe { std::ptr::copy_nonoverlapping(b.as_ptr(), addr as *mut u8, b.len()) };
        }
        Ok(Vec::new())
    }

    fn eh_frame_range(&self, args: &[u8], what: &str) -> Result<u64, String> {
        let range: AddrRange = decode(args, what)?;
        let len = range
            .end
            .checked_sub(range.start)
            .filter(|&l| l >= 4)
            .ok_or_else(|| format!("{what}: bad range {:#x}..{:#x}", range.start, range.end))?;
        self.memory
            .check(range.start, len, Access::Read)
            .map_err(|e| format!("{what}: {e}"))?;
        // SAFETY: the last four bytes of checked readable JIT memory.
        let terminator = unsafe { std::ptr::read_unaligned((range.end - 4) as *const u32) };
        if terminator != 0 {
            return Err(format!(
                "{what}: section at {:#x} has no zero terminator",
                range.start
            ));
        }
        Ok(range.start)
    }

    fn register_eh_frame(&mut self, args: &[u8]) -> Result<Vec<u8>, Fatal> {
        let r = self
            .eh_frame_range(args, "eh-frame registration")
            .and_then(|start| {
                if !self.eh_frames.insert(start) {
                    return Err(format!(
                        "eh-frame section at {start:#x} is already registered"
                    ));
                }
                eh_frame::register(start, true)
            });
        Ok(sps_error(r))
    }

    fn deregister_eh_frame(&mut self, args: &[u8]) -> Result<Vec<u8>, Fatal> {
        let r = self
            .eh_frame_range(args, "eh-frame deregistration")
            .and_then(|start| {
                if !self.eh_frames.remove(&start) {
                    return Err(format!("eh-frame section at {start:#x} is not registered"));
                }
                eh_frame::register(start, false)
            });
        Ok(sps_error(r))
    }

    fn register_gdb(&mut self, args: &[u8]) -> Result<Vec<u8>, Fatal> {
        let r = (|| {
            let (range, notify): (AddrRange, bool) = decode(args, "GDB JIT registration")?;
            let len = range
                .end
                .checked_sub(range.start)
                .ok_or("GDB JIT registration: end before start")?;
            self.memory
                .check(range.start, len, Access::Read)
                .map_err(|e| format!("GDB JIT registration: {e}"))?;
            self.gdb.register(range.start, len, notify);
            Ok(())
        })();
        Ok(sps_error(r))
    }

    /// A function the controller may run: finalized executable JIT memory,
    /// or an address a lookup returned.
    fn check_function(&self, addr: u64, what: &str) -> Result<(), Fatal> {
        if self.looked_up.contains(&addr) {
            return Ok(());
        }
        self.memory
            .check(addr, 1, Access::Exec)
            .map_err(|e| format!("{what}: {e}"))
    }

    fn run_as_main(&mut self, args: &[u8]) -> Result<Job, Fatal> {
        let (main, argv): RunAsMainArgs = decode(args, "run as main")?;
        self.check_function(main, "run as main")?;
        Ok(Box::new(move || {
            let strings: Vec<CString> = argv
                .into_iter()
                .map(|a| {
                    let bytes: Vec<u8> =
                        a.into_bytes().into_iter().take_while(|&b| b != 0).collect();
                    CString::new(bytes).unwrap_or_default()
                })
                .collect();
            let mut ptrs: Vec<*mut libc::c_char> =
                strings.iter().map(|s| s.as_ptr() as *mut _).collect();
            ptrs.push(std::ptr::null_mut());
            // SAFETY: `main` is JIT'd (or looked-up) code the controller
            // runs as `int main(int, char **)`; argv is NUL-terminated
            // strings ending in a null pointer, alive for the call.
            let status = unsafe {
                let f = std::mem::transmute::<
                    usize,
                    extern "C" fn(libc::c_int, *mut *mut libc::c_char) -> libc::c_int,
                >(main as usize);
                f(strings.len() as libc::c_int, ptrs.as_mut_ptr())
            };
            to_bytes(&(status as i64))
        }))
    }

    fn run_as_void_function(&mut self, args: &[u8]) -> Result<Job, Fatal> {
        let f: u64 = decode(args, "run as void function")?;
        self.check_function(f, "run as void function")?;
        Ok(Box::new(move || {
            // SAFETY: JIT'd code run as `void f(void)`, as the controller asks.
            unsafe { std::mem::transmute::<usize, extern "C" fn()>(f as usize)() };
            to_bytes(&0i32)
        }))
    }

    fn run_as_int_function(&mut self, args: &[u8]) -> Result<Job, Fatal> {
        let (f, arg): (u64, i32) = decode(args, "run as int function")?;
        self.check_function(f, "run as int function")?;
        Ok(Box::new(move || {
            // SAFETY: JIT'd code run as `int f(int)`, as the controller asks.
            let r = unsafe {
                std::mem::transmute::<usize, extern "C" fn(libc::c_int) -> libc::c_int>(f as usize)(
                    arg,
                )
            };
            to_bytes(&r)
        }))
    }
}
