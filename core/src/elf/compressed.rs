//! Compressed debug sections (`SHF_COMPRESSED`, and GNU's older `.zdebug_*`).

use object::elf;
use object::read::elf::SectionHeader;
use object::LittleEndian as LE;

use super::builder::bad;
use crate::error::Result;

/// The largest uncompressed size accepted for an `SHF_COMPRESSED` section:
/// more is a corrupt header, not debug information.
const MAX_UNCOMPRESSED: u64 = 1 << 32;

/// Rejects a header's uncompressed size that the compressed bytes cannot
/// hold: the decoders allocate it up front and zero-fill it (ruzstd and
/// flate2 both do), so a corrupt header of a few bytes would cost gigabytes.
fn check_uncompressed_size(
    format: object::CompressionFormat,
    compressed: usize,
    uncompressed: u64,
) -> std::result::Result<(), String> {
    // Deflate expands at most 1032:1; a zstd RLE block turns 4 bytes into up
    // to 128 KiB.
    let ratio = match format {
        object::CompressionFormat::Zstandard => 1 << 15,
        _ => 1032,
    };
    let most = (compressed as u64)
        .saturating_mul(ratio)
        .min(MAX_UNCOMPRESSED);
    if uncompressed > most {
        return Err(format!(
            "uncompressed size {uncompressed:#x} is more than the {most:#x} that \
             {compressed} bytes of {format:?} data can hold"
        ));
    }
    Ok(())
}

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
    check_uncompressed_size(format, rest.len(), uncompressed_size).map_err(fail)?;
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
    check_uncompressed_size(
        object::CompressionFormat::Zlib,
        stream.len(),
        uncompressed_size,
    )
    .map_err(fail)?;
    object::read::CompressedData {
        format: object::CompressionFormat::Zlib,
        data: stream,
        uncompressed_size,
    }
    .decompress()
    .map(std::borrow::Cow::into_owned)
    .map_err(|err| fail(format!("cannot decompress (zlib): {err}")))
}
