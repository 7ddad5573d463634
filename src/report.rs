//! Human-readable reports: the layout of a link and its phase timings.

use lantern_core::executor::ExecutorControl;
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

/// Prints the bytes of every section called `name` as they lie in memory
/// after the link, 16 to a line after their address (`lantern link
/// --print-section`): what the relaxation tests compare exactly.
pub fn print_section(
    layouts: &[&LayoutReport],
    name: &str,
    executor: &dyn ExecutorControl,
) -> Result<(), String> {
    let mut found = false;
    for section in layouts.iter().flat_map(|l| &l.sections) {
        if section.name != name {
            continue;
        }
        found = true;
        println!(
            "section {} ({}) at {:#018x}, {} bytes:",
            section.name, section.file, section.addr.0, section.size
        );
        if section.size == 0 {
            continue;
        }
        let bytes = executor
            .read_memory(section.addr, section.size)
            .map_err(|e| format!("reading section {name}: {e}"))?;
        for (line, chunk) in bytes.chunks(16).enumerate() {
            let hex: Vec<String> = chunk.iter().map(|b| format!("{b:02x}")).collect();
            println!(
                "  {:#018x}: {}",
                section.addr.0 + 16 * line as u64,
                hex.join(" ")
            );
        }
    }
    if !found {
        return Err(format!(
            "--print-section: no section named {name} in the linked memory (--print-layout lists them)"
        ));
    }
    Ok(())
}

/// The phases' wall times, aligned on the longest name, written to stderr
/// in one write (stderr is unbuffered: a `write` a field was 300 system calls).
pub fn print_timings(timings: &Timings) {
    use std::fmt::Write as _;
    let width = timings
        .phases
        .iter()
        .map(|(phase, _)| phase.len())
        .chain(["total".len()])
        .max()
        .unwrap_or(0);
    let mut out = String::from("link phases:\n");
    let rows = timings
        .phases
        .iter()
        .map(|(phase, duration)| (&phase[..], *duration))
        .chain([("total", timings.total())]);
    for (phase, duration) in rows {
        let _ = writeln!(
            out,
            "  {phase:<width$} {:>9.3} ms",
            duration.as_secs_f64() * 1e3
        );
    }
    let _ = std::io::Write::write_all(&mut std::io::stderr().lock(), out.as_bytes());
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
