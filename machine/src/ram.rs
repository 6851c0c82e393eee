//! The machine's physical memory and the memory back end over it: RAM on the heap
//! with the software MMU (every target), or, on Linux (x86_64), RAM in a memfd whose
//! frames the mmap back end maps into per-address-space host regions
//! (`crate::mapped`; docs/hosted.md, "The mmap back end").

use alloc::boxed::Box;
use alloc::vec::Vec;

/// How threads' loads and stores reach physical memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MemoryBackend {
    /// The software MMU: a TLB and page-table walks, every access checked.
    #[default]
    Soft,
    /// RAM in a memfd, frames mapped into a host region per address space: an
    /// access is a guarded host load or store (Linux on x86_64 only).
    Mmap,
}

impl MemoryBackend {
    /// The names the command line and `SELVM_MEMORY_BACKEND` use.
    pub const NAMES: [(&'static str, MemoryBackend); 2] =
        [("soft", MemoryBackend::Soft), ("mmap", MemoryBackend::Mmap)];

    /// The back end called `name`.
    pub fn from_name(name: &str) -> Option<MemoryBackend> {
        Self::NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|&(_, b)| b)
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            MemoryBackend::Soft => "soft",
            MemoryBackend::Mmap => "mmap",
        }
    }

    /// Whether this build and host have it.
    pub fn available(self) -> bool {
        self == MemoryBackend::Soft || cfg!(all(target_os = "linux", target_arch = "x86_64"))
    }

    /// The back end the environment asks for (`SELVM_MEMORY_BACKEND=mmap|soft`; unset:
    /// soft), so a test suite runs on either unchanged; an unknown value is an error
    /// naming it. Targets without an environment always give soft.
    pub fn from_env() -> Result<MemoryBackend, alloc::string::String> {
        #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
        {
            selvm_hostmem::mmap_from_env().map(|mmap| {
                if mmap {
                    MemoryBackend::Mmap
                } else {
                    MemoryBackend::Soft
                }
            })
        }
        #[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
        {
            Ok(MemoryBackend::Soft)
        }
    }
}

/// Physical memory: an allocation on the heap, or a memfd's mapping.
pub enum Ram {
    /// Words on the heap.
    Heap(Box<[u64]>),
    /// Words in a memfd, which regions map frames of.
    #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
    Memfd(selvm_hostmem::RamFile),
}

impl Ram {
    /// `words` moved into a memfd of the same size (for the mmap back end).
    pub fn into_memfd(self) -> Result<Ram, alloc::string::String> {
        #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
        {
            let bytes = self.len() as u64 * 8;
            let mut file = selvm_hostmem::RamFile::new(bytes).map_err(|e| {
                alloc::format!("cannot make the memfd for {bytes} bytes of RAM: {e}")
            })?;
            // A new memfd reads zeros: only pages holding something are copied (so
            // the usual all-zero RAM costs no copy and no host memory until used).
            for (to, from) in file.chunks_mut(512).zip(self.chunks(512)) {
                if from.iter().any(|&w| w != 0) {
                    to.copy_from_slice(from);
                }
            }
            Ok(Ram::Memfd(file))
        }
        #[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
        {
            let _ = self;
            Err("the mmap memory back end needs Linux on x86_64".into())
        }
    }

    /// The words as a heap allocation (a memfd's are copied).
    pub fn into_boxed(self) -> Box<[u64]> {
        match self {
            Ram::Heap(words) => words,
            #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
            Ram::Memfd(file) => Box::from(&file[..]),
        }
    }
}

impl core::ops::Deref for Ram {
    type Target = [u64];
    #[inline(always)]
    fn deref(&self) -> &[u64] {
        match self {
            Ram::Heap(words) => words,
            #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
            Ram::Memfd(file) => file,
        }
    }
}

impl core::ops::DerefMut for Ram {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut [u64] {
        match self {
            Ram::Heap(words) => words,
            #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
            Ram::Memfd(file) => file,
        }
    }
}

impl From<Box<[u64]>> for Ram {
    fn from(words: Box<[u64]>) -> Ram {
        Ram::Heap(words)
    }
}

impl From<Vec<u64>> for Ram {
    fn from(words: Vec<u64>) -> Ram {
        Ram::Heap(words.into_boxed_slice())
    }
}

#[cfg(all(test, target_os = "linux", target_arch = "x86_64"))]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn ram_moved_into_a_memfd_holds_the_same_words() {
        let mut words = vec![0u64; 4 * 512];
        words[3] = 7;
        words[3 * 512 + 100] = u64::MAX;
        let ram = Ram::from(words.clone()).into_memfd().unwrap();
        assert!(matches!(ram, Ram::Memfd(_)));
        assert_eq!(&ram[..], &words[..]);
        assert_eq!(&*ram.into_boxed(), &words[..]);
    }
}
