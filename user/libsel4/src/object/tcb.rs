//! TCB invocations (labels 2–15): registers, configuration, scheduling parameters,
//! suspend/resume, notification binding, TLS base.

use selvm_abi::{CPtr, Error, InvocationLabel as L, MSG_MAX_LENGTH, Word};

use super::invoke_label;
use crate::ipc;

/// Reads the first `regs.len()` words of the thread's user context (transfer order) into
/// `regs`; `suspend_source` suspends it first. MR0 flags (bit 0 suspend, bits 8.. arch
/// flags), MR1 count; the reply's MRs are the registers.
pub fn read_registers(
    service: CPtr,
    suspend_source: bool,
    arch_flags: u8,
    regs: &mut [Word],
) -> Result<(), Error> {
    let flags = Word::from(suspend_source) | Word::from(arch_flags) << 8;
    invoke_label(
        service,
        L::TcbReadRegisters,
        &[flags, regs.len() as Word],
        &[],
    )?;
    for (i, r) in regs.iter_mut().enumerate() {
        *r = ipc::get_mr(i);
    }
    Ok(())
}

/// Writes the first `regs.len()` (at most 118) words of the thread's user context;
/// `resume_target` resumes it afterwards. MR0 flags (bit 0 resume, bits 8.. arch flags),
/// MR1 count, then the registers.
pub fn write_registers(
    service: CPtr,
    resume_target: bool,
    arch_flags: u8,
    regs: &[Word],
) -> Result<(), Error> {
    let count = regs.len().min(MSG_MAX_LENGTH - 2);
    let mut mrs = [0; MSG_MAX_LENGTH];
    mrs[0] = Word::from(resume_target) | Word::from(arch_flags) << 8;
    mrs[1] = count as Word;
    mrs[2..2 + count].copy_from_slice(&regs[..count]);
    invoke_label(service, L::TcbWriteRegisters, &mrs[..2 + count], &[]).map(drop)
}

/// Copies registers from `source` to the thread. MR0 flags: bit 0 suspend source, bit 1
/// resume target, bit 2 frame registers, bit 3 integer registers, bits 8.. arch flags;
/// `source` as extra cap 0.
#[allow(clippy::too_many_arguments)]
pub fn copy_registers(
    service: CPtr,
    source: CPtr,
    suspend_source: bool,
    resume_target: bool,
    transfer_frame: bool,
    transfer_integer: bool,
    arch_flags: u8,
) -> Result<(), Error> {
    let flags = Word::from(suspend_source)
        | Word::from(resume_target) << 1
        | Word::from(transfer_frame) << 2
        | Word::from(transfer_integer) << 3
        | Word::from(arch_flags) << 8;
    invoke_label(service, L::TcbCopyRegisters, &[flags], &[source]).map(drop)
}

/// Sets fault endpoint, CSpace, VSpace and IPC buffer at once. MR0 fault endpoint, MR1
/// CSpace root data, MR2 VSpace root data, MR3 buffer address; extra caps CSpace root,
/// VSpace root, buffer frame.
#[allow(clippy::too_many_arguments)]
pub fn configure(
    service: CPtr,
    fault_ep: CPtr,
    cspace_root: CPtr,
    cspace_root_data: Word,
    vspace_root: CPtr,
    vspace_root_data: Word,
    buffer: Word,
    buffer_frame: CPtr,
) -> Result<(), Error> {
    let mrs = [fault_ep, cspace_root_data, vspace_root_data, buffer];
    invoke_label(
        service,
        L::TcbConfigure,
        &mrs,
        &[cspace_root, vspace_root, buffer_frame],
    )
    .map(drop)
}

/// Sets the priority, checked against `authority`'s MCP. MR0 priority; authority as
/// extra cap 0.
pub fn set_priority(service: CPtr, authority: CPtr, priority: Word) -> Result<(), Error> {
    invoke_label(service, L::TcbSetPriority, &[priority], &[authority]).map(drop)
}

/// Sets the maximum controlled priority. MR0 MCP; authority as extra cap 0.
pub fn set_mc_priority(service: CPtr, authority: CPtr, mcp: Word) -> Result<(), Error> {
    invoke_label(service, L::TcbSetMcPriority, &[mcp], &[authority]).map(drop)
}

/// Sets MCP and priority. MR0 MCP, MR1 priority; authority as extra cap 0.
pub fn set_sched_params(
    service: CPtr,
    authority: CPtr,
    mcp: Word,
    priority: Word,
) -> Result<(), Error> {
    invoke_label(
        service,
        L::TcbSetSchedParams,
        &[mcp, priority],
        &[authority],
    )
    .map(drop)
}

/// Sets the IPC buffer. MR0 address; the frame as extra cap 0.
pub fn set_ipc_buffer(service: CPtr, buffer: Word, buffer_frame: CPtr) -> Result<(), Error> {
    invoke_label(service, L::TcbSetIpcBuffer, &[buffer], &[buffer_frame]).map(drop)
}

/// Sets fault endpoint, CSpace and VSpace. MR0 fault endpoint, MR1 CSpace root data,
/// MR2 VSpace root data; extra caps CSpace root, VSpace root.
pub fn set_space(
    service: CPtr,
    fault_ep: CPtr,
    cspace_root: CPtr,
    cspace_root_data: Word,
    vspace_root: CPtr,
    vspace_root_data: Word,
) -> Result<(), Error> {
    let mrs = [fault_ep, cspace_root_data, vspace_root_data];
    invoke_label(service, L::TcbSetSpace, &mrs, &[cspace_root, vspace_root]).map(drop)
}

/// Suspends the thread.
pub fn suspend(service: CPtr) -> Result<(), Error> {
    invoke_label(service, L::TcbSuspend, &[], &[]).map(drop)
}

/// Resumes the thread.
pub fn resume(service: CPtr) -> Result<(), Error> {
    invoke_label(service, L::TcbResume, &[], &[]).map(drop)
}

/// Binds a notification to the thread; the notification as extra cap 0.
pub fn bind_notification(service: CPtr, notification: CPtr) -> Result<(), Error> {
    invoke_label(service, L::TcbBindNotification, &[], &[notification]).map(drop)
}

/// Unbinds the thread's notification.
pub fn unbind_notification(service: CPtr) -> Result<(), Error> {
    invoke_label(service, L::TcbUnbindNotification, &[], &[]).map(drop)
}

/// Sets the TLS base register. MR0 the base.
pub fn set_tls_base(service: CPtr, tls_base: Word) -> Result<(), Error> {
    invoke_label(service, L::TcbSetTlsBase, &[tls_base], &[]).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::object::testing::*;

    #[test]
    fn register_invocations() {
        // SEL4-FACTS labels: ReadRegisters 2, WriteRegisters 3, CopyRegisters 4.
        answer(0, &[10, 20, 30]);
        let mut regs = [0; 3];
        assert_eq!(read_registers(7, true, 0, &mut regs), Ok(()));
        assert_eq!(regs, [10, 20, 30]);
        expect(7, 2, &[1, 3], &[]);
        assert_eq!(write_registers(7, true, 0, &[5, 6]), Ok(()));
        expect(7, 3, &[1, 2, 5, 6], &[]);
        assert_eq!(write_registers(7, false, 0, &[1; 200]), Ok(()));
        let s = sent_one();
        assert_eq!((s.info.length(), s.mrs[1]), (120, 118));
        assert_eq!(copy_registers(7, 8, true, false, true, true, 0), Ok(()));
        expect(7, 4, &[0b1101], &[8]);
        answer(4, &[1, 11]);
        assert_eq!(
            read_registers(7, false, 0, &mut [0; 12]),
            Err(Error::RangeError)
        );
        expect(7, 2, &[0, 12], &[]);
    }

    #[test]
    fn configuration_invocations() {
        // Configure 5, SetPriority 6, SetMCPriority 7, SetSchedParams 8, SetIPCBuffer 9,
        // SetSpace 10.
        assert_eq!(configure(1, 30, 2, 0, 3, 0, 0x2000, 10), Ok(()));
        expect(1, 5, &[30, 0, 0, 0x2000], &[2, 3, 10]);
        assert_eq!(set_priority(1, 1, 254), Ok(()));
        expect(1, 6, &[254], &[1]);
        assert_eq!(set_mc_priority(1, 1, 200), Ok(()));
        expect(1, 7, &[200], &[1]);
        assert_eq!(set_sched_params(1, 1, 200, 100), Ok(()));
        expect(1, 8, &[200, 100], &[1]);
        assert_eq!(set_ipc_buffer(1, 0x3000, 10), Ok(()));
        expect(1, 9, &[0x3000], &[10]);
        assert_eq!(set_space(1, 30, 2, 0x34, 3, 0), Ok(()));
        expect(1, 10, &[30, 0x34, 0], &[2, 3]);
    }

    #[test]
    fn state_invocations() {
        // Suspend 11, Resume 12, BindNotification 13, UnbindNotification 14, SetTLSBase 15.
        assert_eq!(suspend(4), Ok(()));
        expect(4, 11, &[], &[]);
        assert_eq!(resume(4), Ok(()));
        expect(4, 12, &[], &[]);
        assert_eq!(bind_notification(4, 9), Ok(()));
        expect(4, 13, &[], &[9]);
        assert_eq!(unbind_notification(4), Ok(()));
        expect(4, 14, &[], &[]);
        assert_eq!(set_tls_base(4, 0xabc), Ok(()));
        expect(4, 15, &[0xabc], &[]);
        answer(3, &[]);
        assert_eq!(resume(4), Err(Error::IllegalOperation));
        expect(4, 12, &[], &[]);
    }
}
