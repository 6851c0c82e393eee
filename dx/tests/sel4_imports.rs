//! The lowering of the `sel4` imports (`docs/wasm-abi.md`), checked by running the
//! translated code against a model of the kernel (`kernel_model/`): the window each call
//! hands over, the message registers loaded from and stored to the IPC buffer (min of
//! the length and 4, for lengths 0 to 127), the `sender` slot, notifications, a thread
//! without IPC buffer, the reserved globals, wrong imports, the worked example, and the
//! entry a `_start` of the wrong type cannot be.

mod kernel_model;

use kernel_model::{Machine, Seen, translate};
use selvm_abi::Syscall;

/// Every import of the table, each wrapped in an export of the same shape.
const PROGRAM: &str = r#"
(module
  (import "sel4" "seL4_Call" (func $call (param i64 i64) (result i64)))
  (import "sel4" "seL4_ReplyRecv" (func $reply_recv (param i64 i64 i32) (result i64)))
  (import "sel4" "seL4_Send" (func $send (param i64 i64)))
  (import "sel4" "seL4_NBSend" (func $nb_send (param i64 i64)))
  (import "sel4" "seL4_Recv" (func $recv (param i64 i32) (result i64)))
  (import "sel4" "seL4_NBRecv" (func $nb_recv (param i64 i32) (result i64)))
  (import "sel4" "seL4_Reply" (func $reply (param i64)))
  (import "sel4" "seL4_Yield" (func $yield))
  (import "sel4" "seL4_Signal" (func $signal (param i64)))
  (import "sel4" "seL4_Wait" (func $wait (param i64 i32)))
  (import "sel4" "seL4_Poll" (func $poll (param i64 i32) (result i64)))
  (import "sel4" "seL4_DebugPutChar" (func $put_char (param i32)))
  (import "sel4" "seL4_DebugHalt" (func $halt))
  (import "sel4" "seLVM_DebugHalt" (func $halt_status (param i64)))
  (import "sel4" "seL4_GetBootInfo" (func $boot_info (result i32)))
  (import "sel4" "seL4_GetIPCBuffer" (func $ipc_buffer (result i32)))
  (memory (export "memory") 1)
  (global $sp (mut i32) (i32.const 4096))
  (global $other (mut i64) (i64.const 77))
  (table 2 funcref)
  (elem (i32.const 0) $ipc_buffer $boot_info)
  (type $getter (func (result i32)))
  (func (export "call") (param i64 i64) (result i64) (call $call (local.get 0) (local.get 1)))
  (func (export "reply_recv") (param i64 i64 i32) (result i64)
    (call $reply_recv (local.get 0) (local.get 1) (local.get 2)))
  (func (export "send") (param i64 i64) (call $send (local.get 0) (local.get 1)))
  (func (export "nb_send") (param i64 i64) (call $nb_send (local.get 0) (local.get 1)))
  (func (export "recv") (param i64 i32) (result i64) (call $recv (local.get 0) (local.get 1)))
  (func (export "nb_recv") (param i64 i32) (result i64)
    (call $nb_recv (local.get 0) (local.get 1)))
  (func (export "reply") (param i64) (call $reply (local.get 0)))
  (func (export "yield") (call $yield))
  (func (export "signal") (param i64) (call $signal (local.get 0)))
  (func (export "wait") (param i64 i32) (call $wait (local.get 0) (local.get 1)))
  (func (export "poll") (param i64 i32) (result i64) (call $poll (local.get 0) (local.get 1)))
  (func (export "put_char") (param i32) (call $put_char (local.get 0)))
  (func (export "halt") (call $halt))
  (func (export "halt_status") (param i64) (call $halt_status (local.get 0)))
  (func (export "getters") (result i32 i32) (call $boot_info) (call $ipc_buffer))
  (func (export "getters_indirect") (result i32 i32)
    (call_indirect (type $getter) (i32.const 1))
    (call_indirect (type $getter) (i32.const 0)))
  (func (export "sp") (result i32) (global.get $sp))
  (func (export "set_globals") (param i32 i64) (global.set $sp (local.get 0))
    (global.set $other (local.get 1)))
)"#;

/// Sentinels pre-filled into `msg[0..8]`.
fn sentinel(i: usize) -> u64 {
    0x5e00_0000_0000_0000 | i as u64
}

/// What the modelled kernel returns in MR `i`.
fn reply_mr(i: usize) -> u64 {
    0x4e00_0000_0000_0100 + i as u64
}

/// Badge the model returns for a receive from `src`.
fn badge(src: u64) -> u64 {
    0xbad0_0000_0000_0000 | src
}

/// A machine whose kernel answers every call with a message of length `cap & 0x7f`
/// (label 0x55), MRs [`reply_mr`], badge [`badge`]; a call on a cap with bit 8 set is a
/// notification (MessageInfo 0, the window's MRs garbage that must not be stored).
fn machine() -> Machine {
    let mut m = Machine::load(PROGRAM);
    m.answer = Box::new(|seen: &Seen, _| {
        let cap = seen.window[0];
        if cap & 0x100 != 0 {
            return [badge(cap), 0, 0xdead, 0xdead, 0xdead, 0xdead];
        }
        let info = 0x55 << 12 | (cap & 0x7f);
        [
            badge(cap),
            info,
            reply_mr(0),
            reply_mr(1),
            reply_mr(2),
            reply_mr(3),
        ]
    });
    for i in 0..8 {
        let at = m.ipc_buffer + 8 + 8 * i as u64;
        m.set_word(at, sentinel(i));
    }
    m
}

const LENGTHS: [u64; 9] = [0, 1, 2, 3, 4, 5, 64, 120, 127];

/// The window MRs the kernel saw hold `msg[0..min(length, 4)]`.
fn assert_loaded(seen: &Seen, length: u64) {
    for i in 0..length.min(4) as usize {
        assert_eq!(seen.window[2 + i], sentinel(i), "MR{i} of length {length}");
    }
}

/// `msg[0..min(received, 4)]` hold the reply's MRs, the rest are untouched.
fn assert_stored(m: &Machine, received: u64) {
    for i in 0..8 {
        let want = if (i as u64) < received.min(4) {
            reply_mr(i)
        } else {
            sentinel(i)
        };
        assert_eq!(m.mr(i), want, "msg[{i}] after receiving length {received}");
    }
}

#[test]
fn call_loads_and_stores_min_length_and_four_mrs() {
    for sent in LENGTHS {
        for received in LENGTHS {
            let mut m = machine();
            // Extra caps and label above the length bits must not count as length.
            let info = 0x6 << 12 | 3 << 7 | sent;
            let r = m.call("call", &[received, info]);
            let seen = &m.seen[0];
            assert_eq!(seen.syscall, Syscall::Call);
            assert_eq!(seen.window[..2], [received, info]);
            assert_loaded(seen, sent);
            assert_stored(&m, received);
            assert_eq!(r, vec![0x55 << 12 | received]);
        }
    }
}

#[test]
fn reply_recv_loads_stores_and_writes_the_badge_after_the_mrs() {
    for sent in LENGTHS {
        for received in [0, 1, 4, 9] {
            let mut m = machine();
            // An unaligned slot inside the scratch area.
            let slot = 1001u64;
            m.set_word(slot - 1, 0x1111_1111_1111_1111);
            m.set_word(slot + 8, 0x2222_2222_2222_2222);
            let r = m.call("reply_recv", &[received, sent, slot]);
            let seen = &m.seen[0];
            assert_eq!(seen.syscall, Syscall::ReplyRecv);
            assert_eq!(seen.window[..2], [received, sent]);
            assert_loaded(seen, sent);
            assert_stored(&m, received);
            assert_eq!(m.word(slot), badge(received));
            assert_eq!(m.memory.bytes()[slot as usize - 1], 0x11);
            assert_eq!(m.word(slot + 8), 0x2222_2222_2222_2222);
            assert_eq!(r, vec![0x55 << 12 | received]);
        }
    }
    // A sender slot on msg[0]: the badge is stored after the MRs.
    let mut m = machine();
    let slot = m.ipc_buffer + 8;
    m.call("reply_recv", &[2, 0, slot]);
    assert_eq!(m.mr(0), badge(2));
    assert_eq!(m.mr(1), reply_mr(1));
}

#[test]
fn sends_load_and_do_not_store() {
    for (name, syscall) in [("send", Syscall::Send), ("nb_send", Syscall::NBSend)] {
        for sent in LENGTHS {
            let mut m = machine();
            let r = m.call(name, &[3, sent]);
            let seen = &m.seen[0];
            assert_eq!(seen.syscall, syscall);
            assert_eq!(seen.window[..2], [3, sent]);
            assert_loaded(seen, sent);
            assert_stored(&m, 0);
            assert!(r.is_empty());
        }
    }
    for sent in LENGTHS {
        let mut m = machine();
        m.call("reply", &[sent]);
        let seen = &m.seen[0];
        assert_eq!(seen.syscall, Syscall::Reply);
        assert_eq!(
            seen.window[1], sent,
            "Reply's MessageInfo goes in the info register"
        );
        assert_loaded(seen, sent);
        assert_stored(&m, 0);
    }
    let mut m = machine();
    m.call("signal", &[9]);
    assert_eq!(m.seen[0].syscall, Syscall::Send);
    assert_eq!(m.seen[0].window[..2], [9, 0], "Signal sends MessageInfo 0");
    assert_stored(&m, 0);
}

#[test]
fn receives_store_the_mrs_and_the_badge_unless_the_slot_is_null() {
    let cases = [
        ("recv", Syscall::Recv, true),
        ("nb_recv", Syscall::NBRecv, true),
        ("poll", Syscall::NBRecv, true),
        ("wait", Syscall::Recv, false),
    ];
    for (name, syscall, returns) in cases {
        for received in LENGTHS {
            let mut m = machine();
            let slot = 2003u64;
            let r = m.call(name, &[received, slot]);
            assert_eq!(m.seen[0].syscall, syscall, "{name}");
            assert_eq!(m.seen[0].window[0], received, "{name}");
            assert_stored(&m, received);
            assert_eq!(m.word(slot), badge(received), "{name}");
            assert_eq!(
                r,
                if returns {
                    vec![0x55 << 12 | received]
                } else {
                    vec![]
                }
            );
            // Sender 0: nothing is stored at address 0.
            let mut m = machine();
            m.set_word(0, 0x0123_4567_89ab_cdef);
            m.call(name, &[received, 0]);
            assert_eq!(m.word(0), 0x0123_4567_89ab_cdef, "{name} with a null slot");
            assert_stored(&m, received);
        }
    }
}

#[test]
fn notifications_return_info_zero_store_the_badge_and_leave_the_mrs() {
    for name in ["recv", "nb_recv", "poll", "wait"] {
        let mut m = machine();
        let cap = 0x100 | 5;
        let r = m.call(name, &[cap, 3000]);
        assert_eq!(m.word(3000), badge(cap), "{name}");
        assert_stored(&m, 0);
        if name != "wait" {
            assert_eq!(r, vec![0], "{name}");
        }
    }
    let mut m = machine();
    let r = m.call("reply_recv", &[0x100, 2, 3000]);
    assert_eq!(r, vec![0]);
    assert_eq!(m.word(3000), badge(0x100));
    assert_loaded(&m.seen[0], 2);
    assert_stored(&m, 0);
}

#[test]
fn without_an_ipc_buffer_nothing_is_loaded_or_stored() {
    let mut m = machine();
    m.ipc_buffer = 0;
    let before = m.memory.bytes().to_vec();
    for received in [0, 4, 127] {
        m.call("call", &[received, 4]);
        m.call("recv", &[received, 0]);
        m.call("reply_recv", &[received, 4, 0]);
    }
    assert_eq!(m.memory.bytes(), &before[..], "memory changed");
    assert_eq!(m.seen.len(), 9);
}

#[test]
fn debug_calls_yield_and_getters() {
    let mut m = machine();
    m.call("put_char", &[b'x' as u64]);
    m.call("put_char", &[0x1_0000_0041 & 0xffff_ffff]);
    assert_eq!(m.output, b"xA");
    m.call("yield", &[]);
    assert_eq!(m.seen.last().unwrap().syscall, Syscall::Yield);
    assert_eq!(m.call("halt", &[]), Vec::<u64>::new());
    assert_eq!(m.halted, Some(0));
    m.call("halt_status", &[42]);
    assert_eq!(m.halted, Some(42));
    let want = vec![m.boot_info, m.ipc_buffer];
    assert_eq!(m.call("getters", &[]), want);
    assert_eq!(m.call("getters_indirect", &[]), want);
    m.ipc_buffer = 0;
    assert_eq!(m.call("getters", &[]), vec![m.boot_info, 0]);
}

#[test]
fn wasm_globals_follow_the_reserved_ones() {
    let mut m = machine();
    assert_eq!(m.call("sp", &[]), vec![4096]);
    m.call("set_globals", &[1234, 99]);
    assert_eq!(m.globals[2..4], [1234, 99]);
    assert_eq!(m.globals[..2], [m.ipc_buffer, m.boot_info]);
    let module = m.module.container();
    assert_eq!(
        module.global(0).unwrap().mutable,
        0,
        "reserved globals are immutable"
    );
    assert_eq!(module.global(1).unwrap().mutable, 0);
    assert_eq!(
        module.global(2).unwrap().init,
        4096,
        "wasm global 0 is bytecode global 2"
    );
}

#[test]
fn other_imports_and_wrong_signatures_are_errors_naming_them() {
    let cases = [
        (
            r#"(import "sel4" "seL4_Call" (func (param i64) (result i64)))"#,
            "seL4_Call",
        ),
        (
            r#"(import "sel4" "seL4_Call" (func (param i64 i64)))"#,
            "seL4_Call",
        ),
        (
            r#"(import "sel4" "seL4_DebugPutChar" (func (param i64)))"#,
            "seL4_DebugPutChar",
        ),
        (
            r#"(import "sel4" "seL4_GetIPCBuffer" (func (result i64)))"#,
            "seL4_GetIPCBuffer",
        ),
        (
            r#"(import "sel4" "seL4_CallWithMRs" (func))"#,
            "seL4_CallWithMRs",
        ),
        (r#"(import "env" "seL4_Yield" (func))"#, "env.seL4_Yield"),
        (r#"(import "sel4" "memory" (memory 1))"#, "sel4.memory"),
        (
            r#"(import "sel4" "seL4_Yield" (global i32))"#,
            "sel4.seL4_Yield",
        ),
    ];
    for (import, name) in cases {
        let err = translate(&format!("(module {import})")).expect_err(import);
        let text = err.to_string();
        assert!(
            matches!(err, selvm_dx::Error::Import { .. }) && text.contains(name),
            "{import}: {text}"
        );
    }
}

#[test]
fn the_worked_example_prints_its_lines() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../user/examples/");
    let wat = std::fs::read_to_string(format!("{root}hello.wat")).unwrap();
    let expected = std::fs::read_to_string(format!("{root}hello.out")).unwrap();
    let mut m = Machine::load(&wat);
    // TCB_SetPriority on the own TCB: check what arrives, answer success (label 0).
    m.answer = Box::new(|seen: &Seen, memory: &mut [u8]| {
        assert_eq!(seen.syscall, Syscall::Call);
        assert_eq!(seen.window[..3], [1, 0x6081, 254], "cap, info, MR0");
        let ipc = 65536 + 4096;
        assert_eq!(memory[ipc + 976], 1, "extra cap 0 in caps_or_badges[0]");
        [0, 0, 0, 0, 0, 0]
    });
    let entry = m.module.entry().expect("_start");
    m.run(entry, &[]);
    assert_eq!(String::from_utf8(m.output.clone()).unwrap(), expected);
    assert_eq!(m.halted, Some(0));
}

#[test]
fn a_start_of_another_type_is_an_error_naming_it() {
    // A program's entry is `(func)`: a `_start` of another type would translate into a
    // module without an entry that no machine can boot, so dx says why instead.
    let wasm =
        wat::parse_str(r#"(module (func (export "_start") (param i32) (result i64) i64.const 0))"#)
            .unwrap();
    let e = selvm_dx::translate(&wasm, &selvm_dx::Options::default()).unwrap_err();
    let e = e.to_string();
    assert!(
        e.contains("`_start` has type (func (param i32) (result i64))"),
        "{e}"
    );
    assert!(e.contains("no parameters and returns nothing"), "{e}");
    // Under the reject policy (computations outside the kernel) it is an ordinary export.
    let reject = selvm_dx::Options {
        imports: selvm_dx::ImportPolicy::Reject,
        ..selvm_dx::Options::default()
    };
    assert!(selvm_dx::translate(&wasm, &reject).is_ok());
}
