//! Executor memory: the reservations a controller makes with the
//! SimpleExecutorMemoryManager wrappers, filled and protected at finalize.
//!
//! A reservation is anonymous read-write memory until finalize copies the
//! segments in and sets each segment's protection; a segment asking for
//! write and execute together is refused, so no page is ever writable and
//! executable at once. Every address the controller names (segments, memory
//! writes, eh-frame and debug-object ranges, functions to run) is checked
//! against these reservations first: a bad request is an error, never a
//! write into or a call of memory the executor does not own.
//!
//! A shared reservation ([`Memory::reserve_shared`], for a controller on
//! the same host) is a sealed memfd mapped here without any access: the
//! controller writes the segments through a view of its own, then
//! finalize maps each segment again with its protection (code `r-x`,
//! privately, so debuggers can plant breakpoints), so this process never
//! has a writable view of its code.

use std::collections::BTreeMap;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use lantern_orc_wire::types::{SegFinalizeRequest, WrapperFunctionCall};

/// Protection of a finalized segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prot {
    /// Readable.
    pub read: bool,
    /// Writable.
    pub write: bool,
    /// Executable.
    pub exec: bool,
}

/// One `reserve` result.
#[derive(Debug)]
struct Reservation {
    size: u64,
    /// Set at finalize: each segment's range and protection.
    segments: Option<Vec<(u64, u64, Prot)>>,
    /// Dealloc halves of the finalize actions, run in reverse at deallocate.
    dealloc_actions: Vec<WrapperFunctionCall>,
    /// A shared reservation: its memfd, open until finalize or deallocate
    /// (the controller opens it through `/proc/PID/fd/N` meanwhile).
    shared: Option<Option<OwnedFd>>,
}

/// A shared reservation as the controller learns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedReservation {
    /// Where it is mapped in the executor.
    pub base: u64,
    /// The memfd's descriptor number in the executor.
    pub fd: i32,
    /// The memfd's name (`/proc/PID/fd/N` links to `/memfd:NAME (deleted)`).
    pub name: String,
}

/// All live reservations, by base address.
#[derive(Debug, Default)]
pub struct Memory {
    reservations: BTreeMap<u64, Reservation>,
    page_size: u64,
}

/// How a range of executor memory may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Written by a memory-write call.
    Write,
    /// Read (eh-frame and debug-object registration).
    Read,
    /// Run as a function.
    Exec,
}

impl Memory {
    /// An empty memory manager for pages of `page_size` bytes.
    pub fn new(page_size: u64) -> Self {
        Memory {
            reservations: BTreeMap::new(),
            page_size,
        }
    }

    /// Maps `size` bytes read-write and returns the base address.
    pub fn reserve(&mut self, size: u64) -> Result<u64, String> {
        if size == 0 || size > (1 << 46) {
            return Err(format!("cannot reserve {size:#x} bytes"));
        }
        let len = size.next_multiple_of(self.page_size) as usize;
        // SAFETY: a fresh anonymous private mapping at an address of the
        // kernel's choosing; it aliases nothing.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(format!(
                "cannot reserve {size:#x} bytes: {}",
                std::io::Error::last_os_error()
            ));
        }
        let base = base as u64;
        self.reservations.insert(
            base,
            Reservation {
                size: len as u64,
                segments: None,
                dealloc_actions: Vec::new(),
                shared: None,
            },
        );
        Ok(base)
    }

    /// Creates a memfd of `size` bytes (rounded up to pages) named `name`,
    /// seals its size, maps it here without access and returns where, with
    /// the descriptor the controller opens. Each failing step is named.
    pub fn reserve_shared(&mut self, size: u64, name: &str) -> Result<SharedReservation, String> {
        if size == 0 || size > (1 << 40) {
            return Err(format!("cannot reserve {size:#x} bytes of shared memory"));
        }
        let len = size.next_multiple_of(self.page_size);
        let os = |what: &str| format!("shared memory: {what}: {}", std::io::Error::last_os_error());
        let cname = std::ffi::CString::new(name).map_err(|_| "shared memory: bad name")?;
        // SAFETY: memfd_create with a NUL-terminated name; the result is a
        // fresh descriptor or -1.
        let fd = unsafe {
            libc::memfd_create(cname.as_ptr(), libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING)
        };
        if fd < 0 {
            return Err(os("memfd_create"));
        }
        // SAFETY: `fd` was just created and is owned by nothing else.
        let memfd = unsafe { OwnedFd::from_raw_fd(fd) };
        // SAFETY: plain syscalls on our own memfd.
        if unsafe { libc::ftruncate(fd, len as libc::off_t) } != 0 {
            return Err(os(&format!("ftruncate to {len:#x} bytes")));
        }
        // Neither side may change the size under the other's mapping (a
        // shrunk memfd turns accesses into SIGBUS).
        let seals = libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_SEAL;
        // SAFETY: as above.
        if unsafe { libc::fcntl(fd, libc::F_ADD_SEALS, seals) } != 0 {
            return Err(os("sealing its size"));
        }
        // SAFETY: a new shared mapping of our memfd at an address of the
        // kernel's choosing, without access: it aliases nothing of ours.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len as usize,
                libc::PROT_NONE,
                libc::MAP_SHARED,
                fd,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(os(&format!("mapping {len:#x} bytes")));
        }
        let base = base as u64;
        self.reservations.insert(
            base,
            Reservation {
                size: len,
                segments: None,
                dealloc_actions: Vec::new(),
                shared: Some(Some(memfd)),
            },
        );
        Ok(SharedReservation {
            base,
            fd,
            name: name.to_string(),
        })
    }

    /// Copies the segments into the reservation at `base` (the lowest
    /// segment address, as in LLVM), zero-fills and protects them.
    pub fn finalize(&mut self, segments: &[SegFinalizeRequest]) -> Result<u64, String> {
        let base = segments
            .iter()
            .map(|s| s.addr)
            .min()
            .ok_or("empty finalize request")?;
        let page = self.page_size;
        let res = self
            .reservations
            .get_mut(&base)
            .ok_or_else(|| format!("attempt to finalize unrecognized allocation {base:#x}"))?;
        if res.segments.is_some() {
            return Err(format!("allocation {base:#x} is already finalized"));
        }
        let shared = res.shared.is_some();
        let end = base + res.size;
        let mut ranges = Vec::with_capacity(segments.len());
        for s in segments {
            let what = format!("segment at {:#x} (size {:#x})", s.addr, s.size);
            if (s.content.0.len() as u64) > s.size {
                return Err(format!(
                    "{what}: content of {:#x} bytes is larger",
                    s.content.0.len()
                ));
            }
            let seg_end = s.addr.checked_add(s.size).ok_or(format!("{what}: wraps"))?;
            if seg_end > end {
                return Err(format!("{what}: outside allocation {base:#x}..{end:#x}"));
            }
            if !s.addr.is_multiple_of(page) {
                return Err(format!("{what}: not page-aligned"));
            }
            if s.group.write && s.group.exec {
                return Err(format!("{what}: writable and executable memory is refused"));
            }
            if shared && !s.content.0.is_empty() {
                return Err(format!(
                    "{what}: content sent for shared memory (the controller writes it there)"
                ));
            }
            let prot = Prot {
                read: s.group.read,
                write: s.group.write,
                exec: s.group.exec,
            };
            ranges.push((s.addr, s.addr + s.size.next_multiple_of(page), prot));
        }
        ranges.sort_by_key(|r| r.0);
        if ranges.windows(2).any(|w| w[0].1 > w[1].0) {
            return Err(format!("allocation {base:#x}: segments share a page"));
        }
        for s in segments.iter().filter(|_| !shared) {
            let content = &s.content.0;
            // SAFETY: [addr, addr+size) lies in this reservation (checked
            // above), which is mapped read-write and not finalized yet; the
            // source is a separate Vec.
            unsafe {
                let dst = s.addr as *mut u8;
                std::ptr::copy_nonoverlapping(content.as_ptr(), dst, content.len());
                std::ptr::write_bytes(dst.add(content.len()), 0, (s.size as usize) - content.len());
            }
        }
        let memfd = match &res.shared {
            Some(Some(fd)) => Some(fd.as_raw_fd()),
            Some(None) => return Err(format!("allocation {base:#x}: its memfd is closed")),
            None => None,
        };
        for &(start, stop, prot) in &ranges {
            let flags = (if prot.read { libc::PROT_READ } else { 0 })
                | (if prot.write { libc::PROT_WRITE } else { 0 })
                | (if prot.exec { libc::PROT_EXEC } else { 0 });
            let len = (stop - start) as usize;
            if let Some(fd) = memfd {
                // Shared memory: each segment is mapped again with its
                // protection. Read-only and executable segments privately:
                // a debugger's breakpoint (a forced write) then copies the
                // page, as in any executable; the kernel refuses forced
                // writes to a read-only shared mapping. Writable data stays
                // shared (no copy).
                let share = if prot.write {
                    libc::MAP_SHARED
                } else {
                    libc::MAP_PRIVATE
                };
                // SAFETY: replaces page-aligned pages of our own reservation
                // (checked above) with a view of its own memfd at the same
                // offset; nothing in this process holds a Rust reference
                // into them.
                let got = unsafe {
                    libc::mmap(
                        start as *mut libc::c_void,
                        len,
                        flags,
                        share | libc::MAP_FIXED,
                        fd,
                        (start - base) as libc::off_t,
                    )
                };
                if got == libc::MAP_FAILED {
                    return Err(format!(
                        "mapping the shared segment {start:#x}..{stop:#x}: {}",
                        std::io::Error::last_os_error()
                    ));
                }
                continue;
            }
            // SAFETY: a page-aligned range inside our own mapping; nothing in
            // this process holds a Rust reference into it.
            if unsafe { libc::mprotect(start as *mut libc::c_void, len, flags) } != 0 {
                return Err(format!(
                    "mprotect of {start:#x}..{stop:#x}: {}",
                    std::io::Error::last_os_error()
                ));
            }
        }
        res.segments = Some(ranges);
        // The controller has its view by now: the descriptor may go.
        if let Some(fd) = res.shared.as_mut() {
            drop(fd.take());
        }
        Ok(base)
    }

    /// Takes the dealloc actions of the reservation at `base`
    /// (to run, in reverse, before [`Memory::unmap`]).
    pub fn take_dealloc_actions(&mut self, base: u64) -> Result<Vec<WrapperFunctionCall>, String> {
        let res = self
            .reservations
            .get_mut(&base)
            .ok_or_else(|| format!("attempt to deallocate unrecognized allocation {base:#x}"))?;
        Ok(std::mem::take(&mut res.dealloc_actions))
    }

    /// Sets the dealloc actions of a finalized allocation.
    pub fn finalize_actions(&mut self, base: u64, actions: Vec<WrapperFunctionCall>) {
        if let Some(res) = self.reservations.get_mut(&base) {
            res.dealloc_actions = actions;
        }
    }

    /// The range of the reservation at `base`.
    pub fn range(&self, base: u64) -> Result<(u64, u64), String> {
        self.reservations
            .get(&base)
            .map(|r| (base, base + r.size))
            .ok_or_else(|| format!("unrecognized allocation {base:#x}"))
    }

    /// Unmaps the reservation at `base`; returns its range.
    pub fn unmap(&mut self, base: u64) -> Result<(u64, u64), String> {
        let res = self
            .reservations
            .remove(&base)
            .ok_or_else(|| format!("attempt to deallocate unrecognized allocation {base:#x}"))?;
        // SAFETY: the whole mapping made by `reserve`, now forgotten: no
        // later request can name it.
        if unsafe { libc::munmap(base as *mut libc::c_void, res.size as usize) } != 0 {
            return Err(format!(
                "munmap of {base:#x}: {}",
                std::io::Error::last_os_error()
            ));
        }
        Ok((base, base + res.size))
    }

    /// Checks that `[addr, addr+len)` lies in one reservation and allows
    /// `access`: before finalize everything is read-write; after, the
    /// segment's protection decides.
    pub fn check(&self, addr: u64, len: u64, access: Access) -> Result<(), String> {
        let end = addr
            .checked_add(len)
            .ok_or_else(|| format!("range at {addr:#x} wraps"))?;
        let deny = |why: &str| Err(format!("{len:#x} bytes at {addr:#x}: {why}"));
        let Some((&base, res)) = self.reservations.range(..=addr).next_back() else {
            return deny("not in JIT memory");
        };
        if end > base + res.size {
            return deny("not in JIT memory");
        }
        let Some(segments) = &res.segments else {
            return if access == Access::Exec || res.shared.is_some() {
                deny("not finalized")
            } else {
                Ok(())
            };
        };
        let Some(&(_, stop, prot)) = segments.iter().find(|s| s.0 <= addr && addr < s.1) else {
            return deny("not in a finalized segment");
        };
        if end > stop {
            return deny("crosses a segment boundary");
        }
        let ok = match access {
            Access::Write => prot.write,
            Access::Read => prot.read,
            Access::Exec => prot.exec,
        };
        if ok {
            Ok(())
        } else {
            deny("segment protection does not allow it")
        }
    }
}
