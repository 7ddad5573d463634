//! Human-readable reports: the layout of a link and its phase timings.

use lantern_core::link::{LayoutReport, Timings};
use lantern_plugins::link_stats::EdgeCounts;

pub fn print_layout(layout: &LayoutReport) {
    println!("placement: {}", layout.placement);
    println!("segments:");
    for seg in &layout.segments {
        println!(
            "  {:#018x} {:>10} {} {:?}",
            seg.addr.0,
            seg.size,
            seg.prot.as_str(),
            seg.lifetime
        );
    }
    println!("sections:");
    for s in &layout.sections {
        println!(
            "  {:#018x} {:>10} {} {} ({})",
            s.addr.0,
            s.size,
            s.prot.as_str(),
            s.name,
            s.file
        );
    }
    println!(
        "GOT entries: {}, stubs: {}",
        layout.got_entries, layout.stubs
    );
    println!("symbols:");
    let mut symbols = layout.symbols.clone();
    symbols.sort_by_key(|(_, addr, _)| *addr);
    for (name, addr, size) in symbols {
        println!("  {:#018x} {:>8} {}", addr.0, size, name);
    }
}

pub fn print_timings(timings: &Timings) {
    eprintln!("link phases:");
    for (phase, duration) in &timings.phases {
        eprintln!("  {:<10} {:>9.3} ms", phase, duration.as_secs_f64() * 1e3);
    }
    eprintln!(
        "  {:<10} {:>9.3} ms",
        "total",
        timings.total().as_secs_f64() * 1e3
    );
}

pub fn print_stats(counts: &EdgeCounts) {
    println!(
        "blocks: {} live, {} dead-stripped",
        counts.live_blocks, counts.dead_blocks
    );
    println!("edges after GOT/PLT lowering:");
    for (kind, n) in &counts.lowered {
        println!("  {n:>8} {kind}");
    }
    println!("edges at fixup:");
    for (kind, n) in &counts.final_ {
        println!("  {n:>8} {kind}");
    }
    println!(
        "GOT loads relaxed: {}, stubs bypassed: {}",
        counts.relaxed(),
        counts.stubs_bypassed()
    );
}
