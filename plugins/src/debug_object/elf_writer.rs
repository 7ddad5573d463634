//! A minimal ELF64 `ET_REL` writer: sections with chosen addresses (which
//! `object`'s high-level writer cannot set), a symbol table, string tables.

/// One section of the output object.
pub struct OutSection<'a> {
    pub name: String,
    pub sh_type: u32,
    pub flags: u64,
    pub addr: u64,
    /// For NOBITS the size; otherwise the length of `data`.
    pub size: u64,
    pub align: u64,
    pub data: &'a [u8],
}

impl<'a> OutSection<'a> {
    /// A non-allocated section with contents (DWARF), at address 0.
    pub fn unallocated(name: String, data: &'a [u8]) -> Self {
        OutSection {
            name,
            sh_type: PROGBITS,
            flags: 0,
            addr: 0,
            size: data.len() as u64,
            align: 1,
            data,
        }
    }
}

/// One symbol; `section` is an index into the sections passed to [`write`].
pub struct OutSymbol {
    pub name: String,
    pub value: u64,
    pub size: u64,
    pub section: usize,
    pub bind: u8,
    pub typ: u8,
}

const SHT_PROGBITS: u32 = 1;
const SHT_SYMTAB: u32 = 2;
const SHT_STRTAB: u32 = 3;
pub const SHT_NOBITS: u32 = 8;
pub const PROGBITS: u32 = SHT_PROGBITS;
pub const STB_LOCAL: u8 = 0;
pub const STB_GLOBAL: u8 = 1;
pub const STB_WEAK: u8 = 2;
pub const STT_OBJECT: u8 = 1;
pub const STT_FUNC: u8 = 2;

struct StringTable {
    bytes: Vec<u8>,
}

impl StringTable {
    fn new() -> Self {
        StringTable { bytes: vec![0] }
    }
    fn add(&mut self, s: &str) -> u32 {
        if s.is_empty() {
            return 0;
        }
        let offset = self.bytes.len() as u32;
        self.bytes.extend_from_slice(s.as_bytes());
        self.bytes.push(0);
        offset
    }
}

fn pad_to(out: &mut Vec<u8>, align: u64) {
    let len = (out.len() as u64).next_multiple_of(align.max(1));
    out.resize(len as usize, 0);
}

/// Writes an x86-64 relocatable object with the given sections and symbols
/// (locals must come first in `symbols`).
pub fn write(sections: &[OutSection<'_>], symbols: &[OutSymbol]) -> Vec<u8> {
    let mut shstrtab = StringTable::new();
    let mut strtab = StringTable::new();
    let mut out = vec![0u8; 64];
    // Section contents.
    let mut headers: Vec<[u64; 10]> = Vec::with_capacity(sections.len() + 4);
    headers.push([0; 10]);
    for s in sections {
        let name = u64::from(shstrtab.add(&s.name));
        let offset = if s.sh_type == SHT_NOBITS {
            out.len() as u64
        } else {
            pad_to(&mut out, s.align);
            let offset = out.len() as u64;
            out.extend_from_slice(s.data);
            offset
        };
        let size = if s.sh_type == SHT_NOBITS {
            s.size
        } else {
            s.data.len() as u64
        };
        headers.push([
            name,
            u64::from(s.sh_type),
            s.flags,
            s.addr,
            offset,
            size,
            0,
            0,
            s.align.max(1),
            0,
        ]);
    }
    // Symbol table.
    let symtab_index = headers.len();
    let strtab_index = symtab_index + 1;
    pad_to(&mut out, 8);
    let symtab_offset = out.len() as u64;
    out.extend_from_slice(&[0; 24]);
    let mut first_global = symbols.len() + 1;
    for (i, sym) in symbols.iter().enumerate() {
        if sym.bind != STB_LOCAL && first_global == symbols.len() + 1 {
            first_global = i + 1;
        }
        let name = strtab.add(&sym.name);
        out.extend_from_slice(&name.to_le_bytes());
        out.push((sym.bind << 4) | sym.typ);
        out.push(0); // st_other: default visibility
        out.extend_from_slice(&((sym.section + 1) as u16).to_le_bytes());
        out.extend_from_slice(&sym.value.to_le_bytes());
        out.extend_from_slice(&sym.size.to_le_bytes());
    }
    let symtab_size = out.len() as u64 - symtab_offset;
    headers.push([
        u64::from(shstrtab.add(".symtab")),
        u64::from(SHT_SYMTAB),
        0,
        0,
        symtab_offset,
        symtab_size,
        strtab_index as u64,
        first_global as u64,
        8,
        24,
    ]);
    let strtab_offset = out.len() as u64;
    out.extend_from_slice(&strtab.bytes);
    headers.push([
        u64::from(shstrtab.add(".strtab")),
        u64::from(SHT_STRTAB),
        0,
        0,
        strtab_offset,
        strtab.bytes.len() as u64,
        0,
        0,
        1,
        0,
    ]);
    let shstrtab_name = u64::from(shstrtab.add(".shstrtab"));
    let shstrtab_offset = out.len() as u64;
    out.extend_from_slice(&shstrtab.bytes);
    headers.push([
        shstrtab_name,
        u64::from(SHT_STRTAB),
        0,
        0,
        shstrtab_offset,
        shstrtab.bytes.len() as u64,
        0,
        0,
        1,
        0,
    ]);
    let shstrtab_index = headers.len() - 1;

    pad_to(&mut out, 8);
    let shoff = out.len() as u64;
    for h in &headers {
        out.extend_from_slice(&(h[0] as u32).to_le_bytes()); // sh_name
        out.extend_from_slice(&(h[1] as u32).to_le_bytes()); // sh_type
        out.extend_from_slice(&h[2].to_le_bytes()); // sh_flags
        out.extend_from_slice(&h[3].to_le_bytes()); // sh_addr
        out.extend_from_slice(&h[4].to_le_bytes()); // sh_offset
        out.extend_from_slice(&h[5].to_le_bytes()); // sh_size
        out.extend_from_slice(&(h[6] as u32).to_le_bytes()); // sh_link
        out.extend_from_slice(&(h[7] as u32).to_le_bytes()); // sh_info
        out.extend_from_slice(&h[8].to_le_bytes()); // sh_addralign
        out.extend_from_slice(&h[9].to_le_bytes()); // sh_entsize
    }

    // ELF header.
    let mut header = Vec::with_capacity(64);
    header.extend_from_slice(&[0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    header.extend_from_slice(&1u16.to_le_bytes()); // ET_REL
    header.extend_from_slice(&62u16.to_le_bytes()); // EM_X86_64
    header.extend_from_slice(&1u32.to_le_bytes()); // EV_CURRENT
    header.extend_from_slice(&0u64.to_le_bytes()); // e_entry
    header.extend_from_slice(&0u64.to_le_bytes()); // e_phoff
    header.extend_from_slice(&shoff.to_le_bytes());
    header.extend_from_slice(&0u32.to_le_bytes()); // e_flags
    header.extend_from_slice(&64u16.to_le_bytes()); // e_ehsize
    header.extend_from_slice(&0u16.to_le_bytes()); // e_phentsize
    header.extend_from_slice(&0u16.to_le_bytes()); // e_phnum
    header.extend_from_slice(&64u16.to_le_bytes()); // e_shentsize
    header.extend_from_slice(&(headers.len() as u16).to_le_bytes());
    header.extend_from_slice(&(shstrtab_index as u16).to_le_bytes());
    out[..64].copy_from_slice(&header);
    out
}
