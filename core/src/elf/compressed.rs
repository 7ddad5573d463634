//! Compressed debug sections (`SHF_COMPRESSED`, and GNU's older `.zdebug_*`).

use object::elf;
use object::read::elf::SectionHeader;
use object::LittleEndian as LE;

use super::builder::bad;
use crate::error::Result;

/// The largest uncompressed size accepted for an `SHF_COMPRESSED` section:
/// more is a corrupt header, not debug information.
const MAX_UNCOMPRESSED: u64 = 1 << 32;

/// The bytes of an `SHF_COMPRESSED` section (`gcc -gz=zlib`,
/// `-gz=zstd`) and its alignment, from its `Elf64_Chdr`: relocations and
/// everything after the builder see the uncompressed section, as a static
/// linker does.
pub(super) fn decompress<'d>(
    file: &str,
    section: &str,
    data: &'d [u8],
    shdr: &elf::SectionHeader64<LE>,
) -> Result<(std::borrow::Cow<'d, [u8]>, u64)> {
    let e = LE;
    let fail = |what: String| bad(file, format!("section {section}: {what}"));
    let raw = shdr
        .data(e, data)
        .map_err(|err| fail(format!("compressed section: {err}")))?;
    let (header, rest) = object::pod::from_bytes::<elf::CompressionHeader64<LE>>(raw)
        .map_err(|()| fail("compressed section shorter than its header".into()))?;
    let format = match header.ch_type.get(e) {
        elf::ELFCOMPRESS_ZLIB => object::CompressionFormat::Zlib,
        elf::ELFCOMPRESS_ZSTD => object::CompressionFormat::Zstandard,
        other => return Err(fail(format!("unknown compression type {other}"))),
    };
    let uncompressed_size = header.ch_size.get(e);
    if uncompressed_size > MAX_UNCOMPRESSED {
        return Err(fail(format!(
            "uncompressed size {uncompressed_size:#x} is more than the {MAX_UNCOMPRESSED:#x} accepted"
        )));
    }
    let align = header.ch_addralign.get(e);
    let bytes = object::read::CompressedData {
        format,
        data: rest,
        uncompressed_size,
    }
    .decompress()
    .map_err(|err| fail(format!("cannot decompress ({format:?}): {err}")))?;
    Ok((bytes, align))
}

/// The bytes of a `.zdebug_*` section (the GNU format before
/// `SHF_COMPRESSED`): "ZLIB", the uncompressed size (8 bytes, big-endian),
/// then the zlib stream.
pub(super) fn decompress_gnu(
    file: &str,
    section: &str,
    data: &[u8],
    shdr: &elf::SectionHeader64<LE>,
) -> Result<Vec<u8>> {
    let fail = |what: String| bad(file, format!("section {section}: {what}"));
    let raw = shdr
        .data(LE, data)
        .map_err(|err| fail(format!("compressed section: {err}")))?;
    let (size, stream) = raw
        .strip_prefix(b"ZLIB")
        .filter(|rest| rest.len() >= 8)
        .map(|rest| rest.split_at(8))
        .ok_or_else(|| fail("no \"ZLIB\" header".into()))?;
    let uncompressed_size = u64::from_be_bytes(size.try_into().expect("8 bytes"));
    if uncompressed_size > MAX_UNCOMPRESSED {
        return Err(fail(format!(
            "uncompressed size {uncompressed_size:#x} is more than the {MAX_UNCOMPRESSED:#x} accepted"
        )));
    }
    object::read::CompressedData {
        format: object::CompressionFormat::Zlib,
        data: stream,
        uncompressed_size,
    }
    .decompress()
    .map(std::borrow::Cow::into_owned)
    .map_err(|err| fail(format!("cannot decompress (zlib): {err}")))
}
