//! Reading a command's input file: bounded by [`MAX_INPUT_BYTES`] (so `/dev/zero` or
//! an endless fifo is refused instead of filling memory), opened so that a fifo with
//! no writer reads as empty instead of blocking forever, and recognized by its
//! content ([`Kind`], from `selvm_load`, which every host shares) so that a wrong file
//! can be named for what it is. (Fifos and the non-blocking open are Unix matters; on
//! Windows the file is simply opened.)

use crate::failure::Failure;
use std::fs::File;
use std::io::{self, Read};
#[cfg(unix)]
use std::os::fd::AsRawFd;
#[cfg(unix)]
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

/// The largest input any command reads: a program, a module, a source, console input.
pub const MAX_INPUT_BYTES: u64 = 256 << 20;

/// Reads the file at `path` whole: refused (status 6, one line) if it cannot be
/// opened, is a directory, is empty or holds more than [`MAX_INPUT_BYTES`].
pub fn read(path: &Path) -> Result<Vec<u8>, Failure> {
    let name = path.display();
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    options.custom_flags(libc::O_NONBLOCK);
    let file = options
        .open(path)
        .map_err(|e| Failure::bad_input(format!("{name}: {}", open_error(path, &e))))?;
    let fail = |e: io::Error| Failure::bad_input(format!("{name}: {e}"));
    let meta = file.metadata().map_err(fail)?;
    if meta.is_dir() {
        return Err(Failure::bad_input(format!(
            "{name}: a directory, not a file"
        )));
    }
    if meta.is_file() && meta.len() > MAX_INPUT_BYTES {
        return Err(too_large(&name.to_string()));
    }
    set_blocking(&file).map_err(fail)?;
    let bytes = read_limited(&file, &name.to_string())?;
    if bytes.is_empty() {
        let why = match is_fifo(&meta) {
            true => "no bytes (a fifo nobody writes to?)",
            false => "an empty file",
        };
        return Err(Failure::bad_input(format!("{name}: {why}")));
    }
    Ok(bytes)
}

/// Reads `reader` to its end, refusing more than [`MAX_INPUT_BYTES`] (`what` names it
/// in the message): for files and for stdin as console input.
pub fn read_limited(mut reader: impl Read, what: &str) -> Result<Vec<u8>, Failure> {
    let mut bytes = Vec::new();
    let fail = |e: io::Error| Failure::bad_input(format!("{what}: {e}"));
    (&mut reader)
        .take(MAX_INPUT_BYTES)
        .read_to_end(&mut bytes)
        .map_err(fail)?;
    // At the limit, one byte more means too much (read separately: the buffer stays
    // at the limit instead of doubling past it).
    if bytes.len() as u64 == MAX_INPUT_BYTES && reader.read(&mut [0u8; 1]).map_err(fail)? > 0 {
        return Err(too_large(what));
    }
    Ok(bytes)
}

#[cold]
fn too_large(what: &str) -> Failure {
    Failure::bad_input(format!(
        "{what}: more than {} MiB, the most selvm reads (an endless device?)",
        MAX_INPUT_BYTES >> 20
    ))
}

/// An open error in words, with a hint for `-` (which is not stdin here).
fn open_error(path: &Path, e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound if path == Path::new("-") => {
            "no such file (selvm reads its input from a file; stdin is not read as one)".into()
        }
        io::ErrorKind::NotFound => "no such file".into(),
        io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// Whether `meta` is a fifo's (there are none on Windows).
fn is_fifo(meta: &std::fs::Metadata) -> bool {
    #[cfg(unix)]
    return meta.file_type().is_fifo();
    #[cfg(not(unix))]
    return {
        let _ = meta;
        false
    };
}

/// Makes `file`'s reads block again. It was opened non-blocking so that opening a
/// fifo with no writer returns at once instead of waiting for one (its reads then see
/// the end at once); reading must block, or a slow writer would look finished.
#[cfg(unix)]
fn set_blocking(file: &File) -> io::Result<()> {
    let fd = file.as_raw_fd();
    // SAFETY: fcntl(F_GETFL) takes no pointers; `fd` is open for the whole call,
    // owned by `file`, which outlives it.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    // SAFETY: as above; F_SETFL only changes the descriptor's status flags.
    if flags < 0 || unsafe { libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Nothing to do where the open did not make the file non-blocking.
#[cfg(not(unix))]
fn set_blocking(_file: &File) -> io::Result<()> {
    Ok(())
}

pub use selvm_load::{Kind, describe, is_assembly};
