//! lantern-executor driven by a controller written here, byte by byte:
//! the setup message, memory reserve/write/finalize/run, allocation
//! actions, W^X, and every kind of bad input (truncated, oversized,
//! malformed, random) ending in a clean exit with the cause on stderr,
//! never a crash or a hang. Also who may connect: the secret and the opt-in.

mod common;

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Duration;

use common::*;
use lantern_orc_wire::message::{Message, Opcode};
use lantern_orc_wire::names;
use lantern_orc_wire::sps::{from_bytes, to_bytes, Bytes, SpsError, SpsExpected};
use lantern_orc_wire::types::*;

/// A controller on the executor's stdin/stdout (`filedescs=0,1`).
struct Controller {
    child: Option<Child>,
    to: Option<ChildStdin>,
    from: ChildStdout,
    info: ExecutorInfo,
    seq: u64,
}

fn spawn(envs: &[(&str, &str)], args: &[&str]) -> Child {
    let mut cmd = Command::new(executor());
    cmd.env_remove("LANTERN_EXECUTOR_ALLOW_LLVM_PROTOCOL")
        .env_remove("LANTERN_EXECUTOR_SECRET_FILE")
        .arg("filedescs=0,1")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.spawn().unwrap()
}

impl Controller {
    /// Starts an executor that admits LLVM-protocol controllers and reads
    /// its setup message.
    fn start() -> Controller {
        Controller::from_child(spawn(&[("LANTERN_EXECUTOR_ALLOW_LLVM_PROTOCOL", "1")], &[]))
    }

    fn from_child(mut child: Child) -> Controller {
        let to = child.stdin.take().unwrap();
        let mut from = child.stdout.take().unwrap();
        let setup = Message::read_from(&mut from, 1 << 20)
            .unwrap()
            .expect("a setup message");
        assert_eq!(setup.opcode, Opcode::Setup);
        let info = from_bytes(&setup.payload).unwrap();
        Controller {
            child: Some(child),
            to: Some(to),
            from,
            info,
            seq: 0,
        }
    }

    fn sym(&self, name: &str) -> u64 {
        self.info
            .symbol(name)
            .unwrap_or_else(|| panic!("no bootstrap symbol {name}"))
    }

    fn send_raw(&mut self, bytes: &[u8]) {
        let to = self.to.as_mut().expect("connection open");
        let _ = to.write_all(bytes);
        let _ = to.flush();
    }

    /// Calls a wrapper and returns the result bytes.
    fn call(&mut self, name: &str, args: Vec<u8>) -> Vec<u8> {
        let tag = self.sym(name);
        self.call_addr(tag, args)
    }

    fn call_addr(&mut self, tag: u64, payload: Vec<u8>) -> Vec<u8> {
        self.seq += 1;
        let msg = Message {
            opcode: Opcode::CallWrapper,
            seq_no: self.seq,
            tag_addr: tag,
            payload,
        };
        self.send_raw(&msg.to_bytes());
        let reply = Message::read_from(&mut self.from, 1 << 30)
            .unwrap()
            .unwrap_or_else(|| panic!("the executor closed the connection: {}", self.finish().1));
        assert_eq!(reply.opcode, Opcode::Result);
        assert_eq!(reply.seq_no, self.seq);
        reply.payload
    }

    /// The dylib manager's instance and its handle for the executor
    /// process itself (what lookups of libc's symbols go through).
    fn open_process(&mut self) -> (u64, u64) {
        let dm = self.sym(names::DYLIB_MANAGER_INSTANCE);
        let h: SpsExpected<u64> = from_bytes(&self.call(
            names::DYLIB_MANAGER_OPEN,
            to_bytes(&(dm, String::new(), 0u64)),
        ))
        .unwrap();
        (dm, h.0.unwrap())
    }

    fn reserve(&mut self, size: u64) -> u64 {
        let mm = self.sym(names::MEMORY_MANAGER_INSTANCE);
        let r: SpsExpected<u64> =
            from_bytes(&self.call(names::MEMORY_MANAGER_RESERVE, to_bytes(&(mm, size)))).unwrap();
        r.0.unwrap()
    }

    fn finalize(&mut self, req: &FinalizeRequest) -> Option<String> {
        let mm = self.sym(names::MEMORY_MANAGER_INSTANCE);
        let mut args = to_bytes(&mm);
        args.extend(to_bytes(req));
        let r: SpsError = from_bytes(&self.call(names::MEMORY_MANAGER_FINALIZE, args)).unwrap();
        r.0
    }

    fn deallocate(&mut self, bases: Vec<u64>) -> Option<String> {
        let mm = self.sym(names::MEMORY_MANAGER_INSTANCE);
        let r: SpsError =
            from_bytes(&self.call(names::MEMORY_MANAGER_DEALLOCATE, to_bytes(&(mm, bases))))
                .unwrap();
        r.0
    }

    /// Closes the controller's end and waits (bounded) for the executor:
    /// (exit status, stderr).
    fn finish(&mut self) -> (i32, String) {
        drop(self.to.take());
        let mut child = self.child.take().expect("executor running");
        let mut err = String::new();
        let stderr = child.stderr.take();
        let (out, timed_out) = wait_with_deadline(child, Duration::from_secs(10));
        assert!(!timed_out, "the executor did not exit within 10 s");
        if let Some(mut e) = stderr {
            e.read_to_string(&mut err).unwrap();
        }
        (status_code(&out), err)
    }
}

fn segment(
    read: bool,
    write: bool,
    exec: bool,
    addr: u64,
    size: u64,
    content: Vec<u8>,
) -> SegFinalizeRequest {
    SegFinalizeRequest {
        group: RemoteAllocGroup {
            read,
            write,
            exec,
            finalize_lifetime: false,
        },
        addr,
        size,
        content: Bytes(content),
    }
}

#[test]
fn setup_message_lists_what_llvm_controllers_look_up() {
    let mut c = Controller::start();
    assert_eq!(c.info.target_triple, "x86_64-pc-linux-gnu");
    assert_eq!(c.info.page_size, 4096);
    for name in [
        names::DISPATCH_CTX,
        names::DISPATCH_FN,
        names::DYLIB_MANAGER_INSTANCE,
        names::DYLIB_MANAGER_OPEN,
        names::DYLIB_MANAGER_LOOKUP,
        names::MEMORY_MANAGER_INSTANCE,
        names::MEMORY_MANAGER_RESERVE,
        names::MEMORY_MANAGER_FINALIZE,
        names::MEMORY_MANAGER_DEALLOCATE,
        names::WRITE_UINT8S,
        names::WRITE_UINT16S,
        names::WRITE_UINT32S,
        names::WRITE_UINT64S,
        names::WRITE_BUFFERS,
        names::REGISTER_EH_FRAME,
        names::DEREGISTER_EH_FRAME,
        names::RUN_AS_MAIN,
        names::RUN_AS_VOID_FUNCTION,
        names::RUN_AS_INT_FUNCTION,
    ] {
        c.sym(name);
    }
    let (status, err) = c.finish();
    assert_eq!(status, 0, "{err}");
}

#[test]
fn reserve_finalize_write_run_deallocate() {
    let mut c = Controller::start();
    let base = c.reserve(0x2000);
    // Code page: `mov eax, [rip + 0xffa]; ret` reads the first word of the
    // data page (the displacement counts from the end of the 6-byte load).
    let code = vec![0x8b, 0x05, 0xfa, 0x0f, 0x00, 0x00, 0xc3];
    let req = FinalizeRequest {
        segments: vec![
            segment(true, false, true, base, 0x1000, code),
            segment(true, true, false, base + 0x1000, 0x1000, vec![7, 0, 0, 0]),
        ],
        actions: vec![],
    };
    assert_eq!(c.finalize(&req), None);
    let run_int = |c: &mut Controller| -> i32 {
        from_bytes(&c.call(names::RUN_AS_INT_FUNCTION, to_bytes(&(base, 0i32)))).unwrap()
    };
    assert_eq!(run_int(&mut c), 7);
    // Each write width, then a buffer, into the data page.
    c.call(
        names::WRITE_UINT8S,
        to_bytes(&vec![(base + 0x1000, 0x11u8)]),
    );
    assert_eq!(run_int(&mut c), 0x11);
    c.call(
        names::WRITE_UINT16S,
        to_bytes(&vec![(base + 0x1000, 0x2222u16)]),
    );
    assert_eq!(run_int(&mut c), 0x2222);
    c.call(
        names::WRITE_UINT32S,
        to_bytes(&vec![(base + 0x1000, 0x3333_3333u32)]),
    );
    assert_eq!(run_int(&mut c), 0x3333_3333);
    c.call(
        names::WRITE_UINT64S,
        to_bytes(&vec![(base + 0x1000, 0x4444_4444u64)]),
    );
    assert_eq!(run_int(&mut c), 0x4444_4444);
    c.call(
        names::WRITE_BUFFERS,
        to_bytes(&vec![(base + 0x1000, Bytes(vec![5, 0, 0, 0]))]),
    );
    assert_eq!(run_int(&mut c), 5);
    // run-as-main returns main's status as an int64.
    let status: i64 =
        from_bytes(&c.call(names::RUN_AS_MAIN, to_bytes(&(base, vec!["x".to_string()])))).unwrap();
    assert_eq!(status, 5);
    assert_eq!(c.deallocate(vec![base]), None);
    // Gone: a second deallocate names the address.
    let again = c.deallocate(vec![base]).unwrap();
    assert!(again.contains(&format!("{base:#x}")), "{again}");
    let (status, err) = c.finish();
    assert_eq!(status, 0, "{err}");
}

#[test]
fn writable_and_executable_memory_is_refused() {
    let mut c = Controller::start();
    let base = c.reserve(0x1000);
    let req = FinalizeRequest {
        segments: vec![segment(true, true, true, base, 0x1000, vec![0xc3])],
        actions: vec![],
    };
    let err = c.finalize(&req).unwrap();
    assert!(
        err.contains("writable and executable memory is refused"),
        "{err}"
    );
    // Segments outside the reservation, or with more content than size.
    let base = c.reserve(0x1000);
    let err = c
        .finalize(&FinalizeRequest {
            segments: vec![segment(true, false, false, base, 0x2000, vec![])],
            actions: vec![],
        })
        .unwrap();
    assert!(err.contains("outside allocation"), "{err}");
    let err = c
        .finalize(&FinalizeRequest {
            segments: vec![segment(true, false, false, base, 1, vec![1, 2])],
            actions: vec![],
        })
        .unwrap();
    assert!(err.contains("is larger"), "{err}");
    let err = c
        .finalize(&FinalizeRequest {
            segments: vec![segment(true, false, false, 0x1000, 0x1000, vec![])],
            actions: vec![],
        })
        .unwrap();
    assert!(err.contains("unrecognized allocation 0x1000"), "{err}");
    c.finish();
}

#[test]
fn allocation_actions_run_and_a_failing_one_releases_the_memory() {
    let mut c = Controller::start();
    let base = c.reserve(0x1000);
    // A debug "object" registered with the GDB JIT interface as a finalize
    // action, exactly as llvm-jitlink's allocation action would.
    let gdb = {
        let (dm, h) = c.open_process();
        let set = vec![(
            names::REGISTER_JIT_LOADER_GDB_ALLOC_ACTION.to_string(),
            true,
        )];
        let defs: SpsExpected<Vec<ExecutorSymbolDef>> =
            from_bytes(&c.call(names::DYLIB_MANAGER_LOOKUP, to_bytes(&(dm, h, set)))).unwrap();
        defs.0.unwrap()[0].addr
    };
    let action = |fn_addr: u64, args: Vec<u8>| AllocActionCallPair {
        finalize: WrapperFunctionCall {
            fn_addr,
            args: Bytes(args),
        },
        dealloc: WrapperFunctionCall::default(),
    };
    let register = to_bytes(&(
        AddrRange {
            start: base,
            end: base + 64,
        },
        true,
    ));
    let req = FinalizeRequest {
        segments: vec![segment(
            true,
            false,
            false,
            base,
            0x1000,
            vec![0x7f, b'E', b'L', b'F'],
        )],
        actions: vec![action(gdb, register)],
    };
    assert_eq!(c.finalize(&req), None);
    assert_eq!(c.deallocate(vec![base]), None);
    // An action naming an address that is no wrapper function: the
    // finalize fails, naming it, and the allocation is gone.
    let base = c.reserve(0x1000);
    let req = FinalizeRequest {
        segments: vec![segment(true, false, false, base, 0x1000, vec![])],
        actions: vec![action(0xdead_0000, vec![])],
    };
    let err = c.finalize(&req).unwrap();
    assert!(err.contains("allocation action at 0xdead0000"), "{err}");
    assert!(c.deallocate(vec![base]).unwrap().contains("unrecognized"));
    // Registering a debug object outside JIT memory is refused.
    let err: SpsError =
        from_bytes(&c.call_addr(gdb, to_bytes(&(AddrRange { start: 8, end: 16 }, true)))).unwrap();
    assert!(err.0.unwrap().contains("not in JIT memory"));
    // So is an eh-frame section without its zero terminator.
    let base = c.reserve(0x1000);
    assert_eq!(
        c.finalize(&FinalizeRequest {
            segments: vec![segment(true, false, false, base, 0x1000, vec![1; 16])],
            actions: vec![],
        }),
        None
    );
    let err: SpsError = from_bytes(&c.call(
        names::REGISTER_EH_FRAME,
        to_bytes(&AddrRange {
            start: base,
            end: base + 16,
        }),
    ))
    .unwrap();
    assert!(err.0.unwrap().contains("no zero terminator"));
    c.finish();
}

#[test]
fn dylib_manager_finds_libc_and_reports_missing_symbols() {
    let mut c = Controller::start();
    let (dm, h) = c.open_process();
    let set = vec![
        ("printf".to_string(), true),
        ("no_such_symbol_x".to_string(), false),
    ];
    let defs: SpsExpected<Vec<ExecutorSymbolDef>> =
        from_bytes(&c.call(names::DYLIB_MANAGER_LOOKUP, to_bytes(&(dm, h, set)))).unwrap();
    let defs = defs.0.unwrap();
    assert_ne!(defs[0].addr, 0);
    assert_eq!(defs[0].flags, SYMBOL_FLAG_EXPORTED);
    assert_eq!(defs[1].addr, 0);
    let set = vec![("no_such_symbol_x".to_string(), true)];
    let r: SpsExpected<Vec<ExecutorSymbolDef>> =
        from_bytes(&c.call(names::DYLIB_MANAGER_LOOKUP, to_bytes(&(dm, h, set)))).unwrap();
    assert_eq!(r.0.unwrap_err(), "Missing definition for no_such_symbol_x");
    let r: SpsExpected<u64> = from_bytes(&c.call(
        names::DYLIB_MANAGER_OPEN,
        to_bytes(&(dm, "/no/such/lib.so".to_string(), 0u64)),
    ))
    .unwrap();
    assert!(r.0.unwrap_err().contains("/no/such/lib.so"));
    // A handle the executor never gave out.
    let r: SpsExpected<Vec<ExecutorSymbolDef>> = from_bytes(&c.call(
        names::DYLIB_MANAGER_LOOKUP,
        to_bytes(&(dm, 1234u64, Vec::<LookupElement>::new())),
    ))
    .unwrap();
    assert!(r.0.unwrap_err().contains("unknown handle"));
    c.finish();
}

/// Lantern's lookup answers every name of one call, in order, with what
/// LLVM's lookup does not say (kind, thread-local placement).
#[test]
fn lantern_lookup_answers_many_names_in_one_call() {
    let mut c = Controller::start();
    let (dm, h) = c.open_process();
    type Found = (u64, bool, u64, (bool, u64, u64, (bool, i64)));
    let names_asked = vec![
        "printf".to_string(),
        "no_such_symbol_x".to_string(),
        "environ".to_string(),
    ];
    let found: SpsExpected<Vec<Found>> = from_bytes(&c.call(
        names::LANTERN_LOOKUP_SYMBOLS,
        to_bytes(&(dm, h, names_asked)),
    ))
    .unwrap();
    let found = found.0.unwrap();
    assert_eq!(found.len(), 3);
    let (printf, is_function, _, (is_tls, ..)) = found[0];
    assert!(printf != 0 && is_function && !is_tls, "{:?}", found[0]);
    assert_eq!(found[1].0, 0, "{:?}", found[1]);
    let (environ, is_function, _, (is_tls, ..)) = found[2];
    assert!(environ != 0 && !is_function && !is_tls, "{:?}", found[2]);
    // No names, no answers; an unknown handle is an error.
    let none: SpsExpected<Vec<Found>> = from_bytes(&c.call(
        names::LANTERN_LOOKUP_SYMBOLS,
        to_bytes(&(dm, h, Vec::<String>::new())),
    ))
    .unwrap();
    assert!(none.0.unwrap().is_empty());
    let r: SpsExpected<Vec<Found>> = from_bytes(&c.call(
        names::LANTERN_LOOKUP_SYMBOLS,
        to_bytes(&(dm, 1234u64, vec!["printf".to_string()])),
    ))
    .unwrap();
    assert!(r.0.unwrap_err().contains("unknown handle"));
    c.finish();
}

#[test]
fn malformed_arguments_get_an_error_reply() {
    let mut c = Controller::start();
    let r: SpsExpected<u64> =
        from_bytes(&c.call(names::MEMORY_MANAGER_RESERVE, vec![1, 2, 3])).unwrap();
    assert!(r.0.unwrap_err().contains("malformed arguments"));
    let r: SpsError = from_bytes(&c.call(names::MEMORY_MANAGER_FINALIZE, vec![0xff; 40])).unwrap();
    assert!(r.0.unwrap().contains("malformed arguments"));
    let r: SpsExpected<u64> =
        from_bytes(&c.call(names::MEMORY_MANAGER_RESERVE, to_bytes(&(1u64, 0x1000u64)))).unwrap();
    assert!(r.0.unwrap_err().contains("unknown instance"));
    c.finish();
}

/// Sends `bytes` after the setup message, closes, and returns the exit
/// status and stderr.
fn after_setup(bytes: &[u8]) -> (i32, String) {
    let mut c = Controller::start();
    c.send_raw(bytes);
    c.finish()
}

fn header(size: u64, opcode: u64, seq: u64, tag: u64) -> Vec<u8> {
    [size, opcode, seq, tag]
        .iter()
        .flat_map(|f| f.to_le_bytes())
        .collect()
}

#[test]
fn bad_messages_end_the_session_with_the_cause() {
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "truncated header",
            header(64, 3, 1, 0)[..20].to_vec(),
            "reading a message header",
        ),
        (
            "size below the header",
            header(8, 3, 1, 0),
            "smaller than the 32-byte header",
        ),
        ("oversized", header(u64::MAX, 3, 1, 0), "exceeds the limit"),
        ("unknown opcode", header(32, 9, 1, 0), "unknown opcode 9"),
        (
            "truncated payload",
            [header(132, 3, 1, 0), vec![0; 40]].concat(),
            "truncated payload",
        ),
        (
            "setup from the controller",
            header(32, 0, 0, 0),
            "unexpected Setup",
        ),
        (
            "result from the controller",
            header(32, 2, 5, 0),
            "unexpected Result",
        ),
        (
            "call of an unknown address",
            header(32, 3, 1, 0x1234),
            "unknown wrapper function address 0x1234",
        ),
        (
            "hangup with an error",
            // SPSError: HasError (1) + message length (8) + "bye" (3).
            [
                header(32 + 12, 1, 0, 0),
                to_bytes(&SpsError(Some("bye".into()))),
            ]
            .concat(),
            "controller hung up: bye",
        ),
    ];
    for (what, bytes, expected) in cases {
        let (status, err) = after_setup(&bytes);
        assert_eq!(status, 1, "{what}: {err}");
        assert!(err.contains(expected), "{what}: {err}");
    }
    // A clean hangup and a plain close both end with status 0.
    assert_eq!(after_setup(&[header(33, 1, 0, 0), vec![0]].concat()).0, 0);
    assert_eq!(after_setup(&[]).0, 0);
}

#[test]
fn writes_outside_writable_jit_memory_end_the_session() {
    let mut c = Controller::start();
    let base = c.reserve(0x1000);
    assert_eq!(
        c.finalize(&FinalizeRequest {
            segments: vec![segment(true, false, true, base, 0x1000, vec![0xc3])],
            actions: vec![],
        }),
        None
    );
    // Into finalized code: the write has no error channel (void result), so
    // the executor refuses it and closes.
    let msg = Message {
        opcode: Opcode::CallWrapper,
        seq_no: 9,
        tag_addr: c.sym(names::WRITE_UINT8S),
        payload: to_bytes(&vec![(base, 0x90u8)]),
    };
    c.send_raw(&msg.to_bytes());
    let (status, err) = c.finish();
    assert_eq!(status, 1);
    assert!(err.contains("write uint8s: refused"), "{err}");
    // And into memory that is not JIT memory at all.
    let mut c = Controller::start();
    let msg = Message {
        opcode: Opcode::CallWrapper,
        seq_no: 1,
        tag_addr: c.sym(names::WRITE_BUFFERS),
        payload: to_bytes(&vec![(
            c.sym(names::MEMORY_MANAGER_INSTANCE),
            Bytes(vec![0; 8]),
        )]),
    };
    c.send_raw(&msg.to_bytes());
    let (status, err) = c.finish();
    assert_eq!(status, 1);
    assert!(err.contains("not in JIT memory"), "{err}");
}

#[test]
fn random_bytes_never_crash_or_hang_the_executor() {
    // A bounded fuzz loop: headers with random fields (small sizes often,
    // so payloads get read), random payloads, random truncation.
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    // LANTERN_EXECUTOR_FUZZ_SESSIONS=N for a longer run (docs/out-of-process.md).
    let sessions: usize = std::env::var("LANTERN_EXECUTOR_FUZZ_SESSIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    for round in 0..sessions {
        let mut c = Controller::start();
        let tags: Vec<u64> = c.info.bootstrap_symbols.iter().map(|(_, a)| *a).collect();
        let mut bytes = Vec::new();
        for _ in 0..(next() % 4 + 1) {
            let len = next() % 200;
            // Every other session: well-framed calls of the real wrappers
            // with random arguments (small counts and sizes now and then,
            // so the decoders get past them); else random frames.
            let msg = if round % 2 == 0 {
                let mut payload: Vec<u8> = (0..len).map(|_| next() as u8).collect();
                for chunk in payload.chunks_mut(8) {
                    if next() % 3 == 0 {
                        let small = (next() % 4).to_le_bytes();
                        chunk.copy_from_slice(&small[..chunk.len()]);
                    }
                }
                [
                    header(
                        32 + len,
                        3,
                        next() % 8,
                        tags[(next() as usize) % tags.len()],
                    ),
                    payload,
                ]
                .concat()
            } else {
                let size = if next() % 3 == 0 { next() } else { 32 + len };
                [
                    header(size, next() % 5, next() % 8, next() % 3),
                    (0..len).map(|_| next() as u8).collect(),
                ]
                .concat()
            };
            bytes.extend(msg);
        }
        if round % 2 == 1 {
            bytes.truncate((next() as usize) % (bytes.len() + 1));
        }
        c.send_raw(&bytes);
        let (status, err) = c.finish();
        assert!(
            status == 0 || status == 1,
            "round {round}: status {status}: {err}"
        );
        assert!(!err.contains("panicked"), "round {round}: {err}");
    }
}

fn secret_file(dir: &std::path::Path, secret: &str, mode: u32) -> std::path::PathBuf {
    let path = dir.join(format!("secret-{mode:o}"));
    std::fs::write(&path, secret).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    path
}

#[test]
fn a_lantern_controller_proves_the_secret_before_anything_is_sent() {
    let tmp = tempdir("secret");
    let secret = "0123456789abcdef0123456789abcdef";
    let good = secret_file(&tmp, secret, 0o600);
    let arg = format!("secret-file={}", good.display());
    let hello = |s: &str| {
        Message {
            opcode: Opcode::CallWrapper,
            seq_no: 0,
            tag_addr: 0,
            payload: to_bytes(s),
        }
        .to_bytes()
    };
    // The right secret: then the setup message, then the usual session.
    let mut child = spawn(&[], &[&arg]);
    child
        .stdin
        .as_mut()
        .unwrap()
        .write_all(&hello(secret))
        .unwrap();
    let mut c = Controller::from_child(child);
    assert!(c.reserve(0x1000) != 0);
    assert_eq!(c.finish().0, 0);
    // A wrong secret, or a plain LLVM call first: refused, and the executor
    // said nothing at all (no setup message, so no addresses leak).
    for first in [hello("not the secret at all!"), header(48, 3, 1, 0x1000)] {
        let mut child = spawn(
            &[("LANTERN_EXECUTOR_SECRET_FILE", good.to_str().unwrap())],
            &[],
        );
        child.stdin.as_mut().unwrap().write_all(&first).unwrap();
        drop(child.stdin.take());
        let (out, timed_out) = wait_with_deadline(child, Duration::from_secs(10));
        assert!(!timed_out);
        assert_eq!(status_code(&out), 1);
        assert!(out.stdout.is_empty(), "nothing is sent before the secret");
        assert!(String::from_utf8_lossy(&out.stderr).contains("connection refused"));
    }
    // A secret file others may read is refused at startup.
    let loose = secret_file(&tmp, secret, 0o644);
    let child = spawn(&[], &[&format!("secret-file={}", loose.display())]);
    let (out, _) = wait_with_deadline(child, Duration::from_secs(10));
    assert_eq!(status_code(&out), 1);
    assert!(String::from_utf8_lossy(&out.stderr).contains("not readable by group or others"));
    // Neither a secret nor the opt-in: the executor will not serve anyone.
    let child = spawn(&[], &[]);
    let (out, _) = wait_with_deadline(child, Duration::from_secs(10));
    assert_eq!(status_code(&out), 1);
    assert!(String::from_utf8_lossy(&out.stderr).contains("LANTERN_EXECUTOR_ALLOW_LLVM_PROTOCOL=1"));
    let _ = std::fs::remove_dir_all(&tmp);
}

/// `__lantern_executor_shm_reserve`: a sealed memfd the test (as a
/// controller on the same host) opens through `/proc/PID/fd/N` and fills;
/// finalize takes segments without content and maps them with their
/// protections; content, a wrong instance, a size of 0 and memory writes
/// before finalize are refused; the descriptor is closed at finalize.
#[test]
fn shared_memory_reserve_open_fill_finalize_run() {
    use std::os::unix::fs::FileExt;
    let mut c = Controller::start();
    let pid = c.child.as_ref().unwrap().id();
    let mm = c.sym(names::MEMORY_MANAGER_INSTANCE);
    type Reply = SpsExpected<(u64, u64, u64, String)>;
    let reserve = |c: &mut Controller, instance: u64, size: u64| -> Result<_, String> {
        from_bytes::<Reply>(&c.call(names::LANTERN_SHM_RESERVE, to_bytes(&(instance, size))))
            .unwrap()
            .0
    };
    let e = reserve(&mut c, mm + 1, 0x2000).unwrap_err();
    assert!(e.contains("unknown instance"), "{e}");
    let e = reserve(&mut c, mm, 0).unwrap_err();
    assert!(e.contains("cannot reserve 0x0 bytes"), "{e}");
    let (base, reported_pid, fd, name) = reserve(&mut c, mm, 0x2000).unwrap();
    assert_eq!(reported_pid, pid as u64);
    assert!(name.starts_with("lantern-shm-"), "{name}");
    let path = format!("/proc/{pid}/fd/{fd}");
    assert_eq!(
        std::fs::read_link(&path).unwrap().to_string_lossy(),
        format!("/memfd:{name} (deleted)")
    );
    let memfd = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .unwrap();
    assert_eq!(memfd.metadata().unwrap().len(), 0x2000);
    // Sealed: the controller cannot shrink it under the executor.
    assert!(memfd.set_len(0x1000).is_err());
    // The same code as above, written through the memfd.
    memfd
        .write_all_at(&[0x8b, 0x05, 0xfa, 0x0f, 0x00, 0x00, 0xc3], 0)
        .unwrap();
    memfd.write_all_at(&[9, 0, 0, 0], 0x1000).unwrap();
    // Content in the finalize message is refused for shared memory.
    let with_content = FinalizeRequest {
        segments: vec![segment(true, false, true, base, 0x1000, vec![0xc3])],
        actions: vec![],
    };
    let e = c.finalize(&with_content).unwrap();
    assert!(e.contains("content sent for shared memory"), "{e}");
    let (base, _, fd, _) = reserve(&mut c, mm, 0x2000).unwrap();
    let path = format!("/proc/{pid}/fd/{fd}");
    let memfd = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .unwrap();
    memfd
        .write_all_at(&[0x8b, 0x05, 0xfa, 0x0f, 0x00, 0x00, 0xc3], 0)
        .unwrap();
    memfd.write_all_at(&[9, 0, 0, 0], 0x1000).unwrap();
    let req = FinalizeRequest {
        segments: vec![
            segment(true, false, true, base, 0x1000, vec![]),
            segment(true, true, false, base + 0x1000, 0x1000, vec![]),
        ],
        actions: vec![],
    };
    assert_eq!(c.finalize(&req), None);
    assert!(
        std::fs::read_link(&path).is_err(),
        "{path} still open after finalize"
    );
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).unwrap();
    let perms: Vec<&str> = maps
        .lines()
        .filter(|l| l.starts_with(&format!("{base:x}-")))
        .map(|l| l.split_whitespace().nth(1).unwrap())
        .collect();
    assert_eq!(perms, ["r-xp"], "{maps}");
    let v: i32 = from_bytes(&c.call(names::RUN_AS_INT_FUNCTION, to_bytes(&(base, 0i32)))).unwrap();
    assert_eq!(v, 9);
    // Writes after finalize go through the executor's data view.
    c.call(
        names::WRITE_UINT32S,
        to_bytes(&vec![(base + 0x1000, 0x55u32)]),
    );
    let v: i32 = from_bytes(&c.call(names::RUN_AS_INT_FUNCTION, to_bytes(&(base, 0i32)))).unwrap();
    assert_eq!(v, 0x55);
    assert_eq!(c.deallocate(vec![base]), None);
    // Before finalize, a shared reservation is not writable by messages
    // (its pages have no access here): a write ends the session.
    let (base, _, _, _) = reserve(&mut c, mm, 0x1000).unwrap();
    c.send_raw(
        &Message {
            opcode: Opcode::CallWrapper,
            seq_no: 99,
            tag_addr: c.sym(names::WRITE_UINT8S),
            payload: to_bytes(&vec![(base, 1u8)]),
        }
        .to_bytes(),
    );
    let (status, err) = c.finish();
    assert_eq!(status, 1, "{err}");
    assert!(err.contains("not finalized"), "{err}");
}

/// `__lantern_executor_register_symbol_table_from`: the table must lie in
/// readable JIT memory and decode; refusals are error replies,
/// and a table that does not decode leaves its memory in place.
#[test]
fn symbol_tables_from_memory_are_checked() {
    let mut c = Controller::start();
    let call = |c: &mut Controller, key: u64, start: u64, end: u64| -> Option<String> {
        let args = to_bytes(&(key, AddrRange { start, end }));
        let r: SpsError =
            from_bytes(&c.call(names::LANTERN_REGISTER_SYMBOL_TABLE_FROM, args)).unwrap();
        r.0
    };
    let e = call(&mut c, 1, 0x1000, 0x2000).unwrap();
    assert!(e.contains("not in JIT memory"), "{e}");
    let e = call(&mut c, 1, 0x2000, 0x1000).unwrap();
    assert!(e.contains("end before start"), "{e}");
    let base = c.reserve(0x1000);
    let req = FinalizeRequest {
        segments: vec![segment(true, false, false, base, 0x1000, vec![0xff; 64])],
        actions: vec![],
    };
    assert_eq!(c.finalize(&req), None);
    let e = call(&mut c, 1, base, base + 64).unwrap();
    assert!(e.contains("symbol table 1"), "{e}");
    // Still there: deallocating it works once.
    assert_eq!(c.deallocate(vec![base]), None);
    let (status, err) = c.finish();
    assert_eq!(status, 0, "{err}");
}

/// Debug-object slots: a unit's finalize action reserves its key, the
/// object registered later is owned by the executor (released with the
/// key), an object whose unit is already gone is released at once, and
/// misuse (a key reserved twice, an unknown key, a range that starts no
/// reservation) is an error naming the key or the address.
#[test]
fn debug_object_slots_own_their_objects() {
    let mut c = Controller::start();
    let key_call = |c: &mut Controller, name: &str, key: u64| -> Option<String> {
        let r: SpsError = from_bytes(&c.call(name, to_bytes(&key))).unwrap();
        r.0
    };
    let register = |c: &mut Controller, key: u64, start: u64, end: u64| -> Option<String> {
        let args = to_bytes(&(key, AddrRange { start, end }));
        let r: SpsError = from_bytes(&c.call(names::LANTERN_REGISTER_DEBUG_OBJECT, args)).unwrap();
        r.0
    };
    let object = |c: &mut Controller| -> u64 {
        let base = c.reserve(0x1000);
        let req = FinalizeRequest {
            segments: vec![segment(
                true,
                false,
                false,
                base,
                0x1000,
                b"\x7fELF".to_vec(),
            )],
            actions: vec![],
        };
        assert_eq!(c.finalize(&req), None);
        base
    };
    assert_eq!(
        key_call(&mut c, names::LANTERN_RESERVE_DEBUG_OBJECT, 7),
        None
    );
    let e = key_call(&mut c, names::LANTERN_RESERVE_DEBUG_OBJECT, 7).unwrap();
    assert!(e.contains("key 7 is already reserved"), "{e}");
    let base = object(&mut c);
    let e = register(&mut c, 7, base + 16, base + 32).unwrap();
    assert!(e.contains("does not start a reservation"), "{e}");
    assert_eq!(register(&mut c, 7, base, base + 4), None);
    // The key's deregistration releases the object's memory: the
    // controller no longer can.
    assert_eq!(
        key_call(&mut c, names::LANTERN_DEREGISTER_DEBUG_OBJECT, 7),
        None
    );
    let e = c.deallocate(vec![base]).unwrap();
    assert!(e.contains("unrecognized allocation"), "{e}");
    let e = key_call(&mut c, names::LANTERN_DEREGISTER_DEBUG_OBJECT, 7).unwrap();
    assert!(e.contains("key 7 is not reserved"), "{e}");
    // A unit removed before its object came: the object is released on
    // arrival.
    assert_eq!(
        key_call(&mut c, names::LANTERN_RESERVE_DEBUG_OBJECT, 8),
        None
    );
    assert_eq!(
        key_call(&mut c, names::LANTERN_DEREGISTER_DEBUG_OBJECT, 8),
        None
    );
    let base = object(&mut c);
    assert_eq!(register(&mut c, 8, base, base + 4), None);
    assert!(c.deallocate(vec![base]).is_some());
    let (status, err) = c.finish();
    assert_eq!(status, 0, "{err}");
}
