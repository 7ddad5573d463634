//! Memory writes: `uint8s` to `uint64s` and buffers, into writable JIT memory only.

use super::*;

impl Session {
    /// Memory writes have no error channel (`void` results): a write outside
    /// writable JIT memory ends the session.
    pub(super) fn write_all<T: lantern_orc_wire::Decode + Copy>(
        &mut self,
        args: &[u8],
        what: &str,
        bytes: fn(T) -> Vec<u8>,
    ) -> Result<Vec<u8>, Fatal> {
        let writes: Vec<(u64, T)> = decode(args, what)?;
        for (addr, value) in writes {
            let b = bytes(value);
            self.memory
                .check(addr, b.len() as u64, Access::Write)
                .map_err(|e| format!("{what}: refused: {e}"))?;
            // SAFETY: checked writable JIT memory of this length.
            unsafe { std::ptr::copy_nonoverlapping(b.as_ptr(), addr as *mut u8, b.len()) };
        }
        Ok(Vec::new())
    }

    pub(super) fn write_u8s(&mut self, args: &[u8]) -> Result<Vec<u8>, Fatal> {
        self.write_all::<u8>(args, "write uint8s", |v| v.to_le_bytes().to_vec())
    }
    pub(super) fn write_u16s(&mut self, args: &[u8]) -> Result<Vec<u8>, Fatal> {
        self.write_all::<u16>(args, "write uint16s", |v| v.to_le_bytes().to_vec())
    }
    pub(super) fn write_u32s(&mut self, args: &[u8]) -> Result<Vec<u8>, Fatal> {
        self.write_all::<u32>(args, "write uint32s", |v| v.to_le_bytes().to_vec())
    }
    /// Aligned values are stored with one atomic write: pointer slots that
    /// other threads jump through change all at once (ORC's writeUInt64s).
    pub(super) fn write_u64s(&mut self, args: &[u8]) -> Result<Vec<u8>, Fatal> {
        let writes: Vec<(u64, u64)> = decode(args, "write uint64s")?;
        for (addr, value) in writes {
            self.memory
                .check(addr, 8, Access::Write)
                .map_err(|e| format!("write uint64s: refused: {e}"))?;
            if addr.is_multiple_of(8) {
                // SAFETY: 8 aligned bytes of checked writable JIT memory.
                unsafe {
                    (*(addr as *const std::sync::atomic::AtomicU64))
                        .store(value, std::sync::atomic::Ordering::Release)
                };
            } else {
                // SAFETY: checked writable JIT memory of this length.
                unsafe { std::ptr::write_unaligned(addr as *mut u64, value) };
            }
        }
        Ok(Vec::new())
    }

    pub(super) fn write_buffers(&mut self, args: &[u8]) -> Result<Vec<u8>, Fatal> {
        let writes: BufferWrites = decode(args, "write buffers")?;
        for (addr, Bytes(b)) in writes {
            self.memory
                .check(addr, b.len() as u64, Access::Write)
                .map_err(|e| format!("write buffers: refused: {e}"))?;
            // SAFETY: checked writable JIT memory of this length.
            unsafe { std::ptr::copy_nonoverlapping(b.as_ptr(), addr as *mut u8, b.len()) };
        }
        Ok(Vec::new())
    }
}
