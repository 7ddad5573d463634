//! Applies one edge to a block's working memory.

use super::EdgeKind;
use crate::graph::Edge;

/// Why a fixup could not be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FixupError {
    /// The computed value does not fit the field.
    OutOfRange { value: i128 },
    /// The fixup runs past the end of its block.
    OutOfBounds,
    /// An edge kind that a pass should have lowered before fixup.
    NotLowered,
    /// A relaxation met an instruction it does not know.
    BadInstruction,
}

/// Writes `edge` into `mem`, the working memory of a block at `block_addr`.
/// `target` is the target symbol's address (its size for `Size*`, its TLS
/// offset for `DtpOff*`, the module id for `DtpMod64`), `got_base` the GOT's address.
pub fn apply_fixup(
    mem: &mut [u8],
    block_addr: u64,
    edge: &Edge,
    target: u64,
    got_base: u64,
) -> Result<(), FixupError> {
    let offset = usize::try_from(edge.offset).map_err(|_| FixupError::OutOfBounds)?;
    let p = block_addr.wrapping_add(edge.offset) as i128;
    let s = target as i128;
    let a = edge.addend as i128;
    let got = got_base as i128;
    match edge.kind {
        EdgeKind::Pointer64 | EdgeKind::DtpOff64 => write64(mem, offset, (s + a) as u64),
        EdgeKind::DtpMod64 => write64(mem, offset, target),
        EdgeKind::DtpOff32 => write_i32(mem, offset, s + a),
        // Thread-pointer offsets are negative (TLS variant II): `target` holds an i64.
        EdgeKind::TpOff64 => write64(mem, offset, (target as i64 as i128 + a) as u64),
        EdgeKind::TpOff32 => write_i32(mem, offset, target as i64 as i128 + a),
        EdgeKind::Size64 => write64(mem, offset, (s + a) as u64),
        EdgeKind::Delta64 => write64(mem, offset, (s + a - p) as u64),
        EdgeKind::Delta64FromGot => write64(mem, offset, (s + a - got) as u64),
        EdgeKind::Pointer32 => write_u32(mem, offset, s + a),
        EdgeKind::Size32 => write_u32(mem, offset, s + a),
        EdgeKind::Pointer32Signed => write_i32(mem, offset, s + a),
        EdgeKind::Pointer16 => write_uint(mem, offset, s + a, 2),
        EdgeKind::Pointer8 => write_uint(mem, offset, s + a, 1),
        EdgeKind::Delta32
        | EdgeKind::BranchPCRel32
        | EdgeKind::BranchPCRel32ToStub
        | EdgeKind::Delta32ToGotRelaxable
        | EdgeKind::Delta32ToGotRexRelaxable => write_i32(mem, offset, s + a - p),
        EdgeKind::Delta32FromGot => write_i32(mem, offset, s + a - got),
        EdgeKind::Delta16 => write_int(mem, offset, s + a - p, 2),
        EdgeKind::Delta8 => write_int(mem, offset, s + a - p, 1),
        EdgeKind::RelaxedMovToLea => {
            // mov foo@GOTPCREL(%rip), %reg  ->  lea foo(%rip), %reg
            let op = offset.checked_sub(2).ok_or(FixupError::BadInstruction)?;
            if mem.get(op) != Some(&0x8b) {
                return Err(FixupError::BadInstruction);
            }
            mem[op] = 0x8d;
            write_i32(mem, offset, s + a - p)
        }
        EdgeKind::RelaxedCall => {
            // call *foo@GOTPCREL(%rip)  ->  addr32 call foo
            let op = offset.checked_sub(2).ok_or(FixupError::BadInstruction)?;
            if mem.get(op..offset) != Some(&[0xff, 0x15]) {
                return Err(FixupError::BadInstruction);
            }
            mem[op] = 0x67;
            mem[op + 1] = 0xe8;
            write_i32(mem, offset, s + a - p)
        }
        EdgeKind::RelaxedJmp => {
            // jmp *foo@GOTPCREL(%rip)  ->  jmp foo; nop
            let op = offset.checked_sub(2).ok_or(FixupError::BadInstruction)?;
            if mem.get(op..offset) != Some(&[0xff, 0x25]) || mem.len() < offset + 4 {
                return Err(FixupError::BadInstruction);
            }
            mem[op] = 0xe9;
            write_i32(mem, op + 1, s + a - (p - 1))?;
            mem[offset + 3] = 0x90;
            Ok(())
        }
        EdgeKind::RequestGotAndTransformToDelta32
        | EdgeKind::RequestGotAndTransformToDelta32Relaxable
        | EdgeKind::RequestGotAndTransformToDelta32RexRelaxable
        | EdgeKind::RequestGotAndTransformToDelta64
        | EdgeKind::RequestGotAndTransformToDelta64FromGot
        | EdgeKind::RequestGotAndTransformToDelta32FromGot
        | EdgeKind::RequestStubAndTransformToDelta64FromGot
        | EdgeKind::RequestTlsGdAndTransformToDelta32
        | EdgeKind::RequestTlsLdAndTransformToDelta32
        | EdgeKind::RequestGotTpOffAndTransformToDelta32
        | EdgeKind::RequestTlsDescAndTransformToDelta32 => Err(FixupError::NotLowered),
    }
}

fn field(mem: &mut [u8], offset: usize, len: usize) -> Result<&mut [u8], FixupError> {
    let end = offset.checked_add(len).ok_or(FixupError::OutOfBounds)?;
    mem.get_mut(offset..end).ok_or(FixupError::OutOfBounds)
}

fn write64(mem: &mut [u8], offset: usize, value: u64) -> Result<(), FixupError> {
    field(mem, offset, 8)?.copy_from_slice(&value.to_le_bytes());
    Ok(())
}

fn write_u32(mem: &mut [u8], offset: usize, value: i128) -> Result<(), FixupError> {
    write_uint(mem, offset, value, 4)
}

fn write_i32(mem: &mut [u8], offset: usize, value: i128) -> Result<(), FixupError> {
    write_int(mem, offset, value, 4)
}

fn write_uint(mem: &mut [u8], offset: usize, value: i128, len: usize) -> Result<(), FixupError> {
    let max = (1i128 << (len * 8)) - 1;
    if !(0..=max).contains(&value) {
        return Err(FixupError::OutOfRange { value });
    }
    field(mem, offset, len)?.copy_from_slice(&(value as u64).to_le_bytes()[..len]);
    Ok(())
}

fn write_int(mem: &mut [u8], offset: usize, value: i128, len: usize) -> Result<(), FixupError> {
    let bound = 1i128 << (len * 8 - 1);
    if !(-bound..bound).contains(&value) {
        return Err(FixupError::OutOfRange { value });
    }
    field(mem, offset, len)?.copy_from_slice(&(value as i64).to_le_bytes()[..len]);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::SymbolId;

    fn edge(kind: EdgeKind, offset: u64, addend: i64) -> Edge {
        Edge {
            offset,
            kind,
            target: SymbolId::from_index(0),
            addend,
        }
    }

    #[test]
    fn delta32_is_pc_relative_and_range_checked() {
        let mut mem = [0u8; 8];
        apply_fixup(&mut mem, 0x1000, &edge(EdgeKind::Delta32, 4, -4), 0x2000, 0).unwrap();
        assert_eq!(
            i32::from_le_bytes(mem[4..8].try_into().unwrap()),
            0x2000 - 4 - 0x1004
        );
        let err = apply_fixup(&mut mem, 0, &edge(EdgeKind::Delta32, 0, 0), 1 << 40, 0);
        assert!(matches!(err, Err(FixupError::OutOfRange { .. })));
    }

    #[test]
    fn relaxed_jmp_rewrites_instruction() {
        let mut mem = [0xff, 0x25, 0, 0, 0, 0];
        apply_fixup(
            &mut mem,
            0x1000,
            &edge(EdgeKind::RelaxedJmp, 2, -4),
            0x1100,
            0,
        )
        .unwrap();
        assert_eq!(mem[0], 0xe9);
        assert_eq!(mem[5], 0x90);
        let rel = i32::from_le_bytes(mem[1..5].try_into().unwrap());
        assert_eq!(0x1000 + 5 + rel as i64, 0x1100);
    }

    #[test]
    fn fixup_past_block_end_is_an_error() {
        let mut mem = [0u8; 4];
        let err = apply_fixup(&mut mem, 0, &edge(EdgeKind::Pointer64, 0, 0), 1, 0);
        assert_eq!(err, Err(FixupError::OutOfBounds));
    }
}
