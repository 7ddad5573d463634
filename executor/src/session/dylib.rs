//! The dylib manager: open a library (or the process), look symbols up.

use super::*;

/// One symbol as `names::LANTERN_LOOKUP_SYMBOLS` answers it: `(addr,
/// is_function, size, (is_tls, module_id, offset, (static, tp_offset)))`.
type Found = (u64, bool, u64, (bool, u64, u64, (bool, i64)));

impl Session {
    pub(super) fn dylib_open(&mut self, args: &[u8]) -> Result<Vec<u8>, Fatal> {
        let r = (|| {
            let (instance, path, mode): OpenArgs = decode(args, "dylib open")?;
            Self::check_instance(instance, &DYLIB_MANAGER_INSTANCE, "dylib open")?;
            if mode != 0 {
                return Err(format!("dylib open: mode {mode:#x} is not supported"));
            }
            let c_path = if path.is_empty() {
                None
            } else {
                Some(
                    CString::new(path.clone())
                        .map_err(|_| format!("dylib path {path:?} contains NUL"))?,
                )
            };
            // SAFETY: RTLD_NOLOAD only looks the library up; the reference
            // it takes is dropped at once.
            let loaded_before = c_path.as_ref().is_some_and(|p| unsafe {
                let h = libc::dlopen(p.as_ptr(), libc::RTLD_LAZY | libc::RTLD_NOLOAD);
                !h.is_null() && libc::dlclose(h) == 0
            });
            // SAFETY: dlopen with a NUL-terminated path (or null: the
            // process itself); loading a library runs its constructors,
            // which is what the controller asks for.
            let handle = unsafe {
                libc::dlopen(
                    c_path.as_ref().map_or(std::ptr::null(), |p| p.as_ptr()),
                    libc::RTLD_LAZY | libc::RTLD_GLOBAL,
                )
            };
            if handle.is_null() {
                let why = lantern_dynsym::dl_error();
                return Err(format!("cannot open {path:?}: {why}"));
            }
            // JIT'd initial-exec code must reach the library's thread-locals,
            // as in process: its TLS goes to static TLS before anything
            // (a lookup of one of its variables) makes it dynamic for good.
            if c_path.is_some() {
                // SAFETY: the handle dlopen just returned.
                let placed = unsafe { lantern_static_tls::make_static(handle, loaded_before) };
                if let Err(failure) = placed {
                    // SAFETY: closing the handle opened above; nothing
                    // refers to it yet.
                    unsafe { libc::dlclose(handle) };
                    return Err(match failure {
                        lantern_static_tls::Failure::Request(e) => format!("{path}: {e}"),
                        lantern_static_tls::Failure::Refused { size, reason } => format!(
                            "cannot give the thread-local storage of library {path} ({size} bytes) \
                             a static offset, which JIT'd initial-exec code needs: {reason}. Start \
                             the process with a larger static TLS reserve \
                             (GLIBC_TUNABLES=glibc.rtld.optional_static_tls=BYTES)"
                        ),
                    });
                }
            }
            self.dylibs.insert(handle as u64);
            Ok(handle as u64)
        })();
        Ok(to_bytes(&SpsExpected(r)))
    }

    pub(super) fn dylib_lookup(&mut self, args: &[u8]) -> Result<Vec<u8>, Fatal> {
        let r = (|| {
            let (instance, handle, set): LookupArgs = decode(args, "dylib lookup")?;
            Self::check_instance(instance, &DYLIB_MANAGER_INSTANCE, "dylib lookup")?;
            if !self.dylibs.contains(&handle) {
                return Err(format!("dylib lookup: unknown handle {handle:#x}"));
            }
            let mut defs = Vec::with_capacity(set.len());
            for (name, required) in set {
                let addr = self.lookup_name(handle, &name);
                if addr == 0 && required {
                    return Err(format!("Missing definition for {name}"));
                }
                defs.push(ExecutorSymbolDef {
                    addr,
                    flags: if addr != 0 { SYMBOL_FLAG_EXPORTED } else { 0 },
                    target_flags: 0,
                });
            }
            Ok(defs)
        })();
        Ok(to_bytes(&SpsExpected(r)))
    }

    /// The address of `name` in the library `handle` (checked by the
    /// caller), or 0; a found address joins those the controller may run.
    fn lookup_name(&mut self, handle: u64, name: &str) -> u64 {
        let addr = if let Some(a) = crate::runtime::lookup(name) {
            a
        } else if let Some(h) = LOOKUP_BUILTINS
            .iter()
            .find(|&&n| n == name)
            .and_then(|n| handler_table().into_iter().find(|(m, _)| m == n))
        {
            addr_of(h.1)
        } else {
            match CString::new(name) {
                // SAFETY: a handle from our dlopen and a NUL-terminated
                // name; dlsym only reads.
                Ok(c) if !name.is_empty() => unsafe {
                    libc::dlsym(handle as *mut libc::c_void, c.as_ptr()) as u64
                },
                _ => 0,
            }
        };
        if addr != 0 {
            self.looked_up.insert(addr);
        }
        addr
    }

    /// Lantern's lookup: symbols with their kind and size, and where a
    /// thread-local variable of a library lives (see
    /// `names::LANTERN_LOOKUP_SYMBOLS`).
    pub(super) fn lantern_lookup_symbols(&mut self, args: &[u8]) -> Result<Vec<u8>, Fatal> {
        let r = (|| -> Result<Vec<Found>, String> {
            let (instance, handle, names): (u64, u64, Vec<String>) =
                decode(args, "Lantern lookup")?;
            Self::check_instance(instance, &DYLIB_MANAGER_INSTANCE, "Lantern lookup")?;
            if !self.dylibs.contains(&handle) {
                return Err(format!("Lantern lookup: unknown handle {handle:#x}"));
            }
            Ok(names
                .iter()
                .map(|name| self.lantern_lookup_one(handle, name))
                .collect())
        })();
        Ok(to_bytes(&SpsExpected(r)))
    }

    fn lantern_lookup_one(&mut self, handle: u64, name: &str) -> Found {
        let addr = self.lookup_name(handle, name);
        if addr == 0 {
            return (0, false, 0, (false, 0, 0, (false, 0)));
        }
        // As the in-process executor finds it (crate lantern-dynsym).
        let info = lantern_dynsym::describe(addr, name.as_bytes());
        let tls = match info.tls {
            Some(t) => (
                true,
                t.module_id,
                t.offset,
                (t.tp_offset.is_some(), t.tp_offset.unwrap_or(0)),
            ),
            None => (false, 0, 0, (false, 0)),
        };
        (addr, info.is_function, info.size, tls)
    }
}
