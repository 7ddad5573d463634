//! The packing memory manager through the library API: an arena that cannot
//! grow (`RLIMIT_AS`) is an error naming the unit and the limit, and the
//! session links and runs the next unit; `patch` rewrites finalized code
//! through the writable view and refuses addresses outside live units.
//!
//! Limits are set in a child (this test binary run again), so they never
//! reach other tests.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use lantern_core::executor::InProcessExecutor;
use lantern_core::graph::ExecutorAddr;
use lantern_core::memory::MemoryKind;
use lantern_core::session::{LinkUnit, Session, SessionOptions};

const CHILD: &str = "LANTERN_PACKED_TEST_CHILD";

/// Tests here read the process-wide pool's figures: one at a time.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn allocated() -> u64 {
    lantern_core::memory::packed_stats().allocated.iter().sum()
}

fn compile(name: &str, source: &str) -> Option<PathBuf> {
    compile_with(name, source, &[])
}

fn compile_with(name: &str, source: &str, flags: &[&str]) -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("core-packed");
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join(format!("{name}.c"));
    std::fs::write(&src, source).unwrap();
    let obj = dir.join(format!("{name}.o"));
    let out = Command::new("gcc")
        .args(["-O2", "-c"])
        .args(flags)
        .arg(&src)
        .arg("-o")
        .arg(&obj)
        .output();
    match out {
        Ok(o) if o.status.success() => Some(obj),
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => panic!("CI=true and gcc fails"),
        _ => {
            eprintln!("\n!!! SKIPPING: gcc not found !!!\n");
            None
        }
    }
}

fn session() -> Session {
    Session::new(
        Arc::new(InProcessExecutor::with_memory(MemoryKind::Packed)),
        SessionOptions::default(),
    )
}

fn unit(obj: &Path) -> LinkUnit {
    let mut unit = LinkUnit::default();
    unit.add_path(obj).unwrap();
    unit
}

/// The process's address space in use, from /proc/self/status.
fn vm_size() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmSize:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap();
    kib * 1024
}

fn call(session: &Session, name: &str, arg: i32) -> i32 {
    let addr = session.lookup(name).expect("symbol linked");
    // SAFETY: the unit defines `int name(int)` and stays linked.
    let f: extern "C" fn(i32) -> i32 = unsafe { std::mem::transmute(addr.0 as usize) };
    f(arg)
}

/// In the child: a 24 MiB `.bss` needs a 96 MiB slab, which a limit 48 MiB
/// above what the process uses refuses; a small unit still links and runs.
fn rlimit_child(big: &Path, small: &Path) {
    let limit = vm_size() + (48 << 20);
    let rlimit = libc::rlimit {
        rlim_cur: limit,
        rlim_max: libc::RLIM_INFINITY,
    };
    // SAFETY: setrlimit reads the struct we own; this child process only.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_AS, &rlimit) }, 0);
    let session = session();
    let err = session
        .link(unit(big))
        .map(|_| ())
        .expect_err("a 96 MiB slab under a limit 48 MiB above use");
    let text = err.to_string();
    for part in ["big.o", "RLIMIT_AS", "cannot grow"] {
        assert!(text.contains(part), "`{part}` missing from: {text}");
    }
    let linked = session.link(unit(small)).expect("the session links on");
    assert_eq!(call(&session, "work", 5), 16);
    session.remove(linked).unwrap();
    println!("child ok: {text}");
}

#[test]
fn an_arena_that_cannot_grow_is_an_error_and_the_session_goes_on() {
    let (Some(big), Some(small)) = (
        compile(
            "big",
            "char big[24 << 20];\nint touch(int i) { big[i] = 1; return big[i]; }\n",
        ),
        compile("small", "int work(int n) { return n * 3 + 1; }\n"),
    ) else {
        return;
    };
    if std::env::var_os(CHILD).is_some() {
        rlimit_child(&big, &small);
        return;
    }
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "an_arena_that_cannot_grow_is_an_error_and_the_session_goes_on",
            "--nocapture",
        ])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success() && text.contains("child ok"), "{text}");
}

#[test]
fn patch_rewrites_live_code_and_refuses_other_addresses() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(obj) = compile("patch", "int work(int n) { return n * 3 + 1; }\n") else {
        return;
    };
    let session = session();
    let linked = session.link(unit(&obj)).unwrap();
    assert_eq!(call(&session, "work", 2), 7);
    let addr = session.lookup("work").unwrap();
    let memory = session.executor().memory_manager();
    // mov $42, %eax; ret
    memory
        .patch(addr, &[0xb8, 42, 0, 0, 0, 0xc3])
        .expect("patching live code");
    assert_eq!(call(&session, "work", 2), 42);
    // The executing view stays read-only and executable.
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    let line = maps
        .lines()
        .find(|l| {
            let (lo, hi) = l
                .split_whitespace()
                .next()
                .unwrap()
                .split_once('-')
                .unwrap();
            let (lo, hi) = (
                u64::from_str_radix(lo, 16).unwrap(),
                u64::from_str_radix(hi, 16).unwrap(),
            );
            (lo..hi).contains(&addr.0)
        })
        .unwrap();
    assert!(line.contains(" r-xp "), "{line}");
    let err = memory.patch(ExecutorAddr(8), &[0x90]).unwrap_err();
    assert!(err.to_string().contains("not inside"), "{err}");
    // Code of an allocation not finalized yet is no live unit's either.
    let in_flight = memory
        .allocate(&lantern_core::memory::AllocRequest {
            segments: vec![lantern_core::memory::SegmentRequest {
                prot: lantern_core::graph::MemProt::ReadExec,
                lifetime: lantern_core::graph::MemLifetime::Standard,
                size: 64,
                align: 16,
            }],
            placement: Default::default(),
        })
        .unwrap();
    let err = memory
        .patch(in_flight.segment_addr(0), &[0x90])
        .unwrap_err();
    assert!(err.to_string().contains("not inside"), "{err}");
    in_flight.abandon();
    session.remove(linked).unwrap();
    let err = memory.patch(addr, &[0x90]).unwrap_err();
    assert!(err.to_string().contains("not inside"), "{err}");
}

/// A failed link and a removal give every byte back to the pool.
#[test]
fn failed_links_and_removals_give_their_bytes_back() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (Some(ok), Some(far), Some(user)) = (
        compile(
            "back",
            "int data_word = 7; int work(int n) { return n + data_word; }\n",
        ),
        compile(
            "far",
            "asm(\".globl far_away\\n.set far_away, 0x123456789\");\n",
        ),
        compile(
            "far_user",
            "asm(\".text\\n.globl use_far\\nuse_far:\\n movl $far_away, %eax\\n ret\");\n",
        ),
    ) else {
        return;
    };
    let session = session();
    let before = allocated();
    let mut bad = unit(&ok);
    bad.add_path(&far).unwrap();
    bad.add_path(&user).unwrap();
    assert!(session.link(bad).is_err(), "a fixup out of range");
    assert_eq!(allocated(), before, "the failed link kept bytes");
    let linked = session.link(unit(&ok)).unwrap();
    assert!(allocated() > before);
    assert_eq!(call(&session, "work", 5), 12);
    session.remove(linked).unwrap();
    assert_eq!(allocated(), before, "the removed unit kept bytes");
}

/// Reserves every free range below 2 GiB (in the child only).
fn fill_low_2gib() {
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    let mut ranges: Vec<(u64, u64)> = maps
        .lines()
        .filter_map(|l| {
            let (lo, hi) = l.split_whitespace().next()?.split_once('-')?;
            Some((
                u64::from_str_radix(lo, 16).ok()?,
                u64::from_str_radix(hi, 16).ok()?,
            ))
        })
        .collect();
    ranges.sort_unstable();
    let mut at = 1u64 << 16;
    for (lo, hi) in ranges
        .into_iter()
        .chain(std::iter::once((1 << 31, 1 << 31)))
    {
        let end = lo.min(1 << 31);
        if end > at {
            // SAFETY: a fresh inaccessible reservation of a free range;
            // FIXED_NOREPLACE refuses to replace anything.
            let p = unsafe {
                libc::mmap(
                    at as *mut _,
                    (end - at) as usize,
                    libc::PROT_NONE,
                    libc::MAP_PRIVATE
                        | libc::MAP_ANONYMOUS
                        | libc::MAP_NORESERVE
                        | libc::MAP_FIXED_NOREPLACE,
                    -1,
                    0,
                )
            };
            assert_ne!(p, libc::MAP_FAILED, "reserving {at:#x}..{end:#x}");
        }
        at = at.max(hi);
        if at >= 1 << 31 {
            break;
        }
    }
}

/// A full low 2 GiB: a `-fno-pic` unit is an error naming it and the range;
/// a PIC unit links and runs after it.
#[test]
fn a_full_low_2gib_range_is_an_error_and_the_session_goes_on() {
    let (Some(low), Some(small)) = (
        compile_with(
            "low_data",
            "int table[4] = {1,2,3,4}; int *get(void){ return table; }\n",
            &["-fno-pic"],
        ),
        compile("small_pic", "int work(int n) { return n * 3 + 1; }\n"),
    ) else {
        return;
    };
    if std::env::var_os(CHILD).is_some() {
        fill_low_2gib();
        let session = session();
        let err = session
            .link(unit(&low))
            .map(|_| ())
            .expect_err("no room below 2 GiB");
        let text = err.to_string();
        for part in ["low_data.o", "below 2 GiB", "cannot grow"] {
            assert!(text.contains(part), "`{part}` missing from: {text}");
        }
        let linked = session.link(unit(&small)).expect("the session links on");
        assert_eq!(call(&session, "work", 5), 16);
        session.remove(linked).unwrap();
        println!("child ok: {text}");
        return;
    }
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "a_full_low_2gib_range_is_an_error_and_the_session_goes_on",
            "--nocapture",
        ])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success() && text.contains("child ok"), "{text}");
}

/// Back-patching through the writable view: one aligned 8-byte store, the
/// executing view stays `r-x`, and the same page takes new code afterwards
/// (no private copy was made, unlike a protection flip).
#[test]
fn view_patcher_writes_code_without_a_protection_flip() {
    use lantern_core::lazy::CodePatcher;
    use lantern_core::memory::ViewPatcher;
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(obj) = compile("view_patch", "int work(int n) { return n * 3 + 1; }\n") else {
        return;
    };
    let executor = Arc::new(InProcessExecutor::with_memory(MemoryKind::Packed));
    let session = Session::new(executor.clone(), SessionOptions::default());
    let linked = session.link(unit(&obj)).unwrap();
    let addr = session.lookup("work").unwrap();
    assert!(addr.0.is_multiple_of(8), "{addr}");
    let patcher = ViewPatcher::new(executor);
    // mov $42, %eax; ret; nop; nop
    let word = u64::from_le_bytes([0xb8, 42, 0, 0, 0, 0xc3, 0x90, 0x90]);
    patcher.write_code_u64(addr, word).unwrap();
    assert_eq!(call(&session, "work", 2), 42);
    assert!(patcher
        .write_code_u64(ExecutorAddr(addr.0 + 4), word)
        .is_err());
    session.remove(linked).unwrap();
    // The page was not copied: a unit linked now may land in it and runs.
    let again = session.link(unit(&obj)).unwrap();
    assert_eq!(call(&session, "work", 2), 7);
    session.remove(again).unwrap();
}

/// A page of the executing view that a debugger wrote into (a private copy:
/// here made by writing the same byte back through `/proc/self/mem`, as
/// ptrace does) is found among the unit's pages, in one pagemap read for the
/// range: patching there is refused, patching the unit's other pages is not.
#[test]
fn a_privately_copied_code_page_is_found_among_many() {
    use lantern_core::lazy::CodePatcher;
    use lantern_core::memory::ViewPatcher;
    use std::os::unix::fs::FileExt;
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // `big`: four pages of code, then `ret`.
    let source =
        "__asm__(\".text\\n.globl big\\n.p2align 12\\nbig: .fill 16384,1,0x90\\nret\\n\");\n";
    let Some(obj) = compile("copied_page", source) else {
        return;
    };
    let executor = Arc::new(InProcessExecutor::with_memory(MemoryKind::Packed));
    let session = Session::new(executor.clone(), SessionOptions::default());
    let linked = session.link(unit(&obj)).unwrap();
    let big = session.lookup("big").unwrap().0;
    let page = 4096;
    let third = (big + 2 * page).next_multiple_of(page);
    let mem = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/proc/self/mem")
        .unwrap();
    let mut byte = [0u8; 1];
    mem.read_exact_at(&mut byte, third).unwrap();
    mem.write_all_at(&byte, third).unwrap();
    let patcher = ViewPatcher::new(executor);
    let nops = u64::from_le_bytes([0x90; 8]);
    let err = patcher
        .write_code_u64(ExecutorAddr(third + 64), nops)
        .unwrap_err()
        .to_string();
    assert!(err.contains(&format!("the page at {third:#x}")), "{err}");
    patcher
        .write_code_u64(ExecutorAddr(big + 64), nops)
        .unwrap();
    patcher
        .write_code_u64(ExecutorAddr(third + page + 64), nops)
        .unwrap();
    session.remove(linked).unwrap();
}
