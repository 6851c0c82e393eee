//! The seLVM command-line tool. Today it boots the kernel foundation and runs
//! its self-test; `run`, `asm`, `dis`, `dx` and `bench` arrive with the VM.

mod selftest;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// seLVM: the seL4 microkernel in Rust, on real hardware and on a register VM.
#[derive(Parser)]
#[command(version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Boot a kernel, run a scripted capability demo and a random stress run
    /// with the invariant checker after every step, and print a summary
    /// (the default when no command is given).
    Selftest(selftest::Options),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let options = match cli.command {
        Some(Command::Selftest(o)) => o,
        None => selftest::Options::default(),
    };
    match selftest::run(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("selvm: {e}");
            ExitCode::FAILURE
        }
    }
}
