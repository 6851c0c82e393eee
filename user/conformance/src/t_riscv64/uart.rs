//! The UART's receive interrupt through IRQControl and an IRQHandler [SEL4-RISCV64-BOOT:
//! the UART belongs to user level, device untypeds cover every non-RAM range; the PLIC
//! delivers qemu `virt`'s ns16550 on line 10]. The root retypes the UART's frame out of
//! the device untyped covering 0x10000000, maps it, gets a handler for line 10 bound to
//! a badged notification, and sends characters in the ns16550's loopback mode (MCR bit
//! 4), so each comes back as received data and raises the line; no terminal is needed.
//! Nothing may be printed meanwhile (the kernel's console, through SBI, shares the
//! UART), and the UART is put back as it was whatever happens.

use crate::common::*;
use libsel4::{CPtr, CapRights, Word, cnode, irq, untyped};
use sel4rt::{Env, ROOT_CNODE, ROOT_VSPACE, types};
use selvm_abi::CAP_IRQ_CONTROL;

/// The ns16550's physical address on qemu `virt`.
const UART_PADDR: u64 = 0x1000_0000;
/// Its interrupt line (PLIC source).
const UART_IRQ: Word = 10;
/// The badge the interrupt's notification cap carries.
const IRQ_BADGE: Word = 0x100;
/// Polls of the notification before giving up on an interrupt.
const POLLS: usize = 1_000_000;

// ns16550 registers (byte offsets; qemu's reg-shift is 0) and their bits.
const RBR_THR: usize = 0;
const IER: usize = 1;
const IIR_FCR: usize = 2;
const MCR: usize = 4;
const LSR: usize = 5;
const IER_RECEIVED_DATA: u8 = 0x01;
const FCR_ENABLE_AND_CLEAR: u8 = 0x07;
const MCR_LOOPBACK: u8 = 0x10;
const LSR_DATA_READY: u8 = 0x01;
const LSR_THR_EMPTY: u8 = 0x20;
const LSR_IDLE: u8 = 0x40;
const IIR_ID: u8 = 0x0f;
const IIR_RECEIVED_DATA: u8 = 0x04;
/// With the FIFO on, a character left unread for four character times turns the
/// received-data indication into this one (also "data to read"): a loaded host can
/// take that long between the interrupt and the test's read.
const IIR_CHARACTER_TIMEOUT: u8 = 0x0c;
const IIR_NONE: u8 = 0x01;

/// The UART's registers, mapped at `base`.
struct Uart {
    base: usize,
}

impl Uart {
    fn read(&self, reg: usize) -> u8 {
        // SAFETY: `base` maps the UART's device frame read-write; `reg` is one of its
        // byte registers.
        unsafe { core::ptr::read_volatile((self.base + reg) as *const u8) }
    }

    fn write(&self, reg: usize, value: u8) {
        // SAFETY: as in `read`.
        unsafe { core::ptr::write_volatile((self.base + reg) as *mut u8, value) }
    }

    /// Waits (boundedly) until the line status has `bits`.
    fn wait_for(&self, bits: u8) -> bool {
        (0..POLLS).any(|_| self.read(LSR) & bits == bits)
    }
}

/// Root slots the test takes, given back at its end.
struct Taken {
    slots: [CPtr; 96],
    n: usize,
}

impl Taken {
    /// `count` consecutive free slots; the first.
    fn slots(&mut self, env: &mut Env, count: usize) -> Result<CPtr, Fail> {
        check(self.n + count <= self.slots.len(), "slots taken")?;
        let first = ok(env.slots.alloc_range(count), "free slots")?;
        for i in 0..count {
            self.slots[self.n] = first + i as CPtr;
            self.n += 1;
        }
        Ok(first)
    }

    fn slot(&mut self, env: &mut Env) -> Result<CPtr, Fail> {
        self.slots(env, 1)
    }
}

pub fn receive_interrupt(env: &mut Env) -> R {
    let mut taken = Taken {
        slots: [0; 96],
        n: 0,
    };
    let mut device = 0;
    let r = run(env, &mut taken, &mut device);
    // Everything the test made was retyped from the device untyped or sits in its
    // slots: revoke the one, empty the others.
    if device != 0 {
        let _ = cnode::revoke(ROOT_CNODE, device, 64);
    }
    for &s in &taken.slots[..taken.n] {
        let _ = cnode::delete(ROOT_CNODE, s, 64);
        env.slots.free(s);
    }
    r
}

fn run(env: &mut Env, taken: &mut Taken, device: &mut CPtr) -> R {
    let frame = uart_frame(env, taken, device)?;
    let base = env.alloc_vaddr(1);
    ok(
        env.map_frame(ROOT_VSPACE, frame, base, CapRights::ALL),
        "map the UART's frame",
    )?;
    let handler = taken.slot(env)?;
    ok(
        irq::control_get(CAP_IRQ_CONTROL, UART_IRQ, ROOT_CNODE, handler, 64),
        "IRQControl_Get for line 10",
    )?;
    let n = taken.slot(env)?;
    let badged = taken.slot(env)?;
    ok(
        env.untypeds.retype_into(types::NOTIFICATION, 0, n, 1),
        "notification",
    )?;
    ok(root_mint(badged, n, CapRights::ALL, IRQ_BADGE), "badge it")?;
    ok(
        irq::handler_set_notification(handler, badged),
        "IRQHandler_SetNotification",
    )?;
    let uart = Uart { base };
    let r = loopback(&uart, n, handler);
    uart.write(IER, 0);
    uart.write(MCR, 0);
    uart.write(IIR_FCR, FCR_ENABLE_AND_CLEAR);
    ok(irq::handler_clear(handler), "IRQHandler_Clear")?;
    r
}

/// Retypes the 4 KiB frame at [`UART_PADDR`] out of the device untyped covering it
/// (whose slot goes to `device`), halving untypeds down to one page.
fn uart_frame(env: &mut Env, taken: &mut Taken, device: &mut CPtr) -> Result<CPtr, Fail> {
    let bi = ok(
        libsel4::boot_info().ok_or(libsel4::Error::FailedLookup),
        "BootInfo",
    )?;
    let covers = |u: &selvm_abi::UntypedDesc| {
        u.is_device != 0 && u.paddr <= UART_PADDR && UART_PADDR - u.paddr < 1 << u.size_bits
    };
    let list = bi.untypeds();
    let Some(index) = list.iter().position(covers) else {
        return Err(Fail {
            what: "a device untyped covering 0x10000000",
            got: 0,
            want: 1,
        });
    };
    *device = bi.untyped.start + index as CPtr;
    let (mut ut, mut base, mut bits) = (*device, list[index].paddr, list[index].size_bits);
    while bits > 12 {
        let halves = taken.slots(env, 2)?;
        let second = halves + 1;
        ok(
            untyped::retype(
                ut,
                types::UNTYPED,
                Word::from(bits - 1),
                ROOT_CNODE,
                0,
                0,
                halves,
                2,
            ),
            "halve the device untyped",
        )?;
        bits -= 1;
        if UART_PADDR >= base + (1 << bits) {
            (ut, base) = (second, base + (1 << bits));
        } else {
            ut = halves;
        }
    }
    let frame = taken.slot(env)?;
    ok(
        untyped::retype(ut, types::FRAME, 0, ROOT_CNODE, 0, 0, frame, 1),
        "the UART's frame",
    )?;
    Ok(frame)
}

/// Sends two characters in loopback mode; each must raise the interrupt, signal the
/// notification with its badge, and come back as received data.
fn loopback(uart: &Uart, n: CPtr, handler: CPtr) -> R {
    // What was printed before the test has left the UART.
    check(uart.wait_for(LSR_IDLE), "the transmitter goes idle")?;
    uart.write(IER, 0);
    uart.write(IIR_FCR, FCR_ENABLE_AND_CLEAR);
    for _ in 0..16 {
        if uart.read(LSR) & LSR_DATA_READY == 0 {
            break;
        }
        uart.read(RBR_THR);
    }
    let _ = libsel4::poll(n);
    uart.write(MCR, MCR_LOOPBACK);
    uart.write(IER, IER_RECEIVED_DATA);
    for c in [b'Z', b'y'] {
        check(uart.wait_for(LSR_THR_EMPTY), "room to transmit")?;
        uart.write(RBR_THR, c);
        let badge = (0..POLLS)
            .map(|_| libsel4::poll(n).1)
            .find(|&b| b != 0)
            .unwrap_or(0);
        eq(
            badge,
            IRQ_BADGE,
            "the notification's badge (0: no interrupt came)",
        )?;
        let iir = match uart.read(IIR_FCR) & IIR_ID {
            IIR_CHARACTER_TIMEOUT => IIR_RECEIVED_DATA,
            other => other,
        };
        eq(
            iir.into(),
            IIR_RECEIVED_DATA.into(),
            "IIR: received data (or its character timeout)",
        )?;
        eq(uart.read(LSR) as u64 & 1, 1, "LSR: data ready")?;
        eq(
            uart.read(RBR_THR).into(),
            c.into(),
            "the character looped back",
        )?;
        eq(
            (uart.read(IIR_FCR) & IIR_ID).into(),
            IIR_NONE.into(),
            "IIR: nothing pending once read",
        )?;
        ok(irq::handler_ack(handler), "IRQHandler_Ack")?;
    }
    Ok(())
}
