//! keel: a keepalived-compatible high-availability daemon.
//!
//! `main` only hands the command line to [`cli`] and turns the outcome into an exit code;
//! each mode lives in its own module.

use std::process::ExitCode;

use keel::cli::{self, Command, DumpFormat};
use keel::{config_test, dump, host};

// Parsing a large configuration makes hundreds of thousands of small allocations; with
// glibc's malloc `keel -t` on 64,000 lines spent most of its time in malloc/free and page
// faults (≈73 ms, 9,700 faults), with mimalloc ≈26 ms and 180 faults
// (bench/conf/run.sh, docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Runs before mimalloc's own constructor sets up its first heap (init_array entries with
/// a priority run before those without, lowest first), so the options apply to it.
#[used]
#[unsafe(link_section = ".init_array.00100")]
static CONFIGURE_ALLOCATOR: extern "C" fn() = configure_allocator;

extern "C" fn configure_allocator() {
    keel::memory::configure_allocator_early();
}

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
        Command::Genhash(arguments) => keel::genhash::main(&arguments),
        Command::ConfigTest { log_file } => {
            exit_code(config_test::run(&invocation.options, log_file.as_deref()))
        }
        Command::DumpJson => {
            let loaded = config_test::load(&invocation.options);
            let verdict =
                config_test::report(&loaded.diagnostics, &loaded.sources, &mut std::io::stderr());
            println!("{}", dump::json(&loaded.config));
            exit_code(verdict)
        }
        Command::Run => {
            let options = absolute_paths(invocation.options);
            let invocation = cli::Invocation {
                options,
                ..invocation
            };
            // `keel -C`: the checker process alone (or as the daemon's checker child);
            // otherwise the daemon runs VRRP and starts the checker child itself when the
            // configuration has virtual servers (keel::checker::supervisor).
            if invocation.options.subsystems.checkers && !invocation.options.subsystems.vrrp {
                return exit_code(keel::checker::standalone::run(&invocation.options));
            }
            // keepalived's -d: dump the configuration at start-up, then run.
            if invocation.options.dump == Some(DumpFormat::Data) {
                let loaded = config_test::load(&invocation.options);
                eprint!("{}", dump::data(&loaded.config));
            }
            exit_code(keel::daemon::run(&invocation.options))
        }
        Command::Demo => exit_code(keel::daemon::demo::run()),
    }
}

/// A daemon changes directory to `/`: relative file names from the command line are
/// resolved first, so a reload, the checker child and the pid files use the files the
/// operator meant.
fn absolute_paths(mut options: cli::Options) -> cli::Options {
    let absolute = |path: &mut std::path::PathBuf| {
        if let Ok(resolved) = std::path::absolute(&*path) {
            *path = resolved;
        }
    };
    absolute(&mut options.config_file);
    let pid_files = &mut options.pid_files;
    for path in [
        &mut pid_files.main,
        &mut pid_files.vrrp,
        &mut pid_files.checkers,
        &mut pid_files.bfd,
    ]
    .into_iter()
    .flatten()
    {
        absolute(path);
    }
    if let Some(path) = &mut options.logging.file {
        absolute(path);
    }
    options
}

/// keepalived's exit codes are small; anything else is a bug, reported as 1.
fn exit_code(code: i32) -> ExitCode {
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}
