//! Boot's placement: Untyped blocks, reserved RAM left alone, and a root task
//! image mapped as seL4's native boot maps it (caps in seL4's order, BootInfo and
//! the device tree in the extra BootInfo).

use super::*;
use crate::arch::riscv64::Riscv64;
use crate::slot::SlotMemory;
use crate::vspace::translate::{Access, translate};
use selvm_abi::Word;
use std::vec;
use std::vec::Vec;

extern crate std;

#[test]
fn blocks_are_aligned_maximal_and_cover_the_range() {
    let mut out = Vec::new();
    blocks(0x8000_1000, 0x8010_0000, |p, b| out.push((p, b)));
    let mut at = 0x8000_1000;
    for &(p, b) in &out {
        assert_eq!(p, at);
        assert_eq!(p & ((1 << b) - 1), 0);
        at += 1 << b;
    }
    assert_eq!(at, 0x8010_0000);
    assert_eq!(out.first(), Some(&(0x8000_1000, 12)));
    assert_eq!(out.last(), Some(&(0x8008_0000, 19)));
}

const RAM: PAddr = 0x8000_0000;
const RAM_BYTES: u64 = 16 << 20;
const IMAGE: (PAddr, PAddr) = (0x8040_0000, 0x8040_3000);
const IMAGE_VIRT: Word = 0x1_0000;
const DTB: PAddr = 0x8050_0000;
const DTB_BYTES: u64 = 1500;

fn word(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap())
}

/// RAM with an "image" (each page starts with its number) and a "device tree"
/// (bytes counting up) where a loader would have put them.
fn loaded_ram() -> Vec<u64> {
    let mut ram = vec![0xdead_beef_u64; (RAM_BYTES / 8) as usize];
    for page in 0..3 {
        ram[((IMAGE.0 - RAM) / 8 + page * 512) as usize] = 0x1000 + page;
    }
    for i in 0..DTB_BYTES.div_ceil(8) {
        let b = |j: u64| ((8 * i + j) % 251) as u8;
        ram[((DTB - RAM) / 8 + i) as usize] =
            u64::from_le_bytes(core::array::from_fn(|j| b(j as u64)));
    }
    ram
}

#[test]
fn a_native_root_image_is_mapped_with_the_caps_and_boot_info_sel4_gives() {
    let mut ram = loaded_ram();
    let reserved = [IMAGE, (DTB, DTB + 4096)];
    let config = BootConfig {
        reserved: &reserved,
        user_image: Some(UserImage {
            phys: IMAGE,
            virt: IMAGE_VIRT,
            device_tree: Some((DTB, DTB_BYTES)),
        }),
        device_ranges: &[(0x1000_0000, 0x1000_1000)],
        ..Default::default()
    };
    let (k, b) = Kernel::boot(RAM, &mut ram[..], &config, Riscv64::detached()).expect("boots");
    k.check_invariants().expect("invariants hold");
    let layout = b.image.expect("an image layout");
    let first = slots::NUM_INITIAL_CAPS;
    // Page tables for the 1 GiB and the 2 MiB the image span touches; one page of
    // extra BootInfo (a 16-byte header and 1500 bytes, rounded up); three frames.
    assert_eq!(
        layout.paging,
        SlotRegion {
            start: first,
            end: first + 2
        }
    );
    assert_eq!(
        layout.extra_pages,
        SlotRegion {
            start: first + 2,
            end: first + 3
        }
    );
    assert_eq!(
        layout.frames,
        SlotRegion {
            start: first + 3,
            end: first + 6
        }
    );
    assert_eq!(b.untyped.start, first + 6);
    assert_eq!((layout.ipc_buffer, layout.boot_info), (0x1_3000, 0x1_4000));
    assert_eq!(layout.extra_len, 16 + DTB_BYTES);
    assert_eq!(k.tcb(b.root_tcb).ipc_buffer, 0x1_3000);

    // The image's frames: its own pages (not zeroed), mapped in order, executable.
    let root_vspace = match k.memory().cap(
        k.boot_objects()
            .root_cnode
            .offset(slots::CAP_INIT_THREAD_VSPACE),
    ) {
        Cap::PageTable { ptr, .. } => ptr,
        other => panic!("{other:?}"),
    };
    for page in 0..3u64 {
        let t = translate(
            k.memory(),
            root_vspace,
            IMAGE_VIRT + page * 4096,
            Access::Execute,
        )
        .expect("image page mapped");
        assert_eq!(t.page, IMAGE.0 + page * 4096);
        assert_eq!(k.memory().read(t.page), 0x1000 + page, "image kept");
        let slot = k
            .boot_objects()
            .root_cnode
            .offset(layout.frames.start + page);
        assert!(matches!(
            k.memory().cap(slot),
            Cap::Frame { ptr, mapping: Some((INIT_THREAD_ASID, v)), .. }
                if ptr == t.page && v == IMAGE_VIRT + page * 4096
        ));
    }
    // IPC buffer and BootInfo: writable, not executable.
    for v in [layout.ipc_buffer, layout.boot_info] {
        translate(k.memory(), root_vspace, v, Access::Write).expect("mapped writable");
        assert!(translate(k.memory(), root_vspace, v, Access::Execute).is_err());
    }

    // BootInfo, read through the root task's mapping.
    let bi = translate(k.memory(), root_vspace, layout.boot_info, Access::Read).unwrap();
    assert_eq!(bi.page, layout.boot_info_frame);
    let bytes = k.memory().bytes(bi.page, BOOT_INFO_SIZE);
    assert_eq!(word(bytes, 0), 16 + DTB_BYTES, "extraLen");
    assert_eq!((word(bytes, 8), word(bytes, 16)), (0, 1), "node 0 of 1");
    assert_eq!(word(bytes, 32), 0x1_3000, "ipcBuffer");
    assert_eq!(
        (word(bytes, 40), word(bytes, 48)),
        (b.empty.start, 1 << 13),
        "empty"
    );
    assert_eq!(
        (word(bytes, 72), word(bytes, 80)),
        (first + 3, first + 6),
        "userImageFrames"
    );
    assert_eq!(
        (word(bytes, 88), word(bytes, 96)),
        (first, first + 2),
        "userImagePaging"
    );
    assert_eq!(
        (word(bytes, 120), word(bytes, 128)),
        (first + 2, first + 3),
        "extraBIPages"
    );
    assert_eq!(word(bytes, 136), 13, "initThreadCNodeSizeBits");
    assert_eq!(
        (word(bytes, 152), word(bytes, 160)),
        (b.untyped.start, b.untyped.end)
    );
    for (i, d) in b.untypeds().iter().enumerate() {
        let at = 168 + 16 * i;
        assert_eq!(
            (word(bytes, at), bytes[at + 8], bytes[at + 9]),
            (d.paddr, d.size_bits, d.is_device)
        );
    }

    // Extra BootInfo: the device tree's header and copy, then padding to the page.
    let extra = translate(
        k.memory(),
        root_vspace,
        layout.boot_info + 4096,
        Access::Read,
    )
    .unwrap();
    let e = k.memory().bytes(extra.page, 4096);
    assert_eq!((word(e, 0), word(e, 8)), (6, 16 + DTB_BYTES));
    assert!(
        (0..DTB_BYTES as usize).all(|i| e[16 + i] == (i % 251) as u8),
        "the device tree"
    );
    let pad = 16 + DTB_BYTES as usize;
    assert_eq!((word(e, pad), word(e, pad + 8)), (0, 4096 - 16 - DTB_BYTES));

    // No Untyped covers the image, the device tree or anything boot placed; the
    // device range is a device Untyped.
    let mut devices = 0;
    for d in b.untypeds().iter() {
        let (s, e) = (d.paddr, d.paddr + (1 << d.size_bits));
        if d.is_device == 1 {
            devices += 1;
            assert!(e <= RAM || s >= RAM + RAM_BYTES);
            continue;
        }
        for (rs, re) in [
            IMAGE,
            (DTB, DTB + 4096),
            (layout.boot_info_frame, layout.boot_info_frame + 4096),
        ] {
            assert!(
                e <= rs || s >= re,
                "untyped {s:#x}..{e:#x} overlaps {rs:#x}..{re:#x}"
            );
        }
    }
    assert_eq!(devices, 1);
}

#[test]
fn reserved_ram_is_neither_zeroed_nor_given_out() {
    let mut ram = loaded_ram();
    let reserved = [(DTB, DTB + 4096)];
    let config = BootConfig {
        reserved: &reserved,
        ..Default::default()
    };
    let (k, b) = Kernel::boot(RAM, &mut ram[..], &config, Riscv64::detached()).expect("boots");
    assert!(b.image.is_none());
    assert_eq!(
        k.memory().read(DTB),
        u64::from_le_bytes(core::array::from_fn(|j| j as u8))
    );
    assert_eq!(
        k.memory().read(DTB + 4096),
        0,
        "free RAM after it is zeroed"
    );
    let covered: u64 = b
        .untypeds()
        .iter()
        .filter(|d| d.is_device == 0)
        .map(|d| 1u64 << d.size_bits)
        .sum();
    assert!(covered < RAM_BYTES - 4096);
    for d in b.untypeds().iter() {
        let (s, e) = (d.paddr, d.paddr + (1 << d.size_bits));
        assert!(e <= DTB || s >= DTB + 4096);
    }
}

#[test]
fn bad_reserved_ranges_and_stray_images_are_refused() {
    let mut ram = vec![0u64; (RAM_BYTES / 8) as usize];
    let image = UserImage {
        phys: IMAGE,
        virt: IMAGE_VIRT,
        device_tree: None,
    };
    type Case<'a> = (&'a [(PAddr, PAddr)], Option<UserImage>);
    let cases: [Case<'_>; 3] = [
        (&[(RAM + 1, RAM + 4096)], None),
        (&[], Some(image)),
        (&[(IMAGE.0, IMAGE.1 - 4096)], Some(image)),
    ];
    for (reserved, user_image) in cases {
        let config = BootConfig {
            reserved,
            user_image,
            ..Default::default()
        };
        let err = Kernel::boot(RAM, &mut ram[..], &config, Riscv64::detached()).err();
        assert_eq!(err, Some(BootError::BadReserved), "{reserved:?}");
    }
}

#[test]
fn the_root_and_idle_threads_have_sel4s_names() {
    let mut ram = vec![0u64; (RAM_BYTES / 8) as usize];
    let (k, b) = Kernel::boot(
        RAM,
        &mut ram[..],
        &BootConfig::default(),
        Riscv64::detached(),
    )
    .expect("boots");
    let text = |t| -> Vec<u8> {
        let bytes: Vec<u8> = k
            .thread_name(t)
            .iter()
            .flat_map(|w| w.to_le_bytes())
            .collect();
        bytes.into_iter().take_while(|&c| c != 0).collect()
    };
    assert_eq!(text(b.root_tcb), b"rootserver");
    assert_eq!(text(k.idle_thread()), b"idle_thread");
}
