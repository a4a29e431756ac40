//! The checker beside VRRP: `keel -f CONF` starts the health checkers as a child process
//! and keeps it running, as keepalived's parent does with its checker child (spec §1.1).
//!
//! # Why a child process, not a thread
//!
//! keepalived runs VRRP and the checkers in separate processes so that nothing one of
//! them does can take the other down: a checker that panics, aborts, leaks or is
//! OOM-killed must never cost the VIPs. A thread shares the address space, the allocator
//! and the panic strategy with VRRP; a process shares nothing. So keel's daemon process
//! (VRRP and keepalived's parent duties in one) re-executes its own binary as
//! `keel -C -n ...` with the same configuration file and logging options, and:
//!
//! - restarts it when it dies, after keepalived's back-off (spec §1.1,
//!   `calc_restart_delay`): at once if it ran more than 60 s, else 1 s doubling up to
//!   60 s. VRRP is not touched: the VIPs stay where they are.
//! - stops the whole daemon when it exits with keepalived's permanent codes 1 (fatal),
//!   2 (config) or 4 (permission), or with `-R` (`--dont-respawn`), as keepalived does;
//! - forwards SIGHUP (the child re-reads the same file, as keepalived's children do) and
//!   SIGUSR1 (`keepalived_check.data`); at stop sends SIGTERM and waits up to
//!   `child_wait_time` (5 s) before SIGKILL, so `omega` notifiers and the
//!   `lvs_flush_on_stop` rules run.
//!
//! The child learns which virtual addresses are local (`ha_suspend`) from its own
//! rtnetlink address monitor, as keepalived's checker process does: it sees the VIPs the
//! VRRP side adds and removes, and also addresses changed by anyone else. It is killed
//! with SIGTERM if this process dies (`PR_SET_PDEATHSIG`, as keepalived's children).

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use keel_conf::Config;
use tokio::process::{Child, Command};
use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};
use tokio::sync::{oneshot, watch};

use crate::cli::{LogFacility, Options};
use crate::daemon::bfd::States;
use crate::daemon::{Event, Signal, log};

/// The environment variable that tells a `keel -C` it is the daemon's checker child (it
/// then writes only the checker pid file and exits if its parent is gone). It carries the
/// parent's pid.
pub const CHILD_ENV: &str = "KEEL_CHECKER_PARENT";

/// keepalived's `child_wait_time`: how long a stopping child gets before SIGKILL.
const CHILD_WAIT_TIME: Duration = Duration::from_secs(5);

/// Whether keepalived would start a checker child for `config` (spec §1.1): only when it
/// has virtual servers (or `--all`), and not with `-P`.
pub fn wanted(options: &Options, config: &Config) -> bool {
    options.subsystems.checkers
        && (options.subsystems.run_all
            || !config.lvs.virtual_servers.is_empty()
            || !config.lvs.virtual_server_groups.is_empty())
}

/// How to start the child: this binary with `-C -n` and the daemon's own file and
/// logging options. Build it before daemonising: the configuration path is made
/// absolute against the directory keel was started in.
#[derive(Debug, Clone)]
pub struct ChildCommand {
    program: PathBuf,
    args: Vec<OsString>,
}

impl ChildCommand {
    /// The child's command line for the daemon started with `options`.
    pub fn new(options: &Options) -> std::io::Result<ChildCommand> {
        let program = std::env::current_exe()?;
        let config = std::path::absolute(&options.config_file)?;
        let mut args: Vec<OsString> = vec!["-C".into(), "-n".into(), "-f".into(), config.into()];
        let logging = &options.logging;
        if logging.console {
            args.push("-l".into());
        }
        for _ in 0..logging.detail {
            args.push("-D".into());
        }
        if !logging.syslog {
            args.push("-G".into());
        }
        args.push(
            match logging.facility {
                LogFacility::Daemon => "--log-facility=daemon".to_string(),
                LogFacility::User => "--log-facility=user".to_string(),
                LogFacility::Local(n) => format!("--log-facility=local{n}"),
            }
            .into(),
        );
        if let Some(file) = &logging.file {
            let mut arg = OsString::from("--log-file=");
            arg.push(std::path::absolute(file)?);
            args.push(arg);
        }
        if logging.flush_file {
            args.push("--flush-log-file".into());
        }
        if options.dont_release_ipvs {
            args.push("-I".into());
        }
        if let Some(checkers) = &options.pid_files.checkers {
            args.push("-c".into());
            args.push(std::path::absolute(checkers)?.into());
        }
        if let Some(id) = &options.config_id {
            args.push(format!("--config-id={id}").into());
        }
        if options.all_config {
            args.push("-e".into());
        }
        if let Some(umask) = options.umask {
            args.push(format!("--umask=0{umask:o}").into());
        }
        Ok(ChildCommand { program, args })
    }

    fn spawn(&self) -> std::io::Result<Child> {
        let mut command = std::process::Command::new(&self.program);
        command
            .args(&self.args)
            .env(CHILD_ENV, std::process::id().to_string())
            // BFD session states arrive here (`bfd_feed`).
            .stdin(std::process::Stdio::piped());
        // SAFETY: the closure runs in the forked child before exec and calls only
        // reset_in_child and prctl, which are async-signal-safe.
        unsafe {
            command.pre_exec(|| {
                // The checker gets its own checker_* settings, never the VRRP process's
                // (keepalived forks it from the parent, spec §2.3).
                keel_sys::sched::reset_in_child();
                // keepalived's children die with their parent (spec §1.1, scripts too).
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
        Command::from(command).kill_on_drop(false).spawn()
    }
}

/// What the daemon asks of the supervisor.
#[derive(Debug)]
enum Request {
    /// SIGHUP: the new configuration wants a checker (`true`) or not.
    Reload(bool),
    /// Forward a signal (SIGUSR1).
    Signal(i32),
    /// Stop the child; answered when it is gone.
    Stop(oneshot::Sender<()>),
    /// Tell the child these BFD session states, now and on every change and restart.
    FollowBfd(watch::Receiver<States>),
}

/// The daemon's handle on its checker child.
#[derive(Debug)]
pub struct Supervisor {
    requests: UnboundedSender<Request>,
}

impl Supervisor {
    /// Starts supervising: the child starts now when `wanted`, else on a reload that
    /// wants it. `events` is the daemon's loop, told to stop on a permanent failure.
    pub fn spawn(
        command: ChildCommand,
        wanted: bool,
        respawn: bool,
        events: UnboundedSender<Event>,
    ) -> Supervisor {
        let (requests, requests_rx) = mpsc::unbounded_channel();
        let state = State {
            command,
            wanted,
            respawn,
            events,
            child: None,
            restart_at: Some(Instant::now()),
            delay: None,
            bfd: None,
            stdin: None,
        };
        tokio::spawn(state.run(requests_rx));
        Supervisor { requests }
    }

    /// SIGHUP: the child re-reads the configuration; one that is not running is started
    /// if the new configuration has virtual servers (spec §1.1).
    pub fn reload(&self, wanted: bool) {
        let _ = self.requests.send(Request::Reload(wanted));
    }

    /// SIGUSR1: the child writes `keepalived_check.data` (spec §1.2).
    pub fn dump(&self) {
        let _ = self.requests.send(Request::Signal(libc::SIGUSR1));
    }

    /// Feeds the child the daemon's BFD session states (`BFD_CHECK`, see
    /// [`super::bfd_feed`]).
    pub fn follow_bfd(&self, states: watch::Receiver<States>) {
        let _ = self.requests.send(Request::FollowBfd(states));
    }

    /// Stops the child the way keepalived's parent does (SIGTERM, SIGKILL after 5 s);
    /// the receiver completes when it is gone. Sent at once, so VRRP's own stop runs
    /// meanwhile.
    pub fn stop(&self) -> oneshot::Receiver<()> {
        let (done_tx, done_rx) = oneshot::channel();
        let _ = self.requests.send(Request::Stop(done_tx));
        done_rx
    }
}

struct State {
    command: ChildCommand,
    wanted: bool,
    respawn: bool,
    events: UnboundedSender<Event>,
    child: Option<(Child, Instant)>,
    /// When to (re)start the child, if it is not running.
    restart_at: Option<Instant>,
    /// The last back-off, doubled on each quick death.
    delay: Option<Duration>,
    /// BFD session states to forward, and the running child's standard input.
    bfd: Option<watch::Receiver<States>>,
    stdin: Option<std::os::fd::OwnedFd>,
}

impl State {
    async fn run(mut self, mut requests: UnboundedReceiver<Request>) {
        loop {
            if self.child.is_none()
                && self.wanted
                && self.restart_at.is_some_and(|at| at <= Instant::now())
            {
                self.start();
            }
            let restart = self
                .restart_at
                .filter(|_| self.child.is_none() && self.wanted);
            tokio::select! {
                status = wait(&mut self.child) => {
                    let Some((_, started)) = self.child.take() else { continue };
                    self.stdin = None;
                    if !self.exited(status, started) {
                        return;
                    }
                }
                () = sleep_until(restart) => {}
                Some(()) = bfd_changed(&mut self.bfd) => self.tell_bfd(),
                request = requests.recv() => match request {
                    Some(Request::FollowBfd(states)) => {
                        self.bfd = Some(states);
                        self.tell_bfd();
                    }
                    Some(Request::Reload(wanted)) => {
                        self.wanted = wanted;
                        match &self.child {
                            Some((child, _)) => signal(child, libc::SIGHUP),
                            None => self.restart_at = Some(Instant::now()),
                        }
                    }
                    Some(Request::Signal(number)) => {
                        if let Some((child, _)) = &self.child {
                            signal(child, number);
                        }
                    }
                    Some(Request::Stop(done)) => {
                        self.stop_child().await;
                        let _ = done.send(());
                        return;
                    }
                    None => {
                        self.stop_child().await;
                        return;
                    }
                },
            }
        }
    }

    fn start(&mut self) {
        match self.command.spawn() {
            Ok(child) => {
                log::info(&format!(
                    "Starting Healthcheck child process, pid={}",
                    child.id().unwrap_or(0)
                ));
                let mut child = child;
                self.stdin = child
                    .stdin
                    .take()
                    .and_then(|pipe| pipe.into_owned_fd().ok());
                if let Some(fd) = &self.stdin {
                    use std::os::fd::AsRawFd;
                    // SAFETY: fcntl on a descriptor this process owns; no memory involved.
                    unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK) };
                }
                self.child = Some((child, Instant::now()));
                self.restart_at = None;
                self.tell_bfd();
            }
            Err(error) => {
                log::error(&format!(
                    "cannot start the Healthcheck child process: {error}"
                ));
                self.schedule_restart(Duration::ZERO);
            }
        }
    }

    /// The child is gone: log it as keepalived does and schedule its restart. Returns
    /// `false` when the daemon must stop instead.
    fn exited(
        &mut self,
        status: std::io::Result<std::process::ExitStatus>,
        started: Instant,
    ) -> bool {
        use std::os::unix::process::ExitStatusExt;
        let status = match status {
            Ok(status) => status,
            Err(error) => {
                log::error(&format!(
                    "waiting for the Healthcheck child process: {error}"
                ));
                self.schedule_restart(started.elapsed());
                return true;
            }
        };
        // spec §1.1: exit 1 (FATAL), 2 (CONFIG), 4 (PERMISSION) stop the whole daemon.
        if let Some(code @ (1 | 2 | 4)) = status.code() {
            let name = match code {
                1 => "FATAL",
                2 => "CONFIG",
                _ => "PERMISSION",
            };
            log::error(&format!(
                "Keepalived_healthcheckers exited with permanent error {name}. Terminating"
            ));
            let _ = self.events.send(Event::Signal(Signal::Stop));
            return false;
        }
        let how = match (status.code(), status.signal()) {
            (Some(code), _) => format!("with status {code}"),
            (None, Some(number)) => format!("due to signal {number}"),
            (None, None) => "for an unknown reason".to_string(),
        };
        if !self.respawn {
            log::error(&format!(
                "Keepalived_healthcheckers exited {how} - not restarting (--dont-respawn)"
            ));
            let _ = self.events.send(Event::Signal(Signal::Stop));
            return false;
        }
        log::warn(&format!(
            "Keepalived_healthcheckers exited {how} - restarting"
        ));
        self.schedule_restart(started.elapsed());
        true
    }

    /// keepalived's `calc_restart_delay`: at once after a run of more than 60 s, else
    /// 1 s, doubling on each further quick death, at most 60 s.
    fn schedule_restart(&mut self, ran: Duration) {
        let delay = restart_delay(ran, self.delay);
        self.delay = Some(delay);
        self.restart_at = Some(Instant::now() + delay);
    }

    fn tell_bfd(&mut self) {
        if let (Some(states), Some(stdin)) = (&mut self.bfd, &self.stdin) {
            super::bfd_feed::write(stdin, &states.borrow_and_update());
        }
    }

    async fn stop_child(&mut self) {
        let Some((mut child, _)) = self.child.take() else {
            return;
        };
        signal(&child, libc::SIGTERM);
        match tokio::time::timeout(CHILD_WAIT_TIME, child.wait()).await {
            Ok(_) => {}
            Err(_) => {
                log::warn("Healthcheck child process did not stop in time - killing it");
                let _ = child.kill().await;
            }
        }
    }
}

/// Resolves when the BFD states change; never while there are none to follow (or their
/// sender is gone).
async fn bfd_changed(states: &mut Option<watch::Receiver<States>>) -> Option<()> {
    match states {
        Some(receiver) => match receiver.changed().await {
            Ok(()) => Some(()),
            Err(_) => {
                *states = None;
                std::future::pending().await
            }
        },
        None => std::future::pending().await,
    }
}

/// The back-off before restarting a child that ran for `ran`, after `previous`.
fn restart_delay(ran: Duration, previous: Option<Duration>) -> Duration {
    const LONG_RUN: Duration = Duration::from_secs(60);
    if ran > LONG_RUN {
        return Duration::ZERO;
    }
    match previous {
        None => Duration::from_secs(1),
        Some(previous) if previous.is_zero() => Duration::from_secs(1),
        Some(previous) => (previous * 2).min(LONG_RUN),
    }
}

async fn wait(child: &mut Option<(Child, Instant)>) -> std::io::Result<std::process::ExitStatus> {
    match child {
        Some((child, _)) => child.wait().await,
        None => std::future::pending().await,
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await,
        None => std::future::pending().await,
    }
}

fn signal(child: &Child, number: i32) {
    if let Some(pid) = child.id() {
        // SAFETY: kill has no memory-safety preconditions; `pid` is our unreaped child.
        unsafe { libc::kill(pid as i32, number) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{self, Command as CliCommand};

    // Input: `keel -f /etc/k.conf -l -D -D -S local3 -G --log-file=/var/log/k.log -I
    // -c /run/c.pid -i lb1 -e -u 027` (the daemon's own command line).
    // Output: the child's command line parses back to a checker-only, foreground run of the
    // same file with the same logging, pid file, config id and stop rules.
    #[test]
    fn the_child_command_line_round_trips_through_the_cli() {
        let daemon = cli::parse([
            "-f",
            "/etc/k.conf",
            "-l",
            "-D",
            "-D",
            "-S",
            "local3",
            "-G",
            "--log-file=/var/log/k.log",
            "-I",
            "-c",
            "/run/c.pid",
            "-i",
            "lb1",
            "-e",
            "-u",
            "027",
        ])
        .expect("a valid daemon command line");
        let command = ChildCommand::new(&daemon.options).expect("absolute paths");
        let child = cli::parse(command.args.clone()).expect("the child's line parses");
        assert_eq!(child.command, CliCommand::Run);
        assert!(child.warnings.is_empty(), "{:?}", child.warnings);
        let (parent, child) = (daemon.options, child.options);
        assert!(child.subsystems.checkers && !child.subsystems.vrrp);
        assert!(child.dont_fork);
        assert_eq!(child.config_file, parent.config_file);
        assert_eq!(child.logging, parent.logging);
        assert_eq!(child.pid_files.checkers, parent.pid_files.checkers);
        assert_eq!(
            child.pid_files.main, None,
            "the parent keeps keepalived.pid"
        );
        assert_eq!(child.config_id.as_deref(), Some("lb1"));
        assert!(child.dont_release_ipvs && child.all_config);
        assert_eq!(child.umask, Some(0o027));
    }

    // Input: a child that dies quickly, again and again; then one that ran 2 minutes.
    // Output: 1 s, 2 s, 4 s ... capped at 60 s; after the long run, at once.
    #[test]
    fn restart_back_off_follows_keepalived() {
        let quick = Duration::from_millis(200);
        let mut delays = Vec::new();
        let mut previous = None;
        for _ in 0..8 {
            let delay = restart_delay(quick, previous);
            delays.push(delay.as_secs());
            previous = Some(delay);
        }
        assert_eq!(delays, vec![1, 2, 4, 8, 16, 32, 60, 60]);
        assert_eq!(
            restart_delay(Duration::from_secs(120), previous),
            Duration::ZERO
        );
        assert_eq!(
            restart_delay(quick, Some(Duration::ZERO)),
            Duration::from_secs(1)
        );
    }
}
