//! The executor side of lazy reexports: `__lantern_reentry`, which every
//! lazy entry's trampoline calls, and the resolver it calls.
//!
//! A trampoline is `call hop; jmp *%r11`, and the hop (one per trampoline
//! unit) `jmp *__lantern_reentry_ptr(%rip)`, so on entry the stack holds
//! the trampoline's return address (which identifies the entry) above the
//! caller's. `__lantern_reentry` saves every register an argument can be in
//! (SysV: rdi, rsi, rdx, rcx, r8, r9, rax for the vector count of a varargs
//! call, r10 for a static chain, xmm0–7), calls the resolver on a
//! 16-byte-aligned stack with the trampoline's return address, puts the
//! implementation the resolver returns in r11 (a scratch register, which a
//! PLT entry may clobber too), restores the others and returns into the
//! trampoline, which jumps to the implementation: the stack is then exactly
//! as the caller left it, so the implementation returns straight to the
//! caller and no trampoline frame is left behind. ORC's runtime re-entry
//! works the same way, except that it returns into the implementation
//! itself; returning into the trampoline lets gdb's `step` run the link at
//! full speed and stop at the implementation's first line (docs/lazy.md,
//! "Debugging").
//!
//! CFI (`.cfi_*`, in the binary's `.eh_frame`) describes the frame, so
//! unwinders, gdb, lldb and crash reports walk from the resolver through
//! `__lantern_reentry` and the trampoline to the caller.
//!
//! Only the low 128 bits of vector registers are kept: a function taking
//! `__m256`/`__m512` arguments must not be lazy.

use super::reexports;

std::arch::global_asm!(
    ".pushsection .text.__lantern_reentry,\"ax\",@progbits",
    ".globl __lantern_reentry",
    ".hidden __lantern_reentry",
    ".type __lantern_reentry,@function",
    ".p2align 4",
    "__lantern_reentry:",
    ".cfi_startproc",
    "    push rbp",
    ".cfi_def_cfa_offset 16",
    ".cfi_offset rbp, -16",
    "    mov rbp, rsp",
    ".cfi_def_cfa_register rbp",
    // 9 general registers and 8 xmm registers, 16-byte aligned.
    "    sub rsp, 208",
    "    and rsp, -16",
    "    movdqa [rsp + 0], xmm0",
    "    movdqa [rsp + 16], xmm1",
    "    movdqa [rsp + 32], xmm2",
    "    movdqa [rsp + 48], xmm3",
    "    movdqa [rsp + 64], xmm4",
    "    movdqa [rsp + 80], xmm5",
    "    movdqa [rsp + 96], xmm6",
    "    movdqa [rsp + 112], xmm7",
    "    mov [rsp + 128], rdi",
    "    mov [rsp + 136], rsi",
    "    mov [rsp + 144], rdx",
    "    mov [rsp + 152], rcx",
    "    mov [rsp + 160], r8",
    "    mov [rsp + 168], r9",
    "    mov [rsp + 176], rax",
    "    mov [rsp + 184], r10",
    "    mov [rsp + 192], r11",
    "    mov rdi, [rbp + 8]",
    "    call {resolve}",
    // The implementation, for the trampoline's `jmp *%r11` (r11 is a
    // scratch register in the SysV ABI, as a PLT entry may clobber it).
    "    mov r11, rax",
    "    movdqa xmm0, [rsp + 0]",
    "    movdqa xmm1, [rsp + 16]",
    "    movdqa xmm2, [rsp + 32]",
    "    movdqa xmm3, [rsp + 48]",
    "    movdqa xmm4, [rsp + 64]",
    "    movdqa xmm5, [rsp + 80]",
    "    movdqa xmm6, [rsp + 96]",
    "    movdqa xmm7, [rsp + 112]",
    "    mov rdi, [rsp + 128]",
    "    mov rsi, [rsp + 136]",
    "    mov rdx, [rsp + 144]",
    "    mov rcx, [rsp + 152]",
    "    mov r8, [rsp + 160]",
    "    mov r9, [rsp + 168]",
    "    mov rax, [rsp + 176]",
    "    mov r10, [rsp + 184]",
    "    mov rsp, rbp",
    ".cfi_def_cfa_register rsp",
    "    pop rbp",
    ".cfi_def_cfa_offset 8",
    // Back into the trampoline, which jumps to the implementation with the
    // caller's stack and arguments.
    "    ret",
    ".cfi_endproc",
    ".size __lantern_reentry, . - __lantern_reentry",
    ".popsection",
    resolve = sym lazy_resolve,
);

extern "C" {
    fn __lantern_reentry();
}

/// The executor address of `__lantern_reentry` (what the trampolines'
/// shared pointer holds; the executor's runtime lookup gives it out by name).
pub(crate) fn reentry_addr() -> u64 {
    __lantern_reentry as *const () as usize as u64
}

/// Called by `__lantern_reentry` with a trampoline's return address: links
/// what the entry needs and returns the address to continue at. Never
/// returns on failure (the error handler decides; by default it aborts).
extern "C" fn lazy_resolve(trampoline_return: u64) -> u64 {
    reexports::resolve_from_trampoline(trampoline_return)
}
