//! What the device tree says about the machine: RAM, the interrupt controller and
//! the core-local interruptor (both the kernel's) and the timebase. Devices such as
//! the UART belong to user level, as on C seL4, and reach it as device Untypeds.

use fdt::Fdt;

/// The machine as the device tree describes it.
#[derive(Debug, Clone, Copy)]
pub struct Machine {
    /// RAM: first byte and end (exclusive), physical.
    pub ram: (u64, u64),
    /// The PLIC's registers: base and size, physical.
    pub plic: (u64, u64),
    /// Interrupt sources the PLIC has (`riscv,ndev`; lines 1..=ndev).
    pub plic_sources: u64,
    /// The CLINT's registers (M-mode timer and software interrupts), if present.
    pub clint: Option<(u64, u64)>,
    /// `time` ticks per second.
    pub timebase: u64,
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
    let plic_node = fdt
        .find_compatible(&["riscv,plic0", "sifive,plic-1.0.0"])
        .ok_or("no PLIC")?;
    let plic = plic_node
        .reg()
        .and_then(|mut r| r.next())
        .and_then(|r| Some((r.starting_address as u64, r.size? as u64)))
        .ok_or("no PLIC registers")?;
    let plic_sources = plic_node
        .property("riscv,ndev")
        .and_then(|p| p.as_usize())
        .ok_or("no riscv,ndev")? as u64;
    let clint = fdt
        .find_compatible(&["riscv,clint0", "sifive,clint0"])
        .and_then(|n| n.reg()?.next())
        .and_then(|r| Some((r.starting_address as u64, r.size? as u64)));
    let timebase = fdt
        .cpus()
        .next()
        .map(|c| c.timebase_frequency() as u64)
        .ok_or("no cpu")?;
    Ok(Machine {
        ram,
        plic,
        plic_sources,
        clint,
        timebase,
    })
}
