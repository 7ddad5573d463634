//! The running executable's own function symbols, for the host frames of a
//! crash report: `dladdr` knows only exported symbols (it names a
//! non-exported function `??`, or after the nearest exported one). The
//! executable's `.symtab` is mapped when the handler is installed and
//! scanned only at a crash: reading memory, allocating nothing, costing a
//! program that does not crash nothing but the mapping.

use std::fmt;
use std::os::fd::AsRawFd;

const SHT_SYMTAB: u32 = 2;
const ET_DYN: u16 = 3;
const STT_FUNC: u8 = 2;
const SYMBOL: usize = 24;
const SECTION_HEADER: usize = 64;

/// The executable's symbol and string tables, and its load bias.
#[derive(Debug, Clone, Copy)]
pub struct ExecutableSymbols {
    symbols: &'static [u8],
    strings: &'static [u8],
    bias: u64,
}

fn u16_at(data: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(data.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(data.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(data: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(data.get(at..at + 8)?.try_into().ok()?))
}

/// Section `index`'s bytes of the ELF file `data` and its `sh_link`.
fn section(data: &'static [u8], index: usize) -> Option<(u32, &'static [u8], u32)> {
    let shoff = usize::try_from(u64_at(data, 0x28)?).ok()?;
    let header = shoff.checked_add(index.checked_mul(SECTION_HEADER)?)?;
    let kind = u32_at(data, header + 4)?;
    let offset = usize::try_from(u64_at(data, header + 0x18)?).ok()?;
    let size = usize::try_from(u64_at(data, header + 0x20)?).ok()?;
    let link = u32_at(data, header + 0x28)?;
    Some((kind, data.get(offset..offset.checked_add(size)?)?, link))
}

impl ExecutableSymbols {
    /// Maps `/proc/self/exe` for the process's life and finds its symbol
    /// table; `None` for a stripped executable or an unreadable one.
    pub fn load() -> Option<Self> {
        let file = std::fs::File::open("/proc/self/exe").ok()?;
        let len = usize::try_from(file.metadata().ok()?.len()).ok()?;
        if len == 0 {
            return None;
        }
        // SAFETY: a fresh private read-only mapping of the running
        // executable, never unmapped (the handler may read it at any time);
        // the kernel refuses writes to a running binary, so it does not change.
        let map = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_PRIVATE,
                file.as_raw_fd(),
                0,
            )
        };
        if map == libc::MAP_FAILED {
            return None;
        }
        // SAFETY: `len` readable bytes, mapped for the process's life.
        let data: &'static [u8] = unsafe { std::slice::from_raw_parts(map as *const u8, len) };
        Self::parse(data, program_load_bias)
    }

    /// The tables of the ELF64 file `data`; `bias` gives the load bias of a
    /// position-independent one.
    fn parse(data: &'static [u8], bias: impl FnOnce() -> Option<u64>) -> Option<Self> {
        if data.get(..4)? != b"\x7fELF" || data.get(4) != Some(&2) || data.get(5) != Some(&1) {
            return None;
        }
        let sections = usize::from(u16_at(data, 0x3c)?);
        let (_, symbols, link) = (0..sections)
            .filter_map(|i| section(data, i))
            .find(|(kind, _, _)| *kind == SHT_SYMTAB)?;
        let (_, strings, _) = section(data, link as usize)?;
        let bias = if u16_at(data, 0x10)? == ET_DYN {
            bias()?
        } else {
            0
        };
        Some(ExecutableSymbols {
            symbols,
            strings,
            bias,
        })
    }

    /// The name of the function symbol covering `addr`, as stored (mangled).
    pub fn function_at(&self, addr: u64) -> Option<&'static str> {
        let addr = addr.checked_sub(self.bias)?;
        let symbols = self.symbols;
        let found = symbols.chunks_exact(SYMBOL).find(|s| {
            let (start, size) = (u64_at(s, 8).unwrap_or(0), u64_at(s, 16).unwrap_or(0));
            s[4] & 0xf == STT_FUNC && size > 0 && start <= addr && addr - start < size
        })?;
        let name = usize::try_from(u32_at(found, 0)?).ok()?;
        let rest = self.strings.get(name..)?;
        let end = rest.iter().position(|&b| b == 0)?;
        std::str::from_utf8(&rest[..end]).ok()
    }
}

/// The main program's load bias: the loader lists the program first.
fn program_load_bias() -> Option<u64> {
    extern "C" fn first(
        info: *mut libc::dl_phdr_info,
        _size: usize,
        data: *mut std::ffi::c_void,
    ) -> std::ffi::c_int {
        // SAFETY: the loader passes a valid entry; `data` is the u64 below.
        unsafe { *(data as *mut u64) = (*info).dlpi_addr };
        1 // stop after the first
    }
    let mut bias: u64 = u64::MAX;
    // SAFETY: the callback writes only the u64 it is given.
    unsafe { libc::dl_iterate_phdr(Some(first), (&mut bias as *mut u64).cast()) };
    (bias != u64::MAX).then_some(bias)
}

/// A symbol name as a report prints it: Rust's mangled names demangled
/// (without the hash), others as they are. Allocates nothing.
pub struct Demangled<'a>(pub &'a str);

impl fmt::Display for Demangled<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#}", rustc_demangle::demangle(self.0))
    }
}

/// Writes a host frame's `#N 0xPC in NAME (OBJECT)`: the function from the
/// executable's symbol table when `executable` has it, otherwise the symbol
/// `dladdr` finds, `??` when none; the object `dladdr` says holds `lookup`.
/// Allocates nothing (a signal handler calls it).
pub fn write_host_frame<W: fmt::Write>(
    out: &mut W,
    number: usize,
    pc: usize,
    lookup: usize,
    executable: Option<&ExecutableSymbols>,
) -> fmt::Result {
    // SAFETY: a zeroed Dl_info is a valid out-parameter.
    let mut info: libc::Dl_info = unsafe { std::mem::zeroed() };
    // SAFETY: dladdr only reads the loader's tables and fills `info`.
    let found = unsafe { libc::dladdr(lookup as *const std::ffi::c_void, &mut info) } != 0;
    write!(out, "#{number} {pc:#018x} in ")?;
    if let Some(name) = executable.and_then(|e| e.function_at(lookup as u64)) {
        write!(out, "{}", Demangled(name))?;
    } else if found && !info.dli_sname.is_null() {
        // SAFETY: dladdr's strings are NUL-terminated and stay loaded.
        let name = unsafe { std::ffi::CStr::from_ptr(info.dli_sname) };
        // `to_str`, not `to_string_lossy`: no allocation in a signal handler.
        write!(out, "{}", name.to_str().unwrap_or("??"))?;
    } else {
        write!(out, "??")?;
    }
    if found && !info.dli_fname.is_null() {
        // SAFETY: as above.
        let object = unsafe { std::ffi::CStr::from_ptr(info.dli_fname) }
            .to_str()
            .unwrap_or("??");
        let base = object.rsplit('/').next().unwrap_or(object);
        write!(out, " ({base})")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[inline(never)]
    fn a_function_of_this_test() -> u64 {
        std::hint::black_box(a_function_of_this_test as *const () as u64)
    }

    #[test]
    fn names_a_function_of_the_running_executable() {
        let symbols = ExecutableSymbols::load().expect("the test binary has a symbol table");
        let addr = a_function_of_this_test();
        let name = symbols.function_at(addr + 1).expect("found");
        let shown = Demangled(name).to_string();
        assert!(
            shown.ends_with("tests::a_function_of_this_test"),
            "{name} -> {shown}"
        );
        assert_eq!(symbols.function_at(0), None);
    }

    #[test]
    fn refuses_what_is_not_elf64() {
        assert!(ExecutableSymbols::parse(b"not an ELF file at all", || Some(0)).is_none());
        let mut truncated = b"\x7fELF\x02\x01".to_vec();
        truncated.resize(0x40, 0);
        let truncated: &'static [u8] = truncated.leak();
        assert!(ExecutableSymbols::parse(truncated, || Some(0)).is_none());
    }
}
