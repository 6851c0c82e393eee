//! The device bus: the hosted machine's devices behind one small trait. A device owns a
//! run of 4 KiB frames in the device region (registers, or plain memory such as a
//! framebuffer's pixels), some interrupt lines, and an input and an output queue its
//! embedder fills and drains. The software MMU sends device-frame accesses here; the
//! run loop asks which lines are raised, when the next device deadline falls, and what
//! the devices need when nothing can run. Adding a device (framebuffer, input,
//! network) adds an implementation of [`Device`]; the run loop does not change.

mod console;
pub mod framebuffer;
pub mod input;
pub mod network;
pub mod shared;
pub mod stats;
mod timer;

pub use console::Console;
pub use framebuffer::Display;
pub use input::Input;
pub use network::{Network, NodeIdentity};
pub use shared::{SharedMemory, SharedRegion};
pub use stats::{Counters, Stats};
pub use timer::Timer;

use alloc::boxed::Box;
use alloc::vec::Vec;
use selvm_abi::vm::device::{DEVICE_REGION_BITS, PHYS_DEVICE_BASE};

/// Bytes of a device frame.
const FRAME: u64 = 4096;

/// A device on a machine's bus, by its place there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DeviceId(pub usize);

impl DeviceId {
    /// The console (every machine has it).
    pub const CONSOLE: DeviceId = DeviceId(0);
    /// The user timer (every machine has it).
    pub const TIMER: DeviceId = DeviceId(1);
}

/// A register read that cannot be answered yet: under deterministic time the answer
/// would depend on input that has not arrived. The access is retried once it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WouldBlock;

/// What a device knows of the machine when it is called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    /// Machine time, in nanoseconds since boot.
    pub ns: u64,
    /// Virtual time: what the guest observes must not depend on host timing.
    pub deterministic: bool,
}

/// What a device needs when no thread can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdleNeed {
    /// Nothing: it cannot wake anyone by itself.
    Nothing,
    /// It raised a line just now (input that was queued became visible).
    Raised,
    /// A thread may be waiting for its input, which has not arrived and may still come.
    Input,
}

/// One device.
pub trait Device: Send {
    /// Short name ("console", "timer").
    fn name(&self) -> &'static str;
    /// Physical address of its first frame (in the device region, 4 KiB aligned).
    fn base(&self) -> u64;
    /// How many 4 KiB frames it occupies.
    fn frames(&self) -> u64 {
        1
    }
    /// Reads the 64-bit register at byte `offset` from [`Device::base`] (8-aligned).
    fn read(&mut self, offset: u64, now: Now) -> Result<u64, WouldBlock>;
    /// Writes the 64-bit register at byte `offset` (8-aligned).
    fn write(&mut self, offset: u64, value: u64, now: Now);
    /// The bytes of its frame number `frame` if that frame is plain memory (pixels,
    /// rings) rather than registers; loads and stores then act on them directly.
    fn memory_frame(&mut self, _frame: u64) -> Option<&mut [u8]> {
        None
    }
    /// The memory behind byte `offset` if it is shared with other processes (the
    /// shared region's data frames): loads and stores go there, atomically.
    fn shared(&self, _offset: u64) -> Option<(&dyn SharedMemory, u64)> {
        None
    }
    /// Interrupt lines it raises now (bit i: line i).
    fn raised(&self) -> u64 {
        0
    }
    /// The machine delivered line `irq` to the kernel (an edge-triggered source lowers
    /// it; a level-triggered one keeps it raised while its condition holds).
    fn delivered(&mut self, _irq: u64) {}
    /// Time reached `now`: fire what was due.
    fn advance(&mut self, _now: Now) {}
    /// The next time [`Device::advance`] matters (an armed timer's deadline).
    fn deadline(&self) -> Option<u64> {
        None
    }
    /// No thread can run; `unmasked` are the lines the kernel would deliver.
    fn idle(&mut self, _unmasked: u64, _now: Now) -> IdleNeed {
        IdleNeed::Nothing
    }
    /// Input from the embedder.
    fn push_input(&mut self, _bytes: &[u8], _now: Now) {}
    /// No more input will come.
    fn close_input(&mut self, _now: Now) {}
    /// Whether it would use input now (none is queued, input has not ended, and the
    /// guest is waiting for it or looked for it); `unmasked` as for [`Device::idle`].
    fn wants_input(&self, _unmasked: u64) -> bool {
        false
    }
    /// Moves its output to `out`.
    fn take_output(&mut self, _out: &mut Vec<u8>) {}
    /// Whether it has output waiting.
    fn has_output(&self) -> bool {
        false
    }
    /// The machine's counts (the statistics device keeps them; others ignore them).
    fn counters(&mut self, _counters: &Counters) {}
}

/// Why a device could not be attached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachError {
    /// Its frames are not page aligned or leave the device region.
    OutsideRegion,
    /// Its frames overlap another device's.
    Overlap(DeviceId),
}

/// The machine's devices, the lines they raise, and the next deadline among them.
pub struct DeviceBus {
    devices: Vec<Box<dyn Device>>,
    /// Lines raised by any device (recomputed after every device event).
    raised: u64,
    /// The earliest device deadline (`u64::MAX`: none), so time can advance without
    /// asking every device.
    deadline: u64,
    /// Whether any device has output waiting (recomputed with `raised`).
    output: bool,
}

/// Whether physical address `pa` is in the device region.
pub fn is_device(pa: u64) -> bool {
    pa >= PHYS_DEVICE_BASE && pa - PHYS_DEVICE_BASE < 1 << DEVICE_REGION_BITS
}

impl DeviceBus {
    /// The standard devices: the console at [`DeviceId::CONSOLE`], the timer at
    /// [`DeviceId::TIMER`].
    pub fn new() -> Self {
        let mut bus = DeviceBus {
            devices: Vec::new(),
            raised: 0,
            deadline: u64::MAX,
            output: false,
        };
        for d in [
            Box::new(Console::default()) as Box<dyn Device>,
            Box::new(Timer::default()),
        ] {
            bus.attach(d).expect("the standard devices fit the region");
        }
        bus
    }

    /// Adds a device; its frames must lie in the device region and overlap no other.
    pub fn attach(&mut self, device: Box<dyn Device>) -> Result<DeviceId, AttachError> {
        let (base, end) = (device.base(), device.base() + device.frames() * FRAME);
        let region_end = PHYS_DEVICE_BASE + (1 << DEVICE_REGION_BITS);
        if base % FRAME != 0 || base < PHYS_DEVICE_BASE || end > region_end || end <= base {
            return Err(AttachError::OutsideRegion);
        }
        for (i, d) in self.devices.iter().enumerate() {
            if base < d.base() + d.frames() * FRAME && d.base() < end {
                return Err(AttachError::Overlap(DeviceId(i)));
            }
        }
        self.devices.push(device);
        self.refresh();
        Ok(DeviceId(self.devices.len() - 1))
    }

    /// The device `id`, if there is one.
    pub fn device(&mut self, id: DeviceId) -> Option<&mut dyn Device> {
        match self.devices.get_mut(id.0) {
            Some(d) => Some(d.as_mut()),
            None => None,
        }
    }

    /// The device whose frames hold physical address `pa`, and the offset in them.
    fn at(&mut self, pa: u64) -> Option<(usize, u64)> {
        self.devices
            .iter()
            .position(|d| pa >= d.base() && pa - d.base() < d.frames() * FRAME)
            .map(|i| (i, pa - self.devices[i].base()))
    }

    /// Reads the register at physical `pa` (8-aligned); 0 where no device is.
    pub fn read(&mut self, pa: u64, now: Now) -> Result<u64, WouldBlock> {
        let Some((i, offset)) = self.at(pa) else {
            return Ok(0);
        };
        let value = self.devices[i].read(offset, now);
        self.refresh();
        value
    }

    /// Writes the register at physical `pa` (8-aligned); nothing where no device is.
    pub fn write(&mut self, pa: u64, value: u64, now: Now) {
        if let Some((i, offset)) = self.at(pa) {
            self.devices[i].write(offset, value, now);
            self.refresh();
        }
    }

    /// The bytes of the 4 KiB device frame at `page` if it is plain memory.
    pub fn memory_frame(&mut self, page: u64) -> Option<&mut [u8]> {
        let (i, offset) = self.at(page)?;
        self.devices[i].memory_frame(offset / FRAME)
    }

    /// The shared memory behind physical `pa` and the offset in it, if `pa` is in a
    /// frame shared with other processes.
    pub fn shared(&self, pa: u64) -> Option<(&dyn SharedMemory, u64)> {
        let d =
            (self.devices.iter()).find(|d| pa >= d.base() && pa - d.base() < d.frames() * FRAME)?;
        d.shared(pa - d.base())
    }

    /// Lines raised by any device.
    #[inline]
    pub fn raised(&self) -> u64 {
        self.raised
    }

    /// Line `irq` was delivered to the kernel.
    pub fn delivered(&mut self, irq: u64) {
        for d in &mut self.devices {
            if d.raised() & (1 << irq) != 0 {
                d.delivered(irq);
            }
        }
        self.refresh();
    }

    /// The earliest device deadline, if any.
    pub fn deadline(&self) -> Option<u64> {
        (self.deadline != u64::MAX).then_some(self.deadline)
    }

    /// Time reached `now`: devices whose deadline passed fire. Cheap when nothing is due.
    #[inline(always)]
    pub fn advance(&mut self, now: Now) {
        if now.ns >= self.deadline {
            self.fire(now);
        }
    }

    #[inline(never)]
    fn fire(&mut self, now: Now) {
        for d in &mut self.devices {
            d.advance(now);
        }
        self.refresh();
    }

    /// No thread can run: what the devices need (a raised line, input, nothing).
    pub fn idle(&mut self, unmasked: u64, now: Now) -> IdleNeed {
        let mut need = IdleNeed::Nothing;
        for d in &mut self.devices {
            match d.idle(unmasked, now) {
                IdleNeed::Raised => need = IdleNeed::Raised,
                IdleNeed::Input if need == IdleNeed::Nothing => need = IdleNeed::Input,
                _ => {}
            }
        }
        self.refresh();
        need
    }

    /// Whether any device would use input now.
    pub fn wants_input(&self, unmasked: u64) -> bool {
        self.devices.iter().any(|d| d.wants_input(unmasked))
    }

    /// Whether any device has output waiting.
    #[inline]
    pub fn has_output(&self) -> bool {
        self.output
    }

    /// Input for device `id`; false if there is no such device.
    pub fn push_input(&mut self, id: DeviceId, bytes: &[u8], now: Now) -> bool {
        let Some(d) = self.devices.get_mut(id.0) else {
            return false;
        };
        d.push_input(bytes, now);
        self.refresh();
        true
    }

    /// Ends device `id`'s input; false if there is no such device.
    pub fn close_input(&mut self, id: DeviceId, now: Now) -> bool {
        let Some(d) = self.devices.get_mut(id.0) else {
            return false;
        };
        d.close_input(now);
        self.refresh();
        true
    }

    /// Ends every device's input.
    pub fn close_all_input(&mut self, now: Now) {
        for d in &mut self.devices {
            d.close_input(now);
        }
        self.refresh();
    }

    /// Moves device `id`'s output to `out`.
    pub fn take_output(&mut self, id: DeviceId, out: &mut Vec<u8>) {
        if let Some(d) = self.devices.get_mut(id.0) {
            d.take_output(out);
            self.refresh();
        }
    }

    fn refresh(&mut self) {
        self.raised = self.devices.iter().fold(0, |m, d| m | d.raised());
        self.output = self.devices.iter().any(|d| d.has_output());
        self.deadline = self
            .devices
            .iter()
            .filter_map(|d| d.deadline())
            .min()
            .unwrap_or(u64::MAX);
    }
}

impl Default for DeviceBus {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use selvm_abi::vm::device::{CONSOLE_BASE, IRQ_CONSOLE_RX, IRQ_TIMER, TIMER_BASE};

    const NOW: Now = Now {
        ns: 0,
        deterministic: false,
    };

    /// A device of two frames: registers in the first, plain memory in the second.
    struct Scratch {
        base: u64,
        memory: alloc::vec::Vec<u8>,
        last_write: u64,
    }

    impl Device for Scratch {
        fn name(&self) -> &'static str {
            "scratch"
        }
        fn base(&self) -> u64 {
            self.base
        }
        fn frames(&self) -> u64 {
            2
        }
        fn read(&mut self, offset: u64, _: Now) -> Result<u64, WouldBlock> {
            Ok(offset + 1)
        }
        fn write(&mut self, _: u64, value: u64, _: Now) {
            self.last_write = value;
        }
        fn memory_frame(&mut self, frame: u64) -> Option<&mut [u8]> {
            (frame == 1).then(|| &mut self.memory[..])
        }
    }

    #[test]
    fn accesses_reach_the_device_owning_the_frame() {
        let mut bus = DeviceBus::new();
        // The standard devices fill the region; a third must fit elsewhere.
        let scratch = Scratch {
            base: CONSOLE_BASE,
            memory: vec![0; 4096],
            last_write: 0,
        };
        assert_eq!(
            bus.attach(Box::new(scratch)).err(),
            Some(AttachError::Overlap(DeviceId::CONSOLE))
        );
        let outside = Scratch {
            base: PHYS_DEVICE_BASE + (1 << DEVICE_REGION_BITS),
            memory: vec![0; 4096],
            last_write: 0,
        };
        assert_eq!(
            bus.attach(Box::new(outside)).err(),
            Some(AttachError::OutsideRegion)
        );
        let mut bus = DeviceBus {
            devices: Vec::new(),
            raised: 0,
            deadline: u64::MAX,
            output: false,
        };
        let id = bus
            .attach(Box::new(Scratch {
                base: TIMER_BASE - FRAME,
                memory: vec![0; 4096],
                last_write: 0,
            }))
            .unwrap();
        assert_eq!(bus.read(TIMER_BASE - FRAME + 16, NOW), Ok(17));
        bus.write(TIMER_BASE - FRAME + 8, 99, NOW);
        assert!(bus.memory_frame(TIMER_BASE - FRAME).is_none(), "registers");
        bus.memory_frame(TIMER_BASE).expect("plain memory")[5] = 7;
        assert_eq!(bus.memory_frame(TIMER_BASE).unwrap()[5], 7);
        assert_eq!(bus.read(TIMER_BASE + 4096, NOW), Ok(0), "no device there");
        assert!(bus.device(id).is_some() && bus.device(DeviceId(5)).is_none());
    }

    #[test]
    fn raised_lines_and_deadlines_follow_the_devices() {
        let mut bus = DeviceBus::new();
        assert_eq!((bus.raised(), bus.deadline()), (0, None));
        bus.write(TIMER_BASE + selvm_abi::vm::device::TIMER_COMPARE, 500, NOW);
        assert_eq!(bus.deadline(), Some(500));
        bus.advance(Now { ns: 499, ..NOW });
        assert_eq!(bus.raised(), 0);
        bus.advance(Now { ns: 500, ..NOW });
        assert_eq!(bus.raised(), 1 << IRQ_TIMER);
        assert_eq!(bus.deadline(), None, "firing disarms");
        bus.delivered(IRQ_TIMER);
        assert_eq!(bus.raised(), 0, "the timer's line is an edge");
        assert!(bus.push_input(DeviceId::CONSOLE, b"x", NOW));
        assert_eq!(bus.raised(), 1 << IRQ_CONSOLE_RX);
        bus.delivered(IRQ_CONSOLE_RX);
        assert_eq!(
            bus.raised(),
            1 << IRQ_CONSOLE_RX,
            "the console's is a level"
        );
        assert!(!bus.push_input(DeviceId(9), b"x", NOW));
    }
}
