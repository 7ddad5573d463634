//! Who may drive this executor. It runs whatever code its controller sends,
//! so a connection is served only if
//! - the controller proves it knows the secret (a Lantern controller): its
//!   first message, before the executor says anything, is a `CallWrapper`
//!   with sequence number 0, tag 0 and the secret as an SPS string; or
//! - the executor was started with `LANTERN_EXECUTOR_ALLOW_LLVM_PROTOCOL=1`
//!   in its environment: plain LLVM-protocol controllers (llvm-jitlink's
//!   `-oop-executor` can pass no arguments but `filedescs=`, so the opt-in
//!   is an environment variable).
//!
//! The secret comes from `secret-file=PATH` (or `LANTERN_EXECUTOR_SECRET_FILE`),
//! a file only its owner may read, or from an inherited descriptor
//! `secret-fd=N`.

use std::io::Read;
use std::os::fd::AsRawFd;
use std::os::unix::fs::MetadataExt;

use lantern_orc_wire::message::{Message, Opcode};
use lantern_orc_wire::sps::from_bytes;

/// Environment variable that admits plain LLVM-protocol controllers.
pub const ALLOW_LLVM_ENV: &str = "LANTERN_EXECUTOR_ALLOW_LLVM_PROTOCOL";
/// Environment variable naming the secret file.
pub const SECRET_FILE_ENV: &str = "LANTERN_EXECUTOR_SECRET_FILE";

/// The largest secret accepted (and the largest first message read).
const MAX_SECRET: usize = 4096;

/// How connections are admitted.
#[derive(Debug)]
pub enum Policy {
    /// The first message must carry this secret.
    Secret(Vec<u8>),
    /// Anyone who can reach the executor (explicit opt-in).
    AllowLlvmProtocol,
}

/// Reads the secret file, refusing one that others may read or that another
/// user owns.
pub fn secret_from_file(path: &str) -> Result<Vec<u8>, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("secret file {path}: {e}"))?;
    // SAFETY: geteuid cannot fail.
    let uid = unsafe { libc::geteuid() };
    if meta.uid() != uid || meta.mode() & 0o077 != 0 {
        return Err(format!(
            "secret file {path}: must be owned by uid {uid} and not readable by group or others (mode {:o})",
            meta.mode() & 0o777
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("secret file {path}: {e}"))?;
    check_secret(bytes, path)
}

/// Reads the secret from an inherited descriptor (to its end).
pub fn secret_from_fd(fd: i32) -> Result<Vec<u8>, String> {
    let file = crate::transport::file_from_fd(fd, "secret-fd")?;
    let mut bytes = Vec::new();
    file.take(MAX_SECRET as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("secret-fd={fd}: {e}"))?;
    check_secret(bytes, &format!("secret-fd={fd}"))
}

fn check_secret(mut bytes: Vec<u8>, what: &str) -> Result<Vec<u8>, String> {
    while bytes.last().is_some_and(|b| b.is_ascii_whitespace()) {
        bytes.pop();
    }
    if bytes.len() < 16 || bytes.len() > MAX_SECRET {
        return Err(format!(
            "{what}: a secret has 16 to {MAX_SECRET} bytes, this one {}",
            bytes.len()
        ));
    }
    Ok(bytes)
}

/// How long a controller has to send the secret: a plain LLVM controller
/// waits for the setup message instead, so both would wait forever.
pub const AUTH_TIMEOUT_MS: i32 = 5_000;

/// Waits up to `ms` milliseconds for `fd` to become readable.
fn wait_readable(fd: i32, ms: i32) -> Result<(), String> {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    loop {
        // SAFETY: one pollfd on the stack, count 1.
        let n = unsafe { libc::poll(&mut p, 1, ms) };
        match n {
            0 => {
                return Err(format!(
                    "connection refused: no secret within {} s (an LLVM-protocol controller? it needs {ALLOW_LLVM_ENV}=1)",
                    ms / 1000
                ))
            }
            n if n > 0 => return Ok(()),
            _ if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted => {}
            _ => return Err(format!("poll: {}", std::io::Error::last_os_error())),
        }
    }
}

/// Waits for the controller's proof; any other first message is refused.
pub fn authenticate<R: Read + AsRawFd>(secret: &[u8], input: &mut R) -> Result<(), String> {
    wait_readable(input.as_raw_fd(), AUTH_TIMEOUT_MS)?;
    let msg = Message::read_from(input, (MAX_SECRET + 64) as u64)
        .map_err(|e| format!("connection refused: {e}"))?
        .ok_or("connection closed before authenticating")?;
    if msg.opcode != Opcode::CallWrapper || msg.seq_no != 0 || msg.tag_addr != 0 {
        return Err(format!(
            "connection refused: the first message must carry the secret (got {:?}, sequence number {}, tag {:#x}); \
             plain LLVM-protocol controllers need {ALLOW_LLVM_ENV}=1",
            msg.opcode, msg.seq_no, msg.tag_addr
        ));
    }
    let given: String =
        from_bytes(&msg.payload).map_err(|_| "connection refused: malformed secret".to_string())?;
    let given = given.as_bytes();
    // Compare in time independent of where the first difference is.
    let mut diff = (given.len() != secret.len()) as u8;
    for (i, &s) in secret.iter().enumerate() {
        diff |= s ^ given.get(i).copied().unwrap_or(0);
    }
    if diff != 0 {
        return Err("connection refused: wrong secret".into());
    }
    Ok(())
}
