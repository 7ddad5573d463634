//! One controller session: the setup message, then each `CallWrapper`
//! dispatched to the wrapper function its tag names, answered with a
//! `Result` of the same sequence number, until `Hangup` or end of stream.
//!
//! A reader thread answers the calls that only touch the session's state,
//! in arrival order; calls that run JIT'd code become jobs for the main
//! thread ([`Session::serve`]). The bootstrap symbols are the addresses of
//! the handlers themselves (and of marker statics for the instances), so
//! they are real, distinct addresses in this process; a tag that is none of
//! them is called only if it lies in finalized executable JIT memory (a
//! wrapper function in JIT'd code). The handlers live in the submodules, one
//! per service.

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

mod dylib;
mod memory_calls;
mod registration;
mod run;
mod tls;
mod writes;

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

/// Whether the main thread runs JIT'd code, and how the reader ended.
#[derive(Default)]
struct MainThread {
    busy: bool,
    closed: bool,
    outcome: Option<Result<(), Fatal>>,
}

/// The executor's state for one controller.
pub struct Session {
    memory: Memory,
    gdb: GdbJit,
    /// Registered eh-frame sections (start addresses).
    eh_frames: HashSet<u64>,
    /// Debug-object slots by unit key: the base of the reservation holding
    /// the registered object, `None` while the object has not come.
    debug_objects: HashMap<u64, Option<u64>>,
    /// Handles returned by the dylib manager's open.
    dylibs: HashSet<u64>,
    /// The process's own handle (`dlopen(NULL)`), named in the setup
    /// message; 0 if it could not be had.
    process: u64,
    /// Loaded TLS images: `dlopen` handle -> the memfd holding the object.
    tls_images: HashMap<u64, i32>,
    /// Addresses returned by lookups: functions the controller may run.
    looked_up: HashSet<u64>,
    handlers: HashMap<u64, Handler>,
    runners: HashMap<u64, RunHandler>,
    page_size: u64,
    /// `LANTERN_EXECUTOR_TRACE=1`: each call and its result on stderr.
    trace: bool,
    /// Random, per session: part of each shared-memory memfd's name.
    shm_nonce: String,
    /// Shared reservations made so far (the other part of the name).
    shm_count: u64,
}

/// 16 random bytes in hex (getrandom; the time and pid if it fails: the
/// nonce tells memfds apart, it guards no secret).
fn nonce() -> String {
    let mut bytes = [0u8; 16];
    // SAFETY: getrandom writes at most `bytes.len()` bytes into the buffer.
    let n = unsafe { libc::getrandom(bytes.as_mut_ptr().cast(), bytes.len(), 0) };
    if n != bytes.len() as isize {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        bytes[..8].copy_from_slice(&t.to_le_bytes());
        bytes[8..12].copy_from_slice(&std::process::id().to_le_bytes());
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
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
        (
            names::LANTERN_REGISTER_JIT_LOADER_GDB,
            Session::register_gdb,
        ),
        (
            names::LANTERN_REGISTER_SYMBOL_TABLE,
            Session::register_symbol_table,
        ),
        (
            names::LANTERN_REGISTER_SYMBOL_TABLE_FROM,
            Session::register_symbol_table_from,
        ),
        (
            names::LANTERN_DEREGISTER_SYMBOL_TABLE,
            Session::deregister_symbol_table,
        ),
        (
            names::LANTERN_REGISTER_PARTIAL_SYMBOL_TABLE,
            Session::register_partial_symbol_table,
        ),
        (
            names::LANTERN_COMPLETE_SYMBOL_TABLE,
            Session::complete_symbol_table,
        ),
        (
            names::LANTERN_COMPLETE_SYMBOL_TABLE_FROM,
            Session::complete_symbol_table_from,
        ),
        (names::LANTERN_LOAD_TLS_IMAGE, Session::load_tls_image),
        (
            names::LANTERN_LOOKUP_SYMBOLS,
            Session::lantern_lookup_symbols,
        ),
        (names::LANTERN_RELEASE_TLS_IMAGE, Session::release_tls_image),
        (names::LANTERN_SHM_RESERVE, Session::shm_reserve),
        (
            names::LANTERN_RESERVE_DEBUG_OBJECT,
            Session::reserve_debug_object,
        ),
        (
            names::LANTERN_REGISTER_DEBUG_OBJECT,
            Session::register_debug_object,
        ),
        (
            names::LANTERN_DEREGISTER_DEBUG_OBJECT,
            Session::deregister_debug_object,
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
        // SAFETY: dlopen(NULL) returns the handle of the process itself
        // (its global scope); it loads nothing.
        let process =
            unsafe { libc::dlopen(std::ptr::null(), libc::RTLD_LAZY | libc::RTLD_GLOBAL) };
        Session {
            process: process as u64,
            runners,
            memory: Memory::new(page_size),
            gdb: GdbJit::default(),
            eh_frames: HashSet::new(),
            debug_objects: HashMap::new(),
            dylibs: HashSet::from_iter((!process.is_null()).then_some(process as u64)),
            tls_images: HashMap::new(),
            looked_up: HashSet::new(),
            handlers,
            page_size,
            trace: std::env::var("LANTERN_EXECUTOR_TRACE").as_deref() == Ok("1"),
            shm_nonce: nonce(),
            shm_count: 0,
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
        if self.process != 0 {
            symbols.push((names::LANTERN_PROCESS_HANDLE.to_string(), self.process));
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
    ///
    /// When the controller hangs up or goes away while no JIT'd code runs,
    /// this returns (the caller exits on this thread: the program's exit
    /// handlers and the main thread's `thread_local` destructors then run
    /// on its main thread, with its thread-local values, as natively); while
    /// JIT'd code runs, the reader thread ends the process itself.
    pub fn serve<R, W>(self, mut input: R, output: W) -> Result<(), Fatal>
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
        send(&output, &setup)?;
        let trace = self.trace;
        let session = Arc::new(Mutex::new(self));
        let (jobs, queue) = mpsc::channel::<(u64, Job)>();
        let reader_output = Arc::clone(&output);
        let state = Arc::new(Mutex::new(MainThread::default()));
        let reader_state = Arc::clone(&state);
        let reader = std::thread::Builder::new()
            .name("lantern-executor-reader".into())
            .spawn(move || {
                block_async_signals();
                let outcome = read_loop(&session, &mut input, &reader_output, &jobs);
                let mut state = reader_state.lock().unwrap_or_else(|e| e.into_inner());
                state.closed = true;
                if state.busy {
                    // The controller is gone: so is the executor, even with
                    // a JIT'd `main` still running on the main thread.
                    let status = match outcome {
                        Ok(()) => 0,
                        Err(e) => {
                            eprintln!("lantern-executor: error: {e}");
                            1
                        }
                    };
                    std::process::exit(status)
                }
                state.outcome = Some(outcome);
                // Dropping the queue's sender wakes the main thread.
                drop(jobs);
            });
        if let Err(e) = reader {
            return Err(format!("cannot start the reader thread: {e}"));
        }
        for (seq_no, job) in queue {
            {
                let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
                if s.closed {
                    break;
                }
                s.busy = true;
            }
            let payload = job();
            state.lock().unwrap_or_else(|e| e.into_inner()).busy = false;
            if trace {
                eprintln!("lantern-executor: #{seq_no} returned {payload:02x?}");
            }
            let reply = Message {
                opcode: Opcode::Result,
                seq_no,
                tag_addr: 0,
                payload,
            };
            send(&output, &reply)?;
        }
        let outcome = state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .outcome
            .take();
        outcome.unwrap_or_else(|| Err("the reader thread ended".into()))
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
}
