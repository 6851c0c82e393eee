//! Object invocations: one module per object type, each invocation a typed function that
//! builds its message from `abi`'s invocation table (the argument structs of
//! `selvm_abi::args` and `selvm_abi::vm::args`: label, MR and extra-cap positions), sends
//! it through a backend and turns the reply's label into `Result<_, Error>`.
//!
//! A reply label that is no seL4 error code (possible when the cap is really an endpoint
//! and a server answers) is reported as `Error::IllegalOperation`; with the system-call
//! backend the reply's MRs stay in the IPC buffer for callers that want the details of
//! any error.
//!
//! ## Backends
//!
//! Every invocation goes through an [`Invoke`] backend: service cap, label, MRs and extra
//! caps in; the reply's label, its length and its first words out. The free functions
//! (`cnode::copy`, `tcb::resume`, …) use [`Syscalls`], which makes a `seL4_Call` through
//! the IPC buffer. Each module also has a trait (`cnode::CNodeOps`, `tcb::TcbOps`, …)
//! with the same functions as methods, implemented for every backend, so another backend
//! (a host calling `Kernel::invoke` directly, say) gets the whole API:
//!
//! ```ignore
//! struct Direct<'k> { kernel: &'k mut Kernel<…>, caller: Caller }
//! impl libsel4::Invoke for Direct<'_> {
//!     fn invoke(&mut self, service: CPtr, label: Word, mrs: &[Word], caps: &[CPtr],
//!               reply: &mut [Word]) -> libsel4::Answer { /* Kernel::invoke, map the Outcome */ }
//! }
//! use libsel4::UntypedOps;
//! direct.retype(untyped, ObjectType::Tcb.word(), 0, root, 0, 0, slot, 1)?;
//! // or any row of the table, typed:
//! direct.call(service, &selvm_abi::args::TcbResume {}, &mut [])?;
//! ```

pub mod cnode;
pub mod domain;
pub mod irq;
pub mod tcb;
pub mod untyped;
#[cfg(not(target_arch = "riscv64"))]
pub mod vm;
pub mod vspace;

pub use cnode::CNodeOps;
pub use domain::DomainOps;
pub use irq::IrqOps;
pub use tcb::TcbOps;
pub use untyped::UntypedOps;
#[cfg(not(target_arch = "riscv64"))]
pub use vm::{module::ModuleOps, vm_tcb::VmTcbOps};
pub use vspace::{
    asid_control::AsidControlOps, asid_pool::AsidPoolOps, page::PageOps, page_table::PageTableOps,
};

use selvm_abi::{CPtr, Error, Invocation, MessageInfo, Word};

use crate::{ipc, syscalls};

/// How a reply came back: its label (0 or an error code) and its length in words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Answer {
    /// The reply's label: 0 for success, else the error code.
    pub label: Word,
    /// The reply's message length in words.
    pub length: usize,
}

impl Answer {
    /// `Ok(length)` for label 0, else the error (`IllegalOperation` for a label that is
    /// no error code).
    pub fn result(self) -> Result<usize, Error> {
        match self.label {
            0 => Ok(self.length),
            code => Err(Error::from_word(code).unwrap_or(Error::IllegalOperation)),
        }
    }
}

/// Where invocations go: one call to a kernel object and its reply.
pub trait Invoke {
    /// Invokes `service` with `label`, message registers `mrs` and extra caps `caps`;
    /// copies the first words of the reply (at most `reply.len()`, at most its length)
    /// into `reply`, error or not.
    fn invoke(
        &mut self,
        service: CPtr,
        label: Word,
        mrs: &[Word],
        caps: &[CPtr],
        reply: &mut [Word],
    ) -> Answer;

    /// Sends a typed invocation of the table; `Ok(reply length)` on success, its first
    /// words in `reply`.
    fn call<M: Invocation>(
        &mut self,
        service: CPtr,
        msg: &M,
        reply: &mut [Word],
    ) -> Result<usize, Error> {
        let (mrs, caps) = (msg.mrs(), msg.caps());
        self.invoke(service, M::LABEL, mrs.as_ref(), caps.as_ref(), reply)
            .result()
    }
}

/// The default backend: `seL4_Call` with the message registers and extra caps in the
/// calling thread's IPC buffer (where the reply's words stay afterwards).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Syscalls;

impl Invoke for Syscalls {
    fn invoke(
        &mut self,
        service: CPtr,
        label: Word,
        mrs: &[Word],
        caps: &[CPtr],
        reply: &mut [Word],
    ) -> Answer {
        let info = send(service, label, mrs, caps);
        for (i, w) in reply.iter_mut().enumerate().take(info.length()) {
            *w = ipc::get_mr(i);
        }
        Answer {
            label: info.label(),
            length: info.length(),
        }
    }
}

/// Puts the message in the IPC buffer and Calls `service`: the reply's MessageInfo.
fn send(service: CPtr, label: Word, mrs: &[Word], caps: &[CPtr]) -> MessageInfo {
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
    syscalls::call(service, info)
}

/// Invokes `service` with any `label`, message words `mrs` and extra caps `caps` (a
/// message outside the table, such as a malformed one); the reply's MessageInfo on
/// success.
pub fn invoke(
    service: CPtr,
    label: Word,
    mrs: &[Word],
    caps: &[CPtr],
) -> Result<MessageInfo, Error> {
    let reply = send(service, label, mrs, caps);
    match reply.label() {
        0 => Ok(reply),
        code => Err(Error::from_word(code).unwrap_or(Error::IllegalOperation)),
    }
}

/// Defines one module's invocation functions once: as methods of the trait `$Trait`
/// (implemented for every [`Invoke`] backend, which the body names `$b`) and as free
/// functions of the same name and parameters that use [`Syscalls`].
macro_rules! api {
    (
        $(#[$trait_meta:meta])*
        pub trait $Trait:ident;
        $(
            $(#[$meta:meta])*
            pub fn $name:ident($b:ident, $($arg:ident: $ty:ty),* $(,)?) -> $ret:ty $body:block
        )*
    ) => {
        $(#[$trait_meta])*
        pub trait $Trait: $crate::object::Invoke {
            $(
                $(#[$meta])*
                fn $name(&mut self, $($arg: $ty),*) -> $ret {
                    let $b = self;
                    $body
                }
            )*
        }

        impl<B: $crate::object::Invoke + ?Sized> $Trait for B {}

        $(
            $(#[$meta])*
            pub fn $name($($arg: $ty),*) -> $ret {
                $Trait::$name(&mut $crate::object::Syscalls, $($arg),*)
            }
        )*
    };
}
pub(crate) use api;

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
    use crate::mock;

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

    /// A backend that records instead of calling: what another backend sees.
    #[derive(Default)]
    struct Recorder {
        sent: std::vec::Vec<(CPtr, Word, std::vec::Vec<Word>, std::vec::Vec<CPtr>)>,
    }

    impl Invoke for Recorder {
        fn invoke(
            &mut self,
            service: CPtr,
            label: Word,
            mrs: &[Word],
            caps: &[CPtr],
            reply: &mut [Word],
        ) -> Answer {
            self.sent
                .push((service, label, mrs.to_vec(), caps.to_vec()));
            reply.iter_mut().for_each(|w| *w = 0x8000_1000);
            Answer {
                label: 0,
                length: reply.len(),
            }
        }
    }

    #[test]
    fn another_backend_gets_the_same_messages() {
        let mut r = Recorder::default();
        assert_eq!(CNodeOps::delete(&mut r, 2, 41, 64), Ok(()));
        assert_eq!(r.retype(20, 2, 0, 2, 0, 0, 30, 4), Ok(()));
        assert_eq!(PageOps::get_address(&mut r, 81), Ok(0x8000_1000));
        assert_eq!(
            r.sent,
            [
                (2, 17, std::vec![41, 64], std::vec![]),
                (20, 1, std::vec![2, 0, 0, 0, 30, 4], std::vec![2]),
                (81, 34, std::vec![], std::vec![]),
            ]
        );
        assert!(mock::take_sent().is_empty(), "no system call was made");
    }
}
