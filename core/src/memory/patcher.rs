//! A [`CodePatcher`] for back-patching that writes through the memory
//! manager's writable view ([`MemoryManager::patch`](super::MemoryManager::patch)):
//! no protection flip, so threads may run the patched code meanwhile (the
//! `ProtectionSwitchPatcher` makes the page fault for them, and with packed
//! memory turns it into a private copy that takes no new code).

use std::sync::Arc;

use crate::error::Result;
use crate::executor::ExecutorControl;
use crate::executor_types::ExecutorAddr;
use crate::lazy::CodePatcher;

/// Patches finalized code through the executor's memory manager.
pub struct ViewPatcher {
    executor: Arc<dyn ExecutorControl>,
}

impl ViewPatcher {
    /// Needs a memory manager with a writable view (`MemoryKind::Packed`);
    /// with another, every write is an error saying so.
    pub fn new(executor: Arc<dyn ExecutorControl>) -> Self {
        ViewPatcher { executor }
    }
}

impl CodePatcher for ViewPatcher {
    fn write_code_u64(&self, addr: ExecutorAddr, value: u64) -> Result<()> {
        if !addr.0.is_multiple_of(8) {
            return Err(crate::error::Error::Memory(format!(
                "code patch at {addr}: not 8-byte aligned"
            )));
        }
        self.executor
            .memory_manager()
            .patch(addr, &value.to_le_bytes())
    }
}
