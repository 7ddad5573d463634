//! `JIT_CODE_UNWINDING_INFO` data: a function's CFI as perf wants it.
//!
//! `perf inject --jit` writes each JIT'd function into its own small ELF
//! file, code at the start and the unwinding data after it, 8-byte aligned:
//! `.eh_frame` (the function's CIE and FDE and a terminator), then
//! `.eh_frame_hdr` (one table entry). perf unwinds through JIT'd frames with
//! it (`perf record --call-graph dwarf`). The FDE is the unit's own, copied
//! from the fixed-up `.eh_frame` with its CIE pointer and start address
//! re-encoded for the new place; the rest of its bytes stay as they are (a
//! personality or LSDA pointer no longer points anywhere useful, and CFI
//! unwinders do not read them).

use gimli::{constants, BaseAddresses, EhFrame, LittleEndian, UnwindSection};

/// The FDEs of a unit's `.eh_frame`, by start address.
pub(super) struct UnitFrames<'a> {
    bytes: &'a [u8],
    fdes: Vec<Fde>,
}

struct Fde {
    begin: u64,
    len: u64,
    offset: usize,
    cie: usize,
    /// The pointer encoding of the FDE's start address (from its CIE).
    encoding: constants::DwEhPe,
}

/// Unwinding data for one function: `.eh_frame` then `.eh_frame_hdr`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Unwinding {
    pub data: Vec<u8>,
    pub header_size: u64,
}

const PCREL_SDATA4: u8 = constants::DW_EH_PE_pcrel.0 | constants::DW_EH_PE_sdata4.0;
const DATAREL_SDATA4: u8 = constants::DW_EH_PE_datarel.0 | constants::DW_EH_PE_sdata4.0;

impl<'a> UnitFrames<'a> {
    /// The FDEs of a unit's fixed-up `.eh_frame` placed at `start`.
    pub fn parse(start: u64, bytes: &'a [u8]) -> Self {
        let section = EhFrame::new(bytes, LittleEndian);
        let bases = BaseAddresses::default().set_eh_frame(start);
        let mut fdes = Vec::new();
        let mut entries = section.entries(&bases);
        while let Ok(Some(entry)) = entries.next() {
            let gimli::CieOrFde::Fde(partial) = entry else {
                continue;
            };
            let Ok(fde) = partial.parse(EhFrame::cie_from_offset) else {
                continue;
            };
            fdes.push(Fde {
                begin: fde.initial_address(),
                len: fde.len(),
                offset: fde.offset(),
                cie: fde.cie().offset(),
                encoding: fde
                    .cie()
                    .fde_address_encoding()
                    .unwrap_or(constants::DW_EH_PE_absptr),
            });
        }
        fdes.sort_by_key(|f| f.begin);
        UnitFrames { bytes, fdes }
    }

    /// The unwinding data of the function at `addr` (`size` bytes), laid out
    /// as perf places it: `.eh_frame` at `addr + align8(size)`. `None` when
    /// no FDE starts there or its encoding is not one gcc or clang use.
    pub fn for_function(&self, addr: u64, size: u64) -> Option<Unwinding> {
        let at = self.fdes.partition_point(|f| f.begin < addr);
        let fde = self.fdes.get(at).filter(|f| f.begin == addr && f.len > 0)?;
        let cie_bytes = self.entry(fde.cie)?;
        let fde_bytes = self.entry(fde.offset)?;
        let eh_frame_base = addr + size.next_multiple_of(8);

        let mut data = Vec::with_capacity(cie_bytes.len() + fde_bytes.len() + 4 + 20);
        data.extend_from_slice(cie_bytes);
        let fde_at = data.len();
        data.extend_from_slice(fde_bytes);
        data.extend_from_slice(&0u32.to_le_bytes()); // terminator
                                                     // The CIE pointer: the distance back from the field to the CIE (at 0).
        let cie_pointer = u32::try_from(fde_at + 4).ok()?;
        data[fde_at + 4..fde_at + 8].copy_from_slice(&cie_pointer.to_le_bytes());
        let begin_field = fde_at + 8;
        match fde.encoding.0 {
            PCREL_SDATA4 => {
                let value =
                    i32::try_from(addr as i64 - (eh_frame_base + begin_field as u64) as i64)
                        .ok()?;
                data[begin_field..begin_field + 4].copy_from_slice(&value.to_le_bytes());
            }
            // Absolute: the address is the same wherever the FDE lies.
            0 => {}
            _ => return None,
        }

        // .eh_frame_hdr: version, encodings, the .eh_frame pointer, one entry.
        let header_at = data.len() as i64;
        data.push(1);
        data.push(PCREL_SDATA4); // eh_frame_ptr
        data.push(constants::DW_EH_PE_udata4.0); // fde_count
        data.push(DATAREL_SDATA4); // table entries
        let to_eh_frame = i32::try_from(-(header_at + 4)).ok()?;
        data.extend_from_slice(&to_eh_frame.to_le_bytes());
        data.extend_from_slice(&1u32.to_le_bytes());
        let code_from_header = -(size.next_multiple_of(8) as i64) - header_at;
        data.extend_from_slice(&i32::try_from(code_from_header).ok()?.to_le_bytes());
        data.extend_from_slice(&i32::try_from(fde_at as i64 - header_at).ok()?.to_le_bytes());
        Some(Unwinding {
            header_size: (data.len() as i64 - header_at) as u64,
            data,
        })
    }

    /// The raw bytes of the entry at `offset` (32-bit DWARF lengths only).
    fn entry(&self, offset: usize) -> Option<&'a [u8]> {
        let len = u32::from_le_bytes(self.bytes.get(offset..offset + 4)?.try_into().ok()?);
        if len == 0xffff_ffff {
            return None;
        }
        self.bytes.get(offset..offset + 4 + len as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gimli::{EhFrameHdr, UnwindSection};

    /// A CIE (pcrel sdata4 FDE addresses) and one FDE for [0x1010, 0x1030),
    /// as a unit's `.eh_frame` at 0x2000.
    fn unit_eh_frame() -> Vec<u8> {
        let mut bytes = Vec::new();
        // CIE: length, id 0, version 1, "zR", caf 1, daf -8, ra 16, aug len 1, enc.
        let cie_body = [
            0,
            0,
            0,
            0,
            1,
            b'z',
            b'R',
            0,
            1,
            0x78,
            16,
            1,
            PCREL_SDATA4,
            0,
            0,
            0,
        ];
        bytes.extend_from_slice(&(cie_body.len() as u32).to_le_bytes());
        bytes.extend_from_slice(&cie_body);
        let fde_at = bytes.len();
        let mut fde_body = Vec::new();
        fde_body.extend_from_slice(&((fde_at + 4) as u32).to_le_bytes());
        let field = 0x2000 + fde_at as i64 + 8;
        fde_body.extend_from_slice(&((0x1010 - field) as i32).to_le_bytes());
        fde_body.extend_from_slice(&0x20u32.to_le_bytes());
        fde_body.extend_from_slice(&[0, 0x0e, 16, 0, 0]); // aug len 0, def_cfa_offset 16, pad
        fde_body.push(0);
        fde_body.push(0);
        bytes.extend_from_slice(&(fde_body.len() as u32).to_le_bytes());
        bytes.extend_from_slice(&fde_body);
        bytes.extend_from_slice(&[0; 4]);
        bytes
    }

    #[test]
    fn the_copied_fde_covers_the_function_where_perf_puts_it() {
        let bytes = unit_eh_frame();
        let frames = UnitFrames::parse(0x2000, &bytes);
        assert!(frames.for_function(0x1000, 0x10).is_none(), "no FDE there");
        let unwinding = frames.for_function(0x1010, 0x1c).unwrap();

        let eh_frame_base = 0x1010 + 0x20;
        let table_len = unwinding.data.len() - unwinding.header_size as usize;
        let bases = BaseAddresses::default()
            .set_eh_frame(eh_frame_base)
            .set_eh_frame_hdr(eh_frame_base + table_len as u64);
        let header = EhFrameHdr::new(&unwinding.data[table_len..], LittleEndian)
            .parse(&bases, 8)
            .unwrap();
        let table = header.table().unwrap();
        let eh_frame = EhFrame::new(&unwinding.data[..table_len], LittleEndian);
        let fde = table
            .fde_for_address(&eh_frame, &bases, 0x1020, EhFrame::cie_from_offset)
            .unwrap();
        assert_eq!((fde.initial_address(), fde.len()), (0x1010, 0x20));
    }
}
