//! A Rust `staticlib` (std and all) whose `extern "C"` functions a C `main`
//! calls: the archive is linked with the C object, as `gcc main.o lib.a` does.

use std::ffi::c_int;

/// How many times C called in, a global the debugger prints.
#[no_mangle]
pub static mut RS_CALLS: c_int = 0;

#[inline(never)]
fn describe(values: &[i64]) -> String {
    let total: i64 = values.iter().sum();
    format!("{} values, total {}", values.len(), total)
}

#[no_mangle]
pub extern "C" fn rs_summarize(n: c_int) -> c_int {
    // SAFETY: the program has one thread.
    unsafe { RS_CALLS += 1 };
    let values: Vec<i64> = (1..=i64::from(n)).map(|v| v * v).collect();
    println!("rust: {}", describe(&values));
    values.len() as c_int
}
