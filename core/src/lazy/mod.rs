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
