//! Lazy linking and live code replacement: redirectable symbols (a stub and
//! a pointer slot per name), lazy reexports (linked at the first call,
//! through a re-entry trampoline), replacing and re-lazifying units.
//! `docs/lazy.md` is the guide; ORC's `RedirectableSymbolManager` and
//! `LazyReexportsManager` are the models.

mod backpatch;
mod frames;
mod redirect;
mod reentry;
mod reexports;
pub mod scan;

pub use backpatch::{BackPatching, CodePatcher, ProtectionSwitchPatcher};
pub use redirect::{Redirectable, RedirectableSymbols};
pub(crate) use reentry::reentry_addr;
pub use reexports::{ErrorHandler, LazyLinkError, LazyReexports, REENTRY_SYMBOL};

/// The section of the redirectable symbols' stubs (`jmp *slot(%rip)`).
pub const STUBS_SECTION: &str = ".lantern.stubs";
/// The section of the lazy entries' re-entry trampolines.
pub const TRAMPOLINES_SECTION: &str = ".lantern.trampolines";
/// The section of the one unnamed `jmp` from the trampolines to
/// `__lantern_reentry`.
pub const REENTRY_HOP_SECTION: &str = ".lantern.reentry_hop";

/// Whether a section holds linker-made code that a debugger should step
/// through as it steps through a PLT: debug objects name these sections
/// `.plt`, which gdb's `step` single-steps through (its
/// `in_solib_dynsym_resolve_code`) until it reaches the callee.
pub fn is_step_through_section(name: &str) -> bool {
    name == STUBS_SECTION || name == TRAMPOLINES_SECTION
}
