//! A Rust panic that no frame catches, unwinding out of a staticlib into C
//! (`extern "C-unwind"`): natively the unwinder reaches the end of the stack
//! and Rust reports `failed to initiate panic`, then aborts.

use std::ffi::c_int;

#[inline(never)]
fn validate(value: c_int) -> c_int {
    if value > 2 {
        panic!("value {value} is too large");
    }
    value * 10
}

#[no_mangle]
pub extern "C-unwind" fn rs_check(value: c_int) -> c_int {
    validate(value)
}
