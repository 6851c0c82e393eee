//! The loadable segments of an embedded ELF64 image, copied to where they belong.

use elf::ElfBytes;
use elf::abi::PT_LOAD;
use elf::endian::LittleEndian;

/// An ELF image the loader places in physical memory.
pub struct Image<'a> {
    elf: ElfBytes<'a, LittleEndian>,
    bytes: &'a [u8],
}

impl<'a> Image<'a> {
    /// Parses `bytes` as a little-endian ELF64 file.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, &'static str> {
        let elf =
            ElfBytes::<LittleEndian>::minimal_parse(bytes).map_err(|_| "not an ELF64 file")?;
        if elf.segments().is_none() {
            return Err("no program headers");
        }
        Ok(Image { elf, bytes })
    }

    /// The entry point (a virtual address).
    pub fn entry(&self) -> u64 {
        self.elf.ehdr.e_entry
    }

    fn loads(&self) -> impl Iterator<Item = elf::segment::ProgramHeader> + '_ {
        self.elf
            .segments()
            .into_iter()
            .flatten()
            .filter(|p| p.p_type == PT_LOAD && p.p_memsz > 0)
    }

    /// Virtual minus physical address of its first loadable segment (a kernel linked
    /// high says there how its virtual addresses map to physical ones).
    pub fn virtual_offset(&self) -> u64 {
        self.loads()
            .next()
            .map_or(0, |p| p.p_vaddr.wrapping_sub(p.p_paddr))
    }

    /// The lowest and highest (exclusive) virtual address of its loadable segments.
    pub fn virtual_span(&self) -> (u64, u64) {
        let start = self.loads().map(|p| p.p_vaddr).min().unwrap_or(0) & !0xfff;
        let end = self
            .loads()
            .map(|p| p.p_vaddr + p.p_memsz)
            .max()
            .unwrap_or(0);
        (start, end)
    }

    /// Copies each loadable segment to `p_vaddr + offset` (physical) and zeroes the
    /// rest of its memory size.
    pub fn load_at(&self, offset: u64) -> Result<(), &'static str> {
        for p in self.loads() {
            self.copy(&p, p.p_vaddr.wrapping_add(offset))?;
        }
        Ok(())
    }

    /// Copies each loadable segment to its physical address; returns the highest
    /// physical address (exclusive) it covers.
    pub fn load_at_physical(&self) -> Result<u64, &'static str> {
        let mut end = 0;
        for p in self.loads() {
            self.copy(&p, p.p_paddr)?;
            end = end.max(p.p_paddr + p.p_memsz);
        }
        Ok(end)
    }

    fn copy(&self, p: &elf::segment::ProgramHeader, to: u64) -> Result<(), &'static str> {
        let file = self
            .bytes
            .get(p.p_offset as usize..(p.p_offset + p.p_filesz) as usize)
            .ok_or("a segment outside the file")?;
        if p.p_filesz > p.p_memsz {
            return Err("a segment larger in the file than in memory");
        }
        // SAFETY: `to .. to + p_memsz` is RAM above the loader (the kernel's physical
        // region, or the pages after the device tree) that no Rust object occupies;
        // `file` is the loader's own read-only data, which does not overlap it.
        unsafe {
            core::ptr::write_bytes(to as *mut u8, 0, p.p_memsz as usize);
            core::ptr::copy_nonoverlapping(file.as_ptr(), to as *mut u8, file.len());
        }
        Ok(())
    }
}
