//! Memory-manager wrappers: reserve, finalize (with allocation actions), deallocate.

use super::*;

impl Session {
    pub(super) fn reserve(&mut self, args: &[u8]) -> Result<Vec<u8>, Fatal> {
        let r = (|| {
            let (instance, size): (u64, u64) = decode(args, "reserve")?;
            Self::check_instance(instance, &MEMORY_MANAGER_INSTANCE, "reserve")?;
            self.memory.reserve(size)
        })();
        Ok(to_bytes(&SpsExpected(r)))
    }

    /// `__lantern_executor_shm_reserve`: a shared reservation, named with
    /// this session's random nonce and a counter, so that a controller that
    /// opens `/proc/PID/fd/N` can tell it reached this memfd of this
    /// executor (not another process's, nor one of another host's pid).
    pub(super) fn shm_reserve(&mut self, args: &[u8]) -> Result<Vec<u8>, Fatal> {
        let r = (|| {
            let (instance, size): (u64, u64) = decode(args, "shared-memory reserve")?;
            Self::check_instance(instance, &MEMORY_MANAGER_INSTANCE, "shared-memory reserve")?;
            self.shm_count += 1;
            let name = format!("lantern-shm-{}-{}", self.shm_nonce, self.shm_count);
            let r = self.memory.reserve_shared(size, &name)?;
            // SAFETY: getpid only reads.
            let pid = unsafe { libc::getpid() } as u64;
            Ok((r.base, pid, r.fd as u64, r.name))
        })();
        Ok(to_bytes(&SpsExpected(r)))
    }

    pub(super) fn finalize(&mut self, args: &[u8]) -> Result<Vec<u8>, Fatal> {
        let r = (|| {
            let (instance, req): (u64, FinalizeRequest) = decode(args, "finalize")?;
            Self::check_instance(instance, &MEMORY_MANAGER_INSTANCE, "finalize")?;
            if req.segments.is_empty() {
                return if req.actions.is_empty() {
                    Ok(())
                } else {
                    Err("finalization actions attached to an empty finalize request".into())
                };
            }
            let deallocs: Vec<WrapperFunctionCall> = req
                .actions
                .iter()
                .filter(|a| a.dealloc.fn_addr != 0)
                .map(|a| a.dealloc.clone())
                .collect();
            let base = self.memory.finalize(&req.segments)?;
            // Run the finalize actions; on a failure, undo the ones that ran
            // (their dealloc halves, in reverse) and release the memory.
            let mut undo = Vec::new();
            for pair in &req.actions {
                if pair.finalize.fn_addr != 0 {
                    if let Err(e) = self.run_action(&pair.finalize) {
                        for d in undo.iter().rev() {
                            let _ = self.run_action(d);
                        }
                        let _ = self.release(base);
                        return Err(e);
                    }
                }
                if pair.dealloc.fn_addr != 0 {
                    undo.push(pair.dealloc.clone());
                }
            }
            self.memory.finalize_actions(base, deallocs);
            Ok(())
        })();
        Ok(sps_error(r))
    }

    /// Runs an allocation's dealloc actions (reverse order), unregisters what
    /// lies in it, and unmaps it.
    pub(super) fn release(&mut self, base: u64) -> Result<(), String> {
        let actions = self.memory.take_dealloc_actions(base)?;
        let mut errors = Vec::new();
        for a in actions.iter().rev() {
            if let Err(e) = self.run_action(a) {
                errors.push(e);
            }
        }
        let (start, end) = self.memory.range(base)?;
        self.gdb.unregister_within(start, end);
        let stale: Vec<u64> = self
            .eh_frames
            .iter()
            .copied()
            .filter(|&a| a >= start && a < end)
            .collect();
        for a in stale {
            self.eh_frames.remove(&a);
            if let Err(e) = eh_frame::register(a, false) {
                errors.push(e);
            }
        }
        if let Err(e) = self.memory.unmap(base) {
            errors.push(e);
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("; "))
        }
    }

    pub(super) fn deallocate(&mut self, args: &[u8]) -> Result<Vec<u8>, Fatal> {
        let r = (|| {
            let (instance, bases): (u64, Vec<u64>) = decode(args, "deallocate")?;
            Self::check_instance(instance, &MEMORY_MANAGER_INSTANCE, "deallocate")?;
            let errors: Vec<String> = bases
                .iter()
                .filter_map(|&b| self.release(b).err())
                .collect();
            if errors.is_empty() {
                Ok(())
            } else {
                Err(errors.join("; "))
            }
        })();
        Ok(sps_error(r))
    }
}
