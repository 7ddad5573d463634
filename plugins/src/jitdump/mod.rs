//! jitdump support: a `jit-PID.dump` file in perf's jitdump format, which
//! `perf inject --jit` turns into one ELF file per JIT'd function, with its
//! code and source lines, so `perf report` and `perf annotate` show them.
//!
//! The file starts with the jitdump header. Each linked unit adds, per
//! function, a `JIT_CODE_DEBUG_INFO` record (address -> file:line, from the
//! unit's relocated line tables), a `JIT_CODE_UNWINDING_INFO` record (its
//! CFI, see `unwinding.rs`) and a `JIT_CODE_LOAD` record with the code
//! bytes, time-stamped with `CLOCK_MONOTONIC` (record with `perf record -k
//! mono`). The process maps the file executable once, which is how perf
//! learns where it is; `JIT_CODE_CLOSE` is written at exit. Records are
//! time-stamped, so code loaded later at a removed unit's addresses takes
//! their samples from then on.

mod unwinding;

use std::fs::File;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

use lantern_core::error::Result;
use lantern_core::graph::{ExecutorAddr, LinkGraph};
use lantern_core::link::{PassConfig, Plugin};
use lantern_core::memory::{AllocAction, WrapperCall};

use unwinding::{UnitFrames, Unwinding};

const MAGIC: u32 = 0x4A69_5444; // "JiTD"
const VERSION: u32 = 1;
const HEADER_SIZE: u32 = 40;
const EM_X86_64: u32 = 62;
const JIT_CODE_LOAD: u32 = 0;
const JIT_CODE_CLOSE: u32 = 3;
const JIT_CODE_DEBUG_INFO: u32 = 2;
const JIT_CODE_UNWINDING_INFO: u32 = 4;

/// The open dump of this process and its record index.
struct Dump {
    file: File,
    next_index: u64,
}

static DUMP: Mutex<Option<Dump>> = Mutex::new(None);

/// Where the dump goes: `$LANTERN_JITDUMP_DIR` (default `/tmp`), `jit-PID.dump`.
pub fn jitdump_path() -> PathBuf {
    let dir = std::env::var_os("LANTERN_JITDUMP_DIR").unwrap_or_else(|| "/tmp".into());
    PathBuf::from(dir).join(format!("jit-{}.dump", std::process::id()))
}

fn timestamp() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes the timespec it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

fn record_header(out: &mut Vec<u8>, id: u32, total_size: usize) {
    out.extend_from_slice(&id.to_le_bytes());
    out.extend_from_slice(&(total_size as u32).to_le_bytes());
    out.extend_from_slice(&timestamp().to_le_bytes());
}

/// Opens the dump, writes its header and maps it executable (perf's marker).
fn open() -> std::io::Result<Dump> {
    let path = jitdump_path();
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .read(true)
        .write(true)
        .open(&path)?;
    let mut header = Vec::with_capacity(HEADER_SIZE as usize);
    for word in [
        MAGIC,
        VERSION,
        HEADER_SIZE,
        EM_X86_64,
        0,
        std::process::id(),
    ] {
        header.extend_from_slice(&word.to_le_bytes());
    }
    header.extend_from_slice(&timestamp().to_le_bytes());
    header.extend_from_slice(&0u64.to_le_bytes()); // flags
    file.write_all(&header)?;
    // SAFETY: a private, read+exec mapping of the file's first page, kept for
    // the process's life; nothing reads or writes through it. perf records
    // the mmap event and finds the dump by it.
    let marker = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            4096,
            libc::PROT_READ | libc::PROT_EXEC,
            libc::MAP_PRIVATE,
            std::os::fd::AsRawFd::as_raw_fd(&file),
            0,
        )
    };
    if marker == libc::MAP_FAILED {
        return Err(std::io::Error::last_os_error());
    }
    extern "C" fn close_at_exit() {
        let mut dump = DUMP.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(dump) = dump.as_mut() {
            let mut record = Vec::new();
            record_header(&mut record, JIT_CODE_CLOSE, 16);
            let _ = dump.file.write_all(&record);
        }
    }
    // SAFETY: registering a handler that takes the dump's lock and writes.
    unsafe { libc::atexit(close_at_exit) };
    Ok(Dump {
        file,
        next_index: 0,
    })
}

/// One function of a unit: name, address, size, its line rows and CFI.
struct Function {
    name: String,
    addr: u64,
    size: u64,
    lines: Vec<(u64, u32, String)>,
    unwinding: Option<Unwinding>,
}

/// Line rows (address, line, file) of the unit's relocated DWARF, sorted.
pub(crate) fn line_rows(graph: &LinkGraph) -> Vec<(u64, u32, String)> {
    let Some(dwarf) = crate::unit_dwarf::unit_dwarf(graph) else {
        return Vec::new();
    };
    let mut rows = Vec::new();
    crate::unit_dwarf::each_line_row(&dwarf, |unit, header, row| {
        let (Some(line), Some(file)) = (row.line(), row.file(header)) else {
            return;
        };
        let mut path = String::new();
        if let Some(dir) = file.directory(header) {
            if let Ok(dir) = dwarf.attr_string(unit, dir) {
                path.push_str(&dir.to_string_lossy());
            }
        }
        if let Ok(name) = dwarf.attr_string(unit, file.path_name()) {
            let name = name.to_string_lossy();
            if name.starts_with('/') || path.is_empty() {
                path = name.into_owned();
            } else {
                path = format!("{path}/{name}");
            }
        }
        rows.push((row.address(), line.get() as u32, path));
    });
    rows.sort_by_key(|r| r.0);
    rows
}

fn functions(graph: &LinkGraph) -> Result<Vec<Function>> {
    let rows = line_rows(graph);
    let eh_frame = crate::eh_frame::unit_eh_frame(graph)?;
    let frames = eh_frame
        .as_ref()
        .map(|(start, bytes)| UnitFrames::parse(*start, bytes));
    let mut functions: Vec<Function> = crate::unit_code::functions(graph)
        .into_iter()
        .map(|(addr, size, name)| {
            let lo = rows.partition_point(|r| r.0 < addr);
            let hi = rows.partition_point(|r| r.0 < addr + size);
            Function {
                name,
                addr,
                size,
                lines: rows[lo..hi].to_vec(),
                unwinding: frames.as_ref().and_then(|f| f.for_function(addr, size)),
            }
        })
        .collect();
    functions.retain(|f| f.size > 0);
    Ok(functions)
}

fn encode(functions: &[Function]) -> Vec<u8> {
    let mut arg = Vec::new();
    for f in functions {
        arg.extend_from_slice(&f.addr.to_le_bytes());
        arg.extend_from_slice(&f.size.to_le_bytes());
        arg.extend_from_slice(&(f.name.len() as u32).to_le_bytes());
        arg.extend_from_slice(f.name.as_bytes());
        arg.extend_from_slice(&(f.lines.len() as u32).to_le_bytes());
        for (addr, line, file) in &f.lines {
            arg.extend_from_slice(&addr.to_le_bytes());
            arg.extend_from_slice(&line.to_le_bytes());
            arg.extend_from_slice(&(file.len() as u32).to_le_bytes());
            arg.extend_from_slice(file.as_bytes());
        }
        let (header_size, data) = f
            .unwinding
            .as_ref()
            .map_or((0, &[][..]), |u| (u.header_size, &u.data[..]));
        arg.extend_from_slice(&header_size.to_le_bytes());
        arg.extend_from_slice(&(data.len() as u32).to_le_bytes());
        arg.extend_from_slice(data);
    }
    arg
}

fn decode(bytes: &[u8]) -> Option<Vec<Function>> {
    let mut rest = bytes;
    let mut take = |n: usize| -> Option<&[u8]> {
        let (head, tail) = rest.split_at_checked(n)?;
        rest = tail;
        Some(head)
    };
    let u64_of = |b: &[u8]| b.try_into().ok().map(u64::from_le_bytes);
    let u32_of = |b: &[u8]| b.try_into().ok().map(u32::from_le_bytes);
    let mut functions = Vec::new();
    let mut remaining = bytes.len();
    while remaining > 0 {
        let addr = u64_of(take(8)?)?;
        let size = u64_of(take(8)?)?;
        let len = u32_of(take(4)?)? as usize;
        let name = String::from_utf8_lossy(take(len)?).into_owned();
        let count = u32_of(take(4)?)?;
        let mut lines = Vec::with_capacity(count as usize);
        let mut used = 24 + len;
        for _ in 0..count {
            let line_addr = u64_of(take(8)?)?;
            let line = u32_of(take(4)?)?;
            let len = u32_of(take(4)?)? as usize;
            lines.push((
                line_addr,
                line,
                String::from_utf8_lossy(take(len)?).into_owned(),
            ));
            used += 16 + len;
        }
        let header_size = u64_of(take(8)?)?;
        let len = u32_of(take(4)?)? as usize;
        let data = take(len)?.to_vec();
        used += 12 + len;
        remaining -= used;
        functions.push(Function {
            name,
            addr,
            size,
            lines,
            unwinding: (len > 0).then_some(Unwinding { data, header_size }),
        });
    }
    Some(functions)
}

/// The records of one function: its line table and its CFI, then its code
/// (perf applies the first two to the load that follows them).
fn records(f: &Function, index: u64, code: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    if !f.lines.is_empty() {
        let mut body = Vec::new();
        body.extend_from_slice(&f.addr.to_le_bytes());
        body.extend_from_slice(&(f.lines.len() as u64).to_le_bytes());
        for (addr, line, file) in &f.lines {
            body.extend_from_slice(&addr.to_le_bytes());
            body.extend_from_slice(&(*line as i32).to_le_bytes());
            body.extend_from_slice(&0i32.to_le_bytes()); // discriminator
            body.extend_from_slice(file.as_bytes());
            body.push(0);
        }
        record_header(&mut out, JIT_CODE_DEBUG_INFO, 16 + body.len());
        out.extend_from_slice(&body);
    }
    if let Some(unwinding) = &f.unwinding {
        let mut body = Vec::new();
        body.extend_from_slice(&(unwinding.data.len() as u64).to_le_bytes());
        body.extend_from_slice(&unwinding.header_size.to_le_bytes());
        // mapped_size: none of it is in memory after the code (the next
        // function is); perf then maps just the code, without overlaps.
        body.extend_from_slice(&0u64.to_le_bytes());
        body.extend_from_slice(&unwinding.data);
        body.resize((16 + body.len()).next_multiple_of(8) - 16, 0);
        record_header(&mut out, JIT_CODE_UNWINDING_INFO, 16 + body.len());
        out.extend_from_slice(&body);
    }
    let mut body = Vec::new();
    body.extend_from_slice(&std::process::id().to_le_bytes());
    // SAFETY: gettid has no preconditions.
    body.extend_from_slice(&(unsafe { libc::gettid() } as u32).to_le_bytes());
    body.extend_from_slice(&f.addr.to_le_bytes()); // vma
    body.extend_from_slice(&f.addr.to_le_bytes()); // code_addr
    body.extend_from_slice(&f.size.to_le_bytes());
    body.extend_from_slice(&index.to_le_bytes());
    body.extend_from_slice(f.name.as_bytes());
    body.push(0);
    body.extend_from_slice(code);
    record_header(&mut out, JIT_CODE_LOAD, 16 + body.len());
    out.extend_from_slice(&body);
    out
}

/// Writes the records of a finalized unit's functions: `arg` describes them.
///
/// # Safety
/// `arg` must point to `len` readable bytes, describing functions whose code
/// is mapped readable at the given addresses.
pub unsafe extern "C" fn load_wrapper(arg: *const u8, len: usize) -> u64 {
    if arg.is_null() {
        return 1;
    }
    // SAFETY: the caller passes `len` readable bytes.
    let Some(functions) = decode(unsafe { std::slice::from_raw_parts(arg, len) }) else {
        return 1;
    };
    let mut dump = DUMP.lock().unwrap_or_else(|e| e.into_inner());
    if dump.is_none() {
        match open() {
            Ok(opened) => *dump = Some(opened),
            Err(_) => return 2,
        }
    }
    let dump = dump.as_mut().expect("opened above");
    let mut out = Vec::new();
    for f in &functions {
        // SAFETY: finalize actions run after the code got its final, readable
        // protection; the function lies inside the unit's code segment.
        let code = unsafe { std::slice::from_raw_parts(f.addr as *const u8, f.size as usize) };
        out.extend_from_slice(&records(f, dump.next_index, code));
        dump.next_index += 1;
    }
    u64::from(dump.file.write_all(&out).is_err()) * 2
}

/// Writes a jitdump record for every function of every unit.
#[derive(Clone, Copy, Default)]
pub struct JitDump;

impl Plugin for JitDump {
    fn name(&self) -> &str {
        "jitdump"
    }

    fn modify_pass_config(&self, config: &mut PassConfig) {
        // The records carry line tables: DWARF is read before finalize.
        config.debug_info_in_pipeline = true;
        config
            .post_fixup
            .push(Box::new(|graph: &mut LinkGraph| -> Result<()> {
                let functions = functions(graph)?;
                if functions.is_empty() {
                    return Ok(());
                }
                graph.alloc_actions.push(AllocAction {
                    finalize: Some(WrapperCall {
                        function: ExecutorAddr(load_wrapper as *const () as u64),
                        arg: encode(&functions).into(),
                    }),
                    dealloc: None,
                });
                Ok(())
            }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn functions_survive_encoding() {
        let functions = vec![Function {
            name: "hot_loop".into(),
            addr: 0x7f00_1000,
            size: 0x40,
            lines: vec![
                (0x7f00_1000, 3, "/src/hot.c".into()),
                (0x7f00_1010, 5, "/src/hot.c".into()),
            ],
            unwinding: Some(Unwinding {
                data: vec![1, 2, 3, 4, 5],
                header_size: 2,
            }),
        }];
        let decoded = decode(&encode(&functions)).unwrap();
        assert_eq!(decoded.len(), 1);
        assert_eq!(
            (decoded[0].addr, decoded[0].size, decoded[0].name.as_str()),
            (0x7f00_1000, 0x40, "hot_loop")
        );
        assert_eq!(decoded[0].lines, functions[0].lines);
        assert_eq!(decoded[0].unwinding, functions[0].unwinding);
        assert!(decode(&[1, 2, 3]).is_none());
    }
}
