//! The domain cap's invocation: DomainSet_Set (label 29).

use selvm_abi::{CPtr, Error, InvocationLabel as L, Word};

use super::invoke_label;

/// Puts `thread` in scheduling domain `domain`. MR0 domain; the thread as extra cap 0.
pub fn set(service: CPtr, domain: Word, thread: CPtr) -> Result<(), Error> {
    invoke_label(service, L::DomainSetSet, &[domain], &[thread]).map(drop)
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
