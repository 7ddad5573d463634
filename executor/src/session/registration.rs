//! Registration wrappers: eh-frame sections with the unwinder, debug objects
//! with the GDB JIT interface, symbol tables with the crash handler.

use super::*;

impl Session {
    pub(super) fn eh_frame_range(&self, args: &[u8], what: &str) -> Result<u64, String> {
        let range: AddrRange = decode(args, what)?;
        let len = range
            .end
            .checked_sub(range.start)
            .filter(|&l| l >= 4)
            .ok_or_else(|| format!("{what}: bad range {:#x}..{:#x}", range.start, range.end))?;
        self.memory
            .check(range.start, len, Access::Read)
            .map_err(|e| format!("{what}: {e}"))?;
        // SAFETY: the last four bytes of checked readable JIT memory.
        let terminator = unsafe { std::ptr::read_unaligned((range.end - 4) as *const u32) };
        if terminator != 0 {
            return Err(format!(
                "{what}: section at {:#x} has no zero terminator",
                range.start
            ));
        }
        Ok(range.start)
    }

    pub(super) fn register_eh_frame(&mut self, args: &[u8]) -> Result<Vec<u8>, Fatal> {
        let r = self
            .eh_frame_range(args, "eh-frame registration")
            .and_then(|start| {
                if !self.eh_frames.insert(start) {
                    return Err(format!(
                        "eh-frame section at {start:#x} is already registered"
                    ));
                }
                eh_frame::register(start, true)
            });
        Ok(sps_error(r))
    }

    pub(super) fn deregister_eh_frame(&mut self, args: &[u8]) -> Result<Vec<u8>, Fatal> {
        let r = self
            .eh_frame_range(args, "eh-frame deregistration")
            .and_then(|start| {
                if !self.eh_frames.remove(&start) {
                    return Err(format!("eh-frame section at {start:#x} is not registered"));
                }
                eh_frame::register(start, false)
            });
        Ok(sps_error(r))
    }

    pub(super) fn register_gdb(&mut self, args: &[u8]) -> Result<Vec<u8>, Fatal> {
        let r = (|| {
            let (range, notify): (AddrRange, bool) = decode(args, "GDB JIT registration")?;
            let len = range
                .end
                .checked_sub(range.start)
                .ok_or("GDB JIT registration: end before start")?;
            self.memory
                .check(range.start, len, Access::Read)
                .map_err(|e| format!("GDB JIT registration: {e}"))?;
            self.gdb.register(range.start, len, notify);
            Ok(())
        })();
        Ok(sps_error(r))
    }

    /// `__lantern_executor_reserve_debug_object(key)`: a unit's finalize
    /// action, before its debug object exists.
    pub(super) fn reserve_debug_object(&mut self, args: &[u8]) -> Result<Vec<u8>, Fatal> {
        let r = decode::<u64>(args, "debug object reservation").and_then(|key| {
            match self.debug_objects.entry(key) {
                std::collections::hash_map::Entry::Occupied(_) => Err(format!(
                    "debug object reservation: key {key} is already reserved"
                )),
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(None);
                    Ok(())
                }
            }
        });
        Ok(sps_error(r))
    }

    /// `__lantern_executor_register_debug_object(key, range)`: registers the
    /// object, whose reservation the session now owns; releases it at once
    /// when the key's unit is gone.
    pub(super) fn register_debug_object(&mut self, args: &[u8]) -> Result<Vec<u8>, Fatal> {
        const WHAT: &str = "debug object registration";
        let r = (|| {
            let (key, range): (u64, AddrRange) = decode(args, WHAT)?;
            let len = range
                .end
                .checked_sub(range.start)
                .ok_or_else(|| format!("{WHAT}: end before start"))?;
            self.memory
                .range(range.start)
                .map_err(|_| format!("{WHAT}: {:#x} does not start a reservation", range.start))?;
            self.memory
                .check(range.start, len, Access::Read)
                .map_err(|e| format!("{WHAT}: {e}"))?;
            match self.debug_objects.get_mut(&key) {
                Some(slot @ None) => {
                    *slot = Some(range.start);
                    self.gdb.register(range.start, len, true);
                    Ok(())
                }
                Some(Some(_)) => {
                    self.release(range.start)?;
                    Err(format!("{WHAT}: key {key} already has an object"))
                }
                // The unit was removed before its object came.
                None => self.release(range.start),
            }
        })();
        Ok(sps_error(r))
    }

    /// `__lantern_executor_deregister_debug_object(key)`: a unit's dealloc
    /// action.
    pub(super) fn deregister_debug_object(&mut self, args: &[u8]) -> Result<Vec<u8>, Fatal> {
        let r = decode::<u64>(args, "debug object deregistration").and_then(|key| {
            match self.debug_objects.remove(&key) {
                Some(Some(base)) => {
                    let released = self.release(base);
                    // The unit's code is still mapped (its dealloc actions
                    // run first).
                    self.gdb.resync_breakpoints();
                    released
                }
                Some(None) => Ok(()),
                None => Err(format!(
                    "debug object deregistration: key {key} is not reserved"
                )),
            }
        });
        Ok(sps_error(r))
    }

    pub(super) fn register_symbol_table(&mut self, args: &[u8]) -> Result<Vec<u8>, Fatal> {
        let r = decode::<(u64, Bytes)>(args, "symbol table registration")
            .and_then(|(key, bytes)| crate::crash::register(key, &bytes.0, true));
        Ok(sps_error(r))
    }

    /// `__lantern_executor_register_partial_symbol_table(key, bytes)`: names
    /// only, until the whole table comes.
    pub(super) fn register_partial_symbol_table(&mut self, args: &[u8]) -> Result<Vec<u8>, Fatal> {
        let r = decode::<(u64, Bytes)>(args, "partial symbol table registration")
            .and_then(|(key, bytes)| crate::crash::register(key, &bytes.0, false));
        Ok(sps_error(r))
    }

    /// `__lantern_executor_complete_symbol_table(key, bytes)`.
    pub(super) fn complete_symbol_table(&mut self, args: &[u8]) -> Result<Vec<u8>, Fatal> {
        let r = decode::<(u64, Bytes)>(args, "symbol table completion")
            .and_then(|(key, bytes)| crate::crash::complete(key, &bytes.0));
        Ok(sps_error(r))
    }

    /// `__lantern_executor_register_symbol_table_from(key, range)`: the
    /// table is read from checked, readable JIT memory; a
    /// reservation that starts at the range (the controller's separate
    /// allocation for the table) is released once the table is decoded.
    pub(super) fn register_symbol_table_from(&mut self, args: &[u8]) -> Result<Vec<u8>, Fatal> {
        let r = self.with_table_from(
            args,
            "symbol table registration from memory",
            |key, bytes| crate::crash::register(key, bytes, true),
        );
        Ok(sps_error(r))
    }

    /// `__lantern_executor_complete_symbol_table_from(key, range)`, read as
    /// [`Session::register_symbol_table_from`] reads its table.
    pub(super) fn complete_symbol_table_from(&mut self, args: &[u8]) -> Result<Vec<u8>, Fatal> {
        let r = self.with_table_from(args, "symbol table completion from memory", |key, bytes| {
            crate::crash::complete(key, bytes)
        });
        Ok(sps_error(r))
    }

    /// Decodes `(key, range)`, checks the range and passes its bytes to
    /// `f`, then releases the reservation the range starts.
    fn with_table_from(
        &mut self,
        args: &[u8],
        what: &str,
        f: impl FnOnce(u64, &[u8]) -> Result<(), String>,
    ) -> Result<(), String> {
        let (key, range): (u64, AddrRange) = decode(args, what)?;
        let len = range
            .end
            .checked_sub(range.start)
            .ok_or_else(|| format!("{what}: end before start"))?;
        self.memory
            .check(range.start, len, Access::Read)
            .map_err(|e| format!("{what}: {e}"))?;
        // SAFETY: checked readable JIT memory of this length, which stays
        // mapped until the release below, after the last use.
        let bytes = unsafe { std::slice::from_raw_parts(range.start as *const u8, len as usize) };
        f(key, bytes)?;
        if self.memory.range(range.start).is_ok() {
            self.release(range.start)?;
        }
        Ok(())
    }

    pub(super) fn deregister_symbol_table(&mut self, args: &[u8]) -> Result<Vec<u8>, Fatal> {
        let r =
            decode::<u64>(args, "symbol table deregistration").and_then(crate::crash::deregister);
        Ok(sps_error(r))
    }
}
