//! Exports the GDB JIT interface (src/gdb_jit.rs) from the executor binary,
//! so gdb and lldb attached to it find the two symbols by name.
fn main() {
    for symbol in ["__jit_debug_register_code", "__jit_debug_descriptor"] {
        println!("cargo:rustc-link-arg-bins=-Wl,--export-dynamic-symbol={symbol}");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
