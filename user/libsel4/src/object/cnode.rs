//! CNode invocations (labels 16–24). The invoked CNode cap is the destination root;
//! every slot is named by (index, depth), resolved to exactly `depth` bits.

use selvm_abi::args::{
    CNodeCancelBadgedSends, CNodeCopy, CNodeDelete, CNodeMint, CNodeMove, CNodeMutate, CNodeRevoke,
    CNodeRotate, CNodeSaveCaller,
};
use selvm_abi::{CPtr, CapRights, Error, Word};

use super::api;

api! {
    /// The CNode invocations on any backend.
    pub trait CNodeOps;

    /// Deletes every descendant of the cap at (index, depth).
    pub fn revoke(b, service: CPtr, index: CPtr, depth: Word) -> Result<(), Error> {
        b.call(service, &CNodeRevoke { index, depth }, &mut []).map(drop)
    }

    /// Deletes the cap at (index, depth).
    pub fn delete(b, service: CPtr, index: CPtr, depth: Word) -> Result<(), Error> {
        b.call(service, &CNodeDelete { index, depth }, &mut []).map(drop)
    }

    /// Cancels pending sends carrying the badge of the endpoint cap at (index, depth).
    pub fn cancel_badged_sends(b, service: CPtr, index: CPtr, depth: Word) -> Result<(), Error> {
        b.call(service, &CNodeCancelBadgedSends { index, depth }, &mut []).map(drop)
    }

    /// Copies the cap at (`src_index`, `src_depth`) of `src_root` to (`dest_index`,
    /// `dest_depth`), with at most `rights`.
    #[allow(clippy::too_many_arguments)]
    pub fn copy(
        b,
        service: CPtr,
        dest_index: CPtr,
        dest_depth: Word,
        src_root: CPtr,
        src_index: CPtr,
        src_depth: Word,
        rights: CapRights,
    ) -> Result<(), Error> {
        let msg = CNodeCopy {
            dest_index,
            dest_depth,
            src_root,
            src_index,
            src_depth,
            rights,
        };
        b.call(service, &msg, &mut []).map(drop)
    }

    /// As [`copy`], also setting a badge (or guard data).
    #[allow(clippy::too_many_arguments)]
    pub fn mint(
        b,
        service: CPtr,
        dest_index: CPtr,
        dest_depth: Word,
        src_root: CPtr,
        src_index: CPtr,
        src_depth: Word,
        rights: CapRights,
        badge: Word,
    ) -> Result<(), Error> {
        let msg = CNodeMint {
            dest_index,
            dest_depth,
            src_root,
            src_index,
            src_depth,
            rights,
            badge,
        };
        b.call(service, &msg, &mut []).map(drop)
    }

    /// Moves a cap.
    pub fn move_(
        b,
        service: CPtr,
        dest_index: CPtr,
        dest_depth: Word,
        src_root: CPtr,
        src_index: CPtr,
        src_depth: Word,
    ) -> Result<(), Error> {
        let msg = CNodeMove {
            dest_index,
            dest_depth,
            src_root,
            src_index,
            src_depth,
        };
        b.call(service, &msg, &mut []).map(drop)
    }

    /// Moves a cap, changing its badge or guard to `data`.
    #[allow(clippy::too_many_arguments)]
    pub fn mutate(
        b,
        service: CPtr,
        dest_index: CPtr,
        dest_depth: Word,
        src_root: CPtr,
        src_index: CPtr,
        src_depth: Word,
        data: Word,
    ) -> Result<(), Error> {
        let msg = CNodeMutate {
            dest_index,
            dest_depth,
            src_root,
            src_index,
            src_depth,
            badge: data,
        };
        b.call(service, &msg, &mut []).map(drop)
    }

    /// Moves the pivot cap to the destination and the source cap to the pivot's slot, each
    /// with new data: `pivot_data` for the cap leaving the pivot, `src_data` for the cap
    /// leaving the source (seL4's `dest_badge` and `pivot_badge`).
    #[allow(clippy::too_many_arguments)]
    pub fn rotate(
        b,
        service: CPtr,
        dest_index: CPtr,
        dest_depth: Word,
        pivot_root: CPtr,
        pivot_index: CPtr,
        pivot_depth: Word,
        pivot_data: Word,
        src_root: CPtr,
        src_index: CPtr,
        src_depth: Word,
        src_data: Word,
    ) -> Result<(), Error> {
        let msg = CNodeRotate {
            dest_index,
            dest_depth,
            dest_badge: pivot_data,
            pivot_root,
            pivot_index,
            pivot_depth,
            pivot_badge: src_data,
            src_root,
            src_index,
            src_depth,
        };
        b.call(service, &msg, &mut []).map(drop)
    }

    /// Moves the reply cap from the caller slot to (index, depth).
    pub fn save_caller(b, service: CPtr, index: CPtr, depth: Word) -> Result<(), Error> {
        b.call(service, &CNodeSaveCaller { index, depth }, &mut []).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::object::testing::*;

    #[test]
    fn slot_invocations() {
        // SEL4-FACTS: Revoke 16, Delete 17, CancelBadgedSends 18, SaveCaller 24; index,
        // depth in MR0, MR1.
        assert_eq!(revoke(2, 40, 64), Ok(()));
        expect(2, 16, &[40, 64], &[]);
        assert_eq!(delete(2, 41, 64), Ok(()));
        expect(2, 17, &[41, 64], &[]);
        assert_eq!(cancel_badged_sends(2, 42, 64), Ok(()));
        expect(2, 18, &[42, 64], &[]);
        assert_eq!(save_caller(2, 43, 64), Ok(()));
        expect(2, 24, &[43, 64], &[]);
    }

    #[test]
    fn copy_family() {
        // Copy 19, Mint 20, Move 21, Mutate 22: srcIndex, srcDepth in MR2, MR3, the
        // source root as extra cap 0; Copy adds rights, Mint rights and badge, Mutate data.
        let rw = CapRights::new(false, false, true, true);
        assert_eq!(copy(2, 50, 64, 2, 16, 64, rw), Ok(()));
        expect(2, 19, &[50, 64, 16, 64, 3], &[2]);
        let all = CapRights::new(true, true, true, true);
        assert_eq!(mint(2, 51, 64, 2, 16, 64, all, 0x55), Ok(()));
        expect(2, 20, &[51, 64, 16, 64, 15, 0x55], &[2]);
        assert_eq!(move_(2, 52, 64, 3, 17, 32), Ok(()));
        expect(2, 21, &[52, 64, 17, 32], &[3]);
        assert_eq!(mutate(2, 53, 64, 2, 18, 64, 9), Ok(()));
        expect(2, 22, &[53, 64, 18, 64, 9], &[2]);
        answer(8, &[]);
        assert_eq!(copy(2, 50, 64, 2, 16, 64, rw), Err(Error::DeleteFirst));
        sent_one();
    }

    #[test]
    fn rotate_encoding() {
        // Rotate 23: dest index/depth, pivot data/index/depth, src data/index/depth;
        // pivot root and src root as extra caps 0 and 1.
        assert_eq!(rotate(2, 60, 64, 2, 61, 64, 7, 3, 62, 32, 8), Ok(()));
        expect(2, 23, &[60, 64, 7, 61, 64, 8, 62, 32], &[2, 3]);
    }
}
