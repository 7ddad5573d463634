//! The packing memory manager: units share large slabs instead of owning
//! mappings, so a process holds a million live units in a few mappings.
//!
//! A slab is one reservation of three zones of equal size, all within
//! 2 GiB of each other (code reaches data PC-relative):
//! - code: a `MAP_PRIVATE` `r-x` view of a memfd, written through a second,
//!   `MAP_SHARED` `rw-` view of the same memfd elsewhere (W^X with no
//!   protection flips: no view is ever writable and executable);
//! - read-only data: likewise, `r--`;
//! - writable data: private anonymous `rw-` (a shared view would share
//!   globals with a forked child).
//!
//! The executing views are private, not shared, because the kernel refuses a
//! debugger's breakpoint writes into shared non-writable mappings. A page a
//! debugger wrote into becomes a private copy that no longer shows what the
//! writable view writes, so pages that `/proc/self/pagemap` shows copied take
//! no new code. Slabs are process-wide and never unmapped: code of a unit
//! whose handle was dropped keeps running. Once units are written, the
//! writable view's page mappings are dropped (the memfd keeps the bytes), so
//! that RSS counts each page once, not once per view.

use std::collections::BTreeMap;
use std::fs::File;
use std::os::fd::AsRawFd;
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::fs::FileExt;
use std::sync::{Mutex, OnceLock};

use super::placement::{align_up, find_free_address};
use super::{
    run_wrapper_call, AllocAction, AllocRequest, FinalizedAlloc, FinalizedMemory, InFlightAlloc,
    InProcessMemoryManager, MemoryManager, Placement, WrapperCall,
};
use crate::error::{Error, Result};
use crate::graph::{ExecutorAddr, MemLifetime, MemProt};

/// Zone bytes of the largest slabs: the first slab's zones are
/// `FIRST_ZONE` bytes, each next slab's twice the last, up to this (a small
/// program reserves 12 MiB, not 384, under a tight `RLIMIT_AS`).
pub const ZONE: u64 = 128 << 20;
/// Zone bytes of the first slab.
pub const FIRST_ZONE: u64 = 4 << 20;
/// Segments larger than this go to the per-page manager.
const LARGEST_PACKED: u64 = ZONE / 4;
/// Bytes at the start of each zone that stay resident when free (at most
/// 3 × 128 KiB per slab): returning a churn's page to the kernel on every
/// removal cost two page faults and a `fallocate` per cycle.
const RETAINED: u64 = 128 << 10;
/// Smallest allocation granule: keeps the free lists short.
const GRANULE: u64 = 16;

fn page_size() -> u64 {
    rustix::param::page_size() as u64
}

/// The zones of a slab, in address order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Zone {
    Code = 0,
    Rodata = 1,
    Data = 2,
}

impl Zone {
    fn of(prot: MemProt) -> Zone {
        match prot {
            MemProt::ReadExec => Zone::Code,
            MemProt::Read => Zone::Rodata,
            MemProt::ReadWrite => Zone::Data,
        }
    }
    /// Dual-mapped zones are written through the memfd's shared view.
    fn dual_mapped(self) -> bool {
        self != Zone::Data
    }
}

/// Free byte ranges of one zone, by offset; neighbours are coalesced.
#[derive(Debug, Default)]
struct FreeList {
    ranges: BTreeMap<u64, u64>,
}

impl FreeList {
    fn whole(len: u64) -> Self {
        let mut ranges = BTreeMap::new();
        ranges.insert(0, len);
        FreeList { ranges }
    }

    /// First fit at `align`; returns the offset.
    fn take(&mut self, size: u64, align: u64) -> Option<u64> {
        let (start, len, at) = self.ranges.iter().find_map(|(&start, &len)| {
            let at = align_up(start, align);
            (at + size <= start + len).then_some((start, len, at))
        })?;
        self.ranges.remove(&start);
        if at > start {
            self.ranges.insert(start, at - start);
        }
        if at + size < start + len {
            self.ranges.insert(at + size, start + len - at - size);
        }
        Some(at)
    }

    /// Removes `[start, end)` from the free ranges (pages never to be reused).
    fn carve(&mut self, start: u64, end: u64) {
        let overlapping: Vec<(u64, u64)> = self
            .ranges
            .range(..end)
            .filter(|(&s, &l)| s + l > start)
            .map(|(&s, &l)| (s, l))
            .collect();
        for (s, l) in overlapping {
            self.ranges.remove(&s);
            if s < start {
                self.ranges.insert(s, start - s);
            }
            if s + l > end {
                self.ranges.insert(end, s + l - end);
            }
        }
    }

    /// Gives `[off, off + len)` back; returns the coalesced free range holding it.
    fn give(&mut self, mut off: u64, mut len: u64) -> (u64, u64) {
        if let Some((&s, &l)) = self.ranges.range(..off).next_back() {
            if s + l == off {
                self.ranges.remove(&s);
                len += off - s;
                off = s;
            }
        }
        if let Some(&l) = self.ranges.get(&(off + len)) {
            self.ranges.remove(&(off + len));
            len += l;
        }
        self.ranges.insert(off, len);
        (off, off + len)
    }
}

/// One reservation: three zones and the memfd behind the first two.
struct Slab {
    base: u64,
    memfd: OwnedFd,
    /// The shared writable view of the memfd: code at 0, read-only data at ZONE.
    writable: u64,
    free: [FreeList; 3],
    /// Per zone, the page-aligned end of what was handed out since the
    /// last hole punched up to it: the pages above are holes already, so a
    /// removal that frees the tail of a zone punches nothing (it punched the
    /// whole untouched zone, a system call a churn cycle).
    touched_end: [u64; 3],
    /// Per dual-mapped zone, how the writable view's page mappings are
    /// dropped once units are written (see [`Slab::written`]).
    write_view: [WriteView; 2],
    /// Bytes in each zone.
    zone: u64,
}

/// Which pages of a dual-mapped zone's writable view may still be mapped.
///
/// Each page of a dual-mapped zone is one page of memory, but both views
/// map it, and RSS counts it once per view: a page the linker wrote and the
/// unit ran would count twice (64 bytes a unit with 80 bytes of code and
/// unwind data). Dropping the writable view's mappings (`MADV_DONTNEED` on a
/// shared mapping keeps the memfd's contents) makes RSS what the process
/// uses; a later write faults the page in again, with its contents.
#[derive(Debug, Default, Clone, Copy)]
struct WriteView {
    /// Below this page-aligned offset, only pages written again since the
    /// last sweep are mapped (pieces reused from the free list, patches).
    dropped_below: u64,
    /// Pieces finalized below `dropped_below` since the last sweep, counted
    /// once per page in a row (a churn reusing one hole counts once).
    rewritten: u64,
    last_rewritten_page: u64,
}

/// Rewritten pages that make a slab zone's writable view be swept.
const SWEEP_AFTER: u64 = 64;

impl Slab {
    fn zone_base(&self, zone: Zone) -> u64 {
        self.base + zone as u64 * self.zone
    }

    /// Where the linker writes zone offset `off`: the shared view for
    /// dual-mapped zones, the data zone itself otherwise.
    fn write_addr(&self, zone: Zone, off: u64) -> u64 {
        if zone.dual_mapped() {
            self.writable + zone as u64 * self.zone + off
        } else {
            self.zone_base(zone) + off
        }
    }

    fn fits(&self, placement: Placement) -> bool {
        match placement.window(3 * self.zone) {
            None => true,
            Some((start, end)) => self.base >= start && self.base + 3 * self.zone <= end,
        }
    }

    fn new(placement: Placement, zone: u64) -> Result<Slab> {
        let page = page_size();
        let size = 3 * zone;
        let mut base = None;
        for _attempt in 0..8 {
            let hint = find_free_address(placement, size, page)?;
            let flags = libc::MAP_PRIVATE
                | libc::MAP_ANONYMOUS
                | libc::MAP_NORESERVE
                | if hint.is_some() {
                    libc::MAP_FIXED_NOREPLACE
                } else {
                    0
                };
            // SAFETY: a fresh inaccessible reservation at a free address
            // (FIXED_NOREPLACE refuses to replace anything); nothing existing changes.
            let ptr = unsafe {
                libc::mmap(
                    hint.unwrap_or(0) as *mut _,
                    size as usize,
                    libc::PROT_NONE,
                    flags,
                    -1,
                    0,
                )
            };
            if ptr == libc::MAP_FAILED {
                let e = std::io::Error::last_os_error();
                if e.raw_os_error() == Some(libc::EEXIST) {
                    continue;
                }
                return Err(Error::Memory(format!(
                    "cannot reserve a {} KiB JIT slab {placement}: {e}",
                    size >> 10
                )));
            }
            if hint.is_some_and(|h| h != ptr as u64) {
                // SAFETY: the reservation just made, unused.
                unsafe { libc::munmap(ptr, size as usize) };
                continue;
            }
            base = Some(ptr as u64);
            break;
        }
        let base = base.ok_or_else(|| {
            Error::Memory(format!(
                "cannot reserve a JIT slab {placement}: the address space kept changing"
            ))
        })?;
        let slab = Self::map_views(base, zone).inspect_err(|_| {
            // SAFETY: the reservation (and any views over it) belongs to no one else.
            unsafe { libc::munmap(base as *mut _, size as usize) };
        })?;
        log::debug!("packed memory: new slab at {base:#x} for {placement:?}");
        Ok(slab)
    }

    fn map_views(base: u64, zone: u64) -> Result<Slab> {
        let os = |what: &str| {
            Error::Memory(format!(
                "JIT slab: {what}: {}",
                std::io::Error::last_os_error()
            ))
        };
        // SAFETY: a NUL-terminated name; the fd returned is owned below.
        let fd = unsafe { libc::memfd_create(c"lantern-jit".as_ptr(), libc::MFD_CLOEXEC) };
        if fd < 0 {
            return Err(os("memfd_create"));
        }
        // SAFETY: `fd` is a fresh descriptor nobody else owns.
        let memfd = unsafe { OwnedFd::from_raw_fd(fd) };
        // SAFETY: plain syscall on our memfd.
        if unsafe { libc::ftruncate(fd, (2 * zone) as libc::off_t) } != 0 {
            return Err(os("ftruncate"));
        }
        let views = [
            (base, libc::PROT_READ | libc::PROT_EXEC, 0u64),
            (base + zone, libc::PROT_READ, zone),
        ];
        for (addr, prot, offset) in views {
            // SAFETY: MAP_FIXED over our own PROT_NONE reservation only.
            let p = unsafe {
                libc::mmap(
                    addr as *mut _,
                    zone as usize,
                    prot,
                    libc::MAP_PRIVATE | libc::MAP_FIXED,
                    fd,
                    offset as libc::off_t,
                )
            };
            if p == libc::MAP_FAILED {
                return Err(os("mapping an executing view"));
            }
        }
        // SAFETY: MAP_FIXED over our own reservation only.
        let p = unsafe {
            libc::mmap(
                (base + 2 * zone) as *mut _,
                zone as usize,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(os("mapping the data zone"));
        }
        // SAFETY: a new shared mapping of our memfd where the kernel likes.
        let w = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                (2 * zone) as usize,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd,
                0,
            )
        };
        if w == libc::MAP_FAILED {
            return Err(os("mapping the writable view"));
        }
        Ok(Slab {
            base,
            memfd,
            writable: w as u64,
            free: [
                FreeList::whole(zone),
                FreeList::whole(zone),
                FreeList::whole(zone),
            ],
            touched_end: [0; 3],
            write_view: [WriteView::default(); 2],
            zone,
        })
    }

    /// Drops the writable view's mappings of pages a finalized piece at
    /// `[off, off + len)` of a dual-mapped zone no longer needs: those
    /// below its last page (the next unit is written into that one) that
    /// were not dropped before; when pieces keep landing on pages below
    /// that line (holes reused), every [`SWEEP_AFTER`] pages the view is
    /// swept up to the line. Only mappings go: nothing is lost if a unit
    /// in flight was still writing into a page dropped.
    fn written(&mut self, zone: Zone, off: u64, len: u64) {
        let page = page_size();
        let view = &mut self.write_view[zone as usize];
        let last = (off + len.max(1) - 1) & !(page - 1);
        let (from, to) = if last > view.dropped_below {
            let from = view.dropped_below;
            view.dropped_below = last;
            (from, last)
        } else if last == view.dropped_below {
            // The page being filled: still mapped, and not to be dropped yet.
            return;
        } else {
            if last != view.last_rewritten_page {
                view.rewritten += 1;
                view.last_rewritten_page = last;
            }
            if view.rewritten < SWEEP_AFTER {
                return;
            }
            view.rewritten = 0;
            (0, view.dropped_below)
        };
        if to > from {
            // SAFETY: a range of our own shared writable view, mapped for the
            // process's life; MADV_DONTNEED on a shared mapping only drops
            // page mappings, the memfd keeps every byte.
            unsafe {
                libc::madvise(
                    self.write_addr(zone, from) as *mut _,
                    (to - from) as usize,
                    libc::MADV_DONTNEED,
                )
            };
        }
    }

    /// Gives a piece back, and whole free pages back to the kernel.
    fn release(&mut self, zone: Zone, off: u64, len: u64) {
        let page = page_size();
        let (start, end) = self.free[zone as usize].give(off, len);
        // The first RETAINED bytes of a zone stay resident: a churn reuses
        // them (first fit) without a hole punched and faulted in again.
        let touched = &mut self.touched_end[zone as usize];
        let (ps, pe) = (
            align_up(start, page).max(RETAINED),
            (end & !(page - 1)).min(*touched),
        );
        if pe <= ps {
            return;
        }
        if pe == *touched {
            *touched = ps;
        }
        if zone.dual_mapped() {
            let file_off = zone as u64 * self.zone + ps;
            // SAFETY: punches a hole in our memfd over pages no unit uses; both
            // views then read zeros there (private copies, never reused, stay).
            unsafe {
                libc::fallocate(
                    self.memfd.as_raw_fd(),
                    libc::FALLOC_FL_PUNCH_HOLE | libc::FALLOC_FL_KEEP_SIZE,
                    file_off as libc::off_t,
                    (pe - ps) as libc::off_t,
                )
            };
        } else {
            // SAFETY: the pages lie in our data zone and no unit uses them.
            unsafe {
                libc::madvise(
                    (self.zone_base(zone) + ps) as *mut _,
                    (pe - ps) as usize,
                    libc::MADV_DONTNEED,
                )
            };
        }
    }
}

/// Every slab of the process, and the pagemap to check executing views with.
struct Pool {
    slabs: Vec<Slab>,
    pagemap: Option<File>,
    /// Pieces handed out to allocations not finalized yet (slab, piece): a
    /// patch must not reach them. Whatever else a code or read-only data zone
    /// has outside its free list is finalized, live units' bytes.
    in_flight: Vec<(usize, Piece)>,
    /// Bytes handed out to units, per zone.
    allocated: [u64; 3],
}

/// What the packed pool holds, for reports (`lantern churn`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PackedStats {
    /// Slabs reserved (each three zones, of up to [`ZONE`] bytes).
    pub slabs: usize,
    /// Bytes handed out to units (after granule rounding): code, read-only
    /// data, writable data.
    pub allocated: [u64; 3],
    /// Bytes of the slabs in memory, each page once (RSS counts a page once
    /// per view mapping it; the writable view maps only pages written since
    /// its last sweep).
    pub resident: u64,
}

/// The process-wide packed pool's figures.
pub fn packed_stats() -> PackedStats {
    let pool = lock();
    let page = page_size();
    let mut resident = 0;
    let mut vec = Vec::new();
    for slab in &pool.slabs {
        vec.resize((slab.zone / page) as usize, 0);
        for zone in [Zone::Code, Zone::Rodata, Zone::Data] {
            // SAFETY: the zone is mapped for the process's life; `vec` has a
            // byte per page of it.
            let ok = unsafe {
                libc::mincore(
                    slab.zone_base(zone) as *mut _,
                    slab.zone as usize,
                    vec.as_mut_ptr(),
                )
            } == 0;
            if ok {
                resident += vec.iter().filter(|&&b| b & 1 != 0).count() as u64 * page;
            }
        }
    }
    PackedStats {
        slabs: pool.slabs.len(),
        allocated: pool.allocated,
        resident,
    }
}

fn pool() -> &'static Mutex<Pool> {
    static POOL: OnceLock<Mutex<Pool>> = OnceLock::new();
    POOL.get_or_init(|| {
        Mutex::new(Pool {
            slabs: Vec::new(),
            pagemap: File::open("/proc/self/pagemap").ok(),
            in_flight: Vec::new(),
            allocated: [0; 3],
        })
    })
}

fn lock() -> std::sync::MutexGuard<'static, Pool> {
    pool().lock().unwrap_or_else(|e| e.into_inner())
}

impl Pool {
    /// Pages of `[addr, addr + len)` of an executing view that are private
    /// copies (a debugger wrote into them): bit 61 clear on a present or
    /// swapped page. One read of the pagemap for up to 512 pages (a read a
    /// page took sqlite's 1 MB of code half a millisecond of its link).
    fn copied_pages(&self, addr: u64, len: u64) -> Vec<u64> {
        let Some(pagemap) = &self.pagemap else {
            return Vec::new();
        };
        let page = page_size();
        let first = addr / page;
        let end = (addr + len.max(1)).div_ceil(page);
        let mut out = Vec::new();
        let mut entries = [0u8; 8 * 512];
        let mut at = first;
        while at < end {
            let n = (end - at).min(512) as usize;
            let buf = &mut entries[..8 * n];
            if pagemap.read_exact_at(buf, at * 8).is_err() {
                return out;
            }
            for (i, entry) in buf.chunks_exact(8).enumerate() {
                let e = u64::from_le_bytes(entry.try_into().expect("8 bytes"));
                let present_or_swapped = e & (3 << 62) != 0;
                if present_or_swapped && e & (1 << 61) == 0 {
                    out.push((at + i as u64) * page);
                }
            }
            at += n as u64;
        }
        out
    }

    /// Places every piece in slab `s`, or nothing.
    fn place_in(&mut self, s: usize, request: &AllocRequest) -> Option<Vec<Piece>> {
        let mut pieces: Vec<Piece> = Vec::with_capacity(request.segments.len());
        for seg in &request.segments {
            let zone = Zone::of(seg.prot);
            let size = align_up(seg.size.max(1), GRANULE);
            let align = seg.align.max(GRANULE);
            loop {
                let Some(off) = self.slabs[s].free[zone as usize].take(size, align) else {
                    for p in pieces.drain(..) {
                        self.slabs[s].free[p.zone as usize].give(p.off, p.len);
                    }
                    return None;
                };
                let addr = self.slabs[s].zone_base(zone) + off;
                let copied = if zone.dual_mapped() {
                    self.copied_pages(addr, size)
                } else {
                    Vec::new()
                };
                if copied.is_empty() {
                    pieces.push(Piece {
                        zone,
                        off,
                        len: size,
                        lifetime: seg.lifetime,
                    });
                    break;
                }
                // A debugger's private copies: never reuse those pages.
                let page = page_size();
                let base = self.slabs[s].zone_base(zone);
                let free = &mut self.slabs[s].free[zone as usize];
                free.give(off, size);
                for p in copied {
                    log::debug!("packed memory: page {p:#x} was copied by a debugger; not reused");
                    free.carve(p - base, p - base + page);
                }
            }
        }
        let page = page_size();
        for p in &pieces {
            self.allocated[p.zone as usize] += p.len;
            let touched = &mut self.slabs[s].touched_end[p.zone as usize];
            *touched = (*touched).max(align_up(p.off + p.len, page));
        }
        Some(pieces)
    }

    /// Forgets that `pieces` of `slab` are in flight (finalized or given back).
    fn land(&mut self, slab: usize, pieces: &[Piece]) {
        self.in_flight.retain(|(s, q)| {
            !(*s == slab && pieces.iter().any(|p| p.zone == q.zone && p.off == q.off))
        });
    }

    /// Which slab and zone hold `[start, end)` if it lies in the code or
    /// read-only data of finalized units: allocated (outside its zone's free
    /// list) and not in flight.
    fn finalized_at(&self, start: u64, end: u64) -> Option<(usize, Zone)> {
        for (s, slab) in self.slabs.iter().enumerate() {
            for zone in [Zone::Code, Zone::Rodata] {
                let base = slab.zone_base(zone);
                if start < base || end > base + slab.zone {
                    continue;
                }
                let (off, off_end) = (start - base, end - base);
                let overlaps = |o: u64, l: u64| o < off_end && off < o + l;
                // Free ranges are disjoint: only the last one starting
                // below the end can reach into the range.
                let free = &slab.free[zone as usize].ranges;
                if free
                    .range(..off_end)
                    .next_back()
                    .is_some_and(|(&o, &l)| overlaps(o, l))
                {
                    return None;
                }
                if self
                    .in_flight
                    .iter()
                    .any(|(f, p)| *f == s && p.zone == zone && overlaps(p.off, p.len))
                {
                    return None;
                }
                return Some((s, zone));
            }
        }
        None
    }

    /// Gives a piece back to its slab (and its empty pages to the kernel).
    fn release(&mut self, slab: usize, p: &Piece) {
        self.allocated[p.zone as usize] -= p.len;
        self.slabs[slab].release(p.zone, p.off, p.len);
    }

    /// A new slab for `placement` with room for `largest` bytes in a zone,
    /// or an error saying which limit stopped it. Each slab's zones are twice
    /// the last one's; when that much address space is refused, a slab just
    /// large enough is tried.
    fn grow(&mut self, placement: Placement, largest: u64) -> Result<usize> {
        let page = page_size();
        let fit = align_up(largest.max(page), page).next_power_of_two();
        let preferred = self
            .slabs
            .last()
            .map_or(FIRST_ZONE, |s| (s.zone * 2).min(ZONE))
            .max(fit);
        let new = Slab::new(placement, preferred)
            .or_else(|e| {
                if fit < preferred {
                    Slab::new(placement, fit)
                } else {
                    Err(e)
                }
            })
            .map_err(|e| {
                let e = match e {
                    Error::Memory(m) => m,
                    e => e.to_string(),
                };
                let reserved: u64 = self.slabs.iter().map(|s| 3 * s.zone).sum();
                Error::Memory(format!(
                    "packed JIT memory cannot grow ({} slab(s), {} MiB reserved{}): {e}",
                    self.slabs.len(),
                    reserved >> 20,
                    address_space_limit()
                        .map(|l| format!(", RLIMIT_AS {} MiB", l >> 20))
                        .unwrap_or_default(),
                ))
            })?;
        self.slabs.push(new);
        Ok(self.slabs.len() - 1)
    }
}

/// The process's `RLIMIT_AS`, when it has one.
fn address_space_limit() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes the struct we own.
    let ok = unsafe { libc::getrlimit(libc::RLIMIT_AS, &mut limit) } == 0;
    (ok && limit.rlim_cur != libc::RLIM_INFINITY).then_some(limit.rlim_cur)
}

/// One segment's bytes in a slab.
#[derive(Debug, Clone, Copy)]
struct Piece {
    zone: Zone,
    off: u64,
    len: u64,
    lifetime: MemLifetime,
}

/// Packs units into process-wide slabs; large units go to the per-page manager.
#[derive(Debug, Default)]
pub struct PackedMemoryManager {
    fallback: InProcessMemoryManager,
}

impl PackedMemoryManager {
    pub fn new() -> Self {
        Self::default()
    }
}

impl MemoryManager for PackedMemoryManager {
    fn allocate(&self, request: &AllocRequest) -> Result<Box<dyn InFlightAlloc>> {
        if request
            .segments
            .iter()
            .any(|s| s.lifetime == MemLifetime::NoAlloc)
        {
            return Err(Error::Memory(
                "NoAlloc segments are never allocated in the executor".into(),
            ));
        }
        // A finalized unit keeps one standard piece per zone (see
        // `PackedFinalized`): a request with more goes to the per-page manager
        // (the linker asks for one segment per protection and lifetime).
        let standard_per_zone = |zone: Zone| {
            request
                .segments
                .iter()
                .filter(|s| s.lifetime != MemLifetime::Finalize && Zone::of(s.prot) == zone)
                .count()
        };
        if request
            .segments
            .iter()
            .any(|s| s.size > LARGEST_PACKED || s.align > page_size())
            || [Zone::Code, Zone::Rodata, Zone::Data]
                .into_iter()
                .any(|z| standard_per_zone(z) > 1)
        {
            return self.fallback.allocate(request);
        }
        let mut pool = lock();
        let mut placed = None;
        for s in 0..pool.slabs.len() {
            if pool.slabs[s].fits(request.placement) {
                if let Some(pieces) = pool.place_in(s, request) {
                    placed = Some((s, pieces));
                    break;
                }
            }
        }
        let (slab, pieces) = match placed {
            Some(p) => p,
            None => {
                let largest = request.segments.iter().map(|s| s.size).max().unwrap_or(0);
                let s = pool.grow(request.placement, largest)?;
                let pieces = pool.place_in(s, request).ok_or_else(|| {
                    Error::Memory("a unit does not fit in a fresh JIT slab".into())
                })?;
                (s, pieces)
            }
        };
        pool.in_flight.extend(pieces.iter().map(|p| (slab, *p)));
        let sl = &pool.slabs[slab];
        let addrs: Vec<u64> = pieces
            .iter()
            .map(|p| sl.zone_base(p.zone) + p.off)
            .collect();
        let writes: Vec<u64> = pieces
            .iter()
            .map(|p| sl.write_addr(p.zone, p.off))
            .collect();
        drop(pool);
        let mut alloc = PackedInFlight {
            slab,
            pieces,
            sizes: request.segments.iter().map(|s| s.size).collect(),
            addrs,
            writes,
        };
        for i in 0..alloc.pieces.len() {
            alloc.working_memory(i).fill(0);
        }
        Ok(Box::new(alloc))
    }

    fn patch(&self, addr: ExecutorAddr, bytes: &[u8]) -> Result<()> {
        let mut pool = lock();
        let start = addr.0;
        let end = start + bytes.len() as u64;
        let Some((slab, zone)) = pool.finalized_at(start, end) else {
            return Err(not_patchable(addr, bytes.len()));
        };
        if let Some(page) = pool.copied_pages(start, bytes.len() as u64).first() {
            return Err(Error::Memory(format!(
                "cannot patch {} bytes at {addr}: a debugger has written into the page at {page:#x} \
                 (its breakpoints), so the executing view no longer shows writes there",
                bytes.len()
            )));
        }
        let sl = &mut pool.slabs[slab];
        let off = start - sl.zone_base(zone);
        let target = sl.write_addr(zone, off);
        // The write maps the writable view's page again: counted, and swept.
        sl.written(zone, off, bytes.len() as u64);
        if let (8, true) = (bytes.len(), target.is_multiple_of(8)) {
            let word = u64::from_le_bytes(bytes.try_into().expect("8 bytes"));
            // SAFETY: as below; one aligned 8-byte store, so a thread running
            // the code fetches the old or the new bytes, never a mix.
            unsafe {
                std::sync::atomic::AtomicU64::from_ptr(target as *mut u64)
                    .store(word, std::sync::atomic::Ordering::SeqCst)
            };
            return Ok(());
        }
        // SAFETY: `[start, end)` lies inside live finalized pieces (checked
        // against the free list and the pieces in flight under the pool lock), and `target` is the same bytes
        // in the slab's writable view, which is never unmapped. The caller
        // owns the code it patches (what runs meanwhile is its business, as in
        // any back-patching JIT).
        unsafe {
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), target as *mut u8, bytes.len());
        }
        Ok(())
    }
}

fn not_patchable(addr: ExecutorAddr, len: usize) -> Error {
    Error::Memory(format!(
        "cannot patch {len} bytes at {addr}: not inside the code or read-only data of a live unit \
         in packed memory"
    ))
}

struct PackedInFlight {
    slab: usize,
    pieces: Vec<Piece>,
    sizes: Vec<u64>,
    /// Executor addresses, per segment.
    addrs: Vec<u64>,
    /// Where the linker writes each segment (the shared view for dual-mapped zones).
    writes: Vec<u64>,
}

impl PackedInFlight {
    /// Gives every piece back (a link that failed or was abandoned).
    fn free(&self) {
        let mut pool = lock();
        pool.land(self.slab, &self.pieces);
        for p in &self.pieces {
            pool.release(self.slab, p);
        }
    }
}

impl InFlightAlloc for PackedInFlight {
    fn segment_addr(&self, index: usize) -> ExecutorAddr {
        ExecutorAddr(self.addrs[index])
    }

    fn working_memory(&mut self, index: usize) -> &mut [u8] {
        // SAFETY: the piece is reserved for this allocation alone in a writable
        // view (shared memfd view or private data zone) that is never unmapped;
        // the borrow is tied to `&mut self`, so no alias exists.
        unsafe {
            std::slice::from_raw_parts_mut(
                self.writes[index] as *mut u8,
                self.sizes[index] as usize,
            )
        }
    }

    fn finalize(self: Box<Self>, actions: Vec<AllocAction>) -> Result<FinalizedAlloc> {
        // A debugger may have copied a page between allocation and now: the
        // executing view would not show the unit's code. Refuse (narrow race).
        {
            let pool = lock();
            for (p, &addr) in self.pieces.iter().zip(&self.addrs) {
                if p.zone.dual_mapped() && !pool.copied_pages(addr, p.len).is_empty() {
                    drop(pool);
                    self.free();
                    return Err(Error::Memory(format!(
                        "a debugger wrote into the page at {addr:#x} while the unit was being linked; link it again"
                    )));
                }
            }
        }
        let mut ran: Vec<AllocAction> = Vec::with_capacity(actions.len());
        for action in actions {
            if let Some(call) = &action.finalize {
                if let Err(e) = run_wrapper_call(call) {
                    for done in ran.iter().rev() {
                        if let Some(dealloc) = &done.dealloc {
                            let _ = run_wrapper_call(dealloc);
                        }
                    }
                    self.free();
                    return Err(e);
                }
            }
            ran.push(action);
        }
        {
            let mut pool = lock();
            pool.land(self.slab, &self.pieces);
            for p in &self.pieces {
                if p.lifetime == MemLifetime::Finalize {
                    pool.release(self.slab, p);
                } else if p.zone.dual_mapped() {
                    pool.slabs[self.slab].written(p.zone, p.off, p.len);
                }
            }
        }
        let mut pieces = [(0, 0); 3];
        for p in self
            .pieces
            .iter()
            .filter(|p| p.lifetime != MemLifetime::Finalize)
        {
            // Zones are at most ZONE bytes and at most one standard piece
            // is in each (checked in `allocate`).
            pieces[p.zone as usize] = (p.off as u32, p.len as u32);
        }
        Ok(FinalizedAlloc::new(Box::new(PackedFinalized {
            slab: self.slab as u32,
            pieces,
            dealloc_actions: DeallocActions::new(
                ran.into_iter().filter_map(|a| a.dealloc).collect(),
            ),
        })))
    }

    fn abandon(self: Box<Self>) {
        self.free();
    }
}

/// What a live unit keeps (72 bytes, one allocation when it has one
/// dealloc action: a million of them are alive at once).
struct PackedFinalized {
    slab: u32,
    /// Per zone, the offset and length of the unit's piece (length 0: none).
    pieces: [(u32, u32); 3],
    dealloc_actions: DeallocActions,
}

/// A unit's dealloc actions, without an allocation in the usual cases: one
/// call of any argument, or two calls with an 8-byte argument each (an
/// eh-frame deregistration and a debug object's removal: a boxed slice of
/// two cost a unit registered for debuggers 80 bytes more).
enum DeallocActions {
    One(WrapperCall),
    /// Two (function, 8-byte argument) pairs, run in order.
    Words {
        first: (u64, u64),
        second: (u64, u64),
    },
    Many(Box<[WrapperCall]>),
}

impl DeallocActions {
    fn new(mut calls: Vec<WrapperCall>) -> Self {
        let word = |call: &WrapperCall| {
            let arg: [u8; 8] = (*call.arg).try_into().ok()?;
            Some((call.function.0, u64::from_le_bytes(arg)))
        };
        if let [a, b] = &calls[..] {
            if let (Some(first), Some(second)) = (word(a), word(b)) {
                if second.0 != 0 {
                    return DeallocActions::Words { first, second };
                }
            }
        }
        if calls.len() == 1 {
            DeallocActions::One(calls.pop().expect("one"))
        } else {
            DeallocActions::Many(calls.into_boxed_slice())
        }
    }

    fn calls(&self) -> Vec<WrapperCall> {
        let call = |(function, arg): (u64, u64)| WrapperCall {
            function: ExecutorAddr(function),
            arg: arg.to_le_bytes()[..].into(),
        };
        match self {
            DeallocActions::One(call) => vec![call.clone()],
            DeallocActions::Words { first, second } => vec![call(*first), call(*second)],
            DeallocActions::Many(calls) => calls.to_vec(),
        }
    }
}

impl PackedFinalized {
    fn pieces(&self) -> impl Iterator<Item = Piece> + '_ {
        [Zone::Code, Zone::Rodata, Zone::Data]
            .into_iter()
            .zip(self.pieces)
            .filter(|(_, (_, len))| *len > 0)
            .map(|(zone, (off, len))| Piece {
                zone,
                off: u64::from(off),
                len: u64::from(len),
                lifetime: MemLifetime::Standard,
            })
    }
}

impl FinalizedMemory for PackedFinalized {
    fn deallocate(self: Box<Self>) -> Result<()> {
        let mut first_error = None;
        for call in self.dealloc_actions.calls().iter().rev() {
            if let Err(e) = run_wrapper_call(call) {
                first_error.get_or_insert(e);
            }
        }
        let mut pool = lock();
        for p in self.pieces() {
            pool.release(self.slab as usize, &p);
        }
        first_error.map_or(Ok(()), Err)
    }

    /// The span from the lowest to the highest segment (other units' bytes
    /// may lie between them).
    fn range(&self) -> (ExecutorAddr, u64) {
        let pool = lock();
        let slab = &pool.slabs[self.slab as usize];
        let spans = self.pieces().map(|p| {
            let start = slab.zone_base(p.zone) + p.off;
            (start, start + p.len)
        });
        let (lo, hi) = spans.fold((u64::MAX, 0), |(lo, hi), (s, e)| (lo.min(s), hi.max(e)));
        if lo > hi {
            (ExecutorAddr(0), 0)
        } else {
            (ExecutorAddr(lo), hi - lo)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{DeallocActions, ExecutorAddr, FreeList, PackedFinalized, WrapperCall};

    fn call(function: u64, arg: &[u8]) -> WrapperCall {
        WrapperCall {
            function: ExecutorAddr(function),
            arg: arg.into(),
        }
    }

    #[test]
    fn two_word_dealloc_actions_are_kept_inline_in_order() {
        let calls = vec![
            call(0x10, &7u64.to_le_bytes()),
            call(0x20, &9u64.to_le_bytes()),
        ];
        let kept = DeallocActions::new(calls.clone());
        assert!(matches!(kept, DeallocActions::Words { .. }));
        assert_eq!(kept.calls(), calls);
        let long = vec![call(0x10, &[1; 12]), call(0x20, &9u64.to_le_bytes())];
        let kept = DeallocActions::new(long.clone());
        assert!(matches!(kept, DeallocActions::Many(_)));
        assert_eq!(kept.calls(), long);
        let one = vec![call(0x30, &[5; 3])];
        assert_eq!(DeallocActions::new(one.clone()).calls(), one);
        assert!(DeallocActions::new(Vec::new()).calls().is_empty());
        // A million units keep one each: no larger than with one call inline.
        assert!(std::mem::size_of::<PackedFinalized>() <= 72);
    }

    #[test]
    fn free_list_coalesces_and_aligns() {
        let mut f = FreeList::whole(4096);
        let a = f.take(16, 16).unwrap();
        let b = f.take(100, 64).unwrap();
        assert_eq!((a, b), (0, 64));
        assert_eq!(f.give(a, 16), (0, 64));
        assert_eq!(f.give(b, 100), (0, 4096));
        f.carve(100, 200);
        assert_eq!(f.take(4000, 1), None);
        assert_eq!(f.take(100, 1), Some(0));
    }
}
