//! A named network namespace (`ip netns`), deleted on drop.

use std::fs::File;
use std::io::Write;
use std::os::fd::AsRawFd;
use std::process::{Command, Output, Stdio};

use crate::checked;

/// A network namespace created with `ip netns add` and deleted (after killing what still
/// runs in it) when dropped.
#[derive(Debug)]
pub struct Netns {
    name: String,
}

impl Netns {
    /// Creates the namespace `name`; panics if it cannot (e.g. the name exists).
    pub fn new(name: &str) -> Netns {
        checked(
            &format!("ip netns add {name}"),
            Command::new("ip").args(["netns", "add", name]).output(),
        );
        Netns {
            name: name.to_string(),
        }
    }

    /// The namespace's name, as `ip -n` and `ip netns exec` take it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A [`Command`] that runs `program` inside the namespace (`ip netns exec NAME program`).
    ///
    /// `ip netns exec` execs the program, so the child's pid is the program's pid.
    pub fn command(&self, program: &str) -> Command {
        let mut command = Command::new("ip");
        command.args(["netns", "exec", &self.name, program]);
        command
    }

    /// Starts `argv` in this namespace inside its own PID namespace with a private `/proc`
    /// (`unshare --pid --fork --mount-proc --kill-child`), so `pidof`-style tracking in it
    /// sees only that host's processes (LAB-NOTES). Killing the guard kills the whole PID
    /// namespace. Its stdout and stderr go to `log` (appended), or nowhere.
    pub fn spawn_isolated(
        &self,
        argv: &[&str],
        log: Option<&std::path::Path>,
    ) -> crate::ChildGuard {
        let mut command = self.command("unshare");
        command
            .args(["--pid", "--fork", "--mount-proc", "--kill-child", "--"])
            .args(argv);
        match log {
            Some(path) => crate::daemon::log_output(&mut command, path),
            None => {
                command
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null());
            }
        }
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {argv:?} in {}: {e}", self.name));
        crate::ChildGuard::new(child)
    }

    /// The pids (as seen from outside) of the processes running in this namespace.
    pub fn pids(&self) -> Vec<u32> {
        let out = Command::new("ip")
            .args(["netns", "pids", &self.name])
            .output()
            .unwrap_or_else(|e| panic!("cannot run ip netns pids: {e}"));
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .filter_map(|pid| pid.parse().ok())
            .collect()
    }

    /// Runs `ip -n NAME ARGS…`, panics on failure, returns stdout.
    pub fn ip(&self, args: &[&str]) -> String {
        checked(
            &format!("ip -n {} {}", self.name, args.join(" ")),
            Command::new("ip")
                .arg("-n")
                .arg(&self.name)
                .args(args)
                .output(),
        )
    }

    /// Runs `ip -n NAME ARGS…` and returns its output whatever the exit status (for checks
    /// that expect a failure, or for reading state that may be absent).
    pub fn ip_output(&self, args: &[&str]) -> Output {
        Command::new("ip")
            .arg("-n")
            .arg(&self.name)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run ip: {e}"))
    }

    /// Runs `ip -n NAME -batch -` with one `ip` command per line (without the leading
    /// `ip`); panics if any fails. Much faster than one `ip` process per step.
    pub fn ip_batch(&self, commands: &[String]) {
        let mut child = Command::new("ip")
            .args(["-n", self.name.as_str(), "-batch", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run ip: {e}"));
        if let Some(mut stdin) = child.stdin.take() {
            let mut text = commands.join("\n");
            text.push('\n');
            // A write error means ip exited early; its status and stderr say why.
            let _ = stdin.write_all(text.as_bytes());
        }
        checked(
            &format!("ip -batch in {}: {commands:?}", self.name),
            child.wait_with_output(),
        );
    }

    /// Runs one nft command (`nft CMD`) in the namespace; panics on failure.
    pub fn nft(&self, command: &str) {
        checked(
            &format!("nft {command} in {}", self.name),
            self.command("nft").arg(command).output(),
        );
    }

    /// Runs a shell command line in the namespace; returns its output whatever the status.
    pub fn sh(&self, script: &str) -> Output {
        self.command("sh")
            .args(["-c", script])
            .output()
            .unwrap_or_else(|e| panic!("cannot run sh in {}: {e}", self.name))
    }

    /// The MAC address of `ifname` in this namespace, as `aa:bb:cc:dd:ee:ff`.
    pub fn link_mac(&self, ifname: &str) -> String {
        let out = self.ip(&["-o", "link", "show", "dev", ifname]);
        out.split_whitespace()
            .skip_while(|w| *w != "link/ether")
            .nth(1)
            .unwrap_or_else(|| panic!("no link/ether in: {out}"))
            .to_string()
    }

    /// The ifindex of `ifname` in this namespace.
    pub fn ifindex(&self, ifname: &str) -> u32 {
        let out = self.ip(&["-o", "link", "show", "dev", ifname]);
        out.split(':')
            .next()
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("no ifindex in: {out}"))
    }

    /// Runs `f` on a fresh thread that has joined this namespace, and returns its result.
    ///
    /// Sockets (raw, packet, netlink) opened by `f` belong to the namespace for their whole
    /// life, whichever thread uses them afterwards; that is how a test drives an adapter as
    /// if it ran on that host. To register such sockets with tokio, enter the runtime inside
    /// `f` (`let _guard = handle.enter();`).
    pub fn run_in<R, F>(&self, f: F) -> R
    where
        F: FnOnce() -> R + Send,
        R: Send,
    {
        let path = format!("/run/netns/{}", self.name);
        std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    let file = File::open(&path).unwrap_or_else(|e| panic!("opening {path}: {e}"));
                    // SAFETY: the fd is a valid namespace file for the duration of the call;
                    // setns only changes this (fresh, scoped) thread's network namespace.
                    let rc = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
                    assert_eq!(rc, 0, "setns({path}): {}", std::io::Error::last_os_error());
                    f()
                })
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        // Kill what still runs in the namespace (daemons, captures), then delete it.
        if let Ok(out) = Command::new("ip")
            .args(["netns", "pids", &self.name])
            .output()
        {
            for pid in String::from_utf8_lossy(&out.stdout).split_whitespace() {
                if let Ok(pid) = pid.parse::<i32>() {
                    // SAFETY: kill has no memory-safety preconditions; the pid was listed as
                    // living in this test's own uniquely named namespace.
                    unsafe { libc::kill(pid, libc::SIGKILL) };
                }
            }
        }
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .output();
    }
}
