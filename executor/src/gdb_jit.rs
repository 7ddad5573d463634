//! The GDB JIT interface of the executor process: `__jit_debug_descriptor`
//! and `__jit_debug_register_code`, which gdb and lldb break on to learn
//! about JIT'd objects. The same ABI as plugins/src/gdb_jit.rs, kept here so
//! the executor does not link the linker; exported by build.rs.

std::arch::global_asm!(
    ".pushsection .text.__jit_debug_register_code,\"ax\",@progbits",
    ".weak __jit_debug_register_code",
    ".type __jit_debug_register_code,@function",
    "__jit_debug_register_code:",
    "    ret",
    ".size __jit_debug_register_code, . - __jit_debug_register_code",
    ".popsection",
    ".pushsection .data.__jit_debug_descriptor,\"aw\",@progbits",
    ".weak __jit_debug_descriptor",
    ".type __jit_debug_descriptor,@object",
    ".p2align 3",
    "__jit_debug_descriptor:",
    "    .long 1",
    "    .long 0",
    "    .quad 0",
    "    .quad 0",
    ".size __jit_debug_descriptor, 24",
    ".popsection",
);

const JIT_NOACTION: u32 = 0;
const JIT_REGISTER_FN: u32 = 1;
const JIT_UNREGISTER_FN: u32 = 2;

#[repr(C)]
struct JitCodeEntry {
    next_entry: *mut JitCodeEntry,
    prev_entry: *mut JitCodeEntry,
    symfile_addr: u64,
    symfile_size: u64,
}

#[repr(C)]
struct JitDescriptor {
    version: u32,
    action_flag: u32,
    relevant_entry: *mut JitCodeEntry,
    first_entry: *mut JitCodeEntry,
}

extern "C" {
    fn __jit_debug_register_code();
    static mut __jit_debug_descriptor: JitDescriptor;
}

/// The registered objects, owned by the (single-threaded) session.
#[derive(Debug, Default)]
pub struct GdbJit {
    entries: Vec<(u64, u64, *mut JitCodeEntry)>,
}

impl GdbJit {
    /// Puts the object at `[addr, addr+size)` first in the list; with
    /// `notify`, calls the hook so an attached debugger reads it now.
    /// The caller has checked that the range is readable JIT memory.
    pub fn register(&mut self, addr: u64, size: u64, notify: bool) {
        let entry = Box::into_raw(Box::new(JitCodeEntry {
            next_entry: std::ptr::null_mut(),
            prev_entry: std::ptr::null_mut(),
            symfile_addr: addr,
            symfile_size: size,
        }));
        // SAFETY: the descriptor and its entries are only touched by this
        // session's thread; `entry` is a fresh allocation.
        unsafe {
            let d = &raw mut __jit_debug_descriptor;
            let first = (*d).first_entry;
            (*entry).next_entry = first;
            if !first.is_null() {
                (*first).prev_entry = entry;
            }
            (*d).first_entry = entry;
            if notify {
                (*d).relevant_entry = entry;
                (*d).action_flag = JIT_REGISTER_FN;
                __jit_debug_register_code();
                (*d).action_flag = JIT_NOACTION;
                (*d).relevant_entry = std::ptr::null_mut();
            }
        }
        self.entries.push((addr, size, entry));
    }

    /// Unregisters every object inside `[start, end)`: memory about to be
    /// unmapped must leave the debugger's list first.
    pub fn unregister_within(&mut self, start: u64, end: u64) {
        let (gone, kept) = std::mem::take(&mut self.entries)
            .into_iter()
            .partition(|&(a, s, _)| a >= start && a + s <= end);
        self.entries = kept;
        let gone: Vec<(u64, u64, *mut JitCodeEntry)> = gone;
        for (_, _, entry) in gone {
            // SAFETY: `entry` is in the descriptor's list (made by
            // `register`, removed only here); its neighbours are live.
            unsafe {
                let d = &raw mut __jit_debug_descriptor;
                let (prev, next) = ((*entry).prev_entry, (*entry).next_entry);
                if prev.is_null() {
                    (*d).first_entry = next;
                } else {
                    (*prev).next_entry = next;
                }
                if !next.is_null() {
                    (*next).prev_entry = prev;
                }
                (*d).relevant_entry = entry;
                (*d).action_flag = JIT_UNREGISTER_FN;
                __jit_debug_register_code();
                (*d).action_flag = JIT_NOACTION;
                (*d).relevant_entry = std::ptr::null_mut();
                drop(Box::from_raw(entry));
            }
        }
    }
}

impl GdbJit {
    /// Makes gdb re-set its breakpoints now, by registering and
    /// unregistering an object with nothing in it: after an object leaves
    /// and while its code is still mapped. gdb keeps a removed object's
    /// breakpoint locations "inserted" until the next registration; if new
    /// code lands at the same address by then (`mmap` reuses freed ranges),
    /// it inherits that state, gets no breakpoint instruction, and the
    /// breakpoint never stops again. (The in-process registry does the
    /// same, plugins/src/debug_object/registry.rs.) lldb is left alone: it
    /// needs none of this, and pays for each registration.
    pub fn resync_breakpoints(&mut self) {
        if traced_by_lldb() {
            return;
        }
        let empty = empty_object();
        let (addr, size) = (empty.as_ptr() as u64, empty.len() as u64);
        self.register(addr, size, true);
        self.unregister_within(addr, addr + size);
    }
}

/// Whether a debugger has a breakpoint on the JIT hook (gdb and lldb both
/// do while attached): no system call.
fn debugger_listening() -> bool {
    let hook = __jit_debug_register_code as *const u8;
    // SAFETY: the hook is a function of this process: its first byte is
    // mapped and readable (code pages are read-execute). Volatile: a
    // debugger rewrites it behind the compiler's back.
    unsafe { std::ptr::read_volatile(hook) == 0xcc }
}

/// Whether this process is traced by lldb. `/proc` is read only while a
/// debugger listens (a churn removes a unit, and asks, every cycle).
fn traced_by_lldb() -> bool {
    if !debugger_listening() {
        return false;
    }
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return false;
    };
    let tracer = status
        .lines()
        .find_map(|l| l.strip_prefix("TracerPid:"))
        .map(str::trim)
        .unwrap_or("0");
    tracer != "0"
        && std::fs::read_to_string(format!("/proc/{tracer}/comm"))
            .is_ok_and(|comm| comm.starts_with("lldb"))
}

/// An x86-64 ELF relocatable object with no sections but its section
/// names: a file header, the null section and `.shstrtab`.
fn empty_object() -> &'static [u8] {
    static EMPTY: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    EMPTY.get_or_init(|| {
        const NAMES: &[u8] = b"\0.shstrtab\0";
        let mut elf = Vec::with_capacity(64 * 3 + NAMES.len());
        elf.extend_from_slice(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0");
        elf.extend_from_slice(&1u16.to_le_bytes()); // ET_REL
        elf.extend_from_slice(&62u16.to_le_bytes()); // EM_X86_64
        elf.extend_from_slice(&1u32.to_le_bytes()); // EV_CURRENT
        elf.extend_from_slice(&0u64.to_le_bytes()); // e_entry
        elf.extend_from_slice(&0u64.to_le_bytes()); // e_phoff
        elf.extend_from_slice(&64u64.to_le_bytes()); // e_shoff
        elf.extend_from_slice(&0u32.to_le_bytes()); // e_flags
        for half in [64u16, 0, 0, 64, 2, 1] {
            // e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx
            elf.extend_from_slice(&half.to_le_bytes());
        }
        elf.extend_from_slice(&[0; 64]); // the null section
        elf.extend_from_slice(&1u32.to_le_bytes()); // sh_name: ".shstrtab"
        elf.extend_from_slice(&3u32.to_le_bytes()); // SHT_STRTAB
        for word in [0u64, 0, 192, NAMES.len() as u64] {
            // sh_flags, sh_addr, sh_offset, sh_size
            elf.extend_from_slice(&word.to_le_bytes());
        }
        elf.extend_from_slice(&[0; 8]); // sh_link, sh_info
        elf.extend_from_slice(&1u64.to_le_bytes()); // sh_addralign
        elf.extend_from_slice(&0u64.to_le_bytes()); // sh_entsize
        elf.extend_from_slice(NAMES);
        elf
    })
}

// SAFETY: the entries are owned by the GdbJit and only touched through it,
// under the session lock (one thread at a time).
unsafe impl Send for GdbJit {}

#[cfg(test)]
mod tests {
    #[test]
    fn the_empty_object_is_well_formed() {
        let elf = super::empty_object();
        assert_eq!(elf.len(), 192 + 11);
        assert_eq!(&elf[..4], b"\x7fELF");
        let shoff = u64::from_le_bytes(elf[40..48].try_into().unwrap()) as usize;
        let strtab = &elf[shoff + 64..shoff + 128];
        let offset = u64::from_le_bytes(strtab[24..32].try_into().unwrap()) as usize;
        assert_eq!(&elf[offset + 1..offset + 10], b".shstrtab");
    }
}
