//! Golden bytes derived by hand from LLVM 19's sources (each field commented
//! with its declaration), bytes captured between llvm-jitlink-19 and
//! llvm-jitlink-executor 19.1.7, round trips, and malformed input.

use lantern_orc_wire::message::{Message, Opcode, DEFAULT_SIZE_LIMIT, HEADER_SIZE};
use lantern_orc_wire::sps::{from_bytes, to_bytes, Bytes, SpsError, SpsExpected};
use lantern_orc_wire::types::*;
use lantern_orc_wire::WireError;

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn hangup_message_golden() {
    // FDSimpleRemoteEPCTransport::sendMessage: four ulittle64_t fields, then
    // the payload; encodeHangupPayload(Error::success()) is SPSError
    // {HasError = false}: one byte 0.
    let m = Message {
        opcode: Opcode::Hangup,
        seq_no: 0,
        tag_addr: 0,
        payload: to_bytes(&SpsError(None)),
    };
    let expected = hex("2100000000000000 \
         0100000000000000 \
         0000000000000000 \
         0000000000000000 \
         00"); // MsgSize = 32 + 1; OpC = Hangup (1); SeqNo; TagAddr; HasError = false
    assert_eq!(m.to_bytes(), expected);
    let back = Message::read_from(&mut &expected[..], DEFAULT_SIZE_LIMIT)
        .unwrap()
        .unwrap();
    assert_eq!(back, m);
}

#[test]
fn call_wrapper_reserve_golden() {
    // SPSSimpleExecutorMemoryManagerReserveSignature's arguments:
    // (SPSExecutorAddr instance, uint64_t size), each a little-endian u64.
    let payload = to_bytes(&(0x5555_0000_1000u64, 0x2000u64));
    let m = Message {
        opcode: Opcode::CallWrapper,
        seq_no: 7,
        tag_addr: 0x5555_0000_2000,
        payload,
    };
    let expected = hex("3000000000000000 \
         0300000000000000 \
         0700000000000000 \
         0020000055550000 \
         0010000055550000 \
         0020000000000000"); // MsgSize 48; CallWrapper (3); SeqNo 7; TagAddr; instance; size 0x2000
    assert_eq!(m.to_bytes(), expected);
    // The result: SPSExpected<SPSExecutorAddr> {HasValue = true, value}.
    assert_eq!(
        to_bytes(&SpsExpected::<u64>(Ok(0x7f00_0000_0000))),
        hex("01 0000000000 7f0000")
    );
    // ... or {HasValue = false, ErrMsg as SPSString (u64 length, bytes)}.
    assert_eq!(
        to_bytes(&SpsExpected::<u64>(Err("no".into()))),
        hex("00 0200000000000000 6e6f")
    );
}

#[test]
fn setup_info_golden() {
    // SPSSimpleRemoteEPCExecutorInfo = SPSTuple<SPSString TargetTriple,
    // uint64_t PageSize, SPSSequence<SPSTuple<SPSString, SPSSequence<char>>>
    // BootstrapMap, SPSSequence<SPSTuple<SPSString, SPSExecutorAddr>>
    // BootstrapSymbols>.
    let info = ExecutorInfo {
        target_triple: "x86".into(),
        page_size: 4096,
        bootstrap_map: vec![("k".into(), Bytes(vec![0xaa]))],
        bootstrap_symbols: vec![("f".into(), 0x1234)],
    };
    let expected = hex("0300000000000000 783836 \
         0010000000000000 \
         0100000000000000 0100000000000000 6b 0100000000000000 aa \
         0100000000000000 0100000000000000 66 3412000000000000");
    assert_eq!(to_bytes(&info), expected);
    assert_eq!(from_bytes::<ExecutorInfo>(&expected).unwrap(), info);
}

#[test]
fn finalize_request_golden() {
    // SPSFinalizeRequest = SPSTuple<SPSSequence<SPSSegFinalizeRequest>,
    // SPSSequence<SPSAllocActionCallPair>>; a segment is (RemoteAllocGroup
    // byte, addr, size, content); R|X = 1|4 = 5; an action pair is two
    // WrapperFunctionCalls (addr, SPSSequence<char>).
    let req = FinalizeRequest {
        segments: vec![SegFinalizeRequest {
            group: RemoteAllocGroup {
                read: true,
                exec: true,
                ..Default::default()
            },
            addr: 0x1000,
            size: 0x1000,
            content: Bytes(vec![0xc3]),
        }],
        actions: vec![AllocActionCallPair {
            finalize: WrapperFunctionCall {
                fn_addr: 0x2000,
                args: Bytes(vec![1, 2]),
            },
            dealloc: WrapperFunctionCall::default(),
        }],
    };
    let expected = hex("0100000000000000 \
           05 0010000000000000 0010000000000000 0100000000000000 c3 \
         0100000000000000 \
           0020000000000000 0200000000000000 0102 \
           0000000000000000 0000000000000000");
    assert_eq!(to_bytes(&req), expected);
    assert_eq!(from_bytes::<FinalizeRequest>(&expected).unwrap(), req);
}

#[test]
fn captured_lookup_call_and_result() {
    // llvm-jitlink-19 -> llvm-jitlink-executor 19.1.7, hello.o: the dylib
    // manager lookup of the GDB registration wrapper, and its answer.
    let args = hex(
        "608a2bcf65550000 e072b03fe27f0000 0100000000000000 2400000000000000 \
         6c6c766d5f6f72635f72656769737465724a49544c6f61646572474442577261707065 72 01",
    );
    let (instance, handle, set): LookupArgs = from_bytes(&args).unwrap();
    assert_eq!(instance, 0x5565_cf2b_8a60);
    assert_eq!(handle, 0x7fe2_3fb0_72e0);
    assert_eq!(
        set,
        vec![("llvm_orc_registerJITLoaderGDBWrapper".to_string(), true)]
    );
    let result = hex("01 0100000000000000 d01a5aaf65550000 10 00");
    let defs: SpsExpected<Vec<ExecutorSymbolDef>> = from_bytes(&result).unwrap();
    assert_eq!(
        defs.0.unwrap(),
        vec![ExecutorSymbolDef {
            addr: 0x5565_af5a_1ad0,
            flags: SYMBOL_FLAG_EXPORTED,
            target_flags: 0
        }]
    );
}

#[test]
fn captured_run_as_main_call() {
    // llvm-jitlink-19 hello.o -args a b: SPSRunAsMainSignature's arguments
    // (main's address, SPSSequence<SPSString>), no program name.
    let args = hex("00f0983ba47f0000 0200000000000000 0100000000000000 61 0100000000000000 62");
    let (main, argv): RunAsMainArgs = from_bytes(&args).unwrap();
    assert_eq!(main, 0x7fa4_3b98_f000);
    assert_eq!(argv, vec!["a".to_string(), "b".to_string()]);
}

#[test]
fn round_trips() {
    let w: BufferWrites = vec![(1, Bytes(vec![1, 2, 3])), (u64::MAX, Bytes(vec![]))];
    assert_eq!(from_bytes::<BufferWrites>(&to_bytes(&w)).unwrap(), w);
    let e = SpsError(Some("boom".into()));
    assert_eq!(from_bytes::<SpsError>(&to_bytes(&e)).unwrap(), e);
    let r = (AddrRange { start: 5, end: 9 }, true);
    assert_eq!(from_bytes::<(AddrRange, bool)>(&to_bytes(&r)).unwrap(), r);
    let u16s: Vec<(u64, u16)> = vec![(8, 0xbeef)];
    assert_eq!(
        from_bytes::<Vec<(u64, u16)>>(&to_bytes(&u16s)).unwrap(),
        u16s
    );
}

#[test]
fn truncated_payloads_are_errors_at_every_length() {
    let req = FinalizeRequest {
        segments: vec![SegFinalizeRequest {
            addr: 1,
            size: 2,
            content: Bytes(vec![9, 9]),
            ..Default::default()
        }],
        actions: vec![AllocActionCallPair::default()],
    };
    let bytes = to_bytes(&req);
    for len in 0..bytes.len() {
        assert!(
            from_bytes::<FinalizeRequest>(&bytes[..len]).is_err(),
            "{len}"
        );
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(matches!(
        from_bytes::<FinalizeRequest>(&longer),
        Err(WireError::Trailing(1))
    ));
}

#[test]
fn huge_counts_fail_without_allocating() {
    // A sequence claiming 2^64-1 segments in a 16-byte payload.
    let mut bytes = u64::MAX.to_le_bytes().to_vec();
    bytes.extend_from_slice(&0u64.to_le_bytes());
    assert!(matches!(
        from_bytes::<FinalizeRequest>(&bytes),
        Err(WireError::Truncated { .. })
    ));
    // A string claiming 2^63 bytes.
    let mut s = (1u64 << 63).to_le_bytes().to_vec();
    s.push(b'x');
    assert!(from_bytes::<String>(&s).is_err());
    assert!(matches!(
        from_bytes::<bool>(&[2]),
        Err(WireError::InvalidBool(2))
    ));
}

#[test]
fn malformed_headers_are_errors() {
    let header = |size: u64, op: u64| {
        let mut h = Vec::new();
        for f in [size, op, 0, 0] {
            h.extend_from_slice(&f.to_le_bytes());
        }
        h
    };
    // Smaller than the header itself.
    let r = Message::read_from(&mut &header(31, 3)[..], DEFAULT_SIZE_LIMIT);
    assert!(matches!(r, Err(WireError::SizeTooSmall(31))));
    // Above the limit: refused before reading (or allocating) the payload.
    let r = Message::read_from(&mut &header(u64::MAX, 3)[..], DEFAULT_SIZE_LIMIT);
    assert!(matches!(r, Err(WireError::Oversized { .. })));
    // Unknown opcode.
    let r = Message::read_from(&mut &header(32, 4)[..], DEFAULT_SIZE_LIMIT);
    assert!(matches!(r, Err(WireError::UnknownOpcode(4))));
    // A payload shorter than the size says.
    let mut m = header(40, 3);
    m.extend_from_slice(&[1, 2, 3]);
    let r = Message::read_from(&mut &m[..], DEFAULT_SIZE_LIMIT);
    assert!(matches!(r, Err(WireError::Truncated { .. })));
    // A header cut short, and a clean end of stream.
    let r = Message::read_from(&mut &header(32, 3)[..10], DEFAULT_SIZE_LIMIT);
    assert!(matches!(r, Err(WireError::Io { .. })));
    assert!(Message::read_from(&mut &[][..], DEFAULT_SIZE_LIMIT)
        .unwrap()
        .is_none());
    assert_eq!(HEADER_SIZE, 32);
}

#[test]
fn random_bytes_never_panic() {
    // A bounded fuzz loop: xorshift bytes through every decoder.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    // LANTERN_ORC_WIRE_FUZZ_ROUNDS=N for a longer run.
    let rounds: u64 = std::env::var("LANTERN_ORC_WIRE_FUZZ_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    for round in 0..rounds {
        let len = (round % 97) as usize;
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                // Small counts now and then, so decoders get past the length.
                if x.is_multiple_of(5) {
                    (x % 3) as u8
                } else {
                    x as u8
                }
            })
            .collect();
        let _ = from_bytes::<FinalizeRequest>(&bytes);
        let _ = from_bytes::<ExecutorInfo>(&bytes);
        let _ = from_bytes::<LookupArgs>(&bytes);
        let _ = from_bytes::<RunAsMainArgs>(&bytes);
        let _ = from_bytes::<SpsExpected<Vec<ExecutorSymbolDef>>>(&bytes);
        let _ = Message::read_from(&mut &bytes[..], 1 << 20);
    }
}
