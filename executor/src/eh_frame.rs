//! eh-frame registration with the process's unwinder, found at run time:
//! LLVM libunwind's `__unw_add_dynamic_eh_frame_section` if present, else
//! libgcc's `__register_frame`; both take a whole `.eh_frame` section ending
//! in a zero terminator.

use std::ffi::CStr;

type FrameFn = unsafe extern "C" fn(*const u8);

fn symbol(name: &CStr) -> Option<FrameFn> {
    // SAFETY: dlsym with RTLD_DEFAULT and a NUL-terminated name only reads.
    let addr = unsafe { libc::dlsym(libc::RTLD_DEFAULT, name.as_ptr()) };
    // SAFETY: both unwinders declare these as `void f(const void *)` (the
    // libunwind pair takes a uintptr_t of the same width and class).
    (!addr.is_null()).then(|| unsafe { std::mem::transmute::<*mut libc::c_void, FrameFn>(addr) })
}

fn pair() -> Option<(FrameFn, FrameFn)> {
    Some(
        match (
            symbol(c"__unw_add_dynamic_eh_frame_section"),
            symbol(c"__unw_remove_dynamic_eh_frame_section"),
        ) {
            (Some(a), Some(r)) => (a, r),
            _ => (symbol(c"__register_frame")?, symbol(c"__deregister_frame")?),
        },
    )
}

/// Registers (or, with `add` false, deregisters) the section at `start`.
/// The caller has checked that `[start, start+len)` is readable JIT memory
/// that ends in four zero bytes.
pub fn register(start: u64, add: bool) -> Result<(), String> {
    let (reg, dereg) = pair().ok_or("no unwinder in the executor process (__register_frame)")?;
    // SAFETY: the section is in finalized readable memory and terminated
    // (checked by the caller); the unwinder keeps the pointer until
    // deregistration, which the session does before the memory goes.
    unsafe { (if add { reg } else { dereg })(start as *const u8) };
    Ok(())
}
