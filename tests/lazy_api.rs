//! The embedding API of `lantern_core::lazy`: redirect storms with
//! concurrent callers, lazy entries replaced and re-lazified, and the
//! errors (each naming the symbol).

mod support;

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use lantern_core::executor::InProcessExecutor;
use lantern_core::lazy::{
    BackPatching, LazyReexports, ProtectionSwitchPatcher, RedirectableSymbols,
};
use lantern_core::session::{LinkUnit, Session, SessionOptions};
use lantern_core::ExecutorAddr;
use support::*;

fn session() -> Arc<Session> {
    Arc::new(Session::new(
        Arc::new(InProcessExecutor::new()),
        SessionOptions::default(),
    ))
}

fn unit(dir: &Path, name: &str, source: &str) -> LinkUnit {
    let object = compile_c(dir, name, source, &["-O1", "-fPIC"]);
    let mut unit = LinkUnit::default();
    unit.add_path(&object).expect("read object");
    unit
}

/// A JIT'd `int f(void)` at `addr`.
fn int_fn(addr: ExecutorAddr) -> extern "C" fn() -> i32 {
    // SAFETY: the tests look up functions of this signature, linked and
    // finalized in this process, which stay mapped while called.
    unsafe { std::mem::transmute::<usize, extern "C" fn() -> i32>(addr.0 as usize) }
}

/// A JIT'd `int f(int)` at `addr`.
fn int_int_fn(addr: ExecutorAddr) -> extern "C" fn(i32) -> i32 {
    // SAFETY: as for `int_fn`.
    unsafe { std::mem::transmute::<usize, extern "C" fn(i32) -> i32>(addr.0 as usize) }
}

/// One thread redirects `f` between two versions 100,000 times while four
/// threads call it: every call returns one of the versions' results, and
/// `&f` (taken in JIT'd code) never changes.
#[test]
fn redirect_storm() {
    if !have_gcc() {
        return;
    }
    let dir = scratch("lazy-api-storm");
    let session = session();
    let v1 = session
        .link(unit(&dir, "v1", "int version_one(void) { return 1; }"))
        .unwrap();
    let v2 = session
        .link(unit(&dir, "v2", "int version_two(void) { return 2; }"))
        .unwrap();
    let (one, two) = (
        v1.lookup("version_one").unwrap(),
        v2.lookup("version_two").unwrap(),
    );
    let redirects = Arc::new(RedirectableSymbols::new(session.clone()));
    redirects.create(&[("f".to_string(), one)]).unwrap();
    let caller = session
        .link(unit(
            &dir,
            "caller",
            "int f(void);\nint call_f(void) { return f(); }\nlong addr_f(void) { return (long)&f; }",
        ))
        .unwrap();
    let call_f = int_fn(caller.lookup("call_f").unwrap());
    // SAFETY: `long addr_f(void)`, linked above.
    let addr_f: extern "C" fn() -> i64 =
        unsafe { std::mem::transmute(caller.lookup("addr_f").unwrap().0 as usize) };
    let stub = redirects.get("f").unwrap().stub;
    assert_eq!(addr_f() as u64, stub.0, "&f is the stub");
    assert_eq!(call_f(), 1);
    redirects.redirect(&[("f", two)]).unwrap();
    assert_eq!(call_f(), 2, "a redirect is complete when it returns");

    let stop = Arc::new(AtomicBool::new(false));
    let calls = Arc::new(AtomicU64::new(0));
    let callers: Vec<_> = (0..4)
        .map(|_| {
            let (stop, calls) = (stop.clone(), calls.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let r = call_f();
                    assert!(r == 1 || r == 2, "f returned {r}");
                    assert_eq!(addr_f() as u64, stub.0);
                    calls.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for i in 0..100_000 {
        let target = if i % 2 == 0 { one } else { two };
        redirects.redirect(&[("f", target)]).unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    for t in callers {
        t.join().expect("a caller failed");
    }
    assert!(calls.load(Ordering::Relaxed) > 0);
    assert_eq!(call_f(), 2);
    let err = redirects.redirect(&[("no_such", one)]).unwrap_err();
    assert!(err.to_string().contains("`no_such`"), "{err}");
}

/// A lazy entry: linked at the first call, replaced by a new version (the
/// old unit is the embedder's to remove), re-lazified and linked again.
#[test]
fn lazy_replace_relazify() {
    if !have_gcc() {
        return;
    }
    let dir = scratch("lazy-api-replace");
    let session = session();
    let lazy = LazyReexports::new(session.clone());
    let provided = lazy
        .add_lazy_unit(unit(
            &dir,
            "g1",
            "int g(int x) { return x + 1; }\nint h(int x) { return -x; }",
        ))
        .unwrap();
    assert_eq!(provided, ["g", "h"]);
    let caller = session
        .link(unit(
            &dir,
            "caller",
            "int g(int);\nint call_g(int x) { return g(x); }\nlong addr_g(void) { return (long)&g; }",
        ))
        .unwrap();
    let call_g = int_int_fn(caller.lookup("call_g").unwrap());
    // SAFETY: `long addr_g(void)`, linked above.
    let addr_g: extern "C" fn() -> i64 =
        unsafe { std::mem::transmute(caller.lookup("addr_g").unwrap().0 as usize) };
    let address = addr_g();
    assert_eq!(
        lazy.units_linked(),
        0,
        "nothing linked before the first call"
    );
    assert_eq!(call_g(1), 2);
    assert_eq!(lazy.units_linked(), 1);
    assert_eq!(call_g(2), 3);
    assert_eq!(lazy.units_linked(), 1, "linked once");

    // A replacement without `h` is refused, naming it.
    let err = lazy
        .replace("g", unit(&dir, "g_bad", "int g(int x) { return x; }"))
        .unwrap_err();
    assert!(err.to_string().contains("`h`"), "{err}");
    assert_eq!(call_g(1), 2);

    let old = lazy
        .replace(
            "g",
            unit(
                &dir,
                "g2",
                "int g(int x) { return x + 100; }\nint h(int x) { return x; }",
            ),
        )
        .unwrap()
        .expect("the first version was linked");
    assert_eq!(call_g(1), 101);
    assert_eq!(addr_g(), address, "&g is unchanged by replace");
    session.remove(old).unwrap();
    assert_eq!(call_g(1), 101);

    lazy.relazify("g").unwrap();
    let before = lazy.units_linked();
    assert_eq!(call_g(5), 105, "the next call links the unit again");
    assert_eq!(lazy.units_linked(), before + 1);
    assert_eq!(addr_g(), address, "&g is unchanged by relazify");

    for err in [
        lazy.relazify("not_lazy").unwrap_err(),
        lazy.replace("not_lazy", LinkUnit::default()).unwrap_err(),
        lazy.define(&[("e".into(), "missing_impl".into())])
            .unwrap_err(),
    ] {
        let message = err.to_string();
        assert!(
            message.contains("`not_lazy`") || message.contains("`missing_impl`"),
            "{message}"
        );
    }
}

/// Back-patching: direct calls from a later unit to a redirectable symbol
/// are rewritten by each redirect (the call goes to the target, not through
/// the stub); `&f` stays the stub; removing the calling unit forgets its
/// call sites. (The protection-switch patcher: no other thread runs.)
#[test]
fn back_patched_direct_calls() {
    if !have_gcc() {
        return;
    }
    let dir = scratch("lazy-api-backpatch");
    let executor = Arc::new(InProcessExecutor::new());
    let back_patching = Arc::new(BackPatching::new(
        executor.clone(),
        Box::new(ProtectionSwitchPatcher),
    ));
    let mut session = Session::new(executor, SessionOptions::default());
    session.add_plugin(back_patching.clone());
    let session = Arc::new(session);
    let v1 = session
        .link(unit(&dir, "v1", "int version_one(void) { return 1; }"))
        .unwrap();
    let v2 = session
        .link(unit(&dir, "v2", "int version_two(void) { return 2; }"))
        .unwrap();
    let (one, two) = (
        v1.lookup("version_one").unwrap(),
        v2.lookup("version_two").unwrap(),
    );
    let redirects = RedirectableSymbols::with_back_patching(session.clone(), &back_patching);
    redirects.create(&[("f".to_string(), one)]).unwrap();
    // Many call sites, so that some have their rel32 inside one aligned
    // 8-byte word (only those are patched; the others keep the stub).
    let mut source = String::from("int f(void);\nlong addr_f(void) { return (long)&f; }\n");
    for i in 0..16 {
        source += &format!(
            "__attribute__((noinline)) int call{i}(void) {{ __asm__ volatile(\"{pad}\"); return f() + {i}; }}\n",
            pad = "nop;".repeat(i)
        );
    }
    source += "int call_all(void) { return 0";
    for i in 0..16 {
        source += &format!(" + call{i}() - {i}");
    }
    source += "; }\n";
    let caller = session.link(unit(&dir, "caller", &source)).unwrap();
    let call_all = int_fn(caller.lookup("call_all").unwrap());
    // SAFETY: `long addr_f(void)`, linked above.
    let addr_f: extern "C" fn() -> i64 =
        unsafe { std::mem::transmute(caller.lookup("addr_f").unwrap().0 as usize) };
    let stub = redirects.get("f").unwrap().stub;
    let points = back_patching.points();
    assert!(
        points > 0,
        "no call site of f was kept as a back-patch point"
    );
    assert_eq!(call_all(), 16, "linked calling version_one directly");

    redirects.redirect(&[("f", two)]).unwrap();
    assert_eq!(call_all(), 32);
    assert_eq!(
        back_patching.patched(),
        points as u64,
        "every point rewritten"
    );
    redirects.redirect(&[("f", one)]).unwrap();
    assert_eq!(call_all(), 16);
    assert_eq!(addr_f() as u64, stub.0, "&f stays the stub");

    session.remove(caller).unwrap();
    assert_eq!(
        back_patching.points(),
        0,
        "a removed unit's call sites are forgotten"
    );
    redirects.redirect(&[("f", two)]).unwrap();
}

/// Back-patching with lazy entries: call sites go from the stub to the
/// implementation at the first call, to the trampoline at `relazify` (a
/// trampoline works called directly), and to the relinked implementation.
#[test]
fn back_patched_lazy_entries() {
    if !have_gcc() {
        return;
    }
    let dir = scratch("lazy-api-backpatch-lazy");
    let executor = Arc::new(InProcessExecutor::new());
    let back_patching = Arc::new(BackPatching::new(
        executor.clone(),
        Box::new(ProtectionSwitchPatcher),
    ));
    let mut session = Session::new(executor, SessionOptions::default());
    session.add_plugin(back_patching.clone());
    let session = Arc::new(session);
    let lazy = LazyReexports::with_back_patching(session.clone(), &back_patching);
    lazy.add_lazy_unit(unit(&dir, "g", "int g(int x) { return x * 7; }"))
        .unwrap();
    let mut source = String::from("int g(int);\n");
    for i in 0..16 {
        source += &format!(
            "__attribute__((noinline)) int call{i}(int x) {{ __asm__ volatile(\"{pad}\"); return g(x) + {i}; }}\n",
            pad = "nop;".repeat(i)
        );
    }
    source += "int call_all(int x) { return 0";
    for i in 0..16 {
        source += &format!(" + call{i}(x) - {i}");
    }
    source += "; }\n";
    let caller = session.link(unit(&dir, "caller", &source)).unwrap();
    let call_all = int_int_fn(caller.lookup("call_all").unwrap());
    assert!(back_patching.points() > 0);
    assert_eq!(call_all(1), 16 * 7, "first calls through the trampoline");
    let after_first = back_patching.patched();
    assert!(
        after_first > 0,
        "call sites rewritten to the implementation"
    );
    assert_eq!(call_all(2), 16 * 14);
    lazy.relazify("g").unwrap();
    assert!(
        back_patching.patched() > after_first,
        "call sites sent to the trampoline"
    );
    assert_eq!(call_all(3), 16 * 21, "relinked at the next call");
    assert_eq!(lazy.units_linked(), 2);
}
