//! VSpace invocations, numbered as riscv64's (which the vm architecture shares): page
//! tables (30, 31), pages (32–34), ASID control (35) and ASID pools (36).

use selvm_abi::args::{
    AsidControlMakePool, AsidPoolAssign, PageGetAddress, PageMap, PageTableMap, PageTableUnmap,
    PageUnmap,
};
use selvm_abi::{CPtr, CapRights, Error, Word};

use super::api;

/// Page table invocations.
pub mod page_table {
    use super::*;

    api! {
        /// The page table invocations on any backend.
        pub trait PageTableOps;

        /// Maps the page table into `vspace` at `vaddr` with VM attributes `attr`.
        pub fn map(b, service: CPtr, vspace: CPtr, vaddr: Word, attr: Word) -> Result<(), Error> {
            b.call(service, &PageTableMap { vaddr, attr, vspace }, &mut []).map(drop)
        }

        /// Unmaps the page table.
        pub fn unmap(b, service: CPtr) -> Result<(), Error> {
            b.call(service, &PageTableUnmap {}, &mut []).map(drop)
        }
    }
}

/// Frame invocations.
pub mod page {
    use super::*;

    api! {
        /// The frame invocations on any backend.
        pub trait PageOps;

        /// Maps the frame into `vspace` at `vaddr` with `rights` and VM attributes `attr`.
        pub fn map(
            b,
            service: CPtr,
            vspace: CPtr,
            vaddr: Word,
            rights: CapRights,
            attr: Word,
        ) -> Result<(), Error> {
            let msg = PageMap {
                vaddr,
                rights,
                attr,
                vspace,
            };
            b.call(service, &msg, &mut []).map(drop)
        }

        /// Unmaps the frame.
        pub fn unmap(b, service: CPtr) -> Result<(), Error> {
            b.call(service, &PageUnmap {}, &mut []).map(drop)
        }

        /// The frame's physical address.
        pub fn get_address(b, service: CPtr) -> Result<Word, Error> {
            let mut reply = [0; PageGetAddress::REPLY_WORDS];
            b.call(service, &PageGetAddress {}, &mut reply)?;
            Ok(reply[PageGetAddress::REPLY_PADDR])
        }
    }
}

/// ASID control: making ASID pools.
pub mod asid_control {
    use super::*;

    api! {
        /// The ASID control invocation on any backend.
        pub trait AsidControlOps;

        /// Makes an ASID pool from `untyped` (4 KiB) into (index, depth) of `root`.
        pub fn make_pool(
            b,
            service: CPtr,
            untyped: CPtr,
            root: CPtr,
            index: CPtr,
            depth: Word,
        ) -> Result<(), Error> {
            let msg = AsidControlMakePool {
                index,
                depth,
                untyped,
                root,
            };
            b.call(service, &msg, &mut []).map(drop)
        }
    }
}

/// ASID pools: assigning ASIDs to VSpaces.
pub mod asid_pool {
    use super::*;

    api! {
        /// The ASID pool invocation on any backend.
        pub trait AsidPoolOps;

        /// Assigns an ASID from the pool to `vspace`.
        pub fn assign(b, service: CPtr, vspace: CPtr) -> Result<(), Error> {
            b.call(service, &AsidPoolAssign { vspace }, &mut []).map(drop)
        }
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
