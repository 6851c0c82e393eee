//! A command's output: stdout and output files. Rust ignores SIGPIPE, so a write to a
//! closed pipe or a full disk returns an error: here every such error becomes a
//! [`Failure`] with status 8 (quiet for a closed pipe), never a panic (`print!`) or a
//! write ignored (which let a run go on forever with nobody reading).

use crate::failure::Failure;
use std::fmt;
use std::io::{self, Write};
use std::path::Path;

/// `println!` that returns `Err(Failure)` (status 8) when stdout cannot be written.
macro_rules! outln {
    () => {
        $crate::output::stdout_fmt(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::output::stdout_fmt(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// Writes formatted text to stdout (line-buffered: a failed line fails here).
pub fn stdout_fmt(args: fmt::Arguments<'_>) -> Result<(), Failure> {
    io::stdout()
        .lock()
        .write_fmt(args)
        .map_err(|e| Failure::output("stdout", &e))
}

/// Writes bytes to stdout.
pub fn stdout_bytes(bytes: &[u8]) -> Result<(), Failure> {
    io::stdout()
        .lock()
        .write_all(bytes)
        .map_err(|e| Failure::output("stdout", &e))
}

/// Flushes stdout: the end of every command, so a last partial line that cannot be
/// written fails the command instead of vanishing at exit.
pub fn flush_stdout() -> Result<(), Failure> {
    io::stdout()
        .lock()
        .flush()
        .map_err(|e| Failure::output("stdout", &e))
}

/// The machine's console on stdout, for the run loop: each write goes out at once
/// (written and flushed, as an interactive program needs). The first failure is kept:
/// every later write returns it without touching stdout, so a loop may check each
/// write and stop, and a callback that cannot return an error (`Machine::run`) may
/// ignore the result and ask [`ConsoleOut::result`] afterwards.
#[derive(Debug, Default)]
pub struct ConsoleOut {
    failed: Option<Failure>,
}

impl ConsoleOut {
    /// A console writing to stdout.
    pub fn new() -> ConsoleOut {
        ConsoleOut::default()
    }

    /// Writes `bytes` and flushes them; `Err` (status 8) once stdout is gone or full.
    pub fn write(&mut self, bytes: &[u8]) -> Result<(), Failure> {
        if let Some(f) = &self.failed {
            return Err(f.clone());
        }
        let mut out = io::stdout().lock();
        if let Err(e) = out.write_all(bytes).and_then(|()| out.flush()) {
            self.failed = Some(Failure::output("stdout", &e));
            return self.result();
        }
        Ok(())
    }

    /// `Err` with the first failed write, if any.
    pub fn result(&self) -> Result<(), Failure> {
        self.failed.clone().map_or(Ok(()), Err)
    }
}

/// An output file written piece by piece (a streamed trace): buffered, each failed
/// write a [`Failure`] naming the file.
pub struct FileOut {
    path: String,
    file: io::BufWriter<std::fs::File>,
}

impl FileOut {
    /// Creates (or truncates) `path`.
    pub fn create(path: &Path) -> Result<FileOut, Failure> {
        let name = path.display().to_string();
        let file = std::fs::File::create(path).map_err(|e| Failure::output(&name, &e))?;
        Ok(FileOut {
            path: name,
            file: io::BufWriter::new(file),
        })
    }

    /// Appends `bytes`.
    pub fn write(&mut self, bytes: &[u8]) -> Result<(), Failure> {
        self.file
            .write_all(bytes)
            .map_err(|e| Failure::output(&self.path, &e))
    }

    /// Writes out what is buffered.
    pub fn finish(mut self) -> Result<(), Failure> {
        self.file
            .flush()
            .map_err(|e| Failure::output(&self.path, &e))
    }
}

/// Writes `bytes` to `path` whole. If writing fails once the file is created, a
/// regular file left half written is removed, so no truncated module stays behind.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    let fail = |e: io::Error| Failure::output(path.display(), &e);
    let mut file = std::fs::File::create(path).map_err(fail)?;
    if let Err(e) = file.write_all(bytes).and_then(|()| file.flush()) {
        drop(file);
        if std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
            let _ = std::fs::remove_file(path);
        }
        return Err(fail(e));
    }
    Ok(())
}
