//! CNode invocations (labels 16–24). The invoked CNode cap is the destination root;
//! every slot is named by (index, depth), resolved to exactly `depth` bits.

use selvm_abi::{CPtr, CapRights, Error, InvocationLabel as L, Word};

use super::invoke_label;

/// Deletes every descendant of the cap at (index, depth). MR0 index, MR1 depth.
pub fn revoke(service: CPtr, index: CPtr, depth: Word) -> Result<(), Error> {
    invoke_label(service, L::CNodeRevoke, &[index, depth], &[]).map(drop)
}

/// Deletes the cap at (index, depth).
pub fn delete(service: CPtr, index: CPtr, depth: Word) -> Result<(), Error> {
    invoke_label(service, L::CNodeDelete, &[index, depth], &[]).map(drop)
}

/// Cancels pending sends carrying the badge of the endpoint cap at (index, depth).
pub fn cancel_badged_sends(service: CPtr, index: CPtr, depth: Word) -> Result<(), Error> {
    invoke_label(service, L::CNodeCancelBadgedSends, &[index, depth], &[]).map(drop)
}

/// Copies the cap at (`src_index`, `src_depth`) of `src_root` to (`dest_index`,
/// `dest_depth`), with at most `rights`. MR0–MR3 dest index/depth, src index/depth, MR4
/// rights; `src_root` as extra cap 0.
pub fn copy(
    service: CPtr,
    dest_index: CPtr,
    dest_depth: Word,
    src_root: CPtr,
    src_index: CPtr,
    src_depth: Word,
    rights: CapRights,
) -> Result<(), Error> {
    let mrs = [dest_index, dest_depth, src_index, src_depth, rights.word()];
    invoke_label(service, L::CNodeCopy, &mrs, &[src_root]).map(drop)
}

/// As [`copy`], also setting a badge (or guard data): MR5 badge.
#[allow(clippy::too_many_arguments)]
pub fn mint(
    service: CPtr,
    dest_index: CPtr,
    dest_depth: Word,
    src_root: CPtr,
    src_index: CPtr,
    src_depth: Word,
    rights: CapRights,
    badge: Word,
) -> Result<(), Error> {
    let mrs = [
        dest_index,
        dest_depth,
        src_index,
        src_depth,
        rights.word(),
        badge,
    ];
    invoke_label(service, L::CNodeMint, &mrs, &[src_root]).map(drop)
}

/// Moves a cap. MR0–MR3 dest index/depth, src index/depth; `src_root` as extra cap 0.
pub fn move_(
    service: CPtr,
    dest_index: CPtr,
    dest_depth: Word,
    src_root: CPtr,
    src_index: CPtr,
    src_depth: Word,
) -> Result<(), Error> {
    let mrs = [dest_index, dest_depth, src_index, src_depth];
    invoke_label(service, L::CNodeMove, &mrs, &[src_root]).map(drop)
}

/// Moves a cap, changing its badge or guard: MR4 data.
pub fn mutate(
    service: CPtr,
    dest_index: CPtr,
    dest_depth: Word,
    src_root: CPtr,
    src_index: CPtr,
    src_depth: Word,
    data: Word,
) -> Result<(), Error> {
    let mrs = [dest_index, dest_depth, src_index, src_depth, data];
    invoke_label(service, L::CNodeMutate, &mrs, &[src_root]).map(drop)
}

/// Moves the pivot cap to the destination and the source cap to the pivot's slot, each
/// with new data. MR0 dest index, MR1 dest depth, MR2 pivot data, MR3 pivot index, MR4
/// pivot depth, MR5 src data, MR6 src index, MR7 src depth; extra caps pivot root, src
/// root.
#[allow(clippy::too_many_arguments)]
pub fn rotate(
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
    let mrs = [
        dest_index,
        dest_depth,
        pivot_data,
        pivot_index,
        pivot_depth,
        src_data,
        src_index,
        src_depth,
    ];
    invoke_label(service, L::CNodeRotate, &mrs, &[pivot_root, src_root]).map(drop)
}

/// Moves the reply cap from the caller slot to (index, depth).
pub fn save_caller(service: CPtr, index: CPtr, depth: Word) -> Result<(), Error> {
    invoke_label(service, L::CNodeSaveCaller, &[index, depth], &[]).map(drop)
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
