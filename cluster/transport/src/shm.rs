//! The co-located transport: two node processes on one host exchange frames through
//! a shared-memory region holding two single-producer/single-consumer rings, one per
//! direction, with a FIFO per direction as the doorbell for a consumer that sleeps.
//! This is the only module of the crate with `unsafe` (the mapping and the accesses to
//! memory the other process writes).
//!
//! ## Layout (one file under `/dev/shm`, [`REGION_BYTES`] long)
//!
//! | offset | what |
//! |---|---|
//! | 0 | magic (`u64`, [`MAGIC`]) |
//! | 8 | a nonce of 16 random bytes, which the offer carries: finding it proves the peer can open what this node made (so shares its host) |
//! | 64 + 256·d | ring d's `tail`: bytes ever written (`u64`, written by its producer) |
//! | 128 + 256·d | ring d's `waiting`: 1 while its consumer sleeps or is about to (`u64`) |
//! | 192 + 256·d | ring d's `head`: bytes ever consumed (`u64`, written by its consumer) |
//! | 4096 + d·[`RING_BYTES`] | ring d's data |
//!
//! Ring 0 carries the dialling node's frames, ring 1 the accepting node's. A record is
//! an 8-byte word holding the message's length, then the message padded to a multiple
//! of 8; positions are `index % RING_BYTES`, and since records and the ring are whole
//! words, a word never straddles the end.
//!
//! ## Memory ordering
//!
//! No Rust reference ever covers memory the peer writes: the indices are `AtomicU64`s
//! (shared references to atomics are sound across processes), the data is copied a
//! word at a time with `read_volatile`/`write_volatile` through raw pointers. The
//! producer writes a record's words and then stores `tail` with Release; the consumer
//! loads `tail` with Acquire before reading them, so it sees the whole record. The
//! consumer copies a record out and then stores `head` with Release; the producer
//! loads `head` with Acquire before reusing that space. So a record is visible whole or
//! not at all, and a peer that dies mid-message leaves only unpublished bytes.
//!
//! ## Wake-ups
//!
//! A consumer that found its ring empty spins briefly (the transport's [`SPIN`]), then
//! stores `waiting = 1`, a SeqCst fence, and loads `tail` again; only if it is still
//! unchanged does it sleep in `poll` on its doorbell FIFO. A producer stores `tail`,
//! a SeqCst fence, then loads `waiting`; if it is 1 it swaps it to 0 and writes a byte
//! to the doorbell. The two fences order the pairs (store `waiting`, load `tail`) and
//! (store `tail`, load `waiting`): at least one side sees the other's store, so either
//! the consumer does not sleep or the producer rings (the Dekker argument). A sleeping
//! consumer that is rung reads the FIFO empty and drains its ring.

#![allow(unsafe_code)]

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU64, Ordering, fence};

/// Bytes of one ring's data.
pub const RING_BYTES: usize = 64 << 10;
/// Longest message a ring takes (so two always fit).
pub const MAX_MESSAGE: usize = RING_BYTES / 2 - 8;
const HEADER: usize = 4096;
/// The region's length.
pub const REGION_BYTES: usize = HEADER + 2 * RING_BYTES;
/// The region's first word.
pub const MAGIC: u64 = u64::from_le_bytes(*b"selvmRG1");
/// The prefix of every file name this module makes.
pub const PREFIX: &str = "selvm-ring-";

/// Bytes of the nonce after the magic.
pub const NONCE_BYTES: usize = 16;
const NONCE: usize = 8;
const TAIL: usize = 64;
const WAITING: usize = 128;
const HEAD: usize = 192;

/// A mapping of a region (unmapped on drop).
struct Region {
    map: Mapping,
}

/// A shared read-write mapping of a whole file of a known size (a ring's region, the
/// cluster's shared frames), unmapped when dropped. Only raw pointers reach into it.
pub(crate) struct Mapping {
    base: NonNull<u8>,
    len: usize,
}

// SAFETY: the mapping is plain shared memory its users reach only through atomics and
// volatile word copies; nothing in it is tied to a thread.
unsafe impl Send for Mapping {}
// SAFETY: as above: every access is atomic or volatile through raw pointers, so
// shared references from several threads are as sound as from several processes.
unsafe impl Sync for Mapping {}

impl Mapping {
    /// Maps `file`, which must be `len` bytes long (else an error naming `what`).
    pub(crate) fn of(file: &File, len: usize, what: &str) -> io::Result<Mapping> {
        if file.metadata()?.len() != len as u64 {
            return Err(io::Error::other(format!("{what} has the wrong size")));
        }
        // SAFETY: a new shared mapping of an open file of `len` bytes; the kernel picks
        // the address, so no existing memory is affected.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                file.as_raw_fd(),
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let base = NonNull::new(p.cast::<u8>()).ok_or_else(|| io::Error::other("mmap gave 0"))?;
        Ok(Mapping { base, len })
    }

    /// The first byte (page-aligned); the mapping's `len` bytes follow it.
    pub(crate) fn base(&self) -> *mut u8 {
        self.base.as_ptr()
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `of`, of `len` bytes; no reference into it
        // outlives `self` (its users borrow it for their accesses).
        unsafe {
            libc::munmap(self.base.as_ptr().cast(), self.len);
        }
    }
}

impl Region {
    fn map(file: &File) -> io::Result<Region> {
        Mapping::of(file, REGION_BYTES, "shared ring").map(|map| Region { map })
    }

    /// The atomic word at `offset` (a multiple of 8 below HEADER).
    fn word(&self, offset: usize) -> &AtomicU64 {
        debug_assert!(offset % 8 == 0 && offset < HEADER);
        // SAFETY: offset is inside the mapping and 8-aligned (the mapping is
        // page-aligned); the mapping lives as long as `self`; every access to these
        // words, in both processes, is atomic.
        unsafe { AtomicU64::from_ptr(self.map.base().add(offset).cast::<u64>()) }
    }

    /// The data word of ring `ring` at byte position `at` (any index; taken modulo).
    fn data(&self, ring: usize, at: u64) -> *mut u64 {
        let off = HEADER + ring * RING_BYTES + (at as usize % RING_BYTES);
        // SAFETY: off < REGION_BYTES and 8-aligned (at is a multiple of 8 for every
        // caller); the pointer stays inside the mapping.
        unsafe { self.map.base().add(off).cast::<u64>() }
    }
}

/// Why a ring refused or failed.
#[derive(Debug, PartialEq, Eq)]
pub enum RingError {
    /// No room now (the consumer is behind): try again later.
    Full,
    /// The message is longer than [`MAX_MESSAGE`].
    TooLong,
    /// The peer broke the ring's rules (indices or a length that cannot be).
    Corrupt,
}

/// One end of a pair of rings: produces into `tx`, consumes `rx`.
pub struct Ring {
    region: Region,
    tx: usize,
    rx: usize,
}

fn padded(len: usize) -> u64 {
    8 + (len as u64).div_ceil(8) * 8
}

impl Ring {
    /// Appends `message`; `Ok(true)` when the consumer sleeps and must be rung.
    pub fn push(&self, message: &[u8]) -> Result<bool, RingError> {
        if message.len() > MAX_MESSAGE {
            return Err(RingError::TooLong);
        }
        let r = &self.region;
        let tail = r.word(TAIL + 256 * self.tx).load(Ordering::Relaxed);
        let head = r.word(HEAD + 256 * self.tx).load(Ordering::Acquire);
        let used = tail.wrapping_sub(head);
        if used > RING_BYTES as u64 {
            return Err(RingError::Corrupt);
        }
        let need = padded(message.len());
        if used + need > RING_BYTES as u64 {
            return Err(RingError::Full);
        }
        // SAFETY: the words from tail to tail + need are inside ring tx's data and not
        // in [head, tail), so the consumer does not read them until tail is published
        // below (the same holds for every write of this record).
        unsafe { r.data(self.tx, tail).write_volatile(message.len() as u64) };
        for (i, chunk) in message.chunks(8).enumerate() {
            let mut w = [0u8; 8];
            w[..chunk.len()].copy_from_slice(chunk);
            let at = tail + 8 + 8 * i as u64;
            // SAFETY: as above.
            unsafe { r.data(self.tx, at).write_volatile(u64::from_ne_bytes(w)) };
        }
        r.word(TAIL + 256 * self.tx)
            .store(tail + need, Ordering::Release);
        fence(Ordering::SeqCst);
        let waiting = r.word(WAITING + 256 * self.tx);
        Ok(waiting.load(Ordering::Relaxed) != 0 && waiting.swap(0, Ordering::AcqRel) != 0)
    }

    /// Whether a record waits in the receiving ring.
    pub fn has_input(&self) -> bool {
        let r = &self.region;
        r.word(TAIL + 256 * self.rx).load(Ordering::Acquire)
            != r.word(HEAD + 256 * self.rx).load(Ordering::Relaxed)
    }

    /// Takes the next message, if one is there.
    pub fn pop(&self) -> Result<Option<Vec<u8>>, RingError> {
        let r = &self.region;
        let head = r.word(HEAD + 256 * self.rx).load(Ordering::Relaxed);
        let tail = r.word(TAIL + 256 * self.rx).load(Ordering::Acquire);
        let avail = tail.wrapping_sub(head);
        if avail == 0 {
            return Ok(None);
        }
        if avail > RING_BYTES as u64 || avail % 8 != 0 || head % 8 != 0 {
            return Err(RingError::Corrupt);
        }
        let len =
            // SAFETY: the words from head to tail were published by the producer's
            // Release store of tail, which our Acquire load saw; it does not write them
            // again until head passes them (the same holds for every read below).
            unsafe { r.data(self.rx, head).read_volatile() };
        if len > MAX_MESSAGE as u64 || padded(len as usize) > avail {
            return Err(RingError::Corrupt);
        }
        let len = len as usize;
        let mut out = Vec::with_capacity(len.div_ceil(8) * 8);
        for i in 0..len.div_ceil(8) {
            // SAFETY: as above.
            let w = unsafe { r.data(self.rx, head + 8 + 8 * i as u64).read_volatile() };
            out.extend_from_slice(&w.to_ne_bytes());
        }
        out.truncate(len);
        r.word(HEAD + 256 * self.rx)
            .store(head + padded(len), Ordering::Release);
        Ok(Some(out))
    }

    /// Before sleeping: says so, and returns whether input arrived meanwhile (then do
    /// not sleep; [`Ring::awake`] undoes the flag).
    pub fn sleep_or_input(&self) -> bool {
        self.region
            .word(WAITING + 256 * self.rx)
            .store(1, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        self.has_input()
    }

    /// After waking: the producer need not ring.
    pub fn awake(&self) {
        self.region
            .word(WAITING + 256 * self.rx)
            .store(0, Ordering::Relaxed);
    }
}

/// A co-located link to one peer: the rings, the two doorbells, and (on the side that
/// made them) the files to remove.
pub struct Link {
    /// The rings.
    pub ring: Ring,
    /// Our receiving ring's doorbell (we poll it).
    pub bell_rx: File,
    bell_tx: File,
    remove: Vec<PathBuf>,
    /// Messages the ring had no room for yet, in order.
    pub pending: std::collections::VecDeque<Vec<u8>>,
}

fn bell_path(region: &Path, ring: usize) -> PathBuf {
    let mut p = region.as_os_str().to_owned();
    p.push(format!(".bell{ring}"));
    PathBuf::from(p)
}

fn open_bell(path: &Path) -> io::Result<File> {
    // Read and write: a FIFO opened so neither blocks nor ever reports end of file.
    OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)
}

/// Where regions are made: `/dev/shm` when it exists, else the temporary folder.
pub fn folder() -> PathBuf {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    }
}

/// Removes the regions (and doorbells) in `dir` that this user's processes made and
/// that nobody will open: their maker (the process id in the name) is gone. A node
/// killed after offering a region and before its peer opened it (which removes the
/// names) leaves them behind; the next node that makes one clears them. A region
/// already opened stays mapped in its users after its names go.
pub fn sweep(dir: &Path) {
    // SAFETY: geteuid has no preconditions.
    let me = unsafe { libc::geteuid() };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(PREFIX)) else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<i32>().ok()) else {
            continue;
        };
        let mine = (std::fs::symlink_metadata(e.path())).is_ok_and(|m| m.uid() == me);
        // SAFETY: kill with signal 0 sends nothing; it only says whether the process
        // exists (ESRCH: it does not).
        let gone = pid > 0
            && unsafe { libc::kill(pid, 0) } != 0
            && io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH);
        if mine && gone {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

impl Link {
    /// Makes a region and its doorbells in `dir` (the dialling side, ring 0 ours).
    pub fn create(dir: &Path, tag: &str) -> io::Result<(Link, PathBuf)> {
        sweep(dir);
        let path = dir.join(format!("{PREFIX}{}-{tag}", std::process::id()));
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_CLOEXEC)
            .open(&path)?;
        let mut remove = vec![path.clone()];
        let made = (|| {
            file.set_len(REGION_BYTES as u64)?;
            for ring in 0..2 {
                let bell = bell_path(&path, ring);
                let c = std::ffi::CString::new(bell.as_os_str().as_encoded_bytes())
                    .map_err(io::Error::other)?;
                // SAFETY: a valid NUL-terminated path; mkfifo only reads it.
                if unsafe { libc::mkfifo(c.as_ptr(), 0o600) } != 0 {
                    return Err(io::Error::last_os_error());
                }
                remove.push(bell);
            }
            let region = Region::map(&file)?;
            let mut nonce = [0u8; NONCE_BYTES];
            File::open("/dev/urandom")?.read_exact(&mut nonce)?;
            for (i, w) in nonce.chunks(8).enumerate() {
                let w = u64::from_le_bytes(w.try_into().unwrap_or_default());
                region.word(NONCE + 8 * i).store(w, Ordering::Relaxed);
            }
            region.word(0).store(MAGIC, Ordering::Release);
            Ok(Link {
                ring: Ring {
                    region,
                    tx: 0,
                    rx: 1,
                },
                bell_rx: open_bell(&bell_path(&path, 1))?,
                bell_tx: open_bell(&bell_path(&path, 0))?,
                remove: Vec::new(),
                pending: Default::default(),
            })
        })();
        match made {
            Ok(mut link) => {
                link.remove = remove;
                Ok((link, path))
            }
            Err(e) => {
                for p in &remove {
                    let _ = std::fs::remove_file(p);
                }
                Err(e)
            }
        }
    }

    /// The region's nonce (what the offer carries).
    pub fn nonce(&self) -> [u8; NONCE_BYTES] {
        let r = &self.ring.region;
        let mut n = [0u8; NONCE_BYTES];
        for (i, w) in n.chunks_mut(8).enumerate() {
            w.copy_from_slice(&r.word(NONCE + 8 * i).load(Ordering::Relaxed).to_le_bytes());
        }
        n
    }

    /// Opens a region a peer made at `path` (the accepting side, ring 1 ours), after
    /// checking it is one of ours: in `dir`, named with [`PREFIX`], owned by this user,
    /// of the right size, magic and `nonce` (else it is not the peer's: another host's
    /// file of that name, or a stale one, is left alone). Removes its names (the
    /// mappings and open files keep it alive; nothing is left behind whoever dies).
    pub fn open(dir: &Path, path: &Path, nonce: &[u8; NONCE_BYTES]) -> io::Result<Link> {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.parent() != Some(dir) || !name.starts_with(PREFIX) || name.contains('/') {
            return Err(io::Error::other(format!(
                "refused shared ring {}",
                path.display()
            )));
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(path)?;
        // SAFETY: geteuid has no preconditions.
        let me = unsafe { libc::geteuid() };
        if file.metadata()?.uid() != me {
            return Err(io::Error::other("shared ring owned by another user"));
        }
        let region = Region::map(&file)?;
        if region.word(0).load(Ordering::Acquire) != MAGIC {
            return Err(io::Error::other("shared ring has no magic"));
        }
        let mut link_nonce = [0u8; NONCE_BYTES];
        for (i, w) in link_nonce.chunks_mut(8).enumerate() {
            w.copy_from_slice(
                &region
                    .word(NONCE + 8 * i)
                    .load(Ordering::Relaxed)
                    .to_le_bytes(),
            );
        }
        if link_nonce != *nonce {
            return Err(io::Error::other("shared ring holds another nonce"));
        }
        let link = Link {
            ring: Ring {
                region,
                tx: 1,
                rx: 0,
            },
            bell_rx: open_bell(&bell_path(path, 0))?,
            bell_tx: open_bell(&bell_path(path, 1))?,
            remove: Vec::new(),
            pending: Default::default(),
        };
        for p in [path.to_path_buf(), bell_path(path, 0), bell_path(path, 1)] {
            let _ = std::fs::remove_file(p);
        }
        Ok(link)
    }

    /// Sends `message` (after any pending ones), ringing the peer if it sleeps.
    pub fn send(&mut self, message: &[u8]) -> Result<(), RingError> {
        self.pending.push_back(message.to_vec());
        self.flush()
    }

    /// Moves pending messages into the ring while it has room.
    pub fn flush(&mut self) -> Result<(), RingError> {
        while let Some(m) = self.pending.front() {
            match self.ring.push(m) {
                Ok(ring) => {
                    self.pending.pop_front();
                    if ring {
                        self.ring_bell();
                    }
                }
                Err(RingError::Full) => return Ok(()),
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    fn ring_bell(&mut self) {
        // A full FIFO already holds a wake-up; nothing else can fail that matters.
        let _ = self.bell_tx.write(&[1]);
    }

    /// Empties our doorbell (after a wake-up).
    pub fn drain_bell(&mut self) {
        let mut buf = [0u8; 64];
        while matches!(self.bell_rx.read(&mut buf), Ok(n) if n > 0) {}
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        for p in &self.remove {
            let _ = std::fs::remove_file(p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(tag: &str) -> (Link, Link) {
        let dir = std::env::temp_dir();
        let (a, path) = Link::create(&dir, tag).unwrap();
        let b = Link::open(&dir, &path, &a.nonce()).unwrap();
        assert!(!path.exists(), "the opener removes the names");
        (a, b)
    }

    fn message(i: usize) -> Vec<u8> {
        (0..(i * 37) % 1000 + 1)
            .map(|j| (i * 7 + j) as u8)
            .collect()
    }

    #[test]
    fn a_region_with_another_nonce_is_refused_and_left_alone() {
        let dir = std::env::temp_dir();
        let (a, path) = Link::create(&dir, &format!("nonce-{}", line!())).unwrap();
        let mut wrong = a.nonce();
        wrong[3] ^= 1;
        let e = Link::open(&dir, &path, &wrong).err().expect("refused");
        assert!(e.to_string().contains("nonce"), "{e}");
        assert!(
            path.exists(),
            "a region that is not the peer's keeps its names"
        );
        assert!(Link::open(&dir, &path, &a.nonce()).is_ok());
    }

    #[test]
    fn regions_of_processes_that_are_gone_are_swept_and_live_ones_kept() {
        let dir = std::env::temp_dir().join(format!("selvm-sweep-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // A process that has ended: a child that exited and was waited for.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let stale = dir.join(format!("{PREFIX}{dead}-1-2-3-4"));
        let bell = dir.join(format!("{PREFIX}{dead}-1-2-3-4.bell0"));
        let other = dir.join("not-a-ring");
        for p in [&stale, &bell, &other] {
            std::fs::write(p, b"x").unwrap();
        }
        let (live, path) = Link::create(&dir, "live").unwrap();
        assert!(
            !stale.exists() && !bell.exists(),
            "the dead maker's files are swept"
        );
        assert!(
            path.exists() && other.exists(),
            "a live maker's and others' stay"
        );
        drop(live);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn messages_wrap_around_byte_for_byte() {
        let (a, b) = pair(&format!("wrap-{}", line!()));
        // Many times round the ring, with lengths that are not multiples of 8.
        for i in 0..2000 {
            a.ring.push(&message(i)).unwrap();
            b.ring.push(&message(i + 1)).unwrap();
            assert_eq!(b.ring.pop().unwrap(), Some(message(i)));
            assert_eq!(a.ring.pop().unwrap(), Some(message(i + 1)));
        }
        assert_eq!(b.ring.pop().unwrap(), None);
        assert!(!a.ring.has_input());
    }

    #[test]
    fn a_full_ring_pushes_back_and_drains_in_order() {
        let (mut a, b) = pair(&format!("full-{}", line!()));
        let m = vec![9u8; 1016]; // 1,024 bytes a record: the ring fills exactly
        let mut fitted = 0;
        while a.ring.push(&m).is_ok() {
            fitted += 1;
        }
        assert_eq!(a.ring.push(&m), Err(RingError::Full));
        assert_eq!(fitted, RING_BYTES / 1024);
        // Queued behind the full ring, then moved in as the consumer frees room.
        a.send(b"later").unwrap();
        assert_eq!(a.pending.len(), 1);
        for _ in 0..fitted {
            assert_eq!(b.ring.pop().unwrap(), Some(m.clone()));
        }
        a.flush().unwrap();
        assert!(a.pending.is_empty());
        assert_eq!(b.ring.pop().unwrap(), Some(b"later".to_vec()));
        assert_eq!(
            a.ring.push(&vec![0; MAX_MESSAGE + 1]),
            Err(RingError::TooLong)
        );
    }

    #[test]
    fn a_sleeping_consumer_is_rung_once() {
        let (mut a, mut b) = pair(&format!("bell-{}", line!()));
        assert!(!b.ring.sleep_or_input());
        a.send(b"wake").unwrap();
        let mut byte = [0u8; 8];
        assert_eq!(b.bell_rx.read(&mut byte).unwrap(), 1);
        // The flag was taken by that ring: the next message does not ring again.
        a.send(b"again").unwrap();
        assert!(b.bell_rx.read(&mut byte).is_err());
        b.drain_bell();
        b.ring.awake();
        assert_eq!(b.ring.pop().unwrap(), Some(b"wake".to_vec()));
        assert_eq!(b.ring.pop().unwrap(), Some(b"again".to_vec()));
    }

    #[test]
    fn a_corrupt_ring_is_refused_not_trusted() {
        let (a, b) = pair(&format!("bad-{}", line!()));
        // A producer publishing a tail beyond the ring's size.
        a.ring
            .region
            .word(TAIL)
            .store(RING_BYTES as u64 * 3, Ordering::Release);
        assert_eq!(b.ring.pop(), Err(RingError::Corrupt));
    }

    #[test]
    fn foreign_paths_are_refused() {
        let dir = std::env::temp_dir();
        let n = [0; NONCE_BYTES];
        for p in ["/etc/passwd", "selvm-ring-x"] {
            assert!(Link::open(&dir, Path::new(p), &n).is_err());
        }
        assert!(Link::open(&dir, &dir.join("not-a-ring"), &n).is_err());
    }

    #[test]
    fn two_threads_with_separate_mappings_agree_byte_for_byte() {
        let (mut a, mut b) = pair(&format!("threads-{}", line!()));
        const N: usize = 20_000;
        let consumer = std::thread::spawn(move || {
            let mut got = 0;
            while got < N {
                match b.ring.pop().unwrap() {
                    Some(m) => {
                        assert_eq!(m, message(got), "message {got}");
                        got += 1;
                    }
                    None => {
                        if !b.ring.sleep_or_input() {
                            // Sleep on the doorbell (blocking read of the FIFO).
                            let mut poll = [libc::pollfd {
                                fd: b.bell_rx.as_raw_fd(),
                                events: libc::POLLIN,
                                revents: 0,
                            }];
                            // SAFETY: one valid pollfd; no timeout.
                            unsafe { libc::poll(poll.as_mut_ptr(), 1, -1) };
                            b.drain_bell();
                        }
                        b.ring.awake();
                    }
                }
            }
        });
        for i in 0..N {
            a.send(&message(i)).unwrap();
            while !a.pending.is_empty() {
                std::thread::yield_now();
                a.flush().unwrap();
            }
        }
        consumer.join().unwrap();
    }
}
