//! Shared frames between co-located nodes: one file of [`PAGES`] pages under
//! `/dev/shm` that every node process of a cluster on this host maps (the same name,
//! from the cluster's identity, [`crate::config::ClusterConfig::frames_tag`]), which a
//! node's machine shows as its shared region's data frames. Page 0 is the allocation
//! table (one bit a page, taken and given back with compare-and-swap, so any node may
//! take a frame at any time); pages 1 to 255 are the frames. Memory the other
//! processes write is never behind a Rust reference: every access is an atomic one
//! through a raw pointer ([`SharedFrames::load`] Acquire, [`SharedFrames::store`]
//! Release; an aligned 2, 4 or 8 bytes as one access, anything else byte by byte). With
//! `unsafe` for the mapping and those accesses, like [`crate::shm`].

#![allow(unsafe_code)]

use crate::shm::Mapping;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU8, AtomicU16, AtomicU32, AtomicU64, Ordering};

/// Pages of the file: the allocation table and 255 frames.
pub const PAGES: u64 = 256;
const PAGE: u64 = 4096;
const BYTES: usize = (PAGES * PAGE) as usize;
/// The prefix of the file's name.
pub const PREFIX: &str = "selvm-frames-";

/// The mapped file.
pub struct SharedFrames {
    map: Mapping,
    path: PathBuf,
    _file: File,
}

/// The file of the cluster `tag` in `dir` (this user's).
pub fn path(dir: &Path, tag: &str) -> PathBuf {
    // SAFETY: geteuid has no preconditions.
    let uid = unsafe { libc::geteuid() };
    dir.join(format!("{PREFIX}{uid}-{tag}"))
}

impl SharedFrames {
    /// Opens (or makes) the cluster's file `PREFIX<uid>-<tag>` in `dir`: made with mode
    /// 0600, refused if a symlink, owned by another user or of another size.
    pub fn open(dir: &Path, tag: &str) -> io::Result<SharedFrames> {
        // SAFETY: geteuid has no preconditions.
        let uid = unsafe { libc::geteuid() };
        let path = path(dir, tag);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(&path)?;
        let meta = file.metadata()?;
        if meta.uid() != uid {
            return Err(io::Error::other("shared frames owned by another user"));
        }
        // A new file is empty: every node that finds it so sets the same length.
        if meta.len() == 0 {
            file.set_len(BYTES as u64)?;
        }
        let map = Mapping::of(&file, BYTES, "shared frames")?;
        Ok(SharedFrames {
            map,
            path,
            _file: file,
        })
    }

    /// Where the file is (for removing it when the cluster ends).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The table's word `i` (pages 64·i to 64·i + 63).
    fn table(&self, i: usize) -> &AtomicU64 {
        debug_assert!(i < (PAGES / 64) as usize);
        // SAFETY: inside page 0 of the mapping, 8-aligned; the mapping lives as long as
        // `self`; every access to the table, in every process, is atomic.
        unsafe { AtomicU64::from_ptr(self.map.base().add(8 * i).cast()) }
    }

    /// Reads `buf.len()` bytes at `offset` (a data page's bytes; others read 0).
    pub fn load(&self, offset: u64, buf: &mut [u8]) {
        let Some(p) = self.data(offset, buf.len()) else {
            return buf.fill(0);
        };
        // Acquire loads and Release stores (plain moves on x86): a node's stores are
        // seen in its order, as x86's total store order promises (docs/cluster.md).
        let o = Ordering::Acquire;
        // SAFETY: `data` checked that [offset, offset + len) lies in the mapping's
        // data pages; each arm's whole access is naturally aligned (checked by the
        // match), and all accesses to this memory, in every process, are atomic.
        unsafe {
            match buf.len() {
                8 if offset % 8 == 0 => {
                    buf.copy_from_slice(&AtomicU64::from_ptr(p.cast()).load(o).to_le_bytes())
                }
                4 if offset % 4 == 0 => {
                    buf.copy_from_slice(&AtomicU32::from_ptr(p.cast()).load(o).to_le_bytes())
                }
                2 if offset % 2 == 0 => {
                    buf.copy_from_slice(&AtomicU16::from_ptr(p.cast()).load(o).to_le_bytes())
                }
                _ => {
                    for (i, b) in buf.iter_mut().enumerate() {
                        *b = AtomicU8::from_ptr(p.add(i)).load(o);
                    }
                }
            }
        }
    }

    /// Writes `buf` at `offset` (a data page's bytes; elsewhere nothing).
    pub fn store(&self, offset: u64, buf: &[u8]) {
        let Some(p) = self.data(offset, buf.len()) else {
            return;
        };
        let o = Ordering::Release;
        let word = |n: usize| {
            let mut w = [0u8; 8];
            w[..n].copy_from_slice(buf);
            u64::from_le_bytes(w)
        };
        // SAFETY: as in `load`.
        unsafe {
            match buf.len() {
                8 if offset % 8 == 0 => AtomicU64::from_ptr(p.cast()).store(word(8), o),
                4 if offset % 4 == 0 => AtomicU32::from_ptr(p.cast()).store(word(4) as u32, o),
                2 if offset % 2 == 0 => AtomicU16::from_ptr(p.cast()).store(word(2) as u16, o),
                _ => {
                    for (i, &b) in buf.iter().enumerate() {
                        AtomicU8::from_ptr(p.add(i)).store(b, o);
                    }
                }
            }
        }
    }

    /// The address of `[offset, offset + len)` if it lies inside the data pages.
    fn data(&self, offset: u64, len: usize) -> Option<*mut u8> {
        let end = offset.checked_add(len as u64)?;
        if offset < PAGE || end > BYTES as u64 {
            return None;
        }
        // SAFETY: offset < BYTES: inside the mapping.
        Some(unsafe { self.map.base().add(offset as usize) })
    }

    /// Takes a free page (1 to 255) and zeroes it.
    pub fn alloc(&self) -> Option<u64> {
        for i in 0..(PAGES / 64) as usize {
            let word = self.table(i);
            let mut cur = word.load(Ordering::Acquire);
            loop {
                // Page 0 is the table itself: never free.
                let free = !cur & if i == 0 { !1 } else { !0 };
                if free == 0 {
                    break;
                }
                let bit = free.trailing_zeros();
                let new = cur | 1 << bit;
                match word.compare_exchange(cur, new, Ordering::AcqRel, Ordering::Acquire) {
                    Ok(_) => {
                        let page = 64 * i as u64 + bit as u64;
                        let zero = [0u8; 8];
                        for at in (0..PAGE).step_by(8) {
                            self.store(page * PAGE + at, &zero);
                        }
                        return Some(page);
                    }
                    Err(now) => cur = now,
                }
            }
        }
        None
    }

    /// Gives page `page` back; false if it was not taken (or is no data page).
    pub fn free(&self, page: u64) -> bool {
        if page == 0 || page >= PAGES {
            return false;
        }
        let bit = 1u64 << (page % 64);
        self.table((page / 64) as usize)
            .fetch_and(!bit, Ordering::AcqRel)
            & bit
            != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(t: &str) -> String {
        format!("test-{}-{t}", std::process::id())
    }

    #[test]
    fn two_mappings_see_each_others_stores_byte_for_byte() {
        let dir = std::env::temp_dir();
        let t = tag("two");
        let a = SharedFrames::open(&dir, &t).unwrap();
        let b = SharedFrames::open(&dir, &t).unwrap();
        let page = a.alloc().unwrap();
        assert!(page >= 1);
        let at = page * PAGE;
        a.store(at + 8, &0x1122_3344_5566_7788u64.to_le_bytes());
        a.store(at + 3, &[9, 8, 7]);
        let mut w = [0u8; 8];
        b.load(at + 8, &mut w);
        assert_eq!(u64::from_le_bytes(w), 0x1122_3344_5566_7788);
        let mut three = [0u8; 3];
        b.load(at + 3, &mut three);
        assert_eq!(three, [9, 8, 7]);
        // Page 0 (the table) and beyond the end are no data.
        b.load(0, &mut w);
        assert_eq!(w, [0; 8]);
        a.store(BYTES as u64 - 4, &[1; 8]);
        b.load(BYTES as u64 - 8, &mut w);
        assert_eq!(w, [0; 8]);
        // The other mapping sees the page taken; freeing it once works, twice does not.
        assert_ne!(b.alloc(), Some(page));
        assert!(b.free(page) && !a.free(page));
        std::fs::remove_file(a.path()).unwrap();
    }

    #[test]
    fn every_frame_is_taken_once_then_none() {
        let dir = std::env::temp_dir();
        let f = SharedFrames::open(&dir, &tag("all")).unwrap();
        let mut got: Vec<u64> = std::iter::from_fn(|| f.alloc()).collect();
        got.sort_unstable();
        assert_eq!(got, (1..PAGES).collect::<Vec<_>>());
        assert!(f.free(200));
        assert_eq!(f.alloc(), Some(200));
        std::fs::remove_file(f.path()).unwrap();
    }
}
