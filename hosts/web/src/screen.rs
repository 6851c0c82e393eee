//! A session's display: the framebuffer, statistics and input devices `selvm run
//! --display WxH` attaches, the guest's presents handed to the page as rectangles of RGBA pixels
//! (ready for a canvas's `ImageData`, so JavaScript copies no pixel), the page's
//! keyboard and pointer events pushed to the input device, and an input script
//! delivered at its instruction counts as the command line delivers it.

use selvm_abi::vm::device::FRAMEBUFFER_BASE;
use selvm_machine::devices::framebuffer::{DisplayError, Rect};
use selvm_machine::devices::input::{Event, Script};
use selvm_machine::devices::{Display, Input};
use selvm_machine::{DeviceId, Machine, Step};

/// Bytes of a device frame.
const FRAME: u64 = 4096;
/// More damaged rectangles than this in one batch are sent as the one holding them all.
const MOST_RECTS: usize = 8;

/// A machine's framebuffer and input device, and the script feeding it, if any.
pub struct Screen {
    display: Display,
    input: DeviceId,
    script: Option<Script>,
}

impl Screen {
    /// Attaches a `width` x `height` framebuffer, the statistics device (the GUI's
    /// system monitor reads it) and an input device to `m`, in `selvm run`'s order.
    pub fn attach(m: &mut Machine, width: u32, height: u32) -> Result<Screen, String> {
        let display = Display::attach(m.devices(), width, height).map_err(|e| match e {
            DisplayError::Size(s) => format!("display {width}x{height}: {s}"),
            DisplayError::Attach(a) => format!("display {width}x{height}: {a:?}"),
        })?;
        m.attach_stats()
            .map_err(|e| format!("the statistics device: {e:?}"))?;
        let input = m
            .devices()
            .attach(Box::new(Input::default()))
            .map_err(|e| format!("the input device: {e:?}"))?;
        Ok(Screen {
            display,
            input,
            script: None,
        })
    }

    /// Width and height in pixels.
    pub fn size(&self) -> (u32, u32) {
        (self.display.width, self.display.height)
    }

    /// From now on the input device is fed by `script` (as `selvm run --input-script`):
    /// the events already due enter now.
    pub fn use_script(&mut self, m: &mut Machine, mut script: Script) {
        script.deliver(m, self.input, &Step::Running);
        self.script = Some(script);
    }

    /// A budget that stops no later than the script's next event.
    pub fn budget(&self, m: &Machine, budget: u64) -> u64 {
        match self.script.as_ref().and_then(Script::next_at) {
            Some(at) => budget.min(at.saturating_sub(m.instructions)).max(1),
            None => budget,
        }
    }

    /// After a run or a step: the script's events that are due enter; true if any did.
    pub fn deliver(&mut self, m: &mut Machine, step: &Step) -> bool {
        match self.script.as_mut() {
            Some(s) => s.deliver(m, self.input, step),
            None => false,
        }
    }

    /// An event from the page (its keyboard and pointer); ignored while a script feeds
    /// the device. True if it entered.
    pub fn push(&mut self, m: &mut Machine, event: Event) -> bool {
        self.script.is_none() && m.push_input(self.input, &event.to_bytes())
    }

    /// No more input will come (a run with no one to type).
    pub fn close_input(&mut self, m: &mut Machine) {
        if self.script.is_none() {
            m.close_input(self.input);
        }
    }

    /// What the guest presented since the last call, appended to `out` as records of
    /// x, y, width, height (little-endian `u32`s) and that rectangle's pixels as RGBA
    /// bytes, row by row; with `whole`, the whole frame as one record whether or not
    /// anything was presented (the end of a run: `--screenshot` writes the whole frame).
    /// Many rectangles go as the one holding them all.
    pub fn frames(&self, m: &mut Machine, whole: bool, out: &mut Vec<u8>) {
        let (width, height) = self.size();
        let full = Rect {
            x: 0,
            y: 0,
            w: width,
            h: height,
        };
        let mut rects = self.display.take_presents(m.devices());
        if whole {
            rects = vec![full];
        }
        let area: u64 = rects.iter().map(|r| u64::from(r.w) * u64::from(r.h)).sum();
        if rects.len() > MOST_RECTS || area > u64::from(width) * u64::from(height) {
            let union = rects.iter().copied().reduce(Rect::union);
            rects = union.into_iter().collect();
        }
        for r in rects {
            for v in [r.x, r.y, r.w, r.h] {
                out.extend_from_slice(&v.to_le_bytes());
            }
            for y in r.y..r.y + r.h {
                let start = (u64::from(y) * u64::from(width) + u64::from(r.x)) * 4;
                rgba(m, start, u64::from(r.w) * 4, out);
            }
        }
    }
}

/// The framebuffer's bytes `start..start + len` (XRGB8888: B, G, R, unused) as RGBA.
fn rgba(m: &mut Machine, start: u64, len: u64, out: &mut Vec<u8>) {
    let mut at = start;
    let end = start + len;
    while at < end {
        let page = at / FRAME * FRAME;
        let upto = end.min(page + FRAME);
        let from = (at - page) as usize;
        let to = (upto - page) as usize;
        match m.devices().memory_frame(FRAMEBUFFER_BASE + page) {
            Some(frame) => {
                for p in frame[from..to].chunks_exact(4) {
                    out.extend_from_slice(&[p[2], p[1], p[0], 0xff]);
                }
            }
            None => out.extend((from..to).map(|i| if i % 4 == 3 { 0xff } else { 0 })),
        }
        at = upto;
    }
}

#[cfg(test)]
mod tests;
