//! Exact bytes of every GOT/PLT relaxation, stub and table entry that
//! `core/src/arch/x86_64/tables.rs` produces. Each fixture under
//! `tests/relaxation-fixtures/` is assembled at test time with llvm-mc-19 (or
//! GNU as), linked with `lantern link --print-layout --print-section NAME`,
//! and every labelled instruction is compared byte for byte with what it
//! must become, its displacements computed from the printed addresses (as
//! JITLink's `jitlink-check` lines do in `ELF_got_plt_optimizations.s`).

mod support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use support::{check, lantern, require_tool, scratch};

const GOT: &str = "$__GOT";
const STUBS: &str = "$__STUBS";

/// A linked fixture: its placement, symbols, and the bytes of its sections
/// as they lie in memory after the link.
struct Linked {
    fixture: String,
    placement: String,
    stats: String,
    symbols: HashMap<String, u64>,
    sections: Vec<(String, u64, Vec<u8>)>,
}

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/relaxation-fixtures")
}

/// Assembles `tests/relaxation-fixtures/NAME.s` and links it; `None` when
/// no assembler is installed (a loud skip, a failure under `CI=true`).
fn link_fixture(name: &str) -> Option<Linked> {
    let assembler = require_tool(&["llvm-mc-19", "as"], "an x86-64 assembler")?;
    let dir = scratch(&format!("relaxations-{name}"));
    let source = fixtures_dir().join(format!("{name}.s"));
    let object = dir.join(format!("{name}.o"));
    let mut assemble = Command::new(&assembler);
    if assembler == "as" {
        assemble.arg("--64");
    } else {
        assemble.args(["-filetype=obj", "-triple=x86_64-linux-gnu"]);
    }
    check(assemble.arg(&source).arg("-o").arg(&object)).unwrap();

    // One link to learn the section names, one to print them all: the
    // addresses differ between processes, so every byte must come from one.
    let layout = check(
        Command::new(lantern())
            .args(["link", "--print-layout"])
            .arg(&object),
    )
    .unwrap();
    let names: Vec<String> = lines_after(&layout, "sections:")
        .filter_map(|line| Some(line.split_whitespace().nth(3)?.to_string()))
        .collect();
    let mut link = Command::new(lantern());
    link.args(["link", "--print-layout", "--stats"])
        .arg(&object);
    for name in &names {
        link.args(["--print-section", name]);
    }
    let out = check(&mut link).unwrap();
    Some(parse(name, &out))
}

/// The indented lines after `header`.
fn lines_after<'a>(text: &'a str, header: &'a str) -> impl Iterator<Item = &'a str> {
    text.lines()
        .skip_while(move |line| *line != header)
        .skip(1)
        .take_while(|line| line.starts_with("  "))
}

fn hex(text: &str) -> u64 {
    u64::from_str_radix(text.trim_start_matches("0x").trim_end_matches(','), 16)
        .unwrap_or_else(|_| panic!("not a hex address: {text}"))
}

/// Reads `lantern link --print-layout --stats --print-section ...` output.
fn parse(fixture: &str, out: &str) -> Linked {
    let placement = out
        .lines()
        .find_map(|l| l.strip_prefix("placement: "))
        .expect("a placement line")
        .to_string();
    let symbols = lines_after(out, "symbols:")
        .map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            (fields[2].to_string(), hex(fields[0]))
        })
        .collect();
    let mut sections: Vec<(String, u64, Vec<u8>)> = Vec::new();
    for line in out.lines() {
        if let Some(rest) = line.strip_prefix("section ") {
            // `section NAME (FILE) at 0xADDR, N bytes:`
            let fields: Vec<&str> = rest.split_whitespace().collect();
            sections.push((fields[0].to_string(), hex(fields[3]), Vec::new()));
        } else if let (Some(current), Some((_, bytes))) = (
            sections.last_mut(),
            line.strip_prefix("  0x").and_then(|l| l.split_once(": ")),
        ) {
            current.2.extend(
                bytes
                    .split_whitespace()
                    .map(|b| u8::from_str_radix(b, 16).unwrap()),
            );
        }
    }
    let stats = out
        .lines()
        .find(|l| l.starts_with("GOT loads relaxed"))
        .unwrap_or_default()
        .to_string();
    Linked {
        fixture: fixture.to_string(),
        placement,
        stats,
        symbols,
        sections,
    }
}

impl Linked {
    fn sym(&self, name: &str) -> u64 {
        *self
            .symbols
            .get(name)
            .unwrap_or_else(|| panic!("{}: no symbol {name} in the layout", self.fixture))
    }

    fn section_of(&self, addr: u64) -> Option<&str> {
        self.sections
            .iter()
            .find(|(_, start, bytes)| (*start..*start + bytes.len() as u64).contains(&addr))
            .map(|(name, _, _)| name.as_str())
    }

    fn bytes(&self, addr: u64, len: usize) -> &[u8] {
        let (_, start, bytes) = self
            .sections
            .iter()
            .find(|(_, start, bytes)| {
                addr >= *start && addr + len as u64 <= *start + bytes.len() as u64
            })
            .unwrap_or_else(|| panic!("{}: {addr:#x}+{len} in no section", self.fixture));
        let at = (addr - start) as usize;
        &bytes[at..at + len]
    }

    fn u64(&self, addr: u64) -> u64 {
        u64::from_le_bytes(self.bytes(addr, 8).try_into().unwrap())
    }

    /// The target of the rel32 field at `field` (end of field + displacement).
    fn rel32_target(&self, field: u64) -> u64 {
        let disp = i32::from_le_bytes(self.bytes(field, 4).try_into().unwrap());
        (field + 4).wrapping_add_signed(disp.into())
    }

    /// Asserts the bytes at symbol `label` (plus `offset`) are `expected`.
    fn expect(&self, label: &str, offset: u64, expected: &[u8]) {
        let at = self.sym(label) + offset;
        assert_eq!(
            self.bytes(at, expected.len()),
            expected,
            "{}: bytes at {label}+{offset} ({at:#x})",
            self.fixture
        );
    }

    /// The GOT entry the rel32 at `field` points at, asserted to be in the GOT.
    fn got_entry(&self, field: u64) -> u64 {
        let entry = self.rel32_target(field);
        assert_eq!(
            self.section_of(entry),
            Some(GOT),
            "{}: the rel32 at {field:#x} points at {entry:#x}, outside the GOT",
            self.fixture
        );
        entry
    }

    /// Checks the stub at `stub` (`jmp *entry(%rip)`, int3, int3) and
    /// returns its GOT entry.
    fn stub_entry(&self, stub: u64) -> u64 {
        assert_eq!(
            self.section_of(stub),
            Some(STUBS),
            "{}: {stub:#x}",
            self.fixture
        );
        assert_eq!(
            self.bytes(stub, 2),
            [0xff, 0x25],
            "{}: stub opcode",
            self.fixture
        );
        assert_eq!(
            self.bytes(stub + 6, 2),
            [0xcc, 0xcc],
            "{}: stub padding",
            self.fixture
        );
        self.got_entry(stub + 2)
    }
}

/// The rel32 from the end of a field (`next`) to `target`, little-endian.
fn rel32(next: u64, target: u64) -> [u8; 4] {
    let value = target.wrapping_sub(next) as i64;
    i32::try_from(value)
        .expect("a 32-bit displacement")
        .to_le_bytes()
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

#[test]
fn got_loads_of_defined_symbols_relax_to_direct_forms() {
    let Some(l) = link_fixture("got_loads") else {
        return;
    };
    let foo = l.sym("foo");
    let at = |label: &str| l.sym(label);
    l.expect(
        "mov_rex",
        0,
        &cat(&[&[0x48, 0x8d, 0x05], &rel32(at("mov_rex") + 7, foo)]),
    );
    l.expect(
        "mov_rex_r",
        0,
        &cat(&[&[0x4c, 0x8d, 0x25], &rel32(at("mov_rex_r") + 7, foo)]),
    );
    l.expect(
        "mov_norex",
        0,
        &cat(&[&[0x8d, 0x05], &rel32(at("mov_norex") + 6, foo)]),
    );
    l.expect(
        "call_got",
        0,
        &cat(&[&[0x67, 0xe8], &rel32(at("call_got") + 6, foo)]),
    );
    l.expect(
        "jmp_got",
        0,
        &cat(&[&[0xe9], &rel32(at("jmp_got") + 5, foo), &[0x90]]),
    );

    // Not relaxed: loads from foo's one GOT entry, and the weak symbol's.
    l.expect("add_rex", 0, &[0x48, 0x03, 0x05]);
    let foo_entry = l.got_entry(at("add_rex") + 3);
    assert_eq!(l.u64(foo_entry), foo);
    l.expect("plain", 0, &[0x48, 0x8b, 0x05]);
    assert_eq!(l.got_entry(at("plain") + 3), foo_entry);
    l.expect("weak_load", 0, &[0x48, 0x8b, 0x05]);
    let weak_entry = l.got_entry(at("weak_load") + 3);
    assert_ne!(weak_entry, foo_entry);
    assert_eq!(l.u64(weak_entry), 0, "an undefined weak symbol's entry");
    assert!(l.stats.starts_with("GOT loads relaxed: 5,"), "{}", l.stats);
}

#[test]
fn host_calls_in_range_bypass_their_stubs() {
    let Some(l) = link_fixture("host_calls_near") else {
        return;
    };
    assert!(l.placement.starts_with("within 2 GiB"), "{}", l.placement);
    let puts = l.u64(l.sym("puts_address"));
    assert_eq!(l.section_of(puts), None, "puts is the host's");
    let at = |label: &str| l.sym(label);
    l.expect(
        "call_plt",
        0,
        &cat(&[&[0xe8], &rel32(at("call_plt") + 5, puts)]),
    );
    l.expect(
        "call_got",
        0,
        &cat(&[&[0x67, 0xe8], &rel32(at("call_got") + 6, puts)]),
    );
    l.expect(
        "mov_got",
        0,
        &cat(&[&[0x48, 0x8d, 0x05], &rel32(at("mov_got") + 7, puts)]),
    );
    l.expect(
        "lea_puts",
        0,
        &cat(&[&[0x48, 0x8d, 0x3d], &rel32(at("lea_puts") + 7, puts)]),
    );
    l.expect(
        "jmp_plt",
        0,
        &cat(&[&[0xe9], &rel32(at("jmp_plt") + 5, puts)]),
    );
    // The stub, no longer used, still jumps through puts' GOT entry.
    let stubs = l.sections.iter().find(|s| s.0 == STUBS).expect("stubs");
    assert_eq!(stubs.2.len(), 8, "one stub");
    assert_eq!(l.u64(l.stub_entry(stubs.1)), puts);
    assert!(
        l.stats.ends_with("stubs bypassed: 3"),
        "call_plt, lea_puts, jmp_plt: {}",
        l.stats
    );
}

#[test]
fn host_calls_out_of_range_go_through_stubs() {
    let Some(l) = link_fixture("host_calls_far") else {
        return;
    };
    assert!(l.placement.starts_with("below 2 GiB"), "{}", l.placement);
    let puts = l.u64(l.sym("puts_address"));
    let at = |label: &str| l.sym(label);

    l.expect("call_plt", 0, &[0xe8]);
    let puts_stub = l.rel32_target(at("call_plt") + 1);
    let puts_entry = l.stub_entry(puts_stub);
    assert_eq!(l.u64(puts_entry), puts);
    l.expect(
        "call_plt2",
        0,
        &cat(&[&[0xe8], &rel32(at("call_plt2") + 5, puts_stub)]),
    );
    l.expect(
        "jmp_plt",
        0,
        &cat(&[&[0xe9], &rel32(at("jmp_plt") + 5, puts_stub)]),
    );
    l.expect(
        "call_got",
        0,
        &cat(&[&[0xff, 0x15], &rel32(at("call_got") + 6, puts_entry)]),
    );
    l.expect(
        "mov_got",
        0,
        &cat(&[&[0x48, 0x8b, 0x05], &rel32(at("mov_got") + 7, puts_entry)]),
    );
    l.expect(
        "call_local",
        0,
        &cat(&[&[0xe8], &rel32(at("call_local") + 5, l.sym("local"))]),
    );

    // abort's canonical address is its stub, wherever its address is taken.
    let abort_stub = l.u64(l.sym("abort_address"));
    assert_ne!(abort_stub, puts_stub);
    let abort = l.u64(l.stub_entry(abort_stub));
    assert!(l.section_of(abort).is_none() && abort != 0 && abort != puts);
    let abort_stub32 = u32::try_from(abort_stub).expect("a low address");
    l.expect(
        "abs_abort",
        0,
        &cat(&[&[0xbf], &abort_stub32.to_le_bytes()]),
    );
    l.expect(
        "abs_abort_s",
        0,
        &cat(&[&[0x48, 0xc7, 0xc7], &abort_stub32.to_le_bytes()]),
    );
    let abort_delta = l.sym("abort_delta");
    assert_eq!(l.u64(abort_delta), abort_stub.wrapping_sub(abort_delta));
    l.expect("got_abort", 0, &[0x48, 0x8b, 0x05]);
    let canonical_entry = l.got_entry(at("got_abort") + 3);
    assert_ne!(canonical_entry, l.stub_entry(abort_stub));
    assert_eq!(l.u64(canonical_entry), abort_stub);
    l.expect(
        "call_got_abort",
        0,
        &cat(&[
            &[0xff, 0x15],
            &rel32(at("call_got_abort") + 6, canonical_entry),
        ]),
    );
    l.expect(
        "call_abort",
        0,
        &cat(&[&[0xe8], &rel32(at("call_abort") + 5, abort_stub)]),
    );
    l.expect(
        "lea_puts",
        0,
        &cat(&[&[0x48, 0x8d, 0x3d], &rel32(at("lea_puts") + 7, puts_stub)]),
    );
    assert_eq!(l.stats, "GOT loads relaxed: 0, stubs bypassed: 0");
}

#[test]
fn large_model_and_got_relative_references() {
    let Some(l) = link_fixture("large_model") else {
        return;
    };
    let (got, foo) = (l.sym("_GLOBAL_OFFSET_TABLE_"), l.sym("foo"));
    let puts = l.u64(l.sym("puts_address"));
    let at = |label: &str| l.sym(label);
    let movabs_rax = [0x48, 0xb8];

    // foo's GOT entry, found through R_X86_64_GOT64's offset from the base.
    l.expect("got64", 0, &movabs_rax);
    let entry = got.wrapping_add(l.u64(at("got64") + 2));
    assert_eq!(l.section_of(entry), Some(GOT));
    assert_eq!(l.u64(entry), foo);
    let got_offset = entry.wrapping_sub(got);
    l.expect(
        "gotplt64",
        0,
        &cat(&[&movabs_rax, &got_offset.to_le_bytes()]),
    );
    let gotpcrel = entry.wrapping_sub(8).wrapping_sub(at("gotpcrel64") + 2);
    l.expect(
        "gotpcrel64",
        0,
        &cat(&[&movabs_rax, &gotpcrel.to_le_bytes()]),
    );
    l.expect(
        "got32",
        0,
        &cat(&[&[0x8b, 0x04, 0x25], &(got_offset as u32).to_le_bytes()]),
    );

    // R_X86_64_PLTOFF64: puts' stub (through puts' GOT entry), foo itself.
    l.expect("pltoff_host", 0, &movabs_rax);
    let stub = got.wrapping_add(l.u64(at("pltoff_host") + 2));
    assert_eq!(l.u64(l.stub_entry(stub)), puts);
    let foo_from_got = foo.wrapping_sub(got).to_le_bytes();
    l.expect("pltoff_local", 0, &cat(&[&movabs_rax, &foo_from_got]));
    l.expect("gotoff", 0, &cat(&[&movabs_rax, &foo_from_got]));

    let gotpc64 = got.wrapping_sub(at("gotpc64") + 2).wrapping_add(2);
    l.expect("gotpc64", 0, &cat(&[&[0x49, 0xbb], &gotpc64.to_le_bytes()]));
    l.expect(
        "gotpc32",
        0,
        &cat(&[&[0x4c, 0x8d, 0x3d], &rel32(at("gotpc32") + 7, got)]),
    );
}

#[test]
fn tls_models_keep_their_code_and_get_their_got_entries() {
    let Some(l) = link_fixture("tls") else {
        return;
    };
    let tls_get_addr = l.u64(l.sym("tls_get_addr_address"));
    let resolver = l.u64(l.sym("resolver_address"));
    let at = |label: &str| l.sym(label);
    let call_tls_get_addr = |label: &str, offset: u64, prefix: &[u8]| {
        let call = at(label) + offset;
        let field = call + prefix.len() as u64 + 1;
        l.expect(
            label,
            offset,
            &cat(&[prefix, &[0xe8], &rel32(field + 4, tls_get_addr)]),
        );
    };

    // General dynamic: a (module id, offset in the block) pair per variable.
    l.expect("gd_x", 0, &[0x66, 0x48, 0x8d, 0x3d]);
    let pair_x = l.got_entry(at("gd_x") + 4);
    call_tls_get_addr("gd_x", 8, &[0x66, 0x66, 0x48]);
    let module = l.u64(pair_x);
    assert_ne!(module, 0, "a module id");
    assert_eq!(l.u64(pair_x + 8), 0, "x's offset in the block");
    l.expect("gd_y", 0, &[0x66, 0x48, 0x8d, 0x3d]);
    let pair_y = l.got_entry(at("gd_y") + 4);
    call_tls_get_addr("gd_y", 8, &[0x66, 0x66, 0x48]);
    assert_ne!(pair_x, pair_y);
    assert_eq!((l.u64(pair_y), l.u64(pair_y + 8)), (module, 8));

    // Local dynamic: the unit's one (module id, 0) pair, then DTPOFF32.
    l.expect("ld", 0, &[0x48, 0x8d, 0x3d]);
    let ld_pair = l.got_entry(at("ld") + 3);
    call_tls_get_addr("ld", 7, &[]);
    assert!(ld_pair != pair_x && ld_pair != pair_y);
    assert_eq!((l.u64(ld_pair), l.u64(ld_pair + 8)), (module, 0));
    l.expect("ld_dtpoff", 0, &[0x48, 0x8d, 0x88, 8, 0, 0, 0]);
    l.expect("ld2", 0, &[0x48, 0x8d, 0x3d]);
    assert_eq!(l.got_entry(at("ld2") + 3), ld_pair);

    // Initial exec and local exec: x's offset from the thread pointer.
    l.expect("ie_x", 0, &[0x48, 0x8b, 0x05]);
    let tp_x = l.u64(l.got_entry(at("ie_x") + 3)) as i64;
    assert!(tp_x < 0, "TLS variant II: {tp_x}");
    let tp_x32 = i32::try_from(tp_x).unwrap().to_le_bytes();
    l.expect("le_x", 0, &cat(&[&[0x64, 0x48, 0x8b, 0x04, 0x25], &tp_x32]));

    // TLS descriptor: (the static resolver, y's offset from the thread pointer).
    l.expect("desc_y", 0, &[0x48, 0x8d, 0x05]);
    let descriptor = l.got_entry(at("desc_y") + 3);
    l.expect("desc_y", 7, &[0xff, 0x10]);
    assert_eq!(l.u64(descriptor), resolver);
    assert_eq!(l.u64(descriptor + 8) as i64, tp_x + 8);
    assert_eq!(l.stats, "GOT loads relaxed: 0, stubs bypassed: 3");
}

#[test]
fn print_section_names_a_section_the_link_lacks() {
    let Some(assembler) = require_tool(&["llvm-mc-19"], "llvm-mc-19") else {
        return;
    };
    let dir = scratch("relaxations-missing-section");
    let object = dir.join("got_loads.o");
    check(
        Command::new(assembler)
            .args(["-filetype=obj", "-triple=x86_64-linux-gnu"])
            .arg(fixtures_dir().join("got_loads.s"))
            .arg("-o")
            .arg(&object),
    )
    .unwrap();
    let out = Command::new(lantern())
        .args(["link", "--print-section", "$__STUBS"])
        .arg(&object)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no section named $__STUBS") && stderr.contains("--print-layout"),
        "{stderr}"
    );
}
