//! `_Unwind_Find_FDE`, interposed for the whole process: libgcc's unwinder
//! calls it through its PLT for every frame, so JIT'd frames are found in
//! lantern's sorted FDE index ([`lantern_plugins::fde_index`]) instead of
//! libgcc's registration list, whose lookups and removals are linear in the
//! number of live units. Every other PC goes to the next definition (libgcc's).

use std::ffi::c_void;
use std::sync::OnceLock;

/// libgcc's `struct dwarf_eh_bases`.
#[repr(C)]
pub struct DwarfEhBases {
    tbase: *mut c_void,
    dbase: *mut c_void,
    func: *mut c_void,
}

type FindFde = unsafe extern "C" fn(*mut c_void, *mut DwarfEhBases) -> *const c_void;

fn next_find_fde() -> Option<FindFde> {
    static NEXT: OnceLock<Option<FindFde>> = OnceLock::new();
    *NEXT.get_or_init(|| {
        // SAFETY: dlsym with RTLD_NEXT and a NUL-terminated name only reads.
        let f = unsafe { libc::dlsym(libc::RTLD_NEXT, c"_Unwind_Find_FDE".as_ptr()) };
        // SAFETY: the unwinder's `_Unwind_Find_FDE` has this signature.
        (!f.is_null()).then(|| unsafe { std::mem::transmute::<*mut c_void, FindFde>(f) })
    })
}

/// As libgcc's: the FDE covering `pc`, with its bases.
///
/// # Safety
/// `bases` must be valid for writes (the unwinder's contract).
#[no_mangle]
pub unsafe extern "C" fn _Unwind_Find_FDE(
    pc: *mut c_void,
    bases: *mut DwarfEhBases,
) -> *const c_void {
    if let Some((fde, func)) = lantern_plugins::fde_index::find(pc as u64) {
        // SAFETY: the caller passes a valid out-parameter. JIT'd sections are
        // registered as by `__register_frame`: no text or data base.
        unsafe {
            (*bases).tbase = std::ptr::null_mut();
            (*bases).dbase = std::ptr::null_mut();
            (*bases).func = func as *mut c_void;
        }
        return fde as *const c_void;
    }
    match next_find_fde() {
        // SAFETY: forwarding the caller's arguments to the real lookup.
        Some(next) => unsafe { next(pc, bases) },
        None => std::ptr::null(),
    }
}

/// Sends JIT'd units' frame registrations to the index, if this binary's
/// `_Unwind_Find_FDE` is the one the process uses (it is exported), unless
/// `LANTERN_FDE_INDEX=off` (for measuring libgcc's own list).
pub fn activate() -> bool {
    if std::env::var_os("LANTERN_FDE_INDEX").is_some_and(|v| v == "off") {
        return false;
    }
    lantern_plugins::fde_index::activate(_Unwind_Find_FDE as *const c_void)
}
