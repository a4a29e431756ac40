//! keepalived's command line (spec §1.4), parsed the way keepalived's `getopt_long` does.
//!
//! clap does the work, with three adjustments so that keepalived's command lines behave the
//! same under keel:
//! - getopt gives an *optional* argument to a short option only when it is attached
//!   (`-tFILE`, `-M/core`), and to a long option only after `=` (`--config-test=FILE`).
//!   A small pre-pass rewrites attached optional arguments into their `--long=VALUE` form,
//!   because clap would read `-tFILE` as the flags `-t -F -I -L -E`.
//! - `-T`/`--genhash` switches to genhash's own command line, so it is found before clap
//!   sees options it does not know.
//! - Errors use keepalived's wording ("Unknown option", "Missing parameter for option") and
//!   exit 1; stray arguments are reported and otherwise ignored, as keepalived does.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{ArgAction, CommandFactory, FromArgMatches, Parser};

mod options;

pub use options::{
    DumpFormat, LogFacility, Logging, Options, PidFiles, SignalFunction, Subsystems,
};

/// The configuration file keepalived reads when `-f` is not given (spec §1.3).
pub const DEFAULT_CONFIG_FILE: &str = "/etc/keepalived/keepalived.conf";

/// The keepalived release whose behaviour keel reproduces.
pub const KEEPALIVED_VERSION: &str = "2.2.7";

/// What one run of `keel` is asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `-v`: print the version banner and exit 0.
    Version,
    /// `-h`: print the usage and exit 0.
    Help,
    /// `--signum=NAME`: print the signal number of a keepalived function and exit 0.
    Signum(SignalFunction),
    /// `-T`/`--genhash`: genhash mode; the arguments that follow belong to genhash.
    Genhash(Vec<OsString>),
    /// `-t`/`--config-test[=FILE]`: check the configuration and exit with its verdict.
    ConfigTest {
        /// Where the diagnostics go (appended); stderr when `None`.
        log_file: Option<PathBuf>,
    },
    /// `--dump-conf=json`: print the resolved configuration as JSON and exit with its verdict.
    DumpJson,
    /// Run the daemon (`-d` asks it to dump the configuration at start-up).
    Run,
    /// `--demo` (keel only): the live failover demo in throwaway network namespaces.
    Demo,
}

/// A parsed command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    /// What to do.
    pub command: Command,
    /// Every option, typed.
    pub options: Options,
    /// Problems keepalived reports and then ignores (a bad `-S` or `-u`, stray arguments).
    pub warnings: Vec<String>,
}

/// A command line keepalived would refuse; print it and exit 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CliError {
    /// An option keepalived does not have.
    #[error("Unknown option {0}")]
    UnknownOption(String),
    /// An option that needs a value got none (or an empty one after `=`).
    #[error("Missing parameter for option {0}")]
    MissingParameter(String),
    /// `--signum` with a name keepalived does not know.
    #[error("Unknown sigfunc {0}")]
    UnknownSignalFunction(String),
    /// Anything else clap refused.
    #[error("{0}")]
    Other(String),
}

/// Parses keel's arguments (without the program name).
pub fn parse<I, S>(args: I) -> Result<Invocation, CliError>
where
    I: IntoIterator<Item = S>,
    S: Into<OsString>,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    if let Some(genhash) = genhash_arguments(&args) {
        return Ok(Invocation {
            command: Command::Genhash(genhash),
            options: Options::default(),
            warnings: Vec::new(),
        });
    }
    let normalised = attach_optional_arguments(&args);
    let argv = std::iter::once(OsString::from("keel")).chain(normalised);
    let matches = RawArgs::command()
        .try_get_matches_from(argv)
        .map_err(|e| cli_error(&e))?;
    let first_exit = first_exiting_option(&matches);
    let raw = RawArgs::from_arg_matches(&matches).map_err(|e| cli_error(&e))?;
    raw.into_invocation(first_exit)
}

/// Options after which keepalived exits at once, in getopt order: the first one given wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ExitingOption {
    Help,
    Version,
    Signum,
}

/// Which of `-h`, `-v`, `--signum` came first on the command line, if any.
fn first_exiting_option(matches: &clap::ArgMatches) -> Option<ExitingOption> {
    [
        ("help", ExitingOption::Help),
        ("version", ExitingOption::Version),
        ("signum", ExitingOption::Signum),
    ]
    .into_iter()
    .filter_map(|(id, option)| {
        let given = matches.value_source(id) == Some(clap::parser::ValueSource::CommandLine);
        given
            .then(|| matches.index_of(id).map(|index| (index, option)))
            .flatten()
    })
    .min_by_key(|(index, _)| *index)
    .map(|(_, option)| option)
}

/// keepalived's usage text (`-h`), with keel's name.
pub fn usage() -> String {
    format!(
        "Usage: keel [OPTION...]
  -f, --use-file=FILE          Use the specified configuration file
                                default '{DEFAULT_CONFIG_FILE}'
  -P, --vrrp                   Only run with VRRP subsystem
  -C, --check                  Only run with Health-checker subsystem
  -B, --no_bfd                 Don't run BFD subsystem
      --all                    Force all child processes to run, even if have no configuration
  -l, --log-console            Log messages to local console
  -D, --log-detail             Detailed log messages
  -S, --log-facility=([0-7]|local[0-7]|user|daemon)
                               Set syslog facility to LOG_LOCAL[0-7], user or daemon (default)
  -G, --no-syslog              Don't log via syslog
  -u, --umask=MASK             umask for file creation (in numeric form)
  -X, --release-vips           Drop VIP on transition from signal.
  -V, --dont-release-vrrp      Don't remove VRRP VIPs and VROUTEs on daemon stop
  -I, --dont-release-ipvs      Don't remove IPVS topology on daemon stop
  -R, --dont-respawn           Don't respawn child processes
  -n, --dont-fork              Don't fork the daemon process
  -d, --dump-conf              Dump the configuration data
      --dump-conf=json         Print the resolved configuration as JSON on stdout and exit
  -p, --pid=FILE               Use specified pidfile for parent process
  -r, --vrrp_pid=FILE          Use specified pidfile for VRRP child process
  -T, --genhash                Enter into genhash utility mode (this should be the first option used).
  -c, --checkers_pid=FILE      Use specified pidfile for checkers child process
  -a, --address-monitoring     Report all address additions/deletions notified via netlink
  -b, --bfd_pid=FILE           Use specified pidfile for BFD child process
  -x, --snmp                   Enable SNMP subsystem
  -A, --snmp-agent-socket=FILE Use the specified socket for master agent
  -s, --namespace=NAME         Run in network namespace NAME (overrides config)
  -m, --core-dump              Produce core dump if terminate abnormally
  -M, --core-dump-pattern=PATN Also set /proc/sys/kernel/core_pattern to PATN (default 'core')
  -e, --all-config             Error if any configuration file missing (same as includet)
  -i, --config-id id           Skip any configuration lines beginning '@' that don't match id
                                or any lines beginning @^ that do match.
                                The config-id defaults to the node name if option not used
      --ignore-sigint          Don't stop on SIGINT
      --signum=SIGFUNC         Return signal number for STOP, RELOAD, DATA, STATS, STATS_CLEAR, JSON, TDUMP
  -t, --config-test[=LOG_FILE] Check the configuration for obvious errors, output to
                                stderr by default
  -v, --version                Display the version number
  -h, --help                   Display this help message
"
    )
}

/// The version banner (`-v`), in keepalived's layout, naming the keepalived release keel
/// follows.
pub fn version_banner(running_on: Option<&str>) -> String {
    let mut banner = format!(
        "Keel v{} (keepalived v{KEEPALIVED_VERSION} compatible)\n\n\
         Copyright(C) the keel authors, licensed under {}\n\n",
        env!("CARGO_PKG_VERSION"),
        env!("CARGO_PKG_LICENSE"),
    );
    if let Some(system) = running_on {
        banner.push_str(&format!("Running on {system}\n"));
    }
    banner
}

/// Short options that take a required argument (getopt `x:`), keepalived 2.2.7.
const SHORT_REQUIRED: &[char] = &['f', 'S', 'u', 'p', 'r', 'c', 'b', 'A', 's', 'i'];

/// Short options whose argument is optional (getopt `x::`) and their long names.
const SHORT_OPTIONAL: &[(char, &str)] = &[
    ('t', "config-test"),
    ('g', "log-file"),
    ('M', "core-dump-pattern"),
];

/// Long options that take a required argument, so the next word is their value.
const LONG_REQUIRED: &[&str] = &[
    "use-file",
    "log-facility",
    "umask",
    "pid",
    "vrrp_pid",
    "checkers_pid",
    "bfd_pid",
    "snmp-agent-socket",
    "namespace",
    "config-id",
    "signum",
    "config-fd",
];

/// The genhash arguments if `-T`/`--genhash` is among the options. keepalived wants it
/// first; anywhere else it warns and ignores the options before it.
fn genhash_arguments(args: &[OsString]) -> Option<Vec<OsString>> {
    let mut index = 0;
    while index < args.len() {
        let Some(arg) = args[index].to_str() else {
            index += 1;
            continue;
        };
        if arg == "--" {
            return None;
        }
        if let Some(long) = arg.strip_prefix("--") {
            let name = long.split('=').next().unwrap_or(long);
            if !name.is_empty() && "genhash".starts_with(name) {
                return Some(args[index + 1..].to_vec());
            }
            if !long.contains('=') && LONG_REQUIRED.iter().any(|l| l.starts_with(name)) {
                index += 1;
            }
        } else if let Some(cluster) = arg.strip_prefix('-').filter(|c| !c.is_empty()) {
            for (position, option) in cluster.char_indices() {
                if option == 'T' {
                    return Some(args[index + 1..].to_vec());
                }
                if SHORT_REQUIRED.contains(&option) {
                    if position + option.len_utf8() == cluster.len() {
                        index += 1;
                    }
                    break;
                }
                if SHORT_OPTIONAL.iter().any(|(short, _)| *short == option) {
                    break;
                }
            }
        }
        index += 1;
    }
    None
}

/// Rewrites `-tFILE` / `-ntFILE` into `-n --config-test=FILE` (and the same for `-g`, `-M`),
/// which is how getopt reads an attached optional argument.
fn attach_optional_arguments(args: &[OsString]) -> Vec<OsString> {
    let mut out = Vec::with_capacity(args.len());
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        let Some(text) = arg.to_str() else {
            out.push(arg.clone());
            continue;
        };
        if text == "--" {
            out.push(arg.clone());
            out.extend(rest.cloned());
            break;
        }
        let Some(cluster) = text
            .strip_prefix('-')
            .filter(|c| !c.is_empty() && !c.starts_with('-'))
        else {
            out.push(arg.clone());
            continue;
        };
        let mut rewritten = None;
        for (position, option) in cluster.char_indices() {
            if SHORT_REQUIRED.contains(&option) {
                break;
            }
            if let Some((_, long)) = SHORT_OPTIONAL.iter().find(|(short, _)| *short == option) {
                let value = &cluster[position + option.len_utf8()..];
                if !value.is_empty() {
                    rewritten = Some((&cluster[..position], *long, value));
                }
                break;
            }
        }
        match rewritten {
            Some((flags, long, value)) => {
                if !flags.is_empty() {
                    out.push(OsString::from(format!("-{flags}")));
                }
                out.push(OsString::from(format!("--{long}={value}")));
            }
            None => out.push(arg.clone()),
        }
    }
    out
}

/// Maps a clap error to keepalived's wording.
fn cli_error(error: &clap::Error) -> CliError {
    let argument = match error.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(text)) => Some(text.clone()),
        _ => None,
    };
    let option_name = |text: String| {
        // clap names an option as "--use-file <FILE>" or "-f <FILE>"; keepalived says
        // "--use-file" (or "-f").
        text.split([' ', '='])
            .next()
            .unwrap_or_default()
            .to_string()
    };
    match (error.kind(), argument) {
        (ErrorKind::UnknownArgument, Some(arg)) => CliError::UnknownOption(arg),
        (ErrorKind::InvalidValue | ErrorKind::ValueValidation | ErrorKind::NoEquals, Some(arg)) => {
            CliError::MissingParameter(option_name(arg))
        }
        // getopt: a flag given `=VALUE` is an unknown option, spelt as written.
        (ErrorKind::TooManyValues, Some(arg)) => {
            let value = match error.get(ContextKind::InvalidValue) {
                Some(ContextValue::String(value)) => value.clone(),
                _ => String::new(),
            };
            CliError::UnknownOption(format!("{}={value}", option_name(arg)))
        }
        _ => {
            // clap's first line, without its "error: " label and usage block.
            let rendered = error.render().to_string();
            let first = rendered.lines().next().unwrap_or_default();
            CliError::Other(first.trim_start_matches("error: ").to_string())
        }
    }
}

/// keepalived's long and short options, as clap sees them after the pre-pass.
#[derive(Debug, Parser)]
#[command(
    name = "keel",
    disable_help_flag = true,
    disable_version_flag = true,
    infer_long_args = true,
    args_override_self = true
)]
struct RawArgs {
    #[arg(short = 'f', long = "use-file", allow_hyphen_values = true, value_parser = non_empty)]
    use_file: Option<String>,
    #[arg(short = 'P', long = "vrrp")]
    vrrp_only: bool,
    #[arg(short = 'C', long = "check")]
    check_only: bool,
    #[arg(short = 'B', long = "no_bfd")]
    no_bfd: bool,
    #[arg(long = "all")]
    all: bool,
    #[arg(short = 'l', long = "log-console")]
    log_console: bool,
    #[arg(short = 'D', long = "log-detail", action = ArgAction::Count)]
    log_detail: u8,
    #[arg(short = 'S', long = "log-facility", allow_hyphen_values = true, value_parser = non_empty)]
    log_facility: Option<String>,
    #[arg(short = 'g', long = "log-file", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    log_file: Option<String>,
    #[arg(long = "flush-log-file")]
    flush_log_file: bool,
    #[arg(short = 'G', long = "no-syslog")]
    no_syslog: bool,
    #[arg(short = 'u', long = "umask", allow_hyphen_values = true, value_parser = non_empty)]
    umask: Option<String>,
    #[arg(short = 'X', long = "release-vips")]
    release_vips: bool,
    #[arg(short = 'V', long = "dont-release-vrrp")]
    dont_release_vrrp: bool,
    #[arg(short = 'I', long = "dont-release-ipvs")]
    dont_release_ipvs: bool,
    #[arg(short = 'R', long = "dont-respawn")]
    dont_respawn: bool,
    #[arg(short = 'n', long = "dont-fork")]
    dont_fork: bool,
    #[arg(short = 'd', long = "dump-conf", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    dump_conf: Option<String>,
    #[arg(short = 'p', long = "pid", allow_hyphen_values = true, value_parser = non_empty)]
    pid: Option<String>,
    #[arg(short = 'r', long = "vrrp_pid", allow_hyphen_values = true, value_parser = non_empty)]
    vrrp_pid: Option<String>,
    #[arg(short = 'c', long = "checkers_pid", allow_hyphen_values = true, value_parser = non_empty)]
    checkers_pid: Option<String>,
    #[arg(short = 'a', long = "address-monitoring")]
    address_monitoring: bool,
    #[arg(short = 'b', long = "bfd_pid", allow_hyphen_values = true, value_parser = non_empty)]
    bfd_pid: Option<String>,
    #[arg(short = 'x', long = "snmp")]
    snmp: bool,
    #[arg(short = 'A', long = "snmp-agent-socket", allow_hyphen_values = true, value_parser = non_empty)]
    snmp_agent_socket: Option<String>,
    #[arg(short = 's', long = "namespace", allow_hyphen_values = true, value_parser = non_empty)]
    namespace: Option<String>,
    #[arg(short = 'm', long = "core-dump")]
    core_dump: bool,
    #[arg(short = 'M', long = "core-dump-pattern", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    core_dump_pattern: Option<String>,
    #[arg(short = 'e', long = "all-config")]
    all_config: bool,
    #[arg(short = 'i', long = "config-id", allow_hyphen_values = true, value_parser = non_empty)]
    config_id: Option<String>,
    #[arg(long = "signum", allow_hyphen_values = true, value_parser = non_empty)]
    signum: Option<String>,
    #[arg(short = 't', long = "config-test", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    config_test: Option<String>,
    #[arg(long = "config-fd", allow_hyphen_values = true, value_parser = non_empty)]
    config_fd: Option<String>,
    #[arg(long = "ignore-sigint")]
    ignore_sigint: bool,
    #[arg(short = 'v', long = "version")]
    version: bool,
    #[arg(long = "demo")]
    demo: bool,
    #[arg(short = 'h', long = "help")]
    help: bool,
    /// Words that are not options: keepalived reports them and carries on.
    #[arg(trailing_var_arg = false)]
    unexpected: Vec<OsString>,
}

impl RawArgs {
    fn into_invocation(self, first_exit: Option<ExitingOption>) -> Result<Invocation, CliError> {
        let mut warnings = Vec::new();
        let mut options = Options {
            config_file: self
                .use_file
                .map_or_else(|| DEFAULT_CONFIG_FILE.into(), PathBuf::from),
            config_id: self.config_id,
            all_config: self.all_config,
            ..Options::default()
        };
        // keepalived's -P and -C clear the other subsystem; --all turns them all back on.
        if self.vrrp_only {
            options.subsystems.checkers = false;
        }
        if self.check_only {
            options.subsystems.vrrp = false;
        }
        if self.no_bfd {
            options.subsystems.bfd = false;
        }
        if self.all {
            options.subsystems = Subsystems {
                vrrp: true,
                checkers: true,
                bfd: true,
                run_all: true,
            };
        }
        options.logging.console = self.log_console;
        options.logging.detail = self.log_detail.min(2);
        options.logging.syslog = !self.no_syslog;
        options.logging.flush_file = self.flush_log_file;
        if let Some(facility) = self.log_facility {
            match parse_facility(&facility) {
                Some(facility) => options.logging.facility = facility,
                None => warnings.push(format!("Invalid log facility '{facility}'")),
            }
        }
        options.logging.file = self.log_file.map(|file| {
            if file.is_empty() {
                PathBuf::from("/tmp/keepalived.log")
            } else {
                PathBuf::from(file)
            }
        });
        if let Some(mask) = self.umask {
            match parse_umask(&mask) {
                Some(mask) => options.umask = Some(mask),
                None => warnings.push(format!("Invalid --umask option {mask}")),
            }
        }
        options.release_vips = self.release_vips;
        options.dont_release_vrrp = self.dont_release_vrrp;
        options.dont_release_ipvs = self.dont_release_ipvs;
        options.dont_respawn = self.dont_respawn;
        options.dont_fork = self.dont_fork;
        options.dump = match self.dump_conf.as_deref() {
            None => None,
            Some("") => Some(DumpFormat::Data),
            Some("json") => Some(DumpFormat::Json),
            Some(other) => {
                return Err(CliError::Other(format!(
                    "Unknown dump format '{other}' for --dump-conf (expected --dump-conf or --dump-conf=json)"
                )));
            }
        };
        options.pid_files = PidFiles {
            main: self.pid.map(PathBuf::from),
            vrrp: self.vrrp_pid.map(PathBuf::from),
            checkers: self.checkers_pid.map(PathBuf::from),
            bfd: self.bfd_pid.map(PathBuf::from),
        };
        options.address_monitoring = self.address_monitoring;
        options.snmp = self.snmp;
        options.snmp_agent_socket = self.snmp_agent_socket;
        options.namespace = self.namespace;
        // keepalived: -M implies -m.
        options.core_dump = self.core_dump || self.core_dump_pattern.is_some();
        options.core_dump_pattern = self.core_dump_pattern.map(|pattern| {
            if pattern.is_empty() {
                "core".to_string()
            } else {
                pattern
            }
        });
        options.ignore_sigint = self.ignore_sigint;
        options.config_fd = self.config_fd;
        if !self.unexpected.is_empty() {
            let words: Vec<String> = self
                .unexpected
                .iter()
                .map(|w| w.to_string_lossy().into_owned())
                .collect();
            warnings.push(format!("Unexpected argument(s): {}", words.join(" ")));
        }

        let command = match (first_exit, self.signum) {
            (Some(ExitingOption::Help), _) => Command::Help,
            (Some(ExitingOption::Version), _) => Command::Version,
            (Some(ExitingOption::Signum), Some(name)) => match SignalFunction::from_name(&name) {
                Some(function) => Command::Signum(function),
                None => return Err(CliError::UnknownSignalFunction(name)),
            },
            _ if self.demo => Command::Demo,
            _ => mode(self.config_test, &options),
        };
        Ok(Invocation {
            command,
            options,
            warnings,
        })
    }
}

/// The mode when no option exits at once: `-t`, `--dump-conf=json`, or the daemon.
fn mode(config_test: Option<String>, options: &Options) -> Command {
    if let Some(log) = config_test {
        Command::ConfigTest {
            log_file: (!log.is_empty()).then(|| PathBuf::from(log)),
        }
    } else if options.dump == Some(DumpFormat::Json) {
        Command::DumpJson
    } else {
        Command::Run
    }
}

/// clap value parser: keepalived treats `--use-file=` as a missing parameter.
fn non_empty(value: &str) -> Result<String, String> {
    if value.is_empty() {
        Err("empty".to_string())
    } else {
        Ok(value.to_string())
    }
}

/// `-S`: `0`..`7`, `local0`..`local7`, `user` or `daemon`.
fn parse_facility(text: &str) -> Option<LogFacility> {
    let local = |digits: &str| {
        digits
            .parse::<u8>()
            .ok()
            .filter(|n| *n <= 7 && digits.len() == 1)
            .map(LogFacility::Local)
    };
    match text {
        "user" => Some(LogFacility::User),
        "daemon" => Some(LogFacility::Daemon),
        _ => text
            .strip_prefix("local")
            .map_or_else(|| local(text), local),
    }
}

/// `-u`: a number in C notation (`022` octal, `0x1ff` hex, decimal), at most 0777.
fn parse_umask(text: &str) -> Option<u32> {
    let (digits, radix) = if let Some(hex) = text.strip_prefix("0x").or(text.strip_prefix("0X")) {
        (hex, 16)
    } else if text.len() > 1 && text.starts_with('0') {
        (&text[1..], 8)
    } else {
        (text, 10)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u32::from_str_radix(digits, radix)
        .ok()
        .filter(|mask| *mask <= 0o777)
}

#[cfg(test)]
mod tests;
