//! Bad input gets a clear error naming the file, section, symbol or
//! relocation, and exit status 1; never a panic.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use support::*;

fn lantern_run(args: &[&Path]) -> Outcome {
    run_with_timeout(
        Command::new(lantern()).arg("run").args(args),
        Duration::from_secs(60),
    )
    .expect("lantern runs")
}

/// Asserts a clean failure whose message contains every `needle`.
fn assert_error(out: &Outcome, needles: &[&str]) {
    assert_eq!(out.status, "exit 1", "expected a clean error, got {out:?}");
    assert!(
        out.stderr.starts_with("lantern: error: "),
        "stderr: {}",
        out.stderr
    );
    assert!(!out.stderr.contains("panicked"), "panic: {}", out.stderr);
    for needle in needles {
        assert!(
            out.stderr.contains(needle),
            "missing {needle:?} in: {}",
            out.stderr
        );
    }
}

#[test]
fn all_undefined_symbols_are_listed_with_their_references() {
    if !have_gcc() {
        return;
    }
    let dir = scratch("err-undefined");
    let a = compile_c(&dir, "a", "int missing_fn(void); extern int missing_data;\nint main(void){ return missing_fn() + missing_data; }", &[]);
    let b = compile_c(
        &dir,
        "b",
        "int missing_fn(void); int helper(void){ return missing_fn(); }",
        &[],
    );
    let out = lantern_run(&[&a, &b]);
    assert_error(
        &out,
        &[
            "2 undefined symbols",
            "`missing_fn`",
            "`missing_data`",
            "a.o(.text",
            "b.o(.text",
        ],
    );
}

/// With --separate-units, a symbol a later file defines is undefined in an
/// earlier one: the error says why and what to do, in process and out of
/// process; in the other order the program runs.
#[test]
fn separate_units_in_the_wrong_order_are_explained() {
    if !have_gcc() {
        return;
    }
    let dir = scratch("err-separate-units");
    let user = compile_c(
        &dir,
        "user",
        "int g(void);\nint main(void){ return g() - 7; }",
        &[],
    );
    let definer = compile_c(&dir, "definer", "int g(void){ return 7; }", &[]);
    for how in [&[][..], &["--oop"][..]] {
        let run = |files: [&Path; 2]| {
            run_with_timeout(
                Command::new(lantern())
                    .arg("run")
                    .args(how)
                    .arg("--separate-units")
                    .args(files),
                Duration::from_secs(60),
            )
            .expect("lantern runs")
        };
        let out = run([&user, &definer]);
        assert_error(
            &out,
            &[
                "1 undefined symbol",
                "`g`",
                "user.o(.text",
                "--separate-units",
                "earlier files",
            ],
        );
        let out = run([&definer, &user]);
        assert_eq!(out.status, "exit 0", "{how:?}: {out:?}");
    }
    // Without --separate-units, no hint.
    let out = lantern_run(&[&user]);
    assert_error(&out, &["`g`"]);
    assert!(!out.stderr.contains("--separate-units"), "{}", out.stderr);
}

#[test]
fn duplicate_strong_definitions_name_both_files() {
    if !have_gcc() {
        return;
    }
    let dir = scratch("err-duplicate");
    let a = compile_c(&dir, "a", "int dup = 1; int main(void){ return dup; }", &[]);
    let b = compile_c(&dir, "b", "int dup = 2;", &[]);
    let out = lantern_run(&[&a, &b]);
    assert_error(&out, &["duplicate symbol `dup`", "a.o", "b.o"]);
}

#[test]
fn not_elf_and_truncated_objects_are_rejected() {
    if !have_gcc() {
        return;
    }
    let dir = scratch("err-corrupt");
    let junk = dir.join("junk.o");
    std::fs::write(&junk, b"this is not an object file at all").unwrap();
    assert_error(&lantern_run(&[&junk]), &["junk.o", "not an ELF file"]);

    let good = compile_c(&dir, "good", "int main(void){ return 0; }", &[]);
    let bytes = std::fs::read(&good).unwrap();
    let truncated = dir.join("truncated.o");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    assert_error(&lantern_run(&[&truncated]), &["truncated.o"]);
}

/// A deterministic xorshift64 stream from `seed`, for seeded mutations.
fn xorshift(mut seed: u64) -> impl FnMut() -> u64 {
    move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    }
}

/// Whether a run on a corrupted input ended as it may: success or a clean
/// error (exit 1), and no panic.
fn ended_cleanly(out: &Outcome) -> bool {
    (out.status == "exit 0" || out.status == "exit 1") && !out.stderr.contains("panicked")
}

/// Where section `index`'s header starts in an ELF64 object.
fn section_header(bytes: &[u8], index: usize) -> usize {
    let shoff = u64::from_le_bytes(bytes[0x28..0x30].try_into().unwrap()) as usize;
    shoff + index * 64
}

/// Every truncation and many single-byte corruptions of a real object end in
/// success or a clean error: never a panic or a crash of Lantern itself.
#[test]
fn corrupted_objects_never_crash_the_linker() {
    if !have_gcc() {
        return;
    }
    let dir = scratch("err-fuzz");
    let good = compile_c(
        &dir,
        "good",
        "#include <stdio.h>\nstatic int t[4] = {1,2,3,4}; int g(int i){ return t[i&3]; }\nint main(void){ printf(\"%d\\n\", g(2)); return 0; }",
        &["-O1"],
    );
    let bytes = std::fs::read(&good).unwrap();
    let case = dir.join("case.o");
    let mut next = xorshift(0x2545_f491_4f6c_dd1d);
    let mut variants: Vec<Vec<u8>> = (1..bytes.len())
        .step_by(97)
        .map(|n| bytes[..n].to_vec())
        .collect();
    for _ in 0..150 {
        let seed = next();
        let mut v = bytes.clone();
        let at = (seed as usize) % v.len();
        v[at] = v[at].wrapping_add(1 + (seed >> 32) as u8 % 255);
        variants.push(v);
    }
    for v in variants {
        std::fs::write(&case, &v).unwrap();
        let out = run_with_timeout(
            Command::new(lantern()).args(["link"]).arg(&case),
            Duration::from_secs(30),
        )
        .unwrap();
        assert!(
            ended_cleanly(&out),
            "lantern link ended with {} on a corrupted object: {}",
            out.status,
            out.stderr
        );
    }
}

#[test]
fn wrong_machine_and_wrong_file_type_are_named() {
    if !have_gcc() {
        return;
    }
    let dir = scratch("err-machine");
    let good = compile_c(&dir, "good", "int main(void){ return 0; }", &[]);
    let mut bytes = std::fs::read(&good).unwrap();
    bytes[18] = 183; // e_machine = EM_AARCH64
    bytes[19] = 0;
    let arm = dir.join("arm.o");
    std::fs::write(&arm, &bytes).unwrap();
    assert_error(&lantern_run(&[&arm]), &["arm.o", "wrong machine"]);

    let exe = dir.join("prog");
    link_native(&[&good], &exe).unwrap();
    assert_error(&lantern_run(&[&exe]), &["prog", "not a relocatable object"]);
}

#[test]
fn unsupported_relocation_names_type_file_and_section() {
    if !have_gcc() {
        return;
    }
    let dir = scratch("err-reloc");
    let obj = assemble(
        &dir,
        "reloc",
        ".text\n.globl main\nmain:\n .reloc ., R_X86_64_COPY, foo\n .long 0\n ret\n",
    );
    assert_error(
        &lantern_run(&[&obj]),
        &["reloc.o", "section .text", "R_X86_64_COPY", "foo"],
    );
}

#[test]
fn out_of_range_fixup_names_the_symbol() {
    if !have_gcc() {
        return;
    }
    let dir = scratch("err-range");
    let far = assemble(&dir, "far", ".globl far_away\n.set far_away, 0x123456789\n");
    let user = assemble(
        &dir,
        "user",
        ".text\n.globl main\nmain:\n movl $far_away, %eax\n ret\n",
    );
    assert_error(
        &lantern_run(&[&user, &far]),
        &["user.o", "section .text", "far_away", "out of range"],
    );
}

#[test]
fn missing_entry_point_and_missing_file() {
    if !have_gcc() {
        return;
    }
    let dir = scratch("err-entry");
    let obj = compile_c(&dir, "noentry", "int helper(void){ return 1; }", &[]);
    assert_error(&lantern_run(&[&obj]), &["entry point `main`"]);
    let missing = dir.join("does-not-exist.o");
    assert_error(&lantern_run(&[&missing]), &["does-not-exist.o"]);
    assert_error(&lantern_run(&[&dir]), &["err-entry: is a directory"]);
}

#[test]
fn thread_local_storage_limits_are_clear_errors() {
    if !have_gcc() {
        return;
    }
    let dir = scratch("err-tls");
    // Initial-exec code reaching a thread-local variable of an earlier unit:
    // thread-local variables are not shared across units yet.
    let defines = compile_c(&dir, "defines", "__thread int shared_tls = 1;", &[]);
    let uses = compile_c(
        &dir,
        "uses",
        "extern __thread int shared_tls; int main(void){ return shared_tls; }",
        &["-ftls-model=initial-exec"],
    );
    let out = lantern_run(&[Path::new("--separate-units"), &defines, &uses]);
    assert_error(&out, &["uses.o", "`shared_tls`"]);

    // Static TLS larger than glibc's reserve, when Lantern may not start itself
    // again with a larger one (its marker says it already did).
    let big = compile_c(
        &dir,
        "big",
        "__thread char big_tls[8192]; int main(void){ big_tls[5] = 1; return big_tls[5] - 1; }",
        &[],
    );
    let out = run_with_timeout(
        Command::new(lantern())
            .args(["run"])
            .arg(&big)
            .env("LANTERN_STATIC_TLS_RESERVE", "512"),
        Duration::from_secs(60),
    )
    .unwrap();
    assert_error(
        &out,
        &[
            "8192 bytes",
            "static TLS",
            "GLIBC_TUNABLES=glibc.rtld.optional_static_tls",
            "-ftls-model=global-dynamic",
        ],
    );
    // Without the marker, Lantern starts itself again with a reserve that fits.
    let out = lantern_run(&[&big]);
    assert_eq!(out.status, "exit 0", "{out:?}");
}

#[test]
fn bad_response_file_is_reported() {
    let out = run_with_timeout(
        Command::new(lantern()).args(["run", "@/nonexistent/lantern.rsp"]),
        Duration::from_secs(30),
    )
    .unwrap();
    assert_eq!(out.status, "exit 2");
    assert!(
        out.stderr
            .contains("response file @/nonexistent/lantern.rsp"),
        "{}",
        out.stderr
    );
}

#[test]
fn malformed_eh_frame_is_an_error_not_an_unwinder_crash() {
    if !have_gcc() {
        return;
    }
    let dir = scratch("err-eh-frame");
    // A CIE of version 99, which no unwinder understands.
    let bad_cie = assemble(
        &dir,
        "bad_cie",
        "\t.text\n\t.globl main\nmain:\n\txor %eax, %eax\n\tret\n\
         \t.section .eh_frame,\"a\",@progbits\n\t.long 12\n\t.long 0\n\t.byte 99\n\t.byte 0\n\t.byte 1\n\t.byte 0x78\n\t.byte 16\n\t.byte 0, 0, 0\n",
    );
    let out = lantern_run(&[&bad_cie]);
    assert_error(
        &out,
        &[
            "bad_cie.o",
            ".eh_frame",
            "entry at offset 0x0",
            "DWARF version: 99",
        ],
    );
    // An FDE that describes no code of the unit (its pc_begin is 1 MiB away).
    let stray_fde = assemble(
        &dir,
        "stray_fde",
        "\t.text\n\t.globl main\nmain:\n\txor %eax, %eax\n\tret\n\
         \t.section .eh_frame,\"a\",@progbits\n\
         cie:\t.long 16\n\t.long 0\n\t.byte 1\n\t.asciz \"zR\"\n\t.byte 1\n\t.byte 0x78\n\t.byte 16\n\t.byte 1\n\t.byte 0x1b\n\t.byte 0, 0, 0\n\
         fde:\t.long 20\n\t.long fde + 4 - cie\n\t.long main - . + 0x100000\n\t.long 4\n\t.byte 0\n\t.byte 0, 0, 0\n\t.long 0\n",
    );
    let out = lantern_run(&[&stray_fde]);
    assert_error(
        &out,
        &[
            "stray_fde.o",
            ".eh_frame",
            "entry at offset 0x14",
            "not code of this unit",
        ],
    );
}

/// Where section `name`'s header and symbol `symbol`'s entry start in an
/// ELF64 relocatable object.
fn header_offsets(bytes: &[u8], name: &str, symbol: &str) -> (usize, usize) {
    use object::{Object, ObjectSection, ObjectSymbol};
    let file = object::File::parse(bytes).unwrap();
    let section = file.section_by_name(name).unwrap().index().0;
    let symtab = file.section_by_name(".symtab").unwrap();
    let sym = file.symbols().find(|s| s.name() == Ok(symbol)).unwrap();
    let (symtab_offset, _) = symtab.file_range().unwrap();
    (
        section_header(bytes, section),
        symtab_offset as usize + sym.index().0 * 24,
    )
}

/// Header fields that parse but cannot be true (an alignment of a terabyte,
/// a section larger than the address space, a symbol larger than its section) are errors naming the file and what is
/// wrong, in every command that reads objects: a mutation fuzzer found them
/// making the layout ask for terabytes and the symbolizer overflow.
#[test]
fn impossible_alignments_and_symbol_sizes_are_named() {
    if !have_gcc() {
        return;
    }
    let dir = scratch("err-headers");
    let good = compile_c(
        &dir,
        "good",
        "int table[4] = {1, 2, 3, 4};\nint zeros[8];\nint pick(int i) { return table[i & 3] + zeros[i & 7]; }\nint main(void) { return pick(2) - 3; }\n",
        &["-g", "-O1"],
    );
    let bytes = std::fs::read(&good).unwrap();
    let (text_header, pick) = header_offsets(&bytes, ".text", "pick");
    let (abbrev_header, _) = header_offsets(&bytes, ".debug_abbrev", "pick");
    let (bss_header, _) = header_offsets(&bytes, ".bss", "pick");
    let patched = |name: &str, at: usize, value: u64| {
        let mut v = bytes.clone();
        v[at..at + 8].copy_from_slice(&value.to_le_bytes());
        let path = dir.join(format!("{name}.o"));
        std::fs::write(&path, v).unwrap();
        path
    };
    let cases = [
        (
            patched("text_align", text_header + 48, 1 << 40),
            vec!["text_align.o", "section .text", "alignment 0x10000000000"],
        ),
        (
            patched("dwarf_align", abbrev_header + 48, 1 << 63),
            vec!["dwarf_align.o", "section .debug_abbrev", "alignment"],
        ),
        (
            patched("bss_size", bss_header + 32, u64::MAX),
            vec![
                "bss_size.o",
                "section .bss",
                "larger than the address space",
            ],
        ),
        (
            patched("symbol_size", pick + 16, u64::MAX),
            vec![
                "symbol_size.o",
                "symbol pick",
                "runs past the end of its section",
            ],
        ),
    ];
    let out_dir = dir.join("out");
    for (object, needles) in &cases {
        let commands: [Vec<&std::ffi::OsStr>; 3] = [
            vec!["link".as_ref(), object.as_os_str()],
            vec![
                "debug-object".as_ref(),
                object.as_os_str(),
                "--out".as_ref(),
                out_dir.as_os_str(),
            ],
            vec![
                "symbolize".as_ref(),
                object.as_os_str(),
                "-a".as_ref(),
                "pick+4".as_ref(),
            ],
        ];
        for args in commands {
            let out =
                run_with_timeout(Command::new(lantern()).args(&args), Duration::from_secs(60))
                    .unwrap();
            assert_error(&out, needles);
        }
    }
}

/// An object's own `SHN_ABS` symbol is a number, even with a size and an
/// object type: low-memory code (`-fno-pic`) reaching it with a 32-bit
/// fixup gets the number, and Lantern never reads memory there as it does
/// for host data it copies (a fuzzed object with such a symbol at 0x1e
/// crashed every command).
#[test]
fn absolute_symbols_with_a_size_are_not_read_as_host_data() {
    if !have_gcc() {
        return;
    }
    let dir = scratch("err-abs-symbol");
    let obj = assemble(
        &dir,
        "abs",
        "\t.text\n\t.globl main\nmain:\n\tmovl $local_data, %ecx\n\tmovl $abs_data, %eax\n\tsubl $0x1e, %eax\n\tret\n\
         \t.data\nlocal_data:\n\t.long 7\n\
         \t.globl abs_data\n\t.type abs_data, @object\n\t.set abs_data, 0x1e\n\t.size abs_data, 38\n",
    );
    for command in ["link", "run"] {
        let out = run_with_timeout(
            Command::new(lantern()).arg(command).arg(&obj),
            Duration::from_secs(60),
        )
        .unwrap();
        assert_eq!(out.status, "exit 0", "lantern {command}: {out:?}");
    }
}

/// The header fields and DWARF bytes a mutation fuzzer found crashes
/// through, mutated deterministically in a debug-info object linked with a
/// good one: every command that reads objects (`link`, `debug-object
/// --merged --separate-units`, `symbolize`) ends in success or a clean
/// error, never a panic, a signal or a hang.
#[test]
fn corrupted_headers_and_dwarf_never_crash_any_command() {
    use object::{Object, ObjectSection};
    if !have_gcc() {
        return;
    }
    let dir = scratch("err-fields");
    let lib = compile_c(
        &dir,
        "lib",
        "int table[4] = {1, 2, 3, 4};\nint zeros[8];\n__thread int counter;\n\
         static const char *names[] = {\"a\", \"b\"};\n\
         int pick(int i) { counter++; return table[i & 3] + zeros[i & 7] + names[i & 1][0]; }\n",
        &["-g", "-O1"],
    );
    let main = compile_c(
        &dir,
        "main",
        "int pick(int);\nint main(void) { return pick(2) - 100; }\n",
        &["-g", "-O0"],
    );
    let bytes = std::fs::read(&lib).unwrap();
    let file = object::File::parse(&*bytes).unwrap();
    let extremes = [0u64, 1, 0x1e, 1 << 31, 1 << 40, 1 << 63, u64::MAX];
    let mut next = xorshift(0x9e37_79b9_7f4a_7c15);
    // (offset, width) of every field to mutate.
    let mut fields: Vec<(usize, usize)> = Vec::new();
    let mut dwarf: Vec<std::ops::Range<usize>> = Vec::new();
    for section in file.sections() {
        let header = section_header(&bytes, section.index().0);
        // sh_offset, sh_size, sh_link/sh_info, sh_addralign, sh_entsize.
        fields.extend([
            (header + 24, 8),
            (header + 32, 8),
            (header + 40, 4),
            (header + 44, 4),
            (header + 48, 8),
            (header + 56, 8),
        ]);
        let name = section.name().unwrap_or("");
        let Some((start, len)) = section.file_range() else {
            continue;
        };
        let (start, len) = (start as usize, len as usize);
        if name == ".symtab" {
            for at in (start + 24..start + len).step_by(24) {
                // st_shndx, st_value, st_size.
                fields.extend([(at + 6, 2), (at + 8, 8), (at + 16, 8)]);
            }
        } else if name.starts_with(".rela") {
            for at in (start..start + len).step_by(24) {
                // r_offset, r_info, r_addend.
                fields.extend([(at, 8), (at + 8, 8), (at + 16, 8)]);
            }
        } else if name.starts_with(".debug_") || name == ".eh_frame" {
            dwarf.push(start..start + len);
        }
    }
    let mut variants: Vec<Vec<u8>> = Vec::new();
    let with = |at: usize, value: &[u8]| {
        let mut v = bytes.clone();
        v[at..at + value.len()].copy_from_slice(value);
        v
    };
    // Every section with an impossible alignment and size, every symbol with
    // an impossible size and as an absolute number.
    for section in file.sections() {
        let header = section_header(&bytes, section.index().0);
        variants.push(with(header + 48, &(1u64 << 40).to_le_bytes()));
        variants.push(with(header + 32, &u64::MAX.to_le_bytes()));
    }
    if let Some((start, len)) = file.section_by_name(".symtab").and_then(|s| s.file_range()) {
        for at in (start as usize + 24..(start + len) as usize).step_by(24) {
            variants.push(with(at + 16, &u64::MAX.to_le_bytes()));
            variants.push(with(at + 6, &0xfff1u16.to_le_bytes()));
        }
    }
    for _ in 0..160 {
        let (at, width) = fields[next() as usize % fields.len()];
        let mut v = bytes.clone();
        let value = match next() % 3 {
            0 => extremes[next() as usize % extremes.len()],
            1 => next(),
            _ => {
                let mut old = [0u8; 8];
                old[..width].copy_from_slice(&v[at..at + width]);
                u64::from_le_bytes(old)
                    .wrapping_add(next() % 64)
                    .wrapping_sub(32)
            }
        };
        v[at..at + width].copy_from_slice(&value.to_le_bytes()[..width]);
        variants.push(v);
    }
    for _ in 0..80 {
        let range = &dwarf[next() as usize % dwarf.len()];
        let mut v = bytes.clone();
        for _ in 0..1 + next() % 3 {
            let at = range.start + next() as usize % range.len();
            v[at] = next() as u8;
        }
        variants.push(v);
    }
    let case = dir.join("case.o");
    let out_dir = dir.join("out");
    for (index, v) in variants.iter().enumerate() {
        std::fs::write(&case, v).unwrap();
        let commands: [Vec<&std::ffi::OsStr>; 3] = [
            vec!["link".as_ref(), main.as_os_str(), case.as_os_str()],
            vec![
                "debug-object".as_ref(),
                "--merged".as_ref(),
                "--separate-units".as_ref(),
                case.as_os_str(),
                main.as_os_str(),
                "--out".as_ref(),
                out_dir.as_os_str(),
            ],
            vec![
                "symbolize".as_ref(),
                main.as_os_str(),
                case.as_os_str(),
                "-a".as_ref(),
                "pick+8".as_ref(),
            ],
        ];
        for args in commands {
            let out =
                run_with_timeout(Command::new(lantern()).args(&args), Duration::from_secs(60))
                    .unwrap();
            if !ended_cleanly(&out) {
                let kept = dir.join(format!("crash-{index}.o"));
                std::fs::write(&kept, v).unwrap();
                panic!(
                    "lantern {args:?} ended with {} on variant {index} (kept as {}): {}",
                    out.status,
                    kept.display(),
                    out.stderr
                );
            }
        }
    }
}

/// `extern int x;` in one file and `__thread int x;` in another (or the
/// other way round) is an error naming both files, as GNU ld makes it, not
/// a fixup failure in a GOT entry blamed on the first file.
#[test]
fn thread_local_and_ordinary_declarations_that_disagree_are_named() {
    if !have_gcc() {
        return;
    }
    let dir = scratch("err-tls-mismatch");
    let flags: &[&str] = &["-fPIC"];
    let ordinary_use = compile_c(
        &dir,
        "ordinary_use",
        "extern int numbers;\nint main(void) { return numbers; }\n",
        flags,
    );
    let tls_def = compile_c(&dir, "tls_def", "__thread int numbers = 3;\n", flags);
    let tls_use = compile_c(
        &dir,
        "tls_use",
        "extern __thread int numbers;\nint main(void) { return numbers; }\n",
        flags,
    );
    let ordinary_def = compile_c(&dir, "ordinary_def", "int numbers = 3;\n", flags);
    assert_error(
        &lantern_run(&[&ordinary_use, &tls_def]),
        &[
            "ordinary_use.o",
            "`numbers` is used as an ordinary variable",
            "tls_def.o (.tdata) defines it as a thread-local one",
        ],
    );
    assert_error(
        &lantern_run(&[&tls_use, &ordinary_def]),
        &[
            "tls_use.o",
            "`numbers` is used as a thread-local variable",
            "ordinary_def.o (.data) defines it as an ordinary one",
        ],
    );
}
