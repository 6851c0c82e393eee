//! VSpace invocations, numbered as riscv64's (which the vm architecture shares): page
//! tables (30, 31), pages (32–34), ASID control (35) and ASID pools (36).

use selvm_abi::{CPtr, CapRights, Error, InvocationLabel as L, Word};

use super::invoke_label;

/// Page table invocations.
pub mod page_table {
    use super::*;

    /// Maps the page table into `vspace` at `vaddr`. MR0 vaddr, MR1 attributes; the
    /// VSpace root as extra cap 0.
    pub fn map(service: CPtr, vspace: CPtr, vaddr: Word, attr: Word) -> Result<(), Error> {
        invoke_label(service, L::PageTableMap, &[vaddr, attr], &[vspace]).map(drop)
    }

    /// Unmaps the page table.
    pub fn unmap(service: CPtr) -> Result<(), Error> {
        invoke_label(service, L::PageTableUnmap, &[], &[]).map(drop)
    }
}

/// Frame invocations.
pub mod page {
    use super::*;

    /// Maps the frame into `vspace` at `vaddr` with `rights`. MR0 vaddr, MR1 rights, MR2
    /// attributes; the VSpace root as extra cap 0.
    pub fn map(
        service: CPtr,
        vspace: CPtr,
        vaddr: Word,
        rights: CapRights,
        attr: Word,
    ) -> Result<(), Error> {
        invoke_label(
            service,
            L::PageMap,
            &[vaddr, rights.word(), attr],
            &[vspace],
        )
        .map(drop)
    }

    /// Unmaps the frame.
    pub fn unmap(service: CPtr) -> Result<(), Error> {
        invoke_label(service, L::PageUnmap, &[], &[]).map(drop)
    }

    /// The frame's physical address (reply MR0).
    pub fn get_address(service: CPtr) -> Result<Word, Error> {
        invoke_label(service, L::PageGetAddress, &[], &[])?;
        Ok(crate::ipc::get_mr(0))
    }
}

/// ASID control: making ASID pools.
pub mod asid_control {
    use super::*;

    /// Makes an ASID pool from `untyped` (4 KiB) into (index, depth) of `root`. MR0
    /// index, MR1 depth; the untyped and the root as extra caps 0 and 1.
    pub fn make_pool(
        service: CPtr,
        untyped: CPtr,
        root: CPtr,
        index: CPtr,
        depth: Word,
    ) -> Result<(), Error> {
        invoke_label(
            service,
            L::AsidControlMakePool,
            &[index, depth],
            &[untyped, root],
        )
        .map(drop)
    }
}

/// ASID pools: assigning ASIDs to VSpaces.
pub mod asid_pool {
    use super::*;

    /// Assigns an ASID from the pool to `vspace` (extra cap 0).
    pub fn assign(service: CPtr, vspace: CPtr) -> Result<(), Error> {
        invoke_label(service, L::AsidPoolAssign, &[], &[vspace]).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::object::testing::*;

    #[test]
    fn paging_encoding() {
        assert_eq!(page_table::map(80, 3, 0x4000_0000, 0), Ok(()));
        expect(80, 30, &[0x4000_0000, 0], &[3]);
        assert_eq!(page_table::unmap(80), Ok(()));
        expect(80, 31, &[], &[]);
        let rw = CapRights::new(false, false, true, true);
        assert_eq!(page::map(81, 3, 0x1_0000, rw, 0), Ok(()));
        expect(81, 32, &[0x1_0000, 3, 0], &[3]);
        assert_eq!(page::unmap(81), Ok(()));
        expect(81, 33, &[], &[]);
        answer(0, &[0x8000_2000]);
        assert_eq!(page::get_address(81), Ok(0x8000_2000));
        expect(81, 34, &[], &[]);
        answer(2, &[1]);
        assert_eq!(page::get_address(81), Err(Error::InvalidCapability));
        sent_one();
    }

    #[test]
    fn asid_encoding() {
        assert_eq!(asid_control::make_pool(5, 90, 2, 91, 64), Ok(()));
        expect(5, 35, &[91, 64], &[90, 2]);
        assert_eq!(asid_pool::assign(6, 3), Ok(()));
        expect(6, 36, &[], &[3]);
    }
}
