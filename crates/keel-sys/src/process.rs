//! `track_process`: counting running processes that match a name or command line, by
//! scanning `/proc`.
//!
//! keepalived's matching (vrrp_track_process): by default `process NAME` is compared with the
//! kernel's process name (`/proc/PID/comm`, at most 15 characters); with `full_command` it is
//! compared with the program path (`argv[0]` of `/proc/PID/cmdline`). With parameters, the
//! rest of the command line must match them: `param_match exact` (all of them, nothing
//! more), `initial` (they start the argument list) or `partial` (they appear in a row).

use std::fs;
use std::path::Path;

use crate::error::{Error, Result};

/// The longest name `comm` can hold (TASK_COMM_LEN − 1).
const COMM_LENGTH: usize = 15;

/// How a process's arguments must match the configured parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ParameterMatch {
    /// `param_match exact` (the default): the arguments are exactly the parameters.
    #[default]
    Exact,
    /// `param_match initial`: the arguments start with the parameters.
    Initial,
    /// `param_match partial`: the parameters appear consecutively among the arguments.
    Partial,
}

/// What to look for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessMatch {
    /// The process name (or program path with `full_command`).
    pub name: String,
    /// Compare `name` with `argv[0]` instead of the kernel's process name.
    pub full_command: bool,
    /// The parameters to match, if any were configured.
    pub parameters: Option<Vec<String>>,
    /// How to match them.
    pub parameter_match: ParameterMatch,
}

impl ProcessMatch {
    /// Matches processes whose kernel name is `name`, whatever their arguments.
    pub fn named(name: &str) -> ProcessMatch {
        ProcessMatch {
            name: name.to_string(),
            full_command: false,
            parameters: None,
            parameter_match: ParameterMatch::Exact,
        }
    }

    /// Whether a process with kernel name `comm` and command line `argv` matches.
    pub fn matches(&self, comm: &str, argv: &[String]) -> bool {
        let name_matches = if self.full_command {
            argv.first().is_some_and(|program| *program == self.name)
        } else {
            let wanted: String = self.name.chars().take(COMM_LENGTH).collect();
            comm == wanted
        };
        if !name_matches {
            return false;
        }
        let Some(parameters) = &self.parameters else {
            return true;
        };
        let arguments = argv.get(1..).unwrap_or(&[]);
        match self.parameter_match {
            ParameterMatch::Exact => arguments == parameters.as_slice(),
            ParameterMatch::Initial => arguments.starts_with(parameters),
            ParameterMatch::Partial => {
                parameters.is_empty()
                    || arguments
                        .windows(parameters.len())
                        .any(|window| window == parameters.as_slice())
            }
        }
    }
}

impl ProcessMatch {
    /// Whether the running process `pid` matches; false if it is gone or unreadable. Call
    /// it on exec, comm and fork events from [`crate::proc_events::ProcEvents`].
    pub fn matches_pid(&self, pid: u32) -> bool {
        let directory = Path::new("/proc").join(pid.to_string());
        process_matches(&directory, self)
    }
}

/// The pids of the processes matching `wanted`, from a scan of `/proc`.
///
/// Processes that exit during the scan are skipped. Kernel threads (empty command line) only
/// match by name.
pub fn matching_processes(wanted: &ProcessMatch) -> Result<Vec<u32>> {
    scan(Path::new("/proc"), wanted)
}

/// Like [`matching_processes`] over another procfs mount (e.g. a test's or a container's).
pub fn scan(proc_root: &Path, wanted: &ProcessMatch) -> Result<Vec<u32>> {
    let entries = fs::read_dir(proc_root).map_err(|e| Error::io("read /proc", e))?;
    let mut pids = Vec::new();
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if process_matches(&entry.path(), wanted) {
            pids.push(pid);
        }
    }
    pids.sort_unstable();
    Ok(pids)
}

fn process_matches(directory: &Path, wanted: &ProcessMatch) -> bool {
    // A process may exit between readdir and these reads; it does not match then.
    let Ok(comm) = fs::read_to_string(directory.join("comm")) else {
        return false;
    };
    let Ok(cmdline) = fs::read(directory.join("cmdline")) else {
        return false;
    };
    wanted.matches(comm.trim_end_matches('\n'), &command_line(&cmdline))
}

/// The arguments in `/proc/PID/cmdline` (NUL-separated; empty parts dropped, bytes that are
/// not UTF-8 replaced).
pub(crate) fn command_line(cmdline: &[u8]) -> Vec<String> {
    cmdline
        .split(|b| *b == 0)
        .filter(|part| !part.is_empty())
        .map(|part| String::from_utf8_lossy(part).into_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{ParameterMatch, ProcessMatch, command_line};

    #[test]
    fn cmdline_splits_at_nul_and_drops_empty_parts() {
        // Input: /proc/PID/cmdline of `nginx -g daemon` (with the trailing NUL), one with an
        // empty argument and a byte that is not UTF-8, and a kernel thread's empty file.
        // Output: the words; the empty argument dropped, the bad byte replaced; nothing.
        assert_eq!(
            command_line(b"nginx\0-g\0daemon\0"),
            argv(&["nginx", "-g", "daemon"])
        );
        assert_eq!(command_line(b"a\0\0b\xff\0"), argv(&["a", "b\u{fffd}"]));
        assert!(command_line(b"").is_empty());
    }

    fn argv(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn parameters_match_exactly_initially_or_partially() {
        // Input: `process nginx` with parameters "-c /etc/nginx.conf" in each mode, against
        // nginx started with "-c /etc/nginx.conf -g daemon".
        // Output: exact fails (extra arguments), initial and partial match.
        let running = argv(&["nginx", "-c", "/etc/nginx.conf", "-g", "daemon"]);
        let mut wanted = ProcessMatch::named("nginx");
        wanted.parameters = Some(argv(&["-c", "/etc/nginx.conf"]));
        wanted.parameter_match = ParameterMatch::Exact;
        assert!(!wanted.matches("nginx", &running));
        wanted.parameter_match = ParameterMatch::Initial;
        assert!(wanted.matches("nginx", &running));
        wanted.parameter_match = ParameterMatch::Partial;
        assert!(wanted.matches("nginx", &running));
        wanted.parameters = Some(argv(&["-g", "daemon"]));
        assert!(wanted.matches("nginx", &running));
        wanted.parameter_match = ParameterMatch::Initial;
        assert!(!wanted.matches("nginx", &running));
    }

    #[test]
    fn names_are_compared_as_the_kernel_truncates_them() {
        // Input: a 20-character process name; the kernel keeps 15 in comm.
        // Output: the configured full name still matches; full_command compares argv[0].
        let wanted = ProcessMatch::named("a-very-long-daemon12");
        assert!(wanted.matches(
            "a-very-long-dae",
            &argv(&["/usr/sbin/a-very-long-daemon12"])
        ));
        let mut by_path = ProcessMatch::named("/usr/sbin/nginx");
        by_path.full_command = true;
        assert!(by_path.matches("nginx", &argv(&["/usr/sbin/nginx"])));
        assert!(!by_path.matches("nginx", &argv(&["nginx"])));
    }
}
