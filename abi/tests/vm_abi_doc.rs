//! `docs/vm-abi.md` states the vm architecture's numbers in tables; this test checks every
//! table row of the form `` | `NAME` | number | … `` against the constant of that name in
//! `selvm_abi::vm`, and that every constant listed here appears in the doc.

use selvm_abi::Syscall;
use selvm_abi::vm::*;

/// Every documented name with its value, built from the constants themselves.
fn expected() -> Vec<(String, i128)> {
    let mut v: Vec<(String, i128)> = Vec::new();
    let mut add = |name: &str, value: i128| v.push((name.to_string(), value));
    add("VM_ABI_VERSION", VM_ABI_VERSION.into());
    add("SYSCALL_WINDOW", SYSCALL_WINDOW.into());
    add("WINDOW_CAP", WINDOW_CAP as i128);
    add("WINDOW_MSG_INFO", WINDOW_MSG_INFO as i128);
    for (i, r) in WINDOW_MR.iter().enumerate() {
        add(&format!("WINDOW_MR[{i}]"), *r as i128);
    }
    for s in Syscall::ALL {
        add(&format!("Syscall::{s:?}"), syscall_code(s).into());
    }
    for (i, name) in NAMES.iter().enumerate() {
        add(&name.to_uppercase(), i as i128);
    }
    add("USER_CONTEXT_WORDS", USER_CONTEXT_WORDS as i128);
    for (name, value) in [
        ("UNKNOWN_SYSCALL_PC", UNKNOWN_SYSCALL_PC),
        ("UNKNOWN_SYSCALL_SP", UNKNOWN_SYSCALL_SP),
        ("UNKNOWN_SYSCALL_A0", UNKNOWN_SYSCALL_A0),
        ("UNKNOWN_SYSCALL_NUMBER", UNKNOWN_SYSCALL_NUMBER),
        ("UNKNOWN_SYSCALL_LENGTH", UNKNOWN_SYSCALL_LENGTH),
        ("USER_EXCEPTION_PC", USER_EXCEPTION_PC),
        ("USER_EXCEPTION_SP", USER_EXCEPTION_SP),
        ("USER_EXCEPTION_NUMBER", USER_EXCEPTION_NUMBER),
        ("USER_EXCEPTION_CODE", USER_EXCEPTION_CODE),
        ("USER_EXCEPTION_LENGTH", USER_EXCEPTION_LENGTH),
        ("TCB_MODULE", TCB_MODULE),
        ("TCB_REGISTER_STACK", TCB_REGISTER_STACK),
        ("CAP_INIT_THREAD_MODULE", CAP_INIT_THREAD_MODULE as usize),
        (
            "CAP_INIT_THREAD_REGISTER_STACK",
            CAP_INIT_THREAD_REGISTER_STACK as usize,
        ),
        ("SEAL_ERROR_ARGUMENT", SEAL_ERROR_ARGUMENT),
        ("SEAL_ERROR_RULE", SEAL_ERROR_RULE),
        ("SEAL_ERROR_INDEX", SEAL_ERROR_INDEX),
        ("SEAL_ERROR_OFFSET", SEAL_ERROR_OFFSET),
        ("SEAL_ERROR_VALUE", SEAL_ERROR_VALUE),
        ("SEAL_ERROR_LENGTH", SEAL_ERROR_LENGTH),
    ] {
        add(name, value as i128);
    }
    for (name, value) in [
        ("MODULE_MIN_BITS", MODULE_MIN_BITS),
        ("MODULE_MAX_BITS", MODULE_MAX_BITS),
        ("REGISTER_STACK_MIN_BITS", REGISTER_STACK_MIN_BITS),
        ("REGISTER_STACK_MAX_BITS", REGISTER_STACK_MAX_BITS),
        ("VM_TCB_BITS", VM_TCB_BITS),
        ("DEVICE_REGION_BITS", DEVICE_REGION_BITS),
    ] {
        add(name, value.into());
    }
    for (name, value) in [
        ("VM_FAULT_PREFETCH", VM_FAULT_PREFETCH),
        ("VM_FAULT_FSR_LOAD", VM_FAULT_FSR_LOAD),
        ("VM_FAULT_FSR_STORE", VM_FAULT_FSR_STORE),
        ("PHYS_RAM_BASE", PHYS_RAM_BASE),
        ("PHYS_DEVICE_BASE", PHYS_DEVICE_BASE),
        ("CONSOLE_BASE", CONSOLE_BASE),
        ("TIMER_BASE", TIMER_BASE),
        ("INPUT_BASE", INPUT_BASE),
        ("FRAMEBUFFER_REGS_BASE", FRAMEBUFFER_REGS_BASE),
        ("STATS_BASE", STATS_BASE),
        ("NETWORK_BASE", NETWORK_BASE),
        ("FRAMEBUFFER_BASE", FRAMEBUFFER_BASE),
        ("CONSOLE_RX_DATA", CONSOLE_RX_DATA),
        ("CONSOLE_RX_STATUS", CONSOLE_RX_STATUS),
        ("CONSOLE_TX_DATA", CONSOLE_TX_DATA),
        ("CONSOLE_RX_EMPTY", CONSOLE_RX_EMPTY),
        ("CONSOLE_RX_FIFO", CONSOLE_RX_FIFO),
        ("CONSOLE_RX_STATUS_EOF", CONSOLE_RX_STATUS_EOF),
        ("TIMER_NOW", TIMER_NOW),
        ("TIMER_COMPARE", TIMER_COMPARE),
        ("TIMER_FREQUENCY", TIMER_FREQUENCY),
        ("TIMER_HZ", TIMER_HZ),
        ("FB_WIDTH", FB_WIDTH),
        ("FB_HEIGHT", FB_HEIGHT),
        ("FB_STRIDE", FB_STRIDE),
        ("FB_FORMAT", FB_FORMAT),
        ("FB_PRESENT", FB_PRESENT),
        ("FB_PRESENTS", FB_PRESENTS),
        ("FB_FORMAT_XRGB8888", FB_FORMAT_XRGB8888),
        ("FB_MAX_SIDE", FB_MAX_SIDE),
        ("STATS_THREADS", STATS_THREADS),
        ("STATS_IPC", STATS_IPC),
        ("STATS_KERNEL_ENTRIES", STATS_KERNEL_ENTRIES),
        ("STATS_INSTRUCTIONS", STATS_INSTRUCTIONS),
        ("STATS_REFRESHED_NS", STATS_REFRESHED_NS),
        ("STATS_REFRESHES", STATS_REFRESHES),
        ("STATS_WORDS", STATS_WORDS),
        ("INPUT_HEAD", INPUT_HEAD),
        ("INPUT_TAIL", INPUT_TAIL),
        ("INPUT_SLOTS", INPUT_SLOTS),
        ("INPUT_RING", INPUT_RING),
        ("INPUT_RING_SLOTS", INPUT_RING_SLOTS),
        ("INPUT_RECORD_BYTES", INPUT_RECORD_BYTES),
        ("INPUT_KIND", INPUT_KIND),
        ("INPUT_CODE", INPUT_CODE),
        ("INPUT_X", INPUT_X),
        ("INPUT_Y", INPUT_Y),
        ("INPUT_BUTTONS", INPUT_BUTTONS),
        ("INPUT_KEY_DOWN", INPUT_KEY_DOWN),
        ("INPUT_KEY_UP", INPUT_KEY_UP),
        ("INPUT_POINTER_MOVE", INPUT_POINTER_MOVE),
        ("INPUT_BUTTON_DOWN", INPUT_BUTTON_DOWN),
        ("INPUT_BUTTON_UP", INPUT_BUTTON_UP),
        ("IRQ_KERNEL_TIMER", IRQ_KERNEL_TIMER),
        ("IRQ_CONSOLE_RX", IRQ_CONSOLE_RX),
        ("IRQ_TIMER", IRQ_TIMER),
        ("IRQ_INPUT", IRQ_INPUT),
        ("IRQ_FRAMEBUFFER", IRQ_FRAMEBUFFER),
        ("IRQ_NETWORK", IRQ_NETWORK),
        ("IRQ_COUNT", IRQ_COUNT),
        ("KERNEL_TICK_NS", KERNEL_TICK_NS),
        ("ENTRY_TABLE_ELEMENT", ENTRY_TABLE_ELEMENT),
        ("NET_NODE", NET_NODE),
        ("NET_INCARNATION", NET_INCARNATION),
        ("NET_TX_HEAD", NET_TX_HEAD),
        ("NET_TX_TAIL", NET_TX_TAIL),
        ("NET_RX_HEAD", NET_RX_HEAD),
        ("NET_RX_TAIL", NET_RX_TAIL),
        ("NET_SLOTS", NET_SLOTS),
        ("NET_NODES", NET_NODES),
        ("NET_ARGUMENT", NET_ARGUMENT),
        ("NET_SECRET", NET_SECRET),
        ("NET_SECRET_HIGH", NET_SECRET_HIGH),
        ("NET_TX_RING", NET_TX_RING),
        ("NET_RX_RING", NET_RX_RING),
        ("NET_RING_SLOTS", NET_RING_SLOTS),
        ("NET_SLOT_BYTES", NET_SLOT_BYTES),
        ("NET_MESSAGE_MAX", NET_MESSAGE_MAX),
        ("MSG_CALL", MSG_CALL),
        ("MSG_SEND", MSG_SEND),
        ("MSG_REPLY", MSG_REPLY),
        ("MSG_ERROR", MSG_ERROR),
        ("MSG_NODE_UP", MSG_NODE_UP),
        ("MSG_NODE_DOWN", MSG_NODE_DOWN),
        ("MSG_REGISTER", MSG_REGISTER),
        ("MSG_LOOKUP", MSG_LOOKUP),
        ("MSG_UNREGISTER", MSG_UNREGISTER),
        ("MSG_MODULE_READ", MSG_MODULE_READ),
        ("MSG_MODULE_DATA", MSG_MODULE_DATA),
        ("ERROR_PEER_DOWN", ERROR_PEER_DOWN),
        ("ERROR_TIMEOUT", ERROR_TIMEOUT),
        ("ERROR_NO_SUCH_NODE", ERROR_NO_SUCH_NODE),
        ("ERROR_BAD_MESSAGE", ERROR_BAD_MESSAGE),
        ("ERROR_NO_SUCH_OBJECT", ERROR_NO_SUCH_OBJECT),
        ("ERROR_BUSY", ERROR_BUSY),
        ("ERROR_NO_SUCH_NAME", ERROR_NO_SUCH_NAME),
        ("ERROR_STALE", ERROR_STALE),
        ("ERROR_REVOKED", ERROR_REVOKED),
        ("ERROR_BAD_MODULE", ERROR_BAD_MODULE),
        ("ERROR_NO_MEMORY", ERROR_NO_MEMORY),
        ("ERROR_FORGED", ERROR_FORGED),
        ("OBJECT_LIFE_SHIFT", OBJECT_LIFE_SHIFT),
        ("REMOTE_ERROR_LABEL", REMOTE_ERROR_LABEL),
    ] {
        add(name, value.into());
    }
    for (name, value) in [
        ("MSG_KIND", MSG_KIND),
        ("MSG_NODE", MSG_NODE),
        ("MSG_CALL_ID", MSG_CALL_ID),
        ("MSG_OBJECT", MSG_OBJECT),
        ("MSG_LABEL", MSG_LABEL),
        ("MSG_LENGTH", MSG_LENGTH),
        ("MSG_MRS", MSG_MRS),
        ("NAME_MAX", NAME_MAX),
    ] {
        add(name, value as i128);
    }
    for (name, value) in [
        ("GLOBAL_IPC_BUFFER", selvm_abi::wasm::GLOBAL_IPC_BUFFER),
        ("GLOBAL_BOOT_INFO", selvm_abi::wasm::GLOBAL_BOOT_INFO),
        (
            "GLOBAL_STACK_POINTER",
            selvm_abi::wasm::GLOBAL_STACK_POINTER,
        ),
    ] {
        add(name, value.into());
    }
    for k in TrapKind::ALL {
        add(&format!("TrapKind::{}", k.name()), k.word().into());
    }
    for t in VmObjectType::ALL {
        add(&format!("VmObjectType::{}", t.name()), t.word().into());
    }
    for l in VmInvocationLabel::ALL {
        add(&format!("VmInvocationLabel::{}", l.name()), l.word().into());
    }
    v
}

/// Parses a table cell as a number: decimal (possibly negative) or `0x` hexadecimal.
fn number(cell: &str) -> Option<i128> {
    let cell = cell.trim();
    if let Some(hex) = cell.strip_prefix("0x") {
        i128::from_str_radix(hex, 16).ok()
    } else {
        cell.parse().ok()
    }
}

/// The `(name, value)` rows of every table in `text`.
fn documented(text: &str) -> Vec<(String, i128)> {
    let mut rows = Vec::new();
    for line in text.lines() {
        let cells: Vec<&str> = line.trim().split('|').collect();
        // A row "| `NAME` | value | ..." splits into "", name, value, ...
        if cells.len() < 4 || !cells[0].is_empty() {
            continue;
        }
        let name = cells[1].trim();
        let Some(name) = name.strip_prefix('`').and_then(|n| n.strip_suffix('`')) else {
            continue;
        };
        if let Some(value) = number(cells[2]) {
            rows.push((name.to_string(), value));
        }
    }
    rows
}

#[test]
fn doc_tables_match_the_constants() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/vm-abi.md");
    let text = std::fs::read_to_string(path).expect("docs/vm-abi.md exists");
    let expected = expected();
    let rows = documented(&text);
    let mut problems = Vec::new();
    for (name, value) in &rows {
        match expected.iter().find(|(n, _)| n == name) {
            Some((_, v)) if v == value => {}
            Some((_, v)) => problems.push(format!("{name}: doc says {value}, code says {v}")),
            None => problems.push(format!("{name}: in the doc but not in the test's list")),
        }
    }
    for (name, _) in &expected {
        if !rows.iter().any(|(n, _)| n == name) {
            problems.push(format!("{name}: missing from the doc"));
        }
    }
    assert!(
        problems.is_empty(),
        "docs/vm-abi.md vs selvm_abi::vm:\n{}",
        problems.join("\n")
    );
    assert_eq!(rows.len(), expected.len(), "a name is documented twice");
}

#[test]
fn parser_reads_rows_and_skips_prose() {
    let text = "| name | value |\n|---|---|\n| `A` | 0x10 | x |\n| `B` | -3 | y |\n\
                | `C` | word | z |\nprose `D` | 4 |\n";
    assert_eq!(
        documented(text),
        vec![("A".to_string(), 16), ("B".to_string(), -3)]
    );
    assert_eq!(number(" 0xffff "), Some(0xffff));
    assert_eq!(number("1000000000"), Some(1_000_000_000));
    assert_eq!(number("x"), None);
}
