//! Untyped invocations: Retype.

use selvm_abi::args::UntypedRetype;
use selvm_abi::{CPtr, Error, Word};

use super::api;

api! {
    /// The Untyped invocation on any backend.
    pub trait UntypedOps;

    /// Creates `num_objects` objects of `object_type` (size `size_bits` where the type
    /// takes one) from `service`, into the CNode at (`node_index`, `node_depth`) of `root`
    /// (depth 0: `root` itself), starting at slot `node_offset`.
    #[allow(clippy::too_many_arguments)]
    pub fn retype(
        b,
        service: CPtr,
        object_type: Word,
        size_bits: Word,
        root: CPtr,
        node_index: CPtr,
        node_depth: Word,
        node_offset: Word,
        num_objects: Word,
    ) -> Result<(), Error> {
        let msg = UntypedRetype {
            object_type,
            size_bits,
            root,
            node_index,
            node_depth,
            node_offset,
            num_objects,
        };
        b.call(service, &msg, &mut []).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::object::testing::*;

    #[test]
    fn retype_encoding() {
        // SEL4-FACTS: label 1; type, size_bits, node index, node depth, node offset,
        // count; root CNode as extra cap 0. Endpoint is type 2.
        assert_eq!(retype(20, 2, 0, 2, 0, 0, 30, 4), Ok(()));
        expect(20, 1, &[2, 0, 0, 0, 30, 4], &[2]);
        answer(4, &[1, 256]);
        assert_eq!(retype(20, 4, 12, 2, 5, 64, 0, 300), Err(Error::RangeError));
        expect(20, 1, &[4, 12, 5, 64, 0, 300], &[2]);
    }
}
