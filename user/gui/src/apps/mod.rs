//! The demo clients, each run by the launcher in an address space of its own
//! ([`entry`] with the app's number): a paint program, a game (Lights Out), a window of text, the system monitor, a client
//! that writes outside its window frames (it must fault alone), and one that sends
//! malformed requests (each must be refused with the right error).

pub mod bad_requests;
pub mod faulty;
pub mod hello;
pub mod lights;
pub mod monitor;
pub mod paint;

/// The apps: name and main, in the order the launcher starts them.
pub const APPS: [(&str, fn() -> u64); 6] = [
    ("paint", paint::run),
    ("lights", lights::run),
    ("hello", hello::run),
    ("monitor", monitor::run),
    ("faulty", faulty::run),
    ("bad-requests", bad_requests::run),
];

/// A client's first function: runs app `which` and exits with its status.
pub extern "C" fn entry(which: u64) {
    let status = match APPS.get(which as usize) {
        Some((_, main)) => main(),
        None => 1,
    };
    crate::client::exit(status);
}
