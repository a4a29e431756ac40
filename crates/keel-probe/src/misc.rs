//! `MISC_CHECK` (spec §2.7, §3.13): run a command and judge its exit status.
//!
//! keepalived compat (`check_misc.c`):
//! - Exit 0 is up. Without `misc_dynamic` every other status is down. With it, 1 is down
//!   and 2–255 are up with weight status − 2.
//! - The command runs in its own process group. On `misc_timeout` the group gets SIGTERM,
//!   then SIGKILL if it has not gone after a grace period; a timed-out check is down.
//! - `user U [G]` runs it under that user (and group, else the user's primary group).

use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::{Group, Pid, User};
use tokio::process::{Child, Command};

use crate::ProbeOutcome;

/// How long a timed-out script's process group gets between SIGTERM and SIGKILL.
pub const TERMINATION_GRACE: Duration = Duration::from_secs(1);

/// `MISC_CHECK` options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MiscSpec {
    /// `misc_path`, split into the program and its arguments.
    pub command: Vec<String>,
    /// `misc_timeout` (keepalived's default is the checker's `delay_loop`).
    pub timeout: Duration,
    /// `misc_dynamic`: exit statuses 2–255 set the real server's weight.
    pub dynamic: bool,
    /// `user`: the user to run as; the daemon's own user when `None`.
    pub user: Option<String>,
    /// The optional group of `user U G`.
    pub group: Option<String>,
}

pub(crate) async fn check(spec: &MiscSpec) -> ProbeOutcome {
    let mut child = match spawn(spec) {
        Ok(child) => child,
        Err(reason) => return ProbeOutcome::down(reason),
    };
    match tokio::time::timeout(spec.timeout, child.wait()).await {
        Ok(Ok(status)) => judge(status, spec.dynamic),
        Ok(Err(error)) => ProbeOutcome::down(format!("cannot wait for the script: {error}")),
        Err(_) => {
            terminate(&mut child).await;
            ProbeOutcome::down(format!("script timed out after {:?}", spec.timeout))
        }
    }
}

fn spawn(spec: &MiscSpec) -> Result<Child, String> {
    let Some((program, arguments)) = spec.command.split_first() else {
        return Err("MISC_CHECK has no command".to_string());
    };
    let mut command = Command::new(program);
    command
        .args(arguments)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .kill_on_drop(true);
    if let Some(name) = &spec.user {
        let user = User::from_name(name)
            .map_err(|error| format!("cannot look up user {name}: {error}"))?
            .ok_or_else(|| format!("unknown user {name}"))?;
        let gid = match &spec.group {
            Some(group_name) => {
                Group::from_name(group_name)
                    .map_err(|error| format!("cannot look up group {group_name}: {error}"))?
                    .ok_or_else(|| format!("unknown group {group_name}"))?
                    .gid
            }
            None => user.gid,
        };
        command.uid(user.uid.as_raw()).gid(gid.as_raw());
    }
    command
        .spawn()
        .map_err(|error| format!("cannot run {program}: {error}"))
}

fn judge(status: ExitStatus, dynamic: bool) -> ProbeOutcome {
    use std::os::unix::process::ExitStatusExt;
    match status.code() {
        Some(0) => ProbeOutcome::Up,
        Some(code @ 2..=255) if dynamic => ProbeOutcome::UpWithWeight(code as u32 - 2),
        Some(code) => ProbeOutcome::down(format!("script exited with status {code}")),
        None => ProbeOutcome::down(format!(
            "script killed by signal {}",
            status.signal().unwrap_or(0)
        )),
    }
}

/// SIGTERM to the group, then SIGKILL after the grace period; the child is always reaped.
async fn terminate(child: &mut Child) {
    let Some(pid) = child.id() else {
        return;
    };
    // The child leads its own process group (process_group(0)), so its pid names it.
    let group = Pid::from_raw(pid as i32);
    let _ = killpg(group, Signal::SIGTERM);
    if tokio::time::timeout(TERMINATION_GRACE, child.wait())
        .await
        .is_err()
    {
        let _ = killpg(group, Signal::SIGKILL);
        let _ = child.wait().await;
    } else {
        // The leader is gone; anything it left in the group goes too.
        let _ = killpg(group, Signal::SIGKILL);
    }
}
