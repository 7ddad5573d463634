//! The one table from ELF x86-64 relocation types to edge kinds.

use object::elf;

/// How a relocation becomes an edge.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum RelocMapping {
    Edge(super::EdgeKind),
    /// R_X86_64_NONE: nothing to do.
    Ignore,
    Unsupported,
}

/// Maps a relocation type to an edge kind.
pub fn edge_kind_for_relocation(r_type: u32) -> RelocMapping {
    use super::EdgeKind as K;
    use RelocMapping::Edge;
    let t = elf::RelocationType(r_type);
    match t {
        elf::R_X86_64_NONE => RelocMapping::Ignore,
        elf::R_X86_64_64 => Edge(K::Pointer64),
        elf::R_X86_64_32 => Edge(K::Pointer32),
        elf::R_X86_64_32S => Edge(K::Pointer32Signed),
        elf::R_X86_64_16 => Edge(K::Pointer16),
        elf::R_X86_64_8 => Edge(K::Pointer8),
        elf::R_X86_64_PC64 => Edge(K::Delta64),
        elf::R_X86_64_PC32 => Edge(K::Delta32),
        elf::R_X86_64_PC16 => Edge(K::Delta16),
        elf::R_X86_64_PC8 => Edge(K::Delta8),
        elf::R_X86_64_PLT32 => Edge(K::BranchPCRel32),
        elf::R_X86_64_GOTPCREL => Edge(K::RequestGotAndTransformToDelta32),
        elf::R_X86_64_GOTPCRELX => Edge(K::RequestGotAndTransformToDelta32Relaxable),
        elf::R_X86_64_REX_GOTPCRELX => Edge(K::RequestGotAndTransformToDelta32RexRelaxable),
        elf::R_X86_64_GOTPCREL64 => Edge(K::RequestGotAndTransformToDelta64),
        elf::R_X86_64_GOT64 | elf::R_X86_64_GOTPLT64 => {
            Edge(K::RequestGotAndTransformToDelta64FromGot)
        }
        elf::R_X86_64_GOT32 => Edge(K::RequestGotAndTransformToDelta32FromGot),
        elf::R_X86_64_PLTOFF64 => Edge(K::RequestStubAndTransformToDelta64FromGot),
        elf::R_X86_64_GOTOFF64 => Edge(K::Delta64FromGot),
        // GOT + A - P: the symbol is _GLOBAL_OFFSET_TABLE_, which resolves to the GOT base.
        elf::R_X86_64_GOTPC64 => Edge(K::Delta64),
        elf::R_X86_64_GOTPC32 => Edge(K::Delta32),
        elf::R_X86_64_SIZE64 => Edge(K::Size64),
        elf::R_X86_64_SIZE32 => Edge(K::Size32),
        elf::R_X86_64_TLSGD => Edge(K::RequestTlsGdAndTransformToDelta32),
        elf::R_X86_64_TLSLD => Edge(K::RequestTlsLdAndTransformToDelta32),
        elf::R_X86_64_DTPOFF32 => Edge(K::DtpOff32),
        elf::R_X86_64_DTPOFF64 => Edge(K::DtpOff64),
        elf::R_X86_64_TPOFF32 => Edge(K::TpOff32),
        elf::R_X86_64_TPOFF64 => Edge(K::TpOff64),
        elf::R_X86_64_GOTTPOFF => Edge(K::RequestGotTpOffAndTransformToDelta32),
        elf::R_X86_64_GOTPC32_TLSDESC => Edge(K::RequestTlsDescAndTransformToDelta32),
        // Marks the descriptor call `call *x@tlscall(%rax)`: nothing to write.
        elf::R_X86_64_TLSDESC_CALL => RelocMapping::Ignore,
        _ => RelocMapping::Unsupported,
    }
}

/// The name of a relocation type, for messages (`R_X86_64_PC32`, or the number).
pub fn relocation_name(r_type: u32) -> String {
    let names: &[(u32, &str)] = &[
        (0, "R_X86_64_NONE"),
        (1, "R_X86_64_64"),
        (2, "R_X86_64_PC32"),
        (3, "R_X86_64_GOT32"),
        (4, "R_X86_64_PLT32"),
        (5, "R_X86_64_COPY"),
        (6, "R_X86_64_GLOB_DAT"),
        (7, "R_X86_64_JUMP_SLOT"),
        (8, "R_X86_64_RELATIVE"),
        (9, "R_X86_64_GOTPCREL"),
        (10, "R_X86_64_32"),
        (11, "R_X86_64_32S"),
        (12, "R_X86_64_16"),
        (13, "R_X86_64_PC16"),
        (14, "R_X86_64_8"),
        (15, "R_X86_64_PC8"),
        (16, "R_X86_64_DTPMOD64"),
        (17, "R_X86_64_DTPOFF64"),
        (18, "R_X86_64_TPOFF64"),
        (19, "R_X86_64_TLSGD"),
        (20, "R_X86_64_TLSLD"),
        (21, "R_X86_64_DTPOFF32"),
        (22, "R_X86_64_GOTTPOFF"),
        (23, "R_X86_64_TPOFF32"),
        (24, "R_X86_64_PC64"),
        (25, "R_X86_64_GOTOFF64"),
        (26, "R_X86_64_GOTPC32"),
        (27, "R_X86_64_GOT64"),
        (28, "R_X86_64_GOTPCREL64"),
        (29, "R_X86_64_GOTPC64"),
        (30, "R_X86_64_GOTPLT64"),
        (31, "R_X86_64_PLTOFF64"),
        (32, "R_X86_64_SIZE32"),
        (33, "R_X86_64_SIZE64"),
        (34, "R_X86_64_GOTPC32_TLSDESC"),
        (35, "R_X86_64_TLSDESC_CALL"),
        (36, "R_X86_64_TLSDESC"),
        (37, "R_X86_64_IRELATIVE"),
        (38, "R_X86_64_RELATIVE64"),
        (41, "R_X86_64_GOTPCRELX"),
        (42, "R_X86_64_REX_GOTPCRELX"),
    ];
    names
        .iter()
        .find(|(n, _)| *n == r_type)
        .map(|(_, name)| name.to_string())
        .unwrap_or_else(|| format!("relocation type {r_type}"))
}
