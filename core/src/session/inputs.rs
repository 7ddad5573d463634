//! Reading input files: small ones into memory, large ones mapped, and a
//! batch of small ones into one buffer whose pages the kernel provides at
//! once.
//!
//! Reading a thousand 8 KiB objects into a heap buffer each was a thousand
//! allocations and 2,100 fresh heap pages, a page fault each. A batch's
//! small files go into one anonymous mapping made with `MAP_POPULATE`, which
//! the kernel fills in one call (8.4 MB on the 2-core VM: 4.0 ms populated,
//! 4.9 ms touched a page at a time), and are read into it with no fault;
//! the mapping goes with the last of its files.

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::graph::InputFile;

/// Inputs below this size are read into memory; larger ones are mapped.
const SMALL_INPUT: u64 = 64 * 1024;

/// A batch reads its small inputs into one buffer once they add up to this
/// much; below it, a heap buffer each costs less than a mapping.
const SHARED_BUFFER_MIN: u64 = 128 * 1024;

/// Files are opened this many at a time: a thousand open descriptors would
/// pass the usual limit of 1,024, and a runtime has descriptors of its own.
const OPEN_AT_ONCE: usize = 128;

/// Reads (or maps) an input file.
pub fn read_input(path: &Path) -> Result<InputFile> {
    read_open(path, open(path)?)
}

/// Reads (or maps) an open input.
fn read_open(path: &Path, file: OpenInput) -> Result<InputFile> {
    let data: Arc<dyn AsRef<[u8]> + Send + Sync> = if !file.metadata.is_file() {
        Arc::new(read_stream(path, &file.file)?)
    } else if file.metadata.len() < SMALL_INPUT {
        // A small object is cheaper to read than to map (a mapping is a
        // system call, a page fault and an unmap), which counts for
        // runtimes that link many small units.
        let mut bytes = Vec::with_capacity(file.metadata.len() as usize);
        read_into_spare(path, &file.file, &mut bytes)?;
        Arc::new(bytes)
    } else {
        Arc::new(map(path, &file.file)?)
    };
    Ok(InputFile {
        name: file.name,
        data,
    })
}

/// Reads a batch of input files, as [`read_input`] reads each, except that
/// the small regular files share one buffer when they add up to enough for
/// it to pay (128 KiB together). A buffer lives as long as any of its
/// files does.
pub fn read_inputs<P: AsRef<Path>>(paths: &[P]) -> Result<Vec<InputFile>> {
    let mut inputs = Vec::with_capacity(paths.len());
    for chunk in paths.chunks(OPEN_AT_ONCE) {
        let open = chunk
            .iter()
            .map(|path| open(path.as_ref()))
            .collect::<Result<Vec<_>>>()?;
        let is_small =
            |file: &OpenInput| file.metadata.is_file() && file.metadata.len() < SMALL_INPUT;
        let small_total: u64 = open
            .iter()
            .filter(|file| is_small(file))
            .map(|file| file.metadata.len())
            .sum();
        if small_total < SHARED_BUFFER_MIN {
            for (path, file) in chunk.iter().zip(open) {
                inputs.push(read_open(path.as_ref(), file)?);
            }
            continue;
        }
        let first_path = chunk[0].as_ref();
        let mut buffer = memmap2::MmapOptions::new()
            .len(small_total as usize)
            .populate()
            .map_anon()
            .map_err(io_error(first_path))?;
        let mut ranges = Vec::with_capacity(open.len());
        let mut offset = 0usize;
        for (path, file) in chunk.iter().zip(&open) {
            if is_small(file) {
                let range = offset..offset + file.metadata.len() as usize;
                read_exact(path.as_ref(), &file.file, &mut buffer[range.clone()])?;
                offset = range.end;
                ranges.push(Some(range));
            } else {
                ranges.push(None);
            }
        }
        let buffer = Arc::new(buffer.make_read_only().map_err(io_error(first_path))?);
        for ((path, file), range) in chunk.iter().zip(open).zip(ranges) {
            inputs.push(match range {
                Some(range) => InputFile {
                    name: file.name,
                    data: Arc::new(SharedInput {
                        buffer: buffer.clone(),
                        range,
                    }),
                },
                None => read_open(path.as_ref(), file)?,
            });
        }
    }
    Ok(inputs)
}

/// One input's bytes inside a batch's shared buffer.
struct SharedInput {
    buffer: Arc<memmap2::Mmap>,
    range: Range<usize>,
}

impl AsRef<[u8]> for SharedInput {
    fn as_ref(&self) -> &[u8] {
        &self.buffer[self.range.clone()]
    }
}

/// An open input, its metadata, and the name messages call it.
struct OpenInput {
    file: std::fs::File,
    metadata: std::fs::Metadata,
    name: Arc<str>,
}

fn io_error(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Opens an input, refusing a directory with a message that says what to give.
fn open(path: &Path) -> Result<OpenInput> {
    let file = std::fs::File::open(path).map_err(io_error(path))?;
    let metadata = file.metadata().map_err(io_error(path))?;
    let name: Arc<str> = path.display().to_string().into();
    if metadata.is_dir() {
        return Err(Error::Unsupported {
            file: name.to_string(),
            reason: "is a directory: give objects (.o) and archives (.a)".into(),
        });
    }
    Ok(OpenInput {
        file,
        metadata,
        name,
    })
}

/// Reads a pipe (`<(zcat x.o.gz)`) or a device, which cannot be mapped, whole.
fn read_stream(path: &Path, file: &std::fs::File) -> Result<Vec<u8>> {
    const LIMIT: u64 = 1 << 32;
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut std::io::Read::take(file, LIMIT), &mut bytes)
        .map_err(io_error(path))?;
    if bytes.len() as u64 == LIMIT {
        return Err(Error::Unsupported {
            file: path.display().to_string(),
            reason: "not a regular file, and more than 4 GiB read from it".into(),
        });
    }
    Ok(bytes)
}

/// Fills a vector's spare capacity from the file. The size is known: reads
/// into the spare capacity ask the kernel for no byte past it, as
/// `read_to_end` would, and zero nothing first, as `vec![0; len]` did (a
/// calloc and a memset per object of a thousand). A read a signal
/// interrupts is retried.
fn read_into_spare(path: &Path, file: &std::fs::File, bytes: &mut Vec<u8>) -> Result<()> {
    while bytes.len() < bytes.capacity() {
        let read = rustix::io::retry_on_intr(|| {
            rustix::io::read(file, rustix::buffer::spare_capacity(bytes))
        })
        .map_err(|e| io_error(path)(e.into()))?;
        if read == 0 {
            return Err(io_error(path)(std::io::ErrorKind::UnexpectedEof.into()));
        }
    }
    Ok(())
}

/// Fills `buffer` from the file (`read_exact`, which retries interrupted reads).
fn read_exact(path: &Path, file: &std::fs::File, buffer: &mut [u8]) -> Result<()> {
    std::io::Read::read_exact(&mut &*file, buffer).map_err(io_error(path))
}

fn map(path: &Path, file: &std::fs::File) -> Result<memmap2::Mmap> {
    // SAFETY: the file is mapped read-only and private; if another process
    // truncates it while we link, reads may fault, as with any mmap-based
    // linker. Contents are only read through bounds-checked slices.
    unsafe { memmap2::Mmap::map(file) }.map_err(io_error(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A directory of its own under the system's temporary directory.
    fn scratch(name: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("lantern-inputs-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn bytes(file: &InputFile) -> &[u8] {
        (*file.data).as_ref()
    }

    #[test]
    fn a_batch_of_small_files_reads_each_file_whole_and_in_order() {
        let dir = scratch("batch");
        let mut paths = Vec::new();
        let mut contents = Vec::new();
        // 40 files of 5-8 KiB (past SHARED_BUFFER_MIN together), one large
        // file (mapped), across two chunks of OPEN_AT_ONCE.
        for i in 0..OPEN_AT_ONCE + 40 {
            let len = if i == 7 {
                100 * 1024
            } else {
                5000 + 97 * (i % 32)
            };
            let content: Vec<u8> = (0..len).map(|b| (b * 31 + i) as u8).collect();
            let path = dir.join(format!("f{i}.o"));
            std::fs::write(&path, &content).unwrap();
            paths.push(path);
            contents.push(content);
        }
        let read = read_inputs(&paths).unwrap();
        assert_eq!(read.len(), paths.len());
        for ((file, path), content) in read.iter().zip(&paths).zip(&contents) {
            assert_eq!(&*file.name, path.display().to_string());
            assert_eq!(bytes(file), &content[..], "{}", path.display());
        }
        // The inputs outlive everything else of the batch.
        let last = read.into_iter().last().unwrap();
        assert_eq!(bytes(&last), &contents.last().unwrap()[..]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_batch_with_a_directory_or_a_missing_file_names_it() {
        let dir = scratch("bad");
        let mut paths: Vec<_> = (0..30)
            .map(|i| {
                let path = dir.join(format!("f{i}.o"));
                std::fs::write(&path, vec![1u8; 8192]).unwrap();
                path
            })
            .collect();
        paths.push(dir.join("sub"));
        std::fs::create_dir(dir.join("sub")).unwrap();
        let error = read_inputs(&paths).expect_err("a directory").to_string();
        assert!(
            error.contains("sub") && error.contains("is a directory"),
            "{error}"
        );
        paths.pop();
        paths.push(dir.join("missing.o"));
        let error = read_inputs(&paths).expect_err("a missing file").to_string();
        assert!(error.contains("missing.o"), "{error}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
