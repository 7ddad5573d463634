//! A larger static TLS reserve, when a unit's static-model TLS does not fit.
//!
//! glibc sizes the surplus that `dlopen`ed modules may take static TLS from
//! once, at process start (`glibc.rtld.optional_static_tls`, 512 bytes by
//! default). A unit whose local-exec, initial-exec or descriptor TLS is larger
//! cannot be placed later; since nothing of the program has run yet when the
//! link fails, `lantern` starts itself again, once, with a reserve that fits.

use std::ffi::OsString;
use std::os::unix::process::CommandExt;

/// Set in the environment of the re-executed process, so it never loops.
const MARKER: &str = "LANTERN_STATIC_TLS_RESERVE";
const TUNABLE: &str = "glibc.rtld.optional_static_tls";

/// Replaces this process with the same command and a static TLS reserve of at
/// least `needed` bytes; returns only if that cannot be done (and says why).
pub fn reexec_with_reserve(needed: u64) -> String {
    if std::env::var_os(MARKER).is_some() {
        return format!(
            "even with {TUNABLE}={} the unit's TLS does not fit",
            std::env::var(MARKER).unwrap_or_default()
        );
    }
    // Room for this unit twice over and for later ones, page-rounded.
    let reserve = (needed * 2 + 64 * 1024).next_multiple_of(4096);
    let mut tunables = OsString::from(format!("{TUNABLE}={reserve}"));
    if let Some(existing) = std::env::var_os("GLIBC_TUNABLES").filter(|v| !v.is_empty()) {
        let mut joined = existing;
        joined.push(":");
        joined.push(&tunables);
        tunables = joined;
    }
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => return format!("cannot find this executable to start it again: {e}"),
    };
    log::info!(
        "static TLS reserve too small for {needed} bytes: starting again with {TUNABLE}={reserve}"
    );
    let err = std::process::Command::new(exe)
        .args(std::env::args_os().skip(1))
        .env("GLIBC_TUNABLES", tunables)
        .env(MARKER, reserve.to_string())
        .exec();
    format!("cannot start again with a larger static TLS reserve: {err}")
}
