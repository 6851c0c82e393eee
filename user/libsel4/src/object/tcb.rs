//! TCB invocations (labels 2–15): registers, configuration, scheduling parameters,
//! suspend/resume, notification binding, TLS base.

use selvm_abi::args::{
    TcbBindNotification, TcbConfigure, TcbCopyRegisters, TcbReadRegisters, TcbResume,
    TcbSetIpcBuffer, TcbSetMcPriority, TcbSetPriority, TcbSetSchedParams, TcbSetSpace,
    TcbSetTlsBase, TcbSuspend, TcbUnbindNotification, TcbWriteRegisters,
};
use selvm_abi::{CPtr, Error, MSG_MAX_LENGTH, Word};

use super::api;

api! {
    /// The TCB invocations on any backend.
    pub trait TcbOps;

    /// Reads the first `regs.len()` words of the thread's user context (transfer order)
    /// into `regs`; `suspend_source` suspends it first. `regs` is untouched on an error.
    pub fn read_registers(
        b,
        service: CPtr,
        suspend_source: bool,
        arch_flags: u8,
        regs: &mut [Word],
    ) -> Result<(), Error> {
        let msg = TcbReadRegisters {
            flags: TcbReadRegisters::flags(suspend_source, arch_flags),
            count: regs.len() as Word,
        };
        let mut words = [0; MSG_MAX_LENGTH];
        let n = regs.len().min(MSG_MAX_LENGTH);
        b.call(service, &msg, &mut words[..n])?;
        regs[..n].copy_from_slice(&words[..n]);
        Ok(())
    }

    /// Writes the first `regs.len()` (at most 118, what fits a message) words of the
    /// thread's user context; `resume_target` resumes it afterwards.
    pub fn write_registers(
        b,
        service: CPtr,
        resume_target: bool,
        arch_flags: u8,
        regs: &[Word],
    ) -> Result<(), Error> {
        let count = regs.len().min(MSG_MAX_LENGTH - TcbWriteRegisters::REGS);
        let msg = TcbWriteRegisters {
            flags: TcbWriteRegisters::flags(resume_target, arch_flags),
            count: count as Word,
            regs: &regs[..count],
        };
        b.call(service, &msg, &mut []).map(drop)
    }

    /// Copies registers from `source` to the thread: the frame registers, the integer
    /// registers or both; `suspend_source` and `resume_target` as named.
    #[allow(clippy::too_many_arguments)]
    pub fn copy_registers(
        b,
        service: CPtr,
        source: CPtr,
        suspend_source: bool,
        resume_target: bool,
        transfer_frame: bool,
        transfer_integer: bool,
        arch_flags: u8,
    ) -> Result<(), Error> {
        let flags = TcbCopyRegisters::flags(
            suspend_source,
            resume_target,
            transfer_frame,
            transfer_integer,
            arch_flags,
        );
        b.call(service, &TcbCopyRegisters { flags, source }, &mut []).map(drop)
    }

    /// Sets fault endpoint, CSpace, VSpace and IPC buffer at once.
    #[allow(clippy::too_many_arguments)]
    pub fn configure(
        b,
        service: CPtr,
        fault_ep: CPtr,
        cspace_root: CPtr,
        cspace_root_data: Word,
        vspace_root: CPtr,
        vspace_root_data: Word,
        buffer: Word,
        buffer_frame: CPtr,
    ) -> Result<(), Error> {
        let msg = TcbConfigure {
            fault_ep,
            cspace_root_data,
            vspace_root_data,
            buffer,
            cspace_root,
            vspace_root,
            buffer_frame,
        };
        b.call(service, &msg, &mut []).map(drop)
    }

    /// Sets the priority, checked against `authority`'s MCP.
    pub fn set_priority(b, service: CPtr, authority: CPtr, priority: Word) -> Result<(), Error> {
        let msg = TcbSetPriority {
            priority,
            authority,
        };
        b.call(service, &msg, &mut []).map(drop)
    }

    /// Sets the maximum controlled priority, checked against `authority`'s MCP.
    pub fn set_mc_priority(b, service: CPtr, authority: CPtr, mcp: Word) -> Result<(), Error> {
        b.call(service, &TcbSetMcPriority { mcp, authority }, &mut []).map(drop)
    }

    /// Sets MCP and priority, checked against `authority`'s MCP.
    pub fn set_sched_params(
        b,
        service: CPtr,
        authority: CPtr,
        mcp: Word,
        priority: Word,
    ) -> Result<(), Error> {
        let msg = TcbSetSchedParams {
            mcp,
            priority,
            authority,
        };
        b.call(service, &msg, &mut []).map(drop)
    }

    /// Sets the IPC buffer: its address and the frame holding it.
    pub fn set_ipc_buffer(b, service: CPtr, buffer: Word, buffer_frame: CPtr) -> Result<(), Error> {
        let msg = TcbSetIpcBuffer {
            buffer,
            buffer_frame,
        };
        b.call(service, &msg, &mut []).map(drop)
    }

    /// Sets fault endpoint, CSpace and VSpace.
    pub fn set_space(
        b,
        service: CPtr,
        fault_ep: CPtr,
        cspace_root: CPtr,
        cspace_root_data: Word,
        vspace_root: CPtr,
        vspace_root_data: Word,
    ) -> Result<(), Error> {
        let msg = TcbSetSpace {
            fault_ep,
            cspace_root_data,
            vspace_root_data,
            cspace_root,
            vspace_root,
        };
        b.call(service, &msg, &mut []).map(drop)
    }

    /// Suspends the thread.
    pub fn suspend(b, service: CPtr) -> Result<(), Error> {
        b.call(service, &TcbSuspend {}, &mut []).map(drop)
    }

    /// Resumes the thread.
    pub fn resume(b, service: CPtr) -> Result<(), Error> {
        b.call(service, &TcbResume {}, &mut []).map(drop)
    }

    /// Binds a notification to the thread.
    pub fn bind_notification(b, service: CPtr, notification: CPtr) -> Result<(), Error> {
        b.call(service, &TcbBindNotification { notification }, &mut []).map(drop)
    }

    /// Unbinds the thread's notification.
    pub fn unbind_notification(b, service: CPtr) -> Result<(), Error> {
        b.call(service, &TcbUnbindNotification {}, &mut []).map(drop)
    }

    /// Sets the TLS base register.
    pub fn set_tls_base(b, service: CPtr, tls_base: Word) -> Result<(), Error> {
        b.call(service, &TcbSetTlsBase { tls_base }, &mut []).map(drop)
    }
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
