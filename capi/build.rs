fn main() {
    let map = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("jit-symbols.map");
    println!(
        "cargo:rustc-cdylib-link-arg=-Wl,--version-script={}",
        map.display()
    );
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=jit-symbols.map");
}
