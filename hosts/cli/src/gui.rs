//! `selvm gui`: the GUI system (user/gui: a launcher, a display server holding the
//! framebuffer and input device, demo clients in address spaces of their own;
//! docs/gui.md) on the hosted machine, in a desktop window, or headless with a
//! scripted input and a screenshot. It is `selvm run` of the built GUI program with
//! a display; an input script makes the run deterministic (virtual time), so a script
//! gives the same pixels every time.

use crate::failure::Failure;
use crate::run::RunArgs;
use clap::Args;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Options of `selvm gui`.
#[derive(Args)]
pub struct GuiArgs {
    /// The GUI program (.sbc or .wasm). Default: gui.sbc beside selvm, or
    /// target/user/gui.sbc above it or under the current directory, where `cargo
    /// xtask build-user user/gui` writes it.
    #[arg(long, value_name = "FILE")]
    program: Option<PathBuf>,
    /// The screen's size (each side 1 to 4096, at most 8 MiB of pixels).
    #[arg(long, value_name = "WIDTHxHEIGHT", default_value = "640x480",
          value_parser = crate::display::size)]
    display: (u32, u32),
    /// Keyboard and pointer events at instruction counts (docs/hosted.md): runs
    /// headless and deterministic. F10 (`key down 68`) shuts the GUI down.
    #[arg(long, value_name = "FILE")]
    input_script: Option<PathBuf>,
    /// Write the screen as a PNG to this file when the run ends.
    #[arg(long, value_name = "FILE")]
    screenshot: Option<PathBuf>,
    /// No window even without an input script (with --screenshot, say).
    #[arg(long, conflicts_with = "window")]
    headless: bool,
    /// A window even with an input script (the window's own input is fed too; under
    /// Xvfb nobody types, which is how the frame rate in a window is measured).
    #[arg(long)]
    window: bool,
    /// Stop after this many seconds of host time (exit status 5).
    #[arg(long, value_name = "SECONDS", value_parser = crate::options::seconds)]
    timeout: Option<f64>,
    /// Stop after this many instructions (exit status 5; 1 to 10^18).
    #[arg(long, value_name = "N",
          value_parser = crate::options::whole::<u64, 1, 1_000_000_000_000_000_000>)]
    max_instructions: Option<u64>,
}

/// Runs `selvm gui`.
pub fn gui(a: &GuiArgs) -> ExitCode {
    let program = match a.program.clone().map(Ok).unwrap_or_else(find_program) {
        Ok(p) => p,
        Err(f) => return f.report(),
    };
    let scripted = a.input_script.is_some();
    let window = a.window || (!scripted && !a.headless);
    if window && !a.window && crate::window::missing_desktop().is_some() {
        return Failure::usage(
            "selvm gui opens a window, but $DISPLAY is not set (no X server to open it on); \
             --headless --screenshot FILE, or --input-script FILE --screenshot FILE, runs \
             without one",
        )
        .report();
    }
    let run = RunArgs {
        file: program,
        memory: 64,
        memory_backend: None,
        max_instructions: a.max_instructions,
        timeout: a.timeout,
        trace: None,
        stats: None,
        check_invariants: false,
        deterministic: scripted,
        tick_instructions: 100_000,
        display: Some(a.display),
        input_script: a.input_script.clone(),
        screenshot: a.screenshot.clone(),
        window,
    };
    crate::run::run(&run)
}

/// Where `cargo xtask build-user user/gui` put the program, looked for beside the
/// executable (and in target/user above it) and under the current directory.
fn find_program() -> Result<PathBuf, Failure> {
    let exe = std::env::current_exe().ok();
    let beside = exe.as_deref().and_then(Path::parent).map(Path::to_path_buf);
    let mut candidates = Vec::new();
    if let Some(dir) = beside {
        candidates.push(dir.join("gui.sbc"));
        candidates.extend(dir.ancestors().take(4).map(|d| d.join("user/gui.sbc")));
    }
    candidates.push(PathBuf::from("target/user/gui.sbc"));
    candidates.into_iter().find(|p| p.is_file()).ok_or_else(|| {
        Failure::bad_input(
            "the GUI program is not built: run `cargo xtask build-user user/gui` (it writes \
             target/user/gui.sbc), or give --program FILE"
                .to_string(),
        )
    })
}
