//! The C API of Lantern (`include/lantern.h`): `liblantern.so` and
//! `liblantern.a` for runtimes written in C or C++.
//!
//! Handles are opaque boxes: a session (an `Arc`, which every linked unit
//! also holds, so a unit can be removed after its session handle is freed),
//! a unit being assembled, and a linked unit. Every entry point returns a
//! [`Status`], keeps the message of its last failure in a thread-local
//! string (`lantern_last_error`), and runs under `catch_unwind`: no panic
//! crosses into C.
//!
//! The GDB JIT interface (`__jit_debug_register_code`,
//! `__jit_debug_descriptor`) comes from `lantern-plugins`; `build.rs` makes
//! `liblantern.so` export both, so gdb and lldb find them in a C host.

use std::cell::RefCell;
use std::ffi::{c_char, c_int, c_uint, c_void, CStr, CString, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::{Arc, Once};

use lantern_core::executor::InProcessExecutor;
use lantern_core::graph::ExecutorAddr;
use lantern_core::session::{LinkUnit, LinkedUnit, Session, SessionOptions};
use lantern_plugins::{DebugObjectPlugin, EhFrameRegistration, Symbolizer};

/// What an entry point returns (`lantern_status` in C).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok = 0,
    /// Linking, reading a file or an initializer failed: see `lantern_last_error`.
    Error = 1,
    /// A lookup found no such symbol.
    NotFound = 2,
    /// A null handle or pointer, or a string that is not UTF-8.
    InvalidArgument = 3,
    /// Lantern panicked (a bug): the message says where; the session may be
    /// inconsistent.
    Internal = 4,
}

/// Register each unit with gdb and lldb (the GDB JIT interface).
pub const LANTERN_DEBUGGER: c_uint = 1;
/// Register each unit's `.eh_frame` with the process's unwinder.
pub const LANTERN_UNWINDER: c_uint = 2;
/// With `LANTERN_DEBUGGER`: register units in batches, merged, when code may
/// run (lookups and initializers), instead of one object per unit.
pub const LANTERN_BATCHED: c_uint = 4;
/// Keep a symbol table per unit and install Lantern's crash handler: a
/// crash prints a backtrace naming JIT'd functions with file:line.
pub const LANTERN_CRASH_REPORTS: c_uint = 8;
const ALL_FLAGS: c_uint =
    LANTERN_DEBUGGER | LANTERN_UNWINDER | LANTERN_BATCHED | LANTERN_CRASH_REPORTS;

/// `lantern_session`: plugins and the symbols of the units linked so far.
pub struct SessionHandle {
    session: Arc<Session>,
}

/// `lantern_unit`: objects and archives to link together.
pub struct UnitHandle {
    unit: LinkUnit,
}

/// `lantern_linked`: a linked unit, with the session it belongs to.
pub struct LinkedHandle {
    session: Arc<Session>,
    unit: LinkedUnit,
}

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

fn set_last_error(message: &str) {
    // A NUL inside a message (from a file name) would cut it: show it instead.
    let text = CString::new(message.replace('\0', "\\0")).unwrap_or_default();
    LAST_ERROR.with(|e| *e.borrow_mut() = text);
}

/// A failure: its status and message.
struct Failure(Status, String);

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Failure {
        Failure(Status::Error, e.to_string())
    }
}

fn invalid(message: impl Into<String>) -> Failure {
    Failure(Status::InvalidArgument, message.into())
}

/// Runs an entry point's body: records the message of a failure, turns a
/// panic into `Status::Internal`.
fn entry(what: &str, body: impl FnOnce() -> Result<(), Failure>) -> Status {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => {
            set_last_error("");
            Status::Ok
        }
        Ok(Err(Failure(status, message))) => {
            set_last_error(&format!("{what}: {message}"));
            status
        }
        Err(panic) => {
            let detail = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            set_last_error(&format!("{what}: internal error in Lantern: {detail}"));
            Status::Internal
        }
    }
}

/// A string argument: non-null, NUL-terminated, UTF-8.
///
/// # Safety
/// `ptr` is null or points to a NUL-terminated string.
unsafe fn str_arg<'a>(ptr: *const c_char, what: &str) -> Result<&'a str, Failure> {
    if ptr.is_null() {
        return Err(invalid(format!("{what} is NULL")));
    }
    // SAFETY: non-null, and the caller promises a NUL-terminated string.
    let s = unsafe { CStr::from_ptr(ptr) };
    s.to_str()
        .map_err(|_| invalid(format!("{what} is not UTF-8: {:?}", s)))
}

/// A handle argument that threads may share (a session, a linked unit).
///
/// # Safety
/// `ptr` is null or a live handle of type `T` from this library.
unsafe fn handle<'a, T: Sync>(ptr: *const T, what: &str) -> Result<&'a T, Failure> {
    // SAFETY: the caller passes null or a live handle.
    unsafe { ptr.as_ref() }.ok_or_else(|| invalid(format!("{what} is NULL")))
}

/// A handle argument one thread uses at a time (a unit being assembled).
///
/// # Safety
/// `ptr` is null or a live handle of type `T` that no other thread uses now.
unsafe fn exclusive<'a, T>(ptr: *mut T, what: &str) -> Result<&'a mut T, Failure> {
    // SAFETY: the caller passes null or a live handle, used by this thread only.
    unsafe { ptr.as_mut() }.ok_or_else(|| invalid(format!("{what} is NULL")))
}

/// Stores through an output pointer that must not be null.
///
/// # Safety
/// `out` is null or valid for a write of `T`.
unsafe fn write_out<T>(out: *mut T, value: T, what: &str) -> Result<(), Failure> {
    if out.is_null() {
        return Err(invalid(format!("{what} is NULL")));
    }
    // SAFETY: non-null and, as the caller promises, writable.
    unsafe { out.write(value) };
    Ok(())
}

/// The message of the calling thread's last failure, or "" after a success.
/// Valid until the thread's next call into Lantern.
#[no_mangle]
pub extern "C" fn lantern_last_error() -> *const c_char {
    // The CString lives in the thread-local until the next call replaces it.
    LAST_ERROR.with(|e| e.borrow().as_ptr())
}

/// Creates a session with the plugins `flags` asks for.
///
/// # Safety
/// `out` is valid for a write of a pointer.
#[no_mangle]
pub unsafe extern "C" fn lantern_session_new(
    flags: c_uint,
    out: *mut *mut SessionHandle,
) -> Status {
    entry("lantern_session_new", || {
        if flags & !ALL_FLAGS != 0 {
            return Err(invalid(format!("unknown flags {:#x}", flags & !ALL_FLAGS)));
        }
        if out.is_null() {
            return Err(invalid("out is NULL"));
        }
        let debugger = flags & LANTERN_DEBUGGER != 0;
        let crash_reports = flags & LANTERN_CRASH_REPORTS != 0;
        let options = SessionOptions {
            // DWARF goes into the debug object, and the symbolizer reads it.
            debug_info: debugger || crash_reports,
            ..SessionOptions::default()
        };
        let mut session = Session::new(Arc::new(InProcessExecutor::new()), options);
        if flags & LANTERN_UNWINDER != 0 {
            session.add_plugin(Arc::new(EhFrameRegistration::new()?));
        }
        if debugger {
            let plugin = DebugObjectPlugin::registering();
            let plugin = if flags & LANTERN_BATCHED != 0 {
                plugin.batched()
            } else {
                plugin
            };
            session.add_plugin(Arc::new(plugin));
        }
        if crash_reports {
            session.add_plugin(Arc::new(Symbolizer));
            static INSTALL: Once = Once::new();
            let mut installed = Ok(());
            INSTALL.call_once(|| installed = lantern_plugins::crash::install());
            installed.map_err(|e| Failure(Status::Error, format!("crash handler: {e}")))?;
        }
        let handle = Box::new(SessionHandle {
            session: Arc::new(session),
        });
        // SAFETY: checked non-null above; the caller promises it is writable.
        unsafe { write_out(out, Box::into_raw(handle), "out") }
    })
}

/// Frees a session handle. Units linked in it stay linked; each keeps what
/// it needs of the session until `lantern_remove`.
///
/// # Safety
/// `session` is null or a handle from `lantern_session_new`, not used again.
#[no_mangle]
pub unsafe extern "C" fn lantern_session_free(session: *mut SessionHandle) {
    let _ = entry("lantern_session_free", || {
        if !session.is_null() {
            // SAFETY: a handle from Box::into_raw, freed once (the caller's promise).
            drop(unsafe { Box::from_raw(session) });
        }
        Ok(())
    });
}

/// Creates an empty unit.
///
/// # Safety
/// `out` is valid for a write of a pointer.
#[no_mangle]
pub unsafe extern "C" fn lantern_unit_new(out: *mut *mut UnitHandle) -> Status {
    entry("lantern_unit_new", || {
        let handle = Box::new(UnitHandle {
            unit: LinkUnit::default(),
        });
        let raw = Box::into_raw(handle);
        // SAFETY: the caller promises `out` is null or writable.
        unsafe { write_out(out, raw, "out") }.inspect_err(|_| {
            // SAFETY: `raw` was just made and given to nobody.
            drop(unsafe { Box::from_raw(raw) });
        })
    })
}

/// Frees a unit that was not linked.
///
/// # Safety
/// `unit` is null or a handle from `lantern_unit_new`, not used again.
#[no_mangle]
pub unsafe extern "C" fn lantern_unit_free(unit: *mut UnitHandle) {
    let _ = entry("lantern_unit_free", || {
        if !unit.is_null() {
            // SAFETY: a handle from Box::into_raw, freed once (the caller's promise).
            drop(unsafe { Box::from_raw(unit) });
        }
        Ok(())
    });
}

/// Adds an object (`.o`) or archive (`.a`) held in memory; the bytes are
/// copied. `name` is what error messages and debuggers call it.
///
/// # Safety
/// `unit` is a live unit handle, `name` a NUL-terminated string, `bytes`
/// readable for `len` bytes (or null when `len` is 0).
#[no_mangle]
pub unsafe extern "C" fn lantern_unit_add_bytes(
    unit: *mut UnitHandle,
    name: *const c_char,
    bytes: *const c_void,
    len: usize,
) -> Status {
    entry("lantern_unit_add_bytes", || {
        // SAFETY: the caller's promises, checked for null.
        let unit = unsafe { exclusive(unit, "unit") }?;
        // SAFETY: as above.
        let name = unsafe { str_arg(name, "name") }?;
        let data = if len == 0 {
            Vec::new()
        } else if bytes.is_null() {
            return Err(invalid("bytes is NULL"));
        } else {
            // SAFETY: non-null and, as the caller promises, readable for `len` bytes.
            unsafe { std::slice::from_raw_parts(bytes.cast::<u8>(), len) }.to_vec()
        };
        unit.unit.add_bytes(name, data);
        Ok(())
    })
}

/// Adds an object or archive by path (archives: by their `!<arch>` magic).
///
/// # Safety
/// `unit` is a live unit handle, `path` a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn lantern_unit_add_path(
    unit: *mut UnitHandle,
    path: *const c_char,
) -> Status {
    entry("lantern_unit_add_path", || {
        // SAFETY: the caller's promises, checked for null.
        let unit = unsafe { exclusive(unit, "unit") }?;
        if path.is_null() {
            return Err(invalid("path is NULL"));
        }
        // SAFETY: non-null and NUL-terminated (the caller's promise). Paths
        // need not be UTF-8.
        let path = OsStr::from_bytes(unsafe { CStr::from_ptr(path) }.to_bytes());
        unit.unit.add_path(Path::new(path))?;
        Ok(())
    })
}

/// Links a unit into the process. The unit handle is consumed, whether the
/// link succeeds or not. A failed link leaves nothing behind.
///
/// # Safety
/// `session` and `unit` are live handles; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn lantern_link(
    session: *mut SessionHandle,
    unit: *mut UnitHandle,
    out: *mut *mut LinkedHandle,
) -> Status {
    entry("lantern_link", || {
        if unit.is_null() {
            return Err(invalid("unit is NULL"));
        }
        // SAFETY: a handle from Box::into_raw, consumed here (the caller's promise).
        let unit = unsafe { Box::from_raw(unit) }.unit;
        // SAFETY: the caller's promises, checked for null.
        let session = unsafe { handle(session, "session") }?;
        if out.is_null() {
            return Err(invalid("out is NULL"));
        }
        let linked = session.session.link(unit)?;
        let handle = Box::into_raw(Box::new(LinkedHandle {
            session: session.session.clone(),
            unit: linked,
        }));
        // SAFETY: checked non-null above; the caller promises it is writable.
        unsafe { write_out(out, handle, "out") }
    })
}

/// Looks a symbol up, ready to call or read: with `linked`, among the
/// symbols of that unit (its local ones too); with `linked` NULL, among the
/// global symbols of every unit of the session. Debugger registration that
/// waits (`LANTERN_BATCHED`) is done first.
///
/// # Safety
/// `session` is a live session handle; `linked` null or a live linked unit
/// of it; `name` a NUL-terminated string; `address` writable.
#[no_mangle]
pub unsafe extern "C" fn lantern_lookup(
    session: *mut SessionHandle,
    linked: *mut LinkedHandle,
    name: *const c_char,
    address: *mut *mut c_void,
) -> Status {
    entry("lantern_lookup", || {
        // SAFETY: the caller's promises, checked for null.
        let session = unsafe { handle(session, "session") }?;
        // SAFETY: as above.
        let name = unsafe { str_arg(name, "name") }?;
        if address.is_null() {
            return Err(invalid("address is NULL"));
        }
        session.session.prepare_to_run()?;
        let found = if linked.is_null() {
            session.session.lookup(name)
        } else {
            // SAFETY: non-null, a live handle (the caller's promise).
            unsafe { handle(linked, "linked") }?.unit.lookup(name)
        };
        let Some(ExecutorAddr(addr)) = found else {
            return Err(Failure(Status::NotFound, format!("no symbol `{name}`")));
        };
        // SAFETY: checked non-null above; the caller promises it is writable.
        unsafe { write_out(address, addr as usize as *mut c_void, "address") }
    })
}

/// Runs a unit's initializers (`.preinit_array`, `.init_array`, `.ctors`,
/// C++ static constructors) in order, as `(argc, argv, envp)` functions
/// with `argc` 0. Run them once, before calling into the unit.
///
/// # Safety
/// `linked` is a live linked-unit handle.
#[no_mangle]
pub unsafe extern "C" fn lantern_run_initializers(linked: *mut LinkedHandle) -> Status {
    entry("lantern_run_initializers", || {
        // SAFETY: the caller's promise, checked for null.
        let linked = unsafe { handle(linked, "linked") }?;
        linked.session.prepare_to_run()?;
        let init = &linked.unit.initializers();
        for &addr in init.preinit.iter().chain(&init.init) {
            call_initializer(addr);
        }
        Ok(())
    })
}

/// Runs a unit's finalizers (`.fini_array`, `.dtors`), in order. Run them
/// once, before `lantern_remove`, if the initializers ran.
///
/// # Safety
/// `linked` is a live linked-unit handle.
#[no_mangle]
pub unsafe extern "C" fn lantern_run_finalizers(linked: *mut LinkedHandle) -> Status {
    entry("lantern_run_finalizers", || {
        // SAFETY: the caller's promise, checked for null.
        let linked = unsafe { handle(linked, "linked") }?;
        for &addr in &linked.unit.initializers().fini {
            type Fini = unsafe extern "C" fn();
            // SAFETY: a finalizer of the linked, finalized unit: `void (void)`.
            unsafe { std::mem::transmute::<usize, Fini>(addr.0 as usize)() };
        }
        Ok(())
    })
}

fn call_initializer(addr: ExecutorAddr) {
    extern "C" {
        static environ: *mut *mut c_char;
    }
    type Init = unsafe extern "C" fn(c_int, *mut *mut c_char, *mut *mut c_char);
    let mut argv: [*mut c_char; 1] = [std::ptr::null_mut()];
    // SAFETY: an initializer of the linked, finalized unit, called as the
    // C runtime calls them: (argc, argv, envp), argv NULL-terminated.
    unsafe {
        let f = std::mem::transmute::<usize, Init>(addr.0 as usize);
        f(0, argv.as_mut_ptr(), environ);
    }
}

/// Removes a linked unit: its symbols leave the session, it is unregistered
/// from debuggers and the unwinder, its memory is unmapped. The handle is
/// consumed, whether removal succeeds or not.
///
/// # Safety
/// `linked` is a handle from `lantern_link`, not used again; no code of the
/// unit runs or is called afterwards.
#[no_mangle]
pub unsafe extern "C" fn lantern_remove(linked: *mut LinkedHandle) -> Status {
    entry("lantern_remove", || {
        if linked.is_null() {
            return Err(invalid("linked is NULL"));
        }
        // SAFETY: a handle from Box::into_raw, consumed here (the caller's promise).
        let linked = unsafe { Box::from_raw(linked) };
        linked.session.remove(linked.unit)?;
        Ok(())
    })
}

/// Loads a shared library into the process so later units resolve its
/// symbols (as `-l` does for `lantern run`).
///
/// # Safety
/// `session` is a live session handle, `path` a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn lantern_load_library(
    session: *mut SessionHandle,
    path: *const c_char,
) -> Status {
    entry("lantern_load_library", || {
        // SAFETY: the caller's promises, checked for null.
        let session = unsafe { handle(session, "session") }?;
        // SAFETY: as above.
        let path = unsafe { str_arg(path, "path") }?;
        session.session.executor().load_library(path)?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ptr::{null, null_mut};

    fn last_error() -> String {
        // SAFETY: the thread's last message, NUL-terminated, valid until the next call.
        unsafe { CStr::from_ptr(lantern_last_error()) }
            .to_string_lossy()
            .into_owned()
    }

    #[test]
    fn bad_arguments_are_refused_with_a_message() {
        // SAFETY: every pointer is null or valid; that is what is tested.
        unsafe {
            let mut session = null_mut();
            assert_eq!(
                lantern_session_new(64, &mut session),
                Status::InvalidArgument
            );
            assert_eq!(last_error(), "lantern_session_new: unknown flags 0x40");
            assert_eq!(lantern_session_new(0, null_mut()), Status::InvalidArgument);
            assert_eq!(last_error(), "lantern_session_new: out is NULL");
            assert_eq!(
                lantern_unit_add_path(null_mut(), c"x.o".as_ptr()),
                Status::InvalidArgument
            );
            assert_eq!(last_error(), "lantern_unit_add_path: unit is NULL");
            assert_eq!(
                lantern_run_initializers(null_mut()),
                Status::InvalidArgument
            );
            assert_eq!(lantern_remove(null_mut()), Status::InvalidArgument);

            assert_eq!(
                lantern_session_new(LANTERN_UNWINDER, &mut session),
                Status::Ok
            );
            assert_eq!(last_error(), "");
            let mut unit = null_mut();
            assert_eq!(lantern_unit_new(&mut unit), Status::Ok);
            assert_eq!(
                lantern_unit_add_bytes(unit, c"x.o".as_ptr(), null(), 4),
                Status::InvalidArgument
            );
            assert_eq!(last_error(), "lantern_unit_add_bytes: bytes is NULL");
            let bad_utf8 = [0xffu8, 0];
            assert_eq!(
                lantern_unit_add_bytes(unit, bad_utf8.as_ptr().cast(), null(), 0),
                Status::InvalidArgument
            );
            assert_eq!(
                lantern_unit_add_path(unit, c"/nonexistent/x.o".as_ptr()),
                Status::Error
            );
            assert!(
                last_error().starts_with("lantern_unit_add_path: /nonexistent/x.o: "),
                "{}",
                last_error()
            );
            let mut address = null_mut();
            assert_eq!(
                lantern_lookup(session, null_mut(), c"nothing".as_ptr(), &mut address),
                Status::NotFound
            );
            assert_eq!(last_error(), "lantern_lookup: no symbol `nothing`");
            // A failed link consumes the unit and leaves the session usable.
            assert_eq!(
                lantern_unit_add_bytes(unit, c"empty.o".as_ptr(), null(), 0),
                Status::Ok
            );
            let mut linked = null_mut();
            assert_eq!(lantern_link(session, unit, &mut linked), Status::Error);
            assert!(
                last_error().starts_with("lantern_link: empty.o: "),
                "{}",
                last_error()
            );
            assert!(linked.is_null());
            let mut empty = null_mut();
            assert_eq!(lantern_unit_new(&mut empty), Status::Ok);
            assert_eq!(lantern_link(session, empty, &mut linked), Status::Ok);
            assert_eq!(lantern_run_initializers(linked), Status::Ok);
            assert_eq!(lantern_run_finalizers(linked), Status::Ok);
            // A unit outlives its session handle.
            lantern_session_free(session);
            assert_eq!(lantern_remove(linked), Status::Ok);
        }
    }

    #[test]
    fn a_panic_becomes_an_internal_error() {
        let status = entry("lantern_test", || panic!("boom"));
        assert_eq!(status, Status::Internal);
        assert_eq!(
            last_error(),
            "lantern_test: internal error in Lantern: boom"
        );
    }
}
