//! Running programs: each command is printed before it runs, a missing program is an
//! error that says what to install, and a run can be bounded in wall-clock time (the
//! child is killed; no `timeout` binary needed).

use std::fmt;
use std::io::{self, Read, Write};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// An xtask failure: one message for the user, naming what failed and what to do.
#[derive(Debug)]
pub struct Error(String);

/// Result of an xtask operation.
pub type Result<T = ()> = std::result::Result<T, Error>;

impl Error {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> Self {
        Error(message.into())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `return Err(Error::new(format!(...)))`.
macro_rules! bail {
    ($($arg:tt)*) => {
        return Err($crate::process::Error::new(format!($($arg)*)))
    };
}
pub(crate) use bail;

/// `cargo` from PATH (rustup's proxy where rustup is installed, so `+nightly` works).
pub fn cargo() -> Command {
    Command::new("cargo")
}

/// Runs `cmd` with inherited stdio after printing it; fails unless it exits with 0.
pub fn run(cmd: &mut Command) -> Result {
    println!("    $ {}", show(cmd));
    let status = cmd.status().map_err(|e| spawn_error(cmd, e))?;
    check(cmd, status)
}

/// Runs `cmd` (printed first), returning its stdout; stderr is passed through.
pub fn output(cmd: &mut Command) -> Result<String> {
    println!("    $ {}", show(cmd));
    capture(cmd)
}

/// Runs `cmd` without printing it (a query such as `rustc --version`), returning its
/// stdout; stderr is passed through.
pub fn capture(cmd: &mut Command) -> Result<String> {
    let out = cmd
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| spawn_error(cmd, e))?;
    check(cmd, out.status)?;
    String::from_utf8(out.stdout)
        .map_err(|_| Error::new(format!("`{}` printed non-UTF-8 output", show(cmd))))
}

/// Whether `cmd` runs and exits with 0 (output discarded): a probe for a tool.
pub fn succeeds(cmd: &mut Command) -> bool {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// How a bounded run ended.
pub struct Bounded {
    /// The exit status, or `None` if the run was killed at the time limit.
    pub status: Option<ExitStatus>,
    /// Everything it printed on stdout.
    pub stdout: String,
    /// Everything it printed on stderr.
    pub stderr: String,
}

/// Runs `cmd` (printed first) for at most `limit` of wall-clock time, capturing its
/// output; at the limit the child is killed.
pub fn run_bounded(cmd: &mut Command, limit: Duration) -> Result<Bounded> {
    bounded(cmd, limit, false)
}

/// [`run_bounded`], with the child's stdout also echoed as it comes (a guest's console
/// during a long boot).
pub fn run_bounded_echoed(cmd: &mut Command, limit: Duration) -> Result<Bounded> {
    bounded(cmd, limit, true)
}

fn bounded(cmd: &mut Command, limit: Duration, echo: bool) -> Result<Bounded> {
    println!("    $ {}  (at most {} s)", show(cmd), limit.as_secs());
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| spawn_error(cmd, e))?;
    let out = drain(child.stdout.take(), echo);
    let err = drain(child.stderr.take(), false);
    let status = wait_until(&mut child, Instant::now() + limit)
        .map_err(|e| Error::new(format!("waiting for `{}`: {e}", show(cmd))))?;
    let text = |h: thread::JoinHandle<Vec<u8>>| {
        String::from_utf8_lossy(&h.join().unwrap_or_default()).into_owned()
    };
    Ok(Bounded {
        status,
        stdout: text(out),
        stderr: text(err),
    })
}

/// Reads a pipe to its end on a thread of its own (so neither pipe can fill and block),
/// copying what it reads to stdout if `echo`.
fn drain(pipe: Option<impl Read + Send + 'static>, echo: bool) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut buf = Vec::new();
        let Some(mut p) = pipe else {
            return buf;
        };
        let mut chunk = [0u8; 4096];
        loop {
            match p.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => {
                    if echo {
                        let mut out = io::stdout().lock();
                        let _ = out.write_all(&chunk[..n]).and_then(|()| out.flush());
                    }
                    buf.extend_from_slice(&chunk[..n]);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        buf
    })
}

/// Waits for `child` until `deadline`, then kills it: `None` when killed.
fn wait_until(child: &mut Child, deadline: Instant) -> io::Result<Option<ExitStatus>> {
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        if Instant::now() >= deadline {
            child.kill()?;
            child.wait()?;
            return Ok(None);
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// Ok for exit status 0, else an error naming the command and how it ended.
pub fn check(cmd: &Command, status: ExitStatus) -> Result {
    if status.success() {
        return Ok(());
    }
    Err(Error::new(format!(
        "`{}` failed ({})",
        show(cmd),
        describe(status)
    )))
}

/// "exit status N" or "killed by signal N".
pub fn describe(status: ExitStatus) -> String {
    #[cfg(unix)]
    if let Some(sig) = std::os::unix::process::ExitStatusExt::signal(&status) {
        return format!("killed by signal {sig}");
    }
    match status.code() {
        Some(c) => format!("exit status {c}"),
        None => status.to_string(),
    }
}

/// The error for a program that could not be started.
fn spawn_error(cmd: &Command, e: io::Error) -> Error {
    let program = cmd.get_program().to_string_lossy();
    if e.kind() == io::ErrorKind::NotFound {
        return Error::new(format!(
            "`{program}` not found: install it (on Debian, scripts/setup.sh installs every tool the tests use)"
        ));
    }
    Error::new(format!("cannot run `{}`: {e}", show(cmd)))
}

/// The command as a shell line: the variables it sets, the program, its arguments.
pub fn show(cmd: &Command) -> String {
    let mut words = Vec::new();
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            words.push(format!(
                "{}={}",
                k.to_string_lossy(),
                quote(&v.to_string_lossy())
            ));
        }
    }
    words.push(quote(&cmd.get_program().to_string_lossy()));
    words.extend(cmd.get_args().map(|a| quote(&a.to_string_lossy())));
    words.join(" ")
}

/// A word as the shell would need it (CARGO_ENCODED_RUSTFLAGS' separators shown as \x1f).
fn quote(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./=,:+@%".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        return word.to_string();
    }
    if word.contains('\x1f') {
        return format!("$'{}'", word.replace('\'', "\\'").replace('\x1f', "\\x1f"));
    }
    format!("'{}'", word.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_show_as_shell_lines() {
        let mut c = Command::new("cargo");
        c.args(["build", "a b"])
            .env("RUSTC_BOOTSTRAP", "1")
            .env("F", "-C\x1fx");
        assert_eq!(
            show(&c),
            r"F=$'-C\x1fx' RUSTC_BOOTSTRAP=1 cargo build 'a b'"
        );
    }

    #[test]
    fn a_bounded_run_is_killed_at_its_limit() {
        let r = run_bounded(Command::new("sleep").arg("5"), Duration::from_millis(100)).unwrap();
        assert!(r.status.is_none());
        let r = run_bounded(Command::new("echo").arg("hi"), Duration::from_secs(5)).unwrap();
        assert!(r.status.unwrap().success());
        assert_eq!(r.stdout, "hi\n");
    }
}
