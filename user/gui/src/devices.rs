//! The framebuffer and the input device as the launcher maps them for the display
//! server: the device untyped split into two 8 MiB untypeds (the second starts at the
//! framebuffer's pixels), the register frames of the input device and the
//! framebuffer retyped from the first, the pixel frames from the second, all mapped
//! read-write into the display server's VSpace only, with a back buffer of RAM. The timer's and the statistics device's frames are retyped too, for
//! the system monitor. Registers are 8-byte volatile loads and stores; pixels plain
//! memory.

use libsel4::vspace::page;
use libsel4::{CPtr, CapRights, Error, untyped};
use sel4rt::{Env, PAGE_SIZE, ROOT_CNODE, ROOT_VSPACE, types};
use selvm_abi::vm::device::*;

/// Register frames retyped from the device region's first half (console, timer,
/// input, framebuffer registers, statistics).
const REGISTER_FRAMES: usize = 5;
const TIMER_FRAME: usize = ((TIMER_BASE - PHYS_DEVICE_BASE) / 4096) as usize;
const STATS_FRAME: usize = ((STATS_BASE - PHYS_DEVICE_BASE) / 4096) as usize;
const INPUT_FRAME: usize = ((INPUT_BASE - PHYS_DEVICE_BASE) / 4096) as usize;
const FB_REGS_FRAME: usize = ((FRAMEBUFFER_REGS_BASE - PHYS_DEVICE_BASE) / 4096) as usize;
/// Frames retyped per Retype call.
const RETYPE_BATCH: usize = 64;

/// The devices as the display server sees them (addresses in its VSpace).
#[derive(Clone, Copy)]
pub struct Devices {
    input: usize,
    fb_regs: usize,
    /// The pixels' first byte.
    pub pixels: usize,
    /// A buffer in RAM of the screen's size the compositor draws in (stores to RAM are
    /// much cheaper on the hosted machine than to a device frame); rows are then
    /// copied to the pixels.
    pub back: usize,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// The timer's frame (a root slot; not mapped here: the system monitor gets it).
    pub timer_frame: CPtr,
    /// The statistics device's frame (a root slot, likewise).
    pub stats_frame: CPtr,
}

/// Frames the display server's VSpace needs: (first root slot, count, address) runs.
pub type Runs = [(CPtr, usize, usize); 4];

/// Retypes the input device's and the framebuffer's frames (registers and pixels) and a
/// back buffer of the screen's size, and chooses their addresses (above the root task's
/// memory, so free in a process forked from it); [`map_runs`] maps them into the
/// display server's VSpace. The framebuffer's registers are mapped into the root
/// task's VSpace for a moment to read the screen's size.
pub fn map(env: &mut Env) -> Result<(Devices, Runs), Error> {
    let device = env.untypeds.device_untyped().ok_or(Error::FailedLookup)?;
    let halves = env.slots.alloc_range(2)?;
    let half_bits = Word::from(FRAMEBUFFER_MAX_BITS);
    untyped::retype(
        device,
        types::UNTYPED,
        half_bits,
        ROOT_CNODE,
        0,
        0,
        halves,
        2,
    )?;
    let regs = env.slots.alloc_range(REGISTER_FRAMES)?;
    let n = REGISTER_FRAMES as Word;
    untyped::retype(halves, types::FRAME, 0, ROOT_CNODE, 0, 0, regs, n)?;
    let (input, fb_regs) = (regs + INPUT_FRAME as Word, regs + FB_REGS_FRAME as Word);
    let probe = env.alloc_vaddr(1);
    env.map_frame(ROOT_VSPACE, fb_regs, probe, CapRights::READ)?;
    // SAFETY: the register frame is mapped (readable) at `probe` until the unmap
    // below; the offsets are its registers', 8-aligned, inside the frame.
    let reg = |r: Word| unsafe { ((probe + r as usize) as *const Word).read_volatile() };
    let (w, h, stride, format) = (
        reg(FB_WIDTH),
        reg(FB_HEIGHT),
        reg(FB_STRIDE),
        reg(FB_FORMAT),
    );
    page::unmap(fb_regs)?;
    if w == 0 || h == 0 || stride != 4 * w || format != FB_FORMAT_XRGB8888 {
        return Err(Error::IllegalOperation);
    }
    let frames = (stride * h).div_ceil(PAGE_SIZE as Word) as usize;
    let pixels = env.slots.alloc_range(frames)?;
    let back = env.slots.alloc_range(frames)?;
    let mut done = 0;
    while done < frames {
        let n = (frames - done).min(RETYPE_BATCH);
        let dest = pixels + done as Word;
        untyped::retype(
            halves + 1,
            types::FRAME,
            0,
            ROOT_CNODE,
            0,
            0,
            dest,
            n as Word,
        )?;
        env.untypeds
            .retype_into(types::FRAME, 0, back + done as Word, n)?;
        done += n;
    }
    let d = Devices {
        input: env.alloc_vaddr(1),
        fb_regs: env.alloc_vaddr(1),
        pixels: env.alloc_vaddr(frames),
        back: env.alloc_vaddr(frames),
        width: w as u32,
        height: h as u32,
        timer_frame: regs + TIMER_FRAME as Word,
        stats_frame: regs + STATS_FRAME as Word,
    };
    let runs = [
        (input, 1, d.input),
        (fb_regs, 1, d.fb_regs),
        (pixels, frames, d.pixels),
        (back, frames, d.back),
    ];
    Ok((d, runs))
}

/// Maps each run's frames read-write at consecutive addresses of `vspace`.
pub fn map_runs(env: &mut Env, vspace: CPtr, runs: &[(CPtr, usize, usize)]) -> Result<(), Error> {
    for &(first, count, vaddr) in runs {
        for i in 0..count {
            let at = vaddr + i * PAGE_SIZE;
            env.map_frame(vspace, first + i as Word, at, CapRights::ALL)?;
        }
    }
    Ok(())
}

type Word = u64;

impl Devices {
    /// Hands the host the damaged rectangle (already clipped to the screen).
    pub fn present(&self, x: u32, y: u32, w: u32, h: u32) {
        let v = Word::from(x) | Word::from(y) << 16 | Word::from(w) << 32 | Word::from(h) << 48;
        // SAFETY: the framebuffer's register frame is mapped read-write at `fb_regs`
        // (in the server's VSpace, where this runs); PRESENT is one of its registers.
        unsafe { ((self.fb_regs + FB_PRESENT as usize) as *mut Word).write_volatile(v) }
    }

    fn input_word(&self, offset: Word) -> *mut Word {
        (self.input + offset as usize) as *mut Word
    }

    /// The oldest input event (kind, code, x, y, buttons), consumed; none if the ring
    /// is empty.
    pub fn next_input(&self) -> Option<[Word; 5]> {
        // SAFETY: the input frame is mapped read-write at `input`; the offsets here and
        // below are its registers' and its ring's, 8-aligned, inside the frame.
        let tail = unsafe { self.input_word(INPUT_TAIL).read_volatile() };
        // SAFETY: as above.
        let head = unsafe { self.input_word(INPUT_HEAD).read_volatile() };
        if tail == head {
            return None;
        }
        let record = INPUT_RING + (tail % INPUT_RING_SLOTS) * INPUT_RECORD_BYTES;
        let mut words = [0; 5];
        for (i, w) in words.iter_mut().enumerate() {
            // SAFETY: as above.
            *w = unsafe { self.input_word(record + 8 * i as Word).read_volatile() };
        }
        // SAFETY: as above.
        unsafe {
            self.input_word(INPUT_TAIL)
                .write_volatile(tail.wrapping_add(1))
        };
        Some(words)
    }

    /// The screen's pixels, `width * height` words.
    pub fn screen(&self) -> &'static mut [u32] {
        let len = self.width as usize * self.height as usize;
        // SAFETY: the pixel frames are mapped read-write at `pixels`, stride × height
        // bytes (stride = 4 × width); only the display server's VSpace maps them.
        unsafe { core::slice::from_raw_parts_mut(self.pixels as *mut u32, len) }
    }

    /// The back buffer, `width * height` words.
    pub fn back(&self) -> &'static mut [u32] {
        let len = self.width as usize * self.height as usize;
        // SAFETY: `back` is fresh RAM of as many frames as the pixels, mapped
        // read-write; only the display server's VSpace maps it.
        unsafe { core::slice::from_raw_parts_mut(self.back as *mut u32, len) }
    }
}
