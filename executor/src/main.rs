//! `lantern-executor`: runs JIT'd code for a controller in another process,
//! speaking LLVM 19's SimpleRemoteEPC protocol (crate `lantern-orc-wire`).
//!
//! ```text
//! lantern-executor filedescs=IN,OUT [secret-fd=N | secret-file=PATH]
//! lantern-executor listen=[HOST]:PORT [secret-fd=N | secret-file=PATH]
//! ```
//!
//! The same first arguments as `llvm-jitlink-executor`, so
//! `llvm-jitlink-19 -oop-executor=lantern-executor` starts it. Who may
//! connect: see `auth.rs` and docs/out-of-process.md. The executor exits
//! when the controller hangs up or goes away (status 0), or on a protocol
//! error (status 1, the error on stderr).

mod auth;
mod crash;
mod eh_frame;
mod gdb_jit;
mod memory;
mod runtime;
mod session;
mod transport;
mod wrapper;

use std::io::{Read, Write};
use std::os::fd::AsRawFd;

fn usage() -> String {
    "usage: lantern-executor filedescs=IN,OUT | listen=[HOST]:PORT [secret-fd=N | secret-file=PATH]"
        .into()
}

fn run() -> Result<(), String> {
    let mut endpoint = None;
    let mut secret = None;
    for arg in std::env::args().skip(1) {
        match arg.split_once('=') {
            Some(("filedescs" | "listen", _)) if endpoint.is_none() => endpoint = Some(arg),
            Some(("secret-fd", n)) => {
                secret = Some(auth::secret_from_fd(
                    n.parse().map_err(|_| format!("{arg}: not a descriptor"))?,
                )?)
            }
            Some(("secret-file", p)) => secret = Some(auth::secret_from_file(p)?),
            _ => return Err(format!("unexpected argument {arg:?}\n{}", usage())),
        }
    }
    if secret.is_none() {
        if let Ok(path) = std::env::var(auth::SECRET_FILE_ENV) {
            secret = Some(auth::secret_from_file(&path)?);
        }
    }
    let policy = match secret {
        Some(s) => auth::Policy::Secret(s),
        None if std::env::var(auth::ALLOW_LLVM_ENV).as_deref() == Ok("1") => {
            auth::Policy::AllowLlvmProtocol
        }
        None => {
            return Err(format!(
                "no secret given (secret-fd=N, secret-file=PATH or {}) and plain LLVM-protocol \
                 controllers are not allowed ({}=1 allows them; see docs/out-of-process.md)",
                auth::SECRET_FILE_ENV,
                auth::ALLOW_LLVM_ENV
            ))
        }
    };
    let endpoint = endpoint.ok_or_else(usage)?;
    match endpoint.split_once('=') {
        Some(("filedescs", spec)) => {
            let (i, o) = transport::from_filedescs(spec)?;
            serve(&policy, i, o)
        }
        Some(("listen", spec)) => {
            let (i, o) = transport::listen(spec)?;
            serve(&policy, i, o)
        }
        _ => Err(usage()),
    }
}

fn serve(
    policy: &auth::Policy,
    mut input: impl Read + AsRawFd + Send + 'static,
    output: impl Write + Send + 'static,
) -> Result<(), String> {
    if let auth::Policy::Secret(s) = policy {
        auth::authenticate(s, &mut input)?;
    }
    session::Session::new().serve(input, output)
}

fn main() {
    // JIT'd programs get the default SIGPIPE disposition, as natively (Rust
    // ignores it); a write to a vanished controller then ends the executor,
    // which is what it should do anyway.
    // SAFETY: setting a signal disposition before any other thread exists.
    // SIGSEGV and SIGBUS too: Rust's stack-overflow handler must not stand
    // in front of a JIT'd program's own crash handling.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        libc::signal(libc::SIGSEGV, libc::SIG_DFL);
        libc::signal(libc::SIGBUS, libc::SIG_DFL);
    }
    // The crash handler (installed when a controller sends symbol tables)
    // runs on it when JIT'd code on this thread crashes.
    crash::set_alt_stack();
    let status = match run() {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("lantern-executor: error: {e}");
            1
        }
    };
    // `exit` (not a return through Rust's runtime alone) flushes the C
    // library's stdio buffers that JIT'd programs wrote to, and runs their
    // atexit handlers while their code is still mapped.
    std::process::exit(status);
}
