//! systemd `Type=notify` readiness and the watchdog (`sd_notify(3)` protocol, spoken directly).
//!
//! systemd passes `$NOTIFY_SOCKET` (a path, or `@name` for an abstract socket) and, with
//! `WatchdogSec=`, `$WATCHDOG_USEC` (and `$WATCHDOG_PID`). The daemon sends `READY=1` once
//! its instances are started, `RELOADING=1` / `READY=1` around a SIGHUP reload,
//! `STOPPING=1` on SIGTERM, `STATUS=...` lines for `systemctl status`, and `WATCHDOG=1`
//! every [`Notifier::watchdog_interval`] (half the timeout, as `sd_watchdog_enabled(3)`
//! advises). Without `$NOTIFY_SOCKET` every call is a no-op, so the same code runs under
//! systemd and without it.

use std::ffi::OsStr;
use std::io;
use std::os::linux::net::SocketAddrExt;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::time::Duration;

/// A connection to systemd's notification socket (or nothing, when not run by systemd).
#[derive(Debug)]
pub struct Notifier {
    target: Option<(UnixDatagram, SocketAddr)>,
    watchdog: Option<Duration>,
}

impl Notifier {
    /// Reads `$NOTIFY_SOCKET`, `$WATCHDOG_USEC` and `$WATCHDOG_PID`. Call once at start,
    /// after daemonizing (the watchdog is only ours if `$WATCHDOG_PID` is unset or our pid).
    pub fn from_env() -> io::Result<Notifier> {
        let socket = std::env::var_os("NOTIFY_SOCKET");
        let watchdog_usec = std::env::var("WATCHDOG_USEC").ok();
        let watchdog_pid = std::env::var("WATCHDOG_PID").ok();
        Notifier::new(
            socket.as_deref(),
            watchdog_usec.as_deref(),
            watchdog_pid.as_deref(),
            std::process::id(),
        )
    }

    /// A notifier for explicit values (what [`Notifier::from_env`] reads): the socket
    /// (`None` or empty: disabled), `WATCHDOG_USEC`, `WATCHDOG_PID` and our pid.
    pub fn new(
        socket: Option<&OsStr>,
        watchdog_usec: Option<&str>,
        watchdog_pid: Option<&str>,
        own_pid: u32,
    ) -> io::Result<Notifier> {
        let target = match socket.filter(|socket| !socket.is_empty()) {
            None => None,
            Some(socket) => {
                let bytes = socket.as_bytes();
                let address = match bytes.strip_prefix(b"@") {
                    // sd_notify: a leading '@' names a socket in the abstract namespace.
                    Some(name) => SocketAddr::from_abstract_name(name)?,
                    None => SocketAddr::from_pathname(socket)?,
                };
                Some((UnixDatagram::unbound()?, address))
            }
        };
        let for_us = match watchdog_pid {
            None => true,
            Some(pid) => pid.trim().parse::<u32>().ok() == Some(own_pid),
        };
        let watchdog = watchdog_usec
            .and_then(|usec| usec.trim().parse::<u64>().ok())
            .filter(|usec| *usec > 0 && for_us)
            .map(|usec| Duration::from_micros(usec / 2));
        Ok(Notifier { target, watchdog })
    }

    /// True when run by systemd with a notification socket.
    pub fn is_enabled(&self) -> bool {
        self.target.is_some()
    }

    /// How often to call [`Notifier::watchdog`]: half of `WatchdogSec=`, or `None` when
    /// the watchdog is off.
    pub fn watchdog_interval(&self) -> Option<Duration> {
        self.watchdog
    }

    /// Start-up finished: instances are running. `status` shows in `systemctl status`.
    pub fn ready(&self, status: &str) -> io::Result<()> {
        self.send(&format!(
            "READY=1\nSTATUS={status}\nMAINPID={}",
            std::process::id()
        ))
    }

    /// A reload (SIGHUP) begins; follow with [`Notifier::ready`] when it is done.
    pub fn reloading(&self) -> io::Result<()> {
        // systemd 253+ (Type=notify-reload) wants the monotonic time with RELOADING=1;
        // older versions ignore the extra field.
        self.send(&format!(
            "RELOADING=1\nMONOTONIC_USEC={}",
            monotonic_micros()
        ))
    }

    /// The daemon is shutting down (SIGTERM).
    pub fn stopping(&self) -> io::Result<()> {
        self.send("STOPPING=1")
    }

    /// A free-form status line.
    pub fn status(&self, status: &str) -> io::Result<()> {
        self.send(&format!("STATUS={status}"))
    }

    /// Proves liveness to the watchdog; call every [`Notifier::watchdog_interval`] from the
    /// event loop itself, so a stuck loop stops the pings.
    pub fn watchdog(&self) -> io::Result<()> {
        if self.watchdog.is_none() {
            return Ok(());
        }
        self.send("WATCHDOG=1")
    }

    /// Sends one raw notification (newline-separated `KEY=VALUE` assignments).
    pub fn send(&self, message: &str) -> io::Result<()> {
        match &self.target {
            Some((socket, address)) => socket.send_to_addr(message.as_bytes(), address).map(drop),
            None => Ok(()),
        }
    }
}

fn monotonic_micros() -> u64 {
    // SAFETY: a zeroed timespec is valid; clock_gettime only writes it.
    let mut now: libc::timespec = unsafe { std::mem::zeroed() };
    // SAFETY: the pointer is valid for the call; CLOCK_MONOTONIC always exists on Linux.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now) };
    u64::try_from(now.tv_sec).unwrap_or(0) * 1_000_000
        + u64::try_from(now.tv_nsec).unwrap_or(0) / 1_000
}
