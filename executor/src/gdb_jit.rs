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

// SAFETY: the entries are owned by the GdbJit and only touched through it,
// under the session lock (one thread at a time).
unsafe impl Send for GdbJit {}
