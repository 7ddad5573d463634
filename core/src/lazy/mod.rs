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

pub use backpatch::{BackPatchStats, BackPatching, CodePatcher, ProtectionSwitchPatcher};
pub use redirect::{Redirectable, RedirectableSymbols};
pub(crate) use reentry::reentry_addr;
pub use reexports::{ErrorHandler, LazyLinkError, LazyReexports, REENTRY_SYMBOL};

/// The section of the redirectable symbols' stubs (`jmp *slot(%rip)`).
pub const STUBS_SECTION: &str = ".lantern.stubs";
/// Room the stub unit reserves (24 bytes a stub, never read or written) at
/// which its debug object places a `.rela.plt`: lldb finds that table by
/// its address (docs/lazy.md, "Debugging").
pub const STUB_RELOCS_SECTION: &str = ".lantern.stub_relocs";
/// Bytes per stub: `jmp *disp32(%rip)` (6) and two `int3`.
pub const STUB_SIZE: u64 = redirect::STUB_SIZE;
/// The section of the lazy entries' re-entry trampolines.
pub const TRAMPOLINES_SECTION: &str = ".lantern.trampolines";
/// The section of the one unnamed `jmp` from the trampolines to
/// `__lantern_reentry`.
pub const REENTRY_HOP_SECTION: &str = ".lantern.reentry_hop";
