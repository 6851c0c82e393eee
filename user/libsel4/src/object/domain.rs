//! The domain cap's invocation: DomainSet_Set (label 29).

use selvm_abi::args::DomainSetSet;
use selvm_abi::{CPtr, Error, Word};

use super::api;

api! {
    /// The domain cap's invocation on any backend.
    pub trait DomainOps;

    /// Puts `thread` in scheduling domain `domain`.
    pub fn set(b, service: CPtr, domain: Word, thread: CPtr) -> Result<(), Error> {
        b.call(service, &DomainSetSet { domain, thread }, &mut []).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::object::testing::*;

    #[test]
    fn set_encoding() {
        assert_eq!(set(11, 0, 1), Ok(()));
        expect(11, 29, &[0], &[1]);
        answer(1, &[0]);
        assert_eq!(set(11, 5, 1), Err(Error::InvalidArgument));
        expect(11, 29, &[5], &[1]);
    }
}
