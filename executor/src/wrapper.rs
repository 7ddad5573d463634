//! Calling C wrapper functions in JIT'd code: LLVM's
//! `CWrapperFunctionResult (*)(const char *ArgData, size_t ArgSize)`
//! (`WrapperFunctionUtils.h`), for allocation actions and calls whose
//! address is JIT'd executable memory rather than one of the executor's own
//! wrappers; and the dispatch function JIT'd code could call back with.

/// `CWrapperFunctionResult`: a union of a pointer and 8 inline bytes, then
/// the size. Up to 8 bytes live inline; more are `malloc`ed and freed by the
/// receiver; size 0 with a non-null pointer is an out-of-band error string.
#[repr(C)]
pub struct CWrapperFunctionResult {
    data: *mut u8,
    size: usize,
}

type CWrapper = unsafe extern "C" fn(*const u8, usize) -> CWrapperFunctionResult;

/// Calls the C wrapper function at `addr`. The caller has checked that
/// `addr` is in finalized executable JIT memory.
pub fn call_c_wrapper(addr: u64, args: &[u8]) -> Result<Vec<u8>, String> {
    // SAFETY: `addr` is JIT'd code the controller placed in executable
    // memory and names as a wrapper function: running the controller's code
    // is the executor's job; the signature is the one LLVM's protocol fixes.
    let result = unsafe {
        let f = std::mem::transmute::<usize, CWrapper>(addr as usize);
        f(args.as_ptr(), args.len())
    };
    take_result(result)
}

fn take_result(r: CWrapperFunctionResult) -> Result<Vec<u8>, String> {
    if r.size <= std::mem::size_of::<usize>() {
        if r.size == 0 && !r.data.is_null() {
            // SAFETY: an out-of-band error: a malloc'ed NUL-terminated
            // string that the receiver owns.
            let msg = unsafe {
                let s = std::ffi::CStr::from_ptr(r.data as *const libc::c_char)
                    .to_string_lossy()
                    .into_owned();
                libc::free(r.data as *mut libc::c_void);
                s
            };
            return Err(msg);
        }
        return Ok((r.data as usize).to_ne_bytes()[..r.size].to_vec());
    }
    // SAFETY: more than 8 bytes: `data` is a malloc'ed buffer of `size`
    // bytes that the receiver owns and frees.
    unsafe {
        let v = std::slice::from_raw_parts(r.data, r.size).to_vec();
        libc::free(r.data as *mut libc::c_void);
        Ok(v)
    }
}

/// `__llvm_orc_SimpleRemoteEPC_dispatch_fn`: JIT'd code calling a wrapper
/// in the controller. lantern-executor does not serve these calls (they
/// need a concurrent session); the caller gets an out-of-band error.
pub extern "C" fn dispatch_fn(
    _ctx: *mut libc::c_void,
    _tag: *const libc::c_void,
    _data: *const u8,
    _size: usize,
) -> CWrapperFunctionResult {
    let msg = c"lantern-executor does not dispatch calls from JIT'd code to the controller";
    // SAFETY: strdup copies a NUL-terminated string into malloc'ed memory,
    // which the out-of-band error convention hands to the caller.
    let data = unsafe { libc::strdup(msg.as_ptr()) } as *mut u8;
    CWrapperFunctionResult { data, size: 0 }
}
