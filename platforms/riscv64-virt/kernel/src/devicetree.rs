//! What the device tree says about the machine: RAM, the PLIC, the timebase and the
//! UART (which belongs to user level, as on C seL4).

use fdt::Fdt;

/// The machine as the device tree describes it.
#[derive(Debug, Clone, Copy)]
pub struct Machine {
    /// RAM: first byte and end (exclusive), physical.
    pub ram: (u64, u64),
    /// The PLIC's registers: base and size, physical.
    pub plic: (u64, u64),
    /// `time` ticks per second.
    pub timebase: u64,
    /// The ns16550 UART: base, size and interrupt line, if there is one.
    pub uart: Option<(u64, u64, u32)>,
}

/// Reads the tree at kernel-window address `va`.
pub fn read(va: u64) -> Result<Machine, &'static str> {
    // SAFETY: `va` is the kernel-window address of the device tree the loader placed
    // and reserved; the header gives its size, and the tree is not written while the
    // returned borrows live (they end with this function).
    let fdt = unsafe { Fdt::from_ptr(va as *const u8) }.map_err(|_| "not a device tree")?;
    let ram = fdt
        .memory()
        .regions()
        .next()
        .and_then(|r| Some((r.starting_address as u64, r.size? as u64)))
        .map(|(start, size)| (start, start + size))
        .ok_or("no memory node")?;
    let plic = fdt
        .find_compatible(&["riscv,plic0", "sifive,plic-1.0.0"])
        .and_then(|n| n.reg()?.next())
        .and_then(|r| Some((r.starting_address as u64, r.size? as u64)))
        .ok_or("no PLIC")?;
    let timebase = fdt
        .cpus()
        .next()
        .map(|c| c.timebase_frequency() as u64)
        .ok_or("no cpu")?;
    let uart = fdt.find_compatible(&["ns16550a"]).and_then(|n| {
        let r = n.reg()?.next()?;
        let irq = n.interrupts()?.next()?;
        Some((r.starting_address as u64, r.size? as u64, irq as u32))
    });
    Ok(Machine {
        ram,
        plic,
        timebase,
        uart,
    })
}
