//! `.eh_frame` entries rewritten as `.debug_frame` entries with absolute
//! addresses, for a merged debug object.
//!
//! A debugger reads one `.eh_frame` per object file, and its pc-relative
//! pointers hold only from the address it was written for. The units merged
//! into one debug object each have their own `.eh_frame` somewhere in the
//! process, so their entries move into the object's `.debug_frame` instead:
//! same CFA programs (copied as they are), absolute 64-bit addresses, no
//! augmentation (personality and LSDA are for exceptions, not for a debugger).

/// `DW_EH_PE_*` pointer encodings this conversion reads.
const DW_EH_PE_OMIT: u8 = 0xff;
const DW_EH_PE_INDIRECT: u8 = 0x80;
const DW_EH_PE_PCREL: u8 = 0x10;

/// A little-endian cursor over one entry.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len());
        let end = end.ok_or_else(|| format!("entry truncated at offset {:#x}", self.at))?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }
    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }
    /// Skips a LEB128 number (signed or not).
    fn leb(&mut self) -> Result<(), String> {
        while self.u8()? & 0x80 != 0 {}
        Ok(())
    }
    fn uleb(&mut self) -> Result<u64, String> {
        let mut reader = gimli::EndianSlice::new(&self.bytes[self.at..], gimli::LittleEndian);
        let before = reader.len();
        let value = gimli::leb128::read::unsigned(&mut reader)
            .map_err(|e| format!("bad LEB128 at offset {:#x}: {e}", self.at))?;
        self.at += before - reader.len();
        Ok(value)
    }
    /// A pointer in `encoding`; `field_addr` is where the field lives in the process.
    fn pointer(&mut self, encoding: u8, field_addr: u64) -> Result<u64, String> {
        let value = match encoding & 0x0f {
            0x00 | 0x04 | 0x0c => u64::from_le_bytes(self.take(8)?.try_into().expect("8")),
            0x03 => u64::from(self.u32()?),
            0x0b => i64::from(self.u32()? as i32) as u64,
            0x02 => u64::from(u16::from_le_bytes(self.take(2)?.try_into().expect("2"))),
            0x0a => i64::from(i16::from_le_bytes(self.take(2)?.try_into().expect("2"))) as u64,
            other => return Err(format!("unsupported pointer format {other:#x}")),
        };
        match encoding & 0x70 {
            0 => Ok(value),
            DW_EH_PE_PCREL => Ok(field_addr.wrapping_add(value)),
            other => Err(format!("unsupported pointer application {other:#x}")),
        }
    }
}

/// What a CIE tells its FDEs, and where its converted copy is.
struct Cie {
    fde_encoding: u8,
    has_augmentation_data: bool,
    /// Offset of the converted CIE in the output `.debug_frame`.
    out_offset: u32,
}

/// Appends the entries of one unit's `.eh_frame` (`bytes`, at `addr` in the
/// process) to `out`, a `.debug_frame` section being built. FDEs of code that
/// was stripped (pointing at themselves) are left out.
pub(crate) fn append_as_debug_frame(
    bytes: &[u8],
    addr: u64,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    let mut cies: std::collections::HashMap<usize, Cie> = std::collections::HashMap::new();
    let mut at = 0usize;
    while at + 4 <= bytes.len() {
        let length = u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4")) as usize;
        if length == 0 {
            break; // terminator
        }
        if length == 0xffff_ffff {
            return Err(format!("64-bit entry at offset {at:#x} is not supported"));
        }
        let end = at
            .checked_add(4 + length)
            .filter(|&e| e <= bytes.len())
            .ok_or_else(|| format!("entry at offset {at:#x} runs past the section"))?;
        let mut entry = Cursor {
            bytes: &bytes[..end],
            at: at + 4,
        };
        let id_at = entry.at;
        let id = entry.u32()?;
        if id == 0 {
            let cie =
                convert_cie(&mut entry, out).map_err(|e| format!("CIE at offset {at:#x}: {e}"))?;
            cies.insert(at, cie);
        } else {
            let cie_at = id_at
                .checked_sub(id as usize)
                .ok_or_else(|| format!("FDE at offset {at:#x}: bad CIE pointer"))?;
            let cie = cies
                .get(&cie_at)
                .ok_or_else(|| format!("FDE at offset {at:#x}: no CIE at {cie_at:#x}"))?;
            convert_fde(&mut entry, addr, cie, out)
                .map_err(|e| format!("FDE at offset {at:#x}: {e}"))?;
        }
        at = end;
    }
    Ok(())
}

fn convert_cie(entry: &mut Cursor<'_>, out: &mut Vec<u8>) -> Result<Cie, String> {
    let version = entry.u8()?;
    if version != 1 && version != 3 {
        return Err(format!("version {version}"));
    }
    let augmentation_start = entry.at;
    while entry.u8()? != 0 {}
    let augmentation = &entry.bytes[augmentation_start..entry.at - 1];
    // Code and data alignment factors and the return address register, copied as they are.
    let factors_start = entry.at;
    entry.uleb()?;
    entry.leb()?;
    if version == 1 {
        entry.u8()?;
    } else {
        entry.uleb()?;
    }
    let factors = &entry.bytes[factors_start..entry.at];
    let mut fde_encoding = 0; // DW_EH_PE_absptr
    let has_augmentation_data = augmentation.first() == Some(&b'z');
    if has_augmentation_data {
        let length = entry.uleb()? as usize;
        let data_end = entry
            .at
            .checked_add(length)
            .filter(|&end| end <= entry.bytes.len())
            .ok_or("augmentation data past the end of the entry")?;
        for &letter in &augmentation[1..] {
            match letter {
                b'R' => fde_encoding = entry.u8()?,
                b'L' => {
                    entry.u8()?;
                }
                b'P' => {
                    let encoding = entry.u8()?;
                    entry.pointer(encoding & !DW_EH_PE_INDIRECT, 0)?;
                }
                b'S' | b'B' => {}
                other => return Err(format!("augmentation letter {:?}", other as char)),
            }
        }
        if entry.at > data_end {
            return Err("augmentation data longer than its length".into());
        }
        entry.at = data_end;
    } else if !augmentation.is_empty() {
        return Err(format!(
            "augmentation {:?}",
            String::from_utf8_lossy(augmentation)
        ));
    }
    let instructions = entry.take(entry.bytes.len() - entry.at)?;

    let out_offset = out.len();
    let body_start = out.len() + 4;
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&0xffff_ffffu32.to_le_bytes()); // CIE id in .debug_frame
    out.push(version);
    out.push(0); // no augmentation
    out.extend_from_slice(factors);
    out.extend_from_slice(instructions);
    finish_entry(out, out_offset, body_start);
    Ok(Cie {
        fde_encoding,
        has_augmentation_data,
        out_offset: u32::try_from(out_offset).map_err(|_| "output past 4 GiB")?,
    })
}

fn convert_fde(
    entry: &mut Cursor<'_>,
    section_addr: u64,
    cie: &Cie,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    if cie.fde_encoding == DW_EH_PE_OMIT || cie.fde_encoding & DW_EH_PE_INDIRECT != 0 {
        return Err(format!("FDE pointer encoding {:#x}", cie.fde_encoding));
    }
    let field_addr = section_addr + entry.at as u64;
    let start = entry.pointer(cie.fde_encoding, field_addr)?;
    let range = entry.pointer(cie.fde_encoding & 0x0f, 0)?;
    if start == field_addr {
        return Ok(()); // stripped code: the fixup left the FDE pointing at itself
    }
    if cie.has_augmentation_data {
        let length = entry.uleb()? as usize;
        entry.take(length)?;
    }
    let instructions = entry.take(entry.bytes.len() - entry.at)?;
    let out_offset = out.len();
    let body_start = out.len() + 4;
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&cie.out_offset.to_le_bytes());
    out.extend_from_slice(&start.to_le_bytes());
    out.extend_from_slice(&range.to_le_bytes());
    out.extend_from_slice(instructions);
    finish_entry(out, out_offset, body_start);
    Ok(())
}

/// Pads an entry with `DW_CFA_nop` to 8 bytes and writes its length.
fn finish_entry(out: &mut Vec<u8>, entry_start: usize, body_start: usize) {
    let padded = (out.len() - entry_start).next_multiple_of(8) + entry_start;
    out.resize(padded, 0);
    let length = (out.len() - body_start) as u32;
    out[entry_start..entry_start + 4].copy_from_slice(&length.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use gimli::{BaseAddresses, UnwindSection};

    /// A CIE (zR, pcrel sdata4) and two FDEs, one for stripped code.
    fn sample(section_addr: u64) -> Vec<u8> {
        let mut s = Vec::new();
        // CIE: length, id 0, version 1, "zR", code 1, data -8, RA 16, aug len 1, enc 0x1b,
        // def_cfa r7+8, offset r16 at cfa-8, padding.
        s.extend_from_slice(&20u32.to_le_bytes());
        s.extend_from_slice(&0u32.to_le_bytes());
        s.extend_from_slice(&[1, b'z', b'R', 0, 1, 0x78, 16, 1, 0x1b]);
        s.extend_from_slice(&[0x0c, 7, 8, 0x90, 1, 0, 0]);
        assert_eq!(s.len(), 24);
        for (target, size) in [(0x5000u64, 0x20u32), (0, 0x10)] {
            let at = s.len();
            s.extend_from_slice(&20u32.to_le_bytes());
            s.extend_from_slice(&((at + 4) as u32).to_le_bytes());
            let field = section_addr + s.len() as u64;
            // The stripped FDE's pc_begin is 0: it points at itself.
            let pcrel = if target == 0 {
                0
            } else {
                target.wrapping_sub(field) as u32
            };
            s.extend_from_slice(&pcrel.to_le_bytes());
            s.extend_from_slice(&size.to_le_bytes());
            s.extend_from_slice(&[0]); // no augmentation data
            s.extend_from_slice(&[0x41, 0x0e, 16, 0, 0, 0, 0]); // advance 1, cfa offset 16
        }
        s.extend_from_slice(&[0; 4]);
        s
    }

    #[test]
    fn fdes_keep_their_code_ranges_and_rules() {
        let addr = 0x4000;
        let eh = sample(addr);
        let mut out = vec![];
        append_as_debug_frame(&eh, addr, &mut out).unwrap();
        let frame = gimli::DebugFrame::new(&out, gimli::LittleEndian);
        let bases = BaseAddresses::default();
        let mut entries = frame.entries(&bases);
        let mut fdes = vec![];
        while let Some(entry) = entries.next().unwrap() {
            if let gimli::CieOrFde::Fde(partial) = entry {
                let fde = partial.parse(gimli::DebugFrame::cie_from_offset).unwrap();
                fdes.push((fde.initial_address(), fde.len()));
                let mut ctx = gimli::UnwindContext::new();
                let row = fde
                    .unwind_info_for_address(&frame, &bases, &mut ctx, 0x5001)
                    .unwrap();
                assert_eq!(
                    *row.cfa(),
                    gimli::CfaRule::RegisterAndOffset {
                        register: gimli::Register(7),
                        offset: 16
                    }
                );
            }
        }
        assert_eq!(fdes, vec![(0x5000, 0x20)], "the stripped FDE is left out");
    }

    #[test]
    fn bad_entries_are_errors() {
        let mut eh = sample(0);
        eh[4 + 4] = 9; // version
        let err = append_as_debug_frame(&eh, 0, &mut vec![]).unwrap_err();
        assert!(err.contains("CIE at offset 0x0: version 9"), "{err}");
        let eh = sample(0);
        let err = append_as_debug_frame(&eh[..30], 0, &mut vec![]).unwrap_err();
        assert!(err.contains("runs past the section"), "{err}");
        let mut eh = sample(0);
        eh[15] = 0x7f; // augmentation data length, past the CIE's end
        let err = append_as_debug_frame(&eh, 0, &mut vec![]).unwrap_err();
        assert!(err.contains("augmentation data past the end"), "{err}");
    }
}
