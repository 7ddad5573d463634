//! GNU ld's output sections: which output section an input section joins,
//! and in which order the output sections and their parts are laid out.
//!
//! Mirrors the default linker script of `ld -m elf_x86_64`: `.text` takes
//! `.text.unlikely*`, `.text.exit*`, `.text.startup*`, `.text.hot*` first,
//! then `.text` and `.text.*`; `.rodata.*` joins `.rodata`, `.data.*` joins
//! `.data`, `.bss.*` and common symbols join `.bss`. A section no rule names
//! (an orphan) keeps its own name and goes after the known sections of its
//! kind, as GNU ld places orphans. Lantern's stubs go first, in `.text`. The layout orders the sections of a
//! segment by [`OutputSection::rank`]; the debug object names and joins them
//! by [`OutputSection::name`], so debuggers show what they show natively.

/// Where an input section goes in a GNU ld link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputSection<'a> {
    /// The output section's name (`.text`, `.rodata`, ...), or the input
    /// section's own for an orphan.
    pub name: &'a str,
    /// Layout order: output sections by address, and within `.text` the
    /// input-section groups GNU ld places one after the other.
    pub rank: u32,
}

/// The rules of the default script, in layout order: (output name, input
/// patterns). A pattern ending in `*` matches a prefix; `*X` alone matches a
/// suffix (`.text.*_unlikely`).
const RULES: &[(&str, &[&str])] = &[
    (".init", &[".init"]),
    // Lantern's stubs (calls through the GOT): where a static link puts
    // `.plt`, but part of `.text`: no symbol names a stub, and debuggers
    // pay per section (lldb most, in sessions of thousands of units).
    (".text", &["$__STUBS"]),
    (
        ".text",
        &[".text.unlikely", ".text.*_unlikely", ".text.unlikely.*"],
    ),
    (".text", &[".text.exit", ".text.exit.*"]),
    (".text", &[".text.startup", ".text.startup.*"]),
    (".text", &[".text.hot", ".text.hot.*"]),
    (".text", &[".text.sorted.*"]),
    (".text", &[".text", ".stub", ".text.*", ".gnu.linkonce.t.*"]),
    (".fini", &[".fini"]),
    (".rodata", &[".rodata", ".rodata.*", ".gnu.linkonce.r.*"]),
    (".rodata1", &[".rodata1"]),
    (
        ".gcc_except_table",
        &[".gcc_except_table", ".gcc_except_table.*"],
    ),
    (".preinit_array", &[".preinit_array"]),
    (".init_array", &[".init_array", ".init_array.*"]),
    (".fini_array", &[".fini_array", ".fini_array.*"]),
    (".ctors", &[".ctors", ".ctors.*"]),
    (".dtors", &[".dtors", ".dtors.*"]),
    (
        ".data.rel.ro",
        &[".data.rel.ro.local*", ".gnu.linkonce.d.rel.ro.local.*"],
    ),
    (
        ".data.rel.ro",
        &[".data.rel.ro", ".data.rel.ro.*", ".gnu.linkonce.d.rel.ro.*"],
    ),
    (".got", &["$__GOT"]),
    (
        ".data",
        &[".data", ".data.*", ".gnu.linkonce.d.*", "$__DSO_HANDLE"],
    ),
    (".data1", &[".data1"]),
    // Copy relocations (a static link's .dynbss), then .bss, then commons.
    (".bss", &["$__COPY"]),
    (".bss", &[".bss", ".bss.*", ".gnu.linkonce.b.*"]),
    (".bss", &["COMMON"]),
    (".lbss", &[".lbss", ".lbss.*", ".gnu.linkonce.lb.*"]),
    (
        ".lrodata",
        &[".lrodata", ".lrodata.*", ".gnu.linkonce.lr.*"],
    ),
    (".ldata", &[".ldata", ".ldata.*", ".gnu.linkonce.l.*"]),
];

fn matches(pattern: &str, name: &str) -> bool {
    if let Some(suffix) = pattern.strip_prefix(".text.*") {
        // `.text.*_unlikely`
        if !suffix.is_empty() {
            return name
                .strip_prefix(".text.")
                .is_some_and(|rest| rest.ends_with(suffix));
        }
    }
    match pattern.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => name == pattern,
    }
}

/// The output section an input section of this name goes to.
pub fn output_section(name: &str) -> OutputSection<'_> {
    for (rank, (output, patterns)) in RULES.iter().enumerate() {
        if patterns.iter().any(|p| matches(p, name)) {
            return OutputSection {
                name: output,
                rank: rank as u32,
            };
        }
    }
    OutputSection {
        name,
        rank: RULES.len() as u32,
    }
}

#[cfg(test)]
mod tests {
    use super::output_section;

    fn name(input: &str) -> &str {
        output_section(input).name
    }

    #[test]
    fn input_sections_join_gnu_ld_output_sections() {
        assert_eq!(name(".text._ZNSt12_Vector_baseIiSaIiEED2Ev"), ".text");
        assert_eq!(name(".text.unlikely"), ".text");
        assert_eq!(name(".rodata.str1.1"), ".rodata");
        assert_eq!(name(".rodata.cst8"), ".rodata");
        assert_eq!(name(".data.rel.local"), ".data");
        assert_eq!(name(".data.rel.ro.local"), ".data.rel.ro");
        assert_eq!(name(".bss.counter"), ".bss");
        assert_eq!(name("COMMON"), ".bss");
        assert_eq!(name(".init_array.00100"), ".init_array");
        assert_eq!(name("$__STUBS"), ".text");
        assert_eq!(name("my_section"), "my_section");
    }

    #[test]
    fn cold_and_startup_code_go_before_text_as_gnu_ld_lays_them_out() {
        let rank = |n| output_section(n).rank;
        assert!(rank(".text.unlikely") < rank(".text.exit"));
        assert!(rank(".text.exit") < rank(".text.startup"));
        assert!(rank(".text.startup") < rank(".text.hot"));
        assert!(rank(".text.hot") < rank(".text"));
        assert!(rank(".text.foo_unlikely") < rank(".text"));
        assert_eq!(rank(".text.foo"), rank(".text"));
        assert!(rank(".data") < rank(".bss") && rank(".bss") < rank("COMMON"));
        assert!(rank(".data.rel.ro") < rank(".data"));
        assert!(rank(".rodata") < rank("orphan"));
    }
}
