//! A process-wide index of JIT'd FDEs, sorted by address: frame lookup and
//! (de)registration in O(log n) of the live units.
//!
//! libgcc keeps `__register_frame` sections in a linked list:
//! `__deregister_frame` walks it (removing one of a million units took
//! milliseconds, a churn of them hours), and `_Unwind_Find_FDE` walks the
//! sections that start above the PC. A host that defines `_Unwind_Find_FDE`
//! itself (the `lantern` binary does, exported, in src/unwind.rs) takes
//! libgcc's own lookups, since libgcc calls it through its PLT; that
//! definition asks [`find`] first and the next definition (libgcc's) for
//! every other PC. Registration goes here only once such a host has called
//! [`activate`], which checks that the interposition is in effect; other
//! hosts keep `__register_frame`.

use std::collections::BTreeMap;
use std::ffi::c_void;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::RwLock;

use gimli::{BaseAddresses, CieOrFde, EhFrame, LittleEndian, UnwindSection};

/// One FDE: the code it covers and where it lies.
#[derive(Clone, Copy)]
struct Entry {
    end: u64,
    fde: u64,
}

/// FDEs by first covered address. A section's FDEs are found again in the
/// section itself when it is removed (a list per section cost a kept unit
/// some 70 bytes).
#[derive(Default)]
struct Index {
    by_pc: BTreeMap<u64, Entry>,
}

static ACTIVE: AtomicBool = AtomicBool::new(false);
static INDEX: RwLock<Index> = RwLock::new(Index {
    by_pc: BTreeMap::new(),
});

/// Routes registrations here if `lookup`, the host's `_Unwind_Find_FDE`, is
/// the one the process's unwinder calls; returns whether it is.
pub fn activate(lookup: *const c_void) -> bool {
    // SAFETY: dlsym with RTLD_DEFAULT and a NUL-terminated name only reads.
    let found = unsafe { libc::dlsym(libc::RTLD_DEFAULT, c"_Unwind_Find_FDE".as_ptr()) };
    let active = !lookup.is_null() && std::ptr::eq(found, lookup);
    ACTIVE.store(active, Ordering::Release);
    active
}

/// Whether registrations go to this index.
pub fn active() -> bool {
    ACTIVE.load(Ordering::Acquire)
}

/// The length of the `.eh_frame` at `addr`, up to and including its zero
/// terminator.
///
/// # Safety
/// `addr` must hold a checked, terminated `.eh_frame` section.
unsafe fn section_len(addr: u64) -> usize {
    let mut at = addr;
    loop {
        // SAFETY: inside the section (or its terminator), as the caller promised.
        let len = unsafe { std::ptr::read_unaligned(at as *const u32) };
        match len {
            0 => return (at + 4 - addr) as usize,
            // SAFETY: a 64-bit length follows the escape.
            0xffff_ffff => at += 12 + unsafe { std::ptr::read_unaligned((at + 4) as *const u64) },
            n => at += 4 + u64::from(n),
        }
    }
}

/// The FDEs of the terminated `.eh_frame` at `addr`, by first covered address.
///
/// # Safety
/// `addr` must hold a checked, terminated `.eh_frame` section.
unsafe fn fdes(addr: u64) -> Vec<(u64, Entry)> {
    // SAFETY: per the caller's promise, the section and its length are readable.
    let bytes = unsafe { std::slice::from_raw_parts(addr as *const u8, section_len(addr)) };
    let eh_frame = EhFrame::new(bytes, LittleEndian);
    let bases = BaseAddresses::default().set_eh_frame(addr);
    let mut entries = eh_frame.entries(&bases);
    let mut found = Vec::new();
    // FDEs follow their CIE: parse each CIE once, not once per FDE.
    let mut last_cie = None;
    while let Ok(Some(entry)) = entries.next() {
        let partial = match entry {
            CieOrFde::Cie(cie) => {
                last_cie = Some(cie);
                continue;
            }
            CieOrFde::Fde(partial) => partial,
        };
        let Ok(fde) = partial.parse(|section, bases, offset| match &last_cie {
            Some(cie) if cie.offset() == offset.0 => Ok(cie.clone()),
            _ => EhFrame::cie_from_offset(section, bases, offset),
        }) else {
            continue;
        };
        let fde_addr = addr + fde.offset() as u64;
        let (lo, len) = (fde.initial_address(), fde.len());
        // Dead-stripped code: pc_begin points at the FDE itself (a tombstone).
        if len == 0 || lo == fde_addr + 8 {
            continue;
        }
        found.push((
            lo,
            Entry {
                end: lo + len,
                fde: fde_addr,
            },
        ));
    }
    found
}

/// Adds the FDEs of the terminated `.eh_frame` at `addr`; returns how many.
///
/// # Safety
/// `addr` must hold a checked, terminated `.eh_frame` that stays mapped and
/// unchanged until [`remove`] is called with the same address.
pub unsafe fn add(addr: u64) -> usize {
    // SAFETY: as the caller promised.
    let found = unsafe { fdes(addr) };
    let mut index = INDEX.write().unwrap_or_else(|e| e.into_inner());
    for (lo, entry) in &found {
        index.by_pc.insert(*lo, *entry);
    }
    found.len()
}

/// Removes the FDEs [`add`] took from the section at `addr`.
///
/// # Safety
/// `addr` must be a section given to [`add`], still mapped and unchanged.
pub unsafe fn remove(addr: u64) {
    // SAFETY: as the caller promised.
    let found = unsafe { fdes(addr) };
    let mut index = INDEX.write().unwrap_or_else(|e| e.into_inner());
    for (lo, entry) in found {
        // Only this section's entry: another section's FDE for the same
        // code (registered later) stays.
        if index.by_pc.get(&lo).is_some_and(|e| e.fde == entry.fde) {
            index.by_pc.remove(&lo);
        }
    }
}

/// The FDE covering `pc` and the code address it starts at, if JIT'd code.
pub fn find(pc: u64) -> Option<(u64, u64)> {
    let index = INDEX.read().unwrap_or_else(|e| e.into_inner());
    let (&lo, entry) = index.by_pc.range(..=pc).next_back()?;
    (pc < entry.end).then_some((entry.fde, lo))
}

/// How many FDEs the index holds (for reports and tests).
pub fn len() -> usize {
    INDEX.read().unwrap_or_else(|e| e.into_inner()).by_pc.len()
}
