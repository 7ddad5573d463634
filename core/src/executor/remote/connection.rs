//! The controller's end of a SimpleRemoteEPC connection: starting or
//! reaching an executor, the secret, the setup message, and wrapper calls,
//! each bounded by a timeout and failing with an error that names what was
//! being done.
//!
//! Calls may overlap, as the protocol allows: each carries its own sequence
//! number, and the writer lock keeps messages whole. One of the waiting
//! calls at a time reads the stream for all of them and hands every
//! `Result` to the call it answers (leader and followers: no reader thread,
//! so a reply reaches the usual single caller without a thread switch).
//! That is what lets the controller register debug objects and
//! crash-report tables from its background worker while `main` runs in the
//! executor: the run's call reads their replies.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::process::{Child, Command};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use lantern_orc_wire::message::{Message, Opcode, DEFAULT_SIZE_LIMIT};
use lantern_orc_wire::sps::{from_bytes, to_bytes, SpsError};
use lantern_orc_wire::types::ExecutorInfo;

use crate::error::{Error, Result};

/// How long a call other than running JIT'd code may take.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// How a spawned executor learns who may drive it.
#[derive(Debug, Clone)]
pub enum Auth {
    /// lantern-executor: a fresh secret through an inherited pipe
    /// (`secret-fd=N`), proved in the first message.
    Secret,
    /// Any LLVM 19 executor (llvm-jitlink-executor): the plain protocol;
    /// lantern-executor then needs its explicit opt-in, which is harmless
    /// on a socketpair only this process holds.
    PlainLlvm,
}

/// Either stream the connection may run over.
enum Stream {
    Unix(UnixStream),
    Tcp(TcpStream),
}

impl Stream {
    fn try_clone(&self) -> std::io::Result<Stream> {
        Ok(match self {
            Stream::Unix(s) => Stream::Unix(s.try_clone()?),
            Stream::Tcp(s) => Stream::Tcp(s.try_clone()?),
        })
    }

    fn shutdown(&self) {
        let _ = match self {
            Stream::Unix(s) => s.shutdown(std::net::Shutdown::Both),
            Stream::Tcp(s) => s.shutdown(std::net::Shutdown::Both),
        };
    }

    fn set_read_timeout(&self, t: Option<Duration>) -> std::io::Result<()> {
        match self {
            Stream::Unix(s) => s.set_read_timeout(t),
            Stream::Tcp(s) => s.set_read_timeout(t),
        }
    }

    fn raw_fd(&self) -> RawFd {
        match self {
            Stream::Unix(s) => s.as_raw_fd(),
            Stream::Tcp(s) => s.as_raw_fd(),
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Stream::Unix(s) => s.read(buf),
            Stream::Tcp(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Stream::Unix(s) => s.write(buf),
            Stream::Tcp(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Stream::Unix(s) => s.flush(),
            Stream::Tcp(s) => s.flush(),
        }
    }
}

/// The calls in flight.
struct Calls {
    next_seq: u64,
    /// Each call waiting, by sequence number, with its reply once the
    /// reader has it.
    waiting: HashMap<u64, Option<Vec<u8>>>,
    /// Set once the connection failed: every call waiting and every later
    /// call fails with it.
    broken: Option<String>,
    /// Whether a call has failed with `broken` yet (the first one says what
    /// became of the executor; later ones that the connection is closed).
    blamed: bool,
    /// Whether a waiting call is reading the stream for all (the others
    /// wait for it to hand them their reply, or the reading).
    reading: bool,
}

/// What the calls share.
struct Shared {
    calls: Mutex<Calls>,
    /// Signalled when a reply arrives, the reading is free again, or the
    /// connection breaks.
    arrived: Condvar,
    /// The stream's read side, used by the one call that is `reading`.
    reader: Mutex<Stream>,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Calls> {
        self.calls.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// What reading one message did.
enum ReadOne {
    /// A reply, filed for its call.
    Filed,
    /// Nothing came before the deadline (nothing was consumed).
    Quiet,
    /// The connection is over, for this reason.
    Broken(String),
}

impl Shared {
    /// Reads one message (waiting until `deadline`, or without limit) and
    /// files a `Result` for its call. Only the call that set
    /// `Calls::reading` calls this.
    fn read_one(&self, deadline: Option<Instant>) -> ReadOne {
        let mut stream = self.reader.lock().unwrap_or_else(|e| e.into_inner());
        let mut poll = libc::pollfd {
            fd: stream.raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let timeout_ms = deadline.map_or(-1, |d| {
            let left = d.saturating_duration_since(Instant::now());
            left.as_millis().clamp(1, i32::MAX as u128) as i32
        });
        // SAFETY: one pollfd on the stack, valid for the call.
        match unsafe { libc::poll(&mut poll, 1, timeout_ms) } {
            0 => return ReadOne::Quiet,
            n if n < 0 => {
                let e = std::io::Error::last_os_error();
                if e.kind() == std::io::ErrorKind::Interrupted {
                    return ReadOne::Quiet;
                }
                return ReadOne::Broken(format!("waiting for a reply: {e}"));
            }
            _ => {}
        }
        // A message has begun: the rest follows at once, or within the
        // stream's read timeout (a half-sent message is an error, not a hang).
        let message = match Message::read_from(&mut *stream, DEFAULT_SIZE_LIMIT) {
            Ok(Some(m)) => m,
            Ok(None) => return ReadOne::Broken("the executor closed the connection".into()),
            Err(e) => return ReadOne::Broken(describe(e)),
        };
        drop(stream);
        match message.opcode {
            Opcode::Result => {
                let mut calls = self.lock();
                match calls.waiting.get_mut(&message.seq_no) {
                    Some(slot @ None) => {
                        *slot = Some(message.payload);
                        ReadOne::Filed
                    }
                    _ => ReadOne::Broken(format!(
                        "unexpected Result message (sequence number {})",
                        message.seq_no
                    )),
                }
            }
            Opcode::Hangup => ReadOne::Broken(match from_bytes::<SpsError>(&message.payload) {
                Ok(SpsError(Some(e))) => format!("the executor hung up: {e}"),
                _ => "the executor hung up".to_string(),
            }),
            op => ReadOne::Broken(format!(
                "unexpected {op:?} message (sequence number {})",
                message.seq_no
            )),
        }
    }
}

/// A connection to an executor process.
pub struct Connection {
    writer: Mutex<Stream>,
    shared: Shared,
    child: Mutex<Option<Child>>,
    /// What the executor said in its setup message.
    pub info: ExecutorInfo,
    /// Where the executor is, for error messages.
    pub name: String,
}

fn executor_error(name: &str, what: &str, why: impl std::fmt::Display) -> Error {
    Error::Other(format!("executor {name}: {what}: {why}"))
}

/// A read error as the user should see it: a timeout says so.
fn describe(e: lantern_orc_wire::WireError) -> String {
    match e {
        lantern_orc_wire::WireError::Io { source, .. }
            if matches!(
                source.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) =>
        {
            format!("no answer within {} s", CALL_TIMEOUT.as_secs())
        }
        e => e.to_string(),
    }
}

fn random_secret() -> Result<String> {
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| {
            Error::Other(format!(
                "reading /dev/urandom for the executor's secret: {e}"
            ))
        })?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Duplicates `fd` without close-on-exec, for a child to inherit.
fn inheritable(fd: &impl AsRawFd) -> Result<OwnedFd> {
    // SAFETY: dup of an open descriptor; the new one has no FD_CLOEXEC.
    let dup = unsafe { libc::dup(fd.as_raw_fd()) };
    if dup < 0 {
        return Err(Error::Other(format!(
            "dup: {}",
            std::io::Error::last_os_error()
        )));
    }
    // SAFETY: `dup` is a fresh descriptor owned by nothing else.
    Ok(unsafe { OwnedFd::from_raw_fd(dup) })
}

/// A spawned executor whose setup message has not been read yet (its
/// secret, if any, is sent).
pub struct Starting {
    stream: Stream,
    child: Child,
    name: String,
}

impl Starting {
    /// Reads the setup message (waits for the executor to start, up to the
    /// call timeout).
    pub fn establish(self) -> Result<Connection> {
        Connection::establish(self.stream, None, Some(self.child), self.name)
    }
}

/// The first message of a Lantern controller: the secret that proves it.
fn send_secret(stream: &mut Stream, secret: &str, name: &str) -> Result<()> {
    let hello = Message {
        opcode: Opcode::CallWrapper,
        seq_no: 0,
        tag_addr: 0,
        payload: to_bytes(secret),
    };
    hello
        .write_to(stream)
        .map_err(|e| executor_error(name, "sending the secret", e))
}

impl Connection {
    /// Starts `program filedescs=N,N` on one end of a socketpair, without
    /// waiting for its setup message: the caller does other work while it
    /// starts, then calls [`Starting::establish`].
    pub fn start(program: &str, auth: Auth) -> Result<Starting> {
        let name = program.to_string();
        let (ours, theirs_cloexec) =
            UnixStream::pair().map_err(|e| executor_error(&name, "socketpair", e))?;
        let theirs = inheritable(&theirs_cloexec)?;
        // Only the child may hold its end, or its exit would not end the stream.
        drop(theirs_cloexec);
        let mut cmd = Command::new(program);
        cmd.arg(format!("filedescs={0},{0}", theirs.as_raw_fd()));
        let mut secret_pipe = None;
        let mut secret = None;
        match auth {
            Auth::Secret => {
                let s = random_secret()?;
                let (reader, mut writer) =
                    UnixStream::pair().map_err(|e| executor_error(&name, "secret pipe", e))?;
                writer
                    .write_all(s.as_bytes())
                    .map_err(|e| executor_error(&name, "writing the secret", e))?;
                drop(writer);
                let reader = {
                    let cloexec = reader;
                    inheritable(&cloexec)?
                };
                cmd.arg(format!("secret-fd={}", reader.as_raw_fd()));
                secret_pipe = Some(reader);
                secret = Some(s);
            }
            Auth::PlainLlvm => {
                cmd.env("LANTERN_EXECUTOR_ALLOW_LLVM_PROTOCOL", "1");
            }
        }
        let child = cmd
            .spawn()
            .map_err(|e| executor_error(&name, "starting it", e))?;
        drop(theirs);
        drop(secret_pipe);
        let mut stream = Stream::Unix(ours);
        // The secret goes now, not when the caller comes back for the setup
        // message: lantern-executor waits 5 s for it, and the caller's work
        // in between (compiling sources, parsing a thousand objects) may
        // take longer. The socket buffers it.
        if let Some(s) = &secret {
            send_secret(&mut stream, s, &name)?;
        }
        Ok(Starting {
            stream,
            child,
            name,
        })
    }

    /// Connects to an executor listening on `addr` (plain LLVM protocol, or
    /// with `secret` for a lantern-executor started with one).
    pub fn connect(addr: &str, secret: Option<&str>) -> Result<Connection> {
        let stream = TcpStream::connect(addr).map_err(|e| executor_error(addr, "connecting", e))?;
        let _ = stream.set_nodelay(true);
        Connection::establish(Stream::Tcp(stream), secret, None, addr.to_string())
    }

    fn establish(
        mut stream: Stream,
        secret: Option<&str>,
        child: Option<Child>,
        name: String,
    ) -> Result<Connection> {
        if let Some(s) = secret {
            send_secret(&mut stream, s, &name)?;
        }
        stream
            .set_read_timeout(Some(CALL_TIMEOUT))
            .map_err(|e| executor_error(&name, "setting a timeout", e))?;
        let setup = Message::read_from(&mut stream, DEFAULT_SIZE_LIMIT)
            .map_err(|e| executor_error(&name, "waiting for its setup message", describe(e)))?
            .ok_or_else(|| {
                executor_error(
                    &name,
                    "waiting for its setup message",
                    "it closed the connection",
                )
            })?;
        if setup.opcode != Opcode::Setup {
            return Err(executor_error(
                &name,
                "waiting for its setup message",
                format!("got {:?} instead", setup.opcode),
            ));
        }
        let info: ExecutorInfo = from_bytes(&setup.payload)
            .map_err(|e| executor_error(&name, "reading its setup message", e))?;
        if info.target_triple.split('-').next() != Some("x86_64") {
            return Err(executor_error(
                &name,
                "setup",
                format!("target {} is not x86-64", info.target_triple),
            ));
        }
        // The stream keeps the call timeout as its read timeout: a call
        // waits for a reply to begin with `poll`, bounded by its own
        // deadline; the timeout bounds only the rest of a begun message.
        let reader = stream
            .try_clone()
            .map_err(|e| executor_error(&name, "duplicating the connection", e))?;
        let shared = Shared {
            calls: Mutex::new(Calls {
                next_seq: 1,
                waiting: HashMap::new(),
                broken: None,
                blamed: false,
                reading: false,
            }),
            arrived: Condvar::new(),
            reader: Mutex::new(reader),
        };
        Ok(Connection {
            writer: Mutex::new(stream),
            shared,
            child: Mutex::new(child),
            info,
            name,
        })
    }

    /// A bootstrap symbol's address, or an error naming it.
    pub fn symbol(&self, name: &str) -> Result<u64> {
        self.info.symbol(name).ok_or_else(|| {
            executor_error(&self.name, "setup", format!("no bootstrap symbol {name}"))
        })
    }

    /// Calls the wrapper at `tag` and waits for its result: at most
    /// [`CALL_TIMEOUT`], or without limit when `unbounded` (running JIT'd
    /// code). `what` names the call in errors. Other calls may be made
    /// meanwhile, from other threads.
    pub fn call(&self, tag: u64, payload: Vec<u8>, what: &str, unbounded: bool) -> Result<Vec<u8>> {
        let seq_no = {
            let mut calls = self.shared.lock();
            if let Some(why) = calls.broken.clone() {
                if calls.blamed {
                    return Err(executor_error(
                        &self.name,
                        what,
                        format!("the connection is closed ({why})"),
                    ));
                }
                drop(calls);
                return Err(executor_error(&self.name, what, self.blame(why)));
            }
            let seq_no = calls.next_seq;
            calls.next_seq += 1;
            calls.waiting.insert(seq_no, None);
            seq_no
        };
        let sent = Message {
            opcode: Opcode::CallWrapper,
            seq_no,
            tag_addr: tag,
            payload,
        }
        .write_to(&mut *self.writer.lock().unwrap_or_else(|e| e.into_inner()));
        let result = match sent {
            Ok(()) => self.wait_for(seq_no, unbounded),
            Err(e) => {
                self.shared.lock().waiting.remove(&seq_no);
                Err((e.to_string(), false))
            }
        };
        result.map_err(|(why, blamed)| {
            let why = if blamed { why } else { self.blame(why) };
            executor_error(&self.name, what, why)
        })
    }

    /// Makes `why` the reason the connection failed, with what became of
    /// the executor when it has ended, and returns it.
    fn blame(&self, why: String) -> String {
        let why = match self.exit_status() {
            Some(status) => format!("{why}; the executor {status}"),
            None => why,
        };
        let mut calls = self.shared.lock();
        calls.broken = Some(why.clone());
        calls.blamed = true;
        drop(calls);
        self.shared.arrived.notify_all();
        why
    }

    /// Waits for call `seq_no`'s reply (see [`Connection::call`]); an error
    /// says whether a call has been blamed for it already.
    fn wait_for(
        &self,
        seq_no: u64,
        unbounded: bool,
    ) -> std::result::Result<Vec<u8>, (String, bool)> {
        let deadline = Instant::now() + CALL_TIMEOUT;
        let mut calls = self.shared.lock();
        loop {
            if let Some(Some(_)) = calls.waiting.get(&seq_no) {
                let reply = calls.waiting.remove(&seq_no).flatten();
                return reply.ok_or_else(|| ("lost reply".to_string(), false));
            }
            if let Some(why) = &calls.broken {
                let failed = (why.clone(), calls.blamed);
                calls.waiting.remove(&seq_no);
                return Err(failed);
            }
            let now = Instant::now();
            if !unbounded && now >= deadline {
                calls.waiting.remove(&seq_no);
                return Err((
                    format!("no answer within {} s", CALL_TIMEOUT.as_secs()),
                    false,
                ));
            }
            if !calls.reading {
                // This call reads for all until its own reply comes.
                calls.reading = true;
                drop(calls);
                let read = self.shared.read_one((!unbounded).then_some(deadline));
                calls = self.shared.lock();
                calls.reading = false;
                if let ReadOne::Broken(why) = read {
                    if calls.broken.is_none() {
                        calls.broken = Some(why);
                    }
                }
                // Other calls: a reply may be theirs, or the reading theirs
                // to take.
                self.shared.arrived.notify_all();
                continue;
            }
            calls = if unbounded {
                self.shared
                    .arrived
                    .wait(calls)
                    .unwrap_or_else(|e| e.into_inner())
            } else {
                self.shared
                    .arrived
                    .wait_timeout(calls, deadline - now)
                    .unwrap_or_else(|e| e.into_inner())
                    .0
            };
        }
    }

    /// Whether the connection has ended (hung up, or failed).
    pub fn is_closed(&self) -> bool {
        self.shared.lock().broken.is_some()
    }

    /// The process id of a spawned executor.
    pub fn pid(&self) -> Option<u32> {
        self.child
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map(|c| c.id())
    }

    /// How a spawned executor ended, if it has (waiting up to half a
    /// second: a process that closed its end may not be reaped yet).
    pub fn wait_exit(&self) -> Option<std::process::ExitStatus> {
        let mut child = self.child.lock().unwrap_or_else(|e| e.into_inner());
        let child = child.as_mut()?;
        for _ in 0..50 {
            if let Ok(Some(status)) = child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        None
    }

    fn exit_status(&self) -> Option<String> {
        use std::os::unix::process::ExitStatusExt;
        let status = self.wait_exit()?;
        Some(match (status.code(), status.signal()) {
            (Some(c), _) => format!("exited with status {c}"),
            (_, Some(s)) => format!("was killed by signal {s}"),
            _ => format!("ended ({status})"),
        })
    }

    /// Says goodbye (a Hangup with no error), closes the connection and
    /// waits for a spawned executor to exit, so the program's output is
    /// complete. Bounded: an executor still running after 10 s is killed.
    pub fn hang_up(&self) {
        let first = {
            let mut calls = self.shared.lock();
            let first = calls.broken.is_none();
            if first {
                calls.broken = Some("hung up".into());
                calls.blamed = true;
            }
            first
        };
        self.shared.arrived.notify_all();
        {
            let mut writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
            if first {
                let _ = Message {
                    opcode: Opcode::Hangup,
                    seq_no: 0,
                    tag_addr: 0,
                    payload: to_bytes(&SpsError(None)),
                }
                .write_to(&mut *writer);
            }
            writer.shutdown();
        }
        // The shutdown ends a waiting call's read.
        let mut child = self.child.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(child) = child.as_mut() {
            // Woken by the exit itself where the kernel has pidfds (the
            // executor usually exits within a millisecond, and this wait is
            // part of every `lantern run --oop`); else polled finely.
            if wait_for_exit(child.id(), 10_000) {
                let _ = child.wait();
                return;
            }
            for _ in 0..10_000 {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(1));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Waits up to `timeout_ms` for process `pid` to exit, through a pidfd;
/// `false` when it did not, or pidfds are not available.
fn wait_for_exit(pid: u32, timeout_ms: i32) -> bool {
    // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor
    // or -1; nothing else is touched.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) };
    if fd < 0 {
        return false;
    }
    // SAFETY: a fresh descriptor owned by nothing else.
    let fd = unsafe { OwnedFd::from_raw_fd(fd as i32) };
    let mut poll = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one pollfd on the stack, valid for the call.
    let ready = unsafe { libc::poll(&mut poll, 1, timeout_ms) };
    ready == 1 && poll.revents & libc::POLLIN != 0
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.hang_up();
    }
}
