//! Link arguments of the `lantern` binary.
//!
//! - Links the C runtime's call of `main` to `__wrap_main` (src/main.rs): the
//!   binary has no `main` symbol, so a debugger's `break main` finds the JIT'd
//!   program's `main` only, as for the natively linked program.
//! - Keeps the GDB JIT interface visible to debuggers, even when the binary is
//!   stripped: gdb and lldb look these two symbols up by name.
//! - Exports `sigaction` and `signal`, so the binary's (src/signals.rs) take
//!   every library's calls, and `_Unwind_Find_FDE`, so libgcc's unwinder
//!   finds JIT'd frames in lantern's sorted index (src/unwind.rs).
//!
//! The binary does not link the C++ runtime: a C program's run and debugger
//! session do not pay for loading it (gdb reads libstdc++ for about 100 ms).
//! The session loads it when a unit needs it, and the executor gives its
//! thread-local variables static TLS then (core/src/executor/static_tls.rs),
//! so JIT'd initial-exec code reaches them as in a natively linked program.
fn main() {
    // sigaction and signal: the crash handler keeps programs' own crash
    // handlers behind its report (src/signals.rs); exported, the binary's
    // definitions take the calls of every library in the process.
    for symbol in [
        "__jit_debug_register_code",
        "__jit_debug_descriptor",
        "sigaction",
        "signal",
        "_Unwind_Find_FDE",
    ] {
        println!("cargo:rustc-link-arg-bins=-Wl,--export-dynamic-symbol={symbol}");
    }
    println!("cargo:rustc-link-arg-bins=-Wl,--wrap=main");
    println!("cargo:rerun-if-changed=build.rs");
}
