//! The `lantern` command line: link x86-64 ELF objects into this process and run them.
//!
//! The binary has no symbol named `main`. A debugger's `break main` must stop
//! in the JIT'd program's `main`, as it does for the natively linked program,
//! not first in Lantern's own; and gdb takes its initial language from `main`
//! (with a Rust `main`, gdb parsed a pending breakpoint's C condition as Rust).
//! So the crate is `no_main`, and the C runtime's call of `main` is linked to
//! [`__wrap_main`] (`-Wl,--wrap=main`, in build.rs).
//!
//! A debugger still finds a `main` before the program runs, so that `break
//! main` (in gdb's batch mode too, which answers "no" to making a breakpoint
//! pending) sets a breakpoint that the JIT'd `main` joins when its unit is
//! registered: a local function of that name, without debug information,
//! whose first bytes nothing executes. The JIT'd `main` is called through a
//! trampoline inside it, so that a debugger's backtrace ends there, one frame
//! below the program's `main`, instead of going on through Lantern's frames
//! and the C runtime's (gdb stops unwinding at the executable's `main`, and
//! lldb-19 stops there too; `set backtrace past-main on` shows the rest).
//! gdb's initial language is then C (from a Rust `main` it was Rust), in
//! which it parses conditions, `commands` and `dprintf` arguments given
//! before `run`: its C parser takes C++'s member calls and scopes too
//! (`v.size() == 3 && ns::n == 2`).
//!
//! Without Rust's `lang_start`, nothing between the JIT'd `main` and `_start`
//! catches an exception: one that the program does not catch reaches the end
//! of the stack and `std::terminate` runs with the throwing frames still on
//! it, exactly as natively (`lang_start`'s `catch_unwind` used to take C++
//! exceptions and abort with "Rust cannot catch foreign exceptions").

#![cfg_attr(not(test), no_main)]

mod churn;
mod cli;
mod compile;
mod debug_test;
mod dump_graph;
mod lazy;
mod libraries;
mod oop;
mod report;
mod response_files;
mod signals;
mod static_tls;
mod symbolize;
mod unwind;

use std::ffi::{c_char, c_int};
use std::io::Write as _;

// The decoy `main` (see the module's documentation), local to this object
// and kept from the linker's garbage collection (`R`). Its first bytes
// (`ud2`) are where debuggers put `break main`'s location, and nothing
// executes them. Past them, inside the symbol, is the trampoline through
// which the executor calls the JIT'd program's `main`
// (`lantern_core::executor::set_main_caller`): gdb stops a backtrace at the
// frame of the executable's `main`, so a backtrace in the JIT'd program ends
// with one `main ()` frame of Lantern's below its own `main`, as natively it
// ends at `main`, instead of going on through Lantern's and the C runtime's
// frames. The trampoline has no symbol of its own (a symbol would be the
// frame's function), so its address is read from `lantern_main_caller`.
#[cfg(not(test))]
std::arch::global_asm!(
    ".pushsection .text.lantern_decoy_main,\"axR\",@progbits",
    ".type main,@function",
    "main:",
    "    ud2",
    "    .p2align 4, 0xcc",
    // main(rdi, esi, rdx, rcx): calls rdi(esi, rdx, rcx).
    ".Lcall_main:",
    "    .cfi_startproc",
    "    push rbp",
    "    .cfi_def_cfa_offset 16",
    "    .cfi_offset rbp, -16",
    "    mov rbp, rsp",
    "    .cfi_def_cfa_register rbp",
    "    mov rax, rdi",
    "    mov edi, esi",
    "    mov rsi, rdx",
    "    mov rdx, rcx",
    "    call rax",
    "    pop rbp",
    "    .cfi_def_cfa rsp, 8",
    "    ret",
    "    .cfi_endproc",
    ".Ldecoy_main_end:",
    ".size main, .Ldecoy_main_end - main",
    ".popsection",
    ".pushsection .data.rel.ro.lantern_main_caller,\"aw\",@progbits",
    ".p2align 3",
    ".globl lantern_main_caller",
    ".hidden lantern_main_caller",
    ".type lantern_main_caller,@object",
    "lantern_main_caller:",
    "    .quad .Lcall_main",
    "    .quad .Ldecoy_main_end - .Lcall_main",
    ".size lantern_main_caller, 16",
    ".popsection",
);

/// The process's `main`, called by the C runtime's `_start` (through
/// `__libc_start_main`).
#[cfg(not(test))]
#[no_mangle]
pub extern "C" fn __wrap_main(
    argc: c_int,
    argv: *const *const c_char,
    envp: *const *const c_char,
) -> c_int {
    lantern_main(argc, argv, envp)
}

/// Lantern's command line, which Rust's standard library reads on its own.
/// (Exported, so that it and what it calls stay in the unit tests' build,
/// where the harness's `main` runs instead.)
#[no_mangle]
pub extern "C" fn lantern_main(
    _argc: c_int,
    _argv: *const *const c_char,
    _envp: *const *const c_char,
) -> c_int {
    // An internal error (a panic) ends the process with Rust's usual status,
    // once the default hook has printed it: there is no `lang_start` to
    // catch it, and unwinding out of this function would abort.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        default_hook(info);
        std::process::exit(101);
    }));
    #[cfg(not(test))]
    {
        extern "C" {
            static lantern_main_caller: lantern_core::executor::MainCallerCode;
        }
        // SAFETY: the words are the trampoline's address and length, written
        // by the assembler above and never changed; the trampoline calls its
        // first argument with the other three and returns its result.
        unsafe { lantern_core::executor::set_main_caller(lantern_main_caller) };
    }
    if !unwind::activate() {
        log::debug!("_Unwind_Find_FDE is not interposed: JIT'd frames go to __register_frame");
    }
    let status = match response_files::expand(std::env::args_os().collect()) {
        Ok(args) => cli::execute(args),
        Err(e) => {
            eprintln!("lantern: error: {e}");
            2
        }
    };
    // `lang_start` would flush standard output at exit; nothing else does.
    let _ = std::io::stdout().flush();
    c_int::from(status)
}

/// The unit tests' harness has a `main` of its own, which the wrapped call
/// reaches through `__real_main` (build.rs wraps every binary target's link).
///
/// # Safety
/// Called by the C runtime only, with its own arguments.
#[cfg(test)]
#[no_mangle]
pub unsafe extern "C" fn __wrap_main(
    argc: c_int,
    argv: *const *const c_char,
    envp: *const *const c_char,
) -> c_int {
    extern "C" {
        fn __real_main(
            argc: c_int,
            argv: *const *const c_char,
            envp: *const *const c_char,
        ) -> c_int;
    }
    // SAFETY: the C runtime's own arguments, passed on to the harness's main.
    unsafe { __real_main(argc, argv, envp) }
}
