//! Running `selvm` as a hostile user would: bounded by a timeout (a hang fails the
//! test instead of stalling CI), with stdout piped, full (`/dev/full`) or closed, and
//! the checks every invocation must pass whatever its arguments.
#![allow(dead_code)] // each test crate uses its own part of this

use selvm_machine::status;
use std::ffi::OsStr;
use std::io::Read;
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Where the command's stdout goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Out {
    /// A pipe the test reads.
    Piped,
    /// `/dev/full`: every write fails with ENOSPC.
    Full,
    /// A stream whose reading end is closed before the command starts: every write
    /// fails with EPIPE, as after `| head` has exited (a socket pair rather than a
    /// pipe, so that no write can slip in before the test closes the reading end).
    Closed,
}

/// How an invocation ended.
#[derive(Debug)]
pub struct Ran {
    /// The arguments, for messages.
    pub args: Vec<String>,
    /// The exit status, if it exited.
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: String,
    /// Killed by the test's timeout.
    pub timed_out: bool,
}

/// Runs `selvm ARGS` with stdin empty, stdout as `out`, for at most `limit`.
pub fn selvm_with<S: AsRef<OsStr>>(args: &[S], out: Out, limit: Duration) -> Ran {
    let stdout = match out {
        Out::Piped => Stdio::piped(),
        Out::Full => Stdio::from(std::fs::File::create("/dev/full").unwrap()),
        Out::Closed => {
            let (ours, theirs) = UnixStream::pair().unwrap();
            drop(ours);
            Stdio::from(OwnedFd::from(theirs))
        }
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_selvm"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let reader = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let stdout = reader(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = reader(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let started = Instant::now();
    let mut timed_out = false;
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        if started.elapsed() > limit {
            timed_out = true;
            let _ = child.kill();
            break child.wait().unwrap();
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Ran {
        args: args
            .iter()
            .map(|a| a.as_ref().to_string_lossy().into_owned())
            .collect(),
        code: exit.code(),
        stdout: stdout.join().unwrap(),
        stderr: String::from_utf8_lossy(&stderr.join().unwrap()).into_owned(),
        timed_out,
    }
}

/// Runs `selvm ARGS` with stdout piped, for at most 60 s.
pub fn selvm<S: AsRef<OsStr>>(args: &[S]) -> Ran {
    selvm_with(args, Out::Piped, Duration::from_secs(60))
}

impl Ran {
    /// What every invocation must satisfy: it ended by itself (no hang, no signal), did
    /// not panic, its status is in the table, and a failure says something on stderr
    /// (unless stdout was closed: that failure is quiet by design).
    pub fn check_sane(&self, out: Out) -> &Ran {
        let what = format!("selvm {:?}: {}", self.args, self.stderr);
        assert!(!self.timed_out, "hung: {what}");
        let code = self
            .code
            .unwrap_or_else(|| panic!("killed by a signal: {what}"));
        assert_ne!(code, 101, "panicked: {what}");
        assert!(!self.stderr.contains("panicked at"), "panicked: {what}");
        let known = u8::try_from(code).ok().and_then(status::lookup);
        assert!(known.is_some(), "status {code} is not in the table: {what}");
        if code != 0 && out != Out::Closed {
            assert!(
                !self.stderr.trim().is_empty(),
                "status {code} with nothing on stderr: {what}"
            );
        }
        self
    }

    /// Checks [`Ran::check_sane`] for a piped stdout and that the status is `code`.
    pub fn expect(&self, code: u8) -> &Ran {
        self.check_sane(Out::Piped);
        assert_eq!(
            self.code,
            Some(code.into()),
            "selvm {:?}: {}",
            self.args,
            self.stderr
        );
        self
    }

    /// Checks that stderr holds `part`.
    pub fn says(&self, part: &str) -> &Ran {
        assert!(
            self.stderr.contains(part),
            "selvm {:?}: {part:?} missing from {}",
            self.args,
            self.stderr
        );
        self
    }

    /// Checks that stderr is one line.
    pub fn one_line(&self) -> &Ran {
        assert_eq!(
            self.stderr.lines().count(),
            1,
            "selvm {:?}: {}",
            self.args,
            self.stderr
        );
        self
    }
}

/// A fresh scratch directory for one test, removed when the test is done with it
/// (traces and programs of every run once piled up in /tmp until the disk was full).
pub fn scratch(test: &str) -> Scratch {
    let dir = std::env::temp_dir().join(format!("selvm-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    Scratch(dir)
}

/// A scratch directory that is deleted with everything in it when dropped.
pub struct Scratch(PathBuf);

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `user/asm/NAME.s`.
pub fn asm_source(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../user/asm/{name}.s"))
}

/// Assembles `user/asm/NAME.s` into `dir` and returns the `.sbc` path.
pub fn assembled(dir: &Path, name: &str) -> PathBuf {
    let sbc = dir.join(format!("{name}.sbc"));
    let src = asm_source(name);
    selvm(&[
        OsStr::new("asm"),
        src.as_os_str(),
        OsStr::new("-o"),
        sbc.as_os_str(),
    ])
    .expect(0);
    sbc
}

/// A path as a `&str` (the tests' paths are UTF-8).
pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}
