//! Shared memory with an executor on the same host, as ORC's
//! `SharedMemoryMapper`: the executor creates a memfd for a reservation
//! (lantern-executor's `__lantern_executor_shm_reserve`), maps it there
//! without access and names its pid, descriptor number and memfd name; the
//! controller opens `/proc/PID/fd/N`, checks that it reached that very
//! memfd (name, size, sealed size), and maps a writable view in which the
//! linker fills the segments. Before the finalize call the controller
//! unmaps its view; the executor then gives each segment its protection.
//! So the bytes never cross the wire, and no view of code is ever writable
//! while an executable one exists, in either process.
//!
//! `/proc/PID/fd/N` rather than `SCM_RIGHTS`: it works the same on the
//! socketpair of `lantern run --oop` and on a loopback TCP connection
//! (`--connect`), and needs nothing of the byte stream; the name check
//! (a random per-session nonce) makes a controller on another host or in
//! another pid namespace decline instead of mapping some other process's
//! memory. Opening another process's descriptor needs the permission to
//! read its memory (same user, `PTRACE_MODE_READ`): without it the
//! reservation is declined and the bytes travel in the finalize message.

use std::os::fd::AsRawFd;

/// The controller's writable view of one shared reservation.
pub(crate) struct SharedView {
    ptr: *mut u8,
    len: usize,
}

// SAFETY: the view is plain shared memory owned by this value; it is only
// accessed through `&mut self` (one writer at a time).
unsafe impl Send for SharedView {}
// SAFETY: `&SharedView` gives no access to the bytes.
unsafe impl Sync for SharedView {}

impl SharedView {
    /// Opens the executor's memfd `fd` of process `pid`, checks that it is
    /// the memfd named `name` of `size` bytes with its size sealed, and maps
    /// it read-write. Each failure names the step.
    pub(crate) fn open(pid: u64, fd: u64, name: &str, size: u64) -> Result<SharedView, String> {
        let path = format!("/proc/{pid}/fd/{fd}");
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| format!("opening {path}: {e}"))?;
        // What was opened, not what the path names now: no race with the
        // executor reusing the descriptor number.
        let link = std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd()))
            .map_err(|e| format!("reading the link of {path}: {e}"))?;
        let expected = format!("/memfd:{name} (deleted)");
        if link.as_os_str() != expected.as_str() {
            return Err(format!(
                "{path} is {}, not the executor's memfd {name} (another host, or another pid namespace?)",
                link.display()
            ));
        }
        let actual = file
            .metadata()
            .map_err(|e| format!("fstat of {path}: {e}"))?
            .len();
        if actual != size {
            return Err(format!(
                "size mismatch: memfd {name} has {actual:#x} bytes, the reservation {size:#x}"
            ));
        }
        // SAFETY: F_GET_SEALS only queries our descriptor.
        let seals = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_GET_SEALS) };
        let needed = libc::F_SEAL_SHRINK | libc::F_SEAL_GROW;
        if seals < 0 || seals & needed != needed {
            return Err(format!(
                "memfd {name}: its size is not sealed (seals {seals:#x}): the executor could shrink it under our view"
            ));
        }
        let len = usize::try_from(size).map_err(|_| format!("size {size:#x} too large"))?;
        // SAFETY: a new shared mapping of the memfd just checked, at an
        // address of the kernel's choosing; its size is sealed, so every
        // page of the view stays backed.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                file.as_raw_fd(),
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(format!(
                "mapping {len:#x} bytes of memfd {name}: {}",
                std::io::Error::last_os_error()
            ));
        }
        Ok(SharedView {
            ptr: ptr.cast(),
            len,
        })
    }

    /// `len` bytes at `offset` of the view (panics outside it, as slicing
    /// does: offsets come from the allocation's own layout).
    pub(crate) fn bytes_mut(&mut self, offset: u64, len: u64) -> &mut [u8] {
        let (offset, len) = (offset as usize, len as usize);
        assert!(
            offset.checked_add(len).is_some_and(|e| e <= self.len),
            "{len:#x} bytes at {offset:#x} outside a view of {:#x}",
            self.len
        );
        // SAFETY: inside the mapping (checked above), which lives as long
        // as `self`; the `&mut self` borrow makes the slice the only access.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.add(offset), len) }
    }
}

impl Drop for SharedView {
    fn drop(&mut self) {
        // SAFETY: the whole mapping made by `open`; no slice of it outlives
        // `self` (they borrow it).
        unsafe { libc::munmap(self.ptr.cast(), self.len) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::{FromRawFd, OwnedFd};

    fn memfd(name: &str, size: u64, seal: bool) -> OwnedFd {
        let cname = std::ffi::CString::new(name).unwrap();
        // SAFETY: memfd_create with a NUL-terminated name.
        let fd = unsafe {
            libc::memfd_create(cname.as_ptr(), libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING)
        };
        assert!(fd >= 0);
        // SAFETY: fresh descriptor, owned here.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        // SAFETY: plain syscalls on our memfd.
        unsafe {
            assert_eq!(libc::ftruncate(fd.as_raw_fd(), size as libc::off_t), 0);
            if seal {
                let seals = libc::F_SEAL_SHRINK | libc::F_SEAL_GROW;
                assert_eq!(libc::fcntl(fd.as_raw_fd(), libc::F_ADD_SEALS, seals), 0);
            }
        }
        fd
    }

    #[test]
    fn a_checked_view_writes_the_memfd() {
        let fd = memfd("lantern-shm-test-ok", 0x2000, true);
        let pid = std::process::id() as u64;
        let raw = fd.as_raw_fd() as u64;
        let mut view = SharedView::open(pid, raw, "lantern-shm-test-ok", 0x2000).unwrap();
        view.bytes_mut(0x1000, 4).copy_from_slice(b"abcd");
        let mut back = [0u8; 4];
        // SAFETY: pread into a stack buffer from our memfd.
        let n = unsafe { libc::pread(fd.as_raw_fd(), back.as_mut_ptr().cast(), 4, 0x1000) };
        assert_eq!(n, 4);
        assert_eq!(&back, b"abcd");
    }

    #[test]
    fn every_mismatch_is_an_error_naming_it() {
        let pid = std::process::id() as u64;
        let fd = memfd("lantern-shm-test-a", 0x1000, true);
        let raw = fd.as_raw_fd() as u64;
        let err = |r: Result<SharedView, String>| r.err().expect("an error");
        let e = err(SharedView::open(pid, raw, "lantern-shm-test-b", 0x1000));
        assert!(
            e.contains("not the executor's memfd lantern-shm-test-b"),
            "{e}"
        );
        let e = err(SharedView::open(pid, raw, "lantern-shm-test-a", 0x2000));
        assert!(e.contains("size mismatch"), "{e}");
        let e = err(SharedView::open(pid, 1 << 20, "lantern-shm-test-a", 0x1000));
        assert!(
            e.contains(&format!("opening /proc/{pid}/fd/{}", 1 << 20)),
            "{e}"
        );
        let e = err(SharedView::open(u32::MAX as u64, raw, "x", 0x1000));
        assert!(e.contains("opening /proc/"), "{e}");
        let unsealed = memfd("lantern-shm-test-c", 0x1000, false);
        let raw = unsealed.as_raw_fd() as u64;
        let e = err(SharedView::open(pid, raw, "lantern-shm-test-c", 0x1000));
        assert!(e.contains("not sealed"), "{e}");
    }
}
