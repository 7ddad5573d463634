//! A `#![no_std]` Rust program built with `rustc --emit=obj`: its `main` is
//! the C entry point, and it prints through libc, as Rust code handed to a
//! JIT as an object does.
#![no_std]
#![no_main]

use core::ffi::{c_char, c_int};

extern "C" {
    fn printf(format: *const c_char, ...) -> c_int;
}

/// Running total, a global the debugger prints.
#[no_mangle]
pub static mut TOTAL: i64 = 7;

#[repr(C)]
pub struct Step {
    pub index: i64,
    pub weight: i64,
}

#[inline(never)]
#[no_mangle]
pub extern "C" fn weigh(step: &Step) -> i64 {
    let weighted = step.index.wrapping_mul(step.weight);
    weighted.wrapping_add(1)
}

#[inline(never)]
#[no_mangle]
pub extern "C" fn accumulate(n: i64) -> i64 {
    let mut i = 0;
    while i < n {
        let step = Step {
            index: i,
            weight: i.wrapping_add(2),
        };
        // SAFETY: the program has one thread.
        unsafe { TOTAL = TOTAL.wrapping_add(weigh(&step)) };
        i += 1;
    }
    // SAFETY: the program has one thread.
    unsafe { TOTAL }
}

#[no_mangle]
pub extern "C" fn main(_argc: c_int, _argv: *const *const c_char) -> c_int {
    let first = accumulate(5);
    let second = accumulate(3);
    // SAFETY: a NUL-terminated format whose conversions match the arguments.
    unsafe {
        printf(
            c"accumulate: %ld then %ld\n".as_ptr(),
            first,
            second,
        )
    };
    (second & 7) as c_int
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {}
}
