//! The names assembly programs for the hosted machine may use instead of numbers
//! (`selvm_vm::asm::assemble_with`): the vm architecture's system-call codes, every
//! invocation label and the MessageInfo word of its fixed message, object types,
//! initial cap slots, error codes, and the IPC buffer's and BootInfo's field offsets.
//! One function, [`lookup`], answers from abi's own tables, so a program's numbers
//! cannot drift from the kernel's.
//!
//! | name | value |
//! |---|---|
//! | `seL4_SysCall` … `seL4_SysDebugNameThread` | the `syscall` instruction's code (`0xffff` …) |
//! | `UntypedRetype`, `CNodeCopy`, … `TcbSetMemory` | the invocation label |
//! | `UntypedRetype.info`, … | MessageInfo of its fixed message: label, extra caps, MRs |
//! | `seL4_UntypedObject` … `seL4_RISCV_PageTableObject`, `seLVM_ModuleObject`, `seLVM_RegisterStackObject` | object types |
//! | `seL4_CapNull` … `seL4_CapDomain`, `seLVM_CapInitThreadModule`, `seLVM_CapInitThreadRegisterStack` | initial cap slots |
//! | `seL4_NoError` … `seL4_NotEnoughMemory` | error codes (a reply's label) |
//! | `IPCBuffer.mr0` … `IPCBuffer.mr119`, `IPCBuffer.cap0` … `cap2`, `IPCBuffer.receiveCNode`, `.receiveIndex`, `.receiveDepth` | byte offsets in the IPC buffer |
//! | `BootInfo.untyped`, `BootInfo.untypedList`, `BootInfo.empty`, `BootInfo.ipcBuffer`, `UntypedDesc.size`, `UntypedDesc.isDevice`, `UntypedDesc.sizeBits` | byte offsets in BootInfo and one untyped descriptor |

use crate::ipc_buffer::offsets;
use crate::vm::{VM_INVOCATION_SPECS, syscall_code};
use crate::{BootInfo, Error, INVOCATION_SPECS, MessageInfo, ObjectType, Syscall, UntypedDesc};
use core::mem::{offset_of, size_of};

/// The value of `name`, if it is one of the names above.
pub fn lookup(name: &str) -> Option<i128> {
    let word = |w: u64| Some(i128::from(w));
    if let Some(rest) = name.strip_prefix("seL4_Sys") {
        return Syscall::ALL
            .iter()
            .find(|s| syscall_name(**s) == rest)
            .map(|s| i128::from(syscall_code(*s)));
    }
    if let Some(spec) = name.strip_suffix(".info").and_then(spec) {
        let info = MessageInfo::new(spec.label, 0, spec.caps.len() as u64, spec.mrs.len() as u64);
        return info.ok().and_then(|i| word(i.word()));
    }
    if let Some(spec) = spec(name) {
        return word(spec.label);
    }
    if let Some(rest) = name.strip_prefix("IPCBuffer.") {
        return ipc_buffer_offset(rest).map(|o| o as i128);
    }
    let value = match name {
        "seL4_UntypedObject" => ObjectType::Untyped.word(),
        "seL4_TCBObject" => ObjectType::Tcb.word(),
        "seL4_EndpointObject" => ObjectType::Endpoint.word(),
        "seL4_NotificationObject" => ObjectType::Notification.word(),
        "seL4_CapTableObject" => ObjectType::CNode.word(),
        "seL4_RISCV_Giga_Page" => ObjectType::GigaPage.word(),
        "seL4_RISCV_4K_Page" => ObjectType::SmallPage.word(),
        "seL4_RISCV_Mega_Page" => ObjectType::LargePage.word(),
        "seL4_RISCV_PageTableObject" => ObjectType::PageTable.word(),
        "seLVM_ModuleObject" => crate::vm::VmObjectType::Module.word(),
        "seLVM_RegisterStackObject" => crate::vm::VmObjectType::RegisterStack.word(),
        "seL4_CapNull" => crate::CAP_NULL,
        "seL4_CapInitThreadTCB" => crate::CAP_INIT_THREAD_TCB,
        "seL4_CapInitThreadCNode" => crate::CAP_INIT_THREAD_CNODE,
        "seL4_CapInitThreadVSpace" => crate::CAP_INIT_THREAD_VSPACE,
        "seL4_CapIRQControl" => crate::CAP_IRQ_CONTROL,
        "seL4_CapASIDControl" => crate::CAP_ASID_CONTROL,
        "seL4_CapInitThreadASIDPool" => crate::CAP_INIT_THREAD_ASID_POOL,
        "seL4_CapBootInfoFrame" => crate::CAP_BOOT_INFO_FRAME,
        "seL4_CapInitThreadIPCBuffer" => crate::CAP_INIT_THREAD_IPC_BUFFER,
        "seL4_CapDomain" => crate::CAP_DOMAIN,
        "seLVM_CapInitThreadModule" => crate::vm::CAP_INIT_THREAD_MODULE,
        "seLVM_CapInitThreadRegisterStack" => crate::vm::CAP_INIT_THREAD_REGISTER_STACK,
        "seL4_NoError" => 0,
        "BootInfo.ipcBuffer" => offset_of!(BootInfo, ipc_buffer) as u64,
        "BootInfo.empty" => offset_of!(BootInfo, empty) as u64,
        "BootInfo.untyped" => offset_of!(BootInfo, untyped) as u64,
        "BootInfo.untypedList" => offset_of!(BootInfo, untyped_list) as u64,
        "UntypedDesc.size" => size_of::<UntypedDesc>() as u64,
        "UntypedDesc.sizeBits" => offset_of!(UntypedDesc, size_bits) as u64,
        "UntypedDesc.isDevice" => offset_of!(UntypedDesc, is_device) as u64,
        _ => {
            return Error::ALL
                .iter()
                .find(|e| e.name() == name)
                .and_then(|e| word(e.word()));
        }
    };
    word(value)
}

/// The table row named `name` (generic, riscv64 or vm).
fn spec(name: &str) -> Option<&'static crate::InvocationSpec> {
    INVOCATION_SPECS
        .iter()
        .chain(VM_INVOCATION_SPECS)
        .find(|s| s.name == name)
}

/// seL4's name of a system call without `seL4_Sys` (`Call`, `NBSend`, `DebugPutChar`).
fn syscall_name(s: Syscall) -> &'static str {
    match s {
        Syscall::Call => "Call",
        Syscall::ReplyRecv => "ReplyRecv",
        Syscall::Send => "Send",
        Syscall::NBSend => "NBSend",
        Syscall::Recv => "Recv",
        Syscall::Reply => "Reply",
        Syscall::Yield => "Yield",
        Syscall::NBRecv => "NBRecv",
        Syscall::DebugPutChar => "DebugPutChar",
        Syscall::DebugDumpScheduler => "DebugDumpScheduler",
        Syscall::DebugHalt => "DebugHalt",
        Syscall::DebugCapIdentify => "DebugCapIdentify",
        Syscall::DebugSnapshot => "DebugSnapshot",
        Syscall::DebugNameThread => "DebugNameThread",
        Syscall::SetTlsBase => "SetTLSBase",
    }
}

/// The byte offset of an IPC buffer field: `mrN`, `capN`, `receiveCNode`,
/// `receiveIndex`, `receiveDepth`.
fn ipc_buffer_offset(field: &str) -> Option<usize> {
    // `prefix` then a decimal index below `count`, written without leading zeros.
    let index = |prefix: &str, count: usize| {
        let digits = field.strip_prefix(prefix)?;
        let canonical = digits == "0" || !digits.starts_with('0');
        let i = digits.parse::<usize>().ok()?;
        (canonical && i < count).then_some(i)
    };
    if let Some(i) = index("mr", crate::MSG_MAX_LENGTH) {
        return Some(offsets::msg(i));
    }
    if let Some(i) = index("cap", crate::MSG_MAX_EXTRA_CAPS) {
        return Some(offsets::cap_or_badge(i));
    }
    match field {
        "receiveCNode" => Some(offsets::RECEIVE_CNODE),
        "receiveIndex" => Some(offsets::RECEIVE_INDEX),
        "receiveDepth" => Some(offsets::RECEIVE_DEPTH),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_give_abis_numbers() {
        assert_eq!(lookup("seL4_SysCall"), Some(0xffff));
        assert_eq!(lookup("seL4_SysDebugHalt"), Some(0xfff5));
        assert_eq!(lookup("UntypedRetype"), Some(1));
        // Label 1, one extra cap, six MRs: the word the programs wrote as 0x1086.
        assert_eq!(lookup("UntypedRetype.info"), Some(0x1086));
        assert_eq!(lookup("PageMap.info"), Some(0x20083));
        assert_eq!(lookup("IrqAckIrq.info"), Some(0x1a000));
        assert_eq!(lookup("TcbSetMemory"), Some(43));
        assert_eq!(lookup("seL4_RISCV_4K_Page"), Some(6));
        assert_eq!(lookup("seL4_CapInitThreadCNode"), Some(2));
        assert_eq!(lookup("seL4_FailedLookup"), Some(6));
        assert_eq!(lookup("IPCBuffer.mr4"), Some(40));
        assert_eq!(lookup("IPCBuffer.cap0"), Some(976));
        assert_eq!(lookup("BootInfo.untyped"), Some(152));
        assert_eq!(lookup("BootInfo.untypedList"), Some(168));
        assert_eq!(lookup("UntypedDesc.isDevice"), Some(9));
        for bad in [
            "IPCBuffer.mr120",
            "IPCBuffer.cap3",
            "IPCBuffer.mr01",
            "Nope",
            "seL4_SysNope",
            "Nope.info",
        ] {
            assert_eq!(lookup(bad), None, "{bad}");
        }
    }

    #[test]
    fn every_label_and_syscall_has_a_name() {
        for s in INVOCATION_SPECS.iter().chain(VM_INVOCATION_SPECS) {
            assert_eq!(lookup(s.name), Some(i128::from(s.label)), "{}", s.name);
            assert!(
                lookup(&std::format!("{}.info", s.name)).is_some(),
                "{}",
                s.name
            );
        }
        for s in Syscall::ALL {
            let name = std::format!("seL4_Sys{}", syscall_name(s));
            assert_eq!(lookup(&name), Some(i128::from(syscall_code(s))), "{name}");
        }
    }
}
