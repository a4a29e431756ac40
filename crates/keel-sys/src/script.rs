//! The script runner: `vrrp_script`, `track_script`, `notify*` and `MISC_CHECK` commands.
//!
//! spec §1.1: each script runs in its own process group with `PR_SET_PDEATHSIG=SIGTERM`, as the
//! configured uid/gid (and supplementary groups), with `IFS`, `LD_PRELOAD` and
//! `LD_LIBRARY_PATH` removed from its environment. A timed-out script gets SIGTERM on its
//! whole process group, then SIGKILL 2 s later, and counts as a failure ("timed_out").
//! Notify scripts are fire-and-forget: started and reaped in the background, never waited on.

use std::ffi::CString;
use std::future::Future;
use std::os::unix::process::ExitStatusExt;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use tokio::process::{Child, Command};

use crate::error::{Error, Result};

/// How long a timed-out script's process group has between SIGTERM and SIGKILL (spec §1.1).
pub const KILL_GRACE: Duration = Duration::from_secs(2);

/// The environment variables removed before a script runs (spec §1.1).
const UNSAFE_ENVIRONMENT: [&str; 3] = ["IFS", "LD_PRELOAD", "LD_LIBRARY_PATH"];

/// A command to run: argv plus the identity to run it as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptCommand {
    /// The program (absolute path, or a name looked up in `PATH`) and its arguments.
    pub argv: Vec<String>,
    /// The identity to run as (`script_user`, or the `user` of a `vrrp_script`).
    pub user: UserIds,
    /// The `timeout` of a `vrrp_script` / `MISC_CHECK`; `None` waits for ever.
    pub timeout: Option<Duration>,
}

/// A uid, primary gid and supplementary groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserIds {
    /// The user id.
    pub uid: u32,
    /// The primary group id.
    pub gid: u32,
    /// The supplementary groups.
    pub groups: Vec<u32>,
}

impl UserIds {
    /// root, with no supplementary groups (keepalived's default when `keepalived_script`
    /// does not exist, spec §3.14).
    pub fn root() -> UserIds {
        UserIds {
            uid: 0,
            gid: 0,
            groups: Vec::new(),
        }
    }

    /// Looks up `user` in the password database, with its primary group (or `group` if
    /// given, as in `script_user USER [GROUP]`) and its supplementary groups.
    pub fn lookup(user: &str, group: Option<&str>) -> Result<UserIds> {
        let c_user = CString::new(user)
            .map_err(|_| Error::InvalidArgument(format!("user name {user:?}")))?;
        let entry = nix::unistd::User::from_name(user)
            .ok()
            .flatten()
            .ok_or_else(|| Error::InvalidArgument(format!("no such user {user:?}")))?;
        let uid = entry.uid.as_raw();
        let mut gid = entry.gid.as_raw();
        if let Some(group) = group {
            gid = nix::unistd::Group::from_name(group)
                .ok()
                .flatten()
                .ok_or_else(|| Error::InvalidArgument(format!("no such group {group:?}")))?
                .gid
                .as_raw();
        }
        let mut groups = vec![0 as libc::gid_t; 64];
        let mut count = groups.len() as libc::c_int;
        // SAFETY: `groups` has room for `count` entries; getgrouplist writes at most that
        // many and updates `count`.
        let rc =
            unsafe { libc::getgrouplist(c_user.as_ptr(), gid, groups.as_mut_ptr(), &mut count) };
        if rc < 0 {
            return Err(Error::InvalidArgument(format!(
                "user {user:?} is in more than 64 groups"
            )));
        }
        groups.truncate(count.max(0) as usize);
        Ok(UserIds { uid, gid, groups })
    }
}

/// How a script ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScriptOutcome {
    /// Exit status 0.
    Success,
    /// A non-zero exit status (for `MISC_CHECK` with `misc_dynamic`, the weight is derived
    /// from it, spec §3.13).
    Failure(i32),
    /// Killed by a signal it did not expect (the signal number).
    Signalled(i32),
    /// Still running at its timeout, so its process group was killed.
    TimedOut,
}

impl ScriptOutcome {
    /// Whether keepalived counts this as a success (only exit status 0 does).
    pub fn is_success(self) -> bool {
        self == ScriptOutcome::Success
    }
}

/// Runs scripts; implemented by [`ProcessRunner`] and by fakes in the daemon's tests.
pub trait ScriptRunner {
    /// Runs `command` to completion (or its timeout) and reports how it ended.
    fn run(&self, command: &ScriptCommand) -> impl Future<Output = Result<ScriptOutcome>> + Send;

    /// Starts `command` without waiting for it (notify scripts); it is reaped in the
    /// background. Returns its pid.
    fn spawn_detached(&self, command: &ScriptCommand) -> Result<u32>;
}

/// The real runner: forks processes as spec §1.1 describes. Needs a tokio runtime.
///
/// The parent-death signal is tied to the *thread* that forks: call the runner from the
/// runtime's worker threads (async code), never from a `spawn_blocking` thread, which tokio
/// retires when idle and whose exit would SIGTERM the scripts it started.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessRunner;

impl ScriptRunner for ProcessRunner {
    async fn run(&self, command: &ScriptCommand) -> Result<ScriptOutcome> {
        let mut child = spawn(command)?;
        let Some(limit) = command.timeout else {
            let status = child.wait().await.map_err(|e| Error::io("wait", e))?;
            return Ok(outcome_of(status));
        };
        if let Ok(status) = tokio::time::timeout(limit, child.wait()).await {
            return Ok(outcome_of(status.map_err(|e| Error::io("wait", e))?));
        }
        // The child leads its own group (setpgid in spawn), so -pid names the group.
        let group = child
            .id()
            .map(|pid| -(pid as libc::pid_t))
            .ok_or_else(|| Error::InvalidArgument("timed-out script already reaped".into()))?;
        // SAFETY: kill has no memory-safety preconditions; `group` is the script's own
        // process group, which still exists because its leader is not yet reaped.
        unsafe { libc::kill(group, libc::SIGTERM) };
        let _ = tokio::time::timeout(KILL_GRACE, child.wait()).await;
        // Whatever is left of the group (the leader, or children that ignored SIGTERM)
        // is killed now.
        // SAFETY: as above; if the group is already empty this fails with ESRCH.
        unsafe { libc::kill(group, libc::SIGKILL) };
        child.wait().await.map_err(|e| Error::io("wait", e))?;
        Ok(ScriptOutcome::TimedOut)
    }

    fn spawn_detached(&self, command: &ScriptCommand) -> Result<u32> {
        let mut child = spawn(command)?;
        let pid = child.id().unwrap_or(0);
        tokio::spawn(async move {
            // Reaping is the point; the exit status of a notify script is not used.
            let _ = child.wait().await;
        });
        Ok(pid)
    }
}

fn spawn(command: &ScriptCommand) -> Result<Child> {
    let Some((program, arguments)) = command.argv.split_first() else {
        return Err(Error::InvalidArgument("empty script command".into()));
    };
    let mut process = Command::new(program);
    process
        .args(arguments)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0);
    for name in UNSAFE_ENVIRONMENT {
        process.env_remove(name);
    }
    let user = command.user.clone();
    let parent = std::process::id() as libc::pid_t;
    // SAFETY: the closure runs between fork and exec and only makes async-signal-safe
    // system calls (scheduling resets, setgroups, setgid, setuid, prctl, getppid) on values captured before
    // the fork.
    unsafe {
        process.pre_exec(move || {
            // keepalived compat: scripts run with normal scheduling, nice, affinity and
            // limits, whatever the daemon's `vrrp_rt_priority` and friends (spec §2.3).
            crate::sched::reset_in_child();
            // Groups first, while we still have the privilege to change them.
            if libc::geteuid() == 0 && libc::setgroups(user.groups.len(), user.groups.as_ptr()) < 0
            {
                return Err(std::io::Error::last_os_error());
            }
            if libc::getegid() != user.gid && libc::setgid(user.gid) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            if libc::geteuid() != user.uid && libc::setuid(user.uid) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            // After the identity change: prctl(2) clears the parent-death signal whenever
            // the effective uid or gid changes.
            if libc::prctl(
                libc::PR_SET_PDEATHSIG,
                libc::SIGTERM as libc::c_ulong,
                0,
                0,
                0,
            ) < 0
            {
                return Err(std::io::Error::last_os_error());
            }
            // The daemon may have died before the prctl; then no signal will come.
            if libc::getppid() != parent {
                return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
            }
            Ok(())
        });
    }
    process.spawn().map_err(|e| Error::io("spawn script", e))
}

fn outcome_of(status: ExitStatus) -> ScriptOutcome {
    match (status.code(), status.signal()) {
        (Some(0), _) => ScriptOutcome::Success,
        (Some(code), _) => ScriptOutcome::Failure(code),
        (None, Some(signal)) => ScriptOutcome::Signalled(signal),
        (None, None) => ScriptOutcome::Failure(-1),
    }
}
