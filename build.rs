//! Link arguments of the `lantern` binary.
//!
//! - Links the C runtime's call of `main` to `__wrap_main` (src/main.rs): the
//!   binary has no `main` symbol, so a debugger's `break main` finds the JIT'd
//!   program's `main` only, as for the natively linked program.
//! - Keeps the GDB JIT interface visible to debuggers, even when the binary is
//!   stripped: gdb and lldb look these two symbols up by name.
//! - Exports `sigaction` and `signal`, so the binary's (src/signals.rs) take
//!   every library's calls.
//! - Links the C++ runtime at startup, as a C++ program's loader would: its
//!   thread-local variables (`std::call_once`'s, used by `<future>` and
//!   `<mutex>`) then sit in static TLS, which JIT'd initial-exec code (g++'s
//!   default for extern TLS in PIE code) can reach; a libstdc++ `dlopen`ed
//!   later has dynamic TLS only.
fn main() {
    // sigaction and signal: the crash handler keeps programs' own crash
    // handlers behind its report (src/signals.rs); exported, the binary's
    // definitions take the calls of every library in the process.
    for symbol in [
        "__jit_debug_register_code",
        "__jit_debug_descriptor",
        "sigaction",
        "signal",
    ] {
        println!("cargo:rustc-link-arg-bins=-Wl,--export-dynamic-symbol={symbol}");
    }
    println!("cargo:rustc-link-arg-bins=-Wl,--wrap=main");
    println!(
        "cargo:rustc-link-arg-bins=-Wl,--push-state,--no-as-needed,-l:libstdc++.so.6,--pop-state"
    );
    println!("cargo:rerun-if-changed=build.rs");
}
