//! The framebuffer: a register frame (size, format, present) and, elsewhere in the
//! device region, the pixels as plain memory (XRGB8888, size chosen at boot). They are
//! two devices on the bus, since the network device lies between their places; the
//! registers need only the size, the pixels only their bytes. A present records a
//! damaged rectangle for the embedder ([`Display::take_presents`]) and raises the
//! framebuffer line once.

use super::{AttachError, Device, DeviceBus, DeviceId, Now, WouldBlock};
use alloc::vec;
use alloc::vec::Vec;
use selvm_abi::vm::device::{
    FB_FORMAT, FB_FORMAT_XRGB8888, FB_HEIGHT, FB_MAX_SIDE, FB_PRESENT, FB_PRESENTS, FB_STRIDE,
    FB_WIDTH, FRAMEBUFFER_BASE, FRAMEBUFFER_MAX_BITS, FRAMEBUFFER_REGS_BASE, IRQ_FRAMEBUFFER,
};

/// Bytes of a device frame.
const FRAME: usize = 4096;
/// Presents kept for the embedder; beyond this the last one grows to cover the rest.
const PRESENTS_KEPT: usize = 64;

/// A rectangle of pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rect {
    /// Left column.
    pub x: u32,
    /// Top row.
    pub y: u32,
    /// Width in pixels.
    pub w: u32,
    /// Height in pixels.
    pub h: u32,
}

impl Rect {
    /// The smallest rectangle holding both.
    pub fn union(self, o: Rect) -> Rect {
        let (x, y) = (self.x.min(o.x), self.y.min(o.y));
        let right = (self.x + self.w).max(o.x + o.w);
        let bottom = (self.y + self.h).max(o.y + o.h);
        Rect {
            x,
            y,
            w: right - x,
            h: bottom - y,
        }
    }
}

/// Why a display size is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SizeError {
    /// A side is 0 or above [`FB_MAX_SIDE`].
    Side,
    /// The pixels do not fit the framebuffer's 8 MiB.
    TooLarge,
}

impl core::fmt::Display for SizeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            SizeError::Side => write!(f, "width and height must be 1 to {FB_MAX_SIDE}"),
            SizeError::TooLarge => write!(
                f,
                "width x height x 4 bytes must fit the framebuffer's {} MiB",
                (1u64 << FRAMEBUFFER_MAX_BITS) >> 20
            ),
        }
    }
}

/// Checks a display size: each side 1 to [`FB_MAX_SIDE`], the pixels within 8 MiB.
pub fn check_size(width: u32, height: u32) -> Result<(), SizeError> {
    let max = FB_MAX_SIDE as u32;
    if !(1..=max).contains(&width) || !(1..=max).contains(&height) {
        return Err(SizeError::Side);
    }
    if u64::from(width) * u64::from(height) * 4 > 1 << FRAMEBUFFER_MAX_BITS {
        return Err(SizeError::TooLarge);
    }
    Ok(())
}

/// The framebuffer's register frame.
#[derive(Debug)]
pub struct FramebufferRegisters {
    width: u32,
    height: u32,
    presents: u64,
    /// Damaged rectangles not yet taken by the embedder.
    damage: Vec<Rect>,
    /// A present finished and the line was not yet delivered.
    fired: bool,
}

impl FramebufferRegisters {
    fn present(&mut self, value: u64) {
        let field = |shift: u32| (value >> shift) as u32 & 0xffff;
        let (x, y) = (field(0), field(16));
        if x >= self.width || y >= self.height {
            return;
        }
        let w = field(32).min(self.width - x);
        let h = field(48).min(self.height - y);
        if w == 0 || h == 0 {
            return;
        }
        let rect = Rect { x, y, w, h };
        self.presents += 1;
        self.fired = true;
        let full = self.damage.len() >= PRESENTS_KEPT;
        match self.damage.last_mut() {
            Some(last) if full => *last = last.union(rect),
            _ => self.damage.push(rect),
        }
    }
}

impl Device for FramebufferRegisters {
    fn name(&self) -> &'static str {
        "framebuffer registers"
    }

    fn base(&self) -> u64 {
        FRAMEBUFFER_REGS_BASE
    }

    fn read(&mut self, offset: u64, _now: Now) -> Result<u64, WouldBlock> {
        Ok(match offset {
            FB_WIDTH => u64::from(self.width),
            FB_HEIGHT => u64::from(self.height),
            FB_STRIDE => u64::from(self.width) * 4,
            FB_FORMAT => FB_FORMAT_XRGB8888,
            FB_PRESENTS => self.presents,
            _ => 0,
        })
    }

    fn write(&mut self, offset: u64, value: u64, _now: Now) {
        if offset == FB_PRESENT {
            self.present(value);
        }
    }

    fn raised(&self) -> u64 {
        u64::from(self.fired) << IRQ_FRAMEBUFFER
    }

    fn delivered(&mut self, _irq: u64) {
        self.fired = false;
    }

    /// The damaged rectangles, 16 bytes each (x, y, w, h as little-endian u32). Not
    /// counted as waiting output: the embedder takes them when it presents.
    fn take_output(&mut self, out: &mut Vec<u8>) {
        for r in self.damage.drain(..) {
            for v in [r.x, r.y, r.w, r.h] {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
    }
}

/// The framebuffer's pixels: plain memory, whole frames.
#[derive(Debug)]
pub struct FramebufferPixels {
    bytes: Vec<u8>,
}

impl Device for FramebufferPixels {
    fn name(&self) -> &'static str {
        "framebuffer pixels"
    }

    fn base(&self) -> u64 {
        FRAMEBUFFER_BASE
    }

    fn frames(&self) -> u64 {
        (self.bytes.len() / FRAME) as u64
    }

    fn read(&mut self, _offset: u64, _now: Now) -> Result<u64, WouldBlock> {
        Ok(0)
    }

    fn write(&mut self, _offset: u64, _value: u64, _now: Now) {}

    fn memory_frame(&mut self, frame: u64) -> Option<&mut [u8]> {
        let start = usize::try_from(frame).ok()?.checked_mul(FRAME)?;
        self.bytes.get_mut(start..start + FRAME)
    }
}

/// A machine's display: where its two framebuffer devices sit on the bus, and its size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Display {
    /// The register frame's device.
    pub registers: DeviceId,
    /// The pixels' device.
    pub pixels: DeviceId,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// Why a display could not be attached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisplayError {
    /// The size is refused.
    Size(SizeError),
    /// Its places are taken (attached twice).
    Attach(AttachError),
}

impl Display {
    /// Attaches a `width` x `height` framebuffer (registers and pixels) to `bus`.
    pub fn attach(bus: &mut DeviceBus, width: u32, height: u32) -> Result<Self, DisplayError> {
        check_size(width, height).map_err(DisplayError::Size)?;
        let bytes = (width as usize * height as usize * 4).div_ceil(FRAME) * FRAME;
        let registers = FramebufferRegisters {
            width,
            height,
            presents: 0,
            damage: Vec::new(),
            fired: false,
        };
        let registers = bus
            .attach(alloc::boxed::Box::new(registers))
            .map_err(DisplayError::Attach)?;
        let pixels = FramebufferPixels {
            bytes: vec![0; bytes],
        };
        let pixels = bus
            .attach(alloc::boxed::Box::new(pixels))
            .map_err(DisplayError::Attach)?;
        Ok(Display {
            registers,
            pixels,
            width,
            height,
        })
    }

    /// The rectangles presented since the last call, oldest first (at most 64: later
    /// ones are merged into the last).
    pub fn take_presents(&self, bus: &mut DeviceBus) -> Vec<Rect> {
        let mut out = Vec::new();
        let mut bytes = Vec::new();
        bus.take_output(self.registers, &mut bytes);
        for r in bytes.chunks_exact(16) {
            let word = |i: usize| u32::from_le_bytes([r[i], r[i + 1], r[i + 2], r[i + 3]]);
            out.push(Rect {
                x: word(0),
                y: word(4),
                w: word(8),
                h: word(12),
            });
        }
        out
    }

    /// The pixels as they are now, row by row (`0x00RRGGBB`), into `out`.
    pub fn read_pixels(&self, bus: &mut DeviceBus, out: &mut Vec<u32>) {
        out.clear();
        let total = self.width as usize * self.height as usize;
        let mut page = FRAMEBUFFER_BASE;
        while out.len() < total {
            let Some(frame) = bus.memory_frame(page) else {
                break;
            };
            for p in frame.chunks_exact(4).take(total - out.len()) {
                out.push(u32::from_le_bytes([p[0], p[1], p[2], p[3]]) & 0x00ff_ffff);
            }
            page += FRAME as u64;
        }
        out.resize(total, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    const NOW: Now = Now {
        ns: 0,
        deterministic: true,
    };

    #[test]
    fn sizes_outside_the_limits_are_refused() {
        assert_eq!(check_size(800, 600), Ok(()));
        assert_eq!(check_size(1920, 1080), Ok(()), "fits 8 MiB");
        assert_eq!(check_size(0, 10), Err(SizeError::Side));
        assert_eq!(check_size(10, 4097), Err(SizeError::Side));
        assert_eq!(check_size(4096, 4096), Err(SizeError::TooLarge));
        let mut bus = DeviceBus::new();
        assert_eq!(
            Display::attach(&mut bus, 0, 1),
            Err(DisplayError::Size(SizeError::Side))
        );
        Display::attach(&mut bus, 4, 4).unwrap();
        assert!(matches!(
            Display::attach(&mut bus, 4, 4),
            Err(DisplayError::Attach(AttachError::Overlap(_)))
        ));
    }

    #[test]
    fn registers_report_the_size_and_presents_reach_the_host_clipped() {
        let mut bus = DeviceBus::new();
        let d = Display::attach(&mut bus, 64, 48).unwrap();
        let reg = |bus: &mut DeviceBus, r| bus.read(FRAMEBUFFER_REGS_BASE + r, NOW).unwrap();
        assert_eq!(reg(&mut bus, FB_WIDTH), 64);
        assert_eq!(reg(&mut bus, FB_HEIGHT), 48);
        assert_eq!(reg(&mut bus, FB_STRIDE), 256);
        assert_eq!(reg(&mut bus, FB_FORMAT), FB_FORMAT_XRGB8888);
        let rect = |x: u64, y: u64, w: u64, h: u64| x | y << 16 | w << 32 | h << 48;
        bus.write(
            FRAMEBUFFER_REGS_BASE + FB_PRESENT,
            rect(60, 40, 10, 10),
            NOW,
        );
        assert_eq!(bus.raised(), 1 << IRQ_FRAMEBUFFER);
        bus.delivered(IRQ_FRAMEBUFFER);
        assert_eq!(bus.raised(), 0, "an edge");
        bus.write(FRAMEBUFFER_REGS_BASE + FB_PRESENT, rect(64, 0, 1, 1), NOW);
        bus.write(FRAMEBUFFER_REGS_BASE + FB_PRESENT, rect(0, 0, 0, 5), NOW);
        assert_eq!(reg(&mut bus, FB_PRESENTS), 1, "empty and outside ignored");
        let clipped = Rect {
            x: 60,
            y: 40,
            w: 4,
            h: 8,
        };
        assert_eq!(d.take_presents(&mut bus), [clipped]);
        assert_eq!(d.take_presents(&mut bus), []);
        for i in 0..100 {
            bus.write(
                FRAMEBUFFER_REGS_BASE + FB_PRESENT,
                rect(i % 64, 0, 1, 1),
                NOW,
            );
        }
        let kept = d.take_presents(&mut bus);
        assert_eq!(kept.len(), PRESENTS_KEPT);
        // The last kept (x 63) grew to cover the 36 later ones (x 0 to 35).
        let last = Rect {
            x: 0,
            y: 0,
            w: 64,
            h: 1,
        };
        assert_eq!(kept[PRESENTS_KEPT - 1], last);
    }

    #[test]
    fn pixels_are_plain_memory_in_whole_frames() {
        let mut bus = DeviceBus::new();
        let d = Display::attach(&mut bus, 3, 2).unwrap();
        let frame = bus.memory_frame(FRAMEBUFFER_BASE).expect("plain memory");
        assert_eq!(frame.len(), FRAME);
        frame[4..8].copy_from_slice(&0xff12_3456u32.to_le_bytes());
        assert!(
            bus.memory_frame(FRAMEBUFFER_BASE + 4096).is_none(),
            "one frame"
        );
        let mut px = Vec::new();
        d.read_pixels(&mut bus, &mut px);
        assert_eq!(px, [0, 0x12_3456, 0, 0, 0, 0], "the X byte is dropped");
        let mut p = FramebufferPixels {
            bytes: vec![0; FRAME],
        };
        assert!(p.memory_frame(u64::MAX).is_none());
        assert_eq!(p.read(0, NOW), Ok(0));
    }
}
