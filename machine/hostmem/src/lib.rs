//! Host memory for the hosted machine's mmap back end (Linux on x86_64): physical
//! memory as a `memfd` mapped once ([`RamFile`]), and host regions ([`Region`]), one per
//! address space, into which guest frames are mapped from the memfd at their physical
//! offsets. A region is read and written only through *guarded* accesses: small leaf
//! routines whose one memory instruction, if the page is unmapped or read-only, is
//! resumed by a SIGSEGV handler at a fixed return path that reports the fault, so a
//! host fault becomes an ordinary `None`/`false` with no unwinding and no jump across
//! Rust frames (docs/hosted.md, "The mmap back end"). Every `unsafe` is in `sys`.
//!
//! On other targets the crate is empty and [`SUPPORTED`] is false.

#![deny(unsafe_op_in_unsafe_fn)]

/// Whether this target has the back end (Linux on x86_64).
pub const SUPPORTED: bool = cfg!(all(target_os = "linux", target_arch = "x86_64"));

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
mod sys;

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
pub use sys::{PAGE, RamFile, Region};

/// A descriptor of the RAM memfd ([`RamFile::try_clone_fd`]), for [`Region::map`].
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
pub type Fd = std::os::fd::OwnedFd;

/// The environment variable that chooses the memory back end of machines whose
/// embedder does not choose one: `mmap` or `soft`.
pub const BACKEND_VARIABLE: &str = "SELVM_MEMORY_BACKEND";

/// Whether the environment asks for the mmap back end: `Ok(true)` for `mmap`,
/// `Ok(false)` for `soft` or when unset, `Err` with the value otherwise.
pub fn mmap_from_env() -> Result<bool, String> {
    match std::env::var(BACKEND_VARIABLE) {
        Err(std::env::VarError::NotPresent) => Ok(false),
        Ok(v) if v == "mmap" => Ok(true),
        Ok(v) if v == "soft" => Ok(false),
        Ok(v) => Err(format!("{BACKEND_VARIABLE}={v}: expected mmap or soft")),
        Err(e) => Err(format!("{BACKEND_VARIABLE}: {e}")),
    }
}

#[cfg(all(test, target_os = "linux", target_arch = "x86_64"))]
mod tests {
    //! The guarded accesses against real mappings: unmapped and read-only pages are
    //! reported, mapped frames alias the RAM's words, and clearing takes a frame away.
    use super::{PAGE, RamFile, Region};

    #[test]
    fn a_region_sees_exactly_the_frames_mapped_into_it() {
        let mut ram = RamFile::new(4 * PAGE).unwrap();
        let fd = ram.try_clone_fd().unwrap();
        let mut region = Region::reserve(16 * PAGE).unwrap();
        ram[512] = 0x1122_3344_5566_7788; // frame 1, first word
        assert_eq!(region.load::<8>(3 * PAGE), None, "nothing mapped yet");
        region.map(3 * PAGE, PAGE, &fd, PAGE, false).unwrap();
        assert_eq!(
            region.load::<8>(3 * PAGE),
            Some(0x1122_3344_5566_7788u64.to_le_bytes())
        );
        assert_eq!(region.load::<2>(3 * PAGE + 1), Some([0x77, 0x66]));
        assert!(!region.store::<4>(3 * PAGE, [1, 2, 3, 4]), "read-only");
        assert!(!region.store::<1>(3 * PAGE, [1]), "read-only");
        assert!(!region.store::<2>(3 * PAGE, [1, 2]), "read-only");
        assert!(!region.store::<8>(3 * PAGE, [1; 8]), "read-only");
        assert_eq!(region.load::<4>(2 * PAGE), None, "unmapped");
        assert_eq!(
            region.load::<4>(3 * PAGE + 4),
            Some([0x44, 0x33, 0x22, 0x11])
        );
        assert_eq!(ram[512], 0x1122_3344_5566_7788, "no store went through");
        assert!(!region.probe(3 * PAGE, true));
        assert!(region.probe(3 * PAGE, false));
        region.map(3 * PAGE, PAGE, &fd, PAGE, true).unwrap();
        assert!(region.store::<4>(3 * PAGE + 8, [1, 2, 3, 4]));
        assert_eq!(ram[513], 0x0403_0201);
        // An access crossing into an unmapped page faults as a whole.
        assert_eq!(region.load::<8>(4 * PAGE - 4), None);
        assert!(region.fill(3 * PAGE + 16, 0xab, 8));
        assert_eq!(ram[514], 0xabab_abab_abab_abab);
        let mut buf = [0u8; 24];
        assert!(region.read(3 * PAGE, &mut buf));
        assert_eq!(buf[8..12], [1, 2, 3, 4]);
        assert!(!region.read(4 * PAGE - 8, &mut buf));
        region.clear(3 * PAGE, PAGE).unwrap();
        assert_eq!(region.load::<1>(3 * PAGE), None, "cleared");
        assert_eq!(ram[513], 0x0403_0201, "the frame keeps its contents");
        assert_eq!(region.load::<1>(16 * PAGE), None, "outside the region");
        assert!(region.map(16 * PAGE, PAGE, &fd, 0, true).is_err());
    }

    #[test]
    fn two_regions_share_a_frame_only_where_both_map_it() {
        let ram = RamFile::new(2 * PAGE).unwrap();
        let fd = ram.try_clone_fd().unwrap();
        let mut a = Region::reserve(4 * PAGE).unwrap();
        let mut b = Region::reserve(4 * PAGE).unwrap();
        a.map(0, PAGE, &fd, 0, true).unwrap();
        assert!(a.store::<1>(5, [9]));
        assert_eq!(b.load::<1>(5), None, "b has not mapped the frame");
        b.map(2 * PAGE, PAGE, &fd, 0, false).unwrap();
        assert_eq!(b.load::<1>(2 * PAGE + 5), Some([9]));
        assert_eq!(ram[0], 9 << 40);
    }

    /// The child's side of the next test: a region (so the handler is installed),
    /// then a recursion that overflows the stack.
    fn overflow() -> u64 {
        fn deep(n: u64) -> u64 {
            let frame = std::hint::black_box([n; 64]);
            if n == u64::MAX {
                return 0;
            }
            deep(n + 1) + frame[1]
        }
        let _region = Region::reserve(PAGE).unwrap();
        deep(0)
    }

    #[test]
    fn other_faults_still_reach_rusts_stack_overflow_report() {
        const CHILD: &str = "SELVM_HOSTMEM_OVERFLOW_CHILD";
        if std::env::var_os(CHILD).is_some() {
            std::hint::black_box(overflow());
            return;
        }
        let name = "tests::other_faults_still_reach_rusts_stack_overflow_report";
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", name, "--nocapture"])
            .env(CHILD, "1")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "the child survived: {stderr}");
        assert!(stderr.contains("overflowed its stack"), "{stderr}");
    }
}
