//! Daemons under test: their files, starting them in a namespace with a log, waiting for
//! what they should do, signalling and stopping them.
//!
//! keel and keepalived take the same command line, so one layout serves both: a
//! configuration `DIR/NAME.conf`, pid files `DIR/NAME.pid` and `DIR/NAME-vrrp.pid`, and a
//! log `DIR/NAME.log` that a failing assertion can print.

use std::ffi::OsString;
use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::{ChildGuard, Host};

/// Polls `done` every 10 ms for up to `limit`; how long it took, or `None` on timeout.
pub fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if done() {
            return Some(start.elapsed());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    None
}

/// Whether `host` has `address` on `e0`, as `ip -o addr show dev e0` shows an operator.
pub fn holds(host: &Host, address: &str) -> bool {
    holds_on(host, "e0", address)
}

/// Whether `host` has `address` on `dev` (false when there is no such link), as `ip -o addr
/// show dev DEV` shows an operator.
pub fn holds_on(host: &Host, dev: &str, address: &str) -> bool {
    let out = host.ns.ip_output(&["-o", "addr", "show", "dev", dev]);
    String::from_utf8_lossy(&out.stdout).contains(&format!(" {address}/"))
}

/// Where one daemon keeps its files (see the module docs).
#[derive(Debug, Clone)]
pub struct DaemonFiles {
    /// `DIR/NAME.conf`.
    pub config: PathBuf,
    /// `DIR/NAME.pid` (`-p`).
    pub pid: PathBuf,
    /// `DIR/NAME-vrrp.pid` (`-r`).
    pub vrrp_pid: PathBuf,
    /// `DIR/NAME.log`: the daemon's stdout and stderr.
    pub log: PathBuf,
}

impl DaemonFiles {
    /// Writes `config` to `DIR/NAME.conf` and names the other files.
    pub fn write(dir: &Path, name: &str, config: &str) -> DaemonFiles {
        let files = DaemonFiles {
            config: dir.join(format!("{name}.conf")),
            pid: dir.join(format!("{name}.pid")),
            vrrp_pid: dir.join(format!("{name}-vrrp.pid")),
            log: dir.join(format!("{name}.log")),
        };
        std::fs::write(&files.config, config)
            .unwrap_or_else(|e| panic!("writing {}: {e}", files.config.display()));
        files
    }

    /// `-f CONF -p PID -r VRRP_PID`, the arguments that point a daemon at these files.
    pub fn args(&self) -> Vec<OsString> {
        vec![
            "-f".into(),
            self.config.clone().into(),
            "-p".into(),
            self.pid.clone().into(),
            "-r".into(),
            self.vrrp_pid.clone().into(),
        ]
    }
}

/// A running daemon with a log file; killed (SIGKILL) and reaped on drop.
#[derive(Debug)]
pub struct Daemon {
    guard: ChildGuard,
    log: PathBuf,
}

impl Daemon {
    /// Starts `command` with stdin closed and stdout and stderr appended to `log`.
    pub fn spawn(mut command: Command, log: &Path) -> Daemon {
        log_output(&mut command, log);
        let child = command
            .stdin(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
        Daemon::guarded(ChildGuard::new(child), log)
    }

    /// A daemon already started (e.g. by [`crate::Netns::spawn_isolated`]) logging to `log`.
    pub fn guarded(guard: ChildGuard, log: &Path) -> Daemon {
        Daemon {
            guard,
            log: log.to_path_buf(),
        }
    }

    /// The pid of the process started (the daemon itself, or `unshare` for an isolated one).
    pub fn pid(&self) -> u32 {
        self.guard.pid()
    }

    /// Sends `signal` to the process started.
    pub fn signal(&self, signal: i32) {
        let pid = libc::pid_t::try_from(self.guard.pid()).expect("pids fit pid_t");
        // SAFETY: kill has no memory-safety preconditions; the pid is our own unreaped child.
        unsafe { libc::kill(pid, signal) };
    }

    /// SIGTERM, then waits up to `limit` for the exit; its status, or `None` if it is still
    /// running (the guard kills it on drop).
    pub fn stop(&mut self, limit: Duration) -> Option<ExitStatus> {
        self.signal(libc::SIGTERM);
        self.wait_status(limit)
    }

    /// SIGKILL, as a crash, and reaps it.
    pub fn kill(&mut self) {
        let _ = self.guard.child_mut().kill();
        let _ = self.guard.child_mut().wait();
    }

    /// Waits up to `limit` for the daemon to exit; its exit code (`None` on timeout or
    /// death by a signal).
    pub fn wait_exit(&mut self, limit: Duration) -> Option<i32> {
        self.wait_status(limit).and_then(|status| status.code())
    }

    /// The daemon's log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The log's path.
    pub fn log(&self) -> &Path {
        &self.log
    }

    fn wait_status(&mut self, limit: Duration) -> Option<ExitStatus> {
        let mut status = None;
        wait_until(limit, || {
            status = self.guard.child_mut().try_wait().ok().flatten();
            status.is_some()
        });
        status
    }
}

/// Sends `command`'s stdout and stderr to the end of the file `log` (created if missing).
pub(crate) fn log_output(command: &mut Command, log: &Path) {
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap_or_else(|e| panic!("opening log {}: {e}", log.display()));
    let copy = file
        .try_clone()
        .unwrap_or_else(|e| panic!("duplicating log descriptor: {e}"));
    command.stdout(file).stderr(copy);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TempDir;

    // Input: a shell "daemon" that logs a start line, exits 3 on SIGTERM after logging it,
    // started with its files in a temporary directory.
    // Output: the config is written where -f points, the start line appears in the log,
    // stop() returns exit code 3 and the log has the shutdown line after it.
    #[test]
    fn a_daemon_starts_logs_and_stops_on_sigterm() {
        let dir = TempDir::new("keel-lab-daemon");
        let files = DaemonFiles::write(dir.path(), "d", "vrrp_instance VI_1 {}\n");
        let args = files.args();
        assert_eq!(args[0], "-f");
        assert_eq!(
            std::fs::read_to_string(&args[1]).unwrap(),
            "vrrp_instance VI_1 {}\n"
        );
        assert_eq!(args[5], files.vrrp_pid.as_os_str());
        let mut command = Command::new("sh");
        command.arg("-c").arg(
            "trap 'echo stopping; exit 3' TERM; echo started; \
             while :; do sleep 0.05; done",
        );
        let mut daemon = Daemon::spawn(command, &files.log);
        assert!(
            wait_until(Duration::from_secs(5), || daemon
                .log_text()
                .contains("started"))
            .is_some(),
            "log: {:?}",
            daemon.log_text()
        );
        let status = daemon
            .stop(Duration::from_secs(5))
            .expect("it exits on SIGTERM");
        assert_eq!(status.code(), Some(3));
        assert_eq!(daemon.log_text(), "started\nstopping\n");
    }

    // Input: a daemon that ignores SIGTERM.
    // Output: stop() gives up after its limit with None; kill() ends it; wait_exit then
    // reports no exit code (it died of a signal).
    #[test]
    fn a_daemon_that_ignores_sigterm_is_killed() {
        let dir = TempDir::new("keel-lab-daemon");
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg("trap '' TERM; echo up; while :; do sleep 0.05; done");
        let log = dir.path().join("stubborn.log");
        let mut daemon = Daemon::spawn(command, &log);
        assert!(wait_until(Duration::from_secs(5), || daemon.log_text() == "up\n").is_some());
        assert_eq!(daemon.stop(Duration::from_millis(300)), None);
        daemon.kill();
        assert_eq!(daemon.wait_exit(Duration::from_millis(100)), None);
        assert_eq!(daemon.log(), log.as_path());
    }
}
