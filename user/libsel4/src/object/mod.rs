//! Object invocations: one module per object type, each invocation a typed function that
//! marshals its arguments into MRs and extra caps as seL4 13.0.0 expects, Calls the
//! object's cap and turns the reply's label into `Result<_, Error>`.
//!
//! A reply label that is no seL4 error code (possible when the cap is really an endpoint
//! and a server answers) is reported as `Error::IllegalOperation`; the reply's MRs stay
//! in the IPC buffer for callers that want the details of any error.

pub mod cnode;
pub mod domain;
pub mod irq;
pub mod tcb;
pub mod untyped;
#[cfg(not(target_arch = "riscv64"))]
pub mod vm;
pub mod vspace;

use selvm_abi::{CPtr, Error, InvocationLabel, MessageInfo, Word};

use crate::{ipc, syscalls};

/// Invokes `service` with `label`, message words `mrs` and extra caps `caps`; the reply's
/// MessageInfo on success.
pub fn invoke(
    service: CPtr,
    label: Word,
    mrs: &[Word],
    caps: &[CPtr],
) -> Result<MessageInfo, Error> {
    for (i, &w) in mrs.iter().enumerate() {
        ipc::set_mr(i, w);
    }
    for (i, &c) in caps.iter().enumerate() {
        ipc::set_cap(i, c);
    }
    let info = MessageInfo::default()
        .with_label(label)
        .with_extra_caps(caps.len() as Word)
        .with_length(mrs.len() as Word);
    let reply = syscalls::call(service, info);
    match reply.label() {
        0 => Ok(reply),
        code => Err(Error::from_word(code).unwrap_or(Error::IllegalOperation)),
    }
}

/// [`invoke`] with a generic or riscv64 label.
pub(crate) fn invoke_label(
    service: CPtr,
    label: InvocationLabel,
    mrs: &[Word],
    caps: &[CPtr],
) -> Result<MessageInfo, Error> {
    invoke(service, label.word(), mrs, caps)
}

#[cfg(test)]
pub(crate) mod testing {
    //! Helpers for checking what one invocation sent.

    use crate::mock::{self, Reply, Sent};
    use selvm_abi::{Syscall, Word};
    use std::vec::Vec;

    /// The single call recorded since the last check; it must be a Call.
    pub fn sent_one() -> Sent {
        let mut sent = mock::take_sent();
        assert_eq!(sent.len(), 1, "{sent:?}");
        let s = sent.pop().unwrap();
        assert_eq!(s.syscall, Syscall::Call);
        s
    }

    /// Checks the service cap, label, MRs and extra caps of the last invocation.
    pub fn expect(service: Word, label: Word, mrs: &[Word], caps: &[Word]) {
        let s = sent_one();
        assert_eq!(s.cap, service, "service");
        assert_eq!(s.info.label(), label, "label");
        assert_eq!(s.mrs, mrs, "MRs");
        assert_eq!(s.caps, caps, "extra caps");
        assert_eq!(s.info.caps_unwrapped(), 0);
    }

    /// Queues a reply with `label` and `mrs`.
    pub fn answer(label: Word, mrs: &[Word]) {
        mock::push_reply(Reply {
            label,
            mrs: Vec::from(mrs),
            badge: 0,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;

    #[test]
    fn errors_come_from_the_reply_label() {
        answer(6, &[1, 2]);
        assert_eq!(invoke(1, 99, &[], &[]), Err(Error::FailedLookup));
        expect(1, 99, &[], &[]);
        assert_eq!(
            crate::ipc::get_mr(1),
            2,
            "the error's details stay readable"
        );
        answer(10, &[4096]);
        assert_eq!(invoke(1, 1, &[0; 6], &[2]), Err(Error::NotEnoughMemory));
        expect(1, 1, &[0; 6], &[2]);
        // Not an error code: a server's own label.
        answer(77, &[]);
        assert_eq!(invoke(5, 0, &[], &[]), Err(Error::IllegalOperation));
        expect(5, 0, &[], &[]);
        answer(0, &[3]);
        assert_eq!(invoke(5, 0, &[], &[]).map(|i| i.length()), Ok(1));
        sent_one();
    }
}
