//! A test memory of 4 KiB pages that may be unmapped: shows the trait's contract for
//! accesses that cross pages (check every page first, then write) and lets tests map a
//! page after a fault and resume.

use selvm_vm::memory::{Access, Fault, Memory};

pub const PAGE: u64 = 4096;

pub struct PagedMemory {
    pub bytes: Vec<u8>,
    pub mapped: Vec<bool>,
}

impl PagedMemory {
    pub fn new(pages: usize) -> PagedMemory {
        PagedMemory {
            bytes: vec![0; pages * PAGE as usize],
            mapped: vec![true; pages],
        }
    }

    fn check_range(&self, address: u64, len: u64, access: Access) -> Result<(), Fault> {
        let end = address
            .checked_add(len)
            .filter(|&e| e <= self.bytes.len() as u64);
        let Some(end) = end else {
            return Err(Fault { address, access });
        };
        let mut page = address / PAGE;
        while page * PAGE < end.max(address + 1) {
            if !self.mapped[page as usize] {
                return Err(Fault {
                    address: (page * PAGE).max(address),
                    access,
                });
            }
            page += 1;
        }
        Ok(())
    }
}

impl Memory for PagedMemory {
    fn load<const N: usize>(&mut self, address: u64) -> Result<[u8; N], Fault> {
        self.check_range(address, N as u64, Access::Read)?;
        let a = address as usize;
        Ok(self.bytes[a..a + N].try_into().unwrap())
    }
    fn store<const N: usize>(&mut self, address: u64, bytes: [u8; N]) -> Result<(), Fault> {
        self.check_range(address, N as u64, Access::Write)?;
        let a = address as usize;
        self.bytes[a..a + N].copy_from_slice(&bytes);
        Ok(())
    }
    fn check(&mut self, address: u64, len: u64, access: Access) -> Result<(), Fault> {
        if len == 0 {
            return if address <= self.bytes.len() as u64 {
                Ok(())
            } else {
                Err(Fault { address, access })
            };
        }
        self.check_range(address, len, access)
    }
    fn copy(&mut self, dst: u64, src: u64, len: usize) -> Result<(), Fault> {
        self.check(src, len as u64, Access::Read)?;
        self.check(dst, len as u64, Access::Write)?;
        self.bytes
            .copy_within(src as usize..src as usize + len, dst as usize);
        Ok(())
    }
    fn fill(&mut self, dst: u64, byte: u8, len: usize) -> Result<(), Fault> {
        self.check(dst, len as u64, Access::Write)?;
        self.bytes[dst as usize..dst as usize + len].fill(byte);
        Ok(())
    }
    fn size(&self) -> u64 {
        self.bytes.len() as u64
    }
}
