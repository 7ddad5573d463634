//! Placeholder: the C++ and TLS program suite is being written.
fn main() {}
