//! eh-frame registration: makes JIT'd frames known to the process's unwinder,
//! so C++ exceptions, `_Unwind_Backtrace` and Rust backtraces walk through them.
//!
//! The unit's `.eh_frame` blocks are laid out side by side (the layout puts
//! them last in the read-only segment); a post-prune pass packs them to 4-byte
//! alignment, so no zero padding between two objects' sections reads as an
//! early terminator, and appends the 4-byte zero terminator both unwinders
//! need. After fixups the bytes are checked with gimli (every CIE and FDE
//! parses, every FDE describes code of this unit or was tombstoned by
//! dead-stripping), then a finalize allocation action registers the section
//! and the dealloc action deregisters it before the memory goes.
//!
//! The unwinder is found at run time: LLVM libunwind's
//! `__unw_add_dynamic_eh_frame_section` if the process has it, else libgcc's
//! `__register_frame`; both take the whole section. A host that interposes
//! `_Unwind_Find_FDE` (the `lantern` binary) registers with
//! [`fde_index`](crate::fde_index) instead: libgcc's lists are linear in the
//! number of registered sections.

use std::ffi::c_void;
use std::sync::OnceLock;

use gimli::{BaseAddresses, CieOrFde, EhFrame, LittleEndian, UnwindSection};
use lantern_core::error::{Error, Result};
use lantern_core::graph::{BlockId, ExecutorAddr, LinkGraph, MemProt};
use lantern_core::link::{fixed_up_copies, PassConfig, Plugin};
use lantern_core::memory::{AllocAction, WrapperCall};

/// Name of the section that holds frame information.
pub const EH_FRAME: &str = ".eh_frame";

/// The unit's live `.eh_frame` blocks in address order.
fn eh_frame_blocks(graph: &LinkGraph) -> Vec<BlockId> {
    let mut blocks: Vec<BlockId> = graph
        .section_ids()
        .filter(|&s| graph.section(s).name == EH_FRAME)
        .flat_map(|s| graph.section(s).blocks.iter().copied())
        .filter(|&b| graph.block(b).live)
        .collect();
    blocks.sort_by_key(|&b| graph.block(b).addr);
    blocks
}

/// The unit's fixed-up `.eh_frame`: its start address and bytes (with the
/// terminator, when the registration plugin added one). `None` if the unit has none.
pub fn unit_eh_frame(graph: &LinkGraph) -> Result<Option<(u64, Vec<u8>)>> {
    let blocks = eh_frame_blocks(graph);
    let (Some(&first), Some(&last)) = (blocks.first(), blocks.last()) else {
        return Ok(None);
    };
    let start = graph.block(first).addr.0;
    let last = graph.block(last);
    let mut bytes = vec![0u8; (last.addr.0 + last.size - start) as usize];
    for (&b, copy) in blocks.iter().zip(fixed_up_copies(graph, &blocks)?) {
        let at = (graph.block(b).addr.0 - start) as usize;
        bytes[at..at + copy.len()].copy_from_slice(&copy);
    }
    Ok(Some((start, bytes)))
}

/// Packs the `.eh_frame` blocks and appends the terminator (a post-prune pass).
fn add_terminator(graph: &mut LinkGraph) -> Result<()> {
    let blocks = eh_frame_blocks(graph);
    let Some(&first) = blocks.first() else {
        return Ok(());
    };
    for &b in &blocks {
        let block = graph.block(b);
        if !block.size.is_multiple_of(4) {
            let (file, section) = graph.block_origin(b);
            return Err(Error::malformed(
                &file,
                format!(
                    "section {section}: size {:#x} is not a multiple of 4",
                    block.size
                ),
            ));
        }
        graph.block_mut(b).align = 4;
    }
    let file = graph.section(graph.block(first).section).file;
    let section = graph.create_section(EH_FRAME, MemProt::Read, file);
    graph.section_mut(section).keep = true;
    let terminator = graph.create_content_block(section, vec![0; 4], 4);
    graph.block_mut(terminator).live = true;
    Ok(())
}

/// The file whose `.eh_frame` holds byte `offset` of the unit's section, and
/// the byte's offset in that file's section.
fn origin(graph: &LinkGraph, start: u64, offset: u64) -> (String, u64) {
    let addr = start + offset;
    eh_frame_blocks(graph)
        .into_iter()
        .find(|&b| {
            let block = graph.block(b);
            (block.addr.0..block.addr.0 + block.size).contains(&addr)
        })
        .map(|b| {
            let block = graph.block(b);
            (
                graph
                    .file_name(graph.section(block.section).file)
                    .to_string(),
                addr - block.addr.0,
            )
        })
        .unwrap_or_else(|| ("<linker>".into(), offset))
}

/// Checks the fixed-up section before an unwinder sees it: garbage there
/// crashes `_Unwind_Backtrace` instead of failing the link.
pub fn check(graph: &LinkGraph, start: u64, bytes: &[u8]) -> Result<usize> {
    let code = crate::unit_code::code_ranges(graph);
    let in_code = |lo: u64, hi: u64| {
        let i = code.partition_point(|&(s, _)| s <= lo);
        i > 0 && hi <= code[i - 1].1
    };
    let eh_frame = EhFrame::new(bytes, LittleEndian);
    let bases = BaseAddresses::default().set_eh_frame(start);
    let mut entries = eh_frame.entries(&bases);
    let mut fdes = 0;
    let bad = |offset: u64, what: String| {
        let (file, at) = origin(graph, start, offset);
        Error::malformed(
            &file,
            format!("section .eh_frame: entry at offset {at:#x}: {what}"),
        )
    };
    let mut offset = 0u64;
    // The CIE read last: FDEs follow their CIE, and parsing it again for
    // each FDE was half of this check's time.
    let mut last_cie = None;
    loop {
        let entry = match entries.next() {
            Ok(Some(entry)) => entry,
            Ok(None) => break,
            Err(e) => return Err(bad(offset, format!("cannot parse: {e}"))),
        };
        match entry {
            CieOrFde::Cie(cie) => {
                offset = (cie.offset() + cie.entry_len()) as u64 + 4;
                last_cie = Some(cie);
            }
            CieOrFde::Fde(partial) => {
                let fde = partial
                    .parse(|section, bases, cie_offset| match &last_cie {
                        Some(cie) if cie.offset() == cie_offset.0 => Ok(cie.clone()),
                        _ => EhFrame::cie_from_offset(section, bases, cie_offset),
                    })
                    .map_err(|e| bad(offset, format!("bad FDE: {e}")))?;
                let fde_offset = fde.offset() as u64;
                offset = fde_offset + fde.entry_len() as u64 + 4;
                let (lo, len) = (fde.initial_address(), fde.len());
                // Dead-stripped code: the FDE's pc_begin points at itself (a tombstone).
                let tombstone = lo == start + fde_offset + 8;
                if !tombstone && !in_code(lo, lo.wrapping_add(len)) {
                    return Err(bad(
                        fde_offset,
                        format!(
                            "FDE covers {lo:#x}..{:#x}, which is not code of this unit",
                            lo.wrapping_add(len)
                        ),
                    ));
                }
                let mut instructions = fde.instructions(&eh_frame, &bases);
                loop {
                    match instructions.next() {
                        Ok(Some(_)) => {}
                        Ok(None) => break,
                        Err(e) => {
                            return Err(bad(fde_offset, format!("bad call frame instruction: {e}")))
                        }
                    }
                }
                fdes += 1;
            }
        }
    }
    Ok(fdes)
}

/// The unwinder's registration functions, found once per process.
#[derive(Clone, Copy)]
enum Unwinder {
    /// LLVM libunwind: `__unw_add_dynamic_eh_frame_section(uintptr_t)`.
    LibUnwind {
        add: unsafe extern "C" fn(usize),
        remove: unsafe extern "C" fn(usize),
    },
    /// libgcc: `__register_frame(void *)`, walking to the zero terminator.
    LibGcc {
        add: unsafe extern "C" fn(*const c_void),
        remove: unsafe extern "C" fn(*const c_void),
    },
}

fn symbol(name: &std::ffi::CStr) -> Option<*mut c_void> {
    // SAFETY: dlsym with RTLD_DEFAULT and a NUL-terminated name only reads.
    let addr = unsafe { libc::dlsym(libc::RTLD_DEFAULT, name.as_ptr()) };
    (!addr.is_null()).then_some(addr)
}

fn unwinder() -> Option<Unwinder> {
    static UNWINDER: OnceLock<Option<Unwinder>> = OnceLock::new();
    *UNWINDER.get_or_init(|| {
        if let (Some(add), Some(remove)) = (
            symbol(c"__unw_add_dynamic_eh_frame_section"),
            symbol(c"__unw_remove_dynamic_eh_frame_section"),
        ) {
            // SAFETY: LLVM libunwind's functions have this signature.
            return Some(unsafe {
                Unwinder::LibUnwind {
                    add: std::mem::transmute::<*mut c_void, unsafe extern "C" fn(usize)>(add),
                    remove: std::mem::transmute::<*mut c_void, unsafe extern "C" fn(usize)>(remove),
                }
            });
        }
        let (add, remove) = (symbol(c"__register_frame")?, symbol(c"__deregister_frame")?);
        // SAFETY: libgcc's functions have this signature.
        Some(unsafe {
            Unwinder::LibGcc {
                add: std::mem::transmute::<*mut c_void, unsafe extern "C" fn(*const c_void)>(add),
                remove: std::mem::transmute::<*mut c_void, unsafe extern "C" fn(*const c_void)>(
                    remove,
                ),
            }
        })
    })
}

/// Which unwinder registrations go to, for messages.
pub fn unwinder_name() -> Option<&'static str> {
    unwinder().map(|u| match u {
        Unwinder::LibUnwind { .. } => "LLVM libunwind (__unw_add_dynamic_eh_frame_section)",
        Unwinder::LibGcc { .. } if crate::fde_index::active() => {
            "libgcc, through lantern's FDE index (_Unwind_Find_FDE interposed)"
        }
        Unwinder::LibGcc { .. } => "libgcc (__register_frame)",
    })
}

fn address_arg(arg: *const u8, len: usize) -> Option<usize> {
    if arg.is_null() || len != 8 {
        return None;
    }
    // SAFETY: the caller guarantees `len` (8) readable bytes at `arg`.
    let bytes = unsafe { std::slice::from_raw_parts(arg, 8) };
    Some(u64::from_le_bytes(bytes.try_into().expect("8 bytes")) as usize)
}

#[repr(C)]
struct DwarfEhBases {
    tbase: *mut c_void,
    dbase: *mut c_void,
    func: *mut c_void,
}

extern "C" {
    /// The unwinder's lookup of the FDE covering `pc` (libgcc and LLVM libunwind).
    fn _Unwind_Find_FDE(pc: *mut c_void, bases: *mut DwarfEhBases) -> *const c_void;
}

/// Whether the process's unwinder has frame information for `pc`: after a
/// unit's removal it must have none for the unit's code.
pub fn unwinder_has_fde(pc: u64) -> bool {
    let mut bases = DwarfEhBases {
        tbase: std::ptr::null_mut(),
        dbase: std::ptr::null_mut(),
        func: std::ptr::null_mut(),
    };
    // SAFETY: _Unwind_Find_FDE only reads the registered frame tables and the
    // loaded objects' own; `bases` is a valid out-parameter.
    !unsafe { _Unwind_Find_FDE(pc as *mut c_void, &mut bases) }.is_null()
}

/// Registers the section whose address is the 8-byte argument.
///
/// # Safety
/// `arg` must point to `len` readable bytes; the address must be a checked,
/// terminated `.eh_frame` that stays mapped until deregistered.
pub unsafe extern "C" fn register_wrapper(arg: *const u8, len: usize) -> u64 {
    let (Some(addr), Some(unwinder)) = (address_arg(arg, len), unwinder()) else {
        return 1;
    };
    // SAFETY: the section was checked with gimli and ends with a terminator.
    unsafe {
        match unwinder {
            Unwinder::LibGcc { .. } if crate::fde_index::active() => {
                crate::fde_index::add(addr as u64);
            }
            Unwinder::LibUnwind { add, .. } => add(addr),
            Unwinder::LibGcc { add, .. } => add(addr as *const c_void),
        }
    }
    0
}

/// Deregisters the section registered by [`register_wrapper`].
///
/// # Safety
/// `arg` must point to `len` readable bytes naming a registered section.
pub unsafe extern "C" fn deregister_wrapper(arg: *const u8, len: usize) -> u64 {
    let (Some(addr), Some(unwinder)) = (address_arg(arg, len), unwinder()) else {
        return 1;
    };
    // SAFETY: the section was registered by register_wrapper and is still mapped.
    unsafe {
        match unwinder {
            Unwinder::LibGcc { .. } if crate::fde_index::active() => {
                crate::fde_index::remove(addr as u64)
            }
            Unwinder::LibUnwind { remove, .. } => remove(addr),
            Unwinder::LibGcc { remove, .. } => remove(addr as *const c_void),
        }
    }
    0
}

/// Registers each unit's `.eh_frame` with the process's unwinder.
#[derive(Clone, Copy, Default)]
pub struct EhFrameRegistration;

impl EhFrameRegistration {
    /// Fails if the process has no unwinder to register with.
    pub fn new() -> Result<Self> {
        match unwinder() {
            Some(_) => Ok(EhFrameRegistration),
            None => Err(Error::Other(
                "no unwinder in this process: neither __unw_add_dynamic_eh_frame_section (LLVM libunwind) nor __register_frame (libgcc) is defined".into(),
            )),
        }
    }
}

impl Plugin for EhFrameRegistration {
    fn name(&self) -> &str {
        "eh-frame-registration"
    }

    fn modify_pass_config(&self, config: &mut PassConfig) {
        config.post_prune.push(Box::new(add_terminator));
        config.post_fixup.push(Box::new(|graph| {
            let Some((start, bytes)) = unit_eh_frame(graph)? else {
                return Ok(());
            };
            let fdes = check(graph, start, &bytes)?;
            log::debug!("registering .eh_frame at {start:#x}: {fdes} FDEs");
            let arg = start.to_le_bytes().to_vec();
            graph.alloc_actions.push(AllocAction {
                finalize: Some(WrapperCall {
                    function: ExecutorAddr(register_wrapper as *const () as u64),
                    arg: arg.clone().into(),
                }),
                dealloc: Some(WrapperCall {
                    function: ExecutorAddr(deregister_wrapper as *const () as u64),
                    arg: arg.into(),
                }),
            });
            Ok(())
        }));
    }
}
