//! Keeps the GDB JIT interface visible to debuggers in the `lantern` binary,
//! even when it is stripped: gdb and lldb look these two symbols up by name.
fn main() {
    for symbol in ["__jit_debug_register_code", "__jit_debug_descriptor"] {
        println!("cargo:rustc-link-arg-bins=-Wl,--export-dynamic-symbol={symbol}");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
