//! The GUI system's fixed numbers: client slots and their badges, each client's
//! CSpace (three caps) and where its window frames sit, priorities, colours.

use libsel4::{CPtr, Word};

/// Clients the launcher can run at once (one window each).
pub const MAX_CLIENTS: usize = 7;
/// Frames shared per client for its window's pixels: 256 KiB, 65,536 pixels.
pub const WINDOW_PAGES: usize = 64;
/// Where a client finds its window frames (in its own VSpace).
pub const WINDOW_VADDR: usize = 0x8000_0000;
/// Radix of a client's CNode, and of the display server's (guard size 64 - radix:
/// CPtrs below 16 resolve).
pub const CLIENT_RADIX: Word = 4;

/// A client's slot: the server endpoint, badged with its client number.
pub const SERVER: CPtr = 1;
/// A client's slot: the launcher's endpoint, badged with its client number: its fault
/// endpoint, and where it sends [`EXIT_LABEL`].
pub const LAUNCHER: CPtr = 2;
/// A client's slot: the notification the server signals when it queues an event.
pub const EVENTS: CPtr = 3;

/// The system monitor's slot: the timer interrupt's handler (it signals the monitor's
/// event notification with [`TIMER_BADGE`]).
pub const TIMER_IRQ: CPtr = 4;
/// The badge the timer interrupt signals the monitor's notification with.
pub const TIMER_BADGE: Word = 1;
/// Where the system monitor finds the statistics device's frame (read-only).
pub const STATS_VADDR: usize = 0x9000_0000;
/// Where the system monitor finds the timer's frame.
pub const TIMER_VADDR: usize = 0x9000_1000;

/// The display server's slot: its endpoint.
pub const SERVER_EP_SLOT: CPtr = 1;
/// The display server's slot: the input interrupt's handler.
pub const SERVER_IRQ_SLOT: CPtr = 2;
/// The display server's slots from here on: client n's event notification at
/// `SERVER_EVENTS_SLOT + n` (MAX_CLIENTS + 2 slots fit a radix-4 CNode).
pub const SERVER_EVENTS_SLOT: CPtr = 3;

/// The label of the exit message a client sends the launcher (MR0 its status);
/// faults arrive with the fault labels (1 to 5), which it is far from.
pub const EXIT_LABEL: Word = 0x4558_4954;
/// The server endpoint badge of the launcher's copy (client badges are 1 ..=
/// [`MAX_CLIENTS`]).
pub const LAUNCHER_BADGE: Word = 1 << 20;
/// The badge of the input interrupt's notification, bound to the server thread.
pub const IRQ_BADGE: Word = 1 << 40;

/// The display server's priority (clients run below it, the launcher above).
pub const SERVER_PRIORITY: Word = 200;
/// Every client's priority.
pub const CLIENT_PRIORITY: Word = 100;

/// Key code (Linux evdev) that shuts the GUI down: F10.
pub const KEY_QUIT: Word = 68;

/// Colours (0x00RRGGBB).
pub mod colour {
    /// The desktop.
    pub const DESKTOP: u32 = 0x0030_6078;
    /// Window borders.
    pub const BORDER: u32 = 0x0010_1010;
    /// The focused window's title bar.
    pub const TITLE_FOCUSED: u32 = 0x0030_58b0;
    /// Other title bars.
    pub const TITLE: u32 = 0x0070_7070;
    /// Title text.
    pub const TITLE_TEXT: u32 = 0x00ff_ffff;
    /// Close boxes.
    pub const CLOSE: u32 = 0x00c0_3030;
}

/// The client number of a badge on the server endpoint, if it is one.
pub fn client_of(badge: Word) -> Option<usize> {
    (1..=MAX_CLIENTS as Word)
        .contains(&badge)
        .then(|| badge as usize - 1)
}

const _: () = assert!(SERVER_EVENTS_SLOT as usize + MAX_CLIENTS <= 1 << CLIENT_RADIX);
