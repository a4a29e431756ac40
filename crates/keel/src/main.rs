//! keel: a keepalived-compatible high-availability daemon.
//!
//! `main` only hands the command line to [`cli`] and turns the outcome into an exit code;
//! each mode lives in its own module.

use std::process::ExitCode;

use keel::cli::{self, Command};
use keel::host;

fn main() -> ExitCode {
    let invocation = match cli::parse(std::env::args_os().skip(1)) {
        Ok(invocation) => invocation,
        Err(error) => {
            eprintln!("keel: {error}");
            return ExitCode::from(1);
        }
    };
    for warning in &invocation.warnings {
        eprintln!("keel: {warning}");
    }
    let unsupported = invocation.options.unsupported(&invocation.command);
    if !unsupported.is_empty() {
        for option in unsupported {
            eprintln!("keel: {option} is not supported yet");
        }
        return ExitCode::from(1);
    }
    match invocation.command {
        Command::Version => {
            eprint!(
                "{}",
                cli::version_banner(host::system_description().as_deref())
            );
            ExitCode::SUCCESS
        }
        Command::Help => {
            eprint!("{}", cli::usage());
            ExitCode::SUCCESS
        }
        Command::Signum(function) => {
            println!("{}", function.number());
            ExitCode::SUCCESS
        }
        Command::Genhash(_) => {
            eprintln!("keel: --genhash is not supported yet");
            ExitCode::from(1)
        }
        Command::ConfigTest { .. } | Command::DumpJson => {
            eprintln!("keel: -t is not supported yet");
            ExitCode::from(1)
        }
        Command::Run => ExitCode::from(keel::daemon::run(&invocation.options).clamp(0, 255) as u8),
        Command::Demo => ExitCode::from(keel::daemon::demo::run().clamp(0, 255) as u8),
    }
}
