//! Thread-local storage: a unit's TLS image arrives as the minimal shared
//! object the controller builds (one PT_TLS segment, no code), is written to
//! a memfd and `dlopen`ed, so glibc gives every thread, existing and future,
//! its initialized copy and `__tls_get_addr` finds it by its module id. A
//! static image (local-exec, initial-exec, TLS descriptors) carries a
//! `R_X86_64_TPOFF64` against itself, which makes `dlopen` place it in static
//! TLS at one offset from the thread pointer; the offset is measured here.
//! The same as the in-process executor (core/src/executor/in_process.rs).

use super::*;

use lantern_dynsym::dl_error;

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// Checks that `object` is what a TLS image is: a little-endian ELF64
/// x86-64 shared object with a PT_TLS segment, no executable segment and no
/// initializers, so loading it runs nothing.
fn check_image(object: &[u8]) -> Result<(), String> {
    let bad = |why: &str| Err(format!("TLS image: {why}"));
    if object.len() < 64 || &object[..4] != b"\x7fELF" || object[4] != 2 || object[5] != 1 {
        return bad("not a little-endian ELF64 file");
    }
    if u16_at(object, 16) != Some(3) || u16_at(object, 18) != Some(62) {
        return bad("not an x86-64 shared object (ET_DYN, EM_X86_64)");
    }
    let (Some(phoff), Some(phentsize), Some(phnum)) =
        (u64_at(object, 32), u16_at(object, 54), u16_at(object, 56))
    else {
        return bad("truncated header");
    };
    if phentsize != 56 {
        return bad("program header size is not 56");
    }
    let mut tls = false;
    for i in 0..u64::from(phnum) {
        let at = phoff
            .checked_add(i * 56)
            .and_then(|a| usize::try_from(a).ok())
            .ok_or("TLS image: program headers out of range")?;
        let (Some(kind), Some(flags)) = (u32_at(object, at), u32_at(object, at + 4)) else {
            return bad("program headers out of range");
        };
        const PT_LOAD: u32 = 1;
        const PT_DYNAMIC: u32 = 2;
        const PT_TLS: u32 = 7;
        const PF_X: u32 = 1;
        match kind {
            PT_LOAD if flags & PF_X != 0 => return bad("an executable segment"),
            PT_TLS => tls = true,
            PT_DYNAMIC => {
                let (Some(offset), Some(size)) = (u64_at(object, at + 8), u64_at(object, at + 32))
                else {
                    return bad("dynamic segment out of range");
                };
                let start = usize::try_from(offset).map_err(|_| "TLS image: bad offset")?;
                let end = usize::try_from(offset.saturating_add(size))
                    .map_err(|_| "TLS image: bad size")?;
                let dynamic = object
                    .get(start..end)
                    .ok_or("TLS image: dynamic out of range")?;
                for entry in dynamic.chunks_exact(16) {
                    let tag = u64_at(entry, 0).unwrap_or(0);
                    // DT_NEEDED, DT_INIT, DT_FINI, DT_INIT_ARRAY,
                    // DT_FINI_ARRAY, DT_PREINIT_ARRAY.
                    if matches!(tag, 1 | 12 | 13 | 25 | 26 | 32) {
                        return bad(&format!("dynamic tag {tag} (code or libraries to load)"));
                    }
                }
            }
            _ => {}
        }
    }
    if !tls {
        return bad("no PT_TLS segment");
    }
    Ok(())
}

impl Session {
    pub(super) fn load_tls_image(&mut self, args: &[u8]) -> Result<Vec<u8>, Fatal> {
        let r = (|| {
            let (object, static_tls): (Bytes, bool) = decode(args, "TLS image load")?;
            check_image(&object.0)?;
            // SAFETY: memfd_create with a static NUL-terminated name.
            let fd = unsafe { libc::memfd_create(c"lantern-tls".as_ptr(), libc::MFD_CLOEXEC) };
            if fd < 0 {
                return Err(format!("memfd_create: {}", std::io::Error::last_os_error()));
            }
            // SAFETY: `fd` was just created and is owned here.
            let file = unsafe { <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(fd) };
            (&file)
                .write_all(&object.0)
                .map_err(|e| format!("writing the TLS image: {e}"))?;
            // The pid, not `self`: debuggers read the loaded object by this name.
            let path = CString::new(format!("/proc/{}/fd/{fd}", std::process::id()))
                .map_err(|_| "NUL in a path")?;
            // SAFETY: dlopen of the object just written and checked: it has
            // no code, no initializers and needs no library.
            let handle = unsafe { libc::dlopen(path.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
            if handle.is_null() {
                return Err(format!("cannot register the TLS image: {}", dl_error()));
            }
            // SAFETY: the handle dlopen just returned.
            let Some(module_id) = (unsafe { lantern_dynsym::tls_module_id(handle) }) else {
                // SAFETY: closing the handle opened above.
                unsafe { libc::dlclose(handle) };
                return Err(format!("the TLS image got no module id: {}", dl_error()));
            };
            // A static block is at the same offset from every thread's pointer.
            let tp_offset = if static_tls {
                lantern_dynsym::tls_block(module_id) as i64
                    - lantern_dynsym::thread_pointer() as i64
            } else {
                0
            };
            // The file stays open while the image is loaded (debuggers open it by its path).
            let fd = std::os::fd::IntoRawFd::into_raw_fd(file);
            self.tls_images.insert(handle as u64, fd);
            Ok((module_id, handle as u64, static_tls, tp_offset))
        })();
        Ok(to_bytes(&SpsExpected(r)))
    }

    pub(super) fn release_tls_image(&mut self, args: &[u8]) -> Result<Vec<u8>, Fatal> {
        let r = (|| {
            let handle: u64 = decode(args, "TLS image release")?;
            let fd = self
                .tls_images
                .remove(&handle)
                .ok_or_else(|| format!("TLS image release: unknown handle {handle:#x}"))?;
            // SAFETY: a handle this session's dlopen returned and not closed
            // since (removed from the set above), and its memfd.
            unsafe {
                libc::dlclose(handle as *mut libc::c_void);
                libc::close(fd);
            }
            Ok(())
        })();
        Ok(sps_error(r))
    }
}

#[cfg(test)]
mod tests {
    use super::check_image;

    #[test]
    fn images_that_are_not_tls_objects_are_refused() {
        assert!(check_image(b"").unwrap_err().contains("ELF64"));
        let mut header = vec![0u8; 64];
        header[..6].copy_from_slice(b"\x7fELF\x02\x01");
        header[16] = 2; // ET_EXEC
        header[18] = 62;
        assert!(check_image(&header).unwrap_err().contains("ET_DYN"));
        header[16] = 3;
        header[32] = 64; // phoff
        header[54] = 56;
        header[56] = 1; // one program header, missing
        assert!(check_image(&header).unwrap_err().contains("out of range"));
        header.extend_from_slice(&[0u8; 56]);
        header[64] = 1; // PT_LOAD
        header[68] = 5; // R+X
        assert!(check_image(&header).unwrap_err().contains("executable"));
        header[68] = 4;
        assert!(check_image(&header).unwrap_err().contains("PT_TLS"));
    }
}
