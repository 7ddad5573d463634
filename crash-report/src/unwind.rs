//! The crash report's stack walk: the unwinder the JIT'd code is registered
//! with (`_Unwind_Backtrace`, which steps through the kernel's signal frame
//! and needs no frame pointers), and, where it stops at a frame without CFI
//! (code from tcc, nasm or hand-written assembly has no `.eh_frame`), the
//! checks gdb's prologue analysis would make:
//!
//! - at a function's first instruction (or at an address that is no code,
//!   after a call through a bad pointer), the return address is at the
//!   stack pointer;
//! - otherwise a valid frame-pointer chain (`rbp` above `rsp`, within reach,
//!   holding a return address into known code) gives the caller.
//!
//! The walk then goes on with the CFI from that caller, through
//! `lantern_unwind_from`, an assembly frame whose CFI says "my caller is there".
//! Frames found this way are marked as found by a heuristic. Everything
//! here is async-signal-safe: memory is read with `process_vm_readv`, which
//! fails instead of faulting.

use std::ffi::{c_int, c_void};

pub const MAX_FRAMES: usize = 64;

/// One frame of the walk.
#[derive(Clone, Copy, Default)]
pub struct Frame {
    pub pc: usize,
    /// `pc` is where the program was interrupted, not a return address.
    pub exact: bool,
    /// Found by a heuristic, not by CFI.
    pub heuristic: bool,
}

/// The frames of a crash, innermost first.
pub struct Walk {
    pub frames: [Frame; MAX_FRAMES],
    pub len: usize,
}

/// The interrupted registers (from the signal's context).
#[derive(Clone, Copy)]
pub struct Registers {
    pub rip: usize,
    pub rsp: usize,
    pub rbp: usize,
}

impl Registers {
    /// The registers saved in the `ucontext_t` a signal handler gets.
    ///
    /// # Safety
    /// `context` must be the third argument of an `SA_SIGINFO` handler.
    pub unsafe fn from_context(context: *mut c_void) -> Option<Registers> {
        if context.is_null() {
            return None;
        }
        // SAFETY: the kernel passes a valid ucontext_t to an SA_SIGINFO handler.
        let gregs = unsafe { &(*(context as *const libc::ucontext_t)).uc_mcontext.gregs };
        Some(Registers {
            rip: gregs[libc::REG_RIP as usize] as usize,
            rsp: gregs[libc::REG_RSP as usize] as usize,
            rbp: gregs[libc::REG_RBP as usize] as usize,
        })
    }
}

#[repr(C)]
struct UnwindContext {
    _private: [u8; 0],
}

type UnwindTraceFn = extern "C" fn(*mut UnwindContext, *mut c_void) -> c_int;

#[repr(C)]
struct EhBases {
    tbase: *mut c_void,
    dbase: *mut c_void,
    func: *mut c_void,
}

extern "C" {
    fn _Unwind_Backtrace(trace: UnwindTraceFn, arg: *mut c_void) -> c_int;
    fn _Unwind_GetIPInfo(context: *mut UnwindContext, ip_before_insn: *mut c_int) -> usize;
    fn _Unwind_GetGR(context: *mut UnwindContext, index: c_int) -> usize;
    fn _Unwind_GetCFA(context: *mut UnwindContext) -> usize;
    fn _Unwind_Find_FDE(pc: *mut c_void, bases: *mut EhBases) -> *const c_void;
    /// Calls `_Unwind_Backtrace(trace, arg)` from a frame whose caller is
    /// at `pc`, with the stack pointer `cfa` and frame pointer `rbp`.
    fn lantern_unwind_from(
        cfa: usize,
        pc: usize,
        rbp: usize,
        trace: UnwindTraceFn,
        arg: *mut c_void,
    ) -> c_int;
    static lantern_unwind_from_end: u8;
}

// r12 and r13 hold the caller's stack pointer and pc while
// `_Unwind_Backtrace` runs: its CFI says the return address is in r13 and
// the frame's CFA is r12, so the unwinder's next frame is the caller's.
std::arch::global_asm!(
    ".pushsection .text.lantern_unwind_from,\"ax\",@progbits",
    ".globl lantern_unwind_from",
    ".hidden lantern_unwind_from",
    ".type lantern_unwind_from,@function",
    "lantern_unwind_from:",
    ".cfi_startproc",
    "    push rbp",
    ".cfi_adjust_cfa_offset 8",
    ".cfi_offset rbp, -16",
    "    push r12",
    ".cfi_adjust_cfa_offset 8",
    ".cfi_offset r12, -24",
    "    push r13",
    ".cfi_adjust_cfa_offset 8",
    ".cfi_offset r13, -32",
    "    mov r12, rdi",
    "    mov r13, rsi",
    "    mov rbp, rdx",
    "    mov rdi, rcx",
    "    mov rsi, r8",
    // From here the frame is described as the crashed caller's.
    ".cfi_remember_state",
    ".cfi_def_cfa r12, 0",
    ".cfi_register rip, r13",
    ".cfi_same_value rbp",
    ".cfi_same_value r12",
    ".cfi_same_value r13",
    "    call _Unwind_Backtrace",
    ".cfi_restore_state",
    "    pop r13",
    "    pop r12",
    "    pop rbp",
    "    ret",
    ".cfi_endproc",
    ".globl lantern_unwind_from_end",
    ".hidden lantern_unwind_from_end",
    "lantern_unwind_from_end:",
    ".size lantern_unwind_from, . - lantern_unwind_from",
    ".popsection",
);

/// The state of one `_Unwind_Backtrace` pass.
struct Pass<'w> {
    walk: &'w mut Walk,
    /// Frames are taken from here on (before it: the handler's own, or the
    /// trampoline's and the unwinder's).
    started: bool,
    /// Skip frames until the one after the trampoline.
    after_trampoline: bool,
    /// The last frame taken: its registers, for a heuristic step.
    last: Option<Registers>,
}

extern "C" fn collect(context: *mut UnwindContext, arg: *mut c_void) -> c_int {
    // SAFETY: `arg` is the `Pass` given to _Unwind_Backtrace.
    let pass = unsafe { &mut *(arg as *mut Pass<'_>) };
    let mut exact: c_int = 0;
    // SAFETY: the context is the unwinder's current frame.
    let ip = unsafe { _Unwind_GetIPInfo(context, &mut exact) };
    if pass.after_trampoline {
        let start = lantern_unwind_from as *const () as usize;
        let end = (&raw const lantern_unwind_from_end) as usize;
        if (start..end).contains(&ip) {
            pass.after_trampoline = false;
            pass.started = true;
        }
        return 0;
    }
    // The signal frame's pc is exact: that is where the program was interrupted.
    if exact != 0 {
        pass.started = true;
    }
    if !pass.started || ip == 0 {
        return 0;
    }
    if pass.walk.len == MAX_FRAMES {
        return 5; // _URC_END_OF_STACK
    }
    pass.walk.frames[pass.walk.len] = Frame {
        pc: ip,
        exact: exact != 0,
        heuristic: false,
    };
    pass.walk.len += 1;
    // The stack pointer is the CFA of the frame unwound last (libgcc keeps
    // no saved value for it: `_Unwind_GetGR(7)` would read through null);
    // rbp is callee-saved, so the unwinder tracks it.
    // SAFETY: reading registers of the unwinder's current frame.
    pass.last = Some(unsafe {
        Registers {
            rip: ip,
            rsp: _Unwind_GetCFA(context),
            rbp: _Unwind_GetGR(context, 6),
        }
    });
    0
}

/// Whether an address is JIT'd code, and if so where the symbol that holds
/// it starts (`None` when the tables cannot tell without blocking).
pub type JitCodeAt = fn(u64) -> Option<Option<u64>>;

/// Walks the crashed thread's stack, from inside its signal handler.
/// `jit_code_at` tells JIT'd code (for the heuristics) without allocating
/// or blocking.
pub fn walk(interrupted: Option<Registers>, jit_code_at: JitCodeAt) -> Walk {
    let mut walk = Walk {
        frames: [Frame::default(); MAX_FRAMES],
        len: 0,
    };
    let mut last = {
        let mut pass = Pass {
            walk: &mut walk,
            started: false,
            after_trampoline: false,
            last: None,
        };
        // SAFETY: the callback only writes into `pass`.
        unsafe { _Unwind_Backtrace(collect, &mut pass as *mut Pass<'_> as *mut c_void) };
        pass.last
    };
    // A crash at pc 0 (a call through a null pointer) leaves no frame: the
    // interrupted registers are the place to start.
    if walk.len == 0 {
        last = interrupted;
    } else if let (Some(regs), Some(l)) = (interrupted, last.as_mut()) {
        // The interrupted frame's registers are exact; the unwinder's are too
        // for later frames.
        if walk.len == 1 && l.rip == regs.rip {
            *l = regs;
        }
    }
    while walk.len < MAX_FRAMES {
        let Some(regs) = last else { break };
        let exact = walk.len == 0 || walk.frames[walk.len - 1].exact;
        if has_cfi(regs.rip, exact) {
            break;
        }
        let Some(caller) = step(regs, exact, jit_code_at) else {
            break;
        };
        walk.frames[walk.len] = Frame {
            pc: caller.rip,
            exact: false,
            heuristic: true,
        };
        walk.len += 1;
        // Back to CFI from the caller on.
        let before = walk.len;
        let mut pass = Pass {
            walk: &mut walk,
            started: false,
            after_trampoline: true,
            last: None,
        };
        // SAFETY: the trampoline calls _Unwind_Backtrace with our callback,
        // which only writes into `pass`; the registers are only read by the
        // unwinder through the CFI, from memory it can read.
        unsafe {
            lantern_unwind_from(
                caller.rsp,
                caller.rip,
                caller.rbp,
                collect,
                &mut pass as *mut Pass<'_> as *mut c_void,
            )
        };
        last = pass.last;
        // The caller itself comes first in that pass: drop the duplicate.
        if walk.len > before && walk.frames[before].pc == caller.rip {
            walk.frames.copy_within(before + 1..walk.len, before);
            walk.len -= 1;
        }
        if walk.len == before {
            // Nothing past the caller: try a heuristic from it.
            last = Some(caller);
        }
    }
    walk
}

/// Whether the unwinder has CFI for the code at `pc` (a return address
/// unless `exact`).
fn has_cfi(pc: usize, exact: bool) -> bool {
    let lookup = if exact { pc } else { pc.wrapping_sub(1) };
    let mut bases = EhBases {
        tbase: std::ptr::null_mut(),
        dbase: std::ptr::null_mut(),
        func: std::ptr::null_mut(),
    };
    // SAFETY: _Unwind_Find_FDE reads the registered frame tables and fills `bases`.
    !unsafe { _Unwind_Find_FDE(lookup as *mut c_void, &mut bases) }.is_null()
}

/// The caller of a frame without CFI, if a check finds it.
fn step(regs: Registers, exact: bool, jit_code_at: JitCodeAt) -> Option<Registers> {
    let jit = jit_code_at(regs.rip as u64);
    let at_entry = match jit {
        Some(Some(start)) => exact && start == regs.rip as u64,
        Some(None) => false,
        // No code known there: a call through a bad pointer.
        None => exact && !is_code(regs.rip, jit_code_at),
    };
    if at_entry {
        let ra = read_word(regs.rsp)?;
        if is_code(ra, jit_code_at) {
            return Some(Registers {
                rip: ra,
                rsp: regs.rsp + 8,
                rbp: regs.rbp,
            });
        }
    }
    // A frame-pointer chain: [rbp] is the caller's rbp, [rbp + 8] the return address.
    const MAX_FRAME: usize = 1 << 20;
    let rbp = regs.rbp;
    if rbp < regs.rsp || rbp - regs.rsp > MAX_FRAME || !rbp.is_multiple_of(8) {
        return None;
    }
    let caller_rbp = read_word(rbp)?;
    let ra = read_word(rbp + 8)?;
    if !is_code(ra, jit_code_at) || ra == regs.rip {
        return None;
    }
    Some(Registers {
        rip: ra,
        rsp: rbp + 16,
        rbp: caller_rbp,
    })
}

/// Whether `addr` is in JIT'd code or in an object the loader knows.
fn is_code(addr: usize, jit_code_at: JitCodeAt) -> bool {
    if addr < 4096 {
        return false;
    }
    if jit_code_at(addr as u64).is_some() {
        return true;
    }
    let mut info: libc::Dl_info = unsafe { std::mem::zeroed() };
    // SAFETY: dladdr only reads the loader's tables and fills `info`.
    unsafe { libc::dladdr(addr as *const c_void, &mut info) != 0 }
}

/// Reads 8 bytes of this process at `addr`, or nothing if they are not mapped.
fn read_word(addr: usize) -> Option<usize> {
    let mut value: usize = 0;
    let local = libc::iovec {
        iov_base: (&mut value as *mut usize).cast(),
        iov_len: 8,
    };
    let remote = libc::iovec {
        iov_base: addr as *mut c_void,
        iov_len: 8,
    };
    // SAFETY: process_vm_readv writes at most 8 bytes into `value` and
    // reports unmapped memory as an error instead of faulting.
    let n = unsafe { libc::process_vm_readv(libc::getpid(), &local, 1, &remote, 1, 0) };
    (n == 8).then_some(value)
}
