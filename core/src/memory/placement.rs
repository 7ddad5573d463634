//! Where in the address space an allocation goes, so that 32-bit fixups reach
//! their targets: near the host libraries, or in the low 2 GiB.

use crate::error::{Error, Result};

const TWO_GIB: u64 = 1 << 31;
/// Slack kept between the window's edges and the allocation.
const MARGIN: u64 = 16 << 20;

/// A constraint on an allocation's address range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Placement {
    /// Anywhere the kernel likes.
    #[default]
    Anywhere,
    /// Entirely below 2 GiB: absolute 32-bit fixups (`-fno-pic`) reach it.
    Low2GiB,
    /// Within ±2 GiB of every address in `[lo, hi]` (host symbols reached by
    /// 32-bit PC-relative fixups).
    Near { lo: u64, hi: u64 },
}

impl std::fmt::Display for Placement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Placement::Anywhere => write!(f, "anywhere (the code reaches everything through the GOT)"),
            Placement::Low2GiB => write!(f, "below 2 GiB (absolute 32-bit fixups: -fno-pic code, stabs)"),
            Placement::Near { lo, hi } => write!(
                f,
                "within 2 GiB of {lo:#x}..{hi:#x} (host symbols reached by 32-bit PC-relative fixups)"
            ),
        }
    }
}

impl Placement {
    /// The address window `[start, end)` the whole allocation must fit in.
    pub fn window(self, size: u64) -> Option<(u64, u64)> {
        match self {
            Placement::Anywhere => None,
            Placement::Low2GiB => Some((1 << 16, TWO_GIB)),
            Placement::Near { lo, hi } => {
                let start = hi.saturating_sub(TWO_GIB - MARGIN);
                let end = lo.saturating_add(TWO_GIB - MARGIN);
                (end > start && end - start >= size).then_some((start, end))
            }
        }
    }

    fn preferred(self) -> u64 {
        match self {
            Placement::Anywhere => 0,
            Placement::Low2GiB => 1 << 30,
            Placement::Near { lo, .. } => lo,
        }
    }
}

/// Mapped ranges of this process, sorted, from /proc/self/maps.
fn mapped_ranges() -> Result<Vec<(u64, u64)>> {
    let maps = std::fs::read_to_string("/proc/self/maps")
        .map_err(|e| Error::Memory(format!("cannot read /proc/self/maps: {e}")))?;
    let mut ranges: Vec<(u64, u64)> = maps
        .lines()
        .filter_map(|line| {
            let range = line.split_whitespace().next()?;
            let (start, end) = range.split_once('-')?;
            Some((
                u64::from_str_radix(start, 16).ok()?,
                u64::from_str_radix(end, 16).ok()?,
            ))
        })
        .collect();
    ranges.sort_unstable();
    Ok(ranges)
}

/// A free, page-aligned address where `size` bytes fit within the placement's
/// window, as close as possible to its preferred address.
pub(crate) fn find_free_address(placement: Placement, size: u64, page: u64) -> Result<Option<u64>> {
    let Some((win_start, win_end)) = placement.window(size) else {
        return Ok(None);
    };
    let preferred = placement.preferred();
    let ranges = mapped_ranges()?;
    let mut best: Option<(u64, u64)> = None; // (distance, address)
    let mut prev_end = 1u64 << 16;
    let user_top = 0x7fff_ffff_f000u64;
    for &(start, end) in ranges.iter().chain(std::iter::once(&(user_top, user_top))) {
        // Leave a guard page on each side of the gap.
        let gap_start = prev_end.saturating_add(page).max(win_start);
        let gap_end = start.saturating_sub(page).min(win_end);
        prev_end = prev_end.max(end);
        if gap_end <= gap_start || gap_end - gap_start < size {
            continue;
        }
        let lowest = align_up(gap_start, page);
        let highest = (gap_end - size) & !(page - 1);
        if highest < lowest {
            continue;
        }
        let candidate = if preferred > highest {
            highest
        } else if preferred < lowest {
            lowest
        } else {
            align_up(preferred, page).min(highest)
        };
        let distance = candidate.abs_diff(preferred);
        if best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    match best {
        Some((_, addr)) => Ok(Some(addr)),
        None => Err(Error::Memory(format!(
            "no free address range of {size:#x} bytes in [{win_start:#x}, {win_end:#x}) {placement}"
        ))),
    }
}

pub(crate) fn align_up(value: u64, align: u64) -> u64 {
    (value + align - 1) & !(align - 1)
}
