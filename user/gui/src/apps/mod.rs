//! The demo clients, each run by the launcher in an address space of its own
//! ([`entry`] with the app's number): a paint program, a game (Lights Out), a window of text, the system monitor, a client
//! that writes outside its window frames (it must fault alone), one that sends
//! malformed requests (each must be refused with the right error), and one that sends
//! 400 pseudo-random ones (the server must answer them all and keep serving).

pub mod bad_requests;
pub mod chaos;
pub mod faulty;
pub mod hello;
pub mod lights;
pub mod monitor;
pub mod paint;

/// The apps: name and main, in the order the launcher starts them.
pub const APPS: [(&str, fn() -> u64); 7] = [
    ("paint", paint::run),
    ("lights", lights::run),
    ("hello", hello::run),
    ("monitor", monitor::run),
    ("faulty", faulty::run),
    ("bad-requests", bad_requests::run),
    ("chaos", chaos::run),
];

/// A client's first function: runs app `which` and exits with its status.
pub extern "C" fn entry(which: u64) {
    let status = match APPS.get(which as usize) {
        Some((_, main)) => main(),
        None => 1,
    };
    crate::client::exit(status);
}
