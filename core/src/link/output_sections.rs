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

/// A pattern of [`RULES`], classified once.
#[derive(Clone, Copy)]
enum Pattern {
    Exact(&'static str),
    Prefix(&'static str),
    /// `.text.*X`: `.text.` then anything ending in X.
    TextSuffix(&'static str),
}

impl Pattern {
    fn new(pattern: &'static str) -> Pattern {
        if let Some(suffix) = pattern.strip_prefix(".text.*") {
            if !suffix.is_empty() {
                return Pattern::TextSuffix(suffix);
            }
        }
        match pattern.strip_suffix('*') {
            Some(prefix) => Pattern::Prefix(prefix),
            None => Pattern::Exact(pattern),
        }
    }

    fn matches(self, name: &str) -> bool {
        match self {
            Pattern::Exact(p) => name == p,
            Pattern::Prefix(p) => name.starts_with(p),
            Pattern::TextSuffix(s) => name
                .strip_prefix(".text.")
                .is_some_and(|rest| rest.ends_with(s)),
        }
    }
}

/// The rules' patterns grouped by their first two bytes, in rule order
/// within a group: a unit's link looks up each of its sections, a runtime
/// links small units all the time, and most names (`.eh_frame`, `.note.*`,
/// orphans) match no rule, which a scan of every pattern found out slowly.
type Groups = Vec<(u16, Vec<(u32, &'static str, Pattern)>)>;

fn groups() -> &'static Groups {
    static GROUPS: std::sync::OnceLock<Groups> = std::sync::OnceLock::new();
    GROUPS.get_or_init(|| {
        let mut groups: Groups = Vec::new();
        for (rank, (output, patterns)) in RULES.iter().enumerate() {
            for &pattern in patterns.iter() {
                let key = key(pattern.as_bytes()).expect("patterns have two bytes at least");
                let entry = (rank as u32, *output, Pattern::new(pattern));
                match groups.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, entries)) => entries.push(entry),
                    None => groups.push((key, vec![entry])),
                }
            }
        }
        groups
    })
}

/// The first two bytes of a name or pattern.
fn key(bytes: &[u8]) -> Option<u16> {
    match bytes {
        [a, b, ..] => Some(u16::from_le_bytes([*a, *b])),
        _ => None,
    }
}

/// The output section an input section of this name goes to.
pub fn output_section(name: &str) -> OutputSection<'_> {
    let orphan = OutputSection {
        name,
        rank: RULES.len() as u32,
    };
    // A pattern has two bytes at least: a shorter name matches none.
    let Some(key) = key(name.as_bytes()) else {
        return orphan;
    };
    let Some((_, entries)) = groups().iter().find(|(k, _)| *k == key) else {
        return orphan;
    };
    entries
        .iter()
        .find(|(_, _, pattern)| pattern.matches(name))
        .map_or(orphan, |&(rank, output, _)| OutputSection {
            name: output,
            rank,
        })
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
