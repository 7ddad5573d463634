//! The byte stream to the controller: inherited descriptors
//! (`filedescs=IN,OUT`) or one accepted TCP connection (`listen=HOST:PORT`).

use std::fs::File;
use std::net::{TcpListener, TcpStream};
use std::os::fd::FromRawFd;

/// Takes ownership of an inherited descriptor, checking that it is open.
pub fn file_from_fd(fd: i32, what: &str) -> Result<File, String> {
    // SAFETY: fcntl(F_GETFD) only queries the descriptor table.
    if fd < 0 || unsafe { libc::fcntl(fd, libc::F_GETFD) } < 0 {
        return Err(format!("{what}: descriptor {fd} is not open"));
    }
    // SAFETY: the descriptor is open and was handed to this process to use;
    // from here on only this File owns it.
    Ok(unsafe { File::from_raw_fd(fd) })
}

/// Parses `IN,OUT` and opens both descriptors (they may be the same one).
pub fn from_filedescs(spec: &str) -> Result<(File, File), String> {
    let bad = || format!("filedescs={spec}: expected two descriptor numbers, IN,OUT");
    let (i, o) = spec.split_once(',').ok_or_else(bad)?;
    let (i, o): (i32, i32) = (
        i.trim().parse().map_err(|_| bad())?,
        o.trim().parse().map_err(|_| bad())?,
    );
    let input = file_from_fd(i, "filedescs")?;
    let output = if i == o {
        input
            .try_clone()
            .map_err(|e| format!("filedescs={spec}: {e}"))?
    } else {
        file_from_fd(o, "filedescs")?
    };
    Ok((input, output))
}

/// Binds `HOST:PORT` (an empty host is the loopback, 127.0.0.1; port 0 picks
/// one), reports the bound address on stderr, and accepts one connection.
pub fn listen(spec: &str) -> Result<(TcpStream, TcpStream), String> {
    let (host, port) = spec
        .rsplit_once(':')
        .ok_or_else(|| format!("listen={spec}: expected HOST:PORT"))?;
    let host = if host.is_empty() { "127.0.0.1" } else { host };
    let listener = TcpListener::bind((
        host,
        port.parse::<u16>()
            .map_err(|_| format!("listen={spec}: bad port"))?,
    ))
    .map_err(|e| format!("listen={spec}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    eprintln!("lantern-executor: listening on {addr}");
    let (stream, peer) = listener
        .accept()
        .map_err(|e| format!("listen={spec}: accept: {e}"))?;
    drop(listener);
    eprintln!("lantern-executor: connection from {peer}");
    let _ = stream.set_nodelay(true);
    let input = stream.try_clone().map_err(|e| e.to_string())?;
    Ok((input, stream))
}
