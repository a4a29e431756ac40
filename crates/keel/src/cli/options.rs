//! The typed options of keepalived's command line, as `-t` and the daemon consume them.

use std::path::PathBuf;

use super::{Command, DEFAULT_CONFIG_FILE};

/// A keepalived "signal function" for `--signum` (spec §1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignalFunction {
    /// Stop the daemon (SIGTERM).
    Stop,
    /// Reload the configuration (SIGHUP).
    Reload,
    /// Write the `.data` dumps (SIGUSR1).
    Data,
    /// Write the VRRP statistics (SIGUSR2).
    Stats,
    /// Write and clear the VRRP statistics (SIGRTMAX-1).
    StatsClear,
    /// Write `keepalived.json` (SIGRTMIN+2).
    Json,
    /// Dump the threads to the log (SIGRTMAX).
    ThreadDump,
}

impl SignalFunction {
    /// The function named on the command line; names are case-sensitive, as in keepalived.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "STOP" => SignalFunction::Stop,
            "RELOAD" => SignalFunction::Reload,
            "DATA" => SignalFunction::Data,
            "STATS" => SignalFunction::Stats,
            "STATS_CLEAR" => SignalFunction::StatsClear,
            "JSON" => SignalFunction::Json,
            "TDUMP" => SignalFunction::ThreadDump,
            _ => return None,
        })
    }

    /// The signal that triggers this function in a running keel (and keepalived).
    pub fn number(self) -> i32 {
        match self {
            SignalFunction::Stop => libc::SIGTERM,
            SignalFunction::Reload => libc::SIGHUP,
            SignalFunction::Data => libc::SIGUSR1,
            SignalFunction::Stats => libc::SIGUSR2,
            SignalFunction::StatsClear => libc::SIGRTMAX() - 1,
            SignalFunction::Json => libc::SIGRTMIN() + 2,
            SignalFunction::ThreadDump => libc::SIGRTMAX(),
        }
    }
}

/// Which child processes the daemon starts (`-P`, `-C`, `-B`, `--all`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subsystems {
    /// The VRRP child (cleared by `-C`).
    pub vrrp: bool,
    /// The health-checker child (cleared by `-P`).
    pub checkers: bool,
    /// The BFD child (cleared by `-B`).
    pub bfd: bool,
    /// `--all`: start the selected children even when the configuration has nothing for them.
    pub run_all: bool,
}

/// The syslog facility (`-S`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFacility {
    /// `daemon`, the default.
    Daemon,
    /// `user`.
    User,
    /// `local0`..`local7` (also written `0`..`7`).
    Local(u8),
}

/// How the daemon logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logging {
    /// `-l`: also log to the console.
    pub console: bool,
    /// `-D`: 1 detailed, 2 (given twice) extra detail.
    pub detail: u8,
    /// `-S`.
    pub facility: LogFacility,
    /// `-G`: clear to stop logging via syslog.
    pub syslog: bool,
    /// `-g[FILE]`: log to files (default `/tmp/keepalived.log`).
    pub file: Option<PathBuf>,
    /// `--flush-log-file`.
    pub flush_file: bool,
}

/// How the configuration dump is wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DumpFormat {
    /// `-d`: keepalived's `.data` text, to the log at start-up.
    Data,
    /// `--dump-conf=json`: the resolved typed configuration as JSON on stdout.
    Json,
}

/// Everything the command line sets, typed, for `-t` and for the daemon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// `-f`: the configuration file.
    pub config_file: PathBuf,
    /// `-i`: the id that `@ID` lines are matched against; `None` means the host name up to
    /// its first dot.
    pub config_id: Option<String>,
    /// `-e`: a missing included file is an error.
    pub all_config: bool,
    /// `-P`, `-C`, `-B`, `--all`.
    pub subsystems: Subsystems,
    /// `-l`, `-D`, `-S`, `-G`, `-g`, `--flush-log-file`.
    pub logging: Logging,
    /// `-u`: the umask (overrides the configuration's `umask`).
    pub umask: Option<u32>,
    /// `-X`: remove the VIPs when leaving MASTER because of a signal.
    pub release_vips: bool,
    /// `-V`: keep VIPs and routes when the daemon stops.
    pub dont_release_vrrp: bool,
    /// `-I`: keep the IPVS topology when the daemon stops.
    pub dont_release_ipvs: bool,
    /// `-R`: do not respawn children.
    pub dont_respawn: bool,
    /// `-n`: stay in the foreground.
    pub dont_fork: bool,
    /// `-d` / `--dump-conf[=json]`.
    pub dump: Option<DumpFormat>,
    /// `-p`, `-r`, `-c`, `-b`.
    pub pid_files: PidFiles,
    /// `-a`: log every address change netlink reports.
    pub address_monitoring: bool,
    /// `-x`: enable SNMP.
    pub snmp: bool,
    /// `-A`: the AgentX socket.
    pub snmp_agent_socket: Option<String>,
    /// `-s`: the network namespace to run in (overrides `net_namespace`).
    pub namespace: Option<String>,
    /// `-m`/`-M`: raise RLIMIT_CORE.
    pub core_dump: bool,
    /// `-M[PAT]`: also set `/proc/sys/kernel/core_pattern` (default `core`).
    pub core_dump_pattern: Option<String>,
    /// `--ignore-sigint`: SIGINT does not stop the daemon.
    pub ignore_sigint: bool,
    /// `--config-fd=FD`: keepalived's internal hand-over of the flattened configuration.
    pub config_fd: Option<String>,
}

/// Pid files given on the command line; `None` keeps the default (spec §1.3).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PidFiles {
    /// `-p`: the parent.
    pub main: Option<PathBuf>,
    /// `-r`: the VRRP child.
    pub vrrp: Option<PathBuf>,
    /// `-c`: the checker child.
    pub checkers: Option<PathBuf>,
    /// `-b`: the BFD child.
    pub bfd: Option<PathBuf>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            config_file: PathBuf::from(DEFAULT_CONFIG_FILE),
            config_id: None,
            all_config: false,
            subsystems: Subsystems {
                vrrp: true,
                checkers: true,
                bfd: true,
                run_all: false,
            },
            logging: Logging {
                console: false,
                detail: 0,
                facility: LogFacility::Daemon,
                syslog: true,
                file: None,
                flush_file: false,
            },
            umask: None,
            release_vips: false,
            dont_release_vrrp: false,
            dont_release_ipvs: false,
            dont_respawn: false,
            dont_fork: false,
            dump: None,
            pid_files: PidFiles::default(),
            address_monitoring: false,
            snmp: false,
            snmp_agent_socket: None,
            namespace: None,
            core_dump: false,
            core_dump_pattern: None,
            ignore_sigint: false,
            config_fd: None,
        }
    }
}

impl Options {
    /// Options given on this command line whose feature keel does not have yet, by their
    /// long name. A caller refuses to run with any of them rather than ignore it.
    pub fn unsupported(&self, command: &Command) -> Vec<&'static str> {
        let mut unsupported = Vec::new();
        // Logging to files is done by keepalived's parent while it parses its options, so
        // it would matter even for `-t`; keel's daemon writes the file, `-t` does not yet.
        if *command != Command::Run {
            if self.logging.file.is_some() {
                unsupported.push("--log-file");
            }
            if self.logging.flush_file {
                unsupported.push("--flush-log-file");
            }
        }
        // keel does not split into keepalived's parent and children, so there is no
        // flattened configuration to receive.
        if self.config_fd.is_some() {
            unsupported.push("--config-fd");
        }
        if *command == Command::Run {
            if self.snmp {
                unsupported.push("--snmp");
            }
            if self.snmp_agent_socket.is_some() {
                unsupported.push("--snmp-agent-socket");
            }
        }
        unsupported
    }
}
